//! The declarative table an agent describes itself with: parameters, actions, timeouts.
//!
//! One `AgentSpec` per agent is the single source of truth: meta-data XML, typed parameter
//! parsing, dispatch and the man page are all derived from it.

/// Everything an agent says about itself.
#[derive(Debug, Clone, Copy)]
pub struct AgentSpec {
    /// The agent's name as used in `ocf:hasan:<name>`.
    pub name: &'static str,
    /// The agent's own version (goes into `<resource-agent version=…>`).
    pub version: &'static str,
    /// One line: what the agent manages.
    pub shortdesc: &'static str,
    /// Several sentences for operators.
    pub longdesc: &'static str,
    /// Instance parameters (`OCF_RESKEY_<name>`).
    pub parameters: &'static [ParamSpec],
    /// Supported actions with their default timeouts.
    pub actions: &'static [ActionSpec],
}

/// The type of a parameter's value and the rules it must obey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Free text.
    String,
    /// A whole number in `min..=max`.
    Integer {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// `true`/`false` and the usual spellings (`yes`, `1`, `on` …).
    Boolean,
    /// One of a fixed list of words (rendered as `string` in meta-data: the DTD has no select).
    Select(&'static [&'static str]),
}

impl ParamKind {
    /// The meta-data `content type` accepted by every schema (DTD, OCF 1.1 RNG, pcs).
    pub const fn content_type(self) -> &'static str {
        match self {
            ParamKind::String | ParamKind::Select(_) => "string",
            ParamKind::Integer { .. } => "integer",
            ParamKind::Boolean => "boolean",
        }
    }
}

/// One instance parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Name, without the `OCF_RESKEY_` prefix.
    pub name: &'static str,
    /// Type and bounds.
    pub kind: ParamKind,
    /// The resource cannot be configured without it.
    pub required: bool,
    /// No two resources of this agent may share the value.
    pub unique: bool,
    /// The value used when the parameter is not set.
    pub default: Option<&'static str>,
    /// One line.
    pub shortdesc: &'static str,
    /// Full description.
    pub longdesc: &'static str,
}

impl ParamSpec {
    const fn new(name: &'static str, kind: ParamKind, shortdesc: &'static str) -> Self {
        ParamSpec {
            name,
            kind,
            required: false,
            unique: false,
            default: None,
            shortdesc,
            longdesc: "",
        }
    }
    /// A free-text parameter.
    pub const fn string(name: &'static str, shortdesc: &'static str) -> Self {
        Self::new(name, ParamKind::String, shortdesc)
    }
    /// An integer parameter bounded by `min..=max`.
    pub const fn integer(name: &'static str, min: i64, max: i64, shortdesc: &'static str) -> Self {
        Self::new(name, ParamKind::Integer { min, max }, shortdesc)
    }
    /// A boolean parameter.
    pub const fn boolean(name: &'static str, shortdesc: &'static str) -> Self {
        Self::new(name, ParamKind::Boolean, shortdesc)
    }
    /// A parameter that takes one of `choices`.
    pub const fn select(
        name: &'static str,
        choices: &'static [&'static str],
        shortdesc: &'static str,
    ) -> Self {
        Self::new(name, ParamKind::Select(choices), shortdesc)
    }
    /// Mark as required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Mark as unique among resources of this agent.
    pub const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    /// Set the default value (in the same spelling a user would write).
    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }
    /// Set the long description.
    pub const fn long(mut self, longdesc: &'static str) -> Self {
        self.longdesc = longdesc;
        self
    }
}

/// The actions an OCF agent can be called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Start the resource.
    Start,
    /// Stop the resource.
    Stop,
    /// Report whether it runs (also a probe when no interval is set).
    Monitor,
    /// Print meta-data.
    MetaData,
    /// Check the parameters.
    ValidateAll,
    /// Promote (unimplemented unless the agent says so).
    Promote,
    /// Demote.
    Demote,
    /// Notify.
    Notify,
    /// Reload parameters.
    Reload,
    /// Live-migrate away.
    MigrateTo,
    /// Live-migrate here.
    MigrateFrom,
    /// Print usage.
    Usage,
}

impl Action {
    /// Every action, in meta-data order.
    pub const ALL: [Action; 12] = [
        Action::Start,
        Action::Stop,
        Action::Monitor,
        Action::Promote,
        Action::Demote,
        Action::Notify,
        Action::Reload,
        Action::MigrateTo,
        Action::MigrateFrom,
        Action::ValidateAll,
        Action::MetaData,
        Action::Usage,
    ];

    /// The name on the command line and in meta-data.
    pub const fn name(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::MetaData => "meta-data",
            Action::ValidateAll => "validate-all",
            Action::Promote => "promote",
            Action::Demote => "demote",
            Action::Notify => "notify",
            Action::Reload => "reload",
            Action::MigrateTo => "migrate_to",
            Action::MigrateFrom => "migrate_from",
            Action::Usage => "usage",
        }
    }

    /// Parse a command-line action name; `status` is the LSB-era alias of monitor, `help` of usage.
    pub fn parse(name: &str) -> Option<Action> {
        match name {
            "status" => Some(Action::Monitor),
            "help" | "--help" | "-h" => Some(Action::Usage),
            "metadata" => Some(Action::MetaData),
            _ => Action::ALL.into_iter().find(|a| a.name() == name),
        }
    }
}

/// An action in meta-data with its default timeout (and interval/depth for monitors).
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    /// Which action.
    pub action: Action,
    /// Default timeout in seconds.
    pub timeout_s: u32,
    /// Default interval in seconds (monitor).
    pub interval_s: Option<u32>,
    /// `OCF_CHECK_LEVEL` the monitor runs at.
    pub depth: Option<u32>,
}

impl ActionSpec {
    /// An action with a default timeout.
    pub const fn new(action: Action, timeout_s: u32) -> Self {
        ActionSpec {
            action,
            timeout_s,
            interval_s: None,
            depth: None,
        }
    }
    /// A recurring monitor at `interval_s` and check level `depth`.
    pub const fn monitor(timeout_s: u32, interval_s: u32, depth: u32) -> Self {
        ActionSpec {
            action: Action::Monitor,
            timeout_s,
            interval_s: Some(interval_s),
            depth: Some(depth),
        }
    }
}

impl AgentSpec {
    /// Look up a parameter by name.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// True if the table lists this action.
    pub fn supports(&self, action: Action) -> bool {
        self.actions.iter().any(|a| a.action == action)
    }

    /// The default timeout of an action in seconds (the largest listed, or 20 s).
    pub fn default_timeout_s(&self, action: Action) -> u32 {
        self.actions
            .iter()
            .filter(|a| a.action == action)
            .map(|a| a.timeout_s)
            .max()
            .unwrap_or(20)
    }

    /// Consistency checks an agent's unit test runs on its table: every problem found, in words.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in self.parameters.iter().enumerate() {
            if self.parameters[..i].iter().any(|q| q.name == p.name) {
                out.push(format!("parameter {} listed twice", p.name));
            }
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                out.push(format!("parameter name {:?} is not [A-Za-z0-9_]+", p.name));
            }
            if p.required && p.default.is_some() {
                out.push(format!("required parameter {} has a default", p.name));
            }
            if let Some(d) = p.default {
                if let Err(e) = crate::params::parse_value(p, d) {
                    out.push(format!("default of {} does not parse: {e}", p.name));
                }
            }
            if p.shortdesc.is_empty() {
                out.push(format!("parameter {} has no short description", p.name));
            }
            if let ParamKind::Integer { min, max } = p.kind {
                if min > max {
                    out.push(format!("parameter {} has min > max", p.name));
                }
            }
        }
        for needed in [
            Action::Start,
            Action::Stop,
            Action::Monitor,
            Action::MetaData,
            Action::ValidateAll,
        ] {
            if !self.supports(needed) {
                out.push(format!("action {} missing", needed.name()));
            }
        }
        if self.parameters.is_empty() {
            out.push("no parameters: the OCF 1.1 schema requires at least one".into());
        }
        out
    }
}
