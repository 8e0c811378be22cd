//! Execution environments: one process group (the function's `bootstrap`, or an interpreter
//! running Lambda's runtime interface client), under its power limits, talking to a Runtime API
//! of its own (`AWS_LAMBDA_RUNTIME_API`), as Lambda runs them.

use crate::control::Resolved;
use crate::limits::{EnvironmentLimits, Limits};
use crate::runtimes::Launch;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch, Mutex};

/// How long an environment may take to ask for its first event (Lambda's init limit).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// An event handed to the runtime, and where its result goes.
struct Delivery {
    request_id: String,
    payload: Bytes,
    deadline_ms: u64,
    function_arn: String,
    done: oneshot::Sender<Outcome>,
}

/// What the runtime answered.
#[derive(Debug)]
pub enum Outcome {
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

enum Init {
    Ready(Instant),
    Failed(Bytes),
}

/// What the Runtime API server and the environment share.
struct Shared {
    next: Mutex<mpsc::Receiver<Delivery>>,
    in_flight: std::sync::Mutex<HashMap<String, (Instant, oneshot::Sender<Outcome>)>>,
    init: std::sync::Mutex<Option<oneshot::Sender<Init>>>,
}

/// Captured stdout and stderr lines of the environment.
#[derive(Default)]
pub struct LogLines {
    lines: Vec<String>,
}

/// How an invocation in an environment ended.
#[derive(Debug)]
pub enum Ended {
    /// The runtime answered.
    Answered(Outcome),
    /// The process exited (`oom`: killed for going over its memory).
    Exited {
        /// How it exited.
        status: String,
        /// Whether the kernel killed it for its memory.
        oom: bool,
    },
    /// The invocation ran past its timeout; the environment was killed.
    TimedOut,
}

/// One execution environment: a process group under its limits, with its own Runtime API.
pub struct Environment {
    /// The pool key: function, version and configuration.
    pub key: String,
    /// The process group's leader.
    pub pid: Option<u32>,
    next_tx: mpsc::Sender<Delivery>,
    exited: watch::Receiver<Option<String>>,
    logs: Arc<std::sync::Mutex<LogLines>>,
    /// How many of stdout and stderr have reached their end.
    drained: watch::Receiver<usize>,
    limits: EnvironmentLimits,
    /// Init Duration, reported by the first invocation only.
    init_duration: std::sync::Mutex<Option<Duration>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Killed by fault injection: its invocation ends as a timeout.
    killed_as_timeout: std::sync::atomic::AtomicBool,
}

static ENV_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why an environment could not start.
#[derive(Debug)]
pub enum StartError {
    /// The runtime reported an init error or exited during init.
    Init {
        /// Lambda's `errorType`.
        error_type: String,
        /// The message.
        message: String,
        /// What the runtime posted to `/init/error`, which Lambda returns as it is.
        posted: Option<Bytes>,
    },
    /// The process or its Runtime API could not be started.
    Io(std::io::Error),
}

impl Environment {
    /// Starts `launch` for `resolved` and waits until it asks for its first event.
    pub async fn start(
        key: String,
        resolved: &Resolved,
        launch: &Launch,
        limits: &Limits,
        region: &str,
    ) -> Result<Arc<Environment>, StartError> {
        let id = format!(
            "{}-{}",
            std::process::id(),
            ENV_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let env_limits = limits
            .for_environment(&id, resolved.config.memory_size)
            .map_err(StartError::Io)?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(StartError::Io)?;
        let api: SocketAddr = listener.local_addr().map_err(StartError::Io)?;

        let (next_tx, next_rx) = mpsc::channel::<Delivery>(1);
        let (init_tx, init_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            next: Mutex::new(next_rx),
            in_flight: std::sync::Mutex::new(HashMap::new()),
            init: std::sync::Mutex::new(Some(init_tx)),
        });
        let mut tasks = vec![tokio::spawn(serve_runtime_api(listener, shared.clone()))];

        let started = Instant::now();
        let mut command = tokio::process::Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(env_limits.launcher(launch.address_space_limit))
            .arg("powertune-environment")
            .arg(&launch.program)
            .args(&launch.args)
            .current_dir(&resolved.config.code_dir)
            .env_clear()
            .envs(lambda_environment(resolved, launch, api, region))
            // Its own process group: a signal to the environment reaches every process in it.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(StartError::Io)?;
        let pid = child.id();

        let logs = Arc::new(std::sync::Mutex::new(LogLines::default()));
        let (drained_tx, drained) = watch::channel(0usize);
        let drained_tx = Arc::new(drained_tx);
        if let Some(out) = child.stdout.take() {
            let (logs, done) = (logs.clone(), drained_tx.clone());
            tasks.push(tokio::spawn(async move {
                collect(BufReader::new(out), logs).await;
                done.send_modify(|n| *n += 1);
            }));
        }
        if let Some(err) = child.stderr.take() {
            let (logs, done) = (logs.clone(), drained_tx.clone());
            tasks.push(tokio::spawn(async move {
                collect(BufReader::new(err), logs).await;
                done.send_modify(|n| *n += 1);
            }));
        }
        let (exit_tx, exit_rx) = watch::channel(None);
        tasks.push(tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(s) => describe_exit(s),
                Err(e) => format!("unknown ({e})"),
            };
            let _ = exit_tx.send(Some(status));
        }));
        if let (Some((run, stop)), Some(pid)) = (env_limits.duty_cycle(), pid) {
            tasks.push(tokio::spawn(duty_cycle(pid, run, stop)));
        }

        let environment = Environment {
            key,
            pid,
            next_tx,
            exited: exit_rx.clone(),
            logs,
            drained,
            limits: env_limits,
            init_duration: std::sync::Mutex::new(None),
            tasks,
            killed_as_timeout: std::sync::atomic::AtomicBool::new(false),
        };
        let mut exited = exit_rx;
        tokio::select! {
            init = init_rx => match init {
                Ok(Init::Ready(at)) => {
                    *environment.init_duration.lock().unwrap_or_else(|e| e.into_inner()) = Some(at.duration_since(started));
                    Ok(Arc::new(environment))
                }
                Ok(Init::Failed(body)) => {
                    let (error_type, message) = error_fields(&body);
                    Err(StartError::Init { error_type: error_type.unwrap_or_else(|| "Runtime.InitError".into()), message, posted: Some(body) })
                }
                Err(_) => Err(StartError::Init { error_type: "Runtime.InitError".into(), message: "the runtime API stopped".into(), posted: None }),
            },
            status = exit_status(&mut exited) => {
                environment.drain_output().await;
                let oom = environment.limits.oom_killed();
                Err(StartError::Init {
                    error_type: if oom { "Runtime.OutOfMemory".into() } else { "Runtime.ExitError".into() },
                    message: format!("Runtime exited during init with error: {status}. Log: {}", environment.recent_log(5)),
                    posted: None,
                })
            }
            _ = tokio::time::sleep(INIT_TIMEOUT) => Err(StartError::Init {
                error_type: "Sandbox.Timedout".into(),
                message: format!("Init phase did not complete within {} seconds", INIT_TIMEOUT.as_secs()),
                posted: None,
            }),
        }
    }

    /// After the process exited: waits until its last lines of output are read (both pipes at
    /// their end), or 200 ms when a process it started still holds them open.
    async fn drain_output(&self) {
        let mut drained = self.drained.clone();
        let _ =
            tokio::time::timeout(Duration::from_millis(200), drained.wait_for(|n| *n >= 2)).await;
    }

    /// Whether the process is still running.
    pub fn is_alive(&self) -> bool {
        self.exited.borrow().is_none()
    }

    /// Takes the Init Duration if this is the environment's first invocation.
    pub fn take_init_duration(&self) -> Option<Duration> {
        self.init_duration
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// A position in the environment's output, for [`Environment::log_since`].
    pub fn log_mark(&self) -> usize {
        self.logs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines
            .len()
    }

    /// The output lines since `mark`.
    pub fn log_since(&self, mark: usize) -> Vec<String> {
        let logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        logs.lines
            .get(mark..)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    fn recent_log(&self, n: usize) -> String {
        let logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        logs.lines
            .iter()
            .rev()
            .take(n)
            .rev()
            .cloned()
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The environment's peak memory so far, MB.
    pub fn max_memory_used_mb(&self) -> u32 {
        self.limits.max_memory_used_mb(self.pid).unwrap_or(0)
    }

    /// Runs one invocation with `timeout`.
    pub async fn invoke(
        &self,
        request_id: &str,
        function_arn: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Ended {
        let (done_tx, done_rx) = oneshot::channel();
        let deadline_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64
            + timeout.as_millis() as u64;
        let delivery = Delivery {
            request_id: request_id.to_string(),
            payload,
            deadline_ms,
            function_arn: function_arn.to_string(),
            done: done_tx,
        };
        if self.next_tx.send(delivery).await.is_err() {
            return Ended::Exited {
                status: "the runtime API stopped".into(),
                oom: false,
            };
        }
        let mut exited = self.exited.clone();
        tokio::select! {
            outcome = done_rx => match outcome {
                Ok(o) => Ended::Answered(o),
                Err(_) => Ended::Exited { status: "the runtime API stopped".into(), oom: false },
            },
            status = exit_status(&mut exited) => {
                if self.killed_as_timeout.load(Ordering::SeqCst) {
                    return Ended::TimedOut;
                }
                self.drain_output().await;
                let oom = self.limits.oom_killed()
                    || self.log_since(0).iter().rev().take(5).any(|l| l.contains("memory allocation of") && l.contains("failed"));
                Ended::Exited { status, oom }
            }
            _ = tokio::time::sleep(timeout) => {
                self.kill();
                Ended::TimedOut
            }
        }
    }

    /// Kills the process mid-invocation; the invocation ends as a timeout would.
    pub fn kill_as_timeout(&self) {
        self.killed_as_timeout.store(true, Ordering::SeqCst);
        self.kill();
    }

    /// Kills every process of the environment (its process group).
    pub fn kill(&self) {
        if let Some(pid) = self.pid {
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
        }
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.kill();
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Lambda's environment variables, those of the function's runtime, then the function's own.
fn lambda_environment(
    resolved: &Resolved,
    launch: &Launch,
    api: SocketAddr,
    region: &str,
) -> Vec<(String, String)> {
    let c = &resolved.config;
    let mut vars: Vec<(String, String)> = vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), resolved.function.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            c.memory_size.to_string(),
        ),
        (
            "AWS_LAMBDA_FUNCTION_VERSION".into(),
            resolved.version.clone(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", resolved.function),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME".into(),
            "powertune/emulator".into(),
        ),
        ("AWS_LAMBDA_LOG_FORMAT".into(), c.log_format.clone()),
        ("AWS_REGION".into(), region.into()),
        ("AWS_DEFAULT_REGION".into(), region.into()),
        ("LAMBDA_TASK_ROOT".into(), c.code_dir.display().to_string()),
        ("_HANDLER".into(), c.handler.clone()),
        ("TZ".into(), ":UTC".into()),
        ("LANG".into(), "en_US.UTF-8".into()),
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
    ];
    // A function calling AWS gets credentials, as its execution role would give it: the
    // emulator's own, or placeholders.
    for (key, fallback) in [
        ("AWS_ACCESS_KEY_ID", Some("powertune")),
        ("AWS_SECRET_ACCESS_KEY", Some("powertune")),
        ("AWS_SESSION_TOKEN", None),
    ] {
        match (std::env::var(key), fallback) {
            (Ok(v), _) => vars.push((key.into(), v)),
            (Err(_), Some(f)) => vars.push((key.into(), f.into())),
            _ => {}
        }
    }
    vars.extend(launch.env.iter().cloned());
    vars.extend(c.environment.iter().map(|(k, v)| (k.clone(), v.clone())));
    vars
}

async fn collect<R: tokio::io::AsyncRead + Unpin>(
    reader: BufReader<R>,
    logs: Arc<std::sync::Mutex<LogLines>>,
) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        logs.lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines
            .push(line);
    }
}

/// Waits for the process to exit and describes how it did.
async fn exit_status(exited: &mut watch::Receiver<Option<String>>) -> String {
    match exited.wait_for(|s| s.is_some()).await {
        Ok(status) => status.clone().unwrap_or_default(),
        Err(_) => "unknown".into(),
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(libc::SIGKILL)) => "signal: killed".into(),
        (None, Some(libc::SIGABRT)) => "signal: aborted".into(),
        (None, Some(sig)) => format!("signal: {sig}"),
        _ => "unknown".into(),
    }
}

/// SIGSTOP/SIGCONT duty cycling of the whole process group, for hosts where no cgroup can be
/// made.
async fn duty_cycle(pid: u32, run: Duration, stop: Duration) {
    let group = -(pid as i32);
    loop {
        tokio::time::sleep(run).await;
        if unsafe { libc::kill(group, libc::SIGSTOP) } != 0 {
            return;
        }
        tokio::time::sleep(stop).await;
        if unsafe { libc::kill(group, libc::SIGCONT) } != 0 {
            return;
        }
    }
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

type Body = Full<Bytes>;

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

async fn serve_runtime_api(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| runtime_api(req, shared.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The Runtime API: <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>.
async fn runtime_api(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Ok(reply(StatusCode::NOT_FOUND, "unknown path"));
    };
    if rest == "invocation/next" {
        if let Some(tx) = shared.init.lock().unwrap_or_else(|e| e.into_inner()).take() {
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
        shared
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(d.request_id, (Instant::now(), d.done));
        return Ok(r);
    }
    if rest == "init/error" {
        let body = read_body(req).await;
        if let Some(tx) = shared.init.lock().unwrap_or_else(|e| e.into_inner()).take() {
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
        let Some((started, done)) = shared
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
        else {
            return Ok(reply(
                StatusCode::BAD_REQUEST,
                "{\"errorMessage\":\"unknown request id\",\"errorType\":\"InvalidRequestID\"}",
            ));
        };
        let duration = started.elapsed();
        let outcome = if kind == "response" {
            Outcome::Response { body, duration }
        } else {
            Outcome::Error { body, duration }
        };
        let _ = done.send(outcome);
        return Ok(reply(StatusCode::ACCEPTED, "{\"status\":\"OK\"}"));
    }
    Ok(reply(StatusCode::NOT_FOUND, "unknown path"))
}

/// A request's whole body; a body cut off midway counts as empty.
pub(crate) async fn read_body(req: Request<Incoming>) -> Bytes {
    req.into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}
