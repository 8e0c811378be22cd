//! The execution input: raw JSON in, typed and validated values out, with the reference
//! project's names and defaults. Every problem is reported at once, each naming the field, the
//! value and what is allowed, before anything is changed on the user's function.
//!
//! Laid out as ripgrep lays out its flags: this file holds the type and its defaults and puts
//! the reading together; `reader` reads one field at a time and records problems; one module
//! per group of fields reads that group (`target`, `runs`, `payloads`, `invocations`,
//! `outcome`); `document` writes the canonical JSON form that reads back to the same input;
//! `fields` lists the fields, each with its command-line flag ([`FIELDS`], which `powertune
//! tune` builds its flags from), and suggests the nearest to an unknown one. A new field is a
//! member of the struct, a read in its group, a line in `to_json` and its row in [`FIELDS`]
//! (tests check that `to_json` writes every field of the table, and that each has its README
//! row and its "did you mean").

mod document;
mod error;
mod fields;
mod invocations;
mod managed;
mod outcome;
mod payloads;
mod rate;
mod reader;
mod runs;
mod target;
#[cfg(test)]
mod tests;

pub use crate::failure::PowerValueFailures;
pub use crate::reference::{FunctionRef, S3Location};
pub use error::{FieldError, InputError};
pub use fields::{field, Field, Flag, ValueKind, FIELDS};
pub use rate::{
    auto_rate_query, ColdStartRate, MeasuredRate, MeasuredTraffic, TrafficSource, AUTO_RATE_DAYS,
    AUTO_RATE_QUERY,
};

use crate::budget::Budget;
use crate::payload::Payload;
use crate::strategy::Strategy;
use reader::Reader;
use serde_json::Value;

/// The smallest and largest memory sizes Lambda accepts, in MB.
pub(crate) const MIN_POWER: u32 = 128;
/// The largest memory size Lambda accepts, in MB.
pub(crate) const MAX_POWER: u32 = 10240;
/// The smallest `num` outside a dry run: fewer invocations cannot be trimmed meaningfully.
pub const MIN_NUM: u32 = 5;
/// `discardTopBottom` when the input has none: nothing trimmed. The reference trims 20% at each
/// end, which drops its cold start from the average; ours sets cold starts and warm-ups apart
/// by what they are, and averages every steady invocation, as a month of them is billed. A
/// trimmed mean of a bimodal power value (a CPU quota throttling some of its invocations) is
/// below what it costs, and jumps as the throttled share crosses the trimmed share: in the
/// decision benchmark the plain mean's picks had less regret on 7 of 8 functions.
pub const DEFAULT_DISCARD_TOP_BOTTOM: f64 = 0.0;
/// The most cold starts a power value may get (`coldSamples`): each past the first is a
/// version of its own.
pub(crate) const MAX_COLD_SAMPLES: u32 = 20;
/// The largest share of results `discardTopBottom` may drop at each end.
pub(crate) const MAX_DISCARD_TOP_BOTTOM: f64 = 0.4;

/// `"ALL"`: 128 to 3008 MB in steps of 64, as the reference expands it.
pub(crate) fn all_power_values() -> Vec<u32> {
    (MIN_POWER..=3008).step_by(64).collect()
}

/// What the input may leave out and the deployment decides.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The deploy-time `PowerValues`, used when the input has no `powerValues`.
    pub power_values: Vec<u32>,
    /// The region the tool runs in, for a `lambdaARN` that is only a name or a partial ARN.
    pub region: Option<String>,
}

/// The validated execution input. In the documents the steps pass each other it is the input
/// document as [`ExecutionInput::to_json`] writes it, plus `region` when that came from the tool
/// rather than the ARN, so that reading it back gives the same value: it is parsed once, where
/// the execution starts, and read back typed at every step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct ExecutionInput {
    /// `lambdaARN`: the function to tune.
    pub lambda: FunctionRef,
    /// The region whose prices apply: the ARN's, else the tool's own (`None` if neither is known).
    pub region: Option<String>,
    /// Invocations per power value (1 in a dry run without `num`).
    pub num: u32,
    /// Sorted, without duplicates, never empty.
    pub power_values: Vec<u32>,
    /// `None` when the input has no payload: invocations then send no body.
    pub payload: Option<Payload>,
    /// `payloadS3`: where to read the payload from instead.
    pub payload_s3: Option<S3Location>,
    /// `parallelInvocation`: invoke a power value's `num` invocations at once.
    pub parallel_invocation: bool,
    /// `strategy`: what the recommendation optimizes.
    pub strategy: Strategy,
    /// `balancedWeight`: 0 favours speed, 1 cost (balanced strategy only).
    pub balanced_weight: f64,
    /// `maxDuration` (ours): a latency budget; the strategy chooses among the power values whose
    /// statistic of the durations is within it.
    pub max_duration: Option<Budget>,
    /// `coldStartRate` (ours): the share of production invocations that start cold; the
    /// strategies decide on (1 - rate) x warm + rate x cold. `"auto"` is read from the
    /// function's logs by the Initializer, which passes on the rate it read.
    pub cold_start_rate: Option<ColdStartRate>,
    /// `autoOptimize`: set the function to the recommended memory afterwards.
    pub auto_optimize: bool,
    /// `autoOptimizeAlias`: with `autoOptimize`, point this alias at a version with it.
    pub auto_optimize_alias: Option<String>,
    /// `dryRun`: invoke each power value once, to check the setup.
    pub dry_run: bool,
    /// `preProcessorARN`: a function invoked before each invocation, whose output becomes its payload.
    pub pre_processor: Option<FunctionRef>,
    /// `postProcessorARN`: a function invoked with each invocation's output.
    pub post_processor: Option<FunctionRef>,
    /// `discardTopBottom`: the share of results dropped at each end before averaging.
    pub discard_top_bottom: f64,
    /// `sleepBetweenRunsMs`: the pause between invocations in series.
    pub sleep_between_runs_ms: u64,
    /// `disablePayloadLogs`: keep payloads out of logs and error messages.
    pub disable_payload_logs: bool,
    /// `includeOutputResults`: put every power value's statistics in the result.
    pub include_output_results: bool,
    /// `onlyColdStarts`: every invocation gets a new execution environment.
    pub only_cold_starts: bool,
    /// `coldSamples` (ours, default 1): cold starts per power value; the first is the first
    /// invocation, each other one a version of its own invoked once.
    pub cold_samples: u32,
    /// `allowedExceptions`: error types counted as normal results.
    pub allowed_exceptions: Vec<String>,
    /// `powerValueFailures` (ours, default `memory`): which function errors fail only the power
    /// value they happen at (reported, left out of the recommendation) instead of the run.
    pub power_value_failures: PowerValueFailures,
    /// `maxConcurrency` (ours): the most invocations at once with `parallelInvocation`.
    pub max_concurrency: Option<u32>,
    /// `statisticalTies` (ours, default true): power values shown within the tie margin of the
    /// best (a bootstrap interval of the ratio of their averages) count as tied, and the other
    /// measure picks among them; what the samples cannot tell is undecided; `false` decides on
    /// the averages alone, as the reference does.
    pub statistical_ties: bool,
    /// `adaptive` (ours): invoke in rounds, stop invoking a power value once it is out of the
    /// running and stop the run once the decision is settled; `num` is then the most
    /// invocations a power value gets.
    pub adaptive: bool,
    /// `minNum` (ours, with `adaptive`): the invocations every power value gets in the first
    /// round (default 5).
    pub min_num: u32,
    /// `monthlyInvocations` (ours): project a month of this many invocations at each power
    /// value, and the recommendation's saving over the function's current memory.
    pub monthly_invocations: Option<u64>,
    /// `monthlyInvocations: "auto"` (ours): the traffic is read from the function's logs on AWS
    /// (`Auto` until then, `monthly_invocations` then being what was read).
    pub monthly_invocations_source: Option<TrafficSource>,
    /// `managedInstances` and its fields (ours): tune for Lambda Managed Instances instead
    /// (core::managed).
    pub managed_instances: Option<crate::managed::ManagedInstances>,
}

impl ExecutionInput {
    /// The cold-start rate the strategies blend at (`None` without one, or while `"auto"` is
    /// not read yet).
    pub fn cold_start_share(&self) -> Option<f64> {
        self.cold_start_rate.as_ref().and_then(ColdStartRate::share)
    }

    /// Parses the execution input document.
    pub fn from_json(value: &Value, defaults: &Defaults) -> Result<ExecutionInput, InputError> {
        let Some(object) = value.as_object() else {
            return Err(InputError::single(
                "(input)",
                Some(value),
                "the execution input must be a JSON object such as {\"lambdaARN\": \"...\", \"num\": 10}",
            ));
        };
        let mut r = Reader {
            object,
            problems: fields::unknown(object),
        };
        let lambda = target::read(&mut r);
        let runs = runs::read(&mut r, defaults);
        let payloads = payloads::read(&mut r, runs.num, runs.dry_run);
        let invocations = invocations::read(&mut r);
        let outcome = outcome::read(&mut r, runs.only_cold_starts);
        let managed_instances = managed::read(&mut r);
        let mut problems = std::mem::take(&mut r.problems);
        // Unknown fields first, then in the order of FIELDS, whichever group read them.
        problems.sort_by_key(|p| fields::position(&p.field).map(|i| i + 1));
        match lambda {
            Some(lambda) if problems.is_empty() => Ok(ExecutionInput {
                region: lambda.region.clone().or_else(|| defaults.region.clone()),
                lambda,
                num: runs.num,
                power_values: runs.power_values,
                payload: payloads.payload,
                payload_s3: payloads.payload_s3,
                parallel_invocation: invocations.parallel_invocation,
                strategy: outcome.strategy,
                balanced_weight: outcome.balanced_weight,
                max_duration: outcome.max_duration,
                cold_start_rate: outcome.cold_start_rate,
                auto_optimize: outcome.auto_optimize,
                auto_optimize_alias: outcome.auto_optimize_alias,
                dry_run: runs.dry_run,
                pre_processor: payloads.pre_processor,
                post_processor: payloads.post_processor,
                discard_top_bottom: runs.discard_top_bottom,
                sleep_between_runs_ms: invocations.sleep_between_runs_ms,
                disable_payload_logs: invocations.disable_payload_logs,
                include_output_results: outcome.include_output_results,
                only_cold_starts: runs.only_cold_starts,
                cold_samples: runs.cold_samples,
                allowed_exceptions: invocations.allowed_exceptions,
                power_value_failures: invocations.power_value_failures,
                max_concurrency: invocations.max_concurrency,
                statistical_ties: runs.statistical_ties,
                adaptive: runs.adaptive,
                min_num: runs.min_num,
                monthly_invocations: outcome.monthly_invocations,
                monthly_invocations_source: outcome.monthly_invocations_source,
                managed_instances,
            }),
            _ => Err(InputError { problems }),
        }
    }
}
