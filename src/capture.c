/*
 * capture.c implements the capture itself: one libpcap handle per interface, each created
 * and activated inside the interface's namespace (both steps must happen there), then
 * polled together from our own namespace until the duration, count or size bound, a
 * signal, or the loss of every interface ends it.  Privileges are dropped after every
 * handle and the output file are open, before the first packet is read: to -Z's user,
 * and always to no capability at all (effective, permitted, inheritable, ambient and
 * bounding sets empty, no_new_privs), also for a non-root user running a copy with file
 * capabilities.  The output never blocks the loop: a full pipe or FIFO is waited for only
 * until the deadline or a signal, which then end the capture as they would anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "vethmap.h"
#include "capmerge.h"

/*
 * Packet blocks gathered for one write(2) without -U: tcpdump's stdio buffer is 4 KiB
 * (st_blksize); 64 KiB is some 500 small packets per write.  A pipe, FIFO or device gets
 * the buffer once per wake-up (each batch of packets libpcap hands over), so a reader such
 * as Wireshark sees every packet as soon as it is read; a regular file when it is full.
 */
#define CAP_OUT_BUFSIZE	(64u * 1024)

/*
 * Immediate mode (o->buffer_ms 0: text lines, a pipe, -U, --immediate-mode, trace) is
 * TPACKET_V3 blocks retired by a 1 ms timer, not libpcap's immediate mode.  That one is
 * TPACKET_V2: a wake-up for every packet, and a ring of 64 packets when the device has
 * offloads (its frames are 64 KiB), so a stall of 0.6 ms drops packets at 100000 pkt/s.
 * The same 4 MiB hold 16 blocks of some 1800 small packets each.  The kernel's retire timer hands a block
 * over once it has held packets for one to two of its periods, in whole timer ticks (HZ
 * 250 here): on a veth at 10 packets a second, 0.9 ms after the packet on average, 3.8 ms
 * at most (libpcap's immediate mode: 0.09 and 0.9 ms).
 */
#define CAP_PROMPT_MS	1

/*
 * The packets of several interfaces go out in time order (capmerge.h): each is held until
 * every handle has had the time to hand over what it took before it, 2 * block_ms() +
 * CAP_TAIL_MARGIN_MS, with at most CAP_HOLD_MAX bytes held (past that the oldest go out
 * at once).  One interface's packets come in order and are not held.
 */
#define CAP_HOLD_MAX	(64u * 1024 * 1024)
#define CAP_TAIL_MARGIN_MS 20

/* How long after its first packet the kernel hands a block over. */
static int block_ms(const struct cap_opts *o)
{
	return o->buffer_ms > 0 ? o->buffer_ms : CAP_PROMPT_MS;
}

static volatile sig_atomic_t stop_signal;
static sigset_t wait_mask;		/* the mask to wait with: our signals let through */
static const sigset_t *wait_maskp;	/* NULL: wait with the mask we have */
static double out_deadline;		/* CLOCK_MONOTONIC seconds; 0 = none */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * poll(2) until fds are ready, the deadline passes or one of our signals comes (they are
 * blocked but while waiting here, so none is missed): >0 ready, 0 deadline, -1 with errno
 * EINTR for a signal, else an error.
 */
static int wait_until(struct pollfd *pfd, nfds_t n, double deadline)
{
	for (;;) {
		struct timespec ts, *tp = NULL;
		int r;

		if (stop_signal) {
			errno = EINTR;
			return -1;
		}
		if (deadline) {
			double left = deadline - now_s();

			if (left <= 0)
				return 0;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
			tp = &ts;
		}
		r = ppoll(pfd, n, tp, wait_maskp);
		if (r != 0 || !deadline)
			if (r >= 0 || errno != EINTR || stop_signal)
				return r;
	}
}

/* The output is full: wait for room until the deadline or a signal; 0 or -1 (errno). */
static int wait_output(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r = wait_until(&pfd, 1, out_deadline);

	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int capout_wait(struct capout *o)
{
	return wait_output(o->fd);
}

/* Did the output stop because the capture was ending anyway (deadline, signal)? */
static int out_interrupted(int err)
{
	return err == ETIMEDOUT || err == EINTR;
}

/*
 * Open and activate a handle for each interface inside its namespace; set the filter.
 * Of several interfaces, one that is down is left out with a warning (*n shrinks).
 * Returns 0, -1 on failure, -2 for a bad filter.
 */
int capture_open(struct scan_ctx *live, struct cap_iface *ci, size_t *np,
		 const struct cap_opts *o)
{
	const struct topo *t = live->t;
	char err[PCAP_ERRBUF_SIZE], esc[512];
	size_t n = *np;

	for (size_t i = 0; i < n; i++) {
		const struct iface *ifc = &t->ifs[ci[i].ifc];
		struct bpf_program prog;
		pcap_t *p;
		int saved, rc;

		text_esc(esc, sizeof(esc), ci[i].label);
		if (netns_enter(live, ifc->ns, &saved))
			return -1;
		err[0] = '\0';
		p = pcap_create(ifc->name, err);
		rc = !p ? PCAP_ERROR : 0;
		if (p) {
			pcap_set_snaplen(p, o->snaplen);
			pcap_set_promisc(p, o->promisc);
			pcap_set_timeout(p, block_ms(o));	/* TPACKET_V3: a block at a time */
			pcap_set_buffer_size(p, o->buffer_kib * 1024);
			pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
			rc = pcap_activate(p);
		}
		netns_return(saved);
		if (rc == PCAP_ERROR_IFACE_NOT_UP && n > 1) {
			warnx("%s is down: not captured", esc);
			pcap_close(p);
			memmove(&ci[i], &ci[i + 1], (n - i - 1) * sizeof(*ci));
			n--;
			*np = n;
			i--;
			continue;
		}
		if (rc < 0) {
			error("cannot capture on '%s': %s", esc, p ? pcap_geterr(p) : err);
			if (p)
				pcap_close(p);
			return -1;
		}
		if (rc > 0)
			warnx("%s: %s", esc, pcap_statustostr(rc));
		ci[i].pcap = p;
		ci[i].linktype = pcap_datalink(p);
		if (pcap_setnonblock(p, 1, err) < 0) {
			error("cannot capture on '%s': %s", esc, err);
			return -1;
		}
		if (o->filter) {
			if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
				error("bad filter '%s': %s", o->filter, pcap_geterr(p));
				return -2;
			}
			rc = pcap_setfilter(p, &prog);
			pcap_freecode(&prog);
			if (rc < 0) {
				error("cannot set filter on '%s': %s", esc, pcap_geterr(p));
				return -1;
			}
		}
	}
	return 0;
}

void capture_close(struct cap_iface *ci, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ci[i].pcap) {
			pcap_close(ci[i].pcap);
			ci[i].pcap = NULL;
		}
}

/*
 * Who the capture runs as: user (-Z) looked up now, before anything is opened; NULL for
 * no change of user.  root (or a user of uid 0) asked for by name keeps every privilege.
 * Returns 0, or -1 after one line.
 */
int runas_lookup(const char *user, struct runas *ra)
{
	struct passwd *pw;

	memset(ra, 0, sizeof(*ra));
	ra->uid = geteuid();
	ra->gid = getegid();
	if (!user) {
		ra->keep = 0;
		return 0;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		error("no such user '%s'", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		ra->keep = 1;
		ra->uid = 0;
		return 0;
	}
	ra->change = 1;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	copy_str(ra->name, sizeof(ra->name), pw->pw_name);
	return 0;
}

/* The highest capability this kernel knows. */
static int last_cap(void)
{
	char buf[16] = "";
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n = 0;

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			n = atoi(buf);
		close(fd);
	}
	return n > 0 && n < 64 ? n : CAP_LAST_CAP;
}

/*
 * Empty the bounding set.  That takes CAP_SETPCAP; a process without it (a non-root user
 * running a copy with file capabilities) first moves into a user namespace of its own,
 * where it has it (and nothing outside): the only way such a process can drop them.
 * Returns 0, 1 when that cannot be done here (said in a warning), or -1 after one line.
 */
static int drop_bounding(int may_unshare)
{
	int last = last_cap();

	for (int c = 0; c <= last; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1 || !prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			continue;
		if (errno == EPERM && may_unshare) {
			may_unshare = 0;
			if (!unshare(CLONE_NEWUSER)) {
				c = -1;
				continue;
			}
			/* no user namespace here: no_new_privs keeps the set from being used */
			warnx("cannot empty the capability bounding set (no CAP_SETPCAP, no user "
			      "namespace):");
			return 1;
		}
		error("cannot drop capability %d from the bounding set:", c);
		return -1;
	}
	return 0;
}

/*
 * Become ra's user (and its groups) for good, with no capability in any set and
 * no_new_privs, so nothing run or exec'd later can gain any: called in the capturing
 * process once every handle and the output are open.  Returns 0, or -1 after one line.
 */
int drop_privileges(const struct runas *ra)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int last, bset;

	if (ra->keep)
		return 0;
	bset = drop_bounding(!ra->change);
	if (bset < 0)
		return -1;
	if (ra->change && (setgroups(0, NULL) || setgid(ra->gid) || initgroups(ra->name, ra->gid) ||
			   setuid(ra->uid))) {
		error("cannot drop privileges to '%s':", ra->name);
		return -1;
	}
	if (ra->change && setuid(0) == 0) {
		error("dropped to '%s' but could become root again", ra->name);
		return -1;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data)) {
		error("cannot clear capabilities:");
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);	/* EINVAL before 4.3 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		error("cannot set no_new_privs:");
		return -1;
	}
	/* check, rather than trust */
	memset(data, 0xff, sizeof(data));
	last = last_cap();
	if (syscall(SYS_capget, &hdr, data) || data[0].effective || data[1].effective ||
	    data[0].permitted || data[1].permitted || data[0].inheritable || data[1].inheritable) {
		error("capabilities left after dropping privileges");
		return -1;
	}
	for (int c = 0; c <= last; c++)
		if ((!bset && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1) {
			error("capability %d left after dropping privileges", c);
			return -1;
		}
	return 0;
}

struct loop {
	struct cap_iface *ci;
	const struct cap_opts *o;
	struct capout *out;
	unsigned long long total;
	int stop;		/* a bound was reached or output failed */
	int drain;		/* the tag hook asked to end: read what every handle holds, end */
	int text_failed;	/* errno of a failed text write */
	uint64_t end_ns;	/* the tail: packets stamped later are left out; 0 = none */
	int merging;		/* several interfaces: packets held for time order */
	struct capmerge merge;
	uint64_t hold_ns;	/* how long a packet is held */
	uint64_t read_at;	/* CLOCK_MONOTONIC ns of this read */
};


struct cb_ctx {
	struct loop *l;
	struct cap_iface *ci;
	unsigned seen;		/* packets handed over by libpcap (as its u_int counts) */
	int past;		/* the tail: a packet stamped after the end was seen */
};

/* A packet goes out: tagged, written or printed, counted; a bound may end the capture. */
static void put_out(struct loop *l, struct cap_iface *ci, uint64_t ts, const u_char *data,
		    uint32_t caplen, uint32_t len)
{
	uint64_t id = 0;
	const char *comment = NULL;
	int last = 0;

	if (l->stop)
		return;
	if (l->o->tag)
		last = l->o->tag(l->o->hook_ctx, ci, ts, data, caplen, &id, &comment);
	if (l->o->out_fd >= 0) {
		if (capout_packet_tagged(l->out, (unsigned)ci->out_id, ts, data, caplen, len, id,
					 comment)) {
			l->stop = 1;
			return;
		}
	} else if (!l->o->tag) {
		char line[512], out[1100];
		struct tm tm;
		time_t sec = (time_t)(ts / 1000000000u);
		int k;

		localtime_r(&sec, &tm);
		pkt_describe(line, sizeof(line), ci->linktype, data, caplen, len);
		k = snprintf(out, sizeof(out), "%02d:%02d:%02d.%06ld %s %s\n", tm.tm_hour, tm.tm_min,
			     tm.tm_sec, (long)(ts % 1000000000u / 1000), ci->label, line);
		if (k < 0 || (size_t)k >= sizeof(out)) {
			k = (int)sizeof(out) - 1;
			out[k - 1] = '\n';
		}
		if (write_full(l->o->text_fd, out, (size_t)k, wait_output)) {
			l->text_failed = errno;
			l->stop = 1;
			return;
		}
	}
	ci->captured++;
	l->total++;
	l->drain |= last;
	if ((l->o->count && l->total >= l->o->count) ||
	    (l->o->max_bytes && l->o->out_fd >= 0 && capout_bytes(l->out) >= l->o->max_bytes))
		l->stop = 1;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct cb_ctx *c = (struct cb_ctx *)user;
	struct loop *l = c->l;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;

	c->seen++;
	if (l->stop)
		return;
	if (l->end_ns && ts > l->end_ns) {
		c->past = 1;
		return;
	}
	/* out of memory to hold it: it goes out now, a little out of order */
	if (!l->merging || capmerge_add(&l->merge, (size_t)(c->ci - l->ci), ts, l->read_at, data,
					h->caplen, h->len))
		put_out(l, c->ci, ts, data, h->caplen, h->len);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The held packets that are due go out, oldest first (UINT64_MAX: all of them). */
static void put_due(struct loop *l, uint64_t upto, uint64_t read_by)
{
	const struct capheld *p;

	while ((p = capmerge_next(&l->merge, upto, read_by)))
		put_out(l, &l->ci[p->iface], p->ts, p->data, p->caplen, p->len);
}

/*
 * Write the file's header: the section (or classic pcap) header and one interface block
 * per interface.  Done before privileges are dropped, so a file that cannot even take its
 * header can still be removed.  Returns 0, or -1 after one line naming the file.
 */
int capture_begin_file(struct cap_iface *ci, size_t n, const struct cap_opts *o,
		       struct capout *out)
{
	signal(SIGPIPE, SIG_IGN);	/* a reader that goes away is a write error, said once */
	out_deadline = o->duration_s > 0 ? now_s() + o->duration_s : 0;
	out->wait = capout_wait;	/* a full output is waited for until -d, or a signal */
	if (capout_begin(out, o->out_fd, o->fmt, o->comments, o->ncomments, ci[0].linktype,
			 o->snaplen)) {
		error("cannot write '%s': %s", o->out_name, strerror(out->failed));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		ci[i].out_id = capout_add_iface(out, ci[i].linktype, o->snaplen, ci[i].label,
						ci[i].desc);
		if (ci[i].out_id < 0) {
			error("cannot write '%s': %s", o->out_name, out->failed ?
			      strerror(out->failed) : "a classic pcap file holds one interface");
			return -1;
		}
	}
	if (!o->packet_buffered)
		capout_buffer(out, CAP_OUT_BUFSIZE);
	return 0;
}

/* SIGINT, SIGTERM and SIGHUP end the capture; they are blocked except while waiting. */
static void catch_signals(sigset_t *ours)
{
	struct sigaction sa = { .sa_handler = on_signal };

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(ours);
	sigaddset(ours, SIGINT);
	sigaddset(ours, SIGTERM);
	sigaddset(ours, SIGHUP);
	sigprocmask(SIG_BLOCK, ours, &wait_mask);	/* delivered only while waiting */
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGHUP);
	wait_maskp = &wait_mask;
}

/*
 * The deadline as a timer descriptor polled beside the handles: each wake-up is then
 * one ppoll(2) with no timeout to arm, as tcpdump's poll in immediate mode.  -1 without
 * a deadline or a timer (ppoll's timeout then keeps the deadline).
 */
static int deadline_timer(double deadline)
{
	int fd = deadline ? timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) : -1;
	struct itimerspec its = { .it_value = {
		.tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9) } };

	if (fd >= 0 && timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Read what each ready handle has; an interface that is gone or failing is done. */
static void dispatch_ready(struct cap_iface *ci, size_t n, const struct pollfd *pfd,
			   struct cb_ctx *ctx, struct loop *l)
{
	l->read_at = mono_ns();
	for (size_t i = 0; i < n && !l->stop; i++) {
		char esc[512];
		int got;

		if (ci[i].done || !pfd[i].revents)
			continue;
		/* held packets are not counted yet: the bound is checked as they go out */
		got = pcap_dispatch(ci[i].pcap, l->o->count && !l->merging ?
				    (int)(l->o->count - l->total) : -1, on_packet, (u_char *)&ctx[i]);
		if (got == PCAP_ERROR) {
			warnx("%s: %s: its capture ended", text_esc(esc, sizeof(esc), ci[i].label),
			      pcap_geterr(ci[i].pcap));
			ci[i].done = 1;
		} else if (!got && (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			/*
			 * The socket reports an error that libpcap's non-blocking read did not
			 * take (the device was unregistered: ENETDOWN): the interface is gone,
			 * not quiet.  Polling it again would spin.
			 */
			int err = 0;
			socklen_t len = sizeof(err);

			if (pfd[i].revents & POLLNVAL)
				err = EBADF;
			else if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) || !err)
				err = ENETDOWN;
			warnx("%s: %s: its capture ended", text_esc(esc, sizeof(esc), ci[i].label),
			      err == ENETDOWN ? "the interface went down or is gone" : strerror(err));
			ci[i].done = 1;
		}
	}
}

/*
 * Read what every handle has been handed (the tail: the end, or the tag hook asked to end
 * when trace has every answer back, so that a packet another hop saw at the same moment
 * is not cut off).
 */
static void drain_all(struct cap_iface *ci, size_t n, struct cb_ctx *ctx, struct loop *l)
{
	l->read_at = mono_ns();
	for (size_t i = 0; i < n && !l->stop; i++)
		if (!ci[i].done && !ctx[i].past &&
		    pcap_dispatch(ci[i].pcap, -1, on_packet, (u_char *)&ctx[i]) == PCAP_ERROR)
			ci[i].done = 1;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Has the kernel taken packets for this handle that it has not handed over yet?  It
 * counts every packet the filter passed (ps_recv, drops included); 1 when it cannot be
 * told.  (Packets it queued before the ring was set up are never handed over: then the
 * tail waits its longest.)
 */
static int kernel_holds(const struct cap_iface *ci, const struct cb_ctx *c)
{
	struct pcap_stat ps;

	if (pcap_stats(ci->pcap, &ps))
		return 1;
	return (unsigned)(ps.ps_recv - ps.ps_drop) != c->seen;
}

/*
 * The capture ends by its deadline or a signal: what the kernel holds of the time before
 * the end is still read, and nothing stamped after it.  The kernel hands a block over
 * when it is full or when its timer retires it, block_ms() to twice that after the block
 * began; so while the kernel holds packets not yet handed over, they are waited for, at
 * most 2 * block_ms() + CAP_TAIL_MARGIN_MS.  A handle is done once it hands over a packet
 * stamped after the end (its blocks come in order), or holds nothing more.
 */
static void read_tail(struct cap_iface *ci, size_t n, struct pollfd *pfd, struct cb_ctx *ctx,
		      struct loop *l)
{
	double until = now_s() + (2.0 * block_ms(l->o) + CAP_TAIL_MARGIN_MS) / 1e3;

	l->end_ns = realtime_ns();
	for (;;) {
		struct timespec ts;
		double left;
		int wait = 0;

		drain_all(ci, n, ctx, l);
		for (size_t i = 0; i < n; i++) {
			pfd[i].fd = -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			if (!l->stop && !ci[i].done && !ctx[i].past &&
			    kernel_holds(&ci[i], &ctx[i])) {
				pfd[i].fd = pcap_get_selectable_fd(ci[i].pcap);
				wait = 1;
			}
		}
		left = until - now_s();
		if (!wait || left <= 0)
			break;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		/* our signals stay blocked: one more SIGINT does not cut this short wait */
		if (ppoll(pfd, n, &ts, NULL) < 0 && errno != EINTR)
			break;
	}
}

/* How the output ended, said once; 0, or -1 when what was asked could not be written. */
static int output_end(const struct cap_opts *o, const struct capout *out, const struct loop *l)
{
	int rc = 0;

	if (o->out_fd >= 0 && out->failed && out_interrupted(out->failed)) {
		verbose("'%s' took no more before the end: capture ended", o->out_name);
	} else if (o->out_fd >= 0 && out->failed) {
		error("writing '%s' failed: %s: capture stopped; the file holds whole packets only",
		      o->out_name, strerror(out->failed));
		rc = -1;
	} else if (l->text_failed && out_interrupted(l->text_failed)) {
		verbose("standard output took no more before the end: capture ended");
	} else if (l->text_failed) {
		error("write error on standard output: %s", strerror(l->text_failed));
		rc = -1;
	}
	if (o->out_fd >= 0 && !out->failed && fsync(o->out_fd) && errno != EINVAL &&
	    errno != EROFS) {
		error("cannot write '%s':", o->out_name);
		rc = -1;
	}
	return rc;
}

/*
 * Capture until a bound, into `out` (begun with capture_begin_file) or as text lines.
 * The packets counted in ci[].captured and *total are those whose blocks reached the
 * output whole.  Returns 0, or -1 when the output failed (the file then holds whole
 * blocks only).
 */
int capture_run(struct cap_iface *ci, size_t n, const struct cap_opts *o, struct capout *out,
		unsigned long long *total, double *elapsed_ms)
{
	struct loop l = { .ci = ci, .o = o, .out = out, .merging = n > 1,
			  .hold_ns = (uint64_t)(2 * block_ms(o) + CAP_TAIL_MARGIN_MS) * 1000000u };
	struct cb_ctx *ctx = xcalloc(n, sizeof(*ctx));
	struct pollfd *pfd = xcalloc(n + 1, sizeof(*pfd));	/* and the deadline's timer */
	double start = now_s(), deadline = o->duration_s > 0 ? start + o->duration_s : 0;
	sigset_t ours;
	int rc;

	if (l.merging && capmerge_init(&l.merge, n, CAP_HOLD_MAX))
		l.merging = 0;		/* out of memory: each packet as it is read */
	catch_signals(&ours);
	out_deadline = deadline;
	for (size_t i = 0; i < n; i++) {
		ctx[i].l = &l;
		ctx[i].ci = &ci[i];
	}
	pfd[n].fd = deadline_timer(deadline);
	pfd[n].events = POLLIN;
	while (!l.stop && !stop_signal) {
		const struct capheld *top = capmerge_top(&l.merge);
		double wake = 0, until;	/* when the oldest packet held is due; 0: none held */
		uint64_t real;
		int live = 0, r;

		for (size_t i = 0; i < n; i++) {
			pfd[i].fd = ci[i].done ? -1 : pcap_get_selectable_fd(ci[i].pcap);
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			live += !ci[i].done;
		}
		if (!live) {
			warnx("every captured interface is gone: capture ended");
			break;
		}
		if (top) {
			uint64_t due = top->ts + l.hold_ns, mono = mono_ns(), left;

			real = realtime_ns();
			left = due > real ? due - real : 0;
			if (top->at + l.hold_ns < mono + left)	/* a clock set back */
				left = top->at + l.hold_ns > mono ? top->at + l.hold_ns - mono : 0;
			wake = now_s() + (double)left / 1e9;
		}
		if (pfd[n].fd >= 0 || !deadline)	/* the deadline is the timer's */
			until = wake;
		else
			until = wake && wake < deadline ? wake : deadline;
		pfd[n].revents = 0;
		r = wait_until(pfd, pfd[n].fd >= 0 ? n + 1 : n, until);
		if (r == 0 && wake && (!deadline || now_s() < deadline)) {	/* a packet is due */
			put_due(&l, realtime_ns() - l.hold_ns, mono_ns() - l.hold_ns);
		} else if (r <= 0 || pfd[n].revents) {	/* a signal, the deadline, an error */
			if (r < 0 && errno != EINTR)
				error("poll:");
			else
				read_tail(ci, n, pfd, ctx, &l);
			break;
		} else {
			/* what a handle took before this, less the hold, is read now or was */
			real = realtime_ns() - l.hold_ns;
			dispatch_ready(ci, n, pfd, ctx, &l);
			put_due(&l, real, l.read_at - l.hold_ns);
		}
		if (l.drain) {		/* what every handle was given until now, then the end */
			read_tail(ci, n, pfd, ctx, &l);
			break;
		}
		if (o->out_fd >= 0 && !out->is_file && capout_flush(out))
			l.stop = 1;
	}
	put_due(&l, UINT64_MAX, UINT64_MAX);	/* what is held, in order */
	capmerge_release(&l.merge);		/* (a bound was reached: not written) */
	if (o->out_fd >= 0) {	/* what is left; the counts are what reached the file */
		capout_flush(out);
		l.total = out->packets;
		for (size_t i = 0; i < n; i++)
			ci[i].captured = out->ipackets[ci[i].out_id];
	}
	if (stop_signal)
		verbose("capture stopped by signal %d", (int)stop_signal);
	rc = output_end(o, out, &l);
	sigprocmask(SIG_UNBLOCK, &ours, NULL);
	wait_maskp = NULL;
	for (size_t i = 0; i < n; i++) {
		struct pcap_stat ps;

		if (!pcap_stats(ci[i].pcap, &ps)) {
			ci[i].recv = ps.ps_recv;
			ci[i].drop = ps.ps_drop;
		}
	}
	*total = l.total;
	*elapsed_ms = (now_s() - start) * 1000;
	if (pfd[n].fd >= 0)
		close(pfd[n].fd);
	free(ctx);
	free(pfd);
	return rc;
}
