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
    /// cost: at most `concurrency x (per_client + 1)` per configuration).
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

/// One client's tally.
#[derive(Default)]
struct Tally {
    completed: u64,
    errors: u64,
    throttled: u64,
    first_error: Option<String>,
    durations_ms: Vec<f64>,
    latencies_ms: Vec<f64>,
    last_answer: Option<Instant>,
}

/// Drives `version` with `concurrency` clients, sending `payloads` in turn (none when empty):
/// each sends one request first (it absorbs the environment's start where there is one), then
/// all send requests back to back for `warm_up`, and then, starting together again, for the
/// measured window, until it ends or they sent `per_client`; only the window counts.
/// Throughput is the completed requests over the time from the window's start to the last
/// answer; durations are the REPORTs'. A throttled request (the environment's slots all busy)
/// is counted and retried after 10 ms; a failed one is counted, its error kept.
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
    let barrier = Arc::new(Barrier::new(concurrency as usize));
    let start = Arc::new(std::sync::OnceLock::<Instant>::new());
    let warm_end = Arc::new(std::sync::OnceLock::<Instant>::new());
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (lambda, function, version) =
            (lambda.clone(), function.to_string(), version.to_string());
        let (payloads, turn) = (payloads.clone(), turn.clone());
        let next = move || {
            let n = turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (!payloads.is_empty()).then(|| payloads[n % payloads.len()].clone())
        };
        let (barrier, start, warm_end) = (barrier.clone(), start.clone(), warm_end.clone());
        clients.spawn(async move {
            let mut tally = Tally::default();
            let warm = lambda
                .invoke(&function, Some(&version), next().as_deref())
                .await?;
            if let Some(e) = warm.function_error.as_ref() {
                tally.errors += 1;
                tally.first_error =
                    Some(format!("{e}: {}", String::from_utf8_lossy(&warm.payload)));
            }
            barrier.wait().await;
            let warm_until = *warm_end.get_or_init(|| Instant::now() + drive.warm_up);
            while Instant::now() < warm_until {
                match lambda
                    .invoke(&function, Some(&version), next().as_deref())
                    .await
                {
                    // An error is an error in the warm-up too: the configuration is out.
                    Ok(a) => {
                        if let Some(kind) = a.function_error.as_ref() {
                            tally.errors += 1;
                            tally.first_error.get_or_insert_with(|| {
                                format!("{kind}: {}", String::from_utf8_lossy(&a.payload))
                            });
                        }
                    }
                    Err(e) if e.is_throttling() => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(e) => return Err(e),
                }
            }
            barrier.wait().await;
            let t0 = *start.get_or_init(Instant::now);
            let mut sent = 0;
            while sent < drive.per_client && t0.elapsed() < drive.window {
                let asked = Instant::now();
                let payload = next();
                let answer = match lambda
                    .invoke(&function, Some(&version), payload.as_deref())
                    .await
                {
                    Ok(a) => a,
                    Err(e) if e.is_throttling() => {
                        tally.throttled += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                sent += 1;
                let latency = asked.elapsed();
                if let Some(kind) = answer.function_error.as_ref() {
                    tally.errors += 1;
                    tally.first_error.get_or_insert_with(|| {
                        format!("{kind}: {}", String::from_utf8_lossy(&answer.payload))
                    });
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
                tally.completed += 1;
                tally.durations_ms.push(duration);
                tally.latencies_ms.push(latency.as_secs_f64() * 1000.0);
                tally.last_answer = Some(Instant::now());
            }
            Ok::<Tally, StepError>(tally)
        });
    }
    let mut load = Load::default();
    let mut last: Option<Instant> = None;
    while let Some(joined) = clients.join_next().await {
        let tally = joined
            .map_err(|e| StepError::UnexpectedResponse(format!("a load client failed: {e}")))??;
        load.completed += tally.completed;
        load.errors += tally.errors;
        load.throttled += tally.throttled;
        if load.first_error.is_none() {
            load.first_error = tally.first_error;
        }
        load.durations_ms.extend(tally.durations_ms);
        load.latencies_ms.extend(tally.latencies_ms);
        last = last.max(tally.last_answer);
    }
    if let (Some(t0), Some(last)) = (start.get(), last) {
        load.seconds = last.duration_since(*t0).as_secs_f64();
    }
    Ok(load)
}
