//! Instruction counts under callgrind, the figures that repeat on a noisy machine: per
//! decision and per raw verify (collected only inside `inproc::decide` and
//! `inproc::raw_verify`, so setup and the RNG's jitter-entropy start-up do not count), a
//! whole process start of each binary up to its first `GET /next`, and a warm invocation of
//! the release binary through the Runtime API, everything the process does for one (runtime
//! client and HTTP, the event, the decision, the response).
//!
//! Needs `valgrind` on `PATH` and this `report` binary built with its symbols
//! (scripts/bench.sh keeps them); otherwise the section is skipped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use authorizer_tests::runtime_api::{ApiEvent, RuntimeApi, spawn_wrapped};
use serde_json::{Value, json};

use crate::inputs::Res;
use crate::runtime::{Function, check_answer};
use crate::stats::round;

/// Decisions (or raw verifies) per counted run; the count is exact, so a few suffice.
const CALLS: usize = 50;

/// Warm invocations counted through the Runtime API (after the first, the cold one).
const WARM_CALLS: usize = 20;

/// How long one step under valgrind may take.
const WAIT: Duration = Duration::from_secs(120);

/// Instructions per call of one in-process case.
#[derive(Clone, Debug)]
pub struct PerCall {
    pub case: &'static str,
    pub instructions: f64,
}

/// Instructions of one process start.
#[derive(Clone, Debug)]
pub struct Start {
    pub name: String,
    pub instructions: u64,
}

/// Instructions of one warm invocation through the Runtime API, the whole process.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub name: String,
    pub instructions: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub per_call: Vec<PerCall>,
    pub starts: Vec<Start>,
    pub invocations: Vec<Invocation>,
}

impl Counts {
    pub fn get(&self, case: &str) -> Option<f64> {
        self.per_call.iter().find(|p| p.case == case).map(|p| p.instructions)
    }

    /// Handler over raw verify instructions, `alg` being `rs256` or `es256`.
    pub fn ratio(&self, alg: &str) -> Option<f64> {
        self.ratio_to(alg, "raw")
    }

    /// Handler over the raw verify with `floor` (`raw`: `jsonwebtoken::crypto::verify`,
    /// `parsed`: a key parsed once).
    pub fn ratio_to(&self, alg: &str, floor: &str) -> Option<f64> {
        let raw = self.get(&format!("{alg}-{floor}")).filter(|r| *r > 0.0)?;
        self.get(alg).map(|h| h / raw)
    }

    pub fn json(&self) -> Value {
        json!({
            "per_call": self.per_call.iter().map(|p| (p.case.to_owned(), json!(p.instructions.round())))
                .collect::<serde_json::Map<_, _>>(),
            "rs256_handler_over_raw": self.ratio("rs256").map(round),
            "es256_handler_over_raw": self.ratio("es256").map(round),
            "rs256_handler_over_parsed_key_verify": self.ratio_to("rs256", "parsed").map(round),
            "es256_handler_over_parsed_key_verify": self.ratio_to("es256", "parsed").map(round),
            "process_start_to_first_next": self.starts.iter().map(|s| (s.name.clone(), json!(s.instructions)))
                .collect::<serde_json::Map<_, _>>(),
            "warm_invocation_through_runtime_api": self.invocations.iter()
                .map(|i| (i.name.clone(), json!(i.instructions.round())))
                .collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// `valgrind` on `PATH`.
fn valgrind() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("valgrind")).find(|p| p.is_file())
}

/// valgrind's arguments for a count: callgrind, its profile thrown away (the count is on stderr).
const CALLGRIND: [&str; 2] = ["--tool=callgrind", "--callgrind-out-file=/dev/null"];

/// `valgrind --tool=callgrind`, collecting only inside functions matching `toggle` if given;
/// the caller adds the program, its arguments and its environment.
fn callgrind(valgrind: &Path, toggle: Option<&str>) -> Command {
    let mut command = Command::new(valgrind);
    command.args(CALLGRIND);
    if let Some(pattern) = toggle {
        command.arg(format!("--toggle-collect={pattern}"));
    }
    command
}

/// Runs `command` and returns the instructions callgrind collected.
fn collected(mut command: Command) -> Res<u64> {
    let out = command.stdin(Stdio::null()).stdout(Stdio::null()).output().map_err(|e| format!("valgrind: {e}"))?;
    count_in(&out.stderr)
}

/// The count on callgrind's `Collected :` line.
fn count_in(stderr: &[u8]) -> Res<u64> {
    let stderr = String::from_utf8_lossy(stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :")).ok_or_else(|| {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        format!("callgrind printed no count: {}", tail.join(" | "))
    })?;
    let digits: String = line.rsplit(':').next().unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    digits.parse().map_err(|e| format!("callgrind count {line:?}: {e}"))
}

/// Instructions per call of `case` (see `inproc::run_loop`).
fn per_call(valgrind: &Path, report: &Path, case: &'static str) -> Res<PerCall> {
    let toggle = match case {
        "policy100" => "*policy*evaluate_once*",
        c if c.ends_with("-raw") => "*inproc*raw_verify*",
        c if c.ends_with("-parsed") => "*inproc*parsed_verify*",
        _ => "*inproc*decide*",
    };
    let mut command = callgrind(valgrind, Some(toggle));
    command.arg(report).args(["--loop", case, &CALLS.to_string()]);
    let total = collected(command)?;
    if total == 0 {
        return Err(format!("{case}: nothing collected: is {} built with symbols?", report.display()));
    }
    Ok(PerCall { case, instructions: total as f64 / CALLS as f64 })
}

/// A binary started against a Runtime API port where nothing listens: it initialises, asks
/// for its first invocation, fails and exits, so everything counted is its start.
fn start(valgrind: &Path, name: &str, binary: &Path, env: &[(String, String)]) -> Res<Start> {
    let mut command = callgrind(valgrind, None);
    command
        .arg(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
        .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(Start { name: name.to_owned(), instructions: collected(command)? })
}

/// Everything one process executes, under callgrind, to start, answer `n` invocations of
/// `f`'s event through a local Runtime API, and stop: after the last answer the API goes
/// away, the next `GET /next` fails and the runtime returns.
async fn served(valgrind: &Path, f: &Function, n: usize) -> Res<u64> {
    let mut api = RuntimeApi::start().await.map_err(|e| format!("runtime api: {e}"))?;
    for i in 0..n {
        api.invoke(&format!("counted-{i}"), &f.event);
    }
    let args: Vec<&OsStr> = CALLGRIND.iter().map(OsStr::new).chain([f.binary.as_os_str()]).collect();
    let child = spawn_wrapped(valgrind, &args, api.addr, &f.env).map_err(|e| format!("{}: valgrind: {e}", f.name))?;
    // Reads stdout and stderr as the process writes them (a full pipe would stop it).
    let output = tokio::spawn(child.wait_with_output());
    for i in 0..n {
        match api.answer(WAIT).await {
            Some(ApiEvent::Response { body, .. }) => check_answer(f, &body)?,
            other => return Err(format!("{}: invocation {i} under callgrind: {other:?}", f.name)),
        }
    }
    drop(api);
    let out = tokio::time::timeout(WAIT, output)
        .await
        .map_err(|_| format!("{}: did not stop after its last invocation", f.name))?
        .map_err(|e| format!("{}: {e}", f.name))?
        .map_err(|e| format!("{}: {e}", f.name))?;
    count_in(&out.stderr)
}

/// Instructions per warm invocation: a process serving `1 + WARM_CALLS` invocations minus
/// one serving 1 (the start, the cold first invocation and the exit cancel out).
fn warm_invocation(valgrind: &Path, f: &Function) -> Res<Invocation> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    let (one, many) = runtime.block_on(async {
        Ok::<_, String>((served(valgrind, f, 1).await?, served(valgrind, f, 1 + WARM_CALLS).await?))
    })?;
    let warm =
        many.checked_sub(one).ok_or_else(|| format!("{}: {many} instructions for more calls than {one}", f.name))?;
    Ok(Invocation { name: f.name.clone(), instructions: warm as f64 / WARM_CALLS as f64 })
}

/// Counts everything, or says why it cannot.
pub fn run(report: &Path, functions: &[Function]) -> Res<Counts> {
    let valgrind = valgrind().ok_or("valgrind is not on PATH")?;
    let mut counts = Counts::default();
    for case in crate::inproc::LOOP_CASES {
        counts.per_call.push(per_call(&valgrind, report, case)?);
    }
    for f in functions {
        counts.starts.push(start(&valgrind, &f.name, &f.binary, &f.env)?);
        if f.expect_allow {
            counts.invocations.push(warm_invocation(&valgrind, f)?);
        }
    }
    Ok(counts)
}
