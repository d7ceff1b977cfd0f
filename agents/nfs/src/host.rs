//! The node as the agent sees it: its system paths under one root (`/` on a node, a temporary
//! directory in tests) and what the kernel says about nfsd, read without a fork.

use std::path::PathBuf;

/// The node's file system, rooted.
#[derive(Debug, Clone)]
pub struct Host {
    root: PathBuf,
}

impl Default for Host {
    fn default() -> Self {
        Host { root: "/".into() }
    }
}

/// Lines of an exports file that export something (not blank, not comments).
pub fn export_lines(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count()
}

impl Host {
    /// A node whose `/` is `root` (tests).
    #[cfg(test)]
    pub fn at(root: &std::path::Path) -> Host {
        Host {
            root: root.to_owned(),
        }
    }

    /// A system path (`/etc/exports`) on this node.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// `/run/systemd/system`, where runtime drop-ins go.
    pub fn systemd_run_dir(&self) -> PathBuf {
        self.path("/run/systemd/system")
    }

    /// The environment file of the drop-in ([`crate::unit::ENV_FILE`]).
    pub fn env_file(&self) -> PathBuf {
        self.path(crate::unit::ENV_FILE)
    }

    /// The number of nfsd threads (`/proc/fs/nfsd/threads`); 0 when nfsd is not loaded.
    pub fn nfsd_threads(&self) -> u32 {
        std::fs::read_to_string(self.path("/proc/fs/nfsd/threads"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The exports in effect (`/var/lib/nfs/etab`, written by exportfs).
    pub fn etab_entries(&self) -> usize {
        std::fs::read_to_string(self.path("/var/lib/nfs/etab"))
            .map(|t| export_lines(&t))
            .unwrap_or(0)
    }

    /// The distribution's file `/etc/os-release`.
    /// What the running `nfsdcld` holds open (`None`: it does not run).
    pub fn nfsdcld(&self) -> Option<NfsdcldFiles> {
        let proc_dir = self.path("/proc");
        let pid = std::fs::read_dir(&proc_dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .find(|p| {
                std::fs::read_to_string(proc_dir.join(p).join("comm"))
                    .is_ok_and(|c| c.trim_end() == "nfsdcld")
            })?;
        let mut files = NfsdcldFiles::default();
        for fd in std::fs::read_dir(proc_dir.join(&pid).join("fd"))
            .ok()?
            .filter_map(Result::ok)
        {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            files.database |= target.ends_with("/nfsdcld/main.sqlite");
            files.watching |= target == "anon_inode:inotify";
            files.kernel_pipe |= target.ends_with("/nfsd/cld");
        }
        Some(files)
    }

    pub fn os_release(&self) -> String {
        libocf::service::read_os_release(&self.root)
    }
}

/// The files of `nfsdcld` that tell how far it is: nfsd's client tracking uses it only if it has
/// the kernel's pipe open within about a second of nfsd starting; otherwise the kernel falls back to
/// `nfsdcltrack` or `v4recovery` on the node's own disk, and the pool's records are not used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NfsdcldFiles {
    /// Its database (`…/nfsdcld/main.sqlite`) is open.
    pub database: bool,
    /// Its inotify watch for the pipe exists (it is in its event loop: a new pipe is opened at
    /// once).
    pub watching: bool,
    /// It holds nfsd's pipe (`rpc_pipefs/nfsd/cld`): the kernel tracks clients through it.
    pub kernel_pipe: bool,
}

impl NfsdcldFiles {
    /// Ready for nfsd to start.
    pub fn ready(&self) -> bool {
        self.database && self.watching
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_state_is_read_from_proc() {
        let tmp = tempfile::tempdir().unwrap();
        let h = Host::at(tmp.path());
        assert_eq!(h.nfsd_threads(), 0, "no nfsd");
        std::fs::create_dir_all(h.path("/proc/fs/nfsd")).unwrap();
        std::fs::write(h.path("/proc/fs/nfsd/threads"), "8\n").unwrap();
        assert_eq!(h.nfsd_threads(), 8);
        std::fs::create_dir_all(h.path("/var/lib/nfs")).unwrap();
        // recorded: etab after exportfs -r with two exports
        std::fs::write(
            h.path("/var/lib/nfs/etab"),
            "/labpool/share\t10.77.0.0/24(rw,sync,wdelay,hide,nocrossmnt,secure,no_root_squash,no_all_squash,no_subtree_check,secure_locks,acl,no_pnfs,fsid=1,anonuid=65534,anongid=65534,sec=sys,rw,secure,no_root_squash,no_all_squash)\n/labpool/two\t*(ro,sync)\n",
        )
        .unwrap();
        assert_eq!(h.etab_entries(), 2);
        assert_eq!(export_lines("# none\n\n  \n/a *(rw)\n"), 1);
    }
}
