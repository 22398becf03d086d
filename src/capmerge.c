/*
 * capmerge.c implements the time-order merge of several capture handles' packets (see
 * capmerge.h): a binary min-heap of copies on (stamp, order held), so packets with the
 * same stamp keep the order they were read in.  The memory held is bounded: past
 * max_bytes of packet data the oldest are given out at once, whatever their stamp, and
 * the order is then only as good as the kernel's blocks make it.
 */
#include <stdlib.h>
#include <string.h>

#include "capmerge.h"

void capmerge_init(struct capmerge *m, size_t max_bytes)
{
	memset(m, 0, sizeof(*m));
	m->max_bytes = max_bytes;
}

static int before(const struct capheld *a, const struct capheld *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

int capmerge_add(struct capmerge *m, size_t iface, uint64_t ts, uint64_t at,
		 const unsigned char *data, uint32_t caplen, uint32_t len)
{
	struct capheld *p;
	size_t i;

	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		struct capheld **nh = realloc(m->heap, ncap * sizeof(*nh));

		if (!nh)
			return -1;
		m->heap = nh;
		m->cap = ncap;
	}
	p = malloc(sizeof(*p) + caplen);
	if (!p)
		return -1;
	p->ts = ts;
	p->seq = m->seq++;
	p->at = at;
	p->iface = iface;
	p->caplen = caplen;
	p->len = len;
	memcpy(p->data, data, caplen);
	for (i = m->n++; i > 0 && before(p, m->heap[(i - 1) / 2]); i = (i - 1) / 2)
		m->heap[i] = m->heap[(i - 1) / 2];
	m->heap[i] = p;
	m->bytes += caplen;
	return 0;
}

struct capheld *capmerge_next(struct capmerge *m, uint64_t upto, uint64_t read_by)
{
	struct capheld *top, *last;
	size_t i = 0;

	if (!m->n || (m->heap[0]->ts > upto && m->heap[0]->at > read_by &&
		      m->bytes <= m->max_bytes))
		return NULL;
	top = m->heap[0];
	last = m->heap[--m->n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->n)
			break;
		if (c + 1 < m->n && before(m->heap[c + 1], m->heap[c]))
			c++;
		if (!before(m->heap[c], last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->n)
		m->heap[i] = last;
	m->bytes -= top->caplen;
	return top;
}

const struct capheld *capmerge_top(const struct capmerge *m)
{
	return m->n ? m->heap[0] : NULL;
}

void capmerge_release(struct capmerge *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->heap[i]);
	free(m->heap);
	memset(m, 0, sizeof(*m));
}
