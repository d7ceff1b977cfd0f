//! `importargs`: split like a shell would (quotes, backslashes; no expansion, never a shell) and
//! keep only the `zpool import` options that cannot defeat the import policy.

use std::fmt;

/// Why `importargs` was refused; always a configuration error (the same on every node).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportArgsError {
    /// A quote was opened and never closed.
    #[error("unterminated {0} quote")]
    Unterminated(char),
    /// A character a shell would interpret (heartbeat/ZFS passes importargs through one).
    #[error("shell metacharacter {0:?} is not allowed (importargs is not run by a shell)")]
    Metachar(char),
    /// An option the agent owns or that would defeat its safety policy.
    #[error("option {option} is not allowed: {why}")]
    Forbidden {
        /// The option as written.
        option: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// An option this agent does not know.
    #[error("unknown zpool import option {0}")]
    Unknown(String),
    /// An option that needs a value got none.
    #[error("option {0} needs a value")]
    MissingValue(String),
    /// A bare word: the pool is given by the `pool` parameter.
    #[error("unexpected argument {0:?}: the pool is given by the pool parameter, not importargs")]
    Positional(String),
}

/// Split `text` into words with POSIX-shell quoting rules: blanks separate words, `'…'` is
/// literal, `"…"` allows `\"` `\\` `\$` `` \` ``, a backslash outside quotes escapes the next
/// character. Expansions and operators are refused, not interpreted.
pub fn split(text: &str) -> Result<Vec<String>, ImportArgsError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err(ImportArgsError::Unterminated('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err(ImportArgsError::Unterminated('"')),
                        },
                        Some(x @ ('$' | '`')) => return Err(ImportArgsError::Metachar(x)),
                        Some(x) => cur.push(x),
                        None => return Err(ImportArgsError::Unterminated('"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(x) => cur.push(x),
                    None => return Err(ImportArgsError::Unterminated('\\')),
                }
            }
            ';' | '&' | '|' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '[' | '#' | '~' => {
                return Err(ImportArgsError::Metachar(c))
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// The accepted options, re-emitted in a canonical form for `zpool import`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportArgs {
    args: Vec<String>,
    /// True if `-f` was given: accepted for heartbeat/ZFS compatibility, but it never reaches
    /// `zpool import` directly (the policy decides when `-f` is used).
    pub force_requested: bool,
}

impl ImportArgs {
    /// The arguments to put before the pool name.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// True if they say where to look for the pool's devices (`-d` or `-c`).
    pub fn searches(&self) -> bool {
        self.args.iter().any(|a| a == "-d" || a == "-c")
    }

    /// Parse `importargs`. Allowed: `-d DIR`, `-c CACHEFILE`, `-R ROOT`, `-o PROP=VAL` (not
    /// `multihost`, and `cachefile` only as `cachefile=none`, which is dropped), `-s`, `-N`. `-f` is accepted and taken as `importforce`
    /// (heartbeat/ZFS configurations carry it); everything else is refused with the reason.
    pub fn parse(text: &str) -> Result<ImportArgs, ImportArgsError> {
        let words = split(text)?;
        let mut out = ImportArgs::default();
        let mut it = words.into_iter();
        while let Some(w) = it.next() {
            if let Some(long) = w.strip_prefix("--") {
                return Err(match long {
                    "rewind-to-checkpoint" => forbidden(&w, REWIND),
                    _ => ImportArgsError::Unknown(w),
                });
            }
            let Some(flags) = w.strip_prefix('-').filter(|f| !f.is_empty()) else {
                return Err(ImportArgsError::Positional(w));
            };
            for (i, f) in flags.char_indices() {
                match f {
                    'd' | 'c' | 'R' | 'o' => {
                        let attached = &flags[i + f.len_utf8()..];
                        let value = if attached.is_empty() {
                            it.next()
                                .ok_or_else(|| ImportArgsError::MissingValue(format!("-{f}")))?
                        } else {
                            attached.to_owned()
                        };
                        if f == 'o' {
                            check_property(&value)?;
                            if value == CACHEFILE_NONE {
                                // the agent's own choice already (heartbeat configurations carry it)
                                break;
                            }
                        }
                        out.args.push(format!("-{f}"));
                        out.args.push(value);
                        break;
                    }
                    's' => out.args.push("-s".to_owned()),
                    'm' => {
                        return Err(forbidden(
                            "-m",
                            "importing without the log device drops synchronous writes that were \
                             acknowledged to clients; do it by hand after reading zpool-import(8)",
                        ))
                    }
                    // start always mounts the datasets (heartbeat/ZFS did too)
                    'N' => {}
                    'f' => out.force_requested = true,
                    'F' | 'X' | 'T' | 'n' => return Err(forbidden(&format!("-{f}"), REWIND)),
                    'D' => {
                        return Err(forbidden(
                            "-D",
                            "importing destroyed pools is a manual recovery step",
                        ))
                    }
                    'a' => return Err(forbidden("-a", "this resource imports one pool")),
                    'l' => {
                        return Err(forbidden(
                            "-l",
                            "keys are loaded by the agent (parameter load_keys)",
                        ))
                    }
                    't' => {
                        return Err(forbidden(
                            "-t",
                            "a temporary name would make the pool unknown to monitor",
                        ))
                    }
                    other => return Err(ImportArgsError::Unknown(format!("-{other}"))),
                }
            }
        }
        Ok(out)
    }
}

const REWIND: &str =
    "rewinding a pool discards transactions; do it by hand after reading zpool-import(8)";

fn forbidden(option: &str, why: &'static str) -> ImportArgsError {
    ImportArgsError::Forbidden {
        option: option.to_owned(),
        why,
    }
}

/// The one `-o cachefile=…` accepted: what the agent uses anyway.
const CACHEFILE_NONE: &str = "cachefile=none";

fn check_property(value: &str) -> Result<(), ImportArgsError> {
    let name = value.split('=').next().unwrap_or_default();
    match name {
        "cachefile" if value != CACHEFILE_NONE => Err(forbidden(
            "-o cachefile",
            "the agent always imports with cachefile=none so only the cluster imports the pool",
        )),
        "cachefile" => Ok(()),
        "multihost" => Err(forbidden(
            "-o multihost",
            "multihost is the pool's protection against double import; set it with zpool set",
        )),
        _ if !value.contains('=') => Err(ImportArgsError::MissingValue(format!("-o {value}"))),
        _ => Ok(()),
    }
}

impl fmt::Display for ImportArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.args.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell_without_one() {
        assert_eq!(
            split(r#" -d /dev/disk/by-path   -d '/dev/my disks' -d "/x \"y\"" -d a\ b "#).unwrap(),
            [
                "-d",
                "/dev/disk/by-path",
                "-d",
                "/dev/my disks",
                "-d",
                "/x \"y\"",
                "-d",
                "a b"
            ]
        );
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("''").unwrap(), [""]);
        assert_eq!(
            split("'a").unwrap_err(),
            ImportArgsError::Unterminated('\'')
        );
        assert_eq!(
            split("\"a").unwrap_err(),
            ImportArgsError::Unterminated('"')
        );
        for bad in [
            "-d /x; reboot",
            "-d $(id)",
            "-d `id`",
            "-d /a|b",
            "-d /dev/*",
            "-d \"$HOME\"",
        ] {
            assert!(
                matches!(split(bad), Err(ImportArgsError::Metachar(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn heartbeat_style_arguments_are_accepted() {
        let a = ImportArgs::parse("-d /dev/disk/by-path -d /dev/disk/by-partlabel").unwrap();
        assert_eq!(
            a.args(),
            ["-d", "/dev/disk/by-path", "-d", "/dev/disk/by-partlabel"]
        );
        assert!(!a.force_requested);
        let a = ImportArgs::parse("-f -d/dev/disk/by-id -o readonly=off -R /mnt -s").unwrap();
        assert!(a.force_requested);
        assert_eq!(
            a.args(),
            [
                "-d",
                "/dev/disk/by-id",
                "-o",
                "readonly=off",
                "-R",
                "/mnt",
                "-s"
            ]
        );
        // heartbeat configurations carry the agent's own cachefile choice
        let a = ImportArgs::parse("-o cachefile=none -d /dev/disk/by-id").unwrap();
        assert_eq!(a.args(), ["-d", "/dev/disk/by-id"]);
        assert_eq!(
            ImportArgs::parse("-ocachefile=none").unwrap().args().len(),
            0
        );
        assert_eq!(
            ImportArgs::parse("-N").unwrap().args(),
            Vec::<String>::new()
        );
        assert_eq!(ImportArgs::parse("-fd /x").unwrap().args(), ["-d", "/x"]);
    }

    #[test]
    fn options_that_defeat_the_policy_are_refused() {
        for (text, what) in [
            ("-F", "-F"),
            ("-X", "-X"),
            ("-T 1234", "-T"),
            ("-Fn", "-F"),
            ("-m", "-m"),
            ("-sm", "-m"),
            ("-D", "-D"),
            ("-a", "-a"),
            ("-l", "-l"),
            ("-t", "-t"),
            ("-o cachefile=/etc/zfs/zpool.cache", "-o cachefile"),
            ("-o multihost=off", "-o multihost"),
            ("--rewind-to-checkpoint", "--rewind-to-checkpoint"),
        ] {
            match ImportArgs::parse(text) {
                Err(ImportArgsError::Forbidden { option, .. }) => assert_eq!(option, what),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert_eq!(
            ImportArgs::parse("-d").unwrap_err(),
            ImportArgsError::MissingValue("-d".into())
        );
        assert_eq!(
            ImportArgs::parse("tank").unwrap_err(),
            ImportArgsError::Positional("tank".into())
        );
        assert_eq!(
            ImportArgs::parse("-Q").unwrap_err(),
            ImportArgsError::Unknown("-Q".into())
        );
        assert!(ImportArgs::parse("-o readonly").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = ImportArgs::parse(&s);
        }
    }
}
