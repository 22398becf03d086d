/*
 * floor.c - the floor reference for 'make bench': the least work any scan must do, with
 * none of vethmap's code.
 *
 * It finds the network namespaces of every process (/proc/PID/ns/net) and every name in
 * /run/netns, each once by (st_dev, st_ino), and dumps each one's links over a raw
 * rtnetlink socket made inside it (setns in, socket, setns back, one RTM_GETLINK dump read
 * to NLMSG_DONE), then stops: no threads, fds or other mount namespaces, no parsing beyond
 * counting the links, no addresses, no pairing, no nsid queries, no database.
 * vethmap scan is measured against this.
 *
 *   floor: N namespaces, M links in X ms
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ns {
	dev_t dev;
	ino_t ino;
	char path[64];
};

static struct ns *ns;
static size_t nns, nalloc;
static size_t *slot;	/* open addressing: index + 1, 0 = empty */
static size_t cap = 1024;

static size_t hash(dev_t dev, ino_t ino)
{
	uint64_t k = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (size_t)(k ^ k >> 29) & (cap - 1);
}

static void grow(void)
{
	size_t *old = slot, oldcap = cap;

	cap *= 2;
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		exit(1);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i]) {
			size_t h = hash(ns[old[i] - 1].dev, ns[old[i] - 1].ino);

			while (slot[h])
				h = (h + 1) & (cap - 1);
			slot[h] = old[i];
		}
	free(old);
}

static void add(const char *path)
{
	struct stat st;
	size_t h;

	if (stat(path, &st))
		return;
	if ((nns + 1) * 2 > cap)
		grow();
	for (h = hash(st.st_dev, st.st_ino); slot[h]; h = (h + 1) & (cap - 1))
		if (ns[slot[h] - 1].dev == st.st_dev && ns[slot[h] - 1].ino == st.st_ino)
			return;
	if (nns == nalloc) {
		nalloc = nalloc ? nalloc * 2 : 256;
		ns = realloc(ns, nalloc * sizeof(*ns));
		if (!ns)
			exit(1);
	}
	ns[nns].dev = st.st_dev;
	ns[nns].ino = st.st_ino;
	snprintf(ns[nns].path, sizeof(ns[nns].path), "%s", path);
	slot[h] = ++nns;
}

static void add_dir(const char *dir, int procs)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[300];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (procs && (de->d_name[0] < '1' || de->d_name[0] > '9'))
			continue;
		if (!procs && de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), procs ? "%s/%s/ns/net" : "%s/%s", dir, de->d_name);
		add(path);
	}
	closedir(d);
}

/* Links in the namespace at path; -1 on failure, -2 when it is gone. */
static long dump_links(const char *path, int self)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	static char buf[32768];
	long links = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), sk;

	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -2 : -1;	/* gone meanwhile */
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return -1;
	}
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (setns(self, CLONE_NEWNET))
		abort();
	close(fd);
	if (sk < 0)
		return -1;
	if (send(sk, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		close(sk);
		return -1;
	}
	for (;;) {
		ssize_t n = recv(sk, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				close(sk);
				return links;
			}
			links += h->nlmsg_type == RTM_NEWLINK;
		}
	}
	close(sk);
	return -1;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	size_t failed = 0;
	long links = 0;
	int self;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: floor\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	slot = calloc(cap, sizeof(*slot));
	if (self < 0 || !slot)
		return 1;
	add("/proc/thread-self/ns/net");
	add_dir("/proc", 1);
	add_dir("/run/netns", 0);
	for (size_t i = 0; i < nns; i++) {
		long n = dump_links(ns[i].path, self);

		if (n == -1)
			failed++;
		else if (n >= 0)
			links += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("floor: %zu namespaces, %ld links in %.1f ms\n", nns, links,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (failed)
		fprintf(stderr, "floor: %zu namespace dumps failed\n", failed);
	return failed ? 1 : 0;
}
