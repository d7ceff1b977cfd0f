//! Bad input for ocf:hasan:vip: every wrong parameter set gives the exit code the OCF spec asks
//! for, exactly one exit-reason line and no change to the namespace; Pacemaker's own
//! `crm_resource --validate` agrees with validate-all on good and bad sets.

mod vip_common;

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use hasan_host_tests::cmd::require_tool;
use vip_common::{VipLab, NIC};

/// Parameters as `(name, value)` pairs.
type Kv = [(&'static str, &'static str)];

const CRM_RESOURCE: &str = "/usr/sbin/crm_resource";

/// One row: what is wrong, the action (and check level), the parameters, the expected exit code.
struct Case {
    what: &'static str,
    action: &'static str,
    level: Option<u32>,
    params: &'static [(&'static str, &'static str)],
    want: i32,
}

const fn case(
    what: &'static str,
    action: &'static str,
    level: Option<u32>,
    params: &'static [(&'static str, &'static str)],
    want: i32,
) -> Case {
    Case {
        what,
        action,
        level,
        params,
        want,
    }
}

/// 2 = invalid on this node, 5 = missing on this node, 6 = invalid everywhere.
const MATRIX: &[Case] = &[
    case("ip missing", "validate-all", None, &[("nic", NIC)], 6),
    case(
        "nic missing",
        "validate-all",
        None,
        &[("ip", "192.0.2.30")],
        6,
    ),
    case(
        "ip malformed",
        "validate-all",
        None,
        &[("ip", "192.0.2.300"), ("nic", NIC)],
        6,
    ),
    case(
        "ip with prefix",
        "validate-all",
        None,
        &[("ip", "192.0.2.30/24"), ("nic", NIC)],
        6,
    ),
    case(
        "ip multicast",
        "validate-all",
        None,
        &[("ip", "224.0.0.18"), ("nic", NIC)],
        6,
    ),
    case(
        "ip unspecified v6",
        "validate-all",
        None,
        &[("ip", "::"), ("nic", NIC)],
        6,
    ),
    case(
        "netmask 33 for IPv4",
        "validate-all",
        None,
        &[("ip", "192.0.2.30"), ("nic", NIC), ("cidr_netmask", "33")],
        6,
    ),
    case(
        "netmask 129 for IPv6",
        "validate-all",
        None,
        &[
            ("ip", "2001:db8::30"),
            ("nic", NIC),
            ("cidr_netmask", "129"),
        ],
        6,
    ),
    case(
        "dotted netmask",
        "validate-all",
        None,
        &[
            ("ip", "192.0.2.30"),
            ("nic", NIC),
            ("cidr_netmask", "255.255.255.0"),
        ],
        6,
    ),
    case(
        "nic alias syntax",
        "validate-all",
        None,
        &[("ip", "192.0.2.30"), ("nic", "vip0:1")],
        6,
    ),
    case(
        "nic too long",
        "validate-all",
        None,
        &[("ip", "192.0.2.30"), ("nic", "vip0vip0vip0vip0")],
        6,
    ),
    case(
        "nic with a slash",
        "validate-all",
        None,
        &[("ip", "192.0.2.30"), ("nic", "vip/0")],
        6,
    ),
    case(
        "label of another nic",
        "validate-all",
        None,
        &[("ip", "192.0.2.30"), ("nic", NIC), ("label", "eth0:x")],
        6,
    ),
    case(
        "label on IPv6",
        "validate-all",
        None,
        &[("ip", "2001:db8::30"), ("nic", NIC), ("label", "vip0:x")],
        6,
    ),
    case(
        "arp_count negative",
        "validate-all",
        None,
        &[("ip", "192.0.2.30"), ("nic", NIC), ("arp_count", "-1")],
        6,
    ),
    case(
        "malformed ip at start",
        "start",
        None,
        &[("ip", "192.0.2"), ("nic", NIC)],
        6,
    ),
    case(
        "nic absent here, level 10",
        "validate-all",
        Some(10),
        &[("ip", "192.0.2.30"), ("nic", "nosuch0")],
        5,
    ),
    case(
        "nic absent here, start",
        "start",
        None,
        &[("ip", "192.0.2.30"), ("nic", "nosuch0")],
        5,
    ),
    case(
        "ip on another nic, level 10",
        "validate-all",
        Some(10),
        &[("ip", "192.0.2.1"), ("nic", NIC)],
        2,
    ),
    case(
        "ip on another nic, start",
        "start",
        None,
        &[("ip", "192.0.2.1"), ("nic", NIC)],
        2,
    ),
];

#[test]
fn bad_input_matrix() -> Result<()> {
    let lab = VipLab::new("badinput")?;
    let mut failures = Vec::new();
    for c in MATRIX {
        let before = lab.ns.addr_snapshot()?;
        let mut call = lab.call(c.action, c.params);
        if let Some(l) = c.level {
            call = call.check_level(l);
        }
        let r = call.run()?;
        let reasons = r.exit_reasons();
        if r.code() != c.want {
            failures.push(format!(
                "{}: exit {} instead of {}\n{r}",
                c.what,
                r.code(),
                c.want
            ));
        } else if reasons.len() != 1 || reasons[0].trim().is_empty() {
            failures.push(format!(
                "{}: {} exit-reason lines\n{r}",
                c.what,
                reasons.len()
            ));
        }
        if lab.ns.addr_snapshot()? != before {
            failures.push(format!("{}: the namespace's addresses changed", c.what));
        }
    }
    ensure!(MATRIX.len() >= 10);
    ensure!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

#[test]
fn probes_answer_not_running_and_stop_succeeds_where_the_vip_cannot_be() -> Result<()> {
    let lab = VipLab::new("probe")?;
    let before = lab.ns.addr_snapshot()?;
    for params in [
        &[("ip", "192.0.2.31"), ("nic", "nosuch0")][..],
        &[("ip", "192.0.2.300"), ("nic", NIC)][..],
        &[("ip", "192.0.2.31"), ("nic", NIC)][..],
    ] {
        let r = lab.call("monitor", params).run()?;
        ensure!(r.code() == 7, "probe with {params:?}: {r}");
        let r = lab.call("stop", params).run()?;
        ensure!(r.code() == 0, "stop with {params:?}: {r}");
    }
    ensure!(
        lab.ns.addr_snapshot()? == before,
        "probes or stops changed the namespace"
    );
    Ok(())
}

fn crm_validate(
    lab: &VipLab,
    params: &[(&str, &str)],
    level: Option<u32>,
) -> Result<(i32, String)> {
    let mut argv = vec![
        CRM_RESOURCE.to_owned(),
        match level {
            Some(l) => format!("--validate={l}"),
            None => "--validate".into(),
        },
    ];
    for a in ["--class", "ocf", "--provider", "hasan", "--agent", "vip"] {
        argv.push(a.into());
    }
    for (k, v) in params {
        argv.push("--option".into());
        argv.push(format!("{k}={v}"));
    }
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let r = lab.ns.run_any(&argv, Duration::from_secs(60))?;
    Ok((
        r.code.context("crm_resource killed")?,
        format!("{}{}", r.stdout, r.stderr),
    ))
}

#[test]
fn crm_resource_validate_agrees_with_validate_all() -> Result<()> {
    require_tool(CRM_RESOURCE)?;
    let lab = VipLab::new("crmvalidate")?;
    let good: &[(&Kv, Option<u32>)] = &[
        (&[("ip", "192.0.2.40"), ("nic", NIC)], None),
        (
            &[
                ("ip", "192.0.2.40"),
                ("nic", NIC),
                ("cidr_netmask", "24"),
                ("label", "vip0:a"),
            ],
            Some(10),
        ),
        (
            &[
                ("ip", "2001:db8::40"),
                ("nic", NIC),
                ("cidr_netmask", "64"),
                ("arp_count", "0"),
            ],
            None,
        ),
        // Level 0 does not look at the node: a nic that exists elsewhere only is fine.
        (&[("ip", "192.0.2.40"), ("nic", "bond7")], None),
    ];
    let mut sets: Vec<(&Kv, Option<u32>, i32)> = good.iter().map(|(p, l)| (*p, *l, 0)).collect();
    sets.extend(
        MATRIX
            .iter()
            .filter(|c| c.action == "validate-all")
            .map(|c| (c.params, c.level, c.want)),
    );
    let mut failures = Vec::new();
    for (params, level, want) in sets {
        let mut call = lab.call("validate-all", params);
        if let Some(l) = level {
            call = call.check_level(l);
        }
        let ours = call.run()?;
        let (code, out) = crm_validate(&lab, params, level)?;
        let reason = ours.exit_reasons().first().cloned().unwrap_or_default();
        if ours.code() != want || code != want {
            failures.push(format!(
                "{params:?} level {level:?}: validate-all {} crm_resource {code}, expected {want}\n{out}",
                ours.code()
            ));
        } else if want != 0 && !out.contains(&reason) {
            failures.push(format!(
                "{params:?}: crm_resource does not show {reason:?}:\n{out}"
            ));
        }
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}
