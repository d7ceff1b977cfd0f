//! The `ResourceAgent` implementation: wires the table, the configuration and the OS access
//! (real or recorded) to start, stop and monitor.

use libocf::{
    AgentSpec, Ctx, Health, OcfError, Params, ResourceAgent, Runner, Started, Stopped, SystemRunner,
};

use crate::config::Config;
use crate::datasets;
use crate::health;
use crate::kernel_read;
use crate::reattach;
use crate::spec::SPEC;
use crate::sysfs::{self, Fs};

/// ocf:hasan:zpool.
pub struct Zpool {
    /// Checked parameters.
    pub(crate) cfg: Config,
    /// /proc, /sys, /etc.
    pub(crate) fs: Fs,
    /// Runs zpool, zfs, modprobe.
    pub(crate) tools: Box<dyn Runner>,
    /// Answers the ZFS module's read-only ioctls.
    pub(crate) zfs: std::sync::Arc<dyn crate::zfsdev::ZfsDev>,
    /// Mounts the pool's file systems (mount(2)).
    pub(crate) mounter: std::sync::Arc<dyn crate::mount::Mounter>,
}

impl std::fmt::Debug for Zpool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zpool")
            .field("cfg", &self.cfg)
            .field("fs", &self.fs)
            .finish()
    }
}

impl Zpool {
    fn do_monitor(&self, ctx: &Ctx) -> Result<Health, OcfError> {
        let pool = &self.cfg.pool;
        let Some(state) = sysfs::pool_state(&self.fs, pool) else {
            return Ok(Health::Stopped(format!(
                "pool {pool} is not imported on this node"
            )));
        };
        let mut found = health::from_state(pool, &state)?;
        if state == "DEGRADED" {
            self.reattach(ctx);
        } else if state == "ONLINE" {
            reattach::forget(&self.fs, pool);
        }
        if ctx.check_level() >= 10 && found == Health::Running {
            let out = self
                .tools
                .stdout(&ctx.command("zpool").args(["status", "-p", pool]))
                .map_err(|e| OcfError::from(e).context("zpool status"))?;
            let counts = health::parse_status(&out);
            if !counts.clean() {
                found = Health::Degraded(counts.describe(pool));
            }
            self.warn_failmode(ctx);
        }
        if ctx.check_level() >= 20 {
            let ds = kernel_read::datasets_or_list(
                &self.zfs,
                &self.fs,
                self.tools.as_ref(),
                pool,
                ctx.budget.deadline(),
            )
            .map_err(|e| OcfError::from(e).context("zfs list"))?;
            let missing = datasets::unmounted(&ds, self.cfg.load_keys);
            if !missing.is_empty() {
                return Err(OcfError::generic(format!(
                    "pool {pool}: dataset(s) with canmount=on not mounted: {}",
                    missing.join(", ")
                )));
            }
        }
        let drift = self.cfg.tuning.drift(&self.fs);
        if !drift.is_empty() && found == Health::Running {
            found = Health::Degraded(format!("multihost tuning drifted: {}", drift.join("; ")));
        }
        Ok(found)
    }
}

impl Zpool {
    /// A DEGRADED pool: take back a member that answers again ([`reattach`]).
    fn reattach(&self, ctx: &Ctx) {
        let pool = &self.cfg.pool;
        match reattach::degraded(
            &self.fs,
            self.tools.as_ref(),
            &ctx.budget,
            pool,
            self.cfg.pool_guid,
        ) {
            reattach::Reattach::Unchanged => {}
            reattach::Reattach::Reopened {
                why,
                result: Ok(()),
            } => tracing::info!(
                "pool {pool} is DEGRADED, {why}: zpool reopen -n {pool}, so that ZFS takes back \
                 every member that answers and resilvers what it missed"
            ),
            reattach::Reattach::Reopened {
                why,
                result: Err(e),
            } => tracing::warn!("pool {pool} is DEGRADED, {why}: zpool reopen failed: {e}"),
        }
    }

    /// failmode=continue hides a multihost suspension from the kstat monitor reads: say so.
    fn warn_failmode(&self, ctx: &Ctx) {
        let pool = &self.cfg.pool;
        let name = pool.clone();
        let failmode = kernel_read::before(&self.zfs, ctx.budget.deadline(), move |dev| {
            kernel_read::pool_props(dev, &name)
        })
        .map(|p| p.failmode)
        .or_else(|_| {
            self.tools.stdout(
                &ctx.command("zpool")
                    .args(["get", "-H", "-p", "-o", "value", "failmode", pool]),
            )
        });
        if failmode.is_ok_and(|v| v.trim() == "continue") {
            tracing::warn!("{}", crate::start::failmode_warning(pool));
        }
    }
}

impl ResourceAgent for Zpool {
    const SPEC: AgentSpec = SPEC;

    fn from_params(params: &Params) -> Result<Self, OcfError> {
        Ok(Zpool {
            cfg: Config::from_params(params)?,
            fs: Fs::default(),
            tools: Box::new(SystemRunner),
            zfs: std::sync::Arc::new(crate::zfsdev::DevZfs),
            mounter: std::sync::Arc::new(crate::mount::SystemMounter),
        })
    }

    fn validate_local(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        if !sysfs::zfs_module_loaded(&self.fs) {
            return Err(OcfError::installed("the zfs kernel module is not loaded"));
        }
        if sysfs::hostid(&self.fs) == 0 {
            return Err(OcfError::installed(
                "this node's hostid is 0 (run zgenhostid)",
            ));
        }
        libocf::command::resolve("zpool")?;
        Ok(())
    }

    fn start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        self.do_start(ctx)
    }

    fn stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
        self.do_stop(ctx)
    }

    fn monitor(&self, ctx: &Ctx) -> Result<Health, OcfError> {
        self.do_monitor(ctx)
    }
}
