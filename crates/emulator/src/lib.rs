//! powertune-emulator: a local AWS Lambda service. Its control plane and Invoke speak Lambda's
//! HTTP API, so the AWS SDK and the aws CLI use it unmodified (`AWS_ENDPOINT_URL_LAMBDA`); its
//! execution environments run a function's real `bootstrap`, or its Python or Node.js handler
//! on Lambda's own runtime interface client, against the Runtime API, with the CPU share and
//! memory Lambda would give each memory size.
//!
//! # How a request goes through it
//!
//! [`Emulator::start`] listens on one port. Each request is routed (`api`: method and path to an
//! [`Operation`] with its path parameters), the [`Faults`] in force are applied (latency, a killed
//! caller, a dropped connection, a failing or throttled operation), and one handler per
//! operation answers (`server`). The control plane (`control/`: functions, versions, aliases,
//! concurrency, function states) is plain data under a lock; Invoke (`invoke`) takes a warm
//! environment of the version or starts one (`environment`: a process group under `limits`,
//! cgroup quotas or signals), hands it the event over the Runtime API (`runtime_api`) and
//! returns the response with the REPORT and log tail Lambda writes (`log_tail`). `languages`
//! prepares Python and Node.js on Lambda's own interface clients, once per machine;
//! `cloudwatch_logs` keeps every function's log group and answers Logs Insights; `shared` is
//! what the handlers share.
//!
//! The public surface is what the CLI and tests use: [`Emulator`] and its [`Config`], the
//! [`Faults`] (also JSON at `POST /_powertune/faults`), and the runtimes' names.

#![warn(missing_docs)]

mod api;
mod cloudwatch_logs;
mod code;
mod control;
mod environment;
mod error;
mod faults;
mod http;
mod invoke;
mod languages;
mod limits;
mod log_tail;
pub mod price_list;
mod requests;
mod runtime_api;
mod server;
mod shared;
mod sync;

use crate::sync::lock;
pub use api::Operation;
pub use code::LOCAL_BUCKET;
use control::ControlPlane;
pub use environment::{stop_all as stop_all_environments, InitCpu};
pub use faults::{DropConnections, DurationNoise, FailInvocation, Faults, KillStep};
use languages::Runtimes;
pub use languages::{on_this_host, Runtime};
use limits::Limits;
pub use limits::{vcpus, Mode};
pub use shared::Notice;
use shared::State;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// The region in the ARNs the emulator hands out.
    pub region: String,
    /// How long `LastUpdateStatus` stays `InProgress` after an update.
    pub update_delay: Duration,
    /// Where unzipped code goes.
    pub code_root: PathBuf,
    /// Where the managed runtimes' interface clients are installed, once per machine.
    pub runtime_cache: PathBuf,
    /// Hears what takes long and what is worth a warning.
    pub notice: Notice,
    /// The CPU an on-demand Init phase gets ([`InitCpu`]; by default at least one vCPU).
    pub init_cpu: InitCpu,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region: "us-east-1".into(),
            update_delay: Duration::from_millis(100),
            code_root: std::env::temp_dir()
                .join(format!("powertune-emulator-{}", std::process::id())),
            runtime_cache: languages::default_cache_dir(),
            notice: Notice::default(),
            init_cpu: InitCpu::default(),
        }
    }
}

/// A running emulator. Dropping it stops the server and kills every environment.
pub struct Emulator {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl Emulator {
    /// Starts the emulator on `bind` (port 0 picks a free port).
    pub async fn start(config: Config, bind: SocketAddr) -> std::io::Result<Emulator> {
        std::fs::create_dir_all(&config.code_root)?;
        let limits = Limits::detect();
        let mut state = State::new(
            ControlPlane::new(config.region.clone(), config.update_delay),
            limits,
            config.code_root,
            Runtimes::new(config.runtime_cache),
            config.notice,
        );
        state.init_cpu = config.init_cpu;
        let state = Arc::new(state);
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let serving = state.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = http::serve(listener, move |req| server::handle(req, serving.clone())) => {}
                _ = stopped.changed() => {}
            }
        });
        Ok(Emulator { addr, state, stop })
    }

    /// The endpoint URL for `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How this host enforces power limits.
    pub fn limits_mode(&self) -> Mode {
        self.state.limits.mode
    }

    /// The host's cores: the most vCPUs an environment gets here.
    pub fn host_cores(&self) -> usize {
        self.state.limits.host_cores
    }

    /// Sets the faults to inject (as `POST /_powertune/faults` does).
    pub fn set_faults(&self, faults: faults::Faults) {
        self.state.set_faults(faults);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        // Every environment's process group dies with it: the on-demand ones and those of
        // Lambda Managed Instances (whose runtime clients would retry the gone Runtime API).
        lock(&self.state.pool).clear();
        lock(&self.state.managed).clear();
    }
}
