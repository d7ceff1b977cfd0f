//! This node as the agent sees it: kernel modules, configfs mount, zvol device nodes, local
//! addresses, listening sockets (`/proc/net/tcp{,6}`) and `ip_nonlocal_bind`, read under a root
//! directory so tests use a temporary tree.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use crate::config::Portal;

/// Files of the node under a root (`/` in production, a temporary directory in tests).
#[derive(Debug, Clone)]
pub struct Node {
    root: PathBuf,
}

impl Default for Node {
    fn default() -> Self {
        Node { root: "/".into() }
    }
}

/// Parse one address of `/proc/net/tcp` (`0100007F:0CBC`) or `/proc/net/tcp6`.
fn parse_proc_addr(text: &str) -> Option<SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(addr, 16).ok()?.swap_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                let word = u32::from_str_radix(&addr[i * 8..i * 8 + 8], 16).ok()?;
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The listening sockets in the text of `/proc/net/tcp` or `/proc/net/tcp6`.
pub fn listening_sockets(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(3) == Some(&"0A")).then(|| parse_proc_addr(f.get(1)?))?
        })
        .collect()
}

impl Node {
    /// A node rooted at `root` (tests).
    #[cfg(test)]
    pub fn rooted(root: impl Into<PathBuf>) -> Node {
        Node { root: root.into() }
    }

    /// The real path of an absolute one.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// True if a kernel module is loaded (or built in).
    pub fn module_loaded(&self, name: &str) -> bool {
        self.path(&format!("/sys/module/{name}")).exists()
    }

    /// True if configfs is mounted at /sys/kernel/config.
    pub fn configfs_mounted(&self) -> bool {
        std::fs::read_to_string(self.path("/proc/mounts")).is_ok_and(|m| {
            m.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.get(1) == Some(&"/sys/kernel/config") && f.get(2) == Some(&"configfs")
            })
        })
    }

    /// True if `path` (a /dev path) exists.
    pub fn device_exists(&self, path: &str) -> bool {
        self.path(path).exists()
    }

    /// True if `/dev/zvol/<dataset>` is a directory (the dataset holds zvols).
    pub fn zvol_dir(&self, dataset: &str) -> bool {
        self.path(&format!("/dev/zvol/{dataset}")).is_dir()
    }

    /// True if something listens on the portal's address and port (or the wildcard).
    pub fn listening(&self, portal: &Portal) -> bool {
        let file = if portal.0.is_ipv4() {
            "/proc/net/tcp"
        } else {
            "/proc/net/tcp6"
        };
        let Ok(text) = std::fs::read_to_string(self.path(file)) else {
            return false;
        };
        listening_sockets(&text)
            .iter()
            .any(|s| s.port() == portal.0.port() && (s.ip() == portal.0.ip()))
    }

    /// `net.ipv4.ip_nonlocal_bind` / `net.ipv6.ip_nonlocal_bind` for the portal's family.
    pub fn nonlocal_bind(&self, portal: &Portal) -> bool {
        let f = if portal.0.is_ipv4() { "ipv4" } else { "ipv6" };
        std::fs::read_to_string(self.path(&format!("/proc/sys/net/{f}/ip_nonlocal_bind")))
            .is_ok_and(|v| v.trim() == "1")
    }
}

/// True if the address is configured on this node: binding a socket to it succeeds (the same
/// test the kernel applies to LIO's listening socket).
pub fn address_is_local(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listening_sockets_from_proc() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 64004D0A:0CBC 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   1: 0B004D0A:0016 0100004D:D431 01 00000000:00000000 02:000A7B4D 00000000     0        0 2 4 0 20 4 30 10 -1\n";
        assert_eq!(
            listening_sockets(tcp),
            ["10.77.0.100:3260".parse::<SocketAddr>().unwrap()]
        );
        let tcp6 = "  sl  local_address                         remote_address                        st\n   0: 000000FD000000000000000064000000:0CBC 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n";
        assert_eq!(
            listening_sockets(tcp6),
            ["[fd00::64]:3260".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn loopback_is_local_and_a_test_net_address_is_not() {
        assert!(address_is_local("127.0.0.1".parse().unwrap()));
        let nonlocal = std::fs::read_to_string("/proc/sys/net/ipv4/ip_nonlocal_bind")
            .is_ok_and(|v| v.trim() == "1");
        if !nonlocal {
            assert!(!address_is_local("192.0.2.77".parse().unwrap()));
        }
    }

    #[test]
    fn reads_the_node_from_proc_and_sys() {
        let dir = tempfile::tempdir().unwrap();
        let n = Node::rooted(dir.path());
        assert!(!n.module_loaded("target_core_mod") && !n.configfs_mounted());
        std::fs::create_dir_all(n.path("/sys/module/target_core_mod")).unwrap();
        std::fs::create_dir_all(n.path("/proc/net")).unwrap();
        std::fs::create_dir_all(n.path("/proc/sys/net/ipv4")).unwrap();
        std::fs::write(
            n.path("/proc/mounts"),
            "configfs /sys/kernel/config configfs rw 0 0\n",
        )
        .unwrap();
        std::fs::write(
            n.path("/proc/net/tcp"),
            "hdr\n 0: 64004D0A:0CBC 00000000:0000 0A 0\n",
        )
        .unwrap();
        std::fs::write(n.path("/proc/sys/net/ipv4/ip_nonlocal_bind"), "1\n").unwrap();
        assert!(n.module_loaded("target_core_mod") && n.configfs_mounted());
        let p = Portal::parse("10.77.0.100:3260").unwrap();
        assert!(n.listening(&p) && n.nonlocal_bind(&p));
        assert!(!n.listening(&Portal::parse("10.77.0.100:3261").unwrap()));
        assert!(!n.listening(&Portal::parse("[fd00::1]:3260").unwrap()));
    }
}
