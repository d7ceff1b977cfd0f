//! A one-node corosync + Pacemaker cluster on the loopback of a test's network namespace (or of
//! the host), with a fresh CIB, for tests that drive agents through the real cluster stack.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use hasan_host_tests::{netns::Netns, pacemaker::{ClusterOptions, Pacemaker}};
//! let ns = Netns::create("hasan-vip-pcmk")?;
//! let cluster = Pacemaker::start(Some(&ns), ClusterOptions::default())?; // waits for the DC
//! cluster.pcs(&["resource", "create", "vip1", "ocf:hasan:vip", "ip=192.0.2.10", "nic=v0"])?;
//! cluster.wait_resource("vip1", "Started", std::time::Duration::from_secs(30))?;
//! cluster.stop()?; // clean shutdown; without it, Drop kills the daemons and keeps the logs
//! # Ok(()) }
//! ```
//!
//! How it is isolated (measured with Debian 12's Pacemaker 2.1 and corosync 3.1):
//! - libqb IPC uses abstract unix sockets, which are per network namespace: the daemons and
//!   every client tool (`pcs`, `crm_mon`, `crm_resource`, `cibadmin` …) must run in the same
//!   namespace. [`Pacemaker::command`] does that.
//! - Pacemaker and corosync keep state in fixed directories. Every process started here runs in
//!   a private mount namespace (`ip netns exec` makes one; on the host `unshare -m`) in which a
//!   temporary directory is bind-mounted over /var/lib/pacemaker, /var/lib/corosync and
//!   /etc/corosync: each cluster has its own CIB and corosync.conf, and the host's are untouched.
//! - The CIB starts from `cibadmin --empty` plus [`ClusterOptions::properties`]
//!   (dc-deadtime=2s makes the node DC in a few seconds instead of ~20).
//! - Only the two daemons started here are ever signalled; Pacemaker's children exit with
//!   pacemakerd. Logs (`corosync.log`, `pacemaker.log`) stay in [`Pacemaker::dir`]; they are
//!   deleted after a clean [`Pacemaker::stop`] and kept (path printed) otherwise.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use crate::cmd::{self, Ran};
use crate::netns::Netns;

/// Settings of the test cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// corosync `cluster_name`.
    pub cluster_name: String,
    /// The one node's name.
    pub node_name: String,
    /// Cluster properties written into the fresh CIB (`crm_config`).
    pub properties: Vec<(String, String)>,
    /// How long to wait for the node to become DC.
    pub dc_timeout: Duration,
}

impl Default for ClusterOptions {
    /// `hasantest` / `node1`, dc-deadtime 2 s, fencing disabled, 90 s to elect a DC.
    fn default() -> Self {
        ClusterOptions {
            cluster_name: "hasantest".into(),
            node_name: "node1".into(),
            properties: vec![
                ("dc-deadtime".into(), "2s".into()),
                ("stonith-enabled".into(), "false".into()),
            ],
            dc_timeout: Duration::from_secs(90),
        }
    }
}

impl ClusterOptions {
    /// The defaults with fencing enabled, for tests that fence through a stonith device.
    pub fn fencing(cluster_name: &str) -> Self {
        ClusterOptions {
            cluster_name: cluster_name.into(),
            properties: vec![
                ("dc-deadtime".into(), "2s".into()),
                ("stonith-enabled".into(), "true".into()),
            ],
            ..ClusterOptions::default()
        }
    }
}

/// The tools this harness needs.
pub const TOOLS: &[&str] = &[
    "/usr/sbin/corosync",
    "/usr/sbin/corosync-quorumtool",
    "/usr/sbin/pacemakerd",
    "/usr/sbin/cibadmin",
    "/usr/sbin/crm_attribute",
    "/usr/sbin/crm_mon",
    "/usr/sbin/pcs",
    "/usr/bin/unshare",
    "/usr/bin/mount",
];

/// A running one-node cluster. Drop kills it (logs kept); [`Pacemaker::stop`] shuts it down cleanly.
#[derive(Debug)]
pub struct Pacemaker {
    dir: PathBuf,
    netns: Option<String>,
    corosync: Option<Child>,
    pacemakerd: Option<Child>,
    node: String,
    clean: bool,
}

fn chown_hacluster(path: &Path) -> Result<()> {
    cmd::ok(
        "/usr/bin/chown",
        &["-R", "hacluster:haclient", &path.to_string_lossy()],
    )
    .map(|_| ())
}

fn corosync_conf(o: &ClusterOptions, dir: &Path) -> String {
    format!(
        "totem {{\n\tversion: 2\n\tcluster_name: {}\n\tcrypto_cipher: none\n\tcrypto_hash: none\n}}\n\
logging {{\n\tto_logfile: yes\n\tlogfile: {}/corosync.log\n\tto_syslog: no\n\tto_stderr: no\n}}\n\
quorum {{\n\tprovider: corosync_votequorum\n}}\n\
nodelist {{\n\tnode {{\n\t\tname: {}\n\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}}\n}}\n",
        o.cluster_name,
        dir.display(),
        o.node_name
    )
}

impl Pacemaker {
    /// Start corosync and pacemakerd in `netns` (None: on the host — only when nothing else
    /// runs a cluster there) and wait until the node is DC.
    pub fn start(netns: Option<&Netns>, opts: ClusterOptions) -> Result<Pacemaker> {
        for t in TOOLS {
            cmd::require_tool(t)?;
        }
        crate::require_root()?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!("hasan-pcmk-{}-", opts.cluster_name))
            .tempdir()?;
        let dir = tmp.keep();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
        let mut me = Pacemaker {
            dir: dir.clone(),
            netns: netns.map(|n| n.name().to_owned()),
            corosync: None,
            pacemakerd: None,
            node: opts.node_name.clone(),
            clean: false,
        };
        for sub in [
            "lib/cib",
            "lib/pengine",
            "lib/blackbox",
            "lib/cores",
            "corosync-lib",
            "etc-corosync",
        ] {
            fs::create_dir_all(dir.join(sub))?;
        }
        fs::write(
            dir.join("etc-corosync/corosync.conf"),
            corosync_conf(&opts, &dir),
        )?;
        // A fresh CIB with the wanted properties, written offline.
        let cib = dir.join("lib/cib/cib.xml");
        fs::write(&cib, cmd::ok("/usr/sbin/cibadmin", &["--empty"])?)?;
        for (k, v) in &opts.properties {
            cmd::run(
                Command::new("/usr/sbin/crm_attribute")
                    .args(["--type", "crm_config", "--name", k, "--update", v])
                    .env("CIB_file", &cib),
                Duration::from_secs(30),
            )?
            .check()
            .with_context(|| format!("setting {k}={v} in the fresh CIB"))?;
        }
        fs::write(dir.join("pacemaker.log"), "")?;
        chown_hacluster(&dir.join("lib"))?;
        chown_hacluster(&dir.join("pacemaker.log"))?;
        for sub in ["lib/cib", "lib/pengine", "lib/blackbox", "lib/cores"] {
            fs::set_permissions(dir.join(sub), fs::Permissions::from_mode(0o750))?;
        }

        me.corosync = Some(me.spawn("corosync", &["/usr/sbin/corosync", "-f"])?);
        // corosync must answer on IPC before pacemakerd starts.
        cmd::wait_for("corosync to come up", Duration::from_secs(30), || {
            let r = me.run_any(
                &["/usr/sbin/corosync-quorumtool", "-s"],
                Duration::from_secs(10),
            )?;
            Ok(r.stdout.contains("Quorate:").then_some(()))
        })?;
        me.pacemakerd = Some(me.spawn("pacemakerd", &["/usr/sbin/pacemakerd", "-f"])?);
        let dc = format!("name=\"{}\"", opts.node_name);
        cmd::wait_for("the node to become DC", opts.dc_timeout, || {
            let xml = me.crm_mon_xml()?;
            Ok(xml
                .lines()
                .any(|l| l.contains("<current_dc present=\"true\"") && l.contains(&dc))
                .then_some(()))
        })?;
        Ok(me)
    }

    /// The directory holding this cluster's state and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// A command that runs `program` in this cluster's network and mount view.
    pub fn command(&self, program: &str) -> Command {
        let d = self.dir.display();
        let script = format!(
            "/usr/bin/mount --bind {d}/lib /var/lib/pacemaker && \
/usr/bin/mount --bind {d}/corosync-lib /var/lib/corosync && \
/usr/bin/mount --bind {d}/etc-corosync /etc/corosync && exec \"$@\""
        );
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new(crate::netns::IP);
                c.args(["netns", "exec", ns]);
                c
            }
            None => {
                let mut c = Command::new("/usr/bin/unshare");
                c.args(["--mount", "--propagation", "slave"]);
                c
            }
        };
        c.args(["/bin/sh", "-c", &script, "sh", program]);
        c
    }

    fn spawn(&self, name: &str, argv: &[&str]) -> Result<Child> {
        let (program, args) = argv.split_first().context("empty command")?;
        let out = fs::File::create(self.dir.join(format!("{name}.out")))?;
        let mut c = self.command(program);
        c.args(args)
            .env("PCMK_logfile", self.dir.join("pacemaker.log"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        c.spawn().with_context(|| format!("starting {name}"))
    }

    /// Run a command line in the cluster's view with a deadline, whatever its exit code.
    pub fn run_any(&self, argv: &[&str], timeout: Duration) -> Result<Ran> {
        let (program, args) = argv.split_first().context("empty command")?;
        cmd::run(self.command(program).args(args), timeout)
    }

    /// Run a command line in the cluster's view (60 s deadline), required to succeed; stdout.
    pub fn run(&self, argv: &[&str]) -> Result<String> {
        Ok(self.run_any(argv, Duration::from_secs(60))?.check()?.stdout)
    }

    /// `pcs <args>` against this cluster's live CIB, required to succeed.
    pub fn pcs(&self, args: &[&str]) -> Result<String> {
        let mut argv = vec!["/usr/sbin/pcs"];
        argv.extend_from_slice(args);
        self.run(&argv)
    }

    /// `crm_mon -1 --output-as=xml`.
    pub fn crm_mon_xml(&self) -> Result<String> {
        Ok(self
            .run_any(
                &["/usr/sbin/crm_mon", "-1", "--output-as=xml"],
                Duration::from_secs(30),
            )?
            .check()?
            .stdout)
    }

    /// The state of a primitive as crm_mon shows it.
    pub fn resource_state(&self, id: &str) -> Result<Option<ResourceState>> {
        let xml = self.crm_mon_xml()?;
        let tag = format!("<resource id=\"{id}\"");
        Ok(xml
            .lines()
            .find(|l| l.trim_start().starts_with(&tag))
            .map(|l| ResourceState {
                role: attr(l, "role").unwrap_or_default(),
                active: attr(l, "active").as_deref() == Some("true"),
                failed: attr(l, "failed").as_deref() == Some("true"),
            }))
    }

    /// Wait until resource `id` has `role` (`Started`, `Stopped` …); fails early if it failed.
    pub fn wait_resource(&self, id: &str, role: &str, timeout: Duration) -> Result<ResourceState> {
        cmd::wait_for(&format!("{id} to be {role}"), timeout, || {
            match self.resource_state(id)? {
                Some(s) if s.failed => bail!("{id} failed: {s:?}\n{}", self.failures()?),
                Some(s) if s.role == role => Ok(Some(s)),
                _ => Ok(None),
            }
        })
    }

    /// Failed operations as crm_mon reports them (empty when none).
    pub fn failures(&self) -> Result<String> {
        let xml = self.crm_mon_xml()?;
        Ok(xml
            .lines()
            .filter(|l| l.contains("<failure "))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// Fail, listing them, if crm_mon reports failed operations.
    pub fn check_no_failures(&self) -> Result<()> {
        let failures = self.failures()?;
        ensure!(failures.is_empty(), "failed actions: {failures}");
        Ok(())
    }

    /// `stonith_admin <args> --timeout 60`, required to succeed (the end of pacemaker.log in the
    /// error otherwise).
    pub fn stonith_admin(&self, args: &[&str]) -> Result<()> {
        let mut argv = vec!["/usr/sbin/stonith_admin"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["--timeout", "60"]);
        let r = self.run_any(&argv, Duration::from_secs(90))?;
        ensure!(
            r.success(),
            "stonith_admin {args:?} failed: {r:?}\n{}",
            self.log_tail(40)
        );
        Ok(())
    }

    /// The last `n` lines of pacemaker.log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = fs::read_to_string(self.dir.join("pacemaker.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Shut the cluster down cleanly (Pacemaker stops its resources first) and remove its
    /// directory. Fails if a daemon does not exit in time; the logs are then kept.
    pub fn stop(mut self) -> Result<()> {
        let pm = terminate(
            self.pacemakerd.take(),
            "pacemakerd",
            Duration::from_secs(90),
        );
        let cs = terminate(self.corosync.take(), "corosync", Duration::from_secs(30));
        pm?;
        cs?;
        self.clean = true;
        fs::remove_dir_all(&self.dir)?;
        Ok(())
    }
}

/// A resource's state from crm_mon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceState {
    /// `Started`, `Stopped` …
    pub role: String,
    /// Active somewhere.
    pub active: bool,
    /// An operation failed.
    pub failed: bool,
}

fn attr(line: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = line.find(&key)? + key.len();
    let len = line[start..].find('"')?;
    Some(line[start..start + len].to_owned())
}

/// SIGTERM a daemon we started and wait for it; SIGKILL after `grace`.
fn terminate(child: Option<Child>, name: &str, grace: Duration) -> Result<()> {
    let Some(mut child) = child else {
        return Ok(());
    };
    if child.try_wait()?.is_some() {
        bail!("{name} had already exited");
    }
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    bail!("{name} did not exit within {grace:?} of SIGTERM and was killed")
}

impl Drop for Pacemaker {
    fn drop(&mut self) {
        if self.clean {
            return;
        }
        let _ = terminate(
            self.pacemakerd.take(),
            "pacemakerd",
            Duration::from_secs(60),
        );
        let _ = terminate(self.corosync.take(), "corosync", Duration::from_secs(20));
        eprintln!(
            "pacemaker test cluster not stopped cleanly; logs kept in {}\n--- pacemaker.log (tail)\n{}",
            self.dir.display(),
            self.log_tail(40)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_from_crm_mon_lines() {
        let l = r#"    <resource id="vip1" resource_agent="ocf:hasan:vip" role="Started" active="true" failed="false" nodes_running_on="1">"#;
        assert_eq!(attr(l, "role").as_deref(), Some("Started"));
        assert_eq!(attr(l, "active").as_deref(), Some("true"));
        assert_eq!(attr(l, "missing"), None);
    }

    #[test]
    fn corosync_conf_names_the_node_on_loopback() {
        let c = corosync_conf(&ClusterOptions::default(), Path::new("/tmp/x"));
        assert!(c.contains("name: node1") && c.contains("ring0_addr: 127.0.0.1"));
        assert!(c.contains("logfile: /tmp/x/corosync.log"));
    }
}
