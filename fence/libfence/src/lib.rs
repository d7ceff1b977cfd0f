//! libfence: everything hasan's fence agents share — the parameter table, options from stdin
//! (`key=value`, as Pacemaker sends them) or the fence-agents command line, the actions and
//! their exit codes, verified power control under one deadline, fence-agents meta-data and the
//! man page, and secrets that never reach argv or logs.
//!
//! An agent implements [`FenceAgent`] (options → a connected [`PowerDevice`]) with a
//! [`spec::AgentSpec`] table; its `main` is `libfence::run::<MyAgent>()`.

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
pub use power::{Power, PowerDevice, Transition};
pub use run::{dispatch, run, FenceAgent, Outcome};
pub use secret::Secret;
pub use spec::{AgentSpec, Kind, Param};
