//! ocf:hasan:vip — a virtual IPv4/IPv6 address on a given interface, managed over netlink and
//! announced with gratuitous ARP or unsolicited neighbour advertisements (replaces IPaddr2).

mod actions;
mod agent;
mod config;
#[cfg(test)]
mod fake;
mod frames;
mod net;
mod netlink;
mod packet;
pub mod spec;

pub use agent::Vip;
