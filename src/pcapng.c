/*
 * pcapng.c implements the capture file writer: pcapng (a Section Header Block, one
 * Interface Description Block per interface, one Enhanced Packet Block per packet) or
 * classic pcap with nanosecond timestamps.
 *
 * Each block is built whole and handed to write(2) until all of it is written, so a
 * reader never meets half a block: one write per block (packet-buffered, tcpdump -U), or,
 * after capout_buffer(), packet blocks gathered in a buffer that goes out whole when the
 * next block would not fit and at capout_flush() (block-buffered, tcpdump's default; the
 * caller flushes a pipe once per batch of packets).  Header blocks (SHB, IDB, the classic
 * header) are always written at once.  When a write fails or stops short (full disk,
 * reader gone), a regular file is truncated back to its last whole block: for a buffer,
 * the buffer's blocks are walked to find the last one that reached the file whole.  The
 * errno is kept in o->failed and every later call returns -1.  o->good counts the bytes
 * of whole blocks in the file, o->packets (and o->ipackets[] per interface) the packet
 * blocks among them: what a failed write did not take whole is never counted.  A call
 * refused for a bad argument returns -1 with errno EINVAL and leaves the writer usable
 * (except capout_begin, which then sets o->failed: without a header nothing can follow).
 * Nothing here prints: the caller knows the file's name and reports o->failed.
 *
 * Both formats are written in host byte order; readers detect it from the magic number.
 * The caller should ignore SIGPIPE, or a write to a closed pipe kills the process before
 * EPIPE can be reported.  A non-blocking output that is full is waited for with o->wait
 * (it may give up: a deadline, a signal), else with poll(2) for as long as it takes; the
 * caller sets o->wait, or zeroes the struct, before capout_begin(), which keeps it.
 * capout_release() frees what the writer holds (capout_begin() too, of an earlier use).
 *
 * The strings of a file (comments, if_name, if_description) are written byte for byte:
 * the caller makes them readable with pcapng_str() first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vethmap.h"

#define BT_SHB		0x0A0D0D0Au	/* Section Header Block */
#define BT_IDB		0x00000001u	/* Interface Description Block */
#define BT_EPB		0x00000006u	/* Enhanced Packet Block */
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAP_MAGIC_NSEC	0xA1B23C4Du	/* classic pcap, nanosecond timestamps */

#define OPT_ENDOFOPT	0
#define OPT_COMMENT	1
#define SHB_USERAPPL	4
#define IF_NAME		2
#define IF_DESCRIPTION	3
#define IF_TSRESOL	9
#define EPB_PACKETID	5

#define CAP_MAX_CAPLEN	(256u * 1024)	/* libpcap's largest snapshot length */
#define OPT_MAX_LEN	65535u		/* an option's length is 16 bits */
#define USERAPPL	"vethmap " VETHMAP_VERSION

/*
 * Files carry LINKTYPE_* values; libpcap's pcap_datalink() gives DLT_* values, which are
 * the same but for DLT_RAW (tun, WireGuard): 12 on Linux, LINKTYPE_RAW (101) in a file.
 */
static int file_linktype(int dlt)
{
	return dlt == 12 ? 101 : dlt;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/* Bytes an option with a value of n bytes takes (code, length, value, padding). */
static size_t opt_size(size_t n)
{
	return 4 + pad4(n);
}

/* One option: code, exact length, the bytes as they are, zero padding to 32 bits. */
static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val, size_t n)
{
	p = put16(p, code);
	p = put16(p, (uint16_t)n);
	if (n)
		memcpy(p, val, n);
	memset(p + n, 0, pad4(n) - n);
	return p + pad4(n);
}

static int einval(void)
{
	errno = EINVAL;
	return -1;
}

/*
 * A write failed after `drop` bytes that are not whole blocks: a regular file is cut back
 * to the end of its last whole block; the errno is remembered.
 */
static int write_failed(struct capout *o, size_t drop)
{
	int saved = errno ? errno : EIO;

	if (o->is_file && drop) {
		off_t end = lseek(o->fd, 0, SEEK_CUR);
		off_t keep = end >= (off_t)drop ? end - (off_t)drop : (off_t)o->good;

		if (ftruncate(o->fd, keep) == 0)
			lseek(o->fd, keep, SEEK_SET);
	}
	o->failed = saved;
	errno = saved;
	return -1;
}

/*
 * write(2) all n bytes of b, waiting while a non-blocking output is full: 0, or -1 with
 * errno set and *done the bytes that went out.
 */
static int write_span(struct capout *o, const uint8_t *b, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(o->fd, b + *done, n - *done);

		if (w > 0) {
			*done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };

			if (o->wait ? !o->wait(o) : poll(&pfd, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		if (w == 0)
			errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* Write one whole block or fail (see the top of the file). */
static int write_block(struct capout *o, const uint8_t *b, size_t n)
{
	size_t done;

	if (o->failed) {
		errno = o->failed;
		return -1;
	}
	if (write_span(o, b, n, &done))
		return write_failed(o, done);
	o->good += n;
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* One more packet block of interface iface is whole in the file. */
static void count_packet(struct capout *o, unsigned iface)
{
	o->packets++;
	o->ipackets[iface]++;
}

/*
 * The packet blocks that lie whole in the first `done` bytes of the buffer, counted as
 * written; returns the bytes they take (the buffer holds packet blocks only).
 */
static size_t count_whole(struct capout *o, size_t done)
{
	size_t off = 0;

	while (done - off >= 16) {
		const uint8_t *p = o->buf + off;
		size_t len = o->fmt == CAP_PCAP ? 16 + (size_t)get32(p + 8) : get32(p + 4);

		if (len > done - off)
			break;
		count_packet(o, o->fmt == CAP_PCAP ? 0 : get32(p + 8));
		off += len;
	}
	return off;
}

/*
 * Write out the buffered packet blocks.  When the write fails part way, the file keeps
 * the blocks that reached it whole (the rest is cut off) and only those are counted.
 * Returns 0, or -1 with o->failed set.
 */
int capout_flush(struct capout *o)
{
	size_t done, whole;
	int rc;

	if (o->failed) {
		errno = o->failed;
		return -1;
	}
	if (!o->blen)
		return 0;
	rc = write_span(o, o->buf, o->blen, &done);
	whole = count_whole(o, rc ? done : o->blen);
	o->good += whole;
	o->blen = 0;
	return rc ? write_failed(o, done - whole) : 0;
}

/*
 * Gather packet blocks in a buffer of size bytes from now on (see the top of the file);
 * size 0 writes each block at once again (after a flush).  Returns 0 or -1.
 */
int capout_buffer(struct capout *o, size_t size)
{
	if (capout_flush(o))
		return -1;
	free(o->buf);
	o->buf = size ? xmalloc(size) : NULL;
	o->bsize = size;
	return 0;
}

/* Bytes of whole blocks written or waiting in the buffer (what -C counts). */
unsigned long long capout_bytes(const struct capout *o)
{
	return o->good + o->blen;
}

/* Free the buffer and the counts; the writer is then as if zeroed (o->wait kept). */
void capout_release(struct capout *o)
{
	free(o->buf);
	free(o->ipackets);
	o->buf = NULL;
	o->ipackets = NULL;
	o->bsize = o->blen = 0;
}

/* A buffer for one block: on the stack when small, else on the heap. */
struct blockbuf {
	uint8_t *p;
	uint8_t small[2048];
};

static uint8_t *blockbuf_get(struct blockbuf *bb, size_t n)
{
	bb->p = n <= sizeof(bb->small) ? bb->small : xmalloc(n);
	return bb->p;
}

static void blockbuf_release(struct blockbuf *bb)
{
	if (bb->p != bb->small)
		free(bb->p);
}

static int write_pcap_header(struct capout *o, int linktype, int snaplen)
{
	uint8_t h[24], *p = h;

	p = put32(p, PCAP_MAGIC_NSEC);
	p = put16(p, 2);
	p = put16(p, 4);
	p = put32(p, 0);	/* thiszone */
	p = put32(p, 0);	/* sigfigs */
	p = put32(p, (uint32_t)snaplen);
	put32(p, (uint32_t)linktype);
	return write_block(o, h, sizeof(h));
}

static int write_shb(struct capout *o, const char *const *comments, size_t ncomments)
{
	struct blockbuf bb;
	size_t len = 24 + opt_size(strlen(USERAPPL)) + 4 + 4;
	uint8_t *b, *p;
	int rc;

	for (size_t i = 0; i < ncomments; i++) {
		size_t n = comments[i] ? strlen(comments[i]) : 0;

		if (n > OPT_MAX_LEN)
			return einval();
		if (n)
			len += opt_size(n);
	}
	if (len > UINT32_MAX)
		return einval();
	b = p = blockbuf_get(&bb, len);
	p = put32(p, BT_SHB);
	p = put32(p, (uint32_t)len);
	p = put32(p, BYTE_ORDER_MAGIC);
	p = put16(p, 1);	/* version 1.0 */
	p = put16(p, 0);
	p = put32(p, 0xFFFFFFFFu);	/* section length -1: not given */
	p = put32(p, 0xFFFFFFFFu);
	for (size_t i = 0; i < ncomments; i++)
		if (comments[i] && *comments[i])
			p = put_opt(p, OPT_COMMENT, comments[i], strlen(comments[i]));
	p = put_opt(p, SHB_USERAPPL, USERAPPL, strlen(USERAPPL));
	p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	put32(p, (uint32_t)len);
	rc = write_block(o, b, len);
	blockbuf_release(&bb);
	return rc;
}

/*
 * Start a capture file on fd: the pcapng Section Header Block with one comment option per
 * non-empty comment and the writing application, or for CAP_PCAP the classic header with
 * pcap_linktype and pcap_snaplen.  Every field is reset but o->wait, which must be set or
 * NULL (o zeroed, or used before: what it held is released).  Returns 0, or -1 with
 * o->failed set.
 */
int capout_begin(struct capout *o, int fd, enum capfmt fmt, const char *const *comments,
		 size_t ncomments, int pcap_linktype, int pcap_snaplen)
{
	struct stat st;
	int rc;

	int (*wait)(struct capout *) = o->wait;	/* the caller's, kept */

	capout_release(o);
	memset(o, 0, sizeof(*o));
	o->wait = wait;
	o->fd = fd;
	o->fmt = fmt;
	o->is_file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	pcap_linktype = file_linktype(pcap_linktype);
	if (fmt == CAP_PCAP) {
		if (pcap_linktype < 0 || pcap_snaplen < 0) {
			rc = einval();
		} else {
			o->linktype = pcap_linktype;
			rc = write_pcap_header(o, pcap_linktype, pcap_snaplen);
		}
	} else if (fmt == CAP_PCAPNG) {
		rc = write_shb(o, comments, ncomments);
	} else {
		rc = einval();
	}
	if (rc && !o->failed)
		o->failed = errno;
	return rc;
}

/* The next interface's id, with a packet count of its own. */
static int new_iface(struct capout *o)
{
	o->ipackets = xrealloc(o->ipackets, (o->nifaces + 1) * sizeof(*o->ipackets));
	o->ipackets[o->nifaces] = 0;
	return (int)o->nifaces++;
}

/*
 * Describe one interface: its link type (LINKTYPE_* or DLT_*), snapshot length (0: none), name and description
 * (either may be NULL or empty: then left out).  The strings are written byte for byte.
 * Returns the interface's id for capout_packet(), or -1.  A classic pcap file takes one
 * interface, of the link type given to capout_begin().
 */
int capout_add_iface(struct capout *o, int linktype, int snaplen, const char *name,
		     const char *desc)
{
	struct blockbuf bb;
	size_t nlen = name ? strlen(name) : 0, dlen = desc ? strlen(desc) : 0, len;
	uint8_t *b, *p, tsresol = 9;	/* 10^-9 s */
	int rc;

	if (o->failed) {
		errno = o->failed;
		return -1;
	}
	linktype = file_linktype(linktype);
	if (o->fmt == CAP_PCAP) {
		if (o->nifaces || linktype != o->linktype)
			return einval();
		return new_iface(o);
	}
	if (linktype < 0 || linktype > 0xFFFF || snaplen < 0 || nlen > OPT_MAX_LEN ||
	    dlen > OPT_MAX_LEN || o->nifaces >= INT32_MAX)
		return einval();
	if (capout_flush(o))	/* blocks stay in order */
		return -1;
	len = 16 + (nlen ? opt_size(nlen) : 0) + (dlen ? opt_size(dlen) : 0) + opt_size(1) + 4 + 4;
	b = p = blockbuf_get(&bb, len);
	p = put32(p, BT_IDB);
	p = put32(p, (uint32_t)len);
	p = put16(p, (uint16_t)linktype);
	p = put16(p, 0);	/* reserved */
	p = put32(p, (uint32_t)snaplen);
	if (nlen)
		p = put_opt(p, IF_NAME, name, nlen);
	if (dlen)
		p = put_opt(p, IF_DESCRIPTION, desc, dlen);
	p = put_opt(p, IF_TSRESOL, &tsresol, 1);
	p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	put32(p, (uint32_t)len);
	rc = write_block(o, b, len);
	blockbuf_release(&bb);
	return rc ? -1 : new_iface(o);
}

/* Lay out a packet block of n bytes at b (see capout_packet_tagged). */
static void put_packet(const struct capout *o, uint8_t *b, size_t n, unsigned iface,
		       uint64_t ts_ns, const uint8_t *data, uint32_t caplen, uint32_t len,
		       uint64_t id, const char *comment)
{
	uint8_t *p = b;

	if (o->fmt == CAP_PCAP) {
		p = put32(p, (uint32_t)(ts_ns / 1000000000u));
		p = put32(p, (uint32_t)(ts_ns % 1000000000u));
		p = put32(p, caplen);
		p = put32(p, len);
		if (caplen)
			memcpy(p, data, caplen);
		return;
	}
	p = put32(p, BT_EPB);
	p = put32(p, (uint32_t)n);
	p = put32(p, iface);
	p = put32(p, (uint32_t)(ts_ns >> 32));	/* units of if_tsresol: ns */
	p = put32(p, (uint32_t)ts_ns);
	p = put32(p, caplen);
	p = put32(p, len);
	if (caplen)
		memcpy(p, data, caplen);
	memset(p + caplen, 0, pad4(caplen) - caplen);
	p += pad4(caplen);
	if (id || comment) {
		if (comment)
			p = put_opt(p, OPT_COMMENT, comment, strlen(comment));
		if (id)
			p = put_opt(p, EPB_PACKETID, &id, sizeof(id));
		p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	}
	put32(p, (uint32_t)n);
}

/*
 * One packet seen on interface `iface` at ts_ns (nanoseconds since the epoch): caplen
 * bytes of data captured of len on the wire, written, or buffered after capout_buffer().
 * Returns 0 or -1.
 */
int capout_packet(struct capout *o, unsigned iface, uint64_t ts_ns, const uint8_t *data,
		  uint32_t caplen, uint32_t len)
{
	return capout_packet_tagged(o, iface, ts_ns, data, caplen, len, 0, NULL);
}

/*
 * The same with the packet's id (epb_packetid; 0 for none) and a comment (NULL for none;
 * a pcapng string, see pcapng_str), which classic pcap cannot hold and leaves out.
 */
int capout_packet_tagged(struct capout *o, unsigned iface, uint64_t ts_ns, const uint8_t *data,
			 uint32_t caplen, uint32_t len, uint64_t id, const char *comment)
{
	struct blockbuf bb;
	size_t n, opts = 0;
	uint8_t *b;
	int rc;

	if (o->failed) {
		errno = o->failed;
		return -1;
	}
	if (iface >= o->nifaces || caplen > CAP_MAX_CAPLEN || caplen > len || (caplen && !data) ||
	    (comment && strlen(comment) > 1024))
		return einval();
	if (o->fmt == CAP_PCAP)
		id = 0, comment = NULL;
	if (id || comment)
		opts = (comment ? opt_size(strlen(comment)) : 0) + (id ? opt_size(8) : 0) + 4;
	n = o->fmt == CAP_PCAP ? 16 + caplen : 28 + pad4(caplen) + opts + 4;
	if (o->bsize && o->blen + n > o->bsize && capout_flush(o))
		return -1;
	if (n <= o->bsize) {
		put_packet(o, o->buf + o->blen, n, iface, ts_ns, data, caplen, len, id, comment);
		o->blen += n;
		return 0;
	}
	b = blockbuf_get(&bb, n);	/* unbuffered, or larger than the buffer */
	put_packet(o, b, n, iface, ts_ns, data, caplen, len, id, comment);
	rc = write_block(o, b, n);
	blockbuf_release(&bb);
	if (!rc)
		count_packet(o, iface);
	return rc;
}

/*
 * src as a pcapng string: valid UTF-8, with C0 and C1 control characters and DEL written
 * as "\xNN" (the code point), so no reader (capinfos, tshark, a terminal) ever meets an
 * escape sequence.  A byte that is not UTF-8 is taken as Latin-1 (U+00XX, as before), the
 * ones that would be C1 controls as "\xNN".  Everything else, backslashes included, is
 * kept as it is.  Cut at a whole character to fit size.
 */
const char *pcapng_str(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p;) {
		unsigned cp = 0;
		int len = utf8_seq_len(p, &cp);

		if (!len) {		/* not UTF-8: the byte as a Latin-1 character */
			cp = *p;
			len = 1;
			if (cp >= 0xa0) {
				if (n + 3 > size)
					break;
				dst[n++] = (char)(0xc0 | cp >> 6);
				dst[n++] = (char)(0x80 | (cp & 0x3f));
				p++;
				continue;
			}
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			if (n + 5 > size)
				break;
			n += (size_t)snprintf(dst + n, size - n, "\\x%02x", cp);
			p += len;
		} else {
			if (n + (size_t)len + 1 > size)
				break;
			memcpy(dst + n, p, (size_t)len);
			n += (size_t)len;
			p += len;
		}
	}
	if (size)
		dst[n] = '\0';
	return dst;
}
