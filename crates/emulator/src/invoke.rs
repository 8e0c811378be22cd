//! Invoke: a warm environment from the pool or a new one, the invocation, and the REPORT and log
//! tail Lambda returns with it.

use crate::control::Resolved;
use crate::environment::{Ended, Environment, InitPhase, RuntimeAnswer, StartError};
use crate::error::ApiError;
use crate::faults::Faults;
use crate::log_tail;
use crate::shared::{ManagedEnvironment, State};
use crate::sync::lock;
use bytes::Bytes;
use serde_json::json;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// What Invoke answers.
pub struct InvokeResult {
    /// The request ID.
    pub request_id: String,
    /// The function's response or error.
    pub payload: Bytes,
    /// `X-Amz-Function-Error` (`Unhandled`), when the function failed.
    pub function_error: Option<&'static str>,
    /// `X-Amz-Executed-Version`.
    pub executed_version: String,
    /// The log tail, before base64.
    pub log: String,
}

fn environment_key(r: &Resolved) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}", r.config).hash(&mut h);
    format!("{}:{}:{:x}", r.function, r.version, h.finish())
}

/// Invokes a function synchronously in a warm environment, or a new one.
pub async fn invoke(
    state: &Arc<State>,
    reference: &str,
    qualifier: Option<&str>,
    payload: Bytes,
) -> Result<InvokeResult, ApiError> {
    let faults = state.faults();
    let resolved = admit(state, &faults, reference, qualifier)?;
    if state.fails_invocation(&faults, &resolved.function) {
        return Ok(injected_failure(state, &resolved));
    }
    *lock(&state.invocations)
        .entry(resolved.function.clone())
        .or_default() += 1;
    let key = environment_key(&resolved);
    let request_id = state.request_id();
    if let Some(managed) = &resolved.config.managed {
        let cap = managed.concurrency(&resolved.config.runtime, resolved.config.memory_size);
        return invoke_managed(state, &resolved, qualifier, payload, key, request_id, cap).await;
    }
    let (env, init_in_invoke) = match take_warm(state, &key) {
        Some(env) => (env, false),
        None => match start(state, &resolved, &request_id).await? {
            Ok(started) => started,
            Err(init_failed) => return Ok(init_failed),
        },
    };

    let configured = Duration::from_secs(u64::from(resolved.config.timeout));
    // A suppressed init ran inside this invocation: its REPORT has no Init Duration, its
    // Duration holds the init, and the init used part of the function's timeout.
    let (mark, init_duration, spent) = if init_in_invoke {
        (0, None, env.take_init_duration().unwrap_or_default())
    } else {
        (env.log_mark(), env.take_init_duration(), Duration::ZERO)
    };
    let timeout = configured.saturating_sub(spent);
    let qualified_arn = match qualifier {
        Some(q) => format!("{}:{q}", resolved.function_arn),
        None => resolved.function_arn.clone(),
    };
    state.set_running(&resolved.function, &env, true);
    let ended = env
        .invoke(&request_id, &qualified_arn, payload, timeout, false)
        .await;
    state.set_running(&resolved.function, &env, false);
    let lines = env.log_since(mark);
    let max_memory_used_mb = env.max_memory_used_mb();
    let mut answer = Answer::of(ended, &request_id, resolved.config.timeout);
    if answer.status != "timeout" {
        answer.duration += spent;
    }
    if let Some(noise) = faults
        .duration_noise
        .as_ref()
        .filter(|_| answer.status == "success" || answer.status == "error")
    {
        answer.duration =
            answer
                .duration
                .mul_f64(noise.factor(&resolved.function, state.unit(), state.unit()));
    }
    if answer.reusable && env.is_alive() {
        lock(&state.pool).entry(key).or_default().push(env);
    }
    let inv = log_tail::Invocation {
        request_id: &request_id,
        version: &resolved.version,
        duration: answer.duration,
        memory_size_mb: resolved.config.memory_size,
        max_memory_used_mb,
        init_duration,
        status: answer.status,
    };
    Ok(InvokeResult {
        log: render(state, &resolved, &inv, &lines),
        request_id,
        payload: answer.body,
        function_error: answer.function_error,
        executed_version: resolved.version.clone(),
    })
}

/// One of the environment's request slots, taken for an invocation and given back when the
/// invocation ends, however it ends.
struct Slot<'a> {
    managed: &'a ManagedEnvironment,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.managed
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Starts the environment of LMI version `version` of `function`, as Lambda does before the
/// version is Active (PublishVersion marks it Pending until this ends): its Init runs now, so no
/// REPORT carries an Init Duration. An Init that fails makes the version Failed with the
/// function's error as its `StateReason`. A version deleted meanwhile has its environment
/// stopped.
pub(crate) async fn start_version(state: Arc<State>, function: String, version: u32) {
    let request_id = state.request_id();
    let resolved = state
        .control()
        .resolve(&function, Some(&version.to_string()));
    let failure = match resolved {
        Err(e) => Some(e.message),
        Ok(resolved) => {
            let _starting = state.managed_start.lock().await;
            let running = lock(&state.managed)
                .get(&environment_key(&resolved))
                .is_some_and(|m| m.env.is_alive());
            if running {
                // PublishVersion returned a version that has its environment already.
                None
            } else {
                match start(&state, &resolved, &request_id).await {
                    Ok(Ok((env, _))) => {
                        // Initialized before any invocation: no REPORT reports it.
                        let _ = env.take_init_duration();
                        state.keep_managed(environment_key(&resolved), env);
                        None
                    }
                    Ok(Err(init_failed)) => Some(format!(
                        "The function's Init failed: {}",
                        String::from_utf8_lossy(&init_failed.payload)
                    )),
                    Err(e) => Some(e.message),
                }
            }
        }
    };
    if !state.control().version_started(&function, version, failure) {
        state.drop_environments(&function, Some(&version.to_string()));
    }
}

/// Invokes a function on Lambda Managed Instances. The emulator runs one environment per
/// version (what a run measures is what one environment holds), started when the version is
/// published ([`start_version`]; again on an invocation, should it have died) and kept; it serves up to `cap` requests at once (`AWS_LAMBDA_MAX_CONCURRENCY`
/// to the runtime), and one more is refused as Lambda refuses it when "all runtime workers are
/// busy" (backpressure: 429 TooManyRequestsException). A timed-out invocation fails alone; the
/// environment goes on.
async fn invoke_managed(
    state: &Arc<State>,
    resolved: &Resolved,
    qualifier: Option<&str>,
    payload: Bytes,
    key: String,
    request_id: String,
    cap: u32,
) -> Result<InvokeResult, ApiError> {
    use std::sync::atomic::Ordering;
    let alive = |state: &State| {
        lock(&state.managed)
            .get(&key)
            .filter(|m| m.env.is_alive())
            .cloned()
    };
    let managed = match alive(state) {
        Some(m) => m,
        None => {
            let _starting = state.managed_start.lock().await;
            match alive(state) {
                Some(m) => m,
                None => {
                    let env = match start(state, resolved, &request_id).await? {
                        Ok((env, _)) => env,
                        Err(init_failed) => return Ok(init_failed),
                    };
                    state.keep_managed(key.clone(), env)
                }
            }
        }
    };
    if managed.in_flight.fetch_add(1, Ordering::SeqCst) >= cap {
        managed.in_flight.fetch_sub(1, Ordering::SeqCst);
        return Err(ApiError {
            message: format!(
                "Rate Exceeded. Reason: every one of the execution environment's {cap} concurrent requests (PerExecutionEnvironmentMaxConcurrency) is busy"
            ),
            ..ApiError::throttled()
        });
    }
    let _slot = Slot { managed: &managed };
    let env = &managed.env;
    let qualified_arn = match qualifier {
        Some(q) => format!("{}:{q}", resolved.function_arn),
        None => resolved.function_arn.clone(),
    };
    let init_duration = env.take_init_duration();
    let mark = env.log_mark();
    let timeout = Duration::from_secs(u64::from(resolved.config.timeout));
    state.set_running(&resolved.function, env, true);
    let ended = env
        .invoke(&request_id, &qualified_arn, payload, timeout, true)
        .await;
    state.set_running(&resolved.function, env, false);
    // The environment's output interleaves its requests: this one's are the lines naming it
    // (the JSON log lines carry their requestId).
    let lines: Vec<String> = env
        .log_since(mark)
        .into_iter()
        .filter(|l| l.contains(request_id.as_str()))
        .collect();
    let answer = Answer::of(ended, &request_id, resolved.config.timeout);
    let inv = log_tail::Invocation {
        request_id: &request_id,
        version: &resolved.version,
        duration: answer.duration,
        memory_size_mb: resolved.config.memory_size,
        max_memory_used_mb: env.max_memory_used_mb(),
        init_duration,
        status: answer.status,
    };
    Ok(InvokeResult {
        log: render(state, resolved, &inv, &lines),
        request_id,
        payload: answer.body,
        function_error: answer.function_error,
        executed_version: resolved.version.clone(),
    })
}

/// Resolves the function and version, and refuses what Lambda refuses before running anything:
/// a Pending version, no concurrency left, a throttle (injected or not).
fn admit(
    state: &Arc<State>,
    faults: &Faults,
    reference: &str,
    qualifier: Option<&str>,
) -> Result<Resolved, ApiError> {
    // Restoring an Inactive function takes as long as an update (taken before the lock).
    let restoring = state.update_duration(faults);
    let resolved = {
        let mut control = state.control();
        let resolved = control.resolve(reference, qualifier)?;
        control.admit_invocation(&resolved.function, restoring)?;
        resolved
    };
    if resolved.failed.is_some() {
        return Err(ApiError::conflict(format!(
            "The operation cannot be performed at this time. The function is currently in the following state: Failed ({}:{})",
            resolved.function_arn, resolved.version
        )));
    }
    if resolved.pending {
        return Err(ApiError::conflict(format!(
            "The operation cannot be performed at this time. The function is currently in the following state: Pending ({}:{})",
            resolved.function_arn, resolved.version
        )));
    }
    if resolved.no_concurrency() {
        // Lambda: reserved concurrency 0, or all of it provisioned for other qualifiers,
        // throttles every on-demand invocation.
        return Err(ApiError {
            message: "Rate Exceeded. Reason: ReservedFunctionConcurrentInvocationLimitExceeded"
                .into(),
            ..ApiError::throttled()
        });
    }
    let targeted = faults.throttle_functions.is_empty()
        || faults.throttle_functions.contains(&resolved.function);
    if targeted && faults.throttle_share > 0.0 && state.chance() < faults.throttle_share {
        return Err(ApiError::throttled());
    }
    Ok(resolved)
}

/// A live idle environment of `key` from the pool; dead ones are dropped on the way.
fn take_warm(state: &State, key: &str) -> Option<Arc<Environment>> {
    let mut pool = lock(&state.pool);
    let idle = pool.get_mut(key)?;
    while let Some(env) = idle.pop() {
        if env.is_alive() {
            return Some(env);
        }
    }
    None
}

/// A new environment for `resolved` (and whether its Init ran inside the invocation), or, when
/// its init failed, the answer Invoke gives then. An on-demand Init that runs out of its 10 s
/// is logged as Lambda logs it and redone inside the invocation at the memory's share, within
/// the function's timeout; a REPORT then has no Init Duration (measured on Lambda, an init
/// that sleeps 10 s: no Init Duration, Duration 12079.53 ms, Billed Duration 12080 ms;
/// Bite-Sized Serverless, "When is the Lambda Init Phase Free, and when is it Billed?", 2022).
/// Whether Lambda bills the 10 s that timed out is not documented; no REPORT shows them.
async fn start(
    state: &Arc<State>,
    resolved: &Resolved,
    request_id: &str,
) -> Result<Result<(Arc<Environment>, bool), InvokeResult>, ApiError> {
    let config = &resolved.config;
    let launch = state.prepare(&config.runtime).await?.launch(
        &config.code_dir,
        &config.handler,
        config.memory_size,
    );
    let cores = state.limits.host_cores;
    let timeout = Duration::from_secs(u64::from(config.timeout));
    let on_demand = match &config.managed {
        // Init on Lambda Managed Instances: the environment's own vCPUs, within 130 s or the
        // function's timeout, whichever is longer ("Understanding the Lambda Managed Instances
        // execution environment").
        Some(m) => InitPhase {
            vcpus: m.vcpus(config.memory_size),
            limit: timeout.max(Duration::from_secs(130)),
        },
        None => InitPhase::on_demand(state.init_cpu, config.memory_size, cores),
    };
    let launch = &launch;
    let init = |phase: InitPhase| async move {
        // Whole vCPUs, at most what the gate holds.
        let wanted = (phase.vcpus.ceil() as u32).clamp(1, crate::shared::init_vcpus(cores) as u32);
        let _permit = state.init_gate.acquire_many(wanted).await;
        Environment::start(resolved, launch, &state.limits, &state.region, phase).await
    };
    let mut suppressed = false;
    let mut outcome = init(on_demand).await;
    if let Err(StartError::TimedOut { after }) = &outcome {
        log_init_timeout(state, resolved, *after);
        suppressed = true;
        outcome = init(InitPhase::suppressed(config.memory_size, cores, timeout)).await;
    }
    let failed = |error_type: &str, message: String, posted: Option<Bytes>, duration, status| {
        // What the runtime posted to /init/error is the answer; a runtime that exited or
        // timed out gets Lambda's own message.
        let body = posted.unwrap_or_else(|| Bytes::from(json!({"errorType": error_type, "errorMessage": format!("RequestId: {request_id} Error: {message}")}).to_string()));
        let inv = log_tail::Invocation {
            request_id,
            version: &resolved.version,
            duration,
            memory_size_mb: resolved.config.memory_size,
            max_memory_used_mb: 0,
            init_duration: None,
            status,
        };
        InvokeResult {
            log: render(state, resolved, &inv, &[]),
            request_id: request_id.to_string(),
            payload: body,
            function_error: Some("Unhandled"),
            executed_version: resolved.version.clone(),
        }
    };
    match outcome {
        Ok(env) => Ok(Ok((env, suppressed))),
        Err(StartError::Io(e)) => Err(ApiError {
            status: 500,
            code: "ServiceException",
            message: format!("Could not start {}: {e}", launch.program.display()),
        }),
        Err(StartError::Init {
            error_type,
            message,
            posted,
        }) => Ok(Err(failed(
            &error_type,
            message,
            posted,
            Duration::ZERO,
            "error",
        ))),
        // The suppressed init ran out of the function's timeout too: the invocation timed out.
        Err(StartError::TimedOut { after }) => Ok(Err(failed(
            "Sandbox.Timedout",
            format!("Task timed out after {}.00 seconds", after.as_secs()),
            None,
            after,
            "timeout",
        ))),
    }
}

/// What Lambda logs when an on-demand Init runs out of time, in the function's log format:
/// `INIT_REPORT Init Duration: 10000.00 ms Phase: init Status: timeout` (text) or a
/// `platform.initReport` record (JSON; Telemetry API schema: `phase`, `status`, `metrics`).
fn log_init_timeout(state: &State, resolved: &Resolved, after: Duration) {
    let ms = after.as_secs_f64() * 1000.0;
    let line = if resolved.config.log_format.eq_ignore_ascii_case("JSON") {
        json!({"type": "platform.initReport", "record": {"initializationType": "on-demand", "phase": "init", "status": "timeout", "metrics": {"durationMs": ms}}}).to_string()
    } else {
        format!("INIT_REPORT Init Duration: {ms:.2} ms\tPhase: init\tStatus: timeout")
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    append_log(state, resolved, now_ms, &line);
}

/// How an invocation ended, as Invoke answers it.
struct Answer {
    body: Bytes,
    function_error: Option<&'static str>,
    duration: Duration,
    /// The `platform.report` status: `success`, `error` or `timeout`.
    status: &'static str,
    /// Whether the environment may take the next invocation.
    reusable: bool,
}

impl Answer {
    fn of(ended: Ended, request_id: &str, timeout_seconds: u32) -> Answer {
        let failed = |body: serde_json::Value, duration, status| Answer {
            body: Bytes::from(body.to_string()),
            function_error: Some("Unhandled"),
            duration,
            status,
            reusable: false,
        };
        match ended {
            Ended::Answered(RuntimeAnswer::Response { body, duration }) => Answer {
                body,
                function_error: None,
                duration,
                status: "success",
                reusable: true,
            },
            Ended::Answered(RuntimeAnswer::Error { body, duration }) => Answer {
                body,
                function_error: Some("Unhandled"),
                duration,
                status: "error",
                reusable: true,
            },
            Ended::Exited { status, oom } => {
                let error_type = if oom {
                    "Runtime.OutOfMemory"
                } else {
                    "Runtime.ExitError"
                };
                failed(
                    json!({"errorType": error_type, "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}")}),
                    Duration::from_millis(1),
                    "error",
                )
            }
            Ended::TimedOut => failed(
                json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("RequestId: {request_id} Error: Task timed out after {timeout_seconds}.00 seconds")}),
                Duration::from_secs(u64::from(timeout_seconds)),
                "timeout",
            ),
        }
    }
}

/// The log in the function's format. In JSON with a system log level above INFO, Lambda drops
/// the `platform.start` and `platform.report` records ("Log-level filtering"); the tail is
/// taken to be filtered as the log group is.
/// The log is also written to the function's log group, for Logs Insights.
fn render(
    state: &State,
    resolved: &Resolved,
    inv: &log_tail::Invocation<'_>,
    lines: &[String],
) -> String {
    let config = &resolved.config;
    let log = if config.log_format.eq_ignore_ascii_case("JSON") {
        let platform = config.system_log_level != "WARN";
        log_tail::json_log(inv, lines, platform)
    } else {
        log_tail::text_log(inv, lines)
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    append_log(state, resolved, now_ms, &log);
    log
}

/// Writes `log` to the function's log group (its `LoggingConfig.LogGroup`, else Lambda's
/// default) and stream, as Lambda names them.
fn append_log(state: &State, resolved: &Resolved, now_ms: i64, log: &str) {
    let custom = resolved.config.log_group.as_deref();
    let group = crate::cloudwatch_logs::group_of(&resolved.function, custom);
    let stream = crate::cloudwatch_logs::log_stream(
        &resolved.function,
        &resolved.version,
        "emulator",
        custom.is_some(),
    );
    lock(&state.logs).append(&group, &stream, now_ms, log);
}

/// A `failInvocation` fault's answer: the function's error, as if it had raised, with the
/// REPORT of an invocation that ran for a millisecond.
fn injected_failure(state: &State, resolved: &Resolved) -> InvokeResult {
    let request_id = state.request_id();
    *lock(&state.invocations)
        .entry(resolved.function.clone())
        .or_default() += 1;
    let inv = log_tail::Invocation {
        request_id: &request_id,
        version: &resolved.version,
        duration: Duration::from_millis(1),
        memory_size_mb: resolved.config.memory_size,
        max_memory_used_mb: 0,
        init_duration: None,
        status: "error",
    };
    InvokeResult {
        log: render(state, resolved, &inv, &[]),
        payload: Bytes::from(
            json!({"errorType": "InjectedFault", "errorMessage": "Injected fault: this invocation fails once"})
                .to_string(),
        ),
        request_id,
        function_error: Some("Unhandled"),
        executed_version: resolved.version.clone(),
    }
}
