//! Meta-data XML rendered from an agent's table, in the form every schema accepts.
//!
//! The subset that passes resource-agents' `ra-api-1.dtd` (ocf-tester), the OCF 1.1 RNG and pcs's
//! `ocf-1.0.rng`/`ocf-1.1.rng`: `<version>1.1</version>`, the DOCTYPE line, `lang` on every
//! description, content types string/integer/boolean only (select is rendered as string with the
//! choices in the description), no `unique-group`, `reloadable` or `deprecated`.

use std::fmt::Write;

use crate::spec::{AgentSpec, ParamKind, ParamSpec};

/// Escape text for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// The long description of a parameter as shown to users: its text plus the accepted values.
pub fn param_longdesc(p: &ParamSpec) -> String {
    let base = if p.longdesc.is_empty() {
        p.shortdesc
    } else {
        p.longdesc
    };
    match p.kind {
        ParamKind::Select(choices) => format!("{base} Allowed values: {}.", choices.join(", ")),
        ParamKind::Integer { min, max } if max < i64::MAX => {
            format!("{base} Range: {min} to {max}.")
        }
        _ => base.to_owned(),
    }
}

/// Render the meta-data XML of an agent.
pub fn render(spec: &AgentSpec) -> String {
    let mut x = String::new();
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(x, "<?xml version=\"1.0\"?>");
    let _ = writeln!(x, "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">");
    let _ = writeln!(
        x,
        "<resource-agent name=\"{}\" version=\"{}\">",
        xml_escape(spec.name),
        xml_escape(spec.version)
    );
    let _ = writeln!(x, "<version>1.1</version>");
    let _ = writeln!(
        x,
        "<longdesc lang=\"en\">\n{}\n</longdesc>",
        xml_escape(spec.longdesc.trim())
    );
    let _ = writeln!(
        x,
        "<shortdesc lang=\"en\">{}</shortdesc>",
        xml_escape(spec.shortdesc)
    );
    let _ = writeln!(x, "<parameters>");
    for p in spec.parameters {
        let _ = writeln!(
            x,
            "<parameter name=\"{}\" unique=\"{}\" required=\"{}\">",
            xml_escape(p.name),
            u8::from(p.unique),
            u8::from(p.required)
        );
        let _ = writeln!(
            x,
            "<longdesc lang=\"en\">{}</longdesc>",
            xml_escape(&param_longdesc(p))
        );
        let _ = writeln!(
            x,
            "<shortdesc lang=\"en\">{}</shortdesc>",
            xml_escape(p.shortdesc)
        );
        match p.default {
            Some(d) => {
                let _ = writeln!(
                    x,
                    "<content type=\"{}\" default=\"{}\"/>",
                    p.kind.content_type(),
                    xml_escape(d)
                );
            }
            None => {
                let _ = writeln!(x, "<content type=\"{}\"/>", p.kind.content_type());
            }
        }
        let _ = writeln!(x, "</parameter>");
    }
    let _ = writeln!(x, "</parameters>");
    let _ = writeln!(x, "<actions>");
    for a in spec.actions {
        let _ = write!(
            x,
            "<action name=\"{}\" timeout=\"{}s\"",
            a.action.name(),
            a.timeout_s
        );
        if let Some(i) = a.interval_s {
            let _ = write!(x, " interval=\"{i}s\"");
        }
        if let Some(d) = a.depth {
            let _ = write!(x, " depth=\"{d}\"");
        }
        let _ = writeln!(x, "/>");
    }
    let _ = writeln!(x, "</actions>");
    let _ = writeln!(x, "</resource-agent>");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Action, ActionSpec};

    const SPEC: AgentSpec = AgentSpec {
        name: "demo",
        version: "0.1.0",
        shortdesc: "Demo & test",
        longdesc: "A <demo> agent.",
        parameters: &[
            ParamSpec::string("ip", "The address").required().unique(),
            ParamSpec::select("mode", &["a", "b"], "Mode").default("a"),
        ],
        actions: &[
            ActionSpec::new(Action::Start, 20),
            ActionSpec::monitor(20, 10, 0),
        ],
    };

    #[test]
    fn renders_the_schema_subset() {
        let x = render(&SPEC);
        assert!(x.starts_with(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
        ));
        assert!(x.contains("<version>1.1</version>"));
        assert!(x.contains("<shortdesc lang=\"en\">Demo &amp; test</shortdesc>"));
        assert!(x.contains("A &lt;demo&gt; agent."));
        assert!(x.contains("<parameter name=\"ip\" unique=\"1\" required=\"1\">"));
        assert!(x.contains("<content type=\"string\" default=\"a\"/>"));
        assert!(x.contains("Allowed values: a, b."));
        assert!(
            x.contains("<action name=\"monitor\" timeout=\"20s\" interval=\"10s\" depth=\"0\"/>")
        );
        assert!(!x.contains("unique-group") && !x.contains("reloadable"));
    }
}
