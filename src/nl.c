/*
 * nl.c implements the netlink side of a scan: one rtnetlink socket created inside each
 * namespace (enter, create, return at once), link and address dumps through libnl-route,
 * and RTM_GETNSID queries by fd, which libnl has no helper for.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/rtnl.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/vxlan.h>

#include "vethmap.h"

/* Create a route socket inside namespace ns; it stays bound there after we return. */
static struct nl_sock *socket_in(struct scan_ctx *c, size_t ns)
{
	struct topo *t = c->t;
	struct nl_sock *sk;
	int saved, err;

	if (netns_enter(c, ns, &saved))
		return NULL;
	sk = nl_socket_alloc();
	err = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	netns_return(saved);
	if (err) {
		error("netlink socket in namespace %llu: %s", (unsigned long long)t->ns[ns].ino,
		      nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	nl_socket_disable_auto_ack(sk);
	nl_socket_set_buffer_size(sk, 1 << 20, 0);
	{
		/* the kernel answers at once or never: never wait forever */
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return sk;
}

static void set_kind(struct iface *ifc, struct rtnl_link *l)
{
	const char *kind = rtnl_link_get_type(l);
	unsigned arptype = rtnl_link_get_arptype(l);

	if (kind && !strcmp(kind, "tun"))
		kind = arptype == ARPHRD_ETHER ? "tap" : "tun";
	else if (!kind || !*kind)
		kind = arptype == ARPHRD_LOOPBACK ? "loopback" : "device";
	copy_str(ifc->kind, sizeof(ifc->kind), kind);
}

static void take_link(struct topo *t, size_t ns, struct rtnl_link *l)
{
	struct iface *ifc = topo_add_iface(t, ns);
	struct nl_addr *mac = rtnl_link_get_addr(l);
	const char *s;
	int32_t nsid;
	uint32_t vx;

	ifc->ifindex = rtnl_link_get_ifindex(l);
	copy_str(ifc->name, sizeof(ifc->name), rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "");
	set_kind(ifc, l);
	s = rtnl_link_get_slave_type(l);
	copy_str(ifc->slave_kind, sizeof(ifc->slave_kind), s ? s : "");
	if (mac && nl_addr_get_len(mac))
		nl_addr2str(mac, ifc->mac, sizeof(ifc->mac));
	ifc->mtu = rtnl_link_get_mtu(l);
	ifc->flags = rtnl_link_get_flags(l);
	ifc->promiscuity = rtnl_link_get_promiscuity(l);
	rtnl_link_operstate2str(rtnl_link_get_operstate(l), ifc->oper, sizeof(ifc->oper));
	ifc->master = rtnl_link_get_master(l);
	ifc->link = rtnl_link_get_link(l);
	if (!rtnl_link_get_link_netnsid(l, &nsid)) {
		ifc->has_link_netnsid = 1;
		ifc->link_netnsid = nsid;
	}
	if (!strcmp(ifc->kind, "vxlan") && !rtnl_link_vxlan_get_link(l, &vx))
		ifc->vxlan_link = (int)vx;
}

static void take_addr(struct topo *t, size_t first, struct rtnl_addr *a)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	int family = rtnl_addr_get_family(a);
	char ip[INET6_ADDRSTRLEN], text[64];
	long i;

	if (!local || (family != AF_INET && family != AF_INET6))
		return;
	if (!inet_ntop(family, nl_addr_get_binary_addr(local), ip, sizeof(ip)))
		return;
	snprintf(text, sizeof(text), "%s/%d", ip, rtnl_addr_get_prefixlen(a));
	/* Interfaces of this namespace are t->ifs[first..]; unsorted yet, so search. */
	for (i = (long)first; (size_t)i < t->nifs; i++)
		if (t->ifs[i].ifindex == rtnl_addr_get_ifindex(a)) {
			iface_add_addr(&t->ifs[i], family, rtnl_addr_get_prefixlen(a), text);
			return;
		}
}

/*
 * One dump into a new cache of `kind` ("route/link", "route/addr").  libnl's own
 * rtnl_*_alloc_cache() restarts an interrupted dump (NLM_F_DUMP_INTR) forever, which
 * never ends while links keep changing; here a dump is tried a few times, then the last
 * one is kept as it is, with a warning, as iproute2 does.  Pairing is checked from both
 * ends, so a dump that moved under us can leave a pair unresolved, never wrong.
 */
static int dump_cache(struct topo *t, size_t ns, struct nl_sock *sk, const char *kind,
		      int type, int family, struct nl_cache **out)
{
	struct nl_cache *c = NULL;
	int err = 0;

	for (int tries = 0; tries < 4; tries++) {
		err = nl_cache_alloc_name(kind, &c);
		if (err < 0)
			return err;
		if (family)
			nl_cache_set_arg1(c, family);
		err = nl_rtgen_request(sk, type, family, NLM_F_DUMP);
		if (err >= 0)
			err = nl_cache_pickup(sk, c);
		if (err != -NLE_DUMP_INTR)
			break;
		if (tries == 3) {
			warnx("namespace %llu: its %s dump kept changing: kept as dumped",
			      (unsigned long long)t->ns[ns].ino, kind + 6);
			err = 0;
			break;
		}
		nl_cache_free(c);
		c = NULL;
	}
	if (err < 0) {
		nl_cache_free(c);
		return err;
	}
	*out = c;
	return 0;
}

/*
 * Bridge port flags (hairpin mode) come only with an AF_BRIDGE dump: asked only of a
 * namespace that has bridge ports.  A failure here loses the flags, nothing else.
 */
static void bridge_ports(struct topo *t, size_t ns, struct nl_sock *sk, size_t first)
{
	struct nl_cache *ports = NULL;
	struct nl_object *o;
	size_t i;

	for (i = first; i < t->nifs && strcmp(t->ifs[i].slave_kind, "bridge"); i++)
		;
	if (i == t->nifs || dump_cache(t, ns, sk, "route/link", RTM_GETLINK, AF_BRIDGE, &ports) < 0)
		return;
	for (o = nl_cache_get_first(ports); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		int idx = rtnl_link_get_ifindex(l);

		if (!rtnl_link_bridge_has_ext_info(l))
			continue;
		for (i = first; i < t->nifs; i++)
			if (t->ifs[i].ifindex == idx) {
				t->ifs[i].hairpin = !!(rtnl_link_bridge_get_flags(l) &
						       RTNL_BRIDGE_HAIRPIN_MODE);
				break;
			}
	}
	nl_cache_free(ports);
}

/* Dump one namespace's links (and addresses); errors are kept in ns->dump_error. */
int nl_dump_ns(struct scan_ctx *c, size_t ns, int want_addrs)
{
	struct topo *t = c->t;
	struct nl_cache *links = NULL, *addrs = NULL;
	struct nl_object *o;
	struct nl_sock *sk;
	size_t first = t->nifs;
	int err = 0;

	sk = socket_in(c, ns);
	if (!sk) {
		t->ns[ns].dump_error = errno ? errno : EIO;
		return -1;
	}
	c->nl[ns] = sk;	/* socket_in() checked that ns is held: c->nl has room */
	err = dump_cache(t, ns, sk, "route/link", RTM_GETLINK, AF_UNSPEC, &links);
	if (err < 0)
		goto fail;
	for (o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
		take_link(t, ns, (struct rtnl_link *)o);
	nl_cache_free(links);
	bridge_ports(t, ns, sk, first);
	if (!want_addrs)
		return 0;
	err = dump_cache(t, ns, sk, "route/addr", RTM_GETADDR, AF_UNSPEC, &addrs);
	if (err < 0)
		goto fail;
	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o))
		take_addr(t, first, (struct rtnl_addr *)o);
	nl_cache_free(addrs);
	return 0;
fail:
	warnx("dump of namespace %llu failed: %s", (unsigned long long)t->ns[ns].ino,
	      nl_geterror(err));
	t->ns[ns].dump_error = EIO;
	return -1;
}

/*
 * The nsid that namespace `observer` gives namespace `target`, asked with RTM_GETNSID
 * and NETNSA_FD on observer's socket; -1 when none is assigned or on any error.  The
 * question never assigns an nsid.
 */
int nl_nsid(void *ctx, size_t observer, size_t target)
{
	struct scan_ctx *c = ctx;
	struct nl_sock *sk = observer < c->alloc ? c->nl[observer] : NULL;
	uint32_t seq;
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
		char pad[3];
		struct nlattr fd_attr;
		uint32_t fd;
	} req;
	union {
		struct nlmsghdr nh;
		char buf[4096];
	} resp;
	ssize_t n;
	int fd;

	if (!sk || target >= c->alloc || c->fd[target] < 0)
		return -1;
	if (observer == target)
		return -1;
	fd = nl_socket_get_fd(sk);
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETNSID;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq = ++c->seq;
	req.g.rtgen_family = AF_UNSPEC;
	req.fd_attr.nla_len = NLA_HDRLEN + sizeof(uint32_t);
	req.fd_attr.nla_type = NETNSA_FD;
	req.fd = (uint32_t)c->fd[target];
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		return -1;
	for (;;) {
		int id, rc;

		n = recv(fd, &resp, sizeof(resp), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		rc = nsid_parse_reply(resp.buf, (size_t)n, seq, &id);
		if (rc)
			return rc > 0 ? id : -1;
	}
}

/*
 * Read the answer to RTM_GETNSID number `seq` out of one recv()'s bytes.  Returns 1 with
 * *id set (-1 when the kernel has none), 0 when no message here carries seq (read on),
 * -1 for an error answer or malformed bytes.  Trusts no length: every header and
 * attribute is bounds-checked and copied out, never cast in place.
 */
int nsid_parse_reply(const void *buf, size_t n, uint32_t seq, int *id)
{
	const unsigned char *p = buf;
	size_t off = 0;

	*id = -1;
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
				return 1;
			}
			a += NLA_ALIGN(at.nla_len);
		}
		return 1;	/* an answer without NETNSA_NSID: none */
	}
	return 0;
}

void nl_close_all(struct scan_ctx *c)
{
	for (size_t i = 0; i < c->alloc; i++)
		if (c->nl[i]) {
			nl_socket_free(c->nl[i]);
			c->nl[i] = NULL;
		}
}
