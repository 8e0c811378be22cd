//! Where a run's result goes: the terminal (a table and a chart, or the result document as
//! JSON), a saved run (`--json FILE`, which `analyze` and `compare` read back) and an HTML report
//! (`--html FILE`). `tune` and `analyze` write through here; `--baseline` and `compare` read
//! saved runs back through here.

use crate::exit::Failure;
use crate::flags::OutputFormat;
use crate::{html, terminal};
use anyhow::Context;
use powertune_core::input::ExecutionInput;
use powertune_core::output::{SavedRun, TuningResult};
use powertune_core::power::PowerStats;
use powertune_core::pricing::request_price;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A finished run, as the outputs need it.
pub struct Run<'a> {
    /// The report's title.
    pub title: String,
    /// The result document.
    pub result: &'a TuningResult,
    /// Every power value's statistics, with their samples.
    pub stats: &'a [PowerStats],
    /// The execution input.
    pub input: &'a ExecutionInput,
    /// How many Publisher invocations the run took.
    pub publisher_rounds: usize,
    /// The function's memory before the run, when known.
    pub current_memory: Option<u32>,
}

/// Where to write.
pub struct Targets {
    /// `--json FILE`: the saved run.
    pub json: Option<PathBuf>,
    /// `--html FILE`: the report.
    pub html: Option<PathBuf>,
    /// What standard output gets.
    pub format: OutputFormat,
}

/// Writes the saved run and the report where asked, and prints the result.
pub fn emit(run: &Run<'_>, targets: &Targets) -> Result<(), Failure> {
    let request_price = request_price(run.input.region.as_deref());
    if let Some(path) = &targets.json {
        let saved = SavedRun {
            result: TuningResult {
                stats: Some(run.stats.to_vec()),
                ..run.result.clone()
            },
            input: run.input.clone(),
            publisher_rounds: run.publisher_rounds,
            current_memory: run.current_memory,
        };
        let text = serde_json::to_string_pretty(&saved).context("cannot serialize the run")?;
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &targets.html {
        let data = html::RunData {
            result: run.result,
            stats: run.stats,
            request_price,
            discard: run.input.discard_top_bottom,
        };
        std::fs::write(path, html::run_report(&run.title, &data))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let text = match targets.format {
        OutputFormat::Json => {
            let document =
                serde_json::to_string_pretty(run.result).context("cannot serialize the result")?;
            format!("{document}\n")
        }
        OutputFormat::Table => format!(
            "{}\n{}",
            terminal::table(run.result, run.stats, request_price),
            terminal::chart(run.result, run.stats)
        ),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")?;
    Ok(())
}

/// A saved run (or any result document with `stats`) read back, with the trimming its input
/// used (the default when the file has no input: a state machine's output carries none).
pub struct Saved {
    /// The result document, `stats` included.
    pub result: TuningResult,
    /// `discardTopBottom`.
    pub discard: f64,
}

/// Reads `path` as a saved run or a result document; one without `stats` is an error that says
/// how to get them.
/// A saved LMI run (`tune --managed-instances --json`) holds its own analysis: `analyze`,
/// `compare` and `--baseline` read on-demand runs, and say so instead of a missing field.
pub fn refuse_lmi_run(name: &str, value: &serde_json::Value) -> Result<(), Failure> {
    if value
        .get("managedInstances")
        .is_some_and(serde_json::Value::is_object)
    {
        return Err(Failure::BadInput(format!(
            "{name} is a Lambda Managed Instances run (tune --managed-instances): its analysis is in it (\"managedInstances\"), and its on-demand run's result is under \"onDemand\"; analyze, compare and --baseline read on-demand runs"
        )));
    }
    Ok(())
}

pub fn read_saved(path: &Path) -> Result<Saved, Failure> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::BadInput(format!("cannot read {name}: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::BadInput(format!("{name} is not valid JSON: {e}")))?;
    refuse_lmi_run(&name.to_string(), &value)?;
    let result: TuningResult = serde_json::from_value(value.clone()).map_err(|e| {
        Failure::BadInput(format!(
            "{name} is not a powertune result (a file from --json, or a state machine's output): {e}"
        ))
    })?;
    if result.stats.is_none() {
        return Err(Failure::BadInput(format!(
            "{name} has no per-power-value statistics (\"stats\"): save runs with --json FILE, or run with \"includeOutputResults\": true"
        )));
    }
    let discard = value
        .get("input")
        .and_then(|i| i.get("discardTopBottom"))
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(powertune_core::input::DEFAULT_DISCARD_TOP_BOTTOM);
    Ok(Saved { result, discard })
}
