//! `explain EVENT [--now UNIX]`: runs one event through the authorizer exactly as configured
//! (the same `AUTHZ_*` environment as the Lambda) and prints the decision, why the policy
//! allowed or denied it rule by rule, and the response API Gateway would get. Offline apart
//! from the registry and JWKS lookups the configuration asks for.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use shared::authorizer::{Authorizer, AuthorizerConfig, Verdict};
use shared::config::Env;
use shared::telemetry::NullSink;

const USAGE: &str = "usage: explain EVENT.json [--now UNIX_SECONDS]
  Runs one API Gateway authorizer event through the configured authorizer (AUTHZ_* variables,
  AUTHZ_POLICY_FILE for the policy; AUTHZ_REGISTRY_TABLE and AWS_ENDPOINT_URL_DYNAMODB for mTLS)
  and prints the decision, each policy rule's answer and the response.
  --now  the clock to decide at (default: now); fixture events need --now 1790000000";

struct Args {
    event: String,
    now: u64,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut event, mut now) = (None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--now" => {
                let v = args.next().ok_or("--now needs a value")?;
                now = Some(v.parse::<u64>().map_err(|_| format!("--now: expected Unix seconds, got {v:?}"))?);
            }
            _ if event.is_none() && !a.starts_with('-') => event = Some(a),
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let event = event.ok_or("the event file is missing")?;
    let now = now.unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    Ok(Args { event, now })
}

fn print_verdict(verdict: &Verdict, policy: &shared::policy::Policy) {
    let Some(request) = &verdict.request else {
        println!("request:  not an authorizer event this authorizer understands");
        println!("decision: {} ({})", verdict.outcome.as_str(), verdict.reason);
        return;
    };
    println!(
        "request:  {} {} {} ({})",
        request.shape.as_str(),
        request.method(),
        request.path(),
        request.arn.this_route()
    );
    match verdict.identity.principal() {
        Some(principal) => println!("caller:   {principal} ({})", verdict.identity.method()),
        None => println!("caller:   not authenticated"),
    }
    println!("decision: {} ({})", verdict.outcome.as_str(), verdict.reason);
    if verdict.policy.is_some() {
        print!("{}", policy.explain(&verdict.identity, request));
    } else {
        println!("policy {}: not consulted: the credentials were refused first", policy.file());
    }
}

async fn run(args: Args) -> Result<(), String> {
    let env = Env::from_process();
    let config = AuthorizerConfig::from_env(&env).map_err(|e| format!("invalid configuration: {e}"))?;
    let policy = config.policy.clone();
    let registry = match &config.mtls {
        Some(mtls) => Some(
            shared::mtls::dynamodb::registry_from_env(mtls, &Env::from_process_vars(&shared::mtls::dynamodb::AWS_VARS))
                .map_err(|e| format!("invalid configuration: {e}"))?,
        ),
        None => None,
    };
    let authorizer =
        Authorizer::from_config(config, registry, Arc::new(NullSink)).await.map_err(|e| format!("init: {e}"))?;
    let event = std::fs::read(&args.event).map_err(|e| format!("{}: {e}", args.event))?;

    let verdict = authorizer.evaluate(&event, args.now).await;
    println!("event:    {} (at {})", args.event, args.now);
    print_verdict(&verdict, &policy);
    match authorizer.respond(&verdict) {
        Ok(response) => {
            let json = serde_json::to_string_pretty(&response.to_json()).unwrap_or_default();
            println!("response:\n{json}");
        }
        Err(e) => println!("response: error {e:?} (the invocation fails with \"{e}\": API Gateway answers 401)"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    // `warn` unless AUTHZ_LOG_LEVEL says otherwise; an invalid level is refused with the rest
    // of the configuration.
    let env = Env::from_process();
    let level = match env.get(shared::logging::LOG_LEVEL_VAR) {
        Some(_) => shared::logging::level(&env).unwrap_or(tracing_subscriber::filter::LevelFilter::WARN),
        None => tracing_subscriber::filter::LevelFilter::WARN,
    };
    tracing_subscriber::fmt().with_env_filter(shared::logging::filter(level)).with_writer(std::io::stderr).init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("explain: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("explain: {problem}");
            ExitCode::from(2)
        }
    }
}
