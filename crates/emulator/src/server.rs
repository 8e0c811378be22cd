//! The Lambda HTTP API: each request is routed to its operation ([`crate::api::Route`]), the
//! faults in force are applied, and one handler per operation answers; and the `/_powertune`
//! admin API (faults, status, a function's state).

use crate::api::{Operation, Route};
use crate::control::{parse_function_ref, FunctionState, DEFAULT_CODE_STORAGE_BYTES};
use crate::error::{ApiError, ApiResult};
use crate::faults::{fault_error, Faults};
use crate::http::{empty, json_response, query, read_body, Body};
use crate::invoke::invoke;
use crate::log_tail;
use crate::requests;
use crate::shared::State;
use crate::sync::lock;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The answer to a request whose connection a `dropConnections` fault closes: hyper ends the
/// connection without a response, as a reset would.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = json_response(e.status, &json!({"Type": "User", "message": e.message}));
    if let Ok(v) = HeaderValue::from_str(e.code) {
        r.headers_mut().insert("x-amzn-ErrorType", v);
    }
    r
}

/// What a handler reads of the request besides its route.
struct Call {
    /// `?Qualifier=`.
    qualifier: Option<String>,
    /// `X-Amz-Log-Type: Tail`.
    log_tail: bool,
    /// `X-Amz-Invocation-Type` (`RequestResponse` when absent).
    invocation_type: String,
    /// The body.
    body: Bytes,
    /// The faults in force when the request arrived.
    faults: Faults,
}

impl Call {
    fn parse<T: serde::de::DeserializeOwned>(&self, operation: Operation) -> ApiResult<T> {
        requests::parse(operation.name(), &self.body)
    }
}

/// Answers one HTTP request: the Lambda API, or the `/_powertune` admin API.
pub async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Response<Body>, Dropped> {
    if let Some(admin) = req.uri().path().strip_prefix("/_powertune/") {
        let admin = admin.to_string();
        return Ok(admin_api(&admin, req, &state).await);
    }
    if let Some(operation) = json_operation(&req, "Logs_20140328.") {
        return Ok(logs_api(&operation, req, &state).await);
    }
    if let Some(operation) = json_operation(&req, "AWSPriceListService.") {
        return Ok(pricing_api(&operation, req, &state).await);
    }
    let Some(route) = Route::of(req.method(), req.uri()) else {
        return Ok(error_response(&ApiError {
            status: 404,
            code: "UnknownOperationException",
            message: format!("Unknown operation {} {}", req.method(), req.uri().path()),
        }));
    };
    let operation = route.operation();
    let faults = state.faults();
    let latency = faults.latency_ms
        + faults
            .operation_latency_ms
            .get(&operation)
            .copied()
            .unwrap_or(0);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if state.kill_step_if_due(faults.kill_step.as_ref()) {
        // The caller is gone; this answer reaches nobody.
        return Ok(error_response(&ApiError::service(
            "Injected fault: the calling environment was killed",
        )));
    }
    if state.drops(&faults, operation, route.function()) {
        return Err(Dropped);
    }
    if let Some(code) = faults.fail.get(&operation) {
        return Ok(error_response(&fault_error(code)));
    }
    if operation.is_control_plane()
        && faults.control_plane_throttle_share > 0.0
        && state.chance() < faults.control_plane_throttle_share
    {
        return Ok(error_response(&ApiError::throttled()));
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let call = Call {
        qualifier: query(&req, "Qualifier"),
        log_tail: header("X-Amz-Log-Type").as_deref() == Some("Tail"),
        invocation_type: header("X-Amz-Invocation-Type")
            .unwrap_or_else(|| "RequestResponse".into()),
        body: Bytes::new(),
        faults,
    };
    let call = Call {
        body: read_body(req).await,
        ..call
    };
    Ok(dispatch(&state, route, call)
        .await
        .unwrap_or_else(|e| error_response(&e)))
}

/// An awsJson1.1 request (`POST /` with `X-Amz-Target: <service>.OP`) to the service whose
/// target starts with `service` (CloudWatch Logs' `Logs_20140328.`, the Price List's
/// `AWSPriceListService.`): its operation.
fn json_operation(req: &Request<Incoming>, service: &str) -> Option<String> {
    let target = req.headers().get("X-Amz-Target")?.to_str().ok()?;
    let operation = target.strip_prefix(service)?;
    (req.method() == Method::POST && req.uri().path() == "/").then(|| operation.to_string())
}

/// An awsJson1.1 answer: the result, or an error with its `__type`, as the protocol has them.
fn json_answer(answer: Result<Value, (&str, String)>) -> Response<Body> {
    let mut response = match answer {
        Ok(v) => json_response(200, &v),
        Err((code, message)) => json_response(400, &json!({"__type": code, "message": message})),
    };
    response.headers_mut().insert(
        "Content-Type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response
}

/// Answers a Price List request ([`crate::price_list`]) over the prices the admin API set.
async fn pricing_api(operation: &str, req: Request<Incoming>, state: &State) -> Response<Body> {
    let body: Value = serde_json::from_slice(&read_body(req).await).unwrap_or(Value::Null);
    let prices = lock(&state.prices).clone();
    json_answer(crate::price_list::call(operation, &body, &prices).map_err(|e| (e.code, e.message)))
}

/// Answers a CloudWatch Logs request ([`crate::cloudwatch_logs`]); errors carry their `__type`, as the
/// awsJson1.1 protocol has them.
async fn logs_api(operation: &str, req: Request<Incoming>, state: &State) -> Response<Body> {
    let body: Value = serde_json::from_slice(&read_body(req).await).unwrap_or(Value::Null);
    let limited = operation == "StartQuery"
        && state
            .logs_limit_calls
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            < state.faults().logs_limit_exceeded;
    let answer = if limited {
        Err(crate::cloudwatch_logs::LogsError {
            code: "LimitExceededException",
            message: "Account maximum query concurrency limit of [30] reached.".into(),
        })
    } else {
        lock(&state.logs).call(operation, &body)
    };
    json_answer(answer.map_err(|e| (e.code, e.message)))
}

/// The handler of each operation.
async fn dispatch(state: &Arc<State>, route: Route, call: Call) -> ApiResult<Response<Body>> {
    use Operation::*;
    match route {
        Route::CreateFunction => create_function(state, &call).await,
        Route::ListFunctions => list_functions(state),
        Route::GetAccountSettings => Ok(json_response(
            200,
            &state.control().account_settings(
                call.faults
                    .code_storage_limit_bytes
                    .unwrap_or(DEFAULT_CODE_STORAGE_BYTES),
            ),
        )),
        Route::Alias {
            operation,
            function,
            alias,
        } => {
            let mut c = state.control();
            match operation {
                GetAlias => Ok(json_response(200, &c.get_alias(&function, &alias)?)),
                UpdateAlias => Ok(json_response(
                    200,
                    &c.update_alias(&function, &alias, &call.parse(operation)?)?,
                )),
                _ => {
                    c.delete_alias(&function, &alias)?;
                    Ok(empty(204))
                }
            }
        }
        Route::Function {
            operation,
            function,
        } => function_operation(state, operation, &function, call).await,
    }
}

/// The operations on one function.
async fn function_operation(
    state: &Arc<State>,
    operation: Operation,
    function: &str,
    call: Call,
) -> ApiResult<Response<Body>> {
    use Operation::*;
    let q = call.qualifier.as_deref();
    match operation {
        Invoke => invoke_function(state, function, call).await,
        GetFunction => Ok(json_response(
            200,
            &state.control().get_function(function, q)?,
        )),
        DeleteFunction => {
            state.control().delete_function(function, q)?;
            let (name, qualifier) = parse_function_ref(function)?;
            state.drop_environments(&name, q.or(qualifier.as_deref()));
            Ok(empty(204))
        }
        GetFunctionConfiguration => Ok(json_response(
            200,
            &state.control().get_configuration(function, q)?,
        )),
        UpdateFunctionConfiguration => {
            let duration = state.update_duration(&call.faults);
            Ok(json_response(
                200,
                &state.control().update_configuration(
                    function,
                    &call.parse(operation)?,
                    duration,
                )?,
            ))
        }
        PublishVersion => {
            let pending = Duration::from_millis(call.faults.version_pending_ms);
            let storage = call
                .faults
                .code_storage_limit_bytes
                .unwrap_or(DEFAULT_CODE_STORAGE_BYTES);
            let published = state.control().publish_version(
                function,
                &call.parse(operation)?,
                pending,
                storage,
            )?;
            // Lambda Managed Instances: the version's environment starts now.
            if published["State"] == "Pending" && published["CapacityProviderConfig"].is_object() {
                if let Some(number) = published["Version"].as_str().and_then(|v| v.parse().ok()) {
                    let name = parse_function_ref(function)?.0;
                    tokio::spawn(crate::invoke::start_version(state.clone(), name, number));
                }
            }
            Ok(json_response(201, &published))
        }
        ListVersionsByFunction => Ok(json_response(
            200,
            &state.control().list_versions(function)?,
        )),
        CreateAlias => Ok(json_response(
            201,
            &state
                .control()
                .create_alias(function, &call.parse(operation)?)?,
        )),
        ListAliases => Ok(json_response(200, &state.control().list_aliases(function)?)),
        GetFunctionConcurrency => Ok(json_response(
            200,
            &state.control().get_concurrency(function)?,
        )),
        PutFunctionConcurrency => Ok(json_response(
            200,
            &state
                .control()
                .put_concurrency(function, &call.parse(operation)?)?,
        )),
        DeleteFunctionConcurrency => {
            state.control().delete_concurrency(function)?;
            Ok(empty(204))
        }
        PutProvisionedConcurrencyConfig => Ok(json_response(
            202,
            &state
                .control()
                .put_provisioned(function, q, &call.parse(operation)?)?,
        )),
        ListProvisionedConcurrencyConfigs => Ok(json_response(
            200,
            &state.control().list_provisioned(function)?,
        )),
        DeleteProvisionedConcurrencyConfig => {
            state.control().delete_provisioned(function, q)?;
            Ok(empty(204))
        }
        CreateFunction | ListFunctions | GetAccountSettings | GetAlias | UpdateAlias
        | DeleteAlias => Err(ApiError::service(format!(
            "{} is not an operation on one function",
            operation.name()
        ))),
    }
}

async fn create_function(state: &Arc<State>, call: &Call) -> ApiResult<Response<Body>> {
    let b: requests::CreateFunction = call.parse(Operation::CreateFunction)?;
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

fn list_functions(state: &Arc<State>) -> ApiResult<Response<Body>> {
    let c = state.control();
    let functions: ApiResult<Vec<Value>> = c
        .functions
        .keys()
        .map(|n| c.get_configuration(n, None))
        .collect();
    Ok(json_response(200, &json!({ "Functions": functions? })))
}

async fn invoke_function(
    state: &Arc<State>,
    function: &str,
    call: Call,
) -> ApiResult<Response<Body>> {
    let q = call.qualifier.as_deref();
    match call.invocation_type.as_str() {
        "DryRun" => {
            state.control().resolve(function, q)?;
            return Ok(empty(204));
        }
        "Event" => {
            state.control().resolve(function, q)?;
            let (state, function, q) = (state.clone(), function.to_string(), call.qualifier);
            tokio::spawn(async move {
                let _ = invoke(&state, &function, q.as_deref(), call.body).await;
            });
            return Ok(empty(202));
        }
        _ => {}
    }
    // Lambda hands the function {} when the request has no payload.
    let body = if call.body.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        call.body
    };
    let out = invoke(state, function, q, body).await?;
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
    if call.log_tail {
        if let Ok(v) = HeaderValue::from_str(&log_tail::tail_base64(&out.log)) {
            h.insert("X-Amz-Log-Result", v);
        }
    }
    Ok(r)
}

/// `POST faults`, `GET status`, and `POST functions/NAME/state` with `{"state": "Inactive"}`
/// or `{"state": "Pending", "forMs": N}`.
async fn admin_api(path: &str, req: Request<Incoming>, state: &Arc<State>) -> Response<Body> {
    let method = req.method().clone();
    if let (&Method::POST, Some(name)) = (
        &method,
        path.strip_prefix("functions/")
            .and_then(|p| p.strip_suffix("/state")),
    ) {
        let body = read_body(req).await;
        return match set_function_state(state, name, &body) {
            Ok(()) => json_response(200, &json!({"status": "ok"})),
            Err(e) => json_response(e.status, &json!({"message": e.message})),
        };
    }
    match (method, path) {
        (Method::POST, "faults") => {
            let body = read_body(req).await;
            match serde_json::from_slice::<Faults>(&body) {
                Ok(f) => match f.problem() {
                    None => {
                        state.set_faults(f);
                        json_response(200, &json!({"status": "ok"}))
                    }
                    Some(problem) => json_response(400, &json!({ "message": problem })),
                },
                Err(e) => json_response(400, &json!({"message": format!("faults: {e}")})),
            }
        }
        (Method::POST, "prices") => {
            let body = read_body(req).await;
            match serde_json::from_slice::<Vec<crate::price_list::InstancePrice>>(&body) {
                Ok(prices) => {
                    *lock(&state.prices) = prices;
                    json_response(200, &json!({"status": "ok"}))
                }
                Err(e) => json_response(400, &json!({"message": format!("prices: {e}")})),
            }
        }
        (Method::GET, "status") => {
            let environments: usize = lock(&state.pool).values().map(Vec::len).sum();
            json_response(
                200,
                &json!({
                    "limits": state.limits.mode.to_string(),
                    "hostCores": state.limits.host_cores,
                    "region": state.region,
                    "functions": state.control().functions.len(),
                    "idleEnvironments": environments,
                    "invocations": lock(&state.invocations).clone(),
                }),
            )
        }
        _ => json_response(
            404,
            &json!({"message": format!("unknown admin path {path}")}),
        ),
    }
}

fn set_function_state(state: &Arc<State>, name: &str, body: &[u8]) -> ApiResult<()> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Wanted {
        state: String,
        #[serde(default)]
        for_ms: u64,
    }
    let wanted: Wanted = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("function state: {e}")))?;
    let new = match wanted.state.as_str() {
        "Active" => FunctionState::Active,
        "Inactive" => FunctionState::Inactive,
        "Pending" => FunctionState::Pending {
            until: Instant::now() + Duration::from_millis(wanted.for_ms),
            reason_code: "Creating",
        },
        other => {
            return Err(ApiError::invalid(format!(
                "state must be Active, Pending or Inactive, not {other}"
            )))
        }
    };
    state.control().set_state(name, new)
}
