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
