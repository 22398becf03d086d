/*
 * target_test.c: what target_match() makes of each kind of `vethmap cap TARGET` on a
 * recorded topology, without root: the namespace and interface each reading gives, and
 * how many readings (one is a target; none or several are errors).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"
#include "unit.h"

static struct topo t;

static struct iface *add_if(size_t ns, int ifindex, const char *name, const char *kind)
{
	struct iface *f = topo_add_iface(&t, ns);

	f->ifindex = ifindex;
	copy_str(f->name, sizeof(f->name), name);
	copy_str(f->kind, sizeof(f->kind), kind);
	return f;
}

static struct container *add_ctr(const char *engine, const char *id, const char *name, long ns)
{
	struct container *c = topo_add_container(&t, engine, id);

	copy_str(c->name, sizeof(c->name), name);
	c->ns = ns;
	return c;
}

/*
 * ns 0 host: lo, eth0, web (a host interface named like a container)
 * ns 1: docker web (id 0123456789abcdef...), eth0; bind-mounted at /run/netns/blue
 * ns 2: podman db and podman db2 (pod), eth0, eth1
 * ns 3: /run/netns/green and /var/run/netns/teal; lxc "db" (same name as podman's)
 * ns 2 also has names seen only in another mount namespace (pid 42's): never targets
 * ns 4: a nested containerd's pod kube-system/coredns-1 (its app "coredns"), in node
 *       docker:kind-control-plane
 * ns 5: a host containerd's "coredns" (no node)
 * ns 2 and 3 also hold containers of user alice (rootless podman): "webapp", the name of
 *       docker's in ns 1, and "mine"
 */
static void fixture(void)
{
	topo_init(&t);
	for (size_t i = 0; i < 6; i++) {
		size_t k = topo_add_ns(&t, 4, 4026532000 + i);

		t.ns[k].is_host = i == 0;
	}
	add_if(0, 1, "lo", "loopback");
	add_if(0, 2, "eth0", "device");
	add_if(0, 3, "web", "veth");
	add_if(1, 1, "lo", "loopback");
	add_if(1, 2, "eth0", "veth");
	add_if(2, 2, "eth0", "veth");
	add_if(2, 3, "eth1", "veth");
	add_if(3, 2, "eth0", "veth");
	strv_add(&t.ns[1].names, "/run/netns/blue");
	strv_add(&t.ns[3].names, "/run/netns/green");
	strv_add(&t.ns[3].names, "/var/run/netns/teal");
	strv_add(&t.ns[2].names, "pid 42:/run/netns/red");	/* seen in another mount ns */
	strv_add(&t.ns[2].names, "pid 42:/run/netns/blue");	/* a planted duplicate */
	add_ctr("docker", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "webapp", 1);
	add_ctr("podman", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", "db", 2);
	add_ctr("podman", "aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccdddd", "db2", 2);
	add_ctr("lxc", "db", "db", 3);
	for (int i = 0; i < 2; i++) {
		struct container *c = add_ctr("containerd", i ? "c0ffee" : "b0ba", "coredns", 4 + i);

		if (!i) {
			copy_str(c->pod, sizeof(c->pod), "coredns-1");
			copy_str(c->pod_ns, sizeof(c->pod_ns), "kube-system");
			copy_str(c->node, sizeof(c->node), "docker:kind-control-plane");
		}
	}
	for (int i = 0; i < 2; i++) {
		struct container *c = add_ctr("podman", i ? "ab12" : "cd34", i ? "mine" : "webapp",
					      2 + i);

		c->owner_uid = 1001;
		copy_str(c->owner, sizeof(c->owner), "alice");
	}
	topo_sort(&t);
}

struct want {
	const char *spec;
	size_t n;		/* readings */
	long ns, ifc_ns;	/* the one reading's namespace; its interface's namespace or -1 */
	const char *ifname;	/* its interface, NULL for the whole namespace */
};

static void run(const struct want *w)
{
	struct target_set *m = xcalloc(1, sizeof(*m));
	char name[128];
	int ok;

	target_match(&t, w->spec, m);
	ok = m->n == w->n;
	if (ok && w->n == 1) {
		ok = m->v[0].ns == w->ns;
		if (w->ifname)
			ok = ok && m->v[0].ifc >= 0 && t.ifs[m->v[0].ifc].ns == (size_t)w->ifc_ns &&
			     !strcmp(t.ifs[m->v[0].ifc].name, w->ifname);
		else
			ok = ok && m->v[0].ifc == -1;
	}
	snprintf(name, sizeof(name), "target '%s': %zu reading(s)%s", w->spec, w->n,
		 w->n == 1 ? (w->ifname ? ", that interface" : ", that namespace") : "");
	check(ok, name, "got %zu, first ns %ld ifc %ld", m->n, m->n ? m->v[0].ns : -9,
	      m->n ? m->v[0].ifc : -9);
	free(m);
}

/* target_words: the words of prefix, as one string "a b c " in the order given. */
static void add_word(void *arg, const char *w)
{
	char *buf = arg;

	if (strlen(buf) + strlen(w) + 2 < 2048) {
		strcat(buf, w);
		strcat(buf, " ");
	}
}

static int has_word(const char *words, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = words; (p = strstr(p, w)); p++)
		if ((p == words || p[-1] == ' ') && p[n] == ' ')
			return 1;
	return 0;
}

/* Completion's words for prefix: each named (yes) offered, each named (no) not offered. */
static void words(const char *prefix, const char *const *yes, const char *const *no)
{
	char *got = xcalloc(1, 2048), name[160];
	int ok = 1;

	target_words(&t, prefix, add_word, got);
	for (size_t i = 0; yes && yes[i]; i++)
		ok &= has_word(got, yes[i]);
	for (size_t i = 0; no && no[i]; i++)
		ok &= !has_word(got, no[i]);
	snprintf(name, sizeof(name), "completion words of '%s'", prefix);
	check(ok, name, "got [%s]", got);
	free(got);
}

int main(void)
{
	static const struct want cases[] = {
		{ "webapp", 1, 1, -1, NULL },			/* container name */
		{ "0123456789ab", 1, 1, -1, NULL },		/* id prefix, 12 */
		{ "012", 1, 1, -1, NULL },			/* id prefix, 3 (no name matches) */
		{ "01", 0, 0, 0, NULL },			/* too short for a prefix */
		{ "db", 2, 0, 0, NULL },			/* podman db and lxc db */
		{ "db2", 1, 2, -1, NULL },
		{ "host", 1, 0, -1, NULL },
		{ "netns:4026532003", 1, 3, -1, NULL },
		{ "netns:4026532099", 0, 0, 0, NULL },
		{ "netns:-1", 0, 0, 0, NULL },
		{ "netns:12x", 0, 0, 0, NULL },
		{ "blue", 1, 1, -1, NULL },			/* ip netns name */
		{ "/run/netns/blue", 1, 1, -1, NULL },		/* the path */
		{ "green", 1, 3, -1, NULL },
		{ "teal", 1, 3, -1, NULL },			/* /var/run/netns */
		{ "netns", 0, 0, 0, NULL },
		{ "red", 0, 0, 0, NULL },			/* foreign name: not a target */
		{ "pid 42:/run/netns/red", 0, 0, 0, NULL },
		{ "red:eth0", 0, 0, 0, NULL },			/* a path component is no name */
		{ "eth0", 1, 0, 0, "eth0" },			/* a host interface */
		{ "web", 1, 0, 0, "web" },			/* host interface, not "webapp" */
		{ "webapp:eth0", 1, 1, 1, "eth0" },
		{ "blue:eth0", 1, 1, 1, "eth0" },
		{ "db2:eth1", 1, 2, 2, "eth1" },
		{ "db:eth0", 2, 0, 0, NULL },			/* both "db" namespaces have one */
		{ "db:eth1", 1, 2, 2, "eth1" },			/* only podman's has eth1 */
		{ "host:eth0", 1, 0, 0, "eth0" },
		{ "netns:4026532002:eth1", 1, 2, 2, "eth1" },
		{ "webapp:nosuch", 0, 0, 0, NULL },
		{ "nosuch", 0, 0, 0, NULL },
		{ ":eth0", 0, 0, 0, NULL },
		{ "webapp:", 0, 0, 0, NULL },
		{ "", 0, 0, 0, NULL },
		{ "kube-system/coredns-1", 1, 4, -1, NULL },	/* a pod, NAMESPACE/POD */
		{ "coredns-1", 1, 4, -1, NULL },		/* a pod by its name */
		{ "kube-system/coredns-1:eth0", 0, 0, 0, NULL },	/* ns 4 has no eth0 */
		{ "c0ffee", 1, 5, -1, NULL },			/* a short containerd id */
		{ "coredns", 2, 0, 0, NULL },			/* nested and host */
		{ "mine", 1, 3, -1, NULL },			/* a user's container by name */
		/* "webapp" above: docker's, not alice's of the same name */
	};

	fixture();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	{	/* a user's container reads as the user's */
		struct target_set *m = xcalloc(1, sizeof(*m));

		target_match(&t, "mine", m);
		check(m->n == 1 && !strcmp(m->v[0].what, "podman container 'mine' (user alice)"),
		      "a user's container: its reading names the user", "got '%s'",
		      m->n ? m->v[0].what : "");
		free(m);
	}
	{	/* an ambiguous name lists each candidate with its engine and node */
		struct target_set *m = xcalloc(1, sizeof(*m));
		int nested = 0, host = 0;

		target_match(&t, "coredns", m);
		for (size_t i = 0; i < m->n; i++) {
			nested += !strcmp(m->v[i].what, "containerd container 'coredns' (in node "
					  "docker:kind-control-plane)");
			host += !strcmp(m->v[i].what, "containerd container 'coredns'");
		}
		check(nested == 1 && host == 1, "ambiguous 'coredns': engine and node of each",
		      "got '%s' / '%s'", m->n > 0 ? m->v[0].what : "", m->n > 1 ? m->v[1].what : "");
		target_match(&t, "kube-system/coredns-1", m);
		check(m->n == 1 && !strcmp(m->v[0].what, "containerd pod 'kube-system/coredns-1' (in node "
					   "docker:kind-control-plane)"),
		      "a pod target reads as a pod, with its node", "got '%s'", m->n ? m->v[0].what : "");
		free(m);
	}
	/* completion: only words that name one thing, of the kinds cap takes */
	words("", (const char *const[]){ "webapp", "db2", "blue", "green", "teal", "host", "eth0",
					 "web", "lo", "kube-system/coredns-1", "coredns-1", "mine",
					 NULL },
	      (const char *const[]){ "db", "coredns", "red", "pid 42:/run/netns/red", "eth1",
				     "/run/netns/blue", "netns:4026532001", "c0ffee", NULL });
	words("we", (const char *const[]){ "webapp", "web", NULL },
	      (const char *const[]){ "eth0", "host", "blue", NULL });
	words("db2:", (const char *const[]){ "db2:eth0", "db2:eth1", NULL },
	      (const char *const[]){ "db2", NULL });
	words("db:", (const char *const[]){ "db:eth1", NULL },	/* db:eth0 names two */
	      (const char *const[]){ "db:eth0", NULL });
	words("netns:", (const char *const[]){ "netns:4026532000", "netns:4026532005", NULL }, NULL);
	words("/", (const char *const[]){ "/run/netns/blue", "/var/run/netns/teal", NULL },
	      (const char *const[]){ "pid 42:/run/netns/red", "/run/netns/red", NULL });
	words("nosuch", NULL, (const char *const[]){ "nosuch", "host", NULL });
	{	/* and every word given is a target: one reading each */
		char *got = xcalloc(1, 2048), *save = NULL;
		struct target_set *m = xcalloc(1, sizeof(*m));
		int bad = 0, n = 0;

		target_words(&t, "", add_word, got);
		for (char *w = strtok_r(got, " ", &save); w; w = strtok_r(NULL, " ", &save), n++) {
			target_match(&t, w, m);
			bad += m->n != 1;
		}
		check(n > 10 && !bad, "every completion word names one thing", "%d of %d do not", bad, n);
		free(m);
		free(got);
	}
	topo_release(&t);
	return unit_failures ? 1 : 0;
}
