//! What one adaptive round's decision costs: `Sampling::after_round` (the warm-up test, each
//! power value's statistics recomputed with their bootstrap intervals, and the decision's
//! bootstrap comparisons with the best) on every power value of "ALL" (46) with 100
//! invocations each, and on 5 with 20, release build. The Sampler step runs at 512 MB (0.29
//! vCPU), so its Lambda duration is about 3.5 times these figures.
//!
//! cargo bench -p powertune-core --bench sampling

use powertune_core::input::{Defaults, ExecutionInput};
use powertune_core::power::{Keep, PowerStats};
use powertune_core::pricing::{lambda_price, Architecture};
use powertune_core::report_line::Report;
use powertune_core::sampling::Sampling;
use std::time::Instant;

/// `n` invocations of power value `m` of a CPU-bound function, with a little deterministic spread.
fn stats(m: u32, n: u32) -> PowerStats {
    let price = lambda_price("us-east-1", Architecture::X86_64);
    let reports: Vec<Report> = (0..n)
        .map(|i| {
            let ms = 40.0
                * (1769.0 / f64::from(m)).max(1.0)
                * (1.0 + 0.03 * ((f64::from(i) * 0.618).fract() - 0.5));
            Report {
                request_id: None,
                duration_ms: Some(ms),
                billed_duration_ms: Some(ms.ceil()),
                init_duration_ms: None,
                restore_duration_ms: None,
                billed_restore_duration_ms: None,
                memory_size_mb: Some(m),
                max_memory_used_mb: Some(50),
                first_in_environment: false,
            }
        })
        .collect();
    PowerStats::from_reports_keeping(m, &reports, 0, &price, 0.2, Keep::All)
}

fn main() {
    for (powers, n) in [("ALL", 100u32), ("128,512,1024,1769,3008", 20)] {
        let power_values: serde_json::Value = if powers == "ALL" {
            serde_json::json!("ALL")
        } else {
            serde_json::json!(powers
                .split(',')
                .map(|p| p.parse::<u32>().unwrap_or(128))
                .collect::<Vec<_>>())
        };
        let input = ExecutionInput::from_json(
            &serde_json::json!({"lambdaARN": "f", "num": 1000, "adaptive": true, "powerValues": power_values}),
            &Defaults::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<PowerStats> = input.power_values.iter().map(|&m| stats(m, n)).collect();
        let mut sampling = Sampling::start(&input);
        sampling.first = n - sampling.count;
        let mut times = Vec::new();
        for _ in 0..9 {
            let mut s = all.clone();
            let started = Instant::now();
            let next = sampling.after_round(&input, &mut s);
            times.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(next);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "after_round, {} power values x {n} invocations: median {:.1} ms, max {:.1} ms (9 runs)",
            input.power_values.len(),
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
}
