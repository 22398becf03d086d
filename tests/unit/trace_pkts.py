#!/usr/bin/env python3
# trace_pkts.py: writes tests/unit/trace_pkts.h, the packets trace_test.c matches, laid
# out byte for byte as the kernel sends them (valid checksums), each at two or more hops
# of a path with what forwarding changes changed (TTL, checksums, MACs, a VLAN tag, the
# link type) and, for NAT, the tuple.  Run it again after changing a packet.
import struct, sys

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip4(src, dst, proto, payload, ident, ttl=64, frag=0, mf=0, tot=None):
    a = bytes(map(int, src.split("."))); b = bytes(map(int, dst.split(".")))
    tot = tot if tot is not None else 20 + len(payload)
    fo = (mf << 13) | (frag // 8) | (0x4000 if not mf and not frag and tot < 1500 else 0)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident, fo, ttl, proto, 0, a, b)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def pseudo4(src, dst, proto, l4):
    a = bytes(map(int, src.split("."))); b = bytes(map(int, dst.split(".")))
    return a + b + struct.pack("!BBH", 0, proto, len(l4))

def udp4(src, dst, sp, dp, data):
    u = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    c = csum(pseudo4(src, dst, 17, u) + u)
    return u[:6] + struct.pack("!H", c) + u[8:]

def tcp4(src, dst, sp, dp, seq, ack, flags, data=b"", opts=b""):
    off = (20 + len(opts)) // 4
    t = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, off << 4, flags, 64240, 0, 0) + opts + data
    c = csum(pseudo4(src, dst, 6, t) + t)
    return t[:16] + struct.pack("!H", c) + t[18:]

def icmp4(typ, ident, seq, data):
    m = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]

def eth(payload, et=0x0800, src=b"\x02\0\0\0\0\x01", dst=b"\x02\0\0\0\0\x02", vlan=None):
    h = dst + src
    if vlan is not None: h += struct.pack("!HH", 0x8100, vlan)
    f = h + struct.pack("!H", et) + payload
    return f + b"\0" * max(0, 60 - len(f))

def sll(payload, et=0x0800):
    return struct.pack("!HHH", 4, 1, 6) + b"\x02\0\0\0\0\x01\0\0" + struct.pack("!H", et) + payload

def sll2(payload, et=0x0800):
    return struct.pack("!HHIHBB", et, 0, 7, 1, 4, 6) + b"\x02\0\0\0\0\x01\0\0" + payload

def ip6(src, dst, nh, payload, flow=0x12345, hlim=64):
    import ipaddress
    a = ipaddress.IPv6Address(src).packed; b = ipaddress.IPv6Address(dst).packed
    return struct.pack("!IHBB", (6 << 28) | flow, len(payload), nh, hlim) + a + b + payload

def icmp6(src, dst, typ, ident, seq, data):
    import ipaddress
    m = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    ps = ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + struct.pack("!IxxxB", len(m), 58)
    return m[:2] + struct.pack("!H", csum(ps + m)) + m[4:]

A, B, NAT = "10.1.0.2", "10.1.0.3", "192.0.2.1"
pl = bytes(range(56))
pk = {}
# ICMP echo A -> B, at A's eth0, on a bridge port behind a VLAN, cooked v1 and v2, raw
e = icmp4(8, 0x1234, 1, pl)
pk["icmp_a"] = eth(ip4(A, B, 1, e, 0x0101))
pk["icmp_vlan"] = eth(ip4(A, B, 1, e, 0x0101, ttl=63), src=b"\x02\0\0\0\0\x09", vlan=100)
pk["icmp_sll"] = sll(ip4(A, B, 1, e, 0x0101, ttl=63))
pk["icmp_sll2"] = sll2(ip4(A, B, 1, e, 0x0101, ttl=62))
pk["icmp_raw"] = ip4(A, B, 1, e, 0x0101, ttl=62)
pk["icmp_seq2"] = eth(ip4(A, B, 1, icmp4(8, 0x1234, 2, pl), 0x0102))	# the next ping
pk["icmp_sameid"] = eth(ip4(A, B, 1, icmp4(8, 0x1234, 1, pl[::-1]), 0x0101))	# other payload
pk["icmp_reply"] = eth(ip4(B, A, 1, icmp4(0, 0x1234, 1, pl), 0x7777))
# a small echo padded to Ethernet's 60 bytes, and the same raw (no padding)
pk["icmp_small_eth"] = eth(ip4(A, B, 1, icmp4(8, 7, 9, b"hi"), 0x0200))
pk["icmp_small_raw"] = ip4(A, B, 1, icmp4(8, 7, 9, b"hi"), 0x0200, ttl=63)
# UDP A:5000 -> B:53, and the same after SNAT to NAT:40000
pk["udp_a"] = eth(ip4(A, B, 17, udp4(A, B, 5000, 53, b"hello, trace"), 0x0300))
pk["udp_snat"] = eth(ip4(NAT, B, 17, udp4(NAT, B, 40000, 53, b"hello, trace"), 0x0300, ttl=63))
pk["udp_other"] = eth(ip4(A, B, 17, udp4(A, B, 5000, 53, b"hello, trac3"), 0x0300))
# TCP: SYN A -> B (options), the SYN-ACK B -> NAT:40000 (before un-NAT) and B -> A:5555
mss = b"\x02\x04\x05\xb4\x04\x02\x08\x0a\0\0\0\1\0\0\0\0\x01\x03\x03\x07"
pk["tcp_syn"] = eth(ip4(A, B, 6, tcp4(A, B, 5555, 80, 1000, 0, 0x02, opts=mss), 0x0400))
pk["tcp_syn_hop2"] = eth(ip4(A, B, 6, tcp4(A, B, 5555, 80, 1000, 0, 0x02, opts=mss), 0x0400, ttl=63), vlan=5)
pk["tcp_synack_nat"] = eth(ip4(B, NAT, 6, tcp4(B, NAT, 80, 40000, 9000, 1001, 0x12, opts=mss), 0))
pk["tcp_synack_a"] = eth(ip4(B, A, 6, tcp4(B, A, 80, 5555, 9000, 1001, 0x12, opts=mss), 0, ttl=63))
pk["tcp_data"] = eth(ip4(A, B, 6, tcp4(A, B, 5555, 80, 1001, 9001, 0x18, b"GET / HTTP/1.0\r\n\r\n"), 0x0401))
# fragments of one 3000-byte UDP datagram A -> B (first with MF, second at 1480)
big = udp4(A, B, 6000, 7000, bytes((i * 7) & 255 for i in range(2992)))
pk["frag1"] = eth(ip4(A, B, 17, big[:1480], 0x0500, mf=1, tot=1500))
pk["frag2"] = eth(ip4(A, B, 17, big[1480:2960], 0x0500, frag=1480, mf=1, tot=1500))
pk["frag2_hop2"] = sll(ip4(A, B, 17, big[1480:2960], 0x0500, frag=1480, mf=1, tot=1500, ttl=63))
# IPv6: an echo with a flow label, the same one hop on, and its reply
SA, SB = "fd00:1::2", "fd00:2::2"
pk["v6_echo"] = eth(ip6(SA, SB, 58, icmp6(SA, SB, 128, 0x42, 1, pl)), et=0x86dd)
pk["v6_echo_hop2"] = sll(ip6(SA, SB, 58, icmp6(SA, SB, 128, 0x42, 1, pl), hlim=63), et=0x86dd)
pk["v6_reply"] = eth(ip6(SB, SA, 58, icmp6(SB, SA, 129, 0x42, 1, pl), flow=0x54321), et=0x86dd)
# IPv6 fragment (a later one): fragment header, offset 1232, id 0xabcdef01
frag6 = struct.pack("!BBHI", 17, 0, (1232 & 0xfff8) | 1, 0xabcdef01) + bytes(range(200))
pk["v6_frag"] = eth(ip6(SA, SB, 44, frag6), et=0x86dd)
pk["v6_frag_hop2"] = ip6(SA, SB, 44, frag6, hlim=63)
# not IP, and cut short
pk["arp"] = eth(struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + b"\0" * 20, et=0x0806)
pk["cut"] = pk["icmp_a"][:30]

out = ["/* Generated by tests/unit/trace_pkts.py: do not edit. */"]
for k, v in pk.items():
    out.append("static const unsigned char pkt_%s[] = {" % k)
    for i in range(0, len(v), 16):
        out.append("\t" + ", ".join("0x%02x" % b for b in v[i:i + 16]) + ",")
    out.append("};")
open(sys.argv[1] if len(sys.argv) > 1 else "tests/unit/trace_pkts.h", "w").write("\n".join(out) + "\n")
