//! ZFS vdev labels read in-process (OpenZFS 2.1 on-disk format), giving the [`DeviceLabels`]
//! that `zdb -l -uuuu` shows: four 256 KiB labels per device (two at the start, two at the end
//! of the size aligned down to 256 KiB), each with the packed XDR nvlist of the configuration at
//! 16 KiB and the uberblock ring at 128 KiB in slots of 1 << clamp(ashift, 10, 13) bytes; every
//! block is checked with its embedded SHA-256 label checksum, as ZFS's import reads them.

mod checksum;
pub mod device;
pub(crate) mod nvlist;
mod uberblock;

use std::collections::{BTreeMap, BTreeSet};

use crate::labels::{DeviceLabels, LabelConfig, LABELS};
use nvlist::NvList;
use uberblock::RawUberblock;

/// `sizeof (vdev_label_t)`.
pub const LABEL_SIZE: u64 = 256 << 10;
/// Where the configuration nvlist (`vdev_phys_t`) starts in a label, and its size.
const PHYS: std::ops::Range<usize> = (16 << 10)..(128 << 10);
/// Where the uberblock ring starts in a label, and its size.
const RING_OFFSET: usize = 128 << 10;
const RING_SIZE: usize = 128 << 10;
/// `SPA_MINBLOCKSHIFT`, the ashift assumed without a readable one.
const MIN_ASHIFT: u64 = 9;
/// `UBERBLOCK_SHIFT` and `MAX_UBERBLOCK_SHIFT`: the slot size bounds.
const SLOT_SHIFTS: (u64, u64) = (10, 13);

/// Where label `l` starts on a device of `size` bytes (`vdev_label_offset`), `None` if the
/// device is too small for four labels.
pub fn label_offset(size: u64, l: usize) -> Option<u64> {
    let aligned = size - size % LABEL_SIZE;
    let l = l as u64;
    if aligned < 4 * LABEL_SIZE {
        return None;
    }
    Some(if l < 2 {
        l * LABEL_SIZE
    } else {
        aligned - (4 - l) * LABEL_SIZE
    })
}

/// The four label areas of one device as read from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelAreas {
    /// The device's size in bytes.
    pub size: u64,
    /// Each label's 256 KiB (`None`: not read).
    pub areas: [Option<Vec<u8>>; LABELS],
}

/// The fields of a configuration that the decisions need; an absent field reads as zdb's
/// output parsed by [`crate::labels`] reads it (a `state` that is not a number: unknown).
fn config(nv: &NvList) -> LabelConfig {
    LabelConfig {
        name: nv.str("name").unwrap_or_default().to_owned(),
        pool_guid: nv.u64("pool_guid").unwrap_or(0),
        state: match nv.get("state") {
            None => 0,
            Some(_) => nv.u64("state").unwrap_or(u64::MAX),
        },
        txg: nv.u64("txg").unwrap_or(0),
        hostid: nv.u64("hostid"),
        hostname: nv.str("hostname").map(str::to_owned),
        guid: nv.u64("guid"),
        path: nv
            .u64("guid")
            .and_then(|g| nv.list("vdev_tree").and_then(|t| leaf(t, g, 0)))
            .and_then(|leaf| leaf.str("path"))
            .map(str::to_owned),
    }
}

/// The vdev of `vdev_tree` (or below it, through `children`) whose `guid` is `guid`.
fn leaf(tree: &NvList, guid: u64, depth: usize) -> Option<&NvList> {
    if tree.u64("guid") == Some(guid) {
        return Some(tree);
    }
    if depth > 4 {
        return None;
    }
    tree.lists("children")
        .iter()
        .find_map(|c| leaf(c, guid, depth + 1))
}

/// True if a label of `read` names `pool`: the quick look that picks the pool's devices before
/// their blocks are checked (a label whose checksum fails is then left out by [`device_labels`]).
pub fn names_pool(read: &LabelAreas, pool: &str) -> bool {
    read.areas.iter().flatten().any(|area| {
        area.get(PHYS)
            .and_then(|phys| nvlist::unpack(phys).ok())
            .is_some_and(|nv| nv.str("name") == Some(pool))
    })
}

/// True if a label of `read` marks the device an inactive hot spare or a cache device
/// (`state` 3 or 4): such labels carry no pool name, only the pool's configuration in the MOS
/// names them, so an import that reads only the named devices would miss them.
pub fn spare_or_cache(read: &LabelAreas) -> bool {
    read.areas.iter().flatten().any(|area| {
        area.get(PHYS)
            .and_then(|phys| nvlist::unpack(phys).ok())
            .and_then(|nv| nv.u64("state"))
            .is_some_and(|state| state == 3 || state == 4)
    })
}

fn slot_shift(ashift: u64) -> usize {
    usize::try_from(ashift.clamp(SLOT_SHIFTS.0, SLOT_SHIFTS.1)).unwrap_or(10)
}

/// The labels of `device` from its label areas, as `zdb -l -uuuu` gives them: each label's
/// configuration (when its checksum holds and it unpacks), and for each label in turn every
/// valid slot of its ring, with the labels (0–3) that hold the same uberblock. Like zdb, the
/// ring of a label whose configuration cannot be read is cut with the last ashift read before.
pub fn device_labels(device: &str, read: &LabelAreas) -> DeviceLabels {
    let mut out = DeviceLabels {
        device: device.to_owned(),
        ..DeviceLabels::default()
    };
    let mut ashift = MIN_ASHIFT;
    let mut rings: [Option<Vec<Option<RawUberblock>>>; LABELS] = Default::default();
    for (l, ring_of_l) in rings.iter_mut().enumerate() {
        let (Some(area), Some(base)) = (&read.areas[l], label_offset(read.size, l)) else {
            continue;
        };
        if area.len() as u64 != LABEL_SIZE {
            continue;
        }
        let phys = &area[PHYS];
        let nv = checksum::valid(phys, base + PHYS.start as u64)
            .then(|| nvlist::unpack(phys).ok())
            .flatten();
        if let Some(nv) = nv {
            ashift = nv
                .list("vdev_tree")
                .and_then(|t| t.u64("ashift"))
                .unwrap_or(MIN_ASHIFT);
            out.configs[l] = Some(config(&nv));
        }
        let shift = slot_shift(ashift);
        let ring = (0..RING_SIZE >> shift)
            .map(|i| {
                let at = RING_OFFSET + (i << shift);
                let slot = &area[at..at + (1 << shift)];
                checksum::valid(slot, base + at as u64)
                    .then(|| RawUberblock::decode(slot))
                    .flatten()
            })
            .collect();
        *ring_of_l = Some(ring);
    }
    let mut holders: BTreeMap<RawUberblock, BTreeSet<usize>> = BTreeMap::new();
    for (l, ring) in rings.iter().enumerate() {
        for ub in ring.iter().flatten().flatten() {
            holders.entry(*ub).or_default().insert(l);
        }
    }
    let slots = RING_SIZE >> slot_shift(ashift);
    for ring in rings.iter().flatten() {
        for ub in ring.iter().take(slots).flatten() {
            let labels = holders.get(ub).into_iter().flatten().copied().collect();
            out.uberblocks.push(ub.fields(labels));
        }
    }
    out
}

#[cfg(test)]
pub mod tests;
