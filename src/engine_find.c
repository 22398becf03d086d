/*
 * engine_find.c implements finding engines by their processes rather than at fixed host
 * paths: every containerd shim (/proc/P/exe named containerd-shim*) runs in the bundle
 * directory of a task it serves, whichever --state its containerd was given, in whichever
 * mount and PID namespace (a nested engine, as kind, k3d or minikube run one); the
 * directory above holds every bundle of that containerd namespace.  A process name proves
 * nothing (anyone can run a program called that): it only says where to look, and only a
 * shim that is root's in our user namespace, in a directory root owns and others cannot
 * write, on a filesystem that cannot stall a lookup, is read.  Bundle files are opened
 * beneath that directory (openat2 RESOLVE_BENEATH, no symlinks, no other mount), root's
 * regular files, bounded.  The PID a bundle's init.pid names is a PID of its shim's PID
 * namespace: it is taken only as a child of one of the shims there whose NSpid line says
 * so, which gives our PID.  A task of a shim in another PID namespace carries that
 * namespace's init (its node: engine_nodes).
 *
 * The same holds for the other engines' processes: a conmon (Podman's and CRI-O's monitor,
 * one per container) names its container on its command line and is its init's parent, so
 * does an LXC monitor (lxc-start, when the init's cgroup agrees); a
 * dockerd in a mount namespace not ours is asked through its root (engine_daemons_find).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

#define SHIMS_MAX 8192		/* shims looked at per scan */
#define CHILDREN_MAX 64		/* children of one shim looked at */
#define NSPID_MAX 32		/* PID namespace levels (the kernel allows 32) */
#define BUNDLE_FILE_MAX (4u << 20)
#define MNT_CACHE 16		/* mount tables kept (one per mount namespace of shims) */
#define BUNDLES_MAX 65536	/* entries of one bundle directory read */

struct mnt_cache {
	struct {
		uint64_t mntns;
		char *text;
	} v[MNT_CACHE];
	size_t n;
};

static int ns_of(int pid, const char *type, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, type);
	if (stat(path, &st))
		return -1;
	*ino = st.st_ino;
	return 0;
}

/* The NSpid line of /proc/P/status: our PID first, then one per deeper level. */
static int nspid_of(int pid, int *v, int max)
{
	char path[64], buf[4096], *p;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_proc(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nNSpid:")))
		return 0;
	p += 7;
	while (n < max) {
		char *end;
		long x = strtol(p, &end, 10);

		if (end == p || x <= 0 || x >= (1L << 30))
			break;
		v[n++] = (int)x;
		p = end;
		if (*p != '\t' && *p != ' ')
			break;
	}
	return n;
}

/* The file name of P's program (its /proc/P/exe), into out; 0 if it has none. */
static int exe_base(int pid, char *out, size_t size)
{
	char path[64], exe[512];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	if (!base)
		return 0;
	copy_str(out, size, base + 1);
	return 1;
}

/* The filesystem type of mount id mnt in P's mount table is one a lookup may enter. */
static int local_fs(int pid, uint64_t mnt, struct mnt_cache *mc)
{
	char path[64], *text = NULL, *save = NULL, *copy;
	uint64_t mntns;
	int ok = 0;

	if (ns_of(pid, "mnt", &mntns))
		return 0;
	for (size_t i = 0; i < mc->n && !text; i++)
		if (mc->v[i].mntns == mntns)
			text = mc->v[i].text;
	if (!text) {
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
		text = read_small_file(path, 4u << 20, NULL);
		if (!text)
			return 0;
		if (mc->n == MNT_CACHE) {
			free(mc->v[--mc->n].text);
		}
		mc->v[mc->n].mntns = mntns;
		mc->v[mc->n++].text = text;
	}
	copy = xstrdup(text);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mnt_entry e;
		char *end;

		if (strtoull(line, &end, 10) != mnt || *end != ' ')
			continue;
		ok = !mountinfo_parse(line, &e) && e.fstype && !fstype_unsafe(e.fstype);
		break;
	}
	free(copy);
	return ok;
}

/* File name of the bundle dir, read beneath it: root's regular file, at most max bytes. */
static char *bundle_file(int dir, const char *name, size_t max, size_t *len)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	int fd = (int)syscall(SYS_openat2, dir, name, &how, sizeof(how));
	struct stat st;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || (size_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	return read_small_fd(fd, max, len);
}

/*
 * One directory of bundles (.../io.containerd.runtime.v2.task/NS) and the shims that run
 * in one of its bundles: a shim may serve several tasks (the runc v2 shim serves a whole
 * pod), so every bundle of the directory is read and taken when its init is a child of
 * one of those shims.
 */
struct bundle_dir {
	dev_t dev;
	ino_t ino;
	uint64_t mntns;		/* its first shim's mount namespace */
	char cns[64];
	struct {
		int pid, level;	/* a shim here, and its PID namespace's level */
	} *shim;
	size_t nshims, alloc;
};

/* A child of a shim: its PID in the shim's namespace, ours, and the shim's node. */
struct shim_child {
	int nspid, pid, node;
};

static int cmp_child(const void *a, const void *b)
{
	const struct shim_child *x = a, *y = b;

	return (x->nspid > y->nspid) - (x->nspid < y->nspid);
}

/* The children of shim (every thread's), as seen at level, appended to v. */
static void shim_children(int shim, int level, int node, struct shim_child **v, size_t *n,
			  size_t *alloc)
{
	char path[64];
	struct dirent *e;
	size_t seen = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", shim);
	d = opendir(path);
	if (!d)
		return;
	while (seen < CHILDREN_MAX && (e = readdir(d))) {
		char cpath[96], buf[2048], *p;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%.16s/children", shim, e->d_name);
		if (read_proc(cpath, buf, sizeof(buf)) < 0)
			continue;
		for (p = buf; seen < CHILDREN_MAX; seen++) {
			int ns[NSPID_MAX], k;
			char *end;
			long c = strtol(p, &end, 10);

			if (end == p || c <= 0 || c >= (1L << 30))
				break;
			p = end;
			k = nspid_of((int)c, ns, NSPID_MAX);
			if (k > level && ns[0] == (int)c && ppid_of((int)c) == shim) {
				*v = grow(*v, alloc, *n + 1, sizeof(**v));
				(*v)[*n].nspid = ns[level];
				(*v)[*n].pid = (int)c;
				(*v)[(*n)++].node = node;
			}
		}
	}
	closedir(d);
}

/* Our PID of the init of P's PID namespace (level: P's), found by climbing; 0 if none. */
static int pidns_init(int pid, int level)
{
	uint64_t want, ns;
	int p = pid, v[NSPID_MAX], n;

	if (ns_of(pid, "pid", &want))
		return 0;
	for (int depth = 0; depth < 64; depth++) {
		int pp = ppid_of(p);

		if (pp <= 0 || ns_of(pp, "pid", &ns) || ns != want)
			break;
		p = pp;
	}
	n = nspid_of(p, v, NSPID_MAX);
	return n > level && v[level] == 1 ? p : 0;
}

/* The bundle directory that shim P runs in, into dirs (a new one or the one it shares). */
static void shim_add(int pid, uint64_t our_user, struct bundle_dir **dirs, size_t *ndirs,
		     size_t *alloc, struct mnt_cache *mc)
{
	char path[64], cwd[1024], *id, *cns, *tdir;
	int v[NSPID_MAX], n, fd;
	struct bundle_dir *b = NULL;
	struct statx stx;
	uint64_t user;
	struct stat st;
	ssize_t k;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) || st.st_uid != 0 || ns_of(pid, "user", &user) || user != our_user)
		return;		/* not root's, or root of another user namespace */
	n = nspid_of(pid, v, NSPID_MAX);
	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	k = readlink(path, cwd, sizeof(cwd) - 1);
	if (k <= 0 || n <= 0)
		return;
	cwd[k] = '\0';
	id = strrchr(cwd, '/');
	if (!id || id == cwd)
		return;
	*id = '\0';
	cns = strrchr(cwd, '/');
	if (!cns || cns == cwd)
		return;
	*cns++ = '\0';
	tdir = strrchr(cwd, '/');
	if (!tdir || strcmp(tdir + 1, "io.containerd.runtime.v2.task") || !container_text_ok(cns) ||
	    strlen(cns) >= sizeof(b->cns))
		return;		/* not a runtime v2 bundle (or the directory is gone: "(deleted)") */
	snprintf(path, sizeof(path), "/proc/%d/cwd/..", pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_MNT_ID,
		  &stx) || !(stx.stx_mask & STATX_MNT_ID)) {
		close(fd);
		return;
	}
	close(fd);
	for (size_t i = 0; i < *ndirs && !b; i++)	/* a directory seen (and checked) before */
		if ((*dirs)[i].dev == makedev(stx.stx_dev_major, stx.stx_dev_minor) &&
		    (*dirs)[i].ino == stx.stx_ino)
			b = &(*dirs)[i];
	if (!b && (!S_ISDIR(stx.stx_mode) || stx.stx_uid != 0 ||
		   (stx.stx_mode & (S_IWGRP | S_IWOTH)) || !local_fs(pid, stx.stx_mnt_id, mc))) {
		verbose("containerd shim %d: '%s' is not root's on a local filesystem", pid, cns);
		return;
	}
	if (!b) {
		*dirs = grow(*dirs, alloc, *ndirs + 1, sizeof(**dirs));
		b = &(*dirs)[(*ndirs)++];
		memset(b, 0, sizeof(*b));
		b->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		b->ino = stx.stx_ino;
		if (ns_of(pid, "mnt", &b->mntns))
			b->mntns = 0;
		copy_str(b->cns, sizeof(b->cns), cns);
	}
	b->shim = grow(b->shim, &b->alloc, b->nshims + 1, sizeof(*b->shim));
	b->shim[b->nshims].pid = pid;
	b->shim[b->nshims++].level = n - 1;
}

/* The tasks of one bundle directory whose init is a child of one of its shims. */
static void dir_tasks(struct topo *t, sqlite3 *jdb, const struct bundle_dir *b)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	struct shim_child *kids = NULL;
	size_t nkids = 0, alloc = 0, seen = 0;
	char path[64];
	struct dirent *e;
	int fd = -1;
	DIR *d = NULL;

	for (size_t i = 0; i < b->nshims; i++) {
		int pid = b->shim[i].pid, level = b->shim[i].level;
		int node = level ? pidns_init(pid, level) : 0;

		if (level && !node) {
			verbose("containerd shim %d: its PID namespace has no init in view", pid);
			continue;
		}
		shim_children(pid, level, node, &kids, &nkids, &alloc);
	}
	sort_n(kids, nkids, sizeof(*kids), cmp_child);
	/* the directory, again through the first shim that still runs there */
	for (size_t i = 0; i < b->nshims && fd < 0; i++) {
		struct statx stx;
		int dfd;

		snprintf(path, sizeof(path), "/proc/%d/cwd/..", b->shim[i].pid);
		dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		if (!statx(dfd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) &&
		    makedev(stx.stx_dev_major, stx.stx_dev_minor) == b->dev && stx.stx_ino == b->ino)
			fd = (int)syscall(SYS_openat2, dfd, ".", &how, sizeof(how));
		close(dfd);
	}
	if (fd >= 0 && !(d = fdopendir(fd)))
		close(fd);
	while (d && nkids && seen++ < BUNDLES_MAX && (e = readdir(d))) {
		struct open_how bh = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
				       .resolve = how.resolve };
		struct shim_child key, *hit;
		struct container *c;
		struct statx stx;
		char *text, *config;
		size_t len = 0;
		int bfd;

		if (e->d_name[0] == '.' || !container_text_ok(e->d_name))
			continue;
		c = topo_find_container(t, NULL, e->d_name);
		if (c && strcmp(c->engine, "containerd") &&
		    !(c->src_mntns && !c->pid && c->src_mntns == b->mntns))
			continue;	/* Docker's own (moby), named by its API */
		bfd = (int)syscall(SYS_openat2, dirfd(d), e->d_name, &bh, sizeof(bh));
		if (bfd < 0)
			continue;
		if (statx(bfd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) ||
		    !S_ISDIR(stx.stx_mode) || stx.stx_uid != 0 ||
		    (stx.stx_mode & (S_IWGRP | S_IWOTH))) {
			close(bfd);
			continue;
		}
		text = bundle_file(bfd, "init.pid", 32, NULL);
		key.nspid = text ? atoi(text) : 0;
		free(text);
		hit = key.nspid > 0 ? bsearch(&key, kids, nkids, sizeof(*kids), cmp_child) : NULL;
		if (hit && ((hit > kids && hit[-1].nspid == key.nspid) ||
			    (hit + 1 < kids + nkids && hit[1].nspid == key.nspid)))
			hit = NULL;	/* two shims' children answer: which is unknowable */
		if (!hit) {
			verbose("containerd task %s/%s: init.pid names no child of its shims", b->cns,
				e->d_name);
			close(bfd);
			continue;
		}
		if (c && strcmp(c->engine, "containerd")) {
			/* a nested daemon's container (its API named it): PID and node from here */
			c->pid = hit->pid;
			c->node_pid = hit->node;
			close(bfd);
			continue;
		}
		config = bundle_file(bfd, "config.json", BUNDLE_FILE_MAX, &len);
		close(bfd);
		c = engine_containerd_task(t, jdb, b->cns, e->d_name, hit->pid, config, len);
		if (c)
			c->node_pid = hit->node;
		free(config);
	}
	if (d)
		closedir(d);
	free(kids);
}

/*
 * A conmon command line (NUL-separated, as /proc/P/cmdline has it): the container's id
 * (-c/--cid), name (-n/--name) and engine, Podman's when --exit-command is a podman, CRI-O's
 * when --exit-dir is below a crio directory.  Returns 0 when id and engine were found.
 */
int conmon_cmdline_parse(const char *buf, size_t len, char *id, size_t idsize, char *name,
			 size_t namesize, const char **engine)
{
	const char *arg[3] = { NULL, NULL, NULL };	/* id, name, exit-command */
	const char *exit_dir = NULL;
	const char *end = buf + len;

	*engine = NULL;
	for (const char *a = buf; a < end;) {
		const char *next = memchr(a, '\0', (size_t)(end - a)), *v = NULL;
		const char **slot = NULL;
		size_t k;

		if (!next)
			break;	/* a last argument without its NUL: cut */
		if (!strcmp(a, "-c") || !strcmp(a, "--cid"))
			slot = &arg[0];
		else if (!strcmp(a, "-n") || !strcmp(a, "--name"))
			slot = &arg[1];
		else if (!strcmp(a, "--exit-command"))
			slot = &arg[2];
		else if (!strcmp(a, "--exit-dir"))
			slot = &exit_dir;
		else if ((k = strcspn(a, "=")) && a[k] == '=') {
			if (!strncmp(a, "--cid=", 6))
				arg[0] = a + 6;
			else if (!strncmp(a, "--name=", 7))
				arg[1] = a + 7;
			else if (!strncmp(a, "--exit-command=", 15))
				arg[2] = a + 15;
			else if (!strncmp(a, "--exit-dir=", 11))
				exit_dir = a + 11;
		}
		a = next + 1;
		if (slot && a < end && memchr(a, '\0', (size_t)(end - a))) {
			v = a;
			a += strlen(a) + 1;
			*slot = v;
		}
	}
	if (!arg[0] || strlen(arg[0]) < 12 || strlen(arg[0]) >= idsize ||
	    !container_text_ok(arg[0]) || strspn(arg[0], "0123456789abcdef") != strlen(arg[0]))
		return -1;
	if (arg[2]) {
		const char *b = strrchr(arg[2], '/');

		if (!strcmp(b ? b + 1 : arg[2], "podman"))
			*engine = "podman";
	}
	if (!*engine && exit_dir && strstr(exit_dir, "/crio/"))
		*engine = "cri-o";
	if (!*engine)
		return -1;
	copy_str(id, idsize, arg[0]);
	*name = '\0';
	if (arg[1] && strlen(arg[1]) < namesize && container_text_ok(arg[1]))
		copy_str(name, namesize, arg[1]);
	return 0;
}

/* A root's process, in our user namespace; its single child (0 if it has none or more). */
static int only_child(int pid, uint64_t our_user, int *node)
{
	struct shim_child *kids = NULL;
	size_t nkids = 0, alloc = 0;
	int v[NSPID_MAX], n, child;
	char path[64];
	struct stat st;
	uint64_t user;

	*node = 0;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) || st.st_uid != 0 || ns_of(pid, "user", &user) || user != our_user)
		return 0;
	n = nspid_of(pid, v, NSPID_MAX);
	if (n <= 0 || (n > 1 && !(*node = pidns_init(pid, n - 1))))
		return 0;
	shim_children(pid, n - 1, *node, &kids, &nkids, &alloc);
	child = nkids == 1 ? kids[0].pid : 0;
	if (nkids != 1)
		verbose("process %d has %zu children: no container named from it", pid, nkids);
	free(kids);
	return child;
}

/*
 * A conmon, root's in our user namespace, with exactly one child: that child is its
 * container's init (conmon is its subreaper), named by conmon's command line, which root
 * wrote.  This names Podman's and CRI-O's containers wherever their storage is (another
 * mount namespace, a --root of its own), with a node when the conmon is in a nested PID
 * namespace.  What an engine's own answer named before is left as it is.
 */
static void conmon_add(struct topo *t, int pid, uint64_t our_user)
{
	char path[64], buf[16384], id[72], name[128];
	const char *engine;
	struct container *c;
	int child, node;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	len = read_proc(path, buf, sizeof(buf));
	if (len <= 0 || conmon_cmdline_parse(buf, (size_t)len, id, sizeof(id), name, sizeof(name),
					     &engine))
		return;
	c = topo_find_ctr(t, engine, id, 1);
	if (c && c->owner_uid >= 0 && (child = only_child(pid, our_user, &node)))
		container_reclaim(c);	/* a user's files claim a root conmon's container */
	if ((c && c->pid) || !(child = only_child(pid, our_user, &node)))
		return;		/* its engine told, or no single init */
	if (!c)
		c = topo_add_container(t, engine, id);
	if (!*c->name && *name)
		copy_str(c->name, sizeof(c->name), name);
	c->pid = child;
	c->node_pid = node;
}

/*
 * An LXC monitor's command line ("[lxc monitor] LXCPATH NAME", as lxc-start sets it): the
 * container's name, into name.  Returns 0 when it is one.
 */
int lxc_monitor_parse(const char *buf, size_t len, char *name, size_t size)
{
	static const char pfx[] = "[lxc monitor] ";
	const char *end = memchr(buf, '\0', len), *sp;

	if (!end || (size_t)(end - buf) <= sizeof(pfx) - 1 || strncmp(buf, pfx, sizeof(pfx) - 1))
		return -1;
	sp = memrchr(buf, ' ', (size_t)(end - buf));
	if (!sp || sp < buf + sizeof(pfx) - 1 || !sp[1] || (size_t)(end - sp - 1) >= size ||
	    memchr(sp + 1, '/', (size_t)(end - sp - 1)))
		return -1;
	copy_str(name, size, sp + 1);
	return container_text_ok(name) ? 0 : -1;
}

/* Does P's cgroup path (any hierarchy) have the component lxc.payload.NAME? */
static int cgroup_has_payload(int pid, const char *name)
{
	char path[64], buf[8192], want[160];
	size_t wl;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_proc(path, buf, sizeof(buf)) < 0)
		return 0;
	wl = (size_t)snprintf(want, sizeof(want), "/lxc.payload.%s", name);
	if (wl >= sizeof(want))
		return 0;
	for (const char *p = buf; (p = strstr(p, want)); p += wl)
		if (p[wl] == '/' || p[wl] == '\n' || p[wl] == '\0')
			return 1;
	return 0;
}

/*
 * An LXC monitor, root's in our user namespace: its one child is the container's init,
 * named by the monitor's command line when that init's cgroup agrees (lxc.payload.NAME,
 * at whatever depth: nested LXC's is below its node's).  Gives nested LXC its node.
 */
static void lxc_monitor_add(struct topo *t, int pid, uint64_t our_user)
{
	char path[64], buf[4096], name[128];
	struct container *c;
	int child, node;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	len = read_proc(path, buf, sizeof(buf));
	if (len <= 0 || lxc_monitor_parse(buf, (size_t)len, name, sizeof(name)))
		return;
	c = topo_find_ctr(t, "lxc", name, 1);
	if ((c && c->pid) || !(child = only_child(pid, our_user, &node)) ||
	    !cgroup_has_payload(child, name))
		return;
	if (!c)
		c = topo_add_container(t, "lxc", name);
	copy_str(c->name, sizeof(c->name), name);
	c->pid = child;
	c->node_pid = node;
}

/*
 * One walk of /proc for every engine process this file reads, sorted by its program
 * (/proc/P/exe, a hint only: each user checks it further): containerd shims, monitors
 * (conmon: pid, LXC's lxc-start: -pid) and dockerds, at most SHIMS_MAX of each.
 */
void engine_procs_find(struct engine_procs *ep)
{
	struct dirent *e;
	DIR *d;

	memset(ep, 0, sizeof(*ep));
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end, base[256];
		long pid = strtol(e->d_name, &end, 10);
		struct intv *to = NULL;

		if (*end || pid <= 0 || pid >= (1L << 30) || !exe_base((int)pid, base, sizeof(base)))
			continue;
		if (!strncmp(base, "containerd-shim", 15))
			to = &ep->shims;
		else if (!strcmp(base, "conmon") || !strcmp(base, "lxc-start"))
			to = &ep->monitors;
		else if (!strcmp(base, "dockerd"))
			to = &ep->dockerds;
		if (!to)
			continue;
		if (to->n == SHIMS_MAX) {
			ep->dropped++;
			continue;
		}
		intv_add(to, !strcmp(base, "lxc-start") ? -(int)pid : (int)pid);
	}
	closedir(d);
	if (ep->dropped)
		warnx("containers: more than %d engine processes of one kind: %zu not looked at",
		      SHIMS_MAX, ep->dropped);
}

void engine_procs_release(struct engine_procs *ep)
{
	intv_release(&ep->shims);
	intv_release(&ep->monitors);
	intv_release(&ep->dockerds);
}

/* Every containerd shim's tasks; 0 (what is not right is skipped, with --verbose). */
int engine_shims_scan(struct topo *t, sqlite3 *jdb, const struct engine_procs *ep)
{
	struct mnt_cache mc = { .n = 0 };
	struct bundle_dir *dirs = NULL;
	size_t ndirs = 0, alloc = 0;
	uint64_t our_user;

	if (ns_of(getpid(), "user", &our_user))
		return 0;
	for (size_t i = 0; i < ep->shims.n; i++)
		shim_add(ep->shims.v[i], our_user, &dirs, &ndirs, &alloc, &mc);
	for (size_t i = 0; i < ndirs; i++) {
		dir_tasks(t, jdb, &dirs[i]);
		free(dirs[i].shim);
	}
	for (size_t i = 0; i < mc.n; i++)
		free(mc.v[i].text);
	free(dirs);
	return 0;
}

/*
 * Is a lookup of any of paths in P's root safe from stalling: no FUSE, NFS or similar
 * filesystem mounted on or above one of them in P's mount table?
 */
static int paths_local(int pid, const char *const *paths, size_t n)
{
	char path[64], *text, *save = NULL;
	int ok = 1;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	text = read_small_file(path, 4u << 20, NULL);
	if (!text)
		return 0;
	for (char *line = strtok_r(text, "\n", &save); line && ok;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mnt_entry e;

		if (mountinfo_parse(line, &e) || !e.fstype || !fstype_unsafe(e.fstype))
			continue;
		for (size_t i = 0; i < n && ok; i++)
			ok = !path_below(e.mountpoint, paths[i]);
	}
	free(text);
	return ok;
}

/* The monitors engine_procs_find found: what their engines' answers did not name. */
void engine_monitors_scan(struct topo *t, const struct engine_procs *ep)
{
	const struct intv *monitors = &ep->monitors;
	uint64_t our_user;

	if (ns_of(getpid(), "user", &our_user))
		return;
	for (size_t i = 0; i < monitors->n; i++) {
		if (monitors->v[i] > 0)
			conmon_add(t, monitors->v[i], our_user);
		else
			lxc_monitor_add(t, -monitors->v[i], our_user);
	}
}

/*
 * Every dockerd in a mount namespace not ours (Docker in Docker, an engine in a node
 * container), root's in our user namespace, one per mount namespace: its API socket
 * (/var/run/docker.sock, else /run/docker.sock) looked up in its root (openat2
 * RESOLVE_IN_ROOT: nothing followed out of it), only when no filesystem that can stall a
 * lookup lies on the way, and only a socket root owns.  Each one's fd (O_PATH) is for
 * connecting through /proc/self/fd/N, asked of that dockerd only (SO_PEERCRED: its PID).
 * Returns how many were put in d; the caller closes their fds.
 */
size_t engine_daemons_find(const struct engine_procs *ep, struct engine_daemon *d, size_t max)
{
	static const char *const socks[] = { "/var/run/docker.sock", "/run/docker.sock" };
	uint64_t our_user, our_mnt;
	size_t n = 0;

	if (ns_of(getpid(), "user", &our_user) || ns_of(getpid(), "mnt", &our_mnt))
		return 0;
	for (size_t k = 0; k < ep->dockerds.n && n < max; k++) {
		char path[64];
		uint64_t user, mnt;
		struct stat st;
		long pid = ep->dockerds.v[k];
		int dup = 0, root, fd = -1;

		snprintf(path, sizeof(path), "/proc/%ld", pid);
		if (stat(path, &st) || st.st_uid != 0 || ns_of((int)pid, "user", &user) ||
		    user != our_user || ns_of((int)pid, "mnt", &mnt) || mnt == our_mnt)
			continue;	/* not root's, or the host's own (asked at its fixed path) */
		for (size_t i = 0; i < n; i++)
			dup |= d[i].mntns == mnt;
		if (dup)
			continue;
		if (!paths_local((int)pid, socks, sizeof(socks) / sizeof(socks[0]))) {
			verbose("dockerd %ld: its socket lies below a filesystem that may stall: not asked",
				pid);
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%ld/root", pid);
		root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			continue;
		for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]) && fd < 0; i++) {
			struct open_how how = { .flags = O_PATH | O_CLOEXEC,
						.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

			fd = (int)syscall(SYS_openat2, root, socks[i] + 1, &how, sizeof(how));
			if (fd >= 0 && (fstat(fd, &st) || !S_ISSOCK(st.st_mode) || st.st_uid != 0)) {
				close(fd);
				fd = -1;
			}
			if (fd >= 0)
				snprintf(d[n].shown, sizeof(d[n].shown), "/proc/%ld/root%s", pid,
					 socks[i]);
		}
		close(root);
		if (fd < 0) {
			verbose("dockerd %ld: no socket of root's at /var/run/docker.sock in its root",
				pid);
			continue;
		}
		d[n].pid = (int)pid;
		d[n].fd = fd;
		d[n].mntns = mnt;
		n++;
	}
	return n;
}

/*
 * The node of every task of a nested engine: the container whose main process is the
 * init of the engine's PID namespace (kind's node container), else "pid:N".
 */
void engine_nodes(struct topo *t)
{
	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];
		const struct container *node = NULL;

		if (!c->node_pid)
			continue;
		for (size_t j = 0; j < t->nctrs && !node; j++)
			if (j != i && t->ctrs[j].verified && t->ctrs[j].pid == c->node_pid &&
			    !t->ctrs[j].node_pid)
				node = &t->ctrs[j];
		if (node)
			snprintf(c->node, sizeof(c->node), "%s:%s", node->engine, node->name);
		else
			snprintf(c->node, sizeof(c->node), "pid:%d", c->node_pid);
	}
}
