//! Multihost (MMP) timing: how long an import after a crash waits for the activity check, and
//! the optional tuning the agent applies identically on every node and watches in monitor.

use std::time::Duration;

use crate::sysfs::{self, Fs};

/// `zfs_multihost_interval` (ms), `zfs_multihost_import_intervals`, `zfs_multihost_fail_intervals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmpParams {
    /// Milliseconds between MMP uberblock writes.
    pub interval_ms: u64,
    /// Intervals an importer watches for activity.
    pub import_intervals: u64,
    /// Missed intervals after which the writer suspends the pool (0: never).
    pub fail_intervals: u64,
}

/// The module's parameter names, in [`MmpParams`] field order.
pub const PARAM_NAMES: [&str; 3] = [
    "zfs_multihost_interval",
    "zfs_multihost_import_intervals",
    "zfs_multihost_fail_intervals",
];

/// ZFS's defaults (2.1).
pub const DEFAULTS: MmpParams = MmpParams {
    interval_ms: 1000,
    import_intervals: 20,
    fail_intervals: 10,
};

/// Time the import itself takes after the check (measured under qemu TCG: ~2 s), plus slack.
pub const IMPORT_MARGIN: Duration = Duration::from_secs(5);

impl MmpParams {
    /// The values the loaded module uses now (defaults for any it does not publish).
    pub fn read(fs: &Fs) -> MmpParams {
        let get = |i: usize, d: u64| sysfs::zfs_param(fs, PARAM_NAMES[i]).unwrap_or(d);
        MmpParams {
            interval_ms: get(0, DEFAULTS.interval_ms),
            import_intervals: get(1, DEFAULTS.import_intervals),
            fail_intervals: get(2, DEFAULTS.fail_intervals),
        }
    }

    fn values(&self) -> [u64; 3] {
        [self.interval_ms, self.import_intervals, self.fail_intervals]
    }

    /// The longest activity check an import may wait, following OpenZFS's
    /// `spa_activity_check_duration`: the larger of import_intervals × interval and (when the
    /// writer can suspend) fail_intervals × interval × 2, plus ZFS's random 0–25 % on top.
    /// The writer's values are assumed equal to ours — which is what [`Tuning`] guarantees.
    pub fn activity_check(&self) -> Duration {
        let interval = self.interval_ms.max(100);
        let import = self.import_intervals.max(1) * interval;
        let fail = 2 * self.fail_intervals * interval;
        let base = import.max(fail).max(1000);
        Duration::from_millis(base + base / 4)
    }

    /// What an import after a crash needs from the start budget: the check plus the import.
    pub fn import_wait(&self) -> Duration {
        self.activity_check() + IMPORT_MARGIN
    }
}

/// The tuning chosen in the resource's parameters (each optional: unset = leave the module alone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tuning {
    /// `multihost_interval` (ms).
    pub interval_ms: Option<u64>,
    /// `multihost_import_intervals`.
    pub import_intervals: Option<u64>,
    /// `multihost_fail_intervals`.
    pub fail_intervals: Option<u64>,
}

impl Tuning {
    fn wanted(&self) -> [Option<u64>; 3] {
        [self.interval_ms, self.import_intervals, self.fail_intervals]
    }

    /// True if nothing is tuned.
    pub fn is_empty(&self) -> bool {
        self.wanted().iter().all(Option::is_none)
    }

    /// The parameters once this tuning is applied over `current`.
    pub fn over(&self, current: MmpParams) -> MmpParams {
        MmpParams {
            interval_ms: self.interval_ms.unwrap_or(current.interval_ms),
            import_intervals: self.import_intervals.unwrap_or(current.import_intervals),
            fail_intervals: self.fail_intervals.unwrap_or(current.fail_intervals),
        }
    }

    /// Write the tuned values to the module; the error names the parameter.
    pub fn apply(&self, fs: &Fs) -> Result<(), String> {
        for (name, want) in PARAM_NAMES.iter().zip(self.wanted()) {
            if let Some(v) = want {
                fs.write(&sysfs::zfs_param_path(name), &format!("{v}\n"))
                    .map_err(|e| format!("cannot set {name}={v}: {e}"))?;
            }
        }
        Ok(())
    }

    /// Tuned parameters whose live value differs: `name is X, resource wants Y`.
    pub fn drift(&self, fs: &Fs) -> Vec<String> {
        let live = MmpParams::read(fs).values();
        PARAM_NAMES
            .iter()
            .zip(self.wanted())
            .zip(live)
            .filter_map(|((name, want), have)| match want {
                Some(w) if w != have => Some(format!("{name} is {have}, the resource sets {w}")),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_the_measured_wait() {
        // lab: 26 s from crash to import with the defaults
        assert_eq!(DEFAULTS.activity_check(), Duration::from_secs(25));
        assert_eq!(DEFAULTS.import_wait(), Duration::from_secs(30));
    }

    #[test]
    fn tuning_shortens_the_wait() {
        let t = Tuning {
            interval_ms: Some(200),
            import_intervals: Some(10),
            fail_intervals: Some(5),
        };
        // max(10×200, 2×5×200) = 2000 ms, +25 %
        assert_eq!(
            t.over(DEFAULTS).activity_check(),
            Duration::from_millis(2500)
        );
        // fail intervals dominate when larger
        let t = Tuning {
            fail_intervals: Some(30),
            ..Tuning::default()
        };
        assert_eq!(t.over(DEFAULTS).activity_check(), Duration::from_secs(75));
    }

    #[test]
    fn apply_and_drift_use_the_module_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        std::fs::create_dir_all(fs.path("/sys/module/zfs/parameters")).unwrap();
        for (n, v) in PARAM_NAMES.iter().zip(["1000", "20", "10"]) {
            fs.write(&sysfs::zfs_param_path(n), v).unwrap();
        }
        let t = Tuning {
            interval_ms: Some(500),
            ..Tuning::default()
        };
        assert_eq!(
            t.drift(&fs),
            ["zfs_multihost_interval is 1000, the resource sets 500"]
        );
        t.apply(&fs).unwrap();
        assert!(t.drift(&fs).is_empty());
        assert_eq!(MmpParams::read(&fs).interval_ms, 500);
        assert!(Tuning::default().drift(&fs).is_empty());
    }
}
