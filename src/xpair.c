/*
 * xpair.c implements the cluster model: one topo made of several hosts' snapshots
 * (topo_append moves each in, its namespaces marked with their host), and the pairing of
 * tunnel devices across hosts (xpair_tunnels).  Pure logic, no I/O, like topo.c.
 *
 * The rule is topo.c's: a tunnel edge joins two devices only when the kernel facts of
 * both agree, never by name.
 *   vxlan   same VNI and UDP port; each one's local address is among the other's remote
 *           VTEPs (its unicast remote, or its bridge FDB's)
 *   geneve  same VNI and port; each one's remote is an address of the other's namespace
 *   gre, gretap, ip6gre, ip6gretap, ipip, sit, ip6tnl
 *           the same kind; local and remote swapped; each one's output key the other's
 *           input key (or neither has keys)
 *   wireguard
 *           each one's public key among the other's peers; each endpoint stated (one at
 *           least) an address of the other's host and its listen port
 * For each remote address of a device, exactly one device of another host must agree;
 * the edge stands when both ends chose each other.  Every remote that finds no partner,
 * or two, is an unresolved end of the device, saying why (no collected host has the
 * address, a device there disagrees on its VNI, ...).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"

/* snprintf, cut short where it must be (a reason is one line of at most 160 bytes). */
static void say(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

size_t topo_add_host(struct topo *t, const char *name, const char *machine_id)
{
	struct host *h;

	t->hosts = grow(t->hosts, &t->nhosts_alloc, t->nhosts + 1, sizeof(*t->hosts));
	h = &t->hosts[t->nhosts];
	memset(h, 0, sizeof(*h));
	copy_str(h->name, sizeof(h->name), name);
	copy_str(h->machine_id, sizeof(h->machine_id), machine_id);
	copy_str(h->label, sizeof(h->label), name);
	return t->nhosts++;
}

/*
 * Move everything of src (one host's snapshot, sorted as db_load leaves it) to the end of
 * dst, its namespaces marked as host's; src is left empty.  Indices are shifted; order
 * within src is kept, so dst stays sorted by (namespace, ifindex) and routes by namespace.
 */
void topo_append(struct topo *dst, struct topo *src, size_t host)
{
	size_t ns0 = dst->nns, if0 = dst->nifs, r0 = dst->nroutes;

	dst->ns = grow(dst->ns, &dst->nns_alloc, dst->nns + src->nns, sizeof(*dst->ns));
	for (size_t i = 0; i < src->nns; i++) {
		dst->ns[dst->nns] = src->ns[i];
		dst->ns[dst->nns++].host = host;
	}
	dst->ifs = grow(dst->ifs, &dst->nifs_alloc, dst->nifs + src->nifs, sizeof(*dst->ifs));
	for (size_t i = 0; i < src->nifs; i++) {
		struct iface *f = &dst->ifs[dst->nifs++];

		*f = src->ifs[i];
		f->ns += ns0;
		if (f->peer >= 0)
			f->peer += (long)if0;
	}
	for (size_t i = 0; i < src->nedges; i++)
		topo_add_edge(dst, src->edges[i].type, src->edges[i].a + if0, src->edges[i].b + if0);
	for (size_t i = 0; i < src->nunres; i++)
		topo_add_unresolved(dst, src->unres[i].ifc + if0, "%s", src->unres[i].reason);
	dst->routes = grow(dst->routes, &dst->nroutes_alloc, dst->nroutes + src->nroutes,
			   sizeof(*dst->routes));
	for (size_t i = 0; i < src->nroutes; i++) {
		struct route *r = &dst->routes[dst->nroutes++];

		*r = src->routes[i];
		r->ns += ns0;
		r->seq += r0;
	}
	dst->ctrs = grow(dst->ctrs, &dst->nctrs_alloc, dst->nctrs + src->nctrs, sizeof(*dst->ctrs));
	for (size_t i = 0; i < src->nctrs; i++) {
		struct container *c = &dst->ctrs[dst->nctrs++];

		*c = src->ctrs[i];
		if (c->ns >= 0)
			c->ns += (long)ns0;
	}
	dst->taps = grow(dst->taps, &dst->ntaps_alloc, dst->ntaps + src->ntaps, sizeof(*dst->taps));
	if (src->ntaps)
		memcpy(dst->taps + dst->ntaps, src->taps, src->ntaps * sizeof(*src->taps));
	dst->ntaps += src->ntaps;
	dst->missed += src->missed;
	dst->names_dropped += src->names_dropped;
	dst->mount_lines_dropped += src->mount_lines_dropped;
	dst->mounts_skipped += src->mounts_skipped;
	dst->lookup_timeouts += src->lookup_timeouts;
	if (!dst->incomplete_reason[0] && src->incomplete_reason[0])
		copy_str(dst->incomplete_reason, sizeof(dst->incomplete_reason),
			 src->incomplete_reason);
	/* the contents moved: free the arrays only */
	free(src->ns);
	free(src->ifs);
	free(src->edges);
	free(src->unres);
	free(src->routes);
	free(src->ctrs);
	free(src->taps);
	free(src->hosts);
	free(src->xedges);
	topo_init(src);
}

/* Each host's label: its name, made unique with its machine-id where names repeat. */
void topo_host_labels(struct topo *t)
{
	for (size_t i = 0; i < t->nhosts; i++) {
		struct host *h = &t->hosts[i];
		int dup = 0;

		for (size_t k = 0; k < t->nhosts; k++)
			dup |= k != i && !strcmp(t->hosts[k].name, h->name);
		if (dup)
			say(h->label, sizeof(h->label), "%s@%.8s", h->name,
				 *h->machine_id ? h->machine_id : "none");
		else
			copy_str(h->label, sizeof(h->label), h->name);
	}
}

/*
 * The host of cluster t that `name` names: its label (NAME@MACHINE-ID where two hosts
 * share a name), else its name when one host has it.  The index, -1 when no host has it,
 * -2 when the name is several hosts' (then a label says which).
 */
long topo_host_pick(const struct topo *t, const char *name)
{
	long pick = -1;

	for (size_t h = 0; h < t->nhosts; h++)
		if (!strcmp(t->hosts[h].label, name))
			return (long)h;
	for (size_t h = 0; h < t->nhosts; h++)
		if (!strcmp(t->hosts[h].name, name)) {
			if (pick >= 0)
				return -2;
			pick = (long)h;
		}
	return pick;
}

/* The label of namespace ns's host in a cluster, NULL in a one-host topo. */
const char *topo_host_of(const struct topo *t, size_t ns)
{
	return t->nhosts && t->ns[ns].host < t->nhosts ? t->hosts[t->ns[ns].host].label : NULL;
}

/*
 * Interface ifc as text outputs name it in a cluster: HOST:IFNAME in a host's own
 * namespace, HOST/NETNS:IFNAME in another (NETNS:IFNAME outside a cluster), into buf.
 */
const char *topo_end_label(const struct topo *t, size_t ifc, char *buf, size_t size)
{
	const struct iface *x = &t->ifs[ifc];
	const char *h = topo_host_of(t, x->ns);
	char lab[32];

	if (h && !t->ns[x->ns].is_host)
		say(buf, size, "%s/%s:%s", h, topo_ns_label(t, x->ns, lab, sizeof(lab)), x->name);
	else
		say(buf, size, "%s:%s", topo_ns_label(t, x->ns, lab, sizeof(lab)), x->name);
	return buf;
}

/* 32 lowercase hex digits, as systemd writes /etc/machine-id; "" is none (also fine). */
int machine_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 0 || n == 32;
}

/*
 * Bytes a tunnel kind adds around an inner packet (the underlay must carry the overlay's
 * MTU plus these): outer IP header, UDP, and the tunnel's own header; 0 for a kind we do
 * not know.  Geneve's options can add more: this is its least.
 */
unsigned tunnel_overhead(const char *kind, int v6)
{
	static const struct {
		const char *kind;
		unsigned v4, v6;
	} o[] = {
		{ "vxlan", 50, 70 },	/* IP 20/40 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
		{ "geneve", 50, 70 },	/* the same with no options */
		{ "gretap", 38, 58 },	/* IP + GRE 4 + Ethernet 14 (+4 with a key: not counted) */
		{ "ip6gretap", 58, 58 },
		{ "gre", 24, 44 },	/* IP + GRE 4 */
		{ "ip6gre", 44, 44 },
		{ "ipip", 20, 20 },
		{ "sit", 20, 20 },
		{ "ip6tnl", 40, 40 },
		{ "wireguard", 60, 80 },	/* IP + UDP 8 + WireGuard 32 */
	};

	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if (!strcmp(kind, o[i].kind))
			return v6 ? o[i].v6 : o[i].v4;
	return 0;
}

/* ---- pairing ------------------------------------------------------------------------- */

#define REMOTES_MAX (TUN_FDB_MAX + 1)

/* An address as inet_ntop writes it (prefix cut off), or "" when it is none. */
static void addr_norm(const char *in, char *out, size_t size)
{
	char buf[64];
	unsigned char bin[16];
	char *slash;

	copy_str(buf, sizeof(buf), in);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	out[0] = '\0';
	if (inet_pton(AF_INET, buf, bin) == 1)
		inet_ntop(AF_INET, bin, out, (socklen_t)size);
	else if (inet_pton(AF_INET6, buf, bin) == 1)
		inet_ntop(AF_INET6, bin, out, (socklen_t)size);
}

static int addr_multicast(const char *a)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, a, bin) == 1)
		return bin[0] >= 224 && bin[0] <= 239;
	return inet_pton(AF_INET6, a, bin) == 1 && bin[0] == 0xff;
}

static int is_ip_tunnel(const char *kind)
{
	static const char *const k[] = { "gre", "gretap", "ip6gre", "ip6gretap", "ipip", "sit",
		"ip6tnl", NULL };

	for (size_t i = 0; k[i]; i++)
		if (!strcmp(kind, k[i]))
			return 1;
	return 0;
}

/* Every interface address of the cluster, to ask "who has address R". */
struct owner {
	char addr[48];
	size_t host, ns;
};

struct xp {
	struct topo *t;
	struct owner *own;
	size_t nown;
	size_t *tun;		/* tunnel devices: indices into t->ifs */
	size_t ntun;
	long *chose;		/* per (tunnel k, remote r): the device chosen, -1 none */
	char (*remote)[48];	/* per (k, r): the remote, "" past the last */
};

static int cmp_owner(const void *a, const void *b)
{
	return strcmp(((const struct owner *)a)->addr, ((const struct owner *)b)->addr);
}

/* The first owner of address a (then the others follow), or NULL. */
static const struct owner *owner_of(const struct xp *x, const char *a, size_t *n)
{
	size_t lo = 0, hi = x->nown, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(x->own[mid].addr, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < x->nown && !strcmp(x->own[end].addr, a); end++)
		;
	*n = end - lo;
	return *n ? &x->own[lo] : NULL;
}

static int ns_has_addr(const struct xp *x, size_t ns, const char *a)
{
	size_t n;
	const struct owner *o = owner_of(x, a, &n);

	for (size_t i = 0; i < n; i++)
		if (o[i].ns == ns)
			return 1;
	return 0;
}

static int host_has_addr(const struct xp *x, size_t host, const char *a)
{
	size_t n;
	const struct owner *o = owner_of(x, a, &n);

	for (size_t i = 0; i < n; i++)
		if (o[i].host == host)
			return 1;
	return 0;
}

/* The remote addresses a device states (unicast, normalised, unique), into r; how many. */
static size_t remotes_of(const struct iface *f, char (*r)[48], int *mcast)
{
	size_t n = 0;
	char a[48];

	*mcast = 0;
	addr_norm(f->tun.remote, a, sizeof(a));
	if (*a && addr_multicast(a))
		*mcast = 1;
	else if (*a)
		copy_str(r[n++], 48, a);
	if (f->tun.fdb && !strcmp(f->kind, "vxlan")) {
		char *copy = xstrdup(f->tun.fdb), *save = NULL;

		for (char *w = strtok_r(copy, " ", &save); w && n < REMOTES_MAX;
		     w = strtok_r(NULL, " ", &save)) {
			size_t k;

			addr_norm(w, a, sizeof(a));
			for (k = 0; k < n && strcmp(r[k], a); k++)
				;
			if (*a && k == n && !addr_multicast(a))
				copy_str(r[n++], 48, a);
		}
		free(copy);
	}
	return n;
}

static int has_remote(const struct iface *f, const char *a)
{
	char r[REMOTES_MAX][48];
	int mcast;
	size_t n = remotes_of(f, r, &mcast);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i], a))
			return 1;
	return 0;
}

/* Do a and b name each other's local address among their remotes (whatever else)? */
int xpair_point_at(const struct iface *a, const struct iface *b)
{
	char la[48], lb[48];

	addr_norm(a->tun.local, la, sizeof(la));
	addr_norm(b->tun.local, lb, sizeof(lb));
	return *la && *lb && has_remote(a, lb) && has_remote(b, la);
}

static size_t host_of(const struct topo *t, size_t ifc)
{
	return t->ns[t->ifs[ifc].ns].host;
}

/* Is device b "at" address r: the device a remote r of another one would reach? */
static int at_addr(const struct xp *x, const struct iface *b, const char *r)
{
	char l[48];

	if (!strcmp(b->kind, "geneve"))
		return ns_has_addr(x, b->ns, r);
	addr_norm(b->tun.local, l, sizeof(l));
	return *l && !strcmp(l, r);
}

/*
 * Do a and b (b at a's remote r) agree?  1 yes; else 0 and why, into why, naming b's
 * disagreeing fact.
 */
static int agree(const struct xp *x, const struct iface *a, const struct iface *b,
		 char *why, size_t size)
{
	char la[48], lb[48];
	char vb[24], va[24];

	addr_norm(a->tun.local, la, sizeof(la));
	addr_norm(b->tun.local, lb, sizeof(lb));
	if (!strcmp(a->kind, "vxlan") || !strcmp(a->kind, "geneve")) {
		say(va, sizeof(va), "%lld", a->tun.id);
		say(vb, sizeof(vb), "%lld", b->tun.id);
		if (a->tun.id != b->tun.id) {
			say(why, size, "VNI %s there, %s here", vb, va);
			return 0;
		}
		if (a->tun.port != b->tun.port) {
			say(why, size, "port %u there, %u here", b->tun.port, a->tun.port);
			return 0;
		}
		if (!strcmp(a->kind, "vxlan")) {
			if (!*la) {
				say(why, size, "this one states no local address");
				return 0;
			}
			if (!has_remote(b, la)) {
				say(why, size, "its remotes do not include %s", la);
				return 0;
			}
			return 1;
		}
		{
			char rb[48];

			addr_norm(b->tun.remote, rb, sizeof(rb));
			if (!*rb || !ns_has_addr(x, a->ns, rb)) {
				say(why, size, "its remote %s is not an address here",
					 *rb ? rb : "(none)");
				return 0;
			}
		}
		return 1;
	}
	/* gre, ipip, ...: local and remote swapped, keys crossed */
	{
		char rb[48];

		addr_norm(b->tun.remote, rb, sizeof(rb));
		if (!*la || strcmp(rb, la)) {
			say(why, size, "its remote %s is not this one's local %s",
				 *rb ? rb : "(none)", *la ? la : "(none)");
			return 0;
		}
		if (a->tun.okey != b->tun.id || a->tun.id != b->tun.okey) {
			say(why, size, "keys in %lld out %lld there, in %lld out %lld here",
				 b->tun.id, b->tun.okey, a->tun.id, a->tun.okey);
			return 0;
		}
	}
	return 1;
}

static int pairable(const struct iface *f)
{
	return f->tun.set && (!strcmp(f->kind, "vxlan") || !strcmp(f->kind, "geneve") ||
			      is_ip_tunnel(f->kind));
}

static void add_xedge(struct topo *t, const char *kind, size_t a, size_t b);

/* b's entry among a's peers: its endpoint ("" none) into ep; 1 found, 0 not. */
static int wg_peer_of(const struct iface *a, const struct iface *b, char *ep, size_t size)
{
	size_t n = strlen(b->tun.pubkey);

	for (const char *p = a->tun.peers; n && p && *p;) {
		const char *sp = strchr(p, ' '), *end = sp ? sp : p + strlen(p);

		if ((size_t)(end - p) > n && !strncmp(p, b->tun.pubkey, n) && p[n] == '@') {
			say(ep, size, "%.*s", (int)(end - p - (long)n - 1), p + n + 1);
			return 1;
		}
		p = sp ? sp + 1 : end;
	}
	return 0;
}

/* An endpoint "ADDR:PORT" / "[ADDR]:PORT" names device b: an address of b's host, b's port. */
static int wg_endpoint_is(const struct xp *x, const char *ep, const struct iface *b)
{
	char a[64], n[48];
	const char *colon = strrchr(ep, ':');

	if (!colon || (unsigned)atoi(colon + 1) != b->tun.port)
		return 0;
	say(a, sizeof(a), "%.*s", (int)(colon - ep), ep);
	if (a[0] == '[' && a[strlen(a) - 1] == ']') {
		memmove(a, a + 1, strlen(a));
		a[strlen(a) - 1] = '\0';
	}
	addr_norm(a, n, sizeof(n));
	return *n && host_has_addr(x, x->t->ns[b->ns].host, n);
}

/*
 * WireGuard: each one's public key is among the other's peers, and every endpoint
 * stated names the other (an address of its host and its listen port), at least one
 * stated.  Keys are the devices' identities: the kernel's own.
 */
static void pair_wireguard(struct xp *x)
{
	struct topo *t = x->t;

	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *a = &t->ifs[i];
		int found = 0;

		if (!a->tun.set || strcmp(a->kind, "wireguard") || !*a->tun.pubkey)
			continue;
		for (size_t j = 0; j < t->nifs; j++) {
			const struct iface *b = &t->ifs[j];
			char ea[64], eb[64];

			if (j == i || strcmp(b->kind, "wireguard") || !*b->tun.pubkey ||
			    t->ns[a->ns].host == t->ns[b->ns].host || !wg_peer_of(a, b, eb, sizeof(eb)))
				continue;
			if (!wg_peer_of(b, a, ea, sizeof(ea))) {
				topo_add_unresolved(t, i, "wireguard peer %.12s...: %s:%s has the key but "
						    "not this one's among its peers", b->tun.pubkey,
						    t->hosts[t->ns[b->ns].host].label, b->name);
				found = 1;
				continue;
			}
			if ((!*ea && !*eb) || (*eb && !wg_endpoint_is(x, eb, b)) ||
			    (*ea && !wg_endpoint_is(x, ea, a))) {
				topo_add_unresolved(t, i, "wireguard peer %.12s...: endpoints disagree "
						    "(%s, %s)", b->tun.pubkey, *eb ? eb : "none",
						    *ea ? ea : "none");
				found = 1;
				continue;
			}
			found = 1;
			if (i < j)
				add_xedge(t, "wireguard", i, j);
		}
		if (!found && a->tun.peers)
			topo_add_unresolved(t, i, "wireguard: no collected host has a device with "
					    "one of its %u peers' keys", a->tun.npeers);
	}
}

/* Remote r of tunnel k (device a): the one device of another host that agrees, or -1. */
static long choose(struct xp *x, size_t k, const char *r)
{
	struct topo *t = x->t;
	size_t ai = x->tun[k], ha = host_of(t, ai);
	const struct iface *a = &t->ifs[ai];
	size_t nat = 0, nagree = 0;
	long pick = -1, first_at = -1;
	char why[160] = "", names[160] = "";

	for (size_t j = 0; j < x->ntun; j++) {
		size_t bi = x->tun[j];
		const struct iface *b = &t->ifs[bi];
		char w[160];

		if (host_of(t, bi) == ha || strcmp(a->kind, b->kind) || !at_addr(x, b, r))
			continue;
		if (first_at < 0)
			first_at = (long)bi;
		nat++;
		if (agree(x, a, b, w, sizeof(w))) {
			size_t len = strlen(names);

			say(names + len, sizeof(names) - len, "%s%s:%s", nagree ? ", " : "",
				 t->hosts[host_of(t, bi)].label, b->name);
			nagree++;
			pick = (long)bi;
		} else if (!*why) {
			say(why, sizeof(why), "%s:%s: %s", t->hosts[host_of(t, bi)].label,
				 b->name, w);
		}
	}
	if (nagree == 1)
		return pick;
	if (nagree > 1) {
		topo_add_unresolved(t, ai, "%s remote %s: ambiguous: %zu devices agree (%s)",
				    a->kind, r, nagree, names);
		return -1;
	}
	if (nat) {
		topo_add_unresolved(t, ai, "%s remote %s: no device there agrees (%s)", a->kind, r,
				    why);
		(void)first_at;
		return -1;
	}
	{
		size_t n;
		const struct owner *o = owner_of(x, r, &n);

		if (host_has_addr(x, ha, r))
			topo_add_unresolved(t, ai, "%s remote %s: an address of its own host "
					    "(not paired within a host)", a->kind, r);
		else if (o)
			topo_add_unresolved(t, ai, "%s remote %s: host %s has the address but no "
					    "%s device there", a->kind, r, t->hosts[o->host].label,
					    a->kind);
		else
			topo_add_unresolved(t, ai, "%s remote %s: no collected host has address %s",
					    a->kind, r, r);
	}
	return -1;
}

static void add_xedge(struct topo *t, const char *kind, size_t a, size_t b)
{
	struct xedge *e;

	for (size_t i = 0; i < t->nxedges; i++)
		if (t->xedges[i].a == a && t->xedges[i].b == b)
			return;
	t->xedges = grow(t->xedges, &t->nxedges_alloc, t->nxedges + 1, sizeof(*t->xedges));
	e = &t->xedges[t->nxedges++];
	copy_str(e->kind, sizeof(e->kind), kind);
	e->a = a;
	e->b = b;
}

/* Pair every tunnel device of cluster t (hosts set) with its partners on other hosts. */
void xpair_tunnels(struct topo *t)
{
	struct xp x = { .t = t };
	size_t talloc = 0, oalloc = 0;

	t->nxedges = 0;
	if (t->nhosts < 1)
		return;
	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *f = &t->ifs[i];

		for (size_t k = 0; k < f->naddrs; k++) {
			struct owner *o;

			x.own = grow(x.own, &oalloc, x.nown + 1, sizeof(*x.own));
			o = &x.own[x.nown];
			addr_norm(f->addrs[k].text, o->addr, sizeof(o->addr));
			if (!*o->addr)
				continue;
			o->host = t->ns[f->ns].host;
			o->ns = f->ns;
			x.nown++;
		}
		if (pairable(f)) {
			x.tun = grow(x.tun, &talloc, x.ntun + 1, sizeof(*x.tun));
			x.tun[x.ntun++] = i;
		}
	}
	sort_n(x.own, x.nown, sizeof(*x.own), cmp_owner);
	x.chose = xmalloc((x.ntun ? x.ntun : 1) * REMOTES_MAX * sizeof(*x.chose));
	x.remote = xcalloc((x.ntun ? x.ntun : 1) * REMOTES_MAX, sizeof(*x.remote));
	for (size_t k = 0; k < x.ntun; k++) {
		const struct iface *a = &t->ifs[x.tun[k]];
		int mcast;
		size_t n = remotes_of(a, x.remote + k * REMOTES_MAX, &mcast);

		for (size_t r = 0; r < REMOTES_MAX; r++)
			x.chose[k * REMOTES_MAX + r] = -1;
		if (!n) {
			char g[48];

			addr_norm(a->tun.remote, g, sizeof(g));
			if (mcast)
				topo_add_unresolved(t, x.tun[k], "%s group %s: its members are not "
						    "stated by the kernel", a->kind, g);
			else
				topo_add_unresolved(t, x.tun[k], "%s: no remote address and no FDB "
						    "entry (its partners are learned, not stated)",
						    a->kind);
			continue;
		}
		for (size_t r = 0; r < n; r++)
			x.chose[k * REMOTES_MAX + r] = choose(&x, k, x.remote[k * REMOTES_MAX + r]);
	}
	/* an edge where both ends chose each other */
	for (size_t k = 0; k < x.ntun; k++)
		for (size_t r = 0; r < REMOTES_MAX; r++) {
			long b = x.chose[k * REMOTES_MAX + r];
			size_t kb;
			int back = 0;

			if (b < 0)
				continue;
			for (kb = 0; kb < x.ntun && x.tun[kb] != (size_t)b; kb++)
				;
			for (size_t rb = 0; kb < x.ntun && rb < REMOTES_MAX; rb++)
				back |= x.chose[kb * REMOTES_MAX + rb] == (long)x.tun[k];
			if (!back) {
				topo_add_unresolved(t, x.tun[k], "%s remote %s: %s:%s agrees but chose "
						    "another device", t->ifs[x.tun[k]].kind,
						    x.remote[k * REMOTES_MAX + r],
						    t->hosts[host_of(t, (size_t)b)].label,
						    t->ifs[b].name);
				continue;
			}
			if (x.tun[k] < (size_t)b)
				add_xedge(t, t->ifs[b].kind, x.tun[k], (size_t)b);
		}
	pair_wireguard(&x);
	free(x.own);
	free(x.tun);
	free(x.chose);
	free(x.remote);
}
