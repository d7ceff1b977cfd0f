//! A one-node Pacemaker inside the test namespace runs a vip resource created with pcs: it starts
//! it, its recurring monitor notices when the address is taken away (and Pacemaker recovers
//! it), and it stops it.

mod vip_common;

use std::time::Duration;

use anyhow::{ensure, Result};
use hasan_host_tests::cmd;
use hasan_host_tests::pacemaker::{ClusterOptions, Pacemaker};
use vip_common::{VipLab, NIC};

const VIP: &str = "192.0.2.50";

#[test]
fn pacemaker_starts_monitors_and_stops_a_vip() -> Result<()> {
    let lab = VipLab::new("pcmk")?;
    let cluster = Pacemaker::start(
        Some(&lab.ns),
        ClusterOptions {
            cluster_name: "hasanvip".into(),
            ..ClusterOptions::default()
        },
    )?;
    cluster.pcs(&[
        "resource",
        "create",
        "vip1",
        "ocf:hasan:vip",
        &format!("ip={VIP}"),
        "cidr_netmask=24",
        &format!("nic={NIC}"),
        "arp_count=2",
        "op",
        "monitor",
        "interval=2s",
    ])?;
    cluster.wait_resource("vip1", "Started", Duration::from_secs(60))?;
    ensure!(
        lab.has_vip(VIP)?,
        "{VIP} not on {NIC} although crm_mon says Started"
    );
    ensure!(
        cluster.failures()?.is_empty(),
        "failed actions: {}",
        cluster.failures()?
    );

    // Take the address away behind Pacemaker's back: the recurring monitor must see it (rc 7)
    // and Pacemaker must put it back.
    lab.ns
        .ip(&["addr", "del", &format!("{VIP}/24"), "dev", NIC])?;
    let failure = cmd::wait_for(
        "the monitor to report the address gone",
        Duration::from_secs(60),
        || {
            let f = cluster.failures()?;
            Ok((f.contains("vip1_monitor_2000")
                && f.contains("exitreason=\"192.0.2.50 is not on vip0\""))
            .then_some(f))
        },
    )?;
    ensure!(failure.contains("exitstatus=\"not running\""), "{failure}");
    cmd::wait_for(
        "Pacemaker to restore the address",
        Duration::from_secs(60),
        || Ok(lab.has_vip(VIP)?.then_some(())),
    )?;
    cluster.wait_resource("vip1", "Started", Duration::from_secs(60))?;

    cluster.pcs(&["resource", "disable", "vip1", "--wait=60"])?;
    cluster.wait_resource("vip1", "Stopped", Duration::from_secs(60))?;
    ensure!(
        !lab.has_vip(VIP)?,
        "{VIP} still on {NIC} after pcs resource disable"
    );
    cluster.stop()?;
    Ok(())
}
