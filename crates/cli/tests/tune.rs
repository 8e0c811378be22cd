//! `powertune tune --local` on the example functions: the fidelity of the emulator's power limits
//! (the ratios are the behaviour under test, not timing thresholds of the tool), and the
//! command's own behaviour. A run that measures (the CPU ratios, I/O-bound durations that must
//! not depend on memory, ties between equal durations) runs alone; the others share the machine.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

/// Held shared by a run that only checks behaviour, exclusively by one that measures.
static MACHINE: RwLock<()> = RwLock::new(());

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    root()
        .join("examples/functions")
        .join(name)
        .display()
        .to_string()
}

/// A run that checks behaviour: it may share the machine with another such run.
fn tune(args: &[&str]) -> (Output, Option<Value>) {
    let _shared = MACHINE.read().unwrap_or_else(|e| e.into_inner());
    run_tune(args)
}

/// A run whose durations are measured: nothing else of this binary runs meanwhile.
fn tune_alone(args: &[&str]) -> (Output, Option<Value>) {
    let _alone = MACHINE.write().unwrap_or_else(|e| e.into_inner());
    run_tune(args)
}

fn run_tune(args: &[&str]) -> (Output, Option<Value>) {
    // One file per run: runs of this binary may overlap.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let json = std::env::temp_dir().join(format!(
        "powertune-tune-test-{}-{}.json",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&json);
    let out = Command::new(env!("CARGO_BIN_EXE_powertune"))
        .arg("tune")
        .args(args)
        .args(["--include-output-results", "--json"])
        .arg(&json)
        .current_dir(root())
        .output()
        .expect("powertune runs");
    let doc = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    (out, doc)
}

fn mean(doc: &Value, power: u64) -> f64 {
    doc["stats"]
        .as_array()
        .and_then(|s| s.iter().find(|e| e["value"] == power))
        .and_then(|e| e["averageDuration"].as_f64())
        .unwrap_or_else(|| panic!("no result for {power} MB in {doc}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The CPU ratios hold under cgroup limits; the SIGSTOP/SIGCONT fallback (no root) is coarser
/// (README, "Fidelity limits"). The tests that check them are `#[ignore]`d, and fail without
/// cgroups: `cargo test --workspace -- --ignored` as root runs them, as `.ci/run` does.
fn assert_cgroup_limits(out: &Output) {
    assert!(
        stderr(out).contains("Limits: cgroup"),
        "this test needs cgroup limits (run as root): {}",
        stderr(out)
    );
}

#[test]
#[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
fn single_threaded_cpu_bound_scales_with_memory_up_to_one_vcpu() {
    let first = assert_figures(
        "cpu-bound",
        || {
            let (out, doc) = tune_alone(&[
                "--local",
                &example("cpu-bound"),
                "--num",
                "10",
                "--power-values",
                "128,512,1024,1769,3008",
                "--payload",
                r#"{"cpuMs": 50}"#,
            ]);
            assert!(out.status.success(), "{}", stderr(&out));
            assert_cgroup_limits(&out);
            let report = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                report.contains("Recommended:") && report.contains("▶"),
                "{report}"
            );
            doc.expect("the result document")
        },
        &[
            CPU_RATIO,
            // No further speed-up for one thread past one vCPU.
            Figure {
                name: "1769 MB / 3008 MB",
                of: |doc| p50(doc, 1769) / p50(doc, 3008),
                expected: 1.0,
                within: 0.10,
            },
        ],
    );
    // The cheapest is where the function gets a full vCPU or just below: never 3008 MB.
    assert_ne!(first["power"], 3008);
}

#[test]
fn io_bound_durations_do_not_depend_on_memory() {
    let (out, doc) = tune_alone(&[
        "--local",
        &example("io-bound"),
        "--num",
        "10",
        "--power-values",
        "128,512,1024,1769,3008",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("the result document");
    let means: Vec<f64> = [128, 512, 1024, 1769, 3008]
        .iter()
        .map(|&p| mean(&doc, p))
        .collect();
    let (min, max) = (
        means.iter().cloned().fold(f64::INFINITY, f64::min),
        means.iter().cloned().fold(0.0, f64::max),
    );
    eprintln!("io-bound means: {means:?}");
    // "Ran in E s; the function's own time was F s": 50 invocations of 100 ms each.
    let line = stderr(&out)
        .lines()
        .find(|l| l.contains("the function's own time was"))
        .map(str::to_string)
        .expect("the timing line");
    let seconds: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    let (elapsed, own) = (seconds[seconds.len() - 2], seconds[seconds.len() - 1]);
    assert!(
        (5.0..=6.0).contains(&own),
        "own time {own} s for 50 x 100 ms: {line}"
    );
    // Power values run side by side (their shares fit the host's cores), so the run may take
    // less than the sum of its invocations; never less than one power value's ten of them.
    assert!(elapsed >= own / 5.0, "{line}");
    assert!(
        max / min <= 1.10,
        "I/O-bound means differ by more than 10%: {means:?}"
    );
    assert_eq!(
        doc["power"], 128,
        "equal durations make the smallest memory the cheapest"
    );
}

#[test]
fn memory_hungry_runs_out_of_memory_at_128_mb_and_succeeds_at_1024() {
    let (out, _) = tune(&[
        "--local",
        &example("memory-hungry"),
        "--num",
        "5",
        "--power-values",
        "128",
        "--payload",
        r#"{"megabytes": 300}"#,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("Runtime.OutOfMemory") && message.contains("128 MB"),
        "{message}"
    );

    let (out, doc) = tune(&[
        "--local",
        &example("memory-hungry"),
        "--num",
        "5",
        "--power-values",
        "1024",
        "--payload",
        r#"{"megabytes": 300}"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let used = doc.unwrap()["stats"][0]["maxMemoryUsedMB"]
        .as_u64()
        .unwrap();
    assert!(used >= 300, "Max Memory Used {used} MB for a 300 MB buffer");
}

#[test]
#[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
fn multi_threaded_cpu_bound_keeps_speeding_up_past_one_vcpu() {
    let (out, doc) = tune_alone(&[
        "--local",
        &example("cpu-bound-threads"),
        "--num",
        "10",
        "--power-values",
        "1769,3008",
        "--payload",
        r#"{"iterations": 40000000}"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_cgroup_limits(&out);
    let doc = doc.expect("the result document");
    let speedup = mean(&doc, 1769) / mean(&doc, 3008);
    eprintln!(
        "cpu-bound-threads: 1769/3008 = {speedup:.2} (Lambda: {:.2} with 2 cores)",
        3008.0 / 1769.0
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if cores >= 2 {
        assert!(
            speedup > 1.3,
            "3008 MB should be faster than 1769 MB with 2 threads: {speedup:.2}"
        );
    }
}

#[test]
fn bad_input_is_rejected_before_anything_is_built() {
    let (out, _) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "3",
        "--strategy",
        "balanced",
        "--balanced-weight",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("\"num\" is 3") && message.contains("\"balancedWeight\" is 2"),
        "{message}"
    );
    assert!(
        !message.contains("Building"),
        "nothing is built for a bad input: {message}"
    );

    let (out, _) = tune(&["--local", "/nonexistent/function"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not exist"));

    // A local function has no CloudWatch logs to read a cold-start rate from.
    let (out, _) = tune(&["--local", &example("noop"), "--cold-start-rate", "auto"]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("--cold-start-rate auto"), "{message}");
    assert!(!message.contains("Building"), "{message}");
    let (out, _) = tune(&["--local", &example("noop"), "--cold-start-rate", "often"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("\"coldStartRate\" is \"often\""),
        "{}",
        stderr(&out)
    );

    // What only AWS has is refused before anything is built, naming the field.
    for (flag, value, field) in [
        ("--payload-s3", "s3://bucket/key", "payloadS3"),
        ("--pre-processor-arn", "pre", "preProcessorARN"),
    ] {
        let (out, _) = tune(&["--local", &example("noop"), flag, value]);
        assert_eq!(out.status.code(), Some(2));
        let message = stderr(&out);
        assert!(message.contains(&format!("{field} needs AWS")), "{message}");
        assert!(!message.contains("Building"), "{message}");
    }
}

#[test]
fn dry_runs_invoke_each_power_value_once() {
    let (out, doc) = tune(&[
        "--local",
        &example("noop"),
        "--dry-run",
        "--power-values",
        "128,256",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Dry run"));
    assert!(doc.is_none(), "a dry run has no result document");
}

/// Local runs retry the control plane as the deployed steps do (20 attempts, one client
/// constructor for both): with half the control-plane calls throttled, a local run with the SDK's
/// default 3 attempts failed on GetFunctionConfiguration or GetAlias every time.
#[test]
fn a_half_throttled_control_plane_is_retried_as_the_steps_retry_it() {
    let (out, doc) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--power-values",
        "128,1024",
        "--emulator-faults",
        r#"{"controlPlaneThrottleShare": 0.5}"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("a result document");
    assert_eq!(doc["stats"].as_array().map(Vec::len), Some(2), "{doc}");
}

#[test]
fn html_reports_are_self_contained() {
    let html = std::env::temp_dir().join(format!("powertune-report-{}.html", std::process::id()));
    let (out, _) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--power-values",
        "128,1024",
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<svg")
            && page.contains("<div class=\"card best\"><div class=\"label\">Recommended</div>"),
        "{page}"
    );
    // Nothing is fetched: no script, stylesheet or image from elsewhere.
    for needle in [
        "<script",
        "src=\"http",
        "href=\"http://",
        "<link",
        "@import",
    ] {
        assert!(!page.contains(needle), "{needle} in the report");
    }
}

#[test]
fn the_emulator_runs_standalone_and_reports_its_limits() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_powertune"))
        .args(["emulator", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("powertune emulator starts");
    let mut endpoint = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut endpoint)
        .unwrap();
    let address = endpoint.trim().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("the emulator listens");
    write!(
        stream,
        "GET /_powertune/status HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("\"limits\"") && response.contains("\"hostCores\""),
        "{response}"
    );
}

fn p50(doc: &Value, power: u64) -> f64 {
    doc["stats"]
        .as_array()
        .and_then(|s| s.iter().find(|e| e["value"] == power))
        .and_then(|e| e["durationStats"]["p50"].as_f64())
        .unwrap_or_else(|| panic!("no p50 for {power} MB in {doc}"))
}

/// A figure of a run's result, expected within a relative band.
struct Figure {
    name: &'static str,
    of: fn(&Value) -> f64,
    expected: f64,
    /// The band either side of `expected`, relative (0.15: 15%).
    within: f64,
}

/// Lambda's CPU share at 128 MB against 1769 MB, for a single-threaded function: the ratio of
/// the median durations within 15% of 1769/128.
///
/// The handlers work until they have used `cpuMs` of CPU time, so a duration is that time over
/// the share the emulator gives, whatever an iteration costs at the moment. A fixed number of
/// iterations measured the host as well: the same million Python iterations took 59 to 114 ms of
/// CPU at 128 MB within one run on the 2-core machine, and 76 to 119 ms instead of 64 with
/// another process busy on the second vCPU, so the ratio read anywhere from 12.4 to 24.3 (CI
/// failed on it). With the CPU-time budget it read 13.72 to 13.75 on the quiet machine and 13.60
/// to 13.72 with both cores kept busy by other processes (the Rust example's 20 million
/// iterations, 12.35 there). A share too large reads under, one half as large as Lambda's
/// reads about 27.6.
const CPU_RATIO: Figure = Figure {
    name: "128 MB / 1769 MB",
    of: |doc| p50(doc, 128) / p50(doc, 1769),
    expected: 1769.0 / 128.0,
    within: 0.15,
};

/// Runs `measure` and checks each figure of its result. Other work on the host can still take
/// CPU from a run (CI once read python-cpu's 1769 MB median at 93 ms instead of 60), so when a
/// figure is outside its band the run is measured twice more and the median of its three
/// values decides. Returns the first run's result.
fn assert_figures(label: &str, measure: impl Fn() -> Value, figures: &[Figure]) -> Value {
    let inside = |f: &Figure, v: f64| (v / f.expected - 1.0).abs() <= f.within;
    let mut docs = vec![measure()];
    if figures.iter().any(|f| !inside(f, (f.of)(&docs[0]))) {
        docs.push(measure());
        docs.push(measure());
    }
    for f in figures {
        let mut values: Vec<f64> = docs.iter().map(|d| (f.of)(d)).collect();
        eprintln!(
            "{label}: {} = {values:.2?} (expected {:.2})",
            f.name, f.expected
        );
        values.sort_by(f64::total_cmp);
        let median = values[values.len() / 2];
        assert!(
            inside(f, median),
            "{label}: {} = {median:.2} (median of {values:.2?}), expected {:.2} +- {:.0}%",
            f.name,
            f.expected,
            f.within * 100.0
        );
    }
    docs.swap_remove(0)
}

#[test]
#[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
fn python_cpu_bound_scales_with_memory_as_on_lambda() {
    let measure = || {
        let (out, doc) = tune_alone(&[
            "--local",
            &example("python-cpu"),
            "--handler",
            "app.handler",
            "--num",
            "10",
            "--power-values",
            "128,1769",
            "--payload",
            r#"{"cpuMs": 60}"#,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("Detected python3.") && stderr(&out).contains("app.py"),
            "{}",
            stderr(&out)
        );
        assert_cgroup_limits(&out);
        doc.expect("the result document")
    };
    assert_figures("python-cpu", measure, &[CPU_RATIO]);
}

#[test]
#[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
fn node_cpu_bound_scales_with_memory_as_on_lambda() {
    let dir = std::env::temp_dir().join(format!("powertune-node-cpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The arithmetic until the process has used `cpuMs` of CPU time (process.cpuUsage(), µs).
    std::fs::write(
        dir.join("index.mjs"),
        "export const handler = async (event) => {\n  const started = process.cpuUsage();\n  const budget = event.cpuMs * 1000;\n  let total = 0;\n  for (;;) {\n    for (let i = 0; i < 1000; i++) total = (total + i * i) % 1000003;\n    const used = process.cpuUsage(started);\n    if (used.user + used.system >= budget) return total;\n  }\n};\n",
    )
    .unwrap();
    let measure = || {
        let (out, doc) = tune_alone(&[
            "--local",
            &dir.display().to_string(),
            "--num",
            "10",
            "--power-values",
            "128,1769",
            "--payload",
            r#"{"cpuMs": 60}"#,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("Detected nodejs") && stderr(&out).contains("index.handler"),
            "{}",
            stderr(&out)
        );
        assert_cgroup_limits(&out);
        doc.expect("the result document")
    };
    assert_figures("node cpu", measure, &[CPU_RATIO]);
}

#[test]
fn node_io_bound_durations_do_not_depend_on_memory() {
    let (out, doc) = tune_alone(&[
        "--local",
        &example("node-io"),
        "--num",
        "10",
        "--power-values",
        "128,512,1769,3008",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("the result document");
    let means: Vec<f64> = [128, 512, 1769, 3008]
        .iter()
        .map(|&p| mean(&doc, p))
        .collect();
    let (min, max) = (
        means.iter().cloned().fold(f64::INFINITY, f64::min),
        means.iter().cloned().fold(0.0, f64::max),
    );
    eprintln!("node-io means: {means:?}");
    assert!(
        max / min <= 1.10,
        "node-io means {means:?} vary by more than 10%"
    );
    assert_eq!(
        doc["power"], 128,
        "the same duration is cheapest at the least memory"
    );
}

#[test]
fn a_sam_templates_function_runs_with_its_properties_and_one_version_warning() {
    let (out, doc) = tune(&[
        "--local",
        "--template",
        "examples/sam-app/template.yaml",
        "--function",
        "PythonCpu",
        "--num",
        "5",
        "--power-values",
        "512,1024",
        "--payload",
        r#"{"iterations": 100000}"#,
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("template.yaml#PythonCpu (python3.12, app.handler)"),
        "{err}"
    );
    // The template's Architectures price the run.
    assert!(err.contains("priced as x86_64"), "{err}");
    // The host's Python is not 3.12 on every machine; when it is not, that is said once.
    let warnings = err.matches("the function declares python3.12").count();
    assert!(warnings <= 1, "{err}");
    assert!(doc.is_some());

    let (out, _) = tune(&["--local", "--template", "examples/sam-app/template.yaml"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--function") && stderr(&out).contains("PythonCpu, NodeIo, RustCpu"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_zip_of_node_code_runs_as_lambda_would_run_it() {
    use std::io::Write;
    let zip_path =
        std::env::temp_dir().join(format!("powertune-node-io-{}.zip", std::process::id()));
    let file = std::fs::File::create(&zip_path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file("index.mjs", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(
        std::fs::read(root().join("examples/functions/node-io/index.mjs"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    zip.finish().unwrap();
    let (out, _) = tune(&[
        "--local",
        &zip_path.display().to_string(),
        "--dry-run",
        "--power-values",
        "128,256",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("Unpacked") && err.contains("Detected nodejs"),
        "{err}"
    );
}

#[test]
fn python_handler_errors_fail_the_run_with_the_runtimes_error() {
    let dir = std::env::temp_dir().join(format!("powertune-py-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("app.py"),
        "import no_such_module\n\ndef handler(e, c):\n    return 1\n",
    )
    .unwrap();
    let (out, _) = tune(&[
        "--local",
        &dir.display().to_string(),
        "--handler",
        "app.handler",
        "--num",
        "5",
        "--power-values",
        "128",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Runtime.ImportModuleError")
            && stderr(&out).contains("no_such_module"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_decision_says_which_power_values_are_tied_unless_ties_are_exact() {
    let args = [
        "--local",
        &example("io-bound"),
        "--num",
        "6",
        "--power-values",
        "128,256",
        "--strategy",
        "speed",
    ];
    let (out, doc) = tune_alone(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("the result document");
    // The same 100 ms wait at both sizes: equally fast, and the cheaper one wins.
    assert_eq!(doc["equivalent"], serde_json::json!([128, 256]), "{doc}");
    assert_eq!(doc["power"], 128);
    let decision = doc["decision"].as_str().unwrap();
    assert!(decision.contains("are equally fast"), "{decision}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("Why: {decision}")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The stats keep their samples, so that the saved run can be analyzed (ties tested) again.
    assert_eq!(
        doc["stats"][0]["samples"]["durations"]
            .as_array()
            .map(Vec::len),
        Some(6),
        "{doc}"
    );

    let mut exact = args.to_vec();
    exact.push("--exact-ties");
    let (out, doc) = tune_alone(&exact);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("the result document");
    assert!(
        doc.get("equivalent").is_none() && doc.get("decision").is_none(),
        "{doc}"
    );
}

#[test]
fn a_baseline_gates_the_run_and_a_bad_one_is_refused_before_it_starts() {
    let (out, doc) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--power-values",
        "128,256",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut baseline = doc.expect("the saved run");
    assert!(baseline["input"]["num"] == 5 && baseline["stats"][0]["samples"].is_object());
    // A baseline at a thousandth of the cost and a thousand times the duration, so the gated
    // run is far dearer and far faster whatever it measures: a noop's cost and duration vary
    // between runs by more than any small factor (one invocation throttled for part of a CFS
    // period at 128 MB bills 20 ms instead of 1; CI once read a run 70% cheaper than the last).
    baseline["cost"] = (baseline["cost"].as_f64().unwrap() / 1000.0).into();
    baseline["duration"] = (baseline["duration"].as_f64().unwrap() * 1000.0).into();
    let path = std::env::temp_dir().join(format!("powertune-baseline-{}.json", std::process::id()));
    std::fs::write(&path, baseline.to_string()).unwrap();
    let path = path.display().to_string();

    let (gated, _) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--power-values",
        "128,256",
        "--baseline",
        &path,
        "--max-cost-increase",
        "10%",
    ]);
    assert_eq!(gated.status.code(), Some(3), "{}", stderr(&gated));
    let last = stderr(&gated)
        .trim_end()
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(
        last.starts_with("regression: the recommended configuration is ")
            && last.contains("more expensive than the baseline's"),
        "{last}"
    );
    assert!(
        stderr(&gated).contains("Against the baseline"),
        "{}",
        stderr(&gated)
    );
    // Faster than the baseline passes even a 0% threshold on duration.
    let (passed, _) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--power-values",
        "128,256",
        "--baseline",
        &path,
        "--max-duration-increase",
        "0%",
    ]);
    assert!(passed.status.success(), "{}", stderr(&passed));

    // A baseline that cannot be read stops the run before anything is built or started.
    let (refused, _) = tune(&[
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--baseline",
        "/nonexistent/base.json",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("cannot read /nonexistent/base.json"),
        "{}",
        stderr(&refused)
    );
    assert!(!stderr(&refused).contains("Tuning"), "{}", stderr(&refused));
}

/// The power values' averages of a result document: (MB, cost, duration).
fn averages(doc: &Value) -> Vec<(u64, f64, f64)> {
    doc["stats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("error").is_none())
        .map(|s| {
            (
                s["value"].as_u64().unwrap(),
                s["averagePrice"].as_f64().unwrap(),
                s["averageDuration"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_bimodal_handler_that_imports_on_first_use_gets_a_pick_nothing_beats_on_both_measures() {
    // Issue 26's template handler: a Python handler importing on its first call, whose short
    // bursts of CPU a small memory's quota throttles now and then. powertune recommended a
    // power value that another beat on cost and speed both, and showed intervals from 0.00 ms.
    let (out, doc) = tune(&[
        "--local",
        &example("python-first-import"),
        "--handler",
        "app.handler",
        "--num",
        "10",
        "--power-values",
        "128,256,512,1024,1769",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("the result document");
    let all = averages(&doc);
    let pick = doc["power"].as_u64().unwrap();
    let (_, cost, duration) = *all.iter().find(|a| a.0 == pick).unwrap();
    for &(power, c, d) in &all {
        assert!(
            !(c <= cost && d <= duration && (c < cost || d < duration)),
            "{pick} MB ({duration} ms, {cost}) recommended, {power} MB ({d} ms, {c}) beats it: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    for s in doc["stats"].as_array().unwrap() {
        // The first call, with its imports, is the cold start, kept apart from the averages.
        assert_eq!(s["samples"]["cold"], serde_json::json!([0]), "{s}");
        assert!(s["cold"]["duration"].as_f64().unwrap() > s["averageDuration"].as_f64().unwrap());
        let d = &s["durationStats"];
        let (low, high) = (
            d["ci95"]["low"].as_f64().unwrap(),
            d["ci95"]["high"].as_f64().unwrap(),
        );
        assert!(
            d["min"].as_f64().unwrap() <= low && low > 0.0 && high <= d["max"].as_f64().unwrap(),
            "{d}"
        );
    }
    // Every decision gives its evidence.
    let decision = doc["decision"].as_str().unwrap();
    assert!(decision.contains("95% bootstrap interval"), "{decision}");
}

#[test]
fn a_node_init_over_ten_seconds_at_128_mb_is_a_slow_first_invocation_not_a_failure() {
    // Issue 26: the emulator failed the power value ("Init phase did not complete within 10
    // seconds"), where Lambda redoes the Init inside the first invocation.
    let (out, doc) = tune(&[
        "--local",
        &example("node-slow-init"),
        "--num",
        "5",
        "--power-values",
        "128,1024",
        "--timeout",
        "30",
        "--env",
        "SLOW_INIT_MS=10500",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = doc.expect("the result document");
    let stats = doc["stats"].as_array().unwrap();
    let small = stats.iter().find(|s| s["value"] == 128).unwrap();
    assert!(small.get("error").is_none(), "{small}");
    // The first invocation started the environment, though its REPORT has no Init Duration:
    // it is the cold start, and it lasted the redone Init.
    assert_eq!(small["coldStarts"], 1, "{small}");
    assert!(
        small["cold"]["duration"].as_f64().unwrap() >= 10_500.0,
        "{small}"
    );
    assert!(
        small["averageDuration"].as_f64().unwrap() < 5_000.0,
        "{small}"
    );
}

/// Issue 30: a region powertune has no Lambda prices for is priced as us-east-1 and says so in
/// the report and the JSON, or, with --strict-prices, refused before anything is built.
#[test]
fn a_region_without_prices_is_said_or_refused_with_strict_prices() {
    let base = [
        "--local",
        &example("noop"),
        "--num",
        "5",
        "--power-values",
        "128,256",
        "--architecture",
        "x86_64",
        "--region",
        "xx-nowhere-1",
    ];
    let (out, doc) = tune(&base);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = "No Lambda price is known for region \"xx-nowhere-1\"";
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(said),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let warnings = doc.expect("a result document")["warnings"].to_string();
    assert!(warnings.contains("xx-nowhere-1"), "{warnings}");

    let strict: Vec<&str> = base.iter().copied().chain(["--strict-prices"]).collect();
    let (out, _) = tune(&strict);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains(said) && message.contains("--strict-prices"),
        "{message}"
    );
    assert!(!message.contains("Tuning"), "{message}");
}

/// Issue 27: a runtime that runs out of its own heap names it its own way (Python's
/// `MemoryError`; Node.js's V8 aborts with "JavaScript heap out of memory", which Lambda reports
/// as `Runtime.ExitError`): with the default powerValueFailures that fails only the power value,
/// through Lambda's own runtime interface clients, and the run recommends another.
#[test]
fn a_runtimes_own_out_of_memory_fails_only_its_power_value() {
    let cases: [(&str, &[&str], &str); 2] = [
        (
            "python-memory-error",
            &["--handler", "app.handler"],
            "MemoryError",
        ),
        (
            "node-heap-limit",
            &["--env", "NODE_OPTIONS=--max-old-space-size=24"],
            "Runtime.ExitError",
        ),
    ];
    for (function, extra, error_type) in cases {
        let dir = example(function);
        let mut args = vec![
            "--local",
            dir.as_str(),
            "--num",
            "5",
            "--power-values",
            "128,256",
        ];
        args.extend_from_slice(extra);
        let (out, doc) = tune(&args);
        assert!(out.status.success(), "{function}: {}", stderr(&out));
        let doc = doc.expect("a result document");
        assert_eq!(doc["power"], 256, "{function}");
        let failed = doc["stats"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["value"] == 128))
            .map(|s| s["failures"]["errorType"].clone());
        assert_eq!(failed, Some(serde_json::json!(error_type)), "{function}");
    }
}
