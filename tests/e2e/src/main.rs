//! End-to-end scenarios: `statemachine/statemachine.asl.json` runs in moto's Step Functions
//! interpreter, whose Lambda tasks reach the powertune emulator, where the seven step binaries and
//! the target functions run. Every scenario checks the execution's status and output, and that
//! the target function has no alias or version left and its original `$LATEST`.
//!
//! Started by `tests/e2e/run.sh`, which provides the endpoints and built binaries through
//! environment variables. Prints one line per scenario and `N passed, N failed`.

mod failures;
mod harness;
mod managed;
mod scenarios;

use anyhow::{bail, Context, Result};
use aws_sdk_lambda::config::{BehaviorVersion, Region};
use failures::*;
use harness::{credentials, deploy, var, Env, REGION};
use managed::*;
use scenarios::*;
use std::path::PathBuf;
use std::time::Instant;

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

    // Scenario names to run (all when none is given).
    let only: Vec<String> = std::env::args().skip(1).collect();
    // Longest first (durations of a run on the 2-core machine), so that lanes finish together.
    let all = scenarios![
        publisher_killed_mid_round,
        managed_instances_version_stays_pending,
        managed_instances_executor_killed,
        managed_instances_with_the_control_plane_throttled,
        managed_instances_run,
        managed_instances_with_traffic_from_the_logs,
        managed_instances_priced_from_the_price_list,
        powertune_tune_remote_managed_instances,
        managed_instances_on_an_on_demand_function_are_refused,
        cleaner_at_scale_with_a_short_timeout,
        a_large_payload_many_times,
        execute_sh,
        publisher_killed_during_a_slow_update,
        control_plane_throttled_at_half,
        adaptive_sampling,
        out_of_memory_at_128,
        out_of_memory_everywhere,
        latency_budget,
        cold_start_rate,
        cold_start_rate_auto,
        only_cold_starts,
        python_function,
        node_init_over_ten_seconds,
        cost_in_series,
        priced_in_a_non_us_region,
        optimizer_killed_before_its_alias,
        function_error_at_one_power_value,
        throttled_invokes,
        versions_pending_two_seconds,
        only_cold_starts_after_an_executor_retry,
        a_pending_function_is_waited_for,
        cost_in_parallel,
        balanced_with_output_results,
        largest_plan_that_fits,
        payload_from_s3,
        transport_failures_are_retried,
        auto_optimize_with_alias,
        pre_and_post_processors,
        plan_too_big_for_256_kb,
        a_history_over_25000_events_is_refused_up_front,
        a_function_timeout_longer_than_the_steps_fails_only_its_power_value,
        an_inactive_function_is_restored_by_the_run,
        weighted_payloads,
        dry_run,
        powertune_tune_remote,
        logs_without_a_report_are_refused_up_front,
        bad_inputs,
        code_storage_quota_is_checked_up_front,
        a_users_alias_named_like_a_run_alias_is_left_alone,
        provisioned_concurrency_taking_all_reserved_is_refused,
        reserved_concurrency_zero,
    ];
    // With lanes (tests/e2e/run.sh), each scenario runs in the first lane to claim it.
    let claims = std::env::var_os("POWERTUNE_E2E_CLAIMS").map(PathBuf::from);
    let claim = |name: &str| match &claims {
        None => true,
        Some(dir) => std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(name))
            .is_ok(),
    };
    if let Ok(lane) = std::env::var("POWERTUNE_E2E_LANE") {
        println!("lane {lane}");
    }
    let (mut passed, mut failed) = (0, 0);
    for (name, scenario) in all {
        if !only.is_empty() && !only.iter().any(|o| o == name) || !claim(name) {
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
