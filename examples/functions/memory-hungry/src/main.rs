//! A memory-hungry function: it touches every page of a buffer of `{"megabytes": N}` (default
//! 300 MB), so it runs out of memory at small memory sizes.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let megabytes = event
        .payload
        .get("megabytes")
        .and_then(Value::as_u64)
        .unwrap_or(300) as usize;
    let mut buffer: Vec<u8> = vec![0; megabytes << 20];
    // Untouched pages are not resident; writing one byte per page makes them so.
    for (i, page) in buffer.iter_mut().step_by(4096).enumerate() {
        *page = (i % 251) as u8 + 1;
    }
    let checksum: u64 = buffer.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    Ok(json!({ "megabytes": megabytes, "checksum": std::hint::black_box(checksum) }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
