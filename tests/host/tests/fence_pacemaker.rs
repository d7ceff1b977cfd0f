//! Pacemaker itself fences through fence_hasan_ipmi: a one-node corosync/Pacemaker in a network
//! namespace, an ipmi_sim BMC on that namespace's loopback whose power is a real process, a
//! stonith device created with `pcs stonith create` (password passed by Pacemaker on stdin), and
//! `stonith_admin --reboot/--fence/--unfence` against the BMC's machine.

mod fence_support;

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fence_support::{need, IpmiSim, AGENT, PASSWORD, USER};
use hasan_host_tests::cmd;
use hasan_host_tests::netns::Netns;
use hasan_host_tests::pacemaker::{ClusterOptions, Pacemaker};

const PORT: u16 = 16440;
/// The node the device fences (the BMC's machine; not a cluster member).
const TARGET: &str = "ipmitarget";

#[test]
fn pacemaker_fences_through_fence_hasan_ipmi() -> Result<()> {
    need(AGENT);
    need("/usr/sbin/stonith_admin");
    // Dropped in reverse order: cluster, then BMC, then namespace.
    let ns = Netns::create("hasan-fence-pcmk")?;
    let sim = IpmiSim::start_in(PORT, Some(ns.name()));
    let out = sim.ipmitool(&["chassis", "power", "on"]);
    ensure!(out.status.success(), "ipmitool power on: {out:?}");
    let first = cmd::wait_for("the machine to start", Duration::from_secs(10), || {
        Ok(sim.machine())
    })?;

    let cluster = Pacemaker::start(Some(&ns), ClusterOptions::fencing("hasanfence"))?;
    cluster.pcs(&[
        "stonith",
        "create",
        "fence-target",
        "fence_hasan_ipmi",
        "ip=127.0.0.1",
        &format!("ipport={PORT}"),
        &format!("username={USER}"),
        &format!("password={PASSWORD}"),
        "cipher=3",
        &format!("pcmk_host_list={TARGET}"),
        // The identity check with what Pacemaker really sends (port/plug and nodename).
        &format!("nodes={TARGET}"),
        "op",
        "monitor",
        "interval=10s",
    ])?;
    cluster.wait_resource("fence-target", "Started", Duration::from_secs(60))?;
    cluster.check_no_failures()?;

    // Reboot: the machine process is killed and a new one started.
    cluster.stonith_admin(&["--reboot", TARGET])?;
    let second = sim
        .machine()
        .context("machine off after stonith_admin --reboot")?;
    ensure!(
        second != first,
        "reboot did not restart the machine (pid {first})"
    );

    // Fence (off): the machine is gone.
    cluster.stonith_admin(&["--fence", TARGET])?;
    ensure!(
        sim.machine().is_none(),
        "machine still running after stonith_admin --fence"
    );

    // Unfence (on): it runs again.
    cluster.stonith_admin(&["--unfence", TARGET])?;
    ensure!(
        sim.machine().is_some(),
        "machine not running after stonith_admin --unfence"
    );

    let history = cluster.run(&["/usr/sbin/stonith_admin", "--history", TARGET, "--verbose"])?;
    ensure!(history.contains("of ipmitarget successful"), "{history}");
    ensure!(!history.contains("failed"), "{history}");
    cluster.check_no_failures()?;
    cluster.stop()?;
    Ok(())
}
