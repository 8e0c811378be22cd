//! The analysis: from every power value's statistics to the recommendation and the result
//! document, for a strategy. The Analyzer step, local runs and `powertune analyze` all call
//! [`AnalyzerEvent::analyze`].

use crate::input::{Defaults, ExecutionInput, InputError};
use crate::output::{MonthlyCost, PowerStats, Projection, Saving, StateMachineCosts, TuningResult};
use crate::pricing::{
    request_price, step_functions_price, Currency, StateMachineRun, FALLBACK_REGION,
};
use crate::sampling::{Sampling, SamplingSummary};
use crate::stats::YuenTest;
use crate::strategy::{select, BalancedScore, Candidate, Strategy};
use crate::visualization::{self, Point, DEFAULT_BASE_URL};
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

/// How to analyze a run's statistics.
#[derive(Debug, Clone)]
struct AnalysisOptions {
    pub strategy: Strategy,
    pub balanced_weight: f64,
    pub include_output_results: bool,
    /// The region the tool runs in: it prices the Step Functions execution and picks the
    /// currency. `None` means unknown, priced as us-east-1 with a warning.
    pub region: Option<String>,
    pub visualization_base_url: String,
    /// How many Publisher invocations the run needed.
    pub publisher_rounds: usize,
    /// How many Cleaner invocations the run needed.
    pub cleaner_rounds: usize,
    /// How many power values each sampling round invoked.
    pub rounds: Vec<usize>,
    /// What an adaptive run's sampling did.
    pub sampling: Option<SamplingSummary>,
    /// `monthlyInvocations`, for the projection.
    pub monthly_invocations: Option<u64>,
    /// The request charge of one invocation in the function's region.
    pub request_price: f64,
    /// The function's memory before the run, MB.
    pub current_memory: Option<u32>,
    /// Decide with the per-invocation samples (Yuen's test) where every result has them.
    pub statistical_ties: bool,
    /// The trimming of the averages, which the test applies too.
    pub discard_top_bottom: f64,
    /// `onlyColdStarts`: say which power values measured warm invocations.
    pub only_cold_starts: bool,
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
fn analyze(stats: &[PowerStats], options: &AnalysisOptions) -> Result<TuningResult, AnalysisError> {
    if stats.is_empty() {
        return Err(AnalysisError::NoStats);
    }
    let mut sorted = stats.to_vec();
    sorted.sort_by_key(|s| s.value);
    let measured: Vec<Measured> = sorted.iter().map(Measured::of).collect();
    let rule = Rule {
        strategy: options.strategy,
        balanced_weight: options.balanced_weight,
        discard_top_bottom: options.discard_top_bottom,
        statistical_ties: options.statistical_ties,
    };
    let Some(decision) = rule.decide(&measured) else {
        let reasons: Vec<String> = sorted
            .iter()
            .map(|s| {
                format!(
                    "{} MB: {}",
                    s.value,
                    s.error.as_deref().unwrap_or("no duration was measured")
                )
            })
            .collect();
        return Err(AnalysisError::AllFailed(reasons.join("; ")));
    };
    let explained = decision
        .ties
        .as_ref()
        .map(|ties| explain(&rule, &measured, &sorted, &decision, ties));
    let best = &sorted[decision.pick];

    let mut warnings = Vec::new();
    let region = match &options.region {
        Some(r) => r.as_str(),
        None => {
            warnings.push(format!(
                "The tool's region is unknown; the execution cost uses {FALLBACK_REGION} prices."
            ));
            FALLBACK_REGION
        }
    };
    let transition_price = step_functions_price(region);
    if options.region.is_some() {
        warnings.extend(transition_price.notice());
    }
    let failed: Vec<String> = sorted
        .iter()
        .filter(|s| !s.succeeded())
        .map(|s| {
            format!(
                "{} MB failed: {}",
                s.value,
                s.error.as_deref().unwrap_or("no duration was measured")
            )
        })
        .collect();
    warnings.extend(failed);
    warnings.extend(warm_starts(&sorted, options.only_cold_starts));
    let projection = options
        .monthly_invocations
        .map(|n| project(n, options, &sorted, best.value, &mut warnings));

    let run = StateMachineRun {
        rounds: options.rounds.clone(),
        publisher_rounds: options.publisher_rounds,
        cleaner_rounds: options.cleaner_rounds,
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
            visualization: visualization::encode(&points, &options.visualization_base_url, region),
        },
        // With their samples, so that a saved result can be analyzed (and its ties tested)
        // again, and a report can show every invocation.
        stats: options.include_output_results.then(|| stats.to_vec()),
        strategy: options.strategy,
        balanced_weight: (options.strategy == Strategy::Balanced)
            .then_some(options.balanced_weight),
        currency: Currency::of_region(region),
        warnings,
        equivalent: decision
            .ties
            .as_ref()
            .map(|t| t.equivalent.iter().map(|&i| sorted[i].value).collect()),
        decision: explained,
        sampling: options.sampling.clone(),
        projection,
    })
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
    options: &AnalysisOptions,
    sorted: &[PowerStats],
    pick: u32,
    warnings: &mut Vec<String>,
) -> Projection {
    let n = invocations as f64;
    let monthly: Vec<MonthlyCost> = sorted
        .iter()
        .filter(|s| s.succeeded())
        .map(|s| MonthlyCost {
            value: s.value,
            cost: round_money((s.average_price + options.request_price) * n),
        })
        .collect();
    let cost_at = |m: u32| monthly.iter().find(|c| c.value == m).map(|c| c.cost);
    let saving = options.current_memory.and_then(|current| {
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
        request_price: options.request_price,
        monthly,
        current_memory: options.current_memory,
        saving,
    }
}

/// One power value as the decision sees it: its averages and, where it has them, its
/// per-invocation costs and durations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measured {
    pub candidate: Candidate,
    /// Each sampled invocation's cost and duration; `None` without samples.
    pub samples: Option<(Vec<f64>, Vec<f64>)>,
}

impl Measured {
    pub fn of(stats: &PowerStats) -> Measured {
        Measured {
            candidate: Candidate {
                power: stats.value,
                cost: stats.average_price,
                duration: stats.average_duration,
                succeeded: stats.succeeded(),
            },
            samples: stats
                .samples
                .as_ref()
                .map(|s| (s.costs(), s.durations.clone())),
        }
    }
}

/// Power values whose trimmed means are this close (a share of the best's) are tied even when
/// the test can tell them apart: a difference too small to act on.
pub const TIE_MARGIN: f64 = 0.02;

/// How a strategy decides: the strategy, its weight, the trimming the averages and the test
/// share, and whether ties are statistical.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rule {
    pub strategy: Strategy,
    pub balanced_weight: f64,
    pub discard_top_bottom: f64,
    pub statistical_ties: bool,
}

/// What the rule decided, as indices into the power values it was given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// The best by the averages alone (the reference's pick).
    pub best: usize,
    /// The recommendation.
    pub pick: usize,
    /// How statistical ties led from `best` to `pick`; `None` when the averages alone decide.
    pub ties: Option<Ties>,
}

/// The statistical ties behind a decision.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ties {
    /// Tied with the best on the strategy's measure (Yuen's test, 95%), the best included.
    pub equivalent: Vec<usize>,
    /// For cost and speed: the best of `equivalent` on the tie-break measure (duration for
    /// cost, cost for speed), and those of `equivalent` tied with it on that measure. The
    /// smallest of these is the pick. For balanced, the same as `equivalent`.
    pub leader: usize,
    /// See `leader`.
    pub tied_leaders: Vec<usize>,
}

/// The measures a decision compares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Measure {
    Cost,
    Duration,
    Score,
}

impl Rule {
    /// The decision over `measured`, or `None` when no power value can be recommended.
    ///
    /// Without statistical ties (or without samples) it is the reference's: the best by the
    /// averages. With them, the power values tied with that best on the strategy's measure are
    /// `equivalent`, and the tie rules pick among them, each also up to the noise: cost ties
    /// go to the fastest, speed ties to the cheapest, and a tie on that too (or a balanced
    /// tie) to the least memory.
    pub fn decide(&self, measured: &[Measured]) -> Option<Decision> {
        let candidates: Vec<Candidate> = measured.iter().map(|m| m.candidate).collect();
        let best = select(self.strategy, self.balanced_weight, &candidates)?;
        let reference = Decision {
            best,
            pick: best,
            ties: None,
        };
        if !self.statistical_ties {
            return Some(reference);
        }
        let usable: Vec<usize> = (0..measured.len())
            .filter(|&i| candidates[i].usable())
            .collect();
        if usable.iter().any(|&i| measured[i].samples.is_none()) {
            return Some(reference);
        }
        let balanced = BalancedScore::of(self.balanced_weight, &candidates);
        let values = |i: usize, measure: Measure| -> Vec<f64> {
            let (costs, durations) = measured[i].samples.clone().unwrap_or_default();
            match measure {
                Measure::Cost => costs,
                Measure::Duration => durations,
                Measure::Score => costs
                    .iter()
                    .zip(&durations)
                    .map(|(&c, &d)| balanced.score(c, d))
                    .collect(),
            }
        };
        let tied_with = |reference: usize, among: &[usize], measure: Measure| -> Vec<usize> {
            let base = values(reference, measure);
            among
                .iter()
                .copied()
                .filter(|&i| {
                    i == reference
                        || YuenTest::run(&base, &values(i, measure), self.discard_top_bottom)
                            .is_some_and(|t| t.tied_within(TIE_MARGIN))
                })
                .collect()
        };
        let (primary, tie_break) = match self.strategy {
            Strategy::Cost => (Measure::Cost, Some((Measure::Duration, Strategy::Speed))),
            Strategy::Speed => (Measure::Duration, Some((Measure::Cost, Strategy::Cost))),
            Strategy::Balanced => (Measure::Score, None),
        };
        let equivalent = tied_with(best, &usable, primary);
        let (leader, tied_leaders) = match tie_break {
            Some((measure, order)) => {
                let among: Vec<Candidate> = equivalent.iter().map(|&i| candidates[i]).collect();
                let leader = equivalent[select(order, 0.0, &among)?];
                (leader, tied_with(leader, &equivalent, measure))
            }
            None => (equivalent[0], equivalent.clone()),
        };
        // Indices follow the power values' order, so the first is the least memory.
        let pick = *tied_leaders.iter().min_by_key(|&&i| candidates[i].power)?;
        Some(Decision {
            best,
            pick,
            ties: Some(Ties {
                equivalent,
                leader,
                tied_leaders,
            }),
        })
    }

    /// The value of the strategy's measure a power value's averages give.
    pub fn point(&self, candidates: &[Candidate], i: usize) -> f64 {
        let c = &candidates[i];
        match self.strategy {
            Strategy::Cost => c.cost,
            Strategy::Speed => c.duration,
            Strategy::Balanced => {
                BalancedScore::of(self.balanced_weight, candidates).score(c.cost, c.duration)
            }
        }
    }
}

/// The largest relative difference of `members`' averages from `base`'s on `measure`, %.
fn spread(values: &[f64], base: usize, members: &[usize]) -> f64 {
    let b = values[base];
    members
        .iter()
        .map(|&i| {
            if b > 0.0 {
                (values[i] - b).abs() / b
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max)
        * 100.0
}

/// One sentence on why the pick: what is tied with the best, and which tie rule chose.
fn explain(
    rule: &Rule,
    measured: &[Measured],
    sorted: &[PowerStats],
    decision: &Decision,
    ties: &Ties,
) -> String {
    let candidates: Vec<Candidate> = measured.iter().map(|m| m.candidate).collect();
    let usable: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].usable())
        .collect();
    let points: Vec<f64> = (0..candidates.len())
        .map(|i| rule.point(&candidates, i))
        .collect();
    let p = sorted[decision.pick].value;
    let names = power_list(sorted, &usable, &ties.equivalent);
    let within = spread(&points, decision.best, &ties.equivalent);
    if ties.equivalent.len() == 1 {
        return match rule.strategy {
            Strategy::Cost => format!("{p} MB is the cheapest beyond the noise of every other power value (Yuen's test, 95%)."),
            Strategy::Speed => format!("{p} MB is the fastest beyond the noise of every other power value (Yuen's test, 95%)."),
            Strategy::Balanced => format!("{p} MB has the best balance beyond the noise of every other power value (Yuen's test, 95%)."),
        };
    }
    let tied = match rule.strategy {
        Strategy::Cost => format!("{names} MB cost the same within the noise (Yuen's test, 95%; their averages are up to {within:.1}% apart)"),
        Strategy::Speed => format!("{names} MB are equally fast within the noise (Yuen's test, 95%; their averages are up to {within:.1}% apart)"),
        Strategy::Balanced => {
            return format!("{names} MB score the same within the noise (Yuen's test, 95%; their averages are up to {within:.1}% apart); {p} MB is the smallest of them.")
        }
    };
    let (adjective, tie_break): (&str, Vec<f64>) = match rule.strategy {
        Strategy::Cost => ("fastest", candidates.iter().map(|c| c.duration).collect()),
        _ => ("cheapest", candidates.iter().map(|c| c.cost).collect()),
    };
    if ties.tied_leaders.len() == 1 {
        return format!("{tied}; {p} MB is the {adjective} of them.");
    }
    let leaders = power_list(sorted, &ties.equivalent, &ties.tied_leaders);
    let close = spread(&tie_break, ties.leader, &ties.tied_leaders);
    format!("{tied}; {leaders} MB are the {adjective} of them within the noise (their averages are up to {close:.1}% apart), and {p} MB uses the least memory.")
}

/// `128–1024` when `chosen` are consecutive among the usable power values, else
/// `128, 512 and 1024`.
fn power_list(sorted: &[PowerStats], usable: &[usize], chosen: &[usize]) -> String {
    let values: Vec<u32> = chosen.iter().map(|&i| sorted[i].value).collect();
    let positions: Vec<usize> = chosen
        .iter()
        .filter_map(|i| usable.iter().position(|u| u == i))
        .collect();
    let consecutive = positions.windows(2).all(|w| w[1] == w[0] + 1);
    match values.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] if consecutive && values.len() > 2 => format!("{first}–{last}"),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
    #[serde(default = "one_round")]
    /// How many Publisher invocations the run took (it prices the execution).
    pub publisher_rounds: usize,
    #[serde(default = "one_round")]
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
}

fn one_round() -> usize {
    1
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
        analyze(
            &self.stats,
            &AnalysisOptions {
                strategy: self.input.strategy,
                balanced_weight: self.input.balanced_weight,
                include_output_results: self.input.include_output_results,
                region: env.region.clone(),
                visualization_base_url: env.visualization_base_url.clone(),
                publisher_rounds: self.publisher_rounds.max(1),
                cleaner_rounds: self.cleaner_rounds.max(1),
                rounds: self
                    .sampling
                    .as_ref()
                    .map(|s| s.rounds.iter().map(|&n| n as usize).collect::<Vec<_>>())
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| vec![self.stats.len()]),
                sampling: self
                    .sampling
                    .as_ref()
                    .and_then(|s| s.summary(&self.input, &self.stats)),
                monthly_invocations: self.input.monthly_invocations,
                request_price: request_price(self.input.region.as_deref()),
                current_memory: self.current_memory,
                statistical_ties: self.input.statistical_ties,
                discard_top_bottom: self.input.discard_top_bottom,
                only_cold_starts: self.input.only_cold_starts,
            },
        )
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stat(value: u32, price: f64, duration: f64) -> PowerStats {
        PowerStats {
            value,
            average_price: price,
            average_duration: duration,
            total_cost: price * 10.0,
            duration_stats: None,
            invocations: None,
            errors: None,
            max_memory_used_mb: None,
            cold_starts: None,
            error: None,
            samples: None,
            stop_reason: None,
            warm_starts_left_out: None,
        }
    }

    fn example() -> Vec<PowerStats> {
        vec![
            stat(1024, 4.2e-7, 25.0),
            stat(128, 2.1e-7, 100.5),
            stat(512, 2.52e-7, 30.0),
            stat(256, 2.1e-7, 50.25),
        ]
    }

    fn options(strategy: Strategy, w: f64) -> AnalysisOptions {
        AnalysisOptions {
            strategy,
            balanced_weight: w,
            include_output_results: false,
            region: Some("eu-west-1".into()),
            visualization_base_url: visualization::DEFAULT_BASE_URL.into(),
            publisher_rounds: 1,
            cleaner_rounds: 1,
            rounds: vec![4],
            sampling: None,
            monthly_invocations: None,
            request_price: 2e-7,
            current_memory: None,
            statistical_ties: true,
            discard_top_bottom: 0.2,
            only_cold_starts: false,
        }
    }

    /// A power value measured `durations` (ms), each billed as its ceiling at `price_per_ms`.
    fn sampled(value: u32, durations: &[f64], price_per_ms: f64) -> PowerStats {
        let billed: Vec<u32> = durations.iter().map(|d| d.ceil() as u32).collect();
        let costs: Vec<f64> = billed
            .iter()
            .map(|&b| f64::from(b) * price_per_ms)
            .collect();
        PowerStats {
            samples: Some(crate::output::Samples {
                durations: durations.to_vec(),
                billed,
                price_per_ms,
                cold: Vec::new(),
            }),
            total_cost: costs.iter().sum(),
            ..stat(
                value,
                crate::stats::trimmed_mean(&costs, 0.2),
                crate::stats::trimmed_mean(durations, 0.2),
            )
        }
    }

    /// Ten durations around `center` with a spread of +-`spread`, the same pattern each time.
    fn around(center: f64, spread: f64) -> Vec<f64> {
        [-1.0, 0.8, -0.3, 0.5, 0.1, -0.7, 0.9, -0.5, 0.2, -0.1]
            .iter()
            .map(|k| center + k * spread)
            .collect()
    }

    #[test]
    fn costs_equal_within_noise_are_tied_and_the_fastest_of_them_wins() {
        // Price per ms doubles with memory and durations halve: the same cost at every size.
        let stats = vec![
            sampled(128, &around(400.0, 40.0), 1e-9),
            sampled(256, &around(200.0, 20.0), 2e-9),
            sampled(512, &around(100.0, 10.0), 4e-9),
            sampled(1024, &around(80.0, 5.0), 8e-9), // 60% dearer: out of the tie
        ];
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.equivalent, Some(vec![128, 256, 512]));
        assert_eq!(r.power, 512, "the fastest of the tied");
        assert_eq!(r.duration, stats[2].average_duration);
        let decision = r.decision.unwrap();
        assert!(
            decision.starts_with("128–512 MB cost the same within the noise (Yuen's test, 95%; their averages are up to ")
                && decision.ends_with("512 MB is the fastest of them."),
            "{decision}"
        );

        // Decided on the averages alone, the pick is whichever is cheapest by a hair.
        let mut exact = options(Strategy::Cost, 0.5);
        exact.statistical_ties = false;
        let r = analyze(&stats, &exact).unwrap();
        assert_eq!((r.equivalent, r.decision), (None, None));
    }

    #[test]
    fn a_tie_on_the_tie_break_measure_goes_to_the_least_memory() {
        // Single-threaded CPU-bound: 1769 and 3008 MB are equally fast, and 3008 MB costs too
        // little more for ten noisy invocations to tell. Cost ties go to the fastest, and the
        // two fastest are tied on speed too, so the smaller wins, every time.
        let stats = vec![
            sampled(128, &around(553.0, 60.0), 1e-9),
            sampled(1024, &around(70.0, 8.0), 8e-9),
            sampled(1769, &around(40.0, 4.0), 13.8e-9),
            sampled(3008, &around(40.2, 4.0), 14.2e-9),
        ];
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.equivalent, Some(vec![128, 1024, 1769, 3008]));
        assert_eq!(r.power, 1769);
        let decision = r.decision.unwrap();
        assert!(
            decision.ends_with("1769 and 3008 MB are the fastest of them within the noise (their averages are up to 0.5% apart), and 1769 MB uses the least memory."),
            "{decision}"
        );
        // With 3008 MB clearly faster, it is the pick.
        let mut faster = stats.clone();
        faster[3] = sampled(3008, &around(24.0, 1.0), 23.5e-9);
        assert_eq!(
            analyze(&faster, &options(Strategy::Cost, 0.5))
                .unwrap()
                .power,
            3008
        );
    }

    #[test]
    fn means_within_the_tie_margin_are_tied_however_many_samples_tell_them_apart() {
        // 1% apart, with so little noise that the test alone would separate them.
        let stats = vec![
            sampled(512, &around(100.0, 0.01), 2e-9),
            sampled(1024, &around(50.5, 0.01), 4e-9),
        ];
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.equivalent, Some(vec![512, 1024]));
        assert_eq!(r.power, 1024);
        // 5% apart is beyond the margin.
        let apart = vec![
            sampled(512, &around(100.0, 0.01), 2e-9),
            sampled(1024, &around(52.5, 0.01), 4e-9),
        ];
        let r = analyze(&apart, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!((r.power, r.equivalent), (512, Some(vec![512])));
    }

    #[test]
    fn clearly_separated_results_are_not_tied() {
        let stats = vec![
            sampled(128, &around(100.0, 2.0), 1e-9),
            sampled(256, &around(100.0, 2.0), 2e-9),
            sampled(512, &around(100.0, 2.0), 4e-9),
        ];
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!((r.power, r.equivalent), (128, Some(vec![128])));
        assert!(r.decision.unwrap().contains("cheapest beyond the noise"));
        // For speed they are all tied, and the cheapest of them wins.
        let r = analyze(&stats, &options(Strategy::Speed, 0.5)).unwrap();
        assert_eq!(r.equivalent, Some(vec![128, 256, 512]));
        assert_eq!(r.power, 128);
        assert!(r.decision.unwrap().contains("are equally fast"));
    }

    #[test]
    fn without_samples_the_decision_is_the_references() {
        let r = analyze(&example(), &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!((r.equivalent, r.decision), (None, None));
        // One result without samples among sampled ones: the averages decide.
        let mut stats = vec![
            sampled(128, &around(100.0, 2.0), 1e-9),
            sampled(256, &around(100.0, 2.0), 2e-9),
        ];
        stats[1].samples = None;
        assert_eq!(
            analyze(&stats, &options(Strategy::Cost, 0.5))
                .unwrap()
                .equivalent,
            None
        );
    }

    #[test]
    fn power_lists_read_as_ranges_or_lists() {
        let stats: Vec<PowerStats> = [128, 256, 512, 1024]
            .iter()
            .map(|&v| stat(v, 1.0, 1.0))
            .collect();
        let usable = [0, 1, 2, 3];
        assert_eq!(power_list(&stats, &usable, &[0, 1, 2]), "128–512");
        assert_eq!(power_list(&stats, &usable, &[0, 2]), "128 and 512");
        assert_eq!(power_list(&stats, &usable, &[0, 1, 3]), "128, 256 and 1024");
        assert_eq!(power_list(&stats, &usable, &[3]), "1024");
    }

    proptest::proptest! {
        /// The same distribution at every power value (same durations and prices) is one
        /// equivalent set, whatever the durations, and the pick is in it.
        #[test]
        fn identical_distributions_are_one_equivalent_set(
            durations in proptest::collection::vec(1.0f64..500.0, 5..30),
            count in 2usize..6,
            strategy in proptest::sample::select(vec![Strategy::Cost, Strategy::Speed, Strategy::Balanced]),
        ) {
            let stats: Vec<PowerStats> = (0..count)
                .map(|k| sampled(128 * (k as u32 + 1), &durations, 1e-9))
                .collect();
            let r = analyze(&stats, &options(strategy, 0.5)).unwrap();
            let all: Vec<u32> = stats.iter().map(|s| s.value).collect();
            proptest::prop_assert_eq!(r.equivalent.clone(), Some(all.clone()));
            proptest::prop_assert!(all.contains(&r.power));
        }
    }

    #[test]
    fn analysis_picks_per_strategy_and_prices_the_run() {
        let r = analyze(&example(), &options(Strategy::Balanced, 0.5)).unwrap();
        assert_eq!((r.power, r.cost, r.duration), (512, 2.52e-7, 30.0));
        assert!(
            (r.state_machine.lambda_cost - 10.0 * (4.2e-7 + 2.1e-7 + 2.52e-7 + 2.1e-7)).abs()
                < 1e-18
        );
        // 4 power values in one round, 1 publisher round: 5 + 2 + (3 + 4) = 14 transitions at
        // $0.000025
        assert!((r.state_machine.execution_cost - 14.0 * 0.000025).abs() < 1e-15);
        assert_eq!(r.stats, None);
        assert_eq!(r.balanced_weight, Some(0.5));
        assert!(r.warnings.is_empty());
        let back = visualization::decode(&r.state_machine.visualization).unwrap();
        assert_eq!(
            back.iter().map(|p| p.power).collect::<Vec<_>>(),
            vec![128, 256, 512, 1024]
        );
        assert_eq!(
            analyze(&example(), &options(Strategy::Cost, 0.5))
                .unwrap()
                .power,
            256
        );
        assert_eq!(
            analyze(&example(), &options(Strategy::Speed, 0.5))
                .unwrap()
                .power,
            1024
        );
    }

    #[test]
    fn lambda_cost_is_the_unrounded_sum_in_the_events_order() {
        // Prices have digits below 1e-12 (x86 at 1536 MB: 2.1e-9 x 12 per ms), so a rounded
        // sum would drop part of the run's cost.
        let mut stats = example();
        stats[0].total_cost = 1.234_567_890_123_4e-9;
        stats[1].total_cost = 2.2e-13;
        let expected: f64 = stats.iter().map(|s| s.total_cost).sum();
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.state_machine.lambda_cost, expected);
        assert_ne!(r.state_machine.lambda_cost, round_money(expected));
    }

    #[test]
    fn a_projection_prices_a_month_and_the_saving_over_the_current_memory() {
        let mut o = options(Strategy::Cost, 0.5);
        o.monthly_invocations = Some(1_000_000);
        o.current_memory = Some(1024);
        let r = analyze(&example(), &o).unwrap();
        assert_eq!(r.power, 256);
        let p = r.projection.unwrap();
        assert_eq!(p.monthly.len(), 4);
        // 256 MB: (2.1e-7 + 2e-7 requests) x 1M = 0.41; 1024 MB: (4.2e-7 + 2e-7) x 1M = 0.62.
        let month = |v: u32| p.monthly.iter().find(|m| m.value == v).unwrap().cost;
        assert!((month(256) - 0.41).abs() < 1e-9 && (month(1024) - 0.62).abs() < 1e-9);
        let saving = p.saving.unwrap();
        assert!((saving.amount - 0.21).abs() < 1e-9, "{saving:?}");
        assert!((saving.percent - 0.21 / 0.62 * 100.0).abs() < 1e-9);
        assert_eq!(p.current_memory, Some(1024));

        // A current memory that was not tuned: no saving, and a warning that says what to add.
        o.current_memory = Some(1536);
        let r = analyze(&example(), &o).unwrap();
        assert_eq!(r.projection.unwrap().saving, None);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("(1536 MB) was not tuned") && w.contains("add 1536")),
            "{:?}",
            r.warnings
        );
        // Without monthlyInvocations there is no projection.
        assert_eq!(
            analyze(&example(), &options(Strategy::Cost, 0.5))
                .unwrap()
                .projection,
            None
        );
    }

    #[test]
    fn a_saved_run_analyzes_again_to_the_same_result() {
        let input = ExecutionInput::from_json(
            &json!({"lambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:f", "num": 10,
                    "powerValues": [128, 256, 512, 1024], "includeOutputResults": true,
                    "adaptive": true, "monthlyInvocations": 5000}),
            &Defaults::default(),
        )
        .unwrap();
        let stats = vec![
            sampled(128, &around(400.0, 40.0), 1e-9),
            sampled(256, &around(200.0, 20.0), 2e-9),
            sampled(512, &around(100.0, 10.0), 4e-9),
            sampled(1024, &around(80.0, 5.0), 8e-9),
        ];
        let sampling = Sampling {
            values: Vec::new(),
            first: 10,
            count: 0,
            rounds: vec![4, 3],
            settled: true,
            reason: Some("The decision was settled.".into()),
        };
        let event = AnalyzerEvent {
            input: input.clone(),
            stats: stats.clone(),
            publisher_rounds: 2,
            cleaner_rounds: 1,
            sampling: Some(sampling),
            current_memory: Some(512),
        };
        let env = AnalysisEnv::new(Some("eu-west-1".into()), None);
        let first = event.analyze(&env).unwrap();
        let saved = crate::output::SavedRun {
            result: first.clone(),
            input,
            publisher_rounds: 2,
            current_memory: Some(512),
        };
        let document = serde_json::to_value(&saved).unwrap();
        // The result document's keys stay at the top, as the state machine returns them.
        assert!(document["power"].is_u64() && document["input"]["adaptive"] == true);
        let again = AnalyzerEvent::from_json(&document, &Defaults::default()).unwrap();
        assert_eq!(
            again.stats, stats,
            "the samples come back, so ties are tested again"
        );
        let second = again.analyze(&env).unwrap();
        assert_eq!(second, first);
    }

    #[test]
    fn the_result_uses_the_reference_key_names() {
        let mut o = options(Strategy::Cost, 0.5);
        o.include_output_results = true;
        let v = serde_json::to_value(analyze(&example(), &o).unwrap()).unwrap();
        for key in [
            "power",
            "cost",
            "duration",
            "stateMachine",
            "stats",
            "strategy",
            "currency",
        ] {
            assert!(v.get(key).is_some(), "{key} in {v}");
        }
        for key in ["executionCost", "lambdaCost", "visualization"] {
            assert!(v["stateMachine"].get(key).is_some(), "{key}");
        }
        assert_eq!(v["stats"].as_array().unwrap().len(), 4);
        assert_eq!(v["stats"][0]["averagePrice"], json!(4.2e-7));
        assert!(v.get("warnings").is_none());
        assert!(v.get("balancedWeight").is_none());
    }

    #[test]
    fn failed_power_values_are_reported_not_dropped() {
        let mut s = example();
        s.push(PowerStats::failed(64, "Runtime.OutOfMemory"));
        let r = analyze(&s, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.power, 256);
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("64 MB failed: Runtime.OutOfMemory")));
        let all_failed = vec![
            PowerStats::failed(128, "boom"),
            PowerStats::failed(256, "bang"),
        ];
        let err = analyze(&all_failed, &options(Strategy::Cost, 0.5)).unwrap_err();
        assert!(err.to_string().contains("128 MB: boom; 256 MB: bang"));
        assert_eq!(
            analyze(&[], &options(Strategy::Cost, 0.5)),
            Err(AnalysisError::NoStats)
        );
    }

    #[test]
    fn unknown_regions_are_priced_as_us_east_1_with_a_warning() {
        let mut o = options(Strategy::Cost, 0.5);
        o.region = Some("mars-north-1".into());
        let r = analyze(&example(), &o).unwrap();
        assert!(r.warnings[0].contains("mars-north-1"));
        o.region = None;
        assert!(analyze(&example(), &o).unwrap().warnings[0].contains("unknown"));
        o.region = Some("cn-north-1".into());
        let r = analyze(&example(), &o).unwrap();
        assert_eq!(r.currency, Currency::Cny);
        assert!(r.state_machine.visualization.contains("?currency=CNY#"));
    }

    #[test]
    fn analyzer_events_are_the_input_plus_stats() {
        let event = json!({
            "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "num": 10, "strategy": "speed",
            "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}],
            "publisherRounds": 2
        });
        let e = AnalyzerEvent::from_json(
            &event,
            &Defaults {
                power_values: vec![128],
                region: None,
            },
        )
        .unwrap();
        assert_eq!(e.input.strategy, Strategy::Speed);
        assert_eq!(e.stats[0].value, 128);
        assert_eq!(e.publisher_rounds, 2);

        let no_stats = json!({"lambdaARN": "f", "num": 10});
        assert!(matches!(
            AnalyzerEvent::from_json(&no_stats, &Defaults::default()),
            Err(AnalyzerEventError::NoStats)
        ));
        // The state machine's shape, as a step's history shows it: the input nested, with the
        // rest of the state beside it.
        let state = json!({
            "input": {"lambdaARN": "f", "num": 10, "powerValues": [128], "strategy": "speed", "region": "eu-west-1"},
            "function": {"arn": "x"}, "runId": "abc",
            "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}]
        });
        let e = AnalyzerEvent::from_json(&state, &Defaults::default()).unwrap();
        assert_eq!((e.input.strategy, e.publisher_rounds), (Strategy::Speed, 1));
        assert_eq!(e.input.region.as_deref(), Some("eu-west-1"));
        let r = e.analyze(&AnalysisEnv::new(None, None)).unwrap();
        assert_eq!(r.power, 128);
        assert!(r.state_machine.visualization.starts_with(DEFAULT_BASE_URL));

        let bad = json!({"lambdaARN": "f", "num": 10, "stats": [{"value": 128}]});
        let err = AnalyzerEvent::from_json(&bad, &Defaults::default()).unwrap_err();
        assert!(err.to_string().contains("entry 0"), "{err}");
    }
}
