/*
 * audit_test.c: unit tests of the audit rules (audit.c) and of the report's XML
 * (report_xml.c), without root.  Each case starts from one clean hand-built snapshot
 * (a host with lo, eth0 and a bridge br0 whose two ports are veths to two container
 * namespaces), sets one fault in it, and checks that exactly the expected rule fires with
 * the expected objects.  The clean snapshot itself must give no finding at all.  A hostile
 * snapshot (names with markup, control characters, invalid UTF-8) must still give a
 * report valid against schema/vethmap-report.xsd, laid out byte for byte as libxml2 lays
 * out a formatted document.
 * Prints one "ok - NAME" / "not ok - NAME: why" line per check.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "report.h"
#include "vethmap.h"
#include "unit.h"

#define F_UP 0x1u
#define F_LOOPBACK 0x8u
#define F_PROMISC 0x100u


static void check(int cond, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));


/* The faults a case can set in the clean snapshot. */
enum fault {
	CLEAN, UNRESOLVED, LINK_UNRESOLVED, VETH_MTU, BRIDGE_MTU, DOWN, PROMISC,
	PROMISC_COUNT, PROMISC_PORT, UNATTACHED, EMPTY_BRIDGE, LEAKED, LEAKED_FD, MAC_DUP,
	MAC_DUP_BRIDGE, MAC_OTHER_DOMAIN, MAC_ZERO, IP_DUP, IP_LINKLOCAL, HOST_NET, SHARED,
	HAIRPIN, DUMP_FAILED, FOREIGN_NAME, FOREIGN_OTHER, INCOMPLETE,
};

/* Namespaces in topo_sort order (host first, then by inode): indices stay as added. */
enum { NS_HOST, NS_C1, NS_C2, NS_LEAK };

static size_t add_ns(struct topo *t, uint64_t ino, int host, unsigned via, int pid,
		     const char *name)
{
	size_t n = topo_add_ns(t, 4, ino);

	t->ns[n].is_host = host;
	t->ns[n].via = via;
	if (pid)
		intv_add(&t->ns[n].pids, pid);
	if (name)
		strv_add(&t->ns[n].names, name);
	return n;
}

static void add_if(struct topo *t, size_t ns, int ifindex, const char *name, const char *kind,
		   const char *mac, unsigned mtu, unsigned flags, const char *addr1,
		   const char *addr2)
{
	struct iface *f = topo_add_iface(t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	copy_str(f->mac, sizeof(f->mac), mac);
	f->mtu = mtu;
	f->flags = flags;
	copy_str(f->oper, sizeof(f->oper), flags & F_UP ? "up" : "down");
	if (addr1)
		iface_add_addr(f, strchr(addr1, ':') ? AF_INET6 : AF_INET, 0, addr1);
	if (addr2)
		iface_add_addr(f, strchr(addr2, ':') ? AF_INET6 : AF_INET, 0, addr2);
}

static long find(const struct topo *t, size_t ns, const char *name)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].ns == ns && !strcmp(t->ifs[i].name, name))
			return (long)i;
	return -1;
}

static struct iface *ifc(struct topo *t, size_t ns, const char *name)
{
	long i = find(t, ns, name);

	if (i < 0) {
		printf("not ok - fixture: no interface %s\n", name);
		exit(1);
	}
	return &t->ifs[i];
}

static void veth(struct topo *t, size_t na, const char *a, size_t nb, const char *b)
{
	long x = find(t, na, a), y = find(t, nb, b);

	topo_add_edge(t, EDGE_VETH, (size_t)x, (size_t)y);
	t->ifs[x].peer = y;
	t->ifs[y].peer = x;
	t->ifs[x].link = t->ifs[y].ifindex;
	t->ifs[y].link = t->ifs[x].ifindex;
}

static void port(struct topo *t, const char *p, const char *br)
{
	long x = find(t, NS_HOST, p), y = find(t, NS_HOST, br);

	t->ifs[x].master = t->ifs[y].ifindex;
	copy_str(t->ifs[x].slave_kind, sizeof(t->ifs[x].slave_kind), "bridge");
	topo_add_edge(t, EDGE_BRIDGE, (size_t)x, (size_t)y);
}

static void container(struct topo *t, const char *name, long ns, int host_net)
{
	struct container *c = topo_add_container(t, "docker", name);

	copy_str(c->name, sizeof(c->name), name);
	c->ns = ns;
	c->pid = 100;
	c->host_net = host_net;
	copy_str(c->netmode, sizeof(c->netmode), host_net ? "host" : "bridge");
}

/*
 * The clean snapshot, with one fault.  The bridge's MAC is its first port's (as the
 * kernel does), every MTU agrees, everything is up, the link-local IPv6 addresses repeat
 * across the domain: none of that is a finding.
 */
static void build(struct topo *t, enum fault f)
{
	const unsigned up = F_UP;

	topo_release(t);
	topo_init(t);
	add_ns(t, 1000, 1, VIA_SELF | VIA_PROC, 1, NULL);
	add_ns(t, 2000, 0, f == LEAKED ? VIA_MOUNT : f == LEAKED_FD ? VIA_FD : VIA_PROC,
	       f == LEAKED || f == LEAKED_FD ? 0 : 42, "/run/netns/c1");
	add_ns(t, 3000, 0, VIA_PROC, 43, NULL);

	add_if(t, NS_HOST, 1, "lo", "loopback", "00:00:00:00:00:00", 65536, up | F_LOOPBACK,
	       "127.0.0.1/8", "::1/128");
	add_if(t, NS_HOST, 2, "eth0", "device", "52:54:00:12:34:56", 1500,
	       up | (f == PROMISC ? F_PROMISC : 0), "192.168.1.10/24", "fe80::1/64");
	add_if(t, NS_HOST, 3, "br0", "bridge", "02:00:00:00:0a:01", 1500, up, "10.0.0.1/24",
	       "fe80::1/64");
	add_if(t, NS_HOST, 4, "vethA", "veth", "02:00:00:00:0a:01", 1500,
	       up | (f == PROMISC_PORT ? F_PROMISC : 0), "fe80::1/64", NULL);
	add_if(t, NS_HOST, 5, "vethB", "veth", "02:00:00:00:0b:01", f == BRIDGE_MTU ? 9000 : 1500,
	       up, "fe80::2/64", NULL);
	if (f == EMPTY_BRIDGE)
		add_if(t, NS_HOST, 6, "br1", "bridge", "02:00:00:00:0c:01", 1500, up, NULL, NULL);
	add_if(t, NS_C1, 1, "lo", "loopback", "00:00:00:00:00:00", 65536, up | F_LOOPBACK,
	       "127.0.0.1/8", NULL);
	add_if(t, NS_C1, 2, "eth0", "veth",
	       f == MAC_DUP_BRIDGE ? "02:00:00:00:0a:01" :
	       f == MAC_OTHER_DOMAIN ? "52:54:00:12:34:56" :
	       f == MAC_ZERO ? "00:00:00:00:00:00" : "02:00:00:00:0a:02",
	       f == VETH_MTU ? 1400 : 1500, f == DOWN ? 0 : up, "10.0.0.2/24",
	       f == IP_LINKLOCAL ? "fe80::99/64" : "fe80::1/64");
	if (f == LINK_UNRESOLVED)
		add_if(t, NS_C1, 3, "mv0", "macvlan", "02:00:00:00:0a:03", 1500, up, NULL, NULL);
	add_if(t, NS_C2, 1, "lo", "loopback", "", 65536, up | F_LOOPBACK, "127.0.0.1/8", NULL);
	add_if(t, NS_C2, 2, "eth0", "veth",
	       f == MAC_DUP ? "02:00:00:00:0a:02" : f == MAC_ZERO ? "00:00:00:00:00:00" :
	       "02:00:00:00:0b:02", f == BRIDGE_MTU ? 9000 : 1500, up,
	       f == IP_DUP ? "10.0.0.2/16" : "10.0.0.3/24",
	       f == IP_LINKLOCAL ? "fe80::99/64" : "fe80::2/64");
	if (f == LEAKED || f == LEAKED_FD)
		add_ns(t, 4000, 0, VIA_MOUNT, 0, "/run/netns/spare");
	topo_sort(t);

	veth(t, NS_HOST, "vethA", NS_C1, "eth0");
	if (f == UNRESOLVED) {
		ifc(t, NS_HOST, "vethB")->link = 2;
		ifc(t, NS_HOST, "vethB")->has_link_netnsid = 1;
		ifc(t, NS_HOST, "vethB")->link_netnsid = 7;
		topo_add_unresolved(t, (size_t)find(t, NS_HOST, "vethB"),
				    "peer ifindex 2 in nsid 7: no such veth in any discovered namespace");
		ifc(t, NS_C2, "eth0")->link = 5;
		ifc(t, NS_C2, "eth0")->has_link_netnsid = 1;
		ifc(t, NS_C2, "eth0")->link_netnsid = 0;
		topo_add_unresolved(t, (size_t)find(t, NS_C2, "eth0"),
				    "peer ifindex 5 in nsid 0: no such veth in any discovered namespace");
	} else {
		veth(t, NS_HOST, "vethB", NS_C2, "eth0");
	}
	port(t, "vethA", "br0");
	if (f != UNATTACHED)
		port(t, "vethB", "br0");
	if (f == LINK_UNRESOLVED) {
		ifc(t, NS_C1, "mv0")->link = 99;
		topo_add_unresolved(t, (size_t)find(t, NS_C1, "mv0"),
				    "lower device ifindex 99 not found");
	}
	if (f == PROMISC_COUNT)
		ifc(t, NS_HOST, "eth0")->promiscuity = 1;
	if (f == PROMISC_PORT)
		ifc(t, NS_HOST, "vethA")->promiscuity = 1;
	if (f == HAIRPIN)
		ifc(t, NS_HOST, "vethA")->hairpin = 1;
	if (f == DUMP_FAILED)
		t->ns[NS_C2].dump_error = 24;	/* EMFILE */
	if (f == FOREIGN_NAME || f == FOREIGN_OTHER)
		ns_add_mount(t, NS_C2, f == FOREIGN_NAME ? "/run/netns/prod" : "/run/docker/netns/x",
			     4026532300ULL, 4242, 0);
	if (f == INCOMPLETE) {
		t->missed = 3;
		copy_str(t->incomplete_reason, sizeof(t->incomplete_reason), "out of file descriptors");
		t->scan_id = 7;
	}

	container(t, "web", NS_C1, 0);
	container(t, "db", NS_C2, 0);
	if (f == HOST_NET)
		container(t, "hostc", NS_HOST, 1);
	if (f == SHARED)
		container(t, "sidecar", NS_C1, 0);
}

/* Findings of one rule, as "sev|obj1,obj2,..." lines. */
static void describe(const struct findings *fs, const char *rule, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < fs->n && n < size; i++) {
		const struct finding *f = &fs->v[i];

		if (strcmp(f->rule, rule))
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s|", n ? ";" : "", severity_names[f->sev]);
		for (size_t k = 0; k < f->objects.n && n < size; k++)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", k ? "," : "", f->objects.v[k]);
	}
}

static int has_evidence(const struct findings *fs, const char *rule, const char *ev)
{
	for (size_t i = 0; i < fs->n; i++)
		for (size_t k = 0; k < fs->v[i].evidence.n; k++)
			if (!strcmp(fs->v[i].rule, rule) && !strcmp(fs->v[i].evidence.v[k], ev))
				return 1;
	return 0;
}

/* Rules other than `rule` that fired, comma-separated. */
static void others(const struct findings *fs, const char *rule, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < fs->n && n < size; i++)
		if (strcmp(fs->v[i].rule, rule))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", fs->v[i].rule);
}

struct rule_case {
	enum fault fault;
	const char *rule;
	const char *expect;	/* describe() of that rule */
	const char *evidence;	/* one expected evidence line, or NULL */
};

static const struct rule_case cases[] = {
	{ UNRESOLVED, "veth-peer-unresolved", "error|host:vethB;error|db:eth0",
	  "reason=peer ifindex 2 in nsid 7: no such veth in any discovered namespace" },
	{ LINK_UNRESOLVED, "link-unresolved", "warning|web:mv0",
	  "reason=lower device ifindex 99 not found" },
	{ VETH_MTU, "veth-mtu-mismatch", "warning|host:vethA,web:eth0", "web:eth0 mtu=1400" },
	{ BRIDGE_MTU, "bridge-mtu-mismatch", "warning|host:br0,host:vethA,host:vethB",
	  "host:vethB mtu=9000" },
	{ DOWN, "veth-down-peer-up", "warning|web:eth0,host:vethA", "web:eth0 up=false oper=down" },
	{ PROMISC, "promisc-not-bridged", "warning|host:eth0", "flags.promisc=true" },
	{ PROMISC_COUNT, "promisc-not-bridged", "info|host:eth0", "promiscuity=1" },
	{ PROMISC_PORT, "promisc-not-bridged", "", NULL },
	{ UNATTACHED, "host-veth-unattached", "warning|host:vethB,db:eth0", "master=none" },
	{ EMPTY_BRIDGE, "bridge-no-ports", "info|host:br1", "ports=0" },
	{ LEAKED, "netns-leaked", "warning|netns:2000;warning|netns:4000", "name=/run/netns/spare" },
	{ LEAKED_FD, "netns-leaked", "warning|netns:2000;warning|netns:4000", "via=fd" },
	{ MAC_DUP, "mac-duplicate-in-domain", "error|web:eth0,db:eth0", "db:eth0 mac=02:00:00:00:0a:02" },
	{ MAC_DUP_BRIDGE, "mac-duplicate-in-domain", "error|host:vethA,web:eth0",
	  "bridge=host:br0" },
	{ MAC_OTHER_DOMAIN, "mac-duplicate-in-domain", "", NULL },
	{ MAC_ZERO, "mac-duplicate-in-domain", "", NULL },
	{ IP_DUP, "ip-duplicate-in-domain", "error|web:eth0,db:eth0", "db:eth0 addr=10.0.0.2" },
	{ IP_LINKLOCAL, "ip-duplicate-in-domain", "", NULL },
	{ HOST_NET, "container-host-network", "info|container:hostc", "network_mode=host" },
	{ SHARED, "netns-shared", "info|netns:2000,container:web,container:sidecar",
	  "container:sidecar engine=docker sandbox=false network_mode=bridge" },
	{ HAIRPIN, "bridge-hairpin", "info|host:vethA,host:br0", "hairpin=true" },
	{ DUMP_FAILED, "netns-dump-failed", "error|netns:3000", "errno=24" },
	{ FOREIGN_NAME, "netns-name-foreign", "warning|netns:3000", "pid=4242" },
	{ FOREIGN_OTHER, "netns-name-foreign", "", NULL },
	{ INCOMPLETE, "scan-incomplete", "error|scan:7", "reason=out of file descriptors" },
};

static void test_rules(struct topo *t)
{
	struct findings fs = { 0 };
	char got[1024], other[1024], name[160];

	build(t, CLEAN);
	audit_run(t, &fs);
	others(&fs, "", got, sizeof(got));
	check(fs.n == 0, "clean snapshot: no finding", "got %s", got);
	findings_release(&fs);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rule_case *c = &cases[i];

		build(t, c->fault);
		audit_run(t, &fs);
		describe(&fs, c->rule, got, sizeof(got));
		snprintf(name, sizeof(name), "case %zu: %s %s", i, c->rule,
			 *c->expect ? "fires on its objects" : "does not fire");
		check(!strcmp(got, c->expect), name, "expected [%s] got [%s]", c->expect, got);
		if (c->evidence) {
			snprintf(name, sizeof(name), "case %zu: %s evidence", i, c->rule);
			check(has_evidence(&fs, c->rule, c->evidence), name, "no evidence '%s'",
			      c->evidence);
		}
		others(&fs, c->rule, other, sizeof(other));
		snprintf(name, sizeof(name), "case %zu: %s: no other rule fires", i, c->rule);
		check(!*other, name, "also fired: %s", other);
		findings_release(&fs);
	}
}

/*
 * A host whose only bridge has no port, no address and a zero MAC: the duplicate rules
 * find no member in its domain (an empty array, NULL: under UBSan, qsort(NULL, 0) was
 * fatal, as a bridge made during t_stress's churn showed).  Only bridge-no-ports fires.
 */
static void test_lone_bridge(struct topo *t)
{
	struct findings fs = { 0 };
	char got[1024];

	topo_release(t);
	topo_init(t);
	add_ns(t, 1000, 1, VIA_SELF, 1, NULL);
	add_if(t, NS_HOST, 1, "lo", "loopback", "", 65536, F_UP | F_LOOPBACK, NULL, NULL);
	add_if(t, NS_HOST, 5, "br9", "bridge", "00:00:00:00:00:00", 1500, 0, NULL, NULL);
	topo_sort(t);
	audit_run(t, &fs);
	others(&fs, "bridge-no-ports", got, sizeof(got));
	check(!*got, "lone bridge with no member: no duplicate rule fires", "also fired: %s", got);
	describe(&fs, "bridge-no-ports", got, sizeof(got));
	check(*got != '\0', "lone bridge with no member: bridge-no-ports fires", "got nothing");
	findings_release(&fs);
}

/* A veth end down with its peer down too, and both ends up: no finding either way. */
static void test_down_both(struct topo *t)
{
	struct findings fs = { 0 };

	build(t, DOWN);
	ifc(t, NS_HOST, "vethA")->flags &= ~F_UP;
	audit_run(t, &fs);
	check(fs.n == 0, "both veth ends down: no veth-down-peer-up", "%zu findings", fs.n);
	findings_release(&fs);
}

static void test_clean_text(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "eth0", "eth0" },
		{ "a<b>&\"'$", "a<b>&\"'$" },		/* markup is libxml2's job */
		{ "x\x01y\x7f", "x\\x01y\\x7f" },
		{ "tab\tnl\n", "tab\\x09nl\\x0a" },
		{ "bad\xff\xfe", "bad\\xff\\xfe" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },		/* valid UTF-8 is kept */
		{ "\xc3", "\\xc3" },				/* truncated sequence */
		{ "\xc0\xaf", "\\xc0\\xaf" },			/* overlong */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },		/* surrogate */
		{ "\xc2\x85", "\\xc2\\x85" },			/* C1 control */
		{ "\xef\xbf\xbf", "\\xef\\xbf\\xbf" },		/* U+FFFF */
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },	/* U+1F600 */
		{ "back\\slash", "back\\\\slash" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *c = report_clean(v[i].in), name[64];

		snprintf(name, sizeof(name), "report_clean case %zu", i);
		check(!strcmp(c, v[i].out), name, "got [%s] expected [%s]", c, v[i].out);
		free(c);
	}
}

static int xpath_count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
	int n = r ? (int)xmlXPathCastToNumber(r) : -1;

	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return n;
}

static char *xpath_string(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
	xmlChar *s = r ? xmlXPathCastToString(r) : NULL;
	char *out = s ? xstrdup((const char *)s) : NULL;

	xmlFree(s);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return out;
}

/* The report's elements that hold text (an empty one is "<x></x>", not "<x/>"). */
static int text_element(const xmlChar *name)
{
	static const char *const v[] = { "name", "pids", "address", "unresolved",
		"unresolved-holder", "message", "object", "evidence", "count", "change" };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcmp((const char *)name, v[i]))
			return 1;
	return 0;
}

static void add_empty_texts(xmlDocPtr doc, xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!n->children && text_element(n->name))
			xmlAddChild(n, xmlNewDocText(doc, (const xmlChar *)""));
		add_empty_texts(doc, n->children);
	}
}

/*
 * report_xml() writes the layout of libxml2's formatted output: the document read back
 * and written by xmlDocDumpFormatMemoryEnc() gives the same bytes.  (So the report is
 * what it was when a libxml2 tree was built and dumped.)
 */
static void check_layout(const char *mem, size_t len)
{
	xmlDocPtr doc = xmlReadMemory(mem, (int)len, NULL, NULL, XML_PARSE_NONET |
				      XML_PARSE_NOBLANKS);
	xmlChar *out = NULL;
	int olen = 0;
	size_t k = 0;

	if (doc) {
		add_empty_texts(doc, xmlDocGetRootElement(doc));
		xmlDocDumpFormatMemoryEnc(doc, &out, &olen, "UTF-8", 1);
	}
	while (out && k < len && k < (size_t)olen && mem[k] == (char)out[k])
		k++;
	check(out && (size_t)olen == len && k == len, "report: libxml2's formatted layout, byte for byte",
	      "first difference at byte %zu of %zu (libxml2: %d): [%.40s] vs [%.40s]", k, len,
	      olen, mem + k, out ? (const char *)out + k : "(none)");
	xmlFree(out);
	xmlFreeDoc(doc);
}

/* The report of a hostile snapshot serialises, parses back, and is valid. */
static void test_report_valid(struct topo *t)
{
	static const char *const schema_path = "schema/vethmap-report.xsd";
	struct findings fs = { 0 };
	struct changes ch = { 0 };
	xmlSchemaParserCtxtPtr pctx;
	xmlSchemaValidCtxtPtr vctx;
	xmlSchemaPtr schema;
	xmlDocPtr back;
	size_t len = 0;
	char *mem;
	int rc;

	build(t, MAC_DUP);
	copy_str(t->host, sizeof(t->host), "h\x01<&>\"'\xff");
	copy_str(t->started, sizeof(t->started), "2024-01-01T00:00:00.000Z");
	t->scan_id = 7;
	copy_str(ifc(t, NS_HOST, "vethA")->name, IFNAME_MAX, "v<&\"'$\x01\xff\\");
	strv_add(&t->ns[NS_C2].names, "/run/netns/\xc3(\x1b[31m");
	copy_str(t->ctrs[0].name, sizeof(t->ctrs[0].name), "w]]>\xfe");
	copy_str(t->ctrs[0].image, sizeof(t->ctrs[0].image), "img\x7f");
	audit_run(t, &fs);
	ch.v = xcalloc(2, sizeof(*ch.v));
	ch.n = ch.alloc = 2;
	ch.v[0].op = '+';
	copy_str(ch.v[0].kind, sizeof(ch.v[0].kind), "interface");
	ch.v[0].object = xstrdup("web:eth\x02");
	ch.v[0].detail = xstrdup("");
	ch.v[1].op = '~';
	copy_str(ch.v[1].kind, sizeof(ch.v[1].kind), "interface");
	ch.v[1].object = xstrdup("host:eth0");
	ch.v[1].detail = xstrdup("mtu 1500 -> 9000 & <more>");

	mem = report_xml(t, &fs, &ch, 6, &len);
	check(len > 0 && strlen(mem) == len, "report: serialises", "%zu bytes", len);
	back = xmlReadMemory(mem, (int)len, "report.xml", NULL, XML_PARSE_NONET);
	check_layout(mem, len);
	check(back != NULL, "report: hostile names still well-formed", "does not parse back");
	if (back) {
		char *name = xpath_string(back, "string(//interface[starts-with(@name, 'v<&')]/@name)");

		check(name && !strcmp(name, "v<&\"'$\\x01\\xff\\\\"),
		      "report: hostile interface name round-trips escaped", "got [%s]",
		      name ? name : "(none)");
		free(name);
		check(xpath_count(back, "count(//finding[@rule='mac-duplicate-in-domain'])") == 1,
		      "report: finding present", "missing");
		check(xpath_count(back, "count(//changes[@previous-scan='6']/change)") == 2,
		      "report: changes present", "missing");
		check(xpath_count(back, "sum(//summary/count)") == (int)fs.n,
		      "report: summary counts add up", "mismatch");
	}
	if (access(schema_path, R_OK)) {
		printf("skip - report: valid against the schema: %s not found (run from the "
		       "repository root)\n", schema_path);
	} else {
		pctx = xmlSchemaNewParserCtxt(schema_path);
		schema = pctx ? xmlSchemaParse(pctx) : NULL;
		vctx = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
		rc = vctx && back ? xmlSchemaValidateDoc(vctx, back) : -1;
		check(rc == 0, "report: hostile snapshot valid against the schema", "rc %d", rc);
		xmlSchemaFreeValidCtxt(vctx);
		xmlSchemaFree(schema);
		xmlSchemaFreeParserCtxt(pctx);
	}
	free(mem);
	xmlFreeDoc(back);
	findings_release(&fs);
	changes_release(&ch);
}

int main(void)
{
	struct topo t;

	LIBXML_TEST_VERSION
	topo_init(&t);
	test_rules(&t);
	test_down_both(&t);
	test_lone_bridge(&t);
	test_clean_text();
	test_report_valid(&t);
	topo_release(&t);
	xmlCleanupParser();
	return unit_failures ? 1 : 0;
}
