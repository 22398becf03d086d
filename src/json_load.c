/*
 * json_load.c implements the reading back of one host's `vethmap scan --json` (the
 * contract of the README) into a struct topo, for 'vethmap merge' (the file is another
 * machine's word, so it is hostile) and for a moment history.c rebuilt (json_load_text).  It is parsed by SQLite's JSON functions on an
 * in-memory connection (as engine answers are), bounded in size and counts; every
 * interface an edge, a peer or a route names must be in the file, and anything
 * malformed refuses the whole file with one line naming it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

#define JSON_FILE_MAX (256u << 20)	/* one host's scan; 20,000 namespaces fit in 64 MiB */
#define JSON_ITEMS_MAX 1000000		/* namespaces, interfaces, ... of one kind */

struct jl {
	sqlite3 *db;
	const char *text, *file;
	size_t len;
	struct topo *t;
	size_t *where;		/* namespace: its index in the JSON array -> in t */
	size_t nwhere;
};

static int bad(const struct jl *j, const char *what)
{
	return error("'%s' is not a vethmap scan: %s", j->file, what);
}

/* Prepare sql with the document bound as ?1. */
static sqlite3_stmt *q(struct jl *j, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		error("cannot parse '%s': %s", j->file, sqlite3_errmsg(j->db));
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_text(st, 1, j->text, (int)j->len, SQLITE_STATIC);
	return st;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

static int isnull(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static int isint(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_INTEGER;
}

/* Step to the end; each row to fn; 0, or -1 (said). */
static int each(struct jl *j, const char *sql, int (*fn)(struct jl *j, sqlite3_stmt *st))
{
	sqlite3_stmt *st = q(j, sql);
	size_t n = 0;
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n > JSON_ITEMS_MAX) {
			sqlite3_finalize(st);
			return bad(j, "too many items");
		}
		if (fn(j, st)) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("cannot parse '%s': %s", j->file, sqlite3_errmsg(j->db));
	return 0;
}

/* The namespace at JSON index key, or -1 (said). */
static long ns_at(struct jl *j, sqlite3_stmt *st, int i)
{
	long long k = sqlite3_column_int64(st, i);

	if (k < 0 || (size_t)k >= j->nwhere)
		return bad(j, "a namespace index out of range");
	return (long)j->where[k];
}

/* The namespace of inode column i, or -1 (said). */
static long ns_ino(struct jl *j, sqlite3_stmt *st, int i)
{
	long ns;

	if (!isint(j ? st : st, i) || sqlite3_column_int64(st, i) <= 0)
		return bad(j, "a namespace inode is not a positive integer");
	ns = topo_find_ns(j->t, 0, (uint64_t)sqlite3_column_int64(st, i));
	if (ns < 0)
		return bad(j, "an interface names a namespace not in the file");
	return ns;
}

static int row_ns(struct jl *j, sqlite3_stmt *st)
{
	struct topo *t = j->t;
	size_t ns;

	if (!isint(st, 0) || sqlite3_column_int64(st, 0) <= 0)
		return bad(j, "a namespace inode is not a positive integer");
	if (topo_find_ns(t, 0, (uint64_t)sqlite3_column_int64(st, 0)) >= 0)
		return bad(j, "a namespace is listed twice");
	ns = topo_add_ns(t, 0, (uint64_t)sqlite3_column_int64(st, 0));
	t->ns[ns].is_host = sqlite3_column_int(st, 1) != 0;
	t->ns[ns].names_dropped = (unsigned long)sqlite3_column_int64(st, 2);
	if (!isnull(st, 3)) {		/* strerror's text: its number, else EIO */
		t->ns[ns].dump_error = EIO;
		for (int e = 1; e < 134; e++)
			if (!strcmp(strerror(e), col(st, 3)))
				t->ns[ns].dump_error = e;
	}
	t->ns[ns].userns = (uint64_t)sqlite3_column_int64(st, 4);
	if (isint(st, 5) && sqlite3_column_int64(st, 5) >= 0) {
		t->ns[ns].owner_uid = sqlite3_column_int64(st, 5);
		copy_str(t->ns[ns].owner, sizeof(t->ns[ns].owner), col(st, 6));
	}
	if (!isnull(st, 7))
		t->ns[ns].fwd4 = sqlite3_column_int(st, 7) != 0;
	if (!isnull(st, 8))
		t->ns[ns].fwd6 = sqlite3_column_int(st, 8) != 0;
	return 0;
}

static int row_name(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_at(j, st, 0);

	if (ns < 0)
		return -1;
	if (j->t->ns[ns].names.n < NS_NAMES_MAX)
		strv_add(&j->t->ns[ns].names, col(st, 1));
	return 0;
}

static int row_via(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_at(j, st, 0);

	if (ns < 0)
		return -1;
	for (int k = 0; k < VIA_COUNT; k++)
		if (!strcmp(col(st, 1), via_names[k]))
			j->t->ns[ns].via |= 1u << k;
	return 0;
}

static int row_pid(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_at(j, st, 0);

	if (ns < 0)
		return -1;
	if (!isint(st, 1))
		return bad(j, "a pid is not an integer");
	intv_add(&j->t->ns[ns].pids, sqlite3_column_int(st, 1));
	return 0;
}

static int row_mount(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_at(j, st, 0);
	struct netns *n;
	struct nsmount *m;

	if (ns < 0)
		return -1;
	n = &j->t->ns[ns];
	if (n->nmounts >= NS_NAMES_MAX)
		return 0;
	n->mounts = grow(n->mounts, &n->mounts_alloc, n->nmounts + 1, sizeof(*n->mounts));
	m = &n->mounts[n->nmounts++];
	m->path = xstrdup(col(st, 1));
	m->mntns = (uint64_t)sqlite3_column_int64(st, 2);
	m->pid = sqlite3_column_int(st, 3);
	m->host = sqlite3_column_int(st, 4) != 0;
	return 0;
}

static int row_ctr(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_at(j, st, 0);
	struct container *c;

	if (ns < 0)
		return -1;
	if (!*col(st, 1) || !*col(st, 2))
		return bad(j, "a container without engine or id");
	c = topo_add_container(j->t, col(st, 1), col(st, 2));
	c->ns = ns;
	copy_str(c->name, sizeof(c->name), col(st, 3));
	c->pid = sqlite3_column_int(st, 4);
	c->verified = sqlite3_column_int(st, 5) != 0;
	c->sandbox = sqlite3_column_int(st, 6) != 0;
	c->host_net = sqlite3_column_int(st, 7) != 0;
	copy_str(c->node, sizeof(c->node), col(st, 8));
	if (isint(st, 9) && sqlite3_column_int64(st, 9) >= 0) {
		c->owner_uid = (long)sqlite3_column_int64(st, 9);
		copy_str(c->owner, sizeof(c->owner), col(st, 10));
	}
	for (size_t k = 0; k < CTR_FIELDS; k++)
		ctr_field_set(c, k, col(st, 11 + (int)k));
	return 0;
}

static int row_iface(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_ino(j, st, 0);
	struct iface *f;

	if (ns < 0)
		return -1;
	if (!isint(st, 1) || sqlite3_column_int64(st, 1) <= 0 ||
	    sqlite3_column_int64(st, 1) > 0x7fffffff)
		return bad(j, "an interface's ifindex is not a positive integer");
	if (!*col(st, 2) || !*col(st, 3))
		return bad(j, "an interface without name or kind");
	f = topo_add_iface(j->t, (size_t)ns);
	f->ifindex = sqlite3_column_int(st, 1);
	copy_str(f->name, sizeof(f->name), col(st, 2));
	copy_str(f->kind, sizeof(f->kind), col(st, 3));
	copy_str(f->mac, sizeof(f->mac), col(st, 4));
	f->mtu = (unsigned)sqlite3_column_int64(st, 5);
	if (sqlite3_column_int(st, 6))
		f->flags |= IFF_UP_;
	copy_str(f->oper, sizeof(f->oper), col(st, 7));
	if (sqlite3_column_int(st, 8))
		f->flags |= IFF_PROMISC_;
	if (!strcmp(f->kind, "loopback"))
		f->flags |= IFF_LOOPBACK_;
	f->promiscuity = (unsigned)sqlite3_column_int64(st, 9);
	copy_str(f->slave_kind, sizeof(f->slave_kind), col(st, 10));
	f->hairpin = sqlite3_column_int(st, 11) != 0;
	f->link = sqlite3_column_int(st, 12);
	f->has_link_netnsid = !isnull(st, 13);
	f->link_netnsid = sqlite3_column_int(st, 13);
	if (!strcmp(col(st, 14), "object")) {
		f->tun.set = 1;
		f->tun.id = isint(st, 15) ? sqlite3_column_int64(st, 15) : -1;
		f->tun.okey = isint(st, 16) ? sqlite3_column_int64(st, 16) : -1;
		copy_str(f->tun.local, sizeof(f->tun.local), col(st, 17));
		copy_str(f->tun.remote, sizeof(f->tun.remote), col(st, 18));
		f->tun.port = (unsigned)sqlite3_column_int64(st, 19);
		if (strlen(col(st, 20)) < sizeof(f->tun.pubkey) && !strpbrk(col(st, 20), " @"))
			copy_str(f->tun.pubkey, sizeof(f->tun.pubkey), col(st, 20));
	}
	return 0;
}

static int row_peer(struct jl *j, sqlite3_stmt *st)
{
	long long k = sqlite3_column_int64(st, 0);
	const char *key = col(st, 1), *ep = col(st, 2);
	struct tunnel *u;
	char w[48 + 64 + 2];

	if (k < 0 || (size_t)k >= j->t->nifs)
		return bad(j, "a peer of no interface");
	u = &j->t->ifs[k].tun;
	if (!*key || strlen(key) >= 48 || strlen(ep) >= 64 || strpbrk(key, " @") || strchr(ep, ' ') ||
	    u->npeers >= WG_PEERS_MAX)
		return 0;
	snprintf(w, sizeof(w), "%s@%s", key, ep);
	words_append(&u->peers, &u->npeers, w);
	return 0;
}

static int row_addr(struct jl *j, sqlite3_stmt *st)
{
	long long k = sqlite3_column_int64(st, 0);
	const char *a = col(st, 1), *slash = strrchr(a, '/');
	struct iface *f;

	if (k < 0 || (size_t)k >= j->t->nifs)
		return bad(j, "an address of no interface");
	f = &j->t->ifs[k];
	if (f->naddrs < 4096)
		iface_add_addr(f, strchr(a, ':') ? AF_INET6 : AF_INET, slash ? atoi(slash + 1) : 0, a);
	return 0;
}

static int row_fdb(struct jl *j, sqlite3_stmt *st)
{
	long long k = sqlite3_column_int64(st, 0);
	const char *r = col(st, 1);
	struct tunnel *u;

	if (k < 0 || (size_t)k >= j->t->nifs)
		return bad(j, "an FDB entry of no interface");
	u = &j->t->ifs[k].tun;
	if (*r && !strchr(r, ' ') && strlen(r) < 48 && u->nfdb < TUN_FDB_MAX)
		words_append(&u->fdb, &u->nfdb, r);
	return 0;
}

/* The interface (inode column i, name column i + 1), or -1 (said). */
static long if_at(struct jl *j, sqlite3_stmt *st, int i)
{
	long ns = ns_ino(j, st, i), f;

	if (ns < 0)
		return -1;
	f = topo_find_ifname(j->t, (size_t)ns, col(st, i + 1));
	if (f < 0)
		return bad(j, "an edge names an interface not in the file");
	return f;
}

static int row_edge(struct jl *j, sqlite3_stmt *st)
{
	const char *type = col(st, 0);
	long a, b;
	int et = -1;

	for (int k = 0; k <= EDGE_LOWER; k++)
		if (!strcmp(type, edge_type_names[k]))
			et = k;
	if (et < 0)
		return bad(j, !strcmp(type, "tunnel") ? "an edge across hosts (a cluster's "
			   "JSON, not one host's scan)" : "an edge of unknown type");
	a = if_at(j, st, 1);
	b = a < 0 ? -1 : if_at(j, st, 3);
	if (b < 0)
		return -1;
	topo_add_edge(j->t, (enum edge_type)et, (size_t)a, (size_t)b);
	if (et == EDGE_VETH) {
		j->t->ifs[a].peer = b;
		j->t->ifs[b].peer = a;
	}
	if (et == EDGE_BRIDGE || et == EDGE_MASTER) {
		if (j->t->ifs[a].ns != j->t->ifs[b].ns)
			return bad(j, "a master in another namespace");
		j->t->ifs[a].master = j->t->ifs[b].ifindex;
	}
	return 0;
}

static int row_unres(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_ino(j, st, 0), f;

	if (ns < 0)
		return -1;
	f = topo_find_iface(j->t, (size_t)ns, sqlite3_column_int(st, 1));
	if (f < 0)
		return bad(j, "an unresolved end of no interface");
	topo_add_unresolved(j->t, (size_t)f, "%s", col(st, 2));
	return 0;
}

static int row_route(struct jl *j, sqlite3_stmt *st)
{
	long ns = ns_at(j, st, 0);
	struct route *r;

	if (ns < 0)
		return -1;
	r = topo_add_route(j->t, (size_t)ns);
	r->family = sqlite3_column_int(st, 1) == 6 ? AF_INET6 : AF_INET;
	copy_str(r->dst, sizeof(r->dst), col(st, 2));
	copy_str(r->type, sizeof(r->type), col(st, 3));
	r->metric = (unsigned)sqlite3_column_int64(st, 4);
	return 0;
}

/* A next hop: of the route made last for (namespace key, route key) in order. */
static int row_nh(struct jl *j, sqlite3_stmt *st)
{
	struct topo *t = j->t;
	long ns = ns_at(j, st, 0);
	long long rk = sqlite3_column_int64(st, 1);
	const struct route *first;
	struct route *r;
	size_t n;

	if (ns < 0)
		return -1;
	first = topo_routes_of(t, (size_t)ns, &n);
	if (!first || rk < 0 || (size_t)rk >= n)
		return bad(j, "a next hop of no route");
	r = (struct route *)(uintptr_t)(first + rk);
	if (r->nnh >= ROUTE_NH_MAX)
		return 0;
	copy_str(r->nh[r->nnh].gw, sizeof(r->nh[0].gw), col(st, 2));
	if (*col(st, 3)) {
		long f = topo_find_ifname(t, (size_t)ns, col(st, 3));

		r->nh[r->nnh].oif = f >= 0 ? t->ifs[f].ifindex : 0;
	} else {
		r->nh[r->nnh].oif = sqlite3_column_int(st, 4);
	}
	r->nnh++;
	return 0;
}

static int load(struct jl *j)
{
	struct topo *t = j->t;
	sqlite3_stmt *st = q(j, "SELECT json_valid(?1), json_type(?1, '$.netns'),"
			     " json_type(?1, '$.interfaces'), json_type(?1, '$.edges'),"
			     " json_extract(?1, '$.scan.host'), json_extract(?1, '$.scan.started'),"
			     " json_extract(?1, '$.scan.duration_ms'), json_extract(?1, '$.host.name'),"
			     " json_extract(?1, '$.host.machine_id'), json_extract(?1, '$.scan.missed'),"
			     " json_extract(?1, '$.scan.incomplete_reason'),"
			     " json_extract(?1, '$.scan.names_dropped'),"
			     " json_extract(?1, '$.scan.mount_lines_dropped'),"
			     " json_extract(?1, '$.scan.mounts_skipped'),"
			     " json_extract(?1, '$.scan.lookup_timeouts'), json_type(?1, '$.hosts')");
	int rc = -1;
	size_t *order;

	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0))
		rc = bad(j, "malformed JSON");
	else if (!strcmp(col(st, 15), "array"))
		rc = bad(j, "a cluster's JSON (several hosts), not one host's scan");
	else if (strcmp(col(st, 1), "array") || strcmp(col(st, 2), "array") ||
		 strcmp(col(st, 3), "array"))
		rc = bad(j, "no netns, interfaces or edges array");
	else if (!*col(st, 4) || !*col(st, 5))
		rc = bad(j, "no scan host or start time");
	else
		rc = 0;
	if (!rc) {
		copy_str(t->host, sizeof(t->host), *col(st, 7) ? col(st, 7) : col(st, 4));
		copy_str(t->started, sizeof(t->started), col(st, 5));
		t->duration_ms = sqlite3_column_double(st, 6);
		if (!machine_id_ok(col(st, 8)))
			rc = bad(j, "its machine_id is not 32 hex digits");
		copy_str(t->machine_id, sizeof(t->machine_id), col(st, 8));
		t->missed = (unsigned long)sqlite3_column_int64(st, 9);
		copy_str(t->incomplete_reason, sizeof(t->incomplete_reason), col(st, 10));
		t->names_dropped = (unsigned long)sqlite3_column_int64(st, 11);
		t->mount_lines_dropped = (unsigned long)sqlite3_column_int64(st, 12);
		t->mounts_skipped = (unsigned long)sqlite3_column_int64(st, 13);
		t->lookup_timeouts = (unsigned long)sqlite3_column_int64(st, 14);
	}
	sqlite3_finalize(st);
	if (rc || each(j, "SELECT json_extract(value, '$.inode'), json_extract(value, '$.host'),"
		       " json_extract(value, '$.names_dropped'), json_extract(value, '$.dump_error'),"
		       " json_extract(value, '$.userns'), json_extract(value, '$.owner_uid'),"
		       " json_extract(value, '$.owner'), json_extract(value, '$.forwarding.ipv4'),"
		       " json_extract(value, '$.forwarding.ipv6') FROM json_each(?1, '$.netns')"
		       " ORDER BY key", row_ns))
		return -1;
	/* namespaces in output order (host first): JSON index -> index in t */
	j->nwhere = t->nns;
	j->where = xmalloc((t->nns ? t->nns : 1) * sizeof(*j->where));
	order = topo_sort_ns(t);
	for (size_t i = 0; i < t->nns; i++)
		j->where[order[i]] = i;
	free(order);
	if (each(j, "SELECT n.key, v.value FROM json_each(?1, '$.netns') n,"
		 " json_each(n.value, '$.names') v ORDER BY n.key, v.key", row_name) ||
	    each(j, "SELECT n.key, v.value FROM json_each(?1, '$.netns') n,"
		 " json_each(n.value, '$.via') v", row_via) ||
	    each(j, "SELECT n.key, v.value FROM json_each(?1, '$.netns') n,"
		 " json_each(n.value, '$.pids') v", row_pid) ||
	    each(j, "SELECT n.key, json_extract(v.value, '$.path'), json_extract(v.value, '$.mntns'),"
		 " json_extract(v.value, '$.pid'), json_extract(v.value, '$.host')"
		 " FROM json_each(?1, '$.netns') n, json_each(n.value, '$.mounts') v"
		 " ORDER BY n.key, v.key", row_mount) ||
	    each(j, "SELECT n.key, json_extract(v.value, '$.engine'), json_extract(v.value, '$.id'),"
		 " json_extract(v.value, '$.name'), json_extract(v.value, '$.pid'),"
		 " json_extract(v.value, '$.verified'), json_extract(v.value, '$.sandbox'),"
		 " json_extract(v.value, '$.host_network'), json_extract(v.value, '$.node'),"
		 " json_extract(v.value, '$.owner.uid'), json_extract(v.value, '$.owner.name'),"
		 " json_extract(v.value, '$.image'), json_extract(v.value, '$.pod'),"
		 " json_extract(v.value, '$.pod_namespace'),"
		 " json_extract(v.value, '$.compose_project'),"
		 " json_extract(v.value, '$.network_mode'),"
		 " json_extract(v.value, '$.containerd_namespace')"
		 " FROM json_each(?1, '$.netns') n, json_each(n.value, '$.containers') v"
		 " ORDER BY n.key, v.key", row_ctr))
		return -1;
	for (size_t k = 0; k < t->nns; k++)
		strv_sort_unique(&t->ns[k].names), intv_sort_unique(&t->ns[k].pids);
	if (each(j, "SELECT json_extract(value, '$.netns'), json_extract(value, '$.ifindex'),"
		 " json_extract(value, '$.name'), json_extract(value, '$.kind'),"
		 " json_extract(value, '$.mac'), json_extract(value, '$.mtu'),"
		 " json_extract(value, '$.up'), json_extract(value, '$.oper'),"
		 " json_extract(value, '$.promisc'), json_extract(value, '$.promiscuity'),"
		 " json_extract(value, '$.slave_kind'), json_extract(value, '$.hairpin'),"
		 " json_extract(value, '$.link'), json_extract(value, '$.link_netnsid'),"
		 " json_type(value, '$.tunnel'), json_extract(value, '$.tunnel.id'),"
		 " json_extract(value, '$.tunnel.okey'), json_extract(value, '$.tunnel.local'),"
		 " json_extract(value, '$.tunnel.remote'), json_extract(value, '$.tunnel.port'),"
		 " json_extract(value, '$.tunnel.public_key')"
		 " FROM json_each(?1, '$.interfaces') ORDER BY key", row_iface) ||
	    each(j, "SELECT i.key, a.value FROM json_each(?1, '$.interfaces') i,"
		 " json_each(i.value, '$.addrs') a ORDER BY i.key, a.key", row_addr) ||
	    each(j, "SELECT i.key, a.value FROM json_each(?1, '$.interfaces') i,"
		 " json_each(i.value, '$.tunnel.fdb') a ORDER BY i.key, a.key", row_fdb) ||
	    each(j, "SELECT i.key, json_extract(a.value, '$.public_key'),"
		 " json_extract(a.value, '$.endpoint') FROM json_each(?1, '$.interfaces') i,"
		 " json_each(i.value, '$.tunnel.peers') a ORDER BY i.key, a.key", row_peer))
		return -1;
	topo_sort_ifaces(t);
	for (size_t i = 1; i < t->nifs; i++)
		if (t->ifs[i].ns == t->ifs[i - 1].ns && t->ifs[i].ifindex == t->ifs[i - 1].ifindex)
			return bad(j, "two interfaces of one namespace have the same ifindex");
	if (each(j, "SELECT json_extract(value, '$.type'), json_extract(value, '$.a.netns'),"
		 " json_extract(value, '$.a.name'), json_extract(value, '$.b.netns'),"
		 " json_extract(value, '$.b.name') FROM json_each(?1, '$.edges') ORDER BY key",
		 row_edge) ||
	    each(j, "SELECT json_extract(value, '$.netns'), json_extract(value, '$.ifindex'),"
		 " json_extract(value, '$.reason') FROM json_each(?1, '$.unresolved') ORDER BY key",
		 row_unres) ||
	    each(j, "SELECT n.key, json_extract(r.value, '$.family'), json_extract(r.value, '$.dst'),"
		 " json_extract(r.value, '$.type'), json_extract(r.value, '$.metric')"
		 " FROM json_each(?1, '$.netns') n, json_each(n.value, '$.routes') r"
		 " ORDER BY n.key, r.key", row_route))
		return -1;
	topo_sort_routes(t);
	return each(j, "SELECT n.key, r.key, json_extract(h.value, '$.gateway'),"
		    " json_extract(h.value, '$.dev'), json_extract(h.value, '$.ifindex')"
		    " FROM json_each(?1, '$.netns') n, json_each(n.value, '$.routes') r,"
		    " json_each(r.value, '$.nexthops') h ORDER BY n.key, r.key, h.key", row_nh);
}

/*
 * Read the scan JSON file path (one host's `vethmap scan --json`) into t (initialised,
 * empty).  0, or -1 after one line naming the file (t then holds a part: release it).
 */
int json_load_scan(const char *path, struct topo *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;
	struct stat st;
	size_t len;
	char *text;

	if (fd < 0)
		return error("cannot open '%s':", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return error("cannot read '%s': not a regular file", path);
	}
	if ((unsigned long long)st.st_size > JSON_FILE_MAX) {
		close(fd);
		return error("cannot read '%s': larger than %u MiB", path, JSON_FILE_MAX >> 20);
	}
	text = read_small_fd(fd, JSON_FILE_MAX, &len);	/* closes fd */
	if (!text)
		return error("cannot read '%s':", path);
	rc = json_load_text(text, len, path, t);
	free(text);
	return rc;
}

/* The same from text[0..len) in memory, named name in messages. */
int json_load_text(const char *text, size_t len, const char *name, struct topo *t)
{
	struct jl j = { .file = name, .t = t, .text = text, .len = len };
	int rc;

	if (!j.len || memchr(text, '\0', j.len))
		return bad(&j, j.len ? "a NUL byte" : "empty");
	if (sqlite3_open_v2(":memory:", &j.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(j.db);
		return error("cannot parse '%s': out of memory", name);
	}
	rc = load(&j);
	sqlite3_close(j.db);
	free(j.where);
	return rc;
}
