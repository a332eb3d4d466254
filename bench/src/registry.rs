//! The registry side of mTLS, against a real DynamoDB-compatible server (moto on 127.0.0.1):
//! decisions that miss the cache (`GetItem` calls per decision, latency; moto is slow, so the
//! latency is moto's, not DynamoDB's), and a steady stream with the cache on (hit ratio).

use std::sync::Arc;
use std::time::Instant;

use authorizer_tests::fixtures::REPLAY_NOW;
use authorizer_tests::moto::{MotoServer, seeded_registry};
use serde_json::{Value, json};
use shared::authorizer::Authorizer;
use shared::config::Env;
use shared::decision::Outcome;
use shared::mtls::dynamodb::DynamoRegistry;
use shared::mtls::{ClientRegistry, MtlsConfig};

use crate::Effort;
use crate::inproc::{build, expect_allow};
use crate::inputs::{self, Res};
use crate::stats::{Samples, Stats, round};

/// What the registry runs measured.
#[derive(Clone, Debug)]
pub struct RegistryRun {
    /// Cache off (TTL 0): every decision reads the table.
    pub miss: Stats,
    pub miss_get_items_per_decision: f64,
    /// Cache on (TTL 60 s): two clients alternating, the clock advancing one second per
    /// decision, so each item expires and is read again once a minute.
    pub steady_decisions: u64,
    pub steady_get_items: u64,
}

impl RegistryRun {
    /// Decisions answered from the in-container cache.
    pub fn hit_ratio(&self) -> f64 {
        if self.steady_decisions == 0 {
            return 0.0;
        }
        1.0 - self.steady_get_items as f64 / self.steady_decisions as f64
    }

    pub fn json(&self) -> Value {
        json!({
            "server": "moto_server on 127.0.0.1 (latency is moto's, not DynamoDB's)",
            "cache_miss": self.miss.json(),
            "cache_miss_get_items_per_decision": round(self.miss_get_items_per_decision),
            "steady": {
                "workload": "2 clients alternating, clock +1 s per decision, cache TTL 60 s",
                "decisions": self.steady_decisions,
                "get_items": self.steady_get_items,
                "get_items_per_decision": round(self.steady_get_items as f64 / (self.steady_decisions.max(1)) as f64),
                "cache_hit_ratio": round(self.hit_ratio()),
            },
        })
    }
}

/// An authorizer on `server` with cache TTL `ttl`, and its registry (for the call counter).
async fn authorizer(server: &MotoServer, ttl: u64) -> Res<(Authorizer, DynamoRegistry)> {
    let registry = DynamoRegistry::with_endpoint(&mtls_config(ttl)?, &server.endpoint());
    let authorizer = build(inputs::mtls_env(ttl), Some(Arc::new(registry.clone()) as Arc<dyn ClientRegistry>)).await?;
    Ok((authorizer, registry))
}

/// The registry settings the authorizer reads from [`inputs::mtls_env`].
fn mtls_config(ttl: u64) -> Res<MtlsConfig> {
    let env = Env::from_pairs(inputs::mtls_env(ttl));
    MtlsConfig::from_env(&env)
        .map_err(|e| format!("configuration: {e}"))?
        .ok_or_else(|| "mtls not configured".to_owned())
}

async fn measure(server: &MotoServer, effort: &Effort) -> Res<RegistryRun> {
    seeded_registry(&server.endpoint(), &mtls_config(0)?, &inputs::registry_items()?)
        .await
        .map_err(|e| format!("seeding the registry on moto: {e}"))?;
    let active = inputs::read(inputs::MTLS_ACTIVE_EVENT)?;
    let rotated = inputs::read(inputs::MTLS_ROTATED_EVENT)?;

    let (miss_authorizer, miss_registry) = authorizer(server, 0).await?;
    // moto's first calls are slow (imports, table creation): warm it before timing.
    for _ in 0..5 {
        expect_allow(&miss_authorizer, &active, REPLAY_NOW, "mTLS cache miss (moto)").await?;
    }
    let before = miss_registry.get_item_calls();
    let mut miss = Samples::with_capacity(effort.moto_misses);
    for _ in 0..effort.moto_misses {
        let t = Instant::now();
        let verdict = miss_authorizer.evaluate(&active, REPLAY_NOW).await;
        miss.push(t.elapsed());
        if verdict.outcome != Outcome::Allow {
            return Err(format!("mTLS cache miss (moto): got {}", verdict.reason.code()));
        }
    }
    let miss_calls = miss_registry.get_item_calls() - before;

    let (steady_authorizer, steady_registry) = authorizer(server, 60).await?;
    for i in 0..effort.moto_steady {
        let event = if i % 2 == 0 { &active } else { &rotated };
        let verdict = steady_authorizer.evaluate(event, REPLAY_NOW + i as u64).await;
        if verdict.outcome != Outcome::Allow {
            return Err(format!("mTLS steady stream (moto): got {}", verdict.reason.code()));
        }
    }
    Ok(RegistryRun {
        miss_get_items_per_decision: miss_calls as f64 / miss.len().max(1) as f64,
        miss: miss.finish(),
        steady_decisions: effort.moto_steady as u64,
        steady_get_items: steady_registry.get_item_calls(),
    })
}

/// Seeds events/registry.json into `server` (table [`inputs::TABLE`], left there for the
/// binary runs) and measures.
pub fn run(server: &MotoServer, effort: &Effort) -> Res<RegistryRun> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(measure(server, effort))
}
