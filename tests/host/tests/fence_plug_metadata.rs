//! The meta-data of fence_hasan_plug, fence_kasa and fence_http: equal to the golden copies in
//! ocf-metadata/fence/, valid against fence-agents' metadata.rng, and accepted by
//! `pcs stonith create` without --force for every plug type.
#![allow(clippy::unwrap_used)]

mod plug_support;

use hasan_host_tests::fence::{check_golden_metadata, CibFile};
use plug_support::{need, run, HTTP, KASA, PLUG};

#[test]
fn metadata_of_each_name_matches_its_golden_copy_and_the_schema() {
    for (program, name) in [
        (PLUG, "fence_hasan_plug"),
        (KASA, "fence_kasa"),
        (HTTP, "fence_http"),
    ] {
        let want = check_golden_metadata(program, name).unwrap();
        assert!(
            want.contains(&format!("<resource-agent name=\"{name}\"")),
            "{want}"
        );
        let man = run(program, "", &["-o", "manpage"]);
        assert!(
            man.stdout
                .starts_with(&format!(".TH {} 8", name.to_uppercase())),
            "{}",
            man.stdout
        );
    }
    // The installed names are links to one binary.
    for link in [KASA, HTTP] {
        let target = std::fs::read_link(link).unwrap();
        assert_eq!(target, std::path::Path::new("fence_hasan_plug"), "{link}");
    }
}

#[test]
fn pcs_accepts_every_plug_type_without_force() {
    need(PLUG);
    let cib = CibFile::empty().unwrap();
    let pcs = |args: &[&str]| cib.stonith_create(args).unwrap();
    let lines: &[&[&str]] = &[
        &[
            "f-tasmota",
            "fence_hasan_plug",
            "plug_type=tasmota",
            "ip=127.0.0.1",
            "password=x",
            "plug=1",
        ],
        &[
            "f-shelly1",
            "fence_hasan_plug",
            "plug_type=shelly1",
            "ip=127.0.0.1",
            "username=admin",
            "password=x",
            "plug=0",
        ],
        &[
            "f-shelly2",
            "fence_hasan_plug",
            "plug_type=shelly2",
            "ip=127.0.0.1",
            "password=x",
            "plug=0",
            "ssl_insecure=1",
        ],
        &[
            "f-esphome",
            "fence_hasan_plug",
            "plug_type=esphome",
            "ip=127.0.0.1",
            "switch_name=relay",
        ],
        &[
            "f-kasa",
            "fence_hasan_plug",
            "plug_type=kasa",
            "ip=127.0.0.1",
            "plug=2",
        ],
        &[
            "f-http",
            "fence_hasan_plug",
            "plug_type=http",
            "ip=127.0.0.1",
            "power_on_url=/on",
            "power_off_url=/off",
            "status_url=/s",
            "status_on_regex=ON",
            "status_off_regex=OFF",
            "http_method=POST",
        ],
        &["f-kasa2", "fence_kasa", "ip=127.0.0.1", "plug=node2"],
        &[
            "f-http2",
            "fence_http",
            "ip=127.0.0.1",
            "username=u",
            "password=p",
            "power_on_url=/on",
            "power_off_url=/off",
            "status_url=/s",
            "status_on_regex=ON",
            "status_off_regex=OFF",
        ],
        &[
            "f-silent",
            "fence_hasan_plug",
            "plug_type=kasa",
            "ip=127.0.0.1",
            "plug=1",
            "verify_silent=198.51.100.2 198.51.100.3:22",
            "silent_timeout=2",
        ],
    ];
    for l in lines {
        let mut args = l.to_vec();
        let host = format!("pcmk_host_list={}", l[0]);
        args.push(&host);
        let out = pcs(&args);
        assert!(out.success(), "{l:?}: {out}");
    }
    // pcs reads our meta-data: fence_kasa has no plug_type, an unknown option is refused.
    cib.check_unknown_option_refused(
        &[
            "f-bad",
            "fence_kasa",
            "ip=127.0.0.1",
            "plug_type=kasa",
            "pcmk_host_list=x",
        ],
        "plug_type",
    )
    .unwrap();
    // validate-all checks what pcs cannot: values, per type, touching no device.
    let r = run(
        PLUG,
        "action=validate-all\nplug_type=zigbee\nip=127.0.0.1\n",
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("invalid plug_type \"zigbee\""),
        "{}",
        r.stderr
    );
    let r = run(
        PLUG,
        "action=validate-all\nplug_type=http\nip=127.0.0.1\nstatus_url=/s\n",
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("missing required parameter power_on_url"),
        "{}",
        r.stderr
    );
    let cib_text = cib.text().unwrap();
    assert!(cib_text.contains("type=\"fence_kasa\""), "{cib_text}");
}
