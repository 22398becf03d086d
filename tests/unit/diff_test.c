/*
 * diff_test.c: unit tests of diff_topos() on hand-built snapshots, without root.  Each
 * case builds the "before" and "after" topologies the way db_load() leaves them (sorted,
 * edges between loaded interfaces) and compares the sorted change list, written one
 * "OP KIND OBJECT | DETAIL" line per change, with the expected text.  Prints one
 * "ok - NAME" / "not ok - NAME: why" line per check.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"
#include "unit.h"



/* ---- building snapshots: namespaces and interfaces first, then fin(), then the rest -- */

/* A namespace with inode ino and an optional bind-mount name. */
static void ns(struct topo *t, uint64_t ino, const char *name, int host)
{
	size_t k = topo_add_ns(t, 4, ino);

	t->ns[k].is_host = host;
	if (name)
		strv_add(&t->ns[k].names, name);
}

static struct iface *ifc(struct topo *t, uint64_t ino, int ifindex, const char *name,
			 const char *kind, int master)
{
	long n = topo_find_ns(t, 0, ino);
	struct iface *f;

	if (n < 0) {
		fprintf(stderr, "diff_test: no namespace %llu\n", (unsigned long long)ino);
		exit(2);
	}
	f = topo_add_iface(t, (size_t)n);
	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	copy_str(f->oper, sizeof(f->oper), "up");
	snprintf(f->mac, sizeof(f->mac), "02:00:00:00:00:%02x", (unsigned)ifindex % 256);
	f->mtu = 1500;
	f->flags = 1;
	f->master = master;
	return f;
}

static void fin(struct topo *t)
{
	topo_sort(t);
}

static size_t at(const struct topo *t, uint64_t ino, const char *name)
{
	long n = topo_find_ns(t, 0, ino);

	for (size_t i = 0; i < t->nifs; i++)
		if ((long)t->ifs[i].ns == n && !strcmp(t->ifs[i].name, name))
			return i;
	fprintf(stderr, "diff_test: no interface %llu:%s\n", (unsigned long long)ino, name);
	exit(2);
}

static void edge(struct topo *t, enum edge_type type, uint64_t na, const char *a, uint64_t nb,
		 const char *b)
{
	size_t x = at(t, na, a), y = at(t, nb, b);

	topo_add_edge(t, type, x, y);
	if (type == EDGE_VETH) {
		t->ifs[x].peer = (long)y;
		t->ifs[y].peer = (long)x;
	}
}

static void ctr(struct topo *t, const char *engine, const char *id, const char *name,
		uint64_t ino)
{
	struct container *c = topo_add_container(t, engine, id);

	copy_str(c->name, sizeof(c->name), name);
	c->ns = topo_find_ns(t, 0, ino);
}

#define HOST 4026531840ull
#define WEB 4026532200ull

/*
 * The base world: a host with bridges br0 and br1 and a device eth0, and a docker
 * container "web" in namespace WEB (bind mount nsname) whose eth0 pairs with
 * host:vethab12, a port of br0 (or of br1 with master 4).
 */
static void world_ns(struct topo *t, uint64_t web, const char *nsname)
{
	topo_init(t);
	ns(t, HOST, NULL, 1);
	ns(t, web, nsname, 0);
	ifc(t, HOST, 1, "lo", "loopback", 0);
	ifc(t, HOST, 2, "eth0", "device", 0);
	ifc(t, HOST, 3, "br0", "bridge", 0);
	ifc(t, HOST, 4, "br1", "bridge", 0);
	ifc(t, web, 1, "lo", "loopback", 0);
	iface_add_addr(ifc(t, web, 2, "eth0", "veth", 0), AF_INET, 24, "10.0.0.2/24");
}

static void world_edges(struct topo *t, uint64_t web, const char *hostveth)
{
	fin(t);
	edge(t, EDGE_VETH, HOST, hostveth, web, "eth0");
	edge(t, EDGE_BRIDGE, HOST, hostveth, HOST, t->ifs[at(t, HOST, hostveth)].master == 4 ?
	     "br1" : "br0");
}

static void world(struct topo *t)
{
	world_ns(t, WEB, "/run/docker/netns/aaa");
	ifc(t, HOST, 10, "vethab12", "veth", 3);
	world_edges(t, WEB, "vethab12");
	ctr(t, "docker", "0123456789abcdef", "web", WEB);
}

/* ---- comparing -------------------------------------------------------------------- */

static char *diff_text(const struct topo *a, const struct topo *b)
{
	struct changes ch = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	diff_topos(a, b, &ch);
	for (size_t i = 0; i < ch.n; i++) {
		fprintf(f, "%c %s %s", ch.v[i].op, ch.v[i].kind, ch.v[i].object);
		if (*ch.v[i].detail)
			fprintf(f, " | %s", ch.v[i].detail);
		fputc('\n', f);
	}
	fclose(f);
	changes_release(&ch);
	return buf;
}

static void expect(const char *name, const struct topo *a, const struct topo *b,
		   const char *want)
{
	char *got = diff_text(a, b);

	check(!strcmp(got, want), name, "expected\n%s---- got\n%s----", want, got);
	free(got);
}

static void test_identical(void)
{
	struct topo a, b;

	world(&a);
	world(&b);
	expect("identical snapshots: no changes", &a, &b, "");
	expect("a snapshot against itself: no changes", &a, &a, "");
	topo_release(&b);
	topo_init(&b);
	expect("empty against empty: no changes", &b, &b, "");
	topo_release(&a);
}

static void test_ns_added(void)
{
	struct topo a, b;
	const char *added =
		"+ netns n2 | inode 4026532300\n"
		"+ interface host:h2 | veth, mtu 1500, master br1\n"
		"+ interface n2:v2 | veth, mtu 1500\n"
		"+ edge bridge host:h2 -> host:br1\n"
		"+ edge veth host:h2 <-> n2:v2\n";
	const char *removed =
		"- netns n2 | inode 4026532300\n"
		"- interface host:h2 | veth, mtu 1500, master br1\n"
		"- interface n2:v2 | veth, mtu 1500\n"
		"- edge bridge host:h2 -> host:br1\n"
		"- edge veth host:h2 <-> n2:v2\n";

	world(&a);
	world_ns(&b, WEB, "/run/docker/netns/aaa");
	ns(&b, 4026532300ull, "/run/netns/n2", 0);
	ifc(&b, HOST, 10, "vethab12", "veth", 3);
	ifc(&b, HOST, 11, "h2", "veth", 4);
	ifc(&b, 4026532300ull, 2, "v2", "veth", 0);
	world_edges(&b, WEB, "vethab12");
	edge(&b, EDGE_VETH, 4026532300ull, "v2", HOST, "h2");
	edge(&b, EDGE_BRIDGE, HOST, "h2", HOST, "br1");
	ctr(&b, "docker", "0123456789abcdef", "web", WEB);
	expect("namespace added", &a, &b, added);
	expect("namespace removed", &b, &a, removed);
	topo_release(&a);
	topo_release(&b);
}

static void test_mtu(void)
{
	struct topo a, b;

	world(&a);
	world(&b);
	b.ifs[at(&b, HOST, "vethab12")].mtu = 9000;
	expect("mtu change: exactly one line", &a, &b,
	       "~ interface host:vethab12 | mtu 1500 -> 9000\n");
	topo_release(&a);
	topo_release(&b);
}

static void test_bridge_move(void)
{
	struct topo a, b;

	world(&a);
	world_ns(&b, WEB, "/run/docker/netns/aaa");
	ifc(&b, HOST, 10, "vethab12", "veth", 4);
	world_edges(&b, WEB, "vethab12");
	ctr(&b, "docker", "0123456789abcdef", "web", WEB);
	expect("veth moved to another bridge", &a, &b,
	       "~ interface host:vethab12 | master br0 -> br1\n"
	       "- edge bridge host:vethab12 -> host:br0\n"
	       "+ edge bridge host:vethab12 -> host:br1\n");
	topo_release(&a);
	topo_release(&b);
}

static void test_restart(void)
{
	struct topo a, b;
	const uint64_t web2 = 4026532301ull;

	world(&a);
	world_ns(&b, web2, "/run/docker/netns/bbb");
	ifc(&b, HOST, 11, "vethcd34", "veth", 3);
	world_edges(&b, web2, "vethcd34");
	ctr(&b, "docker", "fedcba9876543210", "web", web2);
	b.ifs[at(&b, web2, "eth0")].ifindex = 7;	/* new ifindex: not a change */
	expect("container restarted: one restart line, its own objects' lines", &a, &b,
	       "~ netns web (docker) | names /run/docker/netns/aaa -> /run/docker/netns/bbb\n"
	       "~ container web (docker) | restarted: netns 4026532200 -> 4026532301, "
	       "veth host:vethab12 -> host:vethcd34\n"
	       "- interface host:vethab12 | veth, mtu 1500, master br0\n"
	       "+ interface host:vethcd34 | veth, mtu 1500, master br0\n"
	       "- edge bridge host:vethab12 -> host:br0\n"
	       "+ edge bridge host:vethcd34 -> host:br0\n"
	       "- edge veth host:vethab12 <-> web:eth0\n"
	       "+ edge veth host:vethcd34 <-> web:eth0\n");
	topo_release(&b);

	/* same namespace, new id (host network, or a quick recreate): the ids are told */
	world(&b);
	copy_str(b.ctrs[0].id, sizeof(b.ctrs[0].id), "fedcba9876543210");
	expect("container restarted in the same namespace", &a, &b,
	       "~ container web (docker) | restarted: id 0123456789ab -> fedcba987654\n");
	topo_release(&a);
	topo_release(&b);
}

static void test_containers(void)
{
	struct topo a, b;

	/* a sidecar joins the namespace; another container leaves with its namespace */
	world(&a);
	ns(&a, 4026532400ull, "/run/docker/netns/ccc", 0);
	fin(&a);
	ctr(&a, "docker", "cccc", "db", 4026532400ull);
	world(&b);
	ctr(&b, "docker", "dddd", "side", WEB);
	expect("container added to a namespace, another removed", &a, &b,
	       "- netns db (docker) | inode 4026532400\n"
	       "- container db (docker) | id cccc, netns db (docker)\n"
	       "+ container side (docker) | id dddd, netns web (docker)\n");
	topo_release(&a);
	topo_release(&b);

	/* the same name under two engines: two objects, matched each with its own */
	world(&a);
	ns(&a, 4026532500ull, NULL, 0);
	fin(&a);
	ctr(&a, "podman", "eeee", "web", 4026532500ull);
	world(&b);
	ns(&b, 4026532501ull, NULL, 0);
	fin(&b);
	ctr(&b, "podman", "ffff", "web", 4026532501ull);
	expect("same name, two engines", &a, &b,
	       "~ container web (podman) | restarted: netns 4026532500 -> 4026532501\n");
	topo_release(&a);
	topo_release(&b);

	/* the same name in another node, or of another user: another container */
	for (int k = 0; k < 2; k++) {
		char what[96];
		struct container *c;

		world(&a);
		ns(&a, 4026532600ull, NULL, 0);
		fin(&a);
		ctr(&a, "containerd", "gggg", "api", 4026532600ull);
		world(&b);
		ns(&b, 4026532600ull, NULL, 0);
		fin(&b);
		ctr(&b, "containerd", "gggg", "api", 4026532600ull);
		c = &b.ctrs[b.nctrs - 1];
		if (k) {
			c->owner_uid = 1001;
			copy_str(c->owner, sizeof(c->owner), "alice");
		} else {
			copy_str(c->node, sizeof(c->node), "docker:kind-control-plane");
		}
		{
			char *got = diff_text(&a, &b);

			snprintf(what, sizeof(what), "same name and id, %s: one removed, one added",
				 k ? "another owner" : "another node");
			check(strstr(got, "- container api (containerd) | id gggg") &&
			      strstr(got, "+ container api (containerd) | id gggg"), what, "got\n%s", got);
			free(got);
		}
		topo_release(&a);
		topo_release(&b);
	}
}

static void test_attributes(void)
{
	struct topo a, b;
	struct iface *f;

	world(&a);
	world(&b);
	f = &b.ifs[at(&b, WEB, "eth0")];
	f->addrs[0].text[7] = '3';
	iface_add_addr(f, AF_INET6, 64, "fd00::2/64");
	f->flags = 0;
	copy_str(f->oper, sizeof(f->oper), "lowerlayerdown");
	copy_str(f->mac, sizeof(f->mac), "02:aa:bb:cc:dd:ee");
	copy_str(b.ifs[at(&b, HOST, "eth0")].kind, sizeof(f->kind), "dummy");
	expect("interface attributes", &a, &b,
	       "~ interface host:eth0 | kind device -> dummy\n"
	       "~ interface web:eth0 | addrs 10.0.0.2/24 -> 10.0.0.3/24,fd00::2/64\n"
	       "~ interface web:eth0 | admin up -> down\n"
	       "~ interface web:eth0 | mac 02:00:00:00:00:02 -> 02:aa:bb:cc:dd:ee\n"
	       "~ interface web:eth0 | oper up -> lowerlayerdown\n");
	topo_release(&b);

	/* addresses are a set: order does not matter */
	world(&b);
	iface_add_addr(&a.ifs[at(&a, WEB, "eth0")], AF_INET6, 64, "fd00::2/64");
	f = &b.ifs[at(&b, WEB, "eth0")];
	copy_str(f->addrs[0].text, sizeof(f->addrs[0].text), "fd00::2/64");
	iface_add_addr(f, AF_INET, 24, "10.0.0.2/24");
	expect("addresses compared as sets", &a, &b, "");
	topo_release(&a);
	topo_release(&b);
}

static void test_ns_identity(void)
{
	struct topo a, b;

	/* ip netns del x; ip netns add x: the same object, recreated */
	world(&a);
	ns(&a, 4026532600ull, "/run/netns/x", 0);
	ns(&a, 4026532700ull, NULL, 0);
	ns(&a, 4026532800ull, NULL, 0);
	fin(&a);
	world(&b);
	ns(&b, 4026532601ull, "/run/netns/x", 0);
	ns(&b, 4026532700ull, NULL, 0);	/* anonymous, same inode: the same */
	ns(&b, 4026532801ull, NULL, 0);	/* anonymous, new inode: another one */
	fin(&b);
	expect("namespaces by name, else by inode", &a, &b,
	       "- netns 4026532800 | inode 4026532800\n"
	       "+ netns 4026532801 | inode 4026532801\n"
	       "~ netns x | inode 4026532600 -> 4026532601\n");
	topo_release(&b);

	/* a namespace gaining a name is still the object it was (container tier first) */
	world_ns(&b, WEB, "/run/docker/netns/aaa");
	strv_add(&b.ns[1].names, "/run/netns/extra");
	ifc(&b, HOST, 10, "vethab12", "veth", 3);
	world_edges(&b, WEB, "vethab12");
	ctr(&b, "docker", "0123456789abcdef", "web", WEB);
	topo_release(&a);
	world(&a);
	expect("namespace names change", &a, &b,
	       "~ netns web (docker) | names /run/docker/netns/aaa -> "
	       "/run/docker/netns/aaa,/run/netns/extra\n");
	topo_release(&a);
	topo_release(&b);

	/* a name of another mount namespace, seen through another of its processes: the same;
	 * the same path in another mount namespace: a change */
	world(&a);
	ns(&a, 4026532900ull, NULL, 0);
	ns_add_mount(&a, (size_t)topo_find_ns(&a, 0, 4026532900ull), "/run/netns/m", 4026531999ull,
		     100, 0);
	fin(&a);
	world(&b);
	ns(&b, 4026532900ull, NULL, 0);
	ns_add_mount(&b, (size_t)topo_find_ns(&b, 0, 4026532900ull), "/run/netns/m", 4026531999ull,
		     200, 0);
	fin(&b);
	expect("a name seen through another process of its mount namespace", &a, &b, "");
	topo_release(&b);
	world(&b);
	ns(&b, 4026532900ull, NULL, 0);
	ns_add_mount(&b, (size_t)topo_find_ns(&b, 0, 4026532900ull), "/run/netns/m", 4026531998ull,
		     200, 0);
	fin(&b);
	expect("the same path in another mount namespace", &a, &b,
	       "~ netns pid 200:/run/netns/m | names pid 100:/run/netns/m -> "
	       "pid 200:/run/netns/m\n");
	topo_release(&a);
	topo_release(&b);
}

/* Every byte a kernel or an engine allows, and names longer than the change fields. */
static void test_hostile(void)
{
	struct topo a, b;
	char longname[128], longpath[400], want[600];
	struct changes ch = { 0 };
	int ok = 1;

	memset(longname, 'c', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	world(&a);
	world_ns(&b, WEB, "/run/docker/netns/aaa");
	ns(&b, 4026532900ull, NULL, 0);
	ns(&b, 4026532950ull, longpath, 0);
	ifc(&b, HOST, 10, "vethab12", "veth", 3);
	ifc(&b, 4026532950ull, 1, "x", "veth", 0);
	ifc(&b, HOST, 12, "a\"b\\c\n\x01\xff", "veth", 3);
	ifc(&b, 4026532900ull, 2, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop",
	    "veth", 0);
	world_edges(&b, WEB, "vethab12");
	edge(&b, EDGE_VETH, HOST, "a\"b\\c\n\x01\xff", 4026532900ull,
	     "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop");
	ctr(&b, "docker", "0123456789abcdef", "web", WEB);
	ctr(&b, "docker", "9999", longname, 4026532900ull);
	diff_topos(&a, &b, &ch);
	check(ch.n == 7, "hostile names: 7 changes", "got %zu", ch.n);
	ok = 0;
	for (size_t i = 0; i < ch.n; i++)	/* names are kept whole, not cut */
		if (!strcmp(ch.v[i].kind, "container") && ch.v[i].op == '+')
			ok = strstr(ch.v[i].object, longname) != NULL;
	check(ok, "hostile names: long names kept whole", "a name was cut");
	snprintf(want, sizeof(want), "%s (docker)", longname);
	ok = 0;
	for (size_t i = 0; i < ch.n; i++)
		ok |= !strcmp(ch.v[i].kind, "netns") && ch.v[i].op == '+' &&
		      !strcmp(ch.v[i].object, want);
	check(ok, "hostile names: long container names its namespace", "missing");
	ok = 0;
	for (size_t i = 0; i < ch.n; i++)
		ok |= !strcmp(ch.v[i].kind, "interface") && ch.v[i].op == '+' &&
		      !strcmp(ch.v[i].object, "host:a\"b\\c\n\x01\xff");
	check(ok, "hostile names: bytes kept raw for the printer", "missing");
	for (size_t i = 1; i < ch.n; i++)
		ok &= strcmp(ch.v[i - 1].kind, ch.v[i].kind) || ch.v[i].kind[0] != 'e' ||
		      strcmp(ch.v[i - 1].object, ch.v[i].object) <= 0;
	check(ok, "hostile names: sorted", "edges out of order");

	/* the same again in the other order of containers gives the same text */
	{
		char *x = diff_text(&a, &b), *y;
		struct container tmp = b.ctrs[0];

		b.ctrs[0] = b.ctrs[1];
		b.ctrs[1] = tmp;
		y = diff_text(&a, &b);
		check(!strcmp(x, y), "deterministic whatever the input order", "differs");
		free(x);
		free(y);
	}
	changes_release(&ch);
	topo_release(&a);
	topo_release(&b);
}

/*
 * The parts watch --json prints: each change's object in the old (a) and new (b)
 * snapshot, and a field change's field, before and after.
 */
static void test_parts(void)
{
	struct topo a, b;
	struct changes ch = { 0 };
	size_t h2, nv, mtu = 0, add = 0, addrs = 0, edge_add = 0, ns_add = 0;

	world(&a);
	world_ns(&b, WEB, "/run/docker/netns/aaa");
	ns(&b, 4026532300ull, "/run/netns/n2", 0);
	ifc(&b, HOST, 10, "vethab12", "veth", 3)->mtu = 9000;
	ifc(&b, HOST, 11, "h2", "veth", 0);
	ifc(&b, 4026532300ull, 2, "v2", "veth", 0);
	world_edges(&b, WEB, "vethab12");
	edge(&b, EDGE_VETH, 4026532300ull, "v2", HOST, "h2");
	ctr(&b, "docker", "0123456789abcdef", "web", WEB);
	b.ifs[at(&b, WEB, "eth0")].naddrs = 0;
	h2 = at(&b, HOST, "h2");
	nv = at(&b, 4026532300ull, "v2");
	diff_topos(&a, &b, &ch);
	for (size_t i = 0; i < ch.n; i++) {
		const struct change *c = &ch.v[i];

		if (c->op == '~' && !strcmp(c->kind, "interface") && c->field &&
		    !strcmp(c->field, "mtu"))
			mtu += c->a == (long)at(&a, HOST, "vethab12") &&
			       c->b == (long)at(&b, HOST, "vethab12") && !strcmp(c->before, "1500") &&
			       !strcmp(c->after, "9000");
		else if (c->op == '~' && c->field && !strcmp(c->field, "addrs"))
			addrs += c->a == (long)at(&a, WEB, "eth0") && !strcmp(c->before, "10.0.0.2/24") &&
			       !strcmp(c->after, "none");
		else if (c->op == '+' && !strcmp(c->kind, "interface"))
			add += c->a == -1 && (c->b == (long)h2 || c->b == (long)nv) && !c->field;
		else if (c->op == '+' && !strcmp(c->kind, "edge"))
			edge_add += c->a == -1 && c->b >= 0 && (size_t)c->b < b.nedges &&
				    ((b.edges[c->b].a == h2 && b.edges[c->b].b == nv) ||
				     (b.edges[c->b].a == nv && b.edges[c->b].b == h2));
		else if (c->op == '+' && !strcmp(c->kind, "netns"))
			ns_add += c->a == -1 && c->b == topo_find_ns(&b, 0, 4026532300ull);
	}
	check(mtu == 1, "parts: a field change: both indices, field, before, after",
	      "%zu good mtu changes", mtu);
	check(addrs == 1, "parts: addresses gone: before the set, after none", "%zu", addrs);
	check(add == 2, "parts: added interfaces: only the new index", "%zu", add);
	check(edge_add == 1, "parts: an added edge: its index in the new snapshot", "%zu",
	      edge_add);
	check(ns_add == 1, "parts: an added namespace: its index in the new snapshot", "%zu",
	      ns_add);
	changes_release(&ch);
	topo_release(&a);
	topo_release(&b);
}

int main(void)
{
	test_identical();
	test_ns_added();
	test_mtu();
	test_bridge_move();
	test_restart();
	test_containers();
	test_attributes();
	test_ns_identity();
	test_hostile();
	test_parts();
	return unit_failures ? 1 : 0;
}
