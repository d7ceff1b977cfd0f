//! Every check on node1's outputs recorded in the lab on the configured SAN of
//! tests/lab/scenarios/60-hasan-operator (tests/fixtures/lab: `cibadmin --query`,
//! `corosync-cmapctl`, `zpool get`, `zpool status -P`, and `hasan check`'s own output there), then
//! each check's FAIL provoked by changing one output the way a misconfigured cluster shows it.

use super::*;
use crate::host::fake::FakeHost;

use crate::lab_fixtures::text as fixture;

const CIB: &str = "/usr/sbin/cibadmin --query";
const CMAP: &str = "/usr/sbin/corosync-cmapctl";
const ZGET: &str = "/usr/sbin/zpool get -H -p -o property,value multihost,cachefile labpool";
const ZSTATUS: &str = "/usr/sbin/zpool status -P labpool";
const CACHE: &str = "/usr/bin/systemctl show -p UnitFileState --value zfs-import-cache.service";
const SCAN: &str = "/usr/bin/systemctl show -p UnitFileState --value zfs-import-scan.service";
const SESSIONS: &str = "/usr/bin/iscsiadm -m session";
const RECORDS: &str = "/usr/bin/iscsiadm -m node -o show";

/// node1 as recorded, with `change(command, output) -> output` applied to each output.
fn node1_with(change: impl Fn(&str, String) -> Result<String, String>) -> FakeHost {
    let ok = |c: &str, s: String| change(c, s);
    let mut h = FakeHost::new()
        .file("/sys/module/spl/parameters/spl_hostid", "0\n")
        .file("/proc/spl/kstat/zfs/labpool/state", "ONLINE\n");
    h.binary
        .borrow_mut()
        .insert("/etc/hostid".into(), vec![0x0b, 0x00, 0x77, 0x0a]);
    for (cmd, out) in [
        ("/usr/sbin/crm_node -n", "node1\n".to_owned()),
        (CIB, fixture("cibadmin_--query.txt")),
        (CMAP, fixture("corosync-cmapctl.txt")),
        (
            ZGET,
            fixture("zpool_get_-H_-p_-o_property_value_multihost_cachefile_labpool.txt"),
        ),
        (ZSTATUS, fixture("zpool_status_-P_labpool.txt")),
        (CACHE, "disabled\n".to_owned()),
        (SCAN, "disabled\n".to_owned()),
        (
            "/usr/sbin/crm_resource --validate -r san-pool",
            String::new(),
        ),
        ("/usr/sbin/crm_resource --validate -r san-ip", String::new()),
        (SESSIONS, String::new()),
        (RECORDS, String::new()),
    ] {
        let answer = ok(cmd, out);
        h = h.answer(cmd, answer.as_deref().map_err(|e| e.as_str()));
    }
    h
}

fn configured() -> FakeHost {
    node1_with(|c, s| {
        if c == SESSIONS {
            Err("iscsiadm failed (exit code 21): iscsiadm: No active sessions.".into())
        } else {
            Ok(s)
        }
    })
}

fn replace(cmd: &'static str, from: &'static str, to: &'static str) -> FakeHost {
    node1_with(move |c, s| {
        if c == SESSIONS && cmd != SESSIONS {
            return Err("iscsiadm failed (exit code 21): iscsiadm: No active sessions.".into());
        }
        if c == cmd {
            assert!(s.contains(from), "{cmd}: the fixture has no {from:?}");
            Ok(s.replace(from, to))
        } else {
            Ok(s)
        }
    })
}

fn fails(h: &FakeHost, check: &str) -> Finding {
    let r = run_all(h);
    assert_eq!(r.exit_code(), 2, "{}", render(&r));
    let f = r
        .findings
        .iter()
        .find(|f| f.check == check && f.level == Level::Fail)
        .unwrap_or_else(|| panic!("no FAIL of {check}:\n{}", render(&r)));
    assert!(f.fix.as_deref().is_some_and(|x| !x.is_empty()), "{f:?}");
    f.clone()
}

#[test]
fn the_configured_lab_san_passes_every_check() {
    let r = run_all(&configured());
    let text = render(&r);
    assert_eq!(r.exit_code(), 0, "{text}");
    for (name, _) in CHECKS {
        assert!(
            r.findings.iter().any(|f| f.check == *name),
            "{name} missing:\n{text}"
        );
    }
    assert!(
        text.contains("PASS  fence-devices    node1 is fenced by fence-node1"),
        "{text}"
    );
    assert!(text.contains("SKIP  iscsi-sessions"), "{text}");
    assert!(
        text.contains("PASS  start-timeout    san-pool: start timeout 300 s covers it: an import after a crash of the other node may wait 70 s"),
        "{text}"
    );
    assert!(
        text.ends_with("node1: 15 pass, 0 warn, 0 fail, 1 skipped\n"),
        "{text}"
    );
}

#[test]
fn the_lab_output_is_reproduced_from_the_recorded_outputs() {
    // check-configured.txt is what `hasan check` printed on node1 in the lab; every finding line
    // of it comes out the same from the outputs recorded at the same moment (the lab's binary
    // predates the start-timeout check, hence only the findings, not the count)
    let text = render(&run_all(&configured()));
    let lab = fixture("check-configured.txt");
    let findings: Vec<&str> = lab.lines().filter(|l| !l.starts_with("node1: ")).collect();
    assert!(findings.len() >= 15, "{lab}");
    for line in findings {
        assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
    }
}

#[test]
fn hostid_zero_fails() {
    let h = configured();
    h.binary
        .borrow_mut()
        .insert("/etc/hostid".into(), vec![0; 4]);
    assert!(fails(&h, "hostid").fix.unwrap().contains("zgenhostid"));
}

#[test]
fn the_same_hostid_as_the_peer_fails() {
    let h = replace(CIB, "value=\"0a77000c\"", "value=\"0a77000b\"");
    assert!(fails(&h, "hostid")
        .message
        .contains("node2 has the same hostid 0a77000b"));
}

#[test]
fn zfs_import_cache_enabled_fails() {
    let h = node1_with(|c, s| {
        Ok(if c == CACHE {
            "enabled\n".into()
        } else if c == SESSIONS {
            return Err("No active sessions".into());
        } else {
            s
        })
    });
    let f = fails(&h, "import-units");
    assert_eq!(
        f.fix.as_deref(),
        Some("systemctl mask zfs-import-cache.service")
    );
}

#[test]
fn multihost_off_fails() {
    let h = replace(ZGET, "multihost\ton", "multihost\toff");
    assert_eq!(
        fails(&h, "pool-properties").fix.as_deref(),
        Some("zpool set multihost=on labpool")
    );
}

#[test]
fn a_cache_file_fails() {
    let h = replace(ZGET, "cachefile\tnone", "cachefile\t-");
    assert_eq!(
        fails(&h, "pool-properties").fix.as_deref(),
        Some("zpool set cachefile=none labpool")
    );
}

#[test]
fn a_vdev_by_kernel_name_fails() {
    let h = replace(ZSTATUS, "/dev/disk/by-id/virtio-shared0", "/dev/vdb");
    assert!(fails(&h, "vdev-paths").message.contains("/dev/vdb"));
}

#[test]
fn a_resource_failing_validation_fails() {
    let h = node1_with(|c, s| {
        match c {
        "/usr/sbin/crm_resource --validate -r san-ip" => Err(
            "/usr/sbin/crm_resource --validate -r san-ip failed (exit code 6): nic eth9 does not exist".into(),
        ),
        SESSIONS => Err("No active sessions".into()),
        _ => Ok(s),
    }
    });
    assert!(fails(&h, "validate").message.contains("san-ip: "));
}

#[test]
fn stonith_disabled_fails() {
    let h = replace(
        CIB,
        "name=\"stonith-enabled\" value=\"true\"",
        "name=\"stonith-enabled\" value=\"false\"",
    );
    assert_eq!(
        fails(&h, "stonith-enabled").fix.as_deref(),
        Some("pcs property set stonith-enabled=true")
    );
}

#[test]
fn a_node_without_a_fence_device_fails() {
    let h = replace(
        CIB,
        "name=\"pcmk_host_list\" value=\"node2\"",
        "name=\"pcmk_host_list\" value=\"node3\"",
    );
    assert!(fails(&h, "fence-devices")
        .message
        .contains("no fence device can fence node2"));
}

#[test]
fn a_vip_before_the_pool_fails() {
    // the group lists the VIP first: it starts before the pool is imported
    let cib = fixture("cibadmin_--query.txt");
    let (a, b) = (
        cib.find("<primitive id=\"san-pool\"").unwrap(),
        cib.find("<primitive id=\"san-ip\"").unwrap(),
    );
    let end = cib[b..].find("</primitive>").unwrap() + b + "</primitive>".len();
    let swapped = format!("{}{}{}{}", &cib[..a], &cib[b..end], &cib[a..b], &cib[end..]);
    let h = node1_with(move |c, s| match c {
        CIB => Ok(swapped.clone()),
        SESSIONS => Err("No active sessions".into()),
        _ => Ok(s),
    });
    assert!(fails(&h, "san-order")
        .message
        .contains("san-ip is not ordered after san-pool"));
}

#[test]
fn no_stickiness_fails() {
    let h = replace(
        CIB,
        "name=\"resource-stickiness\" value=\"100\"",
        "name=\"resource-stickiness\" value=\"0\"",
    );
    fails(&h, "stickiness");
}

#[test]
fn a_short_token_fails() {
    let h = replace(
        CMAP,
        "runtime.config.totem.token (u32) = 10000",
        "runtime.config.totem.token (u32) = 1000",
    );
    assert!(fails(&h, "corosync-token")
        .message
        .contains("token 1000 ms"));
}

#[test]
fn two_nodes_without_two_node_fail() {
    let h = replace(CMAP, "quorum.two_node (u8) = 1", "quorum.two_node (u8) = 0");
    fails(&h, "quorum");
}

#[test]
fn iscsi_sessions_with_long_timeouts_fail() {
    let h = node1_with(|c, s| {
        match c {
        SESSIONS => Ok("tcp: [1] 10.9.0.5:3260,1 iqn.2024-01.local.lab:backend (non-flash)\n".into()),
        RECORDS => Ok("# BEGIN RECORD 2.1.8\nnode.name = iqn.2024-01.local.lab:backend\nnode.conn[0].address = 10.9.0.5\nnode.conn[0].timeo.noop_out_interval = 5\nnode.conn[0].timeo.noop_out_timeout = 5\nnode.session.timeo.replacement_timeout = 120\n# END RECORD\n".into()),
        _ => Ok(s),
    }
    });
    let f = fails(&h, "iscsi-sessions");
    assert!(f.message.contains("replacement_timeout = 120"), "{f:?}");
}

#[test]
fn iscsi_vdevs_without_a_session_fail() {
    let h = replace(
        ZSTATUS,
        "/dev/disk/by-id/virtio-shared0",
        "/dev/disk/by-path/ip-10.9.0.5:3260-iscsi-iqn.2024-01.local.lab:backend-lun-0",
    );
    fails(&h, "iscsi-sessions");
}

#[test]
fn a_cluster_that_does_not_answer_fails_every_cluster_check() {
    let h = node1_with(|c, s| {
        match c {
        CIB => Err("/usr/sbin/cibadmin --query failed (exit code 102): Could not connect to the CIB: Transport endpoint is not connected".into()),
        _ => Ok(s),
    }
    });
    let r = run_all(&h);
    assert_eq!(r.exit_code(), 2);
    assert!(
        r.findings.iter().filter(|f| f.level == Level::Fail).count() >= 4,
        "{}",
        render(&r)
    );
}

const POOL_START: &str = r#"<op id="san-pool-start" name="start" interval="0" timeout="300s"/>"#;

#[test]
fn a_start_timeout_shorter_than_the_activity_check_wait_fails() {
    let h = replace(
        CIB,
        POOL_START,
        r#"<op id="san-pool-start" name="start" interval="0" timeout="60s"/>"#,
    );
    let f = fails(&h, "start-timeout");
    assert_eq!(
        f.fix.as_deref(),
        Some("pcs resource update san-pool op start timeout=75s")
    );
    assert!(
        f.message.contains(
            "start timeout 60 s (60s from its start operation) is shorter than the 75 s needed"
        ),
        "{f:?}"
    );
}

#[test]
fn without_a_start_timeout_pacemakers_default_20s_fails() {
    let h = replace(
        CIB,
        POOL_START,
        r#"<op id="san-pool-start" name="start" interval="0"/>"#,
    );
    assert!(fails(&h, "start-timeout")
        .message
        .contains("start timeout 20 s (Pacemaker's default 20s)"));
}

#[test]
fn an_op_default_timeout_that_covers_the_wait_passes() {
    let cib = fixture("cibadmin_--query.txt").replace(
        POOL_START,
        r#"<op id="san-pool-start" name="start" interval="0"/>"#,
    );
    let cib = cib.replacen(
        "</configuration>",
        r#"<op_defaults><meta_attributes id="op-options"><nvpair id="op-options-timeout" name="timeout" value="2min"/></meta_attributes></op_defaults></configuration>"#,
        1,
    );
    let h = node1_with(move |c, s| match c {
        CIB => Ok(cib.clone()),
        SESSIONS => Err("No active sessions".into()),
        _ => Ok(s),
    });
    let r = run_all(&h);
    let f = r
        .findings
        .iter()
        .find(|f| f.check == "start-timeout")
        .unwrap();
    assert_eq!(f.level, Level::Pass, "{}", render(&r));
    assert!(f.message.contains("start timeout 120 s covers it"), "{f:?}");
}

#[test]
fn this_nodes_slower_multihost_parameters_make_the_timeout_short() {
    // fail_intervals 100 here: an importer watches 100 × 1 s × 200 % + 25 % = 250 s, twice: 520 s
    let h = configured().file(
        "/sys/module/zfs/parameters/zfs_multihost_fail_intervals",
        "100\n",
    );
    let f = fails(&h, "start-timeout");
    assert!(f.message.contains("fail_intervals 100"), "{f:?}");
    assert_eq!(
        f.fix.as_deref(),
        Some("pcs resource update san-pool op start timeout=525s")
    );
}
