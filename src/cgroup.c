/*
 * cgroup.c implements the parser of /proc/PID/cgroup lines: which container engine, and
 * which container id or name, a process's cgroup path names.  Pure string work on
 * untrusted input: nothing here trusts a length or an index from the file.
 *
 *   docker    /docker/<64hex>                 docker-<64hex>.scope
 *   podman    /libpod_parent/libpod-<64hex>   libpod-<64hex>.scope   (libpod-conmon-*: no)
 *   cri-o     crio-<64hex>.scope                                      (crio-conmon-*: no)
 *   containerd (Kubernetes)  cri-containerd-<64hex>.scope
 *   lxc       /lxc.payload.<name>  /lxc.payload/<name>  /lxc/<name>
 *   nspawn    /machine.slice/machine-<name>.scope (systemd's \xNN escapes undone)
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

/* Undo systemd's unit name escaping (\x2d for '-') in place; 0 on a bad escape. */
static int unescape_unit(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == 'x' && isxdigit((unsigned char)r[2]) &&
		    isxdigit((unsigned char)r[3])) {
			char hex[3] = { r[2], r[3], 0 };
			long v = strtol(hex, NULL, 16);

			if (v < 0x20 || v == 0x7f)
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

/*
 * Look at one cgroup path ("/system.slice/docker-<id>.scope", ...).  On a match, set
 * engine (a static string) and id (a container id, or a name for lxc and nspawn) and
 * return 1.  The innermost matching component wins.
 */
int cgroup_path_parse(const char *path, const char **engine, char *id, size_t idsize)
{
	const char *comp = path, *end;
	int found = 0;
	const char *prev = NULL;
	size_t prevlen = 0;

	while (*comp) {
		size_t n;

		while (*comp == '/')
			comp++;
		if (!*comp)
			break;
		end = strchr(comp, '/');
		n = end ? (size_t)(end - comp) : strlen(comp);
		if (match_id(comp, n, "docker-", ".scope", id, idsize) ||
		    (prev && prevlen == 6 && !strncmp(prev, "docker", 6) &&
		     match_id(comp, n, "", "", id, idsize))) {
			*engine = "docker";
			found = 1;
		} else if (match_id(comp, n, "libpod-", ".scope", id, idsize) ||
			   match_id(comp, n, "libpod-", "", id, idsize)) {
			*engine = "podman";
			found = 1;
		} else if (match_id(comp, n, "crio-", ".scope", id, idsize)) {
			*engine = "cri-o";
			found = 1;
		} else if (match_id(comp, n, "cri-containerd-", ".scope", id, idsize)) {
			*engine = "containerd";
			found = 1;
		} else if (n > 12 && !strncmp(comp, "lxc.payload.", 12) &&
			   take_name(id, idsize, comp + 12, n - 12)) {
			*engine = "lxc";
			found = 1;
		} else if (prev && ((prevlen == 11 && !strncmp(prev, "lxc.payload", 11)) ||
				    (prevlen == 3 && !strncmp(prev, "lxc", 3))) &&
			   take_name(id, idsize, comp, n)) {
			*engine = "lxc";
			found = 1;
		} else if (n > 14 && !strncmp(comp, "machine-", 8) &&
			   !strncmp(comp + n - 6, ".scope", 6) &&
			   take_name(id, idsize, comp + 8, n - 14) && unescape_unit(id) && *id) {
			*engine = "nspawn";
			found = 1;
		}
		prev = comp;
		prevlen = n;
		comp += n;
	}
	return found;
}

/*
 * Parse a whole /proc/PID/cgroup file ("hierarchy-ID:controllers:path" lines); the
 * unified (0::) line and the name=systemd line are preferred, any other that matches is
 * taken.  Returns 1 with engine and id set, 0 when no container is named.
 */
int cgroup_file_parse(const char *text, const char **engine, char *id, size_t idsize)
{
	const char *line = text;
	int found = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', n), *c2;
		char path[1024];

		if (c1 && (c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line)))) {
			size_t plen = n - (size_t)(c2 + 1 - line);

			if (plen < sizeof(path)) {
				memcpy(path, c2 + 1, plen);
				path[plen] = '\0';
				if (cgroup_path_parse(path, engine, id, idsize)) {
					found = 1;
					/* the unified or systemd hierarchy is authoritative */
					if (!strncmp(line, "0::", 3) || (c2 - c1 == 13 &&
					    !strncmp(c1 + 1, "name=systemd", 12)))
						return 1;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return found;
}
