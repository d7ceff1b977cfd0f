//! The installed agents and how to run one action the way Pacemaker's executor does: a clean
//! environment with `OCF_ROOT`, `OCF_RESOURCE_INSTANCE`, `OCF_RESKEY_<param>` and the
//! `CRM_meta` timeout/interval, optionally inside a network namespace.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::cmd::{self, Ran};
use crate::netns::Netns;

/// Where OCF agents live.
pub const OCF_ROOT: &str = "/usr/lib/ocf";
/// The `PATH` Pacemaker's executor gives agents.
pub const PCMK_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// `/usr/lib/ocf/resource.d/<provider>/<agent>`.
pub fn ocf_agent(provider: &str, agent: &str) -> PathBuf {
    PathBuf::from(OCF_ROOT)
        .join("resource.d")
        .join(provider)
        .join(agent)
}

/// The installed hasan agent `name`, or a failure telling to run `make install`.
pub fn installed(name: &str) -> Result<PathBuf> {
    let p = ocf_agent("hasan", name);
    if !p.is_file() {
        bail!(
            "{} is not installed: run `make install` (make test does)",
            p.display()
        );
    }
    Ok(p)
}

/// Names of the hasan resource agents that have golden meta-data in `ocf-metadata/*.xml`.
pub fn agents_with_golden_metadata() -> Result<Vec<String>> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(crate::repo_root().join("ocf-metadata"))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "xml") {
            if let Some(stem) = p.file_stem() {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// One agent invocation, built up and then run.
#[derive(Debug, Clone)]
pub struct OcfCall {
    agent: PathBuf,
    action: String,
    instance: String,
    params: Vec<(String, String)>,
    timeout: Duration,
    interval_ms: u64,
    check_level: Option<u32>,
    extra_env: Vec<(String, String)>,
    netns: Option<String>,
}

impl OcfCall {
    /// `agent action` as a probe (interval 0) with a 20 s timeout and instance name `test1`.
    pub fn new(agent: impl Into<PathBuf>, action: &str) -> OcfCall {
        OcfCall {
            agent: agent.into(),
            action: action.to_owned(),
            instance: "test1".into(),
            params: Vec::new(),
            timeout: Duration::from_secs(20),
            interval_ms: 0,
            check_level: None,
            extra_env: Vec::new(),
            netns: None,
        }
    }
    /// Set `OCF_RESKEY_<k>=<v>`.
    pub fn param(mut self, k: &str, v: &str) -> Self {
        self.params.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Set several parameters.
    pub fn params(mut self, kv: &[(&str, &str)]) -> Self {
        for (k, v) in kv {
            self.params.push(((*k).to_owned(), (*v).to_owned()));
        }
        self
    }
    /// A recurring monitor (`CRM_meta_interval` in ms); 0 is a probe.
    pub fn interval_ms(mut self, ms: u64) -> Self {
        self.interval_ms = ms;
        self
    }
    /// `CRM_meta_timeout`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// `OCF_CHECK_LEVEL`.
    pub fn check_level(mut self, level: u32) -> Self {
        self.check_level = Some(level);
        self
    }
    /// Any other environment variable.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.extra_env.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Run inside a network namespace.
    pub fn in_netns(mut self, ns: &Netns) -> Self {
        self.netns = Some(ns.name().to_owned());
        self
    }

    /// The command, environment included.
    pub fn command(&self) -> Command {
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new(crate::netns::IP);
                c.args(["netns", "exec", ns]).arg(&self.agent);
                c
            }
            None => Command::new(&self.agent),
        };
        c.arg(&self.action).env_clear();
        let name = self
            .agent
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let provider = self
            .agent
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        c.env("PATH", PCMK_PATH)
            .env("OCF_ROOT", OCF_ROOT)
            .env("OCF_RA_VERSION_MAJOR", "1")
            .env("OCF_RA_VERSION_MINOR", "1")
            .env("OCF_RESOURCE_INSTANCE", &self.instance)
            .env("OCF_RESOURCE_TYPE", name)
            .env("OCF_RESOURCE_PROVIDER", provider)
            .env("OCF_RESKEY_crm_feature_set", "3.16.2")
            .env(
                "OCF_RESKEY_CRM_meta_timeout",
                self.timeout.as_millis().to_string(),
            )
            .env("OCF_RESKEY_CRM_meta_interval", self.interval_ms.to_string())
            .env("HA_LOGFACILITY", "none");
        if let Some(l) = self.check_level {
            c.env("OCF_CHECK_LEVEL", l.to_string());
        }
        for (k, v) in &self.params {
            c.env(format!("OCF_RESKEY_{k}"), v);
        }
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c
    }

    /// Run it (killed after the timeout plus 5 s).
    pub fn run(&self) -> Result<AgentRun> {
        let ran = cmd::run(&mut self.command(), self.timeout + Duration::from_secs(5))?;
        Ok(AgentRun(ran))
    }
}

/// The result of one agent action.
#[derive(Debug, Clone)]
pub struct AgentRun(pub Ran);

impl AgentRun {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.0.code.unwrap_or(-1)
    }
    /// The `ocf-exit-reason:` lines on stderr, without the prefix.
    pub fn exit_reasons(&self) -> Vec<String> {
        self.0
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("ocf-exit-reason:"))
            .map(str::to_owned)
            .collect()
    }
    /// Fail unless the exit code is `want`.
    pub fn expect_code(self, want: i32) -> Result<AgentRun> {
        if self.code() != want {
            bail!("expected exit {want}, got {}", self.0);
        }
        Ok(self)
    }
}

impl std::fmt::Display for AgentRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
