//! Two runs side by side (before and after a code change, or x86_64 against arm64): the change
//! at each power value and of the recommendation, and the regression gate a CI pipeline fails
//! on when the recommended configuration got dearer or slower than a baseline.

use crate::output::TuningResult;
use crate::power::PowerStats;
use crate::visualization::Point;

/// One run's averages at a power value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Side {
    /// Average cost per invocation.
    pub cost: f64,
    /// Average duration, ms.
    pub duration: f64,
}

/// One power value in both runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// The power value, MB.
    pub value: u32,
    /// The first run's averages; `None` when it did not tune this value, or it failed.
    pub before: Option<Side>,
    /// The second run's.
    pub after: Option<Side>,
}

impl Row {
    /// The relative change of the cost, `after / before - 1`, when both have one.
    pub fn cost_change(&self) -> Option<f64> {
        change(self.before?.cost, self.after?.cost)
    }

    /// The relative change of the duration.
    pub fn duration_change(&self) -> Option<f64> {
        change(self.before?.duration, self.after?.duration)
    }
}

/// A run's recommendation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// The recommended power value, MB.
    pub power: u32,
    /// Its average cost per invocation.
    pub cost: f64,
    /// Its average duration, ms.
    pub duration: f64,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Every power value either run tuned, ascending.
    pub rows: Vec<Row>,
    /// The first run's recommendation.
    pub before: Pick,
    /// The second run's.
    pub after: Pick,
    /// When both runs were tuned with a `coldStartRate`: every figure (the rows, the picks and
    /// so the gate) is blended at the second run's rate, (1 - rate) x warm + rate x cold.
    pub blended_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
/// Why two runs cannot be compared.
pub enum CompareError {
    #[error("The {0} run has no per-power-value statistics (\"stats\"): save runs with --json, or run with \"includeOutputResults\": true.")]
    /// A run has no `stats`.
    NoStats(&'static str),
    #[error("The runs are priced in different currencies ({0} and {1}): their costs cannot be compared.")]
    /// The runs' currencies differ.
    Currencies(String, String),
}

fn change(before: f64, after: f64) -> Option<f64> {
    (before > 0.0 && before.is_finite() && after.is_finite()).then(|| after / before - 1.0)
}

/// A power value's figures in one run: its averages, or blended at `rate` (when it has warm and
/// cold figures apart).
fn side(stats: &[PowerStats], value: u32, rate: Option<f64>) -> Option<Side> {
    let s = stats.iter().find(|s| s.value == value && s.succeeded())?;
    let blended = rate.and_then(|r| s.blended(r));
    Some(match blended {
        Some((duration, cost)) => Side { cost, duration },
        None => Side {
            cost: s.average_price,
            duration: s.average_duration,
        },
    })
}

impl Comparison {
    /// Compares `before` with `after`; both need their `stats`.
    pub fn of(before: &TuningResult, after: &TuningResult) -> Result<Comparison, CompareError> {
        let a = before
            .stats
            .as_deref()
            .ok_or(CompareError::NoStats("first"))?;
        let b = after
            .stats
            .as_deref()
            .ok_or(CompareError::NoStats("second"))?;
        if before.currency != after.currency {
            return Err(CompareError::Currencies(
                format!("{:?}", before.currency),
                format!("{:?}", after.currency),
            ));
        }
        let mut values: Vec<u32> = a.iter().chain(b).map(|s| s.value).collect();
        values.sort_unstable();
        values.dedup();
        // Blended only when both runs have a rate: a blend against a plain average would
        // compare cold starts with none.
        let rate = match (&before.blend, &after.blend) {
            (Some(_), Some(b)) => Some(b.rate),
            _ => None,
        };
        let pick = |r: &TuningResult, stats: &[PowerStats]| {
            let blended = rate.and_then(|_| side(stats, r.power, rate));
            Pick {
                power: r.power,
                cost: blended.map_or(r.cost, |s| s.cost),
                duration: blended.map_or(r.duration, |s| s.duration),
            }
        };
        Ok(Comparison {
            rows: values
                .into_iter()
                .map(|value| Row {
                    value,
                    before: side(a, value, rate),
                    after: side(b, value, rate),
                })
                .collect(),
            before: pick(before, a),
            after: pick(after, b),
            blended_at: rate,
        })
    }

    /// The relative change of the recommended configuration's cost per invocation.
    pub fn cost_change(&self) -> Option<f64> {
        change(self.before.cost, self.after.cost)
    }

    /// The relative change of the recommended configuration's duration.
    pub fn duration_change(&self) -> Option<f64> {
        change(self.before.duration, self.after.duration)
    }

    /// Each run's points, for the UI's comparison URL.
    pub fn points(&self) -> (Vec<Point>, Vec<Point>) {
        let of = |f: fn(&Row) -> Option<Side>| -> Vec<Point> {
            self.rows
                .iter()
                .filter_map(|r| {
                    f(r).map(|s| Point {
                        power: r.value,
                        duration: s.duration,
                        cost: s.cost,
                    })
                })
                .collect()
        };
        (of(|r| r.before), of(|r| r.after))
    }
}

/// The regression gate: the most the recommended configuration may get dearer or slower.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gate {
    /// The largest allowed relative cost increase (0.1 for 10%).
    pub max_cost_increase: Option<f64>,
    /// The largest allowed relative duration increase.
    pub max_duration_increase: Option<f64>,
}

impl Gate {
    /// Whether the gate has any threshold.
    pub fn is_set(&self) -> bool {
        self.max_cost_increase.is_some() || self.max_duration_increase.is_some()
    }

    /// `Err` with a one-line reason when the second run's recommendation is dearer or slower
    /// than the first's beyond a threshold.
    pub fn check(&self, c: &Comparison) -> Result<(), String> {
        let (b, a) = (c.before, c.after);
        let describe = |p: Pick, measure: &str| match measure {
            "cost" => format!("{} MB, {:.4e} per invocation", p.power, p.cost),
            _ => format!("{} MB, {:.2} ms", p.power, p.duration),
        };
        let checks = [
            (
                "cost",
                "more expensive",
                self.max_cost_increase,
                c.cost_change(),
                "--max-cost-increase",
            ),
            (
                "duration",
                "slower",
                self.max_duration_increase,
                c.duration_change(),
                "--max-duration-increase",
            ),
        ];
        for (measure, worse, limit, changed, flag) in checks {
            if let (Some(limit), Some(changed)) = (limit, changed) {
                if changed > limit {
                    return Err(format!(
                        "the recommended configuration is {:.1}% {worse} than the baseline's ({} before, {} now), over {flag} {:.1}%",
                        changed * 100.0,
                        describe(b, measure),
                        describe(a, measure),
                        limit * 100.0
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A threshold as the flags give it: `10%`, or `10` for the same; not negative.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p / 100.0),
        _ => Err(format!(
            "{text:?} is not a percentage: give a number of percent such as 10% or 10"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::Currency;

    fn result(power: u32, stats: &[(u32, f64, f64)]) -> TuningResult {
        let stats: Vec<PowerStats> = stats
            .iter()
            .map(|&(value, cost, duration)| {
                let mut s = PowerStats::failed(value, "");
                s.error = None;
                s.average_price = cost;
                s.average_duration = duration;
                s
            })
            .collect();
        let best = stats.iter().find(|s| s.value == power).unwrap();
        serde_json::from_value(serde_json::json!({
            "power": power, "cost": best.average_price, "duration": best.average_duration,
            "stateMachine": {"executionCost": 0.0, "lambdaCost": 0.0, "visualization": ""},
            "strategy": "cost", "currency": "USD", "stats": stats,
        }))
        .unwrap()
    }

    #[test]
    fn rows_cover_either_runs_power_values_and_the_recommendations_change() {
        let before = result(512, &[(128, 2.0e-7, 100.0), (512, 1.8e-7, 30.0)]);
        let after = result(1024, &[(512, 2.0e-7, 33.0), (1024, 1.98e-7, 15.0)]);
        let c = Comparison::of(&before, &after).unwrap();
        assert_eq!(
            c.rows.iter().map(|r| r.value).collect::<Vec<_>>(),
            vec![128, 512, 1024]
        );
        assert_eq!(c.rows[0].after, None);
        assert!((c.rows[1].cost_change().unwrap() - 0.1111).abs() < 1e-3);
        assert!((c.rows[1].duration_change().unwrap() - 0.1).abs() < 1e-9);
        assert_eq!(c.rows[2].cost_change(), None);
        assert!((c.cost_change().unwrap() - 0.1).abs() < 1e-9);
        assert!((c.duration_change().unwrap() + 0.5).abs() < 1e-9);
        let (a, b) = c.points();
        assert_eq!((a.len(), b.len()), (2, 2));

        let mut no_stats = after.clone();
        no_stats.stats = None;
        assert_eq!(
            Comparison::of(&before, &no_stats),
            Err(CompareError::NoStats("second"))
        );
        let mut yuan = after;
        yuan.currency = Currency::Cny;
        assert!(matches!(
            Comparison::of(&before, &yuan),
            Err(CompareError::Currencies(..))
        ));
    }

    /// `result` with every power value's warm and cold figures and a blend at `rate`.
    fn with_cold(mut r: TuningResult, cold_cost: f64, rate: f64) -> TuningResult {
        for s in r.stats.iter_mut().flatten() {
            s.warm = Some(crate::power::Warm {
                count: 9,
                duration: s.average_duration,
                cost: s.average_price,
            });
            s.cold = Some(crate::power::ColdStarts {
                count: 1,
                init_duration: 300.0,
                duration: s.average_duration + 300.0,
                cost: cold_cost,
            });
        }
        r.blend = Some(crate::blend::BlendOutcome {
            rate,
            measured: None,
            cost: 0.0,
            duration: 0.0,
            crossing: None,
        });
        r
    }

    #[test]
    fn two_runs_with_a_cold_start_rate_compare_blended_at_the_second_runs_rate() {
        // The warm cost is the same; the second run's cold starts cost twice as much (a
        // heavier init): blended at 10%, 0.9 x 1 + 0.1 x 20 = 2.9 against 0.9 + 0.1 x 10 = 1.9.
        let before = with_cold(result(512, &[(512, 1.0e-7, 30.0)]), 10.0e-7, 0.05);
        let after = with_cold(result(512, &[(512, 1.0e-7, 30.0)]), 20.0e-7, 0.10);
        let c = Comparison::of(&before, &after).unwrap();
        assert_eq!(c.blended_at, Some(0.10));
        assert!((c.before.cost - 1.9e-7).abs() < 1e-15, "{:?}", c.before);
        assert!((c.after.cost - 2.9e-7).abs() < 1e-15, "{:?}", c.after);
        assert!((c.rows[0].cost_change().unwrap() - (2.9 / 1.9 - 1.0)).abs() < 1e-9);
        // The gate sees the blend: the heavier init fails a 10% threshold.
        let gate = Gate {
            max_cost_increase: Some(0.10),
            max_duration_increase: None,
        };
        assert!(gate.check(&c).is_err());
        // With a rate on one side only, the plain averages are compared: no change.
        let plain = result(512, &[(512, 1.0e-7, 30.0)]);
        let c = Comparison::of(&plain, &after).unwrap();
        assert_eq!(c.blended_at, None);
        assert!(gate.check(&c).is_ok());
    }

    #[test]
    fn the_gate_fails_only_beyond_its_thresholds_and_says_why_in_one_line() {
        let before = result(512, &[(512, 1.0e-7, 30.0)]);
        let dearer = result(512, &[(512, 1.15e-7, 28.0)]);
        let c = Comparison::of(&before, &dearer).unwrap();
        let gate = |cost: Option<f64>, duration: Option<f64>| Gate {
            max_cost_increase: cost,
            max_duration_increase: duration,
        };
        assert_eq!(gate(Some(0.2), None).check(&c), Ok(()));
        let reason = gate(Some(0.1), Some(0.5)).check(&c).unwrap_err();
        assert!(
            reason.starts_with(
                "the recommended configuration is 15.0% more expensive than the baseline's"
            ),
            "{reason}"
        );
        assert!(
            reason.ends_with("over --max-cost-increase 10.0%") && !reason.contains('\n'),
            "{reason}"
        );
        // Faster is never a regression; slower is, past its own threshold.
        assert_eq!(gate(None, Some(0.0)).check(&c), Ok(()));
        let slower = result(512, &[(512, 1.0e-7, 36.0)]);
        let reason = gate(None, Some(0.1))
            .check(&Comparison::of(&before, &slower).unwrap())
            .unwrap_err();
        assert!(
            reason.contains("20.0% slower") && reason.contains("--max-duration-increase"),
            "{reason}"
        );
        assert!(!Gate::default().is_set());
    }

    #[test]
    fn percentages_read_with_or_without_the_sign() {
        assert_eq!(parse_percent("10%"), Ok(0.1));
        assert_eq!(parse_percent(" 2.5 "), Ok(0.025));
        assert!(parse_percent("-5%").is_err());
        assert!(parse_percent("ten").unwrap_err().contains("10%"));
    }
}
