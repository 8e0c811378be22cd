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
