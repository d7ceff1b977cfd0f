//! What monitor reports: the kernel's pool state word mapped to OCF, and the error counters of
//! `zpool status -p` (depth 10).

use libocf::{Health, OcfError};

/// Map `/proc/spl/kstat/zfs/<pool>/state` to monitor's answer.
pub fn from_state(pool: &str, state: &str) -> Result<Health, OcfError> {
    match state {
        "ONLINE" => Ok(Health::Running),
        "DEGRADED" => Ok(Health::Degraded(format!(
            "pool {pool} is DEGRADED: a device is missing or failing, redundancy is reduced \
             (zpool status {pool})"
        ))),
        "SUSPENDED" => Err(OcfError::generic(format!(
            "pool {pool} is SUSPENDED: I/O to its devices failed (or multihost writes were \
             missed); no I/O proceeds until it is cleared"
        ))),
        other => Err(OcfError::generic(format!(
            "pool {pool} is {other}: it cannot serve data (zpool status {pool})"
        ))),
    }
}

/// Error counters from `zpool status -p <pool>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// Vdevs with non-zero counters: `name READ/WRITE/CKSUM`.
    pub vdevs: Vec<String>,
    /// The `errors:` line when it reports data errors.
    pub data_errors: Option<String>,
}

impl ErrorCounts {
    /// True if nothing is counted.
    pub fn clean(&self) -> bool {
        self.vdevs.is_empty() && self.data_errors.is_none()
    }

    /// One sentence for the degraded reason.
    pub fn describe(&self, pool: &str) -> String {
        let mut parts = Vec::new();
        if !self.vdevs.is_empty() {
            parts.push(format!(
                "I/O errors (read/write/checksum) on {}",
                self.vdevs.join(", ")
            ));
        }
        if let Some(e) = &self.data_errors {
            parts.push(e.clone());
        }
        format!(
            "pool {pool}: {}; see zpool status -v {pool}",
            parts.join("; ")
        )
    }
}

/// Parse the config table and the `errors:` line of `zpool status -p`.
pub fn parse_status(out: &str) -> ErrorCounts {
    let mut counts = ErrorCounts::default();
    let mut in_config = false;
    for line in out.lines() {
        let t = line.trim();
        if t.starts_with("NAME") && t.contains("CKSUM") {
            in_config = true;
            continue;
        }
        if let Some(e) = t.strip_prefix("errors:") {
            in_config = false;
            let e = e.trim();
            if e != "No known data errors" {
                counts.data_errors = Some(e.to_owned());
            }
            continue;
        }
        if !in_config || t.is_empty() {
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        if f.len() < 5 {
            continue;
        }
        let nums: Vec<u64> = f[2..5].iter().filter_map(|n| n.parse().ok()).collect();
        if nums.len() == 3 && nums.iter().any(|n| *n > 0) {
            counts
                .vdevs
                .push(format!("{} {}/{}/{}", f[0], nums[0], nums[1], nums[2]));
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::fixture;
    use libocf::OcfStatus;

    #[test]
    fn states_map_to_ocf() {
        assert_eq!(from_state("tank", "ONLINE"), Ok(Health::Running));
        assert!(
            matches!(from_state("tank", "DEGRADED"), Ok(Health::Degraded(r)) if r.contains("DEGRADED"))
        );
        for s in ["FAULTED", "UNAVAIL", "SUSPENDED", "REMOVED"] {
            let e = from_state("tank", s).unwrap_err();
            assert_eq!(e.status, OcfStatus::ErrGeneric, "{s}");
            assert!(e.reason.contains(s), "{}", e.reason);
        }
    }

    #[test]
    fn status_counters_are_read() {
        assert!(parse_status(&fixture("zpool-status-clean.txt")).clean());
        let c = parse_status(&fixture("zpool-status-errors.txt"));
        assert_eq!(c.vdevs, ["vdb 0/0/12"]);
        assert_eq!(
            c.data_errors.as_deref(),
            Some("2 data errors, use '-v' for a list")
        );
        assert!(c.describe("tank").starts_with("pool tank: I/O errors"));
    }
}
