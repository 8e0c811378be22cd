//! What the step binaries share: JSON logs, AWS clients, and the adapters from a Lambda event
//! to each step's handler.

use crate::analyzer;
use crate::error::StepError;
use crate::events::{
    AnalyzerEvent, CleanerEvent, CleanupReport, ExecutorEvent, ExecutorOutput, Optimization,
    OptimizerEvent, Plan,
};
use crate::executor::Lambdas;
use crate::insights::LogsApi;
use crate::lambda::LambdaApi;
use crate::sampler::SamplerEvent;
use crate::{cleaner, executor, initializer, optimizer, publisher, sampler};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use aws_sdk_lambda::config::SharedHttpClient;
use lambda_runtime::LambdaEvent;
use powertune_core::analysis::AnalysisEnv;
use powertune_core::input::{Defaults, ExecutionInput};
use powertune_core::output::TuningResult;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime};

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

/// TCP keepalive on every connection the steps open. A synchronous Invoke can be silent for up
/// to 15 minutes, and a NAT gateway drops a TCP flow idle for 350 s ("How can I prevent my
/// Lambda function connected to an Amazon VPC from timing out?", AWS Knowledge Center), which
/// would leave the Executor waiting forever. The SDK's default connector sets no keepalive.
pub(crate) const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// Attempts per control-plane call. Lambda's control plane allows about 15 requests per second
/// and answers 429 past that; the reference retries 20 times. Backoff is exponential with full
/// jitter from 250 ms, capped at 20 s. (The SDK's adaptive mode, which also rate-limits the
/// client, stalled a run with half its calls throttled for over 240 s in the end-to-end suite.)
pub(crate) const CONTROL_PLANE_ATTEMPTS: u32 = 20;

/// Attempts per CloudWatch Logs call (`coldStartRate: "auto"`). Logs Insights allows 30
/// concurrent queries per account and answers `LimitExceededException` past them, which the
/// SDK classifies as throttling: retried with the same backoff as the control plane, within
/// the step's deadline.
pub(crate) const LOGS_ATTEMPTS: u32 = 10;

/// The steps' HTTP client: the SDK's pooled hyper client with rustls, plus TCP keepalive.
pub fn http_client() -> Option<SharedHttpClient> {
    use aws_smithy_http_client::{pool, proxy::ProxyConfig, tls};
    let pool = pool::Builder::default()
        .tcp_keepalive(TCP_KEEPALIVE)
        .proxy_config(ProxyConfig::from_env())
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
        .map_err(
            |e| tracing::warn!(error = %e, "no keepalive HTTP client; using the SDK's default"),
        )
        .ok()?;
    let client = pool::Client::new(&pool)
        .map_err(
            |e| tracing::warn!(error = %e, "no keepalive HTTP client; using the SDK's default"),
        )
        .ok()?;
    Some(SharedHttpClient::new(client))
}

/// The Lambda clients of one region: the control plane with many retries, Invoke with
/// the SDK's standard ones (the Executor retries throttled invocations itself).
pub fn lambda_api(sdk: &SdkConfig, region: Option<&str>) -> LambdaApi {
    let mut control = aws_sdk_lambda::config::Builder::from(sdk)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(CONTROL_PLANE_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(250)),
        )
        // Its own retry partition with no retry quota: a throttled run needs many retries, and
        // the SDK's default quota would stop them after about a hundred.
        .retry_partition(
            RetryPartition::custom("powertune-lambda-control-plane")
                .token_bucket(TokenBucket::unlimited())
                .build(),
        );
    let mut invoke =
        aws_sdk_lambda::config::Builder::from(sdk).retry_config(RetryConfig::standard());
    if let Some(r) = region {
        control = control.region(Region::new(r.to_string()));
        invoke = invoke.region(Region::new(r.to_string()));
    }
    LambdaApi::with_clients(
        aws_sdk_lambda::Client::from_conf(control.build()),
        aws_sdk_lambda::Client::from_conf(invoke.build()),
    )
}

/// The AWS clients a step binary builds once, at start-up.
#[derive(Clone)]
pub struct Clients {
    sdk: SdkConfig,
    lambda: LambdaApi,
}

impl Clients {
    /// Credentials, region and endpoints from the environment (`AWS_ENDPOINT_URL_*` included),
    /// over [`http_client`].
    pub async fn from_env() -> Clients {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(http) = http_client() {
            loader = loader.http_client(http);
        }
        Clients::from_sdk(loader.load().await)
    }

    /// The clients of an SDK configuration.
    pub fn from_sdk(sdk: SdkConfig) -> Clients {
        let lambda = lambda_api(&sdk, None);
        Clients { sdk, lambda }
    }

    /// The Lambda clients for `region` (the tuned function's or a processor's, which may differ
    /// from the tool's).
    pub fn lambda(&self, region: Option<&str>) -> LambdaApi {
        match region {
            Some(r) if Some(r) != self.sdk.region().map(Region::as_ref) => {
                lambda_api(&self.sdk, Some(r))
            }
            _ => self.lambda.clone(),
        }
    }

    /// [`Clients::lambda`] whose waits end before `deadline` (the step's own).
    pub(crate) fn lambda_until(&self, region: Option<&str>, deadline: Instant) -> LambdaApi {
        self.lambda(region).with_deadline(deadline)
    }

    /// The clients an Executor needs: the function's region, and each processor's own. The
    /// function's knows the step's `deadline`: an invocation still running near it is given up.
    pub(crate) fn executor_lambdas(
        &self,
        event: &ExecutorEvent,
        deadline: Option<Instant>,
    ) -> Result<Lambdas, StepError> {
        let input = &event.input;
        let function = self.lambda(Some(&event.function.region));
        // A processor without a region in its ARN, or in the function's, shares its clients.
        let processor = |p: &Option<powertune_core::input::FunctionRef>| match p
            .as_ref()
            .and_then(|f| f.region.as_deref())
        {
            Some(region) if region != event.function.region => self.lambda(Some(region)),
            _ => function.clone(),
        };
        Ok(Lambdas {
            pre_processor: processor(&input.pre_processor),
            post_processor: processor(&input.post_processor),
            function: match deadline {
                Some(d) => function.with_deadline(d),
                None => function,
            },
        })
    }

    /// A Price List Query API client, in the region that serves it
    /// ([`crate::ec2_prices::PRICE_LIST_REGION`]), with the SDK's standard retries.
    pub fn pricing(&self) -> crate::ec2_prices::PricingApi {
        let conf = aws_sdk_pricing::config::Builder::from(&self.sdk)
            .region(aws_sdk_pricing::config::Region::new(
                crate::ec2_prices::PRICE_LIST_REGION,
            ))
            // A Price List that does not answer costs the run its regional prices, not its
            // Initializer: each call gives up after 10 s (and the bundled table is used).
            .timeout_config(
                aws_sdk_pricing::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(10))
                    .build(),
            )
            .build();
        crate::ec2_prices::PricingApi::new(aws_sdk_pricing::Client::from_conf(conf))
    }

    /// A CloudWatch Logs client for `region` (the tuned function's, where its logs are).
    pub fn logs(&self, region: Option<&str>) -> LogsApi {
        let mut conf = aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk).retry_config(
            aws_sdk_cloudwatchlogs::config::retry::RetryConfig::standard()
                .with_max_attempts(LOGS_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(250))
                .with_max_backoff(Duration::from_secs(20)),
        );
        if let Some(r) = region {
            conf = conf.region(Region::new(r.to_string()));
        }
        LogsApi::new(aws_sdk_cloudwatchlogs::Client::from_conf(conf.build()))
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

/// The Lambda context's deadline as an `Instant`, for bounding waits.
fn deadline_of<T>(event: &LambdaEvent<T>) -> Instant {
    Instant::now() + remaining(event.context.deadline())
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

/// The Initializer's adapter: parses the execution input (the one place it is parsed) and plans the run.
pub async fn initializer(
    clients: &Clients,
    defaults: &Defaults,
    event: LambdaEvent<Value>,
) -> Result<Plan, StepError> {
    // The edge: the one place the execution input is parsed.
    let input = ExecutionInput::from_json(&event.payload, defaults)?;
    let region = input.lambda.region.as_deref();
    let mut plan = initializer::initialize(
        &clients.lambda_until(region, deadline_of(&event)),
        Some(&clients.logs(region)),
        &input,
        &event.context.request_id,
        true,
    )
    .await?;
    // An LMI run on AWS prices its instances at the function's region's EC2 prices, unless the
    // input gives a price.
    if plan
        .input
        .managed_instances
        .as_ref()
        .is_some_and(|m| m.vcpu_hour_price.is_none())
    {
        let today = aws_sdk_pricing::primitives::DateTime::from(SystemTime::now())
            .fmt(aws_sdk_pricing::primitives::DateTimeFormat::DateTime)
            .map(|d| d.chars().take(10).collect::<String>())
            .unwrap_or_default();
        let prices = clients
            .pricing()
            .instance_prices(&plan.function.region, plan.function.architecture, &today)
            .await;
        tracing::info!(read = prices.hourly.len(), missing = prices.missing.len(), region = %prices.region, "EC2 prices from the Price List API");
        plan.function.instance_prices = Some(prices);
    }
    Ok(plan)
}

/// The Publisher's adapter.
pub async fn publisher(clients: &Clients, event: LambdaEvent<Value>) -> Result<Plan, StepError> {
    let (deadline, budget) = (deadline_of(&event), remaining(event.context.deadline()));
    let plan: Plan = parse("Publisher", event.payload)?;
    let lambda = clients.lambda_until(Some(&plan.function.region), deadline);
    publisher::publish(&lambda, plan, budget).await
}

/// The Executor's adapter.
pub async fn executor(
    clients: &Clients,
    event: LambdaEvent<Value>,
) -> Result<ExecutorOutput, StepError> {
    let deadline = deadline_of(&event);
    let event: ExecutorEvent = parse("Executor", event.payload)?;
    let s3 = clients.s3();
    executor::execute(
        &clients.executor_lambdas(&event, Some(deadline))?,
        Some(&s3),
        event,
    )
    .await
}

/// The Sampler's adapter.
pub async fn sampler(event: LambdaEvent<Value>) -> Result<Plan, StepError> {
    let event: SamplerEvent = parse("Sampler", event.payload)?;
    sampler::sample(event)
}

/// The Cleaner's adapter.
pub async fn cleaner(
    clients: &Clients,
    event: LambdaEvent<Value>,
) -> Result<CleanupReport, StepError> {
    let deadline = deadline_of(&event);
    let event: CleanerEvent = parse("Cleaner", event.payload)?;
    cleaner::clean(
        &clients.lambda_until(Some(&event.plan.function.region), deadline),
        &event.plan,
        event.cleanup.as_ref(),
    )
    .await
}

/// Whether a state's execution input asks for Lambda Managed Instances.
fn is_managed(state: &Value) -> bool {
    state.pointer("/input/managedInstances") == Some(&Value::Bool(true))
}

/// The Analyzer's adapter: the tuning result, or an LMI run's document
/// (`managed::analyze_run`).
pub async fn analyzer(env: &AnalysisEnv, event: LambdaEvent<Value>) -> Result<Value, StepError> {
    if is_managed(&event.payload) {
        let event: crate::managed::AnalyzerEvent = parse("Analyzer", event.payload)?;
        return crate::managed::analyze_run(&event);
    }
    let event: AnalyzerEvent = parse("Analyzer", event.payload)?;
    let result: TuningResult = analyzer::analyze(&event, env)?;
    serde_json::to_value(result).map_err(|e| StepError::AnalysisFailed(e.to_string()))
}

/// The Optimizer's adapter.
pub async fn optimizer(
    clients: &Clients,
    event: LambdaEvent<Value>,
) -> Result<Optimization, StepError> {
    if is_managed(&event.payload) {
        // An LMI run recommends a configuration to deploy; it changes nothing (the Initializer
        // refuses autoOptimize with managedInstances).
        return Ok(Optimization {
            applied: false,
            power: None,
            alias: None,
            version: None,
        });
    }
    let deadline = deadline_of(&event);
    let event: OptimizerEvent = parse("Optimizer", event.payload)?;
    let lambda = clients.lambda_until(Some(&event.function.region), deadline);
    optimizer::optimize(&lambda, &event).await
}

#[cfg(test)]
mod tests {
    //! The clients' settings, read from inside the crate (they are not part of its API).
    use super::*;
    use crate::events::FunctionSnapshot;
    use aws_sdk_lambda::config::Credentials;
    use serde_json::json;

    fn sdk(endpoint: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_lambda::config::SharedCredentialsProvider::new(
                Credentials::new("test", "test", None, None, "test"),
            ))
            .build()
    }

    #[test]
    fn the_control_plane_retries_twenty_times_and_invoke_three_times() {
        let clients = Clients::from_sdk(sdk("http://127.0.0.1:9"));
        let lambda = clients.lambda(None);
        let control = lambda.client.config().retry_config().cloned().unwrap();
        assert_eq!(control.max_attempts(), CONTROL_PLANE_ATTEMPTS);
        assert_eq!(control.max_attempts(), 20);
        assert_eq!(
            control.initial_backoff(),
            std::time::Duration::from_millis(250)
        );
        let invoke = lambda
            .invoke_client
            .config()
            .retry_config()
            .cloned()
            .unwrap();
        assert_eq!(invoke.max_attempts(), 3);
    }

    #[test]
    fn processors_are_invoked_in_their_own_region() {
        let clients = Clients::from_sdk(sdk("http://127.0.0.1:9"));
        let event = ExecutorEvent {
            input: serde_json::from_value(json!({
                "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f", "num": 5, "powerValues": [128],
                "preProcessorARN": "arn:aws:lambda:eu-west-1:123456789012:function:pre",
                "postProcessorARN": "post"
            }))
            .expect("a valid input"),
            function: FunctionSnapshot {
                memory_size: 128,
                ..FunctionSnapshot::for_test("ap-south-1")
            },
            value: 128,
            first: 0,
            count: None,
        };
        let lambdas = clients.executor_lambdas(&event, None).unwrap();
        let region = |l: &LambdaApi| {
            l.invoke_client
                .config()
                .region()
                .map(|r| r.as_ref().to_string())
        };
        assert_eq!(region(&lambdas.function).as_deref(), Some("ap-south-1"));
        assert_eq!(region(&lambdas.pre_processor).as_deref(), Some("eu-west-1"));
        // A bare name runs where the function does.
        assert_eq!(
            region(&lambdas.post_processor).as_deref(),
            Some("ap-south-1")
        );
    }
}
