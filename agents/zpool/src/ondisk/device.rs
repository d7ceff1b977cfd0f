//! Finding a pool's devices without blkid: every block device of `/sys/class/block` (whole disks
//! and partitions) is read for its four label areas — opened read-only (no `O_EXCL`, never
//! written), with `O_DIRECT` so that the peer's latest writes are seen and not this node's page
//! cache — each in its own thread, given up at the deadline (a dead iSCSI disk can block a read
//! forever; the agent must not).

use std::collections::BTreeSet;
use std::io;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use rustix::fs::{Mode, OFlags, SeekFrom};

use super::{device_labels, label_offset, names_pool, LabelAreas, LABEL_SIZE};
use crate::labels::{DeviceLabels, LABELS};
use crate::sysfs::Fs;

/// `SPA_MINDEVSIZE`: no vdev is smaller (64 MiB); smaller devices are not read.
const MIN_DEVICE: u64 = 64 << 20;
/// `O_DIRECT` buffers are aligned to this (the largest logical block size in use).
const DIRECT_ALIGN: usize = 4096;

/// The block devices worth reading: `/dev/NAME` for each `/sys/class/block/NAME` of at least
/// [`MIN_DEVICE`] bytes (its `size` is in 512-byte sectors) that is not a suspended
/// device-mapper device (every read of one waits until it is resumed), sorted.
pub fn candidates(fs: &Fs) -> Vec<String> {
    let sys = |name: &str, file: &str| fs.read(&format!("/sys/class/block/{name}/{file}"));
    let mut out: Vec<String> = fs
        .list("/sys/class/block")
        .into_iter()
        .filter(|name| {
            sys(name, "size")
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .is_some_and(|sectors| sectors.saturating_mul(512) >= MIN_DEVICE)
        })
        .filter(|name| sys(name, "dm/suspended").map_or(true, |s| s.trim() != "1"))
        // sysfs writes '/' in device names as '!' (cciss!c0d0)
        .map(|name| format!("/dev/{}", name.replace('!', "/")))
        .collect();
    out.sort();
    out
}

fn open(path: &Path) -> io::Result<rustix::fd::OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    match rustix::fs::open(path, flags | OFlags::DIRECT, Mode::empty()) {
        // file systems without O_DIRECT (tmpfs: the tests' images)
        Err(rustix::io::Errno::INVAL) => Ok(rustix::fs::open(path, flags, Mode::empty())?),
        r => Ok(r?),
    }
}

/// Read `len` bytes at `offset` into an `O_DIRECT`-aligned buffer.
fn read_at(fd: &rustix::fd::OwnedFd, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len + DIRECT_ALIGN];
    let start = buf.as_ptr().align_offset(DIRECT_ALIGN).min(DIRECT_ALIGN);
    let mut done = 0;
    while done < len {
        let n = rustix::io::pread(
            fd,
            &mut buf[start + done..start + len],
            offset + done as u64,
        )?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("end of device at byte {}", offset + done as u64),
            ));
        }
        done += n;
    }
    Ok(buf[start..start + len].to_vec())
}

/// The four label areas of the device at `path`: two reads, the first and the last 512 KiB of
/// its size aligned down to 256 KiB.
pub fn read_areas(path: &Path) -> io::Result<LabelAreas> {
    let fd = open(path)?;
    let size = rustix::fs::seek(&fd, SeekFrom::End(0))?;
    let (Some(front), Some(back)) = (label_offset(size, 0), label_offset(size, 2)) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{size} bytes is too small for ZFS labels"),
        ));
    };
    let half = 2 * LABEL_SIZE as usize;
    let mut areas: [Option<Vec<u8>>; LABELS] = Default::default();
    for (first, at) in [(0, front), (2, back)] {
        let both = read_at(&fd, at, half)?;
        let (a, b) = both.split_at(LABEL_SIZE as usize);
        areas[first] = Some(a.to_vec());
        areas[first + 1] = Some(b.to_vec());
    }
    Ok(LabelAreas { size, areas })
}

/// What a scan of the block devices found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The labels of every device read whose labels name the pool.
    pub read: Vec<DeviceLabels>,
    /// Devices that could not be read, with the error.
    pub failed: Vec<(String, io::Error)>,
    /// Devices that had not answered at the deadline (their reads are abandoned).
    pub unanswered: Vec<String>,
    /// Devices labelled as a hot spare or cache device of some pool (see
    /// [`super::spare_or_cache`]).
    pub spares_or_caches: Vec<String>,
}

/// Read the labels of `devices` (system paths, read under `fs`'s root) in parallel, each in a
/// thread of its own, until all have answered or `deadline` has passed; the labels of the
/// devices that name `pool` are checked and kept.
pub fn scan(fs: &Fs, devices: &[String], pool: &str, deadline: Instant) -> Scan {
    let (tx, rx) = mpsc::channel();
    let mut out = Scan::default();
    let mut pending = BTreeSet::new();
    for dev in devices {
        let (tx, dev, path) = (tx.clone(), dev.clone(), fs.path(dev));
        let spawned = std::thread::Builder::new().name("labels".into()).spawn({
            let (dev, pool) = (dev.clone(), pool.to_owned());
            move || {
                let r = read_areas(&path).map(|areas| {
                    let labels = names_pool(&areas, &pool).then(|| device_labels(&dev, &areas));
                    (labels, super::spare_or_cache(&areas))
                });
                // the receiver is gone once the deadline has passed: nothing to report to
                let _ = tx.send((dev, r));
            }
        });
        match spawned {
            Ok(_) => {
                pending.insert(dev);
            }
            Err(e) => out.failed.push((dev, e)),
        }
    }
    drop(tx);
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok((dev, r)) = rx.recv_timeout(left) else {
            break;
        };
        pending.remove(&dev);
        match r {
            Ok((labels, aux)) => {
                out.read.extend(labels);
                if aux {
                    out.spares_or_caches.push(dev);
                }
            }
            Err(e) => out.failed.push((dev, e)),
        }
    }
    out.read.sort_by(|a, b| a.device.cmp(&b.device));
    out.unanswered = pending.into_iter().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ondisk::tests::{install, recorded, RECORDED};

    #[test]
    fn devices_are_found_in_sysfs_and_read_from_dev() {
        let dir = tempfile::tempdir().unwrap();
        install(dir.path(), "vdc1", RECORDED[0]);
        install(dir.path(), "vdd1", RECORDED[4]);
        // too small to be a vdev, and an entry whose node is missing
        for (name, sectors) in [("sr0", "0"), ("vde", "4194304"), ("dm-0", "4194304")] {
            let sys = dir.path().join("sys/class/block").join(name);
            std::fs::create_dir_all(&sys).unwrap();
            std::fs::write(sys.join("size"), sectors).unwrap();
        }
        // a suspended device-mapper device (multipath with every path down, say)
        let dm = dir.path().join("sys/class/block/dm-0/dm");
        std::fs::create_dir_all(&dm).unwrap();
        std::fs::write(dm.join("suspended"), "1\n").unwrap();
        let fs = Fs::rooted(dir.path());
        let devs = candidates(&fs);
        assert_eq!(devs, ["/dev/vdc1", "/dev/vdd1", "/dev/vde"]);
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        let s = scan(&fs, &devs, "labpool", deadline);
        assert_eq!(s.read.len(), 2);
        assert_eq!(s.read[0].device, "/dev/vdc1");
        assert_eq!(
            s.read[0],
            device_labels("/dev/vdc1", &recorded(RECORDED[0]))
        );
        assert_eq!(s.failed.len(), 1);
        assert_eq!(s.failed[0].0, "/dev/vde");
        assert!(s.unanswered.is_empty());
        // devices with another pool's labels are read, not kept
        let s = scan(&fs, &devs, "tank", deadline);
        assert!(s.read.is_empty() && s.unanswered.is_empty());
        assert_eq!(s.failed.len(), 1);
    }

    #[test]
    fn a_device_that_never_answers_is_given_up_at_the_deadline() {
        // a FIFO without a writer blocks its open forever, like a dead iSCSI disk blocks a read
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("dev")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("dev/sdx"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        install(dir.path(), "vdc1", RECORDED[1]);
        let fs = Fs::rooted(dir.path());
        let devs = ["/dev/sdx".to_owned(), "/dev/vdc1".to_owned()];
        // long enough for the real device on a loaded machine, however long the FIFO blocks
        let deadline = Instant::now() + std::time::Duration::from_secs(3);
        let s = scan(&fs, &devs, "labpool", deadline);
        assert_eq!(s.unanswered, ["/dev/sdx"]);
        assert_eq!(s.read.len(), 1, "the other device is read all the same");
    }
}
