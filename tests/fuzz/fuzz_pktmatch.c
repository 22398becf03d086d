/*
 * Fuzz target: the trace's packet key parser and matcher (src/pktmatch.c).  The first byte
 * picks the link type; the input is seen at two hops, the second time with its first 14
 * bytes (a MAC header's worth) changed, and must be one packet when it parses at all.
 */
#include <string.h>
#include <sys/socket.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { 1, 101, 228, 229, 113, 12, 276, 14 };
	static const int cap[2] = { 1, 1 };
	struct pm_flow f = { .family = AF_INET };
	struct pkt_key k;
	struct pm_hit h1, h2;
	struct pm_hopstat hs[2];
	struct pm_summary s;
	struct pm m;
	uint8_t copy[512];
	int lt;

	if (!size)
		return 0;
	lt = types[data[0] % 8];
	data++, size--;
	if (size > sizeof(copy))
		size = sizeof(copy);
	pm_init(&m, 2, &f);
	if (!pkt_key_parse(lt, data, (uint32_t)size, &k)) {
		if (!k.family)
			__builtin_trap();
		pm_add(&m, 0, 1000, &k, &h1);
		memcpy(copy, data, size);
		if (lt == 1 && size >= 12)
			memset(copy, 0xab, 12);		/* other MACs: still the same packet */
		if (pkt_key_parse(lt, copy, (uint32_t)size, &k))
			__builtin_trap();
		pm_add(&m, 1, 2000, &k, &h2);
		if (!h1.id || h2.id != h1.id)
			__builtin_trap();
	} else if (k.family) {
		__builtin_trap();
	}
	pm_summarize(&m, cap, 1, 3000, hs, &s);
	pm_release(&m);
	return 0;
}
