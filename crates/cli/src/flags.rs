//! Flag values the subcommands share, parsed into the core's types with messages that name the
//! value and what is allowed.

use clap::ValueEnum;
use powertune_core::pricing::Architecture;
use powertune_core::strategy::Strategy;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The result document, as the state machine returns it.
    Json,
    /// A readable table with the recommendation marked.
    Table,
}

/// `--strategy`: `cost`, `speed` or `balanced`.
pub fn parse_strategy(s: &str) -> Result<Strategy, String> {
    s.parse::<Strategy>()
        .map_err(|problem| format!("\"{s}\" {problem}"))
}

/// `--balanced-weight`: from 0 (fastest) to 1 (cheapest).
pub fn parse_weight(s: &str) -> Result<f64, String> {
    from_zero_to_one(s, "a number from 0 (fastest) to 1 (cheapest)")
}

/// `analyze --cold-start-rate`: a share of invocations, 0 to 1.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    from_zero_to_one(s, "a share of invocations from 0 to 1, such as 0.05 for 5%")
}

/// A number from 0 to 1; the error names the value and what it must be.
fn from_zero_to_one(s: &str, what: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(n) if (0.0..=1.0).contains(&n) => Ok(n),
        _ => Err(format!("\"{s}\" must be {what}")),
    }
}

/// `--architecture`: `x86_64` or `arm64` (the core's message names the value).
pub fn parse_architecture(s: &str) -> Result<Architecture, String> {
    s.parse::<Architecture>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_parse_into_the_cores_types() {
        assert_eq!(parse_strategy("speed"), Ok(Strategy::Speed));
        assert!(parse_strategy("fastest")
            .unwrap_err()
            .contains("\"fastest\""));
        assert_eq!(parse_weight("0.3"), Ok(0.3));
        assert!(parse_weight("2").unwrap_err().contains("0 (fastest)"));
        assert_eq!(parse_rate("0.05"), Ok(0.05));
        assert!(parse_rate("5")
            .unwrap_err()
            .contains("share of invocations"));
        assert_eq!(parse_architecture("arm64"), Ok(Architecture::Arm64));
        assert!(parse_architecture("sparc").unwrap_err().contains("sparc"));
    }
}
