//! The Publisher: the order of its calls, its failures, and its rounds.

use super::*;

/// The look at `$LATEST` each Publisher invocation starts with: no update in progress.
fn ready() -> Rule {
    get_latest(1024, "original", LastUpdateStatus::Successful)
}

#[tokio::test]
async fn publisher_updates_waits_publishes_and_aliases_in_order_then_restores_latest() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &ready(),
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
            &create_alias("RAM128", "7"),
            &update(256, "powertune run run1: RAM256"),
            &get_latest(
                256,
                "powertune run run1: RAM256",
                LastUpdateStatus::Successful,
            ),
            &publish("8", "powertune run run1: RAM256"),
            &active("8"),
            // RAM256 exists already, on a version of this run (a killed Publisher's): moved.
            &alias_exists("RAM256"),
            &alias_at("RAM256", "3"),
            &version_described("3", "powertune run run1: RAM256"),
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
    assert!(plan.publishing_done);
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
        &[
            &ready(),
            &update(128, "powertune run run1: RAM128"),
            &failed,
        ],
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
            &ready(),
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
    let alias_fails = mock!(Client::create_alias).then_error(|| {
        aws_sdk_lambda::operation::create_alias::CreateAliasError::ServiceException(
            ServiceException::builder()
                .meta(ErrorMetadata::builder().code("ServiceException").build())
                .build(),
        )
    });
    let lambda = api(
        RuleMode::Sequential,
        &[
            &ready(),
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
            &mock!(Client::publish_version).then_output(|| {
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
    while !p.publishing_done {
        p = publisher::publish(&lambda, p, Duration::ZERO)
            .await
            .unwrap();
        rounds += 1;
        assert!(rounds < 10);
    }
    // three rounds of one configuration each, and one more to restore $LATEST
    assert_eq!((rounds, p.publisher_rounds, p.published()), (4, 4, 3));
}

#[tokio::test]
async fn a_published_version_without_a_number_is_an_error() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &ready(),
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
async fn a_retried_publisher_waits_for_the_update_its_killed_predecessor_started() {
    // The previous invocation was killed after UpdateFunctionConfiguration: Lambda would answer
    // another update with 409 until that one is done.
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::InProgress,
            ),
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
            &update(128, "powertune run run1: RAM128"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &publish("7", "powertune run run1: RAM128"),
            &active("7"),
            &create_alias("RAM128", "7"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &update(1024, "original"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let plan = publisher::publish(&lambda, plan(&[128]), Duration::from_secs(300))
        .await
        .unwrap();
    assert!(plan.publishing_done);
}

/// Issue 27: an alias named as the run's that someone created after the Initializer checked
/// the names is left alone: no UpdateAlias (the run's Cleaner would then delete the user's
/// alias), the run's version deleted, and the run stops with a VersionConflict.
#[tokio::test]
async fn an_alias_created_during_the_run_by_someone_else_is_left_alone() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &ready(),
            &update(128, "powertune run run1: RAM128"),
            &get_latest(
                128,
                "powertune run run1: RAM128",
                LastUpdateStatus::Successful,
            ),
            &publish("9", "powertune run run1: RAM128"),
            &active("9"),
            &alias_exists("RAM128"),
            &alias_at("RAM128", "4"),
            &version_described("4", "the user's release"),
            &delete_version("9"),
        ],
    );
    let err = publisher::publish(&lambda, plan(&[128]), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.VersionConflict");
    assert!(err.to_string().contains("someone else's"), "{err}");
}

/// A version in `state`, with `reason`.
fn version_in(
    version: &'static str,
    state: aws_sdk_lambda::types::State,
    reason: Option<&'static str>,
) -> Rule {
    mock!(Client::get_function_configuration)
        .match_requests(move |r| r.function_name() == Some(ARN) && r.qualifier() == Some(version))
        .then_output(move || {
            GetFunctionConfigurationOutput::builder()
                .state(state.clone())
                .set_state_reason(reason.map(str::to_string))
                .build()
        })
}

/// An LMI run of two configurations (2048 MB at 2 GiB per vCPU, concurrency 1 and 4) of a
/// function on a capacity provider.
fn lmi_plan() -> Plan {
    let mut function = snapshot();
    function.memory_size = 2048;
    function.managed = Some(powertune_steps::events::ManagedPlacement {
        capacity_provider_arn: "arn:aws:lambda:eu-west-1:123456789012:capacity-provider:cp".into(),
        gib_per_vcpu: Some(4.0),
        concurrency: Some(16),
    });
    Plan::new(
        &typed(
            json!({"lambdaARN": ARN, "num": 5, "powerValues": [2048], "managedInstances": true,
                      "memorySizes": [2048], "memoryPerVcpu": [2], "concurrencies": [1, 4]}),
        ),
        function,
        "run1".into(),
    )
}

#[tokio::test]
async fn an_lmi_publisher_publishes_every_configuration_before_any_activates() {
    use aws_sdk_lambda::types::State;
    let (c1, c4) = (
        "powertune run run1: LMI2048-2G-C1",
        "powertune run run1: LMI2048-2G-C4",
    );
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(2048, "original", LastUpdateStatus::Successful),
            &update(2048, c1),
            &get_latest(2048, c1, LastUpdateStatus::Successful),
            &publish("7", c1),
            // Not waited for: the next configuration is published at once.
            &update(2048, c4),
            &get_latest(2048, c4, LastUpdateStatus::Successful),
            &publish("8", c4),
            // $LATEST back, capacity provider configuration included.
            &get_latest(2048, c4, LastUpdateStatus::Successful),
            &mock!(Client::update_function_configuration)
                .match_requests(|r| {
                    let lmi = r
                        .capacity_provider_config()
                        .and_then(|c| c.lambda_managed_instances_capacity_provider_config());
                    r.description() == Some("original")
                        && lmi.is_some_and(|l| {
                            l.execution_environment_memory_gib_per_v_cpu() == Some(4.0)
                                && l.per_execution_environment_max_concurrency() == Some(16)
                        })
                })
                .then_output(|| UpdateFunctionConfigurationOutput::builder().build()),
            &get_latest(2048, "original", LastUpdateStatus::Successful),
            // Then they activate together: 7 after a while, and 8 fails.
            &version_in("7", State::Pending, None),
            &version_in("7", State::Active, None),
            &create_alias("LMI2048-2G-C1", "7"),
            &version_in(
                "8",
                State::Failed,
                Some("The function's Init failed: no configuration"),
            ),
        ],
    );
    let e = publisher::publish(&lambda, lmi_plan(), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "PowerTuning.UpdateFailed");
    assert!(e.to_string().contains("no configuration"), "{e}");
}

#[tokio::test]
async fn an_lmi_version_still_pending_after_its_rounds_fails_the_run() {
    use aws_sdk_lambda::types::State;
    let mut plan = lmi_plan();
    plan.versions = vec!["7".into(), "8".into()];
    plan.activation_rounds = publisher::MAX_ACTIVATION_ROUNDS;
    let lambda = api(
        RuleMode::Sequential,
        &[
            &get_latest(2048, "original", LastUpdateStatus::Successful),
            // Restored already: nothing to change.
            &mock!(Client::get_function_configuration)
                .match_requests(|r| r.qualifier() == Some("$LATEST"))
                .then_output(|| {
                    let mut c = config(2048, "original", LastUpdateStatus::Successful);
                    c.capacity_provider_config = Some(
                        aws_sdk_lambda::types::CapacityProviderConfig::builder()
                            .lambda_managed_instances_capacity_provider_config(
                                aws_sdk_lambda::types::LambdaManagedInstancesCapacityProviderConfig::builder()
                                    .capacity_provider_arn("arn:aws:lambda:eu-west-1:123456789012:capacity-provider:cp")
                                    .execution_environment_memory_gib_per_v_cpu(4.0)
                                    .per_execution_environment_max_concurrency(16)
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    );
                    c
                }),
            // One look, no more waiting: the rounds are spent.
            &version_in("7", State::Pending, None),
        ],
    );
    let e = publisher::publish(&lambda, plan, Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "PowerTuning.WaitTimedOut");
    assert!(
        e.to_string()
            .contains("not Active after 4 Publisher invocations"),
        "{e}"
    );
}
