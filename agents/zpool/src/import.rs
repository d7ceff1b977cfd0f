//! The import policy: never `-f` first; read ZFS's refusal; force only when the pool was merely
//! left imported by a host that is gone AND multihost's activity check protects the force.

use std::time::{Duration, Instant};

use libocf::{Budget, Command, CommandError, OcfError, Runner};

use crate::importargs::ImportArgs;

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
    /// Forced after ZFS said another host used it last (MMP checked it is not active).
    Forced,
}

/// What start may do with `-f`.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The pool.
    pub pool: &'a str,
    /// Extra import arguments (already checked).
    pub args: &'a ImportArgs,
    /// `importforce`: whether `-f` may be added at all.
    pub force: bool,
    /// `allow_no_multihost`: whether a pool without multihost may be forced.
    pub allow_no_multihost: bool,
    /// How long one MMP activity check plus the import may take.
    pub mmp_wait: Duration,
    /// `single_activity_check`: when the labels show the pool left imported by another host
    /// with multihost on, go to `-f` at once (one activity check instead of two).
    pub single_check: bool,
    /// This node's hostid.
    pub hostid: u32,
}

impl Policy<'_> {
    fn command(&self, force: bool, deadline: Instant) -> Command {
        Command::new("zpool", deadline)
            .args(["import", "-N", "-o", "cachefile=none"])
            .args(force.then_some("-f"))
            .args(self.args.args())
            .arg(self.pool)
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

/// Import the pool following the policy. Only `zpool import` is run; `-f` at most once.
pub fn import(tools: &dyn Runner, budget: &Budget, p: &Policy) -> Result<Imported, OcfError> {
    let pool = p.pool;
    if p.single_check && p.force {
        let facts = disk_facts(tools, budget, pool);
        if let (Some(true), Some(other)) = (facts.multihost, facts.left_imported_by) {
            if other != u64::from(p.hostid) {
                tracing::info!(
                    "the labels of pool {pool} show it left imported by hostid {other:08x} with \
                     multihost=on (single_activity_check=true): skipping the plain import"
                );
                return forced(tools, budget, p);
            }
        }
    }
    let first = tools.run(&p.command(false, budget.deadline()));
    let err = match first {
        Ok(_) => return Ok(Imported::Plain),
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
            "no pool named {pool} is visible to this node (check its disks and importargs -d); {}",
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

fn force_import(
    tools: &dyn Runner,
    budget: &Budget,
    p: &Policy,
    refusal: &CommandError,
) -> Result<Imported, OcfError> {
    let pool = p.pool;
    if !p.force {
        return Err(OcfError::generic(format!(
            "pool {pool} was last used by another host and not exported; importforce=false \
             forbids zpool import -f. {}",
            zfs_says(refusal)
        )));
    }
    match disk_facts(tools, budget, pool).multihost {
        Some(true) => {}
        _ if p.allow_no_multihost => tracing::warn!(
            "forcing the import of pool {pool} without multihost protection \
             (allow_no_multihost=true): if the other host still has it imported, the pool \
             will be corrupted"
        ),
        Some(false) => {
            return Err(OcfError::configured(format!(
                "pool {pool} was last used by another host and has multihost=off: nothing \
                 proves that host stopped using it, refusing zpool import -f (set multihost=on, \
                 or allow_no_multihost=true to accept the risk)"
            )))
        }
        None => {
            return Err(OcfError::generic(format!(
                "pool {pool} was last used by another host and its multihost setting could not \
                 be read from the disks (zdb); refusing zpool import -f"
            )))
        }
    }
    forced(tools, budget, p)
}

/// `zpool import -f`, whose multihost activity check refuses a pool another host still writes.
fn forced(tools: &dyn Runner, budget: &Budget, p: &Policy) -> Result<Imported, OcfError> {
    let pool = p.pool;
    budget.ensure(p.mmp_wait, "the forced import's multihost activity check")?;
    tracing::info!(
        "pool {pool} was last used by another host; importing with -f, multihost's activity \
         check (up to {:.0} s) refuses it if that host is still alive",
        p.mmp_wait.as_secs_f64()
    );
    match tools.run(&p.command(true, budget.deadline())) {
        Ok(_) => Ok(Imported::Forced),
        Err(e @ CommandError::Failed { .. }) if classify(e.said()) == Refusal::ActiveElsewhere => {
            Err(refuse_active(pool, &e))
        }
        Err(e) => Err(tool_failure(e, pool)),
    }
}

/// What the pool's labels say, read without importing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskFacts {
    /// Whether the uberblocks carry an MMP delay (multihost=on); `None` if unreadable.
    pub multihost: Option<bool>,
    /// The hostid of the host that has (or had, before a crash) it imported; `None` if exported.
    pub left_imported_by: Option<u64>,
}

/// `blkid` finds the pool's member devices, `zdb -l -u` prints their labels and uberblocks.
pub fn disk_facts(tools: &dyn Runner, budget: &Budget, pool: &str) -> DiskFacts {
    let blkid = Command::new("blkid", budget.sub_deadline(Duration::from_secs(10))).args([
        "-o",
        "device",
        "-t",
        &format!("LABEL={pool}"),
    ]);
    let Ok(devices) = tools.stdout(&blkid) else {
        return DiskFacts::default();
    };
    let mut facts = DiskFacts::default();
    for dev in devices
        .lines()
        .map(str::trim)
        .filter(|d| d.starts_with('/'))
    {
        let zdb = Command::new("zdb", budget.sub_deadline(Duration::from_secs(20)))
            .args(["-l", "-u", dev]);
        let out = tools.stdout(&zdb).ok();
        let Some(out) = out else { continue };
        if facts.left_imported_by.is_none() {
            facts.left_imported_by = label_left_imported_by(&out);
        }
        match uberblocks_multihost(&out) {
            Some(true) => {
                facts.multihost = Some(true);
                return facts;
            }
            Some(false) => facts.multihost = Some(false),
            None => {}
        }
    }
    facts
}

/// From `zdb -l` output: the label's `hostid` when its `state` is 0 (POOL_STATE_ACTIVE: imported,
/// not exported); `None` for an exported pool or an unreadable label.
pub fn label_left_imported_by(zdb: &str) -> Option<u64> {
    let field = |name: &str| {
        zdb.lines().find_map(|l| {
            let (k, v) = l.trim().split_once(": ")?;
            (k == name).then(|| v.trim().to_owned())
        })
    };
    if field("state")? != "0" {
        return None;
    }
    field("hostid")?.parse().ok()
}

/// From `zdb -l -u` output: `Some(true)` if any uberblock has a non-zero `mmp_delay`,
/// `Some(false)` if uberblocks carry MMP fields but every delay is zero, `None` otherwise.
pub fn uberblocks_multihost(zdb: &str) -> Option<bool> {
    let mut seen = false;
    for line in zdb.lines() {
        let mut kv = line.trim().splitn(2, '=');
        let (Some(k), Some(v)) = (kv.next(), kv.next()) else {
            continue;
        };
        if k.trim() == "mmp_delay" {
            seen = true;
            if v.trim().parse::<u64>().map(|d| d > 0).unwrap_or(false) {
                return Some(true);
            }
        }
    }
    seen.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::fixture;
    use libocf::ScriptedRunner;

    const IMPORT: &str = "zpool import -N -o cachefile=none tank";
    const FORCE: &str = "zpool import -N -o cachefile=none -f tank";

    fn policy(args: &ImportArgs) -> Policy<'_> {
        Policy {
            pool: "tank",
            args,
            force: true,
            allow_no_multihost: false,
            mmp_wait: Duration::from_secs(1),
            single_check: false,
            hostid: 0x0a77_000c,
        }
    }

    fn budget() -> Budget {
        Budget::new(Duration::from_secs(120))
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

    #[test]
    fn a_clean_import_never_forces() {
        let args = ImportArgs::parse("-d /dev/disk/by-path").unwrap();
        let z = ScriptedRunner::new().ok(
            "zpool import -N -o cachefile=none -d /dev/disk/by-path tank",
            "",
        );
        assert_eq!(import(&z, &budget(), &policy(&args)), Ok(Imported::Plain));
        assert!(z.done());
    }

    #[test]
    fn active_on_another_host_is_refused_without_force() {
        let args = ImportArgs::default();
        let z = ScriptedRunner::new().fail(IMPORT, &fixture("import-active-elsewhere.txt"));
        let e = import(&z, &budget(), &policy(&args)).unwrap_err();
        assert_eq!(e.status, libocf::OcfStatus::ErrGeneric);
        assert!(e.reason.contains("in use on another host"), "{}", e.reason);
        assert!(e.reason.contains("not touched"), "{}", e.reason);
        assert_eq!(z.ran(), [IMPORT], "no -f, nothing else");
    }

    #[test]
    fn last_used_elsewhere_with_multihost_is_forced_once() {
        let args = ImportArgs::default();
        let z = ScriptedRunner::new()
            .fail(IMPORT, &fixture("import-last-used-elsewhere.txt"))
            .ok("blkid -o device -t LABEL=tank", "/dev/vdb1\n")
            .ok("zdb -l -u /dev/vdb1", &fixture("zdb-lu-multihost-on.txt"))
            .ok(FORCE, "");
        assert_eq!(import(&z, &budget(), &policy(&args)), Ok(Imported::Forced));
        assert!(z.done());
    }

    #[test]
    fn force_is_refused_when_mmp_then_says_active() {
        let args = ImportArgs::default();
        let z = ScriptedRunner::new()
            .fail(IMPORT, &fixture("import-last-used-elsewhere.txt"))
            .ok("blkid -o device -t LABEL=tank", "/dev/vdb1\n")
            .ok("zdb -l -u /dev/vdb1", &fixture("zdb-lu-multihost-on.txt"))
            .fail(FORCE, &fixture("import-force-active-elsewhere.txt"));
        let e = import(&z, &budget(), &policy(&args)).unwrap_err();
        assert!(e.reason.contains("in use on another host"), "{}", e.reason);
    }

    #[test]
    fn no_multihost_is_never_forced_unless_allowed() {
        let args = ImportArgs::default();
        let script = || {
            ScriptedRunner::new()
                .fail(IMPORT, &fixture("import-last-used-elsewhere.txt"))
                .ok("blkid -o device -t LABEL=tank", "/dev/vdb1\n")
                .ok("zdb -l -u /dev/vdb1", &fixture("zdb-lu-multihost-off.txt"))
        };
        let z = script();
        let e = import(&z, &budget(), &policy(&args)).unwrap_err();
        assert_eq!(e.status, libocf::OcfStatus::ErrConfigured);
        assert!(e.reason.contains("multihost=off"), "{}", e.reason);
        assert!(z.done() && !z.ran().contains(&FORCE.to_owned()));

        let mut p = policy(&args);
        p.allow_no_multihost = true;
        let z = script().ok(FORCE, "");
        assert_eq!(import(&z, &budget(), &p), Ok(Imported::Forced));

        // importforce=false never forces, whatever the pool says
        let mut p = policy(&args);
        p.force = false;
        let z = ScriptedRunner::new().fail(IMPORT, &fixture("import-last-used-elsewhere.txt"));
        let e = import(&z, &budget(), &p).unwrap_err();
        assert!(e.reason.contains("importforce=false"), "{}", e.reason);
    }

    #[test]
    fn unknown_multihost_is_not_forced() {
        let args = ImportArgs::default();
        let z = ScriptedRunner::new()
            .fail(IMPORT, &fixture("import-last-used-elsewhere.txt"))
            .fail("blkid -o device -t LABEL=tank", "");
        let e = import(&z, &budget(), &policy(&args)).unwrap_err();
        assert!(e.reason.contains("could not be read"), "{}", e.reason);
    }

    #[test]
    fn the_force_needs_time_for_the_activity_check() {
        let args = ImportArgs::default();
        let mut p = policy(&args);
        p.mmp_wait = Duration::from_secs(600);
        let z = ScriptedRunner::new()
            .fail(IMPORT, &fixture("import-last-used-elsewhere.txt"))
            .ok("blkid -o device -t LABEL=tank", "/dev/vdb1\n")
            .ok("zdb -l -u /dev/vdb1", &fixture("zdb-lu-multihost-on.txt"));
        let e = import(&z, &budget(), &p).unwrap_err();
        assert!(
            e.reason.contains("activity check needs 600.0 s"),
            "{}",
            e.reason
        );
        assert!(z.done());
    }

    #[test]
    fn labels_say_who_left_the_pool_imported() {
        assert_eq!(
            label_left_imported_by(&fixture("zdb-lu-multihost-on.txt")),
            None
        );
        assert_eq!(
            label_left_imported_by(&fixture("zdb-lu-left-imported.txt")),
            Some(0x0a77_000b)
        );
    }

    #[test]
    fn single_check_goes_to_force_only_for_a_pool_left_by_another_multihost_host() {
        let args = ImportArgs::default();
        let mut p = policy(&args);
        p.single_check = true;
        let z = ScriptedRunner::new()
            .ok("blkid -o device -t LABEL=tank", "/dev/vdc1\n")
            .ok("zdb -l -u /dev/vdc1", &fixture("zdb-lu-left-imported.txt"))
            .ok(FORCE, "");
        assert_eq!(import(&z, &budget(), &p), Ok(Imported::Forced));
        assert!(z.done());
        // an exported pool: the plain import as always
        let z = ScriptedRunner::new()
            .ok("blkid -o device -t LABEL=tank", "/dev/vdc1\n")
            .ok("zdb -l -u /dev/vdc1", &fixture("zdb-lu-multihost-on.txt"))
            .ok(IMPORT, "");
        assert_eq!(import(&z, &budget(), &p), Ok(Imported::Plain));
        // left imported by this very host (a reboot): the plain import as always
        p.hostid = 0x0a77_000b;
        let z = ScriptedRunner::new()
            .ok("blkid -o device -t LABEL=tank", "/dev/vdc1\n")
            .ok("zdb -l -u /dev/vdc1", &fixture("zdb-lu-left-imported.txt"))
            .ok(IMPORT, "");
        assert_eq!(import(&z, &budget(), &p), Ok(Imported::Plain));
        // a pool without multihost is never forced this way
        p.hostid = 0x0a77_000c;
        let off = fixture("zdb-lu-multihost-off.txt").replace("state: 1", "state: 0");
        let z = ScriptedRunner::new()
            .ok("blkid -o device -t LABEL=tank", "/dev/vdb1\n")
            .ok("zdb -l -u /dev/vdb1", &off)
            .ok(IMPORT, "");
        assert_eq!(import(&z, &budget(), &p), Ok(Imported::Plain));
    }

    #[test]
    fn not_found_says_so() {
        let args = ImportArgs::default();
        let z = ScriptedRunner::new().fail(IMPORT, &fixture("import-not-found.txt"));
        let e = import(&z, &budget(), &policy(&args)).unwrap_err();
        assert!(
            e.reason.starts_with("no pool named tank is visible"),
            "{}",
            e.reason
        );
    }
}
