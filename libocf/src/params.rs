//! Typed parsing of `OCF_RESKEY_*` instance parameters against an agent's table.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::spec::{AgentSpec, ParamKind, ParamSpec};
use crate::status::OcfError;

/// A parsed parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text (also the value of a select parameter).
    Str(String),
    /// A bounded integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

/// Parse one raw value according to its parameter's kind; the error says why, without the name.
pub fn parse_value(spec: &ParamSpec, raw: &str) -> Result<Value, String> {
    match spec.kind {
        ParamKind::String => {
            if raw.contains('\0') || raw.contains('\n') {
                Err("contains a line break or NUL byte".into())
            } else {
                Ok(Value::Str(raw.to_owned()))
            }
        }
        ParamKind::Integer { min, max } => {
            let n: i64 = raw
                .trim()
                .parse()
                .map_err(|_| format!("{raw:?} is not a whole number"))?;
            if n < min || n > max {
                Err(format!("{n} is outside {min}..{max}"))
            } else {
                Ok(Value::Int(n))
            }
        }
        ParamKind::Boolean => parse_bool(raw)
            .map(Value::Bool)
            .ok_or_else(|| format!("{raw:?} is not a boolean (true/false, yes/no, 1/0, on/off)")),
        ParamKind::Select(choices) => {
            if choices.contains(&raw) {
                Ok(Value::Str(raw.to_owned()))
            } else {
                Err(format!("{raw:?} is not one of {}", choices.join(", ")))
            }
        }
    }
}

/// The boolean spellings Pacemaker's shell agents accept (`ocf_is_true`), case-insensitive.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "ja" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "nein" => Some(false),
        _ => None,
    }
}

/// Keys Pacemaker itself puts into `OCF_RESKEY_*` on every call: action meta attributes
/// (`CRM_meta_*`) and the feature set of the executor (`crm_feature_set`). They are not
/// instance parameters and must not be reported as unknown ones.
fn is_pacemaker_key(name: &str) -> bool {
    name.starts_with("CRM_meta_") || name == "crm_feature_set"
}

/// All instance parameters of one invocation, checked against the table.
///
/// The getters take the table's word for everything: a parameter not in the table, asked for as
/// another type, or asked for with the wrong presence (`str` for a parameter that has neither a
/// default nor `required`, `opt_str` for one that has) is an error naming the bug, so that a typo
/// fails the agent's first unit test instead of silently falling back. Defaults live only in the
/// table: `str`/`int`/`flag` return them when the parameter is unset.
#[derive(Debug, Clone, Default)]
pub struct Params {
    agent: &'static str,
    table: &'static [ParamSpec],
    values: BTreeMap<&'static str, Value>,
    explicit: Vec<&'static str>,
    ignored: Vec<String>,
}

/// The type a getter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Text,
    Int,
    Bool,
}

impl Want {
    fn matches(self, kind: ParamKind) -> bool {
        match self {
            Want::Text => matches!(kind, ParamKind::String | ParamKind::Select(_)),
            Want::Int => matches!(kind, ParamKind::Integer { .. }),
            Want::Bool => matches!(kind, ParamKind::Boolean),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Want::Text => "text",
            Want::Int => "integer",
            Want::Bool => "boolean",
        }
    }
}

impl Params {
    /// Parse the parameters of `spec` from a variable lookup (`OCF_RESKEY_<name>`).
    ///
    /// Empty values count as unset, as in the shell agents. A missing required parameter or a value
    /// that does not parse is `OCF_ERR_CONFIGURED` (6): it is wrong on every node.
    pub fn parse(
        spec: &AgentSpec,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Params, OcfError> {
        let mut raw: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in vars {
            if let Some(name) = k.strip_prefix("OCF_RESKEY_") {
                if !is_pacemaker_key(name) {
                    raw.insert(name.to_owned(), v);
                }
            }
        }
        let mut params = Params {
            agent: spec.name,
            table: spec.parameters,
            ..Params::default()
        };
        for p in spec.parameters {
            let given = raw.remove(p.name).filter(|v| !v.is_empty());
            let text = match (&given, p.default) {
                (Some(v), _) => v.as_str(),
                (None, Some(d)) => d,
                (None, None) if p.required => {
                    return Err(OcfError::configured(format!(
                        "required parameter {} is not set",
                        p.name
                    )))
                }
                (None, None) => continue,
            };
            let value = parse_value(p, text)
                .map_err(|e| OcfError::configured(format!("parameter {}: {e}", p.name)))?;
            if given.is_some() {
                params.explicit.push(p.name);
            }
            params.values.insert(p.name, value);
        }
        params.ignored = raw.into_keys().collect();
        Ok(params)
    }

    /// Names of `OCF_RESKEY_*` variables that are not parameters of this agent.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    fn bug(&self, what: String) -> OcfError {
        OcfError::generic(format!("bug in agent {}: {what}", self.agent))
    }

    /// The table's entry for `name`, checked to be of the wanted type and presence.
    fn entry(&self, name: &str, want: Want, optional: bool) -> Result<&ParamSpec, OcfError> {
        let Some(p) = self.table.iter().find(|p| p.name == name) else {
            return Err(self.bug(format!("parameter {name:?} is not in its table")));
        };
        if !want.matches(p.kind) {
            return Err(self.bug(format!(
                "parameter {name} is read as {} but its table type is {:?}",
                want.name(),
                p.kind
            )));
        }
        let always_there = p.required || p.default.is_some();
        match (optional, always_there) {
            (false, false) => Err(self.bug(format!(
                "parameter {name} has no default and is not required: read it with an opt_ getter"
            ))),
            (true, true) => Err(self.bug(format!(
                "parameter {name} always has a value (required or defaulted in the table): read \
                 it without opt_"
            ))),
            _ => Ok(p),
        }
    }

    /// True if the user set the parameter (as opposed to its default applying).
    pub fn is_set(&self, name: &str) -> Result<bool, OcfError> {
        if self.table.iter().any(|p| p.name == name) {
            Ok(self.explicit.contains(&name))
        } else {
            Err(self.bug(format!("parameter {name:?} is not in its table")))
        }
    }

    fn text_value(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    fn int_value(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        }
    }

    /// A text or select parameter that is required or has a default: its value or the default.
    pub fn str(&self, name: &str) -> Result<&str, OcfError> {
        let p = self.entry(name, Want::Text, false)?;
        self.text_value(name).ok_or_else(|| {
            OcfError::configured(format!("required parameter {} is not set", p.name))
        })
    }

    /// A text or select parameter without a default: `None` when unset.
    pub fn opt_str(&self, name: &str) -> Result<Option<&str>, OcfError> {
        self.entry(name, Want::Text, true)?;
        Ok(self.text_value(name))
    }

    /// An integer parameter that is required or has a default: its value or the default.
    pub fn int(&self, name: &str) -> Result<i64, OcfError> {
        let p = self.entry(name, Want::Int, false)?;
        self.int_value(name).ok_or_else(|| {
            OcfError::configured(format!("required parameter {} is not set", p.name))
        })
    }

    /// An integer parameter without a default: `None` when unset.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, OcfError> {
        self.entry(name, Want::Int, true)?;
        Ok(self.int_value(name))
    }

    /// An integer parameter that is required or has a default and whose table range starts at 0
    /// or above, as an unsigned number.
    pub fn uint(&self, name: &str) -> Result<u64, OcfError> {
        let n = self.int(name)?;
        u64::try_from(n).map_err(|_| self.bug(format!("parameter {name} allows negative values")))
    }

    /// An optional integer parameter whose table range starts at 0 or above, unsigned.
    pub fn opt_uint(&self, name: &str) -> Result<Option<u64>, OcfError> {
        self.opt_int(name)?
            .map(|n| {
                u64::try_from(n)
                    .map_err(|_| self.bug(format!("parameter {name} allows negative values")))
            })
            .transpose()
    }

    /// An integer parameter counted in seconds (required or defaulted, range from 0 up).
    pub fn secs(&self, name: &str) -> Result<Duration, OcfError> {
        self.uint(name).map(Duration::from_secs)
    }

    /// An integer parameter counted in milliseconds (required or defaulted, range from 0 up).
    pub fn millis(&self, name: &str) -> Result<Duration, OcfError> {
        self.uint(name).map(Duration::from_millis)
    }

    /// A boolean parameter that is required or has a default: its value or the default.
    pub fn flag(&self, name: &str) -> Result<bool, OcfError> {
        let p = self.entry(name, Want::Bool, false)?;
        match self.values.get(name) {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err(OcfError::configured(format!(
                "required parameter {} is not set",
                p.name
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Action, ActionSpec};

    const PARAMS: &[ParamSpec] = &[
        ParamSpec::string("ip", "address").required().unique(),
        ParamSpec::integer("count", 0, 100, "count").default("5"),
        ParamSpec::boolean("force", "force").default("false"),
        ParamSpec::select("mode", &["fast", "safe"], "mode").default("safe"),
        ParamSpec::string("label", "label"),
    ];
    const SPEC: AgentSpec = AgentSpec {
        name: "t",
        version: "1",
        shortdesc: "t",
        longdesc: "t",
        parameters: PARAMS,
        actions: &[ActionSpec::new(Action::Start, 20)],
    };

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_apply_and_types_parse() {
        let p = Params::parse(&SPEC, env(&[("ip", "10.0.0.1"), ("force", "YES")])).unwrap();
        assert_eq!(p.str("ip"), Ok("10.0.0.1"));
        assert_eq!(p.int("count"), Ok(5));
        assert_eq!(p.uint("count"), Ok(5));
        assert_eq!(p.secs("count"), Ok(Duration::from_secs(5)));
        assert_eq!(p.flag("force"), Ok(true));
        assert_eq!(p.str("mode"), Ok("safe"));
        assert_eq!(p.opt_str("label"), Ok(None));
        assert_eq!(p.is_set("ip"), Ok(true));
        assert_eq!(p.is_set("count"), Ok(false));
        let p = Params::parse(&SPEC, env(&[("ip", "x"), ("label", "l"), ("count", "7")])).unwrap();
        assert_eq!(p.opt_str("label"), Ok(Some("l")));
        assert_eq!(p.int("count"), Ok(7));
    }

    #[test]
    fn a_getter_that_does_not_match_the_table_is_a_bug_not_a_fallback() {
        let p = Params::parse(&SPEC, env(&[("ip", "10.0.0.1"), ("count", "7")])).unwrap();
        for e in [
            p.int("cuont").unwrap_err(),     // typo
            p.str("count").unwrap_err(),     // wrong type
            p.flag("mode").unwrap_err(),     // wrong type
            p.str("label").unwrap_err(),     // no default: needs opt_str
            p.opt_int("count").unwrap_err(), // has a default: opt_ would hide it
            p.is_set("lable").unwrap_err(),  // typo
        ] {
            assert_eq!(e.status, crate::OcfStatus::ErrGeneric, "{e}");
            assert!(e.reason.starts_with("bug in agent t: parameter "), "{e}");
        }
        assert!(p
            .int("cuont")
            .unwrap_err()
            .reason
            .contains("\"cuont\" is not in its table"));
    }

    #[test]
    fn missing_required_is_not_configured() {
        let e = Params::parse(&SPEC, env(&[("count", "3")])).unwrap_err();
        assert_eq!(e.status, crate::OcfStatus::ErrConfigured);
        assert!(e.reason.contains("ip"), "{}", e.reason);
        // empty counts as unset
        assert!(Params::parse(&SPEC, env(&[("ip", "")])).is_err());
    }

    #[test]
    fn bad_values_are_rejected_with_the_parameter_name() {
        for (k, v) in [
            ("count", "abc"),
            ("count", "101"),
            ("count", "-1"),
            ("count", "5s"),
            ("force", "maybe"),
            ("mode", "FAST"),
            ("label", "a\nb"),
        ] {
            let e = Params::parse(&SPEC, env(&[("ip", "x"), (k, v)])).unwrap_err();
            assert_eq!(e.status, crate::OcfStatus::ErrConfigured, "{k}={v}");
            assert!(
                e.reason.starts_with(&format!("parameter {k}:")),
                "{}",
                e.reason
            );
            assert_eq!(e.reason.lines().count(), 1);
        }
    }

    #[test]
    fn meta_and_unknown_keys_are_separated() {
        let mut vars = env(&[("ip", "x"), ("bogus", "1")]);
        vars.push(("OCF_RESKEY_CRM_meta_timeout".into(), "20000".into()));
        vars.push(("OCF_RESKEY_crm_feature_set".into(), "3.16.2".into()));
        vars.push(("PATH".into(), "/bin".into()));
        let p = Params::parse(&SPEC, vars).unwrap();
        assert_eq!(p.ignored(), ["bogus".to_owned()]);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(k in "[a-z_]{1,8}", v in "\\PC{0,40}") {
            let _ = Params::parse(&SPEC, env(&[("ip", "x"), (&k, &v)]));
        }
    }
}
