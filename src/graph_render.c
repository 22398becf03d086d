/*
 * graph_render.c implements the rendering of a DOT text (graph_dot.c) as SVG or PNG with
 * libgvc, in-process: no `dot` run, no shell, no PATH lookup.  Graphviz's messages come
 * back through agseterrf() and are printed as the calling command's own, one line each.
 * 'vethmap graph' -T svg|png and 'vethmap report --format html' (its drawing) use it.
 */
#define _GNU_SOURCE
#include <string.h>

#include <gvc.h>

#include "graph.h"

static char gv_line[512];
static size_t gv_len;
static const char *gv_who = "graph";	/* the command the messages are printed for */

static void gv_flush(void)
{
	char esc[sizeof(gv_line) * 4];

	if (!gv_len)
		return;
	gv_line[gv_len] = '\0';
	gv_len = 0;
	error("%s: graphviz: %s", gv_who, text_esc(esc, sizeof(esc), gv_line));
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
 * Lay out the DOT text and render it as fmt (svg, png) into *out (graph_render_free).
 * Once per process: Graphviz 2.43's Pango plugin reads freed memory when a second
 * context follows one that was freed (tests/unit/graph_test.c keeps one context).
 */
int graph_render(const char *who, const char *dot, const char *fmt, char **out,
		 unsigned *len)
{
	agusererrf old;
	GVC_t *gvc;
	Agraph_t *g = NULL;
	int rc = -1;

	gv_who = who;
	old = agseterrf(gv_msg);
	gvc = gvContext();
	*out = NULL;
	*len = 0;
	if (!gvc) {
		error("%s: cannot start Graphviz", who);
		goto out;
	}
	g = agmemread(dot);
	if (!g) {
		gv_flush();
		error("%s: Graphviz refused the DOT text (a bug in vethmap)", who);
		goto out;
	}
	if (gvLayout(gvc, g, "dot")) {
		gv_flush();
		error("%s: Graphviz layout failed", who);
		goto out;
	}
	if (!strcmp(fmt, "png"))
		fit_bitmap(g);
	if (gvRenderData(gvc, g, fmt, out, len) || !*out) {
		gv_flush();
		error("%s: Graphviz could not render %s", who, fmt);
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

void graph_render_free(char *out)
{
	if (out)
		gvFreeRenderData(out);
}
