//! fence_hasan_ipmi: the binary.

fn main() -> std::process::ExitCode {
    libfence::run::<fence_hasan_ipmi::IpmiAgent>()
}
