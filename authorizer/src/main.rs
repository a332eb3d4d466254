//! The Lambda binary: logging, configuration and clients are set up once, then every
//! invocation is handed to `shared::authorizer::Authorizer`. No decision is made here.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Diagnostic, LambdaEvent, LambdaInvocation, Runtime, service_fn};
use shared::authorizer::{Authorizer, AuthorizerConfig, InitError, Invocation, Unauthorized};
use shared::config::Env;
use shared::response::Payload;
use shared::telemetry::StdoutSink;
use tokio::task::futures::TaskLocalFuture;
use tracing_subscriber::filter::LevelFilter;

tokio::task_local! {
    /// The event of the invocation being handled, as Lambda delivered it: set by [`RawBody`]
    /// for as long as that invocation's future runs, and for nothing else.
    static EVENT: Bytes;
}

/// The outermost service: takes each invocation's body out before `lambda_runtime` decodes
/// it, and gives the runtime `null` to decode instead. The runtime would otherwise run the
/// whole event through `serde_json` (and `serde_path_to_error`) into a value that only hands
/// the same bytes on, before the library reads it again: a warm mTLS invocation, the whole
/// process under callgrind, went from 190k to 166k instructions without it. This way the
/// library's decoder is the only one, and a payload the runtime could not decode (not JSON,
/// not UTF-8) reaches it and gets its own reason, `Unauthorized`, instead of a runtime error.
#[derive(Clone, Copy, Debug)]
struct RawBodyLayer;

impl<S> Layer<S> for RawBodyLayer {
    type Service = RawBody<S>;

    fn layer(&self, inner: S) -> RawBody<S> {
        RawBody(inner)
    }
}

#[derive(Clone, Debug)]
struct RawBody<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for RawBody<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Bytes, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let event = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        EVENT.scope(event, self.0.call(invocation))
    }
}

/// The handler's errors. `Refused` is the deliberate refusal: API Gateway answers 401 when
/// the error message is `Unauthorized`. `lambda_runtime` also logs every error at ERROR as
/// `{:?}`; a refusal's `Debug` is the text `shared::logging::QuietRefusals` drops, since the
/// decision line already logged it with its reason. `Fault` is a fault of this process, not
/// of the request (the wiring, the clock): any other error message makes API Gateway answer
/// 500, which denies the request without telling the caller to authenticate again, and its
/// ERROR line is kept for the alarms.
enum Failure {
    Refused,
    Fault(&'static str),
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused => f.write_str(shared::logging::REFUSAL_RESTATED),
            Failure::Fault(what) => write!(f, "authorizer fault: {what}"),
        }
    }
}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        match failure {
            Failure::Refused => {
                Diagnostic { error_type: "Unauthorized".to_owned(), error_message: "Unauthorized".to_owned() }
            }
            Failure::Fault(what) => Diagnostic {
                error_type: "AuthorizerFault".to_owned(),
                error_message: format!("authorizer fault: {what}"),
            },
        }
    }
}

/// One invocation: the payload the runtime decoded is the `null` [`RawBody`] put there; the
/// event is the task-local one. Without it (a wiring fault, never a request's doing), or
/// with a clock before 1970 (every time check would be meaningless), the invocation fails as
/// a fault. A response goes back as its JSON text ([`Payload`]), which the runtime sends as
/// it is.
async fn handle(authorizer: &Authorizer, event: LambdaEvent<()>) -> Result<Payload, Failure> {
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()) else {
        return Err(Failure::Fault("the system clock reads before 1970"));
    };
    let invocation = Invocation { request_id: &event.context.request_id, now };
    let Ok(body) = EVENT.try_with(Bytes::clone) else {
        return Err(Failure::Fault("invocation without its event: RawBody is not installed"));
    };
    match authorizer.handle(&body, invocation).await {
        Ok(response) => Ok(response.payload()),
        Err(Unauthorized) => Err(Failure::Refused),
    }
}

fn init_logging(env: &Env) {
    // An invalid level is refused by `build`, which logs why at the default level.
    let filter = shared::logging::filter(shared::logging::level(env).unwrap_or(LevelFilter::INFO));
    let _ = tracing::subscriber::set_global_default(shared::logging::subscriber(filter, std::io::stdout));
}

/// Reads the configuration and builds the clients, once.
async fn build(env: &Env) -> Result<Authorizer, InitError> {
    let config = AuthorizerConfig::from_env(env)?;
    let registry = match &config.mtls {
        Some(mtls) => Some(shared::mtls::dynamodb::registry_from_env(
            mtls,
            &Env::from_process_vars(&shared::mtls::dynamodb::AWS_VARS),
        )?),
        None => None,
    };
    Authorizer::from_config(config, registry, Arc::new(StdoutSink)).await
}

/// One thread: Lambda hands an execution environment one invocation at a time, so worker
/// threads only add hand-offs (the runtime's HTTP connection ran on another thread than the
/// handler, woken through the kernel on every invocation) and a thread start to the cold
/// start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = Env::from_process();
    init_logging(&env);
    let authorizer = match build(&env).await {
        Ok(a) => Arc::new(a),
        Err(message) => {
            tracing::error!(error = %message, "refusing to start: invalid configuration");
            eprintln!("authorizer: refusing to start: {message}");
            std::process::exit(2);
        }
    };
    // `lambda_runtime::run` would also add its `TracingLayer`: a span per invocation holding
    // the request and X-Ray trace ids, which the log format (`shared::logging`) never prints
    // (each line inside an invocation carries `request_id` from `Authorizer::handle`'s
    // scope); building and formatting it cost ~5k instructions per invocation.
    let handler = service_fn(move |event: LambdaEvent<()>| {
        let authorizer = Arc::clone(&authorizer);
        async move { handle(&authorizer, event).await }
    });
    Runtime::new(handler).layer(RawBodyLayer).run().await
}
