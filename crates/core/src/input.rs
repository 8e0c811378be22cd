//! The execution input: raw JSON in, typed and validated values out, with the reference
//! project's names and defaults. Every problem is reported at once, each naming the field, the
//! value and what is allowed, before anything is changed on the user's function.

use crate::payload::Payload;
pub use crate::reference::{FunctionRef, S3Location};
use crate::strategy::Strategy;
use serde_json::{Map, Value};
use std::fmt;

/// The smallest and largest memory sizes Lambda accepts, in MB.
pub const MIN_POWER: u32 = 128;
/// The largest memory size Lambda accepts, in MB.
pub const MAX_POWER: u32 = 10240;
/// The smallest `num` outside a dry run: fewer invocations cannot be trimmed meaningfully.
pub const MIN_NUM: u32 = 5;
/// The largest share of results `discardTopBottom` may drop at each end.
pub const MAX_DISCARD_TOP_BOTTOM: f64 = 0.4;

/// `"ALL"`: 128 to 3008 MB in steps of 64, as the reference expands it.
pub fn all_power_values() -> Vec<u32> {
    (MIN_POWER..=3008).step_by(64).collect()
}

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
    "allowedExceptions",
    "maxConcurrency",
    "statisticalTies",
    "adaptive",
    "minNum",
    "monthlyInvocations",
];

/// What the input may leave out and the deployment decides.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The deploy-time `PowerValues`, used when the input has no `powerValues`.
    pub power_values: Vec<u32>,
    /// The region the tool runs in, for a `lambdaARN` that is only a name or a partial ARN.
    pub region: Option<String>,
}

/// The validated execution input. In the documents the steps pass each other it is the input
/// document as [`ExecutionInput::to_json`] writes it, plus `region` when that came from the tool
/// rather than the ARN, so that reading it back gives the same value: it is parsed once, where
/// the execution starts, and read back typed at every step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct ExecutionInput {
    /// `lambdaARN`: the function to tune.
    pub lambda: FunctionRef,
    /// The region whose prices apply: the ARN's, else the tool's own (`None` if neither is known).
    pub region: Option<String>,
    /// Invocations per power value (1 in a dry run without `num`).
    pub num: u32,
    /// Sorted, without duplicates, never empty.
    pub power_values: Vec<u32>,
    /// `None` when the input has no payload: invocations then send no body.
    pub payload: Option<Payload>,
    /// `payloadS3`: where to read the payload from instead.
    pub payload_s3: Option<S3Location>,
    /// `parallelInvocation`: invoke a power value's `num` invocations at once.
    pub parallel_invocation: bool,
    /// `strategy`: what the recommendation optimizes.
    pub strategy: Strategy,
    /// `balancedWeight`: 0 favours speed, 1 cost (balanced strategy only).
    pub balanced_weight: f64,
    /// `autoOptimize`: set the function to the recommended memory afterwards.
    pub auto_optimize: bool,
    /// `autoOptimizeAlias`: with `autoOptimize`, point this alias at a version with it.
    pub auto_optimize_alias: Option<String>,
    /// `dryRun`: invoke each power value once, to check the setup.
    pub dry_run: bool,
    /// `preProcessorARN`: a function invoked before each invocation, whose output becomes its payload.
    pub pre_processor: Option<FunctionRef>,
    /// `postProcessorARN`: a function invoked with each invocation's output.
    pub post_processor: Option<FunctionRef>,
    /// `discardTopBottom`: the share of results dropped at each end before averaging.
    pub discard_top_bottom: f64,
    /// `sleepBetweenRunsMs`: the pause between invocations in series.
    pub sleep_between_runs_ms: u64,
    /// `disablePayloadLogs`: keep payloads out of logs and error messages.
    pub disable_payload_logs: bool,
    /// `includeOutputResults`: put every power value's statistics in the result.
    pub include_output_results: bool,
    /// `onlyColdStarts`: every invocation gets a new execution environment.
    pub only_cold_starts: bool,
    /// `allowedExceptions`: error types counted as normal results.
    pub allowed_exceptions: Vec<String>,
    /// `maxConcurrency` (ours): the most invocations at once with `parallelInvocation`.
    pub max_concurrency: Option<u32>,
    /// `statisticalTies` (ours, default true): power values whose results do not differ beyond
    /// noise (Yuen's test, 95%) count as tied, and the tie rules pick among them; `false` decides
    /// on the averages alone, as the reference does.
    pub statistical_ties: bool,
    /// `adaptive` (ours): invoke in rounds, stop invoking a power value once it is out of the
    /// running and stop the run once the decision is settled; `num` is then the most
    /// invocations a power value gets.
    pub adaptive: bool,
    /// `minNum` (ours, with `adaptive`): the invocations every power value gets in the first
    /// round (default 5).
    pub min_num: u32,
    /// `monthlyInvocations` (ours): project a month of this many invocations at each power
    /// value, and the recommendation's saving over the function's current memory.
    pub monthly_invocations: Option<u64>,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, as the input spells it.
    pub field: String,
    /// The offending value as JSON, or `None` when the field is missing.
    pub value: Option<String>,
    /// What is wrong and what is allowed.
    pub problem: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "\"{}\" is {}: {}", self.field, shorten(v), self.problem),
            None => write!(f, "\"{}\" is missing: {}", self.field, self.problem),
        }
    }
}

fn shorten(v: &str) -> String {
    if v.chars().count() > 80 {
        format!("{}...", v.chars().take(77).collect::<String>())
    } else {
        v.to_string()
    }
}

/// Every problem found in one execution input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// Each problem, in the order of the fields.
    pub problems: Vec<FieldError>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid execution input: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl InputError {
    fn single(field: &str, value: Option<&Value>, problem: impl Into<String>) -> InputError {
        InputError {
            problems: vec![FieldError {
                field: field.to_string(),
                value: value.map(Value::to_string),
                problem: problem.into(),
            }],
        }
    }
}

/// Collects problems while fields are read, so the user sees all of them at once.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    problems: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// The field's value; JSON `null` counts as absent.
    fn get(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    fn fail(&mut self, field: &str, value: Option<&Value>, problem: impl Into<String>) {
        self.problems.push(FieldError {
            field: field.to_string(),
            value: value.map(Value::to_string),
            problem: problem.into(),
        });
    }

    fn bool(&mut self, field: &str) -> bool {
        match self.get(field) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                self.fail(field, Some(v), "must be true or false");
                false
            }
        }
    }

    fn number(&mut self, field: &str, allowed: &str) -> Option<f64> {
        let v = self.get(field)?;
        match v.as_f64().filter(|n| n.is_finite()) {
            Some(n) => Some(n),
            None => {
                self.fail(field, Some(v), format!("must be a number {allowed}"));
                None
            }
        }
    }

    /// An integer, also accepted as a string of digits (the reference parses `"10"` too).
    fn integer(&mut self, field: &str, allowed: &str) -> Option<i64> {
        let v = self.get(field)?;
        let parsed = match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.fail(field, Some(v), format!("must be an integer {allowed}"));
        }
        parsed
    }

    fn string(&mut self, field: &str) -> Option<&'a str> {
        let v = self.get(field)?;
        match v.as_str() {
            Some(s) => Some(s),
            None => {
                self.fail(field, Some(v), "must be a string");
                None
            }
        }
    }

    fn function(&mut self, field: &str) -> Option<FunctionRef> {
        let s = self.string(field)?;
        match FunctionRef::parse(s) {
            Ok(f) => Some(f),
            Err(problem) => {
                let v = self.get(field);
                self.fail(field, v, problem);
                None
            }
        }
    }
}

impl ExecutionInput {
    /// Parses the execution input document.
    pub fn from_json(value: &Value, defaults: &Defaults) -> Result<ExecutionInput, InputError> {
        let Some(object) = value.as_object() else {
            return Err(InputError::single(
                "(input)",
                Some(value),
                "the execution input must be a JSON object such as {\"lambdaARN\": \"...\", \"num\": 10}",
            ));
        };
        let mut r = Reader {
            object,
            problems: Vec::new(),
        };

        for field in object.keys() {
            if !KNOWN_FIELDS.contains(&field.as_str()) {
                let hint = match closest_field(field) {
                    Some(known) => format!("unknown field; did you mean \"{known}\"?"),
                    None => format!(
                        "unknown field; the known fields are {}",
                        KNOWN_FIELDS.join(", ")
                    ),
                };
                r.problems.push(FieldError {
                    field: field.clone(),
                    value: object.get(field).map(Value::to_string),
                    problem: hint,
                });
            }
        }

        let lambda = match r.get("lambdaARN") {
            None => {
                r.fail(
                    "lambdaARN",
                    None,
                    "give the ARN or name of the function to tune",
                );
                None
            }
            Some(_) => r.function("lambdaARN"),
        };
        if let Some(q) = lambda.as_ref().and_then(|l| l.qualifier.clone()) {
            let v = r.get("lambdaARN");
            r.fail(
                "lambdaARN",
                v,
                format!("is qualified with \"{q}\", but tuning works on $LATEST: powertune publishes its own versions and aliases. Remove \":{q}\"."),
            );
        }

        let dry_run = r.bool("dryRun");
        let num = match r.integer(
            "num",
            "of at least 5 (any positive number with \"dryRun\": true)",
        ) {
            Some(n) if n >= i64::from(MIN_NUM) && n <= i64::from(u32::MAX) => n as u32,
            Some(n) if dry_run && n >= 1 && n <= i64::from(u32::MAX) => n as u32,
            Some(_) => {
                let v = r.get("num");
                let allowed = if dry_run {
                    "must be at least 1"
                } else {
                    "must be at least 5 (or set \"dryRun\": true)"
                };
                r.fail("num", v, allowed);
                MIN_NUM
            }
            None if r.get("num").is_some() => MIN_NUM,
            None if dry_run => 1,
            None => {
                r.fail(
                    "num",
                    None,
                    "give the number of invocations per power value, at least 5",
                );
                MIN_NUM
            }
        };

        let power_values = read_power_values(&mut r, defaults);

        let only_cold_starts = r.bool("onlyColdStarts");
        let statistical_ties = r.get("statisticalTies").is_none() || r.bool("statisticalTies");
        let (adaptive, min_num) = read_adaptive(&mut r, num, dry_run, statistical_ties);
        let payload = match r.get("payload") {
            None if object.get("payload").is_some() => Some(Payload::Static(Value::Null)),
            None => None,
            Some(v) => match Payload::from_value(v.clone()) {
                Ok(p) => Some(p),
                Err(e) => {
                    r.fail("payload", Some(v), e.to_string());
                    None
                }
            },
        };
        if let Some(plan_error) = payload
            .as_ref()
            .and_then(|p| p.plan(num).err())
            .filter(|_| !dry_run)
        {
            let v = r.get("payload");
            r.fail("payload", v, plan_error.to_string());
        }

        let payload_s3 = r
            .string("payloadS3")
            .and_then(|s| match S3Location::parse(s) {
                Ok(l) => Some(l),
                Err(problem) => {
                    let v = r.get("payloadS3");
                    r.fail("payloadS3", v, problem);
                    None
                }
            });
        if payload_s3.is_some() && object.contains_key("payload") {
            let v = r.get("payloadS3");
            r.fail(
                "payloadS3",
                v,
                "give either \"payload\" or \"payloadS3\", not both: the S3 object would replace the payload",
            );
        }

        let strategy = match r.string("strategy") {
            None => Strategy::Cost,
            Some(s) => match s.parse::<Strategy>() {
                Ok(st) => st,
                Err(problem) => {
                    let v = r.get("strategy");
                    r.fail("strategy", v, problem);
                    Strategy::Cost
                }
            },
        };

        let balanced_weight = match r.number("balancedWeight", "from 0 to 1") {
            None => 0.5,
            Some(w) if (0.0..=1.0).contains(&w) => w,
            Some(w) => {
                let v = r.get("balancedWeight");
                r.fail(
                    "balancedWeight",
                    v,
                    "must be from 0 (fastest) to 1 (cheapest)",
                );
                w.clamp(0.0, 1.0)
            }
        };

        let discard_top_bottom = match r.number("discardTopBottom", "from 0 to 0.4") {
            None if only_cold_starts => 0.0,
            None => 0.2,
            // The reference forces 0 here; a value the user gave is not silently replaced.
            Some(d) if only_cold_starts && d > 0.0 => {
                let v = r.get("discardTopBottom");
                r.fail(
                    "discardTopBottom",
                    v,
                    "must be 0 with \"onlyColdStarts\": every invocation is a cold start, and trimming would drop the cold starts being measured. Remove it or set it to 0",
                );
                0.0
            }
            Some(d) if (0.0..=MAX_DISCARD_TOP_BOTTOM).contains(&d) => d,
            Some(d) => {
                let v = r.get("discardTopBottom");
                r.fail(
                    "discardTopBottom",
                    v,
                    "must be from 0 to 0.4 (the share of results dropped at each end)",
                );
                d.clamp(0.0, MAX_DISCARD_TOP_BOTTOM)
            }
        };

        let sleep_between_runs_ms =
            match r.integer("sleepBetweenRunsMs", "of milliseconds, 0 or more") {
                None => 0,
                Some(ms) if ms >= 0 => ms as u64,
                Some(_) => {
                    let v = r.get("sleepBetweenRunsMs");
                    r.fail("sleepBetweenRunsMs", v, "must be 0 or more milliseconds");
                    0
                }
            };

        let parallel_invocation = r.bool("parallelInvocation");
        let max_concurrency = match r.integer("maxConcurrency", "of at least 1") {
            None => None,
            Some(n) if n >= 1 && n <= i64::from(u32::MAX) => Some(n as u32),
            Some(_) => {
                let v = r.get("maxConcurrency");
                r.fail("maxConcurrency", v, "must be at least 1");
                None
            }
        };
        if max_concurrency.is_some() && !parallel_invocation {
            let v = r.get("maxConcurrency");
            r.fail(
                "maxConcurrency",
                v,
                "limits parallel invocations, so it needs \"parallelInvocation\": true",
            );
        }

        let auto_optimize = r.bool("autoOptimize");
        let auto_optimize_alias = r.string("autoOptimizeAlias").and_then(|a| {
            if is_alias_name(a) {
                Some(a.to_string())
            } else {
                let v = r.get("autoOptimizeAlias");
                r.fail(
                    "autoOptimizeAlias",
                    v,
                    "must be an alias name: 1 to 128 letters, digits, '-' or '_', not only digits",
                );
                None
            }
        });
        if auto_optimize_alias.is_some() && !auto_optimize {
            let v = r.get("autoOptimizeAlias");
            r.fail(
                "autoOptimizeAlias",
                v,
                "is only used with \"autoOptimize\": true",
            );
        }

        let pre_processor = r.function("preProcessorARN");
        let post_processor = r.function("postProcessorARN");

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
            Some(v) => {
                r.fail(
                    "allowedExceptions",
                    Some(v),
                    "must be a list of error types, such as [\"HandledError\"]",
                );
                Vec::new()
            }
        };

        let monthly_invocations = match r.integer("monthlyInvocations", "of at least 1") {
            None => None,
            Some(n) if n >= 1 => Some(n as u64),
            Some(_) => {
                let v = r.get("monthlyInvocations");
                r.fail(
                    "monthlyInvocations",
                    v,
                    "must be at least 1 (invocations per month)",
                );
                None
            }
        };

        let disable_payload_logs = r.bool("disablePayloadLogs");
        let include_output_results = r.bool("includeOutputResults");

        let problems = std::mem::take(&mut r.problems);
        match lambda {
            Some(lambda) if problems.is_empty() => Ok(ExecutionInput {
                region: lambda.region.clone().or_else(|| defaults.region.clone()),
                lambda,
                num,
                power_values,
                payload,
                payload_s3,
                parallel_invocation,
                strategy,
                balanced_weight,
                auto_optimize,
                auto_optimize_alias,
                dry_run,
                pre_processor,
                post_processor,
                discard_top_bottom,
                sleep_between_runs_ms,
                disable_payload_logs,
                include_output_results,
                only_cold_starts,
                allowed_exceptions,
                max_concurrency,
                statistical_ties,
                adaptive,
                min_num,
                monthly_invocations,
            }),
            _ => Err(InputError { problems }),
        }
    }

    /// The input as a JSON document with the reference's field names, complete with every
    /// default, that parses back to the same input.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("lambdaARN".into(), Value::from(self.lambda.given.clone()));
        o.insert("num".into(), Value::from(self.num));
        o.insert("powerValues".into(), Value::from(self.power_values.clone()));
        if let Some(p) = &self.payload {
            o.insert("payload".into(), p.to_value());
        }
        if let Some(s3) = &self.payload_s3 {
            o.insert("payloadS3".into(), Value::from(s3.to_string()));
        }
        o.insert(
            "parallelInvocation".into(),
            Value::from(self.parallel_invocation),
        );
        o.insert("strategy".into(), Value::from(self.strategy.as_str()));
        o.insert("balancedWeight".into(), Value::from(self.balanced_weight));
        o.insert("autoOptimize".into(), Value::from(self.auto_optimize));
        if let Some(a) = &self.auto_optimize_alias {
            o.insert("autoOptimizeAlias".into(), Value::from(a.clone()));
        }
        o.insert("dryRun".into(), Value::from(self.dry_run));
        if let Some(p) = &self.pre_processor {
            o.insert("preProcessorARN".into(), Value::from(p.given.clone()));
        }
        if let Some(p) = &self.post_processor {
            o.insert("postProcessorARN".into(), Value::from(p.given.clone()));
        }
        o.insert(
            "discardTopBottom".into(),
            Value::from(self.discard_top_bottom),
        );
        o.insert(
            "sleepBetweenRunsMs".into(),
            Value::from(self.sleep_between_runs_ms),
        );
        o.insert(
            "disablePayloadLogs".into(),
            Value::from(self.disable_payload_logs),
        );
        o.insert(
            "includeOutputResults".into(),
            Value::from(self.include_output_results),
        );
        o.insert("onlyColdStarts".into(), Value::from(self.only_cold_starts));
        o.insert("statisticalTies".into(), Value::from(self.statistical_ties));
        if self.adaptive {
            o.insert("adaptive".into(), Value::from(true));
            o.insert("minNum".into(), Value::from(self.min_num));
        }
        if let Some(n) = self.monthly_invocations {
            o.insert("monthlyInvocations".into(), Value::from(n));
        }
        o.insert(
            "allowedExceptions".into(),
            Value::from(self.allowed_exceptions.clone()),
        );
        if let Some(m) = self.max_concurrency {
            o.insert("maxConcurrency".into(), Value::from(m));
        }
        Value::Object(o)
    }
}

/// `adaptive` and `minNum`: rounds that start at `minNum` invocations and end at `num` at the
/// most. Adaptive sampling stops on the statistical test, so it needs `statisticalTies`; a dry
/// run has nothing to sample.
fn read_adaptive(
    r: &mut Reader<'_>,
    num: u32,
    dry_run: bool,
    statistical_ties: bool,
) -> (bool, u32) {
    let adaptive = r.bool("adaptive");
    if adaptive && dry_run {
        let v = r.get("adaptive");
        r.fail(
            "adaptive",
            v,
            "cannot be combined with \"dryRun\": a dry run invokes each power value once, so there is nothing to sample adaptively",
        );
    }
    if adaptive && !statistical_ties {
        let v = r.get("adaptive");
        r.fail(
            "adaptive",
            v,
            "needs statistical ties: adaptive sampling stops once the statistical test settles the decision. Remove \"statisticalTies\": false, or \"adaptive\"",
        );
    }
    let min_num = match r.integer("minNum", "of at least 5, and at most \"num\"") {
        None => MIN_NUM.min(num),
        Some(n) if !adaptive => {
            let v = r.get("minNum");
            r.fail(
                "minNum",
                v,
                "is the first round of adaptive sampling, so it needs \"adaptive\": true",
            );
            n.clamp(1, i64::from(num)) as u32
        }
        Some(n) if n >= i64::from(MIN_NUM) && n <= i64::from(num) => n as u32,
        Some(n) => {
            let v = r.get("minNum");
            r.fail(
                "minNum",
                v,
                format!("must be from 5 to \"num\" ({num}): every power value gets at least 5 invocations, and \"num\" is the most it gets"),
            );
            n.clamp(1, i64::from(num)) as u32
        }
    };
    (adaptive, min_num)
}

/// The key that carries the tool's region in the steps' documents (never in a user's input).
const REGION_KEY: &str = "region";

impl From<ExecutionInput> for Value {
    fn from(input: ExecutionInput) -> Value {
        let mut value = input.to_json();
        let from_arn = input.lambda.region.is_some();
        if let (Some(region), false, Value::Object(o)) = (&input.region, from_arn, &mut value) {
            o.insert(REGION_KEY.into(), Value::from(region.clone()));
        }
        value
    }
}

impl TryFrom<Value> for ExecutionInput {
    type Error = InputError;

    /// Reads back what `From<ExecutionInput>` wrote: every default is already in it.
    fn try_from(value: Value) -> Result<ExecutionInput, InputError> {
        ExecutionInput::from_document(value, &Defaults::default())
    }
}

impl ExecutionInput {
    /// Reads an input as the steps' documents hold it (its `region`, if any, is the tool's),
    /// with `defaults` for what a hand-written one leaves out.
    pub fn from_document(
        mut value: Value,
        defaults: &Defaults,
    ) -> Result<ExecutionInput, InputError> {
        let region = value
            .as_object_mut()
            .and_then(|o| o.remove(REGION_KEY))
            .and_then(|r| r.as_str().map(str::to_string));
        let defaults = Defaults {
            power_values: defaults.power_values.clone(),
            region: region.or_else(|| defaults.region.clone()),
        };
        ExecutionInput::from_json(&value, &defaults)
    }
}

fn read_power_values(r: &mut Reader<'_>, defaults: &Defaults) -> Vec<u32> {
    const ALLOWED: &str = "must be a list of integers from 128 to 10240 (MB), or \"ALL\"";
    let mut values = match r.get("powerValues") {
        None if defaults.power_values.is_empty() => {
            r.fail(
                "powerValues",
                None,
                "give a list of memory sizes; this deployment has no default PowerValues",
            );
            return Vec::new();
        }
        None => defaults.power_values.clone(),
        Some(Value::String(s)) if s == "ALL" => return all_power_values(),
        Some(Value::Array(items)) if items.is_empty() => {
            r.fail(
                "powerValues",
                r.get("powerValues"),
                "must list at least one memory size",
            );
            return Vec::new();
        }
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let value = item.as_u64().or_else(|| {
                    item.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                });
                match value {
                    Some(v) if (u64::from(MIN_POWER)..=u64::from(MAX_POWER)).contains(&v) => {
                        out.push(v as u32)
                    }
                    Some(_) => r.fail(
                        "powerValues",
                        Some(item),
                        "is outside 128..=10240 MB, the memory sizes Lambda accepts",
                    ),
                    None => r.fail("powerValues", Some(item), "is not an integer number of MB"),
                }
            }
            out
        }
        Some(v) => {
            r.fail("powerValues", Some(v), ALLOWED);
            return Vec::new();
        }
    };
    values.sort_unstable();
    values.dedup();
    values
}

fn is_alias_name(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 128
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !a.chars().all(|c| c.is_ascii_digit())
}

/// The known field nearest to `unknown`, if one is near enough to be a typo.
fn closest_field(unknown: &str) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Strategy;
    use proptest::prelude::{prop_assert, proptest};
    use serde_json::json;

    const ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:my-func";

    fn defaults() -> Defaults {
        Defaults {
            power_values: vec![128, 256, 512, 1024, 1536, 3008],
            region: Some("us-east-2".into()),
        }
    }

    fn parse(v: Value) -> Result<ExecutionInput, InputError> {
        ExecutionInput::from_json(&v, &defaults())
    }

    fn problem(v: Value) -> String {
        parse(v).unwrap_err().to_string()
    }

    /// What the steps pass each other reads back as the same input, defaults included: a bare
    /// name keeps the tool's region, an ARN its own, and the deploy-time power values stay.
    #[test]
    fn the_steps_documents_read_back_as_the_same_input() {
        for given in [
            json!({"lambdaARN": "my-func", "num": 10}),
            json!({"lambdaARN": ARN, "num": 10, "payload": [{"payload": 1, "weight": 2}], "strategy": "balanced", "balancedWeight": 0.3}),
            json!({"lambdaARN": "123456789012:function:my-func", "num": 5, "powerValues": "ALL", "onlyColdStarts": true, "discardTopBottom": 0, "preProcessorARN": "pre"}),
        ] {
            let input = parse(given.clone()).unwrap();
            let document = serde_json::to_value(&input).unwrap();
            let back: ExecutionInput = serde_json::from_value(document.clone()).unwrap();
            assert_eq!(back, input, "{given} -> {document}");
        }
        let bare = parse(json!({"lambdaARN": "my-func", "num": 10})).unwrap();
        let document = serde_json::to_value(&bare).unwrap();
        assert_eq!(document["region"], "us-east-2");
        assert_eq!(
            document["powerValues"],
            json!([128, 256, 512, 1024, 1536, 3008])
        );
        // A region the ARN gives is not repeated; a user's input may not carry one.
        assert!(
            serde_json::to_value(parse(json!({"lambdaARN": ARN, "num": 10})).unwrap())
                .unwrap()
                .get("region")
                .is_none()
        );
        assert!(
            problem(json!({"lambdaARN": "f", "num": 10, "region": "eu-west-1"})).contains("region")
        );
    }

    #[test]
    fn minimal_input_gets_the_reference_defaults() {
        let i = parse(json!({"lambdaARN": ARN, "num": 10})).unwrap();
        assert_eq!(i.num, 10);
        assert_eq!(i.power_values, vec![128, 256, 512, 1024, 1536, 3008]);
        assert_eq!(i.strategy, Strategy::Cost);
        assert_eq!(i.balanced_weight, 0.5);
        assert_eq!(i.discard_top_bottom, 0.2);
        assert_eq!(i.sleep_between_runs_ms, 0);
        assert_eq!(i.payload, None);
        assert!(!i.parallel_invocation && !i.dry_run && !i.auto_optimize && !i.only_cold_starts);
        assert_eq!(i.region.as_deref(), Some("eu-west-1"));
        assert_eq!(i.lambda.name, "my-func");
    }

    #[test]
    fn only_cold_starts_does_not_trim_by_default() {
        let i = parse(json!({"lambdaARN": ARN, "num": 10, "onlyColdStarts": true})).unwrap();
        assert_eq!(i.discard_top_bottom, 0.0);
        let zero = parse(
            json!({"lambdaARN": ARN, "num": 10, "onlyColdStarts": true, "discardTopBottom": 0}),
        )
        .unwrap();
        assert_eq!(zero.discard_top_bottom, 0.0);
        let p = problem(
            json!({"lambdaARN": ARN, "num": 10, "onlyColdStarts": true, "discardTopBottom": 0.2}),
        );
        assert!(
            p.contains("discardTopBottom") && p.contains("must be 0 with \"onlyColdStarts\""),
            "{p}"
        );
    }

    #[test]
    fn missing_or_empty_lambda_arn_is_rejected() {
        assert!(problem(json!({"num": 10})).contains("\"lambdaARN\" is missing"));
        assert!(problem(json!({"lambdaARN": "", "num": 10})).contains("empty"));
    }

    #[test]
    fn arns_of_other_things_are_rejected() {
        let m = problem(json!({"lambdaARN": "arn:aws:s3:::bucket/key:x:y", "num": 10}));
        assert!(m.contains("service \"s3\""), "{m}");
        let m = problem(
            json!({"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:layer:l:1", "num": 10}),
        );
        assert!(m.contains("\"layer\" ARN"), "{m}");
        let m = problem(json!({"lambdaARN": "arn:aws:lambda", "num": 10}));
        assert!(m.contains("not a Lambda function ARN"), "{m}");
    }

    #[test]
    fn qualified_arns_are_rejected_because_tuning_works_on_latest() {
        for q in ["prod", "7"] {
            let m = problem(json!({"lambdaARN": format!("{ARN}:{q}"), "num": 10}));
            assert!(m.contains("$LATEST"), "{m}");
            assert!(m.contains(q), "{m}");
        }
        assert!(parse(json!({"lambdaARN": format!("{ARN}:$LATEST"), "num": 10})).is_ok());
    }

    #[test]
    fn names_and_partial_arns_are_accepted_with_the_tools_region() {
        let i = parse(json!({"lambdaARN": "my-func", "num": 5})).unwrap();
        assert_eq!(i.lambda.name, "my-func");
        assert_eq!(i.region.as_deref(), Some("us-east-2"));
        let i = parse(json!({"lambdaARN": "123456789012:function:my-func", "num": 5})).unwrap();
        assert_eq!(i.lambda.account.as_deref(), Some("123456789012"));
        assert_eq!(i.region.as_deref(), Some("us-east-2"));
        let i = parse(
            json!({"lambdaARN": "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "num": 5}),
        )
        .unwrap();
        assert_eq!(i.region.as_deref(), Some("cn-north-1"));
        assert_eq!(i.lambda.partition.as_deref(), Some("aws-cn"));
    }

    #[test]
    fn num_must_be_an_integer_of_at_least_five() {
        assert!(problem(json!({"lambdaARN": ARN})).contains("\"num\" is missing"));
        assert!(problem(json!({"lambdaARN": ARN, "num": 3})).contains("at least 5"));
        assert!(problem(json!({"lambdaARN": ARN, "num": 10.5})).contains("integer"));
        assert!(problem(json!({"lambdaARN": ARN, "num": "ten"})).contains("integer"));
        assert_eq!(
            parse(json!({"lambdaARN": ARN, "num": "10"})).unwrap().num,
            10
        );
    }

    #[test]
    fn dry_run_allows_small_or_missing_num() {
        assert_eq!(
            parse(json!({"lambdaARN": ARN, "num": 1, "dryRun": true}))
                .unwrap()
                .num,
            1
        );
        assert_eq!(
            parse(json!({"lambdaARN": ARN, "dryRun": true}))
                .unwrap()
                .num,
            1
        );
        assert!(problem(json!({"lambdaARN": ARN, "num": 0, "dryRun": true})).contains("at least 1"));
    }

    #[test]
    fn power_values_are_sorted_deduplicated_and_bounded() {
        let i = parse(json!({"lambdaARN": ARN, "num": 5, "powerValues": [512, 128, 512, 256.0]}))
            .unwrap();
        assert_eq!(i.power_values, vec![128, 256, 512]);
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "powerValues": [64, 20000, 256.5]}));
        assert!(m.contains("\"powerValues\" is 64"), "{m}");
        assert!(m.contains("\"powerValues\" is 20000"), "{m}");
        assert!(m.contains("256.5") && m.contains("not an integer"), "{m}");
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "powerValues": []}))
                .contains("at least one")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "powerValues": "some"})).contains("\"ALL\"")
        );
    }

    #[test]
    fn all_expands_to_128_through_3008_in_steps_of_64() {
        let i = parse(json!({"lambdaARN": ARN, "num": 5, "powerValues": "ALL"})).unwrap();
        assert_eq!(i.power_values.len(), 46);
        assert_eq!(i.power_values.first(), Some(&128));
        assert_eq!(i.power_values.last(), Some(&3008));
        assert!(i.power_values.windows(2).all(|w| w[1] - w[0] == 64));
    }

    #[test]
    fn missing_power_values_without_a_default_is_an_error() {
        let err =
            ExecutionInput::from_json(&json!({"lambdaARN": ARN, "num": 5}), &Defaults::default())
                .unwrap_err();
        assert!(err.to_string().contains("\"powerValues\" is missing"));
    }

    #[test]
    fn strategy_and_weight_are_checked() {
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "strategy": "fastest"}));
        assert!(
            m.contains("\"strategy\" is \"fastest\"") && m.contains("balanced"),
            "{m}"
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "balancedWeight": 1.5})).contains("from 0")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "balancedWeight": "half"}))
                .contains("number")
        );
        let i = parse(
            json!({"lambdaARN": ARN, "num": 5, "strategy": "balanced", "balancedWeight": 0.9}),
        )
        .unwrap();
        assert_eq!((i.strategy, i.balanced_weight), (Strategy::Balanced, 0.9));
    }

    #[test]
    fn discard_top_bottom_must_be_a_number_up_to_0_4() {
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": 0.5})).contains("0.4")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": -0.1})).contains("0.4")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": "0.1"}))
                .contains("number")
        );
        assert_eq!(
            parse(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": 0.4}))
                .unwrap()
                .discard_top_bottom,
            0.4
        );
    }

    #[test]
    fn sleep_between_runs_must_not_be_negative() {
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "sleepBetweenRunsMs": -1}))
                .contains("0 or more")
        );
        assert_eq!(
            parse(json!({"lambdaARN": ARN, "num": 5, "sleepBetweenRunsMs": 250}))
                .unwrap()
                .sleep_between_runs_ms,
            250
        );
    }

    #[test]
    fn payload_s3_must_be_an_s3_url() {
        for bad in [
            "",
            "/",
            "bucket/key.json",
            "s3://bucket/",
            "s3://key.json",
            "s3://",
            "s3://B_ad/key",
        ] {
            let m = problem(json!({"lambdaARN": ARN, "num": 5, "payloadS3": bad}));
            assert!(m.contains("\"payloadS3\""), "{bad}: {m}");
        }
        let i = parse(
            json!({"lambdaARN": ARN, "num": 5, "payloadS3": "s3://my-bucket/dir/my%20file.json"}),
        )
        .unwrap();
        assert_eq!(
            i.payload_s3,
            Some(S3Location {
                bucket: "my-bucket".into(),
                key: "dir/my file.json".into()
            })
        );
        assert!(problem(
            json!({"lambdaARN": ARN, "num": 5, "payloadS3": "s3://my-bucket/k", "payload": {}})
        )
        .contains("not both"));
    }

    #[test]
    fn weighted_payloads_must_fit_num() {
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "payload": [
            {"payload": 1, "weight": 10}, {"payload": 2, "weight": 60}, {"payload": 3, "weight": 30}]}));
        assert!(m.contains("gets no invocation"), "{m}");
        let six: Vec<Value> = (0..6).map(|i| json!({"payload": i, "weight": 1})).collect();
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "payload": six}));
        assert!(m.contains("raise \"num\" to at least 6"), "{m}");
    }

    #[test]
    fn payloads_are_kept_as_given() {
        let i = parse(json!({"lambdaARN": ARN, "num": 5, "payload": {"a": 1}})).unwrap();
        assert_eq!(i.payload, Some(Payload::Static(json!({"a": 1}))));
        let i = parse(json!({"lambdaARN": ARN, "num": 5, "payload": null})).unwrap();
        assert_eq!(i.payload, Some(Payload::Static(Value::Null)));
    }

    #[test]
    fn unknown_fields_are_named_with_the_closest_known_one() {
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "stratgy": "speed"}));
        assert!(
            m.contains("\"stratgy\"") && m.contains("did you mean \"strategy\""),
            "{m}"
        );
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "parallelinvocations": true}));
        assert!(m.contains("did you mean \"parallelInvocation\""), "{m}");
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "zzz": 1}));
        assert!(m.contains("the known fields are"), "{m}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err =
            parse(json!({"lambdaARN": "", "num": 2, "strategy": "x", "discardTopBottom": 0.9}))
                .unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["lambdaARN", "num", "strategy", "discardTopBottom"]
        );
    }

    #[test]
    fn options_that_need_another_option_say_so() {
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "maxConcurrency": 2}))
                .contains("parallelInvocation")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "autoOptimizeAlias": "live"}))
                .contains("autoOptimize")
        );
        assert!(problem(
            json!({"lambdaARN": ARN, "num": 5, "autoOptimize": true, "autoOptimizeAlias": "12"})
        )
        .contains("alias name"));
        let i = parse(
            json!({"lambdaARN": ARN, "num": 5, "parallelInvocation": true, "maxConcurrency": 2,
            "autoOptimize": true, "autoOptimizeAlias": "live"}),
        )
        .unwrap();
        assert_eq!(
            (i.max_concurrency, i.auto_optimize_alias.as_deref()),
            (Some(2), Some("live"))
        );
    }

    #[test]
    fn adaptive_sampling_takes_num_as_its_cap_and_min_num_as_its_first_round() {
        let i = parse(json!({"lambdaARN": ARN, "num": 100, "adaptive": true})).unwrap();
        assert_eq!((i.adaptive, i.min_num, i.num), (true, 5, 100));
        let i = parse(json!({"lambdaARN": ARN, "num": 100, "adaptive": true, "minNum": 10, "monthlyInvocations": 3000000})).unwrap();
        assert_eq!((i.min_num, i.monthly_invocations), (10, Some(3_000_000)));
        // It reads back from the steps' documents.
        let back: ExecutionInput =
            serde_json::from_value(serde_json::to_value(&i).unwrap()).unwrap();
        assert_eq!(back, i);
        assert!(
            !parse(json!({"lambdaARN": ARN, "num": 10}))
                .unwrap()
                .adaptive
        );

        for (input, expected) in [
            (json!({"lambdaARN": ARN, "num": 10, "monthlyInvocations": 0}), "\"monthlyInvocations\" is 0: must be at least 1"),
            (json!({"lambdaARN": ARN, "num": 10, "minNum": 5}), "\"minNum\" is 5: is the first round of adaptive sampling, so it needs \"adaptive\": true"),
            (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "minNum": 11}), "\"minNum\" is 11: must be from 5 to \"num\" (10)"),
            (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "minNum": 4}), "\"minNum\" is 4: must be from 5"),
            (json!({"lambdaARN": ARN, "num": 10, "adaptive": "yes"}), "\"adaptive\" is \"yes\": must be true or false"),
            (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "dryRun": true}), "\"adaptive\" is true: cannot be combined with \"dryRun\""),
            (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "statisticalTies": false}), "\"adaptive\" is true: needs statistical ties"),
        ] {
            let p = problem(input.clone());
            assert!(p.contains(expected), "{input}: {p}");
        }
    }

    #[test]
    fn booleans_and_lists_are_typed() {
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "parallelInvocation": "true"}))
                .contains("true or false")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "allowedExceptions": "E"}))
                .contains("list of error types")
        );
        assert!(
            problem(json!({"lambdaARN": ARN, "num": 5, "preProcessorARN": "arn:aws:sqs:x"}))
                .contains("preProcessorARN")
        );
        assert!(problem(json!(["not", "an", "object"])).contains("JSON object"));
    }

    #[test]
    fn the_canonical_document_parses_back_to_the_same_input() {
        let i = parse(json!({"lambdaARN": ARN, "num": 7, "powerValues": [1024, 128], "strategy": "balanced",
            "payload": [{"payload": {"x": 1}, "weight": 2}, {"payload": "y", "weight": 1}],
            "parallelInvocation": true, "maxConcurrency": 3, "preProcessorARN": "pre:live",
            "allowedExceptions": ["E1"], "onlyColdStarts": true, "autoOptimize": true, "autoOptimizeAlias": "best"})).unwrap();
        assert_eq!(parse(i.to_json()).unwrap(), i);
    }

    proptest! {
        #[test]
        fn parsing_never_panics(
            arn in "[a-z0-9:$_-]{0,80}",
            num in proptest::option::of(-10i64..100),
            powers in proptest::collection::vec(-100i64..20000, 0..8),
            extra in proptest::option::of("[a-zA-Z]{1,20}"),
        ) {
            let mut o = json!({"lambdaARN": arn, "powerValues": powers});
            if let Some(n) = num { o["num"] = json!(n); }
            if let Some(k) = extra { o[k] = json!(1); }
            if let Ok(i) = parse(o) {
                prop_assert!(!i.power_values.is_empty());
                prop_assert!(i.power_values.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(i.num >= MIN_NUM);
            }
        }

        #[test]
        fn function_refs_never_panic(s in ".{0,100}") {
            let _ = FunctionRef::parse(&s);
            let _ = S3Location::parse(&s);
        }
    }
}
