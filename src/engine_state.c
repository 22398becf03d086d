/*
 * engine_state.c implements the engines read from their state on disk: containerd's task
 * bundles (any containerd namespace: k8s.io, moby, default, ...; any task id; Kubernetes
 * pod names from the CRI annotations in config.json, nerdctl's names from its own).
 * Podman's state on disk is engine_podman.c's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

#define STATE_MAX (4u << 20)	/* larger state files are not ours to trust */

int pid_from_file(const char *path)
{
	char *text = read_small_file(path, 32, NULL);
	long pid = 0;

	if (text) {
		pid = strtol(text, NULL, 10);
		free(text);
	}
	return pid > 0 && pid < (1 << 30) ? (int)pid : 0;
}

/* Copy column i of st into out when it is text without control characters that fits. */
static void col_text_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
	if (sqlite3_column_type(st, i) == SQLITE_TEXT) {
		const char *s = (const char *)sqlite3_column_text(st, i);

		if (s && container_text_ok(s) && strlen(s) < size)
			copy_str(out, size, s);
	}
}

/* Copy the text value at a JSON path of doc (NULL-safe, control characters refused). */
void engine_json_text(sqlite3 *jdb, const char *doc, size_t len, const char *path, char *out,
		      size_t size)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(jdb, "SELECT json_extract(?1, ?2) WHERE json_valid(?1)", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, doc, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		col_text_copy(st, 0, out, size);
	sqlite3_finalize(st);
}

/*
 * One containerd task: bundle id, containerd namespace cns, the host PID of its init and
 * its config.json text (NULL: unreadable).  Names come from the CRI annotations, else
 * nerdctl's (nerdctl passes its labels on as OCI annotations: nerdctl/name), else the id.
 * A task already named (Docker's own, by its API; the same bundle found both by its
 * state directory and by its shim) is not added twice.  Returns the container or NULL.
 */
struct container *engine_containerd_task(struct topo *t, sqlite3 *jdb, const char *cns,
					 const char *id, int pid, const char *config, size_t len)
{
	static const char annotations_sql[] =
		"SELECT json_extract(a, '$.\"io.kubernetes.cri.container-type\"'),"
		" json_extract(a, '$.\"io.kubernetes.cri.sandbox-name\"'),"
		" json_extract(a, '$.\"io.kubernetes.cri.sandbox-namespace\"'),"
		" json_extract(a, '$.\"io.kubernetes.cri.container-name\"'),"
		" json_extract(a, '$.\"io.kubernetes.cri.image-name\"'),"
		" json_extract(a, '$.\"nerdctl/name\"')"
		" FROM (SELECT json_extract(?1, '$.annotations') AS a WHERE json_valid(?1))"
		" WHERE json_type(a) = 'object'";
	struct container *c;
	sqlite3_stmt *st;
	char type[32] = "";

	if (!*id || !container_text_ok(id) || strchr(id, '/') || strlen(id) >= sizeof(c->id) ||
	    !container_text_ok(cns) || strlen(cns) >= sizeof(c->cns) || pid <= 0)
		return NULL;
	c = topo_find_container(t, NULL, id);
	if (c && (strcmp(c->engine, "containerd") || c->pid == pid))
		return NULL;
	c = topo_add_container(t, "containerd", id);
	c->pid = pid;
	copy_str(c->cns, sizeof(c->cns), cns);
	if (!config)
		return c;
	/* config.json parsed once: its annotations object, then the keys of that */
	if (sqlite3_prepare_v2(jdb, annotations_sql, -1, &st, NULL) != SQLITE_OK)
		return c;
	sqlite3_bind_text(st, 1, config, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		col_text_copy(st, 0, type, sizeof(type));
		col_text_copy(st, 1, c->pod, sizeof(c->pod));
		col_text_copy(st, 2, c->pod_ns, sizeof(c->pod_ns));
		col_text_copy(st, 3, c->name, sizeof(c->name));
		col_text_copy(st, 4, c->image, sizeof(c->image));
		if (!*c->name)
			col_text_copy(st, 5, c->name, sizeof(c->name));
	}
	sqlite3_finalize(st);
	if (!strcmp(type, "sandbox")) {
		c->sandbox = 1;
		if (!*c->name && *c->pod)
			copy_str(c->name, sizeof(c->name), c->pod);
	}
	return c;
}

/* A bundle below containerd's state directory on the host (root's). */
static void containerd_task(struct topo *t, sqlite3 *jdb, const char *dir, const char *cns,
			    const char *id)
{
	char path[1024];
	size_t len = 0;
	char *config;
	int pid;

	if (snprintf(path, sizeof(path), "%s/%s/%s/init.pid", dir, cns, id) >= (int)sizeof(path))
		return;
	pid = pid_from_file(path);
	if (!pid)
		return;
	snprintf(path, sizeof(path), "%s/%s/%s/config.json", dir, cns, id);
	config = read_small_file(path, STATE_MAX, &len);
	engine_containerd_task(t, jdb, cns, id, pid, config, len);
	free(config);
}

int engine_containerd_scan(struct topo *t, sqlite3 *jdb)
{
	static const char *const roots[] = {
		"/run/containerd/io.containerd.runtime.v2.task",
		"/run/docker/containerd/daemon/io.containerd.runtime.v2.task",
	};

	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
		DIR *top = opendir(roots[r]);
		struct dirent *ns;

		if (!top)
			continue;
		while ((ns = readdir(top))) {
			char path[1024];
			struct dirent *task;
			DIR *d;

			if (ns->d_name[0] == '.' || !container_text_ok(ns->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", roots[r], ns->d_name);
			d = opendir(path);
			if (!d)
				continue;
			while ((task = readdir(d)))
				if (task->d_name[0] != '.')
					containerd_task(t, jdb, roots[r], ns->d_name, task->d_name);
			closedir(d);
		}
		closedir(top);
	}
	return 0;
}
