//! The HTML reports: one file each, with everything inline (styles, SVG charts, no script),
//! nothing loaded from elsewhere, in a light and a dark scheme that follow the reader's
//! preference. A run's report shows the recommendation and why, duration and cost against memory
//! with their 95% intervals, every invocation, cold starts, the monthly projection and the
//! table; a comparison's shows two runs on the same charts and what changed.

use crate::svg::rate::{rate_chart, span, RateLine};
use crate::svg::{box_plot, Chart, Series};
use crate::terminal::marker;
use crate::text::{currency_symbol, duration_interval, escape, percent_change, significant};
use powertune_core::compare::{Comparison, Pick};
use powertune_core::output::TuningResult;
use powertune_core::power::PowerStats;
use powertune_core::stats::summarize;
use powertune_core::why::group;
use std::fmt::Write;

const STYLE: &str = r#"
:root { color-scheme: light dark;
  --bg: #ffffff; --fg: #1d2330; --muted: #5c6577; --line: #d9dde5; --card: #f5f7fa;
  --a: #2563eb; --a-band: rgba(37, 99, 235, 0.16); --b: #d9480f; --b-band: rgba(217, 72, 15, 0.16);
  --best: #c2185b; --best-bg: rgba(194, 24, 91, 0.10); --tied-bg: rgba(230, 160, 20, 0.16);
  --cold: #e8590c; --good: #2b8a3e; --bad: #c92a2a; }
@media (prefers-color-scheme: dark) { :root {
  --bg: #11151c; --fg: #e3e7ee; --muted: #9aa3b2; --line: #2c3340; --card: #1a202a;
  --a: #6ea8fe; --a-band: rgba(110, 168, 254, 0.20); --b: #ff9f5a; --b-band: rgba(255, 159, 90, 0.20);
  --best: #f06595; --best-bg: rgba(240, 101, 149, 0.14); --tied-bg: rgba(250, 190, 60, 0.14);
  --cold: #ffa94d; --good: #69db7c; --bad: #ff8787; } }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 24px; max-width: 1180px; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta, .note, footer { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 190px; flex: 1; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 600; }
.card.best { border-color: var(--best); } .card.best .value { color: var(--best); }
.decision { font-size: 15px; border-left: 3px solid var(--best); padding: 4px 12px; margin: 12px 0; }
.good { color: var(--good); } .bad { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
svg.chart { width: 100%; max-width: 820px; height: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
svg .title { font-size: 13px; font-weight: 600; fill: var(--fg); }
svg .tick, svg .legend, svg .axis-label { font-size: 11px; fill: var(--muted); }
svg .tick.y { text-anchor: end; } svg .tick.x, svg .axis-label { text-anchor: middle; }
svg .best-label { fill: var(--best); font-weight: 600; }
svg .grid { stroke: var(--line); stroke-width: 1; } svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .line { fill: none; stroke-width: 2; } svg .line.a { stroke: var(--a); } svg .line.b { stroke: var(--b); }
svg .line.boxes { stroke-dasharray: 3 3; stroke-width: 1; }
svg .limit { stroke: var(--bad); stroke-width: 1.5; stroke-dasharray: 6 4; } svg .limit-label { font-size: 11px; fill: var(--bad); text-anchor: end; }
svg .band.a { fill: var(--a-band); } svg .band.b { fill: var(--b-band); }
svg .whisker { stroke: var(--muted); stroke-width: 1; } svg .whisker.a { stroke: var(--a); } svg .whisker.b { stroke: var(--b); }
svg .point.a, svg .swatch.a { fill: var(--a); } svg .point.b, svg .swatch.b { fill: var(--b); }
svg .point.best-point { fill: var(--best); stroke: var(--bg); stroke-width: 2; }
svg .dot { fill: var(--a); fill-opacity: .45; } svg .dot.b { fill: var(--b); }
svg .dot.cold { fill: var(--cold); fill-opacity: .9; stroke: var(--bg); stroke-width: 1; }
svg .box { fill: var(--a-band); stroke: var(--a); stroke-width: 1; }
svg .best-column { fill: var(--best-bg); } svg .tied-column { fill: var(--tied-bg); }
table { border-collapse: collapse; width: 100%; margin-top: 8px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; } th { color: var(--muted); font-weight: 600; }
tr.best td { background: var(--best-bg); font-weight: 600; } tr.tied td { background: var(--tied-bg); } tr.out td { color: var(--muted); }
.undecided-mark, .undecided-key { font-weight: 700; color: var(--best); } .undecided-key { margin: 0 4px 0 12px; }
.key span { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin: 0 4px 0 12px; }
a { color: var(--a); }
.wide { overflow-x: auto; }
"#;

pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>{body}<footer><p>Made by powertune {}. Self-contained: nothing on this page is loaded from elsewhere.</p></footer></body></html>\n",
        escape(title),
        env!("CARGO_PKG_VERSION")
    )
}

pub(crate) fn card(class: &str, label: &str, value: &str, sub: &str) -> String {
    format!(
        "<div class=\"card {class}\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"sub\">{sub}</div></div>",
        escape(label),
        escape(value)
    )
}

/// The costs of the invocations the averages are of (cold starts and warm-ups apart).
fn costs(s: &PowerStats) -> Vec<f64> {
    s.samples
        .as_ref()
        .map(|x| x.steady().costs)
        .unwrap_or_default()
}

/// The 95% interval of the mean cost, from the samples.
fn cost_interval(s: &PowerStats, discard: f64) -> Option<(f64, f64)> {
    summarize(&costs(s), discard)
        .and_then(|x| x.ci95)
        .map(|ci| (ci.low, ci.high))
}

/// One run's series for a chart of `measure` (duration, or cost per 1M invocations).
fn series<'a>(
    class: &'a str,
    name: &'a str,
    stats: &[&PowerStats],
    cost: bool,
    discard: f64,
) -> Series<'a> {
    let scale = if cost { 1e6 } else { 1.0 };
    Series {
        class,
        name,
        points: stats
            .iter()
            .map(|s| {
                (
                    s.value,
                    if cost {
                        s.average_price
                    } else {
                        s.average_duration
                    } * scale,
                )
            })
            .collect(),
        band: stats
            .iter()
            .filter_map(|s| {
                let interval = if cost {
                    cost_interval(s, discard)
                } else {
                    s.duration_stats
                        .as_ref()
                        .and_then(|d| d.ci95)
                        .map(|ci| (ci.low, ci.high))
                };
                interval.map(|(l, h)| (s.value, l * scale, h * scale))
            })
            .collect(),
        strips: Vec::new(),
    }
}

/// What a report needs besides the result: every power value's statistics (with samples), the
/// request price in the function's region, and the trimming of the averages (`discardTopBottom`),
/// which the cost intervals apply too.
pub struct RunData<'a> {
    /// The result document.
    pub result: &'a TuningResult,
    /// Every power value's statistics.
    pub stats: &'a [PowerStats],
    /// One invocation's request charge.
    pub request_price: f64,
    /// `discardTopBottom`.
    pub discard: f64,
}

/// The report of one run.
pub fn run_report(title: &str, run: &RunData<'_>) -> String {
    let mut sorted: Vec<&PowerStats> = run.stats.iter().collect();
    sorted.sort_by_key(|s| s.value);
    let ok: Vec<&PowerStats> = sorted.iter().copied().filter(|s| s.succeeded()).collect();
    let mut body = run_header(title, run.result, run.stats);
    body.push_str(&run_cards(run.result, &ok));
    body.push_str(&run_charts(run, &ok));
    body.push_str(&run_table(run, &sorted));
    body.push_str(&run_footer(run.result));
    page(title, &body)
}

/// The title and what the run was: strategy, power values, invocations, currency.
fn run_header(title: &str, result: &TuningResult, stats: &[PowerStats]) -> String {
    let mut body = String::new();
    let total: u32 = stats.iter().filter_map(|s| s.invocations).sum();
    let _ = write!(
        body,
        "<header><h1>{}</h1><p class=\"meta\">{} strategy{} · {} power values · {} invocations · prices in {}</p></header>",
        escape(title),
        result.strategy,
        result.balanced_weight.map(|w| format!(" (weight {w})")).unwrap_or_default(),
        stats.len(),
        total,
        match result.currency {
            powertune_core::pricing::Currency::Usd => "US dollars",
            powertune_core::pricing::Currency::Cny => "yuan",
        }
    );

    body
}

/// The recommendation, the fastest and the cheapest, the month; the decision and the key.
fn run_cards(result: &TuningResult, ok: &[&PowerStats]) -> String {
    let symbol = currency_symbol(result.currency);
    let mut body = String::new();
    let by = |f: fn(&PowerStats) -> f64| ok.iter().min_by(|a, b| f(a).total_cmp(&f(b))).copied();
    let mut cards = card(
        "best",
        "Recommended",
        &format!("{} MB", result.power),
        &format!(
            "{:.2} ms · {symbol}{} per invocation",
            result.duration,
            significant(result.cost)
        ),
    );
    if let Some(f) = by(|s| s.average_duration) {
        cards.push_str(&card(
            "",
            "Fastest",
            &format!("{} MB", f.value),
            &format!("{:.2} ms", f.average_duration),
        ));
    }
    if let Some(c) = by(|s| s.average_price) {
        cards.push_str(&card(
            "",
            "Cheapest",
            &format!("{} MB", c.value),
            &format!("{symbol}{} per invocation", significant(c.average_price)),
        ));
    }
    if let Some(p) = &result.projection {
        let month = p
            .monthly
            .iter()
            .find(|m| m.value == result.power)
            .map(|m| m.cost)
            .unwrap_or(0.0);
        let sub = match (&p.saving, p.current_memory) {
            (Some(s), Some(current)) if s.amount >= 0.0 => format!(
                "<span class=\"good\">saves {symbol}{} a month ({:.1}%)</span> against {current} MB, the current memory",
                significant(s.amount),
                s.percent
            ),
            (Some(s), Some(current)) => format!(
                "<span class=\"bad\">{symbol}{} a month more ({:.1}%)</span> than {current} MB, the current memory",
                significant(-s.amount),
                -s.percent
            ),
            (None, Some(current)) => format!("the current memory ({current} MB) was not tuned"),
            (_, None) => "the function's current memory is not known".to_string(),
        };
        cards.push_str(&card(
            "",
            &format!("A month of {} invocations", group(p.monthly_invocations)),
            &format!("{symbol}{}", significant(month)),
            &format!("{sub}; before the free tier"),
        ));
    }
    let _ = write!(body, "<section class=\"cards\">{cards}</section>");
    if let Some(d) = &result.decision {
        let _ = write!(body, "<p class=\"decision\">{}</p>", escape(d));
    }
    if let Some(w) = &result.warm_up {
        let _ = write!(body, "<p class=\"note\">{}</p>", escape(&w.sentence()));
    }
    if let Some(s) = &result.sampling {
        let _ = write!(body, "<p class=\"note\">{}</p>", escape(&s.sentence()));
    }
    let _ = write!(
        body,
        "<p class=\"key note\">Key:<span style=\"background:var(--best-bg)\"></span>recommended<span style=\"background:var(--tied-bg)\"></span>as good as the best (shown within 3%)<span class=\"undecided-key\">?</span>undecided<span style=\"background:var(--a-band)\"></span>95% interval of the mean</p>"
    );

    body
}

/// Duration and cost against memory, and every invocation when the samples were kept.
fn run_charts(run: &RunData<'_>, ok: &[&PowerStats]) -> String {
    let (result, stats, discard) = (run.result, run.stats, run.discard);
    let symbol = currency_symbol(result.currency);
    let tied: Vec<u32> = result.equivalent.clone().unwrap_or_default();
    let powers: Vec<u32> = ok.iter().map(|s| s.value).collect();
    let mut body = String::new();
    // The latency budget, drawn where durations are.
    let limit = result
        .budget
        .as_ref()
        .map(|b| (b.budget.ms, format!("budget: {}", b.budget)));
    let duration = Chart {
        title: "Duration (mean of the steady invocations)",
        prefix: "",
        unit: "ms",
        powers: powers.clone(),
        best: Some(result.power),
        tied: tied.clone(),
        series: vec![series("a", "", ok, false, discard)],
        log_y: false,
        limit: limit.clone(),
    };
    let cost = Chart {
        title: "Cost per 1M invocations (duration charge)",
        prefix: symbol,
        unit: "",
        powers: powers.clone(),
        best: Some(result.power),
        tied: tied.clone(),
        series: vec![series("a", "", ok, true, discard)],
        log_y: false,
        limit: None,
    };
    let boxes: Vec<(u32, Vec<(f64, bool)>)> = ok
        .iter()
        .filter_map(|s| {
            let samples = s.samples.as_ref()?;
            let cold = samples.cold_flags();
            Some((
                s.value,
                samples.durations.iter().copied().zip(cold).collect(),
            ))
        })
        .collect();
    let _ = write!(
        body,
        "<h2>Duration and cost against memory</h2><div class=\"charts\">{}{}</div>",
        duration.render(),
        cost.render()
    );
    if boxes.len() == ok.len() && !boxes.is_empty() {
        let cold = stats.iter().filter_map(|s| s.cold_starts).sum::<u32>();
        let _ = write!(
            body,
            "<h2>Every invocation</h2><p class=\"note\">Each dot is one invocation{}; boxes span the middle half, whiskers reach the furthest invocation within 1.5 box heights, and the dashed line joins the medians.{}</p><div class=\"charts\">{}</div>",
            if stats.iter().any(|s| s.invocations.unwrap_or(0) as usize > s.samples.as_ref().map_or(0, |x| x.durations.len())) { " (up to 50 per power value, evenly spread over its invocations)" } else { "" },
            if cold > 0 { format!(" The {cold} cold starts (Init Duration included) are marked.") } else { String::new() },
            box_plot("Duration of every invocation", "ms", &boxes, Some(result.power), &tied, limit)
        );
    }
    body.push_str(&rate_section(result, ok, symbol));
    body
}

/// With `coldStartRate`: each power value's cost against the rate, so that where the
/// recommendation changes is seen. The lines: the recommendation, the power value of the
/// crossing, and the cheapest when warm and when cold (at most four, so they stay readable).
fn rate_section(result: &TuningResult, ok: &[&PowerStats], symbol: &str) -> String {
    let Some(blend) = &result.blend else {
        return String::new();
    };
    let line = |s: &PowerStats| {
        Some(RateLine {
            power: s.value,
            warm: s.warm?.cost,
            cold: s.cold?.cost,
        })
    };
    let all: Vec<RateLine> = ok.iter().filter_map(|s| line(s)).collect();
    let cheapest = |f: fn(&RateLine) -> f64| {
        all.iter()
            .min_by(|a, b| f(a).total_cmp(&f(b)))
            .map(|l| l.power)
    };
    let mut powers = vec![result.power];
    powers.extend(blend.crossing.map(|c| c.power));
    powers.extend(cheapest(|l| l.warm));
    powers.extend(cheapest(|l| l.cold));
    let mut lines: Vec<RateLine> = Vec::new();
    for p in powers {
        if let Some(l) = all.iter().find(|l| l.power == p && !lines.contains(l)) {
            lines.push(*l);
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let max = span(blend.rate, blend.crossing.map(|c| c.rate));
    format!(
        "<h2>Cost against the cold-start rate</h2><p class=\"note\">{}</p><div class=\"charts\">{}</div>",
        escape(&blend.sentence(result.strategy, result.power)),
        rate_chart(
            "Cost per 1M invocations, warm and cold starts blended",
            symbol,
            &lines,
            blend.rate,
            max
        )
    )
}

/// Every power value, a row each (failed ones say why).
fn run_table(run: &RunData<'_>, sorted: &[&PowerStats]) -> String {
    let (result, request_price) = (run.result, run.request_price);
    let symbol = currency_symbol(result.currency);
    let mut body = String::new();
    let adaptive = result.sampling.is_some();
    let monthly = result.projection.as_ref();
    let mut head = String::from("<tr><th>Power</th>");
    if adaptive {
        head.push_str("<th>Runs</th>");
    }
    head.push_str("<th>Mean</th><th>p50</th><th>p90</th><th>95% interval</th><th>Cold starts</th><th>Max memory</th><th>Cost/invocation</th><th>Cost/1M invocations</th>");
    if monthly.is_some() {
        head.push_str("<th>Per month</th>");
    }
    head.push_str("</tr>");
    let mut rows = String::new();
    for s in sorted {
        let class = match marker(result, s.value) {
            "▶" => " class=\"best\"",
            "≈" => " class=\"tied\"",
            "?" => " class=\"undecided\"",
            _ => "",
        };
        let mark = if class.contains("undecided") {
            " <span class=\"undecided-mark\" title=\"undecided: the samples cannot yet tell whether it would change the recommendation\">?</span>"
        } else {
            ""
        };
        let _ = write!(rows, "<tr{class}><td>{} MB{mark}</td>", s.value);
        if adaptive {
            let _ = write!(
                rows,
                "<td title=\"{}\">{}</td>",
                escape(
                    &s.stop_reason
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
                s.invocations.map_or("-".into(), |n| n.to_string())
            );
        }
        if let Some(e) = &s.error {
            let span = 8 + usize::from(monthly.is_some());
            let _ = write!(
                rows,
                "<td colspan=\"{span}\">failed: {}</td></tr>",
                escape(e)
            );
            continue;
        }
        let d = s.duration_stats.as_ref();
        let _ = write!(
            rows,
            "<td>{:.2} ms</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{symbol}{}</td><td>{symbol}{:.4}</td>",
            s.average_duration,
            d.map_or("-".into(), |d| format!("{:.2} ms", d.p50)),
            d.map_or("-".into(), |d| format!("{:.2} ms", d.p90)),
            d.and_then(|d| d.ci95).map_or("-".into(), |ci| duration_interval(&ci)),
            s.cold_starts.map_or("-".into(), |c| c.to_string()),
            s.max_memory_used_mb.map_or("-".into(), |m| format!("{m} MB")),
            significant(s.average_price),
            (s.average_price + request_price) * 1e6
        );
        if let Some(p) = monthly {
            let m = p
                .monthly
                .iter()
                .find(|m| m.value == s.value)
                .map_or("-".into(), |m| format!("{symbol}{}", significant(m.cost)));
            let _ = write!(rows, "<td>{m}</td>");
        }
        rows.push_str("</tr>");
    }
    let _ = write!(
        body,
        "<h2>Every power value</h2><table>{head}{rows}</table><p class=\"note\">Means are of the steady invocations (cold starts and warm-ups apart, trimmed as discardTopBottom says); the 95% interval is a percentile bootstrap of the mean. Cost per 1M invocations includes the request charge ({symbol}{} per invocation){}.</p>",
        significant(request_price),
        if adaptive { "; hover over Runs to see why a power value stopped" } else { "" }
    );

    body
}

/// What the run cost, the visualization link and the warnings.
fn run_footer(result: &TuningResult) -> String {
    let symbol = currency_symbol(result.currency);
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>Cost of this run: Lambda {symbol}{}, Step Functions {symbol}{}. <a href=\"{}\">Open in the public visualization</a> (optional; the data travel in the link's hash, which browsers do not send).</p>",
        significant(result.state_machine.lambda_cost),
        significant(result.state_machine.execution_cost),
        escape(&result.state_machine.visualization)
    );
    if !result.warnings.is_empty() {
        let items: String = result
            .warnings
            .iter()
            .map(|w| format!("<li>{}</li>", escape(w)))
            .collect();
        let _ = write!(body, "<h2>Warnings</h2><ul>{items}</ul>");
    }
    body
}

/// The report of two runs compared: `labels` name them, `discards` are their trimmings.
pub fn compare_report(
    labels: (&str, &str),
    runs: (&TuningResult, &TuningResult),
    discards: (f64, f64),
    comparison: &Comparison,
    url: &str,
    verdict: Option<&Result<(), String>>,
) -> String {
    let (a, b) = runs;
    let title = format!("powertune: {} against {}", labels.1, labels.0);
    let mut body = format!("<header><h1>{}</h1><p class=\"meta\">{} strategy · the first run is the baseline</p></header>", escape(&title), a.strategy);
    let symbol = currency_symbol(a.currency);
    body.push_str(&compare_cards(labels, symbol, comparison, verdict));
    if let Some(rate) = comparison.blended_at {
        let _ = write!(
            body,
            "<p class=\"note\">Both runs were tuned with a cold-start rate: the cards, the gate and the table blend warm and cold invocations at {:.1}% cold starts (the second run's rate); the charts show each run's measured averages.</p>",
            100.0 * rate
        );
    }
    body.push_str(&compare_charts(
        labels,
        symbol,
        (a, b),
        discards,
        comparison,
    ));
    body.push_str(&compare_table(labels, symbol, comparison, url));
    page(&title, &body)
}

/// A change as a percentage, green when it goes the better way.
fn change(c: Option<f64>, lower_is_better: bool) -> String {
    match c {
        Some(c) => {
            let class = if (c < 0.0) == lower_is_better {
                "good"
            } else {
                "bad"
            };
            format!("<span class=\"{class}\">{}</span>", percent_change(c))
        }
        None => "-".into(),
    }
}

/// What each run recommends, how the recommendation changed, and the gate's verdict.
fn compare_cards(
    labels: (&str, &str),
    symbol: &str,
    comparison: &Comparison,
    verdict: Option<&Result<(), String>>,
) -> String {
    let mut body = String::new();
    let recommends = |class: &str, label: &str, pick: &Pick| {
        card(
            class,
            &format!("{label} recommends"),
            &format!("{} MB", pick.power),
            &format!(
                "{:.2} ms · {symbol}{}",
                pick.duration,
                significant(pick.cost)
            ),
        )
    };
    let mut cards = recommends("", labels.0, &comparison.before);
    cards.push_str(&recommends("best", labels.1, &comparison.after));
    cards.push_str(&card(
        "",
        "Change of the recommendation",
        "",
        &format!(
            "cost {} · duration {}",
            change(comparison.cost_change(), true),
            change(comparison.duration_change(), true)
        ),
    ));
    if let Some(v) = verdict {
        let text = match v {
            Ok(()) => "<span class=\"good\">passed</span>".to_string(),
            Err(reason) => format!("<span class=\"bad\">failed</span>: {}", escape(reason)),
        };
        cards.push_str(&card("", "Regression gate", "", &text));
    }
    let _ = write!(body, "<section class=\"cards\">{cards}</section>");

    body
}

/// Both runs' duration and cost against memory.
fn compare_charts(
    labels: (&str, &str),
    symbol: &'static str,
    runs: (&TuningResult, &TuningResult),
    discards: (f64, f64),
    comparison: &Comparison,
) -> String {
    let (a, b) = runs;
    let mut body = String::new();
    let powers: Vec<u32> = comparison.rows.iter().map(|r| r.value).collect();
    let ok = |r: &TuningResult| -> Vec<PowerStats> {
        let mut s: Vec<PowerStats> = r
            .stats
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.succeeded())
            .collect();
        s.sort_by_key(|s| s.value);
        s
    };
    let (sa, sb) = (ok(a), ok(b));
    let (ra, rb): (Vec<&PowerStats>, Vec<&PowerStats>) = (sa.iter().collect(), sb.iter().collect());
    let (da, db) = discards;
    let chart = |title: &'static str, prefix: &'static str, unit: &'static str, cost: bool| Chart {
        title,
        prefix,
        unit,
        powers: powers.clone(),
        best: None,
        tied: Vec::new(),
        series: vec![
            series("a", labels.0, &ra, cost, da),
            series("b", labels.1, &rb, cost, db),
        ],
        log_y: false,
        limit: None,
    };
    let _ = write!(
        body,
        "<h2>Duration and cost against memory</h2><div class=\"charts\">{}{}</div>",
        chart("Duration (mean of the steady invocations)", "", "ms", false).render(),
        chart(
            "Cost per 1M invocations (duration charge)",
            symbol,
            "",
            true
        )
        .render()
    );

    body
}

/// Every power value of either run, side by side, and the link to the public visualization.
fn compare_table(labels: (&str, &str), symbol: &str, comparison: &Comparison, url: &str) -> String {
    let mut body = String::new();
    let mut rows = String::new();
    for r in &comparison.rows {
        let cell = |s: Option<powertune_core::compare::Side>, cost: bool| match s {
            Some(s) if cost => format!("{symbol}{}", significant(s.cost)),
            Some(s) => format!("{:.2} ms", s.duration),
            None => "-".into(),
        };
        let mark = if r.value == comparison.after.power {
            " class=\"best\""
        } else {
            ""
        };
        let _ = write!(
            rows,
            "<tr{mark}><td>{} MB</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.value,
            cell(r.before, false),
            cell(r.after, false),
            change(r.duration_change(), true),
            cell(r.before, true),
            cell(r.after, true),
            change(r.cost_change(), true)
        );
    }
    let (l0, l1) = (escape(labels.0), escape(labels.1));
    let _ = write!(
        body,
        "<h2>Every power value</h2><table><tr><th>Power</th><th>Duration, {l0}</th><th>Duration, {l1}</th><th>Change</th><th>Cost, {l0}</th><th>Cost, {l1}</th><th>Change</th></tr>{rows}</table><p><a href=\"{}\">Open the comparison in the public visualization</a> (optional).</p>",
        escape(url)
    );
    body
}

#[cfg(test)]
mod tests;
