//! fence_hasan_plug (and fence_kasa, fence_http) against device emulators on 127.0.0.1 that are
//! themselves cross-checked with independent clients: curl (plain, `-u` Basic, `--digest`
//! SHA-256) and python-kasa. Every type: on, off, reboot, status, monitor, each state change
//! confirmed by the independent client; every failure: one line, exit 1, inside the deadline.
#![allow(clippy::unwrap_used)]

mod plug_support;

use std::time::Duration;

use plug_support::{
    closed_port, curl, curl_out, python_kasa, run, EmuSpec, Run, HTTP, KASA, PASSWORD, TYPES,
};

/// A failure: exit 1, exactly one ERROR line containing `want`, within `limit`.
fn assert_fails(r: &Run, want: &str, limit: Duration) {
    assert_eq!(r.code, 1, "{r:?}");
    let errors = r.errors();
    assert_eq!(errors.len(), 1, "one error line expected: {r:?}");
    assert!(
        errors[0].to_lowercase().contains(&want.to_lowercase()),
        "{want:?} not in {:?}",
        errors[0]
    );
    assert!(
        r.elapsed < limit,
        "took {:?}, deadline {limit:?}",
        r.elapsed
    );
}

#[test]
fn emulators_agree_with_independent_clients() {
    // Tasmota: plain curl; the password in the query; 401 (current) or 200 WARNING (old).
    let t = EmuSpec::new("tasmota").relays(2).start();
    let ok = curl(&[&t.url(&format!(
        "/cm?user=admin&password={PASSWORD}&cmnd=Power2%20Off"
    ))]);
    assert_eq!(ok, r#"{"POWER2":"OFF"}"#);
    assert_eq!(t.journal(), ["1 off"]);
    let bad = curl_out(&[
        "-w",
        "%{http_code}",
        &t.url("/cm?user=admin&password=nope&cmnd=Power1"),
    ]);
    assert!(
        String::from_utf8_lossy(&bad.stdout).ends_with("}401"),
        "{bad:?}"
    );
    let old = EmuSpec::new("tasmota").fault("old-firmware").start();
    let bad = curl_out(&["-w", "%{http_code}", &old.url("/cm?cmnd=Power")]);
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains("WARNING") && text.ends_with("200"), "{text}");

    // Shelly Gen1: curl -u (Basic).
    let s1 = EmuSpec::new("shelly1").start();
    let r = curl(&[
        "-u",
        &format!("admin:{PASSWORD}"),
        &s1.url("/relay/0?turn=off"),
    ]);
    assert!(r.contains(r#""ison":false"#), "{r}");
    let r = curl_out(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-u",
        "admin:nope",
        &s1.url("/relay/0"),
    ]);
    assert_eq!(String::from_utf8_lossy(&r.stdout), "401");

    // Shelly Gen2: curl --digest answers the SHA-256 challenge.
    let s2 = EmuSpec::new("shelly2").start();
    let out = curl_out(&[
        "-v",
        "--digest",
        "-u",
        &format!("admin:{PASSWORD}"),
        &s2.url("/rpc/Switch.Set?id=0&on=false"),
    ]);
    let (body, trace) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(body, r#"{"was_on":true}"#, "{trace}");
    assert!(
        trace.contains("algorithm=SHA-256") && trace.contains("qop=auth"),
        "{trace}"
    );
    assert!(!s2.state_seen_by_client(0));
    let r = curl_out(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--digest",
        "-u",
        "admin:nope",
        &s2.url("/rpc/Switch.GetStatus?id=0"),
    ]);
    assert_eq!(String::from_utf8_lossy(&r.stdout), "401");

    // ESPHome: POST to switch, GET to read.
    let e = EmuSpec::new("esphome").start();
    curl(&[
        "-u",
        &format!("admin:{PASSWORD}"),
        "-X",
        "POST",
        &e.url("/switch/relay/turn_off"),
    ]);
    let r = curl(&["-u", &format!("admin:{PASSWORD}"), &e.url("/switch/relay")]);
    assert_eq!(r, r#"{"id":"switch-relay","value":false,"state":"OFF"}"#);
    let r = curl_out(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-u",
        &format!("admin:{PASSWORD}"),
        &e.url("/switch/nope"),
    ]);
    assert_eq!(String::from_utf8_lossy(&r.stdout), "404");

    // Generic HTTP.
    let h = EmuSpec::new("http").start();
    curl(&["-u", &format!("admin:{PASSWORD}"), &h.url("/api/relay/off")]);
    assert_eq!(
        curl(&[
            "-u",
            &format!("admin:{PASSWORD}"),
            &h.url("/api/relay/status")
        ]),
        "relay=OFF\n"
    );

    // Kasa: python-kasa switches a plug and one outlet of a strip.
    let k = EmuSpec::new("kasa").start();
    let out = python_kasa(k.port, "off", None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "off");
    assert_eq!(k.journal(), ["0 off"]);
    let strip = EmuSpec::new("kasa").relays(3).start();
    let out = python_kasa(strip.port, "off", Some(2));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "off");
    assert_eq!(strip.journal(), ["1 off"]);
}

#[test]
fn every_type_switches_and_reports() {
    for kind in TYPES {
        let emu = EmuSpec::new(kind).start();
        let r = emu.agent("status", "");
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "Status: ON\n"),
            "{kind}: {r:?}"
        );
        assert_eq!(emu.agent("monitor", "").code, 0, "{kind}");

        let r = emu.agent("off", "");
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "Success: Powered OFF\n"),
            "{kind}: {r:?}"
        );
        assert!(
            !emu.state_seen_by_client(0),
            "{kind}: off is not off for the client"
        );
        let r = emu.agent("status", "");
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (2, "Status: OFF\n"),
            "{kind}: {r:?}"
        );
        // Idempotent: a second off sends nothing.
        assert_eq!(emu.agent("off", "").code, 0);
        assert_eq!(emu.journal(), ["0 off"], "{kind}");

        assert_eq!(emu.agent("on", "").code, 0, "{kind}");
        assert!(emu.state_seen_by_client(0), "{kind}");
        let r = emu.agent("reboot", "");
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "Success: Rebooted\n"),
            "{kind}: {r:?}"
        );
        assert_eq!(emu.journal(), ["0 off", "0 on", "0 off", "0 on"], "{kind}");
        assert!(emu.state_seen_by_client(0), "{kind}");
        // validate-all touches nothing.
        assert_eq!(emu.agent("validate-all", "").code, 0, "{kind}");
        assert_eq!(emu.journal().len(), 4, "{kind}");
    }
}

#[test]
fn relays_switches_and_outlets_are_selected_by_plug() {
    let t = EmuSpec::new("tasmota").relays(4).start();
    assert_eq!(t.agent("off", "plug=3\n").code, 0);
    assert_eq!(t.journal(), ["2 off"]);
    assert!(!t.state_seen_by_client(2) && t.state_seen_by_client(0));
    let r = t.agent("status", "plug=7\n");
    assert_fails(&r, "does not know relay 7", Duration::from_secs(10));

    let s = EmuSpec::new("shelly2").relays(2).start();
    assert_eq!(s.agent("off", "plug=1\n").code, 0);
    assert_eq!(s.journal(), ["1 off"]);
    assert_fails(
        &s.agent("off", "plug=5\n"),
        "value 5 not found",
        Duration::from_secs(10),
    );

    // A Kasa strip: by number, alias or child id; python-kasa sees the same outlet switch.
    let k = EmuSpec::new("kasa").relays(3).start();
    assert_eq!(k.agent("off", "plug=2\n").code, 0);
    assert_eq!(k.agent("off", "plug=node3\n").code, 0);
    let out = python_kasa(k.port, "state", Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "off");
    assert_eq!(k.journal(), ["1 off", "2 off"]);
    assert_fails(
        &k.agent("status", ""),
        "strip with 3 outlets",
        Duration::from_secs(10),
    );
    assert_fails(
        &k.agent("status", "plug=node9\n"),
        "no outlet \"node9\"",
        Duration::from_secs(10),
    );
    // list / list-status name the outlets as plug selects them.
    let r = run(
        KASA,
        &format!("action=list\nip=127.0.0.1\nipport={}\n", k.port),
        &[],
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "1,node1\n2,node2\n3,node3\n"),
        "{r:?}"
    );
    let r = run(
        KASA,
        "",
        &[
            "-o",
            "list-status",
            "-a",
            "127.0.0.1",
            "-u",
            &k.port.to_string(),
        ],
    );
    assert_eq!(r.stdout, "1,node1,ON\n2,node2,OFF\n3,node3,OFF\n", "{r:?}");
    let single = EmuSpec::new("tasmota").start();
    assert_fails(
        &single.agent("list", ""),
        "only Kasa strips",
        Duration::from_secs(10),
    );

    // ESPHome takes the switch as switch_name too.
    let e = EmuSpec::new("esphome").start();
    let stdin = e
        .stdin("off", "")
        .replace("plug=relay\n", "switch_name=relay\n");
    assert_eq!(run(plug_support::PLUG, &stdin, &[]).code, 0);
    assert_eq!(e.journal(), ["0 off"]);
}

#[test]
fn fence_kasa_and_fence_http_take_the_type_from_their_name() {
    let k = EmuSpec::new("kasa").start();
    let r = run(
        KASA,
        &format!("action=off\nip=127.0.0.1\nipport={}\n", k.port),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(k.journal(), ["0 off"]);
    let r = run(
        KASA,
        "",
        &["-o", "status", "-a", "127.0.0.1", "-u", &k.port.to_string()],
    );
    assert_eq!((r.code, r.stdout.as_str()), (2, "Status: OFF\n"), "{r:?}");

    let h = EmuSpec::new("http").start();
    let stdin = h.stdin("off", "").replace("plug_type=http\n", "");
    let r = run(HTTP, &stdin, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(h.journal(), ["0 off"]);
    // fence_http has no plug_type: the deployment's lines never set one.
    assert!(!run(HTTP, "", &["-o", "metadata"])
        .stdout
        .contains("<parameter name=\"plug_type\""));
    // Credentials inside a full URL work and never show.
    let url = format!("http://admin:{PASSWORD}@127.0.0.1:{}/api/relay/on", h.port);
    let stdin = format!(
        "action=on\nip=127.0.0.1\nipport={}\npower_on_url={url}\npower_off_url={}\nstatus_url={}\nstatus_on_regex=relay=ON\nstatus_off_regex=relay=OFF\nverbose=1\n",
        h.port,
        url.replace("/on", "/off"),
        url.replace("/on", "/status"),
    );
    let r = run(HTTP, &stdin, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains(PASSWORD), "{}", r.stderr);
}

#[test]
fn wrong_credentials_are_one_line_failures() {
    let limit = Duration::from_secs(10);
    for (spec, want) in [
        (EmuSpec::new("tasmota"), "login refused"),
        (
            EmuSpec::new("tasmota").fault("old-firmware"),
            "login refused",
        ),
        (EmuSpec::new("shelly1"), "login refused"),
        (EmuSpec::new("shelly2"), "login refused"),
        (EmuSpec::new("esphome"), "login refused"),
        (EmuSpec::new("esphome").auth("digest"), "login refused"),
        (EmuSpec::new("http"), "login refused"),
    ] {
        let kind = spec.kind;
        let emu = spec.start();
        let stdin = emu.stdin("off", "").replace(PASSWORD, "wrong-password");
        let r = run(plug_support::PLUG, &stdin, &[]);
        assert_fails(&r, want, limit);
        assert!(!r.stderr.contains("wrong-password"), "{kind}: {}", r.stderr);
        assert!(emu.journal().is_empty(), "{kind}: switched without login");
        // No password at all where one is needed.
        let stdin = emu
            .stdin("status", "")
            .replace(&format!("password={PASSWORD}\n"), "");
        assert_fails(&run(plug_support::PLUG, &stdin, &[]), "", limit);
    }
    // ESPHome with digest and the right password works.
    let e = EmuSpec::new("esphome").auth("digest").start();
    assert_eq!(e.agent("off", "").code, 0);
}

#[test]
fn unreachable_stuck_garbage_oversized_and_slow_devices_fail() {
    for kind in TYPES {
        // Nobody listens.
        let emu = EmuSpec::new(kind).start();
        let stdin = emu.stdin("off", "").replace(
            &format!("ipport={}", emu.port),
            &format!("ipport={}", closed_port()),
        );
        assert_fails(
            &run(plug_support::PLUG, &stdin, &[]),
            if *kind == "kasa" {
                "connection refused"
            } else {
                "cannot connect"
            },
            Duration::from_secs(10),
        );
        drop(emu);

        // Claims success, never switches: power_timeout 2 s, then the fence fails.
        let emu = EmuSpec::new(kind).fault("stuck").start();
        let r = emu.agent("off", "power_timeout=2\n");
        assert_fails(&r, "did not reach off", Duration::from_secs(2 + 5 + 4));
        assert!(emu.state_seen_by_client(0), "{kind}");

        for (fault, want) in [("garbage", ""), ("oversized", "")] {
            let emu = EmuSpec::new(kind).fault(fault).start();
            let r = emu.agent("off", "");
            assert_fails(&r, want, Duration::from_secs(10));
            let line = r.errors()[0].to_owned();
            assert!(line.len() < 400, "{kind}/{fault}: {line}");
            assert!(
                line.contains(kind) || *kind == "http",
                "{kind}/{fault}: {line}"
            );
        }

        // Replies after 30 s: each request waits login_timeout (1 s), inside the deadline.
        let emu = EmuSpec::new(kind).fault("slow").start();
        let r = emu.agent("off", "login_timeout=1\n");
        assert_fails(&r, "within 1.0 s", Duration::from_secs(1 + 3 + 2 + 2));
    }
}

#[test]
fn kasa_firmware_without_the_legacy_protocol_is_named() {
    let k = EmuSpec::new("kasa").fault("klap").start();
    let r = k.agent("status", "");
    assert_fails(&r, "speaks only KLAP", Duration::from_secs(10));
}

#[test]
fn redirects_to_other_hosts_are_not_followed() {
    let h = EmuSpec::new("http").start();
    let stdin = h.stdin("off", "").replace(
        "power_off_url=/api/relay/off",
        "power_off_url=/api/elsewhere",
    );
    let r = run(plug_support::PLUG, &stdin, &[]);
    assert_fails(&r, "redirect not followed", Duration::from_secs(10));
    assert!(h.journal().is_empty());
}

#[test]
fn https_with_a_self_signed_certificate_needs_ssl_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = std::process::Command::new("/usr/bin/openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=plug.invalid",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let emu = EmuSpec::new("shelly2").tls(cert, key).start();
    // Verified TLS refuses the self-signed certificate: nothing is switched.
    let r = emu.agent("off", "ssl=1\n");
    assert_fails(&r, "shelly2", Duration::from_secs(10));
    assert!(emu.journal().is_empty());
    let r = emu.agent("off", "ssl_insecure=1\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(emu.journal(), ["0 off"]);
    let out = curl_out(&[
        "-k",
        "--digest",
        "-u",
        &format!("admin:{PASSWORD}"),
        &emu.url("/rpc/Switch.GetStatus?id=0"),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(r#""output":false"#));
}

#[test]
fn no_secret_in_argv_logs_or_errors() {
    // Verbose runs of every type, successful and failing: the password never shows, nor a URL
    // that carries it (Tasmota's query).
    for kind in TYPES {
        let emu = EmuSpec::new(kind).start();
        for (action, extra) in [
            ("reboot", "verbose=1\n"),
            ("status", "verbose=1\nlogin_timeout=0.5\n"),
        ] {
            let r = emu.agent(action, extra);
            assert!(
                !r.stderr.contains(PASSWORD) && !r.stdout.contains(PASSWORD),
                "{kind}: {r:?}"
            );
        }
        let stdin = emu
            .stdin("off", "verbose=1\n")
            .replace(PASSWORD, "Wrong-Secret-99");
        let r = run(plug_support::PLUG, &stdin, &[]);
        assert!(
            !r.stderr.contains("Wrong-Secret-99"),
            "{kind}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("password="), "{kind}: {}", r.stderr);
    }
    // While an agent waits on a slow device, no process on the machine has the password in its
    // argv (the agent read it from stdin; the emulator from its environment).
    let slow = EmuSpec::new("tasmota").fault("slow").start();
    let mut child = std::process::Command::new(plug_support::PLUG)
        .env("HA_LOGFACILITY", "none")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        slow.stdin("status", "login_timeout=3\n").as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let mut seen = 0;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) {
            seen += 1;
            assert!(
                !String::from_utf8_lossy(&cmdline).contains(PASSWORD),
                "password in the argv of {:?}",
                e.path()
            );
        }
    }
    assert!(seen > 10, "read {seen} command lines");
    let agent_argv = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    assert_eq!(
        agent_argv, b"/usr/sbin/fence_hasan_plug\0",
        "the agent was still running"
    );
    assert_eq!(child.wait().unwrap().code(), Some(1));
    // The meta-data has no secret default.
    let md = run(plug_support::PLUG, "", &["-o", "metadata"]).stdout;
    assert!(!md.contains(PASSWORD));
    // A password script's output is the password and never appears either.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("pw");
    std::fs::write(&script, format!("#!/bin/sh\necho {PASSWORD}\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let emu = EmuSpec::new("shelly2").start();
    let stdin = emu
        .stdin(
            "off",
            &format!("password_script={}\nverbose=1\n", script.display()),
        )
        .replace(&format!("password={PASSWORD}\n"), "");
    let r = run(plug_support::PLUG, &stdin, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains(PASSWORD));
}
