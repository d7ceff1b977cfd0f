//! What a pool's on-disk labels say, read without importing it (in-process by [`crate::ondisk`];
//! `zdb -l -uuuu`'s output, parsed here, is the reference of the tests): the label
//! configurations, every uberblock of the rings, and the pool's *current* uberblock chosen the way
//! ZFS chooses it at import, among the labels that carry the pool's own `pool_guid`.
//!
//! Facts from OpenZFS 2.1.11 this follows (not its code): `vdev_uberblock_load` keeps the
//! uberblock that `vdev_uberblock_compare` ranks highest over every slot of every label — higher
//! txg, then later timestamp, then higher MMP sequence (0 when the MMP sequence is not valid);
//! `zpool_read_label` gives a device the pool of its first label whose state is at most L2CACHE
//! and whose txg is non-zero; `zdb -l -u` hides the MMP slots (the last slot of each ring, written
//! between txgs with a higher timestamp and sequence) unless `-uuuu` is given, so `-uuuu` it is.

use std::collections::BTreeSet;

/// `POOL_STATE_ACTIVE`: imported, not exported (or left imported by a host that crashed).
pub const STATE_ACTIVE: u64 = 0;
/// `POOL_STATE_L2CACHE`, the highest state a pool member's label may carry.
const STATE_L2CACHE: u64 = 4;
/// `POOL_STATE_SPARE`.
const STATE_SPARE: u64 = 3;
/// `MMP_MAGIC` as zdb prints it.
#[cfg(test)]
const MMP_MAGIC: u64 = 0xa11c_ea11;
/// Labels per device.
pub const LABELS: usize = 4;

/// The top-level fields of one label's configuration that the import decisions need.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelConfig {
    /// `name`: the pool's name.
    pub name: String,
    /// `pool_guid`: the pool's identity.
    pub pool_guid: u64,
    /// `state`: 0 active, 1 exported, 2 destroyed, 3 spare, 4 l2cache.
    pub state: u64,
    /// `txg` of the configuration (0 for spares and cache devices).
    pub txg: u64,
    /// `hostid` of the host that imported it last (absent without a hostid).
    pub hostid: Option<u64>,
    /// `hostname` of that host.
    pub hostname: Option<String>,
    /// `guid`: the vdev this label is on.
    pub guid: Option<u64>,
    /// That vdev's `path` in `vdev_tree`: the name the last import gave the device.
    pub path: Option<String>,
}

impl LabelConfig {
    /// True if `zpool_read_label` would take this label as the device's identity.
    fn valid_member(&self) -> bool {
        self.state <= STATE_L2CACHE
            && (self.txg != 0 || self.state == STATE_SPARE || self.state == STATE_L2CACHE)
    }
}

/// The MMP fields of an uberblock whose `mmp_magic` is valid (`MMP_VALID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UbMmp {
    /// `mmp_delay` (ns): 0 when the writer had multihost off.
    pub delay_ns: u64,
    /// `mmp_seq`, when its valid bit is set.
    pub seq: Option<u64>,
    /// `mmp_fail`: the writer's `zfs_multihost_fail_intervals`, when valid.
    pub fail_intervals: Option<u64>,
    /// `mmp_write`: the writer's `zfs_multihost_interval` (ms), when valid.
    pub interval_ms: Option<u64>,
}

/// One uberblock as zdb prints it, with the labels (0–3) of the device that hold it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uberblock {
    /// `txg`.
    pub txg: u64,
    /// `timestamp` (seconds).
    pub timestamp: u64,
    /// The MMP fields, `None` when `mmp_magic` is not MMP_MAGIC (a writer without MMP).
    pub mmp: Option<UbMmp>,
    /// The labels holding this uberblock.
    pub labels: Vec<usize>,
}

impl Uberblock {
    /// The order `vdev_uberblock_compare` gives: txg, timestamp, MMP sequence (0 if not valid).
    fn rank(&self) -> (u64, u64, u64) {
        let seq = self.mmp.and_then(|m| m.seq).unwrap_or(0);
        (self.txg, self.timestamp, seq)
    }
}

/// The labels of one device, as `zdb -l -uuuu DEVICE` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceLabels {
    /// The device.
    pub device: String,
    /// Each label's configuration (`None`: unreadable or not unpacked).
    pub configs: [Option<LabelConfig>; LABELS],
    /// Every valid uberblock of the four rings.
    pub uberblocks: Vec<Uberblock>,
}

#[cfg(test)]
fn label_numbers(v: &str) -> Vec<usize> {
    v.split_whitespace()
        .filter_map(|n| n.parse().ok())
        .filter(|n| *n < LABELS)
        .collect()
}

#[cfg(test)]
fn unquote(v: &str) -> String {
    v.trim().trim_matches('\'').to_owned()
}

/// Parse `zdb -l -uuuu` output of one device. Unknown lines are skipped; a configuration is
/// assigned to the labels its `labels =` line lists, an uberblock to those of its own line.
#[cfg(test)]
pub fn parse(device: &str, zdb: &str) -> DeviceLabels {
    let mut out = DeviceLabels {
        device: device.to_owned(),
        ..DeviceLabels::default()
    };
    let mut config: Option<LabelConfig> = None;
    let mut ub: Option<Uberblock> = None;
    // the guid of the vdev whose fields `vdev_tree` is printing
    let mut nested_guid: Option<u64> = None;
    for line in zdb.lines() {
        let t = line.trim();
        if t.starts_with("LABEL ") {
            config = Some(LabelConfig::default());
            ub = None;
            continue;
        }
        if t.starts_with("Uberblock[") {
            ub = (!t.ends_with("invalid")).then(Uberblock::default);
            continue;
        }
        if let Some(u) = ub.as_mut() {
            let Some((k, v)) = t.split_once(" = ") else {
                continue;
            };
            let num = || {
                v.split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            };
            match k {
                "txg" => u.txg = num().unwrap_or(0),
                "timestamp" => u.timestamp = num().unwrap_or(0),
                "mmp_magic" => {
                    u.mmp = (u64::from_str_radix(v.trim(), 16).ok() == Some(MMP_MAGIC))
                        .then(UbMmp::default);
                }
                "mmp_delay" => {
                    if let Some(m) = u.mmp.as_mut() {
                        m.delay_ns = num().unwrap_or(0);
                    }
                }
                "mmp_seq" => u.mmp.iter_mut().for_each(|m| m.seq = num()),
                "mmp_fail" => u.mmp.iter_mut().for_each(|m| m.fail_intervals = num()),
                "mmp_write" => u.mmp.iter_mut().for_each(|m| m.interval_ms = num()),
                "labels" => {
                    let mut done = ub.take().unwrap_or_default();
                    done.labels = label_numbers(v);
                    out.uberblocks.push(done);
                }
                _ => {}
            }
            continue;
        }
        // configuration: top-level fields are indented by exactly four spaces
        let top = line.starts_with("    ") && !line.starts_with("     ");
        if !top {
            if let (Some(c), Some((k, v))) = (config.as_mut(), t.split_once(": ")) {
                match k {
                    "guid" => nested_guid = v.trim().parse().ok(),
                    "path" if nested_guid.is_some() && nested_guid == c.guid => {
                        c.path = Some(unquote(v));
                    }
                    _ => {}
                }
            }
            continue;
        }
        let Some(c) = config.as_mut() else {
            continue;
        };
        if let Some(v) = t.strip_prefix("labels = ") {
            for n in label_numbers(v) {
                out.configs[n] = Some(c.clone());
            }
            continue;
        }
        let Some((k, v)) = t.split_once(": ") else {
            continue;
        };
        let num = || v.trim().parse::<u64>().ok();
        match k {
            "name" => c.name = unquote(v),
            "pool_guid" => c.pool_guid = num().unwrap_or(0),
            "state" => c.state = num().unwrap_or(u64::MAX),
            "txg" => c.txg = num().unwrap_or(0),
            "hostid" => c.hostid = num(),
            "hostname" => c.hostname = Some(unquote(v)),
            "guid" => c.guid = num(),
            _ => {}
        }
    }
    out
}

/// The pool as its labels show it: the current uberblock and the configuration beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOnDisk {
    /// The pool's `pool_guid`.
    pub guid: u64,
    /// The configuration of a label of the device holding the current uberblock.
    pub config: LabelConfig,
    /// The current uberblock.
    pub current: Uberblock,
    /// The device holding it.
    pub device: String,
    /// The paths `zpool import -d` may be limited to (each device of the pool by the name its
    /// label gives it); empty: let ZFS search every device.
    pub search: Vec<String>,
}

impl PoolOnDisk {
    /// True if the last writer had multihost on: a valid MMP magic and a non-zero delay in the
    /// current uberblock. ZFS skips the activity check when the magic is valid and the delay 0;
    /// a writer without MMP at all (no magic) cannot be watched either.
    pub fn multihost(&self) -> bool {
        self.current.mmp.is_some_and(|m| m.delay_ns > 0)
    }

    /// True if the pool was not exported: in use now, or left by a host that died.
    pub fn active(&self) -> bool {
        self.config.state == STATE_ACTIVE
    }

    /// The hostid that imported it last (0 when none was recorded).
    pub fn hostid(&self) -> u64 {
        self.config.hostid.unwrap_or(0)
    }

    /// The hostname that imported it last.
    pub fn hostname(&self) -> &str {
        self.config.hostname.as_deref().unwrap_or("")
    }
}

/// Why the labels decide nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelsProblem {
    /// No device carries a label of a pool with this name (and guid, when one is given).
    #[error("no device shows a label of pool {0}")]
    NotFound(String),
    /// Devices carry labels of several pools with this name.
    #[error("labels of {} pools named {pool} are visible (pool_guid {}); set pool_guid to say which one is meant", guids.len(), guids.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        /// The name.
        pool: String,
        /// Their guids.
        guids: Vec<u64>,
    },
    /// No device shows the pool, and some did not answer in time.
    #[error("no device shows a label of pool {pool}, and {devices} did not answer in time")]
    Unanswered {
        /// The name.
        pool: String,
        /// The devices that did not answer.
        devices: String,
    },
    /// The pool's labels hold no valid uberblock.
    #[error("the labels of pool {0} hold no valid uberblock")]
    NoUberblock(String),
}

/// The device's pool: its first label that `zpool_read_label` would accept.
fn identity(d: &DeviceLabels) -> Option<&LabelConfig> {
    d.configs.iter().flatten().find(|c| c.valid_member())
}

/// The pool named `pool` (and `guid`, when given) with its current uberblock, among the labels
/// whose `pool_guid` is the pool's; labels of other pools with the same name are ignored.
pub fn current(
    devices: &[DeviceLabels],
    pool: &str,
    guid: Option<u64>,
) -> Result<PoolOnDisk, LabelsProblem> {
    let guids: BTreeSet<u64> = devices
        .iter()
        .filter_map(identity)
        .filter(|c| c.name == pool)
        .map(|c| c.pool_guid)
        .collect();
    let guid = match guid {
        Some(g) if guids.contains(&g) => g,
        Some(g) => return Err(LabelsProblem::NotFound(format!("{pool} (pool_guid {g})"))),
        None if guids.len() == 1 => guids.into_iter().next().unwrap_or_default(),
        None if guids.is_empty() => return Err(LabelsProblem::NotFound(pool.to_owned())),
        None => {
            return Err(LabelsProblem::Ambiguous {
                pool: pool.to_owned(),
                guids: guids.into_iter().collect(),
            })
        }
    };
    let mut best: Option<(&DeviceLabels, &Uberblock)> = None;
    for d in devices {
        let ours: Vec<usize> = (0..LABELS)
            .filter(|l| {
                d.configs[*l]
                    .as_ref()
                    .is_some_and(|c| c.pool_guid == guid && c.name == pool)
            })
            .collect();
        for ub in &d.uberblocks {
            if ub.labels.iter().any(|l| ours.contains(l))
                && best.is_none_or(|(_, b)| ub.rank() > b.rank())
            {
                best = Some((d, ub));
            }
        }
    }
    let Some((d, ub)) = best else {
        return Err(LabelsProblem::NoUberblock(pool.to_owned()));
    };
    let config = ub
        .labels
        .iter()
        .copied()
        .chain(0..LABELS)
        .filter_map(|l| d.configs[l].as_ref())
        .find(|c| c.pool_guid == guid)
        .cloned()
        .unwrap_or_default();
    Ok(PoolOnDisk {
        guid,
        config,
        current: ub.clone(),
        device: d.device.clone(),
        search: Vec::new(),
    })
}

/// The devices whose labels make them members of pool `guid`, each with its vdev guid and the
/// path its label records.
pub fn members(devices: &[DeviceLabels], guid: u64) -> Vec<(&str, Option<u64>, Option<&str>)> {
    devices
        .iter()
        .filter_map(|d| {
            identity(d)
                .filter(|c| c.pool_guid == guid)
                .map(|c| (d.device.as_str(), c.guid, c.path.as_deref()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::fixture;

    fn one(file: &str) -> Result<PoolOnDisk, LabelsProblem> {
        current(&[parse("/dev/vdc1", &fixture(file))], "labpool", None)
    }

    #[test]
    fn a_label_is_parsed_with_its_rings() {
        let d = parse("/dev/vdc1", &fixture("zdb-lu-left-imported.txt"));
        for c in &d.configs {
            let c = c.as_ref().unwrap();
            assert_eq!(c.name, "labpool");
            assert_eq!(c.pool_guid, 16_608_963_464_861_486_314);
            assert_eq!((c.state, c.txg), (0, 51));
            assert_eq!(c.hostid, Some(0x0a77_000b));
            assert_eq!(c.hostname.as_deref(), Some("node1"));
        }
        assert_eq!(d.uberblocks.len(), 15);
        let ub = &d.uberblocks[0];
        assert_eq!((ub.txg, ub.timestamp), (4, 1_795_319_261));
        assert_eq!(ub.labels, [0, 1, 2, 3]);
        assert_eq!(
            ub.mmp,
            Some(UbMmp {
                delay_ns: 1_000_000_000,
                seq: Some(0),
                fail_intervals: Some(10),
                interval_ms: Some(1000),
            })
        );
    }

    #[test]
    fn the_current_uberblock_decides_multihost_and_activity() {
        let d = one("zdb-lu-left-imported.txt").unwrap();
        assert_eq!(d.current.txg, 51);
        assert!(d.active() && d.multihost());
        assert_eq!((d.hostid(), d.hostname()), (0x0a77_000b, "node1"));
        let d = one("zdb-lu-multihost-on.txt").unwrap();
        assert!(!d.active() && d.multihost());
        assert_eq!(d.current.txg, 21);
        let off = parse("/dev/vdb1", &fixture("zdb-lu-multihost-off.txt"));
        let d = current(&[off], "zplocal", None).unwrap();
        assert!(!d.active() && !d.multihost());
        assert_eq!(d.current.txg, 17);
    }

    #[test]
    fn other_names_and_guids_are_not_the_pool() {
        let devs = [parse("/dev/vdc1", &fixture("zdb-lu-left-imported.txt"))];
        assert_eq!(
            current(&devs, "tank", None),
            Err(LabelsProblem::NotFound("tank".into()))
        );
        assert!(matches!(
            current(&devs, "labpool", Some(42)),
            Err(LabelsProblem::NotFound(_))
        ));
        assert!(current(&devs, "labpool", Some(16_608_963_464_861_486_314)).is_ok());
        assert_eq!(
            current(
                &[parse("/dev/vdc1", "failed to unpack label 0\n")],
                "labpool",
                None
            ),
            Err(LabelsProblem::NotFound("labpool".into()))
        );
    }

    /// What the agent's old rule ("any uberblock has a non-zero mmp_delay") said.
    fn any_delay(d: &DeviceLabels) -> bool {
        d.uberblocks
            .iter()
            .any(|u| u.mmp.is_some_and(|m| m.delay_ns > 0))
    }

    /// One uberblock as `zdb -l -uuuu` prints it (the format of the recorded fixtures).
    fn ub(slot: u32, txg: u64, timestamp: u64, mmp: &str, labels: &str) -> String {
        format!(
            "    Uberblock[{slot}]\n\tmagic = 0000000000bab10c\n\tversion = 5000\n\ttxg = {txg}\n\
             \tguid_sum = 1283723779228779714\n\ttimestamp = {timestamp} UTC = Sun Nov 22 04:00:00 2026\n\
             \tmmp_magic = 00000000a11cea11\n{mmp}\trootbp = DVA[0]=<0:1000:200>\n\
             \tcheckpoint_txg = 0\n        labels = {labels} \n"
        )
    }

    /// The ring of the recorded active pool (node1 had labpool imported, current txg 51 at
    /// 1795319294) with more slots as ZFS writes them.
    fn active_with(extra: &str) -> DeviceLabels {
        parse(
            "/dev/vdc1",
            &format!("{}{extra}", fixture("zdb-lu-left-imported.txt")),
        )
    }

    const MMP_ON: &str = "\tmmp_delay = 1000000000\n\tmmp_seq = 0\n\tmmp_fail = 10\n\
                          \tmmp_write = 1000\n\tmmp_valid = 7\n";

    #[test]
    fn an_mmp_slot_of_the_same_txg_ranks_by_timestamp_then_sequence() {
        let base = active_with("");
        let top = current(std::slice::from_ref(&base), "labpool", None).unwrap();
        let (txg, ts) = (top.current.txg, top.current.timestamp);
        // MMP writes the current txg again into the ring's last slot, later, with a sequence
        let seq = |n: u32| MMP_ON.replace("mmp_seq = 0", &format!("mmp_seq = {n}"));
        let d = active_with(&ub(127, txg, ts + 3, &seq(1), "2"));
        let c = current(std::slice::from_ref(&d), "labpool", None).unwrap();
        assert_eq!(
            (c.current.timestamp, c.current.labels.clone()),
            (ts + 3, vec![2])
        );
        // same txg and timestamp: the higher sequence wins
        let d = active_with(&format!(
            "{}{}",
            ub(127, txg, ts + 3, &seq(1), "1"),
            ub(127, txg, ts + 3, &seq(4), "3")
        ));
        let c = current(std::slice::from_ref(&d), "labpool", None).unwrap();
        assert_eq!(c.current.mmp.and_then(|m| m.seq), Some(4));
        // an older txg never wins, whatever its timestamp
        let d = active_with(&ub(126, txg - 1, ts + 100, &seq(9), "0"));
        let c = current(std::slice::from_ref(&d), "labpool", None).unwrap();
        assert_eq!(c.current.txg, txg);
        assert_eq!(c.current.timestamp, ts);
    }

    #[test]
    fn multihost_switched_off_is_read_from_the_current_uberblock_only() {
        // `zpool set multihost=off` while imported: the next txg has the MMP magic, delay 0
        // and no MMP fields (uberblock_update); every older slot still carries a delay
        let off = "\tmmp_delay = 0\n\tmmp_valid = 0\n";
        let d = active_with(&ub(52, 52, 1_795_319_300, off, "0 1 2 3"));
        assert!(any_delay(&d), "the old rule said multihost on");
        let c = current(std::slice::from_ref(&d), "labpool", None).unwrap();
        assert_eq!(c.current.txg, 52);
        assert!(c.active() && !c.multihost());
        // switched on again later: on
        let d = active_with(&format!(
            "{}{}",
            ub(52, 52, 1_795_319_300, off, "0 1 2 3"),
            ub(53, 53, 1_795_319_301, MMP_ON, "0 1 2 3")
        ));
        assert!(current(std::slice::from_ref(&d), "labpool", None)
            .unwrap()
            .multihost());
    }

    #[test]
    fn a_writer_without_fail_intervals_is_read_as_such() {
        let fail0 = MMP_ON.replace("mmp_fail = 10", "mmp_fail = 0");
        let d = active_with(&ub(52, 52, 1_795_319_300, &fail0, "0 1 2 3"));
        let c = current(std::slice::from_ref(&d), "labpool", None).unwrap();
        let m = c.current.mmp.unwrap();
        assert_eq!((m.fail_intervals, m.interval_ms), (Some(0), Some(1000)));
        // (write interval 1 s + mmp_delay 1 s) × 20 import intervals = 40 s, +25 %
        assert_eq!(
            crate::mmp::activity_check(&crate::mmp::DEFAULTS, Some(&m)),
            std::time::Duration::from_secs(50)
        );
        // the recorded writer (fail 10 × 1000 ms × 2 = 20 s, +25 %)
        let rec = current(&[active_with("")], "labpool", None).unwrap();
        assert_eq!(
            crate::mmp::activity_check(&crate::mmp::DEFAULTS, rec.current.mmp.as_ref()),
            std::time::Duration::from_secs(25)
        );
    }

    /// A device whose labels 0 and 1 are the recorded exported labpool (multihost on, txg up to
    /// 21) and whose labels 2 and 3 are those of another pool named labpool, recorded active on
    /// node1 (txg up to 51): what a disk reused (or grown) without `zpool labelclear` carries.
    fn stale_device() -> DeviceLabels {
        let exported =
            fixture("zdb-lu-multihost-on.txt").replace("labels = 0 1 2 3", "labels = 0 1");
        let other = fixture("zdb-lu-left-imported.txt")
            .replace("LABEL 0", "LABEL 2")
            .replace("labels = 0 1 2 3", "labels = 2 3");
        parse("/dev/vdd1", &format!("{exported}{other}"))
    }

    #[test]
    fn a_stale_label_of_another_pool_with_the_same_name_is_ignored() {
        let stale = stale_device();
        let (a, b) = (
            stale.configs[0].clone().unwrap(),
            stale.configs[3].clone().unwrap(),
        );
        assert_eq!((a.name.as_str(), b.name.as_str()), ("labpool", "labpool"));
        assert_ne!(a.pool_guid, b.pool_guid);
        assert_eq!((a.state, b.state), (1, 0));
        let d = current(std::slice::from_ref(&stale), "labpool", None).unwrap();
        assert_eq!(d.guid, a.pool_guid);
        assert_eq!(
            d.current.txg, 21,
            "the other pool's later txgs are not ours"
        );
        assert!(!d.active(), "the other pool's active state is not ours");
        // the other pool's own device too: two pools named labpool, the guid must say which
        let other = parse("/dev/vdc1", &fixture("zdb-lu-left-imported.txt"));
        let both = [stale, other];
        assert!(matches!(
            current(&both, "labpool", None),
            Err(LabelsProblem::Ambiguous { ref guids, .. }) if guids.len() == 2
        ));
        let mine = current(&both, "labpool", Some(a.pool_guid)).unwrap();
        assert_eq!((mine.guid, mine.current.txg), (a.pool_guid, 21));
        let theirs = current(&both, "labpool", Some(b.pool_guid)).unwrap();
        assert_eq!((theirs.current.txg, theirs.active()), (51, true));
    }
}

/// The decisions on `zdb -l -uuuu` output recorded in the lab (see tests/fixtures/README.md):
/// every ring state the agent meets, read as node2 reads them.
#[cfg(test)]
mod recorded {
    use super::*;
    use crate::mmp::{activity_check, DEFAULTS};
    use crate::tests::fixture;

    fn read(file: &str) -> DeviceLabels {
        parse("/dev/disk/by-id/virtio-shared0-part1", &fixture(file))
    }

    fn pool(file: &str) -> PoolOnDisk {
        current(&[read(file)], "labpool", None).unwrap()
    }

    const NODE1: u64 = 0x0a77_000b;
    const SHARED_POOL: u64 = 4_292_572_665_586_299_236;

    #[test]
    fn an_exported_pool_is_not_active() {
        let p = pool("zdb-luuuu-exported.txt");
        assert_eq!(
            (p.guid, p.active(), p.multihost()),
            (SHARED_POOL, false, true)
        );
    }

    #[test]
    fn a_live_pool_is_read_from_its_mmp_slot() {
        // node1 has it imported: the newest uberblock is an MMP write (sequence > 0) between txgs
        let p = pool("zdb-luuuu-live-multihost-on.txt");
        assert!(p.active() && p.multihost());
        assert_eq!((p.hostid(), p.hostname()), (NODE1, "node1"));
        assert!(p.current.mmp.and_then(|m| m.seq).unwrap_or(0) > 0, "{p:?}");
    }

    #[test]
    fn multihost_switched_off_on_a_live_pool_is_seen_despite_older_mmp_slots() {
        // `zpool set multihost=off` on node1 while imported: older ring slots still carry a
        // delay > 0 (the trap of "any uberblock with a delay"), the current one does not
        let d = read("zdb-luuuu-live-multihost-switched-off.txt");
        assert!(d
            .uberblocks
            .iter()
            .any(|u| u.mmp.is_some_and(|m| m.delay_ns > 0)));
        let p = pool("zdb-luuuu-live-multihost-switched-off.txt");
        assert!(p.active());
        assert!(!p.multihost(), "current uberblock: {:?}", p.current);
    }

    #[test]
    fn a_pool_left_by_a_crash_is_active_with_the_writers_timing() {
        let p = pool("zdb-luuuu-left-active-by-crash.txt");
        assert!(p.active() && p.multihost());
        assert_eq!(p.hostid(), NODE1);
        let mmp = p.current.mmp.unwrap();
        assert_eq!(
            (mmp.fail_intervals, mmp.interval_ms),
            (Some(10), Some(1000))
        );
        // ZFS 2.1 with the writer's fail intervals > 0: 10 x 1000 ms x 200 %, + 25 % at most
        assert_eq!(
            activity_check(&DEFAULTS, Some(&mmp)),
            std::time::Duration::from_secs(25)
        );
    }

    #[test]
    fn another_pool_with_the_same_name_needs_the_guid() {
        // node2's own disk with an exported pool also named labpool (blkid shows both)
        let blkid = fixture("blkid-two-pools-same-name.txt");
        assert_eq!(blkid.matches("LABEL=\"labpool\"").count(), 2);
        let shared = read("zdb-luuuu-left-active-by-crash.txt");
        let other = parse(
            "/dev/disk/by-id/virtio-data0-part1",
            &fixture("zdb-luuuu-other-pool-same-name.txt"),
        );
        let both = [shared, other];
        assert!(matches!(
            current(&both, "labpool", None),
            Err(LabelsProblem::Ambiguous { ref guids, .. }) if guids.len() == 2
        ));
        let p = current(&both, "labpool", Some(SHARED_POOL)).unwrap();
        assert!(p.active() && p.device.contains("shared0"));
        let o = current(&both, "labpool", Some(9_993_194_545_229_026_396)).unwrap();
        assert!(!o.active() && o.device.contains("data0"));
        assert_eq!(o.hostname(), "node2");
    }
}
