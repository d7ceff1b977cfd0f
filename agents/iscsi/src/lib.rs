//! ocf:hasan:iscsi — the client-facing LIO iSCSI target, driven through configfs (see the README
//! and `meta-data`).

mod agent;
mod chap;
mod config;
mod configfs;
mod identity;
mod lio;
mod node;
mod openssl_enc;
pub mod spec;

pub use agent::Iscsi;
