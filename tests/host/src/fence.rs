//! What the host tests of every fence agent share: running an installed agent the way the fencer
//! does (options on stdin, optionally inside a network namespace), its golden meta-data checked
//! against fence-agents' schema, and `pcs stonith create` against a CIB in a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

use crate::cmd::{self, Ran};
use crate::netns;

/// fence-agents' RELAX NG schema of fence agent meta-data.
pub const METADATA_RNG: &str = "/usr/share/cluster/relaxng/metadata.rng";
/// libxml2's validator.
pub const XMLLINT: &str = "/usr/bin/xmllint";

/// Fail clearly when a tool or an installed agent is missing (never skip).
pub fn require_installed(path: &str) -> Result<()> {
    ensure!(
        Path::new(path).exists(),
        "{path} is missing: install the packages in tests/host-packages.txt (make deps) and the agents (make install)"
    );
    Ok(())
}

/// One run of an agent.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Run {
    /// The ERROR lines on stderr.
    pub fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("ERROR"))
            .collect()
    }
}

/// Run the agent `program` with `stdin` (not necessarily text) and `args`, inside network
/// namespace `netns` (None: on the host), logging to stderr only.
pub fn run_agent(netns: Option<&str>, program: &str, stdin: &[u8], args: &[&str]) -> Result<Run> {
    require_installed(program)?;
    let started = Instant::now();
    let mut child = netns::command_in(netns, program)
        .args(args)
        .env("HA_LOGFACILITY", "none")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    let mut input = child.stdin.take().context("stdin of the agent")?;
    let stdin = stdin.to_vec();
    // A writer thread: the agent may stop reading (too much input) before all is written.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output()?;
    let _ = writer.join();
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    })
}

/// The golden meta-data of the agent called `name`: `ocf-metadata/fence/<name>.xml`.
pub fn golden_metadata(name: &str) -> PathBuf {
    crate::repo_root().join(format!("ocf-metadata/fence/{name}.xml"))
}

/// Check that `program` prints the golden meta-data of `name` for `-o metadata` and for
/// Pacemaker's `action=meta-data` on stdin, and that the golden copy is valid against
/// fence-agents' schema. Returns the meta-data.
pub fn check_golden_metadata(program: &str, name: &str) -> Result<String> {
    let golden = golden_metadata(name);
    let want = std::fs::read_to_string(&golden)
        .with_context(|| format!("reading {}", golden.display()))?;
    let r = run_agent(None, program, b"", &["-o", "metadata"])?;
    ensure!(r.code == 0, "{name} -o metadata: {r:?}");
    ensure!(
        r.stdout == want,
        "{name}: meta-data changed: run `make metadata` and review the diff\n--- got\n{}",
        r.stdout
    );
    // Pacemaker's spelling on stdin gives the same document.
    let r = run_agent(None, program, b"action=meta-data\n", &[])?;
    ensure!(
        r.stdout == want,
        "{name}: action=meta-data on stdin differs from -o metadata\n--- got\n{}",
        r.stdout
    );
    require_installed(METADATA_RNG)?;
    require_installed(XMLLINT)?;
    let valid = cmd::run(
        Command::new(XMLLINT)
            .args(["--noout", "--relaxng", METADATA_RNG])
            .arg(&golden),
        Duration::from_secs(60),
    )?;
    ensure!(
        valid.success(),
        "{name}: the golden meta-data does not follow {METADATA_RNG}: {valid}"
    );
    Ok(want)
}

/// A CIB in a temporary file, made by `cibadmin --empty`, that `pcs -f` edits: what pcs accepts
/// from an agent's meta-data, without a running cluster.
#[derive(Debug)]
pub struct CibFile {
    dir: tempfile::TempDir,
}

impl CibFile {
    /// An empty CIB.
    pub fn empty() -> Result<CibFile> {
        for tool in ["/usr/sbin/pcs", "/usr/sbin/cibadmin"] {
            require_installed(tool)?;
        }
        let dir = tempfile::Builder::new().prefix("fence-pcs-").tempdir()?;
        let cib = cmd::ok("/usr/sbin/cibadmin", &["--empty"])?;
        let f = CibFile { dir };
        std::fs::write(f.path(), cib)?;
        Ok(f)
    }

    /// The file.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("cib.xml")
    }

    /// `pcs -f <file> stonith create <args>`, whatever its outcome.
    pub fn stonith_create(&self, args: &[&str]) -> Result<Ran> {
        cmd::run(
            Command::new("/usr/sbin/pcs")
                .arg("-f")
                .arg(self.path())
                .args(["stonith", "create"])
                .args(args),
            Duration::from_secs(60),
        )
    }

    /// Fail unless `pcs stonith create <args>` is refused for `option`, a parameter the agent's
    /// meta-data does not list (which shows that pcs reads the meta-data).
    pub fn check_unknown_option_refused(&self, args: &[&str], option: &str) -> Result<()> {
        let r = self.stonith_create(args)?;
        ensure!(
            !r.success()
                && r.stderr
                    .contains(&format!("invalid stonith option '{option}'")),
            "pcs did not refuse {option} as unknown: {r}"
        );
        Ok(())
    }

    /// The CIB as it is now.
    pub fn text(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.path())?)
    }
}
