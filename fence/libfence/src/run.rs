//! Dispatch: read options (argv, or stdin when there are no arguments), pick the action, run it
//! under one deadline, print what fence-agents prints and return its exit code.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::action::FenceAction;
use crate::args::{self, Cli};
use crate::error::FenceError;
use crate::options::Options;
use crate::power::{self, Power, PowerDevice, Timing};
use crate::spec::AgentSpec;
use crate::stdin;

/// Exit code of success (and of `status` when on).
pub const EXIT_OK: u8 = 0;
/// Exit code of any failure.
pub const EXIT_ERROR: u8 = 1;
/// Exit code of `status` when off.
pub const EXIT_OFF: u8 = 2;

/// Part of the action's budget kept for closing the session after the last step.
pub const CLOSE_SLACK: Duration = Duration::from_secs(2);

/// A fence agent: its table, how options become a validated agent, how it connects.
pub trait FenceAgent: Sized {
    /// The table.
    const SPEC: &'static AgentSpec;
    /// The connected device.
    type Device: PowerDevice;
    /// Validate the options (validate-all; touches nothing).
    fn from_options(opts: &Options) -> Result<Self, FenceError>;
    /// Connect (and log in) by `deadline`; the password is fetched here, not earlier.
    fn connect(&self, opts: &Options, deadline: Instant) -> Result<Self::Device, FenceError>;
}

/// What an action printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exit code.
    pub code: u8,
    /// Standard output.
    pub stdout: String,
    /// Messages for stderr/logs, `(is_error, line)`.
    pub log: Vec<(bool, String)>,
}

impl Outcome {
    fn ok(stdout: impl Into<String>) -> Self {
        Outcome {
            code: EXIT_OK,
            stdout: stdout.into(),
            log: vec![],
        }
    }
    fn error(e: &FenceError) -> Self {
        Outcome {
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
    spec: &'static AgentSpec,
    argv: &[String],
    stdin_text: impl FnOnce() -> String,
) -> Result<Result<Request, Outcome>, FenceError> {
    let (pairs, mut warnings): (Vec<(String, String)>, Vec<String>) = if argv.is_empty() {
        let p = stdin::parse(&stdin_text());
        (p.pairs, p.warnings)
    } else {
        match args::parse(spec, argv)? {
            Cli::Help => return Ok(Err(Outcome::ok(args::usage(spec)))),
            Cli::Version => {
                return Ok(Err(Outcome::ok(format!(
                    "{} {}\n",
                    spec.name, spec.version
                ))))
            }
            Cli::Pairs(p) => (
                p.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                vec![],
            ),
        }
    };
    let (opts, w) = Options::from_pairs(spec, &pairs)?;
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

/// How long an action may take in total, from the options.
pub fn action_budget(opts: &Options, action: FenceAction) -> Result<Duration, FenceError> {
    let login = opts.seconds("login_timeout")?;
    let power = opts.seconds("power_timeout")?;
    let delay = match action {
        FenceAction::On | FenceAction::Off | FenceAction::Reboot => opts.seconds("delay")?,
        _ => Duration::ZERO,
    };
    let changes = match action {
        FenceAction::Reboot => 2,
        FenceAction::On | FenceAction::Off => 1,
        _ => 0,
    };
    Ok(delay + login + power * changes + CLOSE_SLACK)
}

/// Run one action of agent `A` with validated options.
pub fn execute<A: FenceAgent>(opts: &Options, action: FenceAction) -> Outcome {
    match action {
        FenceAction::Metadata => return Outcome::ok(crate::metadata::render(A::SPEC)),
        FenceAction::Manpage => return Outcome::ok(crate::manpage::render(A::SPEC)),
        _ => {}
    }
    let agent = match opts.check_required().and_then(|()| A::from_options(opts)) {
        Ok(a) => a,
        Err(e) => return Outcome::error(&e),
    };
    if action == FenceAction::ValidateAll {
        return Outcome::ok("");
    }
    match perform(&agent, opts, action) {
        Ok(o) => o,
        Err(e) => Outcome::error(&e),
    }
}

fn perform<A: FenceAgent>(
    agent: &A,
    opts: &Options,
    action: FenceAction,
) -> Result<Outcome, FenceError> {
    if matches!(action, FenceAction::List | FenceAction::ListStatus) {
        return Err(FenceError::Unsupported(format!(
            "{} controls one machine and cannot list the nodes it fences: set pcmk_host_list",
            A::SPEC.name
        )));
    }
    // The steps end by `deadline`; the session's close (on drop) has CLOSE_SLACK after that.
    let deadline = Instant::now() + action_budget(opts, action)? - CLOSE_SLACK;
    let timing = Timing {
        power_timeout: opts.seconds("power_timeout")?,
        power_wait: opts.seconds("power_wait")?,
    };
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
    let mut dev = agent.connect(opts, deadline)?;
    let dev: &mut dyn PowerDevice = &mut dev;
    let out = match action {
        FenceAction::Status => {
            let p = dev.power(deadline)?;
            Outcome {
                code: if p == Power::On { EXIT_OK } else { EXIT_OFF },
                stdout: format!("Status: {}\n", p.to_string().to_uppercase()),
                log: vec![],
            }
        }
        FenceAction::Monitor => {
            dev.power(deadline)?;
            Outcome::ok("")
        }
        FenceAction::On => {
            power::set_verified(dev, Power::On, timing, deadline)?;
            Outcome::ok("Success: Powered ON\n")
        }
        FenceAction::Off => {
            power::set_verified(dev, Power::Off, timing, deadline)?;
            Outcome::ok("Success: Powered OFF\n")
        }
        FenceAction::Reboot => {
            if opts.select("method").as_deref() == Some("cycle") {
                power::cycle(dev, timing, deadline)?;
            } else {
                power::reboot(dev, timing, deadline)?;
            }
            Outcome::ok("Success: Rebooted\n")
        }
        _ => Outcome::ok(""),
    };
    Ok(out)
}

/// Everything but the process: argv, stdin and environment in, outcome out.
pub fn dispatch<A: FenceAgent>(
    argv: &[String],
    stdin_text: impl FnOnce() -> String,
    env: impl Fn(&str) -> Option<String>,
    init_log: impl FnOnce(libocf::log::LogConfig),
) -> Outcome {
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
            return Outcome::error(&e);
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

/// The whole agent: `fn main() -> ExitCode { libfence::run::<MyAgent>() }`.
pub fn run<A: FenceAgent>() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let out = dispatch::<A>(
        &argv,
        || {
            let mut s = String::new();
            let _ = std::io::stdin().read_to_string(&mut s);
            s
        },
        |k| std::env::var(k).ok(),
        libocf::log::init,
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{common, Kind, Param};
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
    const METHOD: Param = Param::string("method", "method", "method", "m")
        .short('m')
        .kind(Kind::Select(&["onoff", "cycle"]))
        .default("onoff");
    static SPEC: AgentSpec = AgentSpec {
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
            METHOD,
        ],
        actions: &[
            FenceAction::On,
            FenceAction::Off,
            FenceAction::Reboot,
            FenceAction::Status,
        ],
    };
    impl FenceAgent for Fake {
        const SPEC: &'static AgentSpec = &SPEC;
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

    fn stdin_run(text: &str) -> Outcome {
        let t = text.to_owned();
        dispatch::<Fake>(&[], move || t, |_| None, |_| {})
    }

    fn argv_run(a: &str) -> Outcome {
        let argv: Vec<String> = a.split_whitespace().map(str::to_owned).collect();
        dispatch::<Fake>(&argv, String::new, |_| None, |_| {})
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
        assert_eq!(
            action_budget(&o, FenceAction::Reboot).unwrap(),
            Duration::from_secs(3 + 5 + 40 + 2)
        );
        assert_eq!(
            action_budget(&o, FenceAction::Status).unwrap(),
            Duration::from_secs(5 + 2)
        );
    }
}
