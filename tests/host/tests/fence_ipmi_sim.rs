//! fence_hasan_ipmi against a real BMC: OpenIPMI's ipmi_sim on 127.0.0.1 whose chassis power is a
//! real process. Each test has its own port and state directory; the BMC and the machine process
//! are stopped on drop, also when an assertion fails.

#![allow(clippy::unwrap_used)]

mod fence_support;

use std::time::Duration;

use fence_support::{run_agent, IpmiSim, Policy, Relay, PASSWORD};

#[test]
fn power_actions_drive_the_machine_process() {
    let sim = IpmiSim::start(16411);
    assert_eq!(sim.machine(), None);

    let r = sim.agent("status", "");
    assert_eq!((r.code, r.stdout.as_str()), (2, "Status: OFF\n"), "{r:?}");

    let r = sim.agent("on", "");
    assert_eq!(r.code, 0, "{r:?}");
    let first = sim.machine().expect("on started the machine");
    let r = sim.agent("status", "");
    assert_eq!((r.code, r.stdout.as_str()), (0, "Status: ON\n"), "{r:?}");

    // on again: idempotent, the same machine keeps running.
    assert_eq!(sim.agent("on", "").code, 0);
    assert_eq!(sim.machine(), Some(first));

    let r = sim.agent("reboot", "");
    assert_eq!(r.code, 0, "{r:?}");
    let second = sim.machine().expect("reboot left the machine on");
    assert_ne!(
        second, first,
        "reboot must have killed and restarted the machine"
    );

    let r = sim.agent("reboot", "method=cycle\n");
    assert_eq!(r.code, 0, "{r:?}");
    let third = sim.machine().expect("cycle left the machine on");
    assert_ne!(third, second, "power cycle must restart the machine");

    let r = sim.agent("off", "");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(sim.machine(), None, "off killed the machine");
    assert_eq!(sim.agent("off", "").code, 0, "off is idempotent");
    assert_eq!(sim.agent("status", "").code, 2);
    assert_eq!(sim.agent("monitor", "").code, 0);

    // The fence-agents command line does the same as stdin, with the old names on stdin too.
    let port = sim.port.to_string();
    let mut argv = sim.argv("on");
    argv.extend(["-C", "3", "-L", "operator"].map(str::to_owned));
    let r = run_agent("", &argv.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
    let r = run_agent(
        &format!(
            "\n# old names, quotes\naction=off\nipaddr=127.0.0.1\nipport='{port}'\nlogin=admin\npasswd=\"{PASSWORD}\"\nport=node1\nnodename=node1\ncipher=auto\npcmk_bogus=1\n"
        ),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("ignoring unknown parameter \"pcmk_bogus\""),
        "{}",
        r.stderr
    );
    assert_eq!(sim.machine(), None);
}

#[test]
fn failures_are_clear_one_line_and_bounded() {
    let sim = IpmiSim::start(16412);
    assert_eq!(sim.agent("on", "").code, 0);
    let machine = sim.machine().expect("machine on");

    let cases: &[(&str, &str, &str)] = &[
        (
            "off",
            "password=wrong\n",
            "wrong password for user \"admin\"",
        ),
        ("off", "username=nobody\n", "unauthorized name"),
        ("off", "cipher=17\n", "refused cipher suite 17"),
        ("off", "privlvl=user\n", "insufficient privilege level"),
        ("off", "privlvl=callback\n", "Set Session Privilege Level"),
        ("reboot", "hexadecimal_kg=zz\n", "invalid hexadecimal_kg"),
        ("off", "lanplus=0\n", "lanplus=0"),
    ];
    for (action, extra, expected) in cases {
        let r = sim.agent(action, &format!("{extra}login_timeout=3\n"));
        assert_eq!(r.code, 1, "{extra}: {r:?}");
        let errors = r.errors();
        assert_eq!(errors.len(), 1, "{extra}: {}", r.stderr);
        assert!(errors[0].contains(expected), "{extra}: {}", errors[0]);
        assert!(!r.stderr.contains(PASSWORD) && !r.stdout.contains(PASSWORD));
        assert!(
            r.elapsed < Duration::from_secs(3 + 3),
            "{extra}: took {:?}",
            r.elapsed
        );
        assert_eq!(
            sim.machine(),
            Some(machine),
            "{extra}: a failed action changed the machine"
        );
    }

    // Nothing listens on this port: a bounded, clear failure.
    let r = run_agent(
        &format!("action=off\nip=127.0.0.1\nipport=16419\nusername=admin\npassword={PASSWORD}\nlogin_timeout=2\n"),
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.errors().len(), 1, "{}", r.stderr);
    assert!(r.errors()[0].contains("did not answer"), "{}", r.stderr);
    assert!(
        r.elapsed < Duration::from_secs(2 + 3),
        "unreachable BMC took {:?}",
        r.elapsed
    );

    // power_timeout=0 cannot verify anything (fence-agents fails every change with it): refused
    // before anything is sent.
    assert_eq!(sim.agent("off", "").code, 0);
    let r = sim.agent("on", "power_timeout=0\n");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.errors()[0].contains("power_timeout=0"), "{}", r.stderr);
    assert_eq!(sim.machine(), None);
}

#[test]
fn two_hundred_operations_leave_no_session_open() {
    let sim = IpmiSim::start(16413);
    let baseline = sim.active_sessions();
    for i in 0..200 {
        let action = ["status", "off", "on"][i % 3];
        let r = sim.agent(action, "");
        assert!(matches!(r.code, 0 | 2), "operation {i} ({action}): {r:?}");
    }
    // Error paths close their sessions too (the machine is off: "on" needs Chassis Control).
    assert_eq!(sim.agent("off", "").code, 0);
    for extra in ["password=wrong\n", "privlvl=user\n", "privlvl=callback\n"] {
        for _ in 0..25 {
            // A refused login waits out login_timeout (the refusal could be forged): keep it short.
            let r = sim.agent("on", &format!("{extra}login_timeout=1\n"));
            assert_eq!(r.code, 1, "{extra}: {r:?}");
        }
    }
    assert_eq!(
        sim.active_sessions(),
        baseline,
        "sessions were left open on the BMC"
    );
    // And the 63-slot table still takes a full set of new sessions.
    for i in 0..70 {
        assert!(
            matches!(sim.agent("status", "").code, 0 | 2),
            "status {i} after the run"
        );
    }
}

#[test]
fn stock_clients_see_the_same_states() {
    let sim = IpmiSim::start(16414);
    let ipmitool_state = |sim: &IpmiSim| {
        let out = sim.ipmitool(&["chassis", "power", "status"]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(sim.agent("on", "").code, 0);
    assert_eq!(ipmitool_state(&sim), "Chassis Power is on");
    assert_eq!(sim.fence_ipmilan("status").status.code(), Some(0));

    assert_eq!(sim.agent("off", "").code, 0);
    assert_eq!(ipmitool_state(&sim), "Chassis Power is off");
    let out = sim.fence_ipmilan("status");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Status: OFF");

    // The other way round: the stock agent switches, ours reads.
    let out = sim.fence_ipmilan("on");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let r = sim.agent("status", "");
    assert_eq!((r.code, r.stdout.as_str()), (0, "Status: ON\n"));
    let out = sim.ipmitool(&["chassis", "power", "off"]);
    assert!(out.status.success());
    let r = sim.agent("status", "power_timeout=5\n");
    // ipmi_sim may lag behind its own command: poll like an agent would.
    let mut r = r;
    for _ in 0..20 {
        if r.code == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        r = sim.agent("status", "");
    }
    assert_eq!((r.code, r.stdout.as_str()), (2, "Status: OFF\n"));
}

#[test]
fn password_script_keeps_the_password_out_of_argv() {
    let sim = IpmiSim::start(16415);
    let script = sim.dir().join("pw");
    let seen = sim.dir().join("agent-argv");
    // The script records its parent's (the agent's) argv, then prints the password.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntr '\\0' ' ' < /proc/$PPID/cmdline > {}\necho '{PASSWORD}'\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let stdin = format!(
        "action=on\nip=127.0.0.1\nipport={}\nusername=admin\npasswd_script={}\ncipher=3\nverbose=1\n",
        sim.port,
        script.display()
    );
    let r = run_agent(&stdin, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
    let argv = std::fs::read_to_string(&seen).unwrap();
    assert!(argv.contains("fence_hasan_ipmi"), "{argv}");
    assert!(!argv.contains(PASSWORD), "{argv}");
    assert!(
        !r.stderr.contains(PASSWORD),
        "verbose log shows the password: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("DEBUG"),
        "verbose=1 gives debug lines: {}",
        r.stderr
    );

    // A failing script is a clear error and nothing is switched.
    let r = run_agent(
        &stdin
            .replace("action=on", "action=off")
            .replace(&script.display().to_string(), "/bin/false"),
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.errors()[0].contains("password_script failed"),
        "{}",
        r.stderr
    );
    assert!(sim.machine().is_some());
}

#[test]
fn lost_requests_are_retransmitted_and_garbage_replies_ignored() {
    let sim = IpmiSim::start(16416);
    let relay = Relay::start(16417, sim.port, Policy::Lossy);
    let baseline = sim.active_sessions();
    let via_relay = |action: &str| {
        run_agent(
            &format!(
                "action={action}\nip=127.0.0.1\nipport={}\nusername=admin\npassword={PASSWORD}\ncipher=3\nlogin_timeout=10\n",
                relay.port
            ),
            &[],
        )
    };
    let r = via_relay("on");
    assert_eq!(r.code, 0, "{r:?}");
    let first = sim.machine().expect("on through the lossy relay");
    let r = via_relay("status");
    assert_eq!((r.code, r.stdout.as_str()), (0, "Status: ON\n"), "{r:?}");
    let r = via_relay("reboot");
    assert_eq!(r.code, 0, "{r:?}");
    assert_ne!(sim.machine().expect("machine on after reboot"), first);
    let r = via_relay("off");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(sim.machine(), None);
    drop(relay);
    assert_eq!(sim.active_sessions(), baseline, "a session was left open");
}

#[test]
fn power_changes_are_verified_not_assumed() {
    let sim = IpmiSim::start(16418);
    assert_eq!(sim.agent("on", "").code, 0);
    assert!(sim.machine().is_some());

    // The machine takes 1.5 s to go down after the BMC accepted the command: off must not
    // report success before it is really off.
    sim.set_lag(1.5);
    let r = sim.agent("off", "");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        sim.machine(),
        None,
        "off returned while the machine was still running"
    );

    let r = sim.agent("on", "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        sim.machine().is_some(),
        "on returned before the machine was running"
    );

    // A state not reached within power_timeout is a failure, with one clear line.
    sim.set_lag(3.0);
    let r = sim.agent("off", "power_timeout=1\n");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.errors().len(), 1, "{}", r.stderr);
    assert!(r.errors()[0].contains("did not reach off"), "{}", r.stderr);
    // The command was accepted, so the machine does go off later; wait for it (and for the
    // chassis script's background change to finish) before the BMC is stopped.
    for _ in 0..100 {
        if sim.machine().is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(sim.machine(), None);
    std::thread::sleep(Duration::from_millis(200));
}

#[test]
fn bmc_key_kg_is_used_for_the_session_keys() {
    let key = "kg-for-fence-tests";
    let sim = IpmiSim::start_with(16421, None, Some(key));
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    let r = sim.agent("on", &format!("hexadecimal_kg={hex}\n"));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
    assert!(!r.stderr.contains(&hex), "K_G logged: {}", r.stderr);
    for extra in ["", "hexadecimal_kg=0x00112233\n"] {
        let r = sim.agent("off", &format!("{extra}login_timeout=2\n"));
        assert_eq!(r.code, 1, "{extra}: {r:?}");
        assert_eq!(r.errors().len(), 1, "{}", r.stderr);
        assert!(
            r.errors()[0].contains("RAKP 4 integrity check failed"),
            "{}",
            r.stderr
        );
        assert!(
            sim.machine().is_some(),
            "a failed login switched the machine off"
        );
    }
    let r = sim.agent("off", &format!("hexadecimal_kg=0x{hex}\n"));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(sim.machine(), None);
}

#[test]
fn reboot_succeeds_once_the_node_is_off_even_if_power_on_fails() {
    let sim = IpmiSim::start(16422);
    assert_eq!(sim.agent("on", "").code, 0);
    sim.refuse_on();
    // As fence-agents: the node is fenced once off is verified; the failed power on is logged.
    let r = sim.agent("reboot", "");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(sim.machine(), None);
    let errors = r.errors();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(
        errors[0].contains("powering it on again failed"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("Chassis Control"), "{}", errors[0]);
    // on alone fails, in one line.
    let r = sim.agent("on", "");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.errors()[0].contains("refused Chassis Control: unspecified error (0xff)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_cycle_the_bmc_acknowledges_but_never_does_is_not_a_reboot() {
    let sim = IpmiSim::start(16423);
    assert_eq!(sim.agent("on", "").code, 0);
    let machine = sim.machine().expect("machine on");
    sim.deaf();
    let r = sim.agent("reboot", "method=cycle\npower_timeout=2\n");
    assert_eq!(r.code, 1, "a cycle never seen must not be a success: {r:?}");
    assert!(!r.stdout.contains("Success"), "{r:?}");
    assert_eq!(r.errors().len(), 1, "{}", r.stderr);
    assert!(r.errors()[0].contains("did not reach off"), "{}", r.stderr);
    assert_eq!(sim.machine(), Some(machine));
}

#[test]
fn options_that_select_another_machine_are_refused() {
    let sim = IpmiSim::start(16424);
    assert_eq!(sim.agent("on", "").code, 0);
    let machine = sim.machine().expect("machine on");
    for (extra, expected) in [
        ("target=0x30\n", "target (IPMI bridging) is not supported"),
        (
            "port_as_ip=1\nport=127.0.0.1\n",
            "port_as_ip is not supported",
        ),
    ] {
        let r = sim.agent("off", extra);
        assert_eq!(r.code, 1, "{extra}: {r:?}");
        assert_eq!(r.errors().len(), 1, "{}", r.stderr);
        assert!(r.errors()[0].contains(expected), "{extra}: {}", r.stderr);
        assert_eq!(sim.machine(), Some(machine), "{extra} switched the machine");
    }
    let mut argv = sim.argv("off");
    argv.push("--target=0x30".into());
    let r = run_agent("", &argv.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(sim.machine(), Some(machine));
}

#[test]
fn a_plug_naming_another_node_fails_without_touching_power() {
    let sim = IpmiSim::start(16425);
    assert_eq!(sim.agent("on", "").code, 0);
    let machine = sim.machine().expect("machine on");
    let baseline = sim.active_sessions();
    // What Pacemaker sends when asked to fence node2 through node1's device.
    let r = sim.agent("off", "nodes=node1\nport=node2\nnodename=node2\n");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.errors().len(), 1, "{}", r.stderr);
    assert!(
        r.errors()[0].contains("\"node2\" is not a machine this device powers"),
        "{}",
        r.stderr
    );
    assert_eq!(sim.machine(), Some(machine));
    let r = sim.agent("status", "nodes=node1\nplug=node2\n");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        sim.active_sessions(),
        baseline,
        "the BMC was not even logged in to"
    );
    // The right node is fenced.
    let r = sim.agent("off", "nodes=node1\nport=node1\nnodename=node1\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(sim.machine(), None);
}

#[test]
fn an_all_zero_kg_means_no_kg() {
    // ipmi_sim has no K_G: 20 zero bytes is how BMCs and ipmitool spell "none".
    let sim = IpmiSim::start(16426);
    let r = sim.agent("on", &format!("hexadecimal_kg={}\n", "0".repeat(40)));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
    let r = sim.agent("off", "hexadecimal_kg=0x0000\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(sim.machine(), None);
}

#[test]
fn password_script_takes_precedence_over_password() {
    let sim = IpmiSim::start(16427);
    let script = sim.dir().join("pw");
    std::fs::write(&script, format!("#!/bin/sh\necho '{PASSWORD}'\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // As fence-agents: the script's password is used, the stale password= is not.
    let r = sim.agent(
        "on",
        &format!("password=wrong\npassword_script={}\n", script.display()),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
}

#[test]
fn off_is_confirmed_when_the_bmc_drops_the_session_while_powering_off() {
    let sim = IpmiSim::start(16428);
    let marker = sim.drop_sessions_on_off();
    let relay = Relay::start(16429, sim.port, Policy::DropSessionsAfter(marker));
    assert_eq!(sim.agent("on", "").code, 0);
    assert!(sim.machine().is_some());
    // The session that sent "off" never answers again: the agent logs in anew and sees off.
    let r = run_agent(&relay.stdin("off", "power_timeout=8\n"), &[]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "Success: Powered OFF\n"),
        "{r:?}"
    );
    assert_eq!(sim.machine(), None);
}

#[test]
fn cipher_auto_moves_on_to_suite_3_when_the_bmc_is_silent_on_17() {
    let sim = IpmiSim::start(16431);
    let relay = Relay::start(16432, sim.port, Policy::SilentOn17);
    let r = run_agent(
        &relay.stdin("on", "cipher=auto\nlogin_timeout=4\nverbose=1\n"),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
    assert!(r.stderr.contains("cipher suite 3"), "{}", r.stderr);
}

#[test]
fn a_pinned_bmc_guid_catches_the_wrong_bmc() {
    let sim = IpmiSim::start(16433);
    // lan.conf.in: guid a123456789abcdefa123456789abcdef
    let r = sim.agent(
        "on",
        "bmc_guid=a1234567-89ab-cdef-a123-456789abcdef\nverbose=1\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sim.machine().is_some());
    let machine = sim.machine();
    let r = sim.agent(
        "off",
        "bmc_guid=00000000000000000000000000000001\nlogin_timeout=2\n",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.errors().len(), 1, "{}", r.stderr);
    assert!(
        r.errors()[0].contains("is not the pinned one"),
        "{}",
        r.stderr
    );
    assert_eq!(sim.machine(), machine);
}

#[test]
fn stdin_that_is_not_text_is_a_clear_error() {
    let sim = IpmiSim::start(16434);
    assert_eq!(sim.agent("on", "").code, 0);
    let machine = sim.machine();
    let mut bad = sim.stdin("off", "").into_bytes();
    bad.extend_from_slice(b"password=\xff\xfe\n");
    let r = fence_support::run_agent_bytes(&bad, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.errors().len(), 1, "{}", r.stderr);
    assert!(
        r.errors()[0].contains("stdin is not UTF-8 text"),
        "{}",
        r.stderr
    );
    let big = vec![b'#'; 1 << 20];
    let r = fence_support::run_agent_bytes(&big, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.errors()[0].contains("stdin is larger than"),
        "{}",
        r.stderr
    );
    assert_eq!(sim.machine(), machine);
}
