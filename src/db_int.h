/*
 * db_int.h: what db.c and db_snapshot.c share, and nothing outside them uses: the
 * statement helpers (each error names the database file) and the container columns.
 */
#ifndef VETHMAP_DB_INT_H
#define VETHMAP_DB_INT_H

#include <stddef.h>

#include <sqlite3.h>

struct strv;

/* The container columns of every version since 6 (version 7 added node, in the key). */
#define CTR_COLS "scan_id, netns, engine, id, name, pid, image, pod, pod_namespace," \
	" compose_project, network_mode, containerd_namespace, sandbox, host_network, verified," \
	" owner_uid, owner"

/*
 * The cluster tables (schema version 11, as schema/vethmap.sql has them): they name
 * snapshots in a column "snapshot", never "scan_id", so they are no snapshot's rows.
 */
#define CLUSTER_SQL \
	"CREATE TABLE collection (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL," \
	" n_hosts INTEGER NOT NULL, version TEXT NOT NULL);" \
	"CREATE TABLE collection_host (collection_id INTEGER NOT NULL REFERENCES collection(id)" \
	" ON DELETE CASCADE, host_no INTEGER NOT NULL, snapshot INTEGER NOT NULL REFERENCES" \
	" scan(id) ON DELETE CASCADE, source TEXT, PRIMARY KEY (collection_id, host_no));" \
	"CREATE INDEX collection_host_by_snapshot ON collection_host(snapshot);" \
	"CREATE TABLE xedge (collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE" \
	" CASCADE, id INTEGER NOT NULL, kind TEXT NOT NULL, a_snapshot INTEGER NOT NULL," \
	" a_netns INTEGER NOT NULL, a_ifindex INTEGER NOT NULL, b_snapshot INTEGER NOT NULL," \
	" b_netns INTEGER NOT NULL, b_ifindex INTEGER NOT NULL, PRIMARY KEY (collection_id, id));" \
	"CREATE TABLE xunresolved (collection_id INTEGER NOT NULL REFERENCES collection(id) ON" \
	" DELETE CASCADE, snapshot INTEGER NOT NULL, netns INTEGER NOT NULL, ifindex INTEGER NOT" \
	" NULL, reason TEXT NOT NULL);" \
	"CREATE INDEX xunresolved_by_collection ON xunresolved(collection_id);"

/* WireGuard devices' keys and peers (schema version 11, as schema/vethmap.sql has them). */
#define WG_SQL \
	"ALTER TABLE tunnel ADD COLUMN public_key TEXT;" \
	"CREATE TABLE tunnel_peer (scan_id INTEGER NOT NULL, netns INTEGER NOT NULL," \
	" ifindex INTEGER NOT NULL, public_key TEXT NOT NULL, endpoint TEXT, FOREIGN KEY" \
	" (scan_id, netns, ifindex) REFERENCES tunnel(scan_id, netns, ifindex) ON DELETE CASCADE);" \
	"CREATE INDEX tunnel_peer_by_dev ON tunnel_peer(scan_id, netns, ifindex);"

/* The watch's events (schema version 12, as schema/vethmap.sql has them). */
#define EVENT_SQL \
	"CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL," \
	" batch INTEGER NOT NULL, op TEXT NOT NULL, type TEXT NOT NULL, netns INTEGER, name TEXT," \
	" ifindex INTEGER, a TEXT, b TEXT, engine TEXT, object TEXT NOT NULL, detail TEXT," \
	" field TEXT, before TEXT, after TEXT, line TEXT NOT NULL, json TEXT NOT NULL," \
	" state TEXT);" \
	"CREATE INDEX event_by_time ON event(time);" \
	"CREATE INDEX event_by_batch ON event(batch);"

const char *db_name(sqlite3 *db);		/* the file, for messages */
int db_query_int(sqlite3 *db, const char *sql, long long *out);	/* an SQLite code */
int db_fail(sqlite3 *db, const char *what);	/* one line naming the file; -1 */
int db_prep(sqlite3 *db, sqlite3_stmt **st, const char *sql);
/*
 * Bind the arguments by types ('i' int64, 'I' int64 or NULL when negative, 'd' double,
 * 's' text or NULL, 'n' NULL), step, reset; 0 or -1 (said).
 */
int db_run(sqlite3 *db, sqlite3_stmt *st, const char *types, ...);
const char *db_col(sqlite3_stmt *st, int i);	/* a text column, "" for NULL */
long long db_version(sqlite3 *db);		/* PRAGMA user_version, 0 when unreadable */
/* The snapshot whose rows snapshot id reads (its own, or those it is unchanged from); -1 */
long long db_rows_of(sqlite3 *db, long long id);
/* The tables holding a snapshot's rows (a scan_id, not the scan list or captures); -1 */
int db_snapshot_tables(sqlite3 *db, struct strv *out);

/* db_event.c: the events of a batch, inside db_store's transaction; 0 or -1 (said) */
struct event_line;
int db_event_rows(sqlite3 *db, long long batch, const struct event_line *v, size_t n);

#endif
