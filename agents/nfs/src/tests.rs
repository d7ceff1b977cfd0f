//! start, stop, monitor and reload on a node in a temporary directory, with a recording systemd
//! whose nfs unit makes /proc/fs/nfsd/threads appear and disappear, as the kernel does.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use libocf::env::OcfEnv;
use libocf::service::Units;
use libocf::{
    Action, Command, CommandError, Ctx, Health, OcfStatus, Output, ResourceAgent, Runner,
    ScriptedRunner, Started, Stopped,
};

use crate::agent::Nfs;
use crate::config::tests_support::parse;
use crate::host::Host;
use crate::spec::SPEC;

/// systemd on the test node: records calls; starting the nfs unit sets 8 nfsd threads, stopping
/// it sets 0; the unit named in `fail_start` fails to start.
struct FakeSystemd {
    host: Host,
    calls: Mutex<Vec<String>>,
    fail_start: Option<&'static str>,
    /// From which start of the nfs unit on nfsdcld gets nfsd's pipe (1: always; later: the
    /// kernel fell back to tracking on the node's disk until then).
    cld_pipe_from: u32,
    nfs_starts: Mutex<u32>,
}

/// nfsdcld's process in the test node's /proc.
const CLD_PID: &str = "/proc/4242";

impl FakeSystemd {
    fn threads(&self, n: u32) {
        std::fs::write(self.host.path("/proc/fs/nfsd/threads"), format!("{n}\n")).unwrap();
    }
    fn record(&self, line: String) {
        self.calls.lock().unwrap().push(line);
    }
    /// What the kernel and /proc show once `unit` has stopped.
    fn stopped(&self, unit: &str) {
        if unit == "nfs-kernel-server.service" {
            self.threads(0);
            let _ = std::fs::remove_file(self.host.path(&format!("{CLD_PID}/fd/5")));
        }
        if unit == "nfsdcld.service" {
            let _ = std::fs::remove_dir_all(self.host.path(CLD_PID));
        }
    }
}

impl Units for FakeSystemd {
    fn start(&self, unit: &str, _: Instant) -> Result<(), CommandError> {
        self.record(format!("start {unit}"));
        if unit == "nfsdcld.service" {
            // running, its database open, watching for nfsd's pipe
            let fd = self.host.path(&format!("{CLD_PID}/fd"));
            std::fs::create_dir_all(&fd).unwrap();
            std::fs::write(self.host.path(&format!("{CLD_PID}/comm")), "nfsdcld\n").unwrap();
            let _ = std::os::unix::fs::symlink("/san-pool/state/nfsdcld/main.sqlite", fd.join("3"));
            let _ = std::os::unix::fs::symlink("anon_inode:inotify", fd.join("4"));
            return Ok(());
        }
        if self.fail_start == Some("all") {
            return Err(CommandError::Failed {
                command: format!("systemctl start {unit}"),
                status: "exit code 1".into(),
                code: Some(1),
                stderr: format!(
                    "Job for {unit} failed because the control process exited with error code."
                ),
                stdout: String::new(),
            });
        }
        let mut n = self.nfs_starts.lock().unwrap();
        *n += 1;
        if *n >= self.cld_pipe_from {
            let fd = self.host.path(&format!("{CLD_PID}/fd/5"));
            let _ = std::os::unix::fs::symlink("/run/rpc_pipefs/nfsd/cld", fd);
        }
        self.threads(8);
        Ok(())
    }
    fn stop(&self, unit: &str, _: Instant) -> Result<(), CommandError> {
        self.record(format!("stop {unit}"));
        self.stopped(unit);
        Ok(())
    }
    fn stop_all(&self, units: &[&str], _: Instant) -> Result<(), CommandError> {
        self.record(format!("stop {}", units.join(" ")));
        units.iter().for_each(|u| self.stopped(u));
        Ok(())
    }
    fn reload(&self, unit: &str, _: Instant) -> Result<(), CommandError> {
        self.record(format!("reload {unit}"));
        Ok(())
    }
    fn daemon_reload(&self, _: Instant) -> Result<(), CommandError> {
        self.record("daemon-reload".into());
        Ok(())
    }
    fn canonical(&self, unit: &str, _: Instant) -> Result<String, CommandError> {
        Ok(if unit == "nfs-kernel-server.service" {
            "nfs-server.service".into()
        } else {
            unit.into()
        })
    }
}

/// A `Box<dyn Runner>` over a leaked script, so the test keeps a handle to check it.
struct Tools(&'static ScriptedRunner);

impl Runner for Tools {
    fn output(&self, cmd: &Command) -> Result<Output, CommandError> {
        self.0.output(cmd)
    }
}

struct Lab {
    _tmp: tempfile::TempDir,
    host: Host,
    pool: PathBuf,
    tools: &'static ScriptedRunner,
}

const DEBIAN: &str = "ID=debian\nVERSION_ID=\"12\"\n";

impl Lab {
    /// A Debian node with its own /etc/exports and NFS state, and a pool with exports.
    fn new() -> Lab {
        let tmp = tempfile::tempdir().unwrap();
        let host = Host::at(&tmp.path().join("node"));
        for d in [
            "/etc",
            "/proc/fs/nfsd",
            "/var/lib/nfs/sm",
            "/var/lib/nfs/v4recovery",
            "/run/systemd/system",
        ] {
            std::fs::create_dir_all(host.path(d)).unwrap();
        }
        std::fs::write(host.path("/etc/os-release"), DEBIAN).unwrap();
        std::fs::write(host.path("/etc/exports"), "# the node's own\n").unwrap();
        std::fs::write(host.path("/var/lib/nfs/state"), [0, 0, 0, 7]).unwrap();
        std::fs::write(host.path("/var/lib/nfs/etab"), "").unwrap();
        let pool = tmp.path().join("san-pool/cluster-config/nfs");
        std::fs::create_dir_all(&pool).unwrap();
        std::fs::write(
            pool.join("exports"),
            "/san-pool/share *(rw,no_subtree_check)\n",
        )
        .unwrap();
        Lab {
            _tmp: tmp,
            host,
            pool,
            tools: Box::leak(Box::new(ScriptedRunner::new().ok("exportfs -ra", ""))),
        }
    }

    fn agent(
        &self,
        extra: &[(&str, &str)],
        fail_start: Option<&'static str>,
    ) -> (Nfs, &'static FakeSystemd) {
        self.agent_with_cld(extra, fail_start, 1)
    }

    fn agent_with_cld(
        &self,
        extra: &[(&str, &str)],
        fail_start: Option<&'static str>,
        cld_pipe_from: u32,
    ) -> (Nfs, &'static FakeSystemd) {
        let mut pairs = vec![("config_dir", self.pool.to_str().unwrap())];
        pairs.extend_from_slice(extra);
        let units: &'static FakeSystemd = Box::leak(Box::new(FakeSystemd {
            host: self.host.clone(),
            calls: Mutex::new(Vec::new()),
            fail_start,
            cld_pipe_from,
            nfs_starts: Mutex::new(0),
        }));
        let nfs = Nfs {
            cfg: parse(&pairs).unwrap(),
            host: self.host.clone(),
            units: Box::new(Shared(units)),
            tools: Box::new(Tools(self.tools)),
            installed: |u| u != "rpc-statd-notify.service",
        };
        (nfs, units)
    }

    fn tree(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.host.path("/")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let m = p.symlink_metadata().unwrap();
                let rel = p
                    .strip_prefix(self.host.path("/"))
                    .unwrap()
                    .display()
                    .to_string();
                if rel.starts_with("proc") {
                    continue;
                }
                if m.file_type().is_symlink() {
                    out.push(format!(
                        "{rel} -> {}",
                        std::fs::read_link(&p).unwrap().display()
                    ));
                } else if m.is_dir() {
                    out.push(format!("{rel}/"));
                    stack.push(p);
                } else {
                    out.push(format!("{rel}: {:?}", std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }
}

/// `Box<dyn Units>` over a leaked fake, so the test keeps a handle to its record.
struct Shared(&'static FakeSystemd);

impl Units for Shared {
    fn start(&self, u: &str, d: Instant) -> Result<(), CommandError> {
        self.0.start(u, d)
    }
    fn stop(&self, u: &str, d: Instant) -> Result<(), CommandError> {
        self.0.stop(u, d)
    }
    fn stop_all(&self, u: &[&str], d: Instant) -> Result<(), CommandError> {
        self.0.stop_all(u, d)
    }
    fn reload(&self, u: &str, d: Instant) -> Result<(), CommandError> {
        self.0.reload(u, d)
    }
    fn daemon_reload(&self, d: Instant) -> Result<(), CommandError> {
        self.0.daemon_reload(d)
    }
    fn canonical(&self, u: &str, d: Instant) -> Result<String, CommandError> {
        self.0.canonical(u, d)
    }
}

fn ctx(action: Action) -> Ctx {
    Ctx::new(&SPEC, action, OcfEnv::default())
}

fn deep_ctx() -> Ctx {
    let env = OcfEnv {
        check_level: 10,
        ..Default::default()
    };
    Ctx::new(&SPEC, Action::Monitor, env)
}

#[test]
fn start_links_then_starts_and_stop_stops_then_restores() {
    let lab = Lab::new();
    let before = lab.tree();
    let (nfs, units) = lab.agent(&[("grace_time", "15")], None);
    assert!(matches!(
        nfs.monitor(&ctx(Action::Monitor)),
        Ok(Health::Stopped(_))
    ));
    assert_eq!(nfs.start(&ctx(Action::Start)).unwrap(), Started::Started);
    assert_eq!(
        *units.calls.lock().unwrap(),
        [
            "stop nfs-kernel-server.service nfsdcld.service rpc-statd.service",
            "daemon-reload",
            "start nfsdcld.service",
            "start nfs-kernel-server.service"
        ],
        "the daemons holding state stop before the links (one call), the drop-in is new, nfsdcld \
         starts before the server"
    );
    assert_eq!(
        std::fs::read_link(lab.host.path("/etc/exports")).unwrap(),
        lab.pool.join("exports")
    );
    assert_eq!(
        std::fs::read_link(lab.host.path("/var/lib/nfs/nfsdcld")).unwrap(),
        lab.pool.join("state/nfsdcld")
    );
    assert!(
        lab.pool.join("state/v4recovery").is_dir(),
        "seeded from the node"
    );
    let drop_in = lab
        .host
        .path("/run/systemd/system/nfs-server.service.d/50-hasan-nfs.conf");
    let text = std::fs::read_to_string(&drop_in).unwrap();
    assert!(
        text.contains("EnvironmentFile=-/run/hasan/nfs.env\n"),
        "{text}"
    );
    let env = lab.host.path("/run/hasan/nfs.env");
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(text.contains("--grace-time 15"), "{text}");
    assert_eq!(nfs.monitor(&ctx(Action::Monitor)).unwrap(), Health::Degraded(
        "the pool's exports list paths but nothing is exported (run the reload action and look at exportfs's errors)".into()
    ));
    std::fs::write(lab.pool.join("state/etab_unused"), "").unwrap();
    std::fs::write(
        lab.host.path("/var/lib/nfs/etab"),
        "/san-pool/share\t*(rw)\n",
    )
    .unwrap();
    assert_eq!(nfs.monitor(&ctx(Action::Monitor)).unwrap(), Health::Running);

    units.calls.lock().unwrap().clear();
    assert_eq!(
        nfs.start(&ctx(Action::Start)).unwrap(),
        Started::AlreadyRunning
    );
    assert!(
        units.calls.lock().unwrap().is_empty(),
        "a second start changes nothing"
    );

    std::fs::write(lab.host.path("/var/lib/nfs/etab"), "").unwrap();
    assert_eq!(nfs.stop(&ctx(Action::Stop)).unwrap(), Stopped::Stopped);
    assert_eq!(
        *units.calls.lock().unwrap(),
        ["stop nfs-kernel-server.service nfsdcld.service rpc-statd.service"],
        "no daemon-reload: the drop-in stays"
    );
    assert!(
        !env.exists(),
        "the settings are gone: the unit runs plain rpc.nfsd"
    );
    assert!(drop_in.exists());
    assert_eq!(
        lab.tree(),
        with_drop_in(before.clone()),
        "the node's own files are back, nothing dangles"
    );
    units.calls.lock().unwrap().clear();
    assert_eq!(
        nfs.stop(&ctx(Action::Stop)).unwrap(),
        Stopped::AlreadyStopped
    );
    assert!(units.calls.lock().unwrap().is_empty());
    assert!(matches!(
        nfs.monitor(&ctx(Action::Monitor)),
        Ok(Health::Stopped(_))
    ));

    // the next start after a stop: the drop-in is in place, no daemon-reload
    let (nfs, units) = lab.agent(&[("grace_time", "20")], None);
    assert_eq!(nfs.start(&ctx(Action::Start)).unwrap(), Started::Started);
    assert_eq!(
        *units.calls.lock().unwrap(),
        [
            "stop nfs-kernel-server.service nfsdcld.service rpc-statd.service",
            "start nfsdcld.service",
            "start nfs-kernel-server.service"
        ],
    );
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(
        text.contains("--grace-time 20"),
        "new settings, no reload: {text}"
    );
}

/// The tree of a node before the resource ran, plus the drop-in that stays after a stop (and
/// the directory of its environment file).
fn with_drop_in(mut tree: Vec<String>) -> Vec<String> {
    let drop_in = "run/systemd/system/nfs-server.service.d/50-hasan-nfs.conf";
    tree.push(format!(
        "{drop_in}: {:?}",
        crate::unit::drop_in_text().into_bytes()
    ));
    tree.push("run/systemd/system/nfs-server.service.d/".into());
    tree.push("run/hasan/".into());
    tree.sort();
    tree
}

#[test]
fn missing_config_dir_says_to_order_after_the_pool_and_changes_nothing() {
    let lab = Lab::new();
    std::fs::rename(&lab.pool, lab.pool.with_file_name("elsewhere")).unwrap();
    let before = lab.tree();
    let (nfs, units) = lab.agent(&[], None);
    let e = nfs.start(&ctx(Action::Start)).unwrap_err();
    assert_eq!(e.status, OcfStatus::ErrGeneric);
    assert!(
        e.reason.contains("order this resource after the pool"),
        "{e}"
    );
    assert!(units.calls.lock().unwrap().is_empty());
    assert_eq!(lab.tree(), before);
    assert!(matches!(
        nfs.monitor(&ctx(Action::Monitor)),
        Ok(Health::Stopped(_))
    ));
}

#[test]
fn missing_exports_on_the_pool_is_a_configuration_error() {
    let lab = Lab::new();
    std::fs::remove_file(lab.pool.join("exports")).unwrap();
    let before = lab.tree();
    let (nfs, units) = lab.agent(&[], None);
    let e = nfs.start(&ctx(Action::Start)).unwrap_err();
    assert_eq!(e.status, OcfStatus::ErrConfigured);
    assert!(e.reason.ends_with("exports is missing on the pool"), "{e}");
    assert!(units.calls.lock().unwrap().is_empty());
    assert_eq!(lab.tree(), before);
}

#[test]
fn a_failed_start_is_undone_by_stop() {
    let lab = Lab::new();
    let before = lab.tree();
    let (nfs, _) = lab.agent(&[], Some("all"));
    let e = nfs.start(&ctx(Action::Start)).unwrap_err();
    assert!(
        e.reason.contains("starting nfs-kernel-server.service"),
        "{e}"
    );
    let e = nfs.monitor(&recurring_monitor()).unwrap_err();
    assert!(e.reason.contains("a start was interrupted"), "{e}");
    assert_eq!(nfs.stop(&ctx(Action::Stop)).unwrap(), Stopped::Stopped);
    assert_eq!(lab.tree(), with_drop_in(before));
}

#[test]
fn reload_re_exports_without_restarting() {
    let lab = Lab::new();
    let (nfs, units) = lab.agent(&[], None);
    let e = nfs.reload(&ctx(Action::Reload)).unwrap_err();
    assert!(e.reason.contains("not running"), "{e}");
    nfs.start(&ctx(Action::Start)).unwrap();
    units.calls.lock().unwrap().clear();
    // a new exports.d on the pool is linked by reload
    std::fs::create_dir(lab.pool.join("exports.d")).unwrap();
    nfs.reload(&ctx(Action::Reload)).unwrap();
    lab.tools.assert_done();
    assert!(units.calls.lock().unwrap().is_empty(), "nfsd not restarted");
    assert_eq!(
        std::fs::read_link(lab.host.path("/etc/exports.d")).unwrap(),
        lab.pool.join("exports.d")
    );
}

#[test]
fn monitor_notices_a_foreign_nfsd_and_a_dead_rpc_port() {
    let lab = Lab::new();
    let (nfs, _) = lab.agent(&[], None);
    std::fs::write(lab.host.path("/proc/fs/nfsd/threads"), "8\n").unwrap();
    match nfs.monitor(&ctx(Action::Monitor)).unwrap() {
        Health::Stopped(why) => assert!(why.contains("not this resource"), "{why}"),
        h => panic!("{h:?}"),
    }
    nfs.start(&ctx(Action::Start)).unwrap();
    std::fs::write(lab.host.path("/var/lib/nfs/etab"), "/x *\n").unwrap();
    // depth 10 asks nfsd on 127.0.0.1:2049; nothing of ours listens there in a unit test
    // unless a real nfsd runs on the build machine, in which case it answers
    let deep = nfs.monitor(&deep_ctx());
    if let Err(e) = deep {
        assert!(
            e.reason
                .starts_with("RPC NULL call to nfsd on 127.0.0.1:2049"),
            "{e}"
        );
    }
    // a link replaced behind the agent's back
    std::fs::remove_file(lab.host.path("/etc/exports")).unwrap();
    std::fs::write(lab.host.path("/etc/exports"), "").unwrap();
    let e = nfs.monitor(&ctx(Action::Monitor)).unwrap_err();
    assert!(e.reason.starts_with("not in place: "), "{e}");
}

#[test]
fn a_server_that_came_up_without_nfsdcld_is_started_once_more() {
    let lab = Lab::new();
    let (nfs, units) = lab.agent_with_cld(&[], None, 2);
    assert_eq!(nfs.start(&ctx(Action::Start)).unwrap(), Started::Started);
    let calls = units.calls.lock().unwrap().clone();
    assert_eq!(
        calls[calls.len() - 5..],
        [
            "start nfsdcld.service",
            "start nfs-kernel-server.service",
            "stop nfs-kernel-server.service",
            "start nfsdcld.service",
            "start nfs-kernel-server.service"
        ]
    );
}

#[test]
fn a_server_that_tracks_clients_without_nfsdcld_is_stopped_and_start_fails() {
    let lab = Lab::new();
    let (nfs, units) = lab.agent_with_cld(&[], None, u32::MAX);
    let e = nfs.start(&ctx(Action::Start)).unwrap_err();
    assert_eq!(e.status, OcfStatus::ErrGeneric);
    assert!(e.reason.contains("without nfsdcld"), "{}", e.reason);
    assert_eq!(lab.host.nfsd_threads(), 0, "nfsd is not left serving");
    assert_eq!(
        units.calls.lock().unwrap().last().map(String::as_str),
        Some("stop nfs-kernel-server.service")
    );
}

/// A node fenced while it served comes back with /etc/exports and the state still linked to a pool
/// that is now imported on the other node: its probe says "not running" (7) and changes nothing; a
/// "failed" here made Pacemaker stop the group on both nodes and start it anew (lab 74: it moved
/// back to the returning node). With the pool here, the same links without nfsd stay a failure for a
/// recurring monitor (a probe: the next test).
#[test]
fn a_probe_after_a_crash_with_the_pool_elsewhere_is_not_running() {
    let lab = Lab::new();
    let (nfs, units) = lab.agent(&[], None);
    nfs.start(&ctx(Action::Start)).unwrap();
    // the crash and the reboot: no nfsd threads; the pool is imported on the other node
    std::fs::write(lab.host.path("/proc/fs/nfsd/threads"), "0\n").unwrap();
    let e = nfs.monitor(&recurring_monitor()).unwrap_err();
    assert!(e.reason.contains("nfsd is not running but"), "{e}");
    let elsewhere = lab.pool.with_file_name("elsewhere");
    std::fs::rename(&lab.pool, &elsewhere).unwrap();
    units.calls.lock().unwrap().clear();
    let before = lab.tree();
    match nfs.monitor(&ctx(Action::Monitor)) {
        Ok(Health::Stopped(why)) => assert!(why.contains("left from before"), "{why}"),
        other => panic!("probe after a crash: {other:?}"),
    }
    assert_eq!(lab.tree(), before, "a probe changes nothing");
    assert!(units.calls.lock().unwrap().is_empty());
}

/// A recurring monitor (interval 30 s).
fn recurring_monitor() -> Ctx {
    let env = OcfEnv {
        interval: std::time::Duration::from_secs(30),
        ..Default::default()
    };
    Ctx::new(&SPEC, Action::Monitor, env)
}

/// Lab 73: a node fenced while it served (75) rejoins with its links left; the next time the
/// group starts there, Pacemaker probes nfs after the pool is imported on that node. nfsd is not
/// running: the probe says "not running" (7), and start puts things right; a recurring monitor
/// with the same files still fails (nfsd died).
#[test]
fn a_probe_with_leftover_links_and_the_pool_here_is_not_running() {
    let lab = Lab::new();
    let (nfs, units) = lab.agent(&[], None);
    nfs.start(&ctx(Action::Start)).unwrap();
    std::fs::write(lab.host.path("/proc/fs/nfsd/threads"), "0\n").unwrap();
    let e = nfs.monitor(&recurring_monitor()).unwrap_err();
    assert!(e.reason.contains("nfsd is not running but"), "{e}");
    units.calls.lock().unwrap().clear();
    let before = lab.tree();
    match nfs.monitor(&ctx(Action::Monitor)) {
        Ok(Health::Stopped(why)) => assert!(why.contains("left from before"), "{why}"),
        other => panic!("probe with leftover links: {other:?}"),
    }
    assert_eq!(lab.tree(), before, "a probe changes nothing");
    assert!(units.calls.lock().unwrap().is_empty());
}
