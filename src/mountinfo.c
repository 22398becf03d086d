/*
 * mountinfo.c implements the pure rules discovery applies to a mount table it reads from a
 * process that may be hostile: parsing one /proc/P/mountinfo line, which filesystem types
 * a lookup must never enter (network and user-space filesystems: a lookup below one can
 * block for ever), the component-wise "is this path below that mountpoint" test, and the
 * origin of a namespace name (a path in the host's mount namespace, or one seen only in
 * another mount namespace, written "pid P:PATH", which is never an identity).  No I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

/*
 * Split one mountinfo line (modified in place):
 *   id parent major:minor root mountpoint opts [optional...] - fstype source sopts
 * Returns 0 and fills e (pointers into line, mountpoint unescaped), or -1 when the line
 * is malformed.  net_ino is the N of a root "net:[N]" on nsfs, else 0.
 */
int mountinfo_parse(char *line, struct mnt_entry *e)
{
	char *fields[5], *sep, *save = NULL, *end;
	int n = 0;

	memset(e, 0, sizeof(*e));
	sep = strstr(line, " - ");
	if (!sep)
		return -1;
	*sep = '\0';
	e->fstype = strtok_r(sep + 3, " \n", &save);
	if (!e->fstype)
		return -1;
	save = NULL;
	for (char *tok = strtok_r(line, " ", &save); tok && n < 5; tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	if (n < 5 || decode_mount_escapes(fields[4]) || fields[4][0] != '/')
		return -1;
	e->mountpoint = fields[4];
	if (!strcmp(e->fstype, "nsfs") && !strncmp(fields[3], "net:[", 5)) {
		unsigned long long v;

		errno = 0;
		v = strtoull(fields[3] + 5, &end, 10);
		if (!errno && v && end[0] == ']' && !end[1])
			e->net_ino = v;
	}
	return 0;
}

/*
 * Filesystems whose lookups are answered by a daemon or a server (FUSE and everything
 * built on it, network filesystems, the automounter): a lookup below one can block in D
 * state for as long as the other side likes.
 */
int fstype_unsafe(const char *fstype)
{
	static const char *const exact[] = {
		"fuse", "fuseblk", "fusectl", "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph",
		"glusterfs", "sshfs", "davfs", "afs", "coda", "ncpfs", "lustre", "orangefs", "pvfs2",
		"virtiofs", "vboxsf", "autofs", "gfs2", "ocfs2", "beegfs", "gpfs",
	};

	if (!strncmp(fstype, "fuse.", 5) || !strncmp(fstype, "fuseblk.", 8))
		return 1;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(fstype, exact[i]))
			return 1;
	return 0;
}

/* Is path equal to or below mountpoint, component by component ("/a" covers "/a/b", not "/ab")? */
int path_below(const char *mountpoint, const char *path)
{
	size_t n = strlen(mountpoint);

	while (n > 1 && mountpoint[n - 1] == '/')
		n--;
	if (n == 1 && mountpoint[0] == '/')
		return path[0] == '/';
	return !strncmp(mountpoint, path, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The mountpoint among unsafe (mountpoints of filesystems fstype_unsafe() refuses) that
 * path lies on or below, or NULL: a lookup of path would enter that filesystem.
 */
const char *mount_unsafe_parent(const struct strv *unsafe, const char *path)
{
	for (size_t i = 0; i < unsafe->n; i++)
		if (path_below(unsafe->v[i], path))
			return unsafe->v[i];
	return NULL;
}

/*
 * The display name of a namespace's bind mount: the path itself when it is in the host's
 * mount namespace, else "pid P:PATH" with P a process of the mount namespace that holds
 * it.  Returns a new string.
 */
char *ns_name_make(const char *path, int host, int pid)
{
	char *s;

	if (host)
		return xstrdup(path);
	if (asprintf(&s, "pid %d:%s", pid, path) < 0)
		die("out of memory");
	return s;
}

/* Was this name seen in the host's mount namespace (only those are names of a namespace)? */
int ns_name_is_host(const char *name)
{
	return name[0] == '/';
}
