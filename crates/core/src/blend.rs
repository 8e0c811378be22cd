//! Cold starts in the recommendation. Since 2025-08-01 Lambda bills a cold start's INIT phase,
//! so a function that starts cold in a share r of its invocations costs, per invocation,
//! (1 - r) x its warm cost + r x its cold cost, and takes as long on the same blend. With the
//! input's `coldStartRate` the strategies decide on that blend (`decision`); this module says
//! what the rate does to the recommendation: the rate at which another power value would take
//! its place.

use crate::input::MeasuredRate;
use crate::power::PowerStats;
use crate::strategy::Strategy;
use serde::{Deserialize, Serialize};

/// What the result says about the blend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlendOutcome {
    /// The input's `coldStartRate`.
    pub rate: f64,
    /// With `"auto"`: what the rate was counted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<MeasuredRate>,
    /// The recommendation's blended cost per invocation.
    pub cost: f64,
    /// The recommendation's blended duration, ms.
    pub duration: f64,
    /// The nearest rate at which another power value would be better on the strategy's
    /// measure, if any rate from 0 to 1 changes the pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossing: Option<Crossing>,
}

/// A rate at which the pick and another power value trade places.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Crossing {
    /// The rate, 0 to 1.
    pub rate: f64,
    /// The other power value.
    pub power: u32,
    /// Whether the other power value is better above the rate (else below it).
    pub above: bool,
}

/// The warm and cold figures of the strategy's measure: cost for cost, duration for speed;
/// `None` for balanced (its scale depends on every power value's maxima) or without both.
fn figures(strategy: Strategy, s: &PowerStats) -> Option<(f64, f64)> {
    let (warm, cold) = (s.warm?, s.cold?);
    match strategy {
        Strategy::Cost => Some((warm.cost, cold.cost)),
        Strategy::Speed => Some((warm.duration, cold.duration)),
        Strategy::Balanced => None,
    }
}

/// The rate nearest to `rate` at which one of `others` and `pick` are equal on the strategy's
/// measure, and on which side of it the other is better. Each blended measure is a straight
/// line in the rate, so two lines cross at most once.
pub fn crossing(
    strategy: Strategy,
    pick: &PowerStats,
    others: &[&PowerStats],
    rate: f64,
) -> Option<Crossing> {
    let (wp, cp) = figures(strategy, pick)?;
    let mut above: Option<Crossing> = None;
    let mut below: Option<Crossing> = None;
    for q in others
        .iter()
        .filter(|q| q.value != pick.value && q.succeeded())
    {
        let Some((wq, cq)) = figures(strategy, q) else {
            continue;
        };
        // q minus the pick: d(r) = d0 + r (d1 - d0), zero at d0 / (d0 - d1). Only a power
        // value the pick beats at this rate can take its place at another (with statistical
        // ties the pick need not be the cheapest on the averages).
        let (d0, d1) = (wq - wp, cq - cp);
        if d0 == d1 || d0 + rate * (d1 - d0) <= 0.0 {
            continue;
        }
        let at = d0 / (d0 - d1);
        if !(0.0..=1.0).contains(&at) || at == rate {
            continue;
        }
        let candidate = Crossing {
            rate: at,
            power: q.value,
            above: at > rate,
        };
        if at > rate {
            if above.is_none_or(|a| at < a.rate) {
                above = Some(candidate);
            }
        } else if below.is_none_or(|b| at > b.rate) {
            below = Some(candidate);
        }
    }
    above.or(below)
}

/// A rate as a percentage for people: "5%", "2.7%".
pub fn percent(rate: f64) -> String {
    let p = 100.0 * rate;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::{ColdStarts, Warm};

    /// A power value whose warm invocations cost `warm` and cold starts `cold`.
    fn value(power: u32, warm: f64, cold: f64) -> PowerStats {
        let mut s = PowerStats::failed(power, "");
        s.error = None;
        s.average_price = warm;
        s.average_duration = 10.0;
        s.warm = Some(Warm {
            count: 9,
            duration: 10.0,
            cost: warm,
        });
        s.cold = Some(ColdStarts {
            count: 1,
            init_duration: 300.0,
            duration: 310.0,
            cost: cold,
        });
        s
    }

    #[test]
    fn the_crossing_is_where_the_blended_lines_meet() {
        // A heavy init: at 512 MB warm 1.0, cold 21.0; at 1024 MB warm 1.5, cold 11.5 (init
        // twice as fast). Equal where 1 + 20 r = 1.5 + 10 r: r = 5%.
        let small = value(512, 1.0, 21.0);
        let large = value(1024, 1.5, 11.5);
        let c = crossing(Strategy::Cost, &small, &[&small, &large], 0.01).unwrap();
        assert!((c.rate - 0.05).abs() < 1e-12, "{c:?}");
        assert_eq!((c.power, c.above), (1024, true));
        // Picked at 10%, 1024 MB gives way to 512 MB below 5%.
        let c = crossing(Strategy::Cost, &large, &[&small, &large], 0.10).unwrap();
        assert_eq!((c.power, c.above), (512, false));
        // Parallel lines never cross; a crossing past 100% does not count.
        let parallel = value(2048, 2.0, 22.0);
        assert_eq!(crossing(Strategy::Cost, &small, &[&parallel], 0.0), None);
        let far = value(3008, 3.0, 22.0);
        assert_eq!(crossing(Strategy::Cost, &small, &[&far], 0.0), None);
        assert_eq!(crossing(Strategy::Balanced, &small, &[&large], 0.0), None);
        // A power value already cheaper at this rate (a pick made by the tie rules) is not a
        // crossing: it does not take the pick's place at another rate.
        let cheaper_now = value(2048, 0.5, 30.0);
        assert_eq!(crossing(Strategy::Cost, &small, &[&cheaper_now], 0.0), None);
    }

    #[test]
    fn the_sentence_says_the_rate_and_what_changes_it() {
        let b = BlendOutcome {
            rate: 0.01,
            measured: None,
            cost: 1.2,
            duration: 13.0,
            crossing: Some(Crossing {
                rate: 0.09,
                power: 1024,
                above: true,
            }),
        };
        assert_eq!(
            b.sentence(Strategy::Cost, 512),
            "At 1% cold starts (warm and cold invocations blended), 512 MB; from 9% cold starts up, 1024 MB is cheaper than 512 MB."
        );
        let none = BlendOutcome {
            crossing: None,
            ..b.clone()
        };
        assert!(none
            .sentence(Strategy::Speed, 512)
            .ends_with("no rate from 0 to 100% changes the recommendation."));
        let measured = BlendOutcome {
            rate: 0.031,
            measured: Some(MeasuredRate {
                rate: 0.031,
                invocations: 12000,
                cold_starts: 372,
                days: 14,
                log_group: "/aws/lambda/f".into(),
            }),
            ..b
        };
        assert!(measured.sentence(Strategy::Cost, 512).starts_with(
            "At 3.1% cold starts (read from the function's logs: 372 of 12000 invocations in /aws/lambda/f over the last 14 days), 512 MB;"
        ));
    }
}
