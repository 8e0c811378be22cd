//! The Runtime API of one execution environment
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>): the runtime asks it for
//! the next event, and posts the result, the error, or an init error.

use crate::http::{self, read_body, reply, Body};
use crate::sync::lock;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

/// An event handed to the runtime, and where its result goes.
pub(crate) struct Delivery {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    pub(crate) deadline_ms: u64,
    pub(crate) function_arn: String,
    pub(crate) done: oneshot::Sender<RuntimeAnswer>,
}

/// What the runtime answered.
#[derive(Debug)]
pub enum RuntimeAnswer {
    /// `/response`: the function's result.
    Response {
        /// The response body.
        body: Bytes,
        /// From delivering the event to the response.
        duration: Duration,
    },
    /// `/error`: the function failed.
    Error {
        /// The error body.
        body: Bytes,
        /// From delivering the event to the error.
        duration: Duration,
    },
}

/// How the runtime's init ended.
pub(crate) enum Init {
    /// It asked for its first event.
    Ready(Instant),
    /// It posted this to `/init/error`.
    Failed(Bytes),
}

/// What the Runtime API server and the environment share.
struct Shared {
    next: Mutex<mpsc::Receiver<Delivery>>,
    in_flight: std::sync::Mutex<HashMap<String, (Instant, oneshot::Sender<RuntimeAnswer>)>>,
    init: std::sync::Mutex<Option<oneshot::Sender<Init>>>,
}

/// A running Runtime API.
pub(crate) struct RuntimeApi {
    /// Where it listens (`AWS_LAMBDA_RUNTIME_API`).
    pub(crate) addr: SocketAddr,
    /// Hands the runtime its next event.
    pub(crate) next: mpsc::Sender<Delivery>,
    /// Says how init ended.
    pub(crate) init: oneshot::Receiver<Init>,
    /// The server; aborting it stops the API.
    pub(crate) task: JoinHandle<()>,
}

/// Starts a Runtime API on a free port of 127.0.0.1.
pub(crate) async fn start() -> std::io::Result<RuntimeApi> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (next, next_rx) = mpsc::channel::<Delivery>(1);
    let (init_tx, init) = oneshot::channel();
    let shared = Arc::new(Shared {
        next: Mutex::new(next_rx),
        in_flight: std::sync::Mutex::new(HashMap::new()),
        init: std::sync::Mutex::new(Some(init_tx)),
    });
    let task = tokio::spawn(http::serve(listener, move |req| {
        handle(req, shared.clone())
    }));
    Ok(RuntimeApi {
        addr,
        next,
        init,
        task,
    })
}

/// `errorType` and `errorMessage` of an error body (the whole body as the message when it is not JSON).
pub fn error_fields(body: &[u8]) -> (Option<String>, String) {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => (
            v.get("errorType")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            v.get("errorMessage")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_string(),
        ),
        Err(_) => (None, String::from_utf8_lossy(body).into_owned()),
    }
}

/// Answers one request of the runtime.
async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Ok(reply(StatusCode::NOT_FOUND, "unknown path"));
    };
    if rest == "invocation/next" {
        if let Some(tx) = lock(&shared.init).take() {
            let _ = tx.send(Init::Ready(Instant::now()));
        }
        let delivery = shared.next.lock().await.recv().await;
        let Some(d) = delivery else {
            return Ok(reply(StatusCode::GONE, "environment shut down"));
        };
        let mut r = reply(StatusCode::OK, d.payload);
        let h = r.headers_mut();
        let header = |v: &str| {
            hyper::header::HeaderValue::from_str(v)
                .unwrap_or(hyper::header::HeaderValue::from_static("-"))
        };
        h.insert("Lambda-Runtime-Aws-Request-Id", header(&d.request_id));
        h.insert(
            "Lambda-Runtime-Deadline-Ms",
            header(&d.deadline_ms.to_string()),
        );
        h.insert(
            "Lambda-Runtime-Invoked-Function-Arn",
            header(&d.function_arn),
        );
        h.insert(
            "Lambda-Runtime-Trace-Id",
            header(&format!(
                "Root=1-00000000-{};Sampled=0",
                &d.request_id.replace('-', "")[..24.min(d.request_id.replace('-', "").len())]
            )),
        );
        h.insert(
            "Content-Type",
            hyper::header::HeaderValue::from_static("application/json"),
        );
        lock(&shared.in_flight).insert(d.request_id, (Instant::now(), d.done));
        return Ok(r);
    }
    if rest == "init/error" {
        let body = read_body(req).await;
        if let Some(tx) = lock(&shared.init).take() {
            let _ = tx.send(Init::Failed(body));
        }
        return Ok(reply(StatusCode::ACCEPTED, "{\"status\":\"OK\"}"));
    }
    if let Some(rest) = rest.strip_prefix("invocation/") {
        let (id, kind) = match rest.rsplit_once('/') {
            Some((id, kind)) if kind == "response" || kind == "error" => {
                (id.to_string(), kind.to_string())
            }
            _ => return Ok(reply(StatusCode::NOT_FOUND, "unknown path")),
        };
        let body = read_body(req).await;
        let Some((started, done)) = lock(&shared.in_flight).remove(&id) else {
            return Ok(reply(
                StatusCode::BAD_REQUEST,
                "{\"errorMessage\":\"unknown request id\",\"errorType\":\"InvalidRequestID\"}",
            ));
        };
        let duration = started.elapsed();
        let outcome = if kind == "response" {
            RuntimeAnswer::Response { body, duration }
        } else {
            RuntimeAnswer::Error { body, duration }
        };
        let _ = done.send(outcome);
        return Ok(reply(StatusCode::ACCEPTED, "{\"status\":\"OK\"}"));
    }
    Ok(reply(StatusCode::NOT_FOUND, "unknown path"))
}
