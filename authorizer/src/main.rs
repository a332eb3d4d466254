//! The Lambda binary: logging, configuration and clients are set up once, then every
//! invocation is handed to `shared::authorizer::Authorizer`. No decision is made here.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Diagnostic, LambdaEvent, LambdaInvocation, Runtime, service_fn};
use shared::authorizer::{Authorizer, AuthorizerConfig, InitError, Invocation, Unauthorized};
use shared::config::Env;
use shared::response::AuthorizerResponse;
use shared::telemetry::StdoutSink;
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    /// The event of the invocation being handled, as Lambda delivered it: set by [`RawBody`]
    /// for as long as that invocation's future runs, and for nothing else.
    static EVENT: Bytes;
}

/// The outermost service: takes each invocation's body out before `lambda_runtime` decodes
/// it, and gives the runtime `null` to decode instead. The runtime would otherwise run the
/// whole event through `serde_json` (and `serde_path_to_error`) into a value that only hands
/// the same bytes on, about 18k instructions on a 2-3 KB event (a quarter of a warm mTLS
/// decision), before the library reads it again. This way the library's decoder is the only
/// one, and a payload the runtime could not decode (not JSON, not UTF-8) reaches it and gets
/// its own reason, `Unauthorized`, instead of a runtime error.
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

/// The error API Gateway sees: the message `Unauthorized` makes it answer 401.
fn unauthorized(_: Unauthorized) -> Diagnostic {
    Diagnostic { error_type: "Unauthorized".to_owned(), error_message: "Unauthorized".to_owned() }
}

/// One invocation: the payload the runtime decoded is the `null` [`RawBody`] put there; the
/// event is the task-local one (empty, and so `Unauthorized`, if it were ever missing).
async fn handle(authorizer: &Authorizer, event: LambdaEvent<()>) -> Result<AuthorizerResponse, Diagnostic> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let invocation = Invocation { request_id: &event.context.request_id, now };
    let body = EVENT.try_with(Bytes::clone).unwrap_or_default();
    authorizer.handle(&body, invocation).await.map_err(unauthorized)
}

fn init_logging(env: &Env) {
    let filter = shared::logging::filter(&env.string("AUTHZ_LOG_LEVEL", "info"));
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

#[tokio::main]
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
    // What `lambda_runtime::run` builds (the runtime and its tracing layer), with `RawBody`
    // outside both.
    let handler = service_fn(move |event: LambdaEvent<()>| {
        let authorizer = Arc::clone(&authorizer);
        async move { handle(&authorizer, event).await }
    });
    Runtime::new(handler).layer(TracingLayer::new()).layer(RawBodyLayer).run().await
}
