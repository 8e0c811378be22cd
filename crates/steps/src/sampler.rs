//! Sampler: after each round of the Map, merges the round's results into the plan's statistics
//! and decides the next round (powertune-core's sampling). It calls no AWS API.

use crate::error::StepError;
use crate::events::{ExecutorOutput, Plan};
use serde::{Deserialize, Serialize};

/// The state after a round of the Map: the plan and, under `round`, one result per power value
/// the round invoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerEvent {
    /// The plan, with the statistics of the rounds before.
    #[serde(flatten)]
    pub plan: Plan,
    /// The round's results.
    pub round: Vec<ExecutorOutput>,
}

/// The plan with the round merged into `stats` and the next round (or `settled`) in
/// `sampling`. A round must hold a result for exactly the power values it invoked.
#[tracing::instrument(skip_all, fields(step = "sampler", round = event.plan.sampling.rounds.len() + 1))]
pub fn sample(event: SamplerEvent) -> Result<Plan, StepError> {
    let SamplerEvent { mut plan, round } = event;
    let mut invoked: Vec<u32> = round.iter().map(output_value).collect();
    invoked.sort_unstable();
    if invoked != plan.sampling.values {
        // The Map's items: power values, or an LMI run's configurations by index.
        let unit = if plan.input.managed_instances.is_some() {
            " (configuration indices)"
        } else {
            " MB"
        };
        return Err(StepError::InvalidInput(format!(
            "The Sampler received results for {invoked:?}{unit}, but the round invoked {:?}{unit}.",
            plan.sampling.values
        )));
    }
    let discard = plan.input.discard_top_bottom;
    for output in round {
        let value = output_value(&output);
        match plan.results.iter_mut().find(|s| output_value(s) == value) {
            Some(ExecutorOutput::Stats(before)) => {
                let ExecutorOutput::Stats(later) = output else {
                    return Err(merge_error(value, "a dry run's result"));
                };
                let merged = before
                    .merged(&later, discard)
                    .map_err(|e| merge_error(value, &e.to_string()))?;
                **before = merged;
            }
            Some(ExecutorOutput::DryRun { .. }) => {
                return Err(merge_error(value, "a second round of a dry run"))
            }
            Some(ExecutorOutput::Load(_)) => {
                return Err(merge_error(value, "a second load of one configuration"))
            }
            None => plan.results.push(output),
        }
    }
    plan.results.sort_by_key(output_value);
    if plan.input.managed_instances.is_some() {
        // Lambda Managed Instances: one round of every configuration.
        plan.sampling.rounds.push(plan.sampling.values.len() as u32);
        plan.sampling.first += plan.sampling.count;
        plan.sampling.count = 0;
        plan.sampling.values.clear();
        plan.sampling.settled = true;
        tracing::info!(configurations = plan.results.len(), "loads merged");
        return Ok(plan);
    }

    let mut stats = plan.power_stats();
    plan.sampling = plan.sampling.after_round(&plan.input, &mut stats);
    // The statistics come back with their stop reasons and the warm-up set apart.
    for s in stats {
        if let Some(ExecutorOutput::Stats(entry)) =
            plan.results.iter_mut().find(|o| output_value(o) == s.value)
        {
            **entry = s;
        }
    }
    tracing::info!(
        settled = plan.sampling.settled,
        next = ?plan.sampling.values,
        reason = plan.sampling.reason.as_deref().unwrap_or(""),
        "round merged"
    );
    Ok(plan)
}

fn output_value(output: &ExecutorOutput) -> u32 {
    match output {
        ExecutorOutput::Stats(s) => s.value,
        ExecutorOutput::DryRun { value, .. } => *value,
        ExecutorOutput::Load(l) => l.index,
    }
}

fn merge_error(value: u32, why: &str) -> StepError {
    StepError::InvalidInput(format!(
        "The Sampler cannot merge the round's result for {value} MB: {why}."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::FunctionSnapshot;
    use powertune_core::input::{Defaults, ExecutionInput};
    use powertune_core::power::{Keep, PowerStats};
    use powertune_core::pricing::{lambda_price, Architecture};
    use powertune_core::report_line::Report;
    use serde_json::json;

    fn plan(input: serde_json::Value) -> Plan {
        let input = ExecutionInput::from_json(&input, &Defaults::default()).unwrap();
        let function = FunctionSnapshot::for_test("us-east-1");
        Plan::new(&input, function, "run1".into())
    }

    /// A round of `count` invocations of `value` lasting `ms` each (plus a small ramp).
    fn round(value: u32, count: u32, ms: f64, keep: Keep) -> ExecutorOutput {
        let reports: Vec<Report> = (0..count)
            .map(|i| Report {
                request_id: None,
                duration_ms: Some(ms + f64::from(i) * 0.01),
                billed_duration_ms: Some((ms + f64::from(i) * 0.01).ceil()),
                init_duration_ms: None,
                restore_duration_ms: None,
                billed_restore_duration_ms: None,
                memory_size_mb: Some(value),
                max_memory_used_mb: Some(40),
                first_in_environment: false,
            })
            .collect();
        let price = lambda_price("us-east-1", Architecture::X86_64);
        ExecutorOutput::Stats(Box::new(PowerStats::from_reports_keeping(
            value, &reports, 0, &price, 0.2, keep,
        )))
    }

    #[test]
    fn an_lmi_round_is_merged_by_configuration_and_settles_the_run() {
        use crate::events::ManagedLoad;
        use powertune_core::managed::analysis::Load;
        let plan = plan(json!({"lambdaARN": "f", "num": 5, "powerValues": [2048],
                               "managedInstances": true, "memorySizes": [2048],
                               "memoryPerVcpu": [2], "concurrencies": [1, 4]}));
        let configurations = plan
            .input
            .managed_instances
            .as_ref()
            .unwrap()
            .configurations()
            .0;
        let load = |index: u32| {
            ExecutorOutput::Load(Box::new(ManagedLoad {
                index,
                configuration: configurations[index as usize],
                load: Load {
                    seconds: 2.0,
                    completed: 10 * u64::from(index + 1),
                    ..Load::default()
                },
            }))
        };
        // A Load's JSON is not a PowerStats': the untagged document reads back as a Load.
        let text = serde_json::to_string(&load(1)).unwrap();
        assert_eq!(
            serde_json::from_str::<ExecutorOutput>(&text).unwrap(),
            load(1)
        );
        // The Map returns its items in any order; a missing one is refused.
        let wrong = sample(SamplerEvent {
            plan: plan.clone(),
            round: vec![load(1)],
        })
        .unwrap_err();
        assert!(
            wrong.to_string().contains("[1] (configuration indices)"),
            "{wrong}"
        );
        let merged = sample(SamplerEvent {
            plan,
            round: vec![load(1), load(0)],
        })
        .unwrap();
        assert!(merged.sampling.settled);
        assert!(merged.sampling.values.is_empty());
        assert_eq!(merged.sampling.rounds, vec![2]);
        let loads = merged.loads();
        assert_eq!(loads.len(), 2);
        assert_eq!((loads[0].0.concurrency, loads[0].1.completed), (1, 10));
        assert_eq!((loads[1].0.concurrency, loads[1].1.completed), (4, 20));
    }

    #[test]
    fn a_plain_run_is_settled_by_its_one_round() {
        let p = plan(json!({"lambdaARN": "f", "num": 10, "powerValues": [128, 256]}));
        // The state as the Map leaves it: the plan's fields beside "round".
        let mut state = serde_json::to_value(&p).unwrap();
        state["round"] = json!([
            round(256, 10, 20.0, Keep::Spaced),
            round(128, 10, 40.0, Keep::Spaced)
        ]);
        let event: SamplerEvent = serde_json::from_value(state).unwrap();
        let after = sample(event).unwrap();
        assert!(after.sampling.settled);
        assert_eq!(after.sampling.rounds, vec![2]);
        let values: Vec<u32> = after.results.iter().map(output_value).collect();
        assert_eq!(values, vec![128, 256]);
        // What goes back to the state has no "round".
        assert!(serde_json::to_value(&after).unwrap().get("round").is_none());
    }

    #[test]
    fn adaptive_rounds_are_merged_into_one_result_per_power_value() {
        let mut p = plan(
            json!({"lambdaARN": "f", "num": 50, "powerValues": [128, 1024], "adaptive": true}),
        );
        assert_eq!(p.sampling.count, 5);
        // 1024 MB costs four times as much per invocation: clear after 5, but no power value
        // settles before 8 invocations, so a second round of 3 follows.
        p = sample(SamplerEvent {
            round: vec![
                round(128, 5, 40.0, Keep::All),
                round(1024, 5, 20.0, Keep::All),
            ],
            plan: p,
        })
        .unwrap();
        assert!(!p.sampling.settled, "{:?}", p.sampling);
        assert_eq!((p.sampling.first, p.sampling.count), (5, 3));
        p = sample(SamplerEvent {
            round: vec![
                round(128, 3, 40.0, Keep::All),
                round(1024, 3, 20.0, Keep::All),
            ],
            plan: p,
        })
        .unwrap();
        assert!(p.sampling.settled, "{:?}", p.sampling);
        for s in &p.results {
            let ExecutorOutput::Stats(s) = s else {
                panic!()
            };
            assert_eq!(s.invocations, Some(8));
            assert!(s.stop_reason.is_some());
        }

        // A second round (as if the first had not settled) is merged into the first.
        let mut p =
            plan(json!({"lambdaARN": "f", "num": 50, "powerValues": [128, 256], "adaptive": true}));
        p.results = vec![
            round(128, 5, 40.0, Keep::All),
            round(256, 5, 20.0, Keep::All),
        ];
        p.sampling.first = 5;
        p.sampling.count = 3;
        p.sampling.rounds = vec![2];
        let p = sample(SamplerEvent {
            round: vec![
                round(128, 3, 41.0, Keep::All),
                round(256, 3, 21.0, Keep::All),
            ],
            plan: p,
        })
        .unwrap();
        assert_eq!(p.sampling.rounds, vec![2, 2]);
        let ExecutorOutput::Stats(s) = &p.results[0] else {
            panic!()
        };
        assert_eq!(s.invocations, Some(8));
        let durations = &s.samples.as_ref().unwrap().durations;
        assert_eq!(durations.len(), 8);
        assert_eq!((durations[0], durations[7]), (40.0, 41.02));
    }

    #[test]
    fn a_round_that_does_not_match_the_plan_is_refused() {
        let p = plan(json!({"lambdaARN": "f", "num": 10, "powerValues": [128, 256]}));
        let err = sample(SamplerEvent {
            round: vec![round(128, 10, 40.0, Keep::Spaced)],
            plan: p.clone(),
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("[128] MB, but the round invoked [128, 256] MB"),
            "{err}"
        );

        // Statistics that kept only some invocations cannot be merged with a later round.
        let mut p =
            plan(json!({"lambdaARN": "f", "num": 100, "powerValues": [128], "adaptive": true}));
        p.results = vec![round(128, 60, 40.0, Keep::Spaced)];
        p.sampling.first = 60;
        let err = sample(SamplerEvent {
            round: vec![round(128, 5, 40.0, Keep::All)],
            plan: p,
        })
        .unwrap_err();
        assert!(err.to_string().contains("cannot merge"), "{err}");
    }
}
