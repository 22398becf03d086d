/*
 * cmd_cap.c implements 'vethmap cap TARGET [options] [FILTER...]': resolve the target in
 * a live scan, open every handle inside its namespace, open the output, drop privileges,
 * capture within bounds, report per-interface counts and record the capture in the
 * database as an audit trail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

#define MAX_POINTS 256

/* "10", "10s", "500ms", "2m", "1h" -> seconds; -1 if malformed. */
static double parse_duration(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 86400 * 365)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "ms"))
		return v / 1000;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	return -1;
}

/* "100", "64k", "10M", "1G" -> a count; 0 with *ok = 0 if malformed. */
static unsigned long long parse_size(const char *s, int *ok)
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
	sqlite3_stmt *st;
	int rc, found = 0;

	if (sqlite3_prepare_v2(db, "SELECT a.netns, a.name, b.netns, b.name FROM edge e"
			       " JOIN iface a ON a.scan_id=e.scan_id AND a.netns=e.a_netns AND a.ifindex=e.a_ifindex"
			       " JOIN iface b ON b.scan_id=e.scan_id AND b.netns=e.b_netns AND b.ifindex=e.b_ifindex"
			       " WHERE e.scan_id=?1 AND e.id=?2", -1, &st, NULL) != SQLITE_OK) {
		error("cannot read the database: %s", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_int64(st, 1, scan);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		found = 1;
		for (int end = 0; end < 2; end++) {
			long long ino = sqlite3_column_int64(st, end * 2);
			const char *name = (const char *)sqlite3_column_text(st, end * 2 + 1);
			long ns = topo_find_ns(t, 0, (uint64_t)ino);
			long ifc = -1;

			for (size_t i = 0; ns >= 0 && i < t->nifs && ifc < 0; i++)
				if (t->ifs[i].ns == (size_t)ns && name && !strcmp(t->ifs[i].name, name))
					ifc = (long)i;
			if (ifc < 0) {
				char esc[128];

				error("edge e%lld of scan %lld: '%llu:%s' no longer exists", id, scan,
				      ino, text_esc(esc, sizeof(esc), name ? name : ""));
				sqlite3_finalize(st);
				return 1;
			}
			add_point(pts, (size_t)ifc);
		}
	}
	sqlite3_finalize(st);
	if (!found) {
		error("no edge e%lld in scan %lld", id, scan);
		return 2;
	}
	return 0;
}

static int open_output(const char *path, int *created)
{
	int fd;

	*created = 0;
	if (!strcmp(path, "-"))
		return STDOUT_FILENO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*created = 1;
		return fd;
	}
	if (errno == EEXIST)	/* replace an existing regular file, never a link */
		fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		error("cannot create '%s':", path);
	return fd;
}

static void record(struct sqlite3 *db, long long scan, const char *started, double ms,
		   const char *target, const struct cap_iface *ci, size_t n,
		   unsigned long long total, const char *file)
{
	char *ifaces = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&ifaces, &len);
	sqlite3_stmt *st;

	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", ci[i].label);
	if (f)
		fclose(f);
	if (sqlite3_prepare_v2(db, "INSERT INTO capture (scan_id, started, duration_ms, target,"
			       " interfaces, packets, file, uid) VALUES (?,?,?,?,?,?,?,?)", -1, &st,
			       NULL) == SQLITE_OK) {
		if (scan > 0)
			sqlite3_bind_int64(st, 1, scan);
		sqlite3_bind_text(st, 2, started, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, ms);
		sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ifaces ? ifaces : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (long long)total);
		if (file)
			sqlite3_bind_text(st, 7, file, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, (long long)getuid());
		if (sqlite3_step(st) != SQLITE_DONE)
			warnx("capture not recorded in the database: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	free(ifaces);
}

struct cap_args {
	const char *target, *dbopt, *outpath, *user;
	const char *only[16];
	size_t nonly;
	int host_side, both_ends;
	long long scan;
	char *filter;
	struct cap_opts o;
};

static int parse_args(int argc, char **argv, struct cap_args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "scan", required_argument, NULL, 'S' },
		{ "host-side", no_argument, NULL, 'H' },
		{ "both-ends", no_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, ok;
	size_t len = 0;

	a->o.duration_s = 10;
	a->o.snaplen = 262144;
	a->o.promisc = 1;
	a->o.out_fd = -1;
	a->o.fmt = CAP_PCAPNG;
	a->user = getuid() == 0 ? "nobody" : NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:d:c:C:s:w:W:Z:pvh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (a->nonly >= 16) {
				error("cap: at most 16 -i options");
				return 2;
			}
			a->only[a->nonly++] = optarg;
			break;
		case 'd':
			a->o.duration_s = parse_duration(optarg);
			if (a->o.duration_s <= 0) {
				error("cap: invalid duration '%s' (like 10, 10s, 500ms, 2m)", optarg);
				return 2;
			}
			break;
		case 'c':
			a->o.count = parse_size(optarg, &ok);
			if (!ok || a->o.count > (1u << 31)) {
				error("cap: invalid count '%s'", optarg);
				return 2;
			}
			break;
		case 'C':
			a->o.max_bytes = parse_size(optarg, &ok);
			if (!ok) {
				error("cap: invalid size '%s' (like 100000, 64k, 10M)", optarg);
				return 2;
			}
			break;
		case 's': {
			unsigned long long v = parse_size(optarg, &ok);

			if (!ok || v > 262144) {
				error("cap: invalid snaplen '%s' (1 to 262144)", optarg);
				return 2;
			}
			a->o.snaplen = (int)v;
			break;
		}
		case 'w': a->outpath = optarg; break;
		case 'W':
			if (!strcmp(optarg, "pcap"))
				a->o.fmt = CAP_PCAP;
			else if (!strcmp(optarg, "pcapng"))
				a->o.fmt = CAP_PCAPNG;
			else {
				error("cap: unknown format '%s' (pcapng or pcap)", optarg);
				return 2;
			}
			break;
		case 'Z': a->user = optarg; break;
		case 'p': a->o.promisc = 0; break;
		case 'D': a->dbopt = optarg; break;
		case 'S': {
			char *end;

			errno = 0;
			a->scan = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || a->scan <= 0) {
				error("cap: invalid scan id '%s'", optarg);
				return 2;
			}
			break;
		}
		case 'H': a->host_side = 1; break;
		case 'B': a->both_ends = 1; break;
		case 'v': verbosity++; break;
		case 'h': usage_cmd(stdout, "cap"); return finish_stdout() ? 1 : 0;
		default: return opt_error("cap", argv, c);
		}
	}
	if (optind >= argc) {
		error("cap: no target");
		usage_cmd(stderr, "cap");
		return 2;
	}
	if (a->host_side && a->both_ends) {
		error("cap: --host-side and --both-ends exclude each other");
		return 2;
	}
	a->target = argv[optind++];
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len) {
		a->filter = xcalloc(1, len);
		for (int i = optind; i < argc; i++) {
			strcat(a->filter, argv[i]);
			if (i + 1 < argc)
				strcat(a->filter, " ");
		}
		a->o.filter = a->filter;
	}
	if (a->user && !strcmp(a->user, "root"))
		a->user = NULL;
	a->o.user = a->user;
	return -1;
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
		struct target_set *m = xcalloc(1, sizeof(*m));

		target_match(t, s, m);
		if (m->n != 1) {
			int rc = target_explain(t, s, m);

			free(m);
			return rc;
		}
		if (m->v[0].ifc >= 0) {
			if (a->nonly) {
				error("cap: -i needs a container or namespace target");
				free(m);
				return 2;
			}
			add_point(&base, (size_t)m->v[0].ifc);
		} else {
			for (size_t k = 0; k < a->nonly; k++) {
				long found = -1;

				for (size_t i = 0; i < t->nifs && found < 0; i++)
					if (t->ifs[i].ns == (size_t)m->v[0].ns && !strcmp(t->ifs[i].name, a->only[k]))
						found = (long)i;
				if (found < 0) {
					char esc[128];

					error("no interface '%s' in %s", text_esc(esc, sizeof(esc), a->only[k]),
					      m->v[0].what);
					free(m);
					return 2;
				}
				add_point(&base, (size_t)found);
			}
			for (size_t i = 0; !a->nonly && i < t->nifs; i++)
				if (t->ifs[i].ns == (size_t)m->v[0].ns && strcmp(t->ifs[i].kind, "loopback"))
					add_point(&base, i);
		}
		free(m);
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

int cmd_cap(int argc, char **argv)
{
	struct cap_args a = { 0 };
	struct points pts = { .n = 0 };
	struct cap_iface *ci = NULL;
	struct sqlite3 *db = NULL;
	long long scan = 0;
	unsigned long long total = 0;
	double ms = 0;
	int rc, created = 0, fd = -1;
	char host[256], started[32], *cmdline = NULL, *comments[4] = { NULL };
	struct capout out = { .fd = -1 };
	struct timespec wall;
	struct topo t;

	{
		size_t len = 0;
		FILE *f = open_memstream(&cmdline, &len);

		for (int i = 0; f && i <= argc; i++)	/* before getopt reorders argv */
			fprintf(f, "%s%s", i ? " " : "", i ? argv[i - 1] : "vethmap");
		if (f)
			fclose(f);
	}
	rc = parse_args(argc, argv, &a);
	if (rc >= 0) {
		free(a.filter);
		free(cmdline);
		return rc;
	}
	if (scan_need_caps("vethmap cap") ||
	    need_cap("vethmap cap", CAP_NET_RAW, "to capture packets")) {
		free(a.filter);
		free(cmdline);
		return 1;
	}
	topo_init(&t);
	t.keep_fds = 1;
	rc = 1;
	if (scan_run(&t, 0, 1))
		goto out;
	db = db_open(db_path(a.dbopt), 1);
	if (!db)
		warnx("the capture will not be recorded");
	else
		scan = a.scan ? a.scan : db_latest(db);
	rc = choose_points(&t, &a, db, scan, &pts);
	if (rc)
		goto out;
	if (a.o.fmt == CAP_PCAP && pts.n > 1) {
		error("cap: -W pcap holds one interface; this target has %zu (use pcapng)", pts.n);
		rc = 2;
		goto out;
	}
	ci = xcalloc(pts.n, sizeof(*ci));
	for (size_t i = 0; i < pts.n; i++) {
		const struct iface *x = &t.ifs[pts.v[i]];
		char lab[32];
		const char *cn = topo_ns_container(&t, x->ns);

		char raw[PATH_MAX + 80];

		ci[i].ifc = pts.v[i];
		snprintf(raw, sizeof(raw), "%s:%s", topo_ns_label(&t, x->ns, lab, sizeof(lab)),
			 x->name);
		utf8_esc(ci[i].label, sizeof(ci[i].label), raw);	/* pcapng wants UTF-8 */
		utf8_esc(ci[i].desc, sizeof(ci[i].desc), cn ? cn : "");
	}
	rc = capture_open(&t, ci, &pts.n, &a.o);
	if (rc) {
		rc = rc == -2 ? 2 : 1;
		goto out;
	}
	netns_close_all(&t);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	clock_gettime(CLOCK_REALTIME, &wall);
	fmt_iso8601(started, sizeof(started), &wall);
	{
		/* comments are UTF-8 in pcapng, whatever bytes the user typed */
		size_t cl = cmdline ? strlen(cmdline) * 2 + 1 : 1, tl = strlen(a.target) * 2 + 1;
		char *ct = xmalloc(cl), *tt = xmalloc(tl), hh[1024];

		utf8_esc(ct, cl, cmdline ? cmdline : "");
		utf8_esc(tt, tl, a.target);
		utf8_esc(hh, sizeof(hh), host);
		if (asprintf(&comments[0], "host: %s", hh) < 0 ||
		    asprintf(&comments[1], "target: %s", tt) < 0 ||
		    asprintf(&comments[2], "command: %s", ct) < 0 ||
		    asprintf(&comments[3], "scan: %lld", scan) < 0)
			die("out of memory");
		free(ct);
		free(tt);
	}
	a.o.comments = (const char *const *)comments;
	a.o.ncomments = 4;
	if (a.outpath) {
		fd = open_output(a.outpath, &created);
		if (fd < 0) {
			rc = 1;
			goto out;
		}
		a.o.out_fd = fd;
		a.o.out_name = a.outpath;
		/* the header is written while we may still remove a file that cannot take it */
		if (capture_begin_file(ci, pts.n, &a.o, &out)) {
			rc = 1;
			goto out;
		}
	} else {
		setvbuf(stdout, NULL, _IOLBF, 0);	/* one line per packet, as it comes */
	}
	if (drop_privileges(a.o.user)) {
		rc = 1;
		goto out;
	}
	rc = capture_run(ci, pts.n, &a.o, &out, &total, &ms) ? 1 : 0;
	for (size_t i = 0; i < pts.n; i++) {
		char esc[512];

		fprintf(stderr, "vethmap: %s: %llu packets captured, %u received by filter, "
			"%u dropped by kernel\n", text_esc(esc, sizeof(esc), ci[i].label),
			ci[i].captured, ci[i].recv, ci[i].drop);
	}
	if (db)
		record(db, scan, started, ms, a.target, ci, pts.n, total, a.outpath);
	if (fd == STDOUT_FILENO || fd < 0) {
		if (finish_stdout())
			rc = 1;
	} else if (close(fd)) {
		error("cannot write '%s':", a.outpath);
		rc = 1;
	}
	fd = -1;
out:
	if (fd > STDOUT_FILENO)
		close(fd);
	if (rc && created && a.outpath && total == 0)
		unlink(a.outpath);
	if (ci)
		capture_close(ci, pts.n);
	free(ci);
	netns_close_all(&t);
	topo_release(&t);
	db_close(db);
	free(a.filter);
	free(cmdline);
	for (int i = 0; i < 4; i++)
		free(comments[i]);
	return rc;
}
