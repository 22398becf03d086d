/*
 * parse_test.c: unit tests of the parsers of outside data (cgroup files as recorded from
 * Docker, Podman, CRI-O, containerd/Kubernetes, LXC and systemd-nspawn hosts, and hostile
 * variants), without root.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"
#include "unit.h"



#define ID64 "322a046f04df4a1597f44604d1ea34bbaa3b7a4935c1443f00b7635619987e4a"

static const struct {
	const char *name, *file, *engine, *id;	/* engine NULL: no container */
} cases[] = {
	{ "docker cgroupfs v1 (recorded here)",
	  "9:name=systemd:/docker/" ID64 "\n8:pids:/docker/" ID64 "\n0::/\n", "docker", ID64 },
	{ "docker systemd v2", "0::/system.slice/docker-" ID64 ".scope\n", "docker", ID64 },
	{ "podman cgroupfs (recorded here)",
	  "9:name=systemd:/libpod_parent/libpod-" ID64 "\n0::/\n", "podman", ID64 },
	{ "podman systemd v2", "0::/machine.slice/libpod-" ID64 ".scope/container\n", "podman", ID64 },
	{ "podman conmon is not the container", "0::/machine.slice/libpod-conmon-" ID64 ".scope\n",
	  NULL, NULL },
	{ "cri-o", "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-"
	  ID64 ".scope\n", "cri-o", ID64 },
	{ "cri-o conmon is not the container", "0::/system.slice/crio-conmon-" ID64 ".scope\n",
	  NULL, NULL },
	{ "containerd kubernetes", "0::/kubepods.slice/kubepods-pod9.slice/cri-containerd-" ID64
	  ".scope\n", "containerd", ID64 },
	{ "lxc 4+", "0::/lxc.payload.web1\n", "lxc", "web1" },
	{ "lxc nested path", "0::/lxc.payload.web1/system.slice/cron.service\n", "lxc", "web1" },
	{ "lxc old", "4:memory:/lxc/web2\n", "lxc", "web2" },
	{ "nspawn", "0::/machine.slice/machine-debian\\x2dtest.scope/payload\n", "nspawn",
	  "debian-test" },
	{ "host process", "0::/user.slice/user-0.slice/session-1.scope\n", NULL, NULL },
	{ "empty", "", NULL, NULL },
	{ "no colons", "garbage without structure\n", NULL, NULL },
	{ "short id", "0::/docker/322a046f04df\n", NULL, NULL },
	{ "upper-case hex refused", "0::/docker-322A046F04DF4A1597F44604D1EA34BBAA3B7A4935C1443F"
	  "00B7635619987E4A.scope\n", NULL, NULL },
	{ "id with trailing junk", "0::/docker-" ID64 "x.scope\n", NULL, NULL },
	{ "nspawn control char escape refused", "0::/machine.slice/machine-a\\x0ab.scope\n", NULL,
	  NULL },
	{ "nspawn bad escape refused", "0::/machine.slice/machine-a\\q.scope\n", NULL, NULL },
	{ "lxc name with control char refused", "0::/lxc.payload.a\x01" "b\n", NULL, NULL },
	{ "unified line wins over v1", "4:memory:/lxc/old\n0::/system.slice/docker-" ID64 ".scope\n",
	  "docker", ID64 },
};

static void test_cgroup(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *engine = NULL;
		char id[128] = "";
		int got = cgroup_file_parse(cases[i].file, &engine, id, sizeof(id));
		char name[160];

		snprintf(name, sizeof(name), "cgroup: %s", cases[i].name);
		if (!cases[i].engine)
			check(!got, name, "matched %s %s", engine ? engine : "?", id);
		else
			check(got && !strcmp(engine, cases[i].engine) && !strcmp(id, cases[i].id), name,
			      "got %d %s %s", got, got ? engine : "-", got ? id : "-");
	}
}

/* A very long line, and many lines: no overflow, no match. */
static void test_cgroup_hostile(void)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1), id[8];
	const char *engine = NULL;

	if (!big)
		return;
	memset(big, 'a', n);
	memcpy(big, "0::/", 4);
	big[n] = '\0';
	check(!cgroup_file_parse(big, &engine, id, sizeof(id)), "cgroup: 1 MiB line refused", "matched");
	for (size_t i = 0; i < n; i++)
		big[i] = i % 3 == 2 ? '\n' : ':';
	check(!cgroup_file_parse(big, &engine, id, sizeof(id)), "cgroup: many empty lines", "matched");
	free(big);
	check(!cgroup_file_parse("0::/lxc.payload.averylongname", &engine, id, sizeof(id)),
	      "cgroup: name longer than the buffer refused", "matched %s", id);
}

int main(void)
{
	test_cgroup();
	test_cgroup_hostile();
	return unit_failures ? 1 : 0;
}
