/*
 * json.c implements json_str(), the one JSON string escaper: quotes, backslashes and
 * control characters escaped, valid UTF-8 whatever bytes a name holds.  The documents
 * themselves are written through the print layer (print.c).
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
