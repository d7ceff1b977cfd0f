//! libocf: everything hasan's OCF resource agents share — the agent table, meta-data, parameter
//! parsing, dispatch, exit codes, probes, time budgets, external commands and logging.
//!
//! # Writing a new resource agent
//!
//! A resource agent is a crate `agents/<name>` (package `hasan-<name>`) with a library
//! (`src/lib.rs`: private modules, `pub mod spec;` and `pub use agent::<Agent>;`) and a thin
//! binary named after the agent (`src/main.rs`: `fn main() -> ExitCode { libocf::run::<Agent>() }`),
//! exactly like `agents/zpool` and `agents/vip`, which are the full-size models. Its Cargo.toml
//! inherits `version`, `edition`, `license` and `rust-version` from the workspace and has
//! `[lints] workspace = true`; add it to the workspace `members` and `default-members`. The
//! Makefile installs every `agents/*` binary to `/usr/lib/ocf/resource.d/hasan/`.
//!
//! 1. **The table** (`src/spec.rs`, an [`AgentSpec`]): parameters ([`ParamSpec`] and its
//!    builders), actions with default timeouts, `version: env!("CARGO_PKG_VERSION")`. Meta-data,
//!    the man page, parsing and every default come from it: a default is written only here, and
//!    a unit test asserts `SPEC.problems()` is empty.
//! 2. **The configuration** (`src/config.rs`): built from [`Params`] with the typed getters
//!    ([`Params::str`], [`Params::int`], [`Params::flag`], [`Params::secs`], and `opt_…` for
//!    parameters without a default). They apply the table's default and refuse a name not in
//!    the table, so a typo fails the first unit test. Every problem is [`OcfError::configured`]
//!    (6) naming the parameter; nothing here looks at the node (it is `validate-all`).
//! 3. **The agent** (`src/agent.rs`): the configuration plus one small trait per kind of OS
//!    access — a `Box<dyn` [`Runner`]`>` for external tools ([`SystemRunner`] for real), a
//!    rooted file-system reader for `/proc` and `/sys` — and `impl` [`ResourceAgent`]. Every
//!    command comes from [`Ctx::command`] (killed at the action's deadline; a command without a
//!    deadline is refused), tools by name from fixed directories, secrets on
//!    [`Command::stdin`]. A [`CommandError`] becomes the right exit code with `?` or
//!    [`OcfError::from`] (missing tool 5, else 1) plus [`OcfError::context`]. Start and stop say
//!    whether they changed anything ([`Started::AlreadyRunning`], [`Stopped::AlreadyStopped`]);
//!    monitor forks nothing (read `/proc`, `/sys`, kernel tables). libocf's dispatcher owns the
//!    rest: exit codes, probes that answer 7 instead of 5/6, stop with a broken configuration,
//!    the one-line `ocf-exit-reason:`.
//! 4. **Unit tests**: the actions against a [`ScriptedRunner`] that replays output recorded on a
//!    real system (kept in `tests/fixtures/`, loaded with [`recorded!`], each file's origin in
//!    `tests/fixtures/README.md`): it fails the test on any command the script does not expect.
//! 5. **Golden meta-data**: `make metadata` writes `ocf-metadata/<name>.xml`; the host tests
//!    (`tests/host/tests/metadata.rs`) compare the installed binary with it and validate it
//!    against the OCF schemas. Then host tests with real peers (ocf-tester, Pacemaker in a
//!    namespace) and lab scenarios with the real service.
//!
//! The smallest complete agent — one NFS export, started and stopped with `exportfs`, monitored
//! from the kernel's export table without running anything:
//!
//! ```
//! use std::path::PathBuf;
//! use std::sync::Arc;
//! use libocf::env::OcfEnv;
//! use libocf::{
//!     Action, ActionSpec, AgentSpec, Ctx, Health, OcfError, OcfStatus, ParamSpec, Params,
//!     ResourceAgent, Runner, ScriptedRunner, Started, Stopped, SystemRunner,
//! };
//!
//! // spec.rs — the single source of truth.
//! pub const SPEC: AgentSpec = AgentSpec {
//!     name: "export",
//!     version: env!("CARGO_PKG_VERSION"),
//!     shortdesc: "One NFS export",
//!     longdesc: "Exports a directory to NFS clients with exportfs on start and unexports it \
//! on stop; monitor reads the kernel's export table.",
//!     parameters: &[
//!         ParamSpec::string("directory", "Directory to export").required().unique(),
//!         ParamSpec::string("clients", "Hosts that may mount it").default("*"),
//!         ParamSpec::boolean("read_only", "Export read-only").default("false"),
//!     ],
//!     actions: &[
//!         ActionSpec::new(Action::Start, 20),
//!         ActionSpec::new(Action::Stop, 20),
//!         ActionSpec::monitor(20, 10, 0),
//!         ActionSpec::new(Action::ValidateAll, 20),
//!         ActionSpec::new(Action::MetaData, 5),
//!     ],
//! };
//!
//! // config.rs — checked parameters, nothing local.
//! #[derive(Debug)]
//! pub struct Config { directory: String, clients: String, read_only: bool }
//!
//! impl Config {
//!     pub fn from_params(p: &Params) -> Result<Config, OcfError> {
//!         let directory = p.str("directory")?;
//!         if !directory.starts_with('/') {
//!             return Err(OcfError::configured(format!(
//!                 "parameter directory: {directory:?} is not an absolute path"
//!             )));
//!         }
//!         Ok(Config {
//!             directory: directory.to_owned(),
//!             clients: p.str("clients")?.to_owned(), // the table's "*" when unset
//!             read_only: p.flag("read_only")?,
//!         })
//!     }
//! }
//!
//! // agent.rs — the configuration plus the OS seams.
//! pub struct Export { cfg: Config, etab: PathBuf, tools: Box<dyn Runner> }
//!
//! impl Export {
//!     /// The kernel's export table, read without forking (absent: nothing exported).
//!     fn exported(&self) -> Result<bool, OcfError> {
//!         let table = match std::fs::read_to_string(&self.etab) {
//!             Ok(t) => t,
//!             Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
//!             Err(e) => return Err(OcfError::generic(format!("{}: {e}", self.etab.display()))),
//!         };
//!         let entry = format!("{}\t{}(", self.cfg.directory, self.cfg.clients);
//!         Ok(table.lines().any(|l| l.starts_with(&entry)))
//!     }
//!     fn target(&self) -> String {
//!         format!("{}:{}", self.cfg.clients, self.cfg.directory)
//!     }
//! }
//!
//! impl ResourceAgent for Export {
//!     const SPEC: AgentSpec = SPEC;
//!
//!     fn from_params(params: &Params) -> Result<Self, OcfError> {
//!         Ok(Export {
//!             cfg: Config::from_params(params)?,
//!             etab: "/var/lib/nfs/etab".into(),
//!             tools: Box::new(SystemRunner),
//!         })
//!     }
//!
//!     fn start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
//!         if self.exported()? {
//!             return Ok(Started::AlreadyRunning);
//!         }
//!         let options = if self.cfg.read_only { "ro,sync" } else { "rw,sync" };
//!         let exportfs = ctx.command("exportfs").args(["-o", options, &self.target()]);
//!         self.tools.run(&exportfs).map_err(|e| OcfError::from(e).context("cannot export"))?;
//!         Ok(Started::Started)
//!     }
//!
//!     fn stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
//!         if !self.exported()? {
//!             return Ok(Stopped::AlreadyStopped);
//!         }
//!         self.tools.run(&ctx.command("exportfs").args(["-u", &self.target()]))?;
//!         Ok(Stopped::Stopped)
//!     }
//!
//!     fn monitor(&self, _ctx: &Ctx) -> Result<Health, OcfError> {
//!         Ok(if self.exported()? {
//!             Health::Running
//!         } else {
//!             Health::Stopped(format!("{} is not exported", self.cfg.directory))
//!         })
//!     }
//! }
//!
//! // main.rs would be: fn main() -> ExitCode { libocf::run::<Export>() }
//!
//! // The unit tests: the table, the configuration, and the actions against recorded output.
//! assert_eq!(SPEC.problems(), Vec::<String>::new());
//! let vars = |pairs: &[(&str, &str)]| {
//!     pairs.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())).collect::<Vec<_>>()
//! };
//! let e = Config::from_params(&Params::parse(&SPEC, vars(&[("directory", "srv")]))?).unwrap_err();
//! assert_eq!(e.status, OcfStatus::ErrConfigured);
//!
//! let node = tempfile::tempdir()?;
//! let etab = node.path().join("etab");
//! // In a real agent this is `libocf::recorded!("exportfs-missing-dir.txt")`, captured once.
//! let refusal = "exportfs: Failed to stat /srv/data: No such file or directory\n";
//! let tools = Arc::new(
//!     ScriptedRunner::new()
//!         .fail("exportfs -o rw,sync *:/srv/data", refusal)
//!         .ok("exportfs -o rw,sync *:/srv/data", ""),
//! );
//! let agent = Export {
//!     cfg: Config::from_params(&Params::parse(&SPEC, vars(&[("directory", "/srv/data")]))?)?,
//!     etab: etab.clone(),
//!     tools: Box::new(tools.clone()),
//! };
//! let ctx = |action| Ctx::new(&SPEC, action, OcfEnv::default());
//! assert!(matches!(agent.monitor(&ctx(Action::Monitor))?, Health::Stopped(_)));
//! let e = agent.start(&ctx(Action::Start)).unwrap_err();
//! assert_eq!(e.status, OcfStatus::ErrGeneric);
//! assert!(e.reason.starts_with("cannot export: exportfs -o rw,sync *:/srv/data failed"));
//! assert!(e.reason.ends_with("No such file or directory"));
//! assert_eq!(agent.start(&ctx(Action::Start))?, Started::Started);
//! tools.assert_done();
//! std::fs::write(&etab, "/srv/data\t*(rw,sync,wdelay,root_squash)\n")?;
//! assert_eq!(agent.start(&ctx(Action::Start))?, Started::AlreadyRunning);
//! assert_eq!(agent.monitor(&ctx(Action::Monitor))?, Health::Running);
//!
//! // And the whole invocation as Pacemaker makes it, through the dispatcher:
//! let mut out = Vec::new();
//! let o = libocf::dispatch::<Export>(&["meta-data".into()], vec![], &mut out);
//! assert_eq!(o.status, OcfStatus::Success);
//! assert!(String::from_utf8(out)?.contains("<parameter name=\"directory\" unique=\"1\" required=\"1\">"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod agent;
pub mod budget;
pub mod command;
pub mod env;
pub mod left_behind;
pub mod log;
pub mod manpage;
pub mod metadata;
pub mod params;
pub mod pool_config;
pub mod proc_net;
pub mod runner;
pub mod scripted;
pub mod service;
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
