/*
 * Fuzz target: the line stream of an engine's event answer (src/http.c, Docker's /events),
 * plain and chunked, fed in pieces whose size the first byte chooses; the bounds must hold
 * whatever comes, and nothing is fed after a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_stream s;
	size_t step;

	if (!size)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	http_stream_init(&s);
	for (size_t i = 0; i < size; i += step) {
		const char *err = NULL;
		long n = http_stream_feed(&s, (const char *)data + i, size - i < step ? size - i : step,
					  &err);

		if (n < 0) {
			if (!err)
				abort();	/* a refusal says why */
			break;
		}
		if (s.hlen >= HTTP_STREAM_HEAD || s.line > HTTP_STREAM_LINE || (size_t)n > step)
			abort();
	}
	return 0;
}
