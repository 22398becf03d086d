/*
 * capcmd.h - what 'vethmap cap' (cmd_cap.c) lends to the other commands that capture
 * ('vethmap trace', cmd_trace.c): option parsing, the pcapng file's names and comments,
 * the audit row, and the privilege-separated run (the privileged parent records the
 * capture; the child drops every privilege and reads the packets).
 */
#ifndef VETHMAP_CAPCMD_H
#define VETHMAP_CAPCMD_H

#include "vethmap.h"

unsigned long long parse_size(const char *s, int *ok);
char *join_filter(int argc, char **argv);
char *command_line(const struct cmd_ctx *ctx);
char *iface_list(const struct cap_iface *ci, size_t n);
struct cap_iface *make_ifaces(const struct topo *t, const size_t *ifcs, size_t n);
void make_comments(char *comments[4], const char *cmdline, const char *target, long long scan);
void who_ran(struct capture_row *row, uid_t invoker, const struct runas *ra);
int run_split(const char *dbfile, int use_db, const struct capture_row *row,
	      struct cap_iface *ci, size_t n, const struct cap_opts *o, struct capout *out,
	      struct outfile *of, const struct runas *ra, unsigned long long *total);
int finish_output(struct outfile *of, int rc, unsigned long long total);

#endif
