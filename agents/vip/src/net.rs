//! What the agent needs from the kernel, as a small trait: the netlink implementation runs on
//! the node, the fake in `fake.rs` in unit tests.

use std::net::IpAddr;
use std::time::Duration;

use libocf::OcfError;

use crate::config::Family;

/// One network interface as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Has carrier (`IFF_LOWER_UP`).
    pub carrier: bool,
    /// Hardware address of an Ethernet-like link (None for loopback, tunnels …).
    pub mac: Option<[u8; 6]>,
}

/// One address configured on some interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    /// Index of the interface that carries it.
    pub index: u32,
    /// The address.
    pub ip: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// IPv4 label, if the kernel reported one.
    pub label: Option<String>,
    /// IPv6 duplicate address detection failed: another node has it.
    pub dad_failed: bool,
}

/// An address to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddr {
    /// The address.
    pub ip: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// IPv4 label.
    pub label: Option<String>,
}

/// Did an add or delete change anything?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The kernel made the change.
    Done,
    /// Nothing to do: the address was already there (add) or already gone (delete).
    Unchanged,
}

/// A failed kernel request.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The kernel or a socket call answered with an error.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The kernel's answer could not be understood.
    #[error("{what}: unexpected netlink answer: {detail}")]
    Protocol {
        /// What was being done.
        what: String,
        /// What was wrong with the answer.
        detail: String,
    },
}

impl NetError {
    /// An I/O error while doing `what`.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        NetError::Io {
            what: what.into(),
            source,
        }
    }
}

impl From<NetError> for OcfError {
    /// Permission problems are 4 (hard, this node); everything else 1 (soft).
    fn from(e: NetError) -> OcfError {
        match &e {
            NetError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                OcfError::perm(e.to_string())
            }
            _ => OcfError::generic(e.to_string()),
        }
    }
}

/// The kernel operations the agent uses. Every call finishes or fails within `timeout`.
pub trait Net {
    /// The interface called `name`, or None when this node has none.
    fn link(&self, name: &str, timeout: Duration) -> Result<Option<Link>, NetError>;
    /// Every address of `family` on every interface.
    fn addresses(&self, family: Family, timeout: Duration) -> Result<Vec<IfAddr>, NetError>;
    /// Add an address to a link (IPv6 without duplicate address detection).
    fn add_address(
        &self,
        link: &Link,
        addr: &NewAddr,
        timeout: Duration,
    ) -> Result<Change, NetError>;
    /// Remove an address from a link.
    fn del_address(
        &self,
        link: &Link,
        ip: IpAddr,
        prefix: u8,
        timeout: Duration,
    ) -> Result<Change, NetError>;
    /// Send one complete Ethernet frame out of a link.
    fn send_frame(&self, link: &Link, frame: &[u8]) -> Result<(), NetError>;
    /// Wait (the fake only records it).
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}
