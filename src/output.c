/*
 * output.c implements the one printer of a snapshot for 'vethmap scan' and 'vethmap show':
 * the text table (one block per namespace, one aligned line per interface, peers written
 * NETNS:IFNAME) and the --json contract of the README come from the same calls of the
 * print layer (print.c), field by field, so the two cannot drift apart.  Every name is
 * escaped there: \xNN in text, \u00XX in JSON.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"

/* Per interface, computed once: its lower edge's parent, unresolved or not, edge id. */
struct ifinfo {
	long *lower;		/* index of the parent, -1 = none */
	char *unresolved;
	size_t *edge_of;	/* veth or lower edge id, 0 = none */
	long *holder;		/* index into topo.taps of its first holder, -1 = none */
	char *placed;		/* per tap holder: it holds an interface of the dump */
};

static void ifinfo_init(struct ifinfo *x, const struct topo *t)
{
	size_t n = t->nifs ? t->nifs : 1;

	x->lower = xmalloc(n * sizeof(*x->lower));
	x->unresolved = xcalloc(n, 1);
	x->edge_of = xcalloc(n, sizeof(*x->edge_of));
	x->holder = xmalloc(n * sizeof(*x->holder));
	x->placed = xcalloc(t->ntaps ? t->ntaps : 1, 1);
	for (size_t i = 0; i < t->nifs; i++)
		x->lower[i] = x->holder[i] = -1;
	for (size_t h = 0; h < t->ntaps; h++) {
		long i = topo_tap_iface(t, &t->taps[h]);

		if (i >= 0 && x->holder[i] < 0)
			x->holder[i] = (long)h;
		x->placed[h] = i >= 0;
	}
	for (size_t e = 0; e < t->nedges; e++)
		if (t->edges[e].type == EDGE_LOWER && x->lower[t->edges[e].a] < 0)
			x->lower[t->edges[e].a] = (long)t->edges[e].b;
	for (size_t u = 0; u < t->nunres; u++)
		x->unresolved[t->unres[u].ifc] = 1;
	topo_edge_ids(t, x->edge_of);
}

static void ifinfo_release(struct ifinfo *x)
{
	free(x->lower);
	free(x->unresolved);
	free(x->edge_of);
	free(x->holder);
	free(x->placed);
}

/* A tunnel device's endpoints: "tunnel": {"id", "okey", "local", "remote", "port", "fdb"}. */
static void pr_tunnel(struct pr *p, const struct tunnel *u)
{
	pr_open_object(p, "tunnel");
	if (u->id >= 0)
		pr_int(p, PR_JSON, "id", NULL, u->id);
	else
		pr_null(p, PR_JSON, "id", NULL);
	if (u->okey >= 0)
		pr_int(p, PR_JSON, "okey", NULL, u->okey);
	pr_str(p, PR_JSON, "local", NULL, *u->local ? u->local : NULL);
	pr_str(p, PR_JSON, "remote", NULL, *u->remote ? u->remote : NULL);
	if (u->port)
		pr_uint(p, PR_JSON, "port", NULL, u->port);
	else
		pr_null(p, PR_JSON, "port", NULL);
	pr_open_array(p, "fdb", 0);
	if (u->fdb) {
		char *copy = xstrdup(u->fdb), *save = NULL;

		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			pr_str(p, PR_JSON, NULL, NULL, w);
		free(copy);
	}
	pr_close_array(p);
	if (*u->pubkey || u->peers) {	/* wireguard: never a private key */
		pr_str(p, PR_JSON, "public_key", NULL, *u->pubkey ? u->pubkey : NULL);
		pr_open_array(p, "peers", 0);
		if (u->peers) {
			char *copy = xstrdup(u->peers), *save = NULL;

			for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
				char *at = strchr(w, '@');

				if (at)
					*at++ = '\0';
				pr_open_object(p, NULL);
				pr_str(p, PR_JSON, "public_key", NULL, w);
				pr_str(p, PR_JSON, "endpoint", NULL, at && *at ? at : NULL);
				pr_close_object(p);
			}
			free(copy);
		}
		pr_close_array(p);
		if (u->peers_dropped)
			pr_uint(p, PR_JSON, "peers_dropped", NULL, u->peers_dropped);
	}
	pr_close_object(p);
}

/* An interface end as {"netns": INODE, "name": NAME} under key (JSON only), or null. */
void pr_end(struct pr *p, const char *key, const struct topo *t, const struct iface *x)
{
	if (!x) {
		pr_null(p, PR_JSON, key, NULL);
		return;
	}
	pr_open_object(p, key);
	if (topo_host_of(t, x->ns))
		pr_str(p, PR_JSON, "host", NULL, topo_host_of(t, x->ns));
	pr_uint(p, PR_JSON, "netns", NULL, t->ns[x->ns].ino);
	pr_str(p, PR_JSON, "name", NULL, x->name);
	pr_close_object(p);
}

/* A string field that JSON leaves out when empty. */
static void pr_opt(struct pr *p, const char *key, const char *val)
{
	if (*val)
		pr_str(p, PR_JSON, key, NULL, val);
}

/* The containers of namespace ns: JSON objects, text " engine:name(sandbox)". */
static void print_containers(struct pr *p, const struct topo *t, size_t ns)
{
	pr_open_array(p, "containers", 0);
	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];

		if (c->ns != (long)ns)
			continue;
		pr_open_object(p, NULL);
		pr_str(p, PR_ANY, "engine", " %s", c->engine);
		pr_str(p, PR_JSON, "id", NULL, c->id);
		pr_str(p, PR_ANY, "name", ":%s", c->name);
		pr_int(p, PR_JSON, "pid", NULL, c->pid);
		pr_bool(p, PR_JSON, "verified", NULL, c->verified);
		for (size_t k = 0; k < CTR_FIELDS; k++)
			pr_opt(p, ctr_fields[k].key, ctr_field(c, k));
		pr_opt(p, "node", c->node);
		if (*c->pod) {
			char pod[sizeof(c->pod_ns) + sizeof(c->pod) + 1];

			ctr_pod_label(c, pod, sizeof(pod));
			pr_str(p, PR_TEXT, NULL, "(pod %s)", pod);
		}
		if (*c->node)
			pr_str(p, PR_TEXT, NULL, "(node %s)", c->node);
		if (c->sandbox) {
			pr_bool(p, PR_JSON, "sandbox", NULL, 1);
			pr_text(p, "(sandbox)");
		}
		if (c->owner_uid >= 0) {	/* a user's engine named it */
			pr_open_object(p, "owner");
			pr_int(p, PR_JSON, "uid", NULL, c->owner_uid);
			pr_str(p, PR_ANY, "name", "(user %s)", c->owner);
			pr_close_object(p);
		}
		if (!c->verified)
			pr_text(p, "(unverified)");
		if (c->host_net)
			pr_bool(p, PR_JSON, "host_network", NULL, 1);
		pr_close_object(p);
	}
	pr_close_array(p);
}

/* JSON: whether namespace i forwards, and its routes ("forwarding", "routes"). */
static void print_routing(struct pr *p, const struct topo *t, size_t i)
{
	const struct netns *n = &t->ns[i];
	const struct route *r;
	size_t nr;

	if (n->fwd4 >= 0 || n->fwd6 >= 0) {
		pr_open_object(p, "forwarding");
		if (n->fwd4 >= 0)
			pr_bool(p, PR_JSON, "ipv4", NULL, n->fwd4);
		if (n->fwd6 >= 0)
			pr_bool(p, PR_JSON, "ipv6", NULL, n->fwd6);
		pr_close_object(p);
	}
	r = topo_routes_of(t, i, &nr);
	if (!r)
		return;
	pr_open_array(p, "routes", 0);
	for (size_t k = 0; k < nr; k++, r++) {
		pr_open_object(p, NULL);
		pr_int(p, PR_JSON, "family", NULL, r->family == AF_INET6 ? 6 : 4);
		pr_str(p, PR_JSON, "dst", NULL, r->dst);
		pr_str(p, PR_JSON, "type", NULL, r->type);
		if (r->metric)
			pr_uint(p, PR_JSON, "metric", NULL, r->metric);
		pr_open_array(p, "nexthops", 0);
		for (size_t h = 0; h < r->nnh; h++) {
			long dev = r->nh[h].oif ? topo_find_iface(t, i, r->nh[h].oif) : -1;

			pr_open_object(p, NULL);
			if (*r->nh[h].gw)
				pr_str(p, PR_JSON, "gateway", NULL, r->nh[h].gw);
			if (dev >= 0)
				pr_str(p, PR_JSON, "dev", NULL, t->ifs[dev].name);
			else if (r->nh[h].oif)
				pr_int(p, PR_JSON, "ifindex", NULL, r->nh[h].oif);
			pr_close_object(p);
		}
		pr_close_array(p);
		pr_close_object(p);
	}
	pr_close_array(p);
}

/* A namespace: its JSON object, or the header line of its block in the table. */
static void print_netns(struct pr *p, const struct topo *t, size_t i)
{
	const struct netns *n = &t->ns[i];
	char via[64];

	pr_open_object(p, NULL);
	pr_uint(p, PR_ANY, "inode", "netns %s", n->ino);
	pr_bool(p, PR_JSON, "host", NULL, n->is_host);
	if (topo_host_of(t, i))	/* "host" is the boolean above since the first version */
		pr_str(p, PR_ANY, "host_name", " on %s", topo_host_of(t, i));
	if (n->is_host)
		pr_text(p, " (host)");
	if (p->json) {		/* text: after the containers */
		pr_open_array(p, "names", 0);
		for (size_t k = 0; k < n->names.n; k++)
			pr_str(p, PR_JSON, NULL, NULL, n->names.v[k]);
		pr_close_array(p);
	}
	pr_open_array(p, "via", 0);
	for (int k = 0; p->json && k < VIA_COUNT; k++)
		if (n->via & (1u << k))
			pr_str(p, PR_JSON, NULL, NULL, via_names[k]);
	pr_close_array(p);
	pr_open_array(p, "pids", 0);
	for (size_t k = 0; p->json && k < n->pids.n; k++)
		pr_int(p, PR_JSON, NULL, NULL, n->pids.v[k]);
	pr_close_array(p);
	print_containers(p, t, i);
	pr_open_array(p, "mounts", 0);
	for (size_t k = 0; k < n->nmounts; k++) {
		const struct nsmount *m = &n->mounts[k];

		pr_open_object(p, NULL);
		pr_str(p, PR_JSON, "path", NULL, m->path);
		pr_uint(p, PR_JSON, "mntns", NULL, m->mntns);
		pr_int(p, PR_JSON, "pid", NULL, m->pid);
		pr_bool(p, PR_JSON, "host", NULL, m->host);
		pr_close_object(p);
	}
	pr_close_array(p);
	if (n->names_dropped)
		pr_uint(p, PR_JSON, "names_dropped", NULL, n->names_dropped);
	if (n->dump_error)
		pr_str(p, PR_JSON, "dump_error", NULL, strerror(n->dump_error));
	if (n->userns)
		pr_uint(p, PR_JSON, "userns", NULL, n->userns);
	if (n->owner_uid >= 0) {
		pr_int(p, PR_JSON, "owner_uid", NULL, n->owner_uid);
		if (*n->owner)
			pr_str(p, PR_JSON, "owner", NULL, n->owner);
	}
	print_routing(p, t, i);
	pr_close_object(p);
	if (p->json)
		return;

	/* the rest of the text header: names, via, pids, what was dropped */
	for (size_t k = 0; k < n->names.n; k++)
		pr_str(p, PR_TEXT, NULL, " %s", n->names.v[k]);
	pr_text(p, "  via %s", topo_via_text(n->via, ",", via, sizeof(via)));
	if (n->pids.n) {
		pr_text(p, "  pids");
		for (size_t k = 0; k < n->pids.n && k < 5; k++)
			pr_text(p, "%s%d", k ? "," : " ", n->pids.v[k]);
		if (n->pids.n > 5)
			pr_text(p, " (+%zu)", n->pids.n - 5);
	} else {
		pr_text(p, "  no process");
	}
	if (n->owner_uid >= 0) {	/* a user namespace other than the initial one */
		pr_str(p, PR_TEXT, NULL, "  user %s", *n->owner ? n->owner : "-");
		pr_text(p, " (uid %lld)", n->owner_uid);
	}
	if (n->names_dropped)
		pr_text(p, "  (+%lu names not kept)", n->names_dropped);
	if (n->fwd4 > 0 || n->fwd6 > 0)
		pr_text(p, "  forwards %s", n->fwd4 > 0 && n->fwd6 > 0 ? "ipv4,ipv6" :
			n->fwd4 > 0 ? "ipv4" : "ipv6");
	pr_text(p, "\n");
	if (n->dump_error)
		pr_text(p, "  (interfaces unknown: dump failed: %s)\n", strerror(n->dump_error));
}

/* The PEER column: NETNS:IFNAME of a veth peer, @NETNS:IFNAME of a lower device. */
static char *peer_text(const struct topo *t, const struct ifinfo *x, size_t i)
{
	const struct iface *ifc = &t->ifs[i];
	long peer = ifc->peer >= 0 ? ifc->peer : x->lower[i];
	char lab[32], *s = NULL;

	if (peer < 0 && x->holder[i] >= 0) {	/* a tun/tap: the process at its other end */
		const struct tap_holder *h = &t->taps[x->holder[i]];
		long hns = h->holder_netns ? topo_find_ns(t, 0, h->holder_netns) : -1;
		const char *where = hns >= 0 && (size_t)hns != ifc->ns ?
				    topo_ns_label(t, (size_t)hns, lab, sizeof(lab)) : NULL;

		if (asprintf(&s, "pid:%d %s%s%s", h->pid, h->comm, where ? "@" : "",
			     where ? where : "") < 0)
			die("out of memory");
		return s;
	}
	if (peer < 0)
		return xstrdup(x->unresolved[i] && !strcmp(ifc->kind, "veth") ? "(unresolved)" : "");
	if (asprintf(&s, "%s%s:%s", ifc->peer >= 0 ? "" : "@",
		     topo_ns_label(t, t->ifs[peer].ns, lab, sizeof(lab)), t->ifs[peer].name) < 0)
		die("out of memory");
	return s;
}

/* An interface: its JSON object, or its row of the table. */
static void print_iface(struct pr *p, const struct topo *t, const struct ifinfo *x, size_t i)
{
	const struct iface *ifc = &t->ifs[i];
	long m = topo_master(t, i);
	const char *cn = topo_ns_container(t, ifc->ns);
	char *peer, *addrs;

	pr_row_begin(p);
	if (topo_host_of(t, ifc->ns))
		pr_str(p, PR_JSON, "host", NULL, topo_host_of(t, ifc->ns));
	pr_uint(p, PR_JSON, "netns", NULL, t->ns[ifc->ns].ino);
	pr_int(p, PR_JSON, "ifindex", NULL, ifc->ifindex);
	pr_str(p, PR_ANY, "name", "%s", ifc->name);
	pr_str(p, PR_ANY, "kind", "%s", ifc->kind);
	pr_str(p, PR_JSON, "mac", NULL, *ifc->mac ? ifc->mac : NULL);
	pr_uint(p, PR_JSON, "mtu", NULL, ifc->mtu);
	pr_bool(p, PR_JSON, "up", NULL, iface_up(ifc));
	pr_str(p, PR_TEXT, NULL, "%s", iface_up(ifc) ? "up" : "down");
	if (x->edge_of[i])
		pr_uint(p, PR_TEXT, NULL, "e%s", x->edge_of[i]);
	else
		pr_str(p, PR_TEXT, NULL, "%s", "");
	pr_str(p, PR_JSON, "oper", NULL, ifc->oper);
	pr_bool(p, PR_JSON, "promisc", NULL, iface_promisc(ifc));
	pr_uint(p, PR_JSON, "promiscuity", NULL, ifc->promiscuity);
	peer = peer_text(t, x, i);
	pr_str(p, PR_TEXT, NULL, "%s", peer);
	free(peer);
	pr_str(p, PR_JSON, "master", NULL, m >= 0 ? t->ifs[m].name : NULL);
	pr_str(p, PR_TEXT, NULL, "%s", m >= 0 ? t->ifs[m].name : "");
	if (*ifc->slave_kind)
		pr_str(p, PR_JSON, "slave_kind", NULL, ifc->slave_kind);
	if (ifc->hairpin)
		pr_bool(p, PR_JSON, "hairpin", NULL, 1);
	pr_open_array(p, "addrs", 0);
	for (size_t k = 0; k < ifc->naddrs; k++)
		pr_str(p, PR_JSON, NULL, NULL, ifc->addrs[k].text);
	pr_close_array(p);
	addrs = iface_addrs_text(ifc, " ");
	pr_str(p, PR_TEXT, NULL, "%s", addrs);
	free(addrs);
	if (ifc->link)
		pr_int(p, PR_JSON, "link", NULL, ifc->link);
	if (ifc->has_link_netnsid)
		pr_int(p, PR_JSON, "link_netnsid", NULL, ifc->link_netnsid);
	if (ifc->tun.set)
		pr_tunnel(p, &ifc->tun);
	if (cn)
		pr_str(p, PR_JSON, "container", NULL, cn);
	if (ifc->peer >= 0)
		pr_end(p, "peer", t, &t->ifs[ifc->peer]);
	if (x->holder[i] >= 0) {
		pr_open_array(p, "holders", 0);
		for (size_t h = (size_t)x->holder[i]; h < t->ntaps; h++) {
			const struct tap_holder *th = &t->taps[h];
			long hns;

			if (!x->placed[h] || topo_tap_iface(t, th) != (long)i)
				continue;
			hns = th->holder_netns ? topo_find_ns(t, 0, th->holder_netns) : -1;
			pr_open_object(p, NULL);
			pr_int(p, PR_JSON, "pid", NULL, th->pid);
			pr_str(p, PR_JSON, "comm", NULL, th->comm);
			if (th->holder_netns)
				pr_uint(p, PR_JSON, "netns", NULL, th->holder_netns);
			if (hns >= 0 && topo_ns_container(t, (size_t)hns))
				pr_str(p, PR_JSON, "container", NULL, topo_ns_container(t, (size_t)hns));
			pr_close_object(p);
		}
		pr_close_array(p);
	}
	pr_row_end(p);
}

static void print_scan(struct pr *p, const struct topo *t)
{
	pr_open_object(p, "scan");
	if (t->scan_id > 0)
		pr_int(p, PR_JSON, "id", NULL, t->scan_id);
	else
		pr_null(p, PR_JSON, "id", NULL);
	pr_str(p, PR_JSON, "host", NULL, t->host);
	pr_str(p, PR_JSON, "started", NULL, t->started);
	pr_double(p, PR_JSON, "duration_ms", NULL, t->duration_ms);
	pr_bool(p, PR_JSON, "incomplete", NULL, topo_incomplete(t));
	pr_uint(p, PR_JSON, "missed", NULL, t->missed);
	pr_str(p, PR_JSON, "incomplete_reason", NULL,
	       t->incomplete_reason[0] ? t->incomplete_reason : NULL);
	pr_uint(p, PR_JSON, "names_dropped", NULL, t->names_dropped);
	pr_uint(p, PR_JSON, "mount_lines_dropped", NULL, t->mount_lines_dropped);
	pr_uint(p, PR_JSON, "mounts_skipped", NULL, t->mounts_skipped);
	pr_uint(p, PR_JSON, "lookup_timeouts", NULL, t->lookup_timeouts);
	if (t->same_as > 0)	/* stored as unchanged: the snapshot whose rows it shares */
		pr_int(p, PR_JSON, "same_as", NULL, t->same_as);
	else
		pr_null(p, PR_JSON, "same_as", NULL);
	pr_close_object(p);
}

static void print_edge(struct pr *p, const struct topo *t, size_t i)
{
	const struct edge *e = &t->edges[i];

	pr_open_object(p, NULL);
	pr_uint(p, PR_JSON, "id", NULL, i + 1);
	pr_str(p, PR_JSON, "type", NULL, edge_type_names[e->type]);
	if (e->type == EDGE_MASTER)
		pr_str(p, PR_JSON, "kind", NULL, t->ifs[e->b].kind);
	pr_end(p, "a", t, &t->ifs[e->a]);
	pr_end(p, "b", t, &t->ifs[e->b]);
	pr_close_object(p);
}

static void print_edges(struct pr *p, const struct topo *t)
{
	pr_open_array(p, "edges", 1);
	for (size_t i = 0; i < t->nedges; i++)
		print_edge(p, t, i);
	for (size_t i = 0; i < t->nxedges; i++) {	/* tunnels across hosts */
		const struct xedge *e = &t->xedges[i];

		pr_open_object(p, NULL);
		pr_uint(p, PR_JSON, "id", NULL, t->nedges + i + 1);
		pr_str(p, PR_JSON, "type", NULL, "tunnel");
		pr_str(p, PR_JSON, "kind", NULL, e->kind);
		pr_end(p, "a", t, &t->ifs[e->a]);
		pr_end(p, "b", t, &t->ifs[e->b]);
		pr_close_object(p);
	}
	pr_close_array(p);
}

/* A cluster's tunnels across hosts, as text: "tunnels:" and a line each. */
static void print_xedges_text(struct pr *p, const struct topo *t)
{
	char la[600], lb[600];

	if (p->json || !t->nxedges)
		return;
	pr_text(p, "tunnels:\n");
	for (size_t i = 0; i < t->nxedges; i++) {
		const struct iface *a = &t->ifs[t->xedges[i].a];

		pr_str(p, PR_TEXT, NULL, "  %s", t->xedges[i].kind);
		pr_str(p, PR_TEXT, NULL, "  %s", topo_end_label(t, t->xedges[i].a, la, sizeof(la)));
		pr_str(p, PR_TEXT, NULL, " <-> %s", topo_end_label(t, t->xedges[i].b, lb, sizeof(lb)));
		if (a->tun.id >= 0)
			pr_text(p, "  id %lld", a->tun.id);
		pr_text(p, "\n");
	}
}

/* The host a snapshot is of ("host": {"name", "machine_id"}), or a cluster's hosts. */
static void print_hosts(struct pr *p, const struct topo *t)
{
	if (!t->nhosts) {
		pr_open_object(p, "host");
		pr_str(p, PR_JSON, "name", NULL, t->host);
		pr_str(p, PR_JSON, "machine_id", NULL, t->machine_id);
		pr_close_object(p);
		return;
	}
	if (t->collection > 0)
		pr_int(p, PR_JSON, "collection", NULL, t->collection);
	pr_open_array(p, "hosts", 1);
	for (size_t i = 0; i < t->nhosts; i++) {
		const struct host *h = &t->hosts[i];

		pr_open_object(p, NULL);
		pr_str(p, PR_JSON, "name", NULL, h->name);
		pr_str(p, PR_ANY, "label", "host %s", h->label);
		pr_str(p, PR_JSON, "machine_id", NULL, h->machine_id);
		if (h->scan_id > 0)
			pr_int(p, PR_ANY, "scan_id", "  scan %s", h->scan_id);
		pr_str(p, PR_ANY, "started", "  %s", h->started);
		pr_str(p, PR_TEXT, NULL, "  machine-id %s", *h->machine_id ? h->machine_id : "-");
		pr_close_object(p);
		pr_text(p, "\n");
	}
	pr_close_array(p);
}

static void print_unresolved(struct pr *p, const struct topo *t)
{
	char lab[32];

	if (t->nunres)
		pr_text(p, "unresolved:\n");
	pr_open_array(p, "unresolved", 1);
	for (size_t i = 0; i < t->nunres; i++) {
		const struct iface *ifc = &t->ifs[t->unres[i].ifc];

		pr_open_object(p, NULL);
		if (topo_host_of(t, ifc->ns) && !t->ns[ifc->ns].is_host)
			pr_str(p, PR_ANY, "host", "  %s/", topo_host_of(t, ifc->ns));
		else if (topo_host_of(t, ifc->ns))
			pr_str(p, PR_JSON, "host", NULL, topo_host_of(t, ifc->ns));
		pr_uint(p, PR_JSON, "netns", NULL, t->ns[ifc->ns].ino);
		pr_str(p, PR_TEXT, NULL, topo_host_of(t, ifc->ns) && !t->ns[ifc->ns].is_host ?
		       "%s" : "  %s", topo_ns_label(t, ifc->ns, lab, sizeof(lab)));
		pr_int(p, PR_JSON, "ifindex", NULL, ifc->ifindex);
		pr_str(p, PR_ANY, "name", ":%s", ifc->name);
		pr_str(p, PR_ANY, "reason", ": %s\n", t->unres[i].reason);
		pr_close_object(p);
	}
	pr_close_array(p);
}

/* Processes holding a tun/tap file that could not be placed on an interface of the dump. */
static void print_taps_unresolved(struct pr *p, const struct topo *t, const struct ifinfo *x)
{
	size_t n = 0;

	for (size_t h = 0; h < t->ntaps; h++)
		n += !x->placed[h];
	if (!n)
		return;
	pr_text(p, "tap holders unresolved:\n");
	pr_open_array(p, "tap_holders_unresolved", 1);
	for (size_t h = 0; h < t->ntaps; h++) {
		const struct tap_holder *th = &t->taps[h];

		if (x->placed[h])
			continue;
		pr_open_object(p, NULL);
		pr_int(p, PR_ANY, "pid", "  pid %s", th->pid);
		pr_str(p, PR_ANY, "comm", " (%s)", th->comm);
		pr_str(p, PR_ANY, "ifname", " holds %s", th->ifname);
		pr_str(p, PR_JSON, "kind", NULL, th->tap ? "tap" : "tun");
		if (th->netns)
			pr_uint(p, PR_JSON, "netns", NULL, th->netns);
		pr_str(p, PR_ANY, "reason", ": holder unresolved: %s\n",
		       *th->reason ? th->reason : "no such device in its namespace's dump");
		pr_close_object(p);
	}
	pr_close_array(p);
}

/* The whole snapshot: the table, or the JSON object of the README. */
void print_topo(struct pr *p, const struct topo *t)
{
	static const char *const head[] = { "IFACE", "KIND", "STATE", "EDGE ", "PEER", "MASTER",
		"ADDRS" };
	struct ifinfo x;
	size_t i = 0;

	ifinfo_init(&x, t);
	pr_open_object(p, NULL);
	print_scan(p, t);
	print_hosts(p, t);
	if (p->json) {
		pr_open_array(p, "netns", 1);
		for (size_t ns = 0; ns < t->nns; ns++)
			print_netns(p, t, ns);
		pr_close_array(p);
	}
	pr_table_begin(p, "interfaces", head, sizeof(head) / sizeof(head[0]), "  ", " ");
	for (size_t ns = 0; ns < t->nns; ns++) {
		if (!p->json)	/* text: each namespace's header line above its interfaces */
			print_netns(p, t, ns);
		for (; i < t->nifs && t->ifs[i].ns == ns; i++)
			print_iface(p, t, &x, i);
	}
	pr_table_end(p);
	print_edges(p, t);
	print_xedges_text(p, t);
	if (topo_incomplete(t))
		pr_text(p, "incomplete: %lu namespaces seen but not held (%s)\n", t->missed,
			t->incomplete_reason[0] ? t->incomplete_reason : "lookup deadline");
	if (t->names_dropped || t->mount_lines_dropped)
		pr_text(p, "dropped: %lu names, %lu mount table lines (bounds)\n", t->names_dropped,
			t->mount_lines_dropped);
	print_unresolved(p, t);
	print_taps_unresolved(p, t, &x);
	pr_close_object(p);
	ifinfo_release(&x);
}

/*
 * One object of t as the scan JSON has it (p->json): namespace, interface or edge i
 * (kind as diff names it); for a container, the namespace it is in (with its
 * containers).  What 'vethmap watch' stores with each event, to rebuild states from.
 */
void pr_object_json(struct pr *p, const struct topo *t, const char *kind, long i)
{
	struct ifinfo x;

	if (!strcmp(kind, "container")) {
		if (i < 0 || (size_t)i >= t->nctrs || t->ctrs[i].ns < 0)
			return;
		kind = "netns";
		i = t->ctrs[i].ns;
	}
	if (!strcmp(kind, "netns") && i >= 0 && (size_t)i < t->nns) {
		print_netns(p, t, (size_t)i);
	} else if (!strcmp(kind, "interface") && i >= 0 && (size_t)i < t->nifs) {
		ifinfo_init(&x, t);
		print_iface(p, t, &x, (size_t)i);
		ifinfo_release(&x);
	} else if (!strcmp(kind, "edge") && i >= 0 && (size_t)i < t->nedges) {
		print_edge(p, t, (size_t)i);
	}
}

/* One change of diff.c: the line "+ kind  object  detail" (diff, watch), or its object. */
void print_change(struct pr *p, const struct change *x)
{
	char op[2] = { x->op, '\0' };

	pr_open_object(p, NULL);
	pr_str(p, PR_ANY, "op", "%s ", op);
	pr_str(p, PR_ANY, "kind", "%-9s  ", x->kind);
	pr_str(p, PR_ANY, "object", "%s", x->object);
	pr_str(p, *x->detail ? PR_ANY : PR_JSON, "detail", "  %s", x->detail);
	pr_close_object(p);
	pr_text(p, "\n");
}
