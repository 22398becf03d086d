/*
 * engine_api.c implements the Docker and Podman engines over their HTTP APIs on unix
 * sockets: one list call each, both at once under ENGINE_TIMEOUT_MS.  JSON is parsed by
 * SQLite's JSON functions (json_each/json_extract on an in-memory connection): the library
 * is already ours, well kept, and rejects malformed text; nothing is parsed by hand.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"

/* Copy column i into dst when it is text without control characters; 1 if copied. */
static int col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const char *s;

	if (sqlite3_column_type(st, i) != SQLITE_TEXT)
		return 0;
	s = (const char *)sqlite3_column_text(st, i);
	if (!s || !container_text_ok(s) || strlen(s) >= size)
		return 0;
	copy_str(dst, size, s);
	return 1;
}

/* How many elements the JSON array body has (after its rows were stepped through). */
static long long list_length(sqlite3 *jdb, const char *body, size_t len)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(jdb, "SELECT count(*) FROM json_each(?1)", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

/*
 * The list answer of Docker (/containers/json) or Podman (/libpod/containers/json): an
 * array of objects.  At most ENGINE_MAX_CONTAINERS are taken, and none once deadline_ms
 * (http_now_ms(); 0 = none) has passed: what is left is dropped, with one warning that
 * counts it.  Returns the number of containers taken, or -1 if the answer is not such an
 * array.
 */
int engine_take_list(struct topo *t, sqlite3 *jdb, const char *engine, const char *body,
		     size_t len, long long deadline_ms)
{
	static const char sql[] =
		"SELECT json_extract(value, '$.Id'),"
		" CASE json_type(value, '$.Names') WHEN 'array' THEN json_extract(value, '$.Names[0]')"
		" ELSE NULL END,"
		" json_extract(value, '$.Image'),"
		" json_extract(value, '$.HostConfig.NetworkMode'),"
		" json_extract(value, '$.Labels.\"com.docker.compose.project\"'),"
		" coalesce(json_extract(value, '$.PodName'),"
		"          json_extract(value, '$.Labels.\"io.kubernetes.pod.name\"')),"
		" json_extract(value, '$.Labels.\"io.kubernetes.pod.namespace\"'),"
		" json_extract(value, '$.Pid'),"
		" json_extract(value, '$.IsInfra')"
		" FROM json_each(?1) WHERE json_valid(?1) AND json_type(?1) = 'array'";
	sqlite3_stmt *st;
	int n = 0, rc, valid = 0, late = 0;
	long long rows = 0;

	if (sqlite3_prepare_v2(jdb, "SELECT json_valid(?1) AND json_type(?1) = 'array'", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC);
		valid = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (!valid)
		return -1;
	if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char id[72], name[130];
		struct container *c;

		if (n >= ENGINE_MAX_CONTAINERS)
			break;
		if (deadline_ms && !(rows & 255) && http_now_ms() > deadline_ms) {
			late = 1;
			break;
		}
		rows++;

		if (!col_copy(st, 0, id, sizeof(id)) || strlen(id) < 12) {
			verbose("%s: a container without a usable id: skipped", engine);
			continue;
		}
		if (!col_copy(st, 1, name, sizeof(name)) && sqlite3_column_type(st, 1) != SQLITE_NULL) {
			verbose("%s: container %.12s has an unusable name: skipped", engine, id);
			continue;
		}
		if (topo_find_container(t, engine, id))
			continue;
		c = topo_add_container(t, engine, id);
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
			copy_str(c->name, sizeof(c->name), name[0] == '/' ? name + 1 : name);
		col_copy(st, 2, c->image, sizeof(c->image));
		col_copy(st, 3, c->netmode, sizeof(c->netmode));
		col_copy(st, 4, c->compose, sizeof(c->compose));
		col_copy(st, 5, c->pod, sizeof(c->pod));
		col_copy(st, 6, c->pod_ns, sizeof(c->pod_ns));
		if (sqlite3_column_type(st, 7) == SQLITE_INTEGER) {
			sqlite3_int64 pid = sqlite3_column_int64(st, 7);

			if (pid > 0 && pid < (1 << 30))
				c->pid = (int)pid;
		}
		if (sqlite3_column_type(st, 8) == SQLITE_INTEGER && sqlite3_column_int(st, 8))
			c->sandbox = 1;
		n++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW) {
		long long total = list_length(jdb, body, len);

		if (late)
			warnx("%s: the list took longer than %d ms to read: %lld containers dropped",
			      engine, ENGINE_TIMEOUT_MS, total - rows);
		else
			warnx("%s: more than %d containers: %lld dropped", engine,
			      ENGINE_MAX_CONTAINERS, total - rows);
		return n;
	}
	return rc == SQLITE_DONE ? n : -1;
}

/* "unix:///path" from an environment variable, or the default when it exists. */
static int socket_for(const char *env, const char *fallback, char *out, size_t size)
{
	const char *v = getenv(env);
	struct stat st;

	if (v && *v) {
		if (strncmp(v, "unix://", 7))
			return 0;	/* tcp:// and ssh:// are not ours to follow */
		copy_str(out, size, v + 7);
		return 1;
	}
	if (stat(fallback, &st) || !S_ISSOCK(st.st_mode))
		return 0;
	copy_str(out, size, fallback);
	return 1;
}

/* The socket of the host's Docker that engine_api_scan() asks: 1 with out set, 0 none. */
int engine_docker_socket(char *out, size_t size)
{
	return socket_for("DOCKER_HOST", "/var/run/docker.sock", out, size);
}

/* Docker's containerd keeps each task's main PID in its bundle. */
static void docker_pids(struct topo *t)
{
	static const char *const roots[] = {
		"/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby",
		"/run/containerd/io.containerd.runtime.v2.task/moby",
	};

	for (size_t i = 0; i < t->nctrs; i++) {
		struct container *c = &t->ctrs[i];

		if (strcmp(c->engine, "docker") || c->pid || c->src_mntns)
			continue;	/* a nested daemon's: its shim tells (engine_find.c) */
		for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]) && !c->pid; r++) {
			char path[512], *text;

			snprintf(path, sizeof(path), "%s/%s/init.pid", roots[r], c->id);
			text = read_small_file(path, 32, NULL);
			if (text) {
				long pid = strtol(text, NULL, 10);

				if (pid > 0 && pid < (1 << 30))
					c->pid = (int)pid;
				free(text);
			}
		}
	}
}

/*
 * Docker at /var/run/docker.sock, Podman at /run/podman/podman.sock, and every dockerd
 * found in another mount namespace (engine_daemons_find, from ep), all at once.  A nested
 * daemon's containers carry its mount namespace: their PIDs come from the shims there.
 * Returns whether Podman's API answered.
 */
int engine_api_scan(struct topo *t, sqlite3 *jdb, const struct engine_procs *ep)
{
	struct http_req req[2 + ENGINE_DAEMONS_MAX];
	struct engine_daemon dm[ENGINE_DAEMONS_MAX];
	uint64_t mntns[2 + ENGINE_DAEMONS_MAX] = { 0 };
	int n = 0, podman_api = 0;
	size_t nd;
	long long deadline;

	memset(req, 0, sizeof(req));
	if (engine_docker_socket(req[n].sock, sizeof(req[n].sock))) {
		req[n].engine = "docker";
		copy_str(req[n].path, sizeof(req[n].path), "/v1.40/containers/json");
		n++;
	}
	if (socket_for("CONTAINER_HOST", "/run/podman/podman.sock", req[n].sock,
		       sizeof(req[n].sock))) {
		req[n].engine = "podman";
		copy_str(req[n].path, sizeof(req[n].path), "/v4.0.0/libpod/containers/json");
		n++;
	}
	nd = engine_daemons_find(ep, dm, ENGINE_DAEMONS_MAX);
	for (size_t i = 0; i < nd; i++, n++) {
		req[n].engine = "docker";
		snprintf(req[n].sock, sizeof(req[n].sock), "/proc/self/fd/%d", dm[i].fd);
		req[n].shown = dm[i].shown;
		req[n].peer_check = 1;
		req[n].peer_uid = 0;
		req[n].peer_pid = dm[i].pid;
		mntns[n] = dm[i].mntns;
		copy_str(req[n].path, sizeof(req[n].path), "/v1.40/containers/json");
	}
	if (!n)
		return 0;
	deadline = http_now_ms() + ENGINE_TIMEOUT_MS;
	http_run(req, (size_t)n, ENGINE_TIMEOUT_MS);
	for (int i = 0; i < n; i++) {
		struct http_req *r = &req[i];
		const char *sock = r->shown ? r->shown : r->sock;
		size_t before = t->nctrs;
		int got = -1;

		if (r->done && r->status == 200)
			got = engine_take_list(t, jdb, r->engine, r->body, r->body_len,
					       deadline);
		if (got >= 0) {
			verbose("%s: %d containers from %s", r->engine, got, sock);
			podman_api |= !strcmp(r->engine, "podman");
			for (size_t k = before; k < t->nctrs; k++)
				t->ctrs[k].src_mntns = mntns[i];
		} else if (r->done && r->status != 200) {
			warnx("%s: '%s' answered HTTP %d: containers named from /proc only", r->engine,
			      sock, r->status);
		} else if (r->done) {
			warnx("%s: '%s' answered malformed JSON: containers named from /proc only",
			      r->engine, sock);
		} else {
			warnx("%s: '%s': %s: containers named from /proc only", r->engine, sock,
			      r->err);
		}
		http_release(r);
	}
	for (size_t i = 0; i < nd; i++)
		close(dm[i].fd);
	docker_pids(t);
	return podman_api;
}
