//! The node attribute `hasan-zfs-hostid` (read by `hasan check`): recorded once per life of this
//! node's attrd, not on every start — `attrd_updater` costs as much as a `zpool get` under load.

use crate::sysfs::Fs;

/// Where start notes the hostid it recorded and the attrd it recorded it into (tmpfs: gone at boot).
pub const MARKER: &str = "/run/hasan/zpool-hostid-recorded";

/// The running `pacemaker-attrd` as `"PID STARTTIME"` (`/proc/PID/stat` field 22), `None` when
/// none runs: a transient attribute lives as long as that process (and its peers' copies).
pub fn attrd(fs: &Fs) -> Option<String> {
    fs.list("/proc")
        .into_iter()
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .find(|p| {
            fs.read(&format!("/proc/{p}/comm"))
                .is_ok_and(|c| c.trim_end() == "pacemaker-attrd")
        })
        .and_then(|pid| {
            let stat = fs.read(&format!("/proc/{pid}/stat")).ok()?;
            // the fields after the command (which may hold spaces) start at field 3
            let after = stat.rsplit_once(')')?.1;
            let start = after.split_whitespace().nth(19)?;
            Some(format!("{pid} {start}"))
        })
}

/// What the marker holds once `hostid` was recorded into `attrd`.
pub fn marker_text(hostid: &str, attrd: &str) -> String {
    format!("{hostid} {attrd}\n")
}

/// Whether `hostid` still needs recording: an attrd runs and the marker does not name it with
/// this hostid.
pub fn needed(fs: &Fs, hostid: &str) -> Option<String> {
    let attrd = attrd(fs)?;
    let text = marker_text(hostid, &attrd);
    (fs.read(MARKER).ok().as_deref() != Some(text.as_str())).then_some(text)
}

/// Note that `text` ([`needed`]'s answer) was recorded. A failure only costs a repeat next time.
pub fn note(fs: &Fs, text: &str) {
    let _ = std::fs::create_dir_all(fs.path("/run/hasan"));
    if let Err(e) = fs.write(MARKER, text) {
        tracing::debug!("cannot write {MARKER}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrd_at(dir: &std::path::Path, pid: u32, start: u64) {
        let p = dir.join(format!("proc/{pid}"));
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("comm"), "pacemaker-attrd\n").unwrap();
        let fields: Vec<String> = (3..=21).map(|i| i.to_string()).collect();
        std::fs::write(
            p.join("stat"),
            format!(
                "{pid} (pacemaker-attrd) {} {start} 23 24\n",
                fields.join(" ")
            ),
        )
        .unwrap();
    }

    #[test]
    fn recorded_once_per_attrd_and_again_for_a_new_one_or_another_hostid() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        assert_eq!(
            needed(&fs, "0a77000b"),
            None,
            "no attrd runs: nothing to record into"
        );
        attrd_at(dir.path(), 812, 4242);
        let first = needed(&fs, "0a77000b").expect("a new attrd needs it");
        assert_eq!(first, "0a77000b 812 4242\n");
        note(&fs, &first);
        assert_eq!(
            needed(&fs, "0a77000b"),
            None,
            "recorded into this attrd already"
        );
        assert!(needed(&fs, "0a77000c").is_some(), "another hostid");
        std::fs::remove_dir_all(dir.path().join("proc/812")).unwrap();
        attrd_at(dir.path(), 812, 9999);
        assert!(
            needed(&fs, "0a77000b").is_some(),
            "pacemaker restarted: attrd is new"
        );
    }
}
