//! `testparm -s` on the pool's smb.conf before anything changes: its verdict, and the two global
//! settings that bind smbd to the service address (`interfaces`, `bind interfaces only`).

use std::net::IpAddr;
use std::path::Path;

use libocf::{CommandError, Ctx, Runner};

/// What testparm said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Its exit code.
    pub code: i32,
    /// The effective configuration (`testparm -s` prints it on stdout).
    pub stdout: String,
    /// Its messages.
    pub stderr: String,
}

/// `testparm -s FILE` through `tools`; any exit code is a report.
pub fn check(tools: &dyn Runner, ctx: &Ctx, file: &Path) -> Result<Report, CommandError> {
    let out = tools.output(&ctx.command("testparm").arg("-s").arg(file))?;
    Ok(Report {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// testparm's informational lines, not problems (recorded from Samba 4.17 on Debian 12).
fn informational(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("Load smb config files from")
        || l.starts_with("Loading smb config files from")
        || l.starts_with("Loaded services file OK")
        || l.starts_with("Weak crypto is allowed")
        || l.starts_with("Server role:")
        || l.starts_with("Press enter to see a dump")
        || l.starts_with("# Global parameters")
        || (l.starts_with("WARNING: ") && l.ends_with("does not exist"))
}

/// testparm accepts the file: it exits 0 (invalid values and syntax errors exit 1) and ignored
/// no unknown parameter (a misspelt parameter is only a warning to testparm and smbd, but it
/// would silently change what is served).
pub fn accepted(report: &Report) -> bool {
    report.code == 0 && !report.stderr.contains("Unknown parameter encountered")
}

/// testparm's own words about what is wrong, on one line (what start reports).
pub fn problems(report: &Report) -> String {
    let lines: Vec<&str> = report
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| !informational(l))
        .collect();
    if lines.is_empty() {
        format!("testparm exited with code {}", report.code)
    } else {
        lines.join("; ")
    }
}

/// The value of a `[global]` parameter in testparm's dump (names compared without case and
/// blanks, as Samba does).
pub fn global(dump: &str, name: &str) -> Option<String> {
    let key = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let want = key(name);
    let mut in_global = false;
    for line in dump.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_global = key(l) == "[global]";
            continue;
        }
        if !in_global {
            continue;
        }
        if let Some((k, v)) = l.split_once('=') {
            if key(k) == want {
                return Some(v.trim().to_owned());
            }
        }
    }
    None
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "on")
}

/// Why the configuration does not bind smbd to `ip` only; `None` when it does.
pub fn binding_problem(dump: &str, ip: IpAddr) -> Option<String> {
    let interfaces = global(dump, "interfaces").unwrap_or_default();
    let names_ip = interfaces
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|e| !e.is_empty())
        .any(|e| {
            let addr = e.split('/').next().unwrap_or(e);
            addr.parse::<IpAddr>().is_ok_and(|a| a == ip)
        });
    let bind_only = global(dump, "bind interfaces only").is_some_and(|v| truthy(&v));
    match (names_ip, bind_only) {
        (true, true) => None,
        (false, _) => Some(format!(
            "smb.conf must name the service address in [global] interfaces (e.g. interfaces = {ip}), found {:?}",
            interfaces
        )),
        (true, false) => Some(
            "smb.conf must set bind interfaces only = yes in [global], or smbd also answers on the node's own addresses"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // recorded: testparm -s of a good configuration on Debian 12 (Samba 4.17)
    const GOOD_OUT: &str = "# Global parameters
[global]
\tbind interfaces only = Yes
\tinterfaces = 10.77.0.100/24
\tidmap config * : backend = tdb


[s]
\tpath = /tmp
";
    const GOOD_ERR: &str = "Load smb config files from /tmp/good.conf
Loaded services file OK.
Weak crypto is allowed by GnuTLS (e.g. NTLM as a compatibility fallback)

WARNING: lock directory /run/samba does not exist

WARNING: pid directory /run/samba does not exist

Server role: ROLE_STANDALONE

";
    // recorded: an invalid boolean (exit 1) and an unknown parameter (exit 0!)
    const INVALID_ERR: &str = "Load smb config files from /tmp/t.conf
set_variable_helper(perhaps): value is not boolean!
Error loading services.
";
    const UNKNOWN_ERR: &str = "Load smb config files from /tmp/bad.conf
Unknown parameter encountered: \"frobnicate\"
Ignoring unknown parameter \"frobnicate\"
Loaded services file OK.
Weak crypto is allowed by GnuTLS (e.g. NTLM as a compatibility fallback)

WARNING: lock directory /run/samba does not exist

Server role: ROLE_STANDALONE
";

    #[test]
    fn the_binding_is_read_from_the_dump() {
        let vip: IpAddr = "10.77.0.100".parse().unwrap();
        assert_eq!(binding_problem(GOOD_OUT, vip), None);
        let other: IpAddr = "10.77.0.200".parse().unwrap();
        assert!(binding_problem(GOOD_OUT, other)
            .unwrap()
            .contains("must name the service address"));
        let loose = GOOD_OUT.replace("\tbind interfaces only = Yes\n", "");
        assert!(binding_problem(&loose, vip)
            .unwrap()
            .contains("bind interfaces only = yes"));
        // a share's parameters do not count
        let in_share =
            "[global]\n\tserver role = standalone server\n[x]\n\tinterfaces = 10.77.0.100\n";
        assert!(binding_problem(in_share, vip).is_some());
        assert_eq!(
            global(GOOD_OUT, "BindInterfacesOnly").as_deref(),
            Some("Yes")
        );
    }

    #[test]
    fn problems_keep_testparm_s_words_and_drop_its_chatter() {
        let report = |code, stderr: &str| Report {
            code,
            stdout: String::new(),
            stderr: stderr.into(),
        };
        let invalid = report(1, INVALID_ERR);
        assert!(!accepted(&invalid));
        assert_eq!(
            problems(&invalid),
            "set_variable_helper(perhaps): value is not boolean!; Error loading services."
        );
        let unknown = report(0, UNKNOWN_ERR);
        assert!(!accepted(&unknown), "an ignored parameter is not accepted");
        assert_eq!(
            problems(&unknown),
            "Unknown parameter encountered: \"frobnicate\"; Ignoring unknown parameter \"frobnicate\""
        );
        let good = report(0, GOOD_ERR);
        assert!(accepted(&good));
        assert_eq!(
            problems(&report(1, "Loaded services file OK.\n")),
            "testparm exited with code 1"
        );
    }
}
