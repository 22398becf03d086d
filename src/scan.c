/*
 * scan.c implements one whole scan of the host: discover namespaces, dump each one,
 * pair and link, and time it.  The result is a struct topo with no fds left open.  A scan
 * that saw namespaces it could not hold (out of descriptors, a lookup deadline, a mount
 * table beyond its bound) says so in one warning line and is marked incomplete in t.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <time.h>
#include <unistd.h>

#include "vethmap.h"

/* The capabilities a scan needs, each missing one named in one line; -1 if any lacks. */
int scan_need_caps(const char *what)
{
	return need_cap(what, CAP_SYS_ADMIN, "to enter network namespaces") ||
	       need_cap(what, CAP_SYS_PTRACE, "to read other processes' namespaces") ? -1 : 0;
}

int scan_run(struct topo *t, int want_addrs, int want_containers)
{
	struct timespec t0, t1, wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fmt_iso8601(t->started, sizeof(t->started), &wall);
	if (gethostname(t->host, sizeof(t->host) - 1))
		copy_str(t->host, sizeof(t->host), "unknown");
	t->host[sizeof(t->host) - 1] = '\0';

	if (netns_discover(t)) {
		netns_close_all(t);
		return -1;
	}
	fdprobe_owners(t);
	for (size_t i = 0; i < t->nns; i++)
		nl_dump_ns(t, i, want_addrs);
	topo_sort(t);
	topo_build(t, nl_nsid, t);
	if (want_containers)
		engines_scan(t);
	nl_close_all(t);
	if (!t->keep_fds)
		netns_close_all(t);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->duration_ms = ts_diff_ms(&t0, &t1);
	if (topo_incomplete(t) && t->missed)
		warnx("scan incomplete: %lu namespaces seen but not held (%s)", t->missed,
		      t->incomplete_reason[0] ? t->incomplete_reason : "lookup deadline");
	else if (topo_incomplete(t))
		warnx("scan incomplete: %s", t->incomplete_reason[0] ? t->incomplete_reason :
		      "lookup deadline");
	verbose("scan: %zu namespaces, %zu interfaces, %zu edges, %zu unresolved in %.1f ms",
		t->nns, t->nifs, t->nedges, t->nunres, t->duration_ms);
	return 0;
}
