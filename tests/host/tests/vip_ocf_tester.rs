//! resource-agents' ocf-tester against the installed vip agent, IPv4 and IPv6, inside a
//! namespace: no failure, and nothing left behind.

mod vip_common;

use std::time::Duration;

use anyhow::{ensure, Result};
use hasan_host_tests::cmd::require_tool;
use vip_common::{VipLab, NIC};

const OCF_TESTER: &str = "/usr/sbin/ocf-tester";

fn ocf_tester(tag: &str, ip: &str, cidr: &str) -> Result<()> {
    require_tool(OCF_TESTER)?;
    require_tool("/usr/bin/xmllint")?; // ocf-tester validates the meta-data with it
    let lab = VipLab::new(tag)?;
    let before = lab.ns.addr_snapshot()?;
    let agent = lab.agent.to_string_lossy().into_owned();
    let ip_opt = format!("ip={ip}");
    let cidr_opt = format!("cidr_netmask={cidr}");
    let nic_opt = format!("nic={NIC}");
    let ran = lab.ns.run_any(
        &[
            OCF_TESTER, "-n", "vip1", "-o", &ip_opt, "-o", &cidr_opt, "-o", &nic_opt, &agent,
        ],
        Duration::from_secs(300),
    )?;
    let out = format!("{}{}", ran.stdout, ran.stderr);
    ensure!(ran.code == Some(0), "ocf-tester failed:\n{ran}");
    ensure!(out.contains(&format!("{agent} passed all tests")), "{ran}");
    ensure!(
        !out.lines()
            .any(|l| l.starts_with("* rc=") || l.contains("Tests failed") || l.starts_with("WARN")),
        "ocf-tester reported a problem:\n{out}"
    );
    ensure!(
        lab.ns.addr_snapshot()? == before,
        "ocf-tester left addresses behind"
    );
    Ok(())
}

#[test]
fn ocf_tester_passes_ipv4() -> Result<()> {
    ocf_tester("tester4", "192.0.2.20", "24")
}

#[test]
fn ocf_tester_passes_ipv6() -> Result<()> {
    ocf_tester("tester6", "2001:db8::20", "64")
}
