//! Who keeps a pool busy: processes (cwd, root, open files, mapped files) under its mountpoints
//! or on its zvols, swap and file systems on its zvols, block devices stacked on them (device
//! mapper, md, loop), NFS exports of its paths, LIO backstores on its zvols — read from /proc,
//! /sys, /var/lib/nfs and configfs, within a deadline.

use std::fmt;
use std::sync::mpsc;
use std::time::Instant;

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
    /// Swap on one of the pool's zvols.
    Swap(String),
    /// A file system mounted from one of the pool's zvols.
    Mount {
        /// The zvol device.
        source: String,
        /// Where it is mounted.
        target: String,
    },
    /// A block device stacked on a zvol (device mapper, md) or backed by a pool file (loop).
    Stacked {
        /// `dm-0`, `md0`, `loop0`.
        name: String,
        /// The zvol or file under it.
        on: String,
    },
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
            Holder::Swap(d) => write!(f, "swap on {d}"),
            Holder::Mount { source, target } => write!(f, "{source} mounted on {target}"),
            Holder::Stacked { name, on } => write!(f, "block device {name} on {on}"),
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

    /// True if `dev` is one of the pool's zvols or a partition of one (`/dev/zd0p1`).
    pub fn covers_device(&self, dev: &str) -> bool {
        self.devices.iter().any(|d| {
            dev == d
                || dev
                    .strip_prefix(d.as_str())
                    .and_then(|r| r.strip_prefix('p').or_else(|| r.strip_prefix("-part")))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    }

    /// The kernel names (`zd0`) of the pool's zvols.
    fn zd_names(&self) -> Vec<&str> {
        self.devices
            .iter()
            .filter_map(|d| d.strip_prefix("/dev/"))
            .filter(|n| n.starts_with("zd") && !n.contains('/'))
            .collect()
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

/// What [`find`] found before its deadline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The holders, processes first.
    pub holders: Vec<Holder>,
    /// False if the deadline cut the scan short (a read of /proc can block on a hung process).
    pub complete: bool,
}

/// Every holder found by `deadline`; `self_pid` (the agent) is never reported. The scan runs in
/// a thread of its own, so one blocking read cannot hold stop past the deadline.
pub fn find(fs: &Fs, files: &PoolFiles, self_pid: i32, deadline: Instant) -> Found {
    let (tx, rx) = mpsc::channel();
    let (fs2, files2) = (fs.clone(), files.clone());
    let scanner = std::thread::Builder::new()
        .name("holders".into())
        .spawn(move || {
            scan(&fs2, &files2, self_pid, &mut |h| {
                let _ = tx.send(Some(h));
            });
            let _ = tx.send(None);
        });
    let mut found = Found::default();
    if scanner.is_err() {
        return found;
    }
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Some(h)) => found.holders.push(h),
            Ok(None) => {
                found.complete = true;
                return found;
            }
            Err(_) => return found,
        }
    }
}

/// The scan itself: each holder is handed to `out` as soon as it is found.
fn scan(fs: &Fs, files: &PoolFiles, self_pid: i32, out: &mut dyn FnMut(Holder)) {
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
            out(Holder::Process { pid, comm, why });
        }
    }
    for line in fs.read("/proc/swaps").unwrap_or_default().lines().skip(1) {
        let dev = line.split_whitespace().next().unwrap_or_default();
        if files.covers(dev) || files.covers_device(dev) {
            out(Holder::Swap(dev.to_owned()));
        }
    }
    for m in crate::mountinfo::mounts(fs) {
        if files.covers_device(&m.source) {
            out(Holder::Mount {
                source: m.source,
                target: m.target,
            });
        }
    }
    for zd in files.zd_names() {
        let mut dirs = vec![format!("/sys/block/{zd}")];
        dirs.extend(
            fs.list(&format!("/sys/block/{zd}"))
                .into_iter()
                .filter(|p| p.starts_with(zd) && p.len() > zd.len())
                .map(|p| format!("/sys/block/{zd}/{p}")),
        );
        for dir in dirs {
            let mut names = fs.list(&format!("{dir}/holders"));
            names.sort();
            for name in names {
                out(Holder::Stacked {
                    name,
                    on: format!("/dev/{}", dir.rsplit('/').next().unwrap_or(zd)),
                });
            }
        }
    }
    let mut loops: Vec<String> = fs
        .list("/sys/block")
        .into_iter()
        .filter(|n| n.starts_with("loop"))
        .collect();
    loops.sort();
    for name in loops {
        let backing = fs
            .read(&format!("/sys/block/{name}/loop/backing_file"))
            .unwrap_or_default();
        let backing = backing.trim();
        if !backing.is_empty() && files.covers(backing) {
            out(Holder::Stacked {
                name,
                on: backing.to_owned(),
            });
        }
    }
    let mut seen = Vec::new();
    for line in fs.read("/var/lib/nfs/etab").unwrap_or_default().lines() {
        let path = line.split_whitespace().next().unwrap_or_default();
        if !path.is_empty() && files.mounts.iter().any(|m| under(path, m)) && !seen.contains(&path)
        {
            seen.push(path);
            out(Holder::NfsExport(path.to_owned()));
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
                out(Holder::LioBackstore {
                    name: format!("{hba}/{store}"),
                    device: dev.to_owned(),
                });
            }
        }
    }
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
        // swap, a file system and device mapper on the zvol, a loop device on a pool file
        write(
            "/proc/swaps",
            "Filename\tType\tSize\tUsed\tPriority\n/dev/zd0\tpartition\t262140\t0\t-2\n/dev/vda3 partition 1 0 -3\n",
        );
        write(
            "/proc/self/mountinfo",
            "22 1 0:21 / / rw - ext4 /dev/vda rw\n95 22 230:1 / /mnt/x rw - ext4 /dev/zd0p1 rw\n",
        );
        mk("/sys/block/zd0/holders/dm-0");
        mk("/sys/block/zd0/zd0p1/holders");
        write(
            "/sys/block/loop0/loop/backing_file",
            "/tank/data/disk.img\n",
        );
        write("/sys/block/loop1/loop/backing_file", "/srv/disk.img\n");
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        let result = find(&fs, &files, 1, deadline);
        assert!(result.complete);
        let found: Vec<String> = result.holders.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "process 100 (p100) cwd /tank/data",
                "process 200 (p200) has /tank/data/log.txt open",
                "process 400 (p400) maps /tank/lib/libx.so",
                "process 500 (p500) has /dev/zd0 open",
                "swap on /dev/zd0",
                "/dev/zd0p1 mounted on /mnt/x",
                "block device dm-0 on /dev/zd0",
                "block device loop0 on /tank/data/disk.img",
                "NFS export /tank/data",
                "LIO backstore iblock_0/lun1 on /dev/zvol/tank/vol1",
            ]
        );
        assert!(find(&fs, &files, 100, deadline)
            .holders
            .iter()
            .all(|h| h.pid() != Some(100)));
    }
}
