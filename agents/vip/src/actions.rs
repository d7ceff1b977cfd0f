//! start, stop, monitor and the local validation of a vip, written against the [`Net`] trait so
//! that every decision is unit-tested with the in-memory fake.

use std::net::IpAddr;
use std::time::Duration;

use libocf::log::Phase;
use libocf::{Budget, Health, OcfError, Started, Stopped};

use crate::config::VipConfig;
use crate::frames;
use crate::net::{Change, IfAddr, Link, Net, NewAddr};

/// Where the address is on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Placement {
    /// Not configured anywhere here.
    Absent,
    /// On our nic (with whatever prefix length and state it has).
    Here(IfAddr),
    /// On another interface, whose index is given.
    Elsewhere(u32),
}

/// The time left for one kernel request (never zero, which would mean "no limit").
fn left(budget: &Budget) -> Duration {
    budget.remaining().max(Duration::from_millis(1))
}

fn placement<N: Net>(
    net: &N,
    cfg: &VipConfig,
    link: &Link,
    budget: &Budget,
) -> Result<Placement, OcfError> {
    let addrs = net.addresses(cfg.family(), left(budget))?;
    let mine: Vec<&IfAddr> = addrs.iter().filter(|a| a.ip == cfg.ip).collect();
    Ok(
        if let Some(a) = mine.iter().find(|a| a.index == link.index) {
            Placement::Here((*a).clone())
        } else if let Some(a) = mine.first() {
            Placement::Elsewhere(a.index)
        } else {
            Placement::Absent
        },
    )
}

fn elsewhere_error(cfg: &VipConfig, index: u32) -> OcfError {
    OcfError::args(format!(
        "{} is already configured on another interface of this node (index {index}), not on {}; \
remove it there or fix nic",
        cfg.ip, cfg.nic
    ))
}

fn wrong_prefix_error(cfg: &VipConfig, found: u8) -> OcfError {
    OcfError::generic(format!(
        "{} is on {} as /{found} but cidr_netmask is {}; stopping the resource removes it",
        cfg.ip, cfg.nic, cfg.prefix
    ))
}

fn link_down_reason(link: &Link) -> Option<String> {
    if !link.up {
        Some(format!("{} is administratively down", link.name))
    } else if !link.carrier {
        Some(format!("{} has no carrier", link.name))
    } else {
        None
    }
}

fn nic_missing(cfg: &VipConfig) -> String {
    format!("interface {} does not exist on this node", cfg.nic)
}

/// validate-all at level ≥ 10: the nic exists here and the address is not on another interface.
pub fn validate_local<N: Net>(net: &N, cfg: &VipConfig, budget: &Budget) -> Result<(), OcfError> {
    let Some(link) = net.link(cfg.nic.as_str(), left(budget))? else {
        return Err(OcfError::installed(nic_missing(cfg)));
    };
    match placement(net, cfg, &link, budget)? {
        Placement::Elsewhere(i) => Err(elsewhere_error(cfg, i)),
        _ => Ok(()),
    }
}

/// Add the address and announce it.
pub fn start<N: Net>(net: &N, cfg: &VipConfig, budget: &Budget) -> Result<Started, OcfError> {
    let Some(link) = net.link(cfg.nic.as_str(), left(budget))? else {
        return Err(OcfError::installed(nic_missing(cfg)));
    };
    let present = match placement(net, cfg, &link, budget)? {
        Placement::Here(a) if a.prefix != cfg.prefix => {
            return Err(wrong_prefix_error(cfg, a.prefix))
        }
        Placement::Here(a) if a.dad_failed => return Err(dad_failed_error(cfg)),
        Placement::Here(_) => true,
        Placement::Elsewhere(i) => return Err(elsewhere_error(cfg, i)),
        Placement::Absent => false,
    };
    // A VIP on a dead link serves nobody: fail, so that Pacemaker runs it elsewhere.
    if let Some(why) = link_down_reason(&link) {
        return Err(OcfError::generic(format!("cannot start {cfg}: {why}")));
    }
    if present {
        return Ok(Started::AlreadyRunning);
    }
    let new = NewAddr {
        ip: cfg.ip,
        prefix: cfg.prefix,
        label: cfg.label.clone(),
    };
    let phase = Phase::begin("address");
    if net.add_address(&link, &new, left(budget))? == Change::Unchanged {
        phase.end("already there");
        return Ok(Started::AlreadyRunning);
    }
    phase.end(&format!("added {cfg}"));
    let phase = Phase::begin("arp");
    let sent = announce(net, cfg, &link, budget);
    phase.end(&sent);
    Ok(Started::Started)
}

/// Send `arp_count` announcements `arp_interval` apart, as far as the budget allows. Failures
/// are logged, not fatal: the address is up, announcements only speed up the switch-over.
/// Returns what was sent, for the phase event.
fn announce<N: Net>(net: &N, cfg: &VipConfig, link: &Link, budget: &Budget) -> String {
    if cfg.arp_count == 0 {
        return "arp_count=0: no announcements".to_owned();
    }
    let Some(mac) = link.mac else {
        return format!(
            "{} is not an Ethernet interface: no announcements",
            link.name
        );
    };
    let (frame, kind) = match cfg.ip {
        IpAddr::V4(v4) => (frames::arp_announcement(mac, v4), "gratuitous ARP"),
        IpAddr::V6(v6) => (
            frames::unsolicited_na(mac, v6),
            "unsolicited neighbour advertisement",
        ),
    };
    let mut sent = 0;
    for i in 0..cfg.arp_count {
        if i > 0 {
            if budget.remaining() <= cfg.arp_interval {
                tracing::warn!(
                    "start timeout reached after {sent} of {} announcements; raise the start timeout or lower arp_count",
                    cfg.arp_count
                );
                break;
            }
            net.sleep(cfg.arp_interval);
        }
        match net.send_frame(link, &frame) {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!("{e}; {sent} of {} announcements sent", cfg.arp_count);
                return format!("{sent} of {} {kind} sent", cfg.arp_count);
            }
        }
    }
    format!("sent {sent} {kind} for {} on {}", cfg.ip, link.name)
}

/// Remove the address from the nic (whatever its prefix length).
pub fn stop<N: Net>(net: &N, cfg: &VipConfig, budget: &Budget) -> Result<Stopped, OcfError> {
    let Some(link) = net.link(cfg.nic.as_str(), left(budget))? else {
        tracing::info!("{}: nothing to remove", nic_missing(cfg));
        return Ok(Stopped::AlreadyStopped);
    };
    let Placement::Here(a) = placement(net, cfg, &link, budget)? else {
        return Ok(Stopped::AlreadyStopped);
    };
    if a.prefix != cfg.prefix {
        tracing::warn!(
            "removing {}/{} from {} although cidr_netmask is {}",
            a.ip,
            a.prefix,
            link.name,
            cfg.prefix
        );
    }
    let phase = Phase::begin("address");
    match net.del_address(&link, a.ip, a.prefix, left(budget))? {
        Change::Done => {
            phase.end(&format!("removed {}/{} from {}", a.ip, a.prefix, link.name));
            Ok(Stopped::Stopped)
        }
        Change::Unchanged => {
            phase.end("already gone");
            Ok(Stopped::AlreadyStopped)
        }
    }
}

fn dad_failed_error(cfg: &VipConfig) -> OcfError {
    OcfError::generic(format!(
        "{} on {} failed duplicate address detection: another host uses it",
        cfg.ip, cfg.nic
    ))
}

/// Is the address on the nic, and is the nic up with carrier?
pub fn monitor<N: Net>(net: &N, cfg: &VipConfig, budget: &Budget) -> Result<Health, OcfError> {
    let Some(link) = net.link(cfg.nic.as_str(), left(budget))? else {
        return Ok(Health::Stopped(nic_missing(cfg)));
    };
    let a = match placement(net, cfg, &link, budget)? {
        Placement::Absent => {
            return Ok(Health::Stopped(format!("{} is not on {}", cfg.ip, cfg.nic)))
        }
        Placement::Elsewhere(i) => {
            return Ok(Health::Stopped(format!(
                "{} is not on {} (it is on interface index {i})",
                cfg.ip, cfg.nic
            )))
        }
        Placement::Here(a) => a,
    };
    if a.prefix != cfg.prefix {
        return Err(wrong_prefix_error(cfg, a.prefix));
    }
    if a.dad_failed {
        return Err(dad_failed_error(cfg));
    }
    if let Some(why) = link_down_reason(&link) {
        return Err(OcfError::generic(format!(
            "{} is configured but {why}",
            cfg.ip
        )));
    }
    Ok(Health::Running)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeNet;
    use libocf::{OcfStatus, Params};

    fn cfg(kv: &[(&str, &str)]) -> VipConfig {
        let p = Params::parse(
            &crate::spec::SPEC,
            kv.iter()
                .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned())),
        )
        .unwrap();
        VipConfig::from_params(&p).unwrap()
    }

    fn v4() -> VipConfig {
        cfg(&[
            ("ip", "192.0.2.10"),
            ("nic", "eth0"),
            ("cidr_netmask", "24"),
        ])
    }

    fn budget() -> Budget {
        Budget::new(Duration::from_secs(10))
    }

    #[test]
    fn start_adds_and_announces_then_is_idempotent() {
        let net = FakeNet::with_eth();
        assert_eq!(start(&net, &v4(), &budget()).unwrap(), Started::Started);
        assert_eq!(net.snapshot(), ["2 192.0.2.10/24"]);
        {
            let s = net.0.borrow();
            assert_eq!(s.frames.len(), 5);
            assert!(s
                .frames
                .iter()
                .all(|(i, f)| *i == 2 && f[12..14] == [0x08, 0x06]));
            assert_eq!(s.slept, Duration::from_millis(800));
        }
        assert_eq!(
            start(&net, &v4(), &budget()).unwrap(),
            Started::AlreadyRunning
        );
        assert_eq!(
            net.0.borrow().frames.len(),
            5,
            "no announcement when already running"
        );
        assert_eq!(monitor(&net, &v4(), &budget()).unwrap(), Health::Running);
        assert_eq!(stop(&net, &v4(), &budget()).unwrap(), Stopped::Stopped);
        assert!(net.snapshot().is_empty());
        assert_eq!(
            stop(&net, &v4(), &budget()).unwrap(),
            Stopped::AlreadyStopped
        );
        assert!(matches!(
            monitor(&net, &v4(), &budget()).unwrap(),
            Health::Stopped(_)
        ));
    }

    #[test]
    fn ipv6_sends_neighbour_advertisements() {
        let net = FakeNet::with_eth();
        let c = cfg(&[
            ("ip", "2001:db8::10"),
            ("nic", "eth1"),
            ("arp_count", "2"),
            ("arp_interval", "50"),
        ]);
        assert_eq!(start(&net, &c, &budget()).unwrap(), Started::Started);
        assert_eq!(net.snapshot(), ["3 2001:db8::10/128"]);
        let s = net.0.borrow();
        assert_eq!(s.frames.len(), 2);
        assert_eq!(s.frames[0].1[12..14], [0x86, 0xdd]);
        assert_eq!(s.slept, Duration::from_millis(50));
    }

    #[test]
    fn no_announcements_when_disabled_or_not_ethernet() {
        let net = FakeNet::with_eth();
        let c = cfg(&[("ip", "192.0.2.10"), ("nic", "eth0"), ("arp_count", "0")]);
        start(&net, &c, &budget()).unwrap();
        assert!(net.0.borrow().frames.is_empty());
        let net = FakeNet::with_eth();
        net.0.borrow_mut().links[0].mac = None;
        start(&net, &v4(), &budget()).unwrap();
        assert!(net.0.borrow().frames.is_empty());
    }

    #[test]
    fn announcement_failures_do_not_fail_start() {
        let net = FakeNet::with_eth();
        net.0.borrow_mut().fail_frames = Some(libc::EPERM);
        assert_eq!(start(&net, &v4(), &budget()).unwrap(), Started::Started);
        assert_eq!(net.snapshot(), ["2 192.0.2.10/24"]);
    }

    #[test]
    fn announcements_stop_at_the_budget() {
        let net = FakeNet::with_eth();
        let c = cfg(&[
            ("ip", "192.0.2.10"),
            ("nic", "eth0"),
            ("arp_count", "30"),
            ("arp_interval", "2000"),
        ]);
        // 2 s of budget (1.5 s after the margin): only the first announcement fits.
        start(&net, &c, &Budget::new(Duration::from_secs(2))).unwrap();
        assert_eq!(net.0.borrow().frames.len(), 1);
    }

    #[test]
    fn missing_nic_is_not_installed_for_start_stopped_for_monitor_and_stop() {
        let net = FakeNet::with_eth();
        let c = cfg(&[("ip", "192.0.2.10"), ("nic", "bond7")]);
        let e = start(&net, &c, &budget()).unwrap_err();
        assert_eq!(e.status, OcfStatus::ErrInstalled);
        assert!(e.reason.contains("bond7 does not exist"), "{e}");
        assert!(
            matches!(monitor(&net, &c, &budget()).unwrap(), Health::Stopped(r) if r.contains("bond7"))
        );
        assert_eq!(stop(&net, &c, &budget()).unwrap(), Stopped::AlreadyStopped);
        assert_eq!(
            validate_local(&net, &c, &budget()).unwrap_err().status,
            OcfStatus::ErrInstalled
        );
        assert!(net.snapshot().is_empty());
    }

    #[test]
    fn other_prefix_is_a_clear_error_and_stop_removes_it() {
        let net = FakeNet::with_eth();
        net.put(2, "192.0.2.10", 32);
        let e = start(&net, &v4(), &budget()).unwrap_err();
        assert_eq!(e.status, OcfStatus::ErrGeneric);
        assert!(e.reason.contains("as /32 but cidr_netmask is 24"), "{e}");
        assert_eq!(net.snapshot(), ["2 192.0.2.10/32"], "start changed nothing");
        assert_eq!(
            monitor(&net, &v4(), &budget()).unwrap_err().status,
            OcfStatus::ErrGeneric
        );
        assert_eq!(stop(&net, &v4(), &budget()).unwrap(), Stopped::Stopped);
        assert!(net.snapshot().is_empty());
    }

    #[test]
    fn address_on_another_interface_is_refused_here() {
        let net = FakeNet::with_eth();
        net.put(3, "192.0.2.10", 24);
        let e = start(&net, &v4(), &budget()).unwrap_err();
        assert_eq!(e.status, OcfStatus::ErrArgs);
        assert_eq!(
            validate_local(&net, &v4(), &budget()).unwrap_err().status,
            OcfStatus::ErrArgs
        );
        assert!(matches!(
            monitor(&net, &v4(), &budget()).unwrap(),
            Health::Stopped(_)
        ));
        assert_eq!(
            stop(&net, &v4(), &budget()).unwrap(),
            Stopped::AlreadyStopped
        );
        assert_eq!(
            net.snapshot(),
            ["3 192.0.2.10/24"],
            "another interface's address is left alone"
        );
        assert!(validate_local(
            &net,
            &cfg(&[("ip", "192.0.2.11"), ("nic", "eth0")]),
            &budget()
        )
        .is_ok());
    }

    #[test]
    fn a_down_link_fails_start_without_change_and_fails_monitor() {
        let net = FakeNet::with_eth();
        net.0.borrow_mut().links[0].carrier = false;
        let e = start(&net, &v4(), &budget()).unwrap_err();
        assert!(e.reason.contains("eth0 has no carrier"), "{e}");
        assert!(net.snapshot().is_empty());
        net.put(2, "192.0.2.10", 24);
        assert!(
            start(&net, &v4(), &budget()).is_err(),
            "already there, but still no carrier"
        );
        net.0.borrow_mut().links[0].up = false;
        let e = monitor(&net, &v4(), &budget()).unwrap_err();
        assert_eq!(e.status, OcfStatus::ErrGeneric);
        assert!(e.reason.contains("administratively down"), "{e}");
    }

    #[test]
    fn duplicate_address_detected_is_a_failure() {
        let net = FakeNet::with_eth();
        net.put(2, "2001:db8::10", 128);
        net.0.borrow_mut().addrs[0].dad_failed = true;
        let c = cfg(&[("ip", "2001:db8::10"), ("nic", "eth0")]);
        assert!(monitor(&net, &c, &budget())
            .unwrap_err()
            .reason
            .contains("duplicate address"));
        assert!(start(&net, &c, &budget()).is_err());
    }

    #[test]
    fn kernel_permission_errors_are_4_others_1() {
        let net = FakeNet::with_eth();
        net.0.borrow_mut().fail_changes = Some(libc::EPERM);
        assert_eq!(
            start(&net, &v4(), &budget()).unwrap_err().status,
            OcfStatus::ErrPerm
        );
        net.0.borrow_mut().fail_changes = Some(libc::ENOBUFS);
        assert_eq!(
            start(&net, &v4(), &budget()).unwrap_err().status,
            OcfStatus::ErrGeneric
        );
    }

    #[test]
    fn label_is_passed_to_the_kernel() {
        let net = FakeNet::with_eth();
        let c = cfg(&[("ip", "192.0.2.10"), ("nic", "eth0"), ("label", "eth0:vip")]);
        start(&net, &c, &budget()).unwrap();
        assert_eq!(net.0.borrow().addrs[0].label.as_deref(), Some("eth0:vip"));
    }
}
