/*
 * cmd_diff.c implements 'vethmap diff [A [B]]': what changed between two stored
 * snapshots, one line per change ("+" added, "-" removed, "~" changed), or --json.
 * Without ids it compares the last two scans; with one, that scan and the latest.
 * Exit status 0, or with --exit-code 1 when there are changes (like git diff); 1 on
 * errors, 2 on a bad option or argument.  Reads only the database.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

static int parse_id(const char *s, long long *id)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || end == s || *end || *id <= 0) {
		error("diff: invalid scan id '%s'", s);
		usage_cmd(stderr, "diff");
		return -1;
	}
	return 0;
}

/* The changes as lines ("+ kind  object  detail"), or the JSON of the README. */
static void print_changes(struct pr *p, const struct changes *c, long long from, long long to)
{
	char op[2] = "";

	pr_open_object(p, NULL);
	pr_int(p, PR_JSON, "from", NULL, from);
	pr_int(p, PR_JSON, "to", NULL, to);
	pr_open_array(p, "changes", 1);
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];

		op[0] = x->op;
		pr_open_object(p, NULL);
		pr_str(p, PR_ANY, "op", "%s ", op);
		pr_str(p, PR_ANY, "kind", "%-9s  ", x->kind);
		pr_str(p, PR_ANY, "object", "%s", x->object);
		pr_str(p, *x->detail ? PR_ANY : PR_JSON, "detail", "  %s", x->detail);
		pr_close_object(p);
		pr_text(p, "\n");
	}
	pr_close_array(p);
	pr_close_object(p);
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "exit-code", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dbopt = NULL;
	int json = 0, exit_code = 0, nids = 0, c, rc = 1;
	long long id[2] = { 0, 0 }, last[2];
	struct sqlite3 *db;
	struct topo a, b;
	struct changes ch = { 0 };
	struct pr p;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbopt = optarg; break;
		case 'j': json = 1; break;
		case 'e': exit_code = 1; break;
		case 'h': usage_cmd(stdout, "diff"); return finish_stdout() ? 1 : 0;
		default: return opt_error("diff", argv, c);
		}
	}
	for (; optind < argc; optind++) {
		if (nids == 2)
			return arg_error("diff", argv[optind]);
		if (parse_id(argv[optind], &id[nids++]))
			return 2;
	}

	db = db_open(db_path(dbopt), 0);
	if (!db)
		return 1;
	c = db_last_scans(db, last, 2);
	if (c >= 0 && c < 2)
		error("need two scans to compare");
	if (c < 2) {
		db_close(db);
		return 1;
	}
	if (nids == 0) {
		id[0] = last[1];
		id[1] = last[0];
	} else if (nids == 1) {
		id[1] = last[0];
	}
	topo_init(&a);
	topo_init(&b);
	if (!db_load(db, id[0], &a) && !db_load(db, id[1], &b)) {
		diff_topos(&a, &b, &ch);
		/* what an incomplete scan lacks is not gone: say so once per side */
		if (topo_incomplete(&a))
			warnx("scan %lld is incomplete (%s): its namespaces may be missing", a.scan_id,
			      a.incomplete_reason[0] ? a.incomplete_reason : "lookup deadline");
		if (topo_incomplete(&b))
			warnx("scan %lld is incomplete (%s): namespaces missing from it may still exist",
			      b.scan_id, b.incomplete_reason[0] ? b.incomplete_reason : "lookup deadline");
		pr_init(&p, stdout, json);
		print_changes(&p, &ch, id[0], id[1]);
		rc = finish_stdout() ? 1 : exit_code && ch.n ? 1 : 0;
	}
	changes_release(&ch);
	topo_release(&a);
	topo_release(&b);
	db_close(db);
	return rc;
}
