/* Fuzz target: the one-line packet decoder (src/pktline.c); first byte picks the link type. */
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { 1, 101, 228, 229, 113, 12, 0, 276 };
	char buf[256];

	if (!size)
		return 0;
	pkt_describe(buf, sizeof(buf), types[data[0] % 8], data + 1, (uint32_t)(size - 1),
		     (uint32_t)(size - 1 + (data[0] >> 3)));
	if (strlen(buf) >= sizeof(buf))
		__builtin_trap();
	return 0;
}
