/*
 * engines.c implements container naming: it asks every engine it can find which
 * containers run (Docker and Podman APIs, containerd's and Podman's state on disk), reads
 * /proc/PID/cgroup for the rest (CRI-O, LXC, systemd-nspawn, and the main PID of what the
 * APIs named without one), and attaches each container to the namespace its main process
 * lives in.  No engine can stall or fail a scan: the APIs share one short deadline, and a
 * failure costs one warning line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

/* The container index (topo.c) for one scan, hashed with a seed an engine cannot guess. */
static void index_begin(struct topo *t)
{
	struct timespec ts;
	uint64_t seed = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &seed, sizeof(seed)) != sizeof(seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32));
	}
	if (fd >= 0)
		close(fd);
	topo_index_containers(t, seed);
}

/* Read the rest of open file fd (then closed), at most max bytes; NULL if larger or failed. */
char *read_small_fd(int fd, size_t max, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			if (cap > max) {
				free(buf);
				close(fd);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Read a whole small file; NULL if missing, unreadable or larger than max. */
char *read_small_file(const char *path, size_t max, size_t *len)
{
	return read_small_fd(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), max, len);
}

/* pid -> namespace index, from the pids discovery recorded. */
struct pidmap {
	int *pid;
	size_t *ns;
	size_t n;
};

static int cmp_pid(const void *a, const void *b)
{
	const int *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static void pidmap_build(struct pidmap *m, const struct topo *t)
{
	size_t total = 0, k = 0;
	int (*pairs)[2];

	for (size_t i = 0; i < t->nns; i++)
		total += t->ns[i].pids.n;
	pairs = xmalloc((total ? total : 1) * sizeof(*pairs));
	for (size_t i = 0; i < t->nns; i++)
		for (size_t j = 0; j < t->ns[i].pids.n; j++) {
			pairs[k][0] = t->ns[i].pids.v[j];
			pairs[k][1] = (int)i;
			k++;
		}
	sort_n(pairs, total, sizeof(*pairs), cmp_pid);
	m->pid = xmalloc((total ? total : 1) * sizeof(*m->pid));
	m->ns = xmalloc((total ? total : 1) * sizeof(*m->ns));
	for (k = 0; k < total; k++) {
		m->pid[k] = pairs[k][0];
		m->ns[k] = (size_t)pairs[k][1];
	}
	m->n = total;
	free(pairs);
}

static long pidmap_get(const struct pidmap *m, int pid)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->pid[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->pid[lo] == pid ? (long)m->ns[lo] : -1;
}

/* The parent PID from /proc/P/stat (the field after the last ')'). */
int ppid_of(int pid)
{
	char path[64], buf[512], *p;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_proc(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	return ppid;
}

/* The cgroup hierarchies mounted here, to find the directory a cgroup line names. */
#define CGMOUNTS_MAX 32
struct cgmounts {
	struct {
		char dir[512];
		char opts[256];	/* cgroup v1 super options (controllers); "" for cgroup2 */
		int v2;
	} v[CGMOUNTS_MAX];
	size_t n;
};

static void cgmounts_read(struct cgmounts *cm)
{
	size_t len;
	char *text = read_small_file("/proc/self/mountinfo", 4u << 20, &len), *save = NULL;

	cm->n = 0;
	if (!text)
		return;
	for (char *line = strtok_r(text, "\n", &save); line && cm->n < CGMOUNTS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *sep = strstr(line, " - "), *fs, *src, *opts, *p = line;
		int n = 0;

		if (!sep)
			continue;
		*sep = '\0';
		for (char *w; n < 6 && (w = strsep(&p, " ")); )
			f[n++] = w;
		p = sep + 3;
		fs = strsep(&p, " ");
		src = strsep(&p, " ");
		opts = p;
		if (n < 5 || !fs || !src || !opts || strcmp(f[3], "/") || decode_mount_escapes(f[4]))
			continue;
		if (strcmp(fs, "cgroup2") && strcmp(fs, "cgroup"))
			continue;
		if (strlen(f[4]) >= sizeof(cm->v[0].dir) || strlen(opts) >= sizeof(cm->v[0].opts))
			continue;
		strcpy(cm->v[cm->n].dir, f[4]);
		cm->v[cm->n].v2 = !strcmp(fs, "cgroup2");
		strcpy(cm->v[cm->n].opts, cm->v[cm->n].v2 ? "" : opts);
		cm->n++;
	}
	free(text);
}

/* Is word one of the comma-separated items of list? */
static int has_item(const char *list, const char *word, size_t n)
{
	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, word, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* The mount of the hierarchy whose controllers field is hier ("" = unified), or NULL. */
static const char *cgmount_of(const struct cgmounts *cm, const char *hier)
{
	for (size_t i = 0; i < cm->n; i++) {
		int all = 1;

		if (!*hier) {
			if (cm->v[i].v2)
				return cm->v[i].dir;
			continue;
		}
		if (cm->v[i].v2)
			continue;
		for (const char *p = hier; p && all; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
			size_t n = strchr(p, ',') ? (size_t)(strchr(p, ',') - p) : strlen(p);

			all = n && has_item(cm->v[i].opts, p, n);
		}
		if (all)
			return cm->v[i].dir;
	}
	return NULL;
}

/*
 * The container pid's cgroups name, if any: 1 with m set and *verified when the match is
 * where its engine puts containers and root owns that cgroup's directory.
 */
static int cgroup_of(int pid, const struct cgmounts *cm, struct cgroup_match *m, int *verified)
{
	char path[1600], buf[8192];
	const char *mnt;
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	n = read_proc(path, buf, sizeof(buf));
	if (n < 0)
		return 0;
	if (!cgroup_file_parse(buf, m))
		return 0;
	*verified = 0;
	if (!m->placed || (size_t)n == sizeof(buf) - 1)	/* a cut file proves nothing */
		return 1;
	mnt = cgmount_of(cm, m->hier);
	if (!mnt || (size_t)snprintf(path, sizeof(path), "%s%s", mnt, m->dir) >= sizeof(path))
		return 1;
	*verified = !lstat(path, &st) && S_ISDIR(st.st_mode) && st.st_uid == 0;
	if (!*verified)
		verbose("%s container %s (pid %d): cgroup '%s' is not root's", m->engine, m->id, pid,
			path);
	return 1;
}

/*
 * One pass over every process's cgroup file.  A container named there that no engine
 * listed is added (CRI-O, LXC, nspawn, or an engine whose API did not answer); one that
 * has no main PID yet gets the process whose parent is outside the container.  A cgroup
 * that is not at its engine's place, or not root's, names an unverified container of its
 * own: it never lends a process to one an engine listed.
 */
/*
 * A user's claim (rootless Podman's files) of an id that root's own word (a root-owned
 * cgroup at the engine's place, a root conmon) shows to be a system container: root's
 * word wins, and what the user's files said of it (name, image, pod, pid) is dropped.
 */
void container_reclaim(struct container *c)
{
	struct container was = *c;

	verbose("%s container %.12s: user %s's claim of it dropped: root's own says it is the "
		"system's", was.engine, was.id, was.owner);
	memset(c, 0, sizeof(*c));
	memcpy(c->engine, was.engine, sizeof(c->engine));
	memcpy(c->id, was.id, sizeof(c->id));
	c->ns = -1;
	c->verified = 1;
	c->owner_uid = -1;
}

static void cgroup_pass(struct topo *t, const struct pidmap *m)
{
	struct cgmounts cm;

	cgmounts_read(&cm);
	for (size_t k = 0; k < m->n; k++) {
		struct cgroup_match g;
		struct container *c;
		int pid = m->pid[k], ok;

		if (k && m->pid[k - 1] == pid)
			continue;
		if (!cgroup_of(pid, &cm, &g, &ok))
			continue;
		if (!ok && topo_find_ctr(t, g.engine, g.id, 1))
			continue;	/* an engine listed it: a look-alike cgroup adds nothing */
		c = topo_find_ctr(t, g.engine, g.id, ok);
		if (c && ok && c->owner_uid >= 0)
			container_reclaim(c);	/* no user's container is in a cgroup root placed */
		if (!c && ok && !strcmp(g.engine, "docker"))	/* docker's containers via containerd */
			c = topo_find_ctr(t, NULL, g.id, 1);
		if (!c) {
			c = topo_add_container(t, g.engine, g.id);
			c->verified = ok;
			if (!strcmp(g.engine, "lxc") || !strcmp(g.engine, "nspawn"))
				copy_str(c->name, sizeof(c->name), g.id);
		}
		if (!c->pid)
			c->pid = pid;	/* the lowest; the climb below finds the root */
	}
	/* climb to the outermost process still in the same container */
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];

		for (int depth = 0; c->pid && depth < 8; depth++) {
			int pp = ppid_of(c->pid), ok;
			struct cgroup_match g;

			if (pp <= 1 || !cgroup_of(pp, &cm, &g, &ok) || strcmp(g.id, c->id) ||
			    ok != c->verified || (!ok && strcmp(g.engine, c->engine)))
				break;
			c->pid = pp;
		}
	}
}

static int cmp_container(const void *pa, const void *pb)
{
	const struct container *a = pa, *b = pb;
	int r = strcmp(a->name, b->name);

	return r ? r : strcmp(a->id, b->id);
}

/* Orders of container indices, for the lookups by id prefix and by name below. */
static int by_id(const void *pa, const void *pb, void *ctx)
{
	const struct container *v = ctx, *a = &v[*(const size_t *)pa], *b = &v[*(const size_t *)pb];
	int r = strcmp(a->engine, b->engine);

	return r ? r : strcmp(a->id, b->id);
}

static int by_name(const void *pa, const void *pb, void *ctx)
{
	const struct container *v = ctx, *a = &v[*(const size_t *)pa], *b = &v[*(const size_t *)pb];
	int r = strcmp(a->engine, b->engine);

	return r ? r : strcmp(a->name, b->name);
}

/*
 * The first of ord (sorted by engine, then id or name) whose engine is engine and whose
 * id (or name) is key, or (prefix) starts with key; NULL when none.
 */
static struct container *sorted_find(struct topo *t, const size_t *ord, size_t n,
				     const char *engine, const char *key, int use_name, int prefix)
{
	size_t lo = 0, hi = n, kn = strlen(key);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct container *c = &t->ctrs[ord[mid]];
		int r = strcmp(c->engine, engine);

		if (!r)
			r = strcmp(use_name ? c->name : c->id, key);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n) {
		struct container *c = &t->ctrs[ord[lo]];
		const char *v = use_name ? c->name : c->id;

		if (!strcmp(c->engine, engine) && (!strcmp(v, key) || (prefix && !strncmp(v, key, kn))))
			return c;
	}
	return NULL;
}

/*
 * Docker: a container whose netns others join (--network container:X, X an id, an id
 * prefix of 12 or more characters, or a name) is the sandbox of that namespace.  Sorted
 * once: n log n, however many containers name however many others.
 */
static void mark_sandboxes(struct topo *t)
{
	size_t *ids, *names, n = 0;

	for (size_t i = 0; i < t->nctrs; i++)
		n += !strncmp(t->ctrs[i].netmode, "container:", 10);
	if (!n)
		return;
	ids = xmalloc(t->nctrs * sizeof(*ids));
	names = xmalloc(t->nctrs * sizeof(*names));
	n = 0;
	for (size_t i = 0; i < t->nctrs; i++)
		if (t->ctrs[i].verified) {
			ids[n] = names[n] = i;
			n++;
		}
	sort_r_n(ids, n, sizeof(*ids), by_id, t->ctrs);
	sort_r_n(names, n, sizeof(*names), by_name, t->ctrs);
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i], *owner;
		const char *key = c->netmode + 10;

		if (strncmp(c->netmode, "container:", 10) || !c->verified)
			continue;
		owner = sorted_find(t, ids, n, c->engine, key, 0, strlen(key) >= 12);
		if (!owner)	/* the mode may name the container by name */
			owner = sorted_find(t, names, n, c->engine, key, 1, 0);
		if (owner)
			owner->sandbox = 1;
	}
	free(ids);
	free(names);
}

/*
 * Name the containers of every namespace in t (discovered and sorted).  Returns 0;
 * engine failures are warnings.
 */
int engines_scan(struct topo *t)
{
	struct engine_procs procs;
	struct pidmap m;
	sqlite3 *jdb = NULL;

	if (sqlite3_open_v2(":memory:", &jdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		warnx("containers: cannot open an in-memory SQLite for JSON");
		sqlite3_close(jdb);
		jdb = NULL;
	}
	index_begin(t);
	if (jdb) {
		sqlite3_limit(jdb, SQLITE_LIMIT_LENGTH, (int)ENGINE_JSON_MAX);
		engine_procs_find(&procs);	/* one walk of /proc for every engine's processes */
		engine_api_scan(t, jdb, &procs);
		engine_containerd_scan(t, jdb);
		{
			struct timespec a, b;
			size_t before = t->nctrs;

			clock_gettime(CLOCK_MONOTONIC, &a);
			engine_shims_scan(t, jdb, &procs);
			clock_gettime(CLOCK_MONOTONIC, &b);
			verbose("containerd: %zu tasks through their shims in %.1f ms", t->nctrs - before,
				ts_diff_ms(&a, &b));
		}
		engine_podman_disk_scan(t, jdb);
		engine_podman_users_scan(t, jdb);
		engine_monitors_scan(t, &procs);	/* what the engines' answers left out */
		engine_procs_release(&procs);
	}
	sqlite3_close(jdb);

	pidmap_build(&m, t);
	cgroup_pass(t, &m);
	/*
	 * One (engine, id) is one container: a claim nobody verified, of an id a verified
	 * container holds, adds nothing (and two rows of one id in one node cannot be stored:
	 * a user's files must not be able to break the write).
	 */
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i], *v;

		if (c->verified || !c->pid || !(v = topo_find_ctr(t, c->engine, c->id, 1)) ||
		    v->node_pid != c->node_pid)
			continue;
		verbose("%s container %.12s: an unverified claim of a verified container's id: "
			"dropped", c->engine, c->id);
		c->pid = 0;
	}
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];

		if (!*c->name)
			copy_str(c->name, sizeof(c->name), c->id);
		c->ns = c->pid ? pidmap_get(&m, c->pid) : -1;
		if (c->ns < 0 && c->pid) {
			char path[64];
			struct stat st;

			snprintf(path, sizeof(path), "/proc/%d/ns/net", c->pid);
			if (!stat(path, &st))
				c->ns = topo_find_ns(t, st.st_dev, st.st_ino);
		}
		c->host_net = c->ns >= 0 && t->ns[c->ns].is_host;
	}
	engine_nodes(t);
	mark_sandboxes(t);
	topo_unindex_containers(t);
	/* Running containers only: one whose process is gone is dropped. */
	for (size_t i = 0; i < t->nctrs;) {
		if (t->ctrs[i].ns < 0) {
			verbose("container %s %s: no running process found", t->ctrs[i].engine,
				t->ctrs[i].name);
			t->ctrs[i] = t->ctrs[--t->nctrs];
		} else {
			i++;
		}
	}
	sort_n(t->ctrs, t->nctrs, sizeof(*t->ctrs), cmp_container);
	free(m.pid);
	free(m.ns);
	return 0;
}
