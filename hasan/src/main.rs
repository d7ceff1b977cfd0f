//! hasan — the operator's tool: failover timeline, cluster readiness check, standby on shutdown.

mod check;
mod cli;
mod clock;
mod events;
mod host;
mod journal;
#[cfg(test)]
mod lab_fixtures;
mod manpage;
mod run;
mod standby;
mod timeline;
mod xml;

fn main() -> std::process::ExitCode {
    run::main(std::env::args_os())
}
