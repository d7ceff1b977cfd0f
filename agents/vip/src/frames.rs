//! The announcement frames start sends: an ARP announcement (RFC 5227) for IPv4 and an
//! unsolicited neighbour advertisement (RFC 4861 §7.2.6) for IPv6, as complete Ethernet frames.

use std::net::{Ipv4Addr, Ipv6Addr};

/// EtherType of ARP.
pub const ETH_P_ARP: u16 = 0x0806;
/// EtherType of IPv6.
pub const ETH_P_IPV6: u16 = 0x86dd;
/// The Ethernet broadcast address.
pub const BROADCAST_MAC: [u8; 6] = [0xff; 6];
/// ff02::1, all nodes on the link.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload_len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload_len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f
}

/// An ARP announcement: a broadcast request with sender and target address both `ip`.
pub fn arp_announcement(mac: [u8; 6], ip: Ipv4Addr) -> Vec<u8> {
    let mut f = ethernet(BROADCAST_MAC, mac, ETH_P_ARP, 28);
    f.extend_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    f.extend_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    f.extend_from_slice(&[6, 4]); // address lengths
    f.extend_from_slice(&1u16.to_be_bytes()); // operation: request
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ip.octets());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&ip.octets());
    f
}

/// The Ethernet multicast address of an IPv6 multicast group (33:33 + last four bytes).
pub fn multicast_mac(group: Ipv6Addr) -> [u8; 6] {
    let o = group.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// The internet checksum (RFC 1071) of `data`.
pub fn internet_checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for chunk in chunks {
        for &b in *chunk {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // The loop leaves at most 16 bits.
    !(sum as u16)
}

/// An unsolicited neighbour advertisement for `ip` to all nodes, with the override flag and
/// the target link-layer address option, from `ip` itself with hop limit 255.
pub fn unsolicited_na(mac: [u8; 6], ip: Ipv6Addr) -> Vec<u8> {
    const ICMP_LEN: usize = 32;
    let mut icmp = Vec::with_capacity(ICMP_LEN);
    icmp.extend_from_slice(&[136, 0, 0, 0]); // type NA, code, checksum placeholder
    icmp.extend_from_slice(&[0x20, 0, 0, 0]); // flags: override
    icmp.extend_from_slice(&ip.octets());
    icmp.extend_from_slice(&[2, 1]); // option: target link-layer address, 8 bytes
    icmp.extend_from_slice(&mac);
    let pseudo_len = (ICMP_LEN as u32).to_be_bytes();
    let cksum = internet_checksum(&[
        &ip.octets(),
        &ALL_NODES.octets(),
        &pseudo_len,
        &[0, 0, 0, 58],
        &icmp,
    ]);
    icmp[2..4].copy_from_slice(&cksum.to_be_bytes());

    let mut f = ethernet(multicast_mac(ALL_NODES), mac, ETH_P_IPV6, 40 + ICMP_LEN);
    f.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, no traffic class, no flow label
    f.extend_from_slice(&(ICMP_LEN as u16).to_be_bytes());
    f.extend_from_slice(&[58, 255]); // next header ICMPv6, hop limit 255
    f.extend_from_slice(&ip.octets());
    f.extend_from_slice(&ALL_NODES.octets());
    f.extend_from_slice(&icmp);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];

    #[test]
    fn arp_announcement_layout() {
        let f = arp_announcement(MAC, Ipv4Addr::new(192, 0, 2, 10));
        assert_eq!(f.len(), 42);
        assert_eq!(&f[0..6], &[0xff; 6]);
        assert_eq!(&f[6..12], &MAC);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[14..22], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&f[22..28], &MAC);
        assert_eq!(&f[28..32], &[192, 0, 2, 10]);
        assert_eq!(&f[32..38], &[0; 6]);
        assert_eq!(&f[38..42], &[192, 0, 2, 10]);
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, checksum 220d.
        assert_eq!(
            internet_checksum(&[&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
        // Odd lengths pad with a zero byte, also across chunk borders.
        assert_eq!(internet_checksum(&[&[0x01]]), !0x0100);
        assert_eq!(
            internet_checksum(&[&[0x00, 0x01, 0xf2], &[0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
    }

    #[test]
    fn unsolicited_na_layout_and_checksum() {
        let ip: Ipv6Addr = "2001:db8::10".parse().unwrap();
        let f = unsolicited_na(MAC, ip);
        assert_eq!(f.len(), 14 + 40 + 32);
        assert_eq!(&f[0..6], &[0x33, 0x33, 0, 0, 0, 1]);
        assert_eq!(&f[12..14], &[0x86, 0xdd]);
        let ipv6 = &f[14..54];
        assert_eq!(ipv6[0] >> 4, 6);
        assert_eq!(u16::from_be_bytes([ipv6[4], ipv6[5]]), 32);
        assert_eq!((ipv6[6], ipv6[7]), (58, 255));
        assert_eq!(&ipv6[8..24], &ip.octets());
        assert_eq!(&ipv6[24..40], &ALL_NODES.octets());
        let icmp = &f[54..];
        assert_eq!((icmp[0], icmp[1], icmp[4]), (136, 0, 0x20));
        assert_eq!(&icmp[8..24], &ip.octets());
        assert_eq!(&icmp[24..26], &[2, 1]);
        assert_eq!(&icmp[26..32], &MAC);
        // A correct checksum makes the sum over pseudo-header and message verify to zero.
        let verify = internet_checksum(&[
            &ipv6[8..24],
            &ipv6[24..40],
            &[0, 0, 0, 32, 0, 0, 0, 58],
            icmp,
        ]);
        assert_eq!(verify, 0);
    }
}
