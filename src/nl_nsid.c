/*
 * nl_nsid.c - the nsid questions of the pairing: which nsid a namespace gives another,
 * asked with RTM_GETNSID by fd on the asking namespace's own socket (nl.c made it), one at
 * a time (nl_nsid) or 32 to a send (nl_nsid_batch), and their answers parsed; and a
 * watch on our own namespace's nsid table (nl_nsid_watch, nl_nsid_freed).  libnl has no
 * helper for these.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vethmap.h"
#include "nl_int.h"

/*
 * The nsid that namespace `observer` gives namespace `target`, asked with RTM_GETNSID
 * and NETNSA_FD on observer's socket; -1 when none is assigned or on any error.  The
 * question never assigns an nsid.
 */
int nl_nsid(void *ctx, size_t observer, size_t target)
{
	struct scan_ctx *c = ctx;
	int fd = observer < c->alloc ? c->nl[observer] : -1;
	uint32_t seq;
	struct nsid_req req;
	union {
		struct nlmsghdr nh;
		char buf[8192];
	} resp;
	ssize_t n;

	if (fd < 0 || target >= c->alloc || c->fd[target] < 0)
		return -1;
	if (observer == target)
		return -1;
	if ((long)target == host_ns(c) && c->host_nsid[observer] >= 0)
		return c->host_nsid[observer];	/* asked with its dump (forwarding()) */
	if ((long)observer == host_ns(c) && c->from_host[target] >= 0)
		return c->from_host[target];	/* the same, asked with target's dump */
	nsid_req_init(&req, seq = ++c->seq, c->fd[target]);
	c->nsid_asked++;
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		return -1;
	for (;;) {
		int id, rc;

		n = rt_recv(fd, resp.buf, sizeof(resp.buf));
		if (n < 0)
			return -1;
		rc = nsid_parse_reply(resp.buf, (size_t)n, seq, &id);
		if (rc)
			return rc > 0 ? id : -1;
	}
}

#define NSID_BATCH 32	/* questions per send: their answers stay far below a receive buffer */

static int cmp_observer(const void *pa, const void *pb)
{
	const struct nsid_q *a = *(const struct nsid_q *const *)pa;
	const struct nsid_q *b = *(const struct nsid_q *const *)pb;

	return (a->observer > b->observer) - (a->observer < b->observer);
}

/*
 * Ask the n questions of q[] (all of one observer, n <= NSID_BATCH) in one send, and read
 * the answers, several per recvmmsg().  A question left without an answer (an error, a
 * dropped reply, a deadline) is asked again alone, by nl_nsid().
 */
static void nsid_chunk(struct scan_ctx *c, struct nsid_q **q, size_t n)
{
	size_t observer = q[0]->observer, answered = 0;
	int fd = c->nl[observer];
	struct nsid_req req[NSID_BATCH] = { 0 };
	char bufs[NSID_BATCH][512];
	struct iovec iov[NSID_BATCH];
	struct mmsghdr mm[NSID_BATCH];
	unsigned char done[NSID_BATCH] = { 0 };
	uint32_t seq0 = c->seq + 1;

	for (size_t k = 0; k < n; k++)
		nsid_req_init(&req[k], ++c->seq, c->fd[q[k]->target]);
	c->nsid_asked += n;
	if (send(fd, req, n * sizeof(req[0]), 0) != (ssize_t)(n * sizeof(req[0])))
		goto alone;
	while (answered < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int got;

		for (size_t k = 0; k < NSID_BATCH; k++) {
			iov[k] = (struct iovec){ bufs[k], sizeof(bufs[k]) };
			mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		got = recvmmsg(fd, mm, NSID_BATCH, MSG_DONTWAIT, NULL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			got = poll(&pfd, 1, NL_WAIT_MS);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			continue;
		}
		if (got <= 0)
			break;	/* ENOBUFS (answers dropped) or worse: the rest alone */
		for (int m = 0; m < got; m++) {
			struct nlmsghdr h;
			size_t k;
			int id;

			if (mm[m].msg_len < sizeof(h) || mm[m].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			memcpy(&h, bufs[m], sizeof(h));
			k = h.nlmsg_seq - seq0;
			if (h.nlmsg_seq < seq0 || k >= n || done[k])
				continue;	/* not one of ours: an earlier question's late answer */
			done[k] = 1;
			answered++;
			/* an error answer is none, as nl_nsid() takes it */
			q[k]->nsid = nsid_parse_reply(bufs[m], mm[m].msg_len, h.nlmsg_seq, &id) > 0 ?
				     id : -1;
		}
	}
alone:
	for (size_t k = 0; k < n; k++)
		if (!done[k])
			q[k]->nsid = nl_nsid(c, observer, q[k]->target);
}

/* nsid_batch_fn: the questions of each observer in sends of NSID_BATCH. */
void nl_nsid_batch(void *ctx, struct nsid_q *q, size_t n)
{
	struct scan_ctx *c = ctx;
	struct nsid_q **by = xmalloc((n ? n : 1) * sizeof(*by));
	size_t m = 0;

	for (size_t k = 0; k < n; k++) {
		q[k].nsid = -1;	/* as nl_nsid() answers what it cannot ask */
		if (q[k].observer >= c->alloc || c->nl[q[k].observer] < 0 ||
		    q[k].target >= c->alloc || c->fd[q[k].target] < 0 ||
		    q[k].observer == q[k].target)
			continue;
		if ((long)q[k].target == host_ns(c) && c->host_nsid[q[k].observer] >= 0)
			q[k].nsid = c->host_nsid[q[k].observer];	/* asked with its dump */
		else if ((long)q[k].observer == host_ns(c) && c->from_host[q[k].target] >= 0)
			q[k].nsid = c->from_host[q[k].target];	/* with the target's */
		else
			by[m++] = &q[k];
	}
	sort_n(by, m, sizeof(*by), cmp_observer);
	for (size_t i = 0, j; i < m; i = j) {
		for (j = i; j < m && j - i < NSID_BATCH && by[j]->observer == by[i]->observer; j++)
			;
		nsid_chunk(c, by + i, j - i);
	}
	free(by);
}

/*
 * Read the answer to RTM_GETNSID number `seq` out of one recv()'s bytes.  Returns 1 with
 * *id set (-1 when the kernel has none), 0 when no message here carries seq (read on),
 * -1 for an error answer or malformed bytes.  Trusts no length: every header and
 * attribute is bounds-checked and copied out, never cast in place.
 */
int nsid_parse_reply(const void *buf, size_t n, uint32_t seq, int *id)
{
	return nsid_parse_reply_cur(buf, n, seq, id, NULL);
}

/*
 * nsid_parse_reply(), and *current (when not NULL) set to whether the answer carries
 * NETNSA_CURRENT_NSID: the kernel sends it only when it answered for the namespace that
 * NETNSA_TARGET_NSID named, not for the asker's own (a kernel that knows no such attribute
 * answers for the asker's).
 */
int nsid_parse_reply_cur(const void *buf, size_t n, uint32_t seq, int *id, int *current)
{
	const unsigned char *p = buf;
	size_t off = 0;

	*id = -1;
	if (current)
		*current = 0;
	while (n - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr nh;
		size_t body, a;

		memcpy(&nh, p + off, sizeof(nh));
		if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > n - off)
			return -1;
		if (nh.nlmsg_seq != seq) {
			off += NLMSG_ALIGN(nh.nlmsg_len);
			if (off > n)
				break;
			continue;
		}
		if (nh.nlmsg_type != RTM_NEWNSID)
			return -1;	/* NLMSG_ERROR or unexpected */
		body = off + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtgenmsg));
		for (a = body; a + NLA_HDRLEN <= off + nh.nlmsg_len;) {
			struct nlattr at;

			memcpy(&at, p + a, sizeof(at));
			if (at.nla_len < NLA_HDRLEN || at.nla_len > off + nh.nlmsg_len - a)
				return -1;
			if ((at.nla_type & NLA_TYPE_MASK) == NETNSA_NSID &&
			    at.nla_len >= NLA_HDRLEN + sizeof(int32_t)) {
				int32_t v;

				memcpy(&v, p + a + NLA_HDRLEN, sizeof(v));
				*id = v;
			}
			if ((at.nla_type & NLA_TYPE_MASK) == NETNSA_CURRENT_NSID && current)
				*current = 1;
			a += NLA_ALIGN(at.nla_len);
		}
		return 1;	/* an answer without NETNSA_NSID: none */
	}
	return 0;
}

/*
 * A socket of our own namespace that hears of its nsid table's changes (RTNLGRP_NSID),
 * non-blocking; -1 on any error.  Bound, as the kernel gives no multicast to port 0.
 */
int nl_nsid_watch(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (RTNLGRP_NSID - 1) };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Has an nsid of that table been freed since nl_nsid_watch() (RTM_DELNSID: its namespace
 * died, and the kernel may give the number to the next namespace that needs one), or can
 * that not be told (a lost notification, an error)?  1 or 0; reads what is queued.
 */
int nl_nsid_freed(int fd)
{
	union {
		struct nlmsghdr h;
		char b[8192];
	} buf;

	if (fd < 0)
		return 1;
	for (;;) {
		ssize_t n = recv(fd, buf.b, sizeof(buf.b), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
		for (struct nlmsghdr *h = &buf.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_DELNSID || h->nlmsg_type == NLMSG_ERROR)
				return 1;
	}
}
