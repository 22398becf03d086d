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
	if (errno || end == s || *end || *id <= 0) {
		error("show: invalid scan id '%s'", s);
		return -1;
	}
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

	rc = parse("show", argc, argv, &dbopt, &json, &id);
	if (rc >= 0)
		return rc;
	db = db_open(db_path(dbopt), 0);
	if (!db)
		return 1;
	topo_init(&t);
	rc = 1;
	if (!db_load(db, id, &t)) {
		if (json)
			json_topo(stdout, &t);
		else
			print_topo(stdout, &t);
		rc = finish_stdout() ? 1 : 0;
	}
	topo_release(&t);
	db_close(db);
	return rc;
}

int cmd_scans(int argc, char **argv)
{
	const char *dbopt = NULL;
	int json = 0, rc;
	struct sqlite3 *db;

	rc = parse("scans", argc, argv, &dbopt, &json, NULL);
	if (rc >= 0)
		return rc;
	db = db_open(db_path(dbopt), 0);
	if (!db)
		return 1;
	rc = db_list_scans(db, json) ? 1 : 0;
	if (!rc && finish_stdout())
		rc = 1;
	db_close(db);
	return rc;
}
