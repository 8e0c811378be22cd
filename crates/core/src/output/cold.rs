//! A power value's cold starts apart from its warm invocations, and their blend at a
//! cold-start rate.

use super::PowerStats;
use crate::logs::Report;
use crate::pricing::LambdaPrice;
use crate::stats::trimmed_mean;
use serde::{Deserialize, Serialize};

/// A power value's cold starts: the invocations that started a new environment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStarts {
    /// How many.
    pub count: u32,
    /// Their mean Init (and Restore) Duration, ms.
    pub init_duration: f64,
    /// Their mean duration, Init included, ms.
    pub duration: f64,
    /// Their mean cost: since 2025-08-01 Lambda bills the INIT phase too.
    pub cost: f64,
}

impl ColdStarts {
    /// The cold starts of `a` and `b` together (their means weighted by their counts).
    pub fn combine(a: Option<ColdStarts>, b: Option<ColdStarts>) -> Option<ColdStarts> {
        match (a, b) {
            (Some(a), Some(b)) => {
                let (na, nb) = (f64::from(a.count), f64::from(b.count));
                let mean = |x: f64, y: f64| (x * na + y * nb) / (na + nb);
                Some(ColdStarts {
                    count: a.count + b.count,
                    init_duration: mean(a.init_duration, b.init_duration),
                    duration: mean(a.duration, b.duration),
                    cost: mean(a.cost, b.cost),
                })
            }
            (a, b) => a.or(b),
        }
    }

    /// The cold starts among `reports` (priced at `price_per_ms`); `None` without any.
    pub fn of_reports(reports: &[Report], price_per_ms: f64) -> Option<ColdStarts> {
        let cold: Vec<&Report> = reports.iter().filter(|r| r.is_cold_start()).collect();
        if cold.is_empty() {
            return None;
        }
        // Plain means: there are few cold starts to trim.
        let n = cold.len() as f64;
        let mean = |f: &dyn Fn(&Report) -> f64| cold.iter().map(|r| f(r)).sum::<f64>() / n;
        Some(ColdStarts {
            count: cold.len() as u32,
            init_duration: mean(&|r| {
                r.init_duration_ms.unwrap_or(0.0) + r.restore_duration_ms.unwrap_or(0.0)
            }),
            duration: mean(&Report::total_duration_ms),
            cost: mean(&|r| r.billed_ms() * price_per_ms),
        })
    }
}

/// A power value's warm invocations: trimmed means as for every invocation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Warm {
    /// How many.
    pub count: u32,
    /// Their trimmed mean duration, ms.
    pub duration: f64,
    /// Their trimmed mean cost.
    pub cost: f64,
}

impl PowerStats {
    /// Adds `coldSamples`' extra cold starts (each a version of its own, invoked once): they
    /// join `cold` and what the run cost, not the averages of the power value's invocations.
    pub fn add_cold_samples(&mut self, reports: &[Report], price: &LambdaPrice) {
        let per_ms = price.duration_cost(self.value, 1.0);
        self.cold = ColdStarts::combine(self.cold, ColdStarts::of_reports(reports, per_ms));
        self.total_cost += reports.iter().map(|r| r.billed_ms() * per_ms).sum::<f64>();
    }

    /// Duration and cost per invocation when `rate` of the invocations are cold starts:
    /// (1 - rate) x warm + rate x cold. `None` without both warm and cold measurements.
    pub fn blended(&self, rate: f64) -> Option<(f64, f64)> {
        let (cold, warm) = (self.cold?, self.warm?);
        Some((
            (1.0 - rate) * warm.duration + rate * cold.duration,
            (1.0 - rate) * warm.cost + rate * cold.cost,
        ))
    }
}

/// The warm invocations apart, when some invocations were cold starts: trimmed means, as
/// every average.
pub(super) fn warm_apart(
    durations: &[f64],
    costs: &[f64],
    cold: &[bool],
    discard: f64,
) -> Option<Warm> {
    let is_cold = |i: usize| cold.get(i).copied().unwrap_or(false);
    if !(0..durations.len()).any(is_cold) {
        return None;
    }
    let warm = |values: &[f64]| -> Vec<f64> {
        (0..values.len())
            .filter(|&i| !is_cold(i))
            .map(|i| values[i])
            .collect()
    };
    let (durations, costs) = (warm(durations), warm(costs));
    (!durations.is_empty()).then(|| Warm {
        count: durations.len() as u32,
        duration: trimmed_mean(&durations, discard),
        cost: trimmed_mean(&costs, discard),
    })
}
