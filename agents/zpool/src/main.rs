//! The `zpool` binary, installed as /usr/lib/ocf/resource.d/hasan/zpool.

fn main() -> std::process::ExitCode {
    libocf::run::<hasan_zpool::Zpool>()
}
