//! `hasan check`: read-only checks that a failover will work. Facts are gathered once through
//! [`Host`]; each check is a small function of them in [`CHECKS`], the single list.

mod cluster;
mod facts;
mod node;
mod pool;
mod quorum;
mod start_timeout;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use serde::Serialize;

pub use cluster::is_true;
pub use facts::Facts;

use crate::host::Host;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Does not apply here (e.g. the pool is imported on the other node).
    Skip,
    /// Fine.
    Pass,
    /// Works, but weaker than it should be.
    Warn,
    /// A failover will not work as intended.
    Fail,
}

/// One result line.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check's name.
    pub check: &'static str,
    /// Its outcome.
    pub level: Level,
    /// What was found.
    pub message: String,
    /// The command that fixes it (WARN and FAIL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A PASS.
    pub fn pass(check: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            check,
            level: Level::Pass,
            message: message.into(),
            fix: None,
        }
    }
    /// A SKIP.
    pub fn skip(check: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Skip,
            ..Finding::pass(check, message)
        }
    }
    /// A WARN with its fix.
    pub fn warn(
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            level: Level::Warn,
            fix: Some(fix.into()),
            ..Finding::pass(check, message)
        }
    }
    /// A FAIL with its fix.
    pub fn fail(
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            level: Level::Fail,
            fix: Some(fix.into()),
            ..Finding::pass(check, message)
        }
    }
}

/// A check: facts in, one or more findings out.
pub type Check = fn(&Facts) -> Vec<Finding>;

/// Every check, in the order printed.
pub const CHECKS: &[(&str, Check)] = &[
    ("hostid", node::hostid),
    ("import-units", node::import_units),
    ("pool-properties", pool::properties),
    ("vdev-paths", pool::vdev_paths),
    ("iscsi-sessions", node::iscsi_sessions),
    ("validate", cluster::validate),
    ("start-timeout", start_timeout::start_timeout),
    ("stonith-enabled", cluster::stonith_enabled),
    ("fence-devices", cluster::fence_devices),
    ("san-order", cluster::san_order),
    ("stickiness", cluster::stickiness),
    ("corosync-token", quorum::token),
    ("quorum", quorum::arrangement),
];

/// All findings.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The node checked.
    pub node: String,
    /// One per check (some checks give one per resource or node).
    pub findings: Vec<Finding>,
}

impl Report {
    /// 0 all pass, 1 warnings, 2 failures.
    pub fn exit_code(&self) -> u8 {
        match self.findings.iter().map(|f| f.level).max() {
            Some(Level::Fail) => 2,
            Some(Level::Warn) => 1,
            _ => 0,
        }
    }
}

/// Gather the facts and run every check.
pub fn run_all(host: &dyn Host) -> Report {
    let facts = Facts::gather(host);
    Report {
        node: facts.node.clone(),
        findings: CHECKS.iter().flat_map(|(_, c)| c(&facts)).collect(),
    }
}

/// One line per finding: `FAIL  check  message  (fix: command)`.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    for f in &r.findings {
        let level = match f.level {
            Level::Skip => "SKIP",
            Level::Pass => "PASS",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        let _ = writeln!(
            o,
            "{level}  {:<16} {}{}",
            f.check,
            f.message,
            f.fix
                .as_ref()
                .map_or(String::new(), |x| format!("  (fix: {x})"))
        );
    }
    let count = |l: Level| r.findings.iter().filter(|f| f.level == l).count();
    let _ = writeln!(
        o,
        "{}: {} pass, {} warn, {} fail, {} skipped",
        if r.node.is_empty() {
            "this node"
        } else {
            &r.node
        },
        count(Level::Pass),
        count(Level::Warn),
        count(Level::Fail),
        count(Level::Skip)
    );
    o
}
