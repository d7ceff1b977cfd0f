//! ocf:hasan:iscsi — the client-facing LIO iSCSI target (see the README and `meta-data`).

mod agent;
mod chap;
mod config;
mod configfs;
mod identity;
mod lio;
mod node;
mod openssl_enc;

fn main() -> std::process::ExitCode {
    libocf::run::<agent::Iscsi>()
}
