//! The stable identity of each LUN, kept on the pool so it moves with it: the LUN number in the
//! zvol's ZFS user property `hasan:lun` (new zvols take the pool's counter `hasan:lun-next`, so
//! numbers are never reused), and the unit serial — hence LIO's NAA WWN, which it derives from
//! the serial — from the zvol's `guid`.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The zvol property holding its LUN number.
pub const LUN_PROPERTY: &str = "hasan:lun";
/// The pool property holding the next free LUN number.
pub const NEXT_PROPERTY: &str = "hasan:lun-next";
/// The highest LUN number this agent hands out (LIO's TPG LUNs go to 65535; keep to 16 bits).
pub const MAX_LUN: u32 = 65_535;

/// One zvol as `zfs get` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zvol {
    /// Dataset name.
    pub name: String,
    /// Its guid.
    pub guid: u64,
    /// Its LUN number, if it has one.
    pub lun: Option<u32>,
}

/// Why `zfs get` output cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// A line that is not name, property, value.
    #[error("unexpected zfs get output line {0:?}")]
    Parse(String),
    /// A `hasan:lun` that is not a number.
    #[error("zvol {name}: property hasan:lun is {value:?}, not a LUN number 0-65535 (fix it with zfs set/inherit)")]
    BadLun {
        /// The zvol.
        name: String,
        /// The value.
        value: String,
    },
    /// Two zvols claim one number.
    #[error("zvols {0} and {1} both have hasan:lun={2}: give one of them another number with zfs set hasan:lun=N")]
    Duplicate(String, String, u32),
    /// The counter ran out.
    #[error("no LUN number left (hasan:lun-next would pass 65535)")]
    Exhausted,
}

/// Parse `zfs get -H -p -o name,property,value guid,hasan:lun …`.
pub fn parse_zfs_get(out: &str) -> Result<Vec<Zvol>, IdentityError> {
    let mut by_name: BTreeMap<String, (Option<u64>, Option<u32>)> = BTreeMap::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let mut f = line.split('\t');
        let (Some(name), Some(prop), Some(value), None) = (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(IdentityError::Parse(line.into()));
        };
        let e = by_name.entry(name.to_owned()).or_default();
        match prop {
            "guid" => {
                e.0 = Some(
                    value
                        .parse()
                        .map_err(|_| IdentityError::Parse(line.into()))?,
                );
            }
            LUN_PROPERTY if value == "-" => {}
            LUN_PROPERTY => {
                e.1 = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n <= MAX_LUN)
                        .ok_or_else(|| IdentityError::BadLun {
                            name: name.into(),
                            value: value.into(),
                        })?,
                );
            }
            _ => return Err(IdentityError::Parse(line.into())),
        }
    }
    by_name
        .into_iter()
        .map(|(name, (guid, lun))| {
            let guid = guid.ok_or_else(|| IdentityError::Parse(format!("{name}: no guid")))?;
            Ok(Zvol { name, guid, lun })
        })
        .collect()
}

/// The pool counter's value (`-` or a number) from `zfs get -H -p -o value hasan:lun-next`.
pub fn parse_next(out: &str) -> u32 {
    out.trim().parse().unwrap_or(0)
}

/// The unit serial of a zvol: a UUID-shaped hash of its guid (LIO turns its hex digits into the
/// NAA WWN, so both stay the same wherever the pool is imported).
pub fn serial(guid: u64) -> String {
    let h = Sha256::digest(format!("hasan-iscsi:{guid}").as_bytes());
    let hex: String = h[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The numbering: every zvol's LUN, and the numbers to store for those that had none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    /// `(lun, zvol)` for every zvol, by LUN.
    pub luns: Vec<(u32, Zvol)>,
    /// zvols that need `zfs set hasan:lun=N`.
    pub assign: Vec<(String, u32)>,
    /// The counter to store when something was assigned.
    pub next: Option<u32>,
}

/// Number the zvols: kept numbers stay; new zvols (sorted by name) take the counter, which
/// never goes below one past the highest number in use.
pub fn number(zvols: &[Zvol], counter: u32) -> Result<Numbering, IdentityError> {
    let mut luns: Vec<(u32, Zvol)> = Vec::new();
    for z in zvols {
        if let Some(n) = z.lun {
            if let Some((_, other)) = luns.iter().find(|(m, _)| *m == n) {
                return Err(IdentityError::Duplicate(
                    other.name.clone(),
                    z.name.clone(),
                    n,
                ));
            }
            luns.push((n, z.clone()));
        }
    }
    let mut next = luns
        .iter()
        .map(|(n, _)| n + 1)
        .max()
        .unwrap_or(0)
        .max(counter);
    let mut fresh: Vec<&Zvol> = zvols.iter().filter(|z| z.lun.is_none()).collect();
    fresh.sort_by(|a, b| a.name.cmp(&b.name));
    let mut assign = Vec::new();
    for z in fresh {
        if next > MAX_LUN {
            return Err(IdentityError::Exhausted);
        }
        assign.push((z.name.clone(), next));
        luns.push((next, z.clone()));
        next += 1;
    }
    luns.sort_by_key(|(n, _)| *n);
    let next = (!assign.is_empty()).then_some(next);
    Ok(Numbering { luns, assign, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(name: &str, guid: u64, lun: Option<u32>) -> Zvol {
        Zvol {
            name: name.into(),
            guid,
            lun,
        }
    }

    #[test]
    fn parses_zfs_get() {
        let out = "labpool/iscsi/a\tguid\t123\nlabpool/iscsi/a\thasan:lun\t4\nlabpool/iscsi/b\tguid\t99\nlabpool/iscsi/b\thasan:lun\t-\n";
        assert_eq!(
            parse_zfs_get(out).unwrap(),
            [
                z("labpool/iscsi/a", 123, Some(4)),
                z("labpool/iscsi/b", 99, None)
            ]
        );
        assert!(matches!(
            parse_zfs_get("p/a\tguid\t1\np/a\thasan:lun\tx\n"),
            Err(IdentityError::BadLun { .. })
        ));
        assert!(parse_zfs_get("p/a guid 1\n").is_err());
        assert_eq!(parse_next("-\n"), 0);
        assert_eq!(parse_next("7\n"), 7);
    }

    #[test]
    fn numbers_stay_and_new_zvols_take_the_counter() {
        let n = number(
            &[z("p/b", 2, None), z("p/a", 1, Some(3)), z("p/c", 3, None)],
            0,
        )
        .unwrap();
        assert_eq!(n.assign, [("p/b".to_owned(), 4), ("p/c".to_owned(), 5)]);
        assert_eq!(n.next, Some(6));
        assert_eq!(
            n.luns.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [3, 4, 5]
        );
        // a removed zvol frees no number: the counter remembers it
        let n = number(&[z("p/a", 1, Some(0)), z("p/d", 4, None)], 9).unwrap();
        assert_eq!(n.assign, [("p/d".to_owned(), 9)]);
        // nothing new: nothing to store
        let n = number(&[z("p/a", 1, Some(0))], 1).unwrap();
        assert_eq!((n.assign.len(), n.next), (0, None));
        assert!(matches!(
            number(&[z("p/a", 1, Some(2)), z("p/b", 2, Some(2))], 0),
            Err(IdentityError::Duplicate(..))
        ));
        assert_eq!(
            number(&[z("p/a", 1, None)], 65_536),
            Err(IdentityError::Exhausted)
        );
    }

    #[test]
    fn serials_are_stable_uuid_shaped_and_distinct() {
        assert_eq!(serial(42), serial(42));
        assert_ne!(serial(42), serial(43));
        let s = serial(42);
        assert_eq!(s.len(), 36);
        assert_eq!(s.matches('-').count(), 4);
        // LIO's NAA WWN takes 25 hex digits of the serial: there are 32.
        assert_eq!(s.chars().filter(char::is_ascii_hexdigit).count(), 32);
    }
}
