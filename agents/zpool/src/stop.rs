//! stop: export; a SUSPENDED pool fails fast; a busy pool gets its holders reported and, if
//! allowed, ended before `zpool export -f`.

use std::time::{Duration, Instant};

use libocf::{Command, CommandError, Ctx, OcfError, Stopped};
use rustix::process::{Pid, Signal};

use crate::agent::Zpool;
use crate::holders::{self, Holder, PoolFiles};
use crate::mountinfo;
use crate::start::Phase;
use crate::sysfs::{self, Fs};

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

/// Why a plain `zpool export` did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportFailure {
    /// Something holds the pool ("pool is busy").
    Busy,
    /// It did not finish by its deadline (and was killed).
    Slow,
    /// A hot spare shared with another pool is in use: ZFS wants `-f` to confirm.
    ActiveSharedSpare,
    /// Anything else.
    Other,
}

fn export_failure(e: &CommandError) -> ExportFailure {
    match e {
        CommandError::TimedOut { .. } => ExportFailure::Slow,
        CommandError::Failed { .. } => {
            let s = e.said().to_ascii_lowercase();
            if s.contains("active shared spare") {
                ExportFailure::ActiveSharedSpare
            } else if s.contains("busy") {
                ExportFailure::Busy
            } else {
                ExportFailure::Other
            }
        }
        _ => ExportFailure::Other,
    }
}

/// How long the holder scan may take.
const HOLDER_SCAN: Duration = Duration::from_secs(10);

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
        let err = match self.export(false, ctx.budget.sub_deadline(self.cfg.export_timeout)) {
            Ok(()) => {
                phase.end(&format!("pool {pool} exported"));
                return Ok(Stopped::Stopped);
            }
            Err(e) => e,
        };
        if self.gone() {
            phase.end(&format!(
                "pool {pool} exported (the export command said: {err})"
            ));
            return Ok(Stopped::Stopped);
        }
        let failure = export_failure(&err);
        phase.end(&format!("pool {pool} not exported ({failure:?}): {err}"));
        match failure {
            ExportFailure::Other => {
                return Err(OcfError::from(err).context(format!("cannot export pool {pool}")))
            }
            ExportFailure::ActiveSharedSpare => {
                tracing::info!(
                    "pool {pool} has an active hot spare shared with another pool: exporting \
                     with -f (the spare stays in use by that pool)"
                );
                return self.export_forced(ctx);
            }
            ExportFailure::Slow if self.holders(ctx).is_empty() => {
                // nothing holds it: a slow export (much dirty data); let it use what is left
                let phase = Phase::begin("export");
                let again = self.export(false, ctx.budget.deadline());
                if again.is_ok() || self.gone() {
                    phase.end(&format!("pool {pool} exported (slowly)"));
                    return Ok(Stopped::Stopped);
                }
                if let Err(e) = again {
                    if export_failure(&e) != ExportFailure::Busy {
                        return Err(OcfError::generic(format!(
                            "cannot export pool {pool} within the stop timeout: {e}"
                        )));
                    }
                }
            }
            ExportFailure::Slow | ExportFailure::Busy => {}
        }
        self.clear_holders(ctx)?;
        self.export_forced(ctx)
    }

    /// `zpool export [-f] POOL` until `deadline`.
    fn export(&self, force: bool, deadline: Instant) -> Result<(), CommandError> {
        let cmd = Command::new("zpool", deadline)
            .arg("export")
            .args(force.then_some("-f"))
            .arg(&self.cfg.pool);
        self.tools.run(&cmd).map(drop)
    }

    fn export_forced(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
        let pool = &self.cfg.pool;
        let phase = Phase::begin("export");
        match self.export(true, ctx.budget.deadline()) {
            Ok(()) => {}
            Err(_) if self.gone() => {}
            Err(e) => {
                return Err(OcfError::generic(format!(
                    "cannot export pool {pool} even with -f: {e}"
                )))
            }
        }
        phase.end(&format!("pool {pool} exported with -f"));
        Ok(Stopped::Stopped)
    }

    /// True once the kernel no longer lists the pool (a failed or killed export may still
    /// have exported it).
    fn gone(&self) -> bool {
        sysfs::pool_state(&self.fs, &self.cfg.pool).is_none()
    }

    fn holders(&self, ctx: &Ctx) -> Vec<Holder> {
        let pool = &self.cfg.pool;
        let mut files = PoolFiles {
            mounts: mountinfo::pool_mounts(&self.fs, pool),
            devices: Vec::new(),
        };
        files.add_zvols(&self.fs, &zvol_nodes(&self.fs, pool));
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let found = holders::find(&self.fs, &files, me, ctx.budget.sub_deadline(HOLDER_SCAN));
        if !found.complete {
            tracing::warn!("pool {pool}: the holder scan did not finish in time");
        }
        found.holders
    }

    /// Report the holders; end the processes among them when allowed, wait until they are
    /// gone and look again.
    fn clear_holders(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let pool = &self.cfg.pool;
        let phase = Phase::begin("holders");
        let found = self.holders(ctx);
        let list: Vec<String> = found.iter().map(ToString::to_string).collect();
        for h in &list {
            tracing::warn!("pool {pool} is held by {h}");
        }
        let shown = if list.is_empty() {
            "no holder found in /proc, /sys, NFS exports or LIO".to_owned()
        } else {
            list.join(", ")
        };
        if !self.cfg.kill_holders {
            return Err(OcfError::generic(format!(
                "pool {pool} is busy: {shown}; stop them first or set kill_holders=true"
            )));
        }
        let mut pids: Vec<i32> = found.iter().filter_map(Holder::pid).collect();
        let (mut termed, mut killed) = (0, 0);
        for _round in 0..2 {
            if pids.is_empty() {
                break;
            }
            termed += pids.len();
            signal_all(&pids, Signal::TERM);
            let grace = ctx.budget.sub_deadline(ctx.budget.remaining() / 3);
            let grace = grace.min(Instant::now() + Duration::from_secs(10));
            self.wait_gone(&pids, grace);
            let stubborn: Vec<i32> = pids
                .iter()
                .copied()
                .filter(|p| alive(&self.fs, *p))
                .collect();
            killed += stubborn.len();
            signal_all(&stubborn, Signal::KILL);
            // a killed process releases its files only once it has exited
            let exit = ctx.budget.sub_deadline(ctx.budget.remaining() / 3);
            self.wait_gone(
                &stubborn,
                exit.min(Instant::now() + Duration::from_secs(10)),
            );
            // a holder may have started others meanwhile
            pids = self
                .holders(ctx)
                .iter()
                .filter_map(Holder::pid)
                .filter(|p| alive(&self.fs, *p))
                .collect();
        }
        phase.end(&format!(
            "{termed} process(es) sent SIGTERM, {killed} SIGKILL; {shown}"
        ));
        if !pids.is_empty() {
            return Err(OcfError::generic(format!(
                "pool {pool} is still held by process(es) {pids:?} after SIGTERM and SIGKILL"
            )));
        }
        Ok(())
    }

    fn wait_gone(&self, pids: &[i32], until: Instant) {
        while Instant::now() < until && pids.iter().any(|p| alive(&self.fs, *p)) {
            std::thread::sleep(Duration::from_millis(100));
        }
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
