/*
 * cmd_show.c implements 'vethmap show' and 'vethmap scans': read-only views of the
 * database.  They need no privilege beyond reading the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "vethmap.h"

static int parse_id(const char *s, long long *id)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || end == s || *end || *id <= 0)
		return error("show: invalid scan id '%s'", s);
	return 0;
}

/* Shared by show and scans: --db, --json, --help, and (show only) --scan. */
static int parse(const char *cmd, int argc, char **argv, const char **db, int *json,
		 long long *id)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "scan", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *db = optarg; break;
		case 'j': *json = 1; break;
		case 's':
			if (!id) {
				error("%s: unknown option '--scan'", cmd);
				usage_cmd(stderr, cmd);
				return 2;
			}
			if (parse_id(optarg, id))
				return 2;
			break;
		case 'h': usage_cmd(stdout, cmd); return finish_stdout() ? 1 : 0;
		default: return opt_error(cmd, argv, c);
		}
	}
	if (optind < argc)
		return arg_error(cmd, argv[optind]);
	return -1;
}

int cmd_show(int argc, char **argv)
{
	const char *dbopt = NULL;
	long long id = 0;
	int json = 0, rc;
	struct sqlite3 *db;
	struct topo t;
	struct pr p;

	rc = parse("show", argc, argv, &dbopt, &json, &id);
	if (rc >= 0)
		return rc;
	db = db_open(db_path(dbopt), 0);
	if (!db)
		return 1;
	topo_init(&t);
	rc = 1;
	if (!db_load(db, id, &t)) {
		pr_init(&p, stdout, json);
			print_topo(&p, &t);
		rc = finish_stdout() ? 1 : 0;
	}
	topo_release(&t);
	db_close(db);
	return rc;
}

/* One line per snapshot, or the JSON array of the README. */
static void print_scans(struct pr *p, const struct scan_info *v, size_t n)
{
	pr_text(p, "%-6s %-24s %-20s %10s %6s %6s %6s %10s\n", "ID", "STARTED", "HOST",
		"DURATION", "NETNS", "IFACES", "EDGES", "UNRESOLVED");
	pr_open_array(p, NULL, 1);
	for (size_t i = 0; i < n; i++) {
		pr_open_object(p, NULL);
		pr_int(p, PR_ANY, "id", "%-6s ", v[i].id);
		pr_str(p, PR_ANY, "started", "%-24s ", v[i].started);
		pr_str(p, PR_ANY, "host", "%-20s", v[i].host);
		pr_double(p, PR_ANY, "duration_ms", " %8.1fms", v[i].duration_ms);
		pr_int(p, PR_ANY, "netns", " %6s", v[i].n_netns);
		pr_int(p, PR_ANY, "interfaces", " %6s", v[i].n_ifaces);
		pr_int(p, PR_ANY, "edges", " %6s", v[i].n_edges);
		pr_int(p, PR_ANY, "unresolved", " %10s", v[i].n_unresolved);
		pr_bool(p, PR_JSON, "incomplete", NULL, v[i].incomplete);
		pr_int(p, PR_JSON, "missed", NULL, v[i].missed);
		if (v[i].incomplete)
			pr_int(p, PR_TEXT, NULL, "  incomplete (%s missed)", v[i].missed);
		pr_close_object(p);
		pr_text(p, "\n");
	}
	pr_close_array(p);
}

int cmd_scans(int argc, char **argv)
{
	const char *dbopt = NULL;
	int json = 0, rc;
	struct sqlite3 *db;
	struct scan_info *v = NULL;
	size_t n = 0;
	struct pr p;

	rc = parse("scans", argc, argv, &dbopt, &json, NULL);
	if (rc >= 0)
		return rc;
	db = db_open(db_path(dbopt), 0);
	if (!db)
		return 1;
	rc = db_scans(db, &v, &n) ? 1 : 0;
	if (!rc) {
		pr_init(&p, stdout, json);
		print_scans(&p, v, n);
		rc = finish_stdout() ? 1 : 0;
	}
	free(v);
	db_close(db);
	return rc;
}
