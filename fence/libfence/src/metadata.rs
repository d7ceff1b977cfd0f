//! fence-agents meta-data (validated by /usr/share/cluster/relaxng/metadata.rng): parameters in
//! table order, each old name as a `deprecated` twin of the parameter that `obsoletes` it.

use std::fmt::Write as _;

use libocf::metadata::xml_escape as escape;

use crate::action::FenceAction;
use crate::spec::{FenceKind, FenceParam, FenceSpec};

fn parameter(out: &mut String, p: &FenceParam, name: &str, required: bool, extra: &str) {
    let _ = writeln!(
        out,
        "\t<parameter name=\"{}\" unique=\"0\" required=\"{}\"{extra}>",
        escape(name),
        u8::from(required)
    );
    let _ = writeln!(out, "\t\t<getopt mixed=\"{}\" />", escape(&p.getopt()));
    let default = p
        .default
        .map(|d| format!(" default=\"{}\"", escape(d)))
        .unwrap_or_default();
    match p.kind {
        FenceKind::Select(opts) => {
            let _ = writeln!(out, "\t\t<content type=\"select\"{default}>");
            for o in opts {
                let _ = writeln!(out, "\t\t\t<option value=\"{}\" />", escape(o));
            }
            out.push_str("\t\t</content>\n");
        }
        k => {
            let _ = writeln!(out, "\t\t<content type=\"{}\"{default} />", k.name());
        }
    }
    let _ = writeln!(
        out,
        "\t\t<shortdesc lang=\"en\">{}</shortdesc>",
        escape(p.shortdesc)
    );
    out.push_str("\t</parameter>\n");
}

/// The meta-data XML.
pub fn render(spec: &FenceSpec) -> String {
    let mut out = String::from("<?xml version=\"1.0\" ?>\n");
    let _ = writeln!(
        out,
        "<resource-agent name=\"{}\" shortdesc=\"{}\" >",
        escape(spec.name),
        escape(spec.shortdesc)
    );
    let _ = writeln!(out, "<longdesc>{}</longdesc>", escape(spec.longdesc));
    let _ = writeln!(out, "<vendor-url>{}</vendor-url>", escape(spec.vendor_url));
    out.push_str("<parameters>\n");
    for p in spec.params.iter().filter(|p| !p.hidden) {
        match p.obsoletes {
            Some(old) => {
                parameter(
                    &mut out,
                    p,
                    p.name,
                    p.required,
                    &format!(" obsoletes=\"{}\"", escape(old)),
                );
                parameter(&mut out, p, old, false, " deprecated=\"1\"");
            }
            None => parameter(&mut out, p, p.name, p.required, ""),
        }
    }
    out.push_str("</parameters>\n<actions>\n");
    for a in spec.actions {
        let extra = if *a == FenceAction::On {
            " automatic=\"0\""
        } else {
            ""
        };
        let _ = writeln!(out, "\t<action name=\"{}\"{extra} />", a.name());
    }
    out.push_str("</actions>\n</resource-agent>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::common;

    #[test]
    fn old_names_become_deprecated_twins() {
        let spec = FenceSpec {
            name: "fence_t",
            version: "0",
            shortdesc: "a <b>",
            longdesc: "l",
            vendor_url: "https://example.invalid",
            params: &[common::ACTION, common::IP, common::NODENAME],
            actions: &[FenceAction::On, FenceAction::Off],
        };
        let x = render(&spec);
        assert!(x.contains("shortdesc=\"a &lt;b&gt;\""), "{x}");
        assert!(
            x.contains("<parameter name=\"ip\" unique=\"0\" required=\"1\" obsoletes=\"ipaddr\">"),
            "{x}"
        );
        assert!(
            x.contains("<parameter name=\"ipaddr\" unique=\"0\" required=\"0\" deprecated=\"1\">"),
            "{x}"
        );
        assert!(x.contains("<getopt mixed=\"-a, --ip=[ip]\" />"), "{x}");
        assert!(x.contains("<action name=\"on\" automatic=\"0\" />"), "{x}");
        assert!(!x.contains("nodename"), "{x}");
    }
}
