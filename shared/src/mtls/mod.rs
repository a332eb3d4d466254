//! mTLS client authentication (issue 4): the certificate's serial and client_id checked
//! against the DynamoDB client registry.
//!
//! API Gateway validates the chain of the client certificate but never its revocation; here
//! the certificate is tied to a registered, active client. [`cert`] parses the PEM,
//! [`serial`] defines the canonical serial, [`dn`] the issuer DN normalisation,
//! [`registry`] the item format and the lookup port, [`dynamodb`] and [`memory`] its
//! adapters, [`cache`] the in-container cache and [`verifier`] the check itself.

pub mod cache;
pub mod cert;
pub mod dn;
pub mod dynamodb;
pub mod memory;
pub mod registry;
pub mod serial;
pub mod verifier;

use std::time::Duration;

pub use cert::ClientIdRule;
pub use registry::{BoxFuture, ClientRegistry, RegistryError, RegistryItem, Status};
pub use verifier::MtlsVerifier;

use crate::config::{ConfigError, Env};
use crate::decision::Reason;

/// A certificate arrived but the deployment has no registry configured.
pub const MTLS_NOT_CONFIGURED: Reason = Reason::new("mtls_not_configured");
/// mTLS is required and the request carried no client certificate.
pub const MTLS_CERT_MISSING: Reason = Reason::new("mtls_cert_missing");
pub const MTLS_PEM_TOO_LARGE: Reason = Reason::new("mtls_pem_too_large");
/// Not exactly one strict `CERTIFICATE` PEM block.
pub const MTLS_PEM_MALFORMED: Reason = Reason::new("mtls_pem_malformed");
/// The DER is not one X.509 certificate (or has trailing bytes, or an oversized serial).
pub const MTLS_CERT_MALFORMED: Reason = Reason::new("mtls_cert_malformed");
/// A CA certificate (basicConstraints CA:true) was presented as a client certificate.
pub const MTLS_CERT_IS_CA: Reason = Reason::new("mtls_cert_is_ca");
/// The client_id rule found no client_id, several, or an invalid one.
pub const MTLS_CLIENT_ID_UNMATCHED: Reason = Reason::new("mtls_client_id_unmatched");
/// The event's `serialNumber` is not the certificate's serial.
pub const MTLS_SERIAL_MISMATCH: Reason = Reason::new("mtls_serial_mismatch");
pub const MTLS_CERT_EXPIRED: Reason = Reason::new("mtls_cert_expired");
pub const MTLS_CERT_NOT_YET_VALID: Reason = Reason::new("mtls_cert_not_yet_valid");
/// The certificate's issuer is not in `AUTHZ_MTLS_TRUSTED_ISSUERS`.
pub const MTLS_ISSUER_UNTRUSTED: Reason = Reason::new("mtls_issuer_untrusted");
/// The registry item names another issuer than the certificate's.
pub const MTLS_ISSUER_MISMATCH: Reason = Reason::new("mtls_issuer_mismatch");
/// The registry item pins another certificate (`cert_sha256`): same names and serial, not
/// the registered certificate.
pub const MTLS_CERT_NOT_REGISTERED: Reason = Reason::new("mtls_cert_not_registered");
/// The registry item pins no certificate and `AUTHZ_MTLS_REQUIRE_CERT_PIN` is on.
pub const MTLS_CERT_NOT_PINNED: Reason = Reason::new("mtls_cert_not_pinned");
/// No registry item for (client_id, serial): unknown client or unknown serial.
pub const REGISTRY_NOT_FOUND: Reason = Reason::new("registry_not_found");
pub const REGISTRY_REVOKED: Reason = Reason::new("registry_revoked");
/// Known but suspended: Deny (403).
pub const REGISTRY_SUSPENDED: Reason = Reason::new("registry_suspended");
/// The item's `not_after` has passed.
pub const REGISTRY_EXPIRED: Reason = Reason::new("registry_expired");
pub const REGISTRY_THROTTLED: Reason = Reason::new("registry_throttled");
pub const REGISTRY_TIMEOUT: Reason = Reason::new("registry_timeout");
pub const REGISTRY_UNAVAILABLE: Reason = Reason::new("registry_unavailable");
pub const REGISTRY_ITEM_MALFORMED: Reason = Reason::new("registry_item_malformed");
pub const REGISTRY_ERROR: Reason = Reason::new("registry_error");

/// Every reason code this module can produce.
pub const REASONS: &[Reason] = &[
    MTLS_NOT_CONFIGURED,
    MTLS_CERT_MISSING,
    MTLS_PEM_TOO_LARGE,
    MTLS_PEM_MALFORMED,
    MTLS_CERT_MALFORMED,
    MTLS_CERT_IS_CA,
    MTLS_CLIENT_ID_UNMATCHED,
    MTLS_SERIAL_MISMATCH,
    MTLS_CERT_EXPIRED,
    MTLS_CERT_NOT_YET_VALID,
    MTLS_ISSUER_UNTRUSTED,
    MTLS_ISSUER_MISMATCH,
    MTLS_CERT_NOT_REGISTERED,
    MTLS_CERT_NOT_PINNED,
    REGISTRY_NOT_FOUND,
    REGISTRY_REVOKED,
    REGISTRY_SUSPENDED,
    REGISTRY_EXPIRED,
    REGISTRY_THROTTLED,
    REGISTRY_TIMEOUT,
    REGISTRY_UNAVAILABLE,
    REGISTRY_ITEM_MALFORMED,
    REGISTRY_ERROR,
];

const TABLE: &str = "AUTHZ_REGISTRY_TABLE";
const REQUIRED: &str = "AUTHZ_MTLS_REQUIRED";
const CLIENT_ID_FROM: &str = "AUTHZ_MTLS_CLIENT_ID_FROM";
const TRUSTED_ISSUERS: &str = "AUTHZ_MTLS_TRUSTED_ISSUERS";
const CACHE_TTL: &str = "AUTHZ_REGISTRY_CACHE_TTL_SECS";
const NEGATIVE_TTL: &str = "AUTHZ_REGISTRY_NEGATIVE_CACHE_TTL_SECS";
const CACHE_SIZE: &str = "AUTHZ_REGISTRY_CACHE_SIZE";
const ATTEMPT_TIMEOUT: &str = "AUTHZ_REGISTRY_ATTEMPT_TIMEOUT_MS";
const OPERATION_TIMEOUT: &str = "AUTHZ_REGISTRY_OPERATION_TIMEOUT_MS";
const MAX_ATTEMPTS: &str = "AUTHZ_REGISTRY_MAX_ATTEMPTS";
const REQUIRE_PIN: &str = "AUTHZ_MTLS_REQUIRE_CERT_PIN";

/// Every variable of this module, the table first.
pub const VARIABLES: &[&str] = &[
    TABLE,
    REQUIRED,
    CLIENT_ID_FROM,
    TRUSTED_ISSUERS,
    CACHE_TTL,
    NEGATIVE_TTL,
    CACHE_SIZE,
    ATTEMPT_TIMEOUT,
    OPERATION_TIMEOUT,
    MAX_ATTEMPTS,
    REQUIRE_PIN,
];

/// The variables that only mean something when `AUTHZ_REGISTRY_TABLE` is set: all but the
/// table.
const DEPENDENT: &[&str] = VARIABLES.split_at(1).1;

/// Registry, certificate and cache settings, read from `AUTHZ_MTLS_*`/`AUTHZ_REGISTRY_*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtlsConfig {
    /// The DynamoDB table of registered client certificates.
    pub table_name: String,
    /// Requests without a client certificate are `Unauthorized`.
    pub require_client_cert: bool,
    pub client_id_rule: ClientIdRule,
    /// Normalised issuer DNs (see [`dn`]); `None` accepts any issuer API Gateway accepted.
    pub trusted_issuers: Option<Vec<String>>,
    /// Only items that pin their certificate (`cert_sha256`) can allow.
    pub require_cert_pin: bool,
    /// How long a found item is reused; 0 disables the cache.
    pub cache_ttl_secs: u64,
    /// How long "no such item" is reused; never longer than `cache_ttl_secs`.
    pub negative_cache_ttl_secs: u64,
    pub cache_size: usize,
    /// Per-attempt timeout; also the connect timeout.
    pub attempt_timeout: Duration,
    /// Timeout of one lookup, all attempts and backoff included.
    pub operation_timeout: Duration,
    pub max_attempts: u32,
}

impl MtlsConfig {
    /// `Ok(None)` when `AUTHZ_REGISTRY_TABLE` is unset (mTLS off). Setting any other mTLS
    /// variable without the table is an error, so a half-configured deployment never runs
    /// without the check it asked for.
    pub fn from_env(env: &Env) -> Result<Option<MtlsConfig>, ConfigError> {
        let Some(table_name) = env.get(TABLE).map(str::trim) else {
            if let Some(var) = DEPENDENT.iter().find(|v| env.get(v).is_some()) {
                return Err(ConfigError::new(var, format!("set, but {TABLE} is not: mTLS needs the registry table")));
            }
            return Ok(None);
        };
        let table_ok = (3..=255).contains(&table_name.len())
            && table_name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !table_ok {
            return Err(ConfigError::new(TABLE, format!("expected 3 to 255 of A-Z a-z 0-9 _ - ., got {table_name:?}")));
        }
        let client_id_rule = ClientIdRule::parse(&env.string(CLIENT_ID_FROM, "subject_cn"))
            .map_err(|p| ConfigError::new(CLIENT_ID_FROM, p))?;
        let cache_ttl_secs = env.u64_in(CACHE_TTL, 60, 0..=3600)?;
        let negative_cache_ttl_secs = env.u64_in(NEGATIVE_TTL, cache_ttl_secs.min(10), 0..=3600)?;
        if negative_cache_ttl_secs > cache_ttl_secs {
            return Err(ConfigError::new(
                NEGATIVE_TTL,
                format!("expected at most {CACHE_TTL} ({cache_ttl_secs}), got {negative_cache_ttl_secs}"),
            ));
        }
        let attempt_timeout = env.millis_in(ATTEMPT_TIMEOUT, 500, 50..=2000)?;
        let operation_timeout = env.millis_in(OPERATION_TIMEOUT, 1500, 50..=2000)?;
        if operation_timeout < attempt_timeout {
            return Err(ConfigError::new(
                OPERATION_TIMEOUT,
                format!(
                    "expected at least {ATTEMPT_TIMEOUT} ({} ms), got {} ms",
                    attempt_timeout.as_millis(),
                    operation_timeout.as_millis()
                ),
            ));
        }
        Ok(Some(MtlsConfig {
            table_name: table_name.to_owned(),
            require_client_cert: env.bool(REQUIRED, true)?,
            client_id_rule,
            trusted_issuers: trusted_issuers(env)?,
            require_cert_pin: env.bool(REQUIRE_PIN, true)?,
            cache_ttl_secs,
            negative_cache_ttl_secs,
            cache_size: usize::try_from(env.u64_in(CACHE_SIZE, 10_000, 1..=1_000_000)?).unwrap_or(10_000),
            attempt_timeout,
            operation_timeout,
            max_attempts: u32::try_from(env.u64_in(MAX_ATTEMPTS, 2, 1..=3)?).unwrap_or(2),
        }))
    }
}

fn trusted_issuers(env: &Env) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(raw) = env.get(TRUSTED_ISSUERS) else { return Ok(None) };
    let expected = "expected a JSON array of issuer DNs, such as [\"C=US,O=Example,CN=Example Issuing CA\"]";
    let list: Vec<String> = serde_json::from_str(raw).map_err(|_| ConfigError::new(TRUSTED_ISSUERS, expected))?;
    if list.is_empty() {
        return Err(ConfigError::new(TRUSTED_ISSUERS, expected));
    }
    list.iter()
        .map(|dn| dn::normalise_str(dn).map_err(|p| ConfigError::new(TRUSTED_ISSUERS, format!("{dn:?}: {p}"))))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(vars: &[(&str, &str)], expected: Result<Option<MtlsConfig>, ConfigError>) {
        assert_eq!(MtlsConfig::from_env(&Env::from_pairs(vars.iter().copied())), expected);
    }

    fn defaults() -> MtlsConfig {
        MtlsConfig {
            table_name: "clients".to_owned(),
            require_client_cert: true,
            client_id_rule: ClientIdRule::SubjectCn,
            trusted_issuers: None,
            require_cert_pin: true,
            cache_ttl_secs: 60,
            negative_cache_ttl_secs: 10,
            cache_size: 10_000,
            attempt_timeout: Duration::from_millis(500),
            operation_timeout: Duration::from_millis(1500),
            max_attempts: 2,
        }
    }

    fn err(var: &str, problem: &str) -> Result<Option<MtlsConfig>, ConfigError> {
        Err(ConfigError::new(var, problem))
    }

    #[test]
    fn configuration() {
        let t = (TABLE, "clients");
        check(&[], Ok(None));
        check(&[(TABLE, "  ")], Ok(None));
        check(&[t], Ok(Some(defaults())));
        check(
            &[
                t,
                (REQUIRED, "false"),
                (CLIENT_ID_FROM, "uri_san:spiffe://example.org/client/"),
                (TRUSTED_ISSUERS, r#"["C=US, O=Example, CN=Issuing CA"]"#),
                (CACHE_TTL, "0"),
                (CACHE_SIZE, "5"),
                (ATTEMPT_TIMEOUT, "200"),
                (OPERATION_TIMEOUT, "2000"),
                (MAX_ATTEMPTS, "3"),
                (REQUIRE_PIN, "false"),
            ],
            Ok(Some(MtlsConfig {
                require_client_cert: false,
                client_id_rule: ClientIdRule::UriSan { prefix: "spiffe://example.org/client/".to_owned() },
                trusted_issuers: Some(vec!["C=us,O=example,CN=issuing ca".to_owned()]),
                cache_ttl_secs: 0,
                negative_cache_ttl_secs: 0,
                cache_size: 5,
                attempt_timeout: Duration::from_millis(200),
                operation_timeout: Duration::from_millis(2000),
                max_attempts: 3,
                require_cert_pin: false,
                ..defaults()
            })),
        );
        check(
            &[(REQUIRED, "true")],
            err(REQUIRED, "set, but AUTHZ_REGISTRY_TABLE is not: mTLS needs the registry table"),
        );
        check(&[(TABLE, "a/b")], err(TABLE, "expected 3 to 255 of A-Z a-z 0-9 _ - ., got \"a/b\""));
        check(&[t, (CLIENT_ID_FROM, "cn")], err(CLIENT_ID_FROM, "expected subject_cn or uri_san:<prefix>, got \"cn\""));
        check(&[t, (CACHE_TTL, "3601")], err(CACHE_TTL, "expected a value from 0 to 3600, got 3601"));
        check(
            &[t, (CACHE_TTL, "5"), (NEGATIVE_TTL, "6")],
            err(NEGATIVE_TTL, "expected at most AUTHZ_REGISTRY_CACHE_TTL_SECS (5), got 6"),
        );
        check(&[t, (CACHE_SIZE, "0")], err(CACHE_SIZE, "expected a value from 1 to 1000000, got 0"));
        check(&[t, (OPERATION_TIMEOUT, "2001")], err(OPERATION_TIMEOUT, "expected a value from 50 to 2000, got 2001"));
        check(
            &[t, (ATTEMPT_TIMEOUT, "800"), (OPERATION_TIMEOUT, "700")],
            err(OPERATION_TIMEOUT, "expected at least AUTHZ_REGISTRY_ATTEMPT_TIMEOUT_MS (800 ms), got 700 ms"),
        );
        check(&[t, (MAX_ATTEMPTS, "4")], err(MAX_ATTEMPTS, "expected a value from 1 to 3, got 4"));
        let issuers = "expected a JSON array of issuer DNs, such as [\"C=US,O=Example,CN=Example Issuing CA\"]";
        check(&[t, (TRUSTED_ISSUERS, "[]")], err(TRUSTED_ISSUERS, issuers));
        check(&[t, (TRUSTED_ISSUERS, "CN=x")], err(TRUSTED_ISSUERS, issuers));
        check(
            &[t, (TRUSTED_ISSUERS, r#"["FOO=x"]"#)],
            err(TRUSTED_ISSUERS, "\"FOO=x\": unknown attribute type \"FOO\""),
        );
    }

    #[test]
    fn reason_codes_are_snake_case_and_prefixed() {
        for reason in REASONS {
            let code = reason.code();
            assert!(code.starts_with("mtls_") || code.starts_with("registry_"), "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        }
    }
}
