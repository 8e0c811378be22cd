//! Lambda Managed Instances: one configuration measured under sustained load. Its version is
//! published on the capacity provider, driven by `concurrency` clients at once for a bounded
//! time (each client sends a request as soon as its last one answered: the environment is kept
//! busy at its concurrency), and deleted; what it held is a [`Load`] for
//! `powertune_core::managed::analysis`.

use crate::error::StepError;
use crate::events::{managed_alias, ExecutorEvent, ExecutorOutput, FunctionSnapshot, ManagedLoad};
use crate::lambda::LambdaApi;
use powertune_core::input::ExecutionInput;
use powertune_core::managed::analysis::{analyze, Context, Load, ManagedResult, OnDemand};
use powertune_core::managed::prices::{InstancePrices, TABLE_REGION, TABLE_SOURCE};
use powertune_core::managed::{Configuration, ManagedInstances};
use powertune_core::output::TuningResult;
use powertune_core::pricing::Architecture;
use powertune_core::report_line::parse_report;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// How long and how much one configuration is driven.
#[derive(Debug, Clone, Copy)]
pub struct Drive {
    /// How long the clients keep the environment busy before the window, not counted: a
    /// runtime that compiles as it goes (V8, the JVM) reaches its steady speed, and a higher
    /// concurrency does not get more warm-up than a lower one.
    pub warm_up: Duration,
    /// The measured window.
    pub window: Duration,
    /// The most requests one client sends in it (a bound on the run's requests, and so on its
    /// cost; the window ends when a client reaches it).
    pub per_client: u32,
    /// When the window must have closed, whatever it counted (a state machine's Executor: its
    /// own deadline, less a margin to return).
    pub deadline: Option<Instant>,
}

impl Drive {
    /// The drive of a `window`: a warm-up of [`warm_up`], [`per_client`] requests per client at
    /// the most, and no deadline.
    pub fn of(window: Duration) -> Drive {
        Drive {
            warm_up: warm_up(window),
            window,
            per_client: per_client(window),
            deadline: None,
        }
    }
}

/// The most requests one client sends in `time` (the warm-up, the window): one per 5 ms, a
/// bound on the run's requests that a real function does not reach.
pub fn per_client(time: Duration) -> u32 {
    (time.as_secs_f64() * 200.0).ceil() as u32
}

/// The most requests a configuration's drive sends: for each slot, its first request and
/// [`per_client`] in the warm-up and in the window. What a run's requests cost is known from
/// it before the run starts.
pub fn most_requests(c: &Configuration, window: Duration) -> u64 {
    u64::from(c.concurrency)
        * (1 + u64::from(per_client(warm_up(window))) + u64::from(per_client(window)))
}

/// The most requests a run of `m`'s configurations sends: [`most_requests`] of each, driven for
/// `loadSeconds`.
pub fn most_requests_of_run(m: &ManagedInstances) -> u64 {
    let window = Duration::from_secs_f64(m.load_seconds);
    m.configurations()
        .0
        .iter()
        .map(|c| most_requests(c, window))
        .sum()
}

/// The warm-up before each configuration's window: half of it, at most a second.
pub fn warm_up(window: Duration) -> Duration {
    (window / 2).min(Duration::from_secs(1))
}

/// The most durations and latencies an Executor returns per configuration
/// ([`Load::thinned`]): 15 configurations' loads, twice in the state (the results and the
/// analysis's `measured`), take about 165 KB of the 256 KB a state may hold at their widest
/// (`state_size` checks a run's before it starts).
pub const KEPT_SAMPLES: usize = 200;

/// What a version of one configuration is: its number, to invoke and to delete.
pub struct Published {
    /// The version number.
    pub version: String,
}

/// Sets `$LATEST` to `configuration`, publishes it (described with `description`, the run's
/// marker) and waits until the version is Active (on AWS: until Lambda started its
/// environments on the capacity provider).
pub async fn publish(
    lambda: &LambdaApi,
    function: &str,
    configuration: &Configuration,
    capacity_provider_arn: &str,
    description: &str,
) -> Result<Published, StepError> {
    lambda
        .set_managed_config(function, configuration, capacity_provider_arn, description)
        .await?;
    lambda
        .wait_until_updated(function, configuration.memory_mb)
        .await?;
    let (version, _) = lambda.publish_version(function, Some(description)).await?;
    lambda.wait_until_active(function, &version).await?;
    Ok(Published { version })
}

/// What the clients share: the window, what it counted, and why it may end early.
struct Shared {
    load: std::sync::Mutex<Load>,
    /// Completions counted in the window.
    counted: AtomicU64,
    /// When the window starts (set by the first client out of the first barrier).
    start: std::sync::OnceLock<Instant>,
    /// A client sent its `per_client` requests: the window ends now.
    bounded: AtomicBool,
    /// The window has ended: answers arriving now are not counted.
    closed: AtomicBool,
    /// A client's failure that is not the function's (the Invoke call itself).
    fatal: std::sync::Mutex<Option<StepError>>,
}

/// The fewest completions a window counts, per request slot: a function slower than the
/// window keeps it open until each slot completed about twice.
const COMPLETIONS_PER_SLOT: u64 = 2;

/// The longest a window stays open for them, in windows.
const MOST_WINDOWS: u32 = 10;

/// Drives `version` with `concurrency` clients, sending `payloads` in turn (none when empty).
/// Each client sends one request first (it absorbs the environment's start where there is one);
/// when all have, they keep the environment busy, each sending its next request as soon as its
/// last one answered, for `warm_up` and then for the measured window. The window counts every
/// answer that arrives within it (a closed loop kept busy: completions per second are the
/// throughput, with no barrier to drain and no tail to wait for), stays open until
/// `COMPLETIONS_PER_SLOT x concurrency` answers were counted (at most `MOST_WINDOWS` windows),
/// and ends early when a client sent `per_client` requests in it; then the requests still in
/// flight are dropped. Durations are the REPORTs' of the counted answers. A throttled request
/// (the environment's slots all busy) is counted and retried after 10 ms, each one (the SDK does
/// not retry throttles here: [`LambdaApi::invoke_once`]; other failures are sent again with its
/// retries); a function error is counted (in the warm-up too: the configuration is out), its
/// first kept.
pub async fn drive(
    lambda: &LambdaApi,
    function: &str,
    version: &str,
    payloads: &[Arc<str>],
    concurrency: u32,
    drive: Drive,
) -> Result<Load, StepError> {
    // The payloads in their weighted order, taken in turn by every request of every client.
    let payloads: Arc<Vec<Arc<str>>> = Arc::new(payloads.to_vec());
    let turn = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(concurrency as usize + 1));
    let shared = Arc::new(Shared {
        load: std::sync::Mutex::new(Load::default()),
        counted: AtomicU64::new(0),
        start: std::sync::OnceLock::new(),
        bounded: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        fatal: std::sync::Mutex::new(None),
    });
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (lambda, function, version) =
            (lambda.clone(), function.to_string(), version.to_string());
        let (payloads, turn) = (payloads.clone(), turn.clone());
        let next = move || {
            let n = turn.fetch_add(1, Ordering::Relaxed);
            (!payloads.is_empty()).then(|| payloads[n % payloads.len()].clone())
        };
        let (barrier, shared) = (barrier.clone(), shared.clone());
        clients.spawn(async move {
            let outcome =
                client(&lambda, &function, &version, next, &barrier, &shared, drive).await;
            if let Err(e) = outcome {
                lock(&shared.fatal).get_or_insert(e);
                shared.bounded.store(true, Ordering::SeqCst);
            }
        });
    }
    // When every first request answered (or failed), the warm-up starts; then the window.
    barrier.wait().await;
    let t0 = *shared.start.get_or_init(|| Instant::now() + drive.warm_up);
    let wanted = COMPLETIONS_PER_SLOT * u64::from(concurrency);
    let latest = match drive.deadline {
        Some(d) => (t0 + drive.window * MOST_WINDOWS).min(d),
        None => t0 + drive.window * MOST_WINDOWS,
    };
    tokio::time::sleep_until((t0 + drive.window).min(latest).into()).await;
    while shared.counted.load(Ordering::SeqCst) < wanted
        && !shared.bounded.load(Ordering::SeqCst)
        && Instant::now() < latest
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    shared.closed.store(true, Ordering::SeqCst);
    let end = Instant::now();
    clients.abort_all();
    while clients.join_next().await.is_some() {}
    if let Some(e) = lock(&shared.fatal).take() {
        return Err(e);
    }
    let mut load = std::mem::take(&mut *lock(&shared.load));
    load.seconds = end.saturating_duration_since(t0).as_secs_f64();
    Ok(load)
}

/// One client: its first request, then requests back to back, counting the answers that arrive
/// once the window has started.
async fn client(
    lambda: &LambdaApi,
    function: &str,
    version: &str,
    next: impl Fn() -> Option<Arc<str>>,
    barrier: &Barrier,
    shared: &Shared,
    drive: Drive,
) -> Result<(), StepError> {
    let first = lambda
        .invoke(function, Some(version), next().as_deref())
        .await;
    barrier.wait().await;
    let first = first?;
    record_error(
        shared,
        first.function_error.as_deref(),
        Some(&first.payload),
    );
    let t0 = *shared.start.get_or_init(|| Instant::now() + drive.warm_up);
    let (mut sent_in_window, mut sent_in_warm_up) = (0, 0);
    let warm_up_cap = per_client(drive.warm_up);
    loop {
        let asked = Instant::now();
        if asked >= t0 {
            if sent_in_window >= drive.per_client {
                shared.bounded.store(true, Ordering::SeqCst);
                return Ok(());
            }
            sent_in_window += 1;
        } else if sent_in_warm_up >= warm_up_cap {
            // The warm-up's share of the bound is spent: wait for the window.
            tokio::time::sleep_until(t0.into()).await;
            continue;
        } else {
            sent_in_warm_up += 1;
        }
        let payload = next();
        let mut sent = lambda
            .invoke_once(function, Some(version), payload.as_deref())
            .await;
        if matches!(&sent, Err(e) if !e.is_throttling()) {
            // Anything else (a 5xx, a dropped connection) gets the SDK's retries after all.
            sent = lambda
                .invoke(function, Some(version), payload.as_deref())
                .await;
        }
        let answer = match sent {
            Ok(a) => a,
            Err(e) if e.is_throttling() => {
                if Instant::now() >= t0 {
                    lock(&shared.load).throttled += 1;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let answered = Instant::now();
        if shared.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Some(kind) = answer.function_error.as_deref() {
            record_error(shared, Some(kind), Some(&answer.payload));
            continue;
        }
        if answered < t0 {
            continue;
        }
        let report = answer
            .log_tail
            .as_deref()
            .and_then(|tail| parse_report(tail, answer.request_id.as_deref()).ok());
        let Some(duration) = report.and_then(|r| r.duration_ms) else {
            return Err(StepError::UnexpectedResponse(format!(
                "an invocation of {function}:{version} returned no REPORT with a Duration"
            )));
        };
        let mut load = lock(&shared.load);
        load.completed += 1;
        load.durations_ms.push(duration);
        load.latencies_ms
            .push(answered.duration_since(asked).as_secs_f64() * 1000.0);
        drop(load);
        shared.counted.fetch_add(1, Ordering::SeqCst);
    }
}

/// How much of a function error's body a load keeps, characters.
pub const ERROR_CHARS: usize = 1000;

/// Counts a function error (the first one's type and the start of its body kept).
fn record_error(shared: &Shared, kind: Option<&str>, body: Option<&[u8]>) {
    let Some(kind) = kind else {
        return;
    };
    let mut load = lock(&shared.load);
    load.errors += 1;
    load.first_error.get_or_insert_with(|| {
        let body = String::from_utf8_lossy(body.unwrap_or_default());
        // An error's body can be megabytes; the report and the state need its start.
        let mut kept: String = body.chars().take(ERROR_CHARS).collect();
        if kept.len() < body.len() {
            kept.push('…');
        }
        format!("{kind}: {kept}")
    });
}

/// One configuration of a state machine's run, driven by its Executor: `event.value` is the
/// configuration's index; its alias (published by the Publisher) is invoked for `loadSeconds`
/// after a warm-up, within the step's deadline; the load comes back thinned to
/// [`KEPT_SAMPLES`].
pub async fn execute(
    lambda: &LambdaApi,
    payloads: &[Arc<str>],
    event: &ExecutorEvent,
) -> Result<ExecutorOutput, StepError> {
    let Some(m) = &event.input.managed_instances else {
        return Err(StepError::InvalidInput(
            "the Executor was asked to drive a configuration of a run that is not for Lambda Managed Instances".into(),
        ));
    };
    let (configurations, _) = m.configurations();
    let configuration = *configurations.get(event.value as usize).ok_or_else(|| {
        StepError::InvalidInput(format!(
            "the Executor was asked for configuration {} of a run of {}",
            event.value,
            configurations.len()
        ))
    })?;
    let alias = managed_alias(&configuration);
    let mut drive_of = Drive::of(Duration::from_secs_f64(m.load_seconds));
    // Time to stop the clients and return what was counted.
    drive_of.deadline = lambda
        .time_left()
        .map(|left| Instant::now() + left.saturating_sub(EXECUTOR_MARGIN));
    tracing::info!(configuration = %configuration, alias = %alias, "driving configuration");
    let load = drive(
        lambda,
        &event.function.arn,
        &alias,
        payloads,
        configuration.concurrency,
        drive_of,
    )
    .await?;
    tracing::info!(
        completed = load.completed,
        errors = load.errors,
        throttled = load.throttled,
        seconds = load.seconds,
        "configuration driven"
    );
    Ok(ExecutorOutput::Load(Box::new(ManagedLoad {
        index: event.value,
        configuration,
        load: load.thinned(KEPT_SAMPLES),
    })))
}

/// What an Executor keeps of its time to stop its clients and return.
const EXECUTOR_MARGIN: Duration = Duration::from_secs(5);

/// Decides on `loads` with the input's budget, traffic and prices, and says what the reader
/// must know: the configurations left out, `notes` (the machine's, or why there is no
/// on-demand comparison), where the prices come from.
pub fn decide(
    input: &ExecutionInput,
    managed: &ManagedInstances,
    architecture: Architecture,
    loads: &[(Configuration, Load)],
    notes: &[String],
    on_demand: Option<OnDemand>,
    instance_prices: Option<&InstancePrices>,
) -> ManagedResult {
    let mut result = analyze(
        loads,
        &Context {
            input: managed,
            budget: input.max_duration,
            monthly_requests: input.monthly_invocations,
            architecture,
            on_demand,
            instance_prices,
        },
    );
    let (_, left_out) = managed.configurations();
    result
        .warnings
        .extend(left_out.iter().map(|l| format!("Left out: {l}.")));
    result.warnings.extend(notes.iter().cloned());
    if managed.vcpu_hour_price.is_some() {
        return result;
    }
    if let Some(read) = instance_prices {
        result.warnings.push(format!(
            "Instances are priced from {}: {}.",
            read.source,
            read.hourly
                .iter()
                .map(|(instance, hourly)| format!("{instance} ${hourly}/h"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        result.warnings.extend(read.missing.iter().map(|m| {
            format!("Not in the Price List, priced from the bundled {TABLE_REGION} table: {m}.")
        }));
        return result;
    }
    result.warnings.push(format!(
        "Instances are priced from a bundled table: {TABLE_SOURCE}; give --vcpu-hour-price (vcpuHourPrice) for your region's or your instance types'."
    ));
    let region = input.region.as_deref().unwrap_or(TABLE_REGION);
    if region != TABLE_REGION {
        result.warnings.push(format!(
            "The instance prices are {TABLE_REGION}'s, not {region}'s."
        ));
    }
    result
}

/// The `measured` part of an LMI document: the input, the architecture, the loads and the
/// notes, from which `powertune analyze` decides again.
pub fn saved(
    input: &ExecutionInput,
    architecture: Architecture,
    loads: &[(Configuration, Load)],
    notes: &[String],
    instance_prices: Option<&InstancePrices>,
) -> serde_json::Value {
    serde_json::json!({
        "input": input.to_json(),
        "architecture": architecture.as_str(),
        "instancePrices": instance_prices,
        "loads": loads
            .iter()
            .map(|(c, l)| serde_json::json!({"configuration": c, "load": l}))
            .collect::<Vec<_>>(),
        "machineNotes": notes,
    })
}

/// The JSON document of an LMI run: the analysis (`managedInstances`), the result of the
/// on-demand run it compares with (`onDemand`, when one ran) and what was measured
/// (`measured`, [`saved`]).
pub fn document(
    result: &ManagedResult,
    on_demand: Option<&TuningResult>,
    measured: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Error> {
    Ok(serde_json::json!({
        "managedInstances": serde_json::to_value(result)?,
        "onDemand": on_demand.map(serde_json::to_value).transpose()?,
        "measured": measured,
    }))
}

/// Why a state machine's LMI run has no on-demand comparison.
pub const NO_ON_DEMAND: &str = "No break-even against on-demand Lambda: a function on a capacity provider cannot run on demand (Lambda sets a function's compute type when it is created), so this run measured no on-demand power value (num and powerValues, if given, were not used). Tune an on-demand copy of the function and give its result to `powertune analyze THIS.json --on-demand THAT.json`.";

/// The Analyzer's event of an LMI run (the definition's Analyzer Parameters).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzerEvent {
    /// The execution input.
    pub input: ExecutionInput,
    /// The Executors' results.
    pub stats: Vec<ExecutorOutput>,
    /// The function as the Initializer found it.
    pub function: FunctionSnapshot,
}

/// The Analyzer of an LMI run: the document [`document`] makes, without an on-demand side.
pub fn analyze_run(event: &AnalyzerEvent) -> Result<serde_json::Value, StepError> {
    let Some(m) = &event.input.managed_instances else {
        return Err(StepError::AnalysisFailed(
            "the run is not for Lambda Managed Instances".into(),
        ));
    };
    let mut loads: Vec<(u32, Configuration, Load)> = event
        .stats
        .iter()
        .filter_map(|o| match o {
            ExecutorOutput::Load(l) => Some((l.index, l.configuration, l.load.clone())),
            _ => None,
        })
        .collect();
    loads.sort_by_key(|(i, _, _)| *i);
    if loads.len() != m.configurations().0.len() {
        return Err(StepError::AnalysisFailed(format!(
            "{} of the run's {} configurations have a load",
            loads.len(),
            m.configurations().0.len()
        )));
    }
    let loads: Vec<(Configuration, Load)> = loads.into_iter().map(|(_, c, l)| (c, l)).collect();
    let notes = vec![NO_ON_DEMAND.to_string()];
    let architecture = event.function.architecture;
    let prices = event.function.instance_prices.as_ref();
    let result = decide(&event.input, m, architecture, &loads, &notes, None, prices);
    tracing::info!(recommended = ?result.recommended, "LMI analysis");
    document(
        &result,
        None,
        saved(&event.input, architecture, &loads, &notes, prices),
    )
    .map_err(|e| StepError::AnalysisFailed(e.to_string()))
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
