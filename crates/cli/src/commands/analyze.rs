//! `powertune analyze`: re-run the Analyzer on a saved event, offline.

use crate::exit::Failure;
use crate::flags::{AnalyzeFields, InputFlags, OutputFormat};
use crate::outputs;
use powertune_core::analysis::{AnalysisEnv, AnalyzerEvent};
use powertune_core::input::Defaults;
use powertune_core::managed::analysis::Load;
use powertune_core::managed::Configuration;
use powertune_core::output::TuningResult;
use powertune_steps::analyzer::analysis_env;
use serde_json::Value;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The Analyzer event: a JSON file with the execution input's fields and "stats", or "-"
    /// for standard input.
    file: PathBuf,

    /// Print JSON (the default when standard output is not a terminal) or a table.
    #[arg(long, short)]
    output: Option<OutputFormat>,

    /// The fields that decide (strategy, balanced weight, ties, cold-start rate), over the
    /// saved input's: read by the same reader, so a bad one gets the field's own message.
    #[command(flatten)]
    fields: InputFlags<AnalyzeFields>,

    /// The region the run's state machine ran in (prices the execution and picks the currency).
    /// Defaults to the tuned function's region.
    #[arg(long)]
    region: Option<String>,

    /// Base of the visualization URL [env: visualizationURL] [default: https://lambda-power-tuning.show/]
    #[arg(long)]
    visualization_url: Option<String>,

    /// Also save the run (result, statistics with their samples, input) to this file, which
    /// `analyze` and `compare` read back.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// Also write a self-contained HTML report to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,

    /// For a saved Lambda Managed Instances run: the on-demand tuning to compare it with (a
    /// file from `tune --json` of an on-demand run of the same function), in place of the one
    /// the run holds. A state machine's LMI run holds none: a function on a capacity provider
    /// cannot run on demand.
    #[arg(long, value_name = "FILE")]
    on_demand: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let name = args.file.display().to_string();
    let text =
        read(&args.file).map_err(|e| Failure::BadInput(format!("cannot read {name}: {e}")))?;
    let mut json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::BadInput(format!("{name} is not valid JSON: {e}")))?;
    if json.get("measured").is_some_and(Value::is_object) {
        return managed(&args, &name, json);
    }
    crate::outputs::refuse_lmi_run(&name, &json)?;
    if args.on_demand.is_some() {
        return Err(Failure::BadInput(format!(
            "--on-demand compares a Lambda Managed Instances run with an on-demand one, and {name} is an on-demand run"
        )));
    }
    // Over the saved input: nested under "input" in a saved run (`--json`) and the state
    // machine's shape, beside "stats" in the reference's.
    if let Some(saved) = json.as_object_mut() {
        let overrides = args.fields.to_input()?;
        match saved.get_mut("input").and_then(Value::as_object_mut) {
            Some(input) => input.extend(overrides),
            None => saved.extend(overrides),
        }
    }
    let event = AnalyzerEvent::from_json(&json, &Defaults::default())
        .map_err(|e| Failure::BadInput(format!("{name}: {e}")))?;
    let region = args.region.clone().or_else(|| event.input.region.clone());
    let env = match &args.visualization_url {
        Some(url) => AnalysisEnv::new(region, Some(url.clone())),
        None => analysis_env(region),
    };
    let result = event
        .analyze(&env)
        .map_err(|e| Failure::BadInput(format!("{name}: {e}")))?;

    let format = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    let run = outputs::Run {
        title: format!("powertune: {}", event.input.lambda.name),
        result: &result,
        stats: &event.stats,
        input: &event.input,
        publisher_rounds: event.publisher_rounds,
        current_memory: event.current_memory,
    };
    outputs::emit(
        &run,
        &outputs::Targets {
            json: args.json.clone(),
            html: args.html.clone(),
            format,
        },
    )
}

/// A saved Lambda Managed Instances run (`tune --managed-instances --json`): its loads decided
/// again with the flags over its input (the budget, the traffic, the prices).
fn managed(args: &Args, name: &str, saved: Value) -> Result<(), Failure> {
    let bad = |what: &str| Failure::BadInput(format!("{name}: {what}"));
    let measured = &saved["measured"];
    let mut input = measured["input"]
        .as_object()
        .cloned()
        .ok_or_else(|| bad("its \"measured\" part has no \"input\""))?;
    input.extend(args.fields.to_input()?);
    let input = powertune_core::input::ExecutionInput::from_json(
        &Value::Object(input),
        &Defaults::default(),
    )
    .map_err(|e| bad(&e.to_string()))?;
    let lmi = input
        .managed_instances
        .clone()
        .ok_or_else(|| bad("its input is not a Lambda Managed Instances run's"))?;
    let architecture = measured["architecture"]
        .as_str()
        .unwrap_or("x86_64")
        .parse::<powertune_core::pricing::Architecture>()
        .map_err(|e| bad(&e.to_string()))?;
    let loads: Vec<(Configuration, Load)> = measured["loads"]
        .as_array()
        .ok_or_else(|| bad("its \"measured\" part has no \"loads\""))?
        .iter()
        .map(|l| {
            Ok((
                serde_json::from_value(l["configuration"].clone())?,
                serde_json::from_value(l["load"].clone())?,
            ))
        })
        .collect::<Result<_, serde_json::Error>>()
        .map_err(|e| bad(&format!("a load cannot be read: {e}")))?;
    let mut notes: Vec<String> =
        serde_json::from_value(measured["machineNotes"].clone()).unwrap_or_default();
    let (on_demand_result, on_demand) = match &args.on_demand {
        Some(path) => {
            let other = crate::outputs::read_saved(path)?.result;
            let od = crate::managed::on_demand_of(&other, input.region.as_deref());
            // The comparison the run could not make is made now.
            notes.retain(|n| n != powertune_steps::managed::NO_ON_DEMAND);
            (Some(other), Some(od))
        }
        None => (
            serde_json::from_value::<TuningResult>(saved["onDemand"].clone()).ok(),
            serde_json::from_value(saved["managedInstances"]["onDemand"].clone()).ok(),
        ),
    };
    // The prices an AWS run read from the Price List, kept with its loads.
    let prices: Option<powertune_core::managed::prices::InstancePrices> =
        serde_json::from_value(measured["instancePrices"].clone())
            .map_err(|e| bad(&format!("its instance prices cannot be read: {e}")))?;
    let result = crate::managed::decide(
        &input,
        &lmi,
        architecture,
        &loads,
        &notes,
        on_demand,
        prices.as_ref(),
    );
    let format = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    crate::managed::emit(
        &crate::managed::Emit {
            title: crate::managed::title(name),
            result: &result,
            on_demand: on_demand_result.as_ref(),
            saved: crate::managed::saved(&input, architecture, &loads, &notes, prices.as_ref()),
        },
        args.json.as_deref(),
        args.html.as_deref(),
        format,
    )?;
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
