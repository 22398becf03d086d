/*
 * capmerge.h - the packets of several capture handles put back in time order
 * (capmerge.c).  Each handle hands its packets over a kernel block at a time, so what is
 * read from two interfaces comes in runs; the merge holds each packet until no handle can
 * still hand over an earlier one, then gives them out oldest first.  Pure logic: no I/O.
 */
#ifndef VETHMAP_CAPMERGE_H
#define VETHMAP_CAPMERGE_H

#include <stddef.h>
#include <stdint.h>

struct capheld {
	uint64_t ts;		/* the packet's stamp, nanoseconds */
	uint64_t seq;		/* the order it was held in: equal stamps keep it */
	uint64_t at;		/* when it was read (the caller's clock) */
	size_t iface;		/* the handle it came from */
	uint32_t caplen, len;
	unsigned char data[];	/* caplen bytes */
};

struct capmerge {
	struct capheld **heap;	/* a binary min-heap on (ts, seq) */
	size_t n, cap;
	size_t bytes, max_bytes; /* data held; past max_bytes the oldest go out early */
	uint64_t seq;
};

void capmerge_init(struct capmerge *m, size_t max_bytes);
/* Hold a copy of a packet read at `at`; -1 when out of memory (nothing held then). */
int capmerge_add(struct capmerge *m, size_t iface, uint64_t ts, uint64_t at,
		 const unsigned char *data, uint32_t caplen, uint32_t len);
/*
 * The oldest packet held, taken out if it is due: stamped at or before `upto`, read at or
 * before `read_by` (a stamp from a clock set back does not hold it for ever), or more
 * than max_bytes are held (UINT64_MAX: every one).  free() it.  NULL when none is due.
 */
struct capheld *capmerge_next(struct capmerge *m, uint64_t upto, uint64_t read_by);
/* The oldest packet held, left in; NULL when nothing is. */
const struct capheld *capmerge_top(const struct capmerge *m);
void capmerge_release(struct capmerge *m);

#endif
