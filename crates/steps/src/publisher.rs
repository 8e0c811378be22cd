//! Publisher: publishes the plan's configurations (update `$LATEST`, wait, publish a version,
//! point the alias at it) as many per invocation as fit in the time left, then restores
//! `$LATEST`. The state machine calls it again until the plan says `done`.

use crate::error::StepError;
use crate::events::{Configuration, FunctionSnapshot, Plan};
use crate::lambda::LambdaApi;
use aws_sdk_lambda::types::State;
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
    if plan.input.managed_instances.is_some() {
        // Boxed: nested in the on-demand path's future, its state machine made the binary's
        // layout computation overflow rustc's query depth.
        return Box::pin(publish_managed(lambda, plan, budget)).await;
    }
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

/// How many Publisher invocations may wait for an LMI run's versions to become Active: with the
/// default totalExecutionTimeout of 300 s, about 20 minutes ("publishing a version triggers
/// provisioning", which launches instances); a version still Pending then fails the run.
pub const MAX_ACTIVATION_ROUNDS: u32 = 4;

/// Lambda Managed Instances: a version is Active once Lambda has started its environments on
/// instances, which takes minutes, so every configuration is published first (as many per
/// invocation as fit) and the versions activate together; then each is aliased as it becomes
/// Active, over as many invocations as that takes (the state machine's `IsPublished` loop), at
/// most [`MAX_ACTIVATION_ROUNDS`] of them. A version that fails to activate fails the run (its
/// StateReason said); the versions are in the plan, so the Cleaner deletes them.
async fn publish_managed(
    lambda: &LambdaApi,
    mut plan: Plan,
    budget: Duration,
) -> Result<Plan, StepError> {
    let started = Instant::now();
    let configurations = plan.configurations();
    let function = plan.function.arn.clone();
    let first = plan.published();
    let mut slowest = Duration::ZERO;
    let left = || budget.saturating_sub(started.elapsed());
    lambda.wait_until_ready(&function).await?;
    while plan.published() < configurations.len() {
        if plan.published() > first && !another_fits(left(), slowest) {
            break;
        }
        let t0 = Instant::now();
        let version = publish_version_of(lambda, &plan, &configurations[plan.published()]).await?;
        plan.versions.push(version);
        slowest = slowest.max(t0.elapsed());
    }
    if plan.published() < configurations.len() {
        plan.publisher_rounds += 1;
        return Ok(plan);
    }
    // Every configuration is published: `$LATEST` as it was (a no-op once it is).
    restore_latest(lambda, &plan.function).await?;
    while plan.activated < configurations.len() {
        let version = plan.versions[plan.activated].clone();
        match lambda.version_state(&function, &version).await? {
            (State::Active, _) => {
                let config = &configurations[plan.activated];
                lambda
                    .create_run_alias(&function, &config.alias, &version, &plan.marker())
                    .await?;
                plan.activated += 1;
            }
            (State::Failed, reason) => {
                return Err(StepError::UpdateFailed {
                    function: format!("{function}:{version}"),
                    memory: configurations[plan.activated].power_value,
                    reason: reason.unwrap_or_else(|| "the version failed to activate".into()),
                })
            }
            _ if plan.activation_rounds >= MAX_ACTIVATION_ROUNDS => {
                return Err(StepError::WaitTimedOut(format!(
                    "Version {version} of {function} ({}) was not Active after {} Publisher invocations waited for it; the capacity provider may not be able to launch the instances it needs.",
                    configurations[plan.activated].alias, plan.activation_rounds
                )))
            }
            _ if left() > SAFETY_MARGIN + lambda.poll_interval() => {
                tokio::time::sleep(lambda.poll_interval()).await;
            }
            _ => break,
        }
    }
    if plan.activated == configurations.len() {
        plan.publishing_done = true;
    } else {
        plan.activation_rounds += 1;
    }
    plan.publisher_rounds += 1;
    tracing::info!(
        published = plan.published(),
        activated = plan.activated,
        of = configurations.len(),
        activation_rounds = plan.activation_rounds,
        done = plan.publishing_done,
        "publisher round finished (Lambda Managed Instances)"
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
    let version = publish_version_of(lambda, plan, config).await?;
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

/// update -> wait -> publish: the version of `config`, which is this run's (its description
/// carries the run's marker). An LMI configuration goes on the function's capacity provider.
async fn publish_version_of(
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
