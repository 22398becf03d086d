/*
 * engine_state.c implements the engines read from their state on disk: containerd's task
 * bundles (any containerd namespace: k8s.io, moby, default, ...; Kubernetes pod names from
 * the CRI annotations in config.json).  Podman's state on disk is engine_podman.c's.
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
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		if (s && container_text_ok(s) && strlen(s) < size)
			copy_str(out, size, s);
	}
	sqlite3_finalize(st);
}

static void containerd_task(struct topo *t, sqlite3 *jdb, const char *dir, const char *cns,
			    const char *id)
{
	char path[1024], type[32] = "";
	struct container *c;
	size_t len;
	char *config;
	int pid;

	if (strlen(id) < 12 || !container_text_ok(id) || strlen(id) >= sizeof(c->id))
		return;
	if (topo_find_container(t, NULL, id))
		return;		/* Docker's own, already named by its API */
	snprintf(path, sizeof(path), "%s/%s/%s/init.pid", dir, cns, id);
	pid = pid_from_file(path);
	if (!pid)
		return;
	c = topo_add_container(t, "containerd", id);
	c->pid = pid;
	copy_str(c->cns, sizeof(c->cns), cns);
	snprintf(path, sizeof(path), "%s/%s/%s/config.json", dir, cns, id);
	config = read_small_file(path, STATE_MAX, &len);
	if (!config)
		return;
	engine_json_text(jdb, config, len, "$.annotations.\"io.kubernetes.cri.container-type\"", type,
		   sizeof(type));
	engine_json_text(jdb, config, len, "$.annotations.\"io.kubernetes.cri.sandbox-name\"", c->pod,
		   sizeof(c->pod));
	engine_json_text(jdb, config, len, "$.annotations.\"io.kubernetes.cri.sandbox-namespace\"",
		   c->pod_ns, sizeof(c->pod_ns));
	engine_json_text(jdb, config, len, "$.annotations.\"io.kubernetes.cri.container-name\"", c->name,
		   sizeof(c->name));
	engine_json_text(jdb, config, len, "$.annotations.\"io.kubernetes.cri.image-name\"", c->image,
		   sizeof(c->image));
	if (!strcmp(type, "sandbox")) {
		c->sandbox = 1;
		if (!*c->name && *c->pod)
			copy_str(c->name, sizeof(c->name), c->pod);
	}
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
