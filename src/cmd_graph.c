/*
 * cmd_graph.c implements 'vethmap graph': a stored snapshot drawn with Graphviz.  It
 * reads only the database, so it needs no privilege beyond reading that file.
 *
 * graph_dot.c writes the DOT text; SVG and PNG are rendered in-process by libgvc, not by
 * running `dot`: no shell, no PATH lookup, and Graphviz's messages come back here (they
 * are printed as ours).  A file is written beside FILE, mode 0600 (a topology is
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

#include <gvc.h>
#include <sqlite3.h>

#include "graph.h"

/* ---- Graphviz messages ------------------------------------------------------------------ */

static char gv_line[512];
static size_t gv_len;

static void gv_flush(void)
{
	char esc[sizeof(gv_line) * 4];

	if (!gv_len)
		return;
	gv_line[gv_len] = '\0';
	gv_len = 0;
	error("graph: graphviz: %s", text_esc(esc, sizeof(esc), gv_line));
}

/* agseterrf() callback: Graphviz hands over a message in pieces; print whole lines. */
static int gv_msg(char *piece)
{
	for (; *piece; piece++) {
		if (*piece == '\n') {
			gv_flush();
			continue;
		}
		if (gv_len == sizeof(gv_line) - 1)
			gv_flush();
		gv_line[gv_len++] = *piece;
	}
	return 0;
}

/*
 * A PNG bigger than Cairo's 32767-pixel limit would be scaled down by Graphviz with a
 * message on stderr that does not come through agerr; scale it here instead, and keep
 * the bitmap under BITMAP_MAX_PIXELS (a tall graph of hundreds of containers).
 */
#define BITMAP_MAX_SIDE 32000.0
#define BITMAP_MAX_PIXELS 64e6

static void fit_bitmap(Agraph_t *g)
{
	double dpi = GD_drawing(g)->dpi > 0 ? GD_drawing(g)->dpi : 96;
	double w = (GD_bb(g).UR.x - GD_bb(g).LL.x + 8) * dpi / 72;
	double h = (GD_bb(g).UR.y - GD_bb(g).LL.y + 8) * dpi / 72;
	double scale = 1;

	if (w > BITMAP_MAX_SIDE || h > BITMAP_MAX_SIDE)
		scale = BITMAP_MAX_SIDE / (w > h ? w : h);
	while (w * h * scale * scale > BITMAP_MAX_PIXELS)
		scale *= 0.95;
	if (scale < 1)
		GD_drawing(g)->dpi = dpi * scale;
}

/*
 * Lay out the DOT text and render it as fmt (svg, png) into *out (gvFreeRenderData).
 * Once per process: Graphviz 2.43's Pango plugin reads freed memory when a second
 * context follows one that was freed (tests/unit/graph_test.c keeps one context).
 */
static int render(const char *dot, const char *fmt, char **out, unsigned *len)
{
	agusererrf old = agseterrf(gv_msg);
	GVC_t *gvc = gvContext();
	Agraph_t *g = NULL;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!gvc) {
		error("graph: cannot start Graphviz");
		goto out;
	}
	g = agmemread(dot);
	if (!g) {
		gv_flush();
		error("graph: Graphviz refused the DOT text (a bug in vethmap)");
		goto out;
	}
	if (gvLayout(gvc, g, "dot")) {
		gv_flush();
		error("graph: Graphviz layout failed");
		goto out;
	}
	if (!strcmp(fmt, "png"))
		fit_bitmap(g);
	if (gvRenderData(gvc, g, fmt, out, len) || !*out) {
		gv_flush();
		error("graph: Graphviz could not render %s", fmt);
		if (*out)
			gvFreeRenderData(*out);
		*out = NULL;
	} else {
		rc = 0;
	}
	gvFreeLayout(gvc, g);
out:
	if (g)
		agclose(g);
	if (gvc)
		gvFreeContext(gvc);
	gv_flush();
	agseterrf(old);
	return rc;
}

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
static int make_dot(const struct topo *t, const char *focus, int expand, char **dot,
		    size_t *len)
{
	struct graph_sel sel;
	char what[sizeof(sel.focus)];
	FILE *f;

	if (focus) {
		struct target one;
		int rc = target_one(t, focus, &one);

		if (rc)
			return rc;
		snprintf(what, sizeof(what), "%s (%s)", focus, one.what);
		graph_sel_focus(&sel, t, one.ns, one.ifc, what);
	} else {
		graph_sel_all(&sel, t);
	}
	sel.expand = expand;
	f = open_memstream(dot, len);
	if (!f)
		die("out of memory");
	graph_dot(f, t, &sel);
	if (fclose(f))
		die("out of memory");
	graph_sel_release(&sel);
	return 0;
}

struct graph_opts {
	const char *fmt, *out, *focus;
	int expand;
};

static int graph_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct graph_opts *o = ctx->opts;

	switch (c) {
	case 'e': o->expand = 1; break;
	case 'f': o->focus = arg; break;
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
	int rc = 1;

	topo_init(&t);
	if (db_load(ctx->db, ctx->scan, &t))
		goto done;
	rc = make_dot(&t, o->focus, o->expand, &dot, &dotlen);
	if (rc)
		goto done;
	rc = 1;
	if (!strcmp(o->fmt, "dot"))
		rc = write_output(o->out, dot, dotlen) ? 1 : 0;
	else if (!render(dot, o->fmt, &img, &imglen))
		rc = write_output(o->out, img, imglen) ? 1 : 0;
	if (img)
		gvFreeRenderData(img);
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
		{ 0 }
	},
};
