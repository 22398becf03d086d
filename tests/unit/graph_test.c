/*
 * graph_test.c: unit tests of 'vethmap graph' without root: the DOT escaping, what
 * --focus selects, and that Graphviz's own parser and layout take the text of a snapshot
 * full of hostile and empty names without a single message.  Prints one "ok - NAME" /
 * "not ok - NAME: why" line per check.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gvc.h>

#include "graph.h"
#include "unit.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

static struct iface *add_if(struct topo *t, size_t ns, int ifindex, const char *name,
			    const char *kind, int master)
{
	struct iface *f = topo_add_iface(t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	f->master = master;
	f->flags = 1;
	f->mtu = 1500;
	f->peer = -1;
	return f;
}

static long find(const struct topo *t, size_t ns, const char *name)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && !strcmp(t->ifs[i].name, name))
			return (long)i;
	return -1;
}

static void veth(struct topo *t, size_t na, const char *a, size_t nb, const char *b)
{
	long x = find(t, na, a), y = find(t, nb, b);

	topo_add_edge(t, EDGE_VETH, (size_t)x, (size_t)y);
	t->ifs[x].peer = y;
	t->ifs[y].peer = x;
}

static void edge(struct topo *t, enum edge_type type, size_t na, const char *a, size_t nb,
		 const char *b)
{
	topo_add_edge(t, type, (size_t)find(t, na, a), (size_t)find(t, nb, b));
}

#define HOSTILE_IF "v\"<&>$;\\N"		/* \N is a Graphviz escape (node name) */
#define HOSTILE_CTR "we\"b<&\\G\n\x01\xff"
#define HOSTILE_NS "/run/netns/q\"<&\\l"

/*
 * host (ns 0): br0 with ports vh1 vh2 vh3 and HOSTILE_IF, eth0 (device) with macvlan
 * parent role, lo; ns 1: container HOSTILE_CTR, eth0 + mv0 (macvlan over host eth0);
 * ns 2: netns HOSTILE_NS with a bridge of its own (nbr) whose port p1 leads to ns 3;
 * ns 3: eth0 only; ns 4: an unrelated namespace; ns 5: only lo; ns 6: empty strings.
 */
static void fixture(struct topo *t)
{
	struct container *c;
	struct iface *f;

	for (size_t i = 0; i < 7; i++) {
		size_t k = topo_add_ns(t, 4, 1000 + i);	/* (may move t->ns) */

		t->ns[k].is_host = i == 0;
	}
	copy_str(t->host, sizeof(t->host), "h<o>st\"\\");
	copy_str(t->started, sizeof(t->started), "2024-01-01T00:00:00Z");
	t->scan_id = 7;
	add_if(t, 0, 1, "lo", "loopback", 0);
	add_if(t, 0, 2, "eth0", "device", 0);
	iface_add_addr(add_if(t, 0, 3, "br0", "bridge", 0), AF_INET, 24, "10.0.0.1/24");
	add_if(t, 0, 4, "vh1", "veth", 3);
	add_if(t, 0, 5, "vh2", "veth", 3);
	add_if(t, 0, 6, HOSTILE_IF, "veth", 3);
	add_if(t, 0, 7, "vh4", "veth", 0);
	add_if(t, 1, 1, "lo", "loopback", 0);
	f = add_if(t, 1, 2, "eth0", "veth", 0);
	iface_add_addr(f, AF_INET, 24, "10.0.0.2/24");
	iface_add_addr(f, AF_INET6, 64, "fe80::1/64");
	iface_add_addr(f, AF_INET6, 64, "fd00::2/64");
	add_if(t, 1, 3, "mv0", "macvlan", 0);
	add_if(t, 2, 1, "lo", "loopback", 0);
	add_if(t, 2, 2, "up0", "veth", 0);
	add_if(t, 2, 3, "nbr", "bridge", 0);
	add_if(t, 2, 4, "p1", "veth", 3);
	add_if(t, 3, 2, "eth0", "veth", 0);
	add_if(t, 4, 2, "x0", "veth", 0);
	add_if(t, 4, 3, "x1", "veth", 0);
	add_if(t, 5, 1, "lo", "loopback", 0);
	add_if(t, 6, 2, "", "", 0);
	iface_add_addr(add_if(t, 6, 3, "b0", "bond", 0), AF_INET, 8, "");
	add_if(t, 6, 4, "s0", "device", 3);
	topo_sort(t);
	veth(t, 0, "vh1", 1, "eth0");
	veth(t, 0, "vh2", 2, "up0");
	veth(t, 0, HOSTILE_IF, 3, "eth0");	/* a second door into ns 3 */
	veth(t, 2, "p1", 3, "eth0");		/* (not a real veth pair: a test of drawing) */
	veth(t, 4, "x0", 4, "x1");
	edge(t, EDGE_BRIDGE, 0, "vh1", 0, "br0");
	edge(t, EDGE_BRIDGE, 0, "vh2", 0, "br0");
	edge(t, EDGE_BRIDGE, 0, HOSTILE_IF, 0, "br0");
	edge(t, EDGE_BRIDGE, 2, "p1", 2, "nbr");
	edge(t, EDGE_LOWER, 1, "mv0", 0, "eth0");
	edge(t, EDGE_MASTER, 6, "s0", 6, "b0");
	topo_add_unresolved(t, (size_t)find(t, 0, "vh4"), "peer '%s' in nsid 3: no such veth",
			    HOSTILE_IF);
	topo_add_unresolved(t, (size_t)find(t, 6, ""), "%s", "");
	c = topo_add_container(t, "docker", "0123456789abcdef");
	copy_str(c->name, sizeof(c->name), HOSTILE_CTR);
	c->ns = 1;
	c = topo_add_container(t, "podman", "");
	c->ns = 6;
	c = topo_add_container(t, "docker", "hostnet");
	copy_str(c->name, sizeof(c->name), "hn");
	c->ns = 0;
	c->host_net = 1;
	strv_add(&t->ns[2].names, HOSTILE_NS);
}

/* ---- helpers ------------------------------------------------------------------------------- */

static char *html(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	dot_html(f, s);
	fclose(f);
	return buf;
}

static char *dot_text(const struct topo *t, const struct graph_sel *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	graph_dot(f, t, s);
	fclose(f);
	return buf;
}

/*
 * One Graphviz context for the whole run: 2.43's Pango plugin keeps a font name from
 * the context it last served, so a second context after gvFreeContext() reads freed
 * memory (vethmap itself renders once per process).
 */
static GVC_t *gvc;
static char gv_msgs[4096];

static int gv_collect(char *msg)
{
	size_t n = strlen(gv_msgs);

	snprintf(gv_msgs + n, sizeof(gv_msgs) - n, "%s", msg);
	return 0;
}

/* Parse, lay out and render as SVG with libgvc; Graphviz's messages into gv_msgs. */
static int gv_render(const char *dot, char **svg, unsigned *len)
{
	agusererrf old = agseterrf(gv_collect);
	Agraph_t *g;
	int rc = -1;

	gv_msgs[0] = '\0';
	*svg = NULL;
	g = agmemread(dot);
	if (g && !gvLayout(gvc, g, "dot")) {
		rc = gvRenderData(gvc, g, "svg", svg, len);
		gvFreeLayout(gvc, g);
	}
	if (g)
		agclose(g);
	agseterrf(old);
	return rc;
}

/* Is "\t\tnID [" (a node) in the text? */
static int has_node(const char *dot, const struct topo *t, size_t ns, const char *name)
{
	char key[48];
	long i = find(t, ns, name);

	snprintf(key, sizeof(key), "\t\tn%ld [", i + 1);
	return i >= 0 && strstr(dot, key) != NULL;
}

static int has_cluster(const char *dot, size_t ns)
{
	char key[48];

	snprintf(key, sizeof(key), "subgraph cluster_c%zu {", ns + 1);
	return strstr(dot, key) != NULL;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_escapes(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a\"b<c>&d", "a&quot;b&lt;c&gt;&amp;d" },
		{ "x\\N", "x\\\\N" },
		{ "$; '", "$; '" },
		{ "nl\n\x01\x7f", "nl\\\\x0a\\\\x01\\\\x7f" },
		{ "\xff\xfe", "\\\\xff\\\\xfe" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xc3", "\\\\xc3" },
		{ "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80" },		/* a UTF-16 surrogate */
		{ "\xc0\xaf", "\\\\xc0\\\\xaf" },			/* overlong '/' */
		{ "a\xe2\x80\xae" "b", "a\\\\xe2\\\\x80\\\\xaeb" },	/* right-to-left override */
		{ "\xc2\x85", "\\\\xc2\\\\x85" },			/* C1 control */
		{ "\xf0\x9f\x90\xb3", "\xf0\x9f\x90\xb3" },		/* 4-byte UTF-8 */
		{ "", "" },
	};
	char name[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = html(cases[i].in);

		snprintf(name, sizeof(name), "dot_html case %zu", i + 1);
		check(!strcmp(got, cases[i].out), name, "got [%s] want [%s]", got, cases[i].out);
		free(got);
	}
}

static void test_whole(const struct topo *t)
{
	struct graph_sel s;
	char *dot, *svg = NULL;
	unsigned len = 0;
	int rc;

	graph_sel_all(&s, t);
	dot = dot_text(t, &s);
	rc = gv_render(dot, &svg, &len);
	check(rc == 0 && svg && len > 100, "whole: Graphviz parses, lays out, renders",
	      "rc %d, %u bytes", rc, len);
	check(!gv_msgs[0], "whole: no Graphviz message", "%s", gv_msgs);
	if (svg)
		gvFreeRenderData(svg);
	check(!strstr(dot, HOSTILE_IF) && !strstr(dot, "we\"b") && !strstr(dot, "q\"<"),
	      "whole: no raw hostile name in the text", "found one");
	check(strstr(dot, "v&quot;&lt;&amp;&gt;$;\\\\N") != NULL, "whole: hostile interface escaped",
	      "missing");
	check(strstr(dot, "we&quot;b&lt;&amp;\\\\G\\\\x0a\\\\x01\\\\xff") != NULL,
	      "whole: hostile container name escaped", "missing");
	check(strstr(dot, "<B>q&quot;&lt;&amp;\\\\l</B>") != NULL, "whole: hostile netns name escaped",
	      "missing");
	for (const char *p = dot; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') {
			check(0, "whole: no control byte", "byte 0x%02x at %td", *p, p - dot);
			break;
		}
	check(has_node(dot, t, 0, "br0") && has_node(dot, t, 1, "mv0") && has_node(dot, t, 6, ""),
	      "whole: interface nodes", "missing");
	check(!has_node(dot, t, 0, "lo") && !has_node(dot, t, 1, "lo"), "whole: no lo nodes",
	      "lo drawn");
	check(has_cluster(dot, 5) && strstr(dot, "<I>lo only</I>"), "whole: lo-only namespace kept",
	      "missing");
	check(strstr(dot, "shape=box, style=\"filled,bold\"") != NULL, "whole: bridge is a filled box",
	      "no");
	check(strstr(dot, "tooltip=\"e1 veth\", style=bold") != NULL, "whole: veth edge e1 bold",
	      "no");
	check(strstr(dot, "tooltip=\"e10 lower\", style=dashed") != NULL, "whole: lower edge dashed",
	      "no");
	check(strstr(dot, "tooltip=\"e11 master\", label=<bond>") != NULL,
	      "whole: master edge labelled with the master kind", "no");
	check(strstr(dot, "fontcolor=\"#d00000\"") && strstr(dot, " -> u1 ["),
	      "whole: unresolved end in red with its reason", "no");
	check(strstr(dot, "10.0.0.2/24") && strstr(dot, "fd00::2/64") && !strstr(dot, "fe80::1"),
	      "whole: addresses in labels (not link-local)", "no");
	check(strstr(dot, "hn (host network)") != NULL, "whole: host-network container on host",
	      "no");
	check(strstr(dot, "n3 -> n4 [") != NULL, "whole: bridge before its port (left to right)",
	      "no");
	graph_sel_release(&s);
	free(dot);
}

static void test_focus(const struct topo *t)
{
	struct graph_sel s;
	char *dot;

	/* a container namespace: it, its peers and their bridges, its lower devices */
	graph_sel_focus(&s, t, 1, -1, "web");
	dot = dot_text(t, &s);
	check(has_node(dot, t, 1, "eth0") && has_node(dot, t, 1, "mv0") &&
	      has_node(dot, t, 0, "vh1") && has_node(dot, t, 0, "br0") && has_node(dot, t, 0, "eth0"),
	      "focus ns: it, its peer, the peer's bridge, its lower device", "missing");
	check(!has_node(dot, t, 0, "vh2") && !has_cluster(dot, 2) && !has_cluster(dot, 4),
	      "focus ns: not the other ports, not other namespaces", "drawn");
	check(strstr(dot, "3 of 6 interfaces") != NULL, "focus ns: partial host says so", "no");
	check(strstr(dot, "focus: web") != NULL, "focus ns: title", "no");
	free(dot);
	graph_sel_release(&s);

	/* a bridge: its ports and the namespaces behind them, whole */
	graph_sel_focus(&s, t, 0, find(t, 0, "br0"), "br0");
	dot = dot_text(t, &s);
	check(has_node(dot, t, 0, "vh1") && has_node(dot, t, 0, "vh2") &&
	      has_node(dot, t, 0, HOSTILE_IF) && has_node(dot, t, 1, "mv0") &&
	      has_node(dot, t, 2, "nbr") && has_node(dot, t, 3, "eth0"),
	      "focus bridge: ports and the namespaces behind them", "missing");
	check(!has_node(dot, t, 0, "eth0") && !has_node(dot, t, 0, "vh4") && !has_cluster(dot, 4) &&
	      !has_cluster(dot, 6), "focus bridge: nothing else", "drawn");
	free(dot);
	graph_sel_release(&s);

	/* an interface that is not a bridge: it, its neighbours, the peer's namespace */
	graph_sel_focus(&s, t, 0, find(t, 0, "vh2"), "vh2");
	dot = dot_text(t, &s);
	check(has_node(dot, t, 0, "vh2") && has_node(dot, t, 0, "br0") && has_node(dot, t, 2, "p1") &&
	      !has_node(dot, t, 0, "vh1") && !has_cluster(dot, 1),
	      "focus interface: it, its bridge, its peer's namespace", "wrong");
	free(dot);
	graph_sel_release(&s);
}

/* 200 containers on two bridges, created alternately: drawn grouped by bridge. */
static void test_scale(void)
{
	enum { N = 200 };
	struct topo t;
	struct graph_sel s;
	char name[32], *dot, *svg = NULL, *p;
	unsigned len = 0;
	size_t last_b = 0;
	int grouped = 1, rc;

	topo_init(&t);
	for (size_t i = 0; i <= N; i++) {
		size_t k = topo_add_ns(&t, 4, 5000 + i);

		t.ns[k].is_host = i == 0;
	}
	add_if(&t, 0, 2, "brA", "bridge", 0);
	add_if(&t, 0, 3, "brB", "bridge", 0);
	for (int i = 1; i <= N; i++) {
		snprintf(name, sizeof(name), "veth%d", i);
		add_if(&t, 0, 10 + i, name, "veth", i % 2 ? 2 : 3);
		add_if(&t, (size_t)i, 2, "eth0", "veth", 0);
	}
	topo_sort(&t);
	for (int i = 1; i <= N; i++) {
		snprintf(name, sizeof(name), "veth%d", i);
		veth(&t, 0, name, (size_t)i, "eth0");
		edge(&t, EDGE_BRIDGE, 0, name, 0, i % 2 ? "brA" : "brB");
	}
	graph_sel_all(&s, &t);
	s.expand = 1;	/* (else all 200 are two nodes) */
	dot = dot_text(&t, &s);
	/* cluster order: every namespace on brA (odd), then every one on brB (even) */
	for (p = strstr(dot, "tooltip=\"netns 50"); p; p = strstr(p + 1, "tooltip=\"netns 50")) {
		size_t ino = strtoul(p + 15, NULL, 10), b = ino % 2 ? 1 : 2;

		if (ino == 5000)
			continue;
		if (b < last_b)
			grouped = 0;
		last_b = b;
	}
	check(grouped, "200 containers: clusters grouped by bridge", "interleaved");
	rc = gv_render(dot, &svg, &len);
	check(rc == 0 && !gv_msgs[0], "200 containers: laid out without a message", "rc %d %s", rc,
	      gv_msgs);
	if (svg)
		gvFreeRenderData(svg);
	free(dot);
	graph_sel_release(&s);
	topo_release(&t);
}

/* How many times needle is in hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * Alike namespaces: host with br0 and br1; ns 1-5 one veth each to br0, up (ns 5 with a
 * hostile name); ns 6 the same but its eth0 down; ns 7-9 one veth each to br1; ns 10 like
 * 1-5 but a container's; ns 11 like 1-5 with an unresolved end; ns 12 like 1-5 with a
 * second interface.  Groups: 1-5 (five), 7-9 (three); the others drawn as they are.
 */
static void test_collapse(void)
{
	struct topo t;
	struct graph_sel s;
	struct container *c;
	char name[32], *dot, *again, *svg = NULL;
	unsigned len = 0;
	int ok = 1, rc;

	topo_init(&t);
	for (size_t i = 0; i <= 12; i++) {
		size_t k = topo_add_ns(&t, 4, 7000 + i);

		t.ns[k].is_host = i == 0;
		if (i) {
			snprintf(name, sizeof(name), "/run/netns/a%02zu", i);
			strv_add(&t.ns[k].names, i == 5 ? HOSTILE_NS : name);
		}
	}
	add_if(&t, 0, 2, "br0", "bridge", 0);
	add_if(&t, 0, 3, "br1", "bridge", 0);
	for (int i = 1; i <= 12; i++) {
		snprintf(name, sizeof(name), "vh%d", i);
		add_if(&t, 0, 10 + i, name, "veth", i >= 7 && i <= 9 ? 3 : 2);
		add_if(&t, (size_t)i, 1, "lo", "loopback", 0)->flags |= IFF_LOOPBACK_;
		add_if(&t, (size_t)i, 2, "eth0", "veth", 0)->flags = i == 6 ? 0 : 1;
	}
	add_if(&t, 12, 3, "tap0", "tun", 0);
	topo_sort(&t);
	for (int i = 1; i <= 12; i++) {
		snprintf(name, sizeof(name), "vh%d", i);
		veth(&t, 0, name, (size_t)i, "eth0");
		edge(&t, EDGE_BRIDGE, 0, name, 0, i >= 7 && i <= 9 ? "br1" : "br0");
	}
	topo_add_unresolved(&t, (size_t)find(&t, 11, "lo"), "%s", "a test");
	c = topo_add_container(&t, "docker", "c10");
	copy_str(c->name, sizeof(c->name), "web10");
	c->ns = 10;

	graph_sel_all(&s, &t);
	dot = dot_text(&t, &s);
	check(count(dot, "\tgn") == 2 && count(dot, "\t\tgh") == 2,
	      "alike: two groups, each a namespace node and a host-end node", "%zu/%zu",
	      count(dot, "\tgn"), count(dot, "\t\tgh"));
	check(strstr(dot, "<B>5 namespaces</B><BR/><FONT POINT-SIZE=\"8\">a01, a02, a03, &#8230;, "
		     "q&quot;&lt;&amp;\\\\l</FONT><BR/><FONT POINT-SIZE=\"8\">5 interfaces: eth0 "
		     "(veth)</FONT>") != NULL, "alike: the five on br0, named (escaped) and counted",
	      "label not found");
	check(strstr(dot, "<B>3 namespaces</B><BR/><FONT POINT-SIZE=\"8\">a07, a08, a09</FONT>") &&
	      strstr(dot, "<B>3 veths</B><BR/><FONT POINT-SIZE=\"8\">vh7, vh8, vh9</FONT>"),
	      "alike: the three on br1, and their host ends", "label not found");
	for (size_t ns = 1; ns <= 12; ns++)
		ok &= has_cluster(dot, ns) == (ns == 6 || ns >= 10);
	check(ok, "alike: down, container, unresolved, two interfaces: drawn as they are",
	      "clusters differ");
	check(!has_node(dot, &t, 0, "vh1") && has_node(dot, &t, 0, "vh6") &&
	      has_node(dot, &t, 0, "br0"), "alike: host ends in a group not drawn alone",
	      "vh1/vh6/br0");
	check(count(dot, "-> gh") == 2 && count(dot, "style=bold, penwidth=2, color=\"#1f4e8c\"];\n")
	      >= 2, "alike: bridge -> host ends -> namespaces", "edges missing");
	again = dot_text(&t, &s);
	check(!strcmp(dot, again), "alike: the same text twice", "differs");
	free(again);
	rc = gv_render(dot, &svg, &len);
	check(rc == 0 && !gv_msgs[0], "alike: laid out without a message", "rc %d %s", rc,
	      gv_msgs);
	if (svg)
		gvFreeRenderData(svg);
	free(dot);
	s.expand = 1;
	dot = dot_text(&t, &s);
	ok = !strstr(dot, "\tgn") && !strstr(dot, "\t\tgh");
	for (size_t ns = 1; ns <= 12; ns++)
		ok &= has_cluster(dot, ns) && has_node(dot, &t, ns, "eth0");
	check(ok, "--expand: every namespace its own cluster", "collapsed or missing");
	free(dot);
	graph_sel_release(&s);
	graph_sel_focus(&s, &t, 1, -1, "a01");
	dot = dot_text(&t, &s);
	check(has_cluster(dot, 1) && has_node(dot, &t, 1, "eth0") && !strstr(dot, "\tgn"),
	      "--focus one of the alike: drawn as itself", "collapsed");
	free(dot);
	graph_sel_release(&s);
	topo_release(&t);
}

int main(void)
{
	struct topo t;

	gvc = gvContext();
	test_escapes();
	topo_init(&t);
	fixture(&t);
	test_whole(&t);
	test_focus(&t);
	topo_release(&t);
	test_scale();
	test_collapse();
	gvFreeContext(gvc);
	return unit_failures ? 1 : 0;
}
