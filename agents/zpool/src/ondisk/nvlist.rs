//! Packed nvlists: the XDR encoding of a vdev label (`NV_ENCODE_XDR`) and the native encoding
//! the ZFS module's ioctls answer in (`NV_ENCODE_NATIVE`, little-endian hosts): the 64-bit
//! integers, strings and nested lists the agent needs; every other type is stepped over the way
//! libnvpair's decoder reads it.

/// Nested lists deeper than this are refused (libnvpair's `nvpair_max_recursion`).
const MAX_DEPTH: usize = 20;

/// `data_type_t` values (sys/nvpair.h).
mod ty {
    pub const BOOLEAN: i32 = 1;
    pub const BYTE: i32 = 2;
    pub const INT16: i32 = 3;
    pub const UINT16: i32 = 4;
    pub const INT32: i32 = 5;
    pub const UINT32: i32 = 6;
    pub const INT64: i32 = 7;
    pub const UINT64: i32 = 8;
    pub const STRING: i32 = 9;
    pub const BYTE_ARRAY: i32 = 10;
    pub const INT16_ARRAY: i32 = 11;
    pub const UINT16_ARRAY: i32 = 12;
    pub const INT32_ARRAY: i32 = 13;
    pub const UINT32_ARRAY: i32 = 14;
    pub const INT64_ARRAY: i32 = 15;
    pub const UINT64_ARRAY: i32 = 16;
    pub const STRING_ARRAY: i32 = 17;
    pub const HRTIME: i32 = 18;
    pub const NVLIST: i32 = 19;
    pub const NVLIST_ARRAY: i32 = 20;
    pub const BOOLEAN_VALUE: i32 = 21;
    pub const INT8: i32 = 22;
    pub const UINT8: i32 = 23;
    pub const BOOLEAN_ARRAY: i32 = 24;
    pub const INT8_ARRAY: i32 = 25;
    pub const UINT8_ARRAY: i32 = 26;
    pub const DOUBLE: i32 = 27;
}

/// `NV_ENCODE_XDR`, the first byte of the packed header.
const ENCODE_XDR: u8 = 1;

/// `NV_ENCODE_NATIVE`: the ioctls' encoding (the host's byte order and struct layout).
const ENCODE_NATIVE: u8 = 0;

/// The header's second byte for a little-endian native encoding.
const LITTLE_ENDIAN: u8 = 1;

/// One value as far as the label readers care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `DATA_TYPE_UINT64`.
    U64(u64),
    /// `DATA_TYPE_STRING`.
    Str(String),
    /// `DATA_TYPE_NVLIST`.
    List(NvList),
    /// `DATA_TYPE_NVLIST_ARRAY` (a vdev's `children`).
    Lists(Vec<NvList>),
    /// Any other type (decoded and skipped).
    Other,
}

/// A decoded nvlist: its pairs in stream order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NvList {
    pairs: Vec<(String, Value)>,
}

impl NvList {
    /// The first value named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A `uint64` value.
    pub fn u64(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Value::U64(v)) => Some(*v),
            _ => None,
        }
    }

    /// A string value.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// A nested list.
    pub fn list(&self, name: &str) -> Option<&NvList> {
        match self.get(name) {
            Some(Value::List(l)) => Some(l),
            _ => None,
        }
    }

    /// An array of nested lists (empty when absent).
    pub fn lists(&self, name: &str) -> &[NvList] {
        match self.get(name) {
            Some(Value::Lists(l)) => l,
            _ => &[],
        }
    }
}

/// Why a packed nvlist cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NvError {
    /// The buffer ends inside the list.
    #[error("the nvlist is truncated at byte {0}")]
    Truncated(usize),
    /// Neither XDR nor little-endian native.
    #[error("the nvlist encoding is {0}, neither XDR nor little-endian native")]
    NotXdr(u8),
    /// A list version other than `NV_VERSION` (0).
    #[error("nvlist version {0} is not supported")]
    Version(i32),
    /// A data type this format does not have.
    #[error("unknown nvpair type {ty} at byte {at}")]
    Type {
        /// The type number.
        ty: i32,
        /// Where its pair starts.
        at: usize,
    },
    /// Negative sizes or counts.
    #[error("invalid nvpair at byte {0}")]
    Invalid(usize),
    /// Nested beyond [`MAX_DEPTH`].
    #[error("nvlists nested deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// Decode a packed nvlist (header, then the XDR or native stream).
pub fn unpack(buf: &[u8]) -> Result<NvList, NvError> {
    match (buf.first(), buf.get(1)) {
        (None, _) => Err(NvError::Truncated(0)),
        (Some(&ENCODE_XDR), _) => Stream { buf, pos: 4 }.list(0),
        (Some(&ENCODE_NATIVE), Some(&LITTLE_ENDIAN)) if cfg!(target_endian = "little") => {
            let mut n = Native { buf, pos: 4 };
            let version = n.i32()?;
            if version != 0 {
                return Err(NvError::Version(version));
            }
            n.take(4)?; // nvflag
            n.pairs(0)
        }
        (Some(&other), _) => Err(NvError::NotXdr(other)),
    }
}

/// The native encoding: the list's pairs as libnvpair holds them in memory. Each pair is its
/// `nvpair_t` (size, name length, reserved, element count, type), the name padded to 8, and the
/// value; a nested list's pairs follow its pair, and every list ends with a zero size.
struct Native<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Native<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], NvError> {
        take(self.buf, &mut self.pos, n)
    }

    fn i32(&mut self) -> Result<i32, NvError> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn pairs(&mut self, depth: usize) -> Result<NvList, NvError> {
        if depth > MAX_DEPTH {
            return Err(NvError::TooDeep);
        }
        let mut list = NvList::default();
        loop {
            let at = self.pos;
            let size = self.i32()?;
            if size == 0 {
                return Ok(list);
            }
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s >= 16)
                .ok_or(NvError::Invalid(at))?;
            self.pos = at;
            let pair = self.take(size)?;
            let name_len = usize::from(u16::from_le_bytes([pair[4], pair[5]]));
            let nelem = usize::try_from(i32::from_le_bytes([pair[8], pair[9], pair[10], pair[11]]))
                .map_err(|_| NvError::Invalid(at))?;
            let t = i32::from_le_bytes([pair[12], pair[13], pair[14], pair[15]]);
            let value_at = 16 + name_len.next_multiple_of(8);
            let (Some(name), Some(value)) = (
                pair.get(16..(16 + name_len).saturating_sub(1).max(16)),
                pair.get(value_at..),
            ) else {
                return Err(NvError::Invalid(at));
            };
            let name = String::from_utf8_lossy(name).into_owned();
            let value = match t {
                ty::UINT64 => Value::U64(
                    value
                        .get(..8)
                        .and_then(|b| b.try_into().ok())
                        .map(u64::from_le_bytes)
                        .ok_or(NvError::Invalid(at))?,
                ),
                ty::STRING => {
                    let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
                    Value::Str(String::from_utf8_lossy(&value[..end]).into_owned())
                }
                ty::NVLIST => Value::List(self.pairs(depth + 1)?),
                ty::NVLIST_ARRAY => Value::Lists(
                    (0..nelem)
                        .map(|_| self.pairs(depth + 1))
                        .collect::<Result<_, _>>()?,
                ),
                1..=ty::DOUBLE => Value::Other,
                _ => return Err(NvError::Type { ty: t, at }),
            };
            list.pairs.push((name, value));
        }
    }
}

/// The next `n` bytes of `buf` at `pos`, which moves past them.
fn take<'a>(buf: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], NvError> {
    let end = pos
        .checked_add(n)
        .filter(|e| *e <= buf.len())
        .ok_or(NvError::Truncated(*pos))?;
    let s = &buf[*pos..end];
    *pos = end;
    Ok(s)
}

/// XDR: big-endian, everything padded to 4 bytes.
struct Stream<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Stream<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], NvError> {
        take(self.buf, &mut self.pos, n)
    }

    fn u32(&mut self) -> Result<u32, NvError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i32(&mut self) -> Result<i32, NvError> {
        self.u32().map(|v| i32::from_be_bytes(v.to_be_bytes()))
    }

    fn u64(&mut self) -> Result<u64, NvError> {
        Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?))
    }

    /// `n` padded to 4.
    fn skip(&mut self, n: usize) -> Result<(), NvError> {
        let padded = n.checked_add(3).ok_or(NvError::Truncated(self.pos))? & !3;
        self.take(padded).map(drop)
    }

    fn string(&mut self) -> Result<String, NvError> {
        let len = self.u32()? as usize;
        let at = self.pos;
        self.skip(len)?;
        Ok(String::from_utf8_lossy(&self.buf[at..at + len]).into_owned())
    }

    /// An `xdr_array`: its count, then `size`-byte elements.
    fn array(&mut self, size: usize) -> Result<(), NvError> {
        let count = self.u32()? as usize;
        self.skip(
            count
                .checked_mul(size)
                .ok_or(NvError::Truncated(self.pos))?,
        )
    }

    fn list(&mut self, depth: usize) -> Result<NvList, NvError> {
        if depth > MAX_DEPTH {
            return Err(NvError::TooDeep);
        }
        let version = self.i32()?;
        if version != 0 {
            return Err(NvError::Version(version));
        }
        let _nvflag = self.u32()?;
        let mut list = NvList::default();
        loop {
            let at = self.pos;
            let _encoded = self.i32()?;
            let decoded = self.i32()?;
            // two zero sizes end the list
            if decoded == 0 {
                return Ok(list);
            }
            let name = self.string()?;
            let ty = self.i32()?;
            let nelem = usize::try_from(self.i32()?).map_err(|_| NvError::Invalid(at))?;
            if decoded < 0 {
                return Err(NvError::Invalid(at));
            }
            let value = if nelem == 0 {
                Value::Other
            } else {
                self.value(ty, nelem, depth, at)?
            };
            list.pairs.push((name, value));
        }
    }

    fn value(&mut self, t: i32, nelem: usize, depth: usize, at: usize) -> Result<Value, NvError> {
        match t {
            ty::BOOLEAN => {}
            ty::BYTE
            | ty::INT8
            | ty::UINT8
            | ty::INT16
            | ty::UINT16
            | ty::BOOLEAN_VALUE
            | ty::INT32
            | ty::UINT32 => self.skip(4)?,
            ty::UINT64 => return Ok(Value::U64(self.u64()?)),
            ty::INT64 | ty::HRTIME | ty::DOUBLE => self.skip(8)?,
            ty::STRING => return Ok(Value::Str(self.string()?)),
            ty::BYTE_ARRAY => self.skip(nelem)?,
            ty::INT8_ARRAY
            | ty::UINT8_ARRAY
            | ty::INT16_ARRAY
            | ty::UINT16_ARRAY
            | ty::BOOLEAN_ARRAY
            | ty::INT32_ARRAY
            | ty::UINT32_ARRAY => self.array(4)?,
            ty::INT64_ARRAY | ty::UINT64_ARRAY => self.array(8)?,
            ty::STRING_ARRAY => {
                for _ in 0..nelem {
                    self.string()?;
                }
            }
            ty::NVLIST => return Ok(Value::List(self.list(depth + 1)?)),
            ty::NVLIST_ARRAY => {
                let lists = (0..nelem)
                    .map(|_| self.list(depth + 1))
                    .collect::<Result<_, _>>()?;
                return Ok(Value::Lists(lists));
            }
            _ => return Err(NvError::Type { ty: t, at }),
        }
        Ok(Value::Other)
    }
}

/// Building packed XDR nvlists for the tests.
#[cfg(test)]
pub mod pack {
    /// One pair to encode.
    pub enum P<'a> {
        /// `uint64`.
        U64(&'a str, u64),
        /// `string`.
        Str(&'a str, &'a str),
        /// A nested list.
        List(&'a str, Vec<P<'a>>),
        /// An array of nested lists (a vdev's `children`).
        Lists(&'a str, Vec<Vec<P<'a>>>),
        /// A `uint64` array (a type the reader skips).
        U64s(&'a str, Vec<u64>),
        /// A `boolean` (no value).
        Flag(&'a str),
    }

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u32).to_be_bytes());
        out.extend(s.as_bytes());
        out.resize(out.len().next_multiple_of(4), 0);
    }

    fn list(out: &mut Vec<u8>, pairs: &[P]) {
        out.extend(0i32.to_be_bytes());
        out.extend(1u32.to_be_bytes());
        for p in pairs {
            let mut body = Vec::new();
            let (name, t, n) = match p {
                P::U64(n, v) => {
                    body.extend(v.to_be_bytes());
                    (n, 8, 1)
                }
                P::Str(n, s) => {
                    string(&mut body, s);
                    (n, 9, 1)
                }
                P::List(n, l) => {
                    list(&mut body, l);
                    (n, 19, 1)
                }
                P::Lists(n, ls) => {
                    ls.iter().for_each(|l| list(&mut body, l));
                    (n, 20, ls.len() as i32)
                }
                P::U64s(n, vs) => {
                    body.extend((vs.len() as u32).to_be_bytes());
                    vs.iter().for_each(|v| body.extend(v.to_be_bytes()));
                    (n, 16, vs.len() as i32)
                }
                P::Flag(n) => (n, 1, 0),
            };
            let mut head = Vec::new();
            string(&mut head, name);
            head.extend(i32::to_be_bytes(t));
            head.extend(i32::to_be_bytes(n));
            let size = (8 + head.len() + body.len()) as i32;
            out.extend(size.to_be_bytes());
            out.extend(size.to_be_bytes());
            out.extend(head);
            out.extend(body);
        }
        out.extend([0; 8]);
    }

    /// The packed form (`NV_ENCODE_XDR` header, little-endian host byte).
    pub fn pack(pairs: &[P]) -> Vec<u8> {
        let mut out = vec![1, 1, 0, 0];
        list(&mut out, pairs);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::pack::{pack, P};
    use super::*;

    fn sample() -> Vec<u8> {
        pack(&[
            P::U64("version", 5000),
            P::Str("name", "labpool"),
            P::Flag("com.delphix:hole_birth"),
            P::U64s("children", vec![1, 2, 3]),
            P::List(
                "vdev_tree",
                vec![P::Str("type", "disk"), P::U64("ashift", 12)],
            ),
            P::U64("txg", 25),
        ])
    }

    #[test]
    fn values_and_nested_lists_are_read_and_other_types_skipped() {
        let nv = unpack(&sample()).unwrap();
        assert_eq!(nv.u64("version"), Some(5000));
        assert_eq!(nv.str("name"), Some("labpool"));
        assert_eq!(nv.u64("txg"), Some(25), "read past the skipped array");
        assert_eq!(nv.list("vdev_tree").and_then(|t| t.u64("ashift")), Some(12));
        assert_eq!(nv.get("com.delphix:hole_birth"), Some(&Value::Other));
        assert_eq!(nv.u64("name"), None, "a string is not a number");
        assert_eq!(nv.u64("missing"), None);
    }

    #[test]
    fn a_mirrors_children_are_read() {
        let child = |guid, path| vec![P::U64("guid", guid), P::Str("path", path)];
        let nv = unpack(&pack(&[
            P::List(
                "vdev_tree",
                vec![
                    P::Str("type", "mirror"),
                    P::Lists(
                        "children",
                        vec![
                            child(11, "/dev/sda"),
                            child(12, "/dev/disk/by-path/ip-x-lun-0"),
                        ],
                    ),
                    P::U64("ashift", 12),
                ],
            ),
            P::U64("txg", 25),
        ]))
        .unwrap();
        let tree = nv.list("vdev_tree").unwrap();
        let paths: Vec<_> = tree
            .lists("children")
            .iter()
            .map(|c| c.str("path"))
            .collect();
        assert_eq!(
            paths,
            [Some("/dev/sda"), Some("/dev/disk/by-path/ip-x-lun-0")]
        );
        assert_eq!(tree.u64("ashift"), Some(12));
        assert_eq!(nv.u64("txg"), Some(25));
    }

    /// `ZFS_IOC_POOL_GET_PROPS`'s answer for labpool, recorded in the lab.
    fn native() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/zfsdev-labpool/pool-props.nv"
        ))
        .unwrap()
    }

    #[test]
    fn a_native_list_from_the_kernel_is_read() {
        let nv = unpack(&native()).unwrap();
        let name = nv.list("name").unwrap();
        assert_eq!(name.str("value"), Some("labpool"));
        assert_eq!(nv.list("multihost").and_then(|m| m.u64("value")), Some(1));
    }

    #[test]
    fn truncated_or_garbage_native_lists_are_errors() {
        let full = native();
        for cut in 0..full.len() - 1 {
            assert!(unpack(&full[..cut]).is_err(), "cut at {cut}");
        }
        // the first pair's type
        let mut bad = full.clone();
        bad[24..28].copy_from_slice(&99i32.to_le_bytes());
        assert!(matches!(unpack(&bad), Err(NvError::Type { ty: 99, .. })));
        // a pair size below its header, and one beyond the buffer
        for size in [8i32, -1, i32::MAX] {
            let mut bad = full.clone();
            bad[12..16].copy_from_slice(&size.to_le_bytes());
            assert!(unpack(&bad).is_err(), "size {size}");
        }
    }

    #[test]
    fn truncated_or_garbage_lists_are_errors() {
        let full = sample();
        for cut in 0..full.len() - 1 {
            assert!(unpack(&full[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(unpack(&[2, 1, 0, 0]), Err(NvError::NotXdr(2)));
        // native, big-endian
        assert_eq!(unpack(&[0, 0, 0, 0]), Err(NvError::NotXdr(0)));
        let mut bad = full.clone();
        bad[4..8].copy_from_slice(&7i32.to_be_bytes());
        assert_eq!(unpack(&bad), Err(NvError::Version(7)));
        // a string length far beyond the buffer
        let mut bad = full.clone();
        bad[20..24].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(unpack(&bad).is_err());
        // an unknown type
        let mut bad = full;
        let at = 12 + 8 + 4 + 8; // list head, sizes, name "version" (4 + 8)
        bad[at..at + 4].copy_from_slice(&99i32.to_be_bytes());
        assert!(matches!(unpack(&bad), Err(NvError::Type { ty: 99, .. })));
        // zeroes (a blank label) and noise
        assert!(unpack(&[0; 4096]).is_err());
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(unpack(&noise).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut p = P::U64("leaf", 1);
        for _ in 0..=MAX_DEPTH {
            p = P::List("l", vec![p]);
        }
        assert_eq!(unpack(&pack(&[p])), Err(NvError::TooDeep));
    }
}
