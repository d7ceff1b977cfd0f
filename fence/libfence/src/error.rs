//! The one error type of fence actions; each variant says whose fault it is.

/// Why a fence action failed. Every variant is one line meant for the operator.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FenceError {
    /// Bad or missing options (nothing was sent to the device).
    #[error("{0}")]
    Usage(String),
    /// The device could not be reached or did not answer in time.
    #[error("{0}")]
    Unreachable(String),
    /// The device refused us (credentials, privilege, cipher suite).
    #[error("{0}")]
    Refused(String),
    /// The device answered with something we cannot accept.
    #[error("{0}")]
    Device(String),
    /// The power state was not reached within `power_timeout` or the action's deadline.
    #[error("{0}")]
    Timeout(String),
    /// The agent does not implement this action.
    #[error("{0}")]
    Unsupported(String),
}

impl FenceError {
    /// Shorthand for a usage error.
    pub fn usage(msg: impl Into<String>) -> Self {
        FenceError::Usage(msg.into())
    }
}
