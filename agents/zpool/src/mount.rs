//! Mounting the pool's file systems in-process, as libzfs does on Linux (`zfs_mount_at`,
//! `do_mount`): mount(2) with the flags and options each file system's properties ask for,
//! instead of a `zfs mount` process per file system. [`MountProps`] are the properties,
//! [`MountCall`] the system call they make, [`Mounter`] the system (a recording fake in tests).

use std::io;
use std::path::Path;
use std::time::Instant;

use rustix::mount::MountFlags;

/// The properties of a file system that decide how libzfs mounts it, ZFS's defaults where the
/// kernel lists nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountProps {
    /// `atime`.
    pub atime: bool,
    /// `relatime` (off means `strictatime`).
    pub relatime: bool,
    /// `devices`.
    pub devices: bool,
    /// `exec`.
    pub exec: bool,
    /// `setuid`.
    pub setuid: bool,
    /// `readonly` (or the pool imported read-only).
    pub readonly: bool,
    /// `nbmand`.
    pub nbmand: bool,
    /// `overlay`: mount over a directory that is not empty.
    pub overlay: bool,
    /// `zoned`: libzfs leaves it to a user namespace; this agent leaves it to `zfs mount`.
    pub zoned: bool,
    /// An SELinux `context`, `fscontext`, `defcontext` or `rootcontext` other than `none`:
    /// libzfs adds it to the options; this agent leaves such a file system to `zfs mount`.
    pub selinux_context: bool,
}

impl Default for MountProps {
    /// OpenZFS 2.1's defaults (`zfs get` shows them with source `default`).
    fn default() -> Self {
        MountProps {
            atime: true,
            relatime: false,
            devices: true,
            exec: true,
            setuid: true,
            readonly: false,
            nbmand: false,
            overlay: true,
            zoned: false,
            selinux_context: false,
        }
    }
}

/// One mount(2) of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountCall {
    /// The dataset (mount's source).
    pub dataset: String,
    /// Where.
    pub target: String,
    /// `MS_*` flags.
    pub flags: MountFlags,
    /// The option string the ZFS module reads (`zfsutil`, `mntpoint=`, …).
    pub data: String,
    /// False: refuse a target directory that is not empty.
    pub overlay: bool,
}

impl MountCall {
    /// The call libzfs makes for `dataset` at `target`: the options `zfs_add_options` appends
    /// (`defaults,atime|noatime[,relatime|strictatime],dev|nodev,exec|noexec,rw|ro,suid|nosuid,
    /// nomand|mand,zfsutil`), the `MS_*` flags they stand for, and `mntpoint=` last.
    pub fn new(dataset: &str, target: &str, p: &MountProps) -> MountCall {
        // libzfs adds no relatime/strictatime to noatime (strictatime would undo it)
        let atime = p.atime.then_some(if p.relatime {
            ("relatime", MountFlags::RELATIME)
        } else {
            ("strictatime", MountFlags::STRICTATIME)
        });
        // each property in libzfs's order: the option it asks for, and that option's flag
        let chosen = [
            pick(p.atime, "atime", ("noatime", MountFlags::NOATIME)),
            atime,
            pick(p.devices, "dev", ("nodev", MountFlags::NODEV)),
            pick(p.exec, "exec", ("noexec", MountFlags::NOEXEC)),
            pick(!p.readonly, "rw", ("ro", MountFlags::RDONLY)),
            pick(p.setuid, "suid", ("nosuid", MountFlags::NOSUID)),
            pick(
                !p.nbmand,
                "nomand",
                ("mand", MountFlags::PERMIT_MANDATORY_FILE_LOCKING),
            ),
        ];
        let mut opts = vec!["defaults"];
        let mut flags = MountFlags::empty();
        for (opt, flag) in chosen.into_iter().flatten() {
            opts.push(opt);
            flags |= flag;
        }
        opts.push("zfsutil");
        MountCall {
            dataset: dataset.to_owned(),
            target: target.to_owned(),
            flags,
            data: format!("{},mntpoint={target}", opts.join(",")),
            overlay: p.overlay,
        }
    }
}

/// `plain` (no flag) when the property allows, else the restricting option and its flag.
fn pick(
    allows: bool,
    plain: &'static str,
    restricting: (&'static str, MountFlags),
) -> Option<(&'static str, MountFlags)> {
    Some(if allows {
        (plain, MountFlags::empty())
    } else {
        restricting
    })
}

/// Why a mount did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    /// `overlay=off` and something is in the way (ZFS's own words).
    #[error("cannot mount '{0}': directory is not empty")]
    NotEmpty(String),
    /// The mountpoint could not be created.
    #[error("cannot mount '{target}': failed to create mountpoint: {source}")]
    Mkdir {
        /// Where.
        target: String,
        /// Why.
        source: io::Error,
    },
    /// mount(2) failed.
    #[error("mount(2) of {dataset} on {target}: {source}")]
    Mount {
        /// What.
        dataset: String,
        /// Where.
        target: String,
        /// Why.
        source: io::Error,
    },
    /// It did not return before the deadline (the thread is left behind).
    #[error("mount(2) of {0} did not return before the action's deadline")]
    TimedOut(String),
}

/// Mounts file systems (the system, or a recording fake).
pub trait Mounter: Send + Sync + std::fmt::Debug {
    /// Create the mountpoint when missing, refuse a busy one without overlay, mount.
    fn mount(&self, call: &MountCall) -> Result<(), MountError>;
}

/// mount(2).
#[derive(Debug, Default)]
pub struct SystemMounter;

impl Mounter for SystemMounter {
    fn mount(&self, call: &MountCall) -> Result<(), MountError> {
        let target = Path::new(&call.target);
        if std::fs::symlink_metadata(target).is_err() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .create(target)
                .map_err(|source| MountError::Mkdir {
                    target: call.target.clone(),
                    source,
                })?;
        }
        if !call.overlay
            && std::fs::read_dir(target).is_ok_and(|mut entries| entries.next().is_some())
        {
            return Err(MountError::NotEmpty(call.target.clone()));
        }
        let data = std::ffi::CString::new(call.data.as_str())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e));
        data.and_then(|data| {
            rustix::mount::mount(
                call.dataset.as_str(),
                target,
                "zfs",
                call.flags,
                data.as_c_str(),
            )
            .map_err(io::Error::from)
        })
        .map_err(|source| MountError::Mount {
            dataset: call.dataset.clone(),
            target: call.target.clone(),
            source,
        })
    }
}

/// `mounter.mount(call)` in a thread left behind at `deadline` (mount(2) cannot be killed like
/// a process: a suspended pool blocks it).
pub fn mount_before(
    mounter: &std::sync::Arc<dyn Mounter>,
    call: MountCall,
    deadline: Instant,
) -> Result<(), MountError> {
    let mounter = std::sync::Arc::clone(mounter);
    let dataset = call.dataset.clone();
    libocf::left_behind::before(deadline, move || mounter.mount(&call))
        .unwrap_or(Err(MountError::TimedOut(dataset)))
}

/// Records every call and mounts nothing (tests).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct RecordingMounter {
    /// The calls, in order.
    pub calls: std::sync::Mutex<Vec<MountCall>>,
    /// Answer every call with this error kind instead.
    pub fail: Option<io::ErrorKind>,
}

#[cfg(test)]
impl Mounter for RecordingMounter {
    fn mount(&self, call: &MountCall) -> Result<(), MountError> {
        self.calls.lock().unwrap().push(call.clone());
        match self.fail {
            Some(kind) => Err(MountError::Mount {
                dataset: call.dataset.clone(),
                target: call.target.clone(),
                source: kind.into(),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_mounted_as_zfs_mount_mounts_them() {
        let c = MountCall::new("tank/a", "/tank/a", &MountProps::default());
        assert_eq!(
            c.data,
            "defaults,atime,strictatime,dev,exec,rw,suid,nomand,zfsutil,mntpoint=/tank/a"
        );
        // mountinfo then shows "rw" and no relatime, as after `zpool import` (recorded in the lab)
        assert_eq!(c.flags, MountFlags::STRICTATIME);
        assert!(c.overlay);
    }

    #[test]
    fn properties_that_restrict_become_mount_flags() {
        let p = MountProps {
            atime: true,
            relatime: true,
            devices: false,
            exec: false,
            setuid: false,
            readonly: true,
            nbmand: true,
            overlay: false,
            zoned: false,
            selinux_context: false,
        };
        let c = MountCall::new("tank/b", "/srv/b", &p);
        assert_eq!(
            c.data,
            "defaults,atime,relatime,nodev,noexec,ro,nosuid,mand,zfsutil,mntpoint=/srv/b"
        );
        assert_eq!(
            c.flags,
            MountFlags::RELATIME
                | MountFlags::NODEV
                | MountFlags::NOEXEC
                | MountFlags::RDONLY
                | MountFlags::NOSUID
                | MountFlags::PERMIT_MANDATORY_FILE_LOCKING
        );
        assert!(!c.overlay);
    }

    #[test]
    fn noatime_gets_no_relatime_or_strictatime() {
        let p = MountProps {
            atime: false,
            relatime: true,
            ..MountProps::default()
        };
        let c = MountCall::new("tank", "/tank", &p);
        assert!(c.data.starts_with("defaults,noatime,dev,"), "{}", c.data);
        assert_eq!(c.flags, MountFlags::NOATIME);
    }

    #[test]
    fn a_mount_that_does_not_return_is_left_behind_at_the_deadline() {
        #[derive(Debug)]
        struct Hangs;
        impl Mounter for Hangs {
            fn mount(&self, _: &MountCall) -> Result<(), MountError> {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(())
            }
        }
        let m: std::sync::Arc<dyn Mounter> = std::sync::Arc::new(Hangs);
        let c = MountCall::new("tank", "/tank", &MountProps::default());
        let e = mount_before(&m, c, Instant::now()).unwrap_err();
        assert!(
            matches!(e, MountError::TimedOut(ref d) if d == "tank"),
            "{e}"
        );
    }

    #[test]
    fn overlay_off_refuses_a_directory_in_use_and_a_missing_one_is_created() {
        let dir = std::env::temp_dir().join(format!("hasan-mount-{}", std::process::id()));
        let target = dir.join("a/b");
        let p = MountProps {
            overlay: false,
            ..MountProps::default()
        };
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("left"), b"x").unwrap();
        let c = MountCall::new("tank/b", target.to_str().unwrap(), &p);
        assert!(matches!(
            SystemMounter.mount(&c),
            Err(MountError::NotEmpty(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        // missing: created, then mount(2) itself is what fails (no ZFS here, or not root)
        let e = SystemMounter.mount(&c).unwrap_err();
        assert!(target.is_dir());
        assert!(matches!(e, MountError::Mount { .. }), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
