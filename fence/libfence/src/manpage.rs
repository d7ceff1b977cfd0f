//! A man page (section 8) from the agent table.

use libocf::manpage::escape as roff;

use crate::spec::{FenceKind, FenceSpec};

/// The man page in roff.
pub fn render(spec: &FenceSpec) -> String {
    let mut s = format!(
        ".TH {} 8 \"\" \"hasan {}\" \"System Manager's Manual\"\n.SH NAME\n{} \\- {}\n.SH SYNOPSIS\n.B {}\n[\\fIOPTIONS\\fR]\n.br\n.B {}\n< \\fIkey=value lines\\fR\n.SH DESCRIPTION\n{}\n.SH OPTIONS\n",
        spec.name.to_uppercase(),
        spec.version,
        spec.name,
        roff(spec.shortdesc),
        spec.name,
        spec.name,
        roff(spec.longdesc)
    );
    for p in spec.params.iter().filter(|p| !p.hidden) {
        s.push_str(&format!(
            ".TP\n.B {}\n{}",
            roff(&p.getopt()),
            roff(p.shortdesc)
        ));
        if let FenceKind::Select(o) = p.kind {
            s.push_str(&format!(" ({})", o.join(", ")));
        }
        if let Some(d) = p.default {
            s.push_str(&format!(". Default: {}", roff(d)));
        }
        s.push_str(&format!(". On stdin: \\fB{}\\fR", roff(p.name)));
        if let Some(o) = p.obsoletes {
            s.push_str(&format!(" (or \\fB{}\\fR)", roff(o)));
        }
        s.push('\n');
    }
    s.push_str(".SH ACTIONS\n");
    for a in spec.actions {
        s.push_str(&format!(".TP\n.B {}\n", roff(a.name())));
    }
    s.push_str(".SH EXIT STATUS\n0 success (status: on), 1 failure, 2 status: off.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::common;

    #[test]
    fn has_sections_and_options() {
        let spec = FenceSpec {
            name: "fence_t",
            version: "1",
            shortdesc: "s",
            longdesc: "l",
            vendor_url: "u",
            params: &[common::ACTION, common::IP],
            actions: &[],
        };
        let m = render(&spec);
        assert!(m.starts_with(".TH FENCE_T 8"), "{m}");
        assert!(m.contains("\\-a, \\-\\-ip=[ip]"), "{m}");
        assert!(m.contains("(or \\fBipaddr\\fR)"), "{m}");
    }

    #[test]
    fn text_that_looks_like_a_request_is_escaped() {
        let spec = FenceSpec {
            name: "fence_t",
            version: "1",
            shortdesc: "s",
            longdesc: "first line\n.SH INJECTED\n'br too",
            vendor_url: "u",
            params: &[common::ACTION],
            actions: &[],
        };
        let m = render(&spec);
        assert!(!m.contains("\n.SH INJECTED"), "{m}");
        assert!(!m.contains("\n'br"), "{m}");
        assert!(m.contains("\\&.SH INJECTED"), "{m}");
    }
}
