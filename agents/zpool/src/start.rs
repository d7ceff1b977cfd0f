//! start: preflight (module, hostid, multihost timing), import by policy, multihost property,
//! keys, mounts, zvol nodes — each phase logged with its duration.

use std::time::{Duration, Instant};

use libocf::{Ctx, OcfError, Started};

use crate::agent::Zpool;
use crate::datasets::{self, Dataset};
use crate::decide::{Allowed, Me};
use crate::hostid_attr;
use crate::import::{self, Policy};
use crate::kernel_read;
use crate::mmp::MmpParams;
use crate::mount::{self, MountCall, MountError};
use crate::mountinfo;
use crate::start_timeout::start_need;
use crate::sysfs;

/// The pool's properties and its datasets, as start reads them after the import.
type PoolReads = (Result<PoolProps, OcfError>, Result<Vec<Dataset>, OcfError>);

/// Each phase is logged with its duration and journal fields (`HASAN_PHASE`, …).
pub use libocf::log::Phase;

/// What start needs to know of an imported pool, from one `zpool get`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolProps {
    /// `multihost`: `on`/`off`.
    pub multihost: String,
    /// `failmode`: `wait`, `continue`, `panic`.
    pub failmode: String,
    /// `guid`.
    pub guid: u64,
    /// `readonly` (imported read-only; read from the kernel only: it makes every in-process
    /// mount read-only, and `zfs mount` knows it by itself).
    pub readonly: bool,
}

impl PoolProps {
    /// The `zpool get` arguments.
    pub const ARGS: [&'static str; 6] = [
        "get",
        "-H",
        "-p",
        "-o",
        "property,value",
        "multihost,failmode,guid",
    ];

    /// Parse `zpool get -H -p -o property,value multihost,failmode,guid POOL`.
    pub fn parse(out: &str) -> PoolProps {
        let mut p = PoolProps::default();
        for line in out.lines() {
            let mut f = line.split('\t');
            match (f.next(), f.next().map(str::trim)) {
                (Some("multihost"), Some(v)) => v.clone_into(&mut p.multihost),
                (Some("failmode"), Some(v)) => v.clone_into(&mut p.failmode),
                (Some("guid"), Some(v)) => p.guid = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        p
    }
}

impl Zpool {
    /// The whole start.
    pub fn do_start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        let pool = &self.cfg.pool;
        if let Some(state) = sysfs::pool_state(&self.fs, pool) {
            if state != "ONLINE" && state != "DEGRADED" {
                return Err(OcfError::generic(format!(
                    "pool {pool} is already imported on this node but {state}: it cannot serve \
                     data (zpool status {pool})"
                )));
            }
            return std::thread::scope(|s| {
                s.spawn(|| self.record_hostid(ctx));
                let (props, ds) = self.read_pool(ctx);
                self.check_props(&props?).map_err(|e| {
                    OcfError::generic(format!("pool {pool} is already imported here, but {e}"))
                })?;
                self.prepare_datasets(ctx, ds?)?;
                Ok(Started::AlreadyRunning)
            });
        }
        self.preflight(ctx)?;
        let phase = Phase::begin("labels");
        let on_disk = import::read_labels(&self.fs, &ctx.budget, pool, self.cfg.pool_guid);
        phase.end(&match &on_disk {
            Ok(d) => format!(
                "pool_guid {}, state {}, last host '{}' (hostid {:08x}), txg {}, multihost {}; \
                 the import reads {}",
                d.guid,
                if d.active() { "active" } else { "exported" },
                d.hostname(),
                d.hostid(),
                d.current.txg,
                if d.multihost() { "on" } else { "off" },
                if d.search.is_empty() {
                    "every device".to_owned()
                } else {
                    d.search.join(", ")
                }
            ),
            Err(e) => e.to_string(),
        });
        let phase = Phase::begin("import");
        let hostname = sysfs::hostname(&self.fs);
        let policy = Policy {
            pool,
            guid: self.cfg.pool_guid,
            args: &self.cfg.importargs,
            allowed: Allowed {
                force: self.cfg.importforce,
                single_check: self.cfg.single_activity_check,
                no_multihost: self.cfg.allow_no_multihost,
            },
            me: Me {
                hostid: sysfs::hostid(&self.fs),
                hostname: &hostname,
            },
            local: self.mmp(),
            search: on_disk.as_ref().map_or(&[], |d| d.search.as_slice()),
            fs: &self.fs,
        };
        let how = import::import(self.tools.as_ref(), &ctx.budget, &policy, &on_disk)?;
        phase.end(&format!("pool {pool}: {how}"));
        std::thread::scope(|s| {
            s.spawn(|| self.record_hostid(ctx));
            let (props, ds) = self.read_pool(ctx);
            if let Err(e) = props.and_then(|p| self.check_props(&p)) {
                return Err(self.undo_import(ctx, e));
            }
            self.prepare_datasets(ctx, ds?)?;
            Ok(Started::Started)
        })
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
        let need = start_need(|p| self.fs.read(p).ok(), &self.cfg.tuning);
        ctx.budget
            .ensure(
                need.wait,
                "an import after a crash of the other node (label read and two multihost \
                 activity checks)",
            )
            .map_err(|e| {
                OcfError::configured(format!(
                    "{}; raise the start timeout to at least {:.0} s or shorten the check with \
                     multihost_interval/multihost_*_intervals",
                    e.reason,
                    need.timeout.as_secs_f64()
                ))
            })?;
        let mmp = need.mmp;
        phase.end(&format!(
            "hostid {hostid:08x}; an import after a crash waits up to {:.1} s per multihost \
             activity check, {:.0} s reserved (interval {} ms, import_intervals {}, \
             fail_intervals {})",
            need.activity_check.as_secs_f64(),
            need.wait.as_secs_f64(),
            mmp.interval_ms,
            mmp.import_intervals,
            mmp.fail_intervals
        ));
        Ok(())
    }

    /// The pool's properties and its datasets: from `/dev/zfs` (no process), else by `zpool
    /// get` and `zfs list` at the same time.
    fn read_pool(&self, ctx: &Ctx) -> PoolReads {
        let phase = Phase::begin("properties");
        match self.read_from_kernel(ctx) {
            Ok((props, ds)) => {
                phase.end(&format!("from /dev/zfs: {} dataset(s)", ds.len()));
                return (Ok(props), Ok(ds));
            }
            Err(e) => tracing::info!(
                "pool {}: {e}; reading it with zpool get and zfs list instead",
                self.cfg.pool
            ),
        }
        let read = std::thread::scope(|s| {
            let ds = s.spawn(|| {
                datasets::list(self.tools.as_ref(), &self.cfg.pool, ctx.budget.deadline())
                    .map_err(|e| OcfError::from(e).context("listing datasets"))
            });
            let props = self.props(ctx);
            let ds = ds
                .join()
                .unwrap_or_else(|_| Err(OcfError::generic("listing datasets failed")));
            (props, ds)
        });
        phase.end("zpool get, zfs list");
        read
    }

    /// [`kernel_read`]: properties and datasets without a process.
    fn read_from_kernel(&self, ctx: &Ctx) -> Result<(PoolProps, Vec<Dataset>), String> {
        let pool = self.cfg.pool.clone();
        let mounted = mountinfo::mounted_datasets(&self.fs, &pool);
        kernel_read::before(&self.zfs, ctx.budget.deadline(), move |dev| {
            let props = kernel_read::pool_props(dev, &pool)?;
            let mut ds = kernel_read::datasets(dev, &pool, &mounted)?;
            if props.readonly {
                // libzfs mounts everything of a read-only pool read-only
                ds.iter_mut()
                    .filter_map(|d| d.mount.as_mut())
                    .for_each(|m| m.readonly = true);
            }
            Ok((props, ds))
        })
    }

    /// multihost, failmode and guid of the imported pool, in one `zpool get`.
    fn props(&self, ctx: &Ctx) -> Result<PoolProps, OcfError> {
        let out = self
            .tools
            .stdout(
                &ctx.command("zpool")
                    .args(PoolProps::ARGS)
                    .arg(&self.cfg.pool),
            )
            .map_err(|e| OcfError::from(e).context("reading the pool's properties"))?;
        Ok(PoolProps::parse(&out))
    }

    /// What start refuses in an imported pool (the error is a configuration error: every node
    /// would refuse it).
    fn check_props(&self, props: &PoolProps) -> Result<(), OcfError> {
        let pool = &self.cfg.pool;
        if let Some(want) = self.cfg.pool_guid {
            if props.guid != want {
                return Err(OcfError::configured(format!(
                    "its pool_guid is {}, not {want} (parameter pool_guid): another pool with \
                     the name {pool}",
                    props.guid
                )));
            }
        }
        if props.multihost != "on" {
            if !self.cfg.allow_no_multihost {
                return Err(OcfError::configured(format!(
                    "it has multihost=off (zpool set multihost=on {pool}, or \
                     allow_no_multihost=true to accept the risk of a double import)"
                )));
            }
            tracing::warn!(
                "pool {pool} has multihost=off (allowed by allow_no_multihost=true): nothing but \
                 fencing prevents a second node importing it at the same time, which corrupts it"
            );
        }
        if props.failmode == "continue" {
            if !self.cfg.allow_failmode_continue {
                return Err(OcfError::configured(format!(
                    "it has failmode=continue, which hides a multihost suspension from the \
                     kernel's pool state: monitor would report ONLINE while the pool refuses \
                     writes (zpool set failmode=wait {pool}, or allow_failmode_continue=true)"
                )));
            }
            tracing::warn!("{}", failmode_warning(pool));
        }
        Ok(())
    }

    /// Export the pool again after `why` refused it; the error says whether that worked.
    fn undo_import(&self, ctx: &Ctx, why: OcfError) -> OcfError {
        let pool = &self.cfg.pool;
        let phase = Phase::begin("export");
        let undo = self.tools.run(&ctx.command("zpool").args(["export", pool]));
        phase.end(&format!(
            "undoing the import: {}",
            if undo.is_ok() { "exported" } else { "FAILED" }
        ));
        OcfError {
            reason: format!(
                "pool {pool}: {}; refusing it{}",
                why.reason,
                if undo.is_ok() {
                    " and exported it again"
                } else {
                    ", but exporting it again failed"
                }
            ),
            ..why
        }
    }

    /// Publish this node's hostid as the transient node attribute `hasan-zfs-hostid`, so that a
    /// check can compare the nodes (a cloned hostid defeats multihost). Best effort.
    fn record_hostid(&self, ctx: &Ctx) {
        let hostid = format!("{:08x}", sysfs::hostid(&self.fs));
        let Some(marker) = hostid_attr::needed(&self.fs, &hostid) else {
            return;
        };
        let done = self
            .tools
            .run(&ctx.command_within("attrd_updater", ATTRD_WAIT).args([
                "-n",
                HOSTID_ATTRIBUTE,
                "-U",
                &hostid,
            ]));
        match done {
            Ok(_) => hostid_attr::note(&self.fs, &marker),
            Err(e) => tracing::debug!("node attribute {HOSTID_ATTRIBUTE} not recorded: {e}"),
        }
    }

    /// Keys, mounts and zvol nodes; also run for an already imported pool.
    fn prepare_datasets(&self, ctx: &Ctx, mut ds: Vec<Dataset>) -> Result<(), OcfError> {
        let pool = &self.cfg.pool;
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
        // the zvol nodes appear (udev) while the file systems are mounted
        let zvols = datasets::zvol_nodes(&ds);
        std::thread::scope(|s| {
            let waiting = s.spawn(|| self.wait_zvols(ctx, &zvols));
            let mounted = self.mount_and_share(ctx, &mut ds);
            let waited = waiting
                .join()
                .unwrap_or_else(|_| Err(OcfError::generic("waiting for the zvol nodes failed")));
            mounted.and(waited)
        })
    }

    /// Mount what should be mounted, parents first, then share what asks for it.
    fn mount_and_share(&self, ctx: &Ctx, ds: &mut [Dataset]) -> Result<(), OcfError> {
        let phase = Phase::begin("mounts");
        let mounts: Vec<(usize, Dataset)> = datasets::to_mount(ds)
            .into_iter()
            .map(|d| (d.mountpoint.matches('/').count(), d.clone()))
            .collect();
        let mut in_process = 0;
        // parents before children; the file systems of one depth at the same time
        for depth in mounts
            .iter()
            .map(|(d, _)| *d)
            .collect::<std::collections::BTreeSet<_>>()
        {
            let level: Vec<&Dataset> = mounts
                .iter()
                .filter(|(d, _)| *d == depth)
                .map(|(_, d)| d)
                .collect();
            let results: Vec<Result<Mounted, OcfError>> = std::thread::scope(|s| {
                let running: Vec<_> = level
                    .iter()
                    .map(|d| s.spawn(|| self.mount(ctx, d)))
                    .collect();
                running
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(OcfError::generic("a mount failed")))
                    })
                    .collect()
            });
            for how in results {
                in_process += usize::from(how? == Mounted::InProcess);
            }
            for d in level {
                mounted(ds, &d.name);
            }
        }
        phase.end(&format!(
            "{} file system(s) mounted, {in_process} of them in-process",
            mounts.len()
        ));
        self.share(ctx, ds)
    }

    /// Mount `d` in-process as libzfs would ([`crate::mount`]); with `zfs mount` when its
    /// properties did not come from the kernel, when it is zoned or has an SELinux context set,
    /// or when the in-process mount failed (ZFS then says why, or succeeds where this agent's
    /// call did not).
    fn mount(&self, ctx: &Ctx, d: &Dataset) -> Result<Mounted, OcfError> {
        let name = d.name.as_str();
        if let Some(props) = d.mount.filter(|p| !p.zoned && !p.selinux_context) {
            let call = MountCall::new(name, &d.mountpoint, &props);
            match mount::mount_before(&self.mounter, call, ctx.budget.deadline()) {
                Ok(()) => return Ok(Mounted::InProcess),
                Err(e @ (MountError::NotEmpty(_) | MountError::TimedOut(_))) => {
                    return Err(OcfError::generic(e.to_string()))
                }
                Err(e) => tracing::warn!("{e}; mounting {name} with zfs mount instead"),
            }
        }
        self.tools
            .run(&ctx.command("zfs").args(["mount", name]))
            .map(|_| Mounted::ByZfsMount)
            .map_err(|e| OcfError::from(e).context(format!("cannot mount {name}")))
    }

    /// Share what `sharenfs`/`sharesmb` ask for, as `zpool import` without `-N` does (and
    /// heartbeat/ZFS therefore did); `zpool export` unshares them again before unmounting.
    fn share(&self, ctx: &Ctx, ds: &[Dataset]) -> Result<(), OcfError> {
        let shares: Vec<&Dataset> = datasets::to_share(ds)
            .into_iter()
            .filter(|d| d.mounted)
            .collect();
        if shares.is_empty() {
            return Ok(());
        }
        let phase = Phase::begin("shares");
        for d in &shares {
            match self.tools.run(&ctx.command("zfs").args(["share", &d.name])) {
                Ok(_) => {}
                Err(e) if e.said().contains("already shared") => {}
                Err(e) => return Err(OcfError::from(e).context(format!("cannot share {}", d.name))),
            }
        }
        phase.end(&format!("{} file system(s) shared", shares.len()));
        Ok(())
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
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// Who mounted a file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mounted {
    /// This agent, with mount(2).
    InProcess,
    /// `zfs mount`.
    ByZfsMount,
}

/// How long the attribute update may take (it runs beside the rest of start; under a loaded
/// lab guest `attrd_updater -U` took more than 5 s).
const ATTRD_WAIT: Duration = Duration::from_secs(20);

/// The node attribute that carries this node's hostid.
pub const HOSTID_ATTRIBUTE: &str = "hasan-zfs-hostid";

/// What monitor and start log for a pool with failmode=continue.
pub fn failmode_warning(pool: &str) -> String {
    format!(
        "pool {pool} has failmode=continue: ZFS then reports a multihost suspension as ONLINE, \
         so monitor cannot see it (allowed by allow_failmode_continue=true)"
    )
}

fn mounted(ds: &mut [Dataset], name: &str) {
    for d in ds.iter_mut().filter(|d| d.name == name) {
        d.mounted = true;
    }
}

fn unlock(ds: &mut [Dataset], root: &str) {
    for d in ds.iter_mut().filter(|d| d.encryption_root == root) {
        d.keystatus = "available".into();
    }
}
