/*
 * topo.c implements the in-memory graph and the pure pairing logic: which veth end is
 * whose peer, bridge and master membership, and lower links.  No I/O happens here; the
 * only question asked of the outside world is "which nsid does namespace A give namespace
 * B", through the nsid_fn callback, so unit tests can replay recorded scans.
 *
 * The rule: a pairing is reported only when the kernel's own words prove it.  A veth end
 * carries IFLA_LINK (the peer's ifindex, in the peer's namespace) and, when the peer lives
 * elsewhere, IFLA_LINK_NETNSID (the peer namespace's nsid in the owner's table).  We accept
 * a candidate only when its ifindex, its own IFLA_LINK and the owner's nsid for its
 * namespace all agree, and the candidate agrees back.  Anything less is "unresolved".
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

const char *const via_names[VIA_COUNT] = { "proc", "task", "fd", "mount", "self", "socket" };
const char *const edge_type_names[] = { "veth", "bridge", "master", "lower" };

void topo_init(struct topo *t)
{
	memset(t, 0, sizeof(*t));
}

void topo_release(struct topo *t)
{
	for (size_t i = 0; i < t->nns; i++) {
		strv_release(&t->ns[i].names);
		intv_release(&t->ns[i].pids);
		for (size_t k = 0; k < t->ns[i].nmounts; k++)
			free(t->ns[i].mounts[k].path);
		free(t->ns[i].mounts);
	}
	for (size_t i = 0; i < t->nifs; i++) {
		free(t->ifs[i].addrs);
		free(t->ifs[i].tun.fdb);
		free(t->ifs[i].tun.peers);
	}
	free(t->ns);
	free(t->ifs);
	free(t->edges);
	free(t->unres);
	free(t->routes);
	free(t->ctrs);
	free(t->taps);
	free(t->hosts);
	free(t->xedges);
	topo_init(t);
}

/*
 * Record a bind mount of namespace ns and its display name (see ns_name_make); a mount
 * already recorded (same mount namespace and path) is not added twice.
 */
void ns_add_mount(struct topo *t, size_t ns, const char *path, uint64_t mntns, int pid,
		  int host)
{
	struct netns *n = &t->ns[ns];
	struct nsmount *m;

	for (size_t i = 0; i < n->nmounts; i++)
		if (n->mounts[i].host == host && n->mounts[i].mntns == mntns &&
		    !strcmp(n->mounts[i].path, path))
			return;
	n->mounts = grow(n->mounts, &n->mounts_alloc, n->nmounts + 1, sizeof(*n->mounts));
	m = &n->mounts[n->nmounts++];
	m->path = xstrdup(path);
	m->mntns = mntns;
	m->pid = host ? 0 : pid;
	m->host = host;
	{
		char *name = ns_name_make(path, host, pid);

		strv_add(&n->names, name);
		free(name);
	}
}

/* Did the scan that made t miss something it saw (so t is not the whole host)? */
int topo_incomplete(const struct topo *t)
{
	return t->missed || t->lookup_timeouts || t->incomplete_reason[0];
}

size_t topo_add_ns(struct topo *t, uint64_t dev, uint64_t ino)
{
	struct netns *n;

	t->ns = grow(t->ns, &t->nns_alloc, t->nns + 1, sizeof(*t->ns));
	n = &t->ns[t->nns];
	memset(n, 0, sizeof(*n));
	n->dev = dev;
	n->ino = ino;
	n->owner_uid = -1;
	n->fwd4 = n->fwd6 = -1;
	return t->nns++;
}

/* Linear: discovery keeps its own hash; this serves loading and tests. */
long topo_find_ns(const struct topo *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->nns; i++)
		if (t->ns[i].ino == ino && (!dev || t->ns[i].dev == dev))
			return (long)i;
	return -1;
}

struct tap_holder *topo_add_tap(struct topo *t)
{
	struct tap_holder *h;

	t->taps = grow(t->taps, &t->ntaps_alloc, t->ntaps + 1, sizeof(*t->taps));
	h = &t->taps[t->ntaps++];
	memset(h, 0, sizeof(*h));
	return h;
}

/*
 * The interface a tap holder holds: the one of its namespace with its ifindex, when that
 * has the same name and is a tun device; else -1 (not placed, or gone from the dump).
 */
long topo_tap_iface(const struct topo *t, const struct tap_holder *h)
{
	long ns, i;

	if (!h->netns || !h->ifindex || (ns = topo_find_ns(t, 0, h->netns)) < 0)
		return -1;
	i = topo_find_iface(t, (size_t)ns, h->ifindex);
	if (i < 0 || strcmp(t->ifs[i].name, h->ifname) ||
	    (strcmp(t->ifs[i].kind, "tap") && strcmp(t->ifs[i].kind, "tun")))
		return -1;
	return i;
}

struct iface *topo_add_iface(struct topo *t, size_t ns)
{
	struct iface *ifc;

	t->ifs = grow(t->ifs, &t->nifs_alloc, t->nifs + 1, sizeof(*t->ifs));
	ifc = &t->ifs[t->nifs++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->ns = ns;
	ifc->peer = -1;
	return ifc;
}

/*
 * Append word to *list, a space-separated list of *n words (a tunnel's FDB remotes, its
 * peers): one allocation each, the list's form the database and JSON share.
 */
void words_append(char **list, unsigned *n, const char *word)
{
	size_t len = *list ? strlen(*list) : 0;

	*list = xrealloc(*list, len + strlen(word) + 2);
	if (len)
		(*list)[len++] = ' ';
	strcpy(*list + len, word);
	(*n)++;
}

void iface_add_addr(struct iface *ifc, int family, int prefixlen, const char *text)
{
	struct addr *a;

	ifc->addrs = xrealloc(ifc->addrs, (ifc->naddrs + 1) * sizeof(*ifc->addrs));
	a = &ifc->addrs[ifc->naddrs++];
	a->family = family;
	a->prefixlen = prefixlen;
	copy_str(a->text, sizeof(a->text), text);
}

static int cmp_iface(const void *pa, const void *pb)
{
	const struct iface *a = pa, *b = pb;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
}

/* The interface called name in namespace ns, or -1 (names are unique per namespace). */
long topo_find_ifname(const struct topo *t, size_t ns, const char *name)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && !strcmp(t->ifs[i].name, name))
			return (long)i;
	return -1;
}

/* Binary search in the (ns, ifindex)-sorted interface array. */
long topo_find_iface(const struct topo *t, size_t ns, int ifindex)
{
	size_t lo = 0, hi = t->nifs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iface *m = &t->ifs[mid];

		if (m->ns < ns || (m->ns == ns && m->ifindex < ifindex))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->nifs && t->ifs[lo].ns == ns && t->ifs[lo].ifindex == ifindex)
		return (long)lo;
	return -1;
}

static int cmp_route(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Routes by namespace, each namespace's in the order they were added. */
void topo_sort_routes(struct topo *t)
{
	sort_n(t->routes, t->nroutes, sizeof(*t->routes), cmp_route);
}

/* A new route of namespace ns (topo_routes_of() wants them sorted: topo_sort_routes()). */
struct route *topo_add_route(struct topo *t, size_t ns)
{
	struct route *r;

	t->routes = grow(t->routes, &t->nroutes_alloc, t->nroutes + 1, sizeof(*t->routes));
	r = &t->routes[t->nroutes];
	memset(r, 0, sizeof(*r));
	r->ns = ns;
	r->seq = t->nroutes++;
	return r;
}

/* The routes of namespace ns (*n of them), or NULL. */
const struct route *topo_routes_of(const struct topo *t, size_t ns, size_t *n)
{
	size_t lo = 0, hi = t->nroutes, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->routes[mid].ns < ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < t->nroutes && t->routes[end].ns == ns; end++)
		;
	*n = end - lo;
	return *n ? &t->routes[lo] : NULL;
}

static int cmp_ns_index(const void *pa, const void *pb, void *ctx)
{
	const struct topo *t = ctx;
	const struct netns *a = &t->ns[*(const size_t *)pa];
	const struct netns *b = &t->ns[*(const size_t *)pb];

	if (a->is_host != b->is_host)
		return a->is_host ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return (a->dev > b->dev) - (a->dev < b->dev);
}

/*
 * Put namespaces in output order (host first, then by inode), interfaces following them.
 * Returns order (order[new] = old index, t->nns entries, the caller frees it) for what
 * else is kept by namespace index (struct scan_ctx); NULL when t has no namespaces.
 */
size_t *topo_sort_ns(struct topo *t)
{
	size_t *order, *where;
	struct netns *ns;

	if (!t->nns)
		return NULL;
	order = index_sorted(t->nns, cmp_ns_index, t);
	where = xmalloc(t->nns * sizeof(*where));
	ns = xmalloc(t->nns * sizeof(*ns));
	for (size_t i = 0; i < t->nns; i++) {
		ns[i] = t->ns[order[i]];
		where[order[i]] = i;
	}
	memcpy(t->ns, ns, t->nns * sizeof(*ns));
	for (size_t i = 0; i < t->nifs; i++)
		t->ifs[i].ns = where[t->ifs[i].ns];
	for (size_t i = 0; i < t->nroutes; i++)
		t->routes[i].ns = where[t->routes[i].ns];
	topo_sort_routes(t);
	free(where);
	free(ns);
	return order;
}

/* Interfaces by (namespace, ifindex).  Must run before topo_build() and any index. */
void topo_sort_ifaces(struct topo *t)
{
	sort_n(t->ifs, t->nifs, sizeof(*t->ifs), cmp_iface);
}

/* Both: namespaces in output order, then interfaces by (namespace, ifindex). */
void topo_sort(struct topo *t)
{
	free(topo_sort_ns(t));
	topo_sort_ifaces(t);
}

void topo_add_edge(struct topo *t, enum edge_type type, size_t a, size_t b)
{
	t->edges = grow(t->edges, &t->nedges_alloc, t->nedges + 1, sizeof(*t->edges));
	t->edges[t->nedges].type = type;
	t->edges[t->nedges].a = a;
	t->edges[t->nedges].b = b;
	t->nedges++;
}

void topo_add_unresolved(struct topo *t, size_t ifc, const char *fmt, ...)
{
	va_list ap;
	struct unresolved *u;

	t->unres = grow(t->unres, &t->nunres_alloc, t->nunres + 1, sizeof(*t->unres));
	u = &t->unres[t->nunres++];
	u->ifc = ifc;
	va_start(ap, fmt);
	vsnprintf(u->reason, sizeof(u->reason), fmt, ap);
	va_end(ap);
}

/*
 * A small open-addressing map from 64-bit keys to ints, caching nsid answers both ways:
 * (observer, target) -> nsid and (observer, nsid) -> target.  An observer's nsids are a
 * one-to-one map, so once an nsid is placed, other candidates need no question.
 */
struct cache {
	uint64_t *keys;
	long *vals;
	size_t cap, used;
};

static size_t cache_slot(const struct cache *c, uint64_t key)
{
	size_t i = (size_t)mix64(key) & (c->cap - 1);

	while (c->keys[i] && c->keys[i] != key)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static void cache_put(struct cache *c, uint64_t key, long val)
{
	size_t i;

	key |= 1ull << 63;	/* never zero: zero marks an empty slot */
	if ((c->used + 1) * 2 > c->cap) {
		struct cache old = *c;

		c->cap = c->cap ? c->cap * 2 : 256;
		c->keys = xcalloc(c->cap, sizeof(*c->keys));
		c->vals = xcalloc(c->cap, sizeof(*c->vals));
		c->used = 0;
		for (size_t j = 0; j < old.cap; j++)
			if (old.keys[j]) {
				i = cache_slot(c, old.keys[j]);
				c->keys[i] = old.keys[j];
				c->vals[i] = old.vals[j];
				c->used++;
			}
		free(old.keys);
		free(old.vals);
	}
	i = cache_slot(c, key);
	if (!c->keys[i])
		c->used++;
	c->keys[i] = key;
	c->vals[i] = val;
}

static int cache_get(const struct cache *c, uint64_t key, long *val)
{
	size_t i;

	if (!c->cap)
		return 0;
	i = cache_slot(c, key | 1ull << 63);
	if (!c->keys[i])
		return 0;
	*val = c->vals[i];
	return 1;
}

struct pairing {
	struct topo *t;
	nsid_fn nsid;
	void *ctx;
	struct cache by_target;	/* observer<<32 | target -> nsid */
	struct cache by_nsid;	/* observer<<32 | (uint32)nsid -> target */
	size_t *by_ifindex;	/* all interfaces, sorted by (ifindex, ns) */
};

static long ask_nsid(struct pairing *p, size_t observer, size_t target)
{
	uint64_t key = (uint64_t)observer << 32 | (uint32_t)target;
	long id;

	if (cache_get(&p->by_target, key, &id))
		return id;
	id = p->nsid(p->ctx, observer, target);
	cache_put(&p->by_target, key, id);
	if (id >= 0)
		cache_put(&p->by_nsid, (uint64_t)observer << 32 | (uint32_t)id, (long)target);
	return id;
}

static int cmp_by_ifindex(const void *pa, const void *pb, void *ctx)
{
	const struct topo *t = ctx;
	const struct iface *a = &t->ifs[*(const size_t *)pa];
	const struct iface *b = &t->ifs[*(const size_t *)pb];

	if (a->ifindex != b->ifindex)
		return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
	return (a->ns > b->ns) - (a->ns < b->ns);
}

/* First position in p->by_ifindex whose interface has this ifindex. */
static size_t first_with_ifindex(const struct pairing *p, int ifindex)
{
	size_t lo = 0, hi = p->t->nifs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->t->ifs[p->by_ifindex[mid]].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Find, among interfaces with ifindex `ifindex` in namespaces other than owner's, the one
 * in the namespace that `owner` calls `nsid`.  Returns the interface index,
 * -1 when no discovered namespace has that nsid among the candidates.
 */
static long place_by_nsid(struct pairing *p, size_t owner, int nsid, int ifindex)
{
	struct topo *t = p->t;
	long known;

	if (cache_get(&p->by_nsid, (uint64_t)owner << 32 | (uint32_t)nsid, &known))
		return topo_find_iface(t, (size_t)known, ifindex);
	for (size_t k = first_with_ifindex(p, ifindex); k < t->nifs; k++) {
		size_t c = p->by_ifindex[k];
		const struct iface *cand = &t->ifs[c];

		if (cand->ifindex != ifindex)
			break;
		if (cand->ns == owner)
			continue;
		if (ask_nsid(p, owner, cand->ns) == nsid)
			return (long)c;
	}
	return -1;
}

static int is_veth(const struct iface *ifc)
{
	return !strcmp(ifc->kind, "veth");
}

/*
 * Could cand be the far end of veth x (which has a link-netnsid)?  A veth in another
 * namespace whose own IFLA_LINK is x's ifindex and which has a link-netnsid itself (its
 * peer is elsewhere too).  The nsid decides among the candidates that pass.
 */
static int veth_candidate(const struct iface *x, const struct iface *cand)
{
	return cand->ns != x->ns && cand->link == x->ifindex && is_veth(cand) &&
	       cand->has_link_netnsid;
}

/*
 * The peer of veth i, which has a link-netnsid: among veths whose ifindex is i's
 * IFLA_LINK and whose IFLA_LINK is i's ifindex, the one whose namespace i's own nsid
 * table calls link_netnsid.  Each end is placed from its own table; topo_build() keeps
 * the pair only when both agree, so a device that changed between two dumps can make a
 * pair unresolved, never wrong.  Once the namespace behind an nsid is known (the cache),
 * the same candidate test applies there.
 */
static long place_veth(struct pairing *p, size_t i)
{
	struct topo *t = p->t;
	const struct iface *x = &t->ifs[i];
	long known;

	if (cache_get(&p->by_nsid, (uint64_t)x->ns << 32 | (uint32_t)x->link_netnsid, &known)) {
		long c = topo_find_iface(t, (size_t)known, x->link);

		return c >= 0 && veth_candidate(x, &t->ifs[c]) ? c : -1;
	}
	for (size_t k = first_with_ifindex(p, x->link); k < t->nifs; k++) {
		size_t c = p->by_ifindex[k];
		const struct iface *cand = &t->ifs[c];

		if (cand->ifindex != x->link)
			break;
		if (!veth_candidate(x, cand))
			continue;
		if (ask_nsid(p, x->ns, cand->ns) == x->link_netnsid)
			return (long)c;
	}
	return -1;
}

/* Set ifs[i].peer, or record why it cannot be. */
static void pair_veth(struct pairing *p, size_t i)
{
	struct topo *t = p->t;
	struct iface *x = &t->ifs[i];
	long c;

	if (x->link <= 0) {
		topo_add_unresolved(t, i, "kernel reports no peer ifindex (IFLA_LINK %d): peer gone?",
				    x->link);
		return;
	}
	if (!x->has_link_netnsid) {
		c = topo_find_iface(t, x->ns, x->link);
		if (c >= 0 && (size_t)c != i && is_veth(&t->ifs[c]) && t->ifs[c].link == x->ifindex &&
		    !t->ifs[c].has_link_netnsid) {
			x->peer = c;
			return;
		}
		topo_add_unresolved(t, i, "no link-netnsid and no veth with ifindex %d pointing back "
				    "in its own namespace", x->link);
		return;
	}
	if (x->link_netnsid < 0) {
		topo_add_unresolved(t, i, "peer namespace has no nsid (%d): being destroyed?",
				    x->link_netnsid);
		return;
	}
	c = place_veth(p, i);
	if (c < 0) {
		topo_add_unresolved(t, i, "peer ifindex %d in nsid %d: no such veth in any "
				    "discovered namespace", x->link, x->link_netnsid);
		return;
	}
	x->peer = c;
}

static int is_lower_kind(const char *kind)
{
	static const char *const kinds[] = { "macvlan", "macvtap", "ipvlan", "ipvtap", "vlan",
		"macsec", "vxlan", NULL };

	for (int i = 0; kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

/* Lower link of an upper device (macvlan, vlan, vxlan's underlay, ...). */
static void link_lower(struct pairing *p, size_t i)
{
	struct topo *t = p->t;
	struct iface *x = &t->ifs[i];
	int parent = !strcmp(x->kind, "vxlan") ? x->vxlan_link : x->link;
	long c;

	if (parent <= 0 || (parent == x->ifindex && !x->has_link_netnsid))
		return;		/* no lower device (vxlan without dev, plain devices) */
	if (!x->has_link_netnsid)
		c = topo_find_iface(t, x->ns, parent);
	else if (x->link_netnsid < 0)
		c = -1;
	else
		c = place_by_nsid(p, x->ns, x->link_netnsid, parent);
	if (c < 0 || (size_t)c == i) {
		if (is_lower_kind(x->kind))
			topo_add_unresolved(t, i, "lower device ifindex %d%s not found", parent,
					    x->has_link_netnsid ? " in its link-netnsid" : "");
		return;
	}
	topo_add_edge(t, EDGE_LOWER, i, (size_t)c);
}

/*
 * Ask at once, through batch, every question pair_veth() will ask: for each veth with a
 * link-netnsid, its owner's nsid for the namespace of each candidate peer.  The answers
 * fill the caches as ask_nsid() fills them, one by one; pairing then reads them there.
 * They are the kernel's answers to the same questions (an observer's nsid for a namespace
 * we hold never changes once given), so nothing is paired on less than before: each end
 * is still confirmed from its own side, by its own namespace's table.
 */
static void prefetch_nsids(struct pairing *p, nsid_batch_fn batch)
{
	struct topo *t = p->t;
	struct cache queued = { 0 };
	struct nsid_q *q = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *x = &t->ifs[i];

		if (!is_veth(x) || x->link <= 0 || !x->has_link_netnsid || x->link_netnsid < 0)
			continue;
		for (size_t k = first_with_ifindex(p, x->link); k < t->nifs; k++) {
			const struct iface *cand = &t->ifs[p->by_ifindex[k]];
			uint64_t key = (uint64_t)x->ns << 32 | (uint32_t)cand->ns;
			long seen;

			if (cand->ifindex != x->link)
				break;
			if (!veth_candidate(x, cand) || cache_get(&p->by_target, key, &seen) ||
			    cache_get(&queued, key, &seen))
				continue;
			cache_put(&queued, key, 1);
			q = grow(q, &alloc, n + 1, sizeof(*q));
			q[n++] = (struct nsid_q){ .observer = x->ns, .target = cand->ns, .nsid = -1 };
		}
	}
	if (n)
		batch(p->ctx, q, n);
	for (size_t k = 0; k < n; k++) {
		cache_put(&p->by_target, (uint64_t)q[k].observer << 32 | (uint32_t)q[k].target,
			  q[k].nsid);
		if (q[k].nsid >= 0)
			cache_put(&p->by_nsid, (uint64_t)q[k].observer << 32 | (uint32_t)q[k].nsid,
				  (long)q[k].target);
	}
	free(q);
	free(queued.keys);
	free(queued.vals);
}

/*
 * Build every edge.  Interfaces must be sorted (topo_sort).  Clears earlier results, so
 * it can run again on the same interfaces.
 */
void topo_build(struct topo *t, nsid_fn nsid, void *ctx)
{
	topo_build_batched(t, nsid, NULL, ctx);
}

/* topo_build(), the veths' nsid questions asked at once through batch (when not NULL). */
void topo_build_batched(struct topo *t, nsid_fn nsid, nsid_batch_fn batch, void *ctx)
{
	struct pairing p = { .t = t, .nsid = nsid, .ctx = ctx };

	t->nedges = 0;
	t->nunres = 0;
	p.by_ifindex = xmalloc(t->nifs * sizeof(*p.by_ifindex));
	for (size_t i = 0; i < t->nifs; i++) {
		p.by_ifindex[i] = i;
		t->ifs[i].peer = -1;
	}
	sort_r_n(p.by_ifindex, t->nifs, sizeof(*p.by_ifindex), cmp_by_ifindex, t);

	if (batch)
		prefetch_nsids(&p, batch);
	for (size_t i = 0; i < t->nifs; i++)
		if (is_veth(&t->ifs[i]))
			pair_veth(&p, i);
	/* Keep a pairing only when both ends name each other. */
	for (size_t i = 0; i < t->nifs; i++) {
		struct iface *x = &t->ifs[i];

		if (x->peer < 0)
			continue;
		if (t->ifs[x->peer].peer != (long)i) {
			topo_add_unresolved(t, i, "candidate peer '%s' does not point back",
					    t->ifs[x->peer].name);
			x->peer = -1;
		} else if ((size_t)x->peer > i) {
			topo_add_edge(t, EDGE_VETH, i, (size_t)x->peer);
		}
	}

	for (size_t i = 0; i < t->nifs; i++) {
		struct iface *x = &t->ifs[i];
		long m;

		if (x->master) {
			m = topo_find_iface(t, x->ns, x->master);
			if (m < 0)
				topo_add_unresolved(t, i, "master ifindex %d not found in its namespace",
						    x->master);
			else
				topo_add_edge(t, !strcmp(t->ifs[m].kind, "bridge") ? EDGE_BRIDGE :
					      EDGE_MASTER, i, (size_t)m);
		}
		if (!is_veth(x))
			link_lower(&p, i);
	}
	free(p.by_ifindex);
	free(p.by_target.keys);
	free(p.by_target.vals);
	free(p.by_nsid.keys);
	free(p.by_nsid.vals);
}

/*
 * A short label for a namespace in peer columns: "host", a container's name, an
 * `ip netns` name, another bind-mount path, or the inode.
 */
/* How a namespace was found, as names joined by sep ("proc,mount"), into buf. */
const char *topo_via_text(unsigned via, const char *sep, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < VIA_COUNT && n < size; i++)
		if (via & (1u << i))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? sep : "", via_names[i]);
	return buf;
}

/* An interface's addresses joined by sep ("" when none); the caller frees it. */
char *iface_addrs_text(const struct iface *x, const char *sep)
{
	size_t len = 1, sl = strlen(sep), n = 0;
	char *s;

	for (size_t k = 0; k < x->naddrs; k++)
		len += strlen(x->addrs[k].text) + sl;
	s = xmalloc(len);
	s[0] = '\0';
	for (size_t k = 0; k < x->naddrs; k++) {
		size_t al = strlen(x->addrs[k].text);

		if (k) {
			memcpy(s + n, sep, sl);
			n += sl;
		}
		memcpy(s + n, x->addrs[k].text, al + 1);
		n += al;
	}
	return s;
}

/* The bridge or other master of interface i (same namespace), or -1. */
long topo_master(const struct topo *t, size_t i)
{
	const struct iface *x = &t->ifs[i];

	return x->master ? topo_find_iface(t, x->ns, x->master) : -1;
}

/*
 * For each interface, the id of its veth edge, else of its lower edge (edges are numbered
 * from 1 in t->edges order, as 'vethmap show' prints them and 'vethmap cap eN' takes
 * them); 0 for none.  edge_of has t->nifs entries.
 */
void topo_edge_ids(const struct topo *t, size_t *edge_of)
{
	memset(edge_of, 0, t->nifs * sizeof(*edge_of));
	for (size_t e = t->nedges; e-- > 0;)
		if (t->edges[e].type == EDGE_VETH || t->edges[e].type == EDGE_LOWER) {
			edge_of[t->edges[e].a] = e + 1;
			if (t->edges[e].type == EDGE_VETH)
				edge_of[t->edges[e].b] = e + 1;
		}
}

/* Promiscuous: the flag, or a promiscuity count from a capture or a bridge. */
int iface_promisc(const struct iface *x)
{
	return (x->flags & IFF_PROMISC_) || x->promiscuity;
}

int iface_is_loopback(const struct iface *x)
{
	return !strcmp(x->kind, "loopback") || (x->flags & IFF_LOOPBACK_);
}

/* The label of namespace ns whose container (topo_ns_container) is ctr. */
static const char *ns_label(const struct topo *t, size_t ns, const char *ctr, char *buf,
			    size_t size)
{
	const struct netns *n = &t->ns[ns];

	if (n->is_host)	/* in a cluster: the host's name */
		return t->nhosts && n->host < t->nhosts ? t->hosts[n->host].label : "host";
	if (ctr)
		return ctr;
	for (size_t i = 0; i < n->names.n; i++) {
		const char *s = n->names.v[i];

		if (!strncmp(s, "/run/netns/", 11) && s[11])
			return s + 11;
		if (!strncmp(s, "/var/run/netns/", 15) && s[15])
			return s + 15;
	}
	if (n->names.n)
		return n->names.v[0];
	snprintf(buf, size, "%llu", (unsigned long long)n->ino);
	return buf;
}

const char *topo_ns_label(const struct topo *t, size_t ns, char *buf, size_t size)
{
	return ns_label(t, ns, t->ns[ns].is_host ? NULL : topo_ns_container(t, ns), buf, size);
}

/*
 * topo_ns_label() of every namespace at once, in one pass over the containers (a label
 * each is a pass over them all: quadratic with a container per namespace).  label[ns]
 * points into t or into buf[ns].
 */
void topo_ns_labels(const struct topo *t, const char **label, char (*buf)[32])
{
	const char **ctr = xcalloc(t->nns ? t->nns : 1, sizeof(*ctr));

	topo_ns_containers(t, ctr);
	for (size_t ns = 0; ns < t->nns; ns++)
		label[ns] = ns_label(t, ns, ctr[ns], buf[ns], sizeof(buf[ns]));
	free(ctr);
}

/* topo_ns_container() of every namespace at once, in one pass: ctr[ns], or NULL. */
void topo_ns_containers(const struct topo *t, const char **ctr)
{
	unsigned char *sandbox = xcalloc(t->nns ? t->nns : 1, 1);

	for (size_t ns = 0; ns < t->nns; ns++)
		ctr[ns] = NULL;
	for (size_t i = 0; i < t->nctrs; i++) {	/* as topo_ns_container() chooses */
		const struct container *c = &t->ctrs[i];

		if (c->ns < 0 || (size_t)c->ns >= t->nns || t->ns[c->ns].is_host || !*c->name ||
		    !c->verified || sandbox[c->ns])
			continue;
		if (c->sandbox) {
			ctr[c->ns] = c->name;
			sandbox[c->ns] = 1;
		} else if (!ctr[c->ns]) {
			ctr[c->ns] = c->name;
		}
	}
	free(sandbox);
}

/* ---- containers: the model's own lookups (engines.c fills them in) ---------------------- */

/*
 * While engines_scan runs, t->ctr_index maps (engine, id) to containers: an open-addressing
 * table of indices into t->ctrs, hashed with a seed chosen per scan, so an engine that
 * lists a hundred thousand containers costs a hundred thousand lookups, not their square.
 */
struct ctr_index {
	size_t *slot;		/* index into t->ctrs + 1; 0 = empty */
	size_t mask;		/* slots - 1 (a power of two) */
	uint64_t seed;
};

static uint64_t id_hash(const struct ctr_index *x, const char *id)
{
	uint64_t h = x->seed;
	size_t n = strlen(id);

	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;

		memcpy(&w, id + i, n - i < 8 ? n - i : 8);
		h = mix64(h ^ w);
	}
	return mix64(h ^ n);
}

static void index_put(struct ctr_index *x, const struct topo *t, size_t i)
{
	size_t k = (size_t)id_hash(x, t->ctrs[i].id) & x->mask;

	while (x->slot[k])
		k = (k + 1) & x->mask;
	x->slot[k] = i + 1;
}

/* Room for n containers at a load of one half or less. */
static void index_fit(struct topo *t, size_t n)
{
	struct ctr_index *x = t->ctr_index;
	size_t slots = 16;

	if (x->slot && n * 2 <= x->mask + 1)
		return;
	while (slots < n * 2)
		slots *= 2;
	free(x->slot);
	x->slot = xcalloc(slots, sizeof(*x->slot));
	x->mask = slots - 1;
	for (size_t i = 0; i < t->nctrs; i++)
		index_put(x, t, i);
}

struct container *topo_add_container(struct topo *t, const char *engine, const char *id)
{
	struct container *c;

	t->ctrs = grow(t->ctrs, &t->nctrs_alloc, t->nctrs + 1, sizeof(*t->ctrs));
	c = &t->ctrs[t->nctrs++];
	memset(c, 0, sizeof(*c));
	copy_str(c->engine, sizeof(c->engine), engine);
	copy_str(c->id, sizeof(c->id), id);
	c->ns = -1;
	c->verified = 1;
	c->owner_uid = -1;
	if (t->ctr_index) {
		index_fit(t, t->nctrs);
		index_put(t->ctr_index, t, t->nctrs - 1);
	}
	return c;
}

/* By engine (NULL: any) and whole id, verified ones only, or unverified ones only. */
struct container *topo_find_ctr(struct topo *t, const char *engine, const char *id,
				  int verified)
{
	struct ctr_index *x = t->ctr_index;
	char key[sizeof(t->ctrs->id)];

	copy_str(key, sizeof(key), id);	/* as topo_add_container stores it */
	if (!x) {
		for (size_t i = 0; i < t->nctrs; i++) {
			struct container *c = &t->ctrs[i];

			if ((!engine || !strcmp(c->engine, engine)) && !strcmp(c->id, key) &&
			    c->verified == verified)
				return c;
		}
		return NULL;
	}
	for (size_t k = (size_t)id_hash(x, key) & x->mask; x->slot[k]; k = (k + 1) & x->mask) {
		struct container *c = &t->ctrs[x->slot[k] - 1];

		if ((!engine || !strcmp(c->engine, engine)) && !strcmp(c->id, key) &&
		    c->verified == verified)
			return c;
	}
	return NULL;
}

/* By engine (NULL: any) and whole id; unverified containers are never found. */
struct container *topo_find_container(struct topo *t, const char *engine, const char *id)
{
	return topo_find_ctr(t, engine, id, 1);
}

#define CTR_FIELD(key, member) \
	{ key, offsetof(struct container, member), sizeof(((struct container *)0)->member) }
const struct ctr_field ctr_fields[CTR_FIELDS] = {
	CTR_FIELD("image", image),
	CTR_FIELD("pod", pod),
	CTR_FIELD("pod_namespace", pod_ns),
	CTR_FIELD("compose_project", compose),
	CTR_FIELD("network_mode", netmode),
	CTR_FIELD("containerd_namespace", cns),
};

void ctr_field_set(struct container *c, size_t k, const char *v)
{
	copy_str((char *)c + ctr_fields[k].off, ctr_fields[k].size, v);
}

/* Text from an engine is kept only when it has no control characters. */
int container_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Index t's containers by (engine, id) with this seed until topo_unindex_containers(). */
void topo_index_containers(struct topo *t, uint64_t seed)
{
	struct ctr_index *x = xcalloc(1, sizeof(*x));

	x->seed = seed;
	t->ctr_index = x;
	index_fit(t, t->nctrs + 1);
}

void topo_unindex_containers(struct topo *t)
{
	struct ctr_index *x = t->ctr_index;

	if (x)
		free(x->slot);
	free(x);
	t->ctr_index = NULL;
}

/*
 * A name for namespace ns from its containers: the sandbox's (a pod, or the container
 * whose namespace others joined), else the first by name; NULL when it has none, and
 * always for the host's namespace.  An unverified container never names a namespace.
 */
const char *topo_ns_container(const struct topo *t, size_t ns)
{
	const char *any = NULL;

	if (t->ns[ns].is_host)
		return NULL;	/* host-network containers do not own the host */
	for (size_t i = 0; i < t->nctrs; i++) {
		if (t->ctrs[i].ns != (long)ns || !*t->ctrs[i].name || !t->ctrs[i].verified)
			continue;
		if (t->ctrs[i].sandbox)
			return t->ctrs[i].name;
		if (!any)
			any = t->ctrs[i].name;
	}
	return any;
}

/* A container's pod as text shows it: "NAMESPACE/POD", or "POD" outside Kubernetes. */
const char *ctr_pod_label(const struct container *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->pod_ns, *c->pod_ns && *c->pod ? "/" : "", c->pod);
	return buf;
}
