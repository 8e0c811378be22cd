//! The Sampler Lambda. It calls no AWS API, so it builds no client.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use powertune_steps::handlers;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_tracing();
    run(service_fn(|event: LambdaEvent<Value>| {
        handlers::sampler(event)
    }))
    .await
}
