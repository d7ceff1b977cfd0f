//! Dispatch: read options (argv, or stdin when there are no arguments), pick the action, run it
//! under one deadline, print what fence-agents prints and return its exit code.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::action::FenceAction;
use crate::args::{self, Cli};
use crate::error::FenceError;
use crate::options::Options;
use crate::power::{self, Power, PowerDevice, Timing};
use crate::spec::FenceSpec;
use crate::stdin;

/// Exit code of success (and of `status` when on).
pub const EXIT_OK: u8 = 0;
/// Exit code of any failure.
pub const EXIT_ERROR: u8 = 1;
/// Exit code of `status` when off.
pub const EXIT_OFF: u8 = 2;

/// Time `status`, `monitor` and `list` get for their query after the login.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(4);

/// A fence agent: its table, how options become a validated agent, how it connects.
pub trait FenceAgent: Sized {
    /// The table.
    const SPEC: &'static FenceSpec;
    /// Part of the action's budget kept after the last step for closing the connection (an
    /// IPMI session's Close Session, say); the steps end that much before the budget does.
    const CLOSE_SLACK: Duration = Duration::ZERO;
    /// The connected device.
    type Device: PowerDevice;
    /// Validate the options (validate-all; touches nothing).
    fn from_options(opts: &Options) -> Result<Self, FenceError>;
    /// Connect (and log in) by `deadline` (`login_timeout` from now); the password is fetched
    /// here, not earlier.
    fn connect(&self, opts: &Options, deadline: Instant) -> Result<Self::Device, FenceError>;
    /// Reboot by `deadline`. The default, [`power::reboot`], is a verified off then on; an agent
    /// with a hardware power cycle may use [`power::cycle`], which trusts only what it sees.
    fn reboot(
        &self,
        dev: &mut Self::Device,
        timing: Timing,
        deadline: Instant,
    ) -> Result<(), FenceError> {
        power::reboot(dev, timing, deadline)
    }
}

/// What an action printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceOutcome {
    /// Exit code.
    pub code: u8,
    /// Standard output.
    pub stdout: String,
    /// Messages for stderr/logs, `(is_error, line)`.
    pub log: Vec<(bool, String)>,
}

impl FenceOutcome {
    fn ok(stdout: impl Into<String>) -> Self {
        FenceOutcome {
            code: EXIT_OK,
            stdout: stdout.into(),
            log: vec![],
        }
    }
    fn error(e: &FenceError) -> Self {
        FenceOutcome {
            code: EXIT_ERROR,
            stdout: String::new(),
            log: vec![(true, e.to_string())],
        }
    }
}

/// A run's options, its action and the warnings about its input.
pub type Request = (Options, FenceAction, Vec<String>);

/// The options and action of one run, from argv or stdin (or what `--help`/`--version` print).
pub fn read_options(
    spec: &'static FenceSpec,
    argv: &[String],
    stdin_text: impl FnOnce() -> Result<stdin::StdinText, FenceError>,
) -> Result<Result<Request, FenceOutcome>, FenceError> {
    let (pairs, mut warnings): (Vec<(String, stdin::Value)>, Vec<String>) = if argv.is_empty() {
        let text = stdin_text()?;
        let p = stdin::parse(&text);
        (p.pairs, p.warnings)
    } else {
        match args::parse(spec, argv)? {
            Cli::Help => return Ok(Err(FenceOutcome::ok(args::usage(spec)))),
            Cli::Version => {
                return Ok(Err(FenceOutcome::ok(format!(
                    "{} {}\n",
                    spec.name, spec.version
                ))))
            }
            Cli::Pairs(p) => (
                p.into_iter()
                    .map(|(k, v)| (k.to_owned(), stdin::Value::exact(v)))
                    .collect(),
                vec![],
            ),
        }
    };
    let (opts, w) = Options::from_values(spec, pairs)?;
    warnings.extend(w);
    let name = opts.str("action").unwrap_or("reboot");
    let action = FenceAction::parse(name).ok_or_else(|| {
        let known: Vec<&str> = FenceAction::ALL.iter().map(|(_, n)| *n).collect();
        FenceError::usage(format!(
            "unknown action {name:?}: expected one of {}",
            known.join(", ")
        ))
    })?;
    Ok(Ok((opts, action, warnings)))
}

/// `power_wait` and `power_timeout` from the options. `power_timeout=0` is refused: fence-agents
/// fails every power change with it (it never polls), so it can only be a mistake.
pub fn timing(opts: &Options) -> Result<Timing, FenceError> {
    let t = Timing {
        power_timeout: opts.seconds("power_timeout")?,
        power_wait: opts.seconds("power_wait")?,
    };
    if t.power_timeout.is_zero() && opts.spec().param("power_timeout").is_some() {
        return Err(FenceError::usage(
            "power_timeout=0 cannot verify any power change: give the seconds to wait for the state (default 20)",
        ));
    }
    Ok(t)
}

/// How long an action may take in total: `delay`, `login_timeout`, `power_wait + power_timeout`
/// per power change (two for reboot), `silent_timeout` after off when `verify_silent` is set,
/// [`QUERY_TIMEOUT`] for queries, and `close_slack`.
pub fn action_budget(
    opts: &Options,
    action: FenceAction,
    close_slack: Duration,
) -> Result<Duration, FenceError> {
    let login = opts.seconds("login_timeout")?;
    let per_change = timing(opts)?.per_change();
    let (probes, window) = crate::silent::from_options(opts)?;
    let silence = if probes.is_empty() {
        Duration::ZERO
    } else {
        window
    };
    let steps = match action {
        FenceAction::Reboot => opts.seconds("delay")? + per_change * 2 + silence,
        FenceAction::Off => opts.seconds("delay")? + per_change + silence,
        FenceAction::On => opts.seconds("delay")? + per_change,
        _ => QUERY_TIMEOUT,
    };
    Ok(login + steps + close_slack)
}

/// Refuse a target that is not one of the machines this device powers (`nodes`), before
/// anything is sent: Pacemaker names the node in `plug`/`port` and `nodename`.
pub fn check_target(opts: &Options) -> Result<(), FenceError> {
    let Some(nodes) = opts.str("nodes") else {
        return Ok(());
    };
    let mine: Vec<&str> = nodes
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .collect();
    for key in ["plug", "nodename"] {
        if let Some(named) = opts.str(key).map(str::trim).filter(|n| !n.is_empty()) {
            if !mine.iter().any(|m| m.eq_ignore_ascii_case(named)) {
                return Err(FenceError::usage(format!(
                    "{key} {named:?} is not a machine this device powers (nodes={}): refusing to touch power",
                    mine.join(",")
                )));
            }
        }
    }
    Ok(())
}

/// Run one action of agent `A` with validated options.
pub fn execute<A: FenceAgent>(opts: &Options, action: FenceAction) -> FenceOutcome {
    match action {
        FenceAction::Metadata => return FenceOutcome::ok(crate::metadata::render(A::SPEC)),
        FenceAction::Manpage => return FenceOutcome::ok(crate::manpage::render(A::SPEC)),
        _ => {}
    }
    let agent = match opts
        .check_required()
        .and_then(|()| timing(opts))
        .and_then(|_| check_target(opts))
        .and_then(|()| crate::silent::from_options(opts).map(|_| ()))
        .and_then(|()| A::from_options(opts))
    {
        Ok(a) => a,
        Err(e) => return FenceOutcome::error(&e),
    };
    if action == FenceAction::ValidateAll {
        return FenceOutcome::ok("");
    }
    match perform(&agent, opts, action) {
        Ok(o) => o,
        Err(e) => FenceOutcome::error(&e),
    }
}

fn perform<A: FenceAgent>(
    agent: &A,
    opts: &Options,
    action: FenceAction,
) -> Result<FenceOutcome, FenceError> {
    let listing = matches!(action, FenceAction::List | FenceAction::ListStatus);
    if listing && !A::SPEC.actions.contains(&FenceAction::List) {
        return Err(FenceError::Unsupported(format!(
            "{} controls one machine and cannot list the nodes it fences: set pcmk_host_list",
            A::SPEC.name
        )));
    }
    let timing = timing(opts)?;
    let (probes, window) = crate::silent::from_options(opts)?;
    let started = Instant::now();
    if matches!(
        action,
        FenceAction::On | FenceAction::Off | FenceAction::Reboot
    ) {
        let delay = opts.seconds("delay")?;
        if !delay.is_zero() {
            tracing::info!("delay {} s before {action}", delay.as_secs_f64());
            std::thread::sleep(delay);
        }
    }
    // The steps end by `deadline`; the connection's close (on drop) has CLOSE_SLACK after that.
    let deadline = started + action_budget(opts, action, A::CLOSE_SLACK)? - A::CLOSE_SLACK;
    let login_by = deadline.min(Instant::now() + opts.seconds("login_timeout")?);
    let mut dev = agent.connect(opts, login_by)?;
    let out = match action {
        FenceAction::Status => {
            let p = dev.power(deadline)?;
            FenceOutcome {
                code: if p == Power::On { EXIT_OK } else { EXIT_OFF },
                stdout: format!("Status: {}\n", p.to_string().to_uppercase()),
                log: vec![],
            }
        }
        FenceAction::Monitor => {
            dev.power(deadline)?;
            FenceOutcome::ok("")
        }
        FenceAction::List | FenceAction::ListStatus => {
            let mut text = String::new();
            for o in dev.list(deadline)? {
                text.push_str(&o.id);
                text.push(',');
                text.push_str(&o.alias);
                if action == FenceAction::ListStatus {
                    let p = o.power.map(|p| p.to_string().to_uppercase());
                    text.push(',');
                    text.push_str(p.as_deref().unwrap_or("UNKNOWN"));
                }
                text.push('\n');
            }
            FenceOutcome::ok(text)
        }
        FenceAction::On => {
            power::set_verified(&mut dev, Power::On, timing, deadline)?;
            FenceOutcome::ok("Success: Powered ON\n")
        }
        FenceAction::Off => {
            power::set_verified(&mut dev, Power::Off, timing, deadline)?;
            crate::silent::verify(&probes, window, deadline)?;
            FenceOutcome::ok("Success: Powered OFF\n")
        }
        FenceAction::Reboot if !probes.is_empty() => {
            // The silence is checked between off and on, so the reboot is always a verified
            // off and on here (a device's own power cycle leaves no moment to check).
            power::set_verified(&mut dev, Power::Off, timing, deadline)?;
            crate::silent::verify(&probes, window, deadline)?;
            if let Err(e) = power::set_verified(&mut dev, Power::On, timing, deadline) {
                tracing::error!("node is off and silent, but powering it on again failed: {e}");
            }
            FenceOutcome::ok("Success: Rebooted\n")
        }
        FenceAction::Reboot => {
            agent.reboot(&mut dev, timing, deadline)?;
            FenceOutcome::ok("Success: Rebooted\n")
        }
        _ => FenceOutcome::ok(""),
    };
    Ok(out)
}

/// Everything but the process: argv, stdin and environment in, outcome out.
pub fn dispatch<A: FenceAgent>(
    argv: &[String],
    stdin_text: impl FnOnce() -> Result<stdin::StdinText, FenceError>,
    env: impl Fn(&str) -> Option<String>,
    init_log: impl FnOnce(libocf::log::LogConfig),
) -> FenceOutcome {
    let (opts, action, warnings) = match read_options(A::SPEC, argv, stdin_text) {
        Ok(Ok(x)) => x,
        Ok(Err(printed)) => return printed,
        Err(e) => {
            init_log(libocf::log::LogConfig::from_env(
                A::SPEC.name,
                "",
                "-",
                &env,
            ));
            return FenceOutcome::error(&e);
        }
    };
    if action.needs_device() || action == FenceAction::ValidateAll {
        let mut cfg = libocf::log::LogConfig::from_env(
            A::SPEC.name,
            opts.str("plug").unwrap_or(""),
            action.name(),
            &env,
        );
        cfg.debug |= opts.flag("verbose");
        init_log(cfg);
    }
    for w in &warnings {
        tracing::warn!("{w}");
    }
    tracing::debug!("options {opts:?}");
    execute::<A>(&opts, action)
}

/// The whole agent: `fn main() -> ExitCode { libfence::run::<MyAgent>() }`. The process is made
/// non-dumpable first (no core file or ptrace by other users can read the password).
pub fn run<A: FenceAgent>() -> ExitCode {
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    let out = match argv() {
        Ok(argv) => dispatch::<A>(
            &argv,
            || stdin::read(std::io::stdin().lock()),
            |k| std::env::var(k).ok(),
            libocf::log::init,
        ),
        Err(e) => FenceOutcome::error(&e),
    };
    print!("{}", out.stdout);
    for (is_error, line) in &out.log {
        if *is_error {
            tracing::error!("{line}");
            // Without a logger (meta-data, usage errors before init), still say it once.
            if !tracing::dispatcher::has_been_set() {
                eprintln!("ERROR: {line}");
            }
        }
    }
    ExitCode::from(out.code)
}

/// The arguments; one that is not UTF-8 is an error that does not show it.
fn argv() -> Result<Vec<String>, FenceError> {
    std::env::args_os()
        .skip(1)
        .enumerate()
        .map(|(i, a)| {
            a.into_string()
                .map_err(|_| FenceError::usage(format!("argument {} is not UTF-8 text", i + 1)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::common;
    use std::cell::Cell;

    thread_local! {
        static STATE: Cell<Power> = const { Cell::new(Power::On) };
        static CONNECTS: Cell<u32> = const { Cell::new(0) };
    }

    #[derive(Debug)]
    struct Fake;
    #[derive(Debug)]
    struct FakeDev;
    impl PowerDevice for FakeDev {
        fn power(&mut self, _: Instant) -> Result<Power, FenceError> {
            Ok(STATE.get())
        }
        fn set_power(&mut self, t: Power, _: Instant) -> Result<(), FenceError> {
            STATE.set(t);
            Ok(())
        }
    }
    static SPEC: FenceSpec = FenceSpec {
        name: "fence_fake",
        version: "0",
        shortdesc: "fake",
        longdesc: "fake",
        vendor_url: "https://example.invalid",
        params: &[
            common::ACTION,
            common::IP,
            common::PASSWORD,
            common::PLUG,
            common::POWER_TIMEOUT,
            common::POWER_WAIT,
            common::LOGIN_TIMEOUT,
            common::DELAY,
            common::VERBOSE,
            common::NODENAME,
            common::NODES,
            common::VERIFY_SILENT,
            common::SILENT_TIMEOUT,
        ],
        actions: &[
            FenceAction::On,
            FenceAction::Off,
            FenceAction::Reboot,
            FenceAction::Status,
        ],
    };
    impl FenceAgent for Fake {
        const SPEC: &'static FenceSpec = &SPEC;
        type Device = FakeDev;
        fn from_options(o: &Options) -> Result<Self, FenceError> {
            if o.str("ip") == Some("bad") {
                return Err(FenceError::usage("ip bad is bad"));
            }
            Ok(Fake)
        }
        fn connect(&self, o: &Options, _: Instant) -> Result<FakeDev, FenceError> {
            CONNECTS.set(CONNECTS.get() + 1);
            if o.str("ip") == Some("down") {
                return Err(FenceError::Unreachable("no answer from down".into()));
            }
            Ok(FakeDev)
        }
    }

    fn stdin_run(text: &str) -> FenceOutcome {
        let t = text.to_owned();
        dispatch::<Fake>(&[], move || Ok(t.into()), |_| None, |_| {})
    }

    fn argv_run(a: &str) -> FenceOutcome {
        let argv: Vec<String> = a.split_whitespace().map(str::to_owned).collect();
        dispatch::<Fake>(&argv, || Ok(String::new().into()), |_| None, |_| {})
    }

    #[test]
    fn status_exit_codes_are_fence_agents_ones() {
        STATE.set(Power::On);
        let o = stdin_run("action=status\nip=x\n");
        assert_eq!((o.code, o.stdout.as_str()), (0, "Status: ON\n"));
        STATE.set(Power::Off);
        let o = argv_run("-o status -a x");
        assert_eq!((o.code, o.stdout.as_str()), (2, "Status: OFF\n"));
        let o = stdin_run("action=status\nip=down\n");
        assert_eq!(o.code, 1);
        assert_eq!(o.log, vec![(true, "no answer from down".to_owned())]);
    }

    #[test]
    fn power_actions_and_pacemaker_keys() {
        STATE.set(Power::On);
        let o = stdin_run("action=off\nipaddr=x\nport=node1\nnodename=node1\n");
        assert_eq!(o.code, 0, "{o:?}");
        assert_eq!(STATE.get(), Power::Off);
        let o = argv_run("--action=on --ip=x");
        assert_eq!(o.code, 0);
        assert_eq!(STATE.get(), Power::On);
        assert_eq!(stdin_run("action=reboot\nip=x\n").code, 0);
        assert_eq!(stdin_run("ip=x\n").code, 0, "default action is reboot");
    }

    #[test]
    fn metadata_validate_and_usage_errors() {
        CONNECTS.set(0);
        let o = stdin_run("action=meta-data\n");
        assert_eq!(o.code, 0);
        assert!(o.stdout.starts_with("<?xml"), "{}", o.stdout);
        assert_eq!(argv_run("-o metadata").stdout, o.stdout);
        assert_eq!(stdin_run("action=validate-all\nip=x\n").code, 0);
        let o = stdin_run("action=validate-all\nip=bad\n");
        assert_eq!((o.code, o.log[0].1.as_str()), (1, "ip bad is bad"));
        let o = stdin_run("action=explode\nip=x\n");
        assert_eq!(o.code, 1);
        assert!(
            o.log[0].1.starts_with("unknown action \"explode\""),
            "{o:?}"
        );
        assert_eq!(stdin_run("action=off\n").code, 1, "ip missing");
        assert_eq!(stdin_run("action=list\nip=x\n").code, 1);
        assert!(argv_run("-h").stdout.contains("Usage: fence_fake"));
        assert_eq!(CONNECTS.get(), 0, "none of these touched the device");
    }

    #[test]
    fn budget_covers_every_step() {
        let (o, _) =
            Options::from_pairs(&SPEC, &[("ip", "x".to_owned()), ("delay", "3".to_owned())])
                .unwrap();
        let slack = Duration::from_secs(2);
        assert_eq!(
            action_budget(&o, FenceAction::Reboot, slack).unwrap(),
            Duration::from_secs(3 + 5 + 40 + 2)
        );
        // Queries get their own time after the login.
        assert_eq!(
            action_budget(&o, FenceAction::Status, slack).unwrap(),
            Duration::from_secs(5 + 2) + QUERY_TIMEOUT
        );
        // power_wait counts in every power change.
        let (o, _) = Options::from_pairs(
            &SPEC,
            &[("ip", "x".to_owned()), ("power_wait", "4".to_owned())],
        )
        .unwrap();
        assert_eq!(
            action_budget(&o, FenceAction::Off, Duration::ZERO).unwrap(),
            Duration::from_secs(5 + 4 + 20)
        );
    }

    #[test]
    fn a_plug_naming_another_node_touches_nothing() {
        STATE.set(Power::On);
        CONNECTS.set(0);
        let o = stdin_run("action=off\nip=x\nnodes=node1, node1-ha\nport=node2\nnodename=node2\n");
        assert_eq!(o.code, 1, "{o:?}");
        assert!(
            o.log[0]
                .1
                .starts_with("plug \"node2\" is not a machine this device powers"),
            "{o:?}"
        );
        let o = stdin_run("action=status\nip=x\nnodes=node1\nplug=node1\nnodename=node2\n");
        assert_eq!(o.code, 1, "nodename is checked too: {o:?}");
        assert_eq!((CONNECTS.get(), STATE.get()), (0, Power::On));
        let o =
            stdin_run("action=off\nip=x\nnodes=node1,node1-ha\nport=NODE1-ha\nnodename=node1\n");
        assert_eq!(o.code, 0, "{o:?}");
        assert_eq!(STATE.get(), Power::Off);
    }

    /// A two-outlet strip: `list` and `list-status` as fence-agents prints them.
    #[derive(Debug)]
    struct Strip;
    #[derive(Debug)]
    struct StripDev;
    impl PowerDevice for StripDev {
        fn power(&mut self, _: Instant) -> Result<Power, FenceError> {
            Ok(Power::On)
        }
        fn set_power(&mut self, _: Power, _: Instant) -> Result<(), FenceError> {
            Ok(())
        }
        fn list(&mut self, _: Instant) -> Result<Vec<crate::Outlet>, FenceError> {
            Ok(vec![
                crate::Outlet {
                    id: "1".into(),
                    alias: "node1".into(),
                    power: Some(Power::On),
                },
                crate::Outlet {
                    id: "2".into(),
                    alias: String::new(),
                    power: None,
                },
            ])
        }
    }
    static STRIP: FenceSpec = FenceSpec {
        name: "fence_strip",
        version: "0",
        shortdesc: "strip",
        longdesc: "strip",
        vendor_url: "https://example.invalid",
        params: &[common::ACTION, common::IP, common::PLUG],
        actions: &[FenceAction::On, FenceAction::List, FenceAction::ListStatus],
    };
    impl FenceAgent for Strip {
        const SPEC: &'static FenceSpec = &STRIP;
        type Device = StripDev;
        fn from_options(_: &Options) -> Result<Self, FenceError> {
            Ok(Strip)
        }
        fn connect(&self, _: &Options, _: Instant) -> Result<StripDev, FenceError> {
            Ok(StripDev)
        }
    }

    #[test]
    fn a_multi_outlet_device_lists_its_outlets() {
        let run =
            |t: &'static str| dispatch::<Strip>(&[], || Ok(t.to_owned().into()), |_| None, |_| {});
        let o = run("action=list\nip=x\n");
        assert_eq!((o.code, o.stdout.as_str()), (0, "1,node1\n2,\n"));
        let o = run("action=list-status\nip=x\n");
        assert_eq!(o.stdout, "1,node1,ON\n2,,UNKNOWN\n");
        assert!(crate::metadata::render(&STRIP).contains("<action name=\"list\" />"));
    }

    #[test]
    fn power_timeout_zero_is_refused_before_anything_is_sent() {
        CONNECTS.set(0);
        let o = stdin_run("action=on\nip=x\npower_timeout=0\n");
        assert_eq!(o.code, 1, "{o:?}");
        assert!(o.log[0].1.starts_with("power_timeout=0"), "{o:?}");
        assert_eq!(
            stdin_run("action=validate-all\nip=x\npower_timeout=0\n").code,
            1
        );
        assert_eq!(CONNECTS.get(), 0);
    }

    #[test]
    fn verify_silent_fails_an_off_whose_node_still_answers() {
        // 127.0.0.1 always answers a TCP connect (accepted or refused): the node "is still up".
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        STATE.set(Power::On);
        let o = stdin_run(&format!(
            "action=off\nip=x\nverify_silent=127.0.0.1:{port}\nsilent_timeout=1\n"
        ));
        assert_eq!(o.code, 1, "{o:?}");
        assert!(o.log[0].1.contains("still answers"), "{o:?}");
        assert_eq!(
            STATE.get(),
            Power::Off,
            "the device was switched; the fence still failed"
        );
        STATE.set(Power::On);
        let o = stdin_run(&format!(
            "action=reboot\nip=x\nverify_silent=127.0.0.1:{port}\nsilent_timeout=1\n"
        ));
        assert_eq!(o.code, 1, "{o:?}");
        assert_eq!(
            STATE.get(),
            Power::Off,
            "not powered on again after a failed silence check"
        );
        // Bad addresses and a zero window are usage errors, found by validate-all.
        let o = stdin_run("action=validate-all\nip=x\nverify_silent=node2.example\n");
        assert_eq!(o.code, 1);
        let o = stdin_run("action=validate-all\nip=x\nverify_silent=10.0.0.2\nsilent_timeout=0\n");
        assert_eq!(o.code, 1);
        assert_eq!(
            stdin_run("action=validate-all\nip=x\nverify_silent=10.0.0.2,10.0.1.2:22\n").code,
            0
        );
        // The budget covers the watch.
        let (opts, _) = Options::from_pairs(
            &SPEC,
            &[
                ("ip", "x".to_owned()),
                ("verify_silent", "10.0.0.2".to_owned()),
            ],
        )
        .unwrap();
        let with = action_budget(&opts, FenceAction::Off, Duration::ZERO).unwrap();
        let (opts, _) = Options::from_pairs(&SPEC, &[("ip", "x".to_owned())]).unwrap();
        let without = action_budget(&opts, FenceAction::Off, Duration::ZERO).unwrap();
        assert_eq!(with - without, Duration::from_secs(3));
    }
}
