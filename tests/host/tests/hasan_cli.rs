//! The installed operator's tool `/usr/sbin/hasan` as an operator runs it: `hasan timeline` over
//! journals recorded in the lab during real failovers (a planned move by `systemctl reboot` with
//! hasan-standby.service, and a crash fenced through IPMI; hasan/tests/fixtures/timeline, recorded
//! by tests/lab/scenarios/40-hasan-operator), and every way of calling it wrongly: one clear line
//! on stderr, exit status 3, nothing on stdout.

use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Result};
use hasan_host_tests::cmd::{self, require_tool, Ran};
use hasan_host_tests::repo_root;

const HASAN: &str = "/usr/sbin/hasan";

fn hasan(args: &[&str]) -> Result<Ran> {
    require_tool(HASAN)?;
    cmd::run(
        Command::new(HASAN).args(args).env_clear(),
        Duration::from_secs(30),
    )
}

fn one_line_error(r: &Ran, says: &str) -> Result<()> {
    ensure!(r.code == Some(3), "exit status 3 expected:\n{r}");
    ensure!(r.stdout.is_empty(), "nothing on stdout expected:\n{r}");
    ensure!(
        r.stderr.lines().count() == 1 && r.stderr.starts_with("hasan: "),
        "one line on stderr expected:\n{r}"
    );
    ensure!(r.stderr.contains(says), "stderr should say {says:?}:\n{r}");
    Ok(())
}

#[test]
fn a_bad_flag_is_one_line() -> Result<()> {
    one_line_error(&hasan(&["timeline", "--bogus"])?, "'--bogus'")?;
    one_line_error(&hasan(&["frobnicate"])?, "'frobnicate'")
}

#[test]
fn an_unreadable_journal_is_one_line() -> Result<()> {
    one_line_error(
        &hasan(&["timeline", "/nonexistent/journal.json"])?,
        "cannot read /nonexistent/journal.json: No such file or directory",
    )
}

#[test]
fn a_file_that_is_no_journal_is_one_line() -> Result<()> {
    let cargo_toml = repo_root().join("Cargo.toml");
    one_line_error(
        &hasan(&["timeline", &cargo_toml.to_string_lossy()])?,
        "neither journal JSON",
    )
}

#[test]
fn a_bad_since_is_one_line() -> Result<()> {
    one_line_error(
        &hasan(&["timeline", "--since", "yesterday", "/nonexistent"])?,
        "--since \"yesterday\"",
    )
}
