//! ocf:hasan:smb — Samba's smbd with smb.conf and its private/ directory on the pool (see the
//! README and `meta-data`).

mod agent;
mod config;
mod host;
mod testparm;

#[cfg(test)]
mod tests;

fn main() -> std::process::ExitCode {
    libocf::run::<agent::Smb>()
}
