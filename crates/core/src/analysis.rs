//! The analysis: from every power value's statistics to the recommendation and the result
//! document, for a strategy. The Analyzer step, local runs and `powertune analyze` all call
//! [`AnalyzerEvent::analyze`].

use crate::input::{Defaults, ExecutionInput, InputError};
use crate::output::{PowerStats, StateMachineCosts, TuningResult};
use crate::pricing::{step_functions_price, Currency, StateMachineRun, FALLBACK_REGION};
use crate::strategy::{select, Candidate, Strategy};
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
    let best = &sorted[best];

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
        stats: options.include_output_results.then(|| stats.to_vec()),
        strategy: options.strategy,
        balanced_weight: (options.strategy == Strategy::Balanced)
            .then_some(options.balanced_weight),
        currency: Currency::of_region(region),
        warnings,
    })
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
