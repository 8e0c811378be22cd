//! The failure modes of a real account found in the second review (tests/e2e/README.md maps
//! each to its defect): transport failures, slow updates, function states, the Cleaner at scale,
//! the code storage quota, large payloads, configurations that can only fail, the user's own
//! aliases, cold starts after a retry and the Optimizer's version.

use crate::harness::*;
use crate::scenarios::execute_with_faults;
use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};
use std::time::Duration;

/// Connections to the tuned function reset four times in a row: more than the SDK's three
/// attempts, so the Executor fails with `Lambda.DispatchFailure`, which the state machine retries.
pub(crate) async fn transport_failures_are_retried(env: &Env) -> Result<()> {
    let e = execute_with_faults(
        env,
        json!({"dropConnections": {"operations": ["Invoke"], "functions": ["target"], "inARow": 4}}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Updates take 6 s (AWS: seconds) and the Publisher is killed right after its first
/// UpdateFunctionConfiguration: the retried Publisher finds that update still in progress.
pub(crate) async fn publisher_killed_during_a_slow_update(env: &Env) -> Result<()> {
    let e = execute_with_faults(
        env,
        json!({"updateDurationMs": 6000, "killStep": {"function": "powertune-publisher", "afterCalls": 1}}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// The function is `Pending` for 3 s when the run starts (Lambda refuses every update then).
pub(crate) async fn a_pending_function_is_waited_for(env: &Env) -> Result<()> {
    set_function_state(env, "target", json!({"state": "Pending", "forMs": 3000})).await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// An idle function Lambda made `Inactive`: the Publisher's first update restores it.
pub(crate) async fn an_inactive_function_is_restored_by_the_run(env: &Env) -> Result<()> {
    set_function_state(env, "target", json!({"state": "Inactive"})).await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    let state = env
        .lambda
        .get_function_configuration()
        .function_name("target")
        .send()
        .await?;
    ensure!(
        state.state().map(|s| s.as_str()) == Some("Active"),
        "target is {:?} after the run",
        state.state()
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// 60 configurations (`onlyColdStarts`, num 12, five power values) on a stack whose steps time
/// out after 10 s, with every delete taking 300 ms (a control plane that answers slowly, or
/// throttles): deleting 120 aliases and versions takes over 36 s, more than three Cleaner
/// invocations (one and its two retries) can do.
pub(crate) async fn cleaner_at_scale_with_a_short_timeout(env: &Env) -> Result<()> {
    let short = deploy_stack(env, "short", 10).await?;
    set_faults(
        env,
        json!({"updateDurationMs": 0, "operationLatencyMs": {"DeleteAlias": 300, "DeleteFunction": 300}}),
    )
    .await?;
    let powers = [128u64, 256, 512, 1024, 1536];
    let e = execute_on(
        env,
        &short,
        json!({"lambdaARN": arn("target"), "num": 12, "powerValues": powers, "onlyColdStarts": true}),
    )
    .await;
    set_faults(env, json!({})).await?;
    let e = e?;
    succeeded(&e)?;
    check_result(&e.output, &powers)?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// The account's code storage has room for two more versions of the function, and the run needs
/// three: refused before anything is published.
pub(crate) async fn code_storage_quota_is_checked_up_front(env: &Env) -> Result<()> {
    let settings = env.lambda.get_account_settings().send().await?;
    let used = settings
        .account_usage()
        .map(|u| u.total_code_size())
        .context("no AccountUsage")?;
    let size = env
        .lambda
        .get_function_configuration()
        .function_name("target")
        .send()
        .await?
        .code_size();
    let e = execute_with_faults(
        env,
        json!({"codeStorageLimitBytes": used + 2 * size}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512, 1024]}),
    )
    .await?;
    failed_with(&e, "PowerTuning.InvalidInput", &["code storage"])?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// A 220 KB payload invoked 700 times by one Executor (128 MB), in parallel: a copy per
/// in-flight invocation would be 154 MB, so the Executor holds at most 32 MB of them at once.
/// At 3008 MB the target parses each payload fast.
pub(crate) async fn a_large_payload_many_times(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 700, "powerValues": [3008],
               "parallelInvocation": true,
               "payload": {"padding": "x".repeat(220_000)}}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[3008])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

async fn set_logging(env: &Env, config: aws_sdk_lambda::types::LoggingConfig) -> Result<()> {
    env.lambda
        .update_function_configuration()
        .function_name("target")
        .logging_config(config)
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// The JSON log format with a system log level of WARN: Lambda drops START and REPORT, so no
/// invocation could be measured.
pub(crate) async fn logs_without_a_report_are_refused_up_front(env: &Env) -> Result<()> {
    use aws_sdk_lambda::types::{LogFormat, LoggingConfig, SystemLogLevel};
    set_logging(
        env,
        LoggingConfig::builder()
            .log_format(LogFormat::Json)
            .system_log_level(SystemLogLevel::Warn)
            .build(),
    )
    .await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512]}),
    )
    .await;
    set_logging(
        env,
        LoggingConfig::builder()
            .log_format(LogFormat::Json)
            .system_log_level(SystemLogLevel::Info)
            .build(),
    )
    .await?;
    set_logging(
        env,
        LoggingConfig::builder().log_format(LogFormat::Text).build(),
    )
    .await?;
    let e = e?;
    failed_with(&e, "PowerTuning.InvalidInput", &["SystemLogLevel"])?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await?;

    // With coldStartRate "auto" too, the cheap refusal comes first: the Logs Insights query
    // (which would answer that a never-invoked function has no log group) runs last.
    create_function(env, "quiet-json", "noop", ORIGINAL_MEMORY, 30, &[]).await?;
    env.lambda
        .update_function_configuration()
        .function_name("quiet-json")
        .logging_config(
            LoggingConfig::builder()
                .log_format(LogFormat::Json)
                .system_log_level(SystemLogLevel::Warn)
                .build(),
        )
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let e = execute(
        env,
        json!({"lambdaARN": arn("quiet-json"), "num": 5, "powerValues": [256, 512],
               "coldStartRate": "auto"}),
    )
    .await?;
    failed_with(&e, "PowerTuning.InvalidInput", &["SystemLogLevel"])?;
    assert_untouched(env, "quiet-json", ORIGINAL_MEMORY).await
}

/// A function of the user's own, with version 1 and an alias pointing at it.
async fn function_with_alias(env: &Env, name: &str, alias: &str) -> Result<()> {
    create_function(env, name, "picky", ORIGINAL_MEMORY, 30, &[]).await?;
    env.lambda
        .publish_version()
        .function_name(name)
        .send()
        .await?;
    env.lambda
        .create_alias()
        .function_name(name)
        .name(alias)
        .function_version("1")
        .description("the user's own")
        .send()
        .await?;
    Ok(())
}

/// The function has version 1 only, `alias` points at it with the user's description, and
/// `$LATEST` is as it was; then the function is deleted.
async fn left_as_the_user_had_it(env: &Env, name: &str, alias: &str) -> Result<()> {
    let a = env
        .lambda
        .get_alias()
        .function_name(name)
        .name(alias)
        .send()
        .await
        .with_context(|| format!("the alias {alias} of {name} is gone"))?;
    ensure!(
        a.function_version() == Some("1") && a.description() == Some("the user's own"),
        "{alias} was changed: {a:?}"
    );
    let versions = env
        .lambda
        .list_versions_by_function()
        .function_name(name)
        .send()
        .await?;
    let numbers: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version())
        .collect();
    ensure!(numbers == ["$LATEST", "1"], "versions left: {numbers:?}");
    let latest = env
        .lambda
        .get_function_configuration()
        .function_name(name)
        .send()
        .await?;
    ensure!(
        latest.memory_size() == Some(ORIGINAL_MEMORY),
        "{name} has {:?} MB",
        latest.memory_size()
    );
    env.lambda
        .delete_function()
        .function_name(name)
        .send()
        .await?;
    Ok(())
}

/// The user's own alias `RAM512` on the tuned function: the run's alias for 512 MB would take
/// it over (and the Cleaner delete it, with whatever hangs on it).
pub(crate) async fn a_users_alias_named_like_a_run_alias_is_left_alone(env: &Env) -> Result<()> {
    function_with_alias(env, "aliased", "RAM512").await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("aliased"), "num": 5, "powerValues": [256, 512]}),
    )
    .await;
    let kept = left_as_the_user_had_it(env, "aliased", "RAM512").await;
    let e = e?;
    kept?;
    failed_with(&e, "PowerTuning.InvalidInput", &["RAM512"])?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    Ok(())
}

/// Reserved concurrency 2, all of it provisioned for the alias `live`: the versions a run
/// publishes get no concurrency, and every invocation would be throttled.
pub(crate) async fn provisioned_concurrency_taking_all_reserved_is_refused(
    env: &Env,
) -> Result<()> {
    function_with_alias(env, "provisioned", "live").await?;
    env.lambda
        .put_function_concurrency()
        .function_name("provisioned")
        .reserved_concurrent_executions(2)
        .send()
        .await?;
    env.lambda
        .put_provisioned_concurrency_config()
        .function_name("provisioned")
        .qualifier("live")
        .provisioned_concurrent_executions(2)
        .send()
        .await?;
    let e = execute(
        env,
        json!({"lambdaARN": arn("provisioned"), "num": 5, "powerValues": [256, 512]}),
    )
    .await;
    env.lambda
        .delete_provisioned_concurrency_config()
        .function_name("provisioned")
        .qualifier("live")
        .send()
        .await?;
    let kept = left_as_the_user_had_it(env, "provisioned", "live").await;
    let e = e?;
    kept?;
    failed_with(
        &e,
        "PowerTuning.InvalidInput",
        &["provisioned concurrency", "live"],
    )?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    Ok(())
}

/// `onlyColdStarts`: the third invocation fails once, the Executor is retried, and the two
/// aliases it had already invoked are warm by then.
pub(crate) async fn only_cold_starts_after_an_executor_retry(env: &Env) -> Result<()> {
    let e = execute_with_faults(
        env,
        json!({"failInvocation": {"function": "target", "after": 2}}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [512], "onlyColdStarts": true, "includeOutputResults": true}),
    )
    .await?;
    succeeded(&e)?;
    let stats = &e.output["stats"][0];
    ensure!(
        stats["coldStarts"] == stats["invocations"],
        "warm invocations were measured as cold starts: {stats}"
    );
    let warnings: Vec<&str> = e.output["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    ensure!(
        warnings
            .iter()
            .any(|w| w.contains("512 MB") && w.contains("warm")),
        "no warning says which invocations were warm: {warnings:?}"
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// The Optimizer is killed after publishing the optimal version, before the alias points at it.
pub(crate) async fn optimizer_killed_before_its_alias(env: &Env) -> Result<()> {
    let e = execute_with_faults(
        env,
        json!({"killStep": {"function": "powertune-optimizer", "afterCalls": 4}}),
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512], "autoOptimize": true, "autoOptimizeAlias": "best"}),
    )
    .await?;
    let versions = env
        .lambda
        .list_versions_by_function()
        .function_name("target")
        .send()
        .await?;
    let numbers: Vec<String> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version())
        .filter(|v| *v != "$LATEST")
        .map(str::to_string)
        .collect();
    let alias = env
        .lambda
        .get_alias()
        .function_name("target")
        .name("best")
        .send()
        .await
        .ok();
    // Put the function back for the next scenarios, whatever happened.
    if alias.is_some() {
        env.lambda
            .delete_alias()
            .function_name("target")
            .name("best")
            .send()
            .await?;
    }
    for v in &numbers {
        env.lambda
            .delete_function()
            .function_name("target")
            .qualifier(v)
            .send()
            .await?;
    }
    env.lambda
        .update_function_configuration()
        .function_name("target")
        .memory_size(ORIGINAL_MEMORY)
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    succeeded(&e)?;
    let pointed = alias
        .as_ref()
        .and_then(|a| a.function_version())
        .context("the alias best does not exist")?;
    ensure!(
        numbers == [pointed],
        "versions {numbers:?} are left, the alias points at {pointed}"
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Issue 27: a run whose history would pass Step Functions' 25,000 events (onlyColdStarts x
/// "ALL" at num 100 is 4,600 configurations; with a 10 s step timeout the Publisher publishes
/// one per invocation) is refused by the Initializer with the numbers, before anything changes.
pub(crate) async fn a_history_over_25000_events_is_refused_up_front(env: &Env) -> Result<()> {
    let brief = deploy_stack(env, "brief", 10).await?;
    let e = execute_on(
        env,
        &brief,
        json!({"lambdaARN": arn("target"), "num": 100, "powerValues": "ALL", "onlyColdStarts": true}),
    )
    .await?;
    failed_with(
        &e,
        "PowerTuning.InvalidInput",
        &[
            "events to the execution's history",
            "4600 configurations",
            "totalExecutionTimeout 10 s",
        ],
    )?;
    ensure!(e.last_state == "Initializer", "failed in {}", e.last_state);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Issue 27: a function whose own timeout (60 s) outlasts the steps' (10 s) and that hangs at
/// 128 MB: the Executor gives the invocation up before its deadline and 128 MB is left out as a
/// timeout (powerValueFailures "memory"), instead of the Executor being killed, retried twice
/// and the run failing.
pub(crate) async fn a_function_timeout_longer_than_the_steps_fails_only_its_power_value(
    env: &Env,
) -> Result<()> {
    let stuck = deploy_stack(env, "stuck", 10).await?;
    create_function(env, "slowpoke", "picky", ORIGINAL_MEMORY, 60, &[]).await?;
    let e = execute_on(
        env,
        &stuck,
        json!({"lambdaARN": arn("slowpoke"), "num": 5, "powerValues": [128, 256],
               "includeOutputResults": true,
               "payload": {"hangAt": [128], "hangSeconds": 40, "iterations": 1000}}),
    )
    .await?;
    succeeded(&e)?;
    ensure!(e.output["power"] == 256, "power {}", e.output["power"]);
    let failed = e.output["stats"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["value"] == 128))
        .map(|s| s["failures"].clone())
        .unwrap_or_default();
    ensure!(
        failed["errorType"] == "Sandbox.Timedout"
            && failed["message"]
                .as_str()
                .is_some_and(|m| m.contains("timeout (60 s) is longer than what a step has")),
        "128 MB failures {failed}"
    );
    assert_untouched(env, "slowpoke", ORIGINAL_MEMORY).await
}
