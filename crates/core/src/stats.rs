//! Statistics of one power value's durations: the trimmed mean the reference project reports,
//! plus percentiles, spread, and bootstrap intervals that say how far to trust that mean and
//! how far apart two power values' means are.

use serde::{Deserialize, Serialize};

/// The reference project's trimmed mean: sort, drop `floor(n * discard)` values at each end and
/// average the rest. An empty list averages to 0. At least one value is always kept, whatever
/// `discard` is, so the result is a value the caller actually measured.
pub(crate) fn trimmed_mean(values: &[f64], discard: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let sorted = sorted(values);
    let kept = trimmed(&sorted, discard);
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// How many values `trimmed_mean` drops at each end of `n` values.
pub(crate) fn trim_count(n: usize, discard: f64) -> usize {
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
    /// 95% percentile-bootstrap interval of the trimmed mean ([`trimmed_mean_interval`]);
    /// `None` with fewer than two values.
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
        ci95: trimmed_mean_interval(&sorted, discard),
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

/// How many resamples a bootstrap interval draws: Wilcox's default for the percentile
/// bootstrap of trimmed means (`trimpb` and `trimpb2` in his WRS functions; Wilcox,
/// "Introduction to Robust Estimation and Hypothesis Testing", 4th ed., 2017).
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// Resamples for a sample of `n`: [`BOOTSTRAP_RESAMPLES`] up to 100 values, fewer beyond (at
/// least 500), so that the work stays about that of 100 values. The interval's ends are then
/// percentiles of at least 500 replicates, within about 0.7 points of their nominal 2.5% and
/// 97.5%, while with hundreds of values the interval is narrow anyway.
fn resamples(n: usize) -> usize {
    (BOOTSTRAP_RESAMPLES * 100 / n.max(1)).clamp(500, BOOTSTRAP_RESAMPLES)
}

/// The 95% percentile-bootstrap interval of the trimmed mean of `values` (Wilcox's `trimpb`):
/// the 2.5th and 97.5th percentiles of the trimmed means of [`BOOTSTRAP_RESAMPLES`] resamples.
/// Unlike a t interval it follows the data's skew, and it never leaves the range of the values
/// measured (so a duration's interval never goes below zero). It always contains the trimmed
/// mean itself. `None` with fewer than two values. Deterministic: the resampling is seeded from
/// the values.
pub fn trimmed_mean_interval(values: &[f64], discard: f64) -> Option<Interval> {
    if values.len() < 2 {
        return None;
    }
    let estimate = trimmed_mean(values, discard);
    // Sorted first, so that the interval does not depend on the order the values came in.
    let values = &sorted(values);
    let mut rng = Resampler::seeded(&[values]);
    let mut buffer = Vec::with_capacity(values.len());
    let mut means: Vec<f64> = (0..resamples(values.len()))
        .map(|_| rng.trimmed_mean_of_resample(values, discard, &mut buffer))
        .collect();
    let (low, high) = central_95(&mut means);
    Some(Interval {
        low: low.min(estimate),
        high: high.max(estimate),
    })
}

/// The 95% percentile-bootstrap interval of the ratio of two trimmed means, `a`'s over `b`'s
/// (Wilcox's `trimpb2`, which bootstraps the difference of two independent groups' trimmed
/// means; the ratio says it as a share, the way a user compares prices). `estimate` is the
/// ratio of the trimmed means themselves, always inside the interval. `None` when either side
/// has fewer than two values or `b`'s trimmed mean is not positive. Seeded from the two samples
/// alone, so that a comparison of two power values does not depend on which others were tested.
pub(crate) fn ratio_interval(a: &[f64], b: &[f64], discard: f64) -> Option<Ratio> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ta, tb) = (trimmed_mean(a, discard), trimmed_mean(b, discard));
    if tb <= 0.0 || !ta.is_finite() || !tb.is_finite() {
        return None;
    }
    let estimate = ta / tb;
    let (a, b) = (&sorted(a), &sorted(b));
    let mut rng = Resampler::seeded(&[a, b]);
    let (mut buffer_a, mut buffer_b) = (Vec::with_capacity(a.len()), Vec::with_capacity(b.len()));
    let mut ratios: Vec<f64> = (0..resamples(a.len().max(b.len())))
        .map(|_| {
            let ra = rng.trimmed_mean_of_resample(a, discard, &mut buffer_a);
            let rb = rng.trimmed_mean_of_resample(b, discard, &mut buffer_b);
            if rb > 0.0 {
                ra / rb
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let (low, high) = central_95(&mut ratios);
    Some(Ratio {
        estimate,
        low: low.min(estimate),
        high: high.max(estimate),
    })
}

/// A ratio of two trimmed means and its 95% bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ratio {
    /// The ratio of the trimmed means.
    pub estimate: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
}

/// The 2.5th and 97.5th percentiles of bootstrap replicates, at the ranks Wilcox's functions
/// use: with B = 2000, the 51st and the 1950th smallest.
fn central_95(replicates: &mut [f64]) -> (f64, f64) {
    replicates.sort_by(f64::total_cmp);
    let b = replicates.len();
    let cut = ((0.025 * b as f64).round() as usize).min(b.saturating_sub(1) / 2);
    (replicates[cut], replicates[b - 1 - cut])
}

/// A small, fast, reproducible generator for resampling (SplitMix64, Steele, Lea and Flood
/// 2014), seeded from the data it resamples, so the same measurements always give the same
/// intervals and decisions.
#[derive(Debug, Clone)]
pub(crate) struct Resampler(u64);

impl Resampler {
    /// Seeded with `seed` itself.
    #[cfg(test)]
    pub(crate) fn new(seed: u64) -> Resampler {
        Resampler(seed)
    }

    /// Seeded from every number of `samples` (FNV-1a over their bits, and their lengths).
    pub(crate) fn seeded(samples: &[&[f64]]) -> Resampler {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for byte in x.to_le_bytes() {
                h ^= u64::from(byte);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for sample in samples {
            eat(sample.len() as u64);
            sample.iter().for_each(|x| eat(x.to_bits()));
        }
        Resampler(h)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0), by Lemire's multiply-shift (its bias is below 2^-40 here).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// The trimmed mean of one resample of `values` (as many, drawn with replacement), drawn
    /// into `buffer`.
    fn trimmed_mean_of_resample(
        &mut self,
        values: &[f64],
        discard: f64,
        buffer: &mut Vec<f64>,
    ) -> f64 {
        buffer.clear();
        buffer.extend((0..values.len()).map(|_| values[self.below(values.len())]));
        trimmed_mean_in_place(buffer, discard)
    }
}

/// The trimmed mean of `values` (reordered), as [`trimmed_mean`] computes it, in linear time:
/// two selections instead of a sort.
fn trimmed_mean_in_place(values: &mut [f64], discard: f64) -> f64 {
    let n = values.len();
    let g = trim_count(n, discard);
    let kept: &mut [f64] = if g == 0 {
        values
    } else {
        values.select_nth_unstable_by(g, f64::total_cmp);
        let rest = &mut values[g..];
        let last = n - 2 * g - 1;
        rest.select_nth_unstable_by(last, f64::total_cmp);
        &mut rest[..=last]
    };
    kept.iter().sum::<f64>() / kept.len() as f64
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

    /// Draws from a log-normal distribution (median `median`, log spread `sigma`).
    fn log_normal(rng: &mut Resampler, n: usize, median: f64, sigma: f64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let u1 = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                let u2 = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median * (sigma * z).exp()
            })
            .collect()
    }

    #[test]
    fn the_bootstrap_interval_follows_the_skew_and_stays_above_zero() {
        // Nine fast invocations and a throttled one, as a function near its CPU quota gives:
        // a symmetric t interval of this went below zero.
        let values = [2.0, 1.9, 2.1, 2.0, 19.5, 2.2, 1.8, 2.0, 2.1, 19.8];
        let ci = summarize(&values, 0.0).unwrap().ci95.unwrap();
        let mean = values.iter().sum::<f64>() / 10.0;
        assert!(ci.low >= 1.8 && ci.high <= 19.8, "{ci:?}");
        assert!(ci.low < mean && mean < ci.high, "{ci:?}");
        // Skewed to the right: the interval reaches further above the mean than below it.
        assert!(ci.high - mean > mean - ci.low, "{ci:?}");
        // The same values give the same interval.
        assert_eq!(trimmed_mean_interval(&values, 0.0), Some(ci));
    }

    #[test]
    fn the_bootstrap_interval_covers_the_true_trimmed_mean_about_as_often_as_it_says() {
        // 400 samples of 20 from a skewed distribution whose 20%-trimmed mean is known closely
        // (from 200,000 draws): the percentile bootstrap covers it in about 95% of them
        // (Wilcox reports it close to nominal for 20% trimmed means).
        let mut rng = Resampler::new(7);
        let truth = trimmed_mean(&log_normal(&mut rng, 200_000, 10.0, 0.5), 0.2);
        let covered = (0..400)
            .filter(|_| {
                let sample = log_normal(&mut rng, 20, 10.0, 0.5);
                let ci = trimmed_mean_interval(&sample, 0.2).unwrap();
                ci.low <= truth && truth <= ci.high
            })
            .count();
        assert!((360..=392).contains(&covered), "{covered} of 400");
    }

    #[test]
    fn the_linear_trimmed_mean_is_the_sorted_one() {
        let mut rng = Resampler::new(3);
        for n in [1, 2, 5, 10, 37, 200] {
            let values = log_normal(&mut rng, n, 10.0, 1.0);
            for discard in [0.0, 0.1, 0.2, 0.4] {
                let mut copy = values.clone();
                let fast = trimmed_mean_in_place(&mut copy, discard);
                let slow = trimmed_mean(&values, discard);
                assert!(
                    (fast - slow).abs() <= 1e-9 * slow.abs(),
                    "{n} {discard}: {fast} {slow}"
                );
            }
        }
    }

    #[test]
    fn the_ratio_interval_says_how_far_apart_two_trimmed_means_are() {
        let mut rng = Resampler::new(11);
        let a = log_normal(&mut rng, 30, 10.0, 0.1);
        let b: Vec<f64> = log_normal(&mut rng, 30, 10.0, 0.1)
            .iter()
            .map(|x| x * 1.5)
            .collect();
        // b is about 1.5 times a, and its interval says so.
        let r = ratio_interval(&b, &a, 0.2).unwrap();
        assert!(
            r.low > 1.3 && r.high < 1.7 && r.low < r.estimate && r.estimate < r.high,
            "{r:?}"
        );
        // A sample against itself: the ratio is 1, and 1 is inside.
        let same = ratio_interval(&a, &a, 0.2).unwrap();
        assert_eq!(same.estimate, 1.0);
        assert!(same.low < 1.0 && same.high > 1.0, "{same:?}");
        // Seeded from the two samples only: the same pair always gives the same interval.
        assert_eq!(ratio_interval(&b, &a, 0.2), Some(r));
        // Nothing to compare.
        assert_eq!(ratio_interval(&[1.0], &a, 0.2), None);
        assert_eq!(ratio_interval(&a, &[0.0, 0.0], 0.2), None);
    }

    #[test]
    fn a_single_value_has_no_interval() {
        let s = summarize(&[3.0], 0.2).unwrap();
        assert_eq!(s.ci95, None);
        assert_eq!((s.p50, s.p99, s.std_dev), (3.0, 3.0, 0.0));
    }

    proptest! {
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
                // Within the values measured: a duration's interval never goes below zero.
                let slack = 1e-9 * s.max.abs().max(1.0);
                prop_assert!(s.min - slack <= ci.low && ci.high <= s.max + slack);
            }
        }
    }
}
