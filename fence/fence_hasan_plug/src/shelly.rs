//! Shelly relays: Gen1 (`GET /relay/<N>?turn=on|off`, `GET /relay/<N>` → `ison`, HTTP Basic) and
//! Gen2/Gen3 RPC over HTTP GET (`/rpc/Switch.Set?id=<N>&on=…` → `was_on`,
//! `/rpc/Switch.GetStatus?id=<N>` → `output`, HTTP Digest SHA-256 with user `admin`).

use std::time::Instant;

use libfence::{FenceError, Power, PowerDevice};
use reqwest::Url;

use crate::http::{excerpt, HttpDevice, Method};
use crate::reply::{json, ReplyError};

/// The generation of the RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Gen1 REST.
    Gen1,
    /// Gen2/Gen3/Gen4 RPC.
    Gen2,
}

/// Parse the relay/switch id from `plug` (empty: 0).
pub fn channel(plug: Option<&str>) -> Result<u32, FenceError> {
    match plug.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(0),
        Some(p) => p.parse::<u32>().ok().filter(|n| *n < 16).ok_or_else(|| {
            FenceError::usage(format!(
                "invalid plug {p:?} for shelly: expected a relay/switch id 0..15"
            ))
        }),
    }
}

/// `ison` of a Gen1 relay reply.
pub fn parse_gen1(body: &str) -> Result<Power, ReplyError> {
    bool_field(body, "ison")
}

/// `output` of a Gen2 `Switch.GetStatus` reply.
pub fn parse_gen2_status(body: &str) -> Result<Power, ReplyError> {
    bool_field(body, "output")
}

/// A Gen2 `Switch.Set` reply: `{"was_on": bool}`.
pub fn parse_gen2_set(body: &str) -> Result<(), ReplyError> {
    bool_field(body, "was_on").map(|_| ())
}

/// A Gen2 error reply: `{"code": -105, "message": "..."}`.
pub fn parse_gen2_error(body: &str) -> Option<String> {
    let v = json(body).ok()?;
    let code = v.get("code")?.as_i64()?;
    let msg = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
    Some(format!("RPC error {code}: {}", excerpt(msg)))
}

fn bool_field(body: &str, key: &str) -> Result<Power, ReplyError> {
    let v = json(body)?;
    match v.get(key) {
        Some(serde_json::Value::Bool(true)) => Ok(Power::On),
        Some(serde_json::Value::Bool(false)) => Ok(Power::Off),
        Some(x) => Err(ReplyError::Garbage(format!(
            "{key} is {x}, not true or false"
        ))),
        None => Err(ReplyError::Garbage(format!(
            "no {key} in {}",
            excerpt(body)
        ))),
    }
}

/// A Shelly relay.
#[derive(Debug)]
pub struct Shelly {
    http: HttpDevice,
    generation: Generation,
    channel: u32,
}

impl Shelly {
    /// Wrap a client.
    pub fn new(http: HttpDevice, generation: Generation, channel: u32) -> Shelly {
        Shelly {
            http,
            generation,
            channel,
        }
    }

    fn get(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
        deadline: Instant,
    ) -> Result<String, FenceError> {
        let mut url: Url = self.http.base().clone();
        url.set_path(path);
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        let r = self.http.request(Method::Get, &url, what, deadline)?;
        if r.status != 200 {
            let detail = parse_gen2_error(&r.body).unwrap_or_else(|| excerpt(&r.body));
            return Err(FenceError::Device(format!(
                "{}: {what}: HTTP {}: {detail}",
                self.http.name(),
                r.status
            )));
        }
        Ok(r.body)
    }

    fn reply_error(&self, what: &str, e: ReplyError) -> FenceError {
        FenceError::Device(format!("{}: {what}: {e}", self.http.name()))
    }
}

impl PowerDevice for Shelly {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        let id = self.channel;
        match self.generation {
            Generation::Gen1 => {
                let what = format!("relay {id} status");
                let body = self.get(&format!("/relay/{id}"), &[], &what, deadline)?;
                parse_gen1(&body).map_err(|e| self.reply_error(&what, e))
            }
            Generation::Gen2 => {
                let what = format!("Switch.GetStatus id {id}");
                let body = self.get(
                    "/rpc/Switch.GetStatus",
                    &[("id", id.to_string())],
                    &what,
                    deadline,
                )?;
                parse_gen2_status(&body).map_err(|e| self.reply_error(&what, e))
            }
        }
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        let id = self.channel;
        match self.generation {
            Generation::Gen1 => {
                let what = format!("relay {id} turn {target}");
                let body = self.get(
                    &format!("/relay/{id}"),
                    &[("turn", target.to_string())],
                    &what,
                    deadline,
                )?;
                parse_gen1(&body)
                    .map(|_| ())
                    .map_err(|e| self.reply_error(&what, e))
            }
            Generation::Gen2 => {
                let on = target == Power::On;
                let what = format!("Switch.Set id {id} on {on}");
                let body = self.get(
                    "/rpc/Switch.Set",
                    &[("id", id.to_string()), ("on", on.to_string())],
                    &what,
                    deadline,
                )?;
                parse_gen2_set(&body).map_err(|e| self.reply_error(&what, e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_replies() {
        assert_eq!(
            parse_gen1(
                r#"{"ison":true,"has_timer":false,"timer_started":0,"timer_duration":0,"timer_remaining":0,"source":"http"}"#
            ),
            Ok(Power::On)
        );
        assert_eq!(
            parse_gen2_status(
                r#"{"id":0,"source":"HTTP_in","output":false,"temperature":{"tC":41.2,"tF":106.2}}"#
            ),
            Ok(Power::Off)
        );
        assert_eq!(parse_gen2_set(r#"{"was_on":true}"#), Ok(()));
        assert!(parse_gen2_set(r#"{"id":1}"#).is_err());
        assert!(parse_gen1(r#"{"ison":"yes"}"#).is_err());
        assert_eq!(
            parse_gen2_error(r#"{"code":-105,"message":"Argument 'id', value 3 not found!"}"#)
                .as_deref(),
            Some("RPC error -105: Argument 'id', value 3 not found!")
        );
    }

    #[test]
    fn channels() {
        assert_eq!(channel(None).unwrap(), 0);
        assert_eq!(channel(Some("1")).unwrap(), 1);
        assert!(channel(Some("node1")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in proptest::prelude::any::<String>()) {
            let _ = parse_gen1(&s);
            let _ = parse_gen2_status(&s);
            let _ = parse_gen2_set(&s);
            let _ = parse_gen2_error(&s);
        }
        #[test]
        fn parsers_never_panic_on_json_like(s in r#"\{("(ison|output|was_on|code|message)":(true|false|-?[0-9]{1,20}|"x"|null|\{\}),?){0,4}\}"#) {
            let _ = parse_gen1(&s);
            let _ = parse_gen2_status(&s);
            let _ = parse_gen2_error(&s);
        }
    }
}
