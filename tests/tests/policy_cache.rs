//! Cache safety and API Gateway's limits (issue 5): the policy returned for route A, replayed
//! by an independent IAM evaluator against every route B, gives B's correct answer; when
//! API Gateway's limits force a shorter policy it only ever denies more, never allows more.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod policy_support;

use std::sync::Arc;

use policy_support::*;
use shared::arn::ApiArn;
use shared::decision::Identity;
use shared::policy::limits::{MAX_ALLOW_STATEMENT_BYTES, MAX_ARN_CHARS};
use shared::policy::{Grant, Policy, resource_arns};
use shared::request::EventShape;

const METHODS: [&str; 4] = ["GET", "POST", "DELETE", "OPTIONS"];
const PATHS: [&str; 23] = [
    "/",
    "/orders",
    "/orders/",
    "/orders/42",
    "/orders/42/refunds",
    "/ordersX",
    "/Orders/42",
    "/admin",
    "/admin/users/7",
    "/x/admin/y",
    "/ledger/entries",
    "/ledger/entries/9",
    "/ledger/entries/9/x",
    "/refunds",
    "/health",
    "/health/x",
    "/reports/1",
    "/reports1",
    "/payments",
    "/payments/1/refunds",
    "/GET/orders",
    "/a/b/c/d/e/f",
    "/x/health",
];

fn identities() -> Vec<(&'static str, Identity)> {
    let mut admin = jwt("root", "console", &[]);
    admin.groups = vec!["admins".to_owned()];
    for (k, v) in
        [("mfa", serde_json::json!(true)), ("tier", serde_json::json!("gold")), ("level", serde_json::json!(3))]
    {
        admin.claims.insert(k.to_owned(), v);
    }
    let mut spiffe = cert("ledger-7", Some("acme"), &["orders:write"]);
    spiffe.uri_sans = vec!["spiffe://example.org/ledger".to_owned()];
    let mut item = cert("reports-svc", None, &[]);
    Arc::make_mut(&mut item.item).routes =
        vec!["GET /reports/{id}".into(), "* /health".into(), "DELETE /reports*".into()];
    let mut bound = jwt("u1", "refund-app", &["orders:read"]);
    bound.cnf_x5t_s256 = Some("t".to_owned());
    vec![
        ("reader", id_jwt(jwt("alice", "app", &["orders:read"]))),
        ("auditor", id_jwt(jwt("bob", "app", &["audit:read"]))),
        ("admin", id_jwt(admin)),
        ("spiffe", id_mtls(spiffe.clone())),
        ("registry routes", id_mtls(item)),
        ("bound", id_both(bound, spiffe)),
        ("monitor", id_jwt(jwt("monitor", "x", &[]))),
        ("nobody", id_jwt(jwt("nobody", "x", &[]))),
    ]
}

fn routes() -> Vec<(&'static str, &'static str)> {
    METHODS.iter().flat_map(|m| PATHS.iter().map(move |p| (*m, *p))).collect()
}

/// For every identity and route A, the document returned for A answers every route B as the
/// engine does; `exact` false allows wrong denies (a cut policy) but never a wrong allow.
#[track_caller]
fn check_replay(policy: &Policy, who: &str, identity: &Identity, shape: EventShape, exact: bool) -> usize {
    let routes = routes();
    let truth: Vec<bool> = routes.iter().map(|(m, p)| policy.evaluate(identity, &request(m, p)).allowed).collect();
    let mut wrong_denies = 0;
    for (a_method, a_path) in &routes {
        let document = respond(policy, identity, &request_shaped(shape, a_method, a_path));
        for ((b_method, b_path), allowed) in routes.iter().zip(&truth) {
            let cached = iam_allows(&document, &format!("{PREFIX}{b_method}{b_path}"));
            let case = format!("{who}: policy for {a_method} {a_path} replayed for {b_method} {b_path}");
            assert!(!cached || *allowed, "{case}: the cached policy allows what the engine denies");
            if exact {
                assert_eq!(cached, *allowed, "{case}: the cached policy denies what the engine allows");
            } else if *allowed && !cached {
                wrong_denies += 1;
            }
            if (a_method, a_path) == (b_method, b_path) {
                assert_eq!(cached, *allowed, "{case}: the policy does not answer its own request");
            }
        }
    }
    wrong_denies
}

#[test]
fn a_cached_policy_answers_every_other_route_correctly() {
    let p = policy(POLICY);
    let mut allowed_somewhere = 0;
    for (who, identity) in identities() {
        for shape in [EventShape::RestRequest, EventShape::RestToken, EventShape::HttpV2] {
            check_replay(&p, who, &identity, shape, true);
        }
        allowed_somewhere +=
            usize::from(routes().iter().any(|(m, path)| p.evaluate(&identity, &request(m, path)).allowed));
    }
    assert_eq!(
        allowed_somewhere, 7,
        "every identity but nobody may call something: the replay tests allows, not only denies"
    );
}

#[test]
fn the_events_policy_is_cache_safe_too() {
    let p = Policy::from_file(&authorizer_tests::fixtures::events_dir().join("policy.toml")).unwrap();
    for (who, identity) in identities() {
        check_replay(&p, who, &identity, EventShape::RestRequest, true);
    }
    let frontend = id_mtls(cert("payments-frontend", Some("acme"), &["payments:write", "orders:read"]));
    check_replay(&p, "payments-frontend", &frontend, EventShape::HttpV2, true);
}

/// One rule granting `n` routes `GET /svc-<iii>/<filler>/{id}`, all of the same length.
fn many_routes(n: usize, filler: &str) -> Policy {
    let routes: Vec<String> = (0..n).map(|i| format!("\"GET /svc-{i:03}/{filler}/{{id}}\"")).collect();
    policy(&format!("[[rule]]\nname = \"many\"\nauth = \"jwt\"\nroutes = [{}]\n", routes.join(", ")))
}

fn allow_statement_bytes(document: &serde_json::Value) -> usize {
    let allow = document["Statement"].as_array().unwrap().iter().find(|s| s["Effect"] == "Allow").unwrap();
    serde_json::to_string(allow).unwrap().len()
}

#[track_caller]
fn check_limits(policy: &Policy, identity: &Identity, method: &str, path: &str, reason: &str, kept: usize) {
    let req = request(method, path);
    let v = policy.evaluate(identity, &req);
    assert_eq!((v.allowed, v.reason.code(), v.grants.len()), (true, reason, kept), "{method} {path}");
    let document = respond(policy, identity, &req);
    let resources = allow_resources(&document);
    assert_eq!(resources.len(), kept, "resource_arns keeps what evaluate kept");
    assert!(allow_statement_bytes(&document) <= MAX_ALLOW_STATEMENT_BYTES);
    assert!(resources.iter().all(|r| r.len() <= MAX_ARN_CHARS));
    assert!(
        resources.iter().all(|r| r.starts_with(PREFIX) && !r.ends_with("/prod/*") && !r.contains("/prod/*/*")),
        "{resources:?}"
    );
    assert!(iam_allows(&document, &format!("{PREFIX}{method}{path}")), "the request itself is allowed");
}

#[test]
fn many_routes_are_cut_to_fit_never_widened() {
    let caller = id_jwt(jwt("alice", "app", &[]));
    let filler = "resource";
    // Each ARN is 75 characters, 78 bytes in the statement: 104 fit in 8 KiB, 105 do not.
    let fits = many_routes(104, filler);
    check_limits(&fits, &caller, "GET", "/svc-007/resource/1", "allowed", 104);
    check_limits(&many_routes(105, filler), &caller, "GET", "/svc-104/resource/1", "allowed_policy_truncated", 104);
    let cut = many_routes(400, filler);
    check_limits(&cut, &caller, "GET", "/svc-399/resource/1", "allowed_policy_truncated", 104);
    check_limits(&cut, &caller, "GET", "/svc-005/resource/1", "allowed_policy_truncated", 104);
    // The cut policy, cached, denies some routes the caller may call, and allows none it may not.
    let wrong_denies = {
        let req = request("GET", "/svc-399/resource/1");
        let document = respond(&cut, &caller, &req);
        (0..420)
            .map(|i| {
                let path = format!("/svc-{i:03}/resource/9");
                let cached = iam_allows(&document, &format!("{PREFIX}GET{path}"));
                let allowed = cut.evaluate(&caller, &request("GET", &path)).allowed;
                assert!(!cached || allowed, "{path}: a cut policy allows what the engine denies");
                usize::from(allowed && !cached)
            })
            .sum::<usize>()
    };
    assert_eq!(wrong_denies, 400 - 104);
    // A denied request under a cut policy: still denied, and only granted routes in the Allow.
    let v = cut.evaluate(&caller, &request("POST", "/svc-001/resource/1"));
    assert_eq!((v.allowed, v.reason.code(), v.grants.len()), (false, "policy_route_not_granted", 104));
}

#[test]
fn long_routes_are_refused_or_dropped_never_shortened_into_a_wildcard() {
    let long = format!("/{}", "a".repeat(320));
    let text = format!("[[rule]]\nname = \"long\"\nauth = \"jwt\"\nroutes = [\"GET {long}\"]\n");
    let err = Policy::from_toml_str(&text, "p.toml").map(|_| ()).unwrap_err().to_string();
    assert_eq!(err, "p.toml:4:11: rule[0].routes[0]: route is longer than 300 characters: its ARN could exceed 512");
    // A registry item route that long is ignored like any invalid one.
    let mut item = cert("svc", None, &[]);
    Arc::make_mut(&mut item.item).routes = vec![format!("GET {long}"), "GET /short".to_owned()];
    let v = policy(POLICY).evaluate(&id_mtls(item), &request("GET", &long));
    assert_eq!((v.allowed, v.reason.code()), (false, "policy_route_not_granted"));
    // Hand-made grants too long for an ARN are left out of the statement, not shortened.
    let arn = ApiArn::parse(&format!("{PREFIX}GET/short")).unwrap();
    let grants = [
        Grant { method: "GET".into(), path: format!("/{}", "b".repeat(480)).into() },
        Grant { method: "GET".into(), path: "/short".into() },
    ];
    assert_eq!(resource_arns(&arn, &grants), vec![format!("{PREFIX}GET/short")]);
}

#[track_caller]
fn check_arns(grants: &[(&str, &str)], expected: &[&str]) {
    let arn = ApiArn::parse(&format!("{PREFIX}GET/x")).unwrap();
    let grants: Vec<Grant> = grants.iter().map(|(m, p)| Grant { method: (*m).into(), path: (*p).into() }).collect();
    let expected: Vec<String> = expected.iter().map(|r| format!("{PREFIX}{r}")).collect();
    assert_eq!(resource_arns(&arn, &grants), expected);
}

#[test]
fn resource_arns_never_lets_a_method_wildcard_span_the_path() {
    check_arns(&[("GET", "/orders/*"), ("POST", "/payments")], &["GET/orders/*", "POST/payments"]);
    // "*/orders" would match GET/admin/orders: a * method is written out unless the path starts with /*.
    check_arns(
        &[("*", "/orders")],
        &["GET/orders", "POST/orders", "PUT/orders", "PATCH/orders", "DELETE/orders", "HEAD/orders", "OPTIONS/orders"],
    );
    check_arns(&[("*", "/*")], &["*/*"]);
    check_arns(&[("GET", "/a"), ("GET", "/a")], &["GET/a"]);
    check_arns(&[], &[]);
}
