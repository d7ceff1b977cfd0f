//! The seam between an agent and the external tools it runs: the [`Runner`] trait, with the real
//! [`SystemRunner`] and, for tests, [`crate::scripted::ScriptedRunner`] replaying recorded output.

use crate::command::{Command, CommandError, Output};

/// Runs external commands. An agent holds one (`Box<dyn Runner>`) and never runs a [`Command`]
/// any other way, so that its unit tests can put a [`crate::scripted::ScriptedRunner`] there.
pub trait Runner: Send + Sync {
    /// Run `cmd` to its end (killed at its deadline) and return the output whatever the exit
    /// status. A missing tool, a command without a deadline, a spawn failure or the deadline
    /// passing are errors.
    fn output(&self, cmd: &Command) -> Result<Output, CommandError>;

    /// Run `cmd`; a non-zero exit is [`CommandError::Failed`] with the command, status and stderr.
    fn run(&self, cmd: &Command) -> Result<Output, CommandError> {
        self.output(cmd)?.check(cmd)
    }

    /// Run `cmd` and return its standard output when it exits 0.
    fn stdout(&self, cmd: &Command) -> Result<String, CommandError> {
        self.run(cmd).map(|out| out.stdout)
    }
}

/// The real tools: resolved in [`crate::command::TOOL_DIRS`], `LANG=C`, killed at the deadline.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn output(&self, cmd: &Command) -> Result<Output, CommandError> {
        cmd.output()
    }
}

/// A shared runner is a runner: a test keeps an `Arc<ScriptedRunner>` to check what ran after
/// giving a clone to the agent.
impl<R: Runner + ?Sized> Runner for std::sync::Arc<R> {
    fn output(&self, cmd: &Command) -> Result<Output, CommandError> {
        (**self).output(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn the_system_runner_runs_real_tools() {
        let soon = Instant::now() + Duration::from_secs(20);
        let r: &dyn Runner = &SystemRunner;
        let out = r
            .stdout(&Command::new("sh", soon).args(["-c", "echo hello"]))
            .unwrap();
        assert_eq!(out, "hello\n");
        let e = r
            .run(&Command::new("sh", soon).args(["-c", "exit 4"]))
            .unwrap_err();
        assert_eq!(e.code(), Some(4));
        // output() returns a failed run rather than an error
        let out = r
            .output(&Command::new("sh", soon).args(["-c", "exit 4"]))
            .unwrap();
        assert_eq!(out.status.code(), Some(4));
    }
}
