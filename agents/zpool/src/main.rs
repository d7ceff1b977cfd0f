//! ocf:hasan:zpool — a ZFS pool with multihost protection (see the README and `meta-data`).

mod agent;
mod config;
mod datasets;
mod decide;
mod health;
mod holders;
mod import;
mod importargs;
mod labels;
mod mmp;
mod start;
mod stop;
mod sysfs;
mod tools;

#[cfg(test)]
mod tests;

fn main() -> std::process::ExitCode {
    libocf::run::<agent::Zpool>()
}
