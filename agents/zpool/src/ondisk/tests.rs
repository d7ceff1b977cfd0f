//! The in-process reader against zdb: label areas and `zdb -l -uuuu` of the same device taken
//! at the same moment in the lab (tests/fixtures/README.md), plus damaged and byte-swapped labels.

use std::io::Read;
use std::path::Path;

use super::*;
use crate::labels;
use crate::tests::fixture;

pub const RECORDED: [&str; 5] = [
    "exported",
    "live-multihost-on",
    "live-multihost-switched-off",
    "left-active-by-crash",
    "other-pool-same-name-ashift12",
];

/// The recorded label areas of `name` (the first and the last 512 KiB of the aligned device).
pub fn recorded(name: &str) -> LabelAreas {
    let path = format!(
        "{}/tests/fixtures/ondisk-{name}.labels.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut blob = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut blob)
        .unwrap();
    assert_eq!(blob.len() as u64, 4 * LABEL_SIZE);
    let size = fixture(&format!("ondisk-{name}.size"))
        .trim()
        .parse()
        .unwrap();
    let mut areas: [Option<Vec<u8>>; LABELS] = Default::default();
    for (l, chunk) in blob.chunks(LABEL_SIZE as usize).enumerate() {
        areas[l] = Some(chunk.to_vec());
    }
    LabelAreas { size, areas }
}

/// A device image at `dev/NAME` under `root`: a sparse file of the recorded size with the
/// recorded label areas in place, and its `/sys/class/block` entry.
pub fn install(root: &Path, name: &str, fixture: &str) {
    use std::os::unix::fs::FileExt;
    let rec = recorded(fixture);
    std::fs::create_dir_all(root.join("dev")).unwrap();
    let f = std::fs::File::create(root.join("dev").join(name)).unwrap();
    f.set_len(rec.size).unwrap();
    for (l, a) in rec.areas.iter().enumerate() {
        f.write_all_at(a.as_ref().unwrap(), label_offset(rec.size, l).unwrap())
            .unwrap();
    }
    let sys = root.join("sys/class/block").join(name);
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("size"), format!("{}\n", rec.size / 512)).unwrap();
}

const DEV: &str = "/dev/disk/by-id/virtio-shared0-part1";

/// Recorded while node1 was writing: the label areas were read a moment after zdb ran, and one
/// txg and one MMP write landed in between (see [`only_newer_writes_differ`]).
const WRITTEN_BETWEEN: &str = "live-multihost-on";

#[test]
fn every_recorded_state_reads_as_zdb_shows_it() {
    for name in RECORDED {
        let ours = device_labels(DEV, &recorded(name));
        let zdb = labels::parse(DEV, &fixture(&format!("ondisk-{name}.zdb.txt")));
        assert!(zdb.configs.iter().all(Option::is_some), "{name}");
        assert!(!zdb.uberblocks.is_empty(), "{name}");
        if name == WRITTEN_BETWEEN {
            only_newer_writes_differ(&ours, &zdb);
            continue;
        }
        assert_eq!(ours, zdb, "{name}");
    }
}

fn rank(u: &labels::Uberblock) -> (u64, u64, u64) {
    (u.txg, u.timestamp, u.mmp.and_then(|m| m.seq).unwrap_or(0))
}

/// The same configurations; every uberblock only zdb saw is older than the current one zdb saw
/// (it was overwritten), every one only we saw is newer; the decisions are the same.
fn only_newer_writes_differ(ours: &DeviceLabels, zdb: &DeviceLabels) {
    assert_eq!(ours.configs, zdb.configs);
    let theirs = labels::current(std::slice::from_ref(zdb), "labpool", None).unwrap();
    let mine = labels::current(std::slice::from_ref(ours), "labpool", None).unwrap();
    let only = |a: &DeviceLabels, b: &DeviceLabels| -> Vec<labels::Uberblock> {
        a.uberblocks
            .iter()
            .filter(|u| !b.uberblocks.contains(u))
            .cloned()
            .collect()
    };
    let (newer, overwritten) = (only(ours, zdb), only(zdb, ours));
    assert!(!newer.is_empty() && newer.len() <= 8, "{newer:?}");
    assert!(
        newer.iter().all(|u| rank(u) > rank(&theirs.current)),
        "{newer:?}"
    );
    assert!(
        overwritten.iter().all(|u| rank(u) < rank(&theirs.current)),
        "{overwritten:?}"
    );
    assert!(rank(&mine.current) > rank(&theirs.current));
    let decisions = |p: &labels::PoolOnDisk| {
        (
            p.guid,
            p.active(),
            p.multihost(),
            p.hostid(),
            p.hostname().to_owned(),
        )
    };
    assert_eq!(decisions(&mine), decisions(&theirs));
}

#[test]
fn the_decisions_are_zdbs() {
    for name in RECORDED {
        let ours = device_labels(DEV, &recorded(name));
        let zdb = labels::parse(DEV, &fixture(&format!("ondisk-{name}.zdb.txt")));
        let (a, b) = (
            labels::current(&[ours], "labpool", None),
            labels::current(&[zdb], "labpool", None),
        );
        if name != WRITTEN_BETWEEN {
            assert_eq!(a, b, "{name}");
        }
        assert!(a.is_ok(), "{name}: {a:?}");
    }
}

#[test]
fn the_ashift_12_pool_has_4k_slots() {
    let d = device_labels(DEV, &recorded("other-pool-same-name-ashift12"));
    let l0: Vec<_> = d
        .uberblocks
        .iter()
        .filter(|u| u.labels.contains(&0))
        .collect();
    assert!(!l0.is_empty() && l0.len() <= 32, "{}", l0.len());
}

/// The byte offset in a label of uberblock slot `i` with 1 KiB slots (ashift 9).
fn slot(i: usize) -> usize {
    RING_OFFSET + (i << 10)
}

#[test]
fn a_flipped_byte_invalidates_that_slot_only() {
    let good = recorded("live-multihost-on");
    let before = device_labels(DEV, &good);
    // the newest uberblock of label 0: find its slot by txg and timestamp
    let area = good.areas[0].as_ref().unwrap();
    let (i, newest) = (0..128)
        .filter_map(|i| {
            let s = &area[slot(i)..slot(i + 1)];
            checksum::valid(s, slot(i) as u64)
                .then(|| RawUberblock::decode(s))
                .flatten()
                .map(|u| (i, u.fields(vec![])))
        })
        .max_by_key(|(_, u)| (u.txg, u.timestamp))
        .unwrap();
    let mut bad = good.clone();
    // a byte of the timestamp: magic intact, zdb would still show it, the checksum refuses it
    bad.areas[0].as_mut().unwrap()[slot(i) + 33] ^= 0x10;
    let after = device_labels(DEV, &bad);
    let in_label0 = |d: &DeviceLabels| {
        d.uberblocks.iter().any(|u| {
            (u.txg, u.timestamp, u.mmp) == (newest.txg, newest.timestamp, newest.mmp)
                && u.labels.contains(&0)
        })
    };
    assert!(in_label0(&before) && !in_label0(&after));
    let slots = |d: &DeviceLabels| d.uberblocks.len();
    assert!(slots(&after) < slots(&before));
    assert_eq!(after.configs, before.configs);
}

#[test]
fn a_damaged_configuration_is_unreadable_not_a_panic() {
    let good = recorded("exported");
    // a flipped byte: the checksum refuses the label's configuration
    let mut bad = good.clone();
    bad.areas[1].as_mut().unwrap()[PHYS.start + 40] ^= 1;
    let d = device_labels(DEV, &bad);
    assert!(d.configs[1].is_none() && d.configs[0].is_some());
    // garbage and zeroes everywhere, truncated and missing areas
    let mut noise = good.clone();
    for (l, a) in noise.areas.iter_mut().enumerate() {
        let a = a.as_mut().unwrap();
        for (i, b) in a.iter_mut().enumerate() {
            *b = ((i as u64 * 2_654_435_761 + l as u64) >> 11) as u8;
        }
    }
    let d = device_labels(DEV, &noise);
    assert_eq!(d.configs, [None, None, None, None]);
    assert!(d.uberblocks.is_empty());
    let mut cut = good.clone();
    cut.areas[0].as_mut().unwrap().truncate(1000);
    cut.areas[3] = None;
    let d = device_labels(DEV, &cut);
    assert!(d.configs[0].is_none() && d.configs[3].is_none() && d.configs[1].is_some());
    assert!(d
        .uberblocks
        .iter()
        .all(|u| !u.labels.contains(&0) && !u.labels.contains(&3)));
    let tiny = LabelAreas {
        size: 3 * LABEL_SIZE,
        ..good
    };
    assert_eq!(
        device_labels(DEV, &tiny),
        DeviceLabels {
            device: DEV.into(),
            ..Default::default()
        }
    );
}

/// A label written by a big-endian host: packed nvlist (XDR is big-endian anyway) and an
/// uberblock in big-endian words, both sealed with big-endian trailers.
#[test]
fn a_big_endian_writer_is_read() {
    use nvlist::pack::{pack, P};
    let size = 64 << 20;
    let mut areas: [Option<Vec<u8>>; LABELS] = Default::default();
    for (l, a) in areas.iter_mut().enumerate() {
        let base = label_offset(size, l).unwrap();
        let mut area = vec![0u8; LABEL_SIZE as usize];
        let nv = pack(&[
            P::Str("name", "bepool"),
            P::U64("state", 1),
            P::U64("txg", 9),
            P::U64("pool_guid", 77),
            P::List("vdev_tree", vec![P::U64("ashift", 12)]),
        ]);
        area[PHYS.start..PHYS.start + nv.len()].copy_from_slice(&nv);
        checksum::seal(&mut area[PHYS], base + PHYS.start as u64, false);
        // 4 KiB slots (ashift 12): slot 9 holds txg 9
        let at = RING_OFFSET + (9 << 12);
        let ub = uberblock::encode(9, 1000, Some((0, 0)), false);
        area[at..at + ub.len()].copy_from_slice(&ub);
        checksum::seal(&mut area[at..at + 4096], base + at as u64, false);
        *a = Some(area);
    }
    let d = device_labels("/dev/sdz", &LabelAreas { size, areas });
    assert_eq!(
        d.configs[0].as_ref().unwrap().path,
        None,
        "no vdev_tree path"
    );
    for c in &d.configs {
        let c = c.as_ref().unwrap();
        assert_eq!(
            (c.name.as_str(), c.state, c.txg, c.pool_guid),
            ("bepool", 1, 9, 77)
        );
        assert_eq!((c.hostid, c.hostname.as_deref()), (None, None));
    }
    assert_eq!(d.uberblocks.len(), 4);
    assert!(d
        .uberblocks
        .iter()
        .all(|u| u.txg == 9 && u.labels == [0, 1, 2, 3]));
    let p = labels::current(&[d], "bepool", None).unwrap();
    assert!(!p.multihost() && !p.active());
}

#[test]
fn a_label_names_its_own_vdev_and_the_path_it_was_imported_by() {
    let d = device_labels(DEV, &recorded("exported"));
    let c = d.configs[0].as_ref().unwrap();
    assert_eq!(
        (c.guid, c.path.as_deref()),
        (Some(9_212_785_196_141_678_747), Some(DEV))
    );
}

#[test]
fn in_a_mirror_the_path_is_that_of_the_labels_own_half() {
    use nvlist::pack::{pack, P};
    let child = |guid, path| vec![P::U64("guid", guid), P::Str("path", path)];
    let nv = nvlist::unpack(&pack(&[
        P::Str("name", "san-pool"),
        P::U64("guid", 12),
        P::List(
            "vdev_tree",
            vec![
                P::Str("type", "mirror"),
                P::U64("guid", 10),
                P::Lists(
                    "children",
                    vec![
                        child(11, "/dev/disk/by-id/local"),
                        child(12, "/dev/disk/by-path/remote"),
                    ],
                ),
            ],
        ),
    ]))
    .unwrap();
    let c = config(&nv);
    assert_eq!(
        (c.guid, c.path.as_deref()),
        (Some(12), Some("/dev/disk/by-path/remote"))
    );
}
