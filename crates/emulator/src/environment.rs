//! Execution environments: one process group (the function's `bootstrap`, or an interpreter
//! running Lambda's runtime interface client), under its power limits, talking to a Runtime API
//! of its own (`AWS_LAMBDA_RUNTIME_API`), as Lambda runs them.

use crate::control::Resolved;
use crate::languages::Launch;
use crate::limits::{EnvironmentLimits, Limits};
pub use crate::runtime_api::RuntimeAnswer;
use crate::runtime_api::{self, error_fields, Delivery, Init};
use crate::sync::lock;
use bytes::Bytes;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

/// How long an environment may take to ask for its first event (Lambda's init limit).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The CPU an on-demand environment's Init phase gets. The documentation says nothing of it;
/// the measurements say Init runs faster than the memory's share:
///
/// - Datadog's Lambda extension (2025): "During the normal initialization phase of a Lambda
///   function, AWS boosts the amount of CPU resources to 1vCPU, equivalent to setting the
///   function configuration to 1769mb RAM", confirmed with AWS, while a suppressed init (one
///   redone inside an invocation after a timeout or a crash) gets the memory's share and the
///   function's timeout (DataDog/datadog-lambda-extension#191, 2025-02); a 128 MB function's
///   on-demand Init and a provisioned one's (no boost) differ until 1769 MB, where they are
///   equal (DataDog/datadog-lambda-extension#700, 2025-06).
/// - Bite-Sized Serverless (2022): the Init phase "gets two unthrottled vCPUs, even at the
///   lowest memory configurations".
///
/// The newest evidence, one vCPU, is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitCpu {
    /// At least one vCPU (the memory's share above 1769 MB).
    #[default]
    Boosted,
    /// The memory's share, as the invocations get.
    Share,
}

impl std::str::FromStr for InitCpu {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "boosted" => Ok(InitCpu::Boosted),
            "share" => Ok(InitCpu::Share),
            _ => Err(format!(
                "{s:?} is not an Init CPU setting: \"boosted\" (at least one vCPU, the default) or \"share\" (the memory's share)"
            )),
        }
    }
}

/// How one Init phase runs.
#[derive(Debug, Clone, Copy)]
pub struct InitPhase {
    /// The vCPUs it gets.
    pub vcpus: f64,
    /// How long it may take.
    pub limit: Duration,
}

impl InitPhase {
    /// An environment started for an invocation: [`INIT_TIMEOUT`], with `cpu`'s vCPUs.
    pub fn on_demand(cpu: InitCpu, memory_mb: u32, host_cores: usize) -> InitPhase {
        let share = crate::limits::vcpus(memory_mb, host_cores);
        InitPhase {
            vcpus: match cpu {
                InitCpu::Boosted => share.max(1.0),
                InitCpu::Share => share,
            },
            limit: INIT_TIMEOUT,
        }
    }

    /// Init redone inside an invocation after the on-demand one ran out of time: the memory's
    /// share, within the function's timeout ("Lambda retries the Init phase at the time of the
    /// first function invocation with the configured function timeout", Lambda Developer
    /// Guide, "Understanding the Lambda execution environment lifecycle").
    pub fn suppressed(memory_mb: u32, host_cores: usize, timeout: Duration) -> InitPhase {
        InitPhase {
            vcpus: crate::limits::vcpus(memory_mb, host_cores),
            limit: timeout,
        }
    }
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
    Answered(RuntimeAnswer),
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
    /// Init did not finish within its limit; the process was killed.
    TimedOut {
        /// The limit.
        after: Duration,
    },
    /// The process or its Runtime API could not be started.
    Io(std::io::Error),
}

impl Environment {
    /// Starts `launch` for `resolved` and waits until it asks for its first event, within
    /// `init`'s limit and with its vCPUs; then the environment gets its memory's share.
    pub async fn start(
        resolved: &Resolved,
        launch: &Launch,
        limits: &Limits,
        region: &str,
        init: InitPhase,
    ) -> Result<Arc<Environment>, StartError> {
        let id = format!(
            "{}-{}",
            std::process::id(),
            ENV_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let memory_mb = resolved.config.memory_size;
        let env_limits = limits
            .for_environment(&id, memory_mb, init.vcpus)
            .map_err(StartError::Io)?;
        let runtime_api = runtime_api::start().await.map_err(StartError::Io)?;
        let (api, next_tx, init_rx) = (runtime_api.addr, runtime_api.next, runtime_api.init);
        let mut tasks = vec![runtime_api.task];

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
        if let Some(pid) = pid {
            live().insert(pid);
        }

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
        if let (true, Some(pid)) = (env_limits.needs_duty_cycle(), pid) {
            tasks.push(tokio::spawn(duty_cycle(pid, env_limits.shared_vcpus())));
        }

        let environment = Environment {
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
                    *lock(&environment.init_duration) = Some(at.duration_since(started));
                    let share = match &resolved.config.managed {
                        Some(m) => m.vcpus(memory_mb),
                        None => crate::limits::vcpus(memory_mb, limits.host_cores),
                    };
                    environment.limits.set_vcpus(share).map_err(StartError::Io)?;
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
            _ = tokio::time::sleep(init.limit) => {
                environment.kill();
                Err(StartError::TimedOut { after: init.limit })
            }
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
        lock(&self.init_duration).take()
    }

    /// A position in the environment's output, for [`Environment::log_since`].
    pub fn log_mark(&self) -> usize {
        lock(&self.logs).lines.len()
    }

    /// The output lines since `mark`.
    pub fn log_since(&self, mark: usize) -> Vec<String> {
        let logs = lock(&self.logs);
        logs.lines
            .get(mark..)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    fn recent_log(&self, n: usize) -> String {
        let logs = lock(&self.logs);
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

    /// Runs one invocation with `timeout`. An on-demand environment is killed when it runs
    /// out of time; one on Lambda Managed Instances is not (`keep_on_timeout`): "Lambda Managed
    /// Instances does not enforce timeouts, your code continues to run", and the environment's
    /// other invocations go on (Lambda Developer Guide, "Understanding the Lambda Managed
    /// Instances execution environment").
    pub async fn invoke(
        &self,
        request_id: &str,
        function_arn: &str,
        payload: Bytes,
        timeout: Duration,
        keep_on_timeout: bool,
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
                if !keep_on_timeout {
                    self.kill();
                }
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
            // SAFETY: kill(2) takes plain integers and touches no memory of ours; the group is
            // the one this environment's process leads (spawned with process_group(0)), and a
            // group already gone is only an ESRCH we need not act on.
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
        }
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.kill();
        if let Some(pid) = self.pid {
            live().remove(&pid);
        }
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The process groups of every environment of this process's emulators that has not been
/// dropped: each leads its own group (a terminal's Ctrl-C does not reach it), so a process
/// that exits without dropping its emulator stops them with [`stop_all`].
fn live() -> std::sync::MutexGuard<'static, std::collections::BTreeSet<u32>> {
    static LIVE: std::sync::Mutex<std::collections::BTreeSet<u32>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Kills every environment's process group now: for a process about to exit on a signal,
/// whose emulators are not dropped (an environment left running outlives it; a Lambda Managed
/// Instances runtime client retries the gone Runtime API in a loop).
pub fn stop_all() {
    for pid in std::mem::take(&mut *live()) {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours; each is the
        // group an environment's process leads (spawned with process_group(0)), and a group
        // already gone is only an ESRCH.
        unsafe {
            libc::kill(-(pid as i32), libc::SIGKILL);
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
    // Lambda Managed Instances: the runtime serves this many requests at once (the variable
    // Lambda's runtime interface clients read: awslambdaric 4.x, lambda_runtime's
    // `run_concurrent`).
    if let Some(m) = &c.managed {
        vars.push((
            "AWS_LAMBDA_MAX_CONCURRENCY".into(),
            m.concurrency(&c.runtime, c.memory_size).to_string(),
        ));
        // Node.js spreads them over a worker thread per vCPU (our entry into its client reads
        // this; languages/node-entry.mjs).
        if matches!(c.runtime, crate::languages::Runtime::Node { .. }) {
            vars.push((
                "POWERTUNE_NODE_WORKERS".into(),
                (m.vcpus(c.memory_size).ceil() as u32).max(1).to_string(),
            ));
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
        lock(&logs).lines.push(line);
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
/// made, at the share `vcpus` holds each period (an f64's bits: a boosted Init ends).
async fn duty_cycle(pid: u32, vcpus: Arc<AtomicU64>) {
    let group = -(pid as i32);
    loop {
        let Some((run, stop)) =
            crate::limits::duty_cycle(f64::from_bits(vcpus.load(Ordering::Relaxed)))
        else {
            tokio::time::sleep(crate::limits::PERIOD).await;
            continue;
        };
        tokio::time::sleep(run).await;
        // SAFETY (both calls): kill(2) takes plain integers and touches no memory of ours; a
        // failure (the group has exited) ends the duty cycle.
        if unsafe { libc::kill(group, libc::SIGSTOP) } != 0 {
            return;
        }
        tokio::time::sleep(stop).await;
        if unsafe { libc::kill(group, libc::SIGCONT) } != 0 {
            return;
        }
    }
}
