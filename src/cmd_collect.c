/*
 * cmd_collect.c implements 'vethmap collect': run 'vethmap scan --json --no-store' on many
 * hosts at once through a transport people already run, keep each host's scan as
 * DIR/HOST.json and, with -o DB, merge them ('vethmap merge', run as our own binary).
 *
 *   --ssh HOST...   ssh -o BatchMode=yes -o ConnectTimeout=S [-F FILE] -T -- HOST
 *                   vethmap scan --json --no-store  (the user's ssh config, keys and
 *                   known_hosts; the remote command is fixed: nothing of ours is quoted)
 *   --kubectl       kubectl get pods (the DaemonSet's, -n/-l), then per pod
 *                   kubectl exec POD -- vethmap scan --json --no-store; HOST: its node
 *
 * A host that fails (exit status, deadline, output bound, JSON that is not a scan) costs
 * one line on stderr naming it and why; the others are kept.  Exit status: 0 every host
 * collected; 3 some failed, the others kept (and merged); 1 none collected, or an error
 * of ours (directory, merge); 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "collect.h"

#define KUBE_LIST_MAX ((size_t)64 << 20)	/* kubectl get pods -o json, at most */

struct collect_opts {
	int ssh, kubectl;
	const char *ns, *selector, *context, *dir, *out, *ssh_config;
	double deadline;
};

static const char *const remote_cmd[] = { "vethmap", "scan", "--json", "--no-store" };
#define REMOTE_N (sizeof(remote_cmd) / sizeof(remote_cmd[0]))

static void collect_init(struct cmd_ctx *ctx)
{
	struct collect_opts *o = ctx->opts;

	o->deadline = COLLECT_DEADLINE_S;
}

static int collect_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct collect_opts *o = ctx->opts;

	switch (c) {
	case 'S': o->ssh = 1; break;
	case 'K': o->kubectl = 1; break;
	case 'n': o->ns = arg; break;
	case 'l': o->selector = arg; break;
	case 'X': o->context = arg; break;
	case 'D': o->dir = arg; break;
	case 'o': o->out = arg; break;
	case 'F': o->ssh_config = arg; break;
	case 'd':
		o->deadline = parse_duration(arg);
		if (!(o->deadline >= 0.1 && o->deadline <= 3600)) {
			error("collect: invalid --deadline '%s' (like 30s or 2m; 0.1s to 1h)", arg);
			return 2;
		}
		break;
	}
	return 0;
}

/* A HOST operand ssh takes as its destination, and nothing else: 0, or 2 after one line. */
static int check_host(const char *h)
{
	char esc[300];

	if (!*h) {
		error("collect: an empty HOST");
		return 2;
	}
	if (*h == '-') {
		error("collect: refusing HOST '%s': it starts with '-' (ssh would take it as an "
		      "option)", text_esc(esc, sizeof(esc), h));
		return 2;
	}
	for (const unsigned char *p = (const unsigned char *)h; *p; p++)
		if (*p <= ' ' || *p == 0x7f) {
			error("collect: refusing HOST '%s': a space or control character", text_esc(esc,
			      sizeof(esc), h));
			return 2;
		}
	return 0;
}

static int collect_check(struct cmd_ctx *ctx)
{
	struct collect_opts *o = ctx->opts;
	const char *what = NULL;

	if (o->ssh == o->kubectl) {
		error("collect: give either --ssh HOST... or --kubectl");
		usage_cmd(stderr, "collect");
		return 2;
	}
	if (o->ssh && (o->ns || o->selector || o->context))
		what = "-n, -l and --context go with --kubectl";
	else if (o->kubectl && o->ssh_config)
		what = "--ssh-config goes with --ssh";
	else if (o->ssh && !ctx->argc)
		what = "--ssh needs at least one HOST";
	else if (!o->dir && !o->out)
		what = "give --dir DIR (where each host's scan goes) or -o DB, or both";
	else if (ctx->argc > COLLECT_HOSTS_MAX)
		what = "more than " STR(COLLECT_HOSTS_MAX) " hosts";
	if (what) {
		error("collect: %s", what);
		return 2;
	}
	if (o->kubectl && ctx->argc)
		return arg_error("collect", ctx->argv[0]);
	for (int i = 0; i < ctx->argc; i++) {
		if (check_host(ctx->argv[i]))
			return 2;
		for (int k = 0; k < i; k++)
			if (!strcmp(ctx->argv[i], ctx->argv[k])) {
				char esc[300];

				error("collect: HOST '%s' given twice", text_esc(esc, sizeof(esc),
				      ctx->argv[i]));
				return 2;
			}
	}
	return 0;
}

/* DIR exists (made 0700 if not), is a directory of ours or root's that others may not
 * write (unless root's and sticky); 0, or -1 after one line. */
static int prepare_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return error("collect: cannot make directory '%s':", dir);
	if (lstat(dir, &st))
		return error("collect: directory '%s':", dir);
	if (!S_ISDIR(st.st_mode))
		return error("collect: '%s' is not a directory (a symbolic link is not followed)",
			     dir);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return error("collect: directory '%s' belongs to uid %u", dir, (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_uid == 0 && (st.st_mode & S_ISVTX)))
		return error("collect: directory '%s' is writable by group or others (mode %04o)",
			     dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* argv of `PROG PRE... REMOTE...` (NULL-ended, one allocation of pointers). */
static char **make_argv(const char *const *pre, size_t npre)
{
	char **v = xcalloc(npre + REMOTE_N + 1, sizeof(*v));

	for (size_t i = 0; i < npre; i++)
		v[i] = (char *)(uintptr_t)pre[i];
	for (size_t i = 0; i < REMOTE_N; i++)
		v[npre + i] = (char *)(uintptr_t)remote_cmd[i];
	return v;
}

/* Where job j's file goes: DIR/NAME.json, or a refusal in the job. */
static void place(struct cjob *j, const char *dir, char **path)
{
	char name[NAME_MAX + 1];

	*path = NULL;
	if (collect_file_name(name, sizeof(name), j->label)) {
		j->ok = -1;
		snprintf(j->why, sizeof(j->why), "its name is too long for a file name");
		return;
	}
	if (asprintf(path, "%s/%s", dir, name) < 0)
		die("out of memory");
	j->path = *path;
}

/* Run kubectl get pods; the pods into *pods, their count, or -1 after one line. */
static long list_pods(const struct collect_opts *o, const char *ctxopt, const char *nsopt,
		      const char *selopt, struct kpod **pods)
{
	const char *argv[] = { "kubectl", "get", "pods", nsopt, selopt, "-o", "json", NULL, NULL };
	struct cjob j = { .label = "kubectl get pods" };
	sqlite3 *jdb = NULL;
	const char *err;
	long n = -1;

	if (ctxopt) {	/* kubectl --context=CTX get pods ... */
		memmove(argv + 2, argv + 1, 7 * sizeof(*argv));
		argv[1] = ctxopt;
	}
	j.argv = (char **)(uintptr_t)argv;
	collect_run(&j, 1, o->deadline, KUBE_LIST_MAX);
	if (!j.ok) {
		error("collect: kubectl get pods: %s", j.why);
		goto out;
	}
	if (sqlite3_open_v2(":memory:", &jdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		error("collect: cannot open an in-memory SQLite for JSON");
		goto out;
	}
	n = kube_pods_parse(jdb, j.buf, j.bytes, pods, &err);
	if (n < 0)
		error("collect: kubectl get pods: %s", err);
	else if (!n)
		error("collect: kubectl get pods: no pod (namespace %s, selector %s)", nsopt + 12,
		      selopt + 11);
	if (!n)
		n = -1;
out:
	sqlite3_close(jdb);
	free(j.buf);
	return n;
}

/* vethmap merge -o DB -- FILE... as our own binary (no shell): 0, or 1 (it said why). */
static int run_merge(const char *db, struct cjob *v, size_t n)
{
	char **argv = xcalloc(n + 6, sizeof(*argv));
	size_t k = 0;
	int status, rc = 1;
	pid_t pid;

	argv[k++] = (char *)(uintptr_t)"vethmap";
	argv[k++] = (char *)(uintptr_t)"merge";
	argv[k++] = (char *)(uintptr_t)"-o";
	argv[k++] = (char *)(uintptr_t)db;
	argv[k++] = (char *)(uintptr_t)"--";
	for (size_t i = 0; i < n; i++)
		if (v[i].ok > 0)
			argv[k++] = (char *)(uintptr_t)v[i].path;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		error("collect: fork:");
	} else if (!pid) {
		execv("/proc/self/exe", argv);
		error("collect: cannot run 'vethmap merge':");
		_exit(127);
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			rc = 0;
		else
			error("collect: 'vethmap merge -o %s' failed: the scans are not merged", db);
	}
	free(argv);
	return rc;
}

static void print_results(struct pr *p, const struct cjob *v, size_t n, int keep,
			  const char *db, int merged)
{
	pr_text(p, "%-24s %-9s %8s %10s  %-20s %s\n", "HOST", "STATUS", "SECONDS", "BYTES",
		"SCANNED-AS", keep ? "FILE" : "");
	pr_open_object(p, NULL);
	pr_open_array(p, "hosts", 1);
	for (size_t i = 0; i < n; i++) {
		const struct cjob *j = &v[i];

		pr_open_object(p, NULL);
		pr_str(p, PR_ANY, "host", "%-24s ", j->label);
		pr_bool(p, PR_JSON, "ok", NULL, j->ok > 0);
		pr_str(p, PR_TEXT, NULL, "%-9s ", j->ok > 0 ? (j->incomplete ? "incomplete" :
		       "ok") : "failed");
		pr_double(p, PR_ANY, "seconds", "%8.2f ", j->ms / 1000);
		pr_uint(p, PR_ANY, "bytes", "%10s  ", j->bytes);
		if (j->ok > 0) {
			pr_str(p, PR_ANY, "scanned_as", "%-20s", j->host);
			pr_bool(p, PR_JSON, "incomplete", NULL, j->incomplete);
			if (keep)
				pr_str(p, PR_ANY, "file", " %s", j->path);
			else
				pr_null(p, PR_JSON, "file", NULL);
			pr_null(p, PR_JSON, "error", NULL);
		} else {
			pr_str(p, PR_ANY, "error", "%s", j->why);
		}
		pr_close_object(p);
		pr_text(p, "\n");
	}
	pr_close_array(p);
	if (db && merged)
		pr_str(p, PR_JSON, "merged_into", NULL, db);
	else
		pr_null(p, PR_JSON, "merged_into", NULL);
	pr_close_object(p);
}

static int collect(struct cmd_ctx *ctx)
{
	struct collect_opts *o = ctx->opts;
	char tmpdir[PATH_MAX] = "", tmo[48], ctxopt[300], nsopt[300], selopt[300], esc[300];
	const char *dir = o->dir;
	struct kpod *pods = NULL;
	struct cjob *v = NULL;
	char **paths = NULL;
	size_t n = 0, good, bad;
	long npods = 0;
	int rc = 1, merged = 0;
	struct pr p;

	if (dir && prepare_dir(dir))
		return 1;
	if (!dir) {	/* -o alone: the files live only until merged */
		const char *t = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/vethmap-collect.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir))
			return error("collect: cannot make a directory '%s':", tmpdir), 1;
		dir = tmpdir;
	}
	/* ssh's own connect (and banner) timeout a second past ours: the deadline ends a hung
	   host, with one reason whatever stage it hangs in */
	snprintf(tmo, sizeof(tmo), "ConnectTimeout=%d", (int)(o->deadline + 0.999) + 1);
	snprintf(ctxopt, sizeof(ctxopt), "--context=%s", o->context ? o->context : "");
	snprintf(nsopt, sizeof(nsopt), "--namespace=%s", o->ns ? o->ns : "vethmap");
	snprintf(selopt, sizeof(selopt), "--selector=%s",
		 o->selector ? o->selector : "app.kubernetes.io/name=vethmap");
	if (o->ssh) {
		n = (size_t)ctx->argc;
		v = xcalloc(n, sizeof(*v));
		for (size_t i = 0; i < n; i++) {
			const char *pre[] = { "ssh", "-o", "BatchMode=yes", "-o", tmo, "-T",
					      "-F", o->ssh_config, "--", ctx->argv[i] };
			const char *pre2[] = { "ssh", "-o", "BatchMode=yes", "-o", tmo, "-T", "--",
					       ctx->argv[i] };

			v[i].label = ctx->argv[i];
			v[i].argv = o->ssh_config ? make_argv(pre, 10) : make_argv(pre2, 8);
		}
	} else {
		npods = list_pods(o, o->context ? ctxopt : NULL, nsopt, selopt, &pods);
		if (npods < 0)
			goto out;
		n = (size_t)npods;
		v = xcalloc(n, sizeof(*v));
		for (size_t i = 0; i < n; i++) {
			const char *pre[] = { "kubectl", ctxopt, "exec", nsopt, pods[i].name, "--" };
			const char *pre2[] = { "kubectl", "exec", nsopt, pods[i].name, "--" };

			v[i].label = pods[i].usable ? pods[i].node : pods[i].name;
			v[i].argv = o->context ? make_argv(pre, 6) : make_argv(pre2, 5);
			if (!pods[i].usable) {
				v[i].ok = -1;
				snprintf(v[i].why, sizeof(v[i].why), "%s", pods[i].why);
			}
			for (size_t k = 0; k < i && pods[i].usable; k++)
				if (pods[k].usable && !strcmp(pods[k].node, pods[i].node)) {
					v[i].ok = -1;
					snprintf(v[i].why, sizeof(v[i].why),
						 "a second pod on this node (pod %.200s): not taken",
						 pods[k].name);
				}
		}
	}
	paths = xcalloc(n, sizeof(*paths));
	for (size_t i = 0; i < n; i++) {
		v[i].check_scan = 1;
		if (v[i].ok >= 0)
			place(&v[i], dir, &paths[i]);
	}
	good = collect_run(v, n, o->deadline, COLLECT_MAX_BYTES);
	bad = n - good;
	for (size_t i = 0; i < n; i++) {
		if (v[i].ok <= 0 && o->ssh)
			error("collect: host '%s': %s", text_esc(esc, sizeof(esc), v[i].label),
			      v[i].why);
		else if (v[i].ok <= 0 && pods[i].usable)
			error("collect: node '%s' (pod %s): %s", text_esc(esc, sizeof(esc), v[i].label),
			      pods[i].name, v[i].why);
		else if (v[i].ok <= 0)
			error("collect: pod '%s': %s", text_esc(esc, sizeof(esc), v[i].label), v[i].why);
		else if (v[i].incomplete)
			warnx("collect: host '%s': its scan is incomplete (kept)",
			      text_esc(esc, sizeof(esc), v[i].label));
	}
	rc = good == 0 ? 1 : bad ? 3 : 0;
	if (o->out && good) {
		if (run_merge(o->out, v, n))
			rc = 1;
		else
			merged = 1;
	}
	pr_init(&p, stdout, ctx->json);
	print_results(&p, v, n, !*tmpdir, o->out, merged);
	if (finish_stdout())
		rc = 1;
out:
	for (size_t i = 0; i < n; i++) {
		if (*tmpdir && v[i].path_written)
			unlink(v[i].path);
		free(v[i].argv);
		free(paths ? paths[i] : NULL);
	}
	if (*tmpdir)
		rmdir(tmpdir);
	free(paths);
	free(v);
	free(pods);
	return rc;
}

const struct cmd_def collect_def = {
	.run = collect, .init = collect_init, .parse = collect_parse, .check = collect_check,
	.size = sizeof(struct collect_opts),
	.options = (const struct cmd_opt[]){
		{ "ssh", 0, 'S', NULL, "the operands are ssh destinations: scan each over ssh" },
		{ "kubectl", 0, 'K', NULL, "scan in each pod of the vethmap DaemonSet (kubectl exec)" },
		{ "namespace", 'n', 'n', "NAMESPACE", "--kubectl: the DaemonSet's namespace (vethmap)" },
		{ "selector", 'l', 'l', "SELECTOR",
		  "--kubectl: label selector (app.kubernetes.io/name=vethmap)" },
		{ "context", 0, 'X', "CONTEXT", "--kubectl: the kubeconfig context to use" },
		{ "ssh-config", 'F', 'F', "FILE", "--ssh: ssh's configuration file (ssh -F)" },
		{ "deadline", 0, 'd', "DURATION", "give each host DURATION (default 30s), then kill it" },
		{ "dir", 0, 'D', "DIR", "keep each host's scan as DIR/HOST.json" },
		{ "output", 'o', 'o', "DB", "merge the scans into database DB (vethmap merge)" },
		{ 0 }
	},
};
