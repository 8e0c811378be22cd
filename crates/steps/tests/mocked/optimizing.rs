//! The Optimizer.

use super::*;

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
            &versions(&[("3", "a release")]),
            &mock!(Client::publish_version)
                .match_requests(|r| {
                    r.function_name() == Some(ARN)
                        && r.description() == Some("powertune run abc: optimal 512 MB")
                })
                .then_output(|| {
                    PublishVersionOutput::builder()
                        .version("12")
                        .description("powertune run abc: optimal 512 MB")
                        .build()
                }),
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

#[tokio::test]
async fn a_retried_optimizer_takes_the_version_its_killed_predecessor_published() {
    let lambda = api(
        RuleMode::Sequential,
        &[
            &update(512, "original"),
            &get_latest(512, "original", LastUpdateStatus::Successful),
            &versions(&[
                ("3", "a release"),
                ("12", "powertune run abc: optimal 512 MB"),
            ]),
            &active("12"),
            &alias_missing("live"),
            &create_alias("live", "12"),
        ],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "autoOptimize": true, "autoOptimizeAlias": "live"});
    let out = optimizer::optimize(&lambda, &optimizer_event(input))
        .await
        .unwrap();
    assert_eq!(out.version.as_deref(), Some("12"));
}

#[tokio::test]
async fn the_optimizer_deletes_its_version_when_the_alias_cannot_point_at_it() {
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
            &update(512, "original"),
            &get_latest(512, "original", LastUpdateStatus::Successful),
            &versions(&[]),
            &publish("12", "powertune run abc: optimal 512 MB"),
            &active("12"),
            &alias_fails,
            &delete_version("12"),
        ],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "autoOptimize": true, "autoOptimizeAlias": "live"});
    let err = optimizer::optimize(&lambda, &optimizer_event(input))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Lambda.ServiceException");
}
