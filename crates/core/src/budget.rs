//! A latency budget: "p95 under 200 ms, as cheap as possible". The input's `maxDuration` names a
//! statistic of the durations and its limit; the strategy then chooses among the power values
//! whose statistic is within the limit, and the decision says how sure that is from the
//! statistic's 95% interval: the pick meets the budget (the whole interval is within it), is
//! borderline (the interval crosses the limit), or no power value meets it (the fastest is
//! recommended instead).

use crate::stats::{percentile, summarize};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The statistic of a power value's durations that a budget limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Statistic {
    /// The trimmed mean, the average every report shows (`discardTopBottom` trims it).
    Mean,
    /// The 90th percentile.
    P90,
    /// The 95th percentile.
    P95,
    /// The 99th percentile.
    P99,
}

impl Statistic {
    /// The input's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::P90 => "p90",
            Statistic::P95 => "p95",
            Statistic::P99 => "p99",
        }
    }

    fn quantile(self) -> Option<f64> {
        match self {
            Statistic::Mean => None,
            Statistic::P90 => Some(0.90),
            Statistic::P95 => Some(0.95),
            Statistic::P99 => Some(0.99),
        }
    }
}

impl FromStr for Statistic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mean" => Ok(Statistic::Mean),
            "p90" => Ok(Statistic::P90),
            "p95" => Ok(Statistic::P95),
            "p99" => Ok(Statistic::P99),
            _ => Err(format!(
                "the statistic must be mean, p90, p95 or p99, not {s:?}"
            )),
        }
    }
}

/// `maxDuration`: the most a statistic of the durations may be, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    /// Which statistic.
    pub statistic: Statistic,
    /// Its limit, ms.
    pub ms: f64,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ≤ {} ms",
            self.statistic.as_str(),
            trim_float(self.ms)
        )
    }
}

fn trim_float(ms: f64) -> String {
    if ms.fract() == 0.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms}")
    }
}

impl FromStr for Budget {
    type Err = String;

    /// The command line's form: `p95=200ms`, `mean=1.5s`, `p99=250`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (statistic, limit) = s.split_once('=').ok_or_else(|| {
            format!("{s:?} is not a budget: write STATISTIC=LIMIT, for example p95=200ms")
        })?;
        let statistic: Statistic = statistic.trim().parse()?;
        let limit = limit.trim();
        let (number, scale) = if let Some(ms) = limit.strip_suffix("ms") {
            (ms, 1.0)
        } else if let Some(s) = limit.strip_suffix('s') {
            (s, 1000.0)
        } else {
            (limit, 1.0)
        };
        let ms = number
            .trim()
            .parse::<f64>()
            .ok()
            .map(|n| n * scale)
            .filter(|ms| ms.is_finite() && *ms > 0.0)
            .ok_or_else(|| {
                format!("the limit {limit:?} must be a positive duration such as 200ms or 1.5s")
            })?;
        Ok(Budget { statistic, ms })
    }
}

/// A statistic of one power value's durations and its 95% interval, ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The statistic.
    pub value: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
}

/// How a power value stands against the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Standing {
    /// The whole interval is within the limit.
    Meets,
    /// The interval crosses the limit.
    Borderline,
    /// The whole interval is over the limit.
    Over,
}

impl Budget {
    /// The statistic of `durations` and its 95% interval; `None` without durations. The mean
    /// is the trimmed mean with its bootstrap interval; a percentile's interval is the
    /// distribution-free one between two order statistics (the binomial ranks around n x q).
    pub fn estimate(&self, durations: &[f64], discard: f64) -> Option<Estimate> {
        match self.statistic.quantile() {
            None => {
                let s = summarize(durations, discard)?;
                let (low, high) = s
                    .ci95
                    .map_or((s.trimmed_mean, s.trimmed_mean), |c| (c.low, c.high));
                Some(Estimate {
                    value: s.trimmed_mean,
                    low,
                    high,
                })
            }
            Some(q) => quantile_estimate(durations, q),
        }
    }

    /// The statistic when a share `rate` of the invocations are cold starts lasting
    /// `cold_duration` and the rest are like `warm`. The mean is the blend of the means; a
    /// percentile is the mix's: the warm invocations' q / (1 - rate) percentile while q is
    /// within the warm share, else the cold starts themselves.
    pub(crate) fn estimate_mixed(
        &self,
        warm: &[f64],
        rate: f64,
        cold_duration: f64,
        discard: f64,
    ) -> Option<Estimate> {
        let cold = Estimate {
            value: cold_duration,
            low: cold_duration,
            high: cold_duration,
        };
        match self.statistic.quantile() {
            None => {
                let blended: Vec<f64> = warm
                    .iter()
                    .map(|w| (1.0 - rate) * w + rate * cold_duration)
                    .collect();
                self.estimate(&blended, discard).or(Some(cold))
            }
            Some(q) if q <= 1.0 - rate => quantile_estimate(warm, q / (1.0 - rate)),
            Some(_) => Some(cold),
        }
    }

    /// Whether the statistic itself is within the limit: such a power value may be chosen.
    pub(crate) fn admits(&self, estimate: &Estimate) -> bool {
        estimate.value <= self.ms
    }

    /// How sure it is that the power value meets the budget.
    pub(crate) fn standing(&self, estimate: &Estimate) -> Standing {
        if estimate.high <= self.ms {
            Standing::Meets
        } else if estimate.low > self.ms {
            Standing::Over
        } else {
            Standing::Borderline
        }
    }
}

/// Percentile `q` of `durations` and its distribution-free 95% interval between two order
/// statistics (the binomial ranks around n x q).
fn quantile_estimate(durations: &[f64], q: f64) -> Option<Estimate> {
    let value = percentile(durations, q)?;
    let mut sorted = durations.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let half = 1.96 * (n * q * (1.0 - q)).sqrt();
    let rank = |r: f64| (r.max(1.0).min(n) as usize) - 1;
    Some(Estimate {
        value,
        low: sorted[rank((n * q - half).floor())].min(value),
        high: sorted[rank((n * q + half).ceil() + 1.0)].max(value),
    })
}

/// What the result says about the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetOutcome {
    /// The budget.
    #[serde(flatten)]
    pub budget: Budget,
    /// `meets` (the pick's whole interval is within the limit), `borderline` (it crosses the
    /// limit) or `none` (no power value's statistic is within it: the fastest is recommended).
    pub verdict: Verdict,
    /// The recommendation's statistic and its 95% interval.
    pub estimate: Estimate,
    /// The power values whose statistic is over the limit.
    pub over: Vec<u32>,
}

/// The budget's verdict on the recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// The recommendation meets the budget beyond the noise.
    Meets,
    /// The recommendation's statistic is within the limit, but its interval crosses it.
    Borderline,
    /// No power value meets the budget; the recommendation is the fastest.
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_form_reads_statistic_and_limit() {
        let b: Budget = "p95=200ms".parse().unwrap();
        assert_eq!(
            b,
            Budget {
                statistic: Statistic::P95,
                ms: 200.0
            }
        );
        assert_eq!("mean=1.5s".parse::<Budget>().unwrap().ms, 1500.0);
        assert_eq!("p99=250".parse::<Budget>().unwrap().ms, 250.0);
        assert_eq!(b.to_string(), "p95 ≤ 200 ms");
        assert!("p95".parse::<Budget>().unwrap_err().contains("p95=200ms"));
        assert!("p42=200ms"
            .parse::<Budget>()
            .unwrap_err()
            .contains("mean, p90, p95 or p99"));
        assert!("p95=-3ms"
            .parse::<Budget>()
            .unwrap_err()
            .contains("positive duration"));
        assert!("p95=fast".parse::<Budget>().is_err());
    }

    #[test]
    fn a_percentile_interval_holds_the_percentile_and_narrows_with_more_invocations() {
        let b = Budget {
            statistic: Statistic::P95,
            ms: 100.0,
        };
        let few: Vec<f64> = (1..=20).map(f64::from).collect();
        let many: Vec<f64> = (1..=400).map(|i| f64::from(i) / 20.0).collect();
        let (f, m) = (
            b.estimate(&few, 0.2).unwrap(),
            b.estimate(&many, 0.2).unwrap(),
        );
        for e in [f, m] {
            assert!(e.low <= e.value && e.value <= e.high, "{e:?}");
        }
        // Both lists span 1 to 20; the interval over 400 is a fraction of the one over 20.
        assert!((m.high - m.low) < 0.5 * (f.high - f.low), "{f:?} {m:?}");
        // With 20 invocations the p95's upper end is the largest one.
        assert_eq!(f.high, 20.0);
    }

    #[test]
    fn with_cold_starts_a_percentile_is_the_mixes() {
        let p95 = Budget {
            statistic: Statistic::P95,
            ms: 100.0,
        };
        let warm: Vec<f64> = (1..=100).map(f64::from).collect();
        // 1% cold: the 95th percentile is the warm invocations' 95.96th.
        let rare = p95.estimate_mixed(&warm, 0.01, 1000.0, 0.2).unwrap();
        assert!((rare.value - percentile(&warm, 0.95 / 0.99).unwrap()).abs() < 1e-9);
        // 10% cold: more than 5% of the invocations are cold starts, so they are the p95.
        let often = p95.estimate_mixed(&warm, 0.10, 1000.0, 0.2).unwrap();
        assert_eq!(often.value, 1000.0);
        assert_eq!(p95.standing(&often), Standing::Over);
        // The mean is the blend of the means.
        let mean = Budget {
            statistic: Statistic::Mean,
            ms: 100.0,
        };
        let m = mean.estimate_mixed(&warm, 0.10, 1000.0, 0.0).unwrap();
        assert!((m.value - (0.9 * 50.5 + 100.0)).abs() < 1e-9, "{m:?}");
    }

    #[test]
    fn standing_follows_the_interval() {
        let b = Budget {
            statistic: Statistic::Mean,
            ms: 100.0,
        };
        let e = |value, low, high| Estimate { value, low, high };
        assert_eq!(b.standing(&e(80.0, 70.0, 90.0)), Standing::Meets);
        assert_eq!(b.standing(&e(95.0, 85.0, 105.0)), Standing::Borderline);
        assert_eq!(b.standing(&e(105.0, 95.0, 115.0)), Standing::Borderline);
        assert_eq!(b.standing(&e(120.0, 110.0, 130.0)), Standing::Over);
        assert!(b.admits(&e(100.0, 90.0, 110.0)) && !b.admits(&e(100.5, 90.0, 110.0)));
        // The mean is the trimmed mean with its bootstrap interval.
        let durations = [10.0, 11.0, 12.0, 13.0, 1000.0];
        let mean = b.estimate(&durations, 0.2).unwrap();
        assert_eq!(mean.value, 12.0);
        assert!(mean.low < 12.0 && mean.high > 12.0);
    }
}
