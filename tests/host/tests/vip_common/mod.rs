//! Fixtures shared by the vip host tests: a namespace with a veth pair (`vip0` for the agent,
//! `vippeer` for the neighbour), the installed agent run inside it, and packet captures.
#![allow(dead_code)] // each test binary uses a different part

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use hasan_host_tests::agents::{installed, OcfCall};
use hasan_host_tests::cmd::{self, require_tool};
use hasan_host_tests::netns::Netns;

/// The agent's interface.
pub const NIC: &str = "vip0";
/// The neighbour's end of the veth pair.
pub const PEER: &str = "vippeer";
/// The neighbour's addresses (the VIPs used are in the same subnets).
pub const PEER_V4: &str = "192.0.2.1/24";
/// IPv6 neighbour address.
pub const PEER_V6: &str = "2001:db8::1/64";
/// tcpdump.
pub const TCPDUMP: &str = "/usr/bin/tcpdump";

/// A namespace `hasan-vip-<tag>` with the veth pair up and the neighbour addressed.
#[derive(Debug)]
pub struct VipLab {
    /// The namespace (dropped last: it kills what still runs inside).
    pub ns: Netns,
    /// The installed agent.
    pub agent: PathBuf,
}

impl VipLab {
    /// Build the lab.
    pub fn new(tag: &str) -> Result<VipLab> {
        hasan_host_tests::require_root()?;
        let agent = installed("vip")?;
        let ns = Netns::create(&format!("hasan-vip-{tag}"))?;
        // No duplicate address detection: link-local addresses are final at once, so address
        // snapshots taken before and after an action are comparable.
        ns.run(&[
            "/usr/sbin/sysctl",
            "-qw",
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
        ])?;
        ns.add_veth(NIC, PEER)?;
        ns.add_addr(PEER, PEER_V4)?;
        ns.add_addr(PEER, PEER_V6)?;
        Ok(VipLab { ns, agent })
    }

    /// An agent call inside the namespace with these parameters.
    pub fn call(&self, action: &str, params: &[(&str, &str)]) -> OcfCall {
        OcfCall::new(&self.agent, action)
            .params(params)
            .in_netns(&self.ns)
    }

    /// True when `ip` is on the agent's interface (checked with `ip -n … addr`).
    pub fn has_vip(&self, ip: &str) -> Result<bool> {
        self.ns.has_addr(NIC, ip)
    }
}

/// A tcpdump running on the neighbour's end of the pair, writing to a file.
#[derive(Debug)]
pub struct Capture {
    child: Child,
    file: tempfile::NamedTempFile,
}

impl Capture {
    /// Start capturing `filter` on `dev` inside `lab`'s namespace; returns once tcpdump listens.
    pub fn start(lab: &VipLab, dev: &str, filter: &str) -> Result<Capture> {
        require_tool(TCPDUMP)?;
        let file = tempfile::Builder::new()
            .prefix("hasan-vip-cap")
            .suffix(".pcap")
            .tempfile()?;
        let path = file.path().to_string_lossy().into_owned();
        let child = lab
            .ns
            .command(TCPDUMP)
            .args([
                "-Z",
                "root",
                "--immediate-mode",
                "-U",
                "-nn",
                "-i",
                dev,
                "-w",
                &path,
                filter,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting tcpdump")?;
        let cap = Capture { child, file };
        // The pcap file header (24 bytes) is written once the capture is open.
        cmd::wait_for("tcpdump to listen", Duration::from_secs(10), || {
            Ok((std::fs::metadata(cap.file.path())?.len() >= 24).then_some(()))
        })?;
        Ok(cap)
    }

    /// Stop the capture and return the packets, decoded verbosely (`tcpdump -vv -r`).
    pub fn finish(mut self) -> Result<String> {
        // Let the last frames reach the capture before stopping it.
        std::thread::sleep(Duration::from_millis(300));
        if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(rustix_pid) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        let _ = self.child.wait();
        let ran = cmd::run(
            std::process::Command::new(TCPDUMP)
                .args(["-nn", "-vv", "-r"])
                .arg(self.file.path()),
            Duration::from_secs(30),
        )?
        .check()?;
        Ok(ran.stdout)
    }
}

fn rustix_pid(raw: i32) -> Option<rustix::process::Pid> {
    rustix::process::Pid::from_raw(raw)
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
