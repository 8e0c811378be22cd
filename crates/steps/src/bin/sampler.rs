//! The Sampler Lambda. It calls no AWS API, so it builds no client.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use powertune_steps::runtime;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    runtime::init_tracing();
    run(service_fn(|event: LambdaEvent<Value>| {
        runtime::sampler(event)
    }))
    .await
}
