//! Reading one invocation's REPORT from the log tail that `Invoke` returns with `LogType=Tail`.
//!
//! Lambda returns the last 4 KB of the invocation's log, base64-encoded in `LogResult`; the
//! caller decodes it. The tail may start in the middle of a line (or of a UTF-8 character, which
//! the caller replaces) and ends with the platform's report, either as a text line
//! (`REPORT RequestId: ...\tDuration: 469.40 ms\tBilled Duration: 500 ms\t...`) or, with the JSON
//! log format, as a `{"type":"platform.report","record":{...}}` object, which may be
//! pretty-printed over several lines and mixed with the function's own lines.
//! Field names: <https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html>.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The figures of one invocation's REPORT. A field the report does not carry is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// `RequestId`.
    pub request_id: Option<String>,
    /// `Duration`, ms.
    pub duration_ms: Option<f64>,
    /// `Billed Duration`, ms.
    pub billed_duration_ms: Option<f64>,
    /// `Init Duration`, ms: present on a cold start.
    pub init_duration_ms: Option<f64>,
    /// `Restore Duration`, ms: present on a SnapStart restore.
    pub restore_duration_ms: Option<f64>,
    /// `Billed Restore Duration`, ms.
    pub billed_restore_duration_ms: Option<f64>,
    /// `Memory Size`, MB.
    pub memory_size_mb: Option<u32>,
    /// `Max Memory Used`, MB.
    pub max_memory_used_mb: Option<u32>,
    /// Not in the REPORT: the caller knows the invocation was its environment's first, though
    /// the REPORT has no Init Duration. Lambda writes none when the Init phase ran inside the
    /// invocation (a "suppressed init": an Init over its 10 s limit is retried in the first
    /// invocation, under the function's timeout, and the REPORT's Duration includes it; Lambda
    /// Developer Guide, "Understanding the Lambda execution environment lifecycle"), and none
    /// when Lambda initialized the environment ahead of the invocation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_in_environment: bool,
}

impl Report {
    /// The time the invocation took, as a user waits for it: Duration + Init Duration + Restore
    /// Duration. Falls back to the billed duration when the report has no Duration.
    pub(crate) fn total_duration_ms(&self) -> f64 {
        let run = self.duration_ms.or(self.billed_duration_ms).unwrap_or(0.0);
        run + self.init_duration_ms.unwrap_or(0.0) + self.restore_duration_ms.unwrap_or(0.0)
    }

    /// The milliseconds Lambda bills: Billed Duration + Billed Restore Duration. Lambda bills
    /// per 1 ms, rounding up, so a report without a billed figure is billed `ceil(Duration)`.
    pub fn billed_ms(&self) -> f64 {
        let run = self
            .billed_duration_ms
            .or(self.duration_ms.map(f64::ceil))
            .unwrap_or(0.0);
        run + self.billed_restore_duration_ms.unwrap_or(0.0)
    }

    /// Whether this invocation started a new execution environment.
    pub fn is_cold_start(&self) -> bool {
        self.init_duration_ms.is_some()
            || self.restore_duration_ms.is_some()
            || self.first_in_environment
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a log tail gave no duration.
pub enum LogError {
    #[error("The log tail of request {request} has no REPORT: the invocation's duration cannot be read. Its last line was: {last_line:?}")]
    /// The tail has no REPORT line.
    NoReport {
        /// The invocation's request ID.
        request: String,
        /// The tail's last line, to show what was there instead.
        last_line: String,
    },
}

/// Extracts the REPORT of `request_id` (or, without one, the last REPORT) from a decoded log
/// tail, in either log format.
pub fn parse_report(tail: &str, request_id: Option<&str>) -> Result<Report, LogError> {
    let mut reports = text_reports(tail);
    reports.extend(json_reports(tail));
    let wanted = |r: &&(usize, Report)| match request_id {
        Some(id) => r.1.request_id.as_deref() == Some(id),
        None => true,
    };
    // The report nearest the end of the tail is the invocation's own.
    reports
        .iter()
        .filter(wanted)
        .max_by_key(|(at, _)| *at)
        .map(|(_, report)| report.clone())
        .ok_or_else(|| LogError::NoReport {
            request: request_id.unwrap_or("(unknown)").to_string(),
            last_line: tail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        })
}

const TEXT_MARKER: &str = "REPORT RequestId:";

/// Every text REPORT line, with the byte offset where it starts.
fn text_reports(tail: &str) -> Vec<(usize, Report)> {
    tail.match_indices(TEXT_MARKER)
        .filter_map(|(at, _)| {
            let line = tail[at + TEXT_MARKER.len()..].lines().next().unwrap_or("");
            let mut fields = line.split('\t');
            let mut report = Report {
                request_id: fields
                    .next()
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string),
                ..Report::default()
            };
            for field in fields {
                let Some((name, value)) = field.split_once(':') else {
                    continue;
                };
                let number = value
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<f64>().ok());
                let Some(number) = number.filter(|n| n.is_finite() && *n >= 0.0) else {
                    continue;
                };
                match name.trim() {
                    "Duration" => report.duration_ms = Some(number),
                    "Billed Duration" => report.billed_duration_ms = Some(number),
                    "Init Duration" => report.init_duration_ms = Some(number),
                    "Restore Duration" => report.restore_duration_ms = Some(number),
                    "Billed Restore Duration" => report.billed_restore_duration_ms = Some(number),
                    "Memory Size" => report.memory_size_mb = Some(number as u32),
                    "Max Memory Used" => report.max_memory_used_mb = Some(number as u32),
                    _ => {}
                }
            }
            has_a_duration(&report).then_some((at, report))
        })
        .collect()
}

/// Every `platform.report` JSON object in the tail, with its byte offset. Objects may span lines
/// and share lines with other text, so every `{` is a candidate start; a parsed object is
/// skipped whole.
fn json_reports(tail: &str) -> Vec<(usize, Report)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(rel) = tail[from..].find('{') {
        let at = from + rel;
        let mut stream = serde_json::Deserializer::from_str(&tail[at..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                if let Some(report) = platform_report(&value) {
                    found.push((at, report));
                }
                from = at + stream.byte_offset().max(1);
            }
            _ => from = at + 1,
        }
    }
    found
}

fn platform_report(value: &Value) -> Option<Report> {
    if value.get("type")?.as_str()? != "platform.report" {
        return None;
    }
    let record = value.get("record")?;
    let metrics = record.get("metrics")?;
    let ms = |name: &str| {
        metrics
            .get(name)
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let mb = |name: &str| ms(name).map(|n| n as u32);
    let report = Report {
        request_id: record
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_string),
        duration_ms: ms("durationMs"),
        billed_duration_ms: ms("billedDurationMs"),
        init_duration_ms: ms("initDurationMs"),
        restore_duration_ms: ms("restoreDurationMs"),
        billed_restore_duration_ms: ms("billedRestoreDurationMs"),
        memory_size_mb: mb("memorySizeMB"),
        max_memory_used_mb: mb("maxMemoryUsedMB"),
        first_in_environment: false,
    };
    has_a_duration(&report).then_some(report)
}

fn has_a_duration(report: &Report) -> bool {
    report.duration_ms.is_some() || report.billed_duration_ms.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TEXT: &str = "START RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc Version: $LATEST\n\
        END RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc\n\
        REPORT RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc\tDuration: 469.40 ms\tBilled Duration: 500 ms\tMemory Size: 1024 MB\tMax Memory Used: 21 MB\tInit Duration: 100.99 ms\t\n";

    #[test]
    fn text_report_gives_every_field() {
        let r = parse_report(TEXT, None).unwrap();
        assert_eq!(
            r.request_id.as_deref(),
            Some("55bc566d-1e2c-11e7-93e6-6705ceb4c1cc")
        );
        assert_eq!(r.duration_ms, Some(469.40));
        assert_eq!(r.billed_duration_ms, Some(500.0));
        assert_eq!(r.init_duration_ms, Some(100.99));
        assert_eq!(r.memory_size_mb, Some(1024));
        assert_eq!(r.max_memory_used_mb, Some(21));
        assert_eq!(r.restore_duration_ms, None);
        assert!(r.is_cold_start());
        assert!((r.total_duration_ms() - 570.39).abs() < 1e-9);
        assert_eq!(r.billed_ms(), 500.0);
    }

    #[test]
    fn integer_durations_and_trailing_spaces_parse() {
        let tail = "REPORT RequestId: abc\tDuration: 12 ms\tBilled Duration: 1 ms \tMemory Size: 128 MB\tMax Memory Used: 15 MB";
        let r = parse_report(tail, None).unwrap();
        assert_eq!(r.duration_ms, Some(12.0));
        assert_eq!(r.billed_duration_ms, Some(1.0));
        assert_eq!(r.init_duration_ms, None);
        assert!(!r.is_cold_start());
    }

    #[test]
    fn snapstart_restore_durations_are_counted() {
        let tail = "REPORT RequestId: r1\tDuration: 50.00 ms\tBilled Duration: 51 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\tRestore Duration: 300.50 ms\tBilled Restore Duration: 120 ms\n";
        let r = parse_report(tail, Some("r1")).unwrap();
        assert_eq!(r.restore_duration_ms, Some(300.5));
        assert_eq!(r.billed_restore_duration_ms, Some(120.0));
        assert_eq!(r.total_duration_ms(), 350.5);
        assert_eq!(r.billed_ms(), 171.0);
        assert!(r.is_cold_start());
    }

    #[test]
    fn a_tail_starting_mid_line_still_parses() {
        let tail = "ing that was cut off\t at the start\nREPORT RequestId: x\tDuration: 1.5 ms\tBilled Duration: 2 ms\n";
        assert_eq!(
            parse_report(tail, None).unwrap().billed_duration_ms,
            Some(2.0)
        );
    }

    const JSON_LINES: &str = concat!(
        r#"{"timestamp":"2024-02-09T08:42:44.078Z","level":"INFO","requestId":"d661f7cf","message":"Just some logs here"}"#,
        "\n",
        r#"{"time":"2024-02-09T08:42:44.078Z","type":"platform.start","record":{"requestId":"d661f7cf","version":"8"}}"#,
        "\n",
        r#"{"time":"2024-02-09T08:42:44.079Z","type":"platform.runtimeDone","record":{"requestId":"d661f7cf","status":"success","metrics":{"durationMs":1.056,"producedBytes":50}}}"#,
        "\n",
        r#"{"time":"2024-02-09T08:42:44.080Z","type":"platform.report","record":{"requestId":"d661f7cf","status":"success","metrics":{"durationMs":1.317,"billedDurationMs":2,"memorySizeMB":1024,"maxMemoryUsedMB":68,"initDurationMs":10}}}"#,
    );

    #[test]
    fn json_report_gives_every_field_and_ignores_runtime_done() {
        let r = parse_report(JSON_LINES, Some("d661f7cf")).unwrap();
        assert_eq!(r.duration_ms, Some(1.317));
        assert_eq!(r.billed_duration_ms, Some(2.0));
        assert_eq!(r.init_duration_ms, Some(10.0));
        assert_eq!(r.memory_size_mb, Some(1024));
        assert_eq!(r.max_memory_used_mb, Some(68));
    }

    #[test]
    fn json_report_without_init_duration_is_not_an_error() {
        let tail = r#"{"type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":3.2,"billedDurationMs":4,"memorySizeMB":128,"maxMemoryUsedMB":20}}}"#;
        let r = parse_report(tail, None).unwrap();
        assert_eq!(r.init_duration_ms, None);
        assert_eq!(r.billed_ms(), 4.0);
    }

    #[test]
    fn pretty_printed_json_mixed_with_text_and_broken_lines_parses() {
        let tail = "{\"timestamp\":\"x\",\"message\":\"unterminated\"\n\
            [AWS Parameters and Secrets Lambda Extension] log level info.{\"type\":\"platform.start\",\"record\":{}}\n\
            {\n  \"time\": \"2024-02-09T08:42:44.080Z\",\n  \"type\": \"platform.report\",\n  \"record\": {\n    \"requestId\": \"q\",\n    \"metrics\": {\n      \"durationMs\": 7.5,\n      \"billedDurationMs\": 8\n    }\n  }\n}\n";
        let r = parse_report(tail, None).unwrap();
        assert_eq!(r.request_id.as_deref(), Some("q"));
        assert_eq!(r.billed_duration_ms, Some(8.0));
    }

    #[test]
    fn the_last_report_wins_and_request_ids_select() {
        let tail = "REPORT RequestId: one\tDuration: 1.00 ms\tBilled Duration: 1 ms\n\
                    REPORT RequestId: two\tDuration: 2.00 ms\tBilled Duration: 2 ms\n";
        assert_eq!(parse_report(tail, None).unwrap().duration_ms, Some(2.0));
        assert_eq!(
            parse_report(tail, Some("one")).unwrap().duration_ms,
            Some(1.0)
        );
    }

    #[test]
    fn a_tail_without_report_names_the_request() {
        let err =
            parse_report("START RequestId: r9 Version: $LATEST\nhello\n", Some("r9")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("r9"), "{message}");
        assert!(message.contains("hello"), "{message}");
        assert!(parse_report("", None).is_err());
        // a JSON log without a platform.report is not a report either
        assert!(parse_report(r#"{"level":"INFO","message":"x"}"#, None).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(tail in ".{0,600}") {
            let _ = parse_report(&tail, None);
        }

        #[test]
        fn parsing_never_panics_on_log_like_noise(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("REPORT RequestId: ".to_string()),
                    Just("\tDuration: ".to_string()),
                    Just("\tBilled Duration: ".to_string()),
                    Just("{\"type\":\"platform.report\",\"record\":{\"metrics\":{\"durationMs\":".to_string()),
                    Just("}}}".to_string()),
                    Just("{".to_string()),
                    Just("\n".to_string()),
                    "[0-9.e-]{0,8}",
                    " ms",
                ],
                0..40,
            )
        ) {
            let tail: String = parts.concat();
            if let Ok(r) = parse_report(&tail, None) {
                prop_assert!(r.total_duration_ms() >= 0.0);
                prop_assert!(r.billed_ms() >= 0.0);
            }
        }
    }
}
