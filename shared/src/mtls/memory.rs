//! An in-memory client registry for unit tests and benchmarks: the same port as DynamoDB,
//! plus a lookup counter and an injectable fault.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::registry::{BoxFuture, ClientRegistry, RegistryError, RegistryItem};

#[derive(Debug, Default)]
pub struct MemoryRegistry {
    items: Mutex<HashMap<(String, String), RegistryItem>>,
    fault: Mutex<Option<RegistryError>>,
    lookups: AtomicU64,
}

impl MemoryRegistry {
    pub fn new(items: impl IntoIterator<Item = RegistryItem>) -> Self {
        let registry = Self::default();
        for item in items {
            registry.put(item);
        }
        registry
    }

    /// Inserts or replaces the item with this item's key.
    pub fn put(&self, item: RegistryItem) {
        if let Ok(mut items) = self.items.lock() {
            items.insert((item.client_id.clone(), item.serial.clone()), item);
        }
    }

    /// From now on every lookup fails with `fault` (`None` heals it).
    pub fn set_fault(&self, fault: Option<RegistryError>) {
        if let Ok(mut f) = self.fault.lock() {
            *f = fault;
        }
    }

    /// How many lookups reached this registry.
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }
}

impl ClientRegistry for MemoryRegistry {
    fn get<'a>(
        &'a self,
        client_id: &'a str,
        serial: &'a str,
    ) -> BoxFuture<'a, Result<Option<RegistryItem>, RegistryError>> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let result = match self.fault.lock().map(|f| f.clone()) {
            Ok(Some(fault)) => Err(fault),
            Err(_) => Err(RegistryError::Other("memory registry lock poisoned".to_owned())),
            Ok(None) => self
                .items
                .lock()
                .map(|items| items.get(&(client_id.to_owned(), serial.to_owned())).cloned())
                .map_err(|_| RegistryError::Other("memory registry lock poisoned".to_owned())),
        };
        Box::pin(std::future::ready(result))
    }
}
