/*
 * trace.h - 'vethmap trace': the path a packet takes between two namespaces of a scan
 * (trace_path.c), and the packet matcher that knows the same packet again at every hop
 * of it (pktmatch.c).  Both are pure logic over their inputs (Core layer): no I/O.
 *
 * Memory rule: a struct trace_path and a struct pm own what hangs off them;
 * trace_path_release() and pm_release() free it.
 */
#ifndef VETHMAP_TRACE_H
#define VETHMAP_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "vethmap.h"

/* ---- trace_path.c --------------------------------------------------------------- */

#define TRACE_HOPS_MAX 32	/* hops of one path; more is a loop or a bug */
#define TRACE_NS_MAX 16		/* namespaces one path may route through */

/* What a hop is to the packet (JSON "role"). */
enum hop_role {
	HOP_EGRESS,	/* leaves a namespace's IP stack here */
	HOP_INGRESS,	/* enters a namespace's IP stack here */
	HOP_PORT_IN,	/* a bridge port the frame enters the bridge by */
	HOP_BRIDGE,	/* the bridge device itself, forwarding between ports */
	HOP_PORT_OUT,	/* the bridge port the frame leaves by */
	HOP_LOWER,	/* a macvlan/vlan's lower device (or the upper, from below) */
};
extern const char *const hop_role_names[];

struct trace_hop {
	size_t ifc;		/* index into topo.ifs */
	enum hop_role role;
	int capture;		/* captured: a bridge that forwards between its ports never
				   sees those frames on its own device, so it is not */
};

struct trace_path {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t dst[16];	/* the destination address */
	char dst_text[64];
	size_t src_ns, dst_ns;
	struct trace_hop hops[TRACE_HOPS_MAX];
	size_t nhops;
	int complete;		/* the hops reach DST's namespace */
	int drops;		/* not complete because the map says packets die there (a
				   blackhole route, a namespace that does not forward) */
	long stop_hop;		/* not complete: the last hop known (-1: none, at SRC) */
	char why[256];		/* not complete: why, naming the hop (raw names: escape it) */
};

int addr_parse(const char *text, int *family, uint8_t out[16]);
int ns_holds_addr(const struct topo *t, size_t ns, int family, const uint8_t a[16]);
long topo_addr_ns(const struct topo *t, int family, const uint8_t a[16], int *several);
int trace_dst_addr(const struct topo *t, size_t ns, int *family, uint8_t a[16], char *why,
		   size_t size);
void trace_path_compute(const struct topo *t, size_t src_ns, size_t dst_ns, int family,
			const uint8_t dst[16], struct trace_path *p);

/* ---- pktmatch.c ----------------------------------------------------------------- */

/*
 * What forwarding keeps of a packet, and its tuple (what NAT may change).  Link-layer
 * headers, VLAN tags, TTL / hop limit and checksums are not part of it.
 */
struct pkt_key {
	int family;		/* AF_INET, AF_INET6; 0: not IP (ARP, ...) */
	/* the tuple */
	uint8_t src[16], dst[16];
	uint8_t proto;		/* the L4 protocol (after IPv6 extension headers) */
	uint16_t sport, dport;	/* TCP/UDP ports; ICMP echo: the id in sport */
	/* the rest: forwarding and NAT keep it */
	uint32_t ipid;		/* IPv4 id; IPv6: the fragment header's id */
	uint32_t flow;		/* IPv6 flow label */
	uint32_t frag;		/* fragment offset (bytes) << 1 | more fragments */
	uint32_t seq, ack;	/* TCP; ICMP echo: seq in seq */
	uint8_t type, code;	/* ICMP; TCP: flags in type */
	uint16_t plen;		/* the IP payload's length as the IP header says */
	uint64_t hash;		/* of the L4 payload captured (the fragment's, not first) */
};
int pkt_key_parse(int linktype, const uint8_t *data, uint32_t caplen, struct pkt_key *k);
uint64_t pkt_key_hash(const struct pkt_key *k, int with_tuple);

/* The traced flow: SRC's addresses and DST's one. */
struct pm_flow {
	int family;
	uint8_t dst[16];
	uint8_t (*src)[16];	/* SRC's addresses of that family */
	size_t nsrc;
};

enum { PM_OTHER, PM_FORWARD, PM_REPLY };

struct pm_pkt {			/* one packet, as seen at every hop */
	uint64_t id;		/* 1, 2, ...: the pcapng packet id */
	int dir;		/* PM_* */
	int nat;		/* seen with another tuple at some hop */
	uint64_t ih;		/* pkt_key_hash(&key, 0) */
	uint64_t first_ns;	/* when first seen */
	uint32_t older;		/* the packet before it with the same ih: index + 1, 0 none */
	struct pkt_key key;	/* as first seen */
};
#define PM_WINDOW_NS 2000000000ull	/* a packet is its own again within 2 s only */
#define PM_CHAIN_MAX 64			/* alike packets looked at per sighting */

#define PM_PACKETS_MAX 262144	/* packets followed; later ones get no id */

struct pm {
	size_t nhops;
	struct pm_flow flow;
	struct pm_pkt *pkts;
	uint64_t *ts;		/* pkts[i] at hop h: ts[i * nhops + h], 0 = not seen */
	size_t n, alloc;
	uint32_t *slots;	/* open addressing on ih: the newest packet with it, + 1 */
	size_t nslots;
	unsigned long long untracked;	/* IP packets beyond PM_PACKETS_MAX */
};

struct pm_hit {
	uint64_t id;		/* 0: not IP, or not followed */
	int dir, nat, first;	/* first: the packet's first sighting */
};

void pm_init(struct pm *m, size_t nhops, const struct pm_flow *flow);
void pm_release(struct pm *m);
void pm_add(struct pm *m, size_t hop, uint64_t ts_ns, const struct pkt_key *k,
	    struct pm_hit *hit);

/* What a trace found, per hop and in all (pm_summarize). */
struct pm_hopstat {
	unsigned long long seen, replies;
	unsigned long long nlat;	/* forward packets also seen at the previous hop seen */
	double lat_median_ms, lat_max_ms;
	unsigned long long lost_here;	/* lost packets last seen here */
};
#define PM_FLIGHT_NS 200000000ull	/* undelivered but first seen this close to the end: in
					   flight when the trace ended, not lost */
struct pm_summary {
	unsigned long long packets;	/* forward packets */
	unsigned long long delivered, lost, in_flight, nat, replies;
	long lost_after;		/* hop index, -1: none */
};
void pm_summarize(const struct pm *m, const int *captured, long dst_hop, uint64_t end_ns,
		  struct pm_hopstat *hs, struct pm_summary *s);

#endif
