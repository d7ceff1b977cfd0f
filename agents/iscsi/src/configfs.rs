//! Access to LIO's configfs tree (`/sys/kernel/config/target`) behind a small trait, with paths
//! relative to that root. The real one works on any directory; tests use [`fake::Fake`], a
//! temporary directory that behaves like configfs where it matters and records every change.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Where LIO's configfs lives.
pub const TARGET_ROOT: &str = "/sys/kernel/config/target";

/// LIO's configfs, paths relative to its root (`core/iblock_0/x`, `iscsi/<iqn>/tpgt_1`).
pub trait Lio {
    /// True if the path exists (a symlink counts, even a dangling one).
    fn exists(&self, rel: &str) -> bool;
    /// An attribute's value, trimmed of its trailing newline.
    fn read(&self, rel: &str) -> io::Result<String>;
    /// Write an attribute.
    fn write(&self, rel: &str, value: &str) -> io::Result<()>;
    /// Create a group (an LIO object).
    fn mkdir(&self, rel: &str) -> io::Result<()>;
    /// Remove a group.
    fn rmdir(&self, rel: &str) -> io::Result<()>;
    /// Create `link` pointing at `target` (both relative to the root).
    fn symlink(&self, target: &str, link: &str) -> io::Result<()>;
    /// Remove a symlink.
    fn unlink(&self, rel: &str) -> io::Result<()>;
    /// Where a symlink points, relative to the root (`None` if it is not a symlink or points
    /// outside).
    fn link_target(&self, rel: &str) -> Option<String>;
    /// Entries of a group, sorted (empty if it does not exist).
    fn list(&self, rel: &str) -> Vec<String>;
    /// True if the entry is a symlink.
    fn is_symlink(&self, rel: &str) -> bool;
}

/// LIO's configfs (or any directory standing in for it).
#[derive(Debug, Clone)]
pub struct Tree {
    root: PathBuf,
}

impl Tree {
    /// The tree rooted at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Tree {
        Tree { root: root.into() }
    }

    /// The real path of a relative one.
    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

/// `a/b/../c` → `a/c` without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Lio for Tree {
    fn exists(&self, rel: &str) -> bool {
        self.path(rel).symlink_metadata().is_ok()
    }
    fn read(&self, rel: &str) -> io::Result<String> {
        let text = std::fs::read_to_string(self.path(rel))?;
        Ok(text.trim_end_matches(['\n', '\0']).to_owned())
    }
    fn write(&self, rel: &str, value: &str) -> io::Result<()> {
        use std::io::Write;
        // configfs takes one write(2) per store; no create, no truncate semantics needed.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(self.path(rel))?;
        f.write_all(value.as_bytes())
    }
    fn mkdir(&self, rel: &str) -> io::Result<()> {
        std::fs::create_dir(self.path(rel))
    }
    fn rmdir(&self, rel: &str) -> io::Result<()> {
        std::fs::remove_dir(self.path(rel))
    }
    fn symlink(&self, target: &str, link: &str) -> io::Result<()> {
        std::os::unix::fs::symlink(self.path(target), self.path(link))
    }
    fn unlink(&self, rel: &str) -> io::Result<()> {
        std::fs::remove_file(self.path(rel))
    }
    fn link_target(&self, rel: &str) -> Option<String> {
        let link = self.path(rel);
        let t = std::fs::read_link(&link).ok()?;
        let abs = if t.is_absolute() {
            normalize(&t)
        } else {
            normalize(&link.parent()?.join(t))
        };
        // configfs answers relative links that climb to /sys/kernel/config: compare from there.
        let root = normalize(&self.root);
        abs.strip_prefix(&root)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }
    fn list(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(self.path(rel)) {
            Ok(rd) => rd
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }
    fn is_symlink(&self, rel: &str) -> bool {
        self.path(rel)
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    }
}

#[cfg(test)]
pub mod fake {
    //! A temporary directory that behaves like LIO's configfs where the agent relies on it:
    //! `mkdir` of an object creates its attributes and default groups, `rmdir` removes an object
    //! with its attributes but refuses one that still holds objects or links (EBUSY/ENOTEMPTY),
    //! writing a missing attribute fails, and the `enable` of a TPG needs a portal. Every change
    //! is recorded in order; `fail_after(n)` makes the n-th next change fail, as a kill would.

    use std::cell::{Cell, RefCell};
    use std::collections::BTreeSet;
    use std::io;

    use super::{Lio, Tree};

    /// The fake configfs.
    #[derive(Debug)]
    pub struct Fake {
        /// The directory.
        _dir: tempfile::TempDir,
        tree: Tree,
        made: RefCell<BTreeSet<String>>,
        /// Every change, in order: `mkdir X`, `rmdir X`, `write X=V`, `ln X -> Y`, `rm X`.
        pub log: RefCell<Vec<String>>,
        fail_in: Cell<Option<usize>>,
    }

    fn attrs_of(rel: &str) -> Vec<(&'static str, &'static str)> {
        let parts: Vec<&str> = rel.split('/').collect();
        match parts.as_slice() {
            ["core", _hba, _so] => vec![
                ("control", ""),
                ("udev_path", ""),
                ("enable", "0"),
                ("info", ""),
                ("wwn/vpd_unit_serial", "T10 VPD Unit Serial Number: "),
                ("attrib/emulate_tpu", "0"),
                ("attrib/emulate_3pc", "1"),
                ("attrib/emulate_write_cache", "1"),
                ("attrib/max_unmap_block_desc_count", "1"),
                ("pr/res_holder", ""),
                ("alua/default_tg_pt_gp/alua_access_state", "0"),
            ],
            ["iscsi", _iqn] => vec![("fabric_statistics/x", "")],
            ["iscsi", _iqn, _tpg] => vec![
                ("enable", "0"),
                ("attrib/authentication", "1"),
                ("attrib/generate_node_acls", "0"),
                ("attrib/demo_mode_discovery", "1"),
                ("attrib/demo_mode_write_protect", "1"),
                ("attrib/cache_dynamic_acls", "0"),
                ("param/AuthMethod", "CHAP,None"),
                ("auth/userid", ""),
                ("acls/.keep", ""),
                ("lun/.keep", ""),
                ("np/.keep", ""),
            ],
            ["iscsi", _iqn, _tpg, "acls", _ini] => vec![
                ("auth/userid", ""),
                ("auth/password", ""),
                ("auth/userid_mutual", ""),
                ("auth/password_mutual", ""),
                ("attrib/dataout_timeout", "3"),
            ],
            ["iscsi", _iqn, _tpg, "acls", _ini, _lun] => vec![("write_protect", "0")],
            ["iscsi", _iqn, _tpg, "lun", _lun] => vec![("statistics/x", "")],
            ["iscsi", _iqn, _tpg, "np", _np] => vec![("iser", "0")],
            _ => vec![],
        }
    }

    impl Fake {
        /// An empty LIO with the fabric and core groups.
        pub fn new() -> Fake {
            let dir = tempfile::tempdir().expect("tempdir");
            let tree = Tree::at(dir.path());
            for d in ["core", "iscsi"] {
                std::fs::create_dir(tree.path(d)).expect("mkdir");
            }
            std::fs::write(tree.path("dbroot"), "/var/target\n").expect("dbroot");
            Fake {
                _dir: dir,
                tree,
                made: RefCell::new(BTreeSet::new()),
                log: RefCell::new(Vec::new()),
                fail_in: Cell::new(None),
            }
        }

        /// The underlying tree (to look without recording).
        pub fn tree(&self) -> &Tree {
            &self.tree
        }

        /// Make the `n`-th next change (0 = the next one) fail, and every one after it.
        pub fn fail_after(&self, n: usize) {
            self.fail_in.set(Some(n));
        }

        /// Let changes succeed again.
        pub fn heal(&self) {
            self.fail_in.set(None);
        }

        /// Forget the recorded changes.
        pub fn clear_log(&self) {
            self.log.borrow_mut().clear();
        }

        /// A snapshot of the whole tree: every path with its content or link target.
        pub fn snapshot(&self) -> Vec<String> {
            let mut out = Vec::new();
            walk(&self.tree, "", &mut out);
            out
        }

        fn change(&self, what: String) -> io::Result<()> {
            if let Some(n) = self.fail_in.get() {
                if n == 0 {
                    return Err(io::Error::other(format!("killed before {what}")));
                }
                self.fail_in.set(Some(n - 1));
            }
            self.log.borrow_mut().push(what);
            Ok(())
        }

        /// Objects (made by mkdir) or links below `rel`.
        fn holds_objects(&self, rel: &str) -> bool {
            let prefix = format!("{rel}/");
            if self.made.borrow().iter().any(|m| m.starts_with(&prefix)) {
                return true;
            }
            let mut all = Vec::new();
            walk(&self.tree, rel, &mut all);
            all.iter().any(|e| e.contains(" -> "))
        }
    }

    fn walk(tree: &Tree, rel: &str, out: &mut Vec<String>) {
        for name in tree.list(rel) {
            let p = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if tree.is_symlink(&p) {
                out.push(format!(
                    "{p} -> {}",
                    tree.link_target(&p).unwrap_or_default()
                ));
            } else if tree.path(&p).is_dir() {
                out.push(format!("{p}/"));
                walk(tree, &p, out);
            } else {
                out.push(format!("{p} = {}", tree.read(&p).unwrap_or_default()));
            }
        }
    }

    impl Lio for Fake {
        fn exists(&self, rel: &str) -> bool {
            self.tree.exists(rel)
        }
        fn read(&self, rel: &str) -> io::Result<String> {
            self.tree.read(rel)
        }
        fn write(&self, rel: &str, value: &str) -> io::Result<()> {
            if !self.tree.path(rel).is_file() {
                return Err(io::Error::from(io::ErrorKind::NotFound));
            }
            if rel.ends_with("/enable") && rel.contains("/tpgt_") && value.trim() == "1" {
                let np = rel.trim_end_matches("enable").to_owned() + "np";
                if self.tree.list(&np).iter().all(|n| n == ".keep") {
                    return Err(io::Error::from_raw_os_error(22));
                }
            }
            let shown = if rel.contains("/auth/password") {
                "<secret>"
            } else {
                value
            };
            self.change(format!("write {rel}={shown}"))?;
            // Reads of the serial come back with LIO's prefix.
            let stored = if rel.ends_with("wwn/vpd_unit_serial") {
                format!("T10 VPD Unit Serial Number: {value}")
            } else {
                value.to_owned()
            };
            std::fs::write(self.tree.path(rel), stored)
        }
        fn mkdir(&self, rel: &str) -> io::Result<()> {
            if self.tree.exists(rel) {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            self.change(format!("mkdir {rel}"))?;
            self.tree.mkdir(rel)?;
            for (attr, value) in attrs_of(rel) {
                let p = self.tree.path(&format!("{rel}/{attr}"));
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(p, value)?;
            }
            self.made.borrow_mut().insert(rel.to_owned());
            Ok(())
        }
        fn rmdir(&self, rel: &str) -> io::Result<()> {
            if !self.made.borrow().contains(rel) && !rel.starts_with("core/") {
                return Err(io::Error::from_raw_os_error(1)); // EPERM: a default group
            }
            if self.holds_objects(rel) {
                return Err(io::Error::from_raw_os_error(39)); // ENOTEMPTY
            }
            self.change(format!("rmdir {rel}"))?;
            std::fs::remove_dir_all(self.tree.path(rel))?;
            self.made.borrow_mut().remove(rel);
            Ok(())
        }
        fn symlink(&self, target: &str, link: &str) -> io::Result<()> {
            if !self.tree.exists(target) {
                return Err(io::Error::from(io::ErrorKind::NotFound));
            }
            self.change(format!("ln {link} -> {target}"))?;
            self.tree.symlink(target, link)
        }
        fn unlink(&self, rel: &str) -> io::Result<()> {
            self.change(format!("rm {rel}"))?;
            self.tree.unlink(rel)
        }
        fn link_target(&self, rel: &str) -> Option<String> {
            self.tree.link_target(rel)
        }
        fn list(&self, rel: &str) -> Vec<String> {
            let mut l = self.tree.list(rel);
            l.retain(|n| n != ".keep");
            l
        }
        fn is_symlink(&self, rel: &str) -> bool {
            self.tree.is_symlink(rel)
        }
    }

    /// Shared, so a test can look at the tree an agent changed.
    impl Lio for std::rc::Rc<Fake> {
        fn exists(&self, rel: &str) -> bool {
            (**self).exists(rel)
        }
        fn read(&self, rel: &str) -> io::Result<String> {
            (**self).read(rel)
        }
        fn write(&self, rel: &str, value: &str) -> io::Result<()> {
            (**self).write(rel, value)
        }
        fn mkdir(&self, rel: &str) -> io::Result<()> {
            (**self).mkdir(rel)
        }
        fn rmdir(&self, rel: &str) -> io::Result<()> {
            (**self).rmdir(rel)
        }
        fn symlink(&self, target: &str, link: &str) -> io::Result<()> {
            (**self).symlink(target, link)
        }
        fn unlink(&self, rel: &str) -> io::Result<()> {
            (**self).unlink(rel)
        }
        fn link_target(&self, rel: &str) -> Option<String> {
            (**self).link_target(rel)
        }
        fn list(&self, rel: &str) -> Vec<String> {
            (**self).list(rel)
        }
        fn is_symlink(&self, rel: &str) -> bool {
            (**self).is_symlink(rel)
        }
    }

    /// An existing object made outside the agent (a backend target), registered as made.
    pub fn preexisting(fake: &Fake, dirs: &[&str]) {
        for d in dirs {
            fake.mkdir(d).expect("mkdir");
        }
        fake.clear_log();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_are_relative_to_the_root_whatever_the_link_looks_like() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tree::at(dir.path().join("target"));
        std::fs::create_dir_all(t.path("core/iblock_1/so")).unwrap();
        std::fs::create_dir_all(t.path("iscsi/x/lun/lun_0")).unwrap();
        t.symlink("core/iblock_1/so", "iscsi/x/lun/lun_0/a")
            .unwrap();
        assert_eq!(
            t.link_target("iscsi/x/lun/lun_0/a").as_deref(),
            Some("core/iblock_1/so")
        );
        // configfs answers relative links that climb above the target root
        std::os::unix::fs::symlink(
            "../../../../../target/core/iblock_1/so",
            t.path("iscsi/x/lun/lun_0/b"),
        )
        .unwrap();
        assert_eq!(
            t.link_target("iscsi/x/lun/lun_0/b").as_deref(),
            Some("core/iblock_1/so")
        );
        assert_eq!(t.link_target("iscsi/x/lun/lun_0"), None);
        assert_eq!(t.list("iscsi/x/lun/lun_0"), ["a", "b"]);
    }
}
