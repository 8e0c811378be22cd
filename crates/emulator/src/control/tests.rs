//! The control plane's rules, without HTTP.

use super::json::{civil_from_days, timestamp};
use super::*;
use serde_json::json;

/// A request body, typed as the server reads it.
fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn plane() -> ControlPlane {
    let mut p = ControlPlane::new("us-east-1", Duration::from_millis(0));
    p.create_function(
        &body(json!({"FunctionName": "f", "MemorySize": 1024, "Description": "orig"})),
        Runtime::Provided("provided.al2023".into()),
        PathBuf::from("/tmp"),
        "sha".into(),
        1,
    )
    .unwrap();
    p
}

#[test]
fn function_references_parse_like_lambdas() {
    assert_eq!(parse_function_ref("f").unwrap(), ("f".into(), None));
    assert_eq!(
        parse_function_ref("f:live").unwrap(),
        ("f".into(), Some("live".into()))
    );
    assert_eq!(
        parse_function_ref("123456789012:function:f:3").unwrap(),
        ("f".into(), Some("3".into()))
    );
    assert_eq!(
        parse_function_ref("arn:aws:lambda:us-east-1:123456789012:function:f").unwrap(),
        ("f".into(), None)
    );
    assert!(parse_function_ref("arn:aws:s3:::b").is_err());
}

#[test]
fn publishing_freezes_the_configuration_and_skips_unchanged_ones() {
    let mut p = plane();
    let v1 = p
        .publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
        .unwrap();
    assert_eq!(v1["Version"], "1");
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
            .unwrap()["Version"],
        "1",
        "nothing changed"
    );
    p.update_configuration("f", &body(json!({"MemorySize": 512})), p.update_delay)
        .unwrap();
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
            .unwrap()["Version"],
        "2"
    );
    assert_eq!(
        p.get_configuration("f", Some("1")).unwrap()["MemorySize"],
        1024
    );
    assert_eq!(
        p.get_configuration("f", Some("2")).unwrap()["MemorySize"],
        512
    );
    // numbers are never reused
    p.delete_function("f", Some("2")).unwrap();
    p.update_configuration("f", &body(json!({"MemorySize": 256})), p.update_delay)
        .unwrap();
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
            .unwrap()["Version"],
        "3"
    );
}

#[test]
fn updates_are_in_progress_for_a_while() {
    let mut p = plane();
    p.update_delay = Duration::from_secs(60);
    p.update_configuration("f", &body(json!({"MemorySize": 512})), p.update_delay)
        .unwrap();
    assert_eq!(
        p.get_configuration("f", None).unwrap()["LastUpdateStatus"],
        "InProgress"
    );
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
            .unwrap_err()
            .code,
        "ResourceConflictException"
    );
    assert_eq!(
        p.update_configuration("f", &body(json!({})), p.update_delay)
            .unwrap_err()
            .status,
        409
    );
}

#[test]
fn aliases_resolve_and_protect_their_versions() {
    let mut p = plane();
    p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
        .unwrap();
    p.create_alias(
        "f",
        &body(json!({"Name": "RAM1024", "FunctionVersion": "1"})),
    )
    .unwrap();
    assert_eq!(
        p.create_alias(
            "f",
            &body(json!({"Name": "RAM1024", "FunctionVersion": "1"}))
        )
        .unwrap_err()
        .status,
        409
    );
    assert_eq!(p.resolve("f", Some("RAM1024")).unwrap().version, "1");
    assert_eq!(
        p.resolve("f:RAM1024", None).unwrap().config.memory_size,
        1024
    );
    assert_eq!(
        p.delete_function("f", Some("1")).unwrap_err().code,
        "ResourceConflictException"
    );
    p.delete_alias("f", "RAM1024").unwrap();
    p.delete_function("f", Some("1")).unwrap();
    assert_eq!(p.get_alias("f", "RAM1024").unwrap_err().status, 404);
    assert_eq!(p.resolve("f", Some("1")).unwrap_err().status, 404);
}

#[test]
fn bad_values_are_rejected() {
    let mut p = plane();
    assert_eq!(
        p.update_configuration("f", &body(json!({"MemorySize": 64})), p.update_delay)
            .unwrap_err()
            .code,
        "InvalidParameterValueException"
    );
    assert_eq!(
        p.get_configuration("nope", None).unwrap_err().code,
        "ResourceNotFoundException"
    );
    assert_eq!(
        p.create_alias("f", &body(json!({"Name": "a", "FunctionVersion": "9"})))
            .unwrap_err()
            .status,
        404
    );
}

#[test]
fn timestamps_are_calendar_dates() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    assert!(timestamp().ends_with("+0000"));
}

#[test]
fn a_pending_function_refuses_every_operation_until_it_is_active() {
    // "Lambda function states": while Pending, "any invocations or other API actions that
    // operate on the function will fail".
    let mut p = plane();
    let until = Instant::now() + Duration::from_secs(60);
    p.set_state(
        "f",
        FunctionState::Pending {
            until,
            reason_code: "Creating",
        },
    )
    .unwrap();
    assert_eq!(p.get_configuration("f", None).unwrap()["State"], "Pending");
    let update = p.update_configuration("f", &body(json!({"MemorySize": 512})), Duration::ZERO);
    assert_eq!(update.unwrap_err().status, 409);
    let publish = p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX);
    assert_eq!(publish.unwrap_err().status, 409);
    assert_eq!(
        p.admit_invocation("f", Duration::ZERO).unwrap_err().status,
        409
    );
    assert_eq!(
        FunctionState::Pending {
            until,
            reason_code: "Creating"
        }
        .at(until),
        FunctionState::Active
    );
}

#[test]
fn an_inactive_function_is_restored_by_an_invocation_attempt_or_an_update() {
    let mut p = plane();
    p.set_state("f", FunctionState::Inactive).unwrap();
    let c = p.get_configuration("f", None).unwrap();
    assert_eq!(
        (&c["State"], &c["StateReasonCode"]),
        (&json!("Inactive"), &json!("Idle"))
    );
    // The invocation fails and Lambda starts restoring the function.
    assert_eq!(
        p.admit_invocation("f", Duration::from_secs(60))
            .unwrap_err()
            .status,
        409
    );
    assert_eq!(p.get_configuration("f", None).unwrap()["State"], "Pending");

    // An update is accepted, and the function is Pending while it is in progress.
    let mut p = plane();
    p.set_state("f", FunctionState::Inactive).unwrap();
    p.update_configuration(
        "f",
        &body(json!({"MemorySize": 512})),
        Duration::from_secs(60),
    )
    .unwrap();
    let c = p.get_configuration("f", None).unwrap();
    assert_eq!(
        (&c["State"], &c["LastUpdateStatus"]),
        (&json!("Pending"), &json!("InProgress"))
    );
    let mut p = plane();
    p.set_state("f", FunctionState::Inactive).unwrap();
    p.update_configuration("f", &body(json!({"MemorySize": 512})), Duration::ZERO)
        .unwrap();
    assert_eq!(p.get_configuration("f", None).unwrap()["State"], "Active");
    p.admit_invocation("f", Duration::ZERO).unwrap();
}

#[test]
fn reserved_concurrency_taken_by_provisioned_concurrency_leaves_none_on_demand() {
    let mut p = plane();
    p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
        .unwrap();
    p.create_alias("f", &body(json!({"Name": "live", "FunctionVersion": "1"})))
        .unwrap();
    p.put_concurrency("f", &body(json!({"ReservedConcurrentExecutions": 5})))
        .unwrap();
    assert!(!p.resolve("f", Some("1")).unwrap().no_concurrency());
    p.put_provisioned(
        "f",
        Some("live"),
        &body(json!({"ProvisionedConcurrentExecutions": 5})),
    )
    .unwrap();
    assert!(!p.resolve("f", Some("live")).unwrap().no_concurrency());
    assert!(p.resolve("f", Some("1")).unwrap().no_concurrency());
    assert!(p.resolve("f", None).unwrap().no_concurrency());
    let listed = p.list_provisioned("f").unwrap();
    assert_eq!(
        listed["ProvisionedConcurrencyConfigs"][0]["FunctionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:f:live"
    );
    // More than the reserved concurrency holds is refused.
    let over = p.put_provisioned(
        "f",
        Some("1"),
        &body(json!({"ProvisionedConcurrentExecutions": 1})),
    );
    assert_eq!(over.unwrap_err().status, 400);
    p.delete_provisioned("f", Some("live")).unwrap();
    assert!(!p.resolve("f", Some("1")).unwrap().no_concurrency());
}

#[test]
fn account_settings_count_code_storage_per_version() {
    let mut p = plane();
    let before = p.account_settings(1000);
    assert_eq!(before["AccountUsage"]["TotalCodeSize"], 1);
    assert_eq!(before["AccountLimit"]["TotalCodeSize"], 1000);
    p.publish_version("f", &body(json!({})), Duration::ZERO, u64::MAX)
        .unwrap();
    assert_eq!(p.account_settings(1000)["AccountUsage"]["TotalCodeSize"], 2);
    // A version past the quota is refused.
    p.update_configuration("f", &body(json!({"MemorySize": 512})), Duration::ZERO)
        .unwrap();
    let full = p.publish_version("f", &body(json!({})), Duration::ZERO, 2);
    assert_eq!(full.unwrap_err().code, "CodeStorageExceededException");
}

#[test]
fn log_levels_need_the_json_format_and_show_with_it() {
    let mut p = plane();
    let text_with_level = p.update_configuration(
        "f",
        &body(json!({"LoggingConfig": {"SystemLogLevel": "WARN"}})),
        Duration::ZERO,
    );
    assert_eq!(text_with_level.unwrap_err().status, 400);
    let c = p
        .update_configuration(
            "f",
            &body(json!({"LoggingConfig": {"LogFormat": "JSON", "SystemLogLevel": "WARN"}})),
            Duration::ZERO,
        )
        .unwrap();
    assert_eq!(c["LoggingConfig"]["SystemLogLevel"], "WARN");
    assert_eq!(c["LoggingConfig"]["ApplicationLogLevel"], "INFO");
    let bad = p.update_configuration(
        "f",
        &body(json!({"LoggingConfig": {"SystemLogLevel": "ERROR"}})),
        Duration::ZERO,
    );
    assert!(bad.unwrap_err().message.contains("systemLogLevel"));
}
