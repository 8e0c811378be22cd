//! The Executor: invocations, statistics, retries, errors, processors and payloads.

use super::*;

#[tokio::test]
async fn executor_invokes_the_alias_num_times_with_log_tail_and_computes_statistics() {
    let durations = [10.0, 11.0, 12.0, 13.0, 14.0, 100.0];
    let rules: Vec<Rule> = durations
        .iter()
        .map(|&d| {
            mock!(Client::invoke)
                .match_requests(|r| {
                    r.function_name() == Some(ARN)
                        && r.qualifier() == Some("RAM512")
                        && r.log_type() == Some(&LogType::Tail)
                        && r.payload().map(|p| p.as_ref()) == Some(&b"{\"id\":1}"[..])
                })
                .then_output(move || ok_invoke(d))
        })
        .collect();
    let lambda = api(RuleMode::Sequential, &rules.iter().collect::<Vec<_>>());
    let input = json!({"lambdaARN": ARN, "num": 6, "powerValues": [512], "payload": {"id": 1}, "discardTopBottom": 0.2});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(stats.value, 512);
    // The version's first invocation started its environment: a cold start, apart from the
    // averages though its REPORT has no Init Duration. Of 11, 12, 13, 14 and 100 ms, 20%
    // trimming keeps 12, 13 and 14.
    assert_eq!(stats.cold_starts, Some(1));
    assert_eq!(stats.cold.map(|c| c.duration), Some(10.0));
    assert_eq!(stats.average_duration, 13.0);
    let per_ms = 0.0000133334 / 1000.0 / 2.0; // arm64, 512 MB
    assert!((stats.average_price - 13.0 * per_ms).abs() < 1e-15);
    assert!((stats.total_cost - 160.0 * per_ms).abs() < 1e-15);
    assert_eq!(stats.invocations, Some(6));
    assert_eq!(stats.duration_stats.as_ref().map(|d| d.max), Some(100.0));
}

/// Lambda's 429 for an Invoke, with `message`.
fn throttled(message: &str) -> InvokeError {
    InvokeError::TooManyRequestsException(
        TooManyRequestsException::builder()
            .message(message)
            .meta(
                ErrorMetadata::builder()
                    .code("TooManyRequestsException")
                    .build(),
            )
            .build(),
    )
}

#[tokio::test]
async fn executor_retries_throttling_without_counting_it() {
    let invoke = mock!(Client::invoke)
        .sequence()
        .error(|| throttled("Rate exceeded"))
        .times(2)
        .output(|| ok_invoke(5.0))
        .times(5)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(stats.invocations, Some(5));
    assert_eq!(invoke.num_calls(), 7);
}

fn failing_invoke(error_type: &'static str) -> InvokeOutput {
    InvokeOutput::builder()
        .status_code(200)
        .function_error("Unhandled")
        .log_result(tail(3.0, 3, None))
        .payload(Blob::new(format!(
            "{{\"errorType\":\"{error_type}\",\"errorMessage\":\"bad thing\"}}"
        )))
        .build()
}

#[tokio::test]
async fn executor_fails_on_a_function_error_naming_power_type_message_and_payload() {
    let lambda = api(
        RuleMode::Sequential,
        &[&mock!(Client::invoke).then_output(|| failing_invoke("ValueError"))],
    );
    let input =
        json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"secret": "s3cr3t"}});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.InvocationError");
    let message = err.to_string();
    for part in ["512 MB", "ValueError", "bad thing", "s3cr3t"] {
        assert!(message.contains(part), "{part} missing from {message}");
    }

    let lambda = api(
        RuleMode::Sequential,
        &[&mock!(Client::invoke).then_output(|| failing_invoke("ValueError"))],
    );
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"secret": "s3cr3t"}, "disablePayloadLogs": true});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
}

/// Lambda's answer to an invocation that ran out of memory (the errorType and message it gives).
fn out_of_memory_invoke() -> InvokeOutput {
    InvokeOutput::builder()
        .status_code(200)
        .function_error("Unhandled")
        .log_result(tail(812.4, 813, None))
        .payload(Blob::new(
            "{\"errorType\":\"Runtime.OutOfMemory\",\"errorMessage\":\"RequestId: r Error: Runtime exited with error: signal: killed\"}",
        ))
        .build()
}

#[tokio::test]
async fn an_out_of_memory_power_value_is_reported_with_its_count_and_cost_and_invoked_no_further() {
    // Two invocations succeed, the third runs out of memory: the rest are not made.
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| ok_invoke(5.0))
        .times(2)
        .output(out_of_memory_invoke)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 10, "powerValues": [512]});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(invoke.num_calls(), 3);
    assert!(!stats.succeeded());
    let failures = stats.failures.clone().expect("the failures");
    assert_eq!(failures.error_type, "Runtime.OutOfMemory");
    assert_eq!((failures.failed, failures.made), (1, 3));
    assert!(failures.message.contains("signal: killed"), "{failures:?}");
    assert_eq!(
        stats.error.as_deref(),
        Some("Runtime.OutOfMemory in 1 of 3 invocations: RequestId: r Error: Runtime exited with error: signal: killed")
    );
    // Every invocation made is billed, the failed one included: 5 + 5 + 813 ms at 512 MB.
    let per_ms = 0.0000133334 / 1000.0 / 2.0;
    assert!(
        (stats.total_cost - 823.0 * per_ms).abs() < 1e-15,
        "{}",
        stats.total_cost
    );
    assert_eq!(stats.invocations, Some(3));
    assert_eq!(stats.max_memory_used_mb, Some(40));
}

#[tokio::test]
async fn which_errors_fail_only_the_power_value_is_the_inputs_choice() {
    let run = |payload: fn() -> InvokeOutput, mode: &'static str| async move {
        let lambda = api(
            RuleMode::Sequential,
            &[&mock!(Client::invoke).then_output(payload)],
        );
        let input =
            json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "powerValueFailures": mode});
        executor::execute(
            &executor::Lambdas::same(&lambda),
            None,
            executor_event(input),
        )
        .await
    };
    let failed = |out: Result<ExecutorOutput, _>| match out {
        Ok(ExecutorOutput::Stats(s)) => s.failures.map(|f| (f.error_type, f.failed)),
        other => panic!("a failed power value expected, got {other:?}"),
    };
    let fails_the_run = |out: Result<ExecutorOutput, powertune_steps::error::StepError>| {
        out.expect_err("the run fails").error_type() == "PowerTuning.InvocationError"
    };
    let value_error = || failing_invoke("ValueError");
    // A timeout as Lambda answers it counts as the memory size's, like running out of memory.
    let timed_out = || {
        InvokeOutput::builder()
            .status_code(200)
            .function_error("Unhandled")
            .log_result(tail(3000.0, 3000, None))
            .payload(Blob::new("{\"errorType\":\"Sandbox.Timedout\",\"errorMessage\":\"RequestId: r Error: Task timed out after 3.00 seconds\"}"))
            .build()
    };
    assert_eq!(
        failed(run(timed_out, "memory").await),
        Some(("Sandbox.Timedout".into(), 1))
    );
    assert!(fails_the_run(run(value_error, "memory").await));
    assert_eq!(
        failed(run(value_error, "any").await),
        Some(("ValueError".into(), 1))
    );
    assert!(fails_the_run(run(out_of_memory_invoke, "none").await));
}

#[tokio::test]
async fn cold_samples_are_versions_of_their_own_invoked_once_in_the_first_round_only() {
    let cold_start = || {
        InvokeOutput::builder()
            .status_code(200)
            .log_result(tail(12.0, 312, Some(300.0)))
            .payload(Blob::new("{}"))
            .build()
    };
    let warm = mock!(Client::invoke)
        .match_requests(|r| r.qualifier() == Some("RAM512"))
        .sequence()
        .output(cold_start)
        .output(|| ok_invoke(10.0))
        .times(4)
        .build();
    let cold = mock!(Client::invoke)
        .match_requests(|r| r.qualifier().is_some_and(|q| q.starts_with("RAM512-cold")))
        .sequence()
        .output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .log_result(tail(12.0, 312, Some(300.0)))
                .payload(Blob::new("{}"))
                .build()
        })
        .times(2)
        .build();
    let lambda = api(RuleMode::MatchAny, &[&warm, &cold]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "coldSamples": 3});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input.clone()),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!((warm.num_calls(), cold.num_calls()), (5, 2));
    // The averages are the power value's own warm invocations'; its cold start and the cold
    // samples are apart.
    assert_eq!(stats.invocations, Some(5));
    assert_eq!(stats.average_duration, 10.0);
    let c = stats.cold.unwrap();
    assert_eq!((c.count, c.init_duration, c.duration), (3, 300.0, 312.0));
    let per_ms = 0.0000133334 / 1000.0 / 2.0;
    assert!((stats.total_cost - (312.0 + 40.0 + 624.0) * per_ms).abs() < 1e-15);

    // A later round of an adaptive run makes no more cold samples.
    let later = mock!(Client::invoke)
        .sequence()
        .output(|| ok_invoke(10.0))
        .times(3)
        .build();
    let lambda = api(RuleMode::Sequential, &[&later]);
    let mut event = executor_event(input);
    event.first = 5;
    event.count = Some(3);
    event.input.num = 8;
    executor::execute(&executor::Lambdas::same(&lambda), None, event)
        .await
        .unwrap();
    assert_eq!(later.num_calls(), 3);
}

#[tokio::test]
async fn executor_counts_allowed_exceptions_as_results() {
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| failing_invoke("HandledError"))
        .times(5)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "allowedExceptions": ["HandledError"]});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!((stats.invocations, stats.errors), (Some(5), Some(5)));
}

#[tokio::test]
async fn executor_sends_the_pre_processors_output_and_reports_its_errors() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let pre = mock!(Client::invoke)
        .match_requests(|r| r.function_name() == Some("pre") && r.qualifier().is_none())
        .then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .payload(Blob::new("{\"prepared\":1}"))
                .build()
        });
    let target = mock!(Client::invoke)
        .match_requests(move |r| {
            let is_target = r.function_name() == Some(ARN);
            if is_target {
                record.lock().unwrap().push(
                    String::from_utf8_lossy(r.payload().map(|p| p.as_ref()).unwrap_or_default())
                        .into_owned(),
                );
            }
            is_target
        })
        .then_output(|| ok_invoke(4.0));
    let post = mock!(Client::invoke)
        .match_requests(|r| {
            r.function_name() == Some("post")
                && r.payload().map(|p| p.as_ref()) == Some(&b"{\"ok\":true}"[..])
        })
        .then_output(|| InvokeOutput::builder().status_code(200).build());
    let mut rules: Vec<&Rule> = Vec::new();
    for _ in 0..5 {
        rules.extend([&pre, &target, &post]);
    }
    let lambda = api(RuleMode::MatchAny, &rules);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payload": {"raw": 1},
        "preProcessorARN": "pre", "postProcessorARN": "post"});
    executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["{\"prepared\":1}".to_string(); 5]
    );
    assert_eq!(
        (pre.num_calls(), target.num_calls(), post.num_calls()),
        (5, 5, 5)
    );

    let pre_fails = mock!(Client::invoke).then_output(|| failing_invoke("PreError"));
    let lambda = api(RuleMode::Sequential, &[&pre_fails]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "preProcessorARN": "pre"});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.ProcessorError");
    assert!(
        err.to_string().contains("pre-processor pre failed"),
        "{err}"
    );
}

#[tokio::test]
async fn executor_runs_in_parallel_and_dry_runs_invoke_once() {
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| ok_invoke(6.0))
        .times(8)
        .build();
    let lambda = api(RuleMode::MatchAny, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 8, "powerValues": [512], "parallelInvocation": true, "maxConcurrency": 3});
    let ExecutorOutput::Stats(stats) = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap() else {
        panic!("statistics expected");
    };
    assert_eq!(stats.invocations, Some(8));

    let once = mock!(Client::invoke).then_output(|| ok_invoke(6.0));
    let lambda = api(RuleMode::Sequential, &[&once]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "dryRun": true});
    let out = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        ExecutorOutput::DryRun {
            value: 512,
            dry_run: true
        }
    );
    assert_eq!(once.num_calls(), 1);
}

#[tokio::test]
async fn executor_explains_s3_403_and_404_differently() {
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512], "payloadS3": "s3://payloads/big.json"});
    for (status, code, expected_type, expected_text) in [
        (
            403,
            "AccessDenied",
            "PowerTuning.PayloadAccessDenied",
            "payloadS3Bucket",
        ),
        (
            404,
            "NoSuchKey",
            "PowerTuning.PayloadNotFound",
            "does not exist",
        ),
        // A KMS-encrypted object whose key the Executor may not use: the key, not the bucket.
        (
            403,
            "AccessDenied",
            "PowerTuning.PayloadAccessDenied",
            "kms:Decrypt",
        ),
        // S3's transient errors keep their name, which the state machine retries.
        (503, "SlowDown", "S3.SlowDown", "SlowDown"),
        (500, "InternalError", "S3.InternalError", "InternalError"),
        (
            400,
            "InvalidRequest",
            "PowerTuning.PayloadUnreadable",
            "InvalidRequest",
        ),
    ] {
        let message = if expected_text == "kms:Decrypt" {
            "User: arn:aws:sts::123456789012:assumed-role/executor is not authorized to perform: kms:Decrypt"
        } else {
            "no"
        };
        let get = mock!(aws_sdk_s3::Client::get_object)
            .match_requests(|r| r.bucket() == Some("payloads") && r.key() == Some("big.json"))
            .then_http_response(move || {
                HttpResponse::new(
                    StatusCode::try_from(status).unwrap(),
                    SdkBody::from(format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>")),
                )
            });
        let s3: aws_sdk_s3::Client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&get]);
        let lambda = api(RuleMode::Sequential, &[]);
        let err = executor::execute(
            &executor::Lambdas::same(&lambda),
            Some(&s3),
            executor_event(input.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), expected_type);
        assert!(err.to_string().contains("s3://payloads/big.json"), "{err}");
        assert!(err.to_string().contains(expected_text), "{err}");
    }

    // A readable object is fetched once and may hold weighted payloads.
    let get = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(aws_sdk_s3::primitives::ByteStream::from_static(
                br#"[{"payload":{"n":1},"weight":1},{"payload":{"n":2},"weight":1}]"#,
            ))
            .build()
    });
    let s3: aws_sdk_s3::Client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&get]);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let invoke = mock!(Client::invoke)
        .match_requests(move |r| {
            record.lock().unwrap().push(
                String::from_utf8_lossy(r.payload().map(|p| p.as_ref()).unwrap_or_default())
                    .into_owned(),
            );
            true
        })
        .sequence()
        .output(|| ok_invoke(2.0))
        .times(6)
        .build();
    let lambda = api(RuleMode::Sequential, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 6, "powerValues": [512], "payloadS3": "s3://payloads/big.json"});
    executor::execute(
        &executor::Lambdas::same(&lambda),
        Some(&s3),
        executor_event(input),
    )
    .await
    .unwrap();
    assert_eq!(get.num_calls(), 1);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().filter(|p| p.as_str() == "{\"n\":1}").count(), 3);
    assert_eq!(seen.iter().filter(|p| p.as_str() == "{\"n\":2}").count(), 3);
}

#[tokio::test]
async fn executor_without_a_report_says_which_invocation() {
    let no_report = mock!(Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .log_result(
                base64::engine::general_purpose::STANDARD
                    .encode("START RequestId: r\nsome output\n"),
            )
            .build()
    });
    let lambda = api(RuleMode::Sequential, &[&no_report]);
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]})),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.NoReport");
    assert!(err.to_string().contains("RAM512"), "{err}");
}

#[tokio::test]
async fn lasting_throttling_of_the_tuned_function_is_powertune_throttled() {
    let throttled = mock!(Client::invoke).then_error(|| {
        throttled("Rate Exceeded. Reason: ReservedFunctionConcurrentInvocationLimitExceeded")
    });
    let lambda = api(RuleMode::MatchAny, &[&throttled]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    // Not Lambda.TooManyRequestsException, which the state machine retries (re-running every
    // invocation each time).
    assert_eq!(err.error_type(), "PowerTuning.Throttled");
    assert!(err.to_string().contains("RAM512"), "{err}");
    // One call and eight retries by the Executor, each of the SDK's standard three attempts.
    assert_eq!(throttled.num_calls(), 9 * 3);
}

#[tokio::test]
async fn a_log_tail_that_is_not_base64_is_named_as_such() {
    let invoke = mock!(Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .log_result("not base64!")
            .payload(Blob::new("{}"))
            .build()
    });
    let lambda = api(RuleMode::MatchAny, &[&invoke]);
    let input = json!({"lambdaARN": ARN, "num": 5, "powerValues": [512]});
    let err = executor::execute(
        &executor::Lambdas::same(&lambda),
        None,
        executor_event(input),
    )
    .await
    .unwrap_err();
    // Not a misleading "no REPORT in the log".
    assert_eq!(err.error_type(), "PowerTuning.UnexpectedResponse");
    assert!(err.to_string().contains("not base64"), "{err}");
}

#[tokio::test]
async fn an_lmi_executor_drives_its_configurations_alias_within_the_request_bound() {
    // A function that answers at once: without a bound on the warm-up and the window, the
    // clients would send thousands of requests in the half second.
    let invoke = mock!(Client::invoke)
        .match_requests(|r| {
            r.function_name() == Some(ARN) && r.qualifier() == Some("LMI2048-2G-C2")
        })
        .then_output(|| ok_invoke(1.0));
    // The Map's item: the second configuration (concurrency 2).
    let load = drive_lmi(&invoke, &[1, 2], 1).await;
    assert_eq!((load.index, load.configuration.concurrency), (1, 2));
    let window = Duration::from_secs_f64(0.5);
    let bound = powertune_steps::managed::most_requests(&load.configuration, window);
    // Per slot: a first request, 50 in the 0.25 s warm-up, 100 in the window.
    assert_eq!(bound, 2 * (1 + 50 + 100));
    assert!(
        invoke.num_calls() as u64 <= bound,
        "{} calls",
        invoke.num_calls()
    );
    // The window ended when a slot sent its 100 (the other's answers in flight then are not
    // counted).
    assert!(
        (100..=200).contains(&load.load.completed),
        "{:?}",
        load.load.completed
    );
    assert_eq!(load.load.durations_ms.len() as u64, load.load.completed);
}

/// The Executor of an LMI run at 2048 MB, 2 GiB per vCPU and `concurrencies` for 0.5 s, given
/// configuration `item` (the Map's item), its Invoke calls answered by `invoke`.
async fn drive_lmi(
    invoke: &Rule,
    concurrencies: &[u32],
    item: u32,
) -> Box<powertune_steps::events::ManagedLoad> {
    let lambda = api(RuleMode::MatchAny, &[invoke]);
    let input = json!({"lambdaARN": ARN, "managedInstances": true, "memorySizes": [2048],
                       "memoryPerVcpu": [2], "concurrencies": concurrencies, "loadSeconds": 0.5});
    let mut event = executor_event(input);
    event.value = item;
    let ExecutorOutput::Load(load) =
        executor::execute(&executor::Lambdas::same(&lambda), None, event)
            .await
            .unwrap()
    else {
        panic!("a load expected");
    };
    load
}

#[tokio::test]
async fn an_lmi_drive_counts_every_throttle_its_requests_meet() {
    // One slot: its first request and the 50 of its 0.25 s warm-up are answered, then the
    // window's first four requests are refused (all runtime workers busy), then all answered.
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| ok_invoke(1.0))
        .times(51)
        .error(|| throttled("Rate exceeded"))
        .times(4)
        .output(|| ok_invoke(1.0))
        .repeatedly();
    let load = drive_lmi(&invoke, &[1], 0).await;
    // Four, not one: the SDK's own retries (three attempts) would have hidden three of them,
    // and their backoff would have been read as latency.
    assert_eq!(load.load.throttled, 4);
    // The window's 100 requests (its bound at 200 a second) are the four refused and 96 answered.
    assert_eq!(load.load.completed, 96, "{:?}", load.load);
    assert_eq!(invoke.num_calls(), 51 + 100);

    // Any other failure is sent again with the SDK's retries: a 500 does not end the drive.
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    let invoke = mock!(Client::invoke)
        .sequence()
        .output(|| ok_invoke(1.0))
        .times(51)
        .http(|| {
            let mut response = HttpResponse::new(
                StatusCode::try_from(500).unwrap(),
                SdkBody::from(r#"{"message":"internal"}"#),
            );
            response
                .headers_mut()
                .insert("x-amzn-errortype", "ServiceException");
            response
        })
        .times(2)
        .output(|| ok_invoke(1.0))
        .repeatedly();
    let load = drive_lmi(&invoke, &[1], 0).await;
    assert_eq!((load.load.throttled, load.load.errors), (0, 0));
    assert_eq!(load.load.completed, 100, "{:?}", load.load);
}
