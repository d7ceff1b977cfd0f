//! Configuration that lives on the pool: local paths (`/etc/exports`, `smb.conf`, `/var/lib/nfs`)
//! replaced by symlinks into a directory on the pool while the resource runs, and the node's own
//! files put back when it stops, so that both nodes serve the same configuration and nothing
//! dangles on the passive node.
//!
//! Every step is one atomic `rename(2)`, so a start or stop killed half-way leaves a state the next
//! start converges and the next stop undoes:
//!
//! 1. link: `local` → `local.hasan-local` (only if `local` exists and is not already the link),
//!    then a new symlink `local.hasan-new` → `on_pool` renamed over `local`;
//! 2. restore: `local` removed if it is the link (whether or not it resolves), then
//!    `local.hasan-local` renamed back to `local`.
//!
//! Shared by ocf:hasan:nfs and ocf:hasan:smb (and any later agent whose configuration fails over
//! with the pool); it lives in libocf because it is agent plumbing, not NFS or Samba knowledge.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::agent::Health;
use crate::status::OcfError;

/// Suffix of the node's own file or directory while the pool's one is linked in its place.
pub const MOVED_ASIDE: &str = ".hasan-local";
/// Suffix of the symlink being created (renamed over the local path at once).
const NEW_LINK: &str = ".hasan-new";

/// Whether a pool entry must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Start fails (6: the configuration on the pool is incomplete) when it is missing.
    Required,
    /// Linked when it exists on the pool; otherwise the node's own path stays as it is.
    IfPresent,
}

/// One local path served from the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLink {
    /// The path the service reads, e.g. `/etc/exports`.
    pub local: PathBuf,
    /// What it points to while the resource runs, e.g. `/san-pool/cluster-config/nfs/exports`.
    pub on_pool: PathBuf,
    /// Whether the pool must have it.
    pub need: Need,
}

/// What [`PoolLink::link`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// The symlink was made (the node's own path, if any, moved aside).
    Made,
    /// The symlink was already there.
    Already,
    /// An optional entry the pool does not have: the local path was left alone.
    NotOnPool,
}

/// What [`PoolLink::restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// The symlink was removed and the node's own path put back.
    PutBack,
    /// The symlink was removed; the node had no own path there.
    Unlinked,
    /// There was nothing of ours to undo.
    Nothing,
    /// The local path is not our symlink and the moved-aside copy exists too: both were left
    /// alone for an operator (the reason says which paths).
    LeftAlone(String),
}

/// Why linking or restoring failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The configuration directory on the pool is not there (pool not imported or not mounted).
    #[error("configuration directory {0} does not exist: the pool is not imported here; order this resource after the pool")]
    NoConfigDir(PathBuf),
    /// A required entry is missing in the configuration directory.
    #[error("{0} is missing on the pool")]
    MissingOnPool(PathBuf),
    /// The directory that should hold the local path does not exist (service not installed?).
    #[error("{0} does not exist (is the service installed?)")]
    NoParent(PathBuf),
    /// Both the local path (not our link) and the moved-aside copy exist.
    #[error("both {local} and {aside} exist and {local} is not a link to the pool: an earlier start was interrupted and something recreated {local}; keep the right one, remove the other")]
    Conflict {
        /// The local path.
        local: PathBuf,
        /// The moved-aside copy.
        aside: PathBuf,
    },
    /// A file system call failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// On which path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl From<LinkError> for OcfError {
    fn from(e: LinkError) -> Self {
        match e {
            // Another node may have the pool: a soft error lets Pacemaker try there.
            LinkError::NoConfigDir(_) | LinkError::Conflict { .. } | LinkError::Io { .. } => {
                OcfError::generic(e.to_string())
            }
            // The pool is the same everywhere: an incomplete configuration is one everywhere.
            LinkError::MissingOnPool(_) => OcfError::configured(e.to_string()),
            LinkError::NoParent(_) => OcfError::installed(e.to_string()),
        }
    }
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> LinkError + 'a {
    move |source| LinkError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// True if `path` exists as anything, a dangling symlink included.
fn present(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

impl PoolLink {
    /// A link `local` → `on_pool`.
    pub fn new(local: impl Into<PathBuf>, on_pool: impl Into<PathBuf>, need: Need) -> Self {
        PoolLink {
            local: local.into(),
            on_pool: on_pool.into(),
            need,
        }
    }

    /// Where the node's own path waits while the pool's is linked.
    pub fn moved_aside(&self) -> PathBuf {
        with_suffix(&self.local, MOVED_ASIDE)
    }

    /// True if `local` is a symlink to `on_pool` (no fork, one `readlink`).
    pub fn is_linked(&self) -> bool {
        std::fs::read_link(&self.local).is_ok_and(|t| t == self.on_pool)
    }

    /// Make `local` a symlink to `on_pool`, moving the node's own path aside first.
    pub fn link(&self) -> Result<Linked, LinkError> {
        if !present(&self.on_pool) {
            return match self.need {
                Need::Required => Err(LinkError::MissingOnPool(self.on_pool.clone())),
                Need::IfPresent => Ok(Linked::NotOnPool),
            };
        }
        if self.is_linked() {
            return Ok(Linked::Already);
        }
        if let Some(parent) = self.local.parent() {
            if !parent.is_dir() {
                return Err(LinkError::NoParent(parent.to_owned()));
            }
        }
        let aside = self.moved_aside();
        if present(&self.local) {
            if present(&aside) {
                return Err(LinkError::Conflict {
                    local: self.local.clone(),
                    aside,
                });
            }
            std::fs::rename(&self.local, &aside)
                .map_err(io_err("cannot move aside", &self.local))?;
        }
        let new = with_suffix(&self.local, NEW_LINK);
        if present(&new) {
            std::fs::remove_file(&new).map_err(io_err("cannot remove", &new))?;
        }
        std::os::unix::fs::symlink(&self.on_pool, &new).map_err(io_err("cannot create", &new))?;
        std::fs::rename(&new, &self.local).map_err(io_err("cannot link", &self.local))?;
        Ok(Linked::Made)
    }

    /// Remove our symlink and put the node's own path back. Never needs the pool.
    pub fn restore(&self) -> Result<Restored, LinkError> {
        let new = with_suffix(&self.local, NEW_LINK);
        if present(&new) {
            std::fs::remove_file(&new).map_err(io_err("cannot remove", &new))?;
        }
        let unlinked = if self.is_linked() {
            std::fs::remove_file(&self.local).map_err(io_err("cannot remove", &self.local))?;
            true
        } else {
            false
        };
        let aside = self.moved_aside();
        if !present(&aside) {
            return Ok(if unlinked {
                Restored::Unlinked
            } else {
                Restored::Nothing
            });
        }
        if present(&self.local) {
            return Ok(Restored::LeftAlone(format!(
                "{} is not a link to {} and {} exists too; left both alone",
                self.local.display(),
                self.on_pool.display(),
                aside.display()
            )));
        }
        std::fs::rename(&aside, &self.local).map_err(io_err("cannot put back", &aside))?;
        Ok(Restored::PutBack)
    }
}

impl fmt::Display for PoolLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.local.display(), self.on_pool.display())
    }
}

/// Checks a directory parameter such as `config_dir`: absolute, normalised (no `.`, `..` or `//`),
/// not `/` itself, printable. Says what is wrong in words.
pub fn check_pool_path(value: &str) -> Result<PathBuf, String> {
    if !value.starts_with('/') {
        return Err(format!("{value:?} is not an absolute path"));
    }
    if value == "/" {
        return Err("\"/\" cannot be a configuration directory".into());
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{value:?} contains control characters"));
    }
    let trimmed = value.strip_suffix('/').unwrap_or(value);
    if trimmed
        .split('/')
        .skip(1)
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(format!(
            "{value:?} is not a normalised path (no '.', '..' or '//' components)"
        ));
    }
    Ok(PathBuf::from(trimmed))
}

/// A configuration directory on the pool and the local paths served from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// The directory on the pool, e.g. `/san-pool/cluster-config/nfs`.
    pub dir: PathBuf,
    /// The local paths linked into it (or elsewhere on the pool), in link order.
    pub links: Vec<PoolLink>,
}

impl PoolConfig {
    /// A configuration directory with no links yet.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PoolConfig {
            dir: dir.into(),
            links: Vec::new(),
        }
    }

    /// Add `local` → `<dir>/<name>`.
    pub fn entry(mut self, local: impl Into<PathBuf>, name: &str, need: Need) -> Self {
        let on_pool = self.dir.join(name);
        self.links.push(PoolLink::new(local, on_pool, need));
        self
    }

    /// Add `local` → `on_pool` (a path anywhere, e.g. a state directory on the pool).
    pub fn link(
        mut self,
        local: impl Into<PathBuf>,
        on_pool: impl Into<PathBuf>,
        need: Need,
    ) -> Self {
        self.links.push(PoolLink::new(local, on_pool, need));
        self
    }

    /// The configuration directory is there (the pool is imported and mounted here).
    pub fn dir_present(&self) -> bool {
        self.dir.is_dir()
    }

    /// Fails with [`LinkError::NoConfigDir`] unless the directory is there, then with
    /// [`LinkError::MissingOnPool`] for the first required entry that is missing.
    pub fn check(&self) -> Result<(), LinkError> {
        if !self.dir_present() {
            return Err(LinkError::NoConfigDir(self.dir.clone()));
        }
        match self
            .links
            .iter()
            .find(|l| l.need == Need::Required && !present(&l.on_pool))
        {
            Some(l) => Err(LinkError::MissingOnPool(l.on_pool.clone())),
            None => Ok(()),
        }
    }

    /// Link every entry (checked first, so a missing required entry changes nothing).
    pub fn link_all(&self) -> Result<Vec<(PoolLink, Linked)>, LinkError> {
        self.check()?;
        let mut done = Vec::new();
        for l in &self.links {
            let what = l.link()?;
            match what {
                Linked::Made => tracing::info!("linked {l}"),
                Linked::Already => tracing::debug!("already linked: {l}"),
                Linked::NotOnPool => tracing::debug!(
                    "{} is not on the pool; {} left as it is",
                    l.on_pool.display(),
                    l.local.display()
                ),
            }
            done.push((l.clone(), what));
        }
        Ok(done)
    }

    /// Undo every link, in reverse order; continues past failures and returns the first.
    pub fn restore_all(&self) -> Result<Vec<(PoolLink, Restored)>, LinkError> {
        let mut done = Vec::new();
        let mut first_error = None;
        for l in self.links.iter().rev() {
            match l.restore() {
                Ok(r) => {
                    match &r {
                        Restored::PutBack => {
                            tracing::info!(
                                "put back {} (unlinked from the pool)",
                                l.local.display()
                            )
                        }
                        Restored::Unlinked => tracing::info!("unlinked {}", l.local.display()),
                        Restored::Nothing => {}
                        Restored::LeftAlone(why) => tracing::warn!("{why}"),
                    }
                    done.push((l.clone(), r));
                }
                Err(e) => {
                    tracing::error!("{e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }

    /// The entries not in place: not linked though the pool has them (or they are required),
    /// or linked but dangling. No fork, only `stat`/`readlink`. Empty when all is in place.
    pub fn not_in_place(&self) -> Vec<&PoolLink> {
        self.links
            .iter()
            .filter(|l| {
                let on_pool = present(&l.on_pool);
                if l.is_linked() {
                    !on_pool
                } else {
                    on_pool || l.need == Need::Required
                }
            })
            .collect()
    }

    /// True if any entry is linked to the pool (the resource was started here, maybe partly).
    pub fn any_linked(&self) -> bool {
        self.links.iter().any(PoolLink::is_linked)
    }

    /// A monitor's first answer from whether `daemon` runs here and how the links stand, before
    /// it looks closer: `Ok(None)` when the daemon runs with every link in place (go on);
    /// `Ok(Some(Health::Stopped))` when nothing of this resource runs here, which includes the links a
    /// node fenced while it served still has after its reboot: to a pool that is elsewhere, or, at a
    /// probe, to the pool imported here again (Pacemaker probes before it starts, and start or
    /// stop puts them right); `Err` when the daemon died with the links in place (a recurring
    /// monitor) or a link is not in place. No fork.
    pub fn monitor_links(
        &self,
        daemon: &str,
        running: bool,
        probe: bool,
    ) -> Result<Option<Health>, OcfError> {
        let left = |how: &str| {
            Ok(Some(Health::Stopped(format!(
                "{daemon} is not running here; the links to {} {how}: a start or stop here puts \
                 them right",
                self.dir.display()
            ))))
        };
        match (running, self.any_linked()) {
            (false, false) => {
                return Ok(Some(Health::Stopped(format!(
                    "{daemon} is not running here"
                ))))
            }
            (true, false) => {
                return Ok(Some(Health::Stopped(format!(
                "{daemon} runs, but not with the configuration from the pool (not this resource)"
            ))))
            }
            (false, true) if !self.dir_present() => {
                return left(
                    "left from before a crash or fencing lead nowhere (the pool is not here)",
                )
            }
            (false, true) if probe => return left("are left from before a crash or fencing"),
            (false, true) => {
                return Err(OcfError::generic(format!(
                    "{daemon} is not running but the configuration is linked from the pool \
                     ({daemon} died or a start was interrupted)"
                )))
            }
            (true, true) => {}
        }
        let missing = self.not_in_place();
        if missing.is_empty() {
            return Ok(None);
        }
        let what: Vec<String> = missing.iter().map(|l| l.to_string()).collect();
        Err(OcfError::generic(format!(
            "not in place: {}",
            what.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    struct Node {
        _tmp: tempfile::TempDir,
        root: PathBuf,
    }

    impl Node {
        /// A node with /etc/exports ("local\n"), no /etc/exports.d, a pool directory with
        /// exports ("pool\n") and exports.d/a.exports, and /var/lib/nfs with one file.
        fn new() -> Node {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().to_owned();
            for d in ["etc", "pool/cfg/exports.d", "pool/state", "var/lib/nfs/sm"] {
                fs::create_dir_all(root.join(d)).unwrap();
            }
            fs::write(root.join("etc/exports"), "local\n").unwrap();
            fs::write(root.join("var/lib/nfs/etab"), "local etab\n").unwrap();
            fs::write(root.join("pool/cfg/exports"), "pool\n").unwrap();
            fs::write(root.join("pool/cfg/exports.d/a.exports"), "/a *(rw)\n").unwrap();
            Node { _tmp: tmp, root }
        }
        fn p(&self, rel: &str) -> PathBuf {
            self.root.join(rel)
        }
        fn config(&self) -> PoolConfig {
            PoolConfig::new(self.p("pool/cfg"))
                .entry(self.p("etc/exports"), "exports", Need::Required)
                .entry(self.p("etc/exports.d"), "exports.d", Need::IfPresent)
                .entry(self.p("etc/nfs.conf"), "nfs.conf", Need::IfPresent)
                .link(self.p("var/lib/nfs"), self.p("pool/state"), Need::Required)
        }
        fn read(&self, rel: &str) -> String {
            fs::read_to_string(self.p(rel)).unwrap()
        }
        /// Every path under the root with its kind and content, to compare whole trees.
        fn snapshot(&self) -> Vec<String> {
            let mut out = Vec::new();
            let mut stack = vec![self.root.clone()];
            while let Some(d) = stack.pop() {
                for e in fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    let rel = p.strip_prefix(&self.root).unwrap().display().to_string();
                    let m = p.symlink_metadata().unwrap();
                    if m.file_type().is_symlink() {
                        out.push(format!("{rel} -> {}", fs::read_link(&p).unwrap().display()));
                    } else if m.is_dir() {
                        out.push(format!("{rel}/"));
                        stack.push(p);
                    } else {
                        out.push(format!("{rel}: {}", fs::read_to_string(&p).unwrap()));
                    }
                }
            }
            out.sort();
            out
        }
    }

    #[test]
    fn monitor_links_tells_stopped_left_over_died_and_not_in_place() {
        let n = Node::new();
        let c = n.config();
        let stopped = |r: Result<Option<Health>, OcfError>| match r {
            Ok(Some(Health::Stopped(why))) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            stopped(c.monitor_links("nfsd", false, false)),
            "nfsd is not running here"
        );
        assert!(stopped(c.monitor_links("nfsd", true, false)).contains("not this resource"));
        c.link_all().unwrap();
        assert_eq!(c.monitor_links("nfsd", true, false).unwrap(), None);
        // the daemon died: a recurring monitor fails, a probe (after a fencing) does not
        let e = c.monitor_links("nfsd", false, false).unwrap_err();
        assert!(
            e.reason.contains("nfsd died or a start was interrupted"),
            "{e}"
        );
        assert!(stopped(c.monitor_links("nfsd", false, true)).contains("are left from before"));
        // a link replaced behind the agent's back
        fs::remove_file(n.p("etc/exports")).unwrap();
        fs::write(n.p("etc/exports"), "").unwrap();
        let e = c.monitor_links("nfsd", true, false).unwrap_err();
        assert!(e.reason.starts_with("not in place: "), "{e}");
        // the pool is elsewhere: every monitor says not running
        fs::rename(n.p("pool"), n.p("elsewhere")).unwrap();
        assert!(stopped(c.monitor_links("nfsd", false, false)).contains("lead nowhere"));
    }

    #[test]
    fn start_links_and_stop_puts_the_nodes_files_back_byte_equal() {
        let n = Node::new();
        let before = n.snapshot();
        let c = n.config();
        let done = c.link_all().unwrap();
        let what: Vec<Linked> = done.iter().map(|(_, w)| *w).collect();
        assert_eq!(
            what,
            [Linked::Made, Linked::Made, Linked::NotOnPool, Linked::Made]
        );
        assert_eq!(n.read("etc/exports"), "pool\n");
        assert_eq!(n.read("etc/exports.d/a.exports"), "/a *(rw)\n");
        assert_eq!(n.read("etc/exports.hasan-local"), "local\n");
        assert_eq!(n.read("var/lib/nfs.hasan-local/etab"), "local etab\n");
        assert!(
            !n.p("etc/nfs.conf").exists(),
            "optional entry absent on the pool"
        );
        assert!(c.not_in_place().is_empty());
        let restored = c.restore_all().unwrap();
        let what: Vec<Restored> = restored.into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            what,
            [
                Restored::PutBack,
                Restored::Nothing,
                Restored::Unlinked,
                Restored::PutBack
            ]
        );
        assert_eq!(n.snapshot(), before, "node not as it was");
    }

    #[test]
    fn link_and_restore_are_idempotent() {
        let n = Node::new();
        let before = n.snapshot();
        let c = n.config();
        c.link_all().unwrap();
        let linked = n.snapshot();
        let again = c.link_all().unwrap();
        assert!(again
            .iter()
            .all(|(_, w)| matches!(w, Linked::Already | Linked::NotOnPool)));
        assert_eq!(n.snapshot(), linked);
        c.restore_all().unwrap();
        let again = c.restore_all().unwrap();
        assert!(again.iter().all(|(_, r)| *r == Restored::Nothing));
        assert_eq!(n.snapshot(), before);
    }

    #[test]
    fn missing_config_dir_or_required_entry_changes_nothing() {
        let n = Node::new();
        let before = n.snapshot();
        let c = PoolConfig::new(n.p("pool/nonexistent")).entry(
            n.p("etc/exports"),
            "exports",
            Need::Required,
        );
        let e = c.link_all().unwrap_err();
        assert!(matches!(e, LinkError::NoConfigDir(_)), "{e}");
        let o = OcfError::from(e);
        assert_eq!(o.status, crate::OcfStatus::ErrGeneric);
        assert!(
            o.reason.contains("order this resource after the pool"),
            "{o}"
        );
        fs::remove_file(n.p("pool/cfg/exports")).unwrap();
        let before = {
            let mut b = before;
            b.retain(|l| !l.starts_with("pool/cfg/exports:"));
            b
        };
        let e = n.config().link_all().unwrap_err();
        assert!(matches!(e, LinkError::MissingOnPool(_)), "{e}");
        assert_eq!(OcfError::from(e).status, crate::OcfStatus::ErrConfigured);
        assert_eq!(n.snapshot(), before, "a failed check changed the node");
    }

    #[test]
    fn a_start_killed_between_the_two_renames_is_converged_or_undone() {
        // killed after moving /etc/exports aside, before the link was renamed into place
        for next in ["start", "stop"] {
            let n = Node::new();
            let before = n.snapshot();
            let c = n.config();
            fs::rename(n.p("etc/exports"), n.p("etc/exports.hasan-local")).unwrap();
            std::os::unix::fs::symlink(n.p("pool/cfg/exports"), n.p("etc/exports.hasan-new"))
                .unwrap();
            if next == "start" {
                c.link_all().unwrap();
                assert!(c.not_in_place().is_empty());
                assert_eq!(n.read("etc/exports"), "pool\n");
                assert_eq!(n.read("etc/exports.hasan-local"), "local\n");
                assert!(!present(&n.p("etc/exports.hasan-new")));
                c.restore_all().unwrap();
            } else {
                c.restore_all().unwrap();
            }
            assert_eq!(n.snapshot(), before, "after {next}");
        }
    }

    #[test]
    fn restore_works_without_the_pool_and_removes_dangling_links() {
        let n = Node::new();
        let before = n.snapshot();
        let c = n.config();
        c.link_all().unwrap();
        // the pool went away under the running resource
        fs::rename(n.p("pool"), n.p("pool-gone")).unwrap();
        assert!(
            !c.not_in_place().is_empty(),
            "monitor must see the dangling links"
        );
        c.restore_all().unwrap();
        fs::rename(n.p("pool-gone"), n.p("pool")).unwrap();
        assert_eq!(n.snapshot(), before);
    }

    #[test]
    fn a_recreated_local_file_is_a_conflict_not_a_loss() {
        let n = Node::new();
        let c = n.config();
        c.link_all().unwrap();
        // a package upgrade replaced our link by a fresh file while we ran
        fs::remove_file(n.p("etc/exports")).unwrap();
        fs::write(n.p("etc/exports"), "package\n").unwrap();
        let e = c.link_all().unwrap_err();
        assert!(matches!(e, LinkError::Conflict { .. }), "{e}");
        let r = c.restore_all().unwrap();
        assert!(matches!(r[3].1, Restored::LeftAlone(_)), "{r:?}");
        assert_eq!(n.read("etc/exports"), "package\n");
        assert_eq!(n.read("etc/exports.hasan-local"), "local\n");
    }

    #[test]
    fn pool_paths_are_checked() {
        assert_eq!(
            check_pool_path("/san-pool/cluster-config/nfs/").unwrap(),
            PathBuf::from("/san-pool/cluster-config/nfs")
        );
        for bad in [
            "relative/dir",
            "/",
            "/a/../etc",
            "/a//b",
            "/a/./b",
            "/a\nb",
            "",
        ] {
            assert!(check_pool_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_node_without_the_local_file_gets_none_back() {
        let n = Node::new();
        fs::remove_file(n.p("etc/exports")).unwrap();
        let before = n.snapshot();
        let c = n.config();
        c.link_all().unwrap();
        assert_eq!(n.read("etc/exports"), "pool\n");
        c.restore_all().unwrap();
        assert_eq!(n.snapshot(), before);
        // a missing parent directory is a missing installation
        let c = PoolConfig::new(n.p("pool/cfg")).entry(
            n.p("etc/samba/smb.conf"),
            "exports",
            Need::Required,
        );
        let e = c.link_all().unwrap_err();
        assert_eq!(OcfError::from(e).status, crate::OcfStatus::ErrInstalled);
    }
}
