//! ocf:hasan:zpool on a node without ZFS (this host: no zfs module, no zpool): what the passive
//! node of a cluster sees before its packages are complete. Probes must answer 7, never 5 or 6;
//! start must fail with 5 and a clear reason; nothing is changed.

use std::path::Path;
use std::process::Command;

const AGENT: &str = "/usr/lib/ocf/resource.d/hasan/zpool";

fn run(action: &str, env: &[(&str, &str)]) -> (i32, String) {
    assert!(
        Path::new(AGENT).exists(),
        "{AGENT} is not installed: run `make install` first (make test does)"
    );
    let out = Command::new(AGENT)
        .arg(action)
        .env_clear()
        .env("OCF_ROOT", "/usr/lib/ocf")
        .env("OCF_RESOURCE_INSTANCE", "zpool-host-test")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {AGENT}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

fn reasons(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("ocf-exit-reason:"))
        .collect()
}

#[test]
fn probe_without_zfs_is_not_running() {
    assert!(
        !Path::new("/sys/module/zfs").exists(),
        "this test needs a host without the zfs module"
    );
    let (rc, err) = run("monitor", &[("OCF_RESKEY_pool", "hasanhosttest")]);
    assert_eq!(rc, 7, "{err}");
    // deeper probes too: the pool is simply not imported here
    let (rc, err) = run(
        "monitor",
        &[
            ("OCF_RESKEY_pool", "hasanhosttest"),
            ("OCF_CHECK_LEVEL", "20"),
        ],
    );
    assert_eq!(rc, 7, "{err}");
    // a probe with a broken configuration is still 7 (the passive node must not be banned)
    let (rc, err) = run("monitor", &[("OCF_RESKEY_pool", "hasanhosttest/data")]);
    assert_eq!(rc, 7, "{err}");
}

#[test]
fn start_without_zfs_is_not_installed_and_stop_succeeds() {
    let (rc, err) = run(
        "start",
        &[
            ("OCF_RESKEY_pool", "hasanhosttest"),
            ("OCF_RESKEY_CRM_meta_timeout", "120000"),
        ],
    );
    assert_eq!(rc, 5, "{err}");
    assert_eq!(
        reasons(&err),
        ["the zfs kernel module is not loaded and modprobe zfs failed"]
    );
    let (rc, err) = run("stop", &[("OCF_RESKEY_pool", "hasanhosttest")]);
    assert_eq!(rc, 0, "{err}");
}

#[test]
fn validate_all_checks_parameters_only() {
    let (rc, err) = run(
        "validate-all",
        &[
            ("OCF_RESKEY_pool", "hasanhosttest"),
            ("OCF_RESKEY_importargs", "-d /dev/disk/by-id"),
        ],
    );
    assert_eq!(rc, 0, "{err}");
    let (rc, err) = run(
        "validate-all",
        &[
            ("OCF_RESKEY_pool", "hasanhosttest"),
            ("OCF_RESKEY_importargs", "-F"),
        ],
    );
    assert_eq!(rc, 6, "{err}");
    assert_eq!(reasons(&err).len(), 1, "{err}");
}
