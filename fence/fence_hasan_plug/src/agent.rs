//! Options → a validated [`Target`] (no I/O), and a target → a connected plug: the glue between
//! libfence and the protocol modules. The three entry points (fence_hasan_plug, fence_kasa,
//! fence_http) differ only in their table and in whether the type is fixed.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use libfence::FenceSpec;
use libfence::{FenceAgent, FenceError, Options, Outlet, Power, PowerDevice, Secret};
use reqwest::Url;

use crate::esphome::{self, Esphome};
use crate::generic::{self, Generic, Recipe};
use crate::http::{AuthMode, Credentials, Endpoint, HttpDevice, Method};
use crate::kasa::{self, Kasa};
use crate::params;
use crate::shelly::{self, Generation, Shelly};
use crate::tasmota::{self, Tasmota};

/// A device type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlugType {
    /// Tasmota.
    Tasmota,
    /// Shelly Gen1.
    Shelly1,
    /// Shelly Gen2/Gen3 RPC.
    Shelly2,
    /// ESPHome web server.
    Esphome,
    /// TP-Link Kasa legacy protocol.
    Kasa,
    /// Generic HTTP.
    Http,
}

impl PlugType {
    /// Parse `plug_type` (one of [`params::TYPES`]).
    pub fn parse(s: &str) -> Option<PlugType> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "tasmota" => PlugType::Tasmota,
            "shelly1" => PlugType::Shelly1,
            "shelly2" => PlugType::Shelly2,
            "esphome" => PlugType::Esphome,
            "kasa" => PlugType::Kasa,
            "http" => PlugType::Http,
            _ => return None,
        })
    }

    /// The name in `plug_type`.
    pub fn name(self) -> &'static str {
        match self {
            PlugType::Tasmota => "tasmota",
            PlugType::Shelly1 => "shelly1",
            PlugType::Shelly2 => "shelly2",
            PlugType::Esphome => "esphome",
            PlugType::Kasa => "kasa",
            PlugType::Http => "http",
        }
    }
}

/// What a type needs besides the address.
#[derive(Debug, Clone)]
enum Channel {
    Tasmota(tasmota::Relay),
    Shelly(Generation, u32),
    Esphome(String),
    Kasa(Option<String>),
    Http(Box<Recipe>),
}

/// The validated configuration (no password yet: it is fetched when connecting).
#[derive(Debug, Clone)]
pub struct Target {
    kind: PlugType,
    host: String,
    base: Url,
    insecure: bool,
    io_timeout: Duration,
    username: Option<String>,
    channel: Channel,
    /// Credentials found in a URL parameter (http type).
    url_login: Option<(String, Secret)>,
}

/// Which entry point: its table and its fixed type.
pub trait Flavour: std::fmt::Debug {
    /// The table.
    const SPEC: &'static FenceSpec;
    /// The type, when the entry point fixes it.
    const FIXED: Option<PlugType>;
}

/// `fence_hasan_plug`.
#[derive(Debug)]
pub struct AnyPlug;
impl Flavour for AnyPlug {
    const SPEC: &'static FenceSpec = &params::PLUG_SPEC;
    const FIXED: Option<PlugType> = None;
}

/// `fence_kasa`.
#[derive(Debug)]
pub struct KasaPlug;
impl Flavour for KasaPlug {
    const SPEC: &'static FenceSpec = &params::KASA_SPEC;
    const FIXED: Option<PlugType> = Some(PlugType::Kasa);
}

/// `fence_http`.
#[derive(Debug)]
pub struct HttpPlug;
impl Flavour for HttpPlug {
    const SPEC: &'static FenceSpec = &params::HTTP_SPEC;
    const FIXED: Option<PlugType> = Some(PlugType::Http);
}

/// The agent of entry point `F`.
#[derive(Debug)]
pub struct PlugAgent<F: Flavour> {
    target: Target,
    flavour: PhantomData<F>,
}

impl<F: Flavour> PlugAgent<F> {
    /// The validated target.
    pub fn target(&self) -> &Target {
        &self.target
    }
}

fn port(o: &Options, kind: PlugType, ssl: bool) -> Result<u16, FenceError> {
    match o.int("ipport")? {
        None => Ok(match (kind, ssl) {
            (PlugType::Kasa, _) => kasa::PORT,
            (_, true) => 443,
            _ => 80,
        }),
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| FenceError::usage("invalid ipport: expected 1-65535")),
    }
}

fn base_url(host: &str, port: u16, ssl: bool) -> Result<Url, FenceError> {
    let bad = || {
        FenceError::usage(format!(
            "invalid ip {host:?}: expected an address or host name"
        ))
    };
    if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
        return Err(bad());
    }
    let h = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let scheme = if ssl { "https" } else { "http" };
    Url::parse(&format!("{scheme}://{h}:{port}/")).map_err(|_| bad())
}

impl Target {
    /// Validate options for type `kind` (touches nothing).
    pub fn from_options(o: &Options, kind: PlugType) -> Result<Target, FenceError> {
        let host = o.required("ip")?.trim().to_owned();
        let ssl = o.flag("ssl") || o.flag("ssl_insecure");
        if ssl && kind == PlugType::Kasa {
            return Err(FenceError::usage(
                "kasa: the legacy protocol has no TLS; unset ssl",
            ));
        }
        let port = port(o, kind, ssl)?;
        let base = base_url(&host, port, ssl)?;
        let plug = o.str("plug").map(str::trim).filter(|p| !p.is_empty());
        let mut url_login = None;
        let channel = match kind {
            PlugType::Tasmota => Channel::Tasmota(tasmota::relay(plug)?),
            PlugType::Shelly1 => Channel::Shelly(Generation::Gen1, shelly::channel(plug)?),
            PlugType::Shelly2 => Channel::Shelly(Generation::Gen2, shelly::channel(plug)?),
            PlugType::Esphome => {
                Channel::Esphome(esphome::switch_id(plug.or(o.str("switch_name")))?)
            }
            PlugType::Kasa => Channel::Kasa(plug.map(str::to_owned)),
            PlugType::Http => {
                let mut url = |name: &str| -> Result<Url, FenceError> {
                    let v = o.str(name).ok_or_else(|| {
                        FenceError::usage(format!("http: missing required parameter {name}"))
                    })?;
                    let (u, login) = generic::resolve(&base, name, v)?;
                    if url_login.is_none() {
                        url_login = login;
                    }
                    Ok(u)
                };
                let recipe = Recipe {
                    on: url("power_on_url")?,
                    off: url("power_off_url")?,
                    status: url("status_url")?,
                    on_regex: generic::pattern(
                        "status_on_regex",
                        o.str("status_on_regex").ok_or_else(|| {
                            FenceError::usage("http: missing required parameter status_on_regex (the state must be read back)")
                        })?,
                    )?,
                    off_regex: generic::pattern(
                        "status_off_regex",
                        o.str("status_off_regex").ok_or_else(|| {
                            FenceError::usage("http: missing required parameter status_off_regex (the state must be read back)")
                        })?,
                    )?,
                    method: if o.select("http_method").as_deref() == Some("post") {
                        Method::Post
                    } else {
                        Method::Get
                    },
                };
                Channel::Http(Box::new(recipe))
            }
        };
        let io_timeout = o.seconds("login_timeout")?;
        if io_timeout.is_zero() {
            return Err(FenceError::usage(
                "login_timeout must be more than 0 seconds",
            ));
        }
        Ok(Target {
            kind,
            host,
            base,
            insecure: o.flag("ssl_insecure"),
            io_timeout,
            username: o.str("username").map(str::to_owned),
            channel,
            url_login,
        })
    }

    /// The type.
    pub fn kind(&self) -> PlugType {
        self.kind
    }

    /// Connect: fetch the password and build the protocol client (nothing is sent yet).
    pub fn connect(&self, o: &Options, deadline: Instant) -> Result<Plug, FenceError> {
        let password = match self.kind {
            PlugType::Kasa => None,
            _ => o.password(deadline)?,
        };
        let user = |default: Option<&str>| -> Option<String> {
            self.username.clone().or(default.map(str::to_owned))
        };
        let endpoint = |credentials: Option<Credentials>| Endpoint {
            base: self.base.clone(),
            insecure: self.insecure,
            io_timeout: self.io_timeout,
            credentials,
            kind: self.kind.name(),
        };
        let creds = |mode: AuthMode,
                     default_user: Option<&str>|
         -> Result<Option<Credentials>, FenceError> {
            match (&password, user(default_user)) {
                (Some(pw), Some(u)) => Ok(Some(Credentials {
                    user: u,
                    password: pw.clone(),
                    mode,
                })),
                (Some(_), None) => Err(FenceError::usage(format!(
                    "{}: a password needs a username",
                    self.kind.name()
                ))),
                (None, Some(u)) => Ok(Some(Credentials {
                    user: u,
                    password: Secret::default(),
                    mode,
                })),
                (None, None) => Ok(None),
            }
        };
        Ok(match &self.channel {
            Channel::Tasmota(relay) => {
                // Tasmota's web login is user=admin (fixed) and the web password, in the query.
                let login = password
                    .clone()
                    .map(|pw| (user(Some("admin")).unwrap_or_default(), pw));
                let query = password
                    .is_some()
                    .then(|| creds(AuthMode::Query, Some("admin")))
                    .transpose()?
                    .flatten();
                Plug::Tasmota(Tasmota::new(
                    HttpDevice::new(endpoint(query))?,
                    *relay,
                    login,
                ))
            }
            Channel::Shelly(Generation::Gen1, id) => Plug::Shelly(Shelly::new(
                HttpDevice::new(endpoint(creds(AuthMode::Basic, None)?))?,
                Generation::Gen1,
                *id,
            )),
            Channel::Shelly(Generation::Gen2, id) => Plug::Shelly(Shelly::new(
                HttpDevice::new(endpoint(
                    password
                        .is_some()
                        .then(|| creds(AuthMode::Challenge, Some("admin")))
                        .transpose()?
                        .flatten(),
                ))?,
                Generation::Gen2,
                *id,
            )),
            Channel::Esphome(id) => Plug::Esphome(Esphome::new(
                HttpDevice::new(endpoint(creds(AuthMode::Challenge, None)?))?,
                id.clone(),
            )),
            Channel::Kasa(plug) => Plug::Kasa(Kasa::new(
                &self.host,
                self.base.port_or_known_default().unwrap_or(kasa::PORT),
                self.io_timeout,
                plug.clone(),
            )),
            Channel::Http(recipe) => {
                let mut c = creds(AuthMode::Challenge, None)?;
                if c.is_none() {
                    c = self.url_login.clone().map(|(user, password)| Credentials {
                        user,
                        password,
                        mode: AuthMode::Challenge,
                    });
                }
                if let Some(c) = &mut c {
                    // A user-given login is sent at once, as the deployment's curl -u did.
                    c.mode = AuthMode::Basic;
                }
                Plug::Generic(Box::new(Generic::new(
                    HttpDevice::new(endpoint(c))?,
                    (**recipe).clone(),
                )))
            }
        })
    }
}

impl<F: Flavour> FenceAgent for PlugAgent<F> {
    const SPEC: &'static FenceSpec = F::SPEC;
    type Device = Plug;

    fn from_options(o: &Options) -> Result<Self, FenceError> {
        let kind = match F::FIXED {
            Some(k) => k,
            None => {
                let t = o.required("plug_type")?;
                PlugType::parse(t).ok_or_else(|| {
                    FenceError::usage(format!(
                        "invalid plug_type {t:?}: expected one of {}",
                        params::TYPES.join(", ")
                    ))
                })?
            }
        };
        Ok(PlugAgent {
            target: Target::from_options(o, kind)?,
            flavour: PhantomData,
        })
    }

    fn connect(&self, o: &Options, deadline: Instant) -> Result<Plug, FenceError> {
        self.target.connect(o, deadline)
    }
}

/// A connected plug of any type.
#[derive(Debug)]
pub enum Plug {
    /// Tasmota.
    Tasmota(Tasmota),
    /// Shelly Gen1 or Gen2.
    Shelly(Shelly),
    /// ESPHome.
    Esphome(Esphome),
    /// Kasa.
    Kasa(Kasa),
    /// Generic HTTP.
    Generic(Box<Generic>),
}

impl Plug {
    fn inner(&mut self) -> &mut dyn PowerDevice {
        match self {
            Plug::Tasmota(d) => d,
            Plug::Shelly(d) => d,
            Plug::Esphome(d) => d,
            Plug::Kasa(d) => d,
            Plug::Generic(d) => d.as_mut(),
        }
    }
}

impl PowerDevice for Plug {
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError> {
        self.inner().power(deadline)
    }

    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError> {
        self.inner().set_power(target, deadline)
    }

    fn list(&mut self, deadline: Instant) -> Result<Vec<Outlet>, FenceError> {
        match self {
            Plug::Kasa(k) => {
                let outlets = k.outlets(deadline)?;
                if outlets.is_empty() {
                    return Err(FenceError::Unsupported(
                        "this Kasa plug has one relay and no outlets to list: set pcmk_host_list".into(),
                    ));
                }
                Ok(outlets
                    .into_iter()
                    .enumerate()
                    .map(|(i, o)| Outlet {
                        id: (i + 1).to_string(),
                        alias: o.alias,
                        power: Some(o.power),
                    })
                    .collect())
            }
            _ => Err(FenceError::Unsupported(
                "only Kasa strips have outlets to list; this plug powers one machine: set pcmk_host_list".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(
        spec: &'static FenceSpec,
        kind: PlugType,
        pairs: &[(&str, &str)],
    ) -> Result<Target, FenceError> {
        let v: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        let (o, _) = Options::from_pairs(spec, &v)?;
        Target::from_options(&o, kind)
    }

    #[test]
    fn ports_and_schemes() {
        let t = target(&params::PLUG_SPEC, PlugType::Shelly2, &[("ip", "10.0.0.5")]).unwrap();
        assert_eq!(t.base.as_str(), "http://10.0.0.5/");
        let t = target(
            &params::PLUG_SPEC,
            PlugType::Tasmota,
            &[("ip", "::1"), ("ssl", "1")],
        )
        .unwrap();
        assert_eq!(t.base.as_str(), "https://[::1]/");
        let t = target(&params::KASA_SPEC, PlugType::Kasa, &[("ip", "h")]).unwrap();
        assert_eq!(t.base.port(), Some(9999));
        assert!(target(
            &params::PLUG_SPEC,
            PlugType::Kasa,
            &[("ip", "h"), ("ssl", "1")]
        )
        .is_err());
        assert!(target(&params::PLUG_SPEC, PlugType::Tasmota, &[("ip", "h/x")]).is_err());
        assert!(target(
            &params::PLUG_SPEC,
            PlugType::Tasmota,
            &[("ip", "h"), ("ipport", "0")]
        )
        .is_err());
    }

    #[test]
    fn plugs_per_type() {
        assert!(target(
            &params::PLUG_SPEC,
            PlugType::Tasmota,
            &[("ip", "h"), ("plug", "node1")]
        )
        .is_err());
        assert!(target(&params::PLUG_SPEC, PlugType::Esphome, &[("ip", "h")]).is_err());
        let t = target(
            &params::PLUG_SPEC,
            PlugType::Esphome,
            &[("ip", "h"), ("switch_name", "relay")],
        )
        .unwrap();
        assert!(matches!(t.channel, Channel::Esphome(ref s) if s == "relay"));
    }

    #[test]
    fn http_needs_urls_and_both_patterns_and_hides_url_credentials() {
        let ok = [
            ("ip", "127.0.0.1"),
            ("power_on_url", "/on"),
            ("power_off_url", "http://u:hunter2@127.0.0.1/off"),
            ("status_url", "/state"),
            ("status_on_regex", "ON"),
            ("status_off_regex", "OFF"),
        ];
        let t = target(&params::HTTP_SPEC, PlugType::Http, &ok).unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
        for skip in ["power_on_url", "status_url", "status_off_regex"] {
            let some: Vec<(&str, &str)> = ok.iter().copied().filter(|(k, _)| *k != skip).collect();
            let e = target(&params::HTTP_SPEC, PlugType::Http, &some)
                .unwrap_err()
                .to_string();
            assert!(e.contains(skip), "{e}");
        }
    }
}
