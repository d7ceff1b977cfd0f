//! Running tools from tests: absolute paths checked up front, a deadline on every run, output
//! captured, failures reported with the command line and stderr.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The command line, for messages.
    pub command: String,
    /// Exit code (None if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// True on exit code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Fail with the command, code and output unless it exited 0.
    pub fn check(self) -> Result<Ran> {
        if self.success() {
            Ok(self)
        } else {
            bail!("{self}")
        }
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exited with {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.code,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Fail with a clear message when a tool the test needs is not installed.
pub fn require_tool(path: &str) -> Result<()> {
    if Path::new(path).is_file() {
        Ok(())
    } else {
        bail!("{path} is missing: install the packages in tests/host-packages.txt (make deps)")
    }
}

/// The command line as text.
pub fn display(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Run `cmd` to completion, killing it after `timeout`; stdout and stderr are captured.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<Ran> {
    let command = display(cmd);
    let mut out = tempfile::tempfile().context("temp file")?;
    let mut err = tempfile::tempfile().context("temp file")?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(err.try_clone()?)
        .spawn()
        .with_context(|| format!("cannot run `{command}`"))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("`{command}` did not finish within {timeout:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |f: &mut File| -> Result<String> {
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(0))?;
        let mut s = String::new();
        f.read_to_string(&mut s)?;
        Ok(s)
    };
    Ok(Ran {
        command,
        code: status.code(),
        stdout: read(&mut out)?,
        stderr: read(&mut err)?,
    })
}

/// Run a program with arguments, 60 s deadline, and require success; returns stdout.
pub fn ok(program: &str, args: &[&str]) -> Result<String> {
    Ok(
        run(Command::new(program).args(args), Duration::from_secs(60))?
            .check()?
            .stdout,
    )
}

/// Poll `probe` every 250 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    let mut last_err = None;
    loop {
        match probe() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = Some(e),
        }
        if Instant::now() >= deadline {
            match last_err {
                Some(e) => {
                    bail!("timed out after {timeout:?} waiting for {what}; last error: {e:#}")
                }
                None => bail!("timed out after {timeout:?} waiting for {what}"),
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
