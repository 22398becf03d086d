/*
 * Fuzz target: mountinfo lines as another process controls them: path unescaping
 * (decode_mount_escapes in src/util.c) and the line parser and rules of src/mountinfo.c.
 */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *line;
	struct strv unsafe = { 0 };
	struct mnt_entry e;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	line = strdup(s);
	if (!decode_mount_escapes(s) && strlen(s) > size)
		abort();	/* decoding never grows a string */
	if (line && !mountinfo_parse(line, &e)) {
		if (e.mountpoint[0] != '/' || strlen(e.mountpoint) > size || !e.fstype)
			abort();	/* a parsed line has an absolute mountpoint from the input */
		if (fstype_unsafe(e.fstype))
			strv_add(&unsafe, e.mountpoint);
		if (unsafe.n && !mount_unsafe_parent(&unsafe, e.mountpoint))
			abort();	/* a mountpoint is below itself */
		if (e.net_ino) {
			char *name = ns_name_make(e.mountpoint, 0, 1);

			if (ns_name_is_host(name))
				abort();	/* a foreign name never passes for a host one */
			free(name);
		}
	}
	strv_release(&unsafe);
	free(line);
	free(s);
	return 0;
}
