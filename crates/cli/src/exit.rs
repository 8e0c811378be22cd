//! How a command fails: the user's input (exit code 2), a regression gate (exit code 3), a
//! latency budget no power value meets, when the user asked for that to fail (exit code 5), or
//! anything else (exit code 1).

/// A failure, with the exit code it maps to.
pub enum Failure {
    /// The user's file or flags are wrong (exit code 2).
    BadInput(String),
    /// The run worked, but its recommendation got worse than the baseline's beyond a threshold
    /// (exit code 3): the one-line reason.
    Regression(String),
    /// The run worked, but no power value meets `--max-duration`, and `--require-budget` asked
    /// for that to fail (exit code 5): the one-line reason.
    OverBudget(String),
    /// Anything else (exit code 1).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}
