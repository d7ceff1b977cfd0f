//! ocf:hasan:nfs — the kernel NFS server with its configuration and NFSv4 state on the pool (see
//! the README and `meta-data`).

mod agent;
mod config;
mod host;
mod layout;
mod rpc;
pub mod spec;
mod unit;

#[cfg(test)]
mod tests;

pub use agent::Nfs;
