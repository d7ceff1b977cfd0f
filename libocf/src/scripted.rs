//! A [`Runner`] for unit tests that replays recorded real output: the command lines an action
//! must run, in order, each with what the real tool answered when it was recorded.
//!
//! Record the answer once on a real system (`zpool import tank 2>err.txt`), keep it under the
//! agent's `tests/fixtures/` and load it with [`crate::recorded!`]; a test then fails on any
//! command the script did not expect, on a command without a deadline, and (with
//! [`ScriptedRunner::assert_done`]) on an expected command that never ran.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::command::{Command, CommandError, Output};
use crate::runner::Runner;

/// The recorded answer to one command line.
#[derive(Debug, Clone)]
enum Answer {
    /// It ran to its end with this exit code and output.
    Exit {
        code: u8,
        stdout: String,
        stderr: String,
    },
    /// The tool is not installed.
    NotFound,
    /// It hung and was killed at its deadline.
    TimedOut { stderr: String },
}

#[derive(Debug, Clone)]
struct Step {
    line: String,
    answer: Answer,
}

#[derive(Debug, Default)]
struct State {
    steps: VecDeque<Step>,
    ran: Vec<String>,
}

/// Answers scripted command lines (as [`Command::display`] shows them: `zpool import -N tank`,
/// secrets as `***`) and panics on anything else, which fails the test.
#[derive(Debug, Default)]
pub struct ScriptedRunner {
    state: Mutex<State>,
    any_order: bool,
}

impl ScriptedRunner {
    /// An empty script: any command fails the test.
    pub fn new() -> Self {
        Self::default()
    }

    fn step(self, line: &str, answer: Answer) -> Self {
        self.lock().steps.push_back(Step {
            line: line.to_owned(),
            answer,
        });
        self
    }

    /// `line` exits 0 printing `stdout`.
    pub fn ok(self, line: &str, stdout: &str) -> Self {
        self.exit(line, 0, stdout, "")
    }

    /// `line` exits 1 printing `stderr`.
    pub fn fail(self, line: &str, stderr: &str) -> Self {
        self.exit(line, 1, "", stderr)
    }

    /// `line` exits with `code`, printing `stdout` and `stderr`.
    pub fn exit(self, line: &str, code: u8, stdout: &str, stderr: &str) -> Self {
        self.step(
            line,
            Answer::Exit {
                code,
                stdout: stdout.to_owned(),
                stderr: stderr.to_owned(),
            },
        )
    }

    /// `line`'s tool is not installed.
    pub fn missing(self, line: &str) -> Self {
        self.step(line, Answer::NotFound)
    }

    /// `line` hangs until its deadline and is killed.
    pub fn hangs(self, line: &str) -> Self {
        self.step(
            line,
            Answer::TimedOut {
                stderr: String::new(),
            },
        )
    }

    /// Accept the scripted lines in any order (for actions that run commands in parallel);
    /// each line is still answered once.
    pub fn any_order(mut self) -> Self {
        self.any_order = true;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in another test thread poisons the lock; the script itself is still whole.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every command line run so far, in order.
    pub fn ran(&self) -> Vec<String> {
        self.lock().ran.clone()
    }

    /// True when every scripted command ran.
    pub fn done(&self) -> bool {
        self.lock().steps.is_empty()
    }

    /// Fail the test if a scripted command did not run.
    #[track_caller]
    pub fn assert_done(&self) {
        let state = self.lock();
        let pending: Vec<&str> = state.steps.iter().map(|s| s.line.as_str()).collect();
        assert!(
            pending.is_empty(),
            "scripted commands that never ran: {pending:?}; ran: {:?}",
            state.ran
        );
    }
}

impl Runner for ScriptedRunner {
    fn output(&self, cmd: &Command) -> Result<Output, CommandError> {
        let line = cmd.display();
        assert!(
            cmd.deadline_at().is_some(),
            "command without a deadline: {line}"
        );
        let mut state = self.lock();
        state.ran.push(line.clone());
        let at = if self.any_order {
            state.steps.iter().position(|s| s.line == line)
        } else {
            state.steps.front().map(|_| 0)
        };
        let Some(step) = at.and_then(|i| state.steps.remove(i)) else {
            panic!("unexpected command: {line} (script: {:?})", state.steps);
        };
        assert_eq!(step.line, line, "commands out of script");
        match step.answer {
            Answer::Exit {
                code,
                stdout,
                stderr,
            } => Ok(Output::recorded(code, stdout, stderr)),
            Answer::NotFound => Err(CommandError::NotFound {
                tool: line.split(' ').next().unwrap_or_default().to_owned(),
            }),
            Answer::TimedOut { stderr } => Err(CommandError::TimedOut {
                command: line,
                after: cmd
                    .deadline_at()
                    .map(|d| d.saturating_duration_since(std::time::Instant::now()))
                    .unwrap_or(Duration::ZERO),
                stderr,
            }),
        }
    }
}

/// A recorded real output from the calling crate's `tests/fixtures/`, read at compile time: a
/// fixture that does not exist is a compile error, not a failing test.
///
/// In an agent's unit test (`agents/zpool/tests/fixtures/import-active-elsewhere.txt`):
///
/// ```text
/// let script = ScriptedRunner::new()
///     .fail(IMPORT, libocf::recorded!("import-active-elsewhere.txt"));
/// ```
#[macro_export]
macro_rules! recorded {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/",
            $name
        ))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn cmd(line: &str) -> Command {
        let mut words = line.split(' ');
        Command::new(
            words.next().unwrap_or_default(),
            Instant::now() + Duration::from_secs(5),
        )
        .args(words)
    }

    #[test]
    fn answers_in_order_with_recorded_output() {
        let r = ScriptedRunner::new()
            .ok("zpool list -H tank", "tank\tONLINE\n")
            .fail("zpool export tank", "cannot export 'tank': pool is busy\n")
            .missing("zdb -l /dev/vdb")
            .hangs("zpool status tank");
        assert_eq!(
            r.stdout(&cmd("zpool list -H tank")).unwrap(),
            "tank\tONLINE\n"
        );
        let e = r.run(&cmd("zpool export tank")).unwrap_err();
        assert_eq!(e.code(), Some(1));
        assert!(e.said().contains("pool is busy"));
        assert!(e
            .to_string()
            .starts_with("zpool export tank failed (exit code 1)"));
        assert!(r.run(&cmd("zdb -l /dev/vdb")).unwrap_err().is_not_found());
        assert!(r.run(&cmd("zpool status tank")).unwrap_err().is_timeout());
        r.assert_done();
        assert_eq!(r.ran().len(), 4);
    }

    #[test]
    #[should_panic(expected = "commands out of script")]
    fn a_command_out_of_order_fails_the_test() {
        let r = ScriptedRunner::new().ok("a 1", "").ok("b 2", "");
        let _ = r.run(&cmd("b 2"));
    }

    #[test]
    #[should_panic(expected = "unexpected command")]
    fn an_unscripted_command_fails_the_test() {
        let _ = ScriptedRunner::new().run(&cmd("zpool import -f tank"));
    }

    #[test]
    #[should_panic(expected = "without a deadline")]
    fn a_command_without_a_deadline_fails_the_test() {
        let c = Command::at("/bin/true");
        let _ = ScriptedRunner::new().ok("/bin/true", "").run(&c);
    }

    #[test]
    #[should_panic(expected = "never ran")]
    fn a_scripted_command_that_never_ran_fails_the_test() {
        ScriptedRunner::new().ok("zfs mount tank", "").assert_done();
    }

    #[test]
    fn any_order_matches_by_line() {
        let r = ScriptedRunner::new()
            .ok("zfs mount a", "")
            .ok("zfs mount b", "")
            .any_order();
        r.run(&cmd("zfs mount b")).unwrap();
        r.run(&cmd("zfs mount a")).unwrap();
        r.assert_done();
    }
}
