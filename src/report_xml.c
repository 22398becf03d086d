/*
 * report_xml.c implements the XML document of 'vethmap report': the scan, the inventory
 * (namespaces and their containers, interfaces, edges, unresolved ends), the audit
 * findings, a count per severity and the changes since the previous snapshot.
 * schema/vethmap-report.xsd describes it; change both together.
 *
 * The document is written straight into one growing buffer, element by element, in the
 * layout of libxml2's formatted output (xmlDocFormatDump: two spaces per level, "<x/>"
 * for an empty element, text inline), which is what this file wrote when it built a
 * libxml2 tree first: building, dumping and freeing ~200,000 nodes was most of the cost
 * of a large report.  --format html parses the document back (cmd_report.c).
 *
 * Names can hold any bytes.  Every string passes through clean_put(): valid UTF-8 that
 * is an XML character is kept, anything else becomes "\xNN" (report_clean()), and the
 * markup characters are escaped as libxml2 escapes them (text: < > &; attributes also
 * "), so the document is well-formed UTF-8 and valid against the schema whatever the
 * kernel or an engine said.
 * Interfaces, namespaces and containers carry a "ref" attribute spelled as the objects of
 * the findings ("NETNS:IFNAME", "netns:INODE", "container:NAME"), so the two can be joined.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "report.h"

/* The document being written: buf holds len bytes and room for a NUL. */
struct xw {
	char *buf;
	size_t len, alloc;
	int depth;	/* elements open */
	int state;	/* of the innermost open element, one of: */
};
enum {
	XW_CLOSED,	/* its start tag is ended by ">": child elements follow */
	XW_START,	/* its start tag is open: attributes may follow */
	XW_TEXT,	/* its text is written: only its end tag may follow */
};

/* How clean_put() escapes markup, after cleaning. */
enum esc { ESC_NONE, ESC_TEXT, ESC_ATTR };

static void __attribute__((noinline)) need_more(struct xw *w, size_t n)
{
	w->buf = grow(w->buf, &w->alloc, w->len + n + 1, 1);
}

/*
 * Room for n more bytes and the NUL.  Inline, as the small writers below: their names
 * are constants, so their lengths are too.
 */
static inline void need(struct xw *w, size_t n)
{
	if (w->alloc - w->len <= n)
		need_more(w, n);
}

static inline void put(struct xw *w, const char *s, size_t n)
{
	need(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

#define PUTS(w, lit) put(w, lit, sizeof(lit) - 1)

static inline void put_str(struct xw *w, const char *s)
{
	put(w, s, strlen(s));
}

/* prefix, then v in decimal ("%s%llu"). */
static void put_u(struct xw *w, const char *prefix, unsigned long long v)
{
	char num[24], *e = num + sizeof(num), *p = e;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	put_str(w, prefix);
	put(w, p, (size_t)(e - p));
}

/* v in decimal ("%lld"). */
static void put_d(struct xw *w, long long v)
{
	if (v < 0)
		put_u(w, "-", 0ull - (unsigned long long)v);
	else
		put_u(w, "", (unsigned long long)v);
}

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

/*
 * s, cleaned as report_clean() says, then escaped by esc: ESC_TEXT as libxml2 escapes
 * text (< > &), ESC_ATTR as it escapes attribute values (< > & ").  Control characters,
 * which libxml2 would also escape, are gone by then.
 */
static void clean_put(struct xw *w, const char *s, enum esc esc)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *o;

	need(w, strlen(s) * 6);	/* at most "&quot;" per byte */
	o = w->buf + w->len;
	while (*p) {
		const char *rep = NULL;
		int n;

		if (*p >= 0x20 && *p < 0x7f) {
			switch (*p) {
			case '\\': rep = "\\\\"; break;
			case '<': rep = esc ? "&lt;" : NULL; break;
			case '>': rep = esc ? "&gt;" : NULL; break;
			case '&': rep = esc ? "&amp;" : NULL; break;
			case '"': rep = esc == ESC_ATTR ? "&quot;" : NULL; break;
			}
			if (rep)
				while (*rep)
					*o++ = *rep++;
			else
				*o++ = (char)*p;
			p++;
		} else if ((n = xml_char_len(p))) {
			memcpy(o, p, (size_t)n);
			o += n;
			p += n;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
			p++;
		}
	}
	w->len = (size_t)(o - w->buf);
}

char *report_clean(const char *s)
{
	struct xw w = { 0 };

	clean_put(&w, s, ESC_NONE);
	w.buf[w.len] = '\0';
	return w.buf;
}

/* Open element name; its attributes follow, then its text or its elements, then end(). */
static inline void start(struct xw *w, const char *name)
{
	if (w->state == XW_TEXT)
		BUG("report: element '%s' inside text", name);
	if (w->state == XW_START)
		PUTS(w, ">\n");
	need(w, (size_t)w->depth * 2);
	memset(w->buf + w->len, ' ', (size_t)w->depth * 2);
	w->len += (size_t)w->depth * 2;
	PUTS(w, "<");
	put_str(w, name);
	w->depth++;
	w->state = XW_START;
}

static inline void end(struct xw *w, const char *name)
{
	w->depth--;
	if (w->state == XW_START) {
		PUTS(w, "/>\n");
	} else {
		if (w->state == XW_CLOSED) {
			need(w, (size_t)w->depth * 2);
			memset(w->buf + w->len, ' ', (size_t)w->depth * 2);
			w->len += (size_t)w->depth * 2;
		}
		PUTS(w, "</");
		put_str(w, name);
		PUTS(w, ">\n");
	}
	w->state = XW_CLOSED;
}

/* The start tag's end, before the element's text. */
static inline void text_open(struct xw *w)
{
	if (w->state != XW_START)
		BUG("report: text after the start tag's end");
	PUTS(w, ">");
	w->state = XW_TEXT;
}

/* The element's text, cleaned. */
static void text(struct xw *w, const char *s)
{
	text_open(w);
	clean_put(w, s, ESC_TEXT);
}

/* <name>text</name>, text cleaned. */
static void text_elem(struct xw *w, const char *name, const char *s)
{
	start(w, name);
	text(w, s);
	end(w, name);
}

/* The start of attribute name, up to its opening quote. */
static inline void attr_open(struct xw *w, const char *name)
{
	if (w->state != XW_START)
		BUG("report: attribute '%s' after the start tag's end", name);
	PUTS(w, " ");
	put_str(w, name);
	PUTS(w, "=\"");
}

static inline void attr(struct xw *w, const char *name, const char *value)
{
	attr_open(w, name);
	clean_put(w, value, ESC_ATTR);
	PUTS(w, "\"");
}

/* An attribute only when the value is not empty. */
static void attr_opt(struct xw *w, const char *name, const char *value)
{
	if (*value)
		attr(w, name, value);
}

static inline void attr_bool(struct xw *w, const char *name, int b)
{
	attr(w, name, b ? "true" : "false");
}

/* name="PREFIXv" ("%s%llu"), the prefix a constant. */
static inline void attr_u(struct xw *w, const char *name, const char *prefix, unsigned long long v)
{
	attr_open(w, name);
	put_u(w, prefix, v);
	PUTS(w, "\"");
}

static inline void attr_d(struct xw *w, const char *name, long long v)
{
	attr_open(w, name);
	put_d(w, v);
	PUTS(w, "\"");
}

static void attrf(struct xw *w, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void attrf(struct xw *w, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attr(w, name, buf);
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
	long *tap_if;		/* per tun/tap holder: topo_tap_iface() */
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
	nm->tap_if = xcalloc(t->ntaps ? t->ntaps : 1, sizeof(*nm->tap_if));
	for (size_t h = 0; h < t->ntaps; h++)
		nm->tap_if[h] = topo_tap_iface(t, &t->taps[h]);
}

static void names_release(struct names *nm)
{
	free(nm->label);
	free(nm->lbuf);
	free(nm->ctr);
	free(nm->by_ns);
	free(nm->first);
	free(nm->tap_if);
}

#define REF_MAX (PATH_MAX + 200)

/* Attribute name="NETNS:IFNAME" for interface i, as audit.c names interfaces. */
static void attr_iface_ref(struct xw *w, const char *name, const struct topo *t,
			   const struct names *nm, size_t i)
{
	const char *label = nm->label[t->ifs[i].ns], *ifname = t->ifs[i].name;
	char ref[REF_MAX];

	if (strlen(label) + 1 + strlen(ifname) >= sizeof(ref)) {	/* cut, as it always was */
		snprintf(ref, sizeof(ref), "%s:%s", label, ifname);
		attr(w, name, ref);
		return;
	}
	attr_open(w, name);
	clean_put(w, label, ESC_ATTR);
	PUTS(w, ":");
	clean_put(w, ifname, ESC_ATTR);
	PUTS(w, "\"");
}

static void add_scan(struct xw *w, const struct topo *t)
{
	start(w, "scan");
	attr_d(w, "id", t->scan_id);
	attr(w, "host", t->host);
	attr(w, "started", t->started);
	attrf(w, "duration-ms", "%.3f", t->duration_ms);
	attr(w, "tool", "vethmap");
	attr(w, "version", VETHMAP_VERSION);
	end(w, "scan");
}

static void add_container(struct xw *w, const struct container *c)
{
	char ref[160];

	start(w, "container");
	attr(w, "engine", c->engine);
	attr(w, "id", c->id);
	attr(w, "name", c->name);
	attr_d(w, "pid", c->pid);
	for (size_t k = 0; k < CTR_FIELDS; k++) {
		char key[32];

		copy_str(key, sizeof(key), ctr_fields[k].key);
		for (char *u = strchr(key, '_'); u; u = strchr(u, '_'))
			*u = '-';
		attr_opt(w, key, ctr_field(c, k));
	}
	attr_opt(w, "node", c->node);
	attr_bool(w, "sandbox", c->sandbox);
	attr_bool(w, "host-network", c->host_net);
	attr_bool(w, "verified", c->verified);
	if (c->owner_uid >= 0) {
		attr_d(w, "owner-uid", c->owner_uid);
		attr(w, "owner", c->owner);
	}
	snprintf(ref, sizeof(ref), "container:%s", *c->name ? c->name : c->id);
	attr(w, "ref", ref);
	end(w, "container");
}

static void add_netns(struct xw *w, const struct topo *t, const struct names *nm, size_t i)
{
	const struct netns *ns = &t->ns[i];
	char buf[128];

	start(w, "netns");
	attr_u(w, "id", "ns", i);
	attr_u(w, "inode", "", (unsigned long long)ns->ino);
	attr_u(w, "dev", "", (unsigned long long)ns->dev);
	attr_bool(w, "host", ns->is_host);
	attr(w, "via", topo_via_text(ns->via, " ", buf, sizeof(buf)));
	attr(w, "label", nm->label[i]);
	attr_u(w, "ref", "netns:", (unsigned long long)ns->ino);
	if (ns->userns)
		attr_u(w, "userns", "", (unsigned long long)ns->userns);
	if (ns->owner_uid >= 0) {	/* not the initial user namespace */
		attr_d(w, "owner-uid", ns->owner_uid);
		attr_opt(w, "owner", ns->owner);
	}
	for (size_t k = 0; k < ns->names.n; k++)
		text_elem(w, "name", ns->names.v[k]);
	if (ns->pids.n) {
		start(w, "pids");
		attr_u(w, "count", "", ns->pids.n);
		text_open(w);
		for (size_t k = 0; k < ns->pids.n; k++) {
			if (k)
				PUTS(w, " ");
			put_d(w, ns->pids.v[k]);
		}
		end(w, "pids");
	}
	for (size_t k = nm->first[i]; k < nm->first[i + 1]; k++)
		add_container(w, &t->ctrs[nm->by_ns[k]]);
	end(w, "netns");
}

static void add_iface(struct xw *w, const struct topo *t, const struct names *nm, size_t i)
{
	const struct iface *x = &t->ifs[i];
	const char *ctr = nm->ctr[x->ns];
	long m = topo_master(t, i);

	start(w, "interface");
	attr_u(w, "id", "if", i);
	attr_u(w, "netns", "ns", x->ns);
	attr_u(w, "netns-inode", "", (unsigned long long)t->ns[x->ns].ino);
	attr_d(w, "ifindex", x->ifindex);
	attr(w, "name", x->name);
	attr(w, "kind", x->kind);
	attr_opt(w, "slave-kind", x->slave_kind);
	attr_opt(w, "mac", x->mac);
	attr_u(w, "mtu", "", x->mtu);
	attr_u(w, "flags", "", x->flags);
	attr_bool(w, "up", iface_up(x));
	attr(w, "oper", x->oper);
	attr_bool(w, "promisc", iface_promisc(x));
	attr_u(w, "promiscuity", "", x->promiscuity);
	if (x->master)
		attr_d(w, "master", x->master);
	if (m >= 0) {
		attr_u(w, "master-if", "if", (unsigned long long)m);
		attr(w, "master-name", t->ifs[m].name);
	}
	attr_bool(w, "hairpin", x->hairpin);
	if (x->link)
		attr_d(w, "link", x->link);
	if (x->has_link_netnsid)
		attr_d(w, "link-netnsid", x->link_netnsid);
	if (x->peer >= 0) {
		attr_u(w, "peer", "if", (unsigned long long)x->peer);
		attr_iface_ref(w, "peer-ref", t, nm, (size_t)x->peer);
	}
	if (ctr)
		attr(w, "container", ctr);
	attr_iface_ref(w, "ref", t, nm, i);
	for (size_t k = 0; k < x->naddrs; k++) {
		start(w, "address");
		attr(w, "family", x->addrs[k].family == AF_INET6 ? "inet6" : "inet");
		text(w, x->addrs[k].text);
		end(w, "address");
	}
	for (size_t k = 0; k < t->ntaps; k++) {	/* the processes at a tun/tap's other end */
		const struct tap_holder *h = &t->taps[k];
		long hns;

		if (nm->tap_if[k] != (long)i)
			continue;
		start(w, "holder");
		attr_d(w, "pid", h->pid);
		attr(w, "comm", h->comm);
		if (h->holder_netns)
			attr_u(w, "netns-inode", "", (unsigned long long)h->holder_netns);
		hns = h->holder_netns ? topo_find_ns(t, 0, h->holder_netns) : -1;
		if (hns >= 0 && nm->ctr[hns])
			attr(w, "container", nm->ctr[hns]);
		end(w, "holder");
	}
	end(w, "interface");
}

static void add_inventory(struct xw *w, const struct topo *t)
{
	struct names nm;

	names_init(&nm, t);
	start(w, "inventory");
	for (size_t i = 0; i < t->nns; i++)
		add_netns(w, t, &nm, i);
	for (size_t k = 0; k < t->nctrs; k++)
		if (t->ctrs[k].ns < 0 || (size_t)t->ctrs[k].ns >= t->nns)
			add_container(w, &t->ctrs[k]);
	for (size_t i = 0; i < t->nifs; i++)
		add_iface(w, t, &nm, i);
	for (size_t e = 0; e < t->nedges; e++) {
		const struct edge *d = &t->edges[e];

		start(w, "edge");
		attr(w, "type", edge_type_names[d->type]);
		attr_u(w, "a", "if", d->a);
		attr_u(w, "b", "if", d->b);
		attr_iface_ref(w, "a-ref", t, &nm, d->a);
		attr_iface_ref(w, "b-ref", t, &nm, d->b);
		end(w, "edge");
	}
	for (size_t u = 0; u < t->nunres; u++) {
		start(w, "unresolved");
		attr_u(w, "if", "if", t->unres[u].ifc);
		attr_iface_ref(w, "ref", t, &nm, t->unres[u].ifc);
		text(w, t->unres[u].reason);
		end(w, "unresolved");
	}
	for (size_t k = 0; k < t->ntaps; k++) {	/* tun/tap holders not placed */
		const struct tap_holder *h = &t->taps[k];

		if (nm.tap_if[k] >= 0)
			continue;
		start(w, "unresolved-holder");
		attr_d(w, "pid", h->pid);
		attr(w, "comm", h->comm);
		attr(w, "ifname", h->ifname);
		text(w, *h->reason ? h->reason : "no such device in its namespace's dump");
		end(w, "unresolved-holder");
	}
	end(w, "inventory");
	names_release(&nm);
}

static void add_findings(struct xw *w, const struct findings *f)
{
	size_t count[3] = { 0, 0, 0 };

	start(w, "findings");
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];

		start(w, "finding");
		attr(w, "rule", x->rule);
		attr(w, "severity", severity_names[x->sev]);
		text_elem(w, "message", x->message);
		for (size_t k = 0; k < x->objects.n; k++)
			text_elem(w, "object", x->objects.v[k]);
		for (size_t k = 0; k < x->evidence.n; k++)
			text_elem(w, "evidence", x->evidence.v[k]);
		count[x->sev]++;
		end(w, "finding");
	}
	end(w, "findings");
	start(w, "summary");
	attr_u(w, "findings", "", f->n);
	for (int s = SEV_INFO; s <= SEV_ERROR; s++) {
		start(w, "count");
		attr(w, "severity", severity_names[s]);
		text_open(w);
		put_u(w, "", count[s]);
		end(w, "count");
	}
	end(w, "summary");
}

static void add_changes(struct xw *w, const struct changes *c, long long prev_id)
{
	start(w, "changes");
	if (prev_id > 0)
		attr_d(w, "previous-scan", prev_id);
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];
		char op[2] = { x->op, '\0' };

		start(w, "change");
		attr(w, "op", op);
		attr(w, "kind", x->kind);
		attr(w, "object", x->object);
		text(w, x->detail);
		end(w, "change");
	}
	end(w, "changes");
}

char *report_xml(const struct topo *t, const struct findings *f, const struct changes *c,
		 long long prev_id, size_t *len)
{
	struct xw w = { 0 };

	w.buf = grow(NULL, &w.alloc, (size_t)1 << 16, 1);
	PUTS(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	start(&w, "vethmap-report");
	attr(&w, "format", REPORT_FORMAT);
	add_scan(&w, t);
	add_inventory(&w, t);
	add_findings(&w, f);
	add_changes(&w, c, prev_id);
	end(&w, "vethmap-report");
	w.buf[w.len] = '\0';
	*len = w.len;
	return w.buf;
}
