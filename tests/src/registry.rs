//! The client registry for the replay and the local run: moto's DynamoDB on 127.0.0.1,
//! seeded from `events/registry.json` through the one item format in
//! `shared::mtls::registry`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use shared::config::Env;
use shared::mtls::dynamodb::{LocalEndpoint, registry_with_endpoint};
use shared::mtls::registry::RegistryItem;
use shared::mtls::{ClientRegistry, MtlsConfig};

use crate::moto;

/// The table name the fixtures and the demo use.
pub const TABLE: &str = "authorizer-clients";

/// Reads a seed file: a JSON array of items written with the registry's attribute names
/// (strings, numbers, lists of strings). Each item goes through `RegistryItem::from_attributes`,
/// so a seed the authorizer could not read is refused here.
pub fn read_seed(path: &Path) -> Result<Vec<RegistryItem>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let items: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let attributes: HashMap<String, AttributeValue> = item
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        attribute(v).ok_or_else(|| format!("{}: item {i}: {k}: unsupported value", path.display()))?,
                    ))
                })
                .collect::<Result<_, String>>()?;
            RegistryItem::from_attributes(&attributes).map_err(|e| format!("{}: item {i}: {e}", path.display()))
        })
        .collect()
}

fn attribute(v: &serde_json::Value) -> Option<AttributeValue> {
    match v {
        serde_json::Value::String(s) => Some(AttributeValue::S(s.clone())),
        serde_json::Value::Number(n) => Some(AttributeValue::N(n.to_string())),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(|s| AttributeValue::S(s.to_owned())))
            .collect::<Option<Vec<_>>>()
            .map(AttributeValue::L),
        _ => None,
    }
}

/// The mTLS configuration for `table` with defaults, for seeding.
pub fn config_for(table: &str) -> Result<MtlsConfig, String> {
    MtlsConfig::from_env(&Env::from_pairs([("AUTHZ_REGISTRY_TABLE", table)]))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "mtls configuration missing".to_owned())
}

/// Creates `table` at `endpoint` and writes the seed items into it.
pub async fn seed(endpoint: &LocalEndpoint, table: &str, seed_file: &Path) -> Result<usize, String> {
    let items = read_seed(seed_file)?;
    moto::seeded_registry(endpoint, &config_for(table)?, &items).await.map_err(|e| format!("seeding {table}: {e}"))?;
    Ok(items.len())
}

/// The replay's registry server, seeded once per test process.
#[derive(Debug)]
pub struct Seeded {
    endpoint: LocalEndpoint,
}

impl Seeded {
    /// A DynamoDB registry adapter with the suite's own mTLS configuration (cache TTLs,
    /// timeouts), pointed at the seeded server.
    pub fn registry(&self, config: &MtlsConfig) -> Arc<dyn ClientRegistry> {
        registry_with_endpoint(config, &self.endpoint)
    }
}

/// Starts (or reuses) moto and seeds [`TABLE`] from `events/registry.json`.
pub async fn seeded() -> Seeded {
    let server = moto::shared_server().unwrap_or_else(|e| panic!("{e}"));
    let endpoint = server.endpoint();
    let seed_file = crate::fixtures::events_dir().join("registry.json");
    seed(&endpoint, TABLE, &seed_file).await.unwrap_or_else(|e| panic!("{e}"));
    Seeded { endpoint }
}
