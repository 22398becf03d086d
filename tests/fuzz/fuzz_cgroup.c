/* Fuzz target: /proc/PID/cgroup parsing (src/cgroup.c). */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), id[128];
	const char *engine = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cgroup_file_parse(s, &engine, id, sizeof(id)) &&
	    (!engine || strlen(id) >= sizeof(id) || !container_text_ok(id)))
		abort();	/* a match must name an engine and a clean, bounded id */
	cgroup_path_parse(s, &engine, id, 8);
	free(s);
	return 0;
}
