//! The stdin protocol: `key=value` lines as Pacemaker and fence-agents send them.
//!
//! Stdin is read bounded and wiped after use. Blank lines and `#` comments are skipped, keys are
//! trimmed, values are kept as given ([`Value::text`] trims and unquotes; [`Value::secret`] only
//! unquotes: passwords are never trimmed), the last value of a key wins. Malformed lines are
//! reported (without their content: it could be a password) and skipped.

use std::io::Read;

use zeroize::Zeroizing;

use crate::error::FenceError;

/// The most stdin a run accepts (Pacemaker sends well under 4 KiB).
pub const MAX_STDIN: usize = 64 * 1024;

/// The text read from stdin, wiped from memory when dropped (it holds the password).
pub type StdinText = Zeroizing<String>;

/// Read stdin: at most [`MAX_STDIN`] bytes of UTF-8; anything else is a one-line error that
/// shows none of the input.
pub fn read(input: impl Read) -> Result<StdinText, FenceError> {
    let mut buf = Zeroizing::new(Vec::with_capacity(4096));
    input
        .take(MAX_STDIN as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FenceError::usage(format!("cannot read stdin: {e}")))?;
    if buf.len() > MAX_STDIN {
        return Err(FenceError::usage(format!(
            "stdin is larger than {} KiB: expected key=value lines",
            MAX_STDIN / 1024
        )));
    }
    match std::str::from_utf8(&buf) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(e) => Err(FenceError::usage(format!(
            "stdin is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ))),
    }
}

/// A value as given (wiped on drop): on stdin everything after the first `=` of its line.
#[derive(Clone, PartialEq, Eq)]
pub struct Value(Zeroizing<String>);

impl Value {
    /// A value taken as it is (from argv).
    pub fn exact(v: String) -> Value {
        Value(Zeroizing::new(v))
    }

    /// The value as text: trimmed, one pair of matching quotes stripped.
    pub fn text(&self) -> &str {
        unquote(self.0.trim())
    }

    /// The value of a secret: one pair of matching quotes stripped, nothing trimmed (a password
    /// may begin or end with a space).
    pub fn secret(&self) -> &str {
        unquote(&self.0)
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Value(..)")
    }
}

/// One parsed stream: the pairs in order and a note per skipped line.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `(key, value)` in input order; later pairs override earlier ones when applied.
    pub pairs: Vec<(String, Value)>,
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
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line = raw.trim_start();
        if line.trim_end().is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.pairs
                    .push((k.trim().to_owned(), Value(Zeroizing::new(v.to_owned()))));
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
        let pairs: Vec<(String, String)> = p
            .pairs
            .iter()
            .map(|(k, v)| (k.clone(), v.text().to_owned()))
            .collect();
        assert_eq!(
            pairs,
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

    #[test]
    fn secrets_keep_their_spaces() {
        let p = parse("password= pa ss \r\npasswd=\"q \"\n");
        assert_eq!(p.pairs[0].1.secret(), " pa ss ");
        assert_eq!(p.pairs[0].1.text(), "pa ss");
        assert_eq!(p.pairs[1].1.secret(), "q ");
    }

    #[test]
    fn stdin_that_is_not_utf8_or_too_large_is_a_clear_error() {
        let e = read(&b"action=off\npassword=\xff\xfe\n"[..]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "stdin is not UTF-8 text (invalid byte at offset 20)"
        );
        let big = vec![b'#'; MAX_STDIN + 1];
        let e = read(&big[..]).unwrap_err().to_string();
        assert!(e.starts_with("stdin is larger than 64 KiB"), "{e}");
        assert_eq!(read(&b"ip=x\n"[..]).unwrap().as_str(), "ip=x\n");
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
