//! What a journal entry means for a failover: Pacemaker's and corosync's own log lines and hasan's
//! phase events, recognised by one table of patterns ([`PATTERNS`]).

use std::sync::OnceLock;

use regex::Regex;

use crate::journal::Entry;

/// A recognised event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// corosync stopped hearing a node (no name yet): the start of detection.
    TokenLost {
        /// corosync's words.
        why: String,
    },
    /// Pacemaker saw a node leave the membership.
    NodeLost {
        /// The node.
        node: String,
    },
    /// Pacemaker saw a node (re)join the membership: what it schedules after that is the new
    /// membership's business, not the failover's.
    NodeJoined {
        /// The node.
        node: String,
    },
    /// A node's Pacemaker began a clean shutdown (attrd sets its `shutdown` attribute; logged by
    /// whichever attrd writes it, so seen whoever is the DC).
    ShutdownRequested {
        /// The node.
        node: String,
    },
    /// The DC saw a node finish a clean shutdown (Pacemaker stopped there on request): its
    /// leaving the membership right before is not a failure.
    CleanShutdown {
        /// The node.
        node: String,
    },
    /// A resource failed where it ran (an unexpected monitor result).
    ResourceFailed {
        /// The resource.
        rsc: String,
        /// The operation (`monitor`).
        op: String,
        /// Where.
        node: String,
        /// Pacemaker's result words.
        result: String,
    },
    /// A node was asked to go standby (hasan-standby, or attrd).
    StandbyRequested {
        /// The node.
        node: String,
    },
    /// Fencing of a node was requested.
    FenceRequested {
        /// reboot, off, on.
        action: String,
        /// The node to fence.
        target: String,
    },
    /// A fence device ran.
    FenceDevice {
        /// The node fenced.
        target: String,
        /// The device (stonith resource).
        device: String,
        /// Its exit code.
        rc: String,
    },
    /// Fencing finished.
    FenceDone {
        /// reboot, off, on.
        action: String,
        /// The node fenced.
        target: String,
        /// The node that fenced it.
        by: String,
        /// OK, or the error.
        result: String,
    },
    /// An operation was sent to a node (logged by the DC) or begun by the node itself.
    OpBegin {
        /// start, stop, …
        op: String,
        /// The resource.
        rsc: String,
        /// Where it runs.
        node: String,
        /// True when logged by the node running it ("Requesting local execution").
        local: bool,
    },
    /// An operation ended.
    OpResult {
        /// start, stop, …
        op: String,
        /// The resource.
        rsc: String,
        /// Where it ran.
        node: String,
        /// ok, not running, error, …
        result: String,
    },
    /// One of hasan's phases ended (journal fields of libocf::log::Phase).
    Phase {
        /// The resource.
        rsc: String,
        /// The action.
        action: String,
        /// The phase.
        phase: String,
        /// How long it took.
        duration_ms: u64,
        /// ok or failed.
        result: String,
        /// The message text after the duration.
        detail: String,
    },
}

type Build = fn(&regex::Captures) -> Event;

fn cap(c: &regex::Captures, i: usize) -> String {
    c.get(i).map_or(String::new(), |m| m.as_str().to_owned())
}

/// (syslog identifier prefix, pattern, event) — Pacemaker 2.1 / corosync 3.1 wording.
const PATTERNS: &[(&str, &str, Build)] = &[
    (
        "corosync",
        r"A processor failed, forming new configuration(?:: )?(.*)",
        |c| Event::TokenLost { why: cap(c, 1) },
    ),
    ("pacemaker-controld", r"Node (\S+) state is now lost", |c| {
        Event::NodeLost { node: cap(c, 1) }
    }),
    (
        "pacemaker-attrd",
        r"Setting shutdown\[(\S+)\]: \S+ -> [1-9]",
        |c| Event::ShutdownRequested { node: cap(c, 1) },
    ),
    (
        "pacemaker-controld",
        r"Node (\S+) state is now member",
        |c| Event::NodeJoined { node: cap(c, 1) },
    ),
    (
        "pacemaker-controld",
        r"do_shutdown of peer (\S+) is complete",
        |c| Event::CleanShutdown { node: cap(c, 1) },
    ),
    (
        "pacemaker-controld",
        r"Unexpected result \((.+?)\) was recorded for (\w+) of (\S+) on (\S+?)(?: at |$)",
        |c| Event::ResourceFailed {
            result: cap(c, 1),
            op: cap(c, 2),
            rsc: cap(c, 3),
            node: cap(c, 4),
        },
    ),
    (
        "pacemaker-attrd",
        r"Setting standby\[(\S+)\]: \S+ -> (?:on|true|1)\b",
        |c| Event::StandbyRequested { node: cap(c, 1) },
    ),
    ("hasan", r"^standby requested for (\S+)", |c| {
        Event::StandbyRequested { node: cap(c, 1) }
    }),
    (
        "pacemaker-controld",
        r"Requesting fencing \((\w+)\) (?:of node|targeting node) (\S+)",
        |c| Event::FenceRequested {
            action: cap(c, 1),
            target: cap(c, 2),
        },
    ),
    (
        "pacemaker-fenced",
        r"Operation '?(\w+)'? \[\d+\] (?:targeting|for host) '?(\S+?)'? (?:using|with device) '?(\S+?)'? returned:? (-?\d+)",
        |c| Event::FenceDevice {
            target: cap(c, 2),
            device: cap(c, 3),
            rc: cap(c, 4),
        },
    ),
    (
        "pacemaker-fenced",
        r"Operation '?(\w+)'? targeting (\S+) by (\S+) for \S+: (\w+)",
        |c| Event::FenceDone {
            action: cap(c, 1),
            target: cap(c, 2),
            by: cap(c, 3),
            result: cap(c, 4),
        },
    ),
    (
        "pacemaker-controld",
        r"Initiating (\w+) operation (\S+?)_(?:\w+)_\d+ (?:locally )?on (\S+)",
        |c| Event::OpBegin {
            op: cap(c, 1),
            rsc: cap(c, 2),
            node: cap(c, 3),
            local: false,
        },
    ),
    (
        "pacemaker-controld",
        r"Requesting local execution of (\w+) operation for (\S+) on (\S+)",
        |c| Event::OpBegin {
            op: cap(c, 1),
            rsc: cap(c, 2),
            node: cap(c, 3),
            local: true,
        },
    ),
    (
        "pacemaker-controld",
        r"Result of (\w+) operation for (\S+) on (\S+): (.+?)(?: \||$)",
        |c| Event::OpResult {
            op: cap(c, 1),
            rsc: cap(c, 2),
            node: cap(c, 3),
            result: cap(c, 4),
        },
    ),
];

fn compiled() -> &'static [(&'static str, Regex, Build)] {
    static TABLE: OnceLock<Vec<(&'static str, Regex, Build)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        PATTERNS
            .iter()
            .filter_map(|(ident, pat, build)| Regex::new(pat).ok().map(|r| (*ident, r, *build)))
            .collect()
    })
}

/// What an entry means, if anything.
pub fn classify(e: &Entry) -> Option<Event> {
    if let Some(phase) = e.field("HASAN_PHASE") {
        let detail = e
            .message
            .split_once(" s: ")
            .map_or(String::new(), |(_, d)| d.to_owned());
        return Some(Event::Phase {
            rsc: e.field("HASAN_RESOURCE").unwrap_or_default().to_owned(),
            action: e.field("HASAN_ACTION").unwrap_or_default().to_owned(),
            phase: phase.to_owned(),
            duration_ms: e
                .field("HASAN_DURATION_MS")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
            result: e.field("HASAN_RESULT").unwrap_or("ok").to_owned(),
            detail,
        });
    }
    compiled()
        .iter()
        .filter(|(ident, _, _)| e.ident.starts_with(ident))
        .find_map(|(_, re, build)| re.captures(&e.message).map(|c| build(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ident: &str, message: &str) -> Entry {
        Entry {
            time_us: 0,
            host: "node2".into(),
            ident: ident.into(),
            message: message.into(),
            hasan: Default::default(),
        }
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(compiled().len(), PATTERNS.len());
    }

    #[test]
    fn pacemaker_lines() {
        let c = |i, m| classify(&entry(i, m));
        assert_eq!(
            c(
                "pacemaker-controld",
                "Result of start operation for san-pool on node2: ok | CIB update 5"
            ),
            Some(Event::OpResult {
                op: "start".into(),
                rsc: "san-pool".into(),
                node: "node2".into(),
                result: "ok".into()
            })
        );
        assert_eq!(
            c(
                "pacemaker-controld",
                "Initiating stop operation san-ip_stop_0 locally on node1"
            ),
            Some(Event::OpBegin {
                op: "stop".into(),
                rsc: "san-ip".into(),
                node: "node1".into(),
                local: false
            })
        );
        assert_eq!(
            c("pacemaker-controld", "Node node1 state is now lost"),
            Some(Event::NodeLost {
                node: "node1".into()
            })
        );
        assert_eq!(c("pacemaker-execd", "Node node1 state is now lost"), None);
    }
}
