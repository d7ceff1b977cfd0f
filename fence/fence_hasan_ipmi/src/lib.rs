//! fence_hasan_ipmi: IPMI v2.0 RMCP+ (lanplus) fencing with cipher suites 3 and 17, written in
//! the project (see the README for why not ipmi-rs): crypto, wire format, sessions, the agent.

pub mod agent;
pub mod crypto;
pub mod session;
pub mod wire;

pub use agent::IpmiAgent;
