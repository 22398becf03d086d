/*
 * netns.c implements network namespace discovery and entering.
 *
 * Every namespace reachable on the host is found through the union of: processes
 * (/proc/P/ns/net), threads (/proc/P/task/T/ns/net), open file descriptors (net:[INODE]),
 * nsfs bind mounts in every mount namespace (each namespace's mountinfo read once), the
 * host's /run/netns, and our own namespace.  Everything another process controls is
 * treated as hostile: a path inside its root is walked only inside that root (openat2
 * RESOLVE_IN_ROOT) to an O_PATH fd, in a child abandoned at a deadline, and nothing is
 * really opened until it is shown to be the nsfs file the mount table named; nothing
 * below a network or user-space filesystem is looked up; names and mount lines are
 * bounded; a name seen only in another mount namespace is marked as such (ns_name_make).  Each namespace is
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

struct mntns_ref {
	uint64_t ino;		/* inode of /proc/P/ns/mnt */
	int pid;		/* the first process seen in it */
};

struct discovery {
	struct topo *t;
	struct scan_ctx *c;	/* holds the fds */
	struct nsmap map;
	struct mntns_ref *mntns;	/* foreign mount namespaces, each read once */
	size_t nmntns, mntns_alloc;
	uint64_t host_mntns;	/* PID 1's mount namespace, or ours where that is unreadable */
	pid_t self;
	dev_t nsfs_dev;		/* the nsfs superblock: every netns file lives there */
	dev_t exe_dev;		/* our own binary: another vethmap runs it */
	ino_t exe_ino;
	uint64_t *missed;	/* inodes of namespaces seen but not held */
	size_t nmissed, missed_alloc;
	size_t names_total;	/* names kept, all namespaces */
	long budget_ms;		/* left for lookups in mount namespaces */
	struct fdprobe *fp;	/* sockets and tun files for the deep pass, run last */
};

/* A namespace we saw (by inode) but could not hold; why, for the one warning line. */
static void missed(struct discovery *d, uint64_t ino, const char *why)
{
	for (size_t i = 0; i < d->nmissed; i++)
		if (d->missed[i] == ino)
			return;
	d->missed = grow(d->missed, &d->missed_alloc, d->nmissed + 1, sizeof(*d->missed));
	d->missed[d->nmissed++] = ino;
	if (!d->t->incomplete_reason[0])
		copy_str(d->t->incomplete_reason, sizeof(d->t->incomplete_reason), why);
}

/* Running out of descriptors or memory loses whatever the failed open would have shown. */
static void open_failed(struct discovery *d, int err, uint64_t ino)
{
	const char *why = err == EMFILE || err == ENFILE ? "out of file descriptors" :
			  err == ENOMEM ? "out of memory" : NULL;

	if (!why)
		return;
	if (ino)
		missed(d, ino, why);
	else if (!d->t->incomplete_reason[0])
		copy_str(d->t->incomplete_reason, sizeof(d->t->incomplete_reason), why);
}

/*
 * Take ownership of fd (an open nsfs file) if it is a network namespace we have not
 * seen; return the namespace's index, or -1 (fd closed) if it is not a netns.
 */
static long adopt_stat(struct discovery *d, int fd, const struct stat *st0)
{
	struct stat st1;
	const struct stat *st = st0 ? st0 : &st1;
	long i;

	if ((!st0 && fstat(fd, &st1)) || (d->nsfs_dev && st->st_dev != d->nsfs_dev) ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -1;
	}
	i = nsmap_get(&d->map, st->st_dev, st->st_ino);
	if (i >= 0) {
		close(fd);
		return i;
	}
	if ((d->map.used + 1) * 2 > d->map.cap)
		nsmap_grow(&d->map);
	i = (long)topo_add_ns(d->t, st->st_dev, st->st_ino);
	scan_ctx_set_fd(d->c, (size_t)i, fd);
	d->map.slot[nsmap_pos(&d->map, st->st_dev, st->st_ino)] = i;
	d->map.used++;
	return i;
}

static long adopt_fd(struct discovery *d, int fd)
{
	return adopt_stat(d, fd, NULL);

}

/*
 * The namespace behind an O_PATH fd (closed here) that someone else could have swapped:
 * only a file on nsfs (and, when expect is set, with that inode) is ever really opened,
 * by reopening our own /proc/self/fd/N.  Attributes come from the inode cache only, so a
 * file of a dead network or FUSE filesystem cannot stall us.  Returns its index or -1.
 */
static long adopt_path_fd(struct discovery *d, int pfd, uint64_t expect)
{
	struct statx stx;
	char path[64];
	long i;
	int fd, err;

	if (statx(pfd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) ||
	    makedev(stx.stx_dev_major, stx.stx_dev_minor) != d->nsfs_dev ||
	    (expect && stx.stx_ino != expect)) {
		close(pfd);
		return -1;
	}
	i = nsmap_get(&d->map, d->nsfs_dev, stx.stx_ino);
	if (i >= 0) {
		close(pfd);
		return i;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	err = errno;
	close(pfd);
	if (fd < 0) {
		open_failed(d, err, stx.stx_ino);
		return -1;
	}
	return adopt_fd(d, fd);
}

/* adopt_fd() for a file opened elsewhere: only when it has the inode expected. */
static long adopt_checked(struct discovery *d, int fd, uint64_t expect)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_dev != d->nsfs_dev || st.st_ino != expect) {
		close(fd);
		return -1;
	}
	return adopt_stat(d, fd, &st);
}

/*
 * The namespace behind path, a file of the kernel's (/proc/P/ns/net) or root's own
 * (/run/netns): looked up by stat() first, opened only when new and on nsfs.  Returns its
 * index or -1 (gone, not a netns, no permission: all quiet).
 */
static long find_path(struct discovery *d, const char *path)
{
	struct stat st;
	long i;
	int fd;

	if (stat(path, &st) || (d->nsfs_dev && st.st_dev != d->nsfs_dev))
		return -1;
	i = nsmap_get(&d->map, st.st_dev, st.st_ino);
	if (i >= 0)
		return i;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		open_failed(d, errno, st.st_ino);
		return -1;
	}
	return adopt_fd(d, fd);
}

static void found(struct discovery *d, long i, unsigned via, int pid)
{
	struct netns *n;

	if (i < 0)
		return;
	n = &d->t->ns[i];
	n->via |= via;
	if (pid > 0)
		intv_add(&n->pids, pid);
}

/* A bind mount of namespace i, kept within NS_NAMES_MAX and NAMES_MAX (else counted). */
static void add_name(struct discovery *d, long i, const char *path, uint64_t mntns, int pid,
		     int host)
{
	struct netns *n;

	if (i < 0)
		return;
	n = &d->t->ns[i];
	n->via |= VIA_MOUNT;
	/*
	 * The same mount again, or a foreign mount namespace's copy of a host mount (every
	 * mount namespace made after `ip netns add` has one): nothing new.
	 */
	for (size_t k = 0; k < n->nmounts; k++)
		if ((n->mounts[k].host || (n->mounts[k].mntns == mntns && !host)) &&
		    !strcmp(n->mounts[k].path, path))
			return;
	if (n->nmounts >= NS_NAMES_MAX || d->names_total >= NAMES_MAX) {
		n->names_dropped++;
		d->t->names_dropped++;
		return;
	}
	ns_add_mount(d->t, (size_t)i, path, mntns, pid, host);
	d->names_total++;
}

/*
 * Is namespace ino still mounted at path in P's mount table?  Asked only after its
 * lookup failed: a mount that went away meanwhile (or a process that exited) was not
 * missed, it is gone.
 */
static int still_mounted(int pid, const char *path, uint64_t ino)
{
	char file[64], *line = NULL;
	size_t cap = 0, lines = 0;
	int found_it = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/mountinfo", pid);
	f = fopen(file, "re");
	if (!f)
		return 0;
	while (!found_it && getline(&line, &cap, f) > 0 && ++lines <= MOUNTINFO_LINES_MAX) {
		struct mnt_entry e;

		found_it = !mountinfo_parse(line, &e) && e.net_ino == ino &&
			   !strcmp(e.mountpoint, path);
	}
	free(line);
	fclose(f);
	return found_it;
}

/* The mount being looked up, for mount_got. */
struct mount_ctx {
	struct discovery *d;
	char **paths;
	const uint64_t *inos;
	uint64_t mntns;
	int pid, host;
};

/* A looked-up nsfs file of mount k, adopted as it arrives. */
static void mount_got(void *ctx, size_t k, int fd)
{
	struct mount_ctx *m = ctx;

	add_name(m->d, adopt_checked(m->d, fd, m->inos[k]), m->paths[k], m->mntns, m->pid,
		 m->host);
}

/*
 * nsfs bind mounts of network namespaces in one mount namespace, read from P's mountinfo.
 * A mount whose namespace is already known needs no lookup at all (the line names its
 * inode); the others are looked up inside P's root (ns_lookup), unless they sit
 * below a filesystem a lookup must not enter.
 */
static void scan_mountinfo(struct discovery *d, int pid, uint64_t mntns, int host)
{
	char path[64], *line = NULL, **pend = NULL;
	struct strv unsafe = { 0 }, cand = { 0 };
	uint64_t *ino = NULL, *pend_ino = NULL;
	size_t cap = 0, lines = 0, ino_alloc = 0, npend = 0;
	int *fds;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	f = fopen(path, "re");
	if (!f) {
		open_failed(d, errno, 0);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		struct mnt_entry e;

		if (++lines > MOUNTINFO_LINES_MAX) {
			d->t->mount_lines_dropped++;
			continue;
		}
		if (mountinfo_parse(line, &e))
			continue;
		if (fstype_unsafe(e.fstype)) {
			strv_add(&unsafe, e.mountpoint);
		} else if (e.net_ino) {
			ino = grow(ino, &ino_alloc, cand.n + 1, sizeof(*ino));
			ino[cand.n] = e.net_ino;
			strv_add(&cand, e.mountpoint);
		}
	}
	free(line);
	fclose(f);
	if (lines > MOUNTINFO_LINES_MAX) {
		verbose("mount table of pid %d: %zu lines, only the first %d read", pid, lines,
			MOUNTINFO_LINES_MAX);
		if (!d->t->incomplete_reason[0])
			snprintf(d->t->incomplete_reason, sizeof(d->t->incomplete_reason),
				 "mount table of pid %d too long", pid);
	}
	pend = xcalloc(cand.n ? cand.n : 1, sizeof(*pend));
	pend_ino = xcalloc(cand.n ? cand.n : 1, sizeof(*pend_ino));
	for (size_t k = 0; k < cand.n; k++) {
		long i = nsmap_get(&d->map, d->nsfs_dev, ino[k]);
		const char *below = mount_unsafe_parent(&unsafe, cand.v[k]);

		if (below) {
			char esc[512], esc2[512];

			d->t->mounts_skipped++;
			verbose("not looking up '%s' in the mount namespace of pid %d: below '%s', "
				"a network or user filesystem", text_esc(esc, sizeof(esc), cand.v[k]),
				pid, text_esc(esc2, sizeof(esc2), below));
			if (i < 0)
				missed(d, ino[k], "below a network or user filesystem");
		}
		if (i >= 0)
			add_name(d, i, cand.v[k], mntns, pid, host);
		else if (!below) {
			pend[npend] = cand.v[k];
			pend_ino[npend++] = ino[k];
		}
	}
	fds = xmalloc((npend ? npend : 1) * sizeof(*fds));
	for (size_t k = 0; k < npend; k++)
		fds[k] = -1;
	if (npend) {
		struct mount_ctx mc = { d, pend, pend_ino, mntns, pid, host };
		struct ns_lookup l = { .pid = pid, .paths = pend, .inos = pend_ino, .n = npend,
				       .nsfs_dev = d->nsfs_dev, .fds = fds, .budget_ms = &d->budget_ms,
				       .got = mount_got, .ctx = &mc };

		ns_lookup(&l);
		d->t->lookup_timeouts += l.timeouts;
		if (l.err)
			open_failed(d, l.err, 0);
		if (l.err && !d->t->incomplete_reason[0])
			copy_str(d->t->incomplete_reason, sizeof(d->t->incomplete_reason),
				 "cannot start lookups");
	}
	for (size_t k = 0; k < npend; k++) {
		/* the mount table names a namespace that we could not hold */
		if (fds[k] == -4 && nsmap_get(&d->map, d->nsfs_dev, pend_ino[k]) >= 0)
			continue;
		if (fds[k] == -2)
			open_failed(d, EMFILE, pend_ino[k]);
		else if (fds[k] == -3)
			missed(d, pend_ino[k], "lookup deadline");
		else if (still_mounted(pid, pend[k], pend_ino[k]))
			missed(d, pend_ino[k], "mount not reachable inside its root");
	}
	free(fds);
	free(pend);
	free(pend_ino);
	free(ino);
	strv_release(&cand);
	strv_release(&unsafe);
}

/* Remember P's mount namespace, unless it is the host's or already known. */
static void note_mntns(struct discovery *d, const char *pid)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	if (stat(path, &st) || st.st_ino == d->host_mntns)
		return;
	for (size_t i = 0; i < d->nmntns; i++)
		if (d->mntns[i].ino == st.st_ino)
			return;
	d->mntns = grow(d->mntns, &d->mntns_alloc, d->nmntns + 1, sizeof(*d->mntns));
	d->mntns[d->nmntns].ino = st.st_ino;
	d->mntns[d->nmntns++].pid = atoi(pid);
}

/* /proc/PID/SUB opened for reading; NULL when it cannot be (running out of fds counts). */
static DIR *proc_dir(struct discovery *d, const char *pid, const char *sub)
{
	char path[64];
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, sub);
	dir = opendir(path);
	if (!dir)
		open_failed(d, errno, 0);
	return dir;
}

/*
 * The threads of a process, each of which may be in a namespace of its own.  The link
 * count of /proc/PID/task is 2 + its threads: a process with one thread (the one seen
 * as the process) costs one stat instead of a directory listing.
 */
static void scan_tasks(struct discovery *d, const char *pid, long proc_ns)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	if (!stat(path, &st) && st.st_nlink <= 3)
		return;
	dir = proc_dir(d, pid, "task");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		long i;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || !strcmp(de->d_name, pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/ns/net", pid, de->d_name);
		i = find_path(d, path);
		if (i >= 0 && i != proc_ns)
			found(d, i, VIA_TASK, atoi(de->d_name));
	}
	closedir(dir);
}

/*
 * Is P another vethmap scan?  A scan holds an fd on every namespace while it runs;
 * counting those as holders would make every namespace look fd-held while two scans
 * overlap.  Known by what it runs (our own binary, from cached attributes) and its
 * effective uid (0), never by a name it chose itself.
 */
static int is_vethmap(struct discovery *d, const char *pid)
{
	char path[PATH_MAX], buf[1024], *uid;
	struct statx stx;

	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &stx) ||
	    makedev(stx.stx_dev_major, stx.stx_dev_minor) != d->exe_dev || stx.stx_ino != d->exe_ino)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if (read_proc(path, buf, sizeof(buf)) < 0)
		return 0;
	uid = strstr(buf, "\nUid:");
	if (!uid)
		return 0;
	/* Uid: real effective saved fs */
	uid += 5;
	(void)strtoul(uid, &uid, 10);
	return strtoul(uid, NULL, 10) == 0 && (*uid == '\t' || *uid == ' ');
}

/*
 * An nsfs fd (ino) that is not a namespace we hold: is it a network namespace?  It reads
 * as "net:[INO]" when opened as such, or as a path when opened through a bind mount (the
 * open that follows checks the type); "mnt:[...]", "user:[...]" and the rest are not.
 */
static int is_net_fd(const char *path, uint64_t ino)
{
	char target[64];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n <= 0)
		return 0;
	target[n] = '\0';
	if (target[0] == '/')
		return 1;
	return !strncmp(target, "net:[", 5) && strtoull(target + 5, NULL, 10) == ino;
}

static void scan_fds(struct discovery *d, const char *pid)
{
	int other_scan = -1;	/* unknown until an nsfs fd is seen */

	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	dir = proc_dir(d, pid, "fd");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		struct statx stx;
		uint64_t ino;
		long i;
		int pfd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, de->d_name);
		/*
		 * What the fd is open on, from cached attributes only (a dead network
		 * filesystem cannot stall us): one call for any fd, whether it reads as
		 * "net:[INO]", as the path of a bind mount it was opened through, or as "/"
		 * once that mount is gone.  Only an nsfs file is looked at further.
		 */
		if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO | STATX_TYPE, &stx))
			continue;
		if (fdprobe_wants(d->fp, stx.stx_mode, stx.stx_rdev_major, stx.stx_rdev_minor)) {
			if (other_scan < 0)	/* another scan's sockets are in what it holds */
				other_scan = is_vethmap(d, pid);
			if (!other_scan)
				fdprobe_note(d->fp, atoi(pid), atoi(de->d_name), stx.stx_ino,
					     S_ISSOCK(stx.stx_mode));
			continue;
		}
		if (makedev(stx.stx_dev_major, stx.stx_dev_minor) != d->nsfs_dev)
			continue;
		ino = stx.stx_ino;
		i = nsmap_get(&d->map, d->nsfs_dev, ino);
		if (i < 0 && !is_net_fd(path, ino))
			continue;	/* another kind of namespace */
		if (other_scan < 0)
			other_scan = is_vethmap(d, pid);
		if (i >= 0) {	/* known: nothing to open */
			found(d, i, other_scan ? 0 : VIA_FD, 0);
			continue;
		}
		/* O_PATH opens nothing: what the fd is gets checked before a real open */
		pfd = open(path, O_PATH | O_CLOEXEC);
		if (pfd < 0) {
			open_failed(d, errno, ino);
			continue;
		}
		found(d, adopt_path_fd(d, pfd, ino), other_scan ? 0 : VIA_FD, 0);
	}
	closedir(dir);
}

/* A namespace the deep pass found behind a socket or tun file: via socket when new. */
static long deep_got(void *ctx, int nsfd)
{
	struct discovery *d = ctx;
	size_t before = d->t->nns;
	long i = adopt_fd(d, nsfd);

	if (i >= (long)before)
		found(d, i, VIA_SOCKET, 0);
	return i;
}

/* ip netns names: bind mounts in dirpath, in the host's own mount namespace. */
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
		add_name(d, find_path(d, path), path, d->host_mntns, 0, 1);
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
 * Raise the fd limit and grow the fd table now, to NETNS_FD_ROOM or the limit, while this
 * process has one thread: a scan holds two fds per namespace, and the kernel grows the
 * table of a process with several threads only after an RCU grace period each time
 * (expand_files(): synchronize_rcu()), which made discovery beside the early dump
 * (scan.c) 4-6 times slower at 1000 namespaces.  The table stays; no fd does.
 */
#define NETNS_FD_ROOM 8192
void netns_fd_room(void)
{
	struct rlimit rl;
	int any, fd;

	raise_nofile();
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < 64)
		return;
	any = open("/", O_PATH | O_CLOEXEC);
	if (any < 0)
		return;
	fd = fcntl(any, F_DUPFD_CLOEXEC,
		   (int)(rl.rlim_cur < NETNS_FD_ROOM ? rl.rlim_cur : NETNS_FD_ROOM) - 1);
	if (fd >= 0)
		close(fd);
	close(any);
}

/* Is /var/run/netns another directory than /run/netns (not the usual symlink)? */
static int var_run_differs(void)
{
	struct stat a, b;

	if (stat("/var/run/netns", &b))
		return 0;
	return stat("/run/netns", &a) || a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* Our own netns, to come back to after a setns(); 0 or -1 (said). */
static int open_self(struct scan_ctx *c)
{
	if (c->self_fd < 0)
		c->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->self_fd < 0)
		return error("cannot open '/proc/thread-self/ns/net':");
	return 0;
}

/*
 * Find every network namespace; mark the host one.  Returns 0, or -1 when not even our
 * own namespace can be opened.  What was seen but could not be held is counted in
 * t->missed with the reason in t->incomplete_reason.
 */
int netns_discover(struct scan_ctx *c)
{
	struct topo *t = c->t;
	struct discovery d = { .t = t, .c = c, .map.t = t, .self = getpid(),
			       .budget_ms = LOOKUP_BUDGET_MS };
	struct stat st1;
	struct dirent *de;
	long self, host = -1;
	uint64_t own_mntns = 0;
	DIR *proc;

	raise_nofile();
	if (open_self(c))
		return -1;
	self = find_path(&d, "/proc/thread-self/ns/net");
	if (self < 0) {
		error("'/proc/thread-self/ns/net' is not a network namespace");
		return -1;
	}
	found(&d, self, VIA_SELF, 0);
	d.nsfs_dev = (dev_t)t->ns[self].dev;
	if (!stat("/proc/self/exe", &st1)) {
		d.exe_dev = st1.st_dev;
		d.exe_ino = st1.st_ino;
	}
	/* The host's mount namespace is PID 1's; where that is unreadable, ours. */
	if (!stat("/proc/self/ns/mnt", &st1))
		own_mntns = st1.st_ino;
	d.host_mntns = !stat("/proc/1/ns/mnt", &st1) ? st1.st_ino : own_mntns;
	/* The host is PID 1's namespace; where that is unreadable, our own. */
	if (!stat("/proc/1/ns/net", &st1))
		host = nsmap_get(&d.map, st1.st_dev, st1.st_ino);
	if (own_mntns == d.host_mntns) {	/* else PID 1's mountinfo names them */
		scan_run_netns(&d, "/run/netns");
		if (var_run_differs())
			scan_run_netns(&d, "/var/run/netns");
	} else {
		char self_pid[16];

		snprintf(self_pid, sizeof(self_pid), "%d", (int)d.self);
		note_mntns(&d, self_pid);
	}

	proc = opendir("/proc");
	if (!proc) {
		error("cannot read '/proc':");
		return -1;
	}
	d.fp = fdprobe_new(t->deep);
	while ((de = readdir(proc))) {
		char path[PATH_MAX];
		long i;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == d.self)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		i = find_path(&d, path);
		found(&d, i, VIA_PROC, atoi(de->d_name));
		scan_tasks(&d, de->d_name, i);
		scan_fds(&d, de->d_name);
		note_mntns(&d, de->d_name);
	}
	closedir(proc);

	/* bind mounts: the host's mount namespace (through our own root) first, then the rest */
	scan_mountinfo(&d, own_mntns == d.host_mntns ? d.self : 1, d.host_mntns, 1);
	for (size_t k = 0; k < d.nmntns; k++)
		scan_mountinfo(&d, d.mntns[k].pid, d.mntns[k].ino, 0);
	/* last: only what no other source found is "via socket" */
	fdprobe_run(d.fp, c, deep_got, &d);

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
	/* seen, and not found another way after all */
	for (size_t k = 0; k < d.nmissed; k++)
		if (nsmap_get(&d.map, d.nsfs_dev, d.missed[k]) < 0)
			t->missed++;
	if (t->names_dropped)
		verbose("%lu namespace names not kept (at most %d per namespace, %d in all)",
			t->names_dropped, NS_NAMES_MAX, NAMES_MAX);
	if (t->mounts_skipped)
		verbose("%lu nsfs mounts below network or user filesystems not looked up",
			t->mounts_skipped);
	free(d.map.slot);
	free(d.mntns);
	free(d.missed);
	fdprobe_free(d.fp);
	return 0;
}

/* Enter namespace ns (held by c) on this thread; *saved is where to come back to. */
int netns_enter(struct scan_ctx *c, size_t ns, int *saved)
{
	if (ns >= c->alloc || c->fd[ns] < 0)
		return error("namespace %llu is not held open", ns < c->t->nns ?
			     (unsigned long long)c->t->ns[ns].ino : 0ULL);
	if (open_self(c))
		return -1;
	*saved = c->self_fd;
	if (setns(c->fd[ns], CLONE_NEWNET))
		return error("setns into namespace %llu:", (unsigned long long)c->t->ns[ns].ino);
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

/* Close every namespace fd c holds, and our own: nothing of a namespace stays open. */
void netns_close_all(struct scan_ctx *c)
{
	for (size_t i = 0; i < c->alloc; i++)
		if (c->fd[i] >= 0) {
			close(c->fd[i]);
			c->fd[i] = -1;
		}
	if (c->self_fd >= 0) {
		close(c->self_fd);
		c->self_fd = -1;
	}
}
