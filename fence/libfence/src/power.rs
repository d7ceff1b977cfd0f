//! The one generic fence driver: set the power, then poll until the device reports the state
//! (or `power_wait + power_timeout` / the action's deadline passes: that is a failure, never a
//! success); reboot is a verified off followed by on; a device's own power cycle counts only when
//! an off and then an on were seen.

use std::fmt;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::error::FenceError;

/// Time between two status polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Time a poll gets even when `power_timeout` is already over (the one poll after `power_wait`).
pub const LAST_POLL: Duration = Duration::from_secs(2);

/// A power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// Powered.
    On,
    /// Not powered.
    Off,
}

impl fmt::Display for Power {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Power::On => "on",
            Power::Off => "off",
        })
    }
}

/// What a verified power change did (idempotency in the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The device was already in the state; nothing was sent.
    Already(Power),
    /// The command was sent and the state was then read back.
    Reached(Power),
}

/// One outlet of a multi-outlet device, as `list` / `list-status` print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    /// What `plug` names to select it.
    pub id: String,
    /// Its name on the device (may be empty).
    pub alias: String,
    /// Its power state, when the device reported it (`list-status`).
    pub power: Option<Power>,
}

/// A connected fence device. Every call finishes by `deadline`.
pub trait PowerDevice {
    /// Read the power state.
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError>;
    /// Ask for a power state (returns once the device accepted the command).
    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError>;
    /// The outlets of a multi-outlet device (`list`, `list-status`). Only called when the agent's
    /// table advertises [`crate::FenceAction::List`]; single-machine devices keep this default.
    fn list(&mut self, _deadline: Instant) -> Result<Vec<Outlet>, FenceError> {
        Err(FenceError::Unsupported(
            "this device controls one machine and has no outlets to list".into(),
        ))
    }
}

/// Timing of verified power changes (`power_wait`, `power_timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Longest wait for the state, counted after `power_wait`.
    pub power_timeout: Duration,
    /// Fixed wait after a command before the first poll.
    pub power_wait: Duration,
}

impl Timing {
    /// The longest one verified change can take: `power_wait + power_timeout`.
    pub fn per_change(self) -> Duration {
        self.power_wait + self.power_timeout
    }
}

/// Poll until `target` is read back, from `power_wait` after now until `power_wait +
/// power_timeout` (at least one poll, bounded by `deadline`). A poll that fails because the
/// device did not answer is retried (a shared-NIC BMC drops off the network while the host powers
/// off); other errors end the wait at once.
pub fn wait_for<D: PowerDevice + ?Sized>(
    dev: &mut D,
    target: Power,
    timing: Timing,
    deadline: Instant,
) -> Result<(), FenceError> {
    poll_until(
        dev,
        target,
        timing.power_wait,
        timing.power_timeout,
        deadline,
    )
}

fn poll_until<D: PowerDevice + ?Sized>(
    dev: &mut D,
    target: Power,
    wait: Duration,
    timeout: Duration,
    deadline: Instant,
) -> Result<(), FenceError> {
    let started = Instant::now();
    if !wait.is_zero() {
        sleep(wait.min(deadline.saturating_duration_since(started)));
    }
    let until = deadline.min(started + wait + timeout);
    let mut last;
    loop {
        let now = Instant::now();
        let poll_by = deadline.min(until.max(now + LAST_POLL));
        match dev.power(poll_by) {
            Ok(p) if p == target => {
                tracing::debug!(
                    "power is {target} after {:.2} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            Ok(p) => last = p.to_string(),
            Err(e @ FenceError::Unreachable(_)) => {
                tracing::debug!("power poll failed, polling on: {e}");
                last = e.to_string();
            }
            Err(e) => return Err(e),
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        sleep(POLL_INTERVAL.min(left));
    }
    Err(FenceError::Timeout(format!(
        "power did not reach {target} within {:.1} s (power_wait {} s + power_timeout {} s; last seen: {})",
        started.elapsed().as_secs_f64(),
        wait.as_secs_f64(),
        timeout.as_secs_f64(),
        last
    )))
}

/// Set `target` and verify it, unless the device is already there.
pub fn set_verified<D: PowerDevice + ?Sized>(
    dev: &mut D,
    target: Power,
    timing: Timing,
    deadline: Instant,
) -> Result<Transition, FenceError> {
    if dev.power(deadline)? == target {
        tracing::info!("power already {target}");
        return Ok(Transition::Already(target));
    }
    dev.set_power(target, deadline)?;
    wait_for(dev, target, timing, deadline)?;
    tracing::info!("power {target} (verified)");
    Ok(Transition::Reached(target))
}

/// Reboot: off (verified), then on. The node is fenced once off is verified: a failing power
/// on is logged, as fence-agents does, and the reboot still succeeds.
pub fn reboot<D: PowerDevice + ?Sized>(
    dev: &mut D,
    timing: Timing,
    deadline: Instant,
) -> Result<(), FenceError> {
    set_verified(dev, Power::Off, timing, deadline)?;
    power_on_after_off(dev, timing, deadline);
    Ok(())
}

fn power_on_after_off<D: PowerDevice + ?Sized>(dev: &mut D, timing: Timing, deadline: Instant) {
    if let Err(e) = set_verified(dev, Power::On, timing, deadline) {
        tracing::error!("node is off, but powering it on again failed: {e}");
    }
}

/// How a reboot by the device's power cycle went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycled {
    /// The node was off: it was powered on (verified), nothing was cycled.
    WasOff,
    /// Off and then on were seen after the cycle command.
    Observed,
    /// The cycle was acknowledged but off was never seen: a verified off and on were done instead.
    FellBack,
}

/// Reboot with the device's own power cycle (`send_cycle`), trusted only when seen: after the
/// command, power is polled (every [`POLL_INTERVAL`], from at once) for an off within
/// `power_wait + power_timeout`, then for the on. A device that acknowledges the cycle and is never
/// seen off gets a verified off and on instead ([`reboot`]); if that off is not seen either, the
/// reboot fails. As with [`reboot`], once off was seen a failing on is logged, not fatal.
pub fn cycle<D: PowerDevice + ?Sized>(
    dev: &mut D,
    send_cycle: impl FnOnce(&mut D, Instant) -> Result<(), FenceError>,
    timing: Timing,
    deadline: Instant,
) -> Result<Cycled, FenceError> {
    if dev.power(deadline)? == Power::Off {
        set_verified(dev, Power::On, timing, deadline)?;
        return Ok(Cycled::WasOff);
    }
    send_cycle(dev, deadline)?;
    match poll_until(
        dev,
        Power::Off,
        Duration::ZERO,
        timing.per_change(),
        deadline,
    ) {
        Ok(()) => {
            tracing::info!("power cycle: off seen");
            if let Err(e) = poll_until(
                dev,
                Power::On,
                Duration::ZERO,
                timing.per_change(),
                deadline,
            ) {
                tracing::error!(
                    "node was off, but it did not come back on after the power cycle: {e}"
                );
            }
            Ok(Cycled::Observed)
        }
        Err(FenceError::Timeout(why)) => {
            tracing::warn!(
                "the device acknowledged the power cycle but power was never seen off ({why}): doing a verified off and on instead"
            );
            reboot(dev, timing, deadline)?;
            Ok(Cycled::FellBack)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device whose state follows a command after `lag` polls, recording what it was sent.
    #[derive(Debug)]
    struct Lagging {
        state: Power,
        pending: Option<(Power, u32)>,
        sent: Vec<Power>,
        refuse_on: bool,
        lag: u32,
        then_on: bool,
        deaf_polls: u32,
    }

    impl Lagging {
        fn new(state: Power) -> Self {
            Lagging {
                state,
                pending: None,
                sent: vec![],
                refuse_on: false,
                lag: 2,
                then_on: false,
                deaf_polls: 0,
            }
        }
    }

    impl PowerDevice for Lagging {
        fn power(&mut self, _: Instant) -> Result<Power, FenceError> {
            if self.deaf_polls > 0 && !self.sent.is_empty() {
                self.deaf_polls -= 1;
                return Err(FenceError::Unreachable("no answer".into()));
            }
            if let Some((p, n)) = self.pending {
                if n == 0 {
                    self.state = p;
                    self.pending = None;
                    if std::mem::take(&mut self.then_on) {
                        self.pending = Some((Power::On, 2));
                    }
                } else {
                    self.pending = Some((p, n - 1));
                }
            }
            Ok(self.state)
        }
        fn set_power(&mut self, target: Power, _: Instant) -> Result<(), FenceError> {
            self.sent.push(target);
            if target == Power::On && self.refuse_on {
                return Err(FenceError::Device("refused".into()));
            }
            self.pending = Some((target, self.lag));
            Ok(())
        }
    }

    /// A device that never changes.
    #[derive(Debug)]
    struct Stuck;
    impl PowerDevice for Stuck {
        fn power(&mut self, _: Instant) -> Result<Power, FenceError> {
            Ok(Power::On)
        }
        fn set_power(&mut self, _: Power, _: Instant) -> Result<(), FenceError> {
            Ok(())
        }
    }

    const T: Timing = Timing {
        power_timeout: Duration::from_secs(5),
        power_wait: Duration::ZERO,
    };

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[test]
    fn off_is_verified_even_when_the_device_lags() {
        let mut d = Lagging::new(Power::On);
        assert_eq!(
            set_verified(&mut d, Power::Off, T, later()),
            Ok(Transition::Reached(Power::Off))
        );
        assert_eq!(d.state, Power::Off);
        assert_eq!(
            set_verified(&mut d, Power::Off, T, later()),
            Ok(Transition::Already(Power::Off))
        );
        assert_eq!(d.sent, vec![Power::Off]);
    }

    #[test]
    fn a_state_never_reached_is_a_failure() {
        let t = Timing {
            power_timeout: Duration::from_millis(500),
            power_wait: Duration::ZERO,
        };
        let e = set_verified(&mut Stuck, Power::Off, t, later()).unwrap_err();
        assert!(matches!(e, FenceError::Timeout(_)), "{e}");
        assert!(e.to_string().contains("did not reach off"), "{e}");
        // The action deadline bounds it too.
        let e = set_verified(
            &mut Stuck,
            Power::Off,
            T,
            Instant::now() + Duration::from_millis(300),
        );
        assert!(e.is_err());
    }

    #[test]
    fn reboot_is_off_then_on_and_off_is_what_counts() {
        let mut d = Lagging::new(Power::On);
        reboot(&mut d, T, later()).unwrap();
        assert_eq!(d.sent, vec![Power::Off, Power::On]);
        assert_eq!(d.state, Power::On);
        let mut d = Lagging::new(Power::On);
        d.refuse_on = true;
        reboot(&mut d, T, later()).unwrap();
        assert_eq!(d.state, Power::Off);
        // Off that fails is a failed reboot.
        let t = Timing {
            power_timeout: Duration::from_millis(300),
            power_wait: Duration::ZERO,
        };
        assert!(reboot(&mut Stuck, t, later()).is_err());
    }

    /// A device that acknowledges everything, a power cycle included, and never changes.
    #[derive(Debug)]
    struct Deaf;
    impl PowerDevice for Deaf {
        fn power(&mut self, _: Instant) -> Result<Power, FenceError> {
            Ok(Power::On)
        }
        fn set_power(&mut self, _: Power, _: Instant) -> Result<(), FenceError> {
            Ok(())
        }
    }

    #[test]
    fn an_acknowledged_cycle_that_never_cut_power_is_not_a_reboot() {
        let t = Timing {
            power_timeout: Duration::from_millis(400),
            power_wait: Duration::ZERO,
        };
        let e = cycle(&mut Deaf, |_, _| Ok(()), t, later()).unwrap_err();
        assert!(e.to_string().contains("did not reach off"), "{e}");
    }

    #[test]
    fn power_wait_longer_than_power_timeout_still_polls_once() {
        // fence-agents waits power_wait, then polls; power_timeout counts after that.
        let mut d = Lagging::new(Power::On);
        d.lag = 0;
        let t = Timing {
            power_timeout: Duration::from_millis(100),
            power_wait: Duration::from_millis(300),
        };
        assert_eq!(
            set_verified(&mut d, Power::Off, t, later()),
            Ok(Transition::Reached(Power::Off))
        );
    }

    #[test]
    fn cycle_of_an_off_node_powers_it_on() {
        let mut d = Lagging::new(Power::Off);
        let cycled = cycle(&mut d, |_, _| panic!("no cycle of an off node"), T, later());
        assert_eq!(cycled, Ok(Cycled::WasOff));
        assert_eq!(d.sent, vec![Power::On]);
    }

    #[test]
    fn a_cycle_counts_when_off_then_on_are_seen() {
        // The device goes off after 2 polls and comes back after 2 more.
        let mut d = Lagging::new(Power::On);
        let cycled = cycle(
            &mut d,
            |d, _| {
                d.pending = Some((Power::Off, 2));
                d.then_on = true;
                Ok(())
            },
            T,
            later(),
        );
        assert_eq!(cycled, Ok(Cycled::Observed));
        assert_eq!(d.state, Power::On);
        assert!(d.sent.is_empty(), "no off/on was needed: {:?}", d.sent);
    }

    #[test]
    fn a_cycle_never_seen_off_falls_back_to_verified_off_and_on() {
        let t = Timing {
            power_timeout: Duration::from_millis(400),
            power_wait: Duration::ZERO,
        };
        let mut d = Lagging::new(Power::On);
        let cycled = cycle(&mut d, |_, _| Ok(()), t, later());
        assert_eq!(cycled, Ok(Cycled::FellBack));
        assert_eq!(d.sent, vec![Power::Off, Power::On]);
        assert_eq!(d.state, Power::On);
    }

    #[test]
    fn unanswered_polls_are_retried_until_the_state_is_seen() {
        // A shared-NIC BMC: the first polls after off get no answer.
        let mut d = Lagging::new(Power::On);
        d.deaf_polls = 3;
        assert_eq!(
            set_verified(&mut d, Power::Off, T, later()),
            Ok(Transition::Reached(Power::Off))
        );
    }
}
