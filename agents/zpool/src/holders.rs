//! Who keeps a pool busy: processes (cwd, root, open files, mapped files) under its mountpoints
//! or on its zvols, NFS exports of its paths, LIO backstores on its zvols — read from /proc,
//! /var/lib/nfs and configfs.

use std::fmt;

use crate::sysfs::Fs;

/// Something that holds the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A process; `why` says which file.
    Process {
        /// Its pid.
        pid: i32,
        /// Its command name.
        comm: String,
        /// `cwd /tank/x`, `open /tank/x/f`, `map /tank/lib.so`.
        why: String,
    },
    /// An NFS export of a path on the pool.
    NfsExport(String),
    /// A LIO backstore on one of the pool's zvols.
    LioBackstore {
        /// `iblock_0/lun1`
        name: String,
        /// The device it uses.
        device: String,
    },
}

impl Holder {
    /// The pid if this is a process.
    pub fn pid(&self) -> Option<i32> {
        match self {
            Holder::Process { pid, .. } => Some(*pid),
            _ => None,
        }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Process { pid, comm, why } => write!(f, "process {pid} ({comm}) {why}"),
            Holder::NfsExport(p) => write!(f, "NFS export {p}"),
            Holder::LioBackstore { name, device } => write!(f, "LIO backstore {name} on {device}"),
        }
    }
}

/// What belongs to the pool: its mounted paths and its zvol device nodes (both spellings).
#[derive(Debug, Clone, Default)]
pub struct PoolFiles {
    /// Mountpoints of mounted file systems.
    pub mounts: Vec<String>,
    /// `/dev/zvol/tank/v` and the `/dev/zdN` they point to.
    pub devices: Vec<String>,
}

impl PoolFiles {
    /// True if `path` is on the pool.
    pub fn covers(&self, path: &str) -> bool {
        let path = path.trim_end_matches(" (deleted)");
        self.mounts.iter().any(|m| under(path, m)) || self.devices.iter().any(|d| d == path)
    }

    /// Add the zvol nodes and what they resolve to on this system.
    pub fn add_zvols(&mut self, fs: &Fs, nodes: &[String]) {
        for n in nodes {
            self.devices.push(n.clone());
            if let Ok(real) = fs.path(n).canonicalize() {
                let root = fs
                    .root()
                    .canonicalize()
                    .unwrap_or_else(|_| fs.root().to_owned());
                if let Ok(rel) = real.strip_prefix(&root) {
                    self.devices.push(format!("/{}", rel.display()));
                }
            }
        }
    }
}

/// True if `path` is `mount` or below it.
pub fn under(path: &str, mount: &str) -> bool {
    let m = mount.trim_end_matches('/');
    if m.is_empty() {
        return true;
    }
    path == m || path.strip_prefix(m).is_some_and(|r| r.starts_with('/'))
}

/// Every holder found, processes first. `self_pid` (the agent) is never reported.
pub fn find(fs: &Fs, files: &PoolFiles, self_pid: i32) -> Vec<Holder> {
    let mut out = Vec::new();
    let mut pids: Vec<i32> = fs
        .list("/proc")
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids.into_iter().filter(|p| *p != self_pid) {
        if let Some(why) = process_hold(fs, pid, files) {
            let comm = fs
                .read(&format!("/proc/{pid}/comm"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            out.push(Holder::Process { pid, comm, why });
        }
    }
    for line in fs.read("/var/lib/nfs/etab").unwrap_or_default().lines() {
        let path = line.split_whitespace().next().unwrap_or_default();
        if !path.is_empty() && files.mounts.iter().any(|m| under(path, m)) {
            let h = Holder::NfsExport(path.to_owned());
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    let core = "/sys/kernel/config/target/core";
    for hba in fs.list(core) {
        for store in fs.list(&format!("{core}/{hba}")) {
            let dir = format!("{core}/{hba}/{store}");
            if !fs.is_dir(&dir) {
                continue;
            }
            let dev = fs.read(&format!("{dir}/udev_path")).unwrap_or_default();
            let dev = dev.trim();
            if !dev.is_empty() && files.covers(dev) {
                out.push(Holder::LioBackstore {
                    name: format!("{hba}/{store}"),
                    device: dev.to_owned(),
                });
            }
        }
    }
    out
}

fn process_hold(fs: &Fs, pid: i32, files: &PoolFiles) -> Option<String> {
    let base = format!("/proc/{pid}");
    for link in ["cwd", "root", "exe"] {
        if let Ok(t) = fs.read_link(&format!("{base}/{link}")) {
            let t = t.to_string_lossy();
            if files.covers(&t) {
                return Some(format!("{link} {t}"));
            }
        }
    }
    for fd in fs.list(&format!("{base}/fd")) {
        if let Ok(t) = fs.read_link(&format!("{base}/fd/{fd}")) {
            let t = t.to_string_lossy();
            if files.covers(&t) {
                return Some(format!("has {t} open"));
            }
        }
    }
    for line in fs.read(&format!("{base}/maps")).unwrap_or_default().lines() {
        // address perms offset dev inode path
        if let Some(path) = line.splitn(6, char::is_whitespace).nth(5).map(str::trim) {
            if path.starts_with('/') && files.covers(path) {
                return Some(format!("maps {path}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn prefix_matching_respects_path_components() {
        assert!(under("/tank/data/x", "/tank/data"));
        assert!(under("/tank/data", "/tank/data/"));
        assert!(!under("/tank/database", "/tank/data"));
    }

    #[test]
    fn finds_processes_exports_and_backstores() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        let mk = |p: &str| std::fs::create_dir_all(fs.path(p)).unwrap();
        let write = |p: &str, s: &str| {
            std::fs::create_dir_all(fs.path(p).parent().unwrap()).unwrap();
            std::fs::write(fs.path(p), s).unwrap();
        };
        // 100: cwd on the pool; 200: an open file; 300: unrelated; 400: maps; 500: the zvol
        for (pid, cwd) in [
            (100, "/tank/data"),
            (200, "/root"),
            (300, "/tank2"),
            (400, "/"),
            (500, "/"),
        ] {
            mk(&format!("/proc/{pid}/fd"));
            write(&format!("/proc/{pid}/comm"), &format!("p{pid}\n"));
            symlink(cwd, fs.path(&format!("/proc/{pid}/cwd"))).unwrap();
        }
        symlink("/tank/data/log.txt", fs.path("/proc/200/fd/3")).unwrap();
        symlink("/tank2/x", fs.path("/proc/300/fd/3")).unwrap();
        write(
            "/proc/400/maps",
            "7f00-7f01 r-xp 00000000 00:2a 12 /tank/lib/libx.so\n",
        );
        symlink("/dev/zd0", fs.path("/proc/500/fd/5")).unwrap();
        mk("/dev/zvol/tank");
        write("/dev/zd0", "");
        symlink("../../zd0", fs.path("/dev/zvol/tank/vol1")).unwrap();
        write(
            "/var/lib/nfs/etab",
            "/tank/data\t*(rw,sync,wdelay,hide)\n/srv\t*(ro)\n",
        );
        write(
            "/sys/kernel/config/target/core/iblock_0/lun1/udev_path",
            "/dev/zvol/tank/vol1\n",
        );
        write(
            "/sys/kernel/config/target/core/iblock_0/other/udev_path",
            "/dev/sdc\n",
        );

        let mut files = PoolFiles {
            mounts: vec!["/tank".into(), "/tank/data".into()],
            devices: vec![],
        };
        files.add_zvols(&fs, &["/dev/zvol/tank/vol1".into()]);
        assert!(
            files.devices.contains(&"/dev/zd0".to_owned()),
            "{:?}",
            files.devices
        );
        let found: Vec<String> = find(&fs, &files, 1)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "process 100 (p100) cwd /tank/data",
                "process 200 (p200) has /tank/data/log.txt open",
                "process 400 (p400) maps /tank/lib/libx.so",
                "process 500 (p500) has /dev/zd0 open",
                "NFS export /tank/data",
                "LIO backstore iblock_0/lun1 on /dev/zvol/tank/vol1",
            ]
        );
        assert!(find(&fs, &files, 100).iter().all(|h| h.pid() != Some(100)));
    }
}
