//! ocf:hasan:smb — Samba's smbd with smb.conf and its private/ directory on the pool (see the
//! README and `meta-data`).

mod agent;
mod config;
mod host;
pub mod spec;
mod testparm;

#[cfg(test)]
mod tests;

pub use agent::Smb;
