//! hasan(8): one page with every subcommand and its options, from the clap table (so the page
//! never disagrees with `--help`), plus what clap does not know: files and exit status.

use std::fmt::Write as _;

use clap::CommandFactory;

use crate::cli::Cli;

fn roff(text: &str) -> String {
    libocf::manpage::escape(text)
}

/// The page, in roff.
pub fn render(version: &str) -> String {
    let cmd = Cli::command();
    let mut o = String::new();
    let _ = writeln!(
        o,
        ".TH HASAN 8 \"\" \"hasan {version}\" \"System Administration\""
    );
    let _ = writeln!(
        o,
        ".SH NAME\nhasan \\- {}",
        roff(&cmd.get_about().map(|a| a.to_string()).unwrap_or_default())
    );
    let _ = writeln!(o, ".SH SYNOPSIS");
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let mut line = format!("\\fBhasan {}\\fR", sub.get_name());
        for a in sub.get_arguments().filter(|a| a.get_id() != "help") {
            let value = a
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string())
                .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
            line += &match a.get_long() {
                Some(l) if a.get_action().takes_values() => {
                    format!(" [\\fB\\-\\-{l}\\fR \\fI{value}\\fR]")
                }
                Some(l) => format!(" [\\fB\\-\\-{l}\\fR]"),
                None if matches!(a.get_action(), clap::ArgAction::Append) => {
                    format!(" [\\fI{value}\\fR...]")
                }
                None => format!(" \\fI{value}\\fR"),
            };
        }
        let _ = writeln!(o, ".br\n{line}");
    }
    let _ = writeln!(o, ".SH DESCRIPTION\nThe operator's tool of a hasan two\\-node SAN (Pacemaker, ZFS multihost, IPMI fencing).");
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let _ = writeln!(o, ".SS hasan {}", sub.get_name());
        let _ = writeln!(
            o,
            "{}",
            roff(&sub.get_about().map(|a| a.to_string()).unwrap_or_default())
        );
        for a in sub.get_arguments().filter(|a| a.get_id() != "help") {
            let name = match a.get_long() {
                Some(l) => format!("\\fB\\-\\-{l}\\fR"),
                None => format!(
                    "\\fI{}\\fR",
                    a.get_value_names()
                        .and_then(|v| v.first())
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                ),
            };
            let default = a
                .get_default_values()
                .first()
                .map(|d| format!(" (default {})", d.to_string_lossy()))
                .unwrap_or_default();
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let _ = writeln!(o, ".TP\n{name}\n{}", roff(&format!("{help}.{default}")));
        }
    }
    o.push_str(TAIL);
    o
}

const TAIL: &str = r#".SH CHECKS
hostid (set, and not the peer's: node attribute hasan\-zfs\-hostid), import\-units (zfs\-import\-cache and
zfs\-import\-scan not enabled), pool\-properties (multihost=on, cachefile=none), vdev\-paths (by\-id,
by\-path, by\-vdev, by\-partuuid or /dev/mapper), iscsi\-sessions (logged in; noop_out interval and
timeout at most 5 s, replacement_timeout at most 15 s), validate (crm_resource \-\-validate of every
ocf:hasan resource), start\-timeout (each zpool resource's start timeout, from its start operation,
op_defaults or Pacemaker's 20 s, covers an import after a crash: label read, two multihost activity
checks with this node's module parameters and the resource's multihost_* tuning, the import; the
same computation as the agent's preflight), stonith\-enabled, fence\-devices (one per node, kept off the node it fences),
san\-order (pool, then VIP, then services: ordered and colocated), stickiness, corosync\-token (at least
3000 ms), quorum (two_node, a quorum device, or three nodes). Checks of a pool imported on the other
node print SKIP.
.SH FILES
.TP
/usr/lib/systemd/system/hasan\-standby.service
Runs \fBhasan unstandby\-on\-boot\fR when Pacemaker starts and \fBhasan standby\-on\-shutdown\fR before it
stops; enable it with \fBsystemctl enable hasan\-standby.service\fR.
.TP
/var/lib/hasan/standby\-on\-shutdown
Present while a standby set by standby\-on\-shutdown is in force; only then does unstandby\-on\-boot
remove the standby.
.SH "EXIT STATUS"
0 success (check: no WARN or FAIL); 1 check found warnings; 2 check found failures; 3 hasan could not
do what was asked (bad arguments, unreadable journal, no failover in the journals, cluster not
answering): one line on standard error says why.
.SH "SEE ALSO"
ocf_hasan_zpool(7), ocf_hasan_vip(7), fence_hasan_ipmi(8), journalctl(1), crm_mon(8)
"#;
