//! The Publisher Lambda.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use powertune_steps::handlers::{self, Clients};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_tracing();
    let clients = Clients::from_env().await;
    run(service_fn(|event: LambdaEvent<Value>| {
        handlers::publisher(&clients, event)
    }))
    .await
}
