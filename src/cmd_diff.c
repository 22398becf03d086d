/*
 * cmd_diff.c implements 'vethmap diff [A [B]]': what changed between two stored
 * snapshots, one line per change ("+" added, "-" removed, "~" changed), or --json.
 * Without ids it compares the last two scans; with one, that scan and the latest; with
 * --since TIME, the snapshot that was the newest then and the latest.
 * Exit status 0, or with --exit-code 1 when there are changes (like git diff); 1 on
 * errors, 2 on a bad option or argument.  Reads only the database.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

/* The changes as lines ("+ kind  object  detail"), or the JSON of the README. */
static void print_changes(struct pr *p, const struct changes *c, long long from, long long to)
{
	pr_open_object(p, NULL);
	pr_int(p, PR_JSON, "from", NULL, from);
	pr_int(p, PR_JSON, "to", NULL, to);
	pr_open_array(p, "changes", 1);
	for (size_t i = 0; i < c->n; i++)
		print_change(p, &c->v[i]);
	pr_close_array(p);
	pr_close_object(p);
}

/* The tunnels of cluster t, as text keys "kind END <-> END" (sorted, for comparing). */
static void tunnel_keys(const struct topo *t, struct strv *out)
{
	char la[600], lb[600], key[1300];

	for (size_t i = 0; i < t->nxedges; i++) {
		snprintf(key, sizeof(key), "%s %s <-> %s", t->xedges[i].kind,
			 topo_end_label(t, t->xedges[i].a, la, sizeof(la)),
			 topo_end_label(t, t->xedges[i].b, lb, sizeof(lb)));
		strv_add(out, key);
	}
	strv_sort_unique(out);
}

static int has_key(const struct strv *v, const char *k)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], k))
			return 1;
	return 0;
}

/* One host's snapshot as a cluster of one (its namespaces labelled with its host). */
static int load_host(struct sqlite3 *db, const struct host *h, struct topo *t)
{
	if (db_load(db, h->scan_id, t))
		return -1;
	topo_add_host(t, h->name, h->machine_id);
	t->hosts[0] = *h;
	return 0;
}

/*
 * Two collections: each host of both (the same name and machine-id) compared as two
 * snapshots, its changes named HOST:... or HOST/...; hosts and tunnels added or gone.
 */
static int diff_collections(struct sqlite3 *db, long long ca, long long cb, struct changes *ch)
{
	struct topo a, b;
	struct strv ka = { 0 }, kb = { 0 };
	int rc = -1;

	topo_init(&a);
	topo_init(&b);
	if (db_load_cluster(db, ca, &a) || db_load_cluster(db, cb, &b))
		goto out;
	for (size_t i = 0; i < a.nhosts; i++) {
		long m = -1;

		for (size_t k = 0; k < b.nhosts; k++)
			if (!strcmp(a.hosts[i].name, b.hosts[k].name) &&
			    !strcmp(a.hosts[i].machine_id, b.hosts[k].machine_id))
				m = (long)k;
		if (m < 0) {
			changes_add(ch, '-', "host", a.hosts[i].label, a.hosts[i].machine_id);
			continue;
		}
		{
			struct topo x, y;
			struct changes hc = { 0 };
			int bad;

			topo_init(&x);
			topo_init(&y);
			bad = load_host(db, &a.hosts[i], &x) || load_host(db, &b.hosts[m], &y);
			if (!bad) {
				const char *l = b.hosts[m].label;
				size_t n = strlen(l);

				y.hosts[0] = b.hosts[m];	/* this collection's label */
				x.hosts[0].label[0] = '\0';
				copy_str(x.hosts[0].label, sizeof(x.hosts[0].label), l);
				diff_topos(&x, &y, &hc);
				for (size_t c = 0; c < hc.n; c++) {
					char *o = hc.v[c].object;

					if (strncmp(o, l, n) || o[n] != ':') {
						if (asprintf(&hc.v[c].object, "%s/%s", l, o) < 0)
							die("out of memory");
						free(o);
					}
					ch->v = grow(ch->v, &ch->alloc, ch->n + 1, sizeof(*ch->v));
					ch->v[ch->n++] = hc.v[c];
				}
				free(hc.v);
			}
			topo_release(&x);
			topo_release(&y);
			if (bad)
				goto out;
		}
	}
	for (size_t k = 0; k < b.nhosts; k++) {
		int seen = 0;

		for (size_t i = 0; i < a.nhosts; i++)
			seen |= !strcmp(a.hosts[i].name, b.hosts[k].name) &&
				!strcmp(a.hosts[i].machine_id, b.hosts[k].machine_id);
		if (!seen)
			changes_add(ch, '+', "host", b.hosts[k].label, b.hosts[k].machine_id);
	}
	tunnel_keys(&a, &ka);
	tunnel_keys(&b, &kb);
	for (size_t i = 0; i < ka.n; i++)
		if (!has_key(&kb, ka.v[i]))
			changes_add(ch, '-', "tunnel", ka.v[i], "");
	for (size_t i = 0; i < kb.n; i++)
		if (!has_key(&ka, kb.v[i]))
			changes_add(ch, '+', "tunnel", kb.v[i], "");
	rc = 0;
out:
	strv_release(&ka);
	strv_release(&kb);
	topo_release(&a);
	topo_release(&b);
	return rc;
}

struct diff_opts {
	int exit_code;
	int collections;	/* --collections: the ids are collections' */
	int nids;
	long long id[2];
	char at[2][32];		/* an operand that is a TIME, as the database writes it; "" = an id */
	char since[32];		/* --since TIME as the database writes it, "" = none */
};

static int diff_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct diff_opts *o = ctx->opts;

	if (c == 's') {
		if (parse_time(arg, o->since, sizeof(o->since))) {
			error("diff: invalid time '%s' (like 2026-12-02T03:12:00 in UTC, or -10m)", arg);
			return 2;
		}
		return 0;
	}
	if (c == 'C') {
		o->collections = 1;
		return 0;
	}
	o->exit_code = 1;	/* --exit-code */
	return 0;
}

/* Operands: up to two scan ids or times (the state at TIME, as --at has it). */
static int diff_check(struct cmd_ctx *ctx)
{
	struct diff_opts *o = ctx->opts;

	for (int i = 0; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		int digits = !a[strspn(a, "0123456789")];

		if (i == 2 || *o->since)
			return arg_error("diff", a);
		if (digits ? parse_scan_id("diff", a, &o->id[i]) :
		    parse_time(a, o->at[i], sizeof(o->at[i]))) {
			if (!digits)
				error("diff: '%s' is neither a snapshot id nor a time (like "
				      "2026-12-02T03:12:00 in UTC, or -10m after --)", a);
			usage_cmd(stderr, "diff");
			return 2;
		}
		o->nids++;
	}
	return 0;
}

static int diff(struct cmd_ctx *ctx)
{
	struct diff_opts *o = ctx->opts;
	long long id[2] = { o->id[0], o->id[1] }, last[2];
	struct topo a, b;
	struct changes ch = { 0 };
	struct pr p;
	int n, rc = 1, replay[2] = { 0, 0 };
	char at[2][32];

	last[0] = db_latest_collection(ctx->db);
	if (last[0] < 0)
		return 1;
	if (o->collections || (last[0] > 0 && !o->nids && !*o->since)) {
		/* a cluster database: its collections, the last two by default */
		last[1] = last[0] > 0 ? db_collection_before(ctx->db, last[0]) : 0;
		if (last[1] < 0)
			return 1;
		if (o->nids == 0)
			id[0] = last[1], id[1] = last[0];
		else if (o->nids == 1)
			id[1] = last[0];
		if (id[0] <= 0 || id[1] <= 0) {
			error("diff: need two collections to compare");
			return 1;
		}
		if (diff_collections(ctx->db, id[0], id[1], &ch)) {
			changes_release(&ch);
			return 1;
		}
		pr_init(&p, stdout, ctx->json);
		print_changes(&p, &ch, id[0], id[1]);
		rc = finish_stdout() ? 1 : o->exit_code && ch.n ? 1 : 0;
		changes_release(&ch);
		return rc;
	}
	n = db_last_scans(ctx->db, last, 2);
	if (n >= 0 && n < 2)
		error("need two scans to compare");
	if (n < 2)
		return 1;
	memcpy(at, o->at, sizeof(at));
	if (*o->since) {	/* the state then against the latest */
		copy_str(at[0], sizeof(at[0]), o->since);
		id[1] = last[0];
	} else if (o->nids == 0) {
		id[0] = last[1];
		id[1] = last[0];
	} else if (o->nids == 1) {
		id[1] = last[0];
	}
	for (int k = 0; k < 2; k++)	/* a TIME: the snapshot then, or the state rebuilt */
		if (*at[k] && (id[k] = db_state_at(ctx->db, "diff", at[k], &replay[k])) <= 0)
			return 1;
	topo_init(&a);
	topo_init(&b);
	/* a moment inside a thinned stretch: its snapshot rebuilt from the events (history.c) */
	if (!(replay[0] ? history_load_at(ctx->db, id[0], at[0], &a) : db_load(ctx->db, id[0], &a)) &&
	    !(replay[1] ? history_load_at(ctx->db, id[1], at[1], &b) : db_load(ctx->db, id[1], &b))) {
		diff_topos(&a, &b, &ch);
		/* what an incomplete scan lacks is not gone: say so once per side */
		if (topo_incomplete(&a))
			warnx("scan %lld is incomplete (%s): its namespaces may be missing", a.scan_id,
			      a.incomplete_reason[0] ? a.incomplete_reason : "lookup deadline");
		if (topo_incomplete(&b))
			warnx("scan %lld is incomplete (%s): namespaces missing from it may still exist",
			      b.scan_id, b.incomplete_reason[0] ? b.incomplete_reason : "lookup deadline");
		pr_init(&p, stdout, ctx->json);
		print_changes(&p, &ch, id[0], id[1]);
		rc = finish_stdout() ? 1 : o->exit_code && ch.n ? 1 : 0;
	}
	changes_release(&ch);
	topo_release(&a);
	topo_release(&b);
	return rc;
}

const struct cmd_def diff_def = {
	.run = diff, .parse = diff_parse, .check = diff_check,
	.size = sizeof(struct diff_opts),
	.options = (const struct cmd_opt[]){
		{ "exit-code", 0, 'e', NULL, "exit 1 when anything changed, as git diff --exit-code" },
		{ "since", 0, 's', "TIME", "the snapshot of TIME (UTC, or -10m) against the latest" },
		{ "collections", 0, 'C', NULL, "A and B are collections of hosts (vethmap merge)" },
		{ 0 }
	},
};
