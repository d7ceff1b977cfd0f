//! Multihost (MMP) timing: how long an import after a crash waits for the activity check, and
//! the optional tuning the agent applies identically on every node and watches in monitor.

use std::time::Duration;

use crate::labels::UbMmp;
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

/// `MMP_MIN_INTERVAL`: ZFS uses at least this many ms of its own `zfs_multihost_interval`.
const MIN_INTERVAL_MS: u64 = 100;
/// `MMP_IMPORT_SAFETY_FACTOR` (%): how much longer than the writer's suspension time an
/// importer watches.
const IMPORT_SAFETY_PERCENT: u64 = 200;

/// How long ZFS 2.1's activity check watches the disks (`spa_activity_check_duration`), from
/// this node's module parameters (`local`) and the MMP fields of the writer's current
/// uberblock (`writer`, `None` for a writer without MMP):
/// - base = max(1 s, max(import_intervals, 1) × max(interval, 100 ms)) from the local values;
/// - writer's fail intervals > 0 (it suspends the pool after fail × write interval without a
///   landed MMP write): fail × write interval × 200 % — the base does not apply;
/// - writer's fail intervals = 0 (it never suspends): max(base, (write interval + mmp_delay)
///   × local import_intervals);
/// - MMP magic without interval/fail fields (ZFS 0.7): max(base, (local interval + mmp_delay)
///   × import_intervals);
/// - no MMP at all: the base.
///
/// ZFS then adds a random 0–25 %; this returns the duration with the full 25 % added, the
/// longest the check can take.
pub fn activity_check(local: &MmpParams, writer: Option<&UbMmp>) -> Duration {
    activity_check_once(local, writer)
}

/// How many activity checks one `zpool import -f` runs (seen in ZFS 2.1's debug log in the
/// lab's SAN: `spa_activity_check_duration` logged by the tryimport and again by the import).
/// `zpool import` first asks the kernel to try the import, which watches the disks and records
/// the current uberblock's txg, timestamp and MMP sequence; the import proper skips its own
/// check only when all three match and are non-zero (`spa_activity_check_required`). A writer
/// whose last uberblock was a txg sync, not an MMP write, leaves MMP sequence 0 (or none): the
/// check then runs twice.
pub fn checks_per_import(writer: Option<&UbMmp>) -> u32 {
    match writer.and_then(|m| m.seq) {
        Some(seq) if seq > 0 => 1,
        _ => 2,
    }
}

fn activity_check_once(local: &MmpParams, writer: Option<&UbMmp>) -> Duration {
    let import_intervals = local.import_intervals.max(1);
    let local_interval_ns = local.interval_ms.max(MIN_INTERVAL_MS) * 1_000_000;
    let base = (import_intervals * local_interval_ns).max(1_000_000_000);
    let ns = match writer {
        Some(UbMmp {
            interval_ms: Some(write),
            fail_intervals: Some(fail),
            ..
        }) if *fail > 0 => fail * write * 1_000_000 * IMPORT_SAFETY_PERCENT / 100,
        Some(UbMmp {
            interval_ms: Some(write),
            fail_intervals: Some(_),
            delay_ns,
            ..
        }) => base.max((write * 1_000_000 + delay_ns) * import_intervals),
        Some(m) => base.max((local_interval_ns + m.delay_ns) * import_intervals),
        None => base,
    };
    Duration::from_nanos(ns + ns / 4)
}

/// Time the import itself takes after the check (measured under qemu TCG: ~2 s), plus slack.
pub const IMPORT_MARGIN: Duration = Duration::from_secs(5);

impl MmpParams {
    /// The values the loaded module uses now (defaults for any it does not publish).
    pub fn read(fs: &Fs) -> MmpParams {
        MmpParams::from_files(|p| fs.read(p).ok())
    }

    /// The values the module publishes in the files `read` returns (defaults for any absent or
    /// unreadable).
    pub fn from_files(read: impl Fn(&str) -> Option<String>) -> MmpParams {
        let get = |i: usize, d: u64| {
            read(&sysfs::zfs_param_path(PARAM_NAMES[i]))
                .and_then(|s| sysfs::parse_uint(s.trim()))
                .unwrap_or(d)
        };
        MmpParams {
            interval_ms: get(0, DEFAULTS.interval_ms),
            import_intervals: get(1, DEFAULTS.import_intervals),
            fail_intervals: get(2, DEFAULTS.fail_intervals),
        }
    }

    fn values(&self) -> [u64; 3] {
        [self.interval_ms, self.import_intervals, self.fail_intervals]
    }

    /// The longest activity check an import may wait when the writer's values are ours (what
    /// [`Tuning`] makes them) and its `mmp_delay` is one interval: [`activity_check`] of that.
    pub fn activity_check(&self) -> Duration {
        let writer = UbMmp {
            delay_ns: self.interval_ms.max(MIN_INTERVAL_MS) * 1_000_000,
            seq: Some(0),
            fail_intervals: Some(self.fail_intervals),
            interval_ms: Some(self.interval_ms),
        };
        activity_check(self, Some(&writer))
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

    fn writer(write: u64, fail: u64, delay_ms: u64) -> UbMmp {
        UbMmp {
            delay_ns: delay_ms * 1_000_000,
            seq: Some(0),
            fail_intervals: Some(fail),
            interval_ms: Some(write),
        }
    }

    #[test]
    fn defaults_give_the_measured_wait() {
        // lab: 24.2 s measured for the check with the defaults; 20 s + up to 25 %
        assert_eq!(DEFAULTS.activity_check(), Duration::from_secs(25));
    }

    #[test]
    fn the_writers_fail_intervals_decide_when_it_suspends() {
        // ZFS: fail × write interval × 200 %, whatever the local import_intervals say
        let local = MmpParams {
            import_intervals: 40,
            ..DEFAULTS
        };
        assert_eq!(
            activity_check(&local, Some(&writer(1000, 10, 1000))),
            Duration::from_secs(25)
        );
        // the writer's values, not ours: it writes every 200 ms and suspends after 5 misses
        assert_eq!(
            activity_check(&DEFAULTS, Some(&writer(200, 5, 200))),
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
    fn a_writer_that_never_suspends_is_watched_longer() {
        // fail 0: max(base, (write + mmp_delay) × import_intervals) = (1 + 1) s × 20 = 40 s
        assert_eq!(
            activity_check(&DEFAULTS, Some(&writer(1000, 0, 1000))),
            Duration::from_secs(50)
        );
        // the local base wins when it is longer: 20 × 1 s against (100 + 100) ms × 20
        assert_eq!(
            activity_check(&DEFAULTS, Some(&writer(100, 0, 100))),
            Duration::from_secs(25)
        );
    }

    #[test]
    fn old_and_mmp_less_writers_use_the_local_values() {
        // ZFS 0.7 (magic and delay only): (local interval + delay) × import_intervals
        let old = UbMmp {
            delay_ns: 500_000_000,
            ..UbMmp::default()
        };
        assert_eq!(
            activity_check(&DEFAULTS, Some(&old)),
            Duration::from_millis(37_500)
        );
        // no MMP at all: the local base; never under 1 s, intervals under 100 ms count as 100
        assert_eq!(activity_check(&DEFAULTS, None), Duration::from_secs(25));
        let tiny = MmpParams {
            interval_ms: 10,
            import_intervals: 0,
            fail_intervals: 0,
        };
        assert_eq!(activity_check(&tiny, None), Duration::from_millis(1250));
    }

    #[test]
    fn tuning_shortens_the_wait() {
        let t = Tuning {
            interval_ms: Some(200),
            import_intervals: Some(10),
            fail_intervals: Some(5),
        };
        // 5 × 200 ms × 2 = 2000 ms, +25 %
        assert_eq!(
            t.over(DEFAULTS).activity_check(),
            Duration::from_millis(2500)
        );
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

#[cfg(test)]
mod checks_per_import_tests {
    use super::*;

    #[test]
    fn a_last_uberblock_without_mmp_sequence_means_two_checks() {
        let ub = |seq| UbMmp {
            delay_ns: 1_000_000_000,
            seq,
            fail_intervals: Some(10),
            interval_ms: Some(1000),
        };
        assert_eq!(
            checks_per_import(Some(&ub(Some(3)))),
            1,
            "an MMP write was last"
        );
        assert_eq!(
            checks_per_import(Some(&ub(Some(0)))),
            2,
            "a txg sync was last"
        );
        assert_eq!(checks_per_import(Some(&ub(None))), 2, "sequence not valid");
        assert_eq!(checks_per_import(None), 2, "no MMP at all");
    }
}
