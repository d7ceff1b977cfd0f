//! Validated option values, keyed by current parameter name, with typed getters that apply the
//! table's defaults; the password from `password_script` or `password`. Values are wiped from
//! memory when the options are dropped.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use zeroize::{Zeroize as _, Zeroizing};

use crate::error::FenceError;
use crate::secret::Secret;
use crate::spec::{FenceKind, FenceParam, FenceSpec};
use crate::stdin::Value;

/// Longest a `password_script` may run, at most (also bounded by the action's deadline).
pub const PASSWORD_SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The options of one run.
#[derive(Clone)]
pub struct Options {
    spec: &'static FenceSpec,
    values: BTreeMap<&'static str, Zeroizing<String>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.values {
            let secret = self.spec.param(k).is_some_and(|p| p.secret);
            m.entry(
                k,
                if secret {
                    &"***"
                } else {
                    &**v as &dyn std::fmt::Debug
                },
            );
        }
        m.finish()
    }
}

/// Parse a boolean the way fence-agents accepts it.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" | "" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

/// Parse seconds (`5`, `2.5`), non-negative and below a day.
pub fn parse_seconds(v: &str) -> Option<Duration> {
    let x: f64 = v.trim().parse().ok()?;
    (x.is_finite() && (0.0..86_400.0).contains(&x)).then(|| Duration::from_secs_f64(x))
}

fn check(p: &FenceParam, v: &str) -> Result<(), FenceError> {
    let ok = match p.kind {
        FenceKind::String => true,
        FenceKind::Integer => v.trim().parse::<i64>().is_ok(),
        FenceKind::Second => parse_seconds(v).is_some(),
        FenceKind::Boolean => parse_bool(v).is_some(),
        FenceKind::Select(opts) => opts.iter().any(|o| o.eq_ignore_ascii_case(v.trim())),
    };
    if ok {
        return Ok(());
    }
    let shown = if p.secret {
        "***".to_owned()
    } else {
        format!("{v:?}")
    };
    let expected = match p.kind {
        FenceKind::Integer => "a whole number".to_owned(),
        FenceKind::Second => "seconds (a number >= 0)".to_owned(),
        FenceKind::Boolean => "a boolean (0/1, true/false)".to_owned(),
        FenceKind::Select(opts) => format!("one of {}", opts.join(", ")),
        FenceKind::String => String::new(),
    };
    Err(FenceError::usage(format!(
        "invalid {} {shown}: expected {expected}",
        p.name
    )))
}

impl Options {
    /// Build from `(key, value)` pairs of plain text (tests, callers that have strings).
    pub fn from_pairs<K: AsRef<str>>(
        spec: &'static FenceSpec,
        pairs: &[(K, String)],
    ) -> Result<(Options, Vec<String>), FenceError> {
        Self::from_values(
            spec,
            pairs
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), Value::exact(v.clone())))
                .collect(),
        )
    }

    /// Build from `(key, value)` pairs (stdin or argv): old names map to new ones, the last
    /// value wins, unknown keys come back as warnings, bad values are errors. Secrets are taken
    /// as given (not trimmed), other values trimmed.
    pub fn from_values(
        spec: &'static FenceSpec,
        pairs: Vec<(String, Value)>,
    ) -> Result<(Options, Vec<String>), FenceError> {
        let mut values = BTreeMap::new();
        let mut warnings = Vec::new();
        for (k, v) in &pairs {
            match spec.param(k) {
                Some(p) => {
                    let v = if p.secret { v.secret() } else { v.text() };
                    values.insert(p.name, Zeroizing::new(v.to_owned()));
                }
                None => warnings.push(format!("ignoring unknown parameter {k:?}")),
            }
        }
        for (k, v) in &values {
            if let Some(p) = spec.param(k) {
                check(p, v)?;
            }
        }
        Ok((Options { spec, values }, warnings))
    }

    /// Fail on the first required parameter that was not given.
    pub fn check_required(&self) -> Result<(), FenceError> {
        for p in self
            .spec
            .params
            .iter()
            .filter(|p| p.required && p.default.is_none())
        {
            if self.str(p.name).is_none() {
                let old = p
                    .obsoletes
                    .map(|o| format!(" (or {o})"))
                    .unwrap_or_default();
                let short = p.short.map(|c| format!("-{c}/")).unwrap_or_default();
                return Err(FenceError::usage(format!(
                    "missing required parameter {}{old} ({short}--{})",
                    p.name, p.long
                )));
            }
        }
        Ok(())
    }

    /// The agent's table.
    pub fn spec(&self) -> &'static FenceSpec {
        self.spec
    }

    /// The value given, or the table's default; `None` when neither (or empty).
    pub fn str(&self, name: &str) -> Option<&str> {
        let p = self.spec.param(name)?;
        self.values
            .get(p.name)
            .map(|v| v.as_str())
            .or(p.default)
            .filter(|v| !v.is_empty())
    }

    /// True if the user gave the parameter.
    pub fn is_set(&self, name: &str) -> bool {
        self.spec
            .param(name)
            .is_some_and(|p| self.values.contains_key(p.name))
    }

    /// A required string.
    pub fn required(&self, name: &str) -> Result<&str, FenceError> {
        self.str(name)
            .ok_or_else(|| FenceError::usage(format!("missing required parameter {name}")))
    }

    /// A boolean (absent and no default: false).
    pub fn flag(&self, name: &str) -> bool {
        self.str(name).and_then(parse_bool).unwrap_or(false)
    }

    /// An integer, checked when parsed.
    pub fn int(&self, name: &str) -> Result<Option<i64>, FenceError> {
        self.str(name)
            .map(|v| {
                v.trim().parse().map_err(|_| {
                    FenceError::usage(format!("invalid {name} {v:?}: expected a whole number"))
                })
            })
            .transpose()
    }

    /// Seconds (absent and no default: zero).
    pub fn seconds(&self, name: &str) -> Result<Duration, FenceError> {
        match self.str(name) {
            None => Ok(Duration::ZERO),
            Some(v) => parse_seconds(v).ok_or_else(|| {
                FenceError::usage(format!("invalid {name} {v:?}: expected seconds"))
            }),
        }
    }

    /// A select value, lower-cased.
    pub fn select(&self, name: &str) -> Option<String> {
        self.str(name).map(|v| v.trim().to_ascii_lowercase())
    }

    /// The password: the first line printed by `password_script` (run without a shell,
    /// arguments split at whitespace, killed at the deadline), else `password`, as fence-agents
    /// orders them. `None` if neither is set.
    pub fn password(&self, deadline: Instant) -> Result<Option<Secret>, FenceError> {
        if let Some(script) = self.str("password_script") {
            return run_password_script(script, deadline).map(Some);
        }
        Ok(self
            .values
            .get("password")
            .map(|p| Secret::new(p.as_bytes())))
    }
}

/// Run a password script: no shell, output never logged, first line is the password.
pub fn run_password_script(script: &str, deadline: Instant) -> Result<Secret, FenceError> {
    let mut words = script.split_whitespace();
    let program = words
        .next()
        .ok_or_else(|| FenceError::usage("password_script is empty"))?;
    let cmd = if program.contains('/') {
        libocf::Command::at(program)
    } else {
        libocf::Command::tool(program)
            .map_err(|e| FenceError::usage(format!("password_script: {e}")))?
    };
    let deadline = deadline.min(Instant::now() + PASSWORD_SCRIPT_TIMEOUT);
    let mut out = cmd.args(words).deadline(deadline).run().map_err(|e| {
        // The error carries the command line (no secret in it) and its stderr, not stdout.
        FenceError::usage(format!(
            "password_script failed: {}",
            first_line(&e.to_string())
        ))
    })?;
    let stdout = Zeroizing::new(std::mem::take(&mut out.stdout));
    out.stderr.zeroize();
    // The first line, without its line ending; spaces are part of the password.
    let line = stdout.split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(FenceError::usage(format!(
            "password_script {program} printed no password on its first line"
        )));
    }
    Ok(Secret::new(line.as_bytes()))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::common;

    const SEL: FenceParam = FenceParam::string("method", "method", "method", "m")
        .short('m')
        .kind(FenceKind::Select(&["onoff", "cycle"]))
        .default("onoff");
    static SPEC: FenceSpec = FenceSpec {
        name: "fence_test",
        version: "0",
        shortdesc: "t",
        longdesc: "t",
        vendor_url: "https://example.invalid",
        params: &[
            common::ACTION,
            common::IP,
            common::USERNAME,
            common::PASSWORD,
            common::PASSWORD_SCRIPT,
            common::PLUG,
            common::POWER_TIMEOUT,
            SEL,
        ],
        actions: &[],
    };

    fn opts(pairs: &[(&str, &str)]) -> Result<(Options, Vec<String>), FenceError> {
        let v: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        Options::from_pairs(&SPEC, &v)
    }

    #[test]
    fn old_names_map_and_last_wins() {
        let (o, w) = opts(&[
            ("ipaddr", "10.0.0.1"),
            ("login", "root"),
            ("passwd", "a"),
            ("port", "n1"),
            ("ip", "10.0.0.2"),
            ("pcmk_host_list", "x"),
        ])
        .unwrap();
        assert_eq!(o.str("ip"), Some("10.0.0.2"));
        assert_eq!(o.str("ipaddr"), Some("10.0.0.2"));
        assert_eq!(o.str("username"), Some("root"));
        assert_eq!(o.str("plug"), Some("n1"));
        assert_eq!(o.str("action"), Some("reboot"));
        assert_eq!(o.seconds("power_timeout").unwrap(), Duration::from_secs(20));
        assert_eq!(
            w,
            vec!["ignoring unknown parameter \"pcmk_host_list\"".to_owned()]
        );
        let shown = format!("{o:?}");
        assert!(!shown.contains("\"a\""), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn bad_values_and_missing_required_are_one_line_errors() {
        let e = opts(&[("ip", "x"), ("method", "explode")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid method \"explode\": expected one of onoff, cycle"
        );
        let e = opts(&[("ip", "x"), ("power_timeout", "-1")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid power_timeout"), "{e}");
        let e = opts(&[("username", "x")])
            .unwrap()
            .0
            .check_required()
            .unwrap_err()
            .to_string();
        assert_eq!(e, "missing required parameter ip (or ipaddr) (-a/--ip)");
    }

    #[test]
    fn password_script_runs_without_shell_and_first_line_wins() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("pw");
        std::fs::write(&script, "#!/bin/sh\necho \"s3cret-$1\"\necho second\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let s = format!("{} node1;reboot", script.display());
        let (o, _) = opts(&[("ip", "x"), ("passwd_script", &s)]).unwrap();
        let pw = o
            .password(Instant::now() + Duration::from_secs(5))
            .unwrap()
            .unwrap();
        // "node1;reboot" is one argument: no shell interpreted the ';'.
        assert_eq!(pw.expose(), b"s3cret-node1;reboot");
        let (o, _) = opts(&[("ip", "x"), ("password_script", "/bin/false")]).unwrap();
        let e = o
            .password(Instant::now() + Duration::from_secs(5))
            .unwrap_err();
        assert!(e.to_string().starts_with("password_script failed"), "{e}");
        let (o, _) = opts(&[("ip", "x"), ("password_script", "/bin/true")]).unwrap();
        assert!(o.password(Instant::now() + Duration::from_secs(5)).is_err());
    }

    #[test]
    fn password_script_wins_over_password_and_nothing_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("pw");
        std::fs::write(&script, "#!/bin/sh\nprintf ' right pw \\n'\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let s = script.display().to_string();
        let (o, _) = opts(&[("ip", "x"), ("password", "wrong"), ("password_script", &s)]).unwrap();
        let pw = o
            .password(Instant::now() + Duration::from_secs(5))
            .unwrap()
            .unwrap();
        assert_eq!(pw.expose(), b" right pw ");
    }

    #[test]
    fn password_script_is_killed_at_the_deadline() {
        let (o, _) = opts(&[("ip", "x"), ("password_script", "/bin/sleep 30")]).unwrap();
        let t = Instant::now();
        assert!(o
            .password(Instant::now() + Duration::from_millis(300))
            .is_err());
        assert!(t.elapsed() < Duration::from_secs(10));
    }
}
