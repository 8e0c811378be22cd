//! Tuning on AWS: start an execution of the deployed state machine, follow it, and return its
//! result document (or its error and cause).

use anyhow::{anyhow, bail, Context, Result};
use aws_config::BehaviorVersion;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use indicatif::{ProgressBar, ProgressStyle};
use powertune_core::output::TuningResult;
use serde_json::Value;
use std::time::Duration;

/// Where the state machine is.
pub enum Target {
    Arn(String),
    /// The `StateMachineARN` output of a CloudFormation stack.
    Stack(String),
}

/// How an execution ended.
pub enum Ended {
    Succeeded(Value),
    Failed {
        status: String,
        error: String,
        cause: String,
    },
}

pub async fn state_machine_arn(config: &aws_config::SdkConfig, target: &Target) -> Result<String> {
    match target {
        Target::Arn(arn) => Ok(arn.clone()),
        Target::Stack(name) => {
            let cfn = aws_sdk_cloudformation::Client::new(config);
            let out = cfn
                .describe_stacks()
                .stack_name(name)
                .send()
                .await
                .map_err(|e| {
                    anyhow!(
                        "cannot describe stack {name}: {}",
                        aws_sdk_cloudformation::error::DisplayErrorContext(e)
                    )
                })?;
            out.stacks()
                .first()
                .and_then(|s| {
                    s.outputs()
                        .iter()
                        .find(|o| o.output_key() == Some("StateMachineARN"))
                })
                .and_then(|o| o.output_value())
                .map(str::to_string)
                .ok_or_else(|| anyhow!("stack {name} has no StateMachineARN output"))
        }
    }
}

/// Starts an execution with `input` and follows it until it ends, showing the state it is in.
pub async fn execute(target: &Target, input: &Value, show_progress: bool) -> Result<Ended> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let arn = state_machine_arn(&config, target).await?;
    let sfn = aws_sdk_sfn::Client::new(&config);
    // A name of our own: it shows in the console, and moto needs one (it names unnamed
    // executions "None", so a second unnamed one conflicts).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let name = format!("powertune-{}-{:06}", now.as_secs(), now.subsec_micros());
    let started = sfn
        .start_execution()
        .state_machine_arn(&arn)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot start an execution of {arn}: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
    let execution = started.execution_arn().to_string();
    eprintln!("Started {execution}");

    let spinner = ProgressBar::new_spinner();
    if !show_progress {
        spinner.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let poll = Duration::from_millis(
        std::env::var("POWERTUNE_POLL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
    );
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot describe {execution}: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(e)
                )
            })?;
        match described.status() {
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive => {
                spinner.set_message(current_state(&sfn, &execution).await.unwrap_or_default());
                tokio::time::sleep(poll).await;
            }
            ExecutionStatus::Succeeded => {
                spinner.finish_and_clear();
                let output = described
                    .output()
                    .context("the execution succeeded without output")?;
                return Ok(Ended::Succeeded(
                    serde_json::from_str(output).context("the execution's output is not JSON")?,
                ));
            }
            other => {
                spinner.finish_and_clear();
                return Ok(Ended::Failed {
                    status: other.as_str().to_string(),
                    error: described.error().unwrap_or("(no error)").to_string(),
                    cause: described.cause().unwrap_or("(no cause)").to_string(),
                });
            }
        }
    }
}

/// "Publisher", "Executor 3 of 6 done", ...: what the execution is doing, from its history.
async fn current_state(sfn: &aws_sdk_sfn::Client, execution: &str) -> Option<String> {
    let history = sfn
        .get_execution_history()
        .execution_arn(execution)
        .reverse_order(true)
        .max_results(100)
        .send()
        .await
        .ok()?;
    let events = history.events();
    let executors_done = events
        .iter()
        .filter(|e| e.r#type() == &HistoryEventType::TaskStateExited)
        .filter(|e| {
            e.state_exited_event_details()
                .is_some_and(|d| d.name() == "Executor")
        })
        .count();
    let entered = events
        .iter()
        .find(|e| e.state_entered_event_details().is_some())?;
    let name = entered.state_entered_event_details()?.name().to_string();
    Some(if name == "Executor" || name == "Branching" {
        format!("Executor ({executors_done} power values done)")
    } else {
        name
    })
}

/// The result document of a successful execution.
pub fn result_of(output: Value) -> Result<TuningResult> {
    if output.get("dryRun").is_some() {
        bail!("dry run");
    }
    serde_json::from_value(output).context("the execution's output is not a powertune result")
}
