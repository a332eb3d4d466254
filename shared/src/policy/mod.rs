//! Authorization: which routes an authenticated identity may call, from the policy file
//! (`AUTHZ_POLICY_FILE`, TOML), compiled once at init.
//!
//! # The file
//!
//! A list of `[[rule]]` tables. A rule grants its `routes` to every identity that meets all
//! of its conditions; what no rule grants is denied.
//!
//! | key | meaning |
//! |---|---|
//! | `name` | required, unique; `A-Z a-z 0-9 - _ . :`, up to 64 characters |
//! | `description` | optional, ignored |
//! | `auth` | required: `jwt` (a verified token), `mtls` (a verified client certificate), `jwt+mtls` (both), `any` (either) |
//! | `principals` | any of: `mtls:<client_id>`, `uri:<certificate URI SAN>`, `jwt-sub:<sub>`, `jwt-client:<client_id or azp>` |
//! | `issuers` | any of: the token's `iss` |
//! | `scopes` | all of: from the token's `scope`/`scp` and, for mTLS callers, the registry item's `scopes` |
//! | `any_scopes` | at least one of, same sources |
//! | `groups` | any of: the token's groups claim |
//! | `tenants` | any of: the registry item's `tenant` |
//! | `claims` | table `claim = value` (equal) or `claim = [values]` (one of); top-level string, number, boolean claims |
//! | `require_bound_token` | `true`: only with a token bound to the presented certificate (RFC 8705 `cnf.x5t#S256`); needs `auth = "jwt+mtls"` |
//! | `routes` | required: `"METHOD /path"`, METHOD one of GET POST PUT PATCH DELETE HEAD OPTIONS or `*`; path in API Gateway resource syntax: `/orders`, `/orders/{id}`, `/orders/*`, `/{proxy+}`, `/` |
//!
//! A condition that needs a credential the rule's `auth` does not require (say `issuers`
//! with `auth = "mtls"`) is refused at load. An mTLS caller's registry item may also carry
//! `routes`: they are added to its grants; an invalid one is ignored and logged.
//!
//! # Cache safety: the engine decides with the policy it returns
//!
//! With API Gateway's authorizer cache on, the policy returned for one route answers every
//! route of the API for the cache TTL. In that policy, IAM matches resource ARNs with `*`
//! spanning `/`: `GET /orders/{id}` can only be written `.../GET/orders/*`, which also admits
//! `GET /orders/1/refunds`. So the engine does not decide with the pattern as it reads; it
//! decides with the ARN form it returns:
//!
//! 1. each route compiles to the ARN suffixes it is returned as ([`Grant`]: `GET` +
//!    `/orders/*`); a `*` method is written out per method unless the path starts with `/*`
//!    (`*/orders` would admit `GET/admin/orders`);
//! 2. a request is allowed iff one of the caller's grants matches `METHOD` + `path` the way
//!    IAM matches (`*` = any characters, `/` included);
//! 3. the grants depend on the identity only, never on the request.
//!
//! So the Allow statement for any route A, replayed against any route B, gives the engine's
//! answer for B; the pipeline's explicit Deny names the exact denied route A only. The cost is
//! that `{id}` grants everything below it too. To keep that from being a surprise, loading
//! refuses a route whose ARN form covers a route of *another* rule that the pattern, as
//! written, does not (`GET /orders/{id}` next to another rule's `GET /orders/{id}/refunds`);
//! `GET /orders/*` says the wider grant on purpose. Routes the file does not name at all are
//! still covered: `{id}` means "this segment and below".
//!
//! API Gateway's limits (512 characters per ARN, a bounded statement) never widen a grant:
//! see [`limits`]. When grants must be left out, the reason is `allowed_policy_truncated`
//! (cached copies may then deny, never allow, a route wrongly).

pub mod compile;
pub mod engine;
pub mod explain;
pub mod file;
pub mod limits;
pub mod matcher;

use std::path::Path;
use std::sync::Arc;

use crate::arn::ApiArn;
use crate::config::{ConfigError, Env};
use crate::decision::{Identity, Reason};
use crate::request::AuthRequest;
pub use explain::Explanation;
pub use file::PolicyError;

pub const POLICY_ALLOWED: Reason = Reason::new("allowed");
/// Allowed, but the Allow statement had to leave grants out to fit API Gateway's limits.
pub const POLICY_ALLOWED_TRUNCATED: Reason = Reason::new("allowed_policy_truncated");
pub const POLICY_NO_RULE: Reason = Reason::new("policy_no_rule_matches_identity");
pub const POLICY_ROUTE_NOT_GRANTED: Reason = Reason::new("policy_route_not_granted");
/// Granted, but no policy within API Gateway's limits can allow this route exactly.
pub const POLICY_ROUTE_ARN_TOO_LONG: Reason = Reason::new("policy_route_arn_too_long");

/// The variable naming the policy file.
pub const POLICY_FILE_VAR: &str = "AUTHZ_POLICY_FILE";

/// One grant, in the form it is returned in: an HTTP method (`*` only before a path starting
/// with `/*`) and a path glob where `*` matches any characters, `/` included.
///
/// Both parts are shared (`Arc<str>`): the compiled policy holds every grant once, and a
/// decision hands out clones of them without copying a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub method: Arc<str>,
    pub path: Arc<str>,
}

/// The policy's answer for one identity and request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVerdict {
    /// Whether the request's own route is allowed.
    pub allowed: bool,
    /// Every route the identity may call in this API stage (the Allow statement), sorted.
    pub grants: Vec<Grant>,
    /// The rule that allowed the request (the first in file order that grants its route;
    /// `registry:<client_id>` for a registry item route), or `None`.
    pub rule: Option<Arc<str>>,
    pub reason: Reason,
}

/// The compiled policy, built once at init. The default policy has no rules: it denies.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    file: String,
    compiled: Arc<compile::Compiled>,
}

impl Policy {
    /// Loads `AUTHZ_POLICY_FILE` (required: a deployment must say what it allows).
    pub fn from_env(env: &Env) -> Result<Policy, ConfigError> {
        let Some(path) = env.get(POLICY_FILE_VAR) else {
            return Err(ConfigError::new(
                POLICY_FILE_VAR,
                "required: the path of the policy file (TOML) saying which routes who may call",
            ));
        };
        Policy::from_file(Path::new(path.trim())).map_err(|e| ConfigError::new(POLICY_FILE_VAR, e.to_string()))
    }

    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
            file: name.clone(),
            line: 0,
            column: 0,
            field: String::new(),
            message: format!("cannot read the policy file: {e}"),
        })?;
        Policy::from_toml_str(&text, &name)
    }

    /// Compiles policy text; `name` is what errors call the file.
    pub fn from_toml_str(text: &str, name: &str) -> Result<Policy, PolicyError> {
        let src = file::Source { name, text };
        let raw = src.parse()?;
        let compiled = compile::compile(&src, &raw)?;
        if compiled.rules.is_empty() {
            tracing::warn!(file = name, "the policy file has no rules: only registry item routes can be allowed");
        }
        Ok(Policy { file: name.to_owned(), compiled: Arc::new(compiled) })
    }

    /// The file the policy was loaded from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The rule names, in file order.
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.compiled.rules.iter().map(|r| &*r.name)
    }

    /// The JWT claims any rule's `claims` condition tests, each once.
    pub fn claim_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (name, _) in self.compiled.rules.iter().flat_map(|r| &r.claims) {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    pub fn evaluate(&self, identity: &Identity, request: &AuthRequest) -> PolicyVerdict {
        engine::evaluate(&self.compiled, identity, request).verdict
    }

    /// The verdict with every rule's answer in words (for the `explain` command).
    pub fn explain(&self, identity: &Identity, request: &AuthRequest) -> Explanation {
        explain::explain(&self.compiled, &self.file, identity, request)
    }
}

/// The Allow statement's resources for `grants` in the request's API and stage. Fits them
/// into API Gateway's limits like [`Policy::evaluate`] does (a no-op on its grants), so
/// grants from anywhere come out within the limits and never wider.
pub fn resource_arns(arn: &ApiArn, grants: &[Grant]) -> Vec<String> {
    if limits::fits_unchanged(limits::prefix_len(arn), grants) {
        return grants.iter().map(|g| arn.route(&g.method, &g.path)).collect();
    }
    let grants = limits::normalise(grants);
    let request = grants
        .iter()
        .any(|g| matcher::grant_matches(g, arn.method(), arn.path()))
        .then_some((arn.method(), arn.path()));
    limits::fit(limits::prefix_len(arn), grants, request).grants.iter().map(|g| arn.route(&g.method, &g.path)).collect()
}
