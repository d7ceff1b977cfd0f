//! The agent's table (parameters and actions, the single source of truth) and the checked
//! configuration built from it without looking at the local system.

use std::time::Duration;

use libocf::{Action, ActionSpec, AgentSpec, OcfError, ParamSpec, Params};

use crate::importargs::ImportArgs;
use crate::mmp::Tuning;

/// ocf:hasan:zpool's table.
pub const SPEC: AgentSpec = AgentSpec {
    name: "zpool",
    version: "1.0",
    shortdesc: "ZFS pool import/export with multihost protection",
    longdesc: "Imports a ZFS pool on start and exports it on stop, for an active/passive cluster \
whose nodes share the pool's disks. Unlike heartbeat/ZFS it never imports with -f blindly: the \
pool must have multihost=on (the multihost activity check is what makes a forced import after a \
crash safe), the node must have a hostid, and -f is added only when ZFS says the pool was last \
used by another host that multihost then shows to be gone. It loads encryption keys from file \
key locations, mounts the datasets, waits for zvol device nodes, reports (and optionally ends) \
the processes, NFS exports and LIO backstores that keep a pool busy at stop, and fails stop \
quickly on a SUSPENDED pool so that the node is fenced instead of hanging. Parameters pool, \
importargs and importforce are those of heartbeat/ZFS, so a resource can switch agents unchanged.",
    parameters: PARAMS,
    actions: &[
        ActionSpec::new(Action::Start, 120),
        ActionSpec::new(Action::Stop, 120),
        ActionSpec::monitor(60, 10, 0),
        ActionSpec::new(Action::ValidateAll, 30),
        ActionSpec::new(Action::MetaData, 5),
    ],
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("pool", "Name of the ZFS pool")
        .required()
        .unique()
        .long("The name of the pool to import and export (a pool, not a dataset: no '/')."),
    ParamSpec::string("importargs", "Extra zpool import arguments").long(
        "Extra arguments for zpool import, split with shell quoting rules but never run by a \
shell, e.g. \"-d /dev/disk/by-path -d /dev/disk/by-partlabel\". Accepted: -d DIR, -c CACHEFILE, \
-R ROOT, -o PROP=VALUE, -s, -N (ignored: datasets are mounted by the agent), -f (ignored: \
see importforce), -o cachefile=none (the agent's own). Refused, because they defeat the import \
policy or lose data: -F -X -T -n (rewind), -m (drops acknowledged synchronous writes), -D, -a, \
-l (keys are the agent's), -t, --rewind-to-checkpoint, other -o cachefile=… and -o multihost=….",
    ),
    ParamSpec::boolean("importforce", "Allow -f after a crash of the other host")
        .default("true")
        .long(
            "Kept for heartbeat/ZFS compatibility, but it can never override multihost. When true \
(the default) and ZFS refuses a plain import because another host used the pool last and did not \
export it, the agent retries once with -f, which multihost's activity check refuses if that host \
is still writing. With a pool without multihost it permits -f only together with \
allow_no_multihost=true. When false, -f is never used: after a crash of the other node the \
import fails until an operator acts.",
        ),
    ParamSpec::string("pool_guid", "The pool's guid (optional)").long(
        "When set (zpool get guid POOL), start imports the pool by this guid, ignores labels of \
other pools with the same name, and accepts an already imported pool only if it is this one.",
    ),
    ParamSpec::boolean(
        "single_activity_check",
        "After a crash, force at once (one activity check)",
    )
    .default("true")
    .long(
        "Start reads the pool's labels (zdb) before importing. When their current uberblock \
shows the pool left imported by another hostid with multihost=on, true (the default, with \
importforce=true) imports with -f at once: the activity check of that import still refuses the \
pool if that host is alive, so a crash failover waits one check. false keeps the two-step path: \
a plain import that spends a whole check only to learn the pool was left imported, then -f with \
a second one.",
    ),
    ParamSpec::boolean("allow_no_multihost", "Accept a pool with multihost=off")
        .default("false")
        .long(
            "By default start refuses a pool whose multihost property is off (and exports it \
again): without multihost nothing stops two nodes importing the pool at once, which corrupts it. \
Set true only if fencing alone is trusted to prevent that; a loud warning is logged on every \
start.",
        ),
    ParamSpec::boolean(
        "allow_failmode_continue",
        "Accept a pool with failmode=continue",
    )
    .default("false")
    .long(
        "With failmode=continue ZFS reports a pool suspended by multihost as ONLINE, so monitor \
cannot see the suspension; start refuses such a pool (and exports it again) unless this is true, \
and monitor then logs a warning at depth 10 and above.",
    ),
    ParamSpec::boolean("load_keys", "Load encryption keys at start")
        .default("true")
        .long(
            "Load the keys of encrypted datasets whose keylocation is a file:// or https:// URL \
before mounting. A keylocation=prompt dataset fails start (nobody can type a passphrase). When \
false, locked datasets stay locked and unmounted.",
        ),
    ParamSpec::integer(
        "zvol_wait",
        0,
        3600,
        "Seconds to wait for zvol device nodes",
    )
    .default("30")
    .long(
        "After import, wait up to this many seconds until /dev/zvol/<pool>/… exists for every \
volume (udev creates them asynchronously); start fails if one is still missing. 0 disables.",
    ),
    ParamSpec::integer("export_timeout", 1, 3600, "Seconds a plain export may take")
        .default("30")
        .long(
            "Stop gives a plain zpool export this long (within the stop timeout). If it fails \
because the pool is busy or does not finish, the holders are listed in the log and the exit \
reason and, with kill_holders=true, ended before zpool export -f.",
        ),
    ParamSpec::boolean("kill_holders", "Let stop end processes holding the pool")
        .default("false")
        .long(
            "When true, processes whose working directory, open files or mapped files are on the \
pool's file systems or zvols get SIGTERM, then SIGKILL, and the pool is exported with -f. NFS \
exports and LIO backstores are reported but not removed: their own resources must stop first.",
        ),
    ParamSpec::integer(
        "multihost_interval",
        100,
        60000,
        "zfs_multihost_interval to apply (ms)",
    )
    .long(
        "When set, start writes this value to /sys/module/zfs/parameters/zfs_multihost_interval \
and monitor reports degraded if it drifts. Set it identically on every node (it is a resource \
parameter, so it is). A shorter interval shortens the activity check an import waits after a \
crash, at the cost of more MMP writes and a quicker suspension of the pool on a slow disk.",
    ),
    ParamSpec::integer(
        "multihost_import_intervals",
        1,
        1000,
        "zfs_multihost_import_intervals to apply",
    )
    .long("When set, applied and watched like multihost_interval."),
    ParamSpec::integer(
        "multihost_fail_intervals",
        0,
        1000,
        "zfs_multihost_fail_intervals to apply",
    )
    .long(
        "When set, applied and watched like multihost_interval. The activity check after a \
crash lasts about 2 × fail_intervals × interval (or import_intervals × interval when larger), \
plus up to 25 %.",
    ),
];

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

fn secs(p: &Params, name: &str, default: u64) -> Duration {
    Duration::from_secs(
        p.int(name)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(default),
    )
}

fn opt(p: &Params, name: &str) -> Option<u64> {
    p.int(name).and_then(|n| u64::try_from(n).ok())
}

impl Config {
    /// Build from parameters; every problem is OCF_ERR_CONFIGURED with the parameter's name.
    pub fn from_params(p: &Params) -> Result<Config, OcfError> {
        let pool = p.required_str("pool")?.to_owned();
        check_pool_name(&pool).map_err(|e| OcfError::configured(format!("parameter pool: {e}")))?;
        let importargs = ImportArgs::parse(p.str("importargs").unwrap_or_default())
            .map_err(|e| OcfError::configured(format!("parameter importargs: {e}")))?;
        Ok(Config {
            pool,
            importforce: p.flag("importforce") || importargs.force_requested,
            importargs,
            allow_no_multihost: p.flag("allow_no_multihost"),
            single_activity_check: p.flag("single_activity_check"),
            pool_guid: match p.str("pool_guid").map(str::trim).filter(|g| !g.is_empty()) {
                None => None,
                Some(g) => Some(g.parse::<u64>().ok().filter(|g| *g != 0).ok_or_else(|| {
                    OcfError::configured(format!(
                        "parameter pool_guid: {g:?} is not a pool guid (a decimal number, as \
                         zpool get -H -p -o value guid prints it)"
                    ))
                })?),
            },
            allow_failmode_continue: p.flag("allow_failmode_continue"),
            load_keys: p.flag("load_keys"),
            zvol_wait: secs(p, "zvol_wait", 30),
            export_timeout: secs(p, "export_timeout", 30),
            kill_holders: p.flag("kill_holders"),
            tuning: Tuning {
                interval_ms: opt(p, "multihost_interval"),
                import_intervals: opt(p, "multihost_import_intervals"),
                fail_intervals: opt(p, "multihost_fail_intervals"),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, OcfError> {
        let vars = pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()));
        Config::from_params(&Params::parse(&SPEC, vars)?)
    }

    #[test]
    fn table_is_consistent() {
        assert!(SPEC.problems().is_empty(), "{:?}", SPEC.problems());
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
