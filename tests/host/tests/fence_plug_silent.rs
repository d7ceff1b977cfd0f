//! verify_silent: after power off is confirmed the agent watches the node's addresses and fails
//! the fence when one answers. A "fencer" namespace (agent and plug emulator) and a "node"
//! namespace joined by a veth pair: the node's address answers (the plug fed something else), an
//! address nobody owns stays silent.

mod plug_support;

use anyhow::{ensure, Result};
use hasan_host_tests::netns::Netns;
use plug_support::{run_in, EmuSpec, PLUG};

#[test]
fn verify_silent_fails_for_an_answering_node_and_passes_for_a_silent_one() -> Result<()> {
    let fencer = Netns::create("hasan-plug-fencer")?;
    let node = Netns::create("hasan-plug-node")?;
    fencer.add_veth("fen0", "node0")?;
    fencer.ip(&["link", "set", "node0", "netns", node.name()])?;
    node.ip(&["link", "set", "node0", "up"])?;
    fencer.add_addr("fen0", "198.51.100.1/24")?;
    node.add_addr("node0", "198.51.100.2/24")?;
    let ns = Some(fencer.name());

    for (probe, kind) in [
        ("198.51.100.2", "ICMP echo"),
        ("198.51.100.2:22", "TCP connect"),
    ] {
        let emu = EmuSpec::new("tasmota").netns(fencer.name()).start();
        let stdin = emu.stdin("off", &format!("verify_silent={probe}\nsilent_timeout=2\n"));
        let r = run_in(ns, PLUG, &stdin, &[]);
        ensure!(r.code == 1, "{probe}: {r:?}");
        let errors = r.errors();
        ensure!(errors.len() == 1, "{r:?}");
        ensure!(
            errors[0].contains("198.51.100.2")
                && errors[0].contains(kind)
                && errors[0].contains("still answers"),
            "{}",
            errors[0]
        );
        // The plug did switch: it is the node that did not go away.
        ensure!(emu.journal() == ["0 off"], "{:?}", emu.journal());
    }

    // Nobody owns .3: silent, the fence succeeds (also a reboot, which checks between off and on).
    let emu = EmuSpec::new("tasmota").netns(fencer.name()).start();
    let r = run_in(
        ns,
        PLUG,
        &emu.stdin(
            "off",
            "verify_silent=198.51.100.3 198.51.100.4:22\nsilent_timeout=1\n",
        ),
        &[],
    );
    ensure!(r.code == 0, "{r:?}");
    ensure!(run_in(ns, PLUG, &emu.stdin("on", ""), &[]).code == 0);
    let r = run_in(
        ns,
        PLUG,
        &emu.stdin("reboot", "verify_silent=198.51.100.3\nsilent_timeout=1\n"),
        &[],
    );
    ensure!(r.code == 0, "{r:?}");
    ensure!(
        emu.journal() == ["0 off", "0 on", "0 off", "0 on"],
        "{:?}",
        emu.journal()
    );
    // A reboot whose node still answers fails and leaves the plug off.
    let r = run_in(
        ns,
        PLUG,
        &emu.stdin("reboot", "verify_silent=198.51.100.2\nsilent_timeout=1\n"),
        &[],
    );
    ensure!(r.code == 1 && r.errors().len() == 1, "{r:?}");
    ensure!(
        emu.journal().last().map(String::as_str) == Some("0 off"),
        "{:?}",
        emu.journal()
    );
    // Off by default: the answering node does not matter without verify_silent.
    ensure!(run_in(ns, PLUG, &emu.stdin("on", ""), &[]).code == 0);
    let r = run_in(ns, PLUG, &emu.stdin("off", ""), &[]);
    ensure!(r.code == 0, "{r:?}");
    Ok(())
}
