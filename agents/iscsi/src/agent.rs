//! The `ResourceAgent` implementation: parameters → the desired target (CHAP file, zvol
//! identities, portals checked), then start/stop/monitor/reload through [`crate::lio`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use libocf::command::failed as tool_error;
use libocf::{
    AgentSpec, CommandError, Ctx, Health, OcfError, Params, ResourceAgent, Runner, Started,
    Stopped, SystemRunner,
};

use libocf::log::Phase;

use crate::chap::ChapBook;
use crate::config::{ChapMode, Config, Portal, TPG_TAG};
use crate::configfs::{Lio, Tree, TARGET_ROOT};
use crate::identity::{self, LUN_PROPERTY, NEXT_PROPERTY};
use crate::lio::{self, AclSpec, Desired, Expected, Found, LunSpec, Names};
use crate::node::{self, Node};
use crate::spec::SPEC;

/// The kernel modules LIO's iSCSI target with block backstores needs.
const MODULES: &[&str] = &["target_core_mod", "target_core_iblock", "iscsi_target_mod"];

/// ocf:hasan:iscsi.
pub struct Iscsi {
    /// Checked parameters.
    pub cfg: Config,
    /// Names of the target's objects.
    pub names: Names,
    /// /proc, /sys, /dev.
    pub node: Node,
    /// LIO's configfs.
    pub lio: Box<dyn Lio>,
    /// Runs modprobe, mount, zfs, cibadmin.
    pub runner: Arc<dyn Runner>,
}

impl std::fmt::Debug for Iscsi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iscsi")
            .field("cfg", &self.cfg)
            .field("names", &self.names)
            .finish()
    }
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// `zfs get` arguments listing the guid and LUN number of every zvol under `luns`, in the form
/// [`identity::parse_zfs_get`] reads.
fn zvol_identity_args(luns: &[String]) -> Vec<String> {
    let mut get = args(&[
        "get",
        "-H",
        "-p",
        "-r",
        "-t",
        "volume",
        "-o",
        "name,property,value",
    ]);
    get.push(format!("guid,{LUN_PROPERTY}"));
    get.extend(luns.iter().cloned());
    get
}

/// The id of the primitive in the CIB whose `ip` parameter is `addr` (the VIP to order before).
fn resource_with_ip(cib: &str, addr: &str) -> Option<String> {
    let needle = format!("name=\"ip\" value=\"{addr}\"");
    let at = cib.find(&needle)?;
    let before = &cib[..at];
    let p = before.rfind("<primitive ")?;
    let id = before[p..].split("id=\"").nth(1)?.split('"').next()?;
    Some(id.to_owned())
}

impl Iscsi {
    /// stdout of `tool args…`, killed after `within` (or at the action's deadline).
    fn run(
        &self,
        ctx: &Ctx,
        tool: &str,
        args: &[String],
        within: Duration,
    ) -> Result<String, CommandError> {
        self.runner
            .stdout(&ctx.command_within(tool, within).args(args))
    }

    /// Modules loaded, configfs mounted, the iSCSI fabric registered.
    fn ensure_lio(&self, ctx: &Ctx) -> Result<(), OcfError> {
        for m in MODULES {
            if !self.node.module_loaded(m) {
                self.run(ctx, "modprobe", &args(&[m]), Duration::from_secs(20))
                    .map_err(|e| match e {
                        CommandError::NotFound { .. } => tool_error("modprobe", e),
                        e => OcfError::installed(format!("cannot load kernel module {m}: {e}")),
                    })?;
                tracing::info!("loaded kernel module {m}");
            }
        }
        if !self.node.configfs_mounted() {
            self.run(
                ctx,
                "mount",
                &args(&["-t", "configfs", "configfs", "/sys/kernel/config"]),
                Duration::from_secs(10),
            )
            .map_err(|e| OcfError::installed(format!("cannot mount configfs: {e}")))?;
            tracing::info!("mounted configfs on /sys/kernel/config");
        }
        if !self.lio.exists("") {
            return Err(OcfError::installed(format!(
                "{TARGET_ROOT} does not exist although target_core_mod is loaded"
            )));
        }
        if !self.lio.exists("iscsi") {
            self.lio.mkdir("iscsi").map_err(|e| {
                OcfError::installed(format!("cannot register LIO's iSCSI fabric: {e}"))
            })?;
        }
        Ok(())
    }

    /// The ACLs with their credentials; every CHAP problem is 6.
    fn acls(&self) -> Result<Vec<AclSpec>, OcfError> {
        let book = match (&self.cfg.chap, &self.cfg.chap_file) {
            (ChapMode::None, _) | (_, None) => None,
            (_, Some(path)) => Some(
                ChapBook::load(path, &self.cfg.chap_key_file)
                    .map_err(|e| OcfError::configured(e.to_string()))?,
            ),
        };
        self.cfg
            .initiators
            .iter()
            .map(|i| {
                let auth = match &book {
                    None => None,
                    Some(b) => Some(
                        b.for_initiator(TPG_TAG, i, self.cfg.chap == ChapMode::Mutual)
                            .map_err(|e| OcfError::configured(e.to_string()))?,
                    ),
                };
                Ok(AclSpec {
                    initiator: i.clone(),
                    auth,
                })
            })
            .collect()
    }

    /// Every portal's address is on this node, unless non-local binds are allowed.
    fn check_portals(&self, ctx: &Ctx) -> Result<(), OcfError> {
        for p in &self.cfg.portals {
            if node::address_is_local(p.0.ip()) || self.node.nonlocal_bind(p) {
                continue;
            }
            let addr = p.0.ip().to_string();
            let vip = self
                .run(
                    ctx,
                    "cibadmin",
                    &args(&["--query", "--scope", "resources"]),
                    Duration::from_secs(10),
                )
                .ok()
                .and_then(|cib| resource_with_ip(&cib, &addr));
            let order = match vip {
                Some(id) => format!("resource {id}, which adds it,"),
                None => format!("the resource that adds it (ocf:hasan:vip ip={addr})"),
            };
            return Err(OcfError::generic(format!(
                "portal address {addr} is not on this node: order {order} before this one \
(or set net.{}.ip_nonlocal_bind=1)",
                if p.0.is_ipv4() { "ipv4" } else { "ipv6" }
            )));
        }
        Ok(())
    }

    /// The zvols with their LUN numbers (assigning new ones on the pool) and serials.
    fn lun_specs(&self, ctx: &Ctx) -> Result<Vec<LunSpec>, OcfError> {
        let within = Duration::from_secs(30);
        let get = zvol_identity_args(&self.cfg.luns);
        let out = self.run(ctx, "zfs", &get, within).map_err(|e| {
            tool_error(
                "cannot list the zvols of luns (is the pool imported here?)",
                e,
            )
        })?;
        let zvols = identity::parse_zfs_get(&out).map_err(|e| OcfError::generic(e.to_string()))?;
        let pool = &self.cfg.pool;
        let counter = self
            .run(
                ctx,
                "zfs",
                &args(&["get", "-H", "-p", "-o", "value", NEXT_PROPERTY, pool]),
                within,
            )
            .map_err(|e| tool_error("cannot read the pool's LUN counter", e))?;
        let numbering = identity::number(&zvols, identity::parse_next(&counter))
            .map_err(|e| OcfError::generic(e.to_string()))?;
        if let Some(next) = numbering.next {
            // The counter first: a kill between the two wastes numbers, never reuses one.
            let prop = format!("{NEXT_PROPERTY}={next}");
            self.run(ctx, "zfs", &args(&["set", &prop, pool]), within)
                .map_err(|e| tool_error("cannot store the pool's LUN counter", e))?;
            for (name, lun) in &numbering.assign {
                let prop = format!("{LUN_PROPERTY}={lun}");
                self.run(ctx, "zfs", &args(&["set", &prop, name]), within)
                    .map_err(|e| tool_error("cannot store a LUN number", e))?;
                tracing::info!("zvol {name} gets LUN {lun}");
            }
        }
        if zvols.is_empty() {
            tracing::warn!(
                "no zvol in {}: the target has no LUN",
                self.cfg.luns.join(" ")
            );
        }
        Ok(numbering
            .luns
            .into_iter()
            .map(|(lun, z)| LunSpec {
                lun,
                serial: identity::serial(z.guid),
                zvol: z.name,
                thin: true,
            })
            .collect())
    }

    /// Wait for every zvol's device node.
    fn wait_devices(&self, ctx: &Ctx, luns: &[LunSpec]) -> Result<(), OcfError> {
        let until = ctx.budget.sub_deadline(self.cfg.zvol_wait);
        loop {
            let missing: Vec<String> = luns
                .iter()
                .map(LunSpec::device)
                .filter(|d| !self.node.device_exists(d))
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(OcfError::generic(format!(
                    "zvol device(s) {} did not appear within {} s",
                    missing.join(", "),
                    self.cfg.zvol_wait.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn set_dbroot(&self) -> Result<(), OcfError> {
        let Some(dir) = &self.cfg.dbroot else {
            return Ok(());
        };
        if self.lio.read("dbroot").ok().as_deref() == Some(dir.as_str()) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| OcfError::generic(format!("cannot create dbroot {dir}: {e}")))?;
        self.lio.write("dbroot", dir).map_err(|e| {
            OcfError::generic(format!(
                "LIO refuses dbroot {dir} ({e}): it can change only while LIO has no backstore at all"
            ))
        })?;
        tracing::info!("LIO dbroot is {dir}");
        Ok(())
    }

    /// Build or converge; `Ok(true)` if something changed.
    fn converge(&self, ctx: &Ctx) -> Result<bool, OcfError> {
        let acls = self.acls()?;
        self.check_portals(ctx)?;
        self.ensure_lio(ctx)?;
        let phase = Phase::begin("zvols");
        let luns = self.lun_specs(ctx)?;
        self.wait_devices(ctx, &luns)?;
        phase.end(&format!(
            "{} zvol(s) with their LUN numbers and serials",
            luns.len()
        ));
        self.set_dbroot()?;
        let desired = Desired {
            names: self.names.clone(),
            luns,
            acls,
            chap: self.cfg.chap,
            portals: self.cfg.portals.clone(),
        };
        let phase = Phase::begin("lio");
        let changes = lio::apply(self.lio.as_ref(), &desired)
            .map_err(|e| OcfError::generic(format!("target {}: {e}", self.cfg.iqn)))?;
        phase.end(&format!(
            "target {} built and its TPG enabled last ({changes} configfs change(s))",
            self.cfg.iqn
        ));
        for l in &desired.luns {
            tracing::info!("LUN {} = {} (serial {})", l.lun, l.zvol, l.serial);
        }
        match self.check_live() {
            Found::Running(_) => Ok(changes > 0),
            Found::Broken(why) => Err(OcfError::generic(format!("after building: {why}"))),
            Found::Absent => Err(OcfError::generic("after building: the target is absent")),
        }
    }

    /// The monitor check at depth 0 (no fork).
    fn check_live(&self) -> Found {
        let explicit: Vec<String> = self
            .cfg
            .luns
            .iter()
            .filter(|l| {
                self.node.device_exists(&format!("/dev/zvol/{l}")) && !self.node.zvol_dir(l)
            })
            .cloned()
            .collect();
        let e = Expected {
            names: &self.names,
            zvols: &explicit,
            luns_param: &self.cfg.luns,
            initiators: &self.cfg.initiators,
            chap: self.cfg.chap,
            portals: &self.cfg.portals,
        };
        let node = &self.node;
        lio::check(
            self.lio.as_ref(),
            &e,
            &|p: &Portal| node.listening(p),
            &|d: &str| node.device_exists(d),
        )
    }

    /// Depth 10: zvols of `luns` that are not mapped, or mapped under another number.
    fn unexported(&self, ctx: &Ctx, mapped: &[(u32, String)]) -> Result<Option<String>, OcfError> {
        let get = zvol_identity_args(&self.cfg.luns);
        let out = self
            .run(ctx, "zfs", &get, ctx.budget.remaining())
            .map_err(|e| tool_error("zfs get", e))?;
        let zvols = identity::parse_zfs_get(&out).map_err(|e| OcfError::generic(e.to_string()))?;
        let mut problems = Vec::new();
        for z in &zvols {
            match mapped.iter().find(|(_, m)| *m == z.name) {
                None => problems.push(format!(
                    "zvol {} is not exported yet (reload or restart adds it)",
                    z.name
                )),
                Some((n, _)) if z.lun.is_some_and(|l| l != *n) => problems.push(format!(
                    "zvol {} is LUN {n} but its hasan:lun is {}",
                    z.name,
                    z.lun.unwrap_or_default()
                )),
                Some(_) => {}
            }
        }
        Ok((!problems.is_empty()).then(|| problems.join("; ")))
    }
}

impl ResourceAgent for Iscsi {
    const SPEC: AgentSpec = SPEC;

    fn from_params(params: &Params) -> Result<Self, OcfError> {
        let cfg = Config::from_params(params)?;
        Ok(Iscsi {
            names: Names::for_iqn(&cfg.iqn),
            cfg,
            node: Node::default(),
            lio: Box::new(Tree::at(TARGET_ROOT)),
            runner: Arc::new(SystemRunner),
        })
    }

    fn validate_local(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        self.acls()?;
        for t in ["zfs", "modprobe"] {
            libocf::command::resolve(t)
                .map_err(|_| OcfError::installed(format!("{t} is not installed")))?;
        }
        Ok(())
    }

    fn start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        Ok(if self.converge(ctx)? {
            Started::Started
        } else {
            Started::AlreadyRunning
        })
    }

    fn stop(&self, _ctx: &Ctx) -> Result<Stopped, OcfError> {
        if !self.lio.exists("") {
            return Ok(Stopped::AlreadyStopped);
        }
        match lio::teardown(self.lio.as_ref(), &self.names) {
            Ok(0) => Ok(Stopped::AlreadyStopped),
            Ok(_) => Ok(Stopped::Stopped),
            Err(failed) => Err(OcfError::generic(format!(
                "could not remove: {}",
                failed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))),
        }
    }

    fn monitor(&self, ctx: &Ctx) -> Result<Health, OcfError> {
        if !self.lio.exists("") {
            return Ok(Health::Stopped(format!(
                "{TARGET_ROOT} does not exist (LIO not loaded)"
            )));
        }
        match self.check_live() {
            Found::Absent => Ok(Health::Stopped(format!(
                "target {} is not configured",
                self.cfg.iqn
            ))),
            Found::Broken(why) => Err(OcfError::generic(why)),
            Found::Running(mapped) => {
                if ctx.check_level() >= 10 {
                    if let Some(why) = self.unexported(ctx, &mapped)? {
                        return Ok(Health::Degraded(why));
                    }
                }
                Ok(Health::Running)
            }
        }
    }

    fn reload(&self, ctx: &Ctx) -> Result<(), OcfError> {
        self.converge(ctx).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_vip_resource_in_the_cib() {
        let cib = r#"<resources><group id="san"><primitive id="pool" class="ocf" provider="hasan" type="zpool"/>
<primitive id="san-vip" class="ocf" provider="hasan" type="vip"><instance_attributes id="a">
<nvpair id="a-ip" name="ip" value="10.77.0.100"/></instance_attributes></primitive></group></resources>"#;
        assert_eq!(
            resource_with_ip(cib, "10.77.0.100").as_deref(),
            Some("san-vip")
        );
        assert_eq!(resource_with_ip(cib, "10.77.0.101"), None);
    }

    use crate::configfs::fake::Fake;
    use libocf::{Action, OcfStatus, ScriptedRunner};
    use std::rc::Rc;

    const GET: &str = "zfs get -H -p -r -t volume -o name,property,value guid,hasan:lun";
    const A: &str = "labpool/iscsi/a\tguid\t11\nlabpool/iscsi/a\thasan:lun\t2\n";
    const B_NEW: &str = "labpool/iscsi/b\tguid\t12\nlabpool/iscsi/b\thasan:lun\t-\n";
    const B_3: &str = "labpool/iscsi/b\tguid\t12\nlabpool/iscsi/b\thasan:lun\t3\n";
    const NEXT: &str = "zfs get -H -p -o value hasan:lun-next labpool";

    struct Rig {
        _root: tempfile::TempDir,
        lio: Rc<Fake>,
        zfs: Arc<ScriptedRunner>,
        agent: Iscsi,
    }

    fn rig(extra: &[(&str, &str)], zfs: ScriptedRunner) -> Rig {
        let root = tempfile::tempdir().unwrap();
        let node = Node::rooted(root.path());
        for m in MODULES {
            std::fs::create_dir_all(node.path(&format!("/sys/module/{m}"))).unwrap();
        }
        for d in ["/proc/net", "/dev/zvol/labpool/iscsi", "/etc/hasan"] {
            std::fs::create_dir_all(node.path(d)).unwrap();
        }
        std::fs::write(
            node.path("/proc/mounts"),
            "configfs /sys/kernel/config configfs rw 0 0\n",
        )
        .unwrap();
        std::fs::write(
            node.path("/proc/net/tcp"),
            "hdr\n 0: 0100007F:0CBC 00000000:0000 0A 0\n",
        )
        .unwrap();
        for z in ["a", "b"] {
            std::fs::write(node.path(&format!("/dev/zvol/labpool/iscsi/{z}")), "").unwrap();
        }
        let chap = node.path("/etc/hasan/chap.json");
        std::fs::write(
            &chap,
            r#"{"per_tpg": {"1": {"user": "u", "pass": "p-secret"}}}"#,
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&chap, std::fs::Permissions::from_mode(0o600)).unwrap();
        let chap = chap.to_string_lossy().into_owned();
        let mut map: std::collections::BTreeMap<&str, &str> = [
            ("iqn", "iqn.2024-01.local.lab:san"),
            ("portals", "127.0.0.1:3260"),
            ("luns", "labpool/iscsi"),
            ("allowed_initiators", "iqn.2024-01.local.lab:node2"),
            ("chap", "one-way"),
            ("chap_file", chap.as_str()),
        ]
        .into_iter()
        .collect();
        map.extend(extra.iter().copied());
        let vars: Vec<(String, String)> = map
            .into_iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_owned()))
            .collect();
        let params = Params::parse(&SPEC, vars).unwrap();
        let cfg = Config::from_params(&params).unwrap();
        let lio = Rc::new(Fake::new());
        let zfs = Arc::new(zfs);
        let agent = Iscsi {
            names: Names::for_iqn(&cfg.iqn),
            cfg,
            node,
            lio: Box::new(Rc::clone(&lio)),
            runner: Arc::clone(&zfs) as Arc<dyn Runner>,
        };
        Rig {
            _root: root,
            lio,
            zfs,
            agent,
        }
    }

    fn ctx(action: Action, level: &str) -> Ctx {
        let env = libocf::env::OcfEnv::from_vars([
            ("OCF_RESKEY_CRM_meta_timeout".to_owned(), "60000".to_owned()),
            (
                "OCF_RESKEY_CRM_meta_interval".to_owned(),
                "10000".to_owned(),
            ),
            ("OCF_CHECK_LEVEL".to_owned(), level.to_owned()),
        ]);
        Ctx::new(&SPEC, action, env)
    }

    #[test]
    fn start_numbers_new_zvols_on_the_pool_then_builds_and_monitor_forks_nothing() {
        let ab_new = format!("{A}{B_NEW}");
        let ab_3 = format!("{A}{B_3}");
        let zfs = ScriptedRunner::new()
            .ok(&format!("{GET} labpool/iscsi"), &ab_new)
            .ok(NEXT, "3\n")
            // the counter is stored before the new zvol's number
            .ok("zfs set hasan:lun-next=4 labpool", "")
            .ok("zfs set hasan:lun=3 labpool/iscsi/b", "")
            // second start: numbers as stored
            .ok(&format!("{GET} labpool/iscsi"), &ab_3)
            .ok(NEXT, "4\n");
        let r = rig(&[], zfs);
        assert_eq!(
            r.agent.monitor(&ctx(Action::Monitor, "0")).unwrap(),
            Health::Stopped("target iqn.2024-01.local.lab:san is not configured".into())
        );
        assert_eq!(
            r.agent.start(&ctx(Action::Start, "0")).unwrap(),
            Started::Started
        );
        let tpg = r.agent.names.tpg();
        assert!(r.lio.tree().exists(&format!("{tpg}/lun/lun_2")));
        assert!(r.lio.tree().exists(&format!("{tpg}/lun/lun_3")));
        assert_eq!(
            r.agent.start(&ctx(Action::Start, "0")).unwrap(),
            Started::AlreadyRunning
        );
        r.zfs.assert_done();
        let ran = r.zfs.ran().len();
        assert_eq!(
            r.agent.monitor(&ctx(Action::Monitor, "0")).unwrap(),
            Health::Running
        );
        assert_eq!(r.zfs.ran().len(), ran, "monitor at depth 0 ran a command");
        assert_eq!(
            r.agent.stop(&ctx(Action::Stop, "0")).unwrap(),
            Stopped::Stopped
        );
        assert_eq!(
            r.agent.stop(&ctx(Action::Stop, "0")).unwrap(),
            Stopped::AlreadyStopped
        );
    }

    #[test]
    fn a_chap_problem_is_6_and_changes_nothing() {
        for extra in [
            [("chap_file", "/nonexistent/chap.json")],
            [("chap", "mutual")], // no mutual credentials in the file
        ] {
            let r = rig(&extra, ScriptedRunner::new());
            let before = r.lio.snapshot();
            let e = r.agent.start(&ctx(Action::Start, "0")).unwrap_err();
            assert_eq!(e.status, OcfStatus::ErrConfigured, "{extra:?}: {e}");
            assert!(!e.reason.contains("p-secret"));
            assert_eq!(r.lio.snapshot(), before);
            assert!(r.zfs.ran().is_empty());
        }
    }

    #[test]
    fn a_portal_not_on_this_node_fails_start_before_anything_changes() {
        let cib = ScriptedRunner::new().fail("cibadmin --query --scope resources", "no cluster");
        let r = rig(&[("portals", "192.0.2.77:3260")], cib);
        if r.agent.node.nonlocal_bind(&r.agent.cfg.portals[0])
            || node::address_is_local("192.0.2.77".parse().unwrap())
        {
            return; // this host binds anything
        }
        let before = r.lio.snapshot();
        let e = r.agent.start(&ctx(Action::Start, "0")).unwrap_err();
        assert_eq!(e.status, OcfStatus::ErrGeneric);
        assert!(
            e.reason.contains("192.0.2.77 is not on this node: order"),
            "{}",
            e.reason
        );
        assert_eq!(r.lio.snapshot(), before);
    }

    #[test]
    fn depth_10_names_a_zvol_not_exported_yet() {
        let only_a = ScriptedRunner::new()
            .ok(&format!("{GET} labpool/iscsi/a"), A)
            .ok(NEXT, "3\n");
        let r = rig(&[("luns", "labpool/iscsi/a")], only_a);
        r.agent.start(&ctx(Action::Start, "0")).unwrap();
        // luns widened to the prefix: b is not exported yet
        let ab_3 = format!("{A}{B_3}");
        let mut wide = rig(
            &[],
            ScriptedRunner::new().ok(&format!("{GET} labpool/iscsi"), &ab_3),
        );
        wide.agent.lio = Box::new(Rc::clone(&r.lio));
        match wide.agent.monitor(&ctx(Action::Monitor, "10")).unwrap() {
            Health::Degraded(why) => {
                assert!(why.contains("labpool/iscsi/b is not exported yet"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            wide.agent.monitor(&ctx(Action::Monitor, "0")).unwrap(),
            Health::Running
        );
    }
}
