//! Helpers shared by the emulator's tests: the example functions, built once, and SDK clients.

#![allow(dead_code)]

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::types::{FunctionCode, LogType};
use aws_sdk_lambda::Client;
use powertune_core::report_line::{parse_report, Report};
use powertune_emulator::{Config, Emulator};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Builds an example function (debug profile) and returns a directory holding it as `bootstrap`.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap();
    if let Some(dir) = built.get(name) {
        return dir.clone();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "--quiet", "-p", name, "--message-format=json"])
        .args(if cfg!(debug_assertions) {
            &[][..]
        } else {
            &["--release"][..]
        })
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let executable = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reports the executable");
    let dir = std::env::temp_dir().join(format!("powertune-test-fn-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&executable, &link).unwrap();
    built.insert(name.to_string(), dir.clone());
    dir
}

pub async fn emulator() -> Emulator {
    let config = Config {
        update_delay: std::time::Duration::from_millis(30),
        ..Config::default()
    };
    Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the emulator starts")
}

pub fn client(emulator: &Emulator) -> Client {
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    Client::from_conf(conf)
}

pub async fn create(client: &Client, name: &str, example_name: &str, memory: i32, timeout: i32) {
    client
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role("arn:aws:iam::123456789012:role/test")
        .memory_size(memory)
        .timeout(timeout)
        .code(
            FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(example(example_name).display().to_string())
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
}

pub struct Invoked {
    pub report: Report,
    pub payload: String,
    pub function_error: Option<String>,
    pub executed_version: Option<String>,
}

pub async fn invoke(
    client: &Client,
    name: &str,
    qualifier: Option<&str>,
    payload: &str,
) -> Invoked {
    use base64::Engine;
    let out = client
        .invoke()
        .function_name(name)
        .set_qualifier(qualifier.map(str::to_string))
        .log_type(LogType::Tail)
        .payload(aws_sdk_lambda::primitives::Blob::new(payload.as_bytes()))
        .send()
        .await
        .expect("Invoke");
    let tail = base64::engine::general_purpose::STANDARD
        .decode(out.log_result().expect("a log tail"))
        .unwrap();
    Invoked {
        report: parse_report(&String::from_utf8_lossy(&tail), None).expect("a REPORT"),
        payload: String::from_utf8_lossy(out.payload().map(|b| b.as_ref()).unwrap_or_default())
            .into_owned(),
        function_error: out.function_error().map(str::to_string),
        executed_version: out.executed_version().map(str::to_string),
    }
}

/// A directory holding `files` (name, contents), for one test or benchmark.
pub fn code_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("powertune-rt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Creates a function of a managed runtime (`python3.11`, `nodejs20.x`) from a local directory.
pub async fn create_managed(
    client: &Client,
    name: &str,
    runtime: &str,
    handler: &str,
    dir: &std::path::Path,
    memory: i32,
) {
    create_from(client, name, (runtime, handler), dir, (memory, 30), None).await
}

/// Creates `name` from `dir` in `runtime` with `handler`, of `memory` MB and `timeout` s, on
/// `capacity` when given (Lambda Managed Instances: a compute type is set at creation).
pub async fn create_from(
    client: &Client,
    name: &str,
    (runtime, handler): (&str, &str),
    dir: &std::path::Path,
    (memory, timeout): (i32, i32),
    capacity: Option<aws_sdk_lambda::types::CapacityProviderConfig>,
) {
    client
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::from(runtime))
        .handler(handler)
        .role("arn:aws:iam::123456789012:role/test")
        .memory_size(memory)
        .timeout(timeout)
        .set_capacity_provider_config(capacity)
        .code(
            FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(dir.display().to_string())
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateFunction {name}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        });
}
