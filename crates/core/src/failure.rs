//! Power values that fail. A function that runs out of memory or out of time at a memory size
//! tells the user something about that memory size, not about the tuning: by default such a
//! power value is reported and left out of the recommendation, and the run goes on with the
//! rest. Which function errors count that way is the input's `powerValueFailures`.

use serde::{Deserialize, Serialize};

/// `powerValueFailures`: which function errors fail only the power value they happen at
/// (reported with their type, count and first message, and left out of the recommendation)
/// rather than the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PowerValueFailures {
    /// Errors the memory size causes: `Runtime.OutOfMemory` and timeouts (the default).
    #[default]
    Memory,
    /// Every function error (errors in `allowedExceptions` are still measured as results).
    Any,
    /// No function error: the first one fails the run, as in the reference.
    None,
}

impl PowerValueFailures {
    /// The input's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerValueFailures::Memory => "memory",
            PowerValueFailures::Any => "any",
            PowerValueFailures::None => "none",
        }
    }

    /// Whether a function error of this type and message (and `log`, the invocation's log tail)
    /// fails only its power value.
    pub fn covers(self, error_type: Option<&str>, message: &str, log: &str) -> bool {
        match self {
            PowerValueFailures::Memory => caused_by_memory(error_type, message, log),
            PowerValueFailures::Any => true,
            PowerValueFailures::None => false,
        }
    }
}

impl std::str::FromStr for PowerValueFailures {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "memory" => Ok(PowerValueFailures::Memory),
            "any" => Ok(PowerValueFailures::Any),
            "none" => Ok(PowerValueFailures::None),
            _ => Err("must be \"memory\" (out of memory and timeouts fail only their power value), \"any\" (every function error does) or \"none\" (every function error fails the run)".into()),
        }
    }
}

/// Whether a function error is one the memory size causes. Lambda answers an invocation that
/// ran out of memory with `Runtime.OutOfMemory`, and one that ran out of time with
/// `Sandbox.Timedout` and "Task timed out after N.NN seconds"; older runtimes gave only the
/// message (no `errorType`) for a timeout, so the message counts too. A runtime that reaches
/// its own heap limit first names it its own way: Python raises `MemoryError`, Java throws
/// `java.lang.OutOfMemoryError` (the runtime's `errorType` is the exception's class), .NET
/// `System.OutOfMemoryException`, and Node.js's V8 aborts the process ("FATAL ERROR: ...
/// JavaScript heap out of memory" on stderr, so in the log tail), which Lambda reports as
/// `Runtime.ExitError`.
pub(crate) fn caused_by_memory(error_type: Option<&str>, message: &str, log: &str) -> bool {
    matches!(
        error_type,
        Some(
            "Runtime.OutOfMemory"
                | "Sandbox.Timedout"
                | "MemoryError"
                | "java.lang.OutOfMemoryError"
                | "System.OutOfMemoryException"
        )
    ) || message.contains("Task timed out after")
        || (error_type == Some("Runtime.ExitError")
            && (log.contains("JavaScript heap out of memory")
                || message.contains("JavaScript heap out of memory")))
}

/// How a power value failed: the type and message of its first failed invocation, and how
/// many of the invocations made failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failures {
    /// The first failure's `errorType` (`Error` when the payload has none).
    pub error_type: String,
    /// The first failure's message.
    pub message: String,
    /// Invocations that failed.
    pub failed: u32,
    /// Invocations made, the failed ones included.
    pub made: u32,
}

impl Failures {
    /// The sentence the reports show: "Runtime.OutOfMemory in 2 of 5 invocations: ...".
    pub fn describe(&self) -> String {
        format!(
            "{} in {} of {} invocations: {}",
            self.error_type, self.failed, self.made, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_memory_and_timeouts_are_the_memory_sizes_failures() {
        // The errorType and message Lambda gives each (the emulator gives the same).
        assert!(caused_by_memory(
            Some("Runtime.OutOfMemory"),
            "RequestId: r Error: Runtime exited with error: signal: killed",
            ""
        ));
        assert!(caused_by_memory(
            Some("Sandbox.Timedout"),
            "RequestId: r Error: Task timed out after 3.00 seconds",
            ""
        ));
        // Older runtimes: a timeout with only the message.
        assert!(caused_by_memory(
            None,
            "2021-04-21T19:41:00.000Z 593a Task timed out after 10.01 seconds",
            ""
        ));
        assert!(!caused_by_memory(Some("ValueError"), "bad input", ""));
        assert!(!caused_by_memory(
            Some("Runtime.ExitError"),
            "Runtime exited with error: exit status 1",
            ""
        ));
    }

    #[test]
    fn a_runtimes_own_out_of_memory_error_is_the_memory_sizes_failure_too() {
        // Python's awslambdaric reports the exception's class and message.
        assert!(caused_by_memory(Some("MemoryError"), "", ""));
        // Java's runtime: the Throwable's class, "Java heap space" or "Metaspace".
        assert!(caused_by_memory(
            Some("java.lang.OutOfMemoryError"),
            "Java heap space",
            ""
        ));
        assert!(caused_by_memory(
            Some("System.OutOfMemoryException"),
            "Exception of type 'System.OutOfMemoryException' was thrown.",
            ""
        ));
        // Node.js: V8 aborts the process; the reason is in the log, the error is the exit.
        let log = "<--- Last few GCs --->\n\
            FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n\
            END RequestId: r\n";
        assert!(caused_by_memory(
            Some("Runtime.ExitError"),
            "RequestId: r Error: Runtime exited with error: signal: aborted",
            log
        ));
        // Any other exit is the function's own failure.
        assert!(!caused_by_memory(
            Some("Runtime.ExitError"),
            "RequestId: r Error: Runtime exited with error: signal: aborted",
            "Error: Cannot find module 'x'"
        ));
    }

    #[test]
    fn each_mode_covers_its_errors() {
        let oom = (Some("Runtime.OutOfMemory"), "killed");
        let other = (Some("ValueError"), "bad input");
        let m = PowerValueFailures::Memory;
        assert!(m.covers(oom.0, oom.1, "") && !m.covers(other.0, other.1, ""));
        let a = PowerValueFailures::Any;
        assert!(a.covers(oom.0, oom.1, "") && a.covers(other.0, other.1, ""));
        let n = PowerValueFailures::None;
        assert!(!n.covers(oom.0, oom.1, "") && !n.covers(other.0, other.1, ""));
        for mode in [m, a, n] {
            assert_eq!(mode.as_str().parse::<PowerValueFailures>(), Ok(mode));
        }
        assert!("all".parse::<PowerValueFailures>().is_err());
        assert_eq!(PowerValueFailures::default(), m);
    }

    #[test]
    fn the_description_gives_type_counts_and_message() {
        let f = Failures {
            error_type: "Runtime.OutOfMemory".into(),
            message: "killed".into(),
            failed: 2,
            made: 5,
        };
        assert_eq!(
            f.describe(),
            "Runtime.OutOfMemory in 2 of 5 invocations: killed"
        );
    }
}
