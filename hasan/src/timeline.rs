//! `hasan timeline`: one failover out of one or more nodes' journals, as steps with times,
//! durations and nodes — detection, fencing, each resource stop and start with hasan's phases.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{bail, Result};
use serde::Serialize;

use crate::clock;
use crate::events::{classify, Event};
use crate::journal::Entry;

/// One failover.
#[derive(Debug, Serialize)]
pub struct Timeline {
    /// What started it, in words.
    pub cause: String,
    /// First trigger (µs since the epoch).
    pub start_us: i64,
    /// End of the last step.
    pub end_us: i64,
    /// `end_us - start_us` in ms.
    pub total_ms: i64,
    /// The steps in order of their start.
    pub steps: Vec<Step>,
    /// The nodes whose journals were read, with their entry ranges.
    pub journals: Vec<JournalSpan>,
    /// Apparent clock offsets between nodes.
    pub skew: Vec<Skew>,
}

/// One step of the failover.
#[derive(Debug, Serialize)]
pub struct Step {
    /// detection, fencing, stop, start.
    pub kind: String,
    /// The node it ran on (whose clock times it).
    pub node: String,
    /// Start (µs since the epoch).
    pub start_us: i64,
    /// Duration in ms.
    pub duration_ms: i64,
    /// What happened.
    pub what: String,
    /// ok, OK, not running, …
    pub result: String,
    /// hasan's phases inside this step.
    pub phases: Vec<SubPhase>,
}

/// A phase of a hasan agent inside a step.
#[derive(Debug, Serialize)]
pub struct SubPhase {
    /// The phase (`import`, `mounts`, `arp`, `lio`, …).
    pub name: String,
    /// Its start (µs since the epoch, the node's clock).
    pub start_us: i64,
    /// Its duration in ms.
    pub duration_ms: u64,
    /// ok or failed.
    pub result: String,
    /// The agent's detail.
    pub detail: String,
}

/// The time range one node's journal covers.
#[derive(Debug, Serialize)]
pub struct JournalSpan {
    /// The node.
    pub node: String,
    /// Its first entry.
    pub first_us: i64,
    /// Its last entry.
    pub last_us: i64,
}

/// How far one node's clock appears ahead of another's: the delay between the DC logging that it
/// sent an operation and the node logging that it runs it (skew plus message latency).
#[derive(Debug, Serialize)]
pub struct Skew {
    /// The node that sent the operations (the DC).
    pub from: String,
    /// The node that ran them.
    pub to: String,
    /// Smallest delay seen, ms (negative: `to`'s clock is behind).
    pub min_ms: i64,
    /// Largest delay seen, ms.
    pub max_ms: i64,
    /// Pairs measured.
    pub pairs: usize,
}

struct Seen<'a> {
    entry: &'a Entry,
    event: Event,
}

fn is_trigger(e: &Event) -> bool {
    matches!(
        e,
        Event::TokenLost { .. }
            | Event::NodeLost { .. }
            | Event::ResourceFailed { .. }
            | Event::StandbyRequested { .. }
    )
}

fn is_action_result(e: &Event) -> bool {
    matches!(e, Event::OpResult { op, .. } if op == "start" || op == "stop")
        || matches!(e, Event::FenceDone { .. })
}

fn cause_text(e: &Event) -> String {
    match e {
        Event::TokenLost { why } if why.is_empty() => "corosync lost a node".into(),
        Event::TokenLost { why } => format!("corosync lost a node ({why})"),
        Event::NodeLost { node } => format!("{node} left the membership"),
        Event::ResourceFailed {
            rsc,
            op,
            node,
            result,
        } => format!("{rsc} failed on {node} ({op}: {result})"),
        Event::StandbyRequested { node } => format!("standby requested for {node}"),
        _ => String::new(),
    }
}

/// Build the timeline of the failover starting at or after `since` (the last one if `None`).
pub fn build(mut entries: Vec<Entry>, since: Option<i64>) -> Result<Timeline> {
    entries.sort_by(|a, b| (a.time_us, &a.host).cmp(&(b.time_us, &b.host)));
    entries.dedup();
    if entries.is_empty() {
        bail!("the journal is empty");
    }
    let journals = spans(&entries);
    let seen: Vec<Seen> = entries
        .iter()
        .filter_map(|entry| classify(entry).map(|event| Seen { entry, event }))
        .collect();
    let seen = without_clean_leaves(seen);
    let groups = trigger_groups(&seen);
    let chosen = match since {
        Some(s) => groups.iter().position(|&(i, _)| seen[i].entry.time_us >= s),
        None => groups.iter().rposition(|g| g.1),
    };
    let Some(pos) = chosen else {
        bail!(
            "no failover in these journals{}: no node lost, resource failure or standby followed by \
             fencing or a resource stop/start",
            since.map_or(String::new(), |s| format!(" since {}", clock::datetime(s)))
        );
    };
    let first = groups[pos].0;
    let next = groups.get(pos + 1).map(|g| g.0);
    let window = &seen[first..next.unwrap_or(seen.len())];
    let start_us = seen[first].entry.time_us;
    // a node (re)joining ends the failover: what begins after that (e.g. fence devices
    // rebalanced onto the returned node) is not part of it
    let joined_us = window
        .iter()
        .find(|s| matches!(s.event, Event::NodeJoined { .. }))
        .map_or(i64::MAX, |s| s.entry.time_us);
    let mut steps = Vec::new();
    steps.extend(fencing_steps(window));
    steps.extend(op_steps(window, &seen));
    steps.retain(|s| s.start_us < joined_us);
    steps.sort_by_key(|s| s.start_us);
    let first_action = steps.iter().map(|s| s.start_us).min().unwrap_or(start_us);
    let causes: Vec<String> = window
        .iter()
        .take_while(|s| s.entry.time_us <= first_action)
        .filter(|s| is_trigger(&s.event))
        .map(|s| cause_text(&s.event))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let cause = causes.join("; ");
    steps.insert(
        0,
        Step {
            kind: "detection".into(),
            node: seen[first].entry.host.clone(),
            start_us,
            duration_ms: (first_action - start_us) / 1000,
            what: cause.clone(),
            result: String::new(),
            phases: Vec::new(),
        },
    );
    let end_us = steps
        .iter()
        .map(|s| s.start_us + s.duration_ms * 1000)
        .max()
        .unwrap_or(start_us);
    Ok(Timeline {
        cause,
        start_us,
        end_us,
        total_ms: (end_us - start_us) / 1000,
        steps,
        journals,
        skew: skew(&seen),
    })
}

/// How far apart a node's leaving the membership and the DC's "do_shutdown of peer … is
/// complete" may be logged (they are milliseconds apart; journals of two nodes may be skewed).
const CLEAN_LEAVE_WINDOW_US: i64 = 30_000_000;

/// Drop the "state is now lost" of a node that shut down cleanly (Pacemaker stopped there on
/// request, e.g. a reboot after standby): that node had nothing left to take over. Clean means the
/// DC said "do_shutdown of peer … is complete" around the loss, or the node's `shutdown` attribute
/// was set since it last joined (the DC itself may be the node leaving, and then nobody logs the
/// former) — unless it is then fenced (a shutdown that hung).
fn without_clean_leaves(seen: Vec<Seen>) -> Vec<Seen> {
    let clean = |i: usize, node: &str| {
        let at = seen[i].entry.time_us;
        let completed = seen.iter().any(|s| {
            matches!(&s.event, Event::CleanShutdown { node: n } if n == node)
                && (s.entry.time_us - at).abs() <= CLEAN_LEAVE_WINDOW_US
        });
        let requested = seen[..i]
            .iter()
            .rev()
            .take_while(|s| !matches!(&s.event, Event::NodeJoined { node: n } if n == node))
            .any(|s| matches!(&s.event, Event::ShutdownRequested { node: n } if n == node));
        let fenced = seen[i..].iter().any(|s| {
            matches!(&s.event, Event::FenceRequested { target, .. } if target == node)
                && s.entry.time_us - at <= CLEAN_LEAVE_WINDOW_US
        });
        (completed || requested) && !fenced
    };
    let keep: Vec<bool> = (0..seen.len())
        .map(|i| match &seen[i].event {
            Event::NodeLost { node } => !clean(i, node),
            _ => true,
        })
        .collect();
    seen.into_iter()
        .zip(keep)
        .filter_map(|(s, k)| k.then_some(s))
        .collect()
}

fn spans(entries: &[Entry]) -> Vec<JournalSpan> {
    let mut by: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for e in entries {
        let s = by.entry(&e.host).or_insert((e.time_us, e.time_us));
        s.0 = s.0.min(e.time_us);
        s.1 = s.1.max(e.time_us);
    }
    by.into_iter()
        .map(|(node, (first_us, last_us))| JournalSpan {
            node: node.to_owned(),
            first_us,
            last_us,
        })
        .collect()
}

/// Indices of the first trigger of each failover, and whether actions followed it. A trigger
/// joins the previous failover while no start or stop has finished since that began.
fn trigger_groups(seen: &[Seen]) -> Vec<(usize, bool)> {
    let mut groups: Vec<(usize, bool)> = Vec::new();
    for (i, s) in seen.iter().enumerate() {
        if is_trigger(&s.event) {
            match groups.last() {
                Some(&(_, false)) => {}
                _ => groups.push((i, false)),
            }
        } else if is_action_result(&s.event) {
            if let Some(g) = groups.last_mut() {
                g.1 = true;
            }
        }
    }
    groups
}

fn fencing_steps(window: &[Seen]) -> Vec<Step> {
    let mut out = Vec::new();
    for (i, s) in window.iter().enumerate() {
        let Event::FenceDone {
            action,
            target,
            by,
            result,
        } = &s.event
        else {
            continue;
        };
        if s.entry.host != *by && window.iter().any(|o| is_same_fence(o, s)) {
            continue; // the fencer's own line is the one to time
        }
        let begin = window[..i]
            .iter()
            .rev()
            .find(|r| matches!(&r.event, Event::FenceRequested { target: t, .. } if t == target))
            .map_or(s.entry.time_us, |r| r.entry.time_us);
        let device = window[..i].iter().rev().find_map(|r| match &r.event {
            Event::FenceDevice {
                target: t, device, ..
            } if t == target => Some(device.clone()),
            _ => None,
        });
        out.push(Step {
            kind: "fencing".into(),
            node: by.clone(),
            start_us: begin,
            duration_ms: (s.entry.time_us - begin) / 1000,
            what: format!(
                "{action} of {target} by {by}{}",
                device.map_or(String::new(), |d| format!(" with {d}"))
            ),
            result: result.clone(),
            phases: Vec::new(),
        });
    }
    out
}

fn is_same_fence(o: &Seen, s: &Seen) -> bool {
    o.entry.host != s.entry.host
        && o.event == s.event
        && (o.entry.time_us - s.entry.time_us).abs() < 30_000_000
}

fn op_steps(window: &[Seen], all: &[Seen]) -> Vec<Step> {
    let mut out = Vec::new();
    for (i, s) in window.iter().enumerate() {
        let Event::OpResult {
            op,
            rsc,
            node,
            result,
        } = &s.event
        else {
            continue;
        };
        if !matches!(op.as_str(), "start" | "stop" | "promote" | "demote") {
            continue;
        }
        if s.entry.host != *node
            && window
                .iter()
                .any(|o| o.entry.host == *node && o.event == s.event)
        {
            continue;
        }
        let begins = |local: bool| {
            window[..i].iter().rev().find(|b| {
                matches!(&b.event, Event::OpBegin { op: o, rsc: r, node: n, local: l }
                    if o == op && r == rsc && n == node && *l == local)
            })
        };
        let begin_us = begins(true)
            .filter(|b| b.entry.host == s.entry.host)
            .or_else(|| begins(false))
            .map_or(s.entry.time_us, |b| b.entry.time_us);
        let phases = sub_phases(all, rsc, op, &s.entry.host, begin_us, s.entry.time_us);
        let begin_us = phases
            .iter()
            .map(|p| p.start_us)
            .min()
            .map_or(begin_us, |p| p.min(begin_us));
        out.push(Step {
            kind: op.clone(),
            node: node.clone(),
            start_us: begin_us,
            duration_ms: (s.entry.time_us - begin_us) / 1000,
            what: format!("{op} {rsc}"),
            result: result.clone(),
            phases,
        });
    }
    out
}

fn sub_phases(all: &[Seen], rsc: &str, op: &str, host: &str, from: i64, to: i64) -> Vec<SubPhase> {
    const SLACK_US: i64 = 1_000_000;
    let mut out: Vec<SubPhase> = all
        .iter()
        .filter(|s| s.entry.host == host && s.entry.time_us >= from - SLACK_US)
        .filter(|s| s.entry.time_us <= to + SLACK_US)
        .filter_map(|s| match &s.event {
            Event::Phase {
                rsc: r,
                action,
                phase,
                duration_ms,
                result,
                detail,
            } if r == rsc && action == op => Some(SubPhase {
                name: phase.clone(),
                start_us: s.entry.time_us - i64::try_from(*duration_ms).unwrap_or(0) * 1000,
                duration_ms: *duration_ms,
                result: result.clone(),
                detail: detail.clone(),
            }),
            _ => None,
        })
        .collect();
    out.sort_by_key(|p| p.start_us);
    out
}

fn skew(seen: &[Seen]) -> Vec<Skew> {
    let mut by: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for s in seen {
        let Event::OpBegin {
            op,
            rsc,
            node,
            local: false,
        } = &s.event
        else {
            continue;
        };
        if s.entry.host == *node {
            continue;
        }
        let matched = seen.iter().find(|l| {
            l.entry.host == *node
                && (l.entry.time_us - s.entry.time_us).abs() < 10_000_000
                && matches!(&l.event, Event::OpBegin { op: o, rsc: r, node: n, local: true }
                    if r == rsc && n == node && (o == op || (o == "probe" && op == "monitor")))
        });
        if let Some(l) = matched {
            by.entry((s.entry.host.clone(), node.clone()))
                .or_default()
                .push((l.entry.time_us - s.entry.time_us) / 1000);
        }
    }
    by.into_iter()
        .map(|((from, to), d)| Skew {
            from,
            to,
            min_ms: d.iter().copied().min().unwrap_or(0),
            max_ms: d.iter().copied().max().unwrap_or(0),
            pairs: d.len(),
        })
        .collect()
}

fn secs(ms: i64) -> String {
    format!("{:.2} s", ms as f64 / 1000.0)
}

/// The text report.
pub fn render(t: &Timeline) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "failover at {} UTC: {}",
        clock::datetime(t.start_us),
        t.cause
    );
    let _ = writeln!(
        o,
        "{:<12}  {:>8}  {:<6}  {:<9}  {:>9}  what",
        "time (UTC)", "+s", "node", "step", "took"
    );
    for s in &t.steps {
        let _ = writeln!(
            o,
            "{:<12}  {:>8.2}  {:<6}  {:<9}  {:>9}  {}{}",
            clock::time(s.start_us),
            (s.start_us - t.start_us) as f64 / 1e6,
            s.node,
            s.kind,
            secs(s.duration_ms),
            s.what,
            if s.result.is_empty() {
                String::new()
            } else {
                format!(": {}", s.result)
            }
        );
        for p in &s.phases {
            let _ = writeln!(
                o,
                "{:<12}  {:>8.2}  {:<6}  {:<9}  {:>9}  {}{}{}",
                clock::time(p.start_us),
                (p.start_us - t.start_us) as f64 / 1e6,
                "",
                "  phase",
                secs(i64::try_from(p.duration_ms).unwrap_or(0)),
                p.name,
                if p.result == "ok" {
                    String::new()
                } else {
                    format!(" ({})", p.result)
                },
                if p.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", p.detail)
                }
            );
        }
    }
    let busy: i64 = t.steps.iter().map(|s| s.duration_ms).sum();
    let _ = writeln!(
        o,
        "total {} from detection to the last step's end: steps {} + waits between them {}",
        secs(t.total_ms),
        t.steps
            .iter()
            .map(|s| format!("{} {}", s.kind, secs(s.duration_ms)))
            .collect::<Vec<_>>()
            .join(" + "),
        secs(t.total_ms - busy)
    );
    for j in &t.journals {
        let _ = writeln!(
            o,
            "journal of {}: {} to {} UTC{}",
            j.node,
            clock::datetime(j.first_us),
            clock::time(j.last_us),
            if j.last_us < t.start_us {
                " (ends before the failover)"
            } else {
                ""
            }
        );
    }
    if t.journals.len() > 1 && t.skew.is_empty() {
        let _ = writeln!(
            o,
            "clock skew: not measurable (no operation logged by both its sender and its node)"
        );
    }
    for k in &t.skew {
        let _ = writeln!(
            o,
            "clock skew: {} logs an operation {} to {} ms after {} sent it ({} pairs; skew plus latency)",
            k.to, k.min_ms, k.max_ms, k.from, k.pairs
        );
    }
    o
}

#[cfg(test)]
mod tests {
    //! A crash failover written in the words Pacemaker 2.1, corosync 3.1 and hasan's agents log.

    use super::*;

    const T0: i64 = 1_764_547_200_000_000; // 2025-12-01 00:00:00 UTC

    fn at(ms: i64, host: &str, ident: &str, message: &str, hasan: &[(&str, &str)]) -> Entry {
        Entry {
            time_us: T0 + ms * 1000,
            host: host.into(),
            ident: ident.into(),
            message: message.into(),
            hasan: hasan
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn phase(ms: i64, rsc: &str, name: &str, took: &str, detail: &str) -> Entry {
        at(
            ms,
            "node2",
            "hasan-zpool",
            &format!("phase {name}: x s: {detail}"),
            &[
                ("HASAN_RESOURCE", rsc),
                ("HASAN_ACTION", "start"),
                ("HASAN_PHASE", name),
                ("HASAN_DURATION_MS", took),
                ("HASAN_RESULT", "ok"),
            ],
        )
    }

    fn crash() -> Vec<Entry> {
        let c = "pacemaker-controld";
        vec![
            at(-5000, "node2", c, "Result of monitor operation for san-pool on node1: ok", &[]),
            at(0, "node2", "corosync", "[TOTEM ] A processor failed, forming new configuration: token timed out (10000ms)", &[]),
            at(12_500, "node2", c, "Node node1 state is now lost", &[]),
            at(13_000, "node2", c, "Requesting fencing (reboot) targeting node node1", &[]),
            at(24_000, "node2", "pacemaker-fenced", "Operation 'reboot' [4242] targeting node1 using fence-node1 returned 0", &[]),
            at(25_000, "node2", "pacemaker-fenced", "Operation 'reboot' targeting node1 by node2 for pacemaker-controld.1234@node2: OK (complete)", &[]),
            at(25_500, "node2", c, "Requesting local execution of start operation for san-pool on node2", &[]),
            phase(25_600, "san-pool", "preflight", "100", "hostid 0a77000c"),
            phase(53_000, "san-pool", "import", "27300", "pool labpool: imported with -f after ZFS's multihost activity check (mmp wait up to 25.0 s)"),
            phase(53_200, "san-pool", "mounts", "150", "1 mounted"),
            at(53_300, "node2", c, "Result of start operation for san-pool on node2: ok", &[]),
            at(53_400, "node2", c, "Requesting local execution of start operation for san-ip on node2", &[]),
            at(57_600, "node2", c, "Result of start operation for san-ip on node2: ok", &[]),
            at(90_000, "node2", c, "Node node1 state is now member", &[]),
        ]
    }

    #[test]
    fn a_crash_is_detection_fencing_and_the_starts_with_their_phases() {
        let t = build(crash(), None).unwrap();
        let kinds: Vec<&str> = t.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["detection", "fencing", "start", "start"]);
        assert!(t.cause.contains("node1 left the membership"), "{}", t.cause);
        assert_eq!(t.steps[0].duration_ms, 13_000);
        let f = &t.steps[1];
        assert_eq!(f.what, "reboot of node1 by node2 with fence-node1");
        assert_eq!((f.result.as_str(), f.duration_ms), ("OK", 12_000));
        let pool = &t.steps[2];
        assert_eq!(pool.what, "start san-pool");
        assert_eq!(pool.duration_ms, 27_800);
        let names: Vec<&str> = pool.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["preflight", "import", "mounts"]);
        assert_eq!(t.total_ms, 57_600);
        let text = render(&t);
        assert!(text.contains("total 57.60 s"), "{text}");
        assert!(
            text.contains(
                "import: pool labpool: imported with -f after ZFS's multihost activity check"
            ),
            "{text}"
        );
    }

    #[test]
    fn since_picks_a_failover_and_quiet_journals_are_refused() {
        let e = build(crash(), Some(T0 + 60_000_000)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("no failover in these journals since"),
            "{e}"
        );
        let quiet: Vec<Entry> = crash().into_iter().take(1).collect();
        assert!(build(quiet, None).is_err());
        assert!(build(Vec::new(), None).is_err());
    }

    /// A planned move in the words the lab logged: node1's standby, its stops, node2's starts,
    /// then node1's Pacemaker shutting down cleanly (it leaves the membership) and rejoining.
    fn planned() -> Vec<Entry> {
        let c = "pacemaker-controld";
        vec![
            at(
                0,
                "node1",
                "hasan",
                "standby requested for node1 by hasan-standby before Pacemaker stops",
                &[],
            ),
            at(
                1_500,
                "node1",
                c,
                "Requesting local execution of stop operation for san-pool on node1",
                &[],
            ),
            at(
                3_000,
                "node1",
                c,
                "Result of stop operation for san-pool on node1: ok",
                &[],
            ),
            at(
                3_200,
                "node2",
                c,
                "Requesting local execution of start operation for san-pool on node2",
                &[],
            ),
            at(
                10_000,
                "node2",
                c,
                "Result of start operation for san-pool on node2: ok",
                &[],
            ),
            at(15_000, "node2", c, "Node node1 state is now lost", &[]),
            at(
                15_100,
                "node2",
                c,
                "do_shutdown of peer node1 is complete",
                &[],
            ),
            at(150_000, "node2", c, "Node node1 state is now member", &[]),
            at(
                152_000,
                "node1",
                c,
                "Requesting local execution of start operation for fence-node2 on node1",
                &[],
            ),
            at(
                152_300,
                "node1",
                c,
                "Result of start operation for fence-node2 on node1: ok",
                &[],
            ),
        ]
    }

    #[test]
    fn a_clean_shutdown_after_a_standby_is_not_another_failover() {
        let t = build(planned(), None).unwrap();
        assert_eq!(t.cause, "standby requested for node1");
        let what: Vec<&str> = t.steps.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "standby requested for node1",
                "stop san-pool",
                "start san-pool"
            ]
        );
        // the same loss without the DC's "do_shutdown … complete" is a failover of its own
        let crashed: Vec<Entry> = planned()
            .into_iter()
            .filter(|e| !e.message.starts_with("do_shutdown"))
            .collect();
        assert_eq!(
            build(crashed, None).unwrap().cause,
            "node1 left the membership"
        );
    }

    #[test]
    fn the_dc_leaving_cleanly_is_not_another_failover_either() {
        // node1 is the DC: nobody logs "do_shutdown of peer node1", but attrd logs its shutdown
        let c = "pacemaker-controld";
        let entries: Vec<Entry> = planned()
            .into_iter()
            .filter(|e| !e.message.starts_with("do_shutdown"))
            .chain([at(
                12_000,
                "node2",
                "pacemaker-attrd",
                "Setting shutdown[node1]: (unset) -> 1796107533",
                &[],
            )])
            .chain([at(
                15_050,
                "node2",
                c,
                "Stonith/shutdown of node node1 was not expected",
                &[],
            )])
            .collect();
        assert_eq!(
            build(entries.clone(), None).unwrap().cause,
            "standby requested for node1"
        );
        // the same shutdown escalated to fencing is a failover
        let fenced: Vec<Entry> = entries
            .into_iter()
            .chain([at(
                16_000,
                "node2",
                c,
                "Requesting fencing (reboot) targeting node node1",
                &[],
            )])
            .collect();
        assert_eq!(
            build(fenced, None).unwrap().cause,
            "node1 left the membership"
        );
    }

    #[test]
    fn the_lab_journal_of_a_quiet_cluster_has_no_failover() {
        // node1 from the SAN's set-up to the checks: starts and monitors, but nothing lost,
        // failed or put in standby
        let e = build(crate::lab_fixtures::entries(&["quiet-node1.json"]), None).unwrap_err();
        assert!(
            e.to_string().starts_with("no failover in these journals:"),
            "{e}"
        );
    }
}
