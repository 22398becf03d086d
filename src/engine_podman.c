/*
 * engine_podman.c implements Podman read from its state on disk (containers.json for
 * names, each container's pidfile for its PID), for the system's Podman when its API
 * socket is absent, and rootless Podman for every user who runs it: that user's API
 * socket ($XDG_RUNTIME_DIR/podman/podman.sock) when it answers, else that user's storage
 * (graph root and run root, as ~/.config/containers/storage.conf moves them).
 *
 * Everything of a user's is that user's to shape, so it is read as hostile: every file is
 * walked to from a directory fd of a base (the home, the run root) with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: no
 * link followed, no mount crossed), a base on FUSE or a network filesystem is not read
 * at all, and a file must be a regular file of that user's, of bounded size.  Their
 * socket must be a socket of theirs, served by a process of theirs (SO_PEERCRED).  A
 * container a user's files name is that user's (owner) and verified only when its main
 * process and its network namespace both belong to that user (a user namespace owned by
 * them): a user cannot name anyone else's namespace.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

#define PODMAN_USERS_MAX 256	/* users looked at per scan */
#define USER_FILE_MAX (64u << 10)	/* storage.conf, pidfiles */
#define USERNS_DEPTH_MAX 33	/* the kernel nests at most 32 user namespaces */
#define USERS_ANSWER_MAX (16u << 20)	/* all users' API answers together (at least 1 MiB each) */

/* How the pidfile of container id is found: a path template, or a dir fd of a user's. */
struct podman_store {
	int run_fd;		/* the run root, or -1: the system's fixed path */
	const char *driver;	/* overlay, vfs, ... */
	uid_t uid;		/* owner of every file (run_fd >= 0) */
};

/*
 * Open path beneath dir fd base (no symlink, no magic link, no mount crossed) as O_PATH
 * and check it: a file of type `type` (S_IFREG, S_IFDIR, S_IFSOCK) owned by uid.  The
 * O_PATH fd, or -1.  Attributes are the cached ones: nothing here waits for a filesystem.
 */
static int user_path(int base, const char *path, unsigned type, uid_t uid)
{
	struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	struct statx stx;
	int fd = (int)syscall(SYS_openat2, base, path, &how, sizeof(how));

	if (fd < 0)
		return -1;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_UID, &stx) ||
	    (stx.stx_mode & S_IFMT) != type || stx.stx_uid != uid) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A regular file of uid's beneath base, at most max bytes: its text (NUL-ended), or NULL. */
static char *user_file(int base, const char *path, uid_t uid, size_t max, size_t *len)
{
	int pfd = user_path(base, path, S_IFREG, uid), fd;
	char self[64];

	if (pfd < 0)
		return NULL;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	close(pfd);
	return read_small_fd(fd, max, len);
}

/* The mounts of filesystems that may never answer (FUSE, network): ids and mountpoints. */
static void unsafe_mounts(struct intv *ids, struct strv *paths)
{
	size_t len;
	char *text = read_small_file("/proc/self/mountinfo", 4u << 20, &len), *save = NULL;

	if (!text)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int id = atoi(line);
		struct mnt_entry e;

		if (!mountinfo_parse(line, &e) && fstype_unsafe(e.fstype)) {
			intv_add(ids, id);
			strv_add(paths, e.mountpoint);
		}
	}
	free(text);
}

/*
 * A base directory of uid's: path (absolute) opened without following a symlink on the
 * way, owned by uid, not on a filesystem that may never answer.  A dir fd (O_PATH), or -1.
 * Before the open the path is checked against the mount table, so that the walk itself
 * does not enter such a filesystem; after it, the mount the fd is on.
 */
static int user_base(const char *path, uid_t uid, const struct intv *unsafe,
		     const struct strv *unsafe_paths)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct statx stx;
	int fd;

	if (path[0] != '/' || mount_unsafe_parent(unsafe_paths, path))
		return -1;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0)
		return -1;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_UID | STATX_MNT_ID, &stx) ||
	    stx.stx_uid != uid || !(stx.stx_mask & STATX_MNT_ID))
		goto refuse;
	for (size_t i = 0; i < unsafe->n; i++)
		if ((unsigned)unsafe->v[i] == stx.stx_mnt_id)
			goto refuse;
	return fd;
refuse:
	close(fd);
	return -1;
}

/* A pid in a pidfile of ours (run_fd -1) or of the user's run root; 0 when none. */
static int store_pid(const struct podman_store *s, const char *id)
{
	char path[512], *text;
	long pid = 0;

	if (s->run_fd < 0) {
		snprintf(path, sizeof(path), "/run/containers/storage/%s-containers/%s/userdata/pidfile",
			 s->driver, id);
		return pid_from_file(path);
	}
	snprintf(path, sizeof(path), "%s-containers/%s/userdata/pidfile", s->driver, id);
	text = user_file(s->run_fd, path, s->uid, 32, NULL);
	if (text) {
		pid = strtol(text, NULL, 10);
		free(text);
	}
	return pid > 0 && pid < (1 << 30) ? (int)pid : 0;
}

/*
 * Does user namespace fd (consumed) belong to uid: it, or one it is nested in, was made
 * by uid?  The initial user namespace belongs to no user.
 */
static int userns_of(int fd, uid_t uid)
{
	struct stat self, st;
	int ok = 0;

	if (stat("/proc/self/ns/user", &self)) {
		close(fd);
		return 0;
	}
	for (int depth = 0; fd >= 0 && depth < USERNS_DEPTH_MAX && !ok; depth++) {
		uid_t owner;
		int parent;

		if (fstat(fd, &st) || (st.st_dev == self.st_dev && st.st_ino == self.st_ino))
			break;
		if (!ioctl(fd, NS_GET_OWNER_UID, &owner) && owner == uid) {
			ok = 1;
			break;
		}
		parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = parent;
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Is pid a process of uid's in a network namespace of uid's?  Its user namespace belongs
 * to uid (or it is uid's in the initial one), and so does the user namespace that owns
 * its network namespace: a namespace root made, or another user's, is never uid's.
 */
static int pid_is_users(int pid, uid_t uid)
{
	char path[64], buf[2048], *p;
	unsigned ruid;
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = userns_of(fd, uid);
	if (!ok) {
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		ok = read_proc(path, buf, sizeof(buf)) > 0 && (p = strstr(buf, "\nUid:")) &&
		     sscanf(p + 5, "%u", &ruid) == 1 && ruid == uid;
	}
	if (!ok)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = ioctl(fd, NS_GET_USERNS);
	close(fd);
	return ok >= 0 && userns_of(ok, uid);
}

/*
 * Mark the containers from index from on as uid's, verified only where its pids say so.
 * One (engine, id) is one container: a claim of an id another list already holds is
 * dropped (its pid cleared: engines_scan drops containers without a process), and so is an
 * earlier unverified claim of an id that turns out to be this user's.
 */
static void own_containers(struct topo *t, size_t from, uid_t uid, const char *name)
{
	for (size_t i = from; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];

		c->owner_uid = (long)uid;
		copy_str(c->owner, sizeof(c->owner), name);
		if (!c->pid || !pid_is_users(c->pid, uid)) {
			if (c->pid)
				verbose("podman container %s of user %s: pid %d is not that user's "
					"(or not in a namespace of theirs): unverified", c->name, name,
					c->pid);
			c->verified = 0;
		}
	}
	for (size_t i = from; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i], *drop = NULL;

		if (c->verified)	/* the first-listed (earliest) unverified claim */
			drop = topo_find_ctr(t, c->engine, c->id, 0);
		else if (topo_find_ctr(t, c->engine, c->id, 1) ||
			 topo_find_ctr(t, c->engine, c->id, 0) != c)
			drop = c;	/* the id is held already: this claim adds nothing */
		if (drop && drop->pid) {
			verbose("podman container %s of user %s: its id is another's: dropped",
				drop->name, drop->owner);
			drop->pid = 0;
		}
	}
}

/* containers.json of a store: every running container (with a pidfile) added. */
static void podman_list(struct topo *t, sqlite3 *jdb, const char *text, size_t len,
			const struct podman_store *s)
{
	static const char sql[] =
		"SELECT json_extract(value, '$.id'), json_extract(value, '$.names[0]'),"
		" json_extract(value, '$.metadata')"
		" FROM json_each(?1) WHERE json_valid(?1) AND json_type(?1) = 'array'";
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < ENGINE_MAX_CONTAINERS) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *meta = (const char *)sqlite3_column_text(st, 2);
		struct container *c;
		int pid;

		if (sqlite3_column_type(st, 0) != SQLITE_TEXT || !id || strlen(id) != 64 ||
		    !container_text_ok(id) || strchr(id, '/') || topo_find_container(t, "podman", id))
			continue;
		pid = store_pid(s, id);
		if (!pid)
			continue;	/* not running (or a build container) */
		c = topo_add_container(t, "podman", id);
		c->pid = pid;
		n++;
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT && name && container_text_ok(name))
			copy_str(c->name, sizeof(c->name), name);
		if (sqlite3_column_type(st, 2) == SQLITE_TEXT && meta)
			engine_json_text(jdb, meta, strlen(meta), "$.\"image-name\"", c->image,
				   sizeof(c->image));
	}
	sqlite3_finalize(st);
}

/* Podman without its API: containers.json for names, each pidfile for the PID. */
int engine_podman_disk_scan(struct topo *t, sqlite3 *jdb)
{
	const struct podman_store s = { .run_fd = -1, .driver = "overlay" };
	size_t len;
	char *text = read_small_file("/var/lib/containers/storage/overlay-containers/containers.json",
				     ENGINE_JSON_MAX, &len);

	if (text)
		podman_list(t, jdb, text, len, &s);
	free(text);
	return 0;
}

/* ---- storage.conf --------------------------------------------------------------------- */

/* A TOML string value ("basic" without escapes, or 'literal') into out; 0, or -1. */
static int toml_string(const char *v, char *out, size_t size)
{
	char q = *v;
	const char *end;

	if (q != '"' && q != '\'')
		return -1;
	end = strchr(v + 1, q);
	if (!end || (size_t)(end - v - 1) >= size || memchr(v + 1, '\\', (size_t)(end - v - 1)))
		return -1;
	for (const char *p = end + 1; *p; p++)
		if (*p == '#')
			break;
		else if (*p != ' ' && *p != '\t' && *p != '\r')
			return -1;
	memcpy(out, v + 1, (size_t)(end - v - 1));
	out[end - v - 1] = '\0';
	if (container_text_ok(out))
		return 0;
	out[0] = '\0';
	return -1;
}

/*
 * The keys of containers-storage.conf(5) that move a store: driver, graphroot and runroot
 * of the [storage] table (other tables are not looked at).  A value that is not a plain
 * one-line string leaves its field empty.  Returns the number of keys set.
 */
int storage_conf_parse(const char *text, struct storage_conf *sc)
{
	int in_storage = 0, n = 0;

	memset(sc, 0, sizeof(*sc));
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024], *p = buf, *eq, *k, *ke;

		if (ll < sizeof(buf)) {
			memcpy(buf, line, ll);
			buf[ll] = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '[') {
				in_storage = !strncmp(p, "[storage]", 9);
			} else if (in_storage && *p && *p != '#' && (eq = strchr(p, '='))) {
				k = p;
				ke = eq;
				while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
					ke--;
				*ke = '\0';
				for (p = eq + 1; *p == ' ' || *p == '\t'; p++)
					;
				if (!strcmp(k, "driver"))
					n += !toml_string(p, sc->driver, sizeof(sc->driver));
				else if (!strcmp(k, "graphroot"))
					n += !toml_string(p, sc->graphroot, sizeof(sc->graphroot));
				else if (!strcmp(k, "runroot"))
					n += !toml_string(p, sc->runroot, sizeof(sc->runroot));
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

/* ---- rootless Podman, user by user ---------------------------------------------------- */

struct puser {
	uid_t uid;
	char name[64];
	char home[512];
	int sock;		/* O_PATH fd of its API socket, -1 none */
	int answered;		/* its API listed its containers */
};

static int add_uid(uid_t *uids, size_t *n, uid_t uid)
{
	for (size_t i = 0; i < *n; i++)
		if (uids[i] == uid)
			return 0;
	if (*n >= PODMAN_USERS_MAX)
		return -1;
	uids[(*n)++] = uid;
	return 0;
}

/*
 * The users who run rootless Podman: the owners of podman, conmon, slirp4netns, pasta and
 * catatonit processes that are not root's, and of the /run/user/UID directories.
 */
static size_t find_users(uid_t *uids)
{
	static const char *const comms[] = { "podman", "conmon", "slirp4netns", "pasta",
					     "catatonit", "rootlessport" };
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	while (d && (e = readdir(d))) {
		char path[64], comm[64];
		struct stat st;
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || fstatat(dirfd(d), e->d_name, &st, 0) || st.st_uid == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		if (read_proc(path, comm, sizeof(comm)) < 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		for (size_t k = 0; k < sizeof(comms) / sizeof(comms[0]); k++)
			if (!strcmp(comm, comms[k]) && add_uid(uids, &n, st.st_uid))
				goto full;
	}
	if (d)
		closedir(d);
	d = opendir("/run/user");
	while (d && (e = readdir(d))) {
		struct stat st;
		char *end;
		unsigned long uid = strtoul(e->d_name, &end, 10);

		if (*end || e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode) ||
		    st.st_uid != uid || uid == 0)
			continue;
		if (add_uid(uids, &n, (uid_t)uid))
			goto full;
	}
	if (d)
		closedir(d);
	return n;
full:
	closedir(d);
	warnx("podman: more than %d users run rootless Podman: the others are not looked at",
	      PODMAN_USERS_MAX);
	return n;
}

/*
 * The API socket /run/user/UID/podman/podman.sock of u's, as an O_PATH fd, or -1.  The
 * runtime directory is a base of its own (logind mounts a tmpfs there).
 */
static int user_socket(const struct puser *u, const struct intv *unsafe,
		       const struct strv *unsafe_paths)
{
	char path[64];
	int run, fd;

	snprintf(path, sizeof(path), "/run/user/%u", (unsigned)u->uid);
	run = user_base(path, u->uid, unsafe, unsafe_paths);
	if (run < 0)
		return -1;
	fd = user_path(run, "podman/podman.sock", S_IFSOCK, u->uid);
	close(run);
	return fd;
}

/* Every user's socket at once, under one deadline: each that answers lists its containers. */
static void users_api(struct topo *t, sqlite3 *jdb, struct puser *us, size_t n)
{
	struct http_req *req = xcalloc(n ? n : 1, sizeof(*req));
	size_t *who = xcalloc(n ? n : 1, sizeof(*who)), nr = 0;
	long long deadline;

	for (size_t i = 0; i < n; i++) {
		if (us[i].sock < 0)
			continue;
		req[nr].engine = "podman";
		snprintf(req[nr].sock, sizeof(req[nr].sock), "/proc/self/fd/%d", us[i].sock);
		copy_str(req[nr].path, sizeof(req[nr].path), "/v4.0.0/libpod/containers/json");
		req[nr].peer_check = 1;
		req[nr].peer_uid = us[i].uid;
		who[nr++] = i;
	}
	for (size_t k = 0; k < nr; k++)	/* every user's server is that user's to shape */
		req[k].max_answer = USERS_ANSWER_MAX / nr > (1u << 20) ? USERS_ANSWER_MAX / nr : 1u << 20;
	if (nr) {
		deadline = http_now_ms() + ENGINE_TIMEOUT_MS;
		http_run(req, nr, ENGINE_TIMEOUT_MS);
	}
	for (size_t k = 0; k < nr; k++) {
		struct http_req *r = &req[k];
		struct puser *u = &us[who[k]];
		char sock[80];
		size_t from = t->nctrs;
		int got = -1;

		snprintf(sock, sizeof(sock), "/run/user/%u/podman/podman.sock", (unsigned)u->uid);
		if (r->done && r->status == 200)
			got = engine_take_list(t, jdb, "podman", r->body, r->body_len, deadline);
		if (got >= 0) {
			own_containers(t, from, u->uid, u->name);
			u->answered = 1;
			verbose("podman: %d containers of user %s from %s", got, u->name, sock);
		} else {
			warnx("podman: user %s's '%s' %s: containers read from that user's storage",
			      u->name, sock, r->done && r->status != 200 ? "answered an error" :
			      r->done ? "answered malformed JSON" : r->err ? r->err : "failed");
		}
		http_release(r);
	}
	free(req);
	free(who);
}

/* One store of u's: its graph root's containers.json, its run root's pidfiles. */
static void user_store(struct topo *t, sqlite3 *jdb, const struct puser *u, int graph_fd,
		       int run_fd, const char *driver)
{
	struct podman_store s = { .run_fd = run_fd, .driver = driver, .uid = u->uid };
	char path[64];
	size_t len, from = t->nctrs;
	char *text;

	snprintf(path, sizeof(path), "%s-containers/containers.json", driver);
	text = user_file(graph_fd, path, u->uid, ENGINE_JSON_MAX, &len);
	if (!text)
		return;
	podman_list(t, jdb, text, len, &s);
	free(text);
	own_containers(t, from, u->uid, u->name);
	verbose("podman: %zu containers of user %s from its %s storage", t->nctrs - from, u->name,
		driver);
}

/* Without u's API: u's storage, where its storage.conf (or Podman's defaults) puts it. */
static void user_disk(struct topo *t, sqlite3 *jdb, const struct puser *u,
		      const struct intv *unsafe, const struct strv *unsafe_paths)
{
	static const char *const drivers[] = { "overlay", "vfs", "btrfs", "zfs" };
	struct storage_conf sc = { 0 };
	char path[600];
	int home, graph, run = -1;
	char *conf;

	home = user_base(u->home, u->uid, unsafe, unsafe_paths);
	if (home < 0) {
		verbose("podman: user %s: home '%s' is not looked at (not that user's, or on a "
			"filesystem that may not answer)", u->name, u->home);
		return;
	}
	conf = user_file(home, ".config/containers/storage.conf", u->uid, USER_FILE_MAX, NULL);
	if (conf) {
		storage_conf_parse(conf, &sc);
		free(conf);
	}
	if (*sc.graphroot)
		graph = user_base(sc.graphroot, u->uid, unsafe, unsafe_paths);
	else
		graph = user_path(home, ".local/share/containers/storage", S_IFDIR, u->uid);
	close(home);
	if (graph < 0)
		return;
	if (*sc.runroot) {
		run = user_base(sc.runroot, u->uid, unsafe, unsafe_paths);
	} else {
		snprintf(path, sizeof(path), "/run/user/%u/containers", (unsigned)u->uid);
		run = user_base(path, u->uid, unsafe, unsafe_paths);
		if (run < 0) {
			snprintf(path, sizeof(path), "/tmp/podman-run-%u/containers", (unsigned)u->uid);
			run = user_base(path, u->uid, unsafe, unsafe_paths);
		}
	}
	if (run >= 0) {
		for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
			if (!*sc.driver || !strcmp(sc.driver, drivers[i]))
				user_store(t, jdb, u, graph, run, drivers[i]);
		close(run);
	}
	close(graph);
}

/*
 * Rootless Podman of every user who runs it: each user's API socket, all at once under
 * one deadline, and for those without one that answers, their storage on disk.
 */
int engine_podman_users_scan(struct topo *t, sqlite3 *jdb)
{
	uid_t uids[PODMAN_USERS_MAX];
	size_t n = find_users(uids), nu = 0;
	struct puser *us = xcalloc(n ? n : 1, sizeof(*us));
	struct intv unsafe = { 0 };
	struct strv unsafe_paths = { 0 };

	for (size_t i = 0; i < n; i++) {
		struct passwd pw, *pp = NULL;
		char buf[4096];

		if (getpwuid_r(uids[i], &pw, buf, sizeof(buf), &pp) || !pp || !pw.pw_dir ||
		    !container_text_ok(pw.pw_name) || strlen(pw.pw_name) >= sizeof(us->name) ||
		    strlen(pw.pw_dir) >= sizeof(us->home))
			continue;
		us[nu].uid = uids[i];
		copy_str(us[nu].name, sizeof(us[nu].name), pw.pw_name);
		copy_str(us[nu].home, sizeof(us[nu].home), pw.pw_dir);
		if (!nu)
			unsafe_mounts(&unsafe, &unsafe_paths);
		us[nu].sock = user_socket(&us[nu], &unsafe, &unsafe_paths);
		nu++;
	}
	users_api(t, jdb, us, nu);
	for (size_t i = 0; i < nu; i++)
		if (!us[i].answered)
			user_disk(t, jdb, &us[i], &unsafe, &unsafe_paths);
	for (size_t i = 0; i < nu; i++)
		if (us[i].sock >= 0)
			close(us[i].sock);
	intv_release(&unsafe);
	strv_release(&unsafe_paths);
	free(us);
	return 0;
}
