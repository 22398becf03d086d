/*
 * fdprobe.c implements the deep pass: what other processes' descriptors hold, and whose
 * each network namespace is.
 *
 * A socket keeps the namespace it was made in alive with no process and no mount in it;
 * a tun/tap file is the other end of its device.  Discovery (netns.c) notes such
 * descriptors by their link text in /proc/P/fd ("socket:[INO]", "/dev/net/tun") and, once
 * every other source has been read, hands the list here.  Each descriptor is copied with
 * pidfd_getfd (ptrace rights over the process: root has them), checked to be the very file
 * noted (a socket with that inode, the tun misc device), asked its ioctls (SIOCGSKNS;
 * TUNGETDEVNETNS and TUNGETIFF) and closed at once: nothing else is ever done with it.  A
 * socket is probed once by inode however many processes share it, at most
 * DEEP_SOCKETS_MAX per scan and within DEEP_BUDGET_MS; a process that exits or closes the
 * descriptor meanwhile is skipped quietly.
 *
 * Receiving a socket retags it with the receiver's cgroup v1 net_cls classid and net_prio
 * index (the kernel's __receive_sock, as for SCM_RIGHTS): where either controller is
 * mounted, sockets are not probed at all, so no other process's traffic class changes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vethmap.h"

#ifndef TUNGETDEVNETNS
#define TUNGETDEVNETNS _IO('T', 227)
#endif
#define TUN_MAJOR 10		/* misc */
#define TUN_MINOR 200
#define IFF_TUN_ 0x0001
#define IFF_TAP_ 0x0002
#define SIOCGIFINDEX_ 0x8933
#define SO_NETNS_COOKIE_ 71	/* <asm-generic/socket.h>, kernel 5.14 */

struct fdcand {
	int pid, fd;
	uint64_t ino;		/* socket inode; 0 for a tun file */
};

/* A set of nonzero 64-bit values: open addressing, 0 = empty, grows at half load. */
struct u64set {
	uint64_t *v;
	size_t cap, used;
};

static int u64set_has(const struct u64set *s, uint64_t x)
{
	if (!s->cap)
		return 0;
	for (size_t i = (size_t)mix64(x) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == x)
			return 1;
	return 0;
}

/* Add x to the set; 0 if it was there already. */
static int u64set_add(struct u64set *s, uint64_t x)
{
	size_t i;

	if ((s->used + 1) * 2 > s->cap) {
		struct u64set old = *s;

		s->cap = old.cap ? old.cap * 2 : 1024;
		s->v = xcalloc(s->cap, sizeof(*s->v));
		s->used = 0;
		for (size_t k = 0; k < old.cap; k++)
			if (old.v[k])
				u64set_add(s, old.v[k]);
		free(old.v);
	}
	for (i = (size_t)mix64(x) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == x)
			return 0;
	s->v[i] = x;
	s->used++;
	return 1;
}

struct fdprobe {
	struct fdcand *v;
	size_t n, alloc;
	struct u64set seen;	/* socket inodes noted */
	struct u64set cookies;	/* namespaces (SO_NETNS_COOKIE) whose nsfs file was taken */
	size_t nsockets, ntuns;
	unsigned long dropped;	/* beyond DEEP_SOCKETS_MAX or DEEP_TUNS_MAX, or the deadline */
	int no_sockets;		/* not --deep, or net_cls/net_prio mounted: sockets are left alone */
};

/* Is a cgroup v1 hierarchy with net_cls or net_prio mounted (our own /proc/self/cgroup)? */
static int netcls_mounted(void)
{
	char buf[4096];

	if (read_proc("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return 0;
	return cgroup_has_netcls(buf);
}

/* A deep pass over tun files, and over sockets too when sockets is set (scan --deep). */
struct fdprobe *fdprobe_new(int sockets)
{
	struct fdprobe *fp = xcalloc(1, sizeof(*fp));

	fp->no_sockets = !sockets || netcls_mounted();
	if (sockets && fp->no_sockets)
		warnx("--deep: sockets not probed: a cgroup v1 net_cls or net_prio hierarchy is "
		      "mounted, and taking a socket would retag it with our class");
	return fp;
}

void fdprobe_free(struct fdprobe *fp)
{
	if (!fp)
		return;
	free(fp->v);
	free(fp->seen.v);
	free(fp->cookies.v);
	free(fp);
}

/*
 * Does the deep pass want a descriptor open on a file of this type (statx of /proc/P/fd/N,
 * cached attributes: no I/O)?  A socket (with --deep), or the tun misc device.
 */
int fdprobe_wants(const struct fdprobe *fp, unsigned mode, unsigned rdev_major,
		  unsigned rdev_minor)
{
	return (!fp->no_sockets && S_ISSOCK(mode)) ||
	       (S_ISCHR(mode) && rdev_major == TUN_MAJOR && rdev_minor == TUN_MINOR);
}

/*
 * Note descriptor fd of process pid, which fdprobe_wants: a socket of inode ino, else a tun
 * file.  A socket already noted through another process is not noted again.
 */
void fdprobe_note(struct fdprobe *fp, int pid, int fd, uint64_t ino, int sock)
{
	if (sock) {
		if (!u64set_add(&fp->seen, ino))
			return;
		if (fp->nsockets >= DEEP_SOCKETS_MAX) {
			fp->dropped++;
			return;
		}
		fp->nsockets++;
	} else {
		if (fp->ntuns >= DEEP_TUNS_MAX) {
			fp->dropped++;
			return;
		}
		fp->ntuns++;
		ino = 0;
	}
	fp->v = grow(fp->v, &fp->alloc, fp->n + 1, sizeof(*fp->v));
	fp->v[fp->n++] = (struct fdcand){ .pid = pid, .fd = fd, .ino = ino };
}

static int sys_pidfd_open(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* The value of a "iff:" line of /proc/P/fdinfo/N text into name; 0, or -1 when none. */
int fdinfo_iff(const char *text, char *name, size_t size)
{
	const char *p = text, *end;
	size_t n;

	while (p && strncmp(p, "iff:", 4))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p)
		return -1;
	p += 4;
	while (*p == ' ' || *p == '\t')
		p++;
	end = strchr(p, '\n');
	n = end ? (size_t)(end - p) : strlen(p);
	if (!n || n >= size || n >= IFNAMSIZ_)
		return -1;
	memcpy(name, p, n);
	name[n] = '\0';
	return 0;
}

/* The comm of pid (at most 15 bytes, as the process set it) into buf; "" if gone. */
static void read_comm(int pid, char *buf, size_t size)
{
	char path[64], tmp[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_proc(path, tmp, sizeof(tmp));
	if (n > 0 && tmp[n - 1] == '\n')
		tmp[--n] = '\0';
	copy_str(buf, size, n > 0 ? tmp : "");
}

/* The nsfs inode of pid's network namespace, 0 if gone. */
static uint64_t pid_netns(int pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat(path, &st) ? 0 : st.st_ino;
}

/*
 * The ifindex of ifname in namespace ns of the scan, asked of a socket made inside it
 * (SIOCGIFINDEX); 0 when not there or when the namespace cannot be entered.
 */
static int ifindex_in(struct scan_ctx *c, size_t ns, const char *ifname)
{
	struct {
		char name[16];
		int index;
		char pad[20];
	} ifr;
	int saved, s, idx = 0;

	if (netns_enter(c, ns, &saved))
		return 0;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	netns_return(saved);
	if (s < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	copy_str(ifr.name, sizeof(ifr.name), ifname);
	if (!ioctl(s, SIOCGIFINDEX_, &ifr))
		idx = ifr.index;
	close(s);
	return idx;
}

/* The name and flags of the device a tun file is attached to (TUNGETIFF); -1 if none. */
static int tun_getiff(int fd, char *name, size_t size, unsigned *flags)
{
	struct {
		char name[16];
		short flags;
		char pad[22];
	} ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr))
		return -1;
	ifr.name[sizeof(ifr.name) - 1] = '\0';
	copy_str(name, size, ifr.name);
	*flags = (unsigned short)ifr.flags;
	return 0;
}

/*
 * A tun file of pid, copied as tfd: where its device is (TUNGETDEVNETNS, adopted through
 * got), its name and ifindex there (asked twice around the ifindex lookup, so a rename in
 * between is seen); one holder record in t either way.
 */
static void probe_tun(struct scan_ctx *c, int pid, int fd, int tfd, fdprobe_got_fn got,
		      void *ctx)
{
	struct topo *t = c->t;
	struct tap_holder *h;
	char name[IFNAME_MAX], again[IFNAME_MAX], fdinfo[64], info[1024];
	unsigned flags = 0, flags2 = 0;
	long ns = -1;
	int nsfd, err;

	if (tun_getiff(tfd, name, sizeof(name), &flags))
		return;		/* not attached to a device: holds nothing */
	h = topo_add_tap(t);
	copy_str(h->ifname, sizeof(h->ifname), name);
	h->pid = pid;
	h->tap = (flags & IFF_TAP_) != 0;
	read_comm(pid, h->comm, sizeof(h->comm));
	h->holder_netns = pid_netns(pid);
	nsfd = ioctl(tfd, TUNGETDEVNETNS);
	err = errno;
	if (nsfd >= 0)
		ns = got(ctx, nsfd);
	if (ns < 0) {
		snprintf(h->reason, sizeof(h->reason), "its device's namespace is unknown (%s)",
			 nsfd < 0 ? (err == ENOTTY || err == EINVAL ?
				     "TUNGETDEVNETNS needs kernel 5.2" : strerror(err)) :
			 "not a namespace we hold");
		return;
	}
	h->netns = t->ns[ns].ino;
	h->ifindex = ifindex_in(c, (size_t)ns, name);
	if (!h->ifindex || tun_getiff(tfd, again, sizeof(again), &flags2) || strcmp(name, again)) {
		h->ifindex = 0;
		snprintf(h->reason, sizeof(h->reason), "device '%s' changed while looked up", name);
	}
	/* what the process's own fdinfo says must agree (it names the same device) */
	snprintf(fdinfo, sizeof(fdinfo), "/proc/%d/fdinfo/%d", pid, fd);
	if (read_proc(fdinfo, info, sizeof(info)) > 0 &&
	    (fdinfo_iff(info, again, sizeof(again)) || strcmp(again, name))) {
		h->ifindex = 0;
		snprintf(h->reason, sizeof(h->reason), "fdinfo of pid %d fd %d names another device",
			 pid, fd);
	}
}

/*
 * A tun file we may not take (an LSM said no): its holder is listed unresolved, under the
 * name its fdinfo gives, which places nothing.
 */
static void tun_refused(struct topo *t, int pid, int fd, int err)
{
	char path[64], info[1024], name[IFNAME_MAX];
	struct tap_holder *h;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	if (read_proc(path, info, sizeof(info)) < 0 || fdinfo_iff(info, name, sizeof(name)))
		return;		/* gone, or attached to no device */
	h = topo_add_tap(t);
	copy_str(h->ifname, sizeof(h->ifname), name);
	h->pid = pid;
	read_comm(pid, h->comm, sizeof(h->comm));
	h->holder_netns = pid_netns(pid);
	snprintf(h->reason, sizeof(h->reason), "cannot take its fd %d (%s)", fd, strerror(err));
}

/*
 * Probe every noted descriptor, process by process (one pidfd each): a socket's namespace
 * (SIOCGSKNS) and a tun file's device go to got, which takes the nsfs fd and returns the
 * namespace's index (or -1); tun holders are recorded in t.
 */
void fdprobe_run(struct fdprobe *fp, struct scan_ctx *c, fdprobe_got_fn got, void *ctx)
{
	struct topo *t = c->t;
	long long deadline = http_now_ms() + DEEP_BUDGET_MS;
	unsigned long probed = 0, late = 0, tries = 0;
	int expired = 0;
	int pidfd = -1, cur = 0;

	for (size_t i = 0; i < fp->n; i++) {
		const struct fdcand *fc = &fp->v[i];
		struct stat st;
		int fd, nsfd;

		if (fc->pid != cur) {
			if (pidfd >= 0)
				close(pidfd);
			cur = fc->pid;
			pidfd = sys_pidfd_open(cur);
		}
		if (pidfd < 0)
			continue;	/* gone (ESRCH), or out of descriptors */
		if (!expired && (tries++ & 63) == 0 && http_now_ms() > deadline)
			expired = 1;	/* from here on, nothing */
		if (expired) {
			late++;
			continue;
		}
		fd = sys_pidfd_getfd(pidfd, fc->fd);
		if (fd < 0 && !fc->ino && errno != EBADF && errno != ESRCH)
			tun_refused(t, fc->pid, fc->fd, errno);
		if (fd < 0)
			continue;	/* closed meanwhile (EBADF), exited (ESRCH), refused */
		if (fc->ino) {
			uint64_t cookie = 0;
			socklen_t len = sizeof(cookie);

			probed++;
			/*
			 * Most sockets are in a namespace already seen: its cookie (kernel >=
			 * 5.14) says so at once.  A file that is not a socket fails here too.
			 */
			if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE_, &cookie, &len))
				cookie = errno == ENOTSOCK ? 1 : 0;
			if (cookie > 1 && u64set_has(&fp->cookies, cookie)) {
				close(fd);
				continue;
			}
			/* the very socket noted, not whatever took its number since */
			nsfd = cookie != 1 && !fstat(fd, &st) && S_ISSOCK(st.st_mode) &&
			       st.st_ino == fc->ino ? ioctl(fd, SIOCGSKNS) : -1;
			close(fd);
			if (nsfd >= 0 && got(ctx, nsfd) >= 0 && cookie > 1)
				u64set_add(&fp->cookies, cookie);
		} else {
			if (!fstat(fd, &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) == TUN_MAJOR &&
			    minor(st.st_rdev) == TUN_MINOR)
				probe_tun(c, fc->pid, fc->fd, fd, got, ctx);
			close(fd);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	fp->dropped += late;
	if (fp->dropped)
		warnx("deep pass: %lu descriptors not probed (at most %d sockets and %d tun files "
		      "per scan, within %d ms); a namespace held only by one of them is not seen, "
		      "a tap held by one has no holder", fp->dropped, DEEP_SOCKETS_MAX,
		      DEEP_TUNS_MAX, DEEP_BUDGET_MS);
	verbose("deep pass: %lu sockets probed, %zu tun files in %lld ms", probed, fp->ntuns,
		http_now_ms() - deadline + DEEP_BUDGET_MS);
}

/* Does /proc/self/cgroup text name a v1 hierarchy with net_cls or net_prio? */
int cgroup_has_netcls(const char *text)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *c = strchr(p, ':'), *e, *nl = strchr(p, '\n');

		if (!c || (nl && c > nl))
			continue;
		e = strchr(c + 1, ':');
		if (!e || (nl && e > nl))
			continue;
		for (const char *w = c + 1; w < e;) {
			const char *comma = memchr(w, ',', (size_t)(e - w));
			size_t n = comma ? (size_t)(comma - w) : (size_t)(e - w);

			if ((n == 7 && !strncmp(w, "net_cls", 7)) ||
			    (n == 8 && !strncmp(w, "net_prio", 8)))
				return 1;
			w += n + 1;
		}
	}
	return 0;
}

/*
 * Whose each namespace is: its owning user namespace (NS_GET_USERNS) and, when that is not
 * the initial one (PID 1's, else ours), the uid that made it (NS_GET_OWNER_UID) and its
 * user name.
 */
void fdprobe_owners(struct scan_ctx *c)
{
	struct topo *t = c->t;
	struct stat st;
	uint64_t init_userns = 0;
	uid_t last_uid = (uid_t)-1;
	char last_name[64] = "";

	if (!stat("/proc/1/ns/user", &st) || !stat("/proc/self/ns/user", &st))
		init_userns = st.st_ino;
	for (size_t i = 0; i < t->nns; i++) {
		struct netns *n = &t->ns[i];
		int ufd;
		uid_t uid;

		n->owner_uid = -1;
		if (i >= c->alloc || c->fd[i] < 0 || (ufd = ioctl(c->fd[i], NS_GET_USERNS)) < 0)
			continue;
		if (!fstat(ufd, &st))
			n->userns = st.st_ino;
		if (n->userns && n->userns != init_userns && !ioctl(ufd, NS_GET_OWNER_UID, &uid)) {
			n->owner_uid = uid;
			if (uid != last_uid) {
				struct passwd *pw = getpwuid(uid);

				last_uid = uid;
				copy_str(last_name, sizeof(last_name), pw ? pw->pw_name : "");
			}
			copy_str(n->owner, sizeof(n->owner), last_name);
		}
		close(ufd);
	}
}
