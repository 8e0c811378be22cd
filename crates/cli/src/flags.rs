//! Flags the subcommands share: the execution input's fields, one flag per row of the core's
//! [`FIELDS`] table (the one place a field is named), and the output format and architecture.

use crate::exit::Failure;
use clap::{Arg, ArgAction, ArgMatches, Command, ValueEnum};
use powertune_core::input::{Field, Flag, ValueKind, FIELDS};
use powertune_core::pricing::Architecture;
use serde_json::{Map, Value};
use std::marker::PhantomData;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The result document, as the state machine returns it.
    Json,
    /// A readable table with the recommendation marked.
    Table,
}

/// `--architecture`: `x86_64` or `arm64` (the core's message names the value).
pub fn parse_architecture(s: &str) -> Result<Architecture, String> {
    s.parse::<Architecture>().map_err(|e| e.to_string())
}

/// Which of the execution input's fields a subcommand takes as flags.
pub trait FieldSet {
    /// The help heading its flags are listed under.
    const HEADING: &'static str;
    /// Whether `field` is one of them.
    fn takes(field: &Field) -> bool;
}

/// `tune`: every field.
pub struct TuneFields;

impl FieldSet for TuneFields {
    const HEADING: &'static str = "Execution input (each flag is the field of the same name)";
    fn takes(_: &Field) -> bool {
        true
    }
}

/// `analyze`: the fields that decide, over the saved run's.
pub struct AnalyzeFields;

impl FieldSet for AnalyzeFields {
    const HEADING: &'static str = "Decide again with (over the saved input's fields)";
    fn takes(field: &Field) -> bool {
        matches!(
            field.name,
            "strategy"
                | "balancedWeight"
                | "statisticalTies"
                | "coldStartRate"
                | "maxDuration"
                | "monthlyInvocations"
                | "savingsPlanDiscount"
                | "vcpuHourPrice"
        )
    }
}

/// The execution input's fields given as flags, as JSON to lay over the input document: the
/// fields are then read as the Initializer reads them, so a bad flag gets the same message as
/// the same field would on AWS (`"num" is 3: must be at least 5`).
pub struct InputFlags<S> {
    given: Vec<(&'static Field, Vec<String>)>,
    set: PhantomData<S>,
}

impl<S: FieldSet> InputFlags<S> {
    fn fields() -> impl Iterator<Item = &'static Field> {
        FIELDS.iter().filter(|f| S::takes(f))
    }

    /// The fields given, as JSON (`@FILE` payloads read).
    pub fn to_input(&self) -> Result<Map<String, Value>, Failure> {
        let mut input = Map::new();
        for (field, values) in &self.given {
            let value = match field.flag {
                Flag::Switch { sets, .. } => Value::Bool(sets),
                Flag::Value {
                    kind: ValueKind::Json,
                    ..
                } => {
                    let given = values.first().map(String::as_str).unwrap_or_default();
                    ValueKind::Json.to_json(&[read_at_file(given)?])
                }
                Flag::Value { kind, .. } => kind.to_json(values),
            };
            input.insert(field.name.to_string(), value);
        }
        Ok(input)
    }
}

/// `@FILE`: the file's text; anything else as it is.
fn read_at_file(given: &str) -> Result<String, Failure> {
    match given.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| Failure::BadInput(format!("cannot read payload file {file}: {e}"))),
        None => Ok(given.to_string()),
    }
}

/// The flag for `field`, its id the field's JSON name.
fn arg(field: &'static Field, heading: &'static str) -> Arg {
    let arg = Arg::new(field.name)
        .long(field.flag.long())
        .help(field.help)
        .help_heading(heading);
    match field.flag {
        Flag::Switch { .. } => arg.action(ArgAction::SetTrue),
        Flag::Value {
            value_name, kind, ..
        } if kind.is_list() => arg
            .value_name(value_name)
            .action(ArgAction::Append)
            .value_delimiter(','),
        Flag::Value { value_name, .. } => arg.value_name(value_name).action(ArgAction::Set),
    }
}

impl<S: FieldSet> clap::Args for InputFlags<S> {
    fn augment_args(cmd: Command) -> Command {
        Self::fields().fold(cmd, |cmd, f| cmd.arg(arg(f, S::HEADING)))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl<S: FieldSet> clap::FromArgMatches for InputFlags<S> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = InputFlags {
            given: Vec::new(),
            set: PhantomData,
        };
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for field in Self::fields() {
            let values: Vec<String> = match field.flag {
                Flag::Switch { .. } if matches.get_flag(field.name) => Vec::new(),
                Flag::Switch { .. } => continue,
                Flag::Value { .. } => match matches.get_many::<String>(field.name) {
                    Some(values) => values.cloned().collect(),
                    None => continue,
                },
            };
            self.given.retain(|(f, _)| f.name != field.name);
            self.given.push((field, values));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_architecture_flag_names_a_bad_value() {
        assert_eq!(parse_architecture("arm64"), Ok(Architecture::Arm64));
        assert!(parse_architecture("sparc").unwrap_err().contains("sparc"));
    }

    fn given<S: FieldSet>(args: &[&str]) -> Map<String, Value> {
        let cmd = <InputFlags<S> as clap::Args>::augment_args(Command::new("t"));
        let matches = cmd.try_get_matches_from(args).unwrap();
        <InputFlags<S> as clap::FromArgMatches>::from_arg_matches(&matches)
            .unwrap()
            .to_input()
            .unwrap_or_else(|_| panic!("{args:?}: the flags did not read"))
    }

    #[test]
    fn every_field_of_the_input_is_a_flag_of_tune_that_sets_it() {
        // Built from the table: a field without a flag, or a flag that sets another field,
        // fails here.
        for field in FIELDS {
            let long = format!("--{}", field.flag.long());
            let mut args = vec!["t", long.as_str()];
            if matches!(field.flag, Flag::Value { .. }) {
                args.push("1");
            }
            let input = given::<TuneFields>(&args);
            assert_eq!(input.keys().collect::<Vec<_>>(), vec![field.name], "{long}");
        }
        let input = given::<TuneFields>(&[
            "t",
            "--num",
            "20",
            "--power-values",
            "128,256",
            "--power-values",
            "512",
            "--exact-ties",
            "--cold-start-rate",
            "auto",
            "--payload",
            "{\"a\": [1]}",
        ]);
        assert_eq!(
            Value::Object(input),
            serde_json::json!({"num": 20, "powerValues": [128, 256, 512],
                "statisticalTies": false, "coldStartRate": "auto", "payload": {"a": [1]}})
        );
    }

    #[test]
    fn analyze_takes_only_the_fields_that_decide() {
        let input = given::<AnalyzeFields>(&["t", "--strategy", "speed", "--exact-ties"]);
        assert_eq!(
            Value::Object(input),
            serde_json::json!({"strategy": "speed", "statisticalTies": false})
        );
        let cmd = <InputFlags<AnalyzeFields> as clap::Args>::augment_args(Command::new("t"));
        assert!(cmd.try_get_matches_from(["t", "--num", "10"]).is_err());
    }
}
