//! RMCP+ cryptography for cipher suites 3 and 17 (IPMI 2.0 §13.28–13.32): the RAKP key-exchange
//! codes, the session integrity key SIK, K1 (integrity) and K2 (confidentiality), the per-packet
//! AuthCode and AES-CBC-128 with IPMI's confidentiality trailer.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use libfence::Secret;

/// A cipher suite fence_hasan_ipmi speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128.
    S3,
    /// RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128.
    S17,
}

impl Suite {
    /// The cipher suite ID.
    pub fn id(self) -> u8 {
        match self {
            Suite::S3 => 3,
            Suite::S17 => 17,
        }
    }

    /// From a cipher suite ID.
    pub fn from_id(id: u8) -> Option<Suite> {
        match id {
            3 => Some(Suite::S3),
            17 => Some(Suite::S17),
            _ => None,
        }
    }

    /// Authentication (RAKP) algorithm number.
    pub fn auth_alg(self) -> u8 {
        match self {
            Suite::S3 => 0x01,
            Suite::S17 => 0x03,
        }
    }

    /// Integrity algorithm number.
    pub fn integrity_alg(self) -> u8 {
        match self {
            Suite::S3 => 0x01,
            Suite::S17 => 0x04,
        }
    }

    /// Confidentiality algorithm number (AES-CBC-128 for both).
    pub fn confidentiality_alg(self) -> u8 {
        0x01
    }

    /// Length of the RAKP HMAC (the full digest).
    pub fn rakp_len(self) -> usize {
        match self {
            Suite::S3 => 20,
            Suite::S17 => 32,
        }
    }

    /// Length of the RAKP 4 integrity check value and of every packet AuthCode.
    pub fn integrity_len(self) -> usize {
        match self {
            Suite::S3 => 12,
            Suite::S17 => 16,
        }
    }

    /// HMAC with the suite's hash over the concatenated parts.
    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    for p in parts {
                        m.update(p);
                    }
                    m.finalize().into_bytes().to_vec()
                }
                // HMAC accepts keys of any length; an empty code fails every comparison.
                Err(_) => Vec::new(),
            }
        }
        match self {
            Suite::S3 => run::<Hmac<sha1::Sha1>>(key, parts),
            Suite::S17 => run::<Hmac<sha2::Sha256>>(key, parts),
        }
    }
}

/// What both sides know after RAKP 1 and 2, the input of every key-exchange code.
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Remote console session ID (ours), SIDm.
    pub console_sid: u32,
    /// Managed system session ID (the BMC's), SIDc.
    pub bmc_sid: u32,
    /// Remote console random number, Rm.
    pub console_rand: [u8; 16],
    /// Managed system random number, Rc.
    pub bmc_rand: [u8; 16],
    /// Managed system GUID, GUIDc.
    pub bmc_guid: [u8; 16],
    /// Requested role byte as sent in RAKP 1 (privilege | lookup bit).
    pub role: u8,
    /// User name as sent in RAKP 1.
    pub username: Vec<u8>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("console_sid", &self.console_sid)
            .field("bmc_sid", &self.bmc_sid)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    fn user_len(&self) -> [u8; 1] {
        [u8::try_from(self.username.len()).unwrap_or(u8::MAX)]
    }

    /// RAKP 2 key exchange authentication code: HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm,
    /// ULENGTHm, UNAMEm).
    pub fn rakp2_code(&self, suite: Suite, kuid: &[u8]) -> Vec<u8> {
        suite.hmac(
            kuid,
            &[
                &self.console_sid.to_le_bytes(),
                &self.bmc_sid.to_le_bytes(),
                &self.console_rand,
                &self.bmc_rand,
                &self.bmc_guid,
                &[self.role],
                &self.user_len(),
                &self.username,
            ],
        )
    }

    /// RAKP 3 key exchange authentication code: HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm).
    pub fn rakp3_code(&self, suite: Suite, kuid: &[u8]) -> Vec<u8> {
        suite.hmac(
            kuid,
            &[
                &self.bmc_rand,
                &self.console_sid.to_le_bytes(),
                &[self.role],
                &self.user_len(),
                &self.username,
            ],
        )
    }

    /// Session integrity key: HMAC_KG(Rm, Rc, ROLEm, ULENGTHm, UNAMEm), KG being the BMC key
    /// when one is set, else the user's password.
    pub fn sik(&self, suite: Suite, kg: &[u8]) -> Vec<u8> {
        suite.hmac(
            kg,
            &[
                &self.console_rand,
                &self.bmc_rand,
                &[self.role],
                &self.user_len(),
                &self.username,
            ],
        )
    }

    /// RAKP 4 integrity check value: HMAC_SIK(Rm, SIDc, GUIDc), truncated to the integrity length.
    pub fn rakp4_icv(&self, suite: Suite, sik: &[u8]) -> Vec<u8> {
        let mut v = suite.hmac(
            sik,
            &[
                &self.console_rand,
                &self.bmc_sid.to_le_bytes(),
                &self.bmc_guid,
            ],
        );
        v.truncate(suite.integrity_len());
        v
    }
}

/// The keys of an established session.
#[derive(Clone)]
pub struct SessionKeys {
    /// The suite.
    pub suite: Suite,
    /// K1 = HMAC_SIK(20 × 0x01): the AuthCode key.
    pub k1: Secret,
    /// K2 = HMAC_SIK(20 × 0x02): its first 16 bytes are the AES key.
    pub k2: Secret,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionKeys({:?}, ***)", self.suite)
    }
}

impl SessionKeys {
    /// Derive K1 and K2 from the SIK.
    pub fn derive(suite: Suite, sik: &[u8]) -> SessionKeys {
        SessionKeys {
            suite,
            k1: Secret::new(suite.hmac(sik, &[&[0x01; 20]])),
            k2: Secret::new(suite.hmac(sik, &[&[0x02; 20]])),
        }
    }

    /// A packet's AuthCode over `data` (AuthType byte through Next Header).
    pub fn auth_code(&self, data: &[u8]) -> Vec<u8> {
        let mut v = self.suite.hmac(self.k1.expose(), &[data]);
        v.truncate(self.suite.integrity_len());
        v
    }

    /// Check a packet's AuthCode (exactly the suite's length) in constant time, with the MAC's
    /// own truncated verification.
    pub fn verify(&self, data: &[u8], code: &[u8]) -> bool {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8], code: &[u8]) -> bool {
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.verify_truncated_left(code).is_ok()
                }
                Err(_) => false,
            }
        }
        if code.len() != self.suite.integrity_len() {
            return false;
        }
        match self.suite {
            Suite::S3 => run::<Hmac<sha1::Sha1>>(self.k1.expose(), data, code),
            Suite::S17 => run::<Hmac<sha2::Sha256>>(self.k1.expose(), data, code),
        }
    }

    fn aes_key(&self) -> Option<&[u8]> {
        self.k2.expose().get(..16)
    }

    /// Encrypt a payload: IV, then AES-CBC-128 of payload + pad 1, 2, … + pad length.
    pub fn encrypt(&self, iv: [u8; 16], payload: &[u8]) -> Option<Vec<u8>> {
        let pad = (16 - (payload.len() + 1) % 16) % 16;
        let mut buf = payload.to_vec();
        buf.extend((1..=pad).map(|i| i as u8));
        buf.push(pad as u8);
        let len = buf.len();
        let enc = cbc::Encryptor::<aes::Aes128>::new_from_slices(self.aes_key()?, &iv).ok()?;
        enc.encrypt_padded_mut::<NoPadding>(&mut buf, len).ok()?;
        let mut out = iv.to_vec();
        out.extend_from_slice(&buf);
        Some(out)
    }

    /// Decrypt a payload written by [`SessionKeys::encrypt`]; `None` if malformed.
    pub fn decrypt(&self, data: &[u8]) -> Option<Vec<u8>> {
        if data.len() < 32 || !data.len().is_multiple_of(16) {
            return None;
        }
        let (iv, body) = data.split_at(16);
        let mut buf = body.to_vec();
        let dec = cbc::Decryptor::<aes::Aes128>::new_from_slices(self.aes_key()?, iv).ok()?;
        dec.decrypt_padded_mut::<NoPadding>(&mut buf).ok()?;
        let pad = usize::from(*buf.last()?);
        if pad >= 16 || pad + 1 > buf.len() {
            return None;
        }
        buf.truncate(buf.len() - pad - 1);
        Some(buf)
    }
}

/// Constant-time equality (`subtle`) of two non-empty codes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    !a.is_empty() && bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(suite: Suite) -> SessionKeys {
        SessionKeys::derive(suite, &suite.hmac(b"k", &[b"sik"]))
    }

    #[test]
    fn encryption_round_trips_for_every_length() {
        for suite in [Suite::S3, Suite::S17] {
            let k = keys(suite);
            for n in 0..40 {
                let p: Vec<u8> = (0..n).map(|i| i as u8).collect();
                let c = k.encrypt([7; 16], &p).unwrap();
                assert_eq!(c.len() % 16, 0);
                assert_eq!(k.decrypt(&c).unwrap(), p);
            }
        }
    }

    #[test]
    fn lengths_match_the_suites() {
        assert_eq!(Suite::S3.hmac(b"k", &[b"x"]).len(), 20);
        assert_eq!(Suite::S17.hmac(b"k", &[b"x"]).len(), 32);
        assert_eq!(keys(Suite::S3).auth_code(b"x").len(), 12);
        assert_eq!(keys(Suite::S17).auth_code(b"x").len(), 16);
        assert!(keys(Suite::S17).verify(b"x", &keys(Suite::S17).auth_code(b"x")));
        assert!(!keys(Suite::S17).verify(b"y", &keys(Suite::S17).auth_code(b"x")));
        // A truncated code is not a shorter valid one.
        let code = keys(Suite::S3).auth_code(b"x");
        assert!(!keys(Suite::S3).verify(b"x", &code[..4]));
        assert!(!keys(Suite::S3).verify(b"x", &[]));
        assert!(!ct_eq(&[], &[]));
        assert!(ct_eq(&[1, 2], &[1, 2]) && !ct_eq(&[1, 2], &[1, 3]) && !ct_eq(&[1], &[1, 2]));
    }

    #[test]
    fn hmac_sha1_matches_rfc2202() {
        // RFC 2202 test case 2.
        let v = Suite::S3.hmac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            v.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
