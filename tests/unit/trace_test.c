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

int main(void)
{
	struct topo t;

	topo_init(&t);
	test_bridge(&t);
	test_router(&t);
	test_undecided(&t);
	test_ipv6(&t);
	test_macvlan(&t);
	topo_release(&t);
	return unit_failures ? 1 : 0;
}
