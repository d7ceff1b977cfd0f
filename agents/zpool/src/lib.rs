//! ocf:hasan:zpool — a ZFS pool with multihost protection (see the README and `meta-data`).

mod agent;
mod config;
mod datasets;
mod decide;
mod health;
mod holders;
mod hostid_attr;
mod import;
mod importargs;
mod kernel_read;
mod labels;
mod mmp;
mod mount;
mod mountinfo;
mod ondisk;
mod reattach;
pub mod spec;
mod start;
pub mod start_timeout;
mod stop;
mod sysfs;
mod zfsdev;

#[cfg(test)]
mod tests;

pub use agent::Zpool;
pub use mmp::{MmpParams, Tuning};
pub use start_timeout::{start_need, StartNeed};
