//! JWT bearer authentication (issue 3): OIDC and Cognito access tokens verified against
//! cached JWKS with `jsonwebtoken`'s aws-lc-rs backend.
//!
//! [`JwtVerifier::verify`] runs, in order: size and serialization checks and the header
//! rules ([`token`]), issuer by `iss`, the issuer's `alg` allowlist and `typ` pin, key by
//! `kid` ([`jwks`]), JWK/header agreement, the signature, then the claims ([`claims`]).
//! Every failure is a [`Rejection`] with a reason code from [`reasons`]; nothing here logs a
//! token, a signature or a key.

mod claims;
pub mod config;
mod fetch;
mod json;
mod jwks;
pub mod reasons;
mod token;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

pub use config::{IssuerConfig, JwtConfig, TokenKind};
pub use fetch::{FetchError, FetchFuture, HttpJwksFetcher, JwksFetcher};
pub use reasons::*;
pub use token::{MAX_KID_BYTES, MAX_TOKEN_BYTES};

use crate::decision::{JwtIdentity, Reason, Rejection};
use jwks::{KeyCache, Source};

/// Error building the verifier at init (bundled JWKS unreadable, HTTP client, self-test).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JwtInitError(pub String);

#[derive(Debug)]
struct TrustedIssuer {
    config: IssuerConfig,
    keys: KeyCache,
}

/// Verifies bearer tokens; built once at init and shared by all invocations.
#[derive(Debug)]
pub struct JwtVerifier {
    issuers: Vec<TrustedIssuer>,
    leeway_secs: u64,
    refresh_secs: u64,
    timeout: std::time::Duration,
    fetcher: Arc<dyn JwksFetcher>,
}

/// Verifies `signature` over `message` with the aws-lc-rs provider of `jsonwebtoken`, named
/// explicitly: this does not compile without the `aws_lc_rs` feature, and never reaches the
/// crate's runtime panic for a missing provider.
pub fn verify_signature(alg: Algorithm, key: &DecodingKey, message: &[u8], signature: &Vec<u8>) -> Result<(), Reason> {
    let verifier = (DEFAULT_PROVIDER.verifier_factory)(&alg, key).map_err(|_| JWT_KEY_MISMATCH)?;
    verifier.verify(message, signature).map_err(|_| JWT_SIGNATURE_INVALID)
}

/// Known-answer vectors for [`self_test`]: a fixed Ed25519 and P-256 key pair signed this
/// message offline. Verifying needs no randomness, so the self-test never initialises
/// aws-lc's entropy source (about 400 million instructions of jitter sampling), which a JWT
/// deployment with a bundled JWKS then never needs at all.
const SELF_TEST_MESSAGE: &[u8] = b"zero-trust authorizer self-test";
const SELF_TEST_ED25519_PUBLIC: &str = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
const SELF_TEST_ED25519_SIGNATURE: &str = "75a4ca3fcd47ffcd307b7626aa9f21419bf7a6f49fd3fae71c62ca362dfb6236\
                                           e72e0cc9b3312da7c66e8de7f37b581890250016efbbfa7fcf4062b7b9f7380f";
const SELF_TEST_P256_PUBLIC: &str = "04471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa714c\
                                     dd520f7aca8a8b917acc37f51de8f0c9bbe3ad858382e702dc25a12d09f7a858";
const SELF_TEST_P256_SIGNATURE: &str = "b5721958350dc2074a7dcc8aac39b2df65d89f30ec4be6a4161d177858a0fafb\
                                        ade3715a346085a69212c9e15f5fdc5c5a97d28ece5f6487a32fd07d936386c8";

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| pair.iter().fold(0u8, |acc, d| (acc << 4) | (*d as char).to_digit(16).map_or(0, |v| v as u8)))
        .collect()
}

/// Verifies known-answer Ed25519 and P-256 signatures and checks that a flipped bit fails:
/// proves at every cold start that this binary's crypto backend works.
pub fn self_test() -> Result<(), JwtInitError> {
    let fail = |what: &str| JwtInitError(format!("jwt crypto self-test failed: {what}"));
    let ed_key = DecodingKey::from_ed_der(&unhex(SELF_TEST_ED25519_PUBLIC));
    let ec_key = DecodingKey::from_ec_der(&unhex(SELF_TEST_P256_PUBLIC));
    for (alg, key, sig) in [
        (Algorithm::EdDSA, &ed_key, unhex(SELF_TEST_ED25519_SIGNATURE)),
        (Algorithm::ES256, &ec_key, unhex(SELF_TEST_P256_SIGNATURE)),
    ] {
        verify_signature(alg, key, SELF_TEST_MESSAGE, &sig).map_err(|_| fail("a valid signature did not verify"))?;
        let mut bad = sig.clone();
        if let Some(b) = bad.first_mut() {
            *b ^= 1;
        }
        if verify_signature(alg, key, SELF_TEST_MESSAGE, &bad).is_ok() {
            return Err(fail("a corrupted signature verified"));
        }
    }
    Ok(())
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl JwtVerifier {
    /// Runs the crypto self-test, builds the HTTPS client, loads bundled JWKS files and does
    /// the fetches configured for init.
    pub async fn new(config: JwtConfig) -> Result<Self, JwtInitError> {
        let fetcher = HttpJwksFetcher::new(
            config.connect_timeout,
            config.timeout,
            config.max_jwks_bytes,
            config.allow_loopback_http,
        )
        .map_err(|e| JwtInitError(format!("jwks http client: {e}")))?;
        Self::with_fetcher(config, Arc::new(fetcher)).await
    }

    /// Like [`JwtVerifier::new`] with another JWKS source.
    pub async fn with_fetcher(config: JwtConfig, fetcher: Arc<dyn JwksFetcher>) -> Result<Self, JwtInitError> {
        // Other uses of the crate in this process (tests signing tokens) get the same backend.
        let _ = DEFAULT_PROVIDER.install_default();
        self_test()?;
        let mut issuers = Vec::with_capacity(config.issuers.len());
        for issuer in config.issuers {
            let initial = match &issuer.jwks_file {
                None => jwks::KeySet::new(),
                Some(path) => {
                    let bytes = std::fs::read(path).map_err(|e| {
                        JwtInitError(format!("jwks file {} for {}: {e}", path.display(), issuer.issuer))
                    })?;
                    jwks::parse_jwks(&bytes)
                        .map_err(|e| JwtInitError(format!("jwks file {} for {}: {e}", path.display(), issuer.issuer)))?
                }
            };
            issuers.push(TrustedIssuer { keys: KeyCache::new(initial), config: issuer });
        }
        let verifier = Self {
            issuers,
            leeway_secs: config.leeway_secs,
            refresh_secs: config.jwks_refresh_secs,
            timeout: config.timeout,
            fetcher,
        };
        let now = unix_now();
        for issuer in verifier.issuers.iter().filter(|i| i.config.fetch_jwks_at_init) {
            issuer.keys.fetch_at_init(now, &verifier.source(issuer)).await;
        }
        for issuer in &verifier.issuers {
            tracing::info!(issuer = issuer.config.issuer, keys = issuer.keys.len(), "jwt issuer ready");
        }
        Ok(verifier)
    }

    fn source<'a>(&'a self, issuer: &'a TrustedIssuer) -> Source<'a> {
        Source {
            issuer: &issuer.config.issuer,
            uri: &issuer.config.jwks_uri,
            fetcher: self.fetcher.as_ref(),
            refresh_secs: self.refresh_secs,
            timeout: self.timeout,
        }
    }

    /// Verifies `token` (the compact JWS, without the `Bearer ` scheme) at `now` (Unix seconds).
    pub async fn verify(&self, token: &str, now: u64) -> Result<JwtIdentity, Rejection> {
        let unauthenticated = Rejection::unauthenticated;
        let token = token::parse(token).map_err(unauthenticated)?;
        let issuer = match token.claims.get("iss") {
            None => return Err(unauthenticated(JWT_ISS_MISSING)),
            Some(Value::String(iss)) => self.issuers.iter().find(|i| i.config.issuer == *iss),
            Some(_) => return Err(unauthenticated(JWT_CLAIM_TYPE)),
        };
        let issuer = issuer.ok_or(unauthenticated(JWT_ISS_UNTRUSTED))?;
        if !issuer.config.algorithms.contains(&token.alg) {
            return Err(unauthenticated(JWT_ALG_NOT_ALLOWED));
        }
        if let Some(pin) = &issuer.config.typ
            && token.typ.as_ref() != Some(pin)
        {
            return Err(unauthenticated(JWT_TYP_MISMATCH));
        }
        let key = issuer.keys.key_for(&token.kid, now, &self.source(issuer)).await?;
        key.check(token.alg).map_err(unauthenticated)?;
        verify_signature(token.alg, &key.key, token.signing_input, &token.signature).map_err(unauthenticated)?;
        claims::validate(&issuer.config, token.claims, now, self.leeway_secs).map_err(unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crypto_backend_works() {
        assert!(self_test().is_ok());
    }

    #[test]
    fn reason_codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for r in ALL {
            assert!(r.code().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{r}");
            assert!(seen.insert(r.code()), "{r} twice");
        }
    }
}
