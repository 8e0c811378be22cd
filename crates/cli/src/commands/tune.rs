//! `powertune tune`: tune a function locally (`--local`) or with the deployed state machine.

use crate::exit::Failure;
use crate::flags::{parse_architecture, InputFlags, OutputFormat, TuneFields};
use crate::function::{self, LocalFunction};
use crate::local::{self, LocalRun, FUNCTION_NAME};
use crate::outputs;
use crate::remote;
use crate::schedule::Schedule;
use anyhow::Context;
use powertune_core::budget::Verdict;
use powertune_core::compare::{parse_percent, Comparison, Gate};
use powertune_core::input::ExecutionInput;
use powertune_core::pricing::{Architecture, FALLBACK_REGION};
use serde_json::{json, Map, Value};
use std::io::IsTerminal;
use std::path::PathBuf;

/// A local function's timeout when neither --timeout nor a template gives one, seconds.
const DEFAULT_TIMEOUT_S: u32 = 60;

/// The reference project's default `PowerValues`.
const DEFAULT_POWER_VALUES: [u32; 6] = [128, 256, 512, 1024, 1536, 3008];

#[derive(clap::Args)]
pub struct Args {
    /// Tune on this machine: a directory or zip of Python or Node.js code, a bootstrap file, a
    /// directory holding one, or a Cargo package (built for this host first). With --template,
    /// give no value.
    #[arg(long, value_name = "FUNCTION", num_args = 0..=1, conflicts_with_all = ["state_machine_arn", "stack_name"])]
    local: Option<Option<PathBuf>>,

    /// The local function's runtime: python3.x, nodejsN.x or provided.al2023 [default:
    /// detected from the code].
    #[arg(long, requires = "local")]
    runtime: Option<String>,

    /// The local function's handler, MODULE.FUNCTION (app.handler) [default: Lambda's,
    /// lambda_function.lambda_handler or index.handler].
    #[arg(long, requires = "local")]
    handler: Option<String>,

    /// Tune a function of this SAM template locally (with --local and --function).
    #[arg(long, value_name = "FILE", requires = "local")]
    template: Option<PathBuf>,

    /// The template's function to tune: its logical ID [default: the only one].
    #[arg(long, value_name = "LOGICAL_ID", requires = "template")]
    function: Option<String>,

    /// An environment variable for the local function, NAME=VALUE (repeat); it overrides the
    /// template's value.
    #[arg(long = "env", value_name = "NAME=VALUE", requires = "local")]
    env: Vec<String>,

    /// Tune on AWS with this deployed powertune state machine.
    #[arg(long, value_name = "ARN", conflicts_with = "stack_name")]
    state_machine_arn: Option<String>,

    /// Tune on AWS with the state machine of this stack (its StateMachineARN output).
    #[arg(long, value_name = "NAME")]
    stack_name: Option<String>,

    /// The execution input as a JSON file; the execution input flags (below) override its fields.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,

    /// The execution input's fields, one flag each (the core's `FIELDS`).
    #[command(flatten)]
    fields: InputFlags<TuneFields>,

    /// With --max-duration: exit 5 when no power value meets the budget (the fastest is then
    /// recommended, and the run still succeeds without this flag).
    #[arg(long, requires = "maxDuration")]
    require_budget: bool,

    /// Local runs: run a round's power values one at a time. By default they run side by side
    /// while their CPU shares (memory/1769 of a vCPU each, as Lambda gives) fit in half of the
    /// host's cores; with --parallel (a power value's invocations at once), always one at a time.
    #[arg(long)]
    one_at_a_time: bool,

    /// A saved run (--json FILE of an earlier run) to compare the recommendation with: with
    /// --max-cost-increase or --max-duration-increase, exit 3 when it got worse beyond them.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// With --baseline: the most the recommended configuration's cost per invocation may grow,
    /// as a percentage (10% or 10).
    #[arg(long, value_name = "PERCENT", requires = "baseline", value_parser = parse_percent)]
    max_cost_increase: Option<f64>,

    /// With --baseline: the most the recommended configuration's duration may grow.
    #[arg(long, value_name = "PERCENT", requires = "baseline", value_parser = parse_percent)]
    max_duration_increase: Option<f64>,

    /// Region whose prices apply (local runs).
    #[arg(long, default_value = FALLBACK_REGION)]
    region: String,

    /// Refuse to tune when a Lambda price of the function's region is not known (a region
    /// powertune has no prices for, or a figure no source gives for it): by default such a run
    /// is priced at us-east-1's figures, and the result says so.
    #[arg(long)]
    strict_prices: bool,

    /// Architecture to price a local run as: x86_64 or arm64 [default: this host's].
    #[arg(long, value_parser = parse_architecture)]
    architecture: Option<Architecture>,

    /// The local function's timeout, seconds [default: the template's, else 60].
    #[arg(long)]
    timeout: Option<u32>,

    /// Faults for the local emulator to inject, as `POST /_powertune/faults` takes them: JSON
    /// or @FILE, for example '{"durationNoise": {"sigma": 0.5}}' to see how a decision holds
    /// up under noisy durations.
    #[arg(long, value_name = "JSON|@FILE", requires = "local")]
    emulator_faults: Option<String>,

    /// The CPU a local function's Init phase gets: "boosted" (at least one vCPU, as Lambda's
    /// on-demand Init was measured to get) or "share" (its memory's share, as its
    /// invocations get).
    #[arg(
        long,
        value_name = "boosted|share",
        default_value = "boosted",
        requires = "local"
    )]
    init_cpu: powertune_emulator::InitCpu,

    /// Print JSON (the result document) instead of the report.
    #[arg(long, short)]
    output: Option<OutputFormat>,

    /// Also write the result document (the state machine's output) to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// Also write a self-contained HTML report to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// The execution input: `--input` with the flags laid over it.
fn execution_input(args: &Args) -> Result<Map<String, Value>, Failure> {
    let mut input = match &args.input {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", path.display())))?;
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(o)) => o,
                Ok(_) => {
                    return Err(Failure::BadInput(format!(
                        "{} must hold a JSON object",
                        path.display()
                    )))
                }
                Err(e) => {
                    return Err(Failure::BadInput(format!(
                        "{} is not valid JSON: {e}",
                        path.display()
                    )))
                }
            }
        }
        None => Map::new(),
    };
    // The flags' fields over the --input file's.
    input.extend(args.fields.to_input()?);
    Ok(input)
}

/// The baseline and the gate, read before anything runs: a baseline that cannot be read is bad
/// input, found before the function is touched.
struct Baseline {
    path: PathBuf,
    saved: outputs::Saved,
    gate: Gate,
}

fn baseline(args: &Args) -> Result<Option<Baseline>, Failure> {
    let Some(path) = &args.baseline else {
        return Ok(None);
    };
    Ok(Some(Baseline {
        path: path.clone(),
        saved: outputs::read_saved(path)?,
        gate: Gate {
            max_cost_increase: args.max_cost_increase,
            max_duration_increase: args.max_duration_increase,
        },
    }))
}

pub fn run(args: Args) -> Result<(), Failure> {
    let input = execution_input(&args)?;
    let baseline = baseline(&args)?;
    let target = match (&args.state_machine_arn, &args.stack_name) {
        (Some(arn), _) => Some(remote::Target::Arn(arn.clone())),
        (None, Some(stack)) => Some(remote::Target::Stack(stack.clone())),
        (None, None) => None,
    };
    match (&args.local, target) {
        (Some(function), _) => run_local(&args, function.as_deref(), input, baseline.as_ref()),
        (None, Some(target)) => run_remote(&args, target, input, baseline.as_ref()),
        (None, None) => Err(Failure::BadInput(
            "say where to tune: --local FUNCTION on this machine, or --state-machine-arn ARN / --stack-name NAME on AWS".into(),
        )),
    }
}

fn run_remote(
    args: &Args,
    target: remote::Target,
    mut input: Map<String, Value>,
    baseline: Option<&Baseline>,
) -> Result<(), Failure> {
    // The report needs every power value's statistics.
    input.entry("includeOutputResults").or_insert(json!(true));
    let input = Value::Object(input);
    let defaults = powertune_core::input::Defaults {
        power_values: DEFAULT_POWER_VALUES.to_vec(),
        region: None,
    };
    let parsed = ExecutionInput::from_json(&input, &defaults)
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    if let Some(m) = &parsed.managed_instances {
        if baseline.is_some() {
            return Err(Failure::BadInput(
                "--baseline does not apply to --managed-instances: an LMI run measures each configuration under sustained load".into(),
            ));
        }
        // Before the execution starts: what the Initializer would refuse, then what the run
        // will send and what it costs.
        powertune_steps::initializer::refuse_unmanaged_fields(&parsed)
            .map_err(|e| Failure::BadInput(e.to_string()))?;
        eprintln!("{}", managed_bound(&parsed, m));
    }
    // The function's region is known here when its ARN names it (its architecture only once
    // the run reads its configuration: an arm64 gap is then a warning in the result).
    if let Some(region) = &parsed.region {
        check_prices(args, region, Architecture::X86_64)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let ended = runtime.block_on(remote::execute(
        &target,
        &input,
        std::io::stderr().is_terminal(),
    ))?;
    match ended {
        remote::Ended::Failed {
            status,
            error,
            cause,
        } => {
            eprintln!("Execution {status}: {error}");
            eprintln!("{cause}");
            Err(Failure::Other(anyhow::anyhow!(
                "the execution ended {status}"
            )))
        }
        remote::Ended::Succeeded(output) if parsed.managed_instances.is_some() => {
            managed_result(args, &parsed, output)
        }
        remote::Ended::Succeeded(output) if parsed.dry_run => {
            println!("Dry run succeeded: {output}");
            Ok(())
        }
        remote::Ended::Succeeded(output) => {
            let result = remote::result_of(output)?;
            let stats = result.stats.clone().unwrap_or_default();
            let run = outputs::Run {
                title: format!("powertune: {}", parsed.lambda.name),
                result: &result,
                stats: &stats,
                input: &parsed,
                // The execution's output does not say; a Publisher round per run is the rule
                // (one invocation publishes 46 power values).
                publisher_rounds: 1,
                current_memory: result.projection.as_ref().and_then(|p| p.current_memory),
            };
            finish(args, &run, baseline)
        }
    }
}

/// What an LMI run on AWS sends and costs, said before it starts: its requests are bounded (the
/// drive's pace per slot); its versions' environments are billed while they are active, at
/// least three each, at the bundled prices (the function's architecture is known once the run
/// reads it: x86_64 here).
fn managed_bound(parsed: &ExecutionInput, m: &powertune_core::managed::ManagedInstances) -> String {
    let (configurations, _) = m.configurations();
    let requests = crate::managed::most_requests_of_run(m);
    let hourly: f64 = configurations
        .iter()
        .map(|c| {
            f64::from(powertune_core::managed::MIN_ENVIRONMENTS)
                * powertune_core::managed::prices::environment_price(
                    c.vcpus(),
                    c.gib_per_vcpu,
                    Architecture::X86_64,
                    m.savings_plan_discount,
                    m.vcpu_hour_price,
                    None,
                )
                .hourly
        })
        .sum();
    format!(
        "Tuning {} for Lambda Managed Instances on AWS: {} configurations published on its capacity provider and driven {} s each after a warm-up, at most {} requests (${:.4} in request charges); while the run's versions are active their environments (at least {} each) cost about ${:.2} an hour ({} prices).",
        parsed.lambda.name,
        configurations.len(),
        m.load_seconds,
        powertune_core::why::group(requests),
        requests as f64 * powertune_core::managed::prices::REQUEST_PRICE,
        powertune_core::managed::MIN_ENVIRONMENTS,
        hourly,
        if m.vcpu_hour_price.is_some() {
            "the given vCPU-hour".to_string()
        } else {
            format!("{}'s x86_64", powertune_core::managed::prices::TABLE_REGION)
        }
    )
}

/// The reports of an LMI run on AWS, from the execution's output (the Analyzer's document).
fn managed_result(args: &Args, parsed: &ExecutionInput, output: Value) -> Result<(), Failure> {
    let result: powertune_core::managed::analysis::ManagedResult =
        serde_json::from_value(output["managedInstances"].clone()).map_err(|e| {
            Failure::Other(anyhow::anyhow!(
                "the execution's output is not a Lambda Managed Instances result: {e}"
            ))
        })?;
    emit_managed(
        args,
        &crate::managed::Emit {
            title: crate::managed::title(&parsed.lambda.name),
            result: &result,
            on_demand: None,
            saved: output["measured"].clone(),
        },
    )
}

/// Writes an LMI run's outputs, then `--require-budget`'s verdict: exit 5 when no
/// configuration holds the budget.
fn emit_managed(args: &Args, out: &crate::managed::Emit<'_>) -> Result<(), Failure> {
    crate::managed::emit(
        out,
        args.json.as_deref(),
        args.html.as_deref(),
        args.output.unwrap_or(OutputFormat::Table),
    )?;
    let result = out.result;
    if args.require_budget && result.budget.is_some() && result.recommended.is_none() {
        return Err(Failure::OverBudget(result.why.clone()));
    }
    Ok(())
}

/// Writes the run's outputs, then applies the baseline's gate: exit 3 with its one-line reason
/// when the recommendation got worse beyond a threshold.
fn finish(args: &Args, run: &outputs::Run<'_>, baseline: Option<&Baseline>) -> Result<(), Failure> {
    let targets = outputs::Targets {
        json: args.json.clone(),
        html: args.html.clone(),
        format: args.output.unwrap_or(OutputFormat::Table),
    };
    outputs::emit(run, &targets)?;
    if let Some(b) = run.result.budget.as_ref() {
        if args.require_budget && b.verdict == Verdict::None {
            return Err(Failure::OverBudget(b.sentence(run.result.power)));
        }
    }
    let Some(baseline) = baseline else {
        return Ok(());
    };
    let comparison = Comparison::of(&baseline.saved.result, run.result)
        .map_err(|e| Failure::BadInput(format!("--baseline {}: {e}", baseline.path.display())))?;
    let change = |c: Option<f64>| c.map_or("-".to_string(), |c| format!("{:+.1}%", c * 100.0));
    eprintln!(
        "Against the baseline {} ({} MB): the recommendation ({} MB) costs {} per invocation and takes {}.",
        baseline.path.display(),
        comparison.before.power,
        comparison.after.power,
        change(comparison.cost_change()),
        change(comparison.duration_change())
    );
    baseline
        .gate
        .check(&comparison)
        .map_err(Failure::Regression)
}

/// `--emulator-faults`: JSON, or @FILE holding it, in the emulator's faults format.
fn parse_faults(given: &str) -> Result<powertune_emulator::Faults, Failure> {
    let text = match given.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).map_err(|e| {
            Failure::BadInput(format!(
                "cannot read the --emulator-faults file {file}: {e}"
            ))
        })?,
        None => given.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| {
        Failure::BadInput(format!(
            "--emulator-faults must be the emulator's faults as JSON (see the README, \"The emulator\"): {e}"
        ))
    })
}

fn run_local(
    args: &Args,
    path: Option<&std::path::Path>,
    input: Map<String, Value>,
    baseline: Option<&Baseline>,
) -> Result<(), Failure> {
    let request = function::Request {
        path,
        runtime: args.runtime.as_deref(),
        handler: args.handler.as_deref(),
        template: args.template.as_deref(),
        function: args.function.as_deref(),
        env: function::parse_env(&args.env).map_err(|e| Failure::BadInput(format!("{e:#}")))?,
    };
    let parsed = local_input(args, input)?;
    let faults = args
        .emulator_faults
        .as_deref()
        .map(parse_faults)
        .transpose()?;
    let function = function::resolve(&request).map_err(|e| Failure::BadInput(format!("{e:#}")))?;
    for note in &function.notes {
        eprintln!("{note}");
    }
    let settings = local_settings(args, function, faults, &parsed);
    check_prices(args, &settings.region, settings.architecture)?;
    if let Some(managed) = parsed.managed_instances.clone() {
        return run_managed(args, &parsed, &managed, &settings, baseline.is_some());
    }
    announce(&settings, &parsed);

    let runtime = local::runtime()?;
    let outcome = runtime.block_on(local::run(&parsed, &settings))?;
    eprintln!(
        "Limits: {}. Ran in {:.1} s; the function's own time was {:.1} s.",
        outcome.limits,
        outcome.elapsed.as_secs_f64(),
        outcome.function_time.as_secs_f64()
    );
    let Some(result) = outcome.result else {
        println!(
            "Dry run: every power value published and invoked once ({}).",
            parsed
                .power_values
                .iter()
                .map(|p| format!("{p} MB"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(());
    };

    let run = outputs::Run {
        title: format!("powertune: {}", settings.function.label),
        result: &result,
        stats: &outcome.stats,
        input: &parsed,
        publisher_rounds: outcome.publisher_rounds,
        current_memory: settings.function.memory_size,
    };
    finish(args, &run, baseline)
}

/// `--managed-instances` locally: on-demand Lambda first (the comparison's other side, the same
/// input without the LMI fields), then every LMI configuration; then the reports.
fn run_managed(
    args: &Args,
    parsed: &ExecutionInput,
    managed: &powertune_core::managed::ManagedInstances,
    settings: &LocalRun,
    with_baseline: bool,
) -> Result<(), Failure> {
    let runtime_name = settings.function.runtime.to_string();
    powertune_core::managed::supports_runtime(&runtime_name).map_err(|e| {
        Failure::BadInput(format!(
            "{e}. The function's runtime is {runtime_name}{}",
            if args.runtime.is_none() {
                " (detected): name a supported one with --runtime, such as --runtime python3.13 or nodejs22.x"
            } else {
                ""
            }
        ))
    })?;
    // What LMI tuning does not do (yet): refused, not ignored.
    let unused = [
        ("--dry-run", parsed.dry_run),
        ("--auto-optimize", parsed.auto_optimize),
        ("--only-cold-starts", parsed.only_cold_starts),
        ("--baseline", with_baseline),
    ];
    if let Some((flag, _)) = unused.iter().find(|(_, given)| *given) {
        return Err(Failure::BadInput(format!(
            "{flag} does not apply to --managed-instances: an LMI run measures each configuration under sustained load and compares it with on-demand Lambda"
        )));
    }
    let (configurations, _) = managed.configurations();
    let most = crate::managed::most_requests_of_run(managed);
    eprintln!(
        "Tuning {} ({}) for Lambda Managed Instances locally: on-demand Lambda first ({} power value{} x {} invocations), then {} configurations kept busy {} s each after a warm-up (at most {} requests; about {:.0} s)",
        settings.function.label,
        settings.function.runtime,
        parsed.power_values.len(),
        if parsed.power_values.len() == 1 { "" } else { "s" },
        parsed.num,
        configurations.len(),
        managed.load_seconds,
        powertune_core::why::group(most),
        configurations.len() as f64
            * (managed.load_seconds
                + crate::managed::warm_up(std::time::Duration::from_secs_f64(managed.load_seconds))
                    .as_secs_f64()
                + 0.3)
    );
    let mut on_demand_input = parsed.clone();
    on_demand_input.managed_instances = None;
    let runtime = local::runtime()?;
    let tuned = runtime.block_on(local::run(&on_demand_input, settings))?;
    let on_demand_result = tuned.result;
    let on_demand = on_demand_result
        .as_ref()
        .map(|r| crate::managed::on_demand_of(r, Some(&settings.region)));
    if let Some(od) = &on_demand {
        eprintln!(
            "On-demand: {} MB recommended ({:.2} ms) in {:.1} s.",
            od.power_mb,
            od.duration_ms,
            tuned.elapsed.as_secs_f64()
        );
    }
    let measured = runtime.block_on(crate::managed::run(parsed, managed, settings))?;
    eprintln!(
        "Limits: {}. LMI configurations ran in {:.1} s.",
        measured.limits,
        measured.elapsed.as_secs_f64()
    );
    let decided = crate::managed::decide(
        parsed,
        managed,
        settings.architecture,
        &measured.loads,
        &measured.machine_notes,
        on_demand,
        // Locally: the bundled table (or --vcpu-hour-price).
        None,
    );
    emit_managed(
        args,
        &crate::managed::Emit {
            title: crate::managed::title(&settings.function.label),
            result: &decided,
            on_demand: on_demand_result.as_ref(),
            saved: crate::managed::saved(
                parsed,
                settings.architecture,
                &measured.loads,
                &measured.machine_notes,
                None,
            ),
        },
    )
}

/// With --strict-prices, a region or architecture whose Lambda prices are not all known is bad
/// input, refused before the run starts.
fn check_prices(args: &Args, region: &str, architecture: Architecture) -> Result<(), Failure> {
    let notice = powertune_core::pricing::lambda_price(region, architecture).notice();
    match notice {
        Some(notice) if args.strict_prices => Err(Failure::BadInput(format!(
            "{notice} (--strict-prices refuses to tune at prices that are not the region's own)"
        ))),
        _ => Ok(()),
    }
}

/// The run's input, for the local function, checked before anything is built or started (with
/// the message the Initializer gives).
fn local_input(args: &Args, mut input: Map<String, Value>) -> Result<ExecutionInput, Failure> {
    if let Some(arn) = input.get("lambdaARN").and_then(Value::as_str) {
        if arn != FUNCTION_NAME {
            eprintln!(
                "note: the input's lambdaARN {arn} is not used: --local tunes the local function"
            );
        }
    }
    input.insert("lambdaARN".into(), json!(FUNCTION_NAME));
    input.entry("num").or_insert(json!(10));
    let defaults = powertune_core::input::Defaults {
        power_values: DEFAULT_POWER_VALUES.to_vec(),
        region: Some(args.region.clone()),
    };
    let parsed = ExecutionInput::from_json(&Value::Object(input), &defaults)
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    // What only AWS has: the emulator holds the local function alone, and no S3.
    let on_aws_only = [
        ("payloadS3", parsed.payload_s3.is_some()),
        ("preProcessorARN", parsed.pre_processor.is_some()),
        ("postProcessorARN", parsed.post_processor.is_some()),
    ];
    if let Some((name, _)) = on_aws_only.iter().find(|(_, given)| *given) {
        return Err(Failure::BadInput(format!(
            "{name} needs AWS: a local run invokes only the local function, with --payload as its payload; tune on AWS (--state-machine-arn or --stack-name) to use it"
        )));
    }
    if parsed.cold_start_rate == Some(powertune_core::input::ColdStartRate::Auto) {
        return Err(Failure::BadInput(
            "--cold-start-rate auto reads the share of cold starts from the function's CloudWatch logs on AWS; a local function has none: give a share, such as --cold-start-rate 0.05".into(),
        ));
    }
    if parsed.monthly_invocations_source == Some(powertune_core::input::TrafficSource::Auto) {
        return Err(Failure::BadInput(
            "--monthly-invocations auto reads the function's traffic from its CloudWatch logs on AWS; a local function has none: give invocations a month, such as --monthly-invocations 100000000".into(),
        ));
    }
    Ok(parsed)
}

/// How the local function runs: the flags first, then what its template says, then this
/// machine's architecture and the defaults.
fn local_settings(
    args: &Args,
    function: LocalFunction,
    faults: Option<powertune_emulator::Faults>,
    parsed: &ExecutionInput,
) -> LocalRun {
    let architecture =
        args.architecture
            .or(function.architecture)
            .unwrap_or(match std::env::consts::ARCH {
                "aarch64" => Architecture::Arm64,
                _ => Architecture::X86_64,
            });
    LocalRun {
        timeout_seconds: args
            .timeout
            .or(function.timeout)
            .unwrap_or(DEFAULT_TIMEOUT_S),
        function,
        region: args.region.clone(),
        architecture,
        show_progress: std::io::stderr().is_terminal(),
        faults,
        init_cpu: args.init_cpu,
        // With parallelInvocation each power value already runs many environments at once.
        schedule: if args.one_at_a_time || parsed.parallel_invocation {
            Schedule::OneAtATime
        } else {
            Schedule::shared()
        },
    }
}

/// Says what is about to run: the function, how many invocations, how they are priced.
fn announce(settings: &LocalRun, parsed: &ExecutionInput) {
    let function = &settings.function;
    let count = parsed.power_values.len();
    eprintln!(
        "Tuning {} ({}, {}) locally: {} power value{} x {}, priced as {} in {}",
        function.label,
        function.runtime,
        function.handler,
        count,
        if count == 1 { "" } else { "s" },
        match (parsed.dry_run, parsed.adaptive, parsed.num) {
            (true, _, _) | (false, false, 1) => "1 invocation".to_string(),
            (false, true, num) => format!(
                "up to {num} invocations (adaptive, from {})",
                parsed.min_num
            ),
            (false, false, num) => format!("{num} invocations"),
        },
        settings.architecture,
        settings.region
    );
}
