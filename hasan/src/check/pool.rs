//! Checks of the ocf:hasan:zpool resources' pools: multihost and cachefile, stable vdev paths.

use super::facts::PoolFacts;
use super::{Facts, Finding};

fn not_here(c: &'static str, p: &PoolFacts) -> Option<Finding> {
    (!p.imported).then(|| {
        Finding::skip(
            c,
            format!(
                "pool {} is not imported on this node: run hasan check where {} runs",
                p.pool, p.rsc.id
            ),
        )
    })
}

fn no_pool(c: &'static str, f: &Facts) -> Vec<Finding> {
    vec![Finding::skip(
        c,
        if f.cib.is_ok() {
            "no ocf:hasan:zpool resource"
        } else {
            "the CIB could not be read"
        },
    )]
}

/// `multihost=on` and `cachefile=none` on every pool imported here.
pub fn properties(f: &Facts) -> Vec<Finding> {
    const C: &str = "pool-properties";
    if f.pools.is_empty() {
        return no_pool(C, f);
    }
    f.pools
        .iter()
        .map(|p| {
            if let Some(s) = not_here(C, p) {
                return s;
            }
            let props = match &p.props {
                Ok(t) => t,
                Err(e) => {
                    return Finding::warn(
                        C,
                        format!("pool {}: {e}", p.pool),
                        format!("zpool get multihost,cachefile {}", p.pool),
                    )
                }
            };
            let get = |name: &str| {
                props.lines().find_map(|l| {
                    let mut w = l.split('\t');
                    (w.next()? == name).then(|| w.next().unwrap_or_default().trim().to_owned())
                })
            };
            let multihost = get("multihost").unwrap_or_default();
            let cachefile = get("cachefile").unwrap_or_default();
            if multihost != "on" {
                Finding::fail(
                    C,
                    format!(
                        "pool {} has multihost={multihost}: nothing stops a second import",
                        p.pool
                    ),
                    format!("zpool set multihost=on {}", p.pool),
                )
            } else if cachefile != "none" {
                let shown = if cachefile.is_empty() || cachefile == "-" {
                    "the default cache file".to_owned()
                } else {
                    cachefile
                };
                Finding::fail(
                    C,
                    format!(
                        "pool {} is recorded in {shown}: a boot may import it",
                        p.pool
                    ),
                    format!("zpool set cachefile=none {}", p.pool),
                )
            } else {
                Finding::pass(C, format!("pool {}: multihost=on, cachefile=none", p.pool))
            }
        })
        .collect()
}

/// Leaf vdev paths from `zpool status -P`: the first word of config lines starting with `/`.
pub fn vdevs(status: &str) -> Vec<String> {
    status
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with('/'))
        .map(str::to_owned)
        .collect()
}

/// Paths that name the same disk on every node and every boot.
pub const STABLE_PREFIXES: [&str; 5] = [
    "/dev/disk/by-id/",
    "/dev/disk/by-path/",
    "/dev/disk/by-vdev/",
    "/dev/disk/by-partuuid/",
    "/dev/mapper/",
];

/// Every vdev named by a stable path.
pub fn vdev_paths(f: &Facts) -> Vec<Finding> {
    const C: &str = "vdev-paths";
    if f.pools.is_empty() {
        return no_pool(C, f);
    }
    f.pools
        .iter()
        .map(|p| {
            if let Some(s) = not_here(C, p) {
                return s;
            }
            let status = match &p.status {
                Ok(t) => t,
                Err(e) => return Finding::warn(C, format!("pool {}: {e}", p.pool), format!("zpool status -P {}", p.pool)),
            };
            let all = vdevs(status);
            let unstable: Vec<&String> = all
                .iter()
                .filter(|v| !STABLE_PREFIXES.iter().any(|s| v.starts_with(s)))
                .collect();
            if all.is_empty() {
                Finding::warn(C, format!("pool {}: no vdev found in zpool status -P", p.pool), format!("zpool status -P {}", p.pool))
            } else if unstable.is_empty() {
                Finding::pass(C, format!("pool {}: {} vdev(s) by stable path", p.pool, all.len()))
            } else {
                Finding::fail(
                    C,
                    format!(
                        "pool {}: {} named by a path that can change at boot or differ on the other node",
                        p.pool,
                        unstable.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    format!("zpool export {0} && zpool import -d /dev/disk/by-id {0} (in a maintenance window), and importargs=\"-d /dev/disk/by-id\"", p.pool),
                )
            }
        })
        .collect()
}
