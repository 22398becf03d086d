/*
 * cmd_merge.c implements 'vethmap merge DB|JSON... [-o DB]': the latest snapshot of each
 * database, or each host's 'vethmap scan --json' file, into one cluster database as one
 * collection, with the tunnels between the hosts paired (xpair.c).  Every input is read
 * whole before the output is opened, and the output is written in one transaction: a bad
 * input costs one line naming it and leaves the output as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

#define MERGE_HOSTS_MAX 4096

struct merge_opts {
	const char *out;
};

static int merge_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct merge_opts *o = ctx->opts;

	if (c == 'o')
		o->out = arg;
	return 0;
}

static int merge_check(struct cmd_ctx *ctx)
{
	if (ctx->argc < 1) {
		error("merge: no input: give the databases or scan JSON files of the hosts");
		usage_cmd(stderr, "merge");
		return 2;
	}
	if (ctx->argc > MERGE_HOSTS_MAX) {
		error("merge: %d inputs: at most %d hosts", ctx->argc, MERGE_HOSTS_MAX);
		return 2;
	}
	return 0;
}

/* Does path begin as an SQLite file does? 1 yes, 0 no, -1 unreadable (said). */
static int is_sqlite(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return error("cannot open '%s':", path);
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return error("cannot read '%s':", path);
	return n == (ssize_t)sizeof(head) && !memcmp(head, magic, sizeof(magic));
}

/* One host's snapshot from path into t (empty); 0 or -1 (said, naming path). */
static int read_input(const char *path, struct topo *t)
{
	int db = is_sqlite(path);
	sqlite3 *h;
	int rc;

	if (db < 0)
		return -1;
	if (!db)
		return json_load_scan(path, t);
	h = db_open(path, 0);
	if (!h)
		return -1;
	rc = db_load(h, 0, t);
	db_close(h);
	return rc;
}

static int merge(struct cmd_ctx *ctx)
{
	const struct merge_opts *o = ctx->opts;
	const char *out = o->out ? o->out : db_path(ctx->db_opt);
	size_t n = (size_t)ctx->argc;
	struct merge_input *in = xcalloc(n, sizeof(*in));
	struct topo cluster;
	sqlite3 *db = NULL;
	long long cid = -1;
	int rc = 1, existed = !access(out, F_OK);

	topo_init(&cluster);
	for (size_t i = 0; i < n; i++) {
		in[i].source = ctx->argv[i];
		topo_init(&in[i].t);
		if (read_input(ctx->argv[i], &in[i].t))
			goto done;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(in[k].t.host, in[i].t.host) &&
			    !strcmp(in[k].t.machine_id, in[i].t.machine_id)) {
				error("merge: '%s' and '%s' are the same host '%s' (machine-id %s)",
				      in[k].source, in[i].source, in[i].t.host,
				      *in[i].t.machine_id ? in[i].t.machine_id : "none");
				goto done;
			}
		in[i].t.scan_id = 0;
		in[i].t.same_as = 0;
	}
	db = db_open(out, 1);
	if (!db)
		goto done;
	cid = db_merge(db, in, n, &cluster);
	if (cid < 0) {
		db_close(db);
		db = NULL;
		if (!existed)	/* made by this merge, and nothing in it */
			unlink(out);
		goto done;
	}
	{
		struct pr p;
		size_t unres = 0;

		for (size_t i = 0; i < cluster.nunres; i++)
			unres += cluster.ifs[cluster.unres[i].ifc].tun.set;
		pr_init(&p, stdout, ctx->json);
		pr_open_object(&p, NULL);
		pr_int(&p, PR_ANY, "collection", "collection %s", cid);
		pr_uint(&p, PR_ANY, "hosts", ": %s hosts", cluster.nhosts);
		pr_uint(&p, PR_ANY, "tunnels", ", %s tunnels paired", cluster.nxedges);
		pr_uint(&p, PR_ANY, "tunnel_ends_unresolved", ", %s tunnel ends unresolved", unres);
		pr_str(&p, PR_ANY, "db", " in %s\n", out);
		pr_close_object(&p);
		rc = finish_stdout() ? 1 : 0;
	}
done:
	if (db)
		db_close(db);
	for (size_t i = 0; i < n; i++)
		topo_release(&in[i].t);
	free(in);
	topo_release(&cluster);
	return rc;
}

const struct cmd_def merge_def = {
	.run = merge, .parse = merge_parse, .check = merge_check,
	.size = sizeof(struct merge_opts),
	.options = (const struct cmd_opt[]){
		{ NULL, 'o', 0, "DB", "the cluster database to write (default: --db's)" },
		{ 0 }
	},
};
