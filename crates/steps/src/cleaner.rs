//! Cleaner: deletes every alias and version the run created and restores `$LATEST`. It tries
//! everything, then reports what it could not do.
//!
//! The run's versions are found by the marker in their description, not only from the plan: a
//! Publisher killed or retried mid-round publishes versions that no plan records. A big run
//! (thousands of versions with `onlyColdStarts`, at Lambda's ~15 control-plane requests per
//! second) takes longer than one invocation may run: the Cleaner stops before its deadline with
//! `done: false`, and the state machine calls it again; each call finds what is left by the
//! marker.

use crate::error::StepError;
use crate::events::{CleanupReport, Plan};
use crate::lambda::LambdaApi;
use crate::publisher::restore_latest;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// A run that needs more Cleaner invocations than this makes no progress: it is reported as
/// incomplete instead of looping on.
pub(crate) const MAX_ROUNDS: usize = 100;

/// Time kept before the deadline beyond twice the slowest call so far. Less than the
/// Publisher's: a Cleaner stopped early loses nothing (the next invocation finds what is left
/// by the marker); it only has to return its report before it is killed.
pub(crate) const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Deletes the run's aliases and versions, as many as fit before the step's deadline, and
/// restores `$LATEST` once none is left. `previous` is the report of the Cleaner invocation
/// before this one, if it did not finish; the report returned adds this invocation's work to
/// it. Fails with `PowerTuning.CleanupIncomplete` when the last invocation could not remove
/// everything.
#[tracing::instrument(skip_all, fields(step = "cleaner", function = %plan.function.arn))]
pub async fn clean(
    lambda: &LambdaApi,
    plan: &Plan,
    previous: Option<&CleanupReport>,
) -> Result<CleanupReport, StepError> {
    let function = plan.function.arn.as_str();
    let mut report = previous.cloned().unwrap_or_default();
    report.rounds += 1;
    report.done = true;
    report.failures.clear();
    report.failure_count = 0;

    let (aliases, versions) = what_is_left(lambda, plan, &mut report).await;
    let mut clock = Budget::new(lambda.time_left());
    // A version cannot be deleted while an alias points at it: aliases first.
    for alias in &aliases {
        if !clock.another_fits() {
            report.done = false;
            break;
        }
        let result = clock.time(lambda.delete_alias(function, alias)).await;
        match result {
            Ok(()) => report.deleted_aliases += 1,
            Err(e) => report.fail(e.to_string()),
        }
    }
    for version in &versions {
        if !report.done {
            break;
        }
        if !clock.another_fits() {
            report.done = false;
            break;
        }
        let result = clock.time(lambda.delete_version(function, version)).await;
        match result {
            Ok(()) => report.deleted_versions += 1,
            Err(e) => report.fail(e.to_string()),
        }
    }
    if report.done {
        match restore_latest(lambda, &plan.function).await {
            Ok(_) => report.restored_latest = true,
            Err(e) => report.fail(e.to_string()),
        }
    } else if report.rounds >= MAX_ROUNDS {
        report.done = true;
        report.fail(format!(
            "{MAX_ROUNDS} Cleaner invocations did not remove everything; aliases or versions are left"
        ));
    }

    tracing::info!(
        aliases = report.deleted_aliases,
        versions = report.deleted_versions,
        restored = report.restored_latest,
        done = report.done,
        round = report.rounds,
        "cleaner round finished"
    );
    if !report.done || report.failure_count == 0 {
        return Ok(report);
    }
    let more = report.failure_count - report.failures.len();
    Err(StepError::CleanupIncomplete(format!(
        "Cleanup of {function} is incomplete; deleted {} aliases and {} versions, but: {}{}",
        report.deleted_aliases,
        report.deleted_versions,
        report.failures.join("; "),
        if more > 0 {
            format!("; and {more} more failures")
        } else {
            String::new()
        }
    )))
}

/// The run's aliases and versions still on the function. Ours: every version whose description
/// carries the run's marker, and those in the plan; an alias is ours if it has one of the run's
/// names and points at one of its versions (never someone else's).
async fn what_is_left(
    lambda: &LambdaApi,
    plan: &Plan,
    report: &mut CleanupReport,
) -> (Vec<String>, BTreeSet<String>) {
    let function = plan.function.arn.as_str();
    let marker = plan.marker();
    // The listing is the truth: a version the plan records but the function no longer has was
    // deleted by an earlier Cleaner invocation. Without a listing (moto's), the plan's.
    let ours: BTreeSet<String> = match lambda.list_versions(function).await {
        Ok(Some(versions)) => versions
            .into_iter()
            .filter(|v| v.description.starts_with(&marker) || plan.versions.contains(&v.version))
            .map(|v| v.version)
            .collect(),
        Ok(None) => plan.versions.iter().cloned().collect(),
        Err(e) => {
            report.fail(e.to_string());
            plan.versions.iter().cloned().collect()
        }
    };
    let names: BTreeSet<String> = plan.configurations().into_iter().map(|c| c.alias).collect();
    let mut aliases = Vec::new();
    match lambda.aliases_named(function, &names).await {
        Ok(found) => {
            for (alias, version) in found {
                if ours.contains(&version) {
                    aliases.push(alias);
                } else {
                    tracing::warn!(alias = %alias, version = %version, "an alias named as the run's points at a version the run did not publish; left alone");
                }
            }
        }
        Err(e) => report.fail(e.to_string()),
    }
    (aliases, ours)
}

/// The Cleaner's time: what is left before the step's deadline, and the slowest call so far.
struct Budget {
    left: Option<Duration>,
    started: Instant,
    slowest: Duration,
}

impl Budget {
    fn new(left: Option<Duration>) -> Budget {
        Budget {
            left,
            started: Instant::now(),
            slowest: Duration::ZERO,
        }
    }

    /// Whether another call fits: more time left than twice the slowest call so far and the
    /// safety margin.
    fn another_fits(&self) -> bool {
        self.left.is_none_or(|left| {
            left.saturating_sub(self.started.elapsed()) > self.slowest * 2 + SAFETY_MARGIN
        })
    }

    async fn time<T>(&mut self, call: impl std::future::Future<Output = T>) -> T {
        let t0 = Instant::now();
        let out = call.await;
        self.slowest = self.slowest.max(t0.elapsed());
        out
    }
}
