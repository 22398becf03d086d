/* Fuzz target: a user's containers-storage.conf (src/engine_podman.c). */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A value taken is NUL-ended inside its field, without control characters or backslashes. */
static int clean(const char *v, size_t size)
{
	size_t n = strnlen(v, size);

	return n < size && container_text_ok(v) && !memchr(v, '\\', n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct storage_conf sc;
	int n;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = storage_conf_parse(s, &sc);
	if (n < 0 || !clean(sc.driver, sizeof(sc.driver)) ||
	    !clean(sc.graphroot, sizeof(sc.graphroot)) || !clean(sc.runroot, sizeof(sc.runroot)))
		abort();
	if (n == 0 && (*sc.driver || *sc.graphroot || *sc.runroot))
		abort();	/* nothing taken: nothing set */
	free(s);
	return 0;
}
