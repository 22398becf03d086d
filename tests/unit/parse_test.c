/*
 * parse_test.c: unit tests of the parsers of outside data (cgroup files as recorded from
 * Docker, Podman, CRI-O, containerd/Kubernetes, LXC and systemd-nspawn hosts, and hostile
 * variants), without root.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vethmap.h"
#include "unit.h"



#define ID64 "322a046f04df4a1597f44604d1ea34bbaa3b7a4935c1443f00b7635619987e4a"

static const struct {
	const char *name, *file, *engine, *id;	/* engine NULL: no container */
	int placed;
} cases[] = {
	{ "docker cgroupfs v1 (recorded here)",
	  "9:name=systemd:/docker/" ID64 "\n8:pids:/docker/" ID64 "\n0::/\n", "docker", ID64, 1 },
	{ "docker systemd v2", "0::/system.slice/docker-" ID64 ".scope\n", "docker", ID64, 1 },
	{ "podman cgroupfs (recorded here)",
	  "9:name=systemd:/libpod_parent/libpod-" ID64 "\n0::/\n", "podman", ID64, 1 },
	{ "podman systemd v2", "0::/machine.slice/libpod-" ID64 ".scope/container\n", "podman", ID64,
	  1 },
	{ "podman pod, systemd", "0::/machine.slice/machine-libpod_pod_" ID64 ".slice/libpod-" ID64
	  ".scope\n", "podman", ID64, 1 },
	{ "podman conmon is not the container", "0::/machine.slice/libpod-conmon-" ID64 ".scope\n",
	  NULL, NULL, 0 },
	{ "cri-o", "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-"
	  ID64 ".scope\n", "cri-o", ID64, 1 },
	{ "cri-o conmon is not the container", "0::/system.slice/crio-conmon-" ID64 ".scope\n",
	  NULL, NULL, 0 },
	{ "containerd kubernetes", "0::/kubepods.slice/kubepods-pod9.slice/cri-containerd-" ID64
	  ".scope\n", "containerd", ID64, 1 },
	{ "lxc 4+", "0::/lxc.payload.web1\n", "lxc", "web1", 1 },
	{ "lxc nested path", "0::/lxc.payload.web1/system.slice/cron.service\n", "lxc", "web1", 1 },
	{ "lxc old", "4:memory:/lxc/web2\n", "lxc", "web2", 1 },
	{ "lxc.payload dir", "0::/lxc.payload/web3\n", "lxc", "web3", 1 },
	{ "nspawn", "0::/machine.slice/machine-debian\\x2dtest.scope/payload\n", "nspawn",
	  "debian-test", 1 },
	{ "host process", "0::/user.slice/user-0.slice/session-1.scope\n", NULL, NULL, 0 },
	{ "empty", "", NULL, NULL, 0 },
	{ "no colons", "garbage without structure\n", NULL, NULL, 0 },
	{ "short id", "0::/docker/322a046f04df\n", NULL, NULL, 0 },
	{ "upper-case hex refused", "0::/docker-322A046F04DF4A1597F44604D1EA34BBAA3B7A4935C1443F"
	  "00B7635619987E4A.scope\n", NULL, NULL, 0 },
	{ "id with trailing junk", "0::/docker-" ID64 "x.scope\n", NULL, NULL, 0 },
	{ "nspawn control char escape refused", "0::/machine.slice/machine-a\\x0ab.scope\n", NULL,
	  NULL, 0 },
	{ "nspawn escaped slash refused", "0::/machine.slice/machine-a\\x2fb.scope\n", NULL,
	  NULL, 0 },
	{ "nspawn bad escape refused", "0::/machine.slice/machine-a\\q.scope\n", NULL, NULL, 0 },
	{ "lxc name with control char refused", "0::/lxc.payload.a\x01" "b\n", NULL, NULL, 0 },
	{ "unified line wins over v1", "4:memory:/lxc/old\n0::/system.slice/docker-" ID64 ".scope\n",
	  "docker", ID64, 1 },
	/* a user's own cgroups: named, but never placed */
	{ "user-delegated lxc name", "0::/vtdeleg/lxc.payload.prod-web\n", "lxc", "prod-web", 0 },
	{ "lxc under a user's slice", "0::/user.slice/user-1000.slice/lxc/prod-web\n", "lxc",
	  "prod-web", 0 },
	{ "docker scope outside system.slice", "0::/user.slice/docker-" ID64 ".scope\n", "docker",
	  ID64, 0 },
	{ "docker dir below the top", "0::/x/docker/" ID64 "\n", "docker", ID64, 0 },
	{ "libpod outside machine.slice", "0::/user.slice/libpod-" ID64 ".scope\n", "podman", ID64,
	  0 },
	{ "nspawn outside machine.slice", "0::/user.slice/machine-web.scope\n", "nspawn", "web", 0 },
	{ "crio outside kubepods", "0::/system.slice/crio-" ID64 ".scope\n", "cri-o", ID64, 0 },
	{ "crio too deep in kubepods", "0::/kubepods/a/b/c/d/crio-" ID64 ".scope\n", "cri-o", ID64,
	  0 },
	{ "outermost wins: docker holding a forged lxc", "0::/system.slice/docker-" ID64
	  ".scope/lxc.payload.prod-web\n", "docker", ID64, 1 },
	{ "outermost wins: forged docker below lxc", "0::/lxc.payload.web1/system.slice/docker-"
	  ID64 ".scope\n", "lxc", "web1", 1 },
	{ "placed match wins over an unplaced one", "4:memory:/x/lxc.payload.evil\n"
	  "9:name=systemd:/docker/" ID64 "\n", "docker", ID64, 1 },
	{ "unplaced unified line loses to a placed v1 line", "0::/u/lxc.payload.evil\n"
	  "4:memory:/lxc/web2\n", "lxc", "web2", 1 },
	/* a cgroup name with a newline forges a line: the kernel names each hierarchy once */
	{ "forged unified line (newline in a name)", "0::/vtdeleg/x\n0::/lxc.payload.prod-web\n",
	  "lxc", "prod-web", 0 },
	{ "forged v1 line with a fresh id", "4:memory:/\n0::/u/x\n99:memory:/lxc/prod-web\n", "lxc",
	  "prod-web", 0 },
};

static void test_cgroup(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cgroup_match m;
		int got;
		char name[160];

		memset(&m, 0, sizeof(m));
		got = cgroup_file_parse(cases[i].file, &m);
		snprintf(name, sizeof(name), "cgroup: %s", cases[i].name);
		if (!cases[i].engine)
			check(!got, name, "matched %s %s", m.engine ? m.engine : "?", m.id);
		else
			check(got && !strcmp(m.engine, cases[i].engine) && !strcmp(m.id, cases[i].id) &&
			      m.placed == cases[i].placed, name, "got %d %s %s placed %d", got,
			      got ? m.engine : "-", got ? m.id : "-", m.placed);
	}
}

/* The directory a match names, and which hierarchy: what engines.c checks is root's. */
static void test_cgroup_dir(void)
{
	struct cgroup_match m;

	check(cgroup_file_parse("0::/lxc.payload.web1/system.slice/cron.service\n", &m) &&
	      !strcmp(m.dir, "/lxc.payload.web1") && !strcmp(m.hier, ""), "cgroup: lxc dir",
	      "dir '%s' hier '%s'", m.dir, m.hier);
	check(cgroup_file_parse("9:name=systemd:/docker/" ID64 "\n0::/\n", &m) &&
	      !strcmp(m.dir, "/docker/" ID64) && !strcmp(m.hier, "name=systemd"),
	      "cgroup: docker v1 dir", "dir '%s' hier '%s'", m.dir, m.hier);
	check(cgroup_file_parse("3:cpu,cpuacct:/machine.slice/libpod-" ID64 ".scope/container\n", &m) &&
	      !strcmp(m.dir, "/machine.slice/libpod-" ID64 ".scope") && !strcmp(m.hier, "cpu,cpuacct"),
	      "cgroup: podman dir", "dir '%s' hier '%s'", m.dir, m.hier);
}

/* A very long line, and many lines: no overflow, no match; a failed match writes nothing. */
static void test_cgroup_hostile(void)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	struct cgroup_match m;

	if (!big)
		return;
	memset(big, 'a', n);
	memcpy(big, "0::/", 4);
	big[n] = '\0';
	check(!cgroup_file_parse(big, &m), "cgroup: 1 MiB line refused", "matched");
	for (size_t i = 0; i < n; i++)
		big[i] = i % 3 == 2 ? '\n' : ':';
	check(!cgroup_file_parse(big, &m), "cgroup: many empty lines", "matched");
	free(big);
	check(!cgroup_file_parse("0::/lxc.payload.a-name-longer-than-the-id-field-of-a-container-"
				 "which-is-seventy-two-bytes\n", &m),
	      "cgroup: name longer than the id field refused", "matched %s", m.id);
	strcpy(m.id, "untouched");
	check(!cgroup_path_parse("/machine.slice/machine-abc\\x07.scope", &m) &&
	      !strcmp(m.id, "untouched"), "cgroup: a failed nspawn match leaves id alone",
	      "id '%s'", m.id);
	check(!cgroup_path_parse("/machine.slice/machine-ab\\x2.scope", &m) &&
	      !strcmp(m.id, "untouched"), "cgroup: a bad escape leaves id alone", "id '%s'", m.id);
}

/* containers-storage.conf(5) as users write it, and as an attacker might */
static void test_storage_conf(void)
{
	struct storage_conf sc;
	char big[3000];
	int n;

	n = storage_conf_parse("# mine\n[storage]\ndriver = \"vfs\"\n"
			       "graphroot = \"/data/alice/storage\"  # moved\n"
			       "runroot='/run/user/1001/c'\n[storage.options]\n"
			       "mount_program = \"/usr/bin/fuse-overlayfs\"\n", &sc);
	check(n == 3 && !strcmp(sc.driver, "vfs") && !strcmp(sc.graphroot, "/data/alice/storage") &&
	      !strcmp(sc.runroot, "/run/user/1001/c"), "storage.conf: driver, graphroot, runroot",
	      "n %d driver '%s' graphroot '%s' runroot '%s'", n, sc.driver, sc.graphroot, sc.runroot);
	n = storage_conf_parse("driver = \"btrfs\"\n[storage.options]\ngraphroot = \"/x\"\n"
			       "[other]\nrunroot = \"/y\"\n", &sc);
	check(n == 0 && !*sc.driver && !*sc.graphroot && !*sc.runroot,
	      "storage.conf: keys outside [storage] are not taken", "n %d driver '%s'", n, sc.driver);
	n = storage_conf_parse("[storage]\ngraphroot = \"/a\\\"b\"\nrunroot = /bare\n"
			       "driver = \"vfs\" trailing\n", &sc);
	check(n == 0 && !*sc.graphroot && !*sc.runroot && !*sc.driver,
	      "storage.conf: escapes, bare words and trailing text refused", "n %d", n);
	n = storage_conf_parse("[storage]\ngraphroot = \"/a\x1b[2Jb\"\ndriver = \"overlay", &sc);
	check(n == 0 && !*sc.graphroot && !*sc.driver,
	      "storage.conf: control characters and an unclosed string refused", "n %d", n);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "[storage]\ngraphroot = \"/", 24);
	n = storage_conf_parse(big, &sc);
	check(n == 0 && !*sc.graphroot, "storage.conf: an overlong line refused", "n %d", n);
}

/* fdprobe.c's parsers: fdinfo of a tun file, /proc/self/cgroup. */
static void test_fdprobe(void)
{
	/* recorded here: /proc/P/fdinfo/N of a tap made with TUNSETIFF (kernel 6.18) */
	static const char fdinfo[] = "pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t104\n"
				     "iff:\th11pfdi\n";
	static const struct { const char *text, *want; } iff[] = {
		{ fdinfo, "h11pfdi" },
		{ "pos:\t0\nflags:\t02\nmnt_id:\t24\nino:\t104\n", NULL },	/* not attached */
		{ "iff:\ttap0", "tap0" },					/* no newline */
		{ "iff:\t\n", NULL },						/* empty */
		{ "iff:\t0123456789abcdef\n", NULL },		/* 16 bytes: longer than IFNAMSIZ */
		{ "xiff:\tfoo\n", NULL },					/* not at a line start */
		{ "pos:\t0 iff:\tfoo\n", NULL },
	};
	static const struct { const char *text; int want; } cg[] = {
		/* recorded here: cgroup v1 without net_cls */
		{ "9:name=systemd:/\n8:pids:/\n4:memory:/x\n1:cpu:/\n0::/\n", 0 },
		{ "0::/user.slice\n", 0 },
		{ "5:net_cls,net_prio:/\n0::/\n", 1 },
		{ "5:net_prio:/\n", 1 },
		{ "5:net_cls:/", 1 },
		{ "5:cpu,net_clsx:/\n", 0 },
		{ "5:name=net_cls:/\n", 0 },
		{ "0::/net_cls\n", 0 },		/* a path, not a controller */
		{ "", 0 },
	};
	char name[IFNAME_MAX], label[96];

	for (size_t i = 0; i < sizeof(iff) / sizeof(iff[0]); i++) {
		int rc = fdinfo_iff(iff[i].text, name, sizeof(name));

		snprintf(label, sizeof(label), "fdinfo iff case %zu", i);
		if (iff[i].want)
			check(!rc && !strcmp(name, iff[i].want), label, "rc %d name '%s'", rc,
			      rc ? "" : name);
		else
			check(rc == -1, label, "rc %d", rc);
	}
	check(fdinfo_iff(fdinfo, name, 4) == -1, "fdinfo iff: too small a buffer refused",
	      "accepted");
	for (size_t i = 0; i < sizeof(cg) / sizeof(cg[0]); i++) {
		snprintf(label, sizeof(label), "cgroup net_cls case %zu", i);
		check(cgroup_has_netcls(cg[i].text) == cg[i].want, label, "got %d",
		      cgroup_has_netcls(cg[i].text));
	}
}

/* conmon's command line, as Podman 4.3 started it here (abridged), and variants */
static void test_conmon(void)
{
#define CM(x) x, sizeof(x) - 1
	static const char podman[] = "/usr/bin/conmon\0--api-version\0001\0-c\0" ID64 "\0-u\0" ID64
		"\0-r\0/usr/bin/runc\0-b\0/var/lib/containers/storage/overlay-containers/" ID64
		"/userdata\0-n\0web-1\0--exit-dir\0/run/libpod/exits\0--full-attach\0-s\0"
		"--exit-command\0/usr/bin/podman\0--exit-command-arg\0--root\0";
	static const struct { const char *text; size_t len; const char *engine, *name; } v[] = {
		{ CM(podman), "podman", "web-1" },
		{ CM("conmon\0--cid=" ID64 "\0--name=x\0--exit-command=/usr/local/bin/podman\0"),
		  "podman", "x" },
		{ CM("conmon\0-c\0" ID64 "\0-n\0k8s_app_pod\0--exit-dir\0/var/run/crio/exits\0"),
		  "cri-o", "k8s_app_pod" },
		{ CM("conmon\0-c\0" ID64 "\0--exit-command\0/usr/bin/podman\0"), "podman", "" },
		/* a name with a control character is dropped, the container kept */
		{ CM("conmon\0-c\0" ID64 "\0-n\0a\x1b[2J\0--exit-command\0podman\0"), "podman", "" },
		/* no engine: an unknown exit command, no crio exit dir */
		{ CM("conmon\0-c\0" ID64 "\0-n\0x\0--exit-command\0/usr/bin/true\0"), NULL, NULL },
		/* ids: short, not hex, missing, the value cut (no NUL) */
		{ CM("conmon\0-c\0abc\0--exit-command\0podman\0"), NULL, NULL },
		{ CM("conmon\0-c\0" "../../etc/passwd-x\0--exit-command\0podman\0"), NULL, NULL },
		{ CM("conmon\0-n\0x\0--exit-command\0podman\0"), NULL, NULL },
		{ CM("conmon\0--exit-command\0podman\0-c\0" ID64), NULL, NULL },
		{ CM("conmon\0-c"), NULL, NULL },
		{ "", 0, NULL, NULL },
	};
	char id[72], name[128], label[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *engine = "unset";
		int rc = conmon_cmdline_parse(v[i].text, v[i].len, id, sizeof(id), name,
					      sizeof(name), &engine);

		snprintf(label, sizeof(label), "conmon command line case %zu", i);
		if (v[i].engine)
			check(!rc && engine && !strcmp(engine, v[i].engine) && !strcmp(id, ID64) &&
			      !strcmp(name, v[i].name), label, "rc %d engine %s id %.12s name '%s'",
			      rc, engine ? engine : "-", rc ? "" : id, rc ? "" : name);
		else
			check(rc == -1, label, "rc %d", rc);
	}
	check(conmon_cmdline_parse(CM(podman), id, 20, name, sizeof(name),
				   &(const char *){ NULL }) == -1,
	      "conmon: an id longer than its buffer refused", "accepted");
#undef CM
}

/* lxc-start's monitor command line, as LXC 5 sets it here, and variants */
static void test_lxc_monitor(void)
{
#define LM(x) x, sizeof(x)
	static const struct { const char *text; size_t len; const char *want; } v[] = {
		{ LM("[lxc monitor] /var/lib/lxc web1"), "web1" },
		{ LM("[lxc monitor] /srv/my lxc/path db-2"), "db-2" },	/* a path with a space */
		{ LM("[lxc monitor] /var/lib/lxc ../x"), NULL },	/* a slash in the name */
		{ LM("[lxc monitor] /var/lib/lxc "), NULL },		/* no name */
		{ LM("[lxc monitor] web1"), NULL },			/* no path: not as LXC writes it */
		{ LM("[lxc monitor] /var/lib/lxc a\x1b[2J"), NULL },	/* control character */
		{ LM("lxc-start -n web1"), NULL },			/* not a monitor */
		{ "[lxc monitor] /var/lib/lxc web1", 31, NULL },	/* no NUL: cut */
		{ LM("[lxc monitor] "), NULL },
	};
	char name[128], label[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = lxc_monitor_parse(v[i].text, v[i].len, name, sizeof(name));

		snprintf(label, sizeof(label), "lxc monitor command line case %zu", i);
		if (v[i].want)
			check(!rc && !strcmp(name, v[i].want), label, "rc %d name '%s'", rc,
			      rc ? "" : name);
		else
			check(rc == -1, label, "rc %d", rc);
	}
#undef LM
}

/* parse_time (--at, --since) and parse_duration (-d, --interval): UTC moments, lengths. */
static void test_time(void)
{
	static const struct { const char *in, *want; } good[] = {
		{ "2026-12-02T03:12:00", "2026-12-02T03:12:00.000Z" },
		{ "2026-12-02T03:12:00Z", "2026-12-02T03:12:00.000Z" },
		{ "2026-12-02 03:12", "2026-12-02T03:12:00.000Z" },
		{ "2026-12-02T03:12:09.5Z", "2026-12-02T03:12:09.500Z" },
		{ "2026-12-02T03:12:09.123456", "2026-12-02T03:12:09.123Z" },
		{ "2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z" },
	};
	static const char *const bad[] = {
		"", "yesterday", "2026-12-02", "2026-12-02T", "2026-12-02T25:00", "2026-13-01T00:00",
		"2026-12-02T03:12:00+01:00", "2026-12-02T03:12:00 ", "-", "-x", "--5m", "-5x",
	};
	static const struct { const char *in; double want; } dur[] = {
		{ "10", 10 }, { "10s", 10 }, { "500ms", 0.5 }, { "2m", 120 }, { "1h", 3600 },
		{ "5x", -1 }, { "", -1 }, { "-3", -1 },
	};
	char iso[32];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = parse_time(good[i].in, iso, sizeof(iso));

		check(!rc && !strcmp(iso, good[i].want), "parse_time: a moment", "'%s': rc %d, '%s'",
		      good[i].in, rc, rc ? "" : iso);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(parse_time(bad[i], iso, sizeof(iso)) == -1, "parse_time: not a moment",
		      "'%s' was taken", bad[i]);
	check(!parse_time("-10m", iso, sizeof(iso)) && strlen(iso) == 24 && iso[23] == 'Z',
	      "parse_time: -10m is a moment", "'%s'", iso);
	for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++)
		check(parse_duration(dur[i].in) == dur[i].want, "parse_duration", "'%s': %g",
		      dur[i].in, parse_duration(dur[i].in));
}

/* An RTM_NEWNSID answer (seq 7) with NETNSA_NSID = nsid, and NETNSA_CURRENT_NSID if cur. */
static size_t nsid_answer(unsigned char *buf, int type, int nsid, int cur)
{
	struct nlmsghdr h = { .nlmsg_type = (uint16_t)type, .nlmsg_seq = 7 };
	struct nlattr a = { .nla_len = NLA_HDRLEN + 4 };
	size_t len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtgenmsg));
	int32_t v;

	memset(buf, 0, 256);
	for (int k = 0; k < 1 + !!cur; k++) {
		a.nla_type = k ? NETNSA_CURRENT_NSID : NETNSA_NSID;
		v = k ? -1 : nsid;
		memcpy(buf + len, &a, sizeof(a));
		memcpy(buf + len + NLA_HDRLEN, &v, sizeof(v));
		len += NLA_HDRLEN + 4;
	}
	h.nlmsg_len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	return len;
}

/* The answer to RTM_GETNSID, and whether it was of the namespace NETNSA_TARGET_NSID named. */
static void test_nsid_reply(void)
{
	unsigned char buf[256];
	size_t n;
	int id = 0, cur = 0;

	n = nsid_answer(buf, RTM_NEWNSID, 5, 1);
	check(nsid_parse_reply_cur(buf, n, 7, &id, &cur) == 1 && id == 5 && cur == 1,
	      "nsid answer: of the target's table", "id %d current %d", id, cur);
	n = nsid_answer(buf, RTM_NEWNSID, 5, 0);
	check(nsid_parse_reply_cur(buf, n, 7, &id, &cur) == 1 && id == 5 && cur == 0,
	      "nsid answer without NETNSA_CURRENT_NSID: of the asker's own", "id %d current %d",
	      id, cur);
	check(nsid_parse_reply_cur(buf, n, 8, &id, &cur) == 0, "nsid answer: another seq read on",
	      "parsed");
	n = nsid_answer(buf, NLMSG_ERROR, 5, 1);
	check(nsid_parse_reply_cur(buf, n, 7, &id, &cur) == -1 && id == -1 && cur == 0,
	      "nsid answer: an error is none", "id %d current %d", id, cur);
	n = nsid_answer(buf, RTM_NEWNSID, 5, 1);
	check(nsid_parse_reply_cur(buf, n - 1, 7, &id, &cur) == -1,
	      "nsid answer: a cut one is refused", "accepted");
}

/* Feed text to a fresh stream in pieces of step bytes: the lines counted, or -1 (*err). */
static long stream_feed_in(const char *text, size_t len, size_t step, const char **err)
{
	struct http_stream s;
	long lines = 0;

	http_stream_init(&s);
	for (size_t i = 0; i < len; i += step) {
		long n = http_stream_feed(&s, text + i, len - i < step ? len - i : step, err);

		if (n < 0)
			return -1;
		lines += n;
	}
	return lines;
}

/* Docker's /events as recorded here (HTTP/1.0, plain), chunked, and hostile answers. */
static void test_http_stream(void)
{
	static const char plain[] =
		"HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
		"Docker-Experimental: false\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n\r\n"
		"{\"status\":\"create\",\"id\":\"3f1\",\"Type\":\"container\",\"Action\":\"create\"}\n"
		"{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"9a\"}}\n"
		"{\"status\":\"start\",\"id\":\"3f1\",\"Type\":\"container\"}\n{\"half";
	static const char chunked[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"1a\r\n{\"Action\":\"start\",\"id\":1}\n\r\n"
		"5;ext=1\r\n{\"a\":\r\n4\r\n1}\n\n\r\n";
	static const struct {
		const char *name, *text, *err;	/* err NULL: a stream; text: headers and a line */
	} bad[] = {
		{ "not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n{}\n", "not an HTTP answer" },
		{ "status 404", "HTTP/1.0 404 Not Found\r\n\r\n{}\n", "other than 200" },
		{ "chunk size not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		  "malformed chunk size" },
		{ "chunk size of 4 GiB", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "100000000\r\n", "malformed chunk size" },
		{ "the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "3\r\n{}\n\r\n0\r\n\r\n", "last chunk" },
	};
	const char *err = NULL;
	char *big;
	size_t n, step;
	long got = 0;

	for (step = 1; step <= sizeof(plain); step += step < 8 ? 1 : 61) {
		err = NULL;
		got = stream_feed_in(plain, sizeof(plain) - 1, step, &err);
		if (got != 3)
			break;
	}
	check(got == 3, "http stream: Docker's plain answer: 3 whole lines, however it is cut",
	      "cut every %zu bytes: %ld (%s)", step, got, err ? err : "no error");
	err = NULL;
	check(stream_feed_in(chunked, sizeof(chunked) - 1, 1, &err) == 2 &&
	      stream_feed_in(chunked, sizeof(chunked) - 1, sizeof(chunked), &err) == 2,
	      "http stream: chunked, with an extension and a line across chunks: 2 lines", "%s",
	      err ? err : "wrong count");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[128];

		err = NULL;
		snprintf(name, sizeof(name), "http stream: %s: refused, saying so", bad[i].name);
		check(stream_feed_in(bad[i].text, strlen(bad[i].text), 3, &err) < 0 && err &&
		      strstr(err, bad[i].err), name, "%s", err ? err : "accepted");
	}
	/* bounds: headers that never end, a line that never ends */
	n = HTTP_STREAM_HEAD + 10;
	big = malloc(HTTP_STREAM_LINE + 200);
	memset(big, 'x', n);
	memcpy(big, "HTTP/1.0 200 OK\r\nX: ", 21);
	err = NULL;
	check(stream_feed_in(big, n, 4096, &err) < 0 && err && strstr(err, "headers longer"),
	      "http stream: headers beyond HTTP_STREAM_HEAD: refused", "%s", err ? err : "accepted");
	n = 19 + HTTP_STREAM_LINE + 1;
	memcpy(big, "HTTP/1.0 200 OK\r\n\r\n", 19);
	memset(big + 19, 'y', n - 19);
	err = NULL;
	check(stream_feed_in(big, n, 65536, &err) < 0 && err && strstr(err, "line longer"),
	      "http stream: a line beyond HTTP_STREAM_LINE: refused", "%s", err ? err : "accepted");
	big[n - 1] = '\n';
	err = NULL;
	check(stream_feed_in(big, n, 65536, &err) == 1,
	      "http stream: a line of exactly HTTP_STREAM_LINE bytes: taken", "%s", err ? err : "refused");
	free(big);
}

int main(void)
{
	test_storage_conf();
	test_cgroup();
	test_cgroup_dir();
	test_cgroup_hostile();
	test_fdprobe();
	test_conmon();
	test_lxc_monitor();
	test_time();
	test_nsid_reply();
	test_http_stream();
	return unit_failures ? 1 : 0;
}
