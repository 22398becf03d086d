/*
 * Fuzz target: every escaper of names into output (JSON, terminal text, DOT HTML labels,
 * report XML text, and the report's document with the name in an attribute and in a text).
 * Each output is checked for the property that keeps it valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <sqlite3.h>

#include "graph.h"
#include "report.h"
#include "vethmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

static int json_valid(const char *text)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (!db && sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	if (sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return ok;
}

/* The report of a snapshot whose host, namespace name and one change all are s parses. */
static void report_parses(char *s)
{
	struct findings fs = { 0 };
	struct change c = { .op = '~' };
	struct changes ch = { .v = &c, .n = 1 };
	struct topo t;
	xmlDocPtr doc;
	size_t len;
	char *xml;

	topo_init(&t);
	copy_str(t.host, sizeof(t.host), s);
	topo_add_ns(&t, 4, 4026531840u);
	t.ns[0].is_host = 1;
	strv_add(&t.ns[0].names, s);
	copy_str(c.kind, sizeof(c.kind), "interface");
	c.object = c.detail = s;
	xml = report_xml(&t, &fs, &ch, 1, &len);
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (!doc)
		abort();	/* the report must always be well-formed */
	xmlFreeDoc(doc);
	free(xml);
	topo_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *out = NULL, small[64], *clean;
	size_t len = 0;
	FILE *f;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	f = open_memstream(&out, &len);
	json_str(f, s);
	fclose(f);
	if (!json_valid(out))
		abort();	/* JSON output must always parse */
	free(out);

	text_esc(small, sizeof(small), s);
	for (const unsigned char *p = (const unsigned char *)small; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			abort();	/* terminal text is printable ASCII only */

	out = NULL;
	f = open_memstream(&out, &len);
	dot_html(f, s);
	fclose(f);
	for (const char *p = out; *p; p++)
		if (*p == '<' || *p == '>' || *p == '"' || (unsigned char)*p < 0x20)
			abort();	/* nothing that could end an HTML-like label */
	free(out);

	clean = report_clean(s);
	for (const unsigned char *p = (const unsigned char *)clean; *p; p++)
		if (*p < 0x20)
			abort();	/* no control characters in XML text */
	free(clean);
	report_parses(s);
	free(s);
	return 0;
}
