//! The decision: which power value a strategy recommends from every power value's
//! measurements, and why. The reference's rule decides on the averages; with statistical ties,
//! power values equal within the noise (Yuen's test) are tied and the tie rules pick among them.
//! The analysis (the result document) and the Sampler's bootstrap both decide with `Rule`.

use crate::budget::{Budget, BudgetOutcome, Estimate, Standing, Verdict};
use crate::input::ExecutionInput;
use crate::output::PowerStats;
use crate::stats::YuenTest;
use crate::strategy::{select, BalancedScore, Candidate, Strategy};

/// One power value as the decision sees it: its averages and, where it has them, its
/// per-invocation costs and durations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measured {
    pub candidate: Candidate,
    /// Each sampled invocation's cost and duration; `None` without samples.
    pub samples: Option<(Vec<f64>, Vec<f64>)>,
    /// Adaptive sampling put it out of the running: worse than the best beyond the noise, by
    /// this same rule, on the invocations it had then. It stays out of every tie afterwards,
    /// so that the Sampler and the analysis never give two verdicts on one power value.
    pub ruled_out: bool,
    /// With a cold-start rate: (rate, the cold starts' mean duration), which the samples are
    /// blended with; a budget's percentile is then the mix's.
    pub mix: Option<(f64, f64)>,
}

impl Measured {
    #[cfg(test)]
    pub fn of(stats: &PowerStats) -> Measured {
        Measured::at_rate(stats, None)
    }

    /// With a cold-start rate r, the power value as production would see it: its averages are
    /// (1 - r) x warm + r x cold, and its samples are the warm invocations' blended the same way
    /// with the cold starts' mean (a handful of cold starts cannot carry a test of their own, so
    /// the blend's noise is the warm invocations'). Without both warm and cold measurements it
    /// stays as measured.
    pub fn at_rate(stats: &PowerStats, rate: Option<f64>) -> Measured {
        let mut candidate = Candidate {
            power: stats.value,
            cost: stats.average_price,
            duration: stats.average_duration,
            succeeded: stats.succeeded(),
        };
        let mut samples = stats
            .samples
            .as_ref()
            .map(|s| (s.costs(), s.durations.clone()));
        let mut mix = None;
        if let (Some(r), Some((duration, cost)), Some(cold)) =
            (rate, rate.and_then(|r| stats.blended(r)), stats.cold)
        {
            mix = Some((r, cold.duration));
            candidate.duration = duration;
            candidate.cost = cost;
            samples = stats.samples.as_ref().map(|s| {
                let warm: Vec<usize> = s
                    .cold_flags()
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| !c)
                    .map(|(i, _)| i)
                    .collect();
                let costs = s.costs();
                (
                    warm.iter()
                        .map(|&i| (1.0 - r) * costs[i] + r * cold.cost)
                        .collect(),
                    warm.iter()
                        .map(|&i| (1.0 - r) * s.durations[i] + r * cold.duration)
                        .collect(),
                )
            });
        }
        Measured {
            candidate,
            samples,
            ruled_out: stats
                .stop_reason
                .as_ref()
                .is_some_and(|r| r.is_out_of_running()),
            mix,
        }
    }

    /// The budget's statistic of its durations, from its samples; without samples (a reference
    /// result) its average stands for every statistic.
    fn estimate(&self, budget: &Budget, discard: f64) -> Option<Estimate> {
        if !self.candidate.usable() {
            return None;
        }
        match (&self.samples, self.mix) {
            // The samples are the warm invocations blended: (1 - r) w + r c.
            (Some((_, blended)), Some((rate, cold))) if rate < 1.0 => {
                let warm: Vec<f64> = blended
                    .iter()
                    .map(|b| (b - rate * cold) / (1.0 - rate))
                    .collect();
                budget.estimate_mixed(&warm, rate, cold, discard)
            }
            (Some((_, durations)), _) => budget.estimate(durations, discard),
            (None, _) => Some(Estimate {
                value: self.candidate.duration,
                low: self.candidate.duration,
                high: self.candidate.duration,
            }),
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
    /// `maxDuration`: the strategy chooses among the power values within it.
    pub budget: Option<Budget>,
    /// `coldStartRate`: the strategy decides on the blend of warm and cold invocations.
    pub cold_start_rate: Option<f64>,
}

/// What the rule decided, as indices into the power values it was given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// The best by the averages alone (the reference's pick), leaving out a power value that
    /// adaptive sampling put out of the running.
    pub best: usize,
    /// The recommendation.
    pub pick: usize,
    /// How statistical ties led from `best` to `pick`; `None` when the averages alone decide.
    pub ties: Option<Ties>,
    /// With a budget: its verdict on the pick, and the power values over it.
    pub budget: Option<BudgetOutcome>,
}

impl Decision {
    /// Whether a budget leaves `power` (MB) out: such a power value is never the pick's equal.
    pub fn over_budget(&self, power: u32) -> bool {
        self.budget
            .as_ref()
            .is_some_and(|b| b.over.contains(&power))
    }
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
    /// The input's rule; `statistical_ties` as the caller needs it (the Sampler always tests).
    pub fn of(input: &ExecutionInput, statistical_ties: bool) -> Rule {
        Rule {
            strategy: input.strategy,
            balanced_weight: input.balanced_weight,
            discard_top_bottom: input.discard_top_bottom,
            statistical_ties,
            budget: input.max_duration,
            cold_start_rate: input.cold_start_share(),
        }
    }

    /// A power value as this rule sees it (blended at the cold-start rate, if any).
    pub fn measure(&self, stats: &PowerStats) -> Measured {
        Measured::at_rate(stats, self.cold_start_rate)
    }

    /// The decision over `measured`, or `None` when no power value can be recommended.
    ///
    /// With a budget, the strategy decides among the power values whose statistic is within
    /// it, as below; when there is none, the fastest is the pick.
    pub fn decide(&self, measured: &[Measured]) -> Option<Decision> {
        let Some(budget) = self.budget else {
            return self.decide_among(measured);
        };
        let estimates: Vec<Option<Estimate>> = measured
            .iter()
            .map(|m| m.estimate(&budget, self.discard_top_bottom))
            .collect();
        let within: Vec<bool> = estimates
            .iter()
            .map(|e| e.as_ref().is_some_and(|e| budget.admits(e)))
            .collect();
        let over: Vec<u32> = (0..measured.len())
            .filter(|&i| estimates[i].is_some() && !within[i])
            .map(|i| measured[i].candidate.power)
            .collect();
        let outcome = |verdict, pick: usize| -> Option<BudgetOutcome> {
            Some(BudgetOutcome {
                budget,
                verdict,
                estimate: estimates[pick]?,
                over: over.clone(),
            })
        };
        if !within.contains(&true) {
            let candidates: Vec<Candidate> = measured.iter().map(|m| m.candidate).collect();
            let fastest = select(Strategy::Speed, 0.0, &candidates)?;
            return Some(Decision {
                best: fastest,
                pick: fastest,
                ties: None,
                budget: outcome(Verdict::None, fastest),
            });
        }
        let restricted: Vec<Measured> = measured
            .iter()
            .zip(&within)
            .map(|(m, &w)| {
                let mut m = m.clone();
                m.candidate.succeeded &= w;
                m
            })
            .collect();
        let mut decision = self.decide_among(&restricted)?;
        let verdict = match estimates[decision.pick].map(|e| budget.standing(&e)) {
            Some(Standing::Meets) => Verdict::Meets,
            _ => Verdict::Borderline,
        };
        decision.budget = outcome(verdict, decision.pick);
        Some(decision)
    }

    /// The decision over `measured` without a budget, or `None` when no power value can be
    /// recommended.
    ///
    /// Without statistical ties (or without samples) it is the reference's: the best by the
    /// averages. With them, the power values tied with that best on the strategy's measure are
    /// `equivalent`, and the tie rules pick among them, each also up to the noise: cost ties
    /// go to the fastest, speed ties to the cheapest, and a tie on that too (or a balanced
    /// tie) to the least memory.
    fn decide_among(&self, measured: &[Measured]) -> Option<Decision> {
        let candidates: Vec<Candidate> = measured.iter().map(|m| m.candidate).collect();
        let best = select(self.strategy, self.balanced_weight, &candidates)?;
        let reference = Decision {
            best,
            pick: best,
            ties: None,
            budget: None,
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
        // A power value out of the running is not the best either (the Sampler only drops
        // values worse than the best; this holds when later rounds move the others' averages).
        let eligible: Vec<Candidate> = candidates
            .iter()
            .zip(measured)
            .map(|(&c, m)| Candidate {
                succeeded: c.succeeded && !m.ruled_out,
                ..c
            })
            .collect();
        let best = if measured[best].ruled_out {
            select(self.strategy, self.balanced_weight, &eligible).unwrap_or(best)
        } else {
            best
        };
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
                        || !measured[i].ruled_out
                            && YuenTest::run(&base, &values(i, measure), self.discard_top_bottom)
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
            budget: None,
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

/// One sentence on why the pick: what is tied with the best, and which tie rule chose. With a
/// budget, `measured` holds only the power values within it as usable, as the rule decided.
pub(crate) fn explain(
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
        let others = if decision.budget.is_some() {
            "every other power value within the budget"
        } else {
            "every other power value"
        };
        return match rule.strategy {
            Strategy::Cost => {
                format!("{p} MB is the cheapest beyond the noise of {others} (Yuen's test, 95%).")
            }
            Strategy::Speed => {
                format!("{p} MB is the fastest beyond the noise of {others} (Yuen's test, 95%).")
            }
            Strategy::Balanced => format!(
                "{p} MB has the best balance beyond the noise of {others} (Yuen's test, 95%)."
            ),
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
pub(crate) fn power_list(sorted: &[PowerStats], usable: &[usize], chosen: &[usize]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A power value whose invocations cost `cost` and last `duration`, with a little spread.
    fn measured(power: u32, cost: f64, duration: f64, ruled_out: bool) -> Measured {
        let spread = |base: f64| -> Vec<f64> {
            (0..20)
                .map(|k| base * (1.0 + 0.05 * (f64::from(k % 5) - 2.0)))
                .collect()
        };
        Measured {
            candidate: Candidate {
                power,
                cost,
                duration,
                succeeded: true,
            },
            samples: Some((spread(cost), spread(duration))),
            ruled_out,
            mix: None,
        }
    }

    fn cost_rule() -> Rule {
        Rule {
            strategy: Strategy::Cost,
            balanced_weight: 0.5,
            discard_top_bottom: 0.2,
            statistical_ties: true,
            budget: None,
            cold_start_rate: None,
        }
    }

    /// 128 MB is the cheapest and slow, 512 MB a little dearer and fast, 1024 MB the fastest.
    fn three() -> [Measured; 3] {
        [
            measured(128, 1.0e-7, 400.0, false),
            measured(512, 1.3e-7, 100.0, false),
            measured(1024, 1.9e-7, 80.0, false),
        ]
    }

    fn with_budget(statistic: &str, ms: f64) -> Rule {
        Rule {
            budget: Some(Budget {
                statistic: statistic.parse().unwrap(),
                ms,
            }),
            ..cost_rule()
        }
    }

    #[test]
    fn a_budget_recommends_the_cheapest_within_it_and_says_it_meets_it() {
        let d = with_budget("mean", 150.0).decide(&three()).unwrap();
        assert_eq!(d.pick, 1);
        let b = d.budget.unwrap();
        assert_eq!((b.verdict, b.over), (Verdict::Meets, vec![128]));
        assert!(b.estimate.high < 150.0, "{:?}", b.estimate);
        // The same durations' p95 is 110 ms (the samples go up to 10% over the average).
        let p95 = with_budget("p95", 105.0).decide(&three()).unwrap();
        assert_eq!(p95.pick, 2, "512 MB's p95 is over 105 ms");
        // Without a budget the cheapest wins.
        assert_eq!(cost_rule().decide(&three()).unwrap().pick, 0);
    }

    #[test]
    fn a_pick_whose_interval_crosses_the_limit_is_borderline() {
        let d = with_budget("mean", 101.0).decide(&three()).unwrap();
        assert_eq!(d.pick, 1);
        let b = d.budget.unwrap();
        assert_eq!(b.verdict, Verdict::Borderline);
        assert!(
            b.estimate.low < 101.0 && b.estimate.high > 101.0,
            "{:?}",
            b.estimate
        );
    }

    #[test]
    fn when_no_power_value_meets_the_budget_the_fastest_is_recommended() {
        let d = with_budget("p99", 50.0).decide(&three()).unwrap();
        assert_eq!(d.pick, 2);
        let b = d.budget.unwrap();
        assert_eq!(
            (b.verdict, b.over.clone()),
            (Verdict::None, vec![128, 512, 1024])
        );
        assert!(b
            .sentence(1024)
            .starts_with("Budget p99 ≤ 50 ms: no power value meets it; 1024 MB is the fastest"));
    }

    #[test]
    fn a_value_out_of_the_running_is_never_tied_with_the_pick() {
        // 128 MB costs within the noise of 512 MB, but the Sampler put it out of the running
        // (on fewer invocations, earlier): it is not reported as tied, so the run does not say
        // both "dearer beyond the noise" and "the same within the noise" of it.
        let values = [
            measured(128, 1.01e-7, 400.0, true),
            measured(512, 1.0e-7, 100.0, false),
            measured(1024, 1.6e-7, 80.0, false),
        ];
        let ties = cost_rule().decide(&values).unwrap().ties.unwrap();
        assert_eq!(ties.equivalent, vec![1]);
        // The same measurements without the Sampler's verdict: 128 MB is tied.
        let mut fresh = values.clone();
        fresh[0].ruled_out = false;
        let ties = cost_rule().decide(&fresh).unwrap().ties.unwrap();
        assert_eq!(ties.equivalent, vec![0, 1]);
    }

    #[test]
    fn a_best_out_of_the_running_gives_way_to_the_best_still_running() {
        let values = [
            measured(128, 0.9e-7, 400.0, true),
            measured(512, 1.0e-7, 100.0, false),
            measured(1024, 1.6e-7, 80.0, false),
        ];
        let decision = cost_rule().decide(&values).unwrap();
        assert_eq!((decision.best, decision.pick), (1, 1));
        assert!(!decision.ties.unwrap().equivalent.contains(&0));
    }
}
