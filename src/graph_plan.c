/*
 * graph_plan.c implements what 'vethmap graph' draws and in which order, apart from the
 * DOT text itself (graph_dot.c): the selection (everything, or one --focus target and its
 * neighbours), the plan (each namespace's depth from the host and uplink, the order of
 * clusters and of interfaces within them, nested engines' nodes), and the groups of alike
 * namespaces drawn as one node.  No output happens here.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "graph_plan.h"

/* ---- what to draw -------------------------------------------------------------------- */

static void sel_alloc(struct graph_sel *s, const struct topo *t)
{
	s->on = xcalloc(t->nifs ? t->nifs : 1, 1);
	s->whole = xcalloc(t->nns ? t->nns : 1, 1);
	s->focus[0] = '\0';
	s->expand = 0;
}

/* Namespace ns whole: its cluster and every interface in it but lo. */
static void sel_ns(struct graph_sel *s, const struct topo *t, size_t ns)
{
	s->whole[ns] = 1;
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && !iface_is_loopback(&t->ifs[i]))
			s->on[i] = 1;
}

/*
 * The neighbours of interface i: the other end of each of its edges and, for a veth
 * peer or a tunnel's end on another host, that end's bridge (or other master).  With `whole`, the peer's namespace is taken
 * whole, unless it is the host's (that would be everything).
 */
static void sel_neighbours(struct graph_sel *s, const struct topo *t, size_t i, int whole)
{
	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *g = &t->edges[e];
		size_t o;
		long m;

		if (g->a == i)
			o = g->b;
		else if (g->b == i)
			o = g->a;
		else
			continue;
		s->on[o] = 1;
		if (g->type != EDGE_VETH)
			continue;
		m = topo_master(t, o);
		if (m >= 0)
			s->on[m] = 1;
		if (whole && !t->ns[t->ifs[o].ns].is_host)
			sel_ns(s, t, t->ifs[o].ns);
	}
	for (size_t e = 0; e < t->nxedges; e++) {	/* a tunnel to another host: its end */
		const struct xedge *x = &t->xedges[e];
		size_t o = x->a == i ? x->b : x->b == i ? x->a : SIZE_MAX;
		long m;

		if (o == SIZE_MAX)
			continue;
		s->on[o] = 1;
		m = topo_master(t, o);
		if (m >= 0)
			s->on[m] = 1;
	}
}

void graph_sel_all(struct graph_sel *s, const struct topo *t)
{
	sel_alloc(s, t);
	for (size_t ns = 0; ns < t->nns; ns++)	/* sel_ns() of each, in one pass */
		s->whole[ns] = 1;
	for (size_t i = 0; i < t->nifs; i++)
		s->on[i] = !iface_is_loopback(&t->ifs[i]);
}

/*
 * One target and its neighbours (ifc -1: namespace ns).
 *   bridge:    the bridge, its ports, and the namespaces at the other end of the ports'
 *              veths (whole, unless that is the host);
 *   namespace: the namespace whole, its veth peers with their bridges, the other ends of
 *              its lower links;
 *   other interface: it, its edges' other ends, and a veth peer's namespace whole.
 */
void graph_sel_focus(struct graph_sel *s, const struct topo *t, long ns, long ifc,
		     const char *what)
{
	sel_alloc(s, t);
	copy_str(s->focus, sizeof(s->focus), what);
	if (ifc >= 0 && !strcmp(t->ifs[ifc].kind, "bridge")) {
		s->on[ifc] = 1;
		for (size_t e = 0; e < t->nedges; e++) {
			const struct edge *g = &t->edges[e];
			long p;

			if (g->type != EDGE_BRIDGE || g->b != (size_t)ifc)
				continue;
			s->on[g->a] = 1;
			p = t->ifs[g->a].peer;
			if (p < 0)
				continue;
			s->on[p] = 1;
			if (!t->ns[t->ifs[p].ns].is_host)
				sel_ns(s, t, t->ifs[p].ns);
		}
	} else if (ifc >= 0) {
		s->on[ifc] = 1;
		sel_neighbours(s, t, (size_t)ifc, 1);
	} else if (ns >= 0 && (size_t)ns < t->nns) {
		sel_ns(s, t, (size_t)ns);
		for (size_t i = 0; i < t->nifs; i++)
			if (t->ifs[i].ns == (size_t)ns)
				sel_neighbours(s, t, i, 0);
	}
}

void graph_sel_release(struct graph_sel *s)
{
	free(s->on);
	free(s->whole);
	s->on = s->whole = NULL;
}

/* ---- order: namespaces by their uplink, interfaces by bridge ------------------------- */



static size_t ns_of(const struct plan *p, size_t i)
{
	return p->t->ifs[i].ns;
}

/* Hops from the host over veth and lower edges (Bellman-Ford: the graphs are shallow). */
static void plan_depth(struct plan *p)
{
	const struct topo *t = p->t;
	int changed = 1;

	for (size_t ns = 0; ns < t->nns; ns++)
		p->depth[ns] = t->ns[ns].is_host ? 0 : UINT_MAX;
	for (size_t round = 0; changed && round < t->nns; round++) {
		changed = 0;
		for (size_t e = 0; e < t->nedges; e++) {
			const struct edge *g = &t->edges[e];
			size_t a = ns_of(p, g->a), b = ns_of(p, g->b);

			if (g->type != EDGE_VETH && g->type != EDGE_LOWER)
				continue;
			if (p->depth[a] != UINT_MAX && p->depth[a] + 1 < p->depth[b]) {
				p->depth[b] = p->depth[a] + 1;
				changed = 1;
			}
			if (p->depth[b] != UINT_MAX && p->depth[b] + 1 < p->depth[a]) {
				p->depth[a] = p->depth[b] + 1;
				changed = 1;
			}
		}
	}
}

/* The uplink of each namespace: its upstream veth end's bridge, or its lower device. */
static void plan_uplinks(struct plan *p)
{
	const struct topo *t = p->t;

	for (size_t ns = 0; ns < t->nns; ns++)
		p->uplink[ns] = p->upif[ns] = -1;
	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *g = &t->edges[e];
		size_t a = ns_of(p, g->a), b = ns_of(p, g->b);

		if (g->type == EDGE_LOWER) {
			if (a != b && p->uplink[a] < 0)
				p->uplink[a] = (long)g->b;
		} else if (g->type == EDGE_VETH && p->depth[a] != p->depth[b]) {
			size_t up = p->depth[a] < p->depth[b] ? g->a : g->b;
			size_t down = up == g->a ? b : a;
			long m = topo_master(t, up);

			if (m >= 0 && p->uplink[down] < 0)
				p->uplink[down] = m;
			if (p->upif[down] < 0)
				p->upif[down] = (long)(up == g->a ? g->b : g->a);
		}
	}
}

static int cmp_ns(const void *x, const void *y, void *ctx)
{
	const struct plan *p = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	long ua = p->uplink[a] < 0 ? LONG_MAX : p->uplink[a];
	long ub = p->uplink[b] < 0 ? LONG_MAX : p->uplink[b];
	int c;

	if (p->t->ns[a].is_host != p->t->ns[b].is_host)
		return p->t->ns[a].is_host ? -1 : 1;
	if (ua != ub)
		return ua < ub ? -1 : 1;
	if (p->depth[a] != p->depth[b])
		return p->depth[a] < p->depth[b] ? -1 : 1;
	c = strcmp(p->label[a], p->label[b]);
	if (c)
		return c;
	return a < b ? -1 : a > b;
}

/*
 * Interfaces within a cluster: each bridge followed by its uplinks and then its ports in
 * the order of the clusters they lead to; unattached interfaces last.
 */
static void iface_key(const struct plan *p, size_t i, size_t key[3])
{
	const struct topo *t = p->t;
	const struct iface *x = &t->ifs[i];
	long m = topo_master(t, i);

	if (!strcmp(x->kind, "bridge") || m < 0) {
		key[0] = m < 0 && strcmp(x->kind, "bridge") ? t->nifs + i : i;
		key[1] = 0;
		key[2] = 0;
		return;
	}
	key[0] = (size_t)m;
	key[1] = x->peer < 0 ? 1 : 2;
	key[2] = x->peer < 0 ? i : p->pos[t->ifs[x->peer].ns];
}

int plan_cmp_iface(const void *x, const void *y, void *ctx)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y, ka[3], kb[3];

	iface_key(ctx, a, ka);
	iface_key(ctx, b, kb);
	for (int k = 0; k < 3; k++)
		if (ka[k] != kb[k])
			return ka[k] < kb[k] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/*
 * Each namespace's node: the namespace of the container a nested engine's container
 * names as its node ("engine:name", a node of its own having none), or its "pid:N".
 * One level only: a node inside a node is drawn beside it.
 */
static void plan_nodes(struct plan *p)
{
	const struct topo *t = p->t;

	for (size_t ns = 0; ns < t->nns; ns++) {
		p->parent[ns] = -1;
		p->nodekey[ns] = NULL;
	}
	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];
		long at = -1;

		if (!*c->node || c->ns < 0 || p->parent[c->ns] >= 0 || p->nodekey[c->ns])
			continue;
		for (size_t j = 0; j < t->nctrs && at < 0; j++) {
			const struct container *d = &t->ctrs[j];
			size_t ne = strlen(d->engine);

			if (d->verified && !*d->node && d->ns >= 0 && d->ns != c->ns &&
			    !t->ns[d->ns].is_host && !strncmp(c->node, d->engine, ne) &&
			    c->node[ne] == ':' && !strcmp(c->node + ne + 1, d->name))
				at = d->ns;
		}
		if (at >= 0)
			p->parent[c->ns] = at;
		else if (!strncmp(c->node, "pid:", 4))
			p->nodekey[c->ns] = c->node;
	}
	for (size_t ns = 0; ns < t->nns; ns++)
		if (p->parent[ns] >= 0 && (p->parent[p->parent[ns]] >= 0 || p->nodekey[p->parent[ns]]))
			p->parent[ns] = -1;
}

void plan_init(struct plan *p, const struct topo *t, const struct graph_sel *s)
{
	size_t n = t->nns ? t->nns : 1;

	p->t = t;
	p->s = s;
	p->g = NULL;
	p->depth = xcalloc(n, sizeof(*p->depth));
	p->uplink = xcalloc(n, sizeof(*p->uplink));
	p->upif = xcalloc(n, sizeof(*p->upif));
	p->edge_of = xcalloc(t->nifs ? t->nifs : 1, sizeof(*p->edge_of));
	p->label = xcalloc(n, sizeof(*p->label));
	p->labbuf = xcalloc(n, sizeof(*p->labbuf));
	p->order = xcalloc(n, sizeof(*p->order));
	p->pos = xcalloc(n, sizeof(*p->pos));
	p->drawn = xcalloc(n, sizeof(*p->drawn));
	topo_ns_labels(t, p->label, p->labbuf);
	p->ctr = xcalloc(n, sizeof(*p->ctr));
	topo_ns_containers(t, p->ctr);
	p->first = xcalloc(n + 1, sizeof(*p->first));
	p->by_ns = xcalloc(t->nifs ? t->nifs : 1, sizeof(*p->by_ns));
	for (size_t i = 0; i < t->nifs; i++)	/* a counting sort: one pass, stable */
		p->first[t->ifs[i].ns + 1]++;
	for (size_t ns = 0; ns < t->nns; ns++)
		p->first[ns + 1] += p->first[ns];
	{
		size_t *at = xcalloc(n, sizeof(*at));

		for (size_t i = 0; i < t->nifs; i++)
			p->by_ns[p->first[t->ifs[i].ns] + at[t->ifs[i].ns]++] = i;
		free(at);
	}
	for (size_t ns = 0; ns < t->nns; ns++)
		p->order[ns] = ns;
	for (size_t i = 0; i < t->nifs; i++)
		p->drawn[t->ifs[i].ns] += s->on[i];
	topo_edge_ids(t, p->edge_of);	/* as 'vethmap show' numbers them */
	p->parent = xcalloc(n, sizeof(*p->parent));
	p->nodekey = xcalloc(n, sizeof(*p->nodekey));
	plan_nodes(p);
	plan_depth(p);
	plan_uplinks(p);
	qsort_r(p->order, t->nns, sizeof(*p->order), cmp_ns, p);
	for (size_t k = 0; k < t->nns; k++)
		p->pos[p->order[k]] = k;
}

void plan_release(struct plan *p)
{
	free(p->depth);
	free(p->uplink);
	free(p->upif);
	free(p->edge_of);
	free(p->label);
	free(p->labbuf);
	free(p->order);
	free(p->pos);
	free(p->drawn);
	free(p->by_ns);
	free(p->first);
	free(p->ctr);
	free(p->parent);
	free(p->nodekey);
}

/* ---- alike namespaces, drawn as one node ------------------------------------------------ */



/*
 * The one interface (besides lo) of namespace ns if ns may be drawn as one of a group,
 * else -1: a veth with no other edge, its peer a host veth whose only other edge makes
 * it a port of a host bridge; no container, no unresolved end, no hairpin, no failed
 * dump, nothing chosen apart.  deg[i] counts the edges of interface i, bad[i] its
 * unresolved ends; ifs_of[ns] .. ifs_of[ns + 1] are its interfaces.
 */
static long alike_iface(const struct plan *p, size_t ns, const size_t *deg,
			const unsigned char *bad, const size_t *ifs_of, const unsigned char *ctr)
{
	const struct topo *t = p->t;
	long x = -1, y, m;

	if (t->ns[ns].is_host || t->ns[ns].dump_error || ctr[ns] || !p->s->whole[ns])
		return -1;
	for (size_t i = ifs_of[ns]; i < ifs_of[ns + 1]; i++) {
		if (bad[i] || !p->s->on[i] != !!iface_is_loopback(&t->ifs[i]))
			return -1;
		if (iface_is_loopback(&t->ifs[i])) {
			if (deg[i])
				return -1;
			continue;
		}
		if (x >= 0)
			return -1;
		x = (long)i;
	}
	if (x < 0 || strcmp(t->ifs[x].kind, "veth") || t->ifs[x].master || deg[x] != 1)
		return -1;
	y = t->ifs[x].peer;
	if (y < 0 || !t->ns[t->ifs[y].ns].is_host || strcmp(t->ifs[y].kind, "veth") ||
	    bad[y] || deg[y] != 2 || t->ifs[y].hairpin || !p->s->on[y])
		return -1;
	m = topo_master(t, (size_t)y);
	if (m < 0 || strcmp(t->ifs[m].kind, "bridge") || !p->s->on[m])
		return -1;
	for (size_t e = 0; e < t->nedges; e++)	/* (only reached for few: deg[y] is 2) */
		if (t->edges[e].a == (size_t)y && t->edges[e].b == (size_t)m)
			return t->edges[e].type == EDGE_BRIDGE ? x : -1;
	return -1;
}

/*
 * Find the groups of p's drawing and leave their members out of it: *mine becomes the
 * selection drawn one by one (p->s points to it from here on).  Deterministic: members
 * and groups follow p->order.
 */
void collapse_plan(struct plan *p, struct groups *g, struct graph_sel *mine)
{
	const struct topo *t = p->t;
	size_t nns = t->nns ? t->nns : 1, nifs = t->nifs ? t->nifs : 1;
	size_t *deg = xcalloc(nifs, sizeof(*deg));
	size_t *ifs_of = xcalloc(nns + 1, sizeof(*ifs_of));
	unsigned char *bad = xcalloc(nifs, 1), *ctr = xcalloc(nns, 1);
	size_t k = 0;

	g->of = xcalloc(nns, sizeof(*g->of));
	for (size_t e = 0; e < t->nedges; e++) {
		deg[t->edges[e].a]++;
		deg[t->edges[e].b]++;
	}
	for (size_t u = 0; u < t->nunres; u++)
		bad[t->unres[u].ifc] = 1;
	for (size_t c = 0; c < t->nctrs; c++)
		if (t->ctrs[c].ns >= 0 && (size_t)t->ctrs[c].ns < t->nns)
			ctr[t->ctrs[c].ns] = 1;
	for (size_t ns = 0; ns <= t->nns; ns++) {	/* interfaces are sorted by namespace */
		while (k < t->nifs && t->ifs[k].ns < ns)
			k++;
		ifs_of[ns] = k;
	}
	for (size_t i = 1; i < t->nifs; i++)
		if (t->ifs[i].ns < t->ifs[i - 1].ns)
			BUG("interfaces not sorted by namespace");
	for (size_t o = 0; o < t->nns; o++) {
		size_t ns = p->order[o], j;
		long x = alike_iface(p, ns, deg, bad, ifs_of, ctr), y;
		struct group *gr;

		if (x < 0)
			continue;
		y = t->ifs[x].peer;
		g->host = t->ifs[y].ns;
		for (j = 0; j < g->n; j++) {
			gr = &g->v[j];
			if (gr->bridge == (size_t)topo_master(t, (size_t)y) &&
			    gr->up_in == iface_up(&t->ifs[x]) && gr->up_host == iface_up(&t->ifs[y]))
				break;
		}
		if (j == g->n) {
			g->v = grow(g->v, &g->alloc, g->n + 1, sizeof(*g->v));
			gr = &g->v[g->n++];
			memset(gr, 0, sizeof(*gr));
			gr->bridge = (size_t)topo_master(t, (size_t)y);
			gr->up_in = iface_up(&t->ifs[x]);
			gr->up_host = iface_up(&t->ifs[y]);
		}
		gr = &g->v[j];
		gr->ifc = grow(gr->ifc, &gr->alloc, gr->n + 1, sizeof(*gr->ifc));
		gr->ifc[gr->n++] = (size_t)x;
	}
	/* groups too small are drawn as they are */
	k = 0;
	for (size_t j = 0; j < g->n; j++) {
		if (g->v[j].n < COLLAPSE_MIN) {
			free(g->v[j].ifc);
			continue;
		}
		g->v[k++] = g->v[j];
	}
	g->n = k;
	mine->on = xmalloc(nifs);
	mine->whole = xmalloc(nns);
	memcpy(mine->on, p->s->on, t->nifs);
	memcpy(mine->whole, p->s->whole, t->nns);
	copy_str(mine->focus, sizeof(mine->focus), p->s->focus);
	mine->expand = p->s->expand;
	for (size_t j = 0; j < g->n; j++)
		for (size_t m = 0; m < g->v[j].n; m++) {
			size_t x = g->v[j].ifc[m], ns = t->ifs[x].ns;

			g->of[ns] = j + 1;
			mine->whole[ns] = 0;
			for (size_t i = ifs_of[ns]; i < ifs_of[ns + 1]; i++)
				mine->on[i] = 0;
			mine->on[t->ifs[x].peer] = 0;
			p->drawn[ns] = 0;
		}
	p->s = mine;
	p->g = g;
	free(deg);
	free(ifs_of);
	free(bad);
	free(ctr);
}

void groups_release(struct groups *g, struct graph_sel *mine)
{
	for (size_t j = 0; j < g->n; j++)
		free(g->v[j].ifc);
	free(g->v);
	free(g->of);
	graph_sel_release(mine);
}
