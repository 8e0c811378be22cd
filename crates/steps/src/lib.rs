//! powertune-steps: the seven steps of a tuning run as plain async functions over the AWS SDK,
//! shared by the Lambda binaries (`src/bin/<step>.rs`) and the command line tool.
//!
//! Every number they produce comes from powertune-core; this crate adds the AWS calls, the
//! order they happen in, and the documents the state machine passes between steps.
//!
//! # A run through the steps
//!
//! | step | takes | gives |
//! |---|---|---|
//! | [`initializer`] | the execution input (JSON) | an [`events::Plan`]: the typed input, the function as found ([`events::FunctionSnapshot`]), the run ID; refuses, before changing anything, what could only fail ([`state_size`] estimates the largest state against 256 KB) |
//! | [`publisher`] (until `publishingDone`) | the plan | the plan with its published versions, `$LATEST` restored |
//! | [`executor`] (one per power value and round) | an [`events::ExecutorEvent`] | an [`events::ExecutorOutput`]: that power value's statistics |
//! | [`sampler`] (until settled) | the plan and the round | the plan with the results merged and the next round |
//! | [`cleaner`] (until done) | the plan | a [`events::CleanupReport`]: the run's aliases and versions deleted, `$LATEST` as it was |
//! | [`analyzer`] | the plan's results | the `TuningResult` (powertune-core) |
//! | [`optimizer`] | the result | `autoOptimize`: the function set to the recommendation |
//!
//! Every Lambda call goes through [`lambda::LambdaApi`] (waits, pagination, the step's deadline),
//! and the one Logs Insights query (`coldStartRate: "auto"`) through [`insights::LogsApi`];
//! [`handlers`] builds the clients a step binary uses (retries, keepalive, the function's region).
//! Errors are [`StepError`]s with the stable `errorType` the state machine's `Retry` and `Catch`
//! lists name.

#![warn(missing_docs)]

pub mod analyzer;
pub mod cleaner;
pub mod ec2_prices;
pub mod error;
pub mod events;
pub mod executor;
pub mod handlers;
pub mod history;
pub mod initializer;
pub mod insights;
pub mod lambda;
pub mod managed;
pub mod optimizer;
pub mod publisher;
pub mod sampler;
pub mod state_size;

pub use error::StepError;
