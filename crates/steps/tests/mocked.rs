//! Each step against aws-smithy-mocks rules that check the exact requests. `RuleMode::Sequential`
//! rules must be hit in order, each once, so these tests also pin the order of the calls.

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
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::Blob;
use base64::Engine;
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

fn snapshot() -> FunctionSnapshot {
    FunctionSnapshot {
        arn: ARN.into(),
        region: "eu-west-1".into(),
        architecture: Architecture::Arm64,
        memory_size: 1024,
        description: "original".into(),
        snap_start: false,
    }
}

/// A plan of run "run1": descriptions are "powertune run run1: RAM<value>".
fn plan(power_values: &[u32]) -> Plan {
    Plan {
        input: typed(json!({"lambdaARN": ARN, "num": 5, "powerValues": power_values})),
        function: snapshot(),
        run_id: "run1".into(),
        versions: Vec::new(),
        publisher_rounds: 0,
        done: false,
    }
}

// ---------------------------------------------------------------- Initializer

/// The Initializer as its binary runs it: the input parsed at the edge, then planned.
async fn initialize(
    lambda: &LambdaApi,
    input: &Value,
    defaults: &Defaults,
    run_id: &str,
) -> Result<powertune_steps::events::Plan, powertune_steps::error::StepError> {
    let input = powertune_core::input::ExecutionInput::from_json(input, defaults)?;
    initializer::initialize(lambda, &input, run_id, true).await
}

#[tokio::test]
async fn initializer_records_latest_and_plans_one_alias_per_power_value() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(1024, "original", LastUpdateStatus::Successful),
            &no_reserved_concurrency(),
        ],
    );
    let input = json!({"lambdaARN": ARN, "num": 10, "powerValues": [512, 128]});
    let plan = initialize(&lambda, &input, &Defaults::default(), "8f1c-22ab-4d")
        .await
        .unwrap();
    let configurations = plan.configurations();
    assert_eq!(plan.function, snapshot());
    assert_eq!(plan.run_id, "8f1c22ab4d");
    let aliases: Vec<&str> = configurations.iter().map(|c| c.alias.as_str()).collect();
    assert_eq!(aliases, ["RAM128", "RAM512"]);
    assert_eq!(
        configurations[0].description,
        "powertune run 8f1c22ab4d: RAM128"
    );
    assert!(plan.versions.is_empty());
    assert_eq!(plan.input.discard_top_bottom, 0.2);
    assert!(!plan.done);
}

#[tokio::test]
async fn initializer_plans_num_distinct_versions_for_cold_starts() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(1024, "original", LastUpdateStatus::Successful),
            &no_reserved_concurrency(),
        ],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [256], "onlyColdStarts": true});
    let plan = initialize(&lambda, &input, &Defaults::default(), "r")
        .await
        .unwrap();
    let configurations = plan.configurations();
    let aliases: Vec<&str> = configurations.iter().map(|c| c.alias.as_str()).collect();
    assert_eq!(
        aliases,
        ["RAM256-0", "RAM256-1", "RAM256-2", "RAM256-3", "RAM256-4"]
    );
    let mut descriptions: Vec<&str> = configurations
        .iter()
        .map(|c| c.description.as_str())
        .collect();
    descriptions.dedup();
    assert_eq!(
        descriptions.len(),
        5,
        "each version needs its own description"
    );
}

#[tokio::test]
async fn initializer_rejects_bad_input_before_calling_aws() {
    // No rules: any AWS call would panic.
    let lambda = api(RuleMode::Sequential, &[]);
    let err = initialize(
        &lambda,
        &json!({"lambdaARN": ARN, "num": 3, "stratgy": "cost"}),
        &Defaults::default(),
        "r",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(err.to_string().contains("\"num\" is 3"), "{err}");
    assert!(
        err.to_string().contains("did you mean \"strategy\""),
        "{err}"
    );
}

// ---------------------------------------------------------------- Publisher

#[tokio::test]
async fn publisher_updates_waits_publishes_and_aliases_in_order_then_restores_latest() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &update(128, "powertune run run1: RAM128"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::InProgress,
            ),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &publish("7", "powertune run run1: RAM128"),
            &active("7"),
            &alias_missing("RAM128"),
            &create_alias("RAM128", "7"),
            &update(256, "powertune run run1: RAM256"),
            &get_latest(
                256,
                "powertune run run1: RAM256",
                LastUpdateStatus::Successful,
            ),
            &publish("8", "powertune run run1: RAM256"),
            &active("8"),
            &alias_at("RAM256", "3"),
            &update_alias("RAM256", "8"),
            // Restore: memory and description, and no PublishVersion.
            &get_latest(
                256,
                "powertune run run1: RAM256",
                LastUpdateStatus::Successful,
            ),
            &update(1024, "original"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let plan = publisher::publish(&lambda, plan(&[128, 256]), Duration::from_secs(300))
        .await
        .unwrap();
    assert!(plan.done);
    assert_eq!(plan.published(), 2);
    assert_eq!(plan.publisher_rounds, 1);
    assert_eq!(plan.versions, ["7", "8"]);
}

#[tokio::test]
async fn publisher_reports_a_failed_update_with_lambdas_reason() {
    let failed = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .last_update_status(LastUpdateStatus::Failed)
            .last_update_status_reason("EniLimitExceeded: the VPC has no free ENIs")
            .build()
    });
    let lambda = api(
        RuleMode::Sequential,
        &[&update(128, "powertune run run1: RAM128"), &failed],
    );
    let err = publisher::publish(&lambda, plan(&[128]), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.UpdateFailed");
    assert!(
        err.to_string()
            .contains("EniLimitExceeded: the VPC has no free ENIs"),
        "{err}"
    );
    assert!(err.to_string().contains("128 MB"), "{err}");
}

#[tokio::test]
async fn publisher_refuses_a_version_it_did_not_create() {
    // Lambda returns the latest existing version when nothing changed: not ours to delete.
    let lambda = api(
        RuleMode::Sequential,
        &[
            &update(128, "powertune run run1: RAM128"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &publish("3", "someone else's"),
        ],
    );
    let err = publisher::publish(&lambda, plan(&[128]), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.VersionConflict");
}

#[tokio::test]
async fn publisher_deletes_its_version_when_the_alias_cannot_be_made() {
    let alias_fails = mock!(Client::get_alias).then_error(|| {
        GetAliasError::ServiceException(
            ServiceException::builder()
                .meta(ErrorMetadata::builder().code("ServiceException").build())
                .build(),
        )
    });
    let lambda = api(
        RuleMode::Sequential,
        &[
            &update(128, "powertune run run1: RAM128"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &publish("9", "powertune run run1: RAM128"),
            &active("9"),
            &alias_fails,
            &delete_version("9"),
        ],
    );
    let err = publisher::publish(&lambda, plan(&[128]), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Lambda.ServiceException");
}

#[tokio::test]
async fn publisher_with_no_time_left_publishes_one_configuration_per_round() {
    // PublishVersion answers with the description the last update set, as Lambda does.
    static DESCRIPTION: Mutex<String> = Mutex::new(String::new());
    let lambda = api(
        RuleMode::MatchAny,
        &[
            &mock!(Client::update_function_configuration)
                .match_requests(|r| {
                    *DESCRIPTION.lock().unwrap() = r.description().unwrap_or_default().to_string();
                    true
                })
                .then_output(|| UpdateFunctionConfigurationOutput::builder().build()),
            &mock!(Client::get_function_configuration)
                .then_output(|| config(128, "", LastUpdateStatus::Successful)),
            &mock!(Client::publish_version).then_compute_output(|_| {
                PublishVersionOutput::builder()
                    .version("1")
                    .description(DESCRIPTION.lock().unwrap().clone())
                    .build()
            }),
            &mock!(Client::get_alias).then_error(|| {
                GetAliasError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            }),
            &mock!(Client::create_alias).then_output(|| CreateAliasOutput::builder().build()),
        ],
    );
    let mut p = plan(&[128, 256, 512]);
    let mut rounds = 0;
    while !p.done {
        p = publisher::publish(&lambda, p, Duration::ZERO)
            .await
            .unwrap();
        rounds += 1;
        assert!(rounds < 10);
    }
    // three rounds of one configuration each, and one more to restore $LATEST
    assert_eq!((rounds, p.publisher_rounds, p.published()), (4, 4, 3));
}

// ---------------------------------------------------------------- Executor

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
    }
}

#[tokio::test]
async fn executor_invokes_the_alias_num_times_with_log_tail_and_computes_statistics() {
    let durations = [10.0, 11.0, 12.0, 13.0, 100.0];
    let rules: Vec<Rule> = durations
        .iter()
        .map(|&d| {
            mock!(Client::invoke)
                .match_requests(|r| {
                    r.function_name() == Some(ARN)
                        && r.qualifier() == Some("RAM512")
                        && r.log_type() == Some(&LogType::Tail)
                        && r.payload().map(|p| p.as_ref()) == Some(&b"{\"id\":1}"[..])
                })
                .then_output(move || ok_invoke(d))
        })
        .collect();
    let lambda = api(RuleMode::Sequential, &rules.iter().collect::<Vec<_>>());
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"id": 1}, "discardTopBottom": 0.2});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(stats.value, 512);
    assert_eq!(stats.average_duration, 12.0); // 10 and 100 trimmed
    let per_ms = 0.0000133334 / 1000.0 / 2.0; // arm64, 512 MB
    assert!((stats.average_price - 12.0 * per_ms).abs() < 1e-15);
    assert!((stats.total_cost - 146.0 * per_ms).abs() < 1e-15);
    assert_eq!(stats.invocations, Some(5));
    assert_eq!(stats.duration_stats.as_ref().map(|d| d.max), Some(100.0));
}

#[tokio::test]
async fn executor_retries_throttling_without_counting_it() {
    let throttled = || {
        InvokeError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .message("Rate exceeded")
                .meta(
                    ErrorMetadata::builder()
                        .code("TooManyRequestsException")
                        .build(),
                )
                .build(),
        )
    };
    let invoke = mock!(Client::invoke)
        .sequence()
        .error(throttled)
        .times(2)
        .output(|| ok_invoke(5.0))
        .times(5)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(stats.invocations, Some(5));
    assert_eq!(invoke.num_calls(), 7);
}

fn failing_invoke(error_type: &'static str) -> InvokeOutput {
    InvokeOutput::builder()
        .status_code(200)
        .function_error("Unhandled")
        .log_result(tail(3.0, 3, None))
        .payload(Blob::new(format!(
            "{{\"errorType\":\"{error_type}\",\"errorMessage\":\"bad thing\"}}"
        )))
        .build()
}

#[tokio::test]
async fn executor_fails_on_a_function_error_naming_power_type_message_and_payload() {
    let lambda = api(
        RuleMode::Sequential,
        &[&mock!(Client::invoke).then_output(|| failing_invoke("ValueError"))],
    );
    let input =
        json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"secret": "s3cr3t"}});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvocationError");
    let message = err.to_string();
    for part in ["512 MB", "ValueError", "bad thing", "s3cr3t"] {
        assert!(message.contains(part), "{part} missing from {message}");
    }

    let lambda = api(
        RuleMode::Sequential,
        &[&mock!(Client::invoke).then_output(|| failing_invoke("ValueError"))],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"secret": "s3cr3t"}, "disablePayloadLogs": true});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
}

#[tokio::test]
async fn executor_counts_allowed_exceptions_as_results() {
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| failing_invoke("HandledError"))
        .times(5)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "allowedExceptions": ["HandledError"]});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!((stats.invocations, stats.errors), (Some(5), Some(5)));
}

#[tokio::test]
async fn executor_sends_the_pre_processors_output_and_reports_its_errors() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let pre = mock!(Client::invoke)
        .match_requests(|r| r.function_name() == Some("pre") && r.qualifier().is_none())
        .then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .payload(Blob::new("{\"prepared\":1}"))
                .build()
        });
    let target = mock!(Client::invoke)
        .match_requests(move |r| {
            let is_target = r.function_name() == Some(ARN);
            if is_target {
                record.lock().unwrap().push(
                    String::from_utf8_lossy(r.payload().map(|p| p.as_ref()).unwrap_or_default())
                        .into_owned(),
                );
            }
            is_target
        })
        .then_output(|| ok_invoke(4.0));
    let post = mock!(Client::invoke)
        .match_requests(|r| {
            r.function_name() == Some("post")
                && r.payload().map(|p| p.as_ref()) == Some(&b"{\"ok\":true}"[..])
        })
        .then_output(|| InvokeOutput::builder().status_code(200).build());
    let mut rules: Vec<&Rule> = Vec::new();
    for _ in 0..5 {
        rules.extend([&pre, &target, &post]);
    }
    let lambda = api(RuleMode::MatchAny, &rules);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"raw": 1},
        "preProcessorARN": "pre", "postProcessorARN": "post"});
    executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["{\"prepared\":1}".to_string(); 5]
    );
    assert_eq!(
        (pre.num_calls(), target.num_calls(), post.num_calls()),
        (5, 5, 5)
    );

    let pre_fails = mock!(Client::invoke).then_output(|| failing_invoke("PreError"));
    let lambda = api(RuleMode::Sequential, &[&pre_fails]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "preProcessorARN": "pre"});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.ProcessorError");
    assert!(
        err.to_string().contains("pre-processor pre failed"),
        "{err}"
    );
}

#[tokio::test]
async fn executor_runs_in_parallel_and_dry_runs_invoke_once() {
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| ok_invoke(6.0))
        .times(8)
        .build();
    let lambda = api(RuleMode::MatchAny, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 8, "powerValues": [512], "parallelInvocation": true, "maxConcurrency": 3});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(stats.invocations, Some(8));

    let once = mock!(Client::invoke).then_output(|| ok_invoke(6.0));
    let lambda = api(RuleMode::Sequential, &[&once]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "dryRun": true});
    let out = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        ExecutorOutput::DryRun {
            value: 512,
            dry_run: true
        }
    );
    assert_eq!(once.num_calls(), 1);
}

#[tokio::test]
async fn executor_explains_s3_403_and_404_differently() {
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payloadS3": "s3://payloads/big.json"});
    for (status, code, expected_type, expected_text) in [
        (
            403,
            "AccessDenied",
            "PowerTuning.PayloadAccessDenied",
            "payloadS3Bucket",
        ),
        (
            404,
            "NoSuchKey",
            "PowerTuning.PayloadNotFound",
            "does not exist",
        ),
    ] {
        let get = mock!(aws_sdk_s3::Client::get_object)
            .match_requests(|r| r.bucket() == Some("payloads") && r.key() == Some("big.json"))
            .then_http_response(move || {
                HttpResponse::new(
                    StatusCode::try_from(status).unwrap(),
                    SdkBody::from(format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>no</Message></Error>")),
                )
            });
        let s3: aws_sdk_s3::Client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&get]);
        let lambda = api(RuleMode::Sequential, &[]);
        let err = executor::execute(
            &executor::Lambdas::same(&lambda),
            Some(&s3),
            executor_event(input.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), expected_type);
        assert!(err.to_string().contains("s3://payloads/big.json"), "{err}");
        assert!(err.to_string().contains(expected_text), "{err}");
    }

    // A readable object is fetched once and may hold weighted payloads.
    let get = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(aws_sdk_s3::primitives::ByteStream::from_static(
                br#"[{"payload":{"n":1},"weight":1},{"payload":{"n":2},"weight":1}]"#,
            ))
            .build()
    });
    let s3: aws_sdk_s3::Client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&get]);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let invoke = mock!(Client::invoke)
        .match_requests(move |r| {
            record.lock().unwrap().push(
                String::from_utf8_lossy(r.payload().map(|p| p.as_ref()).unwrap_or_default())
                    .into_owned(),
            );
            true
        })
        .sequence()
        .output(|| ok_invoke(2.0))
        .times(6)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 6, "powerValues": [512], "payloadS3": "s3://payloads/big.json"});
    executor::execute(
        &executor::Lambdas::same(&lambda),
        Some(&s3),
        executor_event(input),
    )
    .await
    .unwrap();
    assert_eq!(get.num_calls(), 1);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().filter(|p| p.as_str() == "{\"n\":1}").count(), 3);
    assert_eq!(seen.iter().filter(|p| p.as_str() == "{\"n\":2}").count(), 3);
}

#[tokio::test]
async fn executor_without_a_report_says_which_invocation() {
    let no_report = mock!(Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .log_result(
                base64::engine::general_purpose::STANDARD
                    .encode("START RequestId: r\nsome output\n"),
            )
            .build()
    });
    let lambda = api(RuleMode::Sequential, &[&no_report]);
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]})),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.NoReport");
    assert!(err.to_string().contains("RAM512"), "{err}");
}

// ---------------------------------------------------------------- Cleaner

fn published_plan() -> Plan {
    let mut p = plan(&[128, 256]);
    p.versions = vec!["7".into(), "8".into()];
    p.done = true;
    p
}

#[tokio::test]
async fn cleaner_deletes_aliases_and_versions_and_restores_latest() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &versions(&[
                ("3", "a release"),
                ("7", "powertune run run1: RAM128"),
                ("8", "powertune run run1: RAM256"),
            ]),
            &aliases(&[("live", "3"), ("RAM128", "7"), ("RAM256", "8")]),
            &delete_alias("RAM128"),
            &delete_alias("RAM256"),
            &delete_version("7"),
            &delete_version("8"),
            // $LATEST still has the last configuration's memory: restore it.
            &get_latest(
                256,
                "powertune run run1: RAM256",
                LastUpdateStatus::Successful,
            ),
            &update(1024, "original"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let report = cleaner::clean(&lambda, &published_plan()).await.unwrap();
    assert_eq!((report.deleted_aliases, report.deleted_versions), (2, 2));
    assert!(report.restored_latest);
}

#[tokio::test]
async fn cleaner_finds_versions_no_plan_recorded_by_their_description() {
    // A Publisher killed mid-round published 9 (and pointed RAM512 at it) but returned no plan;
    // another run's version 5 and the user's 3 stay.
    let mut p = plan(&[128, 256, 512]);
    p.versions = vec!["7".into(), "8".into()];
    let lambda = api(
        RuleMode::Sequential,
        &[
            &versions(&[
                ("3", "a release"),
                ("5", "powertune run run2: RAM128"),
                ("7", "powertune run run1: RAM128"),
                ("8", "powertune run run1: RAM256"),
                ("9", "powertune run run1: RAM512"),
            ]),
            &aliases(&[("RAM128", "7"), ("RAM512", "9")]),
            &delete_alias("RAM128"),
            &delete_alias("RAM512"),
            &delete_version("7"),
            &delete_version("8"),
            &delete_version("9"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let report = cleaner::clean(&lambda, &p).await.unwrap();
    assert_eq!((report.deleted_aliases, report.deleted_versions), (2, 3));
}

#[tokio::test]
async fn cleaner_tries_everything_and_reports_what_failed() {
    let delete_fails = mock!(Client::delete_alias).then_error(|| {
        DeleteAliasError::ServiceException(
            ServiceException::builder()
                .meta(ErrorMetadata::builder().code("ServiceException").build())
                .build(),
        )
    });
    let lambda = api(
        RuleMode::Sequential,
        &[
            &versions(&[("7", "powertune run run1: RAM128")]),
            &aliases(&[("RAM128", "7")]),
            &delete_fails,
            &delete_version("7"),
            &delete_version("8"), // already gone: fine
            &get_latest(1024, "original", LastUpdateStatus::Successful), // already restored
        ],
    );
    let err = cleaner::clean(&lambda, &published_plan())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.CleanupIncomplete");
    let message = err.to_string();
    assert!(message.contains("DeleteAlias RAM128"), "{message}");
    assert!(
        message.contains("deleted 0 aliases and 2 versions"),
        "{message}"
    );
}

#[tokio::test]
async fn cleaner_leaves_aliases_it_did_not_create() {
    // RAM256 is an alias of the user's own version 2; "live" is not a name of this run.
    let lambda = api(
        RuleMode::Sequential,
        &[
            &versions(&[("2", "a release"), ("7", "powertune run run1: RAM128")]),
            &aliases(&[("RAM128", "7"), ("RAM256", "2"), ("live", "2")]),
            &delete_alias("RAM128"),
            &delete_version("7"),
            &delete_version("8"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let report = cleaner::clean(&lambda, &published_plan()).await.unwrap();
    assert_eq!((report.deleted_aliases, report.deleted_versions), (1, 2));
    assert!(!report.restored_latest);
}

// ---------------------------------------------------------------- Optimizer

fn optimizer_event(input: Value) -> OptimizerEvent {
    let analysis: powertune_core::output::TuningResult = serde_json::from_value(json!({
        "power": 512, "cost": 1e-7, "duration": 20.0, "strategy": "cost", "currency": "USD",
        "stateMachine": {"executionCost": 0.0003, "lambdaCost": 1e-5, "visualization": "https://x/#a;b;c"}
    }))
    .unwrap();
    OptimizerEvent {
        input: typed(input),
        function: snapshot(),
        analysis,
    }
}

#[tokio::test]
async fn optimizer_does_nothing_without_auto_optimize() {
    let lambda = api(RuleMode::Sequential, &[]);
    let out = optimizer::optimize(
        &lambda,
        &optimizer_event(json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]})),
    )
    .await
    .unwrap();
    assert!(!out.applied);
}

#[tokio::test]
async fn optimizer_sets_memory_then_publishes_and_points_the_alias() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &update(512, "original"),
            &get_latest(512, "original", LastUpdateStatus::Successful),
            &publish("12", "original"),
            &active("12"),
            &alias_missing("live"),
            &create_alias("live", "12"),
        ],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "autoOptimize": true, "autoOptimizeAlias": "live"});
    let out = optimizer::optimize(&lambda, &optimizer_event(input))
        .await
        .unwrap();
    assert!(out.applied);
    assert_eq!(
        (out.power, out.alias.as_deref(), out.version.as_deref()),
        (Some(512), Some("live"), Some("12"))
    );
}

#[test]
fn step_errors_are_typed_for_the_state_machine() {
    let e = StepError::InvocationError("x".into());
    assert_eq!(
        lambda_runtime::Diagnostic::from(e).error_type,
        "PowerTuning.InvocationError"
    );
}

#[test]
fn analyzer_reads_the_state_after_the_map() {
    use powertune_core::analysis::AnalysisEnv;
    use powertune_steps::analyzer::analyze;
    use powertune_steps::events::AnalyzerEvent;
    let state = json!({
        "input": {"lambdaARN": ARN, "num": 5, "powerValues": [128, 256], "strategy": "speed", "includeOutputResults": true},
        "function": serde_json::to_value(snapshot()).unwrap(),
        "publisherRounds": 2,
        "stats": [
            {"value": 128, "averagePrice": 1e-7, "averageDuration": 40.0, "totalCost": 5e-7},
            {"value": 256, "averagePrice": 2e-7, "averageDuration": 20.0, "totalCost": 1e-6}
        ]
    });
    let event: AnalyzerEvent = serde_json::from_value(state).unwrap();
    let env = AnalysisEnv::new(Some("cn-north-1".into()), Some("https://ui/".into()));
    let result = analyze(&event, &env).unwrap();
    assert_eq!(result.power, 256);
    assert_eq!(result.stats.as_ref().map(Vec::len), Some(2));
    // 2 power values, 2 Publisher rounds: 6 + 4 + 2 = 12 transitions at CNY 0.0001891
    assert!((result.state_machine.execution_cost - 12.0 * 0.0001891).abs() < 1e-12);
    assert!(result
        .state_machine
        .visualization
        .starts_with("https://ui/?currency=CNY#"));

    let none_ok: AnalyzerEvent = serde_json::from_value(json!({
        "input": {"lambdaARN": ARN, "num": 5, "powerValues": [128]},
        "stats": [{"value": 128, "averagePrice": 0, "averageDuration": 0, "totalCost": 0, "error": "Runtime.OutOfMemory"}]
    }))
    .unwrap();
    let err = analyze(&none_ok, &env).unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.AnalysisFailed");
}

// ---------------------------------------------------------------- AWS strictness

#[tokio::test(start_paused = true)]
async fn lasting_throttling_of_the_tuned_function_is_powertune_throttled() {
    let throttled = mock!(Client::invoke).then_error(|| {
        InvokeError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .message("Rate Exceeded. Reason: ReservedFunctionConcurrentInvocationLimitExceeded")
                .meta(
                    ErrorMetadata::builder()
                        .code("TooManyRequestsException")
                        .build(),
                )
                .build(),
        )
    });
    let lambda = api(RuleMode::MatchAny, &[&throttled]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    // Not Lambda.TooManyRequestsException, which the state machine retries (re-running every
    // invocation each time).
    assert_eq!(err.error_type(), "PowerTuning.Throttled");
    assert!(err.to_string().contains("RAM512"), "{err}");
    // One call and eight retries by the Executor, each of the SDK's standard three attempts.
    assert_eq!(throttled.num_calls(), 9 * 3);
}

#[tokio::test]
async fn waits_end_before_the_steps_own_deadline() {
    let updating = mock!(Client::get_function_configuration)
        .then_output(|| config(128, "d", LastUpdateStatus::InProgress));
    let client: Client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&updating]);
    let lambda = LambdaApi::new(client)
        .with_waits(Waits {
            poll: Duration::from_millis(10),
            timeout: Duration::from_secs(600),
            margin: Duration::from_millis(100),
        })
        .with_deadline(std::time::Instant::now() + Duration::from_millis(400));
    // Without the deadline this wait would last 600 s; the guard fails the test instead.
    let err = tokio::time::timeout(Duration::from_secs(60), lambda.wait_until_updated(ARN, 128))
        .await
        .expect("the wait ends with the step's deadline")
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.WaitTimedOut");
    assert!(err.to_string().contains("no more time"), "{err}");
    assert!(updating.num_calls() >= 2);
}

#[tokio::test]
async fn initializer_rejects_a_function_with_reserved_concurrency_zero() {
    let zero = mock!(Client::get_function_concurrency).then_output(|| {
        aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput::builder()
            .reserved_concurrent_executions(0)
            .build()
    });
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(1024, "original", LastUpdateStatus::Successful),
            &zero,
        ],
    );
    let err = initialize(
        &lambda,
        &json!({"lambdaARN": ARN, "num": 5, "powerValues": [128]}),
        &Defaults::default(),
        "r",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(err.to_string().contains("reserved concurrency 0"), "{err}");
}

#[tokio::test]
async fn initializer_rejects_a_run_whose_state_would_pass_256_kb() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(1024, "original", LastUpdateStatus::Successful),
            &no_reserved_concurrency(),
        ],
    );
    let input =
        json!({"lambdaARN": ARN, "num": 1000, "powerValues": "ALL", "onlyColdStarts": true});
    let err = initialize(&lambda, &input, &Defaults::default(), "r")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    let message = err.to_string();
    assert!(message.contains("262144 bytes (256 KB)"), "{message}");
    assert!(message.contains("lower \"num\" to at most"), "{message}");
}

#[tokio::test]
async fn a_configuration_without_memory_is_an_error_not_128_mb() {
    let no_memory = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .function_arn(ARN)
            .build()
    });
    let lambda = api(RuleMode::Sequential, &[&no_memory]);
    // The Cleaner would otherwise "restore" the function to 128 MB.
    let err = publisher::restore_latest(&lambda, &snapshot())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.UnexpectedResponse");
    assert!(err.to_string().contains("MemorySize"), "{err}");
}

#[tokio::test]
async fn a_published_version_without_a_number_is_an_error() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &update(128, "powertune run run1: RAM128"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &mock!(Client::publish_version).then_output(|| {
                PublishVersionOutput::builder()
                    .description("powertune run run1: RAM128")
                    .build()
            }),
        ],
    );
    let err = publisher::publish(&lambda, plan(&[128]), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.UnexpectedResponse");
    assert!(err.to_string().contains("without a Version"), "{err}");
}

#[tokio::test]
async fn a_log_tail_that_is_not_base64_is_named_as_such() {
    let invoke = mock!(Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .log_result("not base64!")
            .payload(Blob::new("{}"))
            .build()
    });
    let lambda = api(RuleMode::MatchAny, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    // Not a misleading "no REPORT in the log".
    assert_eq!(err.error_type(), "PowerTuning.UnexpectedResponse");
    assert!(err.to_string().contains("not base64"), "{err}");
}

#[tokio::test]
async fn restoring_latest_that_is_already_restored_changes_nothing() {
    let lambda = api(
        RuleMode::Sequential,
        &[&get_latest(1024, "original", LastUpdateStatus::Successful)],
    );
    assert!(!publisher::restore_latest(&lambda, &snapshot())
        .await
        .unwrap());
}
