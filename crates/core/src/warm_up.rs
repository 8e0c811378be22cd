//! Warm-up: whether an environment's first warm invocations are slower than its later ones
//! (a module imported on first use, a JIT compiler catching up, caches filling), measured over
//! every power value's environments at once; where they are, those invocations are set apart
//! as cold starts are, so that they neither dominate the noise of a short run nor vanish.
//!
//! The test: in each environment with at least four warm invocations, is its k-th warm
//! invocation slower than every one of its later half? Were it no different from them, that
//! would happen by chance with probability 1 / (t + 1), t being the later half's size. Over
//! the environments this is a sign test (its counts follow a Poisson binomial distribution):
//! the k-th warm invocation is a warm-up when the count is significant at [`ALPHA`]. The first
//! warm invocation is tested first, then the second, and so on through the first half, until
//! one is not a warm-up. Comparing with the slowest of the later ones keeps a function whose
//! steady invocations are bimodal (a CPU quota throttling some of them) from losing its slow
//! mode to the warm-up.

use crate::power::PowerStats;
use serde::{Deserialize, Serialize};

/// The level of each position's test (one-sided).
pub const ALPHA: f64 = 0.05;
/// The fewest warm invocations an environment needs to take part.
const MIN_WARM: usize = 4;

/// The warm-up a run's measurements show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detected {
    /// How many warm invocations after each cold start are warm-ups.
    pub per_environment: u32,
    /// The environments the test looked at.
    pub environments: u32,
    /// In how many of them the first warm invocation was slower than every later one.
    pub slower: u32,
    /// The chance of at least that many by luck (the sign test's p-value).
    pub p_value: f64,
    /// The first warm invocation's duration over its environment's steady median: the
    /// smallest and largest across the environments.
    pub ratio: (f64, f64),
}

/// Finds the warm-up in `stats` and sets it apart in every power value whose samples are all
/// of its invocations, recomputing its statistics from them with `discard` (a plain run of
/// more than [`crate::power::MAX_SAMPLES`] keeps a selection; its averages stay over every
/// warm invocation). Applying it again gives the same statistics: the test reads only the cold
/// starts' positions.
pub fn apply(stats: &mut [PowerStats], discard: f64) -> Option<Detected> {
    let detected = detect(stats);
    let k = detected.as_ref().map_or(0, |d| d.per_environment);
    for s in stats.iter_mut() {
        *s = s.with_warm_ups(k, discard);
    }
    detected
}

/// The warm-up in `stats`, if the test finds one.
pub fn detect(stats: &[PowerStats]) -> Option<Detected> {
    let environments: Vec<Vec<f64>> = stats.iter().flat_map(environments).collect();
    let mut k = 0;
    let mut first = None;
    loop {
        let position = k + 1;
        let taking_part: Vec<&Vec<f64>> = environments
            .iter()
            .filter(|warm| position <= warm.len() / 2)
            .collect();
        let chances: Vec<f64> = taking_part
            .iter()
            .map(|warm| 1.0 / (later_half(warm).len() + 1) as f64)
            .collect();
        let slower = taking_part
            .iter()
            .filter(|warm| {
                let slowest = later_half(warm).iter().copied().fold(f64::MIN, f64::max);
                warm[position - 1] > slowest
            })
            .count();
        let p = at_least(slower, &chances);
        if taking_part.is_empty() || p >= ALPHA {
            break;
        }
        if position == 1 {
            first = Some((taking_part.len(), slower, p, ratios(&taking_part)));
        }
        k = position;
    }
    let (environments, slower, p_value, ratio) = first?;
    Some(Detected {
        per_environment: k as u32,
        environments: environments as u32,
        slower: slower as u32,
        p_value,
        ratio,
    })
}

/// Each environment's warm invocations in order, from a power value whose samples are all of
/// its invocations: the runs between one cold start and the next.
fn environments(s: &PowerStats) -> Vec<Vec<f64>> {
    let Some(samples) = s.samples.as_ref().filter(|x| x.complete(s.invocations)) else {
        return Vec::new();
    };
    let cold = samples.cold_flags();
    let mut found: Vec<Vec<f64>> = Vec::new();
    for (i, &d) in samples.durations.iter().enumerate() {
        if cold[i] {
            found.push(Vec::new());
        } else if let Some(current) = found.last_mut() {
            current.push(d);
        }
    }
    found.retain(|warm| warm.len() >= MIN_WARM);
    found
}

/// The later half of an environment's warm invocations, which stand for its steady state.
fn later_half(warm: &[f64]) -> &[f64] {
    &warm[warm.len() / 2..]
}

/// The first warm invocation over the environment's steady median, smallest and largest.
fn ratios(environments: &[&Vec<f64>]) -> (f64, f64) {
    environments
        .iter()
        .filter_map(|warm| {
            let median = crate::stats::percentile(later_half(warm), 0.5)?;
            (median > 0.0).then(|| warm[0] / median)
        })
        .fold((f64::INFINITY, 0.0), |(lo, hi), r| (lo.min(r), hi.max(r)))
}

/// P(X >= k) where X counts successes of independent trials with these chances (the Poisson
/// binomial distribution), by the usual recurrence over the trials.
fn at_least(k: usize, chances: &[f64]) -> f64 {
    let mut counts = vec![0.0; chances.len() + 1];
    counts[0] = 1.0;
    for (n, &p) in chances.iter().enumerate() {
        for j in (0..=n + 1).rev() {
            let stay = counts[j] * (1.0 - p);
            let step = if j > 0 { counts[j - 1] * p } else { 0.0 };
            counts[j] = stay + step;
        }
    }
    counts
        .get(k..)
        .map_or(0.0, |tail| tail.iter().sum::<f64>().min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::{Counts, Invocations, Keep};

    /// A power value of `environments` environments, each a cold start then `warm` warm
    /// invocations of `steady(i)` ms, the first of which `first` multiplies.
    fn power(value: u32, warm: &[f64], first: f64) -> PowerStats {
        let mut durations = vec![1000.0];
        durations.extend(
            warm.iter()
                .enumerate()
                .map(|(i, &d)| if i == 0 { d * first } else { d }),
        );
        let billed: Vec<f64> = durations.iter().map(|d| d.ceil()).collect();
        let mut cold = vec![false; durations.len()];
        cold[0] = true;
        PowerStats::of_invocations(
            value,
            Invocations {
                durations: &durations,
                billed: &billed,
                cold: &cold,
                warm_up: &[],
            },
            1e-8,
            Counts::default(),
            0.2,
            Keep::All,
        )
    }

    /// Nine durations within 10% of `base`, to 0.01 ms as samples keep them.
    fn noisy(base: f64, seed: u64) -> Vec<f64> {
        let mut rng = crate::stats::Resampler::seeded(&[&[base, seed as f64]]);
        (0..9)
            .map(|_| base * (1.0 + 0.1 * ((rng.next() >> 11) as f64 / (1u64 << 53) as f64)))
            .map(|d| (d * 100.0).round() / 100.0)
            .collect()
    }

    #[test]
    fn the_poisson_binomial_tail_matches_the_binomial_one() {
        // Six environments, each slower than its 5 later ones with chance 1/6.
        let p = [1.0 / 6.0; 6];
        assert!((at_least(0, &p) - 1.0).abs() < 1e-12);
        // P(X >= 4) = 15 (1/6)^4 (5/6)^2 + 6 (1/6)^5 (5/6) + (1/6)^6
        let expected = 15.0 * (1.0f64 / 6.0).powi(4) * (5.0f64 / 6.0).powi(2)
            + 6.0 * (1.0f64 / 6.0).powi(5) * (5.0 / 6.0)
            + (1.0f64 / 6.0).powi(6);
        assert!((at_least(4, &p) - expected).abs() < 1e-12);
        assert_eq!(at_least(7, &p), 0.0);
    }

    #[test]
    fn a_slow_first_warm_invocation_everywhere_is_a_warm_up() {
        // Five power values; the first warm invocation takes three times the rest.
        let mut stats: Vec<PowerStats> = [128, 256, 512, 1024, 1769]
            .iter()
            .enumerate()
            .map(|(i, &m)| power(m, &noisy(100.0 * 1769.0 / f64::from(m), i as u64), 3.0))
            .collect();
        let before = stats[2].average_duration;
        let detected = apply(&mut stats, 0.2).expect("a warm-up");
        assert_eq!(
            (
                detected.per_environment,
                detected.environments,
                detected.slower
            ),
            (1, 5, 5)
        );
        assert!(detected.p_value < 0.001, "{detected:?}");
        assert!(
            detected.ratio.0 > 2.5 && detected.ratio.1 < 3.5,
            "{detected:?}"
        );
        // Set apart: one warm-up per environment, the averages are of the other eight.
        let s = &stats[2];
        let up = s.warm_up.expect("warm-up figures");
        assert_eq!((up.count, up.per_environment), (1, 1));
        assert_eq!(s.samples.as_ref().unwrap().warm_up, vec![1]);
        assert!(
            s.average_duration < before,
            "{} vs {before}",
            s.average_duration
        );
        assert_eq!(s.warm.unwrap().count, 8);
        assert!(up.duration > 2.5 * s.average_duration);
        // Applying it again changes nothing.
        let again = stats.clone();
        assert_eq!(apply(&mut stats, 0.2), Some(detected));
        assert_eq!(stats, again);
    }

    #[test]
    fn no_warm_up_is_found_where_the_first_invocations_are_like_the_rest() {
        let mut stats: Vec<PowerStats> = [128, 256, 512, 1024, 1769, 3008]
            .iter()
            .enumerate()
            .map(|(i, &m)| power(m, &noisy(50.0, i as u64 + 10), 1.0))
            .collect();
        let before = stats.clone();
        assert_eq!(apply(&mut stats, 0.2), None);
        assert_eq!(stats, before);
    }

    #[test]
    fn a_bimodal_steady_state_does_not_pass_for_a_warm_up() {
        // A CPU quota throttles about a third of the invocations from 2 ms to 20 ms, the first
        // included now and then: the first is not slower than the slowest of the later ones.
        let throttled = |seed: usize| -> Vec<f64> {
            (0..9)
                .map(|i| {
                    if (i * 7 + seed * 3) % 3 == 0 {
                        20.0
                    } else {
                        2.0
                    }
                })
                .collect()
        };
        let stats: Vec<PowerStats> = (0..6)
            .map(|k| power(128 << (k % 4), &throttled(k as usize), 1.0))
            .collect();
        assert_eq!(detect(&stats), None);
    }

    #[test]
    fn a_long_warm_up_is_found_to_its_length() {
        // A JIT: the first three warm invocations take 8, 4 and 2 times the steady duration.
        let curve = |base: f64| -> Vec<f64> {
            [8.0, 4.0, 2.0, 1.0, 1.02, 0.99, 1.01, 1.0, 0.98]
                .iter()
                .map(|f| f * base)
                .collect()
        };
        let mut stats: Vec<PowerStats> = [128, 256, 512, 1024, 1769, 3008]
            .iter()
            .map(|&m| power(m, &curve(f64::from(10_000 / m)), 1.0))
            .collect();
        let detected = apply(&mut stats, 0.2).unwrap();
        assert_eq!(detected.per_environment, 3);
        assert_eq!(stats[0].samples.as_ref().unwrap().warm_up, vec![1, 2, 3]);
        assert_eq!(stats[0].warm_up.unwrap().per_environment, 3);
    }
}
