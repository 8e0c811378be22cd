//! The log an invocation returns in `X-Amz-Log-Result`: START, the function's lines, END and the
//! REPORT, in Lambda's text format or as JSON `platform.*` records, cut to the last 4 KB.

use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Lambda returns the last 4 KB of the log with `LogType=Tail`.
pub const TAIL_BYTES: usize = 4096;

#[derive(Debug, Clone)]
/// What a REPORT line says about one invocation.
pub struct Invocation<'a> {
    /// The request ID.
    pub request_id: &'a str,
    /// `$LATEST` or the version.
    pub version: &'a str,
    /// `Duration`.
    pub duration: Duration,
    /// `Memory Size`, MB.
    pub memory_size_mb: u32,
    /// `Max Memory Used`, MB.
    pub max_memory_used_mb: u32,
    /// `Init Duration`, on a cold start.
    pub init_duration: Option<Duration>,
    /// `success`, `error` or `timeout`.
    pub status: &'a str,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Billed Duration: the duration rounded up to the next millisecond.
pub fn billed_ms(d: Duration) -> u64 {
    (ms(d) - 1e-9).ceil().max(1.0) as u64
}

impl Invocation<'_> {
    /// What Lambda bills for it, ms. Since 2025-08-01 Lambda bills the INIT phase of every
    /// function ("AWS Lambda standardizes billing for INIT phase", AWS Compute blog), as it
    /// always did for custom runtimes and images: a cold start bills its Init Duration and
    /// Duration together, rounded up once (measured on Lambda: Init 1293.83 ms + Duration
    /// 1049.63 ms billed 2344 ms; 1258.24 + 1002.25 billed 2261).
    pub fn billed_ms(&self) -> u64 {
        billed_ms(self.duration + self.init_duration.unwrap_or_default())
    }
}

/// The log tail in Lambda's text format: START, the function's lines, END, REPORT.
pub fn text_log(inv: &Invocation<'_>, function_lines: &[String]) -> String {
    let mut log = format!(
        "START RequestId: {} Version: {}\n",
        inv.request_id, inv.version
    );
    for line in function_lines {
        log.push_str(line);
        log.push('\n');
    }
    log.push_str(&format!("END RequestId: {}\n", inv.request_id));
    log.push_str(&format!(
        "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
        inv.request_id,
        ms(inv.duration),
        inv.billed_ms(),
        inv.memory_size_mb,
        inv.max_memory_used_mb
    ));
    if let Some(init) = inv.init_duration {
        log.push_str(&format!("\tInit Duration: {:.2} ms", ms(init)));
    }
    if inv.status == "timeout" {
        log.push_str("\tStatus: timeout");
    }
    log.push_str("\t\n");
    log
}

fn now_iso() -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", t.as_secs(), t.subsec_millis())
}

/// The log tail in Lambda's JSON format: the function's lines, then `platform.*` records; with
/// `platform` false (a system log level above INFO), the function's lines only.
pub fn json_log(inv: &Invocation<'_>, function_lines: &[String], platform: bool) -> String {
    let time = now_iso();
    let mut log = String::new();
    if platform {
        log = json!({"time": time, "type": "platform.start", "record": {"requestId": inv.request_id, "version": inv.version}}).to_string();
        log.push('\n');
    }
    for line in function_lines {
        log.push_str(line);
        log.push('\n');
    }
    let mut metrics = json!({
        "durationMs": (ms(inv.duration) * 1000.0).round() / 1000.0,
        "billedDurationMs": inv.billed_ms(),
        "memorySizeMB": inv.memory_size_mb,
        "maxMemoryUsedMB": inv.max_memory_used_mb,
    });
    if let Some(init) = inv.init_duration {
        metrics["initDurationMs"] = json!((ms(init) * 1000.0).round() / 1000.0);
    }
    if !platform {
        return log;
    }
    log.push_str(
        &json!({"time": time, "type": "platform.report", "record": {"requestId": inv.request_id, "metrics": metrics, "status": inv.status}}).to_string(),
    );
    log.push('\n');
    log
}

/// The last 4 KB, base64-encoded, as `X-Amz-Log-Result` carries it.
pub fn tail_base64(log: &str) -> String {
    use base64::Engine;
    let bytes = log.as_bytes();
    let tail = &bytes[bytes.len().saturating_sub(TAIL_BYTES)..];
    base64::engine::general_purpose::STANDARD.encode(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use powertune_core::report_line::parse_report;

    fn inv(init: Option<Duration>) -> Invocation<'static> {
        Invocation {
            request_id: "abc",
            version: "3",
            duration: Duration::from_micros(12_345),
            memory_size_mb: 512,
            max_memory_used_mb: 31,
            init_duration: init,
            status: "success",
        }
    }

    #[test]
    fn text_reports_parse_back_with_the_core_parser() {
        let log = text_log(&inv(Some(Duration::from_millis(40))), &["hello".into()]);
        let r = parse_report(&log, Some("abc")).unwrap();
        assert_eq!(r.duration_ms, Some(12.35));
        assert_eq!(r.init_duration_ms, Some(40.0));
        // A cold start bills its INIT too: ceil(40 + 12.345) ms.
        assert_eq!(r.billed_duration_ms, Some(53.0));
        assert_eq!(
            (r.memory_size_mb, r.max_memory_used_mb),
            (Some(512), Some(31))
        );
    }

    #[test]
    fn json_reports_parse_back_with_the_core_parser() {
        let log = json_log(
            &inv(None),
            &["{\"level\":\"INFO\",\"message\":\"x\"}".into()],
            true,
        );
        let r = parse_report(&log, Some("abc")).unwrap();
        assert_eq!(r.duration_ms, Some(12.345));
        assert_eq!(r.init_duration_ms, None);
        assert_eq!(r.billed_duration_ms, Some(13.0));
    }

    #[test]
    fn a_cold_start_bills_init_and_duration_rounded_up_once_in_both_formats() {
        // Lambda's own figures (bitesizedserverless.com, "When is the Lambda Init Phase Free,
        // and when is it Billed?"): Init 1293.83 ms + Duration 1049.63 ms billed 2344 ms, which
        // is ceil of the sum; rounding each up first would give 2345.
        let cold = Invocation {
            duration: Duration::from_micros(1_049_630),
            init_duration: Some(Duration::from_micros(1_293_830)),
            ..inv(None)
        };
        let text = parse_report(&text_log(&cold, &[]), Some("abc")).unwrap();
        let json = parse_report(&json_log(&cold, &[], true), Some("abc")).unwrap();
        for r in [text, json] {
            assert_eq!(r.billed_duration_ms, Some(2344.0));
            assert_eq!(r.init_duration_ms, Some(1293.83));
        }
    }

    #[test]
    fn billing_rounds_up_to_the_millisecond() {
        assert_eq!(billed_ms(Duration::from_micros(1)), 1);
        assert_eq!(billed_ms(Duration::from_micros(1000)), 1);
        assert_eq!(billed_ms(Duration::from_micros(1001)), 2);
    }

    #[test]
    fn tails_keep_the_last_4_kb() {
        use base64::Engine;
        let long: Vec<String> = (0..1000).map(|i| format!("line {i}")).collect();
        let log = text_log(&inv(None), &long);
        let tail = base64::engine::general_purpose::STANDARD
            .decode(tail_base64(&log))
            .unwrap();
        assert_eq!(tail.len(), TAIL_BYTES);
        assert!(parse_report(&String::from_utf8_lossy(&tail), None).is_ok());
    }
}
