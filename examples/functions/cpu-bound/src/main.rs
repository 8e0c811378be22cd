//! A single-threaded CPU-bound function: a fixed amount of arithmetic per invocation
//! (`{"iterations": N}`, default 20 million), so its duration is inversely proportional to the
//! CPU share up to one vCPU and flat above it. With `{"waitMs": M}` it then waits M ms, as a
//! function that computes and then calls a service does (a mixed workload).

use lambda_runtime::{run_concurrent, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

fn work(iterations: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..iterations {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
        x ^= x >> 29;
    }
    std::hint::black_box(x)
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let iterations = event
        .payload
        .get("iterations")
        .and_then(Value::as_u64)
        .unwrap_or(20_000_000);
    let result = work(iterations);
    if let Some(wait) = event.payload.get("waitMs").and_then(Value::as_u64) {
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
    Ok(json!({ "result": result }))
}

/// One request at a time on on-demand Lambda; on Lambda Managed Instances as many at once as
/// `AWS_LAMBDA_MAX_CONCURRENCY` says (lambda_runtime's `concurrency-tokio`).
#[tokio::main]
async fn main() -> Result<(), Error> {
    run_concurrent(service_fn(handler)).await
}
