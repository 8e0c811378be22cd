//! The analysis: from every power value's statistics to the recommendation and the result
//! document, for a strategy. The Analyzer step, local runs and `powertune analyze` all call
//! [`AnalyzerEvent::analyze`].

use crate::input::{Defaults, ExecutionInput, InputError};
use crate::output::{PowerStats, StateMachineCosts, TuningResult};
use crate::pricing::{step_functions_price, Currency, StateMachineRun, FALLBACK_REGION};
use crate::stats::YuenTest;
use crate::strategy::{select, BalancedScore, Candidate, Strategy};
use crate::visualization::{self, Point, DEFAULT_BASE_URL};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the analysis runs: the tool's region (it prices the Step Functions execution and picks
/// the currency) and the visualization site.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisEnv {
    /// `None` when unknown: priced as us-east-1, with a warning.
    pub region: Option<String>,
    /// The visualization site the result's URL points at.
    pub visualization_base_url: String,
}

impl AnalysisEnv {
    /// From the tool's region and the `visualizationURL` setting (unset or empty: the public UI).
    pub fn new(region: Option<String>, visualization_url: Option<String>) -> AnalysisEnv {
        AnalysisEnv {
            region,
            visualization_base_url: visualization_url
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }
}

/// How to analyze a run's statistics.
#[derive(Debug, Clone)]
struct AnalysisOptions {
    pub strategy: Strategy,
    pub balanced_weight: f64,
    pub include_output_results: bool,
    /// The region the tool runs in: it prices the Step Functions execution and picks the
    /// currency. `None` means unknown, priced as us-east-1 with a warning.
    pub region: Option<String>,
    pub visualization_base_url: String,
    /// How many Publisher invocations the run needed.
    pub publisher_rounds: usize,
    /// Decide with the per-invocation samples (Yuen's test) where every result has them.
    pub statistical_ties: bool,
    /// The trimming of the averages, which the test applies too.
    pub discard_top_bottom: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
/// Why there is nothing to recommend.
pub enum AnalysisError {
    #[error("There are no statistics to analyze: \"stats\" must list one result per power value.")]
    /// The event has no statistics at all.
    NoStats,
    #[error("Every power value failed, so there is nothing to recommend: {0}")]
    /// Every power value failed; the text lists why, per power value.
    AllFailed(String),
}

/// Picks the optimal power value and builds the result document.
fn analyze(stats: &[PowerStats], options: &AnalysisOptions) -> Result<TuningResult, AnalysisError> {
    if stats.is_empty() {
        return Err(AnalysisError::NoStats);
    }
    let mut sorted = stats.to_vec();
    sorted.sort_by_key(|s| s.value);
    let candidates: Vec<Candidate> = sorted
        .iter()
        .map(|s| Candidate {
            power: s.value,
            cost: s.average_price,
            duration: s.average_duration,
            succeeded: s.succeeded(),
        })
        .collect();
    let Some(best) = select(options.strategy, options.balanced_weight, &candidates) else {
        let reasons: Vec<String> = sorted
            .iter()
            .map(|s| {
                format!(
                    "{} MB: {}",
                    s.value,
                    s.error.as_deref().unwrap_or("no duration was measured")
                )
            })
            .collect();
        return Err(AnalysisError::AllFailed(reasons.join("; ")));
    };
    let tie = options
        .statistical_ties
        .then(|| statistical_tie(options, &sorted, &candidates, best))
        .flatten();
    let best = &sorted[tie.as_ref().map_or(best, |t| t.pick)];

    let mut warnings = Vec::new();
    let region = match &options.region {
        Some(r) => r.as_str(),
        None => {
            warnings.push(format!(
                "The tool's region is unknown; the execution cost uses {FALLBACK_REGION} prices."
            ));
            FALLBACK_REGION
        }
    };
    let transition_price = step_functions_price(region);
    if options.region.is_some() {
        warnings.extend(transition_price.notice());
    }
    let failed: Vec<String> = sorted
        .iter()
        .filter(|s| !s.succeeded())
        .map(|s| {
            format!(
                "{} MB failed: {}",
                s.value,
                s.error.as_deref().unwrap_or("no duration was measured")
            )
        })
        .collect();
    warnings.extend(failed);

    let run = StateMachineRun {
        power_values: stats.len(),
        publisher_rounds: options.publisher_rounds,
    };
    let points: Vec<Point> = sorted
        .iter()
        .filter(|s| s.succeeded())
        .map(|s| Point {
            power: s.value,
            duration: s.average_duration,
            cost: s.average_price,
        })
        .collect();
    Ok(TuningResult {
        power: best.value,
        cost: best.average_price,
        duration: best.average_duration,
        state_machine: StateMachineCosts {
            execution_cost: round_money(run.cost(&transition_price)),
            lambda_cost: round_money(stats.iter().map(|s| s.total_cost).sum()),
            visualization: visualization::encode(&points, &options.visualization_base_url, region),
        },
        // The samples serve the decision; the document keeps the reference's statistics.
        stats: options.include_output_results.then(|| {
            stats
                .iter()
                .map(|s| PowerStats {
                    samples: None,
                    ..s.clone()
                })
                .collect()
        }),
        strategy: options.strategy,
        balanced_weight: (options.strategy == Strategy::Balanced)
            .then_some(options.balanced_weight),
        currency: Currency::of_region(region),
        warnings,
        equivalent: tie
            .as_ref()
            .map(|t| t.equivalent.iter().map(|&i| sorted[i].value).collect()),
        decision: tie.map(|t| t.decision),
    })
}

/// The power values tied with the best (their samples do not differ beyond noise), the one
/// the tie rules pick among them, and why.
struct Tie {
    pick: usize,
    equivalent: Vec<usize>,
    decision: String,
}

/// Ties by Yuen's test at 95% on the strategy's measure: cost per invocation, duration, or the
/// balanced score of each invocation. Among the tied, cost ties go to the fastest, speed ties to
/// the cheapest, balanced ties to the least memory. `None` (decide on the averages) when a
/// usable result has no samples, as the reference's statistics have none.
fn statistical_tie(
    options: &AnalysisOptions,
    sorted: &[PowerStats],
    candidates: &[Candidate],
    best: usize,
) -> Option<Tie> {
    let usable: Vec<usize> = (0..sorted.len())
        .filter(|&i| candidates[i].usable())
        .collect();
    if usable.iter().any(|&i| sorted[i].samples.is_none()) {
        return None;
    }
    let balanced = BalancedScore::of(options.balanced_weight, candidates);
    let measure = |i: usize| -> Vec<f64> {
        let samples = sorted[i]
            .samples
            .as_ref()
            .map(|s| (s.costs(), s.durations.clone()));
        let (costs, durations) = samples.unwrap_or_default();
        match options.strategy {
            Strategy::Cost => costs,
            Strategy::Speed => durations,
            Strategy::Balanced => costs
                .iter()
                .zip(&durations)
                .map(|(&c, &d)| balanced.score(c, d))
                .collect(),
        }
    };
    let point = |i: usize| -> f64 {
        let c = &candidates[i];
        match options.strategy {
            Strategy::Cost => c.cost,
            Strategy::Speed => c.duration,
            Strategy::Balanced => balanced.score(c.cost, c.duration),
        }
    };
    let reference = measure(best);
    let equivalent: Vec<usize> = usable
        .iter()
        .copied()
        .filter(|&i| {
            i == best
                || YuenTest::run(&reference, &measure(i), options.discard_top_bottom)
                    .is_some_and(|t| t.indistinguishable())
        })
        .collect();
    // The tie rules are the other strategy's order: cost ties go to the fastest (then the
    // cheapest), speed ties to the cheapest (then the fastest), balanced ties to the least memory.
    let tied: Vec<Candidate> = equivalent.iter().map(|&i| candidates[i]).collect();
    let pick = match options.strategy {
        Strategy::Cost => select(Strategy::Speed, 0.0, &tied),
        Strategy::Speed => select(Strategy::Cost, 0.0, &tied),
        Strategy::Balanced => Some(0),
    }
    .map(|k| equivalent[k])?;
    let base = point(best);
    let spread = equivalent
        .iter()
        .map(|&i| {
            if base > 0.0 {
                (point(i) - base).abs() / base
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max)
        * 100.0;
    let names = power_list(sorted, &usable, &equivalent);
    let p = sorted[pick].value;
    let decision = match (options.strategy, equivalent.len()) {
        (Strategy::Cost, 1) => format!("{p} MB is the cheapest beyond the noise of every other power value (Yuen's test, 95%)."),
        (Strategy::Speed, 1) => format!("{p} MB is the fastest beyond the noise of every other power value (Yuen's test, 95%)."),
        (Strategy::Balanced, 1) => format!("{p} MB has the best balance beyond the noise of every other power value (Yuen's test, 95%)."),
        (Strategy::Cost, _) => format!("{names} MB cost the same within {spread:.1}% (Yuen's test, 95%); {p} MB is the fastest of them."),
        (Strategy::Speed, _) => format!("{names} MB are equally fast within {spread:.1}% (Yuen's test, 95%); {p} MB is the cheapest of them."),
        (Strategy::Balanced, _) => format!("{names} MB score the same within {spread:.1}% (Yuen's test, 95%); {p} MB is the smallest of them."),
    };
    Some(Tie {
        pick,
        equivalent,
        decision,
    })
}

/// `128–1024` when `chosen` are consecutive among the usable power values, else
/// `128, 512 and 1024`.
fn power_list(sorted: &[PowerStats], usable: &[usize], chosen: &[usize]) -> String {
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

/// Rounds a sum of money to 1e-12, so float noise (0.00030000000000000003) does not reach the
/// document; no price we know has digits that fine.
fn round_money(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

/// What the Analyzer analyzes: the execution input, `stats` (one entry per power value) and
/// `publisherRounds` (how many Publisher invocations the run took; 1 when absent). The state
/// machine passes it in this shape; [`AnalyzerEvent::from_json`] also reads the reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzerEvent {
    /// The execution input, validated.
    pub input: ExecutionInput,
    /// One result per power value, as the Executors returned them.
    pub stats: Vec<PowerStats>,
    #[serde(default = "one_round")]
    /// How many Publisher invocations the run took (it prices the execution).
    pub publisher_rounds: usize,
}

fn one_round() -> usize {
    1
}

#[derive(Debug, thiserror::Error)]
/// Why a saved Analyzer event cannot be read.
pub enum AnalyzerEventError {
    #[error(
        "The Analyzer event must be a JSON object with the execution input's fields and \"stats\"."
    )]
    /// The event is not a JSON object.
    NotAnObject,
    #[error("\"stats\" is missing: the Analyzer needs one result per power value.")]
    /// The event has no `stats`.
    NoStats,
    #[error("\"stats\" entry {index} is not a power value result ({reason}); each needs \"value\", \"averagePrice\", \"averageDuration\" and \"totalCost\".")]
    /// A `stats` entry is not a power value's result.
    BadStats {
        /// The entry's position in `stats`.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    #[error("\"publisherRounds\" must be a positive integer.")]
    /// `publisherRounds` is not a positive integer.
    BadPublisherRounds,
    #[error(transparent)]
    /// The input's fields are invalid.
    Input(#[from] InputError),
}

impl AnalyzerEvent {
    /// Picks the optimal power value for the input's strategy and builds the result document.
    pub fn analyze(&self, env: &AnalysisEnv) -> Result<TuningResult, AnalysisError> {
        analyze(
            &self.stats,
            &AnalysisOptions {
                strategy: self.input.strategy,
                balanced_weight: self.input.balanced_weight,
                include_output_results: self.input.include_output_results,
                region: env.region.clone(),
                visualization_base_url: env.visualization_base_url.clone(),
                publisher_rounds: self.publisher_rounds.max(1),
                statistical_ties: self.input.statistical_ties,
                discard_top_bottom: self.input.discard_top_bottom,
            },
        )
    }

    /// A saved event: the state machine's shape (`{"input": {...}, "stats": [...]}`), or the
    /// reference's (the execution input's fields beside `stats`), whose input takes `defaults`.
    pub fn from_json(
        value: &Value,
        defaults: &Defaults,
    ) -> Result<AnalyzerEvent, AnalyzerEventError> {
        let mut object = value
            .as_object()
            .cloned()
            .ok_or(AnalyzerEventError::NotAnObject)?;
        let nested = object.remove("input");
        let stats = match object.remove("stats") {
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    serde_json::from_value::<PowerStats>(item).map_err(|e| {
                        AnalyzerEventError::BadStats {
                            index,
                            reason: e.to_string(),
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(AnalyzerEventError::BadStats {
                    index: 0,
                    reason: "\"stats\" is not a list".into(),
                })
            }
            None => return Err(AnalyzerEventError::NoStats),
        };
        let publisher_rounds = match object.remove("publisherRounds") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .filter(|&n| n >= 1)
                .map(|n| n as usize)
                .ok_or(AnalyzerEventError::BadPublisherRounds)?,
        };
        // A saved run without "powerValues" tuned exactly the values its stats list.
        let mut defaults = defaults.clone();
        if defaults.power_values.is_empty() {
            defaults.power_values = stats.iter().map(|s| s.value).collect();
        }
        let input = match nested {
            Some(input) => ExecutionInput::from_document(input, &defaults)?,
            None => ExecutionInput::from_json(&Value::Object(object), &defaults)?,
        };
        Ok(AnalyzerEvent {
            input,
            stats,
            publisher_rounds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stat(value: u32, price: f64, duration: f64) -> PowerStats {
        PowerStats {
            value,
            average_price: price,
            average_duration: duration,
            total_cost: price * 10.0,
            duration_stats: None,
            invocations: None,
            errors: None,
            max_memory_used_mb: None,
            cold_starts: None,
            error: None,
            samples: None,
        }
    }

    fn example() -> Vec<PowerStats> {
        vec![
            stat(1024, 4.2e-7, 25.0),
            stat(128, 2.1e-7, 100.5),
            stat(512, 2.52e-7, 30.0),
            stat(256, 2.1e-7, 50.25),
        ]
    }

    fn options(strategy: Strategy, w: f64) -> AnalysisOptions {
        AnalysisOptions {
            strategy,
            balanced_weight: w,
            include_output_results: false,
            region: Some("eu-west-1".into()),
            visualization_base_url: visualization::DEFAULT_BASE_URL.into(),
            publisher_rounds: 1,
            statistical_ties: true,
            discard_top_bottom: 0.2,
        }
    }

    /// A power value measured `durations` (ms), each billed as its ceiling at `price_per_ms`.
    fn sampled(value: u32, durations: &[f64], price_per_ms: f64) -> PowerStats {
        let billed: Vec<u32> = durations.iter().map(|d| d.ceil() as u32).collect();
        let costs: Vec<f64> = billed
            .iter()
            .map(|&b| f64::from(b) * price_per_ms)
            .collect();
        PowerStats {
            samples: Some(crate::output::Samples {
                durations: durations.to_vec(),
                billed,
                price_per_ms,
            }),
            total_cost: costs.iter().sum(),
            ..stat(
                value,
                crate::stats::trimmed_mean(&costs, 0.2),
                crate::stats::trimmed_mean(durations, 0.2),
            )
        }
    }

    /// Ten durations around `center` with a spread of +-`spread`, the same pattern each time.
    fn around(center: f64, spread: f64) -> Vec<f64> {
        [-1.0, 0.8, -0.3, 0.5, 0.1, -0.7, 0.9, -0.5, 0.2, -0.1]
            .iter()
            .map(|k| center + k * spread)
            .collect()
    }

    #[test]
    fn costs_equal_within_noise_are_tied_and_the_fastest_of_them_wins() {
        // Price per ms doubles with memory and durations halve: the same cost at every size.
        let stats = vec![
            sampled(128, &around(400.0, 40.0), 1e-9),
            sampled(256, &around(200.0, 20.0), 2e-9),
            sampled(512, &around(100.0, 10.0), 4e-9),
            sampled(1024, &around(80.0, 5.0), 8e-9), // 60% dearer: out of the tie
        ];
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.equivalent, Some(vec![128, 256, 512]));
        assert_eq!(r.power, 512, "the fastest of the tied");
        assert_eq!(r.duration, stats[2].average_duration);
        let decision = r.decision.unwrap();
        assert!(
            decision.starts_with("128–512 MB cost the same within")
                && decision.ends_with("512 MB is the fastest of them."),
            "{decision}"
        );

        // Decided on the averages alone, the pick is whichever is cheapest by a hair.
        let mut exact = options(Strategy::Cost, 0.5);
        exact.statistical_ties = false;
        let r = analyze(&stats, &exact).unwrap();
        assert_eq!((r.equivalent, r.decision), (None, None));
    }

    #[test]
    fn clearly_separated_results_are_not_tied() {
        let stats = vec![
            sampled(128, &around(100.0, 2.0), 1e-9),
            sampled(256, &around(100.0, 2.0), 2e-9),
            sampled(512, &around(100.0, 2.0), 4e-9),
        ];
        let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!((r.power, r.equivalent), (128, Some(vec![128])));
        assert!(r.decision.unwrap().contains("cheapest beyond the noise"));
        // For speed they are all tied, and the cheapest of them wins.
        let r = analyze(&stats, &options(Strategy::Speed, 0.5)).unwrap();
        assert_eq!(r.equivalent, Some(vec![128, 256, 512]));
        assert_eq!(r.power, 128);
        assert!(r.decision.unwrap().contains("are equally fast"));
    }

    #[test]
    fn without_samples_the_decision_is_the_references() {
        let r = analyze(&example(), &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!((r.equivalent, r.decision), (None, None));
        // One result without samples among sampled ones: the averages decide.
        let mut stats = vec![
            sampled(128, &around(100.0, 2.0), 1e-9),
            sampled(256, &around(100.0, 2.0), 2e-9),
        ];
        stats[1].samples = None;
        assert_eq!(
            analyze(&stats, &options(Strategy::Cost, 0.5))
                .unwrap()
                .equivalent,
            None
        );
    }

    #[test]
    fn power_lists_read_as_ranges_or_lists() {
        let stats: Vec<PowerStats> = [128, 256, 512, 1024]
            .iter()
            .map(|&v| stat(v, 1.0, 1.0))
            .collect();
        let usable = [0, 1, 2, 3];
        assert_eq!(power_list(&stats, &usable, &[0, 1, 2]), "128–512");
        assert_eq!(power_list(&stats, &usable, &[0, 2]), "128 and 512");
        assert_eq!(power_list(&stats, &usable, &[0, 1, 3]), "128, 256 and 1024");
        assert_eq!(power_list(&stats, &usable, &[3]), "1024");
    }

    proptest::proptest! {
        /// The same distribution at every power value (same durations and prices) is one
        /// equivalent set, whatever the durations, and the pick is in it.
        #[test]
        fn identical_distributions_are_one_equivalent_set(
            durations in proptest::collection::vec(1.0f64..500.0, 5..30),
            count in 2usize..6,
            strategy in proptest::sample::select(vec![Strategy::Cost, Strategy::Speed, Strategy::Balanced]),
        ) {
            let stats: Vec<PowerStats> = (0..count)
                .map(|k| sampled(128 * (k as u32 + 1), &durations, 1e-9))
                .collect();
            let r = analyze(&stats, &options(strategy, 0.5)).unwrap();
            let all: Vec<u32> = stats.iter().map(|s| s.value).collect();
            proptest::prop_assert_eq!(r.equivalent.clone(), Some(all.clone()));
            proptest::prop_assert!(all.contains(&r.power));
        }
    }

    #[test]
    fn analysis_picks_per_strategy_and_prices_the_run() {
        let r = analyze(&example(), &options(Strategy::Balanced, 0.5)).unwrap();
        assert_eq!((r.power, r.cost, r.duration), (512, 2.52e-7, 30.0));
        assert!(
            (r.state_machine.lambda_cost - 10.0 * (4.2e-7 + 2.1e-7 + 2.52e-7 + 2.1e-7)).abs()
                < 1e-18
        );
        // 4 power values, 1 publisher round: 6 + 2 + 4 = 12 transitions at $0.000025
        assert!((r.state_machine.execution_cost - 12.0 * 0.000025).abs() < 1e-15);
        assert_eq!(r.stats, None);
        assert_eq!(r.balanced_weight, Some(0.5));
        assert!(r.warnings.is_empty());
        let back = visualization::decode(&r.state_machine.visualization).unwrap();
        assert_eq!(
            back.iter().map(|p| p.power).collect::<Vec<_>>(),
            vec![128, 256, 512, 1024]
        );
        assert_eq!(
            analyze(&example(), &options(Strategy::Cost, 0.5))
                .unwrap()
                .power,
            256
        );
        assert_eq!(
            analyze(&example(), &options(Strategy::Speed, 0.5))
                .unwrap()
                .power,
            1024
        );
    }

    #[test]
    fn the_result_uses_the_reference_key_names() {
        let mut o = options(Strategy::Cost, 0.5);
        o.include_output_results = true;
        let v = serde_json::to_value(analyze(&example(), &o).unwrap()).unwrap();
        for key in [
            "power",
            "cost",
            "duration",
            "stateMachine",
            "stats",
            "strategy",
            "currency",
        ] {
            assert!(v.get(key).is_some(), "{key} in {v}");
        }
        for key in ["executionCost", "lambdaCost", "visualization"] {
            assert!(v["stateMachine"].get(key).is_some(), "{key}");
        }
        assert_eq!(v["stats"].as_array().unwrap().len(), 4);
        assert_eq!(v["stats"][0]["averagePrice"], json!(4.2e-7));
        assert!(v.get("warnings").is_none());
        assert!(v.get("balancedWeight").is_none());
    }

    #[test]
    fn failed_power_values_are_reported_not_dropped() {
        let mut s = example();
        s.push(PowerStats::failed(64, "Runtime.OutOfMemory"));
        let r = analyze(&s, &options(Strategy::Cost, 0.5)).unwrap();
        assert_eq!(r.power, 256);
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("64 MB failed: Runtime.OutOfMemory")));
        let all_failed = vec![
            PowerStats::failed(128, "boom"),
            PowerStats::failed(256, "bang"),
        ];
        let err = analyze(&all_failed, &options(Strategy::Cost, 0.5)).unwrap_err();
        assert!(err.to_string().contains("128 MB: boom; 256 MB: bang"));
        assert_eq!(
            analyze(&[], &options(Strategy::Cost, 0.5)),
            Err(AnalysisError::NoStats)
        );
    }

    #[test]
    fn unknown_regions_are_priced_as_us_east_1_with_a_warning() {
        let mut o = options(Strategy::Cost, 0.5);
        o.region = Some("mars-north-1".into());
        let r = analyze(&example(), &o).unwrap();
        assert!(r.warnings[0].contains("mars-north-1"));
        o.region = None;
        assert!(analyze(&example(), &o).unwrap().warnings[0].contains("unknown"));
        o.region = Some("cn-north-1".into());
        let r = analyze(&example(), &o).unwrap();
        assert_eq!(r.currency, Currency::Cny);
        assert!(r.state_machine.visualization.contains("?currency=CNY#"));
    }

    #[test]
    fn analyzer_events_are_the_input_plus_stats() {
        let event = json!({
            "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "num": 10, "strategy": "speed",
            "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}],
            "publisherRounds": 2
        });
        let e = AnalyzerEvent::from_json(
            &event,
            &Defaults {
                power_values: vec![128],
                region: None,
            },
        )
        .unwrap();
        assert_eq!(e.input.strategy, Strategy::Speed);
        assert_eq!(e.stats[0].value, 128);
        assert_eq!(e.publisher_rounds, 2);

        let no_stats = json!({"lambdaARN": "f", "num": 10});
        assert!(matches!(
            AnalyzerEvent::from_json(&no_stats, &Defaults::default()),
            Err(AnalyzerEventError::NoStats)
        ));
        // The state machine's shape, as a step's history shows it: the input nested, with the
        // rest of the state beside it.
        let state = json!({
            "input": {"lambdaARN": "f", "num": 10, "powerValues": [128], "strategy": "speed", "region": "eu-west-1"},
            "function": {"arn": "x"}, "runId": "abc",
            "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}]
        });
        let e = AnalyzerEvent::from_json(&state, &Defaults::default()).unwrap();
        assert_eq!((e.input.strategy, e.publisher_rounds), (Strategy::Speed, 1));
        assert_eq!(e.input.region.as_deref(), Some("eu-west-1"));
        let r = e.analyze(&AnalysisEnv::new(None, None)).unwrap();
        assert_eq!(r.power, 128);
        assert!(r.state_machine.visualization.starts_with(DEFAULT_BASE_URL));

        let bad = json!({"lambdaARN": "f", "num": 10, "stats": [{"value": 128}]});
        let err = AnalyzerEvent::from_json(&bad, &Defaults::default()).unwrap_err();
        assert!(err.to_string().contains("entry 0"), "{err}");
    }
}
