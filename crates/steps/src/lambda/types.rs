//! What the Lambda calls take and give, as the steps name it.

use aws_sdk_lambda::types::State;
use powertune_core::pricing::Architecture;
use std::time::Duration;

/// How long to wait for a function or version to settle, and how often to look; and how long to
/// pause before retrying a throttled invoke.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// How often to look.
    pub poll: Duration,
    /// How long to wait at most.
    pub timeout: Duration,
    /// Kept free before the step's own deadline: a wait gives up this long before the step
    /// would be killed, so it fails with `PowerTuning.WaitTimedOut`, which the state machine
    /// retries, instead of dying mid-call.
    pub margin: Duration,
    /// The pause before the first retry of a throttled invoke; it doubles with each retry, up
    /// to 20 s, and each pause is drawn below it (full jitter).
    pub throttle_backoff: Duration,
}

impl Default for Waits {
    /// Lambda's own waiters poll about every second; updates usually settle in a few seconds, a
    /// SnapStart version can take minutes.
    fn default() -> Self {
        Waits {
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(600),
            margin: Duration::from_secs(5),
            throttle_backoff: Duration::from_millis(100),
        }
    }
}

/// The `$LATEST` configuration the steps care about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FunctionConfig {
    /// The unqualified ARN.
    pub function_arn: String,
    /// `MemorySize`, MB.
    pub memory_size: u32,
    /// `Description`.
    pub description: String,
    /// The first of `Architectures`.
    pub architecture: Architecture,
    /// Whether SnapStart applies to published versions.
    pub snap_start: bool,
    /// `EphemeralStorage.Size`, MB (512 when Lambda gives none): above 512 MB it is charged.
    pub ephemeral_storage_mb: u32,
    /// `Timeout`, seconds, when Lambda gives it.
    pub timeout_s: Option<u32>,
    /// Whether an update is still in progress.
    pub last_update_in_progress: bool,
    /// `State` (Active when Lambda gives none).
    pub state: State,
    /// `StateReason`, when Lambda gives one.
    pub state_reason: Option<String>,
    /// `CodeSize`, bytes: what each published version adds to the account's code storage.
    pub code_size: u64,
    /// `LoggingConfig.LogFormat` is JSON.
    pub json_logs: bool,
    /// `LoggingConfig.SystemLogLevel`, when Lambda gives one (JSON format only).
    pub system_log_level: Option<String>,
    /// `Runtime`, when Lambda gives one (a container image has none).
    pub runtime: Option<String>,
    /// `CapacityProviderConfig`: the function runs on Lambda Managed Instances.
    pub managed: Option<crate::events::ManagedPlacement>,
    /// The log group it writes to (`LoggingConfig.LogGroup`, else `/aws/lambda/NAME`).
    pub log_group: String,
}

impl FunctionConfig {
    /// Whether Lambda would refuse an update or publish now: an update in progress, or the
    /// function `Pending` (Lambda: "any invocations or other API actions that operate on the
    /// function will fail" while Pending).
    pub fn busy(&self) -> bool {
        self.last_update_in_progress || self.state == State::Pending
    }
}

/// The account's code storage, from GetAccountSettings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeStorage {
    /// `AccountLimit.TotalCodeSize`, bytes (75 GB by default).
    pub limit: u64,
    /// `AccountUsage.TotalCodeSize`, bytes.
    pub used: u64,
}

/// What one invocation returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// Lambda's request ID, when it gave one.
    pub request_id: Option<String>,
    /// `X-Amz-Function-Error`: set when the function failed.
    pub function_error: Option<String>,
    /// The decoded log tail (`LogType=Tail`), when Lambda returned one.
    pub log_tail: Option<String>,
    /// The function's response.
    pub payload: Vec<u8>,
}

/// A version as `ListVersionsByFunction` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    /// The version number.
    pub version: String,
    /// Its description.
    pub description: String,
}
