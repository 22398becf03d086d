/*
 * pktmatch.c implements the packet matcher of 'vethmap trace': it knows one packet again
 * at every hop of a path by what forwarding leaves alone, and gives it one id.
 *
 * A packet's key (pkt_key_parse) is read from the link types libpcap gives on veths,
 * bridges and taps (Ethernet with any 802.1Q/802.1ad tags, Linux cooked v1 and v2, raw
 * IPv4/IPv6): the tuple (addresses, protocol, ports or ICMP echo id), which NAT may
 * change, and the rest, which nothing on the way changes: IPv4 id or IPv6 flow label and
 * fragment id, fragment offset, TCP seq/ack/flags, ICMP type/code/seq, the IP payload's
 * length and a hash of the L4 payload.  TTL, hop limit, checksums, TOS/ECN, MACs and
 * VLAN tags are not read.
 *
 * pm_add() looks a sighting up by the rest alone: the newest packet with the same rest,
 * first seen within PM_WINDOW_NS and not seen at this hop yet, is the same packet (one
 * with the same tuple is preferred; another tuple is NAT, and the packet is marked so);
 * else it is a new packet.  Pure logic: no I/O.  Every packet byte is hostile: each
 * read is checked against caplen.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trace.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* The L4 header at p (n bytes captured of it and its payload) into k. */
static void parse_l4(const uint8_t *p, size_t n, int family, struct pkt_key *k)
{
	size_t hl = 0;

	switch (k->proto) {
	case 6:		/* TCP */
		if (n < 20)
			break;
		k->sport = rd16(p);
		k->dport = rd16(p + 2);
		k->seq = rd32(p + 4);
		k->ack = rd32(p + 8);
		k->type = p[13];
		hl = (size_t)(p[12] >> 4) * 4;
		break;
	case 17:	/* UDP */
		if (n < 8)
			break;
		k->sport = rd16(p);
		k->dport = rd16(p + 2);
		hl = 8;
		break;
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		if (n < 8 || (k->proto == 1) != (family == AF_INET))
			break;
		k->type = p[0];
		k->code = p[1];
		if ((k->proto == 1 && (p[0] == 8 || p[0] == 0)) ||
		    (k->proto == 58 && (p[0] == 128 || p[0] == 129))) {
			k->sport = rd16(p + 4);		/* the echo id: NAT's port */
			k->seq = rd16(p + 6);
		}
		hl = 8;		/* the checksum (bytes 2, 3) is not read */
		break;
	}
	if (hl > n)
		hl = n;
	k->hash = fnv1a(p + hl, n - hl);
}

static int parse_ipv4(const uint8_t *p, size_t n, struct pkt_key *k)
{
	size_t ihl, tot;
	uint16_t fo;

	if (n < 20 || p[0] >> 4 != 4 || (ihl = (size_t)(p[0] & 15) * 4) < 20 || ihl > n)
		return -1;
	tot = rd16(p + 2);
	k->family = AF_INET;
	k->ipid = rd16(p + 4);
	fo = rd16(p + 6);
	k->frag = (uint32_t)(fo & 0x1fff) * 8 << 1 | (fo >> 13 & 1);
	k->proto = p[9];
	memcpy(k->src, p + 12, 4);
	memcpy(k->dst, p + 16, 4);
	k->plen = tot > ihl ? (uint16_t)(tot - ihl) : 0;
	if (tot >= ihl && tot < n)
		n = tot;	/* Ethernet padding is no payload */
	if (fo & 0x1fff)	/* a later fragment: no L4 header in it */
		k->hash = fnv1a(p + ihl, n - ihl);
	else
		parse_l4(p + ihl, n - ihl, AF_INET, k);
	return 0;
}

static int parse_ipv6(const uint8_t *p, size_t n, struct pkt_key *k)
{
	size_t off = 40, end;
	uint8_t nh;

	if (n < 40 || p[0] >> 4 != 6)
		return -1;
	k->family = AF_INET6;
	k->flow = rd32(p) & 0xfffff;
	k->plen = rd16(p + 4);
	memcpy(k->src, p + 8, 16);
	memcpy(k->dst, p + 24, 16);
	nh = p[6];
	end = 40 + (size_t)k->plen;
	if (k->plen && end < n)
		n = end;
	for (int i = 0; i < 8; i++) {	/* extension headers, a bounded number */
		size_t len;

		if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
			break;
		if (off + 8 > n) {
			k->proto = nh;
			k->hash = fnv1a(p + off, off < n ? n - off : 0);
			return 0;
		}
		if (nh == 44) {		/* fragment */
			uint16_t fo = rd16(p + off + 2);

			k->ipid = rd32(p + off + 4);
			k->frag = (uint32_t)(fo & 0xfff8) << 1 | (fo & 1);
			len = 8;
			if (fo & 0xfff8) {
				k->proto = p[off];
				off += len;
				k->hash = fnv1a(p + off, off < n ? n - off : 0);
				return 0;
			}
		} else if (nh == 51) {
			len = ((size_t)p[off + 1] + 2) * 4;
		} else {
			len = ((size_t)p[off + 1] + 1) * 8;
		}
		nh = p[off];
		off += len;
	}
	k->proto = nh;
	if (off > n)
		off = n;
	parse_l4(p + off, n - off, AF_INET6, k);
	return 0;
}

/*
 * The key of a packet of link type linktype (DLT_* as pcap_datalink gives it), caplen
 * bytes captured.  0 for an IP packet; -1 for anything else (k->family 0).
 */
int pkt_key_parse(int linktype, const uint8_t *data, uint32_t caplen, struct pkt_key *k)
{
	size_t n = caplen, off;
	uint16_t et = 0;

	memset(k, 0, sizeof(*k));
	switch (linktype) {
	case 1:		/* Ethernet */
		off = 12;
		if (n < 14)
			return -1;
		et = rd16(data + off);
		while ((et == 0x8100 || et == 0x88a8 || et == 0x9100) && off + 6 <= n) {
			off += 4;
			et = rd16(data + off);
		}
		off += 2;
		break;
	case 113:	/* Linux cooked v1 */
		if (n < 16)
			return -1;
		et = rd16(data + 14);
		off = 16;
		break;
	case 276:	/* Linux cooked v2 */
		if (n < 20)
			return -1;
		et = rd16(data);
		off = 20;
		break;
	case 12: case 14: case 101:	/* raw IP */
		if (n < 1)
			return -1;
		et = data[0] >> 4 == 4 ? 0x0800 : data[0] >> 4 == 6 ? 0x86dd : 0;
		off = 0;
		break;
	case 228: et = 0x0800; off = 0; break;
	case 229: et = 0x86dd; off = 0; break;
	default:
		return -1;
	}
	if (off > n)
		return -1;
	if (et == 0x0800 && !parse_ipv4(data + off, n - off, k))
		return 0;
	if (et == 0x86dd && !parse_ipv6(data + off, n - off, k))
		return 0;
	memset(k, 0, sizeof(*k));
	return -1;
}

static uint64_t mixin(uint64_t h, uint64_t v)
{
	return mix64(h ^ v) + 0x9e3779b97f4a7c15ull;
}

/* A hash of the key: of what forwarding keeps, and with_tuple also of the tuple. */
uint64_t pkt_key_hash(const struct pkt_key *k, int with_tuple)
{
	uint64_t h = (uint64_t)k->family << 8 | k->proto;

	h = mixin(h, (uint64_t)k->ipid << 32 | k->flow);
	h = mixin(h, (uint64_t)k->frag << 32 | k->plen);
	h = mixin(h, (uint64_t)k->seq << 32 | k->ack);
	h = mixin(h, (uint64_t)k->type << 8 | k->code);
	h = mixin(h, k->hash);
	if (with_tuple) {
		h = mixin(h, fnv1a(k->src, 16) ^ fnv1a(k->dst, 16) << 1);
		h = mixin(h, (uint64_t)k->sport << 16 | k->dport);
	}
	return h;
}

static int same_rest(const struct pkt_key *a, const struct pkt_key *b)
{
	return a->family == b->family && a->proto == b->proto && a->ipid == b->ipid &&
	       a->flow == b->flow && a->frag == b->frag && a->seq == b->seq && a->ack == b->ack &&
	       a->type == b->type && a->code == b->code && a->plen == b->plen && a->hash == b->hash;
}

static int same_tuple(const struct pkt_key *a, const struct pkt_key *b)
{
	return !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
	       a->sport == b->sport && a->dport == b->dport;
}

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int is_src(const struct pm_flow *f, const uint8_t a[16])
{
	if (!f->nsrc)
		return 1;
	for (size_t i = 0; i < f->nsrc; i++)
		if (!memcmp(f->src[i], a, alen(f->family)))
			return 1;
	return 0;
}

static int classify(const struct pm_flow *f, const struct pkt_key *k)
{
	size_t n = alen(f->family);

	if (k->family != f->family)
		return PM_OTHER;
	if (!memcmp(k->dst, f->dst, n) && is_src(f, k->src))
		return PM_FORWARD;
	if (!memcmp(k->src, f->dst, n) && is_src(f, k->dst))
		return PM_REPLY;
	return PM_OTHER;
}

void pm_init(struct pm *m, size_t nhops, const struct pm_flow *flow)
{
	memset(m, 0, sizeof(*m));
	m->nhops = nhops ? nhops : 1;
	m->flow = *flow;
	m->flow.src = flow->nsrc ? xmalloc(flow->nsrc * sizeof(*flow->src)) : NULL;
	if (flow->nsrc)
		memcpy(m->flow.src, flow->src, flow->nsrc * sizeof(*flow->src));
}

void pm_release(struct pm *m)
{
	free(m->flow.src);
	free(m->pkts);
	free(m->ts);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* The slot of ih: where its newest packet is, or the empty slot it would take. */
static size_t slot_of(const struct pm *m, uint64_t ih)
{
	size_t mask = m->nslots - 1, s = (size_t)ih & mask;

	while (m->slots[s] && m->pkts[m->slots[s] - 1].ih != ih)
		s = (s + 1) & mask;
	return s;
}

static void rehash(struct pm *m)
{
	size_t old = m->nslots;
	uint32_t *os = m->slots;

	m->nslots = old ? old * 2 : 1024;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	for (size_t i = 0; i < old; i++)
		if (os[i])
			m->slots[slot_of(m, m->pkts[os[i] - 1].ih)] = os[i];
	free(os);
}

/* A new packet: its index, or -1 beyond PM_PACKETS_MAX. */
static long new_packet(struct pm *m, const struct pkt_key *k, uint64_t ih, uint64_t ts_ns)
{
	size_t s, i = m->n;
	struct pm_pkt *p;

	if (m->n >= PM_PACKETS_MAX)
		return -1;
	if ((m->n + 1) * 2 > m->nslots)
		rehash(m);
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 256;

		m->pkts = xrealloc(m->pkts, na * sizeof(*m->pkts));
		m->ts = xrealloc(m->ts, na * m->nhops * sizeof(*m->ts));
		m->alloc = na;
	}
	p = &m->pkts[i];
	memset(p, 0, sizeof(*p));
	memset(&m->ts[i * m->nhops], 0, m->nhops * sizeof(*m->ts));
	p->id = i + 1;
	p->key = *k;
	p->ih = ih;
	p->first_ns = ts_ns;
	p->dir = classify(&m->flow, k);
	s = slot_of(m, ih);
	p->older = m->slots[s];
	m->slots[s] = (uint32_t)(i + 1);
	m->n++;
	return (long)i;
}

/*
 * A packet of key k seen at hop at ts_ns: which packet it is (hit->id, 0 for none), its
 * direction, whether its tuple changed (NAT) and whether this is its first sighting.
 */
void pm_add(struct pm *m, size_t hop, uint64_t ts_ns, const struct pkt_key *k,
	    struct pm_hit *hit)
{
	uint64_t ih;
	long best = -1, other = -1, i;

	memset(hit, 0, sizeof(*hit));
	if (!k->family || hop >= m->nhops)
		return;
	ih = pkt_key_hash(k, 0);
	if (m->nslots) {
		size_t s = slot_of(m, ih);
		uint32_t j = m->slots[s];

		for (int steps = 0; j && steps < PM_CHAIN_MAX && best < 0; steps++, j = m->pkts[j - 1].older) {
			const struct pm_pkt *p = &m->pkts[j - 1];
			uint64_t age = ts_ns > p->first_ns ? ts_ns - p->first_ns : p->first_ns - ts_ns;

			if (age > PM_WINDOW_NS)
				break;		/* older ones are older still */
			if (m->ts[(j - 1) * m->nhops + hop] || !same_rest(&p->key, k))
				continue;
			if (same_tuple(&p->key, k))
				best = (long)j - 1;
			else if (other < 0)
				other = (long)j - 1;
		}
	}
	i = best >= 0 ? best : other;
	if (i < 0) {
		i = new_packet(m, k, ih, ts_ns);
		if (i < 0) {
			m->untracked++;
			return;
		}
		hit->first = 1;
	} else if (best < 0) {
		m->pkts[i].nat = 1;
		hit->nat = 1;
		if (m->pkts[i].dir == PM_OTHER)	/* first seen NATed: now as the flow's */
			m->pkts[i].dir = classify(&m->flow, k);
	}
	m->ts[(size_t)i * m->nhops + hop] = ts_ns ? ts_ns : 1;
	hit->id = m->pkts[i].id;
	hit->dir = m->pkts[i].dir;
	hit->nat |= m->pkts[i].nat;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The totals of a trace: per hop (hs, m->nhops of them) the forward packets and replies
 * seen, the latency from the previous captured hop that saw the same packet (median,
 * maximum), the lost packets last seen there; in all (s) packets, delivered (seen at
 * dst_hop; -1: the path does not reach DST, nothing is delivered), lost, in flight
 * (not delivered, first seen within PM_FLIGHT_NS of end_ns, when the trace ended: not
 * lost), NAT, replies, and lost_after: the hop where most lost packets were last seen
 * (the later one of a tie), -1 when none was lost.  captured[h] says whether hop h was
 * captured.
 */
void pm_summarize(const struct pm *m, const int *captured, long dst_hop, uint64_t end_ns,
		  struct pm_hopstat *hs, struct pm_summary *s)
{
	size_t nh = m->nhops;
	double *lat = xmalloc((m->n ? m->n : 1) * sizeof(*lat));

	memset(hs, 0, nh * sizeof(*hs));
	memset(s, 0, sizeof(*s));
	s->lost_after = -1;
	for (size_t i = 0; i < m->n; i++) {
		const struct pm_pkt *p = &m->pkts[i];
		const uint64_t *ts = &m->ts[i * nh];
		long last = -1;

		if (p->dir == PM_REPLY) {
			s->replies++;
			for (size_t h = 0; h < nh; h++)
				hs[h].replies += captured[h] && ts[h];
			continue;
		}
		if (p->dir != PM_FORWARD)
			continue;
		s->packets++;
		s->nat += p->nat;
		for (size_t h = 0; h < nh; h++)
			if (captured[h] && ts[h]) {
				hs[h].seen++;
				last = (long)h;
			}
		if (dst_hop >= 0 && (size_t)dst_hop < nh && ts[dst_hop]) {
			s->delivered++;
		} else if (last >= 0 && p->first_ns + PM_FLIGHT_NS > end_ns) {
			s->in_flight++;
		} else if (last >= 0) {
			s->lost++;
			hs[last].lost_here++;
		}
	}
	/* latencies hop by hop: one array of a value per packet, used again for each hop */
	for (size_t h = 1; h < nh; h++) {
		size_t n = 0;

		for (size_t i = 0; captured[h] && i < m->n; i++) {
			const uint64_t *ts = &m->ts[i * nh];
			long prev = -1;

			if (m->pkts[i].dir != PM_FORWARD || !ts[h])
				continue;
			for (size_t k = h; k-- > 0 && prev < 0;)
				if (captured[k] && ts[k])
					prev = (long)k;
			if (prev < 0)
				continue;
			lat[n++] = ts[h] >= ts[prev] ? (double)(ts[h] - ts[prev]) / 1e6 :
				   -(double)(ts[prev] - ts[h]) / 1e6;
		}
		hs[h].nlat = n;
		if (n) {
			qsort(lat, n, sizeof(*lat), cmp_double);
			hs[h].lat_median_ms = n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2;
			hs[h].lat_max_ms = lat[n - 1];
		}
	}
	for (size_t h = 0; h < nh; h++)
		if (hs[h].lost_here && (s->lost_after < 0 ||
					hs[h].lost_here >= hs[s->lost_after].lost_here))
			s->lost_after = (long)h;
	free(lat);
}
