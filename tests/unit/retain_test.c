/*
 * retain_test.c: what 'vethmap prune' deletes (retain_select), and the parsers of its
 * arguments and of stored start times, without root.  Links the model's base and retain.o
 * alone: the choice does no I/O.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "vethmap.h"
#include "unit.h"

#define NOW 1796169600LL	/* 2026-12-02T00:00:00Z */

/* n snapshots, ids 1..n, one an hour up to NOW - 1 h; same_as as given (0: own rows) */
static void list(struct scan_info *v, size_t n, const long long *same_as)
{
	memset(v, 0, n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct timespec ts = { .tv_sec = NOW - (long long)(n - i) * 3600 };

		v[i].id = (long long)i + 1;
		fmt_iso8601(v[i].started, sizeof(v[i].started), &ts);
		v[i].same_as = same_as ? same_as[i] : 0;
	}
}

/* The doomed ids as "1,2,3" */
static const char *doomed(const struct scan_info *v, size_t n, const unsigned char *doom)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (doom[i])
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lld", len ? "," : "",
						v[i].id);
	return buf;
}

static void expect(const char *name, const struct scan_info *v, size_t n, long long keep,
		   double older, const char *want, size_t want_bases)
{
	struct retain r;
	unsigned char doom[16];
	size_t bases, k;

	retain_init(&r);
	r.keep = keep;
	r.older_s = older;
	k = retain_select(v, n, &r, NOW, doom, &bases);
	for (size_t i = 0; i < n; i++)
		k -= doom[i];	/* the count returned is the count marked */
	check(!strcmp(doomed(v, n, doom), want) && bases == want_bases && k == 0, name, "deleted [%s] (want [%s]), %zu bases (want %zu)", doomed(v, n, doom), want,
	      bases, want_bases);
}

/*
 * compact_select on snapshots at NOW - ago[i] seconds (ids 1..n), batch[i] whether each
 * is a watch batch's, same_as as given (NULL: none).
 */
static void expect_compact(const char *name, const long long *ago, const unsigned char *batch,
			   const long long *same_as, size_t n, double keep_s, double thin_s,
			   const char *want)
{
	struct compact c = { .keep_s = keep_s, .thin_s = thin_s };
	struct scan_info v[16];
	unsigned char doom[16];
	size_t k;

	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < n; i++) {
		struct timespec ts = { .tv_sec = NOW - ago[i] };

		v[i].id = (long long)i + 1;
		fmt_iso8601(v[i].started, sizeof(v[i].started), &ts);
		v[i].same_as = same_as ? same_as[i] : 0;
	}
	k = compact_select(v, n, batch, &c, NOW, doom);
	for (size_t i = 0; i < n; i++)
		k -= doom[i];
	check(!strcmp(doomed(v, n, doom), want) && k == 0, name, "deleted [%s] (want [%s])",
	      doomed(v, n, doom), want);
}

static void compact_tests(void)
{
	/* NOW is a multiple of 600: periods of 10 min are [NOW-1200, NOW-600), ... */
	static const long long ago[] = { 1500, 1190, 1100, 1000, 700, 590, 500, 300, 10 };
	static const unsigned char all[] = { 0, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const unsigned char some[] = { 0, 1, 0, 1, 1, 1, 1, 1, 1 };
	static const long long same[] = { 0, 0, 0, 0, 0, 3, 0, 0, 0 };

	expect_compact("thin 10m: one checkpoint per period older than 10m", ago, all, NULL, 9,
		       0, 600, "3,4,5");
	expect_compact("thin 10m: a snapshot that is no batch stays (and is the checkpoint)",
		       ago, some, NULL, 9, 0, 600, "4,5");
	expect_compact("thin: the base of a kept reference stays", ago, all, same, 9, 0, 600,
		       "4,5");
	expect_compact("thin 5m: the periods are 5m long", ago, all, NULL, 9, 0, 300,
		       "3,4,7");
	expect_compact("no thinning, no keep: nothing goes", ago, all, NULL, 9, 0, 0, "");
	expect_compact("keep 15m: older go but the newest before the cutoff (the base)", ago,
		       all, NULL, 9, 900, 0, "1,2,3");
	expect_compact("keep 15m and thin 10m together", ago, all, NULL, 9, 900, 600, "1,2,3,5");
	expect_compact("keep 1s: everything older goes but the base and the newest", ago, all,
		       NULL, 9, 1, 0, "1,2,3,4,5,6,7");
	expect_compact("thin 1s: each snapshot its own period: nothing goes", ago, all, NULL, 9,
		       0, 1, "");
}

int main(void)
{
	struct scan_info v[8];
	struct retain r;
	unsigned char doom[8];
	size_t bases;

	/* 1..6 own rows; started NOW-6h .. NOW-1h */
	list(v, 6, NULL);
	expect("--keep 2: the 4 oldest go", v, 6, 2, -1, "1,2,3,4", 0);
	expect("--keep 6: nothing goes", v, 6, 6, -1, "", 0);
	expect("--keep 100: nothing goes", v, 6, 100, -1, "", 0);
	expect("--older-than 3h30m: those started before NOW-3.5h", v, 6, -1, 3.5 * 3600, "1,2,3", 0);
	expect("--older-than exactly 3h: not older, kept", v, 6, -1, 3 * 3600, "1,2,3", 0);
	expect("--older-than 0: every one", v, 6, -1, 0, "1,2,3,4,5,6", 0);
	expect("--keep 5 --older-than 1s: both must let it go", v, 6, 5, 1, "1", 0);
	expect("--keep 1 --older-than 4.5h: both must let it go", v, 6, 1, 4.5 * 3600, "1,2", 0);

	/* 2, 3 refer to 1; 5, 6 refer to 4 */
	{
		static const long long same[] = { 0, 1, 1, 0, 4, 4 };

		list(v, 6, same);
	}
	expect("--keep 1: the base of the kept unchanged one stays", v, 6, 1, -1, "1,2,3,5", 1);
	expect("--keep 3: its base 4 is kept anyway, not counted a base", v, 6, 3, -1, "1,2,3", 0);
	expect("--keep 4: 3 kept keeps 1", v, 6, 4, -1, "2", 1);

	/* a reference to a reference (never written so, but read safely): the chain is kept */
	{
		static const long long same[] = { 0, 1, 2, 0 };

		list(v, 4, same);
		v[3].same_as = 3;
	}
	expect("a chain of references is kept whole", v, 4, 1, -1, "", 3);

	/* a start time that does not read as one: its age is unknown, kept */
	list(v, 3, NULL);
	copy_str(v[0].started, sizeof(v[0].started), "yesterday");
	expect("--older-than: an unreadable start time is kept", v, 3, -1, 60, "2,3", 0);
	expect("--keep: counts it as any other", v, 3, 1, -1, "1,2", 0);

	retain_init(&r);
	check(!retain_given(&r) && retain_select(v, 3, &r, NOW, doom, &bases) == 0,
	      "no rule given: nothing goes", "something went");

	compact_tests();

	/* the parsers */
	check(parse_iso8601("2026-12-02T00:00:00.000Z") == NOW, "parse_iso8601: fmt_iso8601's form",
	      "%lld", parse_iso8601("2026-12-02T00:00:00.000Z"));
	check(parse_iso8601("2026-12-02T00:00:00Z") == NOW, "parse_iso8601: without milliseconds",
	      "%lld", parse_iso8601("2026-12-02T00:00:00Z"));
	check(parse_iso8601("2026-12-02T00:00:00+01:00") < 0 && parse_iso8601("") < 0 &&
	      parse_iso8601("2026-12-02") < 0 && parse_iso8601("2026-12-02T00:00:00.000Zjunk") < 0,
	      "parse_iso8601: anything else is not a time", "parsed");
	check(parse_duration("90m") == 5400 && parse_duration("12h") == 43200 &&
	      parse_duration("7d") == 604800 && parse_duration("2w") == 1209600 &&
	      parse_duration("30") == 30 && parse_duration("500ms") == 0.5 &&
	      parse_duration("0") == 0, "parse_duration: units s ms m h d w", "differs");
	check(parse_duration("") < 0 && parse_duration("7 d") < 0 && parse_duration("-1d") < 0 &&
	      parse_duration("7y") < 0 && parse_duration("366d") < 0 && parse_duration("nan") < 0 &&
	      parse_duration("1e400") < 0 && parse_duration("d") < 0,
	      "parse_duration: malformed, negative, beyond a year", "accepted");
	return unit_failures ? 1 : 0;
}
