//! The journals recorded in the lab by tests/lab/scenarios/60-hasan-operator, kept small in
//! tests/fixtures/lab: a record stays when the timeline reads it (`events::classify` recognises
//! it) or when it is the first or last of its node (the journal's span, which the timeline
//! prints); every other record is dropped whole, nothing inside a record is changed.
//! `trim_recorded_journals` (ignored; run by hand, see tests/fixtures/lab/README.md) makes them
//! from a run's HASAN_FIXTURES directory and proves that the timeline reads the same from the
//! trimmed files as from the recorded ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::events::classify;
use crate::journal::{self, Entry};
use crate::timeline;

/// tests/fixtures/lab.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lab")
}

/// A fixture's text.
pub fn text(name: &str) -> String {
    let p = dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The entries of journal fixtures, in the given order.
pub fn entries(names: &[&str]) -> Vec<Entry> {
    names
        .iter()
        .flat_map(|n| journal::read_file(&dir().join(n)).unwrap())
        .collect()
}

/// Which records to keep: read by the timeline, or the first or last of their node.
fn wanted(records: &[Option<Entry>]) -> Vec<bool> {
    let mut ends: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, e) in records.iter().enumerate() {
        if let Some(e) = e {
            let span = ends.entry(&e.host).or_insert((i, i));
            if e.time_us < records[span.0].as_ref().map_or(i64::MAX, |f| f.time_us) {
                span.0 = i;
            }
            if e.time_us >= records[span.1].as_ref().map_or(i64::MIN, |l| l.time_us) {
                span.1 = i;
            }
        }
    }
    records
        .iter()
        .enumerate()
        .map(|(i, e)| {
            e.as_ref().is_some_and(|e| {
                classify(e).is_some()
                    || ends
                        .get(e.host.as_str())
                        .is_some_and(|s| s.0 == i || s.1 == i)
            })
        })
        .collect()
}

/// A journal file's records: their bytes and entries.
fn records(data: &[u8]) -> Vec<(Vec<u8>, Option<Entry>)> {
    if data.first() == Some(&b'{') {
        String::from_utf8_lossy(data)
            .lines()
            .map(|l| {
                let e = journal::parse_json(l).unwrap().into_iter().next();
                (format!("{l}\n").into_bytes(), e)
            })
            .collect()
    } else {
        journal::export_records(data)
            .unwrap()
            .into_iter()
            .map(|(r, e)| (data[r].to_vec(), e))
            .collect()
    }
}

/// The journal with only the wanted records.
fn trim(data: &[u8]) -> Vec<u8> {
    let recs = records(data);
    let es: Vec<Option<Entry>> = recs.iter().map(|r| r.1.clone()).collect();
    recs.into_iter()
        .zip(wanted(&es))
        .filter(|(_, keep)| *keep)
        .flat_map(|((bytes, _), _)| bytes)
        .collect()
}

fn is_journal(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".export")
}

fn names_in(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn rendered(files: &[&Path]) -> String {
    let all: Vec<Entry> = files
        .iter()
        .flat_map(|f| journal::read_file(f).unwrap())
        .collect();
    timeline::build(all, None).map_or_else(|e| format!("{e:#}"), |t| timeline::render(&t))
}

/// `HASAN_RECORDED=/tmp/fix2 cargo test -p hasan -- --ignored trim_recorded_journals`
#[test]
#[ignore = "makes the fixtures from a lab run's recordings"]
fn trim_recorded_journals() {
    let from = PathBuf::from(std::env::var("HASAN_RECORDED").expect("HASAN_RECORDED=<dir>"));
    let to = dir();
    let tmp = tempfile::tempdir().unwrap();
    for name in names_in(&from).into_iter().filter(|n| is_journal(n)) {
        let data = std::fs::read(from.join(&name)).unwrap();
        let trimmed = trim(&data);
        std::fs::write(tmp.path().join(&name), &trimmed).unwrap();
        println!("{name}: {} → {} bytes", data.len(), trimmed.len());
    }
    // the timeline reads the same from each file and each node pair
    let mut sets: Vec<Vec<String>> = names_in(tmp.path()).into_iter().map(|n| vec![n]).collect();
    for kind in ["planned", "crash"] {
        let pair: Vec<String> = names_in(tmp.path())
            .into_iter()
            .filter(|n| n.starts_with(&format!("{kind}-")) && n.ends_with(".json"))
            .collect();
        sets.push(pair);
    }
    for set in sets.iter().filter(|s| !s.is_empty()) {
        let was: Vec<PathBuf> = set.iter().map(|n| from.join(n)).collect();
        let now: Vec<PathBuf> = set.iter().map(|n| tmp.path().join(n)).collect();
        let was: Vec<&Path> = was.iter().map(PathBuf::as_path).collect();
        let now: Vec<&Path> = now.iter().map(PathBuf::as_path).collect();
        assert_eq!(rendered(&was), rendered(&now), "{set:?}");
    }
    for name in names_in(tmp.path()) {
        let data = std::fs::read(tmp.path().join(&name)).unwrap();
        assert!(
            !String::from_utf8_lossy(&data).contains("labbmc"),
            "{name} holds the BMC password"
        );
        std::fs::write(to.join(&name), data).unwrap();
    }
}

#[test]
fn the_lab_journals_hold_only_what_the_timeline_reads() {
    let names: Vec<String> = names_in(&dir())
        .into_iter()
        .filter(|n| is_journal(n))
        .collect();
    assert!(names.iter().any(|n| n == "quiet-node1.json"), "{names:?}");
    for name in names {
        let data = std::fs::read(dir().join(&name)).unwrap();
        assert_eq!(trim(&data), data, "{name} has records the timeline ignores");
    }
}

#[test]
fn no_fixture_holds_the_lab_bmc_password() {
    // the README names it, saying how it was redacted
    for name in names_in(&dir()).into_iter().filter(|n| n != "README.md") {
        let data = std::fs::read(dir().join(&name)).unwrap();
        assert!(
            !String::from_utf8_lossy(&data).contains("labbmc"),
            "{name} holds the lab BMC password"
        );
    }
}
