//! Tasmota: `GET /cm?cmnd=Power<N>` and `Power<N> On|Off`, credentials as `user=`/`password=`
//! query parameters; replies `{"POWER":"ON"}` or `{"POWER<N>":"ON"}`. A wrong password is HTTP
//! 401 on current firmware and HTTP 200 with a `WARNING` body on older firmware.

use std::time::Instant;

use libfence::{FenceError, Power, PowerDevice, Secret};
use reqwest::Url;

use crate::http::{excerpt, HttpDevice, Method};
use crate::reply::{json, power_word, ReplyError};

/// The relay: `None` for `Power` (the first/only relay), `Some(n)` for `Power<n>`.
pub type Relay = Option<u32>;

/// Parse the relay from `plug` (empty: the only relay; `1`..`32`).
pub fn relay(plug: Option<&str>) -> Result<Relay, FenceError> {
    match plug.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => match p.parse::<u32>() {
            Ok(n) if (1..=32).contains(&n) => Ok(Some(n)),
            _ => Err(FenceError::usage(format!(
                "invalid plug {p:?} for tasmota: expected a relay number 1..32"
            ))),
        },
    }
}

/// The power state in a reply to `Power<N>` (with or without On/Off).
pub fn parse_power(body: &str, relay: Relay) -> Result<Power, ReplyError> {
    let v = json(body)?;
    let obj = v
        .as_object()
        .ok_or_else(|| ReplyError::Garbage(excerpt(body)))?;
    if let Some(w) = obj.get("WARNING").and_then(|w| w.as_str()) {
        if w.to_ascii_lowercase().contains("password") || w.to_ascii_lowercase().contains("user") {
            return Err(ReplyError::Auth(format!("Tasmota says {w:?}")));
        }
        return Err(ReplyError::Device(format!("Tasmota says {w:?}")));
    }
    if obj.get("Command").and_then(|c| c.as_str()) == Some("Unknown") {
        return Err(ReplyError::Device(format!(
            "Tasmota does not know relay {} (Command Unknown)",
            relay.unwrap_or(1)
        )));
    }
    let keys: Vec<String> = match relay {
        None => vec!["POWER".into(), "POWER1".into()],
        Some(1) => vec!["POWER1".into(), "POWER".into()],
        Some(n) => vec![format!("POWER{n}")],
    };
    for k in &keys {
        if let Some(x) = obj.get(k) {
            return power_word(x)
                .ok_or_else(|| ReplyError::Garbage(format!("{k} is {x}, not ON or OFF")));
        }
    }
    Err(ReplyError::Garbage(format!(
        "no {} in {}",
        keys[0],
        excerpt(body)
    )))
}

/// A Tasmota device.
#[derive(Debug)]
pub struct Tasmota {
    http: HttpDevice,
    relay: Relay,
    login: Option<(String, Secret)>,
}

impl Tasmota {
    /// Wrap a client; `login` goes into the query (Tasmota's web password).
    pub fn new(http: HttpDevice, relay: Relay, login: Option<(String, Secret)>) -> Tasmota {
        Tasmota { http, relay, login }
    }

    fn command(&mut self, cmnd: &str, deadline: Instant) -> Result<Power, FenceError> {
        let mut url: Url = self.http.base().clone();
        url.set_path("/cm");
        {
            let mut q = url.query_pairs_mut();
            if let Some((user, pw)) = &self.login {
                q.append_pair("user", user);
                q.append_pair("password", &String::from_utf8_lossy(pw.expose()));
            }
            q.append_pair("cmnd", cmnd);
        }
        let r = self.http.request(Method::Get, &url, cmnd, deadline)?;
        let name = self.http.name();
        if r.status != 200 {
            return Err(FenceError::Device(format!(
                "{name}: {cmnd}: HTTP {}: {}",
                r.status,
                excerpt(&r.body)
            )));
        }
        parse_power(&r.body, self.relay).map_err(|e| match e {
            ReplyError::Auth(_) => FenceError::Refused(format!("{name}: {cmnd}: {e}")),
            _ => FenceError::Device(format!("{name}: {cmnd}: {e}")),
        })
    }

    fn power_cmnd(&self) -> String {
        match self.relay {
            None => "Power".to_owned(),
            Some(n) => format!("Power{n}"),
        }
    }
}

impl PowerDevice for Tasmota {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        let c = self.power_cmnd();
        self.command(&c, deadline)
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        let c = format!(
            "{} {}",
            self.power_cmnd(),
            if target == Power::On { "On" } else { "Off" }
        );
        // The reply echoes the new state; the caller verifies it by polling anyway.
        self.command(&c, deadline).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_replies() {
        assert_eq!(parse_power(r#"{"POWER":"ON"}"#, None), Ok(Power::On));
        assert_eq!(parse_power(r#"{"POWER":"OFF"}"#, Some(1)), Ok(Power::Off));
        assert_eq!(parse_power(r#"{"POWER2":"ON"}"#, Some(2)), Ok(Power::On));
        assert!(parse_power(r#"{"POWER1":"ON"}"#, Some(2)).is_err());
        assert!(matches!(
            parse_power(
                r#"{"WARNING":"Need user=<username>&password=<password>"}"#,
                None
            ),
            Err(ReplyError::Auth(_))
        ));
        assert!(matches!(
            parse_power(r#"{"Command":"Unknown"}"#, Some(3)),
            Err(ReplyError::Device(_))
        ));
        assert!(parse_power("<html>", None).is_err());
        assert!(parse_power(r#"{"POWER":"MAYBE"}"#, None).is_err());
    }

    #[test]
    fn relay_numbers() {
        assert_eq!(relay(None).unwrap(), None);
        assert_eq!(relay(Some("2")).unwrap(), Some(2));
        assert!(relay(Some("node1")).is_err());
        assert!(relay(Some("0")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in proptest::prelude::any::<String>(), n in proptest::option::of(0u32..40)) {
            let _ = parse_power(&s, n);
        }
        #[test]
        fn parser_never_panics_on_json_like(s in r#"\{("(POWER[0-9]?|WARNING|Command)":("ON"|"OFF"|1|null|\[\]|"x"),?){0,4}\}"#) {
            let _ = parse_power(&s, Some(1));
        }
    }
}
