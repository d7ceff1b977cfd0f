//! The distribution's service units: which unit runs a file service on this distribution
//! (Debian/Ubuntu `nfs-kernel-server`/`smbd`, RHEL/Rocky/Alma `nfs-server`/`smb`), and starting,
//! stopping and configuring units through systemd behind the small [`Units`] trait (a recording
//! fake for unit tests is [`fake::RecordingUnits`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::command::{Command, CommandError};
use crate::runner::{Runner, SystemRunner};
use crate::status::OcfError;

/// The distribution families whose unit names differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distro {
    /// Debian, Ubuntu and derivatives (`ID_LIKE=debian`).
    Debian,
    /// RHEL, Rocky, Alma, CentOS, Fedora (`ID_LIKE` contains rhel or fedora).
    RedHat,
    /// Anything else, with its `ID`.
    Other(String),
}

/// The file services whose unit name depends on the distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileService {
    /// The kernel NFS server.
    Nfs,
    /// Samba's smbd.
    Smb,
}

impl FileService {
    /// The unit that runs it on `distro`, if known.
    pub fn unit_on(self, distro: &Distro) -> Option<&'static str> {
        match (self, distro) {
            (FileService::Nfs, Distro::Debian) => Some("nfs-kernel-server.service"),
            (FileService::Nfs, Distro::RedHat) => Some("nfs-server.service"),
            (FileService::Smb, Distro::Debian) => Some("smbd.service"),
            (FileService::Smb, Distro::RedHat) => Some("smb.service"),
            (_, Distro::Other(_)) => None,
        }
    }

    /// The parameter-facing name (`nfs`, `smb`).
    pub fn name(self) -> &'static str {
        match self {
            FileService::Nfs => "nfs",
            FileService::Smb => "smb",
        }
    }
}

/// The distribution family from the text of `/etc/os-release`.
pub fn distro_from_os_release(text: &str) -> Distro {
    let field = |key: &str| {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
            .map(|v| {
                v.trim()
                    .trim_matches('"')
                    .trim_matches('\'')
                    .to_ascii_lowercase()
            })
            .next()
            .unwrap_or_default()
    };
    let id = field("ID");
    let like = field("ID_LIKE");
    let words: Vec<&str> = std::iter::once(id.as_str())
        .chain(like.split_whitespace())
        .collect();
    if words.iter().any(|w| matches!(*w, "debian" | "ubuntu")) {
        Distro::Debian
    } else if words
        .iter()
        .any(|w| matches!(*w, "rhel" | "fedora" | "centos" | "rocky" | "almalinux"))
    {
        Distro::RedHat
    } else {
        Distro::Other(id)
    }
}

/// The text of `/etc/os-release`, else `/usr/lib/os-release`, under `root` (`/` on a node);
/// empty when neither can be read.
pub fn read_os_release(root: &Path) -> String {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(root.join(p)).ok())
        .unwrap_or_default()
}

/// This node's distribution (`/etc/os-release`, else `/usr/lib/os-release`).
pub fn this_distro() -> Distro {
    distro_from_os_release(&read_os_release(Path::new("/")))
}

/// A unit name as systemd spells it: `smbd` becomes `smbd.service`.
pub fn unit_name(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("{name}.service")
    }
}

/// Checks a unit name given as a parameter: systemd's characters only, no path.
pub fn check_unit_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a systemd unit name (letters, digits and :-_.\\@ only)"
        ))
    }
}

/// The unit for `service`: the one given, else the distribution's; 5 when neither is known.
pub fn resolve_unit(
    given: Option<&str>,
    service: FileService,
    distro: &Distro,
) -> Result<String, OcfError> {
    if let Some(u) = given {
        return Ok(unit_name(u));
    }
    service.unit_on(distro).map(str::to_owned).ok_or_else(|| {
        let id = match distro {
            Distro::Other(id) => id.as_str(),
            _ => "",
        };
        OcfError::installed(format!(
            "no default {} unit for distribution {id:?}: set the unit parameter",
            service.name()
        ))
    })
}

/// Where systemd looks for unit files, in its order (no fork: a unit exists if its file does).
pub const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// True if a unit file (or alias link) of that name is installed.
pub fn unit_installed(unit: &str) -> bool {
    UNIT_DIRS
        .iter()
        .any(|d| Path::new(d).join(unit).symlink_metadata().is_ok())
}

/// The unit's canonical name from its files in `dirs` (the first that has it), without a fork:
/// an alias is a symlink to the unit's file (`nfs-kernel-server.service -> nfs-server.service`
/// on Debian), a unit file is its own name. `None`: not found, or a link that is not a unit of
/// the same type (masked: `-> /dev/null`); ask systemd then.
pub fn canonical_from_files(dirs: &[&Path], unit: &str) -> Option<String> {
    let suffix = unit.rsplit_once('.').map(|(_, s)| s)?;
    let mut name = unit.to_owned();
    for _ in 0..8 {
        let path = dirs
            .iter()
            .map(|d| d.join(&name))
            .find(|p| p.symlink_metadata().is_ok())?;
        let Ok(target) = std::fs::read_link(&path) else {
            return Some(name); // a file: the unit itself
        };
        let next = target.file_name()?.to_str()?.to_owned();
        if next.rsplit_once('.').map(|(_, s)| s) != Some(suffix) {
            return None;
        }
        if next == name {
            return Some(name); // a link to the same name elsewhere (a linked unit file)
        }
        name = next;
    }
    None
}

/// Starts, stops and configures systemd units.
pub trait Units {
    /// `systemctl start UNIT`, waiting for the job.
    fn start(&self, unit: &str, deadline: Instant) -> Result<(), CommandError>;
    /// `systemctl stop UNIT`, waiting for the job.
    fn stop(&self, unit: &str, deadline: Instant) -> Result<(), CommandError>;
    /// `systemctl stop UNIT…`: one transaction, stopped in the reverse of their start order,
    /// waiting for all jobs (one call instead of one per unit; units that do not run cost nothing).
    fn stop_all(&self, units: &[&str], deadline: Instant) -> Result<(), CommandError> {
        units.iter().try_for_each(|u| self.stop(u, deadline))
    }
    /// `systemctl reload UNIT`.
    fn reload(&self, unit: &str, deadline: Instant) -> Result<(), CommandError>;
    /// `systemctl daemon-reload` (after a drop-in changed).
    fn daemon_reload(&self, deadline: Instant) -> Result<(), CommandError>;
    /// The unit's canonical name (`nfs-kernel-server.service` is an alias of
    /// `nfs-server.service` on Debian): drop-ins must use it.
    fn canonical(&self, unit: &str, deadline: Instant) -> Result<String, CommandError>;
}

/// The real systemd: `systemctl` through a [`Runner`] (the [`SystemRunner`] on a node), killed at
/// the deadline.
pub struct Systemd {
    runner: Box<dyn Runner>,
}

impl std::fmt::Debug for Systemd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Systemd")
    }
}

impl Default for Systemd {
    fn default() -> Self {
        Systemd::with(Box::new(SystemRunner))
    }
}

impl Systemd {
    /// systemctl run by `runner` (a [`crate::ScriptedRunner`] in tests).
    pub fn with(runner: Box<dyn Runner>) -> Self {
        Systemd { runner }
    }

    fn systemctl(&self, args: &[&str], deadline: Instant) -> Result<String, CommandError> {
        self.runner
            .stdout(&Command::new("systemctl", deadline).args(args))
    }
}

impl Units for Systemd {
    fn start(&self, unit: &str, deadline: Instant) -> Result<(), CommandError> {
        self.systemctl(&["start", unit], deadline).map(drop)
    }
    fn stop(&self, unit: &str, deadline: Instant) -> Result<(), CommandError> {
        self.systemctl(&["stop", unit], deadline).map(drop)
    }
    fn stop_all(&self, units: &[&str], deadline: Instant) -> Result<(), CommandError> {
        let args: Vec<&str> = std::iter::once("stop")
            .chain(units.iter().copied())
            .collect();
        self.systemctl(&args, deadline).map(drop)
    }
    fn reload(&self, unit: &str, deadline: Instant) -> Result<(), CommandError> {
        self.systemctl(&["reload", unit], deadline).map(drop)
    }
    fn daemon_reload(&self, deadline: Instant) -> Result<(), CommandError> {
        self.systemctl(&["daemon-reload"], deadline).map(drop)
    }
    fn canonical(&self, unit: &str, deadline: Instant) -> Result<String, CommandError> {
        let dirs: Vec<&Path> = UNIT_DIRS.iter().map(Path::new).collect();
        if let Some(name) = canonical_from_files(&dirs, unit) {
            return Ok(name);
        }
        let out = self.systemctl(&["show", "--property=Id", "--value", unit], deadline)?;
        let id = out.trim();
        Ok(if id.is_empty() {
            unit.to_owned()
        } else {
            id.to_owned()
        })
    }
}

/// A runtime drop-in of a unit (`/run/systemd/system/UNIT.d/NAME.conf`): gone at reboot, so a
/// node that crashed with it comes back with the distribution's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropIn {
    /// The file.
    pub path: PathBuf,
}

impl DropIn {
    /// The drop-in `name` of `unit` under `run_dir` (`/run/systemd/system` on a real node).
    pub fn new(run_dir: &Path, unit: &str, name: &str) -> DropIn {
        DropIn {
            path: run_dir
                .join(format!("{unit}.d"))
                .join(format!("{name}.conf")),
        }
    }

    /// Write `text` unless the drop-in already says exactly that; true if it changed (then
    /// `daemon-reload` is due). See [`write_if_changed`].
    pub fn write(&self, text: &str) -> std::io::Result<bool> {
        write_if_changed(&self.path, text)
    }

    /// Remove it; true if it was there.
    pub fn remove(&self) -> std::io::Result<bool> {
        remove_if_present(&self.path)
    }
}

/// Write `text` to `path` (its directory created) unless the file already says exactly that;
/// true if it changed. Written to a temporary file beside it and renamed: never half a file.
pub fn write_if_changed(path: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(true)
}

/// Remove the file at `path`; true if it was there.
pub fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

pub mod fake {
    //! A recording [`Units`] for unit tests: every call in order, with failures on request.
    use super::*;
    use std::sync::Mutex;

    /// Records `start nfs-server.service` … and fails the calls it is told to.
    #[derive(Debug, Default)]
    pub struct RecordingUnits {
        calls: Mutex<Vec<String>>,
        failing: Mutex<Vec<(String, String)>>,
        aliases: Vec<(String, String)>,
    }

    impl RecordingUnits {
        /// Every call succeeds; no aliases.
        pub fn new() -> Self {
            Self::default()
        }
        /// `alias` is another name of `canonical`.
        pub fn alias(mut self, alias: &str, canonical: &str) -> Self {
            self.aliases.push((alias.into(), canonical.into()));
            self
        }
        /// The call `line` (e.g. `start smbd.service`) fails with `stderr`.
        pub fn failing(self, line: &str, stderr: &str) -> Self {
            if let Ok(mut f) = self.failing.lock() {
                f.push((line.into(), stderr.into()));
            }
            self
        }
        /// The calls so far.
        pub fn calls(&self) -> Vec<String> {
            self.calls.lock().map(|c| c.clone()).unwrap_or_default()
        }
        fn record(&self, line: String) -> Result<(), CommandError> {
            if let Ok(mut c) = self.calls.lock() {
                c.push(line.clone());
            }
            let fail = self
                .failing
                .lock()
                .ok()
                .and_then(|f| f.iter().find(|(l, _)| *l == line).map(|(_, e)| e.clone()));
            match fail {
                Some(stderr) => Err(CommandError::Failed {
                    command: format!("systemctl {line}"),
                    status: "exit code 1".into(),
                    code: Some(1),
                    stderr,
                    stdout: String::new(),
                }),
                None => Ok(()),
            }
        }
    }

    impl Units for RecordingUnits {
        fn start(&self, unit: &str, _: Instant) -> Result<(), CommandError> {
            self.record(format!("start {unit}"))
        }
        fn stop(&self, unit: &str, _: Instant) -> Result<(), CommandError> {
            self.record(format!("stop {unit}"))
        }
        fn stop_all(&self, units: &[&str], _: Instant) -> Result<(), CommandError> {
            self.record(format!("stop {}", units.join(" ")))
        }
        fn reload(&self, unit: &str, _: Instant) -> Result<(), CommandError> {
            self.record(format!("reload {unit}"))
        }
        fn daemon_reload(&self, _: Instant) -> Result<(), CommandError> {
            self.record("daemon-reload".into())
        }
        fn canonical(&self, unit: &str, _: Instant) -> Result<String, CommandError> {
            Ok(self
                .aliases
                .iter()
                .find(|(a, _)| a == unit)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| unit.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";
    const UBUNTU: &str =
        "NAME=\"Ubuntu\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n";
    const ROCKY9: &str = "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n";
    const ALMA8: &str = "NAME=\"AlmaLinux\"\nVERSION=\"8.9 (Midnight Oncilla)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\n";
    const RHEL9: &str = "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\n";
    const ARCH: &str = "NAME=\"Arch Linux\"\nID=arch\n";

    #[test]
    fn units_follow_the_distribution() {
        for (text, nfs, smb) in [
            (DEBIAN12, "nfs-kernel-server.service", "smbd.service"),
            (UBUNTU, "nfs-kernel-server.service", "smbd.service"),
            (ROCKY9, "nfs-server.service", "smb.service"),
            (ALMA8, "nfs-server.service", "smb.service"),
            (RHEL9, "nfs-server.service", "smb.service"),
        ] {
            let d = distro_from_os_release(text);
            assert_eq!(FileService::Nfs.unit_on(&d), Some(nfs), "{text}");
            assert_eq!(FileService::Smb.unit_on(&d), Some(smb), "{text}");
        }
        let arch = distro_from_os_release(ARCH);
        assert_eq!(arch, Distro::Other("arch".into()));
        let e = resolve_unit(None, FileService::Smb, &arch).unwrap_err();
        assert_eq!(e.status, crate::OcfStatus::ErrInstalled);
        assert!(e.reason.contains("set the unit parameter"), "{e}");
        assert_eq!(
            resolve_unit(Some("samba-ad-dc"), FileService::Smb, &arch).unwrap(),
            "samba-ad-dc.service"
        );
    }

    #[test]
    fn unit_names_are_checked() {
        assert!(check_unit_name("nfs-server.service").is_ok());
        assert!(check_unit_name("smbd").is_ok());
        for bad in ["", "../x", "a b", "x;reboot", ".hidden", "/etc/x"] {
            assert!(check_unit_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn drop_ins_are_written_once_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let d = DropIn::new(tmp.path(), "nfs-server.service", "50-hasan");
        assert!(d.path.ends_with("nfs-server.service.d/50-hasan.conf"));
        assert!(d.write("[Service]\n").unwrap());
        assert!(!d.write("[Service]\n").unwrap(), "same text: no change");
        assert!(d.write("[Service]\nX=1\n").unwrap());
        assert!(d.remove().unwrap());
        assert!(!d.remove().unwrap());
    }

    #[test]
    fn canonical_names_come_from_the_unit_files() {
        // Debian 12's nfs-kernel-server: an alias symlink beside the unit
        let tmp = tempfile::tempdir().unwrap();
        let (etc, lib) = (tmp.path().join("etc"), tmp.path().join("lib"));
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("nfs-server.service"), "[Unit]\n").unwrap();
        std::os::unix::fs::symlink("nfs-server.service", lib.join("nfs-kernel-server.service"))
            .unwrap();
        std::os::unix::fs::symlink("/dev/null", etc.join("smbd.service")).unwrap();
        std::fs::write(lib.join("smbd.service"), "[Unit]\n").unwrap();
        let dirs = [etc.as_path(), lib.as_path()];
        let c = |u| canonical_from_files(&dirs, u);
        assert_eq!(
            c("nfs-kernel-server.service").as_deref(),
            Some("nfs-server.service")
        );
        assert_eq!(
            c("nfs-server.service").as_deref(),
            Some("nfs-server.service")
        );
        assert_eq!(c("smbd.service"), None, "masked: systemd is asked");
        assert_eq!(c("nmbd.service"), None, "not installed: systemd is asked");
    }

    #[test]
    fn systemd_runs_systemctl_with_the_deadline() {
        // recorded on Debian 12: the alias resolves to the unit's Id; a failed job's message
        let script = crate::ScriptedRunner::new()
            .ok(
                "systemctl show --property=Id --value nfs-kernel-server.service",
                "nfs-server.service\n",
            )
            .fail(
                "systemctl start smbd.service",
                "Job for smbd.service failed because the control process exited with error code.",
            )
            .ok("systemctl daemon-reload", "")
            .ok("systemctl stop nfs-server.service nfsdcld.service", "");
        let sd = Systemd::with(Box::new(script));
        let soon = Instant::now() + std::time::Duration::from_secs(5);
        assert_eq!(
            sd.canonical("nfs-kernel-server.service", soon).unwrap(),
            "nfs-server.service"
        );
        let e = sd.start("smbd.service", soon).unwrap_err();
        assert!(e.to_string().contains("control process exited"), "{e}");
        sd.daemon_reload(soon).unwrap();
        sd.stop_all(&["nfs-server.service", "nfsdcld.service"], soon)
            .unwrap();
    }

    #[test]
    fn the_fake_records_and_fails_on_request() {
        let u = fake::RecordingUnits::new()
            .alias("nfs-kernel-server.service", "nfs-server.service")
            .failing("start smbd.service", "Job failed");
        let t = Instant::now();
        assert_eq!(
            u.canonical("nfs-kernel-server.service", t).unwrap(),
            "nfs-server.service"
        );
        u.stop("smbd.service", t).unwrap();
        let e = u.start("smbd.service", t).unwrap_err();
        assert!(e.to_string().contains("Job failed"), "{e}");
        assert_eq!(u.calls(), ["stop smbd.service", "start smbd.service"]);
    }
}
