/*
 * cmd_scan.c implements 'vethmap scan': scan the host, store the snapshot, print it.
 * The snapshot is stored before anything is printed, so a reader that goes away
 * ('vethmap scan | head') never costs the snapshot.  An incomplete scan (see scan.c) is
 * still stored and printed, marked incomplete, and the exit status is 1.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <linux/capability.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "no-containers", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dbopt = NULL;
	int json = 0, store = 1, containers = 1, c, rc = 1;
	struct sqlite3 *db = NULL;
	struct topo t;
	struct pr p;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbopt = optarg; break;
		case 'j': json = 1; break;
		case 'n': store = 0; break;
		case 'C': containers = 0; break;
		case 'v': verbosity++; break;
		case 'h': usage_cmd(stdout, "scan"); return finish_stdout() ? 1 : 0;
		default: return opt_error("scan", argv, c);
		}
	}
	if (optind < argc)
		return arg_error("scan", argv[optind]);
	if (scan_need_caps("vethmap scan"))
		return 1;
	if (store) {
		db = db_open(db_path(dbopt), 1);
		if (!db)
			return 1;
	}
	topo_init(&t);
	if (scan_run(&t, 1, containers))
		goto out;
	if (db && db_store(db, &t) < 0)
		goto out;
	pr_init(&p, stdout, json);
		print_topo(&p, &t);
	rc = finish_stdout() || topo_incomplete(&t) ? 1 : 0;
out:
	topo_release(&t);
	db_close(db);
	return rc;
}
