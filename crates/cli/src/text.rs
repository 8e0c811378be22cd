//! Formatting the reports share: amounts with four significant digits, currency symbols, and
//! escaping for HTML and SVG.

use powertune_core::pricing::Currency;

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

#[cfg(test)]
mod tests {
    use super::*;

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
