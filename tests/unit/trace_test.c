/*
 * trace_test.c: unit tests of 'vethmap trace''s pure logic without root: the path
 * (trace_path.c) on topologies built with the topo API as a scan fills it (links, nsids,
 * addresses, main-table routes, forwarding flags), and the packet matcher (pktmatch.c)
 * on recorded packets.  One "ok - NAME" / "not ok - NAME: why" line per check.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trace.h"
#include "unit.h"
#include "trace_pkts.h"

/* Every namespace calls namespace k by nsid k. */
static int index_nsid(void *ctx, size_t observer, size_t target)
{
	(void)ctx;
	return observer == target ? -1 : (int)target;
}

static void add_ns(struct topo *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = topo_add_ns(t, 4, 1000 + i);

		t->ns[k].is_host = i == 0;
		t->ns[k].fwd4 = t->ns[k].fwd6 = 0;
	}
}

static struct iface *add_if(struct topo *t, size_t ns, int ifindex, const char *name,
			    const char *kind, const char *addr)
{
	struct iface *f = topo_add_iface(t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	f->mtu = 1500;
	f->flags = IFF_UP_;
	if (addr) {
		int fam;
		uint8_t b[16];

		if (addr_parse(addr, &fam, b))
			abort();
		iface_add_addr(f, fam, atoi(strchr(addr, '/') + 1), addr);
	}
	return f;
}

/* A veth pair: na:ia <-> nb:ib (ifindexes ia, ib). */
static void veth(struct topo *t, size_t na, int ia, const char *a, const char *aaddr, size_t nb,
		 int ib, const char *b, const char *baddr)
{
	struct iface *x = add_if(t, na, ia, a, "veth", aaddr);

	x->link = ib;
	if (na != nb) {
		x->has_link_netnsid = 1;
		x->link_netnsid = (int)nb;
	}
	x = add_if(t, nb, ib, b, "veth", baddr);
	x->link = ia;
	if (na != nb) {
		x->has_link_netnsid = 1;
		x->link_netnsid = (int)na;
	}
}

static void route(struct topo *t, size_t ns, const char *dst, const char *type, unsigned metric,
		  const char *gw, int oif)
{
	struct route *r = topo_add_route(t, ns);

	r->family = strchr(dst, ':') || (gw && strchr(gw, ':')) ? AF_INET6 : AF_INET;
	copy_str(r->dst, sizeof(r->dst), dst);
	copy_str(r->type, sizeof(r->type), type);
	r->metric = metric;
	if (oif || gw) {
		r->nnh = 1;
		copy_str(r->nh[0].gw, sizeof(r->nh[0].gw), gw ? gw : "");
		r->nh[0].oif = oif;
	}
}

static void build(struct topo *t)
{
	topo_sort(t);
	topo_build(t, index_nsid, NULL);
}

static void reset(struct topo *t)
{
	topo_release(t);
	topo_init(t);
}

/* "ns:ifname role" of every hop, '-' marking a hop not captured, joined by spaces. */
static const char *hops_text(const struct topo *t, const struct trace_path *p)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nhops && n < sizeof(buf); i++) {
		const struct iface *x = &t->ifs[p->hops[i].ifc];

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%zu:%s/%s%s", i ? " " : "",
				      x->ns, x->name, hop_role_names[p->hops[i].role],
				      p->hops[i].capture ? "" : "-");
	}
	return buf;
}

static void path_to(const struct topo *t, size_t src, size_t dst, const char *addr,
		    struct trace_path *p)
{
	uint8_t a[16];
	int fam;

	if (addr_parse(addr, &fam, a))
		abort();
	trace_path_compute(t, src, dst, fam, a, p);
}

/* host(0): br0 10.1.0.1/24, ports va, vb, vc; A(1), B(2), C(3) on it. */
static void bridge_fixture(struct topo *t)
{
	struct iface *br;

	reset(t);
	add_ns(t, 4);
	br = add_if(t, 0, 5, "br0", "bridge", "10.1.0.1/24");
	(void)br;
	veth(t, 0, 10, "va", NULL, 1, 2, "eth0", "10.1.0.2/24");
	veth(t, 0, 11, "vb", NULL, 2, 2, "eth0", "10.1.0.3/24");
	veth(t, 0, 12, "vc", NULL, 3, 2, "eth0", "10.1.0.4/24");
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == 0 && t->ifs[i].kind[0] == 'v') {
			t->ifs[i].master = 5;
			copy_str(t->ifs[i].slave_kind, sizeof(t->ifs[i].slave_kind), "bridge");
		}
	for (size_t k = 1; k <= 3; k++) {
		add_if(t, k, 1, "lo", "loopback", "127.0.0.1/8");
		route(t, k, "10.1.0.0/24", "unicast", 0, NULL, 2);
		route(t, k, "default", "unicast", 0, "10.1.0.1", 2);
	}
	route(t, 0, "10.1.0.0/24", "unicast", 0, NULL, 5);
	build(t);
}

static void test_bridge(struct topo *t)
{
	struct trace_path p;
	uint8_t a[16];
	char why[256];
	int fam, several;

	bridge_fixture(t);
	path_to(t, 1, 2, "10.1.0.3", &p);
	check(p.complete, "bridge: A to B complete", "%s", p.why);
	check(!strcmp(hops_text(t, &p), "1:eth0/egress 0:va/port-in 0:br0/bridge- 0:vb/port-out "
			"2:eth0/ingress"), "bridge: A's eth0, host port, bridge, port, B's eth0",
	      "%s", hops_text(t, &p));
	path_to(t, 1, 0, "10.1.0.1", &p);
	check(p.complete && !strcmp(hops_text(t, &p), "1:eth0/egress 0:va/port-in 0:br0/ingress"),
	      "bridge: A to the host's bridge address: the bridge is the ingress", "%s %s",
	      hops_text(t, &p), p.why);
	path_to(t, 0, 3, "10.1.0.4", &p);
	check(p.complete && !strcmp(hops_text(t, &p), "0:br0/egress 0:vc/port-out 3:eth0/ingress"),
	      "bridge: host to C leaves by the bridge", "%s %s", hops_text(t, &p), p.why);
	check(trace_dst_addr(t, 2, &fam, a, why, sizeof(why)) == 0 && fam == AF_INET &&
	      !memcmp(a, "\x0a\x01\x00\x03", 4), "dst addr: B's one address, not its loopback",
	      "%s", why);
	check(topo_addr_ns(t, AF_INET, a, &several) == 2 && !several, "addr ns: 10.1.0.3 is B's",
	      "several %d", several);
	addr_parse("127.0.0.1", &fam, a);
	check(topo_addr_ns(t, AF_INET, a, &several) == -1, "addr ns: loopback names no namespace",
	      "found one");
	/* C takes B's address too: the next hop is then not one interface */
	iface_add_addr(&t->ifs[topo_find_ifname(t, 3, "eth0")], AF_INET, 24, "10.1.0.3/24");
	path_to(t, 1, 2, "10.1.0.3", &p);
	check(!p.complete && !p.drops && strstr(p.why, "two interfaces hold next hop 10.1.0.3") &&
	      p.stop_hop == 0, "bridge: a duplicate address stops the path at A's egress", "%s",
	      p.why);
	addr_parse("10.1.0.3", &fam, a);
	check(topo_addr_ns(t, AF_INET, a, &several) == -1 && several,
	      "addr ns: an address two namespaces hold names none", "several %d", several);
	check(trace_dst_addr(t, 3, &fam, a, why, sizeof(why)) < 0 && strstr(why, "2 addresses"),
	      "dst addr: several addresses are refused", "%s", why);
}

/* A(1) eth0 10.2.1.2 -- ra 10.2.1.1 R(2) rb 10.2.2.1 -- eth0 10.2.2.2 B(3) */
static void router_fixture(struct topo *t, const char *r_extra, int fwd)
{
	reset(t);
	add_ns(t, 4);
	veth(t, 1, 2, "eth0", "10.2.1.2/24", 2, 5, "ra", "10.2.1.1/24");
	veth(t, 3, 2, "eth0", "10.2.2.2/24", 2, 6, "rb", "10.2.2.1/24");
	route(t, 1, "10.2.1.0/24", "unicast", 0, NULL, 2);
	route(t, 1, "default", "unicast", 0, "10.2.1.1", 2);
	route(t, 2, "10.2.1.0/24", "unicast", 0, NULL, 5);
	route(t, 2, "10.2.2.0/24", "unicast", 0, NULL, 6);
	if (r_extra)
		route(t, 2, r_extra, "blackhole", 0, NULL, 0);
	route(t, 3, "10.2.2.0/24", "unicast", 0, NULL, 2);
	route(t, 3, "default", "unicast", 0, "10.2.2.1", 2);
	t->ns[2].fwd4 = (signed char)fwd;
	build(t);
}

static void test_router(struct topo *t)
{
	struct trace_path p;

	router_fixture(t, NULL, 1);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(p.complete && !strcmp(hops_text(t, &p),
				    "1:eth0/egress 2:ra/ingress 2:rb/egress 3:eth0/ingress"),
	      "router: A to B through R", "%s %s", hops_text(t, &p), p.why);
	path_to(t, 3, 1, "10.2.1.2", &p);
	check(p.complete && p.nhops == 4, "router: B to A through R", "%s %s", hops_text(t, &p),
	      p.why);

	router_fixture(t, "10.2.2.2/32", 1);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && p.drops && p.stop_hop == 1 && strstr(p.why, "blackhole route 10.2.2.2/32"),
	      "router: a blackhole route for B: the path ends at R's ingress, packets die",
	      "stop %ld drops %d: %s", p.stop_hop, p.drops, p.why);
	router_fixture(t, "10.2.0.0/16", 1);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(p.complete, "router: a shorter blackhole prefix loses to the connected route",
	      "%s", p.why);

	router_fixture(t, NULL, 0);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && p.drops && p.stop_hop == 1 && strstr(p.why, "does not forward IPv4"),
	      "router: R that does not forward: packets die at its ingress", "%s", p.why);
	router_fixture(t, NULL, -1);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && !p.drops && strstr(p.why, "unknown"),
	      "router: R's forwarding unknown: undecided, not dropped", "%s", p.why);
}

static void test_undecided(struct topo *t)
{
	struct trace_path p;
	struct route *r;

	/* no route: A has only its connected route */
	reset(t);
	add_ns(t, 4);
	veth(t, 1, 2, "eth0", "10.2.1.2/24", 2, 5, "ra", "10.2.1.1/24");
	veth(t, 3, 2, "eth0", "10.2.2.2/24", 2, 6, "rb", "10.2.2.1/24");
	route(t, 1, "10.2.1.0/24", "unicast", 0, NULL, 2);
	build(t);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && !p.drops && p.stop_hop == -1 && strstr(p.why, "no route to 10.2.2.2"),
	      "no route: said, at SRC", "%s", p.why);

	/* ECMP: one route, two next hops */
	router_fixture(t, NULL, 1);
	for (size_t i = 0; i < t->nroutes; i++)
		if (t->routes[i].ns == 1 && !strcmp(t->routes[i].dst, "default")) {
			r = &t->routes[i];
			r->nnh = 2;
			copy_str(r->nh[1].gw, sizeof(r->nh[1].gw), "10.2.1.9");
			r->nh[1].oif = 2;
		}
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && strstr(p.why, "two equal paths"), "ecmp: two equal paths said",
	      "%s", p.why);
	/* two routes with one prefix and one metric */
	router_fixture(t, NULL, 1);
	route(t, 1, "default", "unicast", 0, "10.2.1.7", 2);
	topo_sort_routes(t);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && strstr(p.why, "two equal paths"), "equal routes: two equal paths said",
	      "%s", p.why);
	/* ... a better metric decides */
	router_fixture(t, NULL, 1);
	route(t, 1, "default", "unicast", 5, "10.2.1.7", 2);
	topo_sort_routes(t);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(p.complete, "equal prefixes: the lower metric wins", "%s", p.why);

	/* R's veth to B unresolved: B's end is no veth the scan could pair */
	router_fixture(t, NULL, 1);
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == 3 && !strcmp(t->ifs[i].name, "eth0"))
			t->ifs[i].link_netnsid = 7;	/* a namespace never found */
	topo_build(t, index_nsid, NULL);
	path_to(t, 1, 3, "10.2.2.2", &p);
	check(!p.complete && p.stop_hop == 2 && strstr(p.why, "unresolved") &&
	      strstr(p.why, "rb"), "unresolved veth: the path stops at R's egress, naming it",
	      "stop %ld: %s", p.stop_hop, p.why);

	/* a routing loop: R sends B's subnet back to A, which forwards */
	reset(t);
	add_ns(t, 3);
	veth(t, 1, 2, "eth0", "10.2.1.2/24", 2, 5, "ra", "10.2.1.1/24");
	route(t, 1, "default", "unicast", 0, "10.2.1.1", 2);
	route(t, 1, "10.2.1.0/24", "unicast", 0, NULL, 2);
	route(t, 2, "10.2.1.0/24", "unicast", 0, NULL, 5);
	route(t, 2, "default", "unicast", 0, "10.2.1.2", 5);
	add_if(t, 0, 9, "x", "device", "10.9.9.9/24");
	t->ns[1].fwd4 = t->ns[2].fwd4 = 1;
	build(t);
	path_to(t, 1, 0, "10.9.9.9", &p);
	check(!p.complete && strstr(p.why, "routing loop"), "loop: said, not followed forever",
	      "%s", p.why);
	path_to(t, 1, 1, "10.2.1.2", &p);
	check(!p.complete && strstr(p.why, "same namespace"), "same namespace: refused", "%s",
	      p.why);
}

/* IPv6 through a router, link-local routes absent as the scan keeps them */
static void test_ipv6(struct topo *t)
{
	struct trace_path p;
	uint8_t a[16];
	char why[256];
	int fam;

	reset(t);
	add_ns(t, 4);
	veth(t, 1, 2, "eth0", "fd00:1::2/64", 2, 5, "ra", "fd00:1::1/64");
	veth(t, 3, 2, "eth0", "fd00:2::2/64", 2, 6, "rb", "fd00:2::1/64");
	iface_add_addr(&t->ifs[t->nifs - 1], AF_INET6, 64, "fe80::1/64");
	route(t, 1, "fd00:1::/64", "unicast", 256, NULL, 2);
	route(t, 1, "default", "unicast", 1024, "fd00:1::1", 2);
	route(t, 2, "fd00:1::/64", "unicast", 256, NULL, 5);
	route(t, 2, "fd00:2::/64", "unicast", 256, NULL, 6);
	t->ns[2].fwd6 = 1;
	build(t);
	check(trace_dst_addr(t, 3, &fam, a, why, sizeof(why)) == 0 && fam == AF_INET6,
	      "ipv6: DST's one global address, link-local left out", "%s", why);
	trace_path_compute(t, 1, 3, fam, a, &p);
	check(p.complete && p.nhops == 4 && !strcmp(p.dst_text, "fd00:2::2"),
	      "ipv6: A to B through R", "%s %s", hops_text(t, &p), p.why);
}

/* macvlan: two uppers of one host device in two namespaces */
static void test_macvlan(struct topo *t)
{
	struct trace_path p;
	struct iface *x;

	reset(t);
	add_ns(t, 3);
	add_if(t, 0, 2, "eth0", "device", "192.0.2.10/24");
	x = add_if(t, 1, 3, "mv0", "macvlan", "192.0.2.21/24");
	x->link = 2, x->has_link_netnsid = 1, x->link_netnsid = 0;
	x = add_if(t, 2, 3, "mv0", "macvlan", "192.0.2.22/24");
	x->link = 2, x->has_link_netnsid = 1, x->link_netnsid = 0;
	route(t, 1, "192.0.2.0/24", "unicast", 0, NULL, 3);
	build(t);
	path_to(t, 1, 2, "192.0.2.22", &p);
	check(p.complete && !strcmp(hops_text(t, &p), "1:mv0/egress 0:eth0/lower- 2:mv0/ingress"),
	      "macvlan: through the lower device, which does not see it", "%s %s",
	      hops_text(t, &p), p.why);
}


#define KEY(name, lt, k) pkt_key_parse(lt, pkt_##name, sizeof(pkt_##name), k)

static void test_keys(void)
{
	struct pkt_key a = { 0 }, b = { 0 };	/* the messages may read them first */

	check(KEY(icmp_a, 1, &a) == 0 && a.family == AF_INET && a.proto == 1 && a.type == 8 &&
	      a.sport == 0x1234 && a.seq == 1 && a.ipid == 0x0101 && a.plen == 64 &&
	      !memcmp(a.dst, "\x0a\x01\x00\x03", 4), "key: ICMP echo read", "proto %u id %x seq %u",
	      a.proto, a.sport, a.seq);
	check(KEY(icmp_vlan, 1, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: a VLAN tag, other MACs, TTL and checksum change nothing", "differ");
	check(KEY(icmp_sll, 113, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: cooked v1 (SLL) reads the same", "differ");
	check(KEY(icmp_sll2, 276, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: cooked v2 (SLL2) reads the same", "differ");
	check(KEY(icmp_raw, 12, &b) == 0 && !memcmp(&a, &b, sizeof(a)) &&
	      KEY(icmp_raw, 101, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: raw IP (tun) reads the same", "differ");
	check(KEY(icmp_seq2, 1, &b) == 0 && pkt_key_hash(&a, 1) != pkt_key_hash(&b, 1),
	      "key: the next echo is another packet", "same hash");
	check(KEY(icmp_sameid, 1, &b) == 0 && a.hash != b.hash,
	      "key: the payload's hash tells packets with one id and seq apart", "same");
	check(KEY(icmp_small_eth, 1, &a) == 0 && KEY(icmp_small_raw, 12, &b) == 0 &&
	      !memcmp(&a, &b, sizeof(a)), "key: Ethernet padding is not payload", "differ");
	check(KEY(udp_a, 1, &a) == 0 && a.proto == 17 && a.sport == 5000 && a.dport == 53 &&
	      KEY(udp_snat, 1, &b) == 0 && pkt_key_hash(&a, 0) == pkt_key_hash(&b, 0) &&
	      pkt_key_hash(&a, 1) != pkt_key_hash(&b, 1),
	      "key: SNAT changes the tuple, not the rest", "ports %u %u", a.sport, a.dport);
	check(KEY(tcp_syn, 1, &a) == 0 && a.proto == 6 && a.seq == 1000 && a.type == 0x02 &&
	      KEY(tcp_syn_hop2, 1, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: TCP SYN, its options left out of the payload hash", "seq %u", a.seq);
	check(KEY(frag1, 1, &a) == 0 && a.frag == 1 && a.sport == 6000 &&
	      KEY(frag2, 1, &b) == 0 && b.frag == (1480u << 1 | 1) && b.sport == 0 &&
	      a.ipid == b.ipid && pkt_key_hash(&a, 0) != pkt_key_hash(&b, 0),
	      "key: fragments: ports in the first only, each its own packet", "frag %x %x",
	      a.frag, b.frag);
	check(KEY(frag2_hop2, 113, &a) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: a later fragment at the next hop is the same", "differ");
	check(KEY(v6_echo, 1, &a) == 0 && a.family == AF_INET6 && a.proto == 58 &&
	      a.flow == 0x12345 && a.type == 128 && a.sport == 0x42 && a.seq == 1 &&
	      KEY(v6_echo_hop2, 113, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: ICMPv6 echo, flow label kept, hop limit not read", "flow %x", a.flow);
	check(KEY(v6_frag, 1, &a) == 0 && a.ipid == 0xabcdef01 && a.frag == (1232u << 1 | 1) &&
	      a.proto == 17 && KEY(v6_frag_hop2, 12, &b) == 0 && !memcmp(&a, &b, sizeof(a)),
	      "key: IPv6 fragment header: id and offset", "id %x frag %x", a.ipid, a.frag);
	check(KEY(arp, 1, &a) < 0 && a.family == 0, "key: ARP is not IP", "parsed");
	check(KEY(cut, 1, &a) < 0 && pkt_key_parse(1, pkt_icmp_a, 0, &a) < 0 &&
	      pkt_key_parse(1, pkt_icmp_a, 13, &a) < 0, "key: a packet cut short is refused",
	      "parsed");
	check(pkt_key_parse(147, pkt_icmp_a, sizeof(pkt_icmp_a), &a) < 0,
	      "key: an unknown link type is refused", "parsed");
}

static void flow_ab(struct pm_flow *f, uint8_t (*src)[16])
{
	memset(f, 0, sizeof(*f));
	memset(src, 0, 16);
	f->family = AF_INET;
	memcpy(f->dst, "\x0a\x01\x00\x03", 4);
	memcpy(src[0], "\x0a\x01\x00\x02", 4);
	f->src = src;
	f->nsrc = 1;
}

#define ADD(m, hop, ts, name, lt, hit) do { \
		struct pkt_key k_; \
		KEY(name, lt, &k_); \
		pm_add(m, hop, ts, &k_, hit); \
	} while (0)

static void test_matcher(void)
{
	uint8_t src[1][16];
	struct pm_flow f;
	struct pm m;
	struct pm_hit h1, h2, h3, h4;
	struct pm_hopstat hs[3];
	struct pm_summary s;
	const int cap3[3] = { 1, 1, 1 };

	flow_ab(&f, src);
	pm_init(&m, 3, &f);
	ADD(&m, 0, 1000000, icmp_a, 1, &h1);
	ADD(&m, 1, 1250000, icmp_vlan, 1, &h2);
	ADD(&m, 2, 1500000, icmp_sll, 113, &h3);
	check(h1.id == 1 && h1.first && h1.dir == PM_FORWARD && h2.id == 1 && !h2.first &&
	      h3.id == 1 && !h3.nat, "match: one echo at three hops is one packet",
	      "ids %llu %llu %llu", (unsigned long long)h1.id, (unsigned long long)h2.id,
	      (unsigned long long)h3.id);
	ADD(&m, 0, 2000000, icmp_a, 1, &h4);
	check(h4.id == 2 && h4.first, "match: the same bytes again at one hop are a new packet",
	      "id %llu", (unsigned long long)h4.id);
	ADD(&m, 2, 3000000, icmp_reply, 1, &h1);
	ADD(&m, 0, 3500000, icmp_reply, 1, &h2);
	check(h1.id == 3 && h1.dir == PM_REPLY && h2.id == 3, "match: the reply, its own packet",
	      "id %llu dir %d", (unsigned long long)h1.id, h1.dir);
	ADD(&m, 0, 4000000, arp, 1, &h3);
	check(h3.id == 0, "match: ARP gets no id", "id %llu", (unsigned long long)h3.id);
	ADD(&m, 1, 9000000000ull, icmp_vlan, 1, &h3);
	check(h3.id != 1 && h3.id != 2, "match: 9 s later the same bytes are another packet",
	      "id %llu", (unsigned long long)h3.id);
	pm_summarize(&m, cap3, 2, 20000000000ull, hs, &s);
	check(s.packets == 3 && s.delivered == 1 && s.lost == 2 && s.replies == 1,
	      "summary: 3 echoes, one delivered, two lost, one reply", "%llu %llu %llu %llu",
	      s.packets, s.delivered, s.lost, s.replies);
	check(hs[0].seen == 2 && hs[1].seen == 2 && hs[2].seen == 1 && hs[0].replies == 1 &&
	      hs[2].replies == 1 && hs[1].replies == 0, "summary: seen and replies per hop",
	      "seen %llu %llu %llu", hs[0].seen, hs[1].seen, hs[2].seen);
	check(hs[1].nlat == 1 && hs[1].lat_median_ms > 0.249 && hs[1].lat_median_ms < 0.251 &&
	      hs[2].lat_max_ms > 0.249 && hs[2].lat_max_ms < 0.251 && hs[0].nlat == 0,
	      "summary: latency from the previous hop (0.25 ms)", "%f %f", hs[1].lat_median_ms,
	      hs[2].lat_max_ms);
	check(s.lost_after == 1, "summary: lost after hop 1 (hop 0's and hop 1's tie: the later)",
	      "%ld", s.lost_after);
	pm_summarize(&m, cap3, 2, 9100000000ull, hs, &s);
	check(s.lost == 1 && s.in_flight == 1 && s.delivered == 1 && s.lost_after == 0,
	      "summary: a packet first seen 0.1 s before the end is in flight, not lost",
	      "lost %llu in flight %llu after %ld", s.lost, s.in_flight, s.lost_after);
	pm_release(&m);

	/* NAT: UDP SNATed between hop 0 and hop 1; the TCP SYN-ACK seen NATed first */
	pm_init(&m, 2, &f);
	ADD(&m, 0, 1000, udp_a, 1, &h1);
	ADD(&m, 1, 2000, udp_snat, 1, &h2);
	ADD(&m, 1, 2500, udp_other, 1, &h3);
	check(h1.id == 1 && h2.id == 1 && h2.nat && !h1.nat && h3.id == 2,
	      "nat: the SNATed datagram is the same packet, marked NAT; another payload is not",
	      "ids %llu %llu %llu nat %d", (unsigned long long)h1.id, (unsigned long long)h2.id,
	      (unsigned long long)h3.id, h2.nat);
	ADD(&m, 1, 3000, tcp_synack_nat, 1, &h1);
	ADD(&m, 0, 3100, tcp_synack_a, 1, &h2);
	check(h1.dir == PM_OTHER && h2.id == h1.id && h2.nat && h2.dir == PM_REPLY,
	      "nat: a reply seen NATed first is the flow's reply once un-NATed", "dir %d %d",
	      h1.dir, h2.dir);
	ADD(&m, 0, 4000, frag1, 1, &h1);
	ADD(&m, 0, 4001, frag2, 1, &h2);
	ADD(&m, 1, 4100, frag2_hop2, 113, &h3);
	ADD(&m, 1, 4101, frag1, 1, &h4);
	check(h1.id != h2.id && h3.id == h2.id && h4.id == h1.id,
	      "fragments: each known again at the next hop, never each other", "%llu %llu %llu %llu",
	      (unsigned long long)h1.id, (unsigned long long)h2.id, (unsigned long long)h3.id,
	      (unsigned long long)h4.id);
	ADD(&m, 0, 5000, icmp_a, 1, &h1);	/* never reaches hop 1 */
	pm_summarize(&m, cap3, 1, 1000000000ull, hs, &s);
	check(s.nat == 1 && s.lost == 1 && s.lost_after == 0 && s.delivered == 4,
	      "nat summary: one NATed, four delivered, the echo lost after hop 0",
	      "nat %llu delivered %llu lost %llu after %ld", s.nat, s.delivered, s.lost,
	      s.lost_after);
	pm_release(&m);

	/* IPv6 */
	memset(&f, 0, sizeof(f));
	f.family = AF_INET6;
	memcpy(f.dst, "\xfd\x00\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	pm_init(&m, 2, &f);
	ADD(&m, 0, 10, v6_echo, 1, &h1);
	ADD(&m, 1, 20, v6_echo_hop2, 113, &h2);
	ADD(&m, 1, 30, v6_reply, 1, &h3);
	check(h1.id == 1 && h2.id == 1 && h1.dir == PM_FORWARD && h3.dir == PM_REPLY && h3.id == 2,
	      "ipv6: echo matched across hops, reply told apart", "%llu %llu %d",
	      (unsigned long long)h2.id, (unsigned long long)h3.id, h3.dir);
	pm_release(&m);
}

int main(void)
{
	struct topo t;

	topo_init(&t);
	test_bridge(&t);
	test_router(&t);
	test_undecided(&t);
	test_ipv6(&t);
	test_macvlan(&t);
	test_keys();
	test_matcher();
	topo_release(&t);
	return unit_failures ? 1 : 0;
}
