//! The embedded checksum of label blocks (`ZIO_CHECKSUM_LABEL`): a SHA-256 of the whole block
//! taken with the checksum field holding the verifier (the block's byte offset on the device),
//! stored in the `zio_eck_t` trailer at the block's end.

use sha2::{Digest, Sha256};

/// `ZEC_MAGIC`: the trailer's magic, which also tells the writer's byte order.
const ZEC_MAGIC: u64 = 0x0210_da7a_b10c_7a11;
/// `sizeof (zio_eck_t)`: the magic and four checksum words.
pub const ECK_SIZE: usize = 40;

/// The byte order of a trailer's words: the writer's, told by its magic (a magic in neither
/// order is read in the host's order, as ZFS does — the checksum then fails).
fn writer_little_endian(magic: [u8; 8]) -> bool {
    let host_le = cfg!(target_endian = "little");
    let swapped = if host_le {
        u64::from_be_bytes(magic) == ZEC_MAGIC
    } else {
        u64::from_le_bytes(magic) == ZEC_MAGIC
    };
    host_le != swapped
}

fn word(b: &[u8], le: bool) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[..8]);
    if le {
        u64::from_le_bytes(w)
    } else {
        u64::from_be_bytes(w)
    }
}

/// True if `block`, read from byte `offset` of the device, carries a valid embedded checksum.
pub fn valid(block: &[u8], offset: u64) -> bool {
    let Some(eck) = block.len().checked_sub(ECK_SIZE) else {
        return false;
    };
    let mut magic = [0; 8];
    magic.copy_from_slice(&block[eck..eck + 8]);
    let le = writer_little_endian(magic);
    let sum = eck + 8;
    let mut verifier = Vec::with_capacity(32);
    for w in [offset, 0, 0, 0] {
        verifier.extend(if le { w.to_le_bytes() } else { w.to_be_bytes() });
    }
    let digest = Sha256::new()
        .chain_update(&block[..sum])
        .chain_update(&verifier)
        .finalize();
    // ZFS keeps the digest as four big-endian words, stored in the writer's order
    (0..4).all(|i| word(&digest[i * 8..], false) == word(&block[sum + i * 8..], le))
}

/// Seal `block` as ZFS writes it at `offset` (tests build label images with it).
#[cfg(test)]
pub fn seal(block: &mut [u8], offset: u64, little_endian: bool) {
    let eck = block.len() - ECK_SIZE;
    let order = |w: u64| {
        if little_endian {
            w.to_le_bytes()
        } else {
            w.to_be_bytes()
        }
    };
    block[eck..eck + 8].copy_from_slice(&order(ZEC_MAGIC));
    for (i, w) in [offset, 0, 0, 0].into_iter().enumerate() {
        block[eck + 8 + i * 8..eck + 16 + i * 8].copy_from_slice(&order(w));
    }
    let digest = Sha256::digest(&*block);
    for i in 0..4 {
        let w = word(&digest[i * 8..], false);
        block[eck + 8 + i * 8..eck + 16 + i * 8].copy_from_slice(&order(w));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_block_is_valid_at_its_offset_only() {
        for le in [true, false] {
            let mut b = vec![7u8; 1024];
            seal(&mut b, 0x2_0000, le);
            assert!(valid(&b, 0x2_0000));
            assert!(!valid(&b, 0x2_0400), "the verifier is the offset");
            b[100] ^= 1;
            assert!(!valid(&b, 0x2_0000), "a flipped byte");
        }
        assert!(!valid(&[0; 1024], 0));
        assert!(!valid(&[0; 8], 0));
    }
}
