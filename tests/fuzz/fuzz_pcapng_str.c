/*
 * Fuzz target: pcapng_str() (src/pcapng.c), what every interface name, description and
 * comment of a capture file goes through: the output must be valid UTF-8 with no C0 or C1
 * control character and no DEL, NUL-terminated within its buffer, whatever the input and
 * the buffer's size.
 */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *out, size_t bufsize)
{
	const unsigned char *p = (const unsigned char *)out;

	if (strnlen(out, bufsize) >= bufsize)
		abort();	/* unterminated */
	while (*p) {
		unsigned cp;
		int len = utf8_seq_len(p, &cp);

		if (!len || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			abort();	/* not UTF-8, or a control character */
		p += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), small[7], *big;
	size_t bigsize = size * 5 + 1;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	big = malloc(bigsize);
	if (!big) {
		free(s);
		return 0;
	}
	pcapng_str(small, sizeof(small), s);
	check_clean(small, sizeof(small));
	pcapng_str(big, bigsize, s);
	check_clean(big, bigsize);
	free(big);
	free(s);
	return 0;
}
