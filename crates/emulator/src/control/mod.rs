//! The control plane: functions, their `$LATEST` configuration, published versions and aliases,
//! concurrency, with Lambda's rules and error codes. No I/O here; the HTTP layer turns requests
//! into calls. Versions, aliases, concurrency settings and the configuration document each have
//! a module of their own.

mod aliases;
mod concurrency;
pub use concurrency::DEFAULT_CODE_STORAGE_BYTES;
mod json;
#[cfg(test)]
mod tests;
mod versions;

use crate::error::{ApiError, ApiResult};
use crate::languages::Runtime;
use crate::requests;
use json::timestamp;
use serde_json::json;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The account in every ARN.
pub const ACCOUNT: &str = "123456789012";

/// The part of a function's configuration a version freezes.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `MemorySize`, MB.
    pub memory_size: u32,
    /// `Timeout`, seconds.
    pub timeout: u32,
    /// `Description`.
    pub description: String,
    /// `Environment.Variables`.
    pub environment: BTreeMap<String, String>,
    /// `Handler`.
    pub handler: String,
    /// `Runtime`.
    pub runtime: Runtime,
    /// `Role`.
    pub role: String,
    /// The first of `Architectures`.
    pub architecture: String,
    /// `Text` or `JSON`.
    pub log_format: String,
    /// `LoggingConfig.SystemLogLevel` (`DEBUG`, `INFO` or `WARN`; JSON format only). Above INFO,
    /// Lambda drops the `platform.start` and `platform.report` records ("Log-level filtering",
    /// Lambda developer guide): no REPORT to read a duration from.
    pub system_log_level: String,
    /// `LoggingConfig.ApplicationLogLevel` (JSON format only).
    pub application_log_level: String,
    /// `LoggingConfig.LogGroup` when the user set one; `/aws/lambda/NAME` otherwise.
    pub log_group: Option<String>,
    /// The function's code: a directory holding `bootstrap`, or the handler's modules.
    pub code_dir: PathBuf,
    /// `CodeSha256`.
    pub code_sha256: String,
    /// `CodeSize`, bytes.
    pub code_size: u64,
    /// `CapacityProviderConfig`: the function runs on Lambda Managed Instances.
    pub managed: Option<Managed>,
}

/// A function on Lambda Managed Instances: its environments serve several requests at once, on
/// vCPUs of their own (memory / `gib_per_vcpu`), and are started before they are invoked.
#[derive(Debug, Clone, PartialEq)]
pub struct Managed {
    /// `CapacityProviderArn`.
    pub capacity_provider_arn: String,
    /// `ExecutionEnvironmentMemoryGiBPerVCpu`.
    pub gib_per_vcpu: f64,
    /// `PerExecutionEnvironmentMaxConcurrency`, when set.
    pub max_concurrency: Option<u32>,
}

/// The memory per vCPU when a function does not set it. The API reference gives no default;
/// LMI's smallest function is "2GB and 1 vCPU" (Lambda Developer Guide, "Best practices for
/// Lambda Managed Instances"), that is 2 GiB per vCPU.
pub const DEFAULT_GIB_PER_VCPU: f64 = 2.0;

impl Managed {
    /// An environment's vCPUs at `memory_mb`.
    pub fn vcpus(&self, memory_mb: u32) -> f64 {
        f64::from(memory_mb) / 1024.0 / self.gib_per_vcpu
    }

    /// The requests one environment serves at once: as set, or the runtime's default per vCPU
    /// (Lambda Developer Guide: Python 16, Node.js 64, Rust on provided.al2023 8; the pages of
    /// each runtime for Lambda Managed Instances).
    pub fn concurrency(&self, runtime: &Runtime, memory_mb: u32) -> u32 {
        self.max_concurrency.unwrap_or_else(|| {
            let per_vcpu = match runtime {
                Runtime::Python { .. } => 16.0,
                Runtime::Node { .. } => 64.0,
                Runtime::Provided(_) => 8.0,
            };
            (per_vcpu * self.vcpus(memory_mb)).round().max(1.0) as u32
        })
    }
}

#[derive(Debug, Clone)]
/// A published version.
pub struct Version {
    /// Its number.
    pub number: u32,
    /// The configuration it froze.
    pub config: Config,
    /// When it was published.
    pub last_modified: String,
    /// Until when the version is `State: Pending` (Lambda: not invocable until `Active`).
    pub pending_until: Option<Instant>,
    /// Lambda Managed Instances: the version's environment is starting (Pending until it has).
    pub starting: bool,
    /// Lambda Managed Instances: the version's environment could not start (`State: Failed`,
    /// with this as its `StateReason`).
    pub failed: Option<String>,
}

impl Version {
    fn pending(&self, now: Instant) -> bool {
        self.starting || self.pending_until.is_some_and(|t| now < t)
    }
}

#[derive(Debug, Clone)]
/// An alias.
pub struct Alias {
    /// Its name.
    pub name: String,
    /// The version it points at.
    pub version: String,
    /// Its description.
    pub description: String,
    /// Its revision, bumped by every update.
    pub revision: u64,
}

#[derive(Debug, Clone)]
/// A function: `$LATEST`, its versions and its aliases.
pub struct Function {
    /// Its name.
    pub name: String,
    /// `$LATEST`'s configuration.
    pub latest: Config,
    /// When `$LATEST` last changed.
    pub last_modified: String,
    /// When an in-progress update becomes `Successful`.
    pub update_done_at: Option<Instant>,
    /// Published versions by number.
    pub versions: BTreeMap<u32, Version>,
    /// Aliases by name.
    pub aliases: BTreeMap<String, Alias>,
    /// The number the next published version gets.
    pub next_version: u32,
    /// `$LATEST`'s revision, bumped by every update.
    pub revision: u64,
    /// Reserved concurrency (`PutFunctionConcurrency`); `Some(0)` means it cannot be invoked.
    pub reserved_concurrency: Option<u32>,
    /// Provisioned concurrency by qualifier (an alias or a version).
    pub provisioned: BTreeMap<String, u32>,
    /// `State`, as Lambda's "Lambda function states" describes it.
    pub state: FunctionState,
}

/// A function's `State` (Lambda developer guide, "Lambda function states").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionState {
    /// Ready: invocations and updates work.
    Active,
    /// Lambda is creating or restoring its resources until `until`: every invocation and every
    /// other API action that operates on the function fails with 409.
    Pending {
        /// When it becomes `Active`.
        until: Instant,
        /// `StateReasonCode`: `Creating`, or `Restoring` after being Inactive.
        reason_code: &'static str,
    },
    /// Idle long enough for Lambda to reclaim its resources. An invocation fails and starts
    /// restoring them (Pending); an update is accepted and restores them too.
    Inactive,
}

impl FunctionState {
    /// The state at `now`: a Pending that has run its time is Active.
    pub fn at(self, now: Instant) -> FunctionState {
        match self {
            FunctionState::Pending { until, .. } if now >= until => FunctionState::Active,
            other => other,
        }
    }

    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            FunctionState::Active => "Active",
            FunctionState::Pending { .. } => "Pending",
            FunctionState::Inactive => "Inactive",
        }
    }
}

impl Function {
    /// The function's unqualified ARN in `region`.
    pub fn arn(&self, region: &str) -> String {
        format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{}", self.name)
    }

    fn updating(&self, now: Instant) -> bool {
        self.update_done_at.is_some_and(|t| now < t)
    }

    /// The 409 Lambda answers an operation on a function that is `Pending`.
    fn refuse_if_pending(&self, now: Instant) -> ApiResult<()> {
        match self.state.at(now) {
            FunctionState::Pending { .. } => Err(ApiError::conflict(format!(
                "The operation cannot be performed at this time. The function is currently in the following state: Pending ({})",
                self.name
            ))),
            _ => Ok(()),
        }
    }
}

/// What an invocation runs: a function at one version.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The function's name.
    pub function: String,
    /// Its unqualified ARN.
    pub function_arn: String,
    /// `$LATEST` or a version number.
    pub version: String,
    /// The configuration that runs.
    pub config: Config,
    /// The version is still `Pending`: Lambda answers Invoke with ResourceConflictException.
    pub pending: bool,
    /// The version is `Failed` (its LMI environment did not start), and why.
    pub failed: Option<String>,
    /// The function's reserved concurrency, if set.
    pub reserved_concurrency: Option<u32>,
    /// Provisioned concurrency on the invoked qualifier (alias or version).
    pub provisioned: u32,
    /// Provisioned concurrency of the whole function, which reserved concurrency must hold.
    pub provisioned_total: u32,
}

impl Resolved {
    /// Whether an on-demand invocation of it is throttled for want of concurrency: reserved
    /// concurrency 0, or reserved concurrency all taken by provisioned concurrency of other
    /// qualifiers (Lambda: ReservedFunctionConcurrentInvocationLimitExceeded).
    pub fn no_concurrency(&self) -> bool {
        self.provisioned == 0
            && self
                .reserved_concurrency
                .is_some_and(|r| r <= self.provisioned_total)
    }
}

/// All functions of the emulated account and region.
#[derive(Debug)]
pub struct ControlPlane {
    /// The region in ARNs.
    pub region: String,
    /// Functions by name.
    pub functions: BTreeMap<String, Function>,
    /// How long `LastUpdateStatus` stays `InProgress` after an update.
    pub update_delay: Duration,
}

/// `name`, `name:qualifier`, `ACCOUNT:function:name[:q]` or a full ARN -> (name, qualifier).
pub fn parse_function_ref(reference: &str) -> ApiResult<(String, Option<String>)> {
    let parts: Vec<&str> = reference.split(':').collect();
    let rest: &[&str] = if parts[0] == "arn" {
        if parts.len() < 7 || parts[2] != "lambda" || parts[5] != "function" {
            return Err(ApiError::invalid(format!(
                "{reference} is not a function ARN"
            )));
        }
        &parts[6..]
    } else if parts.len() >= 3 && parts[1] == "function" {
        &parts[2..]
    } else {
        &parts[..]
    };
    match rest {
        [name] if !name.is_empty() => Ok((name.to_string(), None)),
        [name, q] if !name.is_empty() && !q.is_empty() => {
            Ok((name.to_string(), Some(q.to_string())))
        }
        _ => Err(ApiError::invalid(format!(
            "Invalid function name or ARN: {reference}"
        ))),
    }
}

fn validate_memory(memory: u64) -> ApiResult<u32> {
    // 10240 for on-demand functions; Lambda Managed Instances take up to 32768 (check_managed).
    if (128..=32768).contains(&memory) {
        Ok(memory as u32)
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240"
        )))
    }
}

/// `CapacityProviderConfig`, checked against the API reference's ranges.
fn managed(config: Option<&requests::CapacityProviderConfig>) -> ApiResult<Option<Managed>> {
    let Some(m) = config.and_then(|c| c.managed_instances.as_ref()) else {
        return Ok(None);
    };
    let arn = m.capacity_provider_arn.clone().ok_or_else(|| {
        ApiError::invalid(
            "LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn is required",
        )
    })?;
    if !arn.contains(":capacity-provider:") {
        return Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{arn}' at 'capacityProviderArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws[a-zA-Z-]*:lambda:...:capacity-provider:[a-zA-Z0-9-_]+"
        )));
    }
    let gib_per_vcpu = m.memory_gib_per_vcpu.unwrap_or(DEFAULT_GIB_PER_VCPU);
    if !(2.0..=8.0).contains(&gib_per_vcpu) {
        return Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{gib_per_vcpu}' at 'executionEnvironmentMemoryGiBPerVCpu' failed to satisfy constraint: Member must have value between 2.0 and 8.0"
        )));
    }
    let max_concurrency = match m.max_concurrency {
        None => None,
        Some(c) if (1..=1600).contains(&c) => Some(c as u32),
        Some(c) => {
            return Err(ApiError::invalid(format!(
                "1 validation error detected: Value '{c}' at 'perExecutionEnvironmentMaxConcurrency' failed to satisfy constraint: Member must have value between 1 and 1600"
            )))
        }
    };
    Ok(Some(Managed {
        capacity_provider_arn: arn,
        gib_per_vcpu,
        max_concurrency,
    }))
}

/// What Lambda Managed Instances refuse of a configuration: a memory below 2 GB or above 32 GB,
/// a runtime they do not run ("Lambda Managed Instances runtimes": Python 3.13+, Node.js 22+,
/// provided.al2023 here), and a memory that is not whole vCPUs; and they always log in JSON
/// ("Functions using Lambda Managed Instances always use the structured JSON log format").
fn check_managed(mut config: Config) -> ApiResult<Config> {
    let Some(m) = &config.managed else {
        if config.memory_size > 10240 {
            return Err(ApiError::invalid(format!(
                "1 validation error detected: Value '{}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240",
                config.memory_size
            )));
        }
        return Ok(config);
    };
    let memory = config.memory_size;
    if !(2048..=32768).contains(&memory) {
        return Err(ApiError::invalid(format!(
            "A function on Lambda Managed Instances needs 2048 to 32768 MB of memory, not {memory} MB."
        )));
    }
    let vcpus = m.vcpus(memory);
    if vcpus.fract() != 0.0 || !(1.0..=16.0).contains(&vcpus) {
        return Err(ApiError::invalid(format!(
            "{memory} MB at {} GiB per vCPU is {vcpus} vCPUs; an execution environment on Lambda Managed Instances gets 1 to 16 whole vCPUs.",
            m.gib_per_vcpu
        )));
    }
    let supported = match &config.runtime {
        Runtime::Python { minor } => *minor >= 13,
        Runtime::Node { major } => *major >= 22,
        Runtime::Provided(name) => name == "provided.al2023",
    };
    if !supported {
        return Err(ApiError::invalid(format!(
            "The runtime {} is not supported on Lambda Managed Instances: use python3.13 or later, nodejs22.x or later, or provided.al2023.",
            config.runtime
        )));
    }
    config.log_format = "JSON".into();
    Ok(config)
}

fn validate_timeout(timeout: u64) -> ApiResult<u32> {
    if (1..=900).contains(&timeout) {
        Ok(timeout as u32)
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900"
        )))
    }
}

/// The variables of an `Environment`, when it has them.
fn variables(environment: &Option<requests::Environment>) -> Option<BTreeMap<String, String>> {
    environment.as_ref().and_then(|e| e.variables.clone())
}

/// `LoggingConfig.LogFormat`: `Text` or `JSON`.
fn log_format(config: &Option<requests::LoggingConfig>) -> ApiResult<Option<String>> {
    match config.as_ref().and_then(|c| c.log_format.as_deref()) {
        None => Ok(None),
        Some(f @ ("Text" | "JSON")) => Ok(Some(f.to_string())),
        Some(other) => Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{other}' at 'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set: [Text, JSON]"
        ))),
    }
}

/// `LoggingConfig` levels: `(system, application)` as given, each checked against Lambda's set.
fn log_levels(
    config: &Option<requests::LoggingConfig>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let check = |value: &Option<String>,
                 field: &str,
                 allowed: &[&str]|
     -> ApiResult<Option<String>> {
        match value.as_deref() {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(ApiError::invalid(format!(
                "1 validation error detected: Value '{v}' at 'loggingConfig.{field}' failed to satisfy constraint: Member must satisfy enum value set: {allowed:?}"
            ))),
        }
    };
    let Some(c) = config else {
        return Ok((None, None));
    };
    Ok((
        check(
            &c.system_log_level,
            "systemLogLevel",
            &["DEBUG", "INFO", "WARN"],
        )?,
        check(
            &c.application_log_level,
            "applicationLogLevel",
            &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"],
        )?,
    ))
}

/// Log levels filter only the JSON format: Lambda refuses them with `Text`.
fn check_levels_need_json(config: &Config) -> ApiResult<()> {
    if !config.log_format.eq_ignore_ascii_case("JSON")
        && (config.system_log_level != "INFO" || config.application_log_level != "INFO")
    {
        return Err(ApiError::invalid(
            "Log levels can only be set with LoggingConfig.LogFormat JSON.",
        ));
    }
    Ok(())
}

/// `Architectures`: one of `x86_64` or `arm64` (`x86_64` when absent).
fn architecture(list: Option<&[String]>) -> ApiResult<String> {
    match list {
        None | Some([]) => Ok("x86_64".into()),
        Some([one]) if one == "x86_64" || one == "arm64" => Ok(one.clone()),
        Some(other) => Err(ApiError::invalid(format!(
            "Architectures must be [\"x86_64\"] or [\"arm64\"], not {other:?}"
        ))),
    }
}

impl ControlPlane {
    /// An empty account; `update_delay` is how long an update stays `InProgress`.
    pub fn new(region: impl Into<String>, update_delay: Duration) -> Self {
        ControlPlane {
            region: region.into(),
            functions: BTreeMap::new(),
            update_delay,
        }
    }

    fn function(&self, name: &str) -> ApiResult<&Function> {
        self.functions.get(name).ok_or_else(|| {
            ApiError::not_found(format!(
                "Function not found: arn:aws:lambda:{}:{ACCOUNT}:function:{name}",
                self.region
            ))
        })
    }

    fn function_mut(&mut self, name: &str) -> ApiResult<&mut Function> {
        let region = self.region.clone();
        self.functions.get_mut(name).ok_or_else(|| {
            ApiError::not_found(format!(
                "Function not found: arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
            ))
        })
    }

    /// Registers a function whose code is already unpacked in `code_dir`. `body` is the
    /// CreateFunction request (its `Code` and `Runtime` were handled by the caller).
    pub fn create_function(
        &mut self,
        body: &requests::CreateFunction,
        runtime: Runtime,
        code_dir: PathBuf,
        code_sha256: String,
        code_size: u64,
    ) -> ApiResult<Value> {
        let name = body
            .function_name
            .as_deref()
            .ok_or_else(|| ApiError::invalid("FunctionName is required"))?;
        let (name, qualifier) = parse_function_ref(name)?;
        if qualifier.is_some() {
            return Err(ApiError::invalid("FunctionName must not be qualified"));
        }
        if self.functions.contains_key(&name) {
            return Err(ApiError::conflict(format!(
                "Function already exist: {name}"
            )));
        }
        let handler = match (body.handler.as_deref(), &runtime) {
            (Some(h), _) if !h.is_empty() => h.to_string(),
            (_, Runtime::Provided(_)) => "bootstrap".to_string(),
            _ => {
                return Err(ApiError::invalid(format!(
                "A {runtime} function needs a Handler (module.function, for example app.handler)."
            )))
            }
        };
        let levels = log_levels(&body.logging_config)?;
        let config = Config {
            memory_size: validate_memory(body.memory_size.unwrap_or(128))?,
            timeout: validate_timeout(body.timeout.unwrap_or(3))?,
            description: body.description.clone().unwrap_or_default(),
            environment: variables(&body.environment).unwrap_or_default(),
            handler,
            runtime,
            role: body
                .role
                .clone()
                .unwrap_or_else(|| format!("arn:aws:iam::{ACCOUNT}:role/lambda")),
            architecture: architecture(body.architectures.as_deref())?,
            log_format: log_format(&body.logging_config)?.unwrap_or_else(|| "Text".into()),
            system_log_level: levels.0.unwrap_or_else(|| "INFO".into()),
            application_log_level: levels.1.unwrap_or_else(|| "INFO".into()),
            log_group: body
                .logging_config
                .as_ref()
                .and_then(|c| c.log_group.clone()),
            code_dir,
            code_sha256,
            code_size,
            managed: managed(body.capacity_provider_config.as_ref())?,
        };
        check_levels_need_json(&config)?;
        let config = check_managed(config)?;
        let function = Function {
            name: name.clone(),
            latest: config,
            last_modified: timestamp(),
            update_done_at: None,
            versions: BTreeMap::new(),
            aliases: BTreeMap::new(),
            next_version: 1,
            revision: 1,
            reserved_concurrency: None,
            provisioned: BTreeMap::new(),
            state: FunctionState::Active,
        };
        self.functions.insert(name.clone(), function);
        let f = &self.functions[&name];
        Ok(self.configuration_json(f, "$LATEST", &f.latest, &f.last_modified))
    }

    /// DeleteFunction: the function, or one of its versions.
    pub fn delete_function(&mut self, reference: &str, qualifier: Option<&str>) -> ApiResult<()> {
        let (name, q) = parse_function_ref(reference)?;
        let qualifier = qualifier.map(str::to_string).or(q);
        match qualifier.as_deref() {
            None => {
                self.function(&name)?;
                self.functions.remove(&name);
                Ok(())
            }
            Some("$LATEST") => Err(ApiError::invalid(
                "$LATEST version cannot be deleted without deleting the function.",
            )),
            Some(v) => {
                let f = self.function_mut(&name)?;
                let number: u32 = v.parse().map_err(|_| {
                    ApiError::invalid(format!(
                        "Deletion of aliases is not supported through DeleteFunction: {v}"
                    ))
                })?;
                let referencing: Vec<&str> = f
                    .aliases
                    .values()
                    .filter(|a| a.version == v)
                    .map(|a| a.name.as_str())
                    .collect();
                if !referencing.is_empty() {
                    return Err(ApiError::conflict(format!(
                        "Unable to delete version because the following aliases reference it: {referencing:?}"
                    )));
                }
                // Deleting a version that does not exist succeeds, as Lambda's does.
                f.versions.remove(&number);
                Ok(())
            }
        }
    }

    /// Resolves `reference` (+ `qualifier`) to the configuration it runs.
    pub fn resolve(&self, reference: &str, qualifier: Option<&str>) -> ApiResult<Resolved> {
        let (name, q) = parse_function_ref(reference)?;
        let qualifier = qualifier.map(str::to_string).or(q);
        let f = self.function(&name)?;
        let arn = f.arn(&self.region);
        let (mut pending, mut failed) = (false, None);
        let (version, config) = match qualifier.as_deref() {
            None | Some("$LATEST") => ("$LATEST".to_string(), f.latest.clone()),
            Some(q) => {
                let version = match f.aliases.get(q) {
                    Some(alias) => alias.version.clone(),
                    None => q.to_string(),
                };
                if version == "$LATEST" {
                    ("$LATEST".to_string(), f.latest.clone())
                } else {
                    let v = version
                        .parse::<u32>()
                        .ok()
                        .and_then(|n| f.versions.get(&n))
                        .ok_or_else(|| {
                            ApiError::not_found(format!("Function not found: {arn}:{q}"))
                        })?;
                    pending = v.pending(Instant::now());
                    failed = v.failed.clone();
                    (version, v.config.clone())
                }
            }
        };
        let provisioned = qualifier
            .as_deref()
            .and_then(|q| f.provisioned.get(q))
            .copied()
            .unwrap_or(0);
        Ok(Resolved {
            function: name,
            function_arn: arn,
            version,
            config,
            pending,
            failed,
            reserved_concurrency: f.reserved_concurrency,
            provisioned,
            provisioned_total: f.provisioned.values().sum(),
        })
    }

    /// GetFunctionConfiguration.
    pub fn get_configuration(&self, reference: &str, qualifier: Option<&str>) -> ApiResult<Value> {
        let resolved = self.resolve(reference, qualifier)?;
        let f = self.function(&resolved.function)?;
        let modified = match resolved.version.parse::<u32>() {
            Ok(n) => f.versions[&n].last_modified.clone(),
            Err(_) => f.last_modified.clone(),
        };
        Ok(self.configuration_json(f, &resolved.version, &resolved.config, &modified))
    }

    /// GetFunction.
    pub fn get_function(&self, reference: &str, qualifier: Option<&str>) -> ApiResult<Value> {
        let configuration = self.get_configuration(reference, qualifier)?;
        let resolved = self.resolve(reference, qualifier)?;
        Ok(json!({
            "Configuration": configuration,
            "Code": {"RepositoryType": "Local", "Location": resolved.config.code_dir.display().to_string()},
        }))
    }

    /// UpdateFunctionConfiguration of `$LATEST`, which stays `InProgress` for `duration` (on
    /// AWS, a few seconds). An Inactive function is restored meanwhile (Pending).
    pub fn update_configuration(
        &mut self,
        reference: &str,
        body: &requests::UpdateFunctionConfiguration,
        duration: Duration,
    ) -> ApiResult<Value> {
        let (name, q) = parse_function_ref(reference)?;
        if q.is_some() {
            return Err(ApiError::invalid(
                "UpdateFunctionConfiguration works on $LATEST only; remove the qualifier",
            ));
        }
        let now = Instant::now();
        let memory = body.memory_size.map(validate_memory).transpose()?;
        let timeout = body.timeout.map(validate_timeout).transpose()?;
        let environment = variables(&body.environment);
        let format = log_format(&body.logging_config)?;
        let levels = log_levels(&body.logging_config)?;
        let f = self.function_mut(&name)?;
        f.refuse_if_pending(now)?;
        if f.updating(now) {
            return Err(ApiError::conflict(format!(
                "The operation cannot be performed at this time. An update is in progress for resource: {}",
                f.name
            )));
        }
        let mut latest = f.latest.clone();
        if let Some(m) = memory {
            latest.memory_size = m;
        }
        if let Some(t) = timeout {
            latest.timeout = t;
        }
        if let Some(d) = &body.description {
            latest.description = d.clone();
        }
        if let Some(e) = environment {
            latest.environment = e;
        }
        if let Some(format) = format {
            latest.log_format = format;
        }
        if let Some(level) = levels.0 {
            latest.system_log_level = level;
        }
        if let Some(level) = levels.1 {
            latest.application_log_level = level;
        }
        if let Some(group) = body
            .logging_config
            .as_ref()
            .and_then(|c| c.log_group.clone())
        {
            latest.log_group = Some(group);
        }
        if let Some(c) = &body.capacity_provider_config {
            // A function's compute type is set when it is created: AWS SAM's
            // CapacityProviderConfig "needs to be specified during the first function
            // deployment. It can't be added or removed after the function resource has been
            // created." The ratio, the concurrency and the provider can change.
            if latest.managed.is_none() {
                return Err(ApiError::invalid(format!(
                    "{} runs on demand: a capacity provider configuration can only be given when a function is created",
                    f.name
                )));
            }
            latest.managed = managed(Some(c))?;
        }
        check_levels_need_json(&latest)?;
        let latest = check_managed(latest)?;
        f.latest = latest;
        f.last_modified = timestamp();
        f.revision += 1;
        f.update_done_at = Some(now + duration);
        if f.state == FunctionState::Inactive {
            f.state = FunctionState::Pending {
                until: now + duration,
                reason_code: "Restoring",
            };
        }
        let f = &self.functions[&name];
        Ok(self.configuration_json(f, "$LATEST", &f.latest, &f.last_modified))
    }

    /// Sets a function's `State` (the admin API's `POST /_powertune/functions/NAME/state`).
    pub fn set_state(&mut self, name: &str, state: FunctionState) -> ApiResult<()> {
        self.function_mut(name)?.state = state;
        Ok(())
    }

    /// Whether the function takes an invocation now. Pending refuses it; Inactive refuses it too
    /// and starts restoring the function's resources for `restoring` (Lambda: "the invocation
    /// fails and Lambda sets the function to pending state until the function resources are
    /// recreated").
    pub fn admit_invocation(&mut self, name: &str, restoring: Duration) -> ApiResult<()> {
        let now = Instant::now();
        let f = self.function_mut(name)?;
        f.refuse_if_pending(now)?;
        if f.state == FunctionState::Inactive {
            f.state = FunctionState::Pending {
                until: now + restoring,
                reason_code: "Restoring",
            };
            return Err(ApiError::conflict(format!(
                "The operation cannot be performed at this time. The function is currently in the following state: Inactive ({})",
                f.name
            )));
        }
        Ok(())
    }
}
