//! The documents the steps pass each other: the JSON state of one state machine execution.
//!
//! The Initializer turns the execution input into a [`Plan`]; the Publisher returns it with more
//! configurations published; each round of the Map state gives an Executor per power value an
//! [`ExecutorEvent`] and collects their results under `round`, which the Sampler merges into the
//! plan's `stats` before it decides the next round; the Cleaner, Analyzer and Optimizer read that
//! state. The
//! execution input travels typed ([`ExecutionInput`] reads itself back from these documents), so
//! no step parses it again.

pub use powertune_core::analysis::AnalyzerEvent;
use powertune_core::input::ExecutionInput;
use powertune_core::output::TuningResult;
use powertune_core::power::PowerStats;
use powertune_core::pricing::Architecture;
use powertune_core::sampling::Sampling;
use serde::{Deserialize, Serialize};

/// What the Initializer recorded about the function: enough to price it and to restore `$LATEST`
/// exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSnapshot {
    /// The unqualified function ARN, as `GetFunctionConfiguration` returned it.
    pub arn: String,
    /// The region whose Lambda prices apply.
    pub region: String,
    /// The architecture whose prices apply.
    pub architecture: Architecture,
    /// `$LATEST`'s memory before the run, MB.
    pub memory_size: u32,
    /// `$LATEST`'s description before the run.
    pub description: String,
    /// Whether published versions use SnapStart.
    pub snap_start: bool,
    /// `EphemeralStorage.Size`, MB: the storage above 512 MB is priced with the duration.
    #[serde(default = "free_storage")]
    pub ephemeral_storage_mb: u32,
    /// `Timeout`, seconds: an invocation may run this long (the Executor gives up on one that
    /// outlasts its own step, and says so with this figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<u32>,
    /// `$LATEST`'s `CapacityProviderConfig` before the run, when the function runs on Lambda
    /// Managed Instances: the versions of an LMI run are published on its capacity provider,
    /// and the Cleaner puts the ratio and concurrency back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<ManagedPlacement>,
    /// An LMI run on AWS: the EC2 prices of the function's region, read from the AWS Price List
    /// API by the Initializer's adapter (`ec2_prices`), which the analysis prices with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_prices: Option<powertune_core::managed::prices::InstancePrices>,
}

/// A function's `LambdaManagedInstancesCapacityProviderConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedPlacement {
    /// `CapacityProviderArn`.
    pub capacity_provider_arn: String,
    /// `ExecutionEnvironmentMemoryGiBPerVCpu`, when Lambda gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gib_per_vcpu: Option<f64>,
    /// `PerExecutionEnvironmentMaxConcurrency`, when Lambda gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
}

impl FunctionSnapshot {
    /// Function `f` in `region` as the unit tests plan runs for it: x86_64, 1024 MB, nothing
    /// else set.
    #[cfg(test)]
    pub(crate) fn for_test(region: &str) -> FunctionSnapshot {
        FunctionSnapshot {
            arn: format!("arn:aws:lambda:{region}:123456789012:function:f"),
            region: region.to_string(),
            architecture: powertune_core::pricing::Architecture::X86_64,
            memory_size: 1024,
            description: String::new(),
            snap_start: false,
            ephemeral_storage_mb: crate::events::free_storage(),
            timeout_s: None,
            managed: None,
            instance_prices: None,
        }
    }

    /// What the Analyzer needs of the function to say whether its prices are its region's own.
    pub fn priced(&self) -> powertune_core::analysis::PricedFunction {
        powertune_core::analysis::PricedFunction {
            architecture: self.architecture,
            ephemeral_storage_mb: Some(self.ephemeral_storage_mb),
        }
    }
}

fn free_storage() -> u32 {
    powertune_core::pricing::FREE_EPHEMERAL_STORAGE_MB
}

/// One version + alias the Publisher creates. Derived from the input and the run ID, never
/// stored in the state: with `onlyColdStarts` there are `num` x power values of them, and the
/// state must stay under Step Functions' 256 KB.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    /// The memory size, MB.
    pub power_value: u32,
    /// `RAM<value>`, or `RAM<value>-<i>` with `onlyColdStarts`.
    pub alias: String,
    /// The description `$LATEST` gets before publishing. It is unique to this run and
    /// configuration, so `PublishVersion` always creates a new version (Lambda returns the latest
    /// existing version when nothing changed, and that version would not be ours to delete),
    /// and it starts with the run's marker, by which the Cleaner finds every version of the run.
    pub description: String,
    /// With `managedInstances`: the memory, memory per vCPU and concurrency the version is
    /// published with on the function's capacity provider.
    pub managed: Option<powertune_core::managed::Configuration>,
}

/// The Initializer's result, carried through the whole execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The execution input, validated and complete with defaults.
    pub input: ExecutionInput,
    /// The function as the Initializer found it.
    pub function: FunctionSnapshot,
    /// Identifies this run in the descriptions it writes.
    pub run_id: String,
    /// The published versions, in the order of [`Plan::configurations`]; the first
    /// `versions.len()` configurations are published.
    #[serde(default)]
    pub versions: Vec<String>,
    /// How many Publisher invocations ran.
    #[serde(default)]
    pub publisher_rounds: usize,
    /// All published and `$LATEST` restored: the state machine's `IsPublished` choice reads it.
    #[serde(default)]
    pub publishing_done: bool,
    /// Lambda Managed Instances: how many of the published versions are Active and have their
    /// alias (the versions activate together, after all are published).
    #[serde(default)]
    pub activated: usize,
    /// Lambda Managed Instances: the Publisher invocations that waited for versions to become
    /// Active (bounded by `publisher::MAX_ACTIVATION_ROUNDS`).
    #[serde(default)]
    pub activation_rounds: u32,
    /// What the next round of the Map invokes; the `IsSettled` choice reads `settled`.
    pub sampling: Sampling,
    /// Every power value's results so far, merged over the rounds by the Sampler.
    #[serde(default)]
    pub results: Vec<ExecutorOutput>,
}

impl Plan {
    /// A run's plan before anything is published.
    pub fn new(input: &ExecutionInput, function: FunctionSnapshot, run_id: String) -> Plan {
        Plan {
            input: input.clone(),
            function,
            run_id,
            versions: Vec::new(),
            publisher_rounds: 0,
            publishing_done: false,
            activated: 0,
            activation_rounds: 0,
            sampling: Sampling::start(input),
            results: Vec::new(),
        }
    }

    /// Every configuration of the run, in publishing order.
    pub fn configurations(&self) -> Vec<Configuration> {
        configurations(&self.input, &self.run_id)
    }

    /// The statistics of every power value measured so far (a dry run's results are not
    /// statistics).
    pub fn power_stats(&self) -> Vec<PowerStats> {
        self.results
            .iter()
            .filter_map(|o| match o {
                ExecutorOutput::Stats(s) => Some((**s).clone()),
                ExecutorOutput::DryRun { .. } | ExecutorOutput::Load(_) => None,
            })
            .collect()
    }

    /// The loads of every LMI configuration measured, in the configurations' order.
    pub fn loads(
        &self,
    ) -> Vec<(
        powertune_core::managed::Configuration,
        powertune_core::managed::analysis::Load,
    )> {
        self.results
            .iter()
            .filter_map(|o| match o {
                ExecutorOutput::Load(l) => Some((l.configuration, l.load.clone())),
                _ => None,
            })
            .collect()
    }

    /// How many configurations are published.
    pub fn published(&self) -> usize {
        self.versions.len()
    }

    /// The start of every description this run writes.
    pub fn marker(&self) -> String {
        run_marker(&self.run_id)
    }
}

/// The start of the descriptions of run `run_id` (the colon keeps run "ab" from matching "abc").
pub(crate) fn run_marker(run_id: &str) -> String {
    format!("powertune run {run_id}:")
}

/// The configurations of a run: one per power value, or `num` per power value with
/// `onlyColdStarts`; with `coldSamples` n, n - 1 more per power value, each invoked once cold.
pub fn configurations(input: &ExecutionInput, run_id: &str) -> Vec<Configuration> {
    let marker = run_marker(run_id);
    if let Some(m) = &input.managed_instances {
        return m
            .configurations()
            .0
            .into_iter()
            .map(|c| {
                let alias = managed_alias(&c);
                Configuration {
                    description: format!("{marker} {alias}"),
                    power_value: c.memory_mb,
                    alias,
                    managed: Some(c),
                }
            })
            .collect();
    }
    let per_value = if input.only_cold_starts { input.num } else { 1 };
    // A dry run invokes each power value once, so its further cold samples are not published.
    let cold_samples = if input.dry_run { 1 } else { input.cold_samples };
    input
        .power_values
        .iter()
        .flat_map(|&power_value| {
            let main = (0..per_value).map(move |i| {
                (
                    power_value,
                    alias_name(power_value, input.only_cold_starts, i),
                )
            });
            let cold =
                (1..cold_samples).map(move |i| (power_value, cold_alias_name(power_value, i)));
            main.chain(cold)
        })
        .map(|(power_value, alias)| Configuration {
            description: format!("{marker} {alias}"),
            power_value,
            alias,
            managed: None,
        })
        .collect()
}

/// The alias of an LMI configuration: `LMI<memory>-<GiB per vCPU>G-C<concurrency>`, a `.` in
/// the ratio written `_` (an alias name is letters, digits, `-` and `_`).
pub fn managed_alias(c: &powertune_core::managed::Configuration) -> String {
    format!(
        "LMI{}-{}G-C{}",
        c.memory_mb,
        c.gib_per_vcpu.to_string().replace('.', "_"),
        c.concurrency
    )
}

/// The alias of configuration `index` of a power value.
pub(crate) fn alias_name(power_value: u32, only_cold_starts: bool, index: u32) -> String {
    if only_cold_starts {
        format!("RAM{power_value}-{index}")
    } else {
        format!("RAM{power_value}")
    }
}

/// The alias of a power value's cold sample `index` (1 and up; the first cold start is its
/// first invocation).
pub(crate) fn cold_alias_name(power_value: u32, index: u32) -> String {
    format!("RAM{power_value}-cold{index}")
}

/// One Map iteration's event: the Executor invokes one power value, for one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorEvent {
    /// The execution input.
    pub input: ExecutionInput,
    /// The function as the Initializer found it.
    pub function: FunctionSnapshot,
    /// The power value to invoke, MB; with `managedInstances`, the index of the configuration
    /// to drive.
    pub value: u32,
    /// The index of the round's first invocation (0 for the first round).
    #[serde(default)]
    pub first: u32,
    /// The round's invocations; absent: `num` (one in a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl ExecutorEvent {
    /// The event of power value `value` in the plan's next round.
    pub fn of_round(plan: &Plan, value: u32) -> ExecutorEvent {
        ExecutorEvent {
            input: plan.input.clone(),
            function: plan.function.clone(),
            value,
            first: plan.sampling.first,
            count: Some(plan.sampling.count),
        }
    }
}

/// The Executor's result: statistics, or (in a dry run) just the power value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExecutorOutput {
    /// A power value's statistics.
    Stats(Box<PowerStats>),
    /// A dry run's: the power value was invoked once.
    DryRun {
        /// The power value, MB.
        value: u32,
        #[serde(rename = "dryRun")]
        /// Always true.
        dry_run: bool,
    },
    /// With `managedInstances`: one configuration's load.
    Load(Box<ManagedLoad>),
}

/// What an Executor measured of one LMI configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedLoad {
    /// The configuration's index in the run's (the Map's item).
    pub index: u32,
    /// The configuration.
    pub configuration: powertune_core::managed::Configuration,
    /// What it held ([`powertune_core::managed::analysis::Load::thinned`] to
    /// [`crate::managed::KEPT_SAMPLES`]).
    pub load: powertune_core::managed::analysis::Load,
}

/// The Optimizer's event: the plan and the Analyzer's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptimizerEvent {
    /// The execution input.
    pub input: ExecutionInput,
    /// The function as the Initializer found it.
    pub function: FunctionSnapshot,
    /// The run's ID: the optimal version's description carries its marker.
    pub run_id: String,
    /// The Analyzer's result.
    pub analysis: TuningResult,
}

/// What the Optimizer did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Optimization {
    /// Whether `$LATEST` was changed.
    pub applied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The memory it was set to, MB.
    pub power: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The alias pointed at the new version.
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The version published with the optimal memory.
    pub version: Option<String>,
}

/// What the Cleaner removed and restored, and what it could not. Counts, not lists: the
/// report joins the state, which must stay under 256 KB however many versions a run made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupReport {
    /// Aliases deleted, over every Cleaner invocation of the run.
    pub deleted_aliases: usize,
    /// Versions deleted, over every Cleaner invocation of the run.
    pub deleted_versions: usize,
    /// Whether `$LATEST` has its original memory and description again (whether or not the
    /// Cleaner had to change it back).
    pub restored_latest: bool,
    /// Everything is removed; when false, the state machine calls the Cleaner again (the
    /// `IsCleaned` and `HasCause` choices read it).
    #[serde(default = "yes")]
    pub done: bool,
    /// How many Cleaner invocations the cleanup took (the Analyzer prices them).
    #[serde(default = "one")]
    pub rounds: usize,
    /// The first [`MAX_REPORTED_FAILURES`] failures.
    pub failures: Vec<String>,
    /// How many failures there were in all.
    #[serde(default)]
    pub failure_count: usize,
}

fn yes() -> bool {
    true
}

fn one() -> usize {
    1
}

/// The Cleaner's event: the state, with the report of the Cleaner invocation before, when the
/// cleanup takes more than one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CleanerEvent {
    /// The run's plan.
    #[serde(flatten)]
    pub plan: Plan,
    /// The previous invocation's report (`$.cleanup`): absent on the first; on the failure
    /// path it may be the error of a failed cleanup, which is not a report.
    #[serde(default, deserialize_with = "report_or_none")]
    pub cleanup: Option<CleanupReport>,
}

/// A report that is not done, or nothing (an error object in its place is nothing to resume).
fn report_or_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<CleanupReport>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value::<CleanupReport>(value)
        .ok()
        .filter(|r| !r.done))
}

/// How many failures a cleanup report lists one by one.
pub const MAX_REPORTED_FAILURES: usize = 10;

impl CleanupReport {
    /// Records a failure; lists at most [`MAX_REPORTED_FAILURES`] of them.
    pub fn fail(&mut self, failure: impl Into<String>) {
        self.failure_count += 1;
        if self.failures.len() < MAX_REPORTED_FAILURES {
            self.failures.push(failure.into());
        }
    }
}
