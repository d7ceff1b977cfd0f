//! The exit-code policy and the dispatch of subcommands.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::host::{Host, RealHost};
use crate::{check, clock, journal, standby, timeline};

/// Exit status when hasan could not do what was asked.
pub const EXIT_ERROR: u8 = 3;

/// Parse, run, print errors as one line, return the exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "hasan: {} (hasan --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match dispatch(cli.command, &RealHost) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("hasan: {}", chain.join(": ").replace('\n', "; "));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn out(text: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()?;
    Ok(())
}

fn dispatch(cmd: Command, host: &dyn Host) -> Result<u8> {
    match cmd {
        Command::Timeline {
            since,
            json,
            journals,
        } => {
            let since = since.as_deref().map(clock::parse).transpose()?;
            let entries = if journals.is_empty() {
                local_journal(host, since)?
            } else {
                let mut all = Vec::new();
                for j in &journals {
                    all.extend(journal::read_file(j)?);
                }
                all
            };
            let t = timeline::build(entries, since)?;
            out(&if json {
                serde_json::to_string_pretty(&t)? + "\n"
            } else {
                timeline::render(&t)
            })?;
            Ok(0)
        }
        Command::Check { json } => {
            let report = check::run_all(host);
            out(&if json {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                check::render(&report)
            })?;
            Ok(report.exit_code())
        }
        Command::StandbyOnShutdown { timeout } => {
            standby::on_shutdown(host, Duration::from_secs(timeout))?;
            Ok(0)
        }
        Command::UnstandbyOnBoot { timeout } => {
            standby::on_boot(host, Duration::from_secs(timeout))?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hasan", &mut buf);
            out(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Manpage => {
            out(&crate::manpage::render(env!("CARGO_PKG_VERSION")))?;
            Ok(0)
        }
    }
}

/// This node's journal since `since` (default: the last 24 hours), read with a deadline.
fn local_journal(host: &dyn Host, since: Option<i64>) -> Result<Vec<journal::Entry>> {
    let now_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let from = since.unwrap_or(now_us - 24 * 3600 * 1_000_000);
    let since_arg = format!("--since=@{}", from.div_euclid(1_000_000));
    let _ = Instant::now();
    let text = host
        .run(
            JOURNALCTL,
            &["-o", "json", "--no-pager", "--quiet", &since_arg],
        )
        .map_err(anyhow::Error::msg)
        .context("reading this node's journal")?;
    journal::parse_json(&text).context("journalctl -o json")
}

/// journalctl, by absolute path.
pub const JOURNALCTL: &str = "/usr/bin/journalctl";
