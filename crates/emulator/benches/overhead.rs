//! The emulator's own overhead and throughput, with the no-op example function.
//!
//! - Overhead: the Duration the REPORT gives for a no-op at 3008 MB, median over 200 warm
//!   invokes in series (target: under 1 ms).
//! - Throughput: warm invokes per second of the no-op from 4 concurrent callers for 3 s
//!   (target: at least 500 per second on 2 cores).
//!
//! Run: `cargo bench -p powertune-emulator --bench overhead` (figures go to BENCHMARKS.md).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

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
        common::invoke(&lambda, "noop", None, "{}").await; // cold start

        let mut durations = Vec::new();
        let mut round_trips = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let out = common::invoke(&lambda, "noop", None, "{}").await;
            round_trips.push(t.elapsed().as_secs_f64() * 1000.0);
            durations.push(out.report.duration_ms.unwrap());
        }
        durations.sort_by(f64::total_cmp);
        round_trips.sort_by(f64::total_cmp);
        println!(
            "no-op at 3008 MB, 200 warm invokes: REPORT Duration median {:.3} ms, p90 {:.3} ms; Invoke round trip median {:.3} ms, p90 {:.3} ms",
            durations[100], durations[180], round_trips[100], round_trips[180]
        );

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
