//! The fields an execution input may have, each with its command-line flag, and the "did you
//! mean" for one it may not: a typo such as `stratgy` must not silently tune with defaults.

use super::error::FieldError;
use serde_json::{Map, Value};

/// How a field is given on the command line: `powertune tune` builds one flag per field from
/// [`FIELDS`], and lays what it was given over the `--input` file as this JSON, which the input
/// reader then reads as it reads the Initializer's (a bad flag gets the field's own message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `--LONG VALUE`: the field is the value, read as its [`ValueKind`] says.
    Value {
        /// The flag's name without its dashes.
        long: &'static str,
        /// What the help calls its value.
        value_name: &'static str,
        /// How its text becomes the field's JSON.
        kind: ValueKind,
    },
    /// `--LONG` with no value: sets the field to `sets`.
    Switch {
        /// The flag's name without its dashes.
        long: &'static str,
        /// The field's value when the flag is given.
        sets: bool,
    },
}

impl Flag {
    /// The flag's name without its dashes.
    pub fn long(&self) -> &'static str {
        match self {
            Flag::Value { long, .. } | Flag::Switch { long, .. } => long,
        }
    }
}

/// What a flag's text becomes in the execution input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A string, as given.
    Text,
    /// A number when the text is one, else the text (for the field's own message, or a word
    /// such as `auto`).
    Number,
    /// Comma-separated (or repeated) numbers; one word that is not a number (`ALL`) as given.
    Numbers,
    /// Comma-separated (or repeated) strings.
    Texts,
    /// JSON when the text is JSON, else the text as a string (the reference sends a string
    /// payload as it is); the command line reads `@FILE` first.
    Json,
}

impl ValueKind {
    /// Whether the flag takes several comma-separated values.
    pub fn is_list(self) -> bool {
        matches!(self, ValueKind::Numbers | ValueKind::Texts)
    }

    /// The field's JSON for the flag's values (one, or several for a list).
    pub fn to_json(self, values: &[String]) -> Value {
        // JSON's own reading first, so that 10 stays an integer; then Rust's, for ".5" or "+5".
        let number = |s: &str| {
            let s = s.trim();
            serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_number)
                .or_else(|| {
                    let n = s.parse::<f64>().ok()?;
                    serde_json::Number::from_f64(n).map(Value::Number)
                })
                .unwrap_or_else(|| Value::String(s.to_string()))
        };
        let first = values.first().map(String::as_str).unwrap_or_default();
        match self {
            ValueKind::Text => Value::String(first.to_string()),
            ValueKind::Number => number(first),
            ValueKind::Numbers => match values {
                [one] if !number(one).is_number() => Value::String(one.trim().to_string()),
                _ => Value::Array(values.iter().map(|v| number(v)).collect()),
            },
            ValueKind::Texts => {
                Value::Array(values.iter().map(|v| Value::String(v.clone())).collect())
            }
            ValueKind::Json => {
                serde_json::from_str(first).unwrap_or_else(|_| Value::String(first.to_string()))
            }
        }
    }
}

/// One field of the execution input: its name, its flag and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The JSON name, as the reference spells it.
    pub name: &'static str,
    /// Its command-line flag.
    pub flag: Flag,
    /// The flag's help: what the field does.
    pub help: &'static str,
}

const fn value(
    name: &'static str,
    long: &'static str,
    value_name: &'static str,
    kind: ValueKind,
    help: &'static str,
) -> Field {
    Field {
        name,
        flag: Flag::Value {
            long,
            value_name,
            kind,
        },
        help,
    }
}

const fn switch(name: &'static str, long: &'static str, sets: bool, help: &'static str) -> Field {
    Field {
        name,
        flag: Flag::Switch { long, sets },
        help,
    }
}

/// Every field the execution input may have, with its flag: the one place a field is named.
/// The order is the order problems are reported in.
pub const FIELDS: &[Field] = &[
    value("lambdaARN", "lambda-arn", "ARN", ValueKind::Text,
        "The function to tune (its ARN or name), when not tuning locally."),
    value("num", "num", "N", ValueKind::Number,
        "Invocations per power value [default: 10 locally]."),
    value("powerValues", "power-values", "MB,MB,...", ValueKind::Numbers,
        "Memory sizes in MB, comma-separated, or ALL (128..3008 in steps of 64)."),
    value("payload", "payload", "JSON|@FILE", ValueKind::Json,
        "The payload: JSON, or @FILE to read it from a file (text that is not JSON is sent as a string)."),
    value("payloadS3", "payload-s3", "s3://BUCKET/KEY", ValueKind::Text,
        "Read the payload from this S3 object instead (on AWS)."),
    switch("parallelInvocation", "parallel", true,
        "Invoke each power value's invocations in parallel."),
    value("strategy", "strategy", "cost|speed|balanced", ValueKind::Text,
        "What the recommendation optimizes: cost, speed or balanced."),
    value("balancedWeight", "balanced-weight", "WEIGHT", ValueKind::Number,
        "For the balanced strategy: 0 = fastest .. 1 = cheapest."),
    value("maxDuration", "max-duration", "STAT=LIMIT", ValueKind::Text,
        "A latency budget: recommend the power value the strategy prefers among those whose statistic of the durations (mean, p90, p95 or p99) is within the limit, for example p95=200ms."),
    value("coldStartRate", "cold-start-rate", "RATE|auto", ValueKind::Number,
        "The share of invocations that start cold in production (0 to 1): the strategies decide on (1 - rate) x warm + rate x cold, cold starts billed with their INIT. On AWS, \"auto\" reads it from the function's logs (the last 14 days)."),
    switch("autoOptimize", "auto-optimize", true,
        "Set the function to the recommended memory afterwards."),
    value("autoOptimizeAlias", "auto-optimize-alias", "ALIAS", ValueKind::Text,
        "With --auto-optimize: point this alias at a version with the recommended memory."),
    switch("dryRun", "dry-run", true,
        "Invoke each power value once, to check the setup."),
    value("preProcessorARN", "pre-processor-arn", "ARN", ValueKind::Text,
        "A function invoked before each invocation, whose output becomes its payload (on AWS)."),
    value("postProcessorARN", "post-processor-arn", "ARN", ValueKind::Text,
        "A function invoked with each invocation's output (on AWS)."),
    value("discardTopBottom", "discard-top-bottom", "SHARE", ValueKind::Number,
        "Share of steady invocations dropped at each end before averaging (0..0.4) [default: 0]."),
    value("sleepBetweenRunsMs", "sleep-between-runs-ms", "MS", ValueKind::Number,
        "Pause between invocations in series, ms."),
    switch("disablePayloadLogs", "disable-payload-logs", true,
        "Keep payloads out of logs and error messages."),
    switch("includeOutputResults", "include-output-results", true,
        "Include every power value's statistics in the result document."),
    switch("onlyColdStarts", "only-cold-starts", true,
        "Measure cold starts only: every invocation gets a new environment."),
    value("coldSamples", "cold-samples", "N", ValueKind::Number,
        "Cold starts measured per power value (1 to 20; default 1, its first invocation): each further one is a version of its own, invoked once."),
    value("allowedExceptions", "allowed-exceptions", "TYPE,TYPE,...", ValueKind::Texts,
        "Error types counted as normal results (repeat or comma-separate)."),
    value("powerValueFailures", "power-value-failures", "memory|any|none", ValueKind::Text,
        "Which function errors fail only the power value they happen at (reported, left out of the recommendation) instead of the run: memory (out of memory and timeouts, the default), any, or none."),
    value("maxConcurrency", "max-concurrency", "N", ValueKind::Number,
        "With --parallel: at most this many invocations at once."),
    switch("statisticalTies", "exact-ties", false,
        "Decide on the averages alone, as the reference does, instead of treating power values whose results do not differ beyond noise as tied."),
    switch("adaptive", "adaptive", true,
        "Sample in rounds: stop invoking a power value once it is out of the running, and stop once the decision is settled; --num is then the most a power value gets."),
    value("minNum", "min-num", "N", ValueKind::Number,
        "With --adaptive: the invocations of the first round (default 5)."),
    value("monthlyInvocations", "monthly-invocations", "N|RATE/s|auto", ValueKind::Number,
        "Project a month of this many invocations at each power value (or a steady rate, such as 500/s), and the saving of the recommendation over the function's current memory. On AWS, \"auto\" reads the traffic from the function's logs (the last 14 days)."),
    switch("managedInstances", "managed-instances", true,
        "Tune for Lambda Managed Instances: drive each memory, memory-per-vCPU and concurrency with sustained load, price it per request and compare it with on-demand Lambda (on AWS: a function already on a capacity provider)."),
    value("capacityProviderArn", "capacity-provider-arn", "ARN", ValueKind::Text,
        "With --managed-instances: the capacity provider the versions run on (on AWS the function's own, the default)."),
    value("memorySizes", "memory-sizes", "MB,MB,...", ValueKind::Numbers,
        "With --managed-instances: the memory sizes to try, 2048 to 32768 MB [default: 2048,4096]."),
    value("memoryPerVcpu", "memory-per-vcpu", "GIB,GIB,...", ValueKind::Numbers,
        "With --managed-instances: the memory per vCPU to try, 2 to 8 GiB [default: 2,4]."),
    value("concurrencies", "concurrencies", "N,N,...", ValueKind::Numbers,
        "With --managed-instances: the requests one environment serves at once, 1 to 1600 [default: 1,2,4,8,16]."),
    value("loadSeconds", "load-seconds", "SECONDS", ValueKind::Number,
        "With --managed-instances: how long each configuration is kept busy [default: 2]."),
    value("savingsPlanDiscount", "savings-plan-discount", "SHARE", ValueKind::Number,
        "With --managed-instances: the share a Savings Plan takes off the instances' price (0 to 1)."),
    value("vcpuHourPrice", "vcpu-hour-price", "DOLLARS", ValueKind::Number,
        "With --managed-instances: the instances' on-demand price per vCPU-hour, instead of the bundled us-east-1 table's."),
];

/// The field named `name`, if there is one.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Where `name` comes in [`FIELDS`]: the order problems are reported in.
pub(super) fn position(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.name == name)
}

fn known(name: &str) -> bool {
    field(name).is_some()
}

fn names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|f| f.name)
}

/// The known field nearest to `unknown`, if one is near enough to be a typo.
pub(super) fn closest_field(unknown: &str) -> Option<&'static str> {
    let lower = unknown.to_ascii_lowercase();
    names()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), k))
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
        .filter(|(field, _)| !known(field))
        .map(|(field, value)| FieldError {
            field: field.clone(),
            value: Some(value.to_string()),
            problem: match closest_field(field) {
                Some(known) => format!("unknown field; did you mean \"{known}\"?"),
                None => format!(
                    "unknown field; the known fields are {}",
                    names().collect::<Vec<_>>().join(", ")
                ),
            },
        })
        .collect()
}
