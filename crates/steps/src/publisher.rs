//! Publisher: publishes the plan's configurations (update `$LATEST`, wait, publish a version,
//! point the alias at it) as many per invocation as fit in the time left, then restores
//! `$LATEST`. The state machine calls it again until the plan says `done`.

use crate::error::StepError;
use crate::events::{Configuration, FunctionSnapshot, Plan};
use crate::lambda::LambdaApi;
use std::time::{Duration, Instant};

/// Time kept in reserve at the end of an invocation, beyond twice the slowest configuration so
/// far: a Lambda killed mid-configuration would leave a version no plan records.
pub(crate) const SAFETY_MARGIN: Duration = Duration::from_secs(5);

/// Publishes what fits in `budget` (the invocation's remaining time) and returns the plan with
/// its progress.
#[tracing::instrument(skip_all, fields(step = "publisher", function = %plan.function.arn))]
pub async fn publish(
    lambda: &LambdaApi,
    mut plan: Plan,
    budget: Duration,
) -> Result<Plan, StepError> {
    let started = Instant::now();
    let configurations = plan.configurations();
    let first = plan.published();
    let mut slowest = Duration::ZERO;
    let left = || budget.saturating_sub(started.elapsed());

    // An earlier invocation (killed, timed out, or still running when the state machine's
    // timeout fired) may have left an update in progress, which Lambda would answer with 409;
    // so may a function still Pending.
    lambda.wait_until_ready(&plan.function.arn).await?;

    while plan.published() < configurations.len() {
        // Always make progress, so the state machine's loop ends.
        if plan.published() > first && !another_fits(left(), slowest) {
            break;
        }
        let t0 = Instant::now();
        let version = publish_one(lambda, &plan, &configurations[plan.published()]).await?;
        plan.versions.push(version);
        slowest = slowest.max(t0.elapsed());
    }

    if plan.published() == configurations.len()
        && !plan.publishing_done
        && (plan.published() == first || restore_fits(left(), slowest))
    {
        restore_latest(lambda, &plan.function).await?;
        plan.publishing_done = true;
    }
    plan.publisher_rounds += 1;
    tracing::info!(
        published = plan.published(),
        of = configurations.len(),
        this_round = plan.published() - first,
        done = plan.publishing_done,
        "publisher round finished"
    );
    Ok(plan)
}

/// Whether another configuration fits in the time `left`: twice the slowest one so far, plus the
/// safety margin.
pub(crate) fn another_fits(left: Duration, slowest: Duration) -> bool {
    left > slowest * 2 + SAFETY_MARGIN
}

/// Whether restoring `$LATEST` (one update and wait, cheaper than a configuration) fits.
pub(crate) fn restore_fits(left: Duration, slowest: Duration) -> bool {
    left > slowest + SAFETY_MARGIN
}

/// update -> wait -> publish -> wait until active -> alias. A new version can be `Pending` for a
/// while (always with SnapStart), and invoking it meanwhile fails, so every version is waited
/// for; normally that is one `GetFunctionConfiguration`. If the alias cannot be made, the
/// version is deleted here; if this invocation dies first, the Cleaner finds the version by its
/// description.
async fn publish_one(
    lambda: &LambdaApi,
    plan: &Plan,
    config: &Configuration,
) -> Result<String, StepError> {
    let function = plan.function.arn.as_str();
    tracing::info!(power = config.power_value, alias = %config.alias, "publishing configuration");
    match (&config.managed, &plan.function.managed) {
        (Some(c), Some(placement)) => {
            lambda
                .set_managed_config(
                    function,
                    c,
                    &placement.capacity_provider_arn,
                    &config.description,
                )
                .await?
        }
        (Some(_), None) => {
            return Err(StepError::InvalidInput(format!(
                "{function} has no capacity provider to publish {} on",
                config.alias
            )))
        }
        (None, _) => {
            lambda
                .update_config(function, config.power_value, &config.description)
                .await?
        }
    }
    lambda
        .wait_until_updated(function, config.power_value)
        .await?;
    let (version, description) = lambda.publish_version(function, None).await?;
    if description != config.description {
        // Lambda returned an existing version instead of publishing ours: it is not ours to use
        // or delete.
        return Err(StepError::VersionConflict(format!(
            "PublishVersion of {function} returned version {version} (\"{description}\") instead of a new version for {}; another deployment may be changing the function at the same time.",
            config.alias
        )));
    }
    let aliased = async {
        lambda.wait_until_active(function, &version).await?;
        lambda
            .create_run_alias(function, &config.alias, &version, &plan.marker())
            .await
    }
    .await;
    if let Err(e) = aliased {
        // The version is in no plan yet, so nobody else would delete it.
        if let Err(cleanup) = lambda.delete_version(function, &version).await {
            tracing::warn!(version = %version, error = %cleanup, "could not delete the version of a failed configuration");
        }
        return Err(e);
    }
    Ok(version)
}

/// Puts `$LATEST`'s memory and description (and, on Lambda Managed Instances, its capacity
/// provider configuration) back as the Initializer recorded them, when they differ; returns
/// whether it changed anything. No version is published. The Publisher calls it after the last
/// configuration, the Cleaner after any run.
pub async fn restore_latest(
    lambda: &LambdaApi,
    function: &FunctionSnapshot,
) -> Result<bool, StepError> {
    let f = function;
    let now = lambda.latest_config(&f.arn).await?;
    if now.memory_size == f.memory_size
        && now.description == f.description
        && now.managed == f.managed
    {
        return Ok(false);
    }
    if now.busy() {
        // UpdateFunctionConfiguration fails while another update is in progress.
        lambda.wait_until_ready(&f.arn).await?;
    }
    match &f.managed {
        Some(placement) => {
            lambda
                .set_placement(
                    &f.arn,
                    f.memory_size,
                    placement,
                    &f.description,
                    "its configuration before the run",
                )
                .await?
        }
        None => {
            lambda
                .update_config(&f.arn, f.memory_size, &f.description)
                .await?
        }
    }
    lambda.wait_until_updated(&f.arn, f.memory_size).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many Publisher invocations a plan of `configurations` needs when each configuration
    /// takes `per_configuration` and each invocation may run for `budget`: the loop above, with
    /// time simulated.
    fn rounds_needed(
        configurations: usize,
        per_configuration: Duration,
        budget: Duration,
    ) -> usize {
        let (mut published, mut rounds) = (0, 0);
        loop {
            rounds += 1;
            let (first, mut elapsed, mut slowest) = (published, Duration::ZERO, Duration::ZERO);
            while published < configurations {
                if published > first && !another_fits(budget.saturating_sub(elapsed), slowest) {
                    break;
                }
                elapsed += per_configuration;
                slowest = per_configuration;
                published += 1;
            }
            if published == configurations
                && (published == first || restore_fits(budget.saturating_sub(elapsed), slowest))
            {
                return rounds;
            }
        }
    }

    #[test]
    fn a_46_value_run_needs_one_publisher_invocation_at_aws_speeds() {
        // An update settles in 1-3 s on AWS; PublishVersion and the alias add well under 1 s.
        let budget = Duration::from_secs(300);
        assert_eq!(rounds_needed(46, Duration::from_secs(3), budget), 1);
        assert_eq!(rounds_needed(46, Duration::from_millis(6100), budget), 1);
        // Past ~6.2 s per configuration the run takes a second round.
        assert_eq!(rounds_needed(46, Duration::from_secs(7), budget), 2);
        assert_eq!(rounds_needed(46, Duration::from_secs(10), budget), 2);
    }

    #[test]
    fn without_time_every_configuration_takes_a_round_and_the_restore_one_more() {
        assert_eq!(
            rounds_needed(46, Duration::from_secs(1), Duration::ZERO),
            47
        );
        assert_eq!(rounds_needed(0, Duration::from_secs(1), Duration::ZERO), 1);
    }
}
