/*
 * db_cluster.c implements clusters in the database (schema version 11): db_merge() writes
 * several hosts' snapshots as ordinary snapshots (so every per-host reader loads each one
 * unchanged), a collection grouping them, and the tunnels xpair.c paired across them
 * (xedge) with the reasons of the ends it could not pair (xunresolved), all in one
 * transaction; db_load_cluster() reads a collection back into one topo, each namespace
 * marked with its host.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "db_int.h"

/* The newest collection, 0 when there is none (or the file predates them), -1 on error. */
long long db_latest_collection(sqlite3 *db)
{
	long long id = 0;

	if (db_version(db) < 11)
		return 0;
	if (db_query_int(db, "SELECT coalesce(max(id), 0) FROM collection", &id) != SQLITE_OK)
		return db_fail(db, "read");
	return id;
}

/* The collection before id, 0 when none, -1 on error. */
long long db_collection_before(sqlite3 *db, long long id)
{
	char sql[96];
	long long prev = 0;

	if (db_version(db) < 11)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM collection WHERE id < %lld", id);
	if (db_query_int(db, sql, &prev) != SQLITE_OK)
		return db_fail(db, "read");
	return prev;
}

/* Where an end is kept: its host's snapshot, its namespace's inode, its ifindex. */
static void end_key(const struct topo *t, size_t ifc, long long *snap, long long *ino,
		    long long *ifindex)
{
	const struct iface *f = &t->ifs[ifc];

	*snap = t->hosts[t->ns[f->ns].host].scan_id;
	*ino = (long long)t->ns[f->ns].ino;
	*ifindex = f->ifindex;
}

static int store_cross(sqlite3 *db, const struct topo *t, long long cid, size_t unres0)
{
	sqlite3_stmt *e = NULL, *u = NULL;
	int rc = -1;

	if (db_prep(db, &e, "INSERT INTO xedge VALUES (?,?,?,?,?,?,?,?,?)") ||
	    db_prep(db, &u, "INSERT INTO xunresolved VALUES (?,?,?,?,?)"))
		goto out;
	for (size_t i = 0; i < t->nxedges; i++) {
		long long s[2], n[2], x[2];

		end_key(t, t->xedges[i].a, &s[0], &n[0], &x[0]);
		end_key(t, t->xedges[i].b, &s[1], &n[1], &x[1]);
		if (db_run(db, e, "iisiiiiii", cid, (long long)i + 1, t->xedges[i].kind, s[0], n[0],
			x[0], s[1], n[1], x[1]))
			goto out;
	}
	for (size_t i = unres0; i < t->nunres; i++) {
		long long s, n, x;

		end_key(t, t->unres[i].ifc, &s, &n, &x);
		if (db_run(db, u, "iiiis", cid, s, n, x, t->unres[i].reason))
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(e);
	sqlite3_finalize(u);
	return rc;
}

/*
 * Merge n hosts' snapshots (in[i].t, each moved into cluster, which it initialises) as
 * one new collection, in one transaction: its id, or -1 with nothing written.
 */
long long db_merge(sqlite3 *db, struct merge_input *in, size_t n, struct topo *cluster)
{
	sqlite3_stmt *st = NULL;
	long long cid = -1;
	char now[32];
	struct timespec wall;
	size_t unres0;

	topo_init(cluster);
	clock_gettime(CLOCK_REALTIME, &wall);
	fmt_iso8601(now, sizeof(now), &wall);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "start a transaction in");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (db_store(db, &in[i].t) < 0)
			goto fail;
	if (db_prep(db, &st, "INSERT INTO collection (started, n_hosts, version) VALUES (?,?,?)") ||
	    db_run(db, st, "sis", now, (long long)n, VETHMAP_VERSION))
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	cid = sqlite3_last_insert_rowid(db);
	if (db_prep(db, &st, "INSERT INTO collection_host VALUES (?,?,?,?)"))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		size_t h = topo_add_host(cluster, in[i].t.host, in[i].t.machine_id);

		cluster->hosts[h].scan_id = in[i].t.scan_id;
		copy_str(cluster->hosts[h].started, sizeof(cluster->hosts[h].started), in[i].t.started);
		if (db_run(db, st, "iiis", cid, (long long)i, in[i].t.scan_id, in[i].source))
			goto fail;
		topo_append(cluster, &in[i].t, h);
	}
	topo_host_labels(cluster);
	unres0 = cluster->nunres;
	xpair_tunnels(cluster);
	if (store_cross(db, cluster, cid, unres0))
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "commit to");
		goto fail;
	}
	cluster->collection = cid;
	copy_str(cluster->started, sizeof(cluster->started), now);
	return cid;
fail:
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The interface kept as (snapshot, inode, ifindex) in cluster t, or -1. */
static long find_end(const struct topo *t, long long snap, long long ino, long long ifindex)
{
	for (size_t h = 0; h < t->nhosts; h++) {
		if (t->hosts[h].scan_id != snap)
			continue;
		for (size_t ns = 0; ns < t->nns; ns++)
			if (t->ns[ns].host == h && (long long)t->ns[ns].ino == ino)
				return topo_find_iface(t, ns, (int)ifindex);
	}
	return -1;
}

static int load_xunresolved(sqlite3 *db, long long cid, long long snap, struct topo *t);

static int load_cross(sqlite3 *db, long long cid, struct topo *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT kind, a_snapshot, a_netns, a_ifindex, b_snapshot, b_netns,"
			       " b_ifindex FROM xedge WHERE collection_id = ?1 ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, cid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long a = find_end(t, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
				  sqlite3_column_int64(st, 3));
		long b = find_end(t, sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
				  sqlite3_column_int64(st, 6));
		struct xedge *e;

		if (a < 0 || b < 0)
			continue;
		t->xedges = grow(t->xedges, &t->nxedges_alloc, t->nxedges + 1, sizeof(*t->xedges));
		e = &t->xedges[t->nxedges++];
		copy_str(e->kind, sizeof(e->kind), db_col(st, 0));
		e->a = (size_t)a;
		e->b = (size_t)b;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "read");
	return load_xunresolved(db, cid, 0, t);
}

/* The tunnel ends of collection cid left unpaired, with why (of snapshot snap only, 0: all). */
static int load_xunresolved(sqlite3 *db, long long cid, long long snap, struct topo *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT snapshot, netns, ifindex, reason FROM xunresolved"
			       " WHERE collection_id = ?1 AND (?2 = 0 OR snapshot = ?2) ORDER BY rowid",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, snap);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long a = find_end(t, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
				  sqlite3_column_int64(st, 2));

		if (a >= 0)
			topo_add_unresolved(t, (size_t)a, "%s", db_col(st, 3));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "read");
}

/* Collection cid (its hosts' snapshots, its tunnels) into an empty t; 0 or -1 (said). */
int db_load_cluster(sqlite3 *db, long long cid, struct topo *t)
{
	sqlite3_stmt *st;
	long long *snaps = NULL;
	size_t n = 0, alloc = 0;
	char started[32] = "";
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT h.snapshot, c.started FROM collection_host h JOIN"
			       " collection c ON c.id = h.collection_id WHERE h.collection_id = ?1"
			       " ORDER BY h.host_no", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, cid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snaps = grow(snaps, &alloc, n + 1, sizeof(*snaps));
		snaps[n++] = sqlite3_column_int64(st, 0);
		copy_str(started, sizeof(started), db_col(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(snaps);
		return db_fail(db, "read");
	}
	if (!n) {
		free(snaps);
		return error("no collection %lld in '%s'", cid, db_name(db));
	}
	for (size_t i = 0; i < n; i++) {
		struct topo one;
		size_t h;

		topo_init(&one);
		if (db_load(db, snaps[i], &one)) {
			topo_release(&one);
			free(snaps);
			return -1;
		}
		h = topo_add_host(t, one.host, one.machine_id);
		t->hosts[h].scan_id = snaps[i];
		copy_str(t->hosts[h].started, sizeof(t->hosts[h].started), one.started);
		topo_append(t, &one, h);
	}
	free(snaps);
	topo_host_labels(t);
	t->collection = cid;
	copy_str(t->started, sizeof(t->started), started);
	return load_cross(db, cid, t);
}

/*
 * The host of cluster c (loaded from db) that `host` names (see topo_host_pick): its
 * index, or -1 after one line.
 */
long db_cluster_host(sqlite3 *db, const struct topo *c, const char *host)
{
	long pick = topo_host_pick(c, host);

	if (!c->nhosts)
		error("'%s' holds no collection of hosts (see 'vethmap merge'): --host needs one",
		      db_name(db));
	else if (pick == -2)
		error("host '%s' names several hosts of collection %lld: give one of its labels "
		      "(NAME@MACHINE-ID), as 'vethmap show' lists them", host, c->collection);
	else if (pick < 0)
		error("no host '%s' in collection %lld of '%s'", host, c->collection, db_name(db));
	return pick < 0 ? -1 : pick;
}

/*
 * What a reading command shows: snapshot scan when given; else, in a database holding
 * collections, the latest one (only host's snapshot in it, with host); else the latest
 * snapshot.  0, or -1 after one line.
 */
int db_load_view(sqlite3 *db, long long scan, const char *host, struct topo *t)
{
	long long cid = scan ? 0 : db_latest_collection(db);
	struct topo c;
	long pick = -1;
	int rc;

	if (cid < 0)
		return -1;
	if (!cid && host)
		return error("'%s' holds no collection of hosts (see 'vethmap merge'): --host "
			     "needs one", db_name(db));
	if (!cid)
		return db_load(db, scan, t);
	topo_init(&c);
	rc = db_load_cluster(db, cid, &c);
	if (rc || !host) {
		if (!rc) {	/* the whole cluster */
			*t = c;
			return 0;
		}
		topo_release(&c);
		return -1;
	}
	pick = db_cluster_host(db, &c, host);
	if (pick < 0) {
		topo_release(&c);
		return -1;
	}
	{
		struct host keep = c.hosts[pick];

		topo_release(&c);
		rc = db_load(db, keep.scan_id, t);
		if (!rc) {
			size_t h = topo_add_host(t, keep.name, keep.machine_id);

			t->hosts[h] = keep;
			for (size_t ns = 0; ns < t->nns; ns++)
				t->ns[ns].host = h;
			rc = load_xunresolved(db, cid, keep.scan_id, t);
		}
	}
	return rc;
}
