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

static void start(struct http_req *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n;

	r->fd = -1;
	if (strlen(r->sock) >= sizeof(sa.sun_path)) {
		fail(r, "socket path too long");
		return;
	}
	strcpy(sa.sun_path, r->sock);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		fail(r, strerror(errno));
		return;
	}
	if (connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		/* a unix socket says EAGAIN when its listen backlog is full: it is not serving */
		fail(r, errno == EAGAIN ? "not accepting connections (backlog full)" :
		     strerror(errno));
		return;
	}
	if (r->peer_check) {	/* a user's socket: served by that user, or not asked */
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (getsockopt(r->fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) || cr.uid != r->peer_uid) {
			fail(r, "served by another user");
			return;
		}
		if (r->peer_pid && cr.pid != r->peer_pid) {
			fail(r, "served by another process");
			return;
		}
	}
	n = snprintf(r->out, sizeof(r->out), "GET %s HTTP/1.0\r\nHost: localhost\r\n"
		     "User-Agent: vethmap/" VETHMAP_VERSION "\r\nAccept: application/json\r\n\r\n",
		     r->path);
	if (n < 0 || (size_t)n >= sizeof(r->out)) {
		fail(r, "request too long");
		return;
	}
	r->outlen = (size_t)n;
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
