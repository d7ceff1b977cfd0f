//! The import: the labels read once before it decide the path (see [`crate::decide`]); ZFS's
//! refusals are classified; `-f` only when the current uberblock shows the pool left by another
//! host with multihost on, so that ZFS's activity check protects the force.

use std::time::{Duration, Instant};

use libocf::{Budget, Command, CommandError, OcfError, Runner};

use crate::decide::{self, Allowed, Me, Plan};
use crate::importargs::ImportArgs;
use crate::labels::{self, DeviceLabels, LabelsProblem, PoolOnDisk};
use crate::mmp::{self, MmpParams};
use crate::ondisk::device;
use crate::sysfs::Fs;

/// What ZFS's refusal to import means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// MMP (or the import listing) says the pool is in use on another host right now.
    ActiveElsewhere,
    /// Another host imported it last and did not export it; it is not seen active.
    LastUsedElsewhere,
    /// The pool has multihost=on and this host has no hostid.
    NoHostid,
    /// No pool of that name is visible here.
    NotFound,
    /// A pool of that name is already imported here.
    AlreadyImported,
    /// Anything else.
    Other,
}

/// Classify ZFS's message (`zpool import` stderr, OpenZFS 2.1 wording; see the fixtures).
pub fn classify(stderr: &str) -> Refusal {
    let s = stderr.to_ascii_lowercase();
    let has = |p: &str| s.contains(p);
    if has("pool is imported on ")
        || has("currently imported on host")
        || has("currently imported by another system")
        || has("activity check")
    {
        Refusal::ActiveElsewhere
    } else if has("hostid is not set") {
        Refusal::NoHostid
    } else if has("previously in use from another system") || has("last accessed by another system")
    {
        Refusal::LastUsedElsewhere
    } else if has("a pool with that name already exists") || has("already imported") {
        Refusal::AlreadyImported
    } else if has("no such pool available") || has("no pools available") {
        Refusal::NotFound
    } else {
        Refusal::Other
    }
}

/// How the pool came to be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A plain import: it had been exported, or last used by this host.
    Plain,
    /// Forced: another host used it last; ZFS's multihost activity check (computed to wait up
    /// to `activity_check`) found it no longer writing.
    Forced {
        /// The activity check's wait as ZFS computes it from the writer's uberblock.
        activity_check: Duration,
        /// How many times it runs ([`mmp::checks_per_import`]).
        checks: u32,
    },
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Imported::Plain => f.write_str("plain import"),
            Imported::Forced {
                activity_check,
                checks: 1,
            } => write!(
                f,
                "imported with -f after ZFS's multihost activity check (mmp wait up to {:.1} s)",
                activity_check.as_secs_f64()
            ),
            Imported::Forced {
                activity_check,
                checks,
            } => write!(
                f,
                "imported with -f after ZFS's multihost activity check (mmp wait up to {:.1} s), \
                 run {checks} times: the writer's last uberblock carries no MMP sequence, so the \
                 import repeats the check of zpool's tryimport",
                activity_check.as_secs_f64()
            ),
        }
    }
}

/// What start may do with `-f`, and who this node is.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The pool.
    pub pool: &'a str,
    /// `pool_guid`: import by this guid (the pool's identity), not by name.
    pub guid: Option<u64>,
    /// Extra import arguments (already checked).
    pub args: &'a ImportArgs,
    /// `importforce`, `single_activity_check`, `allow_no_multihost`.
    pub allowed: Allowed,
    /// This node's hostid and hostname.
    pub me: Me<'a>,
    /// This node's multihost module parameters.
    pub local: MmpParams,
    /// Where `zpool import` looks for the pool's devices (`-d`); empty: everywhere.
    pub search: &'a [String],
    /// Where the kernel says whether the pool is imported.
    pub fs: &'a Fs,
}

impl Policy<'_> {
    /// `zpool import -N`: the agent then loads keys, mounts (mount(2), as libzfs does) and
    /// shares what `zpool import` without `-N` would have (as heartbeat/ZFS's import did), without
    /// zpool's second pass over the datasets and its `exportfs -ra` for a pool that shares
    /// nothing.
    fn command(&self, force: bool, deadline: Instant) -> Command {
        Command::new("zpool", deadline)
            .args(["import", "-N", "-o", "cachefile=none"])
            .args(force.then_some("-f"))
            .args(self.args.args())
            .args(
                (!self.args.searches())
                    .then_some(self.search)
                    .into_iter()
                    .flatten()
                    .flat_map(|p| ["-d", p.as_str()]),
            )
            .arg(
                self.guid
                    .map_or_else(|| self.pool.to_owned(), |g| g.to_string()),
            )
    }
}

impl Policy<'_> {
    /// True if the import failed only after importing: `zpool import` exits 1 when a file
    /// system cannot be mounted or shared, with the pool imported. Start goes on; its own mount
    /// and share steps report the dataset clearly.
    fn imported_anyway(&self, e: &CommandError) -> bool {
        let imported = crate::sysfs::pool_state(self.fs, self.pool).is_some();
        if imported {
            tracing::warn!(
                "pool {}: zpool import reported a failure but the pool is imported: {}",
                self.pool,
                libocf::status::one_line(e.said())
            );
        }
        imported
    }
}

fn zfs_says(e: &CommandError) -> String {
    match e {
        CommandError::Failed { .. } => {
            format!("ZFS says: {}", libocf::status::one_line(e.said()))
        }
        other => other.to_string(),
    }
}

fn tool_failure(e: CommandError, pool: &str) -> OcfError {
    match e {
        e @ CommandError::Failed { .. } => {
            OcfError::generic(format!("cannot import pool {pool}: {}", zfs_says(&e)))
        }
        e @ CommandError::TimedOut { .. } => {
            OcfError::from(e).context(format!("import of pool {pool} did not finish in time"))
        }
        e => OcfError::from(e).context(format!("cannot import pool {pool}")),
    }
}

fn refuse_active(pool: &str, e: &CommandError) -> OcfError {
    OcfError::generic(format!(
        "pool {pool} is in use on another host (multihost activity seen); refusing to import \
         and never forcing over it; the pool was not touched. {}",
        zfs_says(e)
    ))
}

/// How long reading the labels may take (every block device, in parallel), reserved by start.
pub const LABEL_READ: Duration = Duration::from_secs(15);

/// Read the pool's labels once, in-process: every block device's four labels (see
/// [`crate::ondisk::device`]), keeping the devices whose labels name the pool. A device that does
/// not answer in time is named and left out; when no device shows the pool and some did not
/// answer, that is the error.
pub fn read_labels(
    fs: &Fs,
    budget: &Budget,
    pool: &str,
    guid: Option<u64>,
) -> Result<PoolOnDisk, LabelsProblem> {
    let until = budget.sub_deadline(LABEL_READ);
    let mut scan = device::scan(fs, &device::candidates(fs), pool, until);
    for (dev, e) in &scan.failed {
        tracing::warn!("cannot read the labels of {dev}: {e}");
    }
    // a device whose labels name the pool only where their checksum fails shows nothing
    let ours: Vec<DeviceLabels> = std::mem::take(&mut scan.read)
        .into_iter()
        .filter(|d| d.configs.iter().flatten().any(|c| c.name == pool))
        .collect();
    if !scan.unanswered.is_empty() {
        let devices = scan.unanswered.join(", ");
        tracing::warn!(
            "no answer from {devices} in the time given to the label read: their labels were \
             not read"
        );
        if ours.is_empty() {
            return Err(LabelsProblem::Unanswered {
                pool: pool.to_owned(),
                devices,
            });
        }
    }
    let mut on_disk = labels::current(&ours, pool, guid)?;
    match search_paths(fs, &scan, &ours, on_disk.guid) {
        Ok(paths) => on_disk.search = paths,
        Err(why) => tracing::debug!("pool {pool}: zpool import searches every device: {why}"),
    }
    Ok(on_disk)
}

/// The paths to hand `zpool import -d` so that it reads just the pool's devices instead of
/// probing every block device (about a third of a plain import's time in the lab): each
/// member's path as its label records it, when that path still leads to the device read. The
/// import then finds exactly what a full search finds, under the same names; anything that could
/// make the two differ means a full search, with the reason.
pub fn search_paths(
    fs: &Fs,
    scan: &device::Scan,
    ours: &[DeviceLabels],
    guid: u64,
) -> Result<Vec<String>, String> {
    if !scan.failed.is_empty() || !scan.unanswered.is_empty() {
        return Err("some devices could not be read".into());
    }
    if let Some(dev) = scan.spares_or_caches.first() {
        return Err(format!(
            "{dev} is a hot spare or cache device, which only the pool's configuration names"
        ));
    }
    let members = labels::members(ours, guid);
    let mut vdevs = std::collections::BTreeSet::new();
    let mut paths = Vec::new();
    for (dev, vdev, path) in members {
        let (Some(vdev), Some(path)) = (vdev, path) else {
            return Err(format!("the label of {dev} names no vdev path"));
        };
        if !vdevs.insert(vdev) {
            return Err(format!(
                "vdev {vdev} is seen on several devices (multipath?)"
            ));
        }
        let real = |p: &str| std::fs::canonicalize(fs.path(p)).ok();
        let recorded = real(path);
        if recorded.is_none() || recorded != real(dev) {
            return Err(format!(
                "{path} (recorded in the label of {dev}) is not {dev} here"
            ));
        }
        paths.push(path.to_owned());
    }
    if paths.is_empty() {
        return Err("no member device".into());
    }
    paths.sort();
    Ok(paths)
}

/// Import the pool as its labels (read once, before) allow: a plain import for an exported
/// pool or one this host left, `-f` at once for one left by another host with multihost on,
/// the two-step path when the labels decide nothing, or a refusal.
pub fn import(
    tools: &dyn Runner,
    budget: &Budget,
    p: &Policy,
    on_disk: &Result<PoolOnDisk, LabelsProblem>,
) -> Result<Imported, OcfError> {
    let pool = p.pool;
    match decide::plan(pool, on_disk, p.me, p.allowed, &p.local)? {
        Plan::ForceAfterCheck {
            hostid,
            hostname,
            check,
            checks,
        } => {
            tracing::info!(
                "the current uberblock of pool {pool} shows it left imported by host \
                 '{hostname}' (hostid {hostid:08x}) with multihost=on: importing with -f at once"
            );
            forced(tools, budget, p, check, checks)
        }
        Plan::Plain => plain(tools, budget, p),
        Plan::TwoStep(why) => {
            tracing::info!("pool {pool}: {why}; plain import first");
            plain(tools, budget, p)
        }
    }
}

fn plain(tools: &dyn Runner, budget: &Budget, p: &Policy) -> Result<Imported, OcfError> {
    let pool = p.pool;
    let first = tools.run(&p.command(false, budget.deadline()));
    let err = match first {
        Ok(_) => return Ok(Imported::Plain),
        Err(e) if p.imported_anyway(&e) => return Ok(Imported::Plain),
        Err(e @ CommandError::Failed { .. }) => e,
        Err(e) => return Err(tool_failure(e, pool)),
    };
    match classify(err.said()) {
        Refusal::ActiveElsewhere => Err(refuse_active(pool, &err)),
        Refusal::NoHostid => Err(OcfError::installed(format!(
            "pool {pool} has multihost=on and this node has no hostid (run zgenhostid); {}",
            zfs_says(&err)
        ))),
        Refusal::NotFound => Err(OcfError::generic(format!(
            "no pool named {pool}{} is visible to this node (check its disks and importargs -d); {}",
            p.guid
                .map(|g| format!(" with pool_guid {g}"))
                .unwrap_or_default(),
            zfs_says(&err)
        ))),
        Refusal::AlreadyImported => Err(OcfError::generic(format!(
            "a pool named {pool} is already imported under another identity here; {}",
            zfs_says(&err)
        ))),
        Refusal::Other => Err(tool_failure(err, pool)),
        Refusal::LastUsedElsewhere => force_import(tools, budget, p, &err),
    }
}

/// ZFS refused the plain import because another host used the pool last: read the labels
/// again (they may have changed since) and force only what they show to be protected.
fn force_import(
    tools: &dyn Runner,
    budget: &Budget,
    p: &Policy,
    refusal: &CommandError,
) -> Result<Imported, OcfError> {
    let pool = p.pool;
    if !p.allowed.force {
        return Err(OcfError::generic(format!(
            "pool {pool} was last used by another host and not exported; importforce=false \
             forbids zpool import -f. {}",
            zfs_says(refusal)
        )));
    }
    let on_disk = read_labels(p.fs, budget, pool, p.guid);
    let checks = on_disk
        .as_ref()
        .map_or(2, |d| mmp::checks_per_import(d.current.mmp.as_ref()));
    let check = match &on_disk {
        Ok(d) if d.multihost() && d.active() => {
            mmp::activity_check(&p.local, d.current.mmp.as_ref())
        }
        _ if p.allowed.no_multihost => {
            tracing::warn!(
                "forcing the import of pool {pool} without multihost protection \
                 (allow_no_multihost=true): if the other host still has it imported, the pool \
                 will be corrupted"
            );
            p.local.activity_check()
        }
        Ok(d) if d.multihost() => {
            return Err(OcfError::generic(format!(
                "ZFS says pool {pool} was last used by another host, but its labels show it \
                 exported; refusing zpool import -f (the pool may be changing hands: retry)"
            )))
        }
        Ok(_) => {
            return Err(OcfError::configured(format!(
                "pool {pool} was last used by another host and its current uberblock shows \
                 multihost=off: nothing proves that host stopped using it, refusing zpool \
                 import -f (set multihost=on, or allow_no_multihost=true to accept the risk)"
            )))
        }
        Err(e) => {
            return Err(OcfError::generic(format!(
                "pool {pool} was last used by another host and its multihost setting could not \
                 be read from the disks ({e}); refusing zpool import -f"
            )))
        }
    };
    // the labels may now show what start refuses (a cloned hostid, multihost switched off)
    if let Ok(d) = &on_disk {
        decide::plan(pool, &Ok(d.clone()), p.me, p.allowed, &p.local)?;
    }
    forced(tools, budget, p, check, checks)
}

/// `zpool import -f`, whose multihost activity check (up to `check`) refuses a pool another
/// host still writes.
fn forced(
    tools: &dyn Runner,
    budget: &Budget,
    p: &Policy,
    check: Duration,
    checks: u32,
) -> Result<Imported, OcfError> {
    let pool = p.pool;
    budget.ensure(
        check * checks + mmp::IMPORT_MARGIN,
        if checks == 1 {
            "the forced import's multihost activity check"
        } else {
            "the forced import's multihost activity checks (the tryimport's, then the import's)"
        },
    )?;
    tracing::info!(
        "pool {pool}: importing with -f; multihost's activity check (up to {:.1} s{}) refuses \
         it if the other host is still alive",
        check.as_secs_f64(),
        if checks == 1 { "" } else { ", twice" }
    );
    let imported = Imported::Forced {
        activity_check: check,
        checks,
    };
    match tools.run(&p.command(true, budget.deadline())) {
        Ok(_) => Ok(imported),
        Err(e) if p.imported_anyway(&e) => Ok(imported),
        Err(e @ CommandError::Failed { .. }) if classify(e.said()) == Refusal::ActiveElsewhere => {
            Err(refuse_active(pool, &e))
        }
        Err(e) => Err(tool_failure(e, pool)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::fixture;
    use libocf::ScriptedRunner as Script;

    const IMPORT: &str = "zpool import -N -o cachefile=none labpool";
    const FORCE: &str = "zpool import -N -o cachefile=none -f labpool";
    const NODE1: u32 = 0x0a77_000b;
    /// A system where no pool is imported (nothing at the kstat paths).
    static NO_POOL: std::sync::LazyLock<Fs> =
        std::sync::LazyLock::new(|| Fs::rooted("/nonexistent-hasan-test-root"));
    const NODE2: u32 = 0x0a77_000c;

    fn policy<'a>(args: &'a ImportArgs, hostid: u32, hostname: &'a str) -> Policy<'a> {
        Policy {
            pool: "labpool",
            guid: None,
            args,
            allowed: Allowed {
                force: true,
                single_check: true,
                no_multihost: false,
            },
            me: Me { hostid, hostname },
            local: crate::mmp::DEFAULTS,
            search: &[],
            fs: &NO_POOL,
        }
    }

    fn budget() -> Budget {
        Budget::new(Duration::from_secs(120))
    }

    /// The pool as the recorded `zdb -l` output of one device shows it.
    fn disk(file: &str) -> Result<PoolOnDisk, LabelsProblem> {
        labels::current(
            &[labels::parse("/dev/vdc1", &fixture(file))],
            "labpool",
            None,
        )
    }

    #[test]
    fn recorded_messages_are_classified() {
        for (file, want) in [
            ("import-active-elsewhere.txt", Refusal::ActiveElsewhere),
            (
                "import-force-active-elsewhere.txt",
                Refusal::ActiveElsewhere,
            ),
            ("import-last-used-elsewhere.txt", Refusal::LastUsedElsewhere),
            ("import-not-found.txt", Refusal::NotFound),
            ("import-no-hostid.txt", Refusal::NoHostid),
        ] {
            assert_eq!(classify(&fixture(file)), want, "{file}");
        }
        assert_eq!(classify("cannot import 'tank': I/O error"), Refusal::Other);
    }

    /// A node's devices: recorded label areas (`ondisk-FIXTURE.*`) as `/dev/NAME`.
    fn devices(disks: &[(&str, &str)]) -> (tempfile::TempDir, Fs) {
        let dir = tempfile::tempdir().unwrap();
        for (name, fixture) in disks {
            crate::ondisk::tests::install(dir.path(), name, fixture);
        }
        let fs = Fs::rooted(dir.path());
        (dir, fs)
    }

    const SHARED_POOL: u64 = 17_634_803_849_866_148_418;
    const OTHER_POOL: u64 = 17_217_662_889_681_887_709;

    #[test]
    fn the_labels_are_read_from_the_devices_that_name_the_pool() {
        let (_dir, fs) = devices(&[
            ("vdc1", "left-active-by-crash"),
            ("vdd1", "other-pool-same-name-ashift12"),
        ]);
        assert!(matches!(
            read_labels(&fs, &budget(), "labpool", None),
            Err(LabelsProblem::Ambiguous { ref guids, .. }) if guids == &[OTHER_POOL, SHARED_POOL]
        ));
        let d = read_labels(&fs, &budget(), "labpool", Some(SHARED_POOL)).unwrap();
        assert!(d.active() && d.multihost());
        assert_eq!(
            (d.hostid(), d.device.as_str()),
            (u64::from(NODE1), "/dev/vdc1")
        );
        let d = read_labels(&fs, &budget(), "labpool", Some(OTHER_POOL)).unwrap();
        assert!(!d.active());
        assert_eq!((d.hostname(), d.device.as_str()), ("node2", "/dev/vdd1"));
        assert_eq!(
            read_labels(&fs, &budget(), "tank", None),
            Err(LabelsProblem::NotFound("tank".into()))
        );
        assert_eq!(
            read_labels(&NO_POOL, &budget(), "labpool", None),
            Err(LabelsProblem::NotFound("labpool".into()))
        );
    }

    /// The name the recorded labels give their device.
    const LABEL_PATH: &str = "/dev/disk/by-id/virtio-shared0-part1";

    fn by_id_link(fs: &Fs, dev: &str) {
        std::fs::create_dir_all(fs.path("/dev/disk/by-id")).unwrap();
        std::os::unix::fs::symlink(format!("../../{dev}"), fs.path(LABEL_PATH)).unwrap();
    }

    #[test]
    fn the_import_reads_only_the_pools_devices_by_the_names_their_labels_give_them() {
        let (_dir, fs) = devices(&[
            ("vdc1", "left-active-by-crash"),
            ("vdd1", "other-pool-same-name-ashift12"),
        ]);
        // no device answers to the recorded name: ZFS must search (and rename) itself
        let d = read_labels(&fs, &budget(), "labpool", Some(SHARED_POOL)).unwrap();
        assert_eq!(d.search, Vec::<String>::new());
        by_id_link(&fs, "vdc1");
        let d = read_labels(&fs, &budget(), "labpool", Some(SHARED_POOL)).unwrap();
        assert_eq!(d.search, [LABEL_PATH]);
        for (importargs, command) in [
            (
                "",
                "zpool import -N -o cachefile=none -d /dev/disk/by-id/virtio-shared0-part1 labpool",
            ),
            // the operator's own -d wins
            (
                "-d /dev/disk/by-path",
                "zpool import -N -o cachefile=none -d /dev/disk/by-path labpool",
            ),
        ] {
            let args = ImportArgs::parse(importargs).unwrap();
            let p = Policy {
                search: &d.search,
                ..policy(&args, NODE2, "node2")
            };
            let z = Script::new().ok(command, "");
            assert_eq!(plain(&z, &budget(), &p).unwrap(), Imported::Plain);
        }
    }

    #[test]
    fn a_label_name_leading_to_another_device_means_a_full_search() {
        let (_dir, fs) = devices(&[
            ("vdc1", "left-active-by-crash"),
            ("vdd1", "other-pool-same-name-ashift12"),
        ]);
        // on the peer of a SAN the recorded name is another disk
        by_id_link(&fs, "vdd1");
        let d = read_labels(&fs, &budget(), "labpool", Some(SHARED_POOL)).unwrap();
        assert_eq!(d.search, Vec::<String>::new());
    }

    #[test]
    fn a_spare_or_cache_device_on_the_node_means_a_full_search() {
        use crate::ondisk::nvlist::pack::{pack, P};
        use std::os::unix::fs::FileExt;
        let (_dir, fs) = devices(&[("vdc1", "left-active-by-crash")]);
        by_id_link(&fs, "vdc1");
        assert_eq!(
            read_labels(&fs, &budget(), "labpool", None).unwrap().search,
            [LABEL_PATH]
        );
        // a spare's label: version, state 3 (POOL_STATE_SPARE) and its guid, no pool name
        let size: u64 = 128 << 20;
        let f = std::fs::File::create(fs.path("/dev/vde")).unwrap();
        f.set_len(size).unwrap();
        let label = pack(&[
            P::U64("version", 5000),
            P::U64("state", 3),
            P::U64("guid", 7),
        ]);
        f.write_all_at(&label, 16 << 10).unwrap();
        std::fs::create_dir_all(fs.path("/sys/class/block/vde")).unwrap();
        std::fs::write(
            fs.path("/sys/class/block/vde/size"),
            format!("{}\n", size / 512),
        )
        .unwrap();
        assert_eq!(
            read_labels(&fs, &budget(), "labpool", None).unwrap().search,
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_device_that_never_answers_is_named_and_never_waited_for_beyond_the_deadline() {
        // a FIFO without a writer blocks its open forever, as a dead iSCSI disk blocks a read
        let fifo = |fs: &Fs| {
            std::fs::create_dir_all(fs.path("/dev")).unwrap();
            rustix::fs::mknodat(
                rustix::fs::CWD,
                fs.path("/dev/sdx"),
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o600),
                0,
            )
            .unwrap();
            std::fs::create_dir_all(fs.path("/sys/class/block/sdx")).unwrap();
            std::fs::write(fs.path("/sys/class/block/sdx/size"), "4194304\n").unwrap();
        };
        let short = Budget::new(Duration::from_millis(500));
        let (_dir, fs) = devices(&[]);
        fifo(&fs);
        assert_eq!(
            read_labels(&fs, &short, "labpool", None),
            Err(LabelsProblem::Unanswered {
                pool: "labpool".into(),
                devices: "/dev/sdx".into()
            })
        );
        // the pool's own device answered: its labels decide, the silent one is only logged
        let (_dir, fs) = devices(&[("vdc1", "left-active-by-crash")]);
        fifo(&fs);
        // long enough for the real device on a loaded machine, however long the FIFO blocks
        let short = Budget::new(Duration::from_secs(3));
        let d = read_labels(&fs, &short, "labpool", None).unwrap();
        assert!(d.active() && d.multihost());
    }

    #[test]
    fn an_exported_pool_is_imported_plainly() {
        let args = ImportArgs::parse("-d /dev/disk/by-path").unwrap();
        let z = Script::new().ok(
            "zpool import -N -o cachefile=none -d /dev/disk/by-path labpool",
            "",
        );
        let p = policy(&args, NODE2, "node2");
        let got = import(&z, &budget(), &p, &disk("zdb-lu-multihost-on.txt"));
        assert_eq!(got, Ok(Imported::Plain));
        assert!(z.done());
    }

    #[test]
    fn a_pool_left_by_another_multihost_host_is_forced_at_once() {
        let args = ImportArgs::default();
        let z = Script::new().ok(FORCE, "");
        let p = policy(&args, NODE2, "node2");
        let got = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt"));
        assert!(matches!(got, Ok(Imported::Forced { .. })), "{got:?}");
        assert_eq!(z.ran(), [FORCE], "one import, one activity check");
        // ... and refused when the activity check sees the other host alive
        let z = Script::new().fail(FORCE, &fixture("import-force-active-elsewhere.txt"));
        let e = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt")).unwrap_err();
        assert!(e.reason.contains("in use on another host"), "{}", e.reason);
    }

    #[test]
    fn a_start_timeout_that_fits_one_activity_check_but_not_two_is_refused_before_importing() {
        // the SAN's crash in the lab: the last uberblock of the dead node was a txg sync
        let mut d = disk("zdb-lu-left-imported.txt").unwrap();
        let mmp = d.current.mmp.as_mut().unwrap();
        mmp.seq = Some(0);
        let check = crate::mmp::activity_check(&crate::mmp::DEFAULTS, Some(mmp));
        let args = ImportArgs::default();
        let p = policy(&args, NODE2, "node2");
        let between = Budget::new(check + check / 2 + IMPORT_MARGIN_FOR_TEST);
        let z = Script::new();
        let e = import(&z, &between, &p, &Ok(d.clone())).unwrap_err();
        assert!(
            e.reason.contains("the tryimport's, then the import's"),
            "{}",
            e.reason
        );
        assert!(z.ran().is_empty(), "nothing imported");
        // with an MMP write last, one check: the same budget is enough
        d.current.mmp.as_mut().unwrap().seq = Some(4);
        let z = Script::new().ok(FORCE, "");
        let got = import(&z, &between, &p, &Ok(d)).unwrap();
        assert_eq!(
            got,
            Imported::Forced {
                activity_check: check,
                checks: 1
            }
        );
    }

    const IMPORT_MARGIN_FOR_TEST: Duration = crate::mmp::IMPORT_MARGIN;

    #[test]
    fn a_cloned_hostid_is_refused_before_any_import() {
        let args = ImportArgs::default();
        let z = Script::new();
        let p = policy(&args, NODE1, "node2");
        let e = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt")).unwrap_err();
        assert_eq!(e.status, libocf::OcfStatus::ErrConfigured);
        assert!(
            e.reason.contains("hostid 0a77000b") && e.reason.contains("'node1'"),
            "{}",
            e.reason
        );
        assert!(z.ran().is_empty());
        // the same host after a reboot: ZFS checks nothing, a plain import
        let z = Script::new().ok(IMPORT, "");
        let p = policy(&args, NODE1, "node1");
        let got = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt"));
        assert_eq!(got, Ok(Imported::Plain));
    }

    /// The recorded active pool after `zpool set multihost=off` on node1: one more txg with the
    /// MMP magic and a zero delay (what uberblock_update writes), as `zdb -l -uuuu` prints it.
    fn switched_off() -> String {
        format!(
            "{}    Uberblock[52]\n\tmagic = 0000000000bab10c\n\tversion = 5000\n\ttxg = 52\n\
             \tguid_sum = 1283723779228779714\n\ttimestamp = 1795319300 UTC = x\n\
             \tmmp_magic = 00000000a11cea11\n\tmmp_delay = 0\n\tmmp_valid = 0\n\
             \tcheckpoint_txg = 0\n        labels = 0 1 2 3 \n",
            fixture("zdb-lu-left-imported.txt")
        )
    }

    #[test]
    fn multihost_switched_off_on_the_active_node_is_never_imported() {
        let args = ImportArgs::default();
        let p = policy(&args, NODE2, "node2");
        let z = Script::new();
        let on_disk = labels::current(
            &[labels::parse("/dev/vdc1", &switched_off())],
            "labpool",
            None,
        );
        let e = import(&z, &budget(), &p, &on_disk).unwrap_err();
        assert_eq!(e.status, libocf::OcfStatus::ErrConfigured);
        assert!(e.reason.contains("multihost=off"), "{}", e.reason);
        assert!(z.ran().is_empty(), "no import at all: {:?}", z.ran());
        // labels unreadable at first: ZFS's refusal of the plain import leads to a second
        // read, which refuses -f just the same (recorded: multihost switched off while live)
        let (_dir, fs) = devices(&[("vdc1", "live-multihost-switched-off")]);
        let mut p = p;
        p.fs = &fs;
        let z = Script::new().fail(IMPORT, &fixture("import-last-used-elsewhere.txt"));
        let none = Err(LabelsProblem::NotFound("labpool".into()));
        let e = import(&z, &budget(), &p, &none).unwrap_err();
        assert!(e.reason.contains("multihost=off"), "{}", e.reason);
        assert_eq!(z.ran(), [IMPORT]);
    }

    #[test]
    fn single_activity_check_false_keeps_the_two_step_path() {
        let args = ImportArgs::default();
        let (_dir, fs) = devices(&[("vdc1", "left-active-by-crash")]);
        let mut p = policy(&args, NODE2, "node2");
        p.fs = &fs;
        p.allowed.single_check = false;
        let z = Script::new()
            .fail(IMPORT, &fixture("import-last-used-elsewhere.txt"))
            .ok(FORCE, "");
        let got = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt"));
        assert!(matches!(got, Ok(Imported::Forced { .. })), "{got:?}");
        assert!(z.done());
        // importforce=false never forces, whatever the pool says
        p.allowed.force = false;
        let z = Script::new().fail(IMPORT, &fixture("import-last-used-elsewhere.txt"));
        let e = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt")).unwrap_err();
        assert!(e.reason.contains("importforce=false"), "{}", e.reason);
    }

    #[test]
    fn unreadable_labels_take_the_two_step_path_and_never_force() {
        let args = ImportArgs::default();
        let p = policy(&args, NODE2, "node2");
        let none = Err(LabelsProblem::NotFound("labpool".into()));
        let z = Script::new().ok(IMPORT, "");
        assert_eq!(import(&z, &budget(), &p, &none), Ok(Imported::Plain));
        let z = Script::new().fail(IMPORT, &fixture("import-last-used-elsewhere.txt"));
        let e = import(&z, &budget(), &p, &none).unwrap_err();
        assert!(e.reason.contains("could not be read"), "{}", e.reason);
        assert!(!z.ran().contains(&FORCE.to_owned()));
    }

    #[test]
    fn the_force_needs_time_for_the_activity_check() {
        let args = ImportArgs::default();
        let mut p = policy(&args, NODE2, "node2");
        p.local.import_intervals = 1000;
        let z = Script::new();
        let b = Budget::new(Duration::from_secs(20));
        let e = import(&z, &b, &p, &disk("zdb-lu-left-imported.txt")).unwrap_err();
        // the writer's uberblock (fail 10 × 1000 ms × 2, +25 %) decides, not our intervals;
        // its last uberblock has MMP sequence 0: two checks
        assert!(
            e.reason.contains("then the import's) needs 55.0 s"),
            "{}",
            e.reason
        );
        assert!(z.ran().is_empty());
    }

    #[test]
    fn pool_guid_imports_that_pool_only() {
        let args = ImportArgs::default();
        let mut p = policy(&args, NODE2, "node2");
        p.guid = Some(16_608_963_464_861_486_314);
        let z = Script::new().ok(
            "zpool import -N -o cachefile=none -f 16608963464861486314",
            "",
        );
        let got = import(&z, &budget(), &p, &disk("zdb-lu-left-imported.txt"));
        assert!(matches!(got, Ok(Imported::Forced { .. })), "{got:?}");
    }

    #[test]
    fn not_found_says_so() {
        let args = ImportArgs::default();
        let z = Script::new().fail(IMPORT, &fixture("import-not-found.txt"));
        let p = policy(&args, NODE2, "node2");
        let none = Err(LabelsProblem::NotFound("labpool".into()));
        let e = import(&z, &budget(), &p, &none).unwrap_err();
        assert!(
            e.reason.starts_with("no pool named labpool is visible"),
            "{}",
            e.reason
        );
    }
}
