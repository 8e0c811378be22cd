//! `powertune`: the command line tool.
//!
//! - `tune` (`commands/tune.rs`): reads the flags into the execution input (`flags.rs` builds one flag
//!   per row of the core's `input::FIELDS`, and `analyze` takes the fields that decide); `--local` runs the seven steps against an embedded emulator (`local.rs`,
//!   the function from a directory, a zip or a SAM template: `function.rs`, `template.rs`);
//!   otherwise it starts the deployed state machine and follows it (`remote.rs`).
//! - `analyze` and `compare` re-read saved runs (`outputs.rs`) and compare two
//!   (`commands/compare.rs`).
//! - Every run ends in the same outputs (`outputs.rs`): the table and chart in the terminal
//!   (`terminal.rs`, `text.rs`), `--json`, and the HTML report (`html.rs`, charts in `svg.rs`).
//! - `emulator` serves the local Lambda on a port for the AWS CLI and SDKs (`commands/emulator.rs`).
//!
//! Failures map to exit codes in `exit.rs`.

mod commands;
mod exit;
mod flags;
mod function;
mod html;
mod local;
mod managed;
mod order;
mod outputs;
mod remote;
mod schedule;
mod svg;
mod template;
mod terminal;
mod text;

use clap::{Parser, Subcommand};
use exit::Failure;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "powertune",
    version,
    about = "Find the memory size that makes a Lambda function cheapest, fastest, or both."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Re-analyze a saved run: read the Analyzer's event (execution input + "stats") and print
    /// the recommendation, without invoking anything.
    Analyze(commands::analyze::Args),
    /// Tune a function: run it at several memory sizes and recommend the best one. With --local,
    /// on this machine, under the CPU and memory limits Lambda gives each size.
    Tune(Box<commands::tune::Args>),
    /// Compare two saved runs (--json FILE): the change at each power value and of the
    /// recommendation, optionally as a regression gate (exit 3).
    Compare(commands::compare::Args),
    /// Run the Lambda emulator standalone, for the AWS SDKs and CLI (AWS_ENDPOINT_URL_LAMBDA).
    Emulator(commands::emulator::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Tune(args) => commands::tune::run(*args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Emulator(args) => commands::emulator::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Regression(reason)) => {
            eprintln!("regression: {reason}");
            ExitCode::from(3)
        }
        Err(Failure::OverBudget(reason)) => {
            eprintln!("over budget: {reason}");
            ExitCode::from(5)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
