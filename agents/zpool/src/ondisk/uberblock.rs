//! One uberblock slot of a label's ring: valid when its checksum holds and its magic reads in
//! either byte order (`uberblock_verify`); its fields as `uberblock_t` (OpenZFS 2.1) lays them out.

use crate::labels::{UbMmp, Uberblock};

/// `UBERBLOCK_MAGIC`.
const UBERBLOCK_MAGIC: u64 = 0x00ba_b10c;
/// `MMP_MAGIC`.
const MMP_MAGIC: u64 = 0xa11c_ea11;
/// `sizeof (uberblock_t)` in 64-bit words (2.1: 208 bytes).
const WORDS: usize = 26;
/// Word indexes: magic, version, txg, guid_sum, timestamp, rootbp (16 words), software_version,
/// mmp_magic, mmp_delay, mmp_config, checkpoint_txg.
const TXG: usize = 2;
const TIMESTAMP: usize = 4;
const MMP_MAGIC_AT: usize = 22;
const MMP_DELAY: usize = 23;
const MMP_CONFIG: usize = 24;
/// `ub_mmp_config` valid bits.
const INTERVAL_VALID: u64 = 0x01;
const SEQ_VALID: u64 = 0x02;
const FAIL_VALID: u64 = 0x04;

/// An uberblock's words in host order (byte-swapped when the writer's order differs): what
/// ZFS compares, and what zdb takes as the uberblock's identity across labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RawUberblock([u64; WORDS]);

impl RawUberblock {
    /// The uberblock of a slot whose checksum was verified, if its magic is valid.
    pub fn decode(slot: &[u8]) -> Option<RawUberblock> {
        let bytes = slot.get(..WORDS * 8)?;
        let word = |i: usize, le: bool| {
            let mut w = [0; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            if le {
                u64::from_le_bytes(w)
            } else {
                u64::from_be_bytes(w)
            }
        };
        let le = if word(0, true) == UBERBLOCK_MAGIC {
            true
        } else if word(0, false) == UBERBLOCK_MAGIC {
            false
        } else {
            return None;
        };
        let mut words = [0; WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            *w = word(i, le);
        }
        Some(RawUberblock(words))
    }

    /// The fields the decisions use, as `zdb -u` prints them (MMP fields only with the magic,
    /// each config field only with its valid bit).
    pub fn fields(&self, labels: Vec<usize>) -> Uberblock {
        let w = &self.0;
        let config = w[MMP_CONFIG];
        let when = |bit: u64, v: u64| (config & bit != 0).then_some(v);
        Uberblock {
            txg: w[TXG],
            timestamp: w[TIMESTAMP],
            mmp: (w[MMP_MAGIC_AT] == MMP_MAGIC).then(|| UbMmp {
                delay_ns: w[MMP_DELAY],
                seq: when(SEQ_VALID, (config >> 32) & 0xffff),
                fail_intervals: when(FAIL_VALID, config >> 48),
                interval_ms: when(INTERVAL_VALID, (config >> 8) & 0xff_ffff),
            }),
            labels,
        }
    }
}

/// Building uberblock slots for the tests.
#[cfg(test)]
pub fn encode(txg: u64, timestamp: u64, mmp: Option<(u64, u64)>, le: bool) -> Vec<u8> {
    let mut w = [0u64; WORDS];
    w[0] = UBERBLOCK_MAGIC;
    w[1] = 5000;
    w[TXG] = txg;
    w[TIMESTAMP] = timestamp;
    if let Some((delay, config)) = mmp {
        w[MMP_MAGIC_AT] = MMP_MAGIC;
        w[MMP_DELAY] = delay;
        w[MMP_CONFIG] = config;
    }
    w.iter()
        .flat_map(|v| if le { v.to_le_bytes() } else { v.to_be_bytes() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_byte_order_reads_the_same_fields() {
        // fail 10, seq 3, write 1000 ms, all three valid
        let config = (10 << 48) | (3 << 32) | (1000 << 8) | 0x07;
        for le in [true, false] {
            let ub = RawUberblock::decode(&encode(
                51,
                1_796_096_541,
                Some((1_000_000_000, config)),
                le,
            ))
            .unwrap()
            .fields(vec![0]);
            assert_eq!((ub.txg, ub.timestamp), (51, 1_796_096_541), "le {le}");
            assert_eq!(
                ub.mmp,
                Some(UbMmp {
                    delay_ns: 1_000_000_000,
                    seq: Some(3),
                    fail_intervals: Some(10),
                    interval_ms: Some(1000),
                })
            );
        }
        // multihost off: magic, delay 0, no valid bits; no MMP at all: no magic
        let off = RawUberblock::decode(&encode(52, 1, Some((0, 0)), false))
            .unwrap()
            .fields(vec![]);
        assert_eq!(off.mmp, Some(UbMmp::default()));
        let none = RawUberblock::decode(&encode(52, 1, None, true))
            .unwrap()
            .fields(vec![]);
        assert_eq!(none.mmp, None);
        assert_eq!(RawUberblock::decode(&[0; 1024]), None);
        assert_eq!(RawUberblock::decode(&[0; 16]), None);
    }
}
