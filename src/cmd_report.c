/*
 * cmd_report.c implements 'vethmap report': the audit report of a stored snapshot, as
 * XML (report_xml.c, valid against schema/vethmap-report.xsd) or as an HTML page made
 * from that XML by report.xsl (installed in DATADIR, or --xsl FILE) with libxslt, which
 * may read no file and no network.  It reads only the database.
 *
 * For the page, the document the stylesheet reads also holds the drawing: the SVG of
 * 'vethmap graph -T svg --expand' (graph_dot.c, rendered in-process by graph_render.c),
 * as an svg:svg element after the report's own children.  report.xsl copies it into the
 * page, linked to the tables and marked with the findings; --format xml is without it.
 *
 * With -o FILE the report goes through outfile.c: a regular FILE is replaced by a new
 * file (mode 0600) renamed over it, so FILE is either the old one or the whole new one; a
 * FIFO or character device is written in place; a symlink is refused.  Without -o, or
 * with -o -, it goes to standard output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <sqlite3.h>

#include "graph.h"
#include "report.h"

#define XC (const xmlChar *)

#ifndef DATADIR
#define DATADIR "/usr/local/share/vethmap"
#endif

enum format { FMT_XML, FMT_HTML };

struct report_opts {
	const char *out, *xsl;
	enum format fmt;
};

static int report_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct report_opts *o = ctx->opts;

	switch (c) {
	case 'o':
		if (!*arg) {
			error("report: empty output file name");
			return 2;
		}
		o->out = arg;
		break;
	case 'x': o->xsl = arg; break;
	case 'f':
		if (!strcmp(arg, "xml")) {
			o->fmt = FMT_XML;
		} else if (!strcmp(arg, "html")) {
			o->fmt = FMT_HTML;
		} else {
			error("report: unknown format '%s' (xml or html)", arg);
			return 2;
		}
		break;
	}
	return 0;
}

/* Load snapshot o->id (0 = latest), the one before it, and what changed in between. */
static int load(struct sqlite3 *db, long long id, const char *at, struct topo *t,
		struct changes *ch, long long *prev_id)
{
	struct topo prev;
	int rc = -1;

	topo_init(&prev);
	if (history_load_view(db, id, at, NULL, t))
		goto out;
	/* a cluster: the collection before, else the snapshot before */
	*prev_id = t->collection > 0 ? db_collection_before(db, t->collection) :
		   db_scan_before(db, t->scan_id);
	if (*prev_id < 0)
		goto out;
	if (*prev_id > 0 && (t->collection > 0 ? db_load_cluster(db, *prev_id, &prev) :
			     db_load(db, *prev_id, &prev)))
		goto out;
	if (*prev_id > 0)
		diff_topos(&prev, t, ch);
	rc = 0;
out:
	topo_release(&prev);
	return rc;
}

/*
 * The stylesheet: --xsl FILE, else $VETHMAP_DATADIR's, else the installed one.  Never one
 * from the current directory: root running a report in someone's directory would run
 * their stylesheet.
 */
static const char *find_stylesheet(const char *opt, char *buf, size_t size)
{
	const char *env = getenv("VETHMAP_DATADIR");

	if (opt)
		return opt;
	if (env && *env) {
		snprintf(buf, size, "%s/report.xsl", env);
		if (!access(buf, R_OK))
			return buf;
	}
	snprintf(buf, size, "%s/report.xsl", DATADIR);
	if (!access(buf, R_OK))
		return buf;
	error("report: cannot find report.xsl in %s%s%s (use --xsl FILE)",
	      env && *env ? env : "", env && *env ? ", " : "", DATADIR);
	return NULL;
}

/*
 * The stylesheet may read nothing but the report: no file read (document()), written or
 * made, no network.  The stylesheet itself is read before these apply.
 */
static xsltSecurityPrefsPtr lock_down(void)
{
	xsltSecurityPrefsPtr sec = xsltNewSecurityPrefs();

	if (!sec)
		return NULL;
	xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_FILE, xsltSecurityForbid);
	xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid);
	xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid);
	xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid);
	xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
	return sec;
}

/* XML that others may have written: no entities expanded, no DTD loaded, no network. */
#define SAFE_XML (XML_PARSE_NONET | XML_PARSE_NOCDATA)

/*
 * The report's own document read back for the stylesheet: blank text between elements
 * dropped (the tree then is the one the elements make, nothing between them), no size
 * limit (it is ours, however many namespaces it lists).
 */
#define OWN_XML (SAFE_XML | XML_PARSE_NOBLANKS | XML_PARSE_HUGE)

/*
 * The drawing of snapshot t: every namespace its own cluster (graph --expand), so each
 * has its place to link to; the SVG text into *svg (graph_render_free), or -1 after one line.
 */
static int draw(const struct topo *t, char **svg, unsigned *len)
{
	struct graph_sel sel;
	size_t dotlen;
	char *dot;
	int rc;

	graph_sel_all(&sel, t);
	sel.expand = 1;
	dot = graph_dot_text(t, &sel, &dotlen);
	graph_sel_release(&sel);
	rc = graph_render("report", dot, "svg", svg, len);
	free(dot);
	return rc;
}

/*
 * The drawing (SVG text svg, len bytes: Graphviz's, so ours) as the last child of doc's
 * root; 0, or -1 after one line.
 */
static int add_drawing(xmlDocPtr doc, const char *svg, unsigned len)
{
	xmlDocPtr sdoc;
	xmlNodePtr copy = NULL;

	if (len > INT_MAX) {
		error("report: the drawing is too large for the HTML page (%u bytes)", len);
		return -1;
	}
	sdoc = xmlReadMemory(svg, (int)len, NULL, "UTF-8", OWN_XML);
	if (sdoc && xmlDocGetRootElement(sdoc))
		copy = xmlDocCopyNode(xmlDocGetRootElement(sdoc), doc, 1);
	xmlFreeDoc(sdoc);
	if (!copy || !xmlAddChild(xmlDocGetRootElement(doc), copy)) {
		xmlFreeNode(copy);
		error("report: cannot read back the drawing's SVG");
		return -1;
	}
	return 0;
}

/* The HTML page of the XML document xml (len bytes) and the drawing svg into f. */
static int write_html(FILE *f, const char *xml, size_t len, const char *svg, unsigned svglen,
		      const char *opt)
{
	char path[4096];
	const char *xsl = find_stylesheet(opt, path, sizeof(path));
	xsltSecurityPrefsPtr sec;
	xsltStylesheetPtr style = NULL;
	xmlDocPtr sdoc, doc = NULL;
	xsltTransformContextPtr ctx = NULL;
	xmlDocPtr res = NULL;
	int rc = -1;

	if (!xsl)
		return -1;
	if (len > INT_MAX) {
		error("report: the document is too large for the HTML page (%zu bytes)", len);
		return -1;
	}
	sec = lock_down();
	if (!sec) {
		error("report: cannot set up the transformation");
		return -1;
	}
	/* its xsl:import and xsl:include fall under the same rules (the default prefs) */
	xsltSetDefaultSecurityPrefs(sec);
	sdoc = xmlReadFile(xsl, NULL, SAFE_XML);
	if (sdoc)
		style = xsltParseStylesheetDoc(sdoc);
	if (!style) {
		error("report: cannot load stylesheet '%s'", xsl);
		xmlFreeDoc(sdoc);
		goto out;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, "UTF-8", OWN_XML);
	if (!doc) {
		error("report: cannot read back the report's XML");
		goto out;
	}
	if (add_drawing(doc, svg, svglen))
		goto out;
	ctx = xsltNewTransformContext(style, doc);
	if (!ctx || xsltSetCtxtSecurityPrefs(sec, ctx)) {
		error("report: cannot set up the transformation");
		goto out;
	}
	ctx->parserOptions = SAFE_XML;	/* for anything document() were allowed to read */
	res = xsltApplyStylesheetUser(style, doc, NULL, NULL, NULL, ctx);
	if (!res || ctx->state != XSLT_STATE_OK) {
		error("report: stylesheet '%s' failed", xsl);
		goto out;
	}
	if (xsltSaveResultToFile(f, res, style) < 0) {
		error("report: cannot write the page");
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(res);
	if (ctx)
		xsltFreeTransformContext(ctx);
	xmlFreeDoc(doc);
	xsltSetDefaultSecurityPrefs(NULL);
	xsltFreeSecurityPrefs(sec);
	if (style)
		xsltFreeStylesheet(style);
	return rc;
}

/* The page into path through outfile.c (see there): 0, or -1 after one line. */
static int write_html_file(const char *path, const char *xml, size_t len, const char *svg,
			   unsigned svglen, const char *opt)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc;

	if (!f)
		die("out of memory");
	rc = write_html(f, xml, len, svg, svglen, opt);
	if (fclose(f))
		die("out of memory");
	if (!rc)
		rc = outfile_put(path, buf, n);
	free(buf);
	return rc;
}

/*
 * The report (XML document xml, len bytes; for the page, the drawing of t too) in format
 * fmt to path, or stdout for "-".
 */
static int write_report(const struct report_opts *o, const struct topo *t, const char *xml,
			size_t len)
{
	int to_file = o->out && strcmp(o->out, "-");

	if (o->fmt == FMT_HTML) {
		char *svg = NULL;
		unsigned svglen = 0;
		int rc = draw(t, &svg, &svglen);

		if (!rc)
			rc = to_file ? write_html_file(o->out, xml, len, svg, svglen, o->xsl) :
				write_html(stdout, xml, len, svg, svglen, o->xsl) || finish_stdout();
		if (svg)
			graph_render_free(svg);
		return rc;
	}
	if (to_file)
		return outfile_put(o->out, xml, len);
	if (fwrite(xml, 1, len, stdout) != len)
		return error("report: cannot write the XML:");
	return finish_stdout();
}

static int report(struct cmd_ctx *ctx)
{
	const struct report_opts *o = ctx->opts;
	struct changes ch = { 0 };
	struct findings fs = { 0 };
	long long prev_id = 0;
	struct topo t;
	size_t len;
	char *xml;
	int rc;

	topo_init(&t);
	if (load(ctx->db, ctx->scan, ctx->at, &t, &ch, &prev_id)) {
		topo_release(&t);
		changes_release(&ch);
		return 1;
	}
	LIBXML_TEST_VERSION
	audit_run(&t, &fs);
	xml = report_xml(&t, &fs, &ch, prev_id, &len);
	rc = write_report(o, &t, xml, len) ? 1 : 0;
	free(xml);
	findings_release(&fs);
	changes_release(&ch);
	topo_release(&t);
	xsltCleanupGlobals();
	xmlCleanupParser();
	return rc;
}

const struct cmd_def report_def = {
	.run = report, .parse = report_parse,
	.size = sizeof(struct report_opts),
	.options = (const struct cmd_opt[]){
		{ "output", 'o', 0, "FILE", "write to FILE instead of standard output" },
		{ "format", 0, 'f', "xml|html", "XML (the default), or an HTML page made from it" },
		{ "xsl", 0, 'x', "FILE", "the stylesheet of --format html, not report.xsl" },
		{ 0 }
	},
};
