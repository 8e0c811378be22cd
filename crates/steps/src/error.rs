//! The errors a step can end with, each with a stable `errorType` that the state machine's
//! `Retry` and `Catch` rules match on.

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use lambda_runtime::Diagnostic;
use powertune_core::input::InputError;

#[derive(Debug, thiserror::Error)]
/// Why a step failed. [`StepError::error_type`] is the stable name the state machine matches.
pub enum StepError {
    /// The execution input (or an event built from it) is invalid. Never retried.
    #[error("{0}")]
    InvalidInput(String),
    /// The function's configuration update ended with `LastUpdateStatus: Failed`.
    #[error("Updating {function} to {memory} MB failed: {reason}")]
    UpdateFailed {
        /// The function.
        function: String,
        /// The memory it was being set to, MB.
        memory: u32,
        /// Lambda's `LastUpdateStatusReason`.
        reason: String,
    },
    /// A wait for the function or a version to settle ran out of time.
    #[error("{0}")]
    WaitTimedOut(String),
    /// PublishVersion returned a version this run did not create.
    #[error("{0}")]
    VersionConflict(String),
    /// The tuned function returned an error that `allowedExceptions` does not list.
    #[error("{0}")]
    InvocationError(String),
    /// Lambda kept throttling the tuned function (or a processor) after the Executor's own
    /// retries: its concurrency is used up elsewhere. Distinct from a step's own throttled
    /// calls (`Lambda.TooManyRequestsException`), which the state machine retries.
    #[error("{0}")]
    Throttled(String),
    /// The pre- or post-processor returned an error.
    #[error("{0}")]
    ProcessorError(String),
    /// An invocation's log tail had no REPORT to read the duration from.
    #[error("{0}")]
    NoReport(String),
    /// `payloadS3` names an object the Executor may not read.
    #[error("{0}")]
    PayloadAccessDenied(String),
    /// `payloadS3` names an object that does not exist.
    #[error("{0}")]
    PayloadNotFound(String),
    /// Any other failure to read `payloadS3`.
    #[error("{0}")]
    PayloadUnreadable(String),
    /// The Analyzer has nothing it can recommend.
    #[error("{0}")]
    AnalysisFailed(String),
    /// The Cleaner could not remove everything the run created.
    #[error("{0}")]
    CleanupIncomplete(String),
    /// AWS answered without a field the step needs (a configuration without `MemorySize`, a
    /// `PublishVersion` without `Version`, a log tail that is not base64). A default in its place
    /// could, for instance, "restore" a function to the wrong memory.
    #[error("{0}")]
    UnexpectedResponse(String),
    /// An AWS service error; `error_type` is `<Service>.<Code>`, such as
    /// `Lambda.TooManyRequestsException`.
    #[error("{message}")]
    Service {
        /// `<Service>.<Code>`.
        error_type: String,
        /// What was being done, and AWS's message.
        message: String,
        /// The SDK's error, when there is one: its chain (`Error::source`) carries what the
        /// message summarizes, such as the connector's error behind a dispatch failure.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// Each of our variants' `errorType` is `PowerTuning.` and its name, spelled once: here.
macro_rules! power_tuning_types {
    ($($variant:ident),* $(,)?) => {
        impl StepError {
            /// The stable name the state machine matches on.
            pub fn error_type(&self) -> String {
                match self {
                    $(StepError::$variant { .. } => concat!("PowerTuning.", stringify!($variant)).to_string(),)*
                    StepError::Service { error_type, .. } => error_type.clone(),
                }
            }

            /// Every `errorType` a step can produce, apart from the `Lambda.*` and `S3.*` service
            /// codes.
            pub const POWER_TUNING_TYPES: &'static [&'static str] =
                &[$(concat!("PowerTuning.", stringify!($variant))),*];
        }
    };
}

power_tuning_types!(
    InvalidInput,
    UpdateFailed,
    WaitTimedOut,
    VersionConflict,
    InvocationError,
    Throttled,
    ProcessorError,
    NoReport,
    PayloadAccessDenied,
    PayloadNotFound,
    PayloadUnreadable,
    AnalysisFailed,
    CleanupIncomplete,
    UnexpectedResponse,
);

impl StepError {
    /// The codes [`StepError::aws`] gives an SDK error that is not the service's answer: the
    /// request could not be sent, timed out, or its response could not be read. All three are
    /// transient, and the state machine retries them (`Lambda.DispatchFailure`, ...).
    pub const TRANSPORT_CODES: &'static [&'static str] =
        &["DispatchFailure", "Timeout", "SdkError"];

    /// Wraps an AWS SDK error of `service` ("Lambda", "S3") with what was being done.
    pub fn aws<E, R>(service: &str, doing: &str, err: SdkError<E, R>) -> StepError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let (code, detail) = match &err {
            SdkError::ServiceError(e) => (
                e.err().code().unwrap_or("ServiceError").to_string(),
                e.err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.err().to_string()),
            ),
            SdkError::TimeoutError(_) => {
                ("Timeout".to_string(), "the request timed out".to_string())
            }
            SdkError::DispatchFailure(e) => (
                "DispatchFailure".to_string(),
                format!("the request could not be sent: {e:?}"),
            ),
            other => ("SdkError".to_string(), format!("{other}")),
        };
        StepError::Service {
            error_type: format!("{service}.{code}"),
            message: format!("{doing} failed: {code}: {detail}"),
            source: Some(Box::new(err)),
        }
    }

    /// Whether this is Lambda throttling the caller.
    pub fn is_throttling(&self) -> bool {
        matches!(self, StepError::Service { error_type, .. } if error_type == "Lambda.TooManyRequestsException")
    }
}

/// The most characters of user data (a payload, a function's error) a message quotes: a step's
/// error becomes part of the state, which must stay under 256 KB.
pub(crate) const MAX_DETAIL_CHARS: usize = 1000;

/// `text`, cut to [`MAX_DETAIL_CHARS`] characters with a note of how much was left out.
pub(crate) fn truncated(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_DETAIL_CHARS {
        return text.to_string();
    }
    let kept: String = text.chars().take(MAX_DETAIL_CHARS).collect();
    format!("{kept}... ({} more characters)", count - MAX_DETAIL_CHARS)
}

impl From<InputError> for StepError {
    fn from(e: InputError) -> Self {
        StepError::InvalidInput(e.to_string())
    }
}

impl From<StepError> for Diagnostic {
    fn from(e: StepError) -> Self {
        Diagnostic {
            error_type: e.error_type(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_carry_the_stable_error_type() {
        let d: Diagnostic = StepError::InvalidInput("bad num".into()).into();
        assert_eq!(d.error_type, "PowerTuning.InvalidInput");
        assert_eq!(d.error_message, "bad num");
        let s = StepError::Service {
            error_type: "Lambda.TooManyRequestsException".into(),
            message: "Invoke failed".into(),
            source: None,
        };
        assert!(s.is_throttling());
        assert_eq!(
            Diagnostic::from(s).error_type,
            "Lambda.TooManyRequestsException"
        );
    }

    #[test]
    fn long_details_are_cut_with_a_note() {
        assert_eq!(truncated("short"), "short");
        let long = "é".repeat(MAX_DETAIL_CHARS + 5);
        let cut = truncated(&long);
        assert!(cut.starts_with(&"é".repeat(MAX_DETAIL_CHARS)));
        assert!(cut.ends_with("... (5 more characters)"), "{cut}");
    }

    /// The position of `e`'s variant. No wildcard: a new variant does not compile until it gets
    /// a position here, and [`VARIANTS`] counts the positions.
    fn position(e: &StepError) -> usize {
        match e {
            StepError::InvalidInput(_) => 0,
            StepError::UpdateFailed { .. } => 1,
            StepError::WaitTimedOut(_) => 2,
            StepError::VersionConflict(_) => 3,
            StepError::InvocationError(_) => 4,
            StepError::Throttled(_) => 5,
            StepError::ProcessorError(_) => 6,
            StepError::NoReport(_) => 7,
            StepError::PayloadAccessDenied(_) => 8,
            StepError::PayloadNotFound(_) => 9,
            StepError::PayloadUnreadable(_) => 10,
            StepError::AnalysisFailed(_) => 11,
            StepError::CleanupIncomplete(_) => 12,
            StepError::UnexpectedResponse(_) => 13,
            StepError::Service { .. } => 14,
        }
    }
    const VARIANTS: usize = 15;

    #[test]
    fn every_power_tuning_type_is_listed() {
        let samples = [
            StepError::InvalidInput(String::new()),
            StepError::UpdateFailed {
                function: String::new(),
                memory: 128,
                reason: String::new(),
            },
            StepError::WaitTimedOut(String::new()),
            StepError::VersionConflict(String::new()),
            StepError::InvocationError(String::new()),
            StepError::Throttled(String::new()),
            StepError::ProcessorError(String::new()),
            StepError::NoReport(String::new()),
            StepError::PayloadAccessDenied(String::new()),
            StepError::PayloadNotFound(String::new()),
            StepError::PayloadUnreadable(String::new()),
            StepError::AnalysisFailed(String::new()),
            StepError::CleanupIncomplete(String::new()),
            StepError::UnexpectedResponse(String::new()),
            StepError::Service {
                error_type: "Lambda.ServiceException".into(),
                message: String::new(),
                source: None,
            },
        ];
        // One sample of every variant...
        let positions: std::collections::BTreeSet<usize> = samples.iter().map(position).collect();
        assert_eq!(
            positions,
            (0..VARIANTS).collect(),
            "sample every variant of StepError here"
        );
        // ...and every PowerTuning name is listed for the state machine, once, in this order.
        let names: Vec<String> = samples
            .iter()
            .filter(|e| !matches!(e, StepError::Service { .. }))
            .map(StepError::error_type)
            .collect();
        assert_eq!(names, StepError::POWER_TUNING_TYPES);
        assert!(names.iter().all(|n| n.starts_with("PowerTuning.")));
    }
}
