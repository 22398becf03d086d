/*
 * unit.h: the one helper every unit test shares.  check() prints "ok - NAME", or
 * "not ok - NAME: why" and counts the failure; main() returns unit_failures ? 1 : 0.
 */
#ifndef VETHMAP_UNIT_H
#define VETHMAP_UNIT_H

#include <stdarg.h>
#include <stdio.h>

static int unit_failures;

__attribute__((format(printf, 3, 4)))
static void check(int cond, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		printf("ok - %s\n", name);
		return;
	}
	unit_failures++;
	printf("not ok - %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#endif
