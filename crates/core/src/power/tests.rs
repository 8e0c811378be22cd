//! Tests of `output`.

use super::*;
use crate::pricing::{lambda_price, Architecture};
use crate::report_line::parse_report;

#[test]
fn a_stop_reason_is_data_in_json_and_a_sentence_in_reports() {
    let out = StopReason::OutOfRunning {
        after: 10,
        why: "it costs 1.20–1.31x as much as 512 MB (95% bootstrap interval)".into(),
    };
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "outOfRunning", "after": 10, "why": "it costs 1.20–1.31x as much as 512 MB (95% bootstrap interval)"})
    );
    assert_eq!(serde_json::from_value::<StopReason>(json).unwrap(), out);
    assert_eq!(
        out.to_string(),
        "out of the running after 10 invocations: it costs 1.20–1.31x as much as 512 MB (95% bootstrap interval)"
    );
    assert!(out.is_out_of_running());
    let reached = StopReason::ReachedNum { num: 50 };
    assert_eq!(
        serde_json::to_value(&reached).unwrap(),
        serde_json::json!({"kind": "reachedNum", "num": 50})
    );
    assert!(!reached.is_out_of_running());
    assert_eq!(
        serde_json::to_value(StopReason::NothingToRecommend).unwrap(),
        serde_json::json!({"kind": "nothingToRecommend"})
    );
}

#[test]
fn a_round_that_fails_the_power_value_ends_it_counted_over_every_invocation() {
    let report = |ms: f64| {
        parse_report(&format!("REPORT RequestId: r\tDuration: {ms} ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB", ms.ceil()), None).unwrap()
    };
    let price = lambda_price("us-east-1", Architecture::X86_64);
    let reports: Vec<Report> = [10.0, 11.0, 12.0, 13.0, 14.0].map(report).to_vec();
    let before = PowerStats::from_reports_keeping(128, &reports, 0, &price, 0.2, Keep::All);
    let failures = Failures {
        error_type: "Sandbox.Timedout".into(),
        message: "Task timed out after 3.00 seconds".into(),
        failed: 2,
        made: 3,
    };
    let later = PowerStats::failing(128, failures, 0.25);
    let merged = before.merged(&later, 0.2).unwrap();
    assert!(!merged.succeeded());
    let f = merged.failures.as_ref().unwrap();
    assert_eq!((f.failed, f.made), (2, 8));
    assert_eq!(merged.invocations, Some(8));
    assert!((merged.total_cost - (before.total_cost + 0.25)).abs() < 1e-15);
    assert_eq!(
        merged.error.as_deref(),
        Some("Sandbox.Timedout in 2 of 8 invocations: Task timed out after 3.00 seconds")
    );
    // In JSON the failures are data beside the sentence.
    let json = serde_json::to_value(&merged).unwrap();
    assert_eq!(
        json["failures"],
        serde_json::json!({"errorType": "Sandbox.Timedout", "message": "Task timed out after 3.00 seconds", "failed": 2, "made": 8})
    );
}

#[test]
fn power_stats_come_from_reports() {
    let report = |ms: f64, billed: f64, init: Option<f64>| {
        let init = init
            .map(|i| format!("\tInit Duration: {i} ms"))
            .unwrap_or_default();
        parse_report(&format!("REPORT RequestId: r\tDuration: {ms} ms\tBilled Duration: {billed} ms\tMemory Size: 1024 MB\tMax Memory Used: 30 MB{init}"), None).unwrap()
    };
    let reports = vec![
        report(100.2, 101.0, Some(50.0)),
        report(10.0, 10.0, None),
        report(11.0, 11.0, None),
        report(12.0, 12.0, None),
        report(1000.0, 1000.0, None),
    ];
    let price = lambda_price("us-east-1", Architecture::X86_64);
    let s = PowerStats::from_reports(1024, &reports, 1, &price, 0.2);
    // The cold start (150.2 ms with its Init Duration) is apart; the averages are of the warm
    // invocations 10, 11, 12 and 1000 ms (four values: 20% trims none).
    assert!((s.average_duration - 1033.0 / 4.0).abs() < 1e-9);
    let per_ms = 0.0000166667 / 1000.0;
    assert!((s.average_price - per_ms * 1033.0 / 4.0).abs() < 1e-15);
    let cold = s.cold.unwrap();
    assert_eq!(
        (cold.count, cold.init_duration, cold.duration),
        (1, 50.0, 150.2)
    );
    assert_eq!(s.warm.unwrap().count, 4);
    // The run's cost counts every invocation: billed 101 + 10 + 11 + 12 + 1000 ms.
    assert!((s.total_cost - per_ms * 1134.0).abs() < 1e-15);
    assert_eq!(
        (s.invocations, s.errors, s.cold_starts, s.max_memory_used_mb),
        (Some(5), Some(1), Some(1), Some(30))
    );
    assert_eq!(s.duration_stats.as_ref().unwrap().max, 1000.0);
    assert!(s.succeeded());
}

#[test]
fn samples_are_capped_and_evenly_spread() {
    let price = lambda_price("us-east-1", Architecture::X86_64);
    let reports: Vec<Report> = (0..120)
        .map(|i| {
            parse_report(&format!("REPORT RequestId: r\tDuration: {}.456 ms\tBilled Duration: {} ms\tMemory Size: 1024 MB\tMax Memory Used: 30 MB", 10 + i, 11 + i), None).unwrap()
        })
        .collect();
    let s = PowerStats::from_reports(1024, &reports, 0, &price, 0.2);
    let samples = s.samples.expect("samples");
    assert_eq!(samples.durations.len(), MAX_SAMPLES);
    assert_eq!(samples.billed.len(), MAX_SAMPLES);
    // Every 120/50-th invocation, from the first; durations to 0.01 ms.
    assert_eq!(samples.durations[0], 10.46);
    assert_eq!(samples.billed[1], 13);
    assert!((samples.costs()[0] - price.duration_cost(1024, 11.0)).abs() < 1e-18);
    let few = PowerStats::from_reports(1024, &reports[..7], 0, &price, 0.2);
    assert_eq!(few.samples.unwrap().durations.len(), 7);
}
