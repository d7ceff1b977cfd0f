//! The `nfs` binary, installed as /usr/lib/ocf/resource.d/hasan/nfs.

fn main() -> std::process::ExitCode {
    libocf::run::<hasan_nfs::Nfs>()
}
