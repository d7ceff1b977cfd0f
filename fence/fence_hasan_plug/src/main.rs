//! fence_hasan_plug (also installed as fence_kasa and fence_http): the binary.

fn main() -> std::process::ExitCode {
    let program = std::env::args_os().next().unwrap_or_default();
    fence_hasan_plug::main_for(&program.to_string_lossy())
}
