//! Shared by the smart-plug host tests: the device emulators of plug_emu.py run on 127.0.0.1 (or
//! in a network namespace), the independent clients that cross-check them (curl, python-kasa),
//! and runners for the installed fence_hasan_plug / fence_kasa / fence_http.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use hasan_host_tests::fence;
pub use hasan_host_tests::fence::Run;
use hasan_host_tests::netns::command_in;

/// The installed agents (`make install`): one binary, three names.
pub const PLUG: &str = "/usr/sbin/fence_hasan_plug";
pub const KASA: &str = "/usr/sbin/fence_kasa";
pub const HTTP: &str = "/usr/sbin/fence_http";
/// The device password every emulator with a login uses (never on an argv).
pub const PASSWORD: &str = "plug-Secret-42";
/// python-kasa's venv (tests/deps.sh, tests/host-pypi.txt).
pub const PYVENV_PYTHON: &str = "/var/cache/hasan-pyvenv/bin/python3";
/// Every type, in meta-data order.
pub const TYPES: &[&str] = &["tasmota", "shelly1", "shelly2", "esphome", "kasa", "http"];

/// Fail clearly when a tool is missing (never skip).
pub fn need(path: &str) {
    fence::require_installed(path).unwrap();
}

pub fn support_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plug_support")
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmuSpec {
    pub kind: &'static str,
    pub relays: u32,
    pub on: bool,
    pub fault: &'static str,
    /// Password of the device (`None`: no login).
    pub password: Option<&'static str>,
    /// `basic` or `digest` (default: the type's own).
    pub auth: Option<&'static str>,
    pub netns: Option<String>,
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl EmuSpec {
    /// A working device of `kind` with one relay, on, with the type's usual login.
    pub fn new(kind: &'static str) -> EmuSpec {
        EmuSpec {
            kind,
            relays: 1,
            on: true,
            fault: "none",
            password: (kind != "kasa").then_some(PASSWORD),
            auth: None,
            netns: None,
            tls: None,
        }
    }
    pub fn fault(mut self, f: &'static str) -> Self {
        self.fault = f;
        self
    }
    pub fn relays(mut self, n: u32) -> Self {
        self.relays = n;
        self
    }
    pub fn off(mut self) -> Self {
        self.on = false;
        self
    }
    pub fn no_login(mut self) -> Self {
        self.password = None;
        self
    }
    pub fn auth(mut self, a: &'static str) -> Self {
        self.auth = Some(a);
        self
    }
    pub fn netns(mut self, ns: &str) -> Self {
        self.netns = Some(ns.to_owned());
        self
    }
    pub fn tls(mut self, cert: PathBuf, key: PathBuf) -> Self {
        self.tls = Some((cert, key));
        self
    }
    pub fn start(self) -> Emu {
        Emu::start(self)
    }
}

/// A running emulator, killed on drop.
#[derive(Debug)]
pub struct Emu {
    pub spec: EmuSpec,
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Emu {
    fn start(spec: EmuSpec) -> Emu {
        need("/usr/bin/python3");
        let dir = tempfile::Builder::new()
            .prefix("fence-plug-")
            .tempdir()
            .unwrap();
        let script = support_dir().join("plug_emu.py");
        let mut c = command_in(spec.netns.as_deref(), "/usr/bin/python3");
        c.arg(&script)
            .args(["--type", spec.kind, "--relays", &spec.relays.to_string()])
            .args([
                "--state",
                if spec.on { "on" } else { "off" },
                "--fault",
                spec.fault,
            ])
            .arg("--journal")
            .arg(dir.path().join("journal"));
        if let Some(a) = spec.auth {
            c.args(["--auth", a]);
        }
        if let Some((cert, key)) = &spec.tls {
            c.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        if let Some(p) = spec.password {
            c.env("PLUG_EMU_PASSWORD", p);
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("emulator {} did not start: {line:?}", spec.kind));
        Emu {
            spec,
            port,
            child,
            dir,
        }
    }

    /// The state changes the device made, `"<relay> on|off"` each.
    pub fn journal(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("journal"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The base URL.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.spec.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    /// The stdin lines that point an agent at this device (type, ip, port, login, plug).
    pub fn stdin(&self, action: &str, extra: &str) -> String {
        let mut s = format!(
            "action={action}\nplug_type={}\nip=127.0.0.1\nipport={}\npower_timeout=3\n",
            self.spec.kind, self.port
        );
        if let Some(p) = self.spec.password {
            s.push_str(&format!("password={p}\n"));
            if matches!(self.spec.kind, "shelly1" | "esphome" | "http") {
                s.push_str("username=admin\n");
            }
        }
        match self.spec.kind {
            "esphome" => s.push_str("plug=relay\n"),
            "http" => s.push_str(
                "power_on_url=/api/relay/on\npower_off_url=/api/relay/off\nstatus_url=/api/relay/status\n\
                 status_on_regex=relay=ON\nstatus_off_regex=relay=OFF\n",
            ),
            _ => {}
        }
        s.push_str(extra);
        s
    }

    /// Run fence_hasan_plug against this device.
    pub fn agent(&self, action: &str, extra: &str) -> Run {
        run(PLUG, &self.stdin(action, extra), &[])
    }

    /// The state as an independent client reads it (curl, python-kasa).
    pub fn state_seen_by_client(&self, relay: u32) -> bool {
        let pw = self.spec.password.unwrap_or("");
        let body = match self.spec.kind {
            "tasmota" => curl(&[&self.url(&format!(
                "/cm?user=admin&password={pw}&cmnd=Power{}",
                relay + 1
            ))]),
            "shelly1" => curl(&[
                "-u",
                &format!("admin:{pw}"),
                &self.url(&format!("/relay/{relay}")),
            ]),
            "shelly2" => curl(&[
                "--digest",
                "-u",
                &format!("admin:{pw}"),
                &self.url(&format!("/rpc/Switch.GetStatus?id={relay}")),
            ]),
            "esphome" => curl(&["-u", &format!("admin:{pw}"), &self.url("/switch/relay")]),
            "http" => curl(&["-u", &format!("admin:{pw}"), &self.url("/api/relay/status")]),
            "kasa" => {
                let out = python_kasa(
                    self.port,
                    "state",
                    (self.spec.relays > 1).then_some(relay + 1),
                );
                assert!(
                    out.status.success(),
                    "python-kasa: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                return match String::from_utf8_lossy(&out.stdout).trim() {
                    "on" => true,
                    "off" => false,
                    other => panic!("python-kasa printed {other:?}"),
                };
            }
            k => panic!("no client for {k}"),
        };
        let b = body.to_ascii_lowercase().replace(' ', "");
        if [
            "\"on\"",
            "\"ison\":true",
            "\"output\":true",
            "=on",
            "state=true",
            "\"state\":\"on\"",
        ]
        .iter()
        .any(|w| b.contains(w))
        {
            true
        } else if [
            "\"off\"",
            "\"ison\":false",
            "\"output\":false",
            "=off",
            "state=false",
            "\"state\":\"off\"",
        ]
        .iter()
        .any(|w| b.contains(w))
        {
            false
        } else {
            panic!("cannot read the state from {body:?}")
        }
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl with a deadline; the body (fails the test on a transport error).
pub fn curl(args: &[&str]) -> String {
    let out = curl_out(args);
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// curl's output, whatever it was (`-s -m 10` added).
pub fn curl_out(args: &[&str]) -> Output {
    need("/usr/bin/curl");
    Command::new("/usr/bin/curl")
        .args(["-s", "-m", "10"])
        .args(args)
        .output()
        .unwrap()
}

/// python-kasa (the venv of tests/deps.sh) against a Kasa device on 127.0.0.1:`port`:
/// `state` prints `on`/`off`, `on`/`off` switch; `outlet` (1-based) picks a strip's outlet.
pub fn python_kasa(port: u16, what: &str, outlet: Option<u32>) -> Output {
    need(PYVENV_PYTHON);
    Command::new(PYVENV_PYTHON)
        .arg(support_dir().join("kasa_client.py"))
        .args(["127.0.0.1", &port.to_string(), what])
        .args(outlet.map(|o| o.to_string()))
        .output()
        .unwrap()
}

/// Run `program` with stdin and arguments (logs to stderr only).
pub fn run(program: &str, stdin: &str, args: &[&str]) -> Run {
    run_in(None, program, stdin, args)
}

/// Run `program` inside network namespace `netns` (None: the host).
pub fn run_in(netns: Option<&str>, program: &str, stdin: &str, args: &[&str]) -> Run {
    fence::run_agent(netns, program, stdin.as_bytes(), args).unwrap()
}

/// A TCP port on 127.0.0.1 that nobody listens on (bound, then closed).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
