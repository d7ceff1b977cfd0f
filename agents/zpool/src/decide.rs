//! What start does with a pool that is not imported here, decided once from its labels before
//! any import: a plain import, `-f` at once (one activity check), the two-step path when the
//! labels cannot be read, or a refusal with the reason.

use std::time::Duration;

use libocf::OcfError;

use crate::labels::{LabelsProblem, PoolOnDisk};
use crate::mmp::{self, MmpParams};

/// This node as ZFS's import compares it with the labels.
#[derive(Debug, Clone, Copy)]
pub struct Me<'a> {
    /// Our hostid.
    pub hostid: u32,
    /// Our hostname (`utsname` nodename, what ZFS writes into the labels).
    pub hostname: &'a str,
}

/// The resource's parameters that bear on the choice.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// `importforce`.
    pub force: bool,
    /// `single_activity_check`.
    pub single_check: bool,
    /// `allow_no_multihost`.
    pub no_multihost: bool,
}

/// The import to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Exported, or left imported by this very host: a plain import (ZFS checks nothing more).
    Plain,
    /// Left imported by another host whose current uberblock shows multihost on: `-f` at once;
    /// the activity check of that import (up to `check`) refuses the pool if the host is alive.
    ForceAfterCheck {
        /// The host's hostid.
        hostid: u64,
        /// Its name.
        hostname: String,
        /// The longest activity check, from the writer's uberblock.
        check: Duration,
        /// How many checks the import runs ([`mmp::checks_per_import`]).
        checks: u32,
    },
    /// The labels decide nothing (unreadable, or on no device): a plain import first, `-f`
    /// only after ZFS's refusal and a second label read allow it.
    TwoStep(String),
}

/// The plan for a pool not imported here, from what its labels say.
pub fn plan(
    pool: &str,
    labels: &Result<PoolOnDisk, LabelsProblem>,
    me: Me,
    allowed: Allowed,
    local: &MmpParams,
) -> Result<Plan, OcfError> {
    let disk = match labels {
        Ok(d) => d,
        Err(e @ LabelsProblem::Ambiguous { .. }) => {
            return Err(OcfError::configured(e.to_string()))
        }
        Err(e) => return Ok(Plan::TwoStep(e.to_string())),
    };
    if !disk.active() {
        return Ok(Plan::Plain);
    }
    let host = disk.hostname();
    let hostid = disk.hostid();
    if hostid == u64::from(me.hostid) {
        if host == me.hostname {
            // this host imported it last (a reboot or crash of this node): ZFS checks nothing
            return Ok(Plan::Plain);
        }
        return Err(OcfError::configured(format!(
            "pool {pool} is imported (or was left imported) by host '{host}' with hostid \
             {hostid:08x}, which is this node's hostid too: ZFS skips its activity check for its \
             own hostid and would import a pool live on '{host}'; refusing. Give every node its \
             own hostid (zgenhostid) and reload the zfs module"
        )));
    }
    if !disk.multihost() {
        if allowed.no_multihost {
            return Ok(Plan::TwoStep(format!(
                "pool {pool} was left imported by host '{host}' (hostid {hostid:08x}) with \
                 multihost=off; allow_no_multihost=true"
            )));
        }
        return Err(OcfError::configured(format!(
            "pool {pool} is imported (or was left imported) by host '{host}' (hostid \
             {hostid:08x}) and its current uberblock shows multihost=off: nothing can tell \
             whether that host still writes to it; refusing to import (set multihost=on there, \
             or export it there)"
        )));
    }
    if !allowed.force || !allowed.single_check {
        return Ok(Plan::TwoStep(format!(
            "pool {pool} was left imported by host '{host}' (hostid {hostid:08x}) with \
             multihost=on; {}",
            if allowed.force {
                "single_activity_check=false"
            } else {
                "importforce=false"
            }
        )));
    }
    Ok(Plan::ForceAfterCheck {
        hostid,
        hostname: host.to_owned(),
        check: mmp::activity_check(local, disk.current.mmp.as_ref()),
        checks: mmp::checks_per_import(disk.current.mmp.as_ref()),
    })
}
