//! The time budget of one action: Pacemaker's timeout minus a safety margin, as a deadline.

use std::time::{Duration, Instant};

use crate::status::OcfError;

/// How much of the timeout is kept back so the agent can report before Pacemaker kills it:
/// a tenth, at least 500 ms and at most 5 s, never more than half.
pub fn safety_margin(timeout: Duration) -> Duration {
    let tenth = timeout / 10;
    tenth
        .clamp(Duration::from_millis(500), Duration::from_secs(5))
        .min(timeout / 2)
}

/// A deadline for the whole action.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    started: Instant,
    deadline: Instant,
    timeout: Duration,
}

impl Budget {
    /// A budget starting now for an action that Pacemaker kills after `timeout`.
    pub fn new(timeout: Duration) -> Budget {
        let started = Instant::now();
        Budget {
            started,
            deadline: started + timeout.saturating_sub(safety_margin(timeout)),
            timeout,
        }
    }

    /// The timeout Pacemaker gave (before the margin).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The instant by which the action must have answered.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Time spent since the action started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time left before the deadline (zero once past it).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// `wanted`, cut to what is left.
    pub fn cap(&self, wanted: Duration) -> Duration {
        wanted.min(self.remaining())
    }

    /// A deadline `wanted` from now, but never past the action's own.
    pub fn sub_deadline(&self, wanted: Duration) -> Instant {
        (Instant::now() + wanted).min(self.deadline)
    }

    /// Fail with a clear reason when `needed` no longer fits in the budget.
    pub fn ensure(&self, needed: Duration, what: &str) -> Result<(), OcfError> {
        let left = self.remaining();
        if left < needed {
            Err(OcfError::generic(format!(
                "{what} needs {:.1} s but only {:.1} s of the {:.0} s timeout are left",
                needed.as_secs_f64(),
                left.as_secs_f64(),
                self.timeout.as_secs_f64()
            )))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_bounded() {
        assert_eq!(
            safety_margin(Duration::from_secs(20)),
            Duration::from_secs(2)
        );
        assert_eq!(
            safety_margin(Duration::from_secs(120)),
            Duration::from_secs(5)
        );
        assert_eq!(
            safety_margin(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
        assert_eq!(
            safety_margin(Duration::from_millis(400)),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn deadline_is_inside_the_timeout() {
        let b = Budget::new(Duration::from_secs(20));
        assert!(b.remaining() <= Duration::from_secs(18));
        assert!(b.remaining() > Duration::from_secs(17));
        assert!(b.ensure(Duration::from_secs(1), "x").is_ok());
        let e = b
            .ensure(Duration::from_secs(30), "MMP activity check")
            .unwrap_err();
        assert!(
            e.reason.starts_with("MMP activity check needs 30.0 s"),
            "{}",
            e.reason
        );
        assert!(b.sub_deadline(Duration::from_secs(60)) <= b.deadline());
    }
}
