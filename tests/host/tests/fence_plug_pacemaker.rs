//! Pacemaker fences through fence_hasan_plug and fence_kasa: a one-node corosync/Pacemaker in a
//! network namespace, plug emulators on that namespace's loopback, stonith devices made with
//! `pcs stonith create` (the password reaches the agent on stdin), and `stonith_admin --reboot`
//! and `--fence` switching the emulated plugs.

mod plug_support;

use std::time::Duration;

use anyhow::{ensure, Result};
use hasan_host_tests::netns::Netns;
use hasan_host_tests::pacemaker::{ClusterOptions, Pacemaker};
use plug_support::{need, EmuSpec, KASA, PASSWORD, PLUG};

#[test]
fn pacemaker_fences_through_emulated_plugs() -> Result<()> {
    need(PLUG);
    need(KASA);
    need("/usr/sbin/stonith_admin");
    let ns = Netns::create("hasan-plug-pcmk")?;
    let shelly = EmuSpec::new("shelly2").netns(ns.name()).start();
    let strip = EmuSpec::new("kasa").relays(3).netns(ns.name()).start();
    let cluster = Pacemaker::start(Some(&ns), ClusterOptions::fencing("hasanplug"))?;
    cluster.pcs(&[
        "stonith",
        "create",
        "fence-shelly",
        "fence_hasan_plug",
        "plug_type=shelly2",
        "ip=127.0.0.1",
        &format!("ipport={}", shelly.port),
        &format!("password={PASSWORD}"),
        "plug=0",
        "pcmk_host_list=plugtarget1",
        "op",
        "monitor",
        "interval=10s",
    ])?;
    cluster.pcs(&[
        "stonith",
        "create",
        "fence-strip",
        "fence_kasa",
        "ip=127.0.0.1",
        &format!("ipport={}", strip.port),
        "plug=node2",
        "pcmk_host_list=plugtarget2",
        "op",
        "monitor",
        "interval=10s",
    ])?;
    for dev in ["fence-shelly", "fence-strip"] {
        cluster.wait_resource(dev, "Started", Duration::from_secs(60))?;
    }
    cluster.check_no_failures()?;

    cluster.stonith_admin(&["--reboot", "plugtarget1"])?;
    ensure!(
        shelly.journal() == ["0 off", "0 on"],
        "shelly journal {:?}",
        shelly.journal()
    );
    cluster.stonith_admin(&["--fence", "plugtarget2"])?;
    ensure!(
        strip.journal() == ["1 off"],
        "strip journal {:?}",
        strip.journal()
    );
    ensure!(shelly.journal().len() == 2, "the other plug was touched");

    let history = cluster.run(&["/usr/sbin/stonith_admin", "--history", "*", "--verbose"])?;
    ensure!(history.contains("of plugtarget1 successful"), "{history}");
    ensure!(history.contains("of plugtarget2 successful"), "{history}");
    ensure!(!history.contains("failed"), "{history}");
    cluster.stop()?;
    Ok(())
}
