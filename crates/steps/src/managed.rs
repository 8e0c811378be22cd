//! Lambda Managed Instances: one configuration measured under sustained load. Its version is
//! published on the capacity provider, driven by `concurrency` clients at once for a bounded
//! time (each client sends a request as soon as its last one answered: the environment is kept
//! busy at its concurrency), and deleted; what it held is a [`Load`] for
//! `powertune_core::managed::analysis`.

use crate::error::StepError;
use crate::lambda::LambdaApi;
use powertune_core::managed::analysis::Load;
use powertune_core::managed::Configuration;
use powertune_core::report_line::parse_report;
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
}

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
/// (the environment's slots all busy) is counted and retried after 10 ms; a function error is
/// counted (in the warm-up too: the configuration is out), its first kept.
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
    tokio::time::sleep_until((t0 + drive.window).into()).await;
    let wanted = COMPLETIONS_PER_SLOT * u64::from(concurrency);
    let latest = t0 + drive.window * MOST_WINDOWS;
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
    let mut sent_in_window = 0;
    loop {
        let asked = Instant::now();
        if asked >= t0 {
            if sent_in_window >= drive.per_client {
                shared.bounded.store(true, Ordering::SeqCst);
                return Ok(());
            }
            sent_in_window += 1;
        }
        let payload = next();
        let answer = match lambda
            .invoke(function, Some(version), payload.as_deref())
            .await
        {
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

/// Counts a function error (the first one's type and body kept).
fn record_error(shared: &Shared, kind: Option<&str>, body: Option<&[u8]>) {
    let Some(kind) = kind else {
        return;
    };
    let mut load = lock(&shared.load);
    load.errors += 1;
    load.first_error.get_or_insert_with(|| {
        format!(
            "{kind}: {}",
            String::from_utf8_lossy(body.unwrap_or_default())
        )
    });
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
