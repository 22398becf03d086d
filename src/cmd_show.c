/*
 * cmd_show.c implements 'vethmap show' and 'vethmap scans': read-only views of the
 * database.  They need no privilege beyond reading the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "vethmap.h"

struct show_opts {
	const char *host;
};

static int show_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct show_opts *o = ctx->opts;

	if (c == 'H')
		o->host = arg;
	return 0;
}

static int show(struct cmd_ctx *ctx)
{
	const struct show_opts *o = ctx->opts;
	struct topo t;
	struct pr p;
	int rc = 1;

	topo_init(&t);
	if (!history_load_view(ctx->db, ctx->scan, ctx->at, o->host, &t)) {
		pr_init(&p, stdout, ctx->json);
		print_topo(&p, &t);
		rc = finish_stdout() ? 1 : 0;
	}
	topo_release(&t);
	return rc;
}

const struct cmd_def show_def = {
	.run = show, .parse = show_parse, .size = sizeof(struct show_opts),
	.options = (const struct cmd_opt[]){
		{ "host", 0, 'H', "NAME", "in a cluster database: that host's snapshot only" },
		{ 0 }
	},
};

/* One line per snapshot, or the JSON array of the README. */
static void print_scans(struct pr *p, const struct scan_info *v, size_t n)
{
	pr_text(p, "%-6s %-24s %-20s %10s %6s %6s %6s %10s\n", "ID", "STARTED", "HOST",
		"DURATION", "NETNS", "IFACES", "EDGES", "UNRESOLVED");
	pr_open_array(p, NULL, 1);
	for (size_t i = 0; i < n; i++) {
		pr_open_object(p, NULL);
		pr_int(p, PR_ANY, "id", "%-6s ", v[i].id);
		pr_str(p, PR_ANY, "started", "%-24s ", v[i].started);
		pr_str(p, PR_ANY, "host", "%-20s", v[i].host);
		pr_double(p, PR_ANY, "duration_ms", " %8.1fms", v[i].duration_ms);
		pr_int(p, PR_ANY, "netns", " %6s", v[i].n_netns);
		pr_int(p, PR_ANY, "interfaces", " %6s", v[i].n_ifaces);
		pr_int(p, PR_ANY, "edges", " %6s", v[i].n_edges);
		pr_int(p, PR_ANY, "unresolved", " %10s", v[i].n_unresolved);
		pr_bool(p, PR_JSON, "incomplete", NULL, v[i].incomplete);
		pr_int(p, PR_JSON, "missed", NULL, v[i].missed);
		if (v[i].incomplete)
			pr_int(p, PR_TEXT, NULL, "  incomplete (%s missed)", v[i].missed);
		pr_bool(p, PR_JSON, "unchanged", NULL, v[i].same_as > 0);
		if (v[i].same_as > 0)
			pr_int(p, PR_ANY, "same_as", "  unchanged (as %s)", v[i].same_as);
		else
			pr_null(p, PR_JSON, "same_as", NULL);
		pr_close_object(p);
		pr_text(p, "\n");
	}
	pr_close_array(p);
}

static int scans(struct cmd_ctx *ctx)
{
	struct scan_info *v = NULL;
	size_t n = 0;
	struct pr p;
	int rc;

	rc = db_scans(ctx->db, &v, &n) ? 1 : 0;
	if (!rc) {
		pr_init(&p, stdout, ctx->json);
		print_scans(&p, v, n);
		rc = finish_stdout() ? 1 : 0;
	}
	free(v);
	return rc;
}

const struct cmd_def scans_def = { .run = scans };
