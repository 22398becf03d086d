/*
 * db_test.c: db_store() then db_load() gives back the same snapshot, field by field,
 * without root: a recorded topology (every kind of object and every optional field set
 * and unset) written to a new database in a private temp directory and read back.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "db_int.h"
#include "unit.h"

static long find_if(const struct topo *t, size_t ns, const char *name)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && !strcmp(t->ifs[i].name, name))
			return (long)i;
	BUG("fixture has no %s", name);
}

static int fixture_nsid(void *ctx, size_t observer, size_t target)
{
	(void)ctx;
	return observer == 0 ? (int)target - 1 : target == 0 ? 0 : -1;
}

static struct iface *add_if(struct topo *t, size_t ns, int ifindex, const char *name,
			    const char *kind, int link, int netnsid)
{
	struct iface *f = topo_add_iface(t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	copy_str(f->oper, sizeof(f->oper), "up");
	f->link = link;
	if (netnsid >= -1) {
		f->has_link_netnsid = 1;
		f->link_netnsid = netnsid;
	}
	f->mtu = 1500;
	f->flags = 0x1003;
	return f;
}

/* host (with a bridge, two ports, a macvlan), two containers; hostile names included */
static void fixture(struct topo *t)
{
	struct iface *f;
	struct container *c;

	topo_init(t);
	copy_str(t->host, sizeof(t->host), "node-1");
	copy_str(t->started, sizeof(t->started), "2026-12-01T21:00:00.123Z");
	t->duration_ms = 12.5;
	for (size_t i = 0; i < 3; i++) {
		size_t k = topo_add_ns(t, 4, 4026532000 + i);

		t->ns[k].is_host = i == 0;
		t->ns[k].via = i == 0 ? VIA_SELF | VIA_PROC : VIA_PROC | VIA_MOUNT | VIA_FD;
	}
	strv_add(&t->ns[1].names, "/run/netns/web \"<&$>");
	strv_add(&t->ns[1].names, "/run/docker/netns/0a1b");
	intv_add(&t->ns[1].pids, 4242);
	intv_add(&t->ns[1].pids, 4243);
	intv_add(&t->ns[2].pids, 77);

	add_if(t, 0, 1, "lo", "loopback", 0, -2);
	f = add_if(t, 0, 2, "eth0", "device", 0, -2);
	copy_str(f->mac, sizeof(f->mac), "52:54:00:12:34:56");
	iface_add_addr(f, AF_INET, 24, "192.0.2.10/24");
	iface_add_addr(f, AF_INET6, 64, "2001:db8::10/64");
	f = add_if(t, 0, 3, "br0", "bridge", 0, -2);
	f->promiscuity = 1;
	f = add_if(t, 0, 11, "veth\"<&$", "veth", 2, 0);
	copy_str(f->slave_kind, sizeof(f->slave_kind), "bridge");
	f->master = 3;
	f->hairpin = 1;
	f = add_if(t, 0, 12, "vethb", "veth", 2, 1);
	copy_str(f->slave_kind, sizeof(f->slave_kind), "bridge");
	f->master = 3;
	copy_str(f->oper, sizeof(f->oper), "lowerlayerdown");
	f->flags = 0x1002;
	add_if(t, 0, 13, "mv0", "macvlan", 2, -2);
	add_if(t, 0, 14, "dangling", "veth", 99, 7);	/* unresolved */
	add_if(t, 1, 1, "lo", "loopback", 0, -2);
	f = add_if(t, 1, 2, "eth0", "veth", 11, 0);
	iface_add_addr(f, AF_INET, 16, "172.17.0.2/16");
	add_if(t, 2, 2, "eth0", "veth", 12, 0);

	c = topo_add_container(t, "docker", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9");
	copy_str(c->name, sizeof(c->name), "web \"<&$>");
	copy_str(c->image, sizeof(c->image), "busybox:latest");
	copy_str(c->compose, sizeof(c->compose), "shop");
	copy_str(c->netmode, sizeof(c->netmode), "bridge");
	c->pid = 4242;
	c->ns = 1;
	c->sandbox = 1;
	c = topo_add_container(t, "containerd", "f00d");
	copy_str(c->name, sizeof(c->name), "redis");
	copy_str(c->pod, sizeof(c->pod), "redis-0");
	copy_str(c->pod_ns, sizeof(c->pod_ns), "default");
	copy_str(c->cns, sizeof(c->cns), "k8s.io");
	c->pid = 77;
	c->ns = 2;

	/* routing: the host forwards IPv4, a default route, an ECMP route; a blackhole in 1 */
	t->ns[0].fwd4 = 1;
	t->ns[0].fwd6 = 0;
	t->ns[2].fwd4 = 0;	/* IPv6 unknown */
	{
		struct route *r = topo_add_route(t, 0);

		r->family = AF_INET;
		copy_str(r->dst, sizeof(r->dst), "default");
		copy_str(r->type, sizeof(r->type), "unicast");
		copy_str(r->nh[0].gw, sizeof(r->nh[0].gw), "192.0.2.1");
		r->nh[0].oif = 2;
		r->nnh = 1;
		r = topo_add_route(t, 0);
		r->family = AF_INET6;
		copy_str(r->dst, sizeof(r->dst), "2001:db8:9::/48");
		copy_str(r->type, sizeof(r->type), "unicast");
		r->metric = 1024;
		copy_str(r->nh[0].gw, sizeof(r->nh[0].gw), "2001:db8::1");
		r->nh[0].oif = 2;
		r->nh[1].oif = 3;	/* connected, no gateway */
		r->nnh = 2;
		r = topo_add_route(t, 1);
		r->family = AF_INET;
		copy_str(r->dst, sizeof(r->dst), "10.66.0.0/16");
		copy_str(r->type, sizeof(r->type), "blackhole");
	}

	/* as discovery and engines_scan() leave them: names and pids sorted, containers by name */
	for (size_t i = 0; i < t->nns; i++) {
		strv_sort_unique(&t->ns[i].names);
		intv_sort_unique(&t->ns[i].pids);
	}
	{
		struct container tmp = t->ctrs[0];

		t->ctrs[0] = t->ctrs[1];
		t->ctrs[1] = tmp;
	}
	topo_sort(t);
	topo_build(t, fixture_nsid, NULL);
}

#define SAME_INT(field, what) \
	check(a->field == b->field, what, "%lld vs %lld", (long long)a->field, (long long)b->field)
#define SAME_STR(field, what) \
	check(!strcmp(a->field, b->field), what, "'%s' vs '%s'", a->field, b->field)

static void compare(const struct topo *x, const struct topo *y)
{
	int ok;

	check(x->nns == y->nns && x->nifs == y->nifs && x->nedges == y->nedges &&
	      x->nunres == y->nunres && x->nctrs == y->nctrs, "round trip: same counts",
	      "ns %zu/%zu ifs %zu/%zu edges %zu/%zu unres %zu/%zu ctrs %zu/%zu", x->nns, y->nns,
	      x->nifs, y->nifs, x->nedges, y->nedges, x->nunres, y->nunres, x->nctrs, y->nctrs);
	if (x->nns != y->nns || x->nifs != y->nifs || x->nedges != y->nedges ||
	    x->nunres != y->nunres || x->nctrs != y->nctrs)
		return;
	{
		const struct topo *a = x, *b = y;

		SAME_STR(host, "round trip: host");
		SAME_STR(started, "round trip: started");
		SAME_INT(duration_ms, "round trip: duration");
	}
	ok = 1;
	for (size_t i = 0; i < x->nns; i++) {
		const struct netns *a = &x->ns[i], *b = &y->ns[i];

		ok &= a->ino == b->ino && a->dev == b->dev && a->is_host == b->is_host &&
		      a->via == b->via && a->names.n == b->names.n && a->pids.n == b->pids.n;
		for (size_t k = 0; ok && k < a->names.n; k++)
			ok &= !strcmp(a->names.v[k], b->names.v[k]);
		for (size_t k = 0; ok && k < a->pids.n; k++)
			ok &= a->pids.v[k] == b->pids.v[k];
	}
	check(ok, "round trip: namespaces, names, pids, via", "differ");
	for (size_t i = 0; i < x->nifs; i++) {
		const struct iface *a = &x->ifs[i], *b = &y->ifs[i];
		char what[192];
		int same = a->ns == b->ns && a->ifindex == b->ifindex && !strcmp(a->name, b->name) &&
			   !strcmp(a->kind, b->kind) && !strcmp(a->slave_kind, b->slave_kind) &&
			   !strcmp(a->mac, b->mac) && a->mtu == b->mtu && a->flags == b->flags &&
			   a->promiscuity == b->promiscuity && !strcmp(a->oper, b->oper) &&
			   a->master == b->master && a->hairpin == b->hairpin && a->link == b->link &&
			   a->has_link_netnsid == b->has_link_netnsid &&
			   (!a->has_link_netnsid || a->link_netnsid == b->link_netnsid) &&
			   a->vxlan_link == b->vxlan_link && a->peer == b->peer &&
			   a->naddrs == b->naddrs;

		for (size_t k = 0; same && k < a->naddrs; k++)
			same = a->addrs[k].family == b->addrs[k].family &&
			       a->addrs[k].prefixlen == b->addrs[k].prefixlen &&
			       !strcmp(a->addrs[k].text, b->addrs[k].text);
		snprintf(what, sizeof(what), "round trip: interface %zu (%s) whole", i, a->name);
		check(same, what, "differs (peer %ld/%ld, addrs %zu/%zu)", a->peer, b->peer,
		      a->naddrs, b->naddrs);
	}
	ok = 1;
	for (size_t i = 0; i < x->nedges; i++)
		ok &= x->edges[i].type == y->edges[i].type && x->edges[i].a == y->edges[i].a &&
		      x->edges[i].b == y->edges[i].b;
	check(ok, "round trip: edges in order", "differ");
	ok = 1;
	for (size_t i = 0; i < x->nunres; i++)
		ok &= x->unres[i].ifc == y->unres[i].ifc && !strcmp(x->unres[i].reason, y->unres[i].reason);
	check(ok, "round trip: unresolved ends and reasons", "differ");
	ok = x->nroutes == y->nroutes && x->nroutes == 3;
	for (size_t i = 0; ok && i < x->nroutes; i++) {
		const struct route *a = &x->routes[i], *b = &y->routes[i];

		ok &= a->ns == b->ns && a->family == b->family && !strcmp(a->dst, b->dst) &&
		      !strcmp(a->type, b->type) && a->metric == b->metric && a->nnh == b->nnh;
		for (size_t h = 0; ok && h < a->nnh; h++)
			ok &= !strcmp(a->nh[h].gw, b->nh[h].gw) && a->nh[h].oif == b->nh[h].oif;
	}
	check(ok, "round trip: routes, their next hops, in order", "differ (%zu vs %zu)", x->nroutes,
	      y->nroutes);
	ok = 1;
	for (size_t i = 0; i < x->nns; i++)
		ok &= x->ns[i].fwd4 == y->ns[i].fwd4 && x->ns[i].fwd6 == y->ns[i].fwd6;
	check(ok && y->ns[0].fwd4 == 1 && y->ns[0].fwd6 == 0 && y->ns[1].fwd4 == -1,
	      "round trip: forwarding (on, off, unknown)", "differs");
	for (size_t i = 0; i < x->nctrs; i++) {
		const struct container *a = &x->ctrs[i], *b = &y->ctrs[i];
		char what[192];

		snprintf(what, sizeof(what), "round trip: container %s whole", a->id);
		check(!strcmp(a->engine, b->engine) && !strcmp(a->id, b->id) && !strcmp(a->name, b->name) &&
		      !strcmp(a->image, b->image) && !strcmp(a->pod, b->pod) &&
		      !strcmp(a->pod_ns, b->pod_ns) && !strcmp(a->compose, b->compose) &&
		      !strcmp(a->netmode, b->netmode) && !strcmp(a->cns, b->cns) && a->pid == b->pid &&
		      a->ns == b->ns && a->sandbox == b->sandbox && a->host_net == b->host_net,
		      what, "differs");
	}
}

/* Schema 5: namespace owners and tun/tap holders (placed or not) come back as stored. */
static void test_owners_taps(struct sqlite3 *db, struct topo *t)
{
	struct tap_holder *h;
	struct topo back;
	long long id;
	long i;

	t->ns[0].userns = 4026531837;
	t->ns[1].userns = 4026532178;
	t->ns[1].owner_uid = 1001;
	copy_str(t->ns[1].owner, sizeof(t->ns[1].owner), "alice \"<&>");
	t->ns[2].userns = 4026532179;
	t->ns[2].owner_uid = 65534;	/* a uid with no name */
	add_if(t, 1, 7, "tap0", "tap", 0, -2);
	topo_sort(t);
	h = topo_add_tap(t);
	h->netns = t->ns[1].ino;
	h->ifindex = 7;
	copy_str(h->ifname, sizeof(h->ifname), "tap0");
	h->tap = 1;
	h->pid = 812;
	copy_str(h->comm, sizeof(h->comm), "slirp4\x01netns");
	h->holder_netns = t->ns[0].ino;
	h = topo_add_tap(t);
	copy_str(h->ifname, sizeof(h->ifname), "tun9");
	h->pid = 813;
	copy_str(h->comm, sizeof(h->comm), "vpnd");
	copy_str(h->reason, sizeof(h->reason), "its device's namespace is unknown (x)");
	i = topo_tap_iface(t, &t->taps[0]);
	check(i >= 0 && !strcmp(t->ifs[i].name, "tap0"), "tap holder placed on its interface",
	      "%ld", i);
	check(topo_tap_iface(t, &t->taps[1]) < 0, "tap holder without a namespace not placed",
	      "placed");
	id = db_store(db, t);
	topo_init(&back);
	check(id > 0 && !db_load(db, id, &back), "schema 5: stored and loaded", "failed");
	check(back.nns == 3 && back.ns[0].userns == 4026531837 && back.ns[0].owner_uid == -1 &&
	      back.ns[1].owner_uid == 1001 && !strcmp(back.ns[1].owner, "alice \"<&>") &&
	      back.ns[2].owner_uid == 65534 && !back.ns[2].owner[0] &&
	      back.ns[2].userns == 4026532179, "round trip: userns, owner uid and name",
	      "differ");
	check(back.ntaps == 2 && back.taps[0].netns == t->ns[1].ino && back.taps[0].ifindex == 7 &&
	      !strcmp(back.taps[0].comm, "slirp4\x01netns") && back.taps[0].pid == 812 &&
	      back.taps[0].tap && back.taps[0].holder_netns == t->ns[0].ino && !back.taps[0].reason[0],
	      "round trip: a placed tap holder", "differs");
	check(back.ntaps == 2 && !back.taps[1].netns && !back.taps[1].ifindex &&
	      !strcmp(back.taps[1].reason, t->taps[1].reason) && !back.taps[1].tap,
	      "round trip: an unplaced tap holder and its reason", "differs");
	check(back.ntaps == 2 && topo_tap_iface(&back, &back.taps[0]) >= 0,
	      "loaded: the holder is placed again", "not placed");
	topo_release(&back);
}

/* The same_as of every snapshot, oldest first, as "0,1,1" (-1 rows on error). */
static const char *same_as_list(struct sqlite3 *db)
{
	static char buf[256];
	struct scan_info *v = NULL;
	size_t n = 0, len = 0;

	buf[0] = 0;
	if (db_scans(db, &v, &n))
		return "error";
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lld", i ? "," : "",
					v[i].same_as);
	free(v);
	return buf;
}

/*
 * Schema 8: a snapshot equal to the one before is stored as a reference and read back
 * whole; any change, even one row's order or one pid, stores it again; prune keeps what a
 * kept reference needs.
 */
static void test_unchanged(const char *path)
{
	struct sqlite3 *db = db_open(path, 1);
	struct prune_result res;
	struct retain r;
	struct topo t, back;
	long long id;

	check(db != NULL, "schema 8: a new database", "failed");
	if (!db)
		return;
	fixture(&t);
	id = db_store(db, &t);
	check(id == 1 && t.same_as == 0, "first snapshot: its own rows", "id %lld same_as %lld", id,
	      t.same_as);
	copy_str(t.started, sizeof(t.started), "2026-12-01T21:01:00.000Z");
	t.duration_ms = 99;
	id = db_store(db, &t);
	check(id == 2 && t.same_as == 1, "the same again: stored as unchanged from 1",
	      "id %lld same_as %lld", id, t.same_as);
	topo_init(&back);
	check(!db_load(db, 2, &back) && back.scan_id == 2 && back.same_as == 1,
	      "unchanged snapshot loads as itself", "scan_id %lld same_as %lld", back.scan_id,
	      back.same_as);
	check(!strcmp(back.started, "2026-12-01T21:01:00.000Z") && back.duration_ms == 99,
	      "unchanged snapshot: its own time and duration", "%s %g", back.started,
	      back.duration_ms);
	compare(&t, &back);	/* every row, through the reference */
	topo_release(&back);
	id = db_store(db, &t);
	check(id == 3 && t.same_as == 1, "a third: refers to the rows' snapshot, not to 2",
	      "id %lld same_as %lld", id, t.same_as);

	t.ns[1].pids.v[0]++;	/* a process came and went */
	intv_add(&t.ns[0].pids, 9999);
	id = db_store(db, &t);
	check(id == 4 && t.same_as == 1, "processes changed: still unchanged from 1",
	      "same_as %lld", t.same_as);
	topo_init(&back);
	check(!db_load(db, 4, &back) && back.same_as == 1, "processes changed: loads", "failed");
	compare(&t, &back);	/* its own processes, the rest through the reference */
	topo_release(&back);
	topo_init(&back);
	check(!db_load(db, 3, &back) && back.nns && back.ns[0].pids.n == t.ns[0].pids.n - 1,
	      "the reference before keeps the processes of 1", "%zu pids",
	      back.nns ? back.ns[0].pids.n : 0);
	topo_release(&back);
	t.ns[1].via |= VIA_TASK;	/* found another way: the map changed */
	{
		struct iface *f = &t.ifs[find_if(&t, 0, "eth0")];
		struct addr a = f->addrs[0];

		f->addrs[0] = f->addrs[1];	/* the same addresses in another order */
		f->addrs[1] = a;
	}
	id = db_store(db, &t);
	check(id == 5 && t.same_as == 0, "via and addresses reordered: stored whole", "same_as %lld",
	      t.same_as);
	t.ns[2].fwd6 = 1;
	id = db_store(db, &t);
	check(id == 6 && t.same_as == 0, "forwarding changed: stored whole", "same_as %lld",
	      t.same_as);
	id = db_store(db, &t);
	check(id == 7 && t.same_as == 6, "then unchanged again", "same_as %lld", t.same_as);
	check(!strcmp(same_as_list(db), "0,1,1,1,0,0,6"), "db_scans: same_as of each",
	      "%s", same_as_list(db));

	retain_init(&r);
	r.keep = 1;
	check(!db_prune(db, &r, &res) && res.deleted == 5 && res.kept == 2 && res.bases == 1,
	      "prune --keep 1: 7 and its base 6 stay", "deleted %zu kept %zu bases %zu",
	      res.deleted, res.kept, res.bases);
	check(!strcmp(same_as_list(db), "0,6"), "prune: what is left", "%s", same_as_list(db));
	topo_init(&back);
	check(!db_load(db, 7, &back) && back.same_as == 6 && back.nifs == t.nifs,
	      "prune: the kept unchanged snapshot still loads", "failed");
	topo_release(&back);
	topo_init(&back);
	check(db_load(db, 1, &back) < 0, "prune: a pruned snapshot is gone", "loaded");
	topo_release(&back);
	check(!strcmp(res.vacuum, "incremental"), "prune: a new file vacuums incrementally", "%s",
	      res.vacuum);
	{
		long long n = -1, of = -1;

		db_query_int(db, "SELECT count(*) FROM snapshot_image", &n);
		db_query_int(db, "SELECT rows_of FROM snapshot_image", &of);
		check(n == 1 && of == 6, "after prune, one image kept: of the rows' snapshot", "%lld of %lld", n, of);
		/* an image that is not this version's (one byte of its header): never a match */
		sqlite3_exec(db, "UPDATE snapshot_image SET rows = CAST('x' AS BLOB) ||"
			     " substr(rows, 2)", NULL, NULL, NULL);
		id = db_store(db, &t);
		check(id == 8 && t.same_as == 0, "another image: stored whole, never referred",
		      "same_as %lld", t.same_as);
		db_query_int(db, "SELECT rows_of FROM snapshot_image", &of);
		check(of == 8, "and its own image kept", "of %lld", of);
		id = db_store(db, &t);
		check(id == 9 && t.same_as == 8, "then unchanged from it", "same_as %lld", t.same_as);
	}
	topo_release(&t);
	db_close(db);
}

/*
 * db_test --write PATH: store the fixture, then a second snapshot of it with a change
 * (an MTU, a container gone, a new interface), into PATH; the recorded database of
 * tests/t_text_output.sh is made this way (tests/data/recorded.sql is its .dump).
 */
static int write_recorded(const char *path)
{
	struct sqlite3 *db = db_open(path, 1);
	struct topo t;
	struct iface *f;
	int rc = 1;

	if (!db)
		return 1;
	fixture(&t);
	if (db_store(db, &t) < 0)
		goto out;
	topo_release(&t);
	fixture(&t);
	copy_str(t.started, sizeof(t.started), "2026-12-01T21:05:00.456Z");
	t.ifs[find_if(&t, 0, "eth0")].mtu = 9000;
	t.nctrs = 1;	/* the containerd one is gone */
	f = topo_add_iface(&t, 2);
	f->ifindex = 5;
	copy_str(f->name, sizeof(f->name), "new\x1b[0m");
	copy_str(f->kind, sizeof(f->kind), "tun");
	copy_str(f->oper, sizeof(f->oper), "down");
	f->mtu = 1500;
	topo_sort(&t);
	if (db_store(db, &t) >= 0)
		rc = 0;
out:
	topo_release(&t);
	db_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vethmap-dbtest.XXXXXX", path[64];
	struct topo t, back;
	struct sqlite3 *db;
	long long id;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--write")) {
		rmdir(dir);
		return write_recorded(argv[2]);
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	fixture(&t);
	check(t.nedges == 5 && t.nunres == 1, "fixture: 2 veth, 2 bridge, 1 lower edge; 1 unresolved",
	      "%zu edges, %zu unresolved", t.nedges, t.nunres);
	db = db_open(path, 1);
	check(db != NULL, "db_open creates a new database", "failed");
	if (!db)
		return 1;
	id = db_store(db, &t);
	check(id == 1, "db_store: first snapshot is 1", "%lld", id);
	topo_init(&back);
	check(db_load(db, 0, &back) == 0 && back.scan_id == id, "db_load: latest snapshot",
	      "failed");
	compare(&t, &back);
	topo_release(&back);
	test_owners_taps(db, &t);
	snprintf(path, sizeof(path), "%s/u.db", dir);
	test_unchanged(path);
	for (const char *const *x = (const char *const[]){ "", "-wal", "-shm", NULL }; *x; x++) {
		char f[80];

		snprintf(f, sizeof(f), "%s/u.db%s", dir, *x);
		unlink(f);
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	topo_init(&back);
	check(db_load(db, 7, &back) < 0, "db_load: a missing snapshot is an error", "loaded");
	topo_release(&back);
	db_close(db);
	topo_release(&t);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return unit_failures ? 1 : 0;
}
