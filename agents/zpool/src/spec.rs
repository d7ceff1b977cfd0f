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
crash safe), the node must have a hostid of its own, and the pool's labels are read before any \
import: -f is used only when the pool's current uberblock shows it left imported by another host \
with multihost on, so that ZFS's activity check refuses it if that host is alive; a pool live on a \
host with this node's hostid, or whose writer switched multihost off, is refused. It loads encryption keys from file \
key locations, mounts and shares the datasets, waits for zvol device nodes, reports (and \
optionally ends) the processes, swap, stacked devices, NFS exports and LIO backstores that keep a \
pool busy at stop, and fails stop \
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
-R ROOT, -o PROP=VALUE, -s, -N (ignored: start always mounts the datasets), -f (ignored: \
see importforce), -o cachefile=none (the agent's own). Refused, because they defeat the import \
policy or lose data: -F -X -T -n (rewind), -m (drops acknowledged synchronous writes), -D, -a, \
-l (keys are the agent's), -t, --rewind-to-checkpoint, other -o cachefile=… and -o multihost=…. \
Without -d or -c, start gives zpool import the pool's devices by the names their labels record \
(when every device was read and each name still leads to its device) instead of a search of \
every block device.",
    ),
    ParamSpec::boolean("importforce", "Allow -f after a crash of the other host")
        .default("true")
        .long(
            "Kept for heartbeat/ZFS compatibility, but it can never override multihost. When true \
(the default), start uses -f after a crash of the other host: when the pool's labels show it \
left imported by another hostid with multihost=on (at once, or after ZFS refused a plain import \
when single_activity_check=false or the labels could not be read first); multihost's activity \
check then refuses the pool if that host is still writing. With a pool without multihost it \
permits -f only together with allow_no_multihost=true. When false, -f is never used: after a \
crash of the other node the import fails until an operator acts.",
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
        "Start reads the pool's labels from its devices before importing. When their current uberblock \
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(SPEC.problems(), Vec::<String>::new());
    }
}
