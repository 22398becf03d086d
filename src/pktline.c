/*
 * pktline.c implements the one-line packet summary shown while capturing to a terminal,
 * after tcpdump -n without -v:
 *
 *	10.0.0.1.34567 > 10.0.0.2.80: TCP [S], length 0
 *	10.0.0.1 > 10.0.0.2: ICMP echo request, id 5, seq 1, length 64
 *	ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
 *
 * The link type is a LINKTYPE_* value, or pcap_datalink()'s DLT_RAW (12) for raw IP.
 * The caller prints the time and the interface.  Every line ends with ", length N": the
 * on-wire length of what the line names (the TCP or UDP payload, the ICMP message, the ARP
 * packet, whatever follows the link header).  A packet cut short by the snapshot length
 * says where, as tcpdump does ("[|tcp]").  Nothing is read beyond caplen and nothing
 * written beyond size; there is no allocation.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include "vethmap.h"

#define LINKTYPE_ETHERNET	1
#define DLT_RAW_LINUX		12	/* what pcap_datalink() says for LINKTYPE_RAW */
#define LINKTYPE_RAW		101
#define LINKTYPE_LINUX_SLL	113
#define LINKTYPE_IPV4		228
#define LINKTYPE_IPV6		229
#define LINKTYPE_LINUX_SLL2	276

/* The text being built: never more than size - 1 bytes, always NUL-terminated. */
struct line {
	char *buf;
	size_t size, len;
};

/* The packet: cap bytes readable at d, len bytes on the wire (len >= cap). */
struct pkt {
	const uint8_t *d;
	uint32_t cap, len;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= l->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		l->buf[l->len] = '\0';
	else if ((size_t)n >= l->size - l->len)
		l->len = l->size - 1;
	else
		l->len += (size_t)n;
}

/* Are n bytes at off captured? */
static int have(const struct pkt *p, uint32_t off, uint32_t n)
{
	return off <= p->cap && n <= p->cap - off;
}

static unsigned get16(const struct pkt *p, uint32_t off)
{
	return (unsigned)p->d[off] << 8 | p->d[off + 1];
}

static uint32_t get32(const struct pkt *p, uint32_t off)
{
	return (uint32_t)get16(p, off) << 16 | get16(p, off + 2);
}

/* Bytes on the wire from off to the end. */
static uint32_t wire(const struct pkt *p, uint32_t off)
{
	return off < p->len ? p->len - off : 0;
}

static void addr4(char *buf, const struct pkt *p, uint32_t off)
{
	struct in_addr a;

	memcpy(&a, p->d + off, sizeof(a));
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void addr6(char *buf, const struct pkt *p, uint32_t off)
{
	struct in6_addr a;

	memcpy(&a, p->d + off, sizeof(a));
	inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

static void mac(char buf[18], const struct pkt *p, uint32_t off)
{
	const uint8_t *m = p->d + off;

	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *proto_name(unsigned proto, char *buf, size_t size)
{
	static const struct {
		unsigned char proto;
		const char *name;
	} names[] = {
		{ 1, "ICMP" }, { 2, "IGMP" }, { 4, "IPIP" }, { 6, "TCP" }, { 17, "UDP" },
		{ 41, "IP6" }, { 47, "GRE" }, { 50, "ESP" }, { 51, "AH" }, { 58, "ICMP6" },
		{ 59, "no next header" }, { 89, "OSPF" }, { 103, "PIM" }, { 112, "VRRP" },
		{ 132, "SCTP" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].proto == proto)
			return names[i].name;
	snprintf(buf, size, "ip-proto-%u", proto);
	return buf;
}

static void tcp(struct line *l, const struct pkt *p, uint32_t off, uint32_t n,
		const char *src, const char *dst)
{
	static const char letters[] = "FSRP.UEW";	/* tcpdump's order, bit 0 first */
	char flags[9];
	size_t nf = 0;
	unsigned hl, f;

	if (!have(p, off, 20)) {
		put(l, "%s > %s: [|tcp], length %u", src, dst, n);
		return;
	}
	hl = (unsigned)(p->d[off + 12] >> 4) * 4;
	f = p->d[off + 13];
	for (unsigned i = 0; i < 8; i++)
		if (f & (1u << i))
			flags[nf++] = letters[i];
	flags[nf] = '\0';
	put(l, "%s.%u > %s.%u: TCP [%s]", src, get16(p, off), dst, get16(p, off + 2),
	    nf ? flags : "none");
	if (hl < 20 || hl > n)
		put(l, ", bad header length %u, length %u", hl, n);
	else
		put(l, ", length %u", n - hl);
}

static void udp(struct line *l, const struct pkt *p, uint32_t off, uint32_t n,
		const char *src, const char *dst)
{
	unsigned ulen;

	if (!have(p, off, 8)) {
		put(l, "%s > %s: [|udp], length %u", src, dst, n);
		return;
	}
	ulen = get16(p, off + 4);
	put(l, "%s.%u > %s.%u: UDP", src, get16(p, off), dst, get16(p, off + 2));
	if (ulen < 8 || ulen > n)
		put(l, ", bad length %u, length %u", ulen, n >= 8 ? n - 8 : 0);
	else
		put(l, ", length %u", ulen - 8);
}

/* ICMP destination unreachable: what the quoted packet was sent to, as tcpdump says it. */
static void icmp_unreach(struct line *l, const struct pkt *p, uint32_t off, uint32_t n,
			 unsigned code)
{
	uint32_t in = off + 8, ihl;
	unsigned proto;
	char dst[INET_ADDRSTRLEN];

	if (!have(p, in, 20) || p->d[in] >> 4 != 4) {
		put(l, "unreachable, code %u", code);
		if (n >= 28 && !have(p, in, 20))
			put(l, " [|icmp]");
		return;
	}
	addr4(dst, p, in + 16);
	ihl = (uint32_t)(p->d[in] & 15) * 4;
	proto = p->d[in + 9];
	switch (code) {
	case 0:
		put(l, "net %s unreachable", dst);
		break;
	case 1:
		put(l, "host %s unreachable", dst);
		break;
	case 2:
		put(l, "%s protocol %u unreachable", dst, proto);
		break;
	case 3:
		if ((proto == 6 || proto == 17) && ihl >= 20 && have(p, in + ihl, 4))
			put(l, "%s %s port %u unreachable", dst, proto == 6 ? "tcp" : "udp",
			    get16(p, in + ihl + 2));
		else
			put(l, "%s port unreachable%s", dst,
			    (uint64_t)in + ihl + 4 <= (uint64_t)off + n && ihl >= 20 &&
			    (proto == 6 || proto == 17) ? " [|icmp]" : "");
		break;
	case 4:
		put(l, "%s unreachable - need to frag (mtu %u)", dst, get16(p, off + 6));
		break;
	default:
		put(l, "%s unreachable - code %u", dst, code);
	}
}

static void icmp(struct line *l, const struct pkt *p, uint32_t off, uint32_t n,
		 const char *src, const char *dst)
{
	unsigned type, code;

	if (!have(p, off, 2)) {
		put(l, "%s > %s: [|icmp], length %u", src, dst, n);
		return;
	}
	type = p->d[off];
	code = p->d[off + 1];
	put(l, "%s > %s: ICMP ", src, dst);
	switch (type) {
	case 0:
	case 8:
		put(l, "echo %s", type ? "request" : "reply");
		if (have(p, off, 8))
			put(l, ", id %u, seq %u", get16(p, off + 4), get16(p, off + 6));
		else
			put(l, " [|icmp]");
		break;
	case 3:
		icmp_unreach(l, p, off, n, code);
		break;
	case 5:
		put(l, "redirect");
		break;
	case 9:
		put(l, "router advertisement");
		break;
	case 10:
		put(l, "router solicitation");
		break;
	case 11:
		put(l, code ? "ip reassembly time exceeded" : "time exceeded in-transit");
		break;
	case 12:
		put(l, "parameter problem");
		break;
	case 13:
	case 14:
		put(l, "time stamp %s", type == 13 ? "request" : "reply");
		break;
	default:
		put(l, "type-#%u", type);
	}
	put(l, ", length %u", n);
}

static void icmp6(struct line *l, const struct pkt *p, uint32_t off, uint32_t n,
		  const char *src, const char *dst)
{
	static const struct {
		unsigned char type;
		const char *name;
	} names[] = {
		{ 1, "destination unreachable" }, { 3, "time exceeded in-transit" },
		{ 4, "parameter problem" }, { 130, "multicast listener query" },
		{ 131, "multicast listener report" }, { 132, "multicast listener done" },
		{ 133, "router solicitation" }, { 134, "router advertisement" },
		{ 135, "neighbor solicitation" }, { 136, "neighbor advertisement" },
		{ 137, "redirect" }, { 143, "multicast listener report v2" },
	};
	unsigned type;
	size_t i;

	if (!have(p, off, 2)) {
		put(l, "%s > %s: [|icmp6], length %u", src, dst, n);
		return;
	}
	type = p->d[off];
	put(l, "%s > %s: ICMP6 ", src, dst);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			break;
	if (i < sizeof(names) / sizeof(names[0])) {
		put(l, "%s", names[i].name);
	} else if (type == 128 || type == 129) {
		put(l, "echo %s", type == 128 ? "request" : "reply");
		if (have(p, off, 8))
			put(l, ", id %u, seq %u", get16(p, off + 4), get16(p, off + 6));
		else
			put(l, " [|icmp6]");
	} else if (type == 2) {
		put(l, "packet too big");
		if (have(p, off, 8))
			put(l, ", mtu %u", get32(p, off + 4));
		else
			put(l, " [|icmp6]");
	} else {
		put(l, "type-#%u", type);
	}
	put(l, ", length %u", n);
}

/* The layer-4 part of an IP packet: n bytes at off by the IP header's count. */
static void transport(struct line *l, const struct pkt *p, unsigned proto, uint32_t off,
		      uint32_t n, const char *src, const char *dst)
{
	struct pkt q = *p;	/* do not take Ethernet padding for a header */
	char buf[16];

	if ((uint64_t)off + n < q.cap)
		q.cap = off + n;
	switch (proto) {
	case 6:
		tcp(l, &q, off, n, src, dst);
		break;
	case 17:
		udp(l, &q, off, n, src, dst);
		break;
	case 1:
		icmp(l, &q, off, n, src, dst);
		break;
	case 58:
		icmp6(l, &q, off, n, src, dst);
		break;
	default:
		put(l, "%s > %s: %s, length %u", src, dst, proto_name(proto, buf, sizeof(buf)), n);
	}
}

static void ipv4(struct line *l, const struct pkt *p, uint32_t off)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], buf[16];
	uint32_t n = wire(p, off), hl, tot, frag;

	if (!have(p, off, 20)) {
		put(l, "[|ip], length %u", n);
		return;
	}
	if (p->d[off] >> 4 != 4) {
		put(l, "bad ip version %u, length %u", (unsigned)(p->d[off] >> 4), n);
		return;
	}
	hl = (uint32_t)(p->d[off] & 15) * 4;
	if (hl < 20) {
		put(l, "bad ip header length %u, length %u", hl, n);
		return;
	}
	if (!have(p, off, hl)) {
		put(l, "[|ip], length %u", n);
		return;
	}
	addr4(src, p, off + 12);
	addr4(dst, p, off + 16);
	tot = get16(p, off + 2);
	if (tot == 0)		/* segmentation offload: the kernel leaves it to us */
		tot = n;
	if (tot < hl) {
		put(l, "%s > %s: bad ip length %u, length %u", src, dst, tot, n);
		return;
	}
	frag = (get16(p, off + 6) & 0x1fff) * 8;
	if (frag) {
		put(l, "%s > %s: %s fragment, offset %u, length %u", src, dst,
		    proto_name(p->d[off + 9], buf, sizeof(buf)), frag, tot - hl);
		return;
	}
	transport(l, p, p->d[off + 9], off + hl, tot - hl, src, dst);
}

static void ipv6(struct line *l, const struct pkt *p, uint32_t off)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], buf[16];
	uint32_t n = wire(p, off), plen, pos = off + 40;
	unsigned nxt;

	if (!have(p, off, 40)) {
		put(l, "[|ip6], length %u", n);
		return;
	}
	if (p->d[off] >> 4 != 6) {
		put(l, "bad ip version %u, length %u", (unsigned)(p->d[off] >> 4), n);
		return;
	}
	addr6(src, p, off + 8);
	addr6(dst, p, off + 24);
	plen = get16(p, off + 4);
	if (plen == 0)		/* jumbogram or segmentation offload */
		plen = n >= 40 ? n - 40 : 0;
	nxt = p->d[off + 6];
	/* extension headers: hop-by-hop, routing, fragment, AH, destination options */
	for (int i = 0; i < 8 && (nxt == 0 || nxt == 43 || nxt == 44 || nxt == 51 || nxt == 60);
	     i++) {
		uint32_t el;

		if (!have(p, pos, 8)) {
			put(l, "%s > %s: [|ip6], length %u", src, dst, plen);
			return;
		}
		if (nxt == 44) {
			unsigned fo = get16(p, pos + 2) & 0xfff8;

			if (fo) {
				put(l, "%s > %s: %s fragment, offset %u, length %u", src, dst,
				    proto_name(p->d[pos], buf, sizeof(buf)), fo,
				    plen >= 8 ? plen - 8 : 0);
				return;
			}
			el = 8;
		} else if (nxt == 51) {
			el = ((uint32_t)p->d[pos + 1] + 2) * 4;
		} else {
			el = ((uint32_t)p->d[pos + 1] + 1) * 8;
		}
		if (el > plen) {
			put(l, "%s > %s: bad ip6 extension header, length %u", src, dst, plen);
			return;
		}
		nxt = p->d[pos];
		pos += el;
		plen -= el;
	}
	transport(l, p, nxt, pos, plen, src, dst);
}

static void arp(struct line *l, const struct pkt *p, uint32_t off)
{
	char spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN], sha[18], tha[18];
	uint32_t n = wire(p, off);
	unsigned op;

	if (!have(p, off, 8)) {
		put(l, "ARP, [|arp], length %u", n);
		return;
	}
	op = get16(p, off + 6);
	if (get16(p, off) != 1 || get16(p, off + 2) != 0x0800 || p->d[off + 4] != 6 ||
	    p->d[off + 5] != 4) {
		put(l, "ARP, hardware %u, protocol 0x%04x, op %u, length %u", get16(p, off),
		    get16(p, off + 2), op, n);
		return;
	}
	if (!have(p, off, 28)) {
		put(l, "ARP, [|arp], length %u", n);
		return;
	}
	mac(sha, p, off + 8);
	addr4(spa, p, off + 14);
	mac(tha, p, off + 18);
	addr4(tpa, p, off + 24);
	switch (op) {
	case 1:
		put(l, "ARP, Request who-has %s", tpa);
		if (strcmp(tha, "00:00:00:00:00:00"))
			put(l, " (%s)", tha);
		put(l, " tell %s", spa);
		break;
	case 2:
		put(l, "ARP, Reply %s is-at %s", spa, sha);
		break;
	case 3:
		put(l, "RARP, Request who-is %s tell %s", tha, sha);
		break;
	case 4:
		put(l, "RARP, Reply %s at %s", tha, tpa);
		break;
	default:
		put(l, "ARP, op %u", op);
	}
	put(l, ", length %u", n);
}

/* What follows a link header that names its payload by ethertype; one VLAN tag. */
static void ethertype(struct line *l, const struct pkt *p, unsigned type, uint32_t off,
		      int vlan_ok)
{
	if ((type == 0x8100 || type == 0x88a8) && vlan_ok) {
		if (!have(p, off, 4)) {
			put(l, "[|vlan], length %u", wire(p, off));
			return;
		}
		put(l, "vlan %u, ", get16(p, off) & 0xfff);
		ethertype(l, p, get16(p, off + 2), off + 4, 0);
		return;
	}
	switch (type) {
	case 0x0800:
		ipv4(l, p, off);
		break;
	case 0x86dd:
		ipv6(l, p, off);
		break;
	case 0x0806:
	case 0x8035:
		arp(l, p, off);
		break;
	default:
		if (type < 0x0600)
			put(l, "802.3, length %u", wire(p, off));
		else
			put(l, "ethertype 0x%04x, length %u", type, wire(p, off));
	}
}

/* Any IP version (LINKTYPE_RAW). */
static void ip_any(struct line *l, const struct pkt *p)
{
	if (!have(p, 0, 1))
		put(l, "[|ip], length %u", p->len);
	else if (p->d[0] >> 4 == 6)
		ipv6(l, p, 0);
	else if (p->d[0] >> 4 == 4)
		ipv4(l, p, 0);
	else
		put(l, "bad ip version %u, length %u", (unsigned)(p->d[0] >> 4), p->len);
}

/* Linux cooked capture: direction first, as tcpdump -i any shows it. */
static void sll_dir(struct line *l, unsigned pkttype)
{
	static const char *const dir[] = { "In", "B", "M", "P", "Out" };

	if (pkttype < sizeof(dir) / sizeof(dir[0]))
		put(l, "%s ", dir[pkttype]);
}

void pkt_describe(char *buf, size_t size, int linktype, const uint8_t *data, uint32_t caplen,
		  uint32_t len)
{
	struct line l = { buf, size, 0 };
	struct pkt p = { data, data ? caplen : 0, len < caplen ? caplen : len };

	if (!size)
		return;
	buf[0] = '\0';
	switch (linktype) {
	case LINKTYPE_ETHERNET:
		if (!have(&p, 0, 14))
			put(&l, "[|ether], length %u", p.len);
		else
			ethertype(&l, &p, get16(&p, 12), 14, 1);
		break;
	case LINKTYPE_RAW:
	case DLT_RAW_LINUX:
		ip_any(&l, &p);
		break;
	case LINKTYPE_IPV4:
		ipv4(&l, &p, 0);
		break;
	case LINKTYPE_IPV6:
		ipv6(&l, &p, 0);
		break;
	case LINKTYPE_LINUX_SLL:
		if (!have(&p, 0, 16)) {
			put(&l, "[|sll], length %u", p.len);
			break;
		}
		sll_dir(&l, get16(&p, 0));
		ethertype(&l, &p, get16(&p, 14), 16, 1);
		break;
	case LINKTYPE_LINUX_SLL2:
		if (!have(&p, 0, 20)) {
			put(&l, "[|sll2], length %u", p.len);
			break;
		}
		sll_dir(&l, p.d[10]);
		ethertype(&l, &p, get16(&p, 0), 20, 1);
		break;
	default:
		put(&l, "linktype %d, length %u", linktype, p.len);
	}
}
