//! In-process decisions, warm, on one core: the whole handler (event JSON bytes in, response
//! JSON bytes out, decision log line formatted as in the Lambda and thrown away, EMF line to
//! `NullSink`) for JWT RS256, JWT ES256 and mTLS with a warm registry cache, next to the raw
//! signature verify of the same backend (`jsonwebtoken::crypto::verify`, same key, same token)
//! and to the same verify with a key parsed once (aws-lc-rs's `ParsedPublicKey`, which the
//! handler uses: `jsonwebtoken`'s verify rebuilds the key from its bytes on every call).
//!
//! Raw and handler calls run in interleaved rounds, so that clock-speed drift and noise from
//! other processes hit both alike.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use authorizer_tests::fixtures::REPLAY_NOW;
use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Value, json};
use shared::authorizer::{Authorizer, AuthorizerConfig, Invocation};
use shared::config::Env;
use shared::decision::Outcome;
use shared::mtls::ClientRegistry;
use shared::mtls::memory::MemoryRegistry;
use shared::telemetry::NullSink;

use crate::Effort;
use crate::inputs::{self, Res};
use crate::stats::{Paired, Samples, Stats, round};

/// Installs the Lambda's JSON log subscriber at its default level, writing to `io::sink`:
/// formatting is counted, terminal I/O is not.
pub fn install_log_sink() {
    let subscriber = shared::logging::subscriber(
        shared::logging::filter(tracing_subscriber::filter::LevelFilter::INFO),
        std::io::sink,
    );
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The authorizer of `env`, with `NullSink` metrics.
pub async fn build(env: Vec<(String, String)>, registry: Option<Arc<dyn ClientRegistry>>) -> Res<Authorizer> {
    let config = AuthorizerConfig::from_env(&Env::from_pairs(env)).map_err(|e| format!("configuration: {e}"))?;
    Authorizer::from_config(config, registry, Arc::new(NullSink)).await.map_err(|e| format!("init: {e}"))
}

/// Fails unless `event` is allowed at `now` (a benchmark of a refusal would be meaningless).
pub async fn expect_allow(authorizer: &Authorizer, event: &[u8], now: u64, what: &str) -> Res<()> {
    let verdict = authorizer.evaluate(event, now).await;
    if verdict.outcome == Outcome::Allow {
        Ok(())
    } else {
        Err(format!("{what}: expected allow, got {} ({})", verdict.outcome.as_str(), verdict.reason.code()))
    }
}

/// One whole decision as the Lambda makes it: handle, then the response's payload serialized
/// as `lambda_runtime` serializes it (`serde_json::to_vec`). Never
/// inlined, so a profiler can single it out (`valgrind --tool=callgrind
/// --toggle-collect='*inproc*decide*' report --loop mtls 20000`).
#[inline(never)]
async fn decide(authorizer: &Authorizer, event: &[u8], now: u64) -> usize {
    let answer = authorizer.handle(black_box(event), Invocation { request_id: "bench-request-id", now }).await;
    answer.ok().and_then(|r| serde_json::to_vec(&r.payload()).ok()).map_or(0, |body| body.len())
}

/// The floor: `jsonwebtoken::crypto::verify` of the token's signature (base64url decode and
/// verify with the aws-lc-rs provider), nothing else. Never inlined, like [`decide`].
#[inline(never)]
fn raw_verify(signature: &str, message: &[u8], key: &DecodingKey, alg: Algorithm) -> bool {
    matches!(jsonwebtoken::crypto::verify(black_box(signature), black_box(message), key, alg), Ok(true))
}

/// The physical floor: base64url decode and aws-lc-rs verify with a key parsed once, as the
/// handler verifies. Never inlined, like [`decide`].
#[inline(never)]
fn parsed_verify(signature: &str, message: &[u8], key: &ParsedPublicKey) -> bool {
    let Ok(signature) = URL_SAFE_NO_PAD.decode(black_box(signature)) else { return false };
    key.verify_sig(black_box(message), &signature).is_ok()
}

/// One in-process case: the handler, the decision alone (`evaluate`, no log, metric or
/// serialization) and, for JWT, the raw verify floor.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: &'static str,
    pub handler: Stats,
    pub evaluate: Stats,
    pub raw: Option<Stats>,
    /// The raw verify with a key parsed once (JWT).
    pub parsed: Option<Stats>,
    /// Registry lookups per decision during the timed calls (mTLS).
    pub lookups_per_decision: Option<f64>,
    /// Per-decision means of batches of [`BATCH`] untimed decisions (mTLS): a decision of a
    /// few microseconds is short enough that timing each one adds the clock's own cost to it.
    pub batched: Option<Stats>,
    /// How much the raw verify's median moved from round to round (largest over smallest
    /// round median, minus one; JWT): the same code on the same input, so this is the
    /// machine's speed moving under the run, which the time ratios then carry.
    pub raw_round_spread: Option<f64>,
    /// Round by round, the handler's median over the raw verify's median in the same round
    /// (JWT): the ratio with the machine's moves between rounds taken out.
    pub paired: Option<Paired>,
}

/// Decisions per timed batch, for [`Case::batched`].
pub const BATCH: usize = 200;

impl Case {
    /// Decisions per second on one core: all batched decisions over all their time where
    /// there are batches (equal-sized, so the mean of the batch means), else from the mean
    /// of the individually timed calls. Both are what a saturated core sustains, slow
    /// stretches included.
    pub fn per_core(&self) -> f64 {
        self.batched.map_or_else(|| self.handler.per_sec(), |b| b.per_sec())
    }

    /// Handler median over raw verify median.
    pub fn ratio(&self) -> Option<f64> {
        self.raw.filter(|r| r.median_ns > 0.0).map(|r| self.handler.median_ns / r.median_ns)
    }

    /// Handler median over the parsed-key verify median.
    pub fn parsed_ratio(&self) -> Option<f64> {
        self.parsed.filter(|r| r.median_ns > 0.0).map(|r| self.handler.median_ns / r.median_ns)
    }

    pub fn json(&self) -> Value {
        json!({
            "handler": self.handler.json(),
            "evaluate_only": self.evaluate.json(),
            "raw_verify": self.raw.map(|r| r.json()),
            "handler_over_raw": self.ratio().map(round),
            "parsed_key_verify": self.parsed.map(|r| r.json()),
            "handler_over_parsed_key_verify": self.parsed_ratio().map(round),
            "registry_lookups_per_decision": self.lookups_per_decision,
            "batched_per_decision": self.batched.map(|b| b.json()),
            "raw_verify_round_median_spread": self.raw_round_spread.map(round),
            "handler_over_raw_round_by_round": self.paired.map(|p| p.json()),
            "decisions_per_sec_one_core": self.per_core().round(),
        })
    }
}

/// The signing input and the base64url signature of a compact JWS.
fn split_token(token: &str) -> Res<(String, String)> {
    token.rsplit_once('.').map(|(m, s)| (m.to_owned(), s.to_owned())).ok_or_else(|| "token: no signature".to_owned())
}

/// Times `n` calls of `verify`, keeping (when `keep`) the durations of those that accepted.
fn time_verifies(samples: &mut Samples, n: usize, keep: bool, verify: impl Fn() -> bool) {
    for _ in 0..n {
        let t = Instant::now();
        let ok = verify();
        let d = t.elapsed();
        if keep && ok {
            samples.push(d);
        }
    }
}

async fn jwt_case(
    name: &'static str,
    authorizer: &Authorizer,
    event: &[u8],
    (key, parsed_key): (&DecodingKey, &ParsedPublicKey),
    alg: Algorithm,
    effort: &Effort,
) -> Res<Case> {
    expect_allow(authorizer, event, REPLAY_NOW, name).await?;
    let (message, signature) = split_token(&inputs::token_of(event)?)?;
    if !raw_verify(&signature, message.as_bytes(), key, alg)
        || !parsed_verify(&signature, message.as_bytes(), parsed_key)
    {
        return Err(format!("{name}: a raw verify does not accept the fixture token"));
    }
    let n = effort.rounds * effort.jwt_per_round;
    let (mut raw, mut parsed, mut handler, mut evaluate) =
        (Samples::with_capacity(n), Samples::with_capacity(n), Samples::with_capacity(n), Samples::default());
    // Round 0 warms caches and branch predictors and is not recorded.
    for round in 0..=effort.rounds {
        let keep = round > 0;
        time_verifies(&mut raw, effort.jwt_per_round, keep, || raw_verify(&signature, message.as_bytes(), key, alg));
        time_verifies(&mut parsed, effort.jwt_per_round, keep, || {
            parsed_verify(&signature, message.as_bytes(), parsed_key)
        });
        for _ in 0..effort.jwt_per_round {
            let t = Instant::now();
            black_box(decide(authorizer, event, REPLAY_NOW).await);
            if keep {
                handler.push(t.elapsed());
            }
        }
        for _ in 0..effort.jwt_per_round / 4 {
            let t = Instant::now();
            black_box(authorizer.evaluate(black_box(event), REPLAY_NOW).await);
            if keep {
                evaluate.push(t.elapsed());
            }
        }
    }
    if raw.len() != n || parsed.len() != n {
        return Err(format!("{name}: a raw verify failed {} times", 2 * n - raw.len() - parsed.len()));
    }
    let raw_round_spread = raw.chunk_spread(effort.jwt_per_round);
    let paired = handler.paired_ratio(&raw, effort.jwt_per_round);
    Ok(Case {
        name,
        handler: handler.finish(),
        evaluate: evaluate.finish(),
        raw: Some(raw.finish()),
        parsed: Some(parsed.finish()),
        lookups_per_decision: None,
        batched: None,
        raw_round_spread,
        paired,
    })
}

async fn mtls_case(effort: &Effort) -> Res<Case> {
    let name = "mTLS, warm registry cache";
    let registry = Arc::new(MemoryRegistry::new(inputs::registry_items()?));
    let authorizer = build(inputs::mtls_env(60), Some(registry.clone() as Arc<dyn ClientRegistry>)).await?;
    let event = inputs::read(inputs::MTLS_ACTIVE_EVENT)?;
    expect_allow(&authorizer, &event, REPLAY_NOW, name).await?;
    let n = effort.rounds * effort.mtls_per_round;
    let (mut handler, mut evaluate, mut batched) = (Samples::with_capacity(n), Samples::default(), Samples::default());
    let mut lookups_before = registry.lookups();
    for round in 0..=effort.rounds {
        if round == 1 {
            lookups_before = registry.lookups();
        }
        for _ in 0..effort.mtls_per_round {
            let t = Instant::now();
            black_box(decide(&authorizer, &event, REPLAY_NOW).await);
            if round > 0 {
                handler.push(t.elapsed());
            }
        }
        for _ in 0..effort.mtls_per_round / 4 {
            let t = Instant::now();
            black_box(authorizer.evaluate(black_box(&event), REPLAY_NOW).await);
            if round > 0 {
                evaluate.push(t.elapsed());
            }
        }
        for _ in 0..effort.mtls_per_round / BATCH {
            let t = Instant::now();
            for _ in 0..BATCH {
                black_box(decide(&authorizer, &event, REPLAY_NOW).await);
            }
            if round > 0 {
                batched.push_ns(t.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
            }
        }
    }
    let decisions = (handler.len() + evaluate.len() + batched.len() * BATCH) as f64;
    let lookups = (registry.lookups() - lookups_before) as f64 / decisions.max(1.0);
    Ok(Case {
        name,
        handler: handler.finish(),
        evaluate: evaluate.finish(),
        raw: None,
        parsed: None,
        lookups_per_decision: Some(lookups),
        batched: Some(batched.finish()),
        raw_round_spread: None,
        paired: None,
    })
}

/// The cases [`run_loop`] knows.
pub const LOOP_CASES: &[&str] =
    &["rs256", "es256", "mtls", "rs256-raw", "es256-raw", "rs256-parsed", "es256-parsed", "policy100"];

/// Makes `n` decisions of one case (`rs256`, `es256`, `mtls`), or `n` raw verifies of a JWT
/// case (`rs256-raw`, `es256-raw`; with the key parsed once, `rs256-parsed`, `es256-parsed`),
/// after the same setup: the workload to run under a profiler. Only [`decide`],
/// [`raw_verify`] and [`parsed_verify`] run `n` times.
pub fn run_loop(case: &str, n: usize) -> Res<()> {
    if case == "policy100" {
        return crate::policy::run_loop(n);
    }
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async {
        let (rs256, es256) = inputs::jwt_events(REPLAY_NOW, 600)?;
        let (rsa, ec) = inputs::decoding_keys()?;
        let (authorizer, event) = match case {
            "rs256" | "rs256-raw" | "rs256-parsed" => (build(inputs::jwt_env(), None).await?, rs256),
            "es256" | "es256-raw" | "es256-parsed" => (build(inputs::jwt_env(), None).await?, es256),
            "mtls" => {
                let registry = Arc::new(MemoryRegistry::new(inputs::registry_items()?));
                (build(inputs::mtls_env(60), Some(registry)).await?, inputs::read(inputs::MTLS_ACTIVE_EVENT)?)
            }
            other => return Err(format!("--loop: unknown case {other:?}, expected one of {LOOP_CASES:?}")),
        };
        expect_allow(&authorizer, &event, REPLAY_NOW, case).await?;
        let mut done = 0usize;
        if let Some(alg) = case.strip_suffix("-parsed") {
            let (message, signature) = split_token(&inputs::token_of(&event)?)?;
            let key = inputs::parsed_key(alg == "rs256")?;
            for _ in 0..n {
                done += usize::from(parsed_verify(&signature, message.as_bytes(), &key));
            }
        } else if let Some(alg) = case.strip_suffix("-raw") {
            let (key, alg) = if alg == "rs256" { (&rsa, Algorithm::RS256) } else { (&ec, Algorithm::ES256) };
            let (message, signature) = split_token(&inputs::token_of(&event)?)?;
            for _ in 0..n {
                done += usize::from(raw_verify(&signature, message.as_bytes(), key, alg));
            }
        } else {
            for _ in 0..n {
                done += usize::from(decide(&authorizer, &event, REPLAY_NOW).await > 0);
            }
        }
        if done == n { Ok(()) } else { Err(format!("{case}: {} of {n} calls failed", n - done)) }
    })
}

/// Runs the three in-process cases on a single-threaded runtime.
pub fn run(effort: &Effort) -> Res<Vec<Case>> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async {
        let authorizer = build(inputs::jwt_env(), None).await?;
        let (rs256_event, es256_event) = inputs::jwt_events(REPLAY_NOW, 600)?;
        let (rsa, ec) = inputs::decoding_keys()?;
        let (rsa_parsed, ec_parsed) = (inputs::parsed_key(true)?, inputs::parsed_key(false)?);
        let rs =
            jwt_case("JWT RS256", &authorizer, &rs256_event, (&rsa, &rsa_parsed), Algorithm::RS256, effort).await?;
        let es = jwt_case("JWT ES256", &authorizer, &es256_event, (&ec, &ec_parsed), Algorithm::ES256, effort).await?;
        let mtls = mtls_case(effort).await?;
        Ok(vec![rs, es, mtls])
    })
}
