//! Policy evaluation alone (issue 5: a 100-rule policy under 1 µs per decision), next to a
//! one-rule policy measured in the same rounds as the reference.
//!
//! The 100-rule policy is what a platform team's file grows into: one rule per service, each
//! naming its principal (JWT client, JWT subject or mTLS client id) and scope and granting
//! the service's own routes, plus shared rules that grant by scope or group alone. The caller
//! is one of those services; it matches its own rule and two shared ones. The deny case is a
//! caller no rule names, which walks the whole file.

use std::hint::black_box;
use std::time::Instant;

use serde_json::Value;
use shared::arn::ApiArn;
use shared::decision::{Identity, JwtIdentity};
use shared::policy::Policy;
use shared::request::{AuthRequest, EventShape};

use crate::Effort;
use crate::inputs::Res;
use crate::stats::{Samples, Stats};

/// Rules in the large policy.
pub const RULES: usize = 100;
/// The workload names.
pub const REFERENCE: &str = "1 rule, allow (reference)";
pub const ALLOW_100: &str = "100 rules, allow";
pub const DENY_100: &str = "100 rules, no rule applies";

/// Evaluations per timed batch: one is shorter than the clock's own overhead.
const BATCH: usize = 200;

/// The large policy: `RULES` rules, as TOML.
pub fn policy_toml(rules: usize) -> String {
    let mut s = String::new();
    for i in 0..rules {
        let (auth, principal) = match i % 3 {
            0 => ("jwt", format!("jwt-client:svc-{i}")),
            1 => ("jwt", format!("jwt-sub:svc-{i}")),
            _ => ("mtls", format!("mtls:svc-{i}")),
        };
        if i % 10 == 9 {
            // A shared rule: granted by scope (or group) alone.
            s.push_str(&format!(
                "[[rule]]\nname = \"shared-{i}\"\nauth = \"jwt\"\nscopes = [\"shared{i}:read\"]\n\
                 routes = [\"GET /shared{i}/catalog\", \"GET /shared{i}/catalog/{{id}}\"]\n\n"
            ));
        } else {
            s.push_str(&format!(
                "[[rule]]\nname = \"svc-{i}\"\nauth = \"{auth}\"\nprincipals = [\"{principal}\"]\n\
                 scopes = [\"svc{i}:read\"]\n\
                 routes = [\"GET /svc{i}/items\", \"GET /svc{i}/items/{{id}}\", \"POST /svc{i}/items\", \"DELETE /svc{i}/items/{{id}}\"]\n\n"
            ));
        }
    }
    s
}

/// A JWT caller: client `client`, with `scopes`.
fn caller(client: &str, scopes: &[&str]) -> Identity {
    Identity {
        jwt: Some(JwtIdentity {
            issuer: "https://issuer.example".into(),
            principal: client.into(),
            subject: Some(format!("user-of-{client}").into()),
            client_id: Some(client.into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..JwtIdentity::default()
        }),
        mtls: None,
    }
}

fn request(method: &str, path: &str) -> Res<AuthRequest<'static>> {
    let arn = format!("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/{method}{path}");
    let arn = ApiArn::parse(&arn).ok_or_else(|| format!("bench ARN {arn:?} does not parse"))?;
    Ok(AuthRequest { shape: EventShape::RestRequest, arn, route: None, token: None, client_cert: None })
}

/// One evaluation. Never inlined, so a profiler can single it out
/// (`report --loop policy100 N` with `--toggle-collect='*policy*evaluate_once*'`).
#[inline(never)]
pub fn evaluate_once(policy: &Policy, identity: &Identity, request: &AuthRequest) -> bool {
    black_box(policy.evaluate(black_box(identity), black_box(request))).allowed
}

/// One workload: (name, policy, caller, request, expected answer).
pub type Workload = (&'static str, Policy, Identity, AuthRequest<'static>, bool);

/// The three workloads.
pub fn workloads() -> Res<Vec<Workload>> {
    let large = Policy::from_toml_str(&policy_toml(RULES), "hundred").map_err(|e| format!("bench policy: {e}"))?;
    let small = Policy::from_toml_str(&policy_toml(1), "one-rule").map_err(|e| format!("bench policy: {e}"))?;
    let member = caller("svc-42", &["svc42:read", "shared19:read", "shared49:read"]);
    Ok(vec![
        (REFERENCE, small, caller("svc-0", &["svc0:read"]), request("GET", "/svc0/items/7")?, true),
        (ALLOW_100, large.clone(), member.clone(), request("GET", "/svc42/items/7")?, true),
        (DENY_100, large, caller("stranger", &["none"]), request("GET", "/svc42/items")?, false),
    ])
}

/// One measured workload.
#[derive(Clone, Debug)]
pub struct PolicyCase {
    pub name: &'static str,
    pub stats: Stats,
}

/// Times every workload in interleaved rounds.
pub fn run(effort: &Effort) -> Res<Vec<PolicyCase>> {
    let workloads = workloads()?;
    for (name, policy, identity, request, expected) in &workloads {
        if evaluate_once(policy, identity, request) != *expected {
            return Err(format!("policy bench {name}: expected allowed = {expected}"));
        }
    }
    let mut samples: Vec<Samples> = workloads.iter().map(|_| Samples::default()).collect();
    for round in 0..=effort.rounds {
        for ((_, policy, identity, request, _), samples) in workloads.iter().zip(samples.iter_mut()) {
            for _ in 0..effort.mtls_per_round / BATCH {
                let t = Instant::now();
                for _ in 0..BATCH {
                    evaluate_once(policy, identity, request);
                }
                if round > 0 {
                    samples.push_ns(t.elapsed().as_nanos() as f64 / BATCH as f64);
                }
            }
        }
    }
    Ok(workloads.iter().zip(samples).map(|((name, ..), s)| PolicyCase { name, stats: s.finish() }).collect())
}

/// `n` evaluations of the 100-rule allow workload, for callgrind.
pub fn run_loop(n: usize) -> Res<()> {
    let workloads = workloads()?;
    let (_, policy, identity, request, _) = workloads.get(1).ok_or("policy bench: no 100-rule workload")?;
    let allowed = (0..n).filter(|_| evaluate_once(policy, identity, request)).count();
    if allowed == n { Ok(()) } else { Err(format!("policy100: {} of {n} evaluations denied", n - allowed)) }
}

pub fn json(cases: &[PolicyCase]) -> Value {
    Value::Object(cases.iter().map(|c| (c.name.to_owned(), c.stats.json())).collect::<serde_json::Map<_, _>>())
}

/// Median of the named case.
pub fn median_ns(cases: &[PolicyCase], name: &str) -> Option<f64> {
    cases.iter().find(|c| c.name == name).map(|c| c.stats.median_ns)
}
