//! The real release binaries run as Lambda runs them, against the tests' Runtime API on
//! 127.0.0.1: cold start (spawn to first `GET /next`, spawn to first answer), warm
//! invocations one after another (latency from queueing the event to the posted response,
//! invocations per second) and the process's peak RSS (`VmHWM`) at the end of the run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authorizer_tests::runtime_api::{ApiEvent, RuntimeApi, spawn_function};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::inputs::Res;
use crate::stats::{Samples, Stats, median, round};

/// How long any one step may take before the run is declared broken.
const WAIT: Duration = Duration::from_secs(30);

/// A binary and its configuration.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
    /// The event fed to it, and whether its answer must be an Allow policy.
    pub event: Vec<u8>,
    pub expect_allow: bool,
}

/// A running function process.
struct Running {
    api: RuntimeApi,
    child: tokio::process::Child,
    spawned: Instant,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Running {
    /// Starts `f` with its event already queued, so the first `GET /next` is answered at once.
    async fn start(f: &Function) -> Res<Running> {
        if !f.binary.is_file() {
            return Err(format!("{}: {} is missing (scripts/bench.sh builds it)", f.name, f.binary.display()));
        }
        let api = RuntimeApi::start().await.map_err(|e| format!("runtime api: {e}"))?;
        api.invoke("cold-0", &f.event);
        let spawned = Instant::now();
        let mut child = spawn_function(&f.binary, api.addr, &f.env).map_err(|e| format!("{}: spawn: {e}", f.name))?;
        if let Some(mut out) = child.stdout.take() {
            tokio::spawn(async move { tokio::io::copy(&mut out, &mut tokio::io::sink()).await });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut err) = child.stderr.take() {
            let keep = Arc::clone(&stderr);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let _ = err.read_to_end(&mut buf).await;
                if let Ok(mut k) = keep.lock() {
                    *k = buf;
                }
            });
        }
        Ok(Running { api, child, spawned, stderr })
    }

    fn stderr_tail(&self) -> String {
        let buf = self.stderr.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&buf);
        let tail: String = text.chars().rev().take(400).collect::<Vec<_>>().into_iter().rev().collect();
        if tail.is_empty() { "(no stderr)".to_owned() } else { tail }
    }

    /// Waits for the first answer: (spawn -> ready, spawn -> first answer).
    async fn first_answer(&mut self, f: &Function) -> Res<(Duration, Duration)> {
        let mut ready = None;
        loop {
            let event = tokio::time::timeout(WAIT, self.api.events.recv()).await.ok().flatten();
            match event {
                Some(ApiEvent::Next(at)) => {
                    ready.get_or_insert(at.saturating_duration_since(self.spawned));
                }
                Some(ApiEvent::Response { body, at, .. }) => {
                    check_answer(f, &body)?;
                    let first = at.saturating_duration_since(self.spawned);
                    return Ok((ready.unwrap_or(first), first));
                }
                Some(ApiEvent::Error { body, .. }) | Some(ApiEvent::InitError { body }) => {
                    return Err(format!("{}: answered an error: {}", f.name, String::from_utf8_lossy(&body)));
                }
                None => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    return Err(format!("{}: no answer within {WAIT:?}; stderr: {}", f.name, self.stderr_tail()));
                }
            }
        }
    }

    /// Peak resident set size in bytes (`VmHWM` of /proc/<pid>/status).
    fn peak_rss(&self) -> Res<u64> {
        let pid = self.child.id().ok_or("the function exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| format!("/proc/{pid}: {e}"))?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM in /proc/<pid>/status")?;
        let kb: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).ok_or("unreadable VmHWM")?;
        Ok(kb * 1024)
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// An authorizer answer must be an Allow policy (a benchmark of refusals would be
/// meaningless); the hello function's answer only has to be JSON.
pub(crate) fn check_answer(f: &Function, body: &[u8]) -> Res<()> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("{}: answer is not JSON: {e}", f.name))?;
    if !f.expect_allow {
        return Ok(());
    }
    let effect = v.pointer("/policyDocument/Statement/0/Effect").and_then(Value::as_str);
    if effect == Some("Allow") { Ok(()) } else { Err(format!("{}: expected an Allow policy, got {v}", f.name)) }
}

/// Cold-start samples of one function, in milliseconds.
#[derive(Clone, Debug, Default)]
pub struct Cold {
    pub name: String,
    pub ready_ms: Vec<f64>,
    pub first_answer_ms: Vec<f64>,
}

impl Cold {
    pub fn ready(&self) -> f64 {
        median(&self.ready_ms)
    }

    pub fn first_answer(&self) -> f64 {
        median(&self.first_answer_ms)
    }

    pub fn json(&self) -> Value {
        let r = |v: &[f64]| v.iter().map(|x| round(*x)).collect::<Vec<_>>();
        json!({
            "runs": self.ready_ms.len(),
            "ready_ms_median": round(self.ready()),
            "first_answer_ms_median": round(self.first_answer()),
            "ready_ms": r(&self.ready_ms),
            "first_answer_ms": r(&self.first_answer_ms),
        })
    }
}

/// Starts each function `runs` times, interleaved (a, b, c, a, b, c, ...).
pub async fn cold_starts(functions: &[Function], runs: usize) -> Res<Vec<Cold>> {
    let mut out: Vec<Cold> = functions.iter().map(|f| Cold { name: f.name.clone(), ..Cold::default() }).collect();
    for _ in 0..runs {
        for (f, cold) in functions.iter().zip(out.iter_mut()) {
            let mut running = Running::start(f).await?;
            let result = running.first_answer(f).await;
            running.stop().await;
            let (ready, first) = result?;
            cold.ready_ms.push(ready.as_secs_f64() * 1e3);
            cold.first_answer_ms.push(first.as_secs_f64() * 1e3);
        }
    }
    Ok(out)
}

/// A warm run: `n` invocations, one at a time, as one Lambda execution environment serves them.
#[derive(Clone, Debug)]
pub struct Warm {
    pub name: String,
    pub latency: Stats,
    pub invocations: usize,
    pub elapsed: Duration,
    pub peak_rss_bytes: u64,
}

impl Warm {
    pub fn per_sec(&self) -> f64 {
        self.invocations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn json(&self) -> Value {
        json!({
            "invocations": self.invocations,
            "invocations_per_sec": self.per_sec().round(),
            "latency": self.latency.json(),
            "peak_rss_bytes": self.peak_rss_bytes,
        })
    }
}

pub async fn warm(f: &Function, n: usize) -> Res<Warm> {
    let mut running = Running::start(f).await?;
    let result = serve(&mut running, f, n).await;
    running.stop().await;
    result
}

async fn serve(running: &mut Running, f: &Function, n: usize) -> Res<Warm> {
    running.first_answer(f).await?;
    let mut latency = Samples::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let id = format!("warm-{i}");
        let sent = Instant::now();
        running.api.invoke(&id, &f.event);
        match running.api.answer(WAIT).await {
            Some(ApiEvent::Response { id: answered, at, .. }) if answered == id => {
                latency.push(at.saturating_duration_since(sent));
            }
            Some(ApiEvent::Error { body, .. }) => {
                return Err(format!("{}: invocation {id}: error {}", f.name, String::from_utf8_lossy(&body)));
            }
            Some(other) => return Err(format!("{}: invocation {id}: unexpected {other:?}", f.name)),
            None => return Err(format!("{}: invocation {id}: no answer; stderr: {}", f.name, running.stderr_tail())),
        }
    }
    let elapsed = started.elapsed();
    Ok(Warm {
        name: f.name.clone(),
        latency: latency.finish(),
        invocations: n,
        elapsed,
        peak_rss_bytes: running.peak_rss()?,
    })
}

/// The release binaries `name` next to the running `report` binary (`target/release/`).
pub fn sibling(name: &str) -> PathBuf {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)).unwrap_or_default().join(name)
}
