//! The event fixtures in `events/`: one directory per suite, each case an event file and its
//! expected answer beside it.
//!
//! `events/<suite>/<case>.json` is the event exactly as API Gateway sends it;
//! `events/<suite>/<case>.expected.json` is `{"reason": "<code>", "response": {...}}` or
//! `{"reason": "<code>", "error": "Unauthorized"}`. `events/<suite>/suite.json` may add
//! environment variables for that suite (`{"env": {"AUTHZ_X": "..."}}`); `${EVENTS}` in a
//! value is replaced by the absolute path of `events/`.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The clock every fixture is replayed at: 2026-09-21T12:53:20Z. Fixture tokens and
/// certificates are valid then.
pub const REPLAY_NOW: u64 = 1_790_000_000;

/// The `events/` directory of this checkout.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("events")
}

/// What a case must produce.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    Response(Value),
    Unauthorized,
}

#[derive(Clone, Debug)]
pub struct Case {
    /// `suite/case`.
    pub name: String,
    pub event: Vec<u8>,
    pub reason: String,
    pub expected: Expected,
}

#[derive(Clone, Debug)]
pub struct Suite {
    pub name: String,
    /// The suite's environment on top of [`base_env`].
    pub env: Vec<(String, String)>,
    /// Whether the suite needs the client registry (mTLS).
    pub registry: bool,
    pub cases: Vec<Case>,
}

/// The configuration every suite starts from: the fixture issuer with its bundled JWKS, and
/// no network (the JWKS URI points at a closed loopback port).
pub fn base_env() -> Vec<(String, String)> {
    let events = events_dir();
    let issuers = serde_json::json!([{
        "issuer": "https://idp.example.com",
        "audiences": ["payments-api"],
        "algorithms": ["RS256", "ES256"],
        "jwks_file": events.join("keys/jwks.json"),
        "jwks_uri": "http://127.0.0.1:1/jwks.json",
    }]);
    vec![
        ("AUTHZ_JWT_ISSUERS".to_owned(), issuers.to_string()),
        ("AUTHZ_JWKS_REFETCH_INTERVAL_SECS".to_owned(), "3600".to_owned()),
        ("AUTHZ_JWT_ALLOW_LOOPBACK_HTTP".to_owned(), "true".to_owned()),
        ("AUTHZ_JWKS_TIMEOUT_MS".to_owned(), "300".to_owned()),
        ("AUTHZ_POLICY_FILE".to_owned(), events.join("policy.toml").to_string_lossy().into_owned()),
    ]
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_case(suite: &str, event_path: &Path) -> Case {
    let stem = event_path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
    let expected_path = event_path.with_file_name(format!("{stem}.expected.json"));
    let expected = if !expected_path.exists() && std::env::var_os("UPDATE_EXPECT").is_some() {
        serde_json::json!({"reason": "", "error": "Unauthorized"})
    } else {
        read_json(&expected_path)
    };
    let reason = expected["reason"].as_str().unwrap_or_else(|| panic!("{}: no reason", expected_path.display()));
    let outcome = match (&expected["response"], expected["error"].as_str()) {
        (Value::Object(_), None) => Expected::Response(expected["response"].clone()),
        (Value::Null, Some("Unauthorized")) => Expected::Unauthorized,
        _ => panic!("{}: needs either \"response\" or \"error\": \"Unauthorized\"", expected_path.display()),
    };
    Case {
        name: format!("{suite}/{stem}"),
        event: std::fs::read(event_path).unwrap_or_else(|e| panic!("{}: {e}", event_path.display())),
        reason: reason.to_owned(),
        expected: outcome,
    }
}

/// Every suite under `events/`, cases sorted by name. Panics (failing the test) on an event
/// without its expected file or the other way round.
pub fn load_suites() -> Vec<Suite> {
    let root = events_dir();
    let events_abs = std::fs::canonicalize(&root).unwrap_or(root.clone());
    let mut suites = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "keys"))
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let suite_file = dir.join("suite.json");
        let (env, registry) = if suite_file.exists() {
            let s = read_json(&suite_file);
            let env = s["env"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let v = v
                                .as_str()
                                .unwrap_or_else(|| panic!("{}: env {k} is not a string", suite_file.display()))
                                .replace("${EVENTS}", &events_abs.to_string_lossy());
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let registry = match &s["registry"] {
                Value::Null => false,
                value => {
                    value.as_bool().unwrap_or_else(|| panic!("{}: \"registry\" is not a boolean", suite_file.display()))
                }
            };
            (env, registry)
        } else {
            (Vec::new(), false)
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in &files {
            let n = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if let Some(stem) = n.strip_suffix(".expected.json") {
                assert!(dir.join(format!("{stem}.json")).exists(), "{}: expected file without its event", f.display());
            }
        }
        let cases = files
            .iter()
            .filter(|f| {
                let n = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                n.ends_with(".json") && !n.ends_with(".expected.json") && n != "suite.json"
            })
            .map(|f| load_case(&name, f))
            .collect();
        suites.push(Suite { name, env, registry, cases });
    }
    suites
}

/// The secrets a case carries (bearer tokens, their signatures, client certificate PEM
/// bodies), which must never show up in a log.
pub fn secrets_in(event: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(v) = serde_json::from_slice::<Value>(event) else { return out };
    let mut strings = Vec::new();
    collect_strings(&v, &mut strings);
    for s in strings {
        let t = s.trim();
        let token = t.split_once(' ').map_or(t, |(_, rest)| rest.trim());
        if token.matches('.').count() == 2 && token.len() > 40 {
            out.push(token.to_owned());
            if let Some(sig) = token.rsplit('.').next().filter(|s| s.len() > 16) {
                out.push(sig.to_owned());
            }
        }
        if t.contains("-----BEGIN") {
            out.extend(t.lines().filter(|l| l.len() > 40 && !l.starts_with("-----")).map(str::to_owned));
        }
    }
    out
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
