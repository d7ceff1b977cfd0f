//! The start timeout an ocf:hasan:zpool resource needs so that an import after a crash of the
//! other node fits: one computation for the agent's preflight and for `hasan check`.

use std::time::Duration;

use crate::import::LABEL_READ;
use crate::mmp::{MmpParams, Tuning, IMPORT_MARGIN};

/// The resource parameters that tune multihost, in [`Tuning`] field order.
pub const TUNING_PARAMS: [&str; 3] = [
    "multihost_interval",
    "multihost_import_intervals",
    "multihost_fail_intervals",
];

/// What a start may have to wait on this node, and the start timeout that covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartNeed {
    /// The multihost parameters an import runs with (the module's, with the resource's tuning).
    pub mmp: MmpParams,
    /// The longest one multihost activity check can take.
    pub activity_check: Duration,
    /// The worst case: the labels cannot be read, so a plain import spends one activity check
    /// learning that the pool was left imported, and `-f` a second one; then the import.
    pub wait: Duration,
    /// The smallest whole-second start timeout whose budget (after libocf's safety margin)
    /// covers `wait`.
    pub timeout: Duration,
}

/// The need of a start on a node whose files `read` returns (`read("/sys/module/zfs/parameters/…")`;
/// `None`: not there, ZFS's default applies) for a resource with `tuning`.
pub fn start_need(read: impl Fn(&str) -> Option<String>, tuning: &Tuning) -> StartNeed {
    let mmp = tuning.over(MmpParams::from_files(read));
    let activity_check = mmp.activity_check();
    let wait = LABEL_READ + activity_check * 2 + IMPORT_MARGIN;
    StartNeed {
        mmp,
        activity_check,
        wait,
        timeout: min_timeout(wait),
    }
}

/// The smallest whole-second start timeout whose budget (after libocf's margin) covers `wait`.
pub fn min_timeout(wait: Duration) -> Duration {
    let mut t = Duration::from_secs(wait.as_secs().max(1));
    while t.saturating_sub(libocf::budget::safety_margin(t)) < wait {
        t += Duration::from_secs(1);
    }
    t
}

impl Tuning {
    /// The tuning a resource's parameters name ([`TUNING_PARAMS`], as written in the CIB);
    /// the error names a parameter that is not a whole number.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Result<Tuning, String> {
        let num = |name: &str| {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("parameter {name}={v:?} is not a whole number"))
                })
                .transpose()
        };
        Ok(Tuning {
            interval_ms: num(TUNING_PARAMS[0])?,
            import_intervals: num(TUNING_PARAMS[1])?,
            fail_intervals: num(TUNING_PARAMS[2])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn files(params: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = params
            .iter()
            .map(|(k, v)| (format!("/sys/module/zfs/parameters/{k}"), format!("{v}\n")))
            .collect();
        move |p| m.get(p).cloned()
    }

    #[test]
    fn defaults_need_the_lab_start_timeout() {
        // 15 s labels + 2 × 25 s activity checks + 5 s import = 70 s; 75 s leaves libocf's 5 s margin
        let n = start_need(files(&[]), &Tuning::default());
        assert_eq!(n.wait, Duration::from_secs(70));
        assert_eq!(n.timeout, Duration::from_secs(75));
        // a published parameter counts, and the resource's tuning wins over it
        let slow = files(&[("zfs_multihost_fail_intervals", "20")]);
        assert_eq!(
            start_need(&slow, &Tuning::default()).wait,
            Duration::from_secs(120)
        );
        let tuned = Tuning::from_params(|n| (n == "multihost_fail_intervals").then(|| "10".into()));
        assert_eq!(
            start_need(&slow, &tuned.unwrap()).wait,
            Duration::from_secs(70)
        );
    }

    #[test]
    fn min_timeout_keeps_the_margin() {
        // 11 s keeps back 1.1 s: 9.9 s is short of 10 s
        assert_eq!(
            min_timeout(Duration::from_secs(10)),
            Duration::from_secs(12)
        );
        assert_eq!(
            min_timeout(Duration::from_millis(200)),
            Duration::from_secs(1)
        );
        let t = min_timeout(Duration::from_secs(70));
        assert!(t - libocf::budget::safety_margin(t) >= Duration::from_secs(70));
        let shorter = t - Duration::from_secs(1);
        assert!(shorter - libocf::budget::safety_margin(shorter) < Duration::from_secs(70));
    }

    #[test]
    fn a_tuning_parameter_that_is_not_a_number_is_named() {
        let e = Tuning::from_params(|n| (n == "multihost_interval").then(|| "1s".into()));
        assert_eq!(
            e.unwrap_err(),
            "parameter multihost_interval=\"1s\" is not a whole number"
        );
    }
}
