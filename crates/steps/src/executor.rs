//! Executor: invokes one power value for one round (`num` times in a plain run) and turns the
//! REPORTs into statistics.

use crate::error::{truncated, StepError};
use crate::events::{alias_name, cold_alias_name, ExecutorEvent, ExecutorOutput};
use crate::lambda::{Invocation, LambdaApi};
use aws_sdk_s3::error::SdkError;
use powertune_core::failure::{Failures, PowerValueFailures};
use powertune_core::input::ExecutionInput;
use powertune_core::input::{FunctionRef, S3Location};
use powertune_core::payload::{Payload, PayloadPlan};
use powertune_core::power::{Keep, PowerStats};
use powertune_core::pricing::{lambda_price, LambdaPrice};
use powertune_core::report_line::{parse_report, Report};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Throttled invokes are retried this many times, with exponential backoff from
/// `Waits::throttle_backoff` and full jitter.
const THROTTLE_RETRIES: u32 = 8;
const THROTTLE_CAP: Duration = Duration::from_secs(20);

/// Called with the number of invocations finished so far, after each one.
pub type Progress = Arc<dyn Fn(u32) + Send + Sync>;

/// The Lambda clients an Executor uses: the tuned function's, and each processor's, which is in
/// the processor ARN's own region (it may differ from the function's).
#[derive(Debug, Clone)]
pub struct Lambdas {
    /// For the tuned function.
    pub function: LambdaApi,
    /// For the pre-processor.
    pub pre_processor: LambdaApi,
    /// For the post-processor.
    pub post_processor: LambdaApi,
}

impl Lambdas {
    /// One client for the function and both processors (one region).
    pub fn same(lambda: &LambdaApi) -> Lambdas {
        Lambdas {
            function: lambda.clone(),
            pre_processor: lambda.clone(),
            post_processor: lambda.clone(),
        }
    }
}

/// Invokes one power value for its round (`num` times in a plain run, once in a dry run) and
/// computes its statistics.
pub async fn execute(
    lambdas: &Lambdas,
    s3: Option<&aws_sdk_s3::Client>,
    event: ExecutorEvent,
) -> Result<ExecutorOutput, StepError> {
    execute_with_progress(lambdas, s3, event, None).await
}

/// `execute`, reporting each finished invocation to `progress`.
#[tracing::instrument(skip_all, fields(step = "executor", function = %event.function.arn, power = event.value))]
pub async fn execute_with_progress(
    lambdas: &Lambdas,
    s3: Option<&aws_sdk_s3::Client>,
    event: ExecutorEvent,
    progress: Option<Progress>,
) -> Result<ExecutorOutput, StepError> {
    let input = &event.input;
    if input.managed_instances.is_some() {
        // Lambda Managed Instances: the item is a configuration, driven under sustained load;
        // its requests take the payloads in their weighted order, in turn.
        let payloads: Vec<Arc<str>> = payloads_of(input, s3, MANAGED_PAYLOAD_CYCLE)
            .await?
            .map(|p| p.interleaved().iter().map(Arc::from).collect())
            .unwrap_or_default();
        return crate::managed::execute(&lambdas.function, &payloads, &event).await;
    }
    let value = event.value;
    let (num, first, count) = invocation_range(&event)?;
    let plan = payloads_of(input, s3, num).await?;
    let job = Arc::new(Job {
        lambdas: lambdas.clone(),
        function: event.function.arn.clone(),
        value,
        num,
        disable_payload_logs: input.disable_payload_logs,
        allowed_exceptions: input.allowed_exceptions.clone(),
        power_value_failures: input.power_value_failures,
        pre: input.pre_processor.clone(),
        post: input.post_processor.clone(),
        progress,
        finished: AtomicU32::new(0),
        failed: AtomicBool::new(false),
        timeout_s: event.function.timeout_s,
    });
    let indices = first..first + count;
    let aliases: Vec<String> = indices
        .clone()
        .map(|i| alias_name(value, input.only_cold_starts, i))
        .collect();
    // References to the plan's shared buffers, not copies: one Executor may send a 230 KB
    // payload hundreds of times.
    let payloads: Vec<Option<Arc<str>>> = indices
        .clone()
        .map(|i| plan.as_ref().and_then(|p| p.get(i as usize)).cloned())
        .collect();

    let outcomes = invoke_all(&job, input, indices, aliases, payloads).await?;
    // `coldSamples`: in the first round, each further cold start is a version of its own,
    // invoked once with the first invocation's payload.
    let mut cold = Vec::new();
    if first == 0 && !input.dry_run {
        let payload = plan.as_ref().and_then(|p| p.get(0)).cloned();
        for i in 1..input.cold_samples {
            if job.failed.load(Ordering::Relaxed) {
                break;
            }
            cold.extend(
                job.run(0, cold_alias_name(value, i), payload.clone())
                    .await?,
            );
        }
    }
    Ok(summarize(&event, outcomes, cold))
}

/// The payloads an LMI configuration's requests cycle through: a weighted mix to the percent.
const MANAGED_PAYLOAD_CYCLE: u32 = 100;

/// `num` (1 in a dry run), and the invocations this Executor makes: `count` from `first`.
fn invocation_range(event: &ExecutorEvent) -> Result<(u32, u32, u32), StepError> {
    let input = &event.input;
    let value = event.value;
    let num = if input.dry_run { 1 } else { input.num };
    let first = event.first;
    let count = event.count.unwrap_or(num);
    if first.checked_add(count).is_none_or(|end| end > num) || count == 0 {
        return Err(StepError::InvalidInput(format!(
            "The Executor was asked for invocations {} to {} of {value} MB, but a power value gets {num} at the most.",
            u64::from(first) + 1,
            u64::from(first) + u64::from(count)
        )));
    }
    Ok((num, first, count))
}

/// The payload plan, read from S3 when the input names an object there.
async fn payloads_of(
    input: &ExecutionInput,
    s3: Option<&aws_sdk_s3::Client>,
    num: u32,
) -> Result<Option<PayloadPlan>, StepError> {
    let payload = match &input.payload_s3 {
        Some(location) => {
            let s3 = s3.ok_or_else(|| {
                StepError::PayloadUnreadable(format!(
                    "{location} cannot be read: no S3 client is configured."
                ))
            })?;
            Some(fetch_payload(s3, location).await?)
        }
        None => input.payload.clone(),
    };
    // An adaptive run may stop a power value after any round, so every round's payloads carry
    // the weighted mix.
    let plan = payload_plan(payload.as_ref(), num)?;
    Ok(plan.map(|p| if input.adaptive { p.interleaved() } else { p }))
}

/// The most request bodies a parallel round holds at once, bytes. Every in-flight Invoke owns a
/// copy of its payload (the SDK's request body), so a 220 KB payload 700 times at once would
/// hold 154 MB in a 128 MB Executor; a quarter of its memory is left for them.
pub(crate) const IN_FLIGHT_PAYLOAD_BYTES: usize = 32 * 1024 * 1024;

/// How many invocations of a parallel round run at once: `maxConcurrency` (all of them when
/// unset), and no more than [`IN_FLIGHT_PAYLOAD_BYTES`] of payload copies allow.
pub(crate) fn parallel_limit(
    max_concurrency: Option<u32>,
    count: u32,
    largest_payload: usize,
) -> usize {
    let asked = max_concurrency.unwrap_or(count).max(1) as usize;
    let by_memory = IN_FLIGHT_PAYLOAD_BYTES / largest_payload.max(1);
    asked.min(by_memory.max(1))
}

/// Runs the invocations, in parallel up to `maxConcurrency` or one after another with the
/// input's sleep between them. An error that fails the run stops the rest; one that fails only
/// the power value lets those already started finish and starts no more.
async fn invoke_all(
    job: &Arc<Job>,
    input: &ExecutionInput,
    indices: std::ops::Range<u32>,
    aliases: Vec<String>,
    payloads: Vec<Option<Arc<str>>>,
) -> Result<Vec<InvocationEnd>, StepError> {
    let value = job.value;
    let count = indices.len() as u32;
    let mut outcomes: Vec<InvocationEnd> = Vec::with_capacity(count as usize);
    if input.parallel_invocation {
        let largest = payloads
            .iter()
            .map(|p| p.as_ref().map_or(0, |p| p.len()))
            .max()
            .unwrap_or(0);
        let limit = parallel_limit(input.max_concurrency, count, largest);
        let permits = Arc::new(Semaphore::new(limit));
        let mut tasks = JoinSet::new();
        for (i, (alias, payload)) in indices.zip(aliases.into_iter().zip(payloads)) {
            let job = job.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                job.run(i, alias, payload).await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let outcome = joined.map_err(|e| {
                StepError::InvocationError(format!(
                    "An invocation task of {value} MB panicked: {e}"
                ))
            })?;
            match outcome {
                Ok(o) => outcomes.extend(o),
                Err(e) => {
                    tasks.abort_all();
                    return Err(e);
                }
            }
        }
    } else {
        for (i, (alias, payload)) in indices.zip(aliases.into_iter().zip(payloads)) {
            if i > 0 && input.sleep_between_runs_ms > 0 {
                tokio::time::sleep(Duration::from_millis(input.sleep_between_runs_ms)).await;
            }
            match job.run(i, alias, payload).await? {
                Some(o) => outcomes.push(o),
                // The power value failed: the rest are not made.
                None => break,
            }
        }
    }
    Ok(outcomes)
}

/// The power value's statistics from its invocations' REPORTs (nothing to measure in a dry run).
/// `cold` holds `coldSamples`' extra cold starts, which join the cold figures only.
fn summarize(
    event: &ExecutorEvent,
    mut outcomes: Vec<InvocationEnd>,
    cold: Vec<InvocationEnd>,
) -> ExecutorOutput {
    let input = &event.input;
    let value = event.value;
    let price = lambda_price(&event.function.region, event.function.architecture)
        .with_ephemeral_storage(event.function.ephemeral_storage_mb);
    // A failed power value is reported in a dry run too: that is what a dry run is for.
    let all: Vec<&InvocationEnd> = outcomes.iter().chain(&cold).collect();
    if let Some(stats) = failed(value, &all, &price) {
        return ExecutorOutput::Stats(Box::new(stats));
    }
    if input.dry_run {
        return ExecutorOutput::DryRun {
            value,
            dry_run: true,
        };
    }
    // With onlyColdStarts every sample must be a cold start. An Executor retried after a
    // failure re-invokes aliases it had already started, which are warm by then: those are
    // left out (and counted), unless nothing would be left.
    let is_cold = |o: &InvocationEnd| o.report().is_some_and(Report::is_cold_start);
    let mut warm_left_out = 0;
    if input.only_cold_starts && outcomes.iter().any(is_cold) {
        let before = outcomes.len();
        outcomes.retain(is_cold);
        warm_left_out = (before - outcomes.len()) as u32;
    }
    let mut errors = 0;
    let mut reports: Vec<Report> = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        if let InvocationEnd::Measured {
            report,
            allowed_error,
        } = outcome
        {
            errors += u32::from(allowed_error);
            reports.push(report);
        }
    }
    // One after another, the version's first invocation starts its environment, whether or not
    // its REPORT says so: after an Init that ran over its 10 s limit, Lambda initializes again
    // inside the first invocation and writes no Init Duration (the Duration holds it).
    if event.first == 0 && !input.parallel_invocation {
        if let Some(first) = reports.first_mut() {
            first.first_in_environment = true;
        }
    }
    // Rounds of an adaptive run are merged, which needs every invocation's sample.
    let keep = if input.adaptive {
        Keep::All
    } else {
        Keep::Spaced
    };
    let mut stats = PowerStats::from_reports_keeping(
        value,
        &reports,
        errors,
        &price,
        input.discard_top_bottom,
        keep,
    );
    stats.warm_starts_left_out = (warm_left_out > 0).then_some(warm_left_out);
    let cold_reports: Vec<Report> = cold
        .iter()
        .filter_map(InvocationEnd::report)
        .cloned()
        .collect();
    stats.add_cold_samples(&cold_reports, &price);
    tracing::info!(
        average_duration = stats.average_duration,
        average_price = stats.average_price,
        "power value measured"
    );
    ExecutorOutput::Stats(Box::new(stats))
}

/// The statistics of a power value that failed: the first failure to come back, how
/// many of the invocations made failed, what they were all billed, and the most memory used.
fn failed(value: u32, outcomes: &[&InvocationEnd], price: &LambdaPrice) -> Option<PowerStats> {
    let (error_type, message) = outcomes.iter().find_map(|o| match o {
        InvocationEnd::Failed {
            error_type,
            message,
            ..
        } => Some((error_type.clone(), message.clone())),
        InvocationEnd::Measured { .. } => None,
    })?;
    let failures = Failures {
        error_type,
        message,
        failed: outcomes
            .iter()
            .filter(|o| matches!(o, InvocationEnd::Failed { .. }))
            .count() as u32,
        made: outcomes.len() as u32,
    };
    let reports = || outcomes.iter().filter_map(|o| o.report());
    let billed: f64 = reports().map(Report::billed_ms).sum();
    let mut stats = PowerStats::failing(value, failures, price.duration_cost(value, billed));
    stats.max_memory_used_mb = reports().filter_map(|r| r.max_memory_used_mb).max();
    tracing::warn!(
        error = stats.error.as_deref().unwrap_or(""),
        "power value failed"
    );
    Some(stats)
}

/// The payload of every invocation; `None` when the input has no payload. In a dry run a
/// weighted payload sends its first item.
fn payload_plan(payload: Option<&Payload>, num: u32) -> Result<Option<PayloadPlan>, StepError> {
    let Some(payload) = payload else {
        return Ok(None);
    };
    match payload.plan(num) {
        Ok(plan) => Ok(Some(plan)),
        Err(_) if num == 1 => match payload {
            Payload::Weighted(items) => Ok(items.first().map(|first| PayloadPlan {
                runs: vec![(powertune_core::payload::encode(&first.payload).into(), 1)],
            })),
            Payload::Static(_) => Ok(None),
        },
        Err(e) => Err(StepError::InvalidInput(format!("\"payload\": {e}"))),
    }
}

/// Reads `payloadS3`: JSON documents are parsed (and may be weighted payloads), anything else is
/// sent as a string.
pub(crate) async fn fetch_payload(
    s3: &aws_sdk_s3::Client,
    location: &S3Location,
) -> Result<Payload, StepError> {
    let response = s3
        .get_object()
        .bucket(&location.bucket)
        .key(&location.key)
        .send()
        .await;
    let body = match response {
        Ok(out) => out
            .body
            .collect()
            .await
            .map_err(|e| StepError::Service {
                // A connection lost mid-body is transient: the state machine retries it.
                error_type: "S3.SdkError".into(),
                message: format!("Reading {location} failed midway: {e}"),
                source: Some(Box::new(e)),
            })?
            .into_bytes(),
        Err(e) => return Err(payload_error(location, e)),
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let value = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    Payload::from_value(value)
        .map_err(|e| StepError::InvalidInput(format!("The payload in {location}: {e}")))
}

/// Why `payloadS3` could not be read. Forbidden (the bucket's or key's permissions, or a KMS
/// key the Executor may not use) and missing objects say what to change; S3's transient errors
/// (5xx, `SlowDown`, a connection that failed) keep their `S3.<Code>` name, which the state
/// machine retries; anything else cannot be read.
fn payload_error(
    location: &S3Location,
    err: SdkError<
        aws_sdk_s3::operation::get_object::GetObjectError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
) -> StepError {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let (status, code, message) = match &err {
        SdkError::ServiceError(se) => (
            Some(se.raw().status().as_u16()),
            se.err().code().unwrap_or_default().to_string(),
            se.err().message().unwrap_or_default().to_string(),
        ),
        _ => (None, String::new(), String::new()),
    };
    let kms =
        code.to_ascii_lowercase().contains("kms") || message.to_ascii_lowercase().contains("kms");
    match status {
        Some(403) | Some(400) if kms => StepError::PayloadAccessDenied(format!(
            "{location} is encrypted with a KMS key the Executor may not use ({code}: {message}). Grant the Executor's role kms:Decrypt on that key, or store the payload with S3-managed encryption (SSE-S3)."
        )),
        Some(403) => StepError::PayloadAccessDenied(format!(
            "Permission denied reading {location}: the Executor may read only the S3 bucket and keys named at deploy time. Redeploy with the payloadS3Bucket (and payloadS3Key) parameters covering this object."
        )),
        Some(404) => StepError::PayloadNotFound(format!(
            "The object {location} does not exist. Check \"payloadS3\" in the execution input, and that the deploy parameter payloadS3Bucket names its bucket."
        )),
        Some(status) if status < 500 && code != "SlowDown" => StepError::PayloadUnreadable(
            StepError::aws("S3", &format!("GetObject {location}"), err).to_string(),
        ),
        _ => StepError::aws("S3", &format!("GetObject {location}"), err),
    }
}

/// What every invocation of one power value shares.
struct Job {
    lambdas: Lambdas,
    function: String,
    value: u32,
    num: u32,
    disable_payload_logs: bool,
    allowed_exceptions: Vec<String>,
    power_value_failures: PowerValueFailures,
    pre: Option<FunctionRef>,
    post: Option<FunctionRef>,
    progress: Option<Progress>,
    finished: AtomicU32,
    /// An invocation failed the power value: no more are started.
    failed: AtomicBool,
    /// The function's own timeout, seconds, when the Initializer read it.
    timeout_s: Option<u32>,
}

/// How one invocation ended.
enum InvocationEnd {
    /// It ran and its REPORT was read.
    Measured {
        report: Report,
        /// It returned an error listed in `allowedExceptions`.
        allowed_error: bool,
    },
    /// It failed with an error `powerValueFailures` counts against the power value.
    Failed {
        error_type: String,
        message: String,
        /// Its REPORT, when the log tail had one: a failed invocation is billed too.
        report: Option<Report>,
    },
}

impl InvocationEnd {
    fn report(&self) -> Option<&Report> {
        match self {
            InvocationEnd::Measured { report, .. } => Some(report),
            InvocationEnd::Failed { report, .. } => report.as_ref(),
        }
    }
}

/// What an invocation leaves the Executor for the rest: its statistics and answer.
const STOP_MARGIN: Duration = Duration::from_secs(3);

impl Job {
    /// An invocation still running when the step had to stop: the power value's timeout when
    /// `powerValueFailures` covers timeouts (no more of its invocations are made: each would be
    /// billed up to the function's own timeout), else the run's failure.
    fn outlasted(&self, i: u32, waited: Duration) -> Result<Option<InvocationEnd>, StepError> {
        let message = format!(
            "Invocation {} at {} MB was still running after {:.0} s, when the Executor had to stop: the function's timeout ({}) is longer than what a step has (the deployment's totalExecutionTimeout). Lambda lets it run on, billed up to that timeout.",
            i + 1,
            self.value,
            waited.as_secs_f64(),
            self.timeout_s
                .map_or("unknown".to_string(), |t| format!("{t} s"))
        );
        if self
            .power_value_failures
            .covers(Some("Sandbox.Timedout"), &message, "")
        {
            self.failed.store(true, Ordering::Relaxed);
            self.count_finished();
            return Ok(Some(InvocationEnd::Failed {
                error_type: "Sandbox.Timedout".into(),
                message,
                report: None,
            }));
        }
        Err(StepError::InvocationError(message))
    }

    /// One invocation, with its processors; `None` when the power value had already failed
    /// and the invocation was not made.
    async fn run(
        &self,
        i: u32,
        alias: String,
        payload: Option<Arc<str>>,
    ) -> Result<Option<InvocationEnd>, StepError> {
        if self.failed.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let mut payload = payload;
        if let Some(pre) = &self.pre {
            let out = invoke_retrying(
                &self.lambdas.pre_processor,
                &pre.given,
                None,
                payload.as_deref(),
            )
            .await?;
            if out.function_error.is_some() {
                return Err(StepError::ProcessorError(format!(
                    "The pre-processor {} failed{}: {}",
                    pre.given,
                    self.payload_note(payload.as_deref()),
                    describe_error(&out.payload)
                )));
            }
            let text = String::from_utf8_lossy(&out.payload).trim().to_string();
            // An empty or null result keeps the original payload, as the reference does.
            if !text.is_empty() && text != "null" {
                payload = Some(text.into());
            }
        }

        let invoked = invoke_retrying(
            &self.lambdas.function,
            &self.function,
            Some(&alias),
            payload.as_deref(),
        );
        // A function whose timeout outlasts what this step has left would take the step down
        // with it (the state machine retries the Executor, which meets the same hang): the
        // invocation is given up before the step's deadline and counts as the power value's
        // timeout, as Lambda's own timeout would.
        let out = match self.lambdas.function.time_left() {
            Some(left) => {
                let bound = left.saturating_sub(STOP_MARGIN);
                match tokio::time::timeout(bound, invoked).await {
                    Ok(out) => out?,
                    Err(_) => return self.outlasted(i, bound),
                }
            }
            None => invoked.await?,
        };
        if let Some(post) = &self.post {
            let response = String::from_utf8_lossy(&out.payload).into_owned();
            let processed = invoke_retrying(
                &self.lambdas.post_processor,
                &post.given,
                None,
                Some(&response),
            )
            .await?;
            if processed.function_error.is_some() {
                return Err(StepError::ProcessorError(format!(
                    "The post-processor {} failed on the response of invocation {} at {} MB: {}",
                    post.given,
                    i + 1,
                    self.value,
                    describe_error(&processed.payload)
                )));
            }
        }

        let tail = out.log_tail.as_deref().unwrap_or("");
        let report = parse_report(tail, out.request_id.as_deref());
        let mut allowed_error = false;
        if out.function_error.is_some() {
            let error_type = error_type_of(&out.payload);
            let message = error_message_of(&out.payload);
            if error_type
                .as_deref()
                .is_some_and(|t| self.allowed_exceptions.iter().any(|a| a == t))
            {
                allowed_error = true;
            } else if self
                .power_value_failures
                .covers(error_type.as_deref(), &message, tail)
            {
                self.failed.store(true, Ordering::Relaxed);
                self.count_finished();
                return Ok(Some(InvocationEnd::Failed {
                    error_type: error_type.unwrap_or_else(|| "Error".into()),
                    message: truncated(&message),
                    report: report.ok(),
                }));
            } else {
                return Err(StepError::InvocationError(format!(
                    "The function failed at {} MB (invocation {} of {}, alias {alias}){}: {}",
                    self.value,
                    i + 1,
                    self.num,
                    self.payload_note(payload.as_deref()),
                    describe_error(&out.payload)
                )));
            }
        }

        let report = report
            .map_err(|e| StepError::NoReport(format!("Invocation {} of {alias}: {e}", i + 1)))?;
        self.count_finished();
        Ok(Some(InvocationEnd::Measured {
            report,
            allowed_error,
        }))
    }

    fn count_finished(&self) {
        let finished = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(progress) = &self.progress {
            progress(finished);
        }
    }

    fn payload_note(&self, payload: Option<&str>) -> String {
        match payload {
            Some(p) if !self.disable_payload_logs => format!(" with payload {}", truncated(p)),
            _ => String::new(),
        }
    }
}

/// Invokes, retrying throttling (`TooManyRequestsException`) with exponential backoff and full
/// jitter; a throttled attempt is not a result. Throttling that outlasts the retries is
/// `PowerTuning.Throttled`: the function's concurrency is used up, and the state machine must
/// not re-run every invocation for it as it would for the step's own throttled calls.
async fn invoke_retrying(
    lambda: &LambdaApi,
    function: &str,
    qualifier: Option<&str>,
    payload: Option<&str>,
) -> Result<Invocation, StepError> {
    let mut attempt = 0;
    loop {
        match lambda.invoke(function, qualifier, payload).await {
            Err(e) if e.is_throttling() && attempt < THROTTLE_RETRIES => {
                let ceiling = lambda
                    .waits()
                    .throttle_backoff
                    .saturating_mul(1 << attempt)
                    .min(THROTTLE_CAP);
                let delay = ceiling.mul_f64(jitter());
                tracing::warn!(
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    "invoke throttled; retrying"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) if e.is_throttling() => {
                let target = match qualifier {
                    Some(q) => format!("{function}:{q}"),
                    None => function.to_string(),
                };
                return Err(StepError::Throttled(format!(
                    "Lambda throttled {target} {} times in a row: {e}. Its concurrency is used up (reserved or account concurrency); tune when it is free, lower \"maxConcurrency\", or raise its concurrency.",
                    THROTTLE_RETRIES + 1
                )));
            }
            other => return other,
        }
    }
}

/// A number in [0, 1) that differs between calls; good enough to spread retries.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The `errorMessage` of a Lambda error payload, or the payload itself.
fn error_message_of(payload: &[u8]) -> String {
    serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned())
}

fn error_type_of(payload: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(payload)
        .ok()?
        .get("errorType")?
        .as_str()
        .map(str::to_string)
}

/// "Type: message" from a Lambda error payload, or the raw payload (cut to a length a state
/// can carry).
fn describe_error(payload: &[u8]) -> String {
    truncated(&describe_error_in_full(payload))
}

fn describe_error_in_full(payload: &[u8]) -> String {
    match serde_json::from_slice::<Value>(payload) {
        Ok(v) if v.get("errorType").is_some() || v.get("errorMessage").is_some() => format!(
            "{}: {}",
            v.get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("Error"),
            v.get("errorMessage").and_then(Value::as_str).unwrap_or("")
        ),
        _ => String::from_utf8_lossy(payload).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_invocations_hold_a_bounded_amount_of_payload_copies() {
        // Issue 27: 220 KB x 700 at once would hold 154 MB in a 128 MB Executor.
        let limit = parallel_limit(None, 700, 220_000);
        assert_eq!(limit, IN_FLIGHT_PAYLOAD_BYTES / 220_000);
        assert!(limit * 220_000 <= IN_FLIGHT_PAYLOAD_BYTES);
        // Small payloads: maxConcurrency, or every invocation at once.
        assert_eq!(parallel_limit(None, 50, 100), 50);
        assert_eq!(parallel_limit(Some(8), 50, 100), 8);
        // A payload past the budget still runs, one at a time.
        assert_eq!(parallel_limit(None, 10, 64 * 1024 * 1024), 1);
    }

    #[test]
    fn lambda_error_payloads_are_described() {
        let p = br#"{"errorType":"Runtime.OutOfMemory","errorMessage":"Runtime exited with error: signal: killed"}"#;
        assert_eq!(error_type_of(p).as_deref(), Some("Runtime.OutOfMemory"));
        assert_eq!(
            describe_error(p),
            "Runtime.OutOfMemory: Runtime exited with error: signal: killed"
        );
        assert_eq!(describe_error(b"plain"), "plain");
        assert_eq!(error_type_of(b"plain"), None);
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn dry_runs_send_the_first_weighted_payload() {
        let p = Payload::from_value(
            serde_json::json!([{"payload": "a", "weight": 1}, {"payload": "b", "weight": 1}]),
        )
        .unwrap();
        let plan = payload_plan(Some(&p), 1).unwrap().unwrap();
        assert_eq!(plan.get(0).map(|b| &**b), Some("\"a\""));
        assert_eq!(plan.len(), 1);
        assert_eq!(payload_plan(None, 5).unwrap(), None);
    }
}
