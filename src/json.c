/*
 * json.c implements the --json output: the stable contract described in the README.
 * Every string goes through json_str(), which escapes quotes, backslashes and control
 * characters and keeps the output valid UTF-8 whatever bytes a name holds.
 */
#define _GNU_SOURCE
#include <string.h>

#include "vethmap.h"

/*
 * Write s as a JSON string.  Bytes that are not UTF-8 become the code point of the same
 * value (\u00XX), so the output always parses.
 */
void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		int n = utf8_seq_len(p, NULL);

		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (n == 0) {
			fprintf(f, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		}
	}
	fputc('"', f);
}

static void json_end(FILE *f, const struct iface *ifc, const struct topo *t)
{
	fprintf(f, "{\"netns\": %llu, \"name\": ", (unsigned long long)t->ns[ifc->ns].ino);
	json_str(f, ifc->name);
	fputc('}', f);
}

static void json_kv(FILE *f, const char *key, const char *val)
{
	if (!*val)
		return;
	fprintf(f, ", \"%s\": ", key);
	json_str(f, val);
}

static void json_containers(FILE *f, const struct topo *t, size_t ns)
{
	int first = 1;

	for (size_t i = 0; i < t->nctrs; i++) {
		const struct container *c = &t->ctrs[i];

		if (c->ns != (long)ns)
			continue;
		fputs(first ? "" : ", ", f);
		first = 0;
		fputs("{\"engine\": ", f);
		json_str(f, c->engine);
		fputs(", \"id\": ", f);
		json_str(f, c->id);
		fputs(", \"name\": ", f);
		json_str(f, c->name);
		fprintf(f, ", \"pid\": %d, \"verified\": %s", c->pid, c->verified ? "true" : "false");
		json_kv(f, "image", c->image);
		json_kv(f, "pod", c->pod);
		json_kv(f, "pod_namespace", c->pod_ns);
		json_kv(f, "compose_project", c->compose);
		json_kv(f, "network_mode", c->netmode);
		json_kv(f, "containerd_namespace", c->cns);
		if (c->sandbox)
			fputs(", \"sandbox\": true", f);
		if (c->host_net)
			fputs(", \"host_network\": true", f);
		fputc('}', f);
	}
}

static void json_netns(FILE *f, const struct topo *t, size_t ns)
{
	const struct netns *n = &t->ns[ns];
	int first = 1;

	fprintf(f, "{\"inode\": %llu, \"host\": %s, \"names\": [", (unsigned long long)n->ino,
		n->is_host ? "true" : "false");
	for (size_t i = 0; i < n->names.n; i++) {
		if (i)
			fputs(", ", f);
		json_str(f, n->names.v[i]);
	}
	fputs("], \"via\": [", f);
	for (int i = 0; i < VIA_COUNT; i++)
		if (n->via & (1u << i)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", via_names[i]);
			first = 0;
		}
	fputs("], \"pids\": [", f);
	for (size_t i = 0; i < n->pids.n; i++)
		fprintf(f, "%s%d", i ? ", " : "", n->pids.v[i]);
	fputs("], \"containers\": [", f);
	json_containers(f, t, ns);
	fputs("]}", f);
}

static void json_iface(FILE *f, const struct topo *t, const struct iface *ifc)
{
	long m = ifc->master ? topo_find_iface(t, ifc->ns, ifc->master) : -1;

	fprintf(f, "{\"netns\": %llu, \"ifindex\": %d, \"name\": ",
		(unsigned long long)t->ns[ifc->ns].ino, ifc->ifindex);
	json_str(f, ifc->name);
	fputs(", \"kind\": ", f);
	json_str(f, ifc->kind);
	fputs(", \"mac\": ", f);
	if (*ifc->mac)
		json_str(f, ifc->mac);
	else
		fputs("null", f);
	fprintf(f, ", \"mtu\": %u, \"up\": %s, \"oper\": ", ifc->mtu,
		ifc->flags & 1u ? "true" : "false");
	json_str(f, ifc->oper);
	fprintf(f, ", \"promisc\": %s, \"promiscuity\": %u, \"master\": ",
		(ifc->flags & 0x100u) || ifc->promiscuity ? "true" : "false", ifc->promiscuity);
	if (m >= 0)
		json_str(f, t->ifs[m].name);
	else
		fputs("null", f);
	if (*ifc->slave_kind) {
		fputs(", \"slave_kind\": ", f);
		json_str(f, ifc->slave_kind);
	}
	if (ifc->hairpin)
		fputs(", \"hairpin\": true", f);
	fputs(", \"addrs\": [", f);
	for (size_t i = 0; i < ifc->naddrs; i++) {
		if (i)
			fputs(", ", f);
		json_str(f, ifc->addrs[i].text);
	}
	fputc(']', f);
	if (ifc->link)
		fprintf(f, ", \"link\": %d", ifc->link);
	if (ifc->has_link_netnsid)
		fprintf(f, ", \"link_netnsid\": %d", ifc->link_netnsid);
	if (topo_ns_container(t, ifc->ns)) {
		fputs(", \"container\": ", f);
		json_str(f, topo_ns_container(t, ifc->ns));
	}
	if (ifc->peer >= 0) {
		fputs(", \"peer\": ", f);
		json_end(f, &t->ifs[ifc->peer], t);
	}
	fputc('}', f);
}

/* The whole snapshot as one JSON object (the contract in README.md). */
void json_topo(FILE *f, const struct topo *t)
{
	fputs("{\"scan\": {\"id\": ", f);
	if (t->scan_id > 0)
		fprintf(f, "%lld", t->scan_id);
	else
		fputs("null", f);
	fputs(", \"host\": ", f);
	json_str(f, t->host);
	fputs(", \"started\": ", f);
	json_str(f, t->started);
	fprintf(f, ", \"duration_ms\": %.3f},\n\"netns\": [", t->duration_ms);
	for (size_t i = 0; i < t->nns; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		json_netns(f, t, i);
	}
	fputs("],\n\"interfaces\": [", f);
	for (size_t i = 0; i < t->nifs; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		json_iface(f, t, &t->ifs[i]);
	}
	fputs("],\n\"edges\": [", f);
	for (size_t i = 0; i < t->nedges; i++) {
		const struct edge *e = &t->edges[i];

		fprintf(f, "%s{\"id\": %zu, \"type\": \"%s\", ", i ? ",\n  " : "\n  ", i + 1,
			edge_type_names[e->type]);
		if (e->type == EDGE_MASTER) {
			fputs("\"kind\": ", f);
			json_str(f, t->ifs[e->b].kind);
			fputs(", ", f);
		}
		fputs("\"a\": ", f);
		json_end(f, &t->ifs[e->a], t);
		fputs(", \"b\": ", f);
		json_end(f, &t->ifs[e->b], t);
		fputc('}', f);
	}
	fputs("],\n\"unresolved\": [", f);
	for (size_t i = 0; i < t->nunres; i++) {
		const struct iface *ifc = &t->ifs[t->unres[i].ifc];

		fprintf(f, "%s{\"netns\": %llu, \"ifindex\": %d, \"name\": ", i ? ",\n  " : "\n  ",
			(unsigned long long)t->ns[ifc->ns].ino, ifc->ifindex);
		json_str(f, ifc->name);
		fputs(", \"reason\": ", f);
		json_str(f, t->unres[i].reason);
		fputc('}', f);
	}
	fputs("]}\n", f);
}
