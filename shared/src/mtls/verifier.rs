//! The mTLS check: certificate facts, event cross-checks, then one registry lookup (cached).
//!
//! Order of checks, cheapest first, so a bad certificate never costs a registry call:
//! PEM size, PEM and X.509 parsing and the client_id rule (cached per exact PEM string),
//! the event's serial against the certificate's, the validity window against `now`, the
//! trusted issuers, then the registry item for (client_id, canonical serial): it must
//! exist, be `active`, not be past its `not_after`, and name the certificate's issuer when
//! it names one. Validity and the item are re-checked against `now` on every call, also
//! when both come from a cache.

use std::sync::Arc;

use super::cache::TtlCache;
use super::cert::{CertFacts, MAX_PEM_BYTES, cert_facts};
use super::registry::{ClientRegistry, RegistryItem, Status};
use super::{
    MTLS_CERT_EXPIRED, MTLS_CERT_NOT_YET_VALID, MTLS_ISSUER_MISMATCH, MTLS_ISSUER_UNTRUSTED, MTLS_PEM_TOO_LARGE,
    MTLS_SERIAL_MISMATCH, MtlsConfig, REGISTRY_EXPIRED, REGISTRY_ITEM_MALFORMED, REGISTRY_NOT_FOUND,
    REGISTRY_REVOKED, REGISTRY_SUSPENDED,
};
use crate::decision::{MtlsIdentity, Rejection};
use crate::request::ClientCert;

/// At most this many parsed certificates are kept (each keyed by its whole PEM).
pub const CERT_CACHE_MAX: usize = 4096;

/// Verifies client certificates against the registry; built once at init.
#[derive(Debug)]
pub struct MtlsVerifier {
    config: MtlsConfig,
    registry: Arc<dyn ClientRegistry>,
    /// (client_id NUL serial) -> the item, or `None` for "no such item" (negative TTL).
    items: TtlCache<Option<Arc<RegistryItem>>>,
    /// Exact PEM -> parsed facts; parsing is pure, so entries never go stale.
    certs: TtlCache<Arc<CertFacts>>,
}

impl MtlsVerifier {
    pub fn new(config: MtlsConfig, registry: Arc<dyn ClientRegistry>) -> Self {
        let items = TtlCache::new(config.cache_size);
        let certs = TtlCache::new(config.cache_size.min(CERT_CACHE_MAX));
        Self { config, registry, items, certs }
    }

    pub fn config(&self) -> &MtlsConfig {
        &self.config
    }

    /// Verifies the certificate API Gateway passed, at `now` (Unix seconds).
    pub async fn verify(&self, cert: &ClientCert, now: u64) -> Result<MtlsIdentity, Rejection> {
        let facts = self.facts(&cert.pem, now)?;
        if !facts.serial.matches_event(&cert.serial_number) {
            return Err(Rejection::unauthenticated(MTLS_SERIAL_MISMATCH));
        }
        let now_signed = i64::try_from(now).unwrap_or(i64::MAX);
        if now_signed < facts.not_before {
            return Err(Rejection::unauthenticated(MTLS_CERT_NOT_YET_VALID));
        }
        if now_signed > facts.not_after {
            return Err(Rejection::unauthenticated(MTLS_CERT_EXPIRED));
        }
        if let Some(trusted) = &self.config.trusted_issuers
            && !trusted.contains(&facts.issuer)
        {
            return Err(Rejection::unauthenticated(MTLS_ISSUER_UNTRUSTED));
        }
        let Some(item) = self.lookup(&facts, now).await? else {
            return Err(Rejection::unauthenticated(REGISTRY_NOT_FOUND));
        };
        if item.client_id != facts.client_id || item.serial != facts.serial.hex {
            return Err(Rejection::fault(REGISTRY_ITEM_MALFORMED));
        }
        match item.status {
            Status::Active => {}
            Status::Revoked => return Err(Rejection::unauthenticated(REGISTRY_REVOKED)),
            Status::Suspended => return Err(Rejection::forbidden(REGISTRY_SUSPENDED)),
        }
        if now > item.not_after {
            return Err(Rejection::unauthenticated(REGISTRY_EXPIRED));
        }
        if item.issuer.as_ref().is_some_and(|issuer| *issuer != facts.issuer) {
            return Err(Rejection::unauthenticated(MTLS_ISSUER_MISMATCH));
        }
        Ok(MtlsIdentity {
            client_id: facts.client_id.clone(),
            serial: facts.serial.hex.clone(),
            tenant: item.tenant.clone(),
            scopes: item.scopes.clone(),
            routes: item.routes.clone(),
            usage_plan_key: item.usage_plan_key.clone(),
            uri_sans: facts.uri_sans.clone(),
            cert_sha256: facts.cert_sha256,
        })
    }

    fn facts(&self, pem: &str, now: u64) -> Result<Arc<CertFacts>, Rejection> {
        if pem.len() > MAX_PEM_BYTES {
            return Err(Rejection::unauthenticated(MTLS_PEM_TOO_LARGE));
        }
        if let Some(facts) = self.certs.get(pem, now) {
            return Ok(facts);
        }
        let facts = Arc::new(cert_facts(pem, &self.config.client_id_rule).map_err(Rejection::unauthenticated)?);
        self.certs.insert(pem, Arc::clone(&facts), now, u64::MAX);
        Ok(facts)
    }

    /// The item from the cache or one registry call; faults are never cached.
    async fn lookup(&self, facts: &CertFacts, now: u64) -> Result<Option<Arc<RegistryItem>>, Rejection> {
        if let Some(hit) = self.items.get(&facts.registry_key, now) {
            return Ok(hit);
        }
        match self.registry.get(&facts.client_id, &facts.serial.hex).await {
            Ok(Some(item)) => {
                let item = Arc::new(item);
                self.items.insert(&facts.registry_key, Some(Arc::clone(&item)), now, self.config.cache_ttl_secs);
                Ok(Some(item))
            }
            Ok(None) => {
                self.items.insert(&facts.registry_key, None, now, self.config.negative_cache_ttl_secs);
                Ok(None)
            }
            Err(error) => {
                tracing::warn!(reason = %error.reason(), %error, "registry lookup failed");
                Err(Rejection::fault(error.reason()))
            }
        }
    }
}
