//! The cold-start floor: the hello-world `lambda_runtime` function (as `cargo lambda new`
//! writes it: default subscriber, one handler), built with the same release profile as the
//! authorizer and run through the same Runtime API.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let name = event.payload.get("type").and_then(Value::as_str).unwrap_or("world");
    Ok(json!({ "message": format!("hello, {name}") }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(handler)).await
}
