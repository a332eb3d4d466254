//! Instruction counts under callgrind, the figures that repeat on a noisy machine: per
//! decision and per raw verify (collected only inside `inproc::decide` and
//! `inproc::raw_verify`, so setup and the RNG's jitter-entropy start-up do not count), and a
//! whole process start of each binary up to its first `GET /next`.
//!
//! Needs `valgrind` on `PATH` and this `report` binary built with its symbols
//! (scripts/bench.sh keeps them); otherwise the section is skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::inputs::Res;
use crate::runtime::Function;
use crate::stats::round;

/// Decisions (or raw verifies) per counted run; the count is exact, so a few suffice.
const CALLS: usize = 50;

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

#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub per_call: Vec<PerCall>,
    pub starts: Vec<Start>,
}

impl Counts {
    pub fn get(&self, case: &str) -> Option<f64> {
        self.per_call.iter().find(|p| p.case == case).map(|p| p.instructions)
    }

    /// Handler over raw verify instructions, `alg` being `rs256` or `es256`.
    pub fn ratio(&self, alg: &str) -> Option<f64> {
        let raw = self.get(&format!("{alg}-raw")).filter(|r| *r > 0.0)?;
        self.get(alg).map(|h| h / raw)
    }

    pub fn json(&self) -> Value {
        json!({
            "per_call": self.per_call.iter().map(|p| (p.case.to_owned(), json!(p.instructions.round())))
                .collect::<serde_json::Map<_, _>>(),
            "rs256_handler_over_raw": self.ratio("rs256").map(round),
            "es256_handler_over_raw": self.ratio("es256").map(round),
            "process_start_to_first_next": self.starts.iter().map(|s| (s.name.clone(), json!(s.instructions)))
                .collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// `valgrind` on `PATH`.
fn valgrind() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("valgrind")).find(|p| p.is_file())
}

/// `valgrind --tool=callgrind`, collecting only inside functions matching `toggle` if given;
/// the caller adds the program, its arguments and its environment.
fn callgrind(valgrind: &Path, toggle: Option<&str>) -> Command {
    let mut command = Command::new(valgrind);
    command.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"]);
    if let Some(pattern) = toggle {
        command.arg(format!("--toggle-collect={pattern}"));
    }
    command
}

/// Runs `command` and returns the instructions callgrind collected.
fn collected(mut command: Command) -> Res<u64> {
    let out = command.stdin(Stdio::null()).stdout(Stdio::null()).output().map_err(|e| format!("valgrind: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
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

/// Counts everything, or says why it cannot.
pub fn run(report: &Path, functions: &[Function]) -> Res<Counts> {
    let valgrind = valgrind().ok_or("valgrind is not on PATH")?;
    let mut counts = Counts::default();
    for case in crate::inproc::LOOP_CASES {
        counts.per_call.push(per_call(&valgrind, report, case)?);
    }
    for f in functions {
        counts.starts.push(start(&valgrind, &f.name, &f.binary, &f.env)?);
    }
    Ok(counts)
}
