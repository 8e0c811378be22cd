//! `powertune analyze` as a user runs it: the real binary on real files.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/analyze/sample-run.json")
}

fn powertune(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_powertune"))
        .args(args)
        .env_remove("visualizationURL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the powertune binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin accepts the event");
    drop(pipe);
    child.wait_with_output().expect("powertune finishes")
}

fn json(args: &[&str]) -> Value {
    let out = powertune(args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON when it is not a terminal")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_sample_run_reproduces_the_strategy_example() {
    let file = sample();
    let file = file.to_str().unwrap();
    assert_eq!(json(&["analyze", file])["power"], 512); // the file says balanced, 0.5
    assert_eq!(json(&["analyze", file, "--strategy", "cost"])["power"], 256);
    assert_eq!(
        json(&["analyze", file, "--strategy", "speed"])["power"],
        1024
    );
    let balanced_09 = json(&["analyze", file, "--balanced-weight", "0.9"]);
    assert_eq!(balanced_09["power"], 256);
    assert_eq!(balanced_09["balancedWeight"], 0.9);
}

#[test]
fn the_output_document_has_the_reference_shape() {
    let v = json(&["analyze", sample().to_str().unwrap(), "--output", "json"]);
    assert_eq!(v["cost"], 2.52e-7);
    assert_eq!(v["duration"], 30.0);
    // 4 power values in one sampling round, one Publisher round: 5 + 2 + (3 + 4) = 14
    // transitions at $0.000025 in us-east-1.
    assert_eq!(v["stateMachine"]["executionCost"], 0.00035);
    assert_eq!(v["stateMachine"]["lambdaCost"], 0.00001092);
    let url = v["stateMachine"]["visualization"].as_str().unwrap();
    assert!(
        url.starts_with("https://lambda-power-tuning.show/#"),
        "{url}"
    );
    assert_eq!(v["stats"].as_array().map(Vec::len), Some(4)); // includeOutputResults
    assert_eq!(v["currency"], "USD");
}

#[test]
fn region_and_visualization_flags_apply() {
    let v = json(&[
        "analyze",
        sample().to_str().unwrap(),
        "--region",
        "cn-north-1",
        "--visualization-url",
        "https://example.test/ui/",
    ]);
    assert_eq!(v["currency"], "CNY");
    let url = v["stateMachine"]["visualization"].as_str().unwrap();
    assert!(
        url.starts_with("https://example.test/ui/?currency=CNY#"),
        "{url}"
    );
}

#[test]
fn the_table_marks_the_winner() {
    let out = powertune(
        &["analyze", sample().to_str().unwrap(), "-o", "table"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let marked: Vec<&str> = text.lines().filter(|l| l.starts_with('▶')).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(marked[0].contains("512 MB"), "{text}");
    assert!(
        text.contains("Recommended: 512 MB (balanced strategy, weight 0.5)"),
        "{text}"
    );
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let event = std::fs::read_to_string(sample()).unwrap();
    let out = powertune(&["analyze", "-", "--strategy", "speed"], Some(&event));
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["power"], 1024);
}

#[test]
fn bad_files_exit_with_code_2_and_say_why() {
    let missing = powertune(&["analyze", "/nonexistent/run.json"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read /nonexistent/run.json"),
        "{}",
        stderr(&missing)
    );

    let not_json = powertune(&["analyze", "-"], Some("{ this is not json"));
    assert_eq!(not_json.status.code(), Some(2));
    assert!(stderr(&not_json).contains("not valid JSON"));

    let bad_input = powertune(
        &["analyze", "-"],
        Some(
            r#"{"lambdaARN": "f", "num": 3, "stratgy": "speed", "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 5, "totalCost": 1e-6}]}"#,
        ),
    );
    assert_eq!(bad_input.status.code(), Some(2));
    let message = stderr(&bad_input);
    assert!(
        message.contains("\"num\" is 3") && message.contains("did you mean \"strategy\""),
        "{message}"
    );

    let all_failed = powertune(
        &["analyze", "-"],
        Some(
            r#"{"lambdaARN": "f", "num": 5, "stats": [{"value": 128, "averagePrice": 0, "averageDuration": 0, "totalCost": 0, "error": "Runtime.OutOfMemory"}]}"#,
        ),
    );
    assert_eq!(all_failed.status.code(), Some(2));
    assert!(stderr(&all_failed).contains("128 MB: Runtime.OutOfMemory"));
}

#[test]
fn bad_flags_exit_with_code_2() {
    let out = powertune(
        &[
            "analyze",
            sample().to_str().unwrap(),
            "--balanced-weight",
            "2",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("from 0 (fastest) to 1 (cheapest)"),
        "{}",
        stderr(&out)
    );
    let out = powertune(
        &[
            "analyze",
            sample().to_str().unwrap(),
            "--strategy",
            "cheapest",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}
