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

/* One handle's packets, in the order read: a FIFO of whole entries in one buffer. */
struct capq {
	unsigned char *buf;
	size_t head, tail, cap;	/* entries lie in [head, tail) */
};

struct capmerge {
	struct capq *q;		/* one per handle */
	size_t nq;
	size_t n;		/* packets held */
	size_t bytes, max_bytes; /* data held; past max_bytes the oldest go out early */
	uint64_t seq;
};

/* For nq handles; -1 when out of memory. */
int capmerge_init(struct capmerge *m, size_t nq, size_t max_bytes);
/* Hold a copy of a packet read at `at`; -1 when out of memory (nothing held then). */
int capmerge_add(struct capmerge *m, size_t iface, uint64_t ts, uint64_t at,
		 const unsigned char *data, uint32_t caplen, uint32_t len);
/*
 * The oldest packet held (the oldest of the handles' first ones: each handle's come in
 * order), taken out if it is due: stamped at or before `upto`, read at or before
 * `read_by` (a stamp from a clock set back does not hold it for ever), or more than
 * max_bytes are held (UINT64_MAX: every one).  NULL when none is due.  What it points
 * to stays valid until the next call of capmerge_add or capmerge_release.
 */
const struct capheld *capmerge_next(struct capmerge *m, uint64_t upto, uint64_t read_by);
/* The oldest packet held, left in; NULL when nothing is. */
const struct capheld *capmerge_top(const struct capmerge *m);
void capmerge_release(struct capmerge *m);

#endif
