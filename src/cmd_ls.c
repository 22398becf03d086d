/*
 * cmd_ls.c implements 'vethmap ls [TARGET]': for every container (or those of one target's
 * namespace), each interface of its namespace with the host-side end of its veth and the
 * bridge that end hangs off.  Live
 * by default (a scan that is not stored); --stored or --scan ID read the database.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

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

/* One row per container interface: the table, or the JSON array of the README. */
static void print_rows(struct pr *p, const struct topo *t, const struct row *rows, size_t n)
{
	static const char *const head[] = { "CONTAINER", "ENGINE", "POD", "NODE", "NETNS", "IFACE",
		"HOST-PEER", "BRIDGE", "ADDRS" };
	char lab[32], *hop = NULL, *addrs = NULL, pod[sizeof(rows->c->pod) * 2 + 1];

	pr_table_begin(p, NULL, head, sizeof(head) / sizeof(head[0]), "", "  ");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct iface *via = NULL, *hp = r->ifc ? host_peer(t, r->ifc, &via) : NULL;
		long m = hp ? topo_master(t, (size_t)(hp - t->ifs)) : -1;
		const struct iface *br = m >= 0 ? &t->ifs[m] : NULL;
		size_t len = 0;
		FILE *f;

		pr_row_begin(p);
		pr_str(p, PR_ANY, "container", r->c->verified ? "%s" : "%s(unverified)", r->c->name);
		if (r->c->owner_uid >= 0) {	/* a user's engine: "podman (user alice)" */
			char eng[sizeof(r->c->engine) + sizeof(r->c->owner) + 16];

			snprintf(eng, sizeof(eng), "%s (user %s)", r->c->engine, r->c->owner);
			pr_str(p, PR_JSON, "engine", NULL, r->c->engine);
			pr_str(p, PR_TEXT, NULL, "%s", eng);
			pr_open_object(p, "owner");
			pr_int(p, PR_JSON, "uid", NULL, r->c->owner_uid);
			pr_str(p, PR_JSON, "name", NULL, r->c->owner);
			pr_close_object(p);
		} else {
			pr_str(p, PR_ANY, "engine", "%s", r->c->engine);
		}
		ctr_pod_label(r->c, pod, sizeof(pod));
		pr_str(p, PR_TEXT, NULL, "%s", *r->c->pod ? pod : NULL);
		{	/* NODE: a cluster's host, then a nested engine's node in it */
			const char *h = topo_host_of(t, (size_t)r->c->ns);
			char node[sizeof(t->hosts->label) + sizeof(r->c->node) + 2];

			snprintf(node, sizeof(node), "%s%s%s", h ? h : "", h && *r->c->node ? "/" : "",
				 r->c->node);
			pr_str(p, PR_TEXT, NULL, "%s", *node ? node : NULL);
			if (h)
				pr_str(p, PR_JSON, "host", NULL, h);
		}
		pr_str(p, PR_JSON, "id", NULL, r->c->id);
		pr_int(p, PR_JSON, "pid", NULL, r->c->pid);
		pr_bool(p, PR_JSON, "verified", NULL, r->c->verified);
		pr_uint(p, PR_JSON, "netns", NULL, t->ns[r->c->ns].ino);
		pr_str(p, PR_TEXT, NULL, "%s", r->c->host_net ? "host" :
		       topo_ns_label(t, (size_t)r->c->ns, lab, sizeof(lab)));
		pr_bool(p, PR_JSON, "host_network", NULL, r->c->host_net);
		if (r->ifc || !r->c->host_net)
			pr_str(p, PR_ANY, "iface", "%s", r->ifc ? r->ifc->name : NULL);
		else {
			pr_null(p, PR_JSON, "iface", NULL);
			pr_str(p, PR_TEXT, NULL, "%s", "(host network)");
		}
		pr_end(p, "host_peer", t, hp);
		pr_end(p, "via", t, via);
		/* text: HOST-PEER as NETNS:VIA>PEER, NETNS:PEER, or PEER in the host */
		f = open_memstream(&hop, &len);
		if (!f)
			die("out of memory");
		if (hp && via)
			fprintf(f, "%s:%s>%s", topo_ns_label(t, via->ns, lab, sizeof(lab)), via->name,
				hp->name);
		else if (hp && !t->ns[hp->ns].is_host)
			fprintf(f, "%s:%s", topo_ns_label(t, hp->ns, lab, sizeof(lab)), hp->name);
		else if (hp)
			fputs(hp->name, f);
		fclose(f);
		pr_str(p, PR_TEXT, NULL, "%s", *hop ? hop : NULL);
		free(hop);
		pr_str(p, PR_ANY, "bridge", "%s", br ? br->name : NULL);
		pr_open_array(p, "addrs", 0);
		for (size_t k = 0; r->ifc && k < r->ifc->naddrs; k++)
			pr_str(p, PR_JSON, NULL, NULL, r->ifc->addrs[k].text);
		pr_close_array(p);
		addrs = r->ifc ? iface_addrs_text(r->ifc, ",") : xstrdup("");
		pr_str(p, PR_TEXT, NULL, "%s", *addrs ? addrs : NULL);
		free(addrs);
		if (*r->c->pod)
			pr_str(p, PR_JSON, "pod", NULL, r->c->pod);
		if (*r->c->pod_ns)
			pr_str(p, PR_JSON, "pod_namespace", NULL, r->c->pod_ns);
		if (*r->c->node)
			pr_str(p, PR_JSON, "node", NULL, r->c->node);
		pr_row_end(p);
	}
	pr_table_end(p);
}

/* --stored, or --scan ID: the database instead of a live scan. */
static int ls_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	(void)c;
	(void)arg;
	ctx->needs = (ctx->needs & ~NEED_SCAN) | USE_DB_RO;	/* --stored */
	return 0;
}

static int ls_check(struct cmd_ctx *ctx)
{
	if (ctx->argc > 1)
		return arg_error("ls", ctx->argv[1]);
	if (ctx->scan)
		ctx->needs = (ctx->needs & ~NEED_SCAN) | USE_DB_RO;
	return 0;
}

static int ls(struct cmd_ctx *ctx)
{
	struct row *rows;
	size_t nrows;
	struct topo t;
	struct pr p;
	int rc = 1;

	topo_init(&t);
	if (ctx->db ? history_load_view(ctx->db, ctx->scan, ctx->at, NULL, &t) :
	    scan_run(&t, NULL, 1, 1))
		goto out;
	rows = make_rows(&t, &nrows);
	if (ctx->argc == 1) {	/* only the rows of one target's namespace (or interface) */
		struct target m;
		size_t k = 0;

		rc = target_one(&t, ctx->argv[0], &m);
		if (rc) {
			free(rows);
			goto out;
		}
		for (size_t i = 0; i < nrows; i++)
			if (rows[i].c->ns == m.ns &&
			    (m.ifc < 0 || (rows[i].ifc && rows[i].ifc == &t.ifs[m.ifc])))
				rows[k++] = rows[i];
		nrows = k;
	}
	pr_init(&p, stdout, ctx->json);
	print_rows(&p, &t, rows, nrows);
	free(rows);
	rc = finish_stdout() ? 1 : 0;
out:
	topo_release(&t);
	return rc;
}

const struct cmd_def ls_def = {
	.run = ls, .parse = ls_parse, .check = ls_check,
	.options = (const struct cmd_opt[]){
		{ "stored", 0, 'S', NULL, "read the latest stored snapshot instead of scanning" },
		{ 0 }
	},
};
