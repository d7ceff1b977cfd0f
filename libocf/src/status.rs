//! OCF exit codes as a typed enum, and the error type every agent action returns.

use std::fmt;

/// The exit codes of the OCF resource-agent API (1.1), plus Pacemaker's degraded states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcfStatus {
    /// 0: the action succeeded (monitor: running).
    Success,
    /// 1: generic, soft error: Pacemaker restarts or moves the resource.
    ErrGeneric,
    /// 2: invalid arguments for this node: hard error, the node is banned for the resource.
    ErrArgs,
    /// 3: the action is not implemented.
    Unimplemented,
    /// 4: insufficient privileges: hard error.
    ErrPerm,
    /// 5: a tool or component the agent needs is not installed on this node: hard error.
    ErrInstalled,
    /// 6: the configuration is invalid everywhere: fatal, the resource is stopped on all nodes.
    ErrConfigured,
    /// 7: the resource is cleanly stopped (monitor and probe answer).
    NotRunning,
    /// 8: running in the promoted role.
    RunningPromoted,
    /// 9: failed in the promoted role.
    FailedPromoted,
    /// 190: running but degraded; Pacemaker treats it as success and shows it.
    Degraded,
    /// 191: promoted and degraded.
    DegradedPromoted,
}

impl OcfStatus {
    /// Every status, in exit-code order.
    pub const ALL: [OcfStatus; 12] = [
        OcfStatus::Success,
        OcfStatus::ErrGeneric,
        OcfStatus::ErrArgs,
        OcfStatus::Unimplemented,
        OcfStatus::ErrPerm,
        OcfStatus::ErrInstalled,
        OcfStatus::ErrConfigured,
        OcfStatus::NotRunning,
        OcfStatus::RunningPromoted,
        OcfStatus::FailedPromoted,
        OcfStatus::Degraded,
        OcfStatus::DegradedPromoted,
    ];

    /// The numeric exit code.
    pub const fn code(self) -> u8 {
        match self {
            OcfStatus::Success => 0,
            OcfStatus::ErrGeneric => 1,
            OcfStatus::ErrArgs => 2,
            OcfStatus::Unimplemented => 3,
            OcfStatus::ErrPerm => 4,
            OcfStatus::ErrInstalled => 5,
            OcfStatus::ErrConfigured => 6,
            OcfStatus::NotRunning => 7,
            OcfStatus::RunningPromoted => 8,
            OcfStatus::FailedPromoted => 9,
            OcfStatus::Degraded => 190,
            OcfStatus::DegradedPromoted => 191,
        }
    }

    /// The status for a numeric code, if it is one of the defined ones.
    pub fn from_code(code: i32) -> Option<OcfStatus> {
        OcfStatus::ALL
            .into_iter()
            .find(|s| i32::from(s.code()) == code)
    }

    /// The shell agents' name for the code (`OCF_ERR_CONFIGURED` …).
    pub const fn name(self) -> &'static str {
        match self {
            OcfStatus::Success => "OCF_SUCCESS",
            OcfStatus::ErrGeneric => "OCF_ERR_GENERIC",
            OcfStatus::ErrArgs => "OCF_ERR_ARGS",
            OcfStatus::Unimplemented => "OCF_ERR_UNIMPLEMENTED",
            OcfStatus::ErrPerm => "OCF_ERR_PERM",
            OcfStatus::ErrInstalled => "OCF_ERR_INSTALLED",
            OcfStatus::ErrConfigured => "OCF_ERR_CONFIGURED",
            OcfStatus::NotRunning => "OCF_NOT_RUNNING",
            OcfStatus::RunningPromoted => "OCF_RUNNING_PROMOTED",
            OcfStatus::FailedPromoted => "OCF_FAILED_PROMOTED",
            OcfStatus::Degraded => "OCF_DEGRADED",
            OcfStatus::DegradedPromoted => "OCF_DEGRADED_PROMOTED",
        }
    }

    /// True for the codes Pacemaker counts as a successful answer (0, 8, 190, 191).
    pub const fn is_success(self) -> bool {
        matches!(
            self,
            OcfStatus::Success
                | OcfStatus::RunningPromoted
                | OcfStatus::Degraded
                | OcfStatus::DegradedPromoted
        )
    }
}

impl fmt::Display for OcfStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// A failed action: the exit code to return and the one-line reason shown by Pacemaker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct OcfError {
    /// The exit code the agent returns.
    pub status: OcfStatus,
    /// What went wrong, for `ocf-exit-reason:`; kept to one line when printed.
    pub reason: String,
}

impl OcfError {
    /// An error with the given status and reason.
    pub fn new(status: OcfStatus, reason: impl Into<String>) -> Self {
        OcfError {
            status,
            reason: reason.into(),
        }
    }
    /// 1: a soft failure (Pacemaker may retry here or move the resource).
    pub fn generic(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrGeneric, reason)
    }
    /// 2: the arguments are not valid on this node.
    pub fn args(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrArgs, reason)
    }
    /// 3: not implemented.
    pub fn unimplemented(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::Unimplemented, reason)
    }
    /// 4: insufficient privileges.
    pub fn perm(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrPerm, reason)
    }
    /// 5: something needed is not installed on this node.
    pub fn installed(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrInstalled, reason)
    }
    /// 6: the configuration is invalid on every node.
    pub fn configured(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrConfigured, reason)
    }
    /// 7: the resource is not running.
    pub fn not_running(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::NotRunning, reason)
    }

    /// Prefix the reason with context (`"import of pool tank: " + reason`).
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.reason = format!("{what}: {}", self.reason);
        self
    }

    /// The reason folded onto one line, as `ocf-exit-reason:` requires.
    pub fn one_line_reason(&self) -> String {
        one_line(&self.reason)
    }
}

/// Fold any text onto one line: line breaks become `; `, runs of blanks one space.
pub fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = parts.join("; ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in OcfStatus::ALL {
            assert_eq!(OcfStatus::from_code(i32::from(s.code())), Some(s));
        }
        assert_eq!(OcfStatus::from_code(10), None);
        assert_eq!(OcfStatus::Degraded.code(), 190);
        assert_eq!(OcfStatus::NotRunning.code(), 7);
    }

    #[test]
    fn success_set_is_what_pacemaker_accepts() {
        let ok: Vec<u8> = OcfStatus::ALL
            .into_iter()
            .filter(|s| s.is_success())
            .map(OcfStatus::code)
            .collect();
        assert_eq!(ok, vec![0, 8, 190, 191]);
    }

    #[test]
    fn reasons_fold_to_one_line() {
        let e = OcfError::generic("cannot import pool\n  cannot open 'tank':\n\n no such pool  ");
        assert_eq!(
            e.one_line_reason(),
            "cannot import pool; cannot open 'tank':; no such pool"
        );
        assert!(e
            .context("start")
            .one_line_reason()
            .starts_with("start: cannot import pool;"));
    }
}
