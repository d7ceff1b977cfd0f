//! A small element tree over xml-rs, enough for Pacemaker's CIB and crm_mon XML.

use anyhow::{Context, Result};
use xml::reader::{EventReader, XmlEvent};

/// One element: name, attributes, children (text is ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Attributes in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Children with this name.
    pub fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child with this name.
    pub fn kid<'a>(&'a self, name: &str) -> Option<&'a Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every descendant (depth first, self excluded) with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> Vec<&'a Element> {
        let mut out = Vec::new();
        self.collect(name, &mut out);
        out
    }

    fn collect<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.collect(name, out);
        }
    }

    /// The `value` of an `nvpair name=…` among the children of the children named `set`.
    pub fn nvpair<'a>(&'a self, set: &str, name: &str) -> Option<&'a str> {
        self.children
            .iter()
            .filter(|s| s.name == set)
            .flat_map(|s| s.children.iter().filter(|n| n.name == "nvpair"))
            .find(|n| n.attr("name") == Some(name))
            .and_then(|n| n.attr("value"))
    }
}

/// Parse a document into its root element.
pub fn parse(text: &str) -> Result<Element> {
    let mut stack: Vec<Element> = Vec::new();
    for ev in EventReader::from_str(text) {
        match ev.context("not well-formed XML")? {
            XmlEvent::StartElement {
                name, attributes, ..
            } => stack.push(Element {
                name: name.local_name,
                attrs: attributes
                    .into_iter()
                    .map(|a| (a.name.local_name, a.value))
                    .collect(),
                children: Vec::new(),
            }),
            XmlEvent::EndElement { .. } => {
                let done = stack.pop().context("unbalanced XML")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            _ => {}
        }
    }
    anyhow::bail!("XML without a root element")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_and_nvpairs() {
        let e = parse(
            r#"<cib><configuration><crm_config><cluster_property_set id="a">
            <nvpair id="x" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
            </configuration></cib>"#,
        )
        .unwrap();
        let cfg = e.kid("configuration").unwrap().kid("crm_config").unwrap();
        assert_eq!(
            cfg.nvpair("cluster_property_set", "stonith-enabled"),
            Some("false")
        );
        assert_eq!(e.all("nvpair").len(), 1);
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
    }
}
