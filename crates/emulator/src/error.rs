//! The Lambda API's errors: an HTTP status, the `x-amzn-ErrorType` code and a message, as
//! Lambda answers them. Every layer of the emulator returns these.

/// A Lambda API error: HTTP status, `x-amzn-ErrorType` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`x-amzn-ErrorType`).
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// 404 `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: 404,
            code: "ResourceNotFoundException",
            message: message.into(),
        }
    }
    /// 409 `ResourceConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: 409,
            code: "ResourceConflictException",
            message: message.into(),
        }
    }
    /// 400 `InvalidParameterValueException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "InvalidParameterValueException",
            message: message.into(),
        }
    }
    /// 429 `TooManyRequestsException`.
    pub fn throttled() -> Self {
        ApiError {
            status: 429,
            code: "TooManyRequestsException",
            message: "Rate Exceeded.".into(),
        }
    }
}

/// An answer, or Lambda's error.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// 500 `ServiceException`: something failed on the emulator's side.
    pub fn service(message: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            code: "ServiceException",
            message: message.into(),
        }
    }
}
