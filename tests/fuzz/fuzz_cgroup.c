/* Fuzz target: /proc/PID/cgroup parsing (src/cgroup.c). */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct cgroup_match m;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cgroup_file_parse(s, &m) &&
	    (!m.engine || !*m.id || strlen(m.id) >= sizeof(m.id) || !container_text_ok(m.id) ||
	     strlen(m.dir) >= sizeof(m.dir) || strchr(m.id, '/')))
		abort();	/* a match must name an engine and a clean, bounded id */
	if (cgroup_path_parse(s, &m) && (!m.engine || strncmp(s, m.dir, strlen(m.dir))))
		abort();	/* the directory is the start of the path */
	free(s);
	return 0;
}
