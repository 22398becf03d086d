/*
 * engine_podman.c implements Podman read from its state on disk, used when Podman's API
 * socket is absent: containers.json for names, each container's pidfile for its PID.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

/* Podman without its API: containers.json for names, each pidfile for the PID. */
int engine_podman_disk_scan(struct topo *t, sqlite3 *jdb)
{
	static const char sql[] =
		"SELECT json_extract(value, '$.id'), json_extract(value, '$.names[0]'),"
		" json_extract(value, '$.metadata')"
		" FROM json_each(?1) WHERE json_valid(?1) AND json_type(?1) = 'array'";
	const char *list = "/var/lib/containers/storage/overlay-containers/containers.json";
	sqlite3_stmt *st;
	size_t len;
	char *text = read_small_file(list, ENGINE_JSON_MAX, &len);

	if (!text)
		return 0;
	if (sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK) {
		free(text);
		return 0;
	}
	sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *meta = (const char *)sqlite3_column_text(st, 2);
		char path[512];
		struct container *c;
		int pid;

		if (sqlite3_column_type(st, 0) != SQLITE_TEXT || !id || strlen(id) != 64 ||
		    !container_text_ok(id) || strchr(id, '/') || topo_find_container(t, "podman", id))
			continue;
		snprintf(path, sizeof(path),
			 "/run/containers/storage/overlay-containers/%s/userdata/pidfile", id);
		pid = pid_from_file(path);
		if (!pid)
			continue;	/* not running (or a build container) */
		c = topo_add_container(t, "podman", id);
		c->pid = pid;
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT && name && container_text_ok(name))
			copy_str(c->name, sizeof(c->name), name);
		if (sqlite3_column_type(st, 2) == SQLITE_TEXT && meta)
			engine_json_text(jdb, meta, strlen(meta), "$.\"image-name\"", c->image,
				   sizeof(c->image));
	}
	sqlite3_finalize(st);
	free(text);
	return 0;
}
