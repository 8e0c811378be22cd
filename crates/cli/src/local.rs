//! Local tuning: the seven steps, in the state machine's order, against the embedded emulator.

use crate::function::LocalFunction;
use crate::schedule::{share, Schedule};
use anyhow::{anyhow, Context, Result};
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_sdk_lambda::types::{
    Architecture as LambdaArchitecture, Environment, FunctionCode, Runtime,
};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use powertune_core::input::ExecutionInput;
use powertune_core::output::TuningResult;
use powertune_core::power::PowerStats;
use powertune_core::pricing::Architecture;
use powertune_emulator::{Config, Emulator};
use powertune_steps::analyzer::{self, analysis_env};
use powertune_steps::events::{AnalyzerEvent, ExecutorEvent, ExecutorOutput, OptimizerEvent, Plan};
use powertune_steps::lambda::{LambdaApi, Waits};
use powertune_steps::sampler::{self, SamplerEvent};
use powertune_steps::{cleaner, executor, initializer, optimizer, publisher};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The name the function gets in the emulator.
pub const FUNCTION_NAME: &str = "powertune-local";

/// The memory the function has before tuning when no template says.
const INITIAL_MEMORY_MB: u32 = 1024;

/// What a local run needs besides the execution input.
pub struct LocalRun {
    pub function: LocalFunction,
    pub region: String,
    pub architecture: Architecture,
    pub timeout_seconds: u32,
    pub show_progress: bool,
    /// Faults the embedded emulator injects (`--emulator-faults`).
    pub faults: Option<powertune_emulator::Faults>,
    /// The CPU an Init phase gets (`--init-cpu`).
    pub init_cpu: powertune_emulator::InitCpu,
    /// Which power values of a round run at once.
    pub schedule: Schedule,
}

/// What a local run produced.
pub struct Outcome {
    /// `None` for a dry run.
    pub result: Option<TuningResult>,
    pub stats: Vec<PowerStats>,
    pub limits: String,
    pub elapsed: Duration,
    /// The functions' own time: the sum of every measured duration.
    pub function_time: Duration,
    /// How many Publisher invocations the run took.
    pub publisher_rounds: usize,
}

fn progress_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Runs Initializer -> Publisher (until done) -> rounds of one Executor per power value and the
/// Sampler (until settled) -> Cleaner -> Analyzer -> Optimizer against an embedded emulator. Any failure after the Initializer runs
/// the Cleaner before it is reported, as the state machine's CleanUpOnError does.
pub async fn run(input: &ExecutionInput, run: &LocalRun) -> Result<Outcome> {
    let started = Instant::now();
    let config = Config {
        region: run.region.clone(),
        update_delay: Duration::from_millis(20),
        init_cpu: run.init_cpu,
        ..Config::default()
    };
    let emulator = Emulator::start(config, "127.0.0.1:0".parse()?)
        .await
        .context("cannot start the emulator")?;
    let limits = format!(
        "{} on {} cores, {}",
        emulator.limits_mode(),
        emulator.host_cores(),
        match run.schedule {
            Schedule::OneAtATime => "one power value at a time".to_string(),
            Schedule::Shared { headroom } => format!(
                "power values side by side within {:.0}% of the cores",
                headroom * 100.0
            ),
        }
    );
    // The steps' own clients (powertune_steps::runtime::lambda_api): the control plane retried
    // 20 times in its own partition, as in the deployed state machine.
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(run.region.clone()))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "local",
            "local",
            None,
            None,
            "powertune",
        )))
        .build();
    let lambda = powertune_steps::runtime::lambda_api(&sdk, None).with_waits(Waits {
        poll: Duration::from_millis(10),
        timeout: Duration::from_secs(120),
        ..Waits::default()
    });
    // The function exists before the run, as on AWS: faults apply from the run's first call.
    let client = aws_sdk_lambda::Client::new(&sdk);
    let function = &run.function;
    client
        .create_function()
        .function_name(FUNCTION_NAME)
        .runtime(Runtime::from(function.runtime.to_string().as_str()))
        .handler(&function.handler)
        .role("arn:aws:iam::123456789012:role/powertune-local")
        .memory_size(function.memory_size.unwrap_or(INITIAL_MEMORY_MB) as i32)
        .timeout(run.timeout_seconds as i32)
        .description("powertune local run")
        .architectures(LambdaArchitecture::from(run.architecture.as_str()))
        .environment(
            Environment::builder()
                .set_variables(Some(function.environment.clone().into_iter().collect()))
                .build(),
        )
        .code(
            FunctionCode::builder()
                .s3_bucket(powertune_emulator::LOCAL_BUCKET)
                .s3_key(function.code_dir.display().to_string())
                .build(),
        )
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            // The emulator's own words: a runtime that cannot run here says what to install.
            Some(service) => anyhow!(
                "{}",
                service
                    .meta()
                    .message()
                    .unwrap_or("the emulator refused the function")
            ),
            None => anyhow!(
                "the emulator refused the function: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            ),
        })?;
    if let Some(faults) = &run.faults {
        emulator.set_faults(faults.clone());
    }

    let plan = initializer::initialize(&lambda, None, input, "local", false).await?;
    match after_initializer(&lambda, plan.clone(), run, emulator.host_cores()).await {
        Ok(Finished {
            result,
            stats,
            publisher_rounds,
        }) => {
            let function_ms: f64 = stats.iter().map(PowerStats::function_time_ms).sum();
            Ok(Outcome {
                result,
                publisher_rounds,
                function_time: Duration::from_secs_f64(function_ms / 1000.0),
                stats,
                limits,
                elapsed: started.elapsed(),
            })
        }
        Err(e) => {
            // As CleanUpOnError: clean up, then report the original error.
            if let Err(cleanup) = cleaner::clean(&lambda, &plan, None).await {
                eprintln!("warning: cleanup after the failure also failed: {cleanup}");
            }
            Err(e)
        }
    }
}

/// One round: an Executor per power value the plan samples, started as `schedule` allows.
/// The first error stops the round (the others are aborted) and is returned.
async fn run_round(
    lambda: &LambdaApi,
    plan: &Plan,
    schedule: Schedule,
    host_cores: usize,
    bars: &[(u32, ProgressBar)],
) -> Result<Vec<ExecutorOutput>> {
    let bar_of = |value: u32| bars.iter().find(|(v, _)| *v == value).map(|(_, b)| b);
    // Smallest first: they take longest, so the others run beside them.
    let mut waiting: Vec<u32> = plan.sampling.values.clone();
    let mut running: Vec<(u32, f64)> = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut round = Vec::new();
    loop {
        let shares: Vec<f64> = running.iter().map(|r| r.1).collect();
        if let Some(i) = schedule.next(&waiting, &shares, host_cores) {
            let value = waiting.remove(i);
            running.push((value, share(value, host_cores)));
            let first = u64::from(plan.sampling.first);
            let progress: executor::Progress = match bar_of(value) {
                Some(bar) => {
                    let tick = bar.clone();
                    Arc::new(move |done| tick.set_position(first + u64::from(done)))
                }
                None => Arc::new(|_| {}),
            };
            let lambdas = executor::Lambdas::same(lambda);
            let event = ExecutorEvent::of_round(plan, value);
            tasks.spawn(async move {
                let out =
                    executor::execute_with_progress(&lambdas, None, event, Some(progress)).await;
                (value, out)
            });
            continue;
        }
        let Some(joined) = tasks.join_next().await else {
            return Ok(round);
        };
        let (value, out) = joined.map_err(|e| anyhow!("an Executor task failed: {e}"))?;
        running.retain(|r| r.0 != value);
        match out {
            Ok(output) => round.push(output),
            Err(e) => {
                if let Some(bar) = bar_of(value) {
                    bar.abandon_with_message("failed");
                }
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return Err(e.into());
            }
        }
    }
}

/// What the steps after the Initializer produced, before the run's timings are added.
struct Finished {
    /// `None` for a dry run.
    result: Option<TuningResult>,
    stats: Vec<PowerStats>,
    publisher_rounds: usize,
}

async fn after_initializer(
    lambda: &LambdaApi,
    mut plan: Plan,
    run: &LocalRun,
    host_cores: usize,
) -> Result<Finished> {
    while !plan.publishing_done {
        plan = publisher::publish(lambda, plan, Duration::from_secs(3600)).await?;
    }
    let input = plan.input.clone();
    let multi = MultiProgress::new();
    if !run.show_progress {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    // With coldSamples, each power value's first round also makes its extra cold starts.
    let total = if input.dry_run {
        1
    } else {
        input.num + input.cold_samples - 1
    };
    let bars: Vec<(u32, ProgressBar)> = input
        .power_values
        .iter()
        .map(|&value| {
            let bar = multi.add(ProgressBar::new(u64::from(total)));
            bar.set_style(progress_style());
            bar.set_prefix(format!("{value} MB"));
            (value, bar)
        })
        .collect();
    let bar_of = |value: u32| bars.iter().find(|(v, _)| *v == value).map(|(_, b)| b);
    // Rounds as the state machine runs them (one for a plain run); within a round, power values
    // at once as far as their CPU shares fit the host (or one at a time), so that they do not
    // slow each other down.
    while !plan.sampling.settled {
        let round = run_round(lambda, &plan, run.schedule, host_cores, &bars).await?;
        plan = sampler::sample(SamplerEvent { plan, round })?;
        for output in &plan.results {
            let (value, message) = match output {
                ExecutorOutput::Stats(s) if plan.sampling.values.contains(&s.value) => continue,
                ExecutorOutput::Stats(s) => (
                    s.value,
                    if let Some(f) = &s.failures {
                        format!("failed: {} in {} of {}", f.error_type, f.failed, f.made)
                    } else if s
                        .stop_reason
                        .as_ref()
                        .is_some_and(|r| r.is_out_of_running())
                    {
                        format!("{:.2} ms, out of the running", s.average_duration)
                    } else {
                        format!("{:.2} ms", s.average_duration)
                    },
                ),
                ExecutorOutput::DryRun { value, .. } => (*value, "ok".to_string()),
            };
            if let Some(bar) = bar_of(value).filter(|b| !b.is_finished()) {
                bar.finish_with_message(message);
            }
        }
    }
    cleaner::clean(lambda, &plan, None).await?;

    let stats = plan.power_stats();
    if input.dry_run {
        return Ok(Finished {
            result: None,
            stats,
            publisher_rounds: plan.publisher_rounds,
        });
    }
    let event = AnalyzerEvent {
        input: plan.input.clone(),
        stats: stats.clone(),
        publisher_rounds: plan.publisher_rounds,
        cleaner_rounds: 1,
        sampling: Some(plan.sampling.clone()),
        // A local function has a current memory only when its template gives one.
        current_memory: run.function.memory_size,
    };
    let analysis = analyzer::analyze(&event, &analysis_env(Some(run.region.clone())))?;
    if input.auto_optimize {
        let event = OptimizerEvent {
            input: plan.input.clone(),
            function: plan.function.clone(),
            run_id: plan.run_id.clone(),
            analysis: analysis.clone(),
        };
        optimizer::optimize(lambda, &event).await?;
    }
    Ok(Finished {
        result: Some(analysis),
        stats,
        publisher_rounds: plan.publisher_rounds,
    })
}
