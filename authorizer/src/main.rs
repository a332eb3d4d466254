//! The Lambda binary: logging, configuration and clients are set up once, then every
//! invocation is handed to `shared::authorizer::Authorizer`. No decision is made here.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::de::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use shared::authorizer::{Authorizer, AuthorizerConfig, InitError, Invocation, Unauthorized};
use shared::config::Env;
use shared::response::AuthorizerResponse;
use shared::telemetry::StdoutSink;

/// The invocation payload, kept raw so the library parses it once. A payload that is not
/// JSON is kept as `NotJson` instead of failing in the runtime (which would answer 500):
/// the library answers it `Unauthorized` like any other malformed event.
enum RawEvent {
    Json(Box<RawValue>),
    NotJson,
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Box::<RawValue>::deserialize(deserializer).map_or(RawEvent::NotJson, RawEvent::Json))
    }
}

/// The error API Gateway sees: the message `Unauthorized` makes it answer 401.
fn unauthorized(_: Unauthorized) -> Diagnostic {
    Diagnostic { error_type: "Unauthorized".to_owned(), error_message: "Unauthorized".to_owned() }
}

async fn handle(authorizer: &Authorizer, event: LambdaEvent<RawEvent>) -> Result<AuthorizerResponse, Diagnostic> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let invocation = Invocation { request_id: &event.context.request_id, now };
    let body: &[u8] = match &event.payload {
        RawEvent::Json(raw) => raw.get().as_bytes(),
        RawEvent::NotJson => b"",
    };
    authorizer.handle(body, invocation).await.map_err(unauthorized)
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
    lambda_runtime::run(service_fn(move |event: LambdaEvent<RawEvent>| {
        let authorizer = Arc::clone(&authorizer);
        async move { handle(&authorizer, event).await }
    }))
    .await
}
