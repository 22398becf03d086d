/*
 * diff.c implements the comparison of two snapshots, for 'vethmap diff' and the report.
 *
 * Inodes and ifindexes change when things are recreated, so objects are matched by stable
 * names.  Namespaces are matched in tiers, each over what is still unmatched: the host's
 * namespace with the host's; then namespaces sharing a container (engine, pod, name), so
 * a container that restarted in a new namespace keeps its namespace object; then
 * namespaces sharing a bind-mount name of the host's mount namespace (a name seen only in
 * another mount namespace, "pid P:PATH", is no identity); last, the others by inode (so
 * those can only appear or vanish).  Interfaces are matched by (matched namespace, name),
 * edges by type and matched ends (a veth's ends in either order), containers by (engine,
 * pod namespace, pod, name).
 *
 * Every object's changes are listed under that object: a restarted container gives one
 * "~ container ... restarted" line naming its new namespace inode and host-side veth,
 * while the new veth, its edges and the namespace's new bind-mount names also appear as
 * their own lines.  A namespace's inode change is told by the restart line when its
 * containers name it, else by the namespace's own line.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

/* an object's name: a namespace label (a bind-mount path at most) and an interface */
#define OBJ_MAX (PATH_MAX + 128)

/* One snapshot's side of the comparison: what matches what, and display labels. */
struct side {
	const struct topo *t;
	long host;		/* index of the host namespace, -1 = none */
	long *ns_match;		/* per namespace: the matched namespace on the other side, -1 */
	long *if_match;		/* per interface */
	long *ctr_match;	/* per container */
	size_t *nctrs;		/* per namespace: containers living in it */
	unsigned char *by_ctr;	/* per namespace: matched through a shared container */
	char **label;		/* per namespace: "host", a container, a netns name, the inode */
	const char **engine;	/* per namespace: engine of the container in the label, or NULL */
};

static void side_init(struct side *s, const struct topo *t)
{
	const char **l = xcalloc(t->nns ? t->nns : 1, sizeof(*l));
	char (*buf)[32] = xcalloc(t->nns ? t->nns : 1, sizeof(*buf));

	s->t = t;
	s->host = -1;
	s->ns_match = xmalloc(t->nns * sizeof(*s->ns_match));
	s->if_match = xmalloc(t->nifs * sizeof(*s->if_match));
	s->ctr_match = xmalloc(t->nctrs * sizeof(*s->ctr_match));
	s->nctrs = xcalloc(t->nns ? t->nns : 1, sizeof(*s->nctrs));
	s->label = xmalloc(t->nns * sizeof(*s->label));
	s->engine = xcalloc(t->nns ? t->nns : 1, sizeof(*s->engine));
	s->by_ctr = xcalloc(t->nns ? t->nns : 1, sizeof(*s->by_ctr));
	for (size_t i = 0; i < t->nifs; i++)
		s->if_match[i] = -1;
	for (size_t i = 0; i < t->nctrs; i++) {
		s->ctr_match[i] = -1;
		if (t->ctrs[i].ns >= 0 && (size_t)t->ctrs[i].ns < t->nns)
			s->nctrs[t->ctrs[i].ns]++;
	}
	topo_ns_labels(t, l, buf);	/* (one pass over the containers, not one per namespace) */
	for (size_t k = 0; k < t->nctrs; k++) {
		long i = t->ctrs[k].ns;

		if (i >= 0 && (size_t)i < t->nns && !t->ns[i].is_host && t->ctrs[k].name == l[i])
			s->engine[i] = t->ctrs[k].engine;
	}
	for (size_t i = 0; i < t->nns; i++) {
		s->ns_match[i] = -1;
		if (t->ns[i].is_host && s->host < 0)
			s->host = (long)i;
		s->label[i] = xstrdup(l[i]);
	}
	free(l);
	free(buf);
}

static void side_release(struct side *s)
{
	for (size_t i = 0; i < s->t->nns; i++)
		free(s->label[i]);
	free(s->label);
	free(s->engine);
	free(s->by_ctr);
	free(s->nctrs);
	free(s->ctr_match);
	free(s->if_match);
	free(s->ns_match);
}

static struct change *add(struct changes *out, char op, const char *kind, long a, long b,
			  const char *object, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* One change of object (a: its index in the old snapshot, b: in the new, -1 = none). */
static struct change *add(struct changes *out, char op, const char *kind, long a, long b,
			  const char *object, const char *fmt, ...)
{
	struct change *c;
	va_list ap;

	out->v = grow(out->v, &out->alloc, out->n + 1, sizeof(*out->v));
	c = &out->v[out->n++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	copy_str(c->kind, sizeof(c->kind), kind);
	c->a = a;
	c->b = b;
	c->object = xstrdup(object);
	va_start(ap, fmt);
	if (vasprintf(&c->detail, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return c;
}

static void set_field(struct change *c, const char *field, const char *before,
		      const char *after)
{
	c->field = field;
	c->before = xstrdup(before);
	c->after = xstrdup(after);
}

/* A '~' of one field: "FIELD BEFORE -> AFTER", the field kept apart too. */
static void add_field(struct changes *out, const char *kind, long a, long b, const char *object,
		      const char *field, const char *before, const char *after)
{
	set_field(add(out, '~', kind, a, b, object, "%s %s -> %s", field, before, after), field,
		  before, after);
}

/* ---- display names ---------------------------------------------------------------- */

static const char *ns_obj(const struct side *s, size_t ns, char *buf, size_t size)
{
	if (s->engine[ns])
		snprintf(buf, size, "%s (%s)", s->label[ns], s->engine[ns]);
	else
		snprintf(buf, size, "%s", s->label[ns]);
	return buf;
}

static const char *if_obj(const struct side *s, size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", s->label[s->t->ifs[i].ns], s->t->ifs[i].name);
	return buf;
}

/* A veth's host end first, else the ends in text order; other edges port -> parent. */
static const char *edge_obj(const struct side *s, const struct edge *e, char *buf,
			    size_t size)
{
	char x[OBJ_MAX], y[OBJ_MAX];

	if_obj(s, e->a, x, sizeof(x));
	if_obj(s, e->b, y, sizeof(y));
	if (e->type == EDGE_VETH) {
		int ha = (long)s->t->ifs[e->a].ns == s->host;
		int hb = (long)s->t->ifs[e->b].ns == s->host;
		int swap = ha != hb ? hb : strcmp(x, y) > 0;

		snprintf(buf, size, "veth %s <-> %s", swap ? y : x, swap ? x : y);
	} else {
		snprintf(buf, size, "%s %s -> %s", edge_type_names[e->type], x, y);
	}
	return buf;
}

static const char *ctr_name(const struct container *c)
{
	return *c->name ? c->name : c->id;
}

static const char *ctr_obj(const struct container *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s (%s)", c->pod_ns, *c->pod_ns ? "/" : "", c->pod,
		 *c->pod ? "/" : "", ctr_name(c), c->engine);
	return buf;
}

static int cmp_str_ptr(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* The strings v[0..n) sorted and joined by ",", "none" when empty, "..." when cut. */
static const char *join_set(char *buf, size_t size, const char **v, size_t n)
{
	size_t len = 0;

	sort_n(v, n, sizeof(*v), cmp_str_ptr);
	snprintf(buf, size, "%s", n ? "" : "none");
	for (size_t i = 0; i < n; i++) {
		size_t need = strlen(v[i]) + (i > 0);

		if (len + need + 4 > size) {
			snprintf(buf + len, size - len, "...");
			break;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", v[i]);
	}
	return buf;
}

static const char *addr_set(const struct iface *f, char *buf, size_t size)
{
	const char **v = xmalloc((f->naddrs ? f->naddrs : 1) * sizeof(*v));

	for (size_t i = 0; i < f->naddrs; i++)
		v[i] = f->addrs[i].text;
	join_set(buf, size, v, f->naddrs);
	free(v);
	return buf;
}

static const char *name_set(const struct netns *n, char *buf, size_t size)
{
	const char **v = xmalloc((n->names.n ? n->names.n : 1) * sizeof(*v));

	for (size_t i = 0; i < n->names.n; i++)
		v[i] = n->names.v[i];
	join_set(buf, size, v, n->names.n);
	free(v);
	return buf;
}

/*
 * A name's identity for comparing: a host path is itself; "pid P:PATH" is (the mount
 * namespace, PATH) when the mount that made it knows its mount namespace, since P is only
 * some process of that mount namespace and changes as processes come and go.
 */
static char *name_key(const struct netns *n, const char *name)
{
	char *k;

	if (!ns_name_is_host(name))
		for (size_t i = 0; i < n->nmounts; i++) {
			const struct nsmount *m = &n->mounts[i];
			char *made;
			int same;

			if (m->host || !m->mntns)
				continue;
			made = ns_name_make(m->path, 0, m->pid);
			same = !strcmp(made, name);
			free(made);
			if (same) {
				if (asprintf(&k, "mntns %llu:%s", (unsigned long long)m->mntns,
					     m->path) < 0)
					die("out of memory");
				return k;
			}
		}
	return xstrdup(name);
}

/* Do two namespaces have the same names, each "pid P:PATH" taken as its mount's identity? */
static int names_same(const struct netns *a, const struct netns *b)
{
	char **ka, **kb;
	int same = a->names.n == b->names.n;

	if (!same)
		return 0;
	ka = xmalloc((a->names.n ? a->names.n : 1) * sizeof(*ka));
	kb = xmalloc((b->names.n ? b->names.n : 1) * sizeof(*kb));
	for (size_t i = 0; i < a->names.n; i++) {
		ka[i] = name_key(a, a->names.v[i]);
		kb[i] = name_key(b, b->names.v[i]);
	}
	sort_n(ka, a->names.n, sizeof(*ka), cmp_str_ptr);
	sort_n(kb, b->names.n, sizeof(*kb), cmp_str_ptr);
	for (size_t i = 0; i < a->names.n; i++) {
		same = same && !strcmp(ka[i], kb[i]);
		free(ka[i]);
		free(kb[i]);
	}
	free(ka);
	free(kb);
	return same;
}

static const char *master_name(const struct topo *t, const struct iface *f, char *buf,
			       size_t size)
{
	long m;

	if (!f->master)
		return "none";
	m = topo_find_iface(t, f->ns, f->master);
	if (m >= 0)
		return t->ifs[m].name;
	snprintf(buf, size, "ifindex %d", f->master);
	return buf;
}

/* The far ends of the veths leaving namespace ns (its host-side veths), or "none". */
static const char *outside_veths(const struct side *s, long ns, char *buf, size_t size)
{
	const struct topo *t = s->t;
	struct strv ends = { 0 };
	const char **v;
	char obj[2 * OBJ_MAX + 32];

	for (size_t i = 0; i < t->nedges && ns >= 0; i++) {
		const struct edge *e = &t->edges[i];
		int ina = (long)t->ifs[e->a].ns == ns, inb = (long)t->ifs[e->b].ns == ns;

		if (e->type != EDGE_VETH || ina == inb)
			continue;
		strv_add(&ends, if_obj(s, ina ? e->b : e->a, obj, sizeof(obj)));
	}
	v = xmalloc((ends.n ? ends.n : 1) * sizeof(*v));
	for (size_t i = 0; i < ends.n; i++)
		v[i] = ends.v[i];
	join_set(buf, size, v, ends.n);
	free(v);
	strv_release(&ends);
	return buf;
}

/* ---- matching --------------------------------------------------------------------- */

static void pair_ns(struct side *a, struct side *b, size_t x, size_t y)
{
	a->ns_match[x] = (long)y;
	b->ns_match[y] = (long)x;
}

static int ns_free(const struct side *s, long ns)
{
	return ns >= 0 && (size_t)ns < s->t->nns && ns != s->host && s->ns_match[ns] < 0;
}

/* A container's identity across snapshots: engine, node, owner, pod, name. */
static int cmp_ctr_key(const struct container *x, const struct container *y)
{
	int r = strcmp(x->engine, y->engine);

	if (!r)
		r = strcmp(x->node, y->node);
	if (!r)
		r = (x->owner_uid > y->owner_uid) - (x->owner_uid < y->owner_uid);
	if (!r)
		r = strcmp(x->pod_ns, y->pod_ns);
	if (!r)
		r = strcmp(x->pod, y->pod);
	if (!r)
		r = strcmp(ctr_name(x), ctr_name(y));
	return r;
}

static int cmp_ctr_index(const void *pa, const void *pb, void *ctx)
{
	const struct topo *t = ctx;
	const struct container *x = &t->ctrs[*(const size_t *)pa];
	const struct container *y = &t->ctrs[*(const size_t *)pb];
	int r = cmp_ctr_key(x, y);

	return r ? r : strcmp(x->id, y->id);
}

static size_t *sorted_ctrs(const struct topo *t)
{
	return index_sorted(t->nctrs, cmp_ctr_index, t);
}

/* Containers by key; then namespaces sharing a container, sandboxes' first. */
static void match_containers(struct side *a, struct side *b)
{
	size_t *va = sorted_ctrs(a->t), *vb = sorted_ctrs(b->t);
	size_t i = 0, j = 0;

	while (i < a->t->nctrs && j < b->t->nctrs) {
		int r = cmp_ctr_key(&a->t->ctrs[va[i]], &b->t->ctrs[vb[j]]);

		if (r < 0) {
			i++;
		} else if (r > 0) {
			j++;
		} else {
			a->ctr_match[va[i]] = (long)vb[j];
			b->ctr_match[vb[j]] = (long)va[i];
			i++;
			j++;
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < a->t->nctrs; i++) {
			const struct container *x = &a->t->ctrs[va[i]];
			long m = a->ctr_match[va[i]];

			if (m < 0 || (pass == 0 && !x->sandbox))
				continue;
			if (!ns_free(a, x->ns) || !ns_free(b, b->t->ctrs[m].ns))
				continue;
			pair_ns(a, b, (size_t)x->ns, (size_t)b->t->ctrs[m].ns);
			a->by_ctr[x->ns] = b->by_ctr[b->t->ctrs[m].ns] = 1;
		}
	free(va);
	free(vb);
}

struct ns_name {
	const char *name;
	size_t ns;
};

static int cmp_ns_name(const void *pa, const void *pb)
{
	const struct ns_name *x = pa, *y = pb;
	int r = strcmp(x->name, y->name);

	return r ? r : (x->ns > y->ns) - (x->ns < y->ns);
}

static struct ns_name *free_names(const struct side *s, size_t *n)
{
	const struct topo *t = s->t;
	struct ns_name *v = NULL;
	size_t alloc = 0;

	*n = 0;
	for (size_t i = 0; i < t->nns; i++)
		for (size_t k = 0; k < t->ns[i].names.n && ns_free(s, (long)i); k++) {
			if (!ns_name_is_host(t->ns[i].names.v[k]))
				continue;	/* seen in another mount namespace: no identity */
			v = grow(v, &alloc, *n + 1, sizeof(*v));
			v[*n].name = t->ns[i].names.v[k];
			v[(*n)++].ns = i;
		}
	sort_n(v, *n, sizeof(*v), cmp_ns_name);
	return v;
}

/* Still unmatched namespaces sharing a bind-mount name. */
static void match_names(struct side *a, struct side *b)
{
	size_t na, nb, i = 0, j = 0;
	struct ns_name *va = free_names(a, &na), *vb = free_names(b, &nb);

	while (i < na && j < nb) {
		int r = strcmp(va[i].name, vb[j].name);

		if (r < 0) {
			i++;
		} else if (r > 0) {
			j++;
		} else {
			if (ns_free(a, (long)va[i].ns) && ns_free(b, (long)vb[j].ns))
				pair_ns(a, b, va[i].ns, vb[j].ns);
			i++;
			j++;
		}
	}
	free(va);
	free(vb);
}

static size_t host_names(const struct netns *n)
{
	size_t c = 0;

	for (size_t k = 0; k < n->names.n; k++)
		c += (size_t)ns_name_is_host(n->names.v[k]);
	return c;
}

/* Namespaces with neither containers nor host names: the same only when the inode is. */
static void match_inodes(struct side *a, struct side *b)
{
	for (size_t i = 0; i < a->t->nns; i++) {
		long y;

		if (!ns_free(a, (long)i) || a->nctrs[i] || host_names(&a->t->ns[i]))
			continue;
		y = topo_find_ns(b->t, 0, a->t->ns[i].ino);
		if (ns_free(b, y) && !b->nctrs[y] && !host_names(&b->t->ns[y]))
			pair_ns(a, b, i, (size_t)y);
	}
}

static int cmp_if_name(const void *pa, const void *pb, void *ctx)
{
	const struct topo *t = ctx;
	const struct iface *x = &t->ifs[*(const size_t *)pa];
	const struct iface *y = &t->ifs[*(const size_t *)pb];

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Interfaces of matched namespaces by name. */
static void match_ifaces(struct side *a, struct side *b)
{
	const struct topo *tb = b->t;
	size_t *vb = index_sorted(tb->nifs, cmp_if_name, tb);

	for (size_t i = 0; i < a->t->nifs; i++) {
		const struct iface *x = &a->t->ifs[i];
		long ns = a->ns_match[x->ns];
		size_t lo = 0, hi = tb->nifs;

		if (ns < 0)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct iface *m = &tb->ifs[vb[mid]];

			if (m->ns < (size_t)ns || (m->ns == (size_t)ns && strcmp(m->name, x->name) < 0))
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < tb->nifs && tb->ifs[vb[lo]].ns == (size_t)ns &&
		       !strcmp(tb->ifs[vb[lo]].name, x->name); lo++)
			if (b->if_match[vb[lo]] < 0) {
				a->if_match[i] = (long)vb[lo];
				b->if_match[vb[lo]] = (long)i;
				break;
			}
	}
	free(vb);
}

/* ---- comparing -------------------------------------------------------------------- */

static void diff_netns(const struct side *a, const struct side *b, struct changes *out)
{
	char obj[OBJ_MAX], x[OBJ_MAX], y[OBJ_MAX];

	for (size_t i = 0; i < a->t->nns; i++)
		if (a->ns_match[i] < 0)
			add(out, '-', "netns", (long)i, -1, ns_obj(a, i, obj, sizeof(obj)), "inode %llu",
			    (unsigned long long)a->t->ns[i].ino);
	for (size_t j = 0; j < b->t->nns; j++) {
		const struct netns *n = &b->t->ns[j], *o;
		long oi;

		if (b->ns_match[j] < 0) {
			add(out, '+', "netns", -1, (long)j, ns_obj(b, j, obj, sizeof(obj)),
			    "inode %llu%s%s",
			    (unsigned long long)n->ino, n->dump_error ? ", dump failed: " : "",
			    n->dump_error ? strerror(n->dump_error) : "");
			continue;
		}
		oi = b->ns_match[j];
		o = &a->t->ns[oi];
		ns_obj(b, j, obj, sizeof(obj));
		if (o->is_host != n->is_host)
			add_field(out, "netns", oi, (long)j, obj, "host", o->is_host ? "yes" : "no",
				  n->is_host ? "yes" : "no");
		if (o->ino != n->ino && !b->by_ctr[j]) {
			snprintf(x, sizeof(x), "%llu", (unsigned long long)o->ino);
			snprintf(y, sizeof(y), "%llu", (unsigned long long)n->ino);
			add_field(out, "netns", oi, (long)j, obj, "inode", x, y);
		}
		name_set(o, x, sizeof(x));
		name_set(n, y, sizeof(y));
		if (strcmp(x, y) && !names_same(o, n))
			add_field(out, "netns", oi, (long)j, obj, "names", x, y);
		if (o->dump_error != n->dump_error)
			add_field(out, "netns", oi, (long)j, obj, "dump",
				  o->dump_error ? strerror(o->dump_error) : "ok",
				  n->dump_error ? strerror(n->dump_error) : "ok");
	}
}

static unsigned long long ctr_ino(const struct topo *t, const struct container *c)
{
	return c->ns >= 0 && (size_t)c->ns < t->nns ? (unsigned long long)t->ns[c->ns].ino : 0;
}

static void diff_containers(const struct side *a, const struct side *b, struct changes *out)
{
	char obj[OBJ_MAX], ns[OBJ_MAX], x[120], y[120], d[64];

	for (size_t i = 0; i < a->t->nctrs; i++) {
		const struct container *c = &a->t->ctrs[i];

		if (a->ctr_match[i] < 0)
			add(out, '-', "container", (long)i, -1, ctr_obj(c, obj, sizeof(obj)),
			    "id %.12s, netns %s", c->id, c->ns >= 0 ? ns_obj(a, (size_t)c->ns, ns, sizeof(ns)) : "unknown");
	}
	for (size_t j = 0; j < b->t->nctrs; j++) {
		const struct container *c = &b->t->ctrs[j], *o;
		unsigned long long io, in;
		const char *field;
		char fb[sizeof(c->id)], fa[sizeof(c->id)];
		struct change *ch;

		ctr_obj(c, obj, sizeof(obj));
		if (b->ctr_match[j] < 0) {
			add(out, '+', "container", -1, (long)j, obj, "id %.12s, netns %s", c->id,
			    c->ns >= 0 ? ns_obj(b, (size_t)c->ns, ns, sizeof(ns)) : "unknown");
			continue;
		}
		o = &a->t->ctrs[b->ctr_match[j]];
		io = ctr_ino(a->t, o);
		in = ctr_ino(b->t, c);
		if (!strcmp(o->id, c->id) && (io == in || !io || !in))
			continue;
		if (io == in || !io || !in) {
			snprintf(d, sizeof(d), "id %.12s -> %.12s", o->id, c->id);
			field = "id";
			snprintf(fb, sizeof(fb), "%s", o->id);
			snprintf(fa, sizeof(fa), "%s", c->id);
		} else {
			snprintf(d, sizeof(d), "netns %llu -> %llu", io, in);
			field = "netns";
			snprintf(fb, sizeof(fb), "%llu", io);
			snprintf(fa, sizeof(fa), "%llu", in);
		}
		outside_veths(a, o->ns, x, sizeof(x));
		outside_veths(b, c->ns, y, sizeof(y));
		if (strcmp(x, y))
			ch = add(out, '~', "container", b->ctr_match[j], (long)j, obj,
				 "restarted: %s, veth %s -> %s", d, x, y);
		else
			ch = add(out, '~', "container", b->ctr_match[j], (long)j, obj,
				 "restarted: %s", d);
		set_field(ch, field, fb, fa);
	}
}

/* A tunnel device's endpoints as one line ("id 42 local 10.0.0.1 remote 10.0.0.2 port 4789"). */
static const char *tunnel_text(const struct tunnel *u, char *out, size_t size)
{
	char id[32] = "", okey[32] = "", port[24] = "";

	if (!u->set) {
		copy_str(out, size, "none");
		return out;
	}
	if (u->id >= 0)
		snprintf(id, sizeof(id), "id %lld ", u->id);
	if (u->okey >= 0)
		snprintf(okey, sizeof(okey), "okey %lld ", u->okey);
	if (u->port)
		snprintf(port, sizeof(port), " port %u", u->port);
	snprintf(out, size, "%s%slocal %s remote %s%s%s%s", id, okey, *u->local ? u->local : "any",
		 *u->remote ? u->remote : "any", port, u->fdb ? " fdb " : "", u->fdb ? u->fdb : "");
	return out;
}

static void diff_iface(const struct side *a, const struct side *b, size_t i, size_t j,
		       struct changes *out)
{
	const struct iface *o = &a->t->ifs[i], *n = &b->t->ifs[j];
	char obj[2 * OBJ_MAX + 32], x[OBJ_MAX], y[OBJ_MAX];
	const char *mx, *my;

	if_obj(b, j, obj, sizeof(obj));
	if (strcmp(o->kind, n->kind))
		add_field(out, "interface", (long)i, (long)j, obj, "kind", o->kind, n->kind);
	if (o->mtu != n->mtu) {
		snprintf(x, sizeof(x), "%u", o->mtu);
		snprintf(y, sizeof(y), "%u", n->mtu);
		add_field(out, "interface", (long)i, (long)j, obj, "mtu", x, y);
	}
	if (iface_up(o) != iface_up(n))
		add_field(out, "interface", (long)i, (long)j, obj, "admin",
			  iface_up(o) ? "up" : "down", iface_up(n) ? "up" : "down");
	if (strcmp(o->oper, n->oper))
		add_field(out, "interface", (long)i, (long)j, obj, "oper",
			  *o->oper ? o->oper : "none", *n->oper ? n->oper : "none");
	mx = master_name(a->t, o, x, sizeof(x));
	my = master_name(b->t, n, y, sizeof(y));
	if (strcmp(mx, my))
		add_field(out, "interface", (long)i, (long)j, obj, "master", mx, my);
	if (strcmp(o->mac, n->mac))
		add_field(out, "interface", (long)i, (long)j, obj, "mac", *o->mac ? o->mac : "none",
			  *n->mac ? n->mac : "none");
	addr_set(o, x, sizeof(x));
	addr_set(n, y, sizeof(y));
	if (strcmp(x, y))
		add_field(out, "interface", (long)i, (long)j, obj, "addrs", x, y);
	tunnel_text(&o->tun, x, sizeof(x));
	tunnel_text(&n->tun, y, sizeof(y));
	if (strcmp(x, y))
		add_field(out, "interface", (long)i, (long)j, obj, "tunnel", x, y);
}

static void iface_added(const struct side *s, size_t i, char op, struct changes *out)
{
	const struct iface *f = &s->t->ifs[i];
	char obj[2 * OBJ_MAX + 32], m[OBJ_MAX], ad[OBJ_MAX];
	const char *master = master_name(s->t, f, m, sizeof(m));

	add(out, op, "interface", op == '-' ? (long)i : -1, op == '-' ? -1 : (long)i,
	    if_obj(s, i, obj, sizeof(obj)), "%s, mtu %u%s%s%s%s",
	    *f->kind ? f->kind : "unknown kind", f->mtu, f->master ? ", master " : "",
	    f->master ? master : "", f->naddrs ? ", addrs " : "",
	    f->naddrs ? addr_set(f, ad, sizeof(ad)) : "");
}

static void diff_ifaces(const struct side *a, const struct side *b, struct changes *out)
{
	for (size_t i = 0; i < a->t->nifs; i++)
		if (a->if_match[i] < 0)
			iface_added(a, i, '-', out);
	for (size_t j = 0; j < b->t->nifs; j++) {
		if (b->if_match[j] < 0)
			iface_added(b, j, '+', out);
		else
			diff_iface(a, b, (size_t)b->if_match[j], j, out);
	}
}

/* An edge in the interface indices of snapshot b; veth ends in index order. */
struct ekey {
	int type;
	long x, y;
	size_t edge;
};

static int cmp_ekey(const void *pa, const void *pb)
{
	const struct ekey *p = pa, *q = pb;

	if (p->type != q->type)
		return p->type < q->type ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return (p->y > q->y) - (p->y < q->y);
}

static struct ekey ekey_of(int type, long x, long y, size_t edge)
{
	struct ekey k = { type, x, y, edge };

	if (type == EDGE_VETH && y < x) {
		k.x = y;
		k.y = x;
	}
	return k;
}

static void diff_edges(const struct side *a, const struct side *b, struct changes *out)
{
	struct ekey *va = xmalloc((a->t->nedges ? a->t->nedges : 1) * sizeof(*va));
	struct ekey *vb = xmalloc((b->t->nedges ? b->t->nedges : 1) * sizeof(*vb));
	size_t na = 0, nb = b->t->nedges, i = 0, j = 0;
	char obj[2 * OBJ_MAX + 32];

	for (size_t e = 0; e < a->t->nedges; e++) {
		const struct edge *x = &a->t->edges[e];
		long ma = a->if_match[x->a], mb = a->if_match[x->b];

		if (ma < 0 || mb < 0)
			add(out, '-', "edge", (long)e, -1, edge_obj(a, x, obj, sizeof(obj)), "%s", "");
		else
			va[na++] = ekey_of((int)x->type, ma, mb, e);
	}
	for (size_t e = 0; e < nb; e++)
		vb[e] = ekey_of((int)b->t->edges[e].type, (long)b->t->edges[e].a,
				(long)b->t->edges[e].b, e);
	sort_n(va, na, sizeof(*va), cmp_ekey);
	sort_n(vb, nb, sizeof(*vb), cmp_ekey);
	while (i < na || j < nb) {
		int r = i == na ? 1 : j == nb ? -1 : cmp_ekey(&va[i], &vb[j]);

		if (r < 0) {
			size_t e = va[i++].edge;

			add(out, '-', "edge", (long)e, -1, edge_obj(a, &a->t->edges[e], obj, sizeof(obj)),
			    "%s", "");
		} else if (r > 0) {
			size_t e = vb[j++].edge;

			add(out, '+', "edge", -1, (long)e, edge_obj(b, &b->t->edges[e], obj, sizeof(obj)),
			    "%s", "");
		} else {
			i++;
			j++;
		}
	}
	free(va);
	free(vb);
}

static int kind_rank(const char *kind)
{
	static const char *const kinds[] = { "netns", "container", "interface", "edge" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(kind, kinds[i]))
			return i;
	return 4;
}

static int op_rank(char op)
{
	return op == '-' ? 0 : op == '+' ? 1 : 2;
}

static int cmp_change(const void *pa, const void *pb)
{
	const struct change *x = pa, *y = pb;
	int r = kind_rank(x->kind) - kind_rank(y->kind);

	if (!r)
		r = strcmp(x->object, y->object);
	if (!r)
		r = op_rank(x->op) - op_rank(y->op);
	if (!r)
		r = strcmp(x->detail, y->detail);
	return r;
}

/*
 * Fill out (emptied first; zero it before the first use) with what changed from a to b,
 * sorted by kind (netns, container, interface, edge), object, then op.  Both topologies
 * must be sorted as topo_sort() leaves them (loaded snapshots are).
 */
void diff_topos(const struct topo *a, const struct topo *b, struct changes *out)
{
	struct side sa, sb;

	out->n = 0;
	side_init(&sa, a);
	side_init(&sb, b);
	if (sa.host >= 0 && sb.host >= 0)
		pair_ns(&sa, &sb, (size_t)sa.host, (size_t)sb.host);
	match_containers(&sa, &sb);
	match_names(&sa, &sb);
	match_inodes(&sa, &sb);
	match_ifaces(&sa, &sb);

	diff_netns(&sa, &sb, out);
	diff_containers(&sa, &sb, out);
	diff_ifaces(&sa, &sb, out);
	diff_edges(&sa, &sb, out);
	sort_n(out->v, out->n, sizeof(*out->v), cmp_change);
	side_release(&sa);
	side_release(&sb);
}

/* A change made outside diff_topos (vethmap diff of two clusters): hosts, tunnels. */
struct change *changes_add(struct changes *out, char op, const char *kind, const char *object,
			   const char *detail)
{
	return add(out, op, kind, -1, -1, object, "%s", detail);
}

void changes_release(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].object);
		free(c->v[i].detail);
		free(c->v[i].before);
		free(c->v[i].after);
	}
	free(c->v);
	c->v = NULL;
	c->n = c->alloc = 0;
}
