//! `powertune`: the command line tool.

mod analyze;
mod emulator;
mod failure;
mod flags;
mod function;
mod local;
mod remote;
mod report;
mod template;
mod tune;

use clap::{Parser, Subcommand};
use failure::Failure;
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
    Analyze(analyze::Args),
    /// Tune a function: run it at several memory sizes and recommend the best one. With --local,
    /// on this machine, under the CPU and memory limits Lambda gives each size.
    Tune(Box<tune::Args>),
    /// Run the Lambda emulator standalone, for the AWS SDKs and CLI (AWS_ENDPOINT_URL_LAMBDA).
    Emulator(emulator::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Tune(args) => tune::run(*args),
        Command::Emulator(args) => emulator::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
