/*
 * http.c implements a minimal HTTP/1.0 GET over unix sockets, for container engine APIs
 * (Docker, Podman).  All requests run at once under one deadline: an engine that refuses,
 * hangs or babbles costs at most the deadline and never stalls a scan.  Answers are
 * capped in size; chunked bodies are decoded; nothing in an answer is trusted for sizes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vethmap.h"

#define HTTP_MAX_ANSWER (16u << 20)

long long http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(struct http_req *r, const char *msg)
{
	if (!r->err)
		r->err = msg;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/*
 * A non-blocking connection to the unix socket path; with peer_check, only to a server
 * running as peer_uid (and as process peer_pid, when not 0).  The fd, or -1 with *err.
 */
static int unix_connect(const char *path, int peer_check, uid_t peer_uid, int peer_pid,
			const char **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = "socket path too long";
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = strerror(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		/* a unix socket says EAGAIN when its listen backlog is full: it is not serving */
		*err = errno == EAGAIN ? "not accepting connections (backlog full)" : strerror(errno);
		close(fd);
		return -1;
	}
	if (peer_check) {	/* a user's socket: served by that user, or not asked */
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) || cr.uid != peer_uid) {
			*err = "served by another user";
			close(fd);
			return -1;
		}
		if (peer_pid && cr.pid != peer_pid) {
			*err = "served by another process";
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The GET request for path into out; its length, or 0 when it does not fit. */
static size_t format_get(char *out, size_t size, const char *path)
{
	int n = snprintf(out, size, "GET %s HTTP/1.0\r\nHost: localhost\r\n"
			 "User-Agent: vethmap/" VETHMAP_VERSION "\r\nAccept: application/json\r\n\r\n",
			 path);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

static void start(struct http_req *r)
{
	const char *err = NULL;

	r->fd = unix_connect(r->sock, r->peer_check, r->peer_uid, r->peer_pid, &err);
	if (r->fd < 0) {
		fail(r, err);
		return;
	}
	r->outlen = format_get(r->out, sizeof(r->out), r->path);
	if (!r->outlen) {
		fail(r, "request too long");
		return;
	}
	r->sent = 0;
}

/* Decode a chunked body in place; returns its length, or -1 if malformed. */
static long dechunk(char *b, size_t len)
{
	size_t r = 0, w = 0;

	for (;;) {
		char *end;
		unsigned long n;

		if (r >= len)
			return -1;
		n = strtoul(b + r, &end, 16);
		if (end == b + r || (size_t)(end - b) > len)
			return -1;
		r = (size_t)(end - b);
		while (r < len && b[r] != '\n')
			r++;
		if (r >= len)
			return -1;
		r++;
		if (n == 0)
			return (long)w;
		if (n > len - r)
			return -1;
		memmove(b + w, b + r, n);
		w += n;
		r += n;
		if (r < len && b[r] == '\r')
			r++;
		if (r < len && b[r] == '\n')
			r++;
	}
}

/*
 * Split a complete answer (r->buf, r->len bytes, NUL-terminated) into status and body
 * (NUL-terminated, in r->buf).  Sets r->done, or r->err when it is not a usable answer.
 */
void http_parse_answer(struct http_req *r)
{
	char *hdr_end, *p;
	long clen = -1;
	int chunked = 0;

	if (r->len < 12 || strncmp(r->buf, "HTTP/1.", 7) || r->buf[8] != ' ') {
		fail(r, "not an HTTP answer");
		return;
	}
	r->status = atoi(r->buf + 9);
	hdr_end = memmem(r->buf, r->len, "\r\n\r\n", 4);
	if (!hdr_end) {
		fail(r, "answer has no end of headers");
		return;
	}
	*hdr_end = '\0';
	for (p = strstr(r->buf, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, "content-length:", 15))
			clen = strtol(p + 17, NULL, 10);
		else if (!strncasecmp(p + 2, "transfer-encoding:", 18) && strcasestr(p + 20, "chunked"))
			chunked = 1;
	}
	r->body = hdr_end + 4;
	r->body_len = r->len - (size_t)(r->body - r->buf);
	if (chunked) {
		long n = dechunk(r->body, r->body_len);

		if (n < 0) {
			fail(r, "malformed chunked answer");
			r->body = NULL;
			return;
		}
		r->body_len = (size_t)n;
	} else if (clen >= 0) {
		if ((size_t)clen > r->body_len) {
			fail(r, "answer shorter than its Content-Length");
			r->body = NULL;
			return;
		}
		r->body_len = (size_t)clen;
	}
	r->body[r->body_len] = '\0';
	r->done = 1;
}

static void on_readable(struct http_req *r)
{
	char chunk[65536];
	ssize_t n = read(r->fd, chunk, sizeof(chunk));

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			fail(r, strerror(errno));
		return;
	}
	if (n == 0) {
		close(r->fd);
		r->fd = -1;
		http_parse_answer(r);
		return;
	}
	if (r->len + (size_t)n > (r->max_answer ? r->max_answer : HTTP_MAX_ANSWER)) {
		fail(r, r->max_answer ? "answer larger than its bound" : "answer larger than 16 MiB");
		return;
	}
	if (r->len + (size_t)n + 1 > r->cap) {
		r->cap = r->len + (size_t)n + 1 > 2 * r->cap ? r->len + (size_t)n + 1 : 2 * r->cap;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, chunk, (size_t)n);
	r->len += (size_t)n;
	r->buf[r->len] = '\0';
}

/*
 * Run n requests at once until each is answered, failed, or timeout_ms has passed.
 * Afterwards each has done=1 with status and body, or err set (timeout included).
 */
void http_run(struct http_req *reqs, size_t n, int timeout_ms)
{
	long long deadline = http_now_ms() + timeout_ms;
	struct pollfd *pfd = xcalloc(n, sizeof(*pfd));

	for (size_t i = 0; i < n; i++)
		start(&reqs[i]);
	for (;;) {
		long long left = deadline - http_now_ms();
		size_t active = 0;

		for (size_t i = 0; i < n; i++) {
			struct http_req *r = &reqs[i];

			pfd[i].fd = r->fd;
			pfd[i].events = r->sent < r->outlen ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
			active += r->fd >= 0;
		}
		if (!active)
			break;
		if (left <= 0) {
			for (size_t i = 0; i < n; i++)
				if (reqs[i].fd >= 0)
					fail(&reqs[i], "no answer in time");
			break;
		}
		if (poll(pfd, n, (int)left) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			struct http_req *r = &reqs[i];

			if (r->fd < 0 || !pfd[i].revents)
				continue;
			if (r->sent < r->outlen) {
				ssize_t w = send(r->fd, r->out + r->sent, r->outlen - r->sent,
						 MSG_NOSIGNAL);

				if (w < 0 && errno != EAGAIN && errno != EINTR) {
								fail(r, strerror(errno));
				} else if (w > 0) {
					r->sent += (size_t)w;
				}
			} else {
				on_readable(r);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!reqs[i].done && !reqs[i].err)
			reqs[i].err = "no answer";
	free(pfd);
}

void http_release(struct http_req *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
	r->body = NULL;
}

/* ---- a stream of lines ------------------------------------------------------------------
 *
 * Docker's /events answers with headers, then one JSON object per line for as long as the
 * connection lasts (plain, to an HTTP/1.0 request; chunked is understood too).  Nothing of
 * a line is read: each one is only counted (a wake-up; the rescan says what changed).
 * Every size is bounded: the headers by HTTP_STREAM_HEAD, a line by HTTP_STREAM_LINE, a
 * chunk-size line by 16 bytes; whatever breaks a bound or the framing ends the stream.
 */
enum { HS_HEAD, HS_BODY, HS_CSIZE, HS_CDATA };

void http_stream_init(struct http_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* The answer's headers are complete in s->head: 0, or -1 with *err (s->state set). */
static int stream_headers(struct http_stream *s, const char **err)
{
	int chunked = 0;

	s->head[s->hlen] = '\0';
	if (s->hlen < 12 || strncmp(s->head, "HTTP/1.", 7) || s->head[8] != ' ') {
		*err = "not an HTTP answer";
		return -1;
	}
	s->status = atoi(s->head + 9);
	if (s->status != 200) {
		*err = "answered with an HTTP status other than 200";
		return -1;
	}
	for (char *p = strstr(s->head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		if (!strncasecmp(p + 2, "transfer-encoding:", 18) && strcasestr(p + 20, "chunked"))
			chunked = 1;
	s->state = chunked ? HS_CSIZE : HS_BODY;
	return 0;
}

/* Count the lines of body bytes b[0..n): their number, or -1 (*err) for one too long. */
static long stream_body(struct http_stream *s, const char *b, size_t n, const char **err)
{
	long lines = 0;

	for (size_t i = 0; i < n; i++) {
		if (b[i] == '\n') {
			lines += s->line > 0;
			s->line = 0;
		} else if (++s->line > HTTP_STREAM_LINE) {
			*err = "a line longer than its bound";
			return -1;
		}
	}
	return lines;
}

/*
 * Feed n bytes of the answer: the number of lines of the body they completed (>= 0), or
 * -1 with *err when the answer is not such a stream (then feed no more).
 */
long http_stream_feed(struct http_stream *s, const char *buf, size_t n, const char **err)
{
	long lines = 0;
	size_t i = 0;

	while (i < n) {
		if (s->state == HS_HEAD) {
			s->head[s->hlen++] = buf[i++];
			if (s->hlen >= 4 && !memcmp(s->head + s->hlen - 4, "\r\n\r\n", 4)) {
				if (stream_headers(s, err))
					return -1;
			} else if (s->hlen >= sizeof(s->head) - 1) {
				*err = "headers longer than their bound";
				return -1;
			}
		} else if (s->state == HS_BODY) {
			long k = stream_body(s, buf + i, n - i, err);

			if (k < 0)
				return -1;
			lines += k;
			i = n;
		} else if (s->state == HS_CSIZE) {	/* "1a3\r\n", maybe ";ext" before \r */
			char c = buf[i++];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			if (c == '\n') {
				if (!s->csize_len)
					continue;	/* the CRLF after a chunk's data */
				s->csize_len = 0;
				s->csize_ext = 0;
				if (!s->chunk_left) {
					*err = "the stream ended (last chunk)";
					return -1;
				}
				s->state = HS_CDATA;
			} else if (s->csize_ext || c == '\r') {
				continue;
			} else if (c == ';' && s->csize_len) {
				s->csize_ext = 1;	/* a chunk extension: skipped */
			} else if (d < 0 || s->csize_len >= 8) {	/* not hex, or 4 GiB or more */
				*err = "malformed chunk size";
				return -1;
			} else {
				s->chunk_left = (s->csize_len ? s->chunk_left * 16 : 0) + (size_t)d;
				s->csize_len++;
			}
		} else {	/* HS_CDATA */
			size_t take = n - i < s->chunk_left ? n - i : s->chunk_left;
			long k = stream_body(s, buf + i, take, err);

			if (k < 0)
				return -1;
			lines += k;
			i += take;
			s->chunk_left -= take;
			if (!s->chunk_left)
				s->state = HS_CSIZE;
		}
	}
	s->lines += (unsigned long long)lines;
	return lines;
}

/*
 * Connect to the unix socket sock (served by peer_uid, SO_PEERCRED) and send GET path:
 * 0, or -1 with *err.  The answer is read by http_stream_read() when s->fd is readable.
 */
int http_stream_open(struct http_stream *s, const char *sock, const char *path, uid_t peer_uid,
		     const char **err)
{
	char req[1024];
	size_t len = format_get(req, sizeof(req), path);
	ssize_t w;

	http_stream_init(s);
	if (!len) {
		*err = "request too long";
		return -1;
	}
	s->fd = unix_connect(sock, 1, peer_uid, 0, err);
	if (s->fd < 0)
		return -1;
	w = send(s->fd, req, len, MSG_NOSIGNAL);	/* a fresh unix socket takes 1 KiB at once */
	if (w != (ssize_t)len) {
		*err = w < 0 ? strerror(errno) : "request cut short";
		http_stream_close(s);
		return -1;
	}
	return 0;
}

/*
 * Read what the stream has (at most 1 MiB a call, so a flood cannot starve the rest):
 * the number of lines it completed, or -1 with *err when the stream ended or broke (then
 * closed).
 */
long http_stream_read(struct http_stream *s, const char **err)
{
	char buf[16384];
	long lines = 0;

	for (int k = 0; k < 64 && s->fd >= 0; k++) {
		ssize_t n = read(s->fd, buf, sizeof(buf));
		long got;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			*err = n < 0 ? strerror(errno) : "closed by the engine";
			http_stream_close(s);
			return -1;
		}
		got = http_stream_feed(s, buf, (size_t)n, err);
		if (got < 0) {
			http_stream_close(s);
			return -1;
		}
		lines += got;
	}
	return lines;
}

void http_stream_close(struct http_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
