/*
 * audit.c implements the audit rules of 'vethmap report': pure logic over one snapshot
 * (struct topo), no I/O.  Each rule adds findings with a stable rule id (documented in
 * reports/RULES.md), a severity, the objects concerned, a one-line message and the
 * evidence: the attribute values that triggered it.
 *
 * Objects are named as everywhere else in vethmap: an interface "NETNS:IFNAME" with the
 * namespace's label (topo_ns_label), a namespace "netns:INODE", a container
 * "container:NAME".  Evidence is "attr=value", prefixed with the object when a finding
 * concerns several.  Findings come out in rule order, then in snapshot order.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "vethmap.h"


const char *const severity_names[] = { "info", "warning", "error" };

struct audit {
	const struct topo *t;
	struct findings *out;
	struct intv *ports;	/* per interface: the ports of the bridge (EDGE_BRIDGE) */
	size_t *nifs;		/* per namespace: its interfaces but lo */
	size_t *nctrs;		/* per namespace: its containers not on the host network */
	const char **label;	/* per namespace: topo_ns_label() */
	char (*lbufs)[32];
	char lbuf[2][PATH_MAX + 200];	/* two labels at a time, for messages */
};

static struct finding *add(struct audit *a, const char *rule, enum severity sev,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct finding *add(struct audit *a, const char *rule, enum severity sev,
			   const char *fmt, ...)
{
	struct findings *f = a->out;
	struct finding *x;
	va_list ap;

	f->v = grow(f->v, &f->alloc, f->n + 1, sizeof(*f->v));
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->rule = rule;
	x->sev = sev;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
	return x;
}

static void addf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct strv *sv, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strv_add(sv, buf);
}

/* "NETNS:IFNAME" of interface i into a->lbuf[slot]. */
static const char *ifname(struct audit *a, size_t i, int slot)
{
	const struct iface *x = &a->t->ifs[i];

	if (topo_host_of(a->t, x->ns))	/* a cluster's: with its host */
		topo_end_label(a->t, i, a->lbuf[slot], sizeof(a->lbuf[slot]));
	else
		snprintf(a->lbuf[slot], sizeof(a->lbuf[slot]), "%s:%s", a->label[x->ns], x->name);
	return a->lbuf[slot];
}

static void obj_iface(struct audit *a, struct finding *f, size_t i)
{
	strv_add(&f->objects, ifname(a, i, 1));
}

static int is_veth(const struct iface *x)
{
	return !strcmp(x->kind, "veth");
}

static int is_bridge(const struct iface *x)
{
	return !strcmp(x->kind, "bridge");
}

static const char *yesno(int b)
{
	return b ? "true" : "false";
}

static void ev_updown(struct audit *a, struct finding *f, size_t i)
{
	const struct iface *x = &a->t->ifs[i];

	addf(&f->evidence, "%s up=%s oper=%s", ifname(a, i, 1), yesno(iface_up(x)),
	     x->oper);
}

/* veth-peer-unresolved: a veth end whose peer could not be proven. */
static void rule_veth_unresolved(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *x = &t->ifs[i];
		struct finding *f;
		int reasons = 0;

		if (!is_veth(x) || x->peer >= 0)
			continue;
		f = add(a, "veth-peer-unresolved", SEV_ERROR, "veth %s: its peer was not found",
			ifname(a, i, 0));
		obj_iface(a, f, i);
		addf(&f->evidence, "link=%d", x->link);
		if (x->has_link_netnsid)
			addf(&f->evidence, "link_netnsid=%d", x->link_netnsid);
		for (size_t u = 0; u < t->nunres; u++)
			if (t->unres[u].ifc == i) {
				addf(&f->evidence, "reason=%s", t->unres[u].reason);
				reasons++;
			}
		if (!reasons)
			strv_add(&f->evidence, "reason=no veth edge in the snapshot");
	}
}

/* link-unresolved: a master or lower device that could not be found. */
static void rule_link_unresolved(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t u = 0; u < t->nunres; u++) {
		size_t i = t->unres[u].ifc;
		const struct iface *x = &t->ifs[i];
		struct finding *f;

		if (is_veth(x) && x->peer < 0)
			continue;	/* veth-peer-unresolved tells it, with every reason */
		if (t->nhosts && x->tun.set && strchr(t->unres[u].reason, ':'))
			continue;	/* a cluster's tunnel end: tunnel-unpaired tells it */
		f = add(a, "link-unresolved", SEV_WARNING, "%s: %s", ifname(a, i, 0),
			t->unres[u].reason);
		obj_iface(a, f, i);
		addf(&f->evidence, "kind=%s", x->kind);
		if (x->master)
			addf(&f->evidence, "master=%d", x->master);
		if (x->link)
			addf(&f->evidence, "link=%d", x->link);
		addf(&f->evidence, "reason=%s", t->unres[u].reason);
	}
}

/* veth-mtu-mismatch and veth-down-peer-up: both ends of each veth edge. */
static void rule_veth_pairs(struct audit *a, int mtu)
{
	const struct topo *t = a->t;

	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *d = &t->edges[e];
		const struct iface *x = &t->ifs[d->a], *y = &t->ifs[d->b];
		struct finding *f;

		if (d->type != EDGE_VETH)
			continue;
		if (mtu) {
			if (x->mtu == y->mtu)
				continue;
			f = add(a, "veth-mtu-mismatch", SEV_WARNING,
				"veth %s has MTU %u but its peer %s has MTU %u", ifname(a, d->a, 0),
				x->mtu, ifname(a, d->b, 1), y->mtu);
			obj_iface(a, f, d->a);
			obj_iface(a, f, d->b);
			addf(&f->evidence, "%s mtu=%u", ifname(a, d->a, 1), x->mtu);
			addf(&f->evidence, "%s mtu=%u", ifname(a, d->b, 1), y->mtu);
			continue;
		}
		for (int k = 0; k < 2; k++) {
			size_t down = k ? d->b : d->a, up = k ? d->a : d->b;

			if (iface_up(&t->ifs[down]) || !iface_up(&t->ifs[up]))
				continue;
			f = add(a, "veth-down-peer-up", SEV_WARNING,
				"veth %s is down while its peer %s is up", ifname(a, down, 0),
				ifname(a, up, 1));
			obj_iface(a, f, down);
			obj_iface(a, f, up);
			ev_updown(a, f, down);
			ev_updown(a, f, up);
		}
	}
}

/* bridge-mtu-mismatch: the ports of one bridge do not agree on the MTU. */
static void rule_bridge_mtu(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t b = 0; b < t->nifs; b++) {
		const struct intv *p = &a->ports[b];
		unsigned lo = 0, hi = 0;
		struct finding *f;

		for (size_t k = 0; k < p->n; k++) {
			unsigned m = t->ifs[p->v[k]].mtu;

			if (!k || m < lo)
				lo = m;
			if (!k || m > hi)
				hi = m;
		}
		if (lo == hi)
			continue;
		f = add(a, "bridge-mtu-mismatch", SEV_WARNING,
			"bridge %s: its ports have different MTUs (%u to %u)", ifname(a, b, 0), lo, hi);
		obj_iface(a, f, b);
		for (size_t k = 0; k < p->n; k++)
			obj_iface(a, f, (size_t)p->v[k]);
		addf(&f->evidence, "%s mtu=%u", ifname(a, b, 1), t->ifs[b].mtu);
		for (size_t k = 0; k < p->n; k++)
			addf(&f->evidence, "%s mtu=%u", ifname(a, (size_t)p->v[k], 1),
			     t->ifs[p->v[k]].mtu);
	}
}

/*
 * promisc-not-bridged: promiscuous outside a bridge port.  IFF_PROMISC in the flags is
 * the administrator's setting (ip link set promisc on): warning.  A promiscuity count
 * without it is held by a packet socket (a capture in progress): info.
 */
static void rule_promisc(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *x = &t->ifs[i];
		int flag = !!(x->flags & IFF_PROMISC_);
		struct finding *f;

		if ((!flag && !x->promiscuity) || x->master || iface_is_loopback(x))
			continue;
		f = add(a, "promisc-not-bridged", flag ? SEV_WARNING : SEV_INFO, flag ?
			"%s is in promiscuous mode but is no bridge port" :
			"%s is held promiscuous (a capture?) but is no bridge port", ifname(a, i, 0));
		obj_iface(a, f, i);
		addf(&f->evidence, "flags.promisc=%s", yesno(flag));
		addf(&f->evidence, "promiscuity=%u", x->promiscuity);
		strv_add(&f->evidence, "master=none");
	}
}

/* host-veth-unattached: host side of a veth (peer elsewhere) on no bridge or master. */
static void rule_host_veth(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t i = 0; i < t->nifs; i++) {
		const struct iface *x = &t->ifs[i];
		struct finding *f;

		if (!is_veth(x) || x->peer < 0 || !t->ns[x->ns].is_host || x->master ||
		    t->ifs[x->peer].ns == x->ns)
			continue;
		f = add(a, "host-veth-unattached", SEV_WARNING,
			"host-side veth %s (peer %s) is attached to no bridge or master",
			ifname(a, i, 0), ifname(a, (size_t)x->peer, 1));
		obj_iface(a, f, i);
		obj_iface(a, f, (size_t)x->peer);
		strv_add(&f->evidence, "master=none");
		addf(&f->evidence, "peer=%s", ifname(a, (size_t)x->peer, 1));
		for (size_t k = 0; k < x->naddrs; k++)
			addf(&f->evidence, "addr=%s", x->addrs[k].text);
	}
}

/* bridge-no-ports */
static void rule_bridge_empty(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t i = 0; i < t->nifs; i++) {
		struct finding *f;

		if (!is_bridge(&t->ifs[i]) || a->ports[i].n)
			continue;
		f = add(a, "bridge-no-ports", SEV_INFO, "bridge %s has no ports", ifname(a, i, 0));
		obj_iface(a, f, i);
		strv_add(&f->evidence, "ports=0");
	}
}

/* bridge-hairpin */
static void rule_hairpin(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *d = &t->edges[e];
		struct finding *f;

		if (d->type != EDGE_BRIDGE || !t->ifs[d->a].hairpin)
			continue;
		f = add(a, "bridge-hairpin", SEV_INFO, "bridge port %s of %s has hairpin mode on",
			ifname(a, d->a, 0), t->ifs[d->b].name);
		obj_iface(a, f, d->a);
		obj_iface(a, f, d->b);
		strv_add(&f->evidence, "hairpin=true");
	}
}

/* netns-leaked: no process in it, held only by a bind mount, an open fd or a socket. */
static void rule_netns_leaked(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t n = 0; n < t->nns; n++) {
		const struct netns *ns = &t->ns[n];
		char via[64];
		struct finding *f;

		if (ns->is_host || ns->pids.n || (ns->via & (VIA_PROC | VIA_TASK | VIA_SELF)))
			continue;
		topo_via_text(ns->via, ",", via, sizeof(via));
		f = add(a, "netns-leaked", SEV_WARNING,
			"namespace %s has no process: only %s keeps it alive",
			a->label[n],
			ns->via & VIA_MOUNT ? (ns->via & VIA_FD ? "a bind mount and an open fd" :
					       "a bind mount") :
			ns->via & VIA_SOCKET ? "another namespace's socket or tun file" : "an open fd");
		addf(&f->objects, "netns:%llu", (unsigned long long)ns->ino);
		addf(&f->evidence, "via=%s", *via ? via : "none");
		strv_add(&f->evidence, "pids=0");
		for (size_t k = 0; k < ns->names.n; k++)
			addf(&f->evidence, "name=%s", ns->names.v[k]);
		addf(&f->evidence, "interfaces=%zu", a->nifs[n]);
	}
}

/* netns-dump-failed: a namespace whose interfaces are unknown because its dump failed. */
static void rule_netns_dump_failed(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t n = 0; n < t->nns; n++) {
		const struct netns *ns = &t->ns[n];
		struct finding *f;

		if (!ns->dump_error)
			continue;
		f = add(a, "netns-dump-failed", SEV_ERROR,
			"the interfaces of namespace %s are unknown: its dump failed (%s)",
			a->label[n], strerror(ns->dump_error));
		addf(&f->objects, "netns:%llu", (unsigned long long)ns->ino);
		addf(&f->evidence, "errno=%d", ns->dump_error);
		addf(&f->evidence, "error=%s", strerror(ns->dump_error));
	}
}

/*
 * netns-name-foreign: a name that looks like an ip netns name (/run/netns/NAME) but was
 * seen only in another mount namespace: anyone can make one, to pass for NAME.
 */
static void rule_netns_name_foreign(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t n = 0; n < t->nns; n++) {
		const struct netns *ns = &t->ns[n];

		for (size_t k = 0; k < ns->nmounts; k++) {
			const struct nsmount *m = &ns->mounts[k];
			struct finding *f;

			if (m->host || (strncmp(m->path, "/run/netns/", 11) &&
					strncmp(m->path, "/var/run/netns/", 15)))
				continue;
			f = add(a, "netns-name-foreign", SEV_WARNING,
				"namespace %s is mounted at %s in the mount namespace of pid %d, not "
				"the host's: not an ip netns name", a->label[n],
				m->path, m->pid);
			addf(&f->objects, "netns:%llu", (unsigned long long)ns->ino);
			addf(&f->evidence, "path=%s", m->path);
			addf(&f->evidence, "mntns=%llu", (unsigned long long)m->mntns);
			addf(&f->evidence, "pid=%d", m->pid);
		}
	}
}

/* scan-incomplete: the snapshot is not the whole host. */
static void rule_scan_incomplete(struct audit *a)
{
	const struct topo *t = a->t;
	struct finding *f;

	if (!topo_incomplete(t))
		return;
	f = add(a, "scan-incomplete", SEV_ERROR,
		"the scan is incomplete: %lu namespaces seen but not held (%s)", t->missed,
		t->incomplete_reason[0] ? t->incomplete_reason : "lookup deadline");
	addf(&f->objects, "scan:%lld", t->scan_id);
	addf(&f->evidence, "missed=%lu", t->missed);
	addf(&f->evidence, "reason=%s", t->incomplete_reason[0] ? t->incomplete_reason :
	     "lookup deadline");
	addf(&f->evidence, "lookup_timeouts=%lu", t->lookup_timeouts);
	addf(&f->evidence, "mount_lines_dropped=%lu", t->mount_lines_dropped);
}

/*
 * A bridge domain: the bridge, its ports and the veth peers of its ports, the interfaces
 * that talk over it.  Each member is one key (a MAC or an address) of one interface.
 */
struct member {
	const char *key;
	size_t ifc;
	int role;		/* 0 bridge, 1 port, 2 peer of a port */
};

static int cmp_member(const void *pa, const void *pb)
{
	const struct member *x = pa, *y = pb;
	int c = strcasecmp(x->key, y->key);

	if (c)
		return c;
	return (x->ifc > y->ifc) - (x->ifc < y->ifc);
}

static int mac_ignored(const char *mac)
{
	if (!*mac)
		return 1;
	for (const char *p = mac; *p; p++)
		if (*p != '0' && *p != ':')
			return 0;
	return 1;
}

/* The address without its prefix, into buf; NULL when ignored (IPv6 link-local). */
static const char *addr_key(const struct addr *ad, char *buf, size_t size)
{
	unsigned char b[16];
	char *slash;

	copy_str(buf, size, ad->text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!*buf)
		return NULL;
	if (strchr(buf, ':') && inet_pton(AF_INET6, buf, b) == 1 && b[0] == 0xfe &&
	    (b[1] & 0xc0) == 0x80)
		return NULL;
	return buf;
}

static void domain_add(struct member **m, size_t *n, size_t *alloc, const char *key,
		       size_t ifc, int role)
{
	*m = grow(*m, alloc, *n + 1, sizeof(**m));
	(*m)[*n].key = key;
	(*m)[*n].ifc = ifc;
	(*m)[*n].role = role;
	(*n)++;
}

/*
 * The members of bridge b's domain, keyed by MAC (ip = 0) or by address (ip = 1); the
 * address keys are written into keys[] (one slot of 64 bytes per address).
 */
static size_t domain(struct audit *a, size_t b, int ip, struct member **m, size_t *alloc,
		     char (**keys)[64], size_t *kalloc)
{
	const struct topo *t = a->t;
	const struct intv *p = &a->ports[b];
	size_t n = 0, nk = 0;

	/* at most 3 per port plus the bridge, each with its addresses: size keys first */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k <= 2 * p->n; k++) {
			size_t i;
			int role;

			if (!k) {
				i = b, role = 0;
			} else if (k <= p->n) {
				i = (size_t)p->v[k - 1], role = 1;
			} else {
				i = (size_t)p->v[k - 1 - p->n], role = 2;
				if (!is_veth(&t->ifs[i]) || t->ifs[i].peer < 0)
					continue;
				i = (size_t)t->ifs[i].peer;
			}
			if (iface_is_loopback(&t->ifs[i]))
				continue;
			if (!ip) {
				if (pass && !mac_ignored(t->ifs[i].mac))
					domain_add(m, &n, alloc, t->ifs[i].mac, i, role);
				continue;
			}
			for (size_t j = 0; j < t->ifs[i].naddrs; j++) {
				if (!pass) {
					nk++;
					continue;
				}
				if (addr_key(&t->ifs[i].addrs[j], (*keys)[nk], sizeof((*keys)[nk])))
					domain_add(m, &n, alloc, (*keys)[nk], i, role);
				nk++;
			}
		}
		if (!pass && ip) {
			*keys = grow(*keys, kalloc, nk ? nk : 1, sizeof(**keys));
			nk = 0;
		}
	}
	sort_n(*m, n, sizeof(**m), cmp_member);
	return n;
}

/* mac-duplicate-in-domain and ip-duplicate-in-domain */
static void rule_duplicates(struct audit *a, int ip)
{
	const struct topo *t = a->t;
	struct member *m = NULL;
	char (*keys)[64] = NULL;
	size_t alloc = 0, kalloc = 0;

	for (size_t b = 0; b < t->nifs; b++) {
		size_t n;

		if (!is_bridge(&t->ifs[b]))
			continue;
		n = domain(a, b, ip, &m, &alloc, &keys, &kalloc);
		for (size_t s = 0, e; s < n; s = e) {
			size_t distinct = 0, ports = 0;
			struct finding *f;

			for (e = s; e < n && !strcasecmp(m[e].key, m[s].key); e++) {
				distinct += e == s || m[e].ifc != m[e - 1].ifc;
				ports += m[e].role == 1;
			}
			/* a bridge takes the lowest MAC of its ports unless one was set */
			if (!ip && ports)
				for (size_t k = s; k < e; k++)
					if (m[k].role == 0)
						distinct--;
			if (distinct < 2)
				continue;
			f = add(a, ip ? "ip-duplicate-in-domain" : "mac-duplicate-in-domain",
				SEV_ERROR, "%s %s is used by %zu interfaces in the domain of bridge %s",
				ip ? "address" : "MAC", m[s].key, distinct, ifname(a, b, 0));
			for (size_t k = s; k < e; k++) {
				if ((!ip && ports && m[k].role == 0) ||
				    (k > s && m[k].ifc == m[k - 1].ifc))
					continue;
				obj_iface(a, f, m[k].ifc);
				addf(&f->evidence, "%s %s=%s", ifname(a, m[k].ifc, 1),
				     ip ? "addr" : "mac", m[k].key);
			}
			addf(&f->evidence, "bridge=%s", ifname(a, b, 1));
		}
	}
	free(m);
	free(keys);
}

static const char *ctr_name(const struct container *c)
{
	return *c->name ? c->name : c->id;
}

/* container-host-network */
static void rule_host_net(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];
		struct finding *f;

		if (!c->host_net)
			continue;
		f = add(a, "container-host-network", SEV_INFO,
			"container %s shares the host's network namespace", ctr_name(c));
		addf(&f->objects, "container:%s", ctr_name(c));
		addf(&f->evidence, "engine=%s", c->engine);
		strv_add(&f->evidence, "host_network=true");
		if (*c->netmode)
			addf(&f->evidence, "network_mode=%s", c->netmode);
	}
}

/* netns-shared: several containers in one namespace (not the host's). */
static void rule_netns_shared(struct audit *a)
{
	const struct topo *t = a->t;

	for (size_t n = 0; n < t->nns; n++) {
		size_t count = a->nctrs[n];
		struct finding *f;

		if (t->ns[n].is_host || count < 2)
			continue;
		f = add(a, "netns-shared", SEV_INFO, "%zu containers share namespace %s", count,
			a->label[n]);
		addf(&f->objects, "netns:%llu", (unsigned long long)t->ns[n].ino);
		for (size_t i = 0; i < t->nctrs; i++) {
			const struct container *c = &t->ctrs[i];

			if (c->ns != (long)n || c->host_net)
				continue;
			addf(&f->objects, "container:%s", ctr_name(c));
			addf(&f->evidence, "container:%s engine=%s sandbox=%s%s%s", ctr_name(c),
			     c->engine, yesno(c->sandbox), *c->netmode ? " network_mode=" : "",
			     c->netmode);
		}
	}
}

/* The lower (underlay) device of interface i, or -1. */
static long lower_of(const struct topo *t, size_t i)
{
	for (size_t e = 0; e < t->nedges; e++)
		if (t->edges[e].type == EDGE_LOWER && t->edges[e].a == i)
			return (long)t->edges[e].b;
	return -1;
}

/*
 * A cluster's tunnels: tunnel-unpaired (an end xpair.c could not pair, with its reason),
 * tunnel-vni-mismatch (two devices of two hosts that point at each other with different
 * VNIs or keys), tunnel-mtu-mismatch (the ends of a paired tunnel differ), tunnel-mtu-
 * underlay (its underlay cannot carry the overlay's MTU plus the encapsulation).
 */
static void rule_tunnels(struct audit *a)
{
	const struct topo *t = a->t;

	if (!t->nhosts)
		return;
	for (size_t u = 0; u < t->nunres; u++) {
		size_t i = t->unres[u].ifc;
		struct finding *f;

		if (!t->ifs[i].tun.set || !strchr(t->unres[u].reason, ':'))
			continue;
		f = add(a, "tunnel-unpaired", SEV_WARNING, "%s %s: no partner: %s", t->ifs[i].kind,
			ifname(a, i, 0), t->unres[u].reason);
		obj_iface(a, f, i);
		addf(&f->evidence, "host=%s", topo_host_of(t, t->ifs[i].ns));
		addf(&f->evidence, "reason=%s", t->unres[u].reason);
	}
	for (size_t i = 0; i < t->nifs; i++)
		for (size_t j = i + 1; j < t->nifs; j++) {
			const struct iface *x = &t->ifs[i], *y = &t->ifs[j];
			struct finding *f;

			if (!x->tun.set || !y->tun.set || strcmp(x->kind, y->kind) ||
			    t->ns[x->ns].host == t->ns[y->ns].host || !xpair_point_at(x, y) ||
			    (x->tun.id == y->tun.id && x->tun.port == y->tun.port))
				continue;
			f = add(a, "tunnel-vni-mismatch", SEV_ERROR, "%s %s and %s point at each other "
				"but disagree: id %lld and %lld, port %u and %u", x->kind,
				ifname(a, i, 0), ifname(a, j, 1), x->tun.id, y->tun.id, x->tun.port,
				y->tun.port);
			obj_iface(a, f, i);
			obj_iface(a, f, j);
			addf(&f->evidence, "id=%lld,%lld", x->tun.id, y->tun.id);
		}
	for (size_t e = 0; e < t->nxedges; e++) {
		size_t end[2] = { t->xedges[e].a, t->xedges[e].b };
		struct finding *f;

		if (t->ifs[end[0]].mtu != t->ifs[end[1]].mtu) {
			f = add(a, "tunnel-mtu-mismatch", SEV_WARNING, "tunnel %s and %s: MTU %u and %u",
				ifname(a, end[0], 0), ifname(a, end[1], 1), t->ifs[end[0]].mtu,
				t->ifs[end[1]].mtu);
			obj_iface(a, f, end[0]);
			obj_iface(a, f, end[1]);
		}
		for (int k = 0; k < 2; k++) {
			const struct iface *x = &t->ifs[end[k]];
			long low = lower_of(t, end[k]);
			unsigned need = x->mtu + tunnel_overhead(x->kind, !!strchr(x->tun.local, ':'));

			if (low < 0 || !tunnel_overhead(x->kind, 0) || t->ifs[low].mtu >= need)
				continue;
			f = add(a, "tunnel-mtu-underlay", SEV_WARNING, "tunnel %s (MTU %u) over %s "
				"(MTU %u): the underlay needs %u", ifname(a, end[k], 0), x->mtu,
				ifname(a, (size_t)low, 1), t->ifs[low].mtu, need);
			obj_iface(a, f, end[k]);
			addf(&f->evidence, "overhead=%u", need - x->mtu);
		}
	}
}

/* Run every rule over t; out must be empty or hold earlier findings (appended to). */
void audit_run(const struct topo *t, struct findings *out)
{
	struct audit a = { .t = t, .out = out };

	a.ports = xcalloc(t->nifs ? t->nifs : 1, sizeof(*a.ports));
	for (size_t e = 0; e < t->nedges; e++)
		if (t->edges[e].type == EDGE_BRIDGE)
			intv_add(&a.ports[t->edges[e].b], (int)t->edges[e].a);
	a.label = xcalloc(t->nns ? t->nns : 1, sizeof(*a.label));
	a.lbufs = xcalloc(t->nns ? t->nns : 1, sizeof(*a.lbufs));
	topo_ns_labels(t, a.label, a.lbufs);
	a.nifs = xcalloc(t->nns ? t->nns : 1, sizeof(*a.nifs));
	for (size_t i = 0; i < t->nifs; i++)
		a.nifs[t->ifs[i].ns] += !iface_is_loopback(&t->ifs[i]);
	a.nctrs = xcalloc(t->nns ? t->nns : 1, sizeof(*a.nctrs));
	for (size_t i = 0; i < t->nctrs; i++)
		if (t->ctrs[i].ns >= 0 && (size_t)t->ctrs[i].ns < t->nns && !t->ctrs[i].host_net)
			a.nctrs[t->ctrs[i].ns]++;

	rule_scan_incomplete(&a);
	rule_netns_dump_failed(&a);
	rule_veth_unresolved(&a);
	rule_link_unresolved(&a);
	rule_veth_pairs(&a, 1);
	rule_bridge_mtu(&a);
	rule_veth_pairs(&a, 0);
	rule_promisc(&a);
	rule_host_veth(&a);
	rule_bridge_empty(&a);
	rule_netns_leaked(&a);
	rule_netns_name_foreign(&a);
	rule_duplicates(&a, 0);
	rule_duplicates(&a, 1);
	rule_host_net(&a);
	rule_netns_shared(&a);
	rule_hairpin(&a);
	rule_tunnels(&a);

	for (size_t i = 0; i < t->nifs; i++)
		intv_release(&a.ports[i]);
	free(a.ports);
	free(a.nifs);
	free(a.nctrs);
	free(a.label);
	free(a.lbufs);
}

void findings_release(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		strv_release(&f->v[i].objects);
		strv_release(&f->v[i].evidence);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->alloc = 0;
}
