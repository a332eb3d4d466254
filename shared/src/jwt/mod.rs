// NOTE TO THE HELPER IMPLEMENTING ISSUE 3 (delete this block when done): your prompt lost its
// attachments. Read /tmp/common.md (house rules, build settings, no git commits) and
// /tmp/jwt-brief.md (your file ownership, interface and design requirements) NOW, before writing code.
//! JWT bearer authentication (issue 3): OIDC and Cognito tokens verified against cached JWKS.
//!
//! INTERFACE STUB: the pipeline calls exactly these items; the implementation replaces the
//! bodies. Until then no token can be verified, so every token is `Unauthorized`.

use crate::config::{ConfigError, Env};
use crate::decision::{JwtIdentity, Reason, Rejection};

pub const JWT_NOT_CONFIGURED: Reason = Reason::new("jwt_not_configured");

/// The trusted issuers and verification settings, read from `AUTHZ_JWT_*` variables.
#[derive(Clone, Debug)]
pub struct JwtConfig {}

impl JwtConfig {
    /// `Ok(None)` when no issuer is configured (JWT authentication off).
    pub fn from_env(_env: &Env) -> Result<Option<JwtConfig>, ConfigError> {
        Ok(None)
    }
}

/// Error building the verifier at init (bundled JWKS unreadable, HTTP client, ...).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JwtInitError(pub String);

/// Verifies bearer tokens; built once at init and shared by all invocations.
#[derive(Debug)]
pub struct JwtVerifier {}

impl JwtVerifier {
    pub async fn new(_config: JwtConfig) -> Result<Self, JwtInitError> {
        Ok(Self {})
    }

    /// Verifies `token` (the compact JWS, without the `Bearer ` scheme) at `now` (Unix seconds).
    pub async fn verify(&self, _token: &str, _now: u64) -> Result<JwtIdentity, Rejection> {
        Err(Rejection::unauthenticated(JWT_NOT_CONFIGURED))
    }
}
