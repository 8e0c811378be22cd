//! Optimizer: with `autoOptimize`, sets `$LATEST` to the optimal memory and, with
//! `autoOptimizeAlias`, publishes it and points that alias at the new version.

use crate::error::StepError;
use crate::events::{Optimization, OptimizerEvent};
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
    let (version, _) = lambda.publish_version(&f.arn).await?;
    // As in the Publisher: the alias serves traffic once it points at the version, so the
    // version must be Active first.
    lambda.wait_until_active(&f.arn, &version).await?;
    lambda.point_alias(&f.arn, &alias, &version).await?;
    tracing::info!(alias = %alias, version = %version, "alias points at the optimal version");
    Ok(Optimization {
        applied: true,
        power: Some(power),
        alias: Some(alias),
        version: Some(version),
    })
}
