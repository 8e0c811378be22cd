//! What the emulator's handlers share: the control plane, the environment pools, the runtimes,
//! the faults in force, and counters.

use crate::api::Operation;
use crate::control::parse_function_ref;
use crate::control::ControlPlane;
use crate::environment::Environment;
use crate::error::ApiError;
use crate::faults::{Faults, KillStep};
use crate::languages::{Prepared, Runtime, Runtimes};
use crate::limits::Limits;
use crate::sync::lock;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// One execution environment of a version on Lambda Managed Instances, and the requests it
/// serves now (invoke::invoke_managed takes and gives back its slots).
pub(crate) struct ManagedEnvironment {
    pub(crate) env: Arc<Environment>,
    pub(crate) in_flight: std::sync::atomic::AtomicU32,
}

/// Everything the HTTP handlers share.
pub struct State {
    /// The account's functions.
    pub control: Mutex<ControlPlane>,
    /// How environments are limited.
    pub limits: Limits,
    /// The CPU an on-demand Init phase gets.
    pub init_cpu: crate::environment::InitCpu,
    /// Whole vCPUs that Init phases may use at once: half the host's cores, at least one. On
    /// Lambda no environment shares its CPU; here a boosted Init takes a full vCPU, and several
    /// at once on a small host would slow each other (and the invocations running beside
    /// them). An Init waits for its vCPUs before it starts, so its Init Duration does not
    /// count the wait.
    pub(crate) init_gate: tokio::sync::Semaphore,
    /// The managed runtimes, prepared once.
    pub runtimes: Arc<Runtimes>,
    /// Where notices go.
    pub notice: Notice,
    /// Idle environments by pool key.
    pub pool: Mutex<HashMap<String, Vec<Arc<Environment>>>>,
    /// The one environment of each version on Lambda Managed Instances, by pool key.
    pub(crate) managed: Mutex<HashMap<String, Arc<ManagedEnvironment>>>,
    /// The EC2 prices the Price List API answers with (`POST /_powertune/prices`).
    pub(crate) prices: Mutex<Vec<crate::price_list::InstancePrice>>,
    /// Held while such an environment starts, so that concurrent first requests start one.
    pub(crate) managed_start: tokio::sync::Mutex<()>,
    /// The faults to inject.
    pub faults: Mutex<Faults>,
    /// Where zipped code is unpacked.
    pub code_root: PathBuf,
    /// The region in ARNs.
    pub region: String,
    /// Invocations per function name (all versions), for tests and `GET /_powertune/status`.
    pub invocations: Mutex<std::collections::BTreeMap<String, u64>>,
    /// The functions' log groups, for CloudWatch Logs Insights.
    pub(crate) logs: Mutex<crate::cloudwatch_logs::Logs>,
    /// Environments running an invocation, by function name (what `killStep` kills).
    pub(crate) running: Mutex<HashMap<String, Vec<Arc<Environment>>>>,
    /// API calls made while the `killStep` function was running.
    pub(crate) kill_step_calls: AtomicU64,
    /// Requests `dropConnections` aimed at so far.
    pub(crate) drop_calls: AtomicU64,
    /// Invocations of the `failInvocation` function so far.
    pub(crate) fail_invocation_calls: AtomicU64,
    /// `StartQuery` calls answered `LimitExceededException` so far (`logsLimitExceeded`).
    pub(crate) logs_limit_calls: AtomicU64,
    pub(crate) counter: AtomicU64,
}

/// The whole vCPUs Init phases may use at once on a host of `cores`.
pub(crate) fn init_vcpus(cores: usize) -> usize {
    (cores / 2).max(1)
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
        let limits_cores = limits.host_cores;
        State {
            control: Mutex::new(control),
            limits,
            init_cpu: Default::default(),
            init_gate: tokio::sync::Semaphore::new(init_vcpus(limits_cores)),
            runtimes: Arc::new(runtimes),
            notice,
            pool: Mutex::new(HashMap::new()),
            managed: Mutex::new(HashMap::new()),
            prices: Mutex::new(Vec::new()),
            managed_start: tokio::sync::Mutex::new(()),
            faults: Mutex::new(Faults::default()),
            code_root,
            region,
            invocations: Mutex::new(Default::default()),
            logs: Mutex::new(Default::default()),
            running: Mutex::new(HashMap::new()),
            kill_step_calls: AtomicU64::new(0),
            drop_calls: AtomicU64::new(0),
            fail_invocation_calls: AtomicU64::new(0),
            logs_limit_calls: AtomicU64::new(0),
            counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn control(&self) -> std::sync::MutexGuard<'_, ControlPlane> {
        lock(&self.control)
    }

    /// The faults in force, as one request sees them.
    pub(crate) fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    /// Replaces the faults and restarts their counters.
    pub(crate) fn set_faults(&self, faults: Faults) {
        let mut current = lock(&self.faults);
        self.kill_step_calls.store(0, Ordering::SeqCst);
        self.drop_calls.store(0, Ordering::SeqCst);
        self.fail_invocation_calls.store(0, Ordering::SeqCst);
        self.logs_limit_calls.store(0, Ordering::SeqCst);
        *current = faults;
    }

    /// How long an update stays in progress: the faults' `updateDurationMs`, or the emulator's
    /// setting.
    pub(crate) fn update_duration(&self, faults: &Faults) -> Duration {
        faults
            .update_duration_ms
            .map(Duration::from_millis)
            .unwrap_or_else(|| self.control().update_delay)
    }

    /// Whether `dropConnections` closes this request's connection (`function`: the name the
    /// path gives, if any).
    pub(crate) fn drops(
        &self,
        faults: &Faults,
        operation: Operation,
        function: Option<&str>,
    ) -> bool {
        let Some(drop) = &faults.drop_connections else {
            return false;
        };
        let name = function
            .and_then(|f| parse_function_ref(f).ok())
            .map(|(n, _)| n);
        if !drop.aims_at(operation, name.as_deref()) {
            return false;
        }
        let seen = self.drop_calls.fetch_add(1, Ordering::SeqCst);
        seen < drop.in_a_row || (drop.share > 0.0 && self.chance() < drop.share)
    }

    /// Whether `failInvocation` fails this invocation of `function`.
    pub(crate) fn fails_invocation(&self, faults: &Faults, function: &str) -> bool {
        let Some(fail) = faults
            .fail_invocation
            .as_ref()
            .filter(|f| f.function == function)
        else {
            return false;
        };
        self.fail_invocation_calls.fetch_add(1, Ordering::SeqCst) == fail.after
    }

    /// Counts an API call against `killStep`; when it is one call too many, kills the running
    /// invocation of that function and clears the fault. Returns whether it killed.
    pub(crate) fn kill_step_if_due(&self, kill: Option<&KillStep>) -> bool {
        let Some(kill) = kill else {
            return false;
        };
        let victims: Vec<Arc<Environment>> = lock(&self.running)
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
        lock(&self.faults).kill_step = None;
        self.kill_step_calls.store(0, Ordering::SeqCst);
        for env in victims {
            env.kill_as_timeout();
        }
        true
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
    /// Keeps `env` as the LMI environment under `key` (its version's), with no request in
    /// flight; the one it replaces, if any, is dropped (and killed).
    pub(crate) fn keep_managed(
        &self,
        key: String,
        env: Arc<Environment>,
    ) -> Arc<ManagedEnvironment> {
        let managed = Arc::new(ManagedEnvironment {
            env,
            in_flight: std::sync::atomic::AtomicU32::new(0),
        });
        lock(&self.managed).insert(key, managed.clone());
        managed
    }

    /// Drops (and so kills) the environments of `function`, or of one of its versions.
    pub(crate) fn drop_environments(&self, function: &str, version: Option<&str>) {
        let prefix = match version {
            Some(v) => format!("{function}:{v}:"),
            None => format!("{function}:"),
        };
        lock(&self.pool).retain(|k, _| !k.starts_with(&prefix));
        lock(&self.managed).retain(|k, _| !k.starts_with(&prefix));
    }
}
