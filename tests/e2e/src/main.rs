//! End-to-end scenarios: `statemachine/statemachine.asl.json` runs in moto's Step Functions
//! interpreter, whose Lambda tasks reach the powertune emulator, where the six step binaries and
//! the target functions run. Every scenario checks the execution's status and output, and that
//! the target function has no alias or version left and its original `$LATEST`.
//!
//! Started by `tests/e2e/run.sh`, which provides the endpoints and built binaries through
//! environment variables. Prints one line per scenario and `N passed, N failed`.

use anyhow::{anyhow, bail, ensure, Context, Result};
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
use powertune_core::visualization;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const STEPS: [&str; 6] = [
    "initializer",
    "publisher",
    "executor",
    "cleaner",
    "analyzer",
    "optimizer",
];
const ORIGINAL_MEMORY: i32 = 1024;
const ORIGINAL_DESCRIPTION: &str = "the function under test";
static EXECUTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct Env {
    root: PathBuf,
    bins: PathBuf,
    emulator: String,
    moto: String,
    lambda: aws_sdk_lambda::Client,
    sfn: aws_sdk_sfn::Client,
    s3: aws_sdk_s3::Client,
    state_machine: String,
}

fn var(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set; run tests/e2e/run.sh"))
}

fn arn(function: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
}

fn credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "e2e")
}

/// A directory holding `bin` as `bootstrap`.
fn code_dir(bin: &Path) -> Result<PathBuf> {
    let name = bin.file_name().and_then(|n| n.to_str()).unwrap_or("bin");
    let dir = std::env::temp_dir().join(format!("powertune-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let link = dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(bin, &link)?;
    Ok(dir)
}

async fn create_function(
    env: &Env,
    name: &str,
    bin: &str,
    memory: i32,
    timeout: i32,
    variables: &[(&str, String)],
) -> Result<()> {
    let mut environment = Environment::builder();
    for (k, v) in variables {
        environment = environment.variables(*k, v);
    }
    env.lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
        .memory_size(memory)
        .timeout(timeout)
        .description(ORIGINAL_DESCRIPTION)
        .environment(environment.build())
        .code(
            FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(code_dir(&env.bins.join(bin))?.display().to_string())
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "CreateFunction {name}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}

/// "Deploys" the stack: the six steps with the template's environment, the targets, and the
/// state machine with the template's DefinitionSubstitutions filled in.
async fn deploy(env: &mut Env) -> Result<()> {
    let step_env = vec![
        (
            "defaultPowerValues",
            "128,256,512,1024,1536,3008".to_string(),
        ),
        (
            "visualizationURL",
            "https://lambda-power-tuning.show/".to_string(),
        ),
        ("AWS_ENDPOINT_URL_LAMBDA", env.emulator.clone()),
        ("AWS_ENDPOINT_URL_S3", env.moto.clone()),
        ("RUST_LOG", "warn".to_string()),
    ];
    for step in STEPS {
        let timeout = if step == "analyzer" { 10 } else { 300 };
        create_function(
            env,
            &format!("powertune-{step}"),
            step,
            128,
            timeout,
            &step_env,
        )
        .await?;
    }
    for (name, bin) in [
        ("target", "picky"),
        ("hungry", "memory-hungry"),
        ("processor", "noop"),
    ] {
        create_function(env, name, bin, ORIGINAL_MEMORY, 30, &[]).await?;
    }
    let mut definition =
        std::fs::read_to_string(env.root.join("statemachine/statemachine.asl.json"))?;
    for step in STEPS {
        definition = definition.replace(
            &format!("${{{step}Arn}}"),
            &arn(&format!("powertune-{step}")),
        );
    }
    definition = definition.replace("${totalExecutionTimeout}", "300");
    ensure!(
        !definition.contains("${"),
        "a substitution is left in the definition"
    );
    let created = env
        .sfn
        .create_state_machine()
        .name("powertune-e2e")
        .definition(definition)
        .role_arn(format!(
            "arn:aws:iam::{ACCOUNT}:role/powertune-state-machine"
        ))
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "CreateStateMachine: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
    env.state_machine = created.state_machine_arn().to_string();
    Ok(())
}

struct Execution {
    /// The largest state input or output in the history (bytes of UTF-8).
    largest_state: usize,
    /// The last state entered, to tell where a failed execution failed.
    last_state: String,
    arn: String,
    status: String,
    output: Value,
    error: String,
    cause: String,
}

async fn execute(env: &Env, input: Value) -> Result<Execution> {
    // moto 5.2.5 names an execution started without a name "None", so a second one conflicts
    // (ExecutionAlreadyExists): always give one.
    let name = format!(
        "e2e-{}",
        EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let started = env
        .sfn
        .start_execution()
        .state_machine_arn(&env.state_machine)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "StartExecution: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
    let arn = started.execution_arn().to_string();
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let d = env
            .sfn
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|e| anyhow!("DescribeExecution: {e}"))?;
        let status = d.status().as_str().to_string();
        if status != "RUNNING" {
            let largest_state = largest_state(env, &arn).await?;
            // Step Functions fails a state over 256 KB with States.DataLimitExceeded, which no
            // Catch handles: cleanup would never run. No execution may come near it.
            ensure!(
                largest_state < powertune_steps::state::STATE_LIMIT_BYTES,
                "execution {arn} carried a state of {largest_state} bytes, over Step Functions' 256 KB"
            );
            let history = env
                .sfn
                .get_execution_history()
                .execution_arn(&arn)
                .reverse_order(true)
                .max_results(50)
                .send()
                .await?;
            let last_state = history
                .events()
                .iter()
                .find_map(|e| {
                    e.state_entered_event_details()
                        .map(|d| d.name().to_string())
                })
                .unwrap_or_default();
            return Ok(Execution {
                largest_state,
                last_state,
                arn,
                status,
                output: d
                    .output()
                    .and_then(|o| serde_json::from_str(o).ok())
                    .unwrap_or(Value::Null),
                error: d.error().unwrap_or_default().to_string(),
                cause: d.cause().unwrap_or_default().to_string(),
            });
        }
        ensure!(
            Instant::now() < deadline,
            "execution {arn} still running after 240 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// No alias or version left on `function`, and `$LATEST` as it was.
async fn assert_untouched(env: &Env, function: &str, memory: i32) -> Result<()> {
    let aliases = env
        .lambda
        .list_aliases()
        .function_name(function)
        .send()
        .await?;
    let names: Vec<&str> = aliases.aliases().iter().filter_map(|a| a.name()).collect();
    ensure!(names.is_empty(), "{function} still has aliases {names:?}");
    let versions = env
        .lambda
        .list_versions_by_function()
        .function_name(function)
        .send()
        .await?;
    let left: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version())
        .filter(|v| *v != "$LATEST")
        .collect();
    ensure!(left.is_empty(), "{function} still has versions {left:?}");
    let latest = env
        .lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await?;
    ensure!(
        latest.memory_size() == Some(memory),
        "{function} $LATEST has {:?} MB, not {memory}",
        latest.memory_size()
    );
    ensure!(
        latest.description() == Some(ORIGINAL_DESCRIPTION),
        "{function} $LATEST description is {:?}",
        latest.description()
    );
    Ok(())
}

fn succeeded(e: &Execution) -> Result<()> {
    ensure!(
        e.status == "SUCCEEDED",
        "execution {} {} in state {}: {} {}",
        e.arn,
        e.status,
        e.last_state,
        e.error,
        e.cause
    );
    Ok(())
}

fn failed_with(e: &Execution, error: &str, cause_contains: &[&str]) -> Result<()> {
    ensure!(
        e.status == "FAILED",
        "expected FAILED, got {} with output {}",
        e.status,
        e.output
    );
    ensure!(
        e.error == error,
        "expected error {error}, got {} ({})",
        e.error,
        e.cause
    );
    for c in cause_contains {
        ensure!(e.cause.contains(c), "the cause lacks {c:?}: {}", e.cause);
    }
    Ok(())
}

/// The result document has the reference's shape and its numbers agree.
fn check_result(output: &Value, power_values: &[u64]) -> Result<()> {
    let power = output["power"].as_u64().context("no power")?;
    ensure!(
        power_values.contains(&power),
        "power {power} is not one of {power_values:?}"
    );
    ensure!(
        output["cost"].as_f64().is_some_and(|c| c > 0.0),
        "cost {}",
        output["cost"]
    );
    ensure!(
        output["duration"].as_f64().is_some_and(|d| d > 0.0),
        "duration {}",
        output["duration"]
    );
    let sm = &output["stateMachine"];
    ensure!(
        sm["executionCost"].as_f64().is_some_and(|c| c > 0.0),
        "executionCost {}",
        sm["executionCost"]
    );
    ensure!(
        sm["lambdaCost"].as_f64().is_some_and(|c| c > 0.0),
        "lambdaCost {}",
        sm["lambdaCost"]
    );
    let points = visualization::decode(sm["visualization"].as_str().context("no visualization")?)?;
    let powers: Vec<u64> = points.iter().map(|p| u64::from(p.power)).collect();
    ensure!(powers == power_values, "visualization powers {powers:?}");
    Ok(())
}

async fn invocations(env: &Env, function: &str) -> Result<u64> {
    let status = http_get(&env.emulator, "/_powertune/status").await?;
    Ok(status["invocations"][function].as_u64().unwrap_or(0))
}

async fn set_faults(env: &Env, faults: Value) -> Result<()> {
    let reply = http_post(&env.emulator, "/_powertune/faults", &faults.to_string()).await?;
    ensure!(reply["status"] == "ok", "faults not set: {reply}");
    Ok(())
}

async fn http(base: &str, request: String) -> Result<Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await?;
    stream
        .write_all(request.replace("{host}", &address).as_bytes())
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    Ok(serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn http_get(base: &str, path: &str) -> Result<Value> {
    http(
        base,
        format!("GET {path} HTTP/1.1\r\nHost: {{host}}\r\nConnection: close\r\n\r\n"),
    )
    .await
}

async fn http_post(base: &str, path: &str, body: &str) -> Result<Value> {
    http(
        base,
        format!("POST {path} HTTP/1.1\r\nHost: {{host}}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()),
    )
    .await
}

/// The whole history of an execution, page by page.
async fn history(env: &Env, execution: &str) -> Result<Vec<aws_sdk_sfn::types::HistoryEvent>> {
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = env
            .sfn
            .get_execution_history()
            .execution_arn(execution)
            .set_next_token(token)
            .max_results(1000)
            .send()
            .await?;
        events.extend(page.events().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(events);
        }
    }
}

/// The largest input or output of any state or task in the execution's history.
async fn largest_state(env: &Env, execution: &str) -> Result<usize> {
    let mut largest = 0;
    for e in history(env, execution).await? {
        let sizes = [
            e.state_entered_event_details().and_then(|d| d.input()),
            e.state_exited_event_details().and_then(|d| d.output()),
            e.lambda_function_scheduled_event_details()
                .and_then(|d| d.input()),
            e.lambda_function_succeeded_event_details()
                .and_then(|d| d.output()),
            e.task_scheduled_event_details().map(|d| d.parameters()),
            e.task_succeeded_event_details().and_then(|d| d.output()),
            e.execution_started_event_details().and_then(|d| d.input()),
            e.execution_succeeded_event_details()
                .and_then(|d| d.output()),
        ];
        for s in sizes.into_iter().flatten() {
            largest = largest.max(s.len());
        }
    }
    Ok(largest)
}

/// Transitions in moto's history: every state entered, Map iterations included.
async fn transitions(env: &Env, execution: &str) -> Result<u64> {
    Ok(history(env, execution)
        .await?
        .iter()
        .filter(|e| e.state_entered_event_details().is_some())
        .count() as u64)
}

const FIVE: [u64; 5] = [128, 256, 512, 1024, 1536];

async fn cost_in_series(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 10, "powerValues": FIVE, "strategy": "cost"}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &FIVE)?;
    ensure!(e.output["strategy"] == "cost");
    // Scenario 6: the priced transitions are the ones moto's interpreter made.
    let priced = (e.output["stateMachine"]["executionCost"]
        .as_f64()
        .unwrap_or(0.0)
        / 0.000025)
        .round() as u64;
    let counted = transitions(env, &e.arn).await?;
    ensure!(
        priced == counted,
        "the Analyzer priced {priced} transitions, moto's history has {counted}"
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn cost_in_parallel(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 10, "powerValues": FIVE, "parallelInvocation": true, "maxConcurrency": 4}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &FIVE)?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn balanced_with_output_results(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 6, "powerValues": FIVE, "strategy": "balanced", "balancedWeight": 0.3, "includeOutputResults": true}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &FIVE)?;
    let stats = e.output["stats"]
        .as_array()
        .context("no stats with includeOutputResults")?;
    ensure!(stats.len() == 5, "{} stats", stats.len());
    let best = stats
        .iter()
        .find(|s| s["value"] == e.output["power"])
        .context("the optimal power has no stats")?;
    ensure!(
        best["averagePrice"] == e.output["cost"] && best["averageDuration"] == e.output["duration"],
        "result and stats disagree"
    );
    for s in stats {
        ensure!(s["invocations"] == 6, "invocations {}", s["invocations"]);
        let ci = &s["durationStats"]["ci95"];
        let mean = s["averageDuration"].as_f64().unwrap_or(0.0);
        ensure!(
            ci["low"].as_f64().unwrap_or(f64::MAX) <= mean
                && mean <= ci["high"].as_f64().unwrap_or(0.0),
            "interval {ci} misses {mean}"
        );
    }
    ensure!(e.output["balancedWeight"] == 0.3);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn weighted_payloads(env: &Env) -> Result<()> {
    let payload = json!([{"payload": {"iterations": 1000}, "weight": 1}, {"payload": {"iterations": 5000}, "weight": 3}]);
    let e = execute(env, json!({"lambdaARN": arn("target"), "num": 8, "powerValues": [256, 512], "payload": payload})).await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn payload_from_s3(env: &Env) -> Result<()> {
    let _ = env
        .s3
        .create_bucket()
        .bucket("powertune-payloads")
        .send()
        .await;
    env.s3
        .put_object()
        .bucket("powertune-payloads")
        .key("payloads/input.json")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            br#"{"iterations": 2000}"#,
        ))
        .send()
        .await
        .map_err(|e| anyhow!("PutObject: {}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    let e = execute(env, json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512], "payloadS3": "s3://powertune-payloads/payloads/input.json"})).await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await?;

    let missing = execute(env, json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256], "payloadS3": "s3://powertune-payloads/missing.json"})).await?;
    failed_with(
        &missing,
        "PowerTuning.PayloadNotFound",
        &["s3://powertune-payloads/missing.json"],
    )?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn pre_and_post_processors(env: &Env) -> Result<()> {
    let before = invocations(env, "processor").await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512], "payload": {"iterations": 100},
               "preProcessorARN": arn("processor"), "postProcessorARN": arn("processor")}),
    )
    .await?;
    succeeded(&e)?;
    let calls = invocations(env, "processor").await? - before;
    ensure!(
        calls == 20,
        "the processors ran {calls} times, expected 2 x 5 x 2"
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn only_cold_starts(env: &Env) -> Result<()> {
    let e = execute(env, json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512], "onlyColdStarts": true, "includeOutputResults": true})).await?;
    succeeded(&e)?;
    for s in e.output["stats"].as_array().context("no stats")? {
        ensure!(
            s["coldStarts"] == s["invocations"] && s["invocations"] == 5,
            "not every invocation was cold: {s}"
        );
    }
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn auto_optimize_with_alias(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512, 1024], "autoOptimize": true, "autoOptimizeAlias": "best"}),
    )
    .await?;
    succeeded(&e)?;
    let power = e.output["power"].as_i64().context("no power")? as i32;
    let alias = env
        .lambda
        .get_alias()
        .function_name("target")
        .name("best")
        .send()
        .await?;
    let version = alias
        .function_version()
        .context("alias without version")?
        .to_string();
    let v = env
        .lambda
        .get_function_configuration()
        .function_name("target")
        .qualifier(&version)
        .send()
        .await?;
    ensure!(
        v.memory_size() == Some(power),
        "alias best points at {:?} MB, the optimum is {power}",
        v.memory_size()
    );
    let latest = env
        .lambda
        .get_function_configuration()
        .function_name("target")
        .send()
        .await?;
    ensure!(
        latest.memory_size() == Some(power),
        "$LATEST has {:?} MB after autoOptimize",
        latest.memory_size()
    );
    // Put the function back for the next scenarios.
    env.lambda
        .delete_alias()
        .function_name("target")
        .name("best")
        .send()
        .await?;
    env.lambda
        .delete_function()
        .function_name("target")
        .qualifier(&version)
        .send()
        .await?;
    env.lambda
        .update_function_configuration()
        .function_name("target")
        .memory_size(ORIGINAL_MEMORY)
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn dry_run(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 1, "powerValues": [128, 256], "dryRun": true}),
    )
    .await?;
    succeeded(&e)?;
    ensure!(e.output["dryRun"] == true, "output {}", e.output);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn function_error_at_one_power_value(env: &Env) -> Result<()> {
    let e = execute(env, json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512, 1024], "payload": {"failAt": [512]}})).await?;
    failed_with(
        &e,
        "PowerTuning.InvocationError",
        &["512 MB", "refuses to run with 512 MB"],
    )?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn out_of_memory_at_128(env: &Env) -> Result<()> {
    let e = execute(env, json!({"lambdaARN": arn("hungry"), "num": 5, "powerValues": [128, 1024], "payload": {"megabytes": 200}})).await?;
    failed_with(
        &e,
        "PowerTuning.InvocationError",
        &["Runtime.OutOfMemory", "128 MB"],
    )?;
    assert_untouched(env, "hungry", ORIGINAL_MEMORY).await
}

async fn throttled_invokes(env: &Env) -> Result<()> {
    // Only the tuned function is throttled: moto reports a throttled Lambda task as "Exception"
    // where Step Functions says "Lambda.TooManyRequestsException", so the definition's Retry
    // could not match it. The Executor's own retries are what this scenario tests.
    set_faults(
        env,
        json!({"throttleShare": 0.3, "throttleFunctions": ["target"]}),
    )
    .await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 10, "powerValues": [256, 512]}),
    )
    .await;
    set_faults(env, json!({})).await?;
    let e = e?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn bad_inputs(env: &Env) -> Result<()> {
    for (input, expect) in [
        (
            json!({"lambdaARN": arn("target"), "num": 3}),
            "\\\"num\\\" is 3",
        ),
        (
            json!({"lambdaARN": arn("target"), "num": 5, "strategy": "fastest"}),
            "\\\"strategy\\\" is \\\"fastest\\\"",
        ),
        (
            json!({"lambdaARN": arn("target"), "num": 5, "stratgy": "cost"}),
            "did you mean \\\"strategy\\\"",
        ),
    ] {
        let e = execute(env, input).await?;
        failed_with(&e, "PowerTuning.InvalidInput", &[expect])?;
    }
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

fn command_env(env: &Env, command: &mut std::process::Command) {
    command
        .env("AWS_ENDPOINT_URL_SFN", &env.moto)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("STATE_MACHINE_ARN", &env.state_machine)
        .env("POLL_SECONDS", "1")
        .env("POWERTUNE_POLL_MS", "300");
}

async fn execute_sh(env: &Env) -> Result<()> {
    let input =
        std::env::temp_dir().join(format!("powertune-e2e-input-{}.json", std::process::id()));
    std::fs::write(
        &input,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}).to_string(),
    )?;
    let mut command = std::process::Command::new("bash");
    command.arg(env.root.join("scripts/execute.sh")).arg(&input);
    command_env(env, &mut command);
    let out = tokio::task::spawn_blocking(move || command.output()).await??;
    ensure!(
        out.status.success(),
        "execute.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let output: Value =
        serde_json::from_slice(&out.stdout).context("execute.sh printed no JSON")?;
    check_result(&output, &[256, 512])?;

    // A failed execution makes it exit non-zero with the error and cause.
    std::fs::write(
        &input,
        json!({"lambdaARN": arn("target"), "num": 2}).to_string(),
    )?;
    let mut command = std::process::Command::new("bash");
    command.arg(env.root.join("scripts/execute.sh")).arg(&input);
    command_env(env, &mut command);
    let out = tokio::task::spawn_blocking(move || command.output()).await??;
    ensure!(
        out.status.code() == Some(1),
        "execute.sh exited {:?} for a failed execution",
        out.status.code()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        stderr.contains("FAILED") && stderr.contains("PowerTuning.InvalidInput"),
        "{stderr}"
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn powertune_tune_remote(env: &Env) -> Result<()> {
    let mut command = std::process::Command::new(env.bins.join("powertune"));
    command.args([
        "tune",
        "--state-machine-arn",
        &env.state_machine,
        "--lambda-arn",
        &arn("target"),
        "--num",
        "5",
        "--power-values",
        "256,512",
        "--output",
        "json",
    ]);
    command_env(env, &mut command);
    let out = tokio::task::spawn_blocking(move || command.output()).await??;
    ensure!(
        out.status.success(),
        "powertune tune failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let output: Value = serde_json::from_slice(&out.stdout).context("powertune printed no JSON")?;
    check_result(&output, &[256, 512])?;
    ensure!(
        output["stats"].as_array().map(Vec::len) == Some(2),
        "the report's stats are missing"
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Runs `input` with `faults` set in the emulator, and clears them afterwards.
async fn execute_with_faults(env: &Env, faults: Value, input: Value) -> Result<Execution> {
    set_faults(env, faults).await?;
    let e = execute(env, input).await;
    set_faults(env, json!({})).await?;
    e
}

async fn control_plane_throttled_at_half(env: &Env) -> Result<()> {
    // Half of every control-plane call (the steps' and nothing else: faults are off while the
    // driver checks) answers 429, as Lambda does past its ~15 requests/s quota.
    let e = execute_with_faults(
        env,
        json!({"controlPlaneThrottleShare": 0.5}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512, 1024]}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512, 1024])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn versions_pending_two_seconds(env: &Env) -> Result<()> {
    // A new version is Pending for 2 s and invoking it meanwhile is a 409: the Publisher waits
    // for Active before the alias exists.
    let e = execute_with_faults(
        env,
        json!({"versionPendingMs": 2000}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn publisher_killed_mid_round(env: &Env) -> Result<()> {
    // The Publisher makes about seven calls per configuration (update, one or more waits,
    // publish, wait for Active, GetAlias, CreateAlias); killing it after each of its first 2 to
    // 11 calls lands, whatever the number of polls, between every pair of calls of the first
    // configuration and right after the second configuration's PublishVersion. The state
    // machine retries the killed Publisher, which starts again from the Initializer's plan and
    // publishes new versions: those of the killed round are in no plan, and some have no alias.
    // The Cleaner must find them by their description.
    for after_calls in 2..=11 {
        let e = execute_with_faults(
            env,
            json!({"killStep": {"function": "powertune-publisher", "afterCalls": after_calls}}),
            json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512, 1024]}),
        )
        .await?;
        succeeded(&e).with_context(|| format!("Publisher killed after {after_calls} calls"))?;
        check_result(&e.output, &[256, 512, 1024])?;
        assert_untouched(env, "target", ORIGINAL_MEMORY)
            .await
            .with_context(|| format!("Publisher killed after {after_calls} calls"))?;
    }
    Ok(())
}

async fn plan_too_big_for_256_kb(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 2000, "powerValues": "ALL", "onlyColdStarts": true}),
    )
    .await?;
    failed_with(
        &e,
        "PowerTuning.InvalidInput",
        &["262144 bytes (256 KB)", "lower \\\"num\\\" to at most"],
    )?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn largest_plan_that_fits(env: &Env) -> Result<()> {
    // The biggest payload the Initializer's estimate lets through for this run, found with the
    // same estimate: every state of the execution must then stay under 256 KB.
    let power_values = [256u64, 512];
    let base = json!({"lambdaARN": arn("target"), "num": 5, "powerValues": power_values, "includeOutputResults": true});
    let estimate = |bytes: usize| -> Result<powertune_steps::state::StateSize> {
        let mut input = base.clone();
        input["payload"] = json!({"padding": "x".repeat(bytes)});
        let parsed = powertune_core::input::ExecutionInput::from_json(
            &input,
            &powertune_core::input::Defaults::default(),
        )?;
        let function = powertune_steps::events::FunctionSnapshot {
            arn: arn("target"),
            region: REGION.into(),
            architecture: powertune_core::pricing::Architecture::X86_64,
            memory_size: ORIGINAL_MEMORY as u32,
            description: ORIGINAL_DESCRIPTION.into(),
            snap_start: false,
        };
        let plan = powertune_steps::events::Plan::new(&parsed, function, "x".repeat(12));
        Ok(powertune_steps::state::largest_state(&plan, &parsed))
    };
    let (mut low, mut high) = (0usize, powertune_steps::state::STATE_LIMIT_BYTES);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if estimate(mid)?.fits() {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let mut input = base.clone();
    input["payload"] = json!({"padding": "x".repeat(low)});
    let e = execute(env, input).await?;
    succeeded(&e)?;
    check_result(&e.output, &power_values)?;
    let limit = powertune_steps::state::STATE_LIMIT_BYTES;
    ensure!(
        e.largest_state * 10 > limit * 8,
        "the largest state, {} bytes, is not near the limit: the estimate is too cautious",
        e.largest_state
    );
    println!(
        "  largest plan that fits: {} bytes of payload, largest state {} bytes (limit {limit}, estimate {})",
        low,
        e.largest_state,
        estimate(low)?.largest
    );
    let mut over = base;
    over["payload"] = json!({"padding": "x".repeat(low + 1)});
    let rejected = execute(env, over).await?;
    failed_with(&rejected, "PowerTuning.InvalidInput", &["256 KB"])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Issue 10: a Python function (the python-cpu example, on the host's Python and Lambda's
/// awslambdaric) tuned through the state machine, as most users' functions would be.
async fn python_function(env: &Env) -> Result<()> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print('python3.%d' % sys.version_info[1])",
        ])
        .output()
        .context("python3 runs")?;
    let runtime = String::from_utf8_lossy(&out.stdout).trim().to_string();
    env.lambda
        .create_function()
        .function_name("python-target")
        .runtime(Runtime::from(runtime.as_str()))
        .handler("app.handler")
        .role(format!("arn:aws:iam::{ACCOUNT}:role/python-target"))
        .memory_size(ORIGINAL_MEMORY)
        .timeout(30)
        .description(ORIGINAL_DESCRIPTION)
        .code(
            FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(
                    env.root
                        .join("examples/functions/python-cpu")
                        .display()
                        .to_string(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "CreateFunction python-target ({runtime}): {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        })?;
    let powers = [128, 512, 1769];
    let e = execute(
        env,
        json!({"lambdaARN": arn("python-target"), "num": 5, "powerValues": powers, "payload": {"iterations": 200000}, "includeOutputResults": true}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &powers)?;
    let duration = |power: u64| -> Result<f64> {
        e.output["stats"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["value"] == power))
            .and_then(|x| x["averageDuration"].as_f64())
            .with_context(|| format!("no stats for {power} MB in {}", e.output))
    };
    // Under Lambda's CPU shares the Python loop is several times slower at 128 MB.
    let (slow, fast) = (duration(128)?, duration(1769)?);
    ensure!(
        slow > 4.0 * fast,
        "128 MB took {slow:.1} ms and 1769 MB {fast:.1} ms: the CPU share did not apply"
    );
    assert_untouched(env, "python-target", ORIGINAL_MEMORY).await
}

async fn reserved_concurrency_zero(env: &Env) -> Result<()> {
    env.lambda
        .put_function_concurrency()
        .function_name("target")
        .reserved_concurrent_executions(0)
        .send()
        .await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256]}),
    )
    .await;
    env.lambda
        .delete_function_concurrency()
        .function_name("target")
        .send()
        .await?;
    let e = e?;
    failed_with(&e, "PowerTuning.InvalidInput", &["reserved concurrency 0"])?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

type Scenario =
    for<'a> fn(&'a Env) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>>;

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), (|env| Box::pin($name(env))) as Scenario)),*]
    };
}

#[tokio::main]
async fn main() -> Result<()> {
    let root = PathBuf::from(var("POWERTUNE_ROOT")?);
    let emulator = var("POWERTUNE_EMULATOR")?;
    let moto = var("POWERTUNE_MOTO")?;
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&emulator)
            .credentials_provider(credentials())
            .build(),
    );
    let sfn = aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new(REGION))
            .endpoint_url(&moto)
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                "test", "test", None, None, "e2e",
            ))
            .build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(REGION))
            .endpoint_url(&moto)
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "e2e",
            ))
            .build(),
    );
    let mut env = Env {
        root,
        bins: PathBuf::from(var("POWERTUNE_BINS")?),
        emulator,
        moto,
        lambda,
        sfn,
        s3,
        state_machine: String::new(),
    };
    let started = Instant::now();
    deploy(&mut env).await.context("deploying the stack")?;
    println!(
        "deployed the stack in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let only: Option<String> = std::env::args().nth(1);
    let all = scenarios![
        cost_in_series,
        cost_in_parallel,
        balanced_with_output_results,
        weighted_payloads,
        payload_from_s3,
        pre_and_post_processors,
        only_cold_starts,
        auto_optimize_with_alias,
        dry_run,
        function_error_at_one_power_value,
        out_of_memory_at_128,
        throttled_invokes,
        bad_inputs,
        execute_sh,
        powertune_tune_remote,
        control_plane_throttled_at_half,
        versions_pending_two_seconds,
        publisher_killed_mid_round,
        plan_too_big_for_256_kb,
        largest_plan_that_fits,
        reserved_concurrency_zero,
        python_function,
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, scenario) in all {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let t = Instant::now();
        let outcome = scenario(&env).await;
        let secs = t.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("PASS {name} ({secs:.1} s)");
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {name} ({secs:.1} s): {e:#}");
            }
        }
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} scenario(s) failed");
    }
    Ok(())
}
