/*
 * graph.h - 'vethmap graph': what to draw (graph_plan.c) and its DOT text (graph_dot.c).
 *
 * graph_dot.c does no I/O beyond the FILE it is given; graph_render.c renders with libgvc;
 * cmd_graph.c reads the database and writes the file (cmd_report.c draws its page's picture).
 */
#ifndef VETHMAP_GRAPH_H
#define VETHMAP_GRAPH_H

#include "vethmap.h"

/*
 * What to draw.  on[i]: interface topo.ifs[i] is a node.  whole[ns]: namespace ns was
 * chosen whole (its cluster is drawn even when it has nothing but lo).  An edge is drawn
 * when both its ends are.  Owned by the struct: graph_sel_release() frees it.
 */
struct graph_sel {
	unsigned char *on;
	unsigned char *whole;
	char focus[320];	/* what --focus named, shown in the title; "" = everything */
	int expand;		/* 1: every namespace its own cluster, alike ones too */
};

/*
 * Alike namespaces (graph_plan.c, collapse_plan): without --focus or --expand, at least
 * COLLAPSE_MIN namespaces that each hold one interface besides lo, a veth whose peer is a
 * port of the same host bridge, both ends in the same up/down state, with no other edge,
 * no container, no unresolved end, no hairpin and no failed dump, are drawn as one node
 * "N namespaces" (and their host ends as one node "N veths" in the host's cluster).
 */
#define COLLAPSE_MIN 3

/* graph_plan.c: the selection */
void graph_sel_all(struct graph_sel *s, const struct topo *t);
void graph_sel_focus(struct graph_sel *s, const struct topo *t, long ns, long ifc,
		     const char *what);
void graph_sel_release(struct graph_sel *s);
/* graph_dot.c: the text */
void dot_html(FILE *f, const char *s);
void graph_dot(FILE *f, const struct topo *t, const struct graph_sel *s);
char *graph_dot_text(const struct topo *t, const struct graph_sel *s, size_t *len);

/*
 * graph_render.c: the DOT text dot laid out and rendered as fmt ("svg", "png") into *out,
 * *len bytes (free with graph_render_free()); 0, or -1 after one line naming who (the
 * command).  Once per process (see there).
 */
int graph_render(const char *who, const char *dot, const char *fmt, char **out,
		 unsigned *len);
void graph_render_free(char *out);

#endif
