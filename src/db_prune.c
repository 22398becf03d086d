/*
 * db_prune.c implements the deletion of whole snapshots: the ones retain_select() (retain.c)
 * chooses, with every row of theirs in every snapshot table, in one transaction (a kill at
 * any point leaves the file as it was, or pruned), and the space given back: PRAGMA
 * incremental_vacuum in that transaction for a file made with incremental vacuum, else one
 * VACUUM that also turns it on (files made before schema version 9, once).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "db_int.h"

/* The bytes the database takes on its filesystem: the file and its write-ahead log. */
static long long file_bytes(sqlite3 *db)
{
	const char *path = db_name(db);
	char wal[4096];
	struct stat st;
	long long n = 0;

	if (!stat(path, &st))
		n += st.st_size;
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", path) < sizeof(wal) && !stat(wal, &st))
		n += st.st_size;
	return n;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(db, what);
}

/* The ids chosen into temp.prune_id. */
static int note_ids(sqlite3 *db, const struct scan_info *v, size_t n, const unsigned char *doom)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (exec(db, "CREATE TEMP TABLE prune_id (id INTEGER PRIMARY KEY)", "write to") ||
	    db_prep(db, &st, "INSERT INTO temp.prune_id VALUES (?)"))
		return -1;
	for (size_t i = 0; i < n && !rc; i++)
		if (doom[i])
			rc = db_run(db, st, "i", v[i].id);
	sqlite3_finalize(st);
	return rc;
}

/*
 * Delete the snapshots in temp.prune_id (when there are some) from every table, and the
 * captures whose snapshot is gone if asked.
 */
static int delete_ids(sqlite3 *db, const struct retain *r, struct prune_result *res)
{
	struct strv tables = { 0 };
	long long has_state = 0;
	int rc = res->deleted ? db_snapshot_tables(db, &tables) : 0;

	for (size_t i = 0; !rc && i < tables.n; i++) {
		char *sql = sqlite3_mprintf("DELETE FROM main.\"%w\" WHERE scan_id IN"
					    " (SELECT id FROM temp.prune_id)", tables.v[i]);

		rc = exec(db, sql, "delete from");
		sqlite3_free(sql);
	}
	strv_release(&tables);
	if (!rc && res->deleted)
		rc = exec(db, "DELETE FROM main.scan WHERE id IN (SELECT id FROM temp.prune_id)",
			  "delete from");
	if (rc || !r->captures)
		return rc;
	/* every capture whose snapshot is gone (now or before), but one still running */
	if (db_query_int(db, "SELECT count(*) FROM pragma_table_info('capture') WHERE name ="
			 " 'state'", &has_state) != SQLITE_OK)
		return db_fail(db, "read");
	if (exec(db, has_state ?
		 "DELETE FROM main.capture WHERE scan_id IS NOT NULL AND state != 'running' AND"
		 " scan_id NOT IN (SELECT id FROM main.scan)" :
		 "DELETE FROM main.capture WHERE scan_id IS NOT NULL AND"
		 " scan_id NOT IN (SELECT id FROM main.scan)", "delete from"))
		return -1;
	res->captures = sqlite3_changes(db);
	return 0;
}

/*
 * A write transaction begun and the snapshots listed (*v, *n: the caller frees *v); the
 * choice array for them, zeroed, or NULL (said) with the transaction to roll back.
 */
static unsigned char *begin_choice(sqlite3 *db, struct scan_info **v, size_t *n)
{
	if (exec(db, "BEGIN IMMEDIATE", "start a transaction in"))
		return NULL;
	if (db_scans(db, v, n)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return NULL;
	}
	return xcalloc(*n + 1, 1);
}

/* The res->deleted snapshots doom[] chose, deleted from every table; 0 or -1 (said). */
static int delete_chosen(sqlite3 *db, const struct scan_info *v, size_t n,
			 const unsigned char *doom, const struct retain *r, struct prune_result *res)
{
	if ((res->deleted && note_ids(db, v, n, doom)) || delete_ids(db, r, res) ||
	    (res->deleted && exec(db, "DROP TABLE temp.prune_id", "write to")))
		return -1;
	return 0;
}

/* The deletion itself, in one transaction: 0, or -1 (said) with nothing deleted. */
static int prune_txn(sqlite3 *db, const struct retain *r, struct prune_result *res,
		     long long mode)
{
	struct scan_info *v = NULL;
	unsigned char *doom = NULL;
	size_t n = 0;
	int rc = -1;

	doom = begin_choice(db, &v, &n);
	if (!doom)
		return -1;
	res->deleted = retain_select(v, n, r, (long long)time(NULL), doom, &res->bases);
	res->kept = n - res->deleted;
	if (delete_chosen(db, v, n, doom, r, res))
		goto out;
	if (mode == 2 && exec(db, "PRAGMA incremental_vacuum", "vacuum"))
		goto out;
	rc = exec(db, "COMMIT", "commit to");
out:
	if (rc) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		res->deleted = res->bases = 0;
		res->captures = 0;
		res->kept = n;
	}
	free(doom);
	free(v);
	return rc;
}

/*
 * Prune db as r says (retain_given(r)); what was done into *res.  0, or -1 after one line
 * (nothing deleted, or, when only the VACUUM after it failed, deleted and said so).
 */
int db_prune(sqlite3 *db, const struct retain *r, struct prune_result *res)
{
	long long mode = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	res->vacuum = "none";
	res->bytes_before = file_bytes(db);
	if (db_query_int(db, "PRAGMA auto_vacuum", &mode) != SQLITE_OK)
		return db_fail(db, "read");
	/*
	 * The rows go table by table: with foreign keys on, each namespace and interface
	 * deleted would look for its rows in tables not indexed for it, once per row.
	 */
	if (exec(db, "PRAGMA foreign_keys = OFF", "set up"))
		return -1;
	rc = prune_txn(db, r, res, mode);
	if (exec(db, "PRAGMA foreign_keys = ON", "set up"))
		rc = -1;
	if (rc)
		return -1;
	if (mode == 2 && res->deleted)
		res->vacuum = "incremental";
	else if (mode != 2 && (res->deleted || res->captures)) {
		if (exec(db, "PRAGMA auto_vacuum = INCREMENTAL", "set up"))
			return -1;
		if (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK) {
			error("cannot vacuum '%s' (%zu snapshots are deleted, their space is not "
			      "given back yet): %s", db_name(db), res->deleted, sqlite3_errmsg(db));
			return -1;
		}
		res->vacuum = "full";
	}
	/* the file shrinks when its log is written back: now, unless a reader holds it */
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	res->bytes_after = file_bytes(db);
	return 0;
}

/* ---- vethmap watch: compaction, in small steps -------------------------------------- */

#define COMPACT_SNAPSHOTS 32	/* deleted per transaction, at most */
#define COMPACT_EVENTS 10000
#define COMPACT_VACUUM "PRAGMA incremental_vacuum(256)"	/* pages given back per step */

/* batch[i] = 1 for each snapshot of v that was stored with events (a batch of watch's). */
static int batch_flags(sqlite3 *db, const struct scan_info *v, size_t n, unsigned char *batch)
{
	sqlite3_stmt *st;
	int rc;

	memset(batch, 0, n + 1);
	if (sqlite3_prepare_v2(db, "SELECT s.id FROM scan s WHERE EXISTS (SELECT 1 FROM event e"
			       " WHERE e.batch = s.id) ORDER BY s.id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	for (size_t i = 0; (rc = sqlite3_step(st)) == SQLITE_ROW;) {
		long long b = sqlite3_column_int64(st, 0);

		while (i < n && v[i].id < b)
			i++;
		if (i < n && v[i].id == b)
			batch[i] = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "read");
}

static int compact_txn(sqlite3 *db, const struct compact *c, long long now,
		       struct compact_result *res, long long mode)
{
	struct retain r = { .keep = -1, .older_s = -1 };
	struct prune_result pr = { 0 };
	struct scan_info *v = NULL;
	unsigned char *doom = NULL, *batch = NULL;
	size_t n = 0, ndoom = 0;
	int rc = -1;

	doom = begin_choice(db, &v, &n);
	if (!doom)
		return -1;
	batch = xcalloc(n + 1, 1);
	if (batch_flags(db, v, n, batch))
		goto out;
	ndoom = compact_select(v, n, batch, c, now, doom);
	for (size_t i = 0, k = 0; i < n; i++)	/* the oldest first, a few at a time */
		if (doom[i] && ++k > COMPACT_SNAPSHOTS)
			doom[i] = 0;
	res->more = ndoom > COMPACT_SNAPSHOTS;
	pr.deleted = res->snapshots = ndoom > COMPACT_SNAPSHOTS ? COMPACT_SNAPSHOTS : ndoom;
	if (delete_chosen(db, v, n, doom, &r, &pr))
		goto out;
	if (c->keep_s > 0) {
		struct timespec ts = { .tv_sec = (time_t)(now - (long long)c->keep_s) };
		char cutoff[32];
		sqlite3_stmt *st;
		int bad;

		fmt_iso8601(cutoff, sizeof(cutoff), &ts);
		if (db_prep(db, &st, "DELETE FROM event WHERE id IN (SELECT id FROM event WHERE"
			    " time < ?1 ORDER BY id LIMIT ?2)"))
			goto out;
		bad = db_run(db, st, "si", cutoff, (long long)COMPACT_EVENTS);
		sqlite3_finalize(st);
		if (bad)
			goto out;
		res->events = sqlite3_changes(db);
		res->more |= res->events >= COMPACT_EVENTS;
	}
	if (mode == 2 && (res->snapshots || res->events) &&
	    exec(db, COMPACT_VACUUM, "vacuum"))
		goto out;
	rc = exec(db, "COMMIT", "commit to");
out:
	if (rc) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		memset(res, 0, sizeof(*res));
	}
	free(batch);
	free(doom);
	free(v);
	return rc;
}

/*
 * One step of watch's compaction (struct compact, compact_select say what goes): at most
 * COMPACT_SNAPSHOTS snapshots and COMPACT_EVENTS events in one transaction, and some of
 * the space given back (a file made with incremental vacuum; an older one keeps it until
 * 'vethmap prune').  res->more says there is more to do.  0, or -1 after one line.
 */
int db_compact(sqlite3 *db, const struct compact *c, long long now, struct compact_result *res)
{
	long long mode = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (db_version(db) < 12 || (c->keep_s <= 0 && c->thin_s <= 0))
		return 0;
	if (db_query_int(db, "PRAGMA auto_vacuum", &mode) != SQLITE_OK)
		return db_fail(db, "read");
	if (exec(db, "PRAGMA foreign_keys = OFF", "set up"))	/* as db_prune: table by table */
		return -1;
	rc = compact_txn(db, c, now, res, mode);
	if (exec(db, "PRAGMA foreign_keys = ON", "set up"))
		rc = -1;
	return rc;
}
