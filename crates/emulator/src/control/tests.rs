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
        .publish_version("f", &body(json!({})), Duration::ZERO)
        .unwrap();
    assert_eq!(v1["Version"], "1");
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO)
            .unwrap()["Version"],
        "1",
        "nothing changed"
    );
    p.update_configuration("f", &body(json!({"MemorySize": 512})))
        .unwrap();
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO)
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
    p.update_configuration("f", &body(json!({"MemorySize": 256})))
        .unwrap();
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO)
            .unwrap()["Version"],
        "3"
    );
}

#[test]
fn updates_are_in_progress_for_a_while() {
    let mut p = plane();
    p.update_delay = Duration::from_secs(60);
    p.update_configuration("f", &body(json!({"MemorySize": 512})))
        .unwrap();
    assert_eq!(
        p.get_configuration("f", None).unwrap()["LastUpdateStatus"],
        "InProgress"
    );
    assert_eq!(
        p.publish_version("f", &body(json!({})), Duration::ZERO)
            .unwrap_err()
            .code,
        "ResourceConflictException"
    );
    assert_eq!(
        p.update_configuration("f", &body(json!({})))
            .unwrap_err()
            .status,
        409
    );
}

#[test]
fn aliases_resolve_and_protect_their_versions() {
    let mut p = plane();
    p.publish_version("f", &body(json!({})), Duration::ZERO)
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
        p.update_configuration("f", &body(json!({"MemorySize": 64})))
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
