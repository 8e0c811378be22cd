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
    // The budget and the traffic decide again too.
    let month = json(&["analyze", file, "--monthly-invocations", "1000000"]);
    assert_eq!(
        month["projection"]["monthlyInvocations"], 1_000_000,
        "{month}"
    );
    let fast = json(&[
        "analyze",
        file,
        "--strategy",
        "cost",
        "--max-duration",
        "mean=1ms",
    ]);
    assert_eq!(fast["budget"]["verdict"], "none", "{fast}");
    assert_eq!(
        fast["power"], 1024,
        "the fastest when none meets it: {fast}"
    );
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
    // The table (the chart under it marks the same row again).
    let table = text.split("Recommended:").next().unwrap_or("");
    let marked: Vec<&str> = table.lines().filter(|l| l.starts_with('▶')).collect();
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

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("powertune-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A saved run of the sample with every cost scaled by `factor` and the recommendation's
/// duration by `slower`.
fn saved_variant(name: &str, factor: f64, slower: f64) -> PathBuf {
    let path = temp(name);
    let out = powertune(
        &[
            "analyze",
            sample().to_str().unwrap(),
            "--output",
            "json",
            "--json",
            path.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    saved["cost"] = (saved["cost"].as_f64().unwrap() * factor).into();
    saved["duration"] = (saved["duration"].as_f64().unwrap() * slower).into();
    for s in saved["stats"].as_array_mut().unwrap() {
        s["averagePrice"] = (s["averagePrice"].as_f64().unwrap() * factor).into();
    }
    std::fs::write(&path, saved.to_string()).unwrap();
    path
}

#[test]
fn a_saved_run_reads_back_and_gives_the_same_result() {
    let saved = temp("saved.json");
    let html = temp("saved.html");
    let first = json(&[
        "analyze",
        sample().to_str().unwrap(),
        "--json",
        saved.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    // The result document, with its stats and the input beside it.
    assert_eq!(document["power"], first["power"]);
    assert_eq!(document["stats"].as_array().map(Vec::len), Some(4));
    assert_eq!(document["input"]["strategy"], "balanced");
    let again = json(&["analyze", saved.to_str().unwrap()]);
    assert_eq!(again, first);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg class=\"chart\""));
}

#[test]
fn compare_shows_the_change_and_gates_on_it() {
    let before = saved_variant("before.json", 1.0, 1.0);
    let dearer = saved_variant("dearer.json", 1.15, 1.0);
    let html = temp("compare.html");
    let v = json(&[
        "compare",
        before.to_str().unwrap(),
        dearer.to_str().unwrap(),
        "--labels",
        "main,branch",
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(
        (v["costChange"].as_f64().unwrap() - 0.15).abs() < 1e-9,
        "{v}"
    );
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(4));
    assert!((v["rows"][0]["costChange"].as_f64().unwrap() - 0.15).abs() < 1e-9);
    let url = v["visualization"].as_str().unwrap();
    assert!(
        url.ends_with(";main;branch") && url.split(';').count() == 8,
        "{url}"
    );
    assert_eq!(v["gate"], Value::Null);
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains(">branch</text>"));

    // Over a 10% threshold: exit 3, the reason in one line.
    let gated = powertune(
        &[
            "compare",
            before.to_str().unwrap(),
            dearer.to_str().unwrap(),
            "--output",
            "json",
            "--max-cost-increase",
            "10%",
        ],
        None,
    );
    assert_eq!(gated.status.code(), Some(3), "{}", stderr(&gated));
    let reason = stderr(&gated);
    assert!(
        reason.starts_with(
            "regression: the recommended configuration is 15.0% more expensive than the baseline's"
        ),
        "{reason}"
    );
    assert_eq!(reason.trim_end().lines().count(), 1, "{reason}");
    let doc: Value = serde_json::from_slice(&gated.stdout).unwrap();
    assert_eq!(doc["gate"]["passed"], false);
    // Within it, or a threshold on another measure: exit 0.
    for flags in [
        ["--max-cost-increase", "20"],
        ["--max-duration-increase", "1%"],
    ] {
        let ok = powertune(
            &[
                "compare",
                before.to_str().unwrap(),
                dearer.to_str().unwrap(),
                "--output",
                "json",
                flags[0],
                flags[1],
            ],
            None,
        );
        assert!(ok.status.success(), "{flags:?}: {}", stderr(&ok));
    }
    let slower = saved_variant("slower.json", 1.0, 1.3);
    let gated = powertune(
        &[
            "compare",
            before.to_str().unwrap(),
            slower.to_str().unwrap(),
            "--output",
            "json",
            "--max-duration-increase",
            "25%",
        ],
        None,
    );
    assert_eq!(gated.status.code(), Some(3));
    assert!(
        stderr(&gated).contains("30.0% slower"),
        "{}",
        stderr(&gated)
    );
}

#[test]
fn compare_refuses_files_it_cannot_compare() {
    let before = saved_variant("refuse-before.json", 1.0, 1.0);
    let bare = temp("bare.json");
    // A result document without stats (a run without includeOutputResults).
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&before).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("stats");
    std::fs::write(&bare, doc.to_string()).unwrap();
    let out = powertune(
        &["compare", before.to_str().unwrap(), bare.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no per-power-value statistics"),
        "{}",
        stderr(&out)
    );
    let out = powertune(
        &["compare", before.to_str().unwrap(), "/nonexistent.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read /nonexistent.json"),
        "{}",
        stderr(&out)
    );
    let out = powertune(
        &[
            "compare",
            before.to_str().unwrap(),
            before.to_str().unwrap(),
            "--max-cost-increase",
            "much",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a percentage"),
        "{}",
        stderr(&out)
    );
}

/// Two power values whose average prices are one ulp apart (2.0272499999999998e-7 is the
/// reference's output for 512 MB, 2.02725e-7 for 4608 MB). serde_json without
/// `float_roundtrip` read the first as the second, so the exact rule found a tie and gave it to
/// the faster 4608 MB, where the reference, reading both exactly, picks 512 MB.
#[test]
fn numbers_are_read_exactly_so_one_ulp_decides_as_in_the_reference() {
    let event = r#"{"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f", "num": 10,
        "strategy": "cost", "includeOutputResults": true,
        "stats": [{"value": 512, "averagePrice": 2.0272499999999998e-7, "averageDuration": 1.425, "totalCost": 2.0272499999999998e-6},
                  {"value": 4608, "averagePrice": 2.02725e-7, "averageDuration": 1.2825, "totalCost": 2.02725e-6}]}"#;
    let out = powertune(
        &["analyze", "-", "--exact-ties", "--output", "json"],
        Some(event),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["power"], 512, "{text}");
    // And echoed exactly: the same digits come back out.
    assert!(text.contains("2.0272499999999998e-7"), "{text}");
}

/// A saved run of a heavy init: 512 MB is cheaper warm, 1024 MB cold (its init twice as fast).
fn heavy_init_run() -> PathBuf {
    let stat = |value: u32, warm: f64, cold: f64| {
        serde_json::json!({
            "value": value, "averagePrice": warm, "averageDuration": 10.0, "totalCost": warm * 10.0,
            "invocations": 10, "errors": 0, "coldStarts": 1,
            "warm": {"count": 9, "duration": 10.0, "cost": warm},
            "cold": {"count": 1, "initDuration": 300.0, "duration": 310.0, "cost": cold}
        })
    };
    let path = temp("heavy-init.json");
    let event = serde_json::json!({
        "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:heavy", "num": 10,
        "powerValues": [512, 1024], "statisticalTies": false,
        "stats": [stat(512, 1.0e-7, 21.0e-7), stat(1024, 1.5e-7, 11.5e-7)]
    });
    std::fs::write(&path, event.to_string()).unwrap();
    path
}

#[test]
fn a_saved_run_is_reanalyzed_at_another_cold_start_rate() {
    let run = heavy_init_run();
    let file = run.to_str().unwrap();
    // The lines cross at 5%: 1 + 20 r = 1.5 + 10 r.
    let plain = json(&["analyze", file]);
    assert_eq!(plain["power"], 512);
    assert!(plain.get("blend").is_none());
    let low = json(&["analyze", file, "--cold-start-rate", "0.01"]);
    assert_eq!(
        (low["power"].as_u64(), low["blend"]["rate"].as_f64()),
        (Some(512), Some(0.01))
    );
    let high = json(&["analyze", file, "--cold-start-rate", "0.3"]);
    assert_eq!(high["power"], 1024);
    let crossing = high["blend"]["crossing"]["rate"].as_f64().unwrap();
    assert!((crossing - 0.05).abs() < 1e-9, "{crossing}");

    let out = powertune(&["analyze", file, "--cold-start-rate", "5"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("from 0 to 1"), "{}", stderr(&out));
}

/// The deciding flags apply to a saved run (`--json`, its input nested under "input") as to
/// the reference's shape (the input's fields beside "stats").
#[test]
fn the_deciding_flags_apply_to_a_saved_run_too() {
    let saved = temp("saved-for-flags.json");
    let out = powertune(
        &[
            "analyze",
            sample().to_str().unwrap(),
            "--json",
            saved.to_str().unwrap(),
            "--output",
            "json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert!(doc["input"].is_object(), "a saved run nests its input");
    for strategy in ["speed", "cost"] {
        let again = json(&["analyze", saved.to_str().unwrap(), "--strategy", strategy]);
        assert_eq!(again["strategy"], strategy);
    }
}
