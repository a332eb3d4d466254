//! The report: every figure of one run, set against the targets of issue 8, printed as a
//! table and written as JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::Effort;
use crate::callgrind::Counts;
use crate::inproc::{BATCH, Case};
use crate::policy::{self, PolicyCase};
use crate::registry::RegistryRun;
use crate::runtime::{Cold, Warm};
use crate::stats::{human_bytes, human_ns, human_rate, round};

/// A raw verify whose median per round moved by more than this over a run says the machine's
/// speed moved under it (noisy neighbours, frequency changes): the time ratios of such a run
/// are flagged. Steady runs here move by a few per cent.
const UNSTEADY: f64 = 0.15;

/// The functions run through the Runtime API, by name.
pub const AUTHZ_JWT: &str = "authorizer, JWT config";
pub const AUTHZ_MTLS: &str = "authorizer, JWT + mTLS config";
pub const HELLO: &str = "hello-world (floor)";

/// Lambda counts memory and package sizes in units of 2^20 bytes.
pub const MIB: f64 = 1_048_576.0;

/// The ARM64 deployment package, if `make build` made one.
#[derive(Clone, Debug)]
pub struct Package {
    pub path: PathBuf,
    pub bytes: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub effort: Effort,
    pub machine: String,
    pub inproc: Vec<Case>,
    /// Policy evaluation alone (issue 5).
    pub policy: Vec<PolicyCase>,
    pub registry: Result<RegistryRun, String>,
    pub cold: Vec<Cold>,
    pub warm: Vec<Warm>,
    pub package: Package,
    /// Instruction counts, when valgrind is there.
    pub instructions: Result<Counts, String>,
    /// Host release binaries and their sizes.
    pub binaries: Vec<(String, u64)>,
}

/// One target of the issue and where this run stands.
#[derive(Clone, Debug)]
pub struct Target {
    pub what: String,
    /// `≤ 1.15×`, `≥ 200.0 k/s`.
    pub goal: String,
    pub limit: f64,
    /// The target is a floor (`≥`) rather than a ceiling (`≤`).
    pub at_least: bool,
    pub measured: Option<f64>,
    pub shown: String,
}

impl Target {
    pub fn pass(&self) -> Option<bool> {
        self.measured.map(|m| if self.at_least { m >= self.limit } else { m <= self.limit })
    }

    /// `PASS, 12% headroom` or `MISS by 30%` (how far beyond the target the figure is).
    pub fn verdict(&self) -> String {
        let (Some(m), Some(pass)) = (self.measured, self.pass()) else { return "n/a".to_owned() };
        let off = if self.at_least { 1.0 - m / self.limit } else { m / self.limit - 1.0 };
        if pass {
            format!("PASS, {:.0}% headroom", -off * 100.0)
        } else if self.at_least {
            format!("MISS, {:.0}% short", off * 100.0)
        } else {
            format!("MISS, {:.0}% over", off * 100.0)
        }
    }

    fn json(&self) -> Value {
        json!({"target": self.what, "goal": self.goal, "measured": self.measured.map(round), "shown": self.shown,
            "pass": self.pass(), "verdict": self.verdict()})
    }
}

impl Report {
    fn case(&self, name: &str) -> Option<&Case> {
        self.inproc.iter().find(|c| c.name == name)
    }

    fn cold(&self, name: &str) -> Option<&Cold> {
        self.cold.iter().find(|c| c.name == name)
    }

    /// Cold start to ready of `name` over the hello-world floor.
    fn cold_ratio(&self, name: &str) -> Option<f64> {
        let floor = self.cold(HELLO)?.ready();
        self.cold(name).map(|c| c.ready()).filter(|_| floor > 0.0).map(|r| r / floor)
    }

    pub fn targets(&self) -> Vec<Target> {
        let ratio = |name: &str| {
            let r = self.case(name).and_then(Case::ratio);
            let unsteady = self.case(name).and_then(|c| c.raw_round_spread).is_some_and(|s| s > UNSTEADY);
            Target {
                what: format!("{name} handler / raw verify"),
                goal: "≤ 1.15×".to_owned(),
                limit: 1.15,
                at_least: false,
                measured: r,
                shown: r.map_or("-".to_owned(), |r| format!("{r:.2}×{}", if unsteady { " (unsteady)" } else { "" })),
            }
        };
        let instructions = |alg: &str, name: &str| {
            let r = self.instructions.as_ref().ok().and_then(|c| c.ratio(alg));
            Target {
                what: format!("{name} handler / raw verify, instructions"),
                goal: "≤ 1.15×".to_owned(),
                limit: 1.15,
                at_least: false,
                measured: r,
                shown: r.map_or("-".to_owned(), |r| format!("{r:.2}×")),
            }
        };
        let mtls = self.inproc.iter().find(|c| c.raw.is_none()).map(Case::per_core);
        let mut targets = vec![ratio("JWT RS256"), ratio("JWT ES256")];
        if self.instructions.is_ok() {
            targets.extend([instructions("rs256", "JWT RS256"), instructions("es256", "JWT ES256")]);
        }
        targets.push(Target {
            what: "mTLS warm decisions per second, one core".to_owned(),
            goal: "≥ 200.0 k/s".to_owned(),
            limit: 200_000.0,
            at_least: true,
            measured: mtls,
            shown: mtls.map_or("-".to_owned(), human_rate),
        });
        for name in [policy::ALLOW_100, policy::DENY_100] {
            let ns = policy::median_ns(&self.policy, name);
            targets.push(Target {
                what: format!("policy evaluation, {name}"),
                goal: "≤ 1.00 µs".to_owned(),
                limit: 1000.0,
                at_least: false,
                measured: ns,
                shown: ns.map_or("-".to_owned(), human_ns),
            });
        }
        for name in [AUTHZ_JWT, AUTHZ_MTLS] {
            if let Some(r) = self.cold_ratio(name) {
                targets.push(Target {
                    what: format!("cold start to ready / floor ({name})"),
                    goal: "≤ 1.50×".to_owned(),
                    limit: 1.5,
                    at_least: false,
                    measured: Some(r),
                    shown: format!("{r:.2}×"),
                });
            }
        }
        for w in self.warm.iter().filter(|w| w.name != HELLO) {
            let mib = w.peak_rss_bytes as f64 / MIB;
            targets.push(Target {
                what: format!("peak RSS ({})", w.name),
                goal: "≤ 20 MiB".to_owned(),
                limit: 20.0,
                at_least: false,
                measured: Some(mib),
                shown: format!("{mib:.1} MiB"),
            });
        }
        let zip = self.package.bytes.map(|b| b as f64 / MIB);
        targets.push(Target {
            what: "ARM64 zip (bootstrap.zip)".to_owned(),
            goal: "≤ 4 MiB".to_owned(),
            limit: 4.0,
            at_least: false,
            measured: zip,
            shown: zip.map_or("not built (run make build)".to_owned(), |z| format!("{z:.2} MiB")),
        });
        targets
    }

    /// The table `make bench` prints.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "make bench ({} run) on {}", self.effort.name, self.machine);
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "In process, warm, one core: event JSON in, response JSON out, JSON log line formatted to io::sink"
        );
        let _ = writeln!(
            s,
            "  {:<28} {:>10} {:>10} {:>11} {:>10} {:>10} {:>7}",
            "decision", "median", "p99", "per core", "raw verify", "evaluate", "ratio"
        );
        for c in &self.inproc {
            let _ = writeln!(
                s,
                "  {:<28} {:>10} {:>10} {:>11} {:>10} {:>10} {:>7}",
                c.name,
                human_ns(c.handler.median_ns),
                human_ns(c.handler.p99_ns),
                human_rate(c.per_core()),
                c.raw.map_or("-".to_owned(), |r| human_ns(r.median_ns)),
                human_ns(c.evaluate.median_ns),
                c.ratio().map_or("-".to_owned(), |r| format!("{r:.2}×")),
            );
        }
        for c in self.inproc.iter().filter(|c| c.parsed.is_some()) {
            let _ = writeln!(
                s,
                "  {:<28} key parsed once: verify {:>10}, handler / that {:>7}",
                c.name,
                c.parsed.map_or("-".to_owned(), |r| human_ns(r.median_ns)),
                c.parsed_ratio().map_or("-".to_owned(), |r| format!("{r:.2}×")),
            );
        }
        let _ = writeln!(s, "  (ratio = handler median / raw jsonwebtoken::crypto::verify median, same key and token;");
        let _ = writeln!(
            s,
            "   that verify rebuilds the key from its bytes per call, the handler's was parsed with its JWKS;"
        );
        let _ = writeln!(
            s,
            "   evaluate = the decision alone, without log line, metric and response; per core = 1 / mean of the"
        );
        let _ =
            writeln!(s, "   timed calls for JWT, decisions / time over batches of {BATCH} untimed decisions for mTLS)");
        for (name, spread) in self.inproc.iter().filter_map(|c| c.raw_round_spread.map(|s| (c.name, s))) {
            let steady = if spread <= UNSTEADY { "steady" } else { "NOT steady: its time ratios are unreliable" };
            let _ = writeln!(
                s,
                "  {name}: the raw verify's median per round moved by {:.0}% over the run (machine {steady})",
                spread * 100.0
            );
        }
        for (name, p) in self.inproc.iter().filter_map(|c| c.paired.map(|p| (c.name, p))) {
            let _ = writeln!(
                s,
                "  {name}: round by round, handler / raw verify {:.3}× (median of {} rounds, {:.3}-{:.3}×)",
                p.median, p.rounds, p.min, p.max
            );
        }
        for c in self.inproc.iter().filter_map(|c| c.lookups_per_decision.map(|l| (c.name, l))) {
            let _ = writeln!(s, "  {}: {:.4} registry lookups per decision", c.0, c.1);
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Policy evaluation alone, warm, one core (batches of evaluations; issue 5)");
        let reference = policy::median_ns(&self.policy, policy::REFERENCE);
        for c in &self.policy {
            let _ = writeln!(
                s,
                "  {:<28} {:>10} {:>10} {:>11} {:>10}",
                c.name,
                human_ns(c.stats.median_ns),
                human_ns(c.stats.p99_ns),
                human_rate(c.stats.per_sec()),
                reference.filter(|r| *r > 0.0).map_or("-".to_owned(), |r| format!("{:.2}×", c.stats.median_ns / r)),
            );
        }
        let _ = writeln!(s, "  (median, p99 of per-evaluation means over batches; ratio = over the 1-rule reference)");
        let _ = writeln!(s);
        let _ = writeln!(s, "Registry (mTLS) against moto_server on 127.0.0.1 (its latency is moto's, not DynamoDB's)");
        match &self.registry {
            Ok(r) => {
                let _ = writeln!(
                    s,
                    "  cache miss (TTL 0): {:.2} GetItem per decision, median {}, p99 {}",
                    r.miss_get_items_per_decision,
                    human_ns(r.miss.median_ns),
                    human_ns(r.miss.p99_ns)
                );
                let _ = writeln!(
                    s,
                    "  steady (TTL 60 s, 2 clients, +1 s per decision): {} GetItem for {} decisions, cache hit ratio {:.1}%",
                    r.steady_get_items,
                    r.steady_decisions,
                    r.hit_ratio() * 100.0
                );
            }
            Err(e) => {
                let _ = writeln!(s, "  skipped: {e}");
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Through the Lambda Runtime API (release binaries, 127.0.0.1), one invocation at a time");
        let _ = writeln!(
            s,
            "  {:<30} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11}",
            "function", "ready", "1st answer", "warm/s", "median", "p99", "peak RSS"
        );
        for c in &self.cold {
            let w = self.warm.iter().find(|w| w.name == c.name);
            let _ = writeln!(
                s,
                "  {:<30} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11}",
                c.name,
                format!("{:.2} ms", c.ready()),
                format!("{:.2} ms", c.first_answer()),
                w.map_or("-".to_owned(), |w| human_rate(w.per_sec())),
                w.map_or("-".to_owned(), |w| human_ns(w.latency.median_ns)),
                w.map_or("-".to_owned(), |w| human_ns(w.latency.p99_ns)),
                w.map_or("-".to_owned(), |w| format!("{:.1} MiB", w.peak_rss_bytes as f64 / MIB)),
            );
        }
        let runs = self.cold.first().map_or(0, |c| c.ready_ms.len());
        let _ = writeln!(
            s,
            "  (cold start: medians of {runs} interleaved starts, from spawn; latency: event queued to response posted)"
        );
        let _ = writeln!(s);
        self.instructions_table(&mut s);
        let _ = writeln!(s, "Footprint");
        match self.package.bytes {
            Some(b) => {
                let _ = writeln!(s, "  {}: {}", self.package.path.display(), human_bytes(b));
            }
            None => {
                let _ = writeln!(s, "  {}: not built (run make build)", self.package.path.display());
            }
        }
        for (name, bytes) in &self.binaries {
            let _ = writeln!(s, "  host ({}) release {name} binary: {}", std::env::consts::ARCH, human_bytes(*bytes));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Targets (issue 8)");
        for t in self.targets() {
            let _ = writeln!(s, "  {:<60} {:>12} {:>14}   {}", t.what, t.goal, t.shown, t.verdict());
        }
        s
    }

    fn instructions_table(&self, s: &mut String) {
        let _ = writeln!(s, "Instruction counts (callgrind: exact, unaffected by machine noise)");
        let counts = match &self.instructions {
            Ok(c) => c,
            Err(e) => {
                let _ = writeln!(s, "  skipped: {e}");
                let _ = writeln!(s);
                return;
            }
        };
        let k = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{:.1} k", x / 1e3));
        for (alg, name) in [("rs256", "JWT RS256"), ("es256", "JWT ES256")] {
            let _ = writeln!(
                s,
                "  {:<28} handler {:>9}, raw verify {:>9}: {}",
                name,
                k(counts.get(alg)),
                k(counts.get(&format!("{alg}-raw"))),
                counts.ratio(alg).map_or("-".to_owned(), |r| format!("{r:.2}×"))
            );
            let _ = writeln!(
                s,
                "  {:<28}         {:>9}  key parsed once {:>9}: {}",
                "",
                "",
                k(counts.get(&format!("{alg}-parsed"))),
                counts.ratio_to(alg, "parsed").map_or("-".to_owned(), |r| format!("{r:.2}×"))
            );
        }
        let _ = writeln!(
            s,
            "  (valgrind's CPU has no ADX: aws-lc runs its generic bignum code here, its MULX/ADX code natively,"
        );
        let _ = writeln!(s, "   so the raw verify costs fewer instructions outside callgrind than the count above)");
        let _ = writeln!(s, "  {:<28} handler {:>9} per decision", "mTLS, warm registry cache", k(counts.get("mtls")));
        let _ = writeln!(s, "  {:<28} {:>9} per evaluation", "policy, 100 rules, allow", k(counts.get("policy100")));
        for start in &counts.starts {
            let _ = writeln!(
                s,
                "  start to first GET /next, {:<30} {:>9.2} M",
                start.name,
                start.instructions as f64 / 1e6
            );
        }
        for invocation in &counts.invocations {
            let _ = writeln!(
                s,
                "  warm invocation via Runtime API, {:<30} {:>9} (the whole process)",
                invocation.name,
                k(Some(invocation.instructions))
            );
        }
        let _ = writeln!(s);
    }

    pub fn json(&self) -> Value {
        let by_name = |items: Vec<(String, Value)>| Value::Object(items.into_iter().collect());
        json!({
            "effort": self.effort.name,
            "machine": self.machine,
            "in_process": by_name(self.inproc.iter().map(|c| (c.name.to_owned(), c.json())).collect()),
            "policy_evaluation": policy::json(&self.policy),
            "registry": match &self.registry { Ok(r) => r.json(), Err(e) => json!({"skipped": e}) },
            "cold_start": by_name(self.cold.iter().map(|c| (c.name.clone(), c.json())).collect()),
            "warm_runtime_api": by_name(self.warm.iter().map(|w| (w.name.clone(), w.json())).collect()),
            "footprint": {
                "arm64_zip": self.package.path,
                "arm64_zip_bytes": self.package.bytes,
                "host_binaries": by_name(self.binaries.iter().map(|(n, b)| (n.clone(), json!(b))).collect()),
            },
            "instructions": match &self.instructions { Ok(c) => c.json(), Err(e) => json!({"skipped": e}) },
            "targets": self.targets().iter().map(Target::json).collect::<Vec<_>>(),
        })
    }
}
