/*
 * floor.c - the floor reference for 'make bench': the least work any scan must do.
 *
 * It discovers every network namespace (netns_discover) and dumps each one's links
 * (nl_dump_ns without addresses), then stops: no address dump, no pairing, no nsid
 * queries, no database.  vethmap scan is measured against this.
 *
 *   floor: N namespaces, M links in X ms
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

#include "vethmap.h"

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct topo t;
	size_t failed = 0;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: floor\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	topo_init(&t);
	if (netns_discover(&t)) {
		netns_close_all(&t);
		return 1;
	}
	for (size_t i = 0; i < t.nns; i++)
		if (nl_dump_ns(&t, i, 0))
			failed++;
	nl_close_all(&t);
	netns_close_all(&t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("floor: %zu namespaces, %zu links in %.1f ms\n", t.nns, t.nifs,
	       ts_diff_ms(&t0, &t1));
	if (failed)
		fprintf(stderr, "floor: %zu namespace dumps failed\n", failed);
	topo_release(&t);
	return failed ? 1 : 0;
}
