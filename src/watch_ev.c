/*
 * watch_ev.c implements the kernel events 'vethmap watch' follows, and nothing else: it
 * says that something may have changed, never what (the rescan and diff.c say what).
 *
 *  - one rtnetlink socket per namespace of the last scan, made inside it (netns_enter)
 *    and joined to the link, IPv4/IPv6 address and nsid groups: any message is a change;
 *    a socket overrun (ENOBUFS) too;
 *  - the proc connector (fork, exec, exit): a new process whose namespace is none of
 *    ours, or the exit of a process living in one of our namespaces other than the host's;
 *  - inotify on /run/netns (on /run until it exists) and the poll of our mount table:
 *    a bind mount of a namespace comes or goes; inotify on the engines' state directories
 *    that exist (Docker's netns files, containerd's task bundles, LXC's containers): a
 *    file or directory there comes or goes;
 *  - Docker's event stream (GET /events on the socket the scan asks, root's only: the
 *    socket file root's, its server root, SO_PEERCRED), filtered to containers and
 *    networks: each line is a wake-up, never read for what it says.  A stream that ends
 *    or breaks a bound (http.c) is connected again after a backoff (1 s, doubling to
 *    60 s; reset once a connection has lasted a minute), and the first connection after
 *    a loss is itself a wake-up (events may have been missed meanwhile).  Once a line
 *    came, the stream is not read until the next scan: a flood waits in the socket (and
 *    in the engine), costing one rescan per scan's time, never a read per line;
 *  - signalfd: SIGINT, SIGTERM, SIGHUP (blocked otherwise, so a snapshot is never cut in
 *    half).
 *
 * A socket in a namespace keeps that namespace alive (kernel-facts.md): watch_ev_follow()
 * lets go of every socket whose namespace the last scan no longer found, so the kernel
 * can destroy it (and its veths) as it would without us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vethmap.h"
#include "watch.h"

#define NL_RCVBUF (4 << 20)	/* room for a burst of events between two reads */

static const unsigned rt_groups[] = {
	RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_NSID,
};

static int open_signals(struct watch_ev *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &w->old_mask))
		return error("watch: sigprocmask:");
	w->sig = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return w->sig < 0 ? error("watch: signalfd:") : 0;
}

/* The proc connector, listening; -1 (and why, at -v) where the kernel refuses it. */
static int open_proc(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	struct {
		struct nlmsghdr nh;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	int size = NL_RCVBUF;

	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = NLMSG_DONE;
	req.nh.nlmsg_pid = 0;
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		goto fail;
	return fd;
fail:
	verbose("watch: no process events (proc connector: %s): new namespaces of processes "
		"are found by the reconciling rescan", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* inotify on /run/netns, or on /run for its creation. */
static void watch_netns_dir(struct watch_ev *w)
{
	if (w->inot < 0)
		return;
	w->wd_netns = inotify_add_watch(w->inot, "/run/netns", IN_CREATE | IN_DELETE |
					IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR);
	if (w->wd_netns < 0 && w->wd_run < 0)
		w->wd_run = inotify_add_watch(w->inot, "/run", IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
}

/* The engines' state directories where a new file or directory means a new namespace. */
static const char *const engine_dirs[WATCH_DIRS_MAX] = {
	"/run/docker/netns",	/* dockerd's bind-mounted namespaces */
	"/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby",	/* its tasks */
	"/run/containerd/io.containerd.runtime.v2.task/moby",
	"/run/containerd/io.containerd.runtime.v2.task/k8s.io",	/* the CRI's */
	"/run/containerd/io.containerd.runtime.v2.task/default",	/* ctr's */
	"/var/lib/lxc",
	"/run/lxc",
	NULL,
};

/* inotify on each engine directory that exists now and is not watched yet. */
static void watch_engine_dirs(struct watch_ev *w)
{
	if (w->inot < 0)
		return;
	for (size_t i = 0; i < WATCH_DIRS_MAX && engine_dirs[i]; i++)
		if (w->wd_dir[i] < 0)
			w->wd_dir[i] = inotify_add_watch(w->inot, engine_dirs[i], IN_CREATE | IN_DELETE |
							 IN_MOVED_FROM | IN_MOVED_TO |
							 IN_DELETE_SELF | IN_ONLYDIR);
}

/* ---- Docker's event stream ------------------------------------------------------------- */

#define DOCKER_EVENTS "/v1.40/events?filters=" /* {"type":["container","network"],"event":[ */ \
	"%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%2C%22event%22%3A%5B"	\
	/* "create","start","die","destroy","rename","connect","disconnect"]} */	\
	"%22create%22%2C%22start%22%2C%22die%22%2C%22destroy%22%2C%22rename%22%2C"	\
	"%22connect%22%2C%22disconnect%22%5D%7D"
#define DOCKER_RETRY_MIN_MS 1000
#define DOCKER_RETRY_MAX_MS 60000
#define DOCKER_STEADY_MS 60000	/* a connection this old resets the backoff when it ends */

static long long ev_now_ms(void)
{
	return http_now_ms();
}

/*
 * The next try after a failure: the backoff, doubled for the one after.  The first failure
 * is said; the next ones are not until a connection has lasted DOCKER_STEADY_MS (an
 * engine that accepts and fails at once costs a line, then a connection a minute).
 */
static void docker_later(struct watch_ev *w, long long now, const char *what, const char *why)
{
	if (!w->dk_said)
		verbose("watch: Docker's events: %s%s%s: tried again after %d s (then up to every %d s)",
			what, why ? ": " : "", why ? why : "", w->dk_backoff / 1000,
			DOCKER_RETRY_MAX_MS / 1000);
	w->dk_said = 1;
	w->dk_retry = now + w->dk_backoff;
	w->dk_backoff = w->dk_backoff * 2 > DOCKER_RETRY_MAX_MS ? DOCKER_RETRY_MAX_MS :
			w->dk_backoff * 2;
}

/*
 * Connect to Docker's event stream when it is time: 1 when connected now after an earlier
 * connection (a wake-up: events may have been lost meanwhile), else 0.
 */
static int docker_connect(struct watch_ev *w, long long now)
{
	char sock[256];
	const char *err = NULL;
	struct stat st;

	if (w->dk.fd >= 0 || now < w->dk_retry)
		return 0;
	if (!engine_docker_socket(sock, sizeof(sock))) {
		docker_later(w, now, "no Docker socket", NULL);
		return 0;
	}
	if (stat(sock, &st) || !S_ISSOCK(st.st_mode) || st.st_uid != 0) {
		docker_later(w, now, sock, "not a socket of root's: not asked");
		return 0;
	}
	if (http_stream_open(&w->dk, sock, DOCKER_EVENTS, 0, &err)) {
		docker_later(w, now, sock, err);
		return 0;
	}
	if (!w->dk_said)
		verbose("watch: following Docker's events at %s", sock);
	w->dk_since = now;
	w->dk_hold = 0;
	return w->docker_connects++ > 0;
}

/* Read the stream: 1 when it had a line (a wake-up), 0 if none; a loss is retried later. */
static int docker_read(struct watch_ev *w)
{
	const char *err = NULL;
	long n = http_stream_read(&w->dk, &err);
	long long now = ev_now_ms();

	if (n > 0) {
		w->docker_events += (unsigned long long)n;
		w->dk_hold = 1;	/* one wake-up is enough: the rest waits in the socket */
	}
	if (n >= 0)
		return n > 0;
	if (now - w->dk_since >= DOCKER_STEADY_MS) {
		w->dk_backoff = DOCKER_RETRY_MIN_MS;
		w->dk_said = 0;
	}
	docker_later(w, now, "the stream ended", err);
	return 0;
}

int watch_ev_open(struct watch_ev *w)
{
	memset(w, 0, sizeof(*w));
	w->proc = w->inot = w->mnt = -1;
	w->wd_netns = w->wd_run = -1;
	for (size_t i = 0; i < WATCH_DIRS_MAX; i++)
		w->wd_dir[i] = -1;
	http_stream_init(&w->dk);
	w->dk_backoff = DOCKER_RETRY_MIN_MS;
	if (open_signals(w))
		return -1;
	w->proc = open_proc();
	w->inot = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	watch_netns_dir(w);
	watch_engine_dirs(w);
	docker_connect(w, ev_now_ms());
	w->mnt = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	return 0;
}

static void close_nl(struct watch_ev *w)
{
	for (size_t i = 0; i < w->nnl; i++)
		close(w->nl[i].fd);
	w->nnl = 0;
}

void watch_ev_close(struct watch_ev *w)
{
	close_nl(w);
	free(w->nl);
	free(w->pfd);
	intv_release(&w->pids);
	if (w->proc >= 0)
		close(w->proc);
	if (w->inot >= 0)
		close(w->inot);
	if (w->mnt >= 0)
		close(w->mnt);
	http_stream_close(&w->dk);
	if (w->sig >= 0) {
		close(w->sig);
		sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
	}
	memset(w, 0, sizeof(*w));
	w->sig = w->proc = w->inot = w->mnt = -1;
	w->dk.fd = -1;
}

/*
 * A socket made inside namespace ns of c, joined to the groups; -1 when that failed
 * (*err: its errno).  A namespace without one is seen by the other namespaces' events
 * (its veths' peers), the process events and the reconciling rescans only.
 */
static int rt_socket_in(struct watch_ev *w, struct scan_ctx *c, size_t ns, int *err)
{
	int saved, fd, size = NL_RCVBUF;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (netns_enter(c, ns, &saved)) {
		*err = EBADF;
		return -1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	*err = errno;
	netns_return(saved);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));	/* capped */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	for (size_t g = 0; g < sizeof(rt_groups) / sizeof(rt_groups[0]); g++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &rt_groups[g],
			       sizeof(rt_groups[g])))
			goto fail;
	if (!w->rcvbuf) {	/* said once: overruns come sooner with a small one */
		socklen_t len = sizeof(w->rcvbuf);

		if (!getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &w->rcvbuf, &len) && w->rcvbuf > 0)
			verbose("watch: event sockets' receive buffers: %d KiB%s", w->rcvbuf / 2048,
				w->rcvbuf / 2 < NL_RCVBUF ?
				" (without CAP_NET_ADMIN, capped by net.core.rmem_max)" : "");
	}
	return fd;
fail:
	*err = errno;
	close(fd);
	return -1;
}

static int cmp_nl(const void *pa, const void *pb)
{
	const struct watch_nl *x = pa, *y = pb;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

/*
 * Follow the namespaces of the scan c just made (its fds still held): a socket in each
 * new one, the sockets of those it no longer found closed.  Returns how many sockets
 * were made.
 */
size_t watch_ev_follow(struct watch_ev *w, struct scan_ctx *c)
{
	const struct topo *t = c->t;
	struct watch_nl *old = w->nl;
	size_t nold = w->nnl, made = 0, failed = 0;
	int err = 0;
	unsigned char *kept = xcalloc(nold ? nold : 1, 1);

	w->nl = NULL;
	w->nnl = w->nl_alloc = 0;
	w->pids.n = 0;
	for (size_t i = 0; i < t->nns; i++) {
		const struct netns *n = &t->ns[i];
		struct watch_nl key = { .dev = n->dev, .ino = n->ino, .fd = -1 }, *o;

		o = nold ? bsearch(&key, old, nold, sizeof(*old), cmp_nl) : NULL;
		if (o && !kept[o - old]) {
			key.fd = o->fd;
			kept[o - old] = 1;
		} else if (!o) {
			key.fd = rt_socket_in(w, c, i, &err);
			made += key.fd >= 0;
			failed += key.fd < 0;
		}
		if (key.fd >= 0) {
			w->nl = grow(w->nl, &w->nl_alloc, w->nnl + 1, sizeof(*w->nl));
			w->nl[w->nnl++] = key;
		}
		for (size_t k = 0; k < n->pids.n && !n->is_host; k++)
			intv_add(&w->pids, n->pids.v[k]);
	}
	for (size_t i = 0; i < nold; i++)
		if (!kept[i])
			close(old[i].fd);	/* gone from the host: let the kernel have it */
	free(kept);
	free(old);
	if (failed && !w->unfollowed)	/* once, not at every rescan */
		warnx("watch: %zu namespaces without an event socket (%s): their changes are seen "
		      "late, by other events or the reconciling rescan", failed, strerror(err));
	w->unfollowed = failed;
	watch_engine_dirs(w);	/* an engine started meanwhile made its directories */
	w->dk_hold = 0;		/* a scan ran: Docker's stream is read again */
	sort_n(w->nl, w->nnl, sizeof(*w->nl), cmp_nl);
	intv_sort_unique(&w->pids);
	return made;
}

/* Read everything queued on an rtnetlink socket: 1 when it had anything (or overran). */
static int drain_rt(struct watch_ev *w, int fd)
{
	char buf[16384];
	int any = 0;

	for (int k = 0; k < 4096; k++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			w->events++;
			any = 1;
		} else if (n < 0 && errno == ENOBUFS) {
			w->overruns++;
			any = 1;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			break;
		}
	}
	return any;
}

/* The nsfs inode of a process's namespace, 0 when it is gone or unreadable. */
static uint64_t pid_netns(int pid)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 5)
		return 0;
	link[n] = '\0';
	if (strncmp(link, "net:[", 5))
		return 0;
	return strtoull(link + 5, NULL, 10);
}

static int known_ino(const struct watch_ev *w, uint64_t ino)
{
	for (size_t i = 0; i < w->nnl; i++)	/* (the dev of nsfs is one for all) */
		if (w->nl[i].ino == ino)
			return 1;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Process events: WEV_PROC when one may have made or ended a namespace. */
static int drain_proc(struct watch_ev *w)
{
	char buf[8192] __attribute__((aligned(8)));
	int hit = 0;

	for (int k = 0; k < 4096; k++) {
		ssize_t n = recv(w->proc, buf, sizeof(buf), MSG_DONTWAIT);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			w->overruns++;
			hit = 1;	/* lost some: look */
			continue;
		}
		if (n <= 0)
			break;
		len = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct cn_msg cn;
			struct proc_event ev;	/* copied out: the kernel's 36-byte headers leave
						   its 64-bit fields unaligned in buf */
			int pid = 0, gone = 0;

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(cn) + offsetof(struct proc_event,
									       event_data) + 16))
				continue;
			memcpy(&cn, NLMSG_DATA(h), sizeof(cn));
			if (cn.id.idx != CN_IDX_PROC)
				continue;
			memset(&ev, 0, sizeof(ev));
			memcpy(&ev, (const char *)NLMSG_DATA(h) + sizeof(cn),
			       h->nlmsg_len - NLMSG_LENGTH(sizeof(cn)) < sizeof(ev) ?
			       h->nlmsg_len - NLMSG_LENGTH(sizeof(cn)) : sizeof(ev));
			if (ev.what == PROC_EVENT_FORK &&
			    ev.event_data.fork.child_pid == ev.event_data.fork.child_tgid)
				pid = ev.event_data.fork.child_pid;
			else if (ev.what == PROC_EVENT_EXEC)
				pid = ev.event_data.exec.process_pid;
			else if (ev.what == PROC_EVENT_EXIT) {
				pid = ev.event_data.exit.process_pid;
				gone = 1;
			}
			if (pid <= 0)
				continue;
			w->proc_events++;
			if (gone) {
				if (w->pids.n && bsearch(&pid, w->pids.v, w->pids.n, sizeof(int), cmp_int))
					hit = 1;
			} else {
				uint64_t ino = pid_netns(pid);

				if (ino && !known_ino(w, ino))
					hit = 1;
			}
		}
	}
	return hit;
}

static int drain_inotify(struct watch_ev *w)
{
	char buf[4096] __attribute__((aligned(8)));
	int hit = 0;

	for (int k = 0; k < 256; k++) {
		ssize_t n = read(w->inot, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *e = (const void *)(buf + off);

			if (e->wd == w->wd_netns) {
				hit = 1;
				if (e->mask & (IN_DELETE_SELF | IN_IGNORED))
					w->wd_netns = -1;
			} else if (e->wd == w->wd_run && e->len && !strcmp(e->name, "netns")) {
				hit = 1;
			} else {
				for (size_t i = 0; i < WATCH_DIRS_MAX; i++)
					if (e->wd >= 0 && e->wd == w->wd_dir[i]) {
						hit = 1;
						w->dir_events++;
						if (e->mask & (IN_DELETE_SELF | IN_IGNORED))
							w->wd_dir[i] = -1;
					}
			}
			off += (ssize_t)sizeof(*e) + e->len;
		}
	}
	if (w->wd_netns < 0)
		watch_netns_dir(w);
	return hit;
}

/*
 * Wait up to timeout_ms (-1: for ever) for events: WEV_* bits of what came (0 on a
 * timeout).  Events of the same kind that come together are read together.
 */
int watch_ev_wait(struct watch_ev *w, int timeout_ms)
{
	size_t n = 0, base;
	int got = 0, r;
	long long now = ev_now_ms();

	if (docker_connect(w, now))
		got |= WEV_PROC;
	if (w->dk.fd < 0 && w->dk_retry > now &&
	    (timeout_ms < 0 || w->dk_retry - now < timeout_ms))
		timeout_ms = (int)(w->dk_retry - now);	/* awake for the next try */
	if (got)
		timeout_ms = 0;
	w->pfd = grow(w->pfd, &w->pfd_alloc, w->nnl + 5, sizeof(*w->pfd));
	w->pfd[n++] = (struct pollfd){ .fd = w->sig, .events = POLLIN };
	w->pfd[n++] = (struct pollfd){ .fd = w->proc, .events = POLLIN };
	w->pfd[n++] = (struct pollfd){ .fd = w->inot, .events = POLLIN };
	w->pfd[n++] = (struct pollfd){ .fd = w->mnt, .events = POLLPRI };
	w->pfd[n++] = (struct pollfd){ .fd = w->dk_hold ? -1 : w->dk.fd, .events = POLLIN };
	base = n;
	for (size_t i = 0; i < w->nnl; i++)
		w->pfd[n++] = (struct pollfd){ .fd = w->nl[i].fd, .events = POLLIN };
	r = poll(w->pfd, n, timeout_ms);
	if (r < 0 && errno != EINTR)
		die("watch: poll: %s", strerror(errno));
	if (r <= 0)
		return got;
	if (w->pfd[0].revents) {
		struct signalfd_siginfo si;

		while (read(w->sig, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				w->hup = 1;
				got |= WEV_HUP;
			} else {
				w->stop_signal = (int)si.ssi_signo;
				got |= WEV_STOP;
			}
		}
	}
	if (w->pfd[1].revents && drain_proc(w))
		got |= WEV_PROC;
	if (w->pfd[2].revents && drain_inotify(w))
		got |= WEV_PROC;
	if (w->pfd[3].revents & (POLLPRI | POLLERR))
		got |= WEV_PROC;	/* a mount came or went (a namespace's bind mount?) */
	if (w->pfd[4].revents && docker_read(w))
		got |= WEV_PROC;
	for (size_t i = base; i < n; i++)
		if (w->pfd[i].revents && drain_rt(w, w->pfd[i].fd))
			got |= WEV_NET;
	return got;
}
