//! The table of ocf:hasan:vip: its parameters, actions and default timeouts (the single source of
//! meta-data, parameter parsing and the man page).

use libocf::{Action, ActionSpec, AgentSpec, ParamSpec};

/// Announcements sent after start when `arp_count` is not set (as IPaddr2).
pub const DEFAULT_ARP_COUNT: &str = "5";
/// Milliseconds between announcements when `arp_interval` is not set (as IPaddr2).
pub const DEFAULT_ARP_INTERVAL_MS: &str = "200";

/// The agent's table.
pub const SPEC: AgentSpec = AgentSpec {
    name: "vip",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "A virtual IPv4 or IPv6 address on a given interface",
    longdesc: "Manages one virtual IP address (a VIP) on one network interface of the node that \
runs it, replacing ocf:heartbeat:IPaddr2 for hasan's service addresses. Start adds the address \
through netlink and announces it to the segment (gratuitous ARP for IPv4, unsolicited neighbour \
advertisements for IPv6); stop removes it; monitor checks that the address is on the interface and \
that the interface is up with carrier. No action runs an external program. The interface is never \
guessed: nic is required. On a node without that interface a probe reports not running and start \
fails with not installed, which bans only that node.",
    parameters: &[
        ParamSpec::string("ip", "The virtual IPv4 or IPv6 address")
            .required()
            .unique()
            .long(
                "The virtual IP address, IPv4 (192.0.2.10) or IPv6 (2001:db8::10), without a \
prefix length. Unspecified, loopback, multicast and broadcast addresses are refused.",
            ),
        ParamSpec::integer("cidr_netmask", 1, 128, "Prefix length of the address").long(
            "The prefix length in CIDR notation (24, not 255.255.255.0): 1 to 32 for IPv4, \
1 to 128 for IPv6. When not set it is 32 for IPv4 and 128 for IPv6, a host address that adds no \
subnet route; replies then leave through the routes the interface already has. Set it to the \
subnet's length to get the same result as IPaddr2 with cidr_netmask.",
        ),
        ParamSpec::string("nic", "The interface that carries the address")
            .required()
            .long(
                "The network interface (eth0, bond0, br0, vlan100 …) the address is added to. \
Required: the agent never guesses it from the routing table. 1 to 15 characters, no '/', ':' or \
white space (use label for IPv4 labels, not eth0:1).",
            ),
        ParamSpec::string("label", "IPv4 address label (nic:suffix)").long(
            "An IPv4 address label as shown by ip addr and ifconfig, e.g. eth0:vip. It must be \
the nic name, a colon and a suffix, at most 15 characters in all. IPv6 addresses have no labels.",
        ),
        ParamSpec::integer("arp_count", 0, 30, "Announcements sent after start")
            .default(DEFAULT_ARP_COUNT)
            .long(
                "How many gratuitous ARP requests (IPv4) or unsolicited neighbour advertisements \
(IPv6) start sends so that switches and neighbours learn the new location at once. 0 sends none.",
            ),
        ParamSpec::integer(
            "arp_interval",
            10,
            2000,
            "Milliseconds between announcements",
        )
        .default(DEFAULT_ARP_INTERVAL_MS)
        .long(
            "Milliseconds between two announcements. Start waits for all of them, so \
arp_count - 1 times arp_interval must fit in the start timeout.",
        ),
    ],
    actions: &[
        ActionSpec::new(Action::Start, 10),
        ActionSpec::new(Action::Stop, 10),
        ActionSpec::monitor(10, 10, 0),
        ActionSpec::new(Action::ValidateAll, 5),
        ActionSpec::new(Action::MetaData, 5),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(SPEC.problems(), Vec::<String>::new());
    }

    #[test]
    fn announcements_with_defaults_fit_in_the_start_timeout() {
        let count: u64 = DEFAULT_ARP_COUNT.parse().unwrap();
        let interval: u64 = DEFAULT_ARP_INTERVAL_MS.parse().unwrap();
        let start_ms = u64::from(SPEC.default_timeout_s(Action::Start)) * 1000;
        assert!((count - 1) * interval * 4 < start_ms);
    }
}
