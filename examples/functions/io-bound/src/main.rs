//! An I/O-bound function: it waits on a timer (`{"waitMs": N}`, default 100 ms), as a function
//! waiting on a network call does, so memory barely changes its duration.

use lambda_runtime::{run_concurrent, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use std::time::Duration;

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let wait = event
        .payload
        .get("waitMs")
        .and_then(Value::as_u64)
        .unwrap_or(100);
    tokio::time::sleep(Duration::from_millis(wait)).await;
    Ok(json!({ "waitedMs": wait }))
}

/// One request at a time on on-demand Lambda; on Lambda Managed Instances as many at once as
/// `AWS_LAMBDA_MAX_CONCURRENCY` says (lambda_runtime's `concurrency-tokio`).
#[tokio::main]
async fn main() -> Result<(), Error> {
    run_concurrent(service_fn(handler)).await
}
