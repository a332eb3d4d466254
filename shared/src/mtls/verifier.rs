//! The mTLS check: certificate facts, event cross-checks, then one registry lookup (cached).
//!
//! Order of checks, cheapest first, so a bad certificate never costs a registry call:
//! PEM size, PEM and X.509 parsing and the client_id rule (cached per exact PEM string),
//! the event's serial against the certificate's, the validity window against `now`, the
//! trusted issuers, then the registry item for (client_id, canonical serial): it must
//! exist, be `active`, not be past its `not_after`, name the certificate's issuer when it
//! names one, and pin exactly this certificate (SHA-256 of its DER; an item without a pin
//! is refused unless `AUTHZ_MTLS_REQUIRE_CERT_PIN=false`): the names and the serial alone
//! could be repeated by another CA in API Gateway's truststore. Validity and the item are
//! re-checked against `now` on every call, also when both come from a cache.

use std::sync::Arc;

use super::cache::TtlCache;
use super::cert::{CertFacts, MAX_PEM_BYTES, cert_facts};
use super::registry::{ClientRegistry, RegistryItem, Status};
use super::{
    MTLS_CERT_EXPIRED, MTLS_CERT_NOT_PINNED, MTLS_CERT_NOT_REGISTERED, MTLS_CERT_NOT_YET_VALID, MTLS_ISSUER_MISMATCH,
    MTLS_ISSUER_UNTRUSTED, MTLS_PEM_TOO_LARGE, MTLS_SERIAL_MISMATCH, MtlsConfig, REGISTRY_EXPIRED,
    REGISTRY_ITEM_MALFORMED, REGISTRY_NOT_FOUND, REGISTRY_REVOKED, REGISTRY_SUSPENDED,
};
use crate::decision::{MtlsIdentity, Rejection};
use crate::request::{ClientCert, PemText};

/// At most this many parsed certificates are kept (each keyed by its whole PEM).
pub const CERT_CACHE_MAX: usize = 1024;

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
    pub async fn verify(&self, cert: &ClientCert<'_>, now: u64) -> Result<MtlsIdentity, Rejection> {
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
        match &item.cert_sha256 {
            Some(pinned) if *pinned != facts.pin => {
                return Err(Rejection::unauthenticated(MTLS_CERT_NOT_REGISTERED));
            }
            None if self.config.require_cert_pin => return Err(Rejection::unauthenticated(MTLS_CERT_NOT_PINNED)),
            _ => {}
        }
        Ok(MtlsIdentity { uri_sans: facts.uri_sans.clone(), cert_sha256: facts.cert_sha256, item })
    }

    /// The parsed certificate, from the cache keyed by the PEM's JSON literal as it arrived
    /// (so a hit neither unescapes nor copies it), or parsed now. Only certificates that
    /// parsed are cached.
    fn facts(&self, pem: &PemText<'_>, now: u64) -> Result<Arc<CertFacts>, Rejection> {
        let too_large = Rejection::unauthenticated(MTLS_PEM_TOO_LARGE);
        // A decoded byte takes at most 6 bytes of JSON (`\u00XX`), plus the quotes.
        if pem.literal().len() > MAX_PEM_BYTES * 6 + 2 {
            return Err(too_large);
        }
        if let Some(facts) = self.certs.get(pem.literal(), now) {
            return Ok(facts);
        }
        let text = pem.decode().unwrap_or_default();
        if text.len() > MAX_PEM_BYTES {
            return Err(too_large);
        }
        let facts = Arc::new(cert_facts(&text, &self.config.client_id_rule).map_err(Rejection::unauthenticated)?);
        self.certs.insert(pem.literal(), Arc::clone(&facts), now, u64::MAX);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::mtls::memory::MemoryRegistry;
    use crate::mtls::registry::{BoxFuture, RegistryError};
    use crate::mtls::{REGISTRY_ERROR, REGISTRY_THROTTLED, REGISTRY_TIMEOUT, REGISTRY_UNAVAILABLE};

    /// 2025-06-01T00:00:00Z.
    const NOW: u64 = 1_748_736_000;

    /// Pins not required: the certificate of these tests is made anew each time;
    /// [`pins`] tests the pin.
    fn config(ttl: &str) -> MtlsConfig {
        let env = Env::from_pairs([
            ("AUTHZ_REGISTRY_TABLE", "clients"),
            ("AUTHZ_REGISTRY_CACHE_TTL_SECS", ttl),
            ("AUTHZ_MTLS_REQUIRE_CERT_PIN", "false"),
        ]);
        MtlsConfig::from_env(&env).unwrap().unwrap()
    }

    #[tokio::test]
    async fn pins() {
        let (cert, der) = certificate();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
        let pin = crate::mtls::serial::lower_hex(digest.as_ref());
        let mut other = pin.clone().into_bytes();
        other[63] = if other[63] == b'0' { b'1' } else { b'0' };
        let required = MtlsConfig { require_cert_pin: true, ..config("60") };
        for (pinned, require, expected) in [
            (Some(pin.clone()), true, Ok(())),
            (Some(pin.clone()), false, Ok(())),
            (Some(String::from_utf8(other).unwrap()), true, Err(Rejection::unauthenticated(MTLS_CERT_NOT_REGISTERED))),
            (Some(pin.to_uppercase()), false, Err(Rejection::unauthenticated(MTLS_CERT_NOT_REGISTERED))),
            (None, true, Err(Rejection::unauthenticated(MTLS_CERT_NOT_PINNED))),
            (None, false, Ok(())),
        ] {
            let item = RegistryItem { cert_sha256: pinned.clone(), ..item() };
            let cfg = if require { required.clone() } else { config("60") };
            let verifier = MtlsVerifier::new(cfg, Arc::new(MemoryRegistry::new([item])));
            assert_eq!(verifier.verify(&cert, NOW).await.map(|_| ()), expected, "{pinned:?} required {require}");
        }
    }

    /// A self-signed client certificate (CN `billing`, serial 0x1001, one URI SAN), valid
    /// 2020-01-01 to 2030-01-01, and its DER.
    fn certificate() -> (ClientCert<'static>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::CommonName, "billing");
        params.subject_alt_names = vec![rcgen::SanType::URI("spiffe://example.org/client/billing".try_into().unwrap())];
        params.serial_number = Some(rcgen::SerialNumber::from(vec![0x10, 0x01]));
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        let client = ClientCert { pem: cert.pem().into(), serial_number: "10:01".into() };
        (client, cert.der().to_vec())
    }

    fn item() -> RegistryItem {
        RegistryItem {
            tenant: Some("t1".to_owned()),
            scopes: vec!["orders:read".to_owned()],
            routes: vec!["GET /orders/*".to_owned()],
            usage_plan_key: Some("plan-key".to_owned()),
            issuer: Some("CN=billing".to_owned()),
            ..RegistryItem::active("billing", "1001", NOW + 3600, NOW - 3600)
        }
    }

    #[tokio::test]
    async fn identity_is_complete() {
        let (cert, der) = certificate();
        let verifier = MtlsVerifier::new(config("60"), Arc::new(MemoryRegistry::new([item()])));
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
        let expected = MtlsIdentity {
            item: Arc::new(item()),
            uri_sans: vec!["spiffe://example.org/client/billing".to_owned()],
            cert_sha256: <[u8; 32]>::try_from(digest.as_ref()).unwrap(),
        };
        let identity = verifier.verify(&cert, NOW).await.unwrap();
        assert_eq!(identity, expected);
        assert_eq!(
            (identity.client_id(), identity.serial(), identity.tenant(), identity.usage_plan_key()),
            ("billing", "1001", Some("t1"), Some("plan-key"))
        );
        assert_eq!(
            (identity.scopes(), identity.routes()),
            (&["orders:read".to_owned()][..], &["GET /orders/*".to_owned()][..])
        );
    }

    #[tokio::test]
    async fn faults_deny_and_are_never_cached() {
        let (cert, _) = certificate();
        let registry = Arc::new(MemoryRegistry::new([item()]));
        let verifier = MtlsVerifier::new(config("60"), registry.clone());
        let faults = [
            (RegistryError::Throttled, REGISTRY_THROTTLED),
            (RegistryError::Timeout, REGISTRY_TIMEOUT),
            (RegistryError::Unavailable("refused".to_owned()), REGISTRY_UNAVAILABLE),
            (RegistryError::MalformedItem("attribute status: missing".to_owned()), REGISTRY_ITEM_MALFORMED),
            (RegistryError::Other("boom".to_owned()), REGISTRY_ERROR),
        ];
        for (i, (fault, reason)) in faults.into_iter().enumerate() {
            registry.set_fault(Some(fault));
            assert_eq!(verifier.verify(&cert, NOW).await.map(|_| ()), Err(Rejection::fault(reason)));
            assert_eq!(registry.lookups(), i as u64 + 1);
        }
        registry.set_fault(None);
        assert!(verifier.verify(&cert, NOW).await.is_ok());
        assert_eq!(registry.lookups(), 6);
    }

    #[tokio::test]
    async fn cached_facts_and_items_are_rechecked_against_now() {
        let (cert, _) = certificate();
        let registry = Arc::new(MemoryRegistry::new([RegistryItem { not_after: NOW + 1800, ..item() }]));
        let verifier = MtlsVerifier::new(config("3600"), registry.clone());
        let cases = [
            (NOW, Ok(())),
            (NOW + 1800, Ok(())),
            (NOW + 1801, Err(Rejection::unauthenticated(REGISTRY_EXPIRED))),
            (1_893_456_001, Err(Rejection::unauthenticated(MTLS_CERT_EXPIRED))),
            (1_577_836_799, Err(Rejection::unauthenticated(MTLS_CERT_NOT_YET_VALID))),
        ];
        for (now, expected) in cases {
            assert_eq!(verifier.verify(&cert, now).await.map(|_| ()), expected, "at {now}");
        }
        assert_eq!(registry.lookups(), 1);
    }

    #[tokio::test]
    async fn zero_ttl_reads_every_time() {
        let (cert, _) = certificate();
        let registry = Arc::new(MemoryRegistry::new([item()]));
        let verifier = MtlsVerifier::new(config("0"), registry.clone());
        for _ in 0..3 {
            assert!(verifier.verify(&cert, NOW).await.is_ok());
        }
        assert_eq!(registry.lookups(), 3);
    }

    /// A registry that answers with an item for another key.
    #[derive(Debug)]
    struct WrongKey;

    impl ClientRegistry for WrongKey {
        fn get<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<Option<RegistryItem>, RegistryError>> {
            Box::pin(std::future::ready(Ok(Some(RegistryItem { serial: "1002".to_owned(), ..item() }))))
        }
    }

    #[tokio::test]
    async fn an_item_for_another_key_is_a_fault() {
        let (cert, _) = certificate();
        let verifier = MtlsVerifier::new(config("60"), Arc::new(WrongKey));
        assert_eq!(verifier.verify(&cert, NOW).await.map(|_| ()), Err(Rejection::fault(REGISTRY_ITEM_MALFORMED)));
    }
}
