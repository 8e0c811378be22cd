//! The control plane: functions, their `$LATEST` configuration, published versions and aliases,
//! with Lambda's rules and error codes. No I/O here; the HTTP layer turns requests into calls.

use crate::requests;
use crate::runtimes::Runtime;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The account in every ARN.
pub const ACCOUNT: &str = "123456789012";

/// A Lambda API error: HTTP status, `x-amzn-ErrorType` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`x-amzn-ErrorType`).
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// 404 `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: 404,
            code: "ResourceNotFoundException",
            message: message.into(),
        }
    }
    /// 409 `ResourceConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: 409,
            code: "ResourceConflictException",
            message: message.into(),
        }
    }
    /// 400 `InvalidParameterValueException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "InvalidParameterValueException",
            message: message.into(),
        }
    }
    /// 429 `TooManyRequestsException`.
    pub fn throttled() -> Self {
        ApiError {
            status: 429,
            code: "TooManyRequestsException",
            message: "Rate Exceeded.".into(),
        }
    }
}

/// A control-plane answer, or Lambda's error.
pub type ApiResult<T> = Result<T, ApiError>;

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
    /// The function's code: a directory holding `bootstrap`, or the handler's modules.
    pub code_dir: PathBuf,
    /// `CodeSha256`.
    pub code_sha256: String,
    /// `CodeSize`, bytes.
    pub code_size: u64,
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
}

impl Version {
    fn pending(&self, now: Instant) -> bool {
        self.pending_until.is_some_and(|t| now < t)
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
}

impl Function {
    /// The function's unqualified ARN in `region`.
    pub fn arn(&self, region: &str) -> String {
        format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{}", self.name)
    }

    fn updating(&self, now: Instant) -> bool {
        self.update_done_at.is_some_and(|t| now < t)
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
    /// The function's reserved concurrency, if set.
    pub reserved_concurrency: Option<u32>,
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

fn timestamp() -> String {
    // ISO-8601 with milliseconds and +0000, as Lambda writes LastModified.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 -> (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn validate_memory(memory: u64) -> ApiResult<u32> {
    if (128..=10240).contains(&memory) {
        Ok(memory as u32)
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240"
        )))
    }
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
            code_dir,
            code_sha256,
            code_size,
        };
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
        let mut pending = false;
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
                    (version, v.config.clone())
                }
            }
        };
        Ok(Resolved {
            function: name,
            function_arn: arn,
            version,
            config,
            pending,
            reserved_concurrency: f.reserved_concurrency,
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

    /// UpdateFunctionConfiguration of `$LATEST`.
    pub fn update_configuration(
        &mut self,
        reference: &str,
        body: &requests::UpdateFunctionConfiguration,
    ) -> ApiResult<Value> {
        let (name, q) = parse_function_ref(reference)?;
        if q.is_some() {
            return Err(ApiError::invalid(
                "UpdateFunctionConfiguration works on $LATEST only; remove the qualifier",
            ));
        }
        let delay = self.update_delay;
        let now = Instant::now();
        let memory = body.memory_size.map(validate_memory).transpose()?;
        let timeout = body.timeout.map(validate_timeout).transpose()?;
        let environment = variables(&body.environment);
        let format = log_format(&body.logging_config)?;
        let f = self.function_mut(&name)?;
        if f.updating(now) {
            return Err(ApiError::conflict(format!(
                "The operation cannot be performed at this time. An update is in progress for resource: {}",
                f.name
            )));
        }
        if let Some(m) = memory {
            f.latest.memory_size = m;
        }
        if let Some(t) = timeout {
            f.latest.timeout = t;
        }
        if let Some(d) = &body.description {
            f.latest.description = d.clone();
        }
        if let Some(e) = environment {
            f.latest.environment = e;
        }
        if let Some(format) = format {
            f.latest.log_format = format;
        }
        f.last_modified = timestamp();
        f.revision += 1;
        f.update_done_at = Some(now + delay);
        let f = &self.functions[&name];
        Ok(self.configuration_json(f, "$LATEST", &f.latest, &f.last_modified))
    }

    /// Publishes `$LATEST`; the new version is `State: Pending` for `pending` (zero: Active at
    /// once).
    pub fn publish_version(
        &mut self,
        reference: &str,
        body: &requests::PublishVersion,
        pending: Duration,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let now = Instant::now();
        let f = self.function_mut(&name)?;
        if f.updating(now) {
            return Err(ApiError::conflict(format!(
                "The operation cannot be performed at this time. An update is in progress for resource: {}",
                f.name
            )));
        }
        // Lambda publishes nothing when neither code nor configuration changed since the latest
        // version, and returns that version instead.
        let unchanged = f
            .versions
            .values()
            .next_back()
            .filter(|v| v.config == f.latest)
            .map(|v| v.number);
        let number = match unchanged {
            Some(n) => n,
            None => {
                let n = f.next_version;
                f.next_version += 1;
                let mut config = f.latest.clone();
                if let Some(d) = body.description.as_ref().filter(|d| !d.is_empty()) {
                    config.description = d.clone();
                }
                f.versions.insert(
                    n,
                    Version {
                        number: n,
                        config,
                        last_modified: timestamp(),
                        pending_until: (!pending.is_zero()).then(|| now + pending),
                    },
                );
                n
            }
        };
        let f = &self.functions[&name];
        let v = &f.versions[&number];
        Ok(self.configuration_json(f, &number.to_string(), &v.config, &v.last_modified))
    }

    /// ListVersionsByFunction.
    pub fn list_versions(&self, reference: &str) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function(&name)?;
        let mut versions = vec![self.configuration_json(f, "$LATEST", &f.latest, &f.last_modified)];
        versions.extend(f.versions.values().map(|v| {
            self.configuration_json(f, &v.number.to_string(), &v.config, &v.last_modified)
        }));
        Ok(json!({ "Versions": versions }))
    }

    fn check_version(f: &Function, version: &str) -> ApiResult<()> {
        if version == "$LATEST"
            || version
                .parse::<u32>()
                .ok()
                .is_some_and(|n| f.versions.contains_key(&n))
        {
            Ok(())
        } else {
            Err(ApiError::not_found(format!(
                "Function not found: {}:{version}",
                f.name
            )))
        }
    }

    /// CreateAlias.
    pub fn create_alias(
        &mut self,
        reference: &str,
        body: &requests::CreateAlias,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let alias = body
            .name
            .clone()
            .ok_or_else(|| ApiError::invalid("Name is required"))?;
        let version = body
            .function_version
            .clone()
            .ok_or_else(|| ApiError::invalid("FunctionVersion is required"))?;
        let f = self.function_mut(&name)?;
        if f.aliases.contains_key(&alias) {
            return Err(ApiError::conflict(format!(
                "Alias already exists: {}",
                alias
            )));
        }
        Self::check_version(f, &version)?;
        f.aliases.insert(
            alias.clone(),
            Alias {
                name: alias.clone(),
                version,
                description: body.description.clone().unwrap_or_default(),
                revision: 1,
            },
        );
        self.alias_json(&name, &alias)
    }

    /// GetAlias.
    pub fn get_alias(&self, reference: &str, alias: &str) -> ApiResult<Value> {
        self.alias_json(&parse_function_ref(reference)?.0, alias)
    }

    /// UpdateAlias.
    pub fn update_alias(
        &mut self,
        reference: &str,
        alias: &str,
        body: &requests::UpdateAlias,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function_mut(&name)?;
        if let Some(v) = &body.function_version {
            Self::check_version(f, v)?;
        }
        let arn_alias = format!("{}:{alias}", f.name);
        let a = f
            .aliases
            .get_mut(alias)
            .ok_or_else(|| ApiError::not_found(format!("Alias not found: {arn_alias}")))?;
        if let Some(v) = &body.function_version {
            a.version = v.clone();
        }
        if let Some(d) = &body.description {
            a.description = d.clone();
        }
        a.revision += 1;
        self.alias_json(&name, alias)
    }

    /// DeleteAlias.
    pub fn delete_alias(&mut self, reference: &str, alias: &str) -> ApiResult<()> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function_mut(&name)?;
        // Lambda answers 204 whether or not the alias existed.
        f.aliases.remove(alias);
        Ok(())
    }

    /// `GetFunctionConcurrency`: `{}` when none is reserved, as Lambda answers.
    pub fn get_concurrency(&self, reference: &str) -> ApiResult<Value> {
        let f = self.function(&parse_function_ref(reference)?.0)?;
        Ok(match f.reserved_concurrency {
            Some(n) => json!({ "ReservedConcurrentExecutions": n }),
            None => json!({}),
        })
    }

    /// `PutFunctionConcurrency`.
    pub fn put_concurrency(
        &mut self,
        reference: &str,
        body: &requests::PutFunctionConcurrency,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let n = body
            .reserved_concurrent_executions
            .ok_or_else(|| ApiError::invalid("ReservedConcurrentExecutions is required"))?;
        self.function_mut(&name)?.reserved_concurrency = Some(n);
        Ok(json!({ "ReservedConcurrentExecutions": n }))
    }

    /// `DeleteFunctionConcurrency`.
    pub fn delete_concurrency(&mut self, reference: &str) -> ApiResult<()> {
        let (name, _) = parse_function_ref(reference)?;
        self.function_mut(&name)?.reserved_concurrency = None;
        Ok(())
    }

    /// ListAliases.
    pub fn list_aliases(&self, reference: &str) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function(&name)?;
        let aliases: ApiResult<Vec<Value>> = f
            .aliases
            .keys()
            .map(|a| self.alias_json(&name, a))
            .collect();
        Ok(json!({ "Aliases": aliases? }))
    }

    fn alias_json(&self, name: &str, alias: &str) -> ApiResult<Value> {
        let f = self.function(name)?;
        let a = f.aliases.get(alias).ok_or_else(|| {
            ApiError::not_found(format!("Alias not found: {}:{alias}", f.arn(&self.region)))
        })?;
        Ok(json!({
            "AliasArn": format!("{}:{}", f.arn(&self.region), a.name),
            "Name": a.name,
            "FunctionVersion": a.version,
            "Description": a.description,
            "RevisionId": format!("{:08x}-0000-4000-8000-{:012x}", a.revision, a.revision),
        }))
    }

    fn configuration_json(
        &self,
        f: &Function,
        version: &str,
        c: &Config,
        last_modified: &str,
    ) -> Value {
        let arn = f.arn(&self.region);
        let qualified = if version == "$LATEST" {
            format!("{arn}:$LATEST")
        } else {
            format!("{arn}:{version}")
        };
        let in_progress = version == "$LATEST" && f.updating(Instant::now());
        let mut o = Map::new();
        o.insert("FunctionName".into(), json!(f.name));
        o.insert(
            "FunctionArn".into(),
            json!(if version == "$LATEST" {
                arn.clone()
            } else {
                qualified
            }),
        );
        o.insert("Runtime".into(), json!(c.runtime.to_string()));
        o.insert("Role".into(), json!(c.role));
        o.insert("Handler".into(), json!(c.handler));
        o.insert("CodeSize".into(), json!(c.code_size));
        o.insert("Description".into(), json!(c.description));
        o.insert("Timeout".into(), json!(c.timeout));
        o.insert("MemorySize".into(), json!(c.memory_size));
        o.insert("LastModified".into(), json!(last_modified));
        o.insert("CodeSha256".into(), json!(c.code_sha256));
        o.insert("Version".into(), json!(version));
        o.insert("Environment".into(), json!({ "Variables": c.environment }));
        o.insert("TracingConfig".into(), json!({ "Mode": "PassThrough" }));
        o.insert(
            "RevisionId".into(),
            json!(format!(
                "{:08x}-0000-4000-8000-{:012x}",
                f.revision, f.revision
            )),
        );
        let pending = version
            .parse::<u32>()
            .ok()
            .and_then(|n| f.versions.get(&n))
            .is_some_and(|v| v.pending(Instant::now()));
        if pending {
            o.insert("State".into(), json!("Pending"));
            o.insert(
                "StateReason".into(),
                json!("The function is being created."),
            );
            o.insert("StateReasonCode".into(), json!("Creating"));
        } else {
            o.insert("State".into(), json!("Active"));
        }
        o.insert(
            "LastUpdateStatus".into(),
            json!(if in_progress {
                "InProgress"
            } else {
                "Successful"
            }),
        );
        o.insert("PackageType".into(), json!("Zip"));
        o.insert("Architectures".into(), json!([c.architecture]));
        o.insert("EphemeralStorage".into(), json!({ "Size": 512 }));
        o.insert(
            "SnapStart".into(),
            json!({ "ApplyOn": "None", "OptimizationStatus": "Off" }),
        );
        o.insert(
            "LoggingConfig".into(),
            json!({ "LogFormat": c.log_format, "LogGroup": format!("/aws/lambda/{}", f.name) }),
        );
        Value::Object(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request body, typed as the server reads it.
    fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    fn plane() -> ControlPlane {
        let mut p = ControlPlane::new("us-east-1", Duration::from_millis(0));
        p.create_function(
            &body(json!({"FunctionName": "f", "MemorySize": 1024, "Description": "orig"})),
            Runtime::Provided("provided.al2023".into()),
            PathBuf::from("/tmp"),
            "sha".into(),
            1,
        )
        .unwrap();
        p
    }

    #[test]
    fn function_references_parse_like_lambdas() {
        assert_eq!(parse_function_ref("f").unwrap(), ("f".into(), None));
        assert_eq!(
            parse_function_ref("f:live").unwrap(),
            ("f".into(), Some("live".into()))
        );
        assert_eq!(
            parse_function_ref("123456789012:function:f:3").unwrap(),
            ("f".into(), Some("3".into()))
        );
        assert_eq!(
            parse_function_ref("arn:aws:lambda:us-east-1:123456789012:function:f").unwrap(),
            ("f".into(), None)
        );
        assert!(parse_function_ref("arn:aws:s3:::b").is_err());
    }

    #[test]
    fn publishing_freezes_the_configuration_and_skips_unchanged_ones() {
        let mut p = plane();
        let v1 = p
            .publish_version("f", &body(json!({})), Duration::ZERO)
            .unwrap();
        assert_eq!(v1["Version"], "1");
        assert_eq!(
            p.publish_version("f", &body(json!({})), Duration::ZERO)
                .unwrap()["Version"],
            "1",
            "nothing changed"
        );
        p.update_configuration("f", &body(json!({"MemorySize": 512})))
            .unwrap();
        assert_eq!(
            p.publish_version("f", &body(json!({})), Duration::ZERO)
                .unwrap()["Version"],
            "2"
        );
        assert_eq!(
            p.get_configuration("f", Some("1")).unwrap()["MemorySize"],
            1024
        );
        assert_eq!(
            p.get_configuration("f", Some("2")).unwrap()["MemorySize"],
            512
        );
        // numbers are never reused
        p.delete_function("f", Some("2")).unwrap();
        p.update_configuration("f", &body(json!({"MemorySize": 256})))
            .unwrap();
        assert_eq!(
            p.publish_version("f", &body(json!({})), Duration::ZERO)
                .unwrap()["Version"],
            "3"
        );
    }

    #[test]
    fn updates_are_in_progress_for_a_while() {
        let mut p = plane();
        p.update_delay = Duration::from_secs(60);
        p.update_configuration("f", &body(json!({"MemorySize": 512})))
            .unwrap();
        assert_eq!(
            p.get_configuration("f", None).unwrap()["LastUpdateStatus"],
            "InProgress"
        );
        assert_eq!(
            p.publish_version("f", &body(json!({})), Duration::ZERO)
                .unwrap_err()
                .code,
            "ResourceConflictException"
        );
        assert_eq!(
            p.update_configuration("f", &body(json!({})))
                .unwrap_err()
                .status,
            409
        );
    }

    #[test]
    fn aliases_resolve_and_protect_their_versions() {
        let mut p = plane();
        p.publish_version("f", &body(json!({})), Duration::ZERO)
            .unwrap();
        p.create_alias(
            "f",
            &body(json!({"Name": "RAM1024", "FunctionVersion": "1"})),
        )
        .unwrap();
        assert_eq!(
            p.create_alias(
                "f",
                &body(json!({"Name": "RAM1024", "FunctionVersion": "1"}))
            )
            .unwrap_err()
            .status,
            409
        );
        assert_eq!(p.resolve("f", Some("RAM1024")).unwrap().version, "1");
        assert_eq!(
            p.resolve("f:RAM1024", None).unwrap().config.memory_size,
            1024
        );
        assert_eq!(
            p.delete_function("f", Some("1")).unwrap_err().code,
            "ResourceConflictException"
        );
        p.delete_alias("f", "RAM1024").unwrap();
        p.delete_function("f", Some("1")).unwrap();
        assert_eq!(p.get_alias("f", "RAM1024").unwrap_err().status, 404);
        assert_eq!(p.resolve("f", Some("1")).unwrap_err().status, 404);
    }

    #[test]
    fn bad_values_are_rejected() {
        let mut p = plane();
        assert_eq!(
            p.update_configuration("f", &body(json!({"MemorySize": 64})))
                .unwrap_err()
                .code,
            "InvalidParameterValueException"
        );
        assert_eq!(
            p.get_configuration("nope", None).unwrap_err().code,
            "ResourceNotFoundException"
        );
        assert_eq!(
            p.create_alias("f", &body(json!({"Name": "a", "FunctionVersion": "9"})))
                .unwrap_err()
                .status,
            404
        );
    }

    #[test]
    fn timestamps_are_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
        assert!(timestamp().ends_with("+0000"));
    }
}
