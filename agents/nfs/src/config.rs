//! The checked configuration of ocf:hasan:nfs, built from its parameters without looking at the
//! node (validate-all at level 0).

use std::net::IpAddr;
use std::path::PathBuf;

use libocf::pool_config::check_pool_path;
use libocf::service::check_unit_name;
use libocf::{OcfError, Params};

use crate::spec::FALLBACK_SCOPE;

/// Longest server scope: it is set as the UTS nodename of rpc.nfsd.
const MAX_SCOPE: usize = 64;
#[cfg(test)]
use crate::spec::SPEC;

/// The checked parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The directory on the pool with exports.
    pub config_dir: PathBuf,
    /// The directory on the pool with the NFS state.
    pub state_dir: PathBuf,
    /// The address nfsd binds to.
    pub ip: Option<IpAddr>,
    /// The NFSv4 server scope.
    pub server_scope: String,
    /// NFSv4 grace period, seconds.
    pub grace_s: u32,
    /// NFSv4 lease time, seconds.
    pub lease_s: u32,
    /// The unit, when given.
    pub unit: Option<String>,
}

fn bad(name: &str, why: impl std::fmt::Display) -> OcfError {
    OcfError::configured(format!("parameter {name}: {why}"))
}

fn check_scope(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_SCOPE {
        return Err(format!("{s:?} must be 1 to {MAX_SCOPE} characters"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
    {
        return Err(format!(
            "{s:?} may hold only letters, digits, '.', '-' and '_'"
        ));
    }
    Ok(())
}

fn seconds(p: &Params, name: &str) -> Result<u32, OcfError> {
    u32::try_from(p.uint(name)?).map_err(|_| bad(name, "out of range"))
}

impl Config {
    /// Check the parameters (validate-all level 0: nothing of the node is looked at).
    pub fn from_params(p: &Params) -> Result<Config, OcfError> {
        let config_dir = check_pool_path(p.str("config_dir")?).map_err(|e| bad("config_dir", e))?;
        let state_dir = match p.opt_str("state_dir")? {
            Some(s) => check_pool_path(s).map_err(|e| bad("state_dir", e))?,
            None => config_dir.join("state"),
        };
        if state_dir == config_dir {
            return Err(bad(
                "state_dir",
                "must not be config_dir itself (the state lives beside the exports)",
            ));
        }
        let ip = match p.opt_str("ip")? {
            Some(s) => {
                let ip: IpAddr = s
                    .parse()
                    .map_err(|_| bad("ip", format!("{s:?} is not an IPv4 or IPv6 address")))?;
                if ip.is_unspecified() || ip.is_multicast() {
                    return Err(bad("ip", format!("{s} cannot be a service address")));
                }
                Some(ip)
            }
            None => None,
        };
        let server_scope = match (p.opt_str("server_scope")?, ip) {
            (Some(s), _) => s.to_owned(),
            (None, Some(ip)) => ip.to_string().replace(':', "-"),
            (None, None) => FALLBACK_SCOPE.to_owned(),
        };
        check_scope(&server_scope).map_err(|e| bad("server_scope", e))?;
        let unit = p.opt_str("unit")?.map(str::to_owned);
        if let Some(u) = &unit {
            check_unit_name(u).map_err(|e| bad("unit", e))?;
        }
        Ok(Config {
            config_dir,
            state_dir,
            ip,
            server_scope,
            grace_s: seconds(p, "grace_time")?,
            lease_s: seconds(p, "lease_time")?,
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
        let c = parse(&[("config_dir", "/san-pool/cluster-config/nfs")]).unwrap();
        assert_eq!(
            c.state_dir,
            PathBuf::from("/san-pool/cluster-config/nfs/state")
        );
        assert_eq!(c.server_scope, FALLBACK_SCOPE);
        assert_eq!((c.grace_s, c.lease_s), (90, 90));
        assert_eq!(c.ip, None);
        let c = parse(&[
            ("config_dir", "/p/nfs"),
            ("ip", "10.77.0.100"),
            ("grace_time", "15"),
        ])
        .unwrap();
        assert_eq!(c.server_scope, "10.77.0.100", "the VIP is the scope");
        assert_eq!(c.grace_s, 15);
        let c = parse(&[("config_dir", "/p/nfs"), ("ip", "2001:db8::10")]).unwrap();
        assert_eq!(c.server_scope, "2001-db8--10");
    }

    #[test]
    fn bad_input_is_refused_with_the_parameter_name() {
        for (pairs, needle) in [
            (vec![], "config_dir"),
            (vec![("config_dir", "relative")], "parameter config_dir"),
            (vec![("config_dir", "/p/../etc")], "parameter config_dir"),
            (
                vec![("config_dir", "/p"), ("state_dir", "/p")],
                "parameter state_dir",
            ),
            (
                vec![("config_dir", "/p"), ("state_dir", "x")],
                "parameter state_dir",
            ),
            (
                vec![("config_dir", "/p"), ("ip", "10.77.0.300")],
                "parameter ip",
            ),
            (
                vec![("config_dir", "/p"), ("ip", "0.0.0.0")],
                "parameter ip",
            ),
            (
                vec![("config_dir", "/p"), ("server_scope", "a b")],
                "parameter server_scope",
            ),
            (
                vec![("config_dir", "/p"), ("server_scope", &"x".repeat(65))],
                "parameter server_scope",
            ),
            (
                vec![("config_dir", "/p"), ("grace_time", "5")],
                "parameter grace_time",
            ),
            (
                vec![("config_dir", "/p"), ("lease_time", "1h")],
                "parameter lease_time",
            ),
            (
                vec![("config_dir", "/p"), ("unit", "x;reboot")],
                "parameter unit",
            ),
        ] {
            let e = parse(&pairs).unwrap_err();
            assert_eq!(e.status, libocf::OcfStatus::ErrConfigured, "{pairs:?}");
            assert!(e.reason.contains(needle), "{pairs:?}: {}", e.reason);
        }
    }
}
