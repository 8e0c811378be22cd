//! The terminal report: a table of every power value with the recommendation marked, and a
//! chart of bars.

use crate::text::{currency_symbol, duration_interval, significant};
use powertune_core::output::TuningResult;
use powertune_core::power::PowerStats;
use std::fmt::Write;

/// Renders the result as a table. `request_price` is the per-request charge in the function's
/// region, added to the duration cost in the "per 1M invocations" column.
pub fn table(result: &TuningResult, stats: &[PowerStats], request_price: f64) -> String {
    let symbol = currency_symbol(result.currency);
    let mut sorted = stats.to_vec();
    sorted.sort_by_key(|s| s.value);

    // An adaptive run gives power values different numbers of invocations: show them.
    let adaptive = result.sampling.is_some();
    let mut header = vec![
        "",
        "Power",
        "Mean",
        "p90",
        "95% interval",
        "Cost/invocation",
        "Cost/1M invocations",
    ];
    if adaptive {
        header.insert(2, "Runs");
    }
    // A failed power value's row is its marker, its power and the error, which spans the rest.
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &sorted {
        let marker = marker(result, s.value);
        if let Some(error) = &s.error {
            rows.push(vec![
                marker.into(),
                format!("{} MB", s.value),
                format!("failed: {error}"),
            ]);
            continue;
        }
        let summary = s.duration_stats.as_ref();
        let mut row = vec![
            marker.into(),
            format!("{} MB", s.value),
            format!("{:.2} ms", s.average_duration),
            summary.map_or("-".into(), |d| format!("{:.2} ms", d.p90)),
            summary
                .and_then(|d| d.ci95)
                .map_or("-".into(), |ci| duration_interval(&ci)),
            format!("{symbol}{}", significant(s.average_price)),
            format!("{symbol}{:.4}", (s.average_price + request_price) * 1e6),
        ];
        if adaptive {
            row.insert(2, s.invocations.map_or("-".into(), |n| n.to_string()));
        }
        rows.push(row);
    }

    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows.iter().filter(|r| r.len() == header.len()) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            // The marker and a failure's message left-aligned; numbers, power values
            // included, right-aligned, so that "128 MB" and "1024 MB" end in one column.
            let failure_message = cells.len() < header.len() && i >= 2;
            if i == 0 || failure_message {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
            text.push_str("  ");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(
        &mut out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    for row in &rows {
        line(&mut out, row);
    }
    out.push_str(&summary(result, &sorted));
    out
}

/// The lines under the table: the recommendation, why, how sampling went, the run's cost, the
/// visualization and the warnings.
fn summary(result: &TuningResult, sorted: &[PowerStats]) -> String {
    let symbol = currency_symbol(result.currency);
    let mut out = String::new();
    let weight = result
        .balanced_weight
        .map(|w| format!(", weight {w}"))
        .unwrap_or_default();
    let blended = result
        .blend
        .as_ref()
        .map(|b| {
            format!(
                "; at {:.1}% cold starts {:.2} ms, {symbol}{}",
                100.0 * b.rate,
                b.duration,
                significant(b.cost)
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nRecommended: {} MB ({} strategy{weight}): {:.2} ms, {symbol}{} per invocation{blended}",
        result.power,
        result.strategy,
        result.duration,
        significant(result.cost)
    );
    if let Some(decision) = &result.decision {
        let tied = result.equivalent.as_ref().is_some_and(|e| e.len() > 1);
        let open = result.undecided.as_ref().is_some_and(|u| !u.is_empty());
        let key = match (tied, open) {
            (true, true) => " (≈ marks the power values as good as the best, ? the undecided)",
            (true, false) => " (≈ marks the power values as good as the best)",
            (false, true) => " (? marks the undecided power values)",
            (false, false) => "",
        };
        let _ = writeln!(out, "Why: {decision}{key}");
    }
    if let Some(warm_up) = &result.warm_up {
        let _ = writeln!(out, "{}", warm_up.sentence());
    }
    if let Some(blend) = &result.blend {
        let _ = writeln!(
            out,
            "Cold starts (at coldStartRate {:.1}%, the blend is (1 - rate) x warm + rate x cold):",
            100.0 * blend.rate
        );
        for s in sorted.iter() {
            let (Some(cold), Some(warm), Some((duration, cost))) =
                (s.cold, s.warm, s.blended(blend.rate))
            else {
                continue;
            };
            let _ = writeln!(
                out,
                "  {:>5} MB  init {:.1} ms, cold {:.2} ms {symbol}{}; warm {:.2} ms {symbol}{}; blended {:.2} ms {symbol}{}",
                s.value,
                cold.init_duration,
                cold.duration,
                significant(cold.cost),
                warm.duration,
                significant(warm.cost),
                duration,
                significant(cost)
            );
        }
    }
    if let Some(b) = result.budget.as_ref().filter(|b| !b.over.is_empty()) {
        let over: Vec<String> = b.over.iter().map(u32::to_string).collect();
        let _ = writeln!(
            out,
            "Over the budget ({}): {} MB",
            b.budget,
            over.join(", ")
        );
    }
    if let Some(sampling) = &result.sampling {
        let _ = writeln!(out, "{}", sampling.sentence());
        for s in sorted {
            if let Some(reason) = s.stop_reason.as_ref().filter(|r| r.is_out_of_running()) {
                let _ = writeln!(out, "  {} MB: {reason}", s.value);
            }
        }
    }
    let _ = writeln!(
        out,
        "Cost of this run: Lambda {symbol}{}, Step Functions {symbol}{}",
        significant(result.state_machine.lambda_cost),
        significant(result.state_machine.execution_cost)
    );
    let _ = writeln!(out, "Visualization: {}", result.state_machine.visualization);
    for w in &result.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// A terminal chart of duration and cost against power: one row per power value, two bars.
pub fn chart(result: &TuningResult, stats: &[PowerStats]) -> String {
    const WIDTH: usize = 28;
    let symbol = currency_symbol(result.currency);
    let mut sorted: Vec<&PowerStats> = stats.iter().filter(|s| s.succeeded()).collect();
    sorted.sort_by_key(|s| s.value);
    let max_duration = sorted
        .iter()
        .map(|s| s.average_duration)
        .fold(0.0, f64::max);
    let max_cost = sorted.iter().map(|s| s.average_price).fold(0.0, f64::max);
    let bar = |value: f64, max: f64| {
        let n = if max > 0.0 {
            ((value / max) * WIDTH as f64).round() as usize
        } else {
            0
        };
        format!("{:<WIDTH$}", "█".repeat(n.max(1)))
    };
    let mut out = format!(
        "{:>9}  {:<w$}  {}\n",
        "",
        "duration",
        "cost per invocation",
        w = WIDTH + 12
    );
    for s in sorted {
        let marker = match marker(result, s.value) {
            "" => " ",
            m => m,
        };
        let _ = writeln!(
            out,
            "{marker}{:>8}  {} {:>9.2} ms  {} {symbol}{}",
            format!("{} MB", s.value),
            bar(s.average_duration, max_duration),
            s.average_duration,
            bar(s.average_price, max_cost),
            significant(s.average_price)
        );
    }
    out
}

/// `▶` for the recommendation, `≈` for a power value as good as the best, `?` for an undecided
/// one, nothing otherwise.
pub fn marker(result: &TuningResult, power: u32) -> &'static str {
    if power == result.power {
        "▶"
    } else if result
        .equivalent
        .as_ref()
        .is_some_and(|e| e.contains(&power))
    {
        "≈"
    } else if result
        .undecided
        .as_ref()
        .is_some_and(|u| u.iter().any(|u| u.value == power))
    {
        "?"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use powertune_core::analysis::{AnalysisEnv, AnalyzerEvent};
    use powertune_core::strategy::Strategy;

    fn analysis(
        stats: &[PowerStats],
        strategy: Strategy,
        balanced_weight: f64,
        include_output_results: bool,
    ) -> TuningResult {
        analysis_of(
            stats,
            serde_json::json!({"strategy": strategy.as_str(), "balancedWeight": balanced_weight,
                               "includeOutputResults": include_output_results}),
        )
    }

    /// The analysis of `stats` for an input with `fields` beside a plain run's.
    fn analysis_of(stats: &[PowerStats], fields: serde_json::Value) -> TuningResult {
        let mut document = serde_json::json!({"lambdaARN": "f", "num": 5});
        if let (Some(o), Some(extra)) = (document.as_object_mut(), fields.as_object()) {
            o.extend(extra.clone());
        }
        let input = powertune_core::input::ExecutionInput::from_json(
            &document,
            &powertune_core::input::Defaults {
                power_values: vec![128],
                region: Some("us-east-1".into()),
            },
        )
        .unwrap();
        let event = AnalyzerEvent {
            input,
            stats: stats.to_vec(),
            publisher_rounds: 1,
            cleaner_rounds: 1,
            sampling: None,
            current_memory: None,
            function: None,
        };
        event
            .analyze(&AnalysisEnv::new(
                Some("us-east-1".into()),
                Some("https://x/".into()),
            ))
            .unwrap()
    }

    fn stat(value: u32, price: f64, duration: f64) -> PowerStats {
        let mut s = PowerStats::failed(value, "");
        s.error = None;
        s.average_price = price;
        s.average_duration = duration;
        s
    }

    #[test]
    fn power_values_of_three_and_four_digits_end_in_one_column() {
        let stats = vec![
            stat(128, 2.1e-7, 533.5),
            stat(1024, 1.1e-7, 60.73),
            PowerStats::failed(64, "Runtime.OutOfMemory"),
        ];
        let result = analysis(&stats, Strategy::Cost, 0.5, false);
        let text = table(&result, &stats, 2e-7);
        // The column (in characters) where " MB" of the power value ends, on every row.
        let ends: Vec<usize> = text
            .lines()
            .take_while(|l| !l.is_empty())
            .filter(|l| l.contains(" MB "))
            .map(|l| {
                let byte = l.find(" MB ").unwrap() + 3;
                l[..byte].chars().count()
            })
            .collect();
        assert_eq!(ends.len(), 3, "{text}");
        assert!(ends.iter().all(|&e| e == ends[0]), "{ends:?}\n{text}");
        // The failure's message stays left-aligned right after its power value.
        assert!(
            text.contains("64 MB  failed: Runtime.OutOfMemory"),
            "{text}"
        );
    }

    #[test]
    fn the_table_names_the_values_over_the_budget() {
        // Without samples each power value's average stands for its p95.
        let stats = vec![
            stat(128, 1.0e-7, 400.0),
            stat(256, 1.1e-7, 210.0),
            stat(512, 1.4e-7, 90.0),
        ];
        let plain = analysis(&stats, Strategy::Cost, 0.5, false);
        assert!(!table(&plain, &stats, 2e-7).contains("Over the budget"));
        let result = analysis_of(&stats, serde_json::json!({"maxDuration": "p95=200ms"}));
        let text = table(&result, &stats, 2e-7);
        assert!(text.contains("Recommended: 512 MB"), "{text}");
        assert!(
            text.contains("Over the budget (p95 ≤ 200 ms): 128, 256 MB"),
            "{text}"
        );
        assert!(
            text.contains("Why: Budget p95 ≤ 200 ms: 512 MB meets it"),
            "{text}"
        );
    }

    #[test]
    fn with_a_cold_start_rate_the_table_shows_warm_cold_and_blended() {
        use powertune_core::report_line::Report;
        let price = powertune_core::pricing::lambda_price(
            "us-east-1",
            powertune_core::pricing::Architecture::X86_64,
        );
        let stats: Vec<PowerStats> = [(512, 400.0, 10.0), (1024, 150.0, 6.0)]
            .iter()
            .map(|&(power, init, handler)| {
                let reports: Vec<Report> = (0..10)
                    .map(|i| {
                        let init = (i == 0).then_some(init);
                        Report {
                            request_id: None,
                            duration_ms: Some(handler),
                            billed_duration_ms: Some(handler + init.unwrap_or(0.0)),
                            init_duration_ms: init,
                            restore_duration_ms: None,
                            billed_restore_duration_ms: None,
                            memory_size_mb: Some(power),
                            max_memory_used_mb: Some(40),
                            first_in_environment: false,
                        }
                    })
                    .collect();
                PowerStats::from_reports(power, &reports, 0, &price, 0.2)
            })
            .collect();
        let result = analysis_of(&stats, serde_json::json!({"coldStartRate": 0.1}));
        let text = table(&result, &stats, 2e-7);
        assert!(text.contains("Recommended: 1024 MB"), "{text}");
        // 0.9 x 6 ms + 0.1 x (150 + 6) ms.
        assert!(text.contains("; at 10.0% cold starts 21.00 ms"), "{text}");
        assert!(
            text.contains("   512 MB  init 400.0 ms, cold 410.00 ms"),
            "{text}"
        );
        assert!(text.contains("warm 6.00 ms"), "{text}");
        assert!(
            text.contains("below ") && text.contains("512 MB is cheaper than 1024 MB."),
            "{text}"
        );
    }

    #[test]
    fn table_marks_the_recommendation_and_shows_failures() {
        let stats = vec![
            stat(128, 2.1e-7, 100.5),
            stat(256, 2.1e-7, 50.25),
            PowerStats::failed(64, "Runtime.OutOfMemory"),
        ];
        let result = analysis(&stats, Strategy::Cost, 0.5, false);
        let text = table(&result, &stats, 2e-7);
        let marked: Vec<&str> = text.lines().filter(|l| l.starts_with('▶')).collect();
        assert_eq!(marked.len(), 1, "{text}");
        assert!(
            marked[0].contains("256 MB") && marked[0].contains("50.25 ms"),
            "{text}"
        );
        // (2.1e-7 + 2e-7) x 1e6 = 0.41 per million invocations
        assert!(marked[0].contains("$0.4100"), "{text}");
        let failed = text.lines().find(|l| l.contains("64 MB")).unwrap();
        assert!(failed.ends_with("failed: Runtime.OutOfMemory"), "{text}");
        assert!(
            text.contains("Recommended: 256 MB (cost strategy)"),
            "{text}"
        );
        assert!(text.contains("warning: 64 MB failed"), "{text}");
    }
}
