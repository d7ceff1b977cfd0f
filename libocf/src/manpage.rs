//! The man page (roff, section 7) rendered from an agent's table.

use std::fmt::Write;

use crate::metadata::param_longdesc;
use crate::spec::AgentSpec;

/// Escape text for a roff man page; the one escaper of every hasan man page (OCF and fence
/// agents). Each line is trimmed; `\` becomes `\e`, `-` becomes `\-` (a minus, so option
/// names copy and paste), and a line starting with `.` or `'` gets `\&` so roff does not read
/// it as a request.
pub fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|l| {
            let l = l.trim();
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Render `ocf_hasan_<name>(7)`.
pub fn render(spec: &AgentSpec, provider: &str) -> String {
    let mut m = String::new();
    let title = format!("ocf_{provider}_{}", spec.name);
    let _ = writeln!(
        m,
        ".TH {} 7 \"\" \"{provider} {}\" \"OCF resource agents\"",
        title.to_uppercase(),
        spec.version
    );
    let _ = writeln!(m, ".SH NAME\n{title} \\- {}", escape(spec.shortdesc));
    let _ = writeln!(
        m,
        ".SH SYNOPSIS\n\\fBpcs resource create\\fR \\fIname\\fR \\fBocf:{provider}:{}\\fR [\\fIparameter\\fR=\\fIvalue\\fR ...]",
        spec.name
    );
    let _ = writeln!(m, ".SH DESCRIPTION\n{}", escape(spec.longdesc.trim()));
    let _ = writeln!(m, ".SH PARAMETERS");
    for p in spec.parameters {
        let mut tags = vec![p.kind.content_type().to_owned()];
        if p.required {
            tags.push("required".into());
        }
        if p.unique {
            tags.push("unique".into());
        }
        if let Some(d) = p.default {
            tags.push(format!("default: {d}"));
        }
        let _ = writeln!(m, ".TP\n\\fB{}\\fR ({})", p.name, escape(&tags.join(", ")));
        let _ = writeln!(m, "{}", escape(&param_longdesc(p)));
    }
    let _ = writeln!(m, ".SH ACTIONS");
    for a in spec.actions {
        let mut line = format!("timeout {} s", a.timeout_s);
        if let Some(i) = a.interval_s {
            let _ = write!(line, ", interval {i} s");
        }
        if let Some(d) = a.depth {
            let _ = write!(line, ", depth {d}");
        }
        let _ = writeln!(m, ".TP\n\\fB{}\\fR\n{line}", a.action.name());
    }
    let _ = writeln!(
        m,
        ".SH EXIT STATUS\n0 success, 1 generic error, 2 invalid arguments, 3 unimplemented, 4 insufficient privileges, \
5 not installed, 6 not configured, 7 not running, 190 running but degraded. Every non-zero exit prints one \
\\fBocf-exit-reason:\\fR line on standard error."
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Action, ActionSpec, ParamSpec};

    #[test]
    fn lists_every_parameter_and_action() {
        const SPEC: AgentSpec = AgentSpec {
            name: "demo",
            version: "1",
            shortdesc: "Demo",
            longdesc: ".starts with a dot",
            parameters: &[ParamSpec::boolean("force", "Force it").default("false")],
            actions: &[ActionSpec::new(Action::Start, 30)],
        };
        let m = render(&SPEC, "hasan");
        assert!(m.starts_with(".TH OCF_HASAN_DEMO 7"));
        assert!(m.contains("\\fBforce\\fR (boolean, default: false)"));
        assert!(m.contains("\\fBstart\\fR\ntimeout 30 s"));
        assert!(m.contains("\\&.starts with a dot"));
    }

    #[test]
    fn escape_guards_requests_backslashes_and_dashes() {
        assert_eq!(escape("a\\b"), "a\\eb");
        assert_eq!(escape("--ip"), "\\-\\-ip");
        assert_eq!(escape(" .TH x\n'br\n  ok"), "\\&.TH x\n\\&'br\nok");
    }
}
