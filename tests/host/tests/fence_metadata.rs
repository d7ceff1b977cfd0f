//! fence_hasan_ipmi's meta-data: equal to the golden copy in ocf-metadata/fence/, valid against
//! fence-agents' metadata.rng, and accepted by `pcs stonith create` without --force.
#![allow(clippy::unwrap_used)]

mod fence_support;

use fence_support::{need, run_agent, AGENT};
use hasan_host_tests::fence::{check_golden_metadata, CibFile};

#[test]
fn metadata_matches_the_golden_copy_and_the_schema() {
    let want = check_golden_metadata(AGENT, "fence_hasan_ipmi").unwrap();
    assert!(
        !want.contains("<action name=\"list\""),
        "list must not be advertised"
    );
}

#[test]
fn manpage_and_usage_are_printed() {
    let r = run_agent("", &["-o", "manpage"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with(".TH FENCE_HASAN_IPMI 8"),
        "{}",
        r.stdout
    );
    let r = run_agent("", &["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("-C, --cipher=[cipher]"), "{}", r.stdout);
    let r = run_agent("", &["--no-such-option"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn pcs_accepts_the_agent_without_force() {
    need(AGENT);
    let cib = CibFile::empty().unwrap();
    let pcs = |args: &[&str]| cib.stonith_create(args).unwrap();
    let out = pcs(&[
        "fence-node1",
        "fence_hasan_ipmi",
        "ip=127.0.0.1",
        "ipport=16420",
        "username=admin",
        "password=secret",
        "cipher=17",
        "privlvl=operator",
        "method=cycle",
        "power_timeout=10",
        "pcmk_host_list=node1",
    ]);
    assert!(out.success(), "{out}");
    // Old names are accepted too.
    let out = pcs(&[
        "fence-node2",
        "fence_hasan_ipmi",
        "ipaddr=127.0.0.1",
        "login=admin",
        "passwd=secret",
        "pcmk_host_list=node2",
    ]);
    assert!(out.success(), "{out}");
    // pcs really reads our meta-data: an unknown option is refused.
    cib.check_unknown_option_refused(
        &[
            "fence-node3",
            "fence_hasan_ipmi",
            "ip=127.0.0.1",
            "bogus=1",
            "pcmk_host_list=node3",
        ],
        "bogus",
    )
    .unwrap();
    // pcs does not check select values; validate-all does, without touching any device.
    let r = run_agent(
        "action=validate-all
ip=127.0.0.1
cipher=1
",
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("invalid cipher \"1\": expected one of auto, 3, 17"),
        "{}",
        r.stderr
    );
    assert_eq!(
        run_agent(
            "action=validate-all
ip=127.0.0.1
cipher=17
",
            &[]
        )
        .code,
        0
    );
    let cib_text = cib.text().unwrap();
    assert!(cib_text.contains("type=\"fence_hasan_ipmi\""), "{cib_text}");
}
