//! fence_hasan_plug: smart-plug fencing — Tasmota, Shelly Gen1/Gen2, ESPHome, TP-Link Kasa
//! (legacy protocol) and generic HTTP plugs behind one agent, with the entry points fence_kasa
//! and fence_http taken from the program name.

pub mod agent;
pub mod esphome;
pub mod generic;
pub mod http;
pub mod kasa;
pub mod params;
pub mod reply;
pub mod shelly;
pub mod tasmota;

pub use agent::{AnyPlug, HttpPlug, KasaPlug, PlugAgent, PlugType};

/// Run the entry point named by `program` (argv[0]'s file name).
pub fn main_for(program: &str) -> std::process::ExitCode {
    match entry_point(program) {
        Some(PlugType::Kasa) => libfence::run::<PlugAgent<KasaPlug>>(),
        Some(PlugType::Http) => libfence::run::<PlugAgent<HttpPlug>>(),
        _ => libfence::run::<PlugAgent<AnyPlug>>(),
    }
}

/// The type fixed by a program name: `fence_kasa` → kasa, `fence_http` → http, else none.
pub fn entry_point(program: &str) -> Option<PlugType> {
    let name = program.rsplit('/').next().unwrap_or(program);
    match name {
        "fence_kasa" => Some(PlugType::Kasa),
        "fence_http" => Some(PlugType::Http),
        _ => None,
    }
}
