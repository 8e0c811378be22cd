//! Local tuning: the seven steps, in the state machine's order, against the embedded emulator.

use crate::function::LocalFunction;
use crate::order::{self, Answer, Step};
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
use powertune_steps::events::{
    AnalyzerEvent, CleanupReport, ExecutorEvent, ExecutorOutput, OptimizerEvent, Plan,
};
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
pub struct Tuned {
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

/// The async runtime of a local run, which stops the run's environments when Ctrl-C or SIGTERM
/// ends it: each runs in a process group of its own, which a terminal's Ctrl-C does not reach,
/// and the process exits without dropping its emulator (exit code 130, as a shell reports an
/// interrupted command).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.spawn(async {
        let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        powertune_emulator::stop_all_environments();
        eprintln!("\nInterrupted: the local run's environments are stopped; nothing was saved.");
        std::process::exit(130);
    });
    Ok(runtime)
}

/// The embedded emulator with the local function created in it, and the steps' client.
pub struct Session {
    pub emulator: Emulator,
    pub lambda: LambdaApi,
    /// How the environments are limited, for the report.
    pub limits: String,
}

impl Session {
    /// Starts the emulator and creates the function in it (with `memory_mb` when its template
    /// gives none), as it exists before a run on AWS: faults apply from the run's first call.
    pub async fn start(run: &LocalRun, memory_mb: u32) -> Result<Session> {
        Session::start_on(run, memory_mb, None).await
    }

    /// [`Session::start`], the function created on `capacity_provider` (Lambda Managed
    /// Instances: a function's compute type is set when it is created).
    pub async fn start_on(
        run: &LocalRun,
        memory_mb: u32,
        capacity_provider: Option<&str>,
    ) -> Result<Session> {
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
        // The steps' own clients (powertune_steps::handlers::lambda_api): the control plane retried
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
        let lambda = powertune_steps::handlers::lambda_api(&sdk, None).with_waits(Waits {
            poll: Duration::from_millis(10),
            timeout: Duration::from_secs(120),
            ..Waits::default()
        });
        // The function exists before the run, as on AWS: faults apply from the run's first call.
        let client = aws_sdk_lambda::Client::new(&sdk);
        let function = &run.function;
        let capacity = capacity_provider
            .map(|arn| {
                aws_sdk_lambda::types::LambdaManagedInstancesCapacityProviderConfig::builder()
                    .capacity_provider_arn(arn)
                    .build()
                    .map(|lmi| {
                        aws_sdk_lambda::types::CapacityProviderConfig::builder()
                            .lambda_managed_instances_capacity_provider_config(lmi)
                            .build()
                    })
            })
            .transpose()
            .context("a capacity provider configuration")?;
        client
            .create_function()
            .set_capacity_provider_config(capacity)
            .function_name(FUNCTION_NAME)
            .runtime(Runtime::from(function.runtime.to_string().as_str()))
            .handler(&function.handler)
            .role("arn:aws:iam::123456789012:role/powertune-local")
            .memory_size(function.memory_size.unwrap_or(memory_mb) as i32)
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
        Ok(Session {
            emulator,
            lambda,
            limits,
        })
    }
}

/// Runs Initializer -> Publisher (until done) -> rounds of one Executor per power value and the
/// Sampler (until settled) -> Cleaner -> Analyzer -> Optimizer against an embedded emulator. Any failure after the Initializer runs
/// the Cleaner before it is reported, as the state machine's CleanUpOnError does.
pub async fn run(input: &ExecutionInput, run: &LocalRun) -> Result<Tuned> {
    let started = Instant::now();
    let Session {
        emulator,
        lambda,
        limits,
    } = Session::start(run, INITIAL_MEMORY_MB).await?;
    // An Initializer that fails has changed nothing: its error ends the run as it is.
    let plan = initializer::initialize(&lambda, None, input, "local", false).await?;
    let Finished {
        result,
        stats,
        publisher_rounds,
    } = after_initializer(&lambda, plan, run, emulator.host_cores()).await?;
    let function_ms: f64 = stats.iter().map(PowerStats::function_time_ms).sum();
    Ok(Tuned {
        result,
        publisher_rounds,
        function_time: Duration::from_secs_f64(function_ms / 1000.0),
        stats,
        limits,
        elapsed: started.elapsed(),
    })
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

/// The steps after the Initializer, in the state machine's order ([`order::next`]): Publisher
/// until done, rounds of Executors and the Sampler until settled, the Cleaner until done, the
/// Analyzer and the Optimizer; any failure goes to CleanUpOnError (the Cleaner until done) and
/// ends the run with the first error.
async fn after_initializer(
    lambda: &LambdaApi,
    mut plan: Plan,
    run: &LocalRun,
    host_cores: usize,
) -> Result<Finished> {
    let bars = progress_bars(&plan.input, run.show_progress);
    let mut answer = Answer {
        dry_run: plan.input.dry_run,
        ..Answer::default()
    };
    let mut round = Vec::new();
    let mut cleanup: Option<CleanupReport> = None;
    let mut result = None;
    let mut first_error: Option<anyhow::Error> = None;
    let mut step = Step::Publisher;
    loop {
        let done: Result<()> = match step {
            Step::Publisher => publisher::publish(lambda, plan.clone(), Duration::from_secs(3600))
                .await
                .map(|published| {
                    plan = published;
                    answer.publishing_done = plan.publishing_done;
                })
                .map_err(Into::into),
            Step::Branching => run_round(lambda, &plan, run.schedule, host_cores, &bars)
                .await
                .map(|r| round = r),
            Step::Sampler => sampler::sample(SamplerEvent {
                plan: plan.clone(),
                round: std::mem::take(&mut round),
            })
            .map(|sampled| {
                plan = sampled;
                answer.settled = plan.sampling.settled;
                show_finished(&plan, &bars);
            })
            .map_err(Into::into),
            Step::Cleaner | Step::CleanUpOnError => cleaner::clean(lambda, &plan, cleanup.as_ref())
                .await
                .map(|report| {
                    answer.cleanup_done = Some(report.done);
                    cleanup = Some(report);
                })
                .map_err(Into::into),
            Step::Analyzer => analyze(&plan, run, cleanup.as_ref()).map(|r| result = Some(r)),
            Step::Optimizer => optimize(lambda, &plan, result.as_ref()).await,
            Step::Succeeded => {
                return Ok(Finished {
                    result,
                    stats: plan.power_stats(),
                    publisher_rounds: plan.publisher_rounds,
                })
            }
            Step::Failed => {
                return Err(first_error.unwrap_or_else(|| anyhow!("the run failed")));
            }
        };
        answer.failed = done.is_err();
        if let Err(e) = done {
            match first_error {
                // CleanUpOnError's own failure: the run ends with the first error.
                Some(_) => eprintln!("warning: cleanup after the failure also failed: {e}"),
                None => first_error = Some(e),
            }
        }
        step = order::next(step, answer);
    }
}

/// A progress bar per power value, each to the invocations it will get.
fn progress_bars(input: &ExecutionInput, show: bool) -> Vec<(u32, ProgressBar)> {
    let multi = MultiProgress::new();
    if !show {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    // With coldSamples, each power value's first round also makes its extra cold starts.
    let total = if input.dry_run {
        1
    } else {
        input.num + input.cold_samples - 1
    };
    input
        .power_values
        .iter()
        .map(|&value| {
            let bar = multi.add(ProgressBar::new(u64::from(total)));
            bar.set_style(progress_style());
            bar.set_prefix(format!("{value} MB"));
            (value, bar)
        })
        .collect()
}

/// Finishes the bar of every power value the Sampler no longer invokes, saying how it ended.
fn show_finished(plan: &Plan, bars: &[(u32, ProgressBar)]) {
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
            // The local LMI mode drives its configurations itself (crate::managed).
            ExecutorOutput::Load(_) => continue,
        };
        if let Some((_, bar)) = bars.iter().find(|(v, _)| *v == value) {
            if !bar.is_finished() {
                bar.finish_with_message(message);
            }
        }
    }
}

/// The Analyzer's step; a dry run has nothing to analyze (the definition ends it before).
fn analyze(plan: &Plan, run: &LocalRun, cleanup: Option<&CleanupReport>) -> Result<TuningResult> {
    let event = AnalyzerEvent {
        input: plan.input.clone(),
        stats: plan.power_stats(),
        publisher_rounds: plan.publisher_rounds,
        cleaner_rounds: cleanup.map_or(1, |c| c.rounds),
        sampling: Some(plan.sampling.clone()),
        // A local function has a current memory only when its template gives one.
        current_memory: run.function.memory_size,
        function: Some(plan.function.priced()),
    };
    Ok(analyzer::analyze(
        &event,
        &analysis_env(Some(run.region.clone())),
    )?)
}

/// The Optimizer's step: with `autoOptimize`, set the function to the recommendation.
async fn optimize(lambda: &LambdaApi, plan: &Plan, result: Option<&TuningResult>) -> Result<()> {
    let (true, Some(analysis)) = (plan.input.auto_optimize, result) else {
        return Ok(());
    };
    let event = OptimizerEvent {
        input: plan.input.clone(),
        function: plan.function.clone(),
        run_id: plan.run_id.clone(),
        analysis: analysis.clone(),
    };
    optimizer::optimize(lambda, &event).await?;
    Ok(())
}
