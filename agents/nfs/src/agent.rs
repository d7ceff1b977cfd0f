//! The `ResourceAgent` implementation: start links the pool's configuration and state, then starts
//! the unit with the drop-in; stop stops it and puts the node's files back; monitor reads /proc.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use libocf::command::failed;
use libocf::pool_config::PoolConfig;
use libocf::proc_net::{listener_for, listening, Listener};
use libocf::service::{
    distro_from_os_release, remove_if_present, resolve_unit, unit_installed, write_if_changed,
    DropIn, FileService, Systemd, Units,
};
use libocf::{
    AgentSpec, Ctx, Health, OcfError, Params, ResourceAgent, Runner, Started, Stopped, SystemRunner,
};

use libocf::log::Phase;

use crate::config::Config;
use crate::host::{export_lines, Host};
use crate::layout;
use crate::rpc;
use crate::spec::SPEC;
use crate::unit::{drop_in_text, env_text, DROP_IN, NFSDCLD, RPC_NFSD, SH, STATE_HOLDERS, UNSHARE};

/// ocf:hasan:nfs.
pub struct Nfs {
    /// Checked parameters.
    pub cfg: Config,
    /// The node's paths and /proc.
    pub host: Host,
    /// systemd.
    pub units: Box<dyn Units>,
    /// External tools (exportfs).
    pub tools: Box<dyn Runner>,
    /// Which units exist (zero-fork file check on a node; a list in tests).
    pub installed: fn(&str) -> bool,
}

impl std::fmt::Debug for Nfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nfs")
            .field("cfg", &self.cfg)
            .field("host", &self.host)
            .finish()
    }
}

/// How often start and stop look at /proc while waiting.
const POLL: Duration = Duration::from_millis(100);

impl Nfs {
    fn pool(&self) -> PoolConfig {
        layout::pool_config(&self.cfg, &self.host)
    }

    fn unit(&self) -> Result<String, OcfError> {
        let distro = distro_from_os_release(&self.host.os_release());
        resolve_unit(self.cfg.unit.as_deref(), FileService::Nfs, &distro)
    }

    fn drop_in(&self, unit: &str, ctx: &Ctx) -> Result<DropIn, OcfError> {
        let canonical = self
            .units
            .canonical(unit, ctx.budget.deadline())
            .map_err(|e| failed("systemctl show", e))?;
        Ok(DropIn::new(
            &self.host.systemd_run_dir(),
            &canonical,
            DROP_IN,
        ))
    }

    /// Where the RPC call goes and the listener must be.
    fn service_addr(&self) -> SocketAddr {
        let ip = self.cfg.ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        SocketAddr::new(ip, rpc::NFS_PORT)
    }

    /// Stop the server and the daemons that hold its state, in one systemctl call (systemd
    /// stops the server first: it is ordered after them).
    fn stop_server_and_state_holders(&self, ctx: &Ctx, unit: &str) -> Result<(), OcfError> {
        let units: Vec<&str> = std::iter::once(unit)
            .chain(
                STATE_HOLDERS
                    .iter()
                    .copied()
                    .filter(|h| (self.installed)(h)),
            )
            .collect();
        self.units
            .stop_all(&units, ctx.budget.deadline())
            .map_err(|e| failed(&format!("stopping {}", units.join(" ")), e))
    }

    /// Start nfsd with its client tracking in `nfsdcld`, whose database is on the pool: nfsdcld
    /// first, until it has its database open and watches for nfsd's pipe (it forks before it
    /// opens them, and nfsd waits only about a second for it, then tracks clients on the node's
    /// own disk: every reclaim after the next failover would be refused and the clients' locks
    /// lost). If nfsd still came up without it, once more, then a failed start.
    fn start_server(&self, ctx: &Ctx, unit: &str) -> Result<(), OcfError> {
        let deadline = ctx.budget.deadline();
        let cld = (self.installed)(NFSDCLD);
        for attempt in 1..=2 {
            if cld {
                self.units
                    .start(NFSDCLD, deadline)
                    .map_err(|e| failed(&format!("starting {NFSDCLD}"), e))?;
                self.wait_for(ctx, "nfsdcld opening its database", || {
                    self.host.nfsdcld().is_some_and(|f| f.ready())
                })?;
            }
            self.units
                .start(unit, deadline)
                .map_err(|e| failed(&format!("starting {unit}"), e))?;
            self.wait_for(ctx, "nfsd threads", || self.host.nfsd_threads() > 0)?;
            if !cld || self.host.nfsdcld().is_some_and(|f| f.kernel_pipe) {
                return Ok(());
            }
            tracing::warn!(
                "nfsd started without nfsdcld holding its pipe (attempt {attempt}): the kernel \
                 tracks NFS clients on this node's disk, not in the pool's database; stopping {unit}"
            );
            self.units
                .stop(unit, deadline)
                .map_err(|e| failed(&format!("stopping {unit}"), e))?;
        }
        Err(OcfError::generic(format!(
            "nfsd tracks its clients without nfsdcld (nfsdcld did not hold nfsd's pipe after two \
             starts): the clients' records would stay on this node and their locks be lost at the \
             next failover; {unit} stopped (journalctl -u {NFSDCLD}; dmesg | grep NFSD)"
        )))
    }

    fn wait_for(&self, ctx: &Ctx, what: &str, done: impl Fn() -> bool) -> Result<(), OcfError> {
        let started = Instant::now();
        while !done() {
            if ctx.budget.remaining() <= POLL {
                return Err(OcfError::generic(format!(
                    "{what} did not happen within {:.1} s",
                    started.elapsed().as_secs_f64()
                )));
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    fn listening_ok(&self) -> bool {
        match self.cfg.ip {
            None => true,
            Some(ip) => listener_for(&listening(), ip, rpc::NFS_PORT) != Listener::None,
        }
    }

    fn do_start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        let pool = self.pool();
        if self.host.nfsd_threads() > 0 && pool.any_linked() && pool.not_in_place().is_empty() {
            return Ok(Started::AlreadyRunning);
        }
        pool.check()?;
        let unit = self.unit()?;
        let seeded = layout::seed_state(&self.cfg, &self.host).map_err(|e| {
            OcfError::generic(format!(
                "cannot prepare the state directory {}: {e}",
                self.cfg.state_dir.display()
            ))
        })?;
        if !seeded.copied.is_empty() || !seeded.created.is_empty() {
            tracing::info!(
                "state directory {}: copied {:?} from this node, created {:?}",
                self.cfg.state_dir.display(),
                seeded.copied,
                seeded.created
            );
        }
        let drop_in = self.drop_in(&unit, ctx)?;
        let deadline = ctx.budget.deadline();
        let phase = Phase::begin("links");
        if !pool.not_in_place().is_empty() || self.host.nfsd_threads() > 0 {
            // nothing may run on the node's own files while they are swapped for the pool's
            self.stop_server_and_state_holders(ctx, &unit)?;
            pool.link_all()?;
        }
        write_if_changed(&self.host.env_file(), &env_text(&self.cfg)).map_err(|e| {
            OcfError::generic(format!(
                "cannot write {}: {e}",
                self.host.env_file().display()
            ))
        })?;
        let changed = drop_in.write(&drop_in_text()).map_err(|e| {
            OcfError::generic(format!("cannot write {}: {e}", drop_in.path.display()))
        })?;
        if changed {
            self.units
                .daemon_reload(deadline)
                .map_err(|e| failed("systemctl daemon-reload", e))?;
        }
        phase.end(&format!(
            "configuration and state linked from {}",
            self.cfg.config_dir.display()
        ));
        let phase = Phase::begin("service");
        self.start_server(ctx, &unit)?;
        if let Some(ip) = self.cfg.ip {
            self.wait_for(ctx, &format!("nfsd listening on {ip}:2049"), || {
                self.listening_ok()
            })?;
        }
        phase.end(&format!(
            "{unit} runs with {} nfsd threads, scope {}, lease {} s; its grace period of {} s \
             (clients reclaim their locks) starts now",
            self.host.nfsd_threads(),
            self.cfg.server_scope,
            self.cfg.lease_s,
            self.cfg.grace_s
        ));
        Ok(Started::Started)
    }

    fn do_stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
        let pool = self.pool();
        let running = self.host.nfsd_threads() > 0;
        let linked = pool.any_linked();
        let aside = pool
            .links
            .iter()
            .any(|l| l.moved_aside().symlink_metadata().is_ok());
        let unit = match self.unit() {
            Ok(u) => u,
            // no unit known: nothing of ours can run here either
            Err(e) if !running && !linked && !aside => {
                tracing::debug!("{e}");
                return Ok(Stopped::AlreadyStopped);
            }
            Err(e) => return Err(e),
        };
        let had_env = self.host.env_file().exists();
        if !running && !linked && !aside && !had_env {
            return Ok(Stopped::AlreadyStopped);
        }
        if running || linked {
            self.stop_server_and_state_holders(ctx, &unit)?;
            self.wait_for(ctx, "nfsd threads ending", || self.host.nfsd_threads() == 0)?;
        }
        // the drop-in stays (no daemon-reload): without its environment file the unit runs plain
        // rpc.nfsd, as the distribution's does
        remove_if_present(&self.host.env_file()).map_err(|e| {
            OcfError::generic(format!(
                "cannot remove {}: {e}",
                self.host.env_file().display()
            ))
        })?;
        pool.restore_all()?;
        Ok(Stopped::Stopped)
    }

    fn do_monitor(&self, ctx: &Ctx) -> Result<Health, OcfError> {
        let running = self.host.nfsd_threads() > 0;
        if let Some(h) = self.pool().monitor_links("nfsd", running, ctx.is_probe())? {
            return Ok(h);
        }
        if !self.listening_ok() {
            return Err(OcfError::generic(format!(
                "nfsd does not listen on {}",
                self.service_addr()
            )));
        }
        if ctx.check_level() >= 10 {
            let addr = self.service_addr();
            match rpc::ping(addr, ctx.budget.cap(Duration::from_secs(10))) {
                Ok(rpc::Answer::Success) => {}
                Ok(rpc::Answer::ProgMismatch { low, high }) => tracing::debug!(
                    "nfsd on {addr} serves versions {low} to {high}, not {}",
                    rpc::NFS_VERSION
                ),
                Err(e) => {
                    return Err(OcfError::generic(format!(
                        "RPC NULL call to nfsd on {addr}: {e}"
                    )))
                }
            }
        }
        let exports = std::fs::read_to_string(self.cfg.config_dir.join("exports"))
            .map(|t| export_lines(&t))
            .unwrap_or(0);
        if exports > 0 && self.host.etab_entries() == 0 {
            return Ok(Health::Degraded(
                "the pool's exports list paths but nothing is exported (run the reload action and look at exportfs's errors)".into(),
            ));
        }
        Ok(Health::Running)
    }

    fn do_reload(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let pool = self.pool();
        pool.check()?;
        if self.host.nfsd_threads() == 0 {
            return Err(OcfError::generic("reload: nfsd is not running here"));
        }
        pool.link_all()?;
        self.tools
            .run(&ctx.command("exportfs").arg("-ra"))
            .map_err(|e| failed("re-export", e))?;
        tracing::info!(
            "re-exported: {} export(s) in effect",
            self.host.etab_entries()
        );
        Ok(())
    }
}

impl ResourceAgent for Nfs {
    const SPEC: AgentSpec = SPEC;

    fn from_params(params: &Params) -> Result<Self, OcfError> {
        Ok(Nfs {
            cfg: Config::from_params(params)?,
            host: Host::default(),
            units: Box::new(Systemd::default()),
            tools: Box::new(SystemRunner),
            installed: unit_installed,
        })
    }

    fn validate_local(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        let unit = self.unit()?;
        if !(self.installed)(&unit) {
            return Err(OcfError::installed(format!("{unit} is not installed")));
        }
        for tool in [UNSHARE, SH, RPC_NFSD] {
            if !std::path::Path::new(tool).exists() {
                return Err(OcfError::installed(format!("{tool} is not installed")));
            }
        }
        libocf::command::resolve("exportfs")
            .map_err(|_| OcfError::installed("exportfs is not installed"))?;
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

    fn reload(&self, ctx: &Ctx) -> Result<(), OcfError> {
        self.do_reload(ctx)
    }
}
