//! The DynamoDB adapter of the client registry: one `GetItem` per lookup, with explicit
//! timeouts and a bounded retry budget, built once at init.
//!
//! Reads are strongly consistent (`ConsistentRead`): a revocation written to the table is
//! seen by the next lookup, so the worst-case revocation delay is exactly the registry
//! cache TTL plus API Gateway's authorizer cache TTL, with no replication lag on top. The
//! price is one read request unit per lookup instead of half of one, paid at most once per
//! (client, certificate) per cache TTL per container.
//!
//! Budget: each attempt (connect included) is bounded by the attempt timeout, the whole
//! lookup (attempts plus 25-250 ms backoff) by the operation timeout (at most 2 s), with at
//! most 3 attempts. Throttling, timeouts, an unreachable endpoint and any other error are
//! [`RegistryError`]s: the request is denied.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, SharedHttpClient};
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::operation::update_time_to_live::builders::UpdateTimeToLiveFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::MtlsConfig;
use super::registry::{BoxFuture, ClientRegistry, EXPIRES_AT, PARTITION_KEY, RegistryError, RegistryItem, SORT_KEY};
use crate::config::{ConfigError, Env};

/// Extra time the outer guard allows beyond the SDK's own operation timeout.
const GUARD_SLACK: Duration = Duration::from_millis(250);

/// The Amazon Trust Services roots, the only CAs the registry client trusts by default.
const AMAZON_ROOTS: &str = include_str!("amazon-trust-services.pem");

/// Names a file of PEM certificates that replaces [`AMAZON_ROOTS`] (the variable the AWS SDKs
/// and CLI use for the same purpose), e.g. for a TLS-inspecting proxy in front of DynamoDB.
pub const CA_BUNDLE: &str = "AWS_CA_BUNDLE";

/// Every variable [`Connection::from_env`] reads: what the registry client is given of the
/// process environment (`Env::from_process_vars`).
pub const AWS_VARS: [&str; 8] = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    CA_BUNDLE,
];

/// Static credentials and endpoint for a local DynamoDB-compatible server.
#[derive(Clone, Debug)]
pub struct LocalEndpoint {
    pub url: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl LocalEndpoint {
    /// `url` with dummy credentials in `us-east-1`.
    pub fn dummy(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
        }
    }
}

/// Where and as whom the registry client connects, and which CAs it trusts.
///
/// In Lambda this is all in the environment: the region in `AWS_REGION`, the execution
/// role's short-lived credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`. Reading them directly, instead of through `aws-config`'s default
/// chain, keeps the cold start free of what Lambda never uses (profile files, IMDS, an STS
/// client for web identity, the system's 140 root certificates): see ARCHITECTURE.md.
#[derive(Clone, Debug)]
pub struct Connection {
    pub region: String,
    /// `Debug` prints the key id only; the secret and session token are redacted.
    pub credentials: Credentials,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`; `None` for the regional endpoint.
    pub endpoint_url: Option<String>,
    /// PEM certificates of the trusted roots.
    pub roots_pem: String,
}

impl Connection {
    /// Reads the connection from the environment; refuses a missing region or credentials
    /// and a CA bundle that is unreadable or holds no usable certificate.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let region = env
            .get("AWS_REGION")
            .or_else(|| env.get("AWS_DEFAULT_REGION"))
            .ok_or_else(|| ConfigError::new("AWS_REGION", "not set: the registry table's region is needed"))?;
        let credential = |var: &str| {
            env.get(var).ok_or_else(|| {
                ConfigError::new(
                    var,
                    "not set: the registry needs the execution role's credentials from the environment",
                )
            })
        };
        let credentials = Credentials::new(
            credential("AWS_ACCESS_KEY_ID")?,
            credential("AWS_SECRET_ACCESS_KEY")?,
            env.get("AWS_SESSION_TOKEN").map(str::to_owned),
            None,
            "environment",
        );
        let endpoint_url = env.get("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| env.get("AWS_ENDPOINT_URL"));
        // The bundled roots are checked by a unit test; an operator's bundle is checked here.
        let roots_pem = match env.get(CA_BUNDLE) {
            None => AMAZON_ROOTS.to_owned(),
            Some(path) => {
                let pem =
                    std::fs::read_to_string(path).map_err(|e| ConfigError::new(CA_BUNDLE, format!("{path}: {e}")))?;
                trust_anchors(&pem).map_err(|problem| ConfigError::new(CA_BUNDLE, format!("{path}: {problem}")))?;
                pem
            }
        };
        Ok(Self { region: region.to_owned(), credentials, endpoint_url: endpoint_url.map(str::to_owned), roots_pem })
    }

    /// A local server with static credentials; the roots are the default ones (unused over
    /// plain HTTP).
    pub fn local(endpoint: &LocalEndpoint) -> Self {
        Self {
            region: endpoint.region.clone(),
            credentials: Credentials::new(
                &endpoint.access_key_id,
                &endpoint.secret_access_key,
                None,
                None,
                "authz-static",
            ),
            endpoint_url: Some(endpoint.url.clone()),
            roots_pem: AMAZON_ROOTS.to_owned(),
        }
    }
}

/// Counts the certificates of `pem` that parse as trust anchors; an error names the first
/// problem. The HTTP client would panic on a bad one, so this runs first, at init.
fn trust_anchors(pem: &str) -> Result<usize, String> {
    let mut count = 0;
    for (i, der) in CertificateDer::pem_slice_iter(pem.as_bytes()).enumerate() {
        let der = der.map_err(|e| format!("certificate {}: not valid PEM: {e}", i + 1))?;
        webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| format!("certificate {}: not usable as a root: {e}", i + 1))?;
        count += 1;
    }
    if count == 0 {
        return Err("no PEM certificate in the bundle".to_owned());
    }
    Ok(count)
}

/// The HTTPS client: rustls with aws-lc-rs, trusting `roots_pem` only.
fn http_client(roots_pem: &str) -> Result<SharedHttpClient, String> {
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(roots_pem.as_bytes());
    let tls = TlsContext::builder().with_trust_store(trust).build().map_err(|e| format!("tls context: {e}"))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https())
}

/// The registry in a DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoRegistry {
    client: Client,
    table: String,
    operation_timeout: Duration,
    get_item_calls: Arc<AtomicU64>,
}

/// The registry of the configured table, connected as the environment says
/// ([`Connection::from_env`]).
pub fn registry_from_env(config: &MtlsConfig, env: &Env) -> Result<Arc<dyn ClientRegistry>, ConfigError> {
    Ok(Arc::new(DynamoRegistry::from_env(config, env)?))
}

/// The registry of the configured table on an explicit endpoint (tests, local runs).
pub fn registry_with_endpoint(config: &MtlsConfig, endpoint: &LocalEndpoint) -> Arc<dyn ClientRegistry> {
    Arc::new(DynamoRegistry::with_endpoint(config, endpoint))
}

fn timeout_config(config: &MtlsConfig) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(config.attempt_timeout)
        .operation_attempt_timeout(config.attempt_timeout)
        .operation_timeout(config.operation_timeout)
        .build()
}

fn retry_config(config: &MtlsConfig) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(config.max_attempts)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_millis(250))
}

impl DynamoRegistry {
    pub fn from_env(config: &MtlsConfig, env: &Env) -> Result<Self, ConfigError> {
        let connection = Connection::from_env(env)?;
        Self::connect(config, &connection).map_err(|problem| ConfigError::new(CA_BUNDLE, problem))
    }

    pub fn with_endpoint(config: &MtlsConfig, endpoint: &LocalEndpoint) -> Self {
        let connection = Connection::local(endpoint);
        let mut builder = Self::config_builder(config, &connection);
        // The bundled roots always build a client; were that ever not so, the SDK's default
        // client (system roots) is still correct for a local server.
        if let Ok(http) = http_client(&connection.roots_pem) {
            builder = builder.http_client(http);
        }
        Self::from_client(Client::from_conf(builder.build()), config)
    }

    /// A client for `connection` with the registry's timeouts and retry budget.
    pub fn connect(config: &MtlsConfig, connection: &Connection) -> Result<Self, String> {
        let http = http_client(&connection.roots_pem)?;
        let sdk_config = Self::config_builder(config, connection).http_client(http).build();
        Ok(Self::from_client(Client::from_conf(sdk_config), config))
    }

    fn config_builder(config: &MtlsConfig, connection: &Connection) -> aws_sdk_dynamodb::config::Builder {
        let mut builder = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(connection.region.clone()))
            .credentials_provider(connection.credentials.clone())
            .timeout_config(timeout_config(config))
            .retry_config(retry_config(config));
        if let Some(url) = &connection.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        builder
    }

    fn from_client(client: Client, config: &MtlsConfig) -> Self {
        Self {
            client,
            table: config.table_name.clone(),
            operation_timeout: config.operation_timeout,
            get_item_calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many `GetItem` requests this registry (and its clones) sent.
    pub fn get_item_calls(&self) -> u64 {
        self.get_item_calls.load(Ordering::Relaxed)
    }

    /// Writes (creates or replaces) one registration.
    pub async fn put(&self, item: &RegistryItem) -> Result<(), RegistryError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.to_attributes()))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// Creates the table (see [`create_table_request`]), for local servers and tests;
    /// production tables come from the infrastructure code.
    pub async fn create_table(&self) -> Result<(), RegistryError> {
        let build = |e: BuildError| RegistryError::Other(e.to_string());
        create_table_request(&self.client, &self.table).map_err(build)?.send().await.map_err(classify)?;
        ttl_request(&self.client, &self.table).map_err(build)?.send().await.map(|_| ()).map_err(classify)
    }

    async fn get_item(&self, client_id: &str, serial: &str) -> Result<Option<RegistryItem>, RegistryError> {
        self.get_item_calls.fetch_add(1, Ordering::Relaxed);
        let request = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(RegistryItem::key(client_id, serial)))
            .consistent_read(true)
            .send();
        // The SDK enforces the operation timeout; this guard only makes the budget hold even
        // if a part of the SDK outside the orchestrator ever waits longer.
        let output = tokio::time::timeout(self.operation_timeout + GUARD_SLACK, request)
            .await
            .map_err(|_| RegistryError::Timeout)?
            .map_err(classify)?;
        output.item().map(RegistryItem::from_attributes).transpose()
    }
}

impl ClientRegistry for DynamoRegistry {
    fn get<'a>(
        &'a self,
        client_id: &'a str,
        serial: &'a str,
    ) -> BoxFuture<'a, Result<Option<RegistryItem>, RegistryError>> {
        Box::pin(self.get_item(client_id, serial))
    }
}

/// Maps an SDK error to the fault it means.
fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(error: SdkError<E>) -> RegistryError {
    match &error {
        SdkError::TimeoutError(_) => RegistryError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => RegistryError::Timeout,
        SdkError::DispatchFailure(_) => RegistryError::Unavailable(DisplayErrorContext(&error).to_string()),
        SdkError::ServiceError(service) => match service.err().code() {
            Some("ProvisionedThroughputExceededException" | "RequestLimitExceeded" | "ThrottlingException") => {
                RegistryError::Throttled
            }
            code => RegistryError::Other(format!("service error {}", code.unwrap_or("without a code"))),
        },
        _ => RegistryError::Other(DisplayErrorContext(&error).to_string()),
    }
}

/// The registry table's definition, the one both this adapter and `clientctl` create:
/// partition key `client_id` and sort key `serial` (strings, from the item format),
/// on-demand billing.
pub fn create_table_request(client: &Client, table: &str) -> Result<CreateTableFluentBuilder, BuildError> {
    let attribute =
        |name: &str| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build();
    let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    Ok(client
        .create_table()
        .table_name(table)
        .attribute_definitions(attribute(PARTITION_KEY)?)
        .attribute_definitions(attribute(SORT_KEY)?)
        .key_schema(key(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key(SORT_KEY, KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest))
}

/// Turns on the DynamoDB TTL on `expires_at` (see `RegistryItem::expires_at`).
pub fn ttl_request(client: &Client, table: &str) -> Result<UpdateTimeToLiveFluentBuilder, BuildError> {
    let ttl = TimeToLiveSpecification::builder().attribute_name(EXPIRES_AT).enabled(true).build()?;
    Ok(client.update_time_to_live().table_name(table).time_to_live_specification(ttl))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAMBDA: [(&str, &str); 4] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret-key"),
        ("AWS_SESSION_TOKEN", "very-secret-session"),
    ];

    fn connection(extra: &[(&str, &str)], without: &[&str]) -> Result<Connection, ConfigError> {
        let pairs = LAMBDA.iter().chain(extra).filter(|(k, _)| !without.contains(k)).copied();
        Connection::from_env(&Env::from_pairs(pairs))
    }

    #[test]
    fn the_bundled_roots_are_the_five_amazon_trust_services_cas() {
        assert_eq!(trust_anchors(AMAZON_ROOTS), Ok(5));
        for name in ["Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4"] {
            assert!(AMAZON_ROOTS.contains(&format!("CN={name},O=Amazon,C=US")), "{name}");
        }
        assert!(AMAZON_ROOTS.contains("Starfield Services Root Certificate Authority - G2"));
        assert!(http_client(AMAZON_ROOTS).is_ok());
    }

    #[test]
    fn lambda_environment_gives_region_credentials_and_regional_endpoint() {
        let c = connection(&[], &[]).unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.endpoint_url, None);
        assert_eq!(c.roots_pem, AMAZON_ROOTS);
        let debug = format!("{c:?}");
        assert!(debug.contains("ASIAEXAMPLE"));
        assert!(!debug.contains("very-secret"), "{debug}");
        let fallback = connection(&[("AWS_DEFAULT_REGION", "us-west-2")], &["AWS_REGION"]).unwrap();
        assert_eq!(fallback.region, "us-west-2");
        assert!(connection(&[], &["AWS_SESSION_TOKEN"]).is_ok());
    }

    #[test]
    fn the_service_endpoint_variable_wins_over_the_global_one() {
        let both = [("AWS_ENDPOINT_URL", "http://global:1"), ("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2")];
        assert_eq!(connection(&both, &[]).unwrap().endpoint_url.as_deref(), Some("http://ddb:2"));
        assert_eq!(connection(&both[..1], &[]).unwrap().endpoint_url.as_deref(), Some("http://global:1"));
    }

    #[test]
    fn missing_region_or_credentials_refuse_to_start() {
        for (var, without) in [
            ("AWS_REGION", &["AWS_REGION"][..]),
            ("AWS_ACCESS_KEY_ID", &["AWS_ACCESS_KEY_ID"][..]),
            ("AWS_SECRET_ACCESS_KEY", &["AWS_SECRET_ACCESS_KEY"][..]),
        ] {
            let error = connection(&[], without).unwrap_err().to_string();
            assert!(error.contains(var), "{error}");
        }
        let empty = connection(&[("AWS_SECRET_ACCESS_KEY", "")], &["AWS_SECRET_ACCESS_KEY"]).unwrap_err();
        assert!(empty.to_string().contains("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn a_ca_bundle_replaces_the_roots_and_a_bad_one_refuses_to_start() {
        let dir = std::env::temp_dir().join(format!("authz-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        let mut ca = ca;
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let pem = ca.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap().pem();
        let cases = [
            ("good.pem", pem.as_str(), None),
            ("empty.pem", "# nothing here\n", Some("no PEM certificate")),
            (
                "garbage.pem",
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
                Some("certificate 1"),
            ),
            ("notcert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", Some("certificate 1")),
        ];
        for (name, text, problem) in cases {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            let result = connection(&[(CA_BUNDLE, path.to_str().unwrap())], &[]);
            match problem {
                None => assert_eq!(result.unwrap().roots_pem, text),
                Some(p) => {
                    let error = result.unwrap_err().to_string();
                    assert!(error.contains(CA_BUNDLE) && error.contains(p), "{name}: {error}");
                }
            }
        }
        let missing = connection(&[(CA_BUNDLE, "/nonexistent/ca.pem")], &[]).unwrap_err().to_string();
        assert!(missing.contains("/nonexistent/ca.pem"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
