/*
 * scan.c implements one whole scan of the host: discover namespaces, dump each one,
 * pair and link, and time it.  The result is a struct topo (the data model) with no fds
 * in it; what the scan holds open lives in a struct scan_ctx, closed at the end unless
 * the caller keeps it (capture).  A scan that saw namespaces it could not hold (out of
 * descriptors, a lookup deadline, a mount table beyond its bound) says so in one warning
 * line and is marked incomplete in t.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vethmap.h"

/* The capabilities a scan needs, each missing one named in one line; -1 if any lacks. */
int scan_need_caps(const char *what)
{
	return need_cap(what, CAP_SYS_ADMIN, "to enter network namespaces") ||
	       need_cap(what, CAP_SYS_PTRACE, "to read other processes' namespaces") ? -1 : 0;
}

void scan_ctx_init(struct scan_ctx *c, struct topo *t)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->self_fd = -1;
	c->seq = 0x5e7a0000;
}

/* Hold fd for namespace ns (the ctx takes it over), growing the per-namespace arrays. */
void scan_ctx_set_fd(struct scan_ctx *c, size_t ns, int fd)
{
	if (ns >= c->alloc) {
		size_t old = c->alloc, n = old ? old : 16;

		while (n <= ns)
			n *= 2;
		c->fd = xrealloc(c->fd, n * sizeof(*c->fd));
		c->nl = xrealloc(c->nl, n * sizeof(*c->nl));
		c->host_nsid = xrealloc(c->host_nsid, n * sizeof(*c->host_nsid));
		c->from_host = xrealloc(c->from_host, n * sizeof(*c->from_host));
		for (size_t i = old; i < n; i++) {
			c->fd[i] = -1;
			c->nl[i] = -1;
			c->host_nsid[i] = c->from_host[i] = -1;
		}
		c->alloc = n;
	}
	if (c->fd[ns] >= 0 && c->fd[ns] != fd)
		BUG("namespace %zu held twice", ns);
	c->fd[ns] = fd;
}

/* The namespaces were put in order (order[new] = old): the fds and sockets follow. */
void scan_ctx_reorder(struct scan_ctx *c, const size_t *order, size_t n)
{
	int *fd, *nl, *hn, *fh;

	if (!n || !c->alloc)
		return;
	if (n > c->alloc)
		BUG("reorder of %zu namespaces, %zu held", n, c->alloc);
	fd = xmalloc(c->alloc * sizeof(*fd));
	nl = xmalloc(c->alloc * sizeof(*nl));
	hn = xmalloc(c->alloc * sizeof(*hn));
	fh = xmalloc(c->alloc * sizeof(*fh));
	for (size_t i = 0; i < c->alloc; i++) {
		fd[i] = i < n ? c->fd[order[i]] : c->fd[i];
		nl[i] = i < n ? c->nl[order[i]] : c->nl[i];
		hn[i] = i < n ? c->host_nsid[order[i]] : c->host_nsid[i];
		fh[i] = i < n ? c->from_host[order[i]] : c->from_host[i];
	}
	free(c->fd);
	free(c->nl);
	free(c->host_nsid);
	free(c->from_host);
	c->fd = fd;
	c->nl = nl;
	c->host_nsid = hn;
	c->from_host = fh;
}

void scan_ctx_release(struct scan_ctx *c)
{
	nl_close_all(c);
	netns_close_all(c);
	free(c->fd);
	free(c->nl);
	free(c->host_nsid);
	free(c->from_host);
	free(c->buf);
	c->fd = NULL;
	c->nl = NULL;
	c->host_nsid = c->from_host = NULL;
	c->buf = NULL;
	c->alloc = c->buf_cap = 0;
}

/*
 * What a third thread does while the namespaces are dumped: whose each namespace is
 * (fdprobe_owners(): three syscalls a namespace), then, when asked for, the engines.  Both
 * read only what discovery left in t->ns (processes, identities, the held fds: nothing the
 * dumps change) and write only fields that nothing before the join reads (t->ns[].userns,
 * owner_uid, owner; t->ctrs), one after the other in this thread.
 */
struct side_job {
	struct scan_ctx *c;
	int want_containers;
	double owners_ms;
};

static void side_work(struct side_job *s)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	fdprobe_owners(s->c);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s->owners_ms = ts_diff_ms(&a, &b);
	if (s->want_containers)
		engines_scan(s->c->t);
}

static void *side_thread(void *arg)
{
	side_work(arg);
	return NULL;
}

/*
 * A second thread dumping namespaces into interfaces and routes of its own.  The two
 * threads take the next namespace not yet taken, one at a time: the host's (first, and
 * by far the largest with many veths) keeps one busy while the other dumps the rest.
 */
struct dump_job {
	struct scan_ctx c;	/* shares the held fds and sockets; its own buffer, its own t */
	struct topo part;	/* t's namespaces (shared, read only), its own interfaces */
	size_t *next;		/* the next namespace to take (both threads) */
	int want_addrs;
};

static void dump_taken(struct scan_ctx *c, size_t *next, int want_addrs)
{
	for (;;) {
		size_t i = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED);

		if (i >= c->t->nns)
			return;
		nl_dump_ns(c, i, want_addrs);
	}
}

static void *dump_thread(void *arg)
{
	struct dump_job *j = arg;

	dump_taken(&j->c, j->next, j->want_addrs);
	return NULL;
}

#define DUMP_SPLIT_MIN 64	/* fewer namespaces are dumped by one thread */

/*
 * The interfaces and routes another thread dumped into part (t's namespaces, its own
 * arrays) appended to t's, their addresses with them; part keeps none.  The interfaces
 * are sorted after (topo_sort_ifaces()), the routes here, each namespace's in the order
 * they were dumped.
 */
static void take_part(struct topo *t, struct topo *part)
{
	t->ifs = grow(t->ifs, &t->nifs_alloc, t->nifs + part->nifs, sizeof(*t->ifs));
	if (part->nifs)
		memcpy(t->ifs + t->nifs, part->ifs, part->nifs * sizeof(*t->ifs));
	t->nifs += part->nifs;
	free(part->ifs);
	part->ifs = NULL;
	part->nifs = part->nifs_alloc = 0;
	t->routes = grow(t->routes, &t->nroutes_alloc, t->nroutes + part->nroutes,
			 sizeof(*t->routes));
	for (size_t i = 0; i < part->nroutes; i++) {
		t->routes[t->nroutes] = part->routes[i];
		t->routes[t->nroutes].seq = t->nroutes;
		t->nroutes++;
	}
	free(part->routes);
	part->routes = NULL;
	part->nroutes = part->nroutes_alloc = 0;
	topo_sort_routes(t);
	for (size_t i = 0; i < t->nroutes; i++)
		t->routes[i].seq = i;
}

/*
 * Our own namespace dumped by a thread of its own while discovery runs.  On a host it is
 * the host's, the largest dump by far (1000 veths: 13-17 ms here, three times discovery's
 * 5 ms, which reads /proc and takes no RTNL lock).  The thread has a topo of that one
 * namespace and a ctx of its own (its own fd of our namespace, sequence numbers of its
 * own), so discovery may grow t's arrays meanwhile; its messages are held until its dump
 * is taken (printed then) or dropped.  Its namespace is taken as the host's, as it is
 * dumped when it is one (host_ns(): no nsid questions of its own).  Started only where
 * PID 1's namespace is ours or cannot be read (then ours is the host's).
 *
 * The dump names other namespaces by the nsids of our table (IFLA_LINK_NETNSID), and an
 * nsid means the same namespace only while that namespace lives: dumped after discovery,
 * every one it names was held or not ours to pair.  Dumped before, a namespace that died
 * meanwhile freed its nsid, which the kernel gives the next namespace that needs one (the
 * lowest free): the dump is taken only when no nsid of our table was freed between its
 * start and the end of discovery (nl_nsid_watch(), joined before the dump began).
 */
struct early_job {
	struct topo t;
	struct scan_ctx c;
	int want_addrs;
	int started;		/* the thread runs, or ran: early_finish() joins it */
	int take;		/* early_match(): its dump is t's namespace 0's */
	int nsids;		/* nl_nsid_watch() */
	FILE *msgs;		/* its messages, held */
	char *msg_buf;
	size_t msg_len;
	pthread_t th;
};

static void *early_thread(void *arg)
{
	struct early_job *e = arg;

	msg_hold(e->msgs);
	nl_dump_ns(&e->c, 0, e->want_addrs);
	msg_hold(NULL);
	return NULL;
}

/* What early_start() made, released (the thread joined, or never started). */
static void early_release(struct early_job *e)
{
	if (e->msgs)
		fclose(e->msgs);
	free(e->msg_buf);
	scan_ctx_release(&e->c);
	topo_release(&e->t);
	if (e->nsids >= 0)
		close(e->nsids);
	e->msgs = NULL;
	e->msg_buf = NULL;
	e->nsids = -1;
	e->started = e->take = 0;
}

static void early_start(struct early_job *e, int want_addrs)
{
	struct stat own, pid1;
	int fd;

	memset(e, 0, sizeof(*e));
	e->nsids = -1;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &own) || (!stat("/proc/1/ns/net", &pid1) &&
				(pid1.st_dev != own.st_dev || pid1.st_ino != own.st_ino)) ||
	    (e->nsids = nl_nsid_watch()) < 0 ||
	    !(e->msgs = open_memstream(&e->msg_buf, &e->msg_len))) {
		close(fd);
		if (e->nsids >= 0)
			close(e->nsids);
		e->nsids = -1;
		return;
	}
	topo_init(&e->t);
	topo_add_ns(&e->t, own.st_dev, own.st_ino);
	e->t.ns[0].is_host = 1;
	scan_ctx_init(&e->c, &e->t);
	e->c.seq += 0x20000000u;	/* numbers of its own (dump_all()'s thread: 0x40000000) */
	scan_ctx_set_fd(&e->c, 0, fd);
	e->want_addrs = want_addrs;
	e->started = !pthread_create(&e->th, NULL, early_thread, e);
	if (!e->started)
		early_release(e);
}

/*
 * After discovery (t's namespaces in order, the host's first, all held): is the early
 * dump that of t's host, with every nsid it names still meaning what it meant?  Then the
 * others are dumped beside it, from the second on, and early_finish() takes it over; else
 * it is dropped there, and namespace 0 is dumped with the rest.  Returns the namespaces
 * already dumped from the first: 1 or 0.
 */
static size_t early_match(struct early_job *e, struct scan_ctx *c)
{
	const struct topo *t = c->t;

	if (!e->started)
		return 0;
	e->take = t->nns && t->ns[0].is_host && t->ns[0].dev == e->t.ns[0].dev &&
		  t->ns[0].ino == e->t.ns[0].ino && c->alloc && c->fd[0] >= 0 && c->nl[0] < 0;
	if (e->take && nl_nsid_freed(e->nsids)) {
		e->take = 0;
		if (verbosity >= 2)
			verbose("scan: an nsid of the host's was freed during discovery: the "
				"host's early dump is dropped, the host dumped again");
	}
	close(e->nsids);
	e->nsids = -1;
	return e->take ? 1 : 0;
}

/* The others dumped: wait for the early dump; taken, it becomes t's namespace 0's. */
static void early_finish(struct early_job *e, struct scan_ctx *c)
{
	struct topo *t = c->t;

	if (!e->started)
		return;
	pthread_join(e->th, NULL);
	fclose(e->msgs);	/* e->msg_buf holds its messages now */
	e->msgs = NULL;
	if (e->take) {
		if (e->msg_len)
			fwrite(e->msg_buf, 1, e->msg_len, stderr);
		t->ns[0].dump_error = e->t.ns[0].dump_error;
		t->ns[0].fwd4 = e->t.ns[0].fwd4;
		t->ns[0].fwd6 = e->t.ns[0].fwd6;
		c->nl[0] = e->c.nl[0];
		e->c.nl[0] = -1;
		c->host_nsid[0] = e->c.host_nsid[0];
		c->from_host[0] = e->c.from_host[0];
		c->nsid_asked += e->c.nsid_asked;
		take_part(t, &e->t);
	}
	early_release(e);
}

/*
 * Dump every namespace from next on.  With two CPUs or more and enough namespaces, a
 * second thread dumps too: each namespace has its own socket and fd, each thread enters
 * namespaces on its own (setns() is per thread), and the second thread's interfaces and
 * routes are appended after the first's (take_part()).
 */
static void dump_all(struct scan_ctx *c, int want_addrs, size_t next)
{
	struct topo *t = c->t;
	struct dump_job j;
	pthread_t th;

	if (t->nns < DUMP_SPLIT_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		dump_taken(c, &next, want_addrs);
		return;
	}
	j.part = *t;
	j.part.ifs = NULL;
	j.part.nifs = j.part.nifs_alloc = 0;
	j.part.routes = NULL;
	j.part.nroutes = j.part.nroutes_alloc = 0;
	j.c = *c;
	j.c.t = &j.part;
	j.c.buf = NULL;
	j.c.buf_cap = 0;
	j.c.nsid_asked = 0;
	j.c.seq = c->seq + 0x40000000u;	/* numbers of its own */
	j.next = &next;
	j.want_addrs = want_addrs;
	if (pthread_create(&th, NULL, dump_thread, &j)) {
		dump_taken(c, &next, want_addrs);
		return;
	}
	dump_taken(c, &next, want_addrs);
	pthread_join(th, NULL);
	c->nsid_asked += j.c.nsid_asked;
	c->seq = j.c.seq;	/* a number is never used twice, whichever socket */
	take_part(t, &j.part);
	free(j.c.buf);
}

/*
 * The host's machine-id (systemd's /etc/machine-id, else D-Bus's), as our own mount
 * namespace has it: 32 hex digits, "" when there is none or it is not that.
 */
static void scan_machine_id(char *out, size_t size)
{
	static const char *const paths[] = { "/etc/machine-id", "/var/lib/dbus/machine-id" };

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && !out[0]; i++) {
		size_t len = 0;
		char *text = read_small_file(paths[i], 64, &len);

		if (!text)
			continue;
		while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
			text[--len] = '\0';
		if (len == 32 && machine_id_ok(text))
			copy_str(out, size, text);
		free(text);
	}
}

/*
 * Scan the host into t (initialised, empty).  With keep, the namespace fds stay open in
 * *keep for the caller (scan_ctx_release() it); without, nothing stays open.  Returns 0,
 * or -1 when not even our own namespace could be opened.
 */
int scan_run(struct topo *t, struct scan_ctx *keep, int want_addrs, int want_containers)
{
	struct scan_ctx own, *c = keep ? keep : &own;
	struct timespec t0, t1, wall, ph[4];
	struct side_job side = { .c = c, .want_containers = want_containers };
	struct early_job early;
	pthread_t side_th;
	int side_started;
	size_t *order;

	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	netns_fd_room();	/* before any thread */
	early_start(&early, want_addrs);
	fmt_iso8601(t->started, sizeof(t->started), &wall);
	if (gethostname(t->host, sizeof(t->host) - 1))
		copy_str(t->host, sizeof(t->host), "unknown");
	t->host[sizeof(t->host) - 1] = '\0';
	scan_machine_id(t->machine_id, sizeof(t->machine_id));

	scan_ctx_init(c, t);
	if (netns_discover(c)) {
		early_finish(&early, c);
		scan_ctx_release(c);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ph[0]);
	order = topo_sort_ns(t);
	scan_ctx_reorder(c, order, t->nns);
	free(order);
	/* owners and engines beside the dumps (side_work()), else after them */
	side_started = !pthread_create(&side_th, NULL, side_thread, &side);
	dump_all(c, want_addrs, early_match(&early, c));
	early_finish(&early, c);
	clock_gettime(CLOCK_MONOTONIC, &ph[1]);
	topo_sort_ifaces(t);
	topo_build_batched(t, nl_nsid, nl_nsid_batch, c);
	clock_gettime(CLOCK_MONOTONIC, &ph[2]);
	if (side_started)
		pthread_join(side_th, NULL);
	else
		side_work(&side);
	clock_gettime(CLOCK_MONOTONIC, &ph[3]);
	nl_close_all(c);
	if (!keep)
		scan_ctx_release(c);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->duration_ms = ts_diff_ms(&t0, &t1);
	if (topo_incomplete(t) && t->missed)
		warnx("scan incomplete: %lu namespaces seen but not held (%s)", t->missed,
		      t->incomplete_reason[0] ? t->incomplete_reason : "lookup deadline");
	else if (topo_incomplete(t))
		warnx("scan incomplete: %s", t->incomplete_reason[0] ? t->incomplete_reason :
		      "lookup deadline");
	verbose("scan: %zu namespaces, %zu interfaces, %zu edges, %zu unresolved in %.1f ms",
		t->nns, t->nifs, t->nedges, t->nunres, t->duration_ms);
	if (verbosity >= 2)
		verbose("scan phases: discovery %.1f ms, dumps %.1f (owners %.1f beside them), "
			"pairing %.1f (%lu nsid questions), engines' wait %.1f",
			ts_diff_ms(&t0, &ph[0]), ts_diff_ms(&ph[0], &ph[1]), side.owners_ms,
			ts_diff_ms(&ph[1], &ph[2]), c->nsid_asked, ts_diff_ms(&ph[2], &ph[3]));
	return 0;
}
