//! Journal entries: reading `journalctl -o json` and `-o export` files, and the local journal.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// One journal entry, reduced to what the timeline reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `__REALTIME_TIMESTAMP`: microseconds since the epoch, by the writing node's clock.
    pub time_us: i64,
    /// `_HOSTNAME`.
    pub host: String,
    /// `SYSLOG_IDENTIFIER` (`pacemaker-controld`, `corosync`, `hasan-zpool`, …).
    pub ident: String,
    /// `MESSAGE`.
    pub message: String,
    /// The `HASAN_*` fields.
    pub hasan: BTreeMap<String, String>,
}

impl Entry {
    fn from_fields(f: &BTreeMap<String, String>) -> Option<Entry> {
        let time_us = f.get("__REALTIME_TIMESTAMP")?.parse().ok()?;
        Some(Entry {
            time_us,
            host: f.get("_HOSTNAME").cloned().unwrap_or_default(),
            ident: f.get("SYSLOG_IDENTIFIER").cloned().unwrap_or_default(),
            message: f.get("MESSAGE").cloned().unwrap_or_default(),
            hasan: f
                .iter()
                .filter(|(k, _)| k.starts_with("HASAN_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// A `HASAN_*` field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.hasan.get(name).map(String::as_str)
    }
}

/// Parse `journalctl -o json` output (one object per line).
pub fn parse_json(text: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("line {}: not a journal JSON object", n + 1))?;
        let Some(obj) = v.as_object() else {
            bail!("line {}: not a journal JSON object", n + 1);
        };
        let fields: BTreeMap<String, String> = obj
            .iter()
            .filter_map(|(k, v)| json_text(v).map(|t| (k.clone(), t)))
            .collect();
        if let Some(e) = Entry::from_fields(&fields) {
            out.push(e);
        }
    }
    Ok(out)
}

/// A field's text: a string, a byte array (binary or non-UTF-8 field), or the first of repeats.
fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_u64()) => {
            let bytes: Vec<u8> = items
                .iter()
                .filter_map(|i| i.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        serde_json::Value::Array(items) => items.first().and_then(json_text),
        _ => None,
    }
}

/// Parse the journal export format (`journalctl -o export`): `KEY=value` lines, binary fields
/// as `KEY`, a little-endian u64 length, the bytes and a newline; entries end with an empty line.
pub fn parse_export(data: &[u8]) -> Result<Vec<Entry>> {
    Ok(export_records(data)?
        .into_iter()
        .filter_map(|(_, e)| e)
        .collect())
}

/// The records of an export file: each one's bytes (with its closing empty line) and its entry
/// (`None` without a timestamp).
pub fn export_records(data: &[u8]) -> Result<Vec<(std::ops::Range<usize>, Option<Entry>)>> {
    let mut out = Vec::new();
    let mut fields = BTreeMap::new();
    let mut begin = 0;
    let mut rest = data;
    let at = |rest: &[u8]| data.len() - rest.len();
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..nl];
        rest = rest.get(nl + 1..).unwrap_or(&[]);
        if line.is_empty() {
            out.push((begin..at(rest), Entry::from_fields(&fields)));
            begin = at(rest);
            fields.clear();
            continue;
        }
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            let key = field_name(&line[..eq])?;
            let value = String::from_utf8_lossy(&line[eq + 1..]).into_owned();
            fields.insert(key, value);
            continue;
        }
        let key = field_name(line)?;
        let (len, after) = rest
            .split_first_chunk::<8>()
            .with_context(|| format!("field {key}: truncated binary length"))?;
        let len = usize::try_from(u64::from_le_bytes(*len))
            .ok()
            .filter(|&l| l <= after.len())
            .with_context(|| format!("field {key}: binary length beyond the end"))?;
        fields.insert(key, String::from_utf8_lossy(&after[..len]).into_owned());
        rest = after.get(len + 1..).unwrap_or(&[]);
    }
    if !fields.is_empty() {
        out.push((begin..data.len(), Entry::from_fields(&fields)));
    }
    Ok(out)
}

/// A journal field name: upper-case letters, digits and `_`, not starting with a digit.
fn field_name(raw: &[u8]) -> Result<String> {
    let ok = !raw.is_empty()
        && !raw[0].is_ascii_digit()
        && raw
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
    if !ok {
        bail!(
            "{:?} is not a journal field name",
            String::from_utf8_lossy(&raw[..raw.len().min(40)])
        );
    }
    Ok(String::from_utf8_lossy(raw).into_owned())
}

/// Parse a file in either format (JSON when it starts with `{`).
pub fn parse(data: &[u8]) -> Result<Vec<Entry>> {
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Ok(Vec::new()),
        Some(b'{') => parse_json(&String::from_utf8_lossy(data)),
        Some(_) => {
            const NEITHER: &str =
                "neither journal JSON (journalctl -o json) nor journal export (-o export)";
            let entries = parse_export(data).context(NEITHER)?;
            if entries.is_empty() {
                bail!(NEITHER);
            }
            Ok(entries)
        }
    }
}

/// Read one journal file.
pub fn read_file(path: &Path) -> Result<Vec<Entry>> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&data).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_with_binary_and_hasan_fields() {
        let text = r#"{"__REALTIME_TIMESTAMP":"1764546000000000","_HOSTNAME":"node2","SYSLOG_IDENTIFIER":"hasan-zpool","MESSAGE":[112,104],"HASAN_PHASE":"import","HASAN_DURATION_MS":"1234"}
{"MESSAGE":"no timestamp"}
"#;
        let e = parse(text.as_bytes()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].message, "ph");
        assert_eq!(e[0].field("HASAN_PHASE"), Some("import"));
        assert_eq!(e[0].host, "node2");
    }

    #[test]
    fn export_with_a_binary_field() {
        let mut data = b"__REALTIME_TIMESTAMP=5\n_HOSTNAME=n1\nMESSAGE\n".to_vec();
        data.extend_from_slice(&3u64.to_le_bytes());
        data.extend_from_slice(b"a\nb\nHASAN_ACTION=start\n\n__REALTIME_TIMESTAMP=6\nMESSAGE=x\n");
        let e = parse(&data).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].message, "a\nb");
        assert_eq!(e[0].field("HASAN_ACTION"), Some("start"));
        assert_eq!(e[1].time_us, 6);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse(b"{not json").is_err());
        assert!(parse(b"hello world\n").is_err());
        let e = parse(b"[workspace]\nmembers = [\"x\"]\n").unwrap_err();
        assert!(
            format!("{e:#}").starts_with("neither journal JSON"),
            "{e:#}"
        );
        let mut bad = b"__REALTIME_TIMESTAMP=5\nMESSAGE\n".to_vec();
        bad.extend_from_slice(&99u64.to_le_bytes());
        assert!(parse(&bad).is_err());
    }
}
