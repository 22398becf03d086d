/*
 * cmd_events.c implements 'vethmap events': the change lines 'vethmap watch' stored (one
 * event row each, db_event.c), in the order they came, exactly as watch printed them:
 * text, or JSON lines with --json.  --since and --until bound them by time (both ends
 * included).  Needs no privilege beyond reading the database.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "vethmap.h"

struct events_opts {
	char since[32], until[32];	/* ISO-8601 UTC, "" = no bound */
};

static int events_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct events_opts *o = ctx->opts;
	char *iso = c == 's' ? o->since : o->until;

	if (parse_time(arg, iso, sizeof(o->since))) {
		error("events: invalid time '%s' (like 2026-12-02T03:12:00 in UTC, or -10m)", arg);
		return 2;
	}
	return 0;
}

static int put_line(void *arg, const char *line)
{
	(void)arg;
	return puts(line) < 0 ? error("events: standard output:") : 0;
}

static int events(struct cmd_ctx *ctx)
{
	const struct events_opts *o = ctx->opts;

	if (db_events(ctx->db, *o->since ? o->since : NULL, *o->until ? o->until : NULL,
		      ctx->json, put_line, NULL))
		return 1;
	return finish_stdout() ? 1 : 0;
}

const struct cmd_def events_def = {
	.run = events, .parse = events_parse, .size = sizeof(struct events_opts),
	.options = (const struct cmd_opt[]){
		{ "since", 0, 's', "TIME", "the changes at or after TIME (UTC ISO-8601, or -10m)" },
		{ "until", 0, 'u', "TIME", "the changes at or before TIME" },
		{ 0 }
	},
};
