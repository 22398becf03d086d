/*
 * collect.h - the private interface of 'vethmap collect' (cmd_collect.c) to collect.c:
 * one fixed command per host, run in parallel under a deadline, its output kept.
 */
#ifndef COLLECT_H
#define COLLECT_H

#include <stddef.h>

#define COLLECT_PARALLEL 64	/* commands running at once */
#define COLLECT_HOSTS_MAX 4096	/* hosts (or pods) per collection */
#define COLLECT_MAX_BYTES ((size_t)256 << 20)	/* a host's scan JSON, at most */
#define COLLECT_DEADLINE_S 30.0	/* a host's default deadline */
#define STR_(x) #x
#define STR(x) STR_(x)

struct cjob {
	const char *label;	/* the host (or node) as given: messages, file name */
	char **argv;		/* the command, run with execvp */
	const char *path;	/* where its output goes; NULL: into buf */
	int check_scan;		/* its output must be a scan (collect_check_scan) */
	/* the outcome (collect_run) */
	int ok;			/* 1 collected; 0 failed (why); set -1 before: not run (why) */
	char why[256];
	char *buf;		/* path NULL: the output, NUL-ended (free() it) */
	size_t bytes;
	double ms;
	char host[128];		/* the host name the scan reports */
	int incomplete;		/* the scan says it is incomplete (exit status 1) */
	int path_written;
};

struct sqlite3;
size_t collect_run(struct cjob *v, size_t n, double deadline_s, size_t max);
int collect_check_scan(struct sqlite3 *jdb, const char *doc, size_t len, char *host,
		       size_t hsize, int *incomplete, const char **why);
int collect_file_name(char *buf, size_t size, const char *label);

struct kpod {			/* one pod of the DaemonSet, from kubectl get pods -o json */
	char name[254];
	char node[254];		/* spec.nodeName */
	char phase[32];
	int usable;
	const char *why;	/* when not usable */
};
long kube_pods_parse(struct sqlite3 *jdb, const char *doc, size_t len, struct kpod **v,
		     const char **err);

#endif
