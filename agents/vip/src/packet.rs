//! Sending raw Ethernet frames through an `AF_PACKET` socket — the only `unsafe` in the agent.
//!
//! Neither std nor rustix offers `sockaddr_ll`, so the one `sendto` call is made through libc.
//! The socket itself is opened safely with rustix, with protocol 0 so that it never receives.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::net::{AddressFamily, SocketFlags, SocketType};

/// A send-only packet socket.
#[derive(Debug)]
pub struct PacketSocket(OwnedFd);

impl PacketSocket {
    /// Open a raw packet socket (needs `CAP_NET_RAW`).
    pub fn open() -> io::Result<PacketSocket> {
        let fd = rustix::net::socket_with(
            AddressFamily::PACKET,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            None,
        )?;
        Ok(PacketSocket(fd))
    }

    /// Send one complete Ethernet frame (header included) out of interface `ifindex`.
    pub fn send(&self, ifindex: u32, frame: &[u8]) -> io::Result<()> {
        if frame.len() < 14 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "frame shorter than an Ethernet header",
            ));
        }
        let ifindex = i32::try_from(ifindex).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "interface index out of range")
        })?;
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value of it.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as libc::c_ushort;
        sll.sll_protocol = u16::from_be_bytes([frame[12], frame[13]]).to_be();
        sll.sll_ifindex = ifindex;
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&frame[..6]);
        // SAFETY: the fd is open for the lifetime of self; buf/len describe `frame`, which lives
        // across the call; addr/addrlen describe `sll`, a valid sockaddr_ll on our stack.
        let sent = unsafe {
            libc::sendto(
                self.0.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                std::ptr::addr_of!(sll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        match usize::try_from(sent) {
            Ok(n) if n == frame.len() => Ok(()),
            Ok(n) => Err(io::Error::other(format!(
                "sent {n} of {} bytes",
                frame.len()
            ))),
            Err(_) => Err(io::Error::last_os_error()),
        }
    }
}
