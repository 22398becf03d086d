/*
 * db_event.c implements the event rows of 'vethmap watch' (schema version 12): one row
 * per change line, written in the transaction of its batch's snapshot (db_store_events in
 * db_snapshot.c calls db_event_rows), read back in order by 'vethmap events', and the
 * check that a moment asked for (--at, diff --since) still has its snapshot.  The
 * identity fields of a row are taken from its JSON line by SQLite's JSON functions, so
 * they say what the line says.  Deleting old rows is watch's compaction (db_prune.c).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "db_int.h"

int db_event_rows(sqlite3 *db, long long batch, const struct event_line *v, size_t n)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (db_prep(db, &st, "INSERT INTO event (time, batch, op, type, netns, name, ifindex, a,"
		    " b, engine, object, detail, field, before, after, line, json, state) SELECT"
		    " j ->> 'time', ?1, j ->> 'op', j ->> 'type',"
		    " coalesce(j ->> 'netns', j ->> 'inode'), j ->> 'name', j ->> 'ifindex',"
		    " j -> 'a', j -> 'b', j ->> 'engine', j ->> 'object', j ->> 'detail',"
		    " j ->> 'field', j ->> 'before', j ->> 'after', ?2, j, ?4"
		    " FROM (SELECT ?3 AS j)"))
		return -1;
	for (size_t i = 0; i < n && !rc; i++)
		rc = db_run(db, st, "isss", batch, v[i].line, v[i].json, v[i].state);
	sqlite3_finalize(st);
	return rc;
}

int db_events(sqlite3 *db, const char *since, const char *until, int json,
	      int (*fn)(void *arg, const char *line), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (db_version(db) < 12)
		return 0;	/* written before events were: none */
	if (sqlite3_prepare_v2(db, json ? "SELECT json FROM event WHERE (?1 IS NULL OR time >= ?1)"
			       " AND (?2 IS NULL OR time <= ?2) ORDER BY id" :
			       "SELECT line FROM event WHERE (?1 IS NULL OR time >= ?1)"
			       " AND (?2 IS NULL OR time <= ?2) ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	if (since)
		sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
	if (until)
		sqlite3_bind_text(st, 2, until, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, db_col(st, 0))) {
			sqlite3_finalize(st);
			return -1;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "read");
}

long long db_state_at(sqlite3 *db, const char *cmd, const char *iso, int *replay)
{
	sqlite3_stmt *st;
	long long id = db_scan_at(db, iso), n = 0;
	int rc;

	*replay = 0;
	if (!id)
		error("%s: no snapshot at or before %s", cmd, iso);
	if (id <= 0 || db_version(db) < 12)
		return id;
	/* a batch's events have its snapshot's time: any later, up to iso, lost theirs */
	if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM event e WHERE e.time >"
			       " (SELECT started FROM scan WHERE id = ?1) AND e.time <= ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, iso, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, "read");
	*replay = n > 0;
	return id;
}

int db_event_states(sqlite3 *db, const char *after, const char *until,
		    int (*fn)(void *arg, const char *json, const char *state), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT json, state FROM event WHERE time > ?1 AND time <= ?2"
			       " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, until, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, db_col(st, 0), sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL :
		       db_col(st, 1))) {
			sqlite3_finalize(st);
			return -1;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "read");
}
