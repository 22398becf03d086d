/*
 * netns.c implements network namespace discovery and entering.
 *
 * Every namespace reachable on the host is found through the union of: processes
 * (/proc/P/ns/net), threads (/proc/P/task/T/ns/net), open file descriptors (net:[INODE]),
 * nsfs bind mounts in every mount namespace (each namespace's mountinfo read once, the
 * file opened through /proc/P/root), /run/netns, and our own namespace.  Each namespace is
 * identified by (st_dev, st_ino) and held by an open fd for the whole scan, because inode
 * numbers are reused as soon as a namespace dies.  Processes that vanish while we look are
 * skipped quietly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vethmap.h"

static int self_fd = -1;	/* our own netns, to come back to */

/* (dev, ino) -> index into topo.ns; open addressing, grows at half load. */
struct nsmap {
	long *slot;		/* -1 = empty */
	size_t cap, used;
	const struct topo *t;
};

static size_t nsmap_pos(const struct nsmap *m, uint64_t dev, uint64_t ino)
{
	size_t i = (size_t)mix64(ino ^ dev << 40) & (m->cap - 1);

	while (m->slot[i] >= 0) {
		const struct netns *n = &m->t->ns[m->slot[i]];

		if (n->ino == ino && n->dev == dev)
			break;
		i = (i + 1) & (m->cap - 1);
	}
	return i;
}

static void nsmap_grow(struct nsmap *m)
{
	long *old = m->slot;
	size_t oldcap = m->cap;

	m->cap = m->cap ? m->cap * 2 : 1024;
	m->slot = xmalloc(m->cap * sizeof(*m->slot));
	for (size_t i = 0; i < m->cap; i++)
		m->slot[i] = -1;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] >= 0) {
			const struct netns *n = &m->t->ns[old[i]];

			m->slot[nsmap_pos(m, n->dev, n->ino)] = old[i];
		}
	free(old);
}

static long nsmap_get(const struct nsmap *m, uint64_t dev, uint64_t ino)
{
	return m->cap ? m->slot[nsmap_pos(m, dev, ino)] : -1;
}

struct discovery {
	struct topo *t;
	struct nsmap map;
	uint64_t *mntns;	/* mount namespaces whose mountinfo was read */
	size_t nmntns, mntns_alloc;
	pid_t self;
	dev_t nsfs_dev;		/* the nsfs superblock: every netns file lives there */
};

/*
 * Take ownership of fd (an open nsfs file) if it is a network namespace we have not
 * seen; return the namespace's index, or -1 (fd closed) if it is not a netns.
 */
static long adopt_fd(struct discovery *d, int fd)
{
	struct stat st;
	long i;

	if (fstat(fd, &st) || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -1;
	}
	i = nsmap_get(&d->map, st.st_dev, st.st_ino);
	if (i >= 0) {
		close(fd);
		return i;
	}
	if ((d->map.used + 1) * 2 > d->map.cap)
		nsmap_grow(&d->map);
	i = (long)topo_add_ns(d->t, st.st_dev, st.st_ino);
	d->t->ns[i].fd = fd;
	d->map.slot[nsmap_pos(&d->map, st.st_dev, st.st_ino)] = i;
	d->map.used++;
	return i;
}

/*
 * The namespace behind path: looked up by stat() first, opened only when new.  Returns
 * its index or -1 (gone, not a netns, no permission: all quiet).
 */
static long find_path(struct discovery *d, const char *path)
{
	struct stat st;
	long i;
	int fd;

	if (stat(path, &st))
		return -1;
	i = nsmap_get(&d->map, st.st_dev, st.st_ino);
	if (i >= 0)
		return i;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	return adopt_fd(d, fd);
}

static void found(struct discovery *d, long i, unsigned via, int pid, const char *name)
{
	struct netns *n;

	if (i < 0)
		return;
	n = &d->t->ns[i];
	n->via |= via;
	if (pid > 0)
		intv_add(&n->pids, pid);
	if (name)
		strv_add(&n->names, name);
}

/* nsfs bind mounts of network namespaces in P's mount namespace. */
static void scan_mountinfo(struct discovery *d, const char *pid)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint opts [optional...] - fstype source sopts */
		char *fields[6], *sep, *save = NULL, *fstype;
		int n = 0;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		fstype = strtok_r(sep + 3, " \n", &save);
		if (!fstype || strcmp(fstype, "nsfs"))
			continue;
		save = NULL;
		for (char *tok = strtok_r(line, " ", &save); tok && n < 6;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5 || strncmp(fields[3], "net:[", 5) || decode_mount_escapes(fields[4]))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "/proc/%s/root%s", pid, fields[4]) >=
		    sizeof(path))
			continue;
		found(d, find_path(d, path), VIA_MOUNT, 0, fields[4]);
	}
	free(line);
	fclose(f);
}

/* Read each mount namespace's mountinfo once. */
static void scan_mounts_of(struct discovery *d, const char *pid)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	if (stat(path, &st))
		return;
	for (size_t i = 0; i < d->nmntns; i++)
		if (d->mntns[i] == st.st_ino)
			return;
	d->mntns = grow(d->mntns, &d->mntns_alloc, d->nmntns + 1, sizeof(*d->mntns));
	d->mntns[d->nmntns++] = st.st_ino;
	scan_mountinfo(d, pid);
}

static void scan_tasks(struct discovery *d, const char *pid, long proc_ns)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		long i;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || !strcmp(de->d_name, pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/ns/net", pid, de->d_name);
		i = find_path(d, path);
		if (i >= 0 && i != proc_ns)
			found(d, i, VIA_TASK, atoi(de->d_name), NULL);
	}
	closedir(dir);
}

/*
 * Is P another vethmap?  A scan holds an fd on every namespace while it runs; counting
 * those as holders would make every namespace look fd-held while two scans overlap.
 */
static int is_vethmap(const char *pid)
{
	char path[PATH_MAX], comm[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	comm[n] = '\0';
	return !strcmp(comm, "vethmap\n");
}

static void scan_fds(struct discovery *d, const char *pid)
{
	int other_scan = -1;	/* unknown until an nsfs fd is seen */

	char path[PATH_MAX], target[64];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n >= 6 && !strncmp(target, "net:[", 5)) {
			if (other_scan < 0)
				other_scan = is_vethmap(pid);
			if (other_scan)
				break;
			found(d, find_path(d, path), VIA_FD, 0, NULL);
		} else if (n >= 1 && target[0] == '/') {
			/*
			 * An fd opened through a bind mount reads as the mount's path, or as
			 * "/" once the mount is gone.  Ask the file's device, from cached
			 * attributes only, so a dead network filesystem cannot stall us.
			 */
			struct statx stx;

			if (!statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &stx) &&
			    makedev(stx.stx_dev_major, stx.stx_dev_minor) == d->nsfs_dev)
				found(d, find_path(d, path), VIA_FD, 0, NULL);
		}
	}
	closedir(dir);
}

static void scan_run_netns(struct discovery *d, const char *dirpath)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir = opendir(dirpath);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name) >= sizeof(path))
			continue;
		found(d, find_path(d, path), VIA_MOUNT, 0, path);
	}
	closedir(dir);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Find every network namespace; mark the host one.  Returns 0, or -1 when not even our
 * own namespace can be opened.
 */
int netns_discover(struct topo *t)
{
	struct discovery d = { .t = t, .map.t = t, .self = getpid() };
	struct stat st1;
	struct dirent *de;
	long self, host = -1;
	DIR *proc;

	raise_nofile();
	if (self_fd < 0)
		self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		error("cannot open '/proc/thread-self/ns/net':");
		return -1;
	}
	self = find_path(&d, "/proc/thread-self/ns/net");
	if (self < 0) {
		error("'/proc/thread-self/ns/net' is not a network namespace");
		return -1;
	}
	found(&d, self, VIA_SELF, 0, NULL);
	d.nsfs_dev = (dev_t)t->ns[self].dev;
	/* The host is PID 1's namespace; where that is unreadable, our own. */
	if (!stat("/proc/1/ns/net", &st1))
		host = nsmap_get(&d.map, st1.st_dev, st1.st_ino);
	scan_run_netns(&d, "/run/netns");

	proc = opendir("/proc");
	if (!proc) {
		error("cannot read '/proc':");
		return -1;
	}
	while ((de = readdir(proc))) {
		char path[PATH_MAX];
		long i;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == d.self)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		i = find_path(&d, path);
		found(&d, i, VIA_PROC, atoi(de->d_name), NULL);
		scan_tasks(&d, de->d_name, i);
		scan_fds(&d, de->d_name);
		scan_mounts_of(&d, de->d_name);
	}
	closedir(proc);

	if (host < 0 && !stat("/proc/1/ns/net", &st1))
		host = nsmap_get(&d.map, st1.st_dev, st1.st_ino);
	if (host < 0) {
		verbose("PID 1's network namespace is unreadable: taking our own as the host's");
		host = self;
	}
	t->ns[host].is_host = 1;
	for (size_t i = 0; i < t->nns; i++) {
		strv_sort_unique(&t->ns[i].names);
		intv_sort_unique(&t->ns[i].pids);
	}
	free(d.map.slot);
	free(d.mntns);
	return 0;
}

/* Enter the namespace behind fd on this thread; *saved is where to come back to. */
int netns_enter(int fd, int *saved)
{
	if (self_fd < 0)
		self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		error("cannot open '/proc/thread-self/ns/net':");
		return -1;
	}
	*saved = self_fd;
	if (setns(fd, CLONE_NEWNET)) {
		error("setns:");
		return -1;
	}
	return 0;
}

/* Come back; a thread left in a foreign namespace would corrupt everything after. */
void netns_return(int saved)
{
	if (setns(saved, CLONE_NEWNET)) {
		error("cannot return to our own network namespace:");
		abort();
	}
}

/* Close every namespace fd of t, and our own: nothing of a namespace stays open. */
void netns_close_all(struct topo *t)
{
	for (size_t i = 0; i < t->nns; i++)
		if (t->ns[i].fd >= 0) {
			close(t->ns[i].fd);
			t->ns[i].fd = -1;
		}
	if (self_fd >= 0) {
		close(self_fd);
		self_fd = -1;
	}
}
