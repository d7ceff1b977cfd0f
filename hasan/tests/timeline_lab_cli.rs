//! `hasan timeline` run as an operator runs it, on the journals recorded in the lab by
//! tests/lab/scenarios/60-hasan-operator (tests/fixtures/lab): what it prints for a failover, and
//! one clear line on stderr, exit status 3 and nothing on stdout when it cannot answer.

use std::path::PathBuf;
use std::process::{Command, Output};

use anyhow::{ensure, Context, Result};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lab")
        .join(name)
}

/// `hasan timeline ARGS… FIXTURES…` with an empty environment.
fn timeline(fixtures: &[&str], args: &[&str]) -> Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_hasan"))
        .arg("timeline")
        .args(args)
        .args(fixtures.iter().map(|f| fixture(f)))
        .env_clear()
        .output()
        .context("running hasan")
}

fn one_line_error(r: &Output, says: &str) -> Result<()> {
    let stderr = String::from_utf8_lossy(&r.stderr);
    let shown = format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{stderr}",
        r.status.code(),
        String::from_utf8_lossy(&r.stdout)
    );
    ensure!(
        r.status.code() == Some(3),
        "exit status 3 expected: {shown}"
    );
    ensure!(r.stdout.is_empty(), "nothing on stdout expected: {shown}");
    ensure!(
        stderr.lines().count() == 1 && stderr.starts_with("hasan: "),
        "one line on stderr expected: {shown}"
    );
    ensure!(stderr.contains(says), "stderr should say {says:?}: {shown}");
    Ok(())
}

#[test]
fn a_journal_without_a_failover_is_one_line() -> Result<()> {
    one_line_error(
        &timeline(&["quiet-node1.json"], &[])?,
        "no failover in these journals",
    )
}
