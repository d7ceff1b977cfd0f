//! Generic HTTP plugs, with the parameter names of the deployment hasan replaces: `power_on_url`,
//! `power_off_url`, `status_url` (a path on `ip`/`ipport` or a full URL), `status_on_regex` and
//! `status_off_regex` matched against the status reply, `http_method` for on/off.

use std::time::Instant;

use libfence::{FenceError, Power, PowerDevice, Secret};
use regex::Regex;
use reqwest::Url;

use crate::http::{excerpt, HttpDevice, Method};
use crate::reply::ReplyError;

/// The URLs and patterns of a generic plug.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// Switches the plug on.
    pub on: Url,
    /// Switches it off.
    pub off: Url,
    /// Reads its state.
    pub status: Url,
    /// Matches a status reply of a plug that is on.
    pub on_regex: Regex,
    /// Matches a status reply of a plug that is off.
    pub off_regex: Regex,
    /// Method of the on/off requests.
    pub method: Method,
}

/// Resolve a URL parameter: a full `http(s)://` URL, or a path on `base`. Credentials in a full
/// URL are taken out of it and returned (they become the login).
pub fn resolve(
    base: &Url,
    name: &str,
    value: &str,
) -> Result<(Url, Option<(String, Secret)>), FenceError> {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let mut url = if lower.starts_with("http://") || lower.starts_with("https://") {
        Url::parse(v).map_err(|e| FenceError::usage(format!("invalid {name}: not a URL ({e})")))?
    } else {
        let path = if v.starts_with('/') {
            v.to_owned()
        } else {
            format!("/{v}")
        };
        base.join(&path)
            .map_err(|e| FenceError::usage(format!("invalid {name}: not a path ({e})")))?
    };
    let login = if url.username().is_empty() && url.password().is_none() {
        None
    } else {
        let user = percent_decode(url.username());
        let pw = url.password().map(percent_decode).unwrap_or_default();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Some((user, Secret::new(pw.into_bytes())))
    };
    Ok((url, login))
}

fn percent_decode(s: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compile a status pattern.
pub fn pattern(name: &str, value: &str) -> Result<Regex, FenceError> {
    regex::RegexBuilder::new(value)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| FenceError::usage(format!("invalid {name}: not a regular expression")))
}

/// The state a status reply shows: exactly one of the patterns must match.
pub fn parse_status(body: &str, on: &Regex, off: &Regex) -> Result<Power, ReplyError> {
    match (on.is_match(body), off.is_match(body)) {
        (true, false) => Ok(Power::On),
        (false, true) => Ok(Power::Off),
        (true, true) => Err(ReplyError::Garbage(format!(
            "both status_on_regex and status_off_regex match {}",
            excerpt(body)
        ))),
        (false, false) => Err(ReplyError::Garbage(format!(
            "neither status_on_regex nor status_off_regex matches {}",
            excerpt(body)
        ))),
    }
}

/// A generic HTTP plug.
#[derive(Debug)]
pub struct Generic {
    http: HttpDevice,
    recipe: Recipe,
}

impl Generic {
    /// Wrap a client.
    pub fn new(http: HttpDevice, recipe: Recipe) -> Generic {
        Generic { http, recipe }
    }

    fn call(
        &mut self,
        method: Method,
        which: &str,
        deadline: Instant,
    ) -> Result<String, FenceError> {
        let url = match which {
            "power_on_url" => self.recipe.on.clone(),
            "power_off_url" => self.recipe.off.clone(),
            _ => self.recipe.status.clone(),
        };
        let r = self.http.request(method, &url, which, deadline)?;
        if !(200..300).contains(&r.status) {
            return Err(FenceError::Device(format!(
                "{}: {which}: HTTP {}: {}",
                self.http.name(),
                r.status,
                excerpt(&r.body)
            )));
        }
        Ok(r.body)
    }
}

impl PowerDevice for Generic {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        let body = self.call(Method::Get, "status_url", deadline)?;
        parse_status(&body, &self.recipe.on_regex, &self.recipe.off_regex)
            .map_err(|e| FenceError::Device(format!("{}: status_url: {e}", self.http.name())))
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        let which = if target == Power::On {
            "power_on_url"
        } else {
            "power_off_url"
        };
        self.call(self.recipe.method, which, deadline).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_full_urls() {
        let base = Url::parse("http://127.0.0.1:8080/").unwrap();
        let (u, l) = resolve(&base, "status_url", "relay?x=1").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:8080/relay?x=1");
        assert!(l.is_none());
        let (u, l) = resolve(
            &base,
            "power_on_url",
            "http://adm%40in:p%3Ass@10.1.2.3:81/on",
        )
        .unwrap();
        assert_eq!(u.as_str(), "http://10.1.2.3:81/on");
        let (user, pw) = l.unwrap();
        assert_eq!(user, "adm@in");
        assert_eq!(pw.expose(), b"p:ss");
        assert!(resolve(&base, "status_url", "http://[bad").is_err());
        let e = resolve(&base, "status_url", "http://u:hunter2@[bad")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn exactly_one_pattern_matches() {
        let on = pattern("status_on_regex", r#""state":\s*"on""#).unwrap();
        let off = pattern("status_off_regex", r#""state":\s*"off""#).unwrap();
        assert_eq!(parse_status(r#"{"state": "on"}"#, &on, &off), Ok(Power::On));
        assert_eq!(
            parse_status(r#"{"state":"off"}"#, &on, &off),
            Ok(Power::Off)
        );
        assert!(parse_status("garbage", &on, &off).is_err());
        let any = pattern("status_on_regex", ".").unwrap();
        assert!(parse_status(r#"{"state":"off"}"#, &any, &off).is_err());
        assert!(pattern("x", "(").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in proptest::prelude::any::<String>(), p in proptest::prelude::any::<String>()) {
            let base = Url::parse("http://127.0.0.1/").unwrap();
            let _ = resolve(&base, "status_url", &p);
            let _ = percent_decode(&p);
            if let Ok(on) = pattern("on", &p) {
                let off = pattern("off", "OFF").unwrap();
                let _ = parse_status(&s, &on, &off);
            }
        }
    }
}
