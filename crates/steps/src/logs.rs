//! CloudWatch Logs Insights, for `coldStartRate: "auto"`: the function's share of cold starts
//! over the last [`AUTO_RATE_DAYS`] days, counted in its log group by one query
//! ([`AUTO_RATE_QUERY`]). Logs Insights runs a query asynchronously: StartQuery gives an ID,
//! and GetQueryResults answers `Scheduled` or `Running` until the query is `Complete` (or
//! `Failed`, `Cancelled`, `Timeout`).

use crate::error::StepError;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use powertune_core::blend::{MeasuredRate, AUTO_RATE_DAYS, AUTO_RATE_QUERY};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest the Initializer waits for the query. Logs Insights scans the period's events,
/// seconds for most functions; a query may run up to 60 minutes ("CloudWatch Logs quotas"),
/// which no step can wait for.
pub const QUERY_WAIT: Duration = Duration::from_secs(120);

/// A CloudWatch Logs client that answers the questions a run asks of the logs.
#[derive(Clone, Debug)]
pub struct LogsApi {
    client: aws_sdk_cloudwatchlogs::Client,
    poll: Duration,
}

/// The log group a function writes to: its `LoggingConfig.LogGroup`, else Lambda's default
/// `/aws/lambda/NAME` ("Sending Lambda function logs to CloudWatch Logs").
pub fn log_group_of(function_name: &str, configured: Option<&str>) -> String {
    match configured {
        Some(group) if !group.is_empty() => group.to_string(),
        _ => format!("/aws/lambda/{function_name}"),
    }
}

impl LogsApi {
    /// Over `client`, polling the query's results every second.
    pub fn new(client: aws_sdk_cloudwatchlogs::Client) -> LogsApi {
        LogsApi {
            client,
            poll: Duration::from_secs(1),
        }
    }

    /// The same, polling every `poll` (tests).
    pub fn with_poll(self, poll: Duration) -> LogsApi {
        LogsApi { poll, ..self }
    }

    /// The share of REPORT records with an Init Duration in `log_group` over the
    /// [`AUTO_RATE_DAYS`] days before `now`, waiting for the query until `deadline` at most.
    pub async fn cold_start_rate(
        &self,
        log_group: &str,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<MeasuredRate, StepError> {
        // Epoch seconds, rounded up so that the last second's events are in (endTime is
        // inclusive).
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let end = since_epoch.as_secs() as i64 + i64::from(since_epoch.subsec_nanos() > 0);
        let start = end - i64::from(AUTO_RATE_DAYS) * 24 * 3600;
        let started = self
            .client
            .start_query()
            .log_group_name(log_group)
            .start_time(start)
            .end_time(end)
            .query_string(AUTO_RATE_QUERY)
            .send()
            .await
            .map_err(|e| start_failed(log_group, e))?;
        let Some(id) = started.query_id().map(str::to_string) else {
            return Err(StepError::UnexpectedResponse(format!(
                "Logs Insights started a query on {log_group} without a query ID"
            )));
        };
        let deadline = deadline.min(Instant::now() + QUERY_WAIT);
        loop {
            let out = self
                .client
                .get_query_results()
                .query_id(&id)
                .send()
                .await
                .map_err(|e| {
                    StepError::aws(
                        "CloudWatchLogs",
                        "GetQueryResults (coldStartRate \"auto\")",
                        e,
                    )
                })?;
            match out.status() {
                Some(QueryStatus::Complete) => {
                    let rows: Vec<Vec<(String, String)>> = out
                        .results()
                        .iter()
                        .map(|row| {
                            row.iter()
                                .filter_map(|f| {
                                    Some((f.field()?.to_string(), f.value()?.to_string()))
                                })
                                .collect()
                        })
                        .collect();
                    return MeasuredRate::from_query_results(&rows, log_group, AUTO_RATE_DAYS)
                        .map_err(|e| {
                            StepError::InvalidInput(format!("coldStartRate \"auto\": {e}"))
                        });
                }
                Some(QueryStatus::Scheduled | QueryStatus::Running) | None => {}
                Some(other) => {
                    return Err(StepError::UnexpectedResponse(format!(
                        "coldStartRate \"auto\": the Logs Insights query on {log_group} ended {}; give a rate such as 0.05, or start again",
                        other.as_str()
                    )));
                }
            }
            if Instant::now() + self.poll > deadline {
                // The query costs by the data it scans: stop it rather than leave it running.
                let _ = self.client.stop_query().query_id(&id).send().await;
                return Err(StepError::WaitTimedOut(format!(
                    "coldStartRate \"auto\": the Logs Insights query on {log_group} did not finish in time; give a rate such as 0.05"
                )));
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// StartQuery's errors, said for the user: a log group that does not exist (the function never
/// logged, or logs elsewhere) and a role without the permission are input problems, found before
/// anything changed.
fn start_failed<R: std::fmt::Debug>(
    log_group: &str,
    e: aws_sdk_cloudwatchlogs::error::SdkError<
        aws_sdk_cloudwatchlogs::operation::start_query::StartQueryError,
        R,
    >,
) -> StepError {
    let missing = matches!(
        e.as_service_error(),
        Some(aws_sdk_cloudwatchlogs::operation::start_query::StartQueryError::ResourceNotFoundException(_))
    );
    match e.code() {
        _ if missing => StepError::InvalidInput(format!(
            "coldStartRate \"auto\": the log group {log_group} does not exist (the function has never logged, or logs elsewhere), so there is no cold-start rate to read; give one, such as 0.05"
        )),
        Some("AccessDeniedException") => StepError::InvalidInput(format!(
            "coldStartRate \"auto\": powertune may not query {log_group} (logs:StartQuery and logs:GetQueryResults): deploy the current template, whose Initializer has them, or give a rate such as 0.05. {}",
            e.message().unwrap_or_default()
        )),
        _ => StepError::aws("CloudWatchLogs", "StartQuery (coldStartRate \"auto\")", e),
    }
}

#[cfg(test)]
mod tests {
    //! Moto runs StartQuery but not `stats` (it answers the events themselves), so the query and
    //! the reading of its results are tested here against the SDK's mocked responses; the
    //! end-to-end suite runs it against the emulator's Logs Insights.
    use super::*;
    use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryError, StartQueryOutput};
    use aws_sdk_cloudwatchlogs::operation::stop_query::StopQueryOutput;
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    use aws_sdk_cloudwatchlogs::types::ResultField;
    use aws_sdk_cloudwatchlogs::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn field(name: &str, value: &str) -> ResultField {
        ResultField::builder().field(name).value(value).build()
    }

    const NOW: u64 = 1_780_000_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    /// The rate read through `client`, polling every millisecond for at most `wait`.
    async fn rate_of(client: Client, wait: Duration) -> Result<MeasuredRate, StepError> {
        LogsApi::new(client)
            .with_poll(Duration::from_millis(1))
            .cold_start_rate("/aws/lambda/f", now(), Instant::now() + wait)
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
            .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
        let running = mock!(Client::get_query_results)
            .match_requests(|r| r.query_id() == Some("q-1"))
            .then_output(|| {
                GetQueryResultsOutput::builder()
                    .status(QueryStatus::Running)
                    .build()
            });
        let complete = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Complete)
                .results(vec![
                    field("invocations", "400"),
                    field("textColdStarts", "12"),
                    field("jsonColdStarts", "0"),
                ])
                .build()
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

        let start = mock!(Client::start_query)
            .then_output(|| StartQueryOutput::builder().query_id("q-2").build());
        let empty = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Complete)
                .build()
        });
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
        let start = mock!(Client::start_query)
            .then_output(|| StartQueryOutput::builder().query_id("q-3").build());
        let running = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Running)
                .build()
        });
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

    #[test]
    fn a_function_logs_to_its_configured_group_or_lambdas_default() {
        assert_eq!(log_group_of("f", None), "/aws/lambda/f");
        assert_eq!(log_group_of("f", Some("")), "/aws/lambda/f");
        assert_eq!(log_group_of("f", Some("/shared/api")), "/shared/api");
    }
}
