//! The parameters of one vip resource, checked without looking at the node (validate-all level 0).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use libocf::{OcfError, Params};

/// Longest interface name the kernel accepts (`IFNAMSIZ` - 1).
pub const IFNAME_MAX: usize = 15;

/// A syntactically legal Linux interface name (the kernel's `dev_valid_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfName(String);

impl IfName {
    /// Check `raw` against the kernel's rules; the error says which one it breaks.
    pub fn parse(raw: &str) -> Result<IfName, String> {
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.len() > IFNAME_MAX {
            return Err(format!(
                "{raw:?} is {} bytes long; interface names have at most {IFNAME_MAX}",
                raw.len()
            ));
        }
        if raw == "." || raw == ".." {
            return Err(format!("{raw:?} is not an interface name"));
        }
        if raw.contains(':') {
            return Err(format!(
                "{raw:?} contains ':'; give the interface (nic=eth0) and put an IPv4 label in label="
            ));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| *c == '/' || c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "{raw:?} contains {c:?}, which interface names cannot"
            ));
        }
        Ok(IfName(raw.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The address family, with the bounds that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
    /// Longest prefix: 32 or 128 (also the default prefix length).
    pub fn max_prefix(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
    /// `IPv4` or `IPv6`.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// Parse the `ip` parameter: a unicast address usable as a VIP.
pub fn parse_ip(raw: &str) -> Result<IpAddr, String> {
    let ip: IpAddr = raw.trim().parse().map_err(|_| {
        if raw.contains('/') {
            format!("{raw:?} is not an IP address; put the prefix length in cidr_netmask")
        } else {
            format!("{raw:?} is not an IPv4 or IPv6 address")
        }
    })?;
    let refuse = |why: &str| Err(format!("{ip} is {why} and cannot be a virtual IP"));
    if ip.is_unspecified() {
        return refuse("the unspecified address");
    }
    if ip.is_loopback() {
        return refuse("a loopback address");
    }
    if ip.is_multicast() {
        return refuse("a multicast address");
    }
    if let IpAddr::V4(v4) = ip {
        if v4.is_broadcast() {
            return refuse("the broadcast address");
        }
    }
    if let IpAddr::V6(v6) = ip {
        if v6.to_ipv4_mapped().is_some() {
            return refuse("an IPv4-mapped IPv6 address (give the IPv4 address itself)");
        }
    }
    Ok(ip)
}

/// Check an IPv4 label: `<nic>:<suffix>`, at most 15 characters, legal characters only.
pub fn parse_label(raw: &str, nic: &IfName, ip: IpAddr) -> Result<String, String> {
    if ip.is_ipv6() {
        return Err(format!(
            "{raw:?} given for the IPv6 address {ip}; only IPv4 addresses have labels"
        ));
    }
    let Some(suffix) = raw
        .strip_prefix(nic.as_str())
        .and_then(|s| s.strip_prefix(':'))
    else {
        return Err(format!(
            "{raw:?} must start with the nic name and a colon ({nic}:…), as the kernel requires"
        ));
    };
    if suffix.is_empty() {
        return Err(format!("{raw:?} has nothing after {nic}:"));
    }
    if raw.len() > IFNAME_MAX {
        return Err(format!(
            "{raw:?} is {} bytes long; labels have at most {IFNAME_MAX}",
            raw.len()
        ));
    }
    if let Some(c) = suffix
        .chars()
        .find(|c| *c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(format!("{raw:?} contains {c:?}"));
    }
    Ok(raw.to_owned())
}

/// Everything one vip resource is, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipConfig {
    /// The address.
    pub ip: IpAddr,
    /// Its prefix length, within the family's range.
    pub prefix: u8,
    /// The interface it lives on.
    pub nic: IfName,
    /// IPv4 label, if any.
    pub label: Option<String>,
    /// Announcements after start.
    pub arp_count: u32,
    /// Pause between announcements.
    pub arp_interval: Duration,
}

impl VipConfig {
    /// Build from parsed parameters; every error is 6 (the configuration is wrong everywhere).
    pub fn from_params(p: &Params) -> Result<VipConfig, OcfError> {
        let bad =
            |name: &str, why: String| OcfError::configured(format!("parameter {name}: {why}"));
        let ip = parse_ip(p.str("ip")?).map_err(|e| bad("ip", e))?;
        let family = Family::of(ip);
        let prefix = match p.opt_int("cidr_netmask")? {
            None => family.max_prefix(),
            Some(n) => match u8::try_from(n) {
                Ok(n) if (1..=family.max_prefix()).contains(&n) => n,
                _ => {
                    return Err(bad(
                        "cidr_netmask",
                        format!(
                            "{n} is outside 1..{} for the {} address {ip}",
                            family.max_prefix(),
                            family.name()
                        ),
                    ))
                }
            },
        };
        let nic = IfName::parse(p.str("nic")?).map_err(|e| bad("nic", e))?;
        let label = match p.opt_str("label")? {
            Some(l) => Some(parse_label(l, &nic, ip).map_err(|e| bad("label", e))?),
            None => None,
        };
        // The table bounds arp_count to 0..30 and gives the default.
        let arp_count = u32::try_from(p.uint("arp_count")?)
            .map_err(|_| bad("arp_count", "out of range".into()))?;
        let arp_interval = p.millis("arp_interval")?;
        Ok(VipConfig {
            ip,
            prefix,
            nic,
            label,
            arp_count,
            arp_interval,
        })
    }

    /// The family of the address.
    pub fn family(&self) -> Family {
        Family::of(self.ip)
    }
}

impl fmt::Display for VipConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} on {}", self.ip, self.prefix, self.nic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libocf::OcfStatus;

    fn params(kv: &[(&str, &str)]) -> Result<Params, OcfError> {
        Params::parse(
            &crate::spec::SPEC,
            kv.iter()
                .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned())),
        )
    }

    fn config(kv: &[(&str, &str)]) -> Result<VipConfig, OcfError> {
        VipConfig::from_params(&params(kv)?)
    }

    #[test]
    fn defaults_are_a_host_address_and_five_announcements() {
        let c = config(&[("ip", "192.0.2.10"), ("nic", "eth0")]).unwrap();
        assert_eq!(c.prefix, 32);
        assert_eq!(c.arp_count, 5);
        assert_eq!(c.arp_interval, Duration::from_millis(200));
        assert_eq!(c.to_string(), "192.0.2.10/32 on eth0");
        let c = config(&[("ip", "2001:db8::10"), ("nic", "eth0")]).unwrap();
        assert_eq!(c.prefix, 128);
        let c = config(&[
            ("ip", "2001:db8::10"),
            ("nic", "bond0"),
            ("cidr_netmask", "64"),
        ])
        .unwrap();
        assert_eq!(c.prefix, 64);
    }

    #[test]
    fn bad_values_are_not_configured_with_a_reason() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("nic", "eth0")], "required parameter ip"),
            (&[("ip", "192.0.2.10")], "required parameter nic"),
            (
                &[("ip", "192.0.2.300"), ("nic", "eth0")],
                "not an IPv4 or IPv6",
            ),
            (&[("ip", "192.0.2.10/24"), ("nic", "eth0")], "cidr_netmask"),
            (&[("ip", "0.0.0.0"), ("nic", "eth0")], "unspecified"),
            (&[("ip", "127.0.0.2"), ("nic", "eth0")], "loopback"),
            (&[("ip", "224.0.0.1"), ("nic", "eth0")], "multicast"),
            (&[("ip", "255.255.255.255"), ("nic", "eth0")], "broadcast"),
            (&[("ip", "ff02::1"), ("nic", "eth0")], "multicast"),
            (
                &[("ip", "::ffff:192.0.2.1"), ("nic", "eth0")],
                "IPv4-mapped",
            ),
            (
                &[
                    ("ip", "192.0.2.10"),
                    ("nic", "eth0"),
                    ("cidr_netmask", "33"),
                ],
                "outside 1..32",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "eth0"), ("cidr_netmask", "0")],
                "outside",
            ),
            (
                &[
                    ("ip", "2001:db8::1"),
                    ("nic", "eth0"),
                    ("cidr_netmask", "129"),
                ],
                "outside",
            ),
            (
                &[
                    ("ip", "192.0.2.10"),
                    ("nic", "eth0"),
                    ("cidr_netmask", "255.255.255.0"),
                ],
                "whole number",
            ),
            (&[("ip", "192.0.2.10"), ("nic", "eth0:1")], "contains ':'"),
            (&[("ip", "192.0.2.10"), ("nic", "eth 0")], "contains ' '"),
            (&[("ip", "192.0.2.10"), ("nic", "a/b")], "contains '/'"),
            (
                &[("ip", "192.0.2.10"), ("nic", "..")],
                "not an interface name",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "averyveryverylongname")],
                "at most 15",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "eth0"), ("label", "vip")],
                "must start with",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "eth0"), ("label", "eth1:vip")],
                "must start with",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "eth0"), ("label", "eth0:")],
                "nothing after",
            ),
            (
                &[
                    ("ip", "192.0.2.10"),
                    ("nic", "eth0"),
                    ("label", "eth0:waytoolong1"),
                ],
                "at most 15",
            ),
            (
                &[("ip", "2001:db8::1"), ("nic", "eth0"), ("label", "eth0:v6")],
                "only IPv4",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "eth0"), ("arp_count", "31")],
                "outside",
            ),
            (
                &[("ip", "192.0.2.10"), ("nic", "eth0"), ("arp_interval", "5")],
                "outside",
            ),
        ];
        for (kv, why) in cases {
            let e = config(kv).unwrap_err();
            assert_eq!(e.status, OcfStatus::ErrConfigured, "{kv:?}: {e}");
            assert!(e.reason.contains(why), "{kv:?}: {e} (expected {why:?})");
            assert!(!e.one_line_reason().contains('\n'));
        }
    }

    #[test]
    fn good_labels_pass() {
        let c = config(&[("ip", "192.0.2.10"), ("nic", "eth0"), ("label", "eth0:vip")]).unwrap();
        assert_eq!(c.label.as_deref(), Some("eth0:vip"));
        let c = config(&[
            ("ip", "192.0.2.10"),
            ("nic", "vlan100"),
            ("label", "vlan100:a1234"),
        ])
        .unwrap();
        assert_eq!(c.label.as_deref(), Some("vlan100:a1234"));
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_parsed_or_refused_without_panic(ip in "\\PC{0,45}", nic in "\\PC{0,20}", label in "\\PC{0,20}") {
            if let Ok(p) = params(&[("ip", &ip), ("nic", &nic), ("label", &label)]) {
                if let Ok(c) = VipConfig::from_params(&p) {
                    proptest::prop_assert!(c.nic.as_str().len() <= IFNAME_MAX);
                    proptest::prop_assert!(c.prefix >= 1 && c.prefix <= c.family().max_prefix());
                }
            }
        }
    }
}
