//! Checks of the Pacemaker configuration: validation, fencing, the SAN's order, stickiness.

use super::facts::Primitive;
use super::{Facts, Finding};
use crate::xml::Element;

fn cib_missing(c: &'static str, f: &Facts) -> Option<Vec<Finding>> {
    f.cib.as_ref().err().map(|e| {
        vec![Finding::fail(
            c,
            format!("cannot read the CIB: {e}"),
            "systemctl start pacemaker (or run hasan check on a cluster node)",
        )]
    })
}

/// Pacemaker's true: `true`, `on`, `yes`, `y`, `1`.
pub fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "on" | "yes" | "y" | "1"
    )
}

/// Every hasan resource passes `crm_resource --validate`.
pub fn validate(f: &Facts) -> Vec<Finding> {
    const C: &str = "validate";
    if let Some(x) = cib_missing(C, f) {
        return x;
    }
    if f.validate.is_empty() {
        return vec![Finding::skip(C, "no ocf:hasan resources")];
    }
    f.validate
        .iter()
        .map(|(rsc, r)| match r {
            Ok(_) => Finding::pass(C, format!("{rsc}: crm_resource --validate passes")),
            Err(e) => Finding::fail(
                C,
                format!("{rsc}: {}", libocf::status::one_line(e)),
                format!(
                    "pcs resource update {rsc} … (check with crm_resource --validate -r {rsc})"
                ),
            ),
        })
        .collect()
}

/// `stonith-enabled` is true (Pacemaker's default when unset).
pub fn stonith_enabled(f: &Facts) -> Vec<Finding> {
    const C: &str = "stonith-enabled";
    if let Some(x) = cib_missing(C, f) {
        return x;
    }
    vec![match f.property("stonith-enabled") {
        Some(v) if !is_true(&v) => Finding::fail(
            C,
            format!("stonith-enabled={v}: a node that stops answering is never fenced, so its pool is never taken over safely"),
            "pcs property set stonith-enabled=true",
        ),
        Some(v) => Finding::pass(C, format!("stonith-enabled={v}")),
        None => Finding::pass(C, "stonith-enabled is unset (true by default)"),
    }]
}

fn targets(dev: &Primitive, node: &str) -> Option<bool> {
    let list = dev.params.get("pcmk_host_list");
    let map = dev.params.get("pcmk_host_map");
    if list.is_none() && map.is_none() {
        return None; // the device lists its targets itself
    }
    let in_list = list.is_some_and(|l| l.split([' ', ',', ';']).any(|n| n == node));
    let in_map = map.is_some_and(|m| {
        m.split([' ', ',', ';'])
            .any(|kv| kv.split([':', '=']).next() == Some(node))
    });
    Some(in_list || in_map)
}

fn constraints(f: &Facts) -> Vec<&Element> {
    f.cib
        .as_ref()
        .ok()
        .and_then(|c| c.kid("configuration"))
        .and_then(|c| c.kid("constraints"))
        .map(|c| c.children.iter().collect())
        .unwrap_or_default()
}

fn is_minus_infinity(score: Option<&str>) -> bool {
    matches!(
        score.map(str::to_ascii_lowercase).as_deref(),
        Some("-infinity" | "-inf")
    )
}

/// Every node has a fence device, and that device is kept off the node it fences.
pub fn fence_devices(f: &Facts) -> Vec<Finding> {
    const C: &str = "fence-devices";
    if let Some(x) = cib_missing(C, f) {
        return x;
    }
    let devices: Vec<Primitive> = f
        .primitives()
        .into_iter()
        .filter(|p| p.class == "stonith")
        .collect();
    let cons = constraints(f);
    let mut out = Vec::new();
    for node in f.nodes() {
        let mine: Vec<&Primitive> = devices
            .iter()
            .filter(|d| targets(d, &node) != Some(false))
            .collect();
        let Some(dev) = mine.first() else {
            out.push(Finding::fail(
                C,
                format!("no fence device can fence {node}"),
                format!("pcs stonith create fence-{node} fence_hasan_ipmi ip=<BMC of {node}> username=… password_script=… pcmk_host_list={node}"),
            ));
            continue;
        };
        let avoids = cons.iter().any(|c| {
            c.name == "rsc_location"
                && c.attr("rsc") == Some(dev.id.as_str())
                && c.attr("node") == Some(node.as_str())
                && is_minus_infinity(c.attr("score"))
        });
        if avoids {
            out.push(Finding::pass(
                C,
                format!(
                    "{node} is fenced by {} ({}), which never runs on {node}",
                    dev.id, dev.kind
                ),
            ));
        } else {
            out.push(Finding::warn(
                C,
                format!(
                    "{node} is fenced by {} ({}), which may run on {node} itself",
                    dev.id, dev.kind
                ),
                format!("pcs constraint location {} avoids {node}", dev.id),
            ));
        }
    }
    if out.is_empty() {
        out.push(Finding::fail(
            C,
            "the CIB lists no nodes",
            "pcs cluster setup …",
        ));
    }
    out
}

/// The role of a resource in the SAN stack: 0 pool, 1 address, 2 service.
fn role(p: &Primitive) -> Option<u8> {
    match (p.class.as_str(), p.provider.as_str(), p.kind.as_str()) {
        ("ocf", "hasan", "zpool") | ("ocf", "heartbeat", "ZFS") => Some(0),
        ("ocf", "hasan", "vip") | ("ocf", "heartbeat", "IPaddr2" | "IPaddr") => Some(1),
        ("ocf", "hasan", "iscsi" | "nfs" | "smb")
        | ("ocf", "heartbeat", "iSCSITarget" | "iSCSILogicalUnit" | "nfsserver" | "exportfs") => {
            Some(2)
        }
        ("systemd", _, k) if k.starts_with("smbd") || k.starts_with("nfs-server") => Some(2),
        _ => None,
    }
}

fn unit(p: &Primitive) -> &str {
    p.group.as_ref().map_or(p.id.as_str(), |(g, _)| g.as_str())
}

/// `first` starts before `then` and `then` runs where `first` runs.
fn ordered_and_colocated(cons: &[&Element], first: &Primitive, then: &Primitive) -> (bool, bool) {
    if let (Some((g1, i1)), Some((g2, i2))) = (&first.group, &then.group) {
        if g1 == g2 {
            return (i1 < i2, true);
        }
    }
    let (a, b) = (unit(first), unit(then));
    let ids = |x: &str| [x.to_owned()];
    let order = cons.iter().any(|c| {
        c.name == "rsc_order"
            && c.attr("first")
                .is_some_and(|x| ids(a).contains(&x.to_owned()) || x == first.id)
            && c.attr("then")
                .is_some_and(|x| ids(b).contains(&x.to_owned()) || x == then.id)
            && !matches!(c.attr("kind"), Some("Optional"))
    });
    let coloc = cons.iter().any(|c| {
        c.name == "rsc_colocation"
            && c.attr("rsc").is_some_and(|x| x == b || x == then.id)
            && c.attr("with-rsc").is_some_and(|x| x == a || x == first.id)
            && c.attr("score").is_some_and(|s| {
                matches!(
                    s.to_ascii_lowercase().as_str(),
                    "infinity" | "+infinity" | "inf"
                )
            })
    });
    (order, coloc)
}

/// pool → VIP → services, each ordered after and colocated with the one before.
pub fn san_order(f: &Facts) -> Vec<Finding> {
    const C: &str = "san-order";
    if let Some(x) = cib_missing(C, f) {
        return x;
    }
    let prims = f.primitives();
    let cons = constraints(f);
    let by_role = |r: u8| {
        prims
            .iter()
            .filter(move |p| role(p) == Some(r))
            .collect::<Vec<_>>()
    };
    let (pools, vips, services) = (by_role(0), by_role(1), by_role(2));
    if pools.is_empty() {
        return vec![Finding::skip(C, "no pool resource")];
    }
    let mut out = Vec::new();
    let mut pairs = Vec::new();
    for v in &vips {
        pairs.extend(pools.iter().map(|p| (*p, *v)));
    }
    for s in &services {
        if vips.is_empty() {
            pairs.extend(pools.iter().map(|p| (*p, *s)));
        } else {
            pairs.extend(vips.iter().map(|v| (*v, *s)));
        }
    }
    for (a, b) in pairs {
        let (order, coloc) = ordered_and_colocated(&cons, a, b);
        if !(order && coloc) {
            let missing = match (order, coloc) {
                (false, false) => "neither ordered after nor colocated with",
                (false, true) => "not ordered after",
                _ => "not colocated with",
            };
            out.push(Finding::fail(
                C,
                format!("{} is {missing} {}", b.id, a.id),
                match (&a.group, &b.group) {
                    (Some((g, _)), Some((h, _))) if g == h => format!("pcs resource group add {g} {} --after {}", b.id, a.id),
                    _ => format!("pcs constraint order {} then {} && pcs constraint colocation add {} with {} INFINITY", unit(a), unit(b), unit(b), unit(a)),
                },
            ));
        }
    }
    if out.is_empty() {
        let names = |v: &[&Primitive]| {
            v.iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push(Finding::pass(
            C,
            format!(
                "{} → {} → {}",
                names(&pools),
                if vips.is_empty() {
                    "(no VIP)".into()
                } else {
                    names(&vips)
                },
                if services.is_empty() {
                    "(no services)".into()
                } else {
                    names(&services)
                }
            ),
        ));
    }
    out
}

/// resource-stickiness is set, so that a recovered node does not pull the SAN back.
pub fn stickiness(f: &Facts) -> Vec<Finding> {
    const C: &str = "stickiness";
    if let Some(x) = cib_missing(C, f) {
        return x;
    }
    let defaults = f
        .cib
        .as_ref()
        .ok()
        .and_then(|c| c.kid("configuration"))
        .and_then(|c| c.kid("rsc_defaults"))
        .and_then(|d| d.nvpair("meta_attributes", "resource-stickiness"))
        .map(str::to_owned);
    let own = f
        .primitives()
        .into_iter()
        .filter(|p| role(p) == Some(0))
        .find_map(|p| p.meta.get("resource-stickiness").cloned());
    match own.or(defaults) {
        Some(v) if v.trim() != "0" && !v.trim().starts_with('-') => {
            vec![Finding::pass(C, format!("resource-stickiness={v}"))]
        }
        v => vec![Finding::fail(
            C,
            format!(
                "resource-stickiness is {}: the SAN moves back (a second outage) when the other node returns",
                v.unwrap_or_else(|| "unset".into())
            ),
            "pcs resource defaults update resource-stickiness=100",
        )],
    }
}
