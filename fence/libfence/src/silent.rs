//! `verify_silent`: after power off is confirmed, prove that the fenced node is gone from the
//! network too — none of its addresses answers an ICMP echo (or a TCP connect, for `ip:port`)
//! for `silent_timeout` seconds. An answer fails the fence: the device switched something, but
//! not the node (wrong outlet, a second power supply on another plug, the wrong BMC).
//!
//! ICMP echo is sent without forking `ping`: from an unprivileged ICMP datagram socket
//! (`net.ipv4.ping_group_range`), else from a raw socket (root, CAP_NET_RAW).

use std::io::Read as _;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::error::FenceError;

/// Time between two rounds of probes.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// Longest wait for one answer within a round.
pub const PROBE_WAIT: Duration = Duration::from_millis(200);
const ECHO_PAYLOAD: &[u8] = b"hasan verify_silent";

/// One address to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// ICMP (v4) or ICMPv6 echo.
    Echo(IpAddr),
    /// TCP connect: an accepted or refused connection both mean the node is up.
    Tcp(SocketAddr),
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Probe::Echo(a) => write!(f, "{a} (ICMP echo)"),
            Probe::Tcp(a) => write!(f, "{a} (TCP connect)"),
        }
    }
}

/// The probes and the watch window of a run: `verify_silent` (none: empty) and `silent_timeout`.
/// Agents whose table lacks the parameters get none.
pub fn from_options(opts: &crate::Options) -> Result<(Vec<Probe>, Duration), FenceError> {
    let probes = parse(opts.str("verify_silent").unwrap_or(""))?;
    let window = opts.seconds("silent_timeout")?;
    if !probes.is_empty() && window.is_zero() {
        return Err(FenceError::usage(
            "silent_timeout=0 cannot show that the node is silent: give the seconds to watch (default 3)",
        ));
    }
    Ok((probes, window))
}

/// Parse `verify_silent`: addresses separated by commas or spaces; `ip` for ICMP echo,
/// `ip:port` or `[ipv6]:port` for a TCP connect. Host names are refused (no DNS at fence time).
pub fn parse(text: &str) -> Result<Vec<Probe>, FenceError> {
    let mut out = Vec::new();
    for item in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let probe = if let Ok(ip) = item.parse::<IpAddr>() {
            Probe::Echo(ip)
        } else if let Ok(sa) = item.parse::<SocketAddr>() {
            if sa.port() == 0 {
                return Err(FenceError::usage(format!(
                    "invalid verify_silent address {item:?}: port 0"
                )));
            }
            Probe::Tcp(sa)
        } else {
            return Err(FenceError::usage(format!(
                "invalid verify_silent address {item:?}: expected an IP address, ip:port or [ipv6]:port"
            )));
        };
        out.push(probe);
    }
    Ok(out)
}

/// Watch `probes` for `window` (cut at `deadline`): `Ok` if none answered, else the first
/// answer as a [`FenceError::Device`].
pub fn verify(probes: &[Probe], window: Duration, deadline: Instant) -> Result<(), FenceError> {
    if probes.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let until = deadline.min(started + window);
    let mut seq: u16 = 0;
    loop {
        for p in probes {
            let left = until.saturating_duration_since(Instant::now());
            let wait = PROBE_WAIT.min(left.max(Duration::from_millis(50)));
            seq = seq.wrapping_add(1);
            if answers(*p, seq, wait)? {
                return Err(FenceError::Device(format!(
                    "power is off but {p} still answers after {:.1} s: the device does not feed this node \
                     (wrong plug or outlet, or a second power supply)",
                    started.elapsed().as_secs_f64()
                )));
            }
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(PROBE_INTERVAL.min(left));
    }
    tracing::info!(
        "verify_silent: no answer from {} within {:.1} s",
        probes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One probe: did the address answer within `wait`?
pub fn answers(p: Probe, seq: u16, wait: Duration) -> Result<bool, FenceError> {
    match p {
        Probe::Tcp(sa) => Ok(match TcpStream::connect_timeout(&sa, wait) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        }),
        Probe::Echo(ip) => echo(ip, seq, wait),
    }
}

fn icmp_socket(ip: IpAddr) -> Result<(Socket, bool), FenceError> {
    let (domain, proto) = match ip {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    match Socket::new(domain, Type::DGRAM, Some(proto)) {
        Ok(s) => Ok((s, false)),
        Err(dgram) => Socket::new(domain, Type::RAW, Some(proto))
            .map(|s| (s, true))
            .map_err(|raw| {
                FenceError::Unsupported(format!(
                    "verify_silent: no ICMP socket (datagram: {dgram}; raw: {raw}): run as root or \
                     allow ping sockets (sysctl net.ipv4.ping_group_range), or give ip:port to probe with TCP"
                ))
            }),
    }
}

/// The Internet checksum (RFC 1071).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0xffff)
}

/// An echo request (type 8 for IPv4, 128 for IPv6).
pub fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(ECHO_PAYLOAD);
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// Is `packet` (an ICMP message; a raw IPv4 socket's has the IP header first) an echo reply?
pub fn is_echo_reply(packet: &[u8], v6: bool, raw: bool, id: u16) -> bool {
    let icmp = if raw && !v6 {
        let ihl = usize::from(packet.first().map_or(0, |b| b & 0x0f)) * 4;
        packet.get(ihl..).unwrap_or(&[])
    } else {
        packet
    };
    let want = if v6 { 129 } else { 0 };
    if icmp.len() < 8 || icmp[0] != want {
        return false;
    }
    // A datagram socket's id is the kernel's; a raw socket must match ours.
    !raw || u16::from_be_bytes([icmp[4], icmp[5]]) == id
}

fn echo(ip: IpAddr, seq: u16, wait: Duration) -> Result<bool, FenceError> {
    let (sock, raw) = icmp_socket(ip)?;
    let v6 = ip.is_ipv6();
    let id = u16::try_from(std::process::id() & 0xffff).unwrap_or(0x4861);
    let to = SockAddr::from(SocketAddr::new(ip, 0));
    // connect: only packets from `ip` are delivered to this socket.
    if sock.connect(&to).is_err() {
        return Ok(false);
    }
    if sock.send(&echo_request(v6, id, seq)).is_err() {
        // No route, host unreachable: nobody answers.
        return Ok(false);
    }
    let until = Instant::now() + wait;
    let mut buf = [0u8; 1500];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let _ = sock.set_read_timeout(Some(left));
        match (&sock).read(&mut buf) {
            Ok(n) => {
                if is_echo_reply(&buf[..n], v6, raw, id) {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ports() {
        assert_eq!(
            parse("10.0.0.2, 10.0.1.2:22 fd00::2 [fd00::3]:3260").unwrap(),
            vec![
                Probe::Echo("10.0.0.2".parse().unwrap()),
                Probe::Tcp("10.0.1.2:22".parse().unwrap()),
                Probe::Echo("fd00::2".parse().unwrap()),
                Probe::Tcp("[fd00::3]:3260".parse().unwrap()),
            ]
        );
        assert_eq!(parse("").unwrap(), vec![]);
        assert!(parse("node2.example").is_err());
        assert!(parse("10.0.0.2:0").is_err());
    }

    #[test]
    fn checksum_of_an_echo_request_verifies() {
        let p = echo_request(false, 0x1234, 1);
        assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
        let mut reply = p.clone();
        reply[0] = 0;
        assert!(is_echo_reply(&reply, false, false, 0));
        assert!(
            is_echo_reply(&reply, false, false, 99),
            "datagram ids are the kernel's"
        );
        assert!(!is_echo_reply(&p, false, false, 0), "a request is no reply");
        let mut ip = vec![0x45; 20];
        ip.extend_from_slice(&reply);
        assert!(is_echo_reply(&ip, false, true, 0x1234));
        assert!(!is_echo_reply(&ip, false, true, 0x9999));
    }

    #[test]
    fn loopback_answers_and_a_closed_port_counts_as_an_answer() {
        // 127.0.0.1 always answers (ICMP where this process may open an ICMP socket).
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(answers(
            Probe::Tcp(SocketAddr::from(([127, 0, 0, 1], port))),
            1,
            PROBE_WAIT
        )
        .unwrap());
        drop(l);
        assert!(answers(
            Probe::Tcp(SocketAddr::from(([127, 0, 0, 1], port))),
            2,
            PROBE_WAIT
        )
        .unwrap());
        let far = Instant::now() + Duration::from_secs(5);
        let e = verify(
            &[Probe::Tcp(SocketAddr::from(([127, 0, 0, 1], port)))],
            Duration::from_secs(1),
            far,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("still answers"), "{e}");
        if let Ok(a) = answers(
            Probe::Echo("127.0.0.1".parse().unwrap()),
            3,
            Duration::from_secs(1),
        ) {
            assert!(a, "loopback did not answer an echo");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in proptest::prelude::any::<String>(), b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = parse(&s);
            let _ = is_echo_reply(&b, false, true, 1);
            let _ = is_echo_reply(&b, true, false, 1);
            let _ = checksum(&b);
        }
    }
}
