//! How a command fails: the user's input (exit code 2), a regression gate (exit code 3) or
//! anything else (exit code 1).

/// A failure, with the exit code it maps to.
pub enum Failure {
    /// The user's file or flags are wrong (exit code 2).
    BadInput(String),
    /// The run worked, but its recommendation got worse than the baseline's beyond a threshold
    /// (exit code 3): the one-line reason.
    Regression(String),
    /// Anything else (exit code 1).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}
