//! The control plane's request bodies, typed. A field of the wrong type is an
//! `InvalidParameterValueException` that names the field, as Lambda answers, never a default.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Reads the body of `operation`; an empty body is `{}`.
pub fn parse<T: DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let mut reader = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::invalid(format!("The {operation} request is not valid: {inner}"))
        } else {
            ApiError::invalid(format!(
                "The {operation} request's {path} is not valid: {inner}"
            ))
        }
    })
}

/// `Environment` of a function.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    /// Its variables: names to string values.
    pub variables: Option<BTreeMap<String, String>>,
}

/// `LoggingConfig` of a function.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    /// `Text` or `JSON`.
    pub log_format: Option<String>,
    /// `DEBUG`, `INFO` or `WARN`.
    pub system_log_level: Option<String>,
    /// `TRACE` to `FATAL`.
    pub application_log_level: Option<String>,
    /// A log group of the user's choosing (several functions may share one).
    pub log_group: Option<String>,
}

/// `CapacityProviderConfig` of a function: it runs on Lambda Managed Instances.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CapacityProviderConfig {
    /// The one kind there is.
    #[serde(rename = "LambdaManagedInstancesCapacityProviderConfig")]
    pub managed_instances: Option<ManagedInstancesConfig>,
}

/// `LambdaManagedInstancesCapacityProviderConfig` (Lambda API reference).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ManagedInstancesConfig {
    /// The capacity provider (required).
    #[serde(rename = "CapacityProviderArn")]
    pub capacity_provider_arn: Option<String>,
    /// GiB per vCPU, 2.0 to 8.0.
    #[serde(rename = "ExecutionEnvironmentMemoryGiBPerVCpu")]
    pub memory_gib_per_vcpu: Option<f64>,
    /// Requests one environment serves at once, 1 to 1600.
    #[serde(rename = "PerExecutionEnvironmentMaxConcurrency")]
    pub max_concurrency: Option<u64>,
}

/// `Code` of CreateFunction.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    /// A zip, base64.
    pub zip_file: Option<String>,
    /// The bucket; `__local__` names a local directory (an emulator extension).
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    /// The key; with `__local__`, the directory's path.
    #[serde(rename = "S3Key")]
    pub s3_key: Option<String>,
}

/// CreateFunction.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunction {
    /// The function's name (required).
    pub function_name: Option<String>,
    /// `provided.al2023`, `python3.12`, `nodejs22.x`, ...
    pub runtime: Option<String>,
    /// `module.function`; `bootstrap` for `provided`.
    pub handler: Option<String>,
    /// The execution role.
    pub role: Option<String>,
    /// MB (128 when absent).
    pub memory_size: Option<u64>,
    /// Seconds (3 when absent).
    pub timeout: Option<u64>,
    /// The description.
    pub description: Option<String>,
    /// Environment variables.
    pub environment: Option<Environment>,
    /// One of `x86_64`, `arm64`.
    pub architectures: Option<Vec<String>>,
    /// The log format.
    pub logging_config: Option<LoggingConfig>,
    /// Lambda Managed Instances.
    pub capacity_provider_config: Option<CapacityProviderConfig>,
    /// The code.
    #[serde(default)]
    pub code: Code,
}

/// UpdateFunctionConfiguration: what is present changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateFunctionConfiguration {
    /// MB.
    pub memory_size: Option<u64>,
    /// Seconds.
    pub timeout: Option<u64>,
    /// The description.
    pub description: Option<String>,
    /// Environment variables (replaces them all).
    pub environment: Option<Environment>,
    /// The log format.
    pub logging_config: Option<LoggingConfig>,
    /// Lambda Managed Instances.
    pub capacity_provider_config: Option<CapacityProviderConfig>,
}

/// PublishVersion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishVersion {
    /// The version's description (`$LATEST`'s when absent or empty).
    pub description: Option<String>,
}

/// CreateAlias.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAlias {
    /// The alias (required).
    pub name: Option<String>,
    /// The version it points at (required).
    pub function_version: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// UpdateAlias: what is present changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAlias {
    /// The version it points at.
    pub function_version: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// PutFunctionConcurrency.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutFunctionConcurrency {
    /// The reserved concurrency (required).
    pub reserved_concurrent_executions: Option<u32>,
}

/// PutProvisionedConcurrencyConfig.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutProvisionedConcurrencyConfig {
    /// The provisioned concurrency (required, at least 1).
    pub provisioned_concurrent_executions: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_of_the_wrong_type_is_an_error_naming_it() {
        let e = parse::<UpdateFunctionConfiguration>(
            "UpdateFunctionConfiguration",
            br#"{"MemorySize": "lots"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValueException");
        assert!(e.message.contains("MemorySize"), "{}", e.message);
        let e = parse::<CreateFunction>(
            "CreateFunction",
            br#"{"FunctionName": "f", "Environment": {"Variables": {"A": 1}}}"#,
        )
        .unwrap_err();
        assert!(
            e.message.contains("Environment.Variables.A"),
            "{}",
            e.message
        );
        let e = parse::<PutFunctionConcurrency>(
            "PutFunctionConcurrency",
            br#"{"ReservedConcurrentExecutions": -1}"#,
        )
        .unwrap_err();
        assert!(
            e.message.contains("ReservedConcurrentExecutions"),
            "{}",
            e.message
        );
        assert!(parse::<CreateAlias>("CreateAlias", b"[1]").is_err());
    }

    #[test]
    fn empty_bodies_read_as_no_fields() {
        let p: PublishVersion = parse("PublishVersion", b"").unwrap();
        assert_eq!(p.description, None);
        let c: CreateFunction = parse(
            "CreateFunction",
            br#"{"FunctionName": "f", "Code": {"S3Bucket": "b", "S3Key": "k"}, "Publish": false}"#,
        )
        .unwrap();
        assert_eq!(c.code.s3_key.as_deref(), Some("k"));
    }
}
