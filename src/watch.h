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
	WEV_HUP = 1 << 3,	/* SIGHUP: reopen the output */
};
#define WATCH_DIRS_MAX 8	/* engines' state directories watched (watch_ev.c) */
struct watch_nl {		/* the socket made inside one namespace */
	uint64_t dev, ino;
	int fd;
};
struct watch_ev {
	int sig;		/* signalfd of SIGINT, SIGTERM (blocked while watching) */
	int proc;		/* proc connector, -1: none */
	int inot, wd_netns, wd_run;	/* inotify on /run/netns (or /run), -1: none */
	int mnt;		/* /proc/self/mountinfo: POLLPRI on a mount change */
	int wd_dir[WATCH_DIRS_MAX];	/* inotify on the engines' state directories, -1: none */
	struct http_stream dk;	/* Docker's /events, fd -1: not connected */
	long long dk_retry;	/* when to connect again (ms, CLOCK_MONOTONIC), 0: now */
	long long dk_since;	/* when the stream was connected */
	int dk_backoff;		/* ms before the next try after a failure */
	int dk_said;		/* a failure was said (at -v): not again until a stream works */
	int dk_hold;		/* a line came: the stream is not read again until the next scan */
	struct watch_nl *nl;	/* sorted by (dev, ino) */
	size_t nnl, nl_alloc;
	struct intv pids;	/* processes in the namespaces other than the host's */
	struct pollfd *pfd;
	size_t pfd_alloc;
	sigset_t old_mask;
	int stop_signal;
	int hup;		/* SIGHUP came (the caller clears it) */
	int rcvbuf;		/* bytes the kernel gave the first event socket, 0: none yet */
	size_t unfollowed;	/* namespaces of the last scan without a socket */
	unsigned long long events, proc_events, overruns;
	unsigned long long docker_events, docker_connects, dir_events;
};
int watch_ev_open(struct watch_ev *w);
void watch_ev_close(struct watch_ev *w);
size_t watch_ev_follow(struct watch_ev *w, struct scan_ctx *c);
int watch_ev_wait(struct watch_ev *w, int timeout_ms);

#endif
