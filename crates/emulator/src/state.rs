//! What the emulator's handlers share: the control plane, the environment pools, the runtimes,
//! the faults in force, and counters.

use crate::control::ControlPlane;
use crate::environment::Environment;
use crate::error::ApiError;
use crate::faults::Faults;
use crate::limits::Limits;
use crate::runtimes::{Prepared, Runtime, Runtimes};
use crate::sync::lock;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    pub(crate) running: Mutex<HashMap<String, Vec<Arc<Environment>>>>,
    /// API calls made while the `killStep` function was running.
    pub(crate) kill_step_calls: AtomicU64,
    pub(crate) counter: AtomicU64,
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

    pub(crate) fn control(&self) -> std::sync::MutexGuard<'_, ControlPlane> {
        lock(&self.control)
    }

    /// The runtime, prepared (off the async threads: a first preparation installs packages).
    pub(crate) async fn prepare(&self, runtime: &Runtime) -> Result<Arc<Prepared>, ApiError> {
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
    pub(crate) fn random(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (n, std::time::SystemTime::now(), std::process::id()).hash(&mut h);
        h.finish()
    }

    pub(crate) fn request_id(&self) -> String {
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

    /// A draw in (0, 1], for noise that takes a logarithm of it.
    pub(crate) fn unit(&self) -> f64 {
        ((self.random() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// A draw in [0, 1) for fault shares.
    pub(crate) fn chance(&self) -> f64 {
        (self.random() % 1_000_000) as f64 / 1_000_000.0
    }

    pub(crate) fn set_running(&self, function: &str, env: &Arc<Environment>, running: bool) {
        let mut map = lock(&self.running);
        let list = map.entry(function.to_string()).or_default();
        if running {
            list.push(env.clone());
        } else {
            list.retain(|e| !Arc::ptr_eq(e, env));
        }
    }

    /// Drops the idle environments of a function (after it or a version is deleted).
    pub(crate) fn drop_environments(&self, function: &str) {
        let prefix = format!("{function}:");
        lock(&self.pool).retain(|k, _| !k.starts_with(&prefix));
    }
}
