//! stop: export; a SUSPENDED pool fails fast; a busy pool gets its holders reported and, if
//! allowed, ended before `zpool export -f`.

use std::time::{Duration, Instant};

use libocf::{CommandError, Ctx, OcfError, Stopped};
use rustix::process::{Pid, Signal};

use crate::agent::Zpool;
use crate::holders::{self, Holder, PoolFiles};
use crate::start::Phase;
use crate::sysfs::{self, Fs};

/// Mountpoints of the pool's file systems from `/proc/self/mountinfo` (no child process, and it
/// works while ZFS commands would block).
pub fn pool_mounts(fs: &Fs, pool: &str) -> Vec<String> {
    let text = fs.read("/proc/self/mountinfo").unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut r = right.split(' ');
        let (Some(fstype), Some(source)) = (r.next(), r.next()) else {
            continue;
        };
        let source = unescape(source);
        if fstype == "zfs" && (source == pool || source.starts_with(&format!("{pool}/"))) {
            if let Some(mp) = left.split(' ').nth(4) {
                out.push(unescape(mp));
            }
        }
    }
    out
}

/// Undo mountinfo's octal escapes (`\040` for a space); a sequence above `\377` is no byte and
/// stays as it is.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if let Some(n) = (c == b'\\')
            .then(|| b.get(i + 1..i + 4))
            .flatten()
            .and_then(octal_byte)
        {
            out.push(n);
            i += 4;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Three octal digits as one byte (`None` if not octal digits or above 255).
fn octal_byte(d: &[u8]) -> Option<u8> {
    d.iter()
        .try_fold(0u32, |n, c| {
            (b'0'..=b'7')
                .contains(c)
                .then(|| n * 8 + u32::from(c - b'0'))
        })
        .filter(|_| d.len() == 3)
        .and_then(|n| u8::try_from(n).ok())
}

/// Every node under `/dev/zvol/<pool>` (volumes nest like datasets).
pub fn zvol_nodes(fs: &Fs, pool: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![format!("/dev/zvol/{pool}")];
    while let Some(d) = dirs.pop() {
        for n in fs.list(&d) {
            let p = format!("{d}/{n}");
            if fs.is_dir(&p) && fs.read_link(&p).is_err() {
                dirs.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn is_busy(e: &CommandError) -> bool {
    match e {
        CommandError::TimedOut { .. } => true,
        CommandError::Failed { .. } => e.said().to_ascii_lowercase().contains("busy"),
        _ => false,
    }
}

impl Zpool {
    /// The whole stop.
    pub fn do_stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
        let pool = &self.cfg.pool;
        let Some(state) = sysfs::pool_state(&self.fs, pool) else {
            return Ok(Stopped::AlreadyStopped);
        };
        if state == "SUSPENDED" {
            return Err(OcfError::generic(format!(
                "pool {pool} is SUSPENDED (its I/O failed): an export would hang until the \
                 timeout, failing stop now so that the node is fenced"
            )));
        }
        let phase = Phase::begin("export");
        let first = self.tools.run(
            &ctx.command_within("zpool", self.cfg.export_timeout)
                .args(["export", pool]),
        );
        let err = match first {
            Ok(_) => {
                phase.end(&format!("pool {pool} exported"));
                return Ok(Stopped::Stopped);
            }
            Err(e) => e,
        };
        if !is_busy(&err) {
            return Err(OcfError::from(err).context(format!("cannot export pool {pool}")));
        }
        phase.end(&format!("pool {pool} is busy: {err}"));
        self.clear_holders(ctx)?;
        let phase = Phase::begin("export");
        self.tools
            .run(&ctx.command("zpool").args(["export", "-f", pool]))
            .map_err(|e| {
                OcfError::from(e).context(format!("cannot export pool {pool} even with -f"))
            })?;
        phase.end(&format!("pool {pool} exported with -f"));
        Ok(Stopped::Stopped)
    }

    fn holders(&self) -> Vec<Holder> {
        let pool = &self.cfg.pool;
        let mut files = PoolFiles {
            mounts: pool_mounts(&self.fs, pool),
            devices: Vec::new(),
        };
        files.add_zvols(&self.fs, &zvol_nodes(&self.fs, pool));
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        holders::find(&self.fs, &files, me)
    }

    /// Report the holders; end the processes among them when allowed.
    fn clear_holders(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let pool = &self.cfg.pool;
        let phase = Phase::begin("holders");
        let found = self.holders();
        let list: Vec<String> = found.iter().map(ToString::to_string).collect();
        for h in &list {
            tracing::warn!("pool {pool} is held by {h}");
        }
        let shown = if list.is_empty() {
            "no holder found in /proc, NFS exports or LIO".to_owned()
        } else {
            list.join(", ")
        };
        if !self.cfg.kill_holders {
            return Err(OcfError::generic(format!(
                "pool {pool} is busy: {shown}; stop them first or set kill_holders=true"
            )));
        }
        let pids: Vec<i32> = found.iter().filter_map(Holder::pid).collect();
        signal_all(&pids, Signal::TERM);
        let grace = ctx.budget.sub_deadline(ctx.budget.remaining() / 3);
        let grace = grace.min(Instant::now() + Duration::from_secs(10));
        while Instant::now() < grace && pids.iter().any(|p| alive(&self.fs, *p)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let stubborn: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|p| alive(&self.fs, *p))
            .collect();
        signal_all(&stubborn, Signal::KILL);
        phase.end(&format!(
            "{} process(es) sent SIGTERM, {} SIGKILL; {shown}",
            pids.len(),
            stubborn.len()
        ));
        Ok(())
    }
}

fn signal_all(pids: &[i32], sig: Signal) {
    for pid in pids {
        if let Some(p) = Pid::from_raw(*pid) {
            if let Err(e) = rustix::process::kill_process(p, sig) {
                tracing::debug!("signal to {pid}: {e}");
            }
        }
    }
}

fn alive(fs: &Fs, pid: i32) -> bool {
    // a zombie has released its files
    fs.read(&format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .map(|r| !r.trim_start().starts_with('Z'))
                .unwrap_or(true)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_of_the_pool_come_from_mountinfo() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Fs::rooted(dir.path());
        std::fs::create_dir_all(fs.path("/proc/self")).unwrap();
        std::fs::write(
            fs.path("/proc/self/mountinfo"),
            "22 1 0:21 / / rw - ext4 /dev/vda rw\n\
             90 22 0:50 / /tank rw,xattr shared:40 - zfs tank rw,xattr,posixacl\n\
             91 90 0:51 / /tank/my\\040data rw - zfs tank/my\\040data rw\n\
             92 22 0:52 / /tank2 rw - zfs tank2 rw\n",
        )
        .unwrap();
        assert_eq!(pool_mounts(&fs, "tank"), ["/tank", "/tank/my data"]);
    }

    #[test]
    fn mountinfo_escapes_above_a_byte_stay_literal() {
        assert_eq!(unescape("/a\\040b"), "/a b");
        assert_eq!(unescape("/a\\134b"), "/a\\b");
        assert_eq!(unescape("/a\\777b"), "/a\\777b");
        assert_eq!(unescape("/a\\40"), "/a\\40");
    }
}
