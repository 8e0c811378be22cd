//! Formatting the reports share: amounts with four significant digits, currency symbols, duration
//! intervals, and escaping for HTML and SVG.

use powertune_core::pricing::Currency;
use powertune_core::stats::Interval;

/// A number with four significant digits and no exponent: 2.52e-7 -> 0.0000002520.
pub fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 20) as usize;
    format!("{x:.decimals$}")
}

/// `$` or `¥`.
pub fn currency_symbol(currency: Currency) -> &'static str {
    match currency {
        Currency::Usd => "$",
        Currency::Cny => "¥",
    }
}

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A signed percentage change: `+12.3%`, `-4.0%`.
pub fn percent_change(change: f64) -> String {
    format!("{:+.1}%", change * 100.0)
}

/// A 95% interval of durations, `29.50 – 30.50 ms`, never below 0 ms (few invocations can widen
/// an interval of the mean past zero; a duration cannot be negative).
pub fn duration_interval(ci: &Interval) -> String {
    format!("{:.2} – {:.2} ms", ci.low, ci.high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_intervals_read_as_a_range() {
        assert_eq!(
            duration_interval(&Interval {
                low: 29.5,
                high: 30.5
            }),
            "29.50 – 30.50 ms"
        );
    }

    #[test]
    fn money_keeps_four_significant_digits() {
        assert_eq!(significant(2.52e-7), "0.0000002520");
        assert_eq!(significant(0.000375), "0.0003750");
        assert_eq!(significant(12.5), "12.50");
        assert_eq!(significant(0.0), "0");
        assert_eq!(percent_change(0.123), "+12.3%");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
