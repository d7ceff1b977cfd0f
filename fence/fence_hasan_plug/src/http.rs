//! The HTTP(S) client every HTTP plug type shares: one device address, Basic or Digest (RFC 7616,
//! MD5 or SHA-256) authentication, per-request timeouts inside the action's deadline, redirects
//! followed only on the same host, reply bodies read with a size cap, and errors that never
//! carry a URL (a URL may hold credentials).

use std::io::Read as _;
use std::time::{Duration, Instant};

use libfence::{FenceError, Secret};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

/// Largest reply body accepted; a longer one fails the request.
pub const BODY_CAP: usize = 64 * 1024;
/// Most redirects followed (same host only).
pub const MAX_REDIRECTS: usize = 3;

/// The request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST (empty body).
    Post,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// How credentials are presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Basic with every request (as `curl -u` does).
    Basic,
    /// Whatever the device asks for in `WWW-Authenticate`: Digest (preferred) or Basic.
    Challenge,
    /// Not sent in headers: the caller puts them in the URL (Tasmota); a 401 means refused.
    Query,
}

/// Login name and password.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Login name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// How they are presented.
    pub mode: AuthMode,
}

/// Where and how to talk to a device.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://host:port/` or `https://host:port/` (no credentials, no path).
    pub base: Url,
    /// Accept any certificate and host name (self-signed device certificates).
    pub insecure: bool,
    /// Longest one request (connect, send, reply) may take.
    pub io_timeout: Duration,
    /// Credentials, if the device needs them.
    pub credentials: Option<Credentials>,
    /// Name of the device type for messages (`shelly2`).
    pub kind: &'static str,
}

/// A reply: status and a capped body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body as text (lossy UTF-8), at most [`BODY_CAP`] bytes.
    pub body: String,
}

enum Authorization {
    Basic(String, String),
    Digest(String),
}

/// A connected HTTP device.
#[derive(Debug)]
pub struct HttpDevice {
    client: Client,
    endpoint: Endpoint,
    digest: Option<digest_auth::WwwAuthenticateHeader>,
    basic_from_challenge: bool,
}

/// The host and port of a URL, for messages (never user, password, path or query).
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl HttpDevice {
    /// Build the client (nothing is sent yet).
    pub fn new(endpoint: Endpoint) -> Result<HttpDevice, FenceError> {
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().cloned();
            match first {
                Some(first)
                    if attempt.previous().len() <= MAX_REDIRECTS
                        && same_origin(&first, attempt.url()) =>
                {
                    attempt.follow()
                }
                _ => attempt.stop(),
            }
        });
        let client = Client::builder()
            .redirect(redirects)
            .connect_timeout(endpoint.io_timeout)
            .timeout(endpoint.io_timeout)
            .danger_accept_invalid_certs(endpoint.insecure)
            .danger_accept_invalid_hostnames(endpoint.insecure)
            .user_agent(concat!("fence_hasan_plug/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                FenceError::usage(format!(
                    "cannot set up the HTTP client: {}",
                    e.without_url()
                ))
            })?;
        Ok(HttpDevice {
            client,
            endpoint,
            digest: None,
            basic_from_challenge: false,
        })
    }

    /// The device as messages name it: `shelly2 127.0.0.1:8080`.
    pub fn name(&self) -> String {
        format!("{} {}", self.endpoint.kind, host_of(&self.endpoint.base))
    }

    /// The base URL (for building targets).
    pub fn base(&self) -> &Url {
        &self.endpoint.base
    }

    /// Send `method` to `url` (on this device or a full URL given by the user), answer any
    /// authentication challenge once, and return the reply. `what` names the request in
    /// messages (never the URL). Status codes are the caller's business, except 401/403.
    pub fn request(
        &mut self,
        method: Method,
        url: &Url,
        what: &str,
        deadline: Instant,
    ) -> Result<Reply, FenceError> {
        let mut answered_challenge = false;
        loop {
            let resp = self.send(method, url, what, deadline)?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED {
                let Some(creds) = &self.endpoint.credentials else {
                    return Err(self.refused(
                        what,
                        "the device asks for a login: set username and password",
                    ));
                };
                if answered_challenge
                    || creds.mode == AuthMode::Query
                    || (creds.mode == AuthMode::Basic
                        && self.digest.is_none()
                        && !has_digest(resp.headers()))
                {
                    return Err(self.refused(what, "login refused: check username and password"));
                }
                self.take_challenge(resp.headers(), what)?;
                answered_challenge = true;
                continue;
            }
            if status == StatusCode::FORBIDDEN {
                return Err(self.refused(
                    what,
                    "access forbidden (HTTP 403): check username and password",
                ));
            }
            if status.is_redirection() {
                return Err(FenceError::Device(format!(
                    "{}: {what}: HTTP {} redirect not followed (only redirects on the same host are)",
                    self.name(),
                    status.as_u16()
                )));
            }
            let body = self.read_body(resp, what)?;
            return Ok(Reply {
                status: status.as_u16(),
                body,
            });
        }
    }

    fn refused(&self, what: &str, why: &str) -> FenceError {
        FenceError::Refused(format!("{}: {what}: {why}", self.name()))
    }

    fn take_challenge(&mut self, headers: &HeaderMap, what: &str) -> Result<(), FenceError> {
        let challenges: Vec<&str> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        // Prefer SHA-256 digest, then any digest, then Basic.
        let digest = challenges
            .iter()
            .filter(|c| is_scheme(c, "digest"))
            .filter_map(|c| digest_auth::parse(c).ok())
            .max_by_key(|h| u8::from(h.algorithm.algo != digest_auth::AlgorithmType::MD5));
        if let Some(d) = digest {
            self.digest = Some(d);
            return Ok(());
        }
        if challenges.iter().any(|c| is_scheme(c, "basic")) {
            self.basic_from_challenge = true;
            return Ok(());
        }
        Err(self.refused(
            what,
            "the device asks for a login with an authentication scheme other than Basic or Digest",
        ))
    }

    fn authorization(
        &mut self,
        method: Method,
        url: &Url,
    ) -> Result<Option<Authorization>, FenceError> {
        let Some(creds) = &self.endpoint.credentials else {
            return Ok(None);
        };
        let password = std::str::from_utf8(creds.password.expose())
            .map_err(|_| FenceError::usage("the password is not valid UTF-8"))?;
        if let Some(prompt) = &mut self.digest {
            let uri = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            let ctx = digest_auth::AuthContext::new_with_method(
                creds.user.as_str(),
                password,
                uri,
                Option::<&[u8]>::None,
                digest_auth::HttpMethod(method.name().into()),
            );
            let h = prompt.respond(&ctx).map_err(|e| {
                FenceError::Device(format!(
                    "{} {}: unusable digest challenge: {e}",
                    self.endpoint.kind,
                    host_of(&self.endpoint.base)
                ))
            })?;
            return Ok(Some(Authorization::Digest(h.to_header_string())));
        }
        if creds.mode == AuthMode::Query {
            return Ok(None);
        }
        if creds.mode == AuthMode::Basic || self.basic_from_challenge {
            return Ok(Some(Authorization::Basic(
                creds.user.clone(),
                password.to_owned(),
            )));
        }
        Ok(None)
    }

    fn send(
        &mut self,
        method: Method,
        url: &Url,
        what: &str,
        deadline: Instant,
    ) -> Result<Response, FenceError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(FenceError::Timeout(format!(
                "{}: {what}: the action's deadline passed",
                self.name()
            )));
        }
        let timeout = left.min(self.endpoint.io_timeout);
        let mut req = match method {
            Method::Get => self.client.get(url.clone()),
            Method::Post => self.client.post(url.clone()).body(""),
        }
        .timeout(timeout);
        match self.authorization(method, url)? {
            Some(Authorization::Digest(h)) => req = req.header(AUTHORIZATION, h),
            Some(Authorization::Basic(user, password)) => {
                req = req.basic_auth(user, Some(password))
            }
            None => {}
        }
        tracing::debug!("{} {what}", self.name());
        req.send()
            .map_err(|e| self.transport_error(&e, what, timeout))
    }

    fn read_body(&self, resp: Response, what: &str) -> Result<String, FenceError> {
        let mut buf = Vec::new();
        let cap = u64::try_from(BODY_CAP).unwrap_or(u64::MAX);
        resp.take(cap + 1).read_to_end(&mut buf).map_err(|e| {
            let timed_out =
                e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timed out");
            if timed_out {
                FenceError::Unreachable(format!(
                    "{}: {what}: reply body not complete within the timeout",
                    self.name()
                ))
            } else {
                FenceError::Device(format!("{}: {what}: reading the reply failed", self.name()))
            }
        })?;
        if buf.len() > BODY_CAP {
            return Err(FenceError::Device(format!(
                "{}: {what}: reply larger than {} KiB refused",
                self.name(),
                BODY_CAP / 1024
            )));
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn transport_error(&self, e: &reqwest::Error, what: &str, timeout: Duration) -> FenceError {
        let name = self.name();
        if e.is_timeout() {
            return FenceError::Unreachable(format!(
                "{name}: {what}: no answer within {:.1} s",
                timeout.as_secs_f64()
            ));
        }
        if e.is_connect() {
            return FenceError::Unreachable(format!(
                "{name}: {what}: cannot connect ({})",
                root_cause(e)
            ));
        }
        FenceError::Device(format!("{name}: {what}: {}", root_cause(e)))
    }
}

/// The innermost error message, which for reqwest is the useful one (no URL: `without_url`
/// only strips the outer one, and inner causes never carry it).
fn root_cause(e: &reqwest::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let s = cur.to_string();
    if s.contains("://") {
        "request failed".to_owned()
    } else {
        s
    }
}

fn is_scheme(challenge: &str, scheme: &str) -> bool {
    challenge
        .trim_start()
        .split(|c: char| c.is_whitespace())
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

fn has_digest(h: &HeaderMap) -> bool {
    h.get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| is_scheme(c, "digest"))
}

/// The first line of a reply body, trimmed to 120 characters, control characters replaced.
pub fn excerpt(body: &str) -> String {
    let line = body.trim().lines().next().unwrap_or("").trim();
    let mut s: String = line
        .chars()
        .take(120)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if line.chars().count() > 120 {
        s.push('…');
    }
    if s.is_empty() {
        "(empty body)".to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_host_and_port_only() {
        let u = Url::parse("http://admin:hunter2@127.0.0.1:8080/cm?password=hunter2").unwrap();
        assert_eq!(host_of(&u), "127.0.0.1:8080");
        let u = Url::parse("https://plug.example/").unwrap();
        assert_eq!(host_of(&u), "plug.example:443");
    }

    #[test]
    fn excerpt_is_one_short_line() {
        assert_eq!(excerpt("  \n"), "(empty body)");
        assert_eq!(excerpt("a\x07b\nsecond"), "a?b");
        assert_eq!(excerpt(&"x".repeat(500)).chars().count(), 121);
    }

    #[test]
    fn challenge_schemes() {
        assert!(is_scheme("Digest realm=\"x\"", "digest"));
        assert!(is_scheme("  basic realm=x", "basic"));
        assert!(!is_scheme("Digestive", "digest"));
    }
}
