//! The Cleaner, and the restore of `$LATEST` it shares with the Publisher.

use super::*;

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
    let report = cleaner::clean(&lambda, &published_plan(), None)
        .await
        .unwrap();
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
    let report = cleaner::clean(&lambda, &p, None).await.unwrap();
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
            // 8 is not listed: an earlier Cleaner invocation deleted it.
            &delete_version("7"),
            &get_latest(1024, "original", LastUpdateStatus::Successful), // already restored
        ],
    );
    let err = cleaner::clean(&lambda, &published_plan(), None)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.CleanupIncomplete");
    let message = err.to_string();
    assert!(message.contains("DeleteAlias RAM128"), "{message}");
    assert!(
        message.contains("deleted 0 aliases and 1 versions"),
        "{message}"
    );
}

#[tokio::test]
async fn cleaner_leaves_aliases_it_did_not_create() {
    // RAM256 is an alias of the user's own version 2; "live" is not a name of this run.
    let lambda = api(
        RuleMode::Sequential,
        &[
            &versions(&[
                ("2", "a release"),
                ("7", "powertune run run1: RAM128"),
                ("8", "powertune run run1: RAM256"),
            ]),
            &aliases(&[("RAM128", "7"), ("RAM256", "2"), ("live", "2")]),
            &delete_alias("RAM128"),
            &delete_version("7"),
            &delete_version("8"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let report = cleaner::clean(&lambda, &published_plan(), None)
        .await
        .unwrap();
    assert_eq!((report.deleted_aliases, report.deleted_versions), (1, 2));
    // $LATEST is as it was (it had no need to change back).
    assert!(report.restored_latest);
}

#[tokio::test]
async fn a_cleanup_that_outlasts_its_invocation_stops_in_time_and_resumes() {
    // Half a second left: less than the margin a delete needs (1 s), so this invocation stops
    // before any and says it is not done.
    let short = api(
        RuleMode::Sequential,
        &[
            &versions(&[("7", "powertune run run1: RAM128")]),
            &aliases(&[("RAM128", "7")]),
        ],
    )
    .with_deadline(std::time::Instant::now() + Duration::from_millis(500));
    let first = cleaner::clean(&short, &published_plan(), None)
        .await
        .unwrap();
    assert!(!first.done);
    assert_eq!((first.rounds, first.deleted_aliases), (1, 0));
    // The next invocation finds what is left by the marker and finishes, adding to the counts.
    let lambda = api(
        RuleMode::Sequential,
        &[
            &versions(&[("7", "powertune run run1: RAM128")]),
            &aliases(&[("RAM128", "7")]),
            &delete_alias("RAM128"),
            &delete_version("7"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let done = cleaner::clean(&lambda, &published_plan(), Some(&first))
        .await
        .unwrap();
    assert!(done.done && done.restored_latest);
    assert_eq!(
        (done.rounds, done.deleted_aliases, done.deleted_versions),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn without_a_listing_of_the_function_the_plans_versions_are_deleted() {
    // moto 5.2.5 lists nothing (not even $LATEST) for a function named by its ARN.
    let unlisted = mock!(Client::list_versions_by_function).then_output(|| {
        aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput::builder(
        )
        .build()
    });
    let lambda = api(
        RuleMode::Sequential,
        &[
            &unlisted,
            &aliases(&[("RAM128", "7")]),
            &delete_alias("RAM128"),
            &delete_version("7"),
            &delete_version("8"),
            &get_latest(1024, "original", LastUpdateStatus::Successful),
        ],
    );
    let report = cleaner::clean(&lambda, &published_plan(), None)
        .await
        .unwrap();
    assert_eq!((report.deleted_aliases, report.deleted_versions), (1, 2));
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
