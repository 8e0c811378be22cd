//! The documents the steps pass each other: the JSON state of one state machine execution.
//!
//! The Initializer turns the execution input into a [`Plan`]; the Publisher returns it with more
//! configurations published; the Map state gives each Executor an [`ExecutorEvent`] and collects
//! their results under `stats`; the Cleaner, Analyzer and Optimizer read that state.

use powertune_core::input::{Defaults, ExecutionInput};
use powertune_core::output::{PowerStats, TuningResult};
use powertune_core::pricing::Architecture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::StepError;

/// What the Initializer recorded about the function: enough to price it and to restore `$LATEST`
/// exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSnapshot {
    /// The unqualified function ARN, as `GetFunctionConfiguration` returned it.
    pub arn: String,
    /// The region whose Lambda prices apply.
    pub region: String,
    pub architecture: Architecture,
    /// `$LATEST`'s memory before the run, MB.
    pub memory_size: u32,
    /// `$LATEST`'s description before the run.
    pub description: String,
    /// Whether published versions use SnapStart.
    pub snap_start: bool,
}

/// One version + alias the Publisher creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    pub power_value: u32,
    /// `RAM<value>`, or `RAM<value>-<i>` with `onlyColdStarts`.
    pub alias: String,
    /// The description `$LATEST` gets before publishing. It is unique to this run and
    /// configuration, so `PublishVersion` always creates a new version (Lambda returns the latest
    /// existing version when nothing changed, and that version would not be ours to delete).
    pub description: String,
    /// The published version, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The Initializer's result, carried through the whole execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The execution input, validated and complete with defaults.
    pub input: Value,
    pub function: FunctionSnapshot,
    /// Identifies this run in the descriptions it writes.
    pub run_id: String,
    pub configurations: Vec<Configuration>,
    /// How many configurations are published (they are published in order).
    #[serde(default)]
    pub published: usize,
    /// How many Publisher invocations ran.
    #[serde(default)]
    pub publisher_rounds: usize,
    /// All published and `$LATEST` restored: the state machine's `IsPublished` choice reads it.
    #[serde(default)]
    pub done: bool,
}

impl Plan {
    /// The execution input, parsed again. The Initializer validated it, so an error here means
    /// the state was edited on the way.
    pub fn execution_input(&self) -> Result<ExecutionInput, StepError> {
        parse_input(&self.input)
    }
}

/// Parses a validated input document; powerValues are always present in it.
pub fn parse_input(input: &Value) -> Result<ExecutionInput, StepError> {
    Ok(ExecutionInput::from_json(input, &Defaults::default())?)
}

/// The alias of configuration `index` of a power value.
pub fn alias_name(power_value: u32, only_cold_starts: bool, index: u32) -> String {
    if only_cold_starts {
        format!("RAM{power_value}-{index}")
    } else {
        format!("RAM{power_value}")
    }
}

/// One Map iteration's event: the Executor invokes one power value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorEvent {
    pub input: Value,
    pub function: FunctionSnapshot,
    pub value: u32,
}

/// The Executor's result: statistics, or (in a dry run) just the power value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExecutorOutput {
    Stats(PowerStats),
    DryRun {
        value: u32,
        #[serde(rename = "dryRun")]
        dry_run: bool,
    },
}

/// The state after the Map: the plan plus every Executor's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzerEvent {
    pub input: Value,
    pub stats: Vec<PowerStats>,
    #[serde(default)]
    pub publisher_rounds: usize,
}

/// The Optimizer's event: the plan and the Analyzer's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptimizerEvent {
    pub input: Value,
    pub function: FunctionSnapshot,
    pub analysis: TuningResult,
}

/// What the Optimizer did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Optimization {
    pub applied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What the Cleaner removed and restored, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupReport {
    pub deleted_aliases: Vec<String>,
    pub deleted_versions: Vec<String>,
    pub restored_latest: bool,
    pub failures: Vec<String>,
}
