//! Least privilege per route (issue 5): which rule allows which identity which route, with
//! the exact decision, reason code and rule; fixture events through the whole pipeline with
//! their routes changed; and the load errors, each pointing at the file, line and field.
//! Cache safety and API Gateway's size limits are in `policy_cache.rs`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod policy_support;

use std::sync::Arc;

use authorizer_tests::fixtures::{REPLAY_NOW, base_env, events_dir};
use policy_support::*;
use serde_json::{Value, json};
use shared::authorizer::{Authorizer, AuthorizerConfig};
use shared::config::{ConfigError, Env};
use shared::decision::{Identity, Outcome};
use shared::policy::{Grant, Policy};
use shared::telemetry::NullSink;

/// `(allowed, reason, rule)`.
type Expected<'a> = (bool, &'a str, Option<&'a str>);

#[track_caller]
fn check(policy: &Policy, case: &str, identity: &Identity, route: (&str, &str), expected: Expected<'_>) {
    let v = policy.evaluate(identity, &request(route.0, route.1));
    assert_eq!((v.allowed, v.reason.code(), v.rule.as_deref()), expected, "case {case}: {} {}", route.0, route.1);
}

const ALLOWED: &str = "allowed";
const NOT_GRANTED: &str = "policy_route_not_granted";
const NO_RULE: &str = "policy_no_rule_matches_identity";

#[test]
fn rules_grant_routes_to_identities() {
    let p = policy(POLICY);
    let reader = id_jwt(jwt("alice", "orders-app", &["orders:read"]));
    let mut other_issuer = jwt("alice", "orders-app", &["orders:read"]);
    other_issuer.issuer = "https://other.example.com".into();
    let mut admin = jwt("root", "console", &[]);
    admin.groups = vec!["ops".to_owned()];
    for (k, v) in [("mfa", json!(true)), ("tier", json!("gold")), ("level", json!(3))] {
        admin.claims.insert(k.to_owned(), v);
    }
    let mut silver = admin.clone();
    silver.claims.insert("tier".to_owned(), json!("silver"));
    let mut float_level = admin.clone();
    float_level.claims.insert("level".to_owned(), json!(3.0));
    let mut no_mfa = admin.clone();
    no_mfa.claims.remove("mfa");
    let mut not_in_group = admin.clone();
    not_in_group.groups = vec!["users".to_owned()];
    let mut spiffe = cert("ledger-7", Some("acme"), &[]);
    spiffe.uri_sans = vec!["spiffe://example.org/ledger".to_owned()];
    let mut spiffe_globex = spiffe.clone();
    Arc::make_mut(&mut spiffe_globex.item).tenant = Some("globex".to_owned());
    let mut bound = jwt("u1", "refund-app", &[]);
    bound.cnf_x5t_s256 = Some("thumbprint-checked-by-the-pipeline".to_owned());

    let cases: Vec<(&str, Identity, (&str, &str), Expected<'_>)> = vec![
        ("reader reads an order", reader.clone(), ("GET", "/orders/42"), (true, ALLOWED, Some("readers"))),
        ("reader lists orders", reader.clone(), ("GET", "/orders"), (true, ALLOWED, Some("readers"))),
        // {id} is GET/orders/* in the policy API Gateway caches: the engine grants the same.
        (
            "{id} also covers deeper paths",
            reader.clone(),
            ("GET", "/orders/42/refunds"),
            (true, ALLOWED, Some("readers")),
        ),
        ("literals are case-sensitive", reader.clone(), ("GET", "/Orders"), (false, NOT_GRANTED, None)),
        ("reader may not write", reader.clone(), ("POST", "/orders"), (false, NOT_GRANTED, None)),
        ("reader may not delete", reader.clone(), ("DELETE", "/orders/42"), (false, NOT_GRANTED, None)),
        ("wrong issuer", id_jwt(other_issuer), ("GET", "/orders/42"), (false, NO_RULE, None)),
        (
            "first rule in file order",
            id_jwt(jwt("a", "c", &["orders:read", "audit:read"])),
            ("GET", "/orders"),
            (true, ALLOWED, Some("readers")),
        ),
        (
            "a later rule grants",
            id_jwt(jwt("a", "c", &["audit:read"])),
            ("GET", "/orders"),
            (true, ALLOWED, Some("auditors")),
        ),
        (
            "later rule, other route",
            id_jwt(jwt("a", "c", &["audit:read"])),
            ("GET", "/orders/1"),
            (false, NOT_GRANTED, None),
        ),
        (
            "admin in a group with claims",
            id_jwt(admin.clone()),
            ("DELETE", "/admin/users/7"),
            (true, ALLOWED, Some("admins")),
        ),
        ("admin, any method", id_jwt(admin.clone()), ("OPTIONS", "/admin/x"), (true, ALLOWED, Some("admins"))),
        ("admin, not below /admin/", id_jwt(admin.clone()), ("GET", "/admin"), (false, NOT_GRANTED, None)),
        ("claim not one of the values", id_jwt(silver), ("GET", "/admin/x"), (false, NO_RULE, None)),
        ("numbers compare by value", id_jwt(float_level), ("GET", "/admin/x"), (true, ALLOWED, Some("admins"))),
        ("missing claim", id_jwt(no_mfa), ("GET", "/admin/x"), (false, NO_RULE, None)),
        ("not in a listed group", id_jwt(not_in_group), ("GET", "/admin/x"), (false, NO_RULE, None)),
        (
            "spiffe uri san and tenant",
            id_mtls(spiffe.clone()),
            ("POST", "/ledger/entries"),
            (true, ALLOWED, Some("spiffe-ledger")),
        ),
        (
            "mtls client id",
            id_mtls(cert("ledger-batch", Some("acme"), &[])),
            ("GET", "/ledger/entries/9"),
            (true, ALLOWED, Some("spiffe-ledger")),
        ),
        ("other tenant", id_mtls(spiffe_globex), ("POST", "/ledger/entries"), (false, NO_RULE, None)),
        (
            "unknown client",
            id_mtls(cert("stranger", Some("acme"), &[])),
            ("POST", "/ledger/entries"),
            (false, NO_RULE, None),
        ),
        ("jwt rule, mtls caller", id_mtls(spiffe.clone()), ("GET", "/orders/1"), (false, NOT_GRANTED, None)),
        (
            "registry scopes count",
            id_mtls(cert("svc", None, &["orders:write"])),
            ("POST", "/orders"),
            (true, ALLOWED, Some("writers")),
        ),
        (
            "any_scopes, jwt",
            id_jwt(jwt("a", "c", &["orders:admin"])),
            ("PUT", "/orders/5"),
            (true, ALLOWED, Some("writers")),
        ),
        (
            "any_scopes, none held",
            id_jwt(jwt("a", "c", &["orders:delete"])),
            ("PUT", "/orders/5"),
            (false, NO_RULE, None),
        ),
        (
            "bound token and cert",
            id_both(bound.clone(), cert("pay", None, &[])),
            ("POST", "/refunds"),
            (true, ALLOWED, Some("bound-refunds")),
        ),
        (
            "unbound token and cert",
            id_both(jwt("u1", "refund-app", &[]), cert("pay", None, &[])),
            ("POST", "/refunds"),
            (false, NO_RULE, None),
        ),
        ("bound token, no cert", id_jwt(bound), ("POST", "/refunds"), (false, NO_RULE, None)),
        (
            "jwt and mtls rules both apply",
            id_both(jwt("a", "c", &["orders:read"]), spiffe.clone()),
            ("POST", "/ledger/entries"),
            (true, ALLOWED, Some("spiffe-ledger")),
        ),
        (
            "monitor: everything",
            id_jwt(jwt("monitor", "x", &[])),
            ("PATCH", "/anything/at/all"),
            (true, ALLOWED, Some("monitor")),
        ),
        ("monitor: the root", id_jwt(jwt("m", "monitor-app", &[])), ("GET", "/"), (true, ALLOWED, Some("monitor"))),
    ];
    for (name, identity, route, expected) in &cases {
        check(&p, name, identity, *route, *expected);
    }
}

#[track_caller]
/// A token and a certificate that came together are one caller only when the token is bound
/// to the certificate: otherwise the scopes, claims and names of one never complete the
/// conditions of a rule written for the other.
#[test]
fn an_unbound_token_never_completes_a_rule_for_the_certificate_or_the_reverse() {
    let p = policy(
        r#"
[[rule]]
name = "acme-writes-orders"
auth = "mtls"
tenants = ["acme"]
scopes = ["orders:write"]
routes = ["POST /orders"]

[[rule]]
name = "ops-read-ledger"
auth = "jwt"
groups = ["ops"]
scopes = ["reports:read"]
routes = ["GET /ledger"]

[[rule]]
name = "either-with-both-scopes"
auth = "any"
scopes = ["reports:read", "reports:export"]
routes = ["GET /reports"]

[[rule]]
name = "service-for-user"
auth = "jwt+mtls"
scopes = ["orders:read", "delegate"]
routes = ["GET /orders/{id}"]
"#,
    );
    let reader = cert("acme-reader", Some("acme"), &["orders:read", "reports:read"]);
    let mut stranger = jwt("mallory", "other-app", &["orders:write", "reports:export", "delegate"]);
    stranger.groups = vec!["ops".to_owned()];
    let mut bound = stranger.clone();
    bound.cnf_x5t_s256 = Some("thumbprint-checked-by-the-pipeline".to_owned());
    let unbound = id_both(stranger.clone(), reader.clone());
    let same_party = id_both(bound, reader.clone());
    // The unbound pair meets the jwt+mtls rule only: the others' routes are not granted.
    let cases: Vec<(&str, &Identity, (&str, &str), Expected<'_>)> = vec![
        ("mtls rule, token's scope", &unbound, ("POST", "/orders"), (false, NOT_GRANTED, None)),
        ("jwt rule, certificate's scope", &unbound, ("GET", "/ledger"), (false, NOT_GRANTED, None)),
        ("any rule, one scope from each", &unbound, ("GET", "/reports"), (false, NOT_GRANTED, None)),
        ("jwt+mtls rule reads both", &unbound, ("GET", "/orders/7"), (true, ALLOWED, Some("service-for-user"))),
        ("bound: mtls rule", &same_party, ("POST", "/orders"), (true, ALLOWED, Some("acme-writes-orders"))),
        ("bound: jwt rule", &same_party, ("GET", "/ledger"), (true, ALLOWED, Some("ops-read-ledger"))),
        ("bound: any rule", &same_party, ("GET", "/reports"), (true, ALLOWED, Some("either-with-both-scopes"))),
    ];
    for (case, identity, route, expected) in cases {
        check(&p, case, identity, route, expected);
    }
    // Each credential alone still meets the rules written for it.
    let mut writer = reader.clone();
    std::sync::Arc::make_mut(&mut writer.item).scopes = vec!["orders:write".to_owned()];
    check(
        &p,
        "certificate alone",
        &id_both(stranger, writer),
        ("POST", "/orders"),
        (true, ALLOWED, Some("acme-writes-orders")),
    );
}

fn check_grants(policy: &Policy, identity: &Identity, route: (&str, &str), expected: &[&str]) {
    let got: Vec<String> = policy
        .evaluate(identity, &request(route.0, route.1))
        .grants
        .iter()
        .map(|g| format!("{} {}", g.method, g.path))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn grants_are_the_union_deduplicated_without_covered_routes_in_a_stable_order() {
    let p = policy(POLICY);
    check_grants(
        &p,
        &id_jwt(jwt("a", "c", &["orders:read", "audit:read", "orders:write"])),
        ("GET", "/x"),
        &["GET /orders", "GET /orders/*", "POST /orders", "PUT /orders/*"],
    );
    let all: Vec<String> =
        ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"].iter().map(|m| format!("{m} /admin/*")).collect();
    let mut admin = jwt("root", "console", &[]);
    admin.groups = vec!["admins".to_owned()];
    for (k, v) in [("mfa", json!(true)), ("tier", json!("platinum")), ("level", json!(3))] {
        admin.claims.insert(k.to_owned(), v);
    }
    check_grants(&p, &id_jwt(admin), ("GET", "/"), &all.iter().map(String::as_str).collect::<Vec<_>>());
    // "* /{proxy+}" covers the rule's "* /health" and "GET /".
    check_grants(&p, &id_jwt(jwt("monitor", "monitor-app", &["orders:read"])), ("GET", "/"), &["* /*"]);
    check_grants(&p, &id_jwt(jwt("nobody", "c", &[])), ("GET", "/"), &[]);
}

#[test]
fn registry_item_routes_join_and_invalid_ones_are_ignored_and_logged() {
    let logs = authorizer_tests::logs::capture();
    let p = policy(POLICY);
    let mut item = cert("reports-svc", None, &["orders:write"]);
    Arc::make_mut(&mut item.item).routes =
        vec!["GET /reports/{id}".into(), "GET reports".into(), "DELETE /reports*".into(), "GET /orders".into()];
    let caller = id_mtls(item);
    check(&p, "item route", &caller, ("GET", "/reports/1"), (true, ALLOWED, Some("registry:reports-svc")));
    check(&p, "rule before item", &caller, ("POST", "/orders"), (true, ALLOWED, Some("writers")));
    check(&p, "item route as written", &caller, ("GET", "/orders"), (true, ALLOWED, Some("registry:reports-svc")));
    check(&p, "invalid item route never widens", &caller, ("DELETE", "/reports1"), (false, NOT_GRANTED, None));
    check_grants(&p, &caller, ("GET", "/"), &["GET /orders", "GET /reports/*", "POST /orders", "PUT /orders/*"]);
    let logged = logs.contents();
    assert!(logged.contains("registry item route ignored"), "{logged}");
    assert!(logged.contains("\"client_id\":\"reports-svc\""), "{logged}");
}

#[test]
fn the_explanation_says_why_each_rule_did_or_did_not_apply() {
    let p = policy(POLICY);
    let e = p.explain(&id_jwt(jwt("a", "c", &["audit:read"])), &request("GET", "/orders/1"));
    assert!(!e.verdict.allowed);
    let rows: Vec<(&str, Result<(), &str>, bool)> = e
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.applies.as_ref().map(|_| ()).map_err(String::as_str), r.grants_request))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("readers", Err("scopes: missing \"orders:read\""), true),
            ("admins", Err("groups: in none of admins, ops"), false),
            ("spiffe-ledger", Err("auth: needs mtls, the caller presented jwt"), false),
            ("writers", Err("any_scopes: has none of orders:write, orders:admin"), false),
            ("bound-refunds", Err("auth: needs jwt+mtls, the caller presented jwt"), false),
            ("monitor", Err("principals: the caller is none of jwt-sub:monitor, jwt-client:monitor-app"), true),
            ("auditors", Ok(()), false),
        ]
    );
    let text = e.to_string();
    assert!(text.starts_with("policy test.toml: GET /orders/1 denied (policy_route_not_granted)\n"), "{text}");
    assert!(text.contains("  rule auditors (line 43): applies, but none of its routes is GET /orders/1\n"), "{text}");
}

/// A fixture event with its route changed (the token does not cover the route).
fn event_for(file: &str, method: &str, path: &str) -> Vec<u8> {
    let mut e: Value = serde_json::from_slice(&std::fs::read(events_dir().join(file)).unwrap()).unwrap();
    let arn = format!("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/{method}{path}");
    if e.get("routeArn").is_some() {
        e["routeArn"] = json!(arn);
        e["rawPath"] = json!(path);
        e["routeKey"] = json!(format!("{method} {path}"));
        e["requestContext"]["http"]["method"] = json!(method);
        e["requestContext"]["http"]["path"] = json!(path);
    } else {
        e["methodArn"] = json!(arn);
    }
    serde_json::to_vec(&e).unwrap()
}

#[tokio::test]
async fn fixture_events_through_the_pipeline_with_events_policy_toml() {
    let config = AuthorizerConfig::from_env(&Env::from_pairs(base_env())).unwrap();
    let authorizer = Authorizer::from_config(config, None, Arc::new(NullSink)).await.unwrap();
    let user = "http-v2/allow-jwt.json";
    let reconciler = "http-v2/allow-jwt-es256.json";
    let token = "rest-token/allow-jwt-rs256.json";
    let cases = [
        (user, "GET", "/orders/42", Outcome::Allow, ALLOWED, Some("orders-frontend-reads-orders")),
        (user, "GET", "/orders", Outcome::Allow, ALLOWED, Some("orders-frontend-reads-orders")),
        (user, "POST", "/payments", Outcome::Deny, NOT_GRANTED, None),
        (user, "DELETE", "/orders/42", Outcome::Deny, NOT_GRANTED, None),
        (reconciler, "POST", "/payments", Outcome::Allow, ALLOWED, Some("reconciler-posts-payments")),
        (reconciler, "GET", "/orders/42", Outcome::Deny, NOT_GRANTED, None),
        (reconciler, "POST", "/payments/1/refunds", Outcome::Deny, NOT_GRANTED, None),
        (token, "GET", "/orders/7", Outcome::Allow, ALLOWED, Some("orders-frontend-reads-orders")),
        (token, "PUT", "/orders/7", Outcome::Deny, NOT_GRANTED, None),
    ];
    for (file, method, path, outcome, reason, rule) in cases {
        let event = event_for(file, method, path);
        let v = authorizer.evaluate(&event, REPLAY_NOW).await;
        let got = (v.outcome, v.reason.code(), v.policy.as_ref().and_then(|p| p.rule.as_deref()));
        assert_eq!(got, (outcome, reason, rule), "{file} as {method} {path}");
    }
}

/// A registry that fails every lookup with one error.
#[derive(Debug)]
struct Failing(fn() -> shared::mtls::RegistryError);

impl shared::mtls::ClientRegistry for Failing {
    fn get<'a>(
        &'a self,
        _client_id: &'a str,
        _serial: &'a str,
    ) -> shared::mtls::registry::BoxFuture<'a, Result<Option<shared::mtls::RegistryItem>, shared::mtls::RegistryError>>
    {
        let error = (self.0)();
        Box::pin(async move { Err(error) })
    }
}

/// A registry fault, through the whole pipeline: a Deny on the whole stage (403), never a
/// 401 that would send the caller to authenticate again, and never an Allow.
#[tokio::test]
async fn a_registry_fault_is_a_deny_on_the_stage() {
    use shared::mtls::RegistryError;
    type Fault = fn() -> RegistryError;
    let faults: [(Fault, &str); 5] = [
        (|| RegistryError::Throttled, "registry_throttled"),
        (|| RegistryError::Timeout, "registry_timeout"),
        (|| RegistryError::Unavailable("connection refused".to_owned()), "registry_unavailable"),
        (|| RegistryError::MalformedItem("status: missing".to_owned()), "registry_item_malformed"),
        (|| RegistryError::Other("boom".to_owned()), "registry_error"),
    ];
    for (fault, reason) in faults {
        let mut env = base_env();
        env.push(("AUTHZ_REGISTRY_TABLE".to_owned(), "clients".to_owned()));
        env.push(("AUTHZ_REGISTRY_CACHE_TTL_SECS".to_owned(), "0".to_owned()));
        let config = AuthorizerConfig::from_env(&Env::from_pairs(env)).unwrap();
        let registry: Arc<dyn shared::mtls::ClientRegistry> = Arc::new(Failing(fault));
        let authorizer = Authorizer::from_config(config, Some(registry), Arc::new(NullSink)).await.unwrap();
        for file in ["mtls-rest/allow-active-cert.json", "mtls-http-v2/allow-cert-and-jwt.json"] {
            let event = std::fs::read(events_dir().join(file)).unwrap();
            let v = authorizer.evaluate(&event, REPLAY_NOW).await;
            assert_eq!((v.outcome, v.reason.code()), (Outcome::Deny, reason), "{file}");
            let response = authorizer.respond(&v).unwrap().to_json();
            let statements = response["policyDocument"]["Statement"].as_array().unwrap();
            let stage = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/*/*";
            assert_eq!(statements.len(), 1, "{file}: {response}");
            assert_eq!(
                (statements[0]["Effect"].as_str(), statements[0]["Resource"][0].as_str()),
                (Some("Deny"), Some(stage))
            );
        }
    }
}

/// A credential whose method is not configured is no credential: a token to an mTLS-only
/// authorizer is refused as `jwt_not_configured` (and a certificate to a JWT-only one as
/// `mtls_not_configured`, in events/http-v2).
#[tokio::test]
async fn a_token_to_an_mtls_only_authorizer_is_refused() {
    // With the certificate required (the default), that is the first thing missing.
    for (required, reason) in [("true", "client_cert_required"), ("false", "jwt_not_configured")] {
        let env = [
            ("AUTHZ_REGISTRY_TABLE".to_owned(), "clients".to_owned()),
            ("AUTHZ_MTLS_REQUIRED".to_owned(), required.to_owned()),
            ("AUTHZ_POLICY_FILE".to_owned(), events_dir().join("policy.toml").to_string_lossy().into_owned()),
        ];
        let config = AuthorizerConfig::from_env(&Env::from_pairs(env)).unwrap();
        assert!(config.jwt.is_none() && config.mtls.is_some());
        let registry: Arc<dyn shared::mtls::ClientRegistry> = Arc::new(shared::mtls::memory::MemoryRegistry::new([]));
        let authorizer = Authorizer::from_config(config, Some(registry), Arc::new(NullSink)).await.unwrap();
        for file in ["rest-token/allow-jwt-rs256.json", "http-v2/allow-jwt.json", "rest-request/allow-jwt.json"] {
            let event = std::fs::read(events_dir().join(file)).unwrap();
            let v = authorizer.evaluate(&event, REPLAY_NOW).await;
            assert_eq!((v.outcome, v.reason.code()), (Outcome::Unauthorized, reason), "{file}, required {required}");
        }
    }
}

/// Claim conditions through the whole pipeline: the authorizer tells the verifier which
/// claims its policy tests, and those reach the policy from a real token.
#[tokio::test]
async fn claim_conditions_see_the_token_claims_through_the_pipeline() {
    let policy = std::env::temp_dir().join(format!("authz-claims-policy-{}.toml", std::process::id()));
    std::fs::write(
        &policy,
        r#"
[[rule]]
name = "this-jti"
auth = "jwt"
principals = ["jwt-client:orders-frontend"]
claims = { jti = "f1d0c6e2", iat = 1789999940 }
routes = ["GET /orders/{id}"]

[[rule]]
name = "other-jti"
auth = "jwt"
principals = ["jwt-client:orders-frontend"]
claims = { jti = "another" }
routes = ["DELETE /orders/{id}"]
"#,
    )
    .unwrap();
    let mut env = base_env();
    env.retain(|(k, _)| k != "AUTHZ_POLICY_FILE");
    env.push(("AUTHZ_POLICY_FILE".to_owned(), policy.to_string_lossy().into_owned()));
    let config = AuthorizerConfig::from_env(&Env::from_pairs(env)).unwrap();
    let authorizer = Authorizer::from_config(config, None, Arc::new(NullSink)).await.unwrap();
    std::fs::remove_file(&policy).unwrap();
    let user = "http-v2/allow-jwt.json";
    for (method, outcome, rule) in [("GET", Outcome::Allow, Some("this-jti")), ("DELETE", Outcome::Deny, None)] {
        let event = event_for(user, method, "/orders/42");
        let v = authorizer.evaluate(&event, REPLAY_NOW).await;
        assert_eq!((v.outcome, v.policy.as_ref().and_then(|p| p.rule.as_deref())), (outcome, rule), "{method}");
        // The identity carries the claims the policy names, and no others.
        let claims = v.identity.jwt.as_ref().map(|j| Value::Object(j.claims.clone()));
        assert_eq!(claims, Some(json!({"jti": "f1d0c6e2", "iat": 1789999940})), "{method}");
    }
}

#[track_caller]
fn check_load(text: &str, expected: &str) {
    match Policy::from_toml_str(text, "p.toml") {
        Ok(_) => panic!("loaded, expected {expected}"),
        Err(e) => assert_eq!(e.to_string(), expected),
    }
}

#[test]
fn invalid_files_are_refused_with_file_line_and_field() {
    let ok = "[[rule]]\nname = \"r\"\nauth = \"jwt\"\nroutes = [\"GET /a\"]\n";
    assert!(Policy::from_toml_str(ok, "p.toml").is_ok());
    let rule = |extra: &str| format!("[[rule]]\nname = \"r\"\nauth = \"jwt\"\n{extra}\nroutes = [\"GET /a\"]\n");
    let cases: Vec<(String, &str)> = vec![
        (rule("scope = [\"x\"]"), "p.toml:4:1: rule[0].scope: unknown field `scope`, expected one of `name`, `description`, `auth`, `principals`, `issuers`, `scopes`, `any_scopes`, `groups`, `tenants`, `claims`, `require_bound_token`, `routes`"),
        (rule("scopes = \"x\""), "p.toml:4:10: rule[0].scopes: invalid type: string \"x\", expected a sequence"),
        (rule("scopes = []"), "p.toml:4:10: rule[0].scopes: empty list: list at least one value or remove the field"),
        (rule("scopes = [\" x\"]"), "p.toml:4:11: rule[0].scopes[0]: \" x\": expected a value without surrounding spaces"),
        (rule("tenants = [\"acme\"]"), "p.toml:4:11: rule[0].tenants: needs a client certificate (tenants come from the client registry): set auth = \"mtls\" or \"jwt+mtls\""),
        (rule("require_bound_token = true"), "p.toml:4:23: rule[0].require_bound_token: needs both credentials: set auth = \"jwt+mtls\""),
        (rule("principals = [\"mtls:x\"]"), "p.toml:4:15: rule[0].principals[0]: needs a client certificate: set auth = \"mtls\", \"jwt+mtls\" or \"any\""),
        (rule("principals = [\"sub:x\"]"), "p.toml:4:15: rule[0].principals[0]: unknown principal kind \"sub\": expected mtls:, uri:, jwt-sub: or jwt-client:"),
        (rule("claims = { tier = [] }"), "p.toml:4:19: rule[0].claims.tier: empty list: list at least one value"),
        (rule("claims = { tier = { a = 1 } }"), "p.toml:4:19: rule[0].claims: a string, number or boolean, or a list of them"),
        ("[[rule]]\nname = \"r\"\nauth = \"jwt\"\n".to_owned(), "p.toml:1:1: rule[0].routes: missing field `routes`"),
        ("[[rule]]\nname = \"r\"\nauth = \"jwt\"\nroutes = [\"GET /a\",\n  \"get /b\"]\n".to_owned(), "p.toml:5:3: rule[0].routes[1]: unknown method \"get\": expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *"),
        ("[[rule]]\nname = \"r\"\nauth = \"jwt\"\nroutes = [\"GET /a/{id\"]\n".to_owned(), "p.toml:4:11: rule[0].routes[0]: character '{' is not allowed in path segment \"{id\""),
        ("[[rule]]\nname = \"r\"\nauth = \"jwt\"\nroutes = []\n".to_owned(), "p.toml:4:10: rule[0].routes: empty list: a rule must grant at least one route"),
        ("[[rule]]\nname = \"r\"\nauth = \"jwt \"\nroutes = [\"GET /a\"]\n".to_owned(), "p.toml:3:8: rule[0].auth: \"jwt \": expected \"jwt\", \"mtls\", \"jwt+mtls\" or \"any\""),
        ("[[rule]]\nname = \"r s\"\nauth = \"jwt\"\nroutes = [\"GET /a\"]\n".to_owned(), "p.toml:2:8: rule[0].name: \"r s\": expected 1 to 64 of A-Z a-z 0-9 - _ . :"),
        (format!("{ok}{ok}"), "p.toml:6:8: rule[1].name: rule name \"r\" is already used at line 2"),
        ("[[rule]]\nname = \"r\"\nauth = \"jwt\"\nroutes = [\"GET /a\", \"GET /a\"]\n".to_owned(), "p.toml:4:21: rule[0].routes[1]: \"GET /a\" is listed twice"),
        ("[[rule]]\nname = \"r\"\nauth = jwt\n".to_owned(), "p.toml:3:8: rule[0].auth: string values must be quoted, expected literal string"),
        ("rules = []\n".to_owned(), "p.toml:1:1: rules: unknown field `rules`, expected `rule`"),
        (
            "[[rule]]\nname = \"readers\"\nauth = \"jwt\"\nroutes = [\"GET /orders/{id}\"]\n\n[[rule]]\nname = \"refunds\"\nauth = \"jwt\"\nroutes = [\"GET /orders/{id}/refunds\"]\n".to_owned(),
            "p.toml:4:11: rule[0].routes[0]: \"GET /orders/{id}\" also grants \"GET /orders/{id}/refunds\" of rule \"refunds\" (line 9): the cached IAM policy says GET/orders/* and * spans \"/\"; write the route with a trailing /* to grant everything below on purpose",
        ),
    ];
    for (text, expected) in &cases {
        check_load(text, expected);
    }
    // The wider grant, said on purpose, loads.
    assert!(Policy::from_toml_str("[[rule]]\nname = \"a\"\nauth = \"jwt\"\nroutes = [\"GET /orders/*\"]\n[[rule]]\nname = \"b\"\nauth = \"jwt\"\nroutes = [\"GET /orders/{id}/refunds\"]\n", "p.toml").is_ok());
}

#[test]
fn the_policy_file_is_required_and_read_from_authz_policy_file() {
    assert_eq!(
        Policy::from_env(&Env::from_pairs([("AUTHZ_OTHER", "x")])).map(|_| ()),
        Err(ConfigError::new(
            "AUTHZ_POLICY_FILE",
            "required: the path of the policy file (TOML) saying which routes who may call"
        ))
    );
    assert_eq!(
        Policy::from_env(&Env::from_pairs([("AUTHZ_POLICY_FILE", "/nonexistent/policy.toml")])).map(|_| ()),
        Err(ConfigError::new(
            "AUTHZ_POLICY_FILE",
            "/nonexistent/policy.toml: cannot read the policy file: No such file or directory (os error 2)"
        ))
    );
    let path = events_dir().join("policy.toml");
    let p = Policy::from_env(&Env::from_pairs([("AUTHZ_POLICY_FILE", path.to_string_lossy())])).unwrap();
    let names: Vec<&str> = p.rule_names().collect();
    assert_eq!(
        names,
        [
            "orders-frontend-reads-orders",
            "reconciler-posts-payments",
            "payments-frontend-mtls",
            "payments-frontend-bound-refunds"
        ]
    );
    let v = p.evaluate(
        &id_mtls(cert("payments-frontend", Some("acme"), &["payments:write", "orders:read"])),
        &request("GET", "/orders/42"),
    );
    assert_eq!((v.allowed, v.rule.as_deref()), (true, Some("payments-frontend-mtls")));
    assert_eq!(
        v.grants,
        vec![
            Grant { method: "GET".into(), path: "/orders/*".into() },
            Grant { method: "POST".into(), path: "/payments".into() }
        ]
    );
}
