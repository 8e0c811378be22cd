//! `powertune compare A.json B.json`: two saved runs side by side (before and after a change,
//! or x86_64 against arm64), the change at each power value and of the recommendation, the
//! public UI's comparison URL, and the regression gate a CI pipeline fails on (exit 3).

use crate::exit::Failure;
use crate::flags::OutputFormat;
use crate::html;
use crate::outputs::{read_saved, Saved};
use crate::text::{currency_symbol, percent_change, significant};
use anyhow::Context;
use powertune_core::compare::{parse_percent, Comparison, Gate, Row};
use powertune_core::visualization::{encode_comparison, DEFAULT_BASE_URL};
use serde_json::json;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The first run (the baseline): a file saved with --json, or a state machine's output
    /// with its stats.
    before: PathBuf,

    /// The second run.
    after: PathBuf,

    /// Names for the two runs in the report, comma-separated [default: the file names].
    #[arg(long, value_delimiter = ',', value_name = "BEFORE,AFTER")]
    labels: Option<Vec<String>>,

    /// Print JSON (the default when standard output is not a terminal) or a table.
    #[arg(long, short)]
    output: Option<OutputFormat>,

    /// Also write a self-contained HTML report of the comparison to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,

    /// Exit 3 when the second run's recommended configuration costs more per invocation than
    /// the first's by more than this percentage (10% or 10).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    max_cost_increase: Option<f64>,

    /// Exit 3 when it is slower by more than this percentage.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    max_duration_increase: Option<f64>,

    /// Base of the comparison URL [env: visualizationURL] [default: https://lambda-power-tuning.show/]
    #[arg(long)]
    visualization_url: Option<String>,
}

fn label(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn run(args: Args) -> Result<(), Failure> {
    let (
        Saved {
            result: a,
            discard: da,
        },
        Saved {
            result: b,
            discard: db,
        },
    ) = (read_saved(&args.before)?, read_saved(&args.after)?);
    let labels = match args.labels.as_deref() {
        None => (label(&args.before), label(&args.after)),
        Some([a, b]) => (a.clone(), b.clone()),
        Some(other) => {
            return Err(Failure::BadInput(format!(
                "--labels takes two names, BEFORE,AFTER, not {other:?}"
            )))
        }
    };
    let comparison = Comparison::of(&a, &b).map_err(|e| Failure::BadInput(e.to_string()))?;
    let base = args
        .visualization_url
        .clone()
        .or_else(|| std::env::var("visualizationURL").ok())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let (pa, pb) = comparison.points();
    let url = encode_comparison(&pa, &pb, (&labels.0, &labels.1), &base, a.currency);
    let gate = Gate {
        max_cost_increase: args.max_cost_increase,
        max_duration_increase: args.max_duration_increase,
    };
    let verdict = gate.is_set().then(|| gate.check(&comparison));

    if let Some(path) = &args.html {
        let page = html::compare_report(
            (&labels.0, &labels.1),
            (&a, &b),
            (da, db),
            &comparison,
            &url,
            verdict.as_ref(),
        );
        std::fs::write(path, page).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let format = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    let text = match format {
        OutputFormat::Json => {
            let side = |s: Option<powertune_core::compare::Side>| {
                s.map(|s| json!({"cost": s.cost, "duration": s.duration}))
            };
            let rows: Vec<_> = comparison
                .rows
                .iter()
                .map(|r: &Row| {
                    json!({"value": r.value, "before": side(r.before), "after": side(r.after),
                           "costChange": r.cost_change(), "durationChange": r.duration_change()})
                })
                .collect();
            let pick = |p: powertune_core::compare::Pick| json!({"power": p.power, "cost": p.cost, "duration": p.duration});
            let document = json!({
                "labels": [labels.0, labels.1],
                "before": pick(comparison.before),
                "after": pick(comparison.after),
                "costChange": comparison.cost_change(),
                "durationChange": comparison.duration_change(),
                "blendedAt": comparison.blended_at,
                "rows": rows,
                "visualization": url,
                "gate": verdict.as_ref().map(|v| json!({"passed": v.is_ok(), "reason": v.as_ref().err()})),
            });
            serde_json::to_string_pretty(&document).context("cannot serialize the comparison")?
                + "\n"
        }
        OutputFormat::Table => table(&labels, &comparison, currency_symbol(a.currency), &url),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")?;
    match verdict {
        Some(Err(reason)) => Err(Failure::Regression(reason)),
        _ => Ok(()),
    }
}

fn table(labels: &(String, String), c: &Comparison, symbol: &str, url: &str) -> String {
    let change = |x: Option<f64>| x.map_or("-".to_string(), percent_change);
    let mut rows: Vec<[String; 7]> = vec![[
        "Power".into(),
        format!("Duration {}", labels.0),
        format!("Duration {}", labels.1),
        "Change".into(),
        format!("Cost {}", labels.0),
        format!("Cost {}", labels.1),
        "Change".into(),
    ]];
    for r in &c.rows {
        let duration = |s: Option<powertune_core::compare::Side>| {
            s.map_or("-".to_string(), |s| format!("{:.2} ms", s.duration))
        };
        let cost = |s: Option<powertune_core::compare::Side>| {
            s.map_or("-".to_string(), |s| {
                format!("{symbol}{}", significant(s.cost))
            })
        };
        rows.push([
            format!("{} MB", r.value),
            duration(r.before),
            duration(r.after),
            change(r.duration_change()),
            cost(r.before),
            cost(r.after),
            change(r.cost_change()),
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if i == 0 {
                let _ = write!(line, "{cell}{pad}  ");
            } else {
                let _ = write!(line, "{pad}{cell}  ");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(
        out,
        "\nRecommended: {} MB ({}) -> {} MB ({}): cost per invocation {}, duration {}",
        c.before.power,
        labels.0,
        c.after.power,
        labels.1,
        change(c.cost_change()),
        change(c.duration_change())
    );
    if let Some(rate) = c.blended_at {
        let _ = writeln!(
            out,
            "Both runs were tuned with a cold-start rate: every figure is blended at {:.1}% cold starts (the second run's rate).",
            100.0 * rate
        );
    }
    let _ = writeln!(out, "Comparison: {url}");
    out
}
