//! The execution input's rules, message by message.

use super::*;
use crate::strategy::Strategy;
use proptest::prelude::{prop_assert, proptest};
use serde_json::json;

const ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:my-func";

fn defaults() -> Defaults {
    Defaults {
        power_values: vec![128, 256, 512, 1024, 1536, 3008],
        region: Some("us-east-2".into()),
    }
}

fn parse(v: Value) -> Result<ExecutionInput, InputError> {
    ExecutionInput::from_json(&v, &defaults())
}

fn problem(v: Value) -> String {
    parse(v).unwrap_err().to_string()
}

/// What the steps pass each other reads back as the same input, defaults included: a bare
/// name keeps the tool's region, an ARN its own, and the deploy-time power values stay.
#[test]
fn the_steps_documents_read_back_as_the_same_input() {
    for given in [
        json!({"lambdaARN": "my-func", "num": 10}),
        json!({"lambdaARN": ARN, "num": 10, "payload": [{"payload": 1, "weight": 2}], "strategy": "balanced", "balancedWeight": 0.3}),
        json!({"lambdaARN": "123456789012:function:my-func", "num": 5, "powerValues": "ALL", "onlyColdStarts": true, "discardTopBottom": 0, "preProcessorARN": "pre"}),
    ] {
        let input = parse(given.clone()).unwrap();
        let document = serde_json::to_value(&input).unwrap();
        let back: ExecutionInput = serde_json::from_value(document.clone()).unwrap();
        assert_eq!(back, input, "{given} -> {document}");
    }
    let bare = parse(json!({"lambdaARN": "my-func", "num": 10})).unwrap();
    let document = serde_json::to_value(&bare).unwrap();
    assert_eq!(document["region"], "us-east-2");
    assert_eq!(
        document["powerValues"],
        json!([128, 256, 512, 1024, 1536, 3008])
    );
    // A region the ARN gives is not repeated; a user's input may not carry one.
    assert!(
        serde_json::to_value(parse(json!({"lambdaARN": ARN, "num": 10})).unwrap())
            .unwrap()
            .get("region")
            .is_none()
    );
    assert!(
        problem(json!({"lambdaARN": "f", "num": 10, "region": "eu-west-1"})).contains("region")
    );
}

#[test]
fn minimal_input_gets_the_reference_defaults_but_no_trimming() {
    let i = parse(json!({"lambdaARN": ARN, "num": 10})).unwrap();
    assert_eq!(i.num, 10);
    assert_eq!(i.power_values, vec![128, 256, 512, 1024, 1536, 3008]);
    assert_eq!(i.strategy, Strategy::Cost);
    assert_eq!(i.balanced_weight, 0.5);
    // Ours: nothing trimmed (the reference trims 20% to drop its cold start; ours are apart).
    assert_eq!(i.discard_top_bottom, 0.0);
    assert_eq!(i.sleep_between_runs_ms, 0);
    assert_eq!(i.payload, None);
    assert!(!i.parallel_invocation && !i.dry_run && !i.auto_optimize && !i.only_cold_starts);
    assert_eq!(i.region.as_deref(), Some("eu-west-1"));
    assert_eq!(i.lambda.name, "my-func");
}

#[test]
fn only_cold_starts_does_not_trim_by_default() {
    let i = parse(json!({"lambdaARN": ARN, "num": 10, "onlyColdStarts": true})).unwrap();
    assert_eq!(i.discard_top_bottom, 0.0);
    let zero =
        parse(json!({"lambdaARN": ARN, "num": 10, "onlyColdStarts": true, "discardTopBottom": 0}))
            .unwrap();
    assert_eq!(zero.discard_top_bottom, 0.0);
    let p = problem(
        json!({"lambdaARN": ARN, "num": 10, "onlyColdStarts": true, "discardTopBottom": 0.2}),
    );
    assert!(
        p.contains("discardTopBottom") && p.contains("must be 0 with \"onlyColdStarts\""),
        "{p}"
    );
}

#[test]
fn missing_or_empty_lambda_arn_is_rejected() {
    assert!(problem(json!({"num": 10})).contains("\"lambdaARN\" is missing"));
    assert!(problem(json!({"lambdaARN": "", "num": 10})).contains("empty"));
}

#[test]
fn arns_of_other_things_are_rejected() {
    let m = problem(json!({"lambdaARN": "arn:aws:s3:::bucket/key:x:y", "num": 10}));
    assert!(m.contains("service \"s3\""), "{m}");
    let m =
        problem(json!({"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:layer:l:1", "num": 10}));
    assert!(m.contains("\"layer\" ARN"), "{m}");
    let m = problem(json!({"lambdaARN": "arn:aws:lambda", "num": 10}));
    assert!(m.contains("not a Lambda function ARN"), "{m}");
}

#[test]
fn qualified_arns_are_rejected_because_tuning_works_on_latest() {
    for q in ["prod", "7"] {
        let m = problem(json!({"lambdaARN": format!("{ARN}:{q}"), "num": 10}));
        assert!(m.contains("$LATEST"), "{m}");
        assert!(m.contains(q), "{m}");
    }
    assert!(parse(json!({"lambdaARN": format!("{ARN}:$LATEST"), "num": 10})).is_ok());
}

#[test]
fn names_and_partial_arns_are_accepted_with_the_tools_region() {
    let i = parse(json!({"lambdaARN": "my-func", "num": 5})).unwrap();
    assert_eq!(i.lambda.name, "my-func");
    assert_eq!(i.region.as_deref(), Some("us-east-2"));
    let i = parse(json!({"lambdaARN": "123456789012:function:my-func", "num": 5})).unwrap();
    assert_eq!(i.lambda.account.as_deref(), Some("123456789012"));
    assert_eq!(i.region.as_deref(), Some("us-east-2"));
    let i = parse(
        json!({"lambdaARN": "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "num": 5}),
    )
    .unwrap();
    assert_eq!(i.region.as_deref(), Some("cn-north-1"));
    assert_eq!(i.lambda.partition.as_deref(), Some("aws-cn"));
}

#[test]
fn num_must_be_an_integer_of_at_least_five() {
    assert!(problem(json!({"lambdaARN": ARN})).contains("\"num\" is missing"));
    assert!(problem(json!({"lambdaARN": ARN, "num": 3})).contains("at least 5"));
    assert!(problem(json!({"lambdaARN": ARN, "num": 10.5})).contains("integer"));
    assert!(problem(json!({"lambdaARN": ARN, "num": "ten"})).contains("integer"));
    assert_eq!(
        parse(json!({"lambdaARN": ARN, "num": "10"})).unwrap().num,
        10
    );
}

#[test]
fn dry_run_allows_small_or_missing_num() {
    assert_eq!(
        parse(json!({"lambdaARN": ARN, "num": 1, "dryRun": true}))
            .unwrap()
            .num,
        1
    );
    assert_eq!(
        parse(json!({"lambdaARN": ARN, "dryRun": true}))
            .unwrap()
            .num,
        1
    );
    assert!(problem(json!({"lambdaARN": ARN, "num": 0, "dryRun": true})).contains("at least 1"));
}

#[test]
fn power_values_are_sorted_deduplicated_and_bounded() {
    let i =
        parse(json!({"lambdaARN": ARN, "num": 5, "powerValues": [512, 128, 512, 256.0]})).unwrap();
    assert_eq!(i.power_values, vec![128, 256, 512]);
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "powerValues": [64, 20000, 256.5]}));
    assert!(m.contains("\"powerValues\" is 64"), "{m}");
    assert!(m.contains("\"powerValues\" is 20000"), "{m}");
    assert!(m.contains("256.5") && m.contains("not an integer"), "{m}");
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "powerValues": []})).contains("at least one")
    );
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "powerValues": "some"})).contains("\"ALL\"")
    );
}

#[test]
fn all_expands_to_128_through_3008_in_steps_of_64() {
    let i = parse(json!({"lambdaARN": ARN, "num": 5, "powerValues": "ALL"})).unwrap();
    assert_eq!(i.power_values.len(), 46);
    assert_eq!(i.power_values.first(), Some(&128));
    assert_eq!(i.power_values.last(), Some(&3008));
    assert!(i.power_values.windows(2).all(|w| w[1] - w[0] == 64));
}

#[test]
fn missing_power_values_without_a_default_is_an_error() {
    let err = ExecutionInput::from_json(&json!({"lambdaARN": ARN, "num": 5}), &Defaults::default())
        .unwrap_err();
    assert!(err.to_string().contains("\"powerValues\" is missing"));
}

#[test]
fn strategy_and_weight_are_checked() {
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "strategy": "fastest"}));
    assert!(
        m.contains("\"strategy\" is \"fastest\"") && m.contains("balanced"),
        "{m}"
    );
    assert!(problem(json!({"lambdaARN": ARN, "num": 5, "balancedWeight": 1.5})).contains("from 0"));
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "balancedWeight": "half"})).contains("number")
    );
    let i =
        parse(json!({"lambdaARN": ARN, "num": 5, "strategy": "balanced", "balancedWeight": 0.9}))
            .unwrap();
    assert_eq!((i.strategy, i.balanced_weight), (Strategy::Balanced, 0.9));
}

#[test]
fn discard_top_bottom_must_be_a_number_up_to_0_4() {
    assert!(problem(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": 0.5})).contains("0.4"));
    assert!(problem(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": -0.1})).contains("0.4"));
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": "0.1"})).contains("number")
    );
    assert_eq!(
        parse(json!({"lambdaARN": ARN, "num": 5, "discardTopBottom": 0.4}))
            .unwrap()
            .discard_top_bottom,
        0.4
    );
}

#[test]
fn sleep_between_runs_must_not_be_negative() {
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "sleepBetweenRunsMs": -1}))
            .contains("0 or more")
    );
    assert_eq!(
        parse(json!({"lambdaARN": ARN, "num": 5, "sleepBetweenRunsMs": 250}))
            .unwrap()
            .sleep_between_runs_ms,
        250
    );
}

#[test]
fn payload_s3_must_be_an_s3_url() {
    for bad in [
        "",
        "/",
        "bucket/key.json",
        "s3://bucket/",
        "s3://key.json",
        "s3://",
        "s3://B_ad/key",
    ] {
        let m = problem(json!({"lambdaARN": ARN, "num": 5, "payloadS3": bad}));
        assert!(m.contains("\"payloadS3\""), "{bad}: {m}");
    }
    let i = parse(
        json!({"lambdaARN": ARN, "num": 5, "payloadS3": "s3://my-bucket/dir/my%20file.json"}),
    )
    .unwrap();
    assert_eq!(
        i.payload_s3,
        Some(S3Location {
            bucket: "my-bucket".into(),
            key: "dir/my file.json".into()
        })
    );
    assert!(problem(
        json!({"lambdaARN": ARN, "num": 5, "payloadS3": "s3://my-bucket/k", "payload": {}})
    )
    .contains("not both"));
}

#[test]
fn weighted_payloads_must_fit_num() {
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "payload": [
        {"payload": 1, "weight": 10}, {"payload": 2, "weight": 60}, {"payload": 3, "weight": 30}]}));
    assert!(m.contains("gets no invocation"), "{m}");
    let six: Vec<Value> = (0..6).map(|i| json!({"payload": i, "weight": 1})).collect();
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "payload": six}));
    assert!(m.contains("raise \"num\" to at least 6"), "{m}");
}

#[test]
fn payloads_are_kept_as_given() {
    let i = parse(json!({"lambdaARN": ARN, "num": 5, "payload": {"a": 1}})).unwrap();
    assert_eq!(i.payload, Some(Payload::Static(json!({"a": 1}))));
    let i = parse(json!({"lambdaARN": ARN, "num": 5, "payload": null})).unwrap();
    assert_eq!(i.payload, Some(Payload::Static(Value::Null)));
}

#[test]
fn unknown_fields_are_named_with_the_closest_known_one() {
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "stratgy": "speed"}));
    assert!(
        m.contains("\"stratgy\"") && m.contains("did you mean \"strategy\""),
        "{m}"
    );
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "parallelinvocations": true}));
    assert!(m.contains("did you mean \"parallelInvocation\""), "{m}");
    let m = problem(json!({"lambdaARN": ARN, "num": 5, "zzz": 1}));
    assert!(m.contains("the known fields are"), "{m}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = parse(json!({"lambdaARN": "", "num": 2, "strategy": "x", "discardTopBottom": 0.9}))
        .unwrap_err();
    let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["lambdaARN", "num", "strategy", "discardTopBottom"]
    );
}

#[test]
fn options_that_need_another_option_say_so() {
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "maxConcurrency": 2}))
            .contains("parallelInvocation")
    );
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "autoOptimizeAlias": "live"}))
            .contains("autoOptimize")
    );
    assert!(problem(
        json!({"lambdaARN": ARN, "num": 5, "autoOptimize": true, "autoOptimizeAlias": "12"})
    )
    .contains("alias name"));
    let i = parse(
        json!({"lambdaARN": ARN, "num": 5, "parallelInvocation": true, "maxConcurrency": 2,
        "autoOptimize": true, "autoOptimizeAlias": "live"}),
    )
    .unwrap();
    assert_eq!(
        (i.max_concurrency, i.auto_optimize_alias.as_deref()),
        (Some(2), Some("live"))
    );
}

#[test]
fn monthly_invocations_auto_is_read_later_and_travels_as_what_was_read() {
    let auto = parse(json!({"lambdaARN": ARN, "num": 10, "monthlyInvocations": "auto"})).unwrap();
    assert_eq!(auto.monthly_invocations, None);
    assert_eq!(auto.monthly_invocations_source, Some(TrafficSource::Auto));
    let back: ExecutionInput =
        serde_json::from_value(serde_json::to_value(&auto).unwrap()).unwrap();
    assert_eq!(back, auto);
    // 14 days of 46,000 REPORTs: 100,000 a month of 730 hours (46,000 x 730 / 336).
    let read = MeasuredTraffic::of(&MeasuredRate {
        rate: 0.01,
        invocations: 46_000,
        cold_starts: 460,
        days: 14,
        log_group: "/aws/lambda/f".into(),
    });
    assert_eq!(read.per_month, 99_940);
    let measured = ExecutionInput {
        monthly_invocations: Some(read.per_month),
        monthly_invocations_source: Some(TrafficSource::Measured(read.clone())),
        ..auto
    };
    let doc = measured.to_json();
    assert_eq!(doc["monthlyInvocations"]["perMonth"], 99_940);
    let back: ExecutionInput =
        serde_json::from_value(serde_json::to_value(&measured).unwrap()).unwrap();
    assert_eq!(back, measured);
    assert_eq!(back.monthly_invocations, Some(99_940));
    let e = parse(json!({"lambdaARN": ARN, "num": 10, "monthlyInvocations": "lots"})).unwrap_err();
    assert!(e.to_string().contains("or \"auto\""), "{e}");
    // A steady rate: 500 a second for 730 hours is 1,314,000,000 a month.
    let rate = parse(json!({"lambdaARN": ARN, "num": 10, "monthlyInvocations": "500/s"})).unwrap();
    assert_eq!(rate.monthly_invocations, Some(1_314_000_000));
    assert_eq!(rate.to_json()["monthlyInvocations"], 1_314_000_000u64);
    for bad in ["-3/s", "x/s", "0/s"] {
        let e = parse(json!({"lambdaARN": ARN, "num": 10, "monthlyInvocations": bad})).unwrap_err();
        assert!(e.to_string().contains("\"500/s\""), "{bad}: {e}");
    }
}

#[test]
fn adaptive_sampling_takes_num_as_its_cap_and_min_num_as_its_first_round() {
    let i = parse(json!({"lambdaARN": ARN, "num": 100, "adaptive": true})).unwrap();
    assert_eq!((i.adaptive, i.min_num, i.num), (true, 5, 100));
    let i = parse(json!({"lambdaARN": ARN, "num": 100, "adaptive": true, "minNum": 10, "monthlyInvocations": 3000000})).unwrap();
    assert_eq!((i.min_num, i.monthly_invocations), (10, Some(3_000_000)));
    // It reads back from the steps' documents.
    let back: ExecutionInput = serde_json::from_value(serde_json::to_value(&i).unwrap()).unwrap();
    assert_eq!(back, i);
    assert!(
        !parse(json!({"lambdaARN": ARN, "num": 10}))
            .unwrap()
            .adaptive
    );

    for (input, expected) in [
        (json!({"lambdaARN": ARN, "num": 10, "monthlyInvocations": 0}), "\"monthlyInvocations\" is 0: must be at least 1"),
        (json!({"lambdaARN": ARN, "num": 10, "minNum": 5}), "\"minNum\" is 5: is the first round of adaptive sampling, so it needs \"adaptive\": true"),
        (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "minNum": 11}), "\"minNum\" is 11: must be from 5 to \"num\" (10)"),
        (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "minNum": 4}), "\"minNum\" is 4: must be from 5"),
        (json!({"lambdaARN": ARN, "num": 10, "adaptive": "yes"}), "\"adaptive\" is \"yes\": must be true or false"),
        (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "dryRun": true}), "\"adaptive\" is true: cannot be combined with \"dryRun\""),
        (json!({"lambdaARN": ARN, "num": 10, "adaptive": true, "statisticalTies": false}), "\"adaptive\" is true: needs statistical ties"),
    ] {
        let p = problem(input.clone());
        assert!(p.contains(expected), "{input}: {p}");
    }
}

#[test]
fn booleans_and_lists_are_typed() {
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "parallelInvocation": "true"}))
            .contains("true or false")
    );
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "allowedExceptions": "E"}))
            .contains("list of error types")
    );
    assert!(
        problem(json!({"lambdaARN": ARN, "num": 5, "preProcessorARN": "arn:aws:sqs:x"}))
            .contains("preProcessorARN")
    );
    assert!(problem(json!(["not", "an", "object"])).contains("JSON object"));
}

#[test]
fn a_latency_budget_reads_as_an_object_or_the_command_lines_form() {
    use crate::budget::Statistic;
    let object =
        parse(json!({"lambdaARN": ARN, "num": 5, "maxDuration": {"statistic": "p95", "ms": 200}}))
            .unwrap();
    let text = parse(json!({"lambdaARN": ARN, "num": 5, "maxDuration": "p95=0.2s"})).unwrap();
    assert_eq!(object.max_duration, text.max_duration);
    let b = object.max_duration.unwrap();
    assert_eq!((b.statistic, b.ms), (Statistic::P95, 200.0));
    assert_eq!(parse(object.to_json()).unwrap(), object);
    for (bad, expected) in [
        (json!({"statistic": "p42", "ms": 200}), "\"statistic\""),
        (json!({"statistic": "p95", "ms": -1}), "positive"),
        (json!("p95"), "p95=200ms"),
        (json!(200), "p95=200ms"),
    ] {
        let p = problem(json!({"lambdaARN": ARN, "num": 5, "maxDuration": bad}));
        assert!(p.contains("maxDuration") && p.contains(expected), "{p}");
    }
}

/// A plain input with `fields` added is refused with a problem naming `field` and `expected`.
fn assert_problem_names(fields: Value, field: &str, expected: &str) {
    let mut input = json!({"lambdaARN": ARN, "num": 5});
    if let (Some(o), Some(extra)) = (input.as_object_mut(), fields.as_object()) {
        o.extend(extra.clone());
    }
    let p = problem(input);
    assert!(p.contains(field) && p.contains(expected), "{p}");
}

#[test]
fn cold_samples_are_a_small_count_and_need_warm_invocations() {
    assert_eq!(
        parse(json!({"lambdaARN": ARN, "num": 5}))
            .unwrap()
            .cold_samples,
        1
    );
    let i = parse(json!({"lambdaARN": ARN, "num": 5, "coldSamples": 4})).unwrap();
    assert_eq!(i.cold_samples, 4);
    assert_eq!(parse(i.to_json()).unwrap(), i);
    for (bad, expected) in [
        (json!({"coldSamples": 0}), "from 1 to 20"),
        (json!({"coldSamples": 21}), "from 1 to 20"),
        (
            json!({"coldSamples": 2, "onlyColdStarts": true, "discardTopBottom": 0}),
            "onlyColdStarts",
        ),
    ] {
        assert_problem_names(bad, "coldSamples", expected);
    }
}

#[test]
fn a_cold_start_rate_is_a_share_and_needs_warm_invocations() {
    let i = parse(json!({"lambdaARN": ARN, "num": 5, "coldStartRate": 0.05})).unwrap();
    assert_eq!(i.cold_start_rate, Some(ColdStartRate::Given(0.05)));
    assert_eq!(i.cold_start_share(), Some(0.05));
    assert_eq!(parse(i.to_json()).unwrap(), i);
    // "auto" waits for the Initializer, which passes on what it read in the object form.
    let auto = parse(json!({"lambdaARN": ARN, "num": 5, "coldStartRate": "auto"})).unwrap();
    assert_eq!(auto.cold_start_rate, Some(ColdStartRate::Auto));
    assert_eq!(auto.cold_start_share(), None);
    assert_eq!(parse(auto.to_json()).unwrap(), auto);
    let measured = ExecutionInput {
        cold_start_rate: Some(ColdStartRate::Measured(MeasuredRate {
            rate: 0.25,
            invocations: 8,
            cold_starts: 2,
            days: 14,
            log_group: "/aws/lambda/f".into(),
        })),
        ..auto
    };
    assert_eq!(measured.to_json()["coldStartRate"]["coldStarts"], 2);
    assert_eq!(parse(measured.to_json()).unwrap(), measured);
    assert_eq!(measured.cold_start_share(), Some(0.25));
    for (bad, expected) in [
        (json!({"coldStartRate": 5}), "from 0 to 1"),
        (json!({"coldStartRate": "often"}), "or \"auto\""),
        (json!({"coldStartRate": {"rate": 2}}), "from 0 to 1"),
        (
            json!({"coldStartRate": 0.1, "onlyColdStarts": true, "discardTopBottom": 0}),
            "onlyColdStarts",
        ),
    ] {
        assert_problem_names(bad, "coldStartRate", expected);
    }
}

#[test]
fn power_value_failures_default_to_the_memory_sizes_own_and_name_the_choices() {
    let plain = parse(json!({"lambdaARN": ARN, "num": 5})).unwrap();
    assert_eq!(plain.power_value_failures, PowerValueFailures::Memory);
    let any = parse(json!({"lambdaARN": ARN, "num": 5, "powerValueFailures": "any"})).unwrap();
    assert_eq!(any.power_value_failures, PowerValueFailures::Any);
    assert_eq!(parse(any.to_json()).unwrap(), any);
    let p = problem(json!({"lambdaARN": ARN, "num": 5, "powerValueFailures": "all"}));
    assert!(
        p.contains("powerValueFailures") && p.contains("\"memory\"") && p.contains("\"none\""),
        "{p}"
    );
}

#[test]
fn the_canonical_document_parses_back_to_the_same_input() {
    let i = parse(json!({"lambdaARN": ARN, "num": 7, "powerValues": [1024, 128], "strategy": "balanced",
        "payload": [{"payload": {"x": 1}, "weight": 2}, {"payload": "y", "weight": 1}],
        "parallelInvocation": true, "maxConcurrency": 3, "preProcessorARN": "pre:live",
        "allowedExceptions": ["E1"], "onlyColdStarts": true, "autoOptimize": true, "autoOptimizeAlias": "best"})).unwrap();
    assert_eq!(parse(i.to_json()).unwrap(), i);
}

proptest! {
    #[test]
    fn parsing_never_panics(
        arn in "[a-z0-9:$_-]{0,80}",
        num in proptest::option::of(-10i64..100),
        powers in proptest::collection::vec(-100i64..20000, 0..8),
        extra in proptest::option::of("[a-zA-Z]{1,20}"),
    ) {
        let mut o = json!({"lambdaARN": arn, "powerValues": powers});
        if let Some(n) = num { o["num"] = json!(n); }
        if let Some(k) = extra { o[k] = json!(1); }
        if let Ok(i) = parse(o) {
            prop_assert!(!i.power_values.is_empty());
            prop_assert!(i.power_values.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(i.num >= MIN_NUM);
        }
    }

    #[test]
    fn function_refs_never_panic(s in ".{0,100}") {
        let _ = FunctionRef::parse(&s);
        let _ = S3Location::parse(&s);
    }
}

#[test]
fn the_canonical_form_writes_known_fields_only_and_every_one_of_them() {
    // A new field needs its row in FIELDS and a line in to_json: this finds the one
    // that is missing.
    let everything = parse(json!({
        "lambdaARN": ARN, "num": 10, "powerValues": [128], "payload": {"a": 1},
        "parallelInvocation": true, "maxConcurrency": 2, "strategy": "balanced",
        "balancedWeight": 0.3, "autoOptimize": true, "autoOptimizeAlias": "live",
        "preProcessorARN": "pre", "postProcessorARN": "post", "discardTopBottom": 0.1,
        "sleepBetweenRunsMs": 5, "disablePayloadLogs": true, "includeOutputResults": true,
        "allowedExceptions": ["E"], "statisticalTies": true, "adaptive": true, "minNum": 5,
        "monthlyInvocations": 1000, "powerValueFailures": "none",
        "maxDuration": "p95=200ms", "coldStartRate": 0.05, "coldSamples": 3,
        "managedInstances": true,
        "capacityProviderArn": "arn:aws:lambda:us-east-1:123456789012:capacity-provider:cp",
        "memorySizes": [2048], "memoryPerVcpu": [2], "concurrencies": [1, 2],
        "loadSeconds": 2, "savingsPlanDiscount": 0.1, "vcpuHourPrice": 0.05
    }))
    .unwrap();
    let written = everything.to_json();
    let keys: Vec<&str> = written
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in &keys {
        assert!(field(key).is_some(), "to_json writes unknown {key}");
    }
    let s3 = parse(json!({"lambdaARN": ARN, "num": 10, "payloadS3": "s3://my-bucket/k", "onlyColdStarts": true, "dryRun": true}))
        .unwrap()
        .to_json();
    for f in FIELDS {
        assert!(
            keys.contains(&f.name) || s3.get(f.name).is_some(),
            "to_json never writes {}",
            f.name
        );
    }
}

#[test]
fn every_field_has_one_flag_a_readme_row_and_a_did_you_mean() {
    let readme = include_str!("../../../../README.md");
    let mut longs = std::collections::HashSet::new();
    for f in FIELDS {
        assert!(
            longs.insert(f.flag.long()),
            "--{} is the flag of two fields",
            f.flag.long()
        );
        assert!(
            readme.contains(&format!("| `{}` | `--{}", f.name, f.flag.long())),
            "the README's input table has no row for {} with its flag --{}",
            f.name,
            f.flag.long()
        );
        // A typo: the name with one letter dropped, and in lower case.
        let typo: String = f.name.chars().skip(1).collect();
        let problems = parse(json!({"lambdaARN": ARN, "num": 10, (typo.clone()): 1}))
            .unwrap_err()
            .problems;
        assert!(
            problems[0]
                .problem
                .contains(&format!("did you mean \"{}\"", f.name)),
            "{typo}: {}",
            problems[0].problem
        );
    }
}

#[test]
fn a_flags_text_becomes_the_fields_json() {
    let one = |kind: ValueKind, s: &str| kind.to_json(&[s.to_string()]);
    assert_eq!(one(ValueKind::Number, "10"), json!(10));
    assert_eq!(one(ValueKind::Number, "0.05"), json!(0.05));
    assert_eq!(one(ValueKind::Number, ".5"), json!(0.5));
    // Not a number: the text, for the field's own message or a word it takes.
    assert_eq!(one(ValueKind::Number, "auto"), json!("auto"));
    assert_eq!(one(ValueKind::Text, "123"), json!("123"));
    assert_eq!(one(ValueKind::Numbers, "ALL"), json!("ALL"));
    let list = |kind: ValueKind, v: &[&str]| {
        kind.to_json(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    };
    assert_eq!(
        list(ValueKind::Numbers, &["128", " 256"]),
        json!([128, 256])
    );
    assert_eq!(list(ValueKind::Numbers, &["128", "x"]), json!([128, "x"]));
    assert_eq!(list(ValueKind::Texts, &["A", "B"]), json!(["A", "B"]));
    assert_eq!(one(ValueKind::Json, "{\"a\": 1}"), json!({"a": 1}));
    assert_eq!(one(ValueKind::Json, "hello"), json!("hello"));
    // Every field's flag, given a value of its kind, reads back as the field.
    let input = parse(json!({
        "lambdaARN": ARN,
        "num": one(ValueKind::Number, "20"),
        "powerValues": list(ValueKind::Numbers, &["128", "512"]),
        "maxDuration": one(ValueKind::Text, "p95=200ms"),
        "coldStartRate": one(ValueKind::Number, "0.05"),
    }))
    .unwrap();
    assert_eq!((input.num, &input.power_values), (20, &vec![128, 512]));
    assert_eq!(input.cold_start_share(), Some(0.05));
    assert!(input.max_duration.is_some());
}

#[test]
fn managed_instances_fields_are_read_checked_and_kept() {
    let input = parse(json!({
        "lambdaARN": ARN, "num": 10, "managedInstances": true,
        "memorySizes": [4096, 2048, 4096], "memoryPerVcpu": [4, 2], "concurrencies": [8, 1]
    }))
    .unwrap();
    let m = input.managed_instances.clone().unwrap();
    assert_eq!(m.memory_mb, vec![2048, 4096]);
    assert_eq!(m.gib_per_vcpu, vec![2.0, 4.0]);
    assert_eq!(m.concurrencies, vec![1, 8]);
    assert_eq!(m.load_seconds, crate::managed::DEFAULT_LOAD_SECONDS);
    let back = ExecutionInput::from_json(&input.to_json(), &Defaults::default()).unwrap();
    assert_eq!(back, input);
    // Without the mode, its fields are refused, not ignored.
    let e = parse(json!({"lambdaARN": ARN, "num": 10, "concurrencies": [1]})).unwrap_err();
    assert!(e.to_string().contains("concurrencies"), "{e}");
    assert!(e.to_string().contains("managedInstances"), "{e}");
    // Each range, all at once.
    let e = parse(json!({
        "lambdaARN": ARN, "num": 10, "managedInstances": true, "memorySizes": [1024],
        "memoryPerVcpu": [9], "concurrencies": [0], "loadSeconds": 0.1,
        "savingsPlanDiscount": 1.5, "vcpuHourPrice": -1, "capacityProviderArn": "cp"
    }))
    .unwrap_err()
    .to_string();
    for field in [
        "memorySizes",
        "memoryPerVcpu",
        "concurrencies",
        "loadSeconds",
        "savingsPlanDiscount",
        "vcpuHourPrice",
        "capacityProviderArn",
    ] {
        assert!(e.contains(field), "{field} not in {e}");
    }
    // No whole-vCPU configuration: the problem names the pairs.
    let e = parse(json!({
        "lambdaARN": ARN, "num": 10, "managedInstances": true, "memorySizes": [2048], "memoryPerVcpu": [8]
    }))
    .unwrap_err()
    .to_string();
    assert!(e.contains("0.25 vCPUs"), "{e}");
}

#[test]
fn an_lmi_run_needs_no_num_and_others_still_do() {
    // On AWS an LMI run invokes no power value: `num` would be a field given only to be unused.
    let input = parse(json!({"lambdaARN": ARN, "managedInstances": true})).unwrap();
    assert_eq!(input.num, MIN_NUM);
    let back = ExecutionInput::from_json(&input.to_json(), &Defaults::default()).unwrap();
    assert_eq!(back, input);
    let e = parse(json!({"lambdaARN": ARN, "managedInstances": false}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"num\""), "{e}");
}
