/* Fuzz target: the deep pass's parsers of what /proc shows (src/fdprobe.c). */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), name[IFNAME_MAX];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* an iff: name is bounded, non-empty, one line */
	if (!fdinfo_iff(s, name, sizeof(name)) &&
	    (!*name || strlen(name) >= IFNAMSIZ_ || strchr(name, '\n')))
		abort();
	(void)cgroup_has_netcls(s);
	free(s);
	return 0;
}
