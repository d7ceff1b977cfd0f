//! Secrets (passwords, keys): never shown by `Debug`, never `Display`ed, never put in argv,
//! wiped from memory (`zeroize`) when dropped.

use std::fmt;

/// A secret byte string. `Debug` prints `***`; there is no `Display`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wrap a secret.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    /// The secret's bytes, for the protocol code that needs them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Equal to `other`, compared in constant time (`subtle`).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.0.as_slice(), other).into()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), b"hunter2");
    }
}
