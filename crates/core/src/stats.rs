//! Statistics of one power value's durations: the trimmed mean the reference project reports,
//! plus percentiles, spread and a confidence interval that says how far to trust that mean.

use serde::{Deserialize, Serialize};

/// The reference project's trimmed mean: sort, drop `floor(n * discard)` values at each end and
/// average the rest. An empty list averages to 0. At least one value is always kept, whatever
/// `discard` is, so the result is a value the caller actually measured.
pub fn trimmed_mean(values: &[f64], discard: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let sorted = sorted(values);
    let kept = trimmed(&sorted, discard);
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// How many values `trimmed_mean` drops at each end of `n` values.
pub fn trim_count(n: usize, discard: f64) -> usize {
    if n == 0 || discard.is_nan() || discard <= 0.0 {
        return 0;
    }
    // `as` saturates and floors positive values, as the reference's parseInt does.
    let k = (n as f64 * discard) as usize;
    k.min((n - 1) / 2)
}

/// A closed interval, used for confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

/// Everything we report about a list of durations (or costs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// How many values were summarized.
    pub count: usize,
    /// All values added up (for durations: the function's own time).
    #[serde(default)]
    pub sum: f64,
    /// The trimmed mean, as `trimmed_mean` computes it.
    pub trimmed_mean: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The median.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// Sample standard deviation of all values (n - 1 in the denominator).
    pub std_dev: f64,
    /// 95% confidence interval of the trimmed mean; `None` with fewer than two kept values.
    pub ci95: Option<Interval>,
}

/// Summarizes `values`; `None` when there are none.
pub fn summarize(values: &[f64], discard: f64) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let sorted = sorted(values);
    let n = sorted.len();
    let kept = trimmed(&sorted, discard);
    let trimmed_mean = kept.iter().sum::<f64>() / kept.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let std_dev = if n > 1 {
        (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(Summary {
        count: n,
        sum: sorted.iter().sum(),
        trimmed_mean,
        min: sorted[0],
        max: sorted[n - 1],
        p50: percentile_of_sorted(&sorted, 0.50),
        p90: percentile_of_sorted(&sorted, 0.90),
        p99: percentile_of_sorted(&sorted, 0.99),
        std_dev,
        ci95: trimmed_mean_ci95(&sorted, trim_count(n, discard), trimmed_mean),
    })
}

/// Percentile `p` (0..=1) by linear interpolation between the closest ranks (the method numpy
/// and R use by default), so p50 of an even-sized list is the mean of the middle two.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(percentile_of_sorted(&sorted(values), p))
}

fn percentile_of_sorted(sorted: &[f64], p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let rank = (sorted.len() - 1) as f64 * p;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    sorted[low] + (rank - low as f64) * (sorted[high] - sorted[low])
}

/// A trimmed mean with what Yuen's methods need: the winsorized sum of squares and the number
/// of values kept.
struct Trimmed {
    mean: f64,
    /// `sum((w_i - mean(w))^2)` over the winsorized values.
    winsorized_ss: f64,
    /// Values kept after trimming.
    kept: usize,
}

impl Trimmed {
    fn of_sorted(sorted: &[f64], g: usize) -> Trimmed {
        let n = sorted.len();
        let h = n - 2 * g;
        let kept = &sorted[g..n - g];
        let mean = kept.iter().sum::<f64>() / h as f64;
        let (lowest_kept, highest_kept) = (sorted[g], sorted[n - g - 1]);
        let winsorized = sorted.iter().map(|v| v.clamp(lowest_kept, highest_kept));
        let w_mean = winsorized.clone().sum::<f64>() / n as f64;
        let winsorized_ss = winsorized.map(|v| (v - w_mean).powi(2)).sum::<f64>();
        Trimmed {
            mean,
            winsorized_ss,
            kept: h,
        }
    }

    /// The squared standard error of the trimmed mean.
    fn variance_of_mean(&self) -> f64 {
        self.winsorized_ss / (self.kept as f64 * (self.kept - 1) as f64)
    }
}

/// Yuen's confidence interval for a trimmed mean: the winsorized variance gives the standard
/// error, with `h - 1` degrees of freedom where `h` values are kept. With no trimming it is the
/// familiar Student t interval of the mean. A plain t interval around a trimmed mean would be
/// too narrow, because trimming removes exactly the values that widen it.
fn trimmed_mean_ci95(sorted: &[f64], g: usize, trimmed_mean: f64) -> Option<Interval> {
    if sorted.len() < 2 * g + 2 {
        return None;
    }
    let t = Trimmed::of_sorted(sorted, g);
    let margin = student_t_975(t.kept - 1) * t.variance_of_mean().sqrt();
    Some(Interval {
        low: trimmed_mean - margin,
        high: trimmed_mean + margin,
    })
}

/// Yuen's two-sample test of trimmed means (Welch's test on trimmed means, with winsorized
/// variances and Welch-Satterthwaite degrees of freedom), each sample trimmed by `discard` as
/// the reference trims its averages. We use it to decide whether two power values differ,
/// because it compares the very statistic the recommendation is made of, and, unlike a t-test
/// on plain means, a few cold starts or stragglers do not decide it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YuenTest {
    /// The first sample's trimmed mean, the reference the second is compared with.
    pub reference: f64,
    /// The first trimmed mean minus the second.
    pub difference: f64,
    /// The standard error of that difference.
    pub std_error: f64,
    /// The degrees of freedom.
    pub df: f64,
}

impl YuenTest {
    /// Runs the test; `None` when a sample keeps fewer than two values after trimming.
    pub fn run(a: &[f64], b: &[f64], discard: f64) -> Option<YuenTest> {
        let (a, b) = (sorted(a), sorted(b));
        let (ga, gb) = (trim_count(a.len(), discard), trim_count(b.len(), discard));
        if a.len() < 2 * ga + 2 || b.len() < 2 * gb + 2 {
            return None;
        }
        let (ta, tb) = (Trimmed::of_sorted(&a, ga), Trimmed::of_sorted(&b, gb));
        let (da, db) = (ta.variance_of_mean(), tb.variance_of_mean());
        let denominator = da.powi(2) / (ta.kept - 1) as f64 + db.powi(2) / (tb.kept - 1) as f64;
        let df = if denominator > 0.0 {
            (da + db).powi(2) / denominator
        } else {
            f64::INFINITY
        };
        Some(YuenTest {
            reference: ta.mean,
            difference: ta.mean - tb.mean,
            std_error: (da + db).sqrt(),
            df,
        })
    }

    /// Whether the two count as the same: the test cannot tell them apart, or their trimmed
    /// means are within `margin` (a share of the reference's) of each other. With more data the
    /// test tells ever smaller differences apart; the margin is the difference too small to act
    /// on, so that ties settle instead of shrinking to the exact rule's pick.
    pub fn tied_within(&self, margin: f64) -> bool {
        self.indistinguishable() || self.difference.abs() <= margin * self.reference.abs()
    }

    /// Whether the difference is within what noise explains at 95% (two-sided): the samples do
    /// not show that the trimmed means differ.
    pub fn indistinguishable(&self) -> bool {
        if self.std_error == 0.0 {
            return self.difference == 0.0;
        }
        // Fractional degrees of freedom round down: the wider, more cautious interval.
        let df = if self.df.is_finite() {
            self.df.floor().max(1.0) as usize
        } else {
            usize::MAX
        };
        self.difference.abs() <= student_t_975(df) * self.std_error
    }
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (the multiplier
/// of a two-sided 95% interval). Exact table values up to 30, then the Cornish-Fisher expansion,
/// which is within 1e-5 of the true quantile from there on.
pub fn student_t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706204736,
        4.302652730,
        3.182446305,
        2.776445105,
        2.570581836,
        2.446911851,
        2.364624252,
        2.306004135,
        2.262157163,
        2.228138852,
        2.200985160,
        2.178812830,
        2.160368656,
        2.144786688,
        2.131449546,
        2.119905299,
        2.109815578,
        2.100922040,
        2.093024054,
        2.085963447,
        2.079613845,
        2.073873068,
        2.068657610,
        2.063898562,
        2.059538553,
        2.055529439,
        2.051830516,
        2.048407142,
        2.045229642,
        2.042272456,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        usize::MAX => 1.959_963_984_540_054,
        _ => t_quantile_expansion(df as f64),
    }
}

fn t_quantile_expansion(nu: f64) -> f64 {
    const Z: f64 = 1.959_963_984_540_054; // 0.975 quantile of the standard normal
    let z2 = Z * Z;
    let g1 = (z2 + 1.0) * Z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * Z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * Z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * Z / 92160.0;
    Z + g1 / nu + g2 / nu.powi(2) + g3 / nu.powi(3) + g4 / nu.powi(4)
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

fn trimmed(sorted: &[f64], discard: f64) -> &[f64] {
    let k = trim_count(sorted.len(), discard);
    &sorted[k..sorted.len() - k]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trimmed_mean_drops_the_top_and_bottom_share() {
        assert_eq!(trimmed_mean(&[1.0, 2.0, 3.0, 4.0, 2000.0], 0.2), 3.0);
        assert_eq!(trimmed_mean(&[2000.0, 4.0, 1.0, 3.0, 2.0], 0.4), 3.0);
    }

    #[test]
    fn trimmed_mean_without_trimming_is_the_mean() {
        assert_eq!(trimmed_mean(&[1.0, 2.0, 3.0, 4.0, 2000.0], 0.0), 402.0);
    }

    #[test]
    fn trimmed_mean_of_ten_values_matches_the_reference() {
        let values = [0.2, 0.5, 2.0, 3.0, 3.0, 4.0, 4.5, 10.0, 50.0, 200.0];
        assert_eq!(trimmed_mean(&values, 0.2), 4.416666666666667);
    }

    #[test]
    fn trimmed_mean_of_nothing_is_zero() {
        assert_eq!(trimmed_mean(&[], 0.2), 0.0);
    }

    #[test]
    fn trimmed_mean_of_too_few_values_keeps_them_all() {
        assert_eq!(trimmed_mean(&[1.0], 0.4), 1.0);
        assert_eq!(trimmed_mean(&[1.0, 3.0], 0.4), 2.0);
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(5.5));
        assert!((percentile(&values, 0.9).unwrap() - 9.1).abs() < 1e-12);
        assert!((percentile(&values, 0.99).unwrap() - 9.91).abs() < 1e-12);
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&values, 1.0), Some(10.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn summary_reports_spread_and_extremes() {
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 0.0).unwrap();
        assert_eq!(s.count, 8);
        assert_eq!(s.sum, 40.0);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        assert_eq!(s.trimmed_mean, 5.0);
        // sum of squared deviations is 32, over n - 1 = 7
        assert!((s.std_dev - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.p50, 4.5);
    }

    #[test]
    fn untrimmed_interval_is_the_student_t_interval() {
        // mean 5, s = sqrt(32/7), n = 8, t(7) = 2.364624252
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 0.0).unwrap();
        let margin = 2.364624252 * (32.0f64 / 7.0).sqrt() / 8.0f64.sqrt();
        let ci = s.ci95.unwrap();
        assert!((ci.low - (5.0 - margin)).abs() < 1e-9);
        assert!((ci.high - (5.0 + margin)).abs() < 1e-9);
    }

    #[test]
    fn trimmed_interval_uses_the_winsorized_variance() {
        // n = 10, 20% trimming: g = 2, h = 6. Winsorized sample:
        // [2,2,2,3,3,4,4.5,10,10,10], mean 5.05, squared deviations sum 111.225.
        let values = [0.2, 0.5, 2.0, 3.0, 3.0, 4.0, 4.5, 10.0, 50.0, 200.0];
        let s = summarize(&values, 0.2).unwrap();
        let se = (111.225f64 / (6.0 * 5.0)).sqrt();
        let ci = s.ci95.unwrap();
        let expected_low = 4.416666666666667 - 2.570581836 * se;
        assert!((ci.low - expected_low).abs() < 1e-9, "{ci:?}");
        // The outliers 50 and 200 would make a plain t interval absurdly wide.
        assert!(ci.high < 10.0);
    }

    #[test]
    fn a_single_value_has_no_interval() {
        let s = summarize(&[3.0], 0.2).unwrap();
        assert_eq!(s.ci95, None);
        assert_eq!((s.p50, s.p99, s.std_dev), (3.0, 3.0, 0.0));
    }

    #[test]
    fn t_quantiles_are_continuous_past_the_table() {
        // Known quantiles: t(0.975; 30) = 2.042272456, t(0.975; 60) = 2.000297822,
        // t(0.975; 120) = 1.979930405.
        assert!((t_quantile_expansion(30.0) - 2.042272456).abs() < 1e-5);
        assert!((student_t_975(60) - 2.000297822).abs() < 1e-6);
        assert!((student_t_975(120) - 1.979930405).abs() < 1e-6);
        assert!(student_t_975(31) < student_t_975(30));
    }

    #[test]
    fn yuen_separates_what_noise_does_not_explain() {
        let a: Vec<f64> = (1..=10).map(f64::from).collect();
        // No trimming: Welch's test. Var(1..10) = 9.1667, so the standard error of a difference
        // of means is sqrt(2 * 9.1667 / 10) = 1.354, with 18 degrees of freedom (t = 2.101).
        let shifted = |d: f64| a.iter().map(|v| v + d).collect::<Vec<_>>();
        let near = YuenTest::run(&a, &shifted(1.0), 0.0).unwrap();
        assert!((near.std_error - 1.354).abs() < 1e-3, "{near:?}");
        assert!((near.df - 18.0).abs() < 1e-9, "{near:?}");
        assert!(near.indistinguishable());
        let far = YuenTest::run(&a, &shifted(5.0), 0.0).unwrap();
        assert!(!far.indistinguishable(), "{far:?}");
        assert!((far.difference + 5.0).abs() < 1e-12);
        // Constant samples: equal is a tie, unequal is not.
        assert!(YuenTest::run(&[3.0; 5], &[3.0; 5], 0.2)
            .unwrap()
            .indistinguishable());
        assert!(!YuenTest::run(&[3.0; 5], &[4.0; 5], 0.2)
            .unwrap()
            .indistinguishable());
        // Too few values kept to estimate a spread.
        assert_eq!(YuenTest::run(&[1.0], &a, 0.2), None);
    }

    #[test]
    fn trimming_keeps_a_straggler_from_deciding() {
        let a = [10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.3, 10.1, 9.9, 10.0];
        let mut b = a;
        b[3] = 400.0; // one cold start
        assert!(YuenTest::run(&a, &b, 0.2).unwrap().indistinguishable());
        let plain = YuenTest::run(&a, &b, 0.0).unwrap();
        assert!(plain.difference.abs() > 30.0);
    }

    proptest! {
        #[test]
        fn a_sample_is_never_distinguishable_from_itself_reordered(
            mut values in proptest::collection::vec(1.0f64..1000.0, 5..40),
            discard in 0.0f64..0.4,
        ) {
            let original = values.clone();
            values.reverse();
            let test = YuenTest::run(&original, &values, discard);
            prop_assert!(test.is_none_or(|t| t.indistinguishable()));
        }

        #[test]
        fn trimmed_mean_never_panics_and_stays_within_range(
            values in proptest::collection::vec(-1e9f64..1e9, 0..200),
            discard in -1.0f64..2.0,
        ) {
            let mean = trimmed_mean(&values, discard);
            if values.is_empty() {
                prop_assert_eq!(mean, 0.0);
            } else {
                let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
                let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                prop_assert!(mean >= min - 1e-6 * min.abs().max(1.0));
                prop_assert!(mean <= max + 1e-6 * max.abs().max(1.0));
            }
        }

        #[test]
        fn summary_percentiles_are_ordered(
            values in proptest::collection::vec(0f64..1e6, 1..100),
            discard in 0.0f64..0.4,
        ) {
            let s = summarize(&values, discard).unwrap();
            prop_assert!(s.min <= s.p50 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
            if let Some(ci) = s.ci95 {
                prop_assert!(ci.low <= s.trimmed_mean && s.trimmed_mean <= ci.high);
            }
        }
    }
}
