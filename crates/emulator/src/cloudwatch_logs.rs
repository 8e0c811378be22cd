//! CloudWatch Logs for the functions the emulator runs: every line an invocation logs is an
//! event of its function's log group (`/aws/lambda/NAME`), and Logs Insights answers the
//! aggregate queries a tool asks of Lambda logs (powertune's `coldStartRate: "auto"` among
//! them) over the awsJson1.1 protocol (`POST /`, `X-Amz-Target: Logs_20140328.StartQuery`,
//! `GetQueryResults`, `StopQuery`), so the AWS SDK reaches it through
//! `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`.
//!
//! The query language served is a subset, refused with `MalformedQueryException` beyond it:
//! `[filter COND [or COND]... |]... stats AGG[, AGG]...` (several filters must all hold), where
//! COND is `FIELD = "VALUE"` or `FIELD like "TEXT"` (TEXT anywhere in the field) and AGG
//! is `count(*) as NAME` or `count(FIELD) as NAME` (the events in which FIELD exists). The
//! fields are those Logs Insights discovers ("Supported logs and discovered fields"): `@type`
//! of a text START, END or REPORT line and the REPORT line's `@duration`, `@billedDuration`,
//! `@memorySize`, `@maxMemoryUsed` and `@initDuration`; every event's `@logStream`; and a JSON
//! event's fields by dotted path (`type`, `record.metrics.initDurationMs`). A query completes
//! when it is started.

use serde_json::{json, Value};
use std::collections::HashMap;

/// The most events a log group keeps (the oldest go first), so a long-running emulator's memory
/// stays bounded.
pub const MAX_EVENTS_PER_GROUP: usize = 200_000;

/// One log event.
#[derive(Debug, Clone)]
struct Event {
    /// Milliseconds since the epoch.
    timestamp_ms: i64,
    /// The log stream it was written to.
    stream: String,
    message: String,
}

/// The log groups and the queries run on them.
#[derive(Debug, Default)]
pub struct Logs {
    groups: HashMap<String, std::collections::VecDeque<Event>>,
    queries: HashMap<String, Vec<Vec<(String, String)>>>,
    next_query: u64,
}

/// The log group Lambda writes a function's logs to by default.
pub fn log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// Today's date, `YYYY/MM/DD` (UTC), as a log stream's name starts.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}/{month:02}/{day:02}")
}

/// The group a function logs to: its `LoggingConfig.LogGroup`, else Lambda's default.
pub fn group_of(function: &str, custom: Option<&str>) -> String {
    custom.map_or_else(|| log_group(function), str::to_string)
}

/// The log stream an invocation's lines go to. Lambda names a stream after the day, the
/// version and the execution environment; in a custom group, after the function too, so that
/// functions sharing the group can be told apart ("Configuring CloudWatch log groups", Lambda
/// Developer Guide: `YYYY/MM/DD/<function_name>[<function_version>][<execution_environment_GUID>]`).
pub fn log_stream(function: &str, version: &str, environment: &str, custom: bool) -> String {
    let day = today();
    if custom {
        format!("{day}/{function}[{version}]{environment}")
    } else {
        format!("{day}/[{version}]{environment}")
    }
}

/// A Logs API error: its `__type` and message.
#[derive(Debug, PartialEq)]
pub struct LogsError {
    /// `ResourceNotFoundException`, `MalformedQueryException`, `InvalidParameterException`.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

impl Logs {
    /// Appends each line of an invocation's log to `stream` of `group`, at `timestamp_ms`.
    pub fn append(&mut self, group: &str, stream: &str, timestamp_ms: i64, log: &str) {
        let events = self.groups.entry(group.to_string()).or_default();
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            if events.len() == MAX_EVENTS_PER_GROUP {
                events.pop_front();
            }
            events.push_back(Event {
                timestamp_ms,
                stream: stream.to_string(),
                message: line.to_string(),
            });
        }
    }

    /// Answers one Logs API operation (the part of `X-Amz-Target` after the dot).
    pub fn call(&mut self, operation: &str, body: &Value) -> Result<Value, LogsError> {
        match operation {
            "StartQuery" => self.start_query(body),
            "GetQueryResults" => {
                let id = body["queryId"].as_str().unwrap_or_default();
                let rows = self.queries.get(id).ok_or_else(|| LogsError {
                    code: "ResourceNotFoundException",
                    message: format!("Query {id} does not exist."),
                })?;
                let results: Vec<Value> = rows
                    .iter()
                    .map(|row| {
                        Value::Array(
                            row.iter()
                                .map(|(f, v)| json!({"field": f, "value": v}))
                                .collect(),
                        )
                    })
                    .collect();
                Ok(json!({"status": "Complete", "results": results}))
            }
            // Every query is complete when it starts: there is nothing to stop.
            "StopQuery" => Ok(json!({"success": false})),
            other => Err(LogsError {
                code: "UnknownOperationException",
                message: format!("The emulator's CloudWatch Logs does not serve {other}"),
            }),
        }
    }

    fn start_query(&mut self, body: &Value) -> Result<Value, LogsError> {
        let invalid = |message: &str| LogsError {
            code: "InvalidParameterException",
            message: message.to_string(),
        };
        let mut names: Vec<&str> = body["logGroupNames"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(name) = body["logGroupName"].as_str() {
            names.push(name);
        }
        if names.is_empty() {
            return Err(invalid("StartQuery needs logGroupName or logGroupNames"));
        }
        let (Some(start), Some(end)) = (body["startTime"].as_i64(), body["endTime"].as_i64())
        else {
            return Err(invalid(
                "StartQuery needs startTime and endTime (epoch seconds)",
            ));
        };
        let query = parse(body["queryString"].as_str().unwrap_or_default())?;
        let mut events = Vec::new();
        for name in names {
            let group = self.groups.get(name).ok_or_else(|| LogsError {
                code: "ResourceNotFoundException",
                message: format!("Log group {name} does not exist"),
            })?;
            events.extend(
                group
                    .iter()
                    .filter(|e| e.timestamp_ms >= start * 1000 && e.timestamp_ms <= end * 1000),
            );
        }
        let rows = query.run(&events);
        self.next_query += 1;
        let id = format!("emulator-query-{}", self.next_query);
        self.queries.insert(id.clone(), rows);
        Ok(json!({ "queryId": id }))
    }
}

/// A parsed query.
#[derive(Debug, PartialEq)]
struct Query {
    /// Each `filter` stage: conditions any of which matches (`FIELD = "VALUE"`, or with
    /// `like`, VALUE anywhere in FIELD); an event passes when every stage matches.
    filter: Vec<Vec<(String, bool, String)>>,
    /// Each `count(...)`: its field (`None` for `*`) and its name.
    counts: Vec<(Option<String>, String)>,
    /// Fields `parse @message /PREFIX(?<NAME>.*?)SUFFIX/` extracts: name, prefix, suffix.
    parsed: Vec<(String, String, String)>,
}

const SERVED: &str =
    "the emulator serves [filter FIELD = \"VALUE\"|FIELD like \"TEXT\" [or ...] |]... \
[parse @message /PREFIX(?<NAME>.*?)SUFFIX/ |] stats count(*|FIELD) as NAME[, ...]";

/// `/PREFIX(?<NAME>.*?)SUFFIX/`: the one form of `parse` served (a lazy capture between two
/// literals), as AWS's own SnapStart query uses it.
fn parse_pattern(pattern: &str) -> Option<(String, String, String)> {
    let inner = pattern.strip_prefix('/')?.strip_suffix('/')?;
    let (prefix, rest) = inner.split_once("(?<")?;
    let (name, rest) = rest.split_once('>')?;
    let suffix = rest.strip_prefix(".*?)")?;
    let literal = |s: &str| !s.contains(['(', ')', '[', ']', '*', '+', '?', '\\', '|']);
    (literal(prefix) && literal(suffix) && !name.is_empty())
        .then(|| (name.to_string(), prefix.to_string(), suffix.to_string()))
}

fn malformed(problem: &str) -> LogsError {
    LogsError {
        code: "MalformedQueryException",
        message: format!("{problem}: {SERVED}"),
    }
}

fn parse(text: &str) -> Result<Query, LogsError> {
    let mut filter = Vec::new();
    let mut counts = Vec::new();
    let mut parsed = Vec::new();
    for stage in text.split('|').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(pattern) = stage.strip_prefix("parse @message ") {
            parsed.push(
                parse_pattern(pattern.trim())
                    .ok_or_else(|| malformed(&format!("the pattern {pattern:?} is not served")))?,
            );
        } else if let Some(conditions) = stage.strip_prefix("filter ") {
            let mut any = Vec::new();
            for condition in conditions.split(" or ") {
                let (field, like, value) = match condition.split_once(" like ") {
                    Some((f, v)) => (f, true, v),
                    None => {
                        let (f, v) = condition.split_once('=').ok_or_else(|| {
                            malformed(&format!("cannot read the condition {condition:?}"))
                        })?;
                        (f, false, v)
                    }
                };
                let value = value.trim();
                let unquoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .ok_or_else(|| malformed(&format!("{value} is not a quoted string")))?;
                any.push((field.trim().to_string(), like, unquoted.to_string()));
            }
            filter.push(any);
        } else if let Some(aggregates) = stage.strip_prefix("stats ") {
            for aggregate in aggregates.split(',') {
                let (call, name) = aggregate
                    .split_once(" as ")
                    .ok_or_else(|| malformed(&format!("{aggregate:?} has no \"as NAME\"")))?;
                let field = call
                    .trim()
                    .strip_prefix("count(")
                    .and_then(|c| c.strip_suffix(')'))
                    .ok_or_else(|| malformed(&format!("{} is not a count", call.trim())))?
                    .trim();
                let field = (field != "*").then(|| field.to_string());
                counts.push((field, name.trim().to_string()));
            }
        } else {
            return Err(malformed(&format!("the command {stage:?} is not served")));
        }
    }
    if counts.is_empty() {
        return Err(malformed("the query has no stats"));
    }
    Ok(Query {
        filter,
        counts,
        parsed,
    })
}

impl Query {
    /// One row of counts, or none when no event matched (as Logs Insights answers).
    fn run(&self, events: &[&Event]) -> Vec<Vec<(String, String)>> {
        let matched: Vec<&&Event> = events
            .iter()
            .filter(|e| {
                self.filter.iter().all(|any| {
                    any.iter().any(|(f, like, v)| match self.field(e, f) {
                        Some(found) if *like => found.contains(v.as_str()),
                        Some(found) => found == *v,
                        None => false,
                    })
                })
            })
            .collect();
        if matched.is_empty() {
            return Vec::new();
        }
        let row = self
            .counts
            .iter()
            .map(|(f, name)| {
                let n = match f {
                    None => matched.len(),
                    Some(f) => matched
                        .iter()
                        .filter(|e| self.field(e, f).is_some())
                        .count(),
                };
                (name.clone(), n.to_string())
            })
            .collect();
        vec![row]
    }

    /// A field of an event: one the query parses out of the message, else a discovered one.
    fn field(&self, event: &Event, name: &str) -> Option<String> {
        match self.parsed.iter().find(|(n, _, _)| n == name) {
            Some((_, prefix, suffix)) => {
                let (_, after) = event.message.split_once(prefix.as_str())?;
                let (value, _) = after.split_once(suffix.as_str())?;
                Some(value.to_string())
            }
            None => field(event, name),
        }
    }
}

/// A discovered field of an event, as text.
fn field(event: &Event, name: &str) -> Option<String> {
    if name == "@logStream" {
        return Some(event.stream.clone());
    }
    let line = event.message.as_str();
    if line.starts_with('{') {
        let root: Value = serde_json::from_str(line).ok()?;
        let mut v = &root;
        for part in name.split('.') {
            v = v.get(part)?;
        }
        return match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    let kind = ["START", "END", "REPORT"]
        .into_iter()
        .find(|k| line.starts_with(&format!("{k} RequestId:")))?;
    if name == "@type" {
        return Some(kind.to_string());
    }
    let label = match name {
        "@duration" => "Duration",
        "@billedDuration" => "Billed Duration",
        "@memorySize" => "Memory Size",
        "@maxMemoryUsed" => "Max Memory Used",
        "@initDuration" => "Init Duration",
        _ => return None,
    };
    line.split('\t').find_map(|segment| {
        let value = segment.trim().strip_prefix(label)?.strip_prefix(':')?;
        value.split_whitespace().next().map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLD: &str = "START RequestId: a Version: 1\nEND RequestId: a\nREPORT RequestId: a\tDuration: 2.00 ms\tBilled Duration: 303 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 300.50 ms\t\n";
    const WARM: &str = "START RequestId: b Version: 1\nhello\nEND RequestId: b\nREPORT RequestId: b\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\t\n";
    const JSON_COLD: &str = r#"{"time":"t","type":"platform.start","record":{"requestId":"c"}}
{"time":"t","type":"platform.report","record":{"requestId":"c","metrics":{"durationMs":2.0,"initDurationMs":290.1}}}"#;
    const QUERY: &str = "filter @type = \"REPORT\" or type = \"platform.report\" | stats count(*) as invocations, count(@initDuration) as text, count(record.metrics.initDurationMs) as json";

    fn query(logs: &mut Logs, q: &str, start: i64, end: i64) -> Result<Value, LogsError> {
        let started = logs.call(
            "StartQuery",
            &json!({"logGroupName": "/aws/lambda/f", "startTime": start, "endTime": end, "queryString": q}),
        )?;
        logs.call("GetQueryResults", &json!({"queryId": started["queryId"]}))
    }

    #[test]
    fn stats_count_reports_and_the_cold_ones_in_both_log_formats() {
        let mut logs = Logs::default();
        logs.append("/aws/lambda/f", "2026/01/01/[1]env", 1_000_000, COLD);
        for _ in 0..3 {
            logs.append("/aws/lambda/f", "2026/01/01/[1]env", 1_001_000, WARM);
        }
        logs.append("/aws/lambda/f", "2026/01/01/[1]env", 1_002_000, JSON_COLD);
        let out = query(&mut logs, QUERY, 1000, 1002).unwrap();
        assert_eq!(out["status"], "Complete");
        assert_eq!(
            out["results"],
            json!([[{"field": "invocations", "value": "5"}, {"field": "text", "value": "1"}, {"field": "json", "value": "1"}]])
        );
        // The period bounds the events (epoch seconds against milliseconds).
        let out = query(&mut logs, QUERY, 1001, 1001).unwrap();
        assert_eq!(out["results"][0][0]["value"], "3");
        // Nothing matched: no row.
        let out = query(&mut logs, QUERY, 5000, 6000).unwrap();
        assert_eq!(out["results"], json!([]));
    }

    #[test]
    fn streams_are_named_as_lambda_names_them_and_filtered_by_like() {
        assert!(
            today().starts_with("20") && today().len() == 10,
            "{}",
            today()
        );
        let own = log_stream("f", "3", "abc", false);
        assert!(own.ends_with("/[3]abc"), "{own}");
        let shared = log_stream("f", "3", "abc", true);
        assert!(shared.ends_with("/f[3]abc"), "{shared}");
        // Two functions in one custom group: a query can keep one's streams.
        let mut logs = Logs::default();
        logs.append("/app", &log_stream("f", "1", "e1", true), 1_000_000, COLD);
        logs.append("/app", &log_stream("g", "1", "e2", true), 1_000_000, WARM);
        logs.append("/app", &log_stream("g", "1", "e2", true), 1_000_000, WARM);
        let mut call = |q: &str| {
            let started = logs
                .call("StartQuery", &json!({"logGroupName": "/app", "startTime": 1000, "endTime": 1000, "queryString": q}))
                .unwrap();
            logs.call("GetQueryResults", &json!({"queryId": started["queryId"]}))
                .unwrap()
        };
        let all = call("filter @type = \"REPORT\" | stats count(*) as n");
        assert_eq!(all["results"][0][0]["value"], "3");
        let f_only = call(
            "filter @type = \"REPORT\" | filter @logStream like \"/f[\" | stats count(*) as n",
        );
        assert_eq!(f_only["results"][0][0]["value"], "1");
    }

    /// AWS's own SnapStart query parses the Restore Duration out of the message, and a restore
    /// (text or JSON) counts as a cold start in powertune's "auto" query.
    #[test]
    fn a_parsed_restore_duration_counts_snapstart_restores() {
        const RESTORED: &str = "START RequestId: r Version: 3\nEND RequestId: r\nREPORT RequestId: r\tDuration: 5.00 ms\tBilled Duration: 230 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 310.25 ms\tBilled Restore Duration: 225 ms\t\n";
        const JSON_RESTORED: &str = r#"{"time":"t","type":"platform.report","record":{"requestId":"j","metrics":{"durationMs":3.0,"restoreDurationMs":280.5}}}"#;
        let mut logs = Logs::default();
        for log in [COLD, WARM, RESTORED, JSON_RESTORED, JSON_COLD] {
            logs.append("/aws/lambda/f", "2026/01/01/[1]env", 1_000_000, log);
        }
        let q = "filter @type = \"REPORT\" or type = \"platform.report\" \
            | parse @message /Restore Duration: (?<restoreDuration>.*?) ms/ \
            | stats count(*) as n, count(@initDuration) as init, count(restoreDuration) as restored, \
            count(record.metrics.restoreDurationMs) as jsonRestored";
        let out = query(&mut logs, q, 1000, 1000).unwrap();
        assert_eq!(
            out["results"],
            json!([[{"field": "n", "value": "5"}, {"field": "init", "value": "1"},
                    {"field": "restored", "value": "1"}, {"field": "jsonRestored", "value": "1"}]])
        );
        // Only the one form of parse is served.
        let e = query(
            &mut logs,
            "parse @message /(\\d+)/ | stats count(*) as n",
            0,
            1,
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedQueryException");
    }

    #[test]
    fn discovered_fields_of_a_text_report() {
        let event = |m: &str| Event {
            timestamp_ms: 0,
            stream: "2026/01/01/[1]env".into(),
            message: m.to_string(),
        };
        let report = event(COLD.lines().nth(2).unwrap());
        assert_eq!(field(&report, "@type").as_deref(), Some("REPORT"));
        assert_eq!(field(&report, "@initDuration").as_deref(), Some("300.50"));
        assert_eq!(field(&report, "@duration").as_deref(), Some("2.00"));
        assert_eq!(field(&report, "@billedDuration").as_deref(), Some("303"));
        assert_eq!(field(&event("hello"), "@type"), None);
        assert_eq!(
            field(&event(WARM.lines().nth(3).unwrap()), "@initDuration"),
            None
        );
    }

    #[test]
    fn unknown_groups_and_queries_beyond_the_subset_are_refused() {
        let mut logs = Logs::default();
        let e = query(&mut logs, QUERY, 0, 1).unwrap_err();
        assert_eq!(e.code, "ResourceNotFoundException");
        logs.append("/aws/lambda/f", "2026/01/01/[1]env", 0, WARM);
        for q in [
            "fields @message | limit 20",
            "stats avg(@duration) as d",
            "filter @duration > 5 | stats count(*) as n",
        ] {
            let e = query(&mut logs, q, 0, 1).unwrap_err();
            assert_eq!(e.code, "MalformedQueryException", "{q}");
        }
    }

    #[test]
    fn a_group_keeps_its_newest_events() {
        let mut logs = Logs::default();
        let line = "START RequestId: x Version: 1\n".repeat(MAX_EVENTS_PER_GROUP + 5);
        logs.append("/aws/lambda/f", "2026/01/01/[1]env", 0, &line);
        assert_eq!(logs.groups["/aws/lambda/f"].len(), MAX_EVENTS_PER_GROUP);
    }
}
