//! The node as the agent sees it: its paths under one root (`/` on a node, a temporary directory
//! in tests), and whether smbd runs, read from its pid file and /proc without a fork.

use std::path::{Path, PathBuf};

/// Where smbd writes its pid (`pid directory`: /run/samba on Debian, /run on RHEL).
pub const PID_FILES: &[&str] = &[
    "/run/samba/smbd.pid",
    "/run/smbd.pid",
    "/var/run/samba/smbd.pid",
];

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

impl Host {
    /// A node whose `/` is `root` (tests).
    #[cfg(test)]
    pub fn at(root: &Path) -> Host {
        Host {
            root: root.to_owned(),
        }
    }

    /// A system path on this node.
    pub fn path(&self, abs: impl AsRef<Path>) -> PathBuf {
        let abs = abs.as_ref();
        self.root.join(abs.strip_prefix("/").unwrap_or(abs))
    }

    /// The pid of the running smbd (its pid file names a live process called smbd).
    pub fn smbd_pid(&self) -> Option<u32> {
        PID_FILES.iter().find_map(|f| {
            let pid: u32 = std::fs::read_to_string(self.path(f))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            let comm = std::fs::read_to_string(self.path(format!("/proc/{pid}/comm"))).ok()?;
            comm.trim().starts_with("smbd").then_some(pid)
        })
    }

    /// The listening TCP sockets (`/proc/net/tcp`, `/proc/net/tcp6`).
    pub fn listening(&self) -> Vec<std::net::SocketAddr> {
        ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|p| std::fs::read_to_string(self.path(p)).ok())
            .flat_map(|t| libocf::proc_net::listening_in(&t))
            .collect()
    }

    /// The distribution's file `/etc/os-release`.
    pub fn os_release(&self) -> String {
        libocf::service::read_os_release(&self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smbd_is_alive_only_if_its_pid_file_names_a_live_smbd() {
        let tmp = tempfile::tempdir().unwrap();
        let h = Host::at(tmp.path());
        assert_eq!(h.smbd_pid(), None);
        std::fs::create_dir_all(h.path("/run/samba")).unwrap();
        std::fs::write(h.path("/run/samba/smbd.pid"), "4242\n").unwrap();
        assert_eq!(h.smbd_pid(), None, "stale pid file");
        std::fs::create_dir_all(h.path("/proc/4242")).unwrap();
        std::fs::write(h.path("/proc/4242/comm"), "sshd\n").unwrap();
        assert_eq!(h.smbd_pid(), None, "pid reused by another program");
        std::fs::write(h.path("/proc/4242/comm"), "smbd\n").unwrap();
        assert_eq!(h.smbd_pid(), Some(4242));
    }
}
