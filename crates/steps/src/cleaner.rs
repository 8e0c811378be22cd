//! Cleaner: deletes every alias and version the run created and restores `$LATEST`. It tries
//! everything, then reports what it could not do.
//!
//! The run's versions are found by the marker in their description, not only from the plan: a
//! Publisher killed or retried mid-round publishes versions that no plan records.

use crate::error::StepError;
use crate::events::{CleanupReport, Plan};
use crate::lambda::LambdaApi;
use crate::publisher::restore_latest;
use std::collections::BTreeSet;

#[tracing::instrument(skip_all, fields(step = "cleaner", function = %plan.function.arn))]
/// Deletes every alias and version of the run and restores `$LATEST`; tries everything and reports what it could not do (`PowerTuning.CleanupIncomplete`).
pub async fn clean(lambda: &LambdaApi, plan: &Plan) -> Result<CleanupReport, StepError> {
    let function = plan.function.arn.as_str();
    let marker = plan.marker();
    let mut report = CleanupReport::default();

    // Ours: every version whose description carries the run's marker, and those in the plan.
    let mut ours: BTreeSet<String> = plan.versions.iter().cloned().collect();
    match lambda.list_versions(function).await {
        Ok(versions) => ours.extend(
            versions
                .into_iter()
                .filter(|v| v.description.starts_with(&marker))
                .map(|v| v.version),
        ),
        Err(e) => report.fail(e.to_string()),
    }
    let names: BTreeSet<String> = plan.configurations().into_iter().map(|c| c.alias).collect();

    // An alias is ours if it has one of the run's names and points at one of its versions;
    // a version cannot be deleted while an alias points at it.
    let aliases = match lambda.list_aliases(function).await {
        Ok(aliases) => Ok(aliases),
        // One GetAlias per name of the run instead: slower on a big run, but it works where
        // ListAliases does not (moto 5.2.5 does not decode an ARN in its path).
        Err(list_error) => {
            tracing::warn!(error = %list_error, "ListAliases failed; looking up the run's aliases one by one");
            let mut found = Vec::new();
            let mut failed = None;
            for name in &names {
                match lambda.alias_version(function, name).await {
                    Ok(Some(version)) => found.push((name.clone(), version)),
                    Ok(None) => {}
                    Err(e) => failed = Some(e),
                }
            }
            failed.map_or(Ok(found), Err)
        }
    };
    match aliases {
        Ok(aliases) => {
            for (alias, version) in aliases {
                if !ours.contains(&version) {
                    continue;
                }
                if !names.contains(&alias) {
                    tracing::warn!(alias = %alias, version = %version, "an alias this run did not create points at one of its versions; left alone");
                    continue;
                }
                match lambda.delete_alias(function, &alias).await {
                    Ok(()) => report.deleted_aliases += 1,
                    Err(e) => report.fail(e.to_string()),
                }
            }
        }
        Err(e) => report.fail(e.to_string()),
    }
    for version in &ours {
        match lambda.delete_version(function, version).await {
            Ok(()) => report.deleted_versions += 1,
            Err(e) => report.fail(e.to_string()),
        }
    }

    match restore_latest(lambda, &plan.function).await {
        Ok(restored) => report.restored_latest = restored,
        Err(e) => report.fail(e.to_string()),
    }

    if report.failure_count == 0 {
        tracing::info!(
            aliases = report.deleted_aliases,
            versions = report.deleted_versions,
            restored = report.restored_latest,
            "clean"
        );
        Ok(report)
    } else {
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
}
