//! One external command and how it runs for real: absolute paths from fixed directories,
//! `LANG=C`, a mandatory deadline, captured output, and errors that carry the command, its exit
//! status and its stderr. Secret arguments and standard input are never logged or shown.
//!
//! Agents do not run a [`Command`] themselves: they hand it to a [`crate::runner::Runner`] (the
//! real [`crate::runner::SystemRunner`] or, in tests, a [`crate::scripted::ScriptedRunner`]).

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::status::OcfError;

/// Where tools are looked up, in order. Pacemaker gives agents a minimal `PATH`; we never use it.
pub const TOOL_DIRS: &[&str] = &[
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
    "/usr/local/sbin",
    "/usr/local/bin",
];

/// The `PATH` children get, so that tools calling helpers find them.
const CHILD_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin";

/// Longest stderr excerpt kept in an error.
const STDERR_EXCERPT: usize = 2000;

/// A failed external command.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The tool is in none of the [`TOOL_DIRS`].
    #[error("{tool} is not installed (not found in {})", TOOL_DIRS.join(":"))]
    NotFound {
        /// The tool's name.
        tool: String,
    },
    /// The command was given no deadline; it is not run (every external call has one).
    #[error("{command} was not run: it has no deadline")]
    NoDeadline {
        /// The command line (secrets redacted).
        command: String,
    },
    /// The process could not be started.
    #[error("cannot run {command}: {source}")]
    Spawn {
        /// The command line (secrets redacted).
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// The deadline passed; the process group was killed.
    #[error("{command} did not finish within {:.1} s and was killed{}", after.as_secs_f64(), stderr_suffix(stderr))]
    TimedOut {
        /// The command line (secrets redacted).
        command: String,
        /// How long it was given.
        after: Duration,
        /// What it had written to stderr.
        stderr: String,
    },
    /// The process exited non-zero or was killed by a signal.
    #[error("{command} failed ({status}){}", stderr_suffix(said(stderr, stdout)))]
    Failed {
        /// The command line (secrets redacted).
        command: String,
        /// `exit code N` or `killed by signal N`.
        status: String,
        /// Exit code, if it exited.
        code: Option<i32>,
        /// Its stderr, trimmed.
        stderr: String,
        /// Its stdout, for callers that parse failures.
        stdout: String,
    },
}

/// What a failed tool said: its stderr, or its stdout when stderr is empty (some tools, `zpool`
/// among them, print refusals on stdout).
fn said<'a>(stderr: &'a str, stdout: &'a str) -> &'a str {
    if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let s = crate::status::one_line(&excerpt(stderr.trim()));
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

impl CommandError {
    /// Stderr of a failed or timed-out command ("" otherwise).
    pub fn stderr(&self) -> &str {
        match self {
            CommandError::TimedOut { stderr, .. } | CommandError::Failed { stderr, .. } => stderr,
            _ => "",
        }
    }

    /// What the tool said when it failed: its stderr, or its stdout when stderr is empty
    /// ("" for errors where it did not run to its end).
    pub fn said(&self) -> &str {
        match self {
            CommandError::Failed { stderr, stdout, .. } => said(stderr, stdout),
            CommandError::TimedOut { stderr, .. } => stderr,
            _ => "",
        }
    }

    /// True when the tool is not installed.
    pub fn is_not_found(&self) -> bool {
        matches!(self, CommandError::NotFound { .. })
    }

    /// True when the command was killed at its deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(self, CommandError::TimedOut { .. })
    }

    /// Exit code of a command that exited non-zero.
    pub fn code(&self) -> Option<i32> {
        match self {
            CommandError::Failed { code, .. } => *code,
            _ => None,
        }
    }
}

/// A command error as an action's failure: a missing tool is `OCF_ERR_INSTALLED` (5: this node
/// lacks it, another may not), anything else `OCF_ERR_GENERIC` (1). The reason is the error's
/// text: command, status and what the tool said. Add context with [`OcfError::context`].
impl From<CommandError> for OcfError {
    fn from(e: CommandError) -> OcfError {
        match e {
            CommandError::NotFound { .. } => OcfError::installed(e.to_string()),
            e => OcfError::generic(e.to_string()),
        }
    }
}

/// A failed command as an agent's error: a missing tool is "not installed" (5), anything else a
/// generic error (1) with `what` was being done.
pub fn failed(what: &str, e: CommandError) -> OcfError {
    match e {
        CommandError::NotFound { tool } => OcfError::installed(format!("{tool} is not installed")),
        e => OcfError::generic(format!("{what}: {e}")),
    }
}

fn tool_cache() -> &'static Mutex<HashMap<String, PathBuf>> {
    static CACHE: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Resolve a tool to an absolute path in [`TOOL_DIRS`], once per process.
pub fn resolve(tool: &str) -> Result<PathBuf, CommandError> {
    resolve_in(tool, TOOL_DIRS)
}

/// Resolve a tool in the given directories (tests use their own).
pub fn resolve_in(tool: &str, dirs: &[&str]) -> Result<PathBuf, CommandError> {
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(CommandError::NotFound { tool: tool.into() })
        };
    }
    let key = format!("{}\0{tool}", dirs.join(":"));
    if let Ok(cache) = tool_cache().lock() {
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
    }
    let found = dirs
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| is_executable(p))
        .ok_or_else(|| CommandError::NotFound { tool: tool.into() })?;
    if let Ok(mut cache) = tool_cache().lock() {
        cache.insert(key, found.clone());
    }
    Ok(found)
}

#[derive(Debug, Clone)]
enum Arg {
    Plain(OsString),
    Secret(OsString),
}

/// What to run: a tool looked up in [`TOOL_DIRS`] when it runs, or an absolute path.
#[derive(Debug, Clone)]
enum Program {
    Tool(String),
    Path(PathBuf),
}

/// The captured result of a command that ran to its end.
#[derive(Debug, Clone)]
pub struct Output {
    /// How it ended.
    pub status: ExitStatus,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Output {
    /// True if it exited 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// An output as a recorded run ended: `code` is the exit code (fakes build theirs this way).
    pub fn recorded(code: u8, stdout: impl Into<String>, stderr: impl Into<String>) -> Output {
        Output {
            status: ExitStatus::from_raw(i32::from(code) << 8),
            stdout: stdout.into(),
            stderr: stderr.into(),
            elapsed: Duration::ZERO,
        }
    }

    /// `Ok(self)` for exit 0; otherwise the [`CommandError::Failed`] of `cmd`.
    pub fn check(self, cmd: &Command) -> Result<Output, CommandError> {
        if self.success() {
            return Ok(self);
        }
        let (status, code) = describe(self.status);
        Err(CommandError::Failed {
            command: cmd.display(),
            status,
            code,
            stderr: excerpt(self.stderr.trim()),
            stdout: self.stdout,
        })
    }
}

/// One external command: the tool, its arguments, optional standard input, and the deadline at
/// which it is killed. Built here, run by a [`crate::runner::Runner`].
#[derive(Debug, Clone)]
pub struct Command {
    program: Program,
    args: Vec<Arg>,
    stdin: Option<Vec<u8>>,
    env: Vec<(OsString, OsString)>,
    deadline: Option<Instant>,
}

impl Command {
    /// `tool` (a name looked up in [`TOOL_DIRS`] when it runs, or an absolute path), killed at
    /// `deadline`. In an action: [`crate::Ctx::command`], which passes the action's deadline.
    pub fn new(tool: &str, deadline: Instant) -> Command {
        let program = if tool.contains('/') {
            Program::Path(PathBuf::from(tool))
        } else {
            Program::Tool(tool.to_owned())
        };
        Command {
            program,
            args: Vec::new(),
            stdin: None,
            env: Vec::new(),
            deadline: Some(deadline),
        }
    }

    /// A command for a tool found in [`TOOL_DIRS`] now; set its [`Command::deadline`] before
    /// running it (a command without one is refused). Prefer [`Command::new`].
    pub fn tool(tool: &str) -> Result<Command, CommandError> {
        Ok(Command::at(resolve(tool)?))
    }

    /// A command for an absolute path; set its [`Command::deadline`] before running it.
    pub fn at(program: impl Into<PathBuf>) -> Command {
        Command {
            program: Program::Path(program.into()),
            args: Vec::new(),
            stdin: None,
            env: Vec::new(),
            deadline: None,
        }
    }

    /// Add an argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(Arg::Plain(a.as_ref().to_owned()));
        self
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| Arg::Plain(a.as_ref().to_owned())));
        self
    }

    /// Add an argument that is shown as `***` in logs and errors. Prefer [`Command::stdin`] for
    /// secrets: anything in argv is visible to every user through /proc.
    pub fn secret_arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(Arg::Secret(a.as_ref().to_owned()));
        self
    }

    /// Feed these bytes on standard input (never logged).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Set an extra environment variable for the child.
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.env
            .push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// Kill the command if it is still running at `deadline` (replaces an earlier deadline).
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The instant at which the command is killed (`None`: not set, so it will not run).
    pub fn deadline_at(&self) -> Option<Instant> {
        self.deadline
    }

    /// The standard input it will be fed, if any.
    pub fn input(&self) -> Option<&[u8]> {
        self.stdin.as_deref()
    }

    /// The command line as logs and errors show it, secrets replaced by `***`: the tool as
    /// given (`zpool import -N tank`), which is also what a scripted runner matches.
    pub fn display(&self) -> String {
        let mut s = match &self.program {
            Program::Tool(t) => t.clone(),
            Program::Path(p) => p.display().to_string(),
        };
        for a in &self.args {
            s.push(' ');
            match a {
                Arg::Plain(p) => {
                    let p = p.to_string_lossy();
                    if p.is_empty() || p.contains(|c: char| c.is_whitespace() || c == '\'') {
                        s.push_str(&format!("{p:?}"));
                    } else {
                        s.push_str(&p);
                    }
                }
                Arg::Secret(_) => s.push_str("***"),
            }
        }
        s
    }

    /// Run for real to the end; a non-zero exit is an error carrying command, status and stderr.
    /// Agents go through a [`crate::runner::Runner`] instead, so that tests can replay it.
    pub fn run(&self) -> Result<Output, CommandError> {
        self.output()?.check(self)
    }

    /// Run for real to the end and return the output whatever the exit status; a missing tool,
    /// a spawn failure, a missing deadline or the deadline passing are errors.
    pub fn output(&self) -> Result<Output, CommandError> {
        let Some(deadline) = self.deadline else {
            return Err(CommandError::NoDeadline {
                command: self.display(),
            });
        };
        let program = match &self.program {
            Program::Tool(t) => resolve(t)?,
            Program::Path(p) => p.clone(),
        };
        let shown = self.display();
        let started = Instant::now();
        let mut cmd = std::process::Command::new(&program);
        for a in &self.args {
            match a {
                Arg::Plain(x) | Arg::Secret(x) => cmd.arg(x),
            };
        }
        cmd.env_clear()
            .env("PATH", CHILD_PATH)
            .env("LANG", "C")
            .env("LC_ALL", "C")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        die_with_parent(&mut cmd);
        tracing::debug!("running {} ({})", shown, program.display());
        let mut child = cmd.spawn().map_err(|source| CommandError::Spawn {
            command: shown.clone(),
            source,
        })?;
        let pid = child.id();
        if let (Some(input), Some(mut pipe)) = (self.stdin.clone(), child.stdin.take()) {
            thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let out_reader = spawn_reader(child.stdout.take());
        let err_reader = spawn_reader(child.stderr.take());
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let waited = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let status = match waited {
            Ok(Ok(status)) => status,
            Ok(Err(source)) => {
                return Err(CommandError::Spawn {
                    command: shown,
                    source,
                })
            }
            Err(_) => {
                kill_group(pid);
                let _ = rx.recv_timeout(Duration::from_secs(2));
                let stderr = collect(err_reader, Instant::now() + Duration::from_millis(200));
                tracing::warn!(
                    "{shown} killed at its deadline after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Err(CommandError::TimedOut {
                    command: shown,
                    after: started.elapsed(),
                    stderr: excerpt(stderr.trim()),
                });
            }
        };
        // A daemon forked by the tool may hold the pipes open: read until the deadline at most.
        let stdout = collect(out_reader, deadline);
        let stderr = collect(err_reader, deadline);
        let elapsed = started.elapsed();
        tracing::debug!(
            "{shown}: {} in {:.3} s",
            describe(status).0,
            elapsed.as_secs_f64()
        );
        Ok(Output {
            status,
            stdout,
            stderr,
            elapsed,
        })
    }
}

fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// The child gets SIGKILL when the agent dies: it runs in a process group of its own (so that a
/// deadline kills its whole tree), which Pacemaker's kill of the agent's group at the action
/// timeout does not reach. `PR_SET_PDEATHSIG` follows the *thread* that spawned the child, and
/// every command is waited for by the thread that runs it, so the child never outlives its waiter.
#[allow(unsafe_code)]
fn die_with_parent(cmd: &mut std::process::Command) {
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the forked child before exec; it makes two system calls
    // (prctl, getppid), both async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            if rustix::process::getppid() != Some(parent) {
                // the agent died between fork and prctl: nobody will read this child's output
                return Err(std::io::Error::from_raw_os_error(3));
            }
            Ok(())
        });
    }
}

fn spawn_reader<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

fn collect(rx: mpsc::Receiver<Vec<u8>>, until: Instant) -> String {
    let bytes = rx
        .recv_timeout(until.saturating_duration_since(Instant::now()))
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn excerpt(s: &str) -> String {
    if s.len() <= STDERR_EXCERPT {
        return s.to_owned();
    }
    let mut end = STDERR_EXCERPT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn describe(status: ExitStatus) -> (String, Option<i32>) {
    match (status.code(), status.signal()) {
        (Some(c), _) => (format!("exit code {c}"), Some(c)),
        (None, Some(sig)) => (format!("killed by signal {sig}"), None),
        _ => ("unknown status".into(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        Command::new("sh", Instant::now() + Duration::from_secs(20))
            .arg("-c")
            .arg(script)
    }

    #[test]
    fn resolves_to_absolute_paths() {
        let p = resolve("sh").unwrap();
        assert!(p.is_absolute());
        assert!(matches!(
            resolve("no-such-tool-hasan"),
            Err(CommandError::NotFound { .. })
        ));
        assert!(resolve_in("sh", &["/nonexistent"]).is_err());
    }

    #[test]
    fn captures_output_with_c_locale_and_fixed_path() {
        let out = sh("echo $LANG $LC_ALL $PATH; echo err >&2").run().unwrap();
        assert_eq!(out.stdout.trim(), format!("C C {CHILD_PATH}"));
        assert_eq!(out.stderr.trim(), "err");
    }

    #[test]
    fn failure_carries_command_status_and_stderr() {
        let e = sh("echo 'pool is busy' >&2; exit 3").run().unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("sh -c"), "{msg}");
        assert!(msg.contains("exit code 3"), "{msg}");
        assert!(msg.ends_with(": pool is busy"), "{msg}");
        assert_eq!(e.code(), Some(3));
    }

    /// Helper mode of the test binary for `children_die_with_the_agent`: run a long command
    /// through [`Command`] (as an agent would) and never return.
    #[test]
    fn pdeathsig_helper() {
        let Some(pidfile) = std::env::var_os("HASAN_PDEATHSIG_PIDFILE") else {
            return;
        };
        let script = format!("echo $$ > {}; exec sleep 60", pidfile.to_string_lossy());
        let _ = sh(&script)
            .deadline(Instant::now() + Duration::from_secs(60))
            .run();
    }

    #[test]
    fn children_die_with_the_agent() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        // the "agent": this test binary in helper mode, killed the way Pacemaker kills an agent
        let mut agent = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "command::tests::pdeathsig_helper", "--nocapture"])
            .env("HASAN_PDEATHSIG_PIDFILE", &pidfile)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        let child: i32 = loop {
            if let Some(pid) = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                break pid;
            }
            assert!(Instant::now() < until, "the helper never started its child");
            thread::sleep(Duration::from_millis(50));
        };
        let alive = |pid: i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    !s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(false)
        };
        assert!(alive(child), "the child runs while the agent does");
        agent.kill().unwrap();
        agent.wait().unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while alive(child) && Instant::now() < until {
            thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(child), "child {child} outlived the agent");
    }

    #[test]
    fn a_command_without_a_deadline_is_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let c = Command::tool("touch").unwrap().arg(&marker);
        assert!(matches!(c.run(), Err(CommandError::NoDeadline { .. })));
        assert!(!marker.exists());
        // the same command with a deadline runs
        c.deadline(Instant::now() + Duration::from_secs(20))
            .run()
            .unwrap();
        assert!(marker.exists());
    }

    #[test]
    fn a_missing_tool_is_not_found_when_it_runs() {
        let e = Command::new(
            "no-such-tool-hasan",
            Instant::now() + Duration::from_secs(5),
        )
        .run()
        .unwrap_err();
        assert!(e.is_not_found(), "{e}");
        assert!(e
            .to_string()
            .starts_with("no-such-tool-hasan is not installed"));
    }

    #[test]
    fn a_missing_tool_is_5_and_any_other_failure_1() {
        let soon = Instant::now() + Duration::from_secs(5);
        let e = OcfError::from(Command::new("no-such-tool-hasan", soon).run().unwrap_err());
        assert_eq!(e.status, crate::OcfStatus::ErrInstalled);
        assert!(
            e.reason.starts_with("no-such-tool-hasan is not installed"),
            "{}",
            e.reason
        );
        let e = OcfError::from(sh("echo no >&2; exit 2").run().unwrap_err());
        assert_eq!(e.status, crate::OcfStatus::ErrGeneric);
        assert!(
            e.reason.ends_with("failed (exit code 2): no"),
            "{}",
            e.reason
        );
        let e = OcfError::from(sh("sleep 5").deadline(Instant::now()).run().unwrap_err());
        assert_eq!(e.status, crate::OcfStatus::ErrGeneric);
    }

    #[test]
    fn a_refusal_on_stdout_is_what_the_tool_said() {
        let e = sh("echo 'cannot export: pool is busy'; exit 1")
            .run()
            .unwrap_err();
        assert_eq!(e.said().trim(), "cannot export: pool is busy");
        assert!(
            e.to_string().ends_with(": cannot export: pool is busy"),
            "{e}"
        );
    }

    #[test]
    fn deadline_kills_the_whole_process_group() {
        let started = Instant::now();
        let e = sh("sleep 30 & sleep 30; echo never")
            .deadline(Instant::now() + Duration::from_millis(300))
            .run()
            .unwrap_err();
        assert!(matches!(e, CommandError::TimedOut { .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn secrets_are_not_displayed_and_stdin_is_fed() {
        let c = sh("read x; test \"$x\" = \"$0\" && echo ok").secret_arg("hunter2");
        assert!(!c.display().contains("hunter2"));
        let out = c.clone().stdin("hunter2\n").run().unwrap();
        assert_eq!(out.stdout.trim(), "ok");
        let e = sh("echo fail >&2; exit 1")
            .secret_arg("s3cret")
            .run()
            .unwrap_err();
        assert!(!e.to_string().contains("s3cret"));
    }

    #[test]
    fn daemon_holding_the_pipe_does_not_hang_past_the_deadline() {
        let started = Instant::now();
        let out = sh("(setsid sleep 20 &) ; echo started")
            .deadline(Instant::now() + Duration::from_millis(500))
            .run();
        // Without the bounded read this would block for the daemon's 20 s.
        assert!(out.is_ok());
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
