/*
 * vethmap.c implements main(): the command table, global options and the dispatcher.
 * Each command lives in its own cmd_*.c file.  Adding one: a `struct cmd_def NAME_def` in
 * its file (run, and its own options if any: a cmd_opt each, with its help line), a line
 * in `commands` with its flags (what the dispatcher sets up: capabilities, the database,
 * --scan, --json), its operands and summary.  The parser, the synopsis, help and
 * completion are all made from these tables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

struct command {
	const char *name;
	const struct cmd_def *def;
	unsigned flags;		/* NEED_*, USE_DB_*, TAKES_*, HIDDEN */
	const char *operands;	/* after the options in the synopsis, or "" */
	const char *complete;	/* what the first operand is, for completion: TARGET... */
	const char *summary;
	const char *scan_help;	/* --scan's help line, where the common one says too little */
};

static const struct cmd_def help_def, complete_def;

static const struct command commands[] = {
	{ "scan", &scan_def, NEED_SCAN | USE_DB_RW | TAKES_JSON | TAKES_VERBOSE | TAKES_RETAIN, "",
	  NULL, "find every network namespace, pair every veth, store the snapshot", NULL },
	{ "show", &show_def, USE_DB_RO | TAKES_SCAN | TAKES_JSON, "", NULL,
	  "print a stored snapshot (the latest by default)", NULL },
	{ "ls", &ls_def, NEED_SCAN | TAKES_DB | TAKES_SCAN | TAKES_JSON | TAKES_VERBOSE | TAKES_ARGS,
	  "[TARGET]", "TARGET",
	  "every container: its interfaces, host-side veth, bridge and addresses",
	  "read stored snapshot ID instead of scanning" },
	{ "cap", &cap_def, NEED_SCAN | NEED_RAW | TAKES_DB | TAKES_SCAN | TAKES_VERBOSE | TAKES_ARGS,
	  "TARGET [FILTER...]", "TARGET",
	  "a short, bounded capture on a container, namespace, interface or edge",
	  "take eN targets from snapshot ID, not the latest" },
	{ "trace", &trace_def, NEED_SCAN | NEED_RAW | TAKES_DB | TAKES_SCAN | TAKES_JSON | TAKES_VERBOSE |
	  TAKES_ARGS, "SRC DST [tcp:PORT] [FILTER...]", "TARGET",
	  "capture along the path from SRC to DST at once: where do the packets die?",
	  "take the path from snapshot ID instead of a fresh scan" },
	{ "graph", &graph_def, USE_DB_RO | TAKES_SCAN, "", NULL,
	  "draw a stored snapshot with GraphViz", NULL },
	{ "report", &report_def, USE_DB_RO | TAKES_SCAN, "", NULL,
	  "the audit report of a stored snapshot (XML, or HTML)", NULL },
	{ "diff", &diff_def, USE_DB_RO | TAKES_JSON | TAKES_ARGS, "[A [B]]", "ID ID",
	  "what changed between two stored snapshots (default: the last two)", NULL },
	{ "watch", &watch_def, NEED_SCAN | USE_DB_RW | TAKES_JSON | TAKES_VERBOSE, "", NULL,
	  "a scan, then each change as it happens (the lines of diff), stored", NULL },
	{ "events", &events_def, USE_DB_RO | TAKES_JSON, "", NULL,
	  "the changes watch stored, in order, as it printed them", NULL },
	{ "merge", &merge_def, TAKES_DB | TAKES_JSON | TAKES_ARGS, "DB|JSON... [-o DB]", NULL,
	  "several hosts' snapshots into one cluster database, tunnels paired", NULL },
	{ "collect", &collect_def, TAKES_JSON | TAKES_ARGS, "[HOST...]", NULL,
	  "scan many hosts at once over ssh or kubectl, keep or merge the scans", NULL },
	{ "scans", &scans_def, USE_DB_RO | TAKES_JSON, "", NULL,
	  "list the stored snapshots", NULL },
	{ "prune", &prune_def, USE_DB_RW | TAKES_JSON | TAKES_VERBOSE | TAKES_RETAIN, "", NULL,
	  "delete old snapshots, give the space back", NULL },
	{ "help", &help_def, TAKES_ARGS, "[COMMAND]", "COMMAND",
	  "show help for vethmap or one command", NULL },
	{ "__complete", &complete_def, HIDDEN | TAKES_DB | TAKES_SCAN | TAKES_ARGS,
	  "commands | words COMMAND | targets [PREFIX] | scans", NULL,
	  "the words shell completion offers", NULL },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

enum { OPT_DB = 256, OPT_SCAN, OPT_AT, OPT_JSON, OPT_VERBOSE, OPT_HELP, OPT_KEEP, OPT_OLDER,
       OPT_CAPTURES };

/* The options every command takes whose flags have one of `flags`. */
static const struct {
	unsigned flags;
	struct cmd_opt o;
} common_opts[] = {
	{ USE_DB_RO | USE_DB_RW | TAKES_DB,
	  { "db", 0, OPT_DB, "PATH", "the database instead of " DEFAULT_DB } },
	{ TAKES_SCAN,
	  { "scan", 0, OPT_SCAN, "ID", "stored snapshot ID (see 'vethmap scans'), not the latest" } },
	{ TAKES_SCAN,
	  { "at", 0, OPT_AT, "TIME", "the snapshot newest at TIME (UTC ISO-8601, or -10m)" } },
	{ TAKES_JSON, { "json", 'j', OPT_JSON, NULL, "print JSON instead of a table" } },
	{ TAKES_VERBOSE,
	  { "verbose", 'v', OPT_VERBOSE, NULL, "report progress on standard error (repeat for more)" } },
	{ TAKES_RETAIN,
	  { "keep", 0, OPT_KEEP, "N", "keep the newest N snapshots, delete older ones" } },
	{ TAKES_RETAIN,
	  { "older-than", 0, OPT_OLDER, "DURATION",
	    "delete snapshots older than DURATION (90m, 12h, 7d, 2w)" } },
	{ TAKES_RETAIN,
	  { "captures", 0, OPT_CAPTURES, NULL,
	    "also delete capture rows whose snapshot is gone" } },
	{ ~0u, { "help", 'h', OPT_HELP, NULL, "print this help and exit" } },
};
#define MAX_OPTS 40

static int opt_key(const struct cmd_opt *o)
{
	return o->val ? o->val : o->letter;
}

/*
 * The options command c takes, into v (room for MAX_OPTS): its own in its order, then the
 * common ones its flags allow, --help last.  This one list makes the parser's tables and
 * every help line.  Two options with one name, letter or key are a bug of the table.
 */
static size_t command_options(const struct command *c, const struct cmd_opt **v)
{
	const struct cmd_opt *own = c->def ? c->def->options : NULL;
	size_t n = 0;

	if (own && !c->def->parse)
		die("BUG: '%s' has options but no parse hook", c->name);
	for (size_t k = 0; own && (own[k].name || own[k].letter); k++)
		if (n < MAX_OPTS)
			v[n++] = &own[k];
	for (size_t k = 0; k < sizeof(common_opts) / sizeof(common_opts[0]); k++)
		if ((c->flags & common_opts[k].flags) && n < MAX_OPTS)
			v[n++] = &common_opts[k].o;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if ((v[i]->name && v[j]->name && !strcmp(v[i]->name, v[j]->name)) ||
			    (v[i]->letter && v[i]->letter == v[j]->letter) ||
			    opt_key(v[i]) == opt_key(v[j]) || !v[i]->help)
				die("BUG: option table of '%s': option %zu clashes or has no help", c->name, i);
	return n;
}

/* What option o's help line says: --scan's own words for commands that have them. */
static const char *opt_help(const struct command *c, const struct cmd_opt *o)
{
	return opt_key(o) == OPT_SCAN && c->scan_help ? c->scan_help : o->help;
}

/* "[--db PATH] [-i IFNAME] ... OPERANDS", wrapped under the command's name. */
static void print_synopsis(FILE *f, const struct command *c)
{
	const struct cmd_opt *v[MAX_OPTS];
	size_t n = command_options(c, v);
	int indent = fprintf(f, "usage: vethmap %s", c->name), col = indent;
	char item[96];

	for (size_t i = 0; i <= n; i++) {
		if (i < n && opt_key(v[i]) == OPT_HELP)
			continue;
		if (i == n && !*c->operands)
			break;
		if (i == n)
			snprintf(item, sizeof(item), "%s", c->operands);
		else if (v[i]->name)
			snprintf(item, sizeof(item), "[--%s%s%s]", v[i]->name, v[i]->arg ? " " : "",
				 v[i]->arg ? v[i]->arg : "");
		else
			snprintf(item, sizeof(item), "[-%c%s%s]", v[i]->letter, v[i]->arg ? " " : "",
				 v[i]->arg ? v[i]->arg : "");
		if (col + 1 + (int)strlen(item) > 80 && col > indent)
			col = fprintf(f, "\n%*s", indent, "") - 1;
		col += fprintf(f, " %s", item);
	}
	fputc('\n', f);
}

/* One line per option, as git's: "  -o, --output FILE   write to FILE ...". */
static void print_options(FILE *f, const struct command *c)
{
	const struct cmd_opt *v[MAX_OPTS];
	size_t n = command_options(c, v);
	char left[96];

	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < n; i++) {
		const struct cmd_opt *o = v[i];
		int len = 0;

		if (o->letter)
			len += snprintf(left, sizeof(left), "-%c%s", o->letter, o->name ? ", " : "");
		if (o->name)
			len += snprintf(left + len, sizeof(left) - (size_t)len, "--%s", o->name);
		if (o->arg)
			snprintf(left + len, sizeof(left) - (size_t)len, " %s", o->arg);
		if (strlen(left) > 18)
			fprintf(f, "  %s\n  %-18s  %s\n", left, "", opt_help(c, o));
		else
			fprintf(f, "  %-18s  %s\n", left, opt_help(c, o));
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vethmap [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!(commands[i].flags & HIDDEN))
			fprintf(f, "  %-6s  %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nThe database is %s unless --db PATH or VETHMAP_DB says otherwise.\n"
		"See 'vethmap help COMMAND' and vethmap(8).\n", DEFAULT_DB);
}

/* The synopsis of command `name`, for usage errors. */
void usage_cmd(FILE *f, const char *name)
{
	const struct command *c = find_command(name);

	if (c)
		print_synopsis(f, c);
}

/* 'vethmap help CMD' and 'vethmap CMD --help': synopsis, summary, privileges, options. */
static void print_help(FILE *f, const struct command *c)
{
	print_synopsis(f, c);
	fprintf(f, "\n%s\n", c->summary);
	if (c->flags & NEED_SCAN)	/* ls: only its live scan */
		fprintf(f, "\nneeds root: CAP_SYS_ADMIN to enter namespaces, CAP_SYS_PTRACE to read\n"
			"other processes' namespaces%s%s\n",
			c->flags & NEED_RAW ? ", CAP_NET_RAW to capture" : "",
			c->flags & TAKES_SCAN && !(c->flags & NEED_RAW) ? " (to scan live)" : "");
	else if (c->flags & USE_DB_RO)
		fprintf(f, "\nneeds no privilege beyond reading the database\n");
	print_options(f, c);
}
/* getopt_long returned '?' or ':' (optstring starts with ':'): one line, usage, 2. */
static int opt_error(const char *cmd, char **argv, int c)
{
	const char *bad = argv[optind - 1];

	if (c == ':')
		error("%s: option '%s' needs an argument", cmd, bad);
	else if (optopt && optopt < 256)
		error("%s: unknown option '-%c'", cmd, optopt);
	else
		error("%s: unknown option '%s'", cmd, bad);
	usage_cmd(stderr, cmd);
	return 2;
}

int arg_error(const char *cmd, const char *arg)
{
	error("%s: unexpected argument '%s'", cmd, arg);
	usage_cmd(stderr, cmd);
	return 2;
}

/* The one parser of scan ids (--scan ID, diff's operands): 0, or -1 after one line. */
int parse_scan_id(const char *cmd, const char *s, long long *id)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || end == s || *end || *id <= 0)
		return error("%s: invalid scan id '%s'", cmd, s);
	return 0;
}

static int help(struct cmd_ctx *ctx)
{
	const struct command *c;

	if (ctx->argc > 1)
		return arg_error("help", ctx->argv[1]);
	if (ctx->argc < 1) {
		usage(stdout);
		return finish_stdout() ? 1 : 0;
	}
	c = find_command(ctx->argv[0]);
	if (!c) {
		error("no such command '%s'", ctx->argv[0]);
		usage(stderr);
		return 2;
	}
	print_help(stdout, c);
	return finish_stdout() ? 1 : 0;
}

/* --keep N, --older-than DURATION, --captures (TAKES_RETAIN): 0, or 2 after one line. */
static int parse_retain(const char *cmd, int opt, const char *arg, struct retain *r)
{
	char *end;

	if (opt == OPT_CAPTURES) {
		r->captures = 1;
		return 0;
	}
	if (opt == OPT_KEEP) {
		errno = 0;
		r->keep = strtoll(arg, &end, 10);
		if (errno || end == arg || *end || r->keep < 1 || r->keep > 1000000000) {
			error("%s: invalid --keep '%s' (a number of snapshots, 1 or more)", cmd, arg);
			return 2;
		}
		return 0;
	}
	r->older_s = parse_duration(arg);
	if (r->older_s < 0) {
		error("%s: invalid --older-than '%s' (like 90m, 12h, 7d, 2w; at most 365d)", cmd,
		      arg);
		return 2;
	}
	return 0;
}

static const struct cmd_def help_def = { .run = help };

/*
 * 'vethmap __complete WHAT': the words bash completion offers, one a line, from the same
 * tables as the parser.  "commands": the commands help lists; "words CMD": each option
 * of CMD as "-L ARG" / "--NAME ARG" (ARG when it takes one), then "@ KIND" for what its
 * operands are; "targets [PREFIX]": the targets of the stored snapshot that start with
 * PREFIX; "scans": the stored snapshots' ids, newest first.
 */
static int complete(struct cmd_ctx *ctx)
{
	const char *what = ctx->argc ? ctx->argv[0] : "";
	const struct command *c;

	if (!strcmp(what, "commands") && ctx->argc == 1) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (!(commands[i].flags & HIDDEN))
				printf("%s\n", commands[i].name);
	} else if (!strcmp(what, "words") && ctx->argc == 2) {
		const struct cmd_opt *v[MAX_OPTS];
		size_t n;

		c = find_command(ctx->argv[1]);
		if (!c || (c->flags & HIDDEN))
			return error("__complete: no such command '%s'", ctx->argv[1]), 2;
		n = command_options(c, v);
		for (size_t i = 0; i < n; i++) {
			const char *sp = v[i]->arg ? " " : "", *arg = v[i]->arg ? v[i]->arg : "";

			if (v[i]->letter)
				printf("-%c%s%s\n", v[i]->letter, sp, arg);
			if (v[i]->name)
				printf("--%s%s%s\n", v[i]->name, sp, arg);
		}
		if (c->complete)
			printf("@ %s\n", c->complete);
	} else if (!strcmp(what, "targets") && ctx->argc <= 2) {
		return complete_targets(ctx, ctx->argc == 2 ? ctx->argv[1] : "");
	} else if (!strcmp(what, "scans") && ctx->argc == 1) {
		return complete_scans(ctx);
	} else {
		return arg_error("__complete", ctx->argc ? ctx->argv[ctx->argc - 1] : "");
	}
	return finish_stdout() ? 1 : 0;
}

static const struct cmd_def complete_def = { .run = complete };
/*
 * getopt_long's tables for v[0..n): every long name into opts (room for n + 1), every
 * letter into shorts (room for 3 * n + 2), ':' after a letter that takes an argument.
 */
static void getopt_tables(const struct cmd_opt *const *v, size_t n, struct option *opts,
			  char *shorts)
{
	size_t no = 0, ns = 0;

	shorts[ns++] = ':';
	for (size_t i = 0; i < n; i++) {
		if (v[i]->name)
			opts[no++] = (struct option){ v[i]->name,
				v[i]->arg ? required_argument : no_argument, NULL, opt_key(v[i]) };
		if (v[i]->letter) {
			shorts[ns++] = v[i]->letter;
			if (v[i]->arg)
				shorts[ns++] = ':';
		}
	}
	opts[no] = (struct option){ 0 };
	shorts[ns] = '\0';
}

/* The key of what getopt_long returned: a letter is its option's key. */
static int key_of(const struct cmd_opt *const *v, size_t n, int got)
{
	for (size_t i = 0; got > 0 && got < 256 && i < n; i++)
		if (v[i]->letter == got)
			return opt_key(v[i]);
	return got;
}

/*
 * --at TIME: the snapshot that was the newest then becomes ctx->scan, as if given with
 * --scan (so every command that takes a snapshot takes a moment).  Inside a stretch that
 * watch's --thin left without snapshots, ctx->at says so: show, ls, graph and report
 * rebuild the state from that snapshot and the events after it (history.c); cap and
 * trace, which name a stored snapshot's edges, refuse.  0, or the exit status.
 */
static int resolve_at(struct cmd_ctx *ctx, const char *at)
{
	struct sqlite3 *db;
	char iso[32];
	long long id;
	int replay = 0;

	if (ctx->scan) {
		error("%s: --at and --scan each name a snapshot: give one", ctx->name);
		return 2;
	}
	if (parse_time(at, iso, sizeof(iso))) {
		error("%s: invalid time '%s' (like 2026-12-02T03:12:00 in UTC, or -10m)", ctx->name,
		      at);
		return 2;
	}
	db = db_open(db_path(ctx->db_opt), 0);
	if (!db)
		return 1;
	id = db_state_at(db, ctx->name, iso, &replay);
	db_close(db);
	if (id <= 0)
		return 1;
	ctx->scan = id;
	/* a thinned stretch: the commands that read one state rebuild it, the rest refuse */
	if (replay && (!strcmp(ctx->name, "show") || !strcmp(ctx->name, "ls") ||
		       !strcmp(ctx->name, "graph") || !strcmp(ctx->name, "report")))
		copy_str(ctx->at, sizeof(ctx->at), iso);
	else if (replay)
		return error("%s: the snapshot of %s was thinned away (watch --thin); 'vethmap show"
			     " --at' rebuilds it", ctx->name, iso), 1;
	return 0;
}

/* Parse, set up as the flags say, run, tear down: the exit status. */
static int run_command(const struct command *c, int argc, char **argv)
{
	const struct cmd_def *d = c->def;
	struct cmd_ctx ctx = { .name = c->name, .needs = c->flags, .all_argc = argc };
	const struct cmd_opt *v[MAX_OPTS];
	size_t n = command_options(c, v);
	struct option opts[MAX_OPTS + 1];
	char shorts[3 * MAX_OPTS + 2], what[32];
	const char *at = NULL;
	int opt, rc = 2;

	getopt_tables(v, n, opts, shorts);
	ctx.all_argv = xcalloc((size_t)argc + 1, sizeof(*ctx.all_argv));
	memcpy(ctx.all_argv, argv, (size_t)argc * sizeof(*argv));
	ctx.opts = d->size ? xcalloc(1, d->size) : NULL;
	retain_init(&ctx.retain);
	if (d->init)
		d->init(&ctx);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (key_of(v, n, opt)) {
		case OPT_DB: ctx.db_opt = optarg; break;
		case OPT_SCAN:
			if (parse_scan_id(c->name, optarg, &ctx.scan))
				goto out;
			break;
		case OPT_AT: at = optarg; break;
		case OPT_JSON: ctx.json = 1; break;
		case OPT_VERBOSE: verbosity++; break;
		case OPT_KEEP:
		case OPT_OLDER:
		case OPT_CAPTURES:
			if ((rc = parse_retain(c->name, opt, optarg, &ctx.retain)))
				goto out;
			break;
		case OPT_HELP:
			print_help(stdout, c);
			rc = finish_stdout() ? 1 : 0;
			goto out;
		case '?':
		case ':':
			rc = opt_error(c->name, argv, opt);
			goto out;
		default:
			rc = d->parse(&ctx, key_of(v, n, opt), optarg);
			if (rc)
				goto out;
		}
	}
	ctx.argc = argc - optind;
	ctx.argv = argv + optind;
	if (!(c->flags & TAKES_ARGS) && ctx.argc) {
		rc = arg_error(c->name, ctx.argv[0]);
		goto out;
	}
	if (at && (rc = resolve_at(&ctx, at)))
		goto out;
	if (d->check && (rc = d->check(&ctx)))
		goto out;
	rc = 1;
	snprintf(what, sizeof(what), "vethmap %s", c->name);
	if ((ctx.needs & NEED_SCAN) && scan_need_caps(what))
		goto out;
	if ((ctx.needs & NEED_RAW) && need_cap(what, CAP_NET_RAW, "to capture packets"))
		goto out;
	if (ctx.needs & (USE_DB_RO | USE_DB_RW)) {
		ctx.db = db_open(db_path(ctx.db_opt), !!(ctx.needs & USE_DB_RW));
		if (!ctx.db)
			goto out;
	}
	rc = d->run(&ctx);
out:
	db_close(ctx.db);
	free(ctx.opts);
	free(ctx.all_argv);
	return rc;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vethmap %s\n", VETHMAP_VERSION);
		return finish_stdout() ? 1 : 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return finish_stdout() ? 1 : 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		error("unknown command '%s': try 'vethmap help'", argv[1]);
		return 2;
	}
	return run_command(c, argc - 1, argv + 1);
}
