//! The stdin protocol: `key=value` lines as Pacemaker and fence-agents send them.
//!
//! Blank lines and `#` comments are skipped, key and value are trimmed, one pair of matching
//! quotes around the value is stripped, the last value of a key wins. Malformed lines are
//! reported (without their content: it could be a password) and skipped.

/// One parsed stream: the pairs in order and a note per skipped line.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `(key, value)` in input order; later pairs override earlier ones when applied.
    pub pairs: Vec<(String, String)>,
    /// One message per malformed line.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets: show the keys only.
        f.debug_struct("Parsed")
            .field(
                "keys",
                &self
                    .pairs
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Strip one pair of matching single or double quotes.
pub fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// Parse a stdin stream.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.pairs
                    .push((k.trim().to_owned(), unquote(v.trim()).to_owned()));
            }
            _ => out
                .warnings
                .push(format!("stdin line {}: not key=value, ignored", n + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_like_fence_agents() {
        let p = parse(
            "# Pacemaker\n\naction=off\n ip = 10.0.0.1 \npassword=\"pa ss\"\nusername='x'\nport=node1\n\
             garbage\n=novalue\naction=reboot\npasswd=a=b\n",
        );
        assert_eq!(
            p.pairs,
            [
                ("action", "off"),
                ("ip", "10.0.0.1"),
                ("password", "pa ss"),
                ("username", "x"),
                ("port", "node1"),
                ("action", "reboot"),
                ("passwd", "a=b"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(p.warnings.len(), 2);
        assert!(p.warnings[0].contains("line 8"), "{:?}", p.warnings);
    }

    #[test]
    fn only_one_pair_of_quotes_is_stripped() {
        assert_eq!(unquote("\"'x'\""), "'x'");
        assert_eq!(unquote("\"x'"), "\"x'");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("''"), "");
    }

    #[test]
    fn debug_does_not_show_values() {
        let p = parse("password=hunter2\n");
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    proptest! {
        #[test]
        fn never_panics_and_keys_are_trimmed(s in any::<String>()) {
            let p = parse(&s);
            for (k, _) in &p.pairs {
                prop_assert!(!k.is_empty());
                prop_assert_eq!(k.trim(), k.as_str());
            }
        }

        #[test]
        fn never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&String::from_utf8_lossy(&b));
        }
    }
}
