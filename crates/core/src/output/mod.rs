//! The tuning result (the Analyzer's document), with the reference project's key names so
//! existing pipelines keep parsing it. Our additions sit beside those keys. Each power value's
//! statistics are `crate::power`'s.

use crate::blend::BlendOutcome;
use crate::budget::BudgetOutcome;
use crate::power::PowerStats;
use crate::pricing::Currency;
use crate::strategy::Strategy;
use serde::{Deserialize, Serialize};

/// What the state machine itself cost to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineCosts {
    /// What the state machine's transitions cost.
    pub execution_cost: f64,
    /// What the tuned function's invocations cost, all power values together.
    pub lambda_cost: f64,
    /// The public UI's URL with this run's data in its hash.
    pub visualization: String,
}

/// The tuning result: the reference's `power`, `cost`, `duration`, `stateMachine` and, with
/// `includeOutputResults`, `stats`; plus the strategy, currency and any warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TuningResult {
    /// The recommended memory size, MB.
    pub power: u32,
    /// Its average cost per invocation (without the request charge).
    pub cost: f64,
    /// Its average duration, ms.
    pub duration: f64,
    /// What the run itself cost.
    pub state_machine: StateMachineCosts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Every power value's statistics, with `includeOutputResults`.
    pub stats: Option<Vec<PowerStats>>,
    /// The strategy the recommendation follows.
    pub strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The balanced strategy's weight, when it is the strategy.
    pub balanced_weight: Option<f64>,
    /// The currency of every cost.
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// What the reader should know: failed power values, prices that are estimates.
    pub warnings: Vec<String>,
    /// Ours: the power values whose results do not differ from the best beyond noise (with
    /// per-invocation samples and `statisticalTies`), `power` among them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equivalent: Option<Vec<u32>>,
    /// Ours: one sentence on why `power`, when `equivalent` or `budget` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Ours: the power values the samples cannot place yet (whether they are as good as the
    /// best, or within the budget), each with about how many invocations would tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecided: Option<Vec<UndecidedPower>>,
    /// Ours: the warm-up found, when an environment's first warm invocations were slower than
    /// the rest; they are set apart from the averages as cold starts are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<crate::warm_up::Detected>,
    /// Ours, with `maxDuration`: the budget, its verdict on `power` (`meets`, `borderline`, or
    /// `none` when no power value meets it and `power` is the fastest), `power`'s statistic
    /// with its 95% interval, and the power values over the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetOutcome>,
    /// Ours, with `coldStartRate`: the recommendation's blended cost and duration, and the
    /// nearest rate at which another power value would take its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend: Option<BlendOutcome>,
    /// Ours, with adaptive sampling: its rounds, invocations and why it stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<SamplingSummary>,
    /// Ours, with `monthlyInvocations`: a month of invocations at each power value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection: Option<Projection>,
}

/// A power value whose place the samples cannot tell yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UndecidedPower {
    /// The power value, MB.
    pub value: u32,
    /// `margin`: whether it is as good as the best (`low`, `high`: its average on the
    /// strategy's measure over the best's, 95% bootstrap interval); `budget`: whether it is
    /// within the latency budget (`low`, `high`: its statistic's 95% interval, ms).
    pub question: String,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
    /// About how many invocations per power value (`num`) would likely tell; absent when the
    /// difference seen is the threshold itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num: Option<u32>,
}

/// A whole run as `powertune tune --json FILE` saves it: the result document (with every
/// power value's statistics and their samples), plus the execution input, the Publisher rounds
/// and the function's memory before the run, so that `powertune analyze` can decide again,
/// with statistical ties, and `powertune compare` can set it beside another run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedRun {
    /// The result document; its `stats` are always there.
    #[serde(flatten)]
    pub result: TuningResult,
    /// The execution input, complete with its defaults.
    pub input: crate::input::ExecutionInput,
    /// How many Publisher invocations the run took.
    pub publisher_rounds: usize,
    /// The function's memory before the run, MB, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_memory: Option<u32>,
}

/// What a month of `monthlyInvocations` invocations costs at each power value, and what the
/// recommendation saves against the function's current memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    /// Invocations per month.
    pub monthly_invocations: u64,
    /// The request charge of one invocation in the function's region, the same at every power
    /// value (the monthly costs include it).
    pub request_price: f64,
    /// Each power value's monthly cost (duration and request charges), ascending by power.
    pub monthly: Vec<MonthlyCost>,
    /// The function's memory before the run, MB, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_memory: Option<u32>,
    /// What the recommendation saves a month against the current memory (negative when it
    /// costs more); absent when the current memory is unknown or was not tuned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saving: Option<Saving>,
}

/// One power value's monthly cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonthlyCost {
    /// The power value, MB.
    pub value: u32,
    /// Duration and request charges of a month.
    pub cost: f64,
}

/// A monthly saving.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Saving {
    /// Per month, in the result's currency.
    pub amount: f64,
    /// As a share of the current memory's monthly cost, %.
    pub percent: f64,
}

/// What an adaptive run's result says about its sampling. A saved result reads back as a
/// [`crate::sampling::Sampling`] (its `rounds` and `reason`), so that a re-analysis prices the same rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplingSummary {
    /// How many power values each round invoked.
    pub rounds: Vec<u32>,
    /// Invocations of every power value together.
    pub invocations: u32,
    /// The most any power value could have had (`num` each).
    pub cap: u32,
    /// Why sampling stopped.
    pub reason: String,
}
