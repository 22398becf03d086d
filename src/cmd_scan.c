/*
 * cmd_scan.c implements 'vethmap scan': scan the host, store the snapshot, print it.
 * The snapshot is stored before anything is printed, so a reader that goes away
 * ('vethmap scan | head') never costs the snapshot.  An incomplete scan (see scan.c) is
 * still stored and printed, marked incomplete, and the exit status is 1.  With --keep or
 * --older-than, old snapshots are pruned after the new one is stored, as 'vethmap prune'
 * does (cmd_prune.c), saying so only with -v.
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

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
	struct timespec ph[3];
	int rc = 1, pruned;

	topo_init(&t);
	t.deep = o->deep;
	if (scan_run(&t, NULL, 1, !o->no_containers))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &ph[0]);
	if (ctx->db && db_store(ctx->db, &t) < 0)
		goto out;
	/* a failed prune (said) is exit 1, but the stored snapshot is printed all the same */
	pruned = ctx->db && retain_given(&ctx->retain) ? prune_run(ctx, 1) : 0;
	clock_gettime(CLOCK_MONOTONIC, &ph[1]);
	pr_init(&p, stdout, ctx->json);
	print_topo(&p, &t);
	rc = finish_stdout() || topo_incomplete(&t) || pruned ? 1 : 0;
	clock_gettime(CLOCK_MONOTONIC, &ph[2]);
	if (verbosity >= 2)
		verbose("scan: stored in %.1f ms, printed in %.1f ms", ts_diff_ms(&ph[0], &ph[1]),
			ts_diff_ms(&ph[1], &ph[2]));
out:
	topo_release(&t);
	return rc;
}

static int scan_check(struct cmd_ctx *ctx)
{
	if (!(ctx->needs & USE_DB_RW) && (retain_given(&ctx->retain) || ctx->retain.captures)) {
		error("scan: --keep, --older-than and --captures prune the database: not with "
		      "--no-store");
		return 2;
	}
	if (ctx->retain.captures && !retain_given(&ctx->retain)) {
		error("scan: --captures goes with --keep N or --older-than DURATION");
		return 2;
	}
	return 0;
}

const struct cmd_def scan_def = {
	.run = scan, .parse = scan_parse, .check = scan_check,
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
