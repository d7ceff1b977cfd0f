//! One RMCP+ session with a BMC over UDP: cipher suite choice, Open Session + RAKP 1–4,
//! Set Session Privilege Level, commands with retransmission, and Close Session on every path
//! (an open session is closed when the value is dropped, errors included).

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use libfence::{FenceError, Secret};

use crate::crypto::{ct_eq, Exchange, SessionKeys, Suite};
use crate::wire::{self, payload};

/// Longest wait for one reply before the request is sent again.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(500);
/// Bound of the pre-session Get Channel Cipher Suites probe (`cipher=auto`).
pub const CIPHER_PROBE: Duration = Duration::from_millis(300);
/// Time given to Close Session when a session is dropped (three sends); libfence keeps this
/// much of the action's budget for it.
pub const CLOSE_TIMEOUT: Duration = Duration::from_millis(1500);
/// Name-only lookup bit of the RAKP 1 role byte.
const NAME_ONLY_LOOKUP: u8 = 0x10;

/// IPMI network functions and commands used here.
pub mod cmd {
    /// Chassis netfn.
    pub const NETFN_CHASSIS: u8 = 0x00;
    /// App netfn.
    pub const NETFN_APP: u8 = 0x06;
    /// Get Chassis Status.
    pub const GET_CHASSIS_STATUS: u8 = 0x01;
    /// Chassis Control.
    pub const CHASSIS_CONTROL: u8 = 0x02;
    /// Set Session Privilege Level.
    pub const SET_SESSION_PRIVILEGE: u8 = 0x3B;
    /// Close Session.
    pub const CLOSE_SESSION: u8 = 0x3C;
    /// Get Channel Cipher Suites.
    pub const GET_CHANNEL_CIPHER_SUITES: u8 = 0x54;

    /// A command's name for messages.
    pub fn name(netfn: u8, cmd: u8) -> String {
        match (netfn, cmd) {
            (NETFN_CHASSIS, GET_CHASSIS_STATUS) => "Get Chassis Status".into(),
            (NETFN_CHASSIS, CHASSIS_CONTROL) => "Chassis Control".into(),
            (NETFN_APP, SET_SESSION_PRIVILEGE) => "Set Session Privilege Level".into(),
            (NETFN_APP, CLOSE_SESSION) => "Close Session".into(),
            _ => format!("command 0x{cmd:02x} (netfn 0x{netfn:02x})"),
        }
    }
}

/// Which cipher suite to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherChoice {
    /// Ask the BMC (bounded), prefer 17, fall back to 3.
    Auto,
    /// This one only.
    Fixed(Suite),
}

/// Privilege levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// Callback.
    Callback = 1,
    /// User.
    User = 2,
    /// Operator.
    Operator = 3,
    /// Administrator.
    Administrator = 4,
}

impl Privilege {
    /// From fence-agents' `privlvl` names.
    pub fn parse(s: &str) -> Option<Privilege> {
        match s.trim().to_ascii_lowercase().as_str() {
            "callback" => Some(Privilege::Callback),
            "user" => Some(Privilege::User),
            "operator" => Some(Privilege::Operator),
            "administrator" | "admin" => Some(Privilege::Administrator),
            _ => None,
        }
    }

    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Callback => "callback",
            Privilege::User => "user",
            Privilege::Operator => "operator",
            Privilege::Administrator => "administrator",
        }
    }
}

/// How to reach and log in to the BMC.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address.
    pub host: String,
    /// UDP port.
    pub port: u16,
    /// User name (≤ 16 bytes; empty for the anonymous user).
    pub username: Vec<u8>,
    /// Password (≤ 20 bytes).
    pub password: Secret,
    /// BMC key K_G, if the BMC has one.
    pub kg: Option<Secret>,
    /// Privilege to ask for.
    pub privilege: Privilege,
    /// Cipher suite.
    pub cipher: CipherChoice,
}

fn unreachable(t: &Target, why: &str) -> FenceError {
    FenceError::Unreachable(format!("BMC {}:{} {why}", t.host, t.port))
}

/// An open socket to the BMC, with the receive loop shared by every exchange.
#[derive(Debug)]
struct Link {
    sock: UdpSocket,
    refused: bool,
}

impl Link {
    fn open(t: &Target) -> Result<Link, FenceError> {
        let addr: SocketAddr = (t.host.as_str(), t.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(t, &format!("cannot be resolved: {e}")))?
            .next()
            .ok_or_else(|| unreachable(t, "has no address"))?;
        let local: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        }
        .parse()
        .map_err(|_| unreachable(t, "bad local address"))?;
        let sock = UdpSocket::bind(local).map_err(|e| unreachable(t, &format!("socket: {e}")))?;
        sock.connect(addr)
            .map_err(|e| unreachable(t, &format!("connect: {e}")))?;
        Ok(Link {
            sock,
            refused: false,
        })
    }

    /// Send `req`, wait for a datagram `accept` maps to `Some`, resend every
    /// [`RETRY_INTERVAL`] until `until`. `None` when nothing acceptable came.
    fn exchange<T>(
        &mut self,
        mut req: impl FnMut() -> Option<Vec<u8>>,
        until: Instant,
        mut accept: impl FnMut(&[u8]) -> Option<T>,
    ) -> Option<T> {
        let mut buf = [0u8; 1024];
        while Instant::now() < until {
            let pkt = req()?;
            let _ = self.sock.send(&pkt);
            let resend_at = (Instant::now() + RETRY_INTERVAL).min(until);
            loop {
                let left = resend_at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let _ = self
                    .sock
                    .set_read_timeout(Some(left.max(Duration::from_millis(1))));
                match self.sock.recv(&mut buf) {
                    Ok(n) => {
                        if let Some(v) = buf.get(..n).and_then(&mut accept) {
                            return Some(v);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        // ICMP port unreachable: nothing listens (yet); wait, then resend.
                        self.refused = true;
                        std::thread::sleep(left.min(Duration::from_millis(100)));
                    }
                    Err(_) => {}
                }
            }
        }
        None
    }
}

fn random<const N: usize>() -> Result<[u8; N], FenceError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| FenceError::Device(format!("no randomness: {e}")))?;
    Ok(b)
}

/// An established session. Dropping it closes it on the BMC.
#[derive(Debug)]
pub struct Session {
    link: Link,
    keys: SessionKeys,
    console_sid: u32,
    bmc_sid: u32,
    seq: u32,
    rq_seq: u8,
    /// Highest session sequence number accepted from the BMC (replays are dropped).
    last_in_seq: u32,
    open: bool,
    /// Where the BMC is, for messages.
    peer: String,
}

/// A half-open session (Open Session accepted, RAKP not finished): told to the BMC on failure.
struct Pending<'a> {
    link: &'a mut Link,
    bmc_sid: u32,
}

impl Session {
    /// Open and authenticate a session, then set its privilege; all by `deadline`.
    pub fn open(t: &Target, deadline: Instant) -> Result<Session, FenceError> {
        if t.username.len() > 16 {
            return Err(FenceError::usage("username is longer than IPMI's 16 bytes"));
        }
        if t.password.expose().len() > 20 {
            return Err(FenceError::usage(
                "password is longer than IPMI 2.0's 20 bytes",
            ));
        }
        let mut link = Link::open(t)?;
        let suites = match t.cipher {
            CipherChoice::Fixed(s) => vec![s],
            CipherChoice::Auto => probe_suites(&mut link, deadline),
        };
        let mut last = None;
        for (i, suite) in suites.iter().enumerate() {
            match handshake(t, &mut link, *suite, deadline) {
                Ok(s) => return Ok(s),
                Err(Rejected::Suite(e)) if i + 1 < suites.len() => {
                    tracing::debug!("cipher suite {} refused ({e}), trying the next", suite.id());
                    last = Some(e);
                }
                Err(Rejected::Suite(e)) | Err(Rejected::Other(e)) => return Err(e),
            }
            link = Link::open(t)?;
        }
        Err(last.unwrap_or_else(|| FenceError::Refused("no cipher suite to try".into())))
    }

    /// Send one command and return its response data (completion code 0), by `deadline`.
    pub fn command(
        &mut self,
        netfn: u8,
        command: u8,
        data: &[u8],
        deadline: Instant,
    ) -> Result<Vec<u8>, FenceError> {
        self.rq_seq = (self.rq_seq + 1) & 0x3F;
        let rq_seq = self.rq_seq;
        let msg = wire::ipmi_request(netfn, command, rq_seq, data);
        let keys = self.keys.clone();
        let (bmc_sid, console_sid) = (self.bmc_sid, self.console_sid);
        let mut seq = self.seq;
        let last_in = self.last_in_seq;
        let mut rng_err = None;
        let reply = self.link.exchange(
            || {
                seq = seq.wrapping_add(1).max(1);
                match random::<16>() {
                    Ok(iv) => wire::session_packet(&keys, bmc_sid, seq, iv, &msg),
                    Err(e) => {
                        rng_err = Some(e);
                        None
                    }
                }
            },
            deadline,
            |buf| {
                let p = wire::parse_packet(buf, keys.suite.integrity_len()).ok()?;
                if p.payload_type != payload::IPMI
                    || p.session_id != console_sid
                    || !p.authenticated
                {
                    return None;
                }
                if !keys.verify(p.signed, p.auth_code) {
                    tracing::debug!("dropping a reply with a bad AuthCode");
                    return None;
                }
                if p.seq != 0 && p.seq <= last_in {
                    tracing::debug!("dropping a replayed reply (sequence {})", p.seq);
                    return None;
                }
                let plain = if p.encrypted {
                    keys.decrypt(p.payload)?
                } else {
                    p.payload.to_vec()
                };
                let r = wire::parse_response(&plain).ok()?;
                (r.rq_seq == rq_seq && r.cmd == command && r.netfn == netfn + 1)
                    .then(|| (r.completion, r.data.to_vec(), p.seq))
            },
        );
        self.seq = seq;
        if let Some(e) = rng_err {
            return Err(e);
        }
        let (cc, data, in_seq) = reply.ok_or_else(|| {
            FenceError::Unreachable(format!(
                "BMC {} did not answer {} in time",
                self.peer,
                cmd::name(netfn, command)
            ))
        })?;
        self.last_in_seq = self.last_in_seq.max(in_seq);
        if cc != 0 {
            let text = wire::completion_text(cc);
            let hint = match cc {
                0xD4 => " — privlvl is too low: power control needs operator or administrator",
                0x80 | 0x81 => " — privlvl is above this user's limit",
                _ => "",
            };
            let msg = format!(
                "BMC {} refused {}: {text} (0x{cc:02x}){hint}",
                self.peer,
                cmd::name(netfn, command)
            );
            return Err(if matches!(cc, 0xD4 | 0x80 | 0x81) {
                FenceError::Refused(msg)
            } else {
                FenceError::Device(msg)
            });
        }
        Ok(data)
    }

    /// Close the session (also done on drop).
    pub fn close(mut self) -> Result<(), FenceError> {
        self.close_inner(Instant::now() + CLOSE_TIMEOUT)
    }

    fn close_inner(&mut self, deadline: Instant) -> Result<(), FenceError> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        let sid = self.bmc_sid.to_le_bytes();
        self.command(cmd::NETFN_APP, cmd::CLOSE_SESSION, &sid, deadline)
            .map(|_| ())
    }

    /// The cipher suite in use.
    pub fn suite(&self) -> Suite {
        self.keys.suite
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Err(e) = self.close_inner(Instant::now() + CLOSE_TIMEOUT) {
            tracing::warn!("closing the IPMI session failed: {e}");
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        // RAKP 3 with an error status tells the BMC to drop the half-open session now.
        let pkt = wire::presession_packet(payload::RAKP3, &wire::rakp3(0, 0x0F, self.bmc_sid, &[]));
        let _ = self.link.sock.send(&pkt);
    }
}

enum Rejected {
    /// The BMC refused this cipher suite: another may work.
    Suite(FenceError),
    /// Anything else.
    Other(FenceError),
}

impl From<FenceError> for Rejected {
    fn from(e: FenceError) -> Self {
        Rejected::Other(e)
    }
}

/// Suites to try, best first: asks the BMC with Get Channel Cipher Suites (bounded by
/// [`CIPHER_PROBE`]); BMCs that do not answer before a session get 17, then 3.
fn probe_suites(link: &mut Link, deadline: Instant) -> Vec<Suite> {
    let until = deadline.min(Instant::now() + CIPHER_PROBE);
    let mut records = Vec::new();
    for index in 0u8..4 {
        let msg = wire::ipmi_request(
            cmd::NETFN_APP,
            cmd::GET_CHANNEL_CIPHER_SUITES,
            index,
            &[0x0E, 0x00, 0x80 | index],
        );
        let got = link.exchange(
            || Some(wire::presession_packet(payload::IPMI, &msg)),
            until,
            |buf| {
                let p = wire::parse_packet(buf, 0).ok()?;
                let r = wire::parse_response(p.payload).ok()?;
                (r.cmd == cmd::GET_CHANNEL_CIPHER_SUITES && r.completion == 0 && r.rq_seq == index)
                    .then(|| r.data.get(1..).unwrap_or(&[]).to_vec())
            },
        );
        match got {
            Some(chunk) => {
                let last = chunk.len() < 16;
                records.extend(chunk);
                if last {
                    break;
                }
            }
            None => break,
        }
    }
    let offered = wire::cipher_suite_ids(&records);
    if offered.is_empty() {
        tracing::debug!("BMC did not list its cipher suites: trying 17, then 3");
        return vec![Suite::S17, Suite::S3];
    }
    tracing::debug!("BMC offers cipher suites {offered:?}");
    [Suite::S17, Suite::S3]
        .into_iter()
        .filter(|s| offered.contains(&s.id()))
        .collect()
}

fn handshake(
    t: &Target,
    link: &mut Link,
    suite: Suite,
    deadline: Instant,
) -> Result<Session, Rejected> {
    let peer = format!("{}:{}", t.host, t.port);
    let no_answer = |link: &Link, what: &str| {
        let why = if link.refused {
            " (connection refused: nothing listens there)"
        } else {
            ""
        };
        Rejected::Other(FenceError::Unreachable(format!(
            "BMC {peer} did not answer {what} in time{why}"
        )))
    };
    let console_sid = u32::from_le_bytes(random::<4>()?) | 1;
    let tag = random::<1>()?[0];
    let priv_byte = t.privilege as u8;
    let open_req = wire::open_session_request(tag, priv_byte, console_sid, suite);
    let open = link
        .exchange(
            || Some(wire::presession_packet(payload::OPEN_REQUEST, &open_req)),
            deadline,
            |buf| {
                let p = wire::parse_packet(buf, 0).ok()?;
                let o = (p.payload_type == payload::OPEN_RESPONSE)
                    .then(|| wire::parse_open_session(p.payload))?
                    .ok()?;
                (o.tag == tag && (o.console_sid == console_sid || o.status != 0)).then_some(o)
            },
        )
        .ok_or_else(|| no_answer(link, "Open Session"))?;
    if open.status != 0 {
        let msg = format!(
            "BMC {peer} refused cipher suite {}: {} (RMCP+ status 0x{:02x})",
            suite.id(),
            wire::rmcpp_status(open.status),
            open.status
        );
        let e = FenceError::Refused(msg);
        return Err(if matches!(open.status, 0x04 | 0x05 | 0x10 | 0x11) {
            Rejected::Suite(e)
        } else {
            Rejected::Other(e)
        });
    }
    if open.algorithms
        != [
            suite.auth_alg(),
            suite.integrity_alg(),
            suite.confidentiality_alg(),
        ]
    {
        return Err(Rejected::Suite(FenceError::Refused(format!(
            "BMC {peer} answered cipher suite {} with other algorithms {:?}",
            suite.id(),
            open.algorithms
        ))));
    }
    let pending = Pending {
        link,
        bmc_sid: open.bmc_sid,
    };
    let console_rand = random::<16>()?;
    let role = priv_byte | NAME_ONLY_LOOKUP;
    let tag1 = tag.wrapping_add(1);
    let r1 = wire::rakp1(tag1, open.bmc_sid, &console_rand, role, &t.username);
    let r2 = pending
        .link
        .exchange(
            || Some(wire::presession_packet(payload::RAKP1, &r1)),
            deadline,
            |buf| {
                let p = wire::parse_packet(buf, 0).ok()?;
                let r = (p.payload_type == payload::RAKP2)
                    .then(|| wire::parse_rakp2(p.payload, suite.rakp_len()))?
                    .ok()?;
                (r.tag == tag1 && (r.console_sid == console_sid || r.status != 0))
                    .then(|| (r.status, r.bmc_rand, r.bmc_guid, r.code.to_vec()))
            },
        )
        .ok_or_else(|| no_answer(pending.link, "RAKP 1"))?;
    let (status, bmc_rand, bmc_guid, code) = r2;
    if status != 0 {
        let hint = match status {
            0x0D => " — check username",
            0x09..=0x0B => " — check privlvl against the user's privilege limit",
            _ => "",
        };
        return Err(Rejected::Other(FenceError::Refused(format!(
            "BMC {peer} refused login: {} (RMCP+ status 0x{status:02x}){hint}",
            wire::rmcpp_status(status)
        ))));
    }
    let ex = Exchange {
        console_sid,
        bmc_sid: open.bmc_sid,
        console_rand,
        bmc_rand,
        bmc_guid,
        role,
        username: t.username.clone(),
    };
    let kuid = t.password.expose();
    if !ct_eq(&ex.rakp2_code(suite, kuid), &code) {
        return Err(Rejected::Other(FenceError::Refused(format!(
            "BMC {peer} refused login: wrong password for user {:?} (RAKP 2 code does not match)",
            String::from_utf8_lossy(&t.username)
        ))));
    }
    let kg =
        t.kg.as_ref()
            .filter(|k| !k.is_empty())
            .map_or(kuid, |k| k.expose());
    let sik = ex.sik(suite, kg);
    let r3 = wire::rakp3(
        tag1.wrapping_add(1),
        0,
        open.bmc_sid,
        &ex.rakp3_code(suite, kuid),
    );
    let tag3 = tag1.wrapping_add(1);
    let r4 = pending
        .link
        .exchange(
            || Some(wire::presession_packet(payload::RAKP3, &r3)),
            deadline,
            |buf| {
                let p = wire::parse_packet(buf, 0).ok()?;
                let r = (p.payload_type == payload::RAKP4)
                    .then(|| wire::parse_rakp4(p.payload, suite.integrity_len()))?
                    .ok()?;
                (r.tag == tag3 && (r.console_sid == console_sid || r.status != 0))
                    .then(|| (r.status, r.icv.to_vec()))
            },
        )
        .ok_or_else(|| no_answer(pending.link, "RAKP 3"))?;
    if r4.0 != 0 {
        let hint = if r4.0 == 0x0F && t.kg.is_some() {
            " — check hexadecimal_kg"
        } else {
            ""
        };
        return Err(Rejected::Other(FenceError::Refused(format!(
            "BMC {peer} refused login at RAKP 3: {} (RMCP+ status 0x{:02x}){hint}",
            wire::rmcpp_status(r4.0),
            r4.0
        ))));
    }
    if !ct_eq(&ex.rakp4_icv(suite, &sik), &r4.1) {
        return Err(Rejected::Other(FenceError::Refused(format!(
            "BMC {peer}: RAKP 4 integrity check failed (wrong hexadecimal_kg?)"
        ))));
    }
    // The session is active: from here on, Session's Drop closes it.
    std::mem::forget(pending);
    let mut session = Session {
        link: Link {
            sock: link
                .sock
                .try_clone()
                .map_err(|e| FenceError::Unreachable(format!("socket: {e}")))?,
            refused: false,
        },
        keys: SessionKeys::derive(suite, &sik),
        console_sid,
        bmc_sid: open.bmc_sid,
        seq: 0,
        rq_seq: 0,
        last_in_seq: 0,
        open: true,
        peer,
    };
    let granted = session.command(
        cmd::NETFN_APP,
        cmd::SET_SESSION_PRIVILEGE,
        &[priv_byte],
        deadline,
    )?;
    tracing::debug!(
        "session 0x{:08x} open with cipher suite {}, privilege {:?}",
        session.bmc_sid,
        suite.id(),
        granted.first()
    );
    Ok(session)
}
