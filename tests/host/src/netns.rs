//! A named network namespace with veth pairs and addresses, removed on drop.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use hasan_host_tests::netns::Netns;
//! let ns = Netns::create("hasan-vip-demo")?;          // lo is up
//! ns.add_veth("vip0", "peer0")?;                      // both ends inside, up
//! ns.add_addr("peer0", "192.0.2.1/24")?;
//! let out = ns.run(&["ip", "-o", "addr"])?;           // any command inside
//! # Ok(()) }
//! ```
//!
//! Names must be unique on the machine: prefix them with your branch (`hasan-vip-…`). Interface
//! names are per namespace, so they may repeat across namespaces.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cmd::{self, Ran};

/// `ip` from iproute2.
pub const IP: &str = "/usr/sbin/ip";

/// A network namespace owned by the test; dropping it kills what runs inside and deletes it
/// (its interfaces go with it).
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Create `name` (a leftover of a crashed run with the same name is removed first) and
    /// bring its loopback up.
    pub fn create(name: &str) -> Result<Netns> {
        cmd::require_tool(IP)?;
        if list()?.iter().any(|n| n == name) {
            remove(name);
        }
        cmd::ok(IP, &["netns", "add", name]).with_context(|| format!("creating netns {name}"))?;
        let ns = Netns {
            name: name.to_owned(),
        };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n <ns> <args>`, required to succeed.
    pub fn ip(&self, args: &[&str]) -> Result<String> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        cmd::ok(IP, &all)
    }

    /// Create a veth pair with both ends inside the namespace and bring both up.
    pub fn add_veth(&self, a: &str, b: &str) -> Result<()> {
        self.ip(&["link", "add", a, "type", "veth", "peer", "name", b])?;
        self.ip(&["link", "set", a, "up"])?;
        self.ip(&["link", "set", b, "up"])?;
        Ok(())
    }

    /// Add an address (`192.0.2.1/24`, `2001:db8::1/64`) to an interface in the namespace.
    pub fn add_addr(&self, dev: &str, cidr: &str) -> Result<()> {
        let mut args = vec!["addr", "add", cidr, "dev", dev];
        if cidr.contains(':') {
            args.push("nodad");
        }
        self.ip(&args).map(|_| ())
    }

    /// A command that runs `program` inside the namespace (`ip netns exec`).
    pub fn command(&self, program: &str) -> Command {
        command_in(Some(&self.name), program)
    }

    /// Run a command line inside the namespace (60 s deadline), required to succeed; stdout.
    pub fn run(&self, argv: &[&str]) -> Result<String> {
        let (program, args) = argv.split_first().context("empty command")?;
        Ok(
            cmd::run(self.command(program).args(args), Duration::from_secs(60))?
                .check()?
                .stdout,
        )
    }

    /// Run a command line inside the namespace with a deadline, whatever its exit code.
    pub fn run_any(&self, argv: &[&str], timeout: Duration) -> Result<Ran> {
        let (program, args) = argv.split_first().context("empty command")?;
        cmd::run(self.command(program).args(args), timeout)
    }

    /// Every address in the namespace, one per line (`ip -o addr`), for before/after comparisons.
    pub fn addr_snapshot(&self) -> Result<String> {
        self.ip(&["-o", "addr", "show"])
    }

    /// True when `ip` (without prefix) is on `dev`.
    pub fn has_addr(&self, dev: &str, ip: &str) -> Result<bool> {
        let out = self.ip(&["-o", "addr", "show", "dev", dev])?;
        Ok(out
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(ip)))
    }

    /// PIDs of the processes running inside the namespace.
    pub fn pids(&self) -> Result<Vec<i32>> {
        Ok(cmd::ok(IP, &["netns", "pids", &self.name])?
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect())
    }
}

/// A command that runs `program` inside the namespace named `netns` (`ip netns exec`), or on the
/// host when None.
pub fn command_in(netns: Option<&str>, program: &str) -> Command {
    match netns {
        Some(ns) => {
            let mut c = Command::new(IP);
            c.args(["netns", "exec", ns, program]);
            c
        }
        None => Command::new(program),
    }
}

/// Names of the existing namespaces.
pub fn list() -> Result<Vec<String>> {
    Ok(cmd::ok(IP, &["netns", "list"])?
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect())
}

/// Kill what runs inside `name` (only processes in that namespace, which the test started) and
/// delete it. Errors are printed, not raised: this runs in `Drop`.
fn remove(name: &str) {
    if let Ok(out) = cmd::ok(IP, &["netns", "pids", name]) {
        for pid in out.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
    if let Err(e) = cmd::ok(IP, &["netns", "del", name]) {
        eprintln!("warning: cannot delete netns {name}: {e:#}");
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        remove(&self.name);
    }
}
