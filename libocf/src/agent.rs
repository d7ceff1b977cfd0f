//! The agent trait and the action dispatcher that owns exit codes, probes and exit reasons.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::budget::Budget;
use crate::command::Command;
use crate::env::OcfEnv;
use crate::params::Params;
use crate::spec::{Action, AgentSpec};
use crate::status::{OcfError, OcfStatus};

/// The provider name of every hasan agent.
pub const PROVIDER: &str = "hasan";

/// What start did: both are success, the difference is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// The resource was stopped and is now running.
    Started,
    /// It was already running here; nothing was changed.
    AlreadyRunning,
}

/// What stop did: both are success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The resource was running and is now stopped.
    Stopped,
    /// It was not running here; nothing was changed.
    AlreadyStopped,
}

/// What monitor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Running and healthy (0).
    Running,
    /// Running but degraded (190), with the reason.
    Degraded(String),
    /// Cleanly not running here (7), with what was looked at.
    Stopped(String),
}

/// Everything an action gets besides its parameters: environment, time budget, check level.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The action being run.
    pub action: Action,
    /// Pacemaker's environment.
    pub env: OcfEnv,
    /// The deadline of the whole action.
    pub budget: Budget,
}

impl Ctx {
    /// A context for `action` with the budget from `env` (or the table's default timeout).
    pub fn new(spec: &AgentSpec, action: Action, env: OcfEnv) -> Ctx {
        let timeout = env
            .timeout
            .unwrap_or_else(|| Duration::from_secs(u64::from(spec.default_timeout_s(action))));
        Ctx {
            action,
            budget: Budget::new(timeout),
            env,
        }
    }

    /// True when this is a probe: a monitor without a recurring interval.
    pub fn is_probe(&self) -> bool {
        self.action == Action::Monitor && self.env.is_probe_interval()
    }

    /// `OCF_CHECK_LEVEL` (monitor depth; validate-all level).
    pub fn check_level(&self) -> u32 {
        self.env.check_level
    }

    /// A command for a tool, killed at the action's deadline; run it with the agent's
    /// [`crate::Runner`].
    pub fn command(&self, tool: &str) -> Command {
        Command::new(tool, self.budget.deadline())
    }

    /// A command for a tool, killed after `wanted` or at the action's deadline if that is sooner.
    pub fn command_within(&self, tool: &str, wanted: Duration) -> Command {
        Command::new(tool, self.budget.sub_deadline(wanted))
    }
}

/// A resource agent: parse parameters once, then answer actions.
///
/// Only start, stop and monitor are mandatory; the others answer 3 (unimplemented) unless the
/// agent overrides them and lists them in its table.
pub trait ResourceAgent: Sized {
    /// The agent's table.
    const SPEC: AgentSpec;

    /// Build the agent from its parameters. Must not look at the local system: this is
    /// validate-all at level 0, which pcs runs on whatever node it is on.
    fn from_params(params: &Params) -> Result<Self, OcfError>;

    /// Extra checks of validate-all at `OCF_CHECK_LEVEL` ≥ 10 (the local system).
    fn validate_local(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Ok(())
    }

    /// Start; success if already running.
    fn start(&self, ctx: &Ctx) -> Result<Started, OcfError>;

    /// Stop; success if already stopped.
    fn stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError>;

    /// Report the state. Errors are failures of a present resource (1) or of the node.
    fn monitor(&self, ctx: &Ctx) -> Result<Health, OcfError>;

    /// Promote.
    fn promote(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Err(OcfError::unimplemented("promote is not supported"))
    }
    /// Demote.
    fn demote(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Err(OcfError::unimplemented("demote is not supported"))
    }
    /// Notify.
    fn notify(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Err(OcfError::unimplemented("notify is not supported"))
    }
    /// Reload.
    fn reload(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Err(OcfError::unimplemented("reload is not supported"))
    }
    /// Migrate to another node.
    fn migrate_to(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Err(OcfError::unimplemented("migrate_to is not supported"))
    }
    /// Migrate from another node.
    fn migrate_from(&self, _ctx: &Ctx) -> Result<(), OcfError> {
        Err(OcfError::unimplemented("migrate_from is not supported"))
    }
}

/// The outcome of one invocation: the exit status and, for non-zero ones, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exit status.
    pub status: OcfStatus,
    /// One-line reason (empty for success).
    pub reason: String,
}

impl Outcome {
    fn ok() -> Self {
        Outcome {
            status: OcfStatus::Success,
            reason: String::new(),
        }
    }
    fn from_error(e: OcfError) -> Self {
        Outcome {
            reason: e.one_line_reason(),
            status: e.status,
        }
    }
}

fn usage(spec: &AgentSpec) -> String {
    let actions: Vec<&str> = spec.actions.iter().map(|a| a.action.name()).collect();
    format!(
        "usage: {} {{{}}}\nParameters come from OCF_RESKEY_<name>; `{} meta-data` lists them.",
        spec.name,
        actions.join("|"),
        spec.name
    )
}

/// The statuses a probe may answer with; anything about this node's setup becomes 7.
fn probe_answer(e: OcfError) -> Outcome {
    match e.status {
        OcfStatus::ErrArgs
        | OcfStatus::ErrPerm
        | OcfStatus::ErrInstalled
        | OcfStatus::ErrConfigured => {
            tracing::info!(
                "probe: {} ({}); answering not running",
                e.one_line_reason(),
                e.status.name()
            );
            Outcome {
                status: OcfStatus::NotRunning,
                reason: e.one_line_reason(),
            }
        }
        _ => Outcome::from_error(e),
    }
}

fn run_action<A: ResourceAgent>(agent: &A, ctx: &Ctx) -> Outcome {
    let result = match ctx.action {
        Action::Start => agent.start(ctx).map(|s| {
            match s {
                Started::Started => {
                    tracing::info!("started in {:.2} s", ctx.budget.elapsed().as_secs_f64())
                }
                Started::AlreadyRunning => tracing::info!("already running; nothing to do"),
            }
            Outcome::ok()
        }),
        Action::Stop => match agent.stop(ctx) {
            Ok(s) => {
                match s {
                    Stopped::Stopped => {
                        tracing::info!("stopped in {:.2} s", ctx.budget.elapsed().as_secs_f64())
                    }
                    Stopped::AlreadyStopped => tracing::info!("already stopped; nothing to do"),
                }
                Ok(Outcome::ok())
            }
            // A stopped resource is what stop wants: never answer 7 to stop.
            Err(e) if e.status == OcfStatus::NotRunning => Ok(Outcome::ok()),
            Err(e) => Err(e),
        },
        Action::Monitor => agent.monitor(ctx).map(|h| match h {
            Health::Running => Outcome::ok(),
            Health::Degraded(reason) => {
                tracing::warn!("degraded: {reason}");
                Outcome {
                    status: OcfStatus::Degraded,
                    reason: crate::status::one_line(&reason),
                }
            }
            Health::Stopped(reason) => Outcome {
                status: OcfStatus::NotRunning,
                reason: crate::status::one_line(&reason),
            },
        }),
        Action::ValidateAll => {
            if ctx.check_level() >= 10 {
                agent.validate_local(ctx).map(|()| Outcome::ok())
            } else {
                Ok(Outcome::ok())
            }
        }
        Action::Promote => agent.promote(ctx).map(|()| Outcome::ok()),
        Action::Demote => agent.demote(ctx).map(|()| Outcome::ok()),
        Action::Notify => agent.notify(ctx).map(|()| Outcome::ok()),
        Action::Reload => agent.reload(ctx).map(|()| Outcome::ok()),
        Action::MigrateTo => agent.migrate_to(ctx).map(|()| Outcome::ok()),
        Action::MigrateFrom => agent.migrate_from(ctx).map(|()| Outcome::ok()),
        Action::MetaData | Action::Usage => Ok(Outcome::ok()),
    };
    match result {
        Ok(o) => o,
        Err(e) if ctx.is_probe() => probe_answer(e),
        Err(e) => Outcome::from_error(e),
    }
}

/// Run one invocation: `args` are argv without the program name, `vars` the environment.
/// Prints meta-data/usage to `out`; returns the outcome (the caller prints the exit reason).
pub fn dispatch<A: ResourceAgent>(
    args: &[String],
    vars: Vec<(String, String)>,
    out: &mut dyn Write,
) -> Outcome {
    let spec = &A::SPEC;
    let Some(action_name) = args.first() else {
        let _ = writeln!(out, "{}", usage(spec));
        return Outcome {
            status: OcfStatus::ErrArgs,
            reason: "no action given".into(),
        };
    };
    let action = match Action::parse(action_name) {
        Some(a) => a,
        None if action_name == "--manpage" => {
            let _ = write!(out, "{}", crate::manpage::render(spec, PROVIDER));
            return Outcome::ok();
        }
        None => {
            let _ = writeln!(out, "{}", usage(spec));
            return Outcome {
                status: OcfStatus::Unimplemented,
                reason: format!("unknown action {action_name:?}"),
            };
        }
    };
    match action {
        Action::MetaData => {
            let _ = write!(out, "{}", crate::metadata::render(spec));
            return Outcome::ok();
        }
        Action::Usage => {
            let _ = writeln!(out, "{}", usage(spec));
            return Outcome::ok();
        }
        _ => {}
    }
    let env = OcfEnv::from_vars(vars.iter().cloned());
    crate::log::init(crate::log::LogConfig::from_env(
        &format!("{PROVIDER}-{}", spec.name),
        &env.instance,
        action.name(),
        |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
    ));
    for w in &env.warnings {
        tracing::warn!("{w}");
    }
    let ctx = Ctx::new(spec, action, env);
    if !spec.supports(action) {
        return Outcome {
            status: OcfStatus::Unimplemented,
            reason: format!("{} is not supported by {}", action.name(), spec.name),
        };
    }
    let agent = match Params::parse(spec, vars) {
        Ok(params) => {
            for k in params.ignored() {
                tracing::warn!("ignoring unknown parameter {k}");
            }
            A::from_params(&params)
        }
        Err(e) => Err(e),
    };
    let agent = match agent {
        Ok(a) => a,
        Err(e) if ctx.is_probe() => return probe_answer(e),
        Err(e) if action == Action::Stop && e.status == OcfStatus::ErrConfigured => {
            // Invalid parameters: it cannot have been started, so it is stopped. Pacemaker must
            // be able to clean up a resource whose configuration became invalid.
            tracing::warn!(
                "stop with invalid parameters ({}): nothing to stop",
                e.reason
            );
            return Outcome::ok();
        }
        Err(e) => return Outcome::from_error(e),
    };
    let outcome = run_action(&agent, &ctx);
    if outcome.status != OcfStatus::Success && outcome.status != OcfStatus::NotRunning {
        tracing::error!("{} ({})", outcome.reason, outcome.status.name());
    }
    outcome
}

/// The whole `main` of an agent: dispatch, print the exit reason, exit with the OCF code.
pub fn run<A: ResourceAgent>() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let stdout = std::io::stdout();
    let outcome = dispatch::<A>(&args, vars, &mut stdout.lock());
    if outcome.status != OcfStatus::Success {
        let _ = writeln!(std::io::stderr(), "ocf-exit-reason:{}", outcome.reason);
    }
    ExitCode::from(outcome.status.code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ActionSpec, ParamSpec};

    /// A toy agent whose "resource" is the parameter `state` and whose node setup is `node`.
    struct Toy {
        state: String,
        node: String,
    }

    impl ResourceAgent for Toy {
        const SPEC: AgentSpec = AgentSpec {
            name: "toy",
            version: "1",
            shortdesc: "toy",
            longdesc: "toy",
            parameters: &[
                ParamSpec::select(
                    "state",
                    &["running", "stopped", "degraded", "failed"],
                    "state",
                )
                .required(),
                ParamSpec::select("node", &["ok", "missing-tool"], "node").default("ok"),
            ],
            actions: &[
                ActionSpec::new(Action::Start, 20),
                ActionSpec::new(Action::Stop, 20),
                ActionSpec::monitor(20, 10, 0),
                ActionSpec::new(Action::ValidateAll, 20),
                ActionSpec::new(Action::MetaData, 5),
            ],
        };
        fn from_params(p: &Params) -> Result<Self, OcfError> {
            Ok(Toy {
                state: p.str("state")?.to_owned(),
                node: p.str("node")?.to_owned(),
            })
        }
        fn validate_local(&self, _: &Ctx) -> Result<(), OcfError> {
            self.node_ok()
        }
        fn start(&self, _: &Ctx) -> Result<Started, OcfError> {
            self.node_ok()?;
            Ok(if self.state == "running" {
                Started::AlreadyRunning
            } else {
                Started::Started
            })
        }
        fn stop(&self, _: &Ctx) -> Result<Stopped, OcfError> {
            Err(OcfError::not_running("was not running"))
        }
        fn monitor(&self, _: &Ctx) -> Result<Health, OcfError> {
            self.node_ok()?;
            match self.state.as_str() {
                "running" => Ok(Health::Running),
                "degraded" => Ok(Health::Degraded("one disk gone".into())),
                "failed" => Err(OcfError::generic("pool FAULTED")),
                _ => Ok(Health::Stopped("not here".into())),
            }
        }
    }

    impl Toy {
        fn node_ok(&self) -> Result<(), OcfError> {
            if self.node == "ok" {
                Ok(())
            } else {
                Err(OcfError::installed("toolctl not found"))
            }
        }
    }

    fn call(action: &str, vars: &[(&str, &str)]) -> (Outcome, String) {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut out = Vec::new();
        let o = dispatch::<Toy>(&[action.to_owned()], vars, &mut out);
        (o, String::from_utf8_lossy(&out).into_owned())
    }

    const RECURRING: (&str, &str) = ("OCF_RESKEY_CRM_meta_interval", "10000");

    #[test]
    fn monitor_maps_health_to_codes() {
        for (state, code) in [
            ("running", 0),
            ("stopped", 7),
            ("degraded", 190),
            ("failed", 1),
        ] {
            let (o, _) = call("monitor", &[("OCF_RESKEY_state", state), RECURRING]);
            assert_eq!(o.status.code(), code, "{state}");
        }
    }

    #[test]
    fn probes_answer_not_running_for_node_problems() {
        let (o, _) = call(
            "monitor",
            &[
                ("OCF_RESKEY_state", "running"),
                ("OCF_RESKEY_node", "missing-tool"),
            ],
        );
        assert_eq!(o.status, OcfStatus::NotRunning);
        assert_eq!(o.reason, "toolctl not found");
        // the same on a recurring monitor is a hard error
        let (o, _) = call(
            "monitor",
            &[
                ("OCF_RESKEY_state", "running"),
                ("OCF_RESKEY_node", "missing-tool"),
                RECURRING,
            ],
        );
        assert_eq!(o.status, OcfStatus::ErrInstalled);
        // a probe with unparseable parameters is 7 too; a start is 6
        let (o, _) = call("monitor", &[("OCF_RESKEY_state", "bogus")]);
        assert_eq!(o.status, OcfStatus::NotRunning);
        let (o, _) = call("start", &[("OCF_RESKEY_state", "bogus")]);
        assert_eq!(o.status, OcfStatus::ErrConfigured);
        // a failed resource found by a probe is still reported as failed
        let (o, _) = call("monitor", &[("OCF_RESKEY_state", "failed")]);
        assert_eq!(o.status, OcfStatus::ErrGeneric);
    }

    #[test]
    fn stop_never_answers_not_running() {
        let (o, _) = call("stop", &[("OCF_RESKEY_state", "stopped")]);
        assert_eq!(o.status, OcfStatus::Success);
        let (o, _) = call("stop", &[]);
        assert_eq!(o.status, OcfStatus::Success, "stop with invalid parameters");
    }

    #[test]
    fn validate_all_checks_the_node_only_at_level_10() {
        let vars = [
            ("OCF_RESKEY_state", "running"),
            ("OCF_RESKEY_node", "missing-tool"),
        ];
        assert_eq!(call("validate-all", &vars).0.status, OcfStatus::Success);
        let mut deep = vars.to_vec();
        deep.push(("OCF_CHECK_LEVEL", "10"));
        assert_eq!(
            call("validate-all", &deep).0.status,
            OcfStatus::ErrInstalled
        );
        assert_eq!(call("validate-all", &[]).0.status, OcfStatus::ErrConfigured);
    }

    #[test]
    fn unknown_and_unsupported_actions_are_unimplemented() {
        let (o, out) = call("frobnicate", &[]);
        assert_eq!(o.status, OcfStatus::Unimplemented);
        assert!(
            out.starts_with("usage: toy {start|stop|monitor|validate-all|meta-data}"),
            "{out}"
        );
        for a in [
            "promote",
            "demote",
            "notify",
            "reload",
            "migrate_to",
            "migrate_from",
        ] {
            let (o, _) = call(a, &[("OCF_RESKEY_state", "running")]);
            assert_eq!(o.status, OcfStatus::Unimplemented, "{a}");
        }
        let mut out = Vec::new();
        assert_eq!(
            dispatch::<Toy>(&[], vec![], &mut out).status,
            OcfStatus::ErrArgs
        );
    }

    #[test]
    fn meta_data_needs_no_parameters() {
        let (o, out) = call("meta-data", &[]);
        assert_eq!(o.status, OcfStatus::Success);
        assert!(out.contains("<resource-agent name=\"toy\""));
        assert!(
            Toy::SPEC.problems().is_empty(),
            "{:?}",
            Toy::SPEC.problems()
        );
    }
}
