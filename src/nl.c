/*
 * nl.c implements the netlink side of a scan: one raw rtnetlink socket created inside
 * each namespace (enter, create, return at once), link and address dumps read whole over
 * it, each message then parsed by libnl-route (nl_msg_parse: libnl's parsers, without its
 * socket set-up, message peeking and caches, which cost syscalls per namespace).  The
 * nsid questions of the pairing are in nl_nsid.c.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/net_namespace.h>
#include <linux/netconf.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <stddef.h>
#include <unistd.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/rtnl.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/geneve.h>
#include <netlink/route/link/ip6gre.h>
#include <netlink/route/link/ip6tnl.h>
#include <netlink/route/link/ipgre.h>
#include <netlink/route/link/ipip.h>
#include <netlink/route/link/sit.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "vethmap.h"
#include "nl_int.h"

/*
 * A raw route socket created inside namespace ns (it stays there after we return), or -1.
 * No bind: the kernel gives it a port at the first send.
 */
static int socket_proto_in(struct scan_ctx *c, size_t ns, int proto)
{
	int saved, fd, err;

	if (netns_enter(c, ns, &saved))
		return -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	err = errno;
	netns_return(saved);
	if (fd < 0) {
		errno = err;
		error("netlink socket in namespace %llu:", (unsigned long long)c->t->ns[ns].ino);
		return -1;
	}
	return fd;
}

static int socket_in(struct scan_ctx *c, size_t ns)
{
	return socket_proto_in(c, ns, NETLINK_ROUTE);
}


/*
 * Receive what the kernel queued for us on fd into buf (up to `slots` datagrams, at most
 * 4, each in its own size/slots part of buf: a dump's last part and its NLMSG_DONE are
 * usually queued together, and one recvmmsg() takes both; answers to several questions
 * sent at once come together too).  The kernel answers a request while it is sent, so
 * there is nearly always something to read; when not, we wait up to NL_WAIT_MS.  Returns
 * the bytes read (the datagrams back to back, each at an NLMSG_ALIGNed offset), or -1
 * with errno set.
 */
ssize_t rt_recv_n(int fd, char *buf, size_t size, unsigned slots)
{
	size_t part = size / slots;

	for (;;) {
		struct iovec iov[4];
		struct mmsghdr mm[4];
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n;

		for (unsigned k = 0; k < slots; k++) {
			iov[k] = (struct iovec){ buf + k * part, part };
			mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		n = recvmmsg(fd, mm, slots, MSG_DONTWAIT, NULL);
		if (n > 0) {
			size_t len = 0;

			for (int k = 0; k < n; k++) {
				if (mm[k].msg_hdr.msg_flags & MSG_TRUNC) {
					errno = EMSGSIZE;
					return -1;
				}
				/* each datagram right after the one before */
				if (k)
					memmove(buf + len, buf + (size_t)k * part, mm[k].msg_len);
				len += k + 1 < n ? NLMSG_ALIGN(mm[k].msg_len) : mm[k].msg_len;
			}
			return (ssize_t)len;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (!n) {
			errno = EIO;
			return -1;
		}
		n = poll(&pfd, 1, NL_WAIT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ETIMEDOUT;
			return -1;
		}
	}
}

ssize_t rt_recv(int fd, char *buf, size_t size)
{
	return rt_recv_n(fd, buf, size, 2);
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

/* An address libnl made, as text into out (and put back); "" when none. */
static void tun_addr(struct nl_addr *a, char *out, size_t size)
{
	*out = '\0';
	if (a && nl_addr_get_len(a) && !nl_addr_iszero(a) &&
	    !inet_ntop(nl_addr_get_family(a), nl_addr_get_binary_addr(a), out, (socklen_t)size))
		*out = '\0';
	nl_addr_put(a);
}

static void tun_in4(uint32_t a, char *out, size_t size)
{
	*out = '\0';
	if (a && !inet_ntop(AF_INET, &a, out, (socklen_t)size))
		*out = '\0';
}

static void tun_in6(const struct in6_addr *a, char *out, size_t size)
{
	*out = '\0';
	if (!IN6_IS_ADDR_UNSPECIFIED(a) && !inet_ntop(AF_INET6, a, out, (socklen_t)size))
		*out = '\0';
}

/* A tunnel device's endpoints, as the kernel states them (IFLA_INFO_DATA). */
static void take_tunnel(struct iface *ifc, struct rtnl_link *l)
{
	struct tunnel *u = &ifc->tun;
	const char *k = ifc->kind;
	struct nl_addr *a;
	struct in6_addr a6;
	uint32_t v;

	u->id = u->okey = -1;
	if (!strcmp(k, "vxlan")) {
		if (!rtnl_link_vxlan_get_id(l, &v))
			u->id = v;
		if (!rtnl_link_vxlan_get_group(l, (a = NULL, &a)))
			tun_addr(a, u->remote, sizeof(u->remote));
		if (!rtnl_link_vxlan_get_local(l, (a = NULL, &a)))
			tun_addr(a, u->local, sizeof(u->local));
		if (!rtnl_link_vxlan_get_port(l, &v))
			u->port = v;
	} else if (!strcmp(k, "geneve")) {
		if (!rtnl_link_geneve_get_id(l, &v))
			u->id = v;
		if (!rtnl_link_geneve_get_remote(l, (a = NULL, &a)))
			tun_addr(a, u->remote, sizeof(u->remote));
		if (!rtnl_link_geneve_get_port(l, &v))
			u->port = v;
	} else if (!strcmp(k, "ipip")) {
		tun_in4(rtnl_link_ipip_get_local(l), u->local, sizeof(u->local));
		tun_in4(rtnl_link_ipip_get_remote(l), u->remote, sizeof(u->remote));
	} else if (!strcmp(k, "sit")) {
		tun_in4(rtnl_link_sit_get_local(l), u->local, sizeof(u->local));
		tun_in4(rtnl_link_sit_get_remote(l), u->remote, sizeof(u->remote));
	} else if (!strcmp(k, "gre") || !strcmp(k, "gretap")) {
		tun_in4(rtnl_link_ipgre_get_local(l), u->local, sizeof(u->local));
		tun_in4(rtnl_link_ipgre_get_remote(l), u->remote, sizeof(u->remote));
		if ((v = rtnl_link_ipgre_get_ikey(l)))
			u->id = ntohl(v);
		if ((v = rtnl_link_ipgre_get_okey(l)))
			u->okey = ntohl(v);
	} else if (!strcmp(k, "ip6gre") || !strcmp(k, "ip6gretap")) {
		if (!rtnl_link_ip6gre_get_local(l, &a6))
			tun_in6(&a6, u->local, sizeof(u->local));
		if (!rtnl_link_ip6gre_get_remote(l, &a6))
			tun_in6(&a6, u->remote, sizeof(u->remote));
		if (!rtnl_link_ip6gre_get_ikey(l, &v) && v)
			u->id = ntohl(v);
		if (!rtnl_link_ip6gre_get_okey(l, &v) && v)
			u->okey = ntohl(v);
	} else if (!strcmp(k, "ip6tnl")) {
		if (!rtnl_link_ip6_tnl_get_local(l, &a6))
			tun_in6(&a6, u->local, sizeof(u->local));
		if (!rtnl_link_ip6_tnl_get_remote(l, &a6))
			tun_in6(&a6, u->remote, sizeof(u->remote));
	} else {
		return;
	}
	u->set = 1;
}

/* What the parse callbacks need: where the namespace's interfaces are. */
struct dump_ctx {
	struct topo *t;
	size_t ns, first;	/* its interfaces are t->ifs[first..] */
	int port_mode;		/* the link being parsed: its IFLA_BRPORT_MODE, -1 if none */
	size_t ports_unread;	/* bridge ports whose link said no IFLA_BRPORT_MODE */
};

static void take_link(struct nl_object *o, void *arg)
{
	struct dump_ctx *d = arg;
	struct rtnl_link *l = (struct rtnl_link *)o;
	struct iface *ifc = topo_add_iface(d->t, d->ns);
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
	take_tunnel(ifc, l);
	if (d->port_mode >= 0)
		ifc->hairpin = d->port_mode > 0;
	else if (!strcmp(ifc->slave_kind, "bridge"))
		d->ports_unread++;
}

static int cmp_ifindex(const void *pa, const void *pb)
{
	const struct iface *a = pa, *b = pb;

	return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
}

/* The namespace's interface with this ifindex (its slice is sorted by then), or NULL. */
static struct iface *find_ifindex(const struct dump_ctx *d, int ifindex)
{
	size_t lo = d->first, hi = d->t->nifs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->t->ifs[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->t->nifs && d->t->ifs[lo].ifindex == ifindex ? &d->t->ifs[lo] : NULL;
}

static void take_addr(struct nl_object *o, void *arg)
{
	const struct dump_ctx *d = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)o;
	struct nl_addr *local = rtnl_addr_get_local(a);
	int family = rtnl_addr_get_family(a);
	char ip[INET6_ADDRSTRLEN], text[64];
	struct iface *ifc;

	if (!local || (family != AF_INET && family != AF_INET6))
		return;
	if (!inet_ntop(family, nl_addr_get_binary_addr(local), ip, sizeof(ip)))
		return;
	snprintf(text, sizeof(text), "%s/%d", ip, rtnl_addr_get_prefixlen(a));
	ifc = find_ifindex(d, rtnl_addr_get_ifindex(a));
	if (ifc)
		iface_add_addr(ifc, family, rtnl_addr_get_prefixlen(a), text);
}

static void take_port(struct nl_object *o, void *arg)
{
	struct rtnl_link *l = (struct rtnl_link *)o;
	struct iface *ifc;

	if (!rtnl_link_bridge_has_ext_info(l))
		return;
	ifc = find_ifindex(arg, rtnl_link_get_ifindex(l));
	if (ifc)
		ifc->hairpin = !!(rtnl_link_bridge_get_flags(l) & RTNL_BRIDGE_HAIRPIN_MODE);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * item added to the space-separated, sorted, unique list: a new string (the old one freed),
 * or list itself when item is in it already; *n counts the items.
 */
static char *list_add_sorted(char *list, const char *item, unsigned *n)
{
	const char *v[TUN_FDB_MAX + 1];
	size_t k = 0, len = strlen(item) + 1;
	char *copy = list ? xstrdup(list) : NULL, *save = NULL, *out, *o;

	for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, item)) {
			free(copy);
			return list;
		}
		if (k < TUN_FDB_MAX) {
			v[k++] = w;
			len += strlen(w) + 1;
		}
	}
	v[k++] = item;
	sort_n(v, k, sizeof(*v), cmp_str);
	out = o = xmalloc(len);
	for (size_t x = 0; x < k; x++) {
		size_t l = strlen(v[x]);

		if (x)
			*o++ = ' ';
		memcpy(o, v[x], l);
		o += l;
	}
	*o = '\0';
	free(copy);
	free(list);
	(*n)++;
	return out;
}

/*
 * A bridge FDB entry of a vxlan device (an AF_BRIDGE neighbour with NDA_DST): a remote
 * VTEP, added to the device's list once (sorted, at most TUN_FDB_MAX).
 */
static void take_fdb(struct nl_object *o, void *arg)
{
	const struct dump_ctx *d = arg;
	struct rtnl_neigh *n = (struct rtnl_neigh *)o;
	struct nl_addr *dst = rtnl_neigh_get_dst(n);
	struct iface *ifc = find_ifindex(d, rtnl_neigh_get_ifindex(n));
	char ip[INET6_ADDRSTRLEN];

	if (!ifc || strcmp(ifc->kind, "vxlan") || !dst || !nl_addr_get_len(dst) ||
	    (nl_addr_get_family(dst) != AF_INET && nl_addr_get_family(dst) != AF_INET6) ||
	    !inet_ntop(nl_addr_get_family(dst), nl_addr_get_binary_addr(dst), ip, sizeof(ip)))
		return;
	if (ifc->tun.nfdb >= TUN_FDB_MAX)
		return;
	ifc->tun.fdb = list_add_sorted(ifc->tun.fdb, ip, &ifc->tun.nfdb);
}

#define NL_RECV_MAX 65536	/* > the 32 KiB the kernel puts in one dump skb at most */

/*
 * A dump request: each dump with its own header (the family is its first byte in all of
 * them).  Links are asked without their counters (RTEXT_FILTER_SKIP_STATS: IFLA_STATS*,
 * the IPv6 statistics), which nothing here reads and which are most of a link's bytes.
 */
struct dump_req {
	struct nlmsghdr nh;
	union {
		struct {
			struct ifinfomsg ifi;
			struct nlattr mask_attr;
			uint32_t mask;
		} link;
		struct ifaddrmsg ifa;
		struct rtmsg rtm;
	} u;
};

/* The request for a dump of type and family (ifindex: one device's FDB), numbered. */
static void dump_req_init(struct scan_ctx *c, struct dump_req *req, int type, int family,
			  int ifindex)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_type = (uint16_t)type;
	req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nh.nlmsg_seq = ++c->seq;
	if (type == RTM_GETLINK) {
		req->u.link.ifi.ifi_family = (unsigned char)family;
		req->u.link.mask_attr.nla_len = NLA_HDRLEN + sizeof(uint32_t);
		req->u.link.mask_attr.nla_type = IFLA_EXT_MASK;
		req->u.link.mask = RTEXT_FILTER_SKIP_STATS;
		req->nh.nlmsg_len = NLMSG_LENGTH(sizeof(req->u.link));
	} else if (type == RTM_GETADDR) {
		req->u.ifa.ifa_family = (unsigned char)family;
		req->nh.nlmsg_len = NLMSG_LENGTH(sizeof(req->u.ifa));
	} else if (type == RTM_GETNEIGH && ifindex > 0) {
		/*
		 * The FDB of one device: an ifinfomsg naming it (rtnl_fdb_dump() reads one, not
		 * an ndmsg, when the request is of its size).  Unfiltered, the kernel walks a
		 * bridge's whole FDB once per port of it (br_fdb_dump()).
		 */
		req->u.link.ifi.ifi_family = (unsigned char)family;
		req->u.link.ifi.ifi_index = ifindex;
		req->nh.nlmsg_len = NLMSG_LENGTH(sizeof(req->u.link.ifi));
	} else {
		req->u.rtm.rtm_family = (unsigned char)family;
		req->nh.nlmsg_len = NLMSG_LENGTH(sizeof(req->u.rtm));
	}
}

/* Room in c->buf for another receive after its first len bytes. */
static void buf_room(struct scan_ctx *c, size_t len, size_t want)
{
	if (c->buf_cap - len < want) {
		while (c->buf_cap - len < want)
			c->buf_cap = c->buf_cap ? c->buf_cap * 2 : 8 * NL_RECV_MAX;
		c->buf = xrealloc(c->buf, c->buf_cap);
	}
}

/*
 * Send one dump request (type, family) on fd and read the answer whole into c->buf.
 * Returns its length (the messages before NLMSG_DONE), or -1 with errno set; *intr is
 * set when the kernel marked it interrupted (NLM_F_DUMP_INTR: links changed meanwhile).
 */
static long dump_once(struct scan_ctx *c, int fd, int type, int family, int ifindex,
		      int *intr)
{
	struct dump_req req;
	size_t len = 0;

	*intr = 0;
	dump_req_init(c, &req, type, family, ifindex);
	if (send(fd, &req, req.nh.nlmsg_len, 0) != (ssize_t)req.nh.nlmsg_len)
		return -1;
	for (;;) {
		ssize_t n;
		size_t off;

		buf_room(c, len, 2 * NL_RECV_MAX);
		n = rt_recv(fd, c->buf + len, 2 * NL_RECV_MAX);
		if (n < 0)
			return -1;
		for (off = 0; off + sizeof(struct nlmsghdr) <= (size_t)n;) {
			struct nlmsghdr h;

			memcpy(&h, c->buf + len + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)n - off) {
				errno = EPROTO;
				return -1;
			}
			if (h.nlmsg_seq == req.nh.nlmsg_seq) {
				if (h.nlmsg_flags & NLM_F_DUMP_INTR)
					*intr = 1;
				if (h.nlmsg_type == NLMSG_DONE)
					return (long)(len + off);
				if (h.nlmsg_type == NLMSG_ERROR) {
					struct nlmsgerr e = { .error = -EPROTO };

					if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
						memcpy(&e, c->buf + len + off + NLMSG_HDRLEN, sizeof(e));
					errno = e.error < 0 ? -e.error : EPROTO;
					return -1;
				}
			}
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
		len += (size_t)n;
	}
}

/*
 * One whole dump into c->buf, tried again while the kernel says it was interrupted; after
 * four tries the last one is kept as it is, with a warning, as iproute2 does (libnl's own
 * caches restart forever, which never ends while links keep changing).  Pairing is
 * checked from both ends, so a dump that moved under us can leave a pair unresolved,
 * never wrong.  Returns the length, or -1 with errno set.
 */
static long dump_raw(struct scan_ctx *c, size_t ns, int fd, int type, int family, int ifindex,
		     const char *what)
{
	for (int tries = 0;; tries++) {
		int intr;
		long len = dump_once(c, fd, type, family, ifindex, &intr);

		if (len < 0 || !intr)
			return len;
		if (tries == 3) {
			warnx("namespace %llu: its %s dump kept changing: kept as dumped",
			      (unsigned long long)c->t->ns[ns].ino, what);
			return len;
		}
	}
}

/*
 * The offset in buf of the payload of the last attribute of type (and at least size bytes)
 * among those at buf[a..end), or 0 when there is none.  Trusts no length: a malformed
 * attribute ends the walk.
 */
static size_t attr_find(const char *buf, size_t a, size_t end, int type, size_t size)
{
	size_t found = 0;

	while (a + NLA_HDRLEN <= end) {
		struct nlattr at;

		memcpy(&at, buf + a, sizeof(at));
		if (at.nla_len < NLA_HDRLEN || at.nla_len > end - a)
			break;
		if ((at.nla_type & NLA_TYPE_MASK) == type && at.nla_len >= NLA_HDRLEN + size)
			found = a + NLA_HDRLEN;
		a += NLA_ALIGN(at.nla_len);
	}
	return found;
}

/*
 * The bridge port mode (IFLA_BRPORT_MODE: hairpin) in the IFLA_INFO_SLAVE_DATA of the
 * nested IFLA_LINKINFO at msg + a (len bytes): 0 or 1, -1 when it says none.  The kernel
 * fills a bridge port's slave data with the same attributes as the IFLA_PROTINFO of an
 * AF_BRIDGE dump (br_port_fill_attrs()), so the link dump alone tells the hairpin flag.
 */
static int port_mode(const char *msg, size_t a, size_t end)
{
	int bridge = 0, mode = -1;

	while (a + NLA_HDRLEN <= end) {
		struct nlattr at;

		memcpy(&at, msg + a, sizeof(at));
		if (at.nla_len < NLA_HDRLEN || at.nla_len > end - a)
			return -1;
		if ((at.nla_type & NLA_TYPE_MASK) == IFLA_INFO_SLAVE_KIND)
			bridge = at.nla_len == NLA_HDRLEN + sizeof("bridge") &&
				 !memcmp(msg + a + NLA_HDRLEN, "bridge", sizeof("bridge"));
		if ((at.nla_type & NLA_TYPE_MASK) == IFLA_INFO_SLAVE_DATA) {
			uint8_t v;
			size_t at_v = attr_find(msg, a + NLA_HDRLEN, a + at.nla_len,
						IFLA_BRPORT_MODE, sizeof(v));

			if (at_v) {
				memcpy(&v, msg + at_v, sizeof(v));
				mode = v != 0;
			}
		}
		a += NLA_ALIGN(at.nla_len);
	}
	return bridge ? mode : -1;
}

/*
 * Take IFLA_AF_SPEC out of the RTM_NEWLINK message at msg (its length, in its header,
 * shrinks; the bytes after it stay where they were).  It holds each address family's
 * settings of the link (IPv4's and IPv6's devconf: most of a veth's bytes), which take_link()
 * reads nothing of, and which libnl would parse family by family, each lookup of a
 * family's parser under a lock of its own that both dump threads take.  Returns the
 * link's bridge port mode (port_mode()), -1 when it has none.
 */
static int drop_af_spec(char *msg)
{
	struct nlmsghdr h;
	size_t a = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	int mode = -1;

	memcpy(&h, msg, sizeof(h));
	while (a + NLA_HDRLEN <= h.nlmsg_len) {
		struct nlattr at;
		size_t step;

		memcpy(&at, msg + a, sizeof(at));
		if (at.nla_len < NLA_HDRLEN || at.nla_len > h.nlmsg_len - a)
			return -1;	/* malformed: libnl judges it */
		step = (size_t)NLA_ALIGN(at.nla_len);
		if (step > h.nlmsg_len - a)
			step = h.nlmsg_len - a;	/* the last one, unpadded */
		if ((at.nla_type & NLA_TYPE_MASK) == IFLA_LINKINFO)
			mode = port_mode(msg, a + NLA_HDRLEN, a + at.nla_len);
		if ((at.nla_type & NLA_TYPE_MASK) == IFLA_AF_SPEC) {
			memmove(msg + a, msg + a + step, h.nlmsg_len - a - step);
			h.nlmsg_len -= (uint32_t)step;
			memcpy(msg, &h, sizeof(h));
			continue;	/* the attributes after it moved here */
		}
		a += step;
	}
	return mode;
}

static void parse_dump_seq(struct scan_ctx *c, long len, int type, uint32_t seq, int no_af,
			   void (*take)(struct nl_object *, void *), struct dump_ctx *d);

/*
 * Hand each message of the dump in c->buf[0..len) of the given type to libnl's parser,
 * and what it makes to take(obj, d).  A message libnl cannot parse is left out.  With
 * no_af, links go without their IFLA_AF_SPEC (drop_af_spec()), and d->port_mode says
 * each one's bridge port mode.
 */
static void parse_dump(struct scan_ctx *c, long len, int type, int no_af,
		       void (*take)(struct nl_object *, void *), struct dump_ctx *d)
{
	parse_dump_seq(c, len, type, 0, no_af, take, d);
}

/* parse_dump() of the messages numbered seq only (any, when 0). */
static void parse_dump_seq(struct scan_ctx *c, long len, int type, uint32_t seq, int no_af,
			   void (*take)(struct nl_object *, void *), struct dump_ctx *d)
{
	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)len;) {
		struct nlmsghdr h;

		memcpy(&h, c->buf + off, sizeof(h));
		if (seq && h.nlmsg_seq != seq) {
			off += NLMSG_ALIGN(h.nlmsg_len);
			continue;
		}
		d->port_mode = -1;
		if (h.nlmsg_type == type && no_af && h.nlmsg_len >= NLMSG_HDRLEN +
		    NLMSG_ALIGN(sizeof(struct ifinfomsg)) && h.nlmsg_len <= (size_t)len - off)
			d->port_mode = drop_af_spec(c->buf + off);
		if (h.nlmsg_type == type) {
			struct nl_msg *m = nlmsg_convert((struct nlmsghdr *)(void *)(c->buf + off));

			if (!m)
				die("out of memory");
			nlmsg_set_proto(m, NETLINK_ROUTE);
			nl_msg_parse(m, take, d);
			nlmsg_free(m);
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
}

/* An address of a route as text, "" when there is none. */
static void addr_text(struct nl_addr *a, char *out, size_t size)
{
	*out = '\0';
	if (a && nl_addr_get_len(a) &&
	    !inet_ntop(nl_addr_get_family(a), nl_addr_get_binary_addr(a), out, (socklen_t)size))
		*out = '\0';
}

/*
 * A route of the main table.  The IPv6 link-local prefix the kernel adds for every
 * interface (fe80::/64, proto kernel) is left out: one per interface, and never routed.
 */
static void take_route(struct nl_object *o, void *arg)
{
	const struct dump_ctx *d = arg;
	struct rtnl_route *r = (struct rtnl_route *)o;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	int family = rtnl_route_get_family(r), n;
	char ip[INET6_ADDRSTRLEN];
	struct route *x;

	if ((family != AF_INET && family != AF_INET6) || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
	    rtnl_route_get_type(r) == RTN_MULTICAST)
		return;
	addr_text(dst, ip, sizeof(ip));
	if (family == AF_INET6 && !strcmp(ip, "fe80::") && nl_addr_get_prefixlen(dst) == 64 &&
	    rtnl_route_get_protocol(r) == RTPROT_KERNEL)
		return;
	x = topo_add_route(d->t, d->ns);
	x->family = family;
	if (!*ip || !nl_addr_get_prefixlen(dst))
		copy_str(x->dst, sizeof(x->dst), "default");
	else
		snprintf(x->dst, sizeof(x->dst), "%s/%u", ip, nl_addr_get_prefixlen(dst));
	nl_rtntype2str(rtnl_route_get_type(r), x->type, sizeof(x->type));
	x->metric = rtnl_route_get_priority(r);
	n = rtnl_route_get_nnexthops(r);
	for (int k = 0; k < n && x->nnh < ROUTE_NH_MAX; k++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, k);

		if (!nh)
			continue;
		addr_text(rtnl_route_nh_get_gateway(nh), x->nh[x->nnh].gw, sizeof(x->nh[0].gw));
		x->nh[x->nnh++].oif = rtnl_route_nh_get_ifindex(nh);
	}
}

/*
 * Whether the namespace forwards IPv4 and IPv6 (the "all" settings), asked with one
 * RTM_GETNETCONF per family.  Unknown (-1) where the kernel does not say.  With them goes
 * the question of the namespace's nsid for the host's (RTM_GETNSID by fd, as nl_nsid()
 * would ask it later: most veths of a namespace lead to the host), kept in c->host_nsid,
 * and, for a namespace whose veth leads to peer_nsid, the host's nsid for it (below).
 * fwd_init() makes the questions, fwd_take() reads each answer, fwd_end() keeps them.
 */
struct fwd {
	struct {
		struct {
			struct nlmsghdr nh;
			struct netconfmsg ncm;
			char pad[3];
			struct nlattr a;
			int32_t ifindex;
		} conf[2];
		struct nsid_req nsid;
		struct {
			struct nsid_req q;
			struct nlattr a;
			int32_t target;
		} back;
	} req;
	size_t len;		/* of req, as sent */
	int answered, asked;	/* bit k: question k (conf[0], conf[1], nsid, back) */
	int to_host, back_id, peer_nsid;
};

static void fwd_init(struct scan_ctx *c, size_t ns, int peer_nsid, struct fwd *f)
{
	long host = host_ns(c);

	memset(f, 0, sizeof(*f));
	f->asked = 3;
	f->to_host = f->back_id = -1;
	f->peer_nsid = peer_nsid;
	f->len = sizeof(f->req);
	for (int k = 0; k < 2; k++) {
		f->req.conf[k].nh.nlmsg_len = sizeof(f->req.conf[k]);
		f->req.conf[k].nh.nlmsg_type = RTM_GETNETCONF;
		f->req.conf[k].nh.nlmsg_flags = NLM_F_REQUEST;
		f->req.conf[k].nh.nlmsg_seq = ++c->seq;
		f->req.conf[k].ncm.ncm_family = k ? AF_INET6 : AF_INET;
		f->req.conf[k].a.nla_len = NLA_HDRLEN + sizeof(int32_t);
		f->req.conf[k].a.nla_type = NETCONFA_IFINDEX;
		f->req.conf[k].ifindex = NETCONFA_IFINDEX_ALL;
	}
	if (host >= 0 && (size_t)host != ns && peer_nsid >= 0) {
		nsid_req_init(&f->req.nsid, ++c->seq, c->fd[host]);
		nsid_req_init(&f->req.back.q, ++c->seq, c->fd[ns]);
		f->req.back.q.nh.nlmsg_len = sizeof(f->req.back);
		f->req.back.a.nla_len = NLA_HDRLEN + sizeof(int32_t);
		f->req.back.a.nla_type = NETNSA_TARGET_NSID;
		f->req.back.target = peer_nsid;
		c->nsid_asked += 2;
		f->asked = 15;
	} else if (host >= 0 && (size_t)host != ns) {
		nsid_req_init(&f->req.nsid, ++c->seq, c->fd[host]);
		c->nsid_asked++;
		f->asked = 7;
		f->len = offsetof(__typeof__(f->req), back);
	} else {
		f->len = sizeof(f->req.conf);
	}
}

/* The message at buf (len bytes, its header checked): one of f's answers?  Taken if so. */
static void fwd_take(struct netns *n, struct fwd *f, const char *buf, size_t len)
{
	struct nlmsghdr h;
	int k, id, current;

	memcpy(&h, buf, sizeof(h));
	k = h.nlmsg_seq == f->req.conf[0].nh.nlmsg_seq ? 0 :
	    h.nlmsg_seq == f->req.conf[1].nh.nlmsg_seq ? 1 :
	    f->asked >= 7 && h.nlmsg_seq == f->req.nsid.nh.nlmsg_seq ? 2 :
	    f->asked == 15 && h.nlmsg_seq == f->req.back.q.nh.nlmsg_seq ? 3 : -1;
	if (k >= 0)
		f->answered |= 1 << k;
	if (k == 2 && nsid_parse_reply(buf, len, h.nlmsg_seq, &id) > 0)
		f->to_host = id;
	if (k == 3 && nsid_parse_reply_cur(buf, len, h.nlmsg_seq, &id, &current) > 0 && current)
		f->back_id = id;
	if (k >= 0 && k < 2 && h.nlmsg_type == RTM_NEWNETCONF) {
		int32_t v;
		size_t at_v = attr_find(buf, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct netconfmsg)),
					len, NETCONFA_FORWARDING, sizeof(v));

		if (at_v) {
			memcpy(&v, buf + at_v, sizeof(v));
			if (k)
				n->fwd6 = v != 0;
			else
				n->fwd4 = v != 0;
		}
	}
}

/* Every question answered: the nsids kept. */
static void fwd_end(struct scan_ctx *c, size_t ns, const struct fwd *f)
{
	if (f->answered != f->asked)
		return;
	if (f->to_host >= 0)
		c->host_nsid[ns] = f->to_host;
	/*
	 * The fourth answer is the nsid that the namespace this one calls peer_nsid gives
	 * this one: of that namespace's table, as the kernel says by NETNSA_CURRENT_NSID.
	 * That namespace is the host's when this one calls the host's peer_nsid too (an
	 * observer's nsids name one namespace each, and never change while both live): then
	 * it is the host's own nsid for this namespace, what nl_nsid() asks of the host.
	 */
	if (f->asked == 15 && f->to_host >= 0 && f->to_host == f->peer_nsid && f->back_id >= 0)
		c->from_host[ns] = f->back_id;
}

/* fwd's questions alone, in one send (their answers read several at a time). */
static void forwarding(struct scan_ctx *c, size_t ns, int fd, int peer_nsid)
{
	struct fwd f;
	union {
		struct nlmsghdr nh;
		char buf[8192];
	} resp;

	fwd_init(c, ns, peer_nsid, &f);
	if (send(fd, &f.req, f.len, 0) != (ssize_t)f.len)
		return;
	while (f.answered != f.asked) {
		ssize_t got = rt_recv_n(fd, resp.buf, sizeof(resp.buf), 4);

		if (got <= 0)
			return;
		for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)got;) {
			struct nlmsghdr h;

			memcpy(&h, resp.buf + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)got - off)
				return;
			fwd_take(&c->t->ns[ns], &f, resp.buf + off, h.nlmsg_len);
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
	fwd_end(c, ns, &f);
}

/*
 * One generic netlink request (cmd of family, version 1, flags, one attribute of type
 * attr with val when len > 0) on fd; its seq, or 0 when it could not be sent.
 */
static uint32_t genl_send(struct scan_ctx *c, int fd, uint16_t family, uint8_t cmd,
			  uint16_t flags, uint16_t attr, const void *val, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr g;
		char a[NLA_HDRLEN + 32];
	} req;
	struct nlattr at = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = attr };

	if (len > sizeof(req.a) - NLA_HDRLEN)
		return 0;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(NLA_HDRLEN + len));
	req.nh.nlmsg_type = family;
	req.nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req.nh.nlmsg_seq = ++c->seq;
	req.g.cmd = cmd;
	req.g.version = 1;
	memcpy(req.a, &at, sizeof(at));
	memcpy(req.a + NLA_HDRLEN, val, len);
	return send(fd, &req, req.nh.nlmsg_len, 0) == (ssize_t)req.nh.nlmsg_len ? req.nh.nlmsg_seq : 0;
}

/*
 * WireGuard devices of namespace ns (interfaces first..end): listen port, public key,
 * peers, asked of the "wireguard" generic netlink family only when there is such a
 * device.  A failure costs those facts only (one warning), the device stays unpaired.
 */
static void wireguard(struct scan_ctx *c, size_t ns, size_t first, size_t end)
{
	struct topo *t = c->t;
	size_t i, cap = 128u << 10;
	int fd = -1, family = -1, rc = 0;
	char *buf = NULL;

	for (i = first; i < end && strcmp(t->ifs[i].kind, "wireguard"); i++)
		;
	if (i == end)
		return;
	fd = socket_proto_in(c, ns, NETLINK_GENERIC);
	if (fd < 0)
		return;
	buf = xmalloc(cap);
	{
		uint32_t seq = genl_send(c, fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
					 CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME, sizeof(WG_GENL_NAME));
		ssize_t got = seq ? rt_recv(fd, buf, cap) : -1;

		rc = got < 0 ? -errno : genl_family_parse(buf, (size_t)got, seq, &family);
	}
	for (; !rc && i < end; i++) {
		struct iface *f = &t->ifs[i];
		uint32_t idx = (uint32_t)f->ifindex, seq;
		int done = 0;

		if (strcmp(f->kind, "wireguard"))
			continue;
		f->tun.set = 1;
		f->tun.id = f->tun.okey = -1;
		seq = genl_send(c, fd, (uint16_t)family, WG_CMD_GET_DEVICE, NLM_F_DUMP,
				WGDEVICE_A_IFINDEX, &idx, sizeof(idx));
		if (!seq)
			rc = -EIO;
		while (!rc && !done) {
			ssize_t got = rt_recv(fd, buf, cap);

			rc = got < 0 ? -errno : wg_parse(buf, (size_t)got, seq, &f->tun, &done);
		}
	}
	if (rc)
		warnx("namespace %llu: wireguard devices not read: %s",
		      (unsigned long long)t->ns[ns].ino, strerror(-rc));
	free(buf);
	close(fd);
}

/*
 * The address and route dumps and forwarding()'s questions of namespace ns, all in one
 * send, their answers read together, several datagrams per recvmmsg().  The kernel runs
 * each request of a send in turn, and a dump that fits its first message buffer (any
 * namespace but a big one) is over before the next request is read; one that is not
 * makes the next dump fail (EBUSY).  Each dump is asked of IPv4 and of IPv6 apart: an
 * AF_UNSPEC dump (rtnl_dump_all()) runs under the RTNL lock, which every other process
 * changing links or namespaces holds too, while each family's own dump takes no lock; it
 * gives the same messages (IPv4's before IPv6's, as rtnl_dump_all() sends them; the other
 * families' are of no use here).  Returns 0 when the address dumps came whole (then the
 * rest is taken too, and route dumps that did not come are asked again alone), or -1
 * with nothing taken, for the caller to ask it all one by one.
 */
static int addrs_routes(struct scan_ctx *c, size_t ns, int fd, struct dump_ctx *d,
			int peer_nsid)
{
	static const int types[4] = { RTM_GETADDR, RTM_GETADDR, RTM_GETROUTE, RTM_GETROUTE };
	static const int families[4] = { AF_INET, AF_INET6, AF_INET, AF_INET6 };
	struct dump_req q[4];
	struct fwd f;
	char req[4 * sizeof(struct dump_req) + sizeof(f.req)];
	size_t n = 0, len = 0;
	int state[4] = { 0 }, intr[4] = { 0 };	/* 1 whole, -1 not */

	for (int k = 0; k < 4; k++) {
		dump_req_init(c, &q[k], types[k], families[k], 0);
		memcpy(req + n, &q[k], q[k].nh.nlmsg_len);
		n += NLMSG_ALIGN(q[k].nh.nlmsg_len);
	}
	fwd_init(c, ns, peer_nsid, &f);
	memcpy(req + n, &f.req, f.len);
	n += f.len;
	if (send(fd, req, n, 0) != (ssize_t)n)
		return -1;
	while (!state[0] || !state[1] || !state[2] || !state[3] || f.answered != f.asked) {
		ssize_t got;

		buf_room(c, len, 4 * NL_RECV_MAX);
		got = rt_recv_n(fd, c->buf + len, 4 * NL_RECV_MAX, 4);
		if (got < 0)
			break;
		for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)got;) {
			char *m = c->buf + len + off;
			struct nlmsghdr h;
			int k;

			memcpy(&h, m, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)got - off) {
				got = -1;
				break;
			}
			for (k = 0; k < 4 && h.nlmsg_seq != q[k].nh.nlmsg_seq; k++)
				;
			if (k == 4)
				fwd_take(&c->t->ns[ns], &f, m, h.nlmsg_len);
			else if (h.nlmsg_flags & NLM_F_DUMP_INTR)
				intr[k] = 1;
			if (k < 4 && h.nlmsg_type == NLMSG_DONE)
				state[k] = intr[k] ? -1 : 1;
			else if (k < 4 && h.nlmsg_type == NLMSG_ERROR)
				state[k] = -1;	/* EBUSY, or worse: asked again alone */
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
		if (got < 0)
			break;
		len += (size_t)got;
	}
	if (state[0] != 1 || state[1] != 1)
		return -1;
	for (int k = 0; k < 2; k++)
		parse_dump_seq(c, (long)len, RTM_NEWADDR, q[k].nh.nlmsg_seq, 0, take_addr, d);
	for (int k = 2; k < 4 && state[2] == 1 && state[3] == 1; k++)
		parse_dump_seq(c, (long)len, RTM_NEWROUTE, q[k].nh.nlmsg_seq, 0, take_route, d);
	fwd_end(c, ns, &f);
	if (state[2] != 1 || state[3] != 1) {
		long rl = dump_raw(c, ns, fd, RTM_GETROUTE, AF_UNSPEC, 0, "route");

		if (rl >= 0)
			parse_dump(c, rl, RTM_NEWROUTE, 0, take_route, d);
	}
	return 0;
}

/* Dump one namespace's links (and addresses); errors are kept in ns->dump_error. */
int nl_dump_ns(struct scan_ctx *c, size_t ns, int want_addrs)
{
	struct topo *t = c->t;
	struct dump_ctx d = { .t = t, .ns = ns, .first = t->nifs };
	long len;
	size_t i;
	int fd;

	fd = socket_in(c, ns);
	if (fd < 0) {
		t->ns[ns].dump_error = errno ? errno : EIO;
		return -1;
	}
	c->nl[ns] = fd;	/* socket_in() checked that ns is held: c->nl has room */
	len = dump_raw(c, ns, fd, RTM_GETLINK, AF_UNSPEC, 0, "link");
	if (len < 0)
		goto fail;
	parse_dump(c, len, RTM_NEWLINK, 1, take_link, &d);
	sort_n(t->ifs + d.first, t->nifs - d.first, sizeof(*t->ifs), cmp_ifindex);
	/*
	 * Bridge port flags (hairpin mode) came with the links (IFLA_INFO_SLAVE_DATA); a
	 * kernel that left them out there gives them in an AF_BRIDGE dump, asked only then.
	 * A failure here loses the flags, nothing else.
	 */
	if (d.ports_unread) {
		len = dump_raw(c, ns, fd, RTM_GETLINK, AF_BRIDGE, 0, "bridge port");
		if (len >= 0)
			parse_dump(c, len, RTM_NEWLINK, 0, take_port, &d);
	}
	/* a vxlan's remote VTEPs: its bridge FDB, asked of each vxlan */
	for (i = d.first; i < t->nifs; i++) {
		if (strcmp(t->ifs[i].kind, "vxlan"))
			continue;
		len = dump_raw(c, ns, fd, RTM_GETNEIGH, AF_BRIDGE, t->ifs[i].ifindex, "bridge FDB");
		if (len >= 0)
			parse_dump(c, len, RTM_NEWNEIGH, 0, take_fdb, &d);
	}
	wireguard(c, ns, d.first, t->nifs);	/* only where there is a wireguard link */
	if (!want_addrs)
		return 0;
	/* a veth whose peer is elsewhere: perhaps in the host's (forwarding() asks) */
	for (i = d.first; i < t->nifs && !(!strcmp(t->ifs[i].kind, "veth") &&
					    t->ifs[i].has_link_netnsid && t->ifs[i].link_netnsid >= 0); i++)
		;
	if (!addrs_routes(c, ns, fd, &d, i < t->nifs ? t->ifs[i].link_netnsid : -1))
		return 0;
	/* the same one by one */
	len = dump_raw(c, ns, fd, RTM_GETADDR, AF_UNSPEC, 0, "address");
	if (len < 0)
		goto fail;
	parse_dump(c, len, RTM_NEWADDR, 0, take_addr, &d);
	/* routes and forwarding: a failure here loses those, nothing else */
	len = dump_raw(c, ns, fd, RTM_GETROUTE, AF_UNSPEC, 0, "route");
	if (len >= 0)
		parse_dump(c, len, RTM_NEWROUTE, 0, take_route, &d);
	forwarding(c, ns, fd, i < t->nifs ? t->ifs[i].link_netnsid : -1);
	return 0;
fail:
	t->ns[ns].dump_error = errno ? errno : EIO;
	warnx("dump of namespace %llu failed: %s", (unsigned long long)t->ns[ns].ino,
	      strerror(t->ns[ns].dump_error));
	return -1;
}

void nl_close_all(struct scan_ctx *c)
{
	for (size_t i = 0; i < c->alloc; i++)
		if (c->nl[i] >= 0) {
			close(c->nl[i]);
			c->nl[i] = -1;
		}
}
