//! Shared harness for host-tier tests: run tools with deadlines ([`cmd`]), network namespaces with
//! veth pairs ([`netns`]), a one-node Pacemaker ([`pacemaker`]), the installed agents run as
//! Pacemaker runs them ([`agents`]) and what the fence agents' tests share ([`fence`]).
//!
//! Everything a test creates is removed by a `Drop` guard, also when the test fails. Missing
//! tools are failures with a clear message, never silent skips.

pub mod agents;
pub mod cmd;
pub mod fence;
pub mod netns;
pub mod pacemaker;

use std::path::PathBuf;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Schemas vendored in the repository (`tests/schemas/`, each with its licence): the tests read
/// nothing outside the repository and the packages `tests/deps.sh` installs.
pub fn schema_dir() -> PathBuf {
    repo_root().join("tests/schemas")
}

/// Fail unless running as root (the host tier needs namespaces, raw sockets, real paths).
pub fn require_root() -> anyhow::Result<()> {
    anyhow::ensure!(
        rustix::process::geteuid().is_root(),
        "host tests must run as root (make test runs them as root)"
    );
    Ok(())
}
