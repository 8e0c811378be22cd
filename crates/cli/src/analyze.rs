//! `powertune analyze`: re-run the Analyzer on a saved event, offline.

use crate::failure::Failure;
use crate::flags::{parse_strategy, parse_weight, OutputFormat};
use crate::report;
use anyhow::Context;
use powertune_core::analysis::{AnalysisEnv, AnalyzerEvent};
use powertune_core::input::Defaults;
use powertune_core::pricing::request_price;
use powertune_core::strategy::Strategy;
use powertune_steps::analyzer::analysis_env;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The Analyzer event: a JSON file with the execution input's fields and "stats", or "-"
    /// for standard input.
    file: PathBuf,

    /// Print JSON (the default when standard output is not a terminal) or a table.
    #[arg(long, short)]
    output: Option<OutputFormat>,

    /// Use this strategy instead of the file's.
    #[arg(long, value_parser = parse_strategy)]
    strategy: Option<Strategy>,

    /// Use this balanced weight (0 = fastest .. 1 = cheapest) instead of the file's.
    #[arg(long, value_parser = parse_weight)]
    balanced_weight: Option<f64>,

    /// Decide on the averages alone, as the reference does (statisticalTies: false).
    #[arg(long)]
    exact_ties: bool,

    /// The region the run's state machine ran in (prices the execution and picks the currency).
    /// Defaults to the tuned function's region.
    #[arg(long)]
    region: Option<String>,

    /// Base of the visualization URL [env: visualizationURL] [default: https://lambda-power-tuning.show/]
    #[arg(long)]
    visualization_url: Option<String>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let name = args.file.display().to_string();
    let text =
        read(&args.file).map_err(|e| Failure::BadInput(format!("cannot read {name}: {e}")))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::BadInput(format!("{name} is not valid JSON: {e}")))?;
    let mut event = AnalyzerEvent::from_json(&json, &Defaults::default())
        .map_err(|e| Failure::BadInput(format!("{name}: {e}")))?;
    if let Some(strategy) = args.strategy {
        event.input.strategy = strategy;
    }
    if let Some(weight) = args.balanced_weight {
        event.input.balanced_weight = weight;
    }
    if args.exact_ties {
        event.input.statistical_ties = false;
    }
    let region = args.region.clone().or_else(|| event.input.region.clone());
    let env = match &args.visualization_url {
        Some(url) => AnalysisEnv::new(region, Some(url.clone())),
        None => analysis_env(region),
    };
    let result = event
        .analyze(&env)
        .map_err(|e| Failure::BadInput(format!("{name}: {e}")))?;

    let stdout = std::io::stdout();
    let format = args.output.unwrap_or(if stdout.is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    let text = match format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&result).context("cannot serialize the result")? + "\n"
        }
        OutputFormat::Table => {
            // The function's region decides the request charge.
            let request_price = request_price(event.input.region.as_deref());
            report::table(&result, &event.stats, request_price)
        }
    };
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")?;
    Ok(())
}

fn read(path: &PathBuf) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
    }
}
