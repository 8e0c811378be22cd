//! The Logs Insights query of `coldStartRate: "auto"`. Moto runs StartQuery but not `stats` (it
//! answers the events themselves), so the query and the reading of its results are tested here
//! against mocked responses; the end-to-end suite runs it against the emulator's Logs Insights.

use super::mock::RuleMode;
use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryError, StartQueryOutput};
use aws_sdk_cloudwatchlogs::operation::stop_query::StopQueryOutput;
use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use aws_sdk_cloudwatchlogs::types::ResultField;
use aws_sdk_cloudwatchlogs::Client;
use powertune_core::input::{MeasuredRate, AUTO_RATE_QUERY};
use powertune_steps::insights::LogsApi;
use powertune_steps::StepError;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn started(query_id: &'static str) -> StartQueryOutput {
    StartQueryOutput::builder().query_id(query_id).build()
}

/// GetQueryResults' answer: the query's status and one row of `fields`, or no row without them.
fn results(status: QueryStatus, fields: &[(&str, &str)]) -> GetQueryResultsOutput {
    let answer = GetQueryResultsOutput::builder().status(status);
    if fields.is_empty() {
        return answer.build();
    }
    let row = fields
        .iter()
        .map(|(name, value)| ResultField::builder().field(*name).value(*value).build())
        .collect();
    answer.results(row).build()
}

const NOW: u64 = 1_780_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

/// The rate read through `client`, polling every millisecond for at most `wait`.
async fn rate_of(client: Client, wait: Duration) -> Result<MeasuredRate, StepError> {
    LogsApi::new(client)
        .with_poll(Duration::from_millis(1))
        .cold_start_rate("/aws/lambda/f", "f", now(), Instant::now() + wait)
        .await
}

#[tokio::test]
async fn the_rate_is_read_from_one_stats_query_over_fourteen_days() {
    let start = mock!(Client::start_query)
        .match_requests(|r| {
            r.log_group_name() == Some("/aws/lambda/f")
                && r.end_time() == Some(NOW as i64)
                && r.start_time() == Some(NOW as i64 - 14 * 86_400)
                && r.query_string() == Some(AUTO_RATE_QUERY)
        })
        .then_output(|| started("q-1"));
    let running = mock!(Client::get_query_results)
        .match_requests(|r| r.query_id() == Some("q-1"))
        .then_output(|| results(QueryStatus::Running, &[]));
    let complete = mock!(Client::get_query_results).then_output(|| {
        results(
            QueryStatus::Complete,
            &[
                ("invocations", "400"),
                ("textColdStarts", "12"),
                ("jsonColdStarts", "0"),
            ],
        )
    });
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::Sequential,
        &[&start, &running, &complete]
    );
    let m = rate_of(client, Duration::from_secs(5)).await.unwrap();
    assert_eq!((m.invocations, m.cold_starts, m.days), (400, 12, 14));
    assert!((m.rate - 0.03).abs() < 1e-12);
    assert_eq!(complete.num_calls(), 1);
    assert_eq!(running.num_calls(), 1);
}

#[tokio::test]
async fn a_missing_log_group_or_an_empty_one_is_an_input_error() {
    let missing = mock!(Client::start_query).then_error(|| {
        StartQueryError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("The specified log group does not exist.")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_cloudwatchlogs, &[&missing]);
    let e = rate_of(client, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(e.error_type(), "PowerTuning.InvalidInput");
    assert!(e.to_string().contains("does not exist"), "{e}");

    let start = mock!(Client::start_query).then_output(|| started("q-2"));
    let empty =
        mock!(Client::get_query_results).then_output(|| results(QueryStatus::Complete, &[]));
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::Sequential,
        &[&start, &empty]
    );
    let e = rate_of(client, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(e.error_type(), "PowerTuning.InvalidInput");
    assert!(
        e.to_string()
            .contains("no REPORT record in the last 14 days"),
        "{e}"
    );
}

#[tokio::test]
async fn a_query_that_outlasts_the_wait_is_stopped() {
    let start = mock!(Client::start_query).then_output(|| started("q-3"));
    let running =
        mock!(Client::get_query_results).then_output(|| results(QueryStatus::Running, &[]));
    let stop = mock!(Client::stop_query)
        .match_requests(|r| r.query_id() == Some("q-3"))
        .then_output(|| StopQueryOutput::builder().success(true).build());
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        &[&start, &running, &stop]
    );
    let e = rate_of(client, Duration::from_millis(30))
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "PowerTuning.WaitTimedOut");
    assert_eq!(stop.num_calls(), 1);
}
