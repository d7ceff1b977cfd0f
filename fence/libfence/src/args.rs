//! The fence-agents command line: `-o off -a 10.0.0.1 -l admin -S /path`, `--ip=…`, `--ip …`,
//! `-ooff`, flags like `-P`/`--lanplus`, plus `-h/--help` and `-V/--version`.

use crate::error::FenceError;
use crate::spec::{FenceKind, FenceSpec};

/// What the command line asked for.
#[derive(Clone, PartialEq, Eq)]
pub enum Cli {
    /// Print usage.
    Help,
    /// Print the version.
    Version,
    /// Run with these `(parameter name, value)` pairs.
    Pairs(Vec<(&'static str, String)>),
}

impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cli::Help => f.write_str("Help"),
            Cli::Version => f.write_str("Version"),
            Cli::Pairs(p) => f.debug_list().entries(p.iter().map(|(k, _)| *k)).finish(),
        }
    }
}

/// Parse argv (without the program name).
pub fn parse(spec: &FenceSpec, args: &[String]) -> Result<Cli, FenceError> {
    let mut pairs = Vec::new();
    let mut it = args.iter().enumerate();
    while let Some((i, arg)) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Cli::Help),
            "-V" | "--version" => return Ok(Cli::Version),
            _ => {}
        }
        let (param, inline) = if let Some(long) = arg.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let p = spec.params.iter().find(|p| p.long == name).ok_or_else(|| {
                FenceError::usage(format!("unknown option --{name} (see --help)"))
            })?;
            (p, value)
        } else if let Some(short) = arg.strip_prefix('-') {
            let mut chars = short.chars();
            let c = chars
                .next()
                .ok_or_else(|| FenceError::usage("empty option '-' (see --help)"))?;
            let rest: String = chars.collect();
            let p = spec
                .params
                .iter()
                .find(|p| p.short == Some(c))
                .ok_or_else(|| FenceError::usage(format!("unknown option -{c} (see --help)")))?;
            (p, if rest.is_empty() { None } else { Some(rest) })
        } else {
            // Not shown: a stray word may be a password that lost its option.
            return Err(FenceError::usage(format!(
                "unexpected argument {} (not an option): options start with - or -- (see --help)",
                i + 1
            )));
        };
        let value = if matches!(param.kind, FenceKind::Boolean) {
            match inline {
                Some(v) => v,
                None => "1".to_owned(),
            }
        } else {
            match inline {
                Some(v) => v,
                None => it.next().map(|(_, v)| v.clone()).ok_or_else(|| {
                    FenceError::usage(format!("option --{} needs a value", param.long))
                })?,
            }
        };
        pairs.push((param.name, value));
    }
    Ok(Cli::Pairs(pairs))
}

/// The `--help` text.
pub fn usage(spec: &FenceSpec) -> String {
    let mut s = format!(
        "Usage: {} [options]\n       {} < key=value lines on stdin\n\n{}\n\nOptions:\n",
        spec.name, spec.name, spec.shortdesc
    );
    for p in spec.params.iter().filter(|p| !p.hidden) {
        let mut line = format!("   {:<36} {}", p.getopt(), p.shortdesc);
        if let Some(d) = p.default {
            line.push_str(&format!(" (default {d})"));
        }
        if let FenceKind::Select(opts) = p.kind {
            line.push_str(&format!(" [{}]", opts.join("|")));
        }
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str("   -h, --help                           This help\n   -V, --version                        Version\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{common, FenceParam};

    const FLAG: FenceParam = FenceParam::string("lanplus", "lanplus", "", "lanplus")
        .short('P')
        .kind(FenceKind::Boolean);
    const SPEC: FenceSpec = FenceSpec {
        name: "fence_test",
        version: "0",
        shortdesc: "test",
        longdesc: "test",
        vendor_url: "https://example.invalid",
        params: &[
            common::ACTION,
            common::IP,
            common::PASSWORD,
            common::PLUG,
            common::POWER_TIMEOUT,
            FLAG,
        ],
        actions: &[],
    };

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn fence_agents_spellings() {
        let Cli::Pairs(p) = parse(
            &SPEC,
            &argv("-o off -a 10.0.0.1 --plug=n1 -P --power-timeout 5 -pX"),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            p,
            vec![
                ("action", "off".to_owned()),
                ("ip", "10.0.0.1".to_owned()),
                ("plug", "n1".to_owned()),
                ("lanplus", "1".to_owned()),
                ("power_timeout", "5".to_owned()),
                ("password", "X".to_owned()),
            ]
        );
    }

    #[test]
    fn errors_are_one_line_and_hide_values() {
        let e = parse(&SPEC, &argv("--bogus=1")).unwrap_err().to_string();
        assert_eq!(e, "unknown option --bogus (see --help)");
        assert!(parse(&SPEC, &argv("-Z")).is_err());
        assert!(parse(&SPEC, &argv("-o")).is_err());
        let e = parse(&SPEC, &argv("-o off -p pass word")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected argument 5 (not an option): options start with - or -- (see --help)"
        );
        assert_eq!(parse(&SPEC, &argv("-h")).unwrap(), Cli::Help);
        assert_eq!(parse(&SPEC, &argv("--version")).unwrap(), Cli::Version);
        assert!(!format!("{:?}", parse(&SPEC, &argv("-p hunter2")).unwrap()).contains("hunter2"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(args in proptest::collection::vec("(-{0,2})[a-zA-Z=-]{0,12}", 0..8)) {
            let _ = parse(&SPEC, &args);
        }

        #[test]
        fn never_panics_on_any_text(args in proptest::collection::vec(proptest::prelude::any::<String>(), 0..6)) {
            let _ = parse(&SPEC, &args);
        }
    }

    #[test]
    fn usage_lists_getopt_forms() {
        let u = usage(&SPEC);
        assert!(u.contains("-a, --ip=[ip]"), "{u}");
        assert!(u.contains("-P, --lanplus "), "{u}");
    }
}
