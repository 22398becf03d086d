/*
 * cgroup.c implements the parser of /proc/PID/cgroup lines: which container engine, and
 * which container id or name, a process's cgroup path names.  Pure string work on
 * untrusted input: nothing here trusts a length or an index from the file.
 *
 * Only a component at the place its engine puts containers is "placed" (the caller then
 * checks that root owns that cgroup); a match anywhere else (inside a cgroup delegated to a
 * user, say) is still reported, unplaced.  The outermost match wins.
 *
 *   docker     /docker/<64hex>   /system.slice/docker-<64hex>.scope
 *   podman     /libpod_parent/[<pod>/]libpod-<64hex>
 *              /machine.slice/[machine-libpod_pod_<pod>.slice/]libpod-<64hex>.scope
 *              (libpod-conmon-*: no)
 *   cri-o      /kubepods[.slice]/.../crio-<64hex>.scope            (crio-conmon-*: no)
 *   containerd /kubepods[.slice]/.../cri-containerd-<64hex>.scope   (Kubernetes)
 *   lxc        /lxc.payload.<name>  /lxc.payload/<name>  /lxc/<name>
 *   nspawn     /machine.slice/machine-<name>.scope (systemd's \xNN escapes undone)
 * (kubepods levels: kubepods*, besteffort, burstable, pod*; at most three.)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

static int is_hex_id(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A name for a container: printable, no slash, 1..max-1 bytes. */
static int take_name(char *out, size_t size, const char *s, size_t n)
{
	if (!n || n >= size)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
			return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}

/*
 * Undo systemd's unit name escaping (\x2d for '-') in place; 0 on a bad escape or one
 * that makes a control byte or a '/' (a machine name holds neither).
 */
static int unescape_unit(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == 'x' && isxdigit((unsigned char)r[2]) &&
		    isxdigit((unsigned char)r[3])) {
			char hex[3] = { r[2], r[3], 0 };
			long v = strtol(hex, NULL, 16);

			if (v < 0x20 || v == 0x7f || v == '/')
				return 0;
			*w++ = (char)v;
			r += 3;
		} else if (*r == '\\') {
			return 0;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 1;
}

/* Match "<prefix><64hex><suffix>" in one path component. */
static int match_id(const char *comp, size_t n, const char *prefix, const char *suffix,
		    char *id, size_t idsize)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (n != pl + 64 + sl || strncmp(comp, prefix, pl) || strncmp(comp + pl + 64, suffix, sl))
		return 0;
	if (!is_hex_id(comp + pl, 64) || idsize < 65)
		return 0;
	memcpy(id, comp + pl, 64);
	id[64] = '\0';
	return 1;
}

/* One path component, and the two outside it (NULL at the top). */
struct comp {
	const char *s;
	size_t n;
};

static int is(const struct comp *c, const char *word)
{
	return c && c->n == strlen(word) && !strncmp(c->s, word, c->n);
}

static int starts(const struct comp *c, const char *word)
{
	return c && c->n >= strlen(word) && !strncmp(c->s, word, strlen(word));
}

/* Kubernetes' own levels above a pod's containers: kubepods[.slice], QoS class, pod. */
static int under_kubepods(const struct comp *v, size_t k)
{
	if (k < 1 || k > 4 || !(is(&v[0], "kubepods") || is(&v[0], "kubepods.slice")))
		return 0;
	for (size_t i = 1; i < k; i++)
		if (!starts(&v[i], "kubepods") && !starts(&v[i], "pod") &&
		    !is(&v[i], "besteffort") && !is(&v[i], "burstable"))
			return 0;
	return 1;
}

/*
 * Does component k of v name a container?  Sets engine, id and *placed (1 when the
 * component sits where its engine puts containers: see the table at the top).
 */
static int match_comp(const struct comp *v, size_t k, const char **engine, char *id,
		      size_t idsize, int *placed)
{
	const struct comp *c = &v[k], *up = k ? &v[k - 1] : NULL, *top = &v[0];
	char name[256];

	if (match_id(c->s, c->n, "docker-", ".scope", id, idsize)) {
		*engine = "docker";
		*placed = k == 1 && is(top, "system.slice");
	} else if (is(up, "docker") && match_id(c->s, c->n, "", "", id, idsize)) {
		*engine = "docker";
		*placed = k == 1;
	} else if (match_id(c->s, c->n, "libpod-", ".scope", id, idsize)) {
		*engine = "podman";	/* in a pod: machine-libpod_pod_<id>.slice */
		*placed = is(top, "machine.slice") &&
			  (k == 1 || (k == 2 && starts(up, "machine-libpod_pod_")));
	} else if (match_id(c->s, c->n, "libpod-", "", id, idsize)) {
		*engine = "podman";
		*placed = is(top, "libpod_parent") && (k == 1 || k == 2);
	} else if (match_id(c->s, c->n, "crio-", ".scope", id, idsize)) {
		*engine = "cri-o";
		*placed = under_kubepods(v, k);
	} else if (match_id(c->s, c->n, "cri-containerd-", ".scope", id, idsize)) {
		*engine = "containerd";
		*placed = under_kubepods(v, k);
	} else if (c->n > 12 && !strncmp(c->s, "lxc.payload.", 12) &&
		   take_name(id, idsize, c->s + 12, c->n - 12)) {
		*engine = "lxc";
		*placed = k == 0;
	} else if ((is(up, "lxc.payload") || is(up, "lxc")) && take_name(id, idsize, c->s, c->n)) {
		*engine = "lxc";
		*placed = k == 1;
	} else if (c->n > 14 && !strncmp(c->s, "machine-", 8) &&
		   !strncmp(c->s + c->n - 6, ".scope", 6) &&
		   take_name(name, sizeof(name), c->s + 8, c->n - 14) && unescape_unit(name) &&
		   *name && strlen(name) < idsize) {
		strcpy(id, name);	/* only a whole, unescaped name reaches id */
		*engine = "nspawn";
		*placed = k == 1 && is(top, "machine.slice");
	} else {
		return 0;
	}
	return 1;
}

#define CGROUP_DEPTH_MAX 64	/* deeper paths are looked at down to here */

/*
 * Look at one cgroup path ("/system.slice/docker-<id>.scope", ...).  The outermost
 * component that names a container wins; m->placed says whether it sits where its
 * engine puts containers, m->dir is the path down to it.  Returns 1 on a match (m set),
 * 0 when the path names no container (m->id and m->dir untouched).
 */
int cgroup_path_parse(const char *path, struct cgroup_match *m)
{
	struct comp v[CGROUP_DEPTH_MAX];
	size_t nv = 0;

	for (const char *p = path; *p && nv < CGROUP_DEPTH_MAX;) {
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		v[nv].s = p;
		v[nv].n = end ? (size_t)(end - p) : strlen(p);
		p += v[nv++].n;
	}
	for (size_t k = 0; k < nv; k++) {
		char id[sizeof(m->id)];
		const char *engine;
		int placed;
		size_t dlen = (size_t)(v[k].s + v[k].n - path);

		if (!match_comp(v, k, &engine, id, sizeof(id), &placed))
			continue;
		if (dlen >= sizeof(m->dir))
			return 0;
		m->engine = engine;
		strcpy(m->id, id);
		m->placed = placed;
		memcpy(m->dir, path, dlen);
		m->dir[dlen] = '\0';
		return 1;
	}
	return 0;
}

#define CGROUP_LINES_MAX 64

static int field_eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && !memcmp(a, b, an);
}

/*
 * Parse a whole /proc/PID/cgroup file ("hierarchy-ID:controllers:path" lines).  A match
 * at its engine's place wins over one that is not, and among those the unified (0::)
 * line and the name=systemd line win over the others.  The kernel writes each hierarchy
 * once: a file that names one twice has a forged line (a cgroup name with a newline in
 * it), and nothing in it is placed.  Returns 1 with m set, 0 when no container is named.
 */
int cgroup_file_parse(const char *text, struct cgroup_match *m)
{
	struct { const char *id, *ctl; size_t idn, ctln; } seen[CGROUP_LINES_MAX];
	struct cgroup_match cur;
	size_t nseen = 0;
	int best = 0, forged = 0;	/* best: 0 none, 1 unplaced, 2 placed, 3 placed and main */

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line), idn, ctln, plen;
		const char *c1 = memchr(line, ':', n), *c2 = NULL, *l = line;
		char path[1024];
		int rank;

		if (c1)
			c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line));
		line = nl ? nl + 1 : NULL;
		if (!c2)
			continue;
		idn = (size_t)(c1 - l);
		ctln = (size_t)(c2 - c1 - 1);
		for (size_t i = 0; i < nseen; i++)
			if (field_eq(seen[i].id, seen[i].idn, l, idn) ||
			    field_eq(seen[i].ctl, seen[i].ctln, c1 + 1, ctln))
				forged = 1;
		if (nseen == CGROUP_LINES_MAX) {
			forged = 1;
			continue;
		}
		seen[nseen].id = l;
		seen[nseen].idn = idn;
		seen[nseen].ctl = c1 + 1;
		seen[nseen++].ctln = ctln;
		plen = n - (size_t)(c2 + 1 - l);
		if (plen >= sizeof(path) || ctln >= sizeof(cur.hier))
			continue;
		memcpy(path, c2 + 1, plen);
		path[plen] = '\0';
		if (!cgroup_path_parse(path, &cur))
			continue;
		memcpy(cur.hier, c1 + 1, ctln);
		cur.hier[ctln] = '\0';
		rank = !cur.placed ? 1 : (!strcmp(cur.hier, "") && idn == 1 && *l == '0') ||
			!strcmp(cur.hier, "name=systemd") ? 3 : 2;
		if (rank > best) {
			*m = cur;
			best = rank;
		}
	}
	if (best && forged)
		m->placed = 0;
	return best > 0;
}
