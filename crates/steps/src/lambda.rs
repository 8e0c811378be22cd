//! The one seam to AWS Lambda: the calls the steps make, named for what they do, over the
//! official SDK client.

use crate::error::StepError;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::operation::RequestId;
use aws_sdk_lambda::types::{LastUpdateStatus, LogType, SnapStartApplyOn, State};
use aws_sdk_lambda::Client;
use aws_smithy_types::Blob;
use powertune_core::pricing::Architecture;
use std::time::{Duration, Instant};

mod types;
pub(crate) use types::FunctionConfig;
pub use types::{CodeStorage, Invocation, VersionInfo, Waits};

#[derive(Debug, Clone)]
/// The Lambda API, as the steps use it: domain-named calls, waits, and errors as [`StepError`]s.
pub struct LambdaApi {
    /// Control-plane calls (configuration, versions, aliases).
    pub(crate) client: Client,
    /// Invoke; its own client, so its retries differ from the control plane's.
    pub(crate) invoke_client: Client,
    waits: Waits,
    /// When the step's invocation ends; waits end `waits.margin` before it.
    deadline: Option<Instant>,
}

impl LambdaApi {
    /// One client for everything (tests, the local emulator).
    pub fn new(client: Client) -> Self {
        LambdaApi::with_clients(client.clone(), client)
    }

    /// Separate clients for the control plane and for Invoke.
    pub(crate) fn with_clients(control: Client, invoke: Client) -> Self {
        LambdaApi {
            client: control,
            invoke_client: invoke,
            waits: Waits::default(),
            deadline: None,
        }
    }

    /// Sets how long and how often waits look.
    pub fn with_waits(mut self, waits: Waits) -> Self {
        self.waits = waits;
        self
    }

    pub(crate) fn waits(&self) -> &Waits {
        &self.waits
    }

    /// Bounds every wait by the step's own deadline (the Lambda context's), less the margin.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How long a wait starting now may last.
    fn wait_budget(&self) -> Duration {
        match self.deadline {
            Some(d) => self.waits.timeout.min(
                d.saturating_duration_since(Instant::now())
                    .saturating_sub(self.waits.margin),
            ),
            None => self.waits.timeout,
        }
    }

    /// `$LATEST`'s configuration.
    pub(crate) async fn latest_config(&self, function: &str) -> Result<FunctionConfig, StepError> {
        let out = self.configuration(function, "$LATEST").await?;
        let architecture = match out.architectures().first() {
            None => Architecture::X86_64,
            Some(a) => a
                .as_str()
                .parse::<Architecture>()
                .map_err(|e| StepError::InvalidInput(format!("{function} cannot be tuned: {e}")))?,
        };
        Ok(FunctionConfig {
            function_arn: out
                .function_arn()
                .map(unqualified)
                .unwrap_or(function)
                .to_string(),
            memory_size: out
                .memory_size()
                .and_then(|m| u32::try_from(m).ok())
                .ok_or_else(|| {
                    StepError::UnexpectedResponse(format!(
                        "GetFunctionConfiguration of {function} answered without a valid MemorySize ({:?}); nothing was changed.",
                        out.memory_size()
                    ))
                })?,
            description: out.description().unwrap_or_default().to_string(),
            architecture,
            snap_start: out
                .snap_start()
                .and_then(|s| s.apply_on())
                .is_some_and(|a| *a == SnapStartApplyOn::PublishedVersions),
            timeout_s: out.timeout().and_then(|t| u32::try_from(t).ok()),
            ephemeral_storage_mb: out
                .ephemeral_storage()
                .and_then(|e| u32::try_from(e.size()).ok())
                .unwrap_or(powertune_core::pricing::FREE_EPHEMERAL_STORAGE_MB),
            last_update_in_progress: out.last_update_status()
                == Some(&LastUpdateStatus::InProgress),
            state: out.state().cloned().unwrap_or(State::Active),
            state_reason: out.state_reason().map(str::to_string),
            code_size: out.code_size().max(0) as u64,
            json_logs: out
                .logging_config()
                .and_then(|c| c.log_format())
                .is_some_and(|f| f.as_str().eq_ignore_ascii_case("JSON")),
            system_log_level: out
                .logging_config()
                .and_then(|c| c.system_log_level())
                .map(|l| l.as_str().to_string()),
            runtime: out.runtime().map(|r| r.as_str().to_string()),
            managed: out
                .capacity_provider_config()
                .and_then(|c| c.lambda_managed_instances_capacity_provider_config())
                .map(|m| crate::events::ManagedPlacement {
                    capacity_provider_arn: m.capacity_provider_arn().to_string(),
                    gib_per_vcpu: m.execution_environment_memory_gib_per_v_cpu(),
                    concurrency: m
                        .per_execution_environment_max_concurrency()
                        .and_then(|c| u32::try_from(c).ok()),
                }),
            log_group: crate::insights::log_group_of(
                &out.function_name().map(str::to_string).unwrap_or_else(|| {
                    powertune_core::input::FunctionRef::parse(function)
                        .map(|f| f.name)
                        .unwrap_or_else(|_| function.to_string())
                }),
                out.logging_config().and_then(|c| c.log_group()),
            ),
        })
    }

    /// Sets `$LATEST`'s memory and description.
    pub(crate) async fn update_config(
        &self,
        function: &str,
        memory: u32,
        description: &str,
    ) -> Result<(), StepError> {
        self.client
            .update_function_configuration()
            .function_name(function)
            .memory_size(memory as i32)
            .description(description)
            .send()
            .await
            .map_err(|e| {
                StepError::aws(
                    "Lambda",
                    &format!("UpdateFunctionConfiguration of {function} to {memory} MB"),
                    e,
                )
            })?;
        Ok(())
    }

    /// Sets `$LATEST` to run on Lambda Managed Instances with `configuration` on
    /// `capacity_provider_arn` (UpdateFunctionConfiguration's `CapacityProviderConfig`).
    pub async fn set_managed_config(
        &self,
        function: &str,
        configuration: &powertune_core::managed::Configuration,
        capacity_provider_arn: &str,
        description: &str,
    ) -> Result<(), StepError> {
        let placement = crate::events::ManagedPlacement {
            capacity_provider_arn: capacity_provider_arn.to_string(),
            gib_per_vcpu: Some(configuration.gib_per_vcpu),
            concurrency: Some(configuration.concurrency),
        };
        self.set_placement(
            function,
            configuration.memory_mb,
            &placement,
            description,
            &configuration.to_string(),
        )
        .await
    }

    /// Sets `$LATEST`'s memory, description and capacity provider configuration (`what` names
    /// it in an error).
    pub(crate) async fn set_placement(
        &self,
        function: &str,
        memory: u32,
        placement: &crate::events::ManagedPlacement,
        description: &str,
        what: &str,
    ) -> Result<(), StepError> {
        use aws_sdk_lambda::types::{
            CapacityProviderConfig, LambdaManagedInstancesCapacityProviderConfig,
        };
        let lmi = LambdaManagedInstancesCapacityProviderConfig::builder()
            .capacity_provider_arn(&placement.capacity_provider_arn)
            .set_execution_environment_memory_gib_per_v_cpu(placement.gib_per_vcpu)
            .set_per_execution_environment_max_concurrency(placement.concurrency.map(|c| c as i32))
            .build()
            .map_err(|e| {
                StepError::UnexpectedResponse(format!(
                    "a capacity provider configuration could not be built: {e}"
                ))
            })?;
        self.client
            .update_function_configuration()
            .function_name(function)
            .memory_size(memory as i32)
            .description(description)
            .capacity_provider_config(
                CapacityProviderConfig::builder()
                    .lambda_managed_instances_capacity_provider_config(lmi)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                StepError::aws(
                    "Lambda",
                    &format!("UpdateFunctionConfiguration of {function} to {what}"),
                    e,
                )
            })?;
        Ok(())
    }

    /// Waits until `$LATEST`'s `LastUpdateStatus` is `Successful`; `Failed` is an error that
    /// carries Lambda's `LastUpdateStatusReason`.
    pub async fn wait_until_updated(&self, function: &str, memory: u32) -> Result<(), StepError> {
        self.wait_for(
            function,
            "$LATEST",
            &format!("{function} was still updating"),
            |out| match out.last_update_status() {
                None | Some(LastUpdateStatus::Successful) => Ok(true),
                Some(LastUpdateStatus::Failed) => Err(StepError::UpdateFailed {
                    function: function.to_string(),
                    memory,
                    reason: out
                        .last_update_status_reason()
                        .unwrap_or("Lambda gave no reason")
                        .to_string(),
                }),
                Some(_) => Ok(false),
            },
        )
        .await
    }

    /// Waits until Lambda takes an update of `$LATEST`: no update in progress and the function
    /// not `Pending`. An Inactive function is ready (an update restores it); a `Failed` one
    /// never will be.
    pub(crate) async fn wait_until_ready(&self, function: &str) -> Result<(), StepError> {
        self.wait_for(
            function,
            "$LATEST",
            &format!("{function} was still updating or Pending"),
            |out| match (out.state(), out.last_update_status()) {
                (Some(State::Failed), _) => Err(StepError::UpdateFailed {
                    function: function.to_string(),
                    memory: out.memory_size().unwrap_or_default().max(0) as u32,
                    reason: out
                        .state_reason()
                        .unwrap_or("the function is in state Failed")
                        .to_string(),
                }),
                (Some(State::Pending), _) | (_, Some(LastUpdateStatus::InProgress)) => Ok(false),
                _ => Ok(true),
            },
        )
        .await
    }

    /// Polls the configuration at `qualifier` until `settled` says it is (`Ok(true)`) or that it
    /// never will be (an error); `pending` describes the wait when it times out.
    async fn wait_for(
        &self,
        function: &str,
        qualifier: &str,
        pending: &str,
        settled: impl Fn(&GetFunctionConfigurationOutput) -> Result<bool, StepError>,
    ) -> Result<(), StepError> {
        let started = Instant::now();
        let budget = self.wait_budget();
        loop {
            if settled(&self.configuration(function, qualifier).await?)? {
                return Ok(());
            }
            let waited = started.elapsed();
            if waited >= budget {
                let why = if budget < self.waits.timeout {
                    "; this step had no more time before its own timeout"
                } else {
                    ""
                };
                return Err(StepError::WaitTimedOut(format!(
                    "{pending} after {:.1} s{why}.",
                    waited.as_secs_f64()
                )));
            }
            tokio::time::sleep(self.waits.poll.min(budget - waited)).await;
        }
    }

    /// The configuration of `$LATEST` or of a version or alias.
    async fn configuration(
        &self,
        function: &str,
        qualifier: &str,
    ) -> Result<GetFunctionConfigurationOutput, StepError> {
        self.client
            .get_function_configuration()
            .function_name(function)
            .qualifier(qualifier)
            .send()
            .await
            .map_err(|e| {
                StepError::aws(
                    "Lambda",
                    &format!("GetFunctionConfiguration of {function}:{qualifier}"),
                    e,
                )
            })
    }

    /// Publishes `$LATEST` as a version (with `description` as the version's, when given);
    /// returns its number and description.
    pub async fn publish_version(
        &self,
        function: &str,
        description: Option<&str>,
    ) -> Result<(String, String), StepError> {
        let out = self
            .client
            .publish_version()
            .function_name(function)
            .set_description(description.map(str::to_string))
            .send()
            .await
            .map_err(|e| StepError::aws("Lambda", &format!("PublishVersion of {function}"), e))?;
        let version = out
            .version()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                StepError::UnexpectedResponse(format!(
                    "PublishVersion of {function} answered without a Version."
                ))
            })?
            .to_string();
        Ok((version, out.description().unwrap_or_default().to_string()))
    }

    /// A version's `State` (Active when Lambda gives none) and `StateReason`, now.
    pub(crate) async fn version_state(
        &self,
        function: &str,
        version: &str,
    ) -> Result<(State, Option<String>), StepError> {
        let out = self.configuration(function, version).await?;
        Ok((
            out.state().cloned().unwrap_or(State::Active),
            out.state_reason().map(str::to_string),
        ))
    }

    /// How often a wait looks.
    pub(crate) fn poll_interval(&self) -> Duration {
        self.waits.poll
    }

    /// Waits until a version's `State` is `Active`. Lambda may keep a new version `Pending` for a
    /// while (SnapStart always, other functions sometimes), and invoking it meanwhile fails
    /// with ResourceConflictException; in the normal case this is one
    /// `GetFunctionConfiguration`.
    pub async fn wait_until_active(&self, function: &str, version: &str) -> Result<(), StepError> {
        self.wait_for(
            function,
            version,
            &format!("Version {version} of {function} was not active"),
            |out| match out.state() {
                None | Some(State::Active) => Ok(true),
                Some(State::Failed) => Err(StepError::UpdateFailed {
                    function: format!("{function}:{version}"),
                    memory: out.memory_size().unwrap_or_default().max(0) as u32,
                    reason: out
                        .state_reason()
                        .unwrap_or("the version failed to activate")
                        .to_string(),
                }),
                Some(_) => Ok(false),
            },
        )
        .await
    }

    /// Every published version of the function with its description (`$LATEST` left out), over
    /// all pages; `None` when the listing is not the function's: Lambda always lists `$LATEST`,
    /// and moto 5.2.5 answers an empty list for a function named by its ARN.
    pub async fn list_versions(
        &self,
        function: &str,
    ) -> Result<Option<Vec<VersionInfo>>, StepError> {
        let versions: Vec<_> = self
            .client
            .list_versions_by_function()
            .function_name(function)
            .into_paginator()
            .page_size(1000)
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| {
                StepError::aws("Lambda", &format!("ListVersionsByFunction {function}"), e)
            })?;
        if !versions.iter().any(|v| v.version() == Some("$LATEST")) {
            return Ok(None);
        }
        Ok(Some(
            versions
                .into_iter()
                .filter_map(|v| {
                    Some(VersionInfo {
                        version: v.version()?.to_string(),
                        description: v.description().unwrap_or_default().to_string(),
                    })
                })
                .filter(|v| v.version != "$LATEST")
                .collect(),
        ))
    }

    /// Every alias of the function, over all pages: (name, version it points at).
    pub async fn list_aliases(&self, function: &str) -> Result<Vec<(String, String)>, StepError> {
        let aliases: Vec<_> = self
            .client
            .list_aliases()
            .function_name(function)
            .into_paginator()
            .page_size(1000)
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| StepError::aws("Lambda", &format!("ListAliases {function}"), e))?;
        Ok(aliases
            .into_iter()
            .filter_map(|a| Some((a.name()?.to_string(), a.function_version()?.to_string())))
            .collect())
    }

    /// The function's reserved concurrency, if any is set.
    pub async fn reserved_concurrency(&self, function: &str) -> Result<Option<i32>, StepError> {
        let out = self
            .client
            .get_function_concurrency()
            .function_name(function)
            .send()
            .await
            .map_err(|e| {
                StepError::aws("Lambda", &format!("GetFunctionConcurrency {function}"), e)
            })?;
        Ok(out.reserved_concurrent_executions())
    }

    /// Which of `names` are aliases of the function, with the version each points at. One
    /// ListAliases; where that fails (moto 5.2.5 does not decode an ARN in its path), one
    /// GetAlias per name.
    pub(crate) async fn aliases_named(
        &self,
        function: &str,
        names: &std::collections::BTreeSet<String>,
    ) -> Result<Vec<(String, String)>, StepError> {
        match self.list_aliases(function).await {
            Ok(all) => Ok(all.into_iter().filter(|(n, _)| names.contains(n)).collect()),
            Err(list_error) => {
                tracing::warn!(error = %list_error, "ListAliases failed; looking up the aliases one by one");
                let mut found = Vec::new();
                for name in names {
                    if let Some(version) = self.alias_version(function, name).await? {
                        found.push((name.clone(), version));
                    }
                }
                Ok(found)
            }
        }
    }

    /// Provisioned concurrency configurations of the function: (qualified ARN, requested).
    pub(crate) async fn provisioned_concurrency(
        &self,
        function: &str,
    ) -> Result<Vec<(String, u32)>, StepError> {
        let configs: Vec<_> = self
            .client
            .list_provisioned_concurrency_configs()
            .function_name(function)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| {
                StepError::aws(
                    "Lambda",
                    &format!("ListProvisionedConcurrencyConfigs {function}"),
                    e,
                )
            })?;
        Ok(configs
            .into_iter()
            .map(|c| {
                (
                    c.function_arn().unwrap_or_default().to_string(),
                    c.requested_provisioned_concurrent_executions()
                        .unwrap_or_default()
                        .max(0) as u32,
                )
            })
            .collect())
    }

    /// The account's code storage quota and usage in this region.
    pub async fn code_storage(&self) -> Result<CodeStorage, StepError> {
        let out = self
            .client
            .get_account_settings()
            .send()
            .await
            .map_err(|e| StepError::aws("Lambda", "GetAccountSettings", e))?;
        let limit = out
            .account_limit()
            .map(|l| l.total_code_size().max(0) as u64)
            .ok_or_else(|| {
                StepError::UnexpectedResponse(
                    "GetAccountSettings answered without AccountLimit; nothing was changed.".into(),
                )
            })?;
        let used = out
            .account_usage()
            .map(|u| u.total_code_size().max(0) as u64)
            .unwrap_or(0);
        Ok(CodeStorage { limit, used })
    }

    /// Time left before the step's own deadline; `None` without one.
    pub(crate) fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The version an alias points at, or `None` when the alias does not exist.
    pub(crate) async fn alias_version(
        &self,
        function: &str,
        alias: &str,
    ) -> Result<Option<String>, StepError> {
        match self
            .client
            .get_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
        {
            Ok(out) => Ok(out.function_version().map(str::to_string)),
            Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception() => Ok(None),
            Err(e) => Err(StepError::aws(
                "Lambda",
                &format!("GetAlias {alias} of {function}"),
                e,
            )),
        }
    }

    /// Creates the run's `alias` on `version`. An alias of that name that already exists is the
    /// run's only when it points at a version carrying the run's `marker` (a Publisher killed
    /// after creating it, retried): that one is moved to `version`. Any other was created by
    /// someone else after the Initializer checked the names; it is left as it is, and the run
    /// stops (updating it would hand the user's alias to the run, whose Cleaner deletes the
    /// aliases that point at its versions).
    pub(crate) async fn create_run_alias(
        &self,
        function: &str,
        alias: &str,
        version: &str,
        marker: &str,
    ) -> Result<(), StepError> {
        let created = self
            .client
            .create_alias()
            .function_name(function)
            .name(alias)
            .function_version(version)
            .send()
            .await;
        match created {
            Ok(_) => return Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_resource_conflict_exception() => {}
            Err(e) => {
                return Err(StepError::aws(
                    "Lambda",
                    &format!("CreateAlias {alias} of {function}"),
                    e,
                ))
            }
        }
        let Some(current) = self.alias_version(function, alias).await? else {
            // Deleted in between: create it again.
            return self.point_alias(function, alias, version).await;
        };
        let description = self
            .configuration(function, &current)
            .await?
            .description()
            .unwrap_or_default()
            .to_string();
        if !description.starts_with(marker) {
            return Err(StepError::VersionConflict(format!(
                "The alias {alias} of {function} appeared during the run, pointing at version {current} (\"{description}\"), which this run did not publish: it is someone else's, and the run leaves it as it is. Rename it or start the run again."
            )));
        }
        self.update_alias(function, alias, version).await
    }

    /// Moves an existing `alias` to `version`.
    async fn update_alias(
        &self,
        function: &str,
        alias: &str,
        version: &str,
    ) -> Result<(), StepError> {
        self.client
            .update_alias()
            .function_name(function)
            .name(alias)
            .function_version(version)
            .send()
            .await
            .map_err(|e| {
                StepError::aws("Lambda", &format!("UpdateAlias {alias} of {function}"), e)
            })?;
        Ok(())
    }

    /// Points `alias` at `version`, creating the alias if it does not exist.
    pub(crate) async fn point_alias(
        &self,
        function: &str,
        alias: &str,
        version: &str,
    ) -> Result<(), StepError> {
        if self.alias_version(function, alias).await?.is_some() {
            self.update_alias(function, alias, version).await?;
        } else {
            self.client
                .create_alias()
                .function_name(function)
                .name(alias)
                .function_version(version)
                .send()
                .await
                .map_err(|e| {
                    StepError::aws("Lambda", &format!("CreateAlias {alias} of {function}"), e)
                })?;
        }
        Ok(())
    }

    /// Deletes an alias; one that does not exist is fine.
    pub async fn delete_alias(&self, function: &str, alias: &str) -> Result<(), StepError> {
        match self
            .client
            .delete_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception() => Ok(()),
            Err(e) => Err(StepError::aws(
                "Lambda",
                &format!("DeleteAlias {alias} of {function}"),
                e,
            )),
        }
    }

    /// Deletes a published version; one that does not exist is fine. Never `$LATEST`.
    pub async fn delete_version(&self, function: &str, version: &str) -> Result<(), StepError> {
        if version == "$LATEST" || version.is_empty() {
            return Ok(());
        }
        match self
            .client
            .delete_function()
            .function_name(function)
            .qualifier(version)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception() => Ok(()),
            Err(e) => Err(StepError::aws(
                "Lambda",
                &format!("DeleteFunction {function}:{version}"),
                e,
            )),
        }
    }

    /// Invokes `function` (at `qualifier`, if given) synchronously, asking for the log tail.
    pub async fn invoke(
        &self,
        function: &str,
        qualifier: Option<&str>,
        payload: Option<&str>,
    ) -> Result<Invocation, StepError> {
        self.invoke_with(function, qualifier, payload, true).await
    }

    /// [`LambdaApi::invoke`] in one attempt, without the SDK's retries: for a load whose
    /// throttles are what it measures (Lambda Managed Instances refuse a request with 429 when
    /// an environment's slots are all busy). Retried by the SDK, three throttles in a row read
    /// as one, and the backoff between them as the request's latency.
    pub async fn invoke_once(
        &self,
        function: &str,
        qualifier: Option<&str>,
        payload: Option<&str>,
    ) -> Result<Invocation, StepError> {
        self.invoke_with(function, qualifier, payload, false).await
    }

    async fn invoke_with(
        &self,
        function: &str,
        qualifier: Option<&str>,
        payload: Option<&str>,
        retries: bool,
    ) -> Result<Invocation, StepError> {
        let mut request = self
            .invoke_client
            .invoke()
            .function_name(function)
            .log_type(LogType::Tail);
        if let Some(q) = qualifier {
            request = request.qualifier(q);
        }
        if let Some(p) = payload {
            request = request.payload(Blob::new(p.as_bytes()));
        }
        let target = match qualifier {
            Some(q) => format!("{function}:{q}"),
            None => function.to_string(),
        };
        let sent = if retries {
            request.send().await
        } else {
            request
                .customize()
                .config_override(
                    aws_sdk_lambda::config::Builder::default()
                        .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled()),
                )
                .send()
                .await
        };
        let out = sent.map_err(|e| StepError::aws("Lambda", &format!("Invoke of {target}"), e))?;
        use base64::Engine;
        let log_tail = match out.log_result() {
            None => None,
            Some(b64) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| {
                        StepError::UnexpectedResponse(format!(
                            "Invoke of {target} returned a LogResult that is not base64 ({e}), so its REPORT line cannot be read."
                        ))
                    })?;
                // The tail is cut at 4 KB, possibly inside a UTF-8 character.
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
        };
        Ok(Invocation {
            request_id: out.request_id().map(str::to_string),
            function_error: out.function_error().map(str::to_string),
            log_tail,
            payload: out
                .payload()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
        })
    }
}

/// `arn:...:function:name:qualifier` -> `arn:...:function:name`, with the core's ARN parser.
fn unqualified(arn: &str) -> &str {
    // The parser reads `$LATEST` as no qualifier at all.
    if let Some(bare) = arn.strip_suffix(":$LATEST") {
        return bare;
    }
    match powertune_core::input::FunctionRef::parse(arn) {
        Ok(f) => f
            .qualifier
            .map_or(arn, |q| arn.strip_suffix(&format!(":{q}")).unwrap_or(arn)),
        Err(_) => arn,
    }
}

#[cfg(test)]
mod tests;
