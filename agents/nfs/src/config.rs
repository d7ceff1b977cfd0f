//! The table of ocf:hasan:nfs (parameters and actions, the single source of meta-data, parsing and
//! the man page) and the checked configuration built from it without looking at the node.

use std::net::IpAddr;
use std::path::PathBuf;

use libocf::pool_config::check_pool_path;
use libocf::service::check_unit_name;
use libocf::{Action, ActionSpec, AgentSpec, OcfError, ParamSpec, Params};

/// Seconds of NFSv4 grace and lease when not set (the kernel's defaults).
pub const DEFAULT_GRACE_S: &str = "90";
/// See [`DEFAULT_GRACE_S`].
pub const DEFAULT_LEASE_S: &str = "90";
/// The server scope when neither `server_scope` nor `ip` is set.
pub const FALLBACK_SCOPE: &str = "hasan-nfs";
/// Longest server scope: it is set as the UTS nodename of rpc.nfsd.
const MAX_SCOPE: usize = 64;

/// The agent's table.
pub const SPEC: AgentSpec = AgentSpec {
    name: "nfs",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "The kernel NFS server, its exports and NFSv4 state served from the pool",
    longdesc: "Runs the kernel NFS server (the distribution's unit: nfs-kernel-server on \
Debian/Ubuntu, nfs-server on RHEL/Rocky/Alma) with its configuration and NFSv4 client state on \
the pool, so that both nodes serve the same exports and clients can reclaim their locks after a \
failover. Start links /etc/exports, /etc/exports.d and /etc/nfs.conf (the last two when the pool \
has them) to config_dir, and the NFS state (nfsdcld's client database, v4recovery, statd's sm, \
sm.bak and state) under /var/lib/nfs to state_dir, moving the node's own files aside; then it \
starts the unit with one server scope for both nodes, the grace and lease times, and nfsd bound to \
ip. Stop stops the unit and the daemons that keep state files open (nfsdcld, rpc.statd) and puts \
the node's own files back, so nothing dangles on the passive node. Both are idempotent and a start \
or stop killed half-way is completed by the next one. Reload re-exports (exportfs -r) without \
restarting nfsd. Monitor runs no program: it reads /proc/fs/nfsd/threads, the links, the export \
table and /proc/net/tcp; at depth 10 it also sends an RPC NULL call to nfsd on ip. Order the \
resource after the pool and the VIP (one group): when config_dir is missing a probe answers not \
running and start fails saying so.",
    parameters: &[
        ParamSpec::string(
            "config_dir",
            "Directory on the pool with exports (and exports.d, nfs.conf)",
        )
        .required()
        .unique()
        .long(
            "Absolute path of a directory on the pool, e.g. /san-pool/cluster-config/nfs. It \
must hold the file exports; exports.d/ and nfs.conf are used when present. Edit them there (never \
/etc/exports on a node) and run the reload action to re-export. If nfs.conf is on the pool and \
the distribution moved rpc_pipefs (Debian: pipefs-directory=/run/rpc_pipefs in [general]), keep \
that line.",
        ),
        ParamSpec::string("state_dir", "Directory on the pool for NFS state")
            .unique()
            .long(
                "Absolute path of a directory on the pool for the NFS server's state (nfsdcld's \
NFSv4 client database, v4recovery, statd's sm, sm.bak and state), linked into /var/lib/nfs while \
the resource runs; created and seeded from the node's own files on first start. Default: \
config_dir/state. /var/lib/nfs itself stays local: rpc_pipefs is mounted inside it.",
            ),
        ParamSpec::string("ip", "Address nfsd binds to (the VIP)").long(
            "The service address (the VIP) nfsd is bound to (rpc.nfsd --host), checked by monitor \
in /proc/net/tcp and used by the depth-10 RPC NULL call. Order the resource after the VIP. When \
not set nfsd listens on every address and the RPC call goes to 127.0.0.1.",
        ),
        ParamSpec::string("server_scope", "NFSv4 server scope, the same on both nodes").long(
            "The NFSv4.1 server scope (RFC 8881 2.10.4): clients reclaim their state after a \
failover only when both nodes announce the same scope. It is set as the UTS nodename of rpc.nfsd \
(a runtime drop-in of the unit, like ocf:heartbeat:nfsserver's nfs_server_scope). At most 64 \
letters, digits, '.', '-' or '_'. Default: ip when set, else hasan-nfs.",
        ),
        ParamSpec::integer("grace_time", 10, 3600, "NFSv4 grace period in seconds")
            .default(DEFAULT_GRACE_S)
            .long(
                "Seconds after start during which clients reclaim their locks and opens (rpc.nfsd \
--grace-time, /proc/fs/nfsd/nfsv4gracetime; also NLM's grace period). Shorter means new locks \
are possible sooner after a failover; it must be long enough for every client to notice the \
failover and reclaim.",
            ),
        ParamSpec::integer("lease_time", 10, 3600, "NFSv4 lease time in seconds")
            .default(DEFAULT_LEASE_S)
            .long(
                "Seconds a client's state lives without renewal (rpc.nfsd --lease-time, \
/proc/fs/nfsd/nfsv4leasetime). Clients renew at a fraction of it, so a shorter lease lets them \
notice a failover sooner.",
            ),
        ParamSpec::string("unit", "systemd unit of the NFS server").long(
            "The systemd unit that runs the NFS server. Default: nfs-kernel-server.service on \
Debian and Ubuntu, nfs-server.service on RHEL, Rocky, Alma, CentOS and Fedora (from \
/etc/os-release).",
        ),
    ],
    actions: &[
        ActionSpec::new(Action::Start, 120),
        ActionSpec::new(Action::Stop, 120),
        ActionSpec::monitor(20, 10, 0),
        ActionSpec::monitor(20, 30, 10),
        ActionSpec::new(Action::Reload, 60),
        ActionSpec::new(Action::ValidateAll, 30),
        ActionSpec::new(Action::MetaData, 5),
    ],
};

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
