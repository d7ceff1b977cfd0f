//! An in-memory [`Net`] for unit tests: links and addresses in a `RefCell`, frames recorded,
//! sleeps summed instead of slept, and injectable kernel errors.

use std::cell::RefCell;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use crate::config::Family;
use crate::net::{Change, IfAddr, Link, Net, NetError, NewAddr};

/// The fake kernel's state.
#[derive(Debug, Default)]
pub struct FakeState {
    /// Interfaces.
    pub links: Vec<Link>,
    /// Addresses on them.
    pub addrs: Vec<IfAddr>,
    /// Frames sent, with the interface index.
    pub frames: Vec<(u32, Vec<u8>)>,
    /// Total time the agent asked to sleep.
    pub slept: Duration,
    /// When set, add/delete fail with this OS error.
    pub fail_changes: Option<i32>,
    /// When set, sending frames fails with this OS error.
    pub fail_frames: Option<i32>,
}

/// The fake.
#[derive(Debug, Default)]
pub struct FakeNet(pub RefCell<FakeState>);

impl FakeNet {
    /// A node with one up Ethernet interface `eth0` (index 2) and `eth1` (index 3).
    pub fn with_eth() -> FakeNet {
        let link = |index, name: &str| Link {
            index,
            name: name.into(),
            up: true,
            carrier: true,
            mac: Some([2, 0, 0, 0, 0, index as u8]),
        };
        FakeNet(RefCell::new(FakeState {
            links: vec![link(2, "eth0"), link(3, "eth1")],
            ..FakeState::default()
        }))
    }

    /// Put an address on interface `index` directly (as an operator would).
    pub fn put(&self, index: u32, ip: &str, prefix: u8) {
        self.0.borrow_mut().addrs.push(IfAddr {
            index,
            ip: ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            prefix,
            label: None,
            dad_failed: false,
        });
    }

    /// The addresses as `index ip/prefix` strings, sorted.
    pub fn snapshot(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .0
            .borrow()
            .addrs
            .iter()
            .map(|a| format!("{} {}/{}", a.index, a.ip, a.prefix))
            .collect();
        v.sort();
        v
    }
}

impl Net for FakeNet {
    fn link(&self, name: &str, _: Duration) -> Result<Option<Link>, NetError> {
        Ok(self
            .0
            .borrow()
            .links
            .iter()
            .find(|l| l.name == name)
            .cloned())
    }

    fn addresses(&self, family: Family, _: Duration) -> Result<Vec<IfAddr>, NetError> {
        Ok(self
            .0
            .borrow()
            .addrs
            .iter()
            .filter(|a| Family::of(a.ip) == family)
            .cloned()
            .collect())
    }

    fn add_address(&self, link: &Link, addr: &NewAddr, _: Duration) -> Result<Change, NetError> {
        let mut s = self.0.borrow_mut();
        if let Some(errno) = s.fail_changes {
            return Err(NetError::io("adding", io::Error::from_raw_os_error(errno)));
        }
        if s.addrs
            .iter()
            .any(|a| a.index == link.index && a.ip == addr.ip)
        {
            return Ok(Change::Unchanged);
        }
        s.addrs.push(IfAddr {
            index: link.index,
            ip: addr.ip,
            prefix: addr.prefix,
            label: addr.label.clone(),
            dad_failed: false,
        });
        Ok(Change::Done)
    }

    fn del_address(
        &self,
        link: &Link,
        ip: IpAddr,
        prefix: u8,
        _: Duration,
    ) -> Result<Change, NetError> {
        let mut s = self.0.borrow_mut();
        if let Some(errno) = s.fail_changes {
            return Err(NetError::io(
                "removing",
                io::Error::from_raw_os_error(errno),
            ));
        }
        let before = s.addrs.len();
        s.addrs
            .retain(|a| !(a.index == link.index && a.ip == ip && a.prefix == prefix));
        Ok(if s.addrs.len() < before {
            Change::Done
        } else {
            Change::Unchanged
        })
    }

    fn send_frame(&self, link: &Link, frame: &[u8]) -> Result<(), NetError> {
        let mut s = self.0.borrow_mut();
        if let Some(errno) = s.fail_frames {
            return Err(NetError::io("sending", io::Error::from_raw_os_error(errno)));
        }
        s.frames.push((link.index, frame.to_vec()));
        Ok(())
    }

    fn sleep(&self, d: Duration) {
        self.0.borrow_mut().slept += d;
    }
}
