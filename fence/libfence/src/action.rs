//! The fence-agents actions, their names on the wire and their exit codes.

use std::fmt;

/// A fence-agent action (`-o`/`action=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FenceAction {
    /// Power on, verified.
    On,
    /// Power off, verified.
    Off,
    /// Off (verified) then on.
    Reboot,
    /// Print and return the power state: 0 on, 2 off, 1 error.
    Status,
    /// Is the device reachable and answering?
    Monitor,
    /// List the plugs the device controls.
    List,
    /// List plugs with their state.
    ListStatus,
    /// Print fence-agents meta-data.
    Metadata,
    /// Print a man page.
    Manpage,
    /// Check the options without touching the device.
    ValidateAll,
}

impl FenceAction {
    /// Every action and its name, the single table used for parsing and printing.
    pub const ALL: &'static [(FenceAction, &'static str)] = &[
        (FenceAction::On, "on"),
        (FenceAction::Off, "off"),
        (FenceAction::Reboot, "reboot"),
        (FenceAction::Status, "status"),
        (FenceAction::Monitor, "monitor"),
        (FenceAction::List, "list"),
        (FenceAction::ListStatus, "list-status"),
        (FenceAction::Metadata, "metadata"),
        (FenceAction::Manpage, "manpage"),
        (FenceAction::ValidateAll, "validate-all"),
    ];

    /// Parse an action name (`meta-data` is accepted for `metadata`, case-insensitive).
    pub fn parse(s: &str) -> Option<FenceAction> {
        let s = s.trim().to_ascii_lowercase();
        let s = if s == "meta-data" {
            "metadata"
        } else {
            s.as_str()
        };
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(a, _)| *a)
    }

    /// The action's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// True for actions that need the device.
    pub fn needs_device(self) -> bool {
        !matches!(
            self,
            FenceAction::Metadata | FenceAction::Manpage | FenceAction::ValidateAll
        )
    }
}

impl fmt::Display for FenceAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (a, n) in FenceAction::ALL {
            assert_eq!(FenceAction::parse(n), Some(*a));
            assert_eq!(a.name(), *n);
        }
        assert_eq!(FenceAction::parse("meta-data"), Some(FenceAction::Metadata));
        assert_eq!(FenceAction::parse("OFF"), Some(FenceAction::Off));
        assert_eq!(FenceAction::parse("explode"), None);
    }
}
