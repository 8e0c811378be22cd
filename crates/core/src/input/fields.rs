//! The fields an execution input may have, and the "did you mean" for one it may not: a typo
//! such as `stratgy` must not silently tune with defaults.

use super::error::FieldError;
use serde_json::{Map, Value};

/// Every field the execution input may have.
pub const KNOWN_FIELDS: &[&str] = &[
    "lambdaARN",
    "num",
    "powerValues",
    "payload",
    "payloadS3",
    "parallelInvocation",
    "strategy",
    "balancedWeight",
    "maxDuration",
    "coldStartRate",
    "autoOptimize",
    "autoOptimizeAlias",
    "dryRun",
    "preProcessorARN",
    "postProcessorARN",
    "discardTopBottom",
    "sleepBetweenRunsMs",
    "disablePayloadLogs",
    "includeOutputResults",
    "onlyColdStarts",
    "coldSamples",
    "allowedExceptions",
    "powerValueFailures",
    "maxConcurrency",
    "statisticalTies",
    "adaptive",
    "minNum",
    "monthlyInvocations",
];

/// The known field nearest to `unknown`, if one is near enough to be a typo.
pub(super) fn closest_field(unknown: &str) -> Option<&'static str> {
    let lower = unknown.to_ascii_lowercase();
    KNOWN_FIELDS
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = if ca == b[j] {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// A problem for each field of `object` that is not a known one, with the nearest known field.
pub(super) fn unknown(object: &Map<String, Value>) -> Vec<FieldError> {
    object
        .iter()
        .filter(|(field, _)| !KNOWN_FIELDS.contains(&field.as_str()))
        .map(|(field, value)| FieldError {
            field: field.clone(),
            value: Some(value.to_string()),
            problem: match closest_field(field) {
                Some(known) => format!("unknown field; did you mean \"{known}\"?"),
                None => format!(
                    "unknown field; the known fields are {}",
                    KNOWN_FIELDS.join(", ")
                ),
            },
        })
        .collect()
}
