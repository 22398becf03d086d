/*
 * vethmap.c implements main(): the command table, global options and the dispatcher.
 * Each command lives in its own cmd_*.c file; adding one means a line in `commands`, a
 * usage text here, and a cmd_NAME(argc, argv) that returns the exit status.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;	/* options after "vethmap NAME" */
	const char *summary;
};

static const struct command commands[] = {
	{ "scan", cmd_scan, "[--db PATH] [--json] [--no-store] [--no-containers] [-v]",
	  "find every network namespace, pair every veth, store the snapshot" },
	{ "show", cmd_show, "[--scan ID] [--db PATH] [--json]",
	  "print a stored snapshot (the latest by default)" },
	{ "ls", cmd_ls, "[--json] [--stored | --scan ID] [--db PATH] [-v]",
	  "every container: its interfaces, host-side veth, bridge and addresses" },
	{ "cap", cmd_cap, "TARGET [-i IFNAME] [--host-side|--both-ends] [-d DURATION] [-c COUNT]\n"
	  "                   [-C MAXBYTES] [-s SNAPLEN] [-w FILE|-] [-W pcapng|pcap] [-Z USER] [-p]\n"
	  "                   [--db PATH] [--scan ID] [FILTER...]",
	  "a short, bounded capture on a container, namespace, interface or edge" },
	{ "graph", cmd_graph, "[--scan ID] [-T dot|svg|png] [-o FILE] [--focus TARGET] [--db PATH]",
	  "draw a stored snapshot with GraphViz" },
	{ "report", cmd_report, "[--scan ID] [-o FILE] [--format xml|html] [--xsl FILE] [--db PATH]",
	  "the audit report of a stored snapshot (XML, or HTML)" },
	{ "diff", cmd_diff, "[A [B]] [--json] [--exit-code] [--db PATH]",
	  "what changed between two stored snapshots (default: the last two)" },
	{ "scans", cmd_scans, "[--db PATH] [--json]", "list the stored snapshots" },
	{ "help", cmd_help, "[COMMAND]", "show help for vethmap or one command" },
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
int opt_error(const char *cmd, char **argv, int c)
{
	const char *bad = argv[optind - 1];

	if (c == ':')
		error("%s: option '%s' needs an argument", cmd, bad);
	else if (optopt)
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

int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return finish_stdout() ? 1 : 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		error("no such command '%s'", argv[1]);
		usage(stderr);
		return 2;
	}
	printf("usage: vethmap %s %s\n\n  %s\n", c->name, c->usage, c->summary);
	return finish_stdout() ? 1 : 0;
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
	return c->fn(argc - 1, argv + 1);
}
