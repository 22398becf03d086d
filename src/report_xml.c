/*
 * report_xml.c implements the XML document of 'vethmap report' with libxml2's tree API:
 * the scan, the inventory (namespaces and their containers, interfaces, edges, unresolved
 * ends), the audit findings, a count per severity and the changes since the previous
 * snapshot.  schema/vethmap-report.xsd describes it; change both together.
 *
 * Names can hold any bytes.  libxml2 escapes markup characters but writes other bytes as
 * given, so every string passes through report_clean() first: the document is then
 * well-formed UTF-8 and valid against the schema whatever the kernel or an engine said.
 * Interfaces, namespaces and containers carry a "ref" attribute spelled as the objects of
 * the findings ("NETNS:IFNAME", "netns:INODE", "container:NAME"), so the two can be joined.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "report.h"

#define XC (const xmlChar *)

/* Length of the valid UTF-8 sequence at s that is an XML character, or 0. */
static int xml_char_len(const unsigned char *s)
{
	unsigned cp;
	int n;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	n = utf8_seq_len(s, &cp);
	if (!n || cp <= 0x9f || cp == 0xfffe || cp == 0xffff)
		return 0;	/* not UTF-8, C1 controls, non-characters */
	return n;
}

char *report_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	char *out = xmalloc(len * 4 + 1), *w = out;

	while (*p) {
		int n = xml_char_len(p);

		if (*p == '\\') {
			*w++ = '\\';
			*w++ = '\\';
			p++;
		} else if (!n) {
			w += sprintf(w, "\\x%02x", *p++);
		} else {
			memcpy(w, p, (size_t)n);
			w += n;
			p += n;
		}
	}
	*w = '\0';
	return out;
}

static xmlNodePtr elem(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, XC name, NULL);

	if (!n)
		die("out of memory");
	return n;
}

/* <name>text</name> under parent, text cleaned. */
static xmlNodePtr text_elem(xmlNodePtr parent, const char *name, const char *text)
{
	char *c = report_clean(text);
	xmlNodePtr n = xmlNewTextChild(parent, NULL, XC name, XC c);

	free(c);
	if (!n)
		die("out of memory");
	return n;
}

static void prop(xmlNodePtr n, const char *name, const char *value)
{
	char *c = report_clean(value);

	if (!xmlNewProp(n, XC name, XC c))
		die("out of memory");
	free(c);
}

/* An attribute only when the value is not empty. */
static void prop_opt(xmlNodePtr n, const char *name, const char *value)
{
	if (*value)
		prop(n, name, value);
}

static void propf(xmlNodePtr n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void propf(xmlNodePtr n, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	prop(n, name, buf);
}

static void prop_bool(xmlNodePtr n, const char *name, int b)
{
	prop(n, name, b ? "true" : "false");
}

/*
 * What each namespace is called, worked out once for the document: with a container per
 * namespace, asking topo_ns_label() per interface is quadratic.
 */
struct names {
	const char **label;	/* per namespace: topo_ns_label() */
	char (*lbuf)[32];
	const char **ctr;	/* per namespace: topo_ns_container() */
	size_t *by_ns;		/* containers by namespace (then in their order) */
	size_t *first;		/* per namespace + 1: where its containers start in by_ns */
};

static int cmp_ctr_ns(const void *a, const void *b, void *ctx)
{
	const struct topo *t = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	long nx = t->ctrs[x].ns, ny = t->ctrs[y].ns;

	if (nx != ny)
		return nx < ny ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void names_init(struct names *nm, const struct topo *t)
{
	size_t n = t->nns ? t->nns : 1, k = 0;

	nm->label = xcalloc(n, sizeof(*nm->label));
	nm->lbuf = xcalloc(n, sizeof(*nm->lbuf));
	nm->ctr = xcalloc(n, sizeof(*nm->ctr));
	topo_ns_labels(t, nm->label, nm->lbuf);
	topo_ns_containers(t, nm->ctr);
	nm->by_ns = index_sorted(t->nctrs, cmp_ctr_ns, t);
	nm->first = xcalloc(n + 1, sizeof(*nm->first));
	for (size_t ns = 0; ns <= t->nns; ns++) {
		while (k < t->nctrs && t->ctrs[nm->by_ns[k]].ns < (long)ns)
			k++;
		nm->first[ns] = k;
	}
}

static void names_release(struct names *nm)
{
	free(nm->label);
	free(nm->lbuf);
	free(nm->ctr);
	free(nm->by_ns);
	free(nm->first);
}

/* "NETNS:IFNAME", as audit.c names interfaces. */
static const char *iface_ref(const struct topo *t, const struct names *nm, size_t i,
			     char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", nm->label[t->ifs[i].ns], t->ifs[i].name);
	return buf;
}

static void add_scan(xmlNodePtr root, const struct topo *t)
{
	xmlNodePtr s = elem(root, "scan");

	propf(s, "id", "%lld", t->scan_id);
	prop(s, "host", t->host);
	prop(s, "started", t->started);
	propf(s, "duration-ms", "%.3f", t->duration_ms);
	prop(s, "tool", "vethmap");
	prop(s, "version", VETHMAP_VERSION);
}

static void add_container(xmlNodePtr parent, const struct container *c)
{
	xmlNodePtr n = elem(parent, "container");
	char ref[160];

	prop(n, "engine", c->engine);
	prop(n, "id", c->id);
	prop(n, "name", c->name);
	propf(n, "pid", "%d", c->pid);
	for (size_t k = 0; k < CTR_FIELDS; k++) {
		char key[32];

		copy_str(key, sizeof(key), ctr_fields[k].key);
		for (char *u = strchr(key, '_'); u; u = strchr(u, '_'))
			*u = '-';
		prop_opt(n, key, ctr_field(c, k));
	}
	prop_opt(n, "node", c->node);
	prop_bool(n, "sandbox", c->sandbox);
	prop_bool(n, "host-network", c->host_net);
	prop_bool(n, "verified", c->verified);
	if (c->owner_uid >= 0) {
		propf(n, "owner-uid", "%ld", c->owner_uid);
		prop(n, "owner", c->owner);
	}
	snprintf(ref, sizeof(ref), "container:%s", *c->name ? c->name : c->id);
	prop(n, "ref", ref);
}

static void add_netns(xmlNodePtr inv, const struct topo *t, const struct names *nm, size_t i)
{
	const struct netns *ns = &t->ns[i];
	xmlNodePtr n = elem(inv, "netns");
	char buf[128];
	size_t len = 0;

	propf(n, "id", "ns%zu", i);
	propf(n, "inode", "%llu", (unsigned long long)ns->ino);
	propf(n, "dev", "%llu", (unsigned long long)ns->dev);
	prop_bool(n, "host", ns->is_host);
	prop(n, "via", topo_via_text(ns->via, " ", buf, sizeof(buf)));
	prop(n, "label", nm->label[i]);
	propf(n, "ref", "netns:%llu", (unsigned long long)ns->ino);
	if (ns->userns)
		propf(n, "userns", "%llu", (unsigned long long)ns->userns);
	if (ns->owner_uid >= 0) {	/* not the initial user namespace */
		propf(n, "owner-uid", "%lld", ns->owner_uid);
		prop_opt(n, "owner", ns->owner);
	}
	for (size_t k = 0; k < ns->names.n; k++)
		text_elem(n, "name", ns->names.v[k]);
	if (ns->pids.n) {
		char *list = xmalloc(ns->pids.n * 12 + 1);
		xmlNodePtr p;

		len = 0;
		for (size_t k = 0; k < ns->pids.n; k++)
			len += (size_t)sprintf(list + len, "%s%d", k ? " " : "", ns->pids.v[k]);
		p = text_elem(n, "pids", list);
		propf(p, "count", "%zu", ns->pids.n);
		free(list);
	}
	for (size_t k = nm->first[i]; k < nm->first[i + 1]; k++)
		add_container(n, &t->ctrs[nm->by_ns[k]]);
}

static void add_iface(xmlNodePtr inv, const struct topo *t, const struct names *nm, size_t i)
{
	const struct iface *x = &t->ifs[i];
	xmlNodePtr n = elem(inv, "interface");
	const char *ctr = nm->ctr[x->ns];
	long m = topo_master(t, i);
	char ref[PATH_MAX + 200];

	propf(n, "id", "if%zu", i);
	propf(n, "netns", "ns%zu", x->ns);
	propf(n, "netns-inode", "%llu", (unsigned long long)t->ns[x->ns].ino);
	propf(n, "ifindex", "%d", x->ifindex);
	prop(n, "name", x->name);
	prop(n, "kind", x->kind);
	prop_opt(n, "slave-kind", x->slave_kind);
	prop_opt(n, "mac", x->mac);
	propf(n, "mtu", "%u", x->mtu);
	propf(n, "flags", "%u", x->flags);
	prop_bool(n, "up", iface_up(x));
	prop(n, "oper", x->oper);
	prop_bool(n, "promisc", iface_promisc(x));
	propf(n, "promiscuity", "%u", x->promiscuity);
	if (x->master)
		propf(n, "master", "%d", x->master);
	if (m >= 0) {
		propf(n, "master-if", "if%ld", m);
		prop(n, "master-name", t->ifs[m].name);
	}
	prop_bool(n, "hairpin", x->hairpin);
	if (x->link)
		propf(n, "link", "%d", x->link);
	if (x->has_link_netnsid)
		propf(n, "link-netnsid", "%d", x->link_netnsid);
	if (x->peer >= 0) {
		propf(n, "peer", "if%ld", x->peer);
		prop(n, "peer-ref", iface_ref(t, nm, (size_t)x->peer, ref, sizeof(ref)));
	}
	if (ctr)
		prop(n, "container", ctr);
	prop(n, "ref", iface_ref(t, nm, i, ref, sizeof(ref)));
	for (size_t k = 0; k < x->naddrs; k++) {
		xmlNodePtr a = text_elem(n, "address", x->addrs[k].text);

		prop(a, "family", x->addrs[k].family == AF_INET6 ? "inet6" : "inet");
	}
	for (size_t k = 0; k < t->ntaps; k++) {	/* the processes at a tun/tap's other end */
		const struct tap_holder *h = &t->taps[k];
		long hns;
		xmlNodePtr hn;

		if (topo_tap_iface(t, h) != (long)i)
			continue;
		hn = elem(n, "holder");
		propf(hn, "pid", "%d", h->pid);
		prop(hn, "comm", h->comm);
		if (h->holder_netns)
			propf(hn, "netns-inode", "%llu", (unsigned long long)h->holder_netns);
		hns = h->holder_netns ? topo_find_ns(t, 0, h->holder_netns) : -1;
		if (hns >= 0 && topo_ns_container(t, (size_t)hns))
			prop(hn, "container", topo_ns_container(t, (size_t)hns));
	}
}

static void add_inventory(xmlNodePtr root, const struct topo *t)
{
	xmlNodePtr inv = elem(root, "inventory");
	char ref[PATH_MAX + 200];
	struct names nm;

	names_init(&nm, t);
	for (size_t i = 0; i < t->nns; i++)
		add_netns(inv, t, &nm, i);
	for (size_t k = 0; k < t->nctrs; k++)
		if (t->ctrs[k].ns < 0 || (size_t)t->ctrs[k].ns >= t->nns)
			add_container(inv, &t->ctrs[k]);
	for (size_t i = 0; i < t->nifs; i++)
		add_iface(inv, t, &nm, i);
	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *d = &t->edges[e];
		xmlNodePtr n = elem(inv, "edge");

		prop(n, "type", edge_type_names[d->type]);
		propf(n, "a", "if%zu", d->a);
		propf(n, "b", "if%zu", d->b);
		prop(n, "a-ref", iface_ref(t, &nm, d->a, ref, sizeof(ref)));
		prop(n, "b-ref", iface_ref(t, &nm, d->b, ref, sizeof(ref)));
	}
	for (size_t u = 0; u < t->nunres; u++) {
		xmlNodePtr n = text_elem(inv, "unresolved", t->unres[u].reason);

		propf(n, "if", "if%zu", t->unres[u].ifc);
		prop(n, "ref", iface_ref(t, &nm, t->unres[u].ifc, ref, sizeof(ref)));
	}
	for (size_t k = 0; k < t->ntaps; k++) {	/* tun/tap holders not placed */
		const struct tap_holder *h = &t->taps[k];
		xmlNodePtr n;

		if (topo_tap_iface(t, h) >= 0)
			continue;
		n = text_elem(inv, "unresolved-holder", *h->reason ? h->reason :
			      "no such device in its namespace's dump");
		propf(n, "pid", "%d", h->pid);
		prop(n, "comm", h->comm);
		prop(n, "ifname", h->ifname);
	}
	names_release(&nm);
}

static void add_findings(xmlNodePtr root, const struct findings *f)
{
	xmlNodePtr all = elem(root, "findings"), sum;
	size_t count[3] = { 0, 0, 0 };

	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];
		xmlNodePtr n = elem(all, "finding");

		prop(n, "rule", x->rule);
		prop(n, "severity", severity_names[x->sev]);
		text_elem(n, "message", x->message);
		for (size_t k = 0; k < x->objects.n; k++)
			text_elem(n, "object", x->objects.v[k]);
		for (size_t k = 0; k < x->evidence.n; k++)
			text_elem(n, "evidence", x->evidence.v[k]);
		count[x->sev]++;
	}
	sum = elem(root, "summary");
	propf(sum, "findings", "%zu", f->n);
	for (int s = SEV_INFO; s <= SEV_ERROR; s++) {
		char num[24];
		xmlNodePtr n;

		snprintf(num, sizeof(num), "%zu", count[s]);
		n = text_elem(sum, "count", num);
		prop(n, "severity", severity_names[s]);
	}
}

static void add_changes(xmlNodePtr root, const struct changes *c, long long prev_id)
{
	xmlNodePtr all = elem(root, "changes");

	if (prev_id > 0)
		propf(all, "previous-scan", "%lld", prev_id);
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];
		char op[2] = { x->op, '\0' };
		xmlNodePtr n = text_elem(all, "change", x->detail);

		prop(n, "op", op);
		prop(n, "kind", x->kind);
		prop(n, "object", x->object);
	}
}

xmlDocPtr report_build(const struct topo *t, const struct findings *f,
		       const struct changes *c, long long prev_id)
{
	xmlDocPtr doc = xmlNewDoc(XC "1.0");
	xmlNodePtr root;

	if (!doc)
		die("out of memory");
	doc->encoding = xmlStrdup(XC "UTF-8");
	doc->dict = xmlDictCreate();	/* element and attribute names stored once, not per node */
	if (!doc->dict)
		die("out of memory");
	root = xmlNewDocNode(doc, NULL, XC "vethmap-report", NULL);
	if (!root)
		die("out of memory");
	xmlDocSetRootElement(doc, root);
	prop(root, "format", REPORT_FORMAT);
	add_scan(root, t);
	add_inventory(root, t);
	add_findings(root, f);
	add_changes(root, c, prev_id);
	return doc;
}
