//! ESPHome's web server REST API: `POST /switch/<id>/turn_on|turn_off`, `GET /switch/<id>` →
//! `{"id":"switch-<id>","state":"ON","value":true}`; optional Basic or Digest login.

use std::time::Instant;

use libfence::{FenceError, Power, PowerDevice};
use reqwest::Url;

use crate::http::{excerpt, HttpDevice, Method};
use crate::reply::{json, power_word, ReplyError};

/// Check a switch id (the object id, e.g. `relay`, or the entity name ESPHome 2025 accepts).
pub fn switch_id(plug: Option<&str>) -> Result<String, FenceError> {
    let p = plug
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            FenceError::usage("esphome needs the switch's id in plug (or switch_name), e.g. relay")
        })?;
    if p.len() > 128 || p.chars().any(|c| c.is_control() || c == '/') {
        return Err(FenceError::usage(format!(
            "invalid switch id {p:?}: no '/' or control characters, at most 128 bytes"
        )));
    }
    Ok(p.to_owned())
}

/// The state in a `GET /switch/<id>` reply: `state` ("ON"/"OFF"), else `value` (bool).
pub fn parse_state(body: &str) -> Result<Power, ReplyError> {
    let v = json(body)?;
    for k in ["state", "value"] {
        if let Some(x) = v.get(k) {
            return power_word(x)
                .ok_or_else(|| ReplyError::Garbage(format!("{k} is {x}, not ON or OFF")));
        }
    }
    Err(ReplyError::Garbage(format!(
        "no state in {}",
        excerpt(body)
    )))
}

/// An ESPHome switch.
#[derive(Debug)]
pub struct Esphome {
    http: HttpDevice,
    id: String,
}

impl Esphome {
    /// Wrap a client.
    pub fn new(http: HttpDevice, id: String) -> Esphome {
        Esphome { http, id }
    }

    fn url(&self, action: Option<&str>) -> Result<Url, FenceError> {
        let mut url = self.http.base().clone();
        {
            let mut seg = url
                .path_segments_mut()
                .map_err(|()| FenceError::usage("the device address cannot take a path"))?;
            seg.clear().push("switch").push(&self.id);
            if let Some(a) = action {
                seg.push(a);
            }
        }
        Ok(url)
    }

    fn check_status(&self, what: &str, status: u16, body: &str) -> Result<(), FenceError> {
        match status {
            200..=299 => Ok(()),
            404 => Err(FenceError::Device(format!(
                "{}: {what}: HTTP 404: no switch {:?} on this device",
                self.http.name(),
                self.id
            ))),
            s => Err(FenceError::Device(format!(
                "{}: {what}: HTTP {s}: {}",
                self.http.name(),
                excerpt(body)
            ))),
        }
    }
}

impl PowerDevice for Esphome {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        let what = format!("switch {} status", self.id);
        let url = self.url(None)?;
        let r = self.http.request(Method::Get, &url, &what, deadline)?;
        self.check_status(&what, r.status, &r.body)?;
        parse_state(&r.body)
            .map_err(|e| FenceError::Device(format!("{}: {what}: {e}", self.http.name())))
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        let action = if target == Power::On {
            "turn_on"
        } else {
            "turn_off"
        };
        let what = format!("switch {} {action}", self.id);
        let url = self.url(Some(action))?;
        let r = self.http.request(Method::Post, &url, &what, deadline)?;
        self.check_status(&what, r.status, &r.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_replies() {
        assert_eq!(
            parse_state(r#"{"id":"switch-relay","state":"ON","value":true}"#),
            Ok(Power::On)
        );
        assert_eq!(
            parse_state(r#"{"id":"switch-relay","value":false}"#),
            Ok(Power::Off)
        );
        assert!(parse_state(r#"{"id":"switch-relay","state":"UNKNOWN"}"#).is_err());
        assert!(parse_state("OK").is_err());
    }

    #[test]
    fn ids() {
        assert_eq!(switch_id(Some(" relay ")).unwrap(), "relay");
        assert!(switch_id(None).is_err());
        assert!(switch_id(Some("a/b")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in proptest::prelude::any::<String>()) {
            let _ = parse_state(&s);
        }
    }
}
