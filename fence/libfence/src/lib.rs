//! libfence: everything hasan's fence agents share — the parameter table, options from stdin
//! (`key=value`, as Pacemaker sends them) or the fence-agents command line, the actions and
//! their exit codes, verified power control under one deadline, fence-agents meta-data and the
//! man page, and secrets that never reach argv or logs. It knows no device protocol: IPMI,
//! HTTP plugs and the like live in their agents.
//!
//! # Writing a new fence agent
//!
//! A fence agent is a crate `fence/fence_hasan_<name>` with a library (`src/lib.rs`, the agent)
//! and a thin binary (`src/main.rs`: `fn main() -> ExitCode { libfence::run::<MyAgent>() }`).
//!
//! 1. **The table** ([`FenceSpec`]): one `static` listing the parameters — the shared ones from
//!    [`spec::common`] (`action`, `ip`, `username`, `password`, `password_script`, `plug`,
//!    `nodes`, `power_timeout`, `power_wait`, `login_timeout`, `delay`, `verify_silent`,
//!    `silent_timeout`, `verbose`, `quiet`, `nodename`) plus the device's own ([`FenceParam::string`] and its builders) — and the
//!    actions it advertises. Meta-data, the man page, `--help`, stdin and argv parsing all read
//!    it: never repeat a default in code, read it with [`Options::str`] / [`Options::seconds`].
//!    An option that would select another machine is refused in `from_options`, never ignored.
//! 2. **[`FenceAgent::from_options`]**: validate everything (this is `validate-all`); nothing is
//!    sent and no password is fetched. Bad input is a [`FenceError::Usage`] of one line.
//! 3. **[`FenceAgent::connect`]**: fetch the password ([`Options::password`]: `password_script`
//!    first), connect and log in by the deadline given, return the [`PowerDevice`].
//! 4. **[`PowerDevice`]**: `power` reads the state, `set_power` asks for one. libfence does the
//!    rest: it verifies every change by polling (a device that says "done" and does not switch
//!    fails the fence), reboots as verified off + on, honours `delay`, `power_wait`,
//!    `power_timeout` and `login_timeout`, refuses a `plug`/`nodename` outside `nodes`, and,
//!    when `verify_silent` lists the node's addresses, fails an off (or a reboot, before its on)
//!    if any of them still answers within `silent_timeout` ([`silent`]): give every agent both.
//!    A multi-outlet device selects its outlet from `plug` in `connect`, implements
//!    [`PowerDevice::list`] and advertises [`FenceAction::List`] and [`FenceAction::ListStatus`].
//!    A device with its own power cycle overrides [`FenceAgent::reboot`] with [`power::cycle`].
//! 5. **Golden meta-data**: `make metadata` writes `ocf-metadata/fence/<agent>.xml`; the host
//!    tests compare the binary with it and validate it against fence-agents' schema.
//! 6. **Tests**: unit tests of the device's parsers (proptest: no reply makes them panic), host
//!    tests against a real device stand-in on 127.0.0.1 (see `tests/host/tests/fence_*.rs`).
//!
//! The smallest complete agent — a device that is one in-memory switch:
//!
//! ```
//! use std::time::Instant;
//! use libfence::spec::common;
//! use libfence::{FenceAction, FenceAgent, FenceError, FenceSpec, Options, Power, PowerDevice};
//!
//! static SPEC: FenceSpec = FenceSpec {
//!     name: "fence_hasan_demo",
//!     version: env!("CARGO_PKG_VERSION"),
//!     shortdesc: "Fence agent for a demo switch",
//!     longdesc: "fence_hasan_demo switches an in-memory demo switch.",
//!     vendor_url: "https://example.invalid",
//!     params: &[
//!         common::ACTION, common::IP, common::PLUG, common::NODES, common::POWER_TIMEOUT,
//!         common::POWER_WAIT, common::LOGIN_TIMEOUT, common::DELAY, common::VERBOSE,
//!         common::QUIET, common::NODENAME,
//!     ],
//!     actions: &[
//!         FenceAction::On, FenceAction::Off, FenceAction::Reboot, FenceAction::Status,
//!         FenceAction::Monitor, FenceAction::Metadata, FenceAction::Manpage,
//!         FenceAction::ValidateAll,
//!     ],
//! };
//!
//! #[derive(Debug)]
//! struct Demo { ip: String }
//!
//! #[derive(Debug)]
//! struct DemoSwitch { on: bool }
//!
//! impl PowerDevice for DemoSwitch {
//!     fn power(&mut self, _deadline: Instant) -> Result<Power, FenceError> {
//!         Ok(if self.on { Power::On } else { Power::Off })
//!     }
//!     fn set_power(&mut self, target: Power, _deadline: Instant) -> Result<(), FenceError> {
//!         self.on = target == Power::On;
//!         Ok(())
//!     }
//! }
//!
//! impl FenceAgent for Demo {
//!     const SPEC: &'static FenceSpec = &SPEC;
//!     type Device = DemoSwitch;
//!     fn from_options(o: &Options) -> Result<Self, FenceError> {
//!         Ok(Demo { ip: o.required("ip")?.to_owned() })
//!     }
//!     fn connect(&self, _o: &Options, _deadline: Instant) -> Result<DemoSwitch, FenceError> {
//!         Ok(DemoSwitch { on: self.ip == "on" })
//!     }
//! }
//!
//! // `main` would be `libfence::run::<Demo>()`; here the same path without a process:
//! let run = |stdin: &'static str| {
//!     libfence::dispatch::<Demo>(&[], || Ok(stdin.to_owned().into()), |_| None, |_| {})
//! };
//! let out = run("action=off\nip=on\nport=node1\nnodes=node1\n");
//! assert_eq!((out.code, out.stdout.as_str()), (0, "Success: Powered OFF\n"));
//! assert_eq!(run("action=status\nip=off\n").code, 2);
//! assert_eq!(run("action=off\nip=on\nport=node2\nnodes=node1\n").code, 1);
//! assert!(run("action=metadata\n").stdout.contains("<parameter name=\"nodes\""));
//! ```

pub mod action;
pub mod args;
pub mod error;
pub mod manpage;
pub mod metadata;
pub mod options;
pub mod power;
pub mod run;
pub mod secret;
pub mod silent;
pub mod spec;
pub mod stdin;

pub use action::FenceAction;
pub use error::FenceError;
pub use options::Options;
pub use power::{Outlet, Power, PowerDevice, Timing, Transition};
pub use run::{dispatch, run, FenceAgent, FenceOutcome};
pub use secret::Secret;
pub use spec::{FenceKind, FenceParam, FenceSpec};
