//! Known-answer tests of the RMCP+ key exchange for cipher suites 17 and 3 (ipmi_sim speaks only
//! suite 3, so suite 17 has no live peer here): the expected values are computed independently
//! by Python's hmac/hashlib straight from the IPMI 2.0 definitions (§13.31, §13.32), and
//! AES-CBC-128 is checked against the openssl command.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use fence_hasan_ipmi::crypto::{Exchange, SessionKeys, Suite};
use fence_hasan_ipmi::wire;

/// The spec's definitions, written independently in Python.
const PY: &str = r#"
import hashlib, hmac, sys
v = dict(l.split('=', 1) for l in sys.stdin.read().split())
b = {k: bytes.fromhex(x) for k, x in v.items() if k != 'suite'}
h, n = {'3': (hashlib.sha1, 12), '17': (hashlib.sha256, 16)}[v['suite']]
mac = lambda key, data: hmac.new(key, data, h).digest()
role_user = bytes([b['role'][0], len(b['user'])]) + b['user']
kuid = b['password']
kg = b['kg'] if b['kg'] else kuid
out = {}
# RAKP 2: HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm)
out['rakp2'] = mac(kuid, b['sidm'] + b['sidc'] + b['rm'] + b['rc'] + b['guid'] + role_user)
# RAKP 3: HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm)
out['rakp3'] = mac(kuid, b['rc'] + b['sidm'] + role_user)
# SIK: HMAC_KG(Rm, Rc, ROLEm, ULENGTHm, UNAMEm)
sik = mac(kg, b['rm'] + b['rc'] + role_user)
out['sik'] = sik
# RAKP 4 ICV: HMAC_SIK(Rm, SIDc, GUIDc), truncated
out['rakp4'] = mac(sik, b['rm'] + b['sidc'] + b['guid'])[:n]
out['k1'] = mac(sik, b'\x01' * 20)
out['k2'] = mac(sik, b'\x02' * 20)
# Packet AuthCode: HMAC_K1 over AuthType .. Next Header, truncated
out['auth'] = mac(out['k1'], b['signed'])[:n]
for k, x in out.items():
    print(k + '=' + x.hex())
"#;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn python(input: &str) -> Vec<(String, String)> {
    assert!(
        std::path::Path::new("/usr/bin/python3").exists(),
        "python3 is missing (tests/host-packages.txt)"
    );
    let mut c = Command::new("/usr/bin/python3")
        .args(["-c", PY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

fn exchange(kg_set: bool) -> (Exchange, Vec<u8>, Vec<u8>) {
    let ex = Exchange {
        console_sid: 0xA0A1_A2A3,
        bmc_sid: 0x0201_0403,
        console_rand: *b"console-random16",
        bmc_rand: [0x5A; 16],
        bmc_guid: *b"\xa1\x23\x45\x67\x89\xab\xcd\xef\xa1\x23\x45\x67\x89\xab\xcd\xef",
        role: 0x14,
        username: b"admin".to_vec(),
    };
    let kg = if kg_set {
        (1..=20).collect()
    } else {
        Vec::new()
    };
    (ex, b"pass-W0rd".to_vec(), kg)
}

fn check(suite: Suite, kg_set: bool) {
    let (ex, password, kg) = exchange(kg_set);
    let sik = ex.sik(suite, if kg.is_empty() { &password } else { &kg });
    let keys = SessionKeys::derive(suite, &sik);
    let msg = wire::ipmi_request(0x00, 0x02, 9, &[0x00]);
    let pkt = wire::session_packet(&keys, ex.bmc_sid, 42, [0x11; 16], &msg).unwrap();
    let n = suite.integrity_len();
    let signed = &pkt[4..pkt.len() - n];
    let input = format!(
        "suite={} sidm={} sidc={} rm={} rc={} guid={} role={:02x} user={} password={} kg={} signed={}",
        suite.id(),
        hex(&ex.console_sid.to_le_bytes()),
        hex(&ex.bmc_sid.to_le_bytes()),
        hex(&ex.console_rand),
        hex(&ex.bmc_rand),
        hex(&ex.bmc_guid),
        ex.role,
        hex(&ex.username),
        hex(&password),
        hex(&kg),
        hex(signed)
    );
    let expected = python(&input);
    let ours = [
        ("rakp2", ex.rakp2_code(suite, &password)),
        ("rakp3", ex.rakp3_code(suite, &password)),
        ("sik", sik.clone()),
        ("rakp4", ex.rakp4_icv(suite, &sik)),
        ("k1", keys.k1.expose().to_vec()),
        ("k2", keys.k2.expose().to_vec()),
        ("auth", pkt[pkt.len() - n..].to_vec()),
    ];
    assert_eq!(expected.len(), ours.len());
    for ((name, want), (ours_name, got)) in expected.iter().zip(ours.iter()) {
        assert_eq!(name, ours_name);
        assert_eq!(
            &hex(got),
            want,
            "suite {} {name} (kg set: {kg_set})",
            suite.id()
        );
    }
    let (digest, icv) = match suite {
        Suite::S3 => (20, 12),
        Suite::S17 => (32, 16),
    };
    assert_eq!(
        (sik.len(), ours[3].1.len(), ours[6].1.len()),
        (digest, icv, icv)
    );

    // AES-CBC-128 with the first 16 bytes of K2, IV first, IPMI pad 1, 2, … + pad length.
    let p = wire::parse_packet(&pkt, n).unwrap();
    let (iv, body) = p.payload.split_at(16);
    assert!(
        std::path::Path::new("/usr/bin/openssl").exists(),
        "openssl is missing (tests/host-packages.txt)"
    );
    let mut c = Command::new("/usr/bin/openssl")
        .args([
            "enc",
            "-d",
            "-aes-128-cbc",
            "-nopad",
            "-K",
            &hex(&keys.k2.expose()[..16]),
            "-iv",
            &hex(iv),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(body).unwrap();
    let plain = c.wait_with_output().unwrap().stdout;
    let pad = usize::from(*plain.last().unwrap());
    assert_eq!(&plain[..plain.len() - pad - 1], msg.as_slice());
    assert_eq!(
        &plain[msg.len()..plain.len() - 1],
        (1..=pad as u8).collect::<Vec<u8>>().as_slice()
    );
}

#[test]
fn cipher_suite_17_matches_the_spec_definitions() {
    check(Suite::S17, false);
    check(Suite::S17, true);
}

#[test]
fn cipher_suite_3_matches_the_spec_definitions() {
    check(Suite::S3, false);
    check(Suite::S3, true);
}
