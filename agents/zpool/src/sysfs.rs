//! Reading (and the few writes to) `/proc`, `/sys` and `/etc` under a root directory, so that the
//! logic is tested against real file trees in a temporary directory.

use std::io;
use std::path::{Path, PathBuf};

/// The file system the agent looks at, rooted at `/` in production.
#[derive(Debug, Clone)]
pub struct Fs {
    root: PathBuf,
}

impl Default for Fs {
    fn default() -> Self {
        Fs { root: "/".into() }
    }
}

impl Fs {
    /// A view of the system rooted at `root` (tests use a temporary directory).
    #[cfg(test)]
    pub fn rooted(root: impl Into<PathBuf>) -> Fs {
        Fs { root: root.into() }
    }

    /// The real path of an absolute system path.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// A file's text.
    pub fn read(&self, abs: &str) -> io::Result<String> {
        std::fs::read_to_string(self.path(abs))
    }

    /// Raw bytes of a file.
    pub fn read_bytes(&self, abs: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(abs))
    }

    /// Write a file (module parameters).
    pub fn write(&self, abs: &str, text: &str) -> io::Result<()> {
        std::fs::write(self.path(abs), text)
    }

    /// True if the path exists.
    pub fn exists(&self, abs: &str) -> bool {
        self.path(abs).exists()
    }

    /// Names in a directory (empty if it does not exist).
    pub fn list(&self, abs: &str) -> Vec<String> {
        match std::fs::read_dir(self.path(abs)) {
            Ok(rd) => rd
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The target of a symlink, as the system sees it.
    pub fn read_link(&self, abs: &str) -> io::Result<PathBuf> {
        std::fs::read_link(self.path(abs))
    }

    /// True if `abs` is a directory.
    pub fn is_dir(&self, abs: &str) -> bool {
        self.path(abs).is_dir()
    }

    /// The root (for messages in tests).
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Where the kernel publishes a pool's state (one word, e.g. `ONLINE`).
pub fn kstat_state_path(pool: &str) -> String {
    format!("/proc/spl/kstat/zfs/{pool}/state")
}

/// The pool state as the kernel reports it, or `None` when the pool is not imported here
/// (no ZFS module, no kstat directory).
pub fn pool_state(fs: &Fs, pool: &str) -> Option<String> {
    fs.read(&kstat_state_path(pool))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// True when the zfs kernel module is loaded.
pub fn zfs_module_loaded(fs: &Fs) -> bool {
    fs.is_dir("/sys/module/zfs")
}

/// The hostid ZFS uses: `spl_hostid` when non-zero, else `/etc/hostid` (4 bytes, host order
/// little-endian on the platforms ZFS runs on), else 0.
pub fn hostid(fs: &Fs) -> u32 {
    let param = fs
        .read("/sys/module/spl/parameters/spl_hostid")
        .ok()
        .and_then(|s| parse_uint(s.trim()))
        .unwrap_or(0);
    if param != 0 {
        return u32::try_from(param & 0xffff_ffff).unwrap_or(0);
    }
    match fs.read_bytes("/etc/hostid") {
        Ok(b) if b.len() >= 4 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        _ => 0,
    }
}

/// This node's name as ZFS writes it into the labels (the kernel's nodename).
pub fn hostname(fs: &Fs) -> String {
    fs.read("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// A decimal or `0x` hexadecimal unsigned number.
pub fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Where the zfs module's parameters live.
pub fn zfs_param_path(name: &str) -> String {
    format!("/sys/module/zfs/parameters/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Fs) {
        let dir = tempfile::tempdir().unwrap();
        for (p, content) in files {
            let path = dir.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let fs = Fs::rooted(dir.path());
        (dir, fs)
    }

    #[test]
    fn hostid_prefers_the_module_parameter_then_etc_hostid() {
        let (_d, fs) = tree(&[
            ("/sys/module/spl/parameters/spl_hostid", b"0\n"),
            ("/etc/hostid", &[0x78, 0x56, 0x34, 0x12]),
        ]);
        assert_eq!(hostid(&fs), 0x1234_5678);
        let (_d, fs) = tree(&[("/sys/module/spl/parameters/spl_hostid", b"3735928559\n")]);
        assert_eq!(hostid(&fs), 0xdead_beef);
        let (_d, fs) = tree(&[("/etc/hostid", &[0, 0, 0, 0])]);
        assert_eq!(hostid(&fs), 0);
        let (_d, fs) = tree(&[]);
        assert_eq!(hostid(&fs), 0);
    }

    #[test]
    fn state_is_read_from_kstat() {
        let (_d, fs) = tree(&[("/proc/spl/kstat/zfs/tank/state", b"ONLINE\n")]);
        assert_eq!(pool_state(&fs, "tank").as_deref(), Some("ONLINE"));
        assert_eq!(pool_state(&fs, "other"), None);
        assert!(!zfs_module_loaded(&fs));
    }
}
