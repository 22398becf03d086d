/* Fuzz target: our own netlink attribute handling, the RTM_GETNSID answer (src/nl.c). */
#include <stdint.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq = 0;
	int id, current;

	if (size >= 4) {
		memcpy(&seq, data, 4);
		data += 4;
		size -= 4;
	}
	nsid_parse_reply(data, size, seq, &id);
	nsid_parse_reply_cur(data, size, seq, &id, &current);
	return 0;
}
