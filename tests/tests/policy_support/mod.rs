//! Shared by the policy tests: identities, requests, a test policy, and a tiny IAM evaluator
//! that replays returned policies the way API Gateway does.

#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use serde_json::Value;
use shared::arn::ApiArn;
use shared::authorizer::{Authorizer, Settings, Verdict};
use shared::decision::{Identity, JwtIdentity, MtlsIdentity, Outcome};
use shared::mtls::RegistryItem;
use shared::policy::Policy;
use shared::request::{AuthRequest, EventShape};
use shared::telemetry::NullSink;

pub const ISSUER: &str = "https://idp.example.com";
pub const PREFIX: &str = "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/";

/// The policy of the table-driven cases: every kind of condition once.
pub const POLICY: &str = r#"
[[rule]]
name = "readers"
auth = "jwt"
issuers = ["https://idp.example.com"]
scopes = ["orders:read"]
routes = ["GET /orders", "GET /orders/{id}"]

[[rule]]
name = "admins"
auth = "jwt"
groups = ["admins", "ops"]
claims = { mfa = true, tier = ["gold", "platinum"], level = 3 }
routes = ["* /admin/*"]

[[rule]]
name = "spiffe-ledger"
auth = "mtls"
principals = ["uri:spiffe://example.org/ledger", "mtls:ledger-batch"]
tenants = ["acme"]
routes = ["POST /ledger/entries", "GET /ledger/entries/{id}"]

[[rule]]
name = "writers"
auth = "any"
any_scopes = ["orders:write", "orders:admin"]
routes = ["POST /orders", "PUT /orders/{id}"]

[[rule]]
name = "bound-refunds"
auth = "jwt+mtls"
require_bound_token = true
principals = ["jwt-client:refund-app"]
routes = ["POST /refunds"]

[[rule]]
name = "monitor"
auth = "jwt"
principals = ["jwt-sub:monitor", "jwt-client:monitor-app"]
routes = ["* /health", "GET /", "* /{proxy+}"]

[[rule]]
name = "auditors"
auth = "jwt"
scopes = ["audit:read"]
routes = ["GET /orders"]
"#;

pub fn policy(text: &str) -> Policy {
    Policy::from_toml_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// A verified JWT identity: `sub`, `client_id`, scopes.
pub fn jwt(sub: &str, client: &str, scopes: &[&str]) -> JwtIdentity {
    JwtIdentity {
        issuer: ISSUER.into(),
        principal: sub.into(),
        subject: Some(sub.into()),
        client_id: Some(client.into()),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..JwtIdentity::default()
    }
}

/// A verified client certificate identity with its registry item's tenant and scopes.
pub fn cert(client_id: &str, tenant: Option<&str>, scopes: &[&str]) -> MtlsIdentity {
    let item = RegistryItem {
        tenant: tenant.map(str::to_owned),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..RegistryItem::active(client_id, "01", 0, 0)
    };
    MtlsIdentity { item: Arc::new(item), uri_sans: Vec::new(), cert_sha256: [0; 32] }
}

pub fn id_jwt(j: JwtIdentity) -> Identity {
    Identity { jwt: Some(j), mtls: None }
}

pub fn id_mtls(m: MtlsIdentity) -> Identity {
    Identity { jwt: None, mtls: Some(m) }
}

pub fn id_both(j: JwtIdentity, m: MtlsIdentity) -> Identity {
    Identity { jwt: Some(j), mtls: Some(m) }
}

/// A REST REQUEST for `method path` on the test API and stage.
pub fn request(method: &str, path: &str) -> AuthRequest<'static> {
    request_shaped(EventShape::RestRequest, method, path)
}

pub fn request_shaped(shape: EventShape, method: &str, path: &str) -> AuthRequest<'static> {
    let arn = ApiArn::parse(&format!("{PREFIX}{method}{path}")).unwrap_or_else(|| panic!("bad route {method} {path}"));
    AuthRequest { shape, arn, route: None, token: None, client_cert: None }
}

/// The pipeline's own response (statements built by `Authorizer::respond`) for what the
/// policy decided: the policy document as JSON.
pub fn respond(policy: &Policy, identity: &Identity, req: &AuthRequest) -> Value {
    let authorizer = Authorizer::new(Settings::default(), None, None, policy.clone(), Arc::new(NullSink));
    let pv = policy.evaluate(identity, req);
    let verdict = Verdict {
        request: Some(req.clone()),
        identity: identity.clone(),
        outcome: if pv.allowed { Outcome::Allow } else { Outcome::Deny },
        reason: pv.reason,
        policy: Some(pv),
        at: 0,
    };
    let response = authorizer.respond(&verdict).unwrap_or_else(|_| panic!("no response"));
    response.to_json()["policyDocument"].clone()
}

/// IAM's wildcard match, written independently of the engine: `*` any run (including none),
/// `?` one character, everything else itself.
pub fn iam_match(pattern: &[u8], s: &[u8]) -> bool {
    match (pattern.first(), s.first()) {
        (None, _) => s.is_empty(),
        (Some(b'*'), _) => iam_match(&pattern[1..], s) || (!s.is_empty() && iam_match(pattern, &s[1..])),
        (Some(b'?'), Some(_)) => iam_match(&pattern[1..], &s[1..]),
        (Some(p), Some(c)) if p == c => iam_match(&pattern[1..], &s[1..]),
        _ => false,
    }
}

/// How API Gateway evaluates a cached policy document for a request ARN: an explicit Deny
/// wins, then any Allow, else denied.
pub fn iam_allows(document: &Value, arn: &str) -> bool {
    let statements = document["Statement"].as_array().cloned().unwrap_or_default();
    let matches = |effect: &str| {
        statements.iter().filter(|s| s["Effect"] == effect).any(|s| {
            let actions = s["Action"].as_array().cloned().unwrap_or_default();
            let invoke = actions.iter().any(|a| a == "execute-api:Invoke" || a == "execute-api:*" || a == "*");
            let resources = s["Resource"].as_array().cloned().unwrap_or_default();
            invoke && resources.iter().any(|r| iam_match(r.as_str().unwrap_or_default().as_bytes(), arn.as_bytes()))
        })
    };
    !matches("Deny") && matches("Allow")
}

/// Every resource ARN of the Allow statements.
pub fn allow_resources(document: &Value) -> Vec<String> {
    let statements = document["Statement"].as_array().cloned().unwrap_or_default();
    statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .map(|r| r.as_str().unwrap_or_default().to_owned())
        .collect()
}
