/*
 * xpair_test.c: the pairing of tunnel devices across hosts (xpair.c) on clusters built by
 * hand with the topo API, no root: vxlan (FDB remotes, VNI, port, local), geneve, GRE
 * keys, ipip, IPv6 written two ways, ambiguity, a remote no host has, a host's own
 * address, multicast groups, hosts of one name, and never by name.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"
#include "unit.h"

static struct topo one;	/* the host being built */

static void host_begin(void)
{
	size_t ns;

	topo_release(&one);
	topo_init(&one);
	ns = topo_add_ns(&one, 1, 4026531840ull);	/* every host's init netns: the same inode */
	one.ns[ns].is_host = 1;
}

static struct iface *dev(const char *name, const char *kind, int ifindex, const char *addr)
{
	struct iface *f = topo_add_iface(&one, 0);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	f->mtu = 1500;
	if (addr)
		iface_add_addr(f, strchr(addr, ':') ? AF_INET6 : AF_INET, 24, addr);
	return f;
}

static struct iface *tun(const char *name, const char *kind, int ifindex, long long id,
			 const char *local, const char *remote, unsigned port, const char *fdb)
{
	struct iface *f = dev(name, kind, ifindex, NULL);

	f->tun.set = 1;
	f->tun.id = id;
	f->tun.okey = -1;
	copy_str(f->tun.local, sizeof(f->tun.local), local);
	copy_str(f->tun.remote, sizeof(f->tun.remote), remote);
	f->tun.port = port;
	if (fdb)
		f->tun.fdb = xstrdup(fdb);
	return f;
}

static void host_end(struct topo *c, const char *name, const char *mid)
{
	size_t h = topo_add_host(c, name, mid);

	topo_sort_ifaces(&one);
	topo_append(c, &one, h);
}

static long find(const struct topo *t, const char *host, const char *name)
{
	for (size_t i = 0; i < t->nifs; i++)
		if (!strcmp(t->ifs[i].name, name) && !strcmp(topo_host_of(t, t->ifs[i].ns), host))
			return (long)i;
	return -1;
}

static int paired(const struct topo *t, const char *ha, const char *a, const char *hb,
		  const char *b)
{
	long x = find(t, ha, a), y = find(t, hb, b);

	for (size_t e = 0; e < t->nxedges; e++)
		if ((t->xedges[e].a == (size_t)x && t->xedges[e].b == (size_t)y) ||
		    (t->xedges[e].a == (size_t)y && t->xedges[e].b == (size_t)x))
			return 1;
	return 0;
}

/* The reasons of host's device name, joined by " | ". */
static const char *why(const struct topo *t, const char *host, const char *name)
{
	static char buf[2048];
	long x = find(t, host, name);

	buf[0] = '\0';
	for (size_t u = 0; u < t->nunres; u++)
		if ((long)t->unres[u].ifc == x) {
			if (*buf)
				strncat(buf, " | ", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, t->unres[u].reason, sizeof(buf) - strlen(buf) - 1);
		}
	return buf;
}

static void done(struct topo *c)
{
	topo_host_labels(c);
	xpair_tunnels(c);
}

static void test_vxlan(void)
{
	struct topo c;

	topo_init(&c);
	host_begin();	/* a: VTEP 10.0.0.1, FDB toward b, c and d, and one more nobody has */
	dev("eth0", "device", 2, "10.0.0.1/24");
	tun("vx0", "vxlan", 3, 42, "10.0.0.1", "", 4789, "10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.9");
	host_end(&c, "a", "");
	host_begin();	/* b: agrees */
	dev("eth0", "device", 2, "10.0.0.2/24");
	tun("vx0", "vxlan", 3, 42, "10.0.0.2", "", 4789, "10.0.0.1");
	tun("flannel", "vxlan", 4, 42, "10.0.0.2", "", 4789, NULL);	/* no remote: no partner */
	host_end(&c, "b", "");
	host_begin();	/* c: VNI 43 */
	dev("eth0", "device", 2, "10.0.0.3/24");
	tun("vx0", "vxlan", 3, 43, "10.0.0.3", "", 4789, "10.0.0.1");
	host_end(&c, "c", "");
	host_begin();	/* d: the right VNI, port 8472 */
	dev("eth0", "device", 2, "10.0.0.4/24");
	tun("vx0", "vxlan", 3, 42, "10.0.0.4", "10.0.0.1", 8472, NULL);
	host_end(&c, "d", "");
	done(&c);
	check(c.nxedges == 1 && paired(&c, "a", "vx0", "b", "vx0"), "vxlan: a and b agree: one edge",
	      "%zu edges", c.nxedges);
	check(!strcmp(c.xedges[0].kind, "vxlan"), "vxlan: the edge's kind", "%s", c.xedges[0].kind);
	check(strstr(why(&c, "a", "vx0"), "remote 10.0.0.3: no device there agrees (c:vx0: VNI 43 "
		     "there, 42 here)") != NULL, "vxlan: VNI mismatch is said", "%s", why(&c, "a", "vx0"));
	check(strstr(why(&c, "a", "vx0"), "remote 10.0.0.4: no device there agrees (d:vx0: port 8472 "
		     "there, 4789 here)") != NULL, "vxlan: port mismatch is said", "%s",
	      why(&c, "a", "vx0"));
	check(strstr(why(&c, "a", "vx0"), "remote 10.0.0.9: no collected host has address 10.0.0.9")
	      != NULL, "vxlan: a remote no collected host has", "%s", why(&c, "a", "vx0"));
	check(!*why(&c, "b", "vx0"), "vxlan: the paired end has no reason", "%s", why(&c, "b", "vx0"));
	check(strstr(why(&c, "b", "flannel"), "no remote address and no FDB entry") != NULL,
	      "vxlan: a learning device without remotes is unresolved", "%s",
	      why(&c, "b", "flannel"));
	check(!paired(&c, "b", "flannel", "a", "vx0"), "vxlan: never by VNI and address alone",
	      "paired");
	topo_release(&c);

	/* the other end does not list our local among its remotes */
	topo_init(&c);
	host_begin();
	dev("eth0", "device", 2, "10.0.0.1/24");
	tun("vx0", "vxlan", 3, 42, "10.0.0.1", "", 4789, "10.0.0.2");
	host_end(&c, "a", "");
	host_begin();
	dev("eth0", "device", 2, "10.0.0.2/24");
	tun("vx0", "vxlan", 3, 42, "10.0.0.2", "", 4789, "10.0.0.7");
	host_end(&c, "b", "");
	done(&c);
	check(c.nxedges == 0, "vxlan: one-sided: no edge", "%zu", c.nxedges);
	check(strstr(why(&c, "a", "vx0"), "its remotes do not include 10.0.0.1") != NULL,
	      "vxlan: one-sided is said", "%s", why(&c, "a", "vx0"));
	topo_release(&c);
}

static void test_ambiguous_and_own(void)
{
	struct topo c;

	topo_init(&c);
	host_begin();
	dev("eth0", "device", 2, "10.0.0.1/24");
	tun("vx0", "vxlan", 3, 42, "10.0.0.1", "", 4789, "10.0.0.2");
	tun("vxself", "vxlan", 4, 42, "10.0.0.1", "10.0.0.1", 4789, NULL);
	tun("vxm", "vxlan", 5, 42, "10.0.0.1", "239.1.1.1", 4789, NULL);
	host_end(&c, "a", "");
	for (int k = 0; k < 2; k++) {	/* two hosts claim 10.0.0.2 (a cloned VM) */
		host_begin();
		dev("eth0", "device", 2, "10.0.0.2/24");
		tun("vx0", "vxlan", 3, 42, "10.0.0.2", "", 4789, "10.0.0.1");
		host_end(&c, k ? "b2" : "b1", "");
	}
	done(&c);
	check(c.nxedges == 0, "two hosts with the address: no edge", "%zu", c.nxedges);
	check(strstr(why(&c, "a", "vx0"), "ambiguous: 2 devices agree (b1:vx0, b2:vx0)") != NULL,
	      "ambiguity is said", "%s", why(&c, "a", "vx0"));
	check(strstr(why(&c, "a", "vxself"), "an address of its own host") != NULL,
	      "a remote of its own host: not paired within a host", "%s", why(&c, "a", "vxself"));
	check(strstr(why(&c, "a", "vxm"), "group 239.1.1.1: its members are not stated") != NULL,
	      "a multicast group: unresolved", "%s", why(&c, "a", "vxm"));
	topo_release(&c);
}

static void test_v6_geneve_gre(void)
{
	struct topo c;
	struct iface *g;

	topo_init(&c);
	host_begin();
	dev("eth0", "device", 2, "fd00::1/64");
	dev("eth1", "device", 6, "192.168.5.1/24");
	tun("vx6", "vxlan", 3, 7, "fd00::1", "fd00:0:0::2", 4789, NULL);	/* not canonical */
	tun("gn0", "geneve", 4, 9, "", "192.168.5.2", 6081, NULL);
	g = tun("gre1", "gre", 5, 100, "192.168.5.1", "192.168.5.2", 0, NULL);
	g->tun.okey = 200;
	tun("ipip0", "ipip", 7, -1, "192.168.5.1", "192.168.5.2", 0, NULL);
	tun("gn1", "geneve", 8, 10, "", "192.168.5.2", 6081, NULL);
	host_end(&c, "a", "");
	host_begin();
	dev("eth0", "device", 2, "fd00::2/64");
	dev("eth1", "device", 6, "192.168.5.2/24");
	tun("vx6", "vxlan", 3, 7, "fd00:0::2", "fd00::1", 4789, NULL);
	tun("gn0", "geneve", 4, 9, "", "192.168.5.1", 6081, NULL);
	g = tun("gre1", "gre", 5, 200, "192.168.5.2", "192.168.5.1", 0, NULL);
	g->tun.okey = 100;
	tun("ipip0", "ipip", 7, -1, "192.168.5.2", "192.168.5.1", 0, NULL);
	tun("gn1", "geneve", 8, 11, "", "192.168.5.1", 6081, NULL);
	g = tun("gre2", "gre", 9, 100, "192.168.5.2", "192.168.5.1", 0, NULL);
	g->tun.okey = 100;	/* a's gre1 sends 200: keys disagree */
	host_end(&c, "b", "");
	done(&c);
	check(paired(&c, "a", "vx6", "b", "vx6"), "vxlan over IPv6, addresses written two ways",
	      "%s", why(&c, "a", "vx6"));
	check(paired(&c, "a", "gn0", "b", "gn0"), "geneve: VNI, port, each remote the other's address",
	      "%s", why(&c, "a", "gn0"));
	check(!paired(&c, "a", "gn1", "b", "gn1") && strstr(why(&c, "a", "gn1"), "no device there agrees"),
	      "geneve: another VNI: no edge", "%s", why(&c, "a", "gn1"));
	check(paired(&c, "a", "gre1", "b", "gre1"), "gre: local and remote swapped, keys crossed",
	      "%s", why(&c, "a", "gre1"));
	check(!paired(&c, "a", "gre1", "b", "gre2"), "gre: keys that disagree: no edge", "paired");
	check(paired(&c, "a", "ipip0", "b", "ipip0"), "ipip: no keys at all", "%s",
	      why(&c, "a", "ipip0"));
	check(!paired(&c, "a", "gn0", "b", "ipip0") && !paired(&c, "a", "ipip0", "b", "gre1"),
	      "kinds never mix", "paired");
	check(c.nxedges == 4, "four edges in all", "%zu", c.nxedges);
	topo_release(&c);
}

static void test_hosts(void)
{
	struct topo c;

	topo_init(&c);
	host_begin();
	dev("eth0", "device", 2, "10.0.0.1/24");
	host_end(&c, "node", "0123456789abcdef0123456789abcdef");
	host_begin();
	dev("eth0", "device", 2, "10.0.0.2/24");
	host_end(&c, "node", "fedcba9876543210fedcba9876543210");
	host_begin();
	host_end(&c, "other", "");
	topo_host_labels(&c);
	check(c.nhosts == 3 && !strcmp(c.hosts[0].label, "node@01234567") &&
	      !strcmp(c.hosts[1].label, "node@fedcba98") && !strcmp(c.hosts[2].label, "other"),
	      "hosts of one name are two, labelled by machine-id", "%s %s %s", c.hosts[0].label,
	      c.hosts[1].label, c.hosts[2].label);
	check(c.nns == 3 && c.ns[1].host == 1 && c.ifs[1].ns == 1,
	      "topo_append: namespaces and interfaces follow their host", "nns %zu", c.nns);
	check(topo_host_pick(&c, "node@fedcba98") == 1 && topo_host_pick(&c, "node") == -2 &&
	      topo_host_pick(&c, "other") == 2 && topo_host_pick(&c, "nosuch") == -1 &&
	      topo_host_pick(&c, "node@") == -1,
	      "topo_host_pick: a label, a name two hosts have, a unique name, none", "wrong");
	check(machine_id_ok("0123456789abcdef0123456789abcdef") && machine_id_ok("") &&
	      !machine_id_ok("0123") && !machine_id_ok("0123456789ABCDEF0123456789abcdef") &&
	      !machine_id_ok("0123456789abcdef0123456789abcde\n"), "machine_id_ok", "wrong");
	check(tunnel_overhead("vxlan", 0) == 50 && tunnel_overhead("vxlan", 1) == 70 &&
	      tunnel_overhead("gre", 0) == 24 && tunnel_overhead("veth", 0) == 0,
	      "tunnel_overhead", "wrong");
	topo_release(&c);
}

int main(void)
{
	topo_init(&one);
	test_vxlan();
	test_ambiguous_and_own();
	test_v6_geneve_gre();
	test_hosts();
	topo_release(&one);
	return unit_failures ? 1 : 0;
}
