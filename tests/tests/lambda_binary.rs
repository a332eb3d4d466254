//! The built `authorizer` binary, run as Lambda runs it (against a local Runtime API): the
//! paths that only exist in the binary. Payloads that are not JSON still get `Unauthorized`
//! (the runtime would otherwise answer them with a deserialisation error, a 500), and a bad
//! configuration stops the process before it asks for an invocation, naming the variable.
//! The binary hands the library the payload's bytes as they came (the runtime decodes
//! nothing), so each refusal carries the library's own reason.
//! Needs `cargo build -p authorizer` first (`make test` does it).

// Test helpers outside `#[test]` functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Duration;

use authorizer_tests::fixtures::{base_env, events_dir};
use authorizer_tests::runtime_api::{ApiEvent, RuntimeApi, authorizer_binary, logged_reason, spawn_function};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const WAIT: Duration = Duration::from_secs(20);

fn error_message(event: Option<ApiEvent>) -> String {
    match event {
        Some(ApiEvent::Error { body, .. }) => {
            let v: Value = serde_json::from_slice(&body).unwrap();
            format!(
                "{}/{}",
                v["errorType"].as_str().unwrap_or_default(),
                v["errorMessage"].as_str().unwrap_or_default()
            )
        }
        other => format!("{other:?}"),
    }
}

fn binary() -> std::path::PathBuf {
    let binary = authorizer_binary();
    assert!(binary.exists(), "{} is missing: run `cargo build -p authorizer` first", binary.display());
    binary
}

#[tokio::test]
async fn malformed_payloads_are_unauthorized_not_runtime_errors() {
    let mut api = RuntimeApi::start().await.unwrap();
    let mut function = spawn_function(&binary(), api.addr, &base_env()).unwrap();
    let mut lines = BufReader::new(function.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let no_credentials = std::fs::read(events_dir().join("http-v2/unauthorized-no-credentials.json")).unwrap();
    for (id, payload, reason) in [
        ("not-json", b"this is not json {".to_vec(), "event_not_json"),
        ("truncated", b"{\"type\":\"TOKEN\",".to_vec(), "event_not_json"),
        ("not-utf8", b"{\"type\":\"TOKEN\xff\"}".to_vec(), "event_not_utf8"),
        ("empty", Vec::new(), "event_not_json"),
        ("null", b"null".to_vec(), "event_shape_unknown"),
        ("array", b"[1,2,3]".to_vec(), "event_shape_unknown"),
        ("trailing-bytes", [no_credentials.as_slice(), b" x"].concat(), "event_not_json"),
        ("no-credentials", no_credentials, "no_credentials"),
    ] {
        api.invoke(id, &payload);
        assert_eq!(error_message(api.answer(WAIT).await), "Unauthorized/Unauthorized", "payload {id}");
        assert_eq!(logged_reason(&mut lines, &mut seen, id, WAIT).await, reason, "payload {id}");
    }
    // A refusal is a decision, logged at INFO by the decision line; the runtime's own ERROR
    // line restating it is dropped (shared::logging::QuietRefusals).
    drop(api);
    while let Ok(Ok(Some(line))) = tokio::time::timeout(WAIT, lines.next_line()).await {
        seen.push(line);
    }
    let errors: Vec<&String> = seen.iter().filter(|l| l.contains(r#""level":"ERROR""#)).collect();
    assert!(errors.is_empty(), "ERROR lines for refusals: {errors:#?}");
}

#[tokio::test]
async fn an_insecure_configuration_stops_the_process_naming_the_variable() {
    let binary = binary();
    for (var, value, expected) in [
        ("AUTHZ_JWT_ISSUERS", r#"[{"issuer":"http://idp.example.com","audiences":["a"]}]"#, "AUTHZ_JWT_ISSUERS"),
        ("AUTHZ_JWT_ISSUERS", r#"[{"issuer":"https://idp.example.com","audiences":[]}]"#, "AUTHZ_JWT_ISSUERS"),
        ("AUTHZ_HTTP_API_SIMPLE_RESPONSES", "perhaps", "AUTHZ_HTTP_API_SIMPLE_RESPONSES"),
        ("AUTHZ_TOKEN_HEADER", "bad header", "AUTHZ_TOKEN_HEADER"),
        // A misspelt name would leave its setting at the default (here: every CA trusted).
        ("AUTHZ_MTLS_TRUSTED_ISSUER", r#"["CN=Issuing CA"]"#, "AUTHZ_MTLS_TRUSTED_ISSUER: unknown variable"),
        ("Authz_Log_Level", "info", "did you mean AUTHZ_LOG_LEVEL?"),
        ("AUTHZ_LOG_LEVEL", "warning", "AUTHZ_LOG_LEVEL: expected one of error, warn, info, debug, trace"),
    ] {
        let mut env: Vec<(String, String)> = base_env().into_iter().filter(|(k, _)| k != var).collect();
        env.push((var.to_owned(), value.to_owned()));
        let mut api = RuntimeApi::start().await.unwrap();
        let child = spawn_function(&binary, api.addr, &env).unwrap();
        let out = tokio::time::timeout(WAIT, child.wait_with_output()).await.unwrap().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
        assert!(stderr.contains(expected), "{var}={value}: stderr does not name the variable: {stderr}");
        // It never asked for an invocation.
        assert!(
            !matches!(api.events.try_recv(), Ok(ApiEvent::Next(_))),
            "{var}={value}: the process asked for work before refusing to start"
        );
    }
}
