//! Checks of this node: hostid, the ZFS import units, the backend iSCSI sessions.

use super::{Facts, Finding};

/// The node attribute in which ocf:hasan:zpool records each node's hostid at start.
pub const HOSTID_ATTRIBUTE: &str = "hasan-zfs-hostid";

/// hostid set, and different from every other node's recorded one.
pub fn hostid(f: &Facts) -> Vec<Finding> {
    const C: &str = "hostid";
    if f.hostid == 0 {
        return vec![Finding::fail(
            C,
            "this node has no hostid (0): multihost cannot tell the nodes apart",
            "zgenhostid (a different value on each node), then reboot",
        )];
    }
    let mine = format!("{:08x}", f.hostid);
    let mut out = Vec::new();
    for peer in f.nodes().into_iter().filter(|n| *n != f.node) {
        match f.node_attribute(&peer, HOSTID_ATTRIBUTE) {
            Some(theirs) if theirs.trim_start_matches("0x").eq_ignore_ascii_case(&mine) => {
                out.push(Finding::fail(
                    C,
                    format!("{peer} has the same hostid {mine}: ZFS skips the activity check and imports a pool live there"),
                    format!("zgenhostid -f on {peer} (or here), then reboot it"),
                ))
            }
            Some(theirs) => out.push(Finding::pass(
                C,
                format!("hostid {mine}, {peer} has {theirs}"),
            )),
            None => out.push(Finding::warn(
                C,
                format!("hostid {mine}; {peer}'s is not recorded (node attribute {HOSTID_ATTRIBUTE}, set when the pool starts there)"),
                format!("compare with `hostid` on {peer}, or run hasan check there after the pool started on it"),
            )),
        }
    }
    if out.is_empty() {
        out.push(Finding::pass(C, format!("hostid {mine}")));
    }
    out
}

/// zfs-import-cache and zfs-import-scan must not import pools at boot.
pub fn import_units(f: &Facts) -> Vec<Finding> {
    const C: &str = "import-units";
    f.units
        .iter()
        .map(|(unit, state)| match state.as_deref() {
            Ok("enabled" | "enabled-runtime" | "static" | "alias" | "linked") => Finding::fail(
                C,
                format!(
                    "{unit} is {}: it imports pools at boot, behind Pacemaker's back",
                    state.as_deref().unwrap_or_default()
                ),
                format!("systemctl mask {unit}"),
            ),
            Ok("") => Finding::pass(C, format!("{unit} is not installed")),
            Ok(s) => Finding::pass(C, format!("{unit} is {s}")),
            Err(e) => Finding::warn(
                C,
                format!("cannot read the state of {unit}: {e}"),
                format!("systemctl status {unit}"),
            ),
        })
        .collect()
}

/// (record key, most seconds, what it bounds) — the timeouts the SAN relies on: a dead path is
/// noticed within seconds and its I/O fails instead of hanging past the pool's own timeouts.
pub const ISCSI_TIMEOUTS: [(&str, u64, &str); 3] = [
    (
        "node.conn[0].timeo.noop_out_interval",
        5,
        "how often a path is probed",
    ),
    (
        "node.conn[0].timeo.noop_out_timeout",
        5,
        "how long a probe may go unanswered",
    ),
    (
        "node.session.timeo.replacement_timeout",
        15,
        "how long I/O waits for a lost session",
    ),
];

/// The logged-in sessions: `(target, portal)` from `iscsiadm -m session` lines
/// `tcp: [1] 10.0.0.1:3260,1 iqn.… (non-flash)`.
pub fn sessions(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace().skip(2);
            let portal = w.next()?.split(',').next()?.to_owned();
            let target = w.next()?.to_owned();
            Some((target, portal))
        })
        .collect()
}

/// `iscsiadm -m node -o show` records: one key→value map per `# BEGIN RECORD`.
pub fn records(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut out = Vec::new();
    for chunk in text.split("# BEGIN RECORD").filter(|c| c.contains(" = ")) {
        out.push(
            chunk
                .lines()
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
        );
    }
    out
}

/// Backend iSCSI sessions, when there are any, carry the timeouts above.
pub fn iscsi_sessions(f: &Facts) -> Vec<Finding> {
    const C: &str = "iscsi-sessions";
    let sessions = match &f.iscsi_sessions {
        Ok(t) => sessions(t),
        Err(e) if e.contains("No active sessions") || e.contains("exit code 21") => Vec::new(),
        Err(e) if e.contains("not found") || e.contains("No such file") => {
            return vec![Finding::skip(
                C,
                "open-iscsi is not installed: no backend iSCSI",
            )]
        }
        Err(e) => {
            return vec![Finding::warn(
                C,
                format!("cannot list iSCSI sessions: {e}"),
                "iscsiadm -m session",
            )]
        }
    };
    let iscsi_vdevs = f
        .pools
        .iter()
        .any(|p| p.status.as_deref().is_ok_and(|s| s.contains("-iscsi-")));
    if sessions.is_empty() {
        return vec![if iscsi_vdevs {
            Finding::fail(
                C,
                "the pool's disks are iSCSI LUNs but no iSCSI session is logged in",
                "iscsiadm -m node --login",
            )
        } else {
            Finding::skip(
                C,
                "no backend iSCSI sessions (the pool's disks are not iSCSI LUNs)",
            )
        }];
    }
    let recs = f.iscsi_records.as_deref().map(records).unwrap_or_default();
    let mut out = Vec::new();
    for (target, portal) in sessions {
        let rec = recs.iter().find(|r| {
            r.get("node.name") == Some(&target)
                && r.get("node.conn[0].address")
                    .is_some_and(|a| portal.starts_with(a.as_str()))
        });
        let Some(rec) = rec else {
            out.push(Finding::warn(
                C,
                format!("{target} at {portal}: no node record to read its timeouts from"),
                "iscsiadm -m node -o show",
            ));
            continue;
        };
        let bad: Vec<String> = ISCSI_TIMEOUTS
            .iter()
            .filter_map(|(key, max, what)| {
                let v: u64 = rec.get(*key)?.parse().ok()?;
                (v == 0 || v > *max).then(|| format!("{key} = {v} ({what}; want 1..{max})"))
            })
            .collect();
        if bad.is_empty() {
            out.push(Finding::pass(
                C,
                format!("{target} at {portal}: logged in, timeouts within bounds"),
            ));
        } else {
            let (key, max, _) = ISCSI_TIMEOUTS
                .iter()
                .find(|(k, ..)| bad[0].starts_with(k))
                .copied()
                .unwrap_or(ISCSI_TIMEOUTS[0]);
            out.push(Finding::fail(
                C,
                format!("{target} at {portal}: {}", bad.join(", ")),
                format!("iscsiadm -m node -T {target} -p {portal} -o update -n {key} -v {max}, then log in again"),
            ));
        }
    }
    out
}
