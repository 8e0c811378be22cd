//! Reading fields one by one: each read either gives a typed value or records a problem that
//! names the field, and reading goes on, so that every problem is reported at once.

use super::error::FieldError;
use super::FunctionRef;
use serde_json::{Map, Value};

/// Collects problems while fields are read, so the user sees all of them at once.
pub(super) struct Reader<'a> {
    pub(super) object: &'a Map<String, Value>,
    pub(super) problems: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// The field's value; JSON `null` counts as absent.
    pub(super) fn get(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    pub(super) fn fail(&mut self, field: &str, value: Option<&Value>, problem: impl Into<String>) {
        self.problems.push(FieldError {
            field: field.to_string(),
            value: value.map(Value::to_string),
            problem: problem.into(),
        });
    }

    pub(super) fn bool(&mut self, field: &str) -> bool {
        match self.get(field) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                self.fail(field, Some(v), "must be true or false");
                false
            }
        }
    }

    pub(super) fn number(&mut self, field: &str, allowed: &str) -> Option<f64> {
        let v = self.get(field)?;
        match v.as_f64().filter(|n| n.is_finite()) {
            Some(n) => Some(n),
            None => {
                self.fail(field, Some(v), format!("must be a number {allowed}"));
                None
            }
        }
    }

    /// An integer, also accepted as a string of digits (the reference parses `"10"` too).
    pub(super) fn integer(&mut self, field: &str, allowed: &str) -> Option<i64> {
        let v = self.get(field)?;
        let parsed = match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.fail(field, Some(v), format!("must be an integer {allowed}"));
        }
        parsed
    }

    pub(super) fn string(&mut self, field: &str) -> Option<&'a str> {
        let v = self.get(field)?;
        match v.as_str() {
            Some(s) => Some(s),
            None => {
                self.fail(field, Some(v), "must be a string");
                None
            }
        }
    }

    pub(super) fn function(&mut self, field: &str) -> Option<FunctionRef> {
        let s = self.string(field)?;
        match FunctionRef::parse(s) {
            Ok(f) => Some(f),
            Err(problem) => {
                let v = self.get(field);
                self.fail(field, v, problem);
                None
            }
        }
    }

    /// Reports `problem` with `field`'s value as given.
    pub(super) fn reject(&mut self, field: &str, problem: impl Into<String>) {
        let value = self.get(field);
        self.fail(field, value, problem);
    }
}
