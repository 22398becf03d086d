/*
 * output.c implements the human-readable table of 'vethmap scan' and 'vethmap show': one
 * block per namespace, one line per interface, peers written NETNS:IFNAME.  Names are
 * escaped (\xNN) so a hostile interface name cannot break the layout or the terminal.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <string.h>

#include "vethmap.h"

/* s escaped for a terminal into buf (truncated to fit). */
static const char *esc(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < size; p++) {
		if (*p == '\\') {
			buf[n++] = '\\';
			buf[n++] = '\\';
		} else if (isprint(*p) && *p < 0x80) {
			buf[n++] = (char)*p;
		} else {
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", *p);
		}
	}
	buf[n] = '\0';
	return buf;
}

static void peer_text(const struct topo *t, const struct iface *ifc, char *buf, size_t size)
{
	char lab[32], name[IFNAME_MAX * 4], nsl[512];
	const struct iface *p;

	buf[0] = '\0';
	if (ifc->peer < 0) {
		for (size_t u = 0; u < t->nunres; u++)
			if (&t->ifs[t->unres[u].ifc] == ifc && !strcmp(ifc->kind, "veth")) {
				snprintf(buf, size, "(unresolved)");
				return;
			}
		return;
	}
	p = &t->ifs[ifc->peer];
	esc(nsl, sizeof(nsl), topo_ns_label(t, p->ns, lab, sizeof(lab)));
	snprintf(buf, size, "%s:%s", nsl, esc(name, sizeof(name), p->name));
}

struct widths {
	int name, kind, peer, master;
};

static void measure(const struct topo *t, struct widths *w)
{
	char buf[1024];

	w->name = 5;		/* "IFACE" */
	w->kind = 4;
	w->peer = 4;
	w->master = 6;
	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *ifc = &t->ifs[i];
		long m = ifc->master ? topo_find_iface(t, ifc->ns, ifc->master) : -1;
		int n;

		n = (int)strlen(esc(buf, sizeof(buf), ifc->name));
		if (n > w->name)
			w->name = n;
		n = (int)strlen(esc(buf, sizeof(buf), ifc->kind));
		if (n > w->kind)
			w->kind = n;
		peer_text(t, ifc, buf, sizeof(buf));
		n = (int)strlen(buf);
		if (n > w->peer)
			w->peer = n;
		if (m >= 0) {
			n = (int)strlen(esc(buf, sizeof(buf), t->ifs[m].name));
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
	for (size_t k = 0; k < n->names.n; k++)
		fprintf(f, " %s", esc(buf, sizeof(buf), n->names.v[k]));
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
	char name[IFNAME_MAX * 4], kind[KIND_MAX * 4], peer[1024], master[IFNAME_MAX * 4];
	size_t i = 0;

	measure(t, &w);
	for (size_t ns = 0; ns < t->nns; ns++) {
		print_ns_header(f, t, ns);
		if (t->ns[ns].dump_error)
			fprintf(f, "  (interfaces unknown: dump failed)\n");
		for (; i < t->nifs && t->ifs[i].ns == ns; i++) {
			const struct iface *ifc = &t->ifs[i];
			long m = ifc->master ? topo_find_iface(t, ifc->ns, ifc->master) : -1;

			peer_text(t, ifc, peer, sizeof(peer));
			fprintf(f, "  %-*s %-*s %-5s %-*s %-*s", w.name, esc(name, sizeof(name), ifc->name),
				w.kind, esc(kind, sizeof(kind), ifc->kind),
				ifc->flags & 1u ? (strcmp(ifc->oper, "down") ? "up" : "up/nc") : "down",
				w.peer, peer, w.master,
				m >= 0 ? esc(master, sizeof(master), t->ifs[m].name) : "");
			for (size_t k = 0; k < ifc->naddrs; k++)
				fprintf(f, " %s", ifc->addrs[k].text);
			fputc('\n', f);
		}
	}
	if (t->nunres) {
		fprintf(f, "unresolved:\n");
		for (size_t u = 0; u < t->nunres; u++) {
			const struct iface *ifc = &t->ifs[t->unres[u].ifc];
			char lab[32], nsl[512];

			esc(nsl, sizeof(nsl), topo_ns_label(t, ifc->ns, lab, sizeof(lab)));
			fprintf(f, "  %s:%s: %s\n", nsl, esc(name, sizeof(name), ifc->name),
				t->unres[u].reason);
		}
	}
}
