/*
 * nslookup.c implements looking nsfs files up inside another process's root, which that
 * process (any local user, in a mount namespace of its own) controls: every path is
 * walked inside that root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), never
 * following a final symlink, to an O_PATH fd; only a file on nsfs with the inode its
 * mount table named is ever really opened.  The walks run in a forked child that holds
 * nothing of ours and passes the files back over a socket (SCM_RIGHTS); a child stuck in
 * a lookup (a FUSE or network filesystem that never answers, reached through a symlink)
 * is killed and abandoned at its deadline, never waited for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vethmap.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)ts_diff_ms(t0, &now);
}

#define LOOKUP_BATCH 64	/* results per message (SCM_RIGHTS takes up to 253 fds) */
#define HAS_FD 0x80000000u	/* in a result's index: an fd comes with it */

/* In the child: n results (index, HAS_FD when an fd comes along) and their fds. */
static void send_batch(int sock, uint32_t *idx, size_t n, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(LOOKUP_BATCH * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { idx, n * sizeof(*idx) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!n)
		return;
	if (nfds) {
		struct cmsghdr *c;

		memset(u.buf, 0, sizeof(u.buf));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/*
 * The child's whole life: walk each path inside P's root (never out of it, never through
 * a magic link, never following a final symlink) to an O_PATH fd; only a file on nsfs
 * with the inode the mount table named is then really opened (reopening our own
 * /proc/self/fd/N), from cached attributes so that nothing can stall the check.  Results
 * go back in batches; *cur always holds the index being looked up, so that the parent
 * knows which lookup hung.  Paths marked -3 in fds (abandoned before) are not tried
 * again.  It holds nothing of ours: every other descriptor is closed first.
 */
static _Noreturn void lookup_child(int sock, int pid, char *const *paths, const uint64_t *inos,
				   const int *marks, volatile uint32_t *cur, dev_t nsfs_dev,
				   size_t from, size_t n)
{
	uint32_t idx[LOOKUP_BATCH];
	int fds[LOOKUP_BATCH];
	size_t nidx = 0, nfds = 0;
	char root_path[64];
	int root;

	if (sock != 3 && dup2(sock, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	snprintf(root_path, sizeof(root_path), "/proc/%d/root", pid);
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		_exit(2);
	for (size_t i = from; i < n; i++) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
					.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
		struct statx stx;
		int pfd, fd = -1;

		if (marks[i] == -3)
			continue;
		*cur = (uint32_t)i;
		pfd = (int)syscall(SYS_openat2, root, paths[i], &how, sizeof(how));
		if (pfd >= 0 &&
		    !statx(pfd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) &&
		    makedev(stx.stx_dev_major, stx.stx_dev_minor) == nsfs_dev &&
		    stx.stx_ino == inos[i]) {
			char self[64];

			snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
			fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		}
		if (pfd >= 0)
			close(pfd);
		idx[nidx++] = (uint32_t)i | (fd >= 0 ? HAS_FD : 0);
		if (fd >= 0)
			fds[nfds++] = fd;
		if (nidx == LOOKUP_BATCH) {
			send_batch(3, idx, nidx, fds, nfds);
			while (nfds)
				close(fds[--nfds]);
			nidx = 0;
		}
	}
	send_batch(3, idx, nidx, fds, nfds);
	_exit(0);
}

/*
 * One child for paths[from..n): results into fds.  Returns the first index without an
 * answer: n when the child finished; else the child did not finish before the deadline
 * (it is then killed and abandoned, never waited for) and *hung is the index of the
 * lookup it was stuck in, or n when that is unknown.
 */
static size_t lookup_run(struct ns_lookup *l, size_t from, size_t *hung)
{
	long limit = *l->budget_ms < LOOKUP_TIMEOUT_MS ? *l->budget_ms : LOOKUP_TIMEOUT_MS;
	size_t n = l->n;
	int *fds = l->fds;
	size_t next = from;	/* the first path without an answer */
	volatile uint32_t *cur;
	void *shm;
	struct timespec t0;
	int sv[2], status, timed_out = 0;
	pid_t child;

	*hung = n;
	shm = mmap(NULL, sizeof(*cur), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		l->err = ENOMEM;
		return n;
	}
	cur = shm;
	*cur = UINT32_MAX;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		l->err = errno;
		munmap(shm, sizeof(*cur));
		return n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child < 0) {
		l->err = errno;
		close(sv[0]);
		close(sv[1]);
		munmap(shm, sizeof(*cur));
		return n;
	}
	if (!child) {
		close(sv[0]);
		lookup_child(sv[1], l->pid, l->paths, l->inos, fds, cur, l->nsfs_dev, from, n);
	}
	close(sv[1]);
	for (;;) {
		union {
			char buf[CMSG_SPACE(LOOKUP_BATCH * sizeof(int))];
			struct cmsghdr align;
		} u;
		uint32_t idx[LOOKUP_BATCH];
		struct iovec iov = { idx, sizeof(idx) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct pollfd pfd = { .fd = sv[0], .events = POLLIN };
		long left = limit - ms_since(&t0);
		int got_fds[LOOKUP_BATCH];
		size_t ngot = 0, used = 0;
		struct cmsghdr *c;
		ssize_t got;

		got = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
				timed_out = 1;
				break;
			}
			continue;
		}
		if (got <= 0)
			break;		/* the child is done (or died) */
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

				for (size_t j = 0; j < k && ngot < LOOKUP_BATCH; j++)
					memcpy(&got_fds[ngot++], CMSG_DATA(c) + j * sizeof(int),
					       sizeof(int));
			}
		for (size_t j = 0; j < (size_t)got / sizeof(*idx); j++) {
			size_t i = idx[j] & ~HAS_FD;
			int fd = -1;

			if (idx[j] & HAS_FD)
				fd = used < ngot ? got_fds[used++] : -2;	/* -2: MSG_CTRUNC */
			if (i < next || i >= n || fds[i] == -3) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			if (fd >= 0 && l->got) {
				l->got(l->ctx, i, fd);	/* while the child goes on */
				fd = -4;
			}
			fds[i] = fd;
			next = i + 1;
		}
		while (used < ngot)
			close(got_fds[used++]);
	}
	close(sv[0]);
	if (timed_out) {
		kill(child, SIGKILL);
		waitpid(child, &status, WNOHANG);	/* a stuck one is left to init */
		if (*cur >= next && *cur < n)
			*hung = *cur;
	} else {
		waitpid(child, &status, 0);
		next = n;
	}
	munmap(shm, sizeof(*cur));
	*l->budget_ms -= ms_since(&t0);
	return next;
}

/*
 * Look l->paths up inside the root of process l->pid, in children under a deadline:
 * fds[i] gets the opened nsfs file of paths[i] (checked in the child: see lookup_child),
 * -1 when there is none, -2 when it could not be received (out of descriptors), -3 when
 * its lookup was abandoned or never tried (deadline, budget), -4 when it was handed to
 * l->got (if set) as soon as it arrived.  A lookup that hangs costs
 * one LOOKUP_TIMEOUT_MS, is counted in l->timeouts and told in one warning line, and the
 * paths after it are tried in a new child, while *l->budget_ms lasts.  fds must hold -1.
 */
void ns_lookup(struct ns_lookup *l)
{
	size_t from = 0, n = l->n;

	while (from < n) {
		size_t hung;
		char esc[512];

		if (*l->budget_ms <= 0) {
			for (size_t k = from; k < n; k++)
				l->fds[k] = -3;
			warnx("no time left for %zu lookups in the mount namespace of pid %d",
			      n - from, l->pid);
			l->timeouts++;
			break;
		}
		from = lookup_run(l, from, &hung);
		if (from >= n)
			break;
		if (hung >= n)
			hung = from;	/* not known: give up the first unanswered one */
		l->fds[hung] = -3;
		l->timeouts++;
		warnx("lookup of '%s' in the mount namespace of pid %d did not finish in time: "
		      "abandoned", text_esc(esc, sizeof(esc), l->paths[hung]), l->pid);
		while (from < n && l->fds[from] == -3)
			from++;
	}
}
