//! `hasan timeline` run as an operator runs it, on the journals recorded in the lab by
//! tests/lab/scenarios/60-hasan-operator (tests/fixtures/lab): what it prints for a failover, and
//! one clear line on stderr, exit status 3 and nothing on stdout when it cannot answer.

use std::path::PathBuf;
use std::process::{Command, Output};

use anyhow::{ensure, Context, Result};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lab")
        .join(name)
}

/// `hasan timeline ARGS… FIXTURES…` with an empty environment.
fn timeline(fixtures: &[&str], args: &[&str]) -> Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_hasan"))
        .arg("timeline")
        .args(args)
        .args(fixtures.iter().map(|f| fixture(f)))
        .env_clear()
        .output()
        .context("running hasan")
}

fn one_line_error(r: &Output, says: &str) -> Result<()> {
    let stderr = String::from_utf8_lossy(&r.stderr);
    let shown = format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{stderr}",
        r.status.code(),
        String::from_utf8_lossy(&r.stdout)
    );
    ensure!(
        r.status.code() == Some(3),
        "exit status 3 expected: {shown}"
    );
    ensure!(r.stdout.is_empty(), "nothing on stdout expected: {shown}");
    ensure!(
        stderr.lines().count() == 1 && stderr.starts_with("hasan: "),
        "one line on stderr expected: {shown}"
    );
    ensure!(stderr.contains(says), "stderr should say {says:?}: {shown}");
    Ok(())
}

#[test]
fn a_journal_without_a_failover_is_one_line() -> Result<()> {
    one_line_error(
        &timeline(&["quiet-node1.json"], &[])?,
        "no failover in these journals",
    )
}

fn stdout(r: &Output) -> Result<String> {
    ensure!(
        r.status.success(),
        "hasan timeline failed: {:?}: {}",
        r.status.code(),
        String::from_utf8_lossy(&r.stderr)
    );
    Ok(String::from_utf8(r.stdout.clone())?)
}

fn json(fixtures: &[&str]) -> Result<serde_json::Value> {
    Ok(serde_json::from_str(&stdout(&timeline(
        fixtures,
        &["--json"],
    )?)?)?)
}

/// The steps of a `--json` timeline as `(kind, what, node)`.
fn steps(t: &serde_json::Value) -> Vec<(String, String, String)> {
    t["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let f = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (f("kind"), f("what"), f("node"))
        })
        .collect()
}

fn ms(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or(-1)
}

#[test]
fn the_crash_prints_what_it_printed_in_the_lab() -> Result<()> {
    let out = stdout(&timeline(&["crash-node1.json", "crash-node2.json"], &[])?)?;
    let recorded = std::fs::read_to_string(fixture("timeline-crash.txt"))?;
    ensure!(
        out.trim_end() == recorded.trim_end(),
        "now:\n{out}\nin the lab:\n{recorded}"
    );
    Ok(())
}

#[test]
fn the_crash_names_the_fencing_the_mmp_wait_and_the_import_and_they_add_up() -> Result<()> {
    let t = json(&["crash-node1.json", "crash-node2.json"])?;
    let all = steps(&t);
    let fencing = all
        .iter()
        .position(|(k, w, n)| k == "fencing" && w.starts_with("reboot of node2") && n == "node1")
        .with_context(|| format!("no fencing of node2 by node1: {all:?}"))?;
    let pool = all
        .iter()
        .position(|(k, w, n)| k == "start" && w == "start san-pool" && n == "node1")
        .with_context(|| format!("no start of san-pool on node1: {all:?}"))?;
    let ip = all
        .iter()
        .position(|(k, w, _)| k == "start" && w == "start san-ip")
        .with_context(|| format!("no start of san-ip: {all:?}"))?;
    ensure!(
        all[0].0 == "detection",
        "the first step is not the detection: {all:?}"
    );
    ensure!(fencing < pool && pool < ip, "out of order: {all:?}");
    ensure!(
        t["steps"][fencing]["result"] == "OK",
        "{}",
        t["steps"][fencing]
    );
    let start = &t["steps"][pool];
    let phases = start["phases"].as_array().context("no phases")?;
    let import = phases
        .iter()
        .find(|p| p["name"] == "import")
        .context("no import phase")?;
    let detail = import["detail"].as_str().unwrap_or_default();
    ensure!(
        detail.contains("multihost activity check (mmp wait up to"),
        "the import does not name the MMP wait: {detail}"
    );
    let sum: i64 = phases.iter().map(|p| ms(&p["duration_ms"])).sum();
    let took = ms(&start["duration_ms"]);
    ensure!(
        sum <= took + 1000 && sum * 10 >= took * 8,
        "phases {sum} ms vs start {took} ms"
    );
    let ends = t["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| ms(&s["start_us"]) + ms(&s["duration_ms"]) * 1000)
        .max()
        .unwrap_or_default();
    ensure!(
        ms(&t["total_ms"]) == (ends - ms(&t["start_us"])) / 1000,
        "total {} ms is not the span of the steps",
        t["total_ms"]
    );
    Ok(())
}

#[test]
fn the_planned_move_is_a_standby_and_a_plain_import_without_fencing() -> Result<()> {
    let out = stdout(&timeline(
        &["planned-node1.json", "planned-node2.json"],
        &[],
    )?)?;
    let recorded = std::fs::read_to_string(fixture("timeline-planned.txt"))?;
    ensure!(
        out.trim_end() == recorded.trim_end(),
        "now:\n{out}\nin the lab:\n{recorded}"
    );
    let all = steps(&json(&["planned-node1.json", "planned-node2.json"])?);
    ensure!(
        all[0].0 == "detection" && all[0].1.contains("standby requested for node1"),
        "the first step is not node1's standby: {all:?}"
    );
    ensure!(
        !all.iter().any(|(k, _, _)| k == "fencing"),
        "a fencing step in a planned move: {all:?}"
    );
    let at = |kind: &str, what: &str, node: &str| {
        all.iter()
            .position(|(k, w, n)| k == kind && w == what && n == node)
            .with_context(|| format!("no {what} on {node}: {all:?}"))
    };
    ensure!(
        at("stop", "stop san-ip", "node1")? < at("stop", "stop san-pool", "node1")?
            && at("stop", "stop san-pool", "node1")? < at("start", "start san-pool", "node2")?
            && at("start", "start san-pool", "node2")? < at("start", "start san-ip", "node2")?,
        "not stop ip, stop pool, start pool, start ip: {all:?}"
    );
    ensure!(
        !out.contains("imported with -f"),
        "the planned move forced the import:\n{out}"
    );
    Ok(())
}

#[test]
fn an_export_journal_reads_like_its_json() -> Result<()> {
    // node1's -o export was taken a moment after its -o json: the spans differ, the failover not
    let from_json = json(&["crash-node1.json", "crash-node2.json"])?;
    let from_export = json(&["crash-node1.export", "crash-node2.json"])?;
    for key in ["cause", "start_us", "total_ms", "steps"] {
        ensure!(
            from_json[key] == from_export[key],
            "{key}: -o json {} vs -o export {}",
            from_json[key],
            from_export[key]
        );
    }
    Ok(())
}

#[test]
fn a_bad_since_is_one_line() -> Result<()> {
    one_line_error(
        &timeline(&["crash-node1.json"], &["--since", "yesterday"])?,
        "--since \"yesterday\"",
    )
}
