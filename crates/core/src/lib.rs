//! powertune-core: every number powertune prints, computed without I/O.
//!
//! The step Lambdas, the local emulator and the command line tool all compute through this
//! crate, so a result is the same wherever a tuning run happens. Nothing here is async, touches
//! the network or the file system, or depends on the AWS SDK.

#![warn(missing_docs)]

pub mod analysis;
pub mod compare;
pub mod decision;
pub mod input;
pub mod logs;
pub mod output;
pub mod payload;
pub mod pricing;
pub mod reference;
pub mod sampling;
pub mod stats;
pub mod strategy;
pub mod visualization;
