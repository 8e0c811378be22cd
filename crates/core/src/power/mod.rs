//! One power value's statistics: what the Executor reports after invoking it, and what every
//! later step reads (the decision, the warm-up test, the cold-start blend, the reports). Its
//! samples keep each invocation's duration and cost, which invocations were cold starts and
//! which warm-ups, so that the averages can always be recomputed from them.

mod cold;
#[cfg(test)]
mod tests;

use crate::failure::Failures;
use crate::pricing::LambdaPrice;
use crate::report_line::Report;
use crate::stats::{summarize, trimmed_mean, Summary};
use cold::phases_apart;
pub use cold::{ColdStarts, Warm, WarmUp};
use serde::{Deserialize, Serialize};

/// The result of invoking one power value `num` times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PowerStats {
    /// The power value, MB.
    pub value: u32,
    /// Trimmed mean cost of one invocation (duration charge only), over the steady warm
    /// invocations: cold starts and warm-ups are kept apart (`cold`, `warmUp`), unless there
    /// is nothing else.
    pub average_price: f64,
    /// Trimmed mean duration of one invocation, ms (Duration + Init + Restore), over the same
    /// invocations as `averagePrice`.
    pub average_duration: f64,
    /// Duration charge of every measured invocation together.
    pub total_cost: f64,
    /// Distribution of the durations the averages are of: percentiles, spread, 95% interval of
    /// the trimmed mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_stats: Option<Summary>,
    /// Invocations whose duration was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocations: Option<u32>,
    /// Invocations that returned an error listed in `allowedExceptions` (measured all the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u32>,
    #[serde(
        default,
        rename = "maxMemoryUsedMB",
        skip_serializing_if = "Option::is_none"
    )]
    /// The most memory any invocation used, MB.
    pub max_memory_used_mb: Option<u32>,
    /// Invocations that reported an Init or Restore Duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_starts: Option<u32>,
    /// Ours: the cold starts apart (how many, their mean Init Duration, duration and cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold: Option<ColdStarts>,
    /// Ours: the steady warm invocations apart (trimmed means), when some invocations were cold
    /// starts or warm-ups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm: Option<Warm>,
    /// Ours: the warm-up invocations apart (each environment's first warm invocations, when the
    /// function warms up: [`crate::warm_up`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_up: Option<WarmUp>,
    /// Why this power value has no result: every invocation failed, or one failed in a way
    /// `powerValueFailures` counts against the power value (then [`Failures::describe`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Ours: the function errors that failed this power value (type, first message, how many
    /// of the invocations made failed), when `powerValueFailures` covers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<Failures>,
    /// Per-invocation measurements, which the analysis tests for statistical ties. Absent in a
    /// result document and in the reference's statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<Samples>,
    /// Ours, with adaptive sampling: why this power value got no more invocations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// Ours, with `onlyColdStarts`: invocations that found a warm environment (an Executor
    /// retried after a failure re-invokes aliases it had already started), left out of these
    /// statistics so that every one is a cold start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_starts_left_out: Option<u32>,
}

/// Why adaptive sampling gave a power value no more invocations. In JSON an object with a
/// `kind` and the figures; [`std::fmt::Display`] renders the sentence the reports show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum StopReason {
    /// Left the running before the others: neither the pick, nor as good as the best, nor
    /// undecided.
    OutOfRunning {
        /// Its invocations when it left.
        after: u32,
        /// Why, in the decision's terms ("it costs 1.20–1.31x as much as 512 MB (95% bootstrap
        /// interval)").
        why: String,
    },
    /// The decision was settled for every power value still running.
    Settled {
        /// Invocations per power value at that point.
        after: u32,
    },
    /// Every power value still running reached `num` before the decision was settled.
    ReachedNum {
        /// The input's `num`.
        num: u32,
    },
    /// No power value has a result to recommend; more invocations would not change that.
    NothingToRecommend,
    /// The power value failed (its `error` says how): it gets no more invocations.
    Failed {
        /// Its invocations before the round that failed it.
        after: u32,
    },
}

impl StopReason {
    /// Whether the power value left the running before sampling ended for the rest.
    pub fn is_out_of_running(&self) -> bool {
        matches!(self, StopReason::OutOfRunning { .. })
    }
}

/// The most invocations a power value keeps as [`Samples`]: enough for a test between power
/// values, and small enough that a run's state stays under Step Functions' 256 KB.
pub const MAX_SAMPLES: usize = 50;

/// Per-invocation measurements of one power value, at most [`MAX_SAMPLES`] of them, evenly
/// spaced over its invocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Samples {
    /// Each invocation's duration, ms (Duration + Init + Restore), to 0.01 ms.
    pub durations: Vec<f64>,
    /// Each invocation's billed milliseconds.
    pub billed: Vec<u32>,
    /// What one billed millisecond costs at this power value.
    pub price_per_ms: f64,
    /// The positions (in `durations`) of the invocations that were cold starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cold: Vec<u32>,
    /// The positions of the invocations that were warm-ups ([`crate::warm_up`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warm_up: Vec<u32>,
}

impl Samples {
    /// Each invocation's cost (duration charge).
    pub fn costs(&self) -> Vec<f64> {
        self.billed
            .iter()
            .map(|&b| f64::from(b) * self.price_per_ms)
            .collect()
    }

    /// At most `keep` of the invocations, evenly spaced, durations to 0.01 ms. `cold` says
    /// which invocations were cold starts.
    fn of(invocations: Invocations<'_>, price_per_ms: f64, keep: usize) -> Samples {
        let Invocations {
            durations,
            billed,
            cold,
            warm_up,
        } = invocations;
        let n = durations.len().min(billed.len());
        let picked: Vec<usize> = if n <= keep {
            (0..n).collect()
        } else {
            (0..keep).map(|i| i * n / keep).collect()
        };
        Samples {
            durations: picked
                .iter()
                .map(|&i| (durations[i] * 100.0).round() / 100.0)
                .collect(),
            // Lambda bills whole milliseconds.
            billed: picked.iter().map(|&i| billed[i].round() as u32).collect(),
            price_per_ms,
            cold: positions(&picked, cold),
            warm_up: positions(&picked, warm_up),
        }
    }

    /// Which of the samples were cold starts, one flag per sample.
    pub fn cold_flags(&self) -> Vec<bool> {
        flags(&self.cold, self.durations.len())
    }

    /// Which of the samples were warm-ups, one flag per sample.
    pub(crate) fn warm_up_flags(&self) -> Vec<bool> {
        flags(&self.warm_up, self.durations.len())
    }

    /// Whether every invocation is here, in the order it was made: then the samples are the
    /// measurements themselves, not a selection of them.
    pub fn complete(&self, invocations: Option<u32>) -> bool {
        Some(self.durations.len() as u32) == invocations
            && self.billed.len() == self.durations.len()
    }

    /// The costs and durations the decision compares: the steady warm invocations (cold starts
    /// and warm-ups apart), or, when there are none, every warm one, or else every one.
    pub fn steady(&self) -> Sampled {
        let index = main_invocations(
            &self.cold_flags(),
            &self.warm_up_flags(),
            self.durations.len(),
        );
        let costs = self.costs();
        Sampled {
            costs: index.iter().map(|&i| costs[i]).collect(),
            durations: index.iter().map(|&i| self.durations[i]).collect(),
        }
    }
}

/// Some invocations' costs and durations, in the same order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampled {
    /// Each invocation's cost (duration charge).
    pub costs: Vec<f64>,
    /// Each invocation's duration, ms.
    pub durations: Vec<f64>,
}

/// The positions (among `picked`) whose invocation `flags` marks.
fn positions(picked: &[usize], flags: &[bool]) -> Vec<u32> {
    picked
        .iter()
        .enumerate()
        .filter(|&(_, &i)| flags.get(i).copied().unwrap_or(false))
        .map(|(k, _)| k as u32)
        .collect()
}

/// One flag per sample, set at `positions`.
fn flags(positions: &[u32], len: usize) -> Vec<bool> {
    let mut flags = vec![false; len];
    for &k in positions {
        if let Some(f) = flags.get_mut(k as usize) {
            *f = true;
        }
    }
    flags
}

/// The invocations a power value's averages are of: the steady warm ones (neither a cold start
/// nor a warm-up); when there are none, the warm ones; when there are none, all (an
/// `onlyColdStarts` run measures cold starts on purpose).
pub(crate) fn main_invocations(cold: &[bool], warm_up: &[bool], n: usize) -> Vec<usize> {
    let is = |flags: &[bool], i: usize| flags.get(i).copied().unwrap_or(false);
    let steady: Vec<usize> = (0..n)
        .filter(|&i| !is(cold, i) && !is(warm_up, i))
        .collect();
    if !steady.is_empty() {
        return steady;
    }
    let warm: Vec<usize> = (0..n).filter(|&i| !is(cold, i)).collect();
    if !warm.is_empty() {
        return warm;
    }
    (0..n).collect()
}

/// How many per-invocation samples a power value's statistics keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// At most [`MAX_SAMPLES`], evenly spaced: enough for the test between power values.
    Spaced,
    /// Every invocation, so that rounds of adaptive sampling can be merged.
    All,
}

impl Keep {
    fn limit(self) -> usize {
        match self {
            Keep::Spaced => MAX_SAMPLES,
            Keep::All => usize::MAX,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
/// Why two rounds' statistics of a power value cannot be merged.
pub enum MergeError {
    #[error("Statistics of {0} MB and {1} MB cannot be merged: they are different power values.")]
    /// The two are of different power values.
    DifferentPowerValues(u32, u32),
    #[error("Statistics of {0} MB cannot be merged: a round kept only some of its invocations as samples, or none.")]
    /// A side lacks the samples of some invocations.
    Incomplete(u32),
    #[error("Statistics of {0} MB cannot be merged: its rounds were priced differently.")]
    /// The two were priced differently.
    DifferentPrices(u32),
}

/// Each invocation's duration (ms), billed milliseconds, and whether it was a cold start or a
/// warm-up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Invocations<'a> {
    pub durations: &'a [f64],
    pub billed: &'a [f64],
    pub cold: &'a [bool],
    pub warm_up: &'a [bool],
}

/// The counts of a power value's invocations beside their durations.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub errors: u32,
    pub cold_starts: u32,
    pub max_memory_used_mb: Option<u32>,
}

impl PowerStats {
    /// Statistics of one power value from the REPORTs of its invocations, keeping at most
    /// [`MAX_SAMPLES`] samples. `errors` counts the invocations among `reports` that returned
    /// an allowed error.
    pub fn from_reports(
        value: u32,
        reports: &[Report],
        errors: u32,
        price: &LambdaPrice,
        discard_top_bottom: f64,
    ) -> PowerStats {
        PowerStats::from_reports_keeping(
            value,
            reports,
            errors,
            price,
            discard_top_bottom,
            Keep::Spaced,
        )
    }

    /// [`PowerStats::from_reports`], keeping the samples `keep` says.
    pub fn from_reports_keeping(
        value: u32,
        reports: &[Report],
        errors: u32,
        price: &LambdaPrice,
        discard_top_bottom: f64,
        keep: Keep,
    ) -> PowerStats {
        let durations: Vec<f64> = reports.iter().map(Report::total_duration_ms).collect();
        let billed: Vec<f64> = reports.iter().map(Report::billed_ms).collect();
        let cold: Vec<bool> = reports.iter().map(Report::is_cold_start).collect();
        let counts = Counts {
            errors,
            cold_starts: cold.iter().filter(|&&c| c).count() as u32,
            max_memory_used_mb: reports.iter().filter_map(|r| r.max_memory_used_mb).max(),
        };
        let per_ms = price.duration_cost(value, 1.0);
        let mut stats = PowerStats::of_invocations(
            value,
            Invocations {
                durations: &durations,
                billed: &billed,
                cold: &cold,
                warm_up: &[],
            },
            per_ms,
            counts,
            discard_top_bottom,
            keep,
        );
        // Their Init Durations are in the reports, not in the samples.
        stats.cold = ColdStarts::of_reports(reports, per_ms);
        stats
    }

    pub(crate) fn of_invocations(
        value: u32,
        invocations: Invocations<'_>,
        price_per_ms: f64,
        counts: Counts,
        discard_top_bottom: f64,
        keep: Keep,
    ) -> PowerStats {
        let Invocations {
            durations,
            billed,
            cold,
            warm_up,
        } = invocations;
        let costs: Vec<f64> = billed.iter().map(|&b| b * price_per_ms).collect();
        let main = main_invocations(cold, warm_up, durations.len());
        let main_costs: Vec<f64> = main.iter().map(|&i| costs[i]).collect();
        let main_durations: Vec<f64> = main.iter().map(|&i| durations[i]).collect();
        let (warm, warm_up_apart) = phases_apart(invocations, &costs, discard_top_bottom);
        PowerStats {
            value,
            average_price: trimmed_mean(&main_costs, discard_top_bottom),
            average_duration: trimmed_mean(&main_durations, discard_top_bottom),
            total_cost: costs.iter().sum(),
            duration_stats: summarize(&main_durations, discard_top_bottom),
            invocations: Some(durations.len() as u32),
            errors: Some(counts.errors),
            max_memory_used_mb: counts.max_memory_used_mb,
            cold_starts: Some(counts.cold_starts),
            // Set by the callers, which have the cold starts' Init Durations.
            cold: None,
            warm,
            warm_up: warm_up_apart,
            error: None,
            failures: None,
            samples: Some(Samples::of(invocations, price_per_ms, keep.limit())),
            stop_reason: None,
            warm_starts_left_out: None,
        }
    }

    /// These statistics recomputed from their samples, the first `k` warm invocations after
    /// each cold start set apart as warm-ups (none when `k` is 0) and the averages trimmed by
    /// `discard_top_bottom`, so that they are what the decision compares; unchanged when the
    /// samples are not every invocation (a plain run of more than [`MAX_SAMPLES`]) or there
    /// are none. Durations are recomputed from the samples' (to 0.01 ms).
    pub(crate) fn with_warm_ups(&self, k: u32, discard_top_bottom: f64) -> PowerStats {
        let Some(samples) = self
            .samples
            .as_ref()
            .filter(|s| s.complete(self.invocations))
        else {
            return self.clone();
        };
        let cold = samples.cold_flags();
        let mut warm_up = vec![false; cold.len()];
        let mut since_cold: Option<u32> = None;
        for (i, &c) in cold.iter().enumerate() {
            since_cold = if c {
                Some(0)
            } else {
                since_cold.map(|n| n + 1)
            };
            warm_up[i] = since_cold.is_some_and(|n| n >= 1 && n <= k);
        }
        let billed: Vec<f64> = samples.billed.iter().map(|&b| f64::from(b)).collect();
        let counts = Counts {
            errors: self.errors.unwrap_or(0),
            cold_starts: self.cold_starts.unwrap_or(0),
            max_memory_used_mb: self.max_memory_used_mb,
        };
        let mut stats = PowerStats::of_invocations(
            self.value,
            Invocations {
                durations: &samples.durations,
                billed: &billed,
                cold: &cold,
                warm_up: &warm_up,
            },
            samples.price_per_ms,
            counts,
            discard_top_bottom,
            Keep::All,
        );
        // What the samples do not hold: the cold starts' Init Durations (and `coldSamples`'
        // extra ones), the run's cost, the counts and the Sampler's verdict.
        stats.errors = self.errors;
        stats.cold_starts = self.cold_starts;
        stats.cold = self.cold;
        stats.total_cost = self.total_cost;
        stats.stop_reason = self.stop_reason.clone();
        stats.warm_starts_left_out = self.warm_starts_left_out;
        stats
    }

    /// These statistics and a later round's of the same power value, as if measured together.
    /// Both must keep every invocation as a sample ([`Keep::All`]).
    pub fn merged(
        &self,
        later: &PowerStats,
        discard_top_bottom: f64,
    ) -> Result<PowerStats, MergeError> {
        if self.value != later.value {
            return Err(MergeError::DifferentPowerValues(self.value, later.value));
        }
        // A round that failed the power value ends it: the failure stands, counted over every
        // invocation made.
        if let Some(f) = &later.failures {
            let before = self.invocations.unwrap_or(0);
            let failures = Failures {
                made: f.made + before,
                ..f.clone()
            };
            return Ok(PowerStats::failing(
                self.value,
                failures,
                self.total_cost + later.total_cost,
            ));
        }
        let complete = |s: &PowerStats| {
            s.samples
                .as_ref()
                .filter(|samples| samples.complete(s.invocations))
                .cloned()
        };
        let (Some(a), Some(b)) = (complete(self), complete(later)) else {
            return Err(MergeError::Incomplete(self.value));
        };
        if a.price_per_ms != b.price_per_ms {
            return Err(MergeError::DifferentPrices(self.value));
        }
        let durations: Vec<f64> = a.durations.iter().chain(&b.durations).copied().collect();
        let billed: Vec<f64> = a
            .billed
            .iter()
            .chain(&b.billed)
            .map(|&ms| f64::from(ms))
            .collect();
        let cold: Vec<bool> = a.cold_flags().into_iter().chain(b.cold_flags()).collect();
        // Warm-ups are found anew over the merged invocations (crate::warm_up).
        let counts = Counts {
            errors: self.errors.unwrap_or(0) + later.errors.unwrap_or(0),
            cold_starts: self.cold_starts.unwrap_or(0) + later.cold_starts.unwrap_or(0),
            max_memory_used_mb: self.max_memory_used_mb.max(later.max_memory_used_mb),
        };
        let mut merged = PowerStats::of_invocations(
            self.value,
            Invocations {
                durations: &durations,
                billed: &billed,
                cold: &cold,
                warm_up: &[],
            },
            a.price_per_ms,
            counts,
            discard_top_bottom,
            Keep::All,
        );
        // The cold starts from their summaries (they may count `coldSamples`' extra ones, which
        // are not among the samples); the run's cost counts those too.
        merged.cold = ColdStarts::combine(self.cold, later.cold);
        merged.total_cost = self.total_cost + later.total_cost;
        Ok(merged)
    }

    /// A power value none of whose invocations produced a result.
    pub fn failed(value: u32, error: impl Into<String>) -> PowerStats {
        PowerStats {
            value,
            average_price: 0.0,
            average_duration: 0.0,
            total_cost: 0.0,
            duration_stats: None,
            invocations: Some(0),
            errors: None,
            max_memory_used_mb: None,
            cold_starts: None,
            cold: None,
            warm: None,
            warm_up: None,
            error: Some(error.into()),
            failures: None,
            samples: None,
            stop_reason: None,
            warm_starts_left_out: None,
        }
    }

    /// A power value that failed as `failures` says; `total_cost` is what its invocations
    /// (failed ones included) were billed.
    pub fn failing(value: u32, failures: Failures, total_cost: f64) -> PowerStats {
        PowerStats {
            invocations: Some(failures.made),
            total_cost,
            failures: Some(failures.clone()),
            ..PowerStats::failed(value, failures.describe())
        }
    }

    /// The time its invocations ran together, ms: cold starts and warm-ups included.
    pub fn function_time_ms(&self) -> f64 {
        if let Some(samples) = self
            .samples
            .as_ref()
            .filter(|s| s.complete(self.invocations))
        {
            return samples.durations.iter().sum();
        }
        let steady = self.duration_stats.as_ref().map_or(0.0, |d| d.sum);
        let cold = self.cold.map_or(0.0, |c| f64::from(c.count) * c.duration);
        let warm_up = self
            .warm_up
            .map_or(0.0, |w| f64::from(w.count) * w.duration);
        steady + cold + warm_up
    }

    /// Whether this power value can be recommended. A result without a duration counts as
    /// failed too, as the reference drops such entries.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.average_duration > 0.0
    }
}
