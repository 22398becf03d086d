/*
 * output.c implements the human-readable table of 'vethmap scan' and 'vethmap show': one
 * block per namespace, one line per interface, peers written NETNS:IFNAME.  Names are
 * escaped (\xNN) so a hostile interface name cannot break the layout or the terminal.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

/* Per interface, computed once: its lower edge's parent and whether it is unresolved. */
struct ifinfo {
	long *lower;		/* index of the parent, -1 = none */
	char *unresolved;
};

static void ifinfo_init(struct ifinfo *x, const struct topo *t)
{
	size_t n = t->nifs ? t->nifs : 1;

	x->lower = xmalloc(n * sizeof(*x->lower));
	x->unresolved = xcalloc(n, 1);
	for (size_t i = 0; i < t->nifs; i++)
		x->lower[i] = -1;
	for (size_t e = 0; e < t->nedges; e++)
		if (t->edges[e].type == EDGE_LOWER && x->lower[t->edges[e].a] < 0)
			x->lower[t->edges[e].a] = (long)t->edges[e].b;
	for (size_t u = 0; u < t->nunres; u++)
		x->unresolved[t->unres[u].ifc] = 1;
}

static void ifinfo_release(struct ifinfo *x)
{
	free(x->lower);
	free(x->unresolved);
}

/* NETNS:IFNAME of a veth peer, @NETNS:IFNAME of a lower device, or (unresolved). */
static void peer_text(const struct topo *t, const struct ifinfo *x, size_t i, char *buf,
		      size_t size)
{
	const struct iface *ifc = &t->ifs[i];
	char lab[32], name[IFNAME_MAX * 4], nsl[512];
	long p = ifc->peer >= 0 ? ifc->peer : x->lower[i];

	buf[0] = '\0';
	if (p < 0) {
		if (x->unresolved[i] && !strcmp(ifc->kind, "veth"))
			snprintf(buf, size, "(unresolved)");
		return;
	}
	text_esc(nsl, sizeof(nsl), topo_ns_label(t, t->ifs[p].ns, lab, sizeof(lab)));
	snprintf(buf, size, "%s%s:%s", ifc->peer >= 0 ? "" : "@", nsl,
		 text_esc(name, sizeof(name), t->ifs[p].name));
}

struct widths {
	int name, kind, peer, master;
};

static void measure(const struct topo *t, const struct ifinfo *x, struct widths *w)
{
	char buf[1024];

	w->name = 5;		/* "IFACE" */
	w->kind = 4;
	w->peer = 4;	/* "PEER" */
	w->master = 6;
	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *ifc = &t->ifs[i];
		long m = ifc->master ? topo_find_iface(t, ifc->ns, ifc->master) : -1;
		int n;

		n = (int)strlen(text_esc(buf, sizeof(buf), ifc->name));
		if (n > w->name)
			w->name = n;
		n = (int)strlen(text_esc(buf, sizeof(buf), ifc->kind));
		if (n > w->kind)
			w->kind = n;
		peer_text(t, x, i, buf, sizeof(buf));
		n = (int)strlen(buf);
		if (n > w->peer)
			w->peer = n;
		if (m >= 0) {
			n = (int)strlen(text_esc(buf, sizeof(buf), t->ifs[m].name));
			if (n > w->master)
				w->master = n;
		}
	}
}

static void print_ns_header(FILE *f, const struct topo *t, size_t i)
{
	const struct netns *n = &t->ns[i];
	char buf[1024];
	int first = 1;

	fprintf(f, "netns %llu%s", (unsigned long long)n->ino, n->is_host ? " (host)" : "");
	for (size_t k = 0; k < t->nctrs; k++) {
		const struct container *c = &t->ctrs[k];
		char eng[sizeof(c->engine) * 4];

		if (c->ns != (long)i)
			continue;
		fprintf(f, " %s:%s%s%s", text_esc(eng, sizeof(eng), c->engine),
			text_esc(buf, sizeof(buf), c->name),
			c->sandbox ? "(sandbox)" : "", c->verified ? "" : "(unverified)");
	}
	for (size_t k = 0; k < n->names.n; k++)
		fprintf(f, " %s", text_esc(buf, sizeof(buf), n->names.v[k]));
	fputs("  via ", f);
	for (int k = 0; k < VIA_COUNT; k++)
		if (n->via & (1u << k)) {
			fprintf(f, "%s%s", first ? "" : ",", via_names[k]);
			first = 0;
		}
	if (n->pids.n) {
		fputs("  pids", f);
		for (size_t k = 0; k < n->pids.n && k < 5; k++)
			fprintf(f, "%s%d", k ? "," : " ", n->pids.v[k]);
		if (n->pids.n > 5)
			fprintf(f, " (+%zu)", n->pids.n - 5);
	} else {
		fputs("  no process", f);
	}
	fputc('\n', f);
}

void print_topo(FILE *f, const struct topo *t)
{
	struct widths w;
	struct ifinfo x;
	char name[IFNAME_MAX * 4], kind[KIND_MAX * 4], peer[1024], master[IFNAME_MAX * 4];
	size_t i = 0;

	ifinfo_init(&x, t);
	measure(t, &x, &w);
	size_t *edge_of = xcalloc(t->nifs ? t->nifs : 1, sizeof(*edge_of));

	/* the id of each end's veth or lower edge, for 'vethmap cap eN' */
	for (size_t e = t->nedges; e-- > 0;)
		if (t->edges[e].type == EDGE_VETH || t->edges[e].type == EDGE_LOWER) {
			edge_of[t->edges[e].a] = e + 1;
			if (t->edges[e].type == EDGE_VETH)
				edge_of[t->edges[e].b] = e + 1;
		}
	fprintf(f, "  %-*s %-*s %-5s %-5s %-*s %-*s %s\n", w.name, "IFACE", w.kind, "KIND", "STATE",
		"EDGE", w.peer, "PEER", w.master, "MASTER", "ADDRS");
	for (size_t ns = 0; ns < t->nns; ns++) {
		print_ns_header(f, t, ns);
		if (t->ns[ns].dump_error)
			fprintf(f, "  (interfaces unknown: dump failed)\n");
		for (; i < t->nifs && t->ifs[i].ns == ns; i++) {
			const struct iface *ifc = &t->ifs[i];
			long m = ifc->master ? topo_find_iface(t, ifc->ns, ifc->master) : -1;

			char line[2048];
			size_t n;

			char eid[24] = "";

			if (edge_of[i])
				snprintf(eid, sizeof(eid), "e%zu", edge_of[i]);
			peer_text(t, &x, i, peer, sizeof(peer));
			n = (size_t)snprintf(line, sizeof(line), "  %-*s %-*s %-5s %-5s %-*s %-*s", w.name,
					     text_esc(name, sizeof(name), ifc->name), w.kind,
					     text_esc(kind, sizeof(kind), ifc->kind),
					     ifc->flags & 1u ? "up" : "down", eid, w.peer, peer, w.master,
					     m >= 0 ? text_esc(master, sizeof(master), t->ifs[m].name) : "");
			for (size_t k = 0; k < ifc->naddrs && n < sizeof(line); k++) {
				char a[sizeof(ifc->addrs[k].text) * 4];

				n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
						      text_esc(a, sizeof(a), ifc->addrs[k].text));
			}
			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			while (n && line[n - 1] == ' ')
				n--;
			line[n] = '\0';
			fprintf(f, "%s\n", line);
		}
	}
	free(edge_of);
	ifinfo_release(&x);
	if (t->nunres) {
		fprintf(f, "unresolved:\n");
		for (size_t u = 0; u < t->nunres; u++) {
			const struct iface *ifc = &t->ifs[t->unres[u].ifc];
			char lab[32], nsl[512], why[sizeof(t->unres[u].reason) * 4];

			text_esc(nsl, sizeof(nsl), topo_ns_label(t, ifc->ns, lab, sizeof(lab)));
			fprintf(f, "  %s:%s: %s\n", nsl, text_esc(name, sizeof(name), ifc->name),
				text_esc(why, sizeof(why), t->unres[u].reason));
		}
	}
}
