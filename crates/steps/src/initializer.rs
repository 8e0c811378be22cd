//! Initializer: validates the execution input, records the function's `$LATEST` configuration
//! and plans one version + alias per configuration. It changes nothing.

use crate::error::StepError;
use crate::events::{FunctionSnapshot, Plan};
use crate::lambda::LambdaApi;
use crate::state;
use powertune_core::input::{Defaults, ExecutionInput, FunctionRef};

/// Plans a run of `input` (parsed where the execution starts, with the deployment's
/// [`Defaults`]). `run_id` must be unique per execution (the bins use the Lambda request ID).
/// With `in_state_machine`, the plan must fit Step Functions' limit on a state
/// ([`crate::state::STATE_LIMIT_BYTES`]); locally it never travels through Step Functions.
#[tracing::instrument(skip_all, fields(step = "initializer"))]
pub async fn initialize(
    lambda: &LambdaApi,
    input: &ExecutionInput,
    run_id: &str,
    in_state_machine: bool,
) -> Result<Plan, StepError> {
    let function = input.lambda.given.clone();
    tracing::info!(function = %function, power_values = ?input.power_values, num = input.num, "input is valid");

    let config = lambda.latest_config(&function).await?;
    // Lambda throttles every invocation of a function with reserved concurrency 0; the run
    // could only fail, after publishing every version.
    if lambda.reserved_concurrency(&function).await? == Some(0) {
        return Err(StepError::InvalidInput(format!(
            "{function} has reserved concurrency 0, so Lambda throttles every invocation of it and it cannot be tuned. Remove the reserved concurrency (or set it above 0) and start again."
        )));
    }
    if config.last_update_in_progress {
        // UpdateFunctionConfiguration fails while another update is in progress.
        lambda
            .wait_until_updated(&function, config.memory_size)
            .await?;
    }
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
    let function = FunctionSnapshot {
        arn: config.function_arn,
        region,
        architecture: config.architecture,
        memory_size: config.memory_size,
        description: config.description,
        snap_start: config.snap_start,
    };
    let plan = Plan::new(input, function, run_id);
    if in_state_machine {
        let size = state::largest_state(&plan, input);
        if !size.fits() {
            return Err(StepError::InvalidInput(state::too_big_message(
                &plan, input, &size,
            )));
        }
        tracing::info!(largest_state = size.largest, "the run's states fit");
    }
    Ok(plan)
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
