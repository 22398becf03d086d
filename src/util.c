/*
 * util.c implements messages, allocation that dies on failure, small vectors, time
 * formatting, capability checks and text escaping shared by every command.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "vethmap.h"

int verbosity;

/* Where this thread's messages go instead of stderr (msg_hold()), or NULL. */
static __thread FILE *msg_held;

void msg_hold(FILE *f)
{
	msg_held = f;
}

/*
 * A message that ends in ':' gets the current errno text appended (sbase habit).  One
 * line, whole: other threads' lines go before or after it.
 */
static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len = strlen(fmt);
	FILE *out = msg_held ? msg_held : stderr;

	flockfile(out);
	fprintf(out, "vethmap: %s", prefix);
	vfprintf(out, fmt, ap);
	if (len && fmt[len - 1] == ':')
		fprintf(out, " %s", strerror(saved));
	fputc('\n', out);
	funlockfile(out);
	errno = saved;
}

/* One line on stderr; returns -1, so that 'return error(...)' reads well (git's habit). */
int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	return -1;
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void verbose(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("out of memory");
	return p;
}

/* qsort() of n elements; fewer than two are left as they are (base may then be NULL). */
void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void sort_r_n(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *, void *), void *ctx)
{
	if (n > 1)
		qsort_r(base, n, size, cmp, ctx);
}

/* Make room for `need` elements of `size` bytes in p, doubling; returns the new p. */
void *grow(void *p, size_t *alloc, size_t need, size_t size)
{
	size_t n = *alloc;

	if (need <= n)
		return p;
	if (!n)
		n = 8;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		die("out of memory");
	p = xrealloc(p, n * size);
	*alloc = n;
	return p;
}

void strv_add(struct strv *sv, const char *s)
{
	sv->v = grow(sv->v, &sv->alloc, sv->n + 1, sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_unique(struct strv *sv)
{
	size_t i, j = 0;

	if (sv->n < 2)
		return;
	sort_n(sv->v, sv->n, sizeof(*sv->v), cmp_str);
	for (i = 1; i < sv->n; i++) {
		if (!strcmp(sv->v[i], sv->v[j]))
			free(sv->v[i]);
		else
			sv->v[++j] = sv->v[i];
	}
	sv->n = j + 1;
}

void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

void intv_add(struct intv *iv, int x)
{
	iv->v = grow(iv->v, &iv->alloc, iv->n + 1, sizeof(*iv->v));
	iv->v[iv->n++] = x;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void intv_sort_unique(struct intv *iv)
{
	size_t i, j = 0;

	if (iv->n < 2)
		return;
	sort_n(iv->v, iv->n, sizeof(*iv->v), cmp_int);
	for (i = 1; i < iv->n; i++)
		if (iv->v[i] != iv->v[j])
			iv->v[++j] = iv->v[i];
	iv->n = j + 1;
}

void intv_release(struct intv *iv)
{
	free(iv->v);
	iv->v = NULL;
	iv->n = iv->alloc = 0;
}

/* splitmix64's finalizer: every input bit moves every output bit, for hash tables. */
uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not one: overlong
 * forms, surrogates and code points past U+10FFFF are not.  *cp gets the code point.
 */
int utf8_seq_len(const unsigned char *s, unsigned *cp)
{
	unsigned c;
	int n;

	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp)
		*cp = c;
	return n;
}

/* The directory path is in ("." for a bare name, "/" at the top) into buf; buf. */
char *dir_of(char *buf, size_t size, const char *path)
{
	char *slash;

	copy_str(buf, size, path);
	slash = strrchr(buf, '/');
	if (!slash)
		copy_str(buf, size, ".");
	else if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
	return buf;
}

/*
 * The indices 0..n-1 in the order cmp(a, b, ctx) gives them (qsort_r); never NULL, the
 * caller frees it.
 */
size_t *index_sorted(size_t n, int (*cmp)(const void *, const void *, void *), const void *ctx)
{
	union { const void *in; void *arg; } c = { .in = ctx };	/* qsort_r's ctx is not const */
	size_t *v = xmalloc((n ? n : 1) * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = i;
	sort_r_n(v, n, sizeof(*v), cmp, c.arg);
	return v;
}

/*
 * Write all of buf to fd.  A non-blocking fd that is full is waited for with wait(fd)
 * (0 to go on, -1 to give up with errno set), or with poll() without a deadline when wait
 * is NULL.  Returns 0, or -1 with errno set (ENOSPC for a write of nothing).
 */
int write_full(int fd, const void *buf, size_t n, int (*wait)(int fd))
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (wait ? !wait(fd) : poll(&pfd, 1, -1) >= 0 || errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0)
			errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* strlcpy that always terminates and never reads past src's end. */
void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void fmt_iso8601(char *buf, size_t size, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts->tv_nsec / 1000000);
}

/*
 * "10", "10s", "500ms", "2m", "1h", "7d", "2w" -> seconds; -1 if malformed, negative or
 * beyond a year (cap -d, prune --older-than).
 */
double parse_duration(const char *s)
{
	static const struct {
		const char *unit;
		double s;
	} units[] = { { "", 1 }, { "s", 1 }, { "ms", 0.001 }, { "m", 60 }, { "h", 3600 },
		      { "d", 86400 }, { "w", 7 * 86400 } };
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return v * units[i].s <= 86400 * 365 ? v * units[i].s : -1;
	return -1;
}

/* fmt_iso8601's text ("2026-12-01T21:00:00.123Z", UTC) -> seconds since 1970; -1 if not. */
long long parse_iso8601(const char *s)
{
	struct tm tm = { 0 };
	char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!end)
		return -1;
	if (*end == '.')	/* milliseconds */
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z"))
		return -1;
	return (long long)timegm(&tm);
}

double ts_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A failed write to stdout is an error, not a silent success (git's run_builtin). */
int finish_stdout(void)
{
	if (fflush(stdout) || ferror(stdout))
		return error("write error on standard output:");
	return 0;
}

/* Is `cap` in our effective set?  Uses capget(2) directly: no libcap needed. */
int has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return !!(data[cap / 32].effective & (1u << (cap % 32)));
}

/* One line naming the missing capability; -1 if it is missing. */
int need_cap(const char *what, int cap, const char *why)
{
	static const char *const names[] = {
		[CAP_NET_ADMIN] = "CAP_NET_ADMIN", [CAP_NET_RAW] = "CAP_NET_RAW",
		[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN", [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
		[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	};
	const char *name = (size_t)cap < sizeof(names) / sizeof(names[0]) && names[cap] ?
		names[cap] : "a capability";

	if (has_cap(cap))
		return 0;
	return error("'%s' needs %s (%s): run it as root", what, name, why);
}

/*
 * s escaped for a terminal into buf (truncated to fit): printable ASCII as is, a
 * backslash doubled, anything else as \xNN, so no name can break a table or a terminal.
 */
const char *text_esc(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < size; p++) {
		if (*p == '\\') {
			buf[n++] = '\\';
			buf[n++] = '\\';
		} else if (isprint(*p) && *p < 0x80) {
			buf[n++] = (char)*p;
		} else {
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", *p);
		}
	}
	buf[n] = '\0';
	return buf;
}

/* Decode mountinfo's octal escapes (\040 for space etc.) in place; -1 if malformed. */
int decode_mount_escapes(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\\') {
			int v = 0;

			for (int i = 1; i <= 3; i++) {
				if (r[i] < '0' || r[i] > '7')
					return -1;
				v = v * 8 + (r[i] - '0');
			}
			if (v == 0 || v > 255)
				return -1;
			*w++ = (char)v;
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

/* A broken invariant: say where, and abort so a core or a sanitizer shows the rest. */
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vethmap: BUG at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * One read(2) of a small /proc file into buf, NUL-terminated: what the kernel gives in one
 * go (stat, status, cgroup).  Returns the length, or -1 when it is gone or empty.
 */
ssize_t read_proc(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/*
 * A moment as the database writes it ("2026-12-02T03:12:00.000Z") into iso: from
 * "YYYY-MM-DD[T| ]HH:MM[:SS[.mmm]][Z]" (UTC), or "-DURATION" (that long ago: "-10m").
 * 0, or -1 when s is neither.
 */
int parse_time(const char *s, char *iso, size_t size)
{
	struct timespec ts;
	struct tm tm;
	const char *end;
	long ms = 0;

	if (*s == '-') {
		double ago = parse_duration(s + 1);

		if (ago < 0 || !s[1])
			return -1;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec -= (time_t)ago;
		ts.tv_nsec -= (long)((ago - (double)(time_t)ago) * 1e9);
		if (ts.tv_nsec < 0) {
			ts.tv_nsec += 1000000000L;
			ts.tv_sec--;
		}
		fmt_iso8601(iso, size, &ts);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || (*end != 'T' && *end != ' '))
		return -1;
	end = strptime(end + 1, "%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (end && *end == '.') {
		int digits = 0;

		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*end - '0');
		for (; digits > 0 && digits < 3; digits++)
			ms *= 10;
	}
	if (end && *end == 'Z')
		end++;
	if (!end || *end)
		return -1;
	ts.tv_sec = timegm(&tm);
	ts.tv_nsec = ms * 1000000L;
	if (ts.tv_sec == (time_t)-1)
		return -1;
	fmt_iso8601(iso, size, &ts);
	return 0;
}
