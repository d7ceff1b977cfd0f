//! The target this agent owns, as configfs objects: what start builds (in an order that enables
//! the TPG last), what stop removes (TPG disabled first), and what monitor checks. Nothing here
//! touches an LIO object outside the target's IQN and the backstores named `hasan-<tag>-…`.

use std::io;

use sha2::{Digest, Sha256};

use crate::chap::AclAuth;
use crate::config::{ChapMode, Portal, TPG_TAG};
use crate::configfs::Lio;

/// One LUN: its number, the zvol and the serial it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LunSpec {
    /// LUN number in the TPG and in every ACL.
    pub lun: u32,
    /// The zvol (`pool/path`).
    pub zvol: String,
    /// The unit serial.
    pub serial: String,
    /// Set emulate_tpu (UNMAP) when LIO reports the device can discard.
    pub thin: bool,
}

impl LunSpec {
    /// The block device LIO opens.
    pub fn device(&self) -> String {
        format!("/dev/zvol/{}", self.zvol)
    }
}

/// One ACL and its credentials.
#[derive(Debug, Clone)]
pub struct AclSpec {
    /// The initiator's IQN.
    pub initiator: String,
    /// CHAP credentials (none with chap=none).
    pub auth: Option<AclAuth>,
}

/// The names this agent uses for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The target's IQN.
    pub iqn: String,
    /// 8 hex digits from the IQN: the backstores' recognisable prefix `hasan-<tag>-`.
    pub tag: String,
    /// The HBA group holding the backstores: `iblock_<n>`, n from the same hash.
    pub hba: String,
}

impl Names {
    /// The names for `iqn`.
    pub fn for_iqn(iqn: &str) -> Names {
        let h = Sha256::digest(iqn.as_bytes());
        let tag: String = h[..4].iter().map(|b| format!("{b:02x}")).collect();
        // Far above the small indexes rtslib hands out (0, 1, 2 …).
        let n = 0x4000_0000 | (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & 0x3fff_ffff);
        Names {
            iqn: iqn.to_owned(),
            tag,
            hba: format!("iblock_{n}"),
        }
    }
    /// `iscsi/<iqn>`
    pub fn target(&self) -> String {
        format!("iscsi/{}", self.iqn)
    }
    /// `iscsi/<iqn>/tpgt_1`
    pub fn tpg(&self) -> String {
        format!("iscsi/{}/tpgt_{TPG_TAG}", self.iqn)
    }
    /// The backstore name of a LUN.
    pub fn backstore(&self, lun: u32) -> String {
        format!("hasan-{}-lun{lun}", self.tag)
    }
    /// `core/<hba>/<backstore>`
    pub fn backstore_path(&self, lun: u32) -> String {
        format!("core/{}/{}", self.hba, self.backstore(lun))
    }
    /// True if a backstore name is one of this target's.
    pub fn owns_backstore(&self, name: &str) -> bool {
        name.strip_prefix(&format!("hasan-{}-lun", self.tag))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    }
}

/// Everything the target should be.
#[derive(Debug, Clone)]
pub struct Desired {
    /// Names.
    pub names: Names,
    /// LUNs, by number.
    pub luns: Vec<LunSpec>,
    /// ACLs.
    pub acls: Vec<AclSpec>,
    /// CHAP mode.
    pub chap: ChapMode,
    /// Portals.
    pub portals: Vec<Portal>,
}

/// A configfs operation that failed, naming the object.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}: {source}")]
pub struct LioError {
    /// What was being done.
    pub what: &'static str,
    /// The object (relative to /sys/kernel/config/target).
    pub path: String,
    /// The OS error.
    pub source: io::Error,
}

fn op<T>(what: &'static str, path: &str, r: io::Result<T>) -> Result<T, LioError> {
    r.map_err(|source| LioError {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Symlinks in a group (a LUN's backstore link, a mapped LUN's link).
fn links(lio: &dyn Lio, dir: &str) -> Vec<String> {
    lio.list(dir)
        .into_iter()
        .map(|n| format!("{dir}/{n}"))
        .filter(|p| lio.is_symlink(p))
        .collect()
}

/// Names in `dir` starting with `prefix` (`lun_`, `tpgt_`), as paths.
fn children(lio: &dyn Lio, dir: &str, prefix: &str) -> Vec<String> {
    lio.list(dir)
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .map(|n| format!("{dir}/{n}"))
        .collect()
}

/// Remove a group after unlinking the symlinks in it.
fn remove_linked_group(lio: &dyn Lio, dir: &str, changes: &mut u32) -> Result<(), LioError> {
    for l in links(lio, dir) {
        op("cannot unlink", &l, lio.unlink(&l))?;
        *changes += 1;
    }
    op("cannot remove", dir, lio.rmdir(dir))?;
    *changes += 1;
    Ok(())
}

/// Write an attribute only if it differs (LIO refuses some writes on a live object).
fn set(lio: &dyn Lio, path: &str, value: &str, changes: &mut u32) -> Result<(), LioError> {
    if lio.read(path).ok().as_deref() == Some(value) {
        return Ok(());
    }
    op("cannot write", path, lio.write(path, value))?;
    *changes += 1;
    Ok(())
}

/// The serial as LIO shows it (`T10 VPD Unit Serial Number: <serial>`).
pub fn read_serial(lio: &dyn Lio, backstore: &str) -> String {
    let raw = lio
        .read(&format!("{backstore}/wwn/vpd_unit_serial"))
        .unwrap_or_default();
    match raw.split_once(':') {
        Some((_, s)) => s.trim().to_owned(),
        None => raw.trim().to_owned(),
    }
}

/// True if the backstore exists, is enabled, opens `device` and has `serial`.
fn backstore_is(lio: &dyn Lio, path: &str, spec: &LunSpec) -> bool {
    lio.exists(path)
        && lio.read(&format!("{path}/enable")).ok().as_deref() == Some("1")
        && lio.read(&format!("{path}/udev_path")).ok().as_deref() == Some(&spec.device())
        && read_serial(lio, path) == spec.serial
}

/// The mapped LUNs of every ACL and then the TPG LUN pointing at `lun_dir`, removed.
fn unmap_tpg_lun(
    lio: &dyn Lio,
    tpg: &str,
    lun_dir: &str,
    changes: &mut u32,
) -> Result<(), LioError> {
    for acl in lio.list(&format!("{tpg}/acls")) {
        let acl = format!("{tpg}/acls/{acl}");
        for mapped in children(lio, &acl, "lun_") {
            let points_here = links(lio, &mapped)
                .iter()
                .any(|l| lio.link_target(l).as_deref() == Some(lun_dir));
            if points_here || links(lio, &mapped).is_empty() {
                remove_linked_group(lio, &mapped, changes)?;
            }
        }
    }
    remove_linked_group(lio, lun_dir, changes)
}

/// Build or converge the target; the TPG is enabled last. Returns the number of changes made
/// (0: it already was exactly as desired).
pub fn apply(lio: &dyn Lio, d: &Desired) -> Result<u32, LioError> {
    let mut changes = 0;
    let n = &d.names;
    let tpg = n.tpg();
    let c = &mut changes;

    // Backstores: ours only, in our HBA.
    let hba = format!("core/{}", n.hba);
    if !lio.exists(&hba) {
        op("cannot create", &hba, lio.mkdir(&hba))?;
        *c += 1;
    }
    for spec in &d.luns {
        let path = n.backstore_path(spec.lun);
        if lio.exists(&path) && !backstore_is(lio, &path, spec) {
            // Left by a killed start, or the zvol behind this number changed: rebuild it.
            let tpg_lun = format!("{tpg}/lun/lun_{}", spec.lun);
            if lio.exists(&tpg_lun) {
                unmap_tpg_lun(lio, &tpg, &tpg_lun, c)?;
            }
            op("cannot remove", &path, lio.rmdir(&path))?;
            *c += 1;
        }
        if !lio.exists(&path) {
            let dev = spec.device();
            op("cannot create", &path, lio.mkdir(&path))?;
            op(
                "cannot configure",
                &path,
                lio.write(&format!("{path}/control"), &format!("udev_path={dev}")),
            )?;
            op(
                "cannot configure",
                &path,
                lio.write(&format!("{path}/udev_path"), &dev),
            )?;
            op(
                "cannot enable",
                &path,
                lio.write(&format!("{path}/enable"), "1"),
            )?;
            op(
                "cannot set the serial of",
                &path,
                lio.write(&format!("{path}/wwn/vpd_unit_serial"), &spec.serial),
            )?;
            *c += 5;
        }
        // Capabilities, not correctness: a kernel that refuses one costs a warning, not the start.
        let can_unmap = lio
            .read(&format!("{path}/attrib/max_unmap_block_desc_count"))
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            > 0;
        let tpu = if spec.thin && can_unmap { "1" } else { "0" };
        for (attr, value) in [("emulate_3pc", "1"), ("emulate_tpu", tpu)] {
            if let Err(e) = set(lio, &format!("{path}/attrib/{attr}"), value, c) {
                tracing::warn!("{e}");
            }
        }
    }

    // Target and TPG; other TPGs under our IQN are ours too and go.
    let target = n.target();
    if !lio.exists(&target) {
        op("cannot create", &target, lio.mkdir(&target))?;
        *c += 1;
    }
    for other in children(lio, &target, "tpgt_") {
        if other != tpg {
            remove_tpg(lio, &other, c)?;
        }
    }
    if !lio.exists(&tpg) {
        op("cannot create", &tpg, lio.mkdir(&tpg))?;
        *c += 1;
    }
    set(lio, &format!("{tpg}/attrib/generate_node_acls"), "0", c)?;
    // SendTargets answers only initiators with an ACL: by default LIO lists every target of the
    // node with all its portals (the storage network's backend targets too) to anyone who asks
    set(lio, &format!("{tpg}/attrib/demo_mode_discovery"), "0", c)?;
    set(lio, &format!("{tpg}/attrib/cache_dynamic_acls"), "0", c)?;
    set(
        lio,
        &format!("{tpg}/attrib/demo_mode_write_protect"),
        "1",
        c,
    )?;
    let chap = d.chap != ChapMode::None;
    set(
        lio,
        &format!("{tpg}/attrib/authentication"),
        if chap { "1" } else { "0" },
        c,
    )?;
    set(
        lio,
        &format!("{tpg}/param/AuthMethod"),
        if chap { "CHAP" } else { "None" },
        c,
    )?;

    // TPG LUNs.
    let wanted_luns: Vec<String> = d.luns.iter().map(|l| format!("lun_{}", l.lun)).collect();
    for lun_dir in children(lio, &format!("{tpg}/lun"), "lun_") {
        let name = lun_dir.rsplit('/').next().unwrap_or_default();
        let spec = d.luns.iter().find(|l| format!("lun_{}", l.lun) == name);
        let linked_right = spec.is_some_and(|s| {
            let ls = links(lio, &lun_dir);
            ls.len() == 1 && lio.link_target(&ls[0]).as_deref() == Some(&n.backstore_path(s.lun))
        });
        if !wanted_luns.iter().any(|w| w == name) || !linked_right {
            unmap_tpg_lun(lio, &tpg, &lun_dir, c)?;
        }
    }
    for spec in &d.luns {
        let lun_dir = format!("{tpg}/lun/lun_{}", spec.lun);
        if !lio.exists(&lun_dir) {
            op("cannot create", &lun_dir, lio.mkdir(&lun_dir))?;
            let link = format!("{lun_dir}/{}", n.backstore(spec.lun));
            op(
                "cannot link",
                &link,
                lio.symlink(&n.backstore_path(spec.lun), &link),
            )?;
            *c += 2;
        }
    }

    // ACLs: exactly the allowed initiators, each with every LUN.
    let acls_dir = format!("{tpg}/acls");
    for existing in lio.list(&acls_dir) {
        if !d.acls.iter().any(|a| a.initiator == existing) {
            remove_acl(lio, &format!("{acls_dir}/{existing}"), c)?;
        }
    }
    for acl in &d.acls {
        let dir = format!("{acls_dir}/{}", acl.initiator);
        if !lio.exists(&dir) {
            op("cannot create", &dir, lio.mkdir(&dir))?;
            *c += 1;
        }
        for mapped in children(lio, &dir, "lun_") {
            let name = mapped.rsplit('/').next().unwrap_or_default();
            let want = format!("{tpg}/lun/{name}");
            let ok = wanted_luns.iter().any(|w| w == name) && {
                let ls = links(lio, &mapped);
                ls.len() == 1 && lio.link_target(&ls[0]).as_deref() == Some(&want)
            };
            if !ok {
                remove_linked_group(lio, &mapped, c)?;
            }
        }
        for spec in &d.luns {
            let mapped = format!("{dir}/lun_{}", spec.lun);
            if !lio.exists(&mapped) {
                op("cannot create", &mapped, lio.mkdir(&mapped))?;
                let link = format!("{mapped}/lun_{}", spec.lun);
                let tpg_lun = format!("{tpg}/lun/lun_{}", spec.lun);
                op("cannot link", &link, lio.symlink(&tpg_lun, &link))?;
                *c += 2;
            }
            set(lio, &format!("{mapped}/write_protect"), "0", c)?;
        }
        if let Some(auth) = &acl.auth {
            let a = format!("{dir}/auth");
            set(lio, &format!("{a}/userid"), &auth.initiator.user, c)?;
            set(lio, &format!("{a}/password"), &auth.initiator.pass, c)?;
            if let Some(t) = &auth.target {
                set(lio, &format!("{a}/userid_mutual"), &t.user, c)?;
                set(lio, &format!("{a}/password_mutual"), &t.pass, c)?;
            }
        }
    }

    // Portals.
    let np = format!("{tpg}/np");
    let wanted_np: Vec<String> = d.portals.iter().map(ToString::to_string).collect();
    for existing in lio.list(&np) {
        if !wanted_np.contains(&existing) {
            let p = format!("{np}/{existing}");
            op("cannot remove", &p, lio.rmdir(&p))?;
            *c += 1;
        }
    }
    for w in &wanted_np {
        let p = format!("{np}/{w}");
        if !lio.exists(&p) {
            op("cannot create portal", &p, lio.mkdir(&p))?;
            *c += 1;
        }
    }

    // Backstores of ours no LUN wants any more (after their LUNs are gone).
    for name in lio.list(&hba) {
        let path = format!("{hba}/{name}");
        if n.owns_backstore(&name) && !d.luns.iter().any(|l| n.backstore_path(l.lun) == path) {
            op("cannot remove", &path, lio.rmdir(&path))?;
            *c += 1;
        }
    }

    // Last: let initiators in.
    set(lio, &format!("{tpg}/enable"), "1", c)?;
    Ok(changes)
}

fn remove_acl(lio: &dyn Lio, acl: &str, changes: &mut u32) -> Result<(), LioError> {
    for mapped in children(lio, acl, "lun_") {
        remove_linked_group(lio, &mapped, changes)?;
    }
    op("cannot remove", acl, lio.rmdir(acl))?;
    *changes += 1;
    Ok(())
}

/// Remove one TPG with everything in it (disabled first).
fn remove_tpg(lio: &dyn Lio, tpg: &str, changes: &mut u32) -> Result<(), LioError> {
    let enable = format!("{tpg}/enable");
    if lio.read(&enable).ok().as_deref() == Some("1") {
        op("cannot disable", tpg, lio.write(&enable, "0"))?;
        *changes += 1;
    }
    for acl in lio.list(&format!("{tpg}/acls")) {
        remove_acl(lio, &format!("{tpg}/acls/{acl}"), changes)?;
    }
    for np in lio.list(&format!("{tpg}/np")) {
        let p = format!("{tpg}/np/{np}");
        op("cannot remove", &p, lio.rmdir(&p))?;
        *changes += 1;
    }
    for lun in children(lio, &format!("{tpg}/lun"), "lun_") {
        remove_linked_group(lio, &lun, changes)?;
    }
    op("cannot remove", tpg, lio.rmdir(tpg))?;
    *changes += 1;
    Ok(())
}

/// Remove the target and its backstores: every TPG is disabled before anything is removed.
/// Returns the number of changes (0: nothing of it was there). Goes on past a failure and
/// reports every object it could not remove.
pub fn teardown(lio: &dyn Lio, names: &Names) -> Result<u32, Vec<LioError>> {
    let mut changes = 0;
    let mut failed = Vec::new();
    let target = names.target();
    let tpgs = children(lio, &target, "tpgt_");
    for tpg in &tpgs {
        let enable = format!("{tpg}/enable");
        if lio.read(&enable).ok().as_deref() == Some("1") {
            match lio.write(&enable, "0") {
                Ok(()) => changes += 1,
                Err(source) => failed.push(LioError {
                    what: "cannot disable",
                    path: tpg.clone(),
                    source,
                }),
            }
        }
    }
    if !failed.is_empty() {
        // Never take a target apart while initiators may still be in it.
        return Err(failed);
    }
    for tpg in &tpgs {
        if let Err(e) = remove_tpg(lio, tpg, &mut changes) {
            failed.push(e);
        }
    }
    if lio.exists(&target) && failed.is_empty() {
        match lio.rmdir(&target) {
            Ok(()) => changes += 1,
            Err(source) => failed.push(LioError {
                what: "cannot remove",
                path: target.clone(),
                source,
            }),
        }
    }
    for hba in lio.list("core") {
        for name in lio.list(&format!("core/{hba}")) {
            if names.owns_backstore(&name) {
                let path = format!("core/{hba}/{name}");
                match lio.rmdir(&path) {
                    Ok(()) => changes += 1,
                    Err(source) => failed.push(LioError {
                        what: "cannot remove backstore",
                        path,
                        source,
                    }),
                }
            }
        }
    }
    let hba = format!("core/{}", names.hba);
    if lio.exists(&hba) && lio.list(&hba).is_empty() {
        match lio.rmdir(&hba) {
            Ok(()) => changes += 1,
            Err(source) => failed.push(LioError {
                what: "cannot remove",
                path: hba,
                source,
            }),
        }
    }
    if failed.is_empty() {
        Ok(changes)
    } else {
        Err(failed)
    }
}

/// What monitor knows without forking.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// Names.
    pub names: &'a Names,
    /// zvols that must be mapped (the explicit ones).
    pub zvols: &'a [String],
    /// Datasets every mapped zvol must be in (or equal to).
    pub luns_param: &'a [String],
    /// Allowed initiators.
    pub initiators: &'a [String],
    /// CHAP mode.
    pub chap: ChapMode,
    /// Portals.
    pub portals: &'a [Portal],
}

/// What monitor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing of the target or its backstores.
    Absent,
    /// Running as configured; the mapped `(lun, zvol)`s.
    Running(Vec<(u32, String)>),
    /// Something is wrong; what.
    Broken(String),
}

/// Check the target against what is expected. `listening` says whether a portal has a
/// listening socket; `device_ok` whether a block device path exists.
pub fn check(
    lio: &dyn Lio,
    e: &Expected<'_>,
    listening: &dyn Fn(&Portal) -> bool,
    device_ok: &dyn Fn(&str) -> bool,
) -> Found {
    let n = e.names;
    let target = n.target();
    let tpg = n.tpg();
    let ours: Vec<String> = lio
        .list("core")
        .into_iter()
        .flat_map(|h| {
            lio.list(&format!("core/{h}"))
                .into_iter()
                .filter(|s| n.owns_backstore(s))
                .map(move |s| format!("core/{h}/{s}"))
        })
        .collect();
    if !lio.exists(&target) {
        return if ours.is_empty() {
            Found::Absent
        } else {
            Found::Broken(format!(
                "target {} is absent but its backstore(s) {} are left (a killed start or stop; stop removes them)",
                n.iqn,
                ours.join(", ")
            ))
        };
    }
    let broken = Found::Broken;
    if lio.read(&format!("{tpg}/enable")).ok().as_deref() != Some("1") {
        return broken(format!("TPG {TPG_TAG} of {} is not enabled", n.iqn));
    }
    if lio
        .read(&format!("{tpg}/attrib/generate_node_acls"))
        .ok()
        .as_deref()
        != Some("0")
    {
        return broken(format!(
            "TPG {TPG_TAG} of {} has generate_node_acls on (demo mode)",
            n.iqn
        ));
    }
    let want_auth = if e.chap == ChapMode::None { "0" } else { "1" };
    if lio
        .read(&format!("{tpg}/attrib/authentication"))
        .ok()
        .as_deref()
        != Some(want_auth)
    {
        return broken(format!(
            "TPG {TPG_TAG} of {}: authentication is not {want_auth}",
            n.iqn
        ));
    }
    for p in e.portals {
        if !lio.exists(&format!("{tpg}/np/{p}")) {
            return broken(format!("portal {p} of {} is missing", n.iqn));
        }
        if !listening(p) {
            return broken(format!("nothing listens on portal {p}"));
        }
    }
    let mut mapped = Vec::new();
    for lun_dir in children(lio, &format!("{tpg}/lun"), "lun_") {
        let Some(num) = lun_dir
            .rsplit('/')
            .next()
            .and_then(|s| s.strip_prefix("lun_"))
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let ls = links(lio, &lun_dir);
        let Some(bs) = ls.first().and_then(|l| lio.link_target(l)) else {
            return broken(format!("LUN {num} of {} has no backstore", n.iqn));
        };
        if lio.read(&format!("{bs}/enable")).ok().as_deref() != Some("1") {
            return broken(format!("backstore {bs} of LUN {num} is not enabled"));
        }
        let dev = lio.read(&format!("{bs}/udev_path")).unwrap_or_default();
        let Some(zvol) = dev.strip_prefix("/dev/zvol/") else {
            return broken(format!("LUN {num} is backed by {dev:?}, not a zvol"));
        };
        if !e
            .luns_param
            .iter()
            .any(|l| zvol == l || zvol.starts_with(&format!("{l}/")))
        {
            return broken(format!("LUN {num} exports {zvol}, which is not in luns"));
        }
        if !device_ok(&dev) {
            return broken(format!("LUN {num}: device {dev} is gone"));
        }
        mapped.push((num, zvol.to_owned()));
    }
    for z in e.zvols {
        if !mapped.iter().any(|(_, m)| m == z) {
            return broken(format!("zvol {z} is not exported by {}", n.iqn));
        }
    }
    let acls = lio.list(&format!("{tpg}/acls"));
    for i in e.initiators {
        if !acls.contains(i) {
            return broken(format!("initiator {i} has no ACL"));
        }
    }
    for a in &acls {
        if !e.initiators.contains(a) {
            return broken(format!("ACL for {a}, which is not in allowed_initiators"));
        }
        let dir = format!("{tpg}/acls/{a}");
        for (num, _) in &mapped {
            if !lio.exists(&format!("{dir}/lun_{num}")) {
                return broken(format!("LUN {num} is not mapped for {a}"));
            }
        }
        if e.chap != ChapMode::None {
            let has = |f: &str| {
                lio.read(&format!("{dir}/auth/{f}"))
                    .is_ok_and(|v| !v.is_empty())
            };
            if !has("userid") || !has("password") {
                return broken(format!("ACL {a} has no CHAP credentials"));
            }
            if e.chap == ChapMode::Mutual && (!has("userid_mutual") || !has("password_mutual")) {
                return broken(format!("ACL {a} has no mutual CHAP credentials"));
            }
        }
    }
    mapped.sort();
    Found::Running(mapped)
}

#[cfg(test)]
#[path = "lio_tests.rs"]
mod tests;
