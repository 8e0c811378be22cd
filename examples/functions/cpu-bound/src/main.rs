//! A single-threaded CPU-bound function: a fixed amount of arithmetic per invocation
//! (`{"iterations": N}`, default 20 million), so its duration is inversely proportional to the
//! CPU share up to one vCPU and flat above it. With `{"waitMs": M}` it then waits M ms, as a
//! function that computes and then calls a service does (a mixed workload). With `{"cpuMs": N}`
//! it computes until its thread has used N ms of CPU time instead, whatever an iteration costs on
//! the host at the moment: its duration is then N ms over its CPU share (the emulator's limits
//! tests measure that share).

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

/// The CPU time this thread has used, ns: the first field of `/proc/thread-self/schedstat`.
fn thread_cpu_ns() -> Result<u64, Error> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let ns = stat.split_whitespace().next().unwrap_or_default().parse()?;
    Ok(ns)
}

/// [`work`] in slices until this thread has used `ms` of CPU time.
fn work_for_cpu_ms(ms: u64) -> Result<u64, Error> {
    let until = thread_cpu_ns()?.saturating_add(ms.saturating_mul(1_000_000));
    let mut result = 0;
    while thread_cpu_ns()? < until {
        result ^= work(100_000);
    }
    Ok(result)
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let result = match event.payload.get("cpuMs").and_then(Value::as_u64) {
        Some(ms) => work_for_cpu_ms(ms)?,
        None => work(
            event
                .payload
                .get("iterations")
                .and_then(Value::as_u64)
                .unwrap_or(20_000_000),
        ),
    };
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
