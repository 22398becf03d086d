/*
 * report.h - the XML audit report (report_xml.c), shared by cmd_report.c and the tests.
 * The document follows schema/vethmap-report.xsd; change both together.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>

#include "vethmap.h"

#define REPORT_FORMAT "1"	/* the schema's format attribute */

/*
 * The report of snapshot t: its inventory, the findings f and the changes c since
 * snapshot prev_id (0 = there was none), as an XML document in UTF-8: *len bytes and a
 * NUL, allocated (xmalloc); the caller frees it.
 */
char *report_xml(const struct topo *t, const struct findings *f, const struct changes *c,
		 long long prev_id, size_t *len);

/*
 * s made safe for any XML text or attribute: valid UTF-8 is kept, control characters,
 * invalid UTF-8 bytes and non-characters become "\xNN", a backslash "\\".  The result
 * is allocated (xmalloc); the caller frees it.
 */
char *report_clean(const char *s);

#endif
