//! Cleaner: deletes every alias and version the run created and restores `$LATEST`. It tries
//! everything, then reports what it could not do.

use crate::error::StepError;
use crate::events::{CleanupReport, Plan};
use crate::lambda::LambdaApi;

#[tracing::instrument(skip_all, fields(step = "cleaner", function = %plan.function.arn))]
pub async fn clean(lambda: &LambdaApi, plan: &Plan) -> Result<CleanupReport, StepError> {
    let function = plan.function.arn.as_str();
    let marker = format!("powertune run {}", plan.run_id);
    let mut report = CleanupReport::default();

    for config in &plan.configurations {
        let alias_version = match lambda.alias_version(function, &config.alias).await {
            Ok(v) => v,
            Err(e) => {
                report.failures.push(e.to_string());
                None
            }
        };
        // An alias is ours if it points at a version this run published. Without a recorded
        // version (the run failed while publishing it), the version's description tells.
        let ours = match (&alias_version, &config.version) {
            (Some(a), Some(v)) => a == v,
            (Some(a), None) => lambda
                .version_description(function, a)
                .await
                .map(|d| d.starts_with(&marker))
                .unwrap_or(false),
            (None, _) => false,
        };
        if ours {
            match lambda.delete_alias(function, &config.alias).await {
                Ok(()) => report.deleted_aliases.push(config.alias.clone()),
                Err(e) => report.failures.push(e.to_string()),
            }
        } else if alias_version.is_some() {
            tracing::warn!(alias = %config.alias, "alias exists but was not created by this run; left alone");
        }
        let versions = config
            .version
            .iter()
            .chain(alias_version.iter().filter(|_| ours));
        for version in versions {
            if report.deleted_versions.contains(version) {
                continue;
            }
            match lambda.delete_version(function, version).await {
                Ok(()) => report.deleted_versions.push(version.clone()),
                Err(e) => report.failures.push(e.to_string()),
            }
        }
    }

    match restore_if_changed(lambda, plan).await {
        Ok(restored) => report.restored_latest = restored,
        Err(e) => report.failures.push(e.to_string()),
    }

    if report.failures.is_empty() {
        tracing::info!(
            aliases = report.deleted_aliases.len(),
            versions = report.deleted_versions.len(),
            restored = report.restored_latest,
            "clean"
        );
        Ok(report)
    } else {
        Err(StepError::CleanupIncomplete(format!(
            "Cleanup of {function} is incomplete; deleted aliases {:?} and versions {:?}, but: {}",
            report.deleted_aliases,
            report.deleted_versions,
            report.failures.join("; ")
        )))
    }
}

/// Restores `$LATEST`'s memory and description when they differ from the recorded ones.
async fn restore_if_changed(lambda: &LambdaApi, plan: &Plan) -> Result<bool, StepError> {
    let f = &plan.function;
    let now = lambda.latest_config(&f.arn).await?;
    if now.memory_size == f.memory_size && now.description == f.description {
        return Ok(false);
    }
    if now.last_update_in_progress {
        lambda.wait_until_updated(&f.arn, now.memory_size).await?;
    }
    lambda
        .update_config(&f.arn, f.memory_size, &f.description)
        .await?;
    lambda.wait_until_updated(&f.arn, f.memory_size).await?;
    Ok(true)
}
