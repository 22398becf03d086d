/*
 * print.c implements the print layer: one call per field serves both the text output and
 * the JSON, in the manner of iproute2's lib/json_print.c, so the two cannot drift apart.
 *
 * Every field call carries a mode: PR_ANY (both outputs), PR_TEXT (text only: decoration
 * and derived columns) or PR_JSON (JSON only: ids and nested detail the text shows
 * another way).  JSON keeps its own nesting and commas here, nowhere else.  Text has two
 * shapes: free lines, where a field is written at once through its printf format (the
 * value escaped with text_esc() first), and tables (pr_table_begin .. pr_table_end), whose
 * cells are kept and written aligned at the end, the header first.  In a table each text
 * field is one cell, its format applied; a row with fewer cells than the header is
 * padded with "-".
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

void pr_init(struct pr *p, FILE *f, int json)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->json = json;
	p->first[0] = 1;
}

/* The comma (and line break) before the next JSON element at this depth, then its key. */
static void json_key(struct pr *p, const char *key)
{
	int d = p->depth;

	if (!p->first[d])
		fputs(p->lines[d] ? ",\n  " : ", ", p->f);
	else if (p->lines[d])
		fputs("\n  ", p->f);
	p->first[d] = 0;
	if (key)
		fprintf(p->f, "\"%s\": ", key);
}

static void json_open(struct pr *p, const char *key, char c, int lines)
{
	json_key(p, key);
	fputc(c, p->f);
	if (p->depth + 1 >= PR_MAX_DEPTH)
		BUG("print: JSON nested deeper than %d", PR_MAX_DEPTH);
	p->depth++;
	p->first[p->depth] = 1;
	p->lines[p->depth] = (char)lines;
}

static void json_close(struct pr *p, char c)
{
	if (!p->depth)
		BUG("print: JSON closed more often than opened");
	if (p->lines[p->depth] && !p->first[p->depth])
		fputc('\n', p->f);
	p->depth--;
	fputc(c, p->f);
	if (!p->depth)
		fputc('\n', p->f);
}

void pr_open_object(struct pr *p, const char *key)
{
	if (p->json)
		json_open(p, key, '{', 0);
}

void pr_close_object(struct pr *p)
{
	if (p->json)
		json_close(p, '}');
}

void pr_open_array(struct pr *p, const char *key, int lines)
{
	if (p->json)
		json_open(p, key, '[', lines);
}

void pr_close_array(struct pr *p)
{
	if (p->json)
		json_close(p, ']');
}

/* Free text inside a table, kept until the next row (see flush_raw). */
static void raw_vadd(struct pr *p, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	p->rawbuf = grow(p->rawbuf, &p->rawcap, p->rawlen + (size_t)n + 1, 1);
	vsnprintf(p->rawbuf + p->rawlen, (size_t)n + 1, fmt, ap);
	p->rawlen += (size_t)n;
}

static void raw_add(struct pr *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	raw_vadd(p, fmt, ap);
	va_end(ap);
}

/*
 * A text field: a cell of the current table row, or written now through fmt.  Formats
 * come from our own string literals at the call sites (one %s for the value), as in
 * iproute2's print_string().
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void text_field(struct pr *p, const char *fmt, const char *val)
{
	if (p->in_table && p->in_row) {
		char *cell;

		if (p->col >= p->ncols)
			BUG("print: row has more than %zu cells", p->ncols);
		if (!fmt || !strcmp(fmt, "%s"))
			cell = xstrdup(val);	/* most cells: no printf machinery */
		else if (asprintf(&cell, fmt, val) < 0)
			die("out of memory");
		p->cells = grow(p->cells, &p->cells_alloc, p->ncells + 1, sizeof(*p->cells));
		p->cells[p->ncells++] = cell;
		p->col++;
		return;
	}
	if (fmt && p->in_table)
		raw_add(p, fmt, val);
	else if (fmt)
		fprintf(p->f, fmt, val);
}
#pragma GCC diagnostic pop

void pr_str(struct pr *p, int mode, const char *key, const char *fmt, const char *val)
{
	if (p->json && (mode & PR_JSON)) {
		json_key(p, key);
		if (val)
			json_str(p->f, val);
		else
			fputs("null", p->f);
	} else if (!p->json && (mode & PR_TEXT)) {
		char small[256];
		size_t size = val ? strlen(val) * 4 + 8 : 2;
		char *esc = size <= sizeof(small) ? small : xmalloc(size);

		text_field(p, fmt, val ? text_esc(esc, size, val) : "-");
		if (esc != small)
			free(esc);
	}
}

/* A number or literal: JSON gets json_text as is, the text fmt gets text. */
static void pr_scalar(struct pr *p, int mode, const char *key, const char *fmt,
		      const char *json_text, const char *text)
{
	if (p->json && (mode & PR_JSON)) {
		json_key(p, key);
		fputs(json_text, p->f);
	} else if (!p->json && (mode & PR_TEXT)) {
		text_field(p, fmt, text);
	}
}

void pr_int(struct pr *p, int mode, const char *key, const char *fmt, long long v)
{
	char buf[32];

	if (!(mode & (p->json ? PR_JSON : PR_TEXT)))
		return;
	snprintf(buf, sizeof(buf), "%lld", v);
	pr_scalar(p, mode, key, fmt, buf, buf);
}

void pr_uint(struct pr *p, int mode, const char *key, const char *fmt, unsigned long long v)
{
	char buf[32];

	if (!(mode & (p->json ? PR_JSON : PR_TEXT)))
		return;
	snprintf(buf, sizeof(buf), "%llu", v);
	pr_scalar(p, mode, key, fmt, buf, buf);
}

/* fmt here is a double's format ("%8.1fms"); JSON always has three decimals. */
void pr_double(struct pr *p, int mode, const char *key, const char *fmt, double v)
{
	char buf[64], text[64] = "";

	snprintf(buf, sizeof(buf), "%.3f", v);
	if (fmt) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(text, sizeof(text), fmt, v);
#pragma GCC diagnostic pop
	}
	pr_scalar(p, mode, key, fmt ? "%s" : NULL, buf, text);
}

/* Text shows yes or no through fmt (a flag column); JSON true or false. */
void pr_bool(struct pr *p, int mode, const char *key, const char *fmt, int v)
{
	pr_scalar(p, mode, key, fmt, v ? "true" : "false", v ? "yes" : "no");
}

void pr_null(struct pr *p, int mode, const char *key, const char *fmt)
{
	pr_scalar(p, mode, key, fmt, "null", "-");
}

/* Text only, written as given (literals and layout; never a name: use pr_str). */
void pr_text(struct pr *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	if (p->in_table)
		raw_vadd(p, fmt, ap);
	else
		vfprintf(p->f, fmt, ap);
	va_end(ap);
}

/*
 * A table: rows of cells aligned under head (ncols columns, indent before the first,
 * sep between them), and free text between rows (a namespace's header line, say) kept
 * in its place.  Everything is written at pr_table_end, when the widths are known.
 */
void pr_table_begin(struct pr *p, const char *key, const char *const *head, size_t ncols,
		    const char *indent, const char *sep)
{
	if (p->json) {
		pr_open_array(p, key, 1);
		return;
	}
	if (p->in_table)
		BUG("print: tables do not nest");
	p->in_table = 1;
	p->head = head;
	p->ncols = ncols;
	p->indent = indent;
	p->sep = sep;
	p->ncells = p->nitems = 0;
	p->rawlen = 0;
}

/* Free text written since the last row becomes an item of its own. */
static void flush_raw(struct pr *p)
{
	if (!p->rawlen)
		return;
	p->items = grow(p->items, &p->items_alloc, p->nitems + 1, sizeof(*p->items));
	p->items[p->nitems].raw = xstrdup(p->rawbuf);
	p->items[p->nitems++].row = 0;
	p->rawlen = 0;
}

void pr_row_begin(struct pr *p)
{
	if (p->json) {
		pr_open_object(p, NULL);
		return;
	}
	flush_raw(p);
	p->items = grow(p->items, &p->items_alloc, p->nitems + 1, sizeof(*p->items));
	p->items[p->nitems].raw = NULL;
	p->items[p->nitems++].row = p->ncells / p->ncols;
	p->in_row = 1;
	p->col = 0;
}

void pr_row_end(struct pr *p)
{
	if (p->json) {
		pr_close_object(p);
		return;
	}
	while (p->col < p->ncols)
		text_field(p, NULL, "-");
	p->in_row = 0;
}

/* One aligned line: cells (ncols of them) padded to w, nothing after the last non-empty. */
static void table_line(struct pr *p, const char *const *cells, const size_t *w)
{
	size_t last = p->ncols;

	while (last > 0 && !*cells[last - 1])
		last--;
	static const char spaces[] = "                                                               ";

	fputs(last ? p->indent : "", p->f);
	for (size_t k = 0; k < last; k++) {
		size_t n = strlen(cells[k]);

		fwrite(cells[k], 1, n, p->f);
		if (k + 1 == last)
			break;
		for (size_t pad = w[k] > n ? w[k] - n : 0; pad;) {	/* "%-*s", without printf */
			size_t step = pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1;

			fwrite(spaces, 1, step, p->f);
			pad -= step;
		}
		fputs(p->sep, p->f);
	}
	fputc('\n', p->f);
}

void pr_table_end(struct pr *p)
{
	size_t *w;

	if (p->json) {
		pr_close_array(p);
		return;
	}
	flush_raw(p);
	free(p->rawbuf);
	p->rawbuf = NULL;
	p->rawlen = p->rawcap = 0;
	assert(p->ncells % p->ncols == 0);
	w = xcalloc(p->ncols, sizeof(*w));
	for (size_t k = 0; k < p->ncols; k++)
		w[k] = p->head ? strlen(p->head[k]) : 0;
	for (size_t i = 0; i < p->ncells; i++) {
		size_t n = strlen(p->cells[i]);

		if (n > w[i % p->ncols])
			w[i % p->ncols] = n;
	}
	if (p->head)
		table_line(p, p->head, w);
	for (size_t i = 0; i < p->nitems; i++) {
		if (p->items[i].raw) {
			fputs(p->items[i].raw, p->f);
			free(p->items[i].raw);
		} else {
			table_line(p, (const char *const *)&p->cells[p->items[i].row * p->ncols], w);
		}
	}
	for (size_t i = 0; i < p->ncells; i++)
		free(p->cells[i]);
	free(p->cells);
	free(p->items);
	free(w);
	p->cells = NULL;
	p->items = NULL;
	p->ncells = p->cells_alloc = p->nitems = p->items_alloc = 0;
	p->in_table = 0;
}
