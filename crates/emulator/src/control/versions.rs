//! Published versions: PublishVersion and ListVersionsByFunction.

use super::{json::timestamp, parse_function_ref, ControlPlane, Function, Version};
use crate::error::{ApiError, ApiResult};
use crate::requests;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl ControlPlane {
    /// Publishes `$LATEST`; the new version is `State: Pending` for `pending` (zero: Active at
    /// once). A version that would take the account's code storage past `code_storage_limit`
    /// bytes is refused with CodeStorageExceededException, as Lambda refuses it.
    pub fn publish_version(
        &mut self,
        reference: &str,
        body: &requests::PublishVersion,
        pending: Duration,
        code_storage_limit: u64,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let now = Instant::now();
        let used = self.code_storage_used();
        let f = self.function_mut(&name)?;
        if used + f.latest.code_size > code_storage_limit {
            return Err(ApiError {
                status: 400,
                code: "CodeStorageExceededException",
                message: format!(
                    "Code storage limit exceeded: {used} of {code_storage_limit} bytes are used."
                ),
            });
        }
        f.refuse_if_pending(now)?;
        if f.updating(now) {
            return Err(ApiError::conflict(format!(
                "The operation cannot be performed at this time. An update is in progress for resource: {}",
                f.name
            )));
        }
        // Lambda publishes nothing when neither code nor configuration changed since the latest
        // version, and returns that version instead.
        let unchanged = f
            .versions
            .values()
            .next_back()
            .filter(|v| v.config == f.latest)
            .map(|v| v.number);
        let number = match unchanged {
            Some(n) => n,
            None => {
                let n = f.next_version;
                f.next_version += 1;
                let mut config = f.latest.clone();
                if let Some(d) = body.description.as_ref().filter(|d| !d.is_empty()) {
                    config.description = d.clone();
                }
                // A version on Lambda Managed Instances is Active once its environment started
                // (the server starts it: `invoke::start_version`).
                let starting = config.managed.is_some();
                f.versions.insert(
                    n,
                    Version {
                        number: n,
                        config,
                        last_modified: timestamp(),
                        pending_until: (!pending.is_zero()).then(|| now + pending),
                        starting,
                        failed: None,
                    },
                );
                n
            }
        };
        let f = &self.functions[&name];
        let v = &f.versions[&number];
        Ok(self.configuration_json(f, &number.to_string(), &v.config, &v.last_modified))
    }

    /// The environment of LMI version `number` of `name` started (`failure`: it did not, and
    /// why): the version is Active, or Failed. Whether the version is still there (it may have
    /// been deleted meanwhile).
    pub fn version_started(&mut self, name: &str, number: u32, failure: Option<String>) -> bool {
        let Some(v) = self
            .functions
            .get_mut(name)
            .and_then(|f| f.versions.get_mut(&number))
        else {
            return false;
        };
        v.starting = false;
        v.failed = failure;
        true
    }

    /// ListVersionsByFunction.
    pub fn list_versions(&self, reference: &str) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function(&name)?;
        let mut versions = vec![self.configuration_json(f, "$LATEST", &f.latest, &f.last_modified)];
        versions.extend(f.versions.values().map(|v| {
            self.configuration_json(f, &v.number.to_string(), &v.config, &v.last_modified)
        }));
        Ok(json!({ "Versions": versions }))
    }

    pub(super) fn check_version(f: &Function, version: &str) -> ApiResult<()> {
        if version == "$LATEST"
            || version
                .parse::<u32>()
                .ok()
                .is_some_and(|n| f.versions.contains_key(&n))
        {
            Ok(())
        } else {
            Err(ApiError::not_found(format!(
                "Function not found: {}:{version}",
                f.name
            )))
        }
    }
}
