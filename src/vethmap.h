/*
 * vethmap.h - the one private header of vethmap.
 *
 * Memory rule: a struct topo owns everything hanging off it (names, addresses, edges);
 * topo_release() frees it all.  Strings passed into topo_* functions are copied.
 * Functions that can fail return 0 or a positive value on success and -1 on error, after
 * printing one line with error(); fatal conditions call die().
 */
#ifndef VETHMAP_H
#define VETHMAP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define VETHMAP_VERSION "0.1.0"
#define DEFAULT_DB "/var/lib/vethmap/vethmap.db"

/* How a namespace was found (bit mask, in this order in output). */
enum {
	VIA_PROC = 1 << 0,	/* /proc/P/ns/net */
	VIA_TASK = 1 << 1,	/* /proc/P/task/T/ns/net */
	VIA_FD = 1 << 2,	/* /proc/P/fd/N -> net:[INODE] */
	VIA_MOUNT = 1 << 3,	/* nsfs bind mount, in any mount namespace (incl. /run/netns) */
	VIA_SELF = 1 << 4,	/* the namespace vethmap runs in */
	VIA_SOCKET = 1 << 5,	/* only a process's socket or tun file (fdprobe.c, run last) */
};
#define VIA_COUNT 6
extern const char *const via_names[VIA_COUNT];

struct strv {
	char **v;
	size_t n, alloc;
};

struct intv {
	int *v;
	size_t n, alloc;
};

/* One nsfs bind mount of a namespace: where, in which mount namespace, seen through whom. */
struct nsmount {
	char *path;		/* mountpoint inside that mount namespace (and its holder's root) */
	uint64_t mntns;		/* inode of the mount namespace; 0 = unknown (old database) */
	int pid;		/* a process of that mount namespace; 0 for the host's */
	int host;		/* in the host's mount namespace: the only names that identify */
};

struct netns {
	uint64_t dev, ino;	/* identity: (st_dev, st_ino) of the nsfs file */
	unsigned via;		/* VIA_* */
	int is_host;
	struct strv names;	/* display names, sorted, unique: host paths, "pid P:PATH" */
	struct nsmount *mounts;	/* where those names come from (same count or fewer) */
	size_t nmounts, mounts_alloc;
	unsigned long names_dropped;	/* names beyond NS_NAMES_MAX / NAMES_MAX, not kept */
	struct intv pids;	/* processes (and threads) found in it, sorted, unique */
	int dump_error;		/* errno-style code when its dump failed, else 0 */
	uint64_t userns;	/* inode of its owning user namespace, 0 = unknown */
	long long owner_uid;	/* uid that made that user namespace; -1: the initial one,
				   or unknown */
	char owner[64];		/* that uid's user name, "" when it has none */
	signed char fwd4, fwd6;	/* forwards IPv4 / IPv6 ("all"): 1, 0, -1 unknown */
	size_t host;		/* a cluster's (topo.nhosts > 0): index into topo.hosts */
};

/* A route of a namespace's main table (nl.c; IPv6 link-local prefixes left out). */
#define ROUTE_NH_MAX 8
struct route {
	size_t ns;		/* index into topo.ns */
	size_t seq;		/* its place in the dump: routes stay in dump order */
	int family;		/* AF_INET or AF_INET6 */
	char dst[64];		/* "default" or "10.1.0.0/24" */
	char type[16];		/* unicast, blackhole, unreachable, prohibit, throw, ... */
	unsigned metric;
	size_t nnh;		/* next hops kept (at most ROUTE_NH_MAX) */
	struct {
		char gw[48];	/* "" for a directly connected route */
		int oif;	/* ifindex in the same namespace, 0 = none */
	} nh[ROUTE_NH_MAX];
};

struct addr {
	int family;		/* AF_INET or AF_INET6 */
	int prefixlen;
	char text[64];		/* "10.1.0.1/24" */
};

#define IFNAME_MAX 64		/* kernel allows 15 bytes; headroom for hostile dumps */
#define IFNAMSIZ_ 16		/* the kernel's IFNAMSIZ, with its NUL */
#define KIND_MAX 32

/*
 * The IFF_* flags vethmap reads, as the kernel's uapi numbers them (<net/if.h> and
 * <linux/if.h> cannot both be included next to libnl's headers).
 */
#define IFF_UP_ 0x1u
#define IFF_LOOPBACK_ 0x8u
#define IFF_PROMISC_ 0x100u

/*
 * What the kernel says of a tunnel device, for pairing it with its other end on another
 * host: never by name, by these.  Empty strings and -1/0 where the kernel did not say.
 */
#define TUN_FDB_MAX 64		/* remote VTEPs kept per vxlan device */
struct tunnel {
	int set;		/* a tunnel kind the scan reads */
	long long id;		/* VNI (vxlan, geneve) or GRE input key; -1 = none */
	long long okey;		/* GRE output key; -1 = none */
	char local[48], remote[48];	/* addresses; remote: vxlan's group or peer */
	unsigned port;		/* UDP destination port (vxlan, geneve), 0 = none */
	char *fdb;		/* vxlan: remote VTEPs in its bridge FDB, space-separated, sorted,
				   unique (NULL: none) */
	unsigned nfdb;
	/* wireguard (wg.c): port is its listen port */
	char pubkey[48];	/* its public key, base64; "" = not read */
	char *peers;		/* "KEY@ENDPOINT" space-separated (ENDPOINT "" when none), in
				   the kernel's order; NULL: none */
	unsigned npeers;
	unsigned long peers_dropped;	/* beyond WG_PEERS_MAX */
};
#define WG_PEERS_MAX 1024

struct iface {
	size_t ns;		/* index into topo.ns */
	int ifindex;
	char name[IFNAME_MAX];
	char kind[KIND_MAX];	/* veth, bridge, macvlan, tap, device, ... */
	char slave_kind[KIND_MAX];	/* "bridge" for bridge ports, "" when none */
	char mac[32];
	unsigned mtu;
	unsigned flags;		/* IFF_* */
	unsigned promiscuity;
	char oper[16];		/* up, down, unknown, lowerlayerdown, ... */
	int master;		/* ifindex in the same netns, 0 = none */
	int hairpin;		/* bridge port in hairpin mode */
	int link;		/* IFLA_LINK, 0 = none */
	int has_link_netnsid;
	int link_netnsid;	/* in the owner's nsid table */
	int vxlan_link;		/* IFLA_VXLAN_LINK for vxlan, 0 = none */
	struct tunnel tun;	/* a tunnel device's endpoints (vxlan, geneve, gre, ...) */
	struct addr *addrs;
	size_t naddrs;
	/* filled by topo_build() */
	long peer;		/* index into topo.ifs of the veth peer, -1 = none */
};

enum edge_type { EDGE_VETH, EDGE_BRIDGE, EDGE_MASTER, EDGE_LOWER };
extern const char *const edge_type_names[];

struct edge {
	enum edge_type type;
	size_t a, b;		/* indices into topo.ifs: port/upper -> bridge/parent */
};

struct unresolved {
	size_t ifc;		/* index into topo.ifs */
	char reason[160];
};

/*
 * A cluster (vethmap merge): the hosts whose snapshots one topo holds, and the tunnels
 * joined across them (xpair.c).  A host is its machine-id and name: two hosts of one name
 * and different machine-ids are two.
 */
#define MACHINE_ID_MAX 33	/* 32 hex digits and the NUL */
struct host {
	char name[256];
	char machine_id[MACHINE_ID_MAX];	/* "" when the host has none */
	char label[300];	/* as printed: the name, with "@" and 8 digits of the
				   machine-id when another host of the cluster has the name */
	long long scan_id;	/* its snapshot in the cluster database, 0 = not stored */
	char started[32];
};
struct xedge {			/* a tunnel joined across two hosts */
	char kind[KIND_MAX];	/* vxlan, geneve, gre, ipip, ... */
	size_t a, b;		/* indices into topo.ifs, a < b */
};

/* A container that lives in a namespace (engines.c). */
struct container {
	char engine[16];	/* docker, podman, containerd, cri-o, lxc, nspawn */
	char id[72];		/* full id (lxc, nspawn: the name) */
	char name[128];
	char image[256];
	char pod[128];		/* Kubernetes pod name, or podman pod */
	char pod_ns[128];	/* Kubernetes namespace */
	char compose[128];	/* docker compose project */
	char netmode[160];	/* engine's network mode: bridge, host, none, container:ID */
	char cns[64];		/* containerd namespace */
	char node[160];		/* a nested engine's: the container it runs in ("engine:name"),
				   or "pid:N" (N: host PID of its PID namespace's init); "" = none */
	int node_pid;		/* while naming: host PID of that init, 0 = not nested */
	uint64_t src_mntns;	/* while naming: the mount namespace of the nested daemon whose
				   API listed it (its PID then comes from its shim), 0 = none */
	int pid;		/* main process, 0 = unknown */
	long ns;		/* index into topo.ns, -1 = unknown */
	int sandbox;		/* pod sandbox, or the container whose netns others join */
	int host_net;		/* lives in the host's namespace */
	int verified;		/* named by its engine or a root-owned cgroup at the engine's
				   place; 0: a cgroup name anyone could have chosen (never a
				   capture target, never names its namespace) */
	long owner_uid;		/* a user's engine (rootless Podman) named it: that user; -1
				   for the system's engines */
	char owner[64];		/* that user's name ("" when none) */
};

/*
 * A process holding a tun/tap file (fdprobe.c): the other end of that device.  Placed by
 * the kernel's own words (TUNGETDEVNETNS, TUNGETIFF, SIOCGIFINDEX there), never by name:
 * netns 0 or ifindex 0 is a holder that could not be placed, and reason says why.
 */
struct tap_holder {
	uint64_t netns;		/* inode of the device's namespace, 0 = unknown */
	int ifindex;		/* in that namespace, 0 = unknown */
	char ifname[IFNAME_MAX];
	int tap;		/* IFF_TAP (else tun) */
	int pid;
	char comm[32];		/* as the process set it: hostile text */
	uint64_t holder_netns;	/* inode of the holder's own namespace, 0 = unknown */
	char reason[128];	/* "" when placed */
};

/*
 * A container's optional text fields, in the order every output gives them: the JSON key
 * (also the database column; '_' is '-' in the XML report), where it is, how big.
 */
struct ctr_field {
	const char *key;
	size_t off, size;
};
#define CTR_FIELDS 6
extern const struct ctr_field ctr_fields[CTR_FIELDS];
static inline const char *ctr_field(const struct container *c, size_t k)
{
	return (const char *)c + ctr_fields[k].off;
}
void ctr_field_set(struct container *c, size_t k, const char *v);

/*
 * nsid lookup used by pairing: the nsid that namespace `observer` gives namespace
 * `target`, or -1 when it has none.  Scanning asks the kernel (RTM_GETNSID); unit tests
 * answer from a recorded table.
 */
typedef int (*nsid_fn)(void *ctx, size_t observer, size_t target);
/*
 * The same questions asked many at once (the kernel's answers to a batch come at once:
 * fewer system calls): q[k].nsid is set to what q[k].observer gives q[k].target, -1 for
 * none.  The answers are those nsid_fn would give, one by one.
 */
struct nsid_q {
	size_t observer, target;
	int nsid;
};
typedef void (*nsid_batch_fn)(void *ctx, struct nsid_q *q, size_t n);

struct topo {
	struct netns *ns;
	size_t nns, nns_alloc;
	struct iface *ifs;
	size_t nifs, nifs_alloc;
	struct edge *edges;
	size_t nedges, nedges_alloc;
	struct unresolved *unres;
	size_t nunres, nunres_alloc;
	struct route *routes;	/* by namespace, in dump order within each */
	size_t nroutes, nroutes_alloc;
	struct container *ctrs;
	size_t nctrs, nctrs_alloc;
	void *ctr_index;	/* engines.c, while naming: ctrs by (engine, id) */
	struct tap_holder *taps;	/* tun/tap holders (fdprobe.c), placed or not */
	size_t ntaps, ntaps_alloc;
	/* scan metadata */
	int deep;		/* asked with scan --deep: every process's sockets (not stored) */
	long long scan_id;	/* 0 = not stored */
	long long same_as;	/* loaded: stored as unchanged, its rows are this one's; else 0 */
	char host[256];
	char machine_id[MACHINE_ID_MAX];	/* /etc/machine-id, "" when none */
	/* a cluster (vethmap merge): its hosts, each namespace's in netns.host */
	struct host *hosts;
	size_t nhosts, nhosts_alloc;
	struct xedge *xedges;
	size_t nxedges, nxedges_alloc;
	long long collection;	/* loaded from a cluster database: its collection id */
	char started[32];	/* ISO-8601 UTC */
	double duration_ms;
	/* completeness (netns.c): a scan that could not hold everything it saw says so */
	unsigned long missed;		/* namespaces seen but not held */
	char incomplete_reason[160];	/* "" = complete */
	unsigned long names_dropped;	/* names beyond the bounds, all namespaces */
	unsigned long mount_lines_dropped;	/* mountinfo lines beyond MOUNTINFO_LINES_MAX */
	unsigned long mounts_skipped;	/* nsfs mounts below network/user filesystems */
	unsigned long lookup_timeouts;	/* mount namespaces whose lookups hit the deadline */
};
#define NS_NAMES_MAX 64		/* names kept per namespace */
#define NAMES_MAX 4096		/* names kept per scan */
#define MOUNTINFO_LINES_MAX 10000	/* lines read per mount namespace */
#define LOOKUP_TIMEOUT_MS 1000	/* lookups in one mount namespace */
#define LOOKUP_BUDGET_MS 4000	/* lookups in all mount namespaces */

/* util.c */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_hold(FILE *f);	/* this thread's messages into f instead of stderr; NULL: again */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* BUG(): a broken invariant of ours, never bad input; names the place and aborts */
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
extern int verbosity;
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
void *grow(void *p, size_t *alloc, size_t need, size_t size);
/*
 * qsort() and qsort_r() of n elements, nothing done below two: glibc declares base
 * nonnull, and an empty array here is often NULL (UBSan's nonnull-attribute check:
 * audit.c passed NULL, 0 during a churn).
 */
void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void sort_r_n(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *, void *), void *ctx);
void strv_add(struct strv *sv, const char *s);
void strv_sort_unique(struct strv *sv);
void strv_release(struct strv *sv);
void intv_add(struct intv *iv, int x);
void intv_sort_unique(struct intv *iv);
void intv_release(struct intv *iv);
void copy_str(char *dst, size_t size, const char *src);
uint64_t mix64(uint64_t x);
int utf8_seq_len(const unsigned char *s, unsigned *cp);
char *dir_of(char *buf, size_t size, const char *path);
size_t *index_sorted(size_t n, int (*cmp)(const void *, const void *, void *),
		     const void *ctx);
int write_full(int fd, const void *buf, size_t n, int (*wait)(int fd));
void fmt_iso8601(char *buf, size_t size, const struct timespec *ts);
double ts_diff_ms(const struct timespec *a, const struct timespec *b);
double parse_duration(const char *s);	/* seconds, -1 if malformed */
long long parse_iso8601(const char *s);	/* fmt_iso8601's text -> time_t, -1 if not */
int parse_time(const char *s, char *iso, size_t size);
int finish_stdout(void);
int has_cap(int cap);
int need_cap(const char *what, int cap, const char *why);
const char *text_esc(char *buf, size_t size, const char *s);
int decode_mount_escapes(char *s);
ssize_t read_proc(const char *path, char *buf, size_t size);

/* topo.c: pure pairing and edge building, no I/O */
void topo_init(struct topo *t);
void topo_release(struct topo *t);
size_t topo_add_ns(struct topo *t, uint64_t dev, uint64_t ino);
long topo_find_ns(const struct topo *t, uint64_t dev, uint64_t ino);
struct iface *topo_add_iface(struct topo *t, size_t ns);
void iface_add_addr(struct iface *ifc, int family, int prefixlen, const char *text);
void words_append(char **list, unsigned *n, const char *word);
long topo_find_iface(const struct topo *t, size_t ns, int ifindex);
long topo_find_ifname(const struct topo *t, size_t ns, const char *name);
void topo_sort(struct topo *t);
size_t *topo_sort_ns(struct topo *t);
struct route *topo_add_route(struct topo *t, size_t ns);
void topo_sort_routes(struct topo *t);
const struct route *topo_routes_of(const struct topo *t, size_t ns, size_t *n);
void topo_sort_ifaces(struct topo *t);
void topo_build(struct topo *t, nsid_fn nsid, void *ctx);
void topo_build_batched(struct topo *t, nsid_fn nsid, nsid_batch_fn batch, void *ctx);
void topo_add_edge(struct topo *t, enum edge_type type, size_t a, size_t b);
void topo_add_unresolved(struct topo *t, size_t ifc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *topo_ns_label(const struct topo *t, size_t ns, char *buf, size_t size);
struct tap_holder *topo_add_tap(struct topo *t);
long topo_tap_iface(const struct topo *t, const struct tap_holder *h);
void topo_ns_labels(const struct topo *t, const char **label, char (*buf)[32]);
void topo_ns_containers(const struct topo *t, const char **ctr);
/* containers (engines.c fills them in; an index by (engine, id) while it does) */
struct container *topo_add_container(struct topo *t, const char *engine, const char *id);
struct container *topo_find_container(struct topo *t, const char *engine, const char *id);
struct container *topo_find_ctr(struct topo *t, const char *engine, const char *id,
				int verified);
void topo_index_containers(struct topo *t, uint64_t seed);
void topo_unindex_containers(struct topo *t);
int container_text_ok(const char *s);
const char *ctr_pod_label(const struct container *c, char *buf, size_t size);
const char *topo_ns_container(const struct topo *t, size_t ns);
const char *topo_via_text(unsigned via, const char *sep, char *buf, size_t size);
long topo_master(const struct topo *t, size_t i);
char *iface_addrs_text(const struct iface *x, const char *sep);
void topo_edge_ids(const struct topo *t, size_t *edge_of);
static inline int iface_up(const struct iface *x) { return !!(x->flags & IFF_UP_); }
int iface_promisc(const struct iface *x);
int iface_is_loopback(const struct iface *x);

/* xpair.c: a cluster's topo made of hosts' snapshots, and its tunnels paired (pure) */
size_t topo_add_host(struct topo *t, const char *name, const char *machine_id);
void topo_append(struct topo *dst, struct topo *src, size_t host);
void xpair_tunnels(struct topo *t);
int xpair_point_at(const struct iface *a, const struct iface *b);
void topo_host_labels(struct topo *t);
long topo_host_pick(const struct topo *t, const char *name);
const char *topo_host_of(const struct topo *t, size_t ns);
const char *topo_end_label(const struct topo *t, size_t ifc, char *buf, size_t size);
int machine_id_ok(const char *s);
unsigned tunnel_overhead(const char *kind, int v6);

/* mountinfo.c: pure rules for mount tables read from others; netns.c applies them */
struct mnt_entry {
	const char *mountpoint;	/* unescaped */
	const char *fstype;
	uint64_t net_ino;	/* nsfs "net:[N]" root: N, else 0 */
};
int mountinfo_parse(char *line, struct mnt_entry *e);
int fstype_unsafe(const char *fstype);
int path_below(const char *mountpoint, const char *path);
const char *mount_unsafe_parent(const struct strv *unsafe, const char *path);
char *ns_name_make(const char *path, int host, int pid);
int ns_name_is_host(const char *name);
int topo_incomplete(const struct topo *t);
void ns_add_mount(struct topo *t, size_t ns, const char *path, uint64_t mntns, int pid,
		  int host);

/* nslookup.c: nsfs files looked up inside another process's root, under a deadline */
struct ns_lookup {
	int pid;			/* whose root */
	char *const *paths;		/* mountpoints, as its mount table names them */
	const uint64_t *inos;		/* the nsfs inode each must have */
	size_t n;
	dev_t nsfs_dev;
	int *fds;			/* out: file, -1 none, -2 lost (descriptors), -3 abandoned,
					   -4 given to got */
	void (*got)(void *ctx, size_t i, int fd);	/* each file as it comes, or NULL */
	void *ctx;
	long *budget_ms;		/* in/out: time left for all lookups of the scan */
	unsigned long timeouts;		/* out: lookups abandoned */
	int err;			/* out: errno when a child could not be started */
};
void ns_lookup(struct ns_lookup *l);

/*
 * The live side of a scan (scan.c): what it holds open while it runs, kept out of the
 * data model.  fd[i] and nl[i] belong to namespace i of the scan's topo (indices follow
 * topo_sort_ns()); a topo loaded from the database has no scan_ctx at all.
 */
struct scan_ctx {
	struct topo *t;
	int *fd;		/* nsfs fd held for the whole scan, or -1 */
	int *nl;		/* raw rtnetlink socket created inside, or -1 */
	int *host_nsid;		/* its nsid for the host's namespace, asked with its dump; -1 */
	int *from_host;		/* the host's nsid for it, asked with its dump; -1 */
	size_t alloc;
	char *buf;		/* netlink dumps are read into this (nl.c) */
	size_t buf_cap;
	int self_fd;		/* our own netns, to come back to; -1 until needed */
	uint32_t seq;		/* netlink sequence numbers of our own requests */
	unsigned long nsid_asked;	/* RTM_GETNSID questions sent (for -vv) */
};
void scan_ctx_init(struct scan_ctx *c, struct topo *t);
void scan_ctx_set_fd(struct scan_ctx *c, size_t ns, int fd);
void scan_ctx_reorder(struct scan_ctx *c, const size_t *order, size_t n);
void scan_ctx_release(struct scan_ctx *c);	/* closes everything it holds */

/* netns.c: discovery and entering */
void netns_fd_room(void);
int netns_discover(struct scan_ctx *c);
int netns_enter(struct scan_ctx *c, size_t ns, int *saved);
void netns_return(int saved);
void netns_close_all(struct scan_ctx *c);

/*
 * fdprobe.c: the deep pass over other processes' descriptors (sockets: the namespace they
 * were made in; tun files: the device they hold), and whose each namespace is.
 */
#define DEEP_SOCKETS_MAX 65536	/* sockets probed per scan; more are counted, not probed */
#define DEEP_TUNS_MAX 4096	/* tun files probed per scan */
#define DEEP_BUDGET_MS 1000	/* for all the probes of a scan */
struct fdprobe;
typedef long (*fdprobe_got_fn)(void *ctx, int nsfd);	/* takes nsfd: index or -1 */
struct fdprobe *fdprobe_new(int sockets);
int fdprobe_wants(const struct fdprobe *fp, unsigned mode, unsigned rdev_major,
		  unsigned rdev_minor);
void fdprobe_note(struct fdprobe *fp, int pid, int fd, uint64_t ino, int sock);
struct scan_ctx;
void fdprobe_run(struct fdprobe *fp, struct scan_ctx *c, fdprobe_got_fn got, void *ctx);
void fdprobe_free(struct fdprobe *fp);
void fdprobe_owners(struct scan_ctx *c);
int fdinfo_iff(const char *text, char *name, size_t size);
int cgroup_has_netcls(const char *text);

/* wg.c: WireGuard's generic netlink answers, parsed (no I/O) */
int wg_parse(const void *buf, size_t n, uint32_t seq, struct tunnel *u, int *done);
int genl_family_parse(const void *buf, size_t n, uint32_t seq, int *family);

/* nl.c: netlink dumps */
int nl_dump_ns(struct scan_ctx *c, size_t ns, int want_addrs);
void nl_close_all(struct scan_ctx *c);
/* nl_nsid.c: nsid queries */
int nl_nsid(void *ctx, size_t observer, size_t target);	/* ctx: struct scan_ctx */
void nl_nsid_batch(void *ctx, struct nsid_q *q, size_t n);	/* the same, many at once */
int nl_nsid_watch(void);	/* our namespace's nsid table, heard: a socket, or -1 */
int nl_nsid_freed(int fd);	/* an nsid of it freed since (or cannot tell): 1 */
int nsid_parse_reply(const void *buf, size_t n, uint32_t seq, int *id);
int nsid_parse_reply_cur(const void *buf, size_t n, uint32_t seq, int *id, int *current);

/* cgroup.c: the container a /proc/PID/cgroup file names */
struct cgroup_match {
	const char *engine;	/* static: docker, podman, cri-o, containerd, lxc, nspawn */
	char id[72];		/* container id (lxc, nspawn: the name) */
	int placed;		/* where its engine puts containers (else: anywhere deeper) */
	char hier[64];		/* the line's controllers field: "" for the unified hierarchy */
	char dir[1024];		/* the cgroup path down to the matching component */
};
int cgroup_path_parse(const char *path, struct cgroup_match *m);
int cgroup_file_parse(const char *text, struct cgroup_match *m);

/* http.c: HTTP/1.0 GET over unix sockets, all requests under one deadline */
struct http_req {
	const char *engine;	/* for messages */
	char sock[256];		/* unix socket path */
	char path[256];		/* request path */
	int fd;
	char out[512];
	size_t outlen, sent;
	char *buf;		/* whole answer, NUL-terminated */
	size_t len, cap;
	int done, status;
	char *body;		/* into buf */
	size_t body_len;
	const char *err;	/* static text when failed */
	int peer_check;		/* the server must run as peer_uid (SO_PEERCRED) */
	uid_t peer_uid;
	int peer_pid;		/* with peer_check, and be this process (0: any) */
	const char *shown;	/* the socket's name for messages (NULL: sock) */
	size_t max_answer;	/* bytes; 0: 16 MiB */
};
void http_run(struct http_req *reqs, size_t n, int timeout_ms);
long long http_now_ms(void);	/* CLOCK_MONOTONIC, in ms: for deadlines */
void http_release(struct http_req *r);
void http_parse_answer(struct http_req *r);

/* http.c: a GET whose answer is a stream of lines (Docker's /events), each line a wake-up */
#define HTTP_STREAM_HEAD 8192		/* largest status line and headers */
#define HTTP_STREAM_LINE (256u << 10)	/* longest line of the body */
struct http_stream {
	int fd;			/* -1: closed */
	int state;		/* where http_stream_feed is: headers, body, chunk size, data, end */
	char head[HTTP_STREAM_HEAD];
	size_t hlen;
	int status;		/* of the answer, once its headers came */
	size_t line;		/* bytes of the body's current line so far */
	size_t chunk_left;	/* chunked: bytes of the current chunk still to come */
	size_t csize_len;	/* chunked: hex digits of the chunk-size line so far */
	int csize_ext;		/* chunked: in that line's extension (skipped) */
	unsigned long long lines;	/* in all */
};
void http_stream_init(struct http_stream *s);
int http_stream_open(struct http_stream *s, const char *sock, const char *path, uid_t peer_uid,
		     const char **err);
long http_stream_feed(struct http_stream *s, const char *buf, size_t n, const char **err);
long http_stream_read(struct http_stream *s, const char **err);
void http_stream_close(struct http_stream *s);

/* engines.c: name the containers of every namespace */
#define ENGINE_TIMEOUT_MS 2000
#define ENGINE_MAX_CONTAINERS 16384	/* per engine; more are dropped, with their count */
#define ENGINE_JSON_MAX (32u << 20)	/* largest JSON text read from an engine (SQLite's limit) */
int engines_scan(struct topo *t);
void container_reclaim(struct container *c);

/* engine_api.c: Docker and Podman over their HTTP APIs; engine_state.c: on-disk state */
struct sqlite3;
struct engine_procs;
int engine_api_scan(struct topo *t, struct sqlite3 *jdb, const struct engine_procs *ep);
int engine_docker_socket(char *out, size_t size);
int engine_take_list(struct topo *t, struct sqlite3 *jdb, const char *engine, const char *body,
		     size_t len, long long deadline_ms);
void engine_json_text(struct sqlite3 *jdb, const char *doc, size_t len, const char *path,
		      char *out, size_t size);
int engine_containerd_scan(struct topo *t, struct sqlite3 *jdb);
struct container *engine_containerd_task(struct topo *t, struct sqlite3 *jdb, const char *cns,
					 const char *id, int pid, const char *config, size_t len);
/* engine_find.c: engines found by their processes (containerd shims, nested engines) */
struct engine_procs {		/* engine processes by their program, found in one /proc walk */
	struct intv shims;	/* containerd-shim* */
	struct intv monitors;	/* conmon (pid), lxc-start (-pid) */
	struct intv dockerds;
	size_t dropped;		/* beyond the bound, of any kind */
};
void engine_procs_find(struct engine_procs *ep);
void engine_procs_release(struct engine_procs *ep);
int engine_shims_scan(struct topo *t, struct sqlite3 *jdb, const struct engine_procs *ep);
void engine_monitors_scan(struct topo *t, const struct engine_procs *ep);
struct engine_daemon {
	int pid;		/* a dockerd in a mount namespace not ours */
	int fd;			/* O_PATH of its API socket */
	uint64_t mntns;
	char shown[96];		/* /proc/PID/root/var/run/docker.sock */
};
#define ENGINE_DAEMONS_MAX 16
size_t engine_daemons_find(const struct engine_procs *ep, struct engine_daemon *d, size_t max);
int conmon_cmdline_parse(const char *buf, size_t len, char *id, size_t idsize, char *name,
			 size_t namesize, const char **engine);
int lxc_monitor_parse(const char *buf, size_t len, char *name, size_t size);
void engine_nodes(struct topo *t);
char *read_small_fd(int fd, size_t max, size_t *len);
int ppid_of(int pid);
int engine_podman_disk_scan(struct topo *t, struct sqlite3 *jdb);
int pid_from_file(const char *path);
char *read_small_file(const char *path, size_t max, size_t *len);
char *read_small_fd(int fd, size_t max, size_t *len);
/* engine_podman.c: rootless Podman, every user's (socket, or storage in their home) */
int engine_podman_users_scan(struct topo *t, struct sqlite3 *jdb);
struct storage_conf {
	char driver[32], graphroot[512], runroot[512];	/* "" = not set */
};
int storage_conf_parse(const char *text, struct storage_conf *sc);

/*
 * pcapng.c: capture files written block by block with write(2), so a file always ends on
 * a whole block (a failed write is truncated back).  pcapng (several interfaces, each with
 * its own link type and name) or classic pcap (one interface), nanosecond timestamps.
 */
enum capfmt { CAP_PCAPNG, CAP_PCAP };
struct capout {
	int fd;
	enum capfmt fmt;
	int is_file;		/* a regular file: truncate back on a failed write */
	unsigned long long good;	/* bytes of whole blocks written */
	unsigned nifaces;
	int linktype;		/* classic pcap: the file's one link type */
	int failed;		/* errno of the failed write, 0 while all is well */
	int (*wait)(struct capout *o);	/* output full: 0 to try again, -1 (errno) to give up */
	unsigned long long packets;	/* packet blocks written whole */
	unsigned long long *ipackets;	/* the same per interface id */
	uint8_t *buf;			/* packet blocks not yet written (capout_buffer) */
	size_t blen, bsize;
};
int capout_begin(struct capout *o, int fd, enum capfmt fmt, const char *const *comments,
		 size_t ncomments, int pcap_linktype, int pcap_snaplen);
int capout_add_iface(struct capout *o, int linktype, int snaplen, const char *name,
		     const char *desc);
int capout_packet(struct capout *o, unsigned iface, uint64_t ts_ns, const uint8_t *data,
		  uint32_t caplen, uint32_t len);
int capout_packet_tagged(struct capout *o, unsigned iface, uint64_t ts_ns, const uint8_t *data,
			 uint32_t caplen, uint32_t len, uint64_t id, const char *comment);
int capout_buffer(struct capout *o, size_t size);
int capout_flush(struct capout *o);
unsigned long long capout_bytes(const struct capout *o);
void capout_release(struct capout *o);
const char *pcapng_str(char *dst, size_t size, const char *src);

/*
 * outfile.c: every -o/-w target: "-" is stdout, a FIFO or character device is written in
 * place (O_NONBLOCK, never created or truncated), a regular file through a new file beside
 * it renamed over it at the end; symlinks, other users' files and hard links are refused.
 */
enum { OUT_STDOUT, OUT_NEW, OUT_REPLACE, OUT_INPLACE, OUT_REFUSE };
struct stat;
struct outfile {
	const char *path;	/* as given, for messages */
	int fd, kind;		/* OUT_* */
	int nonblock;		/* in: keep the descriptor non-blocking (cap) */
	char *tmp;		/* the new file beside path until renamed or removed */
	int restore_fl;		/* fd 1's flags + 1, to give back */
};
int outfile_decide(const struct stat *st, uid_t euid, uid_t ruid, const char **why);
int outfile_open(struct outfile *of, const char *path);
int outfile_write(struct outfile *of, const void *buf, size_t n);
int outfile_close(struct outfile *of);
int outfile_commit(struct outfile *of);
void outfile_abort(struct outfile *of);
int outfile_put(const char *path, const void *data, size_t len);

/* pktline.c: one line of text for a packet, tcpdump-like, for the link types captured */
void pkt_describe(char *buf, size_t size, int linktype, const uint8_t *data, uint32_t caplen,
		  uint32_t len);

/* target.c: what `vethmap cap TARGET` names */
struct target {
	long ns, ifc;	/* ifc -1: the whole namespace */
	char what[300];
};
struct target_set {
	struct target v[16];
	size_t n;
};
void target_match(const struct topo *t, const char *spec, struct target_set *m);
int target_explain(const struct topo *t, const char *spec, const struct target_set *m);
int target_one(const struct topo *t, const char *spec, struct target *out);
int target_one_on(const struct topo *t, const char *spec, long host, struct target *out);
void target_words(const struct topo *t, const char *prefix,
		  void (*fn)(void *arg, const char *word), void *arg);

/* capture.c: bounded libpcap capture on several interfaces in several namespaces */
struct cap_iface;
struct cap_opts {
	double duration_s;		/* 0 = none */
	unsigned long long count;	/* 0 = none */
	unsigned long long max_bytes;	/* 0 = none */
	int snaplen, promisc;
	int buffer_kib;			/* the kernel's capture buffer (-B), KiB */
	int packet_buffered;		/* -U: each packet written at once */
	int buffer_ms;			/* the kernel hands packets over a block at a time
					   (TPACKET_V3), a block at the latest buffer_ms
					   after it began; 0: immediate mode, 1 ms */
	const char *filter;		/* NULL = everything */
	int out_fd;			/* -1: one line per packet on text_fd */
	int text_fd;			/* standard output, maybe reopened non-blocking */
	const char *out_name;		/* for messages: the -w path ("-" for stdout) */
	enum capfmt fmt;
	const char *const *comments;
	size_t ncomments;
	/*
	 * A command that reads the packets itself (trace) hooks in here; all NULL for cap.
	 * tag: each packet, in the capturing process, before it is written: its id and
	 * comment for the file (id 0: none), and 1 to end the capture once every handle's
	 * packets at hand are read (a drain, then the end).  With a tag
	 * hook and no file, no packet lines are printed.  started: in the capturing process
	 * once privileges are dropped, before the first packet; finished: after the capture,
	 * before its totals go to the parent, given capture_run's result and returning the
	 * capture's (-1: failed).
	 */
	int (*tag)(void *ctx, const struct cap_iface *ci, uint64_t ts_ns, const uint8_t *data,
		   uint32_t caplen, uint64_t *id, const char **comment);
	void (*started)(void *ctx);
	int (*finished)(void *ctx, int rc);
	void *hook_ctx;
};
struct cap_iface {
	size_t ifc;			/* index into topo.ifs */
	char label[PATH_MAX + 80];	/* NETNS:IFNAME as UTF-8, the pcapng if_name */
	char desc[520];			/* container name as UTF-8, the if_description */
	void *pcap;			/* pcap_t * */
	int linktype, out_id, done;
	unsigned long long captured;
	unsigned recv, drop;
};
int capture_open(struct scan_ctx *live, struct cap_iface *ci, size_t *n,
		 const struct cap_opts *o);
int capture_begin_file(struct cap_iface *ci, size_t n, const struct cap_opts *o,
		       struct capout *out);
int capture_run(struct cap_iface *ci, size_t n, const struct cap_opts *o, struct capout *out,
		unsigned long long *total, double *elapsed_ms);
void capture_close(struct cap_iface *ci, size_t n);
struct runas {			/* who the capturing process becomes */
	int change;		/* setuid to uid, groups of name */
	int keep;		/* -Z root: keep every privilege */
	uid_t uid;
	gid_t gid;
	char name[256];
};
int runas_lookup(const char *user, struct runas *ra);
int drop_privileges(const struct runas *ra);

/*
 * diff.c: what changed between two snapshots.  An object is named the same way in both:
 * a namespace by its containers or bind-mount names when it has them (so a container
 * that restarted in a new namespace is the same object with a new inode), else by inode;
 * an interface by its namespace's name and its own; an edge by its two ends.
 */
struct change {
	char op;		/* '+' added, '-' removed, '~' changed */
	char kind[16];		/* netns, container, interface, edge */
	char *object;		/* what, e.g. "web:eth0" or "veth host:vethab <-> web:eth0" */
	char *detail;		/* for '~': "mtu 1500 -> 9000"; may be empty */
	/* the same change taken apart (vethmap watch --json): */
	long a, b;		/* the object in the old / the new snapshot: index into its
				   kind's array (ns, ctrs, ifs, edges); -1 where it is not */
	const char *field;	/* for '~': "mtu", "addrs", ... (static); NULL: see detail */
	char *before, *after;	/* with field: its two values as text */
};
struct changes {
	struct change *v;
	size_t n, alloc;
};
void diff_topos(const struct topo *a, const struct topo *b, struct changes *out);
void changes_release(struct changes *c);
struct change *changes_add(struct changes *out, char op, const char *kind, const char *object,
			   const char *detail);

/*
 * audit.c: the audit rules over one snapshot, for 'vethmap report'.  Each finding has a
 * stable rule id (documented in the README), a severity, the objects it concerns, a
 * one-line message and the evidence (attribute=value strings that triggered it).
 */
enum severity { SEV_INFO, SEV_WARNING, SEV_ERROR };
extern const char *const severity_names[];
struct finding {
	const char *rule;	/* static: "veth-peer-unresolved", ... */
	enum severity sev;
	char message[256];
	struct strv objects;	/* "NETNS:IFNAME", "netns:INODE", "container:NAME" */
	struct strv evidence;	/* "mtu=1500", ... */
};
struct findings {
	struct finding *v;
	size_t n, alloc;
};
void audit_run(const struct topo *t, struct findings *out);
void findings_release(struct findings *f);


/* scan.c: one whole scan */
int scan_run(struct topo *t, struct scan_ctx *keep, int want_addrs, int want_containers);
int scan_need_caps(const char *what);

/* db.c */
struct sqlite3 *db_open(const char *path, int writable);
void db_close(struct sqlite3 *db);
long long db_store(struct sqlite3 *db, struct topo *t);
int db_load(struct sqlite3 *db, long long scan_id, struct topo *t);
long long db_latest(struct sqlite3 *db);
int db_last_scans(struct sqlite3 *db, long long *ids, int n);
long long db_scan_before(struct sqlite3 *db, long long id);
long long db_scan_at(struct sqlite3 *db, const char *iso);
struct scan_info {		/* one row of the scan table */
	long long id;
	char started[32], host[256];
	double duration_ms;
	long long n_netns, n_ifaces, n_edges, n_unresolved;
	int incomplete;		/* could not hold everything it saw (schema 2) */
	long long missed;	/* namespaces seen but not held */
	long long same_as;	/* stored as unchanged: the snapshot holding its rows, else 0 */
};
int db_scans(struct sqlite3 *db, struct scan_info **out, size_t *n);

/* retain.c: which stored snapshots 'prune' deletes (pure) */
struct retain {
	long long keep;		/* --keep N: the newest N stay; -1: not given */
	double older_s;		/* --older-than: only those older than this go; -1: not given */
	int captures;		/* --captures: the audit rows of their captures go too */
};
void retain_init(struct retain *r);
int retain_given(const struct retain *r);
size_t retain_select(const struct scan_info *v, size_t n, const struct retain *r,
		     long long now, unsigned char *doom, size_t *bases);

/*
 * What 'vethmap watch' compacts its history to (retain.c chooses, db_prune.c deletes):
 * snapshots and events older than keep_s go, but the newest snapshot before that stays
 * as the base; the snapshots of watch's batches (those with events) older than thin_s go,
 * but the first of each thin_s-long period (a checkpoint); their events stay.
 */
struct compact {
	double keep_s;		/* <= 0: keep everything */
	double thin_s;		/* <= 0: no thinning */
};
size_t compact_select(const struct scan_info *v, size_t n, const unsigned char *batch,
		      const struct compact *c, long long now, unsigned char *doom);

/* db_prune.c: delete what retain_select chose, in one transaction, and give the space back */
struct prune_result {
	size_t deleted, kept;		/* snapshots */
	size_t bases;			/* kept only as the base of a kept unchanged one */
	long long captures;		/* capture audit rows deleted (--captures) */
	long long bytes_before, bytes_after;	/* the file and its -wal */
	const char *vacuum;		/* "incremental", "full" (the first of an older file), "none" */
};
int db_prune(struct sqlite3 *db, const struct retain *r, struct prune_result *res);
struct compact_result {
	size_t snapshots;		/* deleted */
	long long events;		/* deleted (older than keep_s) */
	int more;			/* there is more to delete: call again */
};
int db_compact(struct sqlite3 *db, const struct compact *c, long long now,
	       struct compact_result *res);

/* db_event.c: the change lines of 'vethmap watch', kept as event rows (schema 12) */
struct event_line {		/* one change as watch printed it */
	char *line;		/* the text line, without its newline */
	char *json;		/* the JSON line, without its newline */
	char *state;		/* the object after it, as the scan JSON has it; NULL: gone */
};
/* t as a new snapshot (db_store) with the events of its batch, in one transaction */
long long db_store_events(struct sqlite3 *db, struct topo *t, const struct event_line *v,
			  size_t n);
/* Each stored event with since <= time <= until (NULL: no bound), in order, to fn */
int db_events(struct sqlite3 *db, const char *since, const char *until, int json,
	      int (*fn)(void *arg, const char *line), void *arg);
/*
 * The snapshot the state at iso starts from: as db_scan_at; *replay = 1 when its
 * snapshot was thinned away (events came after the one found, up to iso: history.c
 * rebuilds it).  The id, or 0 (none: said), -1 on an error.
 */
long long db_state_at(struct sqlite3 *db, const char *cmd, const char *iso, int *replay);
/* The events with after < time <= until, in order, their JSON lines and states to fn */
int db_event_states(struct sqlite3 *db, const char *after, const char *until,
		    int (*fn)(void *arg, const char *json, const char *state), void *arg);

/* history.c: the state at a moment inside a thinned stretch, rebuilt */
struct hist_event {
	const char *json;	/* the event's JSON line */
	const char *state;	/* its object after it, as the scan JSON has it; NULL: gone */
};
/* Scan JSON doc with v[0..n) applied in order: a new string, or NULL (said) */
char *history_apply(const char *doc, const struct hist_event *v, size_t n);
/* Snapshot id and the events after it up to iso, into t (empty); 0 or -1 (said) */
int history_load_at(struct sqlite3 *db, long long id, const char *iso, struct topo *t);
/* What commands read: with at (ctx->at, set by --at), that; else db_load_view */
int history_load_view(struct sqlite3 *db, long long id, const char *at, const char *host,
		      struct topo *t);
const char *db_path(const char *opt);
struct capture_row {		/* the audit row of one 'vethmap cap' */
	long long scan_id;	/* <= 0: none */
	const char *started, *target, *interfaces, *file;
	long long uid, sudo_uid, run_uid;	/* sudo_uid -1: none */
};
int db_edge_ends(struct sqlite3 *db, long long scan, long long edge, long long ino[2],
		 char name[2][IFNAME_MAX]);
long long db_capture_begin(struct sqlite3 *db, const struct capture_row *r);
int db_capture_end(struct sqlite3 *db, long long id, double ms, unsigned long long packets,
		   const char *state);

/* json_load.c: one host's 'vethmap scan --json' file read back (hostile input) */
int json_load_scan(const char *path, struct topo *t);
int json_load_text(const char *text, size_t len, const char *name, struct topo *t);

/*
 * db_cluster.c: clusters in the database.  A collection is several hosts' snapshots
 * (ordinary scan rows) merged at once, with the tunnels paired across them.
 */
struct merge_input {
	const char *source;	/* the file it came from */
	struct topo t;		/* one host's snapshot; moved into the cluster by db_merge */
};
long long db_merge(struct sqlite3 *db, struct merge_input *in, size_t n, struct topo *cluster);
long long db_latest_collection(struct sqlite3 *db);
long long db_collection_before(struct sqlite3 *db, long long id);
int db_load_cluster(struct sqlite3 *db, long long collection, struct topo *t);
int db_load_view(struct sqlite3 *db, long long scan, const char *host, struct topo *t);
long db_cluster_host(struct sqlite3 *db, const struct topo *c, const char *host);

/* json.c */
void json_str(FILE *f, const char *s);

/*
 * print.c: one call per field for the text output and the JSON (see print.c).  Modes:
 * PR_TEXT, PR_JSON, PR_ANY.  fmt is the text form (a printf format with one %s, the
 * value escaped), NULL for no text; key the JSON key, NULL inside an array.
 */
enum { PR_TEXT = 1, PR_JSON = 2, PR_ANY = 3 };
#define PR_MAX_DEPTH 16
struct pr {
	FILE *f;
	int json;
	int depth;
	char first[PR_MAX_DEPTH];	/* nothing written yet at this depth */
	char lines[PR_MAX_DEPTH];	/* an array with one element per line */
	int in_table, in_row;		/* text: collecting cells */
	const char *const *head;
	const char *indent, *sep;
	size_t ncols, col;
	char **cells;
	size_t ncells, cells_alloc;
	struct pr_item {		/* in order: a row of cells, or free text */
		char *raw;		/* free text, or NULL for row `row` */
		size_t row;
	} *items;
	size_t nitems, items_alloc;
	char *rawbuf;			/* free text since the last row */
	size_t rawlen, rawcap;
};
void pr_init(struct pr *p, FILE *f, int json);
void pr_open_object(struct pr *p, const char *key);
void pr_close_object(struct pr *p);
void pr_open_array(struct pr *p, const char *key, int lines);
void pr_close_array(struct pr *p);
void pr_str(struct pr *p, int mode, const char *key, const char *fmt, const char *val);
void pr_int(struct pr *p, int mode, const char *key, const char *fmt, long long v);
void pr_uint(struct pr *p, int mode, const char *key, const char *fmt, unsigned long long v);
void pr_double(struct pr *p, int mode, const char *key, const char *fmt, double v);
void pr_bool(struct pr *p, int mode, const char *key, const char *fmt, int v);
void pr_null(struct pr *p, int mode, const char *key, const char *fmt);
void pr_text(struct pr *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pr_table_begin(struct pr *p, const char *key, const char *const *head, size_t ncols,
		    const char *indent, const char *sep);
void pr_row_begin(struct pr *p);
void pr_row_end(struct pr *p);
void pr_table_end(struct pr *p);

/* output.c */
void print_topo(struct pr *p, const struct topo *t);
void pr_end(struct pr *p, const char *key, const struct topo *t, const struct iface *x);
struct change;
void print_change(struct pr *p, const struct change *x);
void pr_object_json(struct pr *p, const struct topo *t, const char *kind, long i);

/*
 * vethmap.c: the command table and the set-up the dispatcher does for every command, as
 * git's RUN_SETUP does.  A command's entry says what it needs; the dispatcher parses the
 * common options (those the flags allow), hands the command's own options to its parse
 * hook, calls its check hook (operands; it may change ctx->needs), then checks the
 * capabilities and opens the database as ctx->needs says, and only then calls the
 * command with everything set up.  Options may come anywhere among the operands ("--"
 * ends them), for every command alike.
 */
enum {
	NEED_SCAN = 1 << 0,	/* scans the host: CAP_SYS_ADMIN and CAP_SYS_PTRACE */
	NEED_RAW = 1 << 1,	/* captures: CAP_NET_RAW */
	USE_DB_RO = 1 << 2,	/* the dispatcher opens the database read-only (ctx->db) */
	USE_DB_RW = 1 << 3,	/* ... read-write, creating it */
	TAKES_DB = 1 << 4,	/* --db PATH, the command opening it itself when it wants */
	TAKES_SCAN = 1 << 5,	/* --scan ID */
	TAKES_JSON = 1 << 6,	/* --json, -j */
	TAKES_VERBOSE = 1 << 7,	/* --verbose, -v */
	TAKES_ARGS = 1 << 8,	/* operands (without: an operand is an error) */
	HIDDEN = 1 << 9,	/* not listed by 'vethmap help' (__complete) */
	TAKES_RETAIN = 1 << 10,	/* --keep N, --older-than DURATION, --captures (ctx->retain) */
};
struct sqlite3;
struct cmd_ctx {
	const char *name;
	unsigned needs;		/* the table's flags, as the command's hooks left them */
	const char *db_opt;	/* --db PATH, NULL for the default */
	long long scan;		/* --scan ID (or the snapshot --at TIME names), 0 = none given */
	char at[32];		/* --at TIME inside a thinned stretch: rebuild it from scan (history.c) */
	int json;		/* --json */
	struct retain retain;	/* TAKES_RETAIN: what to prune (nothing given: keep = -1) */
	int argc;		/* operands, options taken out */
	char **argv;
	int all_argc;		/* the command line as typed (before getopt reorders it) */
	char **all_argv;
	struct sqlite3 *db;	/* opened by the dispatcher (USE_DB_*), closed after */
	void *opts;		/* the command's own options (cmd_def.size bytes, zeroed) */
};
/*
 * One option of a command, as the parser takes it and as help describes it: the parser's
 * getopt tables and every help line are made from these, so they cannot disagree.
 */
struct cmd_opt {
	const char *name;	/* --NAME, or NULL for a short option alone */
	char letter;		/* -L, or 0 for a long option alone */
	int val;		/* what the parse hook is given; 0: the letter */
	const char *arg;	/* the argument's name in help ("FILE"); NULL: takes none */
	const char *help;	/* what it does, one line */
};
struct cmd_def {		/* what a command brings to the table, beside its flags */
	int (*run)(struct cmd_ctx *ctx);
	void (*init)(struct cmd_ctx *ctx);	/* defaults of its options, before parsing */
	const struct cmd_opt *options;	/* its own options, { 0 }-ended, or NULL */
	int (*parse)(struct cmd_ctx *ctx, int c, const char *arg);	/* 0 or exit status */
	int (*check)(struct cmd_ctx *ctx);	/* after parsing: 0 or exit status */
	size_t size;		/* of its options struct */
};
extern const struct cmd_def scan_def, show_def, scans_def, ls_def, cap_def, graph_def,
	report_def, diff_def, prune_def, watch_def, trace_def, merge_def, collect_def, events_def;
int prune_run(struct cmd_ctx *ctx, int quiet);	/* cmd_prune.c: prune as ctx->retain says */
int parse_scan_id(const char *cmd, const char *s, long long *id);
void usage_cmd(FILE *f, const char *cmd);
/* cmd_complete.c: what 'vethmap __complete targets|scans' prints for shell completion */
int complete_targets(struct cmd_ctx *ctx, const char *prefix);
int complete_scans(struct cmd_ctx *ctx);
int arg_error(const char *cmd, const char *arg);

#endif
