//! powertune-steps: the seven steps of a tuning run as plain async functions over the AWS SDK,
//! shared by the Lambda binaries (`src/bin/<step>.rs`) and the command line tool.
//!
//! Every number they produce comes from powertune-core; this crate adds the AWS calls, the
//! order they happen in, and the documents the state machine passes between steps.

#![warn(missing_docs)]

pub mod analyzer;
pub mod cleaner;
pub mod error;
pub mod events;
pub mod executor;
pub mod initializer;
pub mod lambda;
pub mod optimizer;
pub mod publisher;
pub mod runtime;
pub mod sampler;
pub mod state;

pub use error::StepError;
