//! RMCP / RMCP+ packets and IPMI LAN messages: building requests and parsing replies. Every
//! parse is bounds-checked and returns an error, never panics, whatever the BMC sends.

use crate::crypto::{SessionKeys, Suite};

/// RMCP header: version 6, reserved, no-ACK sequence, class IPMI.
pub const RMCP_HEADER: [u8; 4] = [0x06, 0x00, 0xFF, 0x07];
/// Session header auth type for RMCP+.
pub const AUTH_TYPE_RMCPP: u8 = 0x06;

/// RMCP+ payload types.
pub mod payload {
    /// An IPMI message.
    pub const IPMI: u8 = 0x00;
    /// Open Session Request.
    pub const OPEN_REQUEST: u8 = 0x10;
    /// Open Session Response.
    pub const OPEN_RESPONSE: u8 = 0x11;
    /// RAKP Message 1.
    pub const RAKP1: u8 = 0x12;
    /// RAKP Message 2.
    pub const RAKP2: u8 = 0x13;
    /// RAKP Message 3.
    pub const RAKP3: u8 = 0x14;
    /// RAKP Message 4.
    pub const RAKP4: u8 = 0x15;
}

/// Our software ID as requester.
pub const CONSOLE_SWID: u8 = 0x81;
/// The BMC's slave address.
pub const BMC_ADDR: u8 = 0x20;

/// A reply we cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Shorter than its headers say.
    #[error("truncated {0} ({1} bytes)")]
    Truncated(&'static str, usize),
    /// Not an RMCP+ packet.
    #[error("not an RMCP+ IPMI packet")]
    NotRmcpPlus,
    /// A checksum does not add up.
    #[error("bad IPMI message checksum")]
    Checksum,
    /// Something the spec does not allow here.
    #[error("{0}")]
    Invalid(&'static str),
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

fn arr16(b: &[u8], at: usize) -> Option<[u8; 16]> {
    b.get(at..at + 16)?.try_into().ok()
}

/// A parsed RMCP+ packet (payload still encrypted, AuthCode not yet checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Payload type (low 6 bits).
    pub payload_type: u8,
    /// Payload is encrypted.
    pub encrypted: bool,
    /// Packet carries an AuthCode.
    pub authenticated: bool,
    /// Session ID (ours, for replies in a session).
    pub session_id: u32,
    /// Session sequence number.
    pub seq: u32,
    /// Payload bytes.
    pub payload: &'a [u8],
    /// The bytes the AuthCode covers.
    pub signed: &'a [u8],
    /// The AuthCode.
    pub auth_code: &'a [u8],
}

/// Parse an RMCP+ packet; `integrity_len` is the AuthCode length of the session (0 before).
pub fn parse_packet(buf: &[u8], integrity_len: usize) -> Result<Packet<'_>, WireError> {
    if buf.len() < 16 {
        return Err(WireError::Truncated("packet", buf.len()));
    }
    if buf[0] != RMCP_HEADER[0] || buf[3] != RMCP_HEADER[3] || buf[4] != AUTH_TYPE_RMCPP {
        return Err(WireError::NotRmcpPlus);
    }
    let kind = buf[5];
    let payload_type = kind & 0x3F;
    if payload_type == 0x02 {
        return Err(WireError::Invalid("OEM payloads are not supported"));
    }
    let session_id = le32(buf, 6).ok_or(WireError::Truncated("session header", buf.len()))?;
    let seq = le32(buf, 10).ok_or(WireError::Truncated("session header", buf.len()))?;
    let len = usize::from(u16::from_le_bytes([buf[14], buf[15]]));
    let payload = buf
        .get(16..16 + len)
        .ok_or(WireError::Truncated("payload", buf.len()))?;
    let authenticated = kind & 0x40 != 0;
    let (signed, auth_code) = if authenticated {
        if integrity_len == 0 {
            return Err(WireError::Invalid("authenticated packet outside a session"));
        }
        let code_at = buf
            .len()
            .checked_sub(integrity_len)
            .filter(|at| *at >= 16 + len + 2)
            .ok_or(WireError::Truncated("session trailer", buf.len()))?;
        if buf[code_at - 1] != 0x07 {
            return Err(WireError::Invalid(
                "bad next-header byte in session trailer",
            ));
        }
        (&buf[4..code_at], &buf[code_at..])
    } else {
        (&buf[4..], &buf[..0])
    };
    Ok(Packet {
        payload_type,
        encrypted: kind & 0x80 != 0,
        authenticated,
        session_id,
        seq,
        payload,
        signed,
        auth_code,
    })
}

/// A packet outside a session (session ID and sequence 0, no AuthCode).
pub fn presession_packet(payload_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = RMCP_HEADER.to_vec();
    p.extend_from_slice(&[AUTH_TYPE_RMCPP, payload_type]);
    p.extend_from_slice(&[0; 8]);
    p.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    p.extend_from_slice(payload);
    p
}

/// An encrypted, authenticated IPMI packet inside a session.
pub fn session_packet(
    keys: &SessionKeys,
    bmc_sid: u32,
    seq: u32,
    iv: [u8; 16],
    msg: &[u8],
) -> Option<Vec<u8>> {
    let body = keys.encrypt(iv, msg)?;
    let mut d = vec![AUTH_TYPE_RMCPP, 0xC0 | payload::IPMI];
    d.extend_from_slice(&bmc_sid.to_le_bytes());
    d.extend_from_slice(&seq.to_le_bytes());
    d.extend_from_slice(&u16::try_from(body.len()).ok()?.to_le_bytes());
    d.extend_from_slice(&body);
    let pad = (4 - (d.len() + 2) % 4) % 4;
    d.extend(std::iter::repeat_n(0xFF, pad));
    d.extend_from_slice(&[pad as u8, 0x07]);
    let code = keys.auth_code(&d);
    let mut p = RMCP_HEADER.to_vec();
    p.extend_from_slice(&d);
    p.extend_from_slice(&code);
    Some(p)
}

fn checksum(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |a, x| a.wrapping_add(*x)).wrapping_neg()
}

/// An IPMI request message to the BMC.
pub fn ipmi_request(netfn: u8, cmd: u8, rq_seq: u8, data: &[u8]) -> Vec<u8> {
    let mut m = vec![BMC_ADDR, netfn << 2];
    m.push(checksum(&m));
    let start = m.len();
    m.extend_from_slice(&[CONSOLE_SWID, (rq_seq & 0x3F) << 2, cmd]);
    m.extend_from_slice(data);
    m.push(checksum(&m[start..]));
    m
}

/// A parsed IPMI response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<'a> {
    /// Network function (the request's + 1).
    pub netfn: u8,
    /// Requester sequence it answers.
    pub rq_seq: u8,
    /// Command.
    pub cmd: u8,
    /// Completion code.
    pub completion: u8,
    /// Response data after the completion code.
    pub data: &'a [u8],
}

/// Parse an IPMI response message.
pub fn parse_response(m: &[u8]) -> Result<Response<'_>, WireError> {
    if m.len() < 8 {
        return Err(WireError::Truncated("IPMI response", m.len()));
    }
    if checksum(&m[..2]) != m[2] || checksum(&m[3..m.len() - 1]) != m[m.len() - 1] {
        return Err(WireError::Checksum);
    }
    Ok(Response {
        netfn: m[1] >> 2,
        rq_seq: m[4] >> 2,
        cmd: m[5],
        completion: m[6],
        data: &m[7..m.len() - 1],
    })
}

/// Open Session Request for `suite` asking for up to `privilege`.
pub fn open_session_request(tag: u8, privilege: u8, console_sid: u32, suite: Suite) -> Vec<u8> {
    let mut p = vec![tag, privilege, 0, 0];
    p.extend_from_slice(&console_sid.to_le_bytes());
    for (kind, alg) in [
        (0u8, suite.auth_alg()),
        (1, suite.integrity_alg()),
        (2, suite.confidentiality_alg()),
    ] {
        p.extend_from_slice(&[kind, 0, 0, 8, alg, 0, 0, 0]);
    }
    p
}

/// The parts of an Open Session Response we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    /// Message tag echoed.
    pub tag: u8,
    /// RMCP+ status code (0 = accepted).
    pub status: u8,
    /// Our session ID echoed.
    pub console_sid: u32,
    /// The BMC's session ID.
    pub bmc_sid: u32,
    /// Algorithms the BMC chose (auth, integrity, confidentiality).
    pub algorithms: [u8; 3],
}

/// Parse an Open Session Response (short error replies have status only).
pub fn parse_open_session(p: &[u8]) -> Result<OpenSession, WireError> {
    if p.len() < 2 {
        return Err(WireError::Truncated("Open Session Response", p.len()));
    }
    // Error replies may stop after the status byte (ipmi_sim sends just tag and status).
    let console_sid = le32(p, 4).unwrap_or(0);
    if p[1] != 0 {
        return Ok(OpenSession {
            tag: p[0],
            status: p[1],
            console_sid,
            bmc_sid: 0,
            algorithms: [0; 3],
        });
    }
    if p.len() < 36 {
        return Err(WireError::Truncated("Open Session Response", p.len()));
    }
    let bmc_sid = le32(p, 8).ok_or(WireError::Truncated("Open Session Response", p.len()))?;
    Ok(OpenSession {
        tag: p[0],
        status: 0,
        console_sid,
        bmc_sid,
        algorithms: [p[16] & 0x3F, p[24] & 0x3F, p[32] & 0x3F],
    })
}

/// RAKP Message 1.
pub fn rakp1(tag: u8, bmc_sid: u32, console_rand: &[u8; 16], role: u8, username: &[u8]) -> Vec<u8> {
    let mut p = vec![tag, 0, 0, 0];
    p.extend_from_slice(&bmc_sid.to_le_bytes());
    p.extend_from_slice(console_rand);
    p.extend_from_slice(&[role, 0, 0, username.len() as u8]);
    p.extend_from_slice(username);
    p
}

/// RAKP Message 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rakp2<'a> {
    /// Message tag echoed.
    pub tag: u8,
    /// RMCP+ status code.
    pub status: u8,
    /// Our session ID.
    pub console_sid: u32,
    /// Rc.
    pub bmc_rand: [u8; 16],
    /// GUIDc.
    pub bmc_guid: [u8; 16],
    /// Key exchange authentication code.
    pub code: &'a [u8],
}

/// Parse RAKP Message 2 (`code_len`: the suite's RAKP HMAC length).
pub fn parse_rakp2(p: &[u8], code_len: usize) -> Result<Rakp2<'_>, WireError> {
    let t = || WireError::Truncated("RAKP 2", p.len());
    if p.len() < 2 {
        return Err(t());
    }
    let console_sid = le32(p, 4).unwrap_or(0);
    if p[1] != 0 {
        return Ok(Rakp2 {
            tag: p[0],
            status: p[1],
            console_sid,
            bmc_rand: [0; 16],
            bmc_guid: [0; 16],
            code: &[],
        });
    }
    Ok(Rakp2 {
        tag: p[0],
        status: 0,
        console_sid,
        bmc_rand: arr16(p, 8).ok_or_else(t)?,
        bmc_guid: arr16(p, 24).ok_or_else(t)?,
        code: p.get(40..40 + code_len).ok_or_else(t)?,
    })
}

/// RAKP Message 3 (`status` non-zero to tell the BMC that RAKP 2 failed: no code then).
pub fn rakp3(tag: u8, status: u8, bmc_sid: u32, code: &[u8]) -> Vec<u8> {
    let mut p = vec![tag, status, 0, 0];
    p.extend_from_slice(&bmc_sid.to_le_bytes());
    if status == 0 {
        p.extend_from_slice(code);
    }
    p
}

/// RAKP Message 4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rakp4<'a> {
    /// Message tag echoed.
    pub tag: u8,
    /// RMCP+ status code.
    pub status: u8,
    /// Our session ID.
    pub console_sid: u32,
    /// Integrity check value.
    pub icv: &'a [u8],
}

/// Parse RAKP Message 4 (`icv_len`: the suite's integrity length).
pub fn parse_rakp4(p: &[u8], icv_len: usize) -> Result<Rakp4<'_>, WireError> {
    let t = || WireError::Truncated("RAKP 4", p.len());
    if p.len() < 2 {
        return Err(t());
    }
    let console_sid = le32(p, 4).unwrap_or(0);
    let icv = if p[1] == 0 {
        p.get(8..8 + icv_len).ok_or_else(t)?
    } else {
        &[]
    };
    Ok(Rakp4 {
        tag: p[0],
        status: p[1],
        console_sid,
        icv,
    })
}

/// Cipher suite IDs in Get Channel Cipher Suites record data (standard and OEM records).
pub fn cipher_suite_ids(records: &[u8]) -> Vec<u8> {
    let mut ids = Vec::new();
    let mut i = 0;
    while i < records.len() {
        match records[i] {
            0xC0 => {
                if let Some(id) = records.get(i + 1) {
                    ids.push(*id);
                }
                i += 2;
            }
            0xC1 => {
                if let Some(id) = records.get(i + 1) {
                    ids.push(*id);
                }
                i += 5;
            }
            _ => i += 1,
        }
    }
    ids
}

/// Text of an RMCP+ status code (IPMI 2.0 table 13-15).
pub fn rmcpp_status(code: u8) -> &'static str {
    match code {
        0x01 => "insufficient resources to create a session",
        0x02 => "invalid session ID",
        0x03 => "invalid payload type",
        0x04 => "invalid authentication algorithm",
        0x05 => "invalid integrity algorithm",
        0x06 => "no matching authentication payload",
        0x07 => "no matching integrity payload",
        0x08 => "inactive session ID",
        0x09 => "invalid role",
        0x0A => "unauthorized role or privilege level requested",
        0x0B => "insufficient resources to create a session at the requested role",
        0x0C => "invalid name length",
        0x0D => "unauthorized name",
        0x0E => "unauthorized GUID",
        0x0F => "invalid integrity check value",
        0x10 => "invalid confidentiality algorithm",
        0x11 => "no cipher suite match with proposed security algorithms",
        0x12 => "illegal or unrecognized parameter",
        _ => "unknown RMCP+ status",
    }
}

/// Text of an IPMI completion code.
pub fn completion_text(cc: u8) -> &'static str {
    match cc {
        0xC0 => "node busy",
        0xC1 => "invalid command",
        0xC3 => "timeout",
        0xC7 => "request data length invalid",
        0xCC => "invalid data field in request",
        0xD4 => "insufficient privilege level",
        0xD5 => "command not supported in present state",
        0x80 => "requested privilege level not available for this user",
        0x81 => "requested privilege level exceeds the user or channel limit",
        0xFF => "unspecified error",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys() -> SessionKeys {
        SessionKeys::derive(Suite::S3, b"0123456789abcdefghij")
    }

    #[test]
    fn requests_have_valid_checksums() {
        let m = ipmi_request(0x00, 0x01, 5, &[]);
        assert_eq!(m, vec![0x20, 0x00, 0xE0, 0x81, 0x14, 0x01, 0x6A]);
        let resp = [
            0x81, 0x04, 0x7B, 0x20, 0x14, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        let mut r = resp.to_vec();
        let c = checksum(&r[3..10]);
        r[10] = c;
        let p = parse_response(&r).unwrap();
        assert_eq!(
            (p.netfn, p.rq_seq, p.cmd, p.completion, p.data),
            (1, 5, 1, 0, &[1u8, 0, 0][..])
        );
        r[7] ^= 1;
        assert_eq!(parse_response(&r), Err(WireError::Checksum));
    }

    #[test]
    fn session_packets_parse_back_and_verify() {
        let k = keys();
        let msg = ipmi_request(0x06, 0x3B, 1, &[4]);
        let pkt = session_packet(&k, 0xA1B2C3D4, 7, [9; 16], &msg).unwrap();
        let p = parse_packet(&pkt, 12).unwrap();
        assert!(p.encrypted && p.authenticated);
        assert_eq!((p.session_id, p.seq, p.payload_type), (0xA1B2C3D4, 7, 0));
        assert!(k.verify(p.signed, p.auth_code));
        assert_eq!(p.signed.len() % 4, 0);
        assert_eq!(k.decrypt(p.payload).unwrap(), msg);
    }

    #[test]
    fn error_replies_are_short() {
        let o = parse_open_session(&[1, 0x11, 0, 0, 4, 3, 2, 1]).unwrap();
        assert_eq!((o.status, o.console_sid), (0x11, 0x01020304));
        assert!(parse_rakp2(&[1, 0, 0, 0, 1, 2, 3, 4, 5], 20).is_err());
        assert_eq!(
            parse_rakp2(&[1, 0x0D, 0, 0, 1, 2, 3, 4], 20)
                .unwrap()
                .status,
            0x0D
        );
        // ipmi_sim's refusal of suite 17: tag and status only.
        assert_eq!(parse_open_session(&[0x77, 0x04]).unwrap().status, 0x04);
        assert!(parse_open_session(&[0x77]).is_err());
        assert_eq!(
            cipher_suite_ids(&[0xC0, 3, 1, 0x41, 0x81, 0xC0, 17, 3, 0x44, 0x81, 0xC1, 9, 1, 2, 3]),
            vec![3, 17, 9]
        );
    }

    proptest! {
        #[test]
        fn no_reply_makes_a_parser_panic(b in proptest::collection::vec(any::<u8>(), 0..200), il in 0usize..40) {
            let k = keys();
            if let Ok(p) = parse_packet(&b, il) {
                let _ = k.verify(p.signed, p.auth_code);
                let _ = k.decrypt(p.payload);
                let _ = parse_open_session(p.payload);
                let _ = parse_rakp2(p.payload, 32);
                let _ = parse_rakp4(p.payload, 16);
                let _ = parse_response(p.payload);
            }
            let _ = parse_response(&b);
            let _ = parse_open_session(&b);
            let _ = parse_rakp2(&b, 20);
            let _ = parse_rakp4(&b, 12);
            let _ = k.decrypt(&b);
            let _ = cipher_suite_ids(&b);
        }

        #[test]
        fn authentic_replies_with_random_contents_do_not_panic(
            plain in proptest::collection::vec(any::<u8>(), 0..80), seq in any::<u32>(), iv in any::<[u8; 16]>()
        ) {
            // What a BMC holding the session keys could send: correctly framed, encrypted and
            // signed, with anything inside.
            let k = keys();
            let pkt = session_packet(&k, 7, seq, iv, &plain).unwrap();
            let p = parse_packet(&pkt, 12).unwrap();
            prop_assert!(k.verify(p.signed, p.auth_code));
            let d = k.decrypt(p.payload).unwrap();
            prop_assert_eq!(&d, &plain);
            let _ = parse_response(&d);
        }

        #[test]
        fn valid_headers_with_random_bodies_do_not_panic(
            kind in any::<u8>(), len in any::<u16>(), body in proptest::collection::vec(any::<u8>(), 0..120)
        ) {
            let mut b = RMCP_HEADER.to_vec();
            b.extend_from_slice(&[AUTH_TYPE_RMCPP, kind, 1, 0, 0, 0, 1, 0, 0, 0]);
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&body);
            for il in [0, 12, 16] {
                if let Ok(p) = parse_packet(&b, il) {
                    prop_assert!(p.payload.len() <= body.len());
                    let _ = keys().decrypt(p.payload);
                }
            }
        }
    }
}
