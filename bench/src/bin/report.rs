//! `make bench` (through scripts/bench.sh): runs every measurement once, prints the table and
//! writes the JSON report.
//!
//! Usage: `report [--quick] [--no-callgrind] [--authorizer PATH] [--hello PATH] [--out PATH] [--zip PATH]`,
//! or `report --loop CASE N`: only N in-process decisions of CASE (rs256, es256, mtls) or
//! N raw verifies (rs256-raw, es256-raw), for a profiler. `--quick` is a smoke run of a few
//! seconds without the callgrind counts.
//! Binaries default to the ones next to this one (`target/release/`), the JSON to
//! `$CARGO_TARGET_DIR/bench/report.json` (`target/bench/report.json` beside this binary's
//! `release/` when unset), the zip to `target/lambda/authorizer/bootstrap.zip` of the workspace.

use std::path::PathBuf;

use authorizer_tests::moto::MotoServer;
use bench::inputs::{self, Res};
use bench::report::{AUTHZ_JWT, AUTHZ_MTLS, HELLO, Package, Report};
use bench::runtime::{Function, cold_starts, sibling, warm};
use bench::{Effort, callgrind, inproc, policy, registry};
use jsonwebtoken::Algorithm;

#[derive(Debug)]
struct Options {
    effort: Effort,
    authorizer: PathBuf,
    hello: PathBuf,
    out: PathBuf,
    zip: PathBuf,
    callgrind: bool,
}

fn options() -> Res<Options> {
    // This binary is <target dir>/release/report.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| sibling(".."), PathBuf::from);
    let mut o = Options {
        effort: Effort::FULL,
        authorizer: sibling("authorizer"),
        hello: sibling("hello"),
        out: target_dir.join("bench").join("report.json"),
        zip: inputs::workspace_root().join("target/lambda/authorizer/bootstrap.zip"),
        callgrind: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().map(PathBuf::from).ok_or(format!("{arg}: expected a path"));
        match arg.as_str() {
            "--quick" => {
                o.effort = Effort::QUICK;
                o.callgrind = false;
            }
            "--no-callgrind" => o.callgrind = false,
            "--authorizer" => o.authorizer = value()?,
            "--hello" => o.hello = value()?,
            "--out" => o.out = value()?,
            "--zip" => o.zip = value()?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores, {}", std::env::consts::ARCH)
}

/// The functions of the Runtime API part; the mTLS one only when moto runs.
fn functions(o: &Options, moto: Option<&MotoServer>) -> Res<Vec<Function>> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (rs256, _) = inputs::jwt_events(now, 3600)?;
    let rs256 = inputs::with_token(&rs256, &inputs::mint(Algorithm::RS256, &inputs::claims(now, 3600))?)?;
    let mut list = vec![
        Function {
            name: AUTHZ_JWT.to_owned(),
            binary: o.authorizer.clone(),
            env: inputs::jwt_env(),
            event: rs256.clone(),
            expect_allow: true,
        },
        Function {
            name: HELLO.to_owned(),
            binary: o.hello.clone(),
            env: Vec::new(),
            event: rs256,
            expect_allow: false,
        },
    ];
    if let Some(server) = moto {
        let mut env = inputs::mtls_env(60);
        env.push(("AWS_ENDPOINT_URL_DYNAMODB".to_owned(), server.endpoint_url()));
        list.push(Function {
            name: AUTHZ_MTLS.to_owned(),
            binary: o.authorizer.clone(),
            env,
            event: inputs::read(inputs::MTLS_ACTIVE_EVENT)?,
            expect_allow: true,
        });
    }
    Ok(list)
}

fn run(o: &Options) -> Res<Report> {
    inproc::install_log_sink();
    eprintln!("bench: in-process decisions ({} run)", o.effort.name);
    let inproc = inproc::run(&o.effort)?;
    eprintln!("bench: policy evaluation");
    let policy = policy::run(&o.effort)?;

    eprintln!("bench: registry against moto_server");
    let moto = MotoServer::start().map_err(|e| format!("moto_server: {e}"));
    let registry = moto.as_ref().map_err(Clone::clone).and_then(|server| registry::run(server, &o.effort));
    // The binary runs need the seeded table: without it, the mTLS function is left out.
    let seeded = moto.as_ref().ok().filter(|_| registry.is_ok());

    eprintln!("bench: release binaries through the Runtime API");
    let functions = functions(o, seeded)?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    let (cold, warm) = runtime.block_on(async {
        let cold = cold_starts(&functions, o.effort.cold_starts).await?;
        let mut runs = Vec::new();
        for f in &functions {
            runs.push(warm(f, o.effort.invocations).await?);
        }
        Ok::<_, String>((cold, runs))
    })?;

    let instructions = if o.callgrind {
        eprintln!("bench: instruction counts under callgrind");
        std::env::current_exe()
            .map_err(|e| format!("this binary: {e}"))
            .and_then(|report| callgrind::run(&report, &functions))
    } else {
        Err("--no-callgrind".to_owned())
    };
    drop(moto);

    let size = |p: &PathBuf| std::fs::metadata(p).ok().map(|m| m.len());
    // The authorizer as it ships (stripped); `hello` keeps its symbols for callgrind.
    let binaries = size(&o.authorizer).map(|b| ("authorizer".to_owned(), b)).into_iter().collect();
    Ok(Report {
        effort: o.effort,
        machine: machine(),
        inproc,
        policy,
        registry,
        cold,
        warm,
        package: Package { path: o.zip.clone(), bytes: size(&o.zip) },
        instructions,
        binaries,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, case, n] = args.as_slice()
        && flag == "--loop"
    {
        inproc::install_log_sink();
        let result = n.parse().map_err(|e| format!("--loop: {n:?}: {e}")).and_then(|n| inproc::run_loop(case, n));
        if let Err(e) = result {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    let result = options().and_then(|o| {
        let report = run(&o)?;
        println!("{}", report.table());
        if let Some(dir) = o.out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&report.json()).map_err(|e| format!("json: {e}"))?;
        std::fs::write(&o.out, text + "\n").map_err(|e| format!("{}: {e}", o.out.display()))?;
        println!("JSON report: {}", o.out.display());
        Ok::<_, String>(())
    });
    if let Err(e) = result {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}
