//! Lambda Managed Instances through the state machine: a run on the function's own capacity
//! provider (each configuration published, driven by its Executor, deleted; `$LATEST`'s
//! memory, description and capacity provider configuration put back), the refusal of an
//! on-demand function, and the faults the issue names: a throttled control plane, a version
//! that stays pending, a killed Executor.

use crate::harness::*;
use crate::scenarios::{command_env, execute_with_faults};
use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};

/// Two configurations of the I/O-bound function (it waits 100 ms): 2048 MB at 2 GiB per vCPU,
/// concurrency 1 and 4, one second each.
fn lmi_input() -> Value {
    json!({
        "lambdaARN": arn("lmi"), "num": 5, "powerValues": [2048],
        "managedInstances": true, "memorySizes": [2048], "memoryPerVcpu": [2],
        "concurrencies": [1, 4], "loadSeconds": 1, "monthlyInvocations": 100_000_000u64
    })
}

/// The LMI document: a row per configuration with what it held, a recommendation, the loads
/// kept for `powertune analyze`, and why there is no break-even.
fn check_lmi_output(output: &Value) -> Result<()> {
    let rows = output["managedInstances"]["rows"]
        .as_array()
        .context("no managedInstances.rows in the output")?;
    ensure!(rows.len() == 2, "{} rows: {output}", rows.len());
    let throughput = |i: usize| rows[i]["throughput"].as_f64().unwrap_or(0.0);
    // 100 ms a request: about 10 per second at concurrency 1, about 40 at 4.
    ensure!(
        (5.0..=11.0).contains(&throughput(0)),
        "concurrency 1 held {} requests/s",
        throughput(0)
    );
    ensure!(
        throughput(1) > 2.0 * throughput(0),
        "concurrency 4 held {} requests/s against {} at 1",
        throughput(1),
        throughput(0)
    );
    ensure!(
        output["managedInstances"]["recommended"].is_u64(),
        "no recommendation: {}",
        output["managedInstances"]["why"]
    );
    let warnings = output["managedInstances"]["warnings"].to_string();
    ensure!(
        warnings.contains("No break-even against on-demand Lambda"),
        "{warnings}"
    );
    let loads = output["measured"]["loads"]
        .as_array()
        .context("no measured.loads")?;
    ensure!(loads.len() == 2, "{} loads saved", loads.len());
    Ok(())
}

pub(crate) async fn managed_instances_run(env: &Env) -> Result<()> {
    let e = execute(env, lmi_input()).await?;
    succeeded(&e)?;
    check_lmi_output(&e.output)?;
    // The Price List has no price here: the bundled table's, and the run says so.
    let row = &e.output["managedInstances"]["rows"][0];
    ensure!(row["price"]["source"] == "bundled", "{}", row["price"]);
    let warnings = e.output["managedInstances"]["warnings"].to_string();
    ensure!(
        warnings
            .contains("Not in the Price List, priced from the bundled us-east-1 table: c7i.large"),
        "{warnings}"
    );
    assert_lmi_untouched(env).await
}

/// The Initializer reads the function's region's EC2 prices from the Price List Query API, and
/// the analysis prices the environments with them (1 vCPU at 2 GiB: half a c7i.large).
pub(crate) async fn managed_instances_priced_from_the_price_list(env: &Env) -> Result<()> {
    set_prices(
        env,
        json!([{"regionCode": REGION, "instanceType": "c7i.large", "usdPerHour": 0.2},
               {"regionCode": "eu-west-1", "instanceType": "c7i.large", "usdPerHour": 0.9}]),
    )
    .await?;
    let e = execute(env, lmi_input()).await;
    set_prices(env, json!([])).await?;
    let e = e?;
    succeeded(&e)?;
    check_lmi_output(&e.output)?;
    let row = &e.output["managedInstances"]["rows"][0];
    ensure!(
        row["price"]["source"] == "priceList" && row["price"]["vcpuHour"] == 0.1,
        "{}",
        row["price"]
    );
    let hourly = row["price"]["hourly"].as_f64().unwrap_or(0.0);
    ensure!((hourly - 0.1 * 1.15).abs() < 1e-9, "{hourly}");
    let warnings = e.output["managedInstances"]["warnings"].to_string();
    ensure!(
        warnings.contains(&format!("the AWS Price List API for {REGION}"))
            && warnings.contains("c7i.large $0.2/h")
            && !warnings.contains("priced from a bundled table"),
        "{warnings}"
    );
    ensure!(
        e.output["measured"]["instancePrices"]["hourly"][0] == json!(["c7i.large", 0.2]),
        "{}",
        e.output["measured"]["instancePrices"]
    );
    assert_lmi_untouched(env).await
}

/// Lambda sets a function's compute type when it is created: an on-demand function is refused
/// before anything changes.
pub(crate) async fn managed_instances_on_an_on_demand_function_are_refused(
    env: &Env,
) -> Result<()> {
    let mut input = lmi_input();
    input["lambdaARN"] = json!(arn("target"));
    let e = execute(env, input).await?;
    ensure!(
        e.status == "FAILED" && e.error == "PowerTuning.InvalidInput",
        "{} {}: {}",
        e.status,
        e.error,
        e.cause
    );
    ensure!(e.cause.contains("runs on demand"), "{}", e.cause);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Half of every control-plane call answers 429 (the Publisher's updates and publishes, the
/// Cleaner's deletes and restore); the drive's invocations are not control plane.
pub(crate) async fn managed_instances_with_the_control_plane_throttled(env: &Env) -> Result<()> {
    let e =
        execute_with_faults(env, json!({"controlPlaneThrottleShare": 0.5}), lmi_input()).await?;
    succeeded(&e)?;
    check_lmi_output(&e.output)?;
    assert_lmi_untouched(env).await
}

/// Every new version stays Pending (on AWS: a capacity provider that cannot launch instances),
/// on a stack whose steps time out after 15 s: the Publisher's wait gives up before its deadline
/// (PowerTuning.WaitTimedOut), is retried twice, and the run fails; the pending versions are
/// deleted and `$LATEST` is as it was.
pub(crate) async fn managed_instances_version_stays_pending(env: &Env) -> Result<()> {
    let short = deploy_stack(env, "lmi-short", 15).await?;
    set_faults(env, json!({"versionPendingMs": 3_600_000u64})).await?;
    let e = execute_on(env, &short, lmi_input()).await;
    set_faults(env, json!({})).await?;
    let e = e?;
    ensure!(
        e.status == "FAILED" && e.error == "PowerTuning.WaitTimedOut",
        "{} {} in {}: {}",
        e.status,
        e.error,
        e.last_state,
        e.cause
    );
    assert_lmi_untouched(env).await
}

/// The Executors are killed after the run's first few invocations: the state machine retries
/// them, and each drives its configuration again from the start.
pub(crate) async fn managed_instances_executor_killed(env: &Env) -> Result<()> {
    let e = execute_with_faults(
        env,
        json!({"killStep": {"function": "powertune-executor", "afterCalls": 3}}),
        lmi_input(),
    )
    .await?;
    succeeded(&e)?;
    // The kill happened: a task failed, and was retried.
    let failed = history(env, &e.arn)
        .await?
        .iter()
        .filter(|h| {
            h.lambda_function_failed_event_details().is_some()
                || h.task_failed_event_details().is_some()
        })
        .count();
    ensure!(failed >= 1, "no Executor was killed");
    check_lmi_output(&e.output)?;
    assert_lmi_untouched(env).await
}

/// `powertune tune --managed-instances` on the state machine: the bound before the execution
/// starts, the table, the saved document; then `powertune analyze --on-demand` adds the
/// comparison the run could not make, from an on-demand tuning's file.
pub(crate) async fn powertune_tune_remote_managed_instances(env: &Env) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("powertune-e2e-lmi-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (lmi_json, od_json) = (dir.join("lmi.json"), dir.join("od.json"));
    let powertune = |args: Vec<String>| {
        let mut command = std::process::Command::new(env.bins.join("powertune"));
        command.args(args);
        command_env(env, &mut command);
        async move {
            let out = tokio::task::spawn_blocking(move || command.output()).await??;
            ensure!(
                out.status.success(),
                "powertune failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Ok::<_, anyhow::Error>(out)
        }
    };
    let s = |v: &str| v.to_string();
    let out = powertune(vec![
        s("tune"),
        s("--state-machine-arn"),
        env.state_machine.clone(),
        s("--lambda-arn"),
        arn("lmi"),
        // No --num: an LMI run on AWS invokes no power value.
        s("--managed-instances"),
        s("--memory-sizes"),
        s("2048"),
        s("--memory-per-vcpu"),
        s("2"),
        s("--concurrencies"),
        s("1,4"),
        s("--load-seconds"),
        s("1"),
        s("--monthly-invocations"),
        s("100000000"),
        s("--json"),
        lmi_json.display().to_string(),
    ])
    .await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 1 + 4 slots, each a first request and 200 a second over 0.5 s and 1 s: 1,505 requests at
    // $0.20 a million; two versions of 3 environments of 1 vCPU, half a c7i.large each
    // ($0.08925 an hour) plus the 15% fee: 6 x $0.0513.
    ensure!(
        stderr.contains("2 configurations published on its capacity provider")
            && stderr.contains("at most 1,505 requests ($0.0003 in request charges)")
            && stderr.contains("cost about $0.31 an hour"),
        "{stderr}"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    ensure!(table.lines().any(|l| l.starts_with('▶')), "{table}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&lmi_json)?)?;
    check_lmi_output(&saved)?;
    assert_lmi_untouched(env).await?;

    powertune(vec![
        s("tune"),
        s("--state-machine-arn"),
        env.state_machine.clone(),
        s("--lambda-arn"),
        arn("target"),
        s("--num"),
        s("5"),
        s("--power-values"),
        s("256,512"),
        s("--json"),
        od_json.display().to_string(),
        s("--output"),
        s("json"),
    ])
    .await?;
    let od: Value = serde_json::from_str(&std::fs::read_to_string(&od_json)?)?;
    let out = powertune(vec![
        s("analyze"),
        lmi_json.display().to_string(),
        s("--on-demand"),
        od_json.display().to_string(),
        s("--output"),
        s("json"),
    ])
    .await?;
    let redone: Value = serde_json::from_slice(&out.stdout).context("analyze printed no JSON")?;
    ensure!(
        redone["managedInstances"]["onDemand"]["powerMb"] == od["power"],
        "{} against {}",
        redone["managedInstances"]["onDemand"],
        od["power"]
    );
    ensure!(
        !redone["managedInstances"]["warnings"]
            .to_string()
            .contains("No break-even against on-demand Lambda"),
        "{}",
        redone["managedInstances"]["warnings"]
    );
    ensure!(
        redone["onDemand"]["power"] == od["power"],
        "{}",
        redone["onDemand"]
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// `monthlyInvocations: "auto"`: the traffic is the function's REPORT records of the last 14
/// days (an LMI function logs them as JSON `platform.report` records), scaled to a month; the
/// LMI analysis prices its month at it.
pub(crate) async fn managed_instances_with_traffic_from_the_logs(env: &Env) -> Result<()> {
    // A run first, so that the function has logged.
    let e = execute(env, lmi_input()).await?;
    succeeded(&e)?;
    let mut input = lmi_input();
    input["monthlyInvocations"] = json!("auto");
    let e = execute(env, input).await?;
    succeeded(&e)?;
    let read = &e.output["measured"]["input"]["monthlyInvocations"];
    let invocations = read["invocations"].as_u64().unwrap_or(0);
    let per_month = read["perMonth"].as_u64().unwrap_or(0);
    ensure!(invocations > 0 && read["days"] == 14, "{read}");
    // 730 hours over 14 days of 24.
    ensure!(
        per_month == (invocations as f64 * 730.0 / 336.0).round() as u64,
        "{read}"
    );
    ensure!(
        e.output["managedInstances"]["monthlyRequests"] == per_month,
        "{} against {read}",
        e.output["managedInstances"]["monthlyRequests"]
    );
    assert_lmi_untouched(env).await
}
