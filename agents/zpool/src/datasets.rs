//! The pool's datasets as one `zfs list` reports them, and what start must do with them:
//! which encryption keys to load, which file systems to mount, which zvol nodes to wait for.

use std::time::Instant;

use libocf::{Command, CommandError, Runner};

/// The columns asked of `zfs list`, in order.
pub const COLUMNS: &str = "name,type,canmount,mountpoint,mounted,encryptionroot,keylocation,\
keystatus,volmode,sharenfs,sharesmb";

/// How many columns [`COLUMNS`] names.
const NCOLUMNS: usize = 11;

/// One file system or volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Full name (`tank/home`).
    pub name: String,
    /// `filesystem` or `volume`.
    pub kind: String,
    /// `on`, `off`, `noauto` (`-` for volumes).
    pub canmount: String,
    /// Path, `none`, `legacy` (`-` for volumes).
    pub mountpoint: String,
    /// `yes`/`no` (`-` for volumes).
    pub mounted: bool,
    /// The dataset whose key unlocks this one (`-` when not encrypted).
    pub encryption_root: String,
    /// `prompt`, `file:///…`, `https://…`, `none`.
    pub keylocation: String,
    /// `available`, `unavailable`, `-`.
    pub keystatus: String,
    /// For volumes: `default`, `full`, `geom`, `dev`, `none`.
    pub volmode: String,
    /// `sharenfs`: `off`, `on` or export options.
    pub sharenfs: String,
    /// `sharesmb`: `off`, `on` or share options.
    pub sharesmb: String,
    /// How libzfs would mount it (read from the kernel; `None` from `zfs list`, then start
    /// mounts it with `zfs mount`).
    pub mount: Option<crate::mount::MountProps>,
}

impl Dataset {
    /// True if its key is not loaded (it cannot be mounted or used).
    pub fn locked(&self) -> bool {
        self.keystatus == "unavailable"
    }

    /// True if `zfs mount -a` would mount it.
    pub fn should_be_mounted(&self) -> bool {
        self.kind == "filesystem" && self.canmount == "on" && self.mountpoint.starts_with('/')
    }

    /// True if `sharenfs` or `sharesmb` asks for a share (what `zpool import` without `-N`
    /// shares after mounting).
    pub fn shared(&self) -> bool {
        self.kind == "filesystem"
            && [&self.sharenfs, &self.sharesmb]
                .iter()
                .any(|p| !p.is_empty() && p.as_str() != "off" && p.as_str() != "-")
    }

    /// True if this is the root of its own encryption.
    pub fn is_encryption_root(&self) -> bool {
        self.encryption_root == self.name
    }
}

/// Parse `zfs list -H -p -o COLUMNS` output.
pub fn parse(out: &str) -> Vec<Dataset> {
    out.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != NCOLUMNS {
                return None;
            }
            Some(Dataset {
                name: f[0].to_owned(),
                kind: f[1].to_owned(),
                canmount: f[2].to_owned(),
                mountpoint: f[3].to_owned(),
                mounted: f[4] == "yes",
                encryption_root: f[5].to_owned(),
                keylocation: f[6].to_owned(),
                keystatus: f[7].to_owned(),
                volmode: f[8].to_owned(),
                sharenfs: f[9].to_owned(),
                sharesmb: f[10].to_owned(),
                mount: None,
            })
        })
        .collect()
}

/// List the pool's file systems and volumes.
pub fn list(
    tools: &dyn Runner,
    pool: &str,
    deadline: Instant,
) -> Result<Vec<Dataset>, CommandError> {
    let out = tools.stdout(&Command::new("zfs", deadline).args([
        "list",
        "-H",
        "-p",
        "-t",
        "filesystem,volume",
        "-o",
        COLUMNS,
        "-r",
        pool,
    ]))?;
    Ok(parse(&out))
}

/// Encryption roots whose key must be loaded; `Err` names those that can only be typed in.
pub fn keys_to_load(ds: &[Dataset]) -> Result<Vec<&Dataset>, String> {
    let locked: Vec<&Dataset> = ds
        .iter()
        .filter(|d| d.is_encryption_root() && d.locked())
        .collect();
    let prompt: Vec<&str> = locked
        .iter()
        .filter(|d| d.keylocation == "prompt")
        .map(|d| d.name.as_str())
        .collect();
    if prompt.is_empty() {
        Ok(locked)
    } else {
        Err(format!(
            "keylocation=prompt on {}: a cluster cannot type a passphrase; set keylocation to a \
             file:// key on both nodes, or load_keys=false to leave these datasets locked",
            prompt.join(", ")
        ))
    }
}

/// File systems to mount now, parents before children (by mountpoint depth).
pub fn to_mount(ds: &[Dataset]) -> Vec<&Dataset> {
    let mut v: Vec<&Dataset> = ds
        .iter()
        .filter(|d| d.should_be_mounted() && !d.mounted && !d.locked())
        .collect();
    v.sort_by_key(|d| (d.mountpoint.matches('/').count(), d.mountpoint.clone()));
    v
}

/// Device nodes that volumes get under `/dev/zvol`.
pub fn zvol_nodes(ds: &[Dataset]) -> Vec<String> {
    ds.iter()
        .filter(|d| d.kind == "volume" && d.volmode != "none" && !d.locked())
        .map(|d| format!("/dev/zvol/{}", d.name))
        .collect()
}

/// Mounted file systems to share over NFS or SMB once mounted, parents first.
pub fn to_share(ds: &[Dataset]) -> Vec<&Dataset> {
    let mut v: Vec<&Dataset> = ds
        .iter()
        .filter(|d| d.shared() && d.should_be_mounted() && !d.locked())
        .collect();
    v.sort_by_key(|d| (d.mountpoint.matches('/').count(), d.mountpoint.clone()));
    v
}

/// File systems that should be mounted and are not (monitor depth 20). With `keys_loaded`
/// false (`load_keys=false`) a locked dataset is locked on purpose and not counted.
pub fn unmounted(ds: &[Dataset], keys_loaded: bool) -> Vec<&str> {
    ds.iter()
        .filter(|d| d.should_be_mounted() && !d.mounted && (keys_loaded || !d.locked()))
        .map(|d| d.name.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<Dataset> {
        parse(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/zfs-list-after-import.txt"
            ))
            .unwrap(),
        )
    }

    #[test]
    fn recorded_list_parses() {
        let ds = fixture();
        assert_eq!(ds.len(), 6, "{ds:?}");
        assert_eq!(ds[0].name, "labpool");
        assert!(ds.iter().any(|d| d.kind == "volume"));
    }

    #[test]
    fn keys_are_loaded_for_locked_roots_only() {
        let ds = fixture();
        let keys: Vec<&str> = keys_to_load(&ds)
            .unwrap()
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(keys, ["labpool/secret"]);
        let mut prompt = ds.clone();
        for d in &mut prompt {
            if d.name == "labpool/secret" {
                d.keylocation = "prompt".into();
            }
        }
        assert!(keys_to_load(&prompt)
            .unwrap_err()
            .contains("labpool/secret"));
    }

    #[test]
    fn mounts_skip_locked_noauto_legacy_and_mounted() {
        let ds = fixture();
        let m: Vec<&str> = to_mount(&ds).iter().map(|d| d.name.as_str()).collect();
        assert_eq!(m, ["labpool", "labpool/data"]);
        assert_eq!(
            unmounted(&ds, true),
            ["labpool", "labpool/data", "labpool/secret"]
        );
        // load_keys=false: the locked dataset is locked on purpose
        assert_eq!(unmounted(&ds, false), ["labpool", "labpool/data"]);
        assert_eq!(zvol_nodes(&ds), ["/dev/zvol/labpool/vol1"]);
    }

    #[test]
    fn shares_are_what_sharenfs_and_sharesmb_ask_for() {
        let ds = fixture();
        let s: Vec<&str> = to_share(&ds).iter().map(|d| d.name.as_str()).collect();
        assert_eq!(s, ["labpool/data"]);
    }
}
