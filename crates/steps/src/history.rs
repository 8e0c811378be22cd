//! Step Functions' limit on an execution's history (25,000 events, "Step Functions service
//! quotas"): a run whose events would pass it fails where no `Catch` runs, leaving versions
//! and a changed `$LATEST`. The Initializer estimates the events from the plan, at their most,
//! and refuses such a run with the numbers.
//!
//! Events per state, as Step Functions writes them: a Task state entered, scheduled, started,
//! succeeded and exited (5); a Choice entered and exited (2); a Map entered, started, succeeded
//! and exited (4), plus per iteration its start and success and its Task's 5 (7); the
//! execution's start and end (2). Retries add events, so the estimate must stay under
//! [`REFUSE_ABOVE`], a tenth below the limit.

use crate::events::Plan;
use powertune_core::sampling::Sampling;
use std::time::Duration;

/// Step Functions' history limit, events.
pub const HISTORY_EVENT_LIMIT: u64 = 25_000;
/// The most events a run may be estimated at: room is left for retries.
pub const REFUSE_ABOVE: u64 = HISTORY_EVENT_LIMIT / 10 * 9;
/// What one configuration takes the Publisher on AWS (an update settles in 1 to 3 s,
/// BENCHMARKS.md, "Publisher rounds"): the estimate takes the slow end.
const SECONDS_PER_CONFIGURATION: u64 = 3;
/// What the Cleaner spends per alias or version it deletes, at the slow end.
const SECONDS_PER_DELETE: u64 = 1;

/// A run's history, estimated at its most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// Events.
    pub events: u64,
    /// Publisher invocations.
    pub publisher_rounds: u64,
    /// Configurations one Publisher invocation publishes.
    pub per_publisher_round: u64,
}

impl History {
    /// Whether the run fits Step Functions' history with room for retries.
    pub fn fits(&self) -> bool {
        self.events <= REFUSE_ABOVE
    }
}

/// The history of `plan`'s run when each step may run for `budget` (the deployment's
/// `totalExecutionTimeout`).
pub fn estimate(plan: &Plan, budget: Duration) -> History {
    let input = &plan.input;
    let configurations = plan.configurations().len() as u64;
    let seconds = budget.as_secs();
    // The Publisher goes on while more than twice its slowest configuration and the margin are
    // left (publisher.rs), and always publishes one.
    let margin = crate::publisher::SAFETY_MARGIN.as_secs();
    let per_publisher_round = (seconds.saturating_sub(margin + 2 * SECONDS_PER_CONFIGURATION)
        / SECONDS_PER_CONFIGURATION)
        .max(1);
    let publisher_rounds = configurations.div_ceil(per_publisher_round).max(1);
    // Every alias and version of the run is deleted.
    let deletes = 2 * configurations + u64::from(input.auto_optimize_alias.is_some());
    let per_cleaner_round = (seconds.saturating_sub(margin) / SECONDS_PER_DELETE).max(1);
    let cleaner_rounds = deletes.div_ceil(per_cleaner_round).max(1);
    // The first round's items: the power values, or an LMI run's configurations.
    let values = plan.sampling.values.len() as u64;
    let sampling_round = 4 + 7 * values + 5 + 2;
    let events = 2
        + 5
        + 7 * publisher_rounds
        + u64::from(Sampling::most_rounds(input)) * sampling_round
        + 7 * cleaner_rounds
        + 5
        + 5;
    History {
        events,
        publisher_rounds,
        per_publisher_round,
    }
}

/// Why a run is refused: its numbers, and what would make it fit.
pub fn too_long_message(plan: &Plan, history: &History, budget: Duration) -> String {
    format!(
        "This run would write about {} events to the execution's history, and Step Functions stops an execution at {} (which no Catch can clean up after): {} configurations, about {} per Publisher invocation with totalExecutionTimeout {} s, so about {} Publisher invocations. Lower \"num\" with \"onlyColdStarts\" or the number of power values, or deploy with a longer totalExecutionTimeout.",
        history.events,
        HISTORY_EVENT_LIMIT,
        plan.configurations().len(),
        history.per_publisher_round,
        budget.as_secs(),
        history.publisher_rounds
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::FunctionSnapshot;
    use powertune_core::input::{Defaults, ExecutionInput};
    use serde_json::json;

    fn plan(input: serde_json::Value) -> Plan {
        let input = ExecutionInput::from_json(&input, &Defaults::default()).unwrap();
        let function = FunctionSnapshot::for_test("us-east-1");
        Plan::new(&input, function, "run1".into())
    }

    #[test]
    fn a_long_cold_start_run_with_a_short_timeout_is_over_the_history_limit() {
        // Issue 27: onlyColdStarts x "ALL" at num 100 is 4,600 configurations; with 10 s per
        // step the Publisher publishes one a time.
        let long = plan(json!({"lambdaARN": "f", "num": 100, "powerValues": "ALL",
                               "onlyColdStarts": true}));
        let short = estimate(&long, Duration::from_secs(10));
        assert_eq!(short.per_publisher_round, 1);
        assert_eq!(short.publisher_rounds, 4600);
        assert!(!short.fits(), "{short:?}");
        assert!(too_long_message(&long, &short, Duration::from_secs(10))
            .contains("4600 configurations"));
        // The default timeout (300 s) publishes 96 a round: it fits.
        let default = estimate(&long, Duration::from_secs(300));
        assert_eq!(default.per_publisher_round, 96);
        assert!(default.fits(), "{default:?}");
        // An ordinary run is far below.
        let plain = plan(json!({"lambdaARN": "f", "num": 10, "powerValues": [128, 512, 1024]}));
        let h = estimate(&plain, Duration::from_secs(300));
        assert!(h.events < 100, "{h:?}");
    }
}
