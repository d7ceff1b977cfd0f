//! The checked configuration of ocf:hasan:smb, built from its parameters without looking at the
//! node (validate-all at level 0).

use std::net::IpAddr;
use std::path::PathBuf;

use libocf::pool_config::check_pool_path;
use libocf::service::check_unit_name;
use libocf::{OcfError, Params};

#[cfg(test)]
use crate::spec::{DEFAULT_PRIVATE_DIR, DEFAULT_SMB_CONF, SPEC};

/// The checked parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The directory on the pool.
    pub config_dir: PathBuf,
    /// The service address.
    pub ip: IpAddr,
    /// Local smb.conf.
    pub smb_conf: PathBuf,
    /// Local private directory.
    pub private_dir: PathBuf,
    /// The unit, when given.
    pub unit: Option<String>,
}

fn bad(name: &str, why: impl std::fmt::Display) -> OcfError {
    OcfError::configured(format!("parameter {name}: {why}"))
}

fn local_path(p: &Params, name: &str) -> Result<PathBuf, OcfError> {
    check_pool_path(p.str(name)?).map_err(|e| bad(name, e))
}

impl Config {
    /// Check the parameters (validate-all level 0: nothing of the node is looked at).
    pub fn from_params(p: &Params) -> Result<Config, OcfError> {
        let config_dir = check_pool_path(p.str("config_dir")?).map_err(|e| bad("config_dir", e))?;
        let raw_ip = p.str("ip")?;
        let ip: IpAddr = raw_ip
            .parse()
            .map_err(|_| bad("ip", format!("{raw_ip:?} is not an IPv4 or IPv6 address")))?;
        if ip.is_unspecified() || ip.is_multicast() || ip.is_loopback() {
            return Err(bad("ip", format!("{ip} cannot be a service address")));
        }
        let unit = p.opt_str("unit")?.map(str::to_owned);
        if let Some(u) = &unit {
            check_unit_name(u).map_err(|e| bad("unit", e))?;
        }
        let smb_conf = local_path(p, "smb_conf")?;
        let private_dir = local_path(p, "private_dir")?;
        for (name, path) in [("smb_conf", &smb_conf), ("private_dir", &private_dir)] {
            if path.starts_with(&config_dir) || config_dir.starts_with(path) {
                return Err(bad(name, "must not be inside config_dir (or contain it)"));
            }
        }
        Ok(Config {
            config_dir,
            ip,
            smb_conf,
            private_dir,
            unit,
        })
    }
}

#[cfg(test)]
pub mod tests_support {
    //! Parameters for unit tests.
    use super::*;

    /// The configuration from `name=value` pairs, as Pacemaker would pass them.
    pub fn parse(pairs: &[(&str, &str)]) -> Result<Config, OcfError> {
        let vars = pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()));
        Config::from_params(&Params::parse(&SPEC, vars)?)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::parse;
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert!(SPEC.problems().is_empty(), "{:?}", SPEC.problems());
    }

    #[test]
    fn defaults() {
        let c = parse(&[
            ("config_dir", "/san-pool/cluster-config/samba/"),
            ("ip", "10.77.0.100"),
        ])
        .unwrap();
        assert_eq!(
            c.config_dir,
            PathBuf::from("/san-pool/cluster-config/samba")
        );
        assert_eq!(c.smb_conf, PathBuf::from(DEFAULT_SMB_CONF));
        assert_eq!(c.private_dir, PathBuf::from(DEFAULT_PRIVATE_DIR));
        assert_eq!(c.unit, None);
    }

    #[test]
    fn bad_input_is_refused_with_the_parameter_name() {
        let ok_ip = ("ip", "10.77.0.100");
        for (pairs, needle) in [
            (vec![ok_ip], "config_dir"),
            (vec![("config_dir", "/p")], "required parameter ip"),
            (vec![("config_dir", "p/smb"), ok_ip], "parameter config_dir"),
            (
                vec![("config_dir", "/p/./smb"), ok_ip],
                "parameter config_dir",
            ),
            (
                vec![("config_dir", "/p"), ("ip", "10.77.0")],
                "parameter ip",
            ),
            (
                vec![("config_dir", "/p"), ("ip", "127.0.0.1")],
                "parameter ip",
            ),
            (vec![("config_dir", "/p"), ("ip", "::")], "parameter ip"),
            (
                vec![("config_dir", "/p"), ok_ip, ("unit", "smbd service")],
                "parameter unit",
            ),
            (
                vec![("config_dir", "/p"), ok_ip, ("smb_conf", "smb.conf")],
                "parameter smb_conf",
            ),
            (
                vec![("config_dir", "/p"), ok_ip, ("private_dir", "/p/private")],
                "parameter private_dir",
            ),
            (
                vec![("config_dir", "/var/lib/samba"), ok_ip],
                "parameter private_dir",
            ),
        ] {
            let e = parse(&pairs).unwrap_err();
            assert_eq!(e.status, libocf::OcfStatus::ErrConfigured, "{pairs:?}");
            assert!(e.reason.contains(needle), "{pairs:?}: {}", e.reason);
        }
    }
}
