//! Listening TCP sockets from `/proc/net/tcp` and `/proc/net/tcp6`, without a fork: how a
//! monitor checks that a service (smbd on 445, nfsd on 2049) listens on its address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The kernel's state number for LISTEN.
const TCP_LISTEN: &str = "0A";

/// The listening sockets in the text of `/proc/net/tcp` or `/proc/net/tcp6`.
pub fn listening_in(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1)?;
            let state = fields.nth(1)?;
            (state == TCP_LISTEN).then(|| parse_addr(local))?
        })
        .collect()
}

/// `0100007F:01BD` (IPv4, host byte order words) or 32 hex digits (IPv6, four host-order words).
fn parse_addr(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(ip, 16).ok()?.to_le_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
                chunk.copy_from_slice(&word.to_le_bytes());
            }
            let v6 = Ipv6Addr::from(bytes);
            match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            }
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Every listening TCP socket of this network namespace (IPv4-mapped IPv6 as IPv4).
pub fn listening() -> Vec<SocketAddr> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|t| listening_in(&t))
        .collect()
}

/// How `port` is served on `ip`, from a list of listening sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// A socket bound to exactly that address.
    OnAddress,
    /// Only a wildcard socket (0.0.0.0 or ::) covers it.
    Wildcard,
    /// Nothing listens there.
    None,
}

/// Whether `ip`:`port` is served by one of `sockets`.
pub fn listener_for(sockets: &[SocketAddr], ip: IpAddr, port: u16) -> Listener {
    let on_port = || sockets.iter().filter(move |s| s.port() == port);
    if on_port().any(|s| s.ip() == ip) {
        Listener::OnAddress
    } else if on_port().any(|s| s.ip().is_unspecified()) {
        Listener::Wildcard
    } else {
        Listener::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // recorded on a Debian 12 guest: smbd bound to 10.77.0.100 and lo, sshd on all, a client
    // connection to 445 (ESTABLISHED: not a listener)
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 64004D0A:01BD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:01BD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23457 1 0000000000000000 100 0 0 10 0
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   3: 64004D0A:01BD 0C004D0A:C350 01 00000000:00000000 00:00000000 00000000     0        0 5678 1 0000000000000000 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0801 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF000065004D0A:01BD 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0
   2: 000080FE00000000FF005452003412FE:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn listeners_are_parsed_from_both_files() {
        let v4 = listening_in(TCP);
        assert_eq!(
            v4,
            [
                "10.77.0.100:445".parse().unwrap(),
                "127.0.0.1:445".parse().unwrap(),
                "0.0.0.0:22".parse().unwrap()
            ]
        );
        let v6 = listening_in(TCP6);
        assert_eq!(v6[0], "[::]:2049".parse().unwrap());
        assert_eq!(v6[1], "10.77.0.101:445".parse().unwrap(), "v4-mapped");
        assert_eq!(v6[2], "[fe80::5254:ff:fe12:3400]:22".parse().unwrap());
    }

    #[test]
    fn listener_for_an_address() {
        let mut all = listening_in(TCP);
        all.extend(listening_in(TCP6));
        let vip: IpAddr = "10.77.0.100".parse().unwrap();
        assert_eq!(listener_for(&all, vip, 445), Listener::OnAddress);
        assert_eq!(listener_for(&all, vip, 2049), Listener::Wildcard);
        assert_eq!(listener_for(&all, vip, 139), Listener::None);
        assert_eq!(
            listener_for(&all, "10.77.0.12".parse().unwrap(), 445),
            Listener::None
        );
    }

    #[test]
    fn garbage_is_skipped() {
        assert!(listening_in("header\n0: zz:zz 0 0A\n1:\n").is_empty());
        assert!(listening_in("").is_empty());
    }
}
