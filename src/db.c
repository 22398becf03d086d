/*
 * db.c implements the SQLite store: opening (and refusing files that are not ours),
 * applying the schema compiled in from schema/vethmap.sql, writing one snapshot in one
 * transaction, and loading a snapshot back into a struct topo; the capture audit rows and
 * the edge lookup of 'vethmap cap'.
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

#define APPLICATION_ID 1984263245	/* 'vEtM', as set in schema/vethmap.sql */
#define SCHEMA_VERSION 7

/*
 * Upgrades of older files, in order: each brings a database from version to - 1 to
 * version to.  A writer applies them when it opens an older file, in one transaction
 * (readers read older files as they are).  Columns are added at the end, so old rows
 * keep their values.  Mirrors schema/vethmap.sql.
 */
/* The container columns of every version (version 5 added node, right after id). */
#define CTR_COLS "scan_id, netns, engine, id, name, pid, image, pod, pod_namespace," \
	" compose_project, network_mode, containerd_namespace, sandbox, host_network, verified," \
	" owner_uid, owner"

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
};

static const char schema_sql[] = {
#include "schema.inc"
	, 0
};

/* The file behind db, for messages (SQLite keeps its full path with the handle). */
static const char *db_name(sqlite3 *db)
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

static int int_query(sqlite3 *db, const char *sql, long long *out)
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
static long long schema_version(sqlite3 *db)
{
	long long v = 0;

	return int_query(db, "PRAGMA user_version", &v) == SQLITE_OK ? v : 0;
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
		rc = int_query(db, "PRAGMA user_version", &ver);
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
	int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			      "PRAGMA foreign_keys=ON", NULL, NULL, msg);

	if (rc == SQLITE_OK && ntables && schema_version(db) < SCHEMA_VERSION)
		rc = migrate(db, msg);
	if (rc != SQLITE_OK || ntables)
		return rc;
	/* Another scan may be setting up the same new file: lock, then look again. */
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, msg);
	if (rc == SQLITE_OK)
		rc = int_query(db, "SELECT count(*) FROM sqlite_master", &ntables);
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
	rc = int_query(db, "SELECT count(*) FROM sqlite_master", ntables);
	if (rc == SQLITE_OK)
		rc = int_query(db, "PRAGMA application_id", app);
	if (rc == SQLITE_OK)
		rc = int_query(db, "PRAGMA user_version", ver);
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
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW,
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
			     SQLITE_OPEN_NOFOLLOW, NULL);
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

static int db_fail(sqlite3 *db, const char *what)
{
	error("cannot %s '%s': %s", what, db_name(db), sqlite3_errmsg(db));
	return -1;
}

static int prep(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_fail(db, "prepare statement for");
	return 0;
}

/* Bind the given values in order: 'i' int64, 's' text (NULL = null), 'd' double, 'n' null. */
static int run(sqlite3 *db, sqlite3_stmt *st, const char *types, ...)
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
       S_TAP,
       S_COUNT };

static const char *const insert_sql[S_COUNT] = {
	"INSERT INTO scan (host, started, duration_ms, n_netns, n_ifaces, n_edges, n_unresolved,"
	" version, incomplete, missed, incomplete_reason, names_dropped, mount_lines_dropped,"
	" mounts_skipped, lookup_timeouts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
};

/* NULL for an empty string, so absent fields stay NULL in SQL. */
static const char *nz(const char *s)
{
	return *s ? s : NULL;
}

/* Routes: a row per next hop (nh 0, 1, ...), one row with no gateway for none. */
static int store_routes(sqlite3 *db, sqlite3_stmt *st, const struct topo *t, long long id)
{
	for (size_t i = 0; i < t->nroutes; i++) {
		const struct route *r = &t->routes[i];

		for (size_t h = 0; h < (r->nnh ? r->nnh : 1); h++) {
			if (r->nnh && r->nh[h].oif)
				sqlite3_bind_int64(st, 10, r->nh[h].oif);
			if (run(db, st, "iiiiissis", id, (long long)t->ns[r->ns].ino, (long long)i,
				(long long)h, (long long)(r->family == AF_INET6 ? 6 : 4), r->dst, r->type,
				(long long)r->metric, r->nnh ? nz(r->nh[h].gw) : NULL))
				return -1;
		}
	}
	return 0;
}

/* A namespace's row, and its mounts, names and processes. */
static int store_netns(sqlite3 *db, sqlite3_stmt **st, const struct topo *t, size_t i,
		       long long id)
{
	const struct netns *n = &t->ns[i];
	long long ino = (long long)n->ino;
	sqlite3_stmt *s = st[S_NS];
	char via[64];

	topo_via_text(n->via, ",", via, sizeof(via));
	if (n->fwd4 >= 0)	/* else NULL: unknown */
		sqlite3_bind_int64(s, 8, n->fwd4);
	if (n->fwd6 >= 0)
		sqlite3_bind_int64(s, 9, n->fwd6);
	if (n->userns)
		sqlite3_bind_int64(s, 10, (long long)n->userns);
	if (n->owner_uid >= 0) {
		sqlite3_bind_int64(s, 11, n->owner_uid);
		if (*n->owner)
			sqlite3_bind_text(s, 12, n->owner, -1, SQLITE_STATIC);
	}
	if (run(db, s, "iiiisii", id, ino, (long long)n->dev, (long long)n->is_host, via,
		(long long)n->dump_error, (long long)n->names_dropped))
		return -1;
	for (size_t k = 0; k < n->nmounts; k++)
		if (run(db, st[S_MOUNT], "iisiii", id, ino, n->mounts[k].path,
			(long long)n->mounts[k].mntns, (long long)n->mounts[k].pid,
			(long long)n->mounts[k].host))
			return -1;
	for (size_t k = 0; k < n->names.n; k++)
		if (run(db, st[S_NAME], "iis", id, ino, n->names.v[k]))
			return -1;
	for (size_t k = 0; k < n->pids.n; k++)
		if (run(db, st[S_PID], "iii", id, ino, (long long)n->pids.v[k]))
			return -1;
	return 0;
}

/* An interface's row, and its addresses. */
static int store_iface(sqlite3 *db, sqlite3_stmt **st, const struct topo *t, size_t i,
		       long long id)
{
	const struct iface *f = &t->ifs[i];
	long long ino = (long long)t->ns[f->ns].ino;
	const struct iface *p = f->peer >= 0 ? &t->ifs[f->peer] : NULL;
	sqlite3_stmt *s = st[S_IF];

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, ino);
	sqlite3_bind_int64(s, 3, f->ifindex);
	sqlite3_bind_text(s, 4, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, f->kind, -1, SQLITE_STATIC);
	if (*f->slave_kind)
		sqlite3_bind_text(s, 6, f->slave_kind, -1, SQLITE_STATIC);
	if (*f->mac)
		sqlite3_bind_text(s, 7, f->mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, f->mtu);
	sqlite3_bind_int64(s, 9, iface_up(f));
	sqlite3_bind_int64(s, 10, f->flags);
	sqlite3_bind_text(s, 11, f->oper, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, f->promiscuity);
	if (f->master)
		sqlite3_bind_int64(s, 13, f->master);
	sqlite3_bind_int64(s, 14, f->hairpin);
	if (f->link)
		sqlite3_bind_int64(s, 15, f->link);
	if (f->has_link_netnsid)
		sqlite3_bind_int64(s, 16, f->link_netnsid);
	if (p) {
		sqlite3_bind_int64(s, 17, (long long)t->ns[p->ns].ino);
		sqlite3_bind_int64(s, 18, p->ifindex);
	}
	if (run(db, s, ""))
		return -1;
	for (size_t k = 0; k < f->naddrs; k++)
		if (run(db, st[S_ADDR], "iiiis", id, ino, (long long)f->ifindex,
			(long long)(f->addrs[k].family == AF_INET6 ? 6 : 4), f->addrs[k].text))
			return -1;
	return 0;
}

/* A tun/tap holder's row: its device's place only when it was placed. */
static int store_tap(sqlite3 *db, sqlite3_stmt *s, const struct tap_holder *h, long long id)
{
	if (h->netns && h->ifindex) {
		sqlite3_bind_int64(s, 2, (long long)h->netns);
		sqlite3_bind_int64(s, 3, h->ifindex);
	}
	if (h->holder_netns)
		sqlite3_bind_int64(s, 8, (long long)h->holder_netns);
	if (*h->reason)
		sqlite3_bind_text(s, 9, h->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 4, h->ifname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, h->tap);
	sqlite3_bind_int64(s, 6, h->pid);
	sqlite3_bind_text(s, 7, h->comm, -1, SQLITE_STATIC);
	return run(db, s, "");
}

static int store_rows(sqlite3 *db, sqlite3_stmt **st, struct topo *t, long long id)
{
	for (size_t i = 0; i < t->nns; i++)
		if (store_netns(db, st, t, i, id))
			return -1;
	for (size_t i = 0; i < t->nifs; i++)
		if (store_iface(db, st, t, i, id))
			return -1;
	for (size_t i = 0; i < t->nedges; i++) {
		const struct iface *a = &t->ifs[t->edges[i].a], *b = &t->ifs[t->edges[i].b];

		if (run(db, st[S_EDGE], "iisiiii", id, (long long)i + 1,
			edge_type_names[t->edges[i].type], (long long)t->ns[a->ns].ino,
			(long long)a->ifindex, (long long)t->ns[b->ns].ino, (long long)b->ifindex))
			return -1;
	}
	for (size_t i = 0; i < t->nunres; i++) {
		const struct iface *f = &t->ifs[t->unres[i].ifc];

		if (run(db, st[S_UNRES], "iiis", id, (long long)t->ns[f->ns].ino,
			(long long)f->ifindex, t->unres[i].reason))
			return -1;
	}
	if (store_routes(db, st[S_ROUTE], t, id))
		return -1;
	for (size_t i = 0; i < t->ntaps; i++)
		if (store_tap(db, st[S_TAP], &t->taps[i], id))
			return -1;
	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];

		if (c->ns < 0)
			continue;
		if (run(db, st[S_CTR], "iisssissssssiiiIss", id, (long long)t->ns[c->ns].ino,
			c->engine, c->id, c->name, (long long)c->pid, nz(c->image), nz(c->pod),
			nz(c->pod_ns), nz(c->compose), nz(c->netmode), nz(c->cns),
			(long long)c->sandbox, (long long)c->host_net, (long long)c->verified,
			(long long)c->owner_uid, c->owner_uid >= 0 ? c->owner : NULL, c->node))
			return -1;
	}
	return 0;
}

/*
 * Write t as a new snapshot in one transaction; sets and returns t->scan_id, or -1 with
 * nothing written.
 */
long long db_store(sqlite3 *db, struct topo *t)
{
	sqlite3_stmt *st[S_COUNT] = { 0 };
	long long id = -1;
	int ok = 0;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "start a transaction in");
		return -1;
	}
	for (int i = 0; i < S_COUNT; i++)
		if (prep(db, &st[i], insert_sql[i]))
			goto out;
	if (run(db, st[S_SCAN], "ssdiiiisiisiiii", t->host, t->started, t->duration_ms,
		(long long)t->nns, (long long)t->nifs, (long long)t->nedges, (long long)t->nunres,
		VETHMAP_VERSION, (long long)topo_incomplete(t), (long long)t->missed,
		t->incomplete_reason[0] ? t->incomplete_reason : NULL, (long long)t->names_dropped,
		(long long)t->mount_lines_dropped, (long long)t->mounts_skipped,
		(long long)t->lookup_timeouts))
		goto out;
	id = sqlite3_last_insert_rowid(db);
	if (store_rows(db, st, t, id))
		goto out;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "commit to");
		goto out;
	}
	ok = 1;
out:
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st[i]);
	if (!ok) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	t->scan_id = id;
	return id;
}

long long db_latest(sqlite3 *db)
{
	long long id = 0;

	if (int_query(db, "SELECT coalesce(max(id), 0) FROM scan", &id) != SQLITE_OK)
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

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
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
	t->ns[ns].via = via_parse(col_text(st, 3));
	t->ns[ns].dump_error = sqlite3_column_int(st, 4);
	t->ns[ns].names_dropped = (unsigned long)sqlite3_column_int64(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		t->ns[ns].fwd4 = sqlite3_column_int(st, 6) != 0;
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		t->ns[ns].fwd6 = sqlite3_column_int(st, 7) != 0;
	t->ns[ns].userns = (uint64_t)sqlite3_column_int64(st, 8);
	if (sqlite3_column_type(st, 9) != SQLITE_NULL)
		t->ns[ns].owner_uid = sqlite3_column_int64(st, 9);
	copy_str(t->ns[ns].owner, sizeof(t->ns[ns].owner), col_text(st, 10));
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
		copy_str(r->dst, sizeof(r->dst), col_text(st, 4));
		copy_str(r->type, sizeof(r->type), col_text(st, 5));
		r->metric = (unsigned)sqlite3_column_int64(st, 6);
	}
	if ((sqlite3_column_type(st, 7) == SQLITE_NULL && sqlite3_column_type(st, 8) == SQLITE_NULL) ||
	    r->nnh == ROUTE_NH_MAX)
		return;
	copy_str(r->nh[r->nnh].gw, sizeof(r->nh[0].gw), col_text(st, 7));
	r->nh[r->nnh++].oif = sqlite3_column_int(st, 8);
}

/* Row of query 1: one of its names. */
static void row_name(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	(void)ino;
	if (ns >= 0)
		strv_add(&t->ns[ns].names, col_text(st, 1));
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
	copy_str(f->name, sizeof(f->name), col_text(st, 2));
	copy_str(f->kind, sizeof(f->kind), col_text(st, 3));
	copy_str(f->slave_kind, sizeof(f->slave_kind), col_text(st, 4));
	copy_str(f->mac, sizeof(f->mac), col_text(st, 5));
	f->mtu = (unsigned)sqlite3_column_int64(st, 6);
	f->flags = (unsigned)sqlite3_column_int64(st, 7);
	copy_str(f->oper, sizeof(f->oper), col_text(st, 8));
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

	(void)ns;
	a = if_by_key(t, ino, sqlite3_column_int64(st, 1));
	if (a >= 0) {
		const char *text = col_text(st, 3), *slash = strrchr(text, '/');

		iface_add_addr(&t->ifs[a], sqlite3_column_int(st, 2) == 6 ?
			       AF_INET6 : AF_INET, slash ? atoi(slash + 1) : 0, text);
	}
}

/* Row of query 5: an edge. */
static void row_edge(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	long a, b;

	(void)ino; (void)ns;
	const char *type = col_text(st, 0);
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

	(void)ns;
	a = if_by_key(t, ino, sqlite3_column_int64(st, 1));
	if (a >= 0)
		topo_add_unresolved(t, (size_t)a, "%s", col_text(st, 2));
}

/* Row of query 7: a container. */
static void row_ctr(struct topo *t, sqlite3_stmt *st, long long ino, long ns)
{
	struct container *c;

	(void)ino;
	if (ns < 0)
		return;
	c = topo_add_container(t, col_text(st, 1), col_text(st, 2));
	c->ns = ns;
	copy_str(c->name, sizeof(c->name), col_text(st, 3));
	c->pid = sqlite3_column_int(st, 4);
	for (size_t k = 0; k < CTR_FIELDS; k++)	/* columns 5..10, named as the fields */
		ctr_field_set(c, k, col_text(st, 5 + (int)k));
	c->sandbox = sqlite3_column_int(st, 11);
	c->host_net = sqlite3_column_int(st, 12);
	c->verified = sqlite3_column_int(st, 13);
	if (sqlite3_column_type(st, 14) == SQLITE_INTEGER && sqlite3_column_int64(st, 14) >= 0) {
		c->owner_uid = (long)sqlite3_column_int64(st, 14);
		copy_str(c->owner, sizeof(c->owner), col_text(st, 15));
	}
	copy_str(c->node, sizeof(c->node), col_text(st, 16));
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
	m->path = xstrdup(col_text(st, 1));
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
	copy_str(h->ifname, sizeof(h->ifname), col_text(st, 2));
	h->tap = sqlite3_column_int(st, 3);
	h->pid = sqlite3_column_int(st, 4);
	copy_str(h->comm, sizeof(h->comm), col_text(st, 5));
	h->holder_netns = (uint64_t)sqlite3_column_int64(st, 6);
	copy_str(h->reason, sizeof(h->reason), col_text(st, 7));
}

static int load_rows(sqlite3 *db, long long id, struct topo *t, long long ver)
{
	int v2 = ver >= 2, v4 = ver >= 4, v5 = ver >= 5;
	const char *sql[] = {
		v5 ? "SELECT inode, dev, is_host, via, dump_error, names_dropped, forward4, forward6,"
		     " userns, owner_uid, owner FROM netns WHERE scan_id=?1 ORDER BY is_host DESC, inode"
		   : v4 ? "SELECT inode, dev, is_host, via, dump_error, names_dropped, forward4, forward6,"
			  " NULL, NULL, NULL FROM netns WHERE scan_id=?1 ORDER BY is_host DESC, inode"
		   : v2 ? "SELECT inode, dev, is_host, via, dump_error, names_dropped, NULL, NULL, NULL,"
			  " NULL, NULL FROM netns WHERE scan_id=?1 ORDER BY is_host DESC, inode"
		   : "SELECT inode, dev, is_host, via, 0, 0, NULL, NULL, NULL, NULL, NULL FROM netns"
		     " WHERE scan_id=?1 ORDER BY is_host DESC, inode",
		"SELECT inode, name FROM netns_name WHERE scan_id=?1 ORDER BY inode, name",
		"SELECT inode, pid FROM netns_pid WHERE scan_id=?1 ORDER BY inode, pid",
		"SELECT netns, ifindex, name, kind, slave_kind, mac, mtu, flags, oper, promiscuity,"
		" master, link, link_netnsid, hairpin FROM iface WHERE scan_id=?1",
		"SELECT netns, ifindex, family, address FROM addr WHERE scan_id=?1 ORDER BY rowid",
		"SELECT type, a_netns, a_ifindex, b_netns, b_ifindex FROM edge WHERE scan_id=?1 ORDER BY id",
		"SELECT netns, ifindex, reason FROM unresolved WHERE scan_id=?1 ORDER BY rowid",
		"SELECT netns, engine, id, name, pid, image, pod, pod_namespace, compose_project,"
		" network_mode, containerd_namespace, sandbox, host_network, verified, owner_uid,"
		" owner, node FROM container WHERE scan_id=?1 ORDER BY name, id",
		v2 ? "SELECT inode, path, mntns, pid, host FROM netns_mount WHERE scan_id=?1"
		     " ORDER BY rowid"
		   : "SELECT 0 WHERE 0",
		v4 ? "SELECT inode, route, nh, family, dst, type, metric, gateway, ifindex FROM route"
		     " WHERE scan_id=?1 ORDER BY route, nh"
		   : "SELECT 0 WHERE 0",
		v5 ? "SELECT coalesce(netns, 0), coalesce(ifindex, 0), ifname, tap, pid, comm,"
		     " coalesce(holder_netns, 0), reason FROM tap_holder WHERE scan_id=?1 ORDER BY rowid"
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
			row_mount, row_route, row_tap,
		};
	sqlite3_stmt *st = NULL;
	int rc = 0;

	for (size_t q = 0; q < sizeof(sql) / sizeof(sql[0]) && !rc; q++) {
		const char *q_sql = q != 7 ? sql[q] : ver < 3 ? ctr_v1 : ver < 6 ? ctr_v5 :
				    ver < 7 ? ctr_v6 : sql[q];

		if (sqlite3_prepare_v2(db, q_sql, -1, &st, NULL) != SQLITE_OK)
			return db_fail(db, "read");
		sqlite3_bind_int64(st, 1, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long ino = sqlite3_column_int64(st, 0);
			long ns = q ? ns_by_inode(t, ino) : -1;
			rows[q](t, st, ino, ns);
		}
		sqlite3_finalize(st);
		rc = rc == SQLITE_DONE ? 0 : db_fail(db, "read");
		if (q == 3 && !rc)
			topo_sort(t);	/* interfaces by (ns, ifindex) before anything looks them up */
	}
	topo_sort_routes(t);
	return rc;
}

/* Load snapshot id (0 = the latest) into an empty t.  -1 with a message when absent. */
int db_load(sqlite3 *db, long long id, struct topo *t)
{
	sqlite3_stmt *st;
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
	v2 = schema_version(db) >= 2;
	if (sqlite3_prepare_v2(db, v2 ? "SELECT host, started, duration_ms, missed, incomplete_reason,"
			       " names_dropped, mount_lines_dropped, mounts_skipped, lookup_timeouts,"
			       " incomplete FROM scan WHERE id=?"
			       : "SELECT host, started, duration_ms, 0, NULL, 0, 0, 0, 0, 0 FROM scan"
			       " WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_str(t->host, sizeof(t->host), col_text(st, 0));
		copy_str(t->started, sizeof(t->started), col_text(st, 1));
		t->duration_ms = sqlite3_column_double(st, 2);
		t->missed = (unsigned long)sqlite3_column_int64(st, 3);
		copy_str(t->incomplete_reason, sizeof(t->incomplete_reason), col_text(st, 4));
		t->names_dropped = (unsigned long)sqlite3_column_int64(st, 5);
		t->mount_lines_dropped = (unsigned long)sqlite3_column_int64(st, 6);
		t->mounts_skipped = (unsigned long)sqlite3_column_int64(st, 7);
		t->lookup_timeouts = (unsigned long)sqlite3_column_int64(st, 8);
		if (sqlite3_column_int(st, 9) && !topo_incomplete(t))
			copy_str(t->incomplete_reason, sizeof(t->incomplete_reason), "incomplete");
		t->scan_id = id;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		error("no scan %lld in '%s'", id, db_name(db));
		return -1;
	}
	if (rc != SQLITE_ROW)
		return db_fail(db, "read");
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	rc = load_rows(db, id, t, schema_version(db));
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* Every snapshot's summary, oldest first, into *out (the caller frees it); -1 on error. */
int db_scans(sqlite3 *db, struct scan_info **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, schema_version(db) >= 2 ?
			       "SELECT id, started, host, duration_ms, n_netns, n_ifaces, n_edges,"
			       " n_unresolved, incomplete, missed FROM scan ORDER BY id" :
			       "SELECT id, started, host, duration_ms, n_netns, n_ifaces, n_edges,"
			       " n_unresolved, 0, 0 FROM scan ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "read");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct scan_info *s;

		*out = grow(*out, &alloc, *n + 1, sizeof(**out));
		s = &(*out)[(*n)++];
		s->id = sqlite3_column_int64(st, 0);
		copy_str(s->started, sizeof(s->started), col_text(st, 1));
		copy_str(s->host, sizeof(s->host), col_text(st, 2));
		s->duration_ms = sqlite3_column_double(st, 3);
		s->n_netns = sqlite3_column_int64(st, 4);
		s->n_ifaces = sqlite3_column_int64(st, 5);
		s->n_edges = sqlite3_column_int64(st, 6);
		s->n_unresolved = sqlite3_column_int64(st, 7);
		s->incomplete = sqlite3_column_int(st, 8);
		s->missed = sqlite3_column_int64(st, 9);
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
	sqlite3_bind_int64(st, 1, scan);
	sqlite3_bind_int64(st, 2, edge);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (int end = 0; end < 2; end++) {
			ino[end] = sqlite3_column_int64(st, end * 2);
			copy_str(name[end], IFNAME_MAX, col_text(st, end * 2 + 1));
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
		if (int_query(db, sql, &have) != SQLITE_OK)
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
	    prep(db, &st, "INSERT INTO capture (scan_id, started, duration_ms, target, interfaces,"
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

	if (prep(db, &st, "UPDATE capture SET duration_ms = ?, packets = ?, state = ? WHERE id = ?"))
		return -1;
	rc = run(db, st, "disi", ms, (long long)packets, state, id);
	sqlite3_finalize(st);
	return rc;
}
