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

/// testparm's informational lines, not problems.
fn informational(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("Load smb config files from")
        || l.starts_with("Loading smb config files from")
        || l.starts_with("Loaded services file OK")
        || l.starts_with("Server role:")
        || l.starts_with("Press enter to see a dump")
        || l.starts_with("# Global parameters")
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
\tinterfaces = 10.77.0.100/24 lo
\tmap to guest = Bad User
\tserver role = standalone server

[share]
\tpath = /labpool/smb
\tread only = No
";
    const GOOD_ERR: &str = "Load smb config files from /labpool/cluster-config/samba/smb.conf
Loaded services file OK.
Weak crypto is allowed by GnuTLS (e.g. NTLM as a compatibility fallback)

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
        let bad = Report {
            code: 1,
            stdout: String::new(),
            stderr: "Load smb config files from /p/smb.conf\nUnknown parameter encountered: \"frobnicate\"\nIgnoring unknown parameter \"frobnicate\"\nError loading services.\n".into(),
        };
        assert_eq!(
            problems(&bad),
            "Unknown parameter encountered: \"frobnicate\"; Ignoring unknown parameter \"frobnicate\"; Error loading services."
        );
        let silent = Report {
            code: 1,
            stdout: String::new(),
            stderr: "Loaded services file OK.\n".into(),
        };
        assert_eq!(problems(&silent), "testparm exited with code 1");
        let good = Report {
            code: 0,
            stdout: GOOD_OUT.into(),
            stderr: GOOD_ERR.into(),
        };
        assert!(!problems(&good).contains("Server role"));
    }
}
