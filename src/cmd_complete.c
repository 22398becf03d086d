/*
 * cmd_complete.c implements the words of the stored snapshot that 'vethmap __complete'
 * gives bash completion (completion/vethmap): targets and scan ids.  It only reads the
 * database, as 'show' does, so it needs no privilege beyond reading the file; without a
 * database, or without the right to read it, it prints nothing (and one line on stderr,
 * which the completion throws away).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

#define WORDS_MAX 20000		/* a completion longer than this helps no one */

/* A word that fits on its line: no control byte (a newline would make two words). */
static void add_word(void *arg, const char *word)
{
	struct strv *words = arg;

	for (const unsigned char *p = (const unsigned char *)word; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return;
	if (*word && words->n < WORDS_MAX)
		strv_add(words, word);
}

/*
 * The targets of the stored snapshot (--scan ID, else the latest) that start with prefix,
 * one a line, sorted: target_words' spellings, and edge ids eN for a prefix "e" or "eN".
 */
int complete_targets(struct cmd_ctx *ctx, const char *prefix)
{
	struct sqlite3 *db = db_open(db_path(ctx->db_opt), 0);
	struct strv words = { 0 };
	struct topo t;
	int rc = 1;

	if (!db)
		return 1;
	topo_init(&t);
	if (db_load(db, ctx->scan, &t))
		goto out;
	target_words(&t, prefix, add_word, &words);
	if (prefix[0] == 'e' && strspn(prefix + 1, "0123456789") == strlen(prefix + 1))
		for (size_t e = 0; e < t.nedges; e++) {
			char word[32];

			snprintf(word, sizeof(word), "e%zu", e + 1);
			if (!strncmp(word, prefix, strlen(prefix)))
				add_word(&words, word);
		}
	strv_sort_unique(&words);
	for (size_t i = 0; i < words.n; i++)
		printf("%s\n", words.v[i]);
	rc = finish_stdout() ? 1 : 0;
out:
	strv_release(&words);
	topo_release(&t);
	db_close(db);
	return rc;
}

/* The ids of the last 64 stored snapshots, newest first. */
int complete_scans(struct cmd_ctx *ctx)
{
	struct sqlite3 *db = db_open(db_path(ctx->db_opt), 0);
	long long ids[64];
	int n;

	if (!db)
		return 1;
	n = db_last_scans(db, ids, 64);
	db_close(db);
	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++)
		printf("%lld\n", ids[i]);
	return finish_stdout() ? 1 : 0;
}
