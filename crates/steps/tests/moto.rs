//! The control-plane steps against a real Lambda API over HTTP: moto_server, started by
//! `tests/moto/start.sh` (`.ci/run` does this). Initializer -> Publisher -> Cleaner -> Optimizer,
//! then the function must have no alias or version left and `$LATEST` its original memory and
//! description.
//!
//! They need that server, so they are `#[ignore]`d: `cargo test --workspace -- --ignored` runs
//! them once `eval "$(bash tests/moto/start.sh)"` has started one, as `.ci/run` does.

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use aws_sdk_lambda::Client;
use powertune_core::input::Defaults;
use powertune_core::pricing::Architecture;
use powertune_steps::events::{OptimizerEvent, Plan};
use powertune_steps::lambda::{LambdaApi, Waits};
use powertune_steps::{cleaner, initializer, optimizer, publisher};
use serde_json::{json, Value};
use std::time::Duration;

struct Moto {
    client: Client,
    role: String,
}

/// Why the tests here are ignored by default.
const NEEDS_MOTO: &str =
    "needs moto_server: bash tests/moto/setup.sh; eval \"$(bash tests/moto/start.sh)\"";

fn moto() -> Moto {
    let endpoint = std::env::var("POWERTUNE_MOTO_ENDPOINT")
        .unwrap_or_else(|_| panic!("POWERTUNE_MOTO_ENDPOINT is not set: this test {NEEDS_MOTO}"));
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
        .build();
    Moto {
        client: Client::from_conf(conf),
        role: std::env::var("POWERTUNE_MOTO_ROLE")
            .unwrap_or_else(|_| "arn:aws:iam::123456789012:role/powertune-test".into()),
    }
}

/// The smallest valid zip archive: an empty one.
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

async fn create_function(m: &Moto, name: &str) -> String {
    let out = m
        .client
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(&m.role)
        .memory_size(1024)
        .description("original description")
        .architectures(aws_sdk_lambda::types::Architecture::Arm64)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("moto creates the function");
    out.function_arn().expect("an ARN").to_string()
}

fn api(m: &Moto) -> LambdaApi {
    LambdaApi::new(m.client.clone()).with_waits(Waits {
        poll: Duration::from_millis(20),
        timeout: Duration::from_secs(30),
        ..Waits::default()
    })
}

/// Published versions (other than $LATEST) and aliases left on the function.
async fn leftovers(m: &Moto, arn: &str) -> (Vec<String>, Vec<String>) {
    // moto 5.2.5 answers ListVersionsByFunction for a full ARN with "Function not found" (it
    // looks up the percent-encoded ARN as a name), so list by name.
    let name = arn.rsplit(':').next().unwrap_or(arn);
    let versions = m
        .client
        .list_versions_by_function()
        .function_name(name)
        .send()
        .await
        .unwrap();
    let aliases = m
        .client
        .list_aliases()
        .function_name(name)
        .send()
        .await
        .unwrap();
    (
        versions
            .versions()
            .iter()
            .filter_map(|v| v.version())
            .filter(|v| *v != "$LATEST")
            .map(str::to_string)
            .collect(),
        aliases
            .aliases()
            .iter()
            .filter_map(|a| a.name())
            .map(str::to_string)
            .collect(),
    )
}

async fn latest(m: &Moto, name: &str) -> (i32, String) {
    let c = m
        .client
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .unwrap();
    (
        c.memory_size().unwrap_or_default(),
        c.description().unwrap_or_default().to_string(),
    )
}

async fn publish_all(lambda: &LambdaApi, mut plan: Plan, budget: Duration) -> Plan {
    while !plan.publishing_done {
        plan = publisher::publish(lambda, plan, budget)
            .await
            .expect("publishing works on moto");
        assert!(plan.publisher_rounds < 50);
    }
    plan
}

/// The Initializer as its binary runs it: the input parsed at the edge, then planned.
async fn initialize(
    lambda: &LambdaApi,
    input: &Value,
    defaults: &Defaults,
    run_id: &str,
) -> Result<powertune_steps::events::Plan, powertune_steps::error::StepError> {
    let input = powertune_core::input::ExecutionInput::from_json(input, defaults)?;
    initializer::initialize(lambda, None, &input, run_id, true).await
}

#[tokio::test]
#[ignore = "needs moto_server (tests/moto/start.sh); cargo test -- --ignored, as .ci/run runs it"]
async fn a_full_run_leaves_nothing_behind() {
    let m = moto();
    let arn = create_function(&m, "powertune-full-run").await;
    let lambda = api(&m);
    let defaults = Defaults {
        power_values: vec![128, 256, 512],
        region: Some("us-east-1".into()),
    };

    let plan = initialize(
        &lambda,
        &json!({"lambdaARN": arn, "num": 5}),
        &defaults,
        "run-full",
    )
    .await
    .unwrap();
    assert_eq!(plan.function.memory_size, 1024);
    assert_eq!(plan.function.description, "original description");
    assert_eq!(plan.function.architecture, Architecture::Arm64);

    let plan = publish_all(&lambda, plan, Duration::from_secs(300)).await;
    assert_eq!(
        plan.publisher_rounds, 1,
        "three configurations fit one round"
    );
    // Each alias points at a version with its memory; $LATEST is already restored.
    for (config, version) in plan.configurations().iter().zip(&plan.versions) {
        let alias = m
            .client
            .get_alias()
            .function_name(&arn)
            .name(&config.alias)
            .send()
            .await
            .unwrap();
        assert_eq!(alias.function_version(), Some(version.as_str()));
        let v = m
            .client
            .get_function_configuration()
            .function_name(&arn)
            .qualifier(version)
            .send()
            .await
            .unwrap();
        assert_eq!(v.memory_size(), Some(config.power_value as i32));
    }
    assert_eq!(
        latest(&m, &arn).await,
        (1024, "original description".into())
    );

    let report = cleaner::clean(&lambda, &plan, None).await.unwrap();
    assert_eq!(report.deleted_aliases, 3);
    assert_eq!(leftovers(&m, &arn).await, (vec![], vec![]));
    assert_eq!(
        latest(&m, &arn).await,
        (1024, "original description".into())
    );

    // autoOptimize with an alias: $LATEST gets the optimal memory, the alias a version of it.
    let analysis = serde_json::from_value(json!({
        "power": 256, "cost": 1e-7, "duration": 20.0, "strategy": "cost", "currency": "USD",
        "stateMachine": {"executionCost": 0.0003, "lambdaCost": 1e-5, "visualization": "https://x/#a;b;c"}
    }))
    .unwrap();
    let mut input = plan.input.clone();
    input.auto_optimize = true;
    input.auto_optimize_alias = Some("live".into());
    let event = OptimizerEvent {
        input,
        function: plan.function.clone(),
        run_id: plan.run_id.clone(),
        analysis,
    };
    let done = optimizer::optimize(&lambda, &event).await.unwrap();
    let alias = m
        .client
        .get_alias()
        .function_name(&arn)
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(alias.function_version(), done.version.as_deref());
    let v = m
        .client
        .get_function_configuration()
        .function_name(&arn)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(v.memory_size(), Some(256));
    assert_eq!(latest(&m, &arn).await, (256, "original description".into()));
}

#[tokio::test]
#[ignore = "needs moto_server (tests/moto/start.sh); cargo test -- --ignored, as .ci/run runs it"]
async fn cleanup_after_a_run_that_failed_midway_restores_everything() {
    let m = moto();
    let arn = create_function(&m, "powertune-failed-run").await;
    let lambda = api(&m);
    let input = json!({"lambdaARN": arn, "num": 5, "powerValues": [128, 256, 512], "onlyColdStarts": false});
    let plan = initialize(&lambda, &input, &Defaults::default(), "run-fail")
        .await
        .unwrap();

    // No time left: one configuration per round. Stop after the first, as if the next Publisher
    // invocation had failed; $LATEST still has 128 MB and this run's description.
    let plan = publisher::publish(&lambda, plan, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((plan.published(), plan.publishing_done), (1, false));
    let (memory, description) = latest(&m, &arn).await;
    assert_eq!(memory, 128);
    assert!(description.starts_with("powertune run"), "{description}");

    let report = cleaner::clean(&lambda, &plan, None).await.unwrap();
    assert!(report.restored_latest);
    assert_eq!(leftovers(&m, &arn).await, (vec![], vec![]));
    assert_eq!(
        latest(&m, &arn).await,
        (1024, "original description".into())
    );
}

#[tokio::test]
#[ignore = "needs moto_server (tests/moto/start.sh); cargo test -- --ignored, as .ci/run runs it"]
async fn cold_start_runs_publish_a_distinct_version_per_invocation() {
    let m = moto();
    let arn = create_function(&m, "powertune-cold-starts").await;
    let lambda = api(&m);
    let input = json!({"lambdaARN": arn, "num": 5, "powerValues": [256], "onlyColdStarts": true});
    let plan = initialize(&lambda, &input, &Defaults::default(), "run-cold")
        .await
        .unwrap();
    let plan = publish_all(&lambda, plan, Duration::from_secs(300)).await;
    let mut versions: Vec<&str> = plan.versions.iter().map(String::as_str).collect();
    versions.sort();
    versions.dedup();
    assert_eq!(versions.len(), 5);
    cleaner::clean(&lambda, &plan, None).await.unwrap();
    assert_eq!(leftovers(&m, &arn).await, (vec![], vec![]));
    assert_eq!(
        latest(&m, &arn).await,
        (1024, "original description".into())
    );
}
