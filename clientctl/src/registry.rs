//! The registry table, as the provisioning side sees it: reads, and conditional writes so two
//! operators never silently overwrite each other.
//!
//! Items are read and written only through `shared::mtls::registry::RegistryItem` (the one
//! definition of the item format). Writes:
//! - a new registration is a `PutItem` conditional on `attribute_not_exists(client_id)` for
//!   its (client_id, serial) key, so a duplicate serial is a conflict;
//! - a change is an `UpdateItem` of the attributes that differ, conditional on every
//!   attribute of the item still holding the value that was read (optimistic concurrency,
//!   without a version attribute): if anything changed in between, nothing is written;
//! - a rotation registers the new certificate and cuts the old ones in one
//!   `TransactWriteItems`, all or nothing.
//!
//! All reads are strongly consistent. The client is built once, with explicit timeouts and a
//! bounded retry budget; region, credentials and endpoint (`AWS_ENDPOINT_URL_DYNAMODB`) come
//! from the standard AWS environment, `--endpoint-url` overrides the endpoint.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use shared::mtls::dynamodb::{create_table_request, ttl_request};
use shared::mtls::registry::{PARTITION_KEY, RegistryItem, SORT_KEY};

use crate::error::{CtlError, Result};

type Attributes = HashMap<String, AttributeValue>;

/// An item as read: parsed, and the raw attributes the next write is conditional on.
#[derive(Clone, Debug)]
pub struct Stored {
    pub item: RegistryItem,
    raw: Attributes,
}

impl Stored {
    /// An item as it would be read back after `PutItem` of `item`.
    #[cfg(test)]
    fn assumed(item: RegistryItem) -> Self {
        let raw = item.to_attributes();
        Self { item, raw }
    }
}

/// The registry table on one endpoint.
#[derive(Clone, Debug)]
pub struct Registry {
    client: Client,
    table: String,
}

impl Registry {
    /// A client for `table`: region, credentials and endpoint from the AWS environment,
    /// `endpoint_url` (when given) instead of the environment's endpoint.
    pub async fn connect(table: &str, endpoint_url: Option<&str>) -> Result<Self> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        Self::connect_with(table, loader).await
    }

    /// A client for `table` from `loader` (tests pass static credentials), with clientctl's
    /// timeouts and retry budget.
    pub async fn connect_with(table: &str, loader: aws_config::ConfigLoader) -> Result<Self> {
        check_table_name(table)?;
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(30))
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(2));
        let config = loader.timeout_config(timeouts).retry_config(retries).load().await;
        if config.region().is_none() {
            return Err(CtlError::Usage("no AWS region: set AWS_REGION (or a profile with a region)".to_owned()));
        }
        Ok(Self { client: Client::new(&config), table: table.to_owned() })
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The item for (client_id, serial), if any.
    pub async fn get(&self, client_id: &str, serial: &str) -> Result<Option<Stored>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(RegistryItem::key(client_id, serial)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.fault(e))?;
        output.item.map(parse).transpose()
    }

    /// Every item of one client.
    pub async fn client_items(&self, client_id: &str) -> Result<Vec<Stored>> {
        let pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":pk", AttributeValue::S(client_id.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.fault(e))?;
        pages.into_iter().map(parse).collect()
    }

    /// Every item of the table.
    pub async fn all_items(&self) -> Result<Vec<Stored>> {
        let pages = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.fault(e))?;
        pages.into_iter().map(parse).collect()
    }

    /// Registers a new certificate; an item with the same key is a conflict.
    pub async fn register(&self, item: &RegistryItem) -> Result<()> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.to_attributes()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Err(duplicate(item)),
            Err(e) => Err(self.fault(e)),
        }
    }

    /// Writes `new` over `old`, only if the stored item is still exactly `old`.
    pub async fn replace(&self, old: &Stored, new: &RegistryItem) -> Result<()> {
        let Some(change) = Change::between(old, new) else { return Ok(()) };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(RegistryItem::key(&old.item.client_id, &old.item.serial)))
            .update_expression(change.update)
            .condition_expression(change.condition)
            .set_expression_attribute_names(Some(change.names))
            .set_expression_attribute_values(Some(change.values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Err(self.explain_lost_race(&old.item).await),
            Err(e) => Err(self.fault(e)),
        }
    }

    /// Registers `new` and applies every (old, changed) pair, all or nothing.
    pub async fn rotate(&self, new: &RegistryItem, changes: &[(Stored, RegistryItem)]) -> Result<()> {
        let built =
            |e: aws_sdk_dynamodb::error::BuildError| CtlError::Registry(format!("cannot build the request: {e}"));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(new.to_attributes()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(built)?;
        let mut request =
            self.client.transact_write_items().transact_items(TransactWriteItem::builder().put(put).build());
        for (old, changed) in changes {
            let Some(change) = Change::between(old, changed) else { continue };
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(RegistryItem::key(&old.item.client_id, &old.item.serial)))
                .update_expression(change.update)
                .condition_expression(change.condition)
                .set_expression_attribute_names(Some(change.names))
                .set_expression_attribute_values(Some(change.values))
                .build()
                .map_err(built)?;
            request = request.transact_items(TransactWriteItem::builder().update(update).build());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("TransactionCanceledException") => Err(CtlError::Conflict(format!(
                "client {}: the rotation conflicted with another change to its certificates; nothing was written",
                new.client_id
            ))),
            Err(e) => Err(self.fault(e)),
        }
    }

    /// Creates the table (the authorizer's own definition: `shared::mtls::dynamodb`) with
    /// its TTL attribute, for local servers; production tables come from the infrastructure
    /// code.
    pub async fn create_table(&self) -> Result<()> {
        let built =
            |e: aws_sdk_dynamodb::error::BuildError| CtlError::Registry(format!("cannot build the request: {e}"));
        let created = create_table_request(&self.client, &self.table).map_err(built)?.send().await;
        match created {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => {
                return Err(CtlError::Conflict(format!("table {} already exists", self.table)));
            }
            Err(e) => return Err(self.fault(e)),
        }
        ttl_request(&self.client, &self.table).map_err(built)?.send().await.map(|_| ()).map_err(|e| self.fault(e))
    }

    /// After a conditional write failed: the item is gone, or someone changed it.
    async fn explain_lost_race(&self, old: &RegistryItem) -> CtlError {
        match self.get(&old.client_id, &old.serial).await {
            Ok(None) => not_found(&old.client_id, &old.serial),
            Ok(Some(now)) => CtlError::Conflict(format!(
                "client {} certificate {}: changed by someone else while this command ran (now {}); nothing was written",
                old.client_id,
                old.serial,
                now.item.status.as_str()
            )),
            Err(e) => e,
        }
    }

    /// Maps an SDK error to the registry fault it means.
    fn fault<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug + 'static>(
        &self,
        error: SdkError<E, R>,
    ) -> CtlError {
        let table = &self.table;
        match &error {
            SdkError::ServiceError(service) => match service.err().code() {
                Some("ResourceNotFoundException") => CtlError::Registry(format!(
                    "table {table} not found: create it with the infrastructure code (or `clientctl table create` on a local server)"
                )),
                Some("ProvisionedThroughputExceededException" | "RequestLimitExceeded" | "ThrottlingException") => {
                    CtlError::Registry(format!("table {table}: throttled, try again later"))
                }
                code => CtlError::Registry(format!(
                    "table {table}: {} ({})",
                    service.err().message().unwrap_or("the service refused the request"),
                    code.unwrap_or("no error code")
                )),
            },
            SdkError::TimeoutError(_) => {
                CtlError::Registry(format!("table {table}: the registry did not answer in time"))
            }
            SdkError::DispatchFailure(_) => {
                CtlError::Registry(format!("table {table}: registry unreachable: {}", causes(&error)))
            }
            _ => CtlError::Registry(format!("table {table}: {}", causes(&error))),
        }
    }
}

/// The messages of an error and its sources, joined (the SDK's own display repeats them in
/// debug form).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let message = e.to_string();
        if !messages.iter().any(|m| m.contains(&message)) {
            messages.push(message);
        }
        next = e.source();
    }
    messages.join(": ")
}

/// The error for a missing (client_id, serial).
pub fn not_found(client_id: &str, serial: &str) -> CtlError {
    CtlError::NotFound(format!("client {client_id}: no certificate with serial {serial} in the registry"))
}

fn duplicate(item: &RegistryItem) -> CtlError {
    CtlError::Conflict(format!("client {}: serial {} is already registered", item.client_id, item.serial))
}

fn condition_failed<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

/// DynamoDB table names: 3 to 255 of `A-Z a-z 0-9 _ - .` (as the authorizer checks them).
fn check_table_name(table: &str) -> Result<()> {
    let ok = (3..=255).contains(&table.len())
        && table.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok { Ok(()) } else { Err(CtlError::Usage(format!("--table {table:?}: expected 3 to 255 of A-Z a-z 0-9 _ - ."))) }
}

/// The name of the TTL attribute, as the shared item format writes it: the one attribute
/// that `expires_at` adds (so the name is defined only in `shared`).
fn parse(raw: Attributes) -> Result<Stored> {
    match RegistryItem::from_attributes(&raw) {
        Ok(item) => Ok(Stored { item, raw }),
        Err(e) => {
            let name = |key: &str| raw.get(key).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            Err(CtlError::Registry(format!("client {} certificate {}: {e}", name(PARTITION_KEY), name(SORT_KEY))))
        }
    }
}

/// An update expression from one item state to the next, conditional on the stored item.
#[derive(Debug, PartialEq)]
struct Change {
    update: String,
    condition: String,
    names: HashMap<String, String>,
    values: Attributes,
}

impl Change {
    /// `None` when nothing changes.
    fn between(old: &Stored, new: &RegistryItem) -> Option<Change> {
        let (before, after) = (old.item.to_attributes(), new.to_attributes());
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let (mut sets, mut removes) = (Vec::new(), Vec::new());
        let touched: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for (i, name) in touched.into_iter().enumerate() {
            match (before.get(name), after.get(name)) {
                (b, Some(a)) if b != Some(a) => {
                    sets.push(format!("#u{i} = :u{i}"));
                    values.insert(format!(":u{i}"), a.clone());
                }
                (Some(_), None) => removes.push(format!("#u{i}")),
                _ => continue,
            }
            names.insert(format!("#u{i}"), name.clone());
        }
        if sets.is_empty() && removes.is_empty() {
            return None;
        }
        let mut update = Vec::new();
        if !sets.is_empty() {
            update.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            update.push(format!("REMOVE {}", removes.join(", ")));
        }
        let raw: BTreeSet<&String> = old.raw.keys().collect();
        let mut conditions = Vec::new();
        for (i, name) in raw.into_iter().enumerate() {
            if let Some(value) = old.raw.get(name) {
                names.insert(format!("#c{i}"), name.clone());
                values.insert(format!(":c{i}"), value.clone());
                conditions.push(format!("#c{i} = :c{i}"));
            }
        }
        Some(Change { update: update.join(" "), condition: conditions.join(" AND "), names, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::mtls::registry::Status;

    #[test]
    fn changes_touch_only_what_differs_and_check_everything_read() {
        let old = RegistryItem { tenant: Some("t".to_owned()), ..RegistryItem::active("c", "a1", 100, 1) };
        let stored = Stored::assumed(old.clone());
        assert_eq!(Change::between(&stored, &old), None);
        let new = RegistryItem {
            status: Status::Revoked,
            revoked_at: Some(5),
            revoked_reason: Some("lost".to_owned()),
            tenant: None,
            ..old.clone()
        };
        let change = Change::between(&stored, &new).unwrap();
        let named: BTreeSet<&str> =
            change.update.split([' ', ',']).filter_map(|t| change.names.get(t)).map(String::as_str).collect();
        assert_eq!(named, BTreeSet::from(["revoked_at", "revoked_reason", "status", "tenant"]));
        assert!(change.update.starts_with("SET ") && change.update.contains(" REMOVE "), "{}", change.update);
        assert_eq!(change.condition.matches(" = ").count(), old.to_attributes().len());
    }

    #[test]
    fn table_names() {
        assert!(check_table_name("authorizer-clients").is_ok());
        for bad in ["ab", "a/b", &"a".repeat(256)] {
            assert!(check_table_name(bad).is_err(), "{bad}");
        }
    }
}
