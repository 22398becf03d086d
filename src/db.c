/*
 * db.c implements the SQLite file: opening it (and refusing files that are not ours),
 * applying the schema compiled in from schema/vethmap.sql and upgrading older files, the
 * statement helpers the rest of the store shares (db_int.h), the list of snapshots, and
 * the capture audit rows and edge lookup of 'vethmap cap'.  A snapshot's rows, written
 * and read back, are db_snapshot.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "db_int.h"

#define APPLICATION_ID 1984263245	/* 'vEtM', as set in schema/vethmap.sql */
#define SCHEMA_VERSION 12

/*
 * Upgrades of older files, in order: each brings a database from version to - 1 to
 * version to.  A writer applies them when it opens an older file, in one transaction
 * (readers read older files as they are).  Columns are added at the end, so old rows
 * keep their values.  Mirrors schema/vethmap.sql.
 */

static const struct {
	int to;
	const char *sql;
} migrations[] = {
	/* what a scan could not hold, dump errors, where names come from */
	{ 2, "ALTER TABLE scan ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE scan ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE scan ADD COLUMN incomplete_reason TEXT;"
	     "ALTER TABLE scan ADD COLUMN names_dropped INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE scan ADD COLUMN mount_lines_dropped INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE scan ADD COLUMN mounts_skipped INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE scan ADD COLUMN lookup_timeouts INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE netns ADD COLUMN dump_error INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE netns ADD COLUMN names_dropped INTEGER NOT NULL DEFAULT 0;"
	     "CREATE TABLE netns_mount (scan_id INTEGER NOT NULL, inode INTEGER NOT NULL,"
	     " path TEXT NOT NULL, mntns INTEGER NOT NULL, pid INTEGER NOT NULL,"
	     " host INTEGER NOT NULL, FOREIGN KEY (scan_id, inode) REFERENCES"
	     " netns(scan_id, inode) ON DELETE CASCADE);"
	     "CREATE INDEX netns_mount_by_ns ON netns_mount(scan_id, inode);" },
	/* containers stored before cgroup names were verified: not verified */
	{ 3, "ALTER TABLE container ADD COLUMN verified INTEGER NOT NULL DEFAULT 0" },
	/* forwarding and routes (snapshots before it: unknown, none recorded) */
	{ 4, "ALTER TABLE netns ADD COLUMN forward4 INTEGER;"
	     "ALTER TABLE netns ADD COLUMN forward6 INTEGER;"
	     "CREATE TABLE route (scan_id INTEGER NOT NULL, inode INTEGER NOT NULL,"
	     " route INTEGER NOT NULL, nh INTEGER NOT NULL, family INTEGER NOT NULL,"
	     " dst TEXT NOT NULL, type TEXT NOT NULL, metric INTEGER NOT NULL, gateway TEXT,"
	     " ifindex INTEGER, FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode)"
	     " ON DELETE CASCADE);"
	     "CREATE INDEX route_by_ns ON route(scan_id, inode);" },
	/* whose each namespace is; who holds each tun/tap file */
	{ 5, "ALTER TABLE netns ADD COLUMN userns INTEGER;"
	     "ALTER TABLE netns ADD COLUMN owner_uid INTEGER;"
	     "ALTER TABLE netns ADD COLUMN owner TEXT;"
	     "CREATE TABLE tap_holder (scan_id INTEGER NOT NULL REFERENCES scan(id) ON DELETE"
	     " CASCADE, netns INTEGER, ifindex INTEGER, ifname TEXT NOT NULL, tap INTEGER NOT"
	     " NULL, pid INTEGER NOT NULL, comm TEXT NOT NULL, holder_netns INTEGER, reason TEXT);"
	     "CREATE INDEX tap_holder_by_scan ON tap_holder(scan_id);" },
	/* containers a user's engine named (rootless Podman): that user */
	{ 6, "ALTER TABLE container ADD COLUMN owner_uid INTEGER;"
	     "ALTER TABLE container ADD COLUMN owner TEXT" },
	/*
	 * a nested engine's containers: the node they run in, part of the key (the same id
	 * can run in two engines at once: containerd on the host and in a kind node)
	 */
	{ 7, "CREATE TABLE container_v7 (scan_id INTEGER NOT NULL, netns INTEGER NOT NULL,"
	     " engine TEXT NOT NULL, id TEXT NOT NULL, node TEXT NOT NULL DEFAULT '',"
	     " name TEXT NOT NULL, pid INTEGER NOT NULL,"
	     " image TEXT, pod TEXT, pod_namespace TEXT, compose_project TEXT, network_mode TEXT,"
	     " containerd_namespace TEXT, sandbox INTEGER NOT NULL, host_network INTEGER NOT NULL,"
	     " verified INTEGER NOT NULL DEFAULT 0, owner_uid INTEGER, owner TEXT,"
	     " PRIMARY KEY (scan_id, engine, node, id), FOREIGN KEY (scan_id, netns) REFERENCES"
	     " netns(scan_id, inode) ON DELETE CASCADE) WITHOUT ROWID;"
	     "INSERT INTO container_v7 (" CTR_COLS ") SELECT " CTR_COLS " FROM container;"
	     "DROP TABLE container;"
	     "ALTER TABLE container_v7 RENAME TO container;"
	     "CREATE INDEX container_by_name ON container(name);" },
	/* tunnel devices' endpoints, vxlan's remote VTEPs */
	{ 8, "CREATE TABLE tunnel (scan_id INTEGER NOT NULL, netns INTEGER NOT NULL,"
	     " ifindex INTEGER NOT NULL, id INTEGER, okey INTEGER, local TEXT, remote TEXT,"
	     " port INTEGER, PRIMARY KEY (scan_id, netns, ifindex), FOREIGN KEY (scan_id, netns)"
	     " REFERENCES netns(scan_id, inode) ON DELETE CASCADE) WITHOUT ROWID;"
	     "CREATE TABLE tunnel_fdb (scan_id INTEGER NOT NULL, netns INTEGER NOT NULL,"
	     " ifindex INTEGER NOT NULL, remote TEXT NOT NULL, FOREIGN KEY (scan_id, netns,"
	     " ifindex) REFERENCES tunnel(scan_id, netns, ifindex) ON DELETE CASCADE);"
	     "CREATE INDEX tunnel_fdb_by_dev ON tunnel_fdb(scan_id, netns, ifindex);" },
	/*
	 * a snapshot equal to the one before is stored as a reference to it, with its own
	 * processes when only they changed (db_snapshot.c).
	 * Files made from now on use incremental vacuum (schema/vethmap.sql); an older file
	 * keeps auto_vacuum off here, since only VACUUM can change it and VACUUM cannot run
	 * in a transaction: its first 'vethmap prune' does that VACUUM (db_prune.c), once.
	 */
	{ 9, "ALTER TABLE scan ADD COLUMN same_as INTEGER;"
	     "ALTER TABLE scan ADD COLUMN own_pids INTEGER NOT NULL DEFAULT 0;"
	     "CREATE TABLE scan_pid (scan_id INTEGER NOT NULL REFERENCES scan(id) ON DELETE"
	     " CASCADE, inode INTEGER NOT NULL, pid INTEGER NOT NULL);"
	     "CREATE INDEX scan_pid_by_scan ON scan_pid(scan_id);" },
	/*
	 * the image of the latest snapshot's rows, what the next one is compared with
	 * (db_snapshot.c): until a scan writes one, the next snapshot has rows of its own
	 */
	{ 10, "CREATE TABLE snapshot_image (rows_of INTEGER PRIMARY KEY REFERENCES scan(id)"
	      " ON DELETE CASCADE, rows BLOB NOT NULL, pids BLOB NOT NULL)" },
	/* hosts' identity; clusters: collections of hosts' snapshots, tunnels across them */
	{ 11, "ALTER TABLE scan ADD COLUMN machine_id TEXT;" CLUSTER_SQL WG_SQL },
	/* the change lines of 'vethmap watch', kept when thinning deletes their snapshots */
	{ 12, EVENT_SQL },
};

static const char schema_sql[] = {
#include "schema.inc"
	, 0
};

/* The file behind db, for messages (SQLite keeps its full path with the handle). */
const char *db_name(sqlite3 *db)
{
	const char *f = sqlite3_db_filename(db, "main");

	return f && *f ? f : "(database)";
}

const char *db_path(const char *opt)
{
	const char *env = getenv("VETHMAP_DB");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return DEFAULT_DB;
}

int db_query_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Who may have made the database: root, or for a reader also the user running it (real
 * uid).  The file, and any -wal, -shm or -journal beside it, must be a regular file (not a
 * symbolic link) of such an owner that group and others may not write; its directory must
 * belong to such an owner too, and group and others may write it only when it is root's
 * and sticky (/tmp), where no one else can replace root's files.  0 when trusted, else -1
 * after one line naming what was refused.
 */
static int trusted_owner(uid_t uid, int writable)
{
	return uid == 0 || (!writable && uid == getuid());
}

static int check_file(const char *path, const char *db, int writable)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		error("cannot open database '%s': '%s':", db, path);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		error("refusing database '%s': '%s' is a symbolic link", db, path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		error("refusing database '%s': '%s' is not a regular file", db, path);
		return -1;
	}
	if (!trusted_owner(st.st_uid, writable)) {
		error("refusing database '%s': '%s' belongs to uid %u, not %s", db, path,
		      (unsigned)st.st_uid, writable || !getuid() ? "root" : "root or you");
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		error("refusing database '%s': '%s' is writable by group or others (mode %04o)", db,
		      path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static int check_place(const char *path, int writable)
{
	static const char *const sidecar[] = { "", "-wal", "-shm", "-journal" };
	char dir[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(dir) - 16) {
		error("refusing database '%s': path too long", path);
		return -1;
	}
	dir_of(dir, sizeof(dir), path);
	if (stat(dir, &st)) {
		if (errno == ENOENT && writable && !strcmp(path, DEFAULT_DB))
			return 0;	/* made by prepare_file, 0700 */
		error("cannot open database '%s': directory '%s':", path, dir);
		return -1;
	}
	if (!trusted_owner(st.st_uid, writable)) {
		error("refusing database '%s': its directory '%s' belongs to uid %u", path, dir,
		      (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_uid == 0 && (st.st_mode & S_ISVTX))) {
		error("refusing database '%s': its directory '%s' is writable by group or others "
		      "(mode %04o)", path, dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	for (size_t i = 0; i < sizeof(sidecar) / sizeof(sidecar[0]); i++) {
		char f[PATH_MAX];

		snprintf(f, sizeof(f), "%s%s", path, sidecar[i]);
		if (check_file(f, path, writable))
			return -1;
	}
	return 0;
}

/* Create the default directory (0700) and the file itself (0600) before SQLite does. */
static int prepare_file(const char *path)
{
	int fd;

	if (!strcmp(path, DEFAULT_DB) && mkdir("/var/lib/vethmap", 0700) && errno != EEXIST) {
		error("cannot create '/var/lib/vethmap':");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST) {
		error("cannot create database '%s':", path);
		return -1;
	}
	return 0;
}

/* The schema version the file says it has (PRAGMA user_version), 0 when unreadable. */
long long db_version(sqlite3 *db)
{
	long long v = 0;

	return db_query_int(db, "PRAGMA user_version", &v) == SQLITE_OK ? v : 0;
}

/* End the transaction: commit when rc says all went well, else roll back; rc after. */
static int txn_end(sqlite3 *db, int rc, char **msg)
{
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, msg);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Bring an older file up to SCHEMA_VERSION in one transaction; an SQLite result code. */
static int migrate(sqlite3 *db, char **msg)
{
	long long ver = 0;
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, msg);

	if (rc == SQLITE_OK)	/* another writer may have done it meanwhile */
		rc = db_query_int(db, "PRAGMA user_version", &ver);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		char sql[64];

		if (migrations[i].to <= ver)
			continue;
		rc = sqlite3_exec(db, migrations[i].sql, NULL, NULL, msg);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", migrations[i].to);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, msg);
	}
	return txn_end(db, rc, msg);
}

/* One attempt at WAL mode and, for a new file, the schema; an SQLite result code. */
static int setup_once(sqlite3 *db, long long ntables, char **msg)
{
	/* a new file gives back what prune frees (only before WAL and the first table) */
	int rc = ntables ? SQLITE_OK : sqlite3_exec(db, "PRAGMA auto_vacuum=INCREMENTAL", NULL,
						     NULL, msg);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				  "PRAGMA foreign_keys=ON", NULL, NULL, msg);

	if (rc == SQLITE_OK && ntables && db_version(db) < SCHEMA_VERSION)
		rc = migrate(db, msg);
	if (rc != SQLITE_OK || ntables)
		return rc;
	/* Another scan may be setting up the same new file: lock, then look again. */
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, msg);
	if (rc == SQLITE_OK)
		rc = db_query_int(db, "SELECT count(*) FROM sqlite_master", &ntables);
	if (rc == SQLITE_OK && !ntables)
		rc = sqlite3_exec(db, schema_sql, NULL, NULL, msg);
	return txn_end(db, rc, msg);
}

/*
 * Switching to WAL needs a moment alone with the file, and SQLite does not wait for it
 * when another connection holds a write lock: retry for as long as the busy timeout.
 */
static int setup(sqlite3 *db, const char *path, long long ntables)
{
	for (int tries = 0;; tries++) {
		char *msg = NULL;
		int rc = setup_once(db, ntables, &msg);

		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || tries >= 100) {
			error("cannot set up database '%s': %s", path, msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			return -1;
		}
		sqlite3_free(msg);
		usleep(50000);
	}
}

/* Does PATH-wal exist with something in it? */
static int wal_has_data(const char *path)
{
	char wal[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >= sizeof(wal))
		return 0;
	return !stat(wal, &st) && st.st_size > 0;
}

/* Is the filesystem holding path out of space (for a clearer message than "I/O error")? */
static int disk_full(const char *path)
{
	char dir[PATH_MAX];
	struct statvfs sv;

	dir_of(dir, sizeof(dir), path);
	return !statvfs(dir, &sv) && sv.f_bavail == 0;
}

static int validate(sqlite3 *db, long long *ntables, long long *app, long long *ver)
{
	int rc;

	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	rc = db_query_int(db, "SELECT count(*) FROM sqlite_master", ntables);
	if (rc == SQLITE_OK)
		rc = db_query_int(db, "PRAGMA application_id", app);
	if (rc == SQLITE_OK)
		rc = db_query_int(db, "PRAGMA user_version", ver);
	return rc;
}

/* path as a URI ("file:...?immutable=1"), its reserved characters %-escaped. */
static sqlite3 *open_immutable(const char *path)
{
	size_t n = strlen(path);
	char *uri = xmalloc(n * 3 + 32), *w = uri;
	sqlite3 *db = NULL;

	w += sprintf(w, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p >= 0x7f)
			w += sprintf(w, "%%%02X", *p);
		else
			*w++ = (char)*p;
	}
	strcpy(w, "?immutable=1");
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW |
			    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL;
	}
	free(uri);
	return db;
}

/*
 * Open the database at path.  A file that is not SQLite, or SQLite but not vethmap's, is
 * refused with one line and left untouched.  Writable opens apply the schema to an empty
 * database and switch to WAL.  Returns NULL after printing the reason.
 */
sqlite3 *db_open(const char *path, int writable)
{
	sqlite3 *db = NULL;
	long long app = 0, ver = 0, ntables = 0;
	struct stat st;
	int rc;

	if (check_place(path, writable))
		return NULL;
	if (writable) {
		if (prepare_file(path) || check_place(path, writable))
			return NULL;
	} else if (stat(path, &st)) {
		error("cannot open database '%s':", path);
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db, (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error("cannot open database '%s': %s", path, db ? sqlite3_errmsg(db) :
		      sqlite3_errstr(rc));
		goto fail;
	}
	rc = validate(db, &ntables, &app, &ver);
	if (!writable && ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY ||
			  (rc & 0xff) == SQLITE_IOERR)) {
		/*
		 * A reader who may not create the WAL's shared-memory file next to the
		 * database (a copy in a read-only place, another user's directory, a full
		 * disk) reads it as an immutable file instead, unless a write-ahead log
		 * holds data that such a reader would silently miss.
		 */
		if (wal_has_data(path)) {
			error("cannot read database '%s': its write-ahead log needs write access "
			      "to the directory (or checkpoint it: sqlite3 FILE 'PRAGMA "
			      "wal_checkpoint(TRUNCATE)')", path);
			goto fail;
		}
		sqlite3_close(db);
		db = open_immutable(path);
		rc = db ? validate(db, &ntables, &app, &ver) : SQLITE_CANTOPEN;
		if (!db) {
			error("cannot open database '%s' read-only", path);
			return NULL;
		}
	}
	if ((rc & 0xff) == SQLITE_IOERR && disk_full(path)) {
		error("cannot use database '%s': no space left on its filesystem", path);
		goto fail;
	}
	if ((rc & 0xff) == SQLITE_NOTADB) {
		error("'%s' is not a vethmap database (not SQLite)", path);
		goto fail;
	}
	if (rc != SQLITE_OK) {
		error("cannot read database '%s': %s", path, sqlite3_errmsg(db));
		goto fail;
	}
	if (ntables && app != APPLICATION_ID) {
		error("'%s' is not a vethmap database (application_id %lld)", path, app);
		goto fail;
	}
	if (ver > SCHEMA_VERSION) {
		error("'%s' has schema version %lld; this vethmap knows up to %d", path, ver,
		      SCHEMA_VERSION);
		goto fail;
	}
	if (!ntables && !writable) {
		error("'%s' holds no scans yet: run 'vethmap scan' first", path);
		goto fail;
	}
	if (writable && setup(db, path, ntables))
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

void db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

int db_fail(sqlite3 *db, const char *what)
{
	error("cannot %s '%s': %s", what, db_name(db), sqlite3_errmsg(db));
	return -1;
}

int db_prep(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_fail(db, "prepare statement for");
	return 0;
}

/* db_int.h says what the types mean. */
int db_run(sqlite3 *db, sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	int rc, i = 1;

	va_start(ap, types);
	for (const char *p = types; *p; p++, i++) {
		if (*p == 'i') {
			sqlite3_bind_int64(st, i, va_arg(ap, long long));
		} else if (*p == 'I') {	/* NULL when negative */
			long long v = va_arg(ap, long long);

			if (v >= 0)
				sqlite3_bind_int64(st, i, v);
			else
				sqlite3_bind_null(st, i);
		} else if (*p == 'd') {
			sqlite3_bind_double(st, i, va_arg(ap, double));
		} else if (*p == 'n') {
			sqlite3_bind_null(st, i);
		} else {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, i);
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "write to");
	return 0;
}

const char *db_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

/* Every snapshot's summary, oldest first, into *out (the caller frees it); -1 on error. */
int db_scans(sqlite3 *db, struct scan_info **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	long long ver = db_version(db);

	if (sqlite3_prepare_v2(db, ver >= 9 ?
			       "SELECT id, started, host, duration_ms, n_netns, n_ifaces, n_edges,"
			       " n_unresolved, incomplete, missed, coalesce(same_as, 0) FROM scan"
			       " ORDER BY id" : ver >= 2 ?
			       "SELECT id, started, host, duration_ms, n_netns, n_ifaces, n_edges,"
			       " n_unresolved, incomplete, missed, 0 FROM scan ORDER BY id" :
			       "SELECT id, started, host, duration_ms, n_netns, n_ifaces, n_edges,"
			       " n_unresolved, 0, 0, 0 FROM scan ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct scan_info *s;

		*out = grow(*out, &alloc, *n + 1, sizeof(**out));
		s = &(*out)[(*n)++];
		s->id = sqlite3_column_int64(st, 0);
		copy_str(s->started, sizeof(s->started), db_col(st, 1));
		copy_str(s->host, sizeof(s->host), db_col(st, 2));
		s->duration_ms = sqlite3_column_double(st, 3);
		s->n_netns = sqlite3_column_int64(st, 4);
		s->n_ifaces = sqlite3_column_int64(st, 5);
		s->n_edges = sqlite3_column_int64(st, 6);
		s->n_unresolved = sqlite3_column_int64(st, 7);
		s->incomplete = sqlite3_column_int(st, 8);
		s->missed = sqlite3_column_int64(st, 9);
		s->same_as = sqlite3_column_int64(st, 10);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return db_fail(db, "read");
	}
	return 0;
}

/* ---- vethmap cap: the edge lookup and the audit row ------------------------------------- */

/*
 * Both ends of edge `edge` of stored scan `scan`: namespace inode and interface name.
 * Returns 1, 0 when there is no such edge, or -1 after one line.
 */
int db_edge_ends(sqlite3 *db, long long scan, long long edge, long long ino[2],
		 char name[2][IFNAME_MAX])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT a.netns, a.name, b.netns, b.name FROM edge e"
			       " JOIN iface a ON a.scan_id=e.scan_id AND a.netns=e.a_netns AND a.ifindex=e.a_ifindex"
			       " JOIN iface b ON b.scan_id=e.scan_id AND b.netns=e.b_netns AND b.ifindex=e.b_ifindex"
			       " WHERE e.scan_id=?1 AND e.id=?2", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	scan = db_rows_of(db, scan);	/* an unchanged snapshot's rows are its base's */
	if (scan < 0) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_bind_int64(st, 1, scan);
	sqlite3_bind_int64(st, 2, edge);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (int end = 0; end < 2; end++) {
			ino[end] = sqlite3_column_int64(st, end * 2);
			copy_str(name[end], IFNAME_MAX, db_col(st, end * 2 + 1));
		}
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = db_fail(db, "read");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Columns of the capture table added after schema version 1, for older databases. */
static const struct {
	const char *name, *decl;
} capture_cols[] = {
	{ "sudo_uid", "sudo_uid INTEGER" },
	{ "run_uid", "run_uid INTEGER" },
	{ "state", "state TEXT NOT NULL DEFAULT 'done'" },
};

static int capture_migrate(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof(capture_cols) / sizeof(capture_cols[0]); i++) {
		char sql[160];
		long long have = 0;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('capture')"
			 " WHERE name = '%s'", capture_cols[i].name);
		if (db_query_int(db, sql, &have) != SQLITE_OK)
			return db_fail(db, "read");
		if (have)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE capture ADD COLUMN %s", capture_cols[i].decl);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return db_fail(db, "add a column to the capture table of");
	}
	return 0;
}

/*
 * The audit row of a capture that starts now, state 'running', no packets yet (an older
 * database gets the new columns first).  Returns its id, or -1 after one line.
 */
long long db_capture_begin(sqlite3 *db, const struct capture_row *r)
{
	sqlite3_stmt *st = NULL;
	long long id = -1;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "start a transaction in");
		return -1;
	}
	if (capture_migrate(db) ||
	    db_prep(db, &st, "INSERT INTO capture (scan_id, started, duration_ms, target, interfaces,"
		 " packets, file, uid, sudo_uid, run_uid, state)"
		 " VALUES (?, ?, 0, ?, ?, 0, ?, ?, ?, ?, 'running')"))
		goto out;
	if (r->scan_id > 0)
		sqlite3_bind_int64(st, 1, r->scan_id);
	sqlite3_bind_text(st, 2, r->started, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->interfaces, -1, SQLITE_STATIC);
	if (r->file)
		sqlite3_bind_text(st, 5, r->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->uid);
	if (r->sudo_uid >= 0)
		sqlite3_bind_int64(st, 7, r->sudo_uid);
	sqlite3_bind_int64(st, 8, r->run_uid);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(db, "write to");
		goto out;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "commit to");
		goto out;
	}
	id = sqlite3_last_insert_rowid(db);
out:
	sqlite3_finalize(st);
	if (id < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return id;
}

/* Complete row id: how long, how many packets, and how it ended; 0 or -1 after one line. */
int db_capture_end(sqlite3 *db, long long id, double ms, unsigned long long packets,
		   const char *state)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db, &st, "UPDATE capture SET duration_ms = ?, packets = ?, state = ? WHERE id = ?"))
		return -1;
	rc = db_run(db, st, "disi", ms, (long long)packets, state, id);
	sqlite3_finalize(st);
	return rc;
}
