//! mTLS client authentication (issue 4): the certificate's serial and client_id checked
//! against the DynamoDB client registry.
//!
//! INTERFACE STUB: the pipeline calls exactly these items; the implementation replaces the
//! bodies. Until then no certificate can be verified, so every certificate is `Unauthorized`.

use std::sync::Arc;

use crate::config::{ConfigError, Env};
use crate::decision::{MtlsIdentity, Reason, Rejection};
use crate::request::ClientCert;

pub const MTLS_NOT_CONFIGURED: Reason = Reason::new("mtls_not_configured");

/// Registry, certificate and cache settings, read from `AUTHZ_MTLS_*`/`AUTHZ_REGISTRY_*`.
#[derive(Clone, Debug)]
pub struct MtlsConfig {
    /// Requests without a client certificate are `Unauthorized`.
    pub require_client_cert: bool,
}

impl MtlsConfig {
    /// `Ok(None)` when mTLS is not configured.
    pub fn from_env(_env: &Env) -> Result<Option<MtlsConfig>, ConfigError> {
        Ok(None)
    }
}

/// The client registry port: one lookup per (client_id, canonical serial).
pub trait ClientRegistry: Send + Sync + std::fmt::Debug {}

/// Verifies client certificates against the registry; built once at init.
#[derive(Debug)]
pub struct MtlsVerifier {}

impl MtlsVerifier {
    pub fn new(_config: MtlsConfig, _registry: Arc<dyn ClientRegistry>) -> Self {
        Self {}
    }

    /// Verifies the certificate API Gateway passed, at `now` (Unix seconds).
    pub async fn verify(&self, _cert: &ClientCert, _now: u64) -> Result<MtlsIdentity, Rejection> {
        Err(Rejection::unauthenticated(MTLS_NOT_CONFIGURED))
    }
}
