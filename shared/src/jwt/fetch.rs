//! The JWKS source port and its HTTPS adapter (reqwest on rustls, no OpenSSL): connect and
//! total timeouts within the authorizer's budget, no redirects, a bounded body.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use reqwest::header::ACCEPT;

/// Why a JWKS could not be fetched. Never carries the body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("jwks fetch timed out")]
    Timeout,
    #[error("jwks endpoint answered http {0}")]
    Status(u16),
    #[error("jwks body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("jwks fetch failed: {0}")]
    Transport(String),
}

/// The future a [`JwksFetcher`] returns.
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'a>>;

/// Fetches the raw JWKS document at `uri`.
pub trait JwksFetcher: Send + Sync + fmt::Debug {
    fn fetch<'a>(&'a self, uri: &'a str) -> FetchFuture<'a>;
}

/// Fetches over HTTPS with rustls. The HTTP client is built on the first fetch: building it
/// loads and parses the system's root certificates, which a deployment that bundles its
/// JWKS never needs, and which would otherwise be paid on every cold start.
#[derive(Debug)]
pub struct HttpJwksFetcher {
    settings: ClientSettings,
    client: std::sync::OnceLock<Result<reqwest::Client, String>>,
    max_bytes: usize,
}

#[derive(Clone, Copy, Debug)]
struct ClientSettings {
    connect_timeout: Duration,
    timeout: Duration,
    allow_loopback_http: bool,
}

impl ClientSettings {
    fn build(self) -> Result<reqwest::Client, String> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // No idle connections: refetches are at least the refetch interval apart, and a
            // socket kept across a frozen Lambda is often one the peer or a NAT has closed,
            // which a reuse finds out only after the timeout (then no retry for an interval).
            .pool_max_idle_per_host(0)
            .https_only(!self.allow_loopback_http)
            .user_agent(concat!("zero-trust-authorizer/", env!("CARGO_PKG_VERSION")));
        if self.allow_loopback_http {
            builder = builder.no_proxy();
        }
        builder.build().map_err(|e| e.to_string())
    }
}

impl HttpJwksFetcher {
    /// `allow_loopback_http` lifts the HTTPS-only rule (the configuration has already checked
    /// that every plain-HTTP URI is on a loopback address) and bypasses any proxy.
    pub fn new(
        connect_timeout: Duration,
        timeout: Duration,
        max_bytes: usize,
        allow_loopback_http: bool,
    ) -> Result<Self, FetchError> {
        let settings = ClientSettings { connect_timeout, timeout, allow_loopback_http };
        Ok(Self { settings, client: std::sync::OnceLock::new(), max_bytes })
    }

    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        self.client.get_or_init(|| self.settings.build()).as_ref().map_err(|e| FetchError::Transport(e.clone()))
    }

    async fn get(&self, uri: &str) -> Result<Vec<u8>, FetchError> {
        let classify =
            |e: reqwest::Error| if e.is_timeout() { FetchError::Timeout } else { FetchError::Transport(e.to_string()) };
        let mut response = self
            .client()?
            .get(uri)
            .header(ACCEPT, "application/jwk-set+json, application/json")
            .send()
            .await
            .map_err(classify)?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|len| len > self.max_bytes as u64) {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl JwksFetcher for HttpJwksFetcher {
    fn fetch<'a>(&'a self, uri: &'a str) -> FetchFuture<'a> {
        Box::pin(self.get(uri))
    }
}
