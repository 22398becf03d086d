/*
 * cmd_diff.c implements 'vethmap diff [A [B]]': what changed between two stored
 * snapshots, one line per change ("+" added, "-" removed, "~" changed), or --json.
 * Without ids it compares the last two scans; with one, that scan and the latest.
 * Exit status 0, or with --exit-code 1 when there are changes (like git diff); 1 on
 * errors, 2 on a bad option or argument.  Reads only the database.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

/* The changes as lines ("+ kind  object  detail"), or the JSON of the README. */
static void print_changes(struct pr *p, const struct changes *c, long long from, long long to)
{
	char op[2] = "";

	pr_open_object(p, NULL);
	pr_int(p, PR_JSON, "from", NULL, from);
	pr_int(p, PR_JSON, "to", NULL, to);
	pr_open_array(p, "changes", 1);
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];

		op[0] = x->op;
		pr_open_object(p, NULL);
		pr_str(p, PR_ANY, "op", "%s ", op);
		pr_str(p, PR_ANY, "kind", "%-9s  ", x->kind);
		pr_str(p, PR_ANY, "object", "%s", x->object);
		pr_str(p, *x->detail ? PR_ANY : PR_JSON, "detail", "  %s", x->detail);
		pr_close_object(p);
		pr_text(p, "\n");
	}
	pr_close_array(p);
	pr_close_object(p);
}

struct diff_opts {
	int exit_code;
	int nids;
	long long id[2];
};

static int diff_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct diff_opts *o = ctx->opts;

	(void)c;
	(void)arg;
	o->exit_code = 1;	/* --exit-code */
	return 0;
}

/* Operands: up to two scan ids. */
static int diff_check(struct cmd_ctx *ctx)
{
	struct diff_opts *o = ctx->opts;

	for (int i = 0; i < ctx->argc; i++) {
		if (i == 2)
			return arg_error("diff", ctx->argv[i]);
		if (parse_scan_id("diff", ctx->argv[i], &o->id[i])) {
			usage_cmd(stderr, "diff");
			return 2;
		}
		o->nids++;
	}
	return 0;
}

static int diff(struct cmd_ctx *ctx)
{
	struct diff_opts *o = ctx->opts;
	long long id[2] = { o->id[0], o->id[1] }, last[2];
	struct topo a, b;
	struct changes ch = { 0 };
	struct pr p;
	int n, rc = 1;

	n = db_last_scans(ctx->db, last, 2);
	if (n >= 0 && n < 2)
		error("need two scans to compare");
	if (n < 2)
		return 1;
	if (o->nids == 0) {
		id[0] = last[1];
		id[1] = last[0];
	} else if (o->nids == 1) {
		id[1] = last[0];
	}
	topo_init(&a);
	topo_init(&b);
	if (!db_load(ctx->db, id[0], &a) && !db_load(ctx->db, id[1], &b)) {
		diff_topos(&a, &b, &ch);
		/* what an incomplete scan lacks is not gone: say so once per side */
		if (topo_incomplete(&a))
			warnx("scan %lld is incomplete (%s): its namespaces may be missing", a.scan_id,
			      a.incomplete_reason[0] ? a.incomplete_reason : "lookup deadline");
		if (topo_incomplete(&b))
			warnx("scan %lld is incomplete (%s): namespaces missing from it may still exist",
			      b.scan_id, b.incomplete_reason[0] ? b.incomplete_reason : "lookup deadline");
		pr_init(&p, stdout, ctx->json);
		print_changes(&p, &ch, id[0], id[1]);
		rc = finish_stdout() ? 1 : o->exit_code && ch.n ? 1 : 0;
	}
	changes_release(&ch);
	topo_release(&a);
	topo_release(&b);
	return rc;
}

const struct cmd_def diff_def = {
	.run = diff, .parse = diff_parse, .check = diff_check,
	.size = sizeof(struct diff_opts),
	.options = (const struct cmd_opt[]){
		{ "exit-code", 0, 'e', NULL, "exit 1 when anything changed, as git diff --exit-code" },
		{ 0 }
	},
};
