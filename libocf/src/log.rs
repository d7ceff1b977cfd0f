//! Logging for agents: `tracing` events to stderr and syslog, tagged with resource and action.
//!
//! The syslog facility comes from `HA_LOGFACILITY`/`PCMK_logfacility` (default `daemon`, `none`
//! disables syslog); `HA_debug`/`PCMK_debug` set to a true value enables debug messages.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::params::parse_bool;

/// Syslog facility numbers (RFC 5424), by the names Pacemaker accepts.
pub fn facility_code(name: &str) -> Option<u8> {
    let code = match name.trim().to_ascii_lowercase().as_str() {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => return None,
    };
    Some(code)
}

/// Logging settings read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Syslog tag, e.g. `hasan-vip`.
    pub tag: String,
    /// `<instance> <action>` prefix of every line.
    pub prefix: String,
    /// Syslog facility code, or None for no syslog.
    pub facility: Option<u8>,
    /// Debug messages enabled.
    pub debug: bool,
}

impl LogConfig {
    /// Read `HA_LOGFACILITY`/`PCMK_logfacility` and `HA_debug`/`PCMK_debug`.
    pub fn from_env(
        tag: &str,
        instance: &str,
        action: &str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let facility = match get("HA_LOGFACILITY").or_else(|| get("PCMK_logfacility")) {
            Some(f) if f.trim().eq_ignore_ascii_case("none") => None,
            Some(f) => Some(facility_code(&f).unwrap_or(3)),
            None => Some(3),
        };
        let debug = get("HA_debug")
            .or_else(|| get("PCMK_debug"))
            .and_then(|v| parse_bool(&v))
            .unwrap_or(false);
        let who = if instance.is_empty() { tag } else { instance };
        LogConfig {
            tag: tag.to_owned(),
            prefix: format!("{who} {action}"),
            facility,
            debug,
        }
    }
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

/// Format one line as it appears on stderr: `LEVEL: <instance> <action>: message`.
pub fn stderr_line(cfg: &LogConfig, level: Level, message: &str) -> String {
    format!(
        "{}: {}: {}",
        level_name(level),
        cfg.prefix,
        crate::status::one_line(message)
    )
}

/// Format one RFC 3164 datagram: `<PRI>tag[pid]: <instance> <action>: message`.
pub fn syslog_line(cfg: &LogConfig, facility: u8, level: Level, message: &str) -> String {
    let severity = match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    };
    format!(
        "<{}>{}[{}]: {}: {}",
        u16::from(facility) * 8 + severity,
        cfg.tag,
        std::process::id(),
        cfg.prefix,
        crate::status::one_line(message)
    )
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

struct AgentLayer {
    cfg: LogConfig,
    syslog: Option<Mutex<UnixDatagram>>,
}

impl<S: Subscriber> Layer<S> for AgentLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        self.cfg.debug || *meta.level() <= Level::INFO
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = *event.metadata().level();
        if !self.cfg.debug && level > Level::INFO {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            stderr_line(&self.cfg, level, &v.0)
        );
        if let (Some(sock), Some(fac)) = (&self.syslog, self.cfg.facility) {
            if let Ok(sock) = sock.lock() {
                let _ = sock.send(syslog_line(&self.cfg, fac, level, &v.0).as_bytes());
            }
        }
    }
}

fn open_syslog() -> Option<UnixDatagram> {
    let sock = UnixDatagram::unbound().ok()?;
    sock.connect("/dev/log").ok()?;
    sock.set_nonblocking(true).ok()?;
    Some(sock)
}

/// Install the agent's logger for this process (a second call does nothing).
pub fn init(cfg: LogConfig) {
    let syslog = if cfg.facility.is_some() {
        open_syslog().map(Mutex::new)
    } else {
        None
    };
    let subscriber = tracing_subscriber::registry().with(AgentLayer { cfg, syslog });
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(vars: &[(&str, &str)]) -> LogConfig {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        LogConfig::from_env("hasan-vip", "vip1", "start", |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_to_daemon_without_debug() {
        let c = cfg(&[]);
        assert_eq!(c.facility, Some(3));
        assert!(!c.debug);
        assert_eq!(c.prefix, "vip1 start");
    }

    #[test]
    fn reads_facility_and_debug() {
        let c = cfg(&[("HA_LOGFACILITY", "local5"), ("HA_debug", "1")]);
        assert_eq!(c.facility, Some(21));
        assert!(c.debug);
        assert_eq!(cfg(&[("PCMK_logfacility", "none")]).facility, None);
        assert!(cfg(&[("PCMK_debug", "yes")]).debug);
    }

    #[test]
    fn lines_are_tagged_and_single() {
        let c = cfg(&[]);
        assert_eq!(
            stderr_line(&c, Level::WARN, "a\nb"),
            "WARNING: vip1 start: a; b"
        );
        let s = syslog_line(&c, 3, Level::ERROR, "boom");
        assert!(s.starts_with("<27>hasan-vip["), "{s}");
        assert!(s.ends_with("]: vip1 start: boom"), "{s}");
    }
}
