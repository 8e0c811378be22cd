//! Optimizer: with `autoOptimize`, sets `$LATEST` to the optimal memory and, with
//! `autoOptimizeAlias`, publishes it and points that alias at the new version.

use crate::error::StepError;
use crate::events::{run_marker, Optimization, OptimizerEvent};
use crate::lambda::LambdaApi;

#[tracing::instrument(skip_all, fields(step = "optimizer", function = %event.function.arn))]
/// Applies the recommendation when the input asks for it: `$LATEST` gets the optimal memory and, with `autoOptimizeAlias`, a version of it gets the alias.
pub async fn optimize(
    lambda: &LambdaApi,
    event: &OptimizerEvent,
) -> Result<Optimization, StepError> {
    let input = &event.input;
    if !input.auto_optimize || input.dry_run {
        return Ok(Optimization {
            applied: false,
            power: None,
            alias: None,
            version: None,
        });
    }
    let f = &event.function;
    let power = event.analysis.power;
    // The description is the original one: the Cleaner restored it before the analysis.
    lambda.update_config(&f.arn, power, &f.description).await?;
    lambda.wait_until_updated(&f.arn, power).await?;
    tracing::info!(power, "$LATEST set to the optimal power value");

    let Some(alias) = input.auto_optimize_alias.clone() else {
        return Ok(Optimization {
            applied: true,
            power: Some(power),
            alias: None,
            version: None,
        });
    };
    // The version carries the run's marker, so that if this step dies before the alias points
    // at it, the Cleaner of the failure path finds and deletes it; and a retried Optimizer
    // takes the version its killed predecessor published instead of publishing another.
    let description = format!("{} optimal {power} MB", run_marker(&event.run_id));
    let earlier = match lambda.list_versions(&f.arn).await? {
        Some(versions) => versions
            .into_iter()
            .find(|v| v.description == description)
            .map(|v| v.version),
        None => None,
    };
    let (version, got) = match earlier {
        Some(version) => (version, description.clone()),
        None => lambda.publish_version(&f.arn, Some(&description)).await?,
    };
    // As in the Publisher: the alias serves traffic once it points at the version, so the
    // version must be Active first.
    let aliased = async {
        lambda.wait_until_active(&f.arn, &version).await?;
        lambda.point_alias(&f.arn, &alias, &version).await
    }
    .await;
    if let Err(e) = aliased {
        // Lambda hands back an existing version when nothing changed since it: only a version
        // with this run's description is ours to delete.
        if got == description {
            if let Err(cleanup) = lambda.delete_version(&f.arn, &version).await {
                tracing::warn!(version = %version, error = %cleanup, "could not delete the optimal version after its alias failed");
            }
        }
        return Err(e);
    }
    tracing::info!(alias = %alias, version = %version, "alias points at the optimal version");
    Ok(Optimization {
        applied: true,
        power: Some(power),
        alias: Some(alias),
        version: Some(version),
    })
}
