//! The table of ocf:hasan:nfs: parameters, actions and default timeouts (the single source of
//! meta-data, parameter parsing and the man page).

use libocf::{Action, ActionSpec, AgentSpec, ParamSpec};

/// Seconds of NFSv4 grace and lease when not set (the kernel's defaults).
pub const DEFAULT_GRACE_S: &str = "90";
/// See [`DEFAULT_GRACE_S`].
pub const DEFAULT_LEASE_S: &str = "90";
/// The server scope when neither `server_scope` nor `ip` is set.
pub const FALLBACK_SCOPE: &str = "hasan-nfs";

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
sm.bak) under /var/lib/nfs to state_dir, moving the node's own files aside; then it \
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
NFSv4 client database, v4recovery, statd's sm and sm.bak), linked into /var/lib/nfs while \
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
