//! The JWKS cache against a real HTTP server on 127.0.0.1: key rotation, refetch throttling,
//! one shared fetch for concurrent misses, stale keys on fetch errors, a hanging endpoint,
//! bundled JWKS files, fetch at init; and the build facts behind the crypto backend.

// Test code: a failed unwrap or index is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod jwt_support;

use std::sync::Arc;
use std::time::Duration;

use jwt_support::*;
use serde_json::{Value, json};
use shared::config::Env;
use shared::jwt::{JwtConfig, JwtVerifier};

const AUD: &str = "api";

#[track_caller]
fn check(name: &str, got: (u16, &str), expected: (u16, &str)) {
    assert_eq!(got, expected, "case {name}");
}

fn token(iss: &str, kid: &str) -> String {
    let k = keys();
    let claims = json!({"iss": iss, "sub": "u", "aud": AUD, "exp": NOW + 86_400, "iat": NOW});
    match kid {
        "ec" | "ec-new" => sign_raw(&json!({"alg": "ES256", "kid": kid}), &claims, &k.p256.encoding),
        _ => sign_raw(&json!({"alg": "RS256", "kid": kid}), &claims, &k.rsa.encoding),
    }
}

fn issuer(server: &JwksServer, extra: Value) -> Value {
    let mut i = json!({"issuer": server.issuer(), "audiences": [AUD], "algorithms": ["RS256", "ES256"]});
    i.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!([i])
}

/// Verifies `kid`'s token at `now` and returns the outcome with the server's hit count.
async fn step(v: &JwtVerifier, server: &JwksServer, kid: &str, now: u64) -> ((u16, &'static str), usize) {
    let got = status(&v.verify(&token(&server.issuer(), kid), now).await);
    (got, server.hits())
}

#[tokio::test]
async fn key_rotation_and_refetch_throttling() {
    let k = keys();
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&[k.rsa.jwk("rsa")]);
    let v = verifier(issuer(&server, json!({})), &[("AUTHZ_JWKS_REFETCH_INTERVAL_SECS", "60")]).await;
    assert_eq!(server.hits(), 0, "no fetch before the first token");
    // (name, kid of the token, now, JWKS the server switches to first, (outcome, fetches so far))
    type Step<'a> = (&'a str, &'a str, u64, Option<Vec<Value>>, ((u16, &'a str), usize));
    let steps: Vec<Step> = vec![
        ("first token fetches", "rsa", NOW, None, ((200, "ok"), 1)),
        ("cached", "rsa", NOW + 1, None, ((200, "ok"), 1)),
        ("unknown kid, refetch not due", "ec", NOW + 1, None, ((401, "jwt_kid_unknown"), 1)),
        ("another unknown kid, still not due", "nope", NOW + 59, None, ((401, "jwt_kid_unknown"), 1)),
        (
            "rotation: new kid appears, not due yet",
            "ec",
            NOW + 59,
            Some(vec![k.rsa.jwk("rsa"), k.p256.jwk("ec")]),
            ((401, "jwt_kid_unknown"), 1),
        ),
        ("rotation: due, refetched", "ec", NOW + 60, None, ((200, "ok"), 2)),
        ("old key still served", "rsa", NOW + 61, None, ((200, "ok"), 2)),
        ("path traversal kid", "../../../../etc/passwd", NOW + 200, None, ((401, "jwt_kid_unknown"), 3)),
        (
            "retired key gone after the next refetch",
            "ec-new",
            NOW + 300,
            Some(vec![k.p256.jwk("ec-new")]),
            ((200, "ok"), 4),
        ),
        ("removed kid is unknown", "rsa", NOW + 301, None, ((401, "jwt_kid_unknown"), 4)),
    ];
    for (name, kid, now, serve, expected) in steps {
        if let Some(keys) = serve {
            server.serve(&keys);
        }
        let (got, hits) = step(&v, &server, kid, now).await;
        check(name, got, expected.0);
        assert_eq!(hits, expected.1, "hits after {name}");
    }
}

#[tokio::test]
async fn endpoint_failures_keep_cached_keys_and_deny_only_unknown_kids() {
    let k = keys();
    let oversize = json!({"keys": [k.rsa.jwk("rsa")], "pad": "x".repeat(70 * 1024)}).to_string();
    let failures = vec![
        ("http 503", Mode::Status(503)),
        ("http 404", Mode::Status(404)),
        ("connection closed", Mode::Close),
        ("redirect not followed", Mode::Redirect("/elsewhere".into())),
        ("not json", Mode::Serve("<html>".into())),
        ("no usable key", Mode::Serve(json!({"keys": [{"kty": "oct", "kid": "x", "k": "c2VjcmV0"}]}).to_string())),
        ("empty key set", Mode::Serve(json!({"keys": []}).to_string())),
        ("over the size bound", Mode::Serve(oversize)),
    ];
    for (name, failure) in failures {
        let server = JwksServer::start(Mode::Status(500)).await;
        server.serve(&[k.rsa.jwk("rsa")]);
        let v = verifier(issuer(&server, json!({})), &[]).await;
        check(name, step(&v, &server, "rsa", NOW).await.0, (200, "ok"));
        server.set(failure);
        check(name, step(&v, &server, "ec", NOW + 120).await.0, (403, "jwks_unavailable"));
        assert_eq!(server.hits(), 2, "{name}: one refetch");
        check(name, step(&v, &server, "rsa", NOW + 121).await.0, (200, "ok"));
        check(name, step(&v, &server, "ec", NOW + 121).await.0, (403, "jwks_unavailable"));
        assert_eq!(server.hits(), 2, "{name}: no second refetch within the interval");
        server.serve(&[k.rsa.jwk("rsa"), k.p256.jwk("ec")]);
        check(name, step(&v, &server, "ec", NOW + 180).await.0, (200, "ok"));
    }
}

#[tokio::test]
async fn endpoint_down_before_any_key_is_a_fault() {
    let server = JwksServer::start(Mode::Status(503)).await;
    let v = verifier(issuer(&server, json!({})), &[]).await;
    check("cold cache, endpoint down", step(&v, &server, "rsa", NOW).await.0, (403, "jwks_unavailable"));
    // Nothing listens on port 9 of 127.0.0.1 (discard): connection refused.
    let refused = json!([{"issuer": "http://127.0.0.1:9", "audiences": [AUD]}]);
    let v = verifier(refused, &[]).await;
    let got = status(&v.verify(&token("http://127.0.0.1:9", "rsa"), NOW).await);
    check("connection refused", got, (403, "jwks_unavailable"));
}

#[tokio::test]
async fn https_uris_are_fetched_over_tls_only() {
    // An https URI pointing at a plain-HTTP server: the client must insist on TLS, so the
    // handshake fails and nothing is read from the plain answer.
    let k = keys();
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&[k.rsa.jwk("rsa")]);
    let https_iss = server.issuer().replace("http://", "https://");
    let v = verifier(json!([{"issuer": https_iss, "audiences": [AUD]}]), &[]).await;
    let got = status(&v.verify(&token(&https_iss, "rsa"), NOW).await);
    check("https to a plain http server", got, (403, "jwks_unavailable"));
    assert_eq!(server.hits(), 0, "no plain-text request was sent");
}

#[tokio::test]
async fn hanging_endpoint_is_denied_within_the_budget() {
    let server = JwksServer::start(Mode::Hang).await;
    let v = verifier(
        issuer(&server, json!({})),
        &[("AUTHZ_JWKS_TIMEOUT_MS", "300"), ("AUTHZ_JWKS_CONNECT_TIMEOUT_MS", "100")],
    )
    .await;
    // The outer timeout only keeps a broken build from hanging the suite; the verifier's own
    // budget (300 ms here) is what ends the fetch.
    let got = tokio::time::timeout(Duration::from_secs(20), v.verify(&token(&server.issuer(), "rsa"), NOW)).await;
    check("hanging endpoint", status(&got.unwrap()), (403, "jwks_unavailable"));
    assert_eq!(server.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_share_one_fetch() {
    let k = keys();
    let server = JwksServer::start(Mode::Delayed(200, json!({"keys": [k.rsa.jwk("rsa")]}).to_string())).await;
    let v = Arc::new(verifier(issuer(&server, json!({})), &[]).await);
    let mut tasks = Vec::new();
    for i in 0..16u64 {
        let (v, iss) = (v.clone(), server.issuer());
        let kid = if i % 2 == 0 { "rsa" } else { "unknown" };
        tasks.push(tokio::spawn(async move { (kid, status(&v.verify(&token(&iss, kid), NOW).await)) }));
    }
    for task in tasks {
        let (kid, got) = task.await.unwrap();
        let expected = if kid == "rsa" { (200, "ok") } else { (401, "jwt_kid_unknown") };
        check(kid, got, expected);
    }
    assert_eq!(server.hits(), 1, "one fetch for sixteen concurrent misses");
}

/// A key the issuer withdraws stops verifying once the cached set reaches
/// `AUTHZ_JWKS_MAX_AGE_SECS`, although no new `kid` triggers a refetch; until then, no fetch.
#[tokio::test]
async fn a_withdrawn_key_stops_verifying_at_the_configured_maximum_age() {
    let k = keys();
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&[k.rsa.jwk("rsa"), k.p256.jwk("ec")]);
    let v = verifier(
        issuer(&server, json!({})),
        &[("AUTHZ_JWKS_MAX_AGE_SECS", "120"), ("AUTHZ_JWKS_REFETCH_INTERVAL_SECS", "60")],
    )
    .await;
    check("first token fetches", step(&v, &server, "rsa", NOW).await.0, (200, "ok"));
    server.serve(&[k.p256.jwk("ec")]);
    assert_eq!(step(&v, &server, "rsa", NOW + 119).await, ((200, "ok"), 1), "younger than the maximum age");
    assert_eq!(step(&v, &server, "rsa", NOW + 120).await, ((401, "jwt_kid_unknown"), 2), "withdrawn");
    assert_eq!(step(&v, &server, "ec", NOW + 121).await, ((200, "ok"), 2), "the kept key, from the new set");
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("authz-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn bundled_jwks_file_needs_no_network() {
    let k = keys();
    let file = temp_file("bundled.json", &json!({"keys": [k.rsa.jwk("rsa")]}).to_string());
    let server = JwksServer::start(Mode::Status(503)).await;
    let v = verifier(issuer(&server, json!({"jwks_file": file})), &[]).await;
    check("bundled key", step(&v, &server, "rsa", NOW).await.0, (200, "ok"));
    assert_eq!(server.hits(), 0, "no network on cold start");
    check("kid not bundled, endpoint down", step(&v, &server, "ec", NOW).await.0, (403, "jwks_unavailable"));
    assert_eq!(server.hits(), 1);
    check("bundled key after a failed refetch", step(&v, &server, "rsa", NOW).await.0, (200, "ok"));
}

#[tokio::test]
async fn bad_bundled_files_stop_the_start() {
    let server = JwksServer::start(Mode::Status(503)).await;
    let bad = temp_file("bad.json", r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#);
    let missing = std::env::temp_dir().join("authz-jwt-no-such-file.json");
    for (name, path, expected) in
        [("no usable key", bad, "no usable signature key"), ("missing file", missing, "jwks file")]
    {
        let issuers = issuer(&server, json!({"jwks_file": path})).to_string();
        let pairs = [("AUTHZ_JWT_ISSUERS", issuers.as_str()), ("AUTHZ_JWT_ALLOW_LOOPBACK_HTTP", "true")];
        let config = JwtConfig::from_env(&Env::from_pairs(pairs)).unwrap().unwrap();
        let err = JwtVerifier::new(config).await.map(|_| ()).unwrap_err().to_string();
        assert!(err.contains(expected), "{name}: {err}");
    }
}

#[tokio::test]
async fn fetch_at_init() {
    let k = keys();
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&[k.rsa.jwk("rsa")]);
    let v = verifier(issuer(&server, json!({"fetch_jwks_at_init": true})), &[]).await;
    assert_eq!(server.hits(), 1, "fetched at init");
    check("key fetched at init", step(&v, &server, "rsa", NOW).await.0, (200, "ok"));
    assert_eq!(server.hits(), 1);

    let down = JwksServer::start(Mode::Status(503)).await;
    let v = verifier(issuer(&down, json!({"fetch_jwks_at_init": true})), &[]).await;
    assert_eq!(down.hits(), 1, "init fetch failed but the process starts");
    down.serve(&[k.rsa.jwk("rsa")]);
    check("first token retries the fetch", step(&v, &down, "rsa", NOW).await.0, (200, "ok"));
    assert_eq!(down.hits(), 2);
}

#[test]
fn configuration_refuses_to_start_without_issuer_or_audience() {
    let cases = [
        (vec![("AUTHZ_JWT_LEEWAY_SECS", "10")], "no issuer"),
        (vec![("AUTHZ_JWT_ISSUERS", "[]")], "no issuer"),
        (vec![("AUTHZ_JWT_ISSUERS", r#"[{"issuer":"https://idp.example"}]"#)], "no audiences"),
    ];
    for (pairs, expected) in cases {
        let err = JwtConfig::from_env(&Env::from_pairs(pairs)).unwrap_err();
        assert_eq!(err.var, "AUTHZ_JWT_ISSUERS");
        assert!(err.problem.contains(expected), "{err}");
    }
}

/// The lockfile of this workspace, as built.
fn lockfile() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap()
}

/// The dependency names of `package` in Cargo.lock.
fn lock_deps(lock: &str, package: &str) -> Vec<String> {
    let start = lock.find(&format!("name = \"{package}\"\n")).unwrap();
    let entry = lock[start..].split("\n\n").next().unwrap();
    entry
        .lines()
        .filter(|l| l.starts_with(" \""))
        .map(|l| l.trim().trim_matches([',', '"']).split(' ').next().unwrap().to_owned())
        .collect()
}

#[test]
fn exactly_one_crypto_backend_and_no_openssl() {
    let lock = lockfile();
    let deps = lock_deps(&lock, "jsonwebtoken");
    assert!(deps.contains(&"aws-lc-rs".to_owned()), "{deps:?}");
    for rust_crypto in ["rsa", "p256", "p384", "ed25519-dalek", "hmac", "sha2", "rand"] {
        assert!(
            !deps.contains(&rust_crypto.to_owned()),
            "jsonwebtoken pulls {rust_crypto}: the rust_crypto backend is on"
        );
    }
    for absent in ["rsa", "openssl", "openssl-sys", "native-tls"] {
        assert!(!lock.contains(&format!("name = \"{absent}\"\n")), "{absent} is in Cargo.lock");
    }
}

/// A JWKS fetch that fails while a request is handled logs a WARN carrying that request's id,
/// so the warning can be joined to its decision line.
#[tokio::test]
async fn warnings_inside_an_invocation_carry_its_request_id() {
    let logs = authorizer_tests::logs::capture();
    let server = JwksServer::start(Mode::Status(503)).await;
    let issuers = issuer(&server, json!({})).to_string();
    let policy = authorizer_tests::fixtures::events_dir().join("policy.toml");
    let env = Env::from_pairs([
        ("AUTHZ_JWT_ISSUERS", issuers.as_str()),
        ("AUTHZ_JWT_ALLOW_LOOPBACK_HTTP", "true"),
        ("AUTHZ_POLICY_FILE", policy.to_str().unwrap()),
    ]);
    let config = shared::authorizer::AuthorizerConfig::from_env(&env).unwrap();
    let metrics = Arc::new(shared::telemetry::NullSink);
    let authorizer = shared::authorizer::Authorizer::from_config(config, None, metrics).await.unwrap();
    let event = json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {}", token(&server.issuer(), "rsa")),
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders/42",
    });
    let request_id = format!("warned-{}", server.base);
    let invocation = shared::authorizer::Invocation { request_id: &request_id, now: NOW };
    // A fault: denied by policy (403), not refused.
    let answer = authorizer.handle(event.to_string().as_bytes(), invocation).await.unwrap().to_json();
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny", "{answer}");
    assert_eq!(server.hits(), 1);
    let lines: Vec<Value> = logs.contents().lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let warning = lines
        .iter()
        .find(|l| l["message"] == "jwks fetch failed" && l["issuer"] == server.issuer().as_str())
        .unwrap_or_else(|| panic!("no jwks warning for {}", server.issuer()));
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["request_id"], request_id.as_str(), "{warning}");
    let decision = lines.iter().find(|l| l["target"] == "decision" && l["request_id"] == request_id.as_str());
    assert_eq!(decision.map(|d| d["reason"].clone()), Some(json!("jwks_unavailable")));
}
