//! The CHAP credentials file: JSON `{"per_initiator": {"<tpg>:<initiator iqn>": {"user","pass"}},
//! "per_tpg": {"<tpg>": {"user","pass"}}}`, plain (mode 0600) or encrypted with
//! `openssl enc -aes-256-cbc -pbkdf2 -salt -pass file:/etc/machine-id`. Secrets stay in
//! zeroized memory and are never formatted.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::openssl_enc;

/// The credentials file as written by the existing deployments.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default)]
    per_initiator: BTreeMap<String, Entry>,
    #[serde(default)]
    per_tpg: BTreeMap<String, Entry>,
}

/// One entry: the initiator's credentials (`user`, `pass`), and optionally the target's own for
/// mutual CHAP (`mutual_user`, `mutual_pass`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    user: String,
    pass: Zeroizing<String>,
    #[serde(default)]
    mutual_user: Option<String>,
    #[serde(default)]
    mutual_pass: Option<Zeroizing<String>>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entry {{ user: {:?}, .. }}", self.user)
    }
}

/// A user name and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The CHAP name (not secret).
    pub user: String,
    /// The CHAP secret.
    pub pass: Zeroizing<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential {{ user: {:?}, pass: <secret> }}", self.user)
    }
}

/// What one ACL gets: the initiator's credential and, for mutual CHAP, the target's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclAuth {
    /// The initiator authenticates with this.
    pub initiator: Credential,
    /// The target authenticates with this (mutual CHAP).
    pub target: Option<Credential>,
}

/// Why the file cannot be used; every one of these fails start with 6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChapError {
    /// The file cannot be read.
    #[error("cannot read chap_file {path}: {why}")]
    Unreadable {
        /// Its path.
        path: String,
        /// The OS error.
        why: String,
    },
    /// A plain file that others can read.
    #[error("chap_file {path} is plain JSON readable by group or others (mode {mode:o}): chmod 600 it or encrypt it")]
    TooOpen {
        /// Its path.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file cannot be read.
    #[error("cannot read chap_key_file {path}: {why}")]
    KeyUnreadable {
        /// Its path.
        path: String,
        /// The OS error.
        why: String,
    },
    /// Decryption failed.
    #[error("cannot decrypt chap_file {path} with chap_key_file {key}: {why}")]
    Decrypt {
        /// The file.
        path: String,
        /// The key file.
        key: String,
        /// Why.
        why: String,
    },
    /// Not the JSON format (serde's message, which quotes no values).
    #[error("chap_file {path} is not the expected JSON: {why}")]
    Format {
        /// The file.
        path: String,
        /// serde's message: line and column, never the content.
        why: String,
    },
    /// An entry that LIO cannot take.
    #[error("chap_file {path}: entry {entry:?}: {why}")]
    BadEntry {
        /// The file.
        path: String,
        /// The entry's key.
        entry: String,
        /// What is wrong.
        why: String,
    },
    /// An allowed initiator without credentials.
    #[error("chap_file {path} has no credentials for initiator {initiator} (neither per_initiator \"{tpg}:{initiator}\" nor per_tpg \"{tpg}\")")]
    Missing {
        /// The file.
        path: String,
        /// The TPG tag.
        tpg: u16,
        /// The initiator.
        initiator: String,
    },
    /// Mutual CHAP asked for but no target credentials.
    #[error("chap=mutual but chap_file {path} has no mutual_user/mutual_pass for initiator {initiator} (per_initiator or per_tpg)")]
    MissingMutual {
        /// The file.
        path: String,
        /// The initiator.
        initiator: String,
    },
}

/// The parsed credentials.
#[derive(Debug)]
pub struct ChapBook {
    path: String,
    file: FileFormat,
}

/// A TPG key of the file: `1`, `tpg1` and `tpgt_1` all name TPG 1.
fn tpg_tag(key: &str) -> Option<u16> {
    let digits = key
        .strip_prefix("tpgt_")
        .or_else(|| key.strip_prefix("tpg"))
        .unwrap_or(key);
    digits.parse().ok()
}

/// LIO keeps CHAP names and secrets in 256-byte buffers, written as one line.
fn check_field(what: &str, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if v.len() > 255 {
        return Err(format!("{what} is longer than 255 bytes"));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(format!("{what} contains a control character"));
    }
    Ok(())
}

impl ChapBook {
    /// Parse the file's bytes: decrypt them first if they are `openssl enc` output, with the
    /// pass phrase from `key` (the key file's contents).
    pub fn parse(
        path: &str,
        key_path: &str,
        data: &[u8],
        key: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) -> Result<ChapBook, ChapError> {
        let plain = if openssl_enc::is_encrypted(data) {
            let key = Zeroizing::new(key().map_err(|e| ChapError::KeyUnreadable {
                path: key_path.into(),
                why: e.to_string(),
            })?);
            let pass = openssl_enc::pass_from_file(&key);
            openssl_enc::decrypt(data, &pass).map_err(|e| ChapError::Decrypt {
                path: path.into(),
                key: key_path.into(),
                why: e.to_string(),
            })?
        } else {
            Zeroizing::new(data.to_vec())
        };
        let file: FileFormat = serde_json::from_slice(&plain).map_err(|e| {
            // serde_json's messages name a line/column and the kind of token, never the value;
            // after a wrong key it is binary garbage, so say so.
            if openssl_enc::is_encrypted(data) {
                ChapError::Decrypt {
                    path: path.into(),
                    key: key_path.into(),
                    why: "wrong key (the decrypted text is not JSON)".into(),
                }
            } else {
                ChapError::Format {
                    path: path.into(),
                    why: format!("line {} column {}", e.line(), e.column()),
                }
            }
        })?;
        let book = ChapBook {
            path: path.into(),
            file,
        };
        book.check()?;
        Ok(book)
    }

    /// Read and parse the file at `path` (key from `key_path` when encrypted). A plain file must
    /// not be readable by group or others.
    pub fn load(path: &str, key_path: &str) -> Result<ChapBook, ChapError> {
        use std::os::unix::fs::PermissionsExt;
        let unreadable = |e: std::io::Error| ChapError::Unreadable {
            path: path.into(),
            why: e.to_string(),
        };
        let data = Zeroizing::new(std::fs::read(path).map_err(unreadable)?);
        if !openssl_enc::is_encrypted(&data) {
            let mode = std::fs::metadata(path)
                .map_err(unreadable)?
                .permissions()
                .mode()
                & 0o777;
            if mode & 0o077 != 0 {
                return Err(ChapError::TooOpen {
                    path: path.into(),
                    mode,
                });
            }
        }
        ChapBook::parse(path, key_path, &data, || std::fs::read(key_path))
    }

    fn check(&self) -> Result<(), ChapError> {
        let bad = |entry: &str, why: String| ChapError::BadEntry {
            path: self.path.clone(),
            entry: entry.into(),
            why,
        };
        let entries = self
            .file
            .per_initiator
            .iter()
            .map(|(k, e)| (k, e, k.split_once(':').and_then(|(t, _)| tpg_tag(t))))
            .chain(self.file.per_tpg.iter().map(|(k, e)| (k, e, tpg_tag(k))));
        for (k, e, tag) in entries {
            if tag.is_none() {
                return Err(bad(k, "the TPG part is not 1, tpg1 or tpgt_1".into()));
            }
            check_field("user", &e.user).map_err(|w| bad(k, w))?;
            check_field("pass", &e.pass).map_err(|w| bad(k, w))?;
            match (&e.mutual_user, &e.mutual_pass) {
                (None, None) => {}
                (Some(u), Some(p)) => {
                    check_field("mutual_user", u).map_err(|w| bad(k, w))?;
                    check_field("mutual_pass", p).map_err(|w| bad(k, w))?;
                    if p.as_str() == e.pass.as_str() {
                        return Err(bad(k, "mutual_pass equals pass (RFC 3720 8.2.1: a secret that authenticates an initiator must not authenticate a target)".into()));
                    }
                }
                _ => return Err(bad(k, "mutual_user and mutual_pass go together".into())),
            }
        }
        Ok(())
    }

    fn entry(&self, tpg: u16, initiator: &str) -> Option<&Entry> {
        let own = self.file.per_initiator.iter().find(|(k, _)| {
            k.split_once(':')
                .is_some_and(|(t, i)| tpg_tag(t) == Some(tpg) && i == initiator)
        });
        own.map(|(_, e)| e)
    }

    fn tpg_entry(&self, tpg: u16) -> Option<&Entry> {
        self.file
            .per_tpg
            .iter()
            .find(|(k, _)| tpg_tag(k) == Some(tpg))
            .map(|(_, e)| e)
    }

    /// The credentials of `initiator` in TPG `tpg`: its own entry, else the TPG's; with
    /// `mutual`, the target's credentials from the same places.
    pub fn for_initiator(
        &self,
        tpg: u16,
        initiator: &str,
        mutual: bool,
    ) -> Result<AclAuth, ChapError> {
        let own = self.entry(tpg, initiator);
        let shared = self.tpg_entry(tpg);
        let e = own.or(shared).ok_or_else(|| ChapError::Missing {
            path: self.path.clone(),
            tpg,
            initiator: initiator.into(),
        })?;
        let initiator_cred = Credential {
            user: e.user.clone(),
            pass: e.pass.clone(),
        };
        let target = if mutual {
            let m = [own, shared]
                .into_iter()
                .flatten()
                .find_map(|e| Some((e.mutual_user.as_ref()?, e.mutual_pass.as_ref()?)))
                .ok_or_else(|| ChapError::MissingMutual {
                    path: self.path.clone(),
                    initiator: initiator.into(),
                })?;
            if m.1.as_str() == e.pass.as_str() {
                return Err(ChapError::BadEntry {
                    path: self.path.clone(),
                    entry: initiator.into(),
                    why: "the target's mutual secret equals the initiator's secret".into(),
                });
            }
            Some(Credential {
                user: m.0.clone(),
                pass: m.1.clone(),
            })
        } else {
            None
        };
        Ok(AclAuth {
            initiator: initiator_cred,
            target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INI: &str = "iqn.2024-01.local.lab:node2";

    fn book(json: &str) -> Result<ChapBook, ChapError> {
        ChapBook::parse(
            "/etc/hasan/chap.json",
            "/etc/machine-id",
            json.as_bytes(),
            || Ok(b"id\n".to_vec()),
        )
    }

    #[test]
    fn per_initiator_wins_over_per_tpg() {
        let b = book(
            r#"{"per_initiator": {"1:iqn.2024-01.local.lab:node2": {"user": "n2", "pass": "secret-n2-123"}},
                "per_tpg": {"tpg1": {"user": "all", "pass": "secret-all-12", "mutual_user": "tgt", "mutual_pass": "secret-tgt-12"}}}"#,
        )
        .unwrap();
        let a = b.for_initiator(1, INI, false).unwrap();
        assert_eq!(a.initiator.user, "n2");
        assert_eq!(a.target, None);
        let a = b
            .for_initiator(1, "iqn.2024-01.local.lab:other", true)
            .unwrap();
        assert_eq!(a.initiator.user, "all");
        assert_eq!(a.target.unwrap().user, "tgt");
        // own entry without mutual falls back to the TPG's mutual credentials
        assert_eq!(
            b.for_initiator(1, INI, true).unwrap().target.unwrap().user,
            "tgt"
        );
        assert!(matches!(
            b.for_initiator(2, INI, false),
            Err(ChapError::Missing { tpg: 2, .. })
        ));
    }

    #[test]
    fn tpg_spellings() {
        for k in ["1", "tpg1", "tpgt_1"] {
            let b = book(&format!(
                r#"{{"per_tpg": {{"{k}": {{"user": "u", "pass": "p"}}}}}}"#
            ))
            .unwrap();
            assert_eq!(b.for_initiator(1, INI, false).unwrap().initiator.user, "u");
        }
    }

    #[test]
    fn bad_files_name_the_problem_but_never_a_secret() {
        for (json, want) in [
            ("{", "not the expected JSON"),
            (
                r#"{"per_tpg": {"x": {"user": "u", "pass": "hunter2"}}}"#,
                "TPG part",
            ),
            (
                r#"{"per_tpg": {"1": {"user": "", "pass": "hunter2"}}}"#,
                "user is empty",
            ),
            (
                r#"{"per_tpg": {"1": {"user": "u", "pass": "hun\nter2"}}}"#,
                "control",
            ),
            (
                r#"{"per_tpg": {"1": {"user": "u", "pass": "hunter2", "mutual_user": "m"}}}"#,
                "go together",
            ),
            (
                r#"{"per_tpg": {"1": {"user": "u", "pass": "hunter2", "mutual_user": "m", "mutual_pass": "hunter2"}}}"#,
                "equals",
            ),
            (
                r#"{"per_tpg": {"1": {"user": "u", "pazz": "hunter2"}}}"#,
                "not the expected JSON",
            ),
            (r#"{"tpgs": {}}"#, "not the expected JSON"),
        ] {
            let e = book(json).unwrap_err().to_string();
            assert!(e.contains(want), "{json}: {e}");
            assert!(!e.contains("hunter2") && !e.contains("hun"), "{e}");
        }
        let b = book(r#"{"per_tpg": {"1": {"user": "u", "pass": "hunter2"}}}"#).unwrap();
        assert!(matches!(
            b.for_initiator(1, INI, true),
            Err(ChapError::MissingMutual { .. })
        ));
        assert!(!format!("{:?}", b.for_initiator(1, INI, false)).contains("hunter2"));
    }

    #[test]
    fn an_encrypted_file_needs_its_key() {
        let e = ChapBook::parse("/c", "/etc/machine-id", b"Salted__12345678", || {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        })
        .unwrap_err();
        assert!(matches!(e, ChapError::KeyUnreadable { .. }), "{e}");
        let e = ChapBook::parse(
            "/c",
            "/k",
            b"Salted__1234567812345678123456781234567812345678",
            || Ok(b"k".to_vec()),
        )
        .unwrap_err();
        assert!(matches!(e, ChapError::Decrypt { .. }), "{e}");
    }

    #[test]
    fn plain_files_open_to_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("chap.json");
        std::fs::write(&p, r#"{"per_tpg": {"1": {"user": "u", "pass": "p"}}}"#).unwrap();
        let path = p.to_str().unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            ChapBook::load(path, "/x"),
            Err(ChapError::TooOpen { mode: 0o644, .. })
        ));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(ChapBook::load(path, "/x").is_ok());
        assert!(matches!(
            ChapBook::load("/nonexistent/chap", "/x"),
            Err(ChapError::Unreadable { .. })
        ));
    }
}
