/*
 * cmd_scan.c implements 'vethmap scan': scan the host, store the snapshot, print it.
 * The snapshot is stored before anything is printed, so a reader that goes away
 * ('vethmap scan | head') never costs the snapshot.  An incomplete scan (see scan.c) is
 * still stored and printed, marked incomplete, and the exit status is 1.
 */
#define _GNU_SOURCE
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

struct scan_opts {
	int no_containers;
	int deep;
};

static int scan_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct scan_opts *o = ctx->opts;

	(void)arg;
	if (c == 'n')
		ctx->needs &= ~USE_DB_RW;	/* --no-store: no database at all */
	else if (c == 'C')
		o->no_containers = 1;
	else if (c == 'D')
		o->deep = 1;	/* every process's sockets too (fdprobe.c) */
	return 0;
}

static int scan(struct cmd_ctx *ctx)
{
	const struct scan_opts *o = ctx->opts;
	struct topo t;
	struct pr p;
	int rc = 1;

	topo_init(&t);
	t.deep = o->deep;
	if (scan_run(&t, NULL, 1, !o->no_containers))
		goto out;
	if (ctx->db && db_store(ctx->db, &t) < 0)
		goto out;
	pr_init(&p, stdout, ctx->json);
	print_topo(&p, &t);
	rc = finish_stdout() || topo_incomplete(&t) ? 1 : 0;
out:
	topo_release(&t);
	return rc;
}

const struct cmd_def scan_def = {
	.run = scan, .parse = scan_parse,
	.size = sizeof(struct scan_opts),
	.options = (const struct cmd_opt[]){
		{ "no-store", 0, 'n', NULL, "scan and print, but do not write the database" },
		{ "no-containers", 0, 'C', NULL,
		  "name no containers: ask no engine, read no cgroup" },
		{ "deep", 0, 'D', NULL,
		  "also find namespaces that only a socket holds" },
		{ 0 }
	},
};
