/* Fuzz target: mountinfo path unescaping (decode_mount_escapes in src/util.c). */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!decode_mount_escapes(s) && strlen(s) > size)
		abort();	/* decoding never grows a string */
	free(s);
	return 0;
}
