//! The Lambda HTTP API (the paths, JSON shapes and errors of `/2015-03-31/functions`), Invoke
//! with its environment pool, and an admin API for fault injection.

use crate::control::{parse_function_ref, ApiError, ControlPlane, Resolved};
use crate::environment::{read_body, Ended, Environment, Outcome, StartError};
use crate::limits::Limits;
use crate::report;
use crate::requests;
use crate::runtimes::{Prepared, Runtime, Runtimes};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Faults to inject, set with `POST /_powertune/faults`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Share of Invoke calls answered with 429 TooManyRequestsException (0..=1).
    #[serde(default)]
    pub throttle_share: f64,
    /// Throttle only these functions (by name); all of them when empty.
    #[serde(default)]
    pub throttle_functions: Vec<String>,
    /// Operation name (for example `UpdateFunctionConfiguration`) -> error code to answer with.
    #[serde(default)]
    pub fail: HashMap<String, String>,
    /// Added to every API call.
    #[serde(default)]
    pub latency_ms: u64,
    /// Share of control-plane calls (every operation but Invoke) answered with 429
    /// TooManyRequestsException (0..=1), as Lambda does past its control-plane request quota.
    #[serde(default)]
    pub control_plane_throttle_share: f64,
    /// How long a newly published version stays `State: Pending`; invoking it meanwhile
    /// answers 409 ResourceConflictException, as Lambda does for a function that is not Active.
    #[serde(default)]
    pub version_pending_ms: u64,
    /// Kills one invocation of a function (a step, in the end-to-end suite) between two of the
    /// API calls it makes, as a timeout or an out-of-memory kill would. Fires once.
    #[serde(default)]
    pub kill_step: Option<KillStep>,
}

/// `{"function": NAME, "afterCalls": N}`: once an invocation of NAME has made N API calls to
/// the emulator, its environment is killed when it makes the next one, and the invocation ends
/// as a timeout does (`Sandbox.Timedout`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KillStep {
    /// The function whose invocation is killed (a step's name in the end-to-end suite).
    pub function: String,
    /// How many API calls it may make first.
    pub after_calls: u32,
}

/// Where the emulator says what takes long (preparing a runtime) and warns (an interpreter
/// that is not the declared version).
#[derive(Clone)]
pub struct Notice(pub Arc<dyn Fn(&str) + Send + Sync>);

impl Default for Notice {
    fn default() -> Self {
        Notice(Arc::new(|message| eprintln!("{message}")))
    }
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notice")
    }
}

/// Everything the HTTP handlers share.
pub struct State {
    /// The account's functions.
    pub control: Mutex<ControlPlane>,
    /// How environments are limited.
    pub limits: Limits,
    /// The managed runtimes, prepared once.
    pub runtimes: Arc<Runtimes>,
    /// Where notices go.
    pub notice: Notice,
    /// Idle environments by pool key.
    pub pool: Mutex<HashMap<String, Vec<Arc<Environment>>>>,
    /// The faults to inject.
    pub faults: Mutex<Faults>,
    /// Where zipped code is unpacked.
    pub code_root: PathBuf,
    /// The region in ARNs.
    pub region: String,
    /// Invocations per function name (all versions), for tests and `GET /_powertune/status`.
    pub invocations: Mutex<std::collections::BTreeMap<String, u64>>,
    /// Environments running an invocation, by function name (what `killStep` kills).
    running: Mutex<HashMap<String, Vec<Arc<Environment>>>>,
    /// API calls made while the `killStep` function was running.
    kill_step_calls: AtomicU64,
    counter: AtomicU64,
}

impl State {
    /// The emulator's state, with no function and no fault.
    pub fn new(
        control: ControlPlane,
        limits: Limits,
        code_root: PathBuf,
        runtimes: Runtimes,
        notice: Notice,
    ) -> State {
        let region = control.region.clone();
        State {
            control: Mutex::new(control),
            limits,
            runtimes: Arc::new(runtimes),
            notice,
            pool: Mutex::new(HashMap::new()),
            faults: Mutex::new(Faults::default()),
            code_root,
            region,
            invocations: Mutex::new(Default::default()),
            running: Mutex::new(HashMap::new()),
            kill_step_calls: AtomicU64::new(0),
            counter: AtomicU64::new(0),
        }
    }

    fn control(&self) -> std::sync::MutexGuard<'_, ControlPlane> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The runtime, prepared (off the async threads: a first preparation installs packages).
    async fn prepare(&self, runtime: &Runtime) -> Result<Arc<Prepared>, ApiError> {
        if let Some(prepared) = self.runtimes.cached(runtime) {
            return Ok(prepared);
        }
        let runtimes = self.runtimes.clone();
        let notice = self.notice.clone();
        let wanted = runtime.clone();
        tokio::task::spawn_blocking(move || runtimes.prepare(&wanted, &*notice.0))
            .await
            .map_err(|e| ApiError {
                status: 500,
                code: "ServiceException",
                message: format!("Preparing {runtime} stopped: {e}"),
            })?
            .map_err(|e| ApiError::invalid(e.to_string()))
    }

    /// A random-looking value for request IDs and fault decisions.
    fn random(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (n, std::time::SystemTime::now(), std::process::id()).hash(&mut h);
        h.finish()
    }

    fn request_id(&self) -> String {
        let (a, b) = (self.random(), self.random());
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            (a >> 32) as u32,
            (a >> 16) as u16,
            a as u16 & 0xfff,
            (b >> 48) as u16 & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    /// A draw in [0, 1) for fault shares.
    fn chance(&self) -> f64 {
        (self.random() % 1_000_000) as f64 / 1_000_000.0
    }

    /// Counts an API call against `killStep`; when it is one call too many, kills the running
    /// invocation of that function and clears the fault. Returns whether it killed.
    fn kill_step_if_due(&self, kill: Option<&KillStep>) -> bool {
        let Some(kill) = kill else {
            return false;
        };
        let victims: Vec<Arc<Environment>> = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&kill.function)
            .cloned()
            .unwrap_or_default();
        if victims.is_empty() {
            return false;
        }
        let calls = self.kill_step_calls.fetch_add(1, Ordering::SeqCst) + 1;
        if calls <= u64::from(kill.after_calls) {
            return false;
        }
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .kill_step = None;
        self.kill_step_calls.store(0, Ordering::SeqCst);
        for env in victims {
            env.kill_as_timeout();
        }
        true
    }

    fn set_running(&self, function: &str, env: &Arc<Environment>, running: bool) {
        let mut map = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.entry(function.to_string()).or_default();
        if running {
            list.push(env.clone());
        } else {
            list.retain(|e| !Arc::ptr_eq(e, env));
        }
    }

    /// Drops the idle environments of a function (after it or a version is deleted).
    fn drop_environments(&self, function: &str) {
        let prefix = format!("{function}:");
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !k.starts_with(&prefix));
    }
}

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
    let resolved = state.control().resolve(reference, qualifier)?;
    if resolved.pending {
        return Err(ApiError::conflict(format!(
            "The operation cannot be performed at this time. The function is currently in the following state: Pending ({}:{})",
            resolved.function_arn, resolved.version
        )));
    }
    if resolved.reserved_concurrency == Some(0) {
        // Lambda: reserved concurrency 0 throttles every invocation.
        return Err(ApiError {
            message: "Rate Exceeded. Reason: ReservedFunctionConcurrentInvocationLimitExceeded"
                .into(),
            ..ApiError::throttled()
        });
    }
    let (share, only) = {
        let faults = state.faults.lock().unwrap_or_else(|e| e.into_inner());
        (faults.throttle_share, faults.throttle_functions.clone())
    };
    let targeted = only.is_empty() || only.contains(&resolved.function);
    if targeted && share > 0.0 && state.chance() < share {
        return Err(ApiError::throttled());
    }
    *state
        .invocations
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(resolved.function.clone())
        .or_default() += 1;
    let key = environment_key(&resolved);
    let request_id = state.request_id();
    let warm = {
        let mut pool = state.pool.lock().unwrap_or_else(|e| e.into_inner());
        let idle = pool.entry(key.clone()).or_default();
        let mut found = None;
        while let Some(env) = idle.pop() {
            if env.is_alive() {
                found = Some(env);
                break;
            }
        }
        found
    };
    let env = match warm {
        Some(env) => env,
        None => {
            let config = &resolved.config;
            let launch = state.prepare(&config.runtime).await?.launch(
                &config.code_dir,
                &config.handler,
                config.memory_size,
            );
            match Environment::start(
                key.clone(),
                &resolved,
                &launch,
                &state.limits,
                &state.region,
            )
            .await
            {
                Ok(env) => env,
                Err(StartError::Io(e)) => {
                    return Err(ApiError {
                        status: 500,
                        code: "ServiceException",
                        message: format!("Could not start {}: {e}", launch.program.display()),
                    })
                }
                Err(StartError::Init {
                    error_type,
                    message,
                    posted,
                }) => {
                    // What the runtime posted to /init/error is the answer; a runtime that
                    // exited or timed out gets Lambda's own message.
                    let body = posted.unwrap_or_else(|| Bytes::from(json!({"errorType": error_type, "errorMessage": format!("RequestId: {request_id} Error: {message}")}).to_string()));
                    let inv = report::Invocation {
                        request_id: &request_id,
                        version: &resolved.version,
                        duration: Duration::ZERO,
                        memory_size_mb: resolved.config.memory_size,
                        max_memory_used_mb: 0,
                        init_duration: None,
                        status: "error",
                    };
                    return Ok(InvokeResult {
                        log: render(&resolved, &inv, &[]),
                        request_id,
                        payload: body,
                        function_error: Some("Unhandled"),
                        executed_version: resolved.version.clone(),
                    });
                }
            }
        }
    };

    let mark = env.log_mark();
    let init_duration = env.take_init_duration();
    let timeout = Duration::from_secs(u64::from(resolved.config.timeout));
    let qualified_arn = match qualifier {
        Some(q) => format!("{}:{q}", resolved.function_arn),
        None => resolved.function_arn.clone(),
    };
    state.set_running(&resolved.function, &env, true);
    let ended = env
        .invoke(&request_id, &qualified_arn, payload, timeout)
        .await;
    state.set_running(&resolved.function, &env, false);
    let lines = env.log_since(mark);
    let max_memory_used_mb = env.max_memory_used_mb();
    let (body, function_error, duration, status, reusable) = match ended {
        Ended::Answered(Outcome::Response { body, duration }) => {
            (body, None, duration, "success", true)
        }
        Ended::Answered(Outcome::Error { body, duration }) => {
            (body, Some("Unhandled"), duration, "error", true)
        }
        Ended::Exited { status, oom } => {
            let error_type = if oom {
                "Runtime.OutOfMemory"
            } else {
                "Runtime.ExitError"
            };
            let body = json!({"errorType": error_type, "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}")});
            (
                Bytes::from(body.to_string()),
                Some("Unhandled"),
                timeout.min(Duration::from_millis(1)),
                "error",
                false,
            )
        }
        Ended::TimedOut => {
            let body = json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("RequestId: {request_id} Error: Task timed out after {}.00 seconds", resolved.config.timeout)});
            (
                Bytes::from(body.to_string()),
                Some("Unhandled"),
                timeout,
                "timeout",
                false,
            )
        }
    };
    if reusable && env.is_alive() {
        state
            .pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .push(env);
    }
    let inv = report::Invocation {
        request_id: &request_id,
        version: &resolved.version,
        duration,
        memory_size_mb: resolved.config.memory_size,
        max_memory_used_mb,
        init_duration,
        status,
    };
    Ok(InvokeResult {
        log: render(&resolved, &inv, &lines),
        request_id,
        payload: body,
        function_error,
        executed_version: resolved.version.clone(),
    })
}

fn render(resolved: &Resolved, inv: &report::Invocation<'_>, lines: &[String]) -> String {
    if resolved.config.log_format.eq_ignore_ascii_case("JSON") {
        report::json_log(inv, lines)
    } else {
        report::text_log(inv, lines)
    }
}

type Body = Full<Bytes>;

fn json_response(status: u16, value: &Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut()
        .insert("Content-Type", HeaderValue::from_static("application/json"));
    r
}

fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = json_response(e.status, &json!({"Type": "User", "message": e.message}));
    if let Ok(v) = HeaderValue::from_str(e.code) {
        r.headers_mut().insert("x-amzn-ErrorType", v);
    }
    r
}

fn empty(status: u16) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r
}

fn query(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The Lambda API operations the emulator answers. Each variant is named as Lambda names the
/// operation, which is what `fail` in the faults names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /functions`.
    CreateFunction,
    /// `GET /functions`.
    ListFunctions,
    /// `GET /functions/F`.
    GetFunction,
    /// `DELETE /functions/F`.
    DeleteFunction,
    /// `GET /functions/F/configuration`.
    GetFunctionConfiguration,
    /// `PUT /functions/F/configuration`.
    UpdateFunctionConfiguration,
    /// `POST /functions/F/versions`.
    PublishVersion,
    /// `GET /functions/F/versions`.
    ListVersionsByFunction,
    /// `POST /functions/F/aliases`.
    CreateAlias,
    /// `GET /functions/F/aliases`.
    ListAliases,
    /// `GET /functions/F/aliases/A`.
    GetAlias,
    /// `PUT /functions/F/aliases/A`.
    UpdateAlias,
    /// `DELETE /functions/F/aliases/A`.
    DeleteAlias,
    /// `POST /functions/F/invocations`.
    Invoke,
    /// `GET /functions/F/concurrency`.
    GetFunctionConcurrency,
    /// `PUT /functions/F/concurrency`.
    PutFunctionConcurrency,
    /// `DELETE /functions/F/concurrency`.
    DeleteFunctionConcurrency,
}

impl Operation {
    /// The operation of a method and the path's segments after `/functions`.
    pub fn route(method: &Method, segments: &[&str]) -> Option<Operation> {
        use Operation::*;
        Some(match (method.as_str(), segments) {
            ("POST", []) => CreateFunction,
            ("GET", []) => ListFunctions,
            ("GET", [_]) => GetFunction,
            ("DELETE", [_]) => DeleteFunction,
            ("GET", [_, "configuration"]) => GetFunctionConfiguration,
            ("PUT", [_, "configuration"]) => UpdateFunctionConfiguration,
            ("POST", [_, "versions"]) => PublishVersion,
            ("GET", [_, "versions"]) => ListVersionsByFunction,
            ("POST", [_, "aliases"]) => CreateAlias,
            ("GET", [_, "aliases"]) => ListAliases,
            ("GET", [_, "aliases", _]) => GetAlias,
            ("PUT", [_, "aliases", _]) => UpdateAlias,
            ("DELETE", [_, "aliases", _]) => DeleteAlias,
            ("POST", [_, "invocations"]) => Invoke,
            ("GET", [_, "concurrency"]) => GetFunctionConcurrency,
            ("PUT", [_, "concurrency"]) => PutFunctionConcurrency,
            ("DELETE", [_, "concurrency"]) => DeleteFunctionConcurrency,
            _ => return None,
        })
    }

    /// Lambda's name for it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}

fn fault_error(code: &str) -> ApiError {
    let (status, code): (u16, &'static str) = match code {
        "TooManyRequestsException" => (429, "TooManyRequestsException"),
        "ResourceNotFoundException" => (404, "ResourceNotFoundException"),
        "ResourceConflictException" => (409, "ResourceConflictException"),
        "InvalidParameterValueException" => (400, "InvalidParameterValueException"),
        _ => (500, "ServiceException"),
    };
    ApiError {
        status,
        code,
        message: format!("Injected fault: {code}"),
    }
}

/// Answers one HTTP request: the Lambda API, or the `/_powertune` admin API.
pub async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    if let Some(admin) = path.strip_prefix("/_powertune/") {
        return Ok(admin_api(admin, req, &state).await);
    }
    // Lambda's API dates its paths by when each operation appeared.
    let rest = [
        "/2015-03-31/functions",
        "/2017-10-31/functions",
        "/2019-09-30/functions",
    ]
    .iter()
    .find_map(|prefix| path.strip_prefix(prefix));
    let Some(rest) = rest else {
        return Ok(error_response(&ApiError {
            status: 404,
            code: "UnknownOperationException",
            message: format!("Unknown operation {path}"),
        }));
    };
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method().clone();
    let Some(op) = Operation::route(&method, &segs) else {
        return Ok(error_response(&ApiError {
            status: 404,
            code: "UnknownOperationException",
            message: format!("Unknown operation {method} {path}"),
        }));
    };

    let faults = state
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if state.kill_step_if_due(faults.kill_step.as_ref()) {
        // The caller is gone; this answer reaches nobody.
        return Ok(error_response(&ApiError {
            status: 500,
            code: "ServiceException",
            message: "Injected fault: the calling environment was killed".into(),
        }));
    }
    if let Some(code) = faults.fail.get(&op.name()) {
        return Ok(error_response(&fault_error(code)));
    }
    if op != Operation::Invoke
        && faults.control_plane_throttle_share > 0.0
        && state.chance() < faults.control_plane_throttle_share
    {
        return Ok(error_response(&ApiError::throttled()));
    }

    let qualifier = query(&req, "Qualifier");
    let log_tail = req
        .headers()
        .get("X-Amz-Log-Type")
        .and_then(|v| v.to_str().ok())
        == Some("Tail");
    let invocation_type = req
        .headers()
        .get("X-Amz-Invocation-Type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_string();
    let body = read_body(req).await;
    let name = op.name();

    let result: Result<Response<Body>, ApiError> = async {
        match op {
            Operation::CreateFunction => {
                let b: requests::CreateFunction = requests::parse(&name, &body)?;
                let runtime = crate::code::runtime_of(&b)?;
                let (dir, sha, size) = crate::code::unpack(&b, &runtime, &state.code_root)?;
                // A runtime that cannot run here is refused now, not at the first Invoke.
                state.prepare(&runtime).await?;
                Ok(json_response(
                    201,
                    &state
                        .control()
                        .create_function(&b, runtime, dir, sha, size)?,
                ))
            }
            Operation::ListFunctions => {
                let c = state.control();
                let names: Vec<String> = c.functions.keys().cloned().collect();
                let functions: Result<Vec<Value>, ApiError> =
                    names.iter().map(|n| c.get_configuration(n, None)).collect();
                Ok(json_response(200, &json!({ "Functions": functions? })))
            }
            Operation::GetFunction => Ok(json_response(
                200,
                &state
                    .control()
                    .get_function(segs[0], qualifier.as_deref())?,
            )),
            Operation::DeleteFunction => {
                state
                    .control()
                    .delete_function(segs[0], qualifier.as_deref())?;
                state.drop_environments(&parse_function_ref(segs[0])?.0);
                Ok(empty(204))
            }
            Operation::GetFunctionConfiguration => Ok(json_response(
                200,
                &state
                    .control()
                    .get_configuration(segs[0], qualifier.as_deref())?,
            )),
            Operation::UpdateFunctionConfiguration => {
                let b = requests::parse(&name, &body)?;
                Ok(json_response(
                    200,
                    &state.control().update_configuration(segs[0], &b)?,
                ))
            }
            Operation::PublishVersion => {
                let b = requests::parse(&name, &body)?;
                let pending = Duration::from_millis(faults.version_pending_ms);
                Ok(json_response(
                    201,
                    &state.control().publish_version(segs[0], &b, pending)?,
                ))
            }
            Operation::ListVersionsByFunction => {
                Ok(json_response(200, &state.control().list_versions(segs[0])?))
            }
            Operation::CreateAlias => {
                let b = requests::parse(&name, &body)?;
                Ok(json_response(
                    201,
                    &state.control().create_alias(segs[0], &b)?,
                ))
            }
            Operation::ListAliases => {
                Ok(json_response(200, &state.control().list_aliases(segs[0])?))
            }
            Operation::GetFunctionConcurrency => Ok(json_response(
                200,
                &state.control().get_concurrency(segs[0])?,
            )),
            Operation::PutFunctionConcurrency => {
                let b = requests::parse(&name, &body)?;
                Ok(json_response(
                    200,
                    &state.control().put_concurrency(segs[0], &b)?,
                ))
            }
            Operation::DeleteFunctionConcurrency => {
                state.control().delete_concurrency(segs[0])?;
                Ok(empty(204))
            }
            Operation::GetAlias => Ok(json_response(
                200,
                &state.control().get_alias(segs[0], segs[2])?,
            )),
            Operation::UpdateAlias => {
                let b = requests::parse(&name, &body)?;
                Ok(json_response(
                    200,
                    &state.control().update_alias(segs[0], segs[2], &b)?,
                ))
            }
            Operation::DeleteAlias => {
                state.control().delete_alias(segs[0], segs[2])?;
                Ok(empty(204))
            }
            Operation::Invoke => {
                match invocation_type.as_str() {
                    "DryRun" => {
                        state.control().resolve(segs[0], qualifier.as_deref())?;
                        return Ok(empty(204));
                    }
                    "Event" => {
                        state.control().resolve(segs[0], qualifier.as_deref())?;
                        let (state, function, q) =
                            (state.clone(), segs[0].to_string(), qualifier.clone());
                        tokio::spawn(async move {
                            let _ = invoke(&state, &function, q.as_deref(), body).await;
                        });
                        return Ok(empty(202));
                    }
                    _ => {}
                }
                // Lambda hands the function {} when the request has no payload.
                let body = if body.is_empty() {
                    Bytes::from_static(b"{}")
                } else {
                    body
                };
                let out = invoke(&state, segs[0], qualifier.as_deref(), body).await?;
                let mut r = Response::new(Full::new(out.payload));
                let h = r.headers_mut();
                h.insert("Content-Type", HeaderValue::from_static("application/json"));
                if let Ok(v) = HeaderValue::from_str(&out.executed_version) {
                    h.insert("X-Amz-Executed-Version", v);
                }
                if let Ok(v) = HeaderValue::from_str(&out.request_id) {
                    h.insert("x-amzn-RequestId", v);
                }
                if let Some(e) = out.function_error {
                    h.insert("X-Amz-Function-Error", HeaderValue::from_static(e));
                }
                if log_tail {
                    if let Ok(v) = HeaderValue::from_str(&report::tail_base64(&out.log)) {
                        h.insert("X-Amz-Log-Result", v);
                    }
                }
                Ok(r)
            }
        }
    }
    .await;
    Ok(result.unwrap_or_else(|e| error_response(&e)))
}

async fn admin_api(path: &str, req: Request<Incoming>, state: &Arc<State>) -> Response<Body> {
    match (req.method().clone(), path) {
        (Method::POST, "faults") => {
            let body = read_body(req).await;
            match serde_json::from_slice::<Faults>(&body) {
                Ok(f)
                    if (0.0..=1.0).contains(&f.throttle_share)
                        && (0.0..=1.0).contains(&f.control_plane_throttle_share) =>
                {
                    state.kill_step_calls.store(0, Ordering::SeqCst);
                    *state.faults.lock().unwrap_or_else(|e| e.into_inner()) = f;
                    json_response(200, &json!({"status": "ok"}))
                }
                Ok(_) => json_response(
                    400,
                    &json!({"message": "throttleShare and controlPlaneThrottleShare must be from 0 to 1"}),
                ),
                Err(e) => json_response(400, &json!({"message": format!("faults: {e}")})),
            }
        }
        (Method::GET, "status") => {
            let environments: usize = state
                .pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .map(Vec::len)
                .sum();
            json_response(
                200,
                &json!({
                    "limits": state.limits.mode.to_string(),
                    "hostCores": state.limits.host_cores,
                    "region": state.region,
                    "functions": state.control().functions.len(),
                    "idleEnvironments": environments,
                    "invocations": state.invocations.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                }),
            )
        }
        _ => json_response(
            404,
            &json!({"message": format!("unknown admin path {path}")}),
        ),
    }
}
