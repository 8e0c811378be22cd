//! The scenarios: one function each, run in order by `main`; each checks the execution's status
//! and output, and that the tuned function is left as it was.

use crate::harness::*;
use anyhow::{anyhow, ensure, Context, Result};
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) const FIVE: [u64; 5] = [128, 256, 512, 1024, 1536];

pub(crate) async fn cost_in_series(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 10, "powerValues": FIVE, "strategy": "cost", "monthlyInvocations": 1000000}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &FIVE)?;
    ensure!(e.output["strategy"] == "cost");
    // The projection's saving is against the memory the Initializer recorded.
    let projection = &e.output["projection"];
    ensure!(
        projection["currentMemory"] == ORIGINAL_MEMORY
            && projection["monthly"].as_array().map(Vec::len) == Some(FIVE.len())
            && projection["saving"]["amount"].is_number(),
        "projection {projection}"
    );
    // The priced transitions are the ones moto's interpreter made.
    priced_as_run(env, &e).await?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// The transitions the Analyzer priced (at us-east-1's $0.000025) are those in the history.
async fn priced_as_run(env: &Env, e: &Execution) -> Result<u64> {
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
    Ok(counted)
}

/// An adaptive run loops the Map and the Sampler until the decision settles. Noisy
/// durations (the emulator's durationNoise) make the first rounds undecided; 3008 MB, which
/// costs several times the rest, stops early.
pub(crate) async fn adaptive_sampling(env: &Env) -> Result<()> {
    let powers = [128, 256, 512, 1024, 3008];
    let e = execute_with_faults(
        env,
        json!({"durationNoise": {"sigma": 0.3, "functions": ["target"]}}),
        json!({"lambdaARN": arn("target"), "num": 40, "powerValues": powers, "adaptive": true,
               "includeOutputResults": true, "payload": {"iterations": 2000000}}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &powers)?;
    let sampling = &e.output["sampling"];
    let rounds = sampling["rounds"]
        .as_array()
        .map(Vec::len)
        .context("no sampling.rounds")?;
    let total = sampling["invocations"]
        .as_u64()
        .context("no sampling.invocations")?;
    ensure!(sampling["cap"] == 200, "cap {}", sampling["cap"]);
    ensure!(
        sampling["reason"]
            .as_str()
            .is_some_and(|r| r.contains("settled") || r.contains("reached")),
        "reason {}",
        sampling["reason"]
    );
    let stats = e.output["stats"].as_array().context("no stats")?;
    let mut counted = 0;
    for s in stats {
        let n = s["invocations"].as_u64().context("no invocations")?;
        ensure!(
            (5..=40).contains(&n),
            "{} MB got {n} invocations",
            s["value"]
        );
        ensure!(
            s["stopReason"]["kind"].is_string(),
            "{} MB has no stopReason: {}",
            s["value"],
            s["stopReason"]
        );
        counted += n;
    }
    ensure!(
        counted == total,
        "stats count {counted} invocations, sampling says {total}"
    );
    let at_3008 = stats
        .iter()
        .find(|s| s["value"] == 3008)
        .context("no 3008 MB")?;
    ensure!(
        at_3008["invocations"].as_u64() < Some(40),
        "3008 MB got every invocation: {at_3008}"
    );
    let transitions = priced_as_run(env, &e).await?;
    println!("  {rounds} rounds, {total} of 200 invocations, {transitions} transitions priced as counted");
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

pub(crate) async fn cost_in_parallel(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 10, "powerValues": FIVE, "parallelInvocation": true, "maxConcurrency": 4}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &FIVE)?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

pub(crate) async fn balanced_with_output_results(env: &Env) -> Result<()> {
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

pub(crate) async fn weighted_payloads(env: &Env) -> Result<()> {
    let payload = json!([{"payload": {"iterations": 1000}, "weight": 1}, {"payload": {"iterations": 5000}, "weight": 3}]);
    let e = execute(env, json!({"lambdaARN": arn("target"), "num": 8, "powerValues": [256, 512], "payload": payload})).await?;
    succeeded(&e)?;
    check_result(&e.output, &[256, 512])?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

pub(crate) async fn payload_from_s3(env: &Env) -> Result<()> {
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

pub(crate) async fn pre_and_post_processors(env: &Env) -> Result<()> {
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

pub(crate) async fn only_cold_starts(env: &Env) -> Result<()> {
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

pub(crate) async fn auto_optimize_with_alias(env: &Env) -> Result<()> {
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

pub(crate) async fn dry_run(env: &Env) -> Result<()> {
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 1, "powerValues": [128, 256], "dryRun": true}),
    )
    .await?;
    succeeded(&e)?;
    ensure!(e.output["dryRun"] == true, "output {}", e.output);
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// Any other function error fails the run, as in the reference; with `powerValueFailures:
/// "any"` it fails only its power value.
pub(crate) async fn function_error_at_one_power_value(env: &Env) -> Result<()> {
    let input = json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512, 1024], "payload": {"failAt": [512]}});
    let e = execute(env, input.clone()).await?;
    failed_with(
        &e,
        "PowerTuning.InvocationError",
        &["512 MB", "refuses to run with 512 MB"],
    )?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await?;

    let mut any = input;
    any["powerValueFailures"] = json!("any");
    any["includeOutputResults"] = json!(true);
    let e = execute(env, any).await?;
    succeeded(&e)?;
    let failed = failed_value(&e.output, 512)?;
    ensure!(
        failed["error"]
            .as_str()
            .is_some_and(|m| m.contains("refuses to run with 512 MB")),
        "512 MB: {failed}"
    );
    ensure!(e.output["power"] != 512, "the failed value was recommended");
    priced_as_run(env, &e).await?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// The entry of `value` in the result's statistics, which must say it failed: its error, type
/// and counts, and a warning naming it.
fn failed_value(output: &Value, value: u64) -> Result<Value> {
    let stats = output["stats"]
        .as_array()
        .context("no stats in the output")?;
    let entry = stats
        .iter()
        .find(|s| s["value"] == value)
        .with_context(|| format!("no statistics of {value} MB"))?;
    let failures = &entry["failures"];
    ensure!(
        failures["failed"].as_u64().is_some_and(|n| n >= 1)
            && failures["made"].as_u64() >= failures["failed"].as_u64()
            && failures["errorType"].is_string(),
        "{value} MB: {entry}"
    );
    let warned = output["warnings"].as_array().is_some_and(|w| {
        w.iter().any(|w| {
            w.as_str()
                .is_some_and(|w| w.starts_with(&format!("{value} MB failed: ")))
        })
    });
    ensure!(
        warned,
        "no warning about {value} MB: {}",
        output["warnings"]
    );
    Ok(entry.clone())
}

/// A power value that runs out of memory is reported and left out; the run succeeds with the
/// rest, and what it cost includes the failed invocations.
pub(crate) async fn out_of_memory_at_128(env: &Env) -> Result<()> {
    let e = execute(env, json!({"lambdaARN": arn("hungry"), "num": 5, "powerValues": [128, 1024], "payload": {"megabytes": 200}, "includeOutputResults": true})).await?;
    succeeded(&e)?;
    check_result(&e.output, &[1024])?;
    let failed = failed_value(&e.output, 128)?;
    ensure!(
        failed["failures"]["errorType"] == "Runtime.OutOfMemory"
            && failed["error"]
                .as_str()
                .is_some_and(|m| m.starts_with("Runtime.OutOfMemory in 1 of 1 invocations")),
        "128 MB: {failed}"
    );
    // The visualization carries the values that have a result: the public UI compares every
    // point it is given, so it cannot take one without figures.
    let url = e.output["stateMachine"]["visualization"]
        .as_str()
        .unwrap_or("");
    ensure!(url.contains('#'), "visualization {url}");
    priced_as_run(env, &e).await?;
    assert_untouched(env, "hungry", ORIGINAL_MEMORY).await
}

/// When every power value fails the run fails, and its cause lists each of them.
pub(crate) async fn out_of_memory_everywhere(env: &Env) -> Result<()> {
    let e = execute(env, json!({"lambdaARN": arn("hungry"), "num": 5, "powerValues": [128, 192], "payload": {"megabytes": 400}})).await?;
    failed_with(
        &e,
        "PowerTuning.AnalysisFailed",
        &[
            "Every power value failed",
            "128 MB: Runtime.OutOfMemory in 1 of 1 invocations",
            "192 MB: Runtime.OutOfMemory in 1 of 1 invocations",
        ],
    )?;
    assert_untouched(env, "hungry", ORIGINAL_MEMORY).await
}

pub(crate) async fn throttled_invokes(env: &Env) -> Result<()> {
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

pub(crate) async fn bad_inputs(env: &Env) -> Result<()> {
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

/// A latency budget through the state machine: a generous one is met by the pick, an impossible
/// one by no power value (the fastest is recommended and the run succeeds), and execute.sh's
/// --require-budget turns that into exit 5.
pub(crate) async fn latency_budget(env: &Env) -> Result<()> {
    let powers = [256, 512, 1024];
    let input = |budget: &str| {
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": powers, "maxDuration": budget,
               "includeOutputResults": true})
    };
    let e = execute(env, input("p95=60s")).await?;
    succeeded(&e)?;
    check_result(&e.output, &powers)?;
    let budget = &e.output["budget"];
    ensure!(
        budget["statistic"] == "p95"
            && budget["ms"] == 60000.0
            && budget["verdict"] == "meets"
            && budget["over"] == json!([]),
        "budget {budget}"
    );
    ensure!(
        e.output["decision"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!(
                "Budget p95 ≤ 60000 ms: {} MB meets it",
                e.output["power"]
            ))),
        "decision {}",
        e.output["decision"]
    );
    priced_as_run(env, &e).await?;

    let e = execute(env, input("p95=0.001ms")).await?;
    succeeded(&e)?;
    ensure!(
        e.output["budget"]["verdict"] == "none" && e.output["budget"]["over"] == json!(powers),
        "budget {}",
        e.output["budget"]
    );
    // The fastest by its average duration is the recommendation.
    let fastest = e.output["stats"]
        .as_array()
        .context("no stats")?
        .iter()
        .min_by(|a, b| {
            let d = |s: &Value| s["averageDuration"].as_f64().unwrap_or(f64::MAX);
            d(a).total_cmp(&d(b))
        })
        .map(|s| s["value"].clone());
    ensure!(
        Some(&e.output["power"]) == fastest.as_ref(),
        "power {} is not the fastest",
        e.output["power"]
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await?;

    let file =
        std::env::temp_dir().join(format!("powertune-e2e-budget-{}.json", std::process::id()));
    std::fs::write(&file, input("p95=0.001ms").to_string())?;
    let mut command = std::process::Command::new("bash");
    command
        .arg(env.root.join("scripts/execute.sh"))
        .arg(&file)
        .arg("--require-budget");
    command_env(env, &mut command);
    let out = tokio::task::spawn_blocking(move || command.output()).await??;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(5) && stderr.contains("over budget: no power value meets"),
        "execute.sh --require-budget exited {:?}: {stderr}",
        out.status.code()
    );
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// `coldStartRate` and `coldSamples` through the state machine: every power value's cold starts
/// (two of them versions of their own, published, invoked once and deleted like the others) and
/// warm invocations apart, the recommendation's blend in the output, and the decision's last
/// words on the rate.
pub(crate) async fn cold_start_rate(env: &Env) -> Result<()> {
    let powers = [256, 512, 1024];
    let e = execute(
        env,
        json!({"lambdaARN": arn("target"), "num": 6, "powerValues": powers, "coldStartRate": 0.05,
               "coldSamples": 3, "includeOutputResults": true}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &powers)?;
    for s in e.output["stats"].as_array().context("no stats")? {
        // The warm invocations: the steady ones and any the warm-up test set apart (under a
        // loaded CI machine the first warm invocations after a cold start can be slow enough
        // for it: 33.3 ms cold, then 11.2 and 7.8 against 2.1 to 7.7 once, 2026-12-05).
        let warm =
            s["warm"]["count"].as_u64().unwrap_or(0) + s["warmUp"]["count"].as_u64().unwrap_or(0);
        ensure!(
            // The first invocation's cold start and two versions invoked once each.
            s["cold"]["count"] == 3
                && s["cold"]["initDuration"].as_f64().is_some_and(|d| d > 0.0)
                && warm == 5
                && s["invocations"] == 6,
            "{s}"
        );
    }
    let blend = &e.output["blend"];
    ensure!(
        blend["rate"] == 0.05 && blend["cost"].as_f64().is_some_and(|c| c > 0.0),
        "blend {blend}"
    );
    ensure!(
        e.output["decision"]
            .as_str()
            .is_some_and(|d| d.contains("At 5% cold starts (warm and cold invocations blended)")),
        "decision {}",
        e.output["decision"]
    );
    priced_as_run(env, &e).await?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}

/// `coldStartRate: "auto"`: the Initializer reads the function's share of cold starts from its
/// log group with a Logs Insights query (here the emulator's, where every invocation logged);
/// a function that never logged is refused before anything changes.
pub(crate) async fn cold_start_rate_auto(env: &Env) -> Result<()> {
    let input = |function: &str| {
        json!({"lambdaARN": arn(function), "num": 5, "powerValues": [256, 1024],
               "coldStartRate": "auto"})
    };
    // Never invoked: no log group.
    create_function(env, "quiet", "noop", ORIGINAL_MEMORY, 30, &[]).await?;
    let e = execute(env, input("quiet")).await?;
    failed_with(
        &e,
        "PowerTuning.InvalidInput",
        &["/aws/lambda/quiet", "does not exist"],
    )?;
    assert_untouched(env, "quiet", ORIGINAL_MEMORY).await?;

    // Eight invocations of $LATEST, the first of them cold: 1 in 8.
    create_function(env, "traffic", "noop", ORIGINAL_MEMORY, 30, &[]).await?;
    for _ in 0..8 {
        env.lambda
            .invoke()
            .function_name("traffic")
            .send()
            .await
            .context("invoking traffic")?;
    }
    // Logs Insights past its 30 concurrent queries per account: the first StartQuery calls
    // answer LimitExceededException, which the Initializer's client retries.
    set_faults(env, json!({"logsLimitExceeded": 3})).await?;
    let e = execute(env, input("traffic")).await;
    set_faults(env, json!({})).await?;
    let e = e?;
    succeeded(&e)?;
    let blend = &e.output["blend"];
    ensure!(
        blend["rate"] == 0.125
            && blend["measured"]["invocations"] == 8
            && blend["measured"]["coldStarts"] == 1
            && blend["measured"]["logGroup"] == "/aws/lambda/traffic",
        "blend {blend}"
    );
    ensure!(
        e.output["decision"].as_str().is_some_and(|d| d.contains(
            "At 12.5% cold starts (read from the function's logs: 1 of 8 invocations in /aws/lambda/traffic over the last 14 days)"
        )),
        "decision {}",
        e.output["decision"]
    );
    priced_as_run(env, &e).await?;
    assert_untouched(env, "traffic", ORIGINAL_MEMORY).await?;

    // Two functions sharing one custom log group: the rate is the tuned function's alone.
    // "shop-a" starts cold once in 8 invocations; "shop-b" logs one cold start into the same
    // group, which would make it 2 in 9 if its streams were counted.
    for name in ["shop-a", "shop-b"] {
        create_function(env, name, "noop", ORIGINAL_MEMORY, 30, &[]).await?;
        env.lambda
            .update_function_configuration()
            .function_name(name)
            .logging_config(
                aws_sdk_lambda::types::LoggingConfig::builder()
                    .log_group("/apps/shop")
                    .build(),
            )
            .send()
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (name, times) in [("shop-a", 8), ("shop-b", 1)] {
        for _ in 0..times {
            env.lambda.invoke().function_name(name).send().await?;
        }
    }
    let e = execute(env, input("shop-a")).await?;
    succeeded(&e)?;
    let blend = &e.output["blend"];
    ensure!(
        blend["rate"] == 0.125
            && blend["measured"]["invocations"] == 8
            && blend["measured"]["logGroup"] == "/apps/shop",
        "blend {blend}"
    );
    assert_untouched(env, "shop-a", ORIGINAL_MEMORY).await
}

pub(crate) fn command_env(env: &Env, command: &mut std::process::Command) {
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

pub(crate) async fn execute_sh(env: &Env) -> Result<()> {
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

    // --save keeps a baseline, and --baseline gates a later run on it through the CLI.
    let dir = std::env::temp_dir().join(format!("powertune-e2e-gate-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (saved, dearer, cheaper) = (
        dir.join("baseline.json"),
        dir.join("dearer.json"),
        dir.join("cheaper.json"),
    );
    std::fs::write(
        &input,
        json!({"lambdaARN": arn("target"), "num": 5, "powerValues": [256, 512], "includeOutputResults": true}).to_string(),
    )?;
    let run = |args: Vec<std::path::PathBuf>| {
        let mut command = std::process::Command::new("bash");
        command
            .arg(env.root.join("scripts/execute.sh"))
            .arg(&input)
            .args(args)
            .env("POWERTUNE", env.bins.join("powertune"));
        command_env(env, &mut command);
        command.output()
    };
    let out = run(vec!["--save".into(), saved.clone()])?;
    ensure!(
        out.status.success(),
        "execute.sh --save: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut baseline: Value = serde_json::from_str(&std::fs::read_to_string(&saved)?)?;
    ensure!(
        baseline["stats"].is_array(),
        "the saved output has no stats"
    );
    // The baselines are the saved run at a thousand times and a thousandth of its cost: two runs
    // of one function can differ by more than any small factor (a throttled invocation at 256 MB
    // bills up to 20 ms instead of 1), so only a wide margin makes the verdicts certain.
    let cost = baseline["cost"].as_f64().unwrap_or(0.0);
    baseline["cost"] = json!(cost * 1000.0);
    std::fs::write(&dearer, baseline.to_string())?;
    baseline["cost"] = json!(cost / 1000.0);
    std::fs::write(&cheaper, baseline.to_string())?;
    // Cheaper than the baseline passes even a 0% threshold.
    let out = run(vec![
        "--baseline".into(),
        dearer,
        "--max-cost-increase".into(),
        "0%".into(),
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.success() && stderr.contains("Recommended: "),
        "execute.sh --baseline: {stderr}"
    );
    // Far dearer than the baseline: exit 3 and the reason.
    let out = run(vec![
        "--baseline".into(),
        cheaper,
        "--max-cost-increase".into(),
        "10%".into(),
    ])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(3)
            && stderr.contains("regression: the recommended configuration is"),
        "execute.sh exited {:?} against a cheaper baseline: {stderr}",
        out.status.code()
    );
    // A baseline that cannot be read stops it before anything starts.
    let out = run(vec!["--baseline".into(), dir.join("missing.json")])?;
    ensure!(
        out.status.code() == Some(2)
            && String::from_utf8_lossy(&out.stderr).contains("cannot read the baseline"),
        "execute.sh with a missing baseline exited {:?}",
        out.status.code()
    );
    // So does one without stats (a result saved without includeOutputResults): exit 4, and no
    // execution started.
    let statless = dir.join("statless.json");
    let mut without = serde_json::from_str::<Value>(&std::fs::read_to_string(&saved)?)?;
    without
        .as_object_mut()
        .context("the saved run is an object")?
        .remove("stats");
    std::fs::write(&statless, without.to_string())?;
    let out = run(vec!["--baseline".into(), statless])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(4)
            && stderr.contains("cannot be compared")
            && !stderr.contains("Started"),
        "execute.sh with a baseline without stats exited {:?}: {stderr}",
        out.status.code()
    );

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

pub(crate) async fn powertune_tune_remote(env: &Env) -> Result<()> {
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
pub(crate) async fn execute_with_faults(
    env: &Env,
    faults: Value,
    input: Value,
) -> Result<Execution> {
    set_faults(env, faults).await?;
    let e = execute(env, input).await;
    set_faults(env, json!({})).await?;
    e
}

pub(crate) async fn control_plane_throttled_at_half(env: &Env) -> Result<()> {
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

pub(crate) async fn versions_pending_two_seconds(env: &Env) -> Result<()> {
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

pub(crate) async fn publisher_killed_mid_round(env: &Env) -> Result<()> {
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

pub(crate) async fn plan_too_big_for_256_kb(env: &Env) -> Result<()> {
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

pub(crate) async fn largest_plan_that_fits(env: &Env) -> Result<()> {
    // The biggest payload the Initializer's estimate lets through for this run, found with the
    // same estimate: every state of the execution must then stay under 256 KB.
    let power_values = [256u64, 512];
    let base = json!({"lambdaARN": arn("target"), "num": 5, "powerValues": power_values, "includeOutputResults": true});
    let estimate = |bytes: usize| -> Result<powertune_steps::state_size::StateSize> {
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
            ephemeral_storage_mb: 512,
            // As the Initializer records the target (30 s): every byte counts here.
            timeout_s: Some(30),
            managed: None,
            instance_prices: None,
        };
        let plan = powertune_steps::events::Plan::new(&parsed, function, "x".repeat(12));
        Ok(powertune_steps::state_size::largest_state(&plan, &parsed))
    };
    let (mut low, mut high) = (0usize, powertune_steps::state_size::STATE_LIMIT_BYTES);
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
    let limit = powertune_steps::state_size::STATE_LIMIT_BYTES;
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

/// A Python function (the python-cpu example, on the host's Python and Lambda's
/// awslambdaric) tuned through the state machine, as most users' functions would be.
pub(crate) async fn python_function(env: &Env) -> Result<()> {
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

pub(crate) async fn reserved_concurrency_zero(env: &Env) -> Result<()> {
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

pub(crate) type Scenario =
    for<'a> fn(&'a Env) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>>;

/// Issue 26: a Node.js function whose Init takes over 10 s at 128 MB. Lambda redoes such an Init
/// inside the first invocation under the function's timeout, and that REPORT has no Init
/// Duration: the power value is measured, not failed, and its first invocation is its cold
/// start.
pub(crate) async fn node_init_over_ten_seconds(env: &Env) -> Result<()> {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .context("node runs")?;
    let version = String::from_utf8_lossy(&out.stdout);
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or("20");
    let runtime = format!("nodejs{major}.x");
    env.lambda
        .create_function()
        .function_name("slow-init-target")
        .runtime(Runtime::from(runtime.as_str()))
        .handler("index.handler")
        .role(format!("arn:aws:iam::{ACCOUNT}:role/slow-init-target"))
        .memory_size(ORIGINAL_MEMORY)
        .timeout(30)
        .description(ORIGINAL_DESCRIPTION)
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("SLOW_INIT_MS", "10500")
                .build(),
        )
        .code(
            FunctionCode::builder()
                .s3_bucket("__local__")
                .s3_key(
                    env.root
                        .join("examples/functions/node-slow-init")
                        .display()
                        .to_string(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "CreateFunction slow-init-target ({runtime}): {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        })?;
    let powers = [128, 1024];
    let e = execute(
        env,
        json!({"lambdaARN": arn("slow-init-target"), "num": 5, "powerValues": powers, "includeOutputResults": true}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &powers)?;
    let small = e.output["stats"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["value"] == 128))
        .with_context(|| format!("no stats for 128 MB in {}", e.output))?;
    ensure!(small.get("error").is_none(), "128 MB failed: {small}");
    ensure!(small["coldStarts"] == 1, "128 MB: {small}");
    let cold = small["cold"]["duration"].as_f64().unwrap_or(0.0);
    ensure!(
        cold >= 10_500.0,
        "the redone Init is not in the first invocation: {small}"
    );
    assert_untouched(env, "slow-init-target", ORIGINAL_MEMORY).await
}

/// Issue 30: a function in Zurich (eu-central-2) is priced at Zurich's figures, $0.0000183334
/// per GB-s and $0.22 per million requests (the Executor reads the region from the ARN), with
/// no price warning; the state machine's transitions stay at the tool's region's price.
pub(crate) async fn priced_in_a_non_us_region(env: &Env) -> Result<()> {
    let zurich = format!("arn:aws:lambda:eu-central-2:{ACCOUNT}:function:target");
    let e = execute(
        env,
        json!({"lambdaARN": zurich, "num": 5, "powerValues": [128, 1024],
               "includeOutputResults": true, "monthlyInvocations": 1000000}),
    )
    .await?;
    succeeded(&e)?;
    check_result(&e.output, &[128, 1024])?;
    for s in e.output["stats"].as_array().into_iter().flatten() {
        let value = s["value"].as_f64().unwrap_or_default();
        let per_ms = s["samples"]["pricePerMs"].as_f64().unwrap_or_default();
        let expected = 0.0000183334 * value / 1024.0 / 1000.0;
        ensure!(
            (per_ms - expected).abs() < 1e-15,
            "{value} MB priced at {per_ms} per ms, Zurich's is {expected}"
        );
    }
    // The month adds Zurich's request price to the pick's average cost.
    let pick = e.output["power"].as_u64().unwrap_or_default();
    let average = e.output["stats"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["value"].as_u64() == Some(pick))
        .and_then(|s| s["averagePrice"].as_f64())
        .unwrap_or_default();
    let month = e.output["projection"]["monthly"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["value"].as_u64() == Some(pick))
        .and_then(|m| m["cost"].as_f64())
        .unwrap_or_default();
    ensure!(
        (month - (average + 0.22e-6) * 1e6).abs() < 0.01,
        "a month of {pick} MB costs {month}, expected {}",
        (average + 0.22e-6) * 1e6
    );
    let warnings = e.output["warnings"].to_string();
    ensure!(!warnings.contains("price"), "warnings {warnings}");
    priced_as_run(env, &e).await?;
    assert_untouched(env, "target", ORIGINAL_MEMORY).await
}
