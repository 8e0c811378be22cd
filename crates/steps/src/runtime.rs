//! What the step binaries share: JSON logs, AWS clients, and the adapters from a Lambda event
//! to each step's handler.

use crate::analyzer::{self, AnalyzerEnv};
use crate::error::StepError;
use crate::events::{
    AnalyzerEvent, CleanupReport, ExecutorEvent, ExecutorOutput, Optimization, OptimizerEvent, Plan,
};
use crate::lambda::LambdaApi;
use crate::{cleaner, executor, initializer, optimizer, publisher};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use lambda_runtime::LambdaEvent;
use powertune_core::input::Defaults;
use powertune_core::output::TuningResult;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// `tracing` events as JSON lines, which CloudWatch Logs Insights can query by field.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_target(false)
        .try_init();
}

/// The AWS clients a step binary builds once, at start-up.
#[derive(Clone)]
pub struct Clients {
    sdk: SdkConfig,
    lambda: LambdaApi,
}

impl Clients {
    /// Credentials, region and endpoints from the environment (`AWS_ENDPOINT_URL_*` included).
    pub async fn from_env() -> Clients {
        let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
        let lambda = LambdaApi::new(aws_sdk_lambda::Client::new(&sdk));
        Clients { sdk, lambda }
    }

    /// A Lambda client for `region` (the tuned function's, which may differ from the tool's).
    pub fn lambda(&self, region: Option<&str>) -> LambdaApi {
        match region {
            Some(r) if Some(r) != self.sdk.region().map(Region::as_ref) => {
                let conf = aws_sdk_lambda::config::Builder::from(&self.sdk)
                    .region(Region::new(r.to_string()))
                    .build();
                LambdaApi::new(aws_sdk_lambda::Client::from_conf(conf))
            }
            _ => self.lambda.clone(),
        }
    }

    /// An S3 client; path-style addressing when an endpoint override points at a local S3.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let local = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(local)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

/// Time left in this invocation.
pub fn remaining(deadline: SystemTime) -> Duration {
    deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
}

fn parse<T: DeserializeOwned>(step: &str, value: Value) -> Result<T, StepError> {
    serde_json::from_value(value).map_err(|e| {
        StepError::InvalidInput(format!("The {step} received an event it cannot read: {e}"))
    })
}

pub async fn initializer(
    clients: &Clients,
    defaults: &Defaults,
    event: LambdaEvent<Value>,
) -> Result<Plan, StepError> {
    let region = event
        .payload
        .get("lambdaARN")
        .and_then(Value::as_str)
        .and_then(|a| powertune_core::input::FunctionRef::parse(a).ok())
        .and_then(|f| f.region);
    initializer::initialize(
        &clients.lambda(region.as_deref()),
        &event.payload,
        defaults,
        &event.context.request_id,
    )
    .await
}

pub async fn publisher(clients: &Clients, event: LambdaEvent<Value>) -> Result<Plan, StepError> {
    let plan: Plan = parse("Publisher", event.payload)?;
    let budget = remaining(event.context.deadline());
    publisher::publish(&clients.lambda(Some(&plan.function.region)), plan, budget).await
}

pub async fn executor(
    clients: &Clients,
    event: LambdaEvent<Value>,
) -> Result<ExecutorOutput, StepError> {
    let event: ExecutorEvent = parse("Executor", event.payload)?;
    let s3 = clients.s3();
    executor::execute(
        &clients.lambda(Some(&event.function.region)),
        Some(&s3),
        event,
    )
    .await
}

pub async fn cleaner(
    clients: &Clients,
    event: LambdaEvent<Value>,
) -> Result<CleanupReport, StepError> {
    let plan: Plan = parse("Cleaner", event.payload)?;
    cleaner::clean(&clients.lambda(Some(&plan.function.region)), &plan).await
}

pub async fn analyzer(
    env: &AnalyzerEnv,
    event: LambdaEvent<Value>,
) -> Result<TuningResult, StepError> {
    let event: AnalyzerEvent = parse("Analyzer", event.payload)?;
    analyzer::analyze(&event, env)
}

pub async fn optimizer(
    clients: &Clients,
    event: LambdaEvent<Value>,
) -> Result<Optimization, StepError> {
    let event: OptimizerEvent = parse("Optimizer", event.payload)?;
    optimizer::optimize(&clients.lambda(Some(&event.function.region)), &event).await
}
