//! Local tuning for Lambda Managed Instances (`tune --local ... --managed-instances`): each
//! configuration published in the embedded emulator on a capacity provider, kept busy at its
//! concurrency for `loadSeconds` (steps::managed), and the loads analyzed (core::managed); then
//! the reports: the terminal table with the break-even, the JSON document, the HTML page with
//! the monthly cost against traffic.

use crate::local::{LocalRun, Session, FUNCTION_NAME};
use crate::svg::{log_ticks, Scale};
use crate::text::{escape, significant};
use anyhow::{anyhow, Result};
use indicatif::{ProgressBar, ProgressStyle};
use powertune_core::input::ExecutionInput;
use powertune_core::managed::analysis::{Load, ManagedResult, OnDemand, Row};
use powertune_core::managed::prices::HOURS_PER_MONTH;
use powertune_core::managed::{Configuration, ManagedInstances, MIN_ENVIRONMENTS};
use powertune_core::output::TuningResult;
use powertune_core::why::group;
pub use powertune_steps::managed::{decide, most_requests_of_run, saved, warm_up};
use powertune_steps::managed::{document, drive, publish, Drive};
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The capacity provider a local run names when the input gives none.
fn local_capacity_provider(region: &str) -> String {
    format!("arn:aws:lambda:{region}:123456789012:capacity-provider:powertune-local")
}

/// What a local LMI run measured: the loads and what the machine says of them. Saved in the
/// `--json` document (`measured`), from which `analyze` decides again.
pub struct Measured {
    /// Each configuration and its load.
    pub loads: Vec<(Configuration, Load)>,
    /// What this machine says of the figures (its cores).
    pub machine_notes: Vec<String>,
    /// How the environments were limited.
    pub limits: String,
    /// The run's wall time.
    pub elapsed: Duration,
}

/// Measures every configuration of `input`'s LMI fields against the embedded emulator.
pub async fn run(
    input: &ExecutionInput,
    managed: &ManagedInstances,
    local: &LocalRun,
) -> Result<Measured> {
    let started = Instant::now();
    let (configurations, _) = managed.configurations();
    let arn = managed
        .capacity_provider_arn
        .clone()
        .unwrap_or_else(|| local_capacity_provider(&local.region));
    // On its capacity provider from the start, as an LMI function is on AWS.
    let session =
        Session::start_on(local, powertune_core::managed::MIN_MEMORY_MB, Some(&arn)).await?;
    let payloads: Vec<Arc<str>> = match &input.payload {
        None => Vec::new(),
        Some(p) => p
            .plan(100)
            .map_err(|e| anyhow!("the payload: {e}"))?
            .interleaved()
            .iter()
            .map(Arc::from)
            .collect(),
    };
    let bar = ProgressBar::new(configurations.len() as u64);
    if !local.show_progress {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("LMI");
    let window = Duration::from_secs_f64(managed.load_seconds);
    let mut loads: Vec<(Configuration, Load)> = Vec::with_capacity(configurations.len());
    for c in &configurations {
        bar.set_message(c.to_string());
        let load = measure(&session, c, &arn, &payloads, window).await?;
        loads.push((*c, load));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let host_cores = session.emulator.host_cores();
    let machine_notes = configurations
        .iter()
        .find(|c| c.vcpus() >= host_cores as f64)
        .map(|big| {
            format!(
                "This machine has {host_cores} cores, which the load driver and the emulator share with the function: an environment of {} vCPUs ({big}) held less here than it would on its own vCPUs.",
                big.vcpus(),
            )
        })
        .into_iter()
        .collect();
    Ok(Measured {
        loads,
        machine_notes,
        limits: session.limits.clone(),
        elapsed: started.elapsed(),
    })
}

/// What the break-even compares with: on-demand Lambda at `result`'s recommendation, its cost
/// per invocation with the request charge of `region`.
pub fn on_demand_of(result: &TuningResult, region: Option<&str>) -> OnDemand {
    OnDemand {
        power_mb: result.power,
        cost_per_invocation: result.cost + powertune_core::pricing::request_price(region),
        duration_ms: result.duration,
    }
}

/// The reports' title for an LMI run of `function`.
pub fn title(function: &str) -> String {
    format!("powertune: {function} on Lambda Managed Instances")
}

/// Where an LMI run's outputs go, and what they are.
pub struct Emit<'a> {
    pub title: String,
    pub result: &'a ManagedResult,
    pub on_demand: Option<&'a TuningResult>,
    /// What `analyze` needs to decide again.
    pub saved: serde_json::Value,
}

/// Writes `--json` and `--html`, and prints the table or the JSON document.
pub fn emit(
    out: &Emit<'_>,
    json: Option<&std::path::Path>,
    html_file: Option<&std::path::Path>,
    format: crate::flags::OutputFormat,
) -> Result<()> {
    let document = document(out.result, out.on_demand, out.saved.clone())?;
    let text = serde_json::to_string_pretty(&document)?;
    if let Some(path) = json {
        std::fs::write(path, format!("{text}\n"))
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = html_file {
        std::fs::write(path, html(&out.title, out.result))
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    match format {
        crate::flags::OutputFormat::Json => println!("{text}"),
        crate::flags::OutputFormat::Table => print!("{}", table(out.result)),
    }
    Ok(())
}

/// Publishes one configuration, drives it, and deletes its version (also when driving failed).
async fn measure(
    session: &Session,
    c: &Configuration,
    arn: &str,
    payloads: &[Arc<str>],
    window: Duration,
) -> Result<Load> {
    let lambda = &session.lambda;
    let published = publish(lambda, FUNCTION_NAME, c, arn, "powertune LMI run").await?;
    let driven = drive(
        lambda,
        FUNCTION_NAME,
        &published.version,
        payloads,
        c.concurrency,
        Drive::of(window),
    )
    .await;
    let deleted = lambda
        .delete_version(FUNCTION_NAME, &published.version)
        .await;
    let load = driven?;
    deleted?;
    Ok(load)
}

fn money(x: f64) -> String {
    if x >= 100.0 {
        format!("${x:.0}")
    } else if x >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${}", significant(x))
    }
}

/// `x` in thousands, millions or billions, with the unit's letter.
fn scaled(x: f64) -> (f64, &'static str) {
    if x >= 1e9 {
        (x / 1e9, "B")
    } else if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    }
}

/// `1.2M`, `35k`, `4.5B`.
fn count(x: f64) -> String {
    let (v, unit) = scaled(x);
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{unit}")
}

/// A tick of the money axis: `$0.01`, `$1`, `$1,000`.
fn money_tick(x: f64) -> String {
    if x >= 1.0 {
        format!("${}", group(x.round() as u64))
    } else {
        let decimals = (-x.log10().floor()).max(0.0) as usize;
        format!("${x:.decimals$}")
    }
}

/// A tick of the traffic axis: `10k`, `1M`, `10B`.
fn count_tick(x: f64) -> String {
    let (v, unit) = scaled(x);
    format!(
        "{}{unit}",
        significant(v).trim_end_matches('0').trim_end_matches('.')
    )
}

/// What the terminal table and the HTML table show of a row, in their order: memory, GiB per
/// vCPU, vCPUs, concurrency, throughput, its interval, speedup, p50, p99.
fn cells(row: &Row) -> [String; 9] {
    let c = &row.configuration;
    [
        format!("{} MB", c.memory_mb),
        trim(c.gib_per_vcpu),
        trim(c.vcpus()),
        c.concurrency.to_string(),
        format!("{:.1}", row.throughput),
        interval(row),
        row.speedup.map_or("-".into(), |s| format!("{s:.2}x")),
        ms(row.duration_p50_ms),
        ms(row.duration_p99_ms),
    ]
}

/// The throughput's 95% interval, `24.9 – 27.3`.
fn interval(row: &Row) -> String {
    row.throughput_interval
        .map_or("-".into(), |i| format!("{:.1} – {:.1}", i.low, i.high))
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1} ms"))
}

/// The terminal report: a row per configuration, the recommendation and why, the comparison
/// with on-demand Lambda and the break-even, and the warnings.
pub fn table(r: &ManagedResult) -> String {
    let mut out = String::new();
    let budget = r.budget.map(|b| b.statistic.as_str().to_string());
    let _ = write!(
        out,
        "  {:>7} {:>8} {:>5} {:>5} {:>13} {:>13} {:>7} {:>10} {:>10}",
        "Memory",
        "GiB/vCPU",
        "vCPUs",
        "Conc.",
        "Throughput",
        "95% interval",
        "Speedup",
        "p50",
        "p99"
    );
    if let Some(b) = &budget {
        let _ = write!(out, " {:>10}", b);
    }
    let _ = write!(out, " {:>10} {:>12}", "$/env-hour", "$/1M req");
    if r.monthly_requests.is_some() {
        let _ = write!(out, " {:>10}", "Month");
    }
    out.push('\n');
    for (i, row) in r.rows.iter().enumerate() {
        let mark = if Some(i) == r.recommended {
            "▶"
        } else if row.first_error.is_some() || row.errors > 0 {
            "✗"
        } else if row.within_budget == Some(false) {
            "·"
        } else {
            " "
        };
        let [memory, ratio, vcpus, concurrency, throughput, interval, speedup, p50, p99] =
            cells(row);
        let _ = write!(
            out,
            "{mark} {memory:>7} {ratio:>8} {vcpus:>5} {concurrency:>5} {throughput:>9} r/s {interval:>13} {speedup:>7} {p50:>10} {p99:>10}",
        );
        if budget.is_some() {
            let _ = write!(out, " {:>10}", ms(row.budget_statistic_ms));
        }
        let _ = write!(
            out,
            " {:>10} {:>12}",
            format!("${:.4}", row.price.hourly),
            row.cost_per_million
                .map_or("-".into(), |c| format!("${c:.4}"))
        );
        if r.monthly_requests.is_some() {
            let _ = write!(out, " {:>10}", row.monthly_cost.map_or("-".into(), money));
        }
        out.push('\n');
        if let Some(e) = &row.first_error {
            let _ = writeln!(
                out,
                "    {} of {} requests failed: {}",
                row.errors,
                row.errors + row.completed,
                e.chars().take(160).collect::<String>()
            );
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{}: {}",
        if r.recommended.is_some() {
            "Recommended"
        } else {
            "No recommendation"
        },
        r.why
    );
    if let (Some(i), Some(od)) = (r.recommended, r.on_demand) {
        let row = &r.rows[i];
        let _ = writeln!(
            out,
            "On-demand Lambda (powertune's recommendation for the same function): {} MB, {:.2} ms, {} per invocation ({} per 1M).",
            od.power_mb,
            od.duration_ms,
            money(od.cost_per_invocation),
            money(od.cost_per_invocation * 1e6)
        );
        match (r.break_even_per_month, r.break_even_row.map(|b| &r.rows[b])) {
            (Some(t), Some(at)) => {
                let _ = writeln!(
                    out,
                    "Break-even: Lambda Managed Instances ({}) cost less than on-demand from about {} requests a month ({:.1} per second, steady); below that, the {MIN_ENVIRONMENTS} environments LMI keeps running cost {} a month whatever the traffic.",
                    at.configuration,
                    count(t),
                    t / (HOURS_PER_MONTH * 3600.0),
                    money(f64::from(MIN_ENVIRONMENTS) * at.price.hourly * HOURS_PER_MONTH)
                );
            }
            _ => {
                // The best LMI does with its environments busy, among the configurations that
                // could be recommended.
                let best = r
                    .rows
                    .iter()
                    .filter(|x| x.candidate())
                    .filter_map(|x| x.cost_per_million)
                    .fold(f64::INFINITY, f64::min);
                let _ = writeln!(
                    out,
                    "Break-even: none. In every configuration an environment busy all month costs more than the on-demand invocations it would serve ({} per 1M at best with LMI against {} on demand).",
                    money(best),
                    money(od.cost_per_invocation * 1e6)
                );
            }
        }
        if let Some(t) = r.monthly_requests {
            let t = t as f64;
            let _ = writeln!(
                out,
                "At your {} requests a month: LMI {} against on-demand {}.",
                count(t),
                money(row.monthly(t)),
                money(t * od.cost_per_invocation)
            );
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "note: {w}");
    }
    out
}

fn trim(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

const W: f64 = 640.0;
const H: f64 = 320.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 50.0;

/// The monthly cost of the recommended LMI configuration and of on-demand Lambda against the
/// traffic, both axes logarithmic, with the break-even and the user's traffic marked.
pub fn cost_chart(r: &ManagedResult) -> Option<String> {
    let first = r.curve.first()?;
    let last = r.curve.last()?;
    let (x_min, x_max) = (first.traffic, last.traffic);
    let y_min = r
        .curve
        .iter()
        .flat_map(|p| [p.managed, p.on_demand])
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let y_max = r
        .curve
        .iter()
        .flat_map(|p| [p.managed, p.on_demand])
        .fold(0.0, f64::max);
    if !(y_min.is_finite() && y_max > y_min) {
        return None;
    }
    let xs = Scale::Log {
        min: x_min,
        max: x_max,
    };
    let ys = Scale::Log {
        min: y_min,
        max: y_max,
    };
    let x = |v: f64| xs.at(v, LEFT, W - RIGHT);
    let y = |v: f64| ys.at(v.max(y_min), H - BOTTOM, TOP);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Monthly cost against requests per month\"><text class=\"title\" x=\"{LEFT}\" y=\"18\">Monthly cost against requests per month</text>"
    );
    for t in log_ticks(y_min, y_max) {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            y(t),
            y(t),
            LEFT - 6.0,
            y(t) + 4.0,
            escape(&money_tick(t))
        );
    }
    for t in log_ticks(x_min, x_max) {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{TOP}\" y2=\"{}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x(t),
            x(t),
            H - BOTTOM,
            x(t),
            H - BOTTOM + 16.0,
            count_tick(t)
        );
    }
    let line = |pick: &dyn Fn(&powertune_core::managed::analysis::CostPoint) -> f64| {
        r.curve
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.traffic), y(pick(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = write!(
        svg,
        "<polyline class=\"line b\" fill=\"none\" points=\"{}\"/><polyline class=\"line a\" fill=\"none\" points=\"{}\"/>",
        line(&|p| p.on_demand),
        line(&|p| p.managed)
    );
    // Each mark's label on a line of its own, on the side of its line with more room.
    let mut line_no = 0.0;
    let mut mark = |at: f64, label: String| {
        let right_half = x(at) > (LEFT + W - RIGHT) / 2.0;
        let _ = write!(
            svg,
            "<line class=\"limit\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{TOP}\" y2=\"{}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{}</text>",
            x(at),
            x(at),
            H - BOTTOM,
            if right_half { x(at) - 4.0 } else { x(at) + 4.0 },
            TOP + 12.0 + line_no * 14.0,
            if right_half { "end" } else { "start" },
            escape(&label)
        );
        line_no += 1.0;
    };
    if let Some(t) = r.break_even_per_month {
        mark(t, format!("break-even {}", count_tick(t)));
    }
    if let Some(t) = r.monthly_requests {
        mark(t as f64, format!("your traffic {}", count_tick(t as f64)));
    }
    let _ = write!(
        svg,
        "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">requests per month</text></svg>",
        (LEFT + W - RIGHT) / 2.0,
        H - 12.0
    );
    Some(svg)
}

/// The HTML report's body: the cards, the chart, the table and the notes.
pub fn html(title: &str, r: &ManagedResult) -> String {
    let mut body = format!("<h1>{}</h1>", escape(title));
    body.push_str("<div class=\"cards\">");
    match r.recommended.map(|i| &r.rows[i]) {
        Some(row) => {
            let c = &row.configuration;
            body.push_str(&crate::html::card(
                "best",
                "Recommended",
                &format!("{} MB, {} vCPU", c.memory_mb, trim(c.vcpus())),
                &format!(
                    "{} GiB per vCPU, {} request{} at once",
                    trim(c.gib_per_vcpu),
                    c.concurrency,
                    if c.concurrency == 1 { "" } else { "s" }
                ),
            ));
            body.push_str(&crate::html::card(
                "",
                "One environment holds",
                &format!("{:.1} requests/s", row.throughput),
                &format!("p50 {}", escape(&ms(row.duration_p50_ms))),
            ));
            body.push_str(&crate::html::card(
                "",
                "Cost per 1M requests",
                &row.cost_per_million.map_or("-".into(), money),
                "environments busy, request charge included",
            ));
        }
        None => body.push_str(&crate::html::card(
            "",
            "No recommendation",
            "-",
            &escape(&r.why),
        )),
    }
    if let Some(od) = r.on_demand {
        body.push_str(&crate::html::card(
            "",
            "Break-even with on-demand",
            &r.break_even_per_month
                .map_or("none".into(), |t| format!("{} req/month", count(t))),
            &format!(
                "on demand: {} MB at {} per 1M",
                od.power_mb,
                money(od.cost_per_invocation * 1e6)
            ),
        ));
    }
    body.push_str("</div>");
    let _ = write!(body, "<p class=\"decision\">{}</p>", escape(&r.why));
    if let Some(chart) = cost_chart(r) {
        let _ = write!(
            body,
            "<h2>Monthly cost against traffic</h2><p class=\"note\"><span class=\"key\"><span style=\"background: var(--a)\"></span>Lambda Managed Instances, the cheapest configuration at each traffic<span style=\"background: var(--b)\"></span>on-demand Lambda at powertune's recommendation</span>. LMI keeps at least {MIN_ENVIRONMENTS} environments running and adds one each time the traffic fills those; on-demand Lambda costs in proportion to the traffic.</p><div class=\"charts\">{chart}</div>"
        );
    }
    let budget = r.budget.map(|b| b.statistic.as_str());
    let any_errors = r.rows.iter().any(|row| row.errors > 0);
    let _ = write!(
        body,
        "<h2>Every configuration</h2><div class=\"wide\"><table><tr><th>Memory</th><th>GiB/vCPU</th><th>vCPUs</th><th>Concurrency</th><th>Throughput</th><th>95% interval</th><th>Speedup</th><th>p50</th><th>p99</th>{}<th>$/env-hour</th><th>$/1M requests</th>{}</tr>",
        budget.map_or(String::new(), |b| format!("<th>{b} (budget)</th>")),
        if any_errors { "<th>Errors</th>" } else { "" }
    );
    for (i, row) in r.rows.iter().enumerate() {
        let class = if Some(i) == r.recommended {
            " class=\"best\""
        } else if row.within_budget == Some(false) || row.errors > 0 {
            " class=\"out\""
        } else {
            ""
        };
        let _ = write!(body, "<tr{class}>");
        for (i, cell) in cells(row).iter().enumerate() {
            let unit = if i == 4 { " req/s" } else { "" };
            let _ = write!(body, "<td>{}{unit}</td>", escape(cell));
        }
        let _ = write!(
            body,
            "{}<td>${:.4}</td><td>{}</td>{}</tr>",
            budget.map_or(String::new(), |_| format!(
                "<td>{}{}</td>",
                ms(row.budget_statistic_ms),
                if row.within_budget == Some(false) {
                    " (over)"
                } else {
                    ""
                }
            )),
            row.price.hourly,
            row.cost_per_million
                .map_or("-".into(), |c| format!("${c:.4}")),
            match (&row.first_error, any_errors) {
                (_, false) => String::new(),
                (Some(e), true) => format!(
                    "<td>{} of {}: {}</td>",
                    row.errors,
                    row.errors + row.completed,
                    escape(&e.chars().take(120).collect::<String>())
                ),
                (None, true) => "<td>0</td>".into(),
            },
        );
    }
    body.push_str("</table></div>");
    for w in &r.warnings {
        let _ = write!(body, "<p class=\"note\">{}</p>", escape(w));
    }
    crate::html::page(title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use powertune_core::managed::analysis::{analyze, Context, Load, OnDemand};
    use powertune_core::pricing::Architecture;

    fn result(traffic: Option<u64>) -> ManagedResult {
        let input = ManagedInstances::default();
        let c = |concurrency| Configuration {
            memory_mb: 2048,
            gib_per_vcpu: 2.0,
            concurrency,
        };
        let load = |n: u64| Load {
            seconds: 1.0,
            completed: n,
            durations_ms: vec![100.0; n as usize],
            latencies_ms: vec![101.0; n as usize],
            ..Load::default()
        };
        analyze(
            &[(c(1), load(10)), (c(8), load(80))],
            &Context {
                input: &input,
                budget: None,
                monthly_requests: traffic,
                architecture: Architecture::X86_64,
                on_demand: Some(OnDemand {
                    power_mb: 1024,
                    cost_per_invocation: 2.0e-6,
                    duration_ms: 100.0,
                }),
                instance_prices: None,
            },
        )
    }

    #[test]
    fn the_table_marks_the_pick_and_says_the_break_even() {
        let r = result(Some(50_000_000));
        let t = table(&r);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[2].starts_with('▶'), "{t}");
        assert!(lines[2].contains("8.00x"), "{t}");
        assert!(t.contains("Break-even: Lambda Managed Instances (2048 MB, 2 GiB/vCPU (1 vCPU), concurrency 8) cost less than on-demand from about"), "{t}");
        assert!(t.contains("At your 50.0M requests a month"), "{t}");
    }

    #[test]
    fn the_chart_draws_both_lines_and_marks_the_traffic() {
        let r = result(Some(50_000_000));
        let svg = cost_chart(&r).unwrap();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("break-even"), "{svg}");
        assert!(svg.contains("your traffic 50M"), "{svg}");
        let page = html("t", &r);
        assert!(page.contains("Break-even with on-demand"));
    }
}
