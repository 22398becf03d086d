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

#include <sqlite3.h>

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

/* The ids of the last two scans, newest first; how many there are (0..2), -1 on error. */
static int last_two(sqlite3 *db, long long id[2])
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT id FROM scan ORDER BY id DESC LIMIT 2", -1, &st,
			       NULL) != SQLITE_OK) {
		error("diff: cannot read the list of scans: %s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 2)
		id[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		error("diff: cannot read the list of scans: %s", sqlite3_errmsg(db));
		return -1;
	}
	return n;
}

static void print_text(const struct changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];
		size_t no = strlen(x->object) * 4 + 1, nd = strlen(x->detail) * 4 + 1;
		char *obj = xmalloc(no), *det = xmalloc(nd);

		printf("%c %-9s  %s", x->op, x->kind, text_esc(obj, no, x->object));
		if (*x->detail)
			printf("  %s", text_esc(det, nd, x->detail));
		putchar('\n');
		free(obj);
		free(det);
	}
}

static void print_json(const struct changes *c, long long from, long long to)
{
	char op[2] = "";

	printf("{\"from\": %lld, \"to\": %lld, \"changes\": [", from, to);
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];

		op[0] = x->op;
		fputs(i ? ",\n  {\"op\": " : "\n  {\"op\": ", stdout);
		json_str(stdout, op);
		fputs(", \"kind\": ", stdout);
		json_str(stdout, x->kind);
		fputs(", \"object\": ", stdout);
		json_str(stdout, x->object);
		fputs(", \"detail\": ", stdout);
		json_str(stdout, x->detail);
		fputc('}', stdout);
	}
	fputs(c->n ? "\n]}\n" : "]}\n", stdout);
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
	c = last_two(db, last);
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
		if (json)
			print_json(&ch, id[0], id[1]);
		else
			print_text(&ch);
		rc = finish_stdout() ? 1 : exit_code && ch.n ? 1 : 0;
	}
	changes_release(&ch);
	topo_release(&a);
	topo_release(&b);
	db_close(db);
	return rc;
}
