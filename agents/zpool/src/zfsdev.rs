//! `/dev/zfs`: the two read-only ioctls start uses instead of `zpool get` and `zfs list` (a
//! process each, most of it libzfs starting up), behind [`ZfsDev`] so that tests replay
//! recorded answers. The only `unsafe` in the agent: the `ioctl(2)` call itself.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// The kernel's answers, as packed (native) nvlists.
pub trait ZfsDev: Send + Sync + std::fmt::Debug {
    /// `ZFS_IOC_POOL_GET_PROPS`: the imported pool's properties.
    fn pool_props(&self, pool: &str) -> io::Result<Vec<u8>>;
    /// `ZFS_IOC_OBJSET_STATS`: one dataset's type and properties.
    fn dataset(&self, name: &str) -> io::Result<Child>;
    /// `ZFS_IOC_DATASET_LIST_NEXT`: the child of `parent` after `cookie` (0 for the first),
    /// `None` after the last.
    fn next_child(&self, parent: &str, cookie: u64) -> io::Result<Option<Child>>;
}

/// One file system or volume below a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// Its full name.
    pub name: String,
    /// `dmu_objset_type_t`: 2 file system, 3 volume.
    pub objset_type: u32,
    /// Its properties (packed nvlist, as `zfs list` gets them).
    pub props: Vec<u8>,
    /// Where the listing goes on.
    pub cookie: u64,
}

/// No `/dev/zfs` (tests that script the commands instead).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct NoDev;

#[cfg(test)]
impl ZfsDev for NoDev {
    fn pool_props(&self, _: &str) -> io::Result<Vec<u8>> {
        Err(io::ErrorKind::Unsupported.into())
    }
    fn dataset(&self, _: &str) -> io::Result<Child> {
        Err(io::ErrorKind::Unsupported.into())
    }
    fn next_child(&self, _: &str, _: u64) -> io::Result<Option<Child>> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// The real device.
#[derive(Debug, Default)]
pub struct DevZfs;

/// `ZFS_IOC_FIRST` (`'Z' << 8`) and the two requests (sys/fs/zfs.h, stable since OpenZFS 0.8).
const IOC_OBJSET_STATS: u64 = 0x5a12;
const IOC_DATASET_LIST_NEXT: u64 = 0x5a14;
const IOC_POOL_GET_PROPS: u64 = 0x5a27;

/// Offsets in `zfs_cmd_t` (sys/zfs_ioctl.h, x86-64/aarch64 Linux, unchanged from OpenZFS 0.8
/// to 2.2 up to `zc_objset_stats`).
mod cmd {
    pub const NAME: usize = 0; // char[MAXPATHLEN = 4096]
    pub const NAME_LEN: usize = 4096;
    pub const NVLIST_DST: usize = 4112;
    pub const NVLIST_DST_SIZE: usize = 4120;
    pub const COOKIE: usize = 12616;
    pub const OBJSET_TYPE: usize = 12728; // zc_objset_stats.dds_type
    /// More than `sizeof (zfs_cmd_t)` (about 13.7 KiB): the kernel copies the whole struct in
    /// and out.
    pub const SIZE: usize = 16384;
}

/// The answer buffer to start with; the kernel says when it needs more (`ENOMEM`).
const FIRST_ANSWER: usize = 64 * 1024;

/// The most an answer may need.
const LARGEST_ANSWER: usize = 16 * 1024 * 1024;

struct Cmd {
    buf: Vec<u8>,
}

impl Cmd {
    fn new(name: &str) -> io::Result<Cmd> {
        if name.len() >= cmd::NAME_LEN || name.contains('\0') {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        let mut buf = vec![0u8; cmd::SIZE];
        buf[cmd::NAME..cmd::NAME + name.len()].copy_from_slice(name.as_bytes());
        Ok(Cmd { buf })
    }
    fn set_u64(&mut self, at: usize, v: u64) {
        self.buf[at..at + 8].copy_from_slice(&v.to_ne_bytes());
    }
    fn u64(&self, at: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[at..at + 8]);
        u64::from_ne_bytes(b)
    }
    fn u32(&self, at: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.buf[at..at + 4]);
        u32::from_ne_bytes(b)
    }
    fn name(&self) -> String {
        let n = &self.buf[..cmd::NAME_LEN];
        let end = n.iter().position(|b| *b == 0).unwrap_or(n.len());
        String::from_utf8_lossy(&n[..end]).into_owned()
    }
}

impl DevZfs {
    /// Run `request` with a `name` and a `cookie`, growing the answer buffer on `ENOMEM`;
    /// returns the command as the kernel left it and the answer.
    fn call(&self, request: u64, name: &str, cookie: u64) -> io::Result<(Cmd, Vec<u8>)> {
        let dev = File::open("/dev/zfs")?;
        let mut size = FIRST_ANSWER;
        loop {
            let mut answer = vec![0u8; size];
            let mut c = Cmd::new(name)?;
            c.set_u64(cmd::COOKIE, cookie);
            c.set_u64(cmd::NVLIST_DST, answer.as_mut_ptr() as u64);
            c.set_u64(cmd::NVLIST_DST_SIZE, size as u64);
            // SAFETY: `c.buf` is larger than `zfs_cmd_t`, which the kernel reads and writes
            // back whole; `zc_nvlist_dst` points to `answer`, `size` bytes, which outlives the
            // call; nothing else in the struct is a pointer.
            let rc = unsafe {
                libc::ioctl(
                    dev.as_raw_fd(),
                    request as libc::c_ulong,
                    c.buf.as_mut_ptr(),
                )
            };
            if rc == 0 {
                let used = usize::try_from(c.u64(cmd::NVLIST_DST_SIZE))
                    .unwrap_or(usize::MAX)
                    .min(size);
                answer.truncate(used);
                return Ok((c, answer));
            }
            let e = io::Error::last_os_error();
            let wanted = usize::try_from(c.u64(cmd::NVLIST_DST_SIZE)).unwrap_or(usize::MAX);
            if e.raw_os_error() == Some(libc::ENOMEM) && wanted > size && wanted <= LARGEST_ANSWER {
                size = wanted;
                continue;
            }
            return Err(e);
        }
    }
}

impl ZfsDev for DevZfs {
    fn pool_props(&self, pool: &str) -> io::Result<Vec<u8>> {
        self.call(IOC_POOL_GET_PROPS, pool, 0).map(|(_, a)| a)
    }

    fn dataset(&self, name: &str) -> io::Result<Child> {
        let (c, props) = self.call(IOC_OBJSET_STATS, name, 0)?;
        Ok(Child {
            name: name.to_owned(),
            objset_type: c.u32(cmd::OBJSET_TYPE),
            props,
            cookie: 0,
        })
    }

    fn next_child(&self, parent: &str, cookie: u64) -> io::Result<Option<Child>> {
        match self.call(IOC_DATASET_LIST_NEXT, parent, cookie) {
            Ok((c, props)) => Ok(Some(Child {
                name: c.name(),
                objset_type: c.u32(cmd::OBJSET_TYPE),
                props,
                cookie: c.u64(cmd::COOKIE),
            })),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Answers recorded from a real `/dev/zfs` (`tests/fixtures/zfsdev-*/`: `pool-props.nv`, and
/// `datasets.txt` naming each dataset's type, parent and answer file in the kernel's order).
#[cfg(test)]
#[derive(Debug)]
pub struct RecordedDev {
    dir: std::path::PathBuf,
    /// name, objset type, parent, file
    rows: Vec<(String, u32, String, String)>,
}

#[cfg(test)]
impl RecordedDev {
    /// The recording in `tests/fixtures/NAME/`.
    pub fn load(name: &str) -> RecordedDev {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let rows = std::fs::read_to_string(dir.join("datasets.txt"))
            .unwrap()
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    f[0].to_owned(),
                    f[1].parse().unwrap(),
                    f[2].to_owned(),
                    f[3].to_owned(),
                )
            })
            .collect();
        RecordedDev { dir, rows }
    }

    fn child(&self, row: &(String, u32, String, String), cookie: u64) -> Child {
        Child {
            name: row.0.clone(),
            objset_type: row.1,
            props: std::fs::read(self.dir.join(&row.3)).unwrap(),
            cookie,
        }
    }
}

#[cfg(test)]
impl ZfsDev for RecordedDev {
    fn pool_props(&self, _: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.dir.join("pool-props.nv"))
    }
    fn dataset(&self, name: &str) -> io::Result<Child> {
        self.rows
            .iter()
            .find(|r| r.0 == name)
            .map(|r| self.child(r, 0))
            .ok_or_else(|| io::ErrorKind::NotFound.into())
    }
    fn next_child(&self, parent: &str, cookie: u64) -> io::Result<Option<Child>> {
        let below: Vec<_> = self.rows.iter().filter(|r| r.2 == parent).collect();
        Ok(usize::try_from(cookie)
            .ok()
            .and_then(|i| below.get(i))
            .map(|r| self.child(r, cookie + 1)))
    }
}
