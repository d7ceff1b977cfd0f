//! Which local paths the NFS server reads from the pool, and the first-start seeding of the state
//! directory on the pool from the node's own state files.
//!
//! `/var/lib/nfs` itself is not linked: the distributions mount rpc_pipefs inside it
//! (`var-lib-nfs-rpc_pipefs.mount`), and systemd does not mount through a symlink. The entries in
//! it that hold state a client needs after a failover are linked one by one.

use std::io;
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use libocf::pool_config::{Need, PoolConfig};

use crate::config::Config;
use crate::host::Host;

/// The state under /var/lib/nfs that moves with the pool: nfsdcld's NFSv4 client database, the
/// kernel's legacy v4recovery directory and statd's monitor lists (Debian keeps them directly in
/// /var/lib/nfs, RHEL under statd/). Only directories: their files are written inside them. The
/// NSM state number (/var/lib/nfs/state) stays local: sm-notify replaces that file by a rename,
/// which would replace a symlink to the pool by a local file.
pub const STATE_ENTRIES: &[&str] = &["nfsdcld", "v4recovery", "sm", "sm.bak", "statd"];

/// Created on the pool when the node has none to seed it from (mode 0700, root).
const CREATED_IF_MISSING: &[&str] = &["nfsdcld"];

/// The links of this resource, in start order.
pub fn pool_config(cfg: &Config, host: &Host) -> PoolConfig {
    let mut pc = PoolConfig::new(&cfg.config_dir)
        .entry(host.path("/etc/exports"), "exports", Need::Required)
        .entry(host.path("/etc/exports.d"), "exports.d", Need::IfPresent)
        .entry(host.path("/etc/nfs.conf"), "nfs.conf", Need::IfPresent);
    for e in STATE_ENTRIES {
        pc = pc.link(
            host.path(&format!("/var/lib/nfs/{e}")),
            cfg.state_dir.join(e),
            Need::IfPresent,
        );
    }
    pc
}

fn with_suffix(p: &Path, s: &str) -> PathBuf {
    let mut o = p.as_os_str().to_owned();
    o.push(s);
    PathBuf::from(o)
}

fn copy_owner_and_mode(from: &std::fs::Metadata, to: &Path) -> io::Result<()> {
    chown(to, Some(from.uid()), Some(from.gid()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(from.mode() & 0o7777))
}

/// Copy a state file, or a directory with the regular files in it, preserving owner and mode.
fn copy_entry(from: &Path, to: &Path) -> io::Result<()> {
    let meta = from.metadata()?;
    if meta.is_dir() {
        std::fs::create_dir(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            let m = e.metadata()?;
            if m.is_file() {
                let dest = to.join(e.file_name());
                std::fs::copy(e.path(), &dest)?;
                copy_owner_and_mode(&m, &dest)?;
            }
        }
    } else {
        std::fs::copy(from, to)?;
    }
    copy_owner_and_mode(&meta, to)
}

/// What seeding did, for the log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// Entries copied from the node's own state.
    pub copied: Vec<String>,
    /// Entries created empty.
    pub created: Vec<String>,
}

/// Make sure `state_dir` exists on the pool and holds every state entry this node has (copied
/// from the node's own, never overwriting what the pool has). Each entry appears at once
/// (copied under a temporary name, then renamed), so a start killed here is simply repeated.
pub fn seed_state(cfg: &Config, host: &Host) -> io::Result<Seeded> {
    let dir = &cfg.state_dir;
    if !dir.is_dir() {
        std::fs::create_dir(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    }
    let mut seeded = Seeded::default();
    for e in STATE_ENTRIES {
        let on_pool = dir.join(e);
        if on_pool.symlink_metadata().is_ok() {
            continue;
        }
        let local = host.path(&format!("/var/lib/nfs/{e}"));
        let own = if local.is_symlink() {
            with_suffix(&local, libocf::pool_config::MOVED_ASIDE)
        } else {
            local
        };
        let tmp = with_suffix(&on_pool, ".hasan-seed");
        if tmp.symlink_metadata().is_ok() {
            if tmp.is_dir() {
                std::fs::remove_dir_all(&tmp)?;
            } else {
                std::fs::remove_file(&tmp)?;
            }
        }
        if own.symlink_metadata().is_ok() {
            copy_entry(&own, &tmp)?;
            seeded.copied.push((*e).to_owned());
        } else if CREATED_IF_MISSING.contains(e) {
            std::fs::create_dir(&tmp)?;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700))?;
            seeded.created.push((*e).to_owned());
        } else {
            continue;
        }
        std::fs::rename(&tmp, &on_pool)?;
    }
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests_support::parse;

    #[test]
    fn the_state_dir_is_seeded_once_from_the_nodes_own_state() {
        let tmp = tempfile::tempdir().unwrap();
        let host = Host::at(&tmp.path().join("node"));
        let pool = tmp.path().join("pool/nfs");
        std::fs::create_dir_all(&pool).unwrap();
        std::fs::create_dir_all(host.path("/var/lib/nfs/sm")).unwrap();
        std::fs::write(host.path("/var/lib/nfs/sm/client1"), "mon\n").unwrap();
        std::fs::write(host.path("/var/lib/nfs/state"), [1, 2, 3, 4]).unwrap();
        std::fs::create_dir_all(host.path("/var/lib/nfs/v4recovery")).unwrap();
        std::fs::set_permissions(
            host.path("/var/lib/nfs/sm"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let cfg = parse(&[("config_dir", pool.to_str().unwrap())]).unwrap();
        let s = seed_state(&cfg, &host).unwrap();
        assert_eq!(s.copied, ["v4recovery", "sm"]);
        assert_eq!(s.created, ["nfsdcld"]);
        let st = pool.join("state");
        assert!(
            !st.join("state").exists(),
            "the NSM state number stays local"
        );
        assert_eq!(
            std::fs::read_to_string(st.join("sm/client1")).unwrap(),
            "mon\n"
        );
        assert_eq!(st.join("sm").metadata().unwrap().mode() & 0o777, 0o700);
        assert_eq!(st.join("nfsdcld").metadata().unwrap().mode() & 0o777, 0o700);
        // the pool's state wins over the node's from then on
        std::fs::write(st.join("sm/client1"), "pool\n").unwrap();
        let again = seed_state(&cfg, &host).unwrap();
        assert_eq!(again, Seeded::default());
        assert_eq!(
            std::fs::read_to_string(st.join("sm/client1")).unwrap(),
            "pool\n"
        );
        // the links: exports required, the rest when present
        let pc = pool_config(&cfg, &host);
        assert_eq!(pc.links.len(), 3 + STATE_ENTRIES.len());
        assert_eq!(pc.links[0].local, host.path("/etc/exports"));
        assert_eq!(pc.links[3].on_pool, st.join("nfsdcld"));
    }
}
