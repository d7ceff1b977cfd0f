//! What `hasan check` reads from the node and the cluster, gathered once, read-only.

use std::collections::BTreeMap;

use crate::host::Host;
use crate::xml::{self, Element};

/// Tools, by absolute path.
pub mod tools {
    /// Pacemaker's node name of this node.
    pub const CRM_NODE: &str = "/usr/sbin/crm_node";
    /// The CIB.
    pub const CIBADMIN: &str = "/usr/sbin/cibadmin";
    /// `crm_resource --validate`.
    pub const CRM_RESOURCE: &str = "/usr/sbin/crm_resource";
    /// Unit file states.
    pub const SYSTEMCTL: &str = "/usr/bin/systemctl";
    /// Pool properties and vdevs.
    pub const ZPOOL: &str = "/usr/sbin/zpool";
    /// corosync's runtime configuration.
    pub const COROSYNC_CMAPCTL: &str = "/usr/sbin/corosync-cmapctl";
    /// open-iscsi.
    pub const ISCSIADM: &str = "/usr/bin/iscsiadm";
}

/// The systemd units that import pools at boot behind Pacemaker's back.
pub const IMPORT_UNITS: [&str; 2] = ["zfs-import-cache.service", "zfs-import-scan.service"];

/// A primitive resource of the CIB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Primitive {
    /// Its id.
    pub id: String,
    /// `ocf`, `stonith`, `systemd`, …
    pub class: String,
    /// `hasan`, `heartbeat`, …
    pub provider: String,
    /// The agent (`zpool`, `vip`, `fence_hasan_ipmi`, …).
    pub kind: String,
    /// Its instance attributes.
    pub params: BTreeMap<String, String>,
    /// Its meta attributes.
    pub meta: BTreeMap<String, String>,
    /// `(operation name, interval, timeout)` as written.
    pub ops: Vec<(String, String, String)>,
    /// The group it is in, and its position there.
    pub group: Option<(String, usize)>,
}

fn nvpairs(e: &Element, set: &str) -> BTreeMap<String, String> {
    e.kids(set)
        .flat_map(|s| s.kids("nvpair"))
        .filter_map(|n| Some((n.attr("name")?.to_owned(), n.attr("value")?.to_owned())))
        .collect()
}

/// The primitives of a CIB, with their groups.
pub fn primitives(cib: &Element) -> Vec<Primitive> {
    let mut out = Vec::new();
    let Some(res) = cib.kid("configuration").and_then(|c| c.kid("resources")) else {
        return out;
    };
    let prim = |p: &Element, group: Option<(String, usize)>| Primitive {
        id: p.attr("id").unwrap_or_default().to_owned(),
        class: p.attr("class").unwrap_or_default().to_owned(),
        provider: p.attr("provider").unwrap_or_default().to_owned(),
        kind: p.attr("type").unwrap_or_default().to_owned(),
        params: nvpairs(p, "instance_attributes"),
        meta: nvpairs(p, "meta_attributes"),
        ops: p
            .kids("operations")
            .flat_map(|o| o.kids("op"))
            .map(|o| {
                (
                    o.attr("name").unwrap_or_default().to_owned(),
                    o.attr("interval").unwrap_or("0").to_owned(),
                    o.attr("timeout").unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        group,
    };
    for g in res.all("group") {
        let gid = g.attr("id").unwrap_or_default().to_owned();
        for (i, p) in g.kids("primitive").enumerate() {
            out.push(prim(p, Some((gid.clone(), i))));
        }
    }
    for p in res.all("primitive") {
        if !out.iter().any(|o| Some(o.id.as_str()) == p.attr("id")) {
            out.push(prim(p, None));
        }
    }
    out
}

/// What is known of one ocf:hasan:zpool resource's pool on this node.
#[derive(Debug, Clone)]
pub struct PoolFacts {
    /// The resource.
    pub rsc: Primitive,
    /// The pool name (`pool` parameter).
    pub pool: String,
    /// Imported on this node (its kstat exists).
    pub imported: bool,
    /// `zpool get -H -p -o property,value multihost,cachefile POOL`.
    pub props: Result<String, String>,
    /// `zpool status -P POOL`.
    pub status: Result<String, String>,
    /// What its start may wait on this node (module parameters and the resource's tuning), or
    /// why that is unknown.
    pub need: Result<hasan_zpool::StartNeed, String>,
}

/// Everything the checks look at.
#[derive(Debug)]
pub struct Facts {
    /// Pacemaker's name for this node.
    pub node: String,
    /// This node's hostid as ZFS uses it (`spl_hostid`, else `/etc/hostid`); 0 = unset.
    pub hostid: u32,
    /// The CIB (`cibadmin --query`).
    pub cib: Result<Element, String>,
    /// The import units' `UnitFileState`.
    pub units: Vec<(&'static str, Result<String, String>)>,
    /// The zpool resources' pools.
    pub pools: Vec<PoolFacts>,
    /// `crm_resource --validate -r` of every hasan resource.
    pub validate: Vec<(String, Result<String, String>)>,
    /// corosync's cmap (`key (type) = value`).
    pub cmap: Result<BTreeMap<String, String>, String>,
    /// `iscsiadm -m session`.
    pub iscsi_sessions: Result<String, String>,
    /// `iscsiadm -m node -o show` (every node record).
    pub iscsi_records: Result<String, String>,
}

/// ZFS's hostid from the module parameter or `/etc/hostid` (as ocf:hasan:zpool reads it).
fn hostid(host: &dyn Host) -> u32 {
    let param = host
        .read("/sys/module/spl/parameters/spl_hostid")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
    if param != 0 {
        return u32::try_from(param & 0xffff_ffff).unwrap_or(0);
    }
    match host.read_bytes("/etc/hostid") {
        Some(b) if b.len() >= 4 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        _ => 0,
    }
}

/// Parse `corosync-cmapctl` lines `key (type) = value`.
pub fn parse_cmap(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(" = ")?;
            let key = k.split(" (").next()?.trim();
            Some((key.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

impl Facts {
    /// Read everything (each command bounded by the host's deadline).
    pub fn gather(host: &dyn Host) -> Facts {
        use tools::*;
        let node = host
            .run(CRM_NODE, &["-n"])
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let cib = host
            .run(CIBADMIN, &["--query"])
            .and_then(|x| xml::parse(&x).map_err(|e| format!("cibadmin --query: {e:#}")));
        let units = IMPORT_UNITS
            .iter()
            .map(|u| {
                let state = host
                    .run(SYSTEMCTL, &["show", "-p", "UnitFileState", "--value", u])
                    .map(|s| s.trim().to_owned());
                (*u, state)
            })
            .collect();
        let prims = cib.as_ref().map(primitives).unwrap_or_default();
        let pools = prims
            .iter()
            .filter(|p| p.class == "ocf" && p.provider == "hasan" && p.kind == "zpool")
            .map(|p| {
                let pool = p.params.get("pool").cloned().unwrap_or_default();
                let imported = host
                    .read(&format!("/proc/spl/kstat/zfs/{pool}/state"))
                    .is_some();
                let (props, status) = if imported {
                    (
                        host.run(
                            ZPOOL,
                            &[
                                "get",
                                "-H",
                                "-p",
                                "-o",
                                "property,value",
                                "multihost,cachefile",
                                &pool,
                            ],
                        ),
                        host.run(ZPOOL, &["status", "-P", &pool]),
                    )
                } else {
                    let no = || Err("not imported on this node".to_owned());
                    (no(), no())
                };
                let need = hasan_zpool::Tuning::from_params(|n| p.params.get(n).cloned())
                    .map(|t| hasan_zpool::start_need(|path| host.read(path), &t));
                PoolFacts {
                    rsc: p.clone(),
                    pool,
                    imported,
                    props,
                    status,
                    need,
                }
            })
            .collect();
        let validate = prims
            .iter()
            .filter(|p| p.class == "ocf" && p.provider == "hasan")
            .map(|p| {
                (
                    p.id.clone(),
                    host.run(CRM_RESOURCE, &["--validate", "-r", &p.id]),
                )
            })
            .collect();
        let cmap = host.run(COROSYNC_CMAPCTL, &[]).map(|t| parse_cmap(&t));
        Facts {
            node,
            hostid: hostid(host),
            cib,
            units,
            pools,
            validate,
            cmap,
            iscsi_sessions: host.run(ISCSIADM, &["-m", "session"]),
            iscsi_records: host.run(ISCSIADM, &["-m", "node", "-o", "show"]),
        }
    }

    /// The CIB's primitives (none if the CIB could not be read).
    pub fn primitives(&self) -> Vec<Primitive> {
        self.cib.as_ref().map(primitives).unwrap_or_default()
    }

    /// A cluster property (`crm_config`).
    pub fn property(&self, name: &str) -> Option<String> {
        let cib = self.cib.as_ref().ok()?;
        cib.kid("configuration")?
            .kid("crm_config")?
            .nvpair("cluster_property_set", name)
            .map(str::to_owned)
    }

    /// An operation default (`op_defaults`; rules are not evaluated).
    pub fn op_default(&self, name: &str) -> Option<String> {
        let cib = self.cib.as_ref().ok()?;
        cib.kid("configuration")?
            .kid("op_defaults")?
            .nvpair("meta_attributes", name)
            .map(str::to_owned)
    }

    /// The node names of the CIB's `nodes` section.
    pub fn nodes(&self) -> Vec<String> {
        let Ok(cib) = &self.cib else {
            return Vec::new();
        };
        cib.kid("configuration")
            .and_then(|c| c.kid("nodes"))
            .map(|n| {
                n.kids("node")
                    .filter_map(|x| x.attr("uname").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A node attribute: transient (status section) first, then permanent.
    pub fn node_attribute(&self, node: &str, name: &str) -> Option<String> {
        let cib = self.cib.as_ref().ok()?;
        let transient = cib
            .kid("status")
            .into_iter()
            .flat_map(|s| s.kids("node_state"))
            .filter(|n| n.attr("uname") == Some(node))
            .flat_map(|n| n.kids("transient_attributes"))
            .find_map(|t| t.nvpair("instance_attributes", name));
        let permanent = || {
            cib.kid("configuration")?
                .kid("nodes")?
                .kids("node")
                .find(|n| n.attr("uname") == Some(node))?
                .nvpair("instance_attributes", name)
        };
        transient.or_else(permanent).map(str::to_owned)
    }
}
