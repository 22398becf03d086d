/*
 * cmd_cap.c implements 'vethmap cap TARGET [options] [FILTER...]' in three stages, the
 * privilege separation of OpenSSH's monitor in small:
 *
 *   plan  (pure)        the target, in a live scan, to the interfaces to capture on;
 *   open  (privileged)  every libpcap handle inside its namespace, the output (a new file
 *                       beside -w FILE, written with its header), -Z's user looked up;
 *   run   (no privilege) a forked child drops to -Z's user and to no capability at all,
 *                       and captures: it is the only process that parses packets, and it
 *                       holds no database descriptor (the database is closed before the
 *                       fork and opened again by the parent only).
 *
 * The parent stays privileged: it writes the audit row in the capture table before the
 * child reads its first packet (state 'running', the invoking real uid and SUDO_UID),
 * waits, completes the row from the totals the child sends over a pipe (or marks it
 * 'killed'), and renames the new file over -w FILE (or removes it when nothing was
 * captured and the capture failed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "capcmd.h"

#define MAX_POINTS 256
#define CAP_BUFFER_KIB	4096		/* -B: tcpdump's default is 2048 */
#define CAP_BUFFER_KIB_MAX 1048576u	/* 1 GiB: libpcap's size is an int of bytes */
/*
 * A regular file is written from the kernel's blocks (libpcap's buffered mode, as
 * tcpdump -w): a wake-up per block of packets, not per packet.  A block goes out when
 * full or this long after it began; the capture's end waits that long at most for the
 * last one (tcpdump's timeout is 1000 ms, and its last block is lost at the end).
 */
#define CAP_BLOCK_MS	100

/* "100", "64k", "10M", "1G" -> a count; 0 with *ok = 0 if malformed. */
unsigned long long parse_size(const char *s, int *ok)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	*ok = 0;
	if (!*s || *s == '-')
		return 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'M')
		mul = 1024 * 1024, end++;
	else if (*end == 'G')
		mul = 1024ull * 1024 * 1024, end++;
	if (*end || v == 0 || v > ~0ull / mul)
		return 0;
	*ok = 1;
	return v * mul;
}

struct points {
	size_t v[MAX_POINTS];
	size_t n;
};

static void add_point(struct points *p, size_t ifc)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == ifc)
			return;
	if (p->n < MAX_POINTS)
		p->v[p->n++] = ifc;
}

/* Edge eN of a stored scan, found again in the live topology by namespace and name. */
static int resolve_edge(struct sqlite3 *db, long long scan, long long id, struct topo *t,
			struct points *pts)
{
	long long ino[2];
	char name[2][IFNAME_MAX];
	int rc = db_edge_ends(db, scan, id, ino, name);

	if (rc < 0)
		return 1;
	if (!rc) {
		error("no edge e%lld in scan %lld", id, scan);
		return 2;
	}
	for (int end = 0; end < 2; end++) {
		long ns = topo_find_ns(t, 0, (uint64_t)ino[end]);
		long ifc = ns >= 0 ? topo_find_ifname(t, (size_t)ns, name[end]) : -1;
		if (ifc < 0) {
			char esc[128];

			error("edge e%lld of scan %lld: '%llu:%s' no longer exists", id, scan,
			      ino[end], text_esc(esc, sizeof(esc), name[end]));
			return 1;
		}
		add_point(pts, (size_t)ifc);
	}
	return 0;
}

/* "NETNS:IFNAME ..." of the interfaces captured on, for the audit row (allocated). */
char *iface_list(const struct cap_iface *ci, size_t n)
{
	char *ifaces = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&ifaces, &len);

	if (!f)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", ci[i].label);
	if (fclose(f))
		die("out of memory");
	return ifaces;
}

struct cap_args {
	const char *target, *outpath, *user;
	const char *only[16];
	size_t nonly;
	int host_side, both_ends, immediate;
	char *filter;
	struct cap_opts o;
};

static void cap_init(struct cmd_ctx *ctx)
{
	struct cap_args *a = ctx->opts;

	a->o.duration_s = 10;
	a->o.snaplen = 262144;
	a->o.buffer_kib = CAP_BUFFER_KIB;
	a->o.promisc = 1;
	a->o.out_fd = -1;
	a->o.fmt = CAP_PCAPNG;
	a->user = getuid() == 0 ? "nobody" : NULL;
}

static int cap_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct cap_args *a = ctx->opts;
	int ok;

	switch (c) {
	case 'i':
		if (a->nonly >= 16) {
			error("cap: at most 16 -i options");
			return 2;
		}
		a->only[a->nonly++] = arg;
		break;
	case 'd':
		a->o.duration_s = parse_duration(arg);
		if (a->o.duration_s <= 0) {
			error("cap: invalid duration '%s' (like 10, 10s, 500ms, 2m)", arg);
			return 2;
		}
		break;
	case 'c':
		a->o.count = parse_size(arg, &ok);
		if (!ok || a->o.count > (1u << 31)) {
			error("cap: invalid count '%s'", arg);
			return 2;
		}
		break;
	case 'C':
		a->o.max_bytes = parse_size(arg, &ok);
		if (!ok) {
			error("cap: invalid size '%s' (like 100000, 64k, 10M)", arg);
			return 2;
		}
		break;
	case 's': {
		unsigned long long v = parse_size(arg, &ok);

		if (!ok || v > 262144) {
			error("cap: invalid snaplen '%s' (1 to 262144)", arg);
			return 2;
		}
		a->o.snaplen = (int)v;
		break;
	}
	case 'B': {
		unsigned long long v = parse_size(arg, &ok);

		if (!ok || strspn(arg, "0123456789") != strlen(arg) || v > CAP_BUFFER_KIB_MAX) {
			error("cap: invalid buffer size '%s' (KiB, 1 to %u)", arg, CAP_BUFFER_KIB_MAX);
			return 2;
		}
		a->o.buffer_kib = (int)v;
		break;
	}
	case 'U': a->o.packet_buffered = 1; break;
	case 'w': a->outpath = arg; break;
	case 'W':
		if (!strcmp(arg, "pcap")) {
			a->o.fmt = CAP_PCAP;
		} else if (!strcmp(arg, "pcapng")) {
			a->o.fmt = CAP_PCAPNG;
		} else {
			error("cap: unknown format '%s' (pcapng or pcap)", arg);
			return 2;
		}
		break;
	case 'Z': a->user = arg; break;
	case 'p': a->o.promisc = 0; break;
	case 'H': a->host_side = 1; break;
	case 'E': a->both_ends = 1; break;
	case 'M': a->immediate = 1; break;
	}
	return 0;
}

/* Operands: TARGET, then the filter's words. */
static int cap_check(struct cmd_ctx *ctx)
{
	struct cap_args *a = ctx->opts;

	if (ctx->argc < 1) {
		error("cap: no target");
		usage_cmd(stderr, "cap");
		return 2;
	}
	if (a->host_side && a->both_ends) {
		error("cap: --host-side and --both-ends exclude each other");
		return 2;
	}
	a->target = ctx->argv[0];
	return 0;
}

/* The filter's words joined by spaces, or NULL for none (the caller frees it). */
char *join_filter(int argc, char **argv)
{
	size_t len = 0;
	char *f;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (!len)
		return NULL;
	f = xcalloc(1, len);
	for (int i = 0; i < argc; i++) {
		strcat(f, argv[i]);
		if (i + 1 < argc)
			strcat(f, " ");
	}
	return f;
}

/* Which interfaces the target and the mode name; 0, or an exit status. */
static int choose_points(struct topo *t, struct cap_args *a, struct sqlite3 *db,
			 long long scan, struct points *pts)
{
	struct points base = { .n = 0 };
	const char *s = a->target;

	if (s[0] == 'e' && s[1] >= '0' && s[1] <= '9' && strspn(s + 1, "0123456789") == strlen(s + 1)) {
		if (!db || scan <= 0) {
			error("edge target '%s' needs a stored scan: run 'vethmap scan' first", s);
			return 2;
		}
		if (a->nonly) {
			error("cap: -i does not go with an edge target");
			return 2;
		}
		int rc = resolve_edge(db, scan, atoll(s + 1), t, &base);

		if (rc)
			return rc;
	} else {
		struct target one;
		int rc = target_one(t, s, &one);

		if (rc)
			return rc;
		if (one.ifc >= 0) {
			if (a->nonly) {
				error("cap: -i needs a container or namespace target");
				return 2;
			}
			add_point(&base, (size_t)one.ifc);
		} else {
			for (size_t k = 0; k < a->nonly; k++) {
				long found = topo_find_ifname(t, (size_t)one.ns, a->only[k]);

				if (found < 0) {
					char esc[128];

					error("no interface '%s' in %s", text_esc(esc, sizeof(esc), a->only[k]),
					      one.what);
					return 2;
				}
				add_point(&base, (size_t)found);
			}
			for (size_t i = 0; !a->nonly && i < t->nifs; i++)
				if (t->ifs[i].ns == (size_t)one.ns && strcmp(t->ifs[i].kind, "loopback"))
					add_point(&base, i);
		}
	}
	for (size_t i = 0; i < base.n; i++) {
		const struct iface *x = &t->ifs[base.v[i]];

		if (!a->host_side)
			add_point(pts, base.v[i]);
		if ((a->host_side || a->both_ends) && x->peer >= 0)
			add_point(pts, (size_t)x->peer);
		else if (a->host_side) {
			char esc[128];

			warnx("%s has no veth peer: not captured", text_esc(esc, sizeof(esc), x->name));
		}
	}
	if (!pts->n) {
		error("nothing to capture on for '%s'", s);
		return 1;
	}
	return 0;
}

/* ---- run: the capturing child and its privileged parent ------------------------------ */

/* What the child sends back over its pipe: this, then n struct cap_count. */
struct cap_result {
	int rc;				/* capture_run's */
	unsigned n;
	unsigned long long total;
	double ms;
};
struct cap_count {
	unsigned long long captured;
	unsigned recv, drop;
};

static volatile pid_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);	/* the child ends the capture; we wait for it */
}

static size_t read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/*
 * The capturing process: drops every privilege, waits for the parent's go (the audit row
 * is written), captures, sends its totals, and ends with _exit (nothing of the parent's
 * is flushed, freed or checked for leaks twice).
 */
static _Noreturn void child_main(int go_fd, int res_fd, pid_t parent, struct cap_iface *ci,
				 size_t n, const struct cap_opts *o, struct capout *out,
				 const struct runas *ra)
{
	struct cap_result r = { .rc = -1, .n = (unsigned)n };
	char go;

	if (drop_privileges(ra))
		_exit(1);
	prctl(PR_SET_PDEATHSIG, SIGTERM);	/* after the uid change, which clears it */
	if (getppid() != parent || read_all(go_fd, &go, 1) != 1)
		_exit(1);
	close(go_fd);
	if (o->started)
		o->started(o->hook_ctx);
	r.rc = capture_run(ci, n, o, out, &r.total, &r.ms);
	if (o->finished)
		r.rc = o->finished(o->hook_ctx, r.rc);
	if (!write_full(res_fd, &r, sizeof(r), NULL))
		for (size_t i = 0; i < n; i++) {
			struct cap_count c = { ci[i].captured, ci[i].recv, ci[i].drop };

			if (write_full(res_fd, &c, sizeof(c), NULL))
				break;
		}
	close(res_fd);
	capture_close(ci, n);
	_exit(r.rc ? 1 : 0);
}

/*
 * Fork the capturing child, write the audit row (the database is opened here, in the
 * parent only), let the child go, wait for it, complete the row.  Returns the exit
 * status; *total the packets captured.
 */
int run_split(const char *dbfile, int use_db, const struct capture_row *row,
		     struct cap_iface *ci, size_t n, const struct cap_opts *o,
		     struct capout *out, struct outfile *of, const struct runas *ra,
		     unsigned long long *total)
{
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = forward_signal }, old[3];
	struct cap_result r = { .rc = -1 };
	struct cap_count *cc = xcalloc(n, sizeof(*cc));
	struct sqlite3 *db = NULL;
	const char *state = "failed";
	long long id = -1;
	int go[2], res[2], status = 0, got = 0, rc = 1;
	pid_t pid, self = getpid();

	if (pipe2(go, O_CLOEXEC)) {
		error("cap: pipe:");
		free(cc);
		return 1;
	}
	if (pipe2(res, O_CLOEXEC)) {
		error("cap: pipe:");
		close(go[0]);
		close(go[1]);
		free(cc);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);	/* a child that died early is seen on its pipes */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error("cap: fork:");
		close(go[0]);
		close(go[1]);
		close(res[0]);
		close(res[1]);
		free(cc);
		return 1;
	}
	if (pid == 0) {
		close(go[1]);
		close(res[0]);
		child_main(go[0], res[1], self, ci, n, o, out, ra);
	}
	child_pid = pid;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	close(go[0]);
	close(res[1]);
	/*
	 * What the child reads and writes is its own now.  Our pcap_close() unmaps our view
	 * of each ring; its request to tear the ring down is refused by the kernel while the
	 * child still maps it, so the child's capture goes on.
	 */
	capture_close(ci, n);
	if (of->fd > STDOUT_FILENO)
		close(of->fd);
	of->fd = -1;
	if (use_db) {
		db = db_open(dbfile, 1);
		if (db)
			id = db_capture_begin(db, row);
		if (id < 0)
			warnx("the capture will not be recorded");
	}
	if (write_full(go[1], "g", 1, NULL))
		error("cap: cannot start the capturing process:");
	close(go[1]);
	if (read_all(res[0], &r, sizeof(r)) == sizeof(r) && r.n == n &&
	    read_all(res[0], cc, n * sizeof(*cc)) == n * sizeof(*cc))
		got = 1;
	close(res[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (WIFSIGNALED(status)) {
		error("cap: the capturing process was killed by signal %d", WTERMSIG(status));
		state = "killed";
		got = 0;
	} else if (got) {
		rc = r.rc || WEXITSTATUS(status) ? 1 : 0;
		state = rc ? "failed" : "done";
	}
	if (!got) {
		r.total = 0;
		r.ms = 0;
	}
	for (size_t i = 0; got && i < n; i++) {	/* labels are UTF-8 without controls */
		ci[i].captured = cc[i].captured;
		ci[i].recv = cc[i].recv;
		ci[i].drop = cc[i].drop;
		fprintf(stderr, "vethmap: %s: %llu packets captured, %u received by filter, "
			"%u dropped by kernel\n", ci[i].label, ci[i].captured, ci[i].recv,
			ci[i].drop);
	}
	if (db && id >= 0 && db_capture_end(db, id, r.ms, r.total, state))
		warnx("the capture's end is not recorded");
	db_close(db);
	free(cc);
	*total = r.total;
	return rc;
}

/* The command line as typed, for the pcapng comment (the caller frees it). */
char *command_line(const struct cmd_ctx *ctx)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		die("out of memory");
	for (int i = 0; i <= ctx->all_argc; i++)
		fprintf(f, "%s%s", i ? " " : "", i ? ctx->all_argv[i - 1] : "vethmap");
	if (fclose(f))
		die("out of memory");
	return s;
}

/* One capture interface per point: its pcapng name NETNS:IFNAME and description. */
struct cap_iface *make_ifaces(const struct topo *t, const size_t *ifcs, size_t n)
{
	struct cap_iface *ci = xcalloc(n, sizeof(*ci));

	for (size_t i = 0; i < n; i++) {
		const struct iface *x = &t->ifs[ifcs[i]];
		char lab[32], raw[PATH_MAX + 80];
		const char *cn = topo_ns_container(t, x->ns);

		ci[i].ifc = ifcs[i];
		snprintf(raw, sizeof(raw), "%s:%s", topo_ns_label(t, x->ns, lab, sizeof(lab)),
			 x->name);
		pcapng_str(ci[i].label, sizeof(ci[i].label), raw);	/* UTF-8, no controls */
		pcapng_str(ci[i].desc, sizeof(ci[i].desc), cn ? cn : "");
	}
	return ci;
}

/* The file's comments: UTF-8 in pcapng, whatever bytes the user typed, and no controls. */
void make_comments(char *comments[4], const char *cmdline, const char *target,
			  long long scan)
{
	size_t cl = strlen(cmdline) * 4 + 1, tl = strlen(target) * 4 + 1;
	char *ct = xmalloc(cl), *tt = xmalloc(tl), host[256], hh[1024];

	if (gethostname(host, sizeof(host) - 1))
		copy_str(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	pcapng_str(ct, cl, cmdline);
	pcapng_str(tt, tl, target);
	pcapng_str(hh, sizeof(hh), host);
	if (asprintf(&comments[0], "host: %s", hh) < 0 ||
	    asprintf(&comments[1], "target: %s", tt) < 0 ||
	    asprintf(&comments[2], "command: %s", ct) < 0 ||
	    asprintf(&comments[3], "scan: %lld", scan) < 0)
		die("out of memory");
	free(ct);
	free(tt);
}

/* Who ran the capture (real uid, SUDO_UID under root) and who reads the packets. */
void who_ran(struct capture_row *row, uid_t invoker, const struct runas *ra)
{
	const char *sudo = getenv("SUDO_UID");

	row->uid = invoker;
	row->sudo_uid = -1;
	if (invoker == 0 && sudo && *sudo && strlen(sudo) < 11 &&
	    strspn(sudo, "0123456789") == strlen(sudo))
		row->sudo_uid = atoll(sudo);
	row->run_uid = ra->change ? (long long)ra->uid : (long long)geteuid();
}

/* The output's end: a new file renamed into place when something was captured. */
int finish_output(struct outfile *of, int rc, unsigned long long total)
{
	if (of->tmp && (rc == 0 || total > 0)) {
		if (outfile_commit(of))
			rc = 1;
	} else if (of->tmp) {
		outfile_abort(of);
	} else if (outfile_close(of) && rc == 0) {
		error("cannot write '%s':", of->path);
		rc = 1;
	}
	return rc;
}

static int cap(struct cmd_ctx *ctx)
{
	struct cap_args a = *(const struct cap_args *)ctx->opts;
	struct points pts = { .n = 0 };
	struct cap_iface *ci = NULL;
	struct sqlite3 *db = NULL;
	struct runas ra;
	struct outfile of = { .fd = -1, .nonblock = 1 };
	struct capture_row row = { 0 };
	uid_t invoker = getuid();	/* before anything: who ran us */
	long long scan = 0;
	unsigned long long total = 0;
	int rc, use_db = 0, have_out = 0;
	char started[32], *cmdline = NULL, *comments[4] = { NULL }, *ifaces = NULL;
	struct capout out = { .fd = -1 };
	struct timespec wall;
	struct scan_ctx live;
	struct topo t;
	struct stat st;

	scan_ctx_init(&live, &t);
	if (runas_lookup(a.user, &ra))
		return 1;
	cmdline = command_line(ctx);
	a.filter = join_filter(ctx->argc - 1, ctx->argv + 1);
	a.o.filter = a.filter;
	topo_init(&t);
	rc = 1;
	if (scan_run(&t, &live, 0, 1))
		goto out;
	/* ---- plan ---- */
	db = db_open(db_path(ctx->db_opt), 1);
	if (!db)
		warnx("the capture will not be recorded");
	else
		scan = ctx->scan ? ctx->scan : db_latest(db);
	use_db = db != NULL;
	rc = choose_points(&t, &a, db, scan, &pts);
	/* the capturing child must not inherit the database: closed now, opened again later */
	db_close(db);
	db = NULL;
	if (rc)
		goto out;
	if (a.o.fmt == CAP_PCAP && pts.n > 1) {
		error("cap: -W pcap holds one interface; this target has %zu (use pcapng)", pts.n);
		rc = 2;
		goto out;
	}
	ci = make_ifaces(&t, pts.v, pts.n);
	/* ---- open: the output first, as its kind sets the handles' mode ---- */
	rc = 1;
	if (outfile_open(&of, a.outpath ? a.outpath : "-"))
		goto out;
	have_out = 1;
	if (a.outpath && !a.immediate && !a.o.packet_buffered && !fstat(of.fd, &st) &&
	    S_ISREG(st.st_mode))
		a.o.buffer_ms = CAP_BLOCK_MS;
	rc = capture_open(&live, ci, &pts.n, &a.o);
	if (rc) {
		rc = rc == -2 ? 2 : 1;
		goto out;
	}
	scan_ctx_release(&live);	/* the handles are open: no namespace fd is needed */
	clock_gettime(CLOCK_REALTIME, &wall);
	fmt_iso8601(started, sizeof(started), &wall);
	make_comments(comments, cmdline, a.target, scan);
	a.o.comments = (const char *const *)comments;
	a.o.ncomments = 4;
	rc = 1;
	if (a.outpath) {
		a.o.out_fd = of.fd;
		a.o.out_name = a.outpath;
		/* the header is written while we may still remove a file that cannot take it */
		if (capture_begin_file(ci, pts.n, &a.o, &out))
			goto out;
	} else {
		a.o.text_fd = of.fd;
	}
	/* ---- run ---- */
	ifaces = iface_list(ci, pts.n);
	row.scan_id = scan;
	row.started = started;
	row.target = a.target;
	row.interfaces = ifaces;
	row.file = a.outpath;
	who_ran(&row, invoker, &ra);
	rc = run_split(db_path(ctx->db_opt), use_db, &row, ci, pts.n, &a.o, &out, &of, &ra, &total);
out:
	if (have_out)
		rc = finish_output(&of, rc, total);
	if (ci)
		capture_close(ci, pts.n);
	capout_release(&out);
	free(ci);
	free(ifaces);
	scan_ctx_release(&live);
	topo_release(&t);
	db_close(db);
	free(a.filter);
	free(cmdline);
	for (int i = 0; i < 4; i++)
		free(comments[i]);
	return rc;
}

const struct cmd_def cap_def = {
	.run = cap, .init = cap_init,
	.parse = cap_parse, .check = cap_check, .size = sizeof(struct cap_args),
	.options = (const struct cmd_opt[]){
		{ NULL, 'i', 0, "IFNAME", "capture on IFNAME in the target (up to 16 -i)" },
		{ "host-side", 0, 'H', NULL, "capture on the veth peers instead (usually the host's)" },
		{ "both-ends", 0, 'E', NULL, "capture on both ends of every veth at once" },
		{ NULL, 'd', 0, "DURATION", "stop after DURATION (10, 10s, 500ms, 2m; default 10s)" },
		{ NULL, 'c', 0, "COUNT", "stop after COUNT packets" },
		{ NULL, 'C', 0, "MAXBYTES", "with -w, stop once the file holds MAXBYTES (64k, 10M)" },
		{ NULL, 's', 0, "SNAPLEN", "bytes kept of each packet (1 to 262144, the default)" },
		{ NULL, 'B', 0, "KIB", "kernel buffer per interface, KiB (default 4096)" },
		{ NULL, 'w', 0, "FILE", "write the packets to FILE (- is standard output)" },
		{ NULL, 'U', 0, NULL, "with -w, write each packet as it is read" },
		{ "immediate-mode", 0, 'M', NULL, "hand packets over within 1 ms or so, also to a file" },
		{ NULL, 'W', 0, "pcapng|pcap", "format of -w (default pcapng; pcap holds one interface)" },
		{ NULL, 'Z', 0, "USER", "read packets as USER (default: nobody)" },
		{ NULL, 'p', 0, NULL, "do not put the interfaces into promiscuous mode" },
		{ 0 }
	},
};
