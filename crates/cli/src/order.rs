//! The order of a local run's steps: the state machine's transitions (statemachine/
//! statemachine.asl.json), as one function of what each step answered. The local run follows
//! [`next`]; a test walks the definition itself with the same answers and fails when the two
//! differ, so a change of order on either side is caught.

/// A state of the definition that the local run takes part in (its Choice states are the
/// conditions inside [`next`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Publisher,
    /// The Map state: one Executor per power value of the round.
    Branching,
    Sampler,
    Cleaner,
    Analyzer,
    Optimizer,
    CleanUpOnError,
    /// The run ended well (the Optimizer's end, or `DryRunDone`).
    Succeeded,
    /// The run ended with the first error (`Failed` or `FailedWithoutCause`).
    Failed,
}

/// What the run knows when a step has answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answer {
    /// The step failed.
    pub failed: bool,
    /// `$.publishingDone`.
    pub publishing_done: bool,
    /// `$.sampling.settled`.
    pub settled: bool,
    /// `$.cleanup.done`, when the last cleanup answered with a report.
    pub cleanup_done: Option<bool>,
    /// `$.input.dryRun`.
    pub dry_run: bool,
}

/// The step after `step`, given its answer (the Initializer comes before: its failure ends the
/// run as it is, with nothing to clean up).
pub fn next(step: Step, answer: Answer) -> Step {
    use Step::*;
    match step {
        // A failed cleanup after a failure ends the run with the first error.
        CleanUpOnError if answer.failed => Failed,
        CleanUpOnError if answer.cleanup_done == Some(false) => CleanUpOnError,
        CleanUpOnError => Failed,
        Succeeded | Failed => step,
        _ if answer.failed => CleanUpOnError,
        Publisher if answer.publishing_done => Branching,
        Publisher => Publisher,
        Branching => Sampler,
        Sampler if answer.settled => Cleaner,
        Sampler => Branching,
        Cleaner if answer.cleanup_done == Some(false) => Cleaner,
        Cleaner if answer.dry_run => Succeeded,
        Cleaner => Analyzer,
        Analyzer => Optimizer,
        Optimizer => Succeeded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The definition, its `${...}` substitutions replaced by a number so that it parses.
    fn definition() -> Value {
        let text = include_str!("../../../statemachine/statemachine.asl.json");
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .map_or(rest.len(), |e| start + e + 1);
            let quoted = out.ends_with('"');
            out.push_str(if quoted { "x" } else { "1" });
            rest = &rest[end..];
        }
        out.push_str(rest);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("the definition: {e}"))
    }

    /// What each step answers, in order of its calls; a failure at the n-th call of a step.
    #[derive(Default, Clone)]
    struct Script {
        publisher: Vec<bool>,
        sampler: Vec<bool>,
        cleaner: Vec<bool>,
        clean_up_on_error: Vec<bool>,
        fail: Vec<(&'static str, usize)>,
        dry_run: bool,
    }

    impl Script {
        fn fails(&self, name: &str, call: usize) -> bool {
            self.fail.contains(&(step_name(name), call))
        }
    }

    fn step_name(name: &str) -> &'static str {
        match name {
            "Initializer" => "Initializer",
            "Publisher" => "Publisher",
            "Branching" => "Branching",
            "Sampler" => "Sampler",
            "Cleaner" => "Cleaner",
            "Analyzer" => "Analyzer",
            "Optimizer" => "Optimizer",
            "CleanUpOnError" => "CleanUpOnError",
            _ => "other",
        }
    }

    fn path<'a>(state: &'a Value, p: &str) -> Option<&'a Value> {
        p.trim_start_matches("$.")
            .split('.')
            .try_fold(state, |v, k| v.get(k))
    }

    fn holds(rule: &Value, state: &Value) -> bool {
        if let Some(all) = rule.get("And").and_then(Value::as_array) {
            return all.iter().all(|r| holds(r, state));
        }
        let variable = rule["Variable"].as_str().unwrap_or_default();
        let value = path(state, variable);
        if let Some(present) = rule.get("IsPresent").and_then(Value::as_bool) {
            return value.is_some() == present;
        }
        if let Some(b) = rule.get("BooleanEquals").and_then(Value::as_bool) {
            return value.and_then(Value::as_bool) == Some(b);
        }
        panic!("a Choice rule this walk does not read: {rule}")
    }

    fn set(state: &mut Value, result_path: &str, value: Value) {
        let key = result_path.trim_start_matches("$.");
        state[key] = value;
    }

    /// Walks the definition from the Publisher: the Task and Map states visited, in order.
    fn walk_definition(script: &Script) -> Vec<String> {
        let def = definition();
        let states = &def["States"];
        let mut state = json!({"input": {"dryRun": script.dry_run}});
        let mut calls = std::collections::HashMap::<String, usize>::new();
        let mut visited = Vec::new();
        let mut at = "Publisher".to_string();
        for _ in 0..100 {
            let s = &states[&at];
            match s["Type"].as_str() {
                Some("Task") | Some("Map") => {
                    visited.push(at.clone());
                    let call = *calls.entry(at.clone()).and_modify(|c| *c += 1).or_insert(0);
                    if script.fails(&at, call) {
                        let catch = &s["Catch"][0];
                        set(
                            &mut state,
                            catch["ResultPath"].as_str().unwrap_or("$.error"),
                            json!({"Error": "E", "Cause": "c"}),
                        );
                        at = catch["Next"].as_str().unwrap_or_default().to_string();
                        continue;
                    }
                    let answer = |list: &[bool]| list.get(call).copied().unwrap_or(true);
                    match at.as_str() {
                        "Publisher" => {
                            state["publishingDone"] = json!(answer(&script.publisher));
                        }
                        "Sampler" => {
                            state["sampling"] = json!({"settled": answer(&script.sampler)})
                        }
                        "Cleaner" => state["cleanup"] = json!({"done": answer(&script.cleaner)}),
                        "CleanUpOnError" => {
                            state["cleanup"] = json!({"done": answer(&script.clean_up_on_error)})
                        }
                        _ => {}
                    }
                    match s.get("Next").and_then(Value::as_str) {
                        Some(n) => at = n.to_string(),
                        None => {
                            visited.push("Succeeded".into());
                            return visited;
                        }
                    }
                }
                Some("Choice") => {
                    at = s["Choices"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| holds(c, &state))
                        .map_or(&s["Default"], |c| &c["Next"])
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                }
                Some("Pass") => {
                    visited.push("Succeeded".into());
                    return visited;
                }
                Some("Fail") => {
                    visited.push("Failed".into());
                    return visited;
                }
                other => panic!("{at}: a state type this walk does not read: {other:?}"),
            }
        }
        panic!("the definition did not end within 100 states: {visited:?}")
    }

    /// Walks [`next`] with the same answers.
    fn walk_local(script: &Script) -> Vec<String> {
        let mut calls = std::collections::HashMap::<Step, usize>::new();
        let mut answer = Answer {
            dry_run: script.dry_run,
            ..Answer::default()
        };
        let mut visited = Vec::new();
        let mut step = Step::Publisher;
        for _ in 0..100 {
            visited.push(format!("{step:?}"));
            if matches!(step, Step::Succeeded | Step::Failed) {
                return visited;
            }
            let call = *calls.entry(step).and_modify(|c| *c += 1).or_insert(0);
            let given = |list: &[bool]| list.get(call).copied().unwrap_or(true);
            answer.failed = script.fails(&format!("{step:?}"), call);
            if !answer.failed {
                match step {
                    Step::Publisher => answer.publishing_done = given(&script.publisher),
                    Step::Sampler => answer.settled = given(&script.sampler),
                    Step::Cleaner => answer.cleanup_done = Some(given(&script.cleaner)),
                    Step::CleanUpOnError => {
                        answer.cleanup_done = Some(given(&script.clean_up_on_error))
                    }
                    _ => {}
                }
            }
            step = next(step, answer);
        }
        panic!("the local order did not end within 100 steps: {visited:?}")
    }

    #[test]
    fn the_local_run_takes_the_definitions_transitions() {
        let scripts = [
            ("success", Script::default()),
            (
                "two Publisher rounds",
                Script {
                    publisher: vec![false, true],
                    ..Script::default()
                },
            ),
            (
                "a Sampler that asks for two more rounds",
                Script {
                    sampler: vec![false, false, true],
                    ..Script::default()
                },
            ),
            (
                "a Cleaner that needs three rounds",
                Script {
                    cleaner: vec![false, false, true],
                    ..Script::default()
                },
            ),
            (
                "a dry run",
                Script {
                    dry_run: true,
                    ..Script::default()
                },
            ),
            (
                "a failed Executor",
                Script {
                    fail: vec![("Branching", 0)],
                    ..Script::default()
                },
            ),
            (
                "a failed Executor in the second round, cleaned up in two rounds",
                Script {
                    sampler: vec![false, true],
                    fail: vec![("Branching", 1)],
                    clean_up_on_error: vec![false, true],
                    ..Script::default()
                },
            ),
            (
                "a failed Publisher",
                Script {
                    fail: vec![("Publisher", 0)],
                    ..Script::default()
                },
            ),
            (
                "a failed Cleaner",
                Script {
                    fail: vec![("Cleaner", 1)],
                    cleaner: vec![false, true],
                    ..Script::default()
                },
            ),
            (
                "a failed Analyzer",
                Script {
                    fail: vec![("Analyzer", 0)],
                    ..Script::default()
                },
            ),
            (
                "a cleanup after a failure that needs two rounds",
                Script {
                    fail: vec![("Optimizer", 0)],
                    clean_up_on_error: vec![false],
                    ..Script::default()
                },
            ),
            (
                "a failed cleanup after a failure",
                Script {
                    fail: vec![("Sampler", 0), ("CleanUpOnError", 0)],
                    ..Script::default()
                },
            ),
        ];
        for (name, script) in scripts {
            assert_eq!(walk_local(&script), walk_definition(&script), "{name}");
        }
        // The walk sees the loops: a Cleaner that needs three rounds is called three times.
        let three = walk_definition(&Script {
            cleaner: vec![false, false, true],
            ..Script::default()
        });
        assert_eq!(three.iter().filter(|s| *s == "Cleaner").count(), 3);
    }
}
