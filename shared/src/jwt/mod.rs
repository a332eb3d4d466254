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
mod selftest;
mod signature;
mod token;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use claims::KeptClaims;
pub use config::{IssuerConfig, JwtConfig, TokenKind};
pub use fetch::{FetchError, FetchFuture, HttpJwksFetcher, JwksFetcher};
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
pub use reasons::*;
pub use token::{MAX_KID_BYTES, MAX_TOKEN_BYTES};

use crate::decision::{JwtIdentity, Rejection};
use json::Json;
use jwks::{KeyCache, Source};

/// Error building the verifier at init (bundled JWKS unreadable, HTTP client).
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
    times: claims::TimeRules,
    refresh_secs: u64,
    max_age_secs: u64,
    timeout: std::time::Duration,
    fetcher: Arc<dyn JwksFetcher>,
    kept_claims: KeptClaims,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl JwtVerifier {
    /// Builds the HTTPS client, loads bundled JWKS files and does
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
        let mut issuers = Vec::with_capacity(config.issuers.len());
        for issuer in config.issuers {
            let initial = match &issuer.jwks_file {
                None => jwks::KeySet::new(),
                Some(path) => {
                    let bytes = std::fs::read(path).map_err(|e| {
                        JwtInitError(format!("jwks file {} for {}: {e}", path.display(), issuer.issuer))
                    })?;
                    jwks::parse_jwks(&bytes, &issuer.algorithms)
                        .map_err(|e| JwtInitError(format!("jwks file {} for {}: {e}", path.display(), issuer.issuer)))?
                }
            };
            // A bundled JWKS ages like a fetched one (from the first token that uses it): past
            // the maximum age, the next token refetches it, and keeps it if that fails.
            issuers.push(TrustedIssuer { keys: KeyCache::new(initial), config: issuer });
        }
        let verifier = Self {
            issuers,
            times: claims::TimeRules { leeway: config.leeway_secs, max_lifetime: config.max_lifetime_secs },
            refresh_secs: config.jwks_refresh_secs,
            max_age_secs: config.jwks_max_age_secs,
            timeout: config.timeout,
            fetcher,
            kept_claims: KeptClaims::All,
        };
        // All at once: each is bounded by the fetch budget (at most 1.5 s), and one after
        // another, several unreachable issuers would add up past Lambda's 10 s init limit.
        let now = unix_now();
        let fetches = verifier.issuers.iter().filter(|i| i.config.fetch_jwks_at_init).map(|issuer| {
            let verifier = &verifier;
            async move { issuer.keys.fetch_at_init(now, &verifier.source(issuer)).await }
        });
        futures_util::future::join_all(fetches).await;
        for issuer in &verifier.issuers {
            tracing::info!(issuer = &*issuer.config.issuer, keys = issuer.keys.len(), "jwt issuer ready");
        }
        Ok(verifier)
    }

    /// Which scalar claims the identities this verifier builds carry (all, by default).
    pub fn keep_claims(&mut self, kept: KeptClaims) {
        self.kept_claims = kept;
    }

    fn source<'a>(&'a self, issuer: &'a TrustedIssuer) -> Source<'a> {
        Source {
            issuer: &issuer.config.issuer,
            uri: &issuer.config.jwks_uri,
            algorithms: &issuer.config.algorithms,
            fetcher: self.fetcher.as_ref(),
            refresh_secs: self.refresh_secs,
            max_age_secs: self.max_age_secs,
            timeout: self.timeout,
        }
    }

    /// Verifies `token` (the compact JWS, without the `Bearer ` scheme) at `now` (Unix seconds).
    pub async fn verify(&self, token: &str, now: u64) -> Result<JwtIdentity, Rejection> {
        let unauthenticated = Rejection::unauthenticated;
        let mut decoded = Vec::new();
        let token = token::parse(token, &mut decoded).map_err(unauthenticated)?;
        let issuer = match token.claims.get("iss") {
            None => return Err(unauthenticated(JWT_ISS_MISSING)),
            Some(Json::String(iss)) => self.issuers.iter().find(|i| *i.config.issuer == **iss),
            Some(_) => return Err(unauthenticated(JWT_CLAIM_TYPE)),
        };
        let issuer = issuer.ok_or(unauthenticated(JWT_ISS_UNTRUSTED))?;
        if !issuer.config.algorithms.contains(&token.alg) {
            return Err(unauthenticated(JWT_ALG_NOT_ALLOWED));
        }
        if let Some(pin) = &issuer.config.typ
            && !token.typ.as_deref().is_some_and(|typ| config::typ_matches(pin, typ))
        {
            return Err(unauthenticated(JWT_TYP_MISMATCH));
        }
        let jwk = issuer.keys.key_for(&token.kid, now, &self.source(issuer)).await?;
        let key = jwk.for_alg(token.alg).map_err(unauthenticated)?;
        if !selftest::passed(token.alg) {
            return Err(Rejection::fault(JWT_CRYPTO_SELF_TEST_FAILED));
        }
        signature::verify(key, token.signing_input, token.signature).map_err(unauthenticated)?;
        claims::validate(&issuer.config, &token.claims, now, self.times, &self.kept_claims).map_err(unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A JWKS source whose fetches each wait until `together` of them are in flight.
    #[derive(Debug)]
    struct Together {
        barrier: tokio::sync::Barrier,
        passed: AtomicUsize,
    }

    impl JwksFetcher for Together {
        fn fetch<'a>(&'a self, _uri: &'a str) -> FetchFuture<'a> {
            Box::pin(async move {
                self.barrier.wait().await;
                self.passed.fetch_add(1, Ordering::SeqCst);
                Err(FetchError::Status(503))
            })
        }
    }

    /// Init fetches run at once: one after another, each would wait on the barrier until
    /// its budget ran out, and none would pass it.
    #[tokio::test]
    async fn init_fetches_run_concurrently() {
        let issuers: Vec<String> = (0..3)
            .map(|i| format!(r#"{{"issuer":"https://idp{i}.example","audiences":["a"],"fetch_jwks_at_init":true}}"#))
            .collect();
        let env = crate::config::Env::from_pairs([
            (config::VAR_ISSUERS, format!("[{}]", issuers.join(","))),
            (config::VAR_TIMEOUT, "100".to_owned()),
            (config::VAR_CONNECT_TIMEOUT, "100".to_owned()),
        ]);
        let config = JwtConfig::from_env(&env).ok().flatten().unwrap_or_else(|| unreachable!());
        let fetcher = Arc::new(Together { barrier: tokio::sync::Barrier::new(3), passed: AtomicUsize::new(0) });
        let verifier = JwtVerifier::with_fetcher(config, fetcher.clone()).await;
        assert!(verifier.is_ok(), "a failed init fetch is not an init error");
        assert_eq!(fetcher.passed.load(Ordering::SeqCst), 3);
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
