//! CloudWatch Logs Insights, for `coldStartRate: "auto"`: the function's share of cold starts
//! over the last [`AUTO_RATE_DAYS`] days, counted in its log group by one query
//! ([`AUTO_RATE_QUERY`](powertune_core::input::AUTO_RATE_QUERY), narrowed to the function's
//! own streams in a shared log group). Logs Insights runs a query asynchronously: StartQuery
//! gives an ID,
//! and GetQueryResults answers `Scheduled` or `Running` until the query is `Complete` (or
//! `Failed`, `Cancelled`, `Timeout`).

use crate::error::StepError;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use powertune_core::input::{auto_rate_query, MeasuredRate, AUTO_RATE_DAYS};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest the Initializer waits for the query. Logs Insights scans the period's events,
/// seconds for most functions; a query may run up to 60 minutes ("CloudWatch Logs quotas"),
/// which no step can wait for.
pub(crate) const QUERY_WAIT: Duration = Duration::from_secs(120);

/// A CloudWatch Logs client that answers the questions a run asks of the logs.
#[derive(Clone, Debug)]
pub struct LogsApi {
    client: aws_sdk_cloudwatchlogs::Client,
    poll: Duration,
}

/// The log group a function writes to: its `LoggingConfig.LogGroup`, else Lambda's default
/// `/aws/lambda/NAME` ("Sending Lambda function logs to CloudWatch Logs").
pub(crate) fn log_group_of(function_name: &str, configured: Option<&str>) -> String {
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
        function: &str,
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
            .query_string(auto_rate_query(log_group, function))
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
                        "GetQueryResults (\"auto\" (coldStartRate, monthlyInvocations))",
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
                            StepError::InvalidInput(format!(
                                "\"auto\" (coldStartRate, monthlyInvocations): {e}"
                            ))
                        });
                }
                Some(QueryStatus::Scheduled | QueryStatus::Running) | None => {}
                Some(other) => {
                    return Err(StepError::UnexpectedResponse(format!(
                        "\"auto\" (coldStartRate, monthlyInvocations): the Logs Insights query on {log_group} ended {}; give a number, such as a coldStartRate of 0.05, or start again",
                        other.as_str()
                    )));
                }
            }
            if Instant::now() + self.poll > deadline {
                // The query costs by the data it scans: stop it rather than leave it running.
                let _ = self.client.stop_query().query_id(&id).send().await;
                return Err(StepError::WaitTimedOut(format!(
                    "\"auto\" (coldStartRate, monthlyInvocations): the Logs Insights query on {log_group} did not finish in time; give a number, such as a coldStartRate of 0.05"
                )));
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// StartQuery's errors, said for the user: a log group that does not exist (the function never
/// logged, or logs elsewhere) and a role without the permission are input problems, found before
/// anything changed.
fn start_failed<R: std::fmt::Debug + Send + Sync + 'static>(
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
            "\"auto\" (coldStartRate, monthlyInvocations): the log group {log_group} does not exist (the function has never logged, or logs elsewhere), so there is nothing to read; give a number, such as a coldStartRate of 0.05"
        )),
        Some("AccessDeniedException") => StepError::InvalidInput(format!(
            "\"auto\" (coldStartRate, monthlyInvocations): powertune may not query {log_group} (logs:StartQuery and logs:GetQueryResults): add the group to the deployment's queryLogGroups parameter (Lambda's /aws/lambda/* by default) and deploy the current template, or give a number, such as a coldStartRate of 0.05. {}",
            e.message().unwrap_or_default()
        )),
        _ => StepError::aws("CloudWatchLogs", "StartQuery (\"auto\" (coldStartRate, monthlyInvocations))", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_logs_to_its_configured_group_or_lambdas_default() {
        assert_eq!(log_group_of("f", None), "/aws/lambda/f");
        assert_eq!(log_group_of("f", Some("")), "/aws/lambda/f");
        assert_eq!(log_group_of("f", Some("/shared/api")), "/shared/api");
    }
}
