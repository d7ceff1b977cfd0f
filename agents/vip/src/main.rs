//! The `vip` binary, installed as /usr/lib/ocf/resource.d/hasan/vip.

fn main() -> std::process::ExitCode {
    libocf::run::<hasan_vip::Vip>()
}
