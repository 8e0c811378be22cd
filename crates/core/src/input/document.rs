//! The canonical JSON form of an execution input: the reference's field names with every default
//! filled in, which parses back to the same input. The steps pass the input to each other in this
//! form (with the tool's region beside it when the ARN has none).

use super::{ColdStartRate, Defaults, ExecutionInput, InputError, TrafficSource};
use serde_json::{Map, Value};

impl ExecutionInput {
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
        match &self.cold_start_rate {
            None => {}
            Some(ColdStartRate::Given(r)) => {
                o.insert("coldStartRate".into(), Value::from(*r));
            }
            Some(ColdStartRate::Auto) => {
                o.insert("coldStartRate".into(), Value::from("auto"));
            }
            Some(ColdStartRate::Measured(m)) => {
                o.insert(
                    "coldStartRate".into(),
                    serde_json::to_value(m).unwrap_or(Value::Null),
                );
            }
        }
        if let Some(b) = &self.max_duration {
            o.insert(
                "maxDuration".into(),
                serde_json::json!({"statistic": b.statistic.as_str(), "ms": b.ms}),
            );
        }
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
        if self.cold_samples > 1 {
            o.insert("coldSamples".into(), Value::from(self.cold_samples));
        }
        o.insert("statisticalTies".into(), Value::from(self.statistical_ties));
        if self.adaptive {
            o.insert("adaptive".into(), Value::from(true));
            o.insert("minNum".into(), Value::from(self.min_num));
        }
        if let Some(TrafficSource::Auto) = &self.monthly_invocations_source {
            o.insert("monthlyInvocations".into(), Value::from("auto"));
        } else if let Some(TrafficSource::Measured(m)) = &self.monthly_invocations_source {
            o.insert(
                "monthlyInvocations".into(),
                serde_json::to_value(m).unwrap_or(Value::Null),
            );
        } else if let Some(n) = self.monthly_invocations {
            o.insert("monthlyInvocations".into(), Value::from(n));
        }
        o.insert(
            "allowedExceptions".into(),
            Value::from(self.allowed_exceptions.clone()),
        );
        o.insert(
            "powerValueFailures".into(),
            Value::from(self.power_value_failures.as_str()),
        );
        if let Some(m) = self.max_concurrency {
            o.insert("maxConcurrency".into(), Value::from(m));
        }
        if let Some(m) = &self.managed_instances {
            super::managed::to_json(m, &mut o);
        }
        Value::Object(o)
    }
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
    pub(crate) fn from_document(
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
