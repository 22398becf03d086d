/*
 * graph_dot.c implements the DOT text of 'vethmap graph', from the plan graph_plan.c makes
 * of what to draw (everything, or one --focus target and its neighbours) and in which order.
 *
 * The drawing: one cluster per namespace, the host's first and styled apart; interfaces
 * as nodes shaped by kind; veth edges bold, bridge membership plain, other masters
 * labelled with their kind, lower links dashed, unresolved ends red.  The edge ids
 * 'vethmap show' prints (e1, e2, ...) are each edge's id and tooltip, and are written
 * in its ends' labels as show writes them in its EDGE column (no edge labels to collide
 * with clusters).  Loopback devices are left out.  Left to right, each edge points away
 * from the host (bridge -> port -> container), and clusters are written grouped by the
 * bridge their uplink hangs off, so a host with hundreds of containers draws as a column
 * of containers beside the bridges they share.
 *
 * Safety: node and cluster IDs are synthetic (n<i>, c<ns>, u<k>, z<ns>).  Every string
 * read from a snapshot reaches the text through dot_html(), inside an HTML-like label;
 * quoted attribute strings hold only text made here (numbers, fixed words, and kernel
 * words passed through qsafe()).  No name can end a string, add an attribute or a node.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "graph_plan.h"

/*
 * Graphviz 2.x, Pango and fontconfig keep caches they never free (gvContext's plugin
 * configuration, font maps).  In a LeakSanitizer build (make SANITIZE=address) every SVG
 * or PNG would report them (vethmap, the unit tests and the fuzzers all link this file) and exit non-zero; LeakSanitizer calls this hook for the
 * leaks not to report.  Only stacks that pass through those libraries are silenced.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libgvplugin_\nleak:libcgraph.so\nleak:libcdt.so\n"
	       "leak:libfontconfig.so\nleak:libpango\nleak:libcairo.so\nleak:libglib-2.0.so\n"
	       "leak:libgobject-2.0.so\nleak:libharfbuzz.so\nleak:libfreetype.so\n";
}

/* ... and not to print the list of what it silenced (LSAN_OPTIONS can still ask). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

#define MAX_NAMES 3		/* container names in a cluster label */
#define MAX_ADDRS 4		/* addresses in an interface label */

/*
 * Length of the UTF-8 sequence at s when it is valid and drawable, else 0.  C1 controls
 * and the invisible format characters (bidirectional overrides, zero-width, BOM) are
 * refused so a name cannot hide or reorder what is drawn next to it.
 */
static int utf8_ok(const unsigned char *s)
{
	unsigned cp;
	int n = s[0] < 0x80 ? 0 : utf8_seq_len(s, &cp);

	if (n < 2 || cp < 0xa0 || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	    (cp & 0xfffe) == 0xfffe)
		return 0;
	return n;
}

/*
 * Write s as text of an HTML-like label.  & < > " become entities; a backslash is
 * doubled (Graphviz reads \N, \G, \l ... in labels, HTML ones included); every other
 * byte that is not printable ASCII or drawable UTF-8 is written \xNN, as text_esc()
 * writes it in the text outputs.
 */
void dot_html(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p >= 0x80 ? utf8_ok(p) : 0;

		if (n) {
			fwrite(p, 1, (size_t)n, f);
			p += n;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\\': fputs("\\\\", f); break;
		default:
			if (*p >= 0x20 && *p < 0x7f)
				fputc(*p, f);
			else
				fprintf(f, "\\\\x%02x", *p);
		}
		p++;
	}
}

/* dot_html(s), or the fallback when s is empty: Graphviz refuses an empty <B></B>. */
static void html_or(FILE *f, const char *s, const char *fallback)
{
	dot_html(f, *s ? s : fallback);
}

/* s for a quoted attribute (tooltips): only [A-Za-z0-9.:/_+-], anything else '?'. */
static void qsafe(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:/_+-",
			     *s) ? *s : '?', f);
}


/* ---- the text ------------------------------------------------------------------------- */

struct kind_style {
	const char *kinds;	/* space-separated */
	const char *attrs;
};

static const struct kind_style kind_styles[] = {
	{ "bridge openvswitch", "shape=box, style=\"filled,bold\", fillcolor=\"#ffd27f\"" },
	{ "veth", "shape=ellipse, fillcolor=\"#ffffff\"" },
	{ "macvlan macvtap ipvlan ipvtap", "shape=hexagon, fillcolor=\"#d5f0d5\"" },
	{ "vlan macsec", "shape=hexagon, fillcolor=\"#eef5d0\"" },
	{ "vxlan geneve gre gretap ip6gre ip6gretap ipip ip6tnl sit wireguard bareudp",
	  "shape=cds, fillcolor=\"#e3d7f2\"" },
	{ "tun tap", "shape=note, fillcolor=\"#f2f2f2\"" },
	{ "bond team", "shape=box, style=\"rounded,filled\", fillcolor=\"#cfe0ff\"" },
	{ "vrf", "shape=box, style=\"rounded,filled,dashed\", fillcolor=\"#ffffff\"" },
	{ "device", "shape=box3d, fillcolor=\"#dddddd\"" },
	{ "loopback", "shape=plaintext" },
};

static const char *kind_attrs(const char *kind)
{
	size_t len = strlen(kind);

	for (size_t k = 0; len && k < sizeof(kind_styles) / sizeof(kind_styles[0]); k++)
		for (const char *w = kind_styles[k].kinds; (w = strstr(w, kind)); w += len)
			if ((w == kind_styles[k].kinds || w[-1] == ' ') && (!w[len] || w[len] == ' '))
				return kind_styles[k].attrs;
	return "shape=ellipse, fillcolor=\"#f4f4f4\"";
}

static int is_unresolved(const struct topo *t, size_t i)
{
	for (size_t u = 0; u < t->nunres; u++)
		if (t->unres[u].ifc == i)
			return 1;
	return 0;
}

static int link_local6(const struct addr *a)
{
	return a->family == AF_INET6 && !strncasecmp(a->text, "fe80:", 5);
}

static void iface_node(FILE *f, const struct plan *p, size_t i)
{
	const struct topo *t = p->t;
	const struct iface *x = &t->ifs[i];
	size_t shown = 0, skipped = 0;
	int down = !iface_up(x), bad = is_unresolved(t, i);

	fprintf(f, "\t\tn%zu [label=<<B>", i + 1);
	html_or(f, x->name, "?");
	fputs("</B><BR/><FONT POINT-SIZE=\"8\">", f);
	html_or(f, x->kind, "?");
	if (p->edge_of[i])
		fprintf(f, " &#183; e%zu", p->edge_of[i]);
	if (down)
		fputs(" &#183; down", f);
	if (x->hairpin)
		fputs(" &#183; hairpin", f);
	if (bad)
		fputs(" &#183; unresolved", f);
	fputs("</FONT>", f);
	for (size_t k = 0; k < x->naddrs; k++) {
		if (!*x->addrs[k].text || link_local6(&x->addrs[k]))
			continue;
		if (shown == MAX_ADDRS) {
			skipped++;
			continue;
		}
		fputs("<BR/><FONT POINT-SIZE=\"8\">", f);
		dot_html(f, x->addrs[k].text);
		fputs("</FONT>", f);
		shown++;
	}
	if (skipped)
		fprintf(f, "<BR/><FONT POINT-SIZE=\"8\">+%zu more</FONT>", skipped);
	fprintf(f, ">, tooltip=\"ifindex %d, mtu %u, ", x->ifindex, x->mtu);
	qsafe(f, *x->mac ? x->mac : "no mac");
	fprintf(f, "\", %s", kind_attrs(x->kind));
	if (bad)
		fputs(", color=\"#d00000\", fontcolor=\"#d00000\", penwidth=2", f);
	else if (down)
		fputs(", color=\"#888888\", fontcolor=\"#666666\"", f);
	fputs("];\n", f);
}

static int named(const struct container *c, size_t ns)
{
	return c->ns == (long)ns && (*c->name || *c->id);
}

static size_t count_containers(const struct topo *t, size_t ns)
{
	size_t n = 0;

	for (size_t k = 0; k < t->nctrs; k++)
		n += named(&t->ctrs[k], ns);
	return n;
}

/* The names of the containers of namespace ns (sandboxes first), into a label. */
static void containers_text(FILE *f, const struct topo *t, size_t ns)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < t->nctrs; k++) {
			const struct container *c = &t->ctrs[k];

			if (!named(c, ns) || (pass == 0) != !!c->sandbox)
				continue;
			if (n < MAX_NAMES) {
				fputs(n ? ", " : "", f);
				dot_html(f, *c->name ? c->name : c->id);
			}
			n++;
		}
	if (n > MAX_NAMES)
		fprintf(f, " +%zu", n - MAX_NAMES);
}

static void engines_text(FILE *f, const struct topo *t, size_t ns)
{
	const char *seen[8];
	size_t nseen = 0;
	const struct container *pod = NULL, *node = NULL;

	for (size_t k = 0; k < t->nctrs; k++) {
		const struct container *c = &t->ctrs[k];
		size_t j;

		if (c->ns != (long)ns)
			continue;
		if (!pod && *c->pod)
			pod = c;
		if (!node && *c->node)
			node = c;
		for (j = 0; j < nseen && strcmp(seen[j], c->engine); j++)
			;
		if (j < nseen || nseen == sizeof(seen) / sizeof(seen[0]))
			continue;
		seen[nseen++] = c->engine;
		dot_html(f, c->engine);
		fputs(" &#183; ", f);
	}
	if (pod) {
		fputs("pod ", f);
		if (*pod->pod_ns) {
			dot_html(f, pod->pod_ns);
			fputs("/", f);
		}
		dot_html(f, pod->pod);
		fputs(" &#183; ", f);
	}
	if (node) {
		fputs("in ", f);
		dot_html(f, node->node);
		fputs(" &#183; ", f);
	}
}

static void cluster_label(FILE *f, const struct plan *p, size_t ns)
{
	const struct topo *t = p->t;
	const struct netns *n = &t->ns[ns];
	size_t total = 0, nctrs = count_containers(t, ns);

	fputs("<B>", f);
	if (n->is_host) {
		fputs("host", f);
		if (*t->host) {
			fputs(" ", f);
			dot_html(f, t->host);
		}
		fputs("</B>", f);
	} else {
		if (nctrs)
			containers_text(f, t, ns);
		else
			html_or(f, p->label[ns], "?");
		fputs("</B>", f);
	}
	fputs("<BR/><FONT POINT-SIZE=\"8\">", f);
	if (!n->is_host)
		engines_text(f, t, ns);
	fprintf(f, "netns %llu", (unsigned long long)n->ino);
	for (size_t k = p->first[ns]; k < p->first[ns + 1]; k++)
		total += !iface_is_loopback(&t->ifs[p->by_ns[k]]);
	if (p->drawn[ns] < total)
		fprintf(f, " &#183; %zu of %zu interfaces", p->drawn[ns], total);
	fputs("</FONT>", f);
	if (n->is_host && nctrs) {
		fputs("<BR/><FONT POINT-SIZE=\"8\">", f);
		containers_text(f, t, ns);
		fputs(" (host network)</FONT>", f);
	}
}

/* The "?" beside an unresolved end, with the reason, in its namespace's cluster. */
static void unresolved_nodes(FILE *f, const struct plan *p, size_t ns)
{
	const struct topo *t = p->t;

	for (size_t u = 0; u < t->nunres; u++) {
		char r[sizeof(t->unres[u].reason)];
		size_t i = t->unres[u].ifc, col = 0;

		if (t->ifs[i].ns != ns || !p->s->on[i])
			continue;
		copy_str(r, sizeof(r), t->unres[u].reason);
		for (char *c = r; *c; c++, col++)	/* wrap at a space after 40 columns */
			if (*c == ' ' && col >= 40) {
				*c = '\n';
				col = 0;
			}
		fprintf(f, "\t\tu%zu [shape=plaintext, fontcolor=\"#d00000\", tooltip=\"unresolved\", "
			"label=<<B>?</B>", u + 1);
		for (char *line = r, *nl; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			if (!*line)
				continue;
			fputs("<BR/><FONT POINT-SIZE=\"7\">", f);
			dot_html(f, line);
			fputs("</FONT>", f);
		}
		fputs(">];\n", f);
	}
}

/*
 * The namespace a tun/tap holder lives in, when it is drawn with its tap and differs from
 * the tap's own (slirp4netns in the host for a container's tap0); else -1.
 */
static long holder_ns(const struct plan *p, const struct tap_holder *h, long *ifc)
{
	const struct topo *t = p->t;
	long i = topo_tap_iface(t, h), hns;

	*ifc = i;
	if (i < 0 || !p->s->on[i] || !h->holder_netns)
		return -1;
	hns = topo_find_ns(t, 0, h->holder_netns);
	if (hns < 0 || (size_t)hns == t->ifs[i].ns || !(p->s->whole[hns] || p->drawn[hns]))
		return -1;
	return hns;
}

/* A note for each process in namespace ns that holds a tap drawn elsewhere. */
static void holder_nodes(FILE *f, const struct plan *p, size_t ns)
{
	for (size_t k = 0; k < p->t->ntaps; k++) {
		const struct tap_holder *h = &p->t->taps[k];
		long ifc;

		if (holder_ns(p, h, &ifc) != (long)ns)
			continue;
		fprintf(f, "		h%zu [shape=note, fillcolor=\"#fff7d6\", tooltip=\"holds %s\", "
			"label=<pid %d ", k + 1, h->tap ? "a tap" : "a tun", h->pid);
		dot_html(f, h->comm);
		fputs(">];\n", f);
	}
}

static void group_host_nodes(FILE *f, const struct plan *p, size_t ns);

static int ns_drawn(const struct plan *p, size_t ns)
{
	return p->s->whole[ns] || p->drawn[ns];
}

static void cluster(FILE *f, struct plan *p, size_t ns, size_t *scratch)
{
	const struct topo *t = p->t;
	const struct netns *n = &t->ns[ns];
	size_t k = 0, all = 0;

	fprintf(f, "\tsubgraph cluster_c%zu {\n\t\tid=\"c%zu\";\n\t\tlabel=<", ns + 1, ns + 1);
	cluster_label(f, p, ns);
	fprintf(f, ">;\n\t\ttooltip=\"netns %llu%s\";\n", (unsigned long long)n->ino,
		n->is_host ? " (host)" : "");
	if (n->is_host)
		fputs("\t\tstyle=\"filled,bold\"; fillcolor=\"#e9e9e9\"; color=\"#303030\"; "
		      "penwidth=2;\n", f);
	else if (p->ctr[ns])
		fputs("\t\tstyle=\"rounded,filled\"; fillcolor=\"#eef4fb\"; color=\"#5b7fb0\";\n",
		      f);
	else
		fputs("\t\tstyle=\"rounded,filled,dashed\"; fillcolor=\"#f7f7ef\"; "
		      "color=\"#8a8a70\";\n", f);
	for (size_t j = p->first[ns]; j < p->first[ns + 1]; j++) {
		size_t i = p->by_ns[j];

		all++;
		if (p->s->on[i])
			scratch[k++] = i;
	}
	qsort_r(scratch, k, sizeof(*scratch), plan_cmp_iface, p);
	for (size_t j = 0; j < k; j++)
		iface_node(f, p, scratch[j]);
	if (!k)
		fprintf(f, "\t\tz%zu [shape=plaintext, label=<<I>%s</I>>];\n", ns + 1,
			all ? "lo only" : "no interfaces");
	unresolved_nodes(f, p, ns);
	holder_nodes(f, p, ns);
	group_host_nodes(f, p, ns);
	for (size_t j = 0; j < t->nns; j++) {	/* the namespaces of engines nested in it */
		size_t in = p->order[j];

		if (p->parent[in] == (long)ns && ns_drawn(p, in))
			cluster(f, p, in, scratch);
	}
	fputs("\t}\n", f);
}

/* The namespaces whose node is "pid:N" (no container), in one cluster named after it. */
static void node_cluster(FILE *f, struct plan *p, size_t first, size_t *scratch,
			 unsigned char *done)
{
	const char *key = p->nodekey[first];

	fprintf(f, "\tsubgraph cluster_k%zu {\n\t\tid=\"k%zu\";\n\t\tlabel=<<I>node ", first + 1,
		first + 1);
	dot_html(f, key);
	fputs("</I>>;\n\t\ttooltip=\"a nested engine's PID namespace\";\n"
	      "\t\tstyle=\"rounded,dashed\"; color=\"#5b7fb0\";\n", f);
	for (size_t k = 0; k < p->t->nns; k++) {
		size_t ns = p->order[k];

		if (p->nodekey[ns] && !strcmp(p->nodekey[ns], key) && ns_drawn(p, ns) &&
		    !(p->parent[ns] >= 0 && ns_drawn(p, (size_t)p->parent[ns]))) {
			cluster(f, p, ns, scratch);
			done[ns] = 1;
		}
	}
	fputs("\t}\n", f);
}

/*
 * The direction of an edge, for ranking only (edges are drawn without arrows): away
 * from the host.  A bridge or master before its veth and tap ports, uplink ports before
 * their bridge, a lower device before its upper, and a veth's bridge-port end (else the
 * end nearer the host) first.
 */
static void edge_ends(const struct plan *p, const struct edge *g, size_t *tail, size_t *head)
{
	const struct topo *t = p->t;
	const struct iface *a = &t->ifs[g->a], *b = &t->ifs[g->b];
	int flip = 0;

	switch (g->type) {
	case EDGE_BRIDGE:
	case EDGE_MASTER:
		flip = !strcmp(a->kind, "veth") || !strcmp(a->kind, "tun") || !strcmp(a->kind, "tap");
		break;
	case EDGE_LOWER:
		flip = 1;
		break;
	case EDGE_VETH:
		if (!a->master != !b->master)
			flip = !a->master;
		else
			flip = p->depth[b->ns] < p->depth[a->ns];
		break;
	}
	*tail = flip ? g->b : g->a;
	*head = flip ? g->a : g->b;
}

static void edges(FILE *f, const struct plan *p)
{
	const struct topo *t = p->t;

	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *g = &t->edges[e];
		size_t tail, head;

		if (!p->s->on[g->a] || !p->s->on[g->b])
			continue;
		edge_ends(p, g, &tail, &head);
		fprintf(f, "\tn%zu -> n%zu [id=\"e%zu\", tooltip=\"e%zu %s\"", tail + 1, head + 1,
			e + 1, e + 1, edge_type_names[g->type]);
		switch (g->type) {
		case EDGE_VETH:
			fputs(", style=bold, penwidth=2, color=\"#1f4e8c\"", f);
			break;
		case EDGE_BRIDGE:
			break;
		case EDGE_MASTER:
			fputs(", label=<", f);
			html_or(f, t->ifs[g->b].kind, "master");
			fputs(">", f);
			break;
		case EDGE_LOWER:
			fputs(", style=dashed", f);
			break;
		}
		fputs("];\n", f);
	}
	/* a namespace's bridges to the right of its own uplink */
	for (size_t i = 0; i < t->nifs; i++) {
		long up = p->upif[t->ifs[i].ns];

		if (up >= 0 && p->s->on[up] && p->s->on[i] && !strcmp(t->ifs[i].kind, "bridge"))
			fprintf(f, "\tn%ld -> n%zu [style=invis];\n", up + 1, i + 1);
	}
	for (size_t u = 0; u < t->nunres; u++)
		if (p->s->on[t->unres[u].ifc])
			fprintf(f, "\tn%zu -> u%zu [style=dashed, color=\"#d00000\", "
				"tooltip=\"unresolved\"];\n", t->unres[u].ifc + 1, u + 1);
	for (size_t k = 0; k < t->ntaps; k++) {	/* a tap to the process at its other end */
		long ifc;

		if (holder_ns(p, &t->taps[k], &ifc) >= 0)
			fprintf(f, "\tn%ld -> h%zu [style=dotted, tooltip=\"held by\"];\n", ifc + 1,
				k + 1);
	}
}

/* "a, b, c, ... z": the first names of a group and its last, escaped. */
static void group_names(FILE *f, const struct plan *p, const struct group *gr, int host_end)
{
	const struct topo *t = p->t;

	for (size_t m = 0; m < gr->n; m++) {
		if (m == MAX_NAMES && m + 1 < gr->n) {
			fputs(", &#8230;", f);
			m = gr->n - 1;
		}
		if (m)
			fputs(", ", f);
		if (host_end)
			html_or(f, t->ifs[t->ifs[gr->ifc[m]].peer].name, "?");
		else
			html_or(f, p->label[t->ifs[gr->ifc[m]].ns], "?");
	}
}

/* The host ends of each group, one node each, inside the host's cluster. */
static void group_host_nodes(FILE *f, const struct plan *p, size_t ns)
{
	const struct groups *g = p->g;

	if (!g || !g->n || ns != g->host)
		return;
	for (size_t j = 0; j < g->n; j++) {
		const struct group *gr = &g->v[j];

		fprintf(f, "\t\tgh%zu [label=<<B>%zu veths</B><BR/><FONT POINT-SIZE=\"8\">", j + 1,
			gr->n);
		group_names(f, p, gr, 1);
		fprintf(f, "</FONT><BR/><FONT POINT-SIZE=\"8\">veth%s</FONT>>, tooltip=\"%zu host "
			"ends of veths, ports of one bridge (--expand draws each)\", %s%s];\n",
			gr->up_host ? "" : " &#183; down", gr->n, kind_attrs("veth"),
			gr->up_host ? ", peripheries=2" :
			", peripheries=2, color=\"#888888\", fontcolor=\"#666666\"");
	}
}

/* Each group's namespaces, one node each, beside the clusters. */
static void group_nodes(FILE *f, const struct plan *p)
{
	const struct topo *t = p->t;
	const struct groups *g = p->g;

	for (size_t j = 0; g && j < g->n; j++) {
		const struct group *gr = &g->v[j];
		const char *name = NULL;
		int same = 1;

		for (size_t m = 0; m < gr->n; m++) {
			if (!name)
				name = t->ifs[gr->ifc[m]].name;
			same &= !strcmp(name, t->ifs[gr->ifc[m]].name);
		}
		fprintf(f, "\tgn%zu [label=<<B>%zu namespaces</B><BR/><FONT POINT-SIZE=\"8\">", j + 1,
			gr->n);
		group_names(f, p, gr, 0);
		fprintf(f, "</FONT><BR/><FONT POINT-SIZE=\"8\">%zu interfaces", gr->n);
		if (same && name) {
			fputs(": ", f);
			html_or(f, name, "?");
		}
		fprintf(f, " (veth)%s</FONT>>, tooltip=\"%zu namespaces alike: one veth each, to "
			"the same bridge (--expand draws each)\", shape=box, style=\"rounded,filled,"
			"dashed\", fillcolor=\"#f7f7ef\", color=\"#8a8a70\", peripheries=2%s];\n",
			gr->up_in ? "" : " &#183; down", gr->n,
			gr->up_in ? "" : ", fontcolor=\"#666666\"");
	}
}

/* bridge -> host ends -> namespaces, for each group. */
static void group_edges(FILE *f, const struct plan *p)
{
	const struct groups *g = p->g;

	for (size_t j = 0; g && j < g->n; j++) {
		fprintf(f, "\tn%zu -> gh%zu [tooltip=\"%zu bridge\"];\n", g->v[j].bridge + 1, j + 1,
			g->v[j].n);
		fprintf(f, "\tgh%zu -> gn%zu [tooltip=\"%zu veth\", style=bold, penwidth=2, "
			"color=\"#1f4e8c\"];\n", j + 1, j + 1, g->v[j].n);
	}
}

/* The whole DOT text of the selection s of t. */
void graph_dot(FILE *f, const struct topo *t, const struct graph_sel *s)
{
	size_t *scratch = xcalloc(t->nifs ? t->nifs : 1, sizeof(*scratch));
	unsigned char *done;
	struct graph_sel mine = { 0 };
	struct groups g = { 0 };
	struct plan p;

	plan_init(&p, t, s);
	if (!*s->focus && !s->expand && !t->nhosts)	/* a cluster: every namespace drawn */
		collapse_plan(&p, &g, &mine);
	fputs("digraph vethmap {\n\tgraph [rankdir=LR, newrank=true, nodesep=0.15, ranksep=0.5, "
	      "fontname=\"Helvetica\", fontsize=11, labelloc=t, tooltip=\"vethmap\", label=<<B>", f);
	if (t->scan_id)
		fprintf(f, "vethmap scan %lld", t->scan_id);
	else
		fputs("vethmap", f);
	fputs("</B>", f);
	if (*t->host) {
		fputs(" &#183; ", f);
		dot_html(f, t->host);
	}
	if (*t->started) {
		fputs(" &#183; ", f);
		dot_html(f, t->started);
	}
	if (*s->focus) {
		fputs("<BR/>focus: ", f);
		dot_html(f, s->focus);
	}
	fputs(">];\n\tnode [fontname=\"Helvetica\", fontsize=10, style=filled, "
	      "margin=\"0.08,0.03\"];\n\tedge [dir=none, fontname=\"Helvetica\", fontsize=8, "
	      "fontcolor=\"#555555\", color=\"#555555\"];\n", f);
	done = xcalloc(t->nns ? t->nns : 1, 1);
	for (size_t h = 0; h < (t->nhosts ? t->nhosts : 1); h++) {
		int any = !t->nhosts;

		for (size_t ns = 0; ns < t->nns && !any; ns++)
			any = t->ns[ns].host == h && ns_drawn(&p, ns);
		if (!any)
			continue;	/* a host --focus leaves out */
		if (t->nhosts) {	/* a cluster: one cluster per host around its namespaces */
			fprintf(f, "\tsubgraph cluster_H%zu {\n\t\tid=\"H%zu\";\n\t\tlabel=<<B>host ",
				h + 1, h + 1);
			dot_html(f, t->hosts[h].label);
			fputs("</B>>;\n\t\ttooltip=\"machine-id ", f);
			qsafe(f, *t->hosts[h].machine_id ? t->hosts[h].machine_id : "none");
			fputs("\";\n\t\tstyle=\"rounded\"; color=\"#8c1f6e\"; penwidth=2;\n", f);
		}
		for (size_t k = 0; k < t->nns; k++) {
			size_t ns = p.order[k];

			if ((t->nhosts && t->ns[ns].host != h) || !ns_drawn(&p, ns) || done[ns] ||
			    (p.parent[ns] >= 0 && ns_drawn(&p, (size_t)p.parent[ns])))
				continue;	/* not drawn, or drawn inside its node */
			if (p.nodekey[ns])
				node_cluster(f, &p, ns, scratch, done);
			else
				cluster(f, &p, ns, scratch);
		}
		if (t->nhosts)
			fputs("\t}\n", f);
	}
	free(done);
	group_nodes(f, &p);
	for (size_t e = 0; e < t->nxedges; e++) {	/* tunnels between hosts */
		const struct xedge *x = &t->xedges[e];

		if (!s->on[x->a] || !s->on[x->b])
			continue;
		fprintf(f, "\tn%zu -> n%zu [id=\"x%zu\", tooltip=\"tunnel ", x->a + 1, x->b + 1, e + 1);
		qsafe(f, x->kind);
		fputs("\", style=bold, penwidth=2, color=\"#8c1f6e\", constraint=false, label=<", f);
		html_or(f, x->kind, "tunnel");
		if (t->ifs[x->a].tun.id >= 0)
			fprintf(f, " %lld", t->ifs[x->a].tun.id);
		fputs(">];\n", f);
	}
	edges(f, &p);
	group_edges(f, &p);
	fputs("}\n", f);
	plan_release(&p);
	groups_release(&g, &mine);
	free(scratch);
}

/* graph_dot() into memory: the DOT text, *len bytes and a NUL (the caller frees it). */
char *graph_dot_text(const struct topo *t, const struct graph_sel *s, size_t *len)
{
	char *dot = NULL;
	FILE *f = open_memstream(&dot, len);

	if (!f)
		die("out of memory");
	graph_dot(f, t, s);
	if (fclose(f))
		die("out of memory");
	return dot;
}
