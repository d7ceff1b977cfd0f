//! The command line: one clap table for parsing, `--help`, the man page and shell completions.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// hasan — the operator's tool for a hasan two-node SAN.
#[derive(Debug, Parser)]
#[command(
    name = "hasan",
    version,
    about = "The operator's tool for a hasan two-node SAN: failover timeline, readiness check, standby on shutdown",
    after_help = "Exit status: 0 success (check: all PASS), 1 check found warnings, 2 check found failures, \
                  3 hasan could not do what was asked (bad arguments, unreadable journal, no failover found, \
                  cluster not answering)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What happened in a failover: detection, fencing, each resource stop and start with hasan's
    /// phases, durations, the node each ran on, and the total.
    Timeline {
        /// The failover at or after this time (`YYYY-MM-DD HH:MM:SS` UTC, or `@SECONDS`); default:
        /// the last one.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Journal files of one or more nodes (`journalctl -o json` or `-o export`); none: this
        /// node's journal of the last 24 hours (or since --since).
        #[arg(value_name = "JOURNAL")]
        journals: Vec<PathBuf>,
    },
    /// Is this cluster set up so that a failover will work? Read-only; one PASS/WARN/FAIL line per
    /// check with the command that fixes it.
    Check {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Before Pacemaker stops (hasan-standby.service): put this node in standby and wait until no
    /// resource is active here.
    StandbyOnShutdown {
        /// Longest wait for the resources to leave, in seconds.
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        timeout: u64,
    },
    /// After Pacemaker started (hasan-standby.service): remove the standby that standby-on-shutdown
    /// set, and only that one.
    UnstandbyOnBoot {
        /// Longest wait for the controller to answer and this node to join, in seconds.
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page hasan(8) (roff).
    #[command(hide = true)]
    Manpage,
}
