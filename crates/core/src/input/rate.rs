//! `coldStartRate`: the share of production invocations that start cold, as the user gives it,
//! as `"auto"`, or as read from the function's logs (the Logs Insights query behind `"auto"`
//! and the reading of its answer). The blend it drives is `crate::blend`'s.

use crate::managed::prices::HOURS_PER_MONTH;
use serde::{Deserialize, Serialize};

/// The input's `coldStartRate`.
#[derive(Debug, Clone, PartialEq)]
pub enum ColdStartRate {
    /// A share of invocations the user gave, 0 to 1.
    Given(f64),
    /// `"auto"`: to be read from the function's logs when the run starts on AWS.
    Auto,
    /// Read from the function's logs (what `"auto"` becomes; the steps pass it on in this form).
    Measured(MeasuredRate),
}

impl ColdStartRate {
    /// The share the strategies blend at; `None` while `"auto"` is not read yet.
    pub fn share(&self) -> Option<f64> {
        match self {
            ColdStartRate::Given(r) => Some(*r),
            ColdStartRate::Auto => None,
            ColdStartRate::Measured(m) => Some(m.rate),
        }
    }

    /// Where a measured rate came from.
    pub fn measured(&self) -> Option<&MeasuredRate> {
        match self {
            ColdStartRate::Measured(m) => Some(m),
            _ => None,
        }
    }
}

/// A function's share of cold starts, counted in its logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredRate {
    /// `cold_starts / invocations`.
    pub rate: f64,
    /// REPORT records in the period.
    pub invocations: u64,
    /// Those with an Init Duration.
    pub cold_starts: u64,
    /// The period, days back from when the run started.
    pub days: u32,
    /// The log group counted.
    pub log_group: String,
}

/// `monthlyInvocations: "auto"`: the traffic to project at, read from the same query as
/// `coldStartRate: "auto"` (its count of REPORT records).
#[derive(Debug, Clone, PartialEq)]
pub enum TrafficSource {
    /// To be read from the function's logs when the run starts on AWS.
    Auto,
    /// Read from them (what `"auto"` becomes; the steps pass it on in this form).
    Measured(MeasuredTraffic),
}

/// A function's invocations a month, counted in its logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredTraffic {
    /// `invocations` over `days`, scaled to a month of [`HOURS_PER_MONTH`] hours.
    pub per_month: u64,
    /// REPORT records in the period.
    pub invocations: u64,
    /// The period, days back from when the run started.
    pub days: u32,
    /// The log group counted.
    pub log_group: String,
}

impl MeasuredTraffic {
    /// The month's traffic at the pace the query counted.
    pub fn of(rate: &MeasuredRate) -> MeasuredTraffic {
        let hours = f64::from(rate.days.max(1)) * 24.0;
        MeasuredTraffic {
            per_month: (rate.invocations as f64 * HOURS_PER_MONTH / hours).round() as u64,
            invocations: rate.invocations,
            days: rate.days,
            log_group: rate.log_group.clone(),
        }
    }
}

/// How far back `"auto"` counts: Logs Insights can query any period the log group retains; two
/// weeks hold both a weekly cycle of traffic and the function's current code.
pub const AUTO_RATE_DAYS: u32 = 14;

/// The Logs Insights query behind `"auto"`: every REPORT record, and the cold starts among them,
/// by the one definition powertune uses everywhere (`core::report_line::Report::is_cold_start`):
/// a REPORT with an Init Duration or a Restore Duration (a SnapStart environment restored from
/// its snapshot: "the cold start duration is the sum of Restore Duration and Duration", Lambda
/// Developer Guide, "Monitoring for Lambda SnapStart"). Lambda writes REPORT as a text line
/// (discovered fields `@type` and `@initDuration`, "Supported logs and discovered fields",
/// CloudWatch Logs User Guide; Restore Duration has no discovered field, so it is parsed from
/// the message as that guide's SnapStart query does) or, with the JSON log format, as a
/// `platform.report` record whose `record.metrics.initDurationMs` or `restoreDurationMs` is
/// there on a cold start (Lambda's Telemetry API schema); a log group can hold both if the
/// function's format changed within the period, so both are counted. Provisioned environments
/// write no Init Duration in their REPORTs, so they count as warm.
pub const AUTO_RATE_QUERY: &str = "filter @type = \"REPORT\" or type = \"platform.report\" \
| parse @message /Restore Duration: (?<restoreDuration>.*?) ms/ \
| stats count(*) as invocations, count(@initDuration) as textColdStarts, \
count(restoreDuration) as textRestores, count(record.metrics.initDurationMs) as jsonColdStarts, \
count(record.metrics.restoreDurationMs) as jsonRestores";

/// The query for `function`'s logs in `log_group`. Several functions may log to one custom
/// group; Lambda then names each stream after its function
/// (`YYYY/MM/DD/<function_name>[<version>][<environment>]`, "Configuring CloudWatch log
/// groups", Lambda Developer Guide), so in any group but the function's own
/// `/aws/lambda/NAME` the query keeps only the function's streams.
pub fn auto_rate_query(log_group: &str, function: &str) -> String {
    if log_group == format!("/aws/lambda/{function}") {
        return AUTO_RATE_QUERY.to_string();
    }
    AUTO_RATE_QUERY.replacen(
        " | parse ",
        &format!(" | filter @logStream like \"/{function}[\" | parse "),
        1,
    )
}

impl MeasuredRate {
    /// Reads the results of [`AUTO_RATE_QUERY`] (rows of field and value, as Logs Insights
    /// returns them: `stats` gives one row, or none when nothing matched).
    pub fn from_query_results(
        rows: &[Vec<(String, String)>],
        log_group: &str,
        days: u32,
    ) -> Result<MeasuredRate, String> {
        let count = |field: &str| -> Result<u64, String> {
            let Some(row) = rows.first() else {
                return Ok(0);
            };
            match row.iter().find(|(f, _)| f == field) {
                // A count over no record can be left out of the row.
                None if field != "invocations" => Ok(0),
                None => Err(format!(
                    "the Logs Insights query on {log_group} answered without an \"invocations\" count ({} fields: {})",
                    row.len(),
                    row.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(", ")
                )),
                Some((_, v)) => v.trim().parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0).map(|n| n as u64).ok_or_else(|| {
                    format!("the Logs Insights query on {log_group} answered {field} = {v:?}, not a count")
                }),
            }
        };
        let invocations = count("invocations")?;
        let cold_starts = count("textColdStarts")?
            + count("textRestores")?
            + count("jsonColdStarts")?
            + count("jsonRestores")?;
        if invocations == 0 {
            return Err(format!(
                "{log_group} has no REPORT record in the last {days} days, so there is no cold-start rate or traffic to read: give numbers, such as \"coldStartRate\": 0.05 or \"monthlyInvocations\": 1000000"
            ));
        }
        if cold_starts > invocations {
            return Err(format!(
                "the Logs Insights query on {log_group} counted {cold_starts} cold starts in {invocations} invocations"
            ));
        }
        Ok(MeasuredRate {
            rate: cold_starts as f64 / invocations as f64,
            invocations,
            cold_starts,
            days,
            log_group: log_group.to_string(),
        })
    }

    /// "372 of 12000 invocations in /aws/lambda/f over the last 14 days".
    pub fn source(&self) -> String {
        format!(
            "{} of {} invocations in {} over the last {} days",
            self.cold_starts, self.invocations, self.log_group, self.days
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_logs_query_counts_text_and_json_reports_and_their_cold_starts() {
        // One row, as Logs Insights answers a `stats` without `by`; counts are strings.
        let rows = vec![row(&[
            ("invocations", "12000"),
            ("textColdStarts", "300"),
            ("jsonColdStarts", "72"),
        ])];
        let m = MeasuredRate::from_query_results(&rows, "/aws/lambda/f", 14).unwrap();
        assert_eq!((m.invocations, m.cold_starts), (12000, 372));
        assert!((m.rate - 0.031).abs() < 1e-12);
        // A count of a field no record has may be missing from the row.
        let rows = vec![row(&[("invocations", "40"), ("textColdStarts", "2")])];
        let m = MeasuredRate::from_query_results(&rows, "/aws/lambda/f", 14).unwrap();
        assert_eq!(m.rate, 0.05);
        // A SnapStart restore is a cold start, as in the statistics.
        let rows = vec![row(&[
            ("invocations", "100"),
            ("textColdStarts", "2"),
            ("textRestores", "3"),
            ("jsonRestores", "5"),
        ])];
        let m = MeasuredRate::from_query_results(&rows, "/aws/lambda/f", 14).unwrap();
        assert_eq!(m.cold_starts, 10);
        // The query names the fields it reads back.
        for field in [
            "invocations",
            "textColdStarts",
            "textRestores",
            "jsonColdStarts",
            "jsonRestores",
        ] {
            assert!(AUTO_RATE_QUERY.contains(&format!("as {field}")), "{field}");
        }
    }

    #[test]
    fn a_log_group_without_reports_or_an_answer_without_counts_is_a_clear_error() {
        let none = MeasuredRate::from_query_results(&[], "/aws/lambda/f", 14).unwrap_err();
        assert!(
            none.contains("no REPORT record in the last 14 days"),
            "{none}"
        );
        let zero = vec![row(&[("invocations", "0")])];
        assert!(MeasuredRate::from_query_results(&zero, "/aws/lambda/f", 14)
            .unwrap_err()
            .contains("give numbers, such as"));
        // What a query engine without `stats` answers: the events themselves.
        let events = vec![row(&[
            ("@ptr", "CmAKJgoi"),
            ("@message", "REPORT RequestId: x"),
        ])];
        let e = MeasuredRate::from_query_results(&events, "/aws/lambda/f", 14).unwrap_err();
        assert!(e.contains("without an \"invocations\" count"), "{e}");
        let nonsense = vec![row(&[("invocations", "many")])];
        assert!(
            MeasuredRate::from_query_results(&nonsense, "/aws/lambda/f", 14)
                .unwrap_err()
                .contains("not a count")
        );
    }

    /// One definition of a cold start: what the statistics count as cold (a REPORT with an
    /// Init or a Restore Duration), the "auto" query counts as cold too, in both log formats.
    #[test]
    fn the_query_counts_as_cold_what_the_statistics_count_as_cold() {
        let restored = "REPORT RequestId: r\tDuration: 5.00 ms\tBilled Duration: 230 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 310.25 ms\tBilled Restore Duration: 225 ms\t";
        let initialized = "REPORT RequestId: i\tDuration: 2.00 ms\tBilled Duration: 303 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 300.50 ms\t";
        for line in [restored, initialized] {
            let report = crate::report_line::parse_report(line, None).unwrap();
            assert!(report.is_cold_start(), "{line}");
        }
        for counted in [
            "count(@initDuration)",
            "parse @message /Restore Duration: (?<restoreDuration>.*?) ms/",
            "count(restoreDuration)",
            "count(record.metrics.initDurationMs)",
            "count(record.metrics.restoreDurationMs)",
        ] {
            assert!(AUTO_RATE_QUERY.contains(counted), "{counted}");
        }
    }

    #[test]
    fn in_a_shared_log_group_the_query_keeps_the_functions_own_streams() {
        assert_eq!(auto_rate_query("/aws/lambda/f", "f"), AUTO_RATE_QUERY);
        let shared = auto_rate_query("/apps/checkout", "f");
        assert!(
            shared.contains("| filter @logStream like \"/f[\" | parse @message"),
            "{shared}"
        );
        // Everything else of the query is the same.
        assert_eq!(
            shared.replace(" | filter @logStream like \"/f[\"", ""),
            AUTO_RATE_QUERY
        );
    }
}
