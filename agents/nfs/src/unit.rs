//! The NFS server's systemd side: the runtime drop-in that starts rpc.nfsd with this resource's
//! server scope (as its UTS nodename), address, grace and lease times read from an environment
//! file, and the helper units that keep state files on the pool open.

use crate::config::Config;

/// Name of the drop-in (`/run/systemd/system/<unit>.d/50-hasan-nfs.conf`).
pub const DROP_IN: &str = "50-hasan-nfs";

/// The environment file the drop-in reads: this resource's settings, written at start and removed
/// at stop. systemd reads it at each start of the unit, so new settings need no daemon-reload.
pub const ENV_FILE: &str = "/run/hasan/nfs.env";

/// The client-tracking daemon whose database is on the pool.
pub const NFSDCLD: &str = "nfsdcld.service";

/// Daemons that hold files of the state directory open (nfsdcld its database, rpc.statd and
/// sm-notify the monitor lists): stopped before the state is linked or put back, and started
/// again by the server unit (`Wants=`) with the pool's state.
pub const STATE_HOLDERS: &[&str] = &[NFSDCLD, "rpc-statd-notify.service", "rpc-statd.service"];

/// Tools the drop-in runs, by absolute path.
pub const UNSHARE: &str = "/usr/bin/unshare";
/// See [`UNSHARE`].
pub const SH: &str = "/bin/sh";
/// See [`UNSHARE`].
pub const RPC_NFSD: &str = "/usr/sbin/rpc.nfsd";

/// The drop-in's text, the same for every resource and node: written once after a boot, so
/// daemon-reload (16 s under TCG) runs once, not at every start and stop. `ExecStart=` is
/// replaced so that rpc.nfsd runs in its own UTS namespace whose nodename is the server scope
/// (the kernel takes the scope from the nodename of the process that starts the threads), with
/// the address, grace and lease as options (they win over nfs.conf). `${X}` is one word, `$X`
/// is split at spaces (the options); `$$` is systemd's escape for a literal `$`. Without the
/// environment file (the resource is stopped here) the unit runs plain rpc.nfsd, as the
/// distribution's does, and a later drop-in (nfsserver's) still wins.
pub fn drop_in_text() -> String {
    format!(
        "# Written by ocf:hasan:nfs at its first start after a boot (runtime: gone after a reboot).\n\
# The resource's settings are in {ENV_FILE}, written at start and removed at stop; without\n\
# them this runs plain rpc.nfsd.\n\
[Service]\n\
EnvironmentFile=-{ENV_FILE}\n\
ExecStart=\n\
ExecStart={UNSHARE} --uts {SH} -c '[ -z \"$$1\" ] || printf %%s \"$$1\" > /proc/sys/kernel/hostname || exit 1; shift; exec \"$$@\"' hasan-nfs ${{HASAN_NFS_SCOPE}} {RPC_NFSD} $HASAN_NFSD_OPTIONS\n"
    )
}

/// The environment file's text: the server scope and rpc.nfsd's options.
pub fn env_text(cfg: &Config) -> String {
    let mut nfsd = format!("--grace-time {} --lease-time {}", cfg.grace_s, cfg.lease_s);
    if let Some(ip) = cfg.ip {
        nfsd.push_str(&format!(" --host {ip}"));
    }
    format!(
        "# Written by ocf:hasan:nfs at start, removed at stop.\n\
HASAN_NFS_SCOPE={}\n\
HASAN_NFSD_OPTIONS={nfsd}\n",
        cfg.server_scope
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests_support::parse;

    #[test]
    fn the_drop_in_is_constant_and_the_environment_carries_scope_address_grace_and_lease() {
        let t = drop_in_text();
        assert!(
            t.contains("\nEnvironmentFile=-/run/hasan/nfs.env\nExecStart=\nExecStart=/usr/bin/unshare --uts /bin/sh -c "),
            "{t}"
        );
        assert!(
            t.ends_with("hasan-nfs ${HASAN_NFS_SCOPE} /usr/sbin/rpc.nfsd $HASAN_NFSD_OPTIONS\n"),
            "{t}"
        );
        assert!(t.contains("printf %%s \"$$1\""), "systemd escapes: {t}");
        let cfg = parse(&[
            ("config_dir", "/p/nfs"),
            ("ip", "10.77.0.100"),
            ("grace_time", "15"),
            ("lease_time", "20"),
        ])
        .unwrap();
        assert!(env_text(&cfg).ends_with(
            "\nHASAN_NFS_SCOPE=10.77.0.100\nHASAN_NFSD_OPTIONS=--grace-time 15 --lease-time 20 --host 10.77.0.100\n"
        ));
        let cfg = parse(&[("config_dir", "/p/nfs"), ("server_scope", "san")]).unwrap();
        assert!(env_text(&cfg).ends_with(
            "\nHASAN_NFS_SCOPE=san\nHASAN_NFSD_OPTIONS=--grace-time 90 --lease-time 90\n"
        ));
    }
}
