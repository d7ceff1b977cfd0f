//! ocf:hasan:vip on a veth pair in a network namespace: the address appears and disappears, the
//! neighbour sees the announcements, monitor follows the link and forks nothing, conflicts are
//! refused without change.

mod vip_common;

use std::time::Duration;

use anyhow::{ensure, Result};
use hasan_host_tests::cmd::require_tool;
use vip_common::{Capture, VipLab, NIC, PEER};

const RECURRING: u64 = 10_000;

#[test]
fn ipv4_vip_appears_is_announced_and_disappears() -> Result<()> {
    let lab = VipLab::new("v4")?;
    let p = [
        ("ip", "192.0.2.10"),
        ("cidr_netmask", "24"),
        ("nic", NIC),
        ("label", "vip0:svc"),
        ("arp_count", "3"),
        ("arp_interval", "100"),
    ];
    lab.call("monitor", &p).run()?.expect_code(7)?;
    ensure!(!lab.has_vip("192.0.2.10")?);

    let cap = Capture::start(&lab, PEER, "arp")?;
    lab.call("start", &p).run()?.expect_code(0)?;
    let packets = cap.finish()?;
    ensure!(
        lab.has_vip("192.0.2.10")?,
        "192.0.2.10 not on {NIC} after start"
    );
    let addr = lab.ns.ip(&["-o", "-4", "addr", "show", "dev", NIC])?;
    ensure!(
        addr.contains("192.0.2.10/24") && addr.contains("vip0:svc"),
        "{addr}"
    );
    let announcements = packets
        .lines()
        .filter(|l| l.contains("Request who-has 192.0.2.10 tell 192.0.2.10"))
        .count();
    ensure!(
        announcements == 3,
        "expected 3 gratuitous ARPs on {PEER}, saw:\n{packets}"
    );

    lab.call("monitor", &p)
        .interval_ms(RECURRING)
        .run()?
        .expect_code(0)?;
    lab.call("start", &p).run()?.expect_code(0)?; // idempotent
    lab.call("stop", &p).run()?.expect_code(0)?;
    ensure!(
        !lab.has_vip("192.0.2.10")?,
        "192.0.2.10 still on {NIC} after stop"
    );
    lab.call("stop", &p).run()?.expect_code(0)?; // idempotent
    lab.call("monitor", &p)
        .interval_ms(RECURRING)
        .run()?
        .expect_code(7)?;
    Ok(())
}

#[test]
fn ipv6_vip_appears_is_advertised_and_disappears() -> Result<()> {
    let lab = VipLab::new("v6")?;
    let p = [
        ("ip", "2001:db8::10"),
        ("cidr_netmask", "64"),
        ("nic", NIC),
        ("arp_count", "4"),
        ("arp_interval", "50"),
    ];
    let cap = Capture::start(&lab, PEER, "icmp6")?;
    lab.call("start", &p).run()?.expect_code(0)?;
    let packets = cap.finish()?;
    ensure!(lab.has_vip("2001:db8::10")?);
    let adverts = packets
        .lines()
        .filter(|l| {
            l.contains("2001:db8::10 > ff02::1: [icmp6 sum ok] ICMP6, neighbor advertisement")
                && l.contains("tgt is 2001:db8::10, Flags [override]")
        })
        .count();
    ensure!(
        adverts == 4,
        "expected 4 unsolicited NAs with a correct checksum, saw:\n{packets}"
    );
    lab.call("monitor", &p)
        .interval_ms(RECURRING)
        .run()?
        .expect_code(0)?;
    lab.call("stop", &p).run()?.expect_code(0)?;
    ensure!(!lab.has_vip("2001:db8::10")?);
    Ok(())
}

#[test]
fn monitor_fails_when_the_link_loses_carrier() -> Result<()> {
    let lab = VipLab::new("carrier")?;
    let p = [("ip", "192.0.2.11"), ("nic", NIC), ("arp_count", "0")];
    lab.call("start", &p).run()?.expect_code(0)?;
    lab.ns.ip(&["link", "set", PEER, "down"])?;
    let r = lab
        .call("monitor", &p)
        .interval_ms(RECURRING)
        .run()?
        .expect_code(1)?;
    ensure!(
        r.exit_reasons() == ["192.0.2.11 is configured but vip0 has no carrier"],
        "{r}"
    );
    lab.ns.ip(&["link", "set", PEER, "up"])?;
    lab.call("monitor", &p)
        .interval_ms(RECURRING)
        .run()?
        .expect_code(0)?;
    lab.call("stop", &p).run()?.expect_code(0)?;
    Ok(())
}

#[test]
fn an_address_with_another_prefix_is_refused_and_stop_removes_it() -> Result<()> {
    let lab = VipLab::new("prefix")?;
    lab.ns.add_addr(NIC, "192.0.2.12/32")?;
    let p = [("ip", "192.0.2.12"), ("cidr_netmask", "24"), ("nic", NIC)];
    let before = lab.ns.addr_snapshot()?;
    let r = lab.call("start", &p).run()?.expect_code(1)?;
    ensure!(
        r.exit_reasons().len() == 1
            && r.exit_reasons()[0].contains("as /32 but cidr_netmask is 24"),
        "{r}"
    );
    ensure!(
        lab.ns.addr_snapshot()? == before,
        "start changed the namespace"
    );
    lab.call("stop", &p).run()?.expect_code(0)?;
    ensure!(!lab.has_vip("192.0.2.12")?);
    Ok(())
}

#[test]
fn monitor_forks_no_process() -> Result<()> {
    const STRACE: &str = "/usr/bin/strace";
    require_tool(STRACE)?;
    let lab = VipLab::new("nofork")?;
    let p = [("ip", "192.0.2.13"), ("nic", NIC), ("arp_count", "0")];
    lab.call("start", &p).run()?.expect_code(0)?;
    let log = tempfile::NamedTempFile::new()?;
    // The same call as Pacemaker's, with strace between `ip netns exec <ns>` and the agent.
    let call = lab.call("monitor", &p).interval_ms(RECURRING).command();
    let argv: Vec<_> = call.get_args().map(|a| a.to_owned()).collect();
    let (netns_exec, agent_and_action) = argv.split_at(3);
    let mut traced = std::process::Command::new(call.get_program());
    traced.args(netns_exec).arg(STRACE).args([
        "-f",
        "-qq",
        "-e",
        "trace=fork,vfork,clone,clone3,execve",
        "-o",
    ]);
    traced.arg(log.path()).args(agent_and_action).env_clear();
    for (k, v) in call.get_envs() {
        if let Some(v) = v {
            traced.env(k, v);
        }
    }
    let ran = hasan_host_tests::cmd::run(&mut traced, Duration::from_secs(30))?;
    ensure!(ran.code == Some(0), "{ran}");
    let trace = std::fs::read_to_string(log.path())?;
    let forks: Vec<&str> = trace
        .lines()
        .filter(|l| {
            ["fork(", "vfork(", "clone(", "clone3("]
                .iter()
                .any(|s| l.contains(s))
        })
        .collect();
    ensure!(forks.is_empty(), "monitor forked: {forks:?}");
    let execs = trace.lines().filter(|l| l.contains("execve(")).count();
    ensure!(execs == 1, "monitor ran other programs:\n{trace}");
    lab.call("stop", &p).run()?.expect_code(0)?;
    Ok(())
}
