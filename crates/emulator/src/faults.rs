//! Fault injection (`POST /_powertune/faults`): what AWS does that a run must survive, on
//! demand: throttling, latency, failing operations, pending versions, killed steps.

use crate::environment::Environment;
use crate::error::ApiError;
use crate::state::State;
use crate::sync::lock;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

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
    /// Heavy-tailed noise on the functions' run times, for testing decisions under noise.
    #[serde(default)]
    pub duration_noise: Option<DurationNoise>,
}

/// `{"sigma": S, "functions": [NAME, ...]}`: every invocation's Duration (and so its Billed
/// Duration) is multiplied by exp(S x Z), Z a standard normal draw: log-normal jitter with a
/// median of 1 and a long right tail, as a shared host or a slow dependency gives. Only the
/// REPORT changes; the invocation is not delayed. All functions when `functions` is empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DurationNoise {
    /// The standard deviation of the factor's logarithm: with 0.5, about 68% of the factors
    /// fall between exp(-0.5) = 0.61 and exp(0.5) = 1.65, and one in 40 is above 2.7.
    pub sigma: f64,
    /// The functions (by name) whose invocations get noise; all when empty.
    #[serde(default)]
    pub functions: Vec<String>,
}

impl DurationNoise {
    /// The factor for one invocation of `function` from two uniform draws in (0, 1], or 1 when
    /// the noise is not aimed at it.
    pub(crate) fn factor(&self, function: &str, u1: f64, u2: f64) -> f64 {
        if !(self.functions.is_empty() || self.functions.iter().any(|f| f == function)) {
            return 1.0;
        }
        // Box-Muller: a standard normal draw from two uniform ones.
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        (self.sigma * z).exp()
    }
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

/// The error an operation named in `fail` answers with.
pub(crate) fn fault_error(code: &str) -> ApiError {
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

impl State {
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
}
