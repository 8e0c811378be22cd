//! The human-readable report: a table of every power value with the recommendation marked.

use powertune_core::output::{PowerStats, TuningResult};
use powertune_core::pricing::Currency;
use std::fmt::Write;

/// Renders the result as a table. `request_price` is the per-request charge in the function's
/// region, added to the duration cost in the "per 1M invocations" column.
pub fn table(result: &TuningResult, stats: &[PowerStats], request_price: f64) -> String {
    let symbol = match result.currency {
        Currency::Usd => "$",
        Currency::Cny => "¥",
    };
    let mut sorted = stats.to_vec();
    sorted.sort_by_key(|s| s.value);

    let header = [
        "",
        "Power",
        "Mean",
        "p90",
        "95% interval",
        "Cost/invocation",
        "Cost/1M invocations",
    ];
    // A failed power value's row is its marker, its power and the error, which spans the rest.
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &sorted {
        let marker = if s.value == result.power { "▶" } else { "" };
        if let Some(error) = &s.error {
            rows.push(vec![
                marker.into(),
                format!("{} MB", s.value),
                format!("failed: {error}"),
            ]);
            continue;
        }
        let summary = s.duration_stats.as_ref();
        rows.push(vec![
            marker.into(),
            format!("{} MB", s.value),
            format!("{:.2} ms", s.average_duration),
            summary.map_or("-".into(), |d| format!("{:.2} ms", d.p90)),
            summary.and_then(|d| d.ci95).map_or("-".into(), |ci| {
                format!("{:.2} – {:.2} ms", ci.low, ci.high)
            }),
            format!("{symbol}{}", significant(s.average_price)),
            format!("{symbol}{:.4}", (s.average_price + request_price) * 1e6),
        ]);
    }

    let mut widths = header.map(|h| h.chars().count());
    for row in rows.iter().filter(|r| r.len() == header.len()) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            // Names (and a failure's message) left-aligned, numbers right-aligned.
            if i <= 1 || cells.len() < header.len() {
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
    line(&mut out, &header.map(String::from));
    for row in &rows {
        line(&mut out, row);
    }

    let weight = result
        .balanced_weight
        .map(|w| format!(", weight {w}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nRecommended: {} MB ({} strategy{weight}): {:.2} ms, {symbol}{} per invocation",
        result.power,
        result.strategy,
        result.duration,
        significant(result.cost)
    );
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

/// A small amount of money with four significant digits and no exponent: 2.52e-7 -> 0.0000002520.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 20) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use powertune_core::output::{analyze, AnalysisOptions};
    use powertune_core::strategy::Strategy;

    fn stat(value: u32, price: f64, duration: f64) -> PowerStats {
        let mut s = PowerStats::failed(value, "");
        s.error = None;
        s.average_price = price;
        s.average_duration = duration;
        s
    }

    #[test]
    fn money_keeps_four_significant_digits() {
        assert_eq!(significant(2.52e-7), "0.0000002520");
        assert_eq!(significant(0.000375), "0.0003750");
        assert_eq!(significant(12.5), "12.50");
        assert_eq!(significant(0.0), "0");
    }

    #[test]
    fn table_marks_the_recommendation_and_shows_failures() {
        let stats = vec![
            stat(128, 2.1e-7, 100.5),
            stat(256, 2.1e-7, 50.25),
            PowerStats::failed(64, "Runtime.OutOfMemory"),
        ];
        let options = AnalysisOptions {
            strategy: Strategy::Cost,
            balanced_weight: 0.5,
            include_output_results: false,
            region: Some("us-east-1".into()),
            visualization_base_url: "https://x/".into(),
            publisher_rounds: 1,
        };
        let result = analyze(&stats, &options).unwrap();
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
