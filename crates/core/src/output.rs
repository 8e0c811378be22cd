//! The documents powertune produces: one power value's statistics (the Executor's result) and
//! the tuning result (the Analyzer's), with the reference project's key names so existing
//! pipelines keep parsing them. Our additions sit beside those keys.

use crate::input::{Defaults, ExecutionInput, InputError};
use crate::logs::Report;
use crate::pricing::{
    step_functions_price, Currency, LambdaPrice, StateMachineRun, FALLBACK_REGION,
};
use crate::stats::{summarize, trimmed_mean, Summary};
use crate::strategy::{select, Candidate, Strategy};
use crate::visualization::{self, Point};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The result of invoking one power value `num` times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PowerStats {
    /// The power value, MB.
    pub value: u32,
    /// Trimmed mean cost of one invocation (duration charge only).
    pub average_price: f64,
    /// Trimmed mean duration of one invocation, ms (Duration + Init + Restore).
    pub average_duration: f64,
    /// Duration charge of every measured invocation together.
    pub total_cost: f64,
    /// Distribution of the durations: percentiles, spread, 95% interval of the trimmed mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_stats: Option<Summary>,
    /// Invocations whose duration was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocations: Option<u32>,
    /// Invocations that returned an error listed in `allowedExceptions` (measured all the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u32>,
    #[serde(
        default,
        rename = "maxMemoryUsedMB",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_memory_used_mb: Option<u32>,
    /// Invocations that reported an Init or Restore Duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_starts: Option<u32>,
    /// Why this power value has no result, when every invocation failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PowerStats {
    /// Statistics of one power value from the REPORTs of its invocations. `errors` counts the
    /// invocations among `reports` that returned an allowed error.
    pub fn from_reports(
        value: u32,
        reports: &[Report],
        errors: u32,
        price: &LambdaPrice,
        discard_top_bottom: f64,
    ) -> PowerStats {
        let durations: Vec<f64> = reports.iter().map(Report::total_duration_ms).collect();
        let costs: Vec<f64> = reports
            .iter()
            .map(|r| price.duration_cost(value, r.billed_ms()))
            .collect();
        PowerStats {
            value,
            average_price: trimmed_mean(&costs, discard_top_bottom),
            average_duration: trimmed_mean(&durations, discard_top_bottom),
            total_cost: costs.iter().sum(),
            duration_stats: summarize(&durations, discard_top_bottom),
            invocations: Some(reports.len() as u32),
            errors: Some(errors),
            max_memory_used_mb: reports.iter().filter_map(|r| r.max_memory_used_mb).max(),
            cold_starts: Some(reports.iter().filter(|r| r.is_cold_start()).count() as u32),
            error: None,
        }
    }

    /// A power value none of whose invocations produced a result.
    pub fn failed(value: u32, error: impl Into<String>) -> PowerStats {
        PowerStats {
            value,
            average_price: 0.0,
            average_duration: 0.0,
            total_cost: 0.0,
            duration_stats: None,
            invocations: Some(0),
            errors: None,
            max_memory_used_mb: None,
            cold_starts: None,
            error: Some(error.into()),
        }
    }

    /// Whether this power value can be recommended. A result without a duration counts as
    /// failed too, as the reference drops such entries.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.average_duration > 0.0
    }
}

/// What the state machine itself cost to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineCosts {
    pub execution_cost: f64,
    pub lambda_cost: f64,
    pub visualization: String,
}

/// The tuning result: the reference's `power`, `cost`, `duration`, `stateMachine` and, with
/// `includeOutputResults`, `stats`; plus the strategy, currency and any warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TuningResult {
    pub power: u32,
    pub cost: f64,
    pub duration: f64,
    pub state_machine: StateMachineCosts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Vec<PowerStats>>,
    pub strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balanced_weight: Option<f64>,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// How to analyze a run's statistics.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
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
pub enum AnalysisError {
    #[error("There are no statistics to analyze: \"stats\" must list one result per power value.")]
    NoStats,
    #[error("Every power value failed, so there is nothing to recommend: {0}")]
    AllFailed(String),
}

/// Picks the optimal power value and builds the result document.
pub fn analyze(
    stats: &[PowerStats],
    options: &AnalysisOptions,
) -> Result<TuningResult, AnalysisError> {
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

/// What the Analyzer step receives: the execution input's fields, plus `stats` (one entry per
/// power value) and, optionally, `publisherRounds` (how many Publisher invocations the run took,
/// 1 when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzerEvent {
    pub input: ExecutionInput,
    pub stats: Vec<PowerStats>,
    pub publisher_rounds: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzerEventError {
    #[error(
        "The Analyzer event must be a JSON object with the execution input's fields and \"stats\"."
    )]
    NotAnObject,
    #[error("\"stats\" is missing: the Analyzer needs one result per power value.")]
    NoStats,
    #[error("\"stats\" entry {index} is not a power value result ({reason}); each needs \"value\", \"averagePrice\", \"averageDuration\" and \"totalCost\".")]
    BadStats { index: usize, reason: String },
    #[error("\"publisherRounds\" must be a positive integer.")]
    BadPublisherRounds,
    #[error(transparent)]
    Input(#[from] InputError),
}

impl AnalyzerEvent {
    pub fn from_json(
        value: &Value,
        defaults: &Defaults,
    ) -> Result<AnalyzerEvent, AnalyzerEventError> {
        let mut object = value
            .as_object()
            .cloned()
            .ok_or(AnalyzerEventError::NotAnObject)?;
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
        let input = ExecutionInput::from_json(&Value::Object(object), &defaults)?;
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
    use crate::logs::parse_report;
    use crate::pricing::{lambda_price, Architecture};
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
    fn power_stats_come_from_reports() {
        let report = |ms: f64, billed: f64, init: Option<f64>| {
            let init = init
                .map(|i| format!("\tInit Duration: {i} ms"))
                .unwrap_or_default();
            parse_report(&format!("REPORT RequestId: r\tDuration: {ms} ms\tBilled Duration: {billed} ms\tMemory Size: 1024 MB\tMax Memory Used: 30 MB{init}"), None).unwrap()
        };
        let reports = vec![
            report(100.2, 101.0, Some(50.0)),
            report(10.0, 10.0, None),
            report(11.0, 11.0, None),
            report(12.0, 12.0, None),
            report(1000.0, 1000.0, None),
        ];
        let price = lambda_price("us-east-1", Architecture::X86_64);
        let s = PowerStats::from_reports(1024, &reports, 1, &price, 0.2);
        // durations 150.2, 10, 11, 12, 1000: trimmed mean of 11, 12, 150.2
        assert!((s.average_duration - (11.0 + 12.0 + 150.2) / 3.0).abs() < 1e-9);
        // billed 101, 10, 11, 12, 1000 at 1 GB: trimmed mean of 11, 12, 101 ms
        let per_ms = 0.0000166667 / 1000.0;
        assert!((s.average_price - per_ms * 124.0 / 3.0).abs() < 1e-15);
        assert!((s.total_cost - per_ms * 1134.0).abs() < 1e-15);
        assert_eq!(
            (s.invocations, s.errors, s.cold_starts, s.max_memory_used_mb),
            (Some(5), Some(1), Some(1), Some(30))
        );
        assert_eq!(s.duration_stats.as_ref().unwrap().max, 1000.0);
        assert!(s.succeeded());
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
        let bad = json!({"lambdaARN": "f", "num": 10, "stats": [{"value": 128}]});
        let err = AnalyzerEvent::from_json(&bad, &Defaults::default()).unwrap_err();
        assert!(err.to_string().contains("entry 0"), "{err}");
    }
}
