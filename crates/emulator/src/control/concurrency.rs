//! Concurrency: a function's reserved concurrency.

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
}
