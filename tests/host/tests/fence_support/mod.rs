//! Shared by the fence_* host tests: an OpenIPMI `ipmi_sim` BMC on 127.0.0.1 whose chassis power
//! is a real process, and runners for the installed fence_hasan_ipmi and the stock clients.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The installed agent (`make install`).
pub const AGENT: &str = "/usr/sbin/fence_hasan_ipmi";
/// ipmi_sim's admin user.
pub const USER: &str = "admin";
/// Its password.
pub const PASSWORD: &str = "fence-Secret-7";

/// Fail clearly when a tool is missing (never skip).
pub fn need(path: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the packages in tests/host-packages.txt (make deps) and the agents (make install)"
    );
}

/// The chassis control program: `get power` reads whether the machine process lives, `set power
/// 0|1` kills or starts it; `set reset 1` restarts it. Its PID is in `<dir>/machine.pid`.
/// (Shared with bench/fence_ipmi.sh.)
const CHASSIS: &str = include_str!("chassis.sh");
/// ipmi_sim's LAN configuration, shared with bench/fence_ipmi.sh (placeholders `@NAME@`).
const LAN_CONF: &str = include_str!("lan.conf.in");
/// ipmi_sim's emulator commands (a BMC at 0x20), shared with bench/fence_ipmi.sh.
const BMC_EMU: &str = include_str!("bmc.emu");

/// A running ipmi_sim, stopped (with its machine process) on drop.
#[derive(Debug)]
pub struct IpmiSim {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
    netns: Option<String>,
    bmc_key: Option<String>,
}

/// `program` run directly, or inside network namespace `netns`.
pub fn command_in(netns: Option<&str>, program: &str) -> Command {
    match netns {
        Some(ns) => {
            let mut c = Command::new("/usr/sbin/ip");
            c.args(["netns", "exec", ns, program]);
            c
        }
        None => Command::new(program),
    }
}

impl IpmiSim {
    /// Start a BMC on 127.0.0.1:`port` with a fresh state dir; the machine starts powered off.
    pub fn start(port: u16) -> IpmiSim {
        Self::start_in(port, None)
    }

    /// Start a BMC on 127.0.0.1:`port` of network namespace `netns` (None: the host).
    pub fn start_in(port: u16, netns: Option<&str>) -> IpmiSim {
        Self::start_with(port, netns, None)
    }

    /// Start a BMC that also requires the BMC key K_G `bmc_key` (text) when given.
    pub fn start_with(port: u16, netns: Option<&str>, bmc_key: Option<&str>) -> IpmiSim {
        need("/usr/bin/ipmi_sim");
        let key_line = bmc_key
            .map(|k| format!("    bmc_key \"{k}\"\n"))
            .unwrap_or_default();
        let dir = tempfile::Builder::new()
            .prefix("fence-ipmisim-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let state = d.join("state");
        std::fs::create_dir(&state).unwrap();
        let chassis = d.join("chassis");
        std::fs::write(&chassis, CHASSIS).unwrap();
        std::fs::set_permissions(&chassis, std::fs::Permissions::from_mode(0o755)).unwrap();
        let lan_conf = LAN_CONF
            .replace("@PORT@", &port.to_string())
            .replace("@BMC_KEY_LINE@", &key_line)
            .replace("@CHASSIS@", &chassis.display().to_string())
            .replace("@DIR@", &d.display().to_string())
            .replace("@USER@", USER)
            .replace("@PASSWORD@", PASSWORD);
        std::fs::write(d.join("lan.conf"), lan_conf).unwrap();
        std::fs::write(d.join("bmc.emu"), BMC_EMU).unwrap();
        let child = command_in(netns, "/usr/bin/ipmi_sim")
            .arg("-c")
            .arg(d.join("lan.conf"))
            .arg("-f")
            .arg(d.join("bmc.emu"))
            .arg("-s")
            .arg(&state)
            .arg("-n")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(d.join("ipmi_sim.log")).unwrap())
            .stderr(std::fs::File::create(d.join("ipmi_sim.err")).unwrap())
            .spawn()
            .expect("ipmi_sim starts");
        let sim = IpmiSim {
            port,
            dir,
            child,
            netns: netns.map(str::to_owned),
            bmc_key: bmc_key.map(str::to_owned),
        };
        // Ready when ipmitool gets an answer.
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if sim
                .ipmitool(&["chassis", "power", "status"])
                .status
                .success()
            {
                return sim;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = sim.ipmitool(&["chassis", "power", "status"]);
        panic!(
            "ipmi_sim on 127.0.0.1:{port} did not answer within 10 s: ipmitool {out:?}, ipmi_sim: {} {}",
            std::fs::read_to_string(sim.dir().join("ipmi_sim.log")).unwrap_or_default(),
            std::fs::read_to_string(sim.dir().join("ipmi_sim.err")).unwrap_or_default()
        );
    }

    /// PID of the machine process, if it is alive.
    pub fn machine(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(self.dir.path().join("machine.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let alive = rustix::process::Pid::from_raw(pid)
            .map(|p| rustix::process::test_kill_process(p).is_ok())
            .unwrap_or(false);
        // A killed child of the chassis script may linger as a zombie until reaped: check its state.
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(true);
        (alive && !zombie).then_some(pid)
    }

    /// Make power changes take effect `seconds` after the BMC accepted them (like a real
    /// machine, and like ipmi_sim's own startcmd mode).
    pub fn set_lag(&self, seconds: f64) {
        std::fs::write(self.dir.path().join("lag"), format!("{seconds}\n")).unwrap();
    }

    /// Make the BMC refuse to power the machine on (Chassis Control fails with 0xFF).
    pub fn refuse_on(&self) {
        std::fs::write(self.dir.path().join("refuse_on"), "").unwrap();
    }

    /// Make the BMC acknowledge every chassis command and switch nothing.
    pub fn deaf(&self) {
        std::fs::write(self.dir.path().join("deaf"), "").unwrap();
    }

    /// stdin for the agent, with the given extra lines.
    pub fn stdin(&self, action: &str, extra: &str) -> String {
        format!(
            "# written by the host tests\naction={action}\nip=127.0.0.1\nipport={}\nusername={USER}\npassword={PASSWORD}\ncipher=3\n{extra}",
            self.port
        )
    }

    /// Run the installed agent with stdin.
    pub fn agent(&self, action: &str, extra: &str) -> Run {
        run_agent(&self.stdin(action, extra), &[])
    }

    /// ipmitool lanplus, cipher 3 (password through the environment, not argv).
    pub fn ipmitool(&self, args: &[&str]) -> Output {
        need("/usr/bin/ipmitool");
        command_in(self.netns.as_deref(), "/usr/bin/ipmitool")
            .args([
                "-I",
                "lanplus",
                "-C",
                "3",
                "-H",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                "-E",
            ])
            .args(self.bmc_key.as_ref().map(|_| "-K"))
            .args(args)
            .env("IPMI_PASSWORD", PASSWORD)
            .env("IPMI_KGKEY", self.bmc_key.as_deref().unwrap_or(""))
            .output()
            .unwrap()
    }

    /// Debian's fence_ipmilan, stdin interface.
    pub fn fence_ipmilan(&self, action: &str) -> Output {
        need("/usr/sbin/fence_ipmilan");
        let mut c = Command::new("/usr/sbin/fence_ipmilan")
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = format!(
            "action={action}\nip=127.0.0.1\nipport={}\nusername={USER}\npassword={PASSWORD}\nlanplus=1\ncipher=3\npower_wait=0\n",
            self.port
        );
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        c.wait_with_output().unwrap()
    }

    /// Active sessions as ipmitool's `session info all` counts them (ipmitool's own included).
    pub fn active_sessions(&self) -> u32 {
        let out = self.ipmitool(&["session", "info", "all"]);
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find(|l| l.starts_with("active sessions"))
            .and_then(|l| l.split(':').nth(1))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no session count in: {text}"))
    }

    /// The temporary directory (for test files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for IpmiSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("machine.pid")) {
            if let Some(p) = pid
                .trim()
                .parse()
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
        }
    }
}

/// One run of the agent.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// The ERROR lines on stderr.
    pub fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("ERROR"))
            .collect()
    }
}

/// Run the installed agent with stdin and arguments.
pub fn run_agent(stdin: &str, args: &[&str]) -> Run {
    need(AGENT);
    let started = Instant::now();
    let mut c = Command::new(AGENT)
        .args(args)
        .env("HA_LOGFACILITY", "none")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Repository root (CI clones it with `shared/` beside it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
