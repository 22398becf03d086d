/*
 * cap_test.c: unit tests of the capture file writer (pcapng.c) and the packet summary
 * (pktline.c), without root.  The files written are read back byte by byte and checked
 * against the pcapng and pcap layouts; failing writes come from a pipe with no reader and
 * from RLIMIT_FSIZE; summaries are checked on hand-made packets, cut at every length and
 * into every buffer size (run it under ASan to catch a stray read or write), then on
 * random mutations.  Prints one "ok - NAME" / "not ok - NAME: why" line per check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vethmap.h"
#include "capmerge.h"
#include "unit.h"


static void check(int cond, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));


/* ---- reading back ----------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* An unlinked temporary file. */
static int tmpfd(void)
{
	char path[] = "/tmp/cap_test.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		die("mkstemp:");
	unlink(path);
	return fd;
}

/* The whole file (from offset 0); *n its size.  Caller frees. */
static uint8_t *slurp(int fd, size_t *n)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;

	if (fstat(fd, &st))
		die("fstat:");
	b = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);

		if (r <= 0)
			die("pread:");
		got += (size_t)r;
	}
	*n = got;
	return b;
}

struct opt {
	unsigned code, len;
	const uint8_t *val;
};

/*
 * The options from b[start] to b[end]: each padded with zeros to 32 bits, the last one
 * opt_endofopt ending exactly at end.  Returns their number, or -1 with why set.
 */
static int walk_opts(const uint8_t *b, size_t start, size_t end, struct opt *o, int max,
		     const char **why)
{
	size_t pos = start;
	int n = 0;

	while (pos < end) {
		unsigned code, len;

		if (end - pos < 4 || n == max) {
			*why = "option header overruns the block";
			return -1;
		}
		code = rd16(b + pos);
		len = rd16(b + pos + 2);
		if (((size_t)len + 3) / 4 * 4 > end - pos - 4) {
			*why = "option value overruns the block";
			return -1;
		}
		for (size_t i = len; i % 4; i++)
			if (b[pos + 4 + i]) {
				*why = "non-zero option padding";
				return -1;
			}
		o[n].code = code;
		o[n].len = len;
		o[n].val = b + pos + 4;
		n++;
		pos += 4 + ((size_t)len + 3) / 4 * 4;
		if (code == 0) {
			if (len || pos != end) {
				*why = "opt_endofopt not last or not empty";
				return -1;
			}
			return n;
		}
	}
	*why = "no opt_endofopt";
	return -1;
}

static int opt_is(const struct opt *o, unsigned code, const void *val, size_t len)
{
	return o->code == code && o->len == len && !memcmp(o->val, val, len);
}

/*
 * Check one block at b[off] of a file of n bytes: its total length fits, is a multiple
 * of 4 and is repeated at its end.  Returns the length, or 0.
 */
static size_t block_ok(const uint8_t *b, size_t n, size_t off, uint32_t type)
{
	uint32_t len;

	if (n - off < 12 || rd32(b + off) != type)
		return 0;
	len = rd32(b + off + 4);
	if (len < 12 || len % 4 || len > n - off || rd32(b + off + len - 4) != len)
		return 0;
	return len;
}

/* Every block of a pcapng file whole; the number of EPBs in *nepb.  0 or -1. */
static int pcapng_whole(const uint8_t *b, size_t n, unsigned *nepb)
{
	size_t off = 0;

	*nepb = 0;
	while (off < n) {
		uint32_t type, len;

		if (n - off < 12)
			return -1;
		type = rd32(b + off);
		len = rd32(b + off + 4);
		if (len < 12 || len % 4 || len > n - off || rd32(b + off + len - 4) != len)
			return -1;
		*nepb += type == 6;
		off += len;
	}
	return 0;
}

/* ---- pcapng ----------------------------------------------------------------------- */

static const char hostile[] = "host:veth\"<&$x";
static const char hostile2[] = "a\nb\tc\\d %s%n \xff\xfe\x80 'q' </x> \x1b[31m";

static void test_pcapng(void)
{
	const char *comments[] = { "first comment", "", NULL, "x\"<&$\xff" };
	struct capout o = { .fd = -1 };
	struct opt opts[16];
	const char *why = "";
	uint8_t *b, pkt[300];
	size_t n, off, len, idb0, idb1;
	int fd = tmpfd(), k, rc;
	uint8_t nine = 9;
	int ok;

	rc = capout_begin(&o, fd, CAP_PCAPNG, comments, 4, 0, 0);
	check(rc == 0 && o.failed == 0 && o.is_file && o.nifaces == 0, "pcapng: begin",
	      "rc %d failed %d is_file %d", rc, o.failed, o.is_file);
	b = slurp(fd, &n);
	len = block_ok(b, n, 0, 0x0A0D0D0A);
	check(len == n && o.good == n, "pcapng: SHB type, total length repeated, good",
	      "len %zu file %zu good %llu", len, n, o.good);
	check(n >= 28 && rd32(b + 8) == 0x1A2B3C4D && rd16(b + 12) == 1 && rd16(b + 14) == 0 &&
	      rd32(b + 16) == 0xFFFFFFFF && rd32(b + 20) == 0xFFFFFFFF,
	      "pcapng: SHB byte-order magic, version 1.0, section length -1", "bad fixed part");
	k = len ? walk_opts(b, 24, len - 4, opts, 16, &why) : -1;
	check(k == 4, "pcapng: SHB options well formed", "%d options: %s", k, why);
	if (k == 4) {
		check(opt_is(&opts[0], 1, "first comment", 13) &&
		      opt_is(&opts[1], 1, "x\"<&$\xff", 6),
		      "pcapng: SHB opt_comment per non-empty comment, bytes as given", "mismatch");
		check(opt_is(&opts[2], 4, "vethmap " VETHMAP_VERSION,
			     strlen("vethmap " VETHMAP_VERSION)),
		      "pcapng: SHB shb_userappl", "code %u len %u", opts[2].code, opts[2].len);
	}
	free(b);

	/* two interfaces of different link types, hostile names */
	idb0 = o.good;
	k = capout_add_iface(&o, 1, 262144, "ns1:eth0", "veth peer of host:vt0");
	idb1 = o.good;
	rc = capout_add_iface(&o, 101, 0, hostile, "");
	check(k == 0 && rc == 1 && o.nifaces == 2, "pcapng: interface ids 0 and 1",
	      "got %d %d", k, rc);
	b = slurp(fd, &n);
	len = block_ok(b, n, idb0, 1);
	check(len && rd16(b + idb0 + 8) == 1 && rd16(b + idb0 + 10) == 0 &&
	      rd32(b + idb0 + 12) == 262144, "pcapng: IDB 0 type, length, linktype, snaplen",
	      "len %zu", len);
	k = len ? walk_opts(b, idb0 + 16, idb0 + len - 4, opts, 16, &why) : -1;
	check(k == 4 && opt_is(&opts[0], 2, "ns1:eth0", 8) &&
	      opt_is(&opts[1], 3, "veth peer of host:vt0", 21) && opt_is(&opts[2], 9, &nine, 1),
	      "pcapng: IDB 0 if_name, if_description, if_tsresol 9", "%d options %s", k, why);
	len = block_ok(b, n, idb1, 1);
	check(len && idb1 + len == n && rd16(b + idb1 + 8) == 101 && rd32(b + idb1 + 12) == 0,
	      "pcapng: IDB 1 linktype RAW, snaplen 0", "len %zu", len);
	k = len ? walk_opts(b, idb1 + 16, idb1 + len - 4, opts, 16, &why) : -1;
	check(k == 3 && opt_is(&opts[0], 2, hostile, strlen(hostile)) &&
	      opt_is(&opts[1], 9, &nine, 1),
	      "pcapng: IDB 1 hostile name byte-exact, no empty if_description",
	      "%d options %s", k, why);
	free(b);

	/* hostile bytes, a 15-byte name and the longest option there can be */
	{
		static char big[65537];
		const char *names[] = { hostile2, "abcdefghijklmno", "\xff", big };
		size_t lens[] = { strlen(hostile2), 15, 1, 65535 };

		memset(big, 'n', 65535);
		for (int i = 0; i < 4; i++) {
			char name[64];

			off = o.good;
			k = capout_add_iface(&o, 1, 1500, names[i], names[i]);
			b = slurp(fd, &n);
			len = block_ok(b, n, off, 1);
			rc = len ? walk_opts(b, off + 16, off + len - 4, opts, 16, &why) : -1;
			snprintf(name, sizeof(name), "pcapng: IDB name %d (%zu bytes) exact", i,
				 lens[i]);
			check(k == i + 2 && rc == 4 && off + len == n &&
			      opt_is(&opts[0], 2, names[i], lens[i]) &&
			      opt_is(&opts[1], 3, names[i], lens[i]), name, "id %d, %d options %s",
			      k, rc, why);
			free(b);
		}
		memset(big, 'n', 65536);
		off = o.good;
		errno = 0;
		k = capout_add_iface(&o, 1, 1500, big, NULL);
		check(k == -1 && errno == EINVAL && o.failed == 0 && o.good == off,
		      "pcapng: 65536-byte name refused, writer still usable", "k %d errno %d", k,
		      errno);
		k = capout_add_iface(&o, 12, 1500, "tun0", NULL);
		b = slurp(fd, &n);
		check(k == 6 && block_ok(b, n, off, 1) && rd16(b + off + 8) == 101,
		      "pcapng: DLT_RAW (12) written as LINKTYPE_RAW (101)", "k %d", k);
		free(b);
		off = o.good;
		errno = 0;
		k = capout_add_iface(&o, 70000, 1500, "x", NULL);
		check(k == -1 && errno == EINVAL && o.good == off,
		      "pcapng: link type over 16 bits refused", "k %d", k);
	}

	/* packets: every padding, both interfaces, a 64-bit timestamp */
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	ok = 1;
	why = "";
	for (uint32_t cl = 0; cl <= 9 && ok; cl++) {
		uint64_t ts = 0x123456789abcdef0ull + cl;
		unsigned ifc = cl % 2;

		off = o.good;
		rc = capout_packet(&o, ifc, ts, pkt, cl, cl + 100);
		b = slurp(fd, &n);
		len = block_ok(b, n, off, 6);
		if (rc || !len || off + len != n || o.good != n)
			why = "block or length", ok = 0;
		else if (len != 32 + (cl + 3) / 4 * 4)
			why = "total length", ok = 0;
		else if (rd32(b + off + 8) != ifc || rd32(b + off + 12) != 0x12345678 ||
			 rd32(b + off + 16) != 0x9abcdef0 + cl)
			why = "interface id or timestamp", ok = 0;
		else if (rd32(b + off + 20) != cl || rd32(b + off + 24) != cl + 100 ||
			 memcmp(b + off + 28, pkt, cl))
			why = "lengths or data", ok = 0;
		for (uint32_t j = cl; ok && j % 4; j++)
			if (b[off + 28 + j])
				why = "non-zero padding", ok = 0;
		free(b);
		if (!ok)
			printf("# caplen %u\n", cl);
	}
	check(ok, "pcapng: EPB layout for caplen 0..9", "%s", why);

	/* the largest packet goes through the heap buffer */
	{
		uint32_t max = 256 * 1024;
		uint8_t *big = xmalloc(max + 1);

		memset(big, 0xab, max + 1);
		off = o.good;
		rc = capout_packet(&o, 1, 1, big, max, max);
		b = slurp(fd, &n);
		len = block_ok(b, n, off, 6);
		check(rc == 0 && len == 32 + max && !memcmp(b + off + 28, big, max),
		      "pcapng: 256 KiB packet", "rc %d len %zu", rc, len);
		free(b);
		off = o.good;
		errno = 0;
		rc = capout_packet(&o, 1, 1, big, max + 1, max + 1);
		check(rc == -1 && errno == EINVAL && o.failed == 0 && o.good == off,
		      "pcapng: caplen over 256 KiB refused", "rc %d errno %d", rc, errno);
		free(big);
	}
	errno = 0;
	rc = capout_packet(&o, 7, 1, pkt, 10, 10);
	check(rc == -1 && errno == EINVAL && o.failed == 0, "pcapng: unknown interface refused",
	      "rc %d", rc);
	errno = 0;
	rc = capout_packet(&o, 0, 1, pkt, 11, 10);
	check(rc == -1 && errno == EINVAL && o.failed == 0, "pcapng: caplen > len refused",
	      "rc %d", rc);
	rc = capout_packet(&o, 0, 1, pkt, 10, 10);
	b = slurp(fd, &n);
	check(rc == 0 && o.good == n, "pcapng: writer usable after refusals", "rc %d", rc);
	free(b);
	close(fd);

	/* a comment too long for an option: nothing written, begin fails */
	{
		char *c = xmalloc(65537);
		const char *cs[1] = { c };

		memset(c, 'c', 65536);
		c[65536] = '\0';
		fd = tmpfd();
		rc = capout_begin(&o, fd, CAP_PCAPNG, cs, 1, 0, 0);
		b = slurp(fd, &n);
		check(rc == -1 && o.failed == EINVAL && n == 0 &&
		      capout_add_iface(&o, 1, 0, "x", NULL) == -1,
		      "pcapng: 65536-byte comment refused, writer failed", "rc %d n %zu", rc, n);
		free(b);
		free(c);
		close(fd);
	}
	capout_release(&o);
}

/* ---- classic pcap ----------------------------------------------------------------- */

/* A packet with its trace id and comment (vethmap trace): EPB options 1 and 5. */
static void test_pcapng_tagged(void)
{
	struct capout o = { .fd = -1 };
	struct opt opts[8];
	const char *why = "";
	uint8_t *b, pkt[5] = { 1, 2, 3, 4, 5 };
	uint64_t id = 0x0102030405060708ull;
	size_t n, off, len;
	int fd = tmpfd(), k, rc;

	capout_begin(&o, fd, CAP_PCAPNG, NULL, 0, 0, 0);
	capout_add_iface(&o, 1, 262144, "a:eth0", NULL);
	off = o.good;
	rc = capout_packet_tagged(&o, 0, 1, pkt, 5, 5, id, "vethmap trace: packet 7");
	b = slurp(fd, &n);
	len = block_ok(b, n, off, 6);
	k = len ? walk_opts(b, off + 28 + 8, off + len - 4, opts, 8, &why) : -1;
	check(rc == 0 && len == n - off && k == 3 && opt_is(&opts[0], 1, "vethmap trace: packet 7", 23) &&
	      opt_is(&opts[1], 5, &id, 8) && o.packets == 1,
	      "pcapng: EPB with opt_comment and epb_packetid", "rc %d len %zu, %d options %s", rc,
	      len, k, why);
	free(b);
	off = o.good;
	rc = capout_packet_tagged(&o, 0, 2, pkt, 5, 5, 0, NULL);
	b = slurp(fd, &n);
	len = block_ok(b, n, off, 6);
	check(rc == 0 && len == 32 + 8, "pcapng: untagged EPB has no options", "len %zu", len);
	free(b);
	capout_release(&o);
	close(fd);
}

static void test_pcap(void)
{
	struct capout o = { .fd = -1 };
	uint8_t *b, pkt[64];
	size_t n;
	int fd = tmpfd(), rc;

	memset(pkt, 0x5a, sizeof(pkt));
	rc = capout_begin(&o, fd, CAP_PCAP, NULL, 0, 1, 65535);
	b = slurp(fd, &n);
	check(rc == 0 && n == 24 && o.good == 24 && rd32(b) == 0xa1b23c4d && rd16(b + 4) == 2 &&
	      rd16(b + 6) == 4 && rd32(b + 8) == 0 && rd32(b + 12) == 0 &&
	      rd32(b + 16) == 65535 && rd32(b + 20) == 1,
	      "pcap: 24-byte header, nanosecond magic, snaplen, linktype", "rc %d n %zu", rc, n);
	free(b);
	errno = 0;
	check(capout_add_iface(&o, 101, 65535, "x", NULL) == -1 && errno == EINVAL,
	      "pcap: interface of another link type refused", "accepted");
	check(capout_add_iface(&o, 1, 65535, "eth0", "d") == 0, "pcap: one interface, id 0",
	      "refused");
	check(capout_add_iface(&o, 1, 65535, "eth1", NULL) == -1 && o.failed == 0,
	      "pcap: second interface refused", "accepted");
	rc = capout_packet(&o, 0, 1700000000123456789ull, pkt, 60, 1514);
	b = slurp(fd, &n);
	check(rc == 0 && n == 24 + 16 + 60 && o.good == n && rd32(b + 24) == 1700000000 &&
	      rd32(b + 28) == 123456789 && rd32(b + 32) == 60 && rd32(b + 36) == 1514 &&
	      !memcmp(b + 40, pkt, 60), "pcap: record sec, nsec, caplen, len, data",
	      "rc %d n %zu", rc, n);
	free(b);
	check(capout_packet(&o, 1, 0, pkt, 1, 1) == -1 && o.failed == 0,
	      "pcap: packet for interface 1 refused", "accepted");
	capout_release(&o);
	close(fd);
}

/* ---- unit_failures --------------------------------------------------------------------- */

static void test_pipe(void)
{
	struct capout o = { .fd = -1 };
	uint8_t pkt[100] = { 0 };
	int p[2], rc, e;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p))
		die("pipe:");
	close(p[0]);
	rc = capout_begin(&o, p[1], CAP_PCAPNG, NULL, 0, 0, 0);
	check(rc == -1 && o.failed == EPIPE && o.good == 0 && !o.is_file,
	      "failure: begin on a pipe with no reader", "rc %d failed %d", rc, o.failed);
	errno = 0;
	rc = capout_add_iface(&o, 1, 0, "eth0", NULL);
	e = errno;
	check(rc == -1 && e == EPIPE, "failure: then add_iface returns -1", "rc %d", rc);
	rc = capout_packet(&o, 0, 0, pkt, 10, 10);
	check(rc == -1 && o.failed == EPIPE, "failure: then packet returns -1", "rc %d", rc);
	close(p[1]);

	/* the reader goes away in the middle of a capture */
	if (pipe(p))
		die("pipe:");
	rc = capout_begin(&o, p[1], CAP_PCAPNG, NULL, 0, 0, 0);
	rc |= capout_add_iface(&o, 1, 0, "eth0", NULL);
	rc |= capout_packet(&o, 0, 0, pkt, 100, 100);
	close(p[0]);
	{
		unsigned long long good = o.good;
		int r2 = capout_packet(&o, 0, 0, pkt, 100, 100);
		int r3 = capout_packet(&o, 0, 0, pkt, 100, 100);

		check(rc == 0 && r2 == -1 && r3 == -1 && o.failed == EPIPE && o.good == good,
		      "failure: reader closed mid-capture, keeps failing", "rc %d %d %d", rc, r2,
		      r3);
	}
	close(p[1]);

	/* a bad descriptor */
	rc = capout_begin(&o, -1, CAP_PCAP, NULL, 0, 1, 100);
	check(rc == -1 && o.failed == EBADF, "failure: bad descriptor", "failed %d", o.failed);
	capout_release(&o);
}

/* A non-blocking pipe with a slow reader: EAGAIN is waited out, every byte arrives. */
static void test_nonblocking(void)
{
	struct capout o = { .fd = -1 };
	int p[2], q[2], rc = 0, status;
	unsigned long long got = 0;
	uint8_t *big = xcalloc(1, 200000);
	pid_t pid;

	if (pipe(p) || pipe(q))
		die("pipe:");
	pid = fork();
	if (pid < 0)
		die("fork:");
	if (pid == 0) {
		char buf[4096];
		unsigned long long total = 0;
		ssize_t r;

		close(p[1]);
		close(q[0]);
		usleep(50000);
		while ((r = read(p[0], buf, sizeof(buf))) > 0)
			total += (unsigned long long)r;
		if (write(q[1], &total, sizeof(total)) != sizeof(total))
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	rc |= capout_begin(&o, p[1], CAP_PCAPNG, NULL, 0, 0, 0);
	rc |= capout_add_iface(&o, 1, 0, "eth0", NULL);
	for (int i = 0; i < 5; i++)
		rc |= capout_packet(&o, 0, 0, big, 200000, 200000);
	close(p[1]);
	if (read(q[0], &got, sizeof(got)) != sizeof(got))
		got = 0;
	close(q[0]);
	waitpid(pid, &status, 0);
	check(rc == 0 && got == o.good, "failure: non-blocking pipe, EAGAIN waited out",
	      "rc %d good %llu reader got %llu", rc, o.good, got);
	capout_release(&o);
	free(big);
}

/*
 * A file that cannot grow (RLIMIT_FSIZE: the write stops short, then fails with EFBIG),
 * written after `prefix` bytes that are not ours, each block at once (bufsize 0) or through
 * a buffer of bufsize bytes whose write fails part way: the file ends on a whole block, and
 * the packets counted are the packet blocks in it.
 */
static void test_fsize(size_t prefix, size_t bufsize)
{
	struct rlimit old, lim;
	struct capout o = { .fd = -1 };
	uint8_t pkt[1500], *b;
	size_t n;
	unsigned sent = 0, nepb = 0;
	int fd = tmpfd(), rc;
	char name[120], what[40];

	snprintf(what, sizeof(what), "prefix %zu, buffer %zu", prefix, bufsize);
	memset(pkt, 0x11, sizeof(pkt));
	if (prefix && write(fd, "prefix of someone else", prefix) != (ssize_t)prefix)
		die("write:");
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 5000;
	if (setrlimit(RLIMIT_FSIZE, &lim))
		die("setrlimit:");
	rc = capout_begin(&o, fd, CAP_PCAPNG, NULL, 0, 0, 0);
	rc |= capout_add_iface(&o, 1, 0, "eth0", NULL);
	rc |= capout_buffer(&o, bufsize);
	while (rc == 0 && sent < 1000) {
		rc = capout_packet(&o, 0, sent, pkt, 60 + sent * 37 % 700, 1500);
		sent += rc == 0;
	}
	setrlimit(RLIMIT_FSIZE, &old);
	b = slurp(fd, &n);
	snprintf(name, sizeof(name), "failure: full file (%s) fails with EFBIG", what);
	check(rc == -1 && o.failed == EFBIG, name, "rc %d failed %d", rc, o.failed);
	snprintf(name, sizeof(name), "failure: full file (%s) truncated to whole blocks", what);
	check(n == prefix + o.good && n < 5000 && pcapng_whole(b + prefix, n - prefix, &nepb) == 0 &&
	      nepb == o.packets && o.ipackets[0] == o.packets, name,
	      "size %zu good %llu epb %u packets %llu", n, o.good, nepb, o.packets);
	snprintf(name, sizeof(name), "failure: full file (%s): packets counted as written", what);
	if (bufsize)	/* the buffer that failed held packets that are not counted */
		check(o.packets < sent && n > 4096, name, "packets %llu of %u accepted, size %zu",
		      o.packets, sent, n);
	else
		check(o.packets == sent, name, "packets %llu, sent %u", o.packets, sent);
	check(capout_packet(&o, 0, 0, pkt, 60, 60) == -1 && capout_flush(&o) == -1,
	      "failure: full file keeps failing", "accepted");
	free(b);
	capout_release(&o);
	close(fd);
}

/*
 * Block-buffered: packet blocks reach the file only when the buffer is full or flushed,
 * always whole and in order (a packet larger than the buffer included), counted per
 * interface as they reach it.
 */
static void test_buffered(void)
{
	struct capout o = { .fd = -1 };
	uint8_t pkt[3000], *b;
	size_t n, hdr;
	unsigned nepb = 0, whole = 1, grew = 0;
	unsigned long long last = 0;
	int fd = tmpfd(), rc;

	memset(pkt, 0x22, sizeof(pkt));
	rc = capout_begin(&o, fd, CAP_PCAPNG, NULL, 0, 0, 0);
	rc |= capout_add_iface(&o, 1, 0, "eth0", NULL) != 0;
	rc |= capout_add_iface(&o, 1, 0, "eth1", NULL) != 1;
	rc |= capout_buffer(&o, 1000);
	hdr = (size_t)o.good;
	rc |= capout_packet(&o, 0, 1, pkt, 100, 100);
	b = slurp(fd, &n);
	check(rc == 0 && n == hdr && o.packets == 0 && capout_bytes(&o) == hdr + 132,
	      "buffered: a packet waits in the buffer", "rc %d size %zu header %zu", rc, n, hdr);
	free(b);
	for (unsigned i = 0; i < 60 && !rc; i++) {
		unsigned cl = i == 30 ? 2500 : 40 + i * 13 % 200;	/* one larger than the buffer */

		rc = capout_packet(&o, i % 2, i, pkt, cl, cl);
		b = slurp(fd, &n);
		whole &= pcapng_whole(b, n, &nepb) == 0 && n == o.good && nepb == o.packets;
		grew += o.good != last;
		last = o.good;
		free(b);
	}
	check(rc == 0 && whole && grew >= 5, "buffered: the file grows by whole blocks only",
	      "rc %d whole %u grew %u times", rc, whole, grew);
	rc = capout_flush(&o);
	b = slurp(fd, &n);
	check(rc == 0 && pcapng_whole(b, n, &nepb) == 0 && nepb == 61 && o.packets == 61 &&
	      o.ipackets[0] == 31 && o.ipackets[1] == 30 && n == o.good && o.blen == 0,
	      "buffered: flush writes the rest, counted per interface",
	      "rc %d epb %u packets %llu (%llu + %llu)", rc, nepb, o.packets, o.ipackets[0],
	      o.ipackets[1]);
	{	/* in order: the large packet (caplen 2500) is the 32nd block */
		size_t off = 0;
		unsigned k = 0, at = 0;

		while (off + 8 <= n) {
			uint32_t type = rd32(b + off), len = rd32(b + off + 4);

			if (type == 6 && ++k && rd32(b + off + 20) == 2500)
				at = k;
			off += len;
		}
		check(at == 32, "buffered: blocks stay in order around a large packet",
		      "the large packet is block %u", at);
	}
	free(b);
	capout_release(&o);
	close(fd);
}

/* ---- pkt_describe ----------------------------------------------------------------- */

static uint8_t *be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static size_t eth(uint8_t *b, unsigned type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	memcpy(b, macs, 12);
	be16(b + 12, type);
	return 14;
}

static size_t vlan(uint8_t *b, unsigned id, unsigned type)
{
	eth(b, 0x8100);
	be16(b + 14, id);
	be16(b + 16, type);
	return 18;
}

static size_t ip4(uint8_t *b, unsigned proto, uint32_t src, uint32_t dst, unsigned payload)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	be16(b + 2, 20 + payload);
	b[8] = 64;
	b[9] = (uint8_t)proto;
	be16(be16(b + 12, src >> 16), src & 0xffff);
	be16(be16(b + 16, dst >> 16), dst & 0xffff);
	return 20;
}

/* fe80::1-style addresses: prefix word then last word */
static size_t ip6(uint8_t *b, unsigned nxt, unsigned plen, unsigned sp, unsigned sl,
		  unsigned dp, unsigned dl)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	be16(b + 4, plen);
	b[6] = (uint8_t)nxt;
	b[7] = 255;
	be16(b + 8, sp);
	be16(b + 22, sl);
	be16(b + 24, dp);
	be16(b + 38, dl);
	return 40;
}

static size_t tcph(uint8_t *b, unsigned sport, unsigned dport, unsigned flags, unsigned hl)
{
	memset(b, 0, hl);
	be16(b, sport);
	be16(b + 2, dport);
	b[12] = (uint8_t)(hl / 4 << 4);
	b[13] = (uint8_t)flags;
	return hl;
}

static size_t udph(uint8_t *b, unsigned sport, unsigned dport, unsigned payload)
{
	be16(b, sport);
	be16(b + 2, dport);
	be16(b + 4, 8 + payload);
	be16(b + 6, 0);
	return 8;
}

static size_t arph(uint8_t *b, unsigned op, uint32_t spa, uint32_t tpa, int tha_known)
{
	static const uint8_t sha[6] = { 2, 0, 0, 0, 0, 2 };

	be16(b, 1);
	be16(b + 2, 0x0800);
	b[4] = 6;
	b[5] = 4;
	be16(b + 6, op);
	memcpy(b + 8, sha, 6);
	be16(be16(b + 14, spa >> 16), spa & 0xffff);
	memset(b + 18, 0, 6);
	if (tha_known)
		b[18] = 0xaa;
	be16(be16(b + 24, tpa >> 16), tpa & 0xffff);
	return 28;
}

#define A1 0x0a000001u
#define A2 0x0a000002u

struct sample {
	const char *name;
	int linktype;
	uint8_t d[200];
	uint32_t n, len;	/* bytes built; len on the wire (0: n) */
	const char *want;
};

static struct sample samples[32];
static size_t nsamples;

static struct sample *sample(const char *name, int linktype, const char *want)
{
	struct sample *s = &samples[nsamples++];

	s->name = name;
	s->linktype = linktype;
	s->want = want;
	return s;
}

static void build_samples(void)
{
	struct sample *s;
	uint8_t *b;

	s = sample("TCP SYN", 1, "10.0.0.1.34567 > 10.0.0.2.80: TCP [S], length 0");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 6, A1, A2, 20);
	b += tcph(b, 34567, 80, 0x02, 20);
	s->n = (uint32_t)(b - s->d);

	s = sample("TCP PSH ACK with options and data", 1,
		   "10.0.0.2.80 > 10.0.0.1.34567: TCP [P.], length 5");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 6, A2, A1, 32 + 5);
	b += tcph(b, 80, 34567, 0x18, 32);
	memcpy(b, "hello", 5);
	b += 5;
	s->n = (uint32_t)(b - s->d);

	s = sample("TCP SYN padded to 60", 1, "10.0.0.1.34567 > 10.0.0.2.80: TCP [S.], length 0");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 6, A1, A2, 20);
	b += tcph(b, 34567, 80, 0x12, 20);
	memset(b, 0, 6);
	s->n = 60;

	s = sample("UDP", 1, "10.0.0.1.5353 > 10.0.0.2.53: UDP, length 12");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 17, A1, A2, 8 + 12);
	b += udph(b, 5353, 53, 12);
	memset(b, 'q', 12);
	s->n = (uint32_t)(b + 12 - s->d);

	s = sample("ICMP echo", 1, "10.0.0.1 > 10.0.0.2: ICMP echo request, id 5, seq 1, length 64");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 1, A1, A2, 64);
	memset(b, 0, 64);
	b[0] = 8;
	be16(b + 4, 5);
	be16(b + 6, 1);
	s->n = (uint32_t)(b + 64 - s->d);

	s = sample("ICMP port unreachable", 1,
		   "10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 53 unreachable, length 36");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 1, A2, A1, 36);
	memset(b, 0, 8);
	b[0] = 3;
	b[1] = 3;
	b += 8;
	b += ip4(b, 17, A1, A2, 20);
	b += udph(b, 5353, 53, 12);
	s->n = (uint32_t)(b - s->d);

	s = sample("ICMPv6 NS", 1, "fe80::1 > ff02::1: ICMP6 neighbor solicitation, length 32");
	b = s->d;
	b += eth(b, 0x86dd);
	b += ip6(b, 58, 32, 0xfe80, 1, 0xff02, 1);
	memset(b, 0, 32);
	b[0] = 135;
	b[24] = 1;
	b[25] = 1;
	s->n = (uint32_t)(b + 32 - s->d);

	s = sample("ICMPv6 MLDv2 after hop-by-hop", 1,
		   "fe80::1 > ff02::16: ICMP6 multicast listener report v2, length 28");
	b = s->d;
	b += eth(b, 0x86dd);
	b += ip6(b, 0, 8 + 28, 0xfe80, 1, 0xff02, 0x16);
	memset(b, 0, 8 + 28);
	b[0] = 58;
	b[8] = 143;
	s->n = (uint32_t)(b + 36 - s->d);

	s = sample("ARP request", 1, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
	b = s->d;
	b += eth(b, 0x0806);
	b += arph(b, 1, A1, A2, 0);
	s->n = (uint32_t)(b - s->d);

	s = sample("ARP reply padded to 60", 1,
		   "ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:02, length 46");
	b = s->d;
	b += eth(b, 0x0806);
	b += arph(b, 2, A1, A2, 1);
	memset(b, 0, 18);
	s->n = 60;

	s = sample("VLAN-tagged UDP", 1, "vlan 10, 10.0.0.1.5353 > 10.0.0.2.53: UDP, length 12");
	b = s->d;
	b += vlan(b, 10, 0x0800);
	b += ip4(b, 17, A1, A2, 8 + 12);
	b += udph(b, 5353, 53, 12);
	memset(b, 'q', 12);
	s->n = (uint32_t)(b + 12 - s->d);

	s = sample("LLDP", 1, "ethertype 0x88cc, length 20");
	b = s->d;
	b += eth(b, 0x88cc);
	memset(b, 2, 20);
	s->n = 34;

	s = sample("IPv4 fragment", 1, "10.0.0.1 > 10.0.0.2: UDP fragment, offset 1480, length 100");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 17, A1, A2, 100);
	be16(b - 20 + 6, 1480 / 8);
	memset(b, 0, 100);
	s->n = (uint32_t)(b + 100 - s->d);

	s = sample("RAW IPv4 TCP", 101, "10.0.0.1.34567 > 10.0.0.2.80: TCP [S], length 0");
	b = s->d;
	b += ip4(b, 6, A1, A2, 20);
	b += tcph(b, 34567, 80, 0x02, 20);
	s->n = (uint32_t)(b - s->d);

	s = sample("DLT_RAW IPv4 TCP", 12, "10.0.0.1.34567 > 10.0.0.2.80: TCP [S], length 0");
	b = s->d;
	b += ip4(b, 6, A1, A2, 20);
	b += tcph(b, 34567, 80, 0x02, 20);
	s->n = (uint32_t)(b - s->d);

	s = sample("RAW IPv6 UDP", 101, "fd00::1.1000 > fd00::2.2000: UDP, length 4");
	b = s->d;
	b += ip6(b, 17, 12, 0xfd00, 1, 0xfd00, 2);
	b += udph(b, 1000, 2000, 4);
	memset(b, 0, 4);
	s->n = (uint32_t)(b + 4 - s->d);

	s = sample("IPV4 linktype GRE", 228, "10.0.0.1 > 10.0.0.2: GRE, length 4");
	b = s->d;
	b += ip4(b, 47, A1, A2, 4);
	memset(b, 0, 4);
	s->n = 24;

	s = sample("IPV6 linktype ICMP6 echo", 229,
		   "fd00::1 > fd00::2: ICMP6 echo reply, id 7, seq 9, length 16");
	b = s->d;
	b += ip6(b, 58, 16, 0xfd00, 1, 0xfd00, 2);
	memset(b, 0, 16);
	b[0] = 129;
	be16(b + 4, 7);
	be16(b + 6, 9);
	s->n = 56;

	s = sample("Linux SLL outgoing", 113, "Out 10.0.0.1.34567 > 10.0.0.2.80: TCP [F.], length 0");
	b = s->d;
	memset(b, 0, 16);
	be16(b, 4);
	be16(b + 2, 1);
	be16(b + 4, 6);
	be16(b + 14, 0x0800);
	b += 16;
	b += ip4(b, 6, A1, A2, 20);
	b += tcph(b, 34567, 80, 0x11, 20);
	s->n = (uint32_t)(b - s->d);

	s = sample("truncated by snaplen", 1, "10.0.0.1.5353 > 10.0.0.2.53: UDP, length 1000");
	b = s->d;
	b += eth(b, 0x0800);
	b += ip4(b, 17, A1, A2, 8 + 1000);
	b += udph(b, 5353, 53, 1000);
	s->n = (uint32_t)(b - s->d);
	s->len = s->n + 1000;

	s = sample("unknown link type", 147, "linktype 147, length 10");
	s->n = 10;
}

/* pkt_describe on a copy of exactly caplen bytes into a buffer of exactly size bytes. */
static void describe(char *out, size_t outsize, int linktype, const uint8_t *d,
		     uint32_t caplen, uint32_t len)
{
	uint8_t *copy = xmalloc((size_t)caplen + 1);
	char *buf = xmalloc(outsize + 1);

	/* data and text end where the heap block ends: ASan sees one byte too far */
	memcpy(copy + 1, d, caplen);
	pkt_describe(buf + 1, outsize, linktype, copy + 1, caplen, len);
	if (outsize)
		memcpy(out, buf + 1, outsize);
	free(copy);
	free(buf);
}

static int ends_with_length(const char *s)
{
	const char *p = strrchr(s, ',');

	if (!p || strncmp(p, ", length ", 9) || !p[9])
		return 0;
	for (p += 9; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static void test_describe(void)
{
	char out[512], cut[512];

	build_samples();
	for (size_t i = 0; i < nsamples; i++) {
		const struct sample *s = &samples[i];
		uint32_t len = s->len ? s->len : s->n;
		char name[128];
		int ok = 1;

		describe(out, sizeof(out), s->linktype, s->d, s->n, len);
		snprintf(name, sizeof(name), "describe: %s", s->name);
		check(!strcmp(out, s->want), name, "got [%s] want [%s]", out, s->want);

		/* cut at every length: the same line or one saying where it was cut */
		for (uint32_t c = 0; c <= s->n && ok; c++) {
			describe(cut, sizeof(cut), s->linktype, s->d, c, len);
			if (!ends_with_length(cut) || (strcmp(cut, out) && !strstr(cut, "[|"))) {
				printf("# caplen %u: [%s]\n", c, cut);
				ok = 0;
			}
		}
		snprintf(name, sizeof(name), "describe: %s, cut at 0..%u bytes", s->name, s->n);
		check(ok, name, "see above");

		/* every output size: a NUL-terminated prefix, nothing written past it */
		ok = 1;
		for (size_t sz = 0; sz <= strlen(out) + 1 && ok; sz++) {
			memset(cut, 'Z', sizeof(cut));
			describe(cut, sz, s->linktype, s->d, s->n, len);
			if (sz && (strlen(cut) != (sz - 1 < strlen(out) ? sz - 1 : strlen(out)) ||
				   strncmp(cut, out, sz - 1)))
				ok = 0;
			if (!sz && cut[0] != 'Z')
				ok = 0;
		}
		snprintf(name, sizeof(name), "describe: %s, every buffer size", s->name);
		check(ok, name, "bad prefix");
	}

	/* caplen larger than len, NULL data */
	describe(out, sizeof(out), 1, samples[0].d, samples[0].n, 10);
	check(!strcmp(out, samples[0].want), "describe: len < caplen taken as caplen",
	      "got [%s]", out);
	pkt_describe(out, sizeof(out), 1, NULL, 100, 100);
	check(!strcmp(out, "[|ether], length 100"), "describe: NULL data", "got [%s]", out);
}

/* Random mutations of the samples, random lengths and link types: no crash, no overrun. */
static void test_fuzz(void)
{
	static const int lts[] = { 1, 12, 101, 113, 228, 229, 276 };
	uint64_t r = 88172645463325252ull;
	uint8_t d[200];
	char out[300];
	int ok = 1;

	for (int it = 0; it < 200000; it++) {
		const struct sample *s = &samples[it % nsamples];
		uint32_t cap, len;
		size_t sz;

		memcpy(d, s->d, sizeof(d));
		for (int k = 0; k < 4; k++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			d[r % sizeof(d)] = (uint8_t)(r >> 32);
		}
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		cap = (uint32_t)(r % (sizeof(d) + 1));
		len = (uint32_t)(r >> 20) % 3 ? cap : (uint32_t)(r >> 24);
		sz = (r >> 40) % 4 ? sizeof(out) : (size_t)(r >> 50) % 40;
		describe(out, sz, (r >> 8) % 5 ? s->linktype : lts[(r >> 12) % 7], d, cap, len);
		if (sz && strnlen(out, sz) == sz)
			ok = 0;
	}
	check(ok, "describe: 200000 random mutations", "unterminated output");
}

/* ---- pcapng_str: what a hostile interface name becomes in a file ------------------- */

static void test_pcapng_str(void)
{
	static const struct {
		const char *name, *in, *want;
	} cases[] = {
		{ "plain name kept", "ns:eth0", "ns:eth0" },
		{ "ESC and BEL escaped", "a:\x1b[31m\x07x", "a:\\x1b[31m\\x07x" },
		{ "newline, tab, DEL escaped", "a\nb\tc\x7f", "a\\x0ab\\x09c\\x7f" },
		{ "C1 CSI (U+009B) escaped", "a\xc2\x9b" "1m", "a\\x9b" "1m" },
		{ "U+00A0 and later kept", "\xc2\xa0\xc3\xa9\xe2\x82\xac", "\xc2\xa0\xc3\xa9\xe2\x82\xac" },
		{ "invalid byte as Latin-1", "x\xffy", "x\xc3\xbfy" },
		{ "invalid byte 0x9b (C1 as Latin-1) escaped", "x\x9b" "1m", "x\\x9b" "1m" },
		{ "backslash kept", "a\\b", "a\\b" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[96];

		pcapng_str(out, sizeof(out), cases[i].in);
		snprintf(name, sizeof(name), "pcapng_str: %s", cases[i].name);
		check(!strcmp(out, cases[i].want), name, "got [%s]", out);
	}
	pcapng_str(out, 6, "ab\x1b");
	check(!strcmp(out, "ab"), "pcapng_str: an escape that does not fit is left out whole",
	      "got [%s]", out);
}

/*
 * The time-order merge of several handles (capmerge.c): runs of packets as the kernel's
 * blocks hand them over, out in stamp order, equal stamps in the order held, each packet
 * held until it is due, and the memory bound.
 */
static void test_merge(void)
{
	struct capmerge m;
	const struct capheld *p;
	unsigned char d[4096];
	/* three interfaces' blocks as read: each in order, the blocks interleaved */
	static const struct { size_t iface; uint64_t ts; } in[] = {
		{ 1, 105 }, { 1, 130 }, { 1, 170 }, { 0, 100 }, { 0, 130 }, { 0, 160 },
		{ 2, 90 }, { 2, 130 }, { 0, 200 }, { 1, 199 },
	};
	static const char *want = "2:90 0:100 1:105 1:130 0:130 2:130 0:160 1:170 1:199 0:200 ";
	char got[256] = "";
	size_t k = 0, bad = 0, failed = 0, nout = 0;
	uint64_t prev = 0, next[4] = { 0 };

	check(!capmerge_init(&m, 3, 1u << 20), "merge: set up for 3 handles", "failed");
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		memset(d, (int)i, sizeof(d));
		failed += capmerge_add(&m, in[i].iface, in[i].ts, 1000 + i, d, (uint32_t)(10 + i),
				       (uint32_t)(100 + i)) != 0;
	}
	check(!failed && m.n == 10, "merge: 10 packets are held", "%zu failed, %zu held", failed, m.n);
	check(capmerge_add(&m, 3, 1, 1, d, 1, 1) == -1, "merge: no such handle, nothing held",
	      "it was held");
	check(capmerge_top(&m) && capmerge_top(&m)->ts == 90, "merge: the top is the oldest",
	      "top %llu", capmerge_top(&m) ? (unsigned long long)capmerge_top(&m)->ts : 0ull);
	check(!capmerge_next(&m, 89, 999), "merge: nothing is due before the oldest stamp", "one was");
	while ((p = capmerge_next(&m, 130, 999)))
		k += (size_t)snprintf(got + k, sizeof(got) - k, "%zu:%llu ", p->iface,
				      (unsigned long long)p->ts);
	check(capmerge_top(&m) && capmerge_top(&m)->ts == 160, "merge: up to 130 went out, 160 is next",
	      "top %llu", capmerge_top(&m) ? (unsigned long long)capmerge_top(&m)->ts : 0ull);
	p = capmerge_next(&m, 0, 1005);	/* held since 1005: due whatever its stamp */
	check(p && p->ts == 160 && p->iface == 0 && p->caplen == 15 && p->len == 105 &&
	      p->data[0] == 5 && p->data[14] == 5, "merge: a packet read long ago is due, copied whole",
	      "got %llu", p ? (unsigned long long)p->ts : 0ull);
	if (p)
		k += (size_t)snprintf(got + k, sizeof(got) - k, "%zu:%llu ", p->iface,
				      (unsigned long long)p->ts);
	check(!capmerge_next(&m, 0, 1001), "merge: the next one is not due yet", "it was");
	while ((p = capmerge_next(&m, UINT64_MAX, UINT64_MAX)))
		k += (size_t)snprintf(got + k, sizeof(got) - k, "%zu:%llu ", p->iface,
				      (unsigned long long)p->ts);
	check(!strcmp(got, want), "merge: every packet, in stamp order, equal stamps as read",
	      "got [%s]", got);
	check(!m.n && !m.bytes && !capmerge_top(&m), "merge: nothing is left", "%zu left", m.n);
	capmerge_release(&m);

	/* the memory bound: past 100 bytes the oldest go out at once */
	capmerge_init(&m, 1, 100);
	for (int i = 0; i < 3; i++)
		capmerge_add(&m, 0, (uint64_t)(8 + i), 5, d, 60, 60);
	p = capmerge_next(&m, 0, 0);
	check(p && p->ts == 8 && m.bytes == 120, "merge: over the bound, the oldest goes out",
	      "got %llu, %zu bytes", p ? (unsigned long long)p->ts : 0ull, m.bytes);
	p = capmerge_next(&m, 0, 0);
	check(p && p->ts == 9 && m.bytes == 60, "merge: and the next, until under the bound",
	      "got %llu, %zu bytes", p ? (unsigned long long)p->ts : 0ull, m.bytes);
	check(!capmerge_next(&m, 0, 0), "merge: under the bound, the rest is held", "it was not");
	capmerge_release(&m);
	check(!m.n && !m.q, "merge: release frees what is held", "%zu left", m.n);

	/*
	 * 4 handles, each in order, read in runs of random length, half of them held while
	 * the rest goes out (the buffers move and grow under live entries), every packet's
	 * bytes checked: out in order, whole.
	 */
	srand(7);
	capmerge_init(&m, 4, SIZE_MAX);
	k = 0;
	bad = 0;
	for (int i = 0; i < 40000;) {
		size_t h = (size_t)rand() % 4;
		int run = 1 + rand() % 50;

		for (; run > 0 && i < 40000; run--, i++) {
			uint32_t n = 1 + (uint32_t)rand() % 3000;

			next[h] += (uint64_t)(rand() % 100);
			memset(d, (int)(next[h] & 0xff), n);
			bad += capmerge_add(&m, h, next[h], 0, d, n, n) != 0;
			k++;
		}
		while (m.n > 500 && (p = capmerge_next(&m, UINT64_MAX, UINT64_MAX))) {
			bad += p->ts < prev || p->data[0] != (p->ts & 0xff) ||
			       p->data[p->caplen - 1] != (p->ts & 0xff);
			prev = p->ts;
			nout++;
		}
		/* the oldest handle's stamps may now be behind the newest out: start again */
		for (size_t j = 0; j < 4; j++)
			if (next[j] < prev)
				next[j] = prev;
	}
	while ((p = capmerge_next(&m, UINT64_MAX, UINT64_MAX))) {
		bad += p->ts < prev || p->data[0] != (p->ts & 0xff) ||
		       p->data[p->caplen - 1] != (p->ts & 0xff);
		prev = p->ts;
		nout++;
	}
	check(k == 40000 && nout == 40000 && !bad, "merge: 40000 packets of 4 handles out, in order, whole",
	      "%zu in, %zu out, %zu bad", k, nout, bad);
	capmerge_release(&m);
}

int main(void)
{
	test_pcapng_str();
	test_pcapng();
	test_pcapng_tagged();
	test_pcap();
	test_pipe();
	test_nonblocking();
	test_fsize(0, 0);
	test_fsize(7, 0);
	test_fsize(0, 4096);
	test_fsize(7, 4096);
	test_buffered();
	test_describe();
	test_fuzz();
	test_merge();
	return unit_failures ? 1 : 0;
}
