//! The configfs logic against a temporary tree standing in for configfs (recording fake).

use super::*;
use crate::chap::{AclAuth, Credential};
use crate::configfs::fake::{preexisting, Fake};
use zeroize::Zeroizing;

const IQN: &str = "iqn.2024-01.local.lab:san";
const N2: &str = "iqn.2024-01.local.lab:node2";
const N1: &str = "iqn.2024-01.local.lab:node1";

fn cred(u: &str, p: &str) -> Credential {
    Credential {
        user: u.into(),
        pass: Zeroizing::new(p.into()),
    }
}

fn lun(n: u32, zvol: &str) -> LunSpec {
    LunSpec {
        lun: n,
        zvol: zvol.into(),
        serial: crate::identity::serial(u64::from(n) + 1000),
        thin: true,
    }
}

fn desired() -> Desired {
    Desired {
        names: Names::for_iqn(IQN),
        luns: vec![lun(0, "labpool/iscsi/a"), lun(3, "labpool/iscsi/b")],
        acls: vec![AclSpec {
            initiator: N2.into(),
            auth: Some(AclAuth {
                initiator: cred("n2", "initiator-secret"),
                target: Some(cred("tgt", "target-secret")),
            }),
        }],
        chap: ChapMode::Mutual,
        portals: vec![Portal("10.77.0.100:3260".parse().unwrap())],
    }
}

/// A backend target (as targetcli makes them) beside ours.
fn with_backend() -> Fake {
    let f = Fake::new();
    preexisting(
        &f,
        &[
            "core/iblock_0",
            "core/iblock_0/disk1",
            "iscsi/iqn.2024-01.local.lab:backend",
            "iscsi/iqn.2024-01.local.lab:backend/tpgt_1",
            "iscsi/iqn.2024-01.local.lab:backend/tpgt_1/lun/lun_0",
            "iscsi/iqn.2024-01.local.lab:backend/tpgt_1/np/10.77.0.11:3260",
        ],
    );
    f.tree()
        .symlink(
            "core/iblock_0/disk1",
            "iscsi/iqn.2024-01.local.lab:backend/tpgt_1/lun/lun_0/x",
        )
        .unwrap();
    std::fs::write(
        f.tree()
            .path("iscsi/iqn.2024-01.local.lab:backend/tpgt_1/enable"),
        "1",
    )
    .unwrap();
    f
}

fn backend_part(f: &Fake) -> Vec<String> {
    f.snapshot()
        .into_iter()
        .filter(|l| {
            l.contains(":backend") || l.starts_with("core/iblock_0") || l == "dbroot = /var/target"
        })
        .collect()
}

fn ok_portal(_: &Portal) -> bool {
    true
}
fn ok_dev(_: &str) -> bool {
    true
}

fn expected<'a>(
    d: &'a Desired,
    zvols: &'a [String],
    luns: &'a [String],
    ini: &'a [String],
) -> Expected<'a> {
    Expected {
        names: &d.names,
        zvols,
        luns_param: luns,
        initiators: ini,
        chap: d.chap,
        portals: &d.portals,
    }
}

#[test]
fn names_are_recognisable_and_stable() {
    let n = Names::for_iqn(IQN);
    assert_eq!(n, Names::for_iqn(IQN));
    assert_ne!(n.tag, Names::for_iqn("iqn.2024-01.local.lab:other").tag);
    assert_eq!(n.backstore(7), format!("hasan-{}-lun7", n.tag));
    assert!(n.owns_backstore(&n.backstore(12)));
    assert!(!n.owns_backstore("disk1"));
    assert!(!n.owns_backstore(&format!("hasan-{}-lun", n.tag)));
    assert!(!Names::for_iqn("iqn.2024-01.local.lab:other").owns_backstore(&n.backstore(0)));
    assert!(n.hba.starts_with("iblock_"));
}

#[test]
fn start_builds_everything_and_enables_the_tpg_last() {
    let f = with_backend();
    let before = backend_part(&f);
    let d = desired();
    assert!(apply(&f, &d).unwrap() > 0);
    let log = f.log.borrow().clone();
    let tpg = d.names.tpg();
    assert_eq!(log.last().unwrap(), &format!("write {tpg}/enable=1"));
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("enable=1") && l.contains("tpgt"))
            .count(),
        1
    );
    // secrets are written, never recorded in clear here (and never logged by the agent)
    assert!(log
        .iter()
        .all(|l| !l.contains("initiator-secret") && !l.contains("target-secret")));
    let t = f.tree();
    let so = d.names.backstore_path(3);
    assert_eq!(
        t.read(&format!("{so}/udev_path")).unwrap(),
        "/dev/zvol/labpool/iscsi/b"
    );
    assert_eq!(read_serial(&f, &so), lun(3, "").serial);
    assert_eq!(t.read(&format!("{so}/attrib/emulate_tpu")).unwrap(), "1");
    assert_eq!(
        t.link_target(&format!("{tpg}/lun/lun_3/{}", d.names.backstore(3)))
            .unwrap(),
        so
    );
    assert_eq!(
        t.link_target(&format!("{tpg}/acls/{N2}/lun_3/lun_3"))
            .unwrap(),
        format!("{tpg}/lun/lun_3")
    );
    assert_eq!(
        t.read(&format!("{tpg}/acls/{N2}/auth/password_mutual"))
            .unwrap(),
        "target-secret"
    );
    assert_eq!(
        t.read(&format!("{tpg}/attrib/generate_node_acls")).unwrap(),
        "0"
    );
    // SendTargets lists the target only to initiators with an ACL (LIO's default lists every
    // target of the node, the storage network's backend targets too, to anyone who asks)
    assert_eq!(
        t.read(&format!("{tpg}/attrib/demo_mode_discovery"))
            .unwrap(),
        "0"
    );
    assert_eq!(
        t.read(&format!("{tpg}/attrib/authentication")).unwrap(),
        "1"
    );
    assert!(t.exists(&format!("{tpg}/np/10.77.0.100:3260")));
    assert_eq!(backend_part(&f), before, "the backend target was touched");

    // idempotent: a second start changes nothing
    f.clear_log();
    assert_eq!(apply(&f, &d).unwrap(), 0);
    assert!(f.log.borrow().is_empty(), "{:?}", f.log.borrow());

    let ini = [N2.to_owned()];
    let luns = ["labpool/iscsi".to_owned()];
    let zv = ["labpool/iscsi/a".to_owned()];
    assert_eq!(
        check(&f, &expected(&d, &zv, &luns, &ini), &ok_portal, &ok_dev),
        Found::Running(vec![
            (0, "labpool/iscsi/a".into()),
            (3, "labpool/iscsi/b".into())
        ])
    );
}

#[test]
fn stop_disables_first_removes_all_of_ours_and_nothing_else() {
    let f = with_backend();
    let before = f.snapshot();
    let d = desired();
    apply(&f, &d).unwrap();
    f.clear_log();
    assert!(teardown(&f, &d.names).unwrap() > 0);
    let log = f.log.borrow().clone();
    assert_eq!(log[0], format!("write {}/enable=0", d.names.tpg()));
    assert_eq!(
        f.snapshot(),
        before,
        "stop left something or touched the backend"
    );
    // idempotent
    f.clear_log();
    assert_eq!(teardown(&f, &d.names).unwrap(), 0);
    assert!(f.log.borrow().is_empty());
    let ini = [N2.to_owned()];
    let luns = ["labpool/iscsi".to_owned()];
    assert_eq!(
        check(&f, &expected(&d, &[], &luns, &ini), &ok_portal, &ok_dev),
        Found::Absent
    );
}

#[test]
fn a_start_killed_at_any_step_converges_and_never_enables_a_partial_target() {
    let d = desired();
    let clean = {
        let f = with_backend();
        apply(&f, &d).unwrap();
        f.snapshot()
    };
    let steps = {
        let f = with_backend();
        apply(&f, &d).unwrap();
        let n = f.log.borrow().len();
        n
    };
    for k in 0..steps {
        let f = with_backend();
        f.fail_after(k);
        assert!(apply(&f, &d).is_err(), "step {k}");
        assert_ne!(
            f.tree()
                .read(&format!("{}/enable", d.names.tpg()))
                .ok()
                .as_deref(),
            Some("1"),
            "step {k}: TPG enabled by a partial start"
        );
        let ini = [N2.to_owned()];
        let luns = ["labpool/iscsi".to_owned()];
        let found = check(&f, &expected(&d, &[], &luns, &ini), &ok_portal, &ok_dev);
        assert!(
            matches!(found, Found::Broken(_) | Found::Absent),
            "step {k}: {found:?}"
        );
        if k > 1 {
            // (step 1 leaves only an empty HBA: it holds no zvol, the next start reuses it)
            assert!(
                matches!(found, Found::Broken(_)),
                "step {k}: partial state must show: {found:?}"
            );
        }
        f.heal();
        apply(&f, &d).unwrap();
        assert_eq!(f.snapshot(), clean, "step {k}: did not converge");
    }
    // and a stop after a killed start cleans up
    for k in [1, steps / 2, steps - 1] {
        let f = with_backend();
        let before = f.snapshot();
        f.fail_after(k);
        let _ = apply(&f, &d);
        f.heal();
        teardown(&f, &d.names).unwrap();
        assert_eq!(
            f.snapshot(),
            before,
            "stop after a start killed at step {k}"
        );
    }
}

#[test]
fn a_stop_killed_half_way_is_finished_by_the_next() {
    let d = desired();
    let f = with_backend();
    let before = f.snapshot();
    apply(&f, &d).unwrap();
    f.clear_log();
    f.fail_after(6);
    assert!(teardown(&f, &d.names).is_err());
    f.heal();
    teardown(&f, &d.names).unwrap();
    assert_eq!(f.snapshot(), before);
}

#[test]
fn reload_changes_luns_and_acls_live() {
    let f = with_backend();
    let mut d = desired();
    apply(&f, &d).unwrap();
    f.clear_log();
    d.luns.push(lun(4, "labpool/iscsi/c"));
    d.luns.retain(|l| l.lun != 0);
    d.acls.push(AclSpec {
        initiator: N1.into(),
        auth: Some(AclAuth {
            initiator: cred("n1", "initiator-secret-1"),
            target: Some(cred("tgt", "target-secret")),
        }),
    });
    apply(&f, &d).unwrap();
    let log = f.log.borrow().clone();
    assert!(
        !log.iter().any(|l| l.contains("enable=0")),
        "TPG disabled: {log:?}"
    );
    let tpg = d.names.tpg();
    let t = f.tree();
    assert!(t.exists(&format!("{tpg}/acls/{N1}/lun_4/lun_4")));
    assert!(!t.exists(&format!("{tpg}/lun/lun_0")));
    assert!(
        !t.exists(&d.names.backstore_path(0)),
        "the removed zvol stays open"
    );
    assert!(t.exists(&d.names.backstore_path(3)));
    // an initiator removed from the list loses its ACL
    d.acls.retain(|a| a.initiator == N1);
    apply(&f, &d).unwrap();
    assert!(!t.exists(&format!("{tpg}/acls/{N2}")));
}

#[test]
fn a_lun_whose_zvol_changed_is_rebuilt() {
    let f = Fake::new();
    let mut d = desired();
    apply(&f, &d).unwrap();
    d.luns[0].zvol = "labpool/iscsi/z".into();
    apply(&f, &d).unwrap();
    let so = d.names.backstore_path(0);
    assert_eq!(
        f.tree().read(&format!("{so}/udev_path")).unwrap(),
        "/dev/zvol/labpool/iscsi/z"
    );
}

#[test]
fn monitor_reports_what_is_wrong() {
    let f = Fake::new();
    let d = desired();
    apply(&f, &d).unwrap();
    let ini = [N2.to_owned()];
    let luns = ["labpool/iscsi".to_owned()];
    let tpg = d.names.tpg();
    let broken = |zv: &[String], ini: &[String], portal: &dyn Fn(&Portal) -> bool| match check(
        &f,
        &expected(&d, zv, &luns, ini),
        portal,
        &ok_dev,
    ) {
        Found::Broken(why) => why,
        other => panic!("{other:?}"),
    };
    assert!(broken(&[], &ini, &|_| false).contains("nothing listens on portal 10.77.0.100:3260"));
    assert!(broken(&["labpool/iscsi/x".into()], &ini, &ok_portal)
        .contains("zvol labpool/iscsi/x is not exported"));
    assert!(broken(&[], &[N1.into(), N2.into()], &ok_portal).contains(&format!("{N1} has no ACL")));
    assert!(broken(&[], &[], &ok_portal).contains("not in allowed_initiators"));
    f.tree().write(&format!("{tpg}/enable"), "0").unwrap();
    assert!(broken(&[], &ini, &ok_portal).contains("not enabled"));
    teardown(&f, &d.names).unwrap();
    f.mkdir("core/iblock_5").unwrap();
    f.mkdir(&format!("core/iblock_5/{}", d.names.backstore(9)))
        .unwrap();
    assert!(broken(&[], &ini, &ok_portal).contains("backstore(s)"));
    teardown(&f, &d.names).unwrap();
    assert_eq!(
        check(&f, &expected(&d, &[], &luns, &ini), &ok_portal, &ok_dev),
        Found::Absent
    );
}
