/*
 * cmd_trace.c implements 'vethmap trace SRC DST [options] [FILTER...]': capture along the
 * whole path from SRC's namespace to DST's at once and say where the packets die.
 *
 *   plan  (pure)        SRC and DST in a live scan (or --scan ID's stored one), the path
 *                       between them (trace_path.c), the hops to capture on;
 *   open  (privileged)  a libpcap handle per captured hop inside its namespace, as cap
 *                       opens them; with --probe, the raw socket inside SRC's namespace;
 *   run   (no privilege) cap's capturing child (cmd_cap.c's run_split): it drops every
 *                       privilege, knows each packet again at every hop (pktmatch.c),
 *                       writes it with its id (pcapng packet id and a comment), and at
 *                       the end prints the report; with --probe it first forks a sender
 *                       that sends at most -c probes through the socket, only to DST.
 *
 * The parent records the trace in the capture table like any capture.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "capcmd.h"
#include "trace.h"

#define TRACE_PROBES_DEFAULT 5
#define TRACE_PROBES_MAX 1000
#define PROBE_INTERVAL_MS 200
#define PROBE_GRACE_MS 1000	/* after the last probe, for its answer */

enum { PROBE_NONE, PROBE_ICMP, PROBE_TCP };

struct trace_args {
	const char *outpath, *user;
	unsigned long long count;
	int probe, port, got_count;
	struct cap_opts o;
};

static void trace_init(struct cmd_ctx *ctx)
{
	struct trace_args *a = ctx->opts;

	a->o.duration_s = 10;
	a->o.snaplen = 262144;
	a->o.buffer_kib = 4096;
	a->o.promisc = 1;
	a->o.out_fd = -1;
	a->o.text_fd = -1;
	a->o.fmt = CAP_PCAPNG;
	a->user = getuid() == 0 ? "nobody" : NULL;
}

/* "tcp:PORT" -> the port; 0 if malformed. */
static int probe_port(const char *s)
{
	char *end;
	long v;

	if (strncmp(s, "tcp:", 4) || !s[4] || strspn(s + 4, "0123456789") != strlen(s + 4))
		return 0;
	v = strtol(s + 4, &end, 10);
	return v > 0 && v < 65536 ? (int)v : 0;
}

static int trace_parse(struct cmd_ctx *ctx, int c, const char *arg)
{
	struct trace_args *a = ctx->opts;
	int ok;

	switch (c) {
	case 'd':
		a->o.duration_s = parse_duration(arg);
		if (a->o.duration_s <= 0) {
			error("trace: invalid duration '%s' (like 10, 10s, 500ms, 2m)", arg);
			return 2;
		}
		break;
	case 'c':
		a->count = parse_size(arg, &ok);
		if (!ok || a->count > (1u << 31)) {
			error("trace: invalid count '%s'", arg);
			return 2;
		}
		a->got_count = 1;
		break;
	case 'w': a->outpath = arg; break;
	case 'Z': a->user = arg; break;
	case 'U': a->o.packet_buffered = 1; break;
	case 'P': a->probe = PROBE_ICMP; break;	/* "tcp:PORT" after it: trace_check */
	}
	return 0;
}

/* Operands: SRC DST, then the filter's words ("--probe tcp:PORT" may stand apart). */
static int trace_check(struct cmd_ctx *ctx)
{
	struct trace_args *a = ctx->opts;

	if (ctx->argc < 2) {
		error("trace: %s", ctx->argc ? "no DST" : "no SRC and DST");
		usage_cmd(stderr, "trace");
		return 2;
	}
	if (a->probe == PROBE_ICMP && ctx->argc > 2 && !strncmp(ctx->argv[2], "tcp:", 4)) {
		a->port = probe_port(ctx->argv[2]);
		if (!a->port) {
			error("trace: invalid probe '%s' (tcp:PORT)", ctx->argv[2]);
			return 2;
		}
		a->probe = PROBE_TCP;
		ctx->argv[2] = ctx->argv[1];	/* taken out of the filter */
		ctx->argv[1] = ctx->argv[0];
		ctx->argv++;
		ctx->argc--;
	}
	if (a->probe && !a->got_count)
		a->count = TRACE_PROBES_DEFAULT;
	if (a->probe && a->count > TRACE_PROBES_MAX) {
		error("trace: at most %d probes (-c)", TRACE_PROBES_MAX);
		return 2;
	}
	return 0;
}

/* ---- plan ---------------------------------------------------------------------------- */

/* An end of the trace: its namespace, and for an address given, the address. */
static int resolve_end(const struct topo *t, const char *spec, long *ns, int *family,
		       uint8_t addr[16], int *has_addr)
{
	struct target one;
	int several, rc;
	char esc[256];

	*has_addr = 0;
	if (!addr_parse(spec, family, addr) && !strchr(spec, '/')) {
		*ns = topo_addr_ns(t, *family, addr, &several);
		if (*ns < 0) {
			error(several ? "address '%s' is held by several namespaces: name one instead" :
			      "no scanned namespace holds address '%s'", text_esc(esc, sizeof(esc), spec));
			return 2;
		}
		*has_addr = 1;
		return 0;
	}
	rc = target_one(t, spec, &one);
	if (rc)
		return rc;
	*ns = one.ns;
	return 0;
}

/* Hop h of path p as the report names it; the same interface looked up in t (live). */
struct hop_info {
	uint64_t ino;
	char label[64];		/* the namespace's label */
	char ifname[IFNAME_MAX];
	enum hop_role role;
	int capture;
	long live_ifc;		/* index into the live topo.ifs, -1: not captured */
};

struct trace_run {
	struct pm m;
	struct hop_info hops[TRACE_HOPS_MAX];
	size_t nhops;
	long first_hop, last_hop;	/* captured hops at either end; -1: none */
	long dst_hop;			/* DST's ingress when the path reaches it, else -1 */
	struct trace_path path;
	char src_label[64], dst_label[64];
	uint64_t src_ino, dst_ino;
	/* stop */
	unsigned long long want, delivered, replies_back;
	/* probe */
	int probe, port, probe_fd;
	struct sockaddr_storage probe_to;
	socklen_t probe_len;
	uint8_t probe_src[16];
	pid_t sender;
	unsigned long long probes;
	/* report */
	int json;
	FILE *report;
	char comment[96];
	double start_ms;
	uint64_t open_ns;		/* CLOCK_REALTIME when every handle was open */
};

static void hop_label(const struct topo *t, size_t ifc, struct hop_info *h)
{
	char lab[32];

	h->ino = t->ns[t->ifs[ifc].ns].ino;
	copy_str(h->label, sizeof(h->label), topo_ns_label(t, t->ifs[ifc].ns, lab, sizeof(lab)));
	copy_str(h->ifname, sizeof(h->ifname), t->ifs[ifc].name);
}

/*
 * The path's hops (computed on pt) as interfaces of the live topology t; each captured
 * hop's interface into ifcs (once).  0, or an exit status after one line.
 */
static int map_hops(const struct topo *pt, const struct topo *t, struct trace_run *r,
		    size_t *ifcs, size_t *nifcs)
{
	*nifcs = 0;
	r->first_hop = r->last_hop = -1;
	for (size_t i = 0; i < r->path.nhops; i++) {
		const struct trace_hop *hp = &r->path.hops[i];
		struct hop_info *h = &r->hops[i];
		long ns, ifc;

		hop_label(pt, hp->ifc, h);
		h->role = hp->role;
		h->capture = hp->capture;
		h->live_ifc = -1;
		ns = topo_find_ns(t, 0, h->ino);
		ifc = ns >= 0 ? topo_find_ifname(t, (size_t)ns, h->ifname) : -1;
		if (ifc < 0) {
			char esc[IFNAME_MAX * 4], lab[sizeof(h->label) * 4];

			error("hop %zu of the path, %s:%s, no longer exists", i + 1,
			      text_esc(lab, sizeof(lab), h->label), text_esc(esc, sizeof(esc), h->ifname));
			return 1;
		}
		for (size_t k = 0; k < *nifcs; k++)
			if (ifcs[k] == (size_t)ifc)
				h->capture = 0;		/* one interface twice: its first hop */
		if (!h->capture)
			continue;
		h->live_ifc = ifc;
		ifcs[(*nifcs)++] = (size_t)ifc;
		if (r->first_hop < 0)
			r->first_hop = (long)i;
		r->last_hop = (long)i;
	}
	r->nhops = r->path.nhops;
	r->dst_hop = r->path.complete && r->nhops && r->hops[r->nhops - 1].capture ?
		     (long)r->nhops - 1 : -1;
	return 0;
}

/* The traced flow: SRC's addresses of DST's family, and DST's address. */
static void make_flow(const struct topo *pt, const struct trace_path *p, struct pm_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = p->family;
	memcpy(f->dst, p->dst, 16);
	for (size_t i = 0; i < pt->nifs; i++) {
		const struct iface *x = &pt->ifs[i];

		if (x->ns != p->src_ns || iface_is_loopback(x))
			continue;
		for (size_t k = 0; k < x->naddrs; k++) {
			uint8_t a[16];
			int fam;

			if (addr_parse(x->addrs[k].text, &fam, a) || fam != p->family)
				continue;
			f->src = xrealloc(f->src, (f->nsrc + 1) * sizeof(*f->src));
			memcpy(f->src[f->nsrc++], a, 16);
		}
	}
}

/* ---- run: in the capturing process ------------------------------------------------ */

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int tag_packet(void *ctx, const struct cap_iface *ci, uint64_t ts_ns, const uint8_t *data,
		      uint32_t caplen, uint64_t *id, const char **comment)
{
	struct trace_run *r = ctx;
	struct pkt_key k;
	struct pm_hit hit;
	size_t hop;

	for (hop = 0; hop < r->nhops && r->hops[hop].live_ifc != (long)ci->ifc; hop++)
		;
	/*
	 * The handles were opened one after another: a packet from before the last one was
	 * open may have passed a later hop unseen.  It is written, but not followed.
	 */
	if (hop == r->nhops || ts_ns < r->open_ns || pkt_key_parse(ci->linktype, data, caplen, &k))
		return 0;
	pm_add(&r->m, hop, ts_ns, &k, &hit);
	if (!hit.id)
		return 0;
	*id = hit.id;
	snprintf(r->comment, sizeof(r->comment), "vethmap trace: packet %llu%s%s",
		 (unsigned long long)hit.id, hit.dir == PM_FORWARD ? ", SRC to DST" :
		 hit.dir == PM_REPLY ? ", reply" : "", hit.nat ? ", NAT" : "");
	*comment = r->comment;
	if (hit.dir == PM_FORWARD && (long)hop == r->last_hop)
		r->delivered++;
	if (hit.dir == PM_REPLY && (long)hop == r->first_hop)
		r->replies_back++;
	if (!r->want)
		return 0;
	return r->probe ? r->replies_back >= r->want : r->delivered >= r->want;
}

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Probe number seq (1, 2, ...) into buf; its length. */
static size_t make_probe(const struct trace_run *r, unsigned seq, uint8_t *buf)
{
	static const char pad[] = "vethmap trace probe.............";
	uint16_t id = (uint16_t)getpid(), c;
	size_t n;

	if (r->probe == PROBE_ICMP) {
		buf[0] = r->path.family == AF_INET ? 8 : 128;
		buf[1] = 0;
		buf[2] = buf[3] = 0;
		buf[4] = (uint8_t)(id >> 8), buf[5] = (uint8_t)id;
		buf[6] = (uint8_t)(seq >> 8), buf[7] = (uint8_t)seq;
		memcpy(buf + 8, pad, 32);
		n = 40;
		if (r->path.family == AF_INET) {	/* ICMPv6's is the kernel's */
			c = csum16(buf, n, 0);
			buf[2] = (uint8_t)(c >> 8), buf[3] = (uint8_t)c;
		}
		return n;
	}
	/* a TCP SYN from a port of our own; the kernel adds the IP header */
	{
		uint16_t sport = (uint16_t)(40000 + (getpid() % 20000)), dport = (uint16_t)r->port;
		uint32_t iseq = (uint32_t)seq * 0x9e3779b1u, sum = 0;
		size_t al = r->path.family == AF_INET ? 4 : 16;

		memset(buf, 0, 20);
		buf[0] = (uint8_t)(sport >> 8), buf[1] = (uint8_t)sport;
		buf[2] = (uint8_t)(dport >> 8), buf[3] = (uint8_t)dport;
		buf[4] = (uint8_t)(iseq >> 24), buf[5] = (uint8_t)(iseq >> 16);
		buf[6] = (uint8_t)(iseq >> 8), buf[7] = (uint8_t)iseq;
		buf[12] = 5 << 4;
		buf[13] = 0x02;		/* SYN */
		buf[14] = 0xfa, buf[15] = 0xf0;
		n = 20;
		if (r->path.family == AF_INET) {	/* IPv6: IPV6_CHECKSUM */
			for (size_t i = 0; i < al; i += 2)
				sum += (uint32_t)(r->probe_src[i] << 8 | r->probe_src[i + 1]) +
				       (uint32_t)(r->path.dst[i] << 8 | r->path.dst[i + 1]);
			sum += 6 + (uint32_t)n;
			c = csum16(buf, n, sum);
			buf[16] = (uint8_t)(c >> 8), buf[17] = (uint8_t)c;
		}
		return n;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The sender: at most r->want probes, only to DST, then the capture's end after a grace. */
static _Noreturn void send_probes(const struct trace_run *r, pid_t capturer)
{
	uint8_t buf[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != capturer)
		_exit(1);
	sleep_ms(100);		/* the capture loop is polling by then */
	for (unsigned i = 1; i <= r->want; i++) {
		size_t n = make_probe(r, i, buf);

		if (sendto(r->probe_fd, buf, n, 0, (const struct sockaddr *)&r->probe_to,
			   r->probe_len) < 0)
			warnx("trace: probe %u not sent:", i);
		if (i < r->want)
			sleep_ms(PROBE_INTERVAL_MS);
	}
	sleep_ms(PROBE_GRACE_MS);
	kill(capturer, SIGTERM);	/* ends the capture as a signal would */
	_exit(0);
}

static void trace_started(void *ctx)
{
	struct trace_run *r = ctx;
	pid_t self = getpid();

	r->start_ms = mono_ms();
	if (!r->probe)
		return;
	fflush(stdout);
	fflush(stderr);
	r->sender = fork();
	if (r->sender == 0)
		send_probes(r, self);
	if (r->sender < 0)
		warnx("trace: cannot start the probe sender:");
	else
		r->probes = r->want;
	close(r->probe_fd);
	r->probe_fd = -1;
}

static void pr_hop_ref(struct pr *p, const char *key, const struct hop_info *h)
{
	pr_open_object(p, key);
	pr_uint(p, PR_JSON, "netns", NULL, h->ino);
	pr_str(p, PR_JSON, "name", NULL, h->label);
	pr_str(p, PR_JSON, "ifname", NULL, h->ifname);
	pr_close_object(p);
}

static void print_report(struct trace_run *r, double ms, uint64_t end_ns)
{
	static const char *const head[] = { "HOP", "NETNS", "IFACE", "ROLE", "SEEN", "REPLIES",
		"LAT-MEDIAN", "LAT-MAX", "LOST-HERE" };
	struct pm_hopstat hs[TRACE_HOPS_MAX];
	int captured[TRACE_HOPS_MAX];
	struct pm_summary s;
	struct pr p;
	int uncaptured = 0;

	for (size_t i = 0; i < r->nhops; i++)
		captured[i] = r->hops[i].capture;
	pm_summarize(&r->m, captured, r->dst_hop, end_ns, hs, &s);
	pr_init(&p, r->report, r->json);
	pr_open_object(&p, NULL);
	pr_text(&p, "trace ");
	pr_open_object(&p, "src");
	pr_uint(&p, PR_JSON, "netns", NULL, r->src_ino);
	pr_str(&p, PR_ANY, "name", "%s", r->src_label);
	pr_close_object(&p);
	pr_text(&p, " -> ");
	pr_open_object(&p, "dst");
	pr_uint(&p, PR_JSON, "netns", NULL, r->dst_ino);
	pr_str(&p, PR_ANY, "name", "%s", r->dst_label);
	pr_str(&p, PR_ANY, "address", " %s", r->path.dst_text);
	pr_close_object(&p);
	pr_open_object(&p, "path");
	pr_bool(&p, PR_JSON, "complete", NULL, r->path.complete);
	pr_bool(&p, PR_JSON, "drops", NULL, r->path.drops);
	pr_text(&p, r->path.complete ? ": path complete\n" : ": path incomplete: ");
	if (r->path.complete)
		pr_null(&p, PR_JSON, "reason", NULL);
	else
		pr_str(&p, PR_ANY, "reason", "%s\n", r->path.why);
	pr_close_object(&p);
	pr_table_begin(&p, "hops", head, sizeof(head) / sizeof(head[0]), "  ", "  ");
	for (size_t i = 0; i < r->nhops; i++) {
		const struct hop_info *h = &r->hops[i];

		pr_row_begin(&p);
		pr_uint(&p, PR_TEXT, NULL, "%s", i + 1);
		pr_uint(&p, PR_JSON, "netns", NULL, h->ino);
		pr_str(&p, PR_ANY, "name", "%s", h->label);
		pr_str(&p, PR_ANY, "ifname", "%s", h->ifname);
		pr_str(&p, PR_ANY, "role", "%s", hop_role_names[h->role]);
		pr_bool(&p, PR_JSON, "captured", NULL, h->capture);
		if (!h->capture) {
			pr_null(&p, PR_ANY, "seen", "%s");
			pr_null(&p, PR_ANY, "replies", "%s");
			pr_row_end(&p);
			uncaptured++;
			continue;
		}
		pr_uint(&p, PR_ANY, "seen", "%s", hs[i].seen);
		pr_uint(&p, PR_ANY, "replies", "%s", hs[i].replies);
		if (hs[i].nlat) {
			pr_open_object(&p, "latency_ms");
			pr_double(&p, PR_ANY, "median", "%.3fms", hs[i].lat_median_ms);
			pr_double(&p, PR_ANY, "max", "%.3fms", hs[i].lat_max_ms);
			pr_uint(&p, PR_JSON, "packets", NULL, hs[i].nlat);
			pr_close_object(&p);
		} else {
			pr_null(&p, PR_ANY, "latency_ms", "%s");
			pr_str(&p, PR_TEXT, NULL, "%s", NULL);
		}
		pr_uint(&p, PR_ANY, "lost_here", "%s", hs[i].lost_here);
		pr_row_end(&p);
	}
	pr_table_end(&p);
	if (uncaptured)
		pr_text(&p, "  (-: not captured: a bridge's or lower device's own handle does not "
			"see the frames it switches between its ports)\n");
	pr_uint(&p, PR_ANY, "packets", "%s packets SRC to DST", s.packets);
	pr_uint(&p, PR_ANY, "delivered", ", %s delivered", s.delivered);
	pr_uint(&p, PR_ANY, "lost", ", %s lost", s.lost);
	pr_uint(&p, PR_ANY, "in_flight", ", %s in flight at the end", s.in_flight);
	pr_text(&p, ", lost after ");
	if (s.lost_after >= 0) {
		pr_hop_ref(&p, "lost_after", &r->hops[s.lost_after]);
		pr_str(&p, PR_TEXT, NULL, "%s:", r->hops[s.lost_after].label);
		pr_str(&p, PR_TEXT, NULL, "%s", r->hops[s.lost_after].ifname);
	} else {
		pr_null(&p, PR_ANY, "lost_after", "%s");
	}
	pr_uint(&p, PR_ANY, "replies", "; %s replies", s.replies);
	pr_uint(&p, PR_ANY, "nat", ", %s NATed", s.nat);
	pr_uint(&p, PR_ANY, "probes_sent", ", %s probes sent", r->probes);
	pr_uint(&p, PR_JSON, "untracked", NULL, r->m.untracked);
	pr_double(&p, PR_JSON, "duration_ms", NULL, ms);
	pr_text(&p, "\n");
	pr_close_object(&p);
}

static int trace_finished(void *ctx, int rc)
{
	struct trace_run *r = ctx;
	struct timespec now;

	if (r->sender > 0) {
		kill(r->sender, SIGKILL);
		while (waitpid(r->sender, NULL, 0) < 0 && errno == EINTR)
			;
		r->sender = 0;
	}
	clock_gettime(CLOCK_REALTIME, &now);	/* the packets' clock */
	print_report(r, mono_ms() - r->start_ms,
		     (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	if (ferror(r->report) || fflush(r->report)) {
		error("write error on standard %s:", r->report == stderr ? "error" : "output");
		return -1;
	}
	return rc;
}

/* ---- open: the probe's socket, inside SRC's namespace ------------------------------- */

static int open_probe(struct scan_ctx *live, size_t src_ns, struct trace_run *r)
{
	int fam = r->path.family, saved, fd, udp;
	int proto = r->probe == PROBE_TCP ? IPPROTO_TCP : fam == AF_INET ? IPPROTO_ICMP :
		    IPPROTO_ICMPV6;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&r->probe_to;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->probe_to;
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);

	memset(&r->probe_to, 0, sizeof(r->probe_to));
	if (fam == AF_INET) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, r->path.dst, 4);
		s4->sin_port = htons((uint16_t)r->port);
		r->probe_len = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, r->path.dst, 16);
		s6->sin6_port = htons((uint16_t)r->port);
		r->probe_len = sizeof(*s6);
	}
	if (netns_enter(live, src_ns, &saved))
		return -1;
	fd = socket(fam, SOCK_RAW | SOCK_CLOEXEC, proto);
	/* the source address SRC's routes choose for DST (TCP's checksum needs it) */
	udp = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp >= 0 && (connect(udp, (struct sockaddr *)&r->probe_to, r->probe_len) ||
			 getsockname(udp, (struct sockaddr *)&me, &ml))) {
		close(udp);
		udp = -1;
	}
	netns_return(saved);
	if (fd < 0 || udp < 0) {
		error("trace: cannot open the probe's socket in %s:", r->src_label);
		if (fd >= 0)
			close(fd);
		if (udp >= 0)
			close(udp);
		return -1;
	}
	close(udp);
	memcpy(r->probe_src, fam == AF_INET ? (const void *)&((struct sockaddr_in *)&me)->sin_addr :
	       (const void *)&((struct sockaddr_in6 *)&me)->sin6_addr, fam == AF_INET ? 4 : 16);
	if (r->probe == PROBE_TCP && fam == AF_INET6) {
		int off = 16;

		setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	}
	if (r->probe == PROBE_TCP)
		s4->sin_port = 0, s6->sin6_port = 0;	/* raw: the port is in our header */
	r->probe_fd = fd;
	return 0;
}

/* ---- the command -------------------------------------------------------------------- */

/* SRC and DST, the path between them and its hops; 0 or an exit status. */
static int plan(struct cmd_ctx *ctx, const struct topo *pt, const struct topo *t,
		struct trace_run *r, size_t *ifcs, size_t *nifcs)
{
	long src, dst;
	int fam_s, fam_d, has_s, has_d, rc;
	uint8_t as[16], ad[16];
	char why[sizeof(r->path.why) * 4], lab[32];

	rc = resolve_end(pt, ctx->argv[0], &src, &fam_s, as, &has_s);
	if (!rc)
		rc = resolve_end(pt, ctx->argv[1], &dst, &fam_d, ad, &has_d);
	if (rc)
		return rc;
	if (!has_d && trace_dst_addr(pt, (size_t)dst, &fam_d, ad, r->path.why, sizeof(r->path.why))) {
		error("trace: %s", text_esc(why, sizeof(why), r->path.why));
		return 2;
	}
	trace_path_compute(pt, (size_t)src, (size_t)dst, fam_d, ad, &r->path);
	r->src_ino = pt->ns[src].ino;
	r->dst_ino = pt->ns[dst].ino;
	copy_str(r->src_label, sizeof(r->src_label), topo_ns_label(pt, (size_t)src, lab, sizeof(lab)));
	copy_str(r->dst_label, sizeof(r->dst_label), topo_ns_label(pt, (size_t)dst, lab, sizeof(lab)));
	if (src == dst) {
		error("trace: SRC and DST are the same namespace");
		return 2;
	}
	if (!r->path.complete)
		warnx("trace: path incomplete: %s", text_esc(why, sizeof(why), r->path.why));
	rc = map_hops(pt, t, r, ifcs, nifcs);
	if (!rc && !*nifcs) {
		error("trace: no hop of the path to capture on");
		rc = 1;
	}
	return rc;
}

static int trace(struct cmd_ctx *ctx)
{
	struct trace_args a = *(const struct trace_args *)ctx->opts;
	struct trace_run *r = xcalloc(1, sizeof(*r));
	struct cap_iface *ci = NULL;
	struct sqlite3 *db = NULL;
	struct runas ra;
	struct outfile of = { .fd = -1, .nonblock = 1 };
	struct capture_row row = { 0 };
	struct capout out = { .fd = -1 };
	struct pm_flow flow = { 0 };
	uid_t invoker = getuid();
	long long scan = 0;
	unsigned long long total = 0;
	size_t ifcs[TRACE_HOPS_MAX], n = 0;
	int rc = 1, use_db = 0, have_out = 0;
	char started[32], *cmdline = NULL, *comments[4] = { NULL }, *ifaces = NULL, *filter,
	     *target = NULL;
	struct timespec wall;
	struct scan_ctx live;
	struct topo t, st, *pt = &t;

	r->probe_fd = -1;
	topo_init(&t);
	topo_init(&st);
	scan_ctx_init(&live, &t);
	filter = join_filter(ctx->argc - 2, ctx->argv + 2);
	a.o.filter = filter;
	if (runas_lookup(a.user, &ra))
		goto out;
	cmdline = command_line(ctx);
	if (scan_run(&t, &live, 1, 1))
		goto out;
	db = db_open(db_path(ctx->db_opt), 1);
	if (!db)
		warnx("the trace will not be recorded");
	else
		scan = ctx->scan ? ctx->scan : db_latest(db);
	use_db = db != NULL;
	if (ctx->scan) {	/* the path from that stored scan, captured on today's interfaces */
		if (!db || db_load(db, ctx->scan, &st))
			goto out;
		pt = &st;
	}
	db_close(db);	/* the capturing child must not inherit it */
	db = NULL;
	rc = plan(ctx, pt, &t, r, ifcs, &n);
	if (rc)
		goto out;
	make_flow(pt, &r->path, &flow);
	pm_init(&r->m, r->nhops, &flow);
	free(flow.src);
	r->want = a.count;
	r->probe = a.probe;
	r->port = a.port;
	r->json = ctx->json;
	ci = make_ifaces(&t, ifcs, n);
	rc = capture_open(&live, ci, &n, &a.o);
	if (rc) {
		rc = rc == -2 ? 2 : 1;
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &wall);	/* the packets' clock */
	r->open_ns = (uint64_t)wall.tv_sec * 1000000000ull + (uint64_t)wall.tv_nsec;
	for (size_t i = 0; i < r->nhops; i++) {	/* a hop that is down was left out */
		size_t k;

		for (k = 0; k < n && (long)ci[k].ifc != r->hops[i].live_ifc; k++)
			;
		if (k == n) {
			r->hops[i].capture = 0;
			r->hops[i].live_ifc = -1;
		}
	}
	rc = 1;
	if (a.probe && open_probe(&live, (size_t)topo_find_ns(&t, 0, r->src_ino), r))
		goto out;
	scan_ctx_release(&live);
	clock_gettime(CLOCK_REALTIME, &wall);
	fmt_iso8601(started, sizeof(started), &wall);
	if (asprintf(&target, "%s -> %s", ctx->argv[0], ctx->argv[1]) < 0)
		die("out of memory");
	make_comments(comments, cmdline, target, scan);
	a.o.comments = (const char *const *)comments;
	a.o.ncomments = 4;
	r->report = stdout;
	if (a.outpath) {
		if (outfile_open(&of, a.outpath))
			goto out;
		have_out = 1;
		a.o.out_fd = of.fd;
		a.o.out_name = a.outpath;
		if (!strcmp(a.outpath, "-"))
			r->report = stderr;
		if (capture_begin_file(ci, n, &a.o, &out))
			goto out;
	}
	a.o.tag = tag_packet;
	a.o.started = trace_started;
	a.o.finished = trace_finished;
	a.o.hook_ctx = r;
	ifaces = iface_list(ci, n);
	row.scan_id = scan;
	row.started = started;
	row.target = target;
	row.interfaces = ifaces;
	row.file = a.outpath;
	who_ran(&row, invoker, &ra);
	rc = run_split(db_path(ctx->db_opt), use_db, &row, ci, n, &a.o, &out, &of, &ra, &total);
out:
	if (have_out)
		rc = finish_output(&of, rc, total);
	if (ci)
		capture_close(ci, n);
	if (r->probe_fd >= 0)
		close(r->probe_fd);
	capout_release(&out);
	pm_release(&r->m);
	free(r);
	free(ci);
	free(ifaces);
	free(target);
	scan_ctx_release(&live);
	topo_release(&t);
	topo_release(&st);
	db_close(db);
	free(filter);
	free(cmdline);
	for (int i = 0; i < 4; i++)
		free(comments[i]);
	return rc;
}

const struct cmd_def trace_def = {
	.run = trace, .init = trace_init,
	.parse = trace_parse, .check = trace_check, .size = sizeof(struct trace_args),
	.options = (const struct cmd_opt[]){
		{ NULL, 'd', 0, "DURATION", "stop after DURATION (10, 10s, 500ms, 2m; default 10s)" },
		{ NULL, 'c', 0, "COUNT", "stop once COUNT packets reached DST (--probe: sends COUNT)" },
		{ NULL, 'w', 0, "FILE", "write the packets to FILE (-: stdout; report to stderr)" },
		{ NULL, 'U', 0, NULL, "with -w, write each packet as it is read" },
		{ NULL, 'Z', 0, "USER", "read packets as USER (default: nobody)" },
		{ "probe", 0, 'P', NULL, "send ICMP echoes from SRC to DST (then tcp:PORT: SYNs)" },
		{ 0 }
	},
};
