//! powertune-core: every number powertune prints, computed without I/O.
//!
//! The step Lambdas, the local emulator and the command line tool all compute through this
//! crate, so a result is the same wherever a tuning run happens. Nothing here is async, touches
//! the network or the file system, or depends on the AWS SDK.
//!
//! # A run, as this crate sees it
//!
//! 1. [`input::ExecutionInput::from_json`] reads the execution input (the reference's fields and
//!    ours), reports every problem at once with a "did you mean", and fills in the defaults.
//!    [`payload`] turns `payload` into the body of each invocation.
//! 2. Each invocation's REPORT line (text or JSON) is read by [`report_line::parse_report`]; one power
//!    value's reports become a [`power::PowerStats`] (the averages of its steady invocations,
//!    cold starts and [`warm_up`]s apart, [`stats`] such as bootstrap intervals, costs from
//!    [`pricing`]). A power value whose function errors
//!    `powerValueFailures` covers ([`failure`]: out of memory and timeouts by default) is a
//!    failed [`power::PowerStats`] instead, left out of the recommendation.
//! 3. After each round [`sampling::Sampling::after_round`] finds the warm-up over the rounds so
//!    far; in an adaptive run it decides whether to invoke more, and which power values stop
//!    ([`power::StopReason`]).
//! 4. [`analysis::AnalyzerEvent`] (the input, every power value's statistics, the rounds)
//!    becomes the [`output::TuningResult`]: [`decision`] applies the latency budget ([`budget`]),
//!    the cold-start rate (the blend of warm and cold invocations, [`blend`]), the strategy
//!    ([`strategy`]) and the statistical ties, [`analysis`] prices the run and projects a month, and
//!    [`visualization`] encodes the public chart's URL.
//! 5. [`compare`] sets two saved results side by side (the regression gate reads it).
//!
//! [`mod@reference`] names a function and an S3 object the way the input does.

#![warn(missing_docs)]

pub mod analysis;
pub mod blend;
pub mod budget;
pub mod compare;
pub mod decision;
pub mod failure;
pub mod input;
pub mod managed;
pub mod output;
pub mod payload;
pub mod power;
pub mod pricing;
pub mod reference;
pub mod report_line;
pub mod sampling;
pub mod stats;
pub mod strategy;
pub mod visualization;
pub mod warm_up;
pub mod why;
