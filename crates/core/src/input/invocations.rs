//! How the invocations are made: `parallelInvocation`, `maxConcurrency`,
//! `sleepBetweenRunsMs`, `allowedExceptions`, `powerValueFailures` and `disablePayloadLogs`.

use super::reader::Reader;
use crate::failure::PowerValueFailures;
use serde_json::Value;

/// The invocation fields, read.
pub(super) struct Invocations {
    pub parallel_invocation: bool,
    pub max_concurrency: Option<u32>,
    pub sleep_between_runs_ms: u64,
    pub allowed_exceptions: Vec<String>,
    pub power_value_failures: PowerValueFailures,
    pub disable_payload_logs: bool,
}

pub(super) fn read(r: &mut Reader<'_>) -> Invocations {
    let sleep_between_runs_ms = match r.integer("sleepBetweenRunsMs", "of milliseconds, 0 or more")
    {
        None => 0,
        Some(ms) if ms >= 0 => ms as u64,
        Some(_) => {
            r.reject("sleepBetweenRunsMs", "must be 0 or more milliseconds");
            0
        }
    };
    let parallel_invocation = r.bool("parallelInvocation");
    let max_concurrency = match r.integer("maxConcurrency", "of at least 1") {
        None => None,
        Some(n) if n >= 1 && n <= i64::from(u32::MAX) => Some(n as u32),
        Some(_) => {
            r.reject("maxConcurrency", "must be at least 1");
            None
        }
    };
    if max_concurrency.is_some() && !parallel_invocation {
        r.reject(
            "maxConcurrency",
            "limits parallel invocations, so it needs \"parallelInvocation\": true",
        );
    }
    let allowed_exceptions = match r.get("allowedExceptions") {
        None => Vec::new(),
        Some(Value::Array(items))
            if items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| !s.is_empty())) =>
        {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
        Some(_) => {
            r.reject(
                "allowedExceptions",
                "must be a list of error types, such as [\"HandledError\"]",
            );
            Vec::new()
        }
    };
    let power_value_failures = match r.string("powerValueFailures") {
        None => PowerValueFailures::default(),
        Some(s) => s.parse().unwrap_or_else(|problem: String| {
            r.reject("powerValueFailures", problem);
            PowerValueFailures::default()
        }),
    };
    Invocations {
        parallel_invocation,
        power_value_failures,
        max_concurrency,
        sleep_between_runs_ms,
        allowed_exceptions,
        disable_payload_logs: r.bool("disablePayloadLogs"),
    }
}
