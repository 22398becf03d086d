/*
 * capture.c implements the capture itself: one libpcap handle per interface, each created
 * and activated inside the interface's namespace (both steps must happen there), then
 * polled together from our own namespace until the duration, count or size bound, a
 * signal, or the loss of every interface ends it.  Privileges are dropped after every
 * handle and the output file are open, before the first packet is read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "vethmap.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * Open and activate a handle for each interface inside its namespace; set the filter.
 * Of several interfaces, one that is down is left out with a warning (*n shrinks).
 * Returns 0, -1 on failure, -2 for a bad filter.
 */
int capture_open(struct topo *t, struct cap_iface *ci, size_t *np, const struct cap_opts *o)
{
	char err[PCAP_ERRBUF_SIZE], esc[512];
	size_t n = *np;

	for (size_t i = 0; i < n; i++) {
		const struct iface *ifc = &t->ifs[ci[i].ifc];
		struct bpf_program prog;
		pcap_t *p;
		int saved, rc;

		text_esc(esc, sizeof(esc), ci[i].label);
		if (netns_enter(t->ns[ifc->ns].fd, &saved))
			return -1;
		err[0] = '\0';
		p = pcap_create(ifc->name, err);
		rc = !p ? PCAP_ERROR : 0;
		if (p) {
			pcap_set_snaplen(p, o->snaplen);
			pcap_set_promisc(p, o->promisc);
			pcap_set_immediate_mode(p, 1);
			pcap_set_buffer_size(p, 4 << 20);
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

/* Become `user` (and its groups) for good: no way back to root. */
int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (!user)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		error("no such user '%s'", user);
		return -1;
	}
	if (pw->pw_uid == 0)
		return 0;
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || initgroups(pw->pw_name, pw->pw_gid) ||
	    setuid(pw->pw_uid)) {
		error("cannot drop privileges to '%s':", user);
		return -1;
	}
	if (setuid(0) == 0) {
		error("dropped to '%s' but could become root again", user);
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
};

struct cb_ctx {
	struct loop *l;
	struct cap_iface *ci;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct cb_ctx *c = (struct cb_ctx *)user;
	struct loop *l = c->l;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;

	if (l->stop)
		return;
	if (l->o->out_fd >= 0) {
		if (capout_packet(l->out, (unsigned)c->ci->out_id, ts, data, h->caplen, h->len)) {
			l->stop = 1;
			return;
		}
	} else {
		char line[512], esc[512];
		struct tm tm;
		time_t sec = h->ts.tv_sec;

		localtime_r(&sec, &tm);
		pkt_describe(line, sizeof(line), c->ci->linktype, data, h->caplen, h->len);
		printf("%02d:%02d:%02d.%06ld %s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
		       (long)h->ts.tv_usec / 1000, text_esc(esc, sizeof(esc), c->ci->label), line);
		if (ferror(stdout)) {
			l->stop = 1;
			return;
		}
	}
	c->ci->captured++;
	l->total++;
	if ((l->o->count && l->total >= l->o->count) ||
	    (l->o->max_bytes && l->o->out_fd >= 0 && l->out->good >= l->o->max_bytes))
		l->stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	return 0;
}

/*
 * Capture until a bound, into `out` (begun with capture_begin_file) or as text lines.
 * Returns 0, or -1 when the output failed (the file then holds whole blocks only).
 */
int capture_run(struct cap_iface *ci, size_t n, const struct cap_opts *o, struct capout *out,
		unsigned long long *total, double *elapsed_ms)
{
	struct loop l = { .ci = ci, .o = o, .out = out };
	struct cb_ctx *ctx = xcalloc(n, sizeof(*ctx));
	struct pollfd *pfd = xcalloc(n, sizeof(*pfd));
	struct sigaction sa = { .sa_handler = on_signal };
	double start = now_s(), deadline = o->duration_s > 0 ? start + o->duration_s : 0;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (size_t i = 0; i < n; i++) {
		ctx[i].l = &l;
		ctx[i].ci = &ci[i];
	}
	while (!l.stop && !stop_signal) {
		int timeout = -1, live = 0;

		if (deadline) {
			double left = deadline - now_s();

			if (left <= 0)
				break;
			timeout = (int)(left * 1000) + 1;
		}
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
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			error("poll:");
			break;
		}
		for (size_t i = 0; i < n && !l.stop; i++) {
			int got;

			if (ci[i].done || !pfd[i].revents)
				continue;
			got = pcap_dispatch(ci[i].pcap, o->count ? (int)(o->count - l.total) : -1,
					    on_packet, (u_char *)&ctx[i]);
			if (got == PCAP_ERROR) {
				char esc[512];

				warnx("%s: %s: its capture ended", text_esc(esc, sizeof(esc),
				      ci[i].label), pcap_geterr(ci[i].pcap));
				ci[i].done = 1;
			}
		}
	}
	if (stop_signal)
		verbose("capture stopped by signal %d", (int)stop_signal);
	if (o->out_fd >= 0 && out->failed) {
		error("writing '%s' failed: %s: capture stopped; the file holds whole packets only",
		      o->out_name, strerror(out->failed));
		rc = -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct pcap_stat ps;

		if (!pcap_stats(ci[i].pcap, &ps)) {
			ci[i].recv = ps.ps_recv;
			ci[i].drop = ps.ps_drop;
		}
	}
	*total = l.total;
	*elapsed_ms = (now_s() - start) * 1000;
	free(ctx);
	free(pfd);
	return rc;
}
