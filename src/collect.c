/*
 * collect.c implements the transport half of 'vethmap collect': run one fixed command per
 * host (ssh HOST vethmap scan ..., kubectl exec POD -- vethmap scan ...) all at once, each
 * under its own deadline and output bound, and keep what each one printed.
 *
 * Every command is an argv, run with fork() and execvp(), never through a shell; its
 * standard input is /dev/null, its standard error is kept (the last line says why it
 * failed), and it runs in a process group of its own that is killed (SIGKILL) at its
 * deadline, or when we die (PR_SET_PDEATHSIG).  What it prints goes straight into a new
 * file beside its target (outfile.c) or into memory; a file is renamed into place only
 * once the whole of it parses as a scan (collect_check_scan), else it is removed.  At most
 * COLLECT_PARALLEL commands run at a time: a host's deadline starts when its command does.
 *
 * Each job's outcome is in the job (ok, why); nothing is printed here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "collect.h"

#define ERR_TAIL 512		/* bytes of a command's standard error kept */

struct running {
	struct cjob *job;
	pid_t pid;
	int pidfd;		/* -1: none (old kernel): polled with WNOHANG */
	int out, err;		/* pipe ends, -1 once at EOF */
	struct outfile of;	/* file jobs */
	size_t alloc;		/* memory jobs */
	char tail[ERR_TAIL];
	size_t ntail;
	long long start_ms, end_ms;
	int killed;		/* 1: deadline, 2: output bound */
	int status;		/* from waitpid, valid once exited */
	int exited;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Whether doc[0..len) is the JSON of one scan: an object with "scan" an object and
 * "netns", "interfaces" and "edges" arrays.  0 and *host (the host name it reports: the
 * "host" object's "name", else "scan"."host"), *incomplete; or -1 with *why set.
 */
int collect_check_scan(sqlite3 *jdb, const char *doc, size_t len, char *host, size_t hsize,
		       int *incomplete, const char **why)
{
	static const char sql[] =
		"SELECT json_type(?1, '$.scan') = 'object' AND json_type(?1, '$.netns') = 'array'"
		" AND json_type(?1, '$.interfaces') = 'array' AND json_type(?1, '$.edges') = 'array',"
		" coalesce(json_extract(?1, '$.host.name'), json_extract(?1, '$.scan.host')),"
		" json_extract(?1, '$.scan.incomplete')"
		" WHERE json_valid(?1) AND json_type(?1) = 'object'";
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*host = '\0';
	*incomplete = 0;
	*why = "not JSON";
	if (!len) {
		*why = "no output";
		return -1;
	}
	if (memchr(doc, '\0', len) || len > INT_MAX)
		return -1;
	if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, doc, (int)len, SQLITE_STATIC) != SQLITE_OK) {
		*why = "cannot check its JSON (SQLite)";
		sqlite3_finalize(st);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 1);

		if (!sqlite3_column_int(st, 0)) {
			*why = "JSON, but not a vethmap scan";
		} else {
			copy_str(host, hsize, h ? (const char *)h : "");
			*incomplete = sqlite3_column_int(st, 2);
			rc = 0;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The child: its own process group, dies with us, fds 0/1/2 set, nothing else open. */
static void child_exec(char **argv, int out, int err, pid_t parent)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execvp(argv[0], argv);
	dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void fail(struct cjob *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct cjob *j, const char *fmt, ...)
{
	va_list ap;

	j->ok = 0;
	va_start(ap, fmt);
	vsnprintf(j->why, sizeof(j->why), fmt, ap);
	va_end(ap);
}

/* Start job j into r; 0, or -1 with j->why said (the job is then done). */
static int start(struct running *r, struct cjob *j)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };

	memset(r, 0, sizeof(*r));
	r->job = j;
	r->pidfd = r->out = r->err = -1;
	r->of.fd = -1;
	j->ok = 0;
	if (j->path) {
		struct stat st;
		const char *why;
		int have = !lstat(j->path, &st);

		/* outfile_open would say why on stderr: the job's one line is ours, so look first */
		if (!have && errno != ENOENT) {
			fail(j, "its file: %s", strerror(errno));
			return -1;
		}
		if (outfile_decide(have ? &st : NULL, geteuid(), getuid(), &why) != OUT_NEW &&
		    outfile_decide(have ? &st : NULL, geteuid(), getuid(), &why) != OUT_REPLACE) {
			fail(j, "its file %s", why ? why : "is not a regular file");
			return -1;
		}
		if (outfile_open(&r->of, j->path)) {
			fail(j, "%s", "cannot write its file");
			return -1;
		}
	}
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		fail(j, "pipe: %s", strerror(errno));
		goto err;
	}
	r->start_ms = now_ms();
	r->pid = fork();
	if (r->pid < 0) {
		fail(j, "fork: %s", strerror(errno));
		goto err;
	}
	if (!r->pid)
		child_exec(j->argv, po[1], pe[1], getppid());
	setpgid(r->pid, r->pid);	/* either of us may be first */
	close(po[1]);
	close(pe[1]);
	r->out = po[0];
	r->err = pe[0];
	fcntl(r->out, F_SETFL, O_NONBLOCK);
	fcntl(r->err, F_SETFL, O_NONBLOCK);
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	return 0;
err:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	if (j->path)
		outfile_abort(&r->of);
	return -1;
}

/* Kill r's process group (what is left of it: its pipes may be all that is). */
static void stop(struct running *r, int why)
{
	if (r->killed)
		return;
	r->killed = why;
	kill(-r->pid, SIGKILL);
	if (!r->exited)
		kill(r->pid, SIGKILL);
}

/* One read of fd, EINTR retried: the bytes read, 0 when none are there now, -1 at EOF or
 * on an error. */
static ssize_t read_now(int fd, char *buf, size_t size)
{
	for (;;) {
		ssize_t got = read(fd, buf, size);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return 0;
		return got > 0 ? got : -1;
	}
}

/* Read what is there on r's stdout; 0, or -1 at EOF or on an error. */
static int drain_out(struct running *r, size_t max)
{
	struct cjob *j = r->job;
	char buf[65536];
	ssize_t got;

	while ((got = read_now(r->out, buf, sizeof(buf))) > 0) {
		if (j->bytes + (size_t)got > max) {
			stop(r, 2);
			return -1;
		}
		if (j->path) {
			if (outfile_write(&r->of, buf, (size_t)got)) {
				fail(j, "cannot write its file: %s", strerror(errno));
				stop(r, 3);
				return -1;
			}
		} else {
			j->buf = grow(j->buf, &r->alloc, j->bytes + (size_t)got + 1, 1);
			memcpy(j->buf + j->bytes, buf, (size_t)got);
			j->buf[j->bytes + (size_t)got] = '\0';
		}
		j->bytes += (size_t)got;
	}
	return got < 0 ? -1 : 0;
}

/* Keep the last ERR_TAIL bytes of r's stderr; 0, or -1 at EOF. */
static int drain_err(struct running *r)
{
	char buf[4096];
	ssize_t got;

	while ((got = read_now(r->err, buf, sizeof(buf))) > 0) {
		size_t n = (size_t)got < sizeof(r->tail) ? (size_t)got : sizeof(r->tail);
		size_t keep = sizeof(r->tail) - n < r->ntail ? sizeof(r->tail) - n : r->ntail;

		memmove(r->tail, r->tail + r->ntail - keep, keep);
		memcpy(r->tail + keep, buf + (size_t)got - n, n);
		r->ntail = keep + n;
	}
	return got < 0 ? -1 : 0;
}

/* The last non-empty line of what r wrote on stderr, escaped, into buf. */
static const char *err_line(struct running *r, char *buf, size_t size)
{
	char line[ERR_TAIL + 1];
	size_t end = r->ntail, b;

	while (end && (r->tail[end - 1] == '\n' || r->tail[end - 1] == '\r'))
		end--;
	for (b = end; b && r->tail[b - 1] != '\n'; b--)
		;
	memcpy(line, r->tail + b, end - b);
	line[end - b] = '\0';
	return text_esc(buf, size, line);
}

/* r is over (exited, pipes at EOF): the job's outcome; the file kept only when good. */
static void finish(struct running *r, sqlite3 *jdb, double deadline_s, size_t max)
{
	struct cjob *j = r->job;
	char line[256];
	const char *why = NULL;
	int code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;

	j->ms = (double)(r->end_ms - r->start_ms);
	if (r->out >= 0)
		close(r->out);
	if (r->err >= 0)
		close(r->err);
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->killed == 1) {
		snprintf(j->why, sizeof(j->why), "timed out after %g s (killed)", deadline_s);
	} else if (r->killed == 2) {
		snprintf(j->why, sizeof(j->why), "output beyond %zu MiB (killed)", max >> 20);
	} else if (r->killed == 3) {
		;	/* said */
	} else if (WIFSIGNALED(r->status)) {
		snprintf(j->why, sizeof(j->why), "killed by signal %d", WTERMSIG(r->status));
	} else if (code != 0 && code != 1) {
		snprintf(j->why, sizeof(j->why), "exit status %d%s%s", code,
			 r->ntail ? ": " : "", r->ntail ? err_line(r, line, sizeof(line)) : "");
	} else if (!j->check_scan) {
		j->ok = code == 0;
		if (!j->ok)
			snprintf(j->why, sizeof(j->why), "exit status 1%s%s", r->ntail ? ": " : "",
				 r->ntail ? err_line(r, line, sizeof(line)) : "");
	} else {
		const char *doc = j->buf;
		void *map = NULL;
		int bad = 0;

		if (j->path && j->bytes) {
			map = mmap(NULL, j->bytes, PROT_READ, MAP_PRIVATE, r->of.fd, 0);
			doc = map == MAP_FAILED ? NULL : map;
		}
		if (j->bytes && !doc)
			snprintf(j->why, sizeof(j->why), "cannot read back its output: %s",
				 strerror(errno));
		else if ((bad = collect_check_scan(jdb, doc, j->bytes, j->host, sizeof(j->host),
						   &j->incomplete, &why)) && code && r->ntail)
			snprintf(j->why, sizeof(j->why), "exit status 1: %s", err_line(r, line,
				 sizeof(line)));
		else if (bad)
			snprintf(j->why, sizeof(j->why), "%s%s", why, code ? " (exit status 1)" : "");
		else if (code && !j->incomplete)	/* exit 1 is an incomplete scan's only */
			snprintf(j->why, sizeof(j->why), "exit status 1%s%s", r->ntail ? ": " : "",
				 r->ntail ? err_line(r, line, sizeof(line)) : "");
		else
			j->ok = 1;
		if (map && map != MAP_FAILED)
			munmap(map, j->bytes);
		if (j->ok && j->path && outfile_commit(&r->of)) {
			j->ok = 0;
			snprintf(j->why, sizeof(j->why), "cannot write its file");
		}
		if (j->ok && j->path)
			j->path_written = 1;
	}
	if (j->path && !j->path_written)
		outfile_abort(&r->of);
	if (r->killed == 3 && !*j->why)
		snprintf(j->why, sizeof(j->why), "cannot write its file");
}

/* Wait for r's process when it has gone; 1 once it has. */
static int reap(struct running *r, int block)
{
	if (r->exited)
		return 1;
	for (;;) {
		pid_t got = waitpid(r->pid, &r->status, block ? 0 : WNOHANG);

		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0)
			return 0;
		r->exited = 1;
		r->end_ms = now_ms();
		return 1;
	}
}

/*
 * Run every job (at most COLLECT_PARALLEL at a time), each for deadline_s at most and
 * max bytes of output at most; the outcome of each is in its job.  Returns how many
 * succeeded.
 */
size_t collect_run(struct cjob *v, size_t n, double deadline_s, size_t max)
{
	struct running run[COLLECT_PARALLEL];
	struct pollfd pf[COLLECT_PARALLEL * 3];
	size_t next = 0, nrun = 0, good = 0;
	long long limit = (long long)(deadline_s * 1000);
	sqlite3 *jdb = NULL;

	if (sqlite3_open_v2(":memory:", &jdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(jdb);
		jdb = NULL;
	}
	while (next < n || nrun) {
		long long now = now_ms(), wait = -1;
		size_t np = 0;

		while (nrun < COLLECT_PARALLEL && next < n) {
			struct cjob *j = &v[next++];

			if (j->ok < 0)
				continue;	/* refused before it ran: why already set */
			if (!start(&run[nrun], j))
				nrun++;
		}
		for (size_t i = 0; i < nrun; i++) {
			struct running *r = &run[i];
			long long left = r->start_ms + limit - now;

			if (left <= 0)
				stop(r, 1);
			if (r->out >= 0)
				pf[np++] = (struct pollfd){ .fd = r->out, .events = POLLIN };
			if (r->err >= 0)
				pf[np++] = (struct pollfd){ .fd = r->err, .events = POLLIN };
			if (r->pidfd >= 0 && !r->exited)
				pf[np++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
			if (r->pidfd < 0 && !r->exited)
				left = left < 50 ? left : 50;
			if (!r->killed && (wait < 0 || left < wait))
				wait = left < 0 ? 0 : left;
			if (r->killed)	/* killed: wait for it below */
				wait = wait < 0 || wait > 50 ? 50 : wait;
		}
		if (np && poll(pf, (nfds_t)np, (int)(wait < 0 ? 1000 : wait)) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < nrun;) {
			struct running *r = &run[i];

			if (r->out >= 0 && drain_out(r, max)) {
				close(r->out);
				r->out = -1;
			}
			if (r->err >= 0 && drain_err(r)) {
				close(r->err);
				r->err = -1;
			}
			/* killed: its pipes may be held by a grandchild that was not (setsid) */
			if (r->killed && reap(r, 1)) {
				if (r->out >= 0)
					drain_out(r, max);
				if (r->err >= 0)
					drain_err(r);
			}
			if (!reap(r, 0) || (!r->killed && (r->out >= 0 || r->err >= 0))) {
				i++;
				continue;
			}
			finish(r, jdb, deadline_s, max);
			if (r->job->ok)
				good++;
			run[i] = run[--nrun];
		}
	}
	sqlite3_close(jdb);
	return good;
}

/*
 * The file name of a host's scan: label with every byte outside [A-Za-z0-9_.@:+-], and a
 * leading '.', as %XX, then ".json"; so no label makes a path, a hidden file or "..", and
 * two labels never share a file.  0, or -1 when it does not fit in size.
 */
int collect_file_name(char *buf, size_t size, const char *label)
{
	static const char keep[] = "_.@:+-";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || (strchr(keep, *p) && !(*p == '.' && p ==
			    (const unsigned char *)label));

		if (n + 4 >= size)
			return -1;
		if (plain)
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, size - n, "%%%02X", *p);
	}
	if (!n || n + sizeof(".json") > size)
		return -1;
	memcpy(buf + n, ".json", sizeof(".json"));
	return 0;
}

/* A Kubernetes object name (RFC 1123 subdomain): lower-case alphanumerics, '-', '.'. */
static int kube_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.'))
			return 0;
	return 1;
}

/*
 * The pods of a `kubectl get pods -o json` document (a v1 List, "items" an array of Pods):
 * each one's metadata.name, spec.nodeName, status.phase; usable when it is Running, not
 * being deleted, on a node, and both names are Kubernetes names (else why says what it
 * is not).  At most COLLECT_HOSTS_MAX pods.  Returns the count into *v (free() it), or -1
 * with *err set when the document is not such a list.
 */
long kube_pods_parse(sqlite3 *jdb, const char *doc, size_t len, struct kpod **v,
		     const char **err)
{
	static const char sql[] =
		"SELECT json_extract(value, '$.metadata.name'), json_extract(value, '$.spec.nodeName'),"
		" json_extract(value, '$.status.phase'),"
		" json_type(value, '$.metadata.deletionTimestamp') IS NOT NULL,"
		" json_type(value, '$.metadata.name') = 'text'"
		" FROM json_each(?1, '$.items')"
		" WHERE json_valid(?1) AND json_type(?1, '$.items') = 'array'";
	sqlite3_stmt *st = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*v = NULL;
	*err = "not JSON";
	if (!len || memchr(doc, '\0', len) || len > INT_MAX)
		return -1;
	if (sqlite3_prepare_v2(jdb, "SELECT json_valid(?1) AND json_type(?1, '$.items') = 'array'",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, doc, (int)len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0)) {
		*err = "not a Kubernetes list (JSON with \"items\")";
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, doc, (int)len, SQLITE_STATIC) != SQLITE_OK) {
		*err = "cannot read its JSON (SQLite)";
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *node = (const char *)sqlite3_column_text(st, 1);
		const char *phase = (const char *)sqlite3_column_text(st, 2);
		struct kpod *p;

		if (n == COLLECT_HOSTS_MAX) {
			*err = "more than " STR(COLLECT_HOSTS_MAX) " pods";
			free(*v);
			*v = NULL;
			sqlite3_finalize(st);
			return -1;
		}
		*v = grow(*v, &alloc, n + 1, sizeof(**v));
		p = &(*v)[n++];
		memset(p, 0, sizeof(*p));
		copy_str(p->name, sizeof(p->name), name && sqlite3_column_int(st, 4) ? name : "");
		copy_str(p->node, sizeof(p->node), node ? node : "");
		copy_str(p->phase, sizeof(p->phase), phase ? phase : "");
		if (!kube_name(p->name) || (name && strlen(name) >= sizeof(p->name)))
			p->why = "its name is not a Kubernetes name";
		else if (!*p->node)
			p->why = "not on a node (not scheduled)";
		else if (!kube_name(p->node) || strlen(node) >= sizeof(p->node))
			p->why = "its node's name is not a Kubernetes name";
		else if (sqlite3_column_int(st, 3))
			p->why = "being deleted";
		else if (strcmp(p->phase, "Running"))
			p->why = "not running";
		else
			p->usable = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*err = "cannot read its JSON (SQLite)";
		free(*v);
		*v = NULL;
		return -1;
	}
	return (long)n;
}
