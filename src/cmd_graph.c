/*
 * cmd_graph.c implements 'vethmap graph': a stored snapshot drawn with Graphviz.  It
 * reads only the database, so it needs no privilege beyond reading that file.
 *
 * graph_dot.c writes the DOT text; SVG and PNG are rendered in-process by libgvc
 * (graph_render.c), not by running `dot`: no shell, no PATH lookup, and Graphviz's
 * messages come back to us (they are printed as ours).  A file is written beside FILE, mode 0600 (a topology is
 * sensitive), and renamed over FILE only when complete, so a failure leaves no half file
 * (outfile.c: FIFOs and devices are written in place, symlinks refused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "graph.h"

/* ---- output ----------------------------------------------------------------------------- */

/*
 * data to file through outfile.c: "-" is standard output; a character device or FIFO is
 * written in place (a FIFO with no reader is refused, not waited for); a regular file is
 * replaced by a new one renamed over it when complete; a symlink is refused.
 */
static int write_output(const char *file, const char *data, size_t len)
{
	return outfile_put(file, data, len);
}

/* ---- the command ------------------------------------------------------------------------ */

static const char *suffix_format(const char *file)
{
	size_t n = file ? strlen(file) : 0;

	if (n > 4 && !strcmp(file + n - 4, ".svg"))
		return "svg";
	if (n > 4 && !strcmp(file + n - 4, ".png"))
		return "png";
	return "dot";
}

/*
 * The DOT text of the snapshot (alike namespaces as one node unless expand), or of
 * --focus TARGET; 2 for a bad target.
 */
static int make_dot(const struct topo *t, const char *focus, long host, int expand, char **dot,
		    size_t *len)
{
	struct graph_sel sel;
	char what[sizeof(sel.focus)];

	if (focus) {
		struct target one;
		int rc = target_one_on(t, focus, host, &one);

		if (rc)
			return rc;
		snprintf(what, sizeof(what), "%s (%s)", focus, one.what);
		graph_sel_focus(&sel, t, one.ns, one.ifc, what);
	} else {
		graph_sel_all(&sel, t);
	}
	sel.expand = expand;
	*dot = graph_dot_text(t, &sel, len);
	graph_sel_release(&sel);
	return 0;
}

struct graph_opts {
	const char *fmt, *out, *focus, *host;
	int expand;
};

static int graph_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct graph_opts *o = ctx->opts;

	switch (c) {
	case 'e': o->expand = 1; break;
	case 'f': o->focus = arg; break;
	case 'H': o->host = arg; break;
	case 'o': o->out = arg; break;
	case 'T':
		if (strcmp(arg, "dot") && strcmp(arg, "svg") && strcmp(arg, "png")) {
			error("graph: unknown format '%s': use dot, svg or png", arg);
			usage_cmd(stderr, "graph");
			return 2;
		}
		o->fmt = arg;
		break;
	}
	return 0;
}

static int graph_check(struct cmd_ctx *ctx)
{
	struct graph_opts *o = ctx->opts;

	if (!o->out || !*o->out)
		o->out = "-";
	if (!o->fmt)
		o->fmt = suffix_format(o->out);
	if (!strcmp(o->fmt, "png") && !strcmp(o->out, "-") && isatty(STDOUT_FILENO)) {
		error("graph: not writing PNG to a terminal: use -o FILE");
		return 2;
	}
	return 0;
}

static int graph(struct cmd_ctx *ctx)
{
	const struct graph_opts *o = ctx->opts;
	struct topo t;
	char *dot = NULL, *img = NULL;
	size_t dotlen = 0;
	unsigned imglen = 0;
	long host = -1;
	int rc = 1;

	topo_init(&t);
	/* --host alone draws that host; with --focus the target is that host's, and its
	   neighbours are drawn on every host (the tunnels' other ends) */
	if (history_load_view(ctx->db, ctx->scan, ctx->at, o->focus ? NULL : o->host, &t))
		goto done;
	if (o->focus && o->host) {
		host = db_cluster_host(ctx->db, &t, o->host);
		if (host < 0)
			goto done;
	}
	rc = make_dot(&t, o->focus, host, o->expand, &dot, &dotlen);
	if (rc)
		goto done;
	rc = 1;
	if (!strcmp(o->fmt, "dot"))
		rc = write_output(o->out, dot, dotlen) ? 1 : 0;
	else if (!graph_render("graph", dot, o->fmt, &img, &imglen))
		rc = write_output(o->out, img, imglen) ? 1 : 0;
	if (img)
		graph_render_free(img);
done:
	free(dot);
	topo_release(&t);
	return rc;
}

const struct cmd_def graph_def = {
	.run = graph, .parse = graph_parse,
	.check = graph_check, .size = sizeof(struct graph_opts),
	.options = (const struct cmd_opt[]){
		{ NULL, 'T', 0, "dot|svg|png", "output format (default: from -o's suffix, else dot)" },
		{ NULL, 'o', 0, "FILE", "write to FILE instead of standard output" },
		{ "focus", 0, 'f', "TARGET", "draw TARGET and its neighbours only" },
		{ "expand", 0, 'e', NULL, "draw every namespace alone (no grouping of alike ones)" },
		{ "host", 0, 'H', "NAME", "in a cluster database: that host (--focus: its TARGET)" },
		{ 0 }
	},
};
