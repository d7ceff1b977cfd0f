//! Cipher suite 17 end to end. No BMC that speaks suite 17 can run here (ipmi_sim implements only
//! RAKP-HMAC-SHA1), so this peer plays the BMC's side of IPMI 2.0 with the key-exchange
//! primitives that `tests/host/tests/fence_kat.rs` checks against Python's hmac/hashlib and
//! openssl. It exercises what the known-answer tests cannot: the suite-17 lengths in every
//! message (32-byte RAKP codes, 16-byte ICV and AuthCodes), the handshake order, Set Session
//! Privilege Level, commands, Close Session, the auto choice and the refusal paths.
#![allow(clippy::unwrap_used)]

use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fence_hasan_ipmi::crypto::{Exchange, SessionKeys, Suite};
use fence_hasan_ipmi::session::{cmd, CipherChoice, Privilege, Session, Target};
use fence_hasan_ipmi::wire::{self, payload};
use libfence::{FenceError, Secret};

const PASSWORD: &[u8] = b"s17-password";
const BMC_SID: u32 = 0x1122_3344;
const GUID: [u8; 16] = *b"GUID-of-the-bmc!";

/// What the peer saw.
#[derive(Debug, Default)]
struct Seen {
    privilege_set: Option<u8>,
    commands: Vec<(u8, u8, Vec<u8>)>,
    closed: bool,
    rakp3_status: Option<u8>,
}

fn checksum(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |a, x| a.wrapping_add(*x)).wrapping_neg()
}

fn response(netfn: u8, rq_seq: u8, cmd: u8, cc: u8, data: &[u8]) -> Vec<u8> {
    let mut m = vec![0x81, (netfn + 1) << 2];
    m.push(checksum(&m));
    let start = m.len();
    m.extend_from_slice(&[0x20, rq_seq << 2, cmd, cc]);
    m.extend_from_slice(data);
    m.push(checksum(&m[start..]));
    m
}

/// How the peer misbehaves.
#[derive(Debug, Default, Clone, Copy)]
struct Quirks {
    /// Before each real pre-session reply, send an error reply for the same tag (what a spoofer
    /// or a late answer to an earlier request looks like).
    error_first: bool,
    /// Send in-session replies with session sequence number 0.
    sequence_zero: bool,
}

/// Start the peer; `offers`: the suites it lists in Get Channel Cipher Suites (None: no answer).
fn peer(offers: Option<Vec<u8>>, accept: Vec<u8>) -> (u16, Arc<Mutex<Seen>>) {
    peer_with(offers, accept, Quirks::default())
}

fn peer_with(offers: Option<Vec<u8>>, accept: Vec<u8>, quirks: Quirks) -> (u16, Arc<Mutex<Seen>>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s2 = seen.clone();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let mut ex: Option<Exchange> = None;
        let mut suite = Suite::S17;
        let mut keys: Option<SessionKeys> = None;
        let mut out_seq = 0u32;
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let pkt = &buf[..n];
            let integrity = keys.as_ref().map_or(0, |k| k.suite.integrity_len());
            let Ok(p) = wire::parse_packet(pkt, integrity) else {
                continue;
            };
            let pl = p.payload;
            let reply = match p.payload_type {
                payload::IPMI if !p.authenticated => {
                    // Get Channel Cipher Suites before a session.
                    let Some(ids) = &offers else { continue };
                    let seq = pl[4] >> 2;
                    let mut data = vec![1];
                    for id in ids {
                        data.extend_from_slice(&[0xC0, *id, 0x01, 0x41, 0x81]);
                    }
                    if pl[8] & 0x3F > 0 {
                        data.truncate(1);
                    }
                    wire::presession_packet(
                        payload::IPMI,
                        &response(0x06, seq, cmd::GET_CHANNEL_CIPHER_SUITES, 0, &data),
                    )
                }
                payload::OPEN_REQUEST => {
                    let console_sid = u32::from_le_bytes(pl[4..8].try_into().unwrap());
                    let alg = pl[12];
                    let Some(s) = [Suite::S3, Suite::S17]
                        .into_iter()
                        .find(|s| s.auth_alg() == alg)
                    else {
                        continue;
                    };
                    if !accept.contains(&s.id()) {
                        wire::presession_packet(payload::OPEN_RESPONSE, &[pl[0], 0x04])
                    } else {
                        suite = s;
                        let mut r = vec![pl[0], 0, 4, 0];
                        r.extend_from_slice(&console_sid.to_le_bytes());
                        r.extend_from_slice(&BMC_SID.to_le_bytes());
                        r.extend_from_slice(&pl[8..32]);
                        ex = Some(Exchange {
                            console_sid,
                            bmc_sid: BMC_SID,
                            console_rand: [0; 16],
                            bmc_rand: *b"bmc-random-16-by",
                            bmc_guid: GUID,
                            role: 0,
                            username: vec![],
                        });
                        wire::presession_packet(payload::OPEN_RESPONSE, &r)
                    }
                }
                payload::RAKP1 => {
                    let Some(e) = ex.as_mut() else { continue };
                    e.console_rand = pl[8..24].try_into().unwrap();
                    e.role = pl[24];
                    let ulen = usize::from(pl[27]);
                    e.username = pl[28..28 + ulen].to_vec();
                    let mut r = vec![pl[0], 0, 0, 0];
                    r.extend_from_slice(&e.console_sid.to_le_bytes());
                    r.extend_from_slice(&e.bmc_rand);
                    r.extend_from_slice(&e.bmc_guid);
                    r.extend_from_slice(&e.rakp2_code(suite, PASSWORD));
                    wire::presession_packet(payload::RAKP2, &r)
                }
                payload::RAKP3 => {
                    let Some(e) = ex.as_ref() else { continue };
                    s2.lock().unwrap().rakp3_status = Some(pl[1]);
                    if pl[1] != 0 {
                        continue;
                    }
                    let ok = &pl[8..] == e.rakp3_code(suite, PASSWORD).as_slice();
                    let sik = e.sik(suite, PASSWORD);
                    let mut r = vec![pl[0], if ok { 0 } else { 0x0F }, 0, 0];
                    r.extend_from_slice(&e.console_sid.to_le_bytes());
                    if ok {
                        r.extend_from_slice(&e.rakp4_icv(suite, &sik));
                        keys = Some(SessionKeys::derive(suite, &sik));
                    }
                    wire::presession_packet(payload::RAKP4, &r)
                }
                payload::IPMI => {
                    let (Some(k), Some(e)) = (keys.as_ref(), ex.as_ref()) else {
                        continue;
                    };
                    assert_eq!(p.session_id, BMC_SID);
                    assert!(
                        k.verify(p.signed, p.auth_code),
                        "console AuthCode must verify"
                    );
                    let m = k.decrypt(pl).unwrap();
                    let (netfn, rq_seq, command) = (m[1] >> 2, m[4] >> 2, m[5]);
                    let data = m[6..m.len() - 1].to_vec();
                    let mut seen = s2.lock().unwrap();
                    let rdata = match (netfn, command) {
                        (cmd::NETFN_APP, cmd::SET_SESSION_PRIVILEGE) => {
                            seen.privilege_set = Some(data[0]);
                            vec![data[0]]
                        }
                        (cmd::NETFN_APP, cmd::CLOSE_SESSION) => {
                            assert_eq!(data, BMC_SID.to_le_bytes());
                            seen.closed = true;
                            vec![]
                        }
                        (cmd::NETFN_CHASSIS, cmd::GET_CHASSIS_STATUS) => vec![0x01, 0, 0, 0],
                        _ => {
                            seen.commands.push((netfn, command, data));
                            vec![]
                        }
                    };
                    out_seq += 1;
                    if quirks.sequence_zero {
                        out_seq = 0;
                    }
                    let msg = response(netfn, rq_seq, command, 0, &rdata);
                    wire::session_packet(k, e.console_sid, out_seq, [3; 16], &msg).unwrap()
                }
                _ => continue,
            };
            if quirks.error_first && p.payload_type != payload::IPMI {
                // Same payload type and tag, status 0x01 (insufficient resources), our session ID.
                let mut e = reply.clone();
                e.truncate(16);
                let console_sid = ex.as_ref().map_or(0, |x| x.console_sid);
                let mut body = vec![pl[0], 0x01, 0, 0];
                body.extend_from_slice(&console_sid.to_le_bytes());
                e[14..16].copy_from_slice(&(body.len() as u16).to_le_bytes());
                e[5] = p.payload_type + 1;
                e.extend_from_slice(&body);
                let _ = sock.send_to(&e, from);
            }
            let _ = sock.send_to(&reply, from);
        }
    });
    (port, seen)
}

fn target(port: u16, cipher: CipherChoice, password: &[u8]) -> Target {
    Target {
        host: "127.0.0.1".into(),
        port,
        username: b"fence".to_vec(),
        password: Secret::new(password),
        kg: None,
        privilege: Privilege::Operator,
        cipher,
        guid: None,
    }
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

#[test]
fn suite_17_session_runs_commands_and_closes() {
    let (port, seen) = peer(None, vec![17]);
    let mut s = Session::open(
        &target(port, CipherChoice::Fixed(Suite::S17), PASSWORD),
        soon(),
    )
    .unwrap();
    assert_eq!(s.suite(), Suite::S17);
    let status = s
        .command(cmd::NETFN_CHASSIS, cmd::GET_CHASSIS_STATUS, &[], soon())
        .unwrap();
    assert_eq!(status[0] & 1, 1);
    s.command(cmd::NETFN_CHASSIS, cmd::CHASSIS_CONTROL, &[0x00], soon())
        .unwrap();
    drop(s);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.privilege_set, Some(Privilege::Operator as u8));
    assert_eq!(
        seen.commands,
        vec![(cmd::NETFN_CHASSIS, cmd::CHASSIS_CONTROL, vec![0x00])]
    );
    assert!(seen.closed, "Close Session was not sent on drop");
}

#[test]
fn auto_prefers_17_and_falls_back_to_3() {
    // A BMC listing 3 and 17 gets 17.
    let (port, _) = peer(Some(vec![3, 17]), vec![3, 17]);
    let s = Session::open(&target(port, CipherChoice::Auto, PASSWORD), soon()).unwrap();
    assert_eq!(s.suite(), Suite::S17);
    // A silent BMC that refuses 17 gets 3 (the ipmi_sim case).
    let (port, _) = peer(None, vec![3]);
    let s = Session::open(&target(port, CipherChoice::Auto, PASSWORD), soon()).unwrap();
    assert_eq!(s.suite(), Suite::S3);
}

#[test]
fn wrong_password_is_refused_and_the_bmc_is_told() {
    let (port, seen) = peer(None, vec![17]);
    let e = Session::open(
        &target(port, CipherChoice::Fixed(Suite::S17), b"wrong"),
        soon(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, FenceError::Refused(m) if m.contains("wrong password")),
        "{e}"
    );
    // RAKP 3 with "invalid integrity check value" ends the half-open session on the BMC.
    let until = Instant::now() + Duration::from_secs(2);
    while seen.lock().unwrap().rakp3_status.is_none() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(seen.lock().unwrap().rakp3_status, Some(0x0F));
}

#[test]
fn a_refused_suite_is_a_clear_error() {
    let (port, _) = peer(None, vec![3]);
    let e = Session::open(
        &target(port, CipherChoice::Fixed(Suite::S17), PASSWORD),
        soon(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("BMC 127.0.0.1:{port} refused cipher suite 17: invalid authentication algorithm (RMCP+ status 0x04)")
    );
}

#[test]
fn an_error_reply_before_the_real_one_does_not_abort_the_login() {
    // A forged (or late) error for each handshake step arrives first: the login waits for the
    // valid reply instead of giving up and leaving the BMC's session half open.
    let (port, seen) = peer_with(
        None,
        vec![17],
        Quirks {
            error_first: true,
            ..Quirks::default()
        },
    );
    let s = Session::open(
        &target(port, CipherChoice::Fixed(Suite::S17), PASSWORD),
        soon(),
    )
    .unwrap();
    drop(s);
    assert!(seen.lock().unwrap().closed);
}

#[test]
fn sequence_number_zero_is_refused_inside_a_session() {
    // IPMI 2.0 §13.32: in-session sequence numbers start at 1; 0 is never valid there.
    let (port, _) = peer_with(
        None,
        vec![17],
        Quirks {
            sequence_zero: true,
            ..Quirks::default()
        },
    );
    let e = Session::open(
        &target(port, CipherChoice::Fixed(Suite::S17), PASSWORD),
        Instant::now() + Duration::from_secs(2),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("did not answer Set Session Privilege Level"),
        "{e}"
    );
}

#[test]
fn every_address_of_the_bmc_is_tried() {
    let (port, _) = peer(None, vec![17]);
    let bmc: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Nothing listens on the first address; the second one is silent (a stale DNS answer).
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let t = target(port, CipherChoice::Fixed(Suite::S17), PASSWORD);
    let s = Session::open_addrs(
        &t,
        &[closed, silent.local_addr().unwrap(), bmc],
        Instant::now() + Duration::from_secs(6),
    )
    .unwrap();
    assert_eq!(s.suite(), Suite::S17);
}

#[test]
fn a_pinned_guid_is_checked_against_the_authenticated_one() {
    let (port, seen) = peer(None, vec![17]);
    let mut t = target(port, CipherChoice::Fixed(Suite::S17), PASSWORD);
    t.guid = Some(GUID);
    drop(Session::open(&t, soon()).unwrap());
    let mut other = GUID;
    other[0] ^= 1;
    t.guid = Some(other);
    let e = Session::open(&t, soon()).unwrap_err();
    assert!(
        matches!(&e, FenceError::Refused(m) if m.contains("is not the pinned one")),
        "{e}"
    );
    assert!(seen.lock().unwrap().commands.is_empty());
}

#[test]
fn requests_before_a_session_back_off() {
    // A BMC that never answers: Open Session is sent again after 1 s, then 2 s (not every
    // 0.5 s), so within 3.5 s it gets at most 3 requests.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let t = target(port, CipherChoice::Fixed(Suite::S3), PASSWORD);
    assert!(Session::open(&t, Instant::now() + Duration::from_millis(3500)).is_err());
    silent.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    let mut requests = 0;
    while silent.recv(&mut buf).is_ok() {
        requests += 1;
    }
    assert!(
        (1..=3).contains(&requests),
        "{requests} Open Session requests in 3.5 s"
    );
}
