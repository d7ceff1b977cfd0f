//! The table of ocf:hasan:zpool: its parameters, actions and default timeouts (the single source of
//! meta-data, parameter parsing, defaults and the man page).

use libocf::{Action, ActionSpec, AgentSpec, ParamSpec};

/// ocf:hasan:zpool's table.
pub const SPEC: AgentSpec = AgentSpec {
    name: "zpool",
    version: env!("CARGO_PKG_VERSION"),
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
-R ROOT, -o PROP=VALUE, -m, -s, -N (ignored: datasets are mounted by the agent), -f (ignored: \
see importforce). Refused, because they defeat the import policy: -F -X -T -n (rewind), -D, -a, \
-l (keys are the agent's), -t, --rewind-to-checkpoint, -o cachefile=… and -o multihost=….",
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
    ParamSpec::boolean(
        "single_activity_check",
        "After a crash, force at once (one activity check)",
    )
    .default("false")
    .long(
        "After a crash of the other node, the plain import first spends a whole multihost \
activity check only to learn that the pool was left imported, then -f spends a second one (about \
2 × 25 s with the default module parameters). When true (and importforce=true), start first reads \
the pool's labels with zdb: if they show it left imported by another hostid with multihost=on, it \
imports with -f directly, whose activity check still refuses the pool if that host is alive. \
One check instead of two; a pool that was exported, or has multihost=off, takes the normal path.",
    ),
    ParamSpec::boolean("allow_no_multihost", "Accept a pool with multihost=off")
        .default("false")
        .long(
            "By default start refuses a pool whose multihost property is off (and exports it \
again): without multihost nothing stops two nodes importing the pool at once, which corrupts it. \
Set true only if fencing alone is trusted to prevent that; a loud warning is logged on every \
start.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(SPEC.problems(), Vec::<String>::new());
    }
}
