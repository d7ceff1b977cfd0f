//! The one generic fence driver: set the power, then poll until the device reports the state
//! (or `power_timeout` / the action's deadline passes: that is a failure, never a success);
//! reboot is a verified off followed by on.

use std::fmt;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::error::FenceError;

/// Time between two status polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

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

/// A connected fence device. Every call finishes by `deadline`.
pub trait PowerDevice {
    /// Read the power state.
    fn power(&mut self, deadline: Instant) -> Result<Power, FenceError>;
    /// Ask for a power state (returns once the device accepted the command).
    fn set_power(&mut self, target: Power, deadline: Instant) -> Result<(), FenceError>;
    /// A hardware power cycle (`method=cycle`), for devices that have one.
    fn power_cycle(&mut self, _deadline: Instant) -> Result<(), FenceError> {
        Err(FenceError::Unsupported(
            "this device has no power cycle; use method=onoff".into(),
        ))
    }
}

/// Timing of verified power changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Longest wait for the state after a command.
    pub power_timeout: Duration,
    /// Fixed wait after a command before the first poll.
    pub power_wait: Duration,
}

/// Poll until `target` is read back; fail at `power_timeout` or `deadline`, whichever is first.
pub fn wait_for(
    dev: &mut dyn PowerDevice,
    target: Power,
    timing: Timing,
    deadline: Instant,
) -> Result<(), FenceError> {
    let started = Instant::now();
    let until = deadline.min(started + timing.power_timeout);
    if !timing.power_wait.is_zero() {
        sleep(
            timing
                .power_wait
                .min(until.saturating_duration_since(Instant::now())),
        );
    }
    loop {
        let now = Instant::now();
        if now >= until {
            return Err(FenceError::Timeout(format!(
                "power did not reach {target} within {:.1} s (power_timeout {} s)",
                started.elapsed().as_secs_f64(),
                timing.power_timeout.as_secs_f64()
            )));
        }
        if dev.power(until)? == target {
            tracing::debug!(
                "power is {target} after {:.2} s",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        sleep(POLL_INTERVAL.min(until.saturating_duration_since(Instant::now())));
    }
}

/// Set `target` and verify it, unless the device is already there.
pub fn set_verified(
    dev: &mut dyn PowerDevice,
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
pub fn reboot(
    dev: &mut dyn PowerDevice,
    timing: Timing,
    deadline: Instant,
) -> Result<(), FenceError> {
    set_verified(dev, Power::Off, timing, deadline)?;
    if let Err(e) = set_verified(dev, Power::On, timing, deadline) {
        tracing::error!("node is off, but powering it on again failed: {e}");
    }
    Ok(())
}

/// Reboot with the device's power cycle, verified by reading power on afterwards. A node that
/// is off is simply powered on (a cycle does nothing when off).
pub fn cycle(
    dev: &mut dyn PowerDevice,
    timing: Timing,
    deadline: Instant,
) -> Result<(), FenceError> {
    if dev.power(deadline)? == Power::Off {
        return set_verified(dev, Power::On, timing, deadline).map(|_| ());
    }
    dev.power_cycle(deadline)?;
    wait_for(dev, Power::On, timing, deadline)
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
    }

    impl Lagging {
        fn new(state: Power) -> Self {
            Lagging {
                state,
                pending: None,
                sent: vec![],
                refuse_on: false,
            }
        }
    }

    impl PowerDevice for Lagging {
        fn power(&mut self, _: Instant) -> Result<Power, FenceError> {
            if let Some((p, n)) = self.pending {
                if n == 0 {
                    self.state = p;
                    self.pending = None;
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
            self.pending = Some((target, 2));
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

    #[test]
    fn cycle_of_an_off_node_powers_it_on() {
        let mut d = Lagging::new(Power::Off);
        cycle(&mut d, T, later()).unwrap();
        assert_eq!(d.sent, vec![Power::On]);
        let mut d = Lagging::new(Power::On);
        assert!(matches!(
            cycle(&mut d, T, later()),
            Err(FenceError::Unsupported(_))
        ));
    }
}
