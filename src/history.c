/*
 * history.c implements the rebuilding of a moment whose snapshot watch's thinning
 * deleted (--at TIME, diff --since TIME): the checkpoint before it (the stored snapshot
 * db_state_at names) as its scan JSON, each event after it up to the moment applied to
 * that document in order, and the document read back as a struct topo (json_load_text).
 * An event carries the object as it was after it (event.state, as the scan JSON has it;
 * for a container, its namespace): history_apply() replaces or removes that object by
 * its identity as diff matches it (a namespace by inode, an interface by namespace and
 * name, an edge by type and ends, a container by engine and id), with SQLite's JSON
 * functions on an in-memory connection, as json_load.c reads scan JSON.  What no event
 * tells (a namespace's processes and how it was found, a route, an unresolved end)
 * stays as the checkpoint or the last event on its object had it, but an edge or an
 * unresolved end naming an interface that is gone goes with it.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

/*
 * The document taken apart into tables keyed as diff matches objects (?1 the document),
 * so that each event is a delete and an insert by index, whatever the host's size.
 */
static const char setup_sql[] =
	"CREATE TABLE ns (inode INTEGER, v TEXT NOT NULL);"
	"CREATE INDEX ns_key ON ns (inode);"
	"CREATE TABLE ifs (netns INTEGER, name TEXT, ifindex INTEGER, v TEXT NOT NULL);"
	"CREATE INDEX ifs_key ON ifs (netns, name); CREATE INDEX ifs_ix ON ifs (netns, ifindex);"
	"CREATE TABLE edges (type TEXT, an INTEGER, aname TEXT, bn INTEGER, bname TEXT,"
	" v TEXT NOT NULL);"
	"CREATE INDEX edges_key ON edges (an, aname, bn, bname);";
static const char *const load_sql[] = {
	"INSERT INTO ns SELECT value ->> 'inode', json(value) FROM json_each(?1, '$.netns')"
	" ORDER BY key",
	"INSERT INTO ifs SELECT value ->> 'netns', value ->> 'name', value ->> 'ifindex',"
	" json(value) FROM json_each(?1, '$.interfaces') ORDER BY key",
	"INSERT INTO edges SELECT value ->> 'type', value -> 'a' ->> 'netns', value -> 'a' ->>"
	" 'name', value -> 'b' ->> 'netns', value -> 'b' ->> 'name', json(value)"
	" FROM json_each(?1, '$.edges') ORDER BY key",
};

/* Per event, by type and op: ?1 the event's JSON line, ?2 its state (or NULL). */
enum { A_NS_DEL, A_NS_ADD, A_IF_DEL, A_IF_ADD, A_EDGE_DEL, A_EDGE_ADD, A_CTR_SET, A_CTR_DEL,
       A_COUNT };
static const char *const apply_sql[A_COUNT] = {
	"DELETE FROM ns WHERE inode IS ?1 ->> 'inode'",
	"INSERT INTO ns SELECT ?2 ->> 'inode', json(?2) WHERE ?2 IS NOT NULL",
	"DELETE FROM ifs WHERE netns IS ?1 ->> 'netns' AND name IS ?1 ->> 'name'",
	"INSERT INTO ifs SELECT ?2 ->> 'netns', ?2 ->> 'name', ?2 ->> 'ifindex', json(?2)"
	" WHERE ?2 IS NOT NULL",
	"DELETE FROM edges WHERE an IS ?1 -> 'a' ->> 'netns' AND aname IS ?1 -> 'a' ->> 'name'"
	" AND bn IS ?1 -> 'b' ->> 'netns' AND bname IS ?1 -> 'b' ->> 'name'"
	" AND type IS ?1 ->> 'edge_type'",
	"INSERT INTO edges SELECT ?2 ->> 'type', ?2 -> 'a' ->> 'netns', ?2 -> 'a' ->> 'name',"
	" ?2 -> 'b' ->> 'netns', ?2 -> 'b' ->> 'name', json(?2) WHERE ?2 IS NOT NULL",
	/* a container added or changed: its namespace's containers as the state has them */
	"UPDATE ns SET v = json_set(v, '$.containers', json(coalesce(?2 -> 'containers', '[]')))"
	" WHERE inode IS ?2 ->> 'inode'",
	/* a container gone: out of its namespace (of every one, when the line names none) */
	"UPDATE ns SET v = json_set(v, '$.containers', (SELECT json_group_array(json(c.value))"
	" FROM json_each(ns.v, '$.containers') c WHERE NOT ((c.value ->> 'engine') IS"
	" (?1 ->> 'engine') AND (c.value ->> 'id') IS (?1 ->> 'id'))))"
	" WHERE json_type(v, '$.containers') = 'array' AND (?1 ->> 'netns' IS NULL OR"
	" inode IS ?1 ->> 'netns')",
};

/*
 * What goes with what is gone: edges to interfaces that are, interfaces of namespaces
 * that are, unresolved ends of either; and the document put together again (?1 the
 * checkpoint's).  A route naming a device that is gone reads as one without (json_load).
 */
static const char tidy_sql[] =
	"DELETE FROM ifs WHERE netns NOT IN (SELECT inode FROM ns);"
	"DELETE FROM edges WHERE NOT EXISTS (SELECT 1 FROM ifs WHERE netns IS an AND name IS"
	" aname) OR NOT EXISTS (SELECT 1 FROM ifs WHERE netns IS bn AND name IS bname);";
static const char join_sql[] =
	"SELECT json_set(?1, '$.netns', (SELECT json_group_array(json(v)) FROM (SELECT v FROM ns"
	" ORDER BY rowid)), '$.interfaces', (SELECT json_group_array(json(v)) FROM (SELECT v"
	" FROM ifs ORDER BY rowid)), '$.edges', (SELECT json_group_array(json(v)) FROM (SELECT"
	" v FROM edges ORDER BY rowid)), '$.unresolved', (SELECT json_group_array(json(u.value))"
	" FROM json_each(?1, '$.unresolved') u WHERE EXISTS (SELECT 1 FROM ifs WHERE netns IS"
	" (u.value ->> 'netns') AND ifindex IS (u.value ->> 'ifindex'))))";

/* The statements of apply_sql event e takes, into k[0..1] (-1: none); -1 when it is none
   of watch's (said). */
static int apply_kind(sqlite3 *m, const struct hist_event *e, int k[2])
{
	sqlite3_stmt *st;
	int rc = -1;

	k[0] = k[1] = -1;
	if (sqlite3_prepare_v2(m, "SELECT ?1 ->> 'type', ?1 ->> 'op'", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, e->json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
	    sqlite3_column_text(st, 1)) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		int del = !strcmp((const char *)sqlite3_column_text(st, 1), "del");

		rc = 0;
		if (!strcmp(type, "netns"))
			k[0] = A_NS_DEL, k[1] = del ? -1 : A_NS_ADD;
		else if (!strcmp(type, "interface"))
			k[0] = A_IF_DEL, k[1] = del ? -1 : A_IF_ADD;
		else if (!strcmp(type, "edge"))
			k[0] = A_EDGE_DEL, k[1] = del ? -1 : A_EDGE_ADD;
		else if (!strcmp(type, "container"))
			k[0] = del ? A_CTR_DEL : A_CTR_SET;
		else
			rc = -1;
	}
	sqlite3_finalize(st);
	if (rc)
		error("history: an event that is not watch's: %.80s", e->json);
	return rc;
}

char *history_apply(const char *doc, const struct hist_event *v, size_t n)
{
	sqlite3_stmt *st[A_COUNT] = { 0 }, *q = NULL;
	sqlite3 *m = NULL;
	char *out = NULL;
	int ok = 0;

	if (sqlite3_open_v2(":memory:", &m, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL) !=
	    SQLITE_OK || sqlite3_exec(m, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(m, setup_sql, NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	for (size_t k = 0; k < sizeof(load_sql) / sizeof(load_sql[0]); k++) {
		if (sqlite3_prepare_v2(m, load_sql[k], -1, &q, NULL) != SQLITE_OK)
			goto out;
		sqlite3_bind_text(q, 1, doc, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			goto out;
		sqlite3_finalize(q);
		q = NULL;
	}
	for (size_t k = 0; k < A_COUNT; k++)
		if (sqlite3_prepare_v2(m, apply_sql[k], -1, &st[k], NULL) != SQLITE_OK)
			goto out;
	for (size_t i = 0; i < n; i++) {
		int k[2];

		if (apply_kind(m, &v[i], k))
			goto fail;
		for (int j = 0; j < 2; j++) {
			if (k[j] < 0)
				continue;
			sqlite3_bind_text(st[k[j]], 1, v[i].json, -1, SQLITE_STATIC);
			if (v[i].state)
				sqlite3_bind_text(st[k[j]], 2, v[i].state, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st[k[j]], 2);
			if (sqlite3_step(st[k[j]]) != SQLITE_DONE)
				goto out;
			sqlite3_reset(st[k[j]]);
		}
	}
	if (sqlite3_exec(m, tidy_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m, join_sql, -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, doc, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW || !sqlite3_column_text(q, 0))
		goto out;
	out = xstrdup((const char *)sqlite3_column_text(q, 0));
	ok = 1;
out:
	if (!ok)
		error("history: cannot apply the events: %s", m ? sqlite3_errmsg(m) : "out of memory");
fail:
	for (size_t k = 0; k < A_COUNT; k++)
		sqlite3_finalize(st[k]);
	sqlite3_finalize(q);
	sqlite3_close(m);
	return out;
}

struct hist_list {
	struct hist_event *v;
	size_t n, alloc;
	struct strv mem;	/* the copies v points into */
};

static int add_event(void *arg, const char *json, const char *state)
{
	struct hist_list *l = arg;

	l->v = grow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
	strv_add(&l->mem, json);
	l->v[l->n].json = l->mem.v[l->mem.n - 1];
	l->v[l->n].state = NULL;
	if (state) {
		strv_add(&l->mem, state);
		l->v[l->n].state = l->mem.v[l->mem.n - 1];
	}
	l->n++;
	return 0;
}

int history_load_view(struct sqlite3 *db, long long id, const char *at, const char *host,
		      struct topo *t)
{
	return at && *at ? history_load_at(db, id, at, t) : db_load_view(db, id, host, t);
}

int history_load_at(struct sqlite3 *db, long long id, const char *iso, struct topo *t)
{
	struct hist_list l = { 0 };
	struct topo c;
	char *doc = NULL, *now = NULL, name[64];
	size_t len = 0;
	int rc = -1;
	FILE *f;
	struct pr p;

	topo_init(&c);
	if (db_load(db, id, &c) || db_event_states(db, c.started, iso, add_event, &l))
		goto out;
	f = open_memstream(&doc, &len);
	if (!f)
		die("out of memory");
	pr_init(&p, f, 1);
	print_topo(&p, &c);
	if (fclose(f))
		die("out of memory");
	now = history_apply(doc, l.v, l.n);
	if (!now)
		goto out;
	snprintf(name, sizeof(name), "the state at %s", iso);
	rc = json_load_text(now, strlen(now), name, t);
	if (!rc) {
		t->scan_id = id;
		verbose("%s: snapshot %lld and the %zu events after it", name, id, l.n);
	}
out:
	strv_release(&l.mem);
	free(l.v);
	free(doc);
	free(now);
	topo_release(&c);
	return rc;
}
