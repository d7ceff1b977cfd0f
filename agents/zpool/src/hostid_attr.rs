//! The node attribute `hasan-zfs-hostid` (read by `hasan check`): recorded once per life of this
//! node's attrd, not on every start — `attrd_updater` costs as much as a `zpool get` under load.

use crate::sysfs::Fs;

/// Where start notes the hostid it recorded and the attrd it recorded it into (tmpfs: gone at boot).
pub const MARKER: &str = "/run/hasan/zpool-hostid-recorded";

/// The running `pacemaker-attrd` as `"socket INODE"`: its listening IPC socket `@attrd` in
/// `/proc/net/unix` (one read; scanning `/proc/*/comm` for it took about half a second of start
/// under TCG). `None` when none listens; a new attrd has a new socket, and a transient attribute
/// lives as long as that process (and its peers' copies).
pub fn attrd(fs: &Fs) -> Option<String> {
    fs.read("/proc/net/unix")
        .ok()?
        .lines()
        .skip(1)
        .find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // Num RefCount Protocol Flags Type St Inode Path; flags 00010000: listening
            let (flags, inode, path) = (f.get(3)?, f.get(6)?, f.get(7)?);
            (*flags == "00010000" && path.trim_end_matches('@') == "@attrd")
                .then(|| format!("socket {inode}"))
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

    /// `/proc/net/unix` with attrd's listening socket (as recorded in the lab: the abstract
    /// name padded with NULs, which the kernel shows as `@`) and a connection to it.
    fn attrd_at(dir: &std::path::Path, inode: u32) {
        std::fs::create_dir_all(dir.join("proc/net")).unwrap();
        std::fs::write(
            dir.join("proc/net/unix"),
            format!(
                "Num       RefCount Protocol Flags    Type St Inode Path\n\
                 00000000955aa2ed: 00000003 00000000 00000000 0001 03 17059 @attrd@@@@@@@@\n\
                 00000000c6ea073f: 00000002 00000000 00010000 0001 01 {inode} @attrd@@@@@@@@@@\n\
                 0000000012345678: 00000002 00000000 00010000 0001 01 99 @attrdx@@@@\n"
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
        attrd_at(dir.path(), 16956);
        let first = needed(&fs, "0a77000b").expect("a new attrd needs it");
        assert_eq!(first, "0a77000b socket 16956\n");
        note(&fs, &first);
        assert_eq!(
            needed(&fs, "0a77000b"),
            None,
            "recorded into this attrd already"
        );
        assert!(needed(&fs, "0a77000c").is_some(), "another hostid");
        attrd_at(dir.path(), 17100);
        assert!(
            needed(&fs, "0a77000b").is_some(),
            "pacemaker restarted: attrd is new"
        );
    }
}
