//! The built `authorizer` binary verifies tokens: `jsonwebtoken` panics at runtime when its
//! crypto backend is missing, so this runs the real binary (as Lambda would, against a local
//! Runtime API) with a JWKS served on 127.0.0.1 and checks that it allows good tokens and
//! refuses forged ones. Needs `cargo build -p authorizer` first (`make test` does it).

// Test code: a failed unwrap or index is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod jwt_support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authorizer_tests::runtime_api::{ApiEvent, RuntimeApi, authorizer_binary, logged_reason, spawn_function};
use jwt_support::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long an answer or a decision line may take (a first JWKS fetch on a busy machine).
const WAIT: Duration = Duration::from_secs(30);

/// What the function answered: `allow <principal>`, `deny` or `error <message>`.
fn answer(event: Option<ApiEvent>) -> String {
    match event {
        Some(ApiEvent::Response { body, .. }) => {
            let v: Value = serde_json::from_slice(&body).unwrap();
            let effect = v["policyDocument"]["Statement"][0]["Effect"].as_str().unwrap_or("none").to_lowercase();
            format!("{effect} {}", v["principalId"].as_str().unwrap_or_default())
        }
        Some(ApiEvent::Error { body, .. }) => {
            let v: Value = serde_json::from_slice(&body).unwrap();
            format!("error {}", v["errorMessage"].as_str().unwrap_or_default())
        }
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn the_built_binary_verifies_tokens_with_its_crypto_backend() {
    let binary = authorizer_binary();
    assert!(binary.exists(), "{} is missing: run `cargo build -p authorizer` first", binary.display());
    let k = keys();
    let server = JwksServer::start(Mode::Status(500)).await;
    server.serve(&[k.rsa.jwk("rsa"), k.p256.jwk("ec"), k.ed.jwk("ed")]);
    let issuers = json!([{"issuer": server.issuer(), "audiences": ["api"], "algorithms": ["RS256", "ES256", "EdDSA"]}]);
    let dir = std::env::temp_dir().join(format!("authz-jwt-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    let rule = "[[rule]]\nname = \"user-9-orders\"\nauth = \"jwt\"\nprincipals = [\"jwt-sub:user-9\"]\nroutes = [\"GET /orders/{id}\"]\n";
    std::fs::write(&policy, rule).unwrap();
    let env = vec![
        ("AUTHZ_JWT_ISSUERS".to_owned(), issuers.to_string()),
        ("AUTHZ_JWT_ALLOW_LOOPBACK_HTTP".to_owned(), "true".to_owned()),
        ("AUTHZ_POLICY_FILE".to_owned(), policy.to_string_lossy().into_owned()),
        // The longest fetch budget: the binary's first fetch on a busy machine is not the test.
        ("AUTHZ_JWKS_TIMEOUT_MS".to_owned(), "1500".to_owned()),
    ];
    let mut api = RuntimeApi::start().await.unwrap();
    let mut function = spawn_function(&binary, api.addr, &env).unwrap();
    let mut lines = BufReader::new(function.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();

    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = json!({"iss": server.issuer(), "sub": "user-9", "aud": "api", "exp": now + 600, "iat": now - 5});
    let cases = [
        (
            "rs256",
            sign_raw(&json!({"alg": "RS256", "kid": "rsa"}), &claims, &k.rsa.encoding),
            "allow user-9",
            "allowed",
        ),
        (
            "es256",
            sign_raw(&json!({"alg": "ES256", "kid": "ec"}), &claims, &k.p256.encoding),
            "allow user-9",
            "allowed",
        ),
        ("eddsa", sign_raw(&json!({"alg": "EdDSA", "kid": "ed"}), &claims, &k.ed.encoding), "allow user-9", "allowed"),
        (
            "forged",
            sign_raw(&json!({"alg": "ES256", "kid": "ec"}), &claims, &k.attacker.encoding),
            "error Unauthorized",
            "jwt_signature_invalid",
        ),
        ("alg none", unsigned(&json!({"alg": "none", "kid": "ec"}), &claims, ""), "error Unauthorized", "jwt_alg_none"),
    ];
    for (i, (name, token, expected, reason)) in cases.into_iter().enumerate() {
        let event = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders/42"});
        let id = format!("req-{i}");
        api.invoke(&id, event.to_string().as_bytes());
        let got = answer(api.answer(WAIT).await);
        assert_eq!(got, expected, "case {name}");
        // The refusals are the ones their names say, not some other refusal.
        assert_eq!(logged_reason(&mut lines, &mut seen, &id, WAIT).await, reason, "case {name}");
    }
    assert_eq!(server.hits(), 1, "one JWKS fetch for every token");
}
