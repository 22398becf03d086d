/*
 * topo_test.c: unit tests of the pure logic (pairing, edges, escaping, parsers) on
 * recorded inputs, without root.  Each fixture is the shape of a real kernel dump: the
 * links of each namespace as RTM_GETLINK reports them, and the nsid table each namespace
 * keeps.  Prints one "ok - NAME" / "not ok - NAME: why" line per check.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"
#include "unit.h"



/* The recorded nsid tables: nsids[observer][target], -1 = none. */
#define MAXNS 2100
static int (*nsids)[MAXNS];
static long nsid_calls;

static int table_nsid(void *ctx, size_t observer, size_t target)
{
	(void)ctx;
	nsid_calls++;
	return nsids[observer][target];
}

static void reset(struct topo *t)
{
	topo_release(t);
	topo_init(t);
	for (size_t i = 0; i < MAXNS; i++)
		memset(nsids[i], 0xff, sizeof(nsids[i]));
	nsid_calls = 0;
}

/* Add namespaces 0..n-1 (0 is the host), inode 1000+i. */
static void add_ns(struct topo *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = topo_add_ns(t, 4, 1000 + i);

		t->ns[k].is_host = i == 0;
	}
}

/* One link as a dump shows it; netnsid < -1 means "no IFLA_LINK_NETNSID". */
static struct iface *add_if(struct topo *t, size_t ns, int ifindex, const char *name,
			    const char *kind, int link, int netnsid)
{
	struct iface *f = topo_add_iface(t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	f->link = link;
	if (netnsid >= -1) {
		f->has_link_netnsid = 1;
		f->link_netnsid = netnsid;
	}
	f->mtu = 1500;
	return f;
}

#define NONE (-2)

static long find(const struct topo *t, size_t ns, const char *name)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && !strcmp(t->ifs[i].name, name))
			return (long)i;
	return -1;
}

/* Is there an edge of this type between ns_a:a and ns_b:b (either order for veth)? */
static int has_edge(const struct topo *t, enum edge_type type, size_t na, const char *a,
		    size_t nb, const char *b)
{
	long x = find(t, na, a), y = find(t, nb, b);

	for (size_t i = 0; i < t->nedges; i++) {
		const struct edge *e = &t->edges[i];

		if (e->type != type)
			continue;
		if ((long)e->a == x && (long)e->b == y)
			return 1;
		if (type == EDGE_VETH && (long)e->a == y && (long)e->b == x)
			return 1;
	}
	return 0;
}

static int count_edges(const struct topo *t, enum edge_type type)
{
	int n = 0;

	for (size_t i = 0; i < t->nedges; i++)
		n += t->edges[i].type == type;
	return n;
}

static const char *unresolved_reason(const struct topo *t, size_t ns, const char *name)
{
	long x = find(t, ns, name);

	for (size_t i = 0; i < t->nunres; i++)
		if ((long)t->unres[i].ifc == x)
			return t->unres[i].reason;
	return NULL;
}

static void build(struct topo *t)
{
	topo_sort(t);
	topo_build(t, table_nsid, NULL);
}

/* CNI/podman: the veth made inside each container, so every host end has iflink 2. */
static void test_cni(struct topo *t)
{
	char name[16];

	reset(t);
	add_ns(t, 4);
	for (int k = 1; k <= 3; k++) {
		snprintf(name, sizeof(name), "veth%d", k);
		add_if(t, 0, 10 + k, name, "veth", 2, k - 1);	/* host calls ns k "k-1" */
		add_if(t, (size_t)k, 1, "lo", "loopback", 0, NONE);
		add_if(t, (size_t)k, 2, "eth0", "veth", 10 + k, 0);	/* each calls host "0" */
		nsids[0][k] = k - 1;
		nsids[k][0] = 0;
	}
	build(t);
	check(count_edges(t, EDGE_VETH) == 3, "cni: three veth edges", "got %d",
	      count_edges(t, EDGE_VETH));
	check(has_edge(t, EDGE_VETH, 0, "veth1", 1, "eth0") &&
	      has_edge(t, EDGE_VETH, 0, "veth2", 2, "eth0") &&
	      has_edge(t, EDGE_VETH, 0, "veth3", 3, "eth0"), "cni: each host end to its own eth0", "wrong pairing");
	check(t->nunres == 0, "cni: nothing unresolved", "%zu unresolved", t->nunres);
}

/*
 * Two unrelated pairs whose ifindexes are identical on both sides: only the nsid tells
 * them apart.  A matcher that uses ifindex/iflink alone cannot be right here.
 */
static void test_ifindex_collision(struct topo *t)
{
	reset(t);
	add_ns(t, 5);
	add_if(t, 1, 10, "x", "veth", 2, 0);
	add_if(t, 2, 10, "x", "veth", 2, 0);
	add_if(t, 3, 2, "eth0", "veth", 10, 0);
	add_if(t, 4, 2, "eth0", "veth", 10, 0);
	nsids[1][3] = 0; nsids[1][4] = 1; nsids[1][2] = 2;
	nsids[2][4] = 0; nsids[2][3] = 1; nsids[2][1] = 2;
	nsids[3][1] = 0; nsids[3][2] = 1;
	nsids[4][2] = 0; nsids[4][1] = 1;
	build(t);
	check(has_edge(t, EDGE_VETH, 1, "x", 3, "eth0") && has_edge(t, EDGE_VETH, 2, "x", 4, "eth0") &&
	      count_edges(t, EDGE_VETH) == 2, "collision: pairs placed by nsid, not by ifindex",
	      "edges %zu", t->nedges);
}

static long batch_calls, batch_questions;

static void table_batch(void *ctx, struct nsid_q *q, size_t n)
{
	(void)ctx;
	batch_calls++;
	batch_questions += (long)n;
	for (size_t k = 0; k < n; k++)
		q[k].nsid = nsids[q[k].observer][q[k].target];
}

/* Every edge as text, in order, to compare two builds. */
static void edges_text(const struct topo *t, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->nedges && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%d:%zu-%zu ", (int)t->edges[i].type,
				      t->edges[i].a, t->edges[i].b);
	for (size_t i = 0; i < t->nunres && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "u%zu ", t->unres[i].ifc);
}

/*
 * The questions asked at once (topo_build_batched): the same edges and the same
 * unresolved as asked one by one, none asked one by one for a veth.
 */
static void test_batched(struct topo *t)
{
	void (*const fixtures[])(struct topo *) = { test_cni, test_ifindex_collision };

	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		char one[1024], many[1024];

		fixtures[f](t);	/* built one by one */
		edges_text(t, one, sizeof(one));
		nsid_calls = batch_calls = batch_questions = 0;
		topo_build_batched(t, table_nsid, table_batch, NULL);
		edges_text(t, many, sizeof(many));
		check(!strcmp(one, many), "batched: the same edges as one by one", "'%s' vs '%s'",
		      one, many);
		check(nsid_calls == 0 && batch_calls == 1 && batch_questions > 0,
		      "batched: every veth question in the one batch", "%ld alone, %ld batches",
		      nsid_calls, batch_calls);
	}
}

static void test_same_ns(struct topo *t)
{
	reset(t);
	add_ns(t, 2);
	add_if(t, 1, 5, "va", "veth", 6, NONE);
	add_if(t, 1, 6, "vb", "veth", 5, NONE);
	add_if(t, 1, 7, "vc", "veth", 9, NONE);	/* points at a non-veth */
	add_if(t, 1, 9, "lo9", "device", 0, NONE);
	build(t);
	check(has_edge(t, EDGE_VETH, 1, "va", 1, "vb"), "same netns: pair found", "no edge");
	check(unresolved_reason(t, 1, "vc") != NULL, "same netns: peer not a veth is unresolved",
	      "vc was not listed");
	check(nsid_calls == 0, "same netns: no nsid question needed", "%ld calls", nsid_calls);
}

static void test_unresolvable(struct topo *t)
{
	const char *r;

	reset(t);
	add_ns(t, 2);
	add_if(t, 0, 20, "orphan", "veth", 2, 7);	/* nsid 7: a namespace we never found */
	add_if(t, 1, 2, "eth0", "veth", 20, 0);		/* looks right by ifindex alone */
	nsids[0][1] = 3;
	nsids[1][0] = 0;
	add_if(t, 0, 21, "gone", "veth", 0, NONE);	/* peer vanished: IFLA_LINK 0 */
	add_if(t, 0, 22, "dying", "veth", 4, -1);	/* nsid -1: peer netns being destroyed */
	build(t);
	check(count_edges(t, EDGE_VETH) == 0, "unresolved: no guess when nsid does not match",
	      "%d veth edges", count_edges(t, EDGE_VETH));
	r = unresolved_reason(t, 0, "orphan");
	check(r && strstr(r, "nsid 7"), "unresolved: reason names the nsid", "reason %s", r ? r : "none");
	check(unresolved_reason(t, 1, "eth0") != NULL, "unresolved: other end listed too", "eth0 not listed");
	check(unresolved_reason(t, 0, "gone") != NULL, "unresolved: IFLA_LINK 0", "gone not listed");
	check(unresolved_reason(t, 0, "dying") != NULL, "unresolved: nsid -1", "dying not listed");
}

/* X claims C, but C (by its own nsid) belongs with D: X must not be paired. */
static void test_no_point_back(struct topo *t)
{
	const char *r;

	reset(t);
	add_ns(t, 3);
	add_if(t, 0, 5, "x", "veth", 7, 0);
	add_if(t, 1, 7, "c", "veth", 5, 0);
	add_if(t, 2, 5, "d", "veth", 7, 0);
	nsids[0][1] = 0;
	nsids[1][2] = 0; nsids[1][0] = 1;
	nsids[2][1] = 0;
	build(t);
	r = unresolved_reason(t, 0, "x");
	check(has_edge(t, EDGE_VETH, 1, "c", 2, "d") && !has_edge(t, EDGE_VETH, 0, "x", 1, "c"),
	      "asymmetric: only the mutual pair is kept", "edges wrong");
	check(r && strstr(r, "point back"), "asymmetric: reason given", "reason %s", r ? r : "none");
}

static void test_masters_and_lowers(struct topo *t)
{
	struct iface *f;

	reset(t);
	add_ns(t, 2);
	add_if(t, 0, 2, "eth0", "device", 0, NONE);
	add_if(t, 0, 3, "br0", "bridge", 0, NONE);
	add_if(t, 0, 4, "bond0", "bond", 0, NONE);
	f = add_if(t, 0, 5, "p1", "veth", 6, NONE);
	f->master = 3;
	f = add_if(t, 0, 6, "p2", "veth", 5, NONE);
	f->master = 4;
	f = add_if(t, 0, 7, "p3", "tap", 0, NONE);
	f->master = 99;
	add_if(t, 0, 8, "vl10", "vlan", 2, NONE);
	f = add_if(t, 0, 9, "vx0", "vxlan", 9, NONE);
	f->vxlan_link = 2;
	add_if(t, 0, 10, "vx1", "vxlan", 10, NONE);	/* no underlay device */
	add_if(t, 1, 2, "eth0", "device", 0, NONE);	/* same ifindex as the host's eth0 */
	add_if(t, 1, 3, "mv0", "macvlan", 2, 0);	/* parent in the host */
	add_if(t, 1, 4, "mv1", "macvlan", 2, NONE);	/* parent in its own netns */
	nsids[1][0] = 0;
	build(t);
	check(has_edge(t, EDGE_BRIDGE, 0, "p1", 0, "br0"), "bridge port edge", "missing");
	check(has_edge(t, EDGE_MASTER, 0, "p2", 0, "bond0"), "bond master edge", "missing");
	check(unresolved_reason(t, 0, "p3") != NULL, "missing master is unresolved", "p3 not listed");
	check(has_edge(t, EDGE_LOWER, 0, "vl10", 0, "eth0"), "vlan lower edge", "missing");
	check(has_edge(t, EDGE_LOWER, 0, "vx0", 0, "eth0"), "vxlan underlay edge", "missing");
	check(find(t, 0, "vx1") >= 0 && unresolved_reason(t, 0, "vx1") == NULL &&
	      count_edges(t, EDGE_LOWER) == 4, "vxlan without device has no lower edge",
	      "%d lower edges", count_edges(t, EDGE_LOWER));
	check(has_edge(t, EDGE_LOWER, 1, "mv0", 0, "eth0"), "macvlan lower edge across namespaces",
	      "missing");
	check(has_edge(t, EDGE_LOWER, 1, "mv1", 1, "eth0"), "macvlan lower edge in its namespace",
	      "missing");
}


/* After topo_sort: the host (index 0) calls inode 1003 (index 3) "5", and back "9". */
static void reset_nsids_sorted(const struct topo *t)
{
	(void)t;
	for (size_t i = 0; i < 4; i++)
		memset(nsids[i], 0xff, sizeof(nsids[i]));
	nsids[0][3] = 5;
	nsids[3][0] = 9;
}

/*
 * docker network connect: two veths into one container namespace, both with the host as
 * peer namespace.  The first end asks the nsid question; the second is placed through
 * the cached answer.  A third end of the container claims a host veth whose peer is in
 * the host itself (no link-netnsid): the cached path must refuse it as the loop would.
 */
static void test_nsid_cache(struct topo *t)
{
	const char *r;

	reset(t);
	add_ns(t, 2);
	add_if(t, 0, 11, "vh0", "veth", 2, 0);
	add_if(t, 0, 12, "vh1", "veth", 3, 0);
	add_if(t, 0, 13, "va", "veth", 14, NONE);	/* va <-> vb, both in the host */
	add_if(t, 0, 14, "vb", "veth", 13, NONE);
	add_if(t, 1, 2, "eth0", "veth", 11, 0);
	add_if(t, 1, 3, "eth1", "veth", 12, 0);
	add_if(t, 1, 13, "eth2", "veth", 14, 0);	/* claims host ifindex 14 (vb) */
	nsids[0][1] = 0;
	nsids[1][0] = 0;
	build(t);
	check(has_edge(t, EDGE_VETH, 0, "vh0", 1, "eth0") && has_edge(t, EDGE_VETH, 0, "vh1", 1, "eth1"),
	      "nsid cache: both veths into one namespace paired", "edges wrong");
	check(has_edge(t, EDGE_VETH, 0, "va", 0, "vb") && count_edges(t, EDGE_VETH) == 3,
	      "nsid cache: host pair kept, nothing else", "%d veth edges", count_edges(t, EDGE_VETH));
	r = unresolved_reason(t, 1, "eth2");
	check(r && strstr(r, "no such veth"),
	      "nsid cache: candidate without link-netnsid refused on the cached path",
	      "reason %s", r ? r : "none");
	check(nsid_calls == 2, "nsid cache: one question per direction", "%ld questions", nsid_calls);
}

/*
 * Namespaces and interfaces added out of order (as discovery finds them): topo_sort puts
 * the host first, then by inode, and every interface must follow its own namespace.  The
 * order is a 4-cycle, so a remap through the permutation instead of its inverse fails.
 */
static void test_sort_remap(struct topo *t)
{
	static const uint64_t inos[] = { 1003, 1001, 1000, 1002 };	/* 1000 is the host */
	char want[16];
	int ok = 1;

	reset(t);
	for (size_t i = 0; i < 4; i++) {
		size_t k = topo_add_ns(t, 4, inos[i]);

		t->ns[k].is_host = inos[i] == 1000;
	}
	for (size_t i = 4; i-- > 0;) {
		char name[16];

		snprintf(name, sizeof(name), "in%llu", (unsigned long long)inos[i]);
		add_if(t, i, 7, name, "device", 0, NONE);
		add_if(t, i, 1, "lo", "loopback", 0, NONE);
	}
	/* the veth pair: host (added third) <-> inode 1003 (added first) */
	add_if(t, 2, 20, "vhost", "veth", 2, 5);
	add_if(t, 0, 2, "vcont", "veth", 20, 9);
	topo_sort(t);
	for (size_t i = 0; i < 4; i++)
		ok &= t->ns[i].ino == 1000 + i && t->ns[i].is_host == (i == 0);
	check(ok, "sort: host first, then by inode", "order wrong");
	ok = 1;
	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *f = &t->ifs[i];

		if (i && (f->ns < t->ifs[i - 1].ns ||
			  (f->ns == t->ifs[i - 1].ns && f->ifindex <= t->ifs[i - 1].ifindex)))
			ok = 0;
		if (!strncmp(f->name, "in", 2)) {
			snprintf(want, sizeof(want), "in%llu", (unsigned long long)t->ns[f->ns].ino);
			ok &= !strcmp(f->name, want);
		}
	}
	check(ok, "sort: every interface stays in its own namespace, by (ns, ifindex)", "remap wrong");
	/* the nsid table was recorded in the old indices: answer through the new order */
	reset_nsids_sorted(t);
	topo_build(t, table_nsid, NULL);
	check(has_edge(t, EDGE_VETH, 0, "vhost", 3, "vcont") && t->nunres == 0,
	      "sort: pairing after a reorder", "%zu edges, %zu unresolved", t->nedges, t->nunres);
}

/* 1000 containers on one host: each end costs about one nsid question. */
static void test_scale(struct topo *t)
{
	const size_t n = 2000;
	char name[16];

	reset(t);
	add_ns(t, n + 1);
	for (size_t k = 1; k <= n; k++) {
		snprintf(name, sizeof(name), "veth%zu", k);
		add_if(t, 0, (int)(100 + k), name, "veth", 2, (int)k);
		add_if(t, k, 2, "eth0", "veth", (int)(100 + k), 0);
		nsids[0][k] = (int)k;
		nsids[k][0] = 0;
	}
	build(t);
	check(count_edges(t, EDGE_VETH) == (int)n && t->nunres == 0, "scale: 2000 pairs",
	      "%d edges, %zu unresolved", count_edges(t, EDGE_VETH), t->nunres);
	check(nsid_calls <= (long)(2 * n), "scale: at most two nsid questions per pair",
	      "%ld questions", nsid_calls);
}

static char *capture_json(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_str(f, s);
	fclose(f);
	return buf;
}

static void test_escapes(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "veth\"<&$;'", "\"veth\\\"<&$;'\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "nl\nx", "\"nl\\u000ax\"" },
		{ "\xff\xfe", "\"\\u00ff\\u00fe\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xc3", "\"\\u00c3\"" },
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },	/* a UTF-16 surrogate */
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = capture_json(cases[i].in);

		snprintf(buf, sizeof(buf), "json_str case %zu", i + 1);
		check(!strcmp(got, cases[i].out), buf, "got %s want %s", got, cases[i].out);
		free(got);
	}
	strcpy(buf, "/run/netns/a\\040b\\134c");
	check(!decode_mount_escapes(buf) && !strcmp(buf, "/run/netns/a b\\c"),
	      "mountinfo escapes decoded", "got %s", buf);
	strcpy(buf, "/x\\09");
	check(decode_mount_escapes(buf) == -1, "malformed mountinfo escape refused", "accepted");
	strcpy(buf, "/x\\000");
	check(decode_mount_escapes(buf) == -1, "mountinfo NUL escape refused", "accepted");
}

/*
 * topo_ns_labels() and topo_ns_containers() (one pass) give what topo_ns_label() and
 * topo_ns_container() give namespace by namespace: a sandbox before an earlier plain
 * container, an unverified or unnamed container never, the host never, a netns name,
 * else the inode.
 */
static void test_ns_labels(void)
{
	static const struct { long ns; const char *name; int sandbox, verified; } ctrs[] = {
		{ 1, "plain1", 0, 1 }, { 1, "sandbox1", 1, 1 }, { 1, "late1", 0, 1 },
		{ 2, "unverified2", 1, 0 }, { 2, "", 1, 1 }, { 2, "plain2", 0, 1 },
		{ 0, "hostnet", 1, 1 }, { 3, "fake3", 0, 0 }, { -1, "nowhere", 1, 1 },
		{ 5, "sb5", 1, 1 }, { 5, "sb5b", 1, 1 },
	};
	const char *label[6], *ctr[6];
	char buf[6][32], one[32];
	struct topo t;
	int ok = 1;

	topo_init(&t);
	for (size_t i = 0; i < 6; i++) {
		size_t k = topo_add_ns(&t, 4, 900 + i);	/* (may move t.ns) */

		t.ns[k].is_host = i == 0;
	}
	strv_add(&t.ns[3].names, "/run/netns/three");
	strv_add(&t.ns[4].names, "pid 7:/x");
	for (size_t k = 0; k < sizeof(ctrs) / sizeof(ctrs[0]); k++) {
		struct container *c = topo_add_container(&t, "docker", ctrs[k].name[0] ?
							 ctrs[k].name : "id");

		copy_str(c->name, sizeof(c->name), ctrs[k].name);
		c->ns = ctrs[k].ns;
		c->sandbox = ctrs[k].sandbox;
		c->verified = ctrs[k].verified;
	}
	topo_ns_labels(&t, label, buf);
	topo_ns_containers(&t, ctr);
	for (size_t i = 0; i < 6; i++) {
		const char *c = topo_ns_container(&t, i);

		ok &= !strcmp(label[i], topo_ns_label(&t, i, one, sizeof(one))) &&
		      (c ? ctr[i] && !strcmp(c, ctr[i]) : !ctr[i]);
	}
	check(ok, "topo_ns_labels and topo_ns_containers: as topo_ns_label, one by one",
	      "differ");
	check(!strcmp(label[1], "sandbox1") && !strcmp(label[2], "plain2") &&
	      !strcmp(label[3], "three") && !strcmp(label[4], "pid 7:/x") &&
	      !strcmp(label[5], "sb5") && !strcmp(label[0], "host"),
	      "topo_ns_labels: sandbox first, verified and named only, names, host", "%s %s %s %s %s",
	      label[1], label[2], label[3], label[4], label[5]);
	topo_release(&t);
}

int main(void)
{
	struct topo t;

	nsids = malloc(sizeof(*nsids) * MAXNS);
	if (!nsids)
		return 1;
	topo_init(&t);
	test_cni(&t);
	test_ifindex_collision(&t);
	test_batched(&t);
	test_same_ns(&t);
	test_unresolvable(&t);
	test_no_point_back(&t);
	test_masters_and_lowers(&t);
	test_nsid_cache(&t);
	test_sort_remap(&t);
	test_scale(&t);
	test_escapes();
	test_ns_labels();
	topo_release(&t);
	free(nsids);
	return unit_failures ? 1 : 0;
}
