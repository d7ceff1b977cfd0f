//! Shared by the fence_* host tests: an OpenIPMI `ipmi_sim` BMC on 127.0.0.1 whose chassis power
//! is a real process, and runners for the installed fence_hasan_ipmi and the stock clients.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hasan_host_tests::fence;
pub use hasan_host_tests::fence::Run;
use hasan_host_tests::netns::command_in;

/// The installed agent (`make install`).
pub const AGENT: &str = "/usr/sbin/fence_hasan_ipmi";
/// ipmi_sim's admin user.
pub const USER: &str = "admin";
/// Its password.
pub const PASSWORD: &str = "fence-Secret-7";

/// Fail clearly when a tool is missing (never skip).
pub fn need(path: &str) {
    fence::require_installed(path).unwrap();
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

    /// Make the BMC behave like one sharing the host's NIC: powering off creates
    /// `sessions_dropped`, which a [`Relay`] with [`Policy::DropSessionsAfter`] acts on.
    pub fn drop_sessions_on_off(&self) -> PathBuf {
        std::fs::write(self.dir.path().join("drop_sessions_on_off"), "").unwrap();
        self.dir.path().join("sessions_dropped")
    }

    /// stdin for the agent, with the given extra lines.
    pub fn stdin(&self, action: &str, extra: &str) -> String {
        format!(
            "# written by the host tests\naction={action}\nip=127.0.0.1\nipport={}\nusername={USER}\npassword={PASSWORD}\ncipher=3\n{extra}",
            self.port
        )
    }

    /// The fence-agents command line for `action` against this BMC (password with `-p`).
    pub fn argv(&self, action: &str) -> Vec<String> {
        let port = self.port.to_string();
        [
            "-o",
            action,
            "-a",
            "127.0.0.1",
            "-u",
            &port,
            "-l",
            USER,
            "-p",
            PASSWORD,
        ]
        .map(str::to_owned)
        .to_vec()
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

/// Run the installed agent with stdin and arguments.
pub fn run_agent(stdin: &str, args: &[&str]) -> Run {
    run_agent_bytes(stdin.as_bytes(), args)
}

/// Run the installed agent with stdin as bytes (not necessarily text) and arguments.
pub fn run_agent_bytes(stdin: &[u8], args: &[&str]) -> Run {
    fence::run_agent(None, AGENT, stdin, args).unwrap()
}

/// What a [`Relay`] drops of the agent's datagrams.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Every third datagram of the agent's; and before each real reply the agent gets junk, a
    /// truncated copy and (for authenticated packets) a copy with a corrupted AuthCode.
    Lossy,
    /// Open Session requests for cipher suite 17 (RAKP-HMAC-SHA256): a BMC silent on suite 17.
    SilentOn17,
    /// Once the file exists (the chassis script creates it on power off), nothing passes for 1 s
    /// and the sessions opened before never answer again, as a BMC that shares the host's NIC.
    DropSessionsAfter(PathBuf),
}

/// A UDP stand-in on 127.0.0.1 between the agent and ipmi_sim: forwards both ways, except the
/// agent's datagrams its [`Policy`] drops. Stopped on drop.
#[derive(Debug)]
pub struct Relay {
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The RMCP+ session ID and payload of an agent's datagram.
fn rmcpp(pkt: &[u8]) -> Option<(u8, u32, &[u8])> {
    if pkt.len() < 16 || pkt[4] != 0x06 {
        return None;
    }
    let sid = u32::from_le_bytes(pkt[6..10].try_into().ok()?);
    Some((pkt[5] & 0x3F, sid, &pkt[16..]))
}

impl Relay {
    pub fn start(port: u16, bmc_port: u16, policy: Policy) -> Relay {
        use std::collections::HashSet;
        use std::net::UdpSocket;
        use std::sync::atomic::{AtomicBool, Ordering};
        let front = UdpSocket::bind(("127.0.0.1", port)).unwrap();
        let back = UdpSocket::bind("127.0.0.1:0").unwrap();
        back.connect(("127.0.0.1", bmc_port)).unwrap();
        front.set_nonblocking(true).unwrap();
        back.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut client = None;
            let mut sessions: HashSet<u32> = HashSet::new();
            let mut dead: Option<(HashSet<u32>, Instant)> = None;
            let mut n_in = 0u32;
            let lossy = matches!(policy, Policy::Lossy);
            while !flag.load(Ordering::Relaxed) {
                let mut idle = true;
                if let Ok((n, from)) = front.recv_from(&mut buf) {
                    idle = false;
                    client = Some(from);
                    let pkt = &buf[..n];
                    // Counts 1, 2, 0, 1, 2, 0…: every third datagram gets 0.
                    n_in = (n_in + 1) % 3;
                    let forward = match (&policy, rmcpp(pkt)) {
                        (Policy::Lossy, _) => n_in > 0,
                        // Open Session Request: the authentication algorithm is byte 12.
                        (Policy::SilentOn17, Some((0x10, _, p))) => p.get(12) != Some(&0x03),
                        (Policy::DropSessionsAfter(marker), info) => {
                            if dead.is_none() && marker.exists() {
                                dead = Some((sessions.clone(), Instant::now()));
                            }
                            match (&dead, info) {
                                (Some((_, at)), _) if at.elapsed() < Duration::from_secs(1) => {
                                    false
                                }
                                (Some((old, _)), Some((0x00, sid, _))) => !old.contains(&sid),
                                (None, Some((0x00, sid, _))) if sid != 0 => {
                                    sessions.insert(sid);
                                    true
                                }
                                _ => true,
                            }
                        }
                        _ => true,
                    };
                    if forward {
                        let _ = back.send(pkt);
                    }
                }
                if let (Ok(n), Some(to)) = (back.recv(&mut buf), client) {
                    idle = false;
                    let reply = &buf[..n];
                    if lossy {
                        let _ = front.send_to(&[0x06, 0x00, 0xFF, 0x07, 0x06, 0xC0, 1], to);
                        let _ = front.send_to(&reply[..n / 2], to);
                        if n > 6 && reply[5] & 0x40 != 0 {
                            let mut bad = reply.to_vec();
                            bad[n - 1] ^= 0x55;
                            let _ = front.send_to(&bad, to);
                        }
                    }
                    let _ = front.send_to(reply, to);
                }
                if idle {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        Relay {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// stdin for the agent through the relay (as [`IpmiSim::stdin`], other port).
    pub fn stdin(&self, action: &str, extra: &str) -> String {
        format!(
            "action={action}\nip=127.0.0.1\nipport={}\nusername={USER}\npassword={PASSWORD}\ncipher=3\n{extra}",
            self.port
        )
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
