/*
 * db_snapshot.c implements a snapshot's rows: db_store() writes a struct topo as a new
 * snapshot in one transaction, db_load() reads one back (files of every schema version,
 * each read as it is), and the lookups of snapshot ids.  A snapshot whose rows equal, one
 * by one in the order they are written, those of the snapshot before it is stored as its
 * scan row alone, scan.same_as naming the snapshot that holds the rows (never itself such
 * a reference), and read back through it.  The comparison is of images: every value of
 * every row, made in memory before anything is written, against the image the snapshot
 * holding the rows left (snapshot_image).  Processes come and go on a quiet host: they
 * have an image of their own; when only they changed, the reference keeps its own
 * (scan_pid, own_pids), so every snapshot reads back exactly as it was scanned.  The file
 * itself, its schema and the statement helpers are db.c's.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "db_int.h"

static unsigned via_parse(const char *s)
{
	unsigned via = 0;

	for (int i = 0; i < VIA_COUNT; i++) {
		size_t n = strlen(via_names[i]);

		for (const char *p = s; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
			if (!strncmp(p, via_names[i], n) && (p[n] == ',' || !p[n]))
				via |= 1u << i;
	}
	return via;
}

enum { S_SCAN, S_NS, S_NAME, S_PID, S_IF, S_ADDR, S_EDGE, S_UNRES, S_CTR, S_MOUNT, S_ROUTE,
       S_TAP, S_TUN, S_FDB, S_PEER,
       S_COUNT };

static const char *const insert_sql[S_COUNT] = {
	"INSERT INTO main.scan (host, started, duration_ms, n_netns, n_ifaces, n_edges, n_unresolved,"
	" version, incomplete, missed, incomplete_reason, names_dropped, mount_lines_dropped,"
	" mounts_skipped, lookup_timeouts, machine_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO netns (scan_id, inode, dev, is_host, via, dump_error, names_dropped,"
	" forward4, forward6, userns, owner_uid, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO netns_name VALUES (?,?,?)",
	"INSERT INTO netns_pid VALUES (?,?,?)",
	"INSERT INTO iface VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO addr VALUES (?,?,?,?,?)",
	"INSERT INTO edge VALUES (?,?,?,?,?,?,?)",
	"INSERT INTO unresolved VALUES (?,?,?,?)",
	"INSERT INTO container (" CTR_COLS ", node) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO netns_mount VALUES (?,?,?,?,?,?)",
	"INSERT INTO route VALUES (?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO tap_holder VALUES (?,?,?,?,?,?,?,?,?)",
	"INSERT INTO tunnel VALUES (?,?,?,?,?,?,?,?,?)",
	"INSERT INTO tunnel_fdb VALUES (?,?,?,?)",
	"INSERT INTO tunnel_peer VALUES (?,?,?,?,?)",
};

/* NULL for an empty string, so absent fields stay NULL in SQL. */
static const char *nz(const char *s)
{
	return *s ? s : NULL;
}

/*
 * Where a snapshot's rows go.  With st, into the database: each row bound to its INSERT,
 * stepped.  Without, into the snapshot's image: every row's values, one after the other
 * in the order they are written (a byte for the statement, then each value but the
 * scan_id, by type: 'n' NULL, 'i' eight bytes, 't' four bytes of length and the text),
 * the processes (netns_pid) apart.  Two snapshots whose images are equal byte for byte
 * write the same rows in the same order: the image is what db_store() compares.
 */
struct sink {
	sqlite3 *db;
	sqlite3_stmt **st;	/* NULL: the image */
	struct bytes {
		unsigned char *p;
		size_t n, cap;
	} rows, pids;
};

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (b->cap - b->n < n) {
		while (b->cap - b->n < n)
			b->cap = b->cap ? b->cap * 2 : 65536;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void image_int(struct bytes *b, long long v)
{
	unsigned char tag = 'i';

	bytes_add(b, &tag, 1);
	bytes_add(b, &v, sizeof(v));
}

static void image_text(struct bytes *b, const char *s)
{
	unsigned char tag = s ? 't' : 'n';
	uint32_t len = s ? (uint32_t)strlen(s) : 0;

	bytes_add(b, &tag, 1);
	if (s) {
		bytes_add(b, &len, sizeof(len));
		bytes_add(b, s, len);
	}
}

/*
 * One row of statement s: the values by types, as db_run() takes them ('i' int64, 'I'
 * int64 or NULL when negative, 's' text or NULL), and 'o': an int saying whether there is
 * a value, then the int64 (NULL when there is none).  The first value is the scan_id.
 * 0 or -1 (said).
 */
static int put(struct sink *k, int s, const char *types, ...)
{
	sqlite3_stmt *st = k->st ? k->st[s] : NULL;
	struct bytes *b = s == S_PID ? &k->pids : &k->rows;
	unsigned char tag = (unsigned char)s;
	va_list ap;
	int i = 1, rc;

	if (!st)
		bytes_add(b, &tag, 1);
	va_start(ap, types);
	for (const char *p = types; *p; p++, i++) {
		long long v;
		const char *str;
		int has = 1;

		if (*p == 's') {
			str = va_arg(ap, const char *);
			if (st && str)
				sqlite3_bind_text(st, i, str, -1, SQLITE_STATIC);
			else if (st)
				sqlite3_bind_null(st, i);
			else if (i > 1)
				image_text(b, str);
			continue;
		}
		if (*p == 'o')
			has = va_arg(ap, int);
		v = va_arg(ap, long long);
		if (*p == 'I')
			has = v >= 0;
		if (st && has)
			sqlite3_bind_int64(st, i, v);
		else if (st)
			sqlite3_bind_null(st, i);
		else if (i > 1 && has)
			image_int(b, v);
		else if (i > 1)
			image_text(b, NULL);
	}
	va_end(ap);
	if (!st)
		return 0;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_fail(k->db, "write to");
}

/* A tunnel device's row, and one per remote VTEP of its FDB. */
static int store_tunnel(struct sink *k, const struct iface *f, long long id, long long ino)
{
	const struct tunnel *u = &f->tun;
	char *copy, *save = NULL;
	int rc;

	rc = put(k, S_TUN, "iiiIIssIs", id, ino, (long long)f->ifindex, u->id, u->okey,
		 nz(u->local), nz(u->remote), u->port ? (long long)u->port : -1LL, nz(u->pubkey));
	if (!rc && u->fdb) {
		copy = xstrdup(u->fdb);
		for (char *w = strtok_r(copy, " ", &save); w && !rc; w = strtok_r(NULL, " ", &save))
			rc = put(k, S_FDB, "iiis", id, ino, (long long)f->ifindex, w);
		free(copy);
	}
	if (!rc && u->peers) {	/* wireguard: KEY@ENDPOINT each */
		copy = xstrdup(u->peers);
		for (char *w = strtok_r(copy, " ", &save); w && !rc; w = strtok_r(NULL, " ", &save)) {
			char *at = strchr(w, '@');

			if (at)
				*at++ = '\0';
			rc = put(k, S_PEER, "iiiss", id, ino, (long long)f->ifindex, w,
				 at && *at ? at : NULL);
		}
		free(copy);
	}
	return rc;
}

/* Routes: a row per next hop (nh 0, 1, ...), one row with no gateway for none. */
static int store_routes(struct sink *k, const struct topo *t, long long id)
{
	for (size_t i = 0; i < t->nroutes; i++) {
		const struct route *r = &t->routes[i];

		for (size_t h = 0; h < (r->nnh ? r->nnh : 1); h++)
			if (put(k, S_ROUTE, "iiiiissiso", id, (long long)t->ns[r->ns].ino,
				(long long)i, (long long)h, (long long)(r->family == AF_INET6 ? 6 : 4),
				r->dst, r->type, (long long)r->metric, r->nnh ? nz(r->nh[h].gw) : NULL,
				r->nnh && r->nh[h].oif, r->nnh ? (long long)r->nh[h].oif : 0LL))
				return -1;
	}
	return 0;
}

/* A namespace's row, and its mounts and names (its processes: store_pids()). */
static int store_netns(struct sink *k, const struct topo *t, size_t i, long long id)
{
	const struct netns *n = &t->ns[i];
	long long ino = (long long)n->ino;
	char via[64];

	topo_via_text(n->via, ",", via, sizeof(via));
	if (put(k, S_NS, "iiiisiiIIoIs", id, ino, (long long)n->dev, (long long)n->is_host, via,
		(long long)n->dump_error, (long long)n->names_dropped, (long long)n->fwd4,
		(long long)n->fwd6, n->userns != 0, (long long)n->userns,
		(long long)n->owner_uid, n->owner_uid >= 0 && *n->owner ? n->owner : NULL))
		return -1;
	for (size_t m = 0; m < n->nmounts; m++)
		if (put(k, S_MOUNT, "iisiii", id, ino, n->mounts[m].path,
			(long long)n->mounts[m].mntns, (long long)n->mounts[m].pid,
			(long long)n->mounts[m].host))
			return -1;
	for (size_t m = 0; m < n->names.n; m++)
		if (put(k, S_NAME, "iis", id, ino, n->names.v[m]))
			return -1;
	return 0;
}

/* Every namespace's processes, as statement s (netns_pid, or scan_pid of a reference). */
static int store_pids(struct sink *k, int s, const struct topo *t, long long id)
{
	for (size_t i = 0; i < t->nns; i++)
		for (size_t m = 0; m < t->ns[i].pids.n; m++)
			if (put(k, s, "iii", id, (long long)t->ns[i].ino, (long long)t->ns[i].pids.v[m]))
				return -1;
	return 0;
}

/* An interface's row, and its addresses. */
static int store_iface(struct sink *k, const struct topo *t, size_t i, long long id)
{
	const struct iface *f = &t->ifs[i];
	long long ino = (long long)t->ns[f->ns].ino;
	const struct iface *p = f->peer >= 0 ? &t->ifs[f->peer] : NULL;

	if (put(k, S_IF, "iiissssiiisioioooo", id, ino, (long long)f->ifindex, f->name, f->kind,
		nz(f->slave_kind), nz(f->mac), (long long)f->mtu, (long long)iface_up(f),
		(long long)f->flags, f->oper, (long long)f->promiscuity,
		f->master != 0, (long long)f->master, (long long)f->hairpin,
		f->link != 0, (long long)f->link,
		f->has_link_netnsid, (long long)f->link_netnsid,
		p != NULL, p ? (long long)t->ns[p->ns].ino : 0LL,
		p != NULL, p ? (long long)p->ifindex : 0LL))
		return -1;
	for (size_t a = 0; a < f->naddrs; a++)
		if (put(k, S_ADDR, "iiiis", id, ino, (long long)f->ifindex,
			(long long)(f->addrs[a].family == AF_INET6 ? 6 : 4), f->addrs[a].text))
			return -1;
	return f->tun.set ? store_tunnel(k, f, id, ino) : 0;
}

/* A tun/tap holder's row: its device's place only when it was placed. */
static int store_tap(struct sink *k, const struct tap_holder *h, long long id)
{
	int placed = h->netns && h->ifindex;

	return put(k, S_TAP, "ioosiisos", id, placed, (long long)h->netns, placed,
		   (long long)h->ifindex, h->ifname, (long long)h->tap, (long long)h->pid, h->comm,
		   h->holder_netns != 0, (long long)h->holder_netns, nz(h->reason));
}

/* Every row of t but the scan's own, as snapshot id (0 for an image), in one order. */
static int store_rows(struct sink *k, const struct topo *t, long long id)
{
	for (size_t i = 0; i < t->nns; i++)
		if (store_netns(k, t, i, id))
			return -1;
	if (store_pids(k, S_PID, t, id))
		return -1;
	for (size_t i = 0; i < t->nifs; i++)
		if (store_iface(k, t, i, id))
			return -1;
	for (size_t i = 0; i < t->nedges; i++) {
		const struct iface *a = &t->ifs[t->edges[i].a], *b = &t->ifs[t->edges[i].b];

		if (put(k, S_EDGE, "iisiiii", id, (long long)i + 1, edge_type_names[t->edges[i].type],
			(long long)t->ns[a->ns].ino, (long long)a->ifindex, (long long)t->ns[b->ns].ino,
			(long long)b->ifindex))
			return -1;
	}
	for (size_t i = 0; i < t->nunres; i++) {
		const struct iface *f = &t->ifs[t->unres[i].ifc];

		if (put(k, S_UNRES, "iiis", id, (long long)t->ns[f->ns].ino, (long long)f->ifindex,
			t->unres[i].reason))
			return -1;
	}
	if (store_routes(k, t, id))
		return -1;
	for (size_t i = 0; i < t->ntaps; i++)
		if (store_tap(k, &t->taps[i], id))
			return -1;
	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];

		if (c->ns < 0)
			continue;
		if (put(k, S_CTR, "iisssissssssiiiIss", id, (long long)t->ns[c->ns].ino, c->engine,
			c->id, c->name, (long long)c->pid, nz(c->image), nz(c->pod), nz(c->pod_ns),
			nz(c->compose), nz(c->netmode), nz(c->cns), (long long)c->sandbox,
			(long long)c->host_net, (long long)c->verified, (long long)c->owner_uid,
			c->owner_uid >= 0 ? c->owner : NULL, c->node))
			return -1;
	}
	return 0;
}

int db_snapshot_tables(sqlite3 *db, struct strv *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT m.name FROM main.sqlite_master m WHERE m.type = 'table'"
			       " AND m.name NOT IN ('scan', 'capture') AND m.name NOT LIKE 'sqlite_%'"
			       " AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c"
			       " WHERE c.name = 'scan_id') ORDER BY m.name", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strv_add(out, db_col(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "read");
}

long long db_rows_of(sqlite3 *db, long long id)
{
	sqlite3_stmt *st;
	long long base = id;
	int rc;

	if (db_version(db) < 9)
		return id;
	if (sqlite3_prepare_v2(db, "SELECT same_as FROM scan WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		base = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? base : db_fail(db, "read");
}

#define IMAGE_FORMAT "vethmap snapshot image 1, " VETHMAP_VERSION	/* its first bytes */

/* Is column col of st's row these bytes, exactly? */
static int same_bytes(sqlite3_stmt *st, int col, const struct bytes *b)
{
	const void *p = sqlite3_column_blob(st, col);

	return p && (size_t)sqlite3_column_bytes(st, col) == b->n && !memcmp(p, b->p, b->n);
}

/*
 * Is the stored image of snapshot base's rows k's?  1 when it is (*pids_eq says whether
 * the processes are too), 0 when not or when none is stored, -1 on error (said).
 */
static int image_equal(sqlite3 *db, long long base, const struct sink *k, int *pids_eq)
{
	sqlite3_stmt *st;
	int rc, eq = 0;

	if (db_prep(db, &st, "SELECT rows, pids FROM snapshot_image WHERE rows_of = ?1"))
		return -1;
	sqlite3_bind_int64(st, 1, base);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		eq = same_bytes(st, 0, &k->rows);
		*pids_eq = same_bytes(st, 1, &k->pids);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, "read");
	return eq;
}

/* k's image as the one the next snapshot is compared with (snapshot id's); 0 or -1. */
static int image_keep(sqlite3 *db, long long id, const struct sink *k)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_exec(db, "DELETE FROM snapshot_image", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "write to");
	if (db_prep(db, &st, "INSERT INTO snapshot_image (rows_of, rows, pids) VALUES (?1, ?2, ?3)"))
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, k->rows.p, (int)k->rows.n, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, k->pids.p, (int)k->pids.n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "write to");
}

/*
 * Write t as a new snapshot in one transaction (with the events ev[0..nev) of its batch,
 * when given: db_event.c); sets and returns t->scan_id, or -1 with
 * nothing written.  Its image is made first (no SQL: a pass over t); equal to the stored
 * image of the latest snapshot's rows, the new snapshot is stored as a reference to them
 * (t->same_as says which), with its own processes when only those differ.  Else its rows
 * are written, and its image kept for the next one.  No image stored (a file older than
 * version 10, or its latest snapshot written by another version): rows of its own, never
 * a reference by guess.
 */
static long long store(sqlite3 *db, struct topo *t, const struct event_line *ev, size_t nev)
{
	struct sink k = { .db = db };
	sqlite3_stmt *st[S_COUNT] = { 0 };
	long long id = -1, base = 0;
	/*
	 * Inside the caller's transaction (vethmap merge: several hosts' snapshots at once),
	 * the snapshot is written with its rows, never as a reference to the one before
	 * (another host's), and no image is kept; the caller commits or rolls back.
	 */
	int outer = !sqlite3_get_autocommit(db);
	int eq = 0, pids_eq = 0, ok = 0, images = db_version(db) >= 10 && !outer;

	if (!outer && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "start a transaction in");
		return -1;
	}
	if (images) {
		bytes_add(&k.rows, IMAGE_FORMAT, sizeof(IMAGE_FORMAT));
		bytes_add(&k.pids, IMAGE_FORMAT, sizeof(IMAGE_FORMAT));
		store_rows(&k, t, 0);	/* into the image: cannot fail */
		base = db_latest(db);
		if (base > 0)
			base = db_rows_of(db, base);
		if (base < 0 || (base > 0 && (eq = image_equal(db, base, &k, &pids_eq)) < 0))
			goto out;
	}
	for (int i = 0; i < S_COUNT; i++)
		if (db_prep(db, &st[i], i == S_PID && eq ? "INSERT INTO scan_pid VALUES (?,?,?)" :
			    insert_sql[i]))
			goto out;
	if (db_run(db, st[S_SCAN], "ssdiiiisiisiiiis", t->host, t->started, t->duration_ms,
		(long long)t->nns, (long long)t->nifs, (long long)t->nedges, (long long)t->nunres,
		VETHMAP_VERSION, (long long)topo_incomplete(t), (long long)t->missed,
		t->incomplete_reason[0] ? t->incomplete_reason : NULL, (long long)t->names_dropped,
		(long long)t->mount_lines_dropped, (long long)t->mounts_skipped,
		(long long)t->lookup_timeouts, nz(t->machine_id)))
		goto out;
	id = sqlite3_last_insert_rowid(db);
	k.st = st;
	if (eq) {
		sqlite3_stmt *ref;

		if (db_prep(db, &ref, "UPDATE scan SET same_as = ?1, own_pids = ?2 WHERE id = ?3") ||
		    db_run(db, ref, "iii", base, (long long)!pids_eq, id)) {
			sqlite3_finalize(ref);
			goto out;
		}
		sqlite3_finalize(ref);
		if (!pids_eq && store_pids(&k, S_PID, t, id))	/* into scan_pid */
			goto out;
	} else if (store_rows(&k, t, id) || (images && image_keep(db, id, &k))) {
		goto out;
	}
	if (nev && db_event_rows(db, id, ev, nev))
		goto out;
	if (!outer && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "commit to");
		goto out;
	}
	ok = 1;
out:
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st[i]);
	free(k.rows.p);
	free(k.pids.p);
	if (!ok) {
		if (!outer)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	t->same_as = eq ? base : 0;
	t->scan_id = id;
	return id;
}

long long db_store(sqlite3 *db, struct topo *t)
{
	return store(db, t, NULL, 0);
}

/* As db_store, with the event rows of the batch t ends in the same transaction. */
long long db_store_events(sqlite3 *db, struct topo *t, const struct event_line *v, size_t n)
{
	return store(db, t, v, n);
}

long long db_latest(sqlite3 *db)
{
	long long id = 0;

	if (db_query_int(db, "SELECT coalesce(max(id), 0) FROM scan", &id) != SQLITE_OK)
		return db_fail(db, "read");
	return id;
}

/* The id of the snapshot before id, 0 when there is none, -1 on error. */
long long db_scan_before(sqlite3 *db, long long id)
{
	sqlite3_stmt *st;
	long long prev = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM scan WHERE id < ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		prev = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return prev < 0 ? db_fail(db, "read") : prev;
}

/*
 * The snapshot that was the newest at moment iso (as db_store writes 'started'): the last
 * one started at or before it, 0 when there is none, -1 on error.
 */
long long db_scan_at(sqlite3 *db, const char *iso)
{
	sqlite3_stmt *st;
	long long id = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce((SELECT id FROM scan WHERE started <= ?1 "
			       "ORDER BY started DESC, id DESC LIMIT 1), 0)", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_text(st, 1, iso, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id < 0 ? db_fail(db, "read") : id;
}

/* The ids of the last n scans, newest first, into ids; how many there are, -1 on error. */
int db_last_scans(sqlite3 *db, long long *ids, int n)
{
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, k = 0;

	if (sqlite3_prepare_v2(db, "SELECT id FROM scan ORDER BY id DESC LIMIT ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int(st, 1, n);
	while (k < n && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[k++] = sqlite3_column_int64(st, 0);
	if (k < n && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return db_fail(db, "read");
	}
	sqlite3_finalize(st);
	return k;
}

static int cmp_host_first(const void *a, const void *b, void *ctx)
{
	const struct topo *t = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int hx = t->ns[x].is_host, hy = t->ns[y].is_host;

	if (hx != hy)
		return hx > hy ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Namespaces come by inode (the table's key: no sort in SQLite); the host's go first,
 * the others keeping their order, as "ORDER BY is_host DESC, inode" gave them.
 */
static void hosts_first(struct topo *t)
{
	size_t i = 1, *order;
	struct netns *v;

	while (i < t->nns && t->ns[i].is_host <= t->ns[i - 1].is_host)
		i++;
	if (i >= t->nns)
		return;	/* already so: one host, first (the usual case) */
	order = index_sorted(t->nns, cmp_host_first, t);
	v = xmalloc(t->nns * sizeof(*v));
	for (size_t k = 0; k < t->nns; k++)
		v[k] = t->ns[order[k]];
	memcpy(t->ns, v, t->nns * sizeof(*v));
	free(v);
	free(order);
}

/* Namespaces are sorted host first, then by inode: find one by inode. */
static long ns_by_inode(const struct topo *t, long long ino)
{
	size_t lo, hi;

	if (t->nns && t->ns[0].is_host && (long long)t->ns[0].ino == ino)
		return 0;
	lo = t->nns && t->ns[0].is_host ? 1 : 0;
	hi = t->nns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((long long)t->ns[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nns && (long long)t->ns[lo].ino == ino ? (long)lo : -1;
}

static long if_by_key(const struct topo *t, long long ino, long long ifindex)
{
	long ns = ns_by_inode(t, ino);

	return ns < 0 ? -1 : topo_find_iface(t, (size_t)ns, (int)ifindex);
}

/* Row of query 0: a namespace. */
static void row_netns(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	ns = (long)topo_add_ns(t, (uint64_t)sqlite3_column_int64(st, 1), (uint64_t)ino);
	t->ns[ns].is_host = sqlite3_column_int(st, 2);
	t->ns[ns].via = via_parse(db_col(st, 3));
	t->ns[ns].dump_error = sqlite3_column_int(st, 4);
	t->ns[ns].names_dropped = (unsigned long)sqlite3_column_int64(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		t->ns[ns].fwd4 = sqlite3_column_int(st, 6) != 0;
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		t->ns[ns].fwd6 = sqlite3_column_int(st, 7) != 0;
	t->ns[ns].userns = (uint64_t)sqlite3_column_int64(st, 8);
	if (sqlite3_column_type(st, 9) != SQLITE_NULL)
		t->ns[ns].owner_uid = sqlite3_column_int64(st, 9);
	copy_str(t->ns[ns].owner, sizeof(t->ns[ns].owner), db_col(st, 10));
}

/* Row of query 9: a route's next hop; next hop 0 starts the route. */
static void row_route(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	struct route *r = t->nroutes ? &t->routes[t->nroutes - 1] : NULL;
	int nh = sqlite3_column_int(st, 2);

	(void)ino;
	if (ns < 0)
		return;
	if (!nh || !r || r->ns != (size_t)ns) {
		r = topo_add_route(t, (size_t)ns);
		r->family = sqlite3_column_int(st, 3) == 6 ? AF_INET6 : AF_INET;
		copy_str(r->dst, sizeof(r->dst), db_col(st, 4));
		copy_str(r->type, sizeof(r->type), db_col(st, 5));
		r->metric = (unsigned)sqlite3_column_int64(st, 6);
	}
	if ((sqlite3_column_type(st, 7) == SQLITE_NULL && sqlite3_column_type(st, 8) == SQLITE_NULL) ||
	    r->nnh == ROUTE_NH_MAX)
		return;
	copy_str(r->nh[r->nnh].gw, sizeof(r->nh[0].gw), db_col(st, 7));
	r->nh[r->nnh++].oif = sqlite3_column_int(st, 8);
}

/* Row of query 1: one of its names. */
static void row_name(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	(void)ino;
	if (ns >= 0)
		strv_add(&t->ns[ns].names, db_col(st, 1));
}

/* Row of query 2: one of its processes. */
static void row_pid(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	(void)ino;
	if (ns >= 0)
		intv_add(&t->ns[ns].pids, sqlite3_column_int(st, 1));
}

/* Row of query 3: an interface. */
static void row_iface(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	struct iface *f;

	(void)ino;
	if (ns < 0)
		return;
	f = topo_add_iface(t, (size_t)ns);
	f->ifindex = sqlite3_column_int(st, 1);
	copy_str(f->name, sizeof(f->name), db_col(st, 2));
	copy_str(f->kind, sizeof(f->kind), db_col(st, 3));
	copy_str(f->slave_kind, sizeof(f->slave_kind), db_col(st, 4));
	copy_str(f->mac, sizeof(f->mac), db_col(st, 5));
	f->mtu = (unsigned)sqlite3_column_int64(st, 6);
	f->flags = (unsigned)sqlite3_column_int64(st, 7);
	copy_str(f->oper, sizeof(f->oper), db_col(st, 8));
	f->promiscuity = (unsigned)sqlite3_column_int64(st, 9);
	f->master = sqlite3_column_int(st, 10);
	f->link = sqlite3_column_int(st, 11);
	f->has_link_netnsid = sqlite3_column_type(st, 12) != SQLITE_NULL;
	f->link_netnsid = sqlite3_column_int(st, 12);
	f->hairpin = sqlite3_column_int(st, 13);
}

/* Row of query 4: an address. */
static void row_addr(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long a;

	(void)ino;
	a = ns < 0 ? -1 : topo_find_iface(t, (size_t)ns, sqlite3_column_int(st, 1));
	if (a >= 0) {
		const char *text = db_col(st, 3), *slash = strrchr(text, '/');

		iface_add_addr(&t->ifs[a], sqlite3_column_int(st, 2) == 6 ?
			       AF_INET6 : AF_INET, slash ? atoi(slash + 1) : 0, text);
	}
}

/* Row of query 5: an edge. */
static void row_edge(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long a, b;

	(void)ino; (void)ns;
	const char *type = db_col(st, 0);
	enum edge_type et = EDGE_VETH;

	for (int k = 0; k <= EDGE_LOWER; k++)
		if (!strcmp(type, edge_type_names[k]))
			et = (enum edge_type)k;
	a = if_by_key(t, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
	b = if_by_key(t, sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
	if (a < 0 || b < 0)
		return;
	topo_add_edge(t, et, (size_t)a, (size_t)b);
	if (et == EDGE_VETH) {
		t->ifs[a].peer = b;
		t->ifs[b].peer = a;
	}
}

/* Row of query 6: an unresolved end. */
static void row_unres(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long a;

	(void)ino;
	a = ns < 0 ? -1 : topo_find_iface(t, (size_t)ns, sqlite3_column_int(st, 1));
	if (a >= 0)
		topo_add_unresolved(t, (size_t)a, "%s", db_col(st, 2));
}

/* Row of query 7: a container. */
static void row_ctr(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	struct container *c;

	(void)ino;
	if (ns < 0)
		return;
	c = topo_add_container(t, db_col(st, 1), db_col(st, 2));
	c->ns = ns;
	copy_str(c->name, sizeof(c->name), db_col(st, 3));
	c->pid = sqlite3_column_int(st, 4);
	for (size_t k = 0; k < CTR_FIELDS; k++)	/* columns 5..10, named as the fields */
		ctr_field_set(c, k, db_col(st, 5 + (int)k));
	c->sandbox = sqlite3_column_int(st, 11);
	c->host_net = sqlite3_column_int(st, 12);
	c->verified = sqlite3_column_int(st, 13);
	if (sqlite3_column_type(st, 14) == SQLITE_INTEGER && sqlite3_column_int64(st, 14) >= 0) {
		c->owner_uid = (long)sqlite3_column_int64(st, 14);
		copy_str(c->owner, sizeof(c->owner), db_col(st, 15));
	}
	copy_str(c->node, sizeof(c->node), db_col(st, 16));
}

/* Row of query 8: where a name comes from. */
static void row_mount(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	struct netns *n;
	struct nsmount *m;

	(void)ino;
	if (ns < 0)
		return;
	/* the names were loaded from netns_name: only where they come from */
	n = &t->ns[ns];
	n->mounts = grow(n->mounts, &n->mounts_alloc, n->nmounts + 1,
			 sizeof(*n->mounts));
	m = &n->mounts[n->nmounts++];
	m->path = xstrdup(db_col(st, 1));
	m->mntns = (uint64_t)sqlite3_column_int64(st, 2);
	m->pid = sqlite3_column_int(st, 3);
	m->host = sqlite3_column_int(st, 4);
}

/* Row of query 10: a tun/tap holder. */
static void row_tap(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	struct tap_holder *h = topo_add_tap(t);

	(void)ns;
	h->netns = (uint64_t)ino;
	h->ifindex = sqlite3_column_int(st, 1);
	copy_str(h->ifname, sizeof(h->ifname), db_col(st, 2));
	h->tap = sqlite3_column_int(st, 3);
	h->pid = sqlite3_column_int(st, 4);
	copy_str(h->comm, sizeof(h->comm), db_col(st, 5));
	h->holder_netns = (uint64_t)sqlite3_column_int64(st, 6);
	copy_str(h->reason, sizeof(h->reason), db_col(st, 7));
}

/* Row of query 11: a tunnel device's endpoints. */
static void row_tunnel(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long i = ns < 0 ? -1 : topo_find_iface(t, (size_t)ns, sqlite3_column_int(st, 1));
	struct tunnel *u;

	(void)ino;
	if (i < 0)
		return;
	u = &t->ifs[i].tun;
	u->set = 1;
	u->id = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
	u->okey = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
	copy_str(u->local, sizeof(u->local), db_col(st, 4));
	copy_str(u->remote, sizeof(u->remote), db_col(st, 5));
	u->port = (unsigned)sqlite3_column_int64(st, 6);
	copy_str(u->pubkey, sizeof(u->pubkey), db_col(st, 7));
}

/* Row of query 13: a wireguard peer (in the order written). */
static void row_peer(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long i = ns < 0 ? -1 : topo_find_iface(t, (size_t)ns, sqlite3_column_int(st, 1));
	const char *k = db_col(st, 2), *e = db_col(st, 3);
	char *w;

	(void)ino;
	if (i < 0 || !*k || strpbrk(k, " @") || strchr(e, ' ') || t->ifs[i].tun.npeers >= WG_PEERS_MAX)
		return;
	if (asprintf(&w, "%s@%s", k, e) < 0)
		die("out of memory");
	words_append(&t->ifs[i].tun.peers, &t->ifs[i].tun.npeers, w);
	free(w);
}

/* Row of query 12: a remote VTEP of a vxlan's FDB (in order: appended). */
static void row_fdb(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long i = ns < 0 ? -1 : topo_find_iface(t, (size_t)ns, sqlite3_column_int(st, 1));
	const char *r = db_col(st, 2);

	(void)ino;
	if (i >= 0 && *r && !strchr(r, ' ') && t->ifs[i].tun.nfdb < TUN_FDB_MAX)
		words_append(&t->ifs[i].tun.fdb, &t->ifs[i].tun.nfdb, r);
}

static int load_rows(sqlite3 *db, long long id, long long own, struct topo *t, long long ver)
{
	int v2 = ver >= 2, v4 = ver >= 4, v5 = ver >= 5, v8 = ver >= 8, v11 = ver >= 11;
	const char *sql[] = {
		v5 ? "SELECT inode, dev, is_host, via, dump_error, names_dropped, forward4, forward6,"
		     " userns, owner_uid, owner FROM netns WHERE scan_id=?1 ORDER BY inode"
		   : v4 ? "SELECT inode, dev, is_host, via, dump_error, names_dropped, forward4, forward6,"
			  " NULL, NULL, NULL FROM netns WHERE scan_id=?1 ORDER BY inode"
		   : v2 ? "SELECT inode, dev, is_host, via, dump_error, names_dropped, NULL, NULL, NULL,"
			  " NULL, NULL FROM netns WHERE scan_id=?1 ORDER BY inode"
		   : "SELECT inode, dev, is_host, via, 0, 0, NULL, NULL, NULL, NULL, NULL FROM netns"
		     " WHERE scan_id=?1 ORDER BY inode",
		"SELECT inode, name FROM netns_name WHERE scan_id=?1 ORDER BY inode, name",
		own ? "SELECT inode, pid FROM scan_pid WHERE scan_id=?2 ORDER BY inode, pid"
		    : "SELECT inode, pid FROM netns_pid WHERE scan_id=?1 ORDER BY inode, pid",
		"SELECT netns, ifindex, name, kind, slave_kind, mac, mtu, flags, oper, promiscuity,"
		" master, link, link_netnsid, hairpin FROM iface WHERE scan_id=?1",
		"SELECT netns, ifindex, family, address FROM addr WHERE scan_id=?1"
		" ORDER BY netns, ifindex, rowid",
		"SELECT type, a_netns, a_ifindex, b_netns, b_ifindex FROM edge WHERE scan_id=?1 ORDER BY id",
		"SELECT netns, ifindex, reason FROM unresolved WHERE scan_id=?1 ORDER BY rowid",
		"SELECT netns, engine, id, name, pid, image, pod, pod_namespace, compose_project,"
		" network_mode, containerd_namespace, sandbox, host_network, verified, owner_uid,"
		" owner, node FROM container WHERE scan_id=?1 ORDER BY name, id",
		v2 ? "SELECT inode, path, mntns, pid, host FROM netns_mount WHERE scan_id=?1"
		     " ORDER BY inode, rowid"
		   : "SELECT 0 WHERE 0",
		v4 ? "SELECT inode, route, nh, family, dst, type, metric, gateway, ifindex FROM route"
		     " WHERE scan_id=?1 ORDER BY route, nh"
		   : "SELECT 0 WHERE 0",
		v5 ? "SELECT coalesce(netns, 0), coalesce(ifindex, 0), ifname, tap, pid, comm,"
		     " coalesce(holder_netns, 0), reason FROM tap_holder WHERE scan_id=?1 ORDER BY rowid"
		   : "SELECT 0 WHERE 0",
		v11 ? "SELECT netns, ifindex, id, okey, local, remote, port, public_key FROM tunnel"
		      " WHERE scan_id=?1"
		: v8 ? "SELECT netns, ifindex, id, okey, local, remote, port, NULL FROM tunnel"
		       " WHERE scan_id=?1"
		   : "SELECT 0 WHERE 0",
		v8 ? "SELECT netns, ifindex, remote FROM tunnel_fdb WHERE scan_id=?1"
		     " ORDER BY netns, ifindex, remote"
		   : "SELECT 0 WHERE 0",
		v11 ? "SELECT netns, ifindex, public_key, endpoint FROM tunnel_peer WHERE scan_id=?1"
		      " ORDER BY netns, ifindex, rowid"
		    : "SELECT 0 WHERE 0",
	};
	/* a version 1 file, read as it is: its containers are not verified */
	static const char ctr_v1[] =
		"SELECT netns, engine, id, name, pid, image, pod, pod_namespace, compose_project,"
		" network_mode, containerd_namespace, sandbox, host_network, 0, NULL, NULL, ''"
		" FROM container WHERE scan_id=?1 ORDER BY name, id";
	/* versions 3 to 5: no owners, no nodes */
	static const char ctr_v5[] =
		"SELECT netns, engine, id, name, pid, image, pod, pod_namespace, compose_project,"
		" network_mode, containerd_namespace, sandbox, host_network, verified, NULL, NULL, ''"
		" FROM container WHERE scan_id=?1 ORDER BY name, id";
	/* version 6: owners, no nodes */
	static const char ctr_v6[] =
		"SELECT netns, engine, id, name, pid, image, pod, pod_namespace, compose_project,"
		" network_mode, containerd_namespace, sandbox, host_network, verified, owner_uid, owner,"
		" '' FROM container WHERE scan_id=?1 ORDER BY name, id";
	static void (*const rows[])(struct topo *, sqlite3_stmt *, long long, long) = {
			row_netns, row_name, row_pid, row_iface, row_addr, row_edge, row_unres, row_ctr,
			row_mount, row_route, row_tap, row_tunnel, row_fdb, row_peer,
		};
	sqlite3_stmt *st = NULL;
	long long last_ino;
	long last_ns = -1;
	int rc = 0;

	for (size_t q = 0; q < sizeof(sql) / sizeof(sql[0]) && !rc; q++) {
		const char *q_sql = q != 7 ? sql[q] : ver < 3 ? ctr_v1 : ver < 6 ? ctr_v5 :
				    ver < 7 ? ctr_v6 : sql[q];

		if (sqlite3_prepare_v2(db, q_sql, -1, &st, NULL) != SQLITE_OK)
			return db_fail(db, "read");
		sqlite3_bind_int64(st, 1, id);
		last_ino = -1;
		if (own)
			sqlite3_bind_int64(st, 2, own);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long ino = sqlite3_column_int64(st, 0);

			if (q && ino != last_ino) {	/* a namespace's rows mostly come together */
				last_ns = ns_by_inode(t, ino);
				last_ino = ino;
			}
			rows[q](t, st, ino, q ? last_ns : -1);
		}
		sqlite3_finalize(st);
		rc = rc == SQLITE_DONE ? 0 : db_fail(db, "read");
		if (q == 0 && !rc)
			hosts_first(t);
		if (q == 3 && !rc)
			topo_sort(t);	/* interfaces by (ns, ifindex) before anything looks them up */
	}
	topo_sort_routes(t);
	return rc;
}

/* Is the snapshot that unchanged snapshot id refers to gone (said, -1), or there (0)? */
static int db_rows_gone(sqlite3 *db, long long id, long long base)
{
	char sql[96];
	long long there = 0;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM scan WHERE id = %lld", base);
	if (db_query_int(db, sql, &there) != SQLITE_OK)
		return db_fail(db, "read");
	if (!there)
		return error("scan %lld in '%s' is unchanged from scan %lld, which is gone", id,
			     db_name(db), base);
	return 0;
}

/* Load snapshot id (0 = the latest) into an empty t.  -1 with a message when absent. */
int db_load(sqlite3 *db, long long id, struct topo *t)
{
	sqlite3_stmt *st;
	long long own = 0;
	int rc, v2;

	if (!id) {
		id = db_latest(db);
		if (id < 0)
			return -1;
		if (!id) {
			error("'%s' holds no scans yet: run 'vethmap scan' first", db_name(db));
			return -1;
		}
	}
	v2 = db_version(db) >= 2;
	if (sqlite3_prepare_v2(db, db_version(db) >= 11 ? "SELECT host, started, duration_ms, missed,"
			       " incomplete_reason, names_dropped, mount_lines_dropped, mounts_skipped,"
			       " lookup_timeouts, incomplete, coalesce(same_as, 0), own_pids, machine_id"
			       " FROM scan WHERE id=?"
			       : db_version(db) >= 9 ? "SELECT host, started, duration_ms, missed,"
			       " incomplete_reason, names_dropped, mount_lines_dropped, mounts_skipped,"
			       " lookup_timeouts, incomplete, coalesce(same_as, 0), own_pids, NULL FROM scan"
			       " WHERE id=?"
			       : v2 ? "SELECT host, started, duration_ms, missed, incomplete_reason,"
			       " names_dropped, mount_lines_dropped, mounts_skipped, lookup_timeouts,"
			       " incomplete, 0, 0, NULL FROM scan WHERE id=?"
			       : "SELECT host, started, duration_ms, 0, NULL, 0, 0, 0, 0, 0, 0, 0, NULL FROM"
			       " scan WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_str(t->host, sizeof(t->host), db_col(st, 0));
		copy_str(t->started, sizeof(t->started), db_col(st, 1));
		t->duration_ms = sqlite3_column_double(st, 2);
		t->missed = (unsigned long)sqlite3_column_int64(st, 3);
		copy_str(t->incomplete_reason, sizeof(t->incomplete_reason), db_col(st, 4));
		t->names_dropped = (unsigned long)sqlite3_column_int64(st, 5);
		t->mount_lines_dropped = (unsigned long)sqlite3_column_int64(st, 6);
		t->mounts_skipped = (unsigned long)sqlite3_column_int64(st, 7);
		t->lookup_timeouts = (unsigned long)sqlite3_column_int64(st, 8);
		if (sqlite3_column_int(st, 9) && !topo_incomplete(t))
			copy_str(t->incomplete_reason, sizeof(t->incomplete_reason), "incomplete");
		t->same_as = sqlite3_column_int64(st, 10);
		if (t->same_as > 0 && sqlite3_column_int(st, 11))
			own = id;	/* its processes are its own */
		if (machine_id_ok(db_col(st, 12)))
			copy_str(t->machine_id, sizeof(t->machine_id), db_col(st, 12));
		t->scan_id = id;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		error("no scan %lld in '%s'", id, db_name(db));
		return -1;
	}
	if (rc != SQLITE_ROW)
		return db_fail(db, "read");
	if (t->same_as > 0 && db_rows_gone(db, id, t->same_as))
		return -1;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	/* stored as unchanged: its own scan row, the rows of the snapshot it refers to */
	rc = load_rows(db, t->same_as > 0 ? t->same_as : id, own, t, db_version(db));
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
