//! Checks of corosync: the token timeout and the quorum arrangement of a two-node cluster.

use super::{Facts, Finding};

/// The shortest token timeout (ms) that rides out a busy node or a switch hiccup without a
/// needless fence.
pub const MIN_TOKEN_MS: u64 = 3000;

fn cmap_missing(c: &'static str, f: &Facts) -> Option<Vec<Finding>> {
    f.cmap.as_ref().err().map(|e| {
        vec![Finding::fail(
            c,
            format!("cannot read corosync's configuration: {e}"),
            "systemctl start corosync",
        )]
    })
}

/// `totem.token` ≥ 3000 ms (the value corosync runs with).
pub fn token(f: &Facts) -> Vec<Finding> {
    const C: &str = "corosync-token";
    if let Some(x) = cmap_missing(C, f) {
        return x;
    }
    let Ok(cmap) = &f.cmap else { return Vec::new() };
    let v = cmap
        .get("runtime.config.totem.token")
        .or_else(|| cmap.get("totem.token"))
        .and_then(|v| v.parse::<u64>().ok());
    vec![match v {
        Some(ms) if ms >= MIN_TOKEN_MS => Finding::pass(C, format!("token {ms} ms")),
        Some(ms) => Finding::fail(
            C,
            format!("token {ms} ms: a short stall of a node gets it fenced"),
            format!("pcs cluster config update totem token={MIN_TOKEN_MS} (or token: {MIN_TOKEN_MS} in corosync.conf), then pcs cluster reload corosync"),
        ),
        None => Finding::warn(C, "totem.token not found in corosync's cmap", "corosync-cmapctl totem.token"),
    }]
}

/// Two nodes need `two_node: 1` or a quorum device; three or more votes decide by themselves.
pub fn arrangement(f: &Facts) -> Vec<Finding> {
    const C: &str = "quorum";
    if let Some(x) = cmap_missing(C, f) {
        return x;
    }
    let Ok(cmap) = &f.cmap else { return Vec::new() };
    let nodes = cmap
        .keys()
        .filter(|k| k.starts_with("nodelist.node.") && k.ends_with(".nodeid"))
        .count();
    let two_node = cmap.get("quorum.two_node").is_some_and(|v| v == "1");
    let qdevice = cmap.keys().any(|k| k.starts_with("quorum.device.model"));
    vec![if qdevice {
        Finding::pass(C, format!("{nodes} nodes and a quorum device"))
    } else if nodes >= 3 {
        Finding::pass(C, format!("{nodes} nodes: a majority decides"))
    } else if nodes == 2 && two_node {
        Finding::pass(
            C,
            "two nodes with two_node: 1 (the survivor keeps quorum; fencing decides)",
        )
    } else {
        Finding::fail(
            C,
            format!("{nodes} node(s) without two_node or a quorum device: the survivor of a failure loses quorum and stops everything"),
            "pcs quorum update two_node=1 (with the cluster stopped), or pcs quorum device add … (a quorum node)",
        )
    }]
}
