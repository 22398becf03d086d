/*
 * retain.c implements what 'vethmap prune' (and 'scan --keep/--older-than') keeps: the
 * choice of the snapshots to delete from the list of stored ones.  Pure: no I/O, no SQL;
 * db_prune.c deletes what this chose.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

void retain_init(struct retain *r)
{
	memset(r, 0, sizeof(*r));
	r->keep = -1;
	r->older_s = -1;
}

int retain_given(const struct retain *r)
{
	return r->keep >= 0 || r->older_s >= 0;
}

/* The index of snapshot id in v (ascending ids), or -1. */
static long find_id(const struct scan_info *v, size_t n, long long id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].id == id ? (long)lo : -1;
}

/*
 * A snapshot is deleted when every rule given lets it go: it is not among the newest
 * r->keep, and it started more than r->older_s seconds before now (one whose start time
 * does not read as one is kept: its age is unknown).  Then any snapshot a kept one refers
 * to (same_as) is kept too, as is one that such a kept base refers to.  v is oldest first
 * (ascending ids); doom[i] = 1 for each to delete.  Returns how many; *bases counts those
 * kept only because a kept one refers to them.
 */
/*
 * References point back in time: from the newest down, a kept snapshot keeps the one it
 * refers to (same_as).  How many were kept so; the number still doomed into *ndoom.
 */
static size_t keep_bases(const struct scan_info *v, size_t n, unsigned char *doom,
			 size_t *ndoom)
{
	size_t bases = 0;

	for (size_t j = n; j-- > 0;) {
		long b = !doom[j] && v[j].same_as > 0 ? find_id(v, n, v[j].same_as) : -1;

		if (b >= 0 && (size_t)b < j && doom[b]) {
			doom[b] = 0;
			bases++;
		}
	}
	*ndoom = 0;
	for (size_t i = 0; i < n; i++)
		*ndoom += doom[i];
	return bases;
}

size_t retain_select(const struct scan_info *v, size_t n, const struct retain *r,
		     long long now, unsigned char *doom, size_t *bases)
{
	size_t ndoom = 0;

	*bases = 0;
	for (size_t i = 0; i < n; i++) {
		long long t = parse_iso8601(v[i].started);

		doom[i] = retain_given(r);
		if (r->keep >= 0 && n - i <= (size_t)r->keep)
			doom[i] = 0;
		if (r->older_s >= 0 && (t < 0 || (double)(now - t) <= r->older_s))
			doom[i] = 0;
	}
	*bases = keep_bases(v, n, doom, &ndoom);
	return ndoom;
}

/*
 * What watch's compaction deletes (struct compact says the rules), v oldest first,
 * batch[i] = 1 for a snapshot stored with events (a batch of watch's).  The newest
 * snapshot is never deleted, nor one whose start time does not read as one, nor a base
 * a kept one refers to.  Of those older than keep_s, the newest stays: the state the
 * oldest events left starts from it.  Of watch's batches older than thin_s, the first in
 * each period of thin_s seconds (counted from 1970) stays as the checkpoint; so does any
 * snapshot that is no batch (a scan's, a watch's first).  doom[i] = 1 for each to
 * delete; returns how many.
 */
size_t compact_select(const struct scan_info *v, size_t n, const unsigned char *batch,
		      const struct compact *c, long long now, unsigned char *doom)
{
	long long period = -1;
	long base = -1;		/* the newest older than keep_s */
	size_t ndoom = 0;

	for (size_t i = 0; i < n; i++) {
		long long t = parse_iso8601(v[i].started), p;

		doom[i] = 0;
		if (t < 0 || i + 1 == n)
			continue;
		p = c->thin_s > 0 ? (long long)((double)t / c->thin_s) : 0;
		if (c->keep_s > 0 && (double)(now - t) > c->keep_s) {
			if (base >= 0)
				doom[base] = 1;
			base = (long)i;
			period = p;	/* the base is its period's checkpoint */
			continue;
		}
		if (c->thin_s <= 0 || (double)(now - t) <= c->thin_s)
			continue;
		if (p == period && batch[i])
			doom[i] = 1;
		else
			period = p;
	}
	keep_bases(v, n, doom, &ndoom);
	return ndoom;
}
