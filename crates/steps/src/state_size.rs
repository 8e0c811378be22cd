//! Step Functions' limit on the size of a state (256 KB): the largest state a run will carry,
//! computed from the plan before anything is changed.
//!
//! A state over the limit fails with `States.DataLimitExceeded`, which no `Catch` can handle,
//! so the cleanup would never run. The Initializer therefore measures the documents the run
//! will pass around, at their largest, and refuses a run that would not fit.

use crate::events::{CleanupReport, Plan, MAX_REPORTED_FAILURES};
use powertune_core::analysis::{AnalysisEnv, AnalyzerEvent};
use powertune_core::input::ExecutionInput;
use powertune_core::output::UndecidedPower;
use powertune_core::power::{Keep, PowerStats, StopReason, WarmUp, MAX_SAMPLES};
use powertune_core::pricing::lambda_price;
use powertune_core::report_line::Report;
use powertune_core::sampling::{Sampling, GROWTH};
use powertune_core::visualization::DEFAULT_BASE_URL;
use serde_json::{json, Value};

/// "The maximum input or output size for a task, state, or execution is 256 KiB of data as a
/// UTF-8 encoded string" (Step Functions quotas).
pub const STATE_LIMIT_BYTES: usize = 256 * 1024;

/// Room for `$.error` and `$.cleanupError` on the failure path: a step's error message is
/// capped (see `crate::error::MAX_DETAIL_CHARS`), and Step Functions wraps it as the cause.
pub(crate) const ERROR_ALLOWANCE_BYTES: usize = 8 * 1024;

/// A version number as wide as Lambda's (an unsigned 32-bit number) for the estimate.
const WIDEST_VERSION: &str = "4294967295";

/// The largest state of a run, and what it is made of (bytes of JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct StateSize {
    /// The largest state, bytes.
    pub largest: usize,
    /// The plan with every version published.
    pub plan: usize,
    /// The execution input's payload, which every state carries.
    pub payload: usize,
    /// One entry per configuration in the plan.
    pub configurations: usize,
    /// The Executors' statistics (and their copy in the analysis, with `includeOutputResults`).
    pub stats: usize,
}

impl StateSize {
    /// Whether the largest state is under Step Functions' limit.
    pub fn fits(&self) -> bool {
        self.largest < STATE_LIMIT_BYTES
    }
}

/// Measures the largest state of `plan` (an Initializer's plan, before publishing).
pub fn largest_state(plan: &Plan, input: &ExecutionInput) -> StateSize {
    if let Some(m) = &input.managed_instances {
        return managed_state(plan, input, m);
    }
    let configurations = crate::events::configurations(input, &plan.run_id).len();
    let mut full = plan.clone();
    full.versions = vec![WIDEST_VERSION.to_string(); configurations];
    full.publisher_rounds = configurations + 1;
    full.publishing_done = true;
    // Every round's size and the longest reason an adaptive run gives.
    full.sampling = Sampling {
        rounds: vec![input.power_values.len() as u32; round_count(input)],
        reason: input.adaptive.then(|| "x".repeat(WIDEST_REASON)),
        ..full.sampling
    };
    let plan_value = serde_json::to_value(&full).unwrap_or(Value::Null);
    let plan_bytes = plan_value.to_string().len();

    // A plain run keeps at most MAX_SAMPLES samples per power value; an adaptive one keeps
    // every invocation, up to `num`, to merge its rounds.
    let samples = if input.adaptive {
        input.num as usize
    } else {
        (input.num as usize).clamp(5, MAX_SAMPLES)
    };
    let widest = |samples: usize| -> Vec<PowerStats> {
        input
            .power_values
            .iter()
            .map(|&p| widest_stats(p, input, &plan.function.region, samples))
            .collect()
    };
    let stats = widest(samples);
    // Before the Sampler merges a round, its results stand beside the statistics so far: their
    // samples add up to the same count, but each result repeats its summary.
    let round_bytes = if input.adaptive {
        json!(widest(1)).to_string().len()
    } else {
        0
    };
    let stats_bytes = json!(stats).to_string().len() + round_bytes;
    // The analysis's size, not its decision: without statistical ties it compares nothing
    // (the comparisons bootstrap every power value's samples), and its decision sentence is
    // allowed for below.
    let event = AnalyzerEvent {
        input: ExecutionInput {
            statistical_ties: false,
            adaptive: false,
            ..input.clone()
        },
        stats,
        publisher_rounds: configurations + 1,
        cleaner_rounds: 1,
        sampling: Some(full.sampling.clone()),
        current_memory: Some(plan.function.memory_size),
        function: Some(plan.function.priced()),
    };
    let env = AnalysisEnv::new(
        Some(plan.function.region.clone()),
        Some(format!("{DEFAULT_BASE_URL}{}", "x".repeat(200))),
    );
    // The widest statistics leave nothing undecided; an analysis may name every power value
    // as undecided, in its list and its sentence.
    let undecided = UndecidedPower {
        value: 10_240,
        question: "margin".into(),
        low: 0.123_456_789_012_3,
        high: 1.123_456_789_012_3,
        num: Some(u32::MAX),
    };
    let undecided_bytes =
        input.power_values.len() * (json!(undecided).to_string().len() + UNDECIDED_WORDS);
    let analysis_bytes = event
        .analyze(&env)
        .map(|a| json!(a).to_string().len())
        .unwrap_or(stats_bytes + 1024)
        + undecided_bytes
        + WARM_UP_BYTES
        + DECISION_BYTES;
    StateSize {
        largest: largest(configurations, plan_bytes, stats_bytes, analysis_bytes),
        plan: plan_bytes,
        payload: payload_bytes(input),
        configurations,
        stats: stats_bytes
            + if input.include_output_results {
                stats_bytes
            } else {
                0
            },
    }
}

/// The longest stop reason or sampling reason, characters (they name a few power values and
/// percentages).
const WIDEST_REASON: usize = 400;
/// What the decision's sentence says of one undecided power value, characters at the most.
const UNDECIDED_WORDS: usize = 60;
/// The result's warm-up finding and its sentence, bytes at the most.
const WARM_UP_BYTES: usize = 600;
/// The decision's sentence without its undecided part, and the equivalent power values, bytes
/// at the most (the budget's and the blend's sentences add a few hundred more).
const DECISION_BYTES: usize = 1500;

/// How many rounds an adaptive run can take at the most (one for a plain run).
fn round_count(input: &ExecutionInput) -> usize {
    let mut rounds = 1;
    let mut done = Sampling::start(input).count;
    while input.adaptive && done < input.num {
        done = ((f64::from(done) * GROWTH).ceil() as u32)
            .max(done + 1)
            .min(input.num);
        rounds += 1;
    }
    rounds
}

/// Statistics of `samples` invocations whose every number prints as wide as real ones can.
fn widest_stats(power: u32, input: &ExecutionInput, region: &str, samples: usize) -> PowerStats {
    let reports: Vec<Report> = (0..samples.max(1) as u32)
        .map(|i| Report {
            request_id: None,
            duration_ms: Some(123_456.789_012_3 + f64::from(i) * 0.123_456_789),
            billed_duration_ms: Some(123_457.0 + f64::from(i)),
            // Cold and warm invocations both, so that the statistics carry both summaries.
            init_duration_ms: (i % 2 == 0).then_some(9_876.543_210_9),
            restore_duration_ms: None,
            billed_restore_duration_ms: None,
            memory_size_mb: Some(power),
            max_memory_used_mb: Some(power),
            first_in_environment: false,
        })
        .collect();
    let errors = reports.len() as u32;
    let price = lambda_price(region, powertune_core::pricing::Architecture::X86_64);
    let mut stats = PowerStats::from_reports_keeping(
        power,
        &reports,
        errors,
        &price,
        input.discard_top_bottom,
        Keep::All,
    );
    stats.stop_reason = input.adaptive.then(|| StopReason::OutOfRunning {
        after: input.num,
        why: "x".repeat(WIDEST_REASON),
    });
    // Warm-ups apart: the odd positions (every warm invocation but the cold starts' own).
    if let Some(s) = stats.samples.as_mut() {
        s.warm_up = (0..s.durations.len() as u32)
            .filter(|i| i % 2 == 1)
            .collect();
    }
    stats.warm_up = Some(WarmUp {
        count: u32::MAX,
        per_environment: u32::MAX,
        duration: 123_456.789_012_3,
        cost: 0.000_123_456_789_012_3,
    });
    stats
}

/// The message for a run that would not fit: the limit, what makes the state big, and what to
/// lower (with `onlyColdStarts`, the largest `num` that fits).
pub(crate) fn too_big_message(plan: &Plan, input: &ExecutionInput, size: &StateSize) -> String {
    if input.managed_instances.is_some() {
        return format!(
            "This run's largest state would be about {} bytes, over Step Functions' limit of {} bytes (256 KB) per state; the execution would fail where it cannot clean up. It measures {} Lambda Managed Instances configurations, each load keeping up to {} durations and latencies. To make it fit, try fewer memorySizes, memoryPerVcpu or concurrencies (their product is the configurations), or split them over several runs.",
            size.largest,
            STATE_LIMIT_BYTES,
            size.configurations,
            crate::managed::KEPT_SAMPLES
        );
    }
    let mut advice = Vec::new();
    if input.only_cold_starts || input.adaptive {
        let why = if input.only_cold_starts {
            "with onlyColdStarts every invocation has a version of its own"
        } else {
            "an adaptive run keeps every invocation's measurements, to merge its rounds"
        };
        let option = if input.only_cold_starts {
            "onlyColdStarts"
        } else {
            "adaptive"
        };
        match largest_fitting_num(plan, input) {
            Some(n) => advice.push(format!(
                "lower \"num\" to at most {n} with these power values ({why})"
            )),
            None => advice.push(format!(
                "turn off {option} or tune fewer power values ({why})"
            )),
        }
    }
    if size.payload > STATE_LIMIT_BYTES / 4 {
        advice.push(format!(
            "put the {}-byte payload in S3 and pass \"payloadS3\" instead",
            size.payload
        ));
    }
    if input.include_output_results && size.stats > STATE_LIMIT_BYTES / 4 {
        advice.push("set \"includeOutputResults\": false".to_string());
    }
    if advice.is_empty() {
        advice.push("tune fewer power values".to_string());
    }
    format!(
        "This run's largest state would be about {} bytes, over Step Functions' limit of {} bytes (256 KB) per state; the execution would fail where it cannot clean up. It holds {} configurations, a payload of {} bytes and statistics for {} power values. To make it fit, {}.",
        size.largest,
        STATE_LIMIT_BYTES,
        size.configurations,
        size.payload,
        input.power_values.len(),
        advice.join(", or ")
    )
}

/// With `onlyColdStarts`, the largest `num` (at least the minimum) whose run fits.
pub(crate) fn largest_fitting_num(plan: &Plan, input: &ExecutionInput) -> Option<u32> {
    let fits = |num: u32| {
        let mut i = input.clone();
        i.num = num;
        largest_state(plan, &i).fits()
    };
    let (mut low, mut high) = (powertune_core::input::MIN_NUM, input.num);
    if !fits(low) {
        return None;
    }
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if fits(mid) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    Some(low)
}

/// The largest state of a run of `configurations` whose plan, results and analysis take these
/// bytes: after the Optimizer's Parameters (the plan, the results, the cleanup and the
/// analysis), or after a failure past the Map (the plan, the results, the error and the
/// cleanup's), with the cleanup report at its widest.
fn largest(configurations: usize, plan: usize, results: usize, analysis: usize) -> usize {
    let cleanup = CleanupReport {
        deleted_aliases: configurations,
        deleted_versions: configurations,
        restored_latest: true,
        failures: vec!["x".repeat(1024); MAX_REPORTED_FAILURES],
        failure_count: configurations,
        done: true,
        rounds: crate::cleaner::MAX_ROUNDS,
    };
    let cleanup = json!(cleanup).to_string().len();
    // Keys and separators of the state object: "stats", "cleanup", "analysis", "error", ...
    let keys = 128;
    let succeeded = plan + results + cleanup + analysis + keys;
    let failed = plan + results + cleanup + 2 * ERROR_ALLOWANCE_BYTES + keys;
    succeeded.max(failed)
}

/// The input's inline payload, bytes.
fn payload_bytes(input: &ExecutionInput) -> usize {
    input
        .payload
        .as_ref()
        .map(|p| p.to_value().to_string().len())
        .unwrap_or(0)
}

/// An LMI run's largest state: the plan, every configuration's load at its widest (every
/// duration and latency kept, six digits before the point, the longest first error), the
/// analysis's document (which repeats the loads in `measured`) and the cleanup.
fn managed_state(
    plan: &Plan,
    input: &ExecutionInput,
    m: &powertune_core::managed::ManagedInstances,
) -> StateSize {
    use crate::events::{ExecutorOutput, ManagedLoad};
    use crate::managed::{decide, document, saved, ERROR_CHARS, KEPT_SAMPLES, NO_ON_DEMAND};
    use powertune_core::managed::analysis::Load;
    let (configs, _) = m.configurations();
    let configurations = configs.len();
    // The widest price list: every family's instance read, or missing with its reason.
    let prices = powertune_core::managed::prices::InstancePrices {
        region: "ap-southeast-5".into(),
        source: "the AWS Price List API for ap-southeast-5, read 2026-12-05".into(),
        hourly: vec![("r7i.large".into(), 0.123_456_789_012_345); 3],
        missing: vec!["x".repeat(300); 3],
    };
    let mut full = plan.clone();
    full.function.instance_prices = Some(prices.clone());
    full.versions = vec![WIDEST_VERSION.to_string(); configurations];
    full.publisher_rounds = configurations + 1;
    full.publishing_done = true;
    full.sampling.rounds = vec![configurations as u32];
    let plan_bytes = json!(full).to_string().len();
    let widest = Load {
        seconds: 123.456_789_012_345,
        completed: u64::from(u32::MAX),
        errors: u64::from(u32::MAX),
        throttled: u64::from(u32::MAX),
        first_error: Some(format!("Runtime.ExitError: {}", "x".repeat(ERROR_CHARS))),
        durations_ms: vec![899_999.99; KEPT_SAMPLES],
        latencies_ms: vec![899_999.999; KEPT_SAMPLES],
    };
    let loads: Vec<_> = configs.iter().map(|c| (*c, widest.clone())).collect();
    let results: Vec<ExecutorOutput> = loads
        .iter()
        .enumerate()
        .map(|(i, (c, l))| {
            ExecutorOutput::Load(Box::new(ManagedLoad {
                index: i as u32,
                configuration: *c,
                load: l.clone(),
            }))
        })
        .collect();
    let results_bytes = json!(results).to_string().len();
    let notes = vec![NO_ON_DEMAND.to_string()];
    let architecture = plan.function.architecture;
    let result = decide(input, m, architecture, &loads, &notes, None, Some(&prices));
    let analysis_bytes = document(
        &result,
        None,
        saved(input, architecture, &loads, &notes, Some(&prices)),
    )
    .map(|d| d.to_string().len())
    .unwrap_or(2 * results_bytes)
        + DECISION_BYTES;
    StateSize {
        largest: largest(configurations, plan_bytes, results_bytes, analysis_bytes),
        plan: plan_bytes,
        payload: payload_bytes(input),
        configurations,
        stats: results_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::FunctionSnapshot;
    use powertune_core::input::Defaults;
    use powertune_core::pricing::Architecture;

    fn plan_for(input: serde_json::Value) -> (Plan, ExecutionInput) {
        let input = ExecutionInput::from_json(&input, &Defaults::default()).unwrap();
        let function = FunctionSnapshot {
            arn: ARN.into(),
            region: "us-east-1".into(),
            architecture: Architecture::X86_64,
            memory_size: 1024,
            description: "d".into(),
            snap_start: false,
            ephemeral_storage_mb: 512,
            timeout_s: None,
            managed: None,
            instance_prices: None,
        };
        let plan = Plan::new(&input, function, "abcdefabcdef".into());
        (plan, input)
    }

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

    #[test]
    fn an_lmi_run_of_the_defaults_fits_and_a_much_larger_one_is_refused_with_advice() {
        let lmi = |extra: serde_json::Value| {
            let mut input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [2048],
                                   "managedInstances": true});
            input
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            plan_for(input)
        };
        let (plan, input) = lmi(json!({}));
        let size = largest_state(&plan, &input);
        assert_eq!(size.configurations, 15);
        assert!(size.fits(), "{size:?}");
        // Every load is in the state twice (the results and the analysis's `measured`), each
        // at most KEPT_SAMPLES durations and latencies: at their widest, 15 configurations
        // take about 200 KB (202 KB when this was written), the loads 82 KB of it.
        assert!(
            size.largest > 2 * size.stats && size.stats > 80_000,
            "{size:?}"
        );
        // 8 memories x 2 ratios (12 pairs of whole vCPUs) x 8 concurrencies: 96 configurations.
        let (plan, input) = lmi(json!({
            "memorySizes": [2048, 4096, 6144, 8192, 10240, 12288, 14336, 16384],
            "memoryPerVcpu": [2, 4], "concurrencies": [1, 2, 4, 8, 16, 32, 64, 128]
        }));
        let size = largest_state(&plan, &input);
        assert!(!size.fits(), "{size:?}");
        let message = too_big_message(&plan, &input, &size);
        assert!(
            message.contains("measures 96 Lambda Managed Instances configurations"),
            "{message}"
        );
        assert!(message.contains("fewer memorySizes"), "{message}");
    }

    #[test]
    fn an_ordinary_run_fits_with_room_to_spare() {
        // Every power value with includeOutputResults: the statistics, with up to 50 samples
        // each (and which of them were cold starts and warm-ups), are in the state twice (under
        // "stats" and in the analysis, which keeps them so that a saved result can be analyzed
        // again): about 181 KB of 256.
        let (plan, input) = plan_for(
            serde_json::json!({"lambdaARN": ARN, "num": 100, "powerValues": "ALL", "includeOutputResults": true}),
        );
        let size = largest_state(&plan, &input);
        assert!(size.fits());
        assert!(size.largest < STATE_LIMIT_BYTES * 3 / 4, "{size:?}");
        assert_eq!(size.configurations, 46);
        // Without includeOutputResults the statistics are there once: about 114 KB (with the
        // cold, warm and warm-up summaries, about 75 bytes each, and the positions of the cold
        // starts and warm-ups), with every number as wide as the estimate makes it.
        let (plan, input) =
            plan_for(serde_json::json!({"lambdaARN": ARN, "num": 100, "powerValues": "ALL"}));
        let once = largest_state(&plan, &input);
        assert!(once.largest < STATE_LIMIT_BYTES * 9 / 20, "{once:?}");
    }

    #[test]
    fn the_largest_fitting_num_fits_and_one_more_does_not() {
        let (plan, input) = plan_for(
            serde_json::json!({"lambdaARN": ARN, "num": 5000, "powerValues": "ALL", "onlyColdStarts": true}),
        );
        assert!(!largest_state(&plan, &input).fits());
        let n = largest_fitting_num(&plan, &input).unwrap();
        let at = |num: u32| {
            let mut i = input.clone();
            i.num = num;
            largest_state(&plan, &i)
        };
        assert!(at(n).fits());
        assert!(!at(n + 1).fits());
        assert!(n > 100, "46 power values should allow num {n} > 100");
        let message = too_big_message(&plan, &input, &largest_state(&plan, &input));
        assert!(message.contains(&format!("at most {n}")), "{message}");
    }

    #[test]
    fn an_adaptive_run_counts_every_invocation_it_keeps() {
        let (plan, input) = plan_for(
            serde_json::json!({"lambdaARN": ARN, "num": 2000, "powerValues": "ALL", "adaptive": true}),
        );
        let size = largest_state(&plan, &input);
        assert!(!size.fits(), "{size:?}");
        let n = largest_fitting_num(&plan, &input).unwrap();
        assert!((50..2000).contains(&n), "{n}");
        let message = too_big_message(&plan, &input, &size);
        assert!(
            message.contains(&format!("at most {n}"))
                && message.contains("adaptive run keeps every invocation"),
            "{message}"
        );
        // The same run without adaptive sampling keeps 50 samples per power value and fits.
        let (plan, input) =
            plan_for(serde_json::json!({"lambdaARN": ARN, "num": 2000, "powerValues": "ALL"}));
        assert!(largest_state(&plan, &input).fits());
    }

    #[test]
    fn a_big_payload_is_sent_to_s3() {
        let payload = "x".repeat(250_000);
        let (plan, input) = plan_for(
            serde_json::json!({"lambdaARN": ARN, "num": 5, "powerValues": [128], "payload": payload}),
        );
        let size = largest_state(&plan, &input);
        assert!(!size.fits());
        let message = too_big_message(&plan, &input, &size);
        assert!(message.contains("payloadS3"), "{message}");
    }

    #[test]
    fn the_estimate_bounds_a_real_final_state() {
        let (mut plan, input) = plan_for(
            serde_json::json!({"lambdaARN": ARN, "num": 20, "powerValues": [128, 256, 512, 1024], "onlyColdStarts": true, "includeOutputResults": true}),
        );
        let size = largest_state(&plan, &input);
        plan.versions = (1..=80).map(|v| v.to_string()).collect();
        plan.publishing_done = true;
        let stats: Vec<PowerStats> = input
            .power_values
            .iter()
            .map(|&p| widest_stats(p, &input, "us-east-1", 20))
            .collect();
        let mut state = serde_json::to_value(&plan).unwrap();
        state["results"] = json!(stats);
        state["cleanup"] = json!(CleanupReport {
            deleted_aliases: 80,
            deleted_versions: 80,
            restored_latest: true,
            failures: vec![],
            failure_count: 0,
            done: true,
            rounds: 1,
        });
        let mut input = input.clone();
        input.include_output_results = true;
        let event = AnalyzerEvent {
            input,
            stats,
            publisher_rounds: 1,
            cleaner_rounds: 1,
            sampling: None,
            current_memory: None,
            function: None,
        };
        let env = AnalysisEnv::new(Some("us-east-1".into()), None);
        state["analysis"] = json!(event.analyze(&env).unwrap());
        let real = state.to_string().len();
        assert!(
            real <= size.largest,
            "real {real} > estimate {}",
            size.largest
        );
        // Above the real state by the room kept for errors and cleanup failures, no more.
        let allowance = 2 * ERROR_ALLOWANCE_BYTES + MAX_REPORTED_FAILURES * 1024 + 4096;
        assert!(
            size.largest - real < allowance,
            "the estimate {} is far from {real}",
            size.largest
        );
    }
}
