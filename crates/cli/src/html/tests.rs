//! Tests of `html`.

use super::*;
use powertune_core::analysis::{AnalysisEnv, AnalyzerEvent};
use powertune_core::input::{Defaults, ExecutionInput};
use powertune_core::pricing::{lambda_price, Architecture};
use powertune_core::report_line::Report;

/// A run of `powers` whose durations halve as memory doubles (the same cost everywhere),
/// the first invocation of each a cold start.
fn run(powers: &[u32], input: serde_json::Value) -> (TuningResult, Vec<PowerStats>) {
    let price = lambda_price("us-east-1", Architecture::X86_64);
    let stats: Vec<PowerStats> = powers
        .iter()
        .map(|&p| {
            let reports: Vec<Report> = (0..10)
                .map(|i| Report {
                    request_id: None,
                    duration_ms: Some(51_200.0 / f64::from(p) * (1.0 + 0.01 * f64::from(i % 4))),
                    billed_duration_ms: Some(
                        (51_200.0 / f64::from(p) * (1.0 + 0.01 * f64::from(i % 4))).ceil(),
                    ),
                    init_duration_ms: (i == 0).then_some(80.0),
                    restore_duration_ms: None,
                    billed_restore_duration_ms: None,
                    memory_size_mb: Some(p),
                    max_memory_used_mb: Some(60),
                    first_in_environment: false,
                })
                .collect();
            PowerStats::from_reports(p, &reports, 0, &price, 0.2)
        })
        .collect();
    analyzed(stats, input)
}

/// The analysis of `stats`, with `input`'s fields beside a plain run's.
fn analyzed(stats: Vec<PowerStats>, input: serde_json::Value) -> (TuningResult, Vec<PowerStats>) {
    let powers: Vec<u32> = stats.iter().map(|s| s.value).collect();
    let mut document = serde_json::json!({"lambdaARN": "f", "num": 10, "powerValues": powers, "includeOutputResults": true});
    if let (Some(o), Some(extra)) = (document.as_object_mut(), input.as_object()) {
        o.extend(extra.clone());
    }
    let input = ExecutionInput::from_json(
        &document,
        &Defaults {
            power_values: vec![],
            region: Some("us-east-1".into()),
        },
    )
    .unwrap();
    let event = AnalyzerEvent {
        input,
        stats: stats.clone(),
        publisher_rounds: 1,
        cleaner_rounds: 1,
        sampling: None,
        current_memory: Some(1024),
        function: None,
    };
    (
        event
            .analyze(&AnalysisEnv::new(Some("us-east-1".into()), None))
            .unwrap(),
        stats,
    )
}

fn report(result: &TuningResult, stats: &[PowerStats]) -> String {
    run_report(
        "powertune: f",
        &RunData {
            result,
            stats,
            request_price: 2e-7,
            discard: 0.2,
        },
    )
}

/// Nothing that makes a browser fetch: no script, no external stylesheet, image or font.
fn assert_self_contained(page: &str) {
    for forbidden in [
        "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
    ] {
        assert!(!page.contains(forbidden), "the page has {forbidden}");
    }
    // Links to elsewhere are fine (nothing loads them); the only one is the public UI's.
    assert!(page.matches("href=\"http").count() <= 1);
}

#[test]
fn a_run_report_is_self_contained_and_shows_the_decision_the_spread_and_the_cold_starts() {
    let (result, stats) = run(
        &[128, 256, 512, 1024],
        serde_json::json!({"monthlyInvocations": 2000000}),
    );
    let page = report(&result, &stats);
    assert_self_contained(&page);
    assert!(page.contains("@media (prefers-color-scheme: dark)"));
    assert!(page.contains(&format!("<div class=\"value\">{} MB</div>", result.power)));
    let decision = result.decision.clone().unwrap();
    assert!(page.contains(&escape(&decision)), "{decision}");
    // Tied power values are shaded in the charts and the table.
    assert!(page.contains("tied-column") && page.contains("<tr class=\"tied\">"));
    // A band per chart, every invocation in the box plot, the cold starts marked.
    assert_eq!(page.matches("<polygon class=\"band a\"").count(), 2);
    assert_eq!(page.matches("<rect class=\"box\"").count(), 4);
    assert_eq!(
        page.matches("class=\"dot cold a").count(),
        4,
        "one per cold start"
    );
    assert!(
        page.contains(">cold start</text>"),
        "and the legend says so"
    );
    assert!(page.contains("The 4 cold starts"));
    // The month, and the saving against the current 1024 MB.
    assert!(page.contains("A month of 2,000,000 invocations"));
    assert!(page.contains("against 1024 MB, the current memory"));
}

#[test]
fn a_power_value_that_failed_has_its_row_and_no_point() {
    let (_, mut stats) = run(&[256, 512, 1024], serde_json::json!({}));
    let failures = powertune_core::failure::Failures {
        error_type: "Runtime.OutOfMemory".into(),
        message: "Runtime exited with error: signal: killed".into(),
        failed: 1,
        made: 1,
    };
    stats.insert(0, PowerStats::failing(128, failures, 1e-6));
    let (result, stats) = analyzed(stats, serde_json::json!({}));
    let page = report(&result, &stats);
    assert!(
        page.contains("failed: Runtime.OutOfMemory in 1 of 1 invocations: Runtime exited with error: signal: killed"),
        "the failed row"
    );
    // A box per power value with a result: three, not four.
    assert_eq!(page.matches("<rect class=\"box\"").count(), 3);
    assert!(
        page.contains("128 MB failed: Runtime.OutOfMemory"),
        "the warning"
    );
}

#[test]
fn a_budget_is_drawn_on_the_duration_charts_and_stated() {
    let (result, stats) = run(
        &[128, 256, 512, 1024],
        serde_json::json!({"maxDuration": "p95=150ms"}),
    );
    let page = report(&result, &stats);
    // On the trimmed means' chart and on the box plot of every invocation; not on the cost.
    assert_eq!(page.matches("<line class=\"limit\"").count(), 2);
    assert!(page.contains(">budget: p95 ≤ 150 ms</text>"));
    let decision = result.decision.clone().unwrap();
    assert!(decision.starts_with("Budget p95 ≤ 150 ms:"), "{decision}");
    assert!(page.contains(&escape(&decision)));
}

#[test]
fn a_cold_start_rate_draws_cost_against_the_rate() {
    let (plain, stats) = run(&[128, 256, 512, 1024], serde_json::json!({}));
    assert!(!report(&plain, &stats).contains("Cost against the cold-start rate"));
    let (result, stats) = run(
        &[128, 256, 512, 1024],
        serde_json::json!({"coldStartRate": 0.05}),
    );
    let page = report(&result, &stats);
    assert_self_contained(&page);
    assert!(page.contains("<h2>Cost against the cold-start rate</h2>"));
    assert!(page.contains(">this run: 5%</text>"));
    // The recommendation's line first, thicker.
    assert!(page.contains("stroke: var(--best); stroke-width: 3"));
    let lines = page.matches("class=\"rate-line\"").count();
    assert!((1..=4).contains(&lines), "{lines} lines");
}

#[test]
fn a_comparison_of_two_blended_runs_says_so() {
    let input = serde_json::json!({"coldStartRate": 0.05});
    let (a, _) = run(&[128, 256, 512], input.clone());
    let (b, _) = run(&[256, 512, 1024], input);
    let c = Comparison::of(&a, &b).unwrap();
    assert_eq!(c.blended_at, Some(0.05));
    let page = compare_report(
        ("before", "after"),
        (&a, &b),
        (0.2, 0.2),
        &c,
        "https://x/",
        None,
    );
    assert!(page.contains("blend warm and cold invocations at 5.0% cold starts"));
    let (plain, _) = run(&[128, 256, 512], serde_json::json!({}));
    let c = Comparison::of(&plain, &b).unwrap();
    let page = compare_report(
        ("before", "after"),
        (&plain, &b),
        (0.2, 0.2),
        &c,
        "https://x/",
        None,
    );
    assert!(!page.contains("cold-start rate"));
}

#[test]
fn a_comparison_report_draws_both_runs() {
    let (a, _) = run(&[128, 256, 512], serde_json::json!({}));
    let (b, _) = run(&[256, 512, 1024], serde_json::json!({}));
    let c = Comparison::of(&a, &b).unwrap();
    let verdict = Err("the recommended configuration is 20.0% more expensive".to_string());
    let page = compare_report(
        ("x86_64", "arm64"),
        (&a, &b),
        (0.2, 0.2),
        &c,
        "https://ui/#x",
        Some(&verdict),
    );
    assert_self_contained(&page);
    assert_eq!(page.matches("<polyline class=\"line a\"").count(), 2);
    assert_eq!(page.matches("<polyline class=\"line b\"").count(), 2);
    assert!(
        page.contains(">x86_64</text>") && page.contains(">arm64</text>"),
        "legends"
    );
    assert!(page.contains("failed</span>: the recommended configuration is 20.0% more expensive"));
    assert_eq!(
        page.matches("<tr").count(),
        5,
        "a header and a row per power value of either run"
    );
}

#[test]
fn numbers_are_grouped_by_thousands() {
    assert_eq!(group(3_000_000), "3,000,000");
    assert_eq!(group(999), "999");
    assert_eq!(group(1000), "1,000");
}
