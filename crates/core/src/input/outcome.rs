//! What the run gives back: `strategy`, `balancedWeight`, `maxDuration`, `coldStartRate`,
//! `monthlyInvocations`, `includeOutputResults`, `autoOptimize` and `autoOptimizeAlias`.

use super::rate::{ColdStartRate, MeasuredRate, MeasuredTraffic, TrafficSource};
use super::reader::Reader;
use crate::budget::Budget;
use crate::strategy::Strategy;
use serde_json::Value;

/// The outcome fields, read.
pub(super) struct OutcomeFields {
    pub strategy: Strategy,
    pub balanced_weight: f64,
    pub max_duration: Option<Budget>,
    pub cold_start_rate: Option<ColdStartRate>,
    pub monthly_invocations: Option<u64>,
    pub monthly_invocations_source: Option<TrafficSource>,
    pub include_output_results: bool,
    pub auto_optimize: bool,
    pub auto_optimize_alias: Option<String>,
}

pub(super) fn read(r: &mut Reader<'_>, only_cold_starts: bool) -> OutcomeFields {
    let strategy = match r.string("strategy") {
        None => Strategy::Cost,
        Some(s) => match s.parse::<Strategy>() {
            Ok(st) => st,
            Err(problem) => {
                r.reject("strategy", problem);
                Strategy::Cost
            }
        },
    };
    let balanced_weight = match r.number("balancedWeight", "from 0 to 1") {
        None => 0.5,
        Some(w) if (0.0..=1.0).contains(&w) => w,
        Some(w) => {
            r.reject("balancedWeight", "must be from 0 (fastest) to 1 (cheapest)");
            w.clamp(0.0, 1.0)
        }
    };
    let auto_optimize = r.bool("autoOptimize");
    let auto_optimize_alias = r.string("autoOptimizeAlias").and_then(|a| {
        if is_alias_name(a) {
            Some(a.to_string())
        } else {
            r.reject(
                "autoOptimizeAlias",
                "must be an alias name: 1 to 128 letters, digits, '-' or '_', not only digits",
            );
            None
        }
    });
    if auto_optimize_alias.is_some() && !auto_optimize {
        r.reject(
            "autoOptimizeAlias",
            "is only used with \"autoOptimize\": true",
        );
    }
    let (monthly_invocations, monthly_invocations_source) = monthly_invocations(r);
    OutcomeFields {
        strategy,
        balanced_weight,
        max_duration: max_duration(r),
        cold_start_rate: cold_start_rate(r, only_cold_starts),
        monthly_invocations,
        monthly_invocations_source,
        include_output_results: r.bool("includeOutputResults"),
        auto_optimize,
        auto_optimize_alias,
    }
}

/// `coldStartRate`: the share of production invocations that start cold, 0 to 1; `"auto"` (read
/// from the function's logs when the run starts on AWS); or the rate so read, as the steps pass
/// it on.
fn cold_start_rate(r: &mut Reader<'_>, only_cold_starts: bool) -> Option<ColdStartRate> {
    const FIELD: &str = "coldStartRate";
    let rate = match r.get(FIELD)? {
        Value::String(s) if s == "auto" => ColdStartRate::Auto,
        v @ Value::Object(_) => match serde_json::from_value::<MeasuredRate>(v.clone()) {
            Ok(m) if (0.0..=1.0).contains(&m.rate) => ColdStartRate::Measured(m),
            _ => {
                r.reject(
                    FIELD,
                    "must be a share from 0 to 1 (such as 0.05) or \"auto\"",
                );
                return None;
            }
        },
        _ => {
            let share = r.number(
                FIELD,
                "from 0 to 1 (the share of invocations that start cold), or \"auto\"",
            )?;
            if !(0.0..=1.0).contains(&share) {
                r.reject(
                    FIELD,
                    "must be from 0 to 1: the share of invocations that start cold, such as 0.05 for 5%",
                );
                return None;
            }
            ColdStartRate::Given(share)
        }
    };
    if only_cold_starts {
        r.reject(
            FIELD,
            "cannot be combined with \"onlyColdStarts\": every invocation is then a cold start, so there is nothing to blend",
        );
        return None;
    }
    Some(rate)
}

/// `monthlyInvocations`: invocations a month, at least 1; a steady rate (`"500/s"`), taken over
/// a month of 730 hours; `"auto"` (read from the function's logs when the run starts on AWS); or
/// the traffic so read, as the steps pass it on.
fn monthly_invocations(r: &mut Reader<'_>) -> (Option<u64>, Option<TrafficSource>) {
    const FIELD: &str = "monthlyInvocations";
    match r.get(FIELD) {
        None => (None, None),
        Some(Value::String(s)) if s == "auto" => (None, Some(TrafficSource::Auto)),
        // A steady rate: "500/s", a month of 730 hours of it.
        Some(Value::String(s)) if s.trim_end().ends_with("/s") => {
            let rate = s.trim_end().trim_end_matches("/s").trim().parse::<f64>();
            match rate {
                Ok(rate) if rate.is_finite() && rate > 0.0 => {
                    let month = (rate * 3600.0 * crate::managed::prices::HOURS_PER_MONTH).round();
                    (Some(month.max(1.0) as u64), None)
                }
                _ => {
                    r.reject(
                        FIELD,
                        "must be invocations a month, a rate such as \"500/s\", or \"auto\"",
                    );
                    (None, None)
                }
            }
        }
        Some(v @ Value::Object(_)) => match serde_json::from_value::<MeasuredTraffic>(v.clone()) {
            Ok(m) => (Some(m.per_month), Some(TrafficSource::Measured(m))),
            Err(_) => {
                r.reject(
                    FIELD,
                    "must be a number of invocations a month, or \"auto\"",
                );
                (None, None)
            }
        },
        Some(_) => match r.integer(FIELD, "of at least 1, or \"auto\"") {
            Some(n) if n >= 1 => (Some(n as u64), None),
            Some(_) => {
                r.reject(
                    FIELD,
                    "must be at least 1 (invocations per month), or \"auto\"",
                );
                (None, None)
            }
            None => (None, None),
        },
    }
}

/// `maxDuration`: `{"statistic": "p95", "ms": 200}`, or the command line's `"p95=200ms"`.
fn max_duration(r: &mut Reader<'_>) -> Option<Budget> {
    const FIELD: &str = "maxDuration";
    let parsed = match r.get(FIELD)? {
        Value::String(s) => s.parse::<Budget>(),
        v @ Value::Object(_) => serde_json::from_value::<Budget>(v.clone())
            .map_err(|_| "must be {\"statistic\": \"mean\" | \"p90\" | \"p95\" | \"p99\", \"ms\": LIMIT} or \"p95=200ms\"".to_string())
            .and_then(|b| {
                if b.ms.is_finite() && b.ms > 0.0 {
                    Ok(b)
                } else {
                    Err("\"ms\" must be a positive number of milliseconds".to_string())
                }
            }),
        _ => Err("must be {\"statistic\": \"p95\", \"ms\": 200} or \"p95=200ms\"".to_string()),
    };
    parsed.map_err(|problem| r.reject(FIELD, problem)).ok()
}

/// An alias name as Lambda allows it.
fn is_alias_name(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 128
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !a.chars().all(|c| c.is_ascii_digit())
}
