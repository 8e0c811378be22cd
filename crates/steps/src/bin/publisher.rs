//! The Publisher Lambda.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use powertune_steps::runtime::{self, Clients};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    runtime::init_tracing();
    let clients = Clients::from_env().await;
    run(service_fn(|event: LambdaEvent<Value>| {
        runtime::publisher(&clients, event)
    }))
    .await
}
