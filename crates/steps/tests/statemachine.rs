//! The shipped state machine and template agree with the steps: every error name the ASL
//! matches exists, every substitution is filled, every template parameter is used, and the
//! transition count the Analyzer prices is the one the definition makes.

use powertune_core::pricing::StateMachineRun;
use powertune_steps::StepError;
use serde_json::{Map, Value};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn raw_definition() -> String {
    std::fs::read_to_string(root().join("statemachine/statemachine.asl.json")).unwrap()
}

fn template() -> String {
    std::fs::read_to_string(root().join("template.yaml")).unwrap()
}

fn definition() -> Value {
    let text = raw_definition().replace("${totalExecutionTimeout}", "300");
    serde_json::from_str(&text).expect("the definition is JSON once substituted")
}

/// Every state object, nested ones (Map iterations) included.
fn all_states(states: &Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (name, state) in states {
        out.push((name.clone(), state.clone()));
        if let Some(inner) = state
            .pointer("/ItemProcessor/States")
            .and_then(Value::as_object)
        {
            all_states(inner, out);
        }
    }
}

fn states() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    all_states(definition()["States"].as_object().unwrap(), &mut out);
    out
}

#[test]
fn every_matched_error_name_is_one_the_steps_or_step_functions_raise() {
    let mut checked = 0;
    for (name, state) in states() {
        for rule in ["Retry", "Catch"] {
            for entry in state[rule].as_array().into_iter().flatten() {
                for error in entry["ErrorEquals"].as_array().unwrap() {
                    let error = error.as_str().unwrap();
                    // Sandbox.Timedout: the errorType of a Lambda task that timed out or was
                    // killed, where Step Functions reports the payload's type (moto does).
                    let transport = |service: &str| {
                        StepError::TRANSPORT_CODES
                            .iter()
                            .any(|code| error == format!("{service}.{code}"))
                    };
                    let known = error.starts_with("States.")
                        || StepError::POWER_TUNING_TYPES.contains(&error)
                        || error == "Sandbox.Timedout"
                        || (error.starts_with("Lambda.")
                            && (error.ends_with("Exception")
                                || error == "Lambda.Unknown"
                                || transport("Lambda")))
                        || transport("S3")
                        || transport("CloudWatchLogs")
                        || LOGS_TRANSIENT_CODES
                            .iter()
                            .any(|c| error == format!("CloudWatchLogs.{c}"))
                        || S3_TRANSIENT_CODES
                            .iter()
                            .any(|c| error == format!("S3.{c}"));
                    assert!(known, "{name} {rule} matches {error}, which nothing raises");
                    if rule == "Retry" {
                        assert_ne!(
                            error, "PowerTuning.InvalidInput",
                            "{name} retries invalid input"
                        );
                        assert_ne!(error, "States.ALL", "{name} retries everything");
                        assert_ne!(
                            error, "PowerTuning.Throttled",
                            "{name} re-runs a throttled function's invocations"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10);
}

#[test]
fn retries_back_off_with_jitter() {
    for (name, state) in states() {
        for retry in state["Retry"].as_array().into_iter().flatten() {
            assert!(retry["BackoffRate"].as_f64().unwrap() > 1.0, "{name}");
            assert!(retry["MaxDelaySeconds"].as_u64().is_some(), "{name}");
            assert_eq!(retry["JitterStrategy"], "FULL", "{name}");
        }
    }
}

#[test]
fn every_state_after_the_initializer_cleans_up_on_error_and_fails_with_the_original_error() {
    let def = definition();
    for (name, state) in states() {
        let is_task_or_map = state["Type"] == "Task" || state["Type"] == "Map";
        let inside_map = def["States"].get(&name).is_none();
        if !is_task_or_map || inside_map || name == "Initializer" || name == "CleanUpOnError" {
            continue;
        }
        let catch = &state["Catch"][0];
        assert_eq!(catch["ErrorEquals"][0], "States.ALL", "{name}");
        assert_eq!(catch["ResultPath"], "$.error", "{name}");
        assert_eq!(catch["Next"], "CleanUpOnError", "{name}");
    }
    assert!(
        def["States"]["Initializer"].get("Catch").is_none(),
        "invalid input must fail at once"
    );
    let cleanup = &def["States"]["CleanUpOnError"];
    assert_eq!(cleanup["Next"], "HasCause");
    assert_eq!(
        cleanup["Catch"][0]["Next"], "HasCause",
        "a failed cleanup still reports the original error"
    );
    // A failed cleanup replaces the unfinished report, so it is not resumed forever.
    assert_eq!(cleanup["Catch"][0]["ResultPath"], "$.cleanup");
    let choice = &def["States"]["HasCause"];
    assert_eq!(choice["Type"], "Choice");
    // An unfinished cleanup (a report that says done: false) runs again; a report that is
    // absent or an error object is not read as one (a Choice on a missing field fails).
    let resume = &choice["Choices"][0];
    assert_eq!(resume["Next"], "CleanUpOnError");
    assert_eq!(resume["And"][0]["Variable"], "$.cleanup.done");
    assert_eq!(resume["And"][0]["IsPresent"], true);
    assert_eq!(resume["And"][1]["BooleanEquals"], false);
    // A Fail state's CausePath that is missing raises States.Runtime and loses the error, so
    // Failed is reached only when the error has a Cause.
    assert_eq!(choice["Choices"][1]["Variable"], "$.error.Cause");
    assert_eq!(choice["Choices"][1]["IsPresent"], true);
    assert_eq!(choice["Choices"][1]["Next"], "Failed");
    let failed = &def["States"]["Failed"];
    assert_eq!(failed["Type"], "Fail");
    assert_eq!(failed["ErrorPath"], "$.error.Error");
    assert_eq!(failed["CausePath"], "$.error.Cause");
    let without = &def["States"][choice["Default"].as_str().unwrap()];
    assert_eq!(without["Type"], "Fail");
    assert_eq!(without["ErrorPath"], "$.error.Error");
    assert!(without.get("CausePath").is_none() && without["Cause"].is_string());
}

/// S3's error codes for a request that may succeed when tried again (500, 503).
/// CloudWatch Logs' errors the Initializer's "auto" query retries: Logs Insights past its 30
/// concurrent queries per account, throttling, and an unavailable service (StartQuery's and
/// GetQueryResults' documented errors).
const LOGS_TRANSIENT_CODES: &[&str] = &[
    "LimitExceededException",
    "ThrottlingException",
    "ServiceUnavailableException",
];

const S3_TRANSIENT_CODES: [&str; 3] = ["InternalError", "ServiceUnavailable", "SlowDown"];

fn retried_by(state: &Value) -> Vec<&str> {
    state["Retry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["ErrorEquals"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn transient_lambda_errors_are_retried_everywhere_and_the_executor_retries_failures_twice() {
    // "Handle Lambda service exceptions" (Step Functions developer guide) lists the first five,
    // and reports timeouts and out-of-memory kills as Lambda.Unknown. EC2ThrottledException and
    // ResourceNotReadyException are Invoke's for a VPC function (the steps', when deployed in a
    // VPC, or the tuned function). The steps' own transport failures keep the SDK's kind.
    let mut transient = vec![
        "Lambda.ServiceException".to_string(),
        "Lambda.AWSLambdaException".into(),
        "Lambda.SdkClientException".into(),
        "Lambda.ClientExecutionTimeoutException".into(),
        "Lambda.TooManyRequestsException".into(),
        "Lambda.EC2ThrottledException".into(),
        "Lambda.ResourceNotReadyException".into(),
    ];
    transient.extend(
        StepError::TRANSPORT_CODES
            .iter()
            .map(|c| format!("Lambda.{c}")),
    );
    for (name, state) in states() {
        if state["Type"] != "Task" {
            continue;
        }
        let retried = retried_by(&state);
        for t in &transient {
            assert!(retried.contains(&t.as_str()), "{name} does not retry {t}");
        }
        // Those that update $LATEST retry a conflict with an update in progress.
        if ["Publisher", "Cleaner", "CleanUpOnError", "Optimizer"].contains(&name.as_str()) {
            assert!(
                retried.contains(&"Lambda.ResourceConflictException"),
                "{name} does not retry a conflicting update"
            );
        }
        // A killed step that changes the function is retried; the Optimizer's version of a
        // killed round is found by its marker or handed back unchanged.
        if [
            "Publisher",
            "Cleaner",
            "CleanUpOnError",
            "Optimizer",
            "Executor",
        ]
        .contains(&name.as_str())
        {
            for killed in ["Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"] {
                assert!(retried.contains(&killed), "{name} does not retry {killed}");
            }
        }
    }
    // The Executor's read of payloadS3 retries S3's transient answers and transport failures.
    let executor_state = states()
        .into_iter()
        .find(|(n, _)| n == "Executor")
        .unwrap()
        .1;
    let executor_retries = retried_by(&executor_state);
    for code in S3_TRANSIENT_CODES
        .iter()
        .chain(StepError::TRANSPORT_CODES.iter())
    {
        assert!(
            executor_retries.contains(&format!("S3.{code}").as_str()),
            "the Executor does not retry S3.{code}"
        );
    }
    let executor = states()
        .into_iter()
        .find(|(n, _)| n == "Executor")
        .unwrap()
        .1;
    let failures = executor["Retry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ErrorEquals"]
                .as_array()
                .unwrap()
                .contains(&Value::from("PowerTuning.InvocationError"))
        })
        .expect("the Executor retries the function's failures");
    assert_eq!(failures["MaxAttempts"], 2);
    for e in ["Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"] {
        assert!(
            failures["ErrorEquals"]
                .as_array()
                .unwrap()
                .contains(&Value::from(e)),
            "{e}"
        );
    }
    let publisher = &definition()["States"]["Publisher"];
    let killed: Vec<&Value> = publisher["Retry"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["ErrorEquals"].as_array().unwrap())
        .collect();
    assert!(
        killed.contains(&&Value::from("Lambda.Unknown")),
        "a killed Publisher is retried"
    );
}

#[test]
fn every_substitution_is_filled_by_the_template_and_every_parameter_is_used() {
    let raw = raw_definition();
    let template = template();
    let mut placeholders: Vec<&str> = raw
        .split("${")
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect();
    placeholders.sort();
    placeholders.dedup();
    assert_eq!(placeholders.len(), 8, "{placeholders:?}");
    for p in &placeholders {
        assert!(
            template.contains(&format!("        {p}: ")),
            "DefinitionSubstitutions lacks {p}"
        );
    }

    let parameters: Vec<&str> = template
        .split("\nParameters:\n")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .collect();
    assert_eq!(parameters.len(), 13, "{parameters:?}");
    for p in parameters {
        let used =
            template.contains(&format!("!Ref {p}")) || template.contains(&format!("${{{p}}}"));
        assert!(used, "template parameter {p} is never used");
    }
}

/// A happy path through the definition: `IsPublished` is true on its `publisher_rounds`-th
/// visit, the Map's k-th round iterates over `sampling_rounds[k]` power values and `IsSettled`
/// is true after the last, the cleanup is done on the `cleaner_rounds`-th visit of
/// `IsCleaned`, and the run is not a dry run.
struct Path<'a> {
    publisher_rounds: usize,
    sampling_rounds: &'a [usize],
    cleaner_rounds: usize,
    published_visits: usize,
    cleaner_visits: usize,
    maps: usize,
}

/// Whether a Choice rule holds on the path.
fn holds(rule: &Value, path: &mut Path) -> bool {
    let variable = rule["Variable"].as_str().unwrap_or_default();
    match variable {
        "$.publishingDone" => {
            path.published_visits += 1;
            path.published_visits == path.publisher_rounds
        }
        "$.sampling.settled" => path.maps == path.sampling_rounds.len(),
        "$.input.dryRun" => false,
        "$.cleanup.done" => {
            assert_eq!(
                rule["BooleanEquals"], false,
                "IsCleaned loops while not done"
            );
            path.cleaner_visits += 1;
            path.cleaner_visits < path.cleaner_rounds
        }
        other => panic!("a Choice on {other} the walk does not know"),
    }
}

/// Counts every state entered from `start`, Map iterations included.
fn transitions(states: &Map<String, Value>, start: &str, path: &mut Path) -> u64 {
    let mut count = 0;
    let mut name = start.to_string();
    loop {
        let state = &states[&name];
        count += 1;
        let next = match state["Type"].as_str().unwrap() {
            "Choice" => state["Choices"]
                .as_array()
                .unwrap()
                .iter()
                .find(|rule| holds(rule, path))
                .map_or_else(|| state["Default"].clone(), |rule| rule["Next"].clone()),
            "Map" => {
                let inner = state["ItemProcessor"]["States"].as_object().unwrap();
                let start = state["ItemProcessor"]["StartAt"].as_str().unwrap();
                let iterations = path.sampling_rounds[path.maps];
                path.maps += 1;
                for _ in 0..iterations {
                    count += transitions(inner, start, path);
                }
                state["Next"].clone()
            }
            "Fail" | "Succeed" => return count,
            _ => state["Next"].clone(),
        };
        if state["End"] == true {
            return count;
        }
        name = next.as_str().unwrap().to_string();
    }
}

#[test]
fn the_priced_transition_count_is_the_definitions() {
    let def = definition();
    let states = def["States"].as_object().unwrap();
    let cases: [(usize, &[usize], usize); 7] = [
        (1, &[1], 1),
        (1, &[6], 1),
        (2, &[6], 1),
        (1, &[46], 1),
        (3, &[46], 1),
        // Adaptive: rounds of fewer and fewer power values.
        (1, &[6, 4, 4, 1], 1),
        // A big run: more Publisher and Cleaner invocations.
        (4, &[46], 3),
    ];
    for (publisher_rounds, sampling_rounds, cleaner_rounds) in cases {
        let mut path = Path {
            publisher_rounds,
            sampling_rounds,
            cleaner_rounds,
            published_visits: 0,
            cleaner_visits: 0,
            maps: 0,
        };
        let walked = transitions(states, def["StartAt"].as_str().unwrap(), &mut path);
        let priced = StateMachineRun {
            rounds: sampling_rounds.to_vec(),
            publisher_rounds,
            cleaner_rounds,
        }
        .transitions();
        assert_eq!(
            walked, priced,
            "{publisher_rounds} Publisher rounds, sampling rounds {sampling_rounds:?}, {cleaner_rounds} Cleaner rounds"
        );
    }
}

#[test]
fn each_round_of_the_map_feeds_each_executor_one_power_value_and_the_sampler_decides_the_next() {
    let def = definition();
    let map = &def["States"]["Branching"];
    assert_eq!(map["ItemsPath"], "$.sampling.values");
    assert_eq!(map["ItemSelector"]["value.$"], "$$.Map.Item.Value");
    assert_eq!(map["ItemSelector"]["first.$"], "$.sampling.first");
    assert_eq!(map["ItemSelector"]["count.$"], "$.sampling.count");
    assert_eq!(map["MaxConcurrency"], 0);
    assert_eq!(map["ResultPath"], "$.round");
    assert_eq!(map["Next"], "Sampler");
    // The Executor event is exactly what ExecutorEvent reads.
    let mut keys: Vec<&str> = map["ItemSelector"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.trim_end_matches(".$"))
        .collect();
    keys.sort();
    assert_eq!(keys, ["count", "first", "function", "input", "value"]);
    // The Sampler reads the whole state (the plan and the round) and replaces it.
    let sampler = &def["States"]["Sampler"];
    assert!(sampler.get("Parameters").is_none() && sampler.get("ResultPath").is_none());
    assert_eq!(sampler["Next"], "IsSettled");
    let settled = &def["States"]["IsSettled"];
    assert_eq!(settled["Choices"][0]["Variable"], "$.sampling.settled");
    assert_eq!(settled["Choices"][0]["Next"], "Cleaner");
    assert_eq!(settled["Default"], "Branching");
    // The Analyzer prices the rounds.
    assert_eq!(
        def["States"]["Analyzer"]["Parameters"]["sampling.$"],
        "$.sampling"
    );
}

/// The lines of one resource of template.yaml (from `  name:` to the next resource).
fn resource(name: &str) -> String {
    let template = template();
    let header = format!("  {name}:");
    let is_resource = |l: &str| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':');
    let lines: Vec<&str> = template
        .lines()
        .skip_while(|l| *l != header)
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !is_resource(l))
        .map(|(_, l)| l)
        .collect();
    assert!(!lines.is_empty(), "no resource {name}");
    lines.join("\n")
}

#[test]
fn each_step_may_call_what_it_calls() {
    for (step, actions) in [
        (
            "initializer",
            &[
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionConcurrency",
                "lambda:ListProvisionedConcurrencyConfigs",
                "lambda:ListAliases",
                "lambda:GetAlias",
                "lambda:GetAccountSettings",
                "pricing:GetProducts",
            ][..],
        ),
        (
            "publisher",
            &[
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:GetAlias",
                "lambda:CreateAlias",
                "lambda:UpdateAlias",
                "lambda:DeleteFunction",
                "lambda:PassCapacityProvider",
            ][..],
        ),
        (
            "optimizer",
            &[
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:GetAlias",
                "lambda:CreateAlias",
                "lambda:UpdateAlias",
                "lambda:ListVersionsByFunction",
                "lambda:DeleteFunction",
            ][..],
        ),
        (
            "cleaner",
            &[
                "lambda:GetAlias",
                "lambda:DeleteAlias",
                "lambda:DeleteFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionConfiguration",
                "lambda:ListVersionsByFunction",
                "lambda:ListAliases",
                "lambda:PassCapacityProvider",
            ][..],
        ),
    ] {
        let policy = resource(step);
        for action in actions {
            assert!(
                policy.contains(action),
                "{step} may not call {action}:\n{policy}"
            );
        }
    }
}

/// The statements of one resource's policies: the text from each `- Effect:` to the next.
fn statements(resource: &str) -> Vec<String> {
    resource
        .split("- Effect:")
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn steps_may_delete_versions_but_never_a_whole_function() {
    // "Function resource names" (Lambda developer guide): Lambda authorizes an action against
    // FunctionName and Qualifier together; a resource ending in :* accepts any qualified ARN
    // and denies the unqualified one, which DeleteFunction takes to delete the whole function.
    for step in ["publisher", "cleaner", "optimizer"] {
        let policy = resource(step);
        let deleting: Vec<String> = statements(&policy)
            .into_iter()
            .filter(|s| s.contains("lambda:DeleteFunction"))
            .collect();
        assert_eq!(deleting.len(), 1, "{step}: {policy}");
        let statement = &deleting[0];
        assert!(
            statement.contains("- !Sub ${lambdaResource}:*")
                && statement.contains("- !Sub arn:${AWS::Partition}:lambda:*:*:function:*:*")
                && statement.contains("- AnyLambdaResource"),
            "{step} may delete more than versions: {statement}"
        );
        assert!(
            !statement.contains("!Ref lambdaResource"),
            "{step}: {statement}"
        );
        // Nothing else in the statement: the other actions keep the plain resource.
        assert_eq!(
            statement.matches("lambda:").count(),
            2,
            "{step}: only DeleteFunction is scoped to versions: {statement}"
        );
    }
    assert!(template().contains("AnyLambdaResource: !Equals [!Ref lambdaResource, '*']"));
    // Nobody else may delete anything.
    for step in ["initializer", "executor", "sampler", "analyzer"] {
        assert!(!resource(step).contains("lambda:DeleteFunction"), "{step}");
    }
}

#[test]
fn execute_sh_expands_its_possibly_empty_array_as_bash_3_2_allows() {
    // macOS's /bin/bash is 3.2, where (as in every bash before 4.4) "${a[@]}" of an empty
    // array is an unbound variable under `set -u`; ${a[@]+"${a[@]}"} expands to nothing.
    // Debian has no bash that old to run the script with, so the form is checked here.
    let script = std::fs::read_to_string(root().join("scripts/execute.sh")).unwrap();
    assert!(script.contains("set -euo pipefail"));
    let guarded = r#"${gate[@]+"${gate[@]}"}"#;
    let bare = script.replace(guarded, "");
    assert!(
        !bare.contains(r#""${gate[@]}""#),
        "an unguarded expansion of gate, which may be empty"
    );
    assert!(script.contains(guarded));
    // Every exit code the header documents is one the script uses.
    for code in 0..=4 {
        if code > 0 {
            assert!(script.contains(&format!("exit {code}")), "exit {code}");
        }
        assert!(script.contains(&format!("{code} ")), "{code} is documented");
    }
}

#[test]
fn lambda_resource_must_end_with_a_wildcard() {
    let template = template();
    let pattern = template
        .lines()
        .skip_while(|l| l.trim() != "lambdaResource:")
        .find_map(|l| l.trim().strip_prefix("AllowedPattern: "))
        .expect("lambdaResource has an AllowedPattern");
    let re = regex_lite::Regex::new(pattern).unwrap();
    for good in [
        "*",
        "arn:aws:lambda:us-east-1:123456789012:function:my-function*",
        "arn:aws:lambda:*:*:function:*",
    ] {
        assert!(re.is_match(good), "{good} is rejected");
    }
    // An exact ARN does not cover my-function:RAM128, which powertune invokes.
    assert!(!re.is_match("arn:aws:lambda:us-east-1:123456789012:function:my-function"));
}

#[test]
fn the_state_machine_name_prefix_is_the_references() {
    let template = template();
    let default = template
        .lines()
        .skip_while(|l| l.trim() != "stateMachineNamePrefix:")
        .find_map(|l| l.trim().strip_prefix("Default: "))
        .unwrap();
    assert_eq!(default, "powerTuningStateMachine");
}

#[test]
fn the_scripts_find_the_state_machine_of_either_stack() {
    // scripts/execute.sh (and powertune tune --stack-name) read the StateMachineARN output, so
    // the stack that nests the SAR app must export that name too.
    let execute = std::fs::read_to_string(root().join("scripts/execute.sh")).unwrap();
    assert!(execute.contains("OutputKey=='StateMachineARN'"));
    let nested = std::fs::read_to_string(root().join("scripts/deploy-sar-app.yml")).unwrap();
    let outputs = nested
        .split("\nOutputs:\n")
        .nth(1)
        .expect("an Outputs section");
    assert!(
        outputs.lines().any(|l| l == "  StateMachineARN:"),
        "{outputs}"
    );
    assert!(template().contains("\n  StateMachineARN:\n"));
}

#[test]
fn redeploying_without_changes_succeeds() {
    let deploy = std::fs::read_to_string(root().join("scripts/deploy.sh")).unwrap();
    let deploys: Vec<&str> = deploy
        .lines()
        .filter(|l| l.trim_start().starts_with("sam deploy"))
        .collect();
    assert!(!deploys.is_empty());
    for line in deploys {
        assert!(line.contains("--no-fail-on-empty-changeset"), "{line}");
    }
}

/// Issue 27 (the reference's issue #214): with `environmentKmsKeyArn` set, the three steps that
/// update or publish the function get the key's grant, encrypt and decrypt; no other step does,
/// and without the parameter none does.
#[test]
fn the_environment_kms_key_goes_to_the_steps_that_update_the_function_only() {
    let template = template();
    let policy = template
        .split("\n  environmentKmsPolicy:\n")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .expect("template.yaml has environmentKmsPolicy");
    assert!(
        policy.contains("Condition: UseEnvironmentKmsKey"),
        "{policy}"
    );
    for action in ["kms:CreateGrant", "kms:Encrypt", "kms:Decrypt"] {
        assert!(policy.contains(action), "{action}");
    }
    assert!(
        policy.contains("Resource: !Ref environmentKmsKeyArn"),
        "{policy}"
    );
    let attached: Vec<&str> = [
        "initializer",
        "publisher",
        "executor",
        "sampler",
        "cleaner",
        "analyzer",
        "optimizer",
    ]
    .into_iter()
    .filter(|step| {
        template
            .split(&format!("\n  {step}:\n"))
            .nth(1)
            .and_then(|s| s.split("\n\n  ").next())
            .is_some_and(|block| {
                block.contains(
                    "!If [UseEnvironmentKmsKey, !Ref environmentKmsPolicy, !Ref AWS::NoValue]",
                )
            })
    })
    .collect();
    assert_eq!(attached, ["publisher", "cleaner", "optimizer"]);
}

/// Issue 27: the "auto" query may read Lambda's own log groups, and the groups the deployment
/// names, not every log group of the account.
#[test]
fn the_logs_query_is_scoped_to_the_log_groups_the_deployment_names() {
    let template = template();
    let initializer = template
        .split("\n  initializer:\n")
        .nth(1)
        .and_then(|s| s.split("\n\n  ").next())
        .expect("template.yaml has the initializer");
    assert!(
        initializer.contains("log-group:${queryLogGroups}"),
        "{initializer}"
    );
    assert!(!initializer.contains("log-group:*"), "{initializer}");
    assert!(template.contains("    Default: /aws/lambda/*\n"));
}
