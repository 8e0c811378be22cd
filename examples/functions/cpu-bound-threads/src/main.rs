//! A multi-threaded CPU-bound function: the same arithmetic split over two threads, so it keeps
//! speeding up past one vCPU (1,769 MB) where the single-threaded one stops.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

fn work(iterations: u64, seed: u64) -> u64 {
    let mut x = seed;
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
    let threads: Vec<_> = (0..2u64)
        .map(|t| std::thread::spawn(move || work(iterations / 2, t)))
        .collect();
    let mut result = 0u64;
    for t in threads {
        result ^= t.join().map_err(|_| "a worker thread panicked")?;
    }
    Ok(json!({ "result": result }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
