/*
 * history_test.c: history_apply() (history.c), the replay of watch's events on a scan
 * JSON document, without root: a checkpoint of two namespaces and a veth pair, and the
 * events of a watch as it stores them (the JSON line, the object's scan JSON after it):
 * a namespace added with an interface, an mtu changed, the host end renamed (its edge
 * deleted and added), a container added and removed, a namespace deleted.  Each result
 * is read back by json_load_text, as 'show --at' does.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"
#include "unit.h"

static const char checkpoint[] =
	"{\"scan\": {\"id\": 7, \"host\": \"unit\", \"started\": \"2026-12-02T00:00:00.000Z\","
	" \"duration_ms\": 1.5},"
	" \"netns\": [{\"inode\": 100, \"host\": true, \"names\": [], \"via\": [\"self\"],"
	"  \"pids\": [1], \"containers\": [], \"routes\": [{\"family\": 4, \"dst\": \"10.0.0.0/24\","
	"  \"type\": \"unicast\", \"nexthops\": [{\"dev\": \"va\"}]}]},"
	"  {\"inode\": 200, \"host\": false, \"names\": [\"/run/netns/a\"], \"via\": [\"mount\"],"
	"  \"pids\": [], \"containers\": []}],"
	" \"interfaces\": ["
	"  {\"netns\": 100, \"ifindex\": 1, \"name\": \"lo\", \"kind\": \"loopback\", \"mtu\": 65536,"
	"   \"up\": true, \"oper\": \"unknown\", \"addrs\": [\"127.0.0.1/8\"]},"
	"  {\"netns\": 100, \"ifindex\": 5, \"name\": \"va\", \"kind\": \"veth\", \"mtu\": 1500,"
	"   \"up\": true, \"oper\": \"up\", \"addrs\": []},"
	"  {\"netns\": 200, \"ifindex\": 1, \"name\": \"lo\", \"kind\": \"loopback\", \"mtu\": 65536,"
	"   \"up\": false, \"oper\": \"down\", \"addrs\": []},"
	"  {\"netns\": 200, \"ifindex\": 2, \"name\": \"vb\", \"kind\": \"veth\", \"mtu\": 1500,"
	"   \"up\": true, \"oper\": \"up\", \"addrs\": []},"
	"  {\"netns\": 200, \"ifindex\": 3, \"name\": \"vc\", \"kind\": \"veth\", \"mtu\": 1500,"
	"   \"up\": false, \"oper\": \"down\", \"addrs\": []}],"
	" \"edges\": [{\"id\": 1, \"type\": \"veth\", \"a\": {\"netns\": 100, \"name\": \"va\"},"
	"  \"b\": {\"netns\": 200, \"name\": \"vb\"}}],"
	" \"unresolved\": [{\"netns\": 200, \"ifindex\": 3, \"reason\": \"no peer found\"}]}";

#define NS3 "{\"inode\": 300, \"host\": false, \"names\": [\"/run/netns/b\"], \"via\": [\"mount\"]," \
	" \"pids\": [], \"containers\": [%s]}"
#define WEB "{\"engine\": \"docker\", \"id\": \"abc\", \"name\": \"web\", \"pid\": 42," \
	" \"verified\": true}"
#define IF(ns, ix, name, mtu) "{\"netns\": " #ns ", \"ifindex\": " #ix ", \"name\": \"" name \
	"\", \"kind\": \"veth\", \"mtu\": " #mtu ", \"up\": true, \"oper\": \"up\", \"addrs\": []}"

static char ns3_empty[512], ns3_web[512];

/* The events of the churn above, in the order a watch stores them */
static struct hist_event events[] = {
	{ "{\"time\": \"t1\", \"op\": \"add\", \"type\": \"netns\", \"inode\": 300, \"host\": false,"
	  " \"object\": \"b\"}", ns3_empty },
	{ "{\"time\": \"t1\", \"op\": \"add\", \"type\": \"interface\", \"netns\": 300, \"name\": \"eth0\","
	  " \"ifindex\": 2, \"object\": \"b:eth0\"}", IF(300, 2, "eth0", 1500) },
	{ "{\"time\": \"t2\", \"op\": \"change\", \"type\": \"interface\", \"netns\": 100, \"name\": \"va\","
	  " \"ifindex\": 5, \"object\": \"host:va\", \"field\": \"mtu\", \"before\": \"1500\","
	  " \"after\": \"9000\"}", IF(100, 5, "va", 9000) },
	/* 3: the rename of va to vx */
	{ "{\"time\": \"t3\", \"op\": \"del\", \"type\": \"interface\", \"netns\": 100, \"name\": \"va\","
	  " \"ifindex\": 5, \"object\": \"host:va\"}", NULL },
	{ "{\"time\": \"t3\", \"op\": \"add\", \"type\": \"interface\", \"netns\": 100, \"name\": \"vx\","
	  " \"ifindex\": 5, \"object\": \"host:vx\"}", IF(100, 5, "vx", 9000) },
	{ "{\"time\": \"t3\", \"op\": \"del\", \"type\": \"edge\", \"edge_type\": \"veth\", \"a\":"
	  " {\"netns\": 100, \"name\": \"va\"}, \"b\": {\"netns\": 200, \"name\": \"vb\"},"
	  " \"object\": \"veth host:va <-> a:vb\"}", NULL },
	{ "{\"time\": \"t3\", \"op\": \"add\", \"type\": \"edge\", \"edge_type\": \"veth\", \"a\":"
	  " {\"netns\": 100, \"name\": \"vx\"}, \"b\": {\"netns\": 200, \"name\": \"vb\"},"
	  " \"object\": \"veth host:vx <-> a:vb\"}",
	  "{\"id\": 4, \"type\": \"veth\", \"a\": {\"netns\": 100, \"name\": \"vx\"}, \"b\":"
	  " {\"netns\": 200, \"name\": \"vb\"}}" },
	/* 7: a container into b */
	{ "{\"time\": \"t4\", \"op\": \"add\", \"type\": \"container\", \"engine\": \"docker\","
	  " \"name\": \"web\", \"id\": \"abc\", \"netns\": 300, \"object\": \"docker:web\"}", ns3_web },
	/* 8: namespace a deleted: its interfaces (the edge's del left out: it goes with vb) */
	{ "{\"time\": \"t5\", \"op\": \"del\", \"type\": \"netns\", \"inode\": 200, \"object\": \"a\"}",
	  NULL },
	{ "{\"time\": \"t5\", \"op\": \"del\", \"type\": \"interface\", \"netns\": 200, \"name\": \"lo\","
	  " \"object\": \"a:lo\"}", NULL },
	{ "{\"time\": \"t5\", \"op\": \"del\", \"type\": \"interface\", \"netns\": 200, \"name\": \"vb\","
	  " \"object\": \"a:vb\"}", NULL },
	/* 11: the container gone */
	{ "{\"time\": \"t6\", \"op\": \"del\", \"type\": \"container\", \"engine\": \"docker\","
	  " \"name\": \"web\", \"id\": \"abc\", \"netns\": 300, \"object\": \"docker:web\"}", NULL },
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

/* The document after the first n events, read back into t; 0 when both worked. */
static int replay(size_t n, struct topo *t)
{
	char *doc = history_apply(checkpoint, events, n);
	int rc;

	topo_init(t);
	if (!doc)
		return -1;
	rc = json_load_text(doc, strlen(doc), "replayed", t);
	free(doc);
	return rc;
}

static long ifc(const struct topo *t, unsigned long long ino, const char *name)
{
	long ns = topo_find_ns(t, 0, ino);

	return ns < 0 ? -1 : topo_find_ifname(t, (size_t)ns, name);
}

int main(void)
{
	struct topo t;
	long i;
	int ok;

	snprintf(ns3_empty, sizeof(ns3_empty), NS3, "");
	snprintf(ns3_web, sizeof(ns3_web), NS3, WEB);

	ok = !replay(0, &t);
	check(ok && t.nns == 2 && t.nifs == 5 && t.nedges == 1 && t.nunres == 1,
	      "no events: the checkpoint as it was", "%zu ns, %zu ifs, %zu edges, %zu unres",
	      t.nns, t.nifs, t.nedges, t.nunres);
	topo_release(&t);

	ok = !replay(2, &t);
	check(ok && t.nns == 3 && ifc(&t, 300, "eth0") >= 0,
	      "a namespace added, and an interface in it", "%zu ns, eth0 %ld", t.nns,
	      ifc(&t, 300, "eth0"));
	topo_release(&t);

	ok = !replay(3, &t);
	i = ok ? ifc(&t, 100, "va") : -1;
	check(ok && i >= 0 && t.ifs[i].mtu == 9000 && t.nifs == 6,
	      "a change: the interface as the event has it after",
	      "va %ld, mtu %u, %zu ifs", i, i >= 0 ? t.ifs[i].mtu : 0, t.nifs);
	topo_release(&t);

	ok = !replay(7, &t);
	i = ok ? ifc(&t, 100, "vx") : -1;
	check(ok && ifc(&t, 100, "va") < 0 && i >= 0 && t.nedges == 1 &&
	      t.edges[0].a == (size_t)i, "a rename: the old name gone, the "
	      "edge to the new one", "va %ld vx %ld, %zu edges", ifc(&t, 100, "va"), i, t.nedges);
	topo_release(&t);

	ok = !replay(8, &t);
	check(ok && t.nctrs == 1 && !strcmp(t.ctrs[0].name, "web") &&
	      t.ctrs[0].ns == topo_find_ns(&t, 0, 300), "a container added: into its namespace",
	      "%zu containers", t.nctrs);
	topo_release(&t);

	ok = !replay(11, &t);
	check(ok && t.nns == 2 && topo_find_ns(&t, 0, 200) < 0 && t.nifs == 3 &&
	      t.nedges == 0 && t.nunres == 0 && t.nctrs == 1, "a namespace deleted: its "
	      "interfaces, the edge to it and its unresolved end go (no event needed for the last "
	      "two)", "%zu ns, %zu ifs, %zu edges, %zu unres, %zu containers", t.nns, t.nifs,
	      t.nedges, t.nunres, t.nctrs);
	topo_release(&t);

	ok = !replay(NEVENTS, &t);
	check(ok && t.nctrs == 0, "a container gone", "%zu containers",
	      t.nctrs);
	topo_release(&t);

	{
		struct hist_event bad = { "{\"op\": \"add\", \"type\": \"route\"}", NULL };
		char *doc = history_apply(checkpoint, &bad, 1);

		check(!doc, "an event of no known type: refused (said)", "applied");
		free(doc);
	}
	return unit_failures ? 1 : 0;
}
