//! One RMCP+ session with a BMC over UDP: name resolution under the deadline (every address
//! tried), cipher suite choice (each suite its share of the login time), Open Session + RAKP 1–4
//! (error replies and forged codes do not end a login: only a valid reply or the deadline does),
//! the optional GUID pin, Set Session Privilege Level, commands with retransmission, and Close
//! Session on every path (an open session is closed when the value is dropped, errors included).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use libfence::{FenceError, Secret};
use zeroize::Zeroizing;

use crate::crypto::{ct_eq, Exchange, SessionKeys, Suite};
use crate::wire::{self, payload};

/// Longest wait for one reply inside a session before the request is sent again.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(500);
/// First wait before a request outside a session is sent again; each further wait doubles (a
/// BMC busy creating sessions is not flooded).
pub const PRESESSION_RETRY: Duration = Duration::from_secs(1);
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
    /// The GUID the BMC must authenticate in RAKP 2, when pinned.
    pub guid: Option<[u8; 16]>,
}

fn unreachable(t: &Target, why: &str) -> FenceError {
    FenceError::Unreachable(format!("BMC {}:{} {why}", t.host, t.port))
}

/// The BMC's addresses, resolved by `deadline` (a hung resolver does not hang the fence).
pub fn resolve(t: &Target, deadline: Instant) -> Result<Vec<SocketAddr>, FenceError> {
    let host = t.host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, t.port)]);
    }
    let (name, port) = (host.to_owned(), t.port);
    let resolved = libocf::left_behind::before(deadline, move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(|a| a.collect::<Vec<_>>())
    });
    match resolved {
        Some(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Some(Ok(_)) => Err(unreachable(t, "has no address")),
        Some(Err(e)) => Err(unreachable(t, &format!("cannot be resolved: {e}"))),
        None => Err(unreachable(t, "could not be resolved in time")),
    }
}

/// How a request is sent again while no acceptable reply came.
#[derive(Debug, Clone, Copy)]
enum Resend {
    /// After the same interval each time (inside a session).
    Every(Duration),
    /// After an interval that doubles each time (outside a session).
    Backoff(Duration),
}

/// An open socket to one address of the BMC, with the receive loop shared by every exchange.
#[derive(Debug)]
struct Link {
    sock: UdpSocket,
    refused: bool,
    /// Give up at the first "connection refused" (another address is left to try).
    fail_fast: bool,
}

impl Link {
    fn open(addr: SocketAddr, fail_fast: bool) -> Result<Link, FenceError> {
        let local: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        }
        .parse()
        .map_err(|_| FenceError::Unreachable(format!("BMC {addr}: bad local address")))?;
        let sock = UdpSocket::bind(local)
            .map_err(|e| FenceError::Unreachable(format!("BMC {addr}: socket: {e}")))?;
        sock.connect(addr)
            .map_err(|e| FenceError::Unreachable(format!("BMC {addr}: connect: {e}")))?;
        Ok(Link {
            sock,
            refused: false,
            fail_fast,
        })
    }

    /// Send `req`, wait for a datagram `accept` maps to `Some`, send again as `resend` says
    /// until `until`. `None` when nothing acceptable came.
    fn exchange<T>(
        &mut self,
        mut req: impl FnMut() -> Option<Vec<u8>>,
        until: Instant,
        resend: Resend,
        mut accept: impl FnMut(&[u8]) -> Option<T>,
    ) -> Option<T> {
        let mut buf = [0u8; 1024];
        let (mut interval, doubles) = match resend {
            Resend::Every(d) => (d, false),
            Resend::Backoff(d) => (d, true),
        };
        while Instant::now() < until {
            let pkt = req()?;
            let _ = self.sock.send(&pkt);
            let resend_at = (Instant::now() + interval).min(until);
            if doubles {
                interval = interval.saturating_mul(2);
            }
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
                        if self.fail_fast {
                            return None;
                        }
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

/// One exchange outside a session: send `request` (payload type, body), back off, and hand the
/// payload of each reply of type `reply_type` to `accept` until it takes one or `deadline` passes.
fn presession<T>(
    link: &mut Link,
    request: (u8, &[u8]),
    reply_type: u8,
    deadline: Instant,
    mut accept: impl FnMut(&[u8]) -> Option<T>,
) -> Option<T> {
    let packet = wire::presession_packet(request.0, request.1);
    link.exchange(
        || Some(packet.clone()),
        deadline,
        Resend::Backoff(PRESESSION_RETRY),
        |buf| {
            let p = wire::parse_packet(buf, 0).ok()?;
            (p.payload_type == reply_type).then_some(())?;
            accept(p.payload)
        },
    )
}

/// The time left until `deadline`, shared evenly by `parts` attempts: the first one's deadline.
fn share(deadline: Instant, parts: usize) -> Instant {
    let left = deadline.saturating_duration_since(Instant::now());
    Instant::now() + left / u32::try_from(parts.max(1)).unwrap_or(u32::MAX)
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
    /// Open and authenticate a session, then set its privilege; all by `deadline`. Every
    /// address the name resolves to is tried in turn, each with its share of the time left.
    pub fn open(t: &Target, deadline: Instant) -> Result<Session, FenceError> {
        if t.username.len() > 16 {
            return Err(FenceError::usage("username is longer than IPMI's 16 bytes"));
        }
        if t.password.expose().len() > 20 {
            return Err(FenceError::usage(
                "password is longer than IPMI 2.0's 20 bytes",
            ));
        }
        let addrs = resolve(t, deadline)?;
        Self::open_addrs(t, &addrs, deadline)
    }

    /// [`Session::open`] with the addresses given (tried in order; only "no answer" moves on).
    pub fn open_addrs(
        t: &Target,
        addrs: &[SocketAddr],
        deadline: Instant,
    ) -> Result<Session, FenceError> {
        let mut last = None;
        for (i, addr) in addrs.iter().enumerate() {
            let left = addrs.len() - i;
            match open_at(t, *addr, share(deadline, left), left > 1) {
                Ok(s) => return Ok(s),
                Err(e @ FenceError::Unreachable(_)) if left > 1 => {
                    tracing::debug!("{addr}: {e}; trying the next address");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| unreachable(t, "has no address")))
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
            Resend::Every(RETRY_INTERVAL),
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
                // In a session the BMC counts from 1 (IPMI 2.0 §13.32): 0 or a number already
                // seen is a replay.
                if p.seq == 0 || p.seq <= last_in {
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

    /// Give up a session the BMC stopped answering in: one short Close Session, in case only
    /// replies were lost, then no more.
    pub fn abandon(mut self, grace: Duration) {
        if let Err(e) = self.close_inner(Instant::now() + grace) {
            tracing::debug!("closing the silent session: {e}");
        }
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
    /// The BMC refused this cipher suite, or did not answer its Open Session: another may work.
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
            Resend::Backoff(PRESESSION_RETRY),
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

/// Log in at one address: the suites to try (each its share of the time left), then the
/// handshake.
fn open_at(
    t: &Target,
    addr: SocketAddr,
    deadline: Instant,
    fail_fast: bool,
) -> Result<Session, FenceError> {
    let mut link = Link::open(addr, fail_fast)?;
    let suites = match t.cipher {
        CipherChoice::Fixed(s) => vec![s],
        CipherChoice::Auto => probe_suites(&mut link, deadline),
    };
    let mut last = None;
    for (i, suite) in suites.iter().enumerate() {
        let left = suites.len() - i;
        match handshake(t, addr, &mut link, *suite, share(deadline, left)) {
            Ok(s) => return Ok(s),
            Err(Rejected::Suite(e)) if left > 1 => {
                tracing::debug!("cipher suite {}: {e}; trying the next", suite.id());
                last = Some(e);
            }
            Err(Rejected::Suite(e)) | Err(Rejected::Other(e)) => return Err(e),
        }
        // A fresh socket: late replies about the previous suite cannot be taken for this one.
        link = Link::open(addr, fail_fast)?;
    }
    Err(last.unwrap_or_else(|| FenceError::Refused("no cipher suite to try".into())))
}

/// The handshake with one cipher suite, all by `deadline`. An error reply, or a reply whose
/// authentication code does not verify, does not end it: it may be forged or late, so the
/// exchange goes on until a valid reply or the deadline, and only then is the error reported.
fn handshake(
    t: &Target,
    addr: SocketAddr,
    link: &mut Link,
    suite: Suite,
    deadline: Instant,
) -> Result<Session, Rejected> {
    let peer = if t.host.parse::<IpAddr>().is_ok() {
        format!("{}:{}", t.host, t.port)
    } else {
        format!("{}:{} ({addr})", t.host, t.port)
    };
    let no_answer = |link: &Link, what: &str| {
        let why = if link.refused {
            " (connection refused: nothing listens there)"
        } else {
            ""
        };
        FenceError::Unreachable(format!("BMC {peer} did not answer {what} in time{why}"))
    };
    let console_sid = u32::from_le_bytes(random::<4>()?) | 1;
    let tag = random::<1>()?[0];
    let priv_byte = t.privilege as u8;
    let open_req = wire::open_session_request(tag, priv_byte, console_sid, suite);
    let mut refused_status = None;
    let open = presession(
        link,
        (payload::OPEN_REQUEST, &open_req),
        payload::OPEN_RESPONSE,
        deadline,
        |reply| {
            let o = wire::parse_open_session(reply).ok()?;
            if o.tag != tag {
                return None;
            }
            if o.status != 0 {
                refused_status = Some(o.status);
                return None;
            }
            (o.console_sid == console_sid).then_some(o)
        },
    );
    let Some(open) = open else {
        return Err(match refused_status {
            Some(status) => {
                let e = FenceError::Refused(format!(
                    "BMC {peer} refused cipher suite {}: {} (RMCP+ status 0x{status:02x})",
                    suite.id(),
                    wire::rmcpp_status(status),
                ));
                if matches!(status, 0x04 | 0x05 | 0x10 | 0x11) {
                    Rejected::Suite(e)
                } else {
                    Rejected::Other(e)
                }
            }
            // No answer to this suite: a BMC silent on it may still take the next.
            None => Rejected::Suite(no_answer(link, "Open Session")),
        });
    };
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
    let kuid = t.password.expose();
    let r1 = wire::rakp1(tag1, open.bmc_sid, &console_rand, role, &t.username);
    let mut rakp2_error = None;
    let ex = presession(
        pending.link,
        (payload::RAKP1, &r1),
        payload::RAKP2,
        deadline,
        |reply| {
            let r = wire::parse_rakp2(reply, suite.rakp_len()).ok()?;
            if r.tag != tag1 {
                return None;
            }
            if r.status != 0 {
                let hint = match r.status {
                    0x0D => " — check username",
                    0x09..=0x0B => " — check privlvl against the user's privilege limit",
                    _ => "",
                };
                rakp2_error = Some(format!(
                    "BMC {peer} refused login: {} (RMCP+ status 0x{:02x}){hint}",
                    wire::rmcpp_status(r.status),
                    r.status
                ));
                return None;
            }
            if r.console_sid != console_sid {
                return None;
            }
            let ex = Exchange {
                console_sid,
                bmc_sid: open.bmc_sid,
                console_rand,
                bmc_rand: r.bmc_rand,
                bmc_guid: r.bmc_guid,
                role,
                username: t.username.clone(),
            };
            if !ct_eq(&ex.rakp2_code(suite, kuid), r.code) {
                rakp2_error = Some(format!(
                    "BMC {peer} refused login: wrong password for user {:?} (RAKP 2 code does not match)",
                    String::from_utf8_lossy(&t.username)
                ));
                return None;
            }
            Some(ex)
        },
    );
    let Some(ex) = ex else {
        return Err(Rejected::Other(match rakp2_error {
            Some(e) => FenceError::Refused(e),
            None => no_answer(pending.link, "RAKP 1"),
        }));
    };
    // The GUID is authenticated by the RAKP 2 code just checked.
    let guid_hex = hex(&ex.bmc_guid);
    tracing::debug!("BMC {peer} GUID {guid_hex} (authenticated in RAKP 2)");
    if let Some(pinned) = t.guid {
        if !ct_eq(&pinned, &ex.bmc_guid) {
            return Err(Rejected::Other(FenceError::Refused(format!(
                "BMC {peer} is not the pinned one: its GUID is {guid_hex}, bmc_guid is {} (wrong ip, or a wrong DNS answer?)",
                hex(&pinned)
            ))));
        }
    }
    let kg =
        t.kg.as_ref()
            .filter(|k| !k.is_empty())
            .map_or(kuid, |k| k.expose());
    let sik = Zeroizing::new(ex.sik(suite, kg));
    let tag3 = tag1.wrapping_add(1);
    let r3 = wire::rakp3(tag3, 0, open.bmc_sid, &ex.rakp3_code(suite, kuid));
    let expected_icv = ex.rakp4_icv(suite, &sik);
    let mut rakp4_error = None;
    let accepted = presession(
        pending.link,
        (payload::RAKP3, &r3),
        payload::RAKP4,
        deadline,
        |reply| {
            let r = wire::parse_rakp4(reply, suite.integrity_len()).ok()?;
            if r.tag != tag3 {
                return None;
            }
            if r.status != 0 {
                let hint = if r.status == 0x0F && t.kg.is_some() {
                    " — check hexadecimal_kg"
                } else {
                    ""
                };
                rakp4_error = Some(format!(
                    "BMC {peer} refused login at RAKP 3: {} (RMCP+ status 0x{:02x}){hint}",
                    wire::rmcpp_status(r.status),
                    r.status
                ));
                return None;
            }
            if r.console_sid != console_sid {
                return None;
            }
            if !ct_eq(&expected_icv, r.icv) {
                rakp4_error = Some(format!(
                    "BMC {peer}: RAKP 4 integrity check failed (wrong hexadecimal_kg?)"
                ));
                return None;
            }
            Some(())
        },
    );
    if accepted.is_none() {
        return Err(Rejected::Other(match rakp4_error {
            Some(e) => FenceError::Refused(e),
            None => no_answer(pending.link, "RAKP 3"),
        }));
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
            fail_fast: false,
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

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
