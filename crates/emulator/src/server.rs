//! The Lambda HTTP API: routing by operation (the paths, JSON shapes and errors of
//! `/2015-03-31/functions`), and the `/_powertune` admin API for faults and status.

use crate::control::parse_function_ref;
use crate::error::ApiError;
use crate::faults::{fault_error, Faults};
use crate::http::{empty, json_response, query, read_body, Body};
use crate::invoke::invoke;
use crate::report;
use crate::requests;
use crate::state::State;
use crate::sync::lock;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = json_response(e.status, &json!({"Type": "User", "message": e.message}));
    if let Ok(v) = HeaderValue::from_str(e.code) {
        r.headers_mut().insert("x-amzn-ErrorType", v);
    }
    r
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
        .map(crate::http::percent_decode)
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

    let faults = lock(&state.faults).clone();
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
                    *lock(&state.faults) = f;
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
