//! ocf:hasan:vip — a virtual IPv4/IPv6 address on a given interface, managed over netlink and
//! announced with gratuitous ARP or unsolicited neighbour advertisements (replaces IPaddr2).

pub mod actions;
pub mod agent;
pub mod config;
#[cfg(test)]
mod fake;
pub mod frames;
pub mod net;
pub mod netlink;
mod packet;
pub mod spec;

pub use agent::Vip;
