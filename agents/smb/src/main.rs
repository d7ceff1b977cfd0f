//! The `smb` binary, installed as /usr/lib/ocf/resource.d/hasan/smb.

fn main() -> std::process::ExitCode {
    libocf::run::<hasan_smb::Smb>()
}
