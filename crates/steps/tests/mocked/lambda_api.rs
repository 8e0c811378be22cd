//! What every step's AWS calls share: waits bounded by the step's deadline, and configurations read without defaults.

use super::*;

#[tokio::test]
async fn waits_end_before_the_steps_own_deadline() {
    let updating = mock!(Client::get_function_configuration)
        .then_output(|| config(128, "d", LastUpdateStatus::InProgress));
    let client: Client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&updating]);
    let lambda = LambdaApi::new(client)
        .with_waits(Waits {
            poll: Duration::from_millis(10),
            timeout: Duration::from_secs(600),
            margin: Duration::from_millis(100),
            ..Waits::default()
        })
        .with_deadline(std::time::Instant::now() + Duration::from_millis(400));
    // Without the deadline this wait would last 600 s; the guard fails the test instead.
    let err = tokio::time::timeout(Duration::from_secs(60), lambda.wait_until_updated(ARN, 128))
        .await
        .expect("the wait ends with the step's deadline")
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.WaitTimedOut");
    assert!(err.to_string().contains("no more time"), "{err}");
    assert!(updating.num_calls() >= 2);
}

#[tokio::test]
async fn a_configuration_without_memory_is_an_error_not_128_mb() {
    let no_memory = mock!(Client::get_function_configuration).then_output(|| {
        GetFunctionConfigurationOutput::builder()
            .function_arn(ARN)
            .build()
    });
    let lambda = api(RuleMode::Sequential, &[&no_memory]);
    // The Cleaner would otherwise "restore" the function to 128 MB.
    let err = publisher::restore_latest(&lambda, &snapshot())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.UnexpectedResponse");
    assert!(err.to_string().contains("MemorySize"), "{err}");
}
