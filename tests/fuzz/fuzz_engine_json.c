/*
 * Fuzz target: engine answers and state files parsed as JSON (Docker/Podman container
 * lists, containerd config.json annotations).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sqlite3 *db;
	struct topo t;
	char out[64] = "";

	if (!db && sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	topo_init(&t);
	engine_take_list(&t, db, "docker", (const char *)data, size, 0);
	for (size_t i = 0; i < t.nctrs; i++)
		if (!container_text_ok(t.ctrs[i].name) || !container_text_ok(t.ctrs[i].id))
			abort();	/* nothing with control characters is kept */
	engine_json_text(db, (const char *)data, size,
			 "$.annotations.\"io.kubernetes.cri.sandbox-name\"", out, sizeof(out));
	if (!container_text_ok(out) || strlen(out) >= sizeof(out))
		abort();
	topo_release(&t);
	return 0;
}
