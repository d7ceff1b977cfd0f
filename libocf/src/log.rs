//! Logging for agents: `tracing` events to stderr and to the journal (or syslog), tagged with
//! resource and action, and the structured phase events ([`Phase`]) that `hasan timeline` reads.
//!
//! The syslog facility comes from `HA_LOGFACILITY`/`PCMK_logfacility` (default `daemon`, `none`
//! disables syslog and journal); `HA_debug`/`PCMK_debug` set to a true value enables debug messages.
//!
//! Where journald listens, every event goes to it natively with the fields in [`fields`]
//! (`journalctl HASAN_RESOURCE=pool`), the syslog identifier and facility of the syslog line, and
//! the same message text; journald forwards it to a syslog daemon as it does any entry. Without
//! journald the RFC 3164 line goes to `/dev/log` as before. One entry per event, never two.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// The resource instance (may be empty, e.g. for meta-data).
    pub instance: String,
    /// The action.
    pub action: String,
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
            instance: instance.to_owned(),
            action: action.to_owned(),
            prefix: format!("{who} {action}"),
            facility,
            debug,
        }
    }
}

/// The journal fields of hasan's events: the single source of their names.
pub mod fields {
    /// The resource instance (`OCF_RESOURCE_INSTANCE`), on every event of an agent.
    pub const RESOURCE: &str = "HASAN_RESOURCE";
    /// The action (`start`, `stop`, `monitor`, …), on every event of an agent.
    pub const ACTION: &str = "HASAN_ACTION";
    /// The agent type (`zpool`, `vip`, …), on every event of an agent.
    pub const AGENT: &str = "HASAN_AGENT";
    /// The phase a [`super::Phase`] event ends (`import`, `mounts`, `arp`, …).
    pub const PHASE: &str = "HASAN_PHASE";
    /// How long that phase took, in milliseconds.
    pub const DURATION_MS: &str = "HASAN_DURATION_MS";
    /// `ok`, or `failed` when the action left the phase by an error.
    pub const RESULT: &str = "HASAN_RESULT";
    /// The journal field prefix of event fields (`phase` becomes `HASAN_PHASE`).
    pub const PREFIX: &str = "HASAN";
    /// Event fields that only the journal shows (stderr and syslog keep the plain message).
    pub const EVENT_ONLY: [&str; 3] = ["phase", "duration_ms", "result"];
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else if !fields::EVENT_ONLY.contains(&field.name()) {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else if !fields::EVENT_ONLY.contains(&field.name()) {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

/// One timed step of an action. [`Phase::end`] logs `phase <name>: <s> s: <detail>` with the
/// journal fields `HASAN_PHASE`, `HASAN_DURATION_MS` and `HASAN_RESULT=ok`; a phase dropped
/// without `end` (the action returned an error inside it) logs the same with `HASAN_RESULT=failed`.
#[derive(Debug)]
pub struct Phase {
    name: &'static str,
    started: Instant,
    ended: bool,
}

impl Phase {
    /// Start timing `name` (a short word: `import`, `mounts`, `arp`).
    pub fn begin(name: &'static str) -> Phase {
        Phase {
            name,
            started: Instant::now(),
            ended: false,
        }
    }

    /// Log the phase's duration with a detail (may be empty).
    pub fn end(mut self, detail: &str) {
        self.ended = true;
        emit(self.name, self.started.elapsed(), "ok", detail);
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if !self.ended {
            emit(
                self.name,
                self.started.elapsed(),
                "failed",
                "did not finish",
            );
        }
    }
}

fn emit(name: &str, took: Duration, result: &str, detail: &str) {
    let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
    let message = phase_message(name, took, detail);
    if result == "ok" {
        tracing::info!(phase = name, duration_ms = ms, result, "{message}");
    } else {
        tracing::warn!(phase = name, duration_ms = ms, result, "{message}");
    }
}

/// The text of a phase event: `phase import: 1.23 s: detail`.
pub fn phase_message(name: &str, took: Duration, detail: &str) -> String {
    format!(
        "phase {name}: {:.2} s{}{detail}",
        took.as_secs_f64(),
        if detail.is_empty() { "" } else { ": " },
    )
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
            // The journal has the entry already (journald_layer): no second one through /dev/log.
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

/// The agent type from its syslog tag: `hasan-zpool` → `zpool`.
fn agent_name(tag: &str) -> &str {
    tag.strip_prefix("hasan-").unwrap_or(tag)
}

/// The constant journal fields of every event of this agent process.
pub fn journal_fields(cfg: &LogConfig, facility: u8) -> Vec<(&'static str, String)> {
    vec![
        (fields::RESOURCE, cfg.instance.clone()),
        (fields::ACTION, cfg.action.clone()),
        (fields::AGENT, agent_name(&cfg.tag).to_owned()),
        ("SYSLOG_FACILITY", facility.to_string()),
    ]
}

fn journald_layer(cfg: &LogConfig, facility: u8) -> Option<tracing_journald::Layer> {
    let layer = tracing_journald::layer().ok()?;
    Some(
        layer
            .with_field_prefix(Some(fields::PREFIX.to_owned()))
            .with_syslog_identifier(cfg.tag.clone())
            .with_custom_fields(journal_fields(cfg, facility)),
    )
}

/// Install the agent's logger for this process (a second call does nothing).
pub fn init(cfg: LogConfig) {
    let journald = cfg.facility.and_then(|f| journald_layer(&cfg, f));
    let debug = cfg.debug;
    let journald = journald.map(|j| {
        j.with_filter(tracing_subscriber::filter::filter_fn(move |m| {
            debug || *m.level() <= Level::INFO
        }))
    });
    let syslog = if cfg.facility.is_some() && journald.is_none() {
        open_syslog().map(Mutex::new)
    } else {
        None
    };
    let subscriber = tracing_subscriber::registry()
        .with(AgentLayer { cfg, syslog })
        .with(journald);
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

    #[test]
    fn every_journal_entry_names_resource_action_and_agent() {
        let f = journal_fields(&cfg(&[]), 3);
        assert!(f.contains(&("HASAN_RESOURCE", "vip1".into())), "{f:?}");
        assert!(f.contains(&("HASAN_ACTION", "start".into())), "{f:?}");
        assert!(f.contains(&("HASAN_AGENT", "vip".into())), "{f:?}");
        assert!(f.contains(&("SYSLOG_FACILITY", "3".into())), "{f:?}");
    }

    #[test]
    fn phase_text_is_the_old_line() {
        assert_eq!(
            phase_message("import", Duration::from_millis(1234), "pool tank imported"),
            "phase import: 1.23 s: pool tank imported"
        );
        assert_eq!(
            phase_message("keys", Duration::from_millis(10), ""),
            "phase keys: 0.01 s"
        );
    }

    #[test]
    fn phase_fields_stay_out_of_the_stderr_text() {
        use tracing_subscriber::layer::SubscriberExt;
        #[derive(Clone, Default)]
        struct Grab(std::sync::Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> Layer<S> for Grab {
            fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
                let mut v = MessageVisitor(String::new());
                event.record(&mut v);
                if let Ok(mut g) = self.0.lock() {
                    g.push(v.0);
                }
            }
        }
        let grab = Grab::default();
        let sub = tracing_subscriber::registry().with(grab.clone());
        tracing::subscriber::with_default(sub, || {
            Phase::begin("mounts").end("3 mounted");
            let _failed = Phase::begin("keys");
        });
        let got = grab.0.lock().map(|g| g.clone()).unwrap_or_default();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("phase mounts: 0.00 s: 3 mounted"),
            "{got:?}"
        );
        assert!(!got[0].contains("duration_ms"), "{got:?}");
        assert!(
            got[1].starts_with("phase keys: ") && got[1].ends_with("did not finish"),
            "{got:?}"
        );
    }
}
