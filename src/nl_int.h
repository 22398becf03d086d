/*
 * nl_int.h - what nl.c and nl_nsid.c share: the raw receive, the RTM_GETNSID question by
 * fd (the forwarding questions of nl.c carry one too) and the host's namespace.
 */
#ifndef NL_INT_H
#define NL_INT_H

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "vethmap.h"

#define NL_WAIT_MS 5000	/* the kernel answers at once or never: never wait forever */

ssize_t rt_recv_n(int fd, char *buf, size_t size, unsigned slots);
ssize_t rt_recv(int fd, char *buf, size_t size);

/* An RTM_GETNSID question by fd, as sent. */
struct nsid_req {
	struct nlmsghdr nh;
	struct rtgenmsg g;
	char pad[3];
	struct nlattr fd_attr;
	uint32_t fd;
};

static inline void nsid_req_init(struct nsid_req *r, uint32_t seq, int fd)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = sizeof(*r);
	r->nh.nlmsg_type = RTM_GETNSID;
	r->nh.nlmsg_flags = NLM_F_REQUEST;
	r->nh.nlmsg_seq = seq;
	r->g.rtgen_family = AF_UNSPEC;
	r->fd_attr.nla_len = NLA_HDRLEN + sizeof(uint32_t);
	r->fd_attr.nla_type = NETNSA_FD;
	r->fd = (uint32_t)fd;
}

/* The host's namespace (sorted first), when there is one and it is held; else -1. */
static inline long host_ns(const struct scan_ctx *c)
{
	return c->t->nns && c->t->ns[0].is_host && c->alloc && c->fd[0] >= 0 ? 0 : -1;
}

#endif
