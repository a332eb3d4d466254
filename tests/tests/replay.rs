//! Replays every event in `events/` through the real handler and compares each answer with
//! the expected file beside it; then proves that no token, signature or certificate from
//! those events reached a log line or a metric.
//!
//! `UPDATE_EXPECT=1` rewrites the expected files from what the handler answered (review the
//! diff before committing).

// Test helpers outside `#[test]` functions: failing loudly is the point.
#![allow(clippy::panic)]

use std::sync::Arc;

use authorizer_tests::fixtures::{Expected, REPLAY_NOW, Suite, base_env, load_suites, secrets_in};
use authorizer_tests::logs;
use authorizer_tests::registry::Seeded;
use serde_json::{Value, json};
use shared::authorizer::{Authorizer, AuthorizerConfig, Invocation};
use shared::config::Env;
use shared::telemetry::MemorySink;

async fn build(suite: &Suite, registry: Option<&Seeded>, metrics: &MemorySink) -> Authorizer {
    let mut env = base_env();
    if suite.registry {
        env.push(("AUTHZ_REGISTRY_TABLE".to_owned(), authorizer_tests::registry::TABLE.to_owned()));
        env.push(("AUTHZ_REGISTRY_CACHE_TTL_SECS".to_owned(), "0".to_owned()));
        env.push(("AUTHZ_REGISTRY_NEGATIVE_CACHE_TTL_SECS".to_owned(), "0".to_owned()));
    }
    env.extend(suite.env.iter().cloned());
    let config = AuthorizerConfig::from_env(&Env::from_pairs(env))
        .unwrap_or_else(|e| panic!("suite {}: configuration refused: {e}", suite.name));
    let registry = registry.zip(config.mtls.as_ref()).map(|(r, mtls)| r.registry(mtls));
    Authorizer::from_config(config, registry, Arc::new(metrics.clone()))
        .await
        .unwrap_or_else(|e| panic!("suite {}: init failed: {e}", suite.name))
}

#[test]
fn every_event_gets_its_expected_answer_and_no_secret_is_logged() {
    let logs = logs::capture();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let suites = load_suites();
        let needs_registry = suites.iter().any(|s| s.registry);
        let registry = if needs_registry { Some(authorizer_tests::registry::seeded().await) } else { None };
        let update = std::env::var_os("UPDATE_EXPECT").is_some();
        let metrics = MemorySink::default();
        let (mut failures, mut secrets, mut replayed) = (Vec::new(), Vec::new(), 0usize);

        for suite in &suites {
            let authorizer = build(suite, registry.as_ref().filter(|_| suite.registry), &metrics).await;
            for case in &suite.cases {
                replayed += 1;
                secrets.extend(secrets_in(&case.event));
                let verdict = authorizer.evaluate(&case.event, REPLAY_NOW).await;
                let request_id = format!("replay-{}", case.name);
                let answer =
                    authorizer.handle(&case.event, Invocation { request_id: &request_id, now: REPLAY_NOW }).await;
                let got = match &answer {
                    Ok(r) => Expected::Response(r.to_json()),
                    Err(_) => Expected::Unauthorized,
                };
                if update {
                    let file = authorizer_tests::fixtures::events_dir().join(format!("{}.expected.json", case.name));
                    let body = match &got {
                        Expected::Response(v) => json!({"reason": verdict.reason.code(), "response": v}),
                        Expected::Unauthorized => json!({"reason": verdict.reason.code(), "error": "Unauthorized"}),
                    };
                    std::fs::write(&file, format!("{}\n", serde_json::to_string_pretty(&body).unwrap())).unwrap();
                    continue;
                }
                if verdict.reason.code() != case.reason || got != case.expected {
                    failures.push(format!(
                        "{}:\n  expected reason {} and {}\n  got      reason {} and {}",
                        case.name,
                        case.reason,
                        show(&case.expected),
                        verdict.reason,
                        show(&got)
                    ));
                }
                if !logs.contents().contains(&format!("\"request_id\":\"{request_id}\"")) {
                    failures.push(format!("{}: no decision log line with its request id", case.name));
                }
            }
        }
        assert!(replayed >= 40, "only {replayed} events replayed: is events/ there?");
        assert!(failures.is_empty(), "{} of {replayed} events failed:\n{}", failures.len(), failures.join("\n"));

        let metric_lines = metrics.0.lock().unwrap().clone();
        assert_eq!(metric_lines.len(), replayed, "one EMF line per decision");
        let logged = logs.contents();
        let emitted = metric_lines.join("\n");
        assert!(secrets.len() > 40, "the fixtures carry tokens and certificates to look for");
        for secret in &secrets {
            assert!(!logged.contains(secret.as_str()), "a secret from the events is in the logs: {}...", &secret[..12]);
            assert!(!emitted.contains(secret.as_str()), "a secret from the events is in the metrics");
        }
        for key in std::fs::read_dir(authorizer_tests::fixtures::events_dir().join("keys")).unwrap() {
            let text = std::fs::read_to_string(key.unwrap().path()).unwrap_or_default();
            for line in text.lines().filter(|l| l.len() > 40 && !l.starts_with("-----")) {
                assert!(!logged.contains(line), "key material from events/keys is in the logs");
            }
        }
    });
}

fn show(e: &Expected) -> String {
    match e {
        Expected::Response(v) => format!("response {}", compact(v)),
        Expected::Unauthorized => "error Unauthorized".to_owned(),
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
