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
use shared::authorizer::{Authorizer, AuthorizerConfig, Invocation, Unauthorized};
use shared::config::Env;
use shared::decision::Outcome;
use shared::response::AuthorizerResponse;
use shared::telemetry::MemorySink;

/// The suite's configuration: the base environment, the registry when the suite uses it,
/// then the suite's own variables.
fn config(suite: &Suite) -> AuthorizerConfig {
    let mut env = base_env();
    if suite.registry {
        env.push(("AUTHZ_REGISTRY_TABLE".to_owned(), authorizer_tests::registry::TABLE.to_owned()));
        env.push(("AUTHZ_REGISTRY_CACHE_TTL_SECS".to_owned(), "0".to_owned()));
        env.push(("AUTHZ_REGISTRY_NEGATIVE_CACHE_TTL_SECS".to_owned(), "0".to_owned()));
    }
    env.extend(suite.env.iter().cloned());
    AuthorizerConfig::from_env(&Env::from_pairs(env))
        .unwrap_or_else(|e| panic!("suite {}: configuration refused: {e}", suite.name))
}

/// Every suite of `events/`, in the order `load_suites` reads them.
const SUITES: [&str; 7] =
    ["http-v2", "http-v2-simple", "invalid", "mtls-http-v2", "mtls-rest", "rest-request", "rest-token"];

/// Why the outcome does not match what the case's name says (`allow-*` allows, `deny-*`
/// denies, `unauthorized-*` and every case of `invalid/` are refused with `Unauthorized`),
/// or `None` when it does; a name without one of those prefixes is itself a problem.
fn contradicts_its_name(
    name: &str,
    outcome: Outcome,
    answer: &Result<AuthorizerResponse, Unauthorized>,
) -> Option<String> {
    let (suite, case) = name.split_once('/').unwrap_or(("", name));
    let said = if suite == "invalid" {
        Outcome::Unauthorized
    } else if case.starts_with("allow-") {
        Outcome::Allow
    } else if case.starts_with("deny-") {
        Outcome::Deny
    } else if case.starts_with("unauthorized-") {
        Outcome::Unauthorized
    } else {
        return Some("the name starts with none of allow-, deny-, unauthorized-".to_owned());
    };
    let answered = match answer {
        Err(Unauthorized) => Outcome::Unauthorized,
        Ok(_) if outcome == Outcome::Unauthorized => return Some("a response for an unauthorized verdict".to_owned()),
        Ok(_) => outcome,
    };
    (answered != said).then(|| format!("named {}, answered {}", said.as_str(), answered.as_str()))
}

#[test]
fn a_case_name_must_say_its_outcome() {
    let refused: Result<AuthorizerResponse, Unauthorized> = Err(Unauthorized);
    assert_eq!(contradicts_its_name("rest-token/unauthorized-expired", Outcome::Unauthorized, &refused), None);
    assert_eq!(contradicts_its_name("invalid/not-json", Outcome::Unauthorized, &refused), None);
    assert_eq!(
        contradicts_its_name("mtls-rest/allow-active-cert", Outcome::Unauthorized, &refused).as_deref(),
        Some("named allow, answered unauthorized")
    );
    assert_eq!(
        contradicts_its_name("mtls-rest/deny-suspended-client", Outcome::Unauthorized, &refused).as_deref(),
        Some("named deny, answered unauthorized")
    );
    assert!(contradicts_its_name("http-v2/jwt-ok", Outcome::Unauthorized, &refused).is_some());
}

async fn build(suite: &Suite, registry: Option<&Seeded>, metrics: &MemorySink) -> Authorizer {
    let config = config(suite);
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
                // The name says the outcome, and is checked in both modes: a regenerated
                // expectation cannot silently turn an allow-* case into a refusal.
                if let Some(problem) = contradicts_its_name(&case.name, verdict.outcome, &answer) {
                    failures.push(format!("{}: {problem}", case.name));
                }
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
                if let Ok(response) = &answer {
                    // What lambda_runtime sends (its `serde_json::to_vec` of the handler's
                    // payload) must be what serde_json writes for the response itself.
                    let sent = serde_json::to_vec(&response.payload()).expect("the payload serializes");
                    if sent != serde_json::to_vec(response).expect("the response serializes") {
                        failures.push(format!("{}: payload {}", case.name, String::from_utf8_lossy(&sent)));
                    }
                }
                if !logs.contents().contains(&format!("\"request_id\":\"{request_id}\"")) {
                    failures.push(format!("{}: no decision log line with its request id", case.name));
                }
            }
        }
        let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, SUITES, "the suites of events/");
        assert!(suites.iter().all(|s| s.cases.len() >= 5), "a suite lost its cases");
        assert!(replayed >= 68, "only {replayed} events replayed: was a fixture lost?");
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

/// The production decoder (`event::parse_event`) against the reference decoder built on the
/// `aws_lambda_events` types: the same normalised request or the same refusal, on every
/// fixture and on variants of each REQUEST fixture with a field removed, nulled or retyped.
/// Fields the authorizer reads must agree exactly; on a field it never reads the production
/// decoder may accept what the library refuses (documented in `shared/src/event/fast.rs`),
/// never the reverse.
#[test]
fn production_and_reference_decoders_agree() {
    use shared::event::{EVENT_MALFORMED, parse_event, reference};
    const READ: &[&str] = &[
        "type",
        "version",
        "authorizationToken",
        "methodArn",
        "routeArn",
        "rawPath",
        "headers",
        "multiValueHeaders",
        "requestContext",
        "requestContext/identity",
        "requestContext/identity/clientCert",
        "requestContext/identity/clientCert/clientCertPem",
        "requestContext/identity/clientCert/serialNumber",
        "requestContext/identity/clientCert/subjectDN",
        "requestContext/identity/clientCert/issuerDN",
        "requestContext/identity/clientCert/validity",
        "requestContext/identity/clientCert/validity/notBefore",
        "requestContext/identity/clientCert/validity/notAfter",
        "requestContext/authentication",
        "requestContext/authentication/clientCert",
        "requestContext/authentication/clientCert/subjectDN",
        "requestContext/authentication/clientCert/issuerDN",
        "requestContext/authentication/clientCert/validity",
        "requestContext/authentication/clientCert/validity/notBefore",
        "requestContext/authentication/clientCert/validity/notAfter",
        "requestContext/http",
        "requestContext/http/method",
        "requestContext/http/path",
    ];
    const STRINGS: &[&str] = &[
        "methodArn",
        "routeArn",
        "authorizationToken",
        "headers/Authorization",
        "headers/authorization",
        "requestContext/identity/clientCert/clientCertPem",
        "requestContext/identity/clientCert/serialNumber",
        "requestContext/authentication/clientCert/clientCertPem",
        "requestContext/authentication/clientCert/subjectDN",
        "requestContext/identity/clientCert/subjectDN",
        "requestContext/identity/clientCert/issuerDN",
        "requestContext/identity/clientCert/validity/notBefore",
        "requestContext/authentication/clientCert/validity/notAfter",
    ];
    const UNREAD: &[&str] = &["resource", "path", "httpMethod", "queryStringParameters", "requestContext/stage"];
    let (mut checked, mut failures) = (0usize, Vec::new());
    for suite in load_suites() {
        let config = config(&suite);
        let event_config = &config.settings.event;
        for case in &suite.cases {
            let mut variants = vec![(String::from("as is"), case.event.clone(), true)];
            if let Ok(Value::Object(_)) = serde_json::from_slice::<Value>(&case.event) {
                let base: Value = serde_json::from_slice(&case.event).unwrap();
                // Escapes JSON allows but a Rust string cannot hold (a lone surrogate), and a
                // valid pair, in the string fields the authorizer reads: only text can carry them.
                for path in STRINGS {
                    for literal in [r#""\ud800""#, r#""\udc00x""#, r#""ab\ud83d\u0041""#, r#""\ud83d\ude00""#] {
                        let mut v = base.clone();
                        if set_path(&mut v, path, Some(json!("@@literal@@"))) {
                            let text = serde_json::to_string(&v).unwrap().replace(r#""@@literal@@""#, literal);
                            variants.push((format!("{path} = {literal}"), text.into_bytes(), true));
                        }
                    }
                }
                for (paths, read) in [(READ, true), (UNREAD, false)] {
                    for path in paths {
                        for (label, replacement) in
                            [("removed", None), ("null", Some(Value::Null)), ("7", Some(json!(7)))]
                        {
                            let mut v = base.clone();
                            if set_path(&mut v, path, replacement) {
                                variants.push((format!("{path} {label}"), serde_json::to_vec(&v).unwrap(), read));
                            }
                        }
                    }
                }
            }
            for (label, event, read) in variants {
                checked += 1;
                let fast = parse_event(&event, event_config);
                let slow = reference::parse_event(&event, event_config);
                let lenient_on_unread = !read && slow == Err(EVENT_MALFORMED);
                if fast != slow && !lenient_on_unread {
                    failures.push(format!("{} ({label}):\n  production {fast:?}\n  reference  {slow:?}", case.name));
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} events decoded");
    assert!(failures.is_empty(), "{} of {checked} decodes disagree:\n{}", failures.len(), failures.join("\n"));
}

/// The same two decoders on byte-level damage: every fixture with bytes deleted, doubled or
/// replaced by one JSON gives meaning to, at pseudo-random places (a fixed seed, so a failure
/// repeats). Whatever the damage, the production decoder must give the reference's answer,
/// except where the library refuses the event as malformed: the damage may be in a field the
/// authorizer never reads, which the production decoder then accepts, or refuses for a field
/// it does read (a damaged `httpMethod` beside a non-ASCII token is `header_not_ascii` there).
/// It must never accept what the library refuses for another reason, nor refuse what the
/// library accepts, nor read a different request.
#[test]
fn production_and_reference_decoders_agree_on_damaged_events() {
    use shared::event::{EVENT_MALFORMED, parse_event, reference};
    const SPECIALS: &[u8] = b"{}[]\",:\\0-1.eE+ntfu \n\x01\x7f";
    const PER_EVENT: usize = 400;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % bound.max(1) as u64).unwrap_or(0)
    };
    let (mut checked, mut accepted, mut failures) = (0usize, 0usize, Vec::new());
    for suite in load_suites() {
        let config = config(&suite);
        let event_config = &config.settings.event;
        for case in &suite.cases {
            let bytes = &case.event;
            for _ in 0..PER_EVENT {
                let at = next(bytes.len());
                let (head, tail) = bytes.split_at(at);
                let rest = tail.get(1..).unwrap_or_default();
                let (label, event) = match next(3) {
                    0 => ("deleted", [head, rest].concat()),
                    1 => ("doubled", [head, tail.get(..1).unwrap_or_default(), tail].concat()),
                    _ => {
                        let s = SPECIALS[next(SPECIALS.len())];
                        ("replaced", [head, &[s], rest].concat())
                    }
                };
                checked += 1;
                let fast = parse_event(&event, event_config);
                let slow = reference::parse_event(&event, event_config);
                accepted += usize::from(fast.is_ok());
                if fast != slow && slow != Err(EVENT_MALFORMED) {
                    failures.push(format!(
                        "{} (byte {at} {label}): {}\n  production {fast:?}\n  reference  {slow:?}",
                        case.name,
                        String::from_utf8_lossy(&event[at.saturating_sub(20)..(at + 20).min(event.len())]),
                    ));
                }
            }
        }
    }
    assert!(checked > 10_000 && accepted > 1_000, "only {checked} damaged events, {accepted} accepted");
    assert!(failures.is_empty(), "{} of {checked} decodes disagree:\n{}", failures.len(), failures.join("\n"));
}

/// Sets (or with `None` removes) the value at a `/`-separated path; false when the path is absent.
fn set_path(v: &mut Value, path: &str, replacement: Option<Value>) -> bool {
    let (parent, last) = path.rsplit_once('/').map_or(("", path), |(p, l)| (p, l));
    let mut node = v;
    for key in parent.split('/').filter(|k| !k.is_empty()) {
        match node.get_mut(key) {
            Some(n) => node = n,
            None => return false,
        }
    }
    let Some(map) = node.as_object_mut() else { return false };
    if !map.contains_key(last) {
        return false;
    }
    match replacement {
        Some(r) => {
            map.insert(last.to_owned(), r);
        }
        None => {
            map.remove(last);
        }
    }
    true
}
