//! The `ResourceAgent` implementation: start checks the pool's smb.conf, links it and private/,
//! then starts smbd; stop stops it and puts the node's files back; monitor reads /proc.

use std::time::{Duration, Instant};

use libocf::command::failed;
use libocf::pool_config::{Need, PoolConfig};
use libocf::proc_net::{listener_for, Listener};
use libocf::service::{
    distro_from_os_release, resolve_unit, unit_installed, FileService, Systemd, Units,
};
use libocf::{
    AgentSpec, Ctx, Health, OcfError, Params, ResourceAgent, Runner, Started, Stopped, SystemRunner,
};

use libocf::log::Phase;

use crate::config::Config;
use crate::host::Host;
use crate::spec::SPEC;
use crate::testparm::{self, binding_problem, problems};

/// SMB over TCP.
pub const SMB_PORT: u16 = 445;

/// How often start and stop look at /proc while waiting.
const POLL: Duration = Duration::from_millis(100);

/// ocf:hasan:smb.
pub struct Smb {
    /// Checked parameters.
    pub cfg: Config,
    /// The node's paths and /proc.
    pub host: Host,
    /// systemd.
    pub units: Box<dyn Units>,
    /// External tools (testparm).
    pub tools: Box<dyn Runner>,
    /// Which units exist (zero-fork file check on a node).
    pub installed: fn(&str) -> bool,
}

impl std::fmt::Debug for Smb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smb")
            .field("cfg", &self.cfg)
            .field("host", &self.host)
            .finish()
    }
}

impl Smb {
    fn pool(&self) -> PoolConfig {
        PoolConfig::new(&self.cfg.config_dir)
            .entry(
                self.host.path(&self.cfg.smb_conf),
                "smb.conf",
                Need::Required,
            )
            .entry(
                self.host.path(&self.cfg.private_dir),
                "private",
                Need::Required,
            )
    }

    fn unit(&self) -> Result<String, OcfError> {
        let distro = distro_from_os_release(&self.host.os_release());
        resolve_unit(self.cfg.unit.as_deref(), FileService::Smb, &distro)
    }

    fn listener(&self) -> Listener {
        listener_for(&self.host.listening(), self.cfg.ip, SMB_PORT)
    }

    /// testparm must accept the pool's smb.conf and it must bind smbd to ip only.
    fn check_smb_conf(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let file = self.cfg.config_dir.join("smb.conf");
        let report =
            testparm::check(self.tools.as_ref(), ctx, &file).map_err(|e| failed("testparm", e))?;
        if !testparm::accepted(&report) {
            return Err(OcfError::configured(format!(
                "testparm rejects {}: {}",
                file.display(),
                problems(&report)
            )));
        }
        if let Some(why) = binding_problem(&report.stdout, self.cfg.ip) {
            return Err(OcfError::configured(format!("{}: {why}", file.display())));
        }
        Ok(())
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

    fn do_start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        let pool = self.pool();
        if self.host.smbd_pid().is_some()
            && pool.any_linked()
            && pool.not_in_place().is_empty()
            && self.listener() == Listener::OnAddress
        {
            return Ok(Started::AlreadyRunning);
        }
        pool.check()?;
        let unit = self.unit()?;
        let phase = Phase::begin("testparm");
        self.check_smb_conf(ctx)?;
        phase.end("testparm -s accepts the pool's smb.conf");
        let deadline = ctx.budget.deadline();
        let phase = Phase::begin("links");
        if self.host.smbd_pid().is_some() || !pool.not_in_place().is_empty() {
            // an smbd running on the node's own configuration must not see it swapped
            self.units
                .stop(&unit, deadline)
                .map_err(|e| failed(&format!("stopping {unit}"), e))?;
            self.wait_for(ctx, "smbd ending", || self.host.smbd_pid().is_none())?;
            pool.link_all()?;
        }
        phase.end(&format!(
            "smb.conf and private/ linked from {}",
            self.cfg.config_dir.display()
        ));
        let phase = Phase::begin("service");
        self.units
            .start(&unit, deadline)
            .map_err(|e| failed(&format!("starting {unit}"), e))?;
        self.wait_for(
            ctx,
            &format!("smbd listening on {}:445", self.cfg.ip),
            || self.host.smbd_pid().is_some() && self.listener() == Listener::OnAddress,
        )?;
        phase.end(&format!("{unit} listening on {}:445", self.cfg.ip));
        Ok(Started::Started)
    }

    fn do_stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
        let pool = self.pool();
        let running = self.host.smbd_pid().is_some();
        let linked = pool.any_linked();
        let aside = pool
            .links
            .iter()
            .any(|l| l.moved_aside().symlink_metadata().is_ok());
        if !running && !linked && !aside {
            return Ok(Stopped::AlreadyStopped);
        }
        if running || linked {
            let unit = self.unit()?;
            self.units
                .stop(&unit, ctx.budget.deadline())
                .map_err(|e| failed(&format!("stopping {unit}"), e))?;
            self.wait_for(ctx, "smbd ending", || self.host.smbd_pid().is_none())?;
        }
        pool.restore_all()?;
        Ok(Stopped::Stopped)
    }

    fn do_monitor(&self, ctx: &Ctx) -> Result<Health, OcfError> {
        let running = self.host.smbd_pid().is_some();
        if let Some(h) = self.pool().monitor_links("smbd", running, ctx.is_probe())? {
            return Ok(h);
        }
        match self.listener() {
            Listener::OnAddress => Ok(Health::Running),
            Listener::Wildcard => Err(OcfError::generic(format!(
                "smbd listens on every address, not only on {} (bind interfaces only?)",
                self.cfg.ip
            ))),
            Listener::None => Err(OcfError::generic(format!(
                "nothing listens on {}:445",
                self.cfg.ip
            ))),
        }
    }
}

impl ResourceAgent for Smb {
    const SPEC: AgentSpec = SPEC;

    fn from_params(params: &Params) -> Result<Self, OcfError> {
        Ok(Smb {
            cfg: Config::from_params(params)?,
            host: Host::default(),
            units: Box::new(Systemd::default()),
            tools: Box::new(SystemRunner),
            installed: unit_installed,
        })
    }

    fn validate_local(&self, ctx: &Ctx) -> Result<(), OcfError> {
        let unit = self.unit()?;
        if !(self.installed)(&unit) {
            return Err(OcfError::installed(format!("{unit} is not installed")));
        }
        libocf::command::resolve("testparm")
            .map_err(|_| OcfError::installed("testparm is not installed"))?;
        // with the pool here, the configuration itself
        if self.cfg.config_dir.is_dir() {
            self.check_smb_conf(ctx)?;
        }
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
