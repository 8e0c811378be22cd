//! Initializer: validates the execution input, records the function's `$LATEST` configuration,
//! refuses runs that could only fail, and plans one version + alias per configuration. It
//! changes nothing.

use crate::error::StepError;
use crate::events::{FunctionSnapshot, Plan};
use crate::history;
use crate::insights::{LogsApi, QUERY_WAIT};
use crate::lambda::{FunctionConfig, LambdaApi};
use crate::state_size;
use aws_sdk_lambda::types::State;
use powertune_core::input::{
    ColdStartRate, Defaults, ExecutionInput, FunctionRef, MeasuredRate, MeasuredTraffic,
    TrafficSource, AUTO_RATE_DAYS,
};
use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

/// Plans a run of `input` (parsed where the execution starts, with the deployment's
/// [`Defaults`]). `run_id` must be unique per execution (the bins use the Lambda request ID).
/// With `in_state_machine`, the plan must fit Step Functions' limit on a state
/// ([`crate::state_size::STATE_LIMIT_BYTES`]); locally it never travels through Step Functions.
/// `coldStartRate: "auto"` is read from the function's logs through `logs`; without it (a local
/// run) "auto" is refused.
#[tracing::instrument(skip_all, fields(step = "initializer"))]
pub async fn initialize(
    lambda: &LambdaApi,
    logs: Option<&LogsApi>,
    input: &ExecutionInput,
    run_id: &str,
    in_state_machine: bool,
) -> Result<Plan, StepError> {
    let function = input.lambda.given.clone();
    tracing::info!(function = %function, power_values = ?input.power_values, num = input.num, "input is valid");
    if input.managed_instances.is_some() {
        refuse_unmanaged_fields(input)?;
    }

    let config = lambda.latest_config(&function).await?;
    if let Some(m) = &input.managed_instances {
        check_managed(lambda, m, &function, &config)?;
    }
    // coldStartRate "auto" and monthlyInvocations "auto" are read by one Logs Insights query.
    let rate_auto = input.cold_start_rate == Some(ColdStartRate::Auto);
    let traffic_auto = input.monthly_invocations_source == Some(TrafficSource::Auto);
    let auto = rate_auto || traffic_auto;
    if logs.is_none() {
        if rate_auto {
            return Err(StepError::InvalidInput(
                "coldStartRate \"auto\" reads the share of cold starts from the function's CloudWatch logs, which a local run has none of: give a share, such as 0.05".into(),
            ));
        }
        if traffic_auto {
            return Err(StepError::InvalidInput(
                "monthlyInvocations \"auto\" reads the function's traffic from its CloudWatch logs, which a local run has none of: give invocations a month, such as 100000000".into(),
            ));
        }
    }
    // The plan's size is estimated with what the query will give: its size does not depend on
    // what it counts.
    let planned;
    let input = if auto {
        let largest = largest_rate(&config.log_group);
        let mut p = input.clone();
        if rate_auto {
            p.cold_start_rate = Some(ColdStartRate::Measured(largest.clone()));
        }
        if traffic_auto {
            let traffic = MeasuredTraffic::of(&largest);
            p.monthly_invocations = Some(traffic.per_month);
            p.monthly_invocations_source = Some(TrafficSource::Measured(traffic));
        }
        planned = p;
        &planned
    } else {
        input
    };
    let region = input
        .region
        .clone()
        .or_else(|| {
            FunctionRef::parse(&config.function_arn)
                .ok()
                .and_then(|f| f.region)
        })
        .unwrap_or_else(|| powertune_core::pricing::FALLBACK_REGION.to_string());

    let run_id: String = run_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    let snapshot = FunctionSnapshot {
        arn: config.function_arn.clone(),
        region,
        architecture: config.architecture,
        memory_size: config.memory_size,
        description: config.description.clone(),
        snap_start: config.snap_start,
        ephemeral_storage_mb: config.ephemeral_storage_mb,
        timeout_s: config.timeout_s,
        managed: config.managed.clone(),
        instance_prices: None,
    };
    let mut plan = Plan::new(input, snapshot, run_id);
    if in_state_machine {
        let size = state_size::largest_state(&plan, input);
        if !size.fits() {
            return Err(StepError::InvalidInput(state_size::too_big_message(
                &plan, input, &size,
            )));
        }
        tracing::info!(largest_state = size.largest, "the run's states fit");
        // Every step has the deployment's totalExecutionTimeout, as this one does: what is left
        // of it now is what a Publisher invocation will have.
        if let Some(left) = lambda.time_left() {
            let budget = Duration::from_secs(left.as_secs_f64().ceil() as u64);
            let history = history::estimate(&plan, budget);
            if !history.fits() {
                return Err(StepError::InvalidInput(history::too_long_message(
                    &plan, &history, budget,
                )));
            }
            tracing::info!(events = history.events, "the run's history fits");
        }
    }
    refuse_what_can_only_fail(lambda, &plan, &function, &config).await?;
    // Last of the checks: the Logs Insights query (up to two minutes, billed per GB scanned)
    // only for a run nothing cheaper refuses.
    if let (true, Some(logs)) = (auto, logs) {
        // The step's own deadline bounds the query, with time left to say why it stopped.
        let wait = lambda.time_left().map_or(QUERY_WAIT, |left| {
            left.saturating_sub(Duration::from_secs(5))
        });
        let rate = logs
            .cold_start_rate(
                &config.log_group,
                &function_name(&config.function_arn),
                SystemTime::now(),
                Instant::now() + wait,
            )
            .await?;
        tracing::info!(rate = rate.rate, invocations = rate.invocations, cold_starts = rate.cold_starts, log_group = %rate.log_group, "read from the logs");
        if traffic_auto {
            let traffic = MeasuredTraffic::of(&rate);
            plan.input.monthly_invocations = Some(traffic.per_month);
            plan.input.monthly_invocations_source = Some(TrafficSource::Measured(traffic));
        }
        if rate_auto {
            plan.input.cold_start_rate = Some(ColdStartRate::Measured(rate));
        }
    }
    if config.busy() {
        // UpdateFunctionConfiguration fails while another update is in progress, and every
        // operation on a Pending function fails.
        lambda.wait_until_ready(&function).await?;
    }
    Ok(plan)
}

/// The fields an LMI run on AWS does not use, refused rather than ignored: it drives each
/// configuration under load and recommends one to deploy. `powertune tune` checks them too,
/// before an execution starts.
pub fn refuse_unmanaged_fields(input: &ExecutionInput) -> Result<(), StepError> {
    let unused = [
        ("dryRun", input.dry_run),
        ("autoOptimize", input.auto_optimize),
        ("onlyColdStarts", input.only_cold_starts),
        ("adaptive", input.adaptive),
        ("preProcessorARN", input.pre_processor.is_some()),
        ("postProcessorARN", input.post_processor.is_some()),
    ];
    let given: Vec<&str> = unused
        .iter()
        .filter(|(_, given)| *given)
        .map(|(field, _)| *field)
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(StepError::InvalidInput(format!(
        "{} {} not apply to managedInstances: an LMI run drives each configuration under sustained load for loadSeconds and recommends one; nothing was changed.",
        given.join(", "),
        if given.len() == 1 { "does" } else { "do" }
    )))
}

/// What an LMI run needs of the function, checked before anything changes: it runs on a capacity
/// provider already (Lambda sets a function's compute type when it is created: AWS SAM's
/// `CapacityProviderConfig` "needs to be specified during the first function deployment. It
/// can't be added or removed after the function resource has been created"), the one the input
/// names if it names one; a runtime LMI runs; and one configuration's drive fits in a step.
fn check_managed(
    lambda: &LambdaApi,
    m: &powertune_core::managed::ManagedInstances,
    function: &str,
    config: &FunctionConfig,
) -> Result<(), StepError> {
    let Some(placement) = &config.managed else {
        return Err(StepError::InvalidInput(format!(
            "{function} runs on demand, not on a capacity provider: Lambda sets a function's compute type when it is created, so its versions cannot be published on Lambda Managed Instances. Tune a copy created with CapacityProviderConfig, or this function's code locally (powertune tune --local FUNCTION --managed-instances); nothing was changed."
        )));
    };
    if let Some(arn) = &m.capacity_provider_arn {
        if *arn != placement.capacity_provider_arn {
            return Err(StepError::InvalidInput(format!(
                "capacityProviderArn is {arn}, but {function} runs on {}: a run publishes its versions on the function's own capacity provider (the security boundary its code was given); leave capacityProviderArn out or name that one. Nothing was changed.",
                placement.capacity_provider_arn
            )));
        }
    }
    if let Some(runtime) = &config.runtime {
        powertune_core::managed::supports_runtime(runtime)
            .map_err(|e| StepError::InvalidInput(format!("{function}: {e}")))?;
    }
    let window = Duration::from_secs_f64(m.load_seconds);
    let needed = crate::managed::warm_up(window) + window + MANAGED_STEP_ALLOWANCE;
    if let Some(left) = lambda.time_left() {
        if needed > left {
            return Err(StepError::InvalidInput(format!(
                "loadSeconds {} does not fit in an Executor: a configuration takes its first requests, a warm-up and the window ({} s with {} s to spare) and the steps have {} s (the deployment's totalExecutionTimeout); give a shorter loadSeconds or deploy with a longer timeout. Nothing was changed.",
                m.load_seconds,
                needed.as_secs(),
                MANAGED_STEP_ALLOWANCE.as_secs(),
                left.as_secs()
            )));
        }
    }
    Ok(())
}

/// What an Executor needs beside an LMI configuration's warm-up and window: the first requests
/// (a version is Active once its environments started, so they answer in milliseconds) and the
/// time to return.
const MANAGED_STEP_ALLOWANCE: Duration = Duration::from_secs(10);

/// A function's name from its ARN (or the name itself).
fn function_name(function: &str) -> String {
    FunctionRef::parse(function).map_or_else(|_| function.to_string(), |f| f.name)
}

/// The largest rate the query can give for `log_group`, for the size estimate.
fn largest_rate(log_group: &str) -> MeasuredRate {
    MeasuredRate {
        rate: 1.0,
        invocations: u64::MAX,
        cold_starts: u64::MAX,
        days: AUTO_RATE_DAYS,
        log_group: log_group.to_string(),
    }
}

/// Refuses, before anything changes, a run that could only fail or would take what is not
/// the run's: a Failed function, logs without REPORT records, no concurrency for the versions
/// the run publishes, aliases of the user's named as the run's, versions past the account's
/// code storage.
async fn refuse_what_can_only_fail(
    lambda: &LambdaApi,
    plan: &Plan,
    function: &str,
    config: &FunctionConfig,
) -> Result<(), StepError> {
    let input = &plan.input;
    if config.state == State::Failed {
        return Err(StepError::InvalidInput(format!(
            "{function} is in state Failed ({}), so Lambda cannot run it. Fix and redeploy it, then start again.",
            config.state_reason.as_deref().unwrap_or("Lambda gave no reason")
        )));
    }
    // "Log-level filtering": above INFO, Lambda drops the platform.start and platform.report
    // records, and with them every invocation's duration.
    if config.json_logs && config.system_log_level.as_deref() == Some("WARN") {
        return Err(StepError::InvalidInput(format!(
            "{function} logs in JSON with SystemLogLevel WARN, so Lambda drops the REPORT record every invocation's duration is read from. Set its LoggingConfig SystemLogLevel to INFO (or DEBUG) and start again."
        )));
    }
    match lambda.reserved_concurrency(function).await? {
        // Lambda throttles every invocation of a function with reserved concurrency 0; the run
        // could only fail, after publishing every version.
        Some(0) => {
            return Err(StepError::InvalidInput(format!(
                "{function} has reserved concurrency 0, so Lambda throttles every invocation of it and it cannot be tuned. Remove the reserved concurrency (or set it above 0) and start again."
            )))
        }
        Some(reserved) => {
            // Provisioned concurrency is taken from the reserved concurrency; the versions the
            // run publishes have none, so they get what is left.
            let provisioned = lambda.provisioned_concurrency(function).await?;
            let taken: u32 = provisioned.iter().map(|(_, n)| n).sum();
            if taken >= reserved as u32 {
                let on: Vec<String> = provisioned
                    .iter()
                    .map(|(arn, n)| format!("{n} on {}", arn.rsplit(':').next().unwrap_or(arn)))
                    .collect();
                return Err(StepError::InvalidInput(format!(
                    "{function} has reserved concurrency {reserved}, all of it taken by provisioned concurrency ({}), so Lambda would throttle every invocation of the versions powertune publishes. Raise the reserved concurrency above {taken} and start again.",
                    on.join(", ")
                )));
            }
        }
        None => {}
    }
    let names: BTreeSet<String> = plan.configurations().into_iter().map(|c| c.alias).collect();
    let taken = lambda.aliases_named(function, &names).await?;
    if !taken.is_empty() {
        let listed: Vec<String> = taken
            .iter()
            .take(10)
            .map(|(name, version)| format!("{name} (version {version})"))
            .collect();
        let more = taken.len().saturating_sub(listed.len());
        return Err(StepError::InvalidInput(format!(
            "{function} already has aliases named as this run's: {}{}. powertune would point them at its own versions and delete them afterwards; rename or delete them (aws lambda delete-alias), or tune other power values.",
            listed.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        )));
    }
    // Every published version counts against the account's code storage (75 GB by default).
    if config.code_size > 0 {
        let versions = names.len() as u64 + u64::from(input.auto_optimize_alias.is_some());
        let needed = config.code_size * versions;
        // The quota is a check made in advance, not a condition of the run: where the account's
        // settings cannot be read (a role without lambda:GetAccountSettings, an API that lacks
        // the operation, as moto does), the run goes on and says so; PublishVersion would
        // answer CodeStorageExceededException and the cleanup would undo the run.
        let storage = match lambda.code_storage().await {
            Ok(storage) => storage,
            Err(e) => {
                tracing::warn!(error = %e, "the account's code storage could not be read; the run goes on without checking that its {versions} versions fit");
                return Ok(());
            }
        };
        let free = storage.limit.saturating_sub(storage.used);
        if needed > free {
            return Err(StepError::InvalidInput(format!(
                "This run publishes {versions} versions of {function} ({} bytes of code each, {needed} in all), but the account's code storage has {free} of {} bytes free. Delete unused versions, or tune fewer power values (with onlyColdStarts, a lower \"num\").",
                config.code_size, storage.limit
            )));
        }
    }
    Ok(())
}

/// The defaults a deployment sets through environment variables: `defaultPowerValues`
/// (comma-separated, from the template's `PowerValues`) and `AWS_REGION`.
pub fn defaults_from_env() -> Result<Defaults, StepError> {
    let power_values = match std::env::var("defaultPowerValues") {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|v| {
                v.trim().parse::<u32>().map_err(|_| {
                    StepError::InvalidInput(format!(
                        "The deployment's defaultPowerValues \"{s}\" is not a comma-separated list of integers."
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    Ok(Defaults {
        power_values,
        region: std::env::var("AWS_REGION").ok(),
    })
}
