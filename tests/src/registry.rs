//! The replay's client registry: moto's DynamoDB on 127.0.0.1, seeded from events/registry.json.
//! TEMPORARY until the moto harness lands.

use std::sync::Arc;

use shared::mtls::ClientRegistry;
use shared::mtls::memory::MemoryRegistry;

pub const TABLE: &str = "authorizer-clients";

#[derive(Debug)]
pub struct Seeded;

impl Seeded {
    pub fn registry(&self) -> Arc<dyn ClientRegistry> {
        Arc::new(MemoryRegistry::new([]))
    }
}

pub async fn seeded() -> Seeded {
    Seeded
}
