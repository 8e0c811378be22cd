//! A power value's cold starts and warm-ups apart from its steady warm invocations, and their
//! blend at a cold-start rate.

use super::{main_invocations, Invocations, PowerStats};
use crate::pricing::LambdaPrice;
use crate::report_line::Report;
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
    pub(crate) fn combine(a: Option<ColdStarts>, b: Option<ColdStarts>) -> Option<ColdStarts> {
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

    /// The cold starts among `reports` (priced at `price_per_ms`); `None` without any. The
    /// mean Init Duration is over the reports that give one (a suppressed init's is inside its
    /// Duration).
    pub(crate) fn of_reports(reports: &[Report], price_per_ms: f64) -> Option<ColdStarts> {
        let cold: Vec<&Report> = reports.iter().filter(|r| r.is_cold_start()).collect();
        if cold.is_empty() {
            return None;
        }
        // Plain means: there are few cold starts to trim.
        let n = cold.len() as f64;
        let mean = |f: &dyn Fn(&Report) -> f64| cold.iter().map(|r| f(r)).sum::<f64>() / n;
        let inits: Vec<f64> = cold
            .iter()
            .filter(|r| r.init_duration_ms.is_some() || r.restore_duration_ms.is_some())
            .map(|r| r.init_duration_ms.unwrap_or(0.0) + r.restore_duration_ms.unwrap_or(0.0))
            .collect();
        Some(ColdStarts {
            count: cold.len() as u32,
            init_duration: if inits.is_empty() {
                0.0
            } else {
                inits.iter().sum::<f64>() / inits.len() as f64
            },
            duration: mean(&Report::total_duration_ms),
            cost: mean(&|r| r.billed_ms() * price_per_ms),
        })
    }
}

/// A power value's steady warm invocations (neither cold starts nor warm-ups): trimmed means, as
/// for every average.
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

/// A power value's warm-ups: the first warm invocations of each environment, set apart when
/// the function warms up ([`crate::warm_up`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarmUp {
    /// How many.
    pub count: u32,
    /// How many each environment makes: the first this many warm invocations after a cold
    /// start.
    pub per_environment: u32,
    /// Their mean duration, ms (plain: there are few).
    pub duration: f64,
    /// Their mean cost.
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
    /// (1 - rate) x warm + rate x start, where `start` is what a new environment costs on top
    /// of its steady invocations ([`PowerStats::start`]). `None` without both warm and cold
    /// measurements.
    pub fn blended(&self, rate: f64) -> Option<(f64, f64)> {
        let (warm, (duration, cost)) = (self.warm?, self.start()?);
        Some((
            (1.0 - rate) * warm.duration + rate * duration,
            (1.0 - rate) * warm.cost + rate * cost,
        ))
    }

    /// What a new environment brings, per cold start: the cold start itself and, when the
    /// function warms up, its warm-ups' excess over steady invocations. An environment's life
    /// is one cold start, k warm-ups and steady invocations; at a rate r of cold starts that is
    /// r x cold + r k x warm-up + (1 - r - r k) x steady per invocation, which is
    /// (1 - r) x steady + r x (cold + k (warm-up - steady)). `None` without cold measurements.
    pub fn start(&self) -> Option<(f64, f64)> {
        let cold = self.cold?;
        let Some((warm_up, warm)) = self.warm_up.zip(self.warm) else {
            return Some((cold.duration, cold.cost));
        };
        let k = f64::from(warm_up.per_environment);
        Some((
            cold.duration + k * (warm_up.duration - warm.duration),
            cold.cost + k * (warm_up.cost - warm.cost),
        ))
    }
}

/// The steady warm invocations apart (trimmed means), when some invocations were cold starts or
/// warm-ups, and the warm-ups apart (plain means), when there were any.
pub(super) fn phases_apart(
    invocations: Invocations<'_>,
    costs: &[f64],
    discard: f64,
) -> (Option<Warm>, Option<WarmUp>) {
    let Invocations {
        durations,
        cold,
        warm_up,
        ..
    } = invocations;
    let n = durations.len();
    let is = |flags: &[bool], i: usize| flags.get(i).copied().unwrap_or(false);
    let steady: Vec<usize> = (0..n)
        .filter(|&i| !is(cold, i) && !is(warm_up, i))
        .collect();
    let warm = (steady.len() < n && !steady.is_empty()).then(|| {
        let main = main_invocations(cold, warm_up, n);
        let pick = |values: &[f64]| main.iter().map(|&i| values[i]).collect::<Vec<f64>>();
        Warm {
            count: main.len() as u32,
            duration: trimmed_mean(&pick(durations), discard),
            cost: trimmed_mean(&pick(costs), discard),
        }
    });
    let ups: Vec<usize> = (0..n).filter(|&i| is(warm_up, i) && !is(cold, i)).collect();
    let environments = (0..n).filter(|&i| is(cold, i)).count().max(1);
    let mean = |values: &[f64]| ups.iter().map(|&i| values[i]).sum::<f64>() / ups.len() as f64;
    let warm_up = (!ups.is_empty()).then(|| WarmUp {
        count: ups.len() as u32,
        per_environment: (ups.len() / environments).max(1) as u32,
        duration: mean(durations),
        cost: mean(costs),
    });
    (warm, warm_up)
}
