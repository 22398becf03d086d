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
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

struct container *topo_add_container(struct topo *t, const char *engine, const char *id)
{
	struct container *c;

	t->ctrs = grow(t->ctrs, &t->nctrs_alloc, t->nctrs + 1, sizeof(*t->ctrs));
	c = &t->ctrs[t->nctrs++];
	memset(c, 0, sizeof(*c));
	copy_str(c->engine, sizeof(c->engine), engine);
	copy_str(c->id, sizeof(c->id), id);
	c->ns = -1;
	return c;
}

/* By engine and id; an id prefix of 12 or more characters matches too. */
struct container *topo_find_container(struct topo *t, const char *engine, const char *id)
{
	size_t n = strlen(id);

	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];

		if (engine && strcmp(c->engine, engine))
			continue;
		if (!strcmp(c->id, id) || (n >= 12 && !strncmp(c->id, id, n)))
			return c;
	}
	return NULL;
}

/* Text from an engine is kept only when it has no control characters. */
int container_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Read a whole small file; NULL if missing, unreadable or larger than max. */
char *read_small_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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
	qsort(pairs, total, sizeof(*pairs), cmp_pid);
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
static int ppid_of(int pid)
{
	char path[64], buf[512], *p;
	int fd, ppid = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	return ppid;
}

/*
 * One pass over every process's cgroup file.  A container named there that no engine
 * listed is added (CRI-O, LXC, nspawn, or an engine whose API did not answer); one that
 * has no main PID yet gets the process whose parent is outside the container.
 */
static void cgroup_pass(struct topo *t, const struct pidmap *m)
{
	for (size_t k = 0; k < m->n; k++) {
		char path[64], buf[8192], id[128];
		const char *engine;
		struct container *c;
		ssize_t n;
		int fd, pid = m->pid[k];

		if (k && m->pid[k - 1] == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (!cgroup_file_parse(buf, &engine, id, sizeof(id)))
			continue;
		c = topo_find_container(t, engine, id);
		if (!c && !strcmp(engine, "docker"))	/* docker's containers via containerd */
			c = topo_find_container(t, NULL, id);
		if (!c) {
			c = topo_add_container(t, engine, id);
			if (!strcmp(engine, "lxc") || !strcmp(engine, "nspawn"))
				copy_str(c->name, sizeof(c->name), id);
		}
		if (!c->pid)
			c->pid = pid;	/* the lowest; the climb below finds the root */
	}
	/* climb to the outermost process still in the same container */
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];

		for (int depth = 0; c->pid && depth < 8; depth++) {
			int pp = ppid_of(c->pid);
			char path[64], buf[8192], id[128];
			const char *engine;
			ssize_t n;
			int fd;

			if (pp <= 1)
				break;
			snprintf(path, sizeof(path), "/proc/%d/cgroup", pp);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				break;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				break;
			buf[n] = '\0';
			if (!cgroup_file_parse(buf, &engine, id, sizeof(id)) || strcmp(id, c->id))
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

/*
 * A name for namespace ns from its containers: the sandbox's (a pod, or the container
 * whose namespace others joined), else the first by name; NULL when it has none, and
 * always for the host's namespace.
 */
const char *topo_ns_container(const struct topo *t, size_t ns)
{
	const char *any = NULL;

	if (t->ns[ns].is_host)
		return NULL;	/* host-network containers do not own the host */
	for (size_t i = 0; i < t->nctrs; i++) {
		if (t->ctrs[i].ns != (long)ns || !*t->ctrs[i].name)
			continue;
		if (t->ctrs[i].sandbox)
			return t->ctrs[i].name;
		if (!any)
			any = t->ctrs[i].name;
	}
	return any;
}

/*
 * Name the containers of every namespace in t (discovered and sorted).  Returns 0;
 * engine failures are warnings.
 */
int engines_scan(struct topo *t)
{
	struct pidmap m;
	sqlite3 *jdb = NULL;

	if (sqlite3_open_v2(":memory:", &jdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		warnx("containers: cannot open an in-memory SQLite for JSON");
		sqlite3_close(jdb);
		jdb = NULL;
	}
	if (jdb) {
		sqlite3_limit(jdb, SQLITE_LIMIT_LENGTH, (int)ENGINE_JSON_MAX);
		engine_api_scan(t, jdb);
		engine_containerd_scan(t, jdb);
		engine_podman_disk_scan(t, jdb);
	}
	sqlite3_close(jdb);

	pidmap_build(&m, t);
	cgroup_pass(t, &m);
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
	/* Docker: a container whose netns others join (--network container:ID) */
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i], *owner;

		if (strncmp(c->netmode, "container:", 10))
			continue;
		owner = topo_find_container(t, c->engine, c->netmode + 10);
		if (!owner)	/* the mode may name the container by name */
			for (size_t k = 0; k < t->nctrs && !owner; k++)
				if (!strcmp(t->ctrs[k].name, c->netmode + 10) &&
				    !strcmp(t->ctrs[k].engine, c->engine))
					owner = &t->ctrs[k];
		if (owner)
			owner->sandbox = 1;
	}
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
	if (t->nctrs)
		qsort(t->ctrs, t->nctrs, sizeof(*t->ctrs), cmp_container);
	free(m.pid);
	free(m.ns);
	return 0;
}
