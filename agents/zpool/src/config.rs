//! The checked configuration, built from the parameters of the table in `spec.rs` without looking
//! at the local system.

use std::time::Duration;

use libocf::{OcfError, Params};

use crate::importargs::ImportArgs;
use crate::mmp::Tuning;
use crate::start_timeout::TUNING_PARAMS;

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct Config {
    /// Pool name.
    pub pool: String,
    /// Accepted import arguments.
    pub importargs: ImportArgs,
    /// `importforce`.
    pub importforce: bool,
    /// `allow_no_multihost`.
    pub allow_no_multihost: bool,
    /// `single_activity_check`.
    pub single_activity_check: bool,
    /// `pool_guid`.
    pub pool_guid: Option<u64>,
    /// `allow_failmode_continue`.
    pub allow_failmode_continue: bool,
    /// `load_keys`.
    pub load_keys: bool,
    /// `zvol_wait`.
    pub zvol_wait: Duration,
    /// `export_timeout`.
    pub export_timeout: Duration,
    /// `kill_holders`.
    pub kill_holders: bool,
    /// The MMP tuning to apply.
    pub tuning: Tuning,
}

/// ZFS's pool-name rules (zpool_name_valid), with a hint for the common dataset mistake.
pub fn check_pool_name(name: &str) -> Result<(), String> {
    if name.contains('/') {
        return Err(format!(
            "{name:?} is a dataset path; pool takes the pool's name only"
        ));
    }
    let Some(first) = name.chars().next() else {
        return Err("the pool name is empty".into());
    };
    if !first.is_ascii_alphabetic() {
        return Err(format!("pool name {name:?} must begin with a letter"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | ' ')))
    {
        return Err(format!("pool name {name:?} contains {bad:?}"));
    }
    for reserved in ["mirror", "raidz", "draid", "spare", "log"] {
        if name.starts_with(reserved) {
            return Err(format!(
                "pool name {name:?} begins with the reserved word {reserved}"
            ));
        }
    }
    if name.len() > 255 {
        return Err("the pool name is longer than 255 characters".into());
    }
    Ok(())
}

impl Config {
    /// Build from parameters; every problem is OCF_ERR_CONFIGURED with the parameter's name.
    pub fn from_params(p: &Params) -> Result<Config, OcfError> {
        let pool = p.str("pool")?.to_owned();
        check_pool_name(&pool).map_err(|e| OcfError::configured(format!("parameter pool: {e}")))?;
        let importargs = ImportArgs::parse(p.opt_str("importargs")?.unwrap_or_default())
            .map_err(|e| OcfError::configured(format!("parameter importargs: {e}")))?;
        Ok(Config {
            pool,
            importforce: p.flag("importforce")? || importargs.force_requested,
            importargs,
            allow_no_multihost: p.flag("allow_no_multihost")?,
            single_activity_check: p.flag("single_activity_check")?,
            pool_guid: match p
                .opt_str("pool_guid")?
                .map(str::trim)
                .filter(|g| !g.is_empty())
            {
                None => None,
                Some(g) => Some(g.parse::<u64>().ok().filter(|g| *g != 0).ok_or_else(|| {
                    OcfError::configured(format!(
                        "parameter pool_guid: {g:?} is not a pool guid (a decimal number, as \
                         zpool get -H -p -o value guid prints it)"
                    ))
                })?),
            },
            allow_failmode_continue: p.flag("allow_failmode_continue")?,
            load_keys: p.flag("load_keys")?,
            zvol_wait: p.secs("zvol_wait")?,
            export_timeout: p.secs("export_timeout")?,
            kill_holders: p.flag("kill_holders")?,
            tuning: Tuning {
                interval_ms: p.opt_uint(TUNING_PARAMS[0])?,
                import_intervals: p.opt_uint(TUNING_PARAMS[1])?,
                fail_intervals: p.opt_uint(TUNING_PARAMS[2])?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SPEC;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, OcfError> {
        let vars = pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()));
        Config::from_params(&Params::parse(&SPEC, vars)?)
    }

    #[test]
    fn heartbeat_parameters_work_unchanged() {
        let c = parse(&[
            ("pool", "tank"),
            ("importargs", "-d /dev/disk/by-path"),
            ("importforce", "true"),
        ])
        .unwrap();
        assert_eq!(c.importargs.args(), ["-d", "/dev/disk/by-path"]);
        assert!(c.importforce && !c.allow_no_multihost && c.load_keys && !c.kill_holders);
        assert_eq!(c.zvol_wait, Duration::from_secs(30));
        assert!(c.tuning.is_empty());
    }

    #[test]
    fn bad_input_is_not_configured_with_a_one_line_reason() {
        for (pairs, needle) in [
            (vec![], "pool"),
            (vec![("pool", "tank/data")], "dataset path"),
            (vec![("pool", "1tank")], "begin with a letter"),
            (vec![("pool", "mirror0")], "reserved"),
            (vec![("pool", "ta$nk")], "contains"),
            (vec![("pool", "tank"), ("importargs", "-F")], "importargs"),
            (
                vec![("pool", "tank"), ("importargs", "-d '/x")],
                "unterminated",
            ),
            (
                vec![("pool", "tank"), ("importargs", "-d /x; reboot")],
                "metacharacter",
            ),
            (
                vec![("pool", "tank"), ("importforce", "maybe")],
                "importforce",
            ),
            (vec![("pool", "tank"), ("zvol_wait", "-1")], "zvol_wait"),
            (
                vec![("pool", "tank"), ("multihost_interval", "10")],
                "multihost_interval",
            ),
            (
                vec![("pool", "tank"), ("export_timeout", "0")],
                "export_timeout",
            ),
        ] {
            let e = parse(&pairs).unwrap_err();
            assert_eq!(e.status, libocf::OcfStatus::ErrConfigured, "{pairs:?}");
            assert!(e.reason.contains(needle), "{pairs:?}: {}", e.reason);
            assert_eq!(e.one_line_reason(), e.reason);
        }
    }

    #[test]
    fn dash_f_in_importargs_means_importforce() {
        let c = parse(&[
            ("pool", "tank"),
            ("importargs", "-f"),
            ("importforce", "false"),
        ])
        .unwrap();
        assert!(c.importforce);
        assert!(c.importargs.args().is_empty());
    }
}
