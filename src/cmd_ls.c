/*
 * cmd_ls.c implements 'vethmap ls': for every container, each interface of its
 * namespace with the host-side end of its veth and the bridge that end hangs off.  Live
 * by default (a scan that is not stored); --stored or --scan ID read the database.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

/* The bridge (or other master) of interface i, or NULL. */
static const struct iface *master_of(const struct topo *t, const struct iface *ifc)
{
	long m = ifc->master ? topo_find_iface(t, ifc->ns, ifc->master) : -1;

	return m < 0 ? NULL : &t->ifs[m];
}

/*
 * The host-side end for interface ifc: its veth peer, followed one namespace further
 * when the peer sits in an intermediate namespace (a node or pod infra namespace) that
 * itself has a veth to the host through the same bridge domain.  *via is set to that
 * intermediate end, or NULL.
 */
static const struct iface *host_peer(const struct topo *t, const struct iface *ifc,
				     const struct iface **via)
{
	const struct iface *p;

	*via = NULL;
	if (ifc->peer < 0)
		return NULL;
	p = &t->ifs[ifc->peer];
	if (t->ns[p->ns].is_host)
		return p;
	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *x = &t->ifs[i];

		if (x->ns != p->ns || x == p || x->peer < 0 || !t->ns[t->ifs[x->peer].ns].is_host)
			continue;
		*via = p;
		return &t->ifs[x->peer];
	}
	return p;
}

struct row {
	const struct container *c;
	const struct iface *ifc;	/* NULL: host network, or no interface at all */
};

static void row_text(const struct topo *t, const struct row *r, char cols[7][512])
{
	char a[128], b[128], l[200], lab[32];
	const struct iface *via, *hp, *br;

	text_esc(cols[0], 512, r->c->name);
	text_esc(cols[1], 512, r->c->engine);
	if (r->c->host_net)
		snprintf(cols[2], 512, "host");
	else
		text_esc(cols[2], 512, topo_ns_label(t, (size_t)r->c->ns, lab, sizeof(lab)));
	for (int k = 3; k < 7; k++)
		snprintf(cols[k], 512, "-");
	if (!r->ifc) {
		if (r->c->host_net)
			snprintf(cols[3], 512, "(host network)");
		return;
	}
	text_esc(cols[3], 512, r->ifc->name);
	hp = host_peer(t, r->ifc, &via);
	if (hp && via) {
		text_esc(a, sizeof(a), via->name);
		text_esc(b, sizeof(b), hp->name);
		text_esc(l, sizeof(l), topo_ns_label(t, via->ns, lab, sizeof(lab)));
		snprintf(cols[4], 512, "%s:%s>%s", l, a, b);
	} else if (hp) {
		text_esc(a, sizeof(a), hp->name);
		if (t->ns[hp->ns].is_host)
			snprintf(cols[4], 512, "%s", a);
		else
			snprintf(cols[4], 512, "%s:%s", text_esc(l, sizeof(l),
				 topo_ns_label(t, hp->ns, lab, sizeof(lab))), a);
	}
	br = hp ? master_of(t, hp) : NULL;
	if (br)
		text_esc(cols[5], 512, br->name);
	cols[6][0] = '\0';
	for (size_t k = 0; k < r->ifc->naddrs; k++) {
		size_t n = strlen(cols[6]);

		snprintf(cols[6] + n, 512 - n, "%s%s", k ? "," : "",
			 text_esc(a, sizeof(a), r->ifc->addrs[k].text));
	}
	if (!cols[6][0])
		snprintf(cols[6], 512, "-");
}

static struct row *make_rows(const struct topo *t, size_t *nrows)
{
	struct row *rows = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];
		size_t before = n;
		const struct iface *lo = NULL;

		if (c->ns < 0)
			continue;
		for (size_t k = 0; !c->host_net && k < t->nifs; k++) {
			const struct iface *x = &t->ifs[k];

			if (x->ns != (size_t)c->ns)
				continue;
			if (!strcmp(x->kind, "loopback")) {
				lo = x;
				continue;
			}
			rows = grow(rows, &alloc, n + 1, sizeof(*rows));
			rows[n].c = c;
			rows[n++].ifc = x;
		}
		if (n == before) {	/* host network, or only lo (--network none) */
			rows = grow(rows, &alloc, n + 1, sizeof(*rows));
			rows[n].c = c;
			rows[n++].ifc = c->host_net ? NULL : lo;
		}
	}
	*nrows = n;
	return rows;
}

static void print_json(const struct topo *t, const struct row *rows, size_t n)
{
	fputs("[", stdout);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct iface *via, *hp = r->ifc ? host_peer(t, r->ifc, &via) : NULL;
		const struct iface *br = hp ? master_of(t, hp) : NULL;

		fputs(i ? ",\n  {\"container\": " : "\n  {\"container\": ", stdout);
		json_str(stdout, r->c->name);
		fputs(", \"engine\": ", stdout);
		json_str(stdout, r->c->engine);
		fputs(", \"id\": ", stdout);
		json_str(stdout, r->c->id);
		fprintf(stdout, ", \"pid\": %d, \"netns\": %llu, \"host_network\": %s, \"iface\": ",
			r->c->pid, (unsigned long long)t->ns[r->c->ns].ino,
			r->c->host_net ? "true" : "false");
		if (r->ifc)
			json_str(stdout, r->ifc->name);
		else
			fputs("null", stdout);
		fputs(", \"host_peer\": ", stdout);
		if (hp) {
			printf("{\"netns\": %llu, \"name\": ", (unsigned long long)t->ns[hp->ns].ino);
			json_str(stdout, hp->name);
			fputs("}", stdout);
		} else {
			fputs("null", stdout);
		}
		fputs(", \"bridge\": ", stdout);
		if (br)
			json_str(stdout, br->name);
		else
			fputs("null", stdout);
		fputs(", \"addrs\": [", stdout);
		for (size_t k = 0; r->ifc && k < r->ifc->naddrs; k++) {
			fputs(k ? ", " : "", stdout);
			json_str(stdout, r->ifc->addrs[k].text);
		}
		fputs("]}", stdout);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

static void print_table(const struct topo *t, const struct row *rows, size_t n)
{
	static const char *const head[7] = { "CONTAINER", "ENGINE", "NETNS", "IFACE", "HOST-PEER",
		"BRIDGE", "ADDRS" };
	char (*cols)[7][512] = xcalloc(n ? n : 1, sizeof(*cols));
	int w[7];

	for (int k = 0; k < 7; k++)
		w[k] = (int)strlen(head[k]);
	for (size_t i = 0; i < n; i++) {
		row_text(t, &rows[i], cols[i]);
		for (int k = 0; k < 6; k++)
			if ((int)strlen(cols[i][k]) > w[k])
				w[k] = (int)strlen(cols[i][k]);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], head[0], w[1], head[1], w[2],
	       head[2], w[3], head[3], w[4], head[4], w[5], head[5], head[6]);
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], cols[i][0], w[1], cols[i][1],
		       w[2], cols[i][2], w[3], cols[i][3], w[4], cols[i][4], w[5], cols[i][5],
		       cols[i][6]);
	free(cols);
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "scan", required_argument, NULL, 's' },
		{ "stored", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dbopt = NULL;
	int json = 0, stored = 0, c, rc = 1;
	long long id = 0;
	struct sqlite3 *db = NULL;
	struct row *rows;
	size_t nrows;
	struct topo t;
	char *end;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbopt = optarg; break;
		case 'j': json = 1; break;
		case 'S': stored = 1; break;
		case 's':
			errno = 0;
			id = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || id <= 0) {
				error("ls: invalid scan id '%s'", optarg);
				return 2;
			}
			stored = 1;
			break;
		case 'v': verbosity++; break;
		case 'h': usage_cmd(stdout, "ls"); return finish_stdout() ? 1 : 0;
		default: return opt_error("ls", argv, c);
		}
	}
	if (optind < argc)
		return arg_error("ls", argv[optind]);
	topo_init(&t);
	if (stored) {
		db = db_open(db_path(dbopt), 0);
		if (!db || db_load(db, id, &t))
			goto out;
	} else {
		if (scan_need_caps("vethmap ls") ||
		    scan_run(&t, 1, 1))
			goto out;
	}
	rows = make_rows(&t, &nrows);
	if (json)
		print_json(&t, rows, nrows);
	else
		print_table(&t, rows, nrows);
	free(rows);
	rc = finish_stdout() ? 1 : 0;
out:
	topo_release(&t);
	db_close(db);
	return rc;
}
