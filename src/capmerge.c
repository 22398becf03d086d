/*
 * capmerge.c implements the time-order merge of several capture handles' packets (see
 * capmerge.h).  A handle's packets come in the order the kernel stamped them, so each
 * handle gets a FIFO (copies laid end to end in one buffer, no allocation per packet) and
 * the oldest packet is the oldest of the FIFOs' first ones, equal stamps in the order held:
 * a look at each handle's first packet (a capture has a few handles; 256 at most).  The
 * memory held is bounded: past max_bytes of packet data the oldest go out at once,
 * whatever their stamp, and the order is then only as good as the kernel's blocks make it.
 */
#include <stdlib.h>
#include <string.h>

#include "capmerge.h"

#define CAPQ_MIN	(64u * 1024)

int capmerge_init(struct capmerge *m, size_t nq, size_t max_bytes)
{
	memset(m, 0, sizeof(*m));
	m->max_bytes = max_bytes;
	m->q = calloc(nq ? nq : 1, sizeof(*m->q));
	if (!m->q)
		return -1;
	m->nq = nq;
	return 0;
}

/* An entry's size: its header and data, rounded up so the next one is aligned. */
static size_t entry_size(uint32_t caplen)
{
	size_t a = _Alignof(struct capheld);

	return (sizeof(struct capheld) + caplen + a - 1) / a * a;
}

/* Room for `need` more bytes at the tail: the live entries moved to the front, or a
 * bigger buffer when they fill half of it. */
static int capq_room(struct capq *q, size_t need)
{
	size_t live = q->tail - q->head, ncap;
	unsigned char *nb;

	if (q->cap - q->tail >= need)
		return 0;
	if (live + need <= q->cap / 2) {
		memmove(q->buf, q->buf + q->head, live);
	} else {
		ncap = q->cap ? q->cap : CAPQ_MIN;
		while (ncap / 2 < live + need)
			ncap *= 2;
		nb = malloc(ncap);
		if (!nb)
			return -1;
		if (live)
			memcpy(nb, q->buf + q->head, live);
		free(q->buf);
		q->buf = nb;
		q->cap = ncap;
	}
	q->head = 0;
	q->tail = live;
	return 0;
}

int capmerge_add(struct capmerge *m, size_t iface, uint64_t ts, uint64_t at,
		 const unsigned char *data, uint32_t caplen, uint32_t len)
{
	struct capq *q;
	struct capheld *p;
	size_t need = entry_size(caplen);

	if (iface >= m->nq)
		return -1;
	q = &m->q[iface];
	if (capq_room(q, need))
		return -1;
	p = (struct capheld *)(void *)(q->buf + q->tail);
	p->ts = ts;
	p->seq = m->seq++;
	p->at = at;
	p->iface = iface;
	p->caplen = caplen;
	p->len = len;
	memcpy(p->data, data, caplen);
	q->tail += need;
	m->n++;
	m->bytes += caplen;
	return 0;
}

static const struct capheld *head_of(const struct capq *q)
{
	return q->head < q->tail ? (const struct capheld *)(const void *)(q->buf + q->head) : NULL;
}

/* The handle whose first packet is the oldest; nq when nothing is held. */
static size_t oldest(const struct capmerge *m)
{
	const struct capheld *best = NULL;
	size_t bi = m->nq;

	for (size_t i = 0; i < m->nq && m->n; i++) {
		const struct capheld *h = head_of(&m->q[i]);

		if (h && (!best || h->ts < best->ts || (h->ts == best->ts && h->seq < best->seq))) {
			best = h;
			bi = i;
		}
	}
	return bi;
}

const struct capheld *capmerge_top(const struct capmerge *m)
{
	size_t i = oldest(m);

	return i < m->nq ? head_of(&m->q[i]) : NULL;
}

const struct capheld *capmerge_next(struct capmerge *m, uint64_t upto, uint64_t read_by)
{
	size_t i = oldest(m);
	const struct capheld *p;
	struct capq *q;

	if (i == m->nq)
		return NULL;
	q = &m->q[i];
	p = head_of(q);
	if (p->ts > upto && p->at > read_by && m->bytes <= m->max_bytes)
		return NULL;
	q->head += entry_size(p->caplen);
	if (q->head == q->tail)		/* empty: the next one starts at the front */
		q->head = q->tail = 0;	/* (the bytes stay: p is still good) */
	m->n--;
	m->bytes -= p->caplen;
	return p;
}

void capmerge_release(struct capmerge *m)
{
	for (size_t i = 0; i < m->nq; i++)
		free(m->q[i].buf);
	free(m->q);
	memset(m, 0, sizeof(*m));
}
