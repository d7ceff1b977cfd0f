//! ocf:hasan:iscsi — the client-facing LIO iSCSI target (see the README and `meta-data`).

mod chap;
mod config;
mod configfs;
mod identity;
mod lio;
mod openssl_enc;

fn main() {}
