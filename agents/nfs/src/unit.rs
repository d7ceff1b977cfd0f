//! The NFS server's systemd side: the runtime drop-in that starts rpc.nfsd with this resource's
//! server scope (as its UTS nodename), address, grace and lease times, and the helper units that
//! keep state files on the pool open.

use crate::config::Config;

/// Name of the drop-in (`/run/systemd/system/<unit>.d/50-hasan-nfs.conf`).
pub const DROP_IN: &str = "50-hasan-nfs";

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

/// The drop-in's text. `ExecStart=` is replaced so that rpc.nfsd runs in its own UTS namespace
/// whose nodename is the server scope (the kernel takes the scope from the nodename of the
/// process that starts the threads), with the address, grace and lease as options (they win over
/// nfs.conf). `$$` is systemd's escape for a literal `$`.
pub fn drop_in_text(cfg: &Config) -> String {
    let mut nfsd = format!(
        "{RPC_NFSD} --grace-time {} --lease-time {}",
        cfg.grace_s, cfg.lease_s
    );
    if let Some(ip) = cfg.ip {
        nfsd.push_str(&format!(" --host {ip}"));
    }
    format!(
        "# Written by ocf:hasan:nfs at start, removed at stop (runtime: gone after a reboot).\n\
[Service]\n\
ExecStart=\n\
ExecStart={UNSHARE} --uts {SH} -c 'printf %%s \"$$1\" > /proc/sys/kernel/hostname && shift && exec \"$$@\"' hasan-nfs {} {nfsd}\n",
        cfg.server_scope
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests_support::parse;

    #[test]
    fn the_drop_in_sets_scope_address_grace_and_lease() {
        let cfg = parse(&[
            ("config_dir", "/p/nfs"),
            ("ip", "10.77.0.100"),
            ("grace_time", "15"),
            ("lease_time", "20"),
        ])
        .unwrap();
        let t = drop_in_text(&cfg);
        assert!(
            t.contains("\nExecStart=\nExecStart=/usr/bin/unshare --uts /bin/sh -c "),
            "{t}"
        );
        assert!(
            t.ends_with(
                "hasan-nfs 10.77.0.100 /usr/sbin/rpc.nfsd --grace-time 15 --lease-time 20 --host 10.77.0.100\n"
            ),
            "{t}"
        );
        assert!(t.contains("printf %%s \"$$1\""), "systemd escapes: {t}");
        let cfg = parse(&[("config_dir", "/p/nfs"), ("server_scope", "san")]).unwrap();
        let t = drop_in_text(&cfg);
        assert!(
            t.ends_with("hasan-nfs san /usr/sbin/rpc.nfsd --grace-time 90 --lease-time 90\n"),
            "{t}"
        );
    }
}
