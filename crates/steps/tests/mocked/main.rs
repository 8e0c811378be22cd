//! Each step against mocked SDK clients whose rules check the exact requests, one module per
//! step (`mock` holds the rules). `RuleMode::Sequential` rules must be hit in order, so these
//! tests also pin the order of the calls. This file holds the rules and events the modules share.

#[macro_use]
mod mock;

mod analyzing;
mod cleaning;
mod executing;
mod initializing;
mod lambda_api;
mod logs_api;
mod optimizing;
mod publishing;

use aws_sdk_lambda::error::ErrorMetadata;
use aws_sdk_lambda::operation::create_alias::CreateAliasOutput;
use aws_sdk_lambda::operation::delete_alias::{DeleteAliasError, DeleteAliasOutput};
use aws_sdk_lambda::operation::delete_function::DeleteFunctionOutput;
use aws_sdk_lambda::operation::get_alias::{GetAliasError, GetAliasOutput};
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::operation::invoke::{InvokeError, InvokeOutput};
use aws_sdk_lambda::operation::publish_version::PublishVersionOutput;
use aws_sdk_lambda::operation::update_alias::UpdateAliasOutput;
use aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationOutput;
use aws_sdk_lambda::types::error::{
    ResourceNotFoundException, ServiceException, TooManyRequestsException,
};
use aws_sdk_lambda::types::{Architecture as LambdaArchitecture, LastUpdateStatus, LogType};
use aws_sdk_lambda::Client;
use aws_smithy_types::Blob;
use base64::Engine;
use mock::{Rule, RuleMode};
use powertune_core::input::Defaults;
use powertune_core::pricing::Architecture;
use powertune_steps::events::{
    ExecutorEvent, ExecutorOutput, FunctionSnapshot, OptimizerEvent, Plan,
};
use powertune_steps::lambda::{LambdaApi, Waits};
use powertune_steps::{cleaner, executor, initializer, optimizer, publisher, StepError};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:target";

fn api(mode: RuleMode, rules: &[&Rule]) -> LambdaApi {
    let client: Client = mock_client!(aws_sdk_lambda, mode, rules);
    LambdaApi::new(client).with_waits(Waits {
        poll: Duration::from_millis(1),
        timeout: Duration::from_secs(5),
        throttle_backoff: Duration::from_millis(1),
        ..Waits::default()
    })
}

fn config(
    memory: i32,
    description: &str,
    status: LastUpdateStatus,
) -> GetFunctionConfigurationOutput {
    GetFunctionConfigurationOutput::builder()
        .function_arn(ARN)
        .memory_size(memory)
        .description(description)
        .architectures(LambdaArchitecture::Arm64)
        .last_update_status(status)
        .build()
}

fn get_latest(memory: i32, description: &'static str, status: LastUpdateStatus) -> Rule {
    mock!(Client::get_function_configuration)
        .match_requests(|r| r.function_name() == Some(ARN) && r.qualifier() == Some("$LATEST"))
        .then_output(move || config(memory, description, status.clone()))
}

fn update(memory: i32, description: &'static str) -> Rule {
    mock!(Client::update_function_configuration)
        .match_requests(move |r| {
            r.function_name() == Some(ARN)
                && r.memory_size() == Some(memory)
                && r.description() == Some(description)
        })
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build())
}

fn publish(version: &'static str, description: &'static str) -> Rule {
    mock!(Client::publish_version)
        .match_requests(|r| r.function_name() == Some(ARN))
        .then_output(move || {
            PublishVersionOutput::builder()
                .version(version)
                .description(description)
                .build()
        })
}

fn alias_missing(alias: &'static str) -> Rule {
    mock!(Client::get_alias)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.name() == Some(alias))
        .then_error(|| {
            GetAliasError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
        })
}

fn alias_at(alias: &'static str, version: &'static str) -> Rule {
    mock!(Client::get_alias)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.name() == Some(alias))
        .then_output(move || {
            GetAliasOutput::builder()
                .name(alias)
                .function_version(version)
                .build()
        })
}

fn create_alias(alias: &'static str, version: &'static str) -> Rule {
    mock!(Client::create_alias)
        .match_requests(move |r| {
            r.function_name() == Some(ARN)
                && r.name() == Some(alias)
                && r.function_version() == Some(version)
        })
        .then_output(|| CreateAliasOutput::builder().build())
}

/// CreateAlias answered ResourceConflictException: the alias exists.
fn alias_exists(alias: &'static str) -> Rule {
    mock!(Client::create_alias)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.name() == Some(alias))
        .then_error(|| {
            aws_sdk_lambda::operation::create_alias::CreateAliasError::ResourceConflictException(
                aws_sdk_lambda::types::error::ResourceConflictException::builder().build(),
            )
        })
}

/// GetFunctionConfiguration of a published version, with its description.
fn version_described(version: &'static str, description: &'static str) -> Rule {
    mock!(Client::get_function_configuration)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.qualifier() == Some(version))
        .then_output(move || config(128, description, LastUpdateStatus::Successful))
}

fn update_alias(alias: &'static str, version: &'static str) -> Rule {
    mock!(Client::update_alias)
        .match_requests(move |r| {
            r.function_name() == Some(ARN)
                && r.name() == Some(alias)
                && r.function_version() == Some(version)
        })
        .then_output(|| UpdateAliasOutput::builder().build())
}

fn delete_alias(alias: &'static str) -> Rule {
    mock!(Client::delete_alias)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.name() == Some(alias))
        .then_output(|| DeleteAliasOutput::builder().build())
}

fn delete_version(version: &'static str) -> Rule {
    mock!(Client::delete_function)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.qualifier() == Some(version))
        .then_output(|| DeleteFunctionOutput::builder().build())
}

fn active(version: &'static str) -> Rule {
    mock!(Client::get_function_configuration)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.qualifier() == Some(version))
        .then_output(|| {
            GetFunctionConfigurationOutput::builder()
                .state(aws_sdk_lambda::types::State::Active)
                .build()
        })
}

fn no_reserved_concurrency() -> Rule {
    mock!(Client::get_function_concurrency)
        .match_requests(|r| r.function_name() == Some(ARN))
        .then_output(|| {
            aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput::builder().build()
        })
}

fn versions(list: &'static [(&'static str, &'static str)]) -> Rule {
    mock!(Client::list_versions_by_function)
        .match_requests(|r| r.function_name() == Some(ARN))
        .then_output(move || {
            let mut out = aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput::builder()
                .versions(
                    aws_sdk_lambda::types::FunctionConfiguration::builder()
                        .version("$LATEST")
                        .description("original")
                        .build(),
                );
            for (v, d) in list {
                out = out.versions(
                    aws_sdk_lambda::types::FunctionConfiguration::builder()
                        .version(*v)
                        .description(*d)
                        .build(),
                );
            }
            out.build()
        })
}

fn aliases(list: &'static [(&'static str, &'static str)]) -> Rule {
    mock!(Client::list_aliases)
        .match_requests(|r| r.function_name() == Some(ARN))
        .then_output(move || {
            let mut out = aws_sdk_lambda::operation::list_aliases::ListAliasesOutput::builder();
            for (name, v) in list {
                out = out.aliases(
                    aws_sdk_lambda::types::AliasConfiguration::builder()
                        .name(*name)
                        .function_version(*v)
                        .build(),
                );
            }
            out.build()
        })
}

fn no_aliases() -> Rule {
    aliases(&[])
}

fn code_storage(limit: i64, used: i64) -> Rule {
    mock!(Client::get_account_settings).then_output(move || {
        aws_sdk_lambda::operation::get_account_settings::GetAccountSettingsOutput::builder()
            .account_limit(
                aws_sdk_lambda::types::AccountLimit::builder()
                    .total_code_size(limit)
                    .build(),
            )
            .account_usage(
                aws_sdk_lambda::types::AccountUsage::builder()
                    .total_code_size(used)
                    .build(),
            )
            .build()
    })
}

fn snapshot() -> FunctionSnapshot {
    FunctionSnapshot {
        arn: ARN.into(),
        region: "eu-west-1".into(),
        architecture: Architecture::Arm64,
        memory_size: 1024,
        description: "original".into(),
        snap_start: false,
        ephemeral_storage_mb: 512,
        timeout_s: None,
        managed: None,
        instance_prices: None,
    }
}

/// A plan of run "run1": descriptions are "powertune run run1: RAM<value>".
fn plan(power_values: &[u32]) -> Plan {
    Plan::new(
        &typed(json!({"lambdaARN": ARN, "num": 5, "powerValues": power_values})),
        snapshot(),
        "run1".into(),
    )
}

/// The Initializer as its binary runs it: the input parsed at the edge, then planned.
async fn initialize(
    lambda: &LambdaApi,
    input: &Value,
    defaults: &Defaults,
    run_id: &str,
) -> Result<powertune_steps::events::Plan, powertune_steps::error::StepError> {
    let input = powertune_core::input::ExecutionInput::from_json(input, defaults)?;
    initializer::initialize(lambda, None, &input, run_id, true).await
}

fn tail(duration: f64, billed: u32, init: Option<f64>) -> String {
    let init = init
        .map(|i| format!("\tInit Duration: {i} ms"))
        .unwrap_or_default();
    let text = format!(
        "START RequestId: r Version: 1\nEND RequestId: r\nREPORT RequestId: r\tDuration: {duration} ms\tBilled Duration: {billed} ms\tMemory Size: 512 MB\tMax Memory Used: 40 MB{init}\n"
    );
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn ok_invoke(duration: f64) -> InvokeOutput {
    InvokeOutput::builder()
        .status_code(200)
        .log_result(tail(duration, duration.ceil() as u32, None))
        .payload(Blob::new("{\"ok\":true}"))
        .build()
}

/// A test's input, read as the Initializer reads it (512 MB when it names no power values).
fn typed(input: Value) -> powertune_core::input::ExecutionInput {
    let defaults = Defaults {
        power_values: vec![512],
        region: None,
    };
    powertune_core::input::ExecutionInput::from_json(&input, &defaults).expect("a valid input")
}

fn executor_event(input: Value) -> ExecutorEvent {
    ExecutorEvent {
        input: typed(input),
        function: snapshot(),
        value: 512,
        first: 0,
        count: None,
    }
}

fn published_plan() -> Plan {
    let mut p = plan(&[128, 256]);
    p.versions = vec!["7".into(), "8".into()];
    p.publishing_done = true;
    p
}

fn optimizer_event(input: Value) -> OptimizerEvent {
    let analysis: powertune_core::output::TuningResult = serde_json::from_value(json!({
        "power": 512, "cost": 1e-7, "duration": 20.0, "strategy": "cost", "currency": "USD",
        "stateMachine": {"executionCost": 0.0003, "lambdaCost": 1e-5, "visualization": "https://x/#a;b;c"}
    }))
    .unwrap();
    OptimizerEvent {
        input: typed(input),
        function: snapshot(),
        run_id: "abc".into(),
        analysis,
    }
}
