//! JWT speed (issue 3): the whole handler (event JSON in, response JSON out, warm key cache,
//! decision log line formatted as in the Lambda) for RS256 and ES256 tokens, next to the raw
//! signature verify of the same backend on the same machine. Target: handler ≤ 1.15× raw.
//!
//! Run: `cargo bench -p authorizer-tests --bench jwt`. Rounds of raw and handler calls are
//! interleaved so that clock-speed drift hits both alike; the figure is the median round.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/jwt_support/mod.rs"]
mod jwt_support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use jwt_support::*;
use serde_json::{Value, json};
use shared::authorizer::{Authorizer, AuthorizerConfig, Invocation};
use shared::config::Env;
use shared::jwt::verify_signature;
use shared::telemetry::NullSink;

/// Rounds per figure; `JWT_BENCH_ROUNDS` overrides it (e.g. 1 under callgrind).
fn rounds() -> usize {
    std::env::var("JWT_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(31)
}

fn decoding_key(jwk: &Value) -> DecodingKey {
    let d = |f: &str| URL_SAFE_NO_PAD.decode(jwk[f].as_str().unwrap()).unwrap();
    match jwk["kty"].as_str().unwrap() {
        "RSA" => DecodingKey::from_rsa_raw_components(&d("n"), &d("e")),
        _ => {
            let mut point = vec![4u8];
            point.extend(d("x"));
            point.extend(d("y"));
            DecodingKey::from_ec_der(&point)
        }
    }
}

/// Median of per-round mean nanoseconds per call.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn token_event(token: &str) -> Vec<u8> {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42"})
    .to_string()
    .into_bytes()
}

fn rest_request_event(token: &str) -> Vec<u8> {
    json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42",
        "resource": "/orders/{id}", "path": "/orders/42", "httpMethod": "GET",
        "headers": {"Authorization": format!("Bearer {token}"), "Host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "User-Agent": "curl/8.5.0", "Accept": "*/*", "X-Amzn-Trace-Id": "Root=1-65f0c3a1-0123456789abcdef01234567",
            "X-Forwarded-For": "10.0.1.23", "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"},
        "multiValueHeaders": {"Authorization": [format!("Bearer {token}")], "Accept": ["*/*"]},
        "queryStringParameters": {}, "pathParameters": {"id": "42"}, "stageVariables": {},
        "requestContext": {"path": "/prod/orders/42", "accountId": "123456789012", "resourceId": "abc123",
            "stage": "prod", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "resourcePath": "/orders/{id}",
            "httpMethod": "GET", "apiId": "a1b2c3d4e5", "identity": {"sourceIp": "10.0.1.23", "userAgent": "curl/8.5.0"}}
    })
    .to_string()
    .into_bytes()
}

fn main() {
    let k = keys();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // The Lambda's JSON log line, formatted and thrown away.
    tracing_subscriber::fmt().json().flatten_event(true).with_writer(std::io::sink).init();

    let jwks_dir = std::env::temp_dir().join(format!("authz-jwt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&jwks_dir).unwrap();
    let jwks_file = jwks_dir.join("jwks.json");
    std::fs::write(&jwks_file, json!({"keys": [k.rsa.jwk("rsa-1"), k.p256.jwk("ec-1")]}).to_string()).unwrap();
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI";
    let issuers = json!([{"issuer": iss, "audiences": ["orders-api"], "algorithms": ["RS256", "ES256"],
        "jwks_file": jwks_file}]);
    let policy_file = jwks_dir.join("policy.toml");
    let policy = "[[rule]]\nname = \"orders-app\"\nauth = \"jwt\"\nprincipals = [\"jwt-client:3n4b5urk1ft4fl3mg5e62d9ado\"]\n\
                  scopes = [\"orders/read\"]\nroutes = [\"GET /orders\", \"GET /orders/{id}\"]\n";
    std::fs::write(&policy_file, policy).unwrap();
    let env = Env::from_pairs([
        ("AUTHZ_JWT_ISSUERS", issuers.to_string()),
        ("AUTHZ_POLICY_FILE", policy_file.to_string_lossy().into_owned()),
    ]);
    let verifier = runtime.block_on(async {
        let config = shared::jwt::JwtConfig::from_env(&env).unwrap().unwrap();
        shared::jwt::JwtVerifier::new(config).await.unwrap()
    });
    let authorizer = runtime.block_on(async {
        let config = AuthorizerConfig::from_env(&env).unwrap();
        Authorizer::from_config(config, None, Arc::new(NullSink)).await.unwrap()
    });

    let now = 1_800_000_000u64;
    let claims = json!({"iss": iss, "sub": "5c1e4b7a-0d3f-4c1e-9a55-2f3b4c5d6e7f", "aud": "orders-api",
        "client_id": "3n4b5urk1ft4fl3mg5e62d9ado", "token_use": "access", "scope": "orders/read orders/write",
        "auth_time": now - 120, "iat": now - 120, "nbf": now - 120, "exp": now + 3480,
        "jti": "e0c1a3b4-5d6e-4f70-8192-a3b4c5d6e7f8", "username": "alice", "cognito:groups": ["ops"]});

    println!(
        "{:<6} {:>11} {:>11} {:>15} {:>17}   (median µs per call; ratio to raw verify; target ≤ 1.15x)",
        "alg", "raw verify", "jwt verify", "handler TOKEN", "handler REQUEST"
    );
    for (alg, kid, key, jwk) in [
        (Algorithm::RS256, "rsa-1", &k.rsa.encoding, k.rsa.jwk("rsa-1")),
        (Algorithm::ES256, "ec-1", &k.p256.encoding, k.p256.jwk("ec-1")),
    ] {
        let name = format!("{alg:?}");
        let token = sign_raw(&json!({"alg": name, "kid": kid, "typ": "JWT"}), &claims, key);
        let (input, sig) = token.rsplit_once('.').unwrap();
        let (message, signature) = (input.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(sig).unwrap());
        let decoding = decoding_key(&jwk);
        let events = [token_event(&token), rest_request_event(&token)];

        // A benchmark of a refusal would be meaningless: check once that every path allows.
        verify_signature(alg, &decoding, &message, &signature).unwrap();
        runtime.block_on(async {
            verifier.verify(&token, now).await.unwrap();
            for event in &events {
                let r = authorizer.handle(event, Invocation { request_id: "warm", now }).await.unwrap();
                let answer: Value = serde_json::from_slice(&serde_json::to_vec(&r).unwrap()).unwrap();
                assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow", "{answer}");
            }
        });

        let iters = 400;
        let mut figures: [Vec<f64>; 4] = Default::default();
        for _ in 0..rounds() {
            let t = Instant::now();
            for _ in 0..iters {
                black_box(verify_signature(alg, black_box(&decoding), black_box(&message), black_box(&signature)))
                    .unwrap();
            }
            figures[0].push(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            runtime.block_on(async {
                for _ in 0..iters {
                    black_box(verifier.verify(black_box(&token), now).await.unwrap());
                }
            });
            figures[1].push(t.elapsed().as_nanos() as f64 / iters as f64);
            for (i, event) in events.iter().enumerate() {
                let t = Instant::now();
                runtime.block_on(async {
                    for _ in 0..iters {
                        let r = authorizer.handle(black_box(event), Invocation { request_id: "bench", now }).await;
                        black_box(serde_json::to_vec(&r.unwrap()).unwrap());
                    }
                });
                figures[2 + i].push(t.elapsed().as_nanos() as f64 / iters as f64);
            }
        }
        let [raw, jwt, token_handler, request_handler] = figures.map(median);
        let cell = |v: f64| format!("{:.1} {:.2}x", v / 1000.0, v / raw);
        println!(
            "{:<6} {:>11.1} {:>11} {:>15} {:>17}",
            name,
            raw / 1000.0,
            cell(jwt),
            cell(token_handler),
            cell(request_handler)
        );
    }
    let _ = std::fs::remove_dir_all(jwks_dir);
}
