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

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::operation::update_time_to_live::builders::UpdateTimeToLiveFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::MtlsConfig;
use super::registry::{BoxFuture, ClientRegistry, EXPIRES_AT, PARTITION_KEY, RegistryError, RegistryItem, SORT_KEY};

/// Extra time the outer guard allows beyond the SDK's own operation timeout.
const GUARD_SLACK: Duration = Duration::from_millis(250);

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

/// The registry in a DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoRegistry {
    client: Client,
    table: String,
    operation_timeout: Duration,
    get_item_calls: Arc<AtomicU64>,
}

/// The registry of the configured table, with region, credentials and endpoint
/// (`AWS_ENDPOINT_URL_DYNAMODB`) from the environment.
pub async fn registry_from_env(config: &MtlsConfig) -> Arc<dyn ClientRegistry> {
    Arc::new(DynamoRegistry::from_env(config).await)
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
    pub async fn from_env(config: &MtlsConfig) -> Self {
        let sdk_config = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeout_config(config))
            .retry_config(retry_config(config))
            .load()
            .await;
        if sdk_config.region().is_none() {
            tracing::warn!("no aws region configured: every registry lookup will fail and deny");
        }
        Self::from_client(Client::new(&sdk_config), config)
    }

    pub fn with_endpoint(config: &MtlsConfig, endpoint: &LocalEndpoint) -> Self {
        let credentials =
            Credentials::new(&endpoint.access_key_id, &endpoint.secret_access_key, None, None, "authz-static");
        let sdk_config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(endpoint.region.clone()))
            .endpoint_url(&endpoint.url)
            .credentials_provider(credentials)
            .timeout_config(timeout_config(config))
            .retry_config(retry_config(config))
            .build();
        Self::from_client(Client::from_conf(sdk_config), config)
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
