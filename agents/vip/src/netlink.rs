//! The [`Net`] implementation for a real node: rtnetlink requests on one synchronous socket
//! (links, addresses) and a packet socket for announcements. No external program is ever run.

use std::cell::{Cell, OnceCell};
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkLayerType, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::config::Family;
use crate::net::{Change, IfAddr, Link, Net, NetError, NewAddr};
use crate::packet::PacketSocket;

/// Largest datagram a netlink dump sends (the kernel caps dump skbs at 32 KiB).
const RECV_BUF: usize = 64 * 1024;

/// rtnetlink on this node's (or this network namespace's) kernel.
#[derive(Debug)]
pub struct NetlinkNet {
    sock: Socket,
    seq: Cell<u32>,
    packet: OnceCell<PacketSocket>,
}

fn family_code(f: Family) -> AddressFamily {
    match f {
        Family::V4 => AddressFamily::Inet,
        Family::V6 => AddressFamily::Inet6,
    }
}

impl NetlinkNet {
    /// Open a route netlink socket.
    pub fn open() -> Result<NetlinkNet, NetError> {
        let what = "opening a netlink socket";
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(|e| NetError::io(what, e))?;
        sock.bind_auto().map_err(|e| NetError::io(what, e))?;
        sock.connect(&SocketAddr::new(0, 0))
            .map_err(|e| NetError::io(what, e))?;
        Ok(NetlinkNet {
            sock,
            seq: Cell::new(1),
            packet: OnceCell::new(),
        })
    }

    /// Send one request and collect the kernel's answers until the final ACK or DONE.
    /// An error answer becomes `Err(io::Error)` with the kernel's errno.
    fn request(
        &self,
        msg: RouteNetlinkMessage,
        flags: u16,
        timeout: Duration,
        what: &str,
    ) -> Result<Result<Vec<RouteNetlinkMessage>, io::Error>, NetError> {
        let deadline = Instant::now() + timeout;
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.sock.send(&buf, 0).map_err(|e| NetError::io(what, e))?;

        let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        let mut answers = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NetError::io(
                    what,
                    io::Error::new(io::ErrorKind::TimedOut, "no answer from the kernel in time"),
                ));
            }
            // A zero timeout would mean "wait forever"; `left` is at least 1 ns here.
            rustix::net::sockopt::set_socket_timeout(
                &self.sock,
                rustix::net::sockopt::Timeout::Recv,
                Some(left.max(Duration::from_millis(1))),
            )
            .map_err(|e| NetError::io(what, e.into()))?;
            let mut rx: Vec<u8> = Vec::with_capacity(RECV_BUF);
            let n = match self.sock.recv(&mut rx, 0) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(NetError::io(
                        what,
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no answer from the kernel in time",
                        ),
                    ))
                }
                Err(e) => return Err(NetError::io(what, e)),
            };
            let mut offset = 0;
            while offset < n.min(rx.len()) {
                let msg: NetlinkMessage<RouteNetlinkMessage> =
                    NetlinkMessage::deserialize(&rx[offset..]).map_err(|e| NetError::Protocol {
                        what: what.to_owned(),
                        detail: e.to_string(),
                    })?;
                let len = msg.header.length as usize;
                if len == 0 {
                    break;
                }
                offset += len;
                if msg.header.sequence_number != seq {
                    continue; // not ours (a late answer to an earlier request)
                }
                match msg.payload {
                    NetlinkPayload::Error(e) => {
                        return Ok(match e.code {
                            None => Ok(answers), // the ACK
                            Some(_) => Err(e.to_io()),
                        });
                    }
                    NetlinkPayload::Done(_) => return Ok(Ok(answers)),
                    NetlinkPayload::InnerMessage(m) => {
                        answers.push(m);
                        if !dump && flags & NLM_F_ACK == 0 {
                            return Ok(Ok(answers));
                        }
                    }
                    NetlinkPayload::Overrun(_) => {
                        return Err(NetError::Protocol {
                            what: what.to_owned(),
                            detail: "overrun".into(),
                        })
                    }
                    _ => {}
                }
            }
        }
    }
}

fn to_link(m: &LinkMessage) -> Link {
    let mut name = String::new();
    let mut hw: Option<&[u8]> = None;
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => name.clone_from(n),
            LinkAttribute::Address(b) => hw = Some(b),
            _ => {}
        }
    }
    let ether = m.header.link_layer_type == LinkLayerType::Ether;
    let mac = hw
        .filter(|_| ether)
        .and_then(|b| <[u8; 6]>::try_from(b).ok());
    Link {
        index: m.header.index,
        name,
        up: m.header.flags.contains(LinkFlags::Up),
        carrier: m.header.flags.contains(LinkFlags::LowerUp),
        mac,
    }
}

fn to_addr(m: &AddressMessage) -> Option<IfAddr> {
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut flags = AddressFlags::from_bits_retain(u32::from(m.header.flags.bits()));
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            AddressAttribute::Flags(f) => flags = *f,
            _ => {}
        }
    }
    Some(IfAddr {
        index: m.header.index,
        ip: local.or(address)?,
        prefix: m.header.prefix_len,
        label,
        dad_failed: flags.contains(AddressFlags::Dadfailed),
    })
}

fn v4_broadcast(ip: IpAddr, prefix: u8) -> Option<std::net::Ipv4Addr> {
    match ip {
        IpAddr::V4(v4) if prefix < 31 => {
            let host_bits = u32::MAX >> prefix;
            Some((u32::from(v4) | host_bits).into())
        }
        _ => None,
    }
}

fn addr_message(link: &Link, ip: IpAddr, prefix: u8) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = family_code(Family::of(ip));
    m.header.prefix_len = prefix;
    m.header.index = link.index;
    m.header.scope = AddressScope::Universe;
    if ip.is_ipv4() {
        m.attributes.push(AddressAttribute::Local(ip));
    }
    m.attributes.push(AddressAttribute::Address(ip));
    m
}

impl Net for NetlinkNet {
    fn link(&self, name: &str, timeout: Duration) -> Result<Option<Link>, NetError> {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.to_owned()));
        let what = format!("looking up interface {name}");
        match self.request(
            RouteNetlinkMessage::GetLink(m),
            NLM_F_REQUEST,
            timeout,
            &what,
        )? {
            Ok(answers) => Ok(answers.iter().find_map(|a| match a {
                RouteNetlinkMessage::NewLink(l) => Some(to_link(l)),
                _ => None,
            })),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(NetError::io(what, e)),
        }
    }

    fn addresses(&self, family: Family, timeout: Duration) -> Result<Vec<IfAddr>, NetError> {
        let mut m = AddressMessage::default();
        m.header.family = family_code(family);
        let what = format!("listing {} addresses", family.name());
        let answers = self
            .request(
                RouteNetlinkMessage::GetAddress(m),
                NLM_F_REQUEST | NLM_F_DUMP,
                timeout,
                &what,
            )?
            .map_err(|e| NetError::io(&what, e))?;
        Ok(answers
            .iter()
            .filter_map(|a| match a {
                RouteNetlinkMessage::NewAddress(m) => to_addr(m),
                _ => None,
            })
            .filter(|a| Family::of(a.ip) == family)
            .collect())
    }

    fn add_address(
        &self,
        link: &Link,
        addr: &NewAddr,
        timeout: Duration,
    ) -> Result<Change, NetError> {
        let mut m = addr_message(link, addr.ip, addr.prefix);
        if let Some(b) = v4_broadcast(addr.ip, addr.prefix) {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = &addr.label {
            m.attributes.push(AddressAttribute::Label(l.clone()));
        }
        if addr.ip.is_ipv6() {
            // No duplicate address detection: the address is usable at once (the announcements
            // follow), as keepalived does for VIPs.
            m.header.flags = AddressHeaderFlags::Nodad;
            m.attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        let what = format!("adding {}/{} to {}", addr.ip, addr.prefix, link.name);
        match self.request(
            RouteNetlinkMessage::NewAddress(m),
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            timeout,
            &what,
        )? {
            Ok(_) => Ok(Change::Done),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(Change::Unchanged),
            Err(e) => Err(NetError::io(what, e)),
        }
    }

    fn del_address(
        &self,
        link: &Link,
        ip: IpAddr,
        prefix: u8,
        timeout: Duration,
    ) -> Result<Change, NetError> {
        let m = addr_message(link, ip, prefix);
        let what = format!("removing {ip}/{prefix} from {}", link.name);
        match self.request(
            RouteNetlinkMessage::DelAddress(m),
            NLM_F_REQUEST | NLM_F_ACK,
            timeout,
            &what,
        )? {
            Ok(_) => Ok(Change::Done),
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(Change::Unchanged),
            Err(e) => Err(NetError::io(what, e)),
        }
    }

    fn send_frame(&self, link: &Link, frame: &[u8]) -> Result<(), NetError> {
        let what = format!("sending an announcement on {}", link.name);
        let sock = match self.packet.get() {
            Some(s) => s,
            None => {
                let s = PacketSocket::open().map_err(|e| NetError::io(&what, e))?;
                self.packet.get_or_init(|| s)
            }
        };
        sock.send(link.index, frame)
            .map_err(|e| NetError::io(what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_is_computed_for_subnets_only() {
        let ip: IpAddr = "192.0.2.10".parse().unwrap();
        assert_eq!(v4_broadcast(ip, 24), Some("192.0.2.255".parse().unwrap()));
        assert_eq!(v4_broadcast(ip, 16), Some("192.0.255.255".parse().unwrap()));
        assert_eq!(v4_broadcast(ip, 31), None);
        assert_eq!(v4_broadcast(ip, 32), None);
        assert_eq!(v4_broadcast("2001:db8::1".parse().unwrap(), 64), None);
    }

    #[test]
    fn requests_serialize_as_the_kernel_expects() {
        let link = Link {
            index: 7,
            name: "eth0".into(),
            up: true,
            carrier: true,
            mac: None,
        };
        let m = addr_message(&link, "192.0.2.10".parse().unwrap(), 24);
        assert_eq!(m.header.index, 7);
        assert_eq!(m.header.prefix_len, 24);
        assert_eq!(m.header.family, AddressFamily::Inet);
        assert_eq!(m.attributes.len(), 2);
        let m = addr_message(&link, "2001:db8::1".parse().unwrap(), 64);
        assert_eq!(m.header.family, AddressFamily::Inet6);
        assert_eq!(
            m.attributes,
            vec![AddressAttribute::Address("2001:db8::1".parse().unwrap())]
        );
    }
}
