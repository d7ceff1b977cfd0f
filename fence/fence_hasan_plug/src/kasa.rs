//! TP-Link Kasa legacy local protocol: TCP 9999, a 4-byte big-endian length then JSON encrypted
//! with the XOR autokey cipher (initial key 171); `system.get_sysinfo` (`relay_state`, strips:
//! `children[].state`) and `system.set_relay_state` (strips: with `context.child_ids`). Newer
//! firmware that speaks only KLAP refuses this protocol: that is said in the error.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::time::{Duration, Instant};

use libfence::{FenceError, Power, PowerDevice};
use serde_json::{json, Value};

use crate::reply::{json as parse_json, ReplyError};

/// The legacy protocol's port.
pub const PORT: u16 = 9999;
/// Largest reply accepted (a 6-outlet strip's sysinfo is about 2 KiB).
pub const REPLY_CAP: usize = 64 * 1024;
const KEY: u8 = 171;

/// Encrypt a request: length prefix, then each byte XORed with the previous cipher byte.
pub fn encrypt(plain: &[u8]) -> Vec<u8> {
    let len = u32::try_from(plain.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(plain.len() + 4);
    out.extend_from_slice(&len.to_be_bytes());
    let mut key = KEY;
    for &b in plain {
        key ^= b;
        out.push(key);
    }
    out
}

/// Decrypt a reply payload (without its length prefix).
pub fn decrypt(cipher: &[u8]) -> Vec<u8> {
    let mut key = KEY;
    cipher
        .iter()
        .map(|&c| {
            let p = key ^ c;
            key = c;
            p
        })
        .collect()
}

/// One outlet of a strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    /// The child id as the set command wants it (device id + 2-digit index).
    pub id: String,
    /// The name set in the Kasa app.
    pub alias: String,
    /// Its state.
    pub power: Power,
}

/// What `get_sysinfo` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sysinfo {
    /// The device id.
    pub device_id: String,
    /// The relay of a single plug (`relay_state`).
    pub relay: Option<Power>,
    /// The outlets of a strip.
    pub outlets: Vec<Outlet>,
}

fn err_code(v: &Value) -> Result<(), ReplyError> {
    match v.get("err_code").and_then(Value::as_i64) {
        Some(0) | None => Ok(()),
        Some(c) => Err(ReplyError::Device(format!(
            "err_code {c}: {}",
            v.get("err_msg")
                .and_then(Value::as_str)
                .unwrap_or("no message")
        ))),
    }
}

fn state(v: &Value) -> Option<Power> {
    match v.as_i64()? {
        1 => Some(Power::On),
        0 => Some(Power::Off),
        _ => None,
    }
}

/// Parse a `get_sysinfo` reply.
pub fn parse_sysinfo(text: &str) -> Result<Sysinfo, ReplyError> {
    let v = parse_json(text)?;
    let s = v
        .get("system")
        .and_then(|s| s.get("get_sysinfo"))
        .ok_or_else(|| ReplyError::Garbage("no system.get_sysinfo in the reply".into()))?;
    err_code(s)?;
    let device_id = s
        .get("deviceId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut outlets = Vec::new();
    if let Some(children) = s.get("children").and_then(Value::as_array) {
        for c in children {
            let short = c
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| ReplyError::Garbage("a child without id".into()))?;
            let id = if short.starts_with(&device_id) {
                short.to_owned()
            } else {
                format!("{device_id}{short}")
            };
            let power = c
                .get("state")
                .and_then(state)
                .ok_or_else(|| ReplyError::Garbage(format!("child {short} has no state 0/1")))?;
            let alias = c
                .get("alias")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            outlets.push(Outlet { id, alias, power });
        }
    }
    let relay = match s.get("relay_state") {
        Some(r) => Some(
            state(r).ok_or_else(|| ReplyError::Garbage(format!("relay_state is {r}, not 0/1")))?,
        ),
        None => None,
    };
    if relay.is_none() && outlets.is_empty() {
        return Err(ReplyError::Garbage(
            "neither relay_state nor children in get_sysinfo: not a plug".into(),
        ));
    }
    Ok(Sysinfo {
        device_id,
        relay,
        outlets,
    })
}

/// Parse a `set_relay_state` reply.
pub fn parse_set(text: &str) -> Result<(), ReplyError> {
    let v = parse_json(text)?;
    let s = v
        .get("system")
        .and_then(|s| s.get("set_relay_state"))
        .ok_or_else(|| ReplyError::Garbage("no system.set_relay_state in the reply".into()))?;
    if s.get("err_code").is_none() {
        return Err(ReplyError::Garbage(
            "set_relay_state without err_code".into(),
        ));
    }
    err_code(s)
}

/// Which outlet `plug` names: its full or short id, its alias, or its number 1..N.
pub fn find_outlet<'a>(outlets: &'a [Outlet], device_id: &str, plug: &str) -> Option<&'a Outlet> {
    let p = plug.trim();
    outlets
        .iter()
        .find(|o| o.id == p || o.id == format!("{device_id}{p}"))
        .or_else(|| outlets.iter().find(|o| !o.alias.is_empty() && o.alias == p))
        .or_else(|| {
            p.parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .and_then(|n| outlets.get(n - 1))
        })
}

/// A Kasa plug or one outlet of a strip.
#[derive(Debug)]
pub struct Kasa {
    addr: String,
    io_timeout: Duration,
    plug: Option<String>,
}

impl Kasa {
    /// `host` (and port, default 9999); `plug` names an outlet of a strip.
    pub fn new(host: &str, port: u16, io_timeout: Duration, plug: Option<String>) -> Kasa {
        let addr = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Kasa {
            addr,
            io_timeout,
            plug: plug.filter(|p| !p.trim().is_empty()),
        }
    }

    fn name(&self) -> String {
        format!("kasa {}", self.addr)
    }

    fn resolve(&self) -> Result<SocketAddr, FenceError> {
        self.addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                FenceError::Unreachable(format!("{}: cannot resolve the address", self.name()))
            })
    }

    /// Send one request and return the decrypted reply text.
    pub fn query(
        &self,
        request: &Value,
        what: &str,
        deadline: Instant,
    ) -> Result<String, FenceError> {
        let name = self.name();
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(FenceError::Timeout(format!(
                "{name}: {what}: the action's deadline passed"
            )));
        }
        let timeout = left.min(self.io_timeout);
        let until = Instant::now() + timeout;
        let addr = self.resolve()?;
        let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => FenceError::Unreachable(format!(
                "{name}: {what}: connection refused on the legacy Kasa port: the plug is off the \
                 network, or its firmware speaks only the newer KLAP protocol, which fence_kasa does not"
            )),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => FenceError::Unreachable(
                format!("{name}: {what}: no connection within {:.1} s", timeout.as_secs_f64()),
            ),
            _ => FenceError::Unreachable(format!("{name}: {what}: cannot connect ({e})")),
        })?;
        let _ = s.set_nodelay(true);
        let io = |e: std::io::Error| -> FenceError {
            if matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                FenceError::Unreachable(format!(
                    "{name}: {what}: no complete answer within {:.1} s",
                    timeout.as_secs_f64()
                ))
            } else if matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) {
                FenceError::Refused(format!(
                    "{name}: {what}: the device closed the connection without answering the legacy \
                     Kasa protocol: its firmware speaks only KLAP, which fence_kasa does not support"
                ))
            } else {
                FenceError::Unreachable(format!("{name}: {what}: {e}"))
            }
        };
        let set_timeouts = |s: &TcpStream| -> Result<(), FenceError> {
            let t = until.saturating_duration_since(Instant::now());
            if t.is_zero() {
                return Err(FenceError::Unreachable(format!(
                    "{name}: {what}: no complete answer within {:.1} s",
                    timeout.as_secs_f64()
                )));
            }
            let _ = s.set_read_timeout(Some(t));
            let _ = s.set_write_timeout(Some(t));
            Ok(())
        };
        set_timeouts(&s)?;
        s.write_all(&encrypt(request.to_string().as_bytes()))
            .map_err(io)?;
        let mut len = [0u8; 4];
        read_full(&mut s, &mut len, &set_timeouts).map_err(|e| e.map_or_else(|f| f, io))?;
        let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if len > REPLY_CAP {
            return Err(FenceError::Device(format!(
                "{name}: {what}: reply of {len} bytes refused (more than {} KiB)",
                REPLY_CAP / 1024
            )));
        }
        let mut payload = vec![0u8; len];
        read_full(&mut s, &mut payload, &set_timeouts).map_err(|e| e.map_or_else(|f| f, io))?;
        Ok(String::from_utf8_lossy(&decrypt(&payload)).into_owned())
    }

    fn sysinfo(&self, deadline: Instant) -> Result<Sysinfo, FenceError> {
        let what = "get_sysinfo";
        let text = self.query(&json!({"system": {"get_sysinfo": {}}}), what, deadline)?;
        parse_sysinfo(&text).map_err(|e| self.reply_error(what, e))
    }

    fn reply_error(&self, what: &str, e: ReplyError) -> FenceError {
        FenceError::Device(format!("{}: {what}: {e}", self.name()))
    }

    /// The outlet this agent controls on a strip (`None` for a single plug).
    fn outlet<'a>(&self, info: &'a Sysinfo) -> Result<Option<&'a Outlet>, FenceError> {
        if info.outlets.is_empty() {
            return Ok(None);
        }
        let Some(p) = &self.plug else {
            return Err(FenceError::usage(format!(
                "{}: this is a strip with {} outlets: set plug to an outlet's id, alias or number 1..{}",
                self.name(),
                info.outlets.len(),
                info.outlets.len()
            )));
        };
        find_outlet(&info.outlets, &info.device_id, p)
            .map(Some)
            .ok_or_else(|| {
                FenceError::usage(format!(
                    "{}: no outlet {p:?} on this strip (outlets: {})",
                    self.name(),
                    info.outlets
                        .iter()
                        .enumerate()
                        .map(|(i, o)| format!("{} {:?}", i + 1, o.alias))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// The outlets of a strip (empty for a single plug): for the `list` action.
    pub fn outlets(&self, deadline: Instant) -> Result<Vec<Outlet>, FenceError> {
        Ok(self.sysinfo(deadline)?.outlets)
    }
}

/// Read exactly `buf.len()` bytes, renewing the timeouts before each read. Inner `Err(Ok(e))`
/// is a fence error already; `Err(Err(io))` an I/O error to classify.
fn read_full(
    s: &mut TcpStream,
    buf: &mut [u8],
    set_timeouts: &dyn Fn(&TcpStream) -> Result<(), FenceError>,
) -> Result<(), Result<std::io::Error, FenceError>> {
    let mut got = 0;
    while got < buf.len() {
        set_timeouts(s).map_err(Err)?;
        match s.read(&mut buf[got..]) {
            Ok(0) => return Err(Ok(std::io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Ok(e)),
        }
    }
    Ok(())
}

impl PowerDevice for Kasa {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        let info = self.sysinfo(deadline)?;
        match self.outlet(&info)? {
            Some(o) => Ok(o.power),
            None => info.relay.ok_or_else(|| {
                self.reply_error("get_sysinfo", ReplyError::Garbage("no relay_state".into()))
            }),
        }
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        let info = self.sysinfo(deadline)?;
        let state = u8::from(target == Power::On);
        let req = match self.outlet(&info)? {
            Some(o) => {
                json!({"context": {"child_ids": [o.id]}, "system": {"set_relay_state": {"state": state}}})
            }
            None => json!({"system": {"set_relay_state": {"state": state}}}),
        };
        let what = format!("set_relay_state {state}");
        let text = self.query(&req, &what, deadline)?;
        parse_set(&text).map_err(|e| self.reply_error(&what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autokey_matches_the_published_example() {
        // {"system":{"get_sysinfo":{}}} as every write-up of the protocol shows it.
        let c = encrypt(br#"{"system":{"get_sysinfo":{}}}"#);
        assert_eq!(&c[..4], &[0, 0, 0, 29]);
        assert_eq!(&c[4..8], &[0xd0, 0xf2, 0x81, 0xf8]);
        assert_eq!(decrypt(&c[4..]), br#"{"system":{"get_sysinfo":{}}}"#);
    }

    #[test]
    fn plugs_and_strips() {
        let plug = r#"{"system":{"get_sysinfo":{"err_code":0,"deviceId":"80061","relay_state":1,"alias":"n1"}}}"#;
        let i = parse_sysinfo(plug).unwrap();
        assert_eq!(i.relay, Some(Power::On));
        assert!(i.outlets.is_empty());
        let strip = r#"{"system":{"get_sysinfo":{"err_code":0,"deviceId":"8006AB","children":[
            {"id":"8006AB00","state":1,"alias":"node1"},{"id":"01","state":0,"alias":"node2"}]}}}"#;
        let i = parse_sysinfo(strip).unwrap();
        assert_eq!(i.outlets[1].id, "8006AB01");
        for p in ["8006AB01", "01", "node2", "2"] {
            assert_eq!(
                find_outlet(&i.outlets, &i.device_id, p).map(|o| o.power),
                Some(Power::Off),
                "{p}"
            );
        }
        assert!(find_outlet(&i.outlets, &i.device_id, "3").is_none());
        assert!(find_outlet(&i.outlets, &i.device_id, "0").is_none());
        assert!(matches!(
            parse_sysinfo(
                r#"{"system":{"get_sysinfo":{"err_code":-1,"err_msg":"module not support"}}}"#
            ),
            Err(ReplyError::Device(_))
        ));
        assert_eq!(
            parse_set(r#"{"system":{"set_relay_state":{"err_code":0}}}"#),
            Ok(())
        );
        assert!(parse_set(
            r#"{"system":{"set_relay_state":{"err_code":-2,"err_msg":"member not support"}}}"#
        )
        .is_err());
        assert!(parse_set(r#"{"system":{}}"#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn cipher_round_trips(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let c = encrypt(&b);
            proptest::prop_assert_eq!(decrypt(&c[4..]), b);
        }
        #[test]
        fn parsers_never_panic(s in proptest::prelude::any::<String>(), p in "[0-9a-zA-Z]{0,4}") {
            if let Ok(i) = parse_sysinfo(&s) { let _ = find_outlet(&i.outlets, &i.device_id, &p); }
            let _ = parse_set(&s);
        }
        #[test]
        fn parsers_never_panic_on_json_like(s in r#"\{"system":\{"get_sysinfo":\{("(err_code|relay_state|deviceId|children)":(0|1|-1|"x"|\[\{"id":"0[0-9]","state":[0-2]\}\]|null),?){0,4}\}\}\}"#) {
            let _ = parse_sysinfo(&s);
        }
    }
}
