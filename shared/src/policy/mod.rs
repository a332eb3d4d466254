//! Authorization: which routes an authenticated identity may call.
//!
//! INTERIM (issue 5 replaces this with the policy file): every authenticated caller may call
//! every route of the API stage it called. The interface below is what the pipeline uses.

use crate::arn::ApiArn;
use crate::config::{ConfigError, Env};
use crate::decision::{Identity, Reason};
use crate::request::AuthRequest;

pub const POLICY_ALLOWED: Reason = Reason::new("allowed");

/// One grant: an HTTP method (`*` for any) and a path pattern in API Gateway resource syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub method: String,
    pub path: String,
}

/// The policy's answer for one identity and request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVerdict {
    /// Whether the request's own route is allowed.
    pub allowed: bool,
    /// Every route the identity may call in this API stage (the Allow statement).
    pub grants: Vec<Grant>,
    /// The rule that allowed the request, or `None`.
    pub rule: Option<String>,
    pub reason: Reason,
}

/// The compiled policy, built once at init.
#[derive(Clone, Debug, Default)]
pub struct Policy {}

impl Policy {
    pub fn from_env(_env: &Env) -> Result<Policy, ConfigError> {
        Ok(Policy {})
    }

    pub fn evaluate(&self, _identity: &Identity, _request: &AuthRequest) -> PolicyVerdict {
        PolicyVerdict {
            allowed: true,
            grants: vec![Grant { method: "*".to_owned(), path: "/*".to_owned() }],
            rule: Some("authenticated".to_owned()),
            reason: POLICY_ALLOWED,
        }
    }
}

/// The Allow statement's resources for `grants` in the request's API and stage.
pub fn resource_arns(arn: &ApiArn, grants: &[Grant]) -> Vec<String> {
    grants.iter().map(|g| arn.route(&g.method, &g.path)).collect()
}
