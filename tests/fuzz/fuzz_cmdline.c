/*
 * Fuzz target: process command lines read from /proc/P/cmdline (src/engine_find.c): a
 * conmon's (-c ID, -n NAME, --exit-command) and an LXC monitor's ("[lxc monitor] PATH
 * NAME").  The input is used as is, NULs included, never read past its length.
 */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1), id[72], name[128];
	const char *engine = NULL;

	if (!buf)
		return 0;
	memcpy(buf, data, size);	/* exactly size bytes: a read past them is caught */
	if (!conmon_cmdline_parse(buf, size, id, sizeof(id), name, sizeof(name), &engine)) {
		size_t n = strlen(id);

		/* an id taken is hex, 12 to 71 characters; a name has no control character */
		if (!engine || n < 12 || strspn(id, "0123456789abcdef") != n ||
		    !container_text_ok(name))
			abort();
	}
	if (!lxc_monitor_parse(buf, size, name, sizeof(name)) &&
	    (!*name || strchr(name, '/') || !container_text_ok(name)))
		abort();
	free(buf);
	return 0;
}
