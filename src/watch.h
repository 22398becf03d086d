/*
 * watch.h - what 'vethmap watch' shares between its files (cmd_watch.c, watch_ev.c).
 */
#ifndef WATCH_H
#define WATCH_H

#include <poll.h>
#include <signal.h>

#include "vethmap.h"

/* watch_ev.c: the events that say the map may have changed (never what changed) */
enum {
	WEV_NET = 1 << 0,	/* an rtnetlink message (or an overrun) in a followed namespace */
	WEV_PROC = 1 << 1,	/* a process, a bind mount or /run/netns: namespaces may differ */
	WEV_STOP = 1 << 2,	/* SIGINT or SIGTERM */
};
struct watch_nl {		/* the socket made inside one namespace */
	uint64_t dev, ino;
	int fd;
};
struct watch_ev {
	int sig;		/* signalfd of SIGINT, SIGTERM (blocked while watching) */
	int proc;		/* proc connector, -1: none */
	int inot, wd_netns, wd_run;	/* inotify on /run/netns (or /run), -1: none */
	int mnt;		/* /proc/self/mountinfo: POLLPRI on a mount change */
	struct watch_nl *nl;	/* sorted by (dev, ino) */
	size_t nnl, nl_alloc;
	struct intv pids;	/* processes in the namespaces other than the host's */
	struct pollfd *pfd;
	size_t pfd_alloc;
	sigset_t old_mask;
	int stop_signal;
	size_t unfollowed;	/* namespaces of the last scan without a socket */
	unsigned long long events, proc_events, overruns;
};
int watch_ev_open(struct watch_ev *w);
void watch_ev_close(struct watch_ev *w);
size_t watch_ev_follow(struct watch_ev *w, struct scan_ctx *c);
int watch_ev_wait(struct watch_ev *w, int timeout_ms);

#endif
