//! The emulator's own overhead and throughput, with the no-op example function.
//!
//! - Overhead: the Duration the REPORT gives for a no-op at 3008 MB, median over 200 warm
//!   invokes in series (target: under 1 ms).
//! - Throughput: warm invokes per second of the no-op from 4 concurrent callers for 3 s
//!   (target: at least 500 per second on 2 cores).
//! - Per runtime: the same 200 warm no-op invokes of a Python and a Node.js handler on Lambda's
//!   runtime interface clients, beside the Rust bootstrap, and each one's first (cold) Init
//!   Duration.
//!
//! Run: `cargo bench -p powertune-emulator --bench overhead` (figures go to BENCHMARKS.md).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

/// `python3.11` or `nodejs20.x`: what this host runs.
fn host_runtime(language: &str) -> String {
    powertune_emulator::on_this_host(language)
        .expect("the interpreter is installed")
        .to_string()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emu = common::emulator().await;
        println!("limits: {}", emu.limits_mode());
        let lambda = common::client(&emu);
        common::create(&lambda, "noop", "noop", 3008, 10).await;
        let py = common::code_dir("py-noop", &[("app.py", "def handler(event, context):\n    return None\n")]);
        common::create_managed(&lambda, "py-noop", &host_runtime("python"), "app.handler", &py, 3008).await;
        let node = common::code_dir("node-noop", &[("index.mjs", "export const handler = async () => null;\n")]);
        common::create_managed(&lambda, "node-noop", &host_runtime("nodejs"), "index.handler", &node, 3008).await;
        for (label, name) in [("rust bootstrap", "noop"), ("python", "py-noop"), ("node.js", "node-noop")] {
            let cold = common::invoke(&lambda, name, None, "{}").await;
            let mut durations = Vec::new();
            let mut round_trips = Vec::new();
            for _ in 0..200 {
                let t = Instant::now();
                let out = common::invoke(&lambda, name, None, "{}").await;
                round_trips.push(t.elapsed().as_secs_f64() * 1000.0);
                durations.push(out.report.duration_ms.unwrap());
            }
            durations.sort_by(f64::total_cmp);
            round_trips.sort_by(f64::total_cmp);
            println!(
                "{label} no-op at 3008 MB, 200 warm invokes: REPORT Duration median {:.3} ms, p90 {:.3} ms; Invoke round trip median {:.3} ms, p90 {:.3} ms; cold Init Duration {:.1} ms",
                durations[100], durations[180], round_trips[100], round_trips[180],
                cold.report.init_duration_ms.unwrap_or(f64::NAN)
            );
        }

        for callers in [1usize, 4] {
            let window = Duration::from_secs(3);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..callers {
                let lambda = lambda.clone();
                tasks.push(tokio::spawn(async move {
                    let mut n = 0u64;
                    while started.elapsed() < window {
                        lambda.invoke().function_name("noop").send().await.expect("invoke");
                        n += 1;
                    }
                    n
                }));
            }
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap();
            }
            let secs = started.elapsed().as_secs_f64();
            println!("throughput, {callers} caller(s): {total} invokes in {secs:.2} s = {:.0} per second", total as f64 / secs);
        }
    });
}
