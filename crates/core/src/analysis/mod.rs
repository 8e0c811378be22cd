//! The analysis: from every power value's statistics to the recommendation and the result
//! document, for a strategy. The Analyzer step, local runs and `powertune analyze` all call
//! [`AnalyzerEvent::analyze`].

use crate::blend::{crossing, BlendOutcome};
use crate::decision::{Decision, Measured, Question, Rule};
use crate::input::ColdStartRate;
use crate::input::{Defaults, ExecutionInput, InputError};
use crate::output::{
    MonthlyCost, Projection, Saving, StateMachineCosts, TuningResult, UndecidedPower,
};
use crate::power::PowerStats;
use crate::pricing::{
    lambda_price, request_price, step_functions_price, Architecture, Currency, StateMachineRun,
    FALLBACK_REGION,
};
use crate::sampling::Sampling;
use crate::strategy::Strategy;
use crate::visualization::{self, Point, DEFAULT_BASE_URL};
use crate::why::decision_sentence;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the analysis runs: the tool's region (it prices the Step Functions execution and picks
/// the currency) and the visualization site.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisEnv {
    /// `None` when unknown: priced as us-east-1, with a warning.
    pub region: Option<String>,
    /// The visualization site the result's URL points at.
    pub visualization_base_url: String,
}

impl AnalysisEnv {
    /// From the tool's region and the `visualizationURL` setting (unset or empty: the public UI).
    pub fn new(region: Option<String>, visualization_url: Option<String>) -> AnalysisEnv {
        AnalysisEnv {
            region,
            visualization_base_url: visualization_url
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
/// Why there is nothing to recommend.
pub enum AnalysisError {
    #[error("There are no statistics to analyze: \"stats\" must list one result per power value.")]
    /// The event has no statistics at all.
    NoStats,
    #[error("Every power value failed, so there is nothing to recommend: {0}")]
    /// Every power value failed; the text lists why, per power value.
    AllFailed(String),
}

/// Picks the optimal power value and builds the result document.
fn analyze(event: &AnalyzerEvent, env: &AnalysisEnv) -> Result<TuningResult, AnalysisError> {
    let input = &event.input;
    if event.stats.is_empty() {
        return Err(AnalysisError::NoStats);
    }
    // The warm-up is found again over every power value (a saved run or the reference's
    // statistics may not have been through a Sampler that did it).
    let mut measured_stats = event.stats.clone();
    let warm_up = crate::warm_up::apply(&mut measured_stats, input.discard_top_bottom);
    let stats = &measured_stats;
    let mut sorted = stats.to_vec();
    sorted.sort_by_key(|s| s.value);
    let rule = Rule::of(input, input.statistical_ties);
    let measured: Vec<Measured> = sorted.iter().map(|s| rule.measure(s)).collect();
    let Some(decision) = rule.decide(&measured) else {
        return Err(all_failed(&sorted));
    };
    let best = &sorted[decision.pick];
    let blend = blend_outcome(input, &sorted, &decision);
    let explained = decision_sentence(&rule, &measured, &sorted, &decision, blend.as_ref(), input);

    let mut warnings = Vec::new();
    let region = match &env.region {
        Some(r) => r.as_str(),
        None => {
            warnings.push(format!(
                "The tool's region is unknown; the execution cost uses {FALLBACK_REGION} prices."
            ));
            FALLBACK_REGION
        }
    };
    let transition_price = step_functions_price(region);
    if env.region.is_some() {
        warnings.extend(transition_price.notice());
    }
    warnings.extend(lambda_price_notice(event, region));
    warnings.extend(measurement_warnings(input, &sorted));
    let projection = input
        .monthly_invocations
        .map(|n| project(n, event, &sorted, best.value, &mut warnings));

    let run = StateMachineRun {
        rounds: event
            .sampling
            .as_ref()
            .map(|s| s.rounds.iter().map(|&n| n as usize).collect::<Vec<_>>())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| vec![stats.len()]),
        publisher_rounds: event.publisher_rounds.max(1),
        cleaner_rounds: event.cleaner_rounds.max(1),
    };
    let points: Vec<Point> = sorted
        .iter()
        .filter(|s| s.succeeded())
        .map(|s| Point {
            power: s.value,
            duration: s.average_duration,
            cost: s.average_price,
        })
        .collect();
    Ok(TuningResult {
        power: best.value,
        cost: best.average_price,
        duration: best.average_duration,
        state_machine: StateMachineCosts {
            execution_cost: round_money(run.cost(&transition_price)),
            // Summed in the event's order and not rounded, as the reference does: every
            // invocation's cost is already exact to the nanodollar's fraction it has.
            lambda_cost: stats.iter().map(|s| s.total_cost).sum(),
            visualization: visualization::encode(&points, &env.visualization_base_url, region),
        },
        // With their samples, so that a saved result can be analyzed (and its ties tested)
        // again, and a report can show every invocation.
        stats: input.include_output_results.then(|| stats.to_vec()),
        strategy: input.strategy,
        balanced_weight: (input.strategy == Strategy::Balanced).then_some(input.balanced_weight),
        currency: Currency::of_region(region),
        warnings,
        equivalent: decision
            .ties
            .as_ref()
            .map(|t| t.equivalent.iter().map(|&i| sorted[i].value).collect()),
        decision: explained,
        undecided: (!decision.undecided.is_empty()).then(|| undecided_powers(&decision, &sorted)),
        warm_up,
        budget: decision.budget.clone(),
        blend,
        sampling: event
            .sampling
            .as_ref()
            .and_then(|s| s.summary(input, stats)),
        projection,
    })
}

/// The undecided power values as the result document lists them.
fn undecided_powers(decision: &Decision, sorted: &[PowerStats]) -> Vec<UndecidedPower> {
    decision
        .undecided
        .iter()
        .map(|u| {
            let (question, low, high) = match &u.question {
                Question::Margin(r) => ("margin", r.low, r.high),
                Question::Budget(e) => ("budget", e.low, e.high),
            };
            UndecidedPower {
                value: sorted[u.index].value,
                question: question.to_string(),
                low,
                high,
                num: u.needed,
            }
        })
        .collect()
}

/// Why nothing can be recommended: each power value's error.
fn all_failed(sorted: &[PowerStats]) -> AnalysisError {
    let reasons: Vec<String> = sorted
        .iter()
        .map(|s| format!("{} MB: {}", s.value, why_failed(s)))
        .collect();
    AnalysisError::AllFailed(reasons.join("; "))
}

/// Why a power value has no result: its error, or that no invocation gave a duration.
fn why_failed(s: &PowerStats) -> &str {
    s.error.as_deref().unwrap_or("no duration was measured")
}

/// The pick's cost and duration blended at the input's cold-start rate, and the rate at which
/// another power value within the budget would win.
fn blend_outcome(
    input: &ExecutionInput,
    sorted: &[PowerStats],
    decision: &Decision,
) -> Option<BlendOutcome> {
    let rate = input.cold_start_share()?;
    let best = &sorted[decision.pick];
    let (duration, cost) = best.blended(rate)?;
    let others: Vec<&PowerStats> = sorted
        .iter()
        .filter(|s| !decision.over_budget(s.value))
        .collect();
    Some(BlendOutcome {
        rate,
        measured: input
            .cold_start_rate
            .as_ref()
            .and_then(ColdStartRate::measured)
            .cloned(),
        cost,
        duration,
        crossing: crossing(input.strategy, best, &others, rate),
    })
}

/// Whether the Lambda prices the run was charged at are not all its region's own (an unknown
/// region, or a figure no source gives for it, such as an arm64 price): the function's region,
/// else the tool's.
fn lambda_price_notice(event: &AnalyzerEvent, tool_region: &str) -> Option<String> {
    let region = event.input.region.as_deref().unwrap_or(tool_region);
    let price = match &event.function {
        Some(f) => lambda_price(region, f.architecture).with_ephemeral_storage(
            f.ephemeral_storage_mb
                .unwrap_or(crate::pricing::FREE_EPHEMERAL_STORAGE_MB),
        ),
        None => lambda_price(region, Architecture::X86_64),
    };
    price.notice()
}

/// What the reader should know of the measurements: the power values that failed, a cold-start
/// rate that could not be applied, and warm starts an `onlyColdStarts` run kept or left out.
fn measurement_warnings(input: &ExecutionInput, sorted: &[PowerStats]) -> Vec<String> {
    let mut warnings: Vec<String> = sorted
        .iter()
        .filter(|s| !s.succeeded())
        .map(|s| format!("{} MB failed: {}", s.value, why_failed(s)))
        .collect();
    if input.cold_start_rate == Some(ColdStartRate::Auto) {
        warnings.push("coldStartRate \"auto\" was never read from the function's logs (the Initializer reads it on AWS): the power values are judged on every invocation, not blended.".to_string());
    }
    if let Some(rate) = input.cold_start_share() {
        warnings.extend(
            sorted
                .iter()
                .filter(|s| s.succeeded() && s.blended(rate).is_none())
                .map(|s| format!("{} MB has no warm and cold invocations apart (saved before they were kept, or all of one kind): it is judged on every invocation, not blended at coldStartRate {rate}.", s.value)),
        );
    }
    warnings.extend(warm_starts(sorted, input.only_cold_starts));
    warnings
}

/// What `onlyColdStarts` measured that was not a cold start: invocations left out because they
/// found a warm environment, or (when no cold one was left) kept but warm.
fn warm_starts(sorted: &[PowerStats], only_cold_starts: bool) -> Vec<String> {
    if !only_cold_starts {
        return Vec::new();
    }
    sorted
        .iter()
        .filter_map(|s| {
            if let Some(n) = s.warm_starts_left_out.filter(|&n| n > 0) {
                return Some(format!(
                    "{} MB: {n} invocations found a warm environment (an Executor retried after a failure invokes again aliases it had started) and are left out; its statistics are cold starts only.",
                    s.value
                ));
            }
            let (cold, all) = (s.cold_starts?, s.invocations?);
            (cold < all).then(|| {
                format!(
                    "{} MB: only {cold} of its {all} invocations were cold starts, though the run asked for cold starts only.",
                    s.value
                )
            })
        })
        .collect()
}

/// A month of `invocations` at each power value that succeeded, and the saving of the pick
/// against the function's current memory.
fn project(
    invocations: u64,
    event: &AnalyzerEvent,
    sorted: &[PowerStats],
    pick: u32,
    warnings: &mut Vec<String>,
) -> Projection {
    let n = invocations as f64;
    let request_price = request_price(event.input.region.as_deref());
    let monthly: Vec<MonthlyCost> = sorted
        .iter()
        .filter(|s| s.succeeded())
        .map(|s| MonthlyCost {
            value: s.value,
            cost: round_money((s.average_price + request_price) * n),
        })
        .collect();
    let cost_at = |m: u32| monthly.iter().find(|c| c.value == m).map(|c| c.cost);
    let saving = event.current_memory.and_then(|current| {
        let before = cost_at(current);
        if before.is_none() {
            warnings.push(format!(
                "The function's current memory ({current} MB) was not tuned, so the saving against it is unknown; add {current} to \"powerValues\" to see it."
            ));
        }
        let (before, after) = (before?, cost_at(pick)?);
        Some(Saving {
            amount: round_money(before - after),
            percent: if before > 0.0 {
                (before - after) / before * 100.0
            } else {
                0.0
            },
        })
    });
    Projection {
        monthly_invocations: invocations,
        request_price,
        monthly,
        current_memory: event.current_memory,
        saving,
    }
}

/// Rounds a product or difference of money to 1e-12, so float noise (0.00030000000000000003)
/// does not reach the document. Prices have finer digits than that (2.1e-9 x 1536 / 128 ...), so
/// sums of measured costs (`lambdaCost`) are never rounded.
fn round_money(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

/// What the Analyzer analyzes: the execution input, `stats` (one entry per power value) and
/// `publisherRounds` (how many Publisher invocations the run took; 1 when absent). The state
/// machine passes it in this shape; [`AnalyzerEvent::from_json`] also reads the reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzerEvent {
    /// The execution input, validated.
    pub input: ExecutionInput,
    /// One result per power value, as the Executors returned them.
    pub stats: Vec<PowerStats>,
    #[serde(default = "one_round", deserialize_with = "positive")]
    /// How many Publisher invocations the run took (it prices the execution).
    pub publisher_rounds: usize,
    #[serde(default = "one_round", deserialize_with = "positive")]
    /// How many Cleaner invocations the run took (it prices the execution).
    pub cleaner_rounds: usize,
    /// The run's sampling: its rounds price the execution, and an adaptive run's result says
    /// why it stopped. Absent in saved runs of the reference: one round of every power value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
    /// The function's memory before the run (the Initializer's record), MB: the projection's
    /// saving is against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_memory: Option<u32>,
    /// The tuned function as its prices depend on it (the Initializer's record, `$.function`):
    /// the result warns when a price it was charged at is not its region's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<PricedFunction>,
}

/// What of the tuned function its Lambda prices depend on, besides the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedFunction {
    /// The architecture it runs on.
    pub architecture: Architecture,
    /// Its ephemeral storage, MB (absent: 512, the free size).
    #[serde(default)]
    pub ephemeral_storage_mb: Option<u32>,
}

fn one_round() -> usize {
    1
}

/// A count of rounds: at least one, as [`AnalyzerEvent::from_json`] reads it too.
fn positive<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::custom("a run takes at least one round"));
    }
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
/// Why a saved Analyzer event cannot be read.
pub enum AnalyzerEventError {
    #[error(
        "The Analyzer event must be a JSON object with the execution input's fields and \"stats\"."
    )]
    /// The event is not a JSON object.
    NotAnObject,
    #[error("\"stats\" is missing: the Analyzer needs one result per power value.")]
    /// The event has no `stats`.
    NoStats,
    #[error("\"stats\" entry {index} is not a power value result ({reason}); each needs \"value\", \"averagePrice\", \"averageDuration\" and \"totalCost\".")]
    /// A `stats` entry is not a power value's result.
    BadStats {
        /// The entry's position in `stats`.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    #[error("\"publisherRounds\" must be a positive integer.")]
    /// `publisherRounds` is not a positive integer.
    BadPublisherRounds,
    #[error("\"{0}\" cannot be read: {1}")]
    /// Another field of the event cannot be read.
    BadField(&'static str, String),
    #[error(transparent)]
    /// The input's fields are invalid.
    Input(#[from] InputError),
}

impl AnalyzerEvent {
    /// Picks the optimal power value for the input's strategy and builds the result document.
    pub fn analyze(&self, env: &AnalysisEnv) -> Result<TuningResult, AnalysisError> {
        analyze(self, env)
    }

    /// A saved event: the state machine's shape (`{"input": {...}, "stats": [...]}`), or the
    /// reference's (the execution input's fields beside `stats`), whose input takes `defaults`.
    pub fn from_json(
        value: &Value,
        defaults: &Defaults,
    ) -> Result<AnalyzerEvent, AnalyzerEventError> {
        let mut object = value
            .as_object()
            .cloned()
            .ok_or(AnalyzerEventError::NotAnObject)?;
        let nested = object.remove("input");
        let stats = match object.remove("stats") {
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    serde_json::from_value::<PowerStats>(item).map_err(|e| {
                        AnalyzerEventError::BadStats {
                            index,
                            reason: e.to_string(),
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(AnalyzerEventError::BadStats {
                    index: 0,
                    reason: "\"stats\" is not a list".into(),
                })
            }
            None => return Err(AnalyzerEventError::NoStats),
        };
        let publisher_rounds = match object.remove("publisherRounds") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .filter(|&n| n >= 1)
                .map(|n| n as usize)
                .ok_or(AnalyzerEventError::BadPublisherRounds)?,
        };
        let cleaner_rounds = match object.remove("cleanerRounds") {
            None | Some(Value::Null) => 1,
            Some(v) => v.as_u64().filter(|&n| n >= 1).map(|n| n as usize).ok_or(
                AnalyzerEventError::BadField(
                    "cleanerRounds",
                    "it must be a positive integer".into(),
                ),
            )?,
        };
        // The state machine's sampling state, or a saved result's summary of it: either gives
        // the rounds that price the execution.
        let sampling = match object.remove("sampling") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<Sampling>(v)
                    .map_err(|e| AnalyzerEventError::BadField("sampling", e.to_string()))?,
            ),
        };
        let current_memory =
            match object.remove("currentMemory") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().and_then(|m| u32::try_from(m).ok()).ok_or_else(
                    || {
                        AnalyzerEventError::BadField(
                            "currentMemory",
                            format!("{v} is not a memory size in MB"),
                        )
                    },
                )?),
            };
        // The state's function snapshot; one saved before it had what prices depend on is
        // priced as x86_64 without extra storage, as before.
        let function = object
            .remove("function")
            .and_then(|v| serde_json::from_value::<PricedFunction>(v).ok());
        // A saved run without "powerValues" tuned exactly the values its stats list.
        let mut defaults = defaults.clone();
        if defaults.power_values.is_empty() {
            defaults.power_values = stats.iter().map(|s| s.value).collect();
        }
        let input = match nested {
            Some(input) => ExecutionInput::from_document(input, &defaults)?,
            None => ExecutionInput::from_json(&Value::Object(object), &defaults)?,
        };
        Ok(AnalyzerEvent {
            input,
            stats,
            publisher_rounds,
            cleaner_rounds,
            sampling,
            current_memory,
            function,
        })
    }
}

#[cfg(test)]
mod tests;
