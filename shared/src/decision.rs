//! What a check concludes: reason codes, rejections, verified identities and the final decision.
//!
//! Expected outcomes are values here, not errors. Every check returns either a verified
//! identity or a [`Rejection`] that says whether the caller is unauthenticated (401),
//! authenticated but forbidden (403), or whether the check itself failed (a fault, which
//! also denies). Nothing in this module can produce an Allow from a rejection.

use std::fmt;
use std::sync::Arc;

use crate::mtls::RegistryItem;

/// A stable, snake_case reason code. It goes into the decision log line, the metrics and
/// (for denies) nowhere the caller can see. Each module defines its own codes as constants,
/// so the set of codes is greppable: `rg 'Reason::new\("'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason(&'static str);

impl Reason {
    /// Codes are snake_case ASCII; `reason_codes_are_snake_case` in the tests holds every
    /// module to that.
    pub const fn new(code: &'static str) -> Self {
        Self(code)
    }

    pub const fn code(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The three answers an authorizer can give API Gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// An Allow policy (or `isAuthorized: true`) for the routes the caller may use.
    Allow,
    /// A Deny policy (or `isAuthorized: false`): API Gateway answers 403.
    Deny,
    /// The invocation fails with the message `Unauthorized`: API Gateway answers 401.
    Unauthorized,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Unauthorized => "unauthorized",
        }
    }
}

/// Why a credential check did not yield an identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionKind {
    /// Missing, malformed, invalid, expired or revoked credential: 401.
    Unauthenticated,
    /// The credential is genuine but its holder may not call this API: 403.
    Forbidden,
    /// The check could not be completed (registry down, JWKS unreachable, timeout): deny.
    Fault,
}

/// A credential check's negative answer, with the reason code that explains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub kind: RejectionKind,
    pub reason: Reason,
}

impl Rejection {
    pub const fn unauthenticated(reason: Reason) -> Self {
        Self { kind: RejectionKind::Unauthenticated, reason }
    }

    pub const fn forbidden(reason: Reason) -> Self {
        Self { kind: RejectionKind::Forbidden, reason }
    }

    pub const fn fault(reason: Reason) -> Self {
        Self { kind: RejectionKind::Fault, reason }
    }

    /// The outcome this rejection leads to: faults and forbidden callers are denied,
    /// bad credentials are `Unauthorized`.
    pub const fn outcome(self) -> Outcome {
        match self.kind {
            RejectionKind::Unauthenticated => Outcome::Unauthorized,
            RejectionKind::Forbidden | RejectionKind::Fault => Outcome::Deny,
        }
    }
}

/// Whether `scope` can be one of an identity's scopes: the authorizer context joins them
/// with spaces, so one that is empty or holds whitespace would read as other scopes there
/// (RFC 6749 §3.3 scope tokens hold no space). Visible ASCII, the usual scope, is settled
/// by one branch-free pass.
pub fn is_scope_word(scope: &str) -> bool {
    let visible = scope.bytes().fold(true, |ok, b| ok & b.is_ascii_graphic());
    !scope.is_empty() && (visible || !scope.contains(char::is_whitespace))
}

/// What a verified JWT says about its caller. Built only by `jwt::JwtVerifier` after the
/// signature and every claim check passed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JwtIdentity {
    /// The token's `iss`, exactly as configured for the issuer that verified it (the
    /// configuration's string, shared).
    pub issuer: Arc<str>,
    /// The value of the issuer's configured principal claim (default `sub`).
    pub principal: Arc<str>,
    /// `sub`; the principal's string, shared, when the principal claim is `sub`.
    pub subject: Option<Arc<str>>,
    /// `client_id` (Cognito access tokens, RFC 9068) or `azp`.
    pub client_id: Option<Arc<str>>,
    /// From `scope` (space-separated string) or `scp` (array).
    pub scopes: Vec<String>,
    /// From the issuer's configured groups claim (default `cognito:groups`).
    pub groups: Vec<String>,
    /// Top-level string, number and boolean claims, for policy claim matching. Objects and
    /// arrays other than the ones above are left out.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// `cnf.x5t#S256` (RFC 8705): base64url SHA-256 of the certificate the token is bound to.
    pub cnf_x5t_s256: Option<String>,
    /// The issuer is configured to require certificate-bound tokens (RFC 8705): the pipeline
    /// then refuses this token unless a client certificate matching `cnf_x5t_s256` came with it.
    pub require_bound_token: bool,
}

/// What a client certificate, checked against the registry, says about its caller. Built
/// only by `mtls::MtlsVerifier` after the certificate and the registry item passed. The item
/// is the verifier's cached one, shared rather than copied: a warm decision makes no copy of
/// the client's names, tenant or scopes.
#[derive(Clone, Debug, PartialEq)]
pub struct MtlsIdentity {
    /// The registry item that allowed the certificate. Its `client_id` and `serial` are the
    /// certificate's (the verifier checked them); tenant, scopes, routes and usage-plan key
    /// are the client's.
    pub item: Arc<RegistryItem>,
    /// URI subject alternative names of the certificate.
    pub uri_sans: Vec<String>,
    /// SHA-256 of the certificate's DER, for RFC 8705 token binding.
    pub cert_sha256: [u8; 32],
}

impl MtlsIdentity {
    pub fn client_id(&self) -> &str {
        &self.item.client_id
    }

    /// The serial in the canonical form (see `mtls::serial`).
    pub fn serial(&self) -> &str {
        &self.item.serial
    }

    pub fn tenant(&self) -> Option<&str> {
        self.item.tenant.as_deref()
    }

    pub fn scopes(&self) -> &[String] {
        &self.item.scopes
    }

    /// Routes granted to this client by its registry item (`METHOD /path` patterns).
    pub fn routes(&self) -> &[String] {
        &self.item.routes
    }

    /// REST usage-plan API key value, returned as `usageIdentifierKey`.
    pub fn usage_plan_key(&self) -> Option<&str> {
        self.item.usage_plan_key.as_deref()
    }
}

/// Everything that was proven about the caller of one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub jwt: Option<JwtIdentity>,
    pub mtls: Option<MtlsIdentity>,
}

impl Identity {
    /// The principal API Gateway records: the mTLS client_id when a certificate was
    /// verified, otherwise the JWT principal.
    pub fn principal(&self) -> Option<&str> {
        match (&self.mtls, &self.jwt) {
            (Some(m), _) => Some(m.client_id()),
            (None, Some(j)) => Some(&j.principal),
            (None, None) => None,
        }
    }

    /// [`Identity::principal`] as a shared string: the JWT's own (no copy), or a copy of
    /// the certificate's client_id.
    pub fn shared_principal(&self) -> Option<Arc<str>> {
        match (&self.mtls, &self.jwt) {
            (Some(m), _) => Some(Arc::from(m.client_id())),
            (None, Some(j)) => Some(Arc::clone(&j.principal)),
            (None, None) => None,
        }
    }

    /// Whether the token is bound to the certificate that came with it (RFC 8705): both
    /// credentials were verified, and the token names a certificate thumbprint, which the
    /// pipeline has checked is this certificate's. Only then are the two the same party.
    pub fn token_bound(&self) -> bool {
        self.jwt.as_ref().is_some_and(|j| j.cnf_x5t_s256.is_some()) && self.mtls.is_some()
    }

    /// `jwt`, `mtls` or `jwt+mtls`.
    pub fn method(&self) -> &'static str {
        match (self.jwt.is_some(), self.mtls.is_some()) {
            (true, true) => "jwt+mtls",
            (true, false) => "jwt",
            (false, true) => "mtls",
            (false, false) => "none",
        }
    }
}
