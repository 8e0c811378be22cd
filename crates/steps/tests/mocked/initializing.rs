//! The Initializer: what it records, what it plans, and the inputs and functions it refuses before changing anything.

use super::*;

#[tokio::test]
async fn initializer_records_latest_and_plans_one_alias_per_power_value() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(1024, "original", LastUpdateStatus::Successful),
            &no_reserved_concurrency(),
            &no_aliases(),
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
    // Nothing trimmed by default: cold starts and warm-ups are apart.
    assert_eq!(plan.input.discard_top_bottom, 0.0);
    assert!(!plan.publishing_done);
}

#[tokio::test]
async fn initializer_plans_num_distinct_versions_for_cold_starts() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(1024, "original", LastUpdateStatus::Successful),
            &no_reserved_concurrency(),
            &no_aliases(),
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
async fn initializer_refuses_what_an_lmi_run_does_not_use_before_calling_aws() {
    // No rules: any AWS call would panic. Refused, not ignored.
    let lambda = api(RuleMode::Sequential, &[]);
    let err = initialize(
        &lambda,
        &json!({"lambdaARN": ARN, "num": 5, "powerValues": [2048], "managedInstances": true, "dryRun": true, "autoOptimize": true}),
        &Defaults::default(),
        "r",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(
        err.to_string()
            .starts_with("dryRun, autoOptimize do not apply to managedInstances"),
        "{err}"
    );
}

const PROVIDER: &str = "arn:aws:lambda:eu-west-1:123456789012:capacity-provider:cp";

/// `$LATEST` of a function on the capacity provider [`PROVIDER`], 2048 MB, 4 GiB per vCPU,
/// concurrency 16.
fn get_latest_on_lmi() -> Rule {
    use aws_sdk_lambda::types::{
        CapacityProviderConfig, LambdaManagedInstancesCapacityProviderConfig,
    };
    mock!(Client::get_function_configuration)
        .match_requests(|r| r.function_name() == Some(ARN) && r.qualifier() == Some("$LATEST"))
        .then_output(|| {
            let mut c = config(2048, "original", LastUpdateStatus::Successful);
            c.capacity_provider_config = Some(
                CapacityProviderConfig::builder()
                    .lambda_managed_instances_capacity_provider_config(
                        LambdaManagedInstancesCapacityProviderConfig::builder()
                            .capacity_provider_arn(PROVIDER)
                            .execution_environment_memory_gib_per_v_cpu(4.0)
                            .per_execution_environment_max_concurrency(16)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
            c.runtime = Some(aws_sdk_lambda::types::Runtime::Providedal2023);
            c
        })
}

#[tokio::test]
async fn initializer_refuses_lmi_tuning_of_a_function_that_runs_on_demand() {
    // Lambda sets a function's compute type when it is created: an on-demand function cannot
    // publish versions on a capacity provider.
    let lambda = api(
        RuleMode::Sequential,
        &[&get_latest(2048, "original", LastUpdateStatus::Successful)],
    );
    let err = initialize(
        &lambda,
        &json!({"lambdaARN": ARN, "num": 5, "powerValues": [2048], "managedInstances": true}),
        &Defaults::default(),
        "r",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(err.to_string().contains("runs on demand"), "{err}");
    assert!(err.to_string().contains("--managed-instances"), "{err}");
}

#[tokio::test]
async fn initializer_refuses_another_capacity_provider_than_the_functions() {
    let lambda = api(RuleMode::Sequential, &[&get_latest_on_lmi()]);
    let other = "arn:aws:lambda:eu-west-1:123456789012:capacity-provider:other";
    let err = initialize(
        &lambda,
        &json!({"lambdaARN": ARN, "num": 5, "powerValues": [2048], "managedInstances": true, "capacityProviderArn": other}),
        &Defaults::default(),
        "r",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(
        err.to_string().contains(&format!("runs on {PROVIDER}")),
        "{err}"
    );
}

#[tokio::test]
async fn initializer_plans_an_lmi_run_on_the_functions_capacity_provider() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest_on_lmi(),
            &no_reserved_concurrency(),
            &no_aliases(),
        ],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [2048], "managedInstances": true, "memorySizes": [2048, 4096],
                       "memoryPerVcpu": [2], "concurrencies": [1, 8]});
    let plan = initialize(&lambda, &input, &Defaults::default(), "r1")
        .await
        .unwrap();
    // What the Cleaner restores: the ratio and concurrency as they were.
    let placement = plan
        .function
        .managed
        .clone()
        .expect("the placement is recorded");
    assert_eq!(placement.capacity_provider_arn, PROVIDER);
    assert_eq!(
        (placement.gib_per_vcpu, placement.concurrency),
        (Some(4.0), Some(16))
    );
    let aliases: Vec<String> = plan.configurations().into_iter().map(|c| c.alias).collect();
    assert_eq!(
        aliases,
        [
            "LMI2048-2G-C1",
            "LMI2048-2G-C8",
            "LMI4096-2G-C1",
            "LMI4096-2G-C8"
        ]
    );
    // One round: a Map item per configuration.
    assert_eq!(plan.sampling.values, vec![0, 1, 2, 3]);
    assert!(plan
        .configurations()
        .iter()
        .all(|c| c.managed.is_some() && c.description.starts_with("powertune run r1: LMI")));
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
async fn initializer_refuses_configurations_that_can_only_fail_naming_what_to_change() {
    use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput;
    use aws_sdk_lambda::types::{LogFormat, LoggingConfig, SystemLogLevel};
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [128, 512]});
    let refused = |rules: &[&Rule]| {
        let lambda = api(RuleMode::Sequential, rules);
        let input = input.clone();
        async move {
            initialize(&lambda, &input, &Defaults::default(), "r")
                .await
                .unwrap_err()
        }
    };

    // JSON logs at WARN: Lambda drops the REPORT records ("Log-level filtering").
    let quiet = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .function_arn(ARN)
            .memory_size(1024)
            .logging_config(
                LoggingConfig::builder()
                    .log_format(LogFormat::Json)
                    .system_log_level(SystemLogLevel::Warn)
                    .build(),
            )
            .build()
    });
    let err = refused(&[&quiet]).await;
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(err.to_string().contains("SystemLogLevel"), "{err}");

    // A function that failed to deploy.
    let failed = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .function_arn(ARN)
            .memory_size(1024)
            .state(aws_sdk_lambda::types::State::Failed)
            .state_reason("the subnet is gone")
            .build()
    });
    let err = refused(&[&failed]).await;
    assert!(err.to_string().contains("the subnet is gone"), "{err}");

    // Reserved concurrency 3, all of it provisioned for "live".
    let reserved = mock!(Client::get_function_concurrency).then_output(|| {
        GetFunctionConcurrencyOutput::builder()
            .reserved_concurrent_executions(3)
            .build()
    });
    let provisioned = mock!(Client::list_provisioned_concurrency_configs).then_output(|| {
        aws_sdk_lambda::operation::list_provisioned_concurrency_configs::ListProvisionedConcurrencyConfigsOutput::builder()
            .provisioned_concurrency_configs(
                aws_sdk_lambda::types::ProvisionedConcurrencyConfigListItem::builder()
                    .function_arn(format!("{ARN}:live"))
                    .requested_provisioned_concurrent_executions(3)
                    .build(),
            )
            .build()
    });
    let latest = get_latest(1024, "original", LastUpdateStatus::Successful);
    let err = refused(&[&latest, &reserved, &provisioned]).await;
    assert!(err.to_string().contains("3 on live"), "{err}");

    // The user's own alias named as one of the run's.
    let latest = get_latest(1024, "original", LastUpdateStatus::Successful);
    let theirs = aliases(&[("RAM512", "4"), ("live", "4")]);
    let err = refused(&[&latest, &no_reserved_concurrency(), &theirs]).await;
    assert!(err.to_string().contains("RAM512 (version 4)"), "{err}");
    assert!(!err.to_string().contains("live"), "{err}");

    // Two versions of 10 MB need 20 MB of code storage; 15 MB are free.
    let sized = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .function_arn(ARN)
            .memory_size(1024)
            .code_size(10_000_000)
            .build()
    });
    let storage = code_storage(100_000_000, 85_000_000);
    let err = refused(&[&sized, &no_reserved_concurrency(), &no_aliases(), &storage]).await;
    assert!(
        err.to_string().contains("code storage has 15000000"),
        "{err}"
    );
}

/// moto has no GetAccountSettings, and a role may lack the permission: the quota check is made
/// when it can be, and a run is not refused for a check it could not make.
#[tokio::test]
async fn initializer_goes_on_when_the_account_settings_cannot_be_read() {
    let sized = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .function_arn(ARN)
            .memory_size(1024)
            .code_size(10_000_000)
            .last_update_status(LastUpdateStatus::Successful)
            .build()
    });
    let denied = mock!(Client::get_account_settings).then_error(|| {
        aws_sdk_lambda::operation::get_account_settings::GetAccountSettingsError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: lambda:GetAccountSettings")
                .build(),
        )
    });
    let lambda = api(
        RuleMode::MatchAny,
        &[&sized, &no_reserved_concurrency(), &no_aliases(), &denied],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [128, 256]});
    let plan = initialize(&lambda, &input, &Defaults::default(), "r")
        .await
        .unwrap();
    assert_eq!(plan.configurations().len(), 2);
    assert_eq!(denied.num_calls(), 1, "the check was attempted");
}

#[tokio::test]
async fn initializer_waits_for_a_pending_function() {
    let pending = mock!(Client::get_function_configuration)
        .sequence()
        .output(|| {
            GetFunctionConfigurationOutput::builder()
                .function_arn(ARN)
                .memory_size(1024)
                .state(aws_sdk_lambda::types::State::Pending)
                .build()
        })
        .times(2)
        .output(|| config(1024, "original", LastUpdateStatus::Successful))
        .build();
    let lambda = api(
        RuleMode::MatchAny,
        &[&pending, &no_reserved_concurrency(), &no_aliases()],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [128]});
    initialize(&lambda, &input, &Defaults::default(), "r")
        .await
        .unwrap();
    assert_eq!(pending.num_calls(), 3, "one look, then waits until Active");
}

#[tokio::test]
async fn auto_cold_start_rate_is_read_from_the_functions_logs_into_the_plan() {
    use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_cloudwatchlogs::operation::start_query::StartQueryOutput;
    use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
    use powertune_core::input::ColdStartRate;
    use powertune_steps::insights::LogsApi;

    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .match_requests(|r| r.log_group_name() == Some("/aws/lambda/target"))
        .then_output(|| StartQueryOutput::builder().query_id("q").build());
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(|| {
        let field = |f: &str, v: &str| ResultField::builder().field(f).value(v).build();
        GetQueryResultsOutput::builder()
            .status(QueryStatus::Complete)
            .results(vec![
                field("invocations", "200"),
                field("textColdStarts", "10"),
            ])
            .build()
    });
    let logs = LogsApi::new(mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::Sequential,
        &[&start, &results]
    ));
    let rules = || {
        [
            get_latest(1024, "original", LastUpdateStatus::Successful),
            no_reserved_concurrency(),
            no_aliases(),
        ]
    };
    let [a, b, c] = rules();
    let lambda = api(RuleMode::Sequential, &[&a, &b, &c]);
    let input = powertune_core::input::ExecutionInput::from_json(
        &json!({"lambdaARN": ARN, "num": 10, "powerValues": [512], "coldStartRate": "auto"}),
        &Defaults::default(),
    )
    .unwrap();
    let plan = initializer::initialize(&lambda, Some(&logs), &input, "r", true)
        .await
        .unwrap();
    let Some(ColdStartRate::Measured(m)) = &plan.input.cold_start_rate else {
        panic!("not measured: {:?}", plan.input.cold_start_rate);
    };
    assert_eq!((m.invocations, m.cold_starts), (200, 10));
    assert_eq!(plan.input.cold_start_share(), Some(0.05));
    // The steps after it read the measured rate back from the plan.
    let again: powertune_steps::events::Plan =
        serde_json::from_value(serde_json::to_value(&plan).unwrap()).unwrap();
    assert_eq!(again.input.cold_start_rate, plan.input.cold_start_rate);

    // Without access to logs (a local run), "auto" is refused before anything else.
    let [a, b, c] = rules();
    let lambda = api(RuleMode::Sequential, &[&a, &b, &c]);
    let err = initializer::initialize(&lambda, None, &input, "r", true)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvalidInput");
    assert!(err.to_string().contains("a local run"), "{err}");
}

#[tokio::test]
async fn cold_samples_are_planned_as_versions_of_their_own_but_not_in_a_dry_run() {
    let plan_of = |extra: Value| async move {
        let lambda = api(
            RuleMode::Sequential,
            &[
                &get_latest(1024, "original", LastUpdateStatus::Successful),
                &no_reserved_concurrency(),
                &no_aliases(),
            ],
        );
        let mut input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [128], "coldSamples": 3});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        initialize(&lambda, &input, &Defaults::default(), "r")
            .await
            .unwrap()
            .configurations()
            .into_iter()
            .map(|c| c.alias)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        plan_of(json!({})).await,
        ["RAM128", "RAM128-cold1", "RAM128-cold2"]
    );
    // A dry run invokes each power value once: nothing more is published.
    assert_eq!(plan_of(json!({"dryRun": true})).await, ["RAM128"]);
}
