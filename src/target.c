/*
 * target.c implements the parser of capture targets: what `vethmap cap TARGET` means in a
 * scanned topology.  A target is a container name or id prefix (any engine, any node), a
 * pod (`NAMESPACE/POD` or `POD`), an `ip netns`
 * name or other bind-mount path of the host's mount namespace (never one seen only in
 * another mount namespace), `host`, `pid:N`, `netns:INODE`, `NETNS:IFNAME` (NETNS any
 * of those), a host interface name, or an edge id `eN` (resolved by the caller from the
 * database into an edge of this topology).  Every reading that fits is collected: one
 * is a match, none or several are errors that list what comes close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vethmap.h"

/* Levenshtein distance, capped: enough to suggest "did you mean". */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[65];

	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0], tmp;

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static void add_match(struct target_set *m, long ns, long ifc, const char *what)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].ns == ns && m->v[i].ifc == ifc)
			return;		/* the same object reached two ways */
	if (m->n >= sizeof(m->v) / sizeof(m->v[0]))
		return;
	m->v[m->n].ns = ns;
	m->v[m->n].ifc = ifc;
	copy_str(m->v[m->n].what, sizeof(m->v[m->n].what), what);
	m->n++;
}

static int parse_num(const char *s, unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* How a match on container c reads: "containerd pod 'shop/web' (in node docker:kind)". */
static void ctr_what(const struct container *c, const char *kind, const char *name, char *what,
		     size_t size)
{
	int n = snprintf(what, size, "%s %s '%s'%s%s%s%s%s%s", c->engine, kind, name,
			 *c->node ? " (in node " : "", c->node, *c->node ? ")" : "",
			 c->owner_uid >= 0 ? " (user " : "", c->owner_uid >= 0 ? c->owner : "",
			 c->owner_uid >= 0 ? ")" : "");

	if (n >= (int)size && size > 4)
		strcpy(what + size - 4, "...");	/* a message, cut */
}

/* Namespaces that `spec` names, added to m (ifc = -1). */
static void match_ns(const struct topo *t, const char *spec, struct target_set *m)
{
	unsigned long long num;
	char what[256];

	if (!strcmp(spec, "host")) {
		for (size_t i = 0; i < t->nns; i++)
			if (t->ns[i].is_host)
				add_match(m, (long)i, -1, "the host namespace");
		return;
	}
	if (!strncmp(spec, "pid:", 4)) {
		char path[64];
		struct stat st;

		if (parse_num(spec + 4, &num) || num == 0 || num > (1u << 30))
			return;
		snprintf(path, sizeof(path), "/proc/%llu/ns/net", num);
		if (!stat(path, &st)) {
			long i = topo_find_ns(t, st.st_dev, st.st_ino);

			snprintf(what, sizeof(what), "the namespace of process %llu", num);
			if (i >= 0)
				add_match(m, i, -1, what);
		}
		return;
	}
	if (!strncmp(spec, "netns:", 6)) {
		if (!parse_num(spec + 6, &num)) {
			long i = topo_find_ns(t, 0, num);

			if (i >= 0)
				add_match(m, i, -1, "a namespace by inode");
		}
		return;
	}
	/*
	 * The system's containers first: a user's (rootless) container is a target by its
	 * name only when no system container has that name, so a user cannot make the
	 * system's name ambiguous, or take it.
	 */
	for (int users = 0, system = 0; users < 2 && !system; users++)
		for (size_t i = 0; i < t->nctrs; i++) {
			const struct container *c = &t->ctrs[i];
			char pod[sizeof(c->pod_ns) + sizeof(c->pod) + 1];

			if (c->ns < 0 || !c->verified ||	/* a name anyone could have chosen */
			    (c->owner_uid >= 0) != users)
				continue;
			ctr_pod_label(c, pod, sizeof(pod));
			if (!strcmp(c->name, spec))
				ctr_what(c, "container", c->name, what, sizeof(what));
			else if (*c->pod && (!strcmp(pod, spec) || !strcmp(c->pod, spec)))
				ctr_what(c, "pod", pod, what, sizeof(what));
			else
				continue;
			add_match(m, c->ns, -1, what);
			system |= !users;
		}
	if (!m->n && strlen(spec) >= 3)
		for (size_t i = 0; i < t->nctrs; i++) {
			const struct container *c = &t->ctrs[i];

			if (c->ns >= 0 && c->verified && !strncmp(c->id, spec, strlen(spec))) {
				char id[32];

				snprintf(id, sizeof(id), "id %.12s", c->id);
				ctr_what(c, "container", c->name, what, sizeof(what));
				if (strlen(what) + strlen(id) + 4 < sizeof(what))
					snprintf(what + strlen(what), sizeof(what) - strlen(what), " (%s)",
						 id);
				add_match(m, c->ns, -1, what);
			}
		}
	/*
	 * Only names of the host's mount namespace name a namespace: anyone can mount
	 * anything at /run/netns/NAME in a mount namespace of their own ("pid P:PATH").
	 */
	for (size_t i = 0; i < t->nns; i++)
		for (size_t k = 0; k < t->ns[i].names.n; k++) {
			const char *n = t->ns[i].names.v[k];
			const char *base = strrchr(n, '/');

			if (!ns_name_is_host(n))
				continue;
			if (!strcmp(n, spec) || (base && !strcmp(base + 1, spec) &&
			    (!strncmp(n, "/run/netns/", 11) || !strncmp(n, "/var/run/netns/", 15)))) {
				snprintf(what, sizeof(what), "namespace %s", n);
				add_match(m, (long)i, -1, what);
			}
		}
}

/* Interface `name` in each namespace of `in`, added to m. */
static void match_ifname(const struct topo *t, const struct target_set *in, const char *name,
			 struct target_set *m)
{
	for (size_t k = 0; k < in->n; k++)
		for (size_t i = 0; i < t->nifs; i++)
			if ((long)t->ifs[i].ns == in->v[k].ns && !strcmp(t->ifs[i].name, name)) {
				char what[300];

				snprintf(what, sizeof(what), "interface %s in %s", name, in->v[k].what);
				add_match(m, in->v[k].ns, (long)i, what);
			}
}

/*
 * Every reading of spec in t, into m.  The caller decides: one is the target, none or
 * several are an error (see target_explain).
 */
void target_match(const struct topo *t, const char *spec, struct target_set *m)
{
	const char *colon = strrchr(spec, ':');

	m->n = 0;
	match_ns(t, spec, m);
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ns[t->ifs[i].ns].is_host && !strcmp(t->ifs[i].name, spec))
			add_match(m, (long)t->ifs[i].ns, (long)i, "a host interface");
	if (colon && colon != spec && colon[1]) {
		struct target_set nsm = { 0 };
		char left[512];

		if ((size_t)(colon - spec) < sizeof(left)) {
			memcpy(left, spec, (size_t)(colon - spec));
			left[colon - spec] = '\0';
			match_ns(t, left, &nsm);
			match_ifname(t, &nsm, colon + 1, m);
		}
	}
}

/* The error for a target that matched nothing or several things; exit status 2. */
int target_explain(const struct topo *t, const char *spec, const struct target_set *m)
{
	char esc[512], buf[512], lab[32];
	int shown = 0;

	text_esc(esc, sizeof(esc), spec);
	if (m->n > 1) {
		error("ambiguous target '%s': it names %zu things", esc, m->n);
		for (size_t i = 0; i < m->n; i++) {
			const char *h = m->v[i].ns >= 0 ? topo_host_of(t, (size_t)m->v[i].ns) : NULL;
			char hb[300];

			if (h)
				fprintf(stderr, "  %s: ", text_esc(hb, sizeof(hb), h));
			else
				fputs("  ", stderr);
			fprintf(stderr, "%s\n", text_esc(buf, sizeof(buf), m->v[i].what));
		}
		fprintf(stderr, "  (use %sNETNS:IFNAME, pid:N or netns:INODE to say which)\n",
			t->nhosts ? "--host NAME, " : "");
		return 2;
	}
	error("unknown target '%s'", esc);
	for (size_t i = 0; i < t->nctrs && shown < 8; i++)
		if (t->ctrs[i].verified && (distance(t->ctrs[i].name, spec) <= 2 ||
		    (strlen(spec) >= 2 && strstr(t->ctrs[i].name, spec)))) {
			fprintf(stderr, "%s  container %s", shown++ ? "\n" : "did you mean:\n",
				text_esc(buf, sizeof(buf), t->ctrs[i].name));
		}
	for (size_t i = 0; i < t->nns && shown < 8; i++)
		for (size_t k = 0; k < t->ns[i].names.n && shown < 8; k++) {
			const char *base = strrchr(t->ns[i].names.v[k], '/');

			if (base && ns_name_is_host(t->ns[i].names.v[k]) && (distance(base + 1, spec) <= 2 ||
				     (strlen(spec) >= 2 && strstr(base + 1, spec))))
				fprintf(stderr, "%s  netns %s", shown++ ? "\n" : "did you mean:\n",
					text_esc(buf, sizeof(buf), topo_ns_label(t, i, lab, sizeof(lab))));
		}
	for (size_t i = 0; i < t->nifs && shown < 8; i++)
		if (t->ns[t->ifs[i].ns].is_host && distance(t->ifs[i].name, spec) <= 2)
			fprintf(stderr, "%s  host interface %s", shown++ ? "\n" : "did you mean:\n",
				text_esc(buf, sizeof(buf), t->ifs[i].name));
	if (shown)
		fputc('\n', stderr);
	return 2;
}

/* The one thing spec names, into *out; 0, or 2 after saying why (nothing or several). */
int target_one(const struct topo *t, const char *spec, struct target *out)
{
	return target_one_on(t, spec, -1, out);
}

/* target_one() among the namespaces of cluster t's host `host` only (-1: any host). */
int target_one_on(const struct topo *t, const char *spec, long host, struct target *out)
{
	struct target_set *m = xcalloc(1, sizeof(*m));
	size_t k = 0;
	int rc = 0;

	target_match(t, spec, m);
	for (size_t i = 0; i < m->n; i++)
		if (host < 0 || (m->v[i].ns >= 0 && t->ns[m->v[i].ns].host == (size_t)host))
			m->v[k++] = m->v[i];
	m->n = k;
	if (m->n == 1)
		*out = m->v[0];
	else
		rc = target_explain(t, spec, m);
	free(m);
	return rc;
}

/* word to fn when it starts with prefix and names exactly one thing in t (m: scratch). */
static void offer(const struct topo *t, const char *prefix, const char *word,
		  struct target_set *m, void (*fn)(void *arg, const char *word), void *arg)
{
	if (strncmp(word, prefix, strlen(prefix)))
		return;
	target_match(t, word, m);
	if (m->n == 1)
		fn(arg, word);
}

/*
 * The spellings of targets that start with prefix and name one thing each in t, to fn
 * (for shell completion; a word may come twice): "host", the verified containers' names
 * and pods, the host's `ip netns` names (every host bind-mount path, for a prefix that
 * starts with '/'), host interfaces, "netns:INODE" (for a prefix that starts so), and
 * NETNS:IFNAME of every interface of the namespaces that the prefix's part before its
 * last ':' names.  Each is checked with target_match, so none is a word that cap would
 * refuse as unknown or ambiguous.  Edge ids are the caller's (they are the database's).
 */
void target_words(const struct topo *t, const char *prefix,
		  void (*fn)(void *arg, const char *word), void *arg)
{
	struct target_set *m = xcalloc(1, sizeof(*m)), *nsm = xcalloc(1, sizeof(*nsm));
	const char *colon = strrchr(prefix, ':');
	char word[600], pod[sizeof(t->ctrs[0].pod_ns) + sizeof(t->ctrs[0].pod) + 1];

	offer(t, prefix, "host", m, fn, arg);
	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];

		if (c->ns < 0 || !c->verified)
			continue;
		offer(t, prefix, c->name, m, fn, arg);
		if (*c->pod) {
			offer(t, prefix, ctr_pod_label(c, pod, sizeof(pod)), m, fn, arg);
			offer(t, prefix, c->pod, m, fn, arg);
		}
	}
	for (size_t i = 0; i < t->nns; i++)
		for (size_t k = 0; k < t->ns[i].names.n; k++) {
			const char *n = t->ns[i].names.v[k];

			if (!ns_name_is_host(n))
				continue;
			if (*prefix == '/')
				offer(t, prefix, n, m, fn, arg);
			else if (!strncmp(n, "/run/netns/", 11) || !strncmp(n, "/var/run/netns/", 15))
				offer(t, prefix, strrchr(n, '/') + 1, m, fn, arg);
		}
	for (size_t i = 0; i < t->nifs; i++)
		if (t->ns[t->ifs[i].ns].is_host)
			offer(t, prefix, t->ifs[i].name, m, fn, arg);
	if (!strncmp(prefix, "netns:", 6))
		for (size_t i = 0; i < t->nns; i++) {
			snprintf(word, sizeof(word), "netns:%llu", (unsigned long long)t->ns[i].ino);
			offer(t, prefix, word, m, fn, arg);
		}
	if (colon && colon != prefix && (size_t)(colon - prefix) < 512) {
		char left[512];

		memcpy(left, prefix, (size_t)(colon - prefix));
		left[colon - prefix] = '\0';
		match_ns(t, left, nsm);
		for (size_t k = 0; k < nsm->n; k++)
			for (size_t i = 0; i < t->nifs; i++)
				if ((long)t->ifs[i].ns == nsm->v[k].ns) {
					snprintf(word, sizeof(word), "%s:%s", left, t->ifs[i].name);
					offer(t, prefix, word, m, fn, arg);
				}
	}
	free(m);
	free(nsm);
}
