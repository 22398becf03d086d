/*
 * vethmap.c implements main(): the command table, global options and the dispatcher.
 * Each command lives in its own cmd_*.c file.  Adding one: a `struct cmd_def NAME_def` in
 * its file (run, and its own options if any), a line in `commands` with its flags (what
 * the dispatcher sets up: capabilities, the database, --scan, --json), and its usage.
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
	const struct cmd_def *def;	/* NULL: help */
	unsigned flags;		/* NEED_*, USE_DB_*, TAKES_* */
	const char *usage;	/* options after "vethmap NAME" */
	const char *summary;
};

static const struct command commands[] = {
	{ "scan", &scan_def, NEED_SCAN | USE_DB_RW | TAKES_JSON | TAKES_VERBOSE,
	  "[--db PATH] [--json] [--no-store] [--no-containers] [--deep] [-v]",
	  "find every network namespace, pair every veth, store the snapshot" },
	{ "show", &show_def, USE_DB_RO | TAKES_SCAN | TAKES_JSON,
	  "[--scan ID] [--db PATH] [--json]",
	  "print a stored snapshot (the latest by default)" },
	{ "ls", &ls_def, NEED_SCAN | TAKES_DB | TAKES_SCAN | TAKES_JSON | TAKES_VERBOSE | TAKES_ARGS,
	  "[--json] [--stored | --scan ID] [--db PATH] [-v] [TARGET]",
	  "every container: its interfaces, host-side veth, bridge and addresses" },
	{ "cap", &cap_def, NEED_SCAN | NEED_RAW | TAKES_DB | TAKES_SCAN | TAKES_VERBOSE | TAKES_ARGS,
	  "TARGET [-i IFNAME] [--host-side|--both-ends] [-d DURATION] [-c COUNT]\n"
	  "                   [-C MAXBYTES] [-s SNAPLEN] [-B KIB] [-w FILE|-] [-U] [-W pcapng|pcap]\n"
	  "                   [-Z USER] [-p] [--db PATH] [--scan ID] [FILTER...]",
	  "a short, bounded capture on a container, namespace, interface or edge" },
	{ "trace", &trace_def, NEED_SCAN | NEED_RAW | TAKES_DB | TAKES_SCAN | TAKES_JSON | TAKES_VERBOSE |
	  TAKES_ARGS,
	  "SRC DST [-d DURATION] [-c COUNT] [-w FILE|-] [-U] [--probe[=tcp:PORT]] [-Z USER]\n"
	  "                   [--json] [--db PATH] [--scan ID] [FILTER...]",
	  "capture along the path from SRC to DST at once: where do the packets die?" },
	{ "graph", &graph_def, USE_DB_RO | TAKES_SCAN,
	  "[--scan ID] [-T dot|svg|png] [-o FILE] [--focus TARGET] [--expand] [--db PATH]",
	  "draw a stored snapshot with GraphViz" },
	{ "report", &report_def, USE_DB_RO | TAKES_SCAN,
	  "[--scan ID] [-o FILE] [--format xml|html] [--xsl FILE] [--db PATH]",
	  "the audit report of a stored snapshot (XML, or HTML)" },
	{ "diff", &diff_def, USE_DB_RO | TAKES_JSON | TAKES_ARGS,
	  "[A [B]] [--json] [--exit-code] [--db PATH]",
	  "what changed between two stored snapshots (default: the last two)" },
	{ "scans", &scans_def, USE_DB_RO | TAKES_JSON, "[--db PATH] [--json]",
	  "list the stored snapshots" },
	{ "help", NULL, TAKES_ARGS, "[COMMAND]", "show help for vethmap or one command" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vethmap [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nThe database is %s unless --db PATH or VETHMAP_DB says otherwise.\n"
		"See 'vethmap help COMMAND' and vethmap(8).\n", DEFAULT_DB);
}

void usage_cmd(FILE *f, const char *name)
{
	const struct command *c = find_command(name);

	if (c)
		fprintf(f, "usage: vethmap %s %s\n", c->name, c->usage);
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

static int help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 1) {
		usage(stdout);
		return finish_stdout() ? 1 : 0;
	}
	c = find_command(argv[0]);
	if (!c) {
		error("no such command '%s'", argv[0]);
		usage(stderr);
		return 2;
	}
	printf("usage: vethmap %s %s\n\n  %s\n", c->name, c->usage, c->summary);
	return finish_stdout() ? 1 : 0;
}

enum { OPT_DB = 256, OPT_SCAN, OPT_JSON, OPT_VERBOSE, OPT_HELP };

/*
 * The options of command c: the common ones its flags allow, then its own, into opts
 * (room for 5 + its own + 1) and short (room for 8 + its own).
 */
static void build_options(const struct command *c, struct option *opts, char *shorts)
{
	const struct cmd_def *d = c->def;
	size_t n = 0;

	strcpy(shorts, ":h");
	if (c->flags & (USE_DB_RO | USE_DB_RW | TAKES_DB))
		opts[n++] = (struct option){ "db", required_argument, NULL, OPT_DB };
	if (c->flags & TAKES_SCAN)
		opts[n++] = (struct option){ "scan", required_argument, NULL, OPT_SCAN };
	if (c->flags & TAKES_JSON) {
		opts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
		strcat(shorts, "j");
	}
	if (c->flags & TAKES_VERBOSE) {
		opts[n++] = (struct option){ "verbose", no_argument, NULL, OPT_VERBOSE };
		strcat(shorts, "v");
	}
	opts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	for (size_t k = 0; d && d->longopts && d->longopts[k].name; k++)
		opts[n++] = d->longopts[k];
	opts[n] = (struct option){ 0 };
	if (d && d->shortopts)
		strcat(shorts, d->shortopts);
}

/* Parse, set up as the flags say, run, tear down: the exit status. */
static int run_command(const struct command *c, int argc, char **argv)
{
	const struct cmd_def *d = c->def;
	struct cmd_ctx ctx = { .name = c->name, .needs = c->flags, .all_argc = argc };
	size_t nown = 0, nshort = d && d->shortopts ? strlen(d->shortopts) : 0;
	struct option *opts;
	char *shorts, what[32];
	int opt, rc = 2;

	while (d && d->longopts && d->longopts[nown].name)
		nown++;
	opts = xcalloc(nown + 6, sizeof(*opts));
	shorts = xcalloc(nshort + 8, 1);
	build_options(c, opts, shorts);
	ctx.all_argv = xcalloc((size_t)argc + 1, sizeof(*ctx.all_argv));
	memcpy(ctx.all_argv, argv, (size_t)argc * sizeof(*argv));
	ctx.opts = d && d->size ? xcalloc(1, d->size) : NULL;
	if (d && d->init)
		d->init(&ctx);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (opt) {
		case OPT_DB: ctx.db_opt = optarg; break;
		case OPT_SCAN:
			if (parse_scan_id(c->name, optarg, &ctx.scan))
				goto out;
			break;
		case 'j':
		case OPT_JSON: ctx.json = 1; break;
		case 'v':
		case OPT_VERBOSE: verbosity++; break;
		case 'h':
		case OPT_HELP:
			usage_cmd(stdout, c->name);
			rc = finish_stdout() ? 1 : 0;
			goto out;
		case '?':
		case ':':
			rc = opt_error(c->name, argv, opt);
			goto out;
		default:
			rc = d->parse(&ctx, opt, optarg);
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
	if (!d) {
		rc = help(ctx.argc, ctx.argv);
		goto out;
	}
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
	free(opts);
	free(shorts);
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
