/*
 * Fuzz target: the capture-target parser (src/target.c) over a small topology with
 * hostile names: containers, ip netns names, interfaces, pid:, netns:, NETNS:IFNAME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct topo t;

static void setup(void)
{
	static const char *const names[] = { "eth0", "veth\"<&$;", "br0", "a:b", "lo" };
	struct container *c;

	topo_init(&t);
	for (int i = 0; i < 3; i++) {
		size_t ns = topo_add_ns(&t, 4, 4026531800u + (unsigned)i);

		t.ns[ns].is_host = i == 0;
		strv_add(&t.ns[ns].names, i == 1 ? "/run/netns/web" : "/run/docker/netns/x:y");
		for (int k = 0; k < 5; k++) {
			struct iface *f = topo_add_iface(&t, ns);

			f->ifindex = k + 1;
			copy_str(f->name, sizeof(f->name), names[k]);
			copy_str(f->kind, sizeof(f->kind), "veth");
		}
	}
	topo_sort(&t);
	c = topo_add_container(&t, "docker", "0123456789abcdef0123456789abcdef");
	copy_str(c->name, sizeof(c->name), "web");
	c->ns = 1;
	c = topo_add_container(&t, "podman", "fedcba9876543210fedcba9876543210");
	copy_str(c->name, sizeof(c->name), "eth0");
	c->ns = 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_set m;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	if (!t.nns)
		setup();
	memcpy(s, data, size);
	s[size] = '\0';
	target_match(&t, s, &m);
	if (m.n > sizeof(m.v) / sizeof(m.v[0]))
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (m.v[i].ns < 0 || (size_t)m.v[i].ns >= t.nns || m.v[i].ifc >= (long)t.nifs)
			abort();
	/* the explanation goes to stderr: exercise it on a sample, not to flood the log */
	if (m.n != 1 && size && data[0] == 0x2a)
		target_explain(&t, s, &m);
	free(s);
	return 0;
}
