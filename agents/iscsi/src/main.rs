//! The `iscsi` binary, installed as /usr/lib/ocf/resource.d/hasan/iscsi.

fn main() -> std::process::ExitCode {
    libocf::run::<hasan_iscsi::Iscsi>()
}
