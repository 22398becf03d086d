/*
 * graph_plan.h - what graph_dot.c draws and in which order (graph_plan.c): the drawing's
 * plan, made once from a snapshot and a selection, and the groups of alike namespaces
 * drawn as one node.  Private to the graph code.
 */
#ifndef VETHMAP_GRAPH_PLAN_H
#define VETHMAP_GRAPH_PLAN_H

#include "graph.h"

/*
 * A group: namespaces that look alike (graph.h: COLLAPSE_MIN) hanging off one host
 * bridge.  Its namespace-side interfaces are drawn as node gn<k>, its host ends as node
 * gh<k> in the host's cluster; nothing else of theirs is drawn.
 */
struct group {
	size_t bridge;		/* the host bridge (index into topo.ifs) */
	int up_in, up_host;	/* up state of the namespace end and of the host end */
	size_t *ifc;		/* members' own interfaces (one each), in drawing order */
	size_t n, alloc;
};

struct groups {
	struct group *v;
	size_t n, alloc;
	size_t *of;		/* per namespace: 1 + its group, 0 = drawn as itself */
	size_t host;		/* the host's namespace */
};

struct plan {
	const struct topo *t;
	const struct graph_sel *s;
	unsigned *depth;	/* per namespace: veth/lower hops from the host */
	long *uplink;		/* per namespace: bridge (or lower device) it hangs off, or -1 */
	long *upif;		/* per namespace: its own end of that veth, or -1 */
	size_t *edge_of;	/* per interface: id of its veth or lower edge, 0 = none */
	const char **label;	/* per namespace: topo_ns_label() */
	char (*labbuf)[32];
	size_t *order;		/* namespaces in drawing order */
	size_t *pos;		/* per namespace: its place in order */
	size_t *drawn;		/* per namespace: interfaces drawn */
	size_t *by_ns;		/* interfaces by namespace (then by index) */
	size_t *first;		/* per namespace + 1: where its interfaces start in by_ns */
	const char **ctr;	/* per namespace: topo_ns_container() */
	long *parent;		/* per namespace: its node container's namespace, drawn around
				   it (a nested engine's, as kind's pods in their node), or -1 */
	const char **nodekey;	/* per namespace: a node that is no container ("pid:N"), drawn
				   as a cluster around its namespaces, or NULL */
	struct groups *g;	/* alike namespaces drawn as one node, or NULL */
};

void plan_init(struct plan *p, const struct topo *t, const struct graph_sel *s);
void plan_release(struct plan *p);
int plan_cmp_iface(const void *x, const void *y, void *ctx);	/* qsort_r, ctx = plan */
void collapse_plan(struct plan *p, struct groups *g, struct graph_sel *mine);
void groups_release(struct groups *g, struct graph_sel *mine);

#endif
