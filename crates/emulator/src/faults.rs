//! Fault injection (`POST /_powertune/faults`): what AWS does that a run must survive, on
//! demand: throttling, latency, failing operations, dropped connections, slow updates, pending
//! versions, killed steps, failed invocations. Plain data: the server and the invoke path apply
//! them, and [`crate::shared::State`] keeps their counters.

use crate::api::Operation;
use crate::error::ApiError;
use serde::Deserialize;
use std::collections::HashMap;

/// Faults to inject, set with `POST /_powertune/faults`. Setting them replaces the previous
/// ones and restarts their counters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Share of Invoke calls answered with 429 TooManyRequestsException (0..=1).
    #[serde(default)]
    pub throttle_share: f64,
    /// Throttle only these functions (by name); all of them when empty.
    #[serde(default)]
    pub throttle_functions: Vec<String>,
    /// Operation (Lambda's name, such as `UpdateFunctionConfiguration`) -> error code to answer
    /// with. An unknown operation name is refused when the faults are set.
    #[serde(default)]
    pub fail: HashMap<Operation, String>,
    /// Added to every API call.
    #[serde(default)]
    pub latency_ms: u64,
    /// Added to every call of these operations (on top of `latencyMs`): a control plane that
    /// answers at its real pace (Lambda allows about 15 control-plane requests per second).
    #[serde(default)]
    pub operation_latency_ms: HashMap<Operation, u64>,
    /// Share of control-plane calls (every operation but Invoke) answered with 429
    /// TooManyRequestsException (0..=1), as Lambda does past its control-plane request quota.
    #[serde(default)]
    pub control_plane_throttle_share: f64,
    /// Connections closed without an answer, as a reset or a NAT timeout does.
    #[serde(default)]
    pub drop_connections: Option<DropConnections>,
    /// How long an update stays `LastUpdateStatus: InProgress` (AWS: a few seconds); the
    /// emulator's own setting when absent.
    #[serde(default)]
    pub update_duration_ms: Option<u64>,
    /// How long a newly published version stays `State: Pending`; invoking it meanwhile
    /// answers 409 ResourceConflictException, as Lambda does for a function that is not Active.
    #[serde(default)]
    pub version_pending_ms: u64,
    /// The account's code storage quota, bytes (Lambda's default: 75 GB).
    #[serde(default)]
    pub code_storage_limit_bytes: Option<u64>,
    /// Kills one invocation of a function (a step, in the end-to-end suite) between two of the
    /// API calls it makes, as a timeout or an out-of-memory kill would. Fires once.
    #[serde(default)]
    pub kill_step: Option<KillStep>,
    /// Fails one invocation of a function with an error of the function's own. Fires once.
    #[serde(default)]
    pub fail_invocation: Option<FailInvocation>,
    /// Heavy-tailed noise on the functions' run times, for testing decisions under noise.
    #[serde(default)]
    pub duration_noise: Option<DurationNoise>,
    /// The next N Logs Insights `StartQuery` calls answer `LimitExceededException`, as Logs
    /// Insights does past its 30 concurrent queries per account.
    #[serde(default)]
    pub logs_limit_exceeded: u64,
}

impl Faults {
    /// Why these faults cannot be set, if they cannot.
    pub fn problem(&self) -> Option<String> {
        let shares = [
            ("throttleShare", self.throttle_share),
            (
                "controlPlaneThrottleShare",
                self.control_plane_throttle_share,
            ),
            (
                "dropConnections.share",
                self.drop_connections.as_ref().map_or(0.0, |d| d.share),
            ),
        ];
        shares
            .iter()
            .find(|(_, share)| !(0.0..=1.0).contains(share))
            .map(|(name, share)| format!("{name} must be from 0 to 1, not {share}"))
    }
}

/// `{"operations": [...], "functions": [...], "inARow": N, "share": S}`: requests of these
/// operations (about these functions, by name; all functions when empty) have their connection
/// closed without an answer: the next `inARow` of them, then a `share` of the rest. The AWS SDK
/// sees a dispatch failure.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DropConnections {
    /// The operations whose requests are dropped.
    pub operations: Vec<Operation>,
    /// Only requests about these functions (by name); all when empty.
    #[serde(default)]
    pub functions: Vec<String>,
    /// How many matching requests in a row are dropped first.
    #[serde(default)]
    pub in_a_row: u64,
    /// The share of matching requests dropped after those (0..=1).
    #[serde(default)]
    pub share: f64,
}

impl DropConnections {
    /// Whether a request of `operation` about `function` is one these faults aim at.
    pub(crate) fn aims_at(&self, operation: Operation, function: Option<&str>) -> bool {
        self.operations.contains(&operation)
            && (self.functions.is_empty()
                || function.is_some_and(|f| self.functions.iter().any(|g| g == f)))
    }
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

/// `{"function": NAME, "after": N}`: the invocation of NAME after its first N (from when the
/// faults are set) answers a function error (`X-Amz-Function-Error: Unhandled`, errorType
/// `InjectedFault`) without running, with a REPORT as Lambda writes one. Once.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailInvocation {
    /// The function (by name).
    pub function: String,
    /// How many of its invocations succeed first.
    #[serde(default)]
    pub after: u64,
}

/// The error an operation named in `fail` answers with.
pub(crate) fn fault_error(code: &str) -> ApiError {
    let (status, code): (u16, &'static str) = match code {
        "TooManyRequestsException" => (429, "TooManyRequestsException"),
        "ResourceNotFoundException" => (404, "ResourceNotFoundException"),
        "ResourceConflictException" => (409, "ResourceConflictException"),
        "InvalidParameterValueException" => (400, "InvalidParameterValueException"),
        "EC2ThrottledException" => (502, "EC2ThrottledException"),
        "ResourceNotReadyException" => (502, "ResourceNotReadyException"),
        _ => (500, "ServiceException"),
    };
    ApiError {
        status,
        code,
        message: format!("Injected fault: {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_name_operations_as_lambda_does_and_refuse_typos() {
        let f: Faults = serde_json::from_str(
            r#"{"fail": {"PublishVersion": "ServiceException"}, "dropConnections": {"operations": ["Invoke"], "functions": ["target"], "inARow": 3}}"#,
        )
        .unwrap();
        assert_eq!(f.fail[&Operation::PublishVersion], "ServiceException");
        let drop = f.drop_connections.unwrap();
        assert!(drop.aims_at(Operation::Invoke, Some("target")));
        assert!(!drop.aims_at(Operation::Invoke, Some("other")));
        assert!(!drop.aims_at(Operation::GetAlias, Some("target")));
        assert!(serde_json::from_str::<Faults>(r#"{"fail": {"Publish": "x"}}"#).is_err());
        let shares: Faults =
            serde_json::from_str(r#"{"dropConnections": {"operations": [], "share": 2}}"#).unwrap();
        assert!(shares.problem().unwrap().contains("dropConnections.share"));
    }

    #[test]
    fn duration_noise_is_log_normal_with_median_one_and_only_where_aimed() {
        let noise = DurationNoise {
            sigma: 0.5,
            functions: vec!["noisy".into()],
        };
        assert_eq!(noise.factor("quiet", 0.1, 0.3), 1.0);
        // A fixed xorshift sequence of uniform draws in (0, 1]: the same 20,000 factors each run.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut unit = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 11) + 1) as f64 / (1u64 << 53) as f64
        };
        let mut ln: Vec<f64> = (0..20_000)
            .map(|_| noise.factor("noisy", unit(), unit()).ln())
            .collect();
        let mean = ln.iter().sum::<f64>() / ln.len() as f64;
        let sd =
            (ln.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (ln.len() - 1) as f64).sqrt();
        ln.sort_by(f64::total_cmp);
        let median = ln[ln.len() / 2];
        // Standard errors for 20,000 draws: mean 0.0035, sd 0.0025, median 0.0044.
        assert!(mean.abs() < 0.02, "mean of ln: {mean}");
        assert!((sd - 0.5).abs() < 0.015, "sd of ln: {sd}");
        assert!(median.abs() < 0.02, "median of ln: {median}");
        // Normal, not uniform or bimodal: about 68.3% within one sigma.
        let within = ln.iter().filter(|v| v.abs() < 0.5).count() as f64 / ln.len() as f64;
        assert!(
            (within - 0.683).abs() < 0.02,
            "share within one sigma: {within}"
        );
        let everywhere = DurationNoise {
            sigma: 0.5,
            functions: vec![],
        };
        assert_ne!(everywhere.factor("any", 0.1, 0.3), 1.0);
    }
}
