//! The harness of the end-to-end suite: the deployed stack (steps and targets in the emulator,
//! the state machine in moto), executions and their histories, and the checks every scenario
//! shares.

use anyhow::{anyhow, ensure, Context, Result};
use aws_sdk_lambda::config::Credentials;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
use powertune_core::visualization;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const REGION: &str = "us-east-1";
pub(crate) const STEPS: [&str; 7] = [
    "initializer",
    "publisher",
    "executor",
    "sampler",
    "cleaner",
    "analyzer",
    "optimizer",
];
pub(crate) const ORIGINAL_MEMORY: i32 = 1024;
pub(crate) const ORIGINAL_DESCRIPTION: &str = "the function under test";
pub(crate) static EXECUTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) struct Env {
    pub(crate) root: PathBuf,
    pub(crate) bins: PathBuf,
    pub(crate) emulator: String,
    pub(crate) moto: String,
    pub(crate) lambda: aws_sdk_lambda::Client,
    pub(crate) sfn: aws_sdk_sfn::Client,
    pub(crate) s3: aws_sdk_s3::Client,
    pub(crate) state_machine: String,
}

pub(crate) fn var(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set; run tests/e2e/run.sh"))
}

pub(crate) fn arn(function: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
}

pub(crate) fn credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "e2e")
}

/// A directory holding `bin` as `bootstrap`.
pub(crate) fn code_dir(bin: &Path) -> Result<PathBuf> {
    let name = bin.file_name().and_then(|n| n.to_str()).unwrap_or("bin");
    let dir = std::env::temp_dir().join(format!("powertune-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let link = dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(bin, &link)?;
    Ok(dir)
}

pub(crate) async fn create_function(
    env: &Env,
    name: &str,
    bin: &str,
    memory: i32,
    timeout: i32,
    variables: &[(&str, String)],
) -> Result<()> {
    create_function_on(env, name, bin, memory, timeout, variables, None).await
}

/// The capacity provider of the e2e functions on Lambda Managed Instances.
pub(crate) const PROVIDER: &str = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:e2e";
/// Their memory per vCPU and concurrency before a run (the Cleaner must put them back).
pub(crate) const LMI_RATIO: f64 = 4.0;
pub(crate) const LMI_CONCURRENCY: i32 = 16;
/// Their memory: 2 vCPUs at 2 GiB each, 1 at 4.
pub(crate) const LMI_MEMORY: i32 = 4096;

/// [`create_function`], on [`PROVIDER`] at [`LMI_RATIO`] and [`LMI_CONCURRENCY`] when
/// `lmi` (a function's compute type is set when it is created).
pub(crate) async fn create_function_on(
    env: &Env,
    name: &str,
    bin: &str,
    memory: i32,
    timeout: i32,
    variables: &[(&str, String)],
    lmi: Option<&str>,
) -> Result<()> {
    let capacity = lmi
        .map(|arn| {
            aws_sdk_lambda::types::LambdaManagedInstancesCapacityProviderConfig::builder()
                .capacity_provider_arn(arn)
                .execution_environment_memory_gib_per_v_cpu(LMI_RATIO)
                .per_execution_environment_max_concurrency(LMI_CONCURRENCY)
                .build()
                .map(|c| {
                    aws_sdk_lambda::types::CapacityProviderConfig::builder()
                        .lambda_managed_instances_capacity_provider_config(c)
                        .build()
                })
        })
        .transpose()?;
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
        .set_capacity_provider_config(capacity)
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

/// "Deploys" the stack: the seven steps with the template's environment, the targets, and the
/// state machine with the template's DefinitionSubstitutions filled in.
pub(crate) async fn deploy(env: &mut Env) -> Result<()> {
    env.state_machine = deploy_stack(env, "powertune", 300).await?;
    for (name, bin) in [
        ("target", "picky"),
        ("hungry", "memory-hungry"),
        ("processor", "noop"),
    ] {
        create_function(env, name, bin, ORIGINAL_MEMORY, 30, &[]).await?;
    }
    create_function_on(env, "lmi", "io-bound", LMI_MEMORY, 30, &[], Some(PROVIDER)).await?;
    Ok(())
}

/// The steps as functions named `<prefix>-<step>` with `timeout` seconds (the template's
/// `totalExecutionTimeout`), and a state machine `<prefix>-e2e` over them; returns its ARN.
pub(crate) async fn deploy_stack(env: &Env, prefix: &str, timeout: u32) -> Result<String> {
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
        // Logs Insights (coldStartRate "auto") where the functions log: the emulator.
        ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", env.emulator.clone()),
        // The Price List Query API (an LMI run's EC2 prices) too.
        ("AWS_ENDPOINT_URL_PRICING", env.emulator.clone()),
        ("RUST_LOG", "warn".to_string()),
    ];
    for step in STEPS {
        // As the template: the steps that call no AWS API get 10 s.
        let timeout = if step == "analyzer" || step == "sampler" {
            10
        } else {
            timeout as i32
        };
        create_function(
            env,
            &format!("{prefix}-{step}"),
            step,
            128,
            timeout,
            &step_env,
        )
        .await?;
    }
    let mut definition =
        std::fs::read_to_string(env.root.join("statemachine/statemachine.asl.json"))?;
    for step in STEPS {
        definition = definition.replace(
            &format!("${{{step}Arn}}"),
            &arn(&format!("{prefix}-{step}")),
        );
    }
    definition = definition.replace("${totalExecutionTimeout}", &timeout.to_string());
    ensure!(
        !definition.contains("${"),
        "a substitution is left in the definition"
    );
    let created = env
        .sfn
        .create_state_machine()
        .name(format!("{prefix}-e2e"))
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
    Ok(created.state_machine_arn().to_string())
}

pub(crate) struct Execution {
    /// The largest state input or output in the history (bytes of UTF-8).
    pub(crate) largest_state: usize,
    /// The last state entered, to tell where a failed execution failed.
    pub(crate) last_state: String,
    pub(crate) arn: String,
    pub(crate) status: String,
    pub(crate) output: Value,
    pub(crate) error: String,
    pub(crate) cause: String,
}

pub(crate) async fn execute(env: &Env, input: Value) -> Result<Execution> {
    execute_on(env, &env.state_machine, input).await
}

/// Runs `input` on the state machine `state_machine` and waits for the end.
pub(crate) async fn execute_on(env: &Env, state_machine: &str, input: Value) -> Result<Execution> {
    // moto 5.2.5 names an execution started without a name "None", so a second one conflicts
    // (ExecutionAlreadyExists): always give one.
    let name = format!(
        "e2e-{}",
        EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let started = env
        .sfn
        .start_execution()
        .state_machine_arn(state_machine)
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
                largest_state < powertune_steps::state_size::STATE_LIMIT_BYTES,
                "execution {arn} carried a state of {largest_state} bytes, over Step Functions' 256 KB"
            );
            // The last state entered, from the whole history (moto 5.2.5 ignores
            // `reverseOrder`, so the first page of a reversed listing is the oldest events).
            let last_state = history(env, &arn)
                .await?
                .iter()
                .rev()
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
        if Instant::now() >= deadline {
            // Where it is stuck: the states entered so far, with how many times each.
            let events = history(env, &arn).await?;
            let start = events.first().map(|e| e.timestamp().secs()).unwrap_or(0);
            let mut entered: std::collections::BTreeMap<String, (usize, i64)> = Default::default();
            for e in &events {
                if let Some(d) = e.state_entered_event_details() {
                    let at = e.timestamp().secs() - start;
                    let slot = entered.entry(d.name().to_string()).or_insert((0, at));
                    slot.0 += 1;
                }
            }
            let mut states: Vec<String> = entered
                .iter()
                .map(|(name, (n, first))| format!("{name} x{n} (first at {first} s)"))
                .collect();
            // How long each task state took, last few.
            let mut open: Option<(String, f64)> = None;
            let mut spans = Vec::new();
            for e in &events {
                let t = e.timestamp().as_secs_f64();
                if let Some(d) = e.state_entered_event_details() {
                    open = Some((d.name().to_string(), t));
                } else if let Some(d) = e.state_exited_event_details() {
                    if let Some((name, t0)) = open.take().filter(|(n, _)| n == d.name()) {
                        spans.push(format!("{name} {:.1}s", t - t0));
                    }
                }
            }
            states.push(format!(
                "last: {}",
                spans
                    .iter()
                    .rev()
                    .take(10)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            anyhow::bail!(
                "execution {arn} still running after 240 s; states entered: {}",
                states.join(", ")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// No alias or version left on `function`, and `$LATEST` as it was.
pub(crate) async fn assert_untouched(env: &Env, function: &str, memory: i32) -> Result<()> {
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

/// [`assert_untouched`] for the LMI function, and its capacity provider configuration as
/// it was.
pub(crate) async fn assert_lmi_untouched(env: &Env) -> Result<()> {
    assert_untouched(env, "lmi", LMI_MEMORY).await?;
    let latest = env
        .lambda
        .get_function_configuration()
        .function_name("lmi")
        .send()
        .await?;
    let c = latest
        .capacity_provider_config()
        .and_then(|c| c.lambda_managed_instances_capacity_provider_config())
        .context("lmi has no capacity provider configuration after the run")?;
    ensure!(
        c.capacity_provider_arn() == PROVIDER
            && c.execution_environment_memory_gib_per_v_cpu() == Some(LMI_RATIO)
            && c.per_execution_environment_max_concurrency() == Some(LMI_CONCURRENCY),
        "lmi's capacity provider configuration is {c:?} after the run"
    );
    Ok(())
}

pub(crate) fn succeeded(e: &Execution) -> Result<()> {
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

pub(crate) fn failed_with(e: &Execution, error: &str, cause_contains: &[&str]) -> Result<()> {
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
pub(crate) fn check_result(output: &Value, power_values: &[u64]) -> Result<()> {
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

pub(crate) async fn invocations(env: &Env, function: &str) -> Result<u64> {
    let status = http_get(&env.emulator, "/_powertune/status").await?;
    Ok(status["invocations"][function].as_u64().unwrap_or(0))
}

/// Sets a function's `State` in the emulator (`Inactive`, or `Pending` for `for_ms`).
pub(crate) async fn set_function_state(env: &Env, function: &str, state: Value) -> Result<()> {
    let reply = http_post(
        &env.emulator,
        &format!("/_powertune/functions/{function}/state"),
        &state.to_string(),
    )
    .await?;
    ensure!(reply["status"] == "ok", "state not set: {reply}");
    Ok(())
}

/// Sets the EC2 prices the emulator's Price List API answers with.
pub(crate) async fn set_prices(env: &Env, prices: Value) -> Result<()> {
    let reply = http_post(&env.emulator, "/_powertune/prices", &prices.to_string()).await?;
    ensure!(reply["status"] == "ok", "prices not set: {reply}");
    Ok(())
}

pub(crate) async fn set_faults(env: &Env, faults: Value) -> Result<()> {
    let reply = http_post(&env.emulator, "/_powertune/faults", &faults.to_string()).await?;
    ensure!(reply["status"] == "ok", "faults not set: {reply}");
    Ok(())
}

pub(crate) async fn http(base: &str, request: String) -> Result<Value> {
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

pub(crate) async fn http_get(base: &str, path: &str) -> Result<Value> {
    http(
        base,
        format!("GET {path} HTTP/1.1\r\nHost: {{host}}\r\nConnection: close\r\n\r\n"),
    )
    .await
}

pub(crate) async fn http_post(base: &str, path: &str, body: &str) -> Result<Value> {
    http(
        base,
        format!("POST {path} HTTP/1.1\r\nHost: {{host}}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()),
    )
    .await
}

/// The whole history of an execution, page by page.
pub(crate) async fn history(
    env: &Env,
    execution: &str,
) -> Result<Vec<aws_sdk_sfn::types::HistoryEvent>> {
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
pub(crate) async fn largest_state(env: &Env, execution: &str) -> Result<usize> {
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
pub(crate) async fn transitions(env: &Env, execution: &str) -> Result<u64> {
    Ok(history(env, execution)
        .await?
        .iter()
        .filter(|e| e.state_entered_event_details().is_some())
        .count() as u64)
}
