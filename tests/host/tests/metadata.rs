//! Every resource agent with golden meta-data in `ocf-metadata/*.xml`: the installed binary prints
//! exactly that file, also as user `nobody` (ocf-tester runs it so), and the file validates against
//! every schema that reads it (resource-agents' DTD, the OCF 1.1 RNG, pcs's two RNGs).
//! Fence agents' meta-data lives in `ocf-metadata/fence/` and is tested with them.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use hasan_host_tests::agents::{agents_with_golden_metadata, installed};
use hasan_host_tests::cmd::{self, require_tool};
use hasan_host_tests::{repo_root, schema_dir};

const XMLLINT: &str = "/usr/bin/xmllint";
const RUNUSER: &str = "/usr/sbin/runuser";

fn golden(name: &str) -> PathBuf {
    repo_root().join("ocf-metadata").join(format!("{name}.xml"))
}

fn schemas() -> Vec<(&'static str, PathBuf)> {
    vec![
        (
            "--dtdvalid",
            PathBuf::from("/usr/share/resource-agents/ra-api-1.dtd"),
        ),
        ("--relaxng", schema_dir().join("ocf-1.1-ra-api.rng")),
        (
            "--relaxng",
            PathBuf::from("/usr/share/pcs/data/ocf-1.0.rng"),
        ),
        (
            "--relaxng",
            PathBuf::from("/usr/share/pcs/data/ocf-1.1.rng"),
        ),
    ]
}

fn meta_data(argv: &mut Command) -> Result<Vec<u8>> {
    let ran = cmd::run(argv, Duration::from_secs(10))?.check()?;
    Ok(ran.stdout.into_bytes())
}

#[test]
fn golden_metadata_covers_the_agents() -> Result<()> {
    let names = agents_with_golden_metadata()?;
    ensure!(
        names.iter().any(|n| n == "vip"),
        "ocf-metadata/vip.xml missing: {names:?}"
    );
    for e in std::fs::read_dir(repo_root().join("agents"))? {
        let agent = e?.file_name().to_string_lossy().into_owned();
        ensure!(
            names.contains(&agent),
            "agents/{agent} has no golden ocf-metadata/{agent}.xml (make metadata)"
        );
    }
    Ok(())
}

#[test]
fn installed_binaries_print_the_golden_metadata() -> Result<()> {
    hasan_host_tests::require_root()?;
    require_tool(RUNUSER)?;
    for name in agents_with_golden_metadata()? {
        let bin = installed(&name)?;
        let want = std::fs::read(golden(&name))?;
        let got = meta_data(Command::new(&bin).arg("meta-data"))?;
        ensure!(
            got == want,
            "{} meta-data differs from ocf-metadata/{name}.xml; if the change is intended run `make metadata` and review the diff\n--- got\n{}",
            bin.display(),
            String::from_utf8_lossy(&got)
        );
        let as_nobody = meta_data(
            Command::new(RUNUSER)
                .args(["-u", "nobody", "--"])
                .arg(&bin)
                .arg("meta-data")
                .current_dir("/"),
        )
        .with_context(|| format!("{name} meta-data as user nobody"))?;
        ensure!(
            as_nobody == want,
            "{name} meta-data as nobody differs from the golden file"
        );
    }
    Ok(())
}

#[test]
fn golden_metadata_validates_against_every_schema() -> Result<()> {
    require_tool(XMLLINT)?;
    for (_, schema) in schemas() {
        ensure!(schema.is_file(), "schema {} is missing", schema.display());
    }
    for name in agents_with_golden_metadata()? {
        let file = golden(&name);
        for (flag, schema) in schemas() {
            let ran = cmd::run(
                Command::new(XMLLINT)
                    .args(["--noout", "--nonet", flag])
                    .arg(&schema)
                    .arg(&file),
                Duration::from_secs(30),
            )?;
            ensure!(
                ran.success(),
                "{} does not validate against {}:\n{}",
                file.display(),
                schema.display(),
                ran.stderr
            );
        }
    }
    Ok(())
}
