/*
 * cmd_prune.c implements 'vethmap prune': delete old snapshots as --keep N and
 * --older-than DURATION say (the dispatcher parses them, for 'scan' too), and give the
 * space back.  Capture audit rows stay unless --captures.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/stat.h>

#include "vethmap.h"

/* Prune ctx->db as ctx->retain says, and say what was done (to stdout, or with quiet only
 * with -v, to stderr); 0 or 1. */
int prune_run(struct cmd_ctx *ctx, int quiet)
{
	struct prune_result res;
	struct pr p;

	if (db_prune(ctx->db, &ctx->retain, &res))
		return 1;
	if (quiet) {
		verbose("pruned %zu snapshots, kept %zu (%zu as the base of an unchanged one), "
			"%lld capture rows deleted; %lld bytes before, %lld after",
			res.deleted, res.kept, res.bases, res.captures, res.bytes_before,
			res.bytes_after);
		return 0;
	}
	pr_init(&p, stdout, ctx->json);
	pr_open_object(&p, NULL);
	pr_uint(&p, PR_ANY, "deleted", "pruned %s snapshots", res.deleted);
	pr_uint(&p, PR_ANY, "kept", ", kept %s", res.kept);
	pr_uint(&p, PR_ANY, "kept_as_base", " (%s as the base of an unchanged one)", res.bases);
	pr_int(&p, PR_ANY, "captures_deleted", ", %s capture rows deleted", res.captures);
	pr_int(&p, PR_ANY, "bytes_before", "; %s bytes before", res.bytes_before);
	pr_int(&p, PR_ANY, "bytes_after", ", %s after", res.bytes_after);
	pr_str(&p, PR_ANY, "vacuum", " (vacuum: %s)", res.vacuum);
	pr_close_object(&p);
	pr_text(&p, "\n");
	return finish_stdout() ? 1 : 0;
}

static int prune_check(struct cmd_ctx *ctx)
{
	const char *path = db_path(ctx->db_opt);
	struct stat st;

	if (!retain_given(&ctx->retain)) {
		error("prune: say what to delete: --keep N and/or --older-than DURATION");
		usage_cmd(stderr, ctx->name);
		return 2;
	}
	if (lstat(path, &st)) {	/* a writer would make it: there is nothing to prune */
		error("cannot prune database '%s':", path);
		return 1;
	}
	return 0;
}

static int prune(struct cmd_ctx *ctx)
{
	return prune_run(ctx, 0);
}

const struct cmd_def prune_def = { .run = prune, .check = prune_check };
