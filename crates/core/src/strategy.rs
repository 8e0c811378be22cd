//! Choosing the optimal power value: the cheapest, the fastest, or the best balance of both.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// What the recommendation optimizes.
pub enum Strategy {
    /// The lowest cost per invocation.
    Cost,
    /// The shortest duration.
    Speed,
    /// The lowest weighted sum of relative cost and relative duration.
    Balanced,
}

impl Strategy {
    /// The name the input uses: `cost`, `speed` or `balanced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Cost => "cost",
            Strategy::Speed => "speed",
            Strategy::Balanced => "balanced",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cost" => Ok(Strategy::Cost),
            "speed" => Ok(Strategy::Speed),
            "balanced" => Ok(Strategy::Balanced),
            _ => Err("must be \"cost\", \"speed\" or \"balanced\"".to_string()),
        }
    }
}

/// One power value's result as the strategies see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The memory size, MB.
    pub power: u32,
    /// Average cost of one invocation.
    pub cost: f64,
    /// Average duration of one invocation, ms.
    pub duration: f64,
    /// Whether the power value has a result at all (some invocation succeeded).
    pub succeeded: bool,
}

impl Candidate {
    /// Whether it can be recommended: it succeeded and its averages are numbers.
    pub(crate) fn usable(&self) -> bool {
        self.succeeded && self.cost.is_finite() && self.duration.is_finite()
    }
}

/// A total order of candidates, best first.
type Order = Box<dyn Fn(&Candidate, &Candidate) -> Ordering>;

/// The index in `candidates` of the optimal power value, or `None` when no candidate succeeded.
///
/// - cost: lowest cost; equal costs go to the faster one.
/// - speed: lowest duration; equal durations go to the cheaper one.
/// - balanced: lowest `w * cost / max(cost) + (1 - w) * duration / max(duration)`.
///
/// Remaining ties go to the lowest power value. Failed power values never win and do not count
/// towards the maxima.
pub fn select(strategy: Strategy, balanced_weight: f64, candidates: &[Candidate]) -> Option<usize> {
    let usable: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].usable())
        .collect();
    let by_power = |a: &Candidate, b: &Candidate| a.power.cmp(&b.power);
    let order: Order = match strategy {
        Strategy::Cost => Box::new(move |a, b| {
            a.cost
                .total_cmp(&b.cost)
                .then(a.duration.total_cmp(&b.duration))
                .then(by_power(a, b))
        }),
        Strategy::Speed => Box::new(move |a, b| {
            a.duration
                .total_cmp(&b.duration)
                .then(a.cost.total_cmp(&b.cost))
                .then(by_power(a, b))
        }),
        Strategy::Balanced => {
            let score = BalancedScore::of(balanced_weight, candidates);
            Box::new(move |a, b| {
                score
                    .of_averages(a)
                    .total_cmp(&score.of_averages(b))
                    .then(by_power(a, b))
            })
        }
    };
    usable
        .into_iter()
        .min_by(|&a, &b| order(&candidates[a], &candidates[b]))
}

/// The balanced score `w * cost / max(cost) + (1 - w) * duration / max(duration)`, its maxima
/// taken over the usable candidates' averages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BalancedScore {
    weight: f64,
    max_cost: f64,
    max_duration: f64,
}

impl BalancedScore {
    /// The score for `weight` (clamped to 0..=1) over `candidates`.
    pub fn of(weight: f64, candidates: &[Candidate]) -> BalancedScore {
        let usable = || candidates.iter().filter(|c| c.usable());
        BalancedScore {
            weight: weight.clamp(0.0, 1.0),
            max_cost: usable().map(|c| c.cost).fold(0.0, f64::max),
            max_duration: usable().map(|c| c.duration).fold(0.0, f64::max),
        }
    }

    /// The score of a cost and a duration (one invocation's, or averages).
    pub(crate) fn score(&self, cost: f64, duration: f64) -> f64 {
        self.weight * ratio(cost, self.max_cost)
            + (1.0 - self.weight) * ratio(duration, self.max_duration)
    }

    fn of_averages(&self, c: &Candidate) -> f64 {
        self.score(c.cost, c.duration)
    }
}

/// The balanced score's normalized term; a maximum of 0 means every value is 0.
fn ratio(value: f64, max: f64) -> f64 {
    if max > 0.0 {
        value / max
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(power: u32, cost: f64, duration: f64) -> Candidate {
        Candidate {
            power,
            cost,
            duration,
            succeeded: true,
        }
    }

    fn example() -> Vec<Candidate> {
        vec![
            c(128, 2.1e-7, 100.5),
            c(256, 2.1e-7, 50.25),
            c(512, 2.52e-7, 30.0),
            c(1024, 4.2e-7, 25.0),
        ]
    }

    fn winner(strategy: Strategy, w: f64, cands: &[Candidate]) -> Option<u32> {
        select(strategy, w, cands).map(|i| cands[i].power)
    }

    #[test]
    fn the_issue_example_picks_as_documented() {
        let e = example();
        assert_eq!(winner(Strategy::Cost, 0.5, &e), Some(256));
        assert_eq!(winner(Strategy::Speed, 0.5, &e), Some(1024));
        assert_eq!(winner(Strategy::Balanced, 0.5, &e), Some(512));
        assert_eq!(winner(Strategy::Balanced, 0.9, &e), Some(256));
    }

    #[test]
    fn balanced_extremes_are_speed_and_cost() {
        let e = example();
        assert_eq!(winner(Strategy::Balanced, 0.0, &e), Some(1024));
        assert_eq!(winner(Strategy::Balanced, 1.0, &e), Some(128));
    }

    #[test]
    fn speed_ties_break_by_cost_then_power() {
        let e = vec![c(512, 3.0, 10.0), c(256, 2.0, 10.0), c(1024, 2.0, 10.0)];
        assert_eq!(winner(Strategy::Speed, 0.5, &e), Some(256));
    }

    #[test]
    fn balanced_ties_keep_power_order() {
        let e = vec![c(1024, 1.0, 1.0), c(128, 1.0, 1.0)];
        assert_eq!(winner(Strategy::Balanced, 0.5, &e), Some(128));
    }

    #[test]
    fn failed_power_values_never_win() {
        let mut e = example();
        e[1].succeeded = false; // 256 was the cheapest
        assert_eq!(winner(Strategy::Cost, 0.5, &e), Some(128));
        e.iter_mut().for_each(|c| c.succeeded = false);
        assert_eq!(winner(Strategy::Cost, 0.5, &e), None);
        assert_eq!(select(Strategy::Speed, 0.5, &[]), None);
    }

    #[test]
    fn all_zero_costs_do_not_make_balanced_divide_by_zero() {
        let e = vec![c(128, 0.0, 20.0), c(256, 0.0, 10.0)];
        assert_eq!(winner(Strategy::Balanced, 0.5, &e), Some(256));
    }

    #[test]
    fn strategies_parse_from_their_names() {
        assert_eq!("balanced".parse::<Strategy>(), Ok(Strategy::Balanced));
        assert!("Cost".parse::<Strategy>().is_err());
    }
}
