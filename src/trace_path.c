/*
 * trace_path.c implements the path of 'vethmap trace SRC DST': from SRC's namespace to
 * DST's, hop by hop, as the scan's own data says a packet goes.  In each namespace the
 * main table's route to DST (longest prefix, then lowest metric) names the egress
 * interface and the next hop's address; from the egress, the link layer is walked (veth
 * peers, a bridge's ports, a macvlan/vlan's lower device and the other uppers of that
 * device) to the one interface that holds the next hop's address, which is the next
 * namespace's ingress.  A namespace on the way must forward.
 *
 * Nothing is guessed: where the map cannot decide (no route, two equal routes or an ECMP
 * route, two interfaces holding the next hop, a veth end without its peer, an unknown
 * forwarding state) the path stops there and says why, naming the namespace and the hop;
 * where the map says packets die (a blackhole, unreachable or prohibit route, a
 * namespace that does not forward) it stops too, marked `drops`.  Pure logic on struct
 * topo: no I/O.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trace.h"

const char *const hop_role_names[] = {
	[HOP_EGRESS] = "egress", [HOP_INGRESS] = "ingress", [HOP_PORT_IN] = "port-in",
	[HOP_BRIDGE] = "bridge", [HOP_PORT_OUT] = "port-out", [HOP_LOWER] = "lower",
};

/* "10.1.0.2", "10.1.0.2/24", "fd00::1/64" -> family and address; 0, or -1. */
int addr_parse(const char *text, int *family, uint8_t out[16])
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int iface_holds(const struct iface *x, int family, const uint8_t a[16])
{
	for (size_t k = 0; k < x->naddrs; k++) {
		uint8_t b[16];
		int f;

		if (x->addrs[k].family == family && !addr_parse(x->addrs[k].text, &f, b) &&
		    f == family && !memcmp(a, b, alen(family)))
			return 1;
	}
	return 0;
}

/* Does an interface of namespace ns hold address a? */
int ns_holds_addr(const struct topo *t, size_t ns, int family, const uint8_t a[16])
{
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && iface_holds(&t->ifs[i], family, a))
			return 1;
	return 0;
}

/*
 * The namespace an interface of which (not a loopback) holds address a, or -1; *several
 * is set when more than one namespace does (the address names none then).
 */
long topo_addr_ns(const struct topo *t, int family, const uint8_t a[16], int *several)
{
	long found = -1;

	*several = 0;
	for (size_t i = 0; i < t->nifs; i++)
		if (!iface_is_loopback(&t->ifs[i]) && iface_holds(&t->ifs[i], family, a)) {
			if (found >= 0 && (size_t)found != t->ifs[i].ns)
				*several = 1;
			else
				found = (long)t->ifs[i].ns;
		}
	return *several ? -1 : found;
}

static int is_link_local6(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/*
 * The address packets to namespace ns go to: its one IPv4 address (not loopback), else
 * its one IPv6 address that is not link-local.  0, or -1 with why (several: the user
 * says which, by giving DST as an address).
 */
int trace_dst_addr(const struct topo *t, size_t ns, int *family, uint8_t a[16], char *why,
		   size_t size)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	char lab[32];

	for (int fi = 0; fi < 2; fi++) {
		size_t n = 0;
		char first[64] = "", second[64] = "";

		for (size_t i = 0; i < t->nifs; i++) {
			const struct iface *x = &t->ifs[i];

			if (x->ns != ns || iface_is_loopback(x))
				continue;
			for (size_t k = 0; k < x->naddrs; k++) {
				uint8_t b[16];
				int f;

				if (x->addrs[k].family != fams[fi] ||
				    addr_parse(x->addrs[k].text, &f, b) ||
				    (f == AF_INET6 && is_link_local6(b)))
					continue;
				if (n == 0) {
					memcpy(a, b, 16);
					*family = f;
					copy_str(first, sizeof(first), x->addrs[k].text);
				} else if (n == 1) {
					copy_str(second, sizeof(second), x->addrs[k].text);
				}
				n++;
			}
		}
		if (n == 1)
			return 0;
		if (n > 1) {
			snprintf(why, size, "%s holds %zu addresses (%s, %s%s): give DST as one of them",
				 topo_ns_label(t, ns, lab, sizeof(lab)), n, first, second,
				 n > 2 ? ", ..." : "");
			return -1;
		}
	}
	snprintf(why, size, "%s has no address to send to", topo_ns_label(t, ns, lab, sizeof(lab)));
	return -1;
}

/* Does a begin with the len-bit prefix p? */
static int prefix_match(const uint8_t *a, const uint8_t *p, int len)
{
	int whole = len / 8, rest = len % 8;

	if (memcmp(a, p, (size_t)whole))
		return 0;
	return !rest || !((a[whole] ^ p[whole]) & (0xff00 >> rest));
}

/* A route's destination as an address and a prefix length; 0, or -1. */
static int route_prefix(const struct route *r, uint8_t p[16], int *len)
{
	const char *slash = strchr(r->dst, '/');
	int f;

	if (!strcmp(r->dst, "default")) {
		memset(p, 0, 16);
		*len = 0;
		return 0;
	}
	if (addr_parse(r->dst, &f, p) || f != r->family)
		return -1;
	*len = slash ? atoi(slash + 1) : (int)alen(f) * 8;
	return *len < 0 || *len > (int)alen(f) * 8 ? -1 : 0;
}

/*
 * The route of namespace ns to a: the longest prefix, then the lowest metric.  NULL for
 * none; *tie is set when two routes are equally good.
 */
static const struct route *route_lookup(const struct topo *t, size_t ns, int family,
					const uint8_t a[16], int *tie, const struct route **other)
{
	const struct route *rs, *best = NULL;
	size_t n;
	int best_len = -1;

	*tie = 0;
	*other = NULL;
	rs = topo_routes_of(t, ns, &n);
	for (size_t i = 0; i < n; i++) {
		uint8_t p[16];
		int len;

		if (rs[i].family != family || route_prefix(&rs[i], p, &len) ||
		    !prefix_match(a, p, len))
			continue;
		if (!best || len > best_len || (len == best_len && rs[i].metric < best->metric)) {
			best = &rs[i];
			best_len = len;
			*tie = 0;
		} else if (len == best_len && rs[i].metric == best->metric) {
			*tie = 1;
			*other = &rs[i];
		}
	}
	return best;
}

/* The path stops here: why, naming the hop. */
__attribute__((format(printf, 3, 4)))
static void stop(struct trace_path *p, int drops, const char *fmt, ...)
{
	va_list ap;

	p->complete = 0;
	p->drops = drops;
	p->stop_hop = (long)p->nhops - 1;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static int add_hop(struct trace_path *p, size_t ifc, enum hop_role role, int capture)
{
	if (p->nhops >= TRACE_HOPS_MAX)
		return -1;
	p->hops[p->nhops].ifc = ifc;
	p->hops[p->nhops].role = role;
	p->hops[p->nhops].capture = capture;
	p->nhops++;
	return 0;
}

static int is_bridge(const struct iface *x)
{
	return !strcmp(x->kind, "bridge");
}

/* The link-layer neighbours of interface i: veth peer, bridge, ports, lower and uppers. */
static size_t l2_next(const struct topo *t, size_t i, size_t *out, size_t max)
{
	const struct iface *x = &t->ifs[i];
	size_t n = 0;
	long m;

	if (x->peer >= 0 && n < max)
		out[n++] = (size_t)x->peer;
	m = topo_master(t, i);
	if (m >= 0 && is_bridge(&t->ifs[m]) && n < max)
		out[n++] = (size_t)m;
	for (size_t e = 0; e < t->nedges && n < max; e++) {
		const struct edge *g = &t->edges[e];

		if (g->type == EDGE_BRIDGE && g->b == i)
			out[n++] = g->a;		/* a port of this bridge */
		else if (g->type == EDGE_LOWER && g->a == i)
			out[n++] = g->b;		/* the lower device */
		else if (g->type == EDGE_LOWER && g->b == i)
			out[n++] = g->a;		/* an upper device */
	}
	return n;
}

/* Is lower the lower device of upper? */
static int lower_of(const struct topo *t, size_t upper, size_t lower)
{
	for (size_t e = 0; e < t->nedges; e++)
		if (t->edges[e].type == EDGE_LOWER && t->edges[e].a == upper && t->edges[e].b == lower)
			return 1;
	return 0;
}

/* NETNS:IFNAME of an interface, raw: p->why is escaped by whoever prints it. */
static const char *hop_name(const struct topo *t, size_t ifc, char *buf, size_t size)
{
	char lab[32];

	snprintf(buf, size, "%s:%s", topo_ns_label(t, t->ifs[ifc].ns, lab, sizeof(lab)),
		 t->ifs[ifc].name);
	return buf;
}

/* A veth end on the way whose peer the scan could not prove: the walk cannot go on. */
static long unpaired_veth(const struct topo *t, const long *prev, size_t e)
{
	for (size_t i = 0; i < t->nifs; i++)
		if ((prev[i] >= 0 || i == e) && !strcmp(t->ifs[i].kind, "veth") && t->ifs[i].peer < 0)
			return (long)i;
	return -1;
}

/*
 * From egress interface e, the link layer to the interface that holds address nh; the
 * hops after e are added.  0, or -1 after stop().
 */
static int walk_l2(const struct topo *t, size_t e, int family, const uint8_t nh[16],
		   const char *nh_text, struct trace_path *p)
{
	long *prev = xmalloc(t->nifs * sizeof(*prev));
	size_t *queue = xmalloc(t->nifs * sizeof(*queue)), qh = 0, qt = 0, next[64];
	long found = -1, second = -1;
	size_t chain[TRACE_HOPS_MAX], nchain = 0;
	char a[300], b[300];
	int rc = -1;

	for (size_t i = 0; i < t->nifs; i++)
		prev[i] = -1;
	prev[e] = (long)e;
	queue[qt++] = e;
	while (qh < qt) {
		size_t i = queue[qh++], k = l2_next(t, i, next, 64);

		for (size_t j = 0; j < k; j++) {
			size_t x = next[j];

			if (prev[x] >= 0)
				continue;
			prev[x] = (long)i;
			if (iface_holds(&t->ifs[x], family, nh)) {
				if (found < 0)
					found = (long)x;
				else if (second < 0)
					second = (long)x;
				continue;	/* its IP stack takes the packet: not walked on */
			}
			queue[qt++] = x;
		}
	}
	if (second >= 0) {
		stop(p, 0, "two interfaces hold next hop %s beyond %s: %s and %s", nh_text,
		     hop_name(t, e, a, sizeof(a)), hop_name(t, (size_t)found, b, sizeof(b)),
		     hop_name(t, (size_t)second, b + 150, sizeof(b) - 150));
		goto out;
	}
	if (found < 0) {
		long u = unpaired_veth(t, prev, e);

		if (u >= 0)
			stop(p, 0, "the peer of %s is unresolved: next hop %s not found beyond %s",
			     hop_name(t, (size_t)u, a, sizeof(a)), nh_text, hop_name(t, e, b, sizeof(b)));
		else
			stop(p, 0, "no interface holds next hop %s on the link of %s", nh_text,
			     hop_name(t, e, a, sizeof(a)));
		goto out;
	}
	for (long x = found; x != (long)e && nchain < TRACE_HOPS_MAX; x = prev[x])
		chain[nchain++] = (size_t)x;
	for (size_t k = nchain; k-- > 0;) {	/* chain[k] .. chain[0] = found, in path order */
		size_t x = chain[k];
		size_t before = k + 1 < nchain ? chain[k + 1] : e;
		long after = k ? (long)chain[k - 1] : -1;
		enum hop_role role = HOP_LOWER;
		int capture = 1;

		if (k == 0)
			role = HOP_INGRESS;
		else if (is_bridge(&t->ifs[x]))
			role = HOP_BRIDGE, capture = 0;	/* forwarded frames skip its device */
		else if (topo_master(t, x) == after)
			role = HOP_PORT_IN;
		else if (topo_master(t, x) == (long)before)
			role = HOP_PORT_OUT;
		else if (after >= 0 && lower_of(t, before, x) && lower_of(t, (size_t)after, x))
			capture = 0;	/* between two uppers (macvlan bridge mode): switched
					   inside, the lower device never sees it */
		if (add_hop(p, x, role, capture)) {
			stop(p, 0, "the path is longer than %d hops", TRACE_HOPS_MAX);
			goto out;
		}
	}
	rc = 0;
out:
	free(prev);
	free(queue);
	return rc;
}

/*
 * The path from namespace src_ns to address dst (held by namespace dst_ns), into *p.
 * p->complete says whether it reached dst_ns; else p->why says where and why not.
 */
void trace_path_compute(const struct topo *t, size_t src_ns, size_t dst_ns, int family,
			const uint8_t dst[16], struct trace_path *p)
{
	size_t cur = src_ns, seen[TRACE_NS_MAX], nseen = 0;
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	char lab[32], a[300];

	memset(p, 0, sizeof(*p));
	p->family = family;
	memcpy(p->dst, dst, 16);
	inet_ntop(family, dst, p->dst_text, sizeof(p->dst_text));
	p->src_ns = src_ns;
	p->dst_ns = dst_ns;
	p->stop_hop = -1;
	if (src_ns == dst_ns) {
		stop(p, 0, "SRC and DST are the same namespace");
		return;
	}
	for (;;) {
		const struct route *r, *other;
		const char *nl = topo_ns_label(t, cur, lab, sizeof(lab));
		uint8_t nh[16];
		char nh_text[64];
		long e;
		int tie;

		if (ns_holds_addr(t, cur, family, dst)) {
			if (cur == dst_ns) {
				p->complete = 1;
				return;
			}
			stop(p, 0, "%s holds %s too: packets stop there", nl, p->dst_text);
			return;
		}
		for (size_t k = 0; k < nseen; k++)
			if (seen[k] == cur) {
				stop(p, 1, "routing loop: the path comes back to %s", nl);
				return;
			}
		if (nseen == TRACE_NS_MAX) {
			stop(p, 0, "the path crosses more than %d namespaces", TRACE_NS_MAX);
			return;
		}
		seen[nseen++] = cur;
		if (cur != src_ns) {
			int fwd = family == AF_INET ? t->ns[cur].fwd4 : t->ns[cur].fwd6;

			if (fwd == 0) {
				stop(p, 1, "%s does not forward %s: packets die at %s", nl, fam,
				     hop_name(t, p->hops[p->nhops - 1].ifc, a, sizeof(a)));
				return;
			}
			if (fwd < 0) {
				stop(p, 0, "%s: whether it forwards %s is unknown", nl, fam);
				return;
			}
		}
		r = route_lookup(t, cur, family, dst, &tie, &other);
		if (!r) {
			stop(p, 0, "%s has no route to %s", nl, p->dst_text);
			return;
		}
		if (strcmp(r->type, "unicast")) {
			int dies = !strcmp(r->type, "blackhole") || !strcmp(r->type, "unreachable") ||
				   !strcmp(r->type, "prohibit");

			stop(p, dies, "%s: %s route %s for %s", nl, r->type, r->dst, p->dst_text);
			return;
		}
		if (tie || r->nnh != 1) {
			stop(p, 0, "%s has two equal paths to %s (route %s%s%s)", nl, p->dst_text, r->dst,
			     tie ? " and " : ": ", tie ? other->dst : "several next hops");
			return;
		}
		e = topo_find_iface(t, cur, r->nh[0].oif);
		if (e < 0) {
			stop(p, 0, "%s: route %s leaves by ifindex %d, which the scan does not have",
			     nl, r->dst, r->nh[0].oif);
			return;
		}
		if (r->nh[0].gw[0]) {
			int f;

			if (addr_parse(r->nh[0].gw, &f, nh) || f != family) {
				stop(p, 0, "%s: route %s has a gateway '%s' of another family", nl,
				     r->dst, r->nh[0].gw);
				return;
			}
			copy_str(nh_text, sizeof(nh_text), r->nh[0].gw);
		} else {
			memcpy(nh, dst, 16);
			copy_str(nh_text, sizeof(nh_text), p->dst_text);
		}
		if (add_hop(p, (size_t)e, HOP_EGRESS, 1)) {
			stop(p, 0, "the path is longer than %d hops", TRACE_HOPS_MAX);
			return;
		}
		if (walk_l2(t, (size_t)e, family, nh, nh_text, p))
			return;
		cur = t->ifs[p->hops[p->nhops - 1].ifc].ns;
	}
}
