//! Concurrency and the account's limits: a function's reserved and provisioned concurrency, and
//! GetAccountSettings (code storage, concurrent executions).

use super::{parse_function_ref, ControlPlane};
use crate::error::{ApiError, ApiResult};
use crate::requests;
use serde_json::{json, Value};

impl ControlPlane {
    /// `GetFunctionConcurrency`: `{}` when none is reserved, as Lambda answers.
    pub fn get_concurrency(&self, reference: &str) -> ApiResult<Value> {
        let f = self.function(&parse_function_ref(reference)?.0)?;
        Ok(match f.reserved_concurrency {
            Some(n) => json!({ "ReservedConcurrentExecutions": n }),
            None => json!({}),
        })
    }

    /// `PutFunctionConcurrency`.
    pub fn put_concurrency(
        &mut self,
        reference: &str,
        body: &requests::PutFunctionConcurrency,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let n = body
            .reserved_concurrent_executions
            .ok_or_else(|| ApiError::invalid("ReservedConcurrentExecutions is required"))?;
        self.function_mut(&name)?.reserved_concurrency = Some(n);
        Ok(json!({ "ReservedConcurrentExecutions": n }))
    }

    /// `DeleteFunctionConcurrency`.
    pub fn delete_concurrency(&mut self, reference: &str) -> ApiResult<()> {
        let (name, _) = parse_function_ref(reference)?;
        self.function_mut(&name)?.reserved_concurrency = None;
        Ok(())
    }

    /// PutProvisionedConcurrencyConfig on an alias or a version. The function's reserved
    /// concurrency, when set, must hold all of its provisioned concurrency.
    pub fn put_provisioned(
        &mut self,
        reference: &str,
        qualifier: Option<&str>,
        body: &requests::PutProvisionedConcurrencyConfig,
    ) -> ApiResult<Value> {
        let (name, q) = parse_function_ref(reference)?;
        let qualifier = qualifier
            .map(str::to_string)
            .or(q)
            .filter(|q| q != "$LATEST")
            .ok_or_else(|| {
                ApiError::invalid(
                    "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
                )
            })?;
        let n = body
            .provisioned_concurrent_executions
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                ApiError::invalid("ProvisionedConcurrentExecutions must be at least 1")
            })?;
        let f = self.function_mut(&name)?;
        if !f.aliases.contains_key(&qualifier) {
            Self::check_version(f, &qualifier)?;
        }
        let others: u32 = f
            .provisioned
            .iter()
            .filter(|(q, _)| **q != qualifier)
            .map(|(_, n)| n)
            .sum();
        if let Some(reserved) = f.reserved_concurrency {
            if others + n > reserved {
                return Err(ApiError::invalid(format!(
                    "Requested Provisioned Concurrency ({}) exceeds the function's reserved concurrency ({reserved}).",
                    others + n
                )));
            }
        }
        f.provisioned.insert(qualifier, n);
        Ok(provisioned_json(n))
    }

    /// ListProvisionedConcurrencyConfigs.
    pub fn list_provisioned(&self, reference: &str) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function(&name)?;
        let arn = f.arn(&self.region);
        let configs: Vec<Value> = f
            .provisioned
            .iter()
            .map(|(q, &n)| {
                let mut c = provisioned_json(n);
                c["FunctionArn"] = json!(format!("{arn}:{q}"));
                c
            })
            .collect();
        Ok(json!({ "ProvisionedConcurrencyConfigs": configs }))
    }

    /// DeleteProvisionedConcurrencyConfig.
    pub fn delete_provisioned(
        &mut self,
        reference: &str,
        qualifier: Option<&str>,
    ) -> ApiResult<()> {
        let (name, q) = parse_function_ref(reference)?;
        let qualifier = qualifier
            .map(str::to_string)
            .or(q)
            .ok_or_else(|| ApiError::invalid("Qualifier is required"))?;
        let f = self.function_mut(&name)?;
        f.provisioned.remove(&qualifier).ok_or_else(|| {
            ApiError::not_found(format!(
                "No Provisioned Concurrency Config found for this function: {}:{qualifier}",
                f.name
            ))
        })?;
        Ok(())
    }

    /// GetAccountSettings with a code storage limit of `code_storage_limit` bytes. Usage counts
    /// `$LATEST` and every published version of every function, as Lambda's quota does.
    pub fn account_settings(&self, code_storage_limit: u64) -> Value {
        let used = self.code_storage_used();
        let reserved: u32 = self
            .functions
            .values()
            .filter_map(|f| f.reserved_concurrency)
            .sum();
        json!({
            "AccountLimit": {
                "TotalCodeSize": code_storage_limit,
                "CodeSizeUnzipped": 262_144_000u64,
                "CodeSizeZipped": 52_428_800u64,
                "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY.saturating_sub(reserved),
            },
            "AccountUsage": {
                "TotalCodeSize": used,
                "FunctionCount": self.functions.len(),
            },
        })
    }
}

impl ControlPlane {
    /// Bytes of code storage used: `$LATEST` and every version of every function.
    pub(super) fn code_storage_used(&self) -> u64 {
        self.functions
            .values()
            .map(|f| {
                f.latest.code_size + f.versions.values().map(|v| v.config.code_size).sum::<u64>()
            })
            .sum()
    }
}

/// The account's concurrency quota (Lambda's default).
const ACCOUNT_CONCURRENCY: u32 = 1000;

/// Lambda's default code storage quota: 75 GB.
pub const DEFAULT_CODE_STORAGE_BYTES: u64 = 75 * 1024 * 1024 * 1024;

/// A provisioned concurrency configuration, allocated at once.
fn provisioned_json(n: u32) -> Value {
    json!({
        "RequestedProvisionedConcurrentExecutions": n,
        "AllocatedProvisionedConcurrentExecutions": n,
        "AvailableProvisionedConcurrentExecutions": n,
        "Status": "READY",
        "LastModified": super::json::timestamp(),
    })
}
