//! A function that fails at chosen memory sizes: `{"failAt": [512]}` makes it raise an error
//! when it runs with 512 MB, the way a function that needs more memory or a feature flag does;
//! `{"hangAt": [128], "hangSeconds": 30}` makes it wait that long at 128 MB, as one stuck on a
//! slow dependency does. Otherwise it does a little arithmetic (`{"iterations": N}`, default
//! 200,000).

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let memory: u64 = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let fail_at = event
        .payload
        .get("failAt")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if fail_at.iter().any(|m| m.as_u64() == Some(memory)) {
        return Err(format!("this function refuses to run with {memory} MB").into());
    }
    let hang_at = event
        .payload
        .get("hangAt")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if hang_at.iter().any(|m| m.as_u64() == Some(memory)) {
        let seconds = event
            .payload
            .get("hangSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(60);
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    }
    let iterations = event
        .payload
        .get("iterations")
        .and_then(Value::as_u64)
        .unwrap_or(200_000);
    let mut x: u64 = 1;
    for i in 0..iterations {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
    }
    Ok(json!({ "memory": memory, "result": std::hint::black_box(x) }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
