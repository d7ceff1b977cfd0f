//! The kernel's mount table (`/proc/self/mountinfo`), read without a child process: it works
//! while ZFS commands would block.

use std::collections::HashSet;

use crate::sysfs::Fs;

/// One line of the mount table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// What is mounted: a dataset name for ZFS, a device path for block file systems.
    pub source: String,
    /// Where it is mounted.
    pub target: String,
    /// `zfs`, `ext4`, …
    pub fstype: String,
}

/// Every mount, escapes undone.
pub fn mounts(fs: &Fs) -> Vec<Mount> {
    let text = fs.read("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut r = right.split(' ');
            let fstype = r.next()?.to_owned();
            let source = unescape(r.next()?);
            let target = unescape(left.split(' ').nth(4)?);
            Some(Mount {
                source,
                target,
                fstype,
            })
        })
        .collect()
}

/// True when `name` is `pool` or one of its datasets.
fn in_pool(name: &str, pool: &str) -> bool {
    name == pool || name.strip_prefix(pool).is_some_and(|r| r.starts_with('/'))
}

/// The pool's file systems in the mount table.
fn pool_file_systems(fs: &Fs, pool: &str) -> impl Iterator<Item = Mount> {
    let pool = pool.to_owned();
    mounts(fs)
        .into_iter()
        .filter(move |m| m.fstype == "zfs" && in_pool(&m.source, &pool))
}

/// Mountpoints of the pool's file systems.
pub fn pool_mounts(fs: &Fs, pool: &str) -> Vec<String> {
    pool_file_systems(fs, pool).map(|m| m.target).collect()
}

/// Names of the pool's datasets that are mounted somewhere.
pub fn mounted_datasets(fs: &Fs, pool: &str) -> HashSet<String> {
    pool_file_systems(fs, pool).map(|m| m.source).collect()
}

/// Undo mountinfo's octal escapes (`\040` for a space); a sequence above `\377` is no byte and
/// stays as it is.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if let Some(n) = (c == b'\\')
            .then(|| b.get(i + 1..i + 4))
            .flatten()
            .and_then(octal_byte)
        {
            out.push(n);
            i += 4;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Three octal digits as one byte (`None` if not octal digits or above 255).
fn octal_byte(d: &[u8]) -> Option<u8> {
    d.iter()
        .try_fold(0u32, |n, c| {
            (b'0'..=b'7')
                .contains(c)
                .then(|| n * 8 + u32::from(c - b'0'))
        })
        .filter(|_| d.len() == 3)
        .and_then(|n| u8::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(table: &str) -> (tempfile::TempDir, Fs) {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        std::fs::create_dir_all(fs.path("/proc/self")).unwrap();
        std::fs::write(fs.path("/proc/self/mountinfo"), table).unwrap();
        (dir, fs)
    }

    const TABLE: &str = "22 1 0:21 / / rw - ext4 /dev/vda rw\n\
         90 22 0:50 / /tank rw,xattr shared:40 - zfs tank rw,xattr,posixacl\n\
         91 90 0:51 / /tank/my\\040data rw - zfs tank/my\\040data rw\n\
         92 22 0:52 / /tank2 rw - zfs tank2 rw\n";

    #[test]
    fn mounts_of_the_pool_come_from_mountinfo() {
        let (_dir, fs) = node(TABLE);
        assert_eq!(pool_mounts(&fs, "tank"), ["/tank", "/tank/my data"]);
    }

    #[test]
    fn mounted_datasets_are_named_as_zfs_names_them_and_only_the_pools() {
        let (_dir, fs) = node(TABLE);
        let mut names: Vec<String> = mounted_datasets(&fs, "tank").into_iter().collect();
        names.sort();
        assert_eq!(names, ["tank", "tank/my data"]);
    }

    #[test]
    fn mountinfo_escapes_above_a_byte_stay_literal() {
        assert_eq!(unescape("/a\\040b"), "/a b");
        assert_eq!(unescape("/a\\134b"), "/a\\b");
        assert_eq!(unescape("/a\\777b"), "/a\\777b");
        assert_eq!(unescape("/a\\40"), "/a\\40");
    }
}
