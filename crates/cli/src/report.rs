//! The human-readable report: a table of every power value with the recommendation marked.

use powertune_core::output::{PowerStats, TuningResult};
use powertune_core::pricing::Currency;
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
            summary.and_then(|d| d.ci95).map_or("-".into(), |ci| {
                format!("{:.2} – {:.2} ms", ci.low, ci.high)
            }),
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
    line(
        &mut out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
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
    if let Some(decision) = &result.decision {
        let tied = result.equivalent.as_ref().is_some_and(|e| e.len() > 1);
        let key = if tied {
            " (≈ marks the tied power values)"
        } else {
            ""
        };
        let _ = writeln!(out, "Why: {decision}{key}");
    }
    if let Some(sampling) = &result.sampling {
        let _ = writeln!(
            out,
            "Adaptive sampling: {} invocations of up to {} in {} round{}. {}",
            sampling.invocations,
            sampling.cap,
            sampling.rounds,
            if sampling.rounds == 1 { "" } else { "s" },
            sampling.reason
        );
        for s in &sorted {
            if let Some(reason) = s.stop_reason.as_deref().filter(|r| r.starts_with("out of")) {
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

/// `▶` for the recommendation, `≈` for a power value tied with it, nothing otherwise.
fn marker(result: &TuningResult, power: u32) -> &'static str {
    if power == result.power {
        "▶"
    } else if result
        .equivalent
        .as_ref()
        .is_some_and(|e| e.contains(&power))
    {
        "≈"
    } else {
        ""
    }
}

fn currency_symbol(currency: Currency) -> &'static str {
    match currency {
        Currency::Usd => "$",
        Currency::Cny => "¥",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG line chart of `points` (power, value), with the recommended power highlighted.
fn svg_chart(
    title: &str,
    prefix: &str,
    unit: &str,
    points: &[(u32, f64)],
    best: u32,
    color: &str,
) -> String {
    let (w, h, left, right, top, bottom) = (460.0, 260.0, 70.0, 20.0, 30.0, 40.0);
    if points.is_empty() {
        return String::new();
    }
    let min_x = f64::from(points.iter().map(|p| p.0).min().unwrap_or(0));
    let max_x = f64::from(points.iter().map(|p| p.0).max().unwrap_or(1));
    let max_y = points
        .iter()
        .map(|p| p.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.1;
    let x = |v: u32| {
        if max_x > min_x {
            left + (f64::from(v) - min_x) / (max_x - min_x) * (w - left - right)
        } else {
            (w + left - right) / 2.0
        }
    };
    let y = |v: f64| top + (1.0 - v / max_y) * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        escape(title)
    ));
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#999\"/>",
        h - bottom, w - right, h - bottom, h - bottom
    ));
    for i in 0..=4 {
        let v = max_y * f64::from(i) / 4.0;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y(v) + 3.0,
            escape(&format!("{prefix}{}{unit}", significant(v)))
        ));
    }
    let path: Vec<String> = points
        .iter()
        .map(|(p, v)| format!("{:.1},{:.1}", x(*p), y(*v)))
        .collect();
    svg.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
        path.join(" ")
    ));
    for (p, v) in points {
        let (r, fill) = if *p == best {
            (6.0, "#d62728")
        } else {
            (3.5, color)
        };
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{fill}\"><title>{p} MB: {prefix}{}{unit}</title></circle>",
            x(*p),
            y(*v),
            escape(&significant(*v))
        ));
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{p}</text>",
            x(*p),
            h - bottom + 14.0
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">memory (MB)</text>",
        (w + left) / 2.0,
        h - 6.0
    ));
    svg.push_str("</svg>");
    svg
}

/// A self-contained HTML report: the recommendation, charts of duration and cost against
/// power, and the table. No script, stylesheet or font is loaded from anywhere.
pub fn html(
    title: &str,
    result: &TuningResult,
    stats: &[PowerStats],
    request_price: f64,
) -> String {
    let symbol = currency_symbol(result.currency);
    let mut sorted: Vec<&PowerStats> = stats.iter().collect();
    sorted.sort_by_key(|s| s.value);
    let ok: Vec<&&PowerStats> = sorted.iter().filter(|s| s.succeeded()).collect();
    let durations: Vec<(u32, f64)> = ok.iter().map(|s| (s.value, s.average_duration)).collect();
    // Per million invocations: amounts a reader can compare at a glance.
    let costs: Vec<(u32, f64)> = ok
        .iter()
        .map(|s| (s.value, s.average_price * 1e6))
        .collect();
    let mut rows = String::new();
    for s in &sorted {
        let class = match marker(result, s.value) {
            "▶" => " class=\"best\"",
            "≈" => " class=\"tied\"",
            _ => "",
        };
        match &s.error {
            Some(e) => rows.push_str(&format!(
                "<tr{class}><td>{} MB</td><td colspan=\"6\">failed: {}</td></tr>",
                s.value,
                escape(e)
            )),
            None => {
                let d = s.duration_stats.as_ref();
                rows.push_str(&format!(
                    "<tr{class}><td>{} MB</td><td>{:.2} ms</td><td>{}</td><td>{}</td><td>{}</td><td>{symbol}{}</td><td>{symbol}{:.4}</td></tr>",
                    s.value,
                    s.average_duration,
                    d.map_or("-".into(), |d| format!("{:.2} ms", d.p50)),
                    d.map_or("-".into(), |d| format!("{:.2} ms", d.p90)),
                    d.and_then(|d| d.ci95).map_or("-".into(), |ci| format!("{:.2} – {:.2} ms", ci.low, ci.high)),
                    significant(s.average_price),
                    (s.average_price + request_price) * 1e6
                ));
            }
        }
    }
    let warnings: String = result
        .warnings
        .iter()
        .map(|w| format!("<li>{}</li>", escape(w)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}}\
table{{border-collapse:collapse;margin-top:1em}}td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}}\
td:first-child,th:first-child{{text-align:left}}tr.best{{background:#fde8e8;font-weight:bold}}tr.tied{{background:#fdf3e8}}\
.charts{{display:flex;flex-wrap:wrap;gap:1em}}.summary{{font-size:1.2em}}</style></head><body>\
<h1>{title}</h1><p class=\"summary\">Recommended: <strong>{} MB</strong> ({} strategy): {:.2} ms and {symbol}{} per invocation.</p>{}\
<div class=\"charts\">{}{}</div>\
<table><tr><th>Power</th><th>Mean</th><th>p50</th><th>p90</th><th>95% interval</th><th>Cost/invocation</th><th>Cost/1M invocations</th></tr>{rows}</table>\
<p>Cost of this run: Lambda {symbol}{}, Step Functions {symbol}{}.</p>{}\
<p><a href=\"{}\">Open in the public visualization</a> (optional).</p></body></html>\n",
        result.power,
        result.strategy,
        result.duration,
        significant(result.cost),
        result.decision.as_ref().map_or(String::new(), |d| format!(
            "<p class=\"decision\">{} Shaded rows are tied with it.</p>",
            escape(d)
        )),
        svg_chart("Duration (trimmed mean)", "", " ms", &durations, result.power, "#1f77b4"),
        svg_chart("Cost per million invocations (duration charge)", symbol, "", &costs, result.power, "#2ca02c"),
        significant(result.state_machine.lambda_cost),
        significant(result.state_machine.execution_cost),
        if warnings.is_empty() { String::new() } else { format!("<ul>{warnings}</ul>") },
        escape(&result.state_machine.visualization),
        title = escape(title),
    )
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
    use powertune_core::analysis::{AnalysisEnv, AnalyzerEvent};
    use powertune_core::strategy::Strategy;

    fn analysis(
        stats: &[PowerStats],
        strategy: Strategy,
        balanced_weight: f64,
        include_output_results: bool,
    ) -> TuningResult {
        let mut input = powertune_core::input::ExecutionInput::from_json(
            &serde_json::json!({"lambdaARN": "f", "num": 5}),
            &powertune_core::input::Defaults {
                power_values: vec![128],
                region: Some("us-east-1".into()),
            },
        )
        .unwrap();
        input.strategy = strategy;
        input.balanced_weight = balanced_weight;
        input.include_output_results = include_output_results;
        let event = AnalyzerEvent {
            input,
            stats: stats.to_vec(),
            publisher_rounds: 1,
            sampling: None,
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
