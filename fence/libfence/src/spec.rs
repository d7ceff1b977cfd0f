//! The agent table: parameters (names, old names, command-line letters, types, defaults) and the
//! actions advertised in meta-data. Meta-data, the man page, stdin and argv parsing all read it.

use crate::action::FenceAction;

/// A parameter's type as fence-agents' meta-data names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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

impl Kind {
    /// The `type` attribute of `<content>`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Second => "second",
            Kind::Boolean => "boolean",
            Kind::Select(_) => "select",
        }
    }
}

/// One parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
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
    pub kind: Kind,
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

impl Param {
    /// A string parameter `--long=[value_name]`.
    pub const fn string(
        name: &'static str,
        long: &'static str,
        value_name: &'static str,
        shortdesc: &'static str,
    ) -> Param {
        Param {
            name,
            obsoletes: None,
            short: None,
            long,
            value_name: Some(value_name),
            kind: Kind::String,
            default: None,
            required: false,
            secret: false,
            hidden: false,
            shortdesc,
        }
    }

    /// Set the type.
    pub const fn kind(mut self, kind: Kind) -> Param {
        self.kind = kind;
        if matches!(kind, Kind::Boolean) {
            self.value_name = None;
        }
        self
    }

    /// Set the short option letter.
    pub const fn short(mut self, c: char) -> Param {
        self.short = Some(c);
        self
    }

    /// Set the old name.
    pub const fn obsoletes(mut self, old: &'static str) -> Param {
        self.obsoletes = Some(old);
        self
    }

    /// Set the default.
    pub const fn default(mut self, d: &'static str) -> Param {
        self.default = Some(d);
        self
    }

    /// Mark required.
    pub const fn required(mut self) -> Param {
        self.required = true;
        self
    }

    /// Mark secret.
    pub const fn secret(mut self) -> Param {
        self.secret = true;
        self
    }

    /// Hide from meta-data.
    pub const fn hidden(mut self) -> Param {
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
    use super::{Kind, Param};

    /// `action`.
    pub const ACTION: Param = Param::string("action", "action", "action", "Fencing action")
        .short('o')
        .default("reboot")
        .required();
    /// `ip` / `ipaddr`.
    pub const IP: Param =
        Param::string("ip", "ip", "ip", "IP address or hostname of fencing device")
            .short('a')
            .obsoletes("ipaddr")
            .required();
    /// `username` / `login`.
    pub const USERNAME: Param = Param::string("username", "username", "name", "Login name")
        .short('l')
        .obsoletes("login");
    /// `password` / `passwd`.
    pub const PASSWORD: Param = Param::string(
        "password",
        "password",
        "password",
        "Login password or passphrase",
    )
    .short('p')
    .obsoletes("passwd")
    .secret();
    /// `password_script` / `passwd_script`.
    pub const PASSWORD_SCRIPT: Param = Param::string(
        "password_script",
        "password-script",
        "script",
        "Program (absolute path, arguments split at spaces, no shell) that prints the password on its first line",
    )
    .short('S')
    .obsoletes("passwd_script");
    /// `plug` / `port`.
    pub const PLUG: Param = Param::string(
        "plug",
        "plug",
        "id",
        "Physical plug number on device, or name of virtual machine",
    )
    .short('n')
    .obsoletes("port");
    /// `power_timeout`.
    pub const POWER_TIMEOUT: Param = Param::string(
        "power_timeout",
        "power-timeout",
        "seconds",
        "Seconds to wait for the device to reach the requested power state (then the action fails)",
    )
    .kind(Kind::Second)
    .default("20");
    /// `power_wait`.
    pub const POWER_WAIT: Param = Param::string(
        "power_wait",
        "power-wait",
        "seconds",
        "Seconds to wait after a power command before polling its state (0: poll at once)",
    )
    .kind(Kind::Second)
    .default("0");
    /// `login_timeout`.
    pub const LOGIN_TIMEOUT: Param = Param::string(
        "login_timeout",
        "login-timeout",
        "seconds",
        "Seconds to wait for the device to accept a session, all retries included",
    )
    .kind(Kind::Second)
    .default("5");
    /// `delay`.
    pub const DELAY: Param = Param::string(
        "delay",
        "delay",
        "seconds",
        "Seconds to wait before fencing is started",
    )
    .kind(Kind::Second)
    .default("0");
    /// `verbose`.
    pub const VERBOSE: Param = Param::string(
        "verbose",
        "verbose",
        "",
        "Verbose mode: debug messages on stderr",
    )
    .short('v')
    .kind(Kind::Boolean);
    /// `quiet`.
    pub const QUIET: Param = Param::string(
        "quiet",
        "quiet",
        "",
        "Disable logging to stderr; errors are still shown",
    )
    .short('q')
    .kind(Kind::Boolean);
    /// `nodename` (sent by Pacemaker; not used by these agents).
    pub const NODENAME: Param = Param::string(
        "nodename",
        "nodename",
        "name",
        "Name of the node being fenced",
    )
    .hidden();
}

/// An agent's table.
#[derive(Debug, Clone, Copy)]
pub struct AgentSpec {
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
    pub params: &'static [Param],
    /// Actions advertised in meta-data.
    pub actions: &'static [FenceAction],
}

impl AgentSpec {
    /// The parameter `key` names (current or old name).
    pub fn param(&self, key: &str) -> Option<&'static Param> {
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
            if let (Some(d), Kind::Select(opts)) = (p.default, p.kind) {
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
