//! The Initializer: what it records, what it plans, and the inputs and functions it refuses before changing anything.

use super::*;

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
