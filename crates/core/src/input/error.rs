//! The problems an execution input can have: each names the field, the value and what is
//! allowed, and all of them are reported at once.

use serde_json::Value;
use std::fmt;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, as the input spells it.
    pub field: String,
    /// The offending value as JSON, or `None` when the field is missing.
    pub value: Option<String>,
    /// What is wrong and what is allowed.
    pub problem: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "\"{}\" is {}: {}", self.field, shorten(v), self.problem),
            None => write!(f, "\"{}\" is missing: {}", self.field, self.problem),
        }
    }
}

fn shorten(v: &str) -> String {
    if v.chars().count() > 80 {
        format!("{}...", v.chars().take(77).collect::<String>())
    } else {
        v.to_string()
    }
}

/// Every problem found in one execution input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// Each problem: unknown fields first, then in the order of [`super::FIELDS`].
    pub problems: Vec<FieldError>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid execution input: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl InputError {
    pub(super) fn single(
        field: &str,
        value: Option<&Value>,
        problem: impl Into<String>,
    ) -> InputError {
        InputError {
            problems: vec![FieldError {
                field: field.to_string(),
                value: value.map(Value::to_string),
                problem: problem.into(),
            }],
        }
    }
}
