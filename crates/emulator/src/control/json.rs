//! The configuration document Lambda returns for `$LATEST` or a version, and its timestamps.

use super::{Config, ControlPlane, Function, FunctionState};
use serde_json::{json, Map, Value};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub(super) fn timestamp() -> String {
    // ISO-8601 with milliseconds and +0000, as Lambda writes LastModified.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 -> (year, month, day), Howard Hinnant's algorithm.
pub(super) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl ControlPlane {
    pub(super) fn configuration_json(
        &self,
        f: &Function,
        version: &str,
        c: &Config,
        last_modified: &str,
    ) -> Value {
        let arn = f.arn(&self.region);
        let qualified = if version == "$LATEST" {
            format!("{arn}:$LATEST")
        } else {
            format!("{arn}:{version}")
        };
        let in_progress = version == "$LATEST" && f.updating(Instant::now());
        let mut o = Map::new();
        o.insert("FunctionName".into(), json!(f.name));
        o.insert(
            "FunctionArn".into(),
            json!(if version == "$LATEST" {
                arn.clone()
            } else {
                qualified
            }),
        );
        o.insert("Runtime".into(), json!(c.runtime.to_string()));
        o.insert("Role".into(), json!(c.role));
        o.insert("Handler".into(), json!(c.handler));
        o.insert("CodeSize".into(), json!(c.code_size));
        o.insert("Description".into(), json!(c.description));
        o.insert("Timeout".into(), json!(c.timeout));
        o.insert("MemorySize".into(), json!(c.memory_size));
        o.insert("LastModified".into(), json!(last_modified));
        o.insert("CodeSha256".into(), json!(c.code_sha256));
        o.insert("Version".into(), json!(version));
        o.insert("Environment".into(), json!({ "Variables": c.environment }));
        o.insert("TracingConfig".into(), json!({ "Mode": "PassThrough" }));
        o.insert(
            "RevisionId".into(),
            json!(format!(
                "{:08x}-0000-4000-8000-{:012x}",
                f.revision, f.revision
            )),
        );
        let published = version.parse::<u32>().ok().and_then(|n| f.versions.get(&n));
        let pending = published.is_some_and(|v| v.pending(Instant::now()));
        let failed = published.and_then(|v| v.failed.as_deref());
        // A version has its own state; the function's (Pending, Inactive) shows on `$LATEST`.
        let state = if pending {
            FunctionState::Pending {
                until: Instant::now(),
                reason_code: "Creating",
            }
        } else if version == "$LATEST" {
            f.state.at(Instant::now())
        } else {
            FunctionState::Active
        };
        o.insert("State".into(), json!(state.name()));
        match state {
            FunctionState::Pending { reason_code, .. } => {
                o.insert(
                    "StateReason".into(),
                    json!(if reason_code == "Restoring" {
                        "The function is being restored."
                    } else {
                        "The function is being created."
                    }),
                );
                o.insert("StateReasonCode".into(), json!(reason_code));
            }
            FunctionState::Inactive => {
                o.insert(
                    "StateReason".into(),
                    json!("The function is inactive because it has been idle."),
                );
                o.insert("StateReasonCode".into(), json!("Idle"));
            }
            FunctionState::Active => {}
        }
        // An LMI version whose environment did not start (its Init failed).
        if let Some(reason) = failed {
            o.insert("State".into(), json!("Failed"));
            o.insert("StateReason".into(), json!(reason));
            o.insert("StateReasonCode".into(), json!("FunctionError"));
        }
        o.insert(
            "LastUpdateStatus".into(),
            json!(if in_progress {
                "InProgress"
            } else {
                "Successful"
            }),
        );
        o.insert("PackageType".into(), json!("Zip"));
        o.insert("Architectures".into(), json!([c.architecture]));
        o.insert("EphemeralStorage".into(), json!({ "Size": 512 }));
        o.insert(
            "SnapStart".into(),
            json!({ "ApplyOn": "None", "OptimizationStatus": "Off" }),
        );
        if let Some(m) = &c.managed {
            let mut lmi = json!({
                "CapacityProviderArn": m.capacity_provider_arn,
                "ExecutionEnvironmentMemoryGiBPerVCpu": m.gib_per_vcpu,
            });
            if let Some(n) = m.max_concurrency {
                lmi["PerExecutionEnvironmentMaxConcurrency"] = json!(n);
            }
            o.insert(
                "CapacityProviderConfig".into(),
                json!({ "LambdaManagedInstancesCapacityProviderConfig": lmi }),
            );
        }
        o.insert(
            "LoggingConfig".into(),
            if c.log_format.eq_ignore_ascii_case("JSON") {
                json!({ "LogFormat": c.log_format, "LogGroup": crate::cloudwatch_logs::group_of(&f.name, c.log_group.as_deref()),
                        "SystemLogLevel": c.system_log_level, "ApplicationLogLevel": c.application_log_level })
            } else {
                json!({ "LogFormat": c.log_format, "LogGroup": crate::cloudwatch_logs::group_of(&f.name, c.log_group.as_deref()) })
            },
        );
        Value::Object(o)
    }
}
