//! The Analyzer Lambda. It calls no AWS API, so it builds no client.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use powertune_steps::analyzer::analysis_env;
use powertune_steps::handlers;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_tracing();
    let env = analysis_env(std::env::var("AWS_REGION").ok());
    run(service_fn(|event: LambdaEvent<Value>| {
        handlers::analyzer(&env, event)
    }))
    .await
}
