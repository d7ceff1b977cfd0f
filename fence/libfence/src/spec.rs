//! The agent table: parameters (names, old names, command-line letters, types, defaults) and the
//! actions advertised in meta-data. Meta-data, the man page, stdin and argv parsing all read it.

use crate::action::FenceAction;

/// A parameter's type as fence-agents' meta-data names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FenceKind {
    /// Free text.
    String,
    /// A whole number.
    Integer,
    /// Seconds (fractions allowed).
    Second,
    /// `0/1`, `true/false`, `on/off`, `yes/no`; a command-line flag.
    Boolean,
    /// One of the listed values.
    Select(&'static [&'static str]),
}

impl FenceKind {
    /// The `type` attribute of `<content>`.
    pub fn name(self) -> &'static str {
        match self {
            FenceKind::String => "string",
            FenceKind::Integer => "integer",
            FenceKind::Second => "second",
            FenceKind::Boolean => "boolean",
            FenceKind::Select(_) => "select",
        }
    }
}

/// One parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FenceParam {
    /// Current name (`ip`).
    pub name: &'static str,
    /// Old names it replaces (`ipaddr`): accepted everywhere, shown as deprecated in meta-data.
    pub obsoletes: Option<&'static str>,
    /// Short option letter (`a` for `-a`).
    pub short: Option<char>,
    /// Long option without dashes (`ip` for `--ip`).
    pub long: &'static str,
    /// Placeholder in `--ip=[ip]`; `None` for flags.
    pub value_name: Option<&'static str>,
    /// Type.
    pub kind: FenceKind,
    /// Default value as text.
    pub default: Option<&'static str>,
    /// Must be given.
    pub required: bool,
    /// Never logged, never shown.
    pub secret: bool,
    /// Hidden from meta-data and the man page (accepted for compatibility only).
    pub hidden: bool,
    /// One line of description.
    pub shortdesc: &'static str,
}

impl FenceParam {
    /// A string parameter `--long=[value_name]`.
    pub const fn string(
        name: &'static str,
        long: &'static str,
        value_name: &'static str,
        shortdesc: &'static str,
    ) -> FenceParam {
        FenceParam {
            name,
            obsoletes: None,
            short: None,
            long,
            value_name: Some(value_name),
            kind: FenceKind::String,
            default: None,
            required: false,
            secret: false,
            hidden: false,
            shortdesc,
        }
    }

    /// Set the type.
    pub const fn kind(mut self, kind: FenceKind) -> FenceParam {
        self.kind = kind;
        if matches!(kind, FenceKind::Boolean) {
            self.value_name = None;
        }
        self
    }

    /// Set the short option letter.
    pub const fn short(mut self, c: char) -> FenceParam {
        self.short = Some(c);
        self
    }

    /// Set the old name.
    pub const fn obsoletes(mut self, old: &'static str) -> FenceParam {
        self.obsoletes = Some(old);
        self
    }

    /// Set the default.
    pub const fn default(mut self, d: &'static str) -> FenceParam {
        self.default = Some(d);
        self
    }

    /// Mark required.
    pub const fn required(mut self) -> FenceParam {
        self.required = true;
        self
    }

    /// Mark secret.
    pub const fn secret(mut self) -> FenceParam {
        self.secret = true;
        self
    }

    /// Hide from meta-data.
    pub const fn hidden(mut self) -> FenceParam {
        self.hidden = true;
        self
    }

    /// The `getopt mixed` text: `-a, --ip=[ip]`.
    pub fn getopt(&self) -> String {
        let long = match self.value_name {
            Some(v) => format!("--{}=[{v}]", self.long),
            None => format!("--{}", self.long),
        };
        match self.short {
            Some(c) => format!("-{c}, {long}"),
            None => long,
        }
    }

    /// True if `key` names this parameter (current or old name, `-` and `_` alike).
    pub fn answers_to(&self, key: &str) -> bool {
        let key = key.replace('-', "_");
        key == self.name || self.obsoletes == Some(key.as_str())
    }
}

/// The parameters every hasan fence agent shares, in fence-agents' spelling.
pub mod common {
    use super::{FenceKind, FenceParam};

    /// `action`.
    pub const ACTION: FenceParam =
        FenceParam::string("action", "action", "action", "Fencing action")
            .short('o')
            .default("reboot")
            .required();
    /// `ip` / `ipaddr`.
    pub const IP: FenceParam =
        FenceParam::string("ip", "ip", "ip", "IP address or hostname of fencing device")
            .short('a')
            .obsoletes("ipaddr")
            .required();
    /// `username` / `login`.
    pub const USERNAME: FenceParam =
        FenceParam::string("username", "username", "name", "Login name")
            .short('l')
            .obsoletes("login");
    /// `password` / `passwd`.
    pub const PASSWORD: FenceParam = FenceParam::string(
        "password",
        "password",
        "password",
        "Login password or passphrase",
    )
    .short('p')
    .obsoletes("passwd")
    .secret();
    /// `password_script` / `passwd_script`.
    pub const PASSWORD_SCRIPT: FenceParam = FenceParam::string(
        "password_script",
        "password-script",
        "script",
        "Program (absolute path, arguments split at spaces, no shell) that prints the password on its first line",
    )
    .short('S')
    .obsoletes("passwd_script");
    /// `plug` / `port`.
    pub const PLUG: FenceParam = FenceParam::string(
        "plug",
        "plug",
        "id",
        "Physical plug number on device, or name of virtual machine",
    )
    .short('n')
    .obsoletes("port");
    /// `power_timeout`.
    pub const POWER_TIMEOUT: FenceParam = FenceParam::string(
        "power_timeout",
        "power-timeout",
        "seconds",
        "Seconds to wait for the device to reach the requested power state (then the action fails)",
    )
    .kind(FenceKind::Second)
    .default("20");
    /// `power_wait`.
    pub const POWER_WAIT: FenceParam = FenceParam::string(
        "power_wait",
        "power-wait",
        "seconds",
        "Seconds to wait after a power command before polling its state (0: poll at once)",
    )
    .kind(FenceKind::Second)
    .default("0");
    /// `login_timeout`.
    pub const LOGIN_TIMEOUT: FenceParam = FenceParam::string(
        "login_timeout",
        "login-timeout",
        "seconds",
        "Seconds to wait for the device to accept a session, all retries included",
    )
    .kind(FenceKind::Second)
    .default("5");
    /// `delay`.
    pub const DELAY: FenceParam = FenceParam::string(
        "delay",
        "delay",
        "seconds",
        "Seconds to wait before fencing is started",
    )
    .kind(FenceKind::Second)
    .default("0");
    /// `verbose`.
    pub const VERBOSE: FenceParam = FenceParam::string(
        "verbose",
        "verbose",
        "",
        "Verbose mode: debug messages on stderr",
    )
    .short('v')
    .kind(FenceKind::Boolean);
    /// `quiet`.
    pub const QUIET: FenceParam = FenceParam::string(
        "quiet",
        "quiet",
        "",
        "Disable logging to stderr; errors are still shown",
    )
    .short('q')
    .kind(FenceKind::Boolean);
    /// `nodes`: the machines this device powers; a `plug`/`port` or `nodename` naming another
    /// is refused before anything is sent.
    pub const NODES: FenceParam = FenceParam::string(
        "nodes",
        "nodes",
        "names",
        "Names of the node(s) this device powers, separated by commas; when set, a plug/port or nodename naming any other machine is refused (exit 1) before anything is sent",
    );
    /// `verify_silent`: addresses of the fenced node that must not answer once it is off
    /// ([`crate::silent`]).
    pub const VERIFY_SILENT: FenceParam = FenceParam::string(
        "verify_silent",
        "verify-silent",
        "addresses",
        "Addresses of the fenced node, separated by spaces or commas (ip: ICMP echo, ip:port: TCP connect); after power off is confirmed none may answer within silent_timeout, else the fence fails",
    );
    /// `silent_timeout`: how long `verify_silent` watches.
    pub const SILENT_TIMEOUT: FenceParam = FenceParam::string(
        "silent_timeout",
        "silent-timeout",
        "seconds",
        "Seconds verify_silent watches the node's addresses after power off",
    )
    .kind(FenceKind::Second)
    .default("3");
    /// `nodename` (sent by Pacemaker: the node being fenced; checked against `nodes`).
    pub const NODENAME: FenceParam = FenceParam::string(
        "nodename",
        "nodename",
        "name",
        "Name of the node being fenced",
    )
    .hidden();
}

/// An agent's table.
#[derive(Debug, Clone, Copy)]
pub struct FenceSpec {
    /// Binary name (`fence_hasan_ipmi`).
    pub name: &'static str,
    /// Version shown by `--version`.
    pub version: &'static str,
    /// One line.
    pub shortdesc: &'static str,
    /// Paragraph.
    pub longdesc: &'static str,
    /// Vendor URL (mandatory in fence-agents' schema).
    pub vendor_url: &'static str,
    /// Parameters, in meta-data order.
    pub params: &'static [FenceParam],
    /// Actions advertised in meta-data.
    pub actions: &'static [FenceAction],
}

impl FenceSpec {
    /// The parameter `key` names (current or old name).
    pub fn param(&self, key: &str) -> Option<&'static FenceParam> {
        self.params.iter().find(|p| p.answers_to(key))
    }

    /// Inconsistencies in the table (unit-test that this is empty).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            for q in &self.params[i + 1..] {
                if p.answers_to(q.name) || q.obsoletes.is_some_and(|o| p.answers_to(o)) {
                    out.push(format!("{} and {} share a name", p.name, q.name));
                }
                if p.short.is_some() && p.short == q.short {
                    out.push(format!("{} and {} share -{:?}", p.name, q.name, p.short));
                }
                if p.long == q.long {
                    out.push(format!("{} and {} share --{}", p.name, q.name, p.long));
                }
            }
            if let (Some(d), FenceKind::Select(opts)) = (p.default, p.kind) {
                if !opts.contains(&d) {
                    out.push(format!("{}: default {d} is not an option", p.name));
                }
            }
            if p.secret && p.default.is_some() {
                out.push(format!("{}: a secret has no default", p.name));
            }
        }
        for required in ["action", "plug"] {
            if self.param(required).is_none() {
                out.push(format!("parameter {required} is missing"));
            }
        }
        out
    }
}
