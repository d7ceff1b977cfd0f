//! The imported pool's properties and datasets read from the kernel ([`ZfsDev`]), in the shapes
//! `zpool get` and `zfs list` give them ([`PoolProps`], [`Dataset`]): index properties as their
//! names, defaults where the kernel lists nothing, inherited mountpoints extended by the path
//! below the dataset that set them (as libzfs does).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use crate::datasets::Dataset;
use crate::mount::MountProps;
use crate::ondisk::nvlist::{self, NvList, Value};
use crate::start::PoolProps;
use crate::zfsdev::{Child, ZfsDev};

/// Why the kernel's answer could not be used (start then runs the commands instead).
#[derive(Debug, thiserror::Error)]
pub enum KernelReadError {
    /// The ioctl failed.
    #[error("{what}: {source}")]
    Ioctl {
        /// Which read.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The answer is not an nvlist this agent reads.
    #[error("{what}: {source}")]
    Answer {
        /// Which read.
        what: String,
        /// The decoding error.
        source: nvlist::NvError,
    },
    /// An answer no ZFS gives (a module whose `zfs_cmd_t` differs): a pool whose root is no
    /// file system, a child not named below its parent.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
    /// More datasets than a listing may hold (a loop in the answers).
    #[error("more than {0} datasets below the pool")]
    TooMany(usize),
}

/// Run `read` on `dev` in a thread the caller leaves behind at `deadline` (an ioctl cannot be
/// killed like a process); the error says why the answer cannot be used.
pub fn before<T: Send + 'static>(
    dev: &Arc<dyn ZfsDev>,
    deadline: Instant,
    read: impl FnOnce(&dyn ZfsDev) -> Result<T, KernelReadError> + Send + 'static,
) -> Result<T, String> {
    let dev = Arc::clone(dev);
    match libocf::left_behind::before(deadline, move || read(dev.as_ref())) {
        Some(read) => read.map_err(|e| format!("reading /dev/zfs: {e}")),
        None => Err("/dev/zfs did not answer before the action's deadline".to_owned()),
    }
}

/// The pool's datasets from `dev`, else from `zfs list` (a module whose interface differs).
pub fn datasets_or_list(
    dev: &Arc<dyn ZfsDev>,
    fs: &crate::sysfs::Fs,
    tools: &dyn libocf::Runner,
    pool: &str,
    deadline: Instant,
) -> Result<Vec<Dataset>, libocf::CommandError> {
    let mounted = crate::mountinfo::mounted_datasets(fs, pool);
    let name = pool.to_owned();
    match before(dev, deadline, move |d| datasets(d, &name, &mounted)) {
        Ok(ds) => Ok(ds),
        Err(e) => {
            tracing::info!("pool {pool}: {e}; listing its datasets with zfs list instead");
            crate::datasets::list(tools, pool, deadline)
        }
    }
}

/// The most datasets the listing follows.
const MAX_DATASETS: usize = 100_000;

/// `dmu_objset_type_t`.
const OST_ZFS: u32 = 2;
const OST_ZVOL: u32 = 3;

/// multihost, failmode and guid of an imported pool.
pub fn pool_props(dev: &dyn ZfsDev, pool: &str) -> Result<PoolProps, KernelReadError> {
    let what = || format!("properties of pool {pool}");
    let raw = dev
        .pool_props(pool)
        .map_err(|source| KernelReadError::Ioctl {
            what: what(),
            source,
        })?;
    let props = nvlist::unpack(&raw).map_err(|source| KernelReadError::Answer {
        what: what(),
        source,
    })?;
    let named = props.list("name").and_then(|p| p.str("value"));
    if named != Some(pool) {
        return Err(KernelReadError::Unexpected(format!(
            "the properties of pool {pool} name {named:?}"
        )));
    }
    let index = |name: &str| props.list(name).and_then(|p| p.u64("value"));
    Ok(PoolProps {
        multihost: match index("multihost") {
            Some(1) => "on",
            _ => "off",
        }
        .to_owned(),
        failmode: match index("failmode") {
            Some(1) => "continue",
            Some(2) => "panic",
            _ => "wait",
        }
        .to_owned(),
        guid: index("guid").unwrap_or(0),
        readonly: index("readonly") == Some(1),
    })
}

/// The pool's file systems and volumes, parents before children; `mounted` names the datasets
/// the mount table shows.
pub fn datasets(
    dev: &dyn ZfsDev,
    pool: &str,
    mounted: &HashSet<String>,
) -> Result<Vec<Dataset>, KernelReadError> {
    let ioctl = |what: String| move |source| KernelReadError::Ioctl { what, source };
    let root = dev
        .dataset(pool)
        .map_err(ioctl(format!("dataset {pool}")))?;
    if root.objset_type != OST_ZFS {
        return Err(KernelReadError::Unexpected(format!(
            "the root of pool {pool} has objset type {}, not a file system",
            root.objset_type
        )));
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(child) = todo.pop() {
        if out.len() >= MAX_DATASETS {
            return Err(KernelReadError::TooMany(MAX_DATASETS));
        }
        let Some(d) = dataset(&child, mounted)? else {
            continue;
        };
        if child.objset_type == OST_ZFS {
            let mut below = Vec::new();
            let mut cookie = 0;
            while let Some(c) = dev
                .next_child(&child.name, cookie)
                .map_err(ioctl(format!("datasets below {}", child.name)))?
            {
                if !c
                    .name
                    .strip_prefix(child.name.as_str())
                    .is_some_and(|r| r.starts_with('/') && !r[1..].contains('/'))
                {
                    return Err(KernelReadError::Unexpected(format!(
                        "{} listed as a child of {}",
                        c.name, child.name
                    )));
                }
                cookie = c.cookie;
                below.push(c);
                if below.len() > MAX_DATASETS {
                    return Err(KernelReadError::TooMany(MAX_DATASETS));
                }
            }
            todo.extend(below.into_iter().rev());
        }
        out.push(d);
    }
    Ok(out)
}

/// One listed dataset as `zfs list` shows it (`None` for snapshots and other objset types).
fn dataset(c: &Child, mounted: &HashSet<String>) -> Result<Option<Dataset>, KernelReadError> {
    let kind = match c.objset_type {
        OST_ZFS => "filesystem",
        OST_ZVOL => "volume",
        _ => return Ok(None),
    };
    let props = nvlist::unpack(&c.props).map_err(|source| KernelReadError::Answer {
        what: format!("properties of {}", c.name),
        source,
    })?;
    let fs = kind == "filesystem";
    let dash = |s: &str| if fs { s.to_owned() } else { "-".to_owned() };
    Ok(Some(Dataset {
        name: c.name.clone(),
        kind: kind.to_owned(),
        canmount: dash(match value_u64(&props, "canmount") {
            Some(0) => "off",
            Some(2) => "noauto",
            _ => "on",
        }),
        mountpoint: dash(&mountpoint(&c.name, &props)),
        mounted: fs && mounted.contains(&c.name),
        encryption_root: value_str(&props, "encryptionroot")
            .filter(|s| !s.is_empty())
            .unwrap_or("-")
            .to_owned(),
        keylocation: value_str(&props, "keylocation")
            .unwrap_or("none")
            .to_owned(),
        keystatus: match value_u64(&props, "keystatus") {
            Some(1) => "unavailable",
            Some(2) => "available",
            _ => "-",
        }
        .to_owned(),
        volmode: match value_u64(&props, "volmode") {
            Some(1) => "geom",
            Some(2) => "dev",
            Some(3) => "none",
            _ => "default",
        }
        .to_owned(),
        sharenfs: dash(value_str(&props, "sharenfs").unwrap_or("off")),
        sharesmb: dash(value_str(&props, "sharesmb").unwrap_or("off")),
        mount: fs.then(|| mount_props(&props)),
    }))
}

/// The properties libzfs mounts a file system with; ZFS's defaults for those not listed.
fn mount_props(props: &NvList) -> MountProps {
    let d = MountProps::default();
    let on = |name: &str, default: bool| value_u64(props, name).map_or(default, |v| v != 0);
    MountProps {
        atime: on("atime", d.atime),
        relatime: on("relatime", d.relatime),
        devices: on("devices", d.devices),
        exec: on("exec", d.exec),
        setuid: on("setuid", d.setuid),
        readonly: on("readonly", d.readonly),
        nbmand: on("nbmand", d.nbmand),
        overlay: on("overlay", d.overlay),
        zoned: on("zoned", d.zoned),
        selinux_context: ["context", "fscontext", "defcontext", "rootcontext"]
            .iter()
            .any(|p| value_str(props, p).is_some_and(|v| v != "none")),
    }
}

fn value<'a>(props: &'a NvList, name: &str) -> Option<&'a Value> {
    props.list(name).and_then(|p| p.get("value"))
}

fn value_u64(props: &NvList, name: &str) -> Option<u64> {
    match value(props, name) {
        Some(Value::U64(v)) => Some(*v),
        _ => None,
    }
}

fn value_str<'a>(props: &'a NvList, name: &str) -> Option<&'a str> {
    match value(props, name) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

/// The mountpoint: `/NAME` when nothing sets one; `none`/`legacy` as set; a path set on the
/// dataset itself as it is, inherited from an ancestor with the rest of the name appended.
fn mountpoint(name: &str, props: &NvList) -> String {
    let Some(set) = value_str(props, "mountpoint") else {
        return format!("/{name}");
    };
    if !set.starts_with('/') {
        return set.to_owned();
    }
    let source = props
        .list("mountpoint")
        .and_then(|p| p.str("source"))
        .unwrap_or(name);
    let below = name
        .strip_prefix(source)
        .filter(|r| r.is_empty() || r.starts_with('/'))
        .unwrap_or("");
    if below.is_empty() {
        set.to_owned()
    } else {
        format!("{}{below}", set.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets;
    use crate::zfsdev::{DevZfs, RecordedDev};

    fn recorded(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/zfsdev-labpool/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_kernels_pool_properties_are_what_zpool_get_printed() {
        let dev = RecordedDev::load("zfsdev-labpool");
        let props = pool_props(&dev, "labpool").unwrap();
        assert_eq!(props, PoolProps::parse(&recorded("zpool-get.txt")));
        assert_eq!(props.multihost, "on");
    }

    #[test]
    fn the_kernels_datasets_are_what_zfs_list_printed() {
        let dev = RecordedDev::load("zfsdev-labpool");
        let listed = datasets::parse(&recorded("zfs-list.txt"));
        let mounted: HashSet<String> = listed
            .iter()
            .filter(|d| d.mounted)
            .map(|d| d.name.clone())
            .collect();
        let mut read = datasets(&dev, "labpool", &mounted).unwrap();
        // what the kernel also says: how to mount each file system (nothing set in labpool)
        for d in &mut read {
            let want = (d.kind == "filesystem").then(MountProps::default);
            assert_eq!(d.mount.take(), want, "{}", d.name);
        }
        let mut want = listed.clone();
        read.sort_by(|a, b| a.name.cmp(&b.name));
        want.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(read, want);
    }

    #[test]
    fn mount_properties_are_read_set_or_inherited_with_defaults_for_the_rest() {
        use crate::ondisk::nvlist::pack::P;
        let prop = |name, value, source| {
            P::List(name, vec![P::U64("value", value), P::Str("source", source)])
        };
        let props = nvlist::unpack(&crate::ondisk::nvlist::pack::pack(&[
            prop("exec", 0, "tank"),
            prop("setuid", 0, "tank/a"),
            prop("relatime", 1, "tank"),
            prop("overlay", 0, "tank/a"),
        ]))
        .unwrap();
        assert_eq!(
            mount_props(&props),
            MountProps {
                exec: false,
                setuid: false,
                relatime: true,
                overlay: false,
                ..MountProps::default()
            }
        );
        let context = |value| {
            nvlist::unpack(&crate::ondisk::nvlist::pack::pack(&[P::List(
                "rootcontext",
                vec![P::Str("value", value), P::Str("source", "tank")],
            )]))
            .unwrap()
        };
        assert!(!mount_props(&context("none")).selinux_context);
        assert!(mount_props(&context("system_u:object_r:fs_t:s0")).selinux_context);
    }

    /// Answers as a module with another `zfs_cmd_t` layout would give them.
    #[derive(Debug)]
    struct Garbled {
        root_type: u32,
        child: &'static str,
    }

    impl ZfsDev for Garbled {
        fn pool_props(&self, _: &str) -> std::io::Result<Vec<u8>> {
            unreachable!()
        }
        fn dataset(&self, name: &str) -> std::io::Result<Child> {
            let real = RecordedDev::load("zfsdev-labpool").dataset(name)?;
            Ok(Child {
                objset_type: self.root_type,
                ..real
            })
        }
        fn next_child(&self, _: &str, cookie: u64) -> std::io::Result<Option<Child>> {
            let real = RecordedDev::load("zfsdev-labpool").dataset("labpool/data")?;
            Ok((cookie == 0).then(|| Child {
                name: self.child.to_owned(),
                cookie: 1,
                ..real
            }))
        }
    }

    #[test]
    fn answers_of_another_layout_are_errors_not_an_empty_pool() {
        for (root_type, child, needle) in [
            (0, "labpool/data", "objset type 0"),
            (
                OST_ZFS,
                "otherpool/data",
                "otherpool/data listed as a child of labpool",
            ),
            (OST_ZFS, "labpool/a/b", "labpool/a/b listed"),
            (OST_ZFS, "labpoolx", "labpoolx listed"),
        ] {
            let e = datasets(&Garbled { root_type, child }, "labpool", &HashSet::new())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn parents_come_before_their_children() {
        let dev = RecordedDev::load("zfsdev-labpool");
        let read = datasets(&dev, "labpool", &HashSet::new()).unwrap();
        for (i, d) in read.iter().enumerate() {
            if let Some((parent, _)) = d.name.rsplit_once('/') {
                let at = read.iter().position(|p| p.name == parent).unwrap();
                assert!(at < i, "{} listed before its parent", d.name);
            }
        }
    }

    #[test]
    fn inherited_mountpoints_take_the_path_below_the_dataset_that_set_them() {
        use crate::ondisk::nvlist::pack::P;
        let set = |value: &str, source: &str| {
            nvlist::unpack(&crate::ondisk::nvlist::pack::pack(&[P::List(
                "mountpoint",
                vec![P::Str("value", value), P::Str("source", source)],
            )]))
            .unwrap()
        };
        assert_eq!(mountpoint("tank/a/b", &set("/srv", "tank")), "/srv/a/b");
        assert_eq!(mountpoint("tank/a", &set("/srv/", "tank")), "/srv/a");
        assert_eq!(mountpoint("tank/a", &set("/x", "tank/a")), "/x");
        assert_eq!(mountpoint("tank/a/b", &set("legacy", "tank")), "legacy");
        assert_eq!(mountpoint("tank/a", &NvList::default()), "/tank/a");
    }

    /// Records `/dev/zfs`'s answers for `HASAN_RECORD_POOL` into `HASAN_RECORD_DIR` (run on a
    /// ZFS host: `zpool-test record_dev_zfs --ignored`).
    #[test]
    #[ignore = "needs /dev/zfs and an imported pool"]
    fn record_dev_zfs() {
        let dir = std::path::PathBuf::from(std::env::var("HASAN_RECORD_DIR").unwrap());
        let pool = std::env::var("HASAN_RECORD_POOL").unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let dev = DevZfs;
        std::fs::write(dir.join("pool-props.nv"), dev.pool_props(&pool).unwrap()).unwrap();
        let mut rows = String::new();
        let mut todo = vec![(dev.dataset(&pool).unwrap(), String::new())];
        let mut n = 0;
        while let Some((c, parent)) = todo.pop() {
            let file = format!("{n:03}.nv");
            n += 1;
            std::fs::write(dir.join(&file), &c.props).unwrap();
            rows.push_str(&format!(
                "{}\t{}\t{parent}\t{file}\n",
                c.name, c.objset_type
            ));
            let mut cookie = 0;
            let mut below = Vec::new();
            while let Some(k) = dev.next_child(&c.name, cookie).unwrap() {
                cookie = k.cookie;
                below.push((k, c.name.clone()));
            }
            todo.extend(below.into_iter().rev());
        }
        std::fs::write(dir.join("datasets.txt"), rows).unwrap();
    }
}
