/*
 * snapgen.c - two snapshots of a large host written into a database, for
 * tests/bench/reports.sh (graph, report and diff only read the database).
 *
 * The snapshots are built in memory with the topo API and stored with db_store(), as a
 * scan stores them, so the bench follows the schema wherever it goes.
 *
 *   snapgen DB N [K]
 *
 * Snapshot 1: the host (lo, eth0 with an address, BRIDGES bridges) and N namespaces
 * /run/netns/nI, each with lo and eth0, a veth whose host end vhI is a port of bridge
 * brI%BRIDGES, an IPv4 and an IPv6 address; every Kth (default 50th) namespace belongs to
 * a Docker container.  Snapshot 2, the same host later: every 100th namespace's eth0 has MTU 1400,
 * N/100 namespaces are gone (every 100th, from the 25th) and N/100 new ones appear.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"

#define BRIDGES 4
#define NS_INO 100000	/* namespace i is inode NS_INO + i; its nsid in the host is i + 1 */
#define HOST_IF 1000	/* the host end of namespace i's veth is ifindex HOST_IF + 2 * i */

static struct iface *add_if(struct topo *t, size_t ns, int ifindex, const char *name,
			    const char *kind)
{
	struct iface *f = topo_add_iface(t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	copy_str(f->oper, sizeof(f->oper), "up");
	f->mtu = 1500;
	f->flags = IFF_UP_ | 0x1002;
	return f;
}

/* The host calls namespace i nsid i + 1; every namespace calls the host 0. */
static int gen_nsid(void *ctx, size_t observer, size_t target)
{
	const struct topo *t = ctx;

	if (t->ns[observer].is_host)
		return t->ns[target].ino >= NS_INO ? (int)(t->ns[target].ino - NS_INO + 1) : -1;
	return t->ns[target].is_host ? 0 : -1;
}

/* Namespace i: lo, eth0 (veth, peer ifindex HOST_IF + 2i in the host) and its host end. */
static void add_ns(struct topo *t, size_t host, size_t i, unsigned mtu, size_t every)
{
	size_t ns = topo_add_ns(t, 4, NS_INO + i);
	int h = HOST_IF + 2 * (int)i;
	char name[64], a[64];
	struct iface *f;

	t->ns[ns].via = VIA_MOUNT;
	snprintf(name, sizeof(name), "/run/netns/n%zu", i);
	ns_add_mount(t, ns, name, 4026531840u, 0, 1);
	f = add_if(t, ns, 1, "lo", "loopback");
	f->mtu = 65536;
	f->flags = IFF_UP_ | IFF_LOOPBACK_;
	copy_str(f->oper, sizeof(f->oper), "unknown");
	iface_add_addr(f, AF_INET, 8, "127.0.0.1/8");
	f = add_if(t, ns, h + 1, "eth0", "veth");	/* moved in: its ifindex is unique */
	f->mtu = mtu;
	f->link = h;
	f->has_link_netnsid = 1;
	f->link_netnsid = 0;
	snprintf(f->mac, sizeof(f->mac), "02:00:00:02:%02zx:%02zx", i >> 8 & 255, i & 255);
	snprintf(a, sizeof(a), "10.%zu.%zu.2/16", i >> 8 & 255, i & 255);
	iface_add_addr(f, AF_INET, 16, a);
	snprintf(a, sizeof(a), "fd00::%zx:2/64", i);
	iface_add_addr(f, AF_INET6, 64, a);
	snprintf(name, sizeof(name), "vh%zu", i);
	f = add_if(t, host, h, name, "veth");
	copy_str(f->slave_kind, sizeof(f->slave_kind), "bridge");
	f->master = 10 + (int)(i % BRIDGES);
	f->link = h + 1;
	f->has_link_netnsid = 1;
	f->link_netnsid = (int)i + 1;
	snprintf(f->mac, sizeof(f->mac), "02:00:00:01:%02zx:%02zx", i >> 8 & 255, i & 255);
	if (i % every == 0) {
		char id[72];
		struct container *c;

		snprintf(id, sizeof(id), "%064zx", i + 1);
		c = topo_add_container(t, "docker", id);
		snprintf(c->name, sizeof(c->name), "app-%zu", i);
		copy_str(c->image, sizeof(c->image), "busybox:latest");
		copy_str(c->netmode, sizeof(c->netmode), "bridge");
		c->ns = (long)ns;
		c->pid = 20000 + (int)i;
		intv_add(&t->ns[ns].pids, c->pid);
		t->ns[ns].via |= VIA_PROC;
	}
}

static void snapshot(struct topo *t, size_t n, int second, size_t every)
{
	size_t host;
	struct iface *f;

	topo_init(t);
	copy_str(t->host, sizeof(t->host), "bench");
	copy_str(t->started, sizeof(t->started),
		 second ? "2026-01-01T01:00:00.000Z" : "2026-01-01T00:00:00.000Z");
	host = topo_add_ns(t, 4, 4026531840u);
	t->ns[host].is_host = 1;
	t->ns[host].via = VIA_SELF | VIA_PROC;
	f = add_if(t, host, 1, "lo", "loopback");
	f->flags = IFF_UP_ | IFF_LOOPBACK_;
	f = add_if(t, host, 2, "eth0", "device");
	copy_str(f->mac, sizeof(f->mac), "52:54:00:00:00:01");
	iface_add_addr(f, AF_INET, 24, "192.0.2.1/24");
	for (int b = 0; b < BRIDGES; b++) {
		char name[16];

		snprintf(name, sizeof(name), "br%d", b);
		f = add_if(t, host, 10 + b, name, "bridge");
		snprintf(f->mac, sizeof(f->mac), "02:00:00:00:ff:%02x", b);
	}
	for (size_t i = 0; i < n; i++) {
		if (second && i % 100 == 25)
			continue;	/* gone */
		add_ns(t, host, i, second && i % 100 == 0 ? 1400 : 1500, every);
	}
	if (second)
		for (size_t i = n; i < n + n / 100; i++)
			add_ns(t, host, i, 1500, every);	/* new */
	for (size_t i = 0; i < t->nns; i++) {
		strv_sort_unique(&t->ns[i].names);
		intv_sort_unique(&t->ns[i].pids);
	}
	topo_sort(t);
	for (size_t k = 0; k < t->nctrs; k++)	/* topo_sort moved the namespaces */
		t->ctrs[k].ns = topo_find_ns(t, 4, NS_INO + strtoull(t->ctrs[k].name + 4, NULL, 10));
	topo_build(t, gen_nsid, t);
}

int main(int argc, char **argv)
{
	struct sqlite3 *db;
	char *end;
	unsigned long n, every = 50;
	int rc = 0;

	if (argc < 3 || argc > 4 || !(n = strtoul(argv[2], &end, 10)) || *end || n > 60000 ||
	    (argc == 4 && (!(every = strtoul(argv[3], &end, 10)) || *end))) {
		fprintf(stderr, "usage: snapgen DB N [K] (N namespaces, 1 to 60000; a container "
			"in every Kth, default 50)\n");
		return 2;
	}
	db = db_open(argv[1], 1);
	if (!db)
		return 1;
	for (int second = 0; second < 2 && !rc; second++) {
		struct topo t;

		snapshot(&t, n, second, every);
		if (t.nunres) {
			fprintf(stderr, "snapgen: %zu unresolved ends (first: %s)\n", t.nunres,
				t.unres[0].reason);
			rc = 1;
		} else if (db_store(db, &t) < 0) {
			rc = 1;
		}
		topo_release(&t);
	}
	db_close(db);
	return rc;
}
