//! The `zpool`/`zfs` command line behind a small trait: the real one runs them through libocf's
//! runner with a deadline; tests replay recorded output.

use std::time::Instant;

use libocf::{Command, CommandError};

/// Which ZFS tool to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `zpool`
    Zpool,
    /// `zfs`
    Zfs,
    /// `zdb` (reads labels without importing)
    Zdb,
    /// `blkid` (finds a pool's member devices)
    Blkid,
    /// `modprobe` (loads the zfs module)
    Modprobe,
    /// `attrd_updater` (Pacemaker's node attributes)
    AttrdUpdater,
}

impl Tool {
    /// The executable's name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Zpool => "zpool",
            Tool::Zfs => "zfs",
            Tool::Zdb => "zdb",
            Tool::Blkid => "blkid",
            Tool::Modprobe => "modprobe",
            Tool::AttrdUpdater => "attrd_updater",
        }
    }
}

/// Why a ZFS command did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The tool is not installed.
    #[error("{0} is not installed")]
    Missing(&'static str),
    /// It ran and failed; `stderr` is what ZFS said.
    #[error("{command} failed: {}", libocf::status::one_line(stderr))]
    Failed {
        /// The command line.
        command: String,
        /// ZFS's message.
        stderr: String,
    },
    /// It did not finish before its deadline and was killed.
    #[error("{command} did not finish in time and was killed")]
    TimedOut {
        /// The command line.
        command: String,
    },
}

impl ToolError {
    /// ZFS's own words ("" for a timeout or missing tool).
    pub fn stderr(&self) -> &str {
        match self {
            ToolError::Failed { stderr, .. } => stderr,
            _ => "",
        }
    }
}

/// Runs ZFS commands.
pub trait Zfs {
    /// Run `tool args…`, killed at `deadline`; stdout on success.
    fn run(&self, tool: Tool, args: &[String], deadline: Instant) -> Result<String, ToolError>;
}

/// The real tools, by absolute path, through libocf's runner.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealZfs;

impl Zfs for RealZfs {
    fn run(&self, tool: Tool, args: &[String], deadline: Instant) -> Result<String, ToolError> {
        let cmd = Command::tool(tool.name())
            .map_err(|_| ToolError::Missing(tool.name()))?
            .args(args)
            .deadline(deadline);
        let shown = cmd.display();
        let started = Instant::now();
        let result = cmd.run();
        tracing::debug!("{shown}: {:.2} s", started.elapsed().as_secs_f64());
        match result {
            Ok(out) => Ok(out.stdout),
            Err(CommandError::TimedOut { command, .. }) => Err(ToolError::TimedOut { command }),
            Err(CommandError::Failed {
                command,
                stderr,
                stdout,
                ..
            }) => Err(ToolError::Failed {
                command,
                // zpool prints some refusals on stdout; keep both
                stderr: if stderr.trim().is_empty() {
                    stdout
                } else {
                    stderr
                },
            }),
            Err(e) => Err(ToolError::Failed {
                command: shown,
                stderr: e.to_string(),
            }),
        }
    }
}

/// Build an argument list from string slices.
pub fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
pub mod fake {
    //! A scripted `Zfs` for unit tests: each expected command line with its recorded answer.
    use super::*;
    use std::cell::RefCell;

    /// One scripted answer.
    #[derive(Debug, Clone)]
    pub struct Step {
        /// The command line, `"zpool import -N tank"`.
        pub line: String,
        /// Ok(stdout) or Err(stderr).
        pub answer: Result<String, String>,
    }

    /// Answers commands in order; panics on an unexpected one (that is the test failing).
    #[derive(Debug, Default)]
    pub struct Script {
        steps: RefCell<Vec<Step>>,
        /// Every command line run.
        pub ran: RefCell<Vec<String>>,
    }

    impl Script {
        pub fn new() -> Self {
            Self::default()
        }
        pub fn ok(self, line: &str, stdout: &str) -> Self {
            self.steps.borrow_mut().push(Step {
                line: line.into(),
                answer: Ok(stdout.into()),
            });
            self
        }
        pub fn fail(self, line: &str, stderr: &str) -> Self {
            self.steps.borrow_mut().push(Step {
                line: line.into(),
                answer: Err(stderr.into()),
            });
            self
        }
        pub fn done(&self) -> bool {
            self.steps.borrow().is_empty()
        }
        pub fn ran(&self) -> Vec<String> {
            self.ran.borrow().clone()
        }
    }

    impl Zfs for Script {
        fn run(&self, tool: Tool, args: &[String], _: Instant) -> Result<String, ToolError> {
            let line = format!("{} {}", tool.name(), args.join(" "));
            self.ran.borrow_mut().push(line.clone());
            let mut steps = self.steps.borrow_mut();
            assert!(!steps.is_empty(), "unexpected command: {line}");
            let step = steps.remove(0);
            assert_eq!(step.line, line, "commands out of script");
            step.answer.map_err(|stderr| ToolError::Failed {
                command: line,
                stderr,
            })
        }
    }
}
