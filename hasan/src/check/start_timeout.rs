//! Check that each ocf:hasan:zpool resource's start timeout covers an import after a crash of
//! the other node, as the agent's preflight computes it (`hasan_zpool::start_need`).

use std::time::Duration;

use super::{Facts, Finding};

/// Pacemaker's operation timeout when neither the operation nor `op_defaults` sets one.
pub const PACEMAKER_DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A Pacemaker time as written in the CIB (`300`, `300s`, `5min`, `1500ms`, …: a whole number
/// with an optional unit, seconds without one), as Pacemaker's `crm_get_msec` reads it. No
/// crate parses this small format; ISO 8601 is not accepted here (`None`).
pub fn pacemaker_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().ok()?;
    let ms = match t[digits..].trim() {
        "" | "s" | "sec" => n.checked_mul(1000)?,
        "ms" | "msec" => n,
        "us" | "usec" => n / 1000,
        "m" | "min" => n.checked_mul(60_000)?,
        "h" | "hr" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

/// The start timeout of the zpool resources, against what an import after a crash may need.
pub fn start_timeout(f: &Facts) -> Vec<Finding> {
    const C: &str = "start-timeout";
    if f.cib.is_err() {
        return vec![Finding::skip(C, "the CIB could not be read")];
    }
    if f.pools.is_empty() {
        return vec![Finding::skip(C, "no ocf:hasan:zpool resource")];
    }
    f.pools
        .iter()
        .map(|p| {
            let id = &p.rsc.id;
            let need = match &p.need {
                Ok(n) => n,
                Err(e) => {
                    return Finding::warn(
                        C,
                        format!("{id}: {e}"),
                        format!("crm_resource --validate -r {id}"),
                    )
                }
            };
            let written = p
                .rsc
                .ops
                .iter()
                .find(|(name, _, timeout)| name == "start" && !timeout.is_empty())
                .map(|(_, _, t)| (t.clone(), "its start operation"))
                .or_else(|| f.op_default("timeout").map(|t| (t, "op_defaults")));
            let (timeout, from) = match &written {
                Some((t, from)) => match pacemaker_duration(t) {
                    Some(d) => (d, format!("{t} from {from}")),
                    None => {
                        return Finding::warn(
                            C,
                            format!("{id}: start timeout {t:?} ({from}) is not a time hasan reads"),
                            format!(
                                "pcs resource update {id} op start timeout={}s",
                                need.timeout.as_secs()
                            ),
                        )
                    }
                },
                None => (
                    PACEMAKER_DEFAULT_TIMEOUT,
                    "Pacemaker's default 20s".to_owned(),
                ),
            };
            let why = format!(
                "an import after a crash of the other node may wait {:.0} s (two multihost \
                 activity checks of up to {:.1} s with this node's parameters: interval {} ms, \
                 import_intervals {}, fail_intervals {})",
                need.wait.as_secs_f64(),
                need.activity_check.as_secs_f64(),
                need.mmp.interval_ms,
                need.mmp.import_intervals,
                need.mmp.fail_intervals
            );
            if timeout >= need.timeout {
                Finding::pass(
                    C,
                    format!(
                        "{id}: start timeout {} s covers it: {why}",
                        timeout.as_secs()
                    ),
                )
            } else {
                Finding::fail(
                    C,
                    format!(
                        "{id}: start timeout {} s ({from}) is shorter than the {} s needed: {why}; \
                         the agent refuses to start",
                        timeout.as_secs(),
                        need.timeout.as_secs()
                    ),
                    format!(
                        "pcs resource update {id} op start timeout={}s",
                        need.timeout.as_secs()
                    ),
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacemaker_times_are_read_like_pacemaker() {
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(pacemaker_duration("300s"), s(300));
        assert_eq!(pacemaker_duration("300"), s(300));
        assert_eq!(pacemaker_duration(" 5min "), s(300));
        assert_eq!(pacemaker_duration("2m"), s(120));
        assert_eq!(pacemaker_duration("1h"), s(3600));
        assert_eq!(
            pacemaker_duration("1500ms"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(pacemaker_duration("PT5M"), None);
        assert_eq!(pacemaker_duration("100xs"), None);
        assert_eq!(pacemaker_duration(""), None);
    }
}
