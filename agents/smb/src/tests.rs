//! start, stop and monitor on a node in a temporary directory, with a recording systemd whose smbd
//! unit writes its pid file, /proc entry and listening socket, and testparm's recorded verdicts on
//! the pool's smb.conf replayed by a ScriptedRunner.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use libocf::env::OcfEnv;
use libocf::service::Units;
use libocf::{
    Action, Command, CommandError, Ctx, Health, OcfStatus, Output, ResourceAgent, Runner,
    ScriptedRunner, Started, Stopped,
};

use crate::agent::Smb;
use crate::config::tests_support::parse;
use crate::host::Host;
use crate::spec::SPEC;

const VIP_LISTENING: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 64004D0A:01BD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456 1 0000000000000000 100 0 0 10 0
";
const NOTHING_LISTENING: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
";

struct FakeSystemd {
    host: Host,
    calls: Mutex<Vec<String>>,
}

impl FakeSystemd {
    fn smbd(&self, up: bool) {
        let h = &self.host;
        if up {
            std::fs::write(h.path("/run/samba/smbd.pid"), "777\n").unwrap();
            std::fs::create_dir_all(h.path("/proc/777")).unwrap();
            std::fs::write(h.path("/proc/777/comm"), "smbd\n").unwrap();
            std::fs::write(h.path("/proc/net/tcp"), VIP_LISTENING).unwrap();
        } else {
            let _ = std::fs::remove_file(h.path("/run/samba/smbd.pid"));
            std::fs::write(h.path("/proc/net/tcp"), NOTHING_LISTENING).unwrap();
        }
    }
}

struct Shared(&'static FakeSystemd);

impl Units for Shared {
    fn start(&self, u: &str, _: Instant) -> Result<(), CommandError> {
        self.0.calls.lock().unwrap().push(format!("start {u}"));
        self.0.smbd(true);
        Ok(())
    }
    fn stop(&self, u: &str, _: Instant) -> Result<(), CommandError> {
        self.0.calls.lock().unwrap().push(format!("stop {u}"));
        self.0.smbd(false);
        Ok(())
    }
    fn reload(&self, u: &str, _: Instant) -> Result<(), CommandError> {
        self.0.calls.lock().unwrap().push(format!("reload {u}"));
        Ok(())
    }
    fn daemon_reload(&self, _: Instant) -> Result<(), CommandError> {
        self.0.calls.lock().unwrap().push("daemon-reload".into());
        Ok(())
    }
    fn canonical(&self, u: &str, _: Instant) -> Result<String, CommandError> {
        Ok(u.into())
    }
}

/// A `Box<dyn Runner>` over a leaked script, so the test keeps a handle to check it.
struct Tools(&'static ScriptedRunner);

impl Runner for Tools {
    fn output(&self, cmd: &Command) -> Result<Output, CommandError> {
        self.0.output(cmd)
    }
}

/// testparm's stderr for an unknown parameter, as Samba 4.17 on Debian 12 prints it (exit 0).
const UNKNOWN_PARAMETER: &str = "Load smb config files from SMB_CONF
Unknown parameter encountered: \"frobnicate\"
Ignoring unknown parameter \"frobnicate\"
Loaded services file OK.
Server role: ROLE_STANDALONE
";

const GOOD_CONF: &str = "[global]\n\tbind interfaces only = Yes\n\tinterfaces = 10.77.0.100/24\n[share]\n\tpath = /p/share\n";

struct Lab {
    _tmp: tempfile::TempDir,
    host: Host,
    pool: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let tmp = tempfile::tempdir().unwrap();
        let host = Host::at(&tmp.path().join("node"));
        for d in [
            "/etc/samba",
            "/var/lib/samba/private",
            "/run/samba",
            "/proc/net",
        ] {
            std::fs::create_dir_all(host.path(d)).unwrap();
        }
        std::fs::write(host.path("/etc/os-release"), "ID=debian\n").unwrap();
        std::fs::write(host.path("/etc/samba/smb.conf"), "# the node's own\n").unwrap();
        std::fs::write(host.path("/var/lib/samba/private/secrets.tdb"), "local").unwrap();
        std::fs::write(host.path("/proc/net/tcp"), NOTHING_LISTENING).unwrap();
        let pool = tmp.path().join("pool/samba");
        std::fs::create_dir_all(pool.join("private")).unwrap();
        std::fs::write(pool.join("private/passdb.tdb"), "users").unwrap();
        std::fs::write(pool.join("smb.conf"), GOOD_CONF).unwrap();
        Lab {
            _tmp: tmp,
            host,
            pool,
        }
    }

    fn smb_conf(&self) -> String {
        self.pool.join("smb.conf").display().to_string()
    }

    /// testparm run once on the pool's smb.conf, answering `code` with the dump `stdout`.
    fn testparm(&self, code: u8, stdout: &str, stderr: &str) -> ScriptedRunner {
        let line = format!("testparm -s {}", self.smb_conf());
        ScriptedRunner::new().exit(
            &line,
            code,
            stdout,
            &stderr.replace("SMB_CONF", &self.smb_conf()),
        )
    }

    fn agent(&self, tools: ScriptedRunner) -> (Smb, &'static FakeSystemd, &'static ScriptedRunner) {
        let units: &'static FakeSystemd = Box::leak(Box::new(FakeSystemd {
            host: self.host.clone(),
            calls: Mutex::new(Vec::new()),
        }));
        let cfg = parse(&[
            ("config_dir", self.pool.to_str().unwrap()),
            ("ip", "10.77.0.100"),
        ])
        .unwrap();
        let tools: &'static ScriptedRunner = Box::leak(Box::new(tools));
        let smb = Smb {
            cfg,
            host: self.host.clone(),
            units: Box::new(Shared(units)),
            tools: Box::new(Tools(tools)),
            installed: |_| true,
        };
        (smb, units, tools)
    }

    fn tree(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.host.path("/")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let rel = p
                    .strip_prefix(self.host.path("/"))
                    .unwrap()
                    .display()
                    .to_string();
                if rel.starts_with("proc") || rel.starts_with("run") {
                    continue;
                }
                let m = p.symlink_metadata().unwrap();
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

fn ctx(a: Action) -> Ctx {
    Ctx::new(&SPEC, a, OcfEnv::default())
}

#[test]
fn start_checks_links_and_starts_stop_restores() {
    let lab = Lab::new();
    let before = lab.tree();
    let (smb, units, tools) = lab.agent(lab.testparm(0, GOOD_CONF, "Loaded services file OK.\n"));
    assert!(matches!(
        smb.monitor(&ctx(Action::Monitor)),
        Ok(Health::Stopped(_))
    ));
    assert_eq!(smb.start(&ctx(Action::Start)).unwrap(), Started::Started);
    tools.assert_done();
    assert_eq!(
        *units.calls.lock().unwrap(),
        ["stop smbd.service", "start smbd.service"]
    );
    assert_eq!(
        std::fs::read_link(lab.host.path("/var/lib/samba/private")).unwrap(),
        lab.pool.join("private")
    );
    assert_eq!(smb.monitor(&ctx(Action::Monitor)).unwrap(), Health::Running);
    units.calls.lock().unwrap().clear();
    assert_eq!(
        smb.start(&ctx(Action::Start)).unwrap(),
        Started::AlreadyRunning
    );
    assert!(units.calls.lock().unwrap().is_empty());
    // 445 gone from the VIP
    std::fs::write(lab.host.path("/proc/net/tcp"), NOTHING_LISTENING).unwrap();
    let e = smb.monitor(&ctx(Action::Monitor)).unwrap_err();
    assert_eq!(e.reason, "nothing listens on 10.77.0.100:445");
    assert_eq!(smb.stop(&ctx(Action::Stop)).unwrap(), Stopped::Stopped);
    assert_eq!(
        lab.tree(),
        before,
        "the node's own files are back, nothing dangles"
    );
    units.calls.lock().unwrap().clear();
    assert_eq!(
        smb.stop(&ctx(Action::Stop)).unwrap(),
        Stopped::AlreadyStopped
    );
    assert!(units.calls.lock().unwrap().is_empty());
}

#[test]
fn a_config_testparm_rejects_fails_start_with_its_words_and_changes_nothing() {
    let lab = Lab::new();
    std::fs::write(
        lab.pool.join("smb.conf"),
        format!("{GOOD_CONF}\tfrobnicate = yes\n"),
    )
    .unwrap();
    let before = lab.tree();
    let (smb, units, _) = lab.agent(lab.testparm(0, "", UNKNOWN_PARAMETER));
    let e = smb.start(&ctx(Action::Start)).unwrap_err();
    assert_eq!(e.status, OcfStatus::ErrConfigured);
    assert!(
        e.reason
            .contains("Unknown parameter encountered: \"frobnicate\""),
        "{e}"
    );
    assert!(units.calls.lock().unwrap().is_empty());
    assert_eq!(lab.tree(), before);
}

#[test]
fn smb_conf_must_bind_to_the_vip_only() {
    for (conf, needle) in [
        (
            "[global]\n\tbind interfaces only = Yes\n\tinterfaces = eth0\n",
            "must name the service address",
        ),
        (
            "[global]\n\tinterfaces = 10.77.0.100\n",
            "bind interfaces only = yes",
        ),
    ] {
        let lab = Lab::new();
        std::fs::write(lab.pool.join("smb.conf"), conf).unwrap();
        let before = lab.tree();
        let (smb, units, _) = lab.agent(lab.testparm(0, conf, ""));
        let e = smb.start(&ctx(Action::Start)).unwrap_err();
        assert_eq!(e.status, OcfStatus::ErrConfigured);
        assert!(e.reason.contains(needle), "{e}");
        assert!(units.calls.lock().unwrap().is_empty());
        assert_eq!(lab.tree(), before);
    }
}

#[test]
fn missing_config_dir_or_private_dir() {
    let lab = Lab::new();
    std::fs::remove_dir_all(lab.pool.join("private")).unwrap();
    let (smb, _, _) = lab.agent(ScriptedRunner::new());
    let e = smb.start(&ctx(Action::Start)).unwrap_err();
    assert_eq!(e.status, OcfStatus::ErrConfigured);
    assert!(e.reason.ends_with("private is missing on the pool"), "{e}");
    std::fs::remove_dir_all(&lab.pool).unwrap();
    let e = smb.start(&ctx(Action::Start)).unwrap_err();
    assert_eq!(e.status, OcfStatus::ErrGeneric);
    assert!(
        e.reason.contains("order this resource after the pool"),
        "{e}"
    );
    assert!(matches!(
        smb.monitor(&ctx(Action::Monitor)),
        Ok(Health::Stopped(_))
    ));
}

/// A node fenced while it served comes back with smb.conf and private/ still linked to a pool that
/// is now imported on the other node: its probe says "not running" (7) and changes nothing; a
/// "failed" here made Pacemaker stop the group on both nodes and start it anew (lab 74: it moved
/// back to the returning node). Stop there puts the node's own files back.
#[test]
fn a_probe_after_a_crash_with_the_pool_elsewhere_is_not_running() {
    let lab = Lab::new();
    let before_start = lab.tree();
    let (smb, units, _) = lab.agent(lab.testparm(0, GOOD_CONF, "Loaded services file OK.\n"));
    smb.start(&ctx(Action::Start)).unwrap();
    // the crash and the reboot: no smbd; the pool is imported on the other node
    units.smbd(false);
    let elsewhere = lab.pool.with_file_name("elsewhere");
    std::fs::rename(&lab.pool, &elsewhere).unwrap();
    units.calls.lock().unwrap().clear();
    let before = lab.tree();
    match smb.monitor(&ctx(Action::Monitor)) {
        Ok(Health::Stopped(why)) => assert!(why.contains("left from before"), "{why}"),
        other => panic!("probe after a crash: {other:?}"),
    }
    assert_eq!(lab.tree(), before, "a probe changes nothing");
    assert!(units.calls.lock().unwrap().is_empty());
    assert_eq!(smb.stop(&ctx(Action::Stop)).unwrap(), Stopped::Stopped);
    std::fs::rename(&elsewhere, &lab.pool).unwrap();
    assert_eq!(lab.tree(), before_start, "the node's own files are back");
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
/// group starts there, Pacemaker probes smb after the pool is imported on that node. smbd is not
/// running: the probe says "not running" (7), and start puts things right; a recurring monitor
/// with the same files still fails (smbd died).
#[test]
fn a_probe_with_leftover_links_and_the_pool_here_is_not_running() {
    let lab = Lab::new();
    let (smb, units, _) = lab.agent(lab.testparm(0, GOOD_CONF, "Loaded services file OK.\n"));
    smb.start(&ctx(Action::Start)).unwrap();
    units.smbd(false);
    let e = smb.monitor(&recurring_monitor()).unwrap_err();
    assert!(e.reason.contains("smbd is not running but"), "{e}");
    units.calls.lock().unwrap().clear();
    let before = lab.tree();
    match smb.monitor(&ctx(Action::Monitor)) {
        Ok(Health::Stopped(why)) => assert!(why.contains("left from before"), "{why}"),
        other => panic!("probe with leftover links: {other:?}"),
    }
    assert_eq!(lab.tree(), before, "a probe changes nothing");
    assert!(units.calls.lock().unwrap().is_empty());
}
