//! Python and Node.js functions in the emulator, on Lambda's own runtime interface clients:
//! results, Lambda's environment, errors as each runtime reports them, Init Duration and the
//! memory limit. The first run prepares the runtimes into the user's cache (README, "Python and
//! Node.js functions").

mod common;

use common::{client, code_dir as code, create_managed, emulator, invoke};
use std::time::Duration;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The host's Python minor version, to declare the runtime it has (no version warning).
fn host_python() -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print('python3.%d' % sys.version_info[1])",
        ])
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn host_node() -> String {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .expect("node runs");
    let version = String::from_utf8_lossy(&out.stdout);
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or("20");
    format!("nodejs{major}.x")
}

const PY_ECHO: &str = r#"
import os, sys

def handler(event, context):
    return {
        "event": event,
        "env": {k: os.environ.get(k) for k in ["_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "PYTHONPATH", "GREETING"]},
        "path0": sys.path[0],
        "memory": context.memory_limit_in_mb,
        "request": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
    }

def fail(event, context):
    raise ValueError("bad order " + str(event.get("order")))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_handlers_run_in_lambdas_environment() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let runtime = host_python();
    let dir = code("py-echo", &[("app.py", PY_ECHO)]);
    create_managed(&lambda, "py", &runtime, "app.handler", &dir, 512).await;
    lambda
        .update_function_configuration()
        .function_name("py")
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("GREETING", "hi")
                .build(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;

    let cold = invoke(&lambda, "py", None, r#"{"order": 7}"#).await;
    assert_eq!(cold.function_error, None, "{}", cold.payload);
    let out = json(&cold.payload);
    assert_eq!(out["event"]["order"], 7);
    let env = &out["env"];
    assert_eq!(env["_HANDLER"], "app.handler");
    assert_eq!(env["LAMBDA_TASK_ROOT"], dir.display().to_string());
    assert_eq!(env["AWS_EXECUTION_ENV"], format!("AWS_Lambda_{runtime}"));
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["GREETING"], "hi");
    // Lambda: PYTHONPATH is the runtime directory, and the code directory is first on sys.path.
    assert_eq!(env["PYTHONPATH"], env["LAMBDA_RUNTIME_DIR"]);
    assert_eq!(out["path0"], dir.display().to_string());
    assert_eq!(out["memory"], "512");
    assert!(out["remaining"].as_i64().unwrap() > 20_000, "{out}");
    assert!(cold.report.init_duration_ms.is_some(), "{:?}", cold.report);

    let warm = invoke(&lambda, "py", None, "{}").await;
    assert_eq!(
        warm.report.init_duration_ms, None,
        "warm: {:?}",
        warm.report
    );
    assert_ne!(json(&warm.payload)["request"], out["request"]);
    // Nothing written into the user's directory (no __pycache__).
    assert!(!dir.join("__pycache__").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_errors_are_reported_as_lambdas_python_runtime_reports_them() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let runtime = host_python();
    let dir = code("py-errors", &[("app.py", PY_ECHO)]);
    create_managed(&lambda, "raises", &runtime, "app.fail", &dir, 256).await;
    let out = invoke(&lambda, "raises", None, r#"{"order": 3}"#).await;
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let body = json(&out.payload);
    assert_eq!(body["errorType"], "ValueError", "{body}");
    assert_eq!(body["errorMessage"], "bad order 3");
    assert!(body["stackTrace"].is_array(), "{body}");
    // The environment survives a handled error: the next invoke is warm.
    let again = invoke(&lambda, "raises", None, r#"{"order": 4}"#).await;
    assert_eq!(again.report.init_duration_ms, None);

    create_managed(&lambda, "no-module", &runtime, "missing.handler", &dir, 256).await;
    let out = invoke(&lambda, "no-module", None, "{}").await;
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let body = json(&out.payload);
    assert_eq!(body["errorType"], "Runtime.ImportModuleError", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Unable to import module 'missing'"),
        "{body}"
    );

    create_managed(&lambda, "no-handler", &runtime, "app.nothing", &dir, 256).await;
    let body = json(&invoke(&lambda, "no-handler", None, "{}").await.payload);
    assert_eq!(body["errorType"], "Runtime.HandlerNotFound", "{body}");
}

const NODE_ECHO: &str = r#"
export const handler = async (event, context) => ({
  event,
  env: Object.fromEntries(["_HANDLER", "LAMBDA_TASK_ROOT", "AWS_EXECUTION_ENV", "NODE_PATH", "LAMBDA_RUNTIME_DIR"].map((k) => [k, process.env[k]])),
  memory: context.memoryLimitInMB,
  request: context.awsRequestId,
});

export const fail = async (event) => {
  throw new TypeError(`bad order ${event.order}`);
};

export const callback = (event, context, done) => {
  setTimeout(() => done(null, { called: true }), 10);
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_handlers_run_in_lambdas_environment_and_report_errors_as_lambda_does() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let runtime = host_node();
    let dir = code("node-echo", &[("index.mjs", NODE_ECHO)]);
    create_managed(&lambda, "node", &runtime, "index.handler", &dir, 1024).await;
    let cold = invoke(&lambda, "node", None, r#"{"order": 7}"#).await;
    assert_eq!(cold.function_error, None, "{}", cold.payload);
    let out = json(&cold.payload);
    assert_eq!(out["event"]["order"], 7);
    assert_eq!(out["env"]["_HANDLER"], "index.handler");
    assert_eq!(out["env"]["LAMBDA_TASK_ROOT"], dir.display().to_string());
    assert_eq!(
        out["env"]["AWS_EXECUTION_ENV"],
        format!("AWS_Lambda_{runtime}")
    );
    assert_eq!(
        out["env"]["NODE_PATH"],
        format!(
            "{}/node_modules",
            out["env"]["LAMBDA_RUNTIME_DIR"].as_str().unwrap()
        )
    );
    assert_eq!(out["memory"], "1024");
    assert!(cold.report.init_duration_ms.is_some());
    let warm = invoke(&lambda, "node", None, "{}").await;
    assert_eq!(warm.report.init_duration_ms, None);
    // A large event and its echo cross the entry's socket in many reads, unchanged, and
    // requests stay paired with their answers (each request's id comes back with it).
    let pad = "é".repeat(1_500_000);
    for order in 0..3 {
        let big = invoke(
            &lambda,
            "node",
            None,
            &serde_json::json!({ "order": order, "pad": pad }).to_string(),
        )
        .await;
        assert_eq!(big.function_error, None);
        let out = json(&big.payload);
        assert_eq!(out["event"]["order"], order);
        assert!(
            out["event"]["pad"] == pad.as_str(),
            "the event came back changed"
        );
    }

    create_managed(&lambda, "node-fail", &runtime, "index.fail", &dir, 256).await;
    let out = invoke(&lambda, "node-fail", None, r#"{"order": 3}"#).await;
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let body = json(&out.payload);
    assert_eq!(body["errorType"], "TypeError", "{body}");
    assert_eq!(body["errorMessage"], "bad order 3");

    create_managed(
        &lambda,
        "node-callback",
        &runtime,
        "index.callback",
        &dir,
        256,
    )
    .await;
    let out = invoke(&lambda, "node-callback", None, "{}").await;
    assert_eq!(json(&out.payload)["called"], true, "{}", out.payload);

    create_managed(
        &lambda,
        "node-no-module",
        &runtime,
        "missing.handler",
        &dir,
        256,
    )
    .await;
    let body = json(&invoke(&lambda, "node-no-module", None, "{}").await.payload);
    assert_eq!(body["errorType"], "Runtime.ImportModuleError", "{body}");

    create_managed(
        &lambda,
        "node-no-handler",
        &runtime,
        "index.nothing",
        &dir,
        256,
    )
    .await;
    let body = json(&invoke(&lambda, "node-no-handler", None, "{}").await.payload);
    assert_eq!(body["errorType"], "Runtime.HandlerNotFound", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_duration_includes_the_modules_the_handler_imports() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let runtime = host_python();
    let empty = code(
        "py-empty",
        &[("app.py", "def handler(e, c):\n    return 1\n")],
    );
    let heavy = code(
        "py-heavy",
        &[(
            "app.py",
            "import json, decimal, email.parser, email.mime.multipart, http.client, xml.dom.minidom, asyncio, unittest, argparse, logging.handlers, sqlite3, csv, zipfile, tarfile\n\ndef handler(e, c):\n    return 1\n",
        )],
    );
    create_managed(&lambda, "empty", &runtime, "app.handler", &empty, 512).await;
    create_managed(&lambda, "heavy", &runtime, "app.handler", &heavy, 512).await;
    // Medians of 5 cold starts each (a new environment per version: publish, invoke).
    let mut inits = Vec::new();
    for name in ["empty", "heavy"] {
        let mut samples = Vec::new();
        for i in 0..5 {
            lambda
                .update_function_configuration()
                .function_name(name)
                .description(format!("cold {i}"))
                .send()
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(60)).await;
            let out = invoke(&lambda, name, None, "{}").await;
            assert_eq!(out.function_error, None, "{}", out.payload);
            samples.push(out.report.init_duration_ms.expect("a cold start"));
        }
        samples.sort_by(f64::total_cmp);
        inits.push(samples[2]);
    }
    eprintln!(
        "Init Duration medians at 512 MB: empty {:.1} ms, heavy imports {:.1} ms",
        inits[0], inits[1]
    );
    assert!(inits[1] > inits[0], "{inits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
async fn a_python_handler_over_its_memory_is_out_of_memory() {
    let emu = emulator().await;
    // Under RLIMIT_AS (the signals fallback) Python raises MemoryError instead of dying.
    assert_ne!(
        emu.limits_mode(),
        powertune_emulator::Mode::Signals,
        "this test needs cgroup limits (run as root)"
    );
    let lambda = client(&emu);
    let runtime = host_python();
    let dir = code(
        "py-hungry",
        &[(
            "app.py",
            "def handler(event, context):\n    block = b'x' * (event['mb'] * 1024 * 1024)\n    return len(block)\n",
        )],
    );
    create_managed(&lambda, "hungry", &runtime, "app.handler", &dir, 128).await;
    let out = invoke(&lambda, "hungry", None, r#"{"mb": 300}"#).await;
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert!(
        out.payload.contains("Runtime.OutOfMemory"),
        "{}",
        out.payload
    );

    lambda
        .update_function_configuration()
        .function_name("hungry")
        .memory_size(1024)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let ok = invoke(&lambda, "hungry", None, r#"{"mb": 300}"#).await;
    assert_eq!(ok.function_error, None, "{}", ok.payload);
    assert_eq!(ok.payload, (300 * 1024 * 1024).to_string());
    assert!(
        ok.report.max_memory_used_mb.unwrap() >= 300,
        "{:?}",
        ok.report
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtimes_the_emulator_cannot_run_are_refused_at_create() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let dir = code("java", &[("App.java", "class App {}")]);
    let err = lambda
        .create_function()
        .function_name("java")
        .runtime(aws_sdk_lambda::types::Runtime::Java21)
        .handler("App::handle")
        .role("arn:aws:iam::123456789012:role/test")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(dir.display().to_string())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let text = format!("{}", aws_sdk_lambda::error::DisplayErrorContext(err));
    assert!(
        text.contains("InvalidParameterValueException")
            && text.contains("java21")
            && text.contains("python3.x"),
        "{text}"
    );

    let err = lambda
        .create_function()
        .function_name("no-handler")
        .runtime(aws_sdk_lambda::types::Runtime::from(host_python().as_str()))
        .role("arn:aws:iam::123456789012:role/test")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(dir.display().to_string())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let text = format!("{}", aws_sdk_lambda::error::DisplayErrorContext(err));
    assert!(text.contains("needs a Handler"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_version_the_host_lacks_runs_with_a_warning_given_once() {
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = heard.clone();
    let config = powertune_emulator::Config {
        notice: powertune_emulator::Notice(std::sync::Arc::new(move |m| {
            sink.lock().unwrap().push(m.to_string())
        })),
        ..powertune_emulator::Config::default()
    };
    let emu = powertune_emulator::Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let lambda = client(&emu);
    // A version no host has: the host's python3 runs it.
    let dir = code(
        "py-future",
        &[("app.py", "def handler(e, c):\n    return 'ran'\n")],
    );
    create_managed(&lambda, "future-a", "python3.99", "app.handler", &dir, 256).await;
    create_managed(&lambda, "future-b", "python3.99", "app.handler", &dir, 256).await;
    assert_eq!(
        invoke(&lambda, "future-a", None, "{}").await.payload,
        "\"ran\""
    );
    assert_eq!(
        invoke(&lambda, "future-b", None, "{}").await.payload,
        "\"ran\""
    );
    let warnings: Vec<String> = heard
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.starts_with("warning:"))
        .cloned()
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("python3.99"), "{warnings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_a_handler_starts_share_its_limits() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let dir = code(
        "py-children",
        &[(
            "app.py",
            "import os, subprocess\n\ndef handler(event, context):\n    child = subprocess.run(['sh', '-c', 'cat /proc/self/cgroup; ps -o pgid= -p $$'], capture_output=True, text=True).stdout\n    return {'cgroup': open('/proc/self/cgroup').read(), 'pgid': os.getpgid(0), 'child': child}\n",
        )],
    );
    create_managed(
        &lambda,
        "children",
        &host_python(),
        "app.handler",
        &dir,
        256,
    )
    .await;
    let out = invoke(&lambda, "children", None, "{}").await;
    assert_eq!(out.function_error, None, "{}", out.payload);
    let body = json(&out.payload);
    let child = body["child"].as_str().unwrap();
    // One process group per environment: signals and kills reach the children.
    let child_pgid: i64 = child.lines().last().unwrap().trim().parse().unwrap();
    assert_eq!(child_pgid, body["pgid"].as_i64().unwrap(), "{body}");
    if emu.limits_mode() != powertune_emulator::Mode::Signals {
        let cgroup = body["cgroup"].as_str().unwrap();
        assert!(cgroup.contains("powertune-"), "{cgroup}");
        assert!(
            child.starts_with(cgroup),
            "the child's cgroups {child} are not {cgroup}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zipped_python_code_runs_from_code_zipfile() {
    use std::io::Write;
    let emu = emulator().await;
    let lambda = client(&emu);
    let mut bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("lambda_function.py", options).unwrap();
        zip.write_all(b"from helpers.greet import greet\n\ndef lambda_handler(event, context):\n    return greet(event['name'])\n")
            .unwrap();
        zip.start_file("helpers/__init__.py", options).unwrap();
        zip.start_file("helpers/greet.py", options).unwrap();
        zip.write_all(b"def greet(name):\n    return 'hello ' + name\n")
            .unwrap();
        zip.finish().unwrap();
    }
    lambda
        .create_function()
        .function_name("zipped")
        .runtime(aws_sdk_lambda::types::Runtime::from(host_python().as_str()))
        .handler("lambda_function.lambda_handler")
        .role("arn:aws:iam::123456789012:role/test")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(bytes))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = invoke(&lambda, "zipped", None, r#"{"name": "zip"}"#).await;
    assert_eq!(out.payload, "\"hello zip\"", "{:?}", out.function_error);
}

/// The examples' directory of `name` (interpreted functions need no build).
fn example_dir(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/functions")
        .join(name)
}

async fn set_environment(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
    vars: &[(&str, &str)],
    timeout: i32,
) {
    let mut env = aws_sdk_lambda::types::Environment::builder();
    for (k, v) in vars {
        env = env.variables(*k, *v);
    }
    lambda
        .update_function_configuration()
        .function_name(name)
        .timeout(timeout)
        .environment(env.build())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_over_ten_seconds_is_redone_inside_the_first_invocation_under_its_timeout() {
    // "The Init phase is limited to 10 seconds. If all three tasks do not complete within 10
    // seconds, Lambda retries the Init phase at the time of the first function invocation with
    // the configured function timeout" (Lambda Developer Guide, execution environment
    // lifecycle). The REPORT of that invocation has no Init Duration; its Duration holds the
    // init (Bite-Sized Serverless measured Duration 12079.53 ms for a 10 s init).
    let emu = emulator().await;
    let lambda = client(&emu);
    let dir = example_dir("node-slow-init");
    let runtime = host_node();
    create_managed(&lambda, "slow", &runtime, "index.handler", &dir, 128).await;
    create_managed(&lambda, "short", &runtime, "index.handler", &dir, 128).await;
    set_environment(&lambda, "slow", &[("SLOW_INIT_MS", "10500")], 30).await;
    // With a 4 s timeout the redone init cannot finish: the invocation times out.
    set_environment(&lambda, "short", &[("SLOW_INIT_MS", "10500")], 4).await;
    let (first, short) = tokio::join!(
        invoke(&lambda, "slow", None, "{}"),
        invoke(&lambda, "short", None, "{}")
    );
    assert_eq!(first.function_error, None, "{}", first.payload);
    assert_eq!(first.report.init_duration_ms, None, "{:?}", first.report);
    let duration = first.report.duration_ms.unwrap();
    assert!(
        duration >= 10_500.0,
        "the redone init is in the Duration: {duration} ms"
    );
    assert!(first.report.billed_duration_ms.unwrap() >= duration.floor());
    // The environment stays: the next invocation is warm and quick.
    let warm = invoke(&lambda, "slow", None, "{}").await;
    assert_eq!(warm.report.init_duration_ms, None);
    assert!(
        warm.report.duration_ms.unwrap() < 5_000.0,
        "{:?}",
        warm.report
    );
    assert_eq!(
        json(&warm.payload)["initializedAt"],
        json(&first.payload)["initializedAt"]
    );

    assert_eq!(short.function_error.as_deref(), Some("Unhandled"));
    let body = json(&short.payload);
    assert_eq!(body["errorType"], "Sandbox.Timedout", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Task timed out after 4.00 seconds"),
        "{body}"
    );
}

/// Ignored: needs cgroup limits (root), and compares CPU time. An on-demand Init gets at least
/// one vCPU by default (`InitCpu::Boosted`), the memory's share with `InitCpu::Share`: at 128 MB
/// that is 1769 / 128 = 13.8 times as much CPU.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn an_on_demand_init_runs_on_one_vcpu_unless_told_to_run_on_the_memorys_share() {
    const SPIN: &str = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.15:\n    pass\n\ndef handler(event, context):\n    return 1\n";
    let dir = code("py-spin-init", &[("app.py", SPIN)]);
    let mut inits = Vec::new();
    for cpu in [
        powertune_emulator::InitCpu::Boosted,
        powertune_emulator::InitCpu::Share,
    ] {
        let config = powertune_emulator::Config {
            init_cpu: cpu,
            ..powertune_emulator::Config::default()
        };
        let emu = powertune_emulator::Emulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        assert_ne!(
            emu.limits_mode(),
            powertune_emulator::Mode::Signals,
            "needs cgroup limits"
        );
        let lambda = client(&emu);
        create_managed(&lambda, "spin", &host_python(), "app.handler", &dir, 128).await;
        let cold = invoke(&lambda, "spin", None, "{}").await;
        inits.push(cold.report.init_duration_ms.expect("Init Duration"));
    }
    let ratio = inits[1] / inits[0];
    println!(
        "Init at 128 MB: boosted {:.0} ms, share {:.0} ms, ratio {ratio:.1}",
        inits[0], inits[1]
    );
    assert!(ratio > 5.0, "{inits:?}");
}
