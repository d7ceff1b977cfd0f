//! libocf: everything hasan's OCF resource agents share — the agent table, meta-data, parameter
//! parsing, dispatch, exit codes, probes, time budgets, external commands and logging.
//!
//! An agent is a type implementing [`ResourceAgent`] with a [`spec::AgentSpec`] table; its `main`
//! is `libocf::run::<MyAgent>()`.

pub mod agent;
pub mod budget;
pub mod command;
pub mod env;
pub mod log;
pub mod manpage;
pub mod metadata;
pub mod params;
pub mod runner;
pub mod scripted;
pub mod spec;
pub mod status;

pub use agent::{dispatch, run, Ctx, Health, Outcome, ResourceAgent, Started, Stopped, PROVIDER};
pub use budget::Budget;
pub use command::{Command, CommandError, Output};
pub use params::Params;
pub use runner::{Runner, SystemRunner};
pub use scripted::ScriptedRunner;
pub use spec::{Action, ActionSpec, AgentSpec, ParamKind, ParamSpec};
pub use status::{OcfError, OcfStatus};
