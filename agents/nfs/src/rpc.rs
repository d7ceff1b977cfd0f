//! An ONC RPC (RFC 5531) NULL call to nfsd over TCP, without a fork: the depth-10 monitor's
//! proof that nfsd answers on the service address.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// nfsd's RPC program number.
pub const NFS_PROGRAM: u32 = 100_003;
/// The NFS version asked for (a v3-only server answers PROG_MISMATCH, which still proves it).
pub const NFS_VERSION: u32 = 4;
/// nfsd's port.
pub const NFS_PORT: u16 = 2049;

const CALL: u32 = 0;
const REPLY: u32 = 1;
const MSG_ACCEPTED: u32 = 0;
const LAST_FRAGMENT: u32 = 0x8000_0000;

/// The bytes of a NULL call with transaction id `xid`, record mark included.
pub fn null_call(xid: u32, program: u32, version: u32) -> Vec<u8> {
    let words: [u32; 10] = [xid, CALL, 2, program, version, 0, 0, 0, 0, 0];
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(&(LAST_FRAGMENT | 40).to_be_bytes());
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out
}

/// How the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// accept_stat SUCCESS.
    Success,
    /// The program is served but not that version (still an answer from nfsd).
    ProgMismatch {
        /// Lowest version served.
        low: u32,
        /// Highest version served.
        high: u32,
    },
}

fn word(b: &[u8], i: usize) -> Result<u32, String> {
    b.get(i * 4..i * 4 + 4)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        .ok_or_else(|| format!("reply too short ({} bytes)", b.len()))
}

/// Decode a reply body (after the record mark) to the call `xid`.
pub fn parse_reply(body: &[u8], xid: u32) -> Result<Answer, String> {
    if word(body, 0)? != xid {
        return Err(format!("reply to another call (xid {:#x})", word(body, 0)?));
    }
    if word(body, 1)? != REPLY {
        return Err("not an RPC reply".into());
    }
    if word(body, 2)? != MSG_ACCEPTED {
        return Err(format!("call denied (reject_stat {})", word(body, 3)?));
    }
    // verifier: flavor, length, opaque body padded to 4 bytes
    let verf_len = word(body, 4)? as usize;
    let at = 5 + verf_len.div_ceil(4);
    match word(body, at)? {
        0 => Ok(Answer::Success),
        2 => Ok(Answer::ProgMismatch {
            low: word(body, at + 1)?,
            high: word(body, at + 2)?,
        }),
        1 => Err("program unavailable: nfsd is not registered".into()),
        s => Err(format!("call not accepted (accept_stat {s})")),
    }
}

/// Send a NULL call to nfsd at `addr` and wait for its answer, all within `timeout`.
pub fn ping(addr: SocketAddr, timeout: Duration) -> Result<Answer, String> {
    let timeout = timeout.max(Duration::from_millis(100));
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .and_then(|()| s.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let xid = std::process::id() ^ 0x6861_7361;
    s.write_all(&null_call(xid, NFS_PROGRAM, NFS_VERSION))
        .map_err(|e| format!("send: {e}"))?;
    let mut mark = [0u8; 4];
    s.read_exact(&mut mark)
        .map_err(|e| format!("no answer: {e}"))?;
    let len = (u32::from_be_bytes(mark) & !LAST_FRAGMENT) as usize;
    if len > 1024 {
        return Err(format!("reply of {len} bytes is not a NULL reply"));
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)
        .map_err(|e| format!("short answer: {e}"))?;
    parse_reply(&body, xid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    #[test]
    fn the_call_is_the_rfc_5531_null_call() {
        let c = null_call(0x1234, NFS_PROGRAM, 4);
        assert_eq!(
            c,
            words(&[0x8000_0028, 0x1234, 0, 2, 100_003, 4, 0, 0, 0, 0, 0])
        );
    }

    #[test]
    fn replies_are_decoded() {
        // recorded from a Debian 12 nfsd (tcpdump -X of rpcinfo -t 127.0.0.1 nfs 4), body only
        let ok = words(&[7, 1, 0, 0, 0, 0]);
        assert_eq!(parse_reply(&ok, 7), Ok(Answer::Success));
        let mismatch = words(&[7, 1, 0, 0, 0, 2, 3, 4]);
        assert_eq!(
            parse_reply(&mismatch, 7),
            Ok(Answer::ProgMismatch { low: 3, high: 4 })
        );
        assert!(parse_reply(&ok, 8).unwrap_err().contains("another call"));
        assert!(parse_reply(&words(&[7, 1, 1, 1]), 7)
            .unwrap_err()
            .contains("denied"));
        assert!(parse_reply(&words(&[7, 1, 0]), 7)
            .unwrap_err()
            .contains("too short"));
        assert!(parse_reply(&words(&[7, 1, 0, 0, 0, 1]), 7)
            .unwrap_err()
            .contains("unavailable"));
        // a verifier with a body (padded)
        let verf = words(&[7, 1, 0, 1, 5, 0xaaaa_aaaa, 0xbb00_0000, 0]);
        assert_eq!(parse_reply(&verf, 7), Ok(Answer::Success));
    }

    #[test]
    fn ping_talks_to_a_real_socket() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut call = [0u8; 44];
            c.read_exact(&mut call).unwrap();
            let xid = u32::from_be_bytes([call[4], call[5], call[6], call[7]]);
            c.write_all(&words(&[0x8000_0018, xid, 1, 0, 0, 0, 0]))
                .unwrap();
            call
        });
        assert_eq!(ping(addr, Duration::from_secs(5)), Ok(Answer::Success));
        let call = server.join().unwrap();
        assert_eq!(&call[16..24], &words(&[100_003, 4])[..]);
        // nobody listening: a clear error, quickly
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let e = ping(closed, Duration::from_secs(2)).unwrap_err();
        assert!(e.starts_with("connect:"), "{e}");
    }
}
