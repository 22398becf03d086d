/*
 * cmd_watch.c implements 'vethmap watch': a full scan, then every change as it happens,
 * one line each (the lines of 'vethmap diff', or JSON lines with --json), until a signal,
 * -c COUNT lines or -d DURATION.
 *
 * There is one way to know what changed: the events (watch_ev.c) only say when to look;
 * then the host is scanned again (scan_run, as 'vethmap scan' does) and diff_topos() says
 * what changed against the last state, so a watch line is what 'vethmap diff' says
 * between the two snapshots.  Events that come together are taken together: the rescan
 * waits WATCH_NET_MS after the first link or address event, WATCH_PROC_MS after the first
 * process, mount or /run/netns event (a namespace's bind mount follows its file), and no
 * sooner after the last rescan than that rescan took (so churn on a big host costs at most
 * half a CPU).  A scan during which netlink events came is taken again (up to
 * WATCH_TORN_TRIES times): the namespaces are dumped one after the other, so a scan across
 * a change can hold both sides of it (a moved interface in both namespaces), a state that
 * never was.  Every --interval a rescan comes without an event: what it finds are
 * changes no event told of, counted as corrections (that count should be 0; -v reports
 * it).
 *
 * With a database (the default) each batch of changes is stored as a snapshot with an
 * event row per line (the line as printed, text and JSON), in one transaction, before its
 * lines are printed ('vethmap events', 'scans' and 'diff' show the history).  Between
 * batches, a step of compaction at most every WATCH_COMPACT_MS: history older than --keep
 * goes, and the batch snapshots older than --thin but one per --thin period (their
 * events stay).  SIGINT and SIGTERM are taken through a signalfd between batches, so neither
 * cuts a snapshot in half; they end the watch with status 0.  With --output FILE the
 * lines are appended to FILE instead of standard output, and SIGHUP opens FILE again
 * (after logrotate has moved it away).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "watch.h"

#define WATCH_NET_MS 100	/* after a netlink event, before the rescan */
#define WATCH_PROC_MS 200	/* after a process / mount / /run/netns event */
#define WATCH_RETRY_MS 1000	/* after an incomplete rescan */
#define WATCH_TORN_TRIES 2	/* scans taken again when netlink events came while they ran */
#define WATCH_COMPACT_MS 1000	/* a step of compaction (--keep, --thin) at most this often */

struct watch_opts {
	double interval_s;	/* reconciling rescan every ... */
	double duration_s;	/* -d: 0 = none */
	unsigned long long count;	/* -c: 0 = none */
	struct compact compact;	/* --keep, --thin */
	const char *output;	/* --output FILE: appended to; NULL = standard output */
};

struct watch_run {
	struct cmd_ctx *ctx;
	const struct watch_opts *o;
	struct watch_ev ev;
	struct topo cur;	/* the state the last lines left */
	struct pr p;
	FILE *out;		/* where the lines go: stdout, or --output's file */
	unsigned long long lines, rescans, corrections, batches, torn_all;
	long long quiet_until;	/* no event-driven rescan before (ms): as long as the last took */
	int late;		/* the last rescan: events came while its last scan ran */
	int torn;		/* ... and while how many scans before it, taken again */
	int done;		/* -c reached */
	long long next_compact;	/* ms */
	unsigned long long compacted, events_gone;
};

static void watch_init(struct cmd_ctx *ctx)
{
	struct watch_opts *o = ctx->opts;

	o->interval_s = 60;
	o->compact.keep_s = 7 * 86400;
	o->compact.thin_s = 600;
}

static int watch_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct watch_opts *o = ctx->opts;
	char *end;

	switch (c) {
	case 'n':
		ctx->needs &= ~USE_DB_RW;	/* --no-store: no database at all */
		break;
	case 'i':
		o->interval_s = parse_duration(arg);
		if (o->interval_s < 0.1) {
			error("watch: invalid interval '%s' (like 60, 30s, 500ms, 5m; at least 100ms)",
			      arg);
			return 2;
		}
		break;
	case 'd':
		o->duration_s = parse_duration(arg);
		if (o->duration_s <= 0) {
			error("watch: invalid duration '%s' (like 10, 10s, 500ms, 2m)", arg);
			return 2;
		}
		break;
	case 'K':
	case 'T':
		if ((c == 'K' ? (o->compact.keep_s = parse_duration(arg)) :
		     (o->compact.thin_s = parse_duration(arg))) < 0) {
			error("watch: invalid --%s '%s' (like 10m, 12h, 7d, 2w; 0: never)",
			      c == 'K' ? "keep" : "thin", arg);
			return 2;
		}
		break;
	case 'o':
		if (!*arg) {
			error("watch: invalid output file '' (a file name)");
			return 2;
		}
		o->output = arg;
		break;
	case 'c':
		errno = 0;
		o->count = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || !o->count) {
			error("watch: invalid count '%s' (a number of lines, 1 or more)", arg);
			return 2;
		}
		break;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- one line per change ------------------------------------------------------------- */

static const char *op_word(char op)
{
	return op == '+' ? "add" : op == '-' ? "del" : "change";
}

static void json_netns(struct pr *p, const struct topo *t, long i)
{
	if (i < 0 || (size_t)i >= t->nns)
		return;
	pr_uint(p, PR_JSON, "inode", NULL, t->ns[i].ino);
	pr_bool(p, PR_JSON, "host", NULL, t->ns[i].is_host);
}

static void json_iface(struct pr *p, const struct topo *t, long i)
{
	if (i < 0 || (size_t)i >= t->nifs)
		return;
	pr_uint(p, PR_JSON, "netns", NULL, t->ns[t->ifs[i].ns].ino);
	pr_str(p, PR_JSON, "name", NULL, t->ifs[i].name);
	pr_int(p, PR_JSON, "ifindex", NULL, t->ifs[i].ifindex);
}

static void json_edge(struct pr *p, const struct topo *t, long i)
{
	if (i < 0 || (size_t)i >= t->nedges)
		return;
	pr_str(p, PR_JSON, "edge_type", NULL, edge_type_names[t->edges[i].type]);
	pr_end(p, "a", t, &t->ifs[t->edges[i].a]);
	pr_end(p, "b", t, &t->ifs[t->edges[i].b]);
}

static void json_container(struct pr *p, const struct topo *t, long i)
{
	const struct container *c;

	if (i < 0 || (size_t)i >= t->nctrs)
		return;
	c = &t->ctrs[i];
	pr_str(p, PR_JSON, "engine", NULL, c->engine);
	pr_str(p, PR_JSON, "name", NULL, *c->name ? c->name : c->id);
	pr_str(p, PR_JSON, "id", NULL, c->id);
	if (*c->pod)
		pr_str(p, PR_JSON, "pod", NULL, c->pod);
	if (*c->pod_ns)
		pr_str(p, PR_JSON, "pod_namespace", NULL, c->pod_ns);
	if (c->ns >= 0 && (size_t)c->ns < t->nns)
		pr_uint(p, PR_JSON, "netns", NULL, t->ns[c->ns].ino);
}

/*
 * One change as a JSON line: time, op, type, the object's identity (from the new snapshot
 * when it is there, else from the old), what diff says of it, and for a field change the
 * field with its values before and after.
 */
static void json_change(struct pr *p, const struct change *x, const struct topo *a,
			const struct topo *b, const char *when)
{
	const struct topo *t = x->b >= 0 ? b : a;
	long i = x->b >= 0 ? x->b : x->a;

	pr_open_object(p, NULL);
	pr_str(p, PR_JSON, "time", NULL, when);
	pr_str(p, PR_JSON, "op", NULL, op_word(x->op));
	pr_str(p, PR_JSON, "type", NULL, x->kind);
	if (!strcmp(x->kind, "netns"))
		json_netns(p, t, i);
	else if (!strcmp(x->kind, "interface"))
		json_iface(p, t, i);
	else if (!strcmp(x->kind, "edge"))
		json_edge(p, t, i);
	else if (!strcmp(x->kind, "container"))
		json_container(p, t, i);
	pr_str(p, PR_JSON, "object", NULL, x->object);
	if (*x->detail)
		pr_str(p, PR_JSON, "detail", NULL, x->detail);
	if (x->field) {
		pr_str(p, PR_JSON, "field", NULL, x->field);
		pr_str(p, PR_JSON, "before", NULL, x->before);
		pr_str(p, PR_JSON, "after", NULL, x->after);
	}
	pr_close_object(p);
}

/*
 * The lines of one batch, made once in memory, each in both forms (text and JSON), so the
 * event rows hold exactly what is printed: into v[0..ch->n) (the caller frees each with
 * batch_release).
 */
static char *one_line(const struct change *x, const struct topo *a, const struct topo *b,
		      int json)
{
	struct pr p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die("out of memory");
	pr_init(&p, f, json);	/* a line each: no comma between */
	if (json)
		json_change(&p, x, a, b, b->started);
	else
		print_change(&p, x);
	if (fclose(f))
		die("out of memory");
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return buf;
}

/* The object of change x as it is after it (the scan JSON's), NULL when it is gone. */
static char *object_after(const struct change *x, const struct topo *b)
{
	struct pr p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (x->b < 0)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		die("out of memory");
	pr_init(&p, f, 1);
	pr_object_json(&p, b, x->kind, x->b);
	if (fclose(f))
		die("out of memory");
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return buf;
}

static struct event_line *batch_lines(const struct changes *ch, const struct topo *a,
				      const struct topo *b)
{
	struct event_line *v = xcalloc(ch->n + 1, sizeof(*v));

	for (size_t i = 0; i < ch->n; i++) {
		v[i].line = one_line(&ch->v[i], a, b, 0);
		v[i].json = one_line(&ch->v[i], a, b, 1);
		v[i].state = object_after(&ch->v[i], b);
	}
	return v;
}

static void batch_release(struct event_line *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].line);
		free(v[i].json);
		free(v[i].state);
	}
	free(v);
}

/*
 * While lines are written, SIGINT and SIGTERM are let in (else blocked, for the signalfd):
 * a reader that stopped reading must not keep a watch from ending, so the signal breaks a
 * write blocked on a full pipe (no SA_RESTART), and the watch ends as it would have.
 */
static volatile sig_atomic_t stop_while_writing;

static int print_lines(struct watch_run *r, const struct event_line *v, size_t n);

static void on_stop_while_writing(int sig)
{
	stop_while_writing = sig;
}

static void writing_begin(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_while_writing;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void writing_end(struct watch_run *r, const struct sigaction *old_int,
			const struct sigaction *old_term)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigaction(SIGINT, old_int, NULL);
	sigaction(SIGTERM, old_term, NULL);
	if (stop_while_writing && !r->ev.stop_signal)
		r->ev.stop_signal = stop_while_writing;
}

/* The lines of one batch, each flushed; -1 when standard output failed. */
static int print_batch(struct watch_run *r, const struct event_line *v, size_t n)
{
	struct sigaction old_int, old_term;
	int rc;

	writing_begin(&old_int, &old_term);
	rc = print_lines(r, v, n);
	writing_end(r, &old_int, &old_term);
	if (rc && r->ev.stop_signal) {	/* a signal broke a blocked write: not an error */
		__fpurge(r->out);	/* what the reader never took is dropped, not waited on */
		clearerr(r->out);
		rc = 0;
	}
	return rc;
}

/* The lines of one batch, each flushed; -1 when standard output failed (said). */
static int print_lines(struct watch_run *r, const struct event_line *v, size_t n)
{
	for (size_t i = 0; i < n && !r->done && !stop_while_writing; i++) {
		if (fprintf(r->out, "%s\n", r->ctx->json ? v[i].json : v[i].line) < 0 ||
		    fflush(r->out) || ferror(r->out)) {
			if (stop_while_writing)
				return -1;	/* not an error: print_batch() says so */
			return r->o->output ? error("watch: '%s':", r->o->output) :
			       error("watch: standard output:");
		}
		r->lines++;
		if (r->o->count && r->lines >= r->o->count)
			r->done = 1;
	}
	return 0;
}

/*
 * A step of compaction when one is due (db_compact: a few snapshots and events in one
 * short transaction); the next one sooner while there is more to do.  0, or -1.
 */
static int compact_step(struct watch_run *r, long long now)
{
	struct compact_result res;

	if (!r->ctx->db || now < r->next_compact)
		return 0;
	if (db_compact(r->ctx->db, &r->o->compact, (long long)time(NULL), &res))
		return -1;
	r->compacted += res.snapshots;
	r->events_gone += (unsigned long long)res.events;
	r->next_compact = now_ms() + (res.more ? WATCH_NET_MS : WATCH_COMPACT_MS);
	if (res.snapshots || res.events)
		verbose("watch: compacted: %zu snapshots, %lld events deleted", res.snapshots,
			res.events);
	return 0;
}

/* ---- --output FILE -------------------------------------------------------------------- */

/*
 * FILE opened for appending (O_APPEND, made 0600 when it is not there): a regular file of
 * ours with one link, never through a symbolic link; NULL with one line naming it.
 */
static FILE *output_open(const char *path)
{
	struct stat st = { 0 };
	FILE *f;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC |
		      O_NONBLOCK, 0600);

	if (fd < 0) {
		error(errno == ELOOP ? "watch: output '%s': is a symbolic link (not followed)" :
		      "watch: output '%s':", path);
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink > 1) {
		error("watch: output '%s': %s", path, !S_ISREG(st.st_mode) ? "not a regular file" :
		      st.st_uid != geteuid() ? "belongs to another user: not written to" :
		      "has more than one link: not written to");
		close(fd);
		return NULL;
	}
	if (fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) || !(f = fdopen(fd, "a"))) {
		error("watch: output '%s':", path);
		close(fd);
		return NULL;
	}
	return f;
}

/* The lines' file ends: flushed and closed; -1 when a line could not be written. */
static int output_close(const char *path, FILE *f)
{
	int bad = ferror(f) | fflush(f);

	if (fclose(f) || bad)
		return error("watch: output '%s':", path);
	return 0;
}

/* SIGHUP: FILE opened again (a new one where logrotate moved it); else the old one kept. */
static void output_reopen(struct watch_run *r)
{
	FILE *f;

	r->ev.hup = 0;
	if (!r->o->output) {
		verbose("watch: SIGHUP: no --output file to open again");
		return;
	}
	f = output_open(r->o->output);
	if (!f) {
		warnx("watch: SIGHUP: the lines go on to the file opened before");
		return;
	}
	output_close(r->o->output, r->out);
	r->out = f;
	verbose("watch: SIGHUP: output '%s' opened again", r->o->output);
}

/* What the event sources beside netlink and the proc connector brought (-v). */
static void say_sources(const struct watch_run *r)
{
	verbose("watch: %llu Docker events (%llu connections), %llu engine directory events",
		r->ev.docker_events, r->ev.docker_connects, r->ev.dir_events);
}

/*
 * After a batch, the memory its two snapshots and their diff took goes back to the system
 * (glibc keeps freed pages otherwise, and a watch's RSS would stay at the high-water mark
 * of its biggest batch; heaptrack saw no leak, only that).
 */
static void give_back_memory(void)
{
	malloc_trim(0);
}

/* ---- scans ---------------------------------------------------------------------------- */

/* Scan into t (initialised), then follow its namespaces; -1 when the scan failed. */
static int scan_follow(struct watch_run *r, struct topo *t)
{
	struct scan_ctx c;

	if (scan_run(t, &c, 1, 1))
		return -1;
	watch_ev_follow(&r->ev, &c);
	scan_ctx_release(&c);
	r->rescans++;
	return 0;
}

/*
 * Scan again and print what changed since r->cur, storing the new state first when it
 * changed (the changes then into *keep, when given).  An incomplete scan is not compared
 * (what it lacks is not gone): *retry = 1, to try again later.  Returns the number of
 * changes (>= 0), or -1 on an error.
 */
static long rescan(struct watch_run *r, int *retry, struct changes *keep)
{
	struct changes ch = { 0 };
	struct event_line *lines = NULL;
	size_t nlines = 0;
	struct topo t;
	long n = -1;

	*retry = 0;
	r->late = r->torn = 0;
	topo_init(&t);
	for (int tries = 0;; tries++) {
		int got;

		if (scan_follow(r, &t))
			goto out;
		got = watch_ev_wait(&r->ev, 0);	/* what came while it ran */
		r->late = !!(got & (WEV_NET | WEV_PROC));
		if (!(got & WEV_NET) || (got & WEV_STOP) || tries == WATCH_TORN_TRIES)
			break;
		/* a change while the namespaces were dumped one by one: the scan may hold
		   both sides of it (an interface moved: in both namespaces), so again */
		r->torn++;
		r->torn_all++;
		topo_release(&t);
		topo_init(&t);
	}
	if (topo_incomplete(&t)) {
		*retry = 1;
		n = 0;
		goto out;
	}
	diff_topos(&r->cur, &t, &ch);
	lines = batch_lines(&ch, &r->cur, &t);
	nlines = ch.n;
	if (ch.n && r->ctx->db && db_store_events(r->ctx->db, &t, lines, ch.n) < 0)
		goto out;
	if (print_batch(r, lines, ch.n))
		goto out;
	n = (long)ch.n;
	r->batches += ch.n > 0;
	topo_release(&r->cur);
	r->cur = t;
	topo_init(&t);
	if (keep) {
		*keep = ch;
		memset(&ch, 0, sizeof(ch));
	}
out:
	batch_release(lines, nlines);
	changes_release(&ch);
	topo_release(&t);
	if (n > 0)
		give_back_memory();
	return n;
}

/*
 * The reconciling rescan: the changes of events still pending are taken first, then the
 * host is scanned again; what that finds, no event told of (a correction, named at -v)
 * unless events came while it ran (then it is not counted, and they are looked at as
 * usual).  0, or -1 on an error; *due is the next event-driven rescan, -1 none.
 */
static int reconcile_now(struct watch_run *r, long long *due)
{
	struct changes ch = { 0 };
	int retry = 0;
	long n;

	if (*due >= 0 && rescan(r, &retry, NULL) < 0)
		return -1;
	if (r->ev.stop_signal)
		return 0;
	*due = -1;
	n = retry ? 0 : rescan(r, &retry, &ch);
	if (n < 0)
		return -1;
	if (r->ev.stop_signal) {
		changes_release(&ch);
		return 0;
	}
	if (r->late || r->torn) {
		*due = r->late ? now_ms() + WATCH_NET_MS : -1;
		verbose("watch: reconciling rescan: events came while it ran: not counted");
	} else if (retry) {
		*due = now_ms() + WATCH_RETRY_MS;
	} else {
		r->corrections += (unsigned long long)n;
		for (size_t i = 0; i < ch.n && verbosity; i++) {
			struct pr e;	/* the line as diff writes it (names escaped), to stderr */

			pr_init(&e, stderr, 0);
			fputs("vethmap: watch: correction: ", stderr);
			print_change(&e, &ch.v[i]);
		}
		verbose("watch: reconciling rescan: %ld corrections (%llu in all)", n,
			r->corrections);
	}
	changes_release(&ch);
	return 0;
}

static int watch(struct cmd_ctx *ctx)
{
	const struct watch_opts *o = ctx->opts;
	struct watch_run r = { .ctx = ctx, .o = o };
	long long now, end = -1, next_reconcile, due = -1;
	int rc = 1;

	r.out = o->output ? output_open(o->output) : stdout;
	if (!r.out)
		return 1;
	if (watch_ev_open(&r.ev)) {
		if (o->output)
			fclose(r.out);
		return 1;
	}
	topo_init(&r.cur);
	pr_init(&r.p, r.out, ctx->json);
	if (scan_follow(&r, &r.cur))
		goto out;
	if (ctx->db && db_store(ctx->db, &r.cur) < 0)
		goto out;
	verbose("watch: following %zu namespaces%s", r.ev.nnl,
		r.ev.proc < 0 ? " (no process events)" : "");
	now = now_ms();
	if (o->duration_s > 0)
		end = now + (long long)(o->duration_s * 1000);
	next_reconcile = now + (long long)(o->interval_s * 1000);
	while (!r.done) {
		long long wake = next_reconcile, t0;
		int got, retry, reconcile;
		long n;

		if (due >= 0 && due < wake)
			wake = due;
		if (end >= 0 && end < wake)
			wake = end;
		if (ctx->db && r.next_compact < wake)
			wake = r.next_compact;
		got = watch_ev_wait(&r.ev, wake > now ? (int)(wake - now) : 0);
		now = now_ms();
		if (got & WEV_STOP)
			break;
		if (r.ev.hup)
			output_reopen(&r);
		if ((got & WEV_NET) && due < 0)
			due = now + WATCH_NET_MS;
		if ((got & WEV_PROC) && due < 0)
			due = now + WATCH_PROC_MS;
		if (end >= 0 && now >= end)
			break;
		if (compact_step(&r, now))
			goto out;
		if (due >= 0 && due < r.quiet_until)
			due = r.quiet_until;
		reconcile = now >= next_reconcile;
		if (!reconcile && (due < 0 || now < due))
			continue;
		if (reconcile) {
			if (reconcile_now(&r, &due))
				goto out;
			if (r.ev.stop_signal)
				break;
			next_reconcile = now_ms() + (long long)(o->interval_s * 1000);
			now = now_ms();
			continue;
		}
		t0 = now_ms();
		n = rescan(&r, &retry, NULL);
		if (n < 0)
			goto out;
		if (r.ev.stop_signal)
			break;
		now = now_ms();
		r.quiet_until = now + (now - t0);	/* rescanning at most half the time */
		due = r.late ? now + WATCH_NET_MS : retry ? now + WATCH_RETRY_MS : -1;
	}
	if (r.ev.stop_signal)
		verbose("watch: %s", strsignal(r.ev.stop_signal));
	rc = finish_stdout() ? 1 : 0;
	if (o->output) {
		rc |= output_close(o->output, r.out) ? 1 : 0;
		r.out = NULL;
	}
	say_sources(&r);
	verbose("watch: %llu lines in %llu batches, %llu scans (%llu taken again), "
		"%llu corrections, %llu netlink messages, %llu process events, %llu overruns, "
		"%llu snapshots and %llu events compacted away", r.lines, r.batches, r.rescans,
		r.torn_all, r.corrections, r.ev.events, r.ev.proc_events, r.ev.overruns,
		r.compacted, r.events_gone);
out:
	if (o->output && r.out)
		fclose(r.out);
	topo_release(&r.cur);
	watch_ev_close(&r.ev);
	return rc;
}

const struct cmd_def watch_def = {
	.run = watch, .init = watch_init, .parse = watch_parse,
	.size = sizeof(struct watch_opts),
	.options = (const struct cmd_opt[]){
		{ "no-store", 0, 'n', NULL, "print the changes, store nothing" },
		{ "interval", 0, 'i', "DURATION", "a reconciling rescan every DURATION (default 60s)" },
		{ "keep", 0, 'K', "DURATION",
		  "delete history older than DURATION (default 7d, 0: none)" },
		{ "thin", 0, 'T', "DURATION",
		  "older batch snapshots: one per DURATION (default 10m)" },
		{ "output", 'o', 0, "FILE", "append the lines to FILE (0600; opened again on SIGHUP)" },
		{ NULL, 'c', 0, "COUNT", "stop after COUNT change lines" },
		{ NULL, 'd', 0, "DURATION", "stop after DURATION" },
		{ 0 }
	},
};
