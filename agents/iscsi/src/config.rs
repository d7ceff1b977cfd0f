//! The checked configuration, built from the parameters without looking at the local system.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use libocf::{OcfError, Params};

/// The TPG this agent builds (the CHAP file's `<tpg>` is this tag).
pub const TPG_TAG: u16 = 1;
/// The iSCSI port when a portal names none.
pub const DEFAULT_PORT: u16 = 3260;

/// How initiators authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChapMode {
    /// ACLs only.
    None,
    /// The initiator authenticates.
    OneWay,
    /// Both authenticate.
    Mutual,
}

/// One portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Portal(pub SocketAddr);

impl fmt::Display for Portal {
    /// The configfs name: `192.0.2.10:3260`, `[2001:db8::10]:3260`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Portal {
    /// Parse `ADDR[:PORT]` or `[V6ADDR][:PORT]`.
    pub fn parse(text: &str) -> Result<Portal, String> {
        let with_port = |addr: &str, port: Option<&str>| -> Result<Portal, String> {
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| format!("{text:?}: {addr:?} is not an IP address"))?;
            let port = match port {
                None => DEFAULT_PORT,
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("{text:?}: port {p:?} is not 1-65535"))?,
            };
            if ip.is_unspecified() {
                return Err(format!(
                    "{text:?}: the wildcard address is refused; give the VIP clients use"
                ));
            }
            if ip.is_multicast() || ip == IpAddr::from([255, 255, 255, 255]) {
                return Err(format!("{text:?}: not a unicast address"));
            }
            Ok(Portal(SocketAddr::new(ip, port)))
        };
        if let Some(rest) = text.strip_prefix('[') {
            let (addr, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{text:?}: missing ']'"))?;
            if !addr.contains(':') {
                return Err(format!("{text:?}: brackets are for IPv6 addresses"));
            }
            match after {
                "" => with_port(addr, None),
                _ => match after.strip_prefix(':') {
                    Some(p) => with_port(addr, Some(p)),
                    None => Err(format!("{text:?}: expected ':PORT' after ']'")),
                },
            }
        } else if text.matches(':').count() > 1 {
            Err(format!(
                "{text:?}: write an IPv6 portal in brackets, [ADDR]:PORT"
            ))
        } else {
            match text.split_once(':') {
                Some((a, p)) => with_port(a, Some(p)),
                None => with_port(text, None),
            }
        }
    }
}

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct Config {
    /// The target's IQN.
    pub iqn: String,
    /// Where it listens, sorted.
    pub portals: Vec<Portal>,
    /// zvols or prefixes, as given.
    pub luns: Vec<String>,
    /// The pool they are all on.
    pub pool: String,
    /// Initiators with an ACL, sorted.
    pub initiators: Vec<String>,
    /// CHAP mode.
    pub chap: ChapMode,
    /// The credentials file (set iff chap is not none).
    pub chap_file: Option<String>,
    /// The pass file of an encrypted chap_file.
    pub chap_key_file: String,
    /// LIO's dbroot, if managed.
    pub dbroot: Option<String>,
    /// How long start waits for zvol device nodes.
    pub zvol_wait: Duration,
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

/// An iSCSI name LIO and initiators agree on: `iqn.YYYY-MM.<reversed domain>[:…]`, `eui.` + 16
/// hex digits, `naa.` + 16 or 32 hex digits; lowercase; at most 223 bytes (RFC 3720).
pub fn check_iscsi_name(name: &str) -> Result<(), String> {
    if name.len() > 223 {
        return Err(format!("{name:?} is longer than 223 bytes"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!("{name:?}: iSCSI names are lowercase"));
    }
    let hex = |s: &str, lens: &[usize]| {
        lens.contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
    };
    if let Some(rest) = name.strip_prefix("iqn.") {
        let ok_chars = rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
        let date = rest.get(..7).unwrap_or("");
        let date_ok = date.len() == 7
            && date[..4].chars().all(|c| c.is_ascii_digit())
            && &date[4..5] == "-"
            && date[5..7].chars().all(|c| c.is_ascii_digit());
        let domain = rest.get(7..).unwrap_or("");
        let domain = domain.split(':').next().unwrap_or("");
        if ok_chars && date_ok && domain.len() > 1 && domain.starts_with('.') {
            return Ok(());
        }
        return Err(format!(
            "{name:?} is not iqn.YYYY-MM.reversed.domain[:name] (characters a-z 0-9 - . :)"
        ));
    }
    if let Some(rest) = name.strip_prefix("eui.") {
        if hex(rest, &[16]) {
            return Ok(());
        }
    }
    if let Some(rest) = name.strip_prefix("naa.") {
        if hex(rest, &[16, 32]) {
            return Ok(());
        }
    }
    Err(format!(
        "{name:?} is not an iSCSI name (iqn.YYYY-MM.domain:name, eui.<16 hex>, naa.<16|32 hex>)"
    ))
}

/// A ZFS dataset name below a pool: `pool/a/b`, characters `A-Za-z0-9_.:-`.
fn check_dataset(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('/').collect();
    let part_ok = |p: &&str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
            && *p != "."
            && *p != ".."
    };
    if parts.len() < 2 || !parts.iter().all(part_ok) || name.len() > 255 {
        return Err(format!(
            "{name:?} is not a zvol or dataset below a pool (pool/name, characters A-Z a-z 0-9 _ . : -)"
        ));
    }
    Ok(())
}

fn param_error(name: &str, why: impl fmt::Display) -> OcfError {
    OcfError::configured(format!("parameter {name}: {why}"))
}

impl Config {
    /// Check the parameters; nothing here looks at the local system.
    pub fn from_params(p: &Params) -> Result<Config, OcfError> {
        let iqn = p.str("iqn")?.to_owned();
        check_iscsi_name(&iqn).map_err(|e| param_error("iqn", e))?;

        let mut portals = Vec::new();
        for w in words(p.str("portals")?) {
            let portal = Portal::parse(w).map_err(|e| param_error("portals", e))?;
            if portals.contains(&portal) {
                return Err(param_error("portals", format!("{portal} is listed twice")));
            }
            portals.push(portal);
        }
        if portals.is_empty() {
            return Err(param_error("portals", "no portal given"));
        }
        portals.sort();

        let luns: Vec<String> = words(p.str("luns")?)
            .into_iter()
            .map(|w| w.trim_end_matches('/').to_owned())
            .collect();
        if luns.is_empty() {
            return Err(param_error("luns", "no zvol or dataset given"));
        }
        for l in &luns {
            check_dataset(l).map_err(|e| param_error("luns", e))?;
        }
        let pool = luns[0].split('/').next().unwrap_or_default().to_owned();
        if let Some(other) = luns.iter().find(|l| !l.starts_with(&format!("{pool}/"))) {
            return Err(param_error(
                "luns",
                format!("{other} is not in pool {pool}: one target exports zvols of one pool"),
            ));
        }
        for (i, l) in luns.iter().enumerate() {
            if luns[..i].iter().any(|o| o == l) {
                return Err(param_error("luns", format!("{l} is listed twice")));
            }
        }

        let mut initiators = Vec::new();
        for w in words(p.str("allowed_initiators")?) {
            check_iscsi_name(w).map_err(|e| param_error("allowed_initiators", e))?;
            if w == iqn {
                return Err(param_error(
                    "allowed_initiators",
                    "the target's own IQN is not an initiator",
                ));
            }
            if initiators.iter().any(|i| i == w) {
                return Err(param_error(
                    "allowed_initiators",
                    format!("{w} is listed twice"),
                ));
            }
            initiators.push(w.to_owned());
        }
        if initiators.is_empty() {
            return Err(param_error("allowed_initiators", "no initiator given"));
        }
        initiators.sort();

        let chap = match p.str("chap")? {
            "one-way" => ChapMode::OneWay,
            "mutual" => ChapMode::Mutual,
            _ => ChapMode::None,
        };
        let chap_file = p.opt_str("chap_file")?.map(str::to_owned);
        match (chap, &chap_file) {
            (ChapMode::None, Some(_)) => {
                return Err(param_error(
                    "chap_file",
                    "set but chap=none: set chap=one-way or mutual, or remove chap_file",
                ))
            }
            (ChapMode::OneWay | ChapMode::Mutual, None) => {
                return Err(param_error("chap_file", "chap needs a credentials file"))
            }
            _ => {}
        }
        let chap_key_file = p.str("chap_key_file")?.to_owned();
        let dbroot = p.opt_str("dbroot")?;
        for (name, path) in [
            ("chap_file", chap_file.as_deref()),
            ("chap_key_file", Some(chap_key_file.as_str())),
            ("dbroot", dbroot),
        ] {
            if let Some(path) = path {
                if !path.starts_with('/') {
                    return Err(param_error(
                        name,
                        format!("{path:?} is not an absolute path"),
                    ));
                }
            }
        }
        let zvol_wait = p.secs("zvol_wait")?;
        Ok(Config {
            iqn,
            portals,
            luns,
            pool,
            initiators,
            chap,
            chap_file,
            chap_key_file,
            dbroot: dbroot.map(|d| d.trim_end_matches('/').to_owned()),
            zvol_wait,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SPEC;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, OcfError> {
        let mut vars: Vec<(String, String)> = [
            ("iqn", "iqn.2024-01.local.lab:san"),
            ("portals", "10.77.0.100:3260"),
            ("luns", "labpool/iscsi"),
            ("allowed_initiators", "iqn.2024-01.local.lab:node2"),
        ]
        .iter()
        .filter(|(k, _)| !pairs.iter().any(|(k2, _)| k2 == k))
        .chain(pairs.iter())
        .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()))
        .collect();
        vars.retain(|(_, v)| v != "<unset>");
        let params = Params::parse(&SPEC, vars)?;
        Config::from_params(&params)
    }

    #[test]
    fn the_table_is_consistent() {
        assert_eq!(SPEC.problems(), Vec::<String>::new());
    }

    #[test]
    fn a_good_configuration() {
        let c = cfg(&[
            ("portals", "[fd00::64]:3261, 10.77.0.100"),
            ("luns", "labpool/a labpool/b/c"),
            ("chap", "mutual"),
            ("chap_file", "/etc/hasan/chap"),
        ])
        .unwrap();
        assert_eq!(
            c.portals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["10.77.0.100:3260", "[fd00::64]:3261"]
        );
        assert_eq!(c.pool, "labpool");
        assert_eq!(c.chap, ChapMode::Mutual);
        assert_eq!(c.chap_key_file, "/etc/machine-id");
    }

    #[test]
    fn bad_input_is_refused_with_the_parameter_name() {
        for (k, v, why) in [
            ("iqn", "iqn.2024-01.Local.lab:x", "lowercase"),
            ("iqn", "iqn.24-01.local:x", "not iqn."),
            ("iqn", "target1", "not an iSCSI name"),
            ("portals", "0.0.0.0:3260", "wildcard"),
            ("portals", "[::]:3260", "wildcard"),
            ("portals", "fd00::1:3260", "brackets"),
            ("portals", "10.0.0.1:0", "port"),
            ("portals", "10.0.0.1:3260 10.0.0.1", "twice"),
            ("portals", "224.0.0.1:3260", "unicast"),
            ("portals", "vip:3260", "not an IP"),
            ("luns", "labpool", "below a pool"),
            ("luns", "labpool/a otherpool/b", "not in pool"),
            ("luns", "labpool/a;rm", "below a pool"),
            ("allowed_initiators", "iqn.2024-01.local.lab:san", "own IQN"),
            ("allowed_initiators", "node2", "not an iSCSI name"),
            ("chap", "yes", "chap"),
            ("chap", "one-way", "needs a credentials file"),
            ("chap_file", "/etc/chap", "chap=none"),
            ("dbroot", "labpool/lio", "absolute"),
        ] {
            let mut pairs = vec![(k, v)];
            if k == "chap_file" {
                pairs.push(("chap", "none"));
            }
            let e = cfg(&pairs).unwrap_err();
            assert_eq!(e.status, libocf::OcfStatus::ErrConfigured, "{k}={v}");
            assert!(e.reason.contains(why), "{k}={v}: {}", e.reason);
            assert!(e.reason.contains(k), "{k}={v}: {}", e.reason);
        }
    }
}
