/*
 * mountinfo_test.c: unit tests, without root, of the rules discovery applies to mount
 * tables that others control (mountinfo.c) and of what the origin of a name means to
 * targets (target.c) and to diff (diff.c): a line parser fed recorded mountinfo lines,
 * the filesystems never walked, the component-wise "below" rule, and names seen only in
 * another mount namespace, which never name or identify a namespace.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"
#include "unit.h"

/* A recorded mount table of a user's mount namespace: FUSE over /home/u/m, nsfs below. */
static const char recorded[] =
	"22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"60 22 0:4 net:[4026532100] /home/u/m/x/ns rw - nsfs nsfs rw\n"
	"61 22 0:4 net:[4026532101] /home/u/mx/ns rw - nsfs nsfs rw\n"
	"62 22 0:4 net:[4026532102] /home/u/with\\040space rw master:3 - nsfs nsfs rw\n"
	"63 22 0:4 mnt:[4026532103] /home/u/mntns rw - nsfs nsfs rw\n"
	"64 22 0:50 / /home/u/m rw,nosuid - fuse.sshfs host:/ rw,user_id=1000\n"
	"65 22 0:51 / /srv/nfs rw - nfs4 server:/export rw\n"
	"66 22 0:4 net:[4026532104] /srv/nfs/deep/ns rw - nsfs nsfs rw\n"
	"67 22 0:4 net:[4026532105] /srv/nfsx rw - nsfs nsfs rw\n"
	"68 22 0:52 / /tmp/t rw - tmpfs none rw\n"
	"69 22 0:4 net:[4026532106] /tmp/t/ns rw - nsfs nsfs rw\n"
	"garbage without separator\n"
	"70 22 0:4 net:[12x] /bad/ino rw - nsfs nsfs rw\n"
	"71 22 0:4 net:[4026532107] relative/path rw - nsfs nsfs rw\n";

static void test_parse(void)
{
	char *text = xstrdup(recorded), *save = NULL;
	struct strv unsafe = { 0 }, cand = { 0 };
	uint64_t inos[32];
	char got[1024] = "";
	size_t n = 0, bad = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mnt_entry e;

		if (mountinfo_parse(line, &e)) {
			bad++;
			continue;
		}
		if (fstype_unsafe(e.fstype))
			strv_add(&unsafe, e.mountpoint);
		else if (e.net_ino && n < 32) {
			inos[n++] = e.net_ino;
			strv_add(&cand, e.mountpoint);
		}
	}
	check(bad == 2, "parse: malformed lines (no separator, relative mountpoint) refused",
	      "%zu refused", bad);
	check(n == 6 && cand.n == 6, "parse: every net nsfs line with a good inode", "%zu", n);
	check(n > 2 && !strcmp(cand.v[2], "/home/u/with space") && inos[2] == 4026532102ULL,
	      "parse: mountpoint unescaped, optional fields skipped", "%s", n > 2 ? cand.v[2] : "");
	check(unsafe.n == 2, "parse: fuse.sshfs and nfs4 mounts are unsafe", "%zu", unsafe.n);
	for (size_t i = 0; i < cand.n; i++) {
		const char *p = mount_unsafe_parent(&unsafe, cand.v[i]);

		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%llu:%s", i ? " " : "",
			 (unsigned long long)inos[i] % 1000, p ? "skip" : "walk");
	}
	check(!strcmp(got, "100:skip 101:walk 102:walk 104:skip 105:walk 106:walk"),
	      "prefix rule: only mounts on or below a FUSE/NFS mount are skipped", "%s", got);
	strv_release(&unsafe);
	strv_release(&cand);
	free(text);
}

static void test_rules(void)
{
	static const char *const unsafe[] = { "fuse", "fuse.sshfs", "fuseblk", "nfs", "nfs4",
		"cifs", "smb3", "9p", "ceph", "glusterfs", "autofs", "virtiofs", NULL };
	static const char *const safe[] = { "ext4", "tmpfs", "nsfs", "overlay", "proc",
		"xfs", "btrfs", "fusefoo", NULL };
	int ok = 1;

	for (int i = 0; unsafe[i]; i++)
		ok &= fstype_unsafe(unsafe[i]);
	check(ok, "fstype: network and user filesystems are unsafe", "one was not");
	ok = 1;
	for (int i = 0; safe[i]; i++)
		ok &= !fstype_unsafe(safe[i]);
	check(ok, "fstype: local filesystems are not", "one was");
	check(path_below("/a", "/a") && path_below("/a", "/a/b") && !path_below("/a", "/ab") &&
	      path_below("/a/", "/a/b") && path_below("/", "/x") && !path_below("/a/b", "/a"),
	      "path_below: component by component", "wrong");
}

/* Two namespaces: the host's /run/netns/db, and a user's with names in its own mntns. */
static void two(struct topo *t, uint64_t real_ino, uint64_t user_ino)
{
	size_t h, r, u;

	topo_init(t);
	h = topo_add_ns(t, 4, 1000);
	t->ns[h].is_host = 1;
	r = topo_add_ns(t, 4, real_ino);
	if (real_ino)
		ns_add_mount(t, r, "/run/netns/db", 77, 0, 1);
	u = topo_add_ns(t, 4, user_ino);
	ns_add_mount(t, u, "/run/netns/db", 88, 4242, 0);
	ns_add_mount(t, u, "/run/netns/prod", 88, 4242, 0);
	for (size_t i = 0; i < t->nns; i++)
		strv_sort_unique(&t->ns[i].names);
	topo_sort(t);
}

static void test_origin(void)
{
	struct target_set m;
	struct topo t;
	char *s = ns_name_make("/run/netns/x", 0, 4242);

	check(!strcmp(s, "pid 4242:/run/netns/x") && !ns_name_is_host(s),
	      "origin: a foreign mount is named with its holder, not a host name", "%s", s);
	free(s);
	s = ns_name_make("/run/netns/x", 1, 0);
	check(!strcmp(s, "/run/netns/x") && ns_name_is_host(s), "origin: a host mount is its path",
	      "%s", s);
	free(s);

	two(&t, 2000, 3000);
	target_match(&t, "db", &m);
	check(m.n == 1 && t.ns[m.v[0].ns].ino == 2000, "target: db is the host's /run/netns/db only",
	      "%zu matches", m.n);
	target_match(&t, "prod", &m);
	check(m.n == 0, "target: a name planted in another mount namespace is unknown", "%zu", m.n);
	target_match(&t, "/run/netns/prod", &m);
	check(m.n == 0, "target: nor is its full path", "%zu", m.n);
	target_match(&t, "pid 4242:/run/netns/prod", &m);
	check(m.n == 0, "target: nor its display name", "%zu", m.n);
	check(t.ns[2].nmounts == 2 && !t.ns[2].mounts[0].host && t.ns[2].mounts[0].pid == 4242 &&
	      t.ns[2].mounts[0].mntns == 88, "origin: mounts keep mount namespace and holder",
	      "wrong");
	topo_release(&t);
}

/* diff: the host's db goes; a user's namespace that carries "db" is not its successor. */
static void test_diff(void)
{
	struct topo a, b;
	struct changes c = { 0 };
	int removed = 0, changed = 0;

	two(&a, 2000, 3000);
	topo_init(&b);
	{
		size_t h = topo_add_ns(&b, 4, 1000), u;

		b.ns[h].is_host = 1;
		u = topo_add_ns(&b, 4, 5000);	/* a new user namespace, named like db */
		ns_add_mount(&b, u, "/run/netns/db", 99, 5151, 0);
		u = topo_add_ns(&b, 4, 3000);
		ns_add_mount(&b, u, "/run/netns/db", 88, 4242, 0);
		ns_add_mount(&b, u, "/run/netns/prod", 88, 4242, 0);
		for (size_t i = 0; i < b.nns; i++)
			strv_sort_unique(&b.ns[i].names);
		topo_sort(&b);
	}
	diff_topos(&a, &b, &c);
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i].op == '-' && !strcmp(c.v[i].kind, "netns") && !strcmp(c.v[i].object, "db"))
			removed++;
		if (c.v[i].op == '~' && !strcmp(c.v[i].kind, "netns") &&
		    strstr(c.v[i].detail, "inode"))
			changed++;
	}
	check(removed == 1 && changed == 0,
	      "diff: a foreign name is no identity: the host's db is removed, nothing changed",
	      "%d removed, %d inode changes", removed, changed);
	changes_release(&c);
	topo_release(&a);
	topo_release(&b);
}

int main(void)
{
	test_parse();
	test_rules();
	test_origin();
	test_diff();
	return unit_failures ? 1 : 0;
}
