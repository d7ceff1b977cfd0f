//! reattach: while the pool is DEGRADED, a member device that answers again (the peer's iSCSI
//! disk after a storage-network cut, or after the peer rebooted) is taken back with
//! `zpool reopen -n`, and ZFS resilvers what it missed.
//!
//! ZFS does not reopen such a device by itself: when an iSCSI session recovers, the SCSI device
//! simply runs again and no device event reaches ZFS (seen in the lab's SAN: the half stayed
//! UNAVAIL for minutes after the sessions logged in again; `zpool reopen` brought it back and
//! ZFS resilvered it at once). Monitor reads the labels in-process, so a DEGRADED pool costs no
//! process per monitor; `zpool reopen -n` runs only on the first DEGRADED monitor and when a
//! member that did not answer before answers now (`-n`: an in-progress scrub or resilver is not
//! restarted). What answered is noted in [`marker`] and forgotten once the pool is ONLINE.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use libocf::{Budget, Command, Runner};

use crate::labels;
use crate::ondisk::device;
use crate::sysfs::Fs;

/// How long the label read may take in a monitor (a device in iSCSI session recovery blocks
/// reads until its replacement timeout).
const LABEL_READ: Duration = Duration::from_secs(4);
/// How long `zpool reopen` may take.
const REOPEN: Duration = Duration::from_secs(20);

/// Where the vdevs that answered at the last DEGRADED monitor are noted (tmpfs).
pub fn marker(pool: &str) -> String {
    format!("/run/hasan/zpool-{pool}-answering")
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reattach {
    /// Nothing new answers: nothing run.
    Unchanged,
    /// `zpool reopen -n` ran because of `why`; `Ok` or the error.
    Reopened {
        /// The first DEGRADED look, or the vdevs answering again.
        why: String,
        /// The command's result.
        result: Result<(), String>,
    },
}

/// The vdev guids of pool `pool` (`pool_guid`, when given) whose labels can be read now.
pub fn answering(fs: &Fs, pool: &str, pool_guid: Option<u64>, until: Instant) -> BTreeSet<u64> {
    let scan = device::scan(fs, &device::candidates(fs), pool, until);
    let Ok(on_disk) = labels::current(&scan.read, pool, pool_guid) else {
        return BTreeSet::new();
    };
    labels::members(&scan.read, on_disk.guid)
        .into_iter()
        .filter_map(|(_, vdev, _)| vdev)
        .collect()
}

/// One DEGRADED monitor's look: reopen when this is the first look or a member answers again.
pub fn degraded(
    fs: &Fs,
    tools: &dyn Runner,
    budget: &Budget,
    pool: &str,
    pool_guid: Option<u64>,
) -> Reattach {
    let now = answering(fs, pool, pool_guid, budget.sub_deadline(LABEL_READ));
    let before: Option<BTreeSet<u64>> = fs.read(&marker(pool)).ok().map(|t| {
        t.split_whitespace()
            .filter_map(|g| g.parse().ok())
            .collect()
    });
    let _ = std::fs::create_dir_all(fs.path("/run/hasan"));
    let text: Vec<String> = now.iter().map(u64::to_string).collect();
    if let Err(e) = fs.write(&marker(pool), &(text.join(" ") + "\n")) {
        tracing::debug!("cannot write {}: {e}", marker(pool));
    }
    let why = match before {
        None => "first look at the DEGRADED pool".to_owned(),
        Some(before) => {
            let back: Vec<String> = now.difference(&before).map(u64::to_string).collect();
            if back.is_empty() {
                return Reattach::Unchanged;
            }
            format!("vdev(s) {} answer again", back.join(", "))
        }
    };
    let result = tools
        .run(&Command::new("zpool", budget.sub_deadline(REOPEN)).args(["reopen", "-n", pool]))
        .map(drop)
        .map_err(|e| e.to_string());
    Reattach::Reopened { why, result }
}

/// The pool is healthy again: forget what answered.
pub fn forget(fs: &Fs, pool: &str) {
    if fs.exists(&marker(pool)) {
        let _ = std::fs::remove_file(fs.path(&marker(pool)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libocf::ScriptedRunner as Script;

    const REOPEN_CMD: &str = "zpool reopen -n labpool";
    /// The vdev guid of the recorded labels.
    const VDEV: u64 = 9_212_785_196_141_678_747;

    fn budget() -> Budget {
        Budget::new(Duration::from_secs(20))
    }

    #[test]
    fn the_first_degraded_look_reopens_then_only_a_returning_member_does() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        // the peer's half is gone: no device carries the pool's labels
        let first = degraded(
            &fs,
            &Script::new().ok(REOPEN_CMD, ""),
            &budget(),
            "labpool",
            None,
        );
        assert!(
            matches!(&first, Reattach::Reopened { why, result: Ok(()) } if why.contains("first look")),
            "{first:?}"
        );
        // nothing new answers: no process at all
        let z = Script::new();
        assert_eq!(
            degraded(&fs, &z, &budget(), "labpool", None),
            Reattach::Unchanged
        );
        assert!(z.ran().is_empty());
        // the member comes back
        crate::ondisk::tests::install(dir.path(), "sdb1", "exported");
        let z = Script::new().ok(REOPEN_CMD, "");
        let back = degraded(&fs, &z, &budget(), "labpool", None);
        assert!(
            matches!(&back, Reattach::Reopened { why, .. } if why.contains(&VDEV.to_string())),
            "{back:?}"
        );
        assert_eq!(z.ran(), [REOPEN_CMD]);
        // still DEGRADED (say, resilvering): nothing more
        let z = Script::new();
        assert_eq!(
            degraded(&fs, &z, &budget(), "labpool", None),
            Reattach::Unchanged
        );
        // ONLINE again: forgotten, and a later DEGRADED episode starts with a reopen
        forget(&fs, "labpool");
        assert!(!fs.exists(&marker("labpool")));
    }

    #[test]
    fn a_failing_reopen_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        let z = Script::new().fail(
            REOPEN_CMD,
            "cannot reopen 'labpool': pool I/O is currently suspended",
        );
        let got = degraded(&fs, &z, &budget(), "labpool", None);
        assert!(
            matches!(&got, Reattach::Reopened { result: Err(e), .. } if e.contains("suspended")),
            "{got:?}"
        );
    }
}
