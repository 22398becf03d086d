/* Fuzz target: parsing an engine's HTTP answer (src/http.c), chunked bodies included. */
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	r.buf = malloc(size + 1);
	if (!r.buf)
		return 0;
	memcpy(r.buf, data, size);
	r.buf[size] = '\0';
	r.len = size;
	r.cap = size + 1;
	http_parse_answer(&r);
	if (r.done && (r.body < r.buf || r.body + r.body_len > r.buf + size || r.body[r.body_len]))
		abort();	/* the body lies inside the answer and is terminated */
	free(r.buf);
	return 0;
}
