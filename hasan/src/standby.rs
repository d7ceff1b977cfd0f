//! hasan-standby.service: on shutdown put this node in standby and wait, bounded, until
//! `crm_mon --output-as=xml` shows no resource active here; on boot remove that standby — only
//! if this unit set it (a marker file says so), never an operator's.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::host::Host;
use crate::xml;

/// Pacemaker's tools, by absolute path.
const CRM_NODE: &str = "/usr/sbin/crm_node";
const CRM_ATTRIBUTE: &str = "/usr/sbin/crm_attribute";
const CRM_MON: &str = "/usr/sbin/crm_mon";

/// Present while a standby set by standby-on-shutdown is in force (survives the reboot).
pub const MARKER: &str = "/var/lib/hasan/standby-on-shutdown";

/// How often crm_mon is asked.
const POLL: Duration = Duration::from_secs(2);

/// How long standby-on-shutdown waits for a controller that refuses connections (Pacemaker
/// starting, or already gone) before concluding there is nothing to move.
pub const CONTROLLER_WAIT_AT_SHUTDOWN: Duration = Duration::from_secs(30);

/// This node's cluster name from `crm_node -n`, asked again every [`POLL`] until `until` while
/// the controller does not answer: at boot the unit starts right after pacemaker.service, before
/// pacemaker-controld accepts connections ("Could not connect to controller: Connection
/// refused"). The error names the last answer.
fn node_name(host: &dyn Host, until: Instant) -> Result<String> {
    loop {
        let why = match host.run(CRM_NODE, &["-n"]) {
            Ok(n) if !n.trim().is_empty() => return Ok(n.trim().to_owned()),
            Ok(_) => "crm_node -n printed no node name".to_owned(),
            Err(e) => libocf::status::one_line(&e),
        };
        if host.now() >= until {
            bail!("cannot learn this node's cluster name: {why}");
        }
        host.sleep(POLL);
    }
}

/// The permanent `standby` attribute of `node` (`None` when unset).
fn standby(host: &dyn Host, node: &str) -> Result<Option<bool>> {
    match host.run(CRM_ATTRIBUTE, &["-N", node, "-n", "standby", "-G", "-q"]) {
        Ok(v) => Ok(Some(crate::check::is_true(&v))),
        Err(e) if e.contains("No such device") || e.contains("exit code 105") => Ok(None),
        Err(e) => bail!("cannot read the standby attribute of {node}: {e}"),
    }
}

/// The ids of the resources crm_mon shows active on `node`.
pub fn active_on(crm_mon_xml: &str, node: &str) -> Result<Vec<String>> {
    let doc = xml::parse(crm_mon_xml).context("crm_mon --output-as=xml")?;
    let mut ids: Vec<String> = doc
        .all("resource")
        .into_iter()
        .filter(|r| r.attr("active") == Some("true"))
        .filter(|r| r.kids("node").any(|n| n.attr("name") == Some(node)))
        .filter_map(|r| r.attr("id").map(str::to_owned))
        .collect();
    ids.dedup();
    Ok(ids)
}

fn crm_mon(host: &dyn Host) -> Result<String, String> {
    host.run(CRM_MON, &["-1", "--output-as=xml"])
}

/// ExecStop: standby, then wait until nothing runs here (at most `limit` in all).
pub fn on_shutdown(host: &dyn Host, limit: Duration) -> Result<()> {
    let until = host.now() + limit;
    let node = match node_name(host, host.now() + limit.min(CONTROLLER_WAIT_AT_SHUTDOWN)) {
        Ok(n) => n,
        Err(e) => {
            println!("the cluster does not answer here ({e:#}): nothing to move");
            return Ok(());
        }
    };
    if let Err(e) = crm_mon(host) {
        println!(
            "the cluster does not answer here ({}): nothing to move",
            libocf::status::one_line(&e)
        );
        return Ok(());
    }
    if standby(host, &node)? == Some(true) {
        println!("{node} is already in standby (not set by hasan-standby): waiting for its resources to leave");
    } else {
        host.write(MARKER, Some(&format!("{node}\n")))
            .map_err(anyhow::Error::msg)?;
        host.run(CRM_ATTRIBUTE, &["-N", &node, "-n", "standby", "-v", "on"])
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot put {node} in standby"))?;
        println!("standby requested for {node} by hasan-standby before Pacemaker stops");
    }
    loop {
        let left = match crm_mon(host) {
            Ok(x) => active_on(&x, &node)?,
            Err(e) => bail!(
                "crm_mon failed while waiting for the resources to leave {node}: {}",
                libocf::status::one_line(&e)
            ),
        };
        if left.is_empty() {
            println!("no resource active on {node}: Pacemaker may stop");
            return Ok(());
        }
        if host.now() >= until {
            bail!(
                "after {} s still active on {node}: {} (Pacemaker stops them itself now)",
                limit.as_secs(),
                left.join(", ")
            );
        }
        host.sleep(POLL);
    }
}

/// True when crm_mon shows a DC and `node` online: the node has joined, and a change of its
/// attributes goes into the cluster's CIB rather than a local copy the join would replace.
pub fn joined(crm_mon_xml: &str, node: &str) -> bool {
    let Ok(doc) = xml::parse(crm_mon_xml) else {
        return false;
    };
    let dc = doc
        .all("current_dc")
        .iter()
        .any(|d| d.attr("present") == Some("true"));
    let online = doc
        .all("node")
        .iter()
        .any(|n| n.attr("name") == Some(node) && n.attr("online") == Some("true"));
    dc && online
}

/// ExecStart: remove the standby that on_shutdown set, once the controller answers and this node
/// has joined (at most `limit` in all).
pub fn on_boot(host: &dyn Host, limit: Duration) -> Result<()> {
    let Some(marked) = host.read(MARKER) else {
        println!("no standby set by hasan-standby: leaving this node as it is");
        return Ok(());
    };
    let until = host.now() + limit;
    let node = node_name(host, until).with_context(|| {
        format!(
            "the cluster did not answer within {} s: this node stays in standby; remove it with \
             pcs node unstandby {}",
            limit.as_secs(),
            marked.trim()
        )
    })?;
    if marked.trim() != node {
        println!(
            "the standby marker names {} (not {node}): removing only the marker",
            marked.trim()
        );
        return host.write(MARKER, None).map_err(anyhow::Error::msg);
    }
    loop {
        let why = match crm_mon(host) {
            Ok(x) if joined(&x, &node) => break,
            Ok(_) => format!("{node} has not joined a cluster with a DC"),
            Err(e) => libocf::status::one_line(&e),
        };
        if host.now() >= until {
            bail!(
                "the cluster did not answer within {} s ({why}): {node} stays in standby; remove it with pcs node unstandby {node}",
                limit.as_secs()
            );
        }
        host.sleep(POLL);
    }
    if standby(host, &node)? == Some(true) {
        host.run(CRM_ATTRIBUTE, &["-N", &node, "-n", "standby", "-D"])
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot remove the standby of {node}"))?;
        println!("standby of {node} removed (set by hasan-standby at shutdown)");
    } else {
        println!("{node} is no longer in standby: nothing to remove");
    }
    host.write(MARKER, None).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::FakeHost;

    const GET: &str = "/usr/sbin/crm_attribute -N node1 -n standby -G -q";
    const SET: &str = "/usr/sbin/crm_attribute -N node1 -n standby -v on";
    const DEL: &str = "/usr/sbin/crm_attribute -N node1 -n standby -D";
    const MON: &str = "/usr/sbin/crm_mon -1 --output-as=xml";

    /// `crm_mon -1 --output-as=xml` recorded on node1 in the lab (scenario 60): node1 is the DC,
    /// fence-node2 and the SAN group (san-pool, san-ip) run on it, fence-node1 on node2.
    fn recorded() -> String {
        crate::lab_fixtures::text("crm_mon_-1_--output-as_xml.txt")
    }

    /// crm_mon answering before this node has joined: no DC, node1 not online.
    const NOT_JOINED: &str = r#"<pacemaker-result><summary><current_dc present="false"/></summary><nodes><node name="node1" online="false"/></nodes><resources/></pacemaker-result>"#;

    #[test]
    fn the_recorded_crm_mon_shows_what_runs_where() {
        assert_eq!(
            active_on(&recorded(), "node1").unwrap(),
            ["fence-node2", "san-pool", "san-ip"]
        );
        assert_eq!(active_on(&recorded(), "node2").unwrap(), ["fence-node1"]);
        assert!(joined(&recorded(), "node1"));
        assert!(!joined(NOT_JOINED, "node1"));
        assert!(!joined(&recorded(), "node3"));
    }

    fn host() -> FakeHost {
        FakeHost::new().answer("/usr/sbin/crm_node -n", Ok("node1\n"))
    }

    #[test]
    fn shutdown_waits_until_nothing_runs_here_and_marks_its_standby() {
        let h = host()
            .answer(
                GET,
                Err("crm_attribute failed (exit code 105): No such device or address"),
            )
            .answer(SET, Ok(""))
            .answer(MON, Ok(&recorded()))
            .answer(MON, Ok(&recorded()))
            .answer(MON, Ok(&recorded()))
            .answer(
                MON,
                Ok(r#"<pacemaker-result><resources/></pacemaker-result>"#),
            );
        on_shutdown(&h, Duration::from_secs(60)).unwrap();
        assert!(h.ran.borrow().contains(&SET.to_owned()));
        assert_eq!(h.read(MARKER).as_deref(), Some("node1\n"));
        assert!(h.slept.get() > 0);
    }

    #[test]
    fn shutdown_gives_up_at_the_limit_naming_what_is_left() {
        let h = host()
            .answer(GET, Ok("off"))
            .answer(SET, Ok(""))
            .answer(MON, Ok(&recorded()));
        let e = on_shutdown(&h, Duration::from_secs(10)).unwrap_err();
        assert!(
            format!("{e}").contains("still active on node1: fence-node2, san-pool, san-ip"),
            "{e}"
        );
        assert!(
            h.slept.get() >= 10 && h.slept.get() < 20,
            "{}",
            h.slept.get()
        );
    }

    #[test]
    fn an_operators_standby_is_not_marked_and_not_removed() {
        let h = host()
            .answer(GET, Ok("on"))
            .answer(MON, Ok("<pacemaker-result><resources/></pacemaker-result>"));
        on_shutdown(&h, Duration::from_secs(10)).unwrap();
        assert!(!h.ran.borrow().contains(&SET.to_owned()));
        assert_eq!(h.read(MARKER), None);
        on_boot(&h, Duration::from_secs(10)).unwrap();
        assert!(
            !h.ran.borrow().contains(&DEL.to_owned()),
            "{:?}",
            h.ran.borrow()
        );
    }

    #[test]
    fn boot_removes_its_own_standby_once_the_cluster_answers() {
        let h = host()
            .file(MARKER, "node1\n")
            .answer(MON, Err("crm_mon failed (exit code 102): Not connected"))
            .answer(MON, Ok(NOT_JOINED))
            .answer(MON, Ok(&recorded()))
            .answer(GET, Ok("on"))
            .answer(DEL, Ok(""));
        on_boot(&h, Duration::from_secs(60)).unwrap();
        assert!(h.ran.borrow().contains(&DEL.to_owned()));
        assert_eq!(h.read(MARKER), None);
    }

    /// The lab's boot (scenario 60): the unit starts right after pacemaker.service, before the
    /// controller accepts connections, so the first `crm_node -n` calls are refused.
    #[test]
    fn boot_waits_for_the_controller_before_removing_its_own_standby() {
        const REFUSED: &str = "/usr/sbin/crm_node -n failed (exit code 102): error: Could not connect to controller: Connection refused";
        let h = FakeHost::new()
            .file(MARKER, "node1\n")
            .answer("/usr/sbin/crm_node -n", Err(REFUSED))
            .answer("/usr/sbin/crm_node -n", Err(REFUSED))
            .answer("/usr/sbin/crm_node -n", Err(REFUSED))
            .answer("/usr/sbin/crm_node -n", Ok("node1\n"))
            .answer(MON, Ok(&recorded()))
            .answer(GET, Ok("on"))
            .answer(DEL, Ok(""));
        on_boot(&h, Duration::from_secs(300)).unwrap();
        assert!(
            h.ran.borrow().contains(&DEL.to_owned()),
            "{:?}",
            h.ran.borrow()
        );
        assert_eq!(h.read(MARKER), None);
    }

    #[test]
    fn a_controller_that_never_answers_at_boot_leaves_the_standby_and_says_so() {
        let h = FakeHost::new().file(MARKER, "node1\n").answer(
            "/usr/sbin/crm_node -n",
            Err("/usr/sbin/crm_node -n failed (exit code 102): error: Could not connect to controller: Connection refused"),
        );
        let e = format!("{:#}", on_boot(&h, Duration::from_secs(20)).unwrap_err());
        assert!(e.contains("pcs node unstandby node1"), "{e}");
        assert!(e.contains("Connection refused"), "{e}");
        assert_eq!(h.read(MARKER).as_deref(), Some("node1\n"));
        assert!(!h.ran.borrow().iter().any(|c| c.contains("crm_attribute")));
    }

    #[test]
    fn shutdown_waits_for_a_controller_that_is_still_starting() {
        let h = FakeHost::new()
            .answer(
                "/usr/sbin/crm_node -n",
                Err("Could not connect to controller: Connection refused"),
            )
            .answer("/usr/sbin/crm_node -n", Ok("node1\n"))
            .answer(GET, Ok("off"))
            .answer(SET, Ok(""))
            .answer(
                MON,
                Ok(r#"<pacemaker-result><resources/></pacemaker-result>"#),
            );
        on_shutdown(&h, Duration::from_secs(300)).unwrap();
        assert!(h.ran.borrow().contains(&SET.to_owned()));
        assert_eq!(h.read(MARKER).as_deref(), Some("node1\n"));
    }

    #[test]
    fn shutdown_without_a_controller_moves_nothing_and_does_not_hold_the_shutdown_long() {
        let h = FakeHost::new().answer(
            "/usr/sbin/crm_node -n",
            Err("Could not connect to controller: Connection refused"),
        );
        on_shutdown(&h, Duration::from_secs(300)).unwrap();
        assert!(!h.ran.borrow().iter().any(|c| c.contains("crm_attribute")));
        assert_eq!(h.read(MARKER), None);
        assert!(
            h.slept.get() <= CONTROLLER_WAIT_AT_SHUTDOWN.as_secs() + 2,
            "{}",
            h.slept.get()
        );
    }

    #[test]
    fn a_cluster_that_never_answers_leaves_the_standby_and_says_so() {
        let h = host()
            .file(MARKER, "node1\n")
            .answer(MON, Err("Not connected"));
        let e = on_boot(&h, Duration::from_secs(6)).unwrap_err();
        assert!(format!("{e}").contains("pcs node unstandby node1"), "{e}");
        assert_eq!(h.read(MARKER).as_deref(), Some("node1\n"));
    }
}
