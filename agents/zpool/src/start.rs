//! start: preflight (module, hostid, multihost timing), import by policy, multihost property,
//! keys, mounts, zvol nodes — each phase logged with its duration.

use std::time::{Duration, Instant};

use libocf::{Ctx, OcfError, Started};

use crate::agent::Zpool;
use crate::datasets::{self, Dataset};
use crate::import::{self, Policy};
use crate::mmp::MmpParams;
use crate::sysfs;

/// Each phase is logged with its duration and journal fields (`HASAN_PHASE`, …).
pub use libocf::log::Phase;

impl Zpool {
    /// The whole start.
    pub fn do_start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        let pool = &self.cfg.pool;
        if sysfs::pool_state(&self.fs, pool).is_some() {
            self.prepare_datasets(ctx)?;
            return Ok(Started::AlreadyRunning);
        }
        self.preflight(ctx)?;
        let phase = Phase::begin("import");
        let policy = Policy {
            pool,
            args: &self.cfg.importargs,
            force: self.cfg.importforce,
            allow_no_multihost: self.cfg.allow_no_multihost,
            mmp_wait: self.mmp().import_wait(),
            single_check: self.cfg.single_activity_check,
            hostid: sysfs::hostid(&self.fs),
        };
        let how = import::import(self.tools.as_ref(), &ctx.budget, &policy)?;
        phase.end(&format!("pool {pool} imported ({how:?})"));
        self.check_multihost(ctx)?;
        self.prepare_datasets(ctx)?;
        Ok(Started::Started)
    }

    fn mmp(&self) -> MmpParams {
        self.cfg.tuning.over(MmpParams::read(&self.fs))
    }

    fn preflight(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let phase = Phase::begin("preflight");
        if !sysfs::zfs_module_loaded(&self.fs) {
            let loaded = self.tools.run(
                &ctx.command_within("modprobe", Duration::from_secs(30))
                    .arg("zfs"),
            );
            if loaded.is_err() || !sysfs::zfs_module_loaded(&self.fs) {
                return Err(OcfError::installed(
                    "the zfs kernel module is not loaded and modprobe zfs failed",
                ));
            }
        }
        let hostid = sysfs::hostid(&self.fs);
        if hostid == 0 {
            return Err(OcfError::installed(
                "this node's hostid is 0: multihost cannot tell the nodes apart; run zgenhostid \
                 (a different value on each node) and reload the zfs module",
            ));
        }
        if !self.cfg.tuning.is_empty() {
            self.cfg
                .tuning
                .apply(&self.fs)
                .map_err(|e| OcfError::generic(format!("multihost tuning: {e}")))?;
        }
        let mmp = self.mmp();
        // After a crash the plain import's own activity check comes first; -f does a second one.
        let wait = if self.cfg.importforce && !self.cfg.single_activity_check {
            mmp.import_wait() + mmp.activity_check()
        } else {
            mmp.import_wait()
        };
        ctx.budget
            .ensure(
                wait,
                "an import after a crash of the other node (multihost activity checks)",
            )
            .map_err(|e| {
                OcfError::configured(format!(
                    "{}; raise the start timeout to at least {:.0} s or shorten the check with \
                     multihost_interval/multihost_*_intervals",
                    e.reason,
                    min_timeout(wait).as_secs_f64()
                ))
            })?;
        phase.end(&format!(
            "hostid {hostid:08x}; an import after a crash waits up to {:.1} s per multihost \
             activity check, {:.0} s in all (interval {} ms, import_intervals {}, fail_intervals {})",
            mmp.activity_check().as_secs_f64(),
            wait.as_secs_f64(),
            mmp.interval_ms,
            mmp.import_intervals,
            mmp.fail_intervals
        ));
        Ok(())
    }

    fn check_multihost(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let pool = &self.cfg.pool;
        let value = self
            .tools
            .stdout(&ctx.command("zpool").args([
                "get",
                "-H",
                "-p",
                "-o",
                "value",
                "multihost",
                pool,
            ]))
            .map_err(|e| OcfError::from(e).context("reading the multihost property"))?;
        if value.trim() == "on" {
            return Ok(());
        }
        if self.cfg.allow_no_multihost {
            tracing::warn!(
                "pool {pool} has multihost=off (allowed by allow_no_multihost=true): nothing but \
                 fencing prevents a second node importing it at the same time, which corrupts it"
            );
            return Ok(());
        }
        let phase = Phase::begin("export");
        let undo = self.tools.run(&ctx.command("zpool").args(["export", pool]));
        phase.end(&format!(
            "undoing the import: {}",
            if undo.is_ok() { "exported" } else { "FAILED" }
        ));
        Err(OcfError::configured(format!(
            "pool {pool} has multihost=off; refusing it{} (zpool set multihost=on {pool}, or \
             allow_no_multihost=true to accept the risk of a double import)",
            if undo.is_ok() {
                " and exported it again"
            } else {
                ", but exporting it again failed"
            }
        )))
    }

    /// Keys, mounts and zvol nodes; also run for an already imported pool.
    fn prepare_datasets(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let pool = &self.cfg.pool;
        let mut ds = datasets::list(self.tools.as_ref(), pool, ctx.budget.deadline())
            .map_err(|e| OcfError::from(e).context("listing datasets"))?;
        if self.cfg.load_keys {
            let phase = Phase::begin("keys");
            let roots: Vec<String> = datasets::keys_to_load(&ds)
                .map_err(|e| OcfError::generic(format!("pool {pool}: {e}")))?
                .iter()
                .map(|d| d.name.clone())
                .collect();
            for root in &roots {
                self.tools
                    .run(&ctx.command("zfs").args(["load-key", root]))
                    .map_err(|e| {
                        OcfError::from(e).context(format!("cannot load the key of {root}"))
                    })?;
                unlock(&mut ds, root);
            }
            phase.end(&format!("{} key(s) loaded", roots.len()));
        }
        let phase = Phase::begin("mounts");
        let mounts: Vec<String> = datasets::to_mount(&ds)
            .iter()
            .map(|d| d.name.clone())
            .collect();
        for name in &mounts {
            self.tools
                .run(&ctx.command("zfs").args(["mount", name]))
                .map_err(|e| OcfError::from(e).context(format!("cannot mount {name}")))?;
        }
        phase.end(&format!("{} file system(s) mounted", mounts.len()));
        self.wait_zvols(ctx, &datasets::zvol_nodes(&ds))
    }

    fn wait_zvols(&self, ctx: &Ctx, nodes: &[String]) -> Result<(), OcfError> {
        if nodes.is_empty() || self.cfg.zvol_wait.is_zero() {
            return Ok(());
        }
        let phase = Phase::begin("zvols");
        let until = ctx.budget.sub_deadline(self.cfg.zvol_wait);
        loop {
            let missing: Vec<&String> = nodes.iter().filter(|n| !self.fs.exists(n)).collect();
            if missing.is_empty() {
                phase.end(&format!("{} zvol node(s) present", nodes.len()));
                return Ok(());
            }
            if Instant::now() >= until {
                let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                return Err(OcfError::generic(format!(
                    "zvol device node(s) still missing after {:.0} s: {}",
                    self.cfg.zvol_wait.as_secs_f64(),
                    list.join(", ")
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The smallest whole-second start timeout whose budget (after libocf's margin) covers `wait`.
pub fn min_timeout(wait: Duration) -> Duration {
    let mut t = Duration::from_secs(wait.as_secs().max(1));
    while t.saturating_sub(libocf::budget::safety_margin(t)) < wait {
        t += Duration::from_secs(1);
    }
    t
}

fn unlock(ds: &mut [Dataset], root: &str) {
    for d in ds.iter_mut().filter(|d| d.encryption_root == root) {
        d.keystatus = "available".into();
    }
}
