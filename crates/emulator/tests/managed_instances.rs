//! Functions on Lambda Managed Instances in the emulator, through the unmodified AWS SDK for
//! Rust: `CapacityProviderConfig` kept and checked as the API reference and the Developer Guide
//! say, one environment serving several requests at once through the runtime's own clients
//! (lambda_runtime's `run_concurrent` on Tokio, awslambdaric's processes), backpressure when every
//! slot is busy, and timeouts that leave the environment running.

mod common;

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::types::{CapacityProviderConfig, LambdaManagedInstancesCapacityProviderConfig};
use aws_sdk_lambda::Client;
use common::{client, code_dir, create, create_from, emulator, example, invoke};
use std::time::Duration;

const PROVIDER: &str = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:test";

fn lmi(gib_per_vcpu: f64, concurrency: i32) -> CapacityProviderConfig {
    CapacityProviderConfig::builder()
        .lambda_managed_instances_capacity_provider_config(
            LambdaManagedInstancesCapacityProviderConfig::builder()
                .capacity_provider_arn(PROVIDER)
                .execution_environment_memory_gib_per_v_cpu(gib_per_vcpu)
                .per_execution_environment_max_concurrency(concurrency)
                .build()
                .unwrap(),
        )
        .build()
}

/// Creates `name` on the capacity provider (a function's compute type is set when it is
/// created), from `dir` in `runtime`.
async fn create_on_lmi(
    lambda: &Client,
    name: &str,
    runtime: (&str, &str),
    dir: &std::path::Path,
    memory: i32,
    timeout: i32,
) {
    create_from(
        lambda,
        name,
        runtime,
        dir,
        (memory, timeout),
        Some(lmi(2.0, 1)),
    )
    .await
}

const RUST: (&str, &str) = ("provided.al2023", "bootstrap");

/// Puts `name` on LMI at `memory` and publishes a version (its number).
async fn publish_on_lmi(lambda: &Client, name: &str, memory: i32, concurrency: i32) -> String {
    lambda
        .update_function_configuration()
        .function_name(name)
        .memory_size(memory)
        .capacity_provider_config(lmi(2.0, concurrency))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", aws_sdk_lambda::error::DisplayErrorContext(e)));
    tokio::time::sleep(Duration::from_millis(60)).await;
    let version = lambda
        .publish_version()
        .function_name(name)
        .send()
        .await
        .unwrap()
        .version()
        .unwrap()
        .to_string();
    let state = wait_while_pending(lambda, name, &version).await;
    assert_eq!(state.0, "Active", "{state:?}");
    version
}

/// Polls `name:version` while it is Pending (its environment starting); its State and
/// StateReason then.
async fn wait_while_pending(lambda: &Client, name: &str, version: &str) -> (String, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let c = lambda
            .get_function_configuration()
            .function_name(name)
            .qualifier(version)
            .send()
            .await
            .unwrap();
        let state = c
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if state != "Pending" || std::time::Instant::now() > deadline {
            return (state, c.state_reason().unwrap_or_default().to_string());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_provider_config_is_kept_and_checked() {
    let emu = emulator().await;
    let lambda = client(&emu);
    // On demand, a function cannot be moved onto a capacity provider: AWS SAM's
    // CapacityProviderConfig "can't be added or removed after the function resource has been
    // created".
    create(&lambda, "od", "io-bound", 2048, 10).await;
    let e = lambda
        .update_function_configuration()
        .function_name("od")
        .capacity_provider_config(lmi(2.0, 4))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValueException"), "{e:?}");
    assert!(
        e.message()
            .unwrap_or_default()
            .contains("od runs on demand"),
        "{e:?}"
    );
    let od = lambda
        .get_function_configuration()
        .function_name("od")
        .send()
        .await
        .unwrap();
    assert!(od.capacity_provider_config().is_none());

    create_on_lmi(&lambda, "lmi", RUST, &example("io-bound"), 2048, 10).await;
    let refused = |memory: i32, config: CapacityProviderConfig| {
        let lambda = lambda.clone();
        async move {
            let e = lambda
                .update_function_configuration()
                .function_name("lmi")
                .memory_size(memory)
                .capacity_provider_config(config)
                .send()
                .await
                .unwrap_err();
            assert_eq!(e.code(), Some("InvalidParameterValueException"), "{e:?}");
            e.message().unwrap_or_default().to_string()
        }
    };
    // "The minimum supported function size is 2GB and 1 vCPU".
    assert!(refused(1024, lmi(2.0, 4))
        .await
        .contains("2048 to 32768 MB"));
    // The API reference's ranges.
    assert!(refused(2048, lmi(9.0, 4))
        .await
        .contains("executionEnvironmentMemoryGiBPerVCpu"));
    assert!(refused(2048, lmi(2.0, 0))
        .await
        .contains("perExecutionEnvironmentMaxConcurrency"));
    // Whole vCPUs.
    assert!(refused(3072, lmi(2.0, 4)).await.contains("1.5 vCPUs"));
    // On demand, memory stays at most 10240 MB.
    let e = lambda
        .update_function_configuration()
        .function_name("od")
        .memory_size(16384)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValueException"));

    lambda
        .update_function_configuration()
        .function_name("lmi")
        .memory_size(16384)
        .capacity_provider_config(lmi(4.0, 32))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let c = lambda
        .get_function_configuration()
        .function_name("lmi")
        .send()
        .await
        .unwrap();
    assert_eq!(c.memory_size(), Some(16384));
    let lmi = c
        .capacity_provider_config()
        .and_then(|c| c.lambda_managed_instances_capacity_provider_config())
        .expect("the configuration is returned");
    assert_eq!(lmi.capacity_provider_arn(), PROVIDER);
    assert_eq!(lmi.execution_environment_memory_gib_per_v_cpu(), Some(4.0));
    assert_eq!(lmi.per_execution_environment_max_concurrency(), Some(32));
    // "Functions using Lambda Managed Instances always use the structured JSON log format".
    assert_eq!(
        c.logging_config()
            .and_then(|l| l.log_format())
            .map(|f| f.as_str()),
        Some("JSON")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_environment_serves_its_concurrency_and_refuses_one_more() {
    let emu = emulator().await;
    let lambda = client(&emu);
    create_on_lmi(&lambda, "wait", RUST, &example("io-bound"), 2048, 10).await;
    let version = publish_on_lmi(&lambda, "wait", 2048, 2).await;
    // Three at once on an environment of two slots: two run in it together, the third is
    // refused (all runtime workers busy: backpressure). No retries: the SDK would retry the
    // throttle until a slot is free.
    let no_retries = Client::from_conf(
        lambda
            .config()
            .to_builder()
            .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())
            .build(),
    );
    let calls = (0..3).map(|_| {
        let (lambda, version) = (no_retries.clone(), version.clone());
        tokio::spawn(async move {
            lambda
                .invoke()
                .function_name("wait")
                .qualifier(version)
                .log_type(aws_sdk_lambda::types::LogType::Tail)
                .payload(aws_sdk_lambda::primitives::Blob::new(r#"{"waitMs": 1500}"#))
                .send()
                .await
        })
    });
    let mut answered = Vec::new();
    let mut throttled = 0;
    for call in calls.collect::<Vec<_>>() {
        match call.await.unwrap() {
            Ok(out) => answered.push(out),
            Err(e) => {
                assert_eq!(e.code(), Some("TooManyRequestsException"), "{e:?}");
                throttled += 1;
            }
        }
    }
    assert_eq!((answered.len(), throttled), (2, 1));
    // One environment, started when the version was published: no request reports an Init
    // Duration (one that started another environment would).
    use base64::Engine;
    let inits = answered
        .iter()
        .map(|out| {
            let tail = base64::engine::general_purpose::STANDARD
                .decode(out.log_result().unwrap())
                .unwrap();
            let report =
                powertune_core::report_line::parse_report(&String::from_utf8_lossy(&tail), None)
                    .expect("a platform.report");
            assert!(report.duration_ms.unwrap_or(0.0) >= 1500.0, "{report:?}");
            report.init_duration_ms.is_some()
        })
        .filter(|init| *init)
        .count();
    assert_eq!(inits, 0);
    // With the slots free again, the next request runs in the same environment.
    let again = invoke(&lambda, "wait", Some(&version), r#"{"waitMs": 1}"#).await;
    assert_eq!(again.function_error, None);
    assert_eq!(again.report.init_duration_ms, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_invocation_leaves_the_managed_environment_running() {
    let emu = emulator().await;
    let lambda = client(&emu);
    create_on_lmi(&lambda, "slow", RUST, &example("io-bound"), 2048, 1).await;
    let version = publish_on_lmi(&lambda, "slow", 2048, 4).await;
    let warm = invoke(&lambda, "slow", Some(&version), r#"{"waitMs": 1}"#).await;
    assert_eq!(warm.function_error, None, "{}", warm.payload);
    let late = invoke(&lambda, "slow", Some(&version), r#"{"waitMs": 1500}"#).await;
    assert_eq!(late.function_error.as_deref(), Some("Unhandled"));
    assert!(
        late.payload.contains("Sandbox.Timedout"),
        "{}",
        late.payload
    );
    // "Lambda Managed Instances does not enforce timeouts": the environment goes on.
    let next = invoke(&lambda, "slow", Some(&version), r#"{"waitMs": 1}"#).await;
    assert_eq!(next.function_error, None, "{}", next.payload);
    assert_eq!(next.report.init_duration_ms, None, "the same environment");
}

const PY_PID: &str = r#"
import os, time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "concurrency": os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY")}
"#;

/// awslambdaric 4.x reads `AWS_LAMBDA_MAX_CONCURRENCY` and serves each concurrent request in a
/// process of its own ("Python runtime for Lambda Managed Instances").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_on_managed_instances_serves_requests_in_processes_of_their_own() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let dir = code_dir("py-pid", &[("app.py", PY_PID)]);
    create_on_lmi(&lambda, "py", ("python3.13", "app.handler"), &dir, 2048, 30).await;
    let version = publish_on_lmi(&lambda, "py", 2048, 3).await;
    let _ = invoke(&lambda, "py", Some(&version), r#"{"sleep": 0}"#).await;
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let (lambda, version) = (lambda.clone(), version.clone());
            tokio::spawn(
                async move { invoke(&lambda, "py", Some(&version), r#"{"sleep": 1.0}"#).await },
            )
        })
        .collect();
    let mut pids = std::collections::BTreeSet::new();
    for call in calls {
        let out = call.await.unwrap();
        assert_eq!(out.function_error, None, "{}", out.payload);
        let v: serde_json::Value = serde_json::from_str(&out.payload).unwrap();
        assert_eq!(v["concurrency"], "3");
        pids.insert(v["pid"].as_i64().unwrap());
    }
    assert_eq!(
        pids.len(),
        3,
        "three requests at once, three processes: {pids:?}"
    );
}

const NODE_THREAD: &str = r#"
import { threadId } from "node:worker_threads";
export const handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, event.waitMs ?? 0));
  return { threadId, concurrency: process.env.AWS_LAMBDA_MAX_CONCURRENCY };
};
"#;

/// Node.js on LMI: worker threads, one per vCPU, each running several requests at once
/// ("Node.js runtime for Lambda Managed Instances").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_on_managed_instances_serves_requests_on_worker_threads_each_running_several() {
    let emu = emulator().await;
    let lambda = client(&emu);
    let dir = code_dir("node-thread", &[("index.mjs", NODE_THREAD)]);
    create_on_lmi(
        &lambda,
        "node",
        ("nodejs22.x", "index.handler"),
        &dir,
        2048,
        30,
    )
    .await;
    // 4096 MB at 2 GiB per vCPU: 2 vCPUs, so 2 worker threads for 4 requests at once.
    let version = publish_on_lmi(&lambda, "node", 4096, 4).await;
    let _ = invoke(&lambda, "node", Some(&version), "{}").await;
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let (lambda, version) = (lambda.clone(), version.clone());
            tokio::spawn(async move {
                invoke(&lambda, "node", Some(&version), r#"{"waitMs": 1000}"#).await
            })
        })
        .collect();
    let mut threads = std::collections::BTreeMap::<i64, usize>::new();
    for call in calls {
        let out = call.await.unwrap();
        assert_eq!(out.function_error, None, "{}", out.payload);
        let v: serde_json::Value = serde_json::from_str(&out.payload).unwrap();
        assert_eq!(v["concurrency"], "4");
        *threads.entry(v["threadId"].as_i64().unwrap()).or_default() += 1;
    }
    // All four ran at once (none throttled), on two worker threads, two on each.
    assert_eq!(
        threads.values().copied().collect::<Vec<_>>(),
        vec![2, 2],
        "{threads:?}"
    );
}

/// The processes whose command line names `dir` (an environment runs `dir/bootstrap`).
fn processes_of(dir: &std::path::Path) -> Vec<u32> {
    let wanted = dir.display().to_string();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| {
                    std::fs::read(format!("/proc/{pid}/cmdline"))
                        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&wanted))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_emulator_stops_its_managed_environments() {
    // lambda_runtime's concurrent client retries a Runtime API that is gone, spinning a core:
    // an environment left behind by its emulator is not idle.
    let dir = std::env::temp_dir().join(format!("powertune-lmi-drop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(example("io-bound").join("bootstrap"), &link).unwrap();
    let emu = emulator().await;
    let lambda = client(&emu);
    create_on_lmi(&lambda, "left", RUST, &dir, 2048, 10).await;
    let version = publish_on_lmi(&lambda, "left", 2048, 2).await;
    let invoked = invoke(&lambda, "left", Some(&version), r#"{"waitMs": 1}"#).await;
    assert_eq!(invoked.function_error, None, "{}", invoked.payload);
    assert!(!processes_of(&dir).is_empty(), "the environment runs");
    drop(emu);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !processes_of(&dir).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(processes_of(&dir), Vec::<u32>::new(), "left running");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_version_is_pending_until_its_environment_started_and_failed_if_it_cannot() {
    // Lambda Managed Instances start a version's environments before it is Active: its Init
    // runs then, and no invocation's REPORT carries it.
    let emu = emulator().await;
    let lambda = client(&emu);
    let slow = code_dir(
        "py-slow-init",
        &[(
            "app.py",
            "import time\ntime.sleep(0.5)\n\ndef handler(event, context):\n    return 1\n",
        )],
    );
    create_on_lmi(
        &lambda,
        "slow",
        ("python3.13", "app.handler"),
        &slow,
        2048,
        30,
    )
    .await;
    let published = lambda
        .publish_version()
        .function_name("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(published.state().map(|s| s.as_str()), Some("Pending"));
    let version = published.version().unwrap().to_string();
    // Pending is refused as Lambda refuses it.
    assert_eq!(
        refused(&lambda, "slow", &version).await,
        "ResourceConflictException"
    );
    assert_eq!(
        wait_while_pending(&lambda, "slow", &version).await.0,
        "Active"
    );
    let invoked = invoke(&lambda, "slow", Some(&version), "{}").await;
    assert_eq!(invoked.function_error, None, "{}", invoked.payload);
    assert_eq!(
        invoked.report.init_duration_ms, None,
        "{:?}",
        invoked.report
    );

    // An Init that fails: the version is Failed, with the function's error as the reason.
    let broken = code_dir(
        "py-broken-init",
        &[("app.py", "raise RuntimeError('no configuration found')\n")],
    );
    create_on_lmi(
        &lambda,
        "broken",
        ("python3.13", "app.handler"),
        &broken,
        2048,
        30,
    )
    .await;
    let version = lambda
        .publish_version()
        .function_name("broken")
        .send()
        .await
        .unwrap()
        .version()
        .unwrap()
        .to_string();
    let (state, reason) = wait_while_pending(&lambda, "broken", &version).await;
    assert_eq!(state, "Failed");
    assert!(reason.contains("no configuration found"), "{reason}");
    assert_eq!(
        refused(&lambda, "broken", &version).await,
        "ResourceConflictException"
    );
}

/// The error code an invocation of `name:version` is refused with.
async fn refused(lambda: &Client, name: &str, version: &str) -> String {
    let e = lambda
        .invoke()
        .function_name(name)
        .qualifier(version)
        .send()
        .await
        .expect_err("the invocation is refused");
    e.code().unwrap_or_default().to_string()
}
