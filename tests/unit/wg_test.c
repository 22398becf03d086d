/*
 * wg_test.c: WireGuard's generic netlink answers (wg.c) on dumps built byte for byte as
 * the kernel lays them out (this kernel has no wireguard driver to record from): the
 * controller's family id, a device split over two messages with IPv4 and IPv6 endpoints,
 * the private and preshared keys never copied, an error answer, truncated and malformed
 * messages; and the pairing of WireGuard devices across hosts (xpair.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vethmap.h"
#include "unit.h"

static unsigned char buf[8192];
static size_t len, msg_start, nest_start[4];
static int depth;

static void put(const void *p, size_t n)
{
	memcpy(buf + len, p, n);
	len += n;
	while (len % 4)
		buf[len++] = 0;
}

static void msg_begin(uint16_t type, uint32_t seq, uint8_t cmd)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = NLM_F_MULTI, .nlmsg_seq = seq };
	struct genlmsghdr g = { .cmd = cmd, .version = 1 };

	msg_start = len;
	put(&h, sizeof(h));
	put(&g, sizeof(g));
}

static void msg_end(void)
{
	uint32_t l = (uint32_t)(len - msg_start);

	memcpy(buf + msg_start, &l, sizeof(l));
}

static void attr(uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	memcpy(buf + len, &a, sizeof(a));
	len += sizeof(a);
	put(p, n);
}

static void nest_begin(uint16_t type)
{
	struct nlattr a = { .nla_type = type | NLA_F_NESTED };

	nest_start[depth++] = len;
	memcpy(buf + len, &a, sizeof(a));
	len += sizeof(a);
}

static void nest_end(void)
{
	size_t s = nest_start[--depth];
	uint16_t l = (uint16_t)(len - s);

	memcpy(buf + s, &l, sizeof(l));
}

static void done_msg(uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_len = NLMSG_HDRLEN + 4, .nlmsg_type = NLMSG_DONE,
			      .nlmsg_flags = NLM_F_MULTI, .nlmsg_seq = seq };
	int32_t zero = 0;

	put(&h, sizeof(h));
	put(&zero, sizeof(zero));
}

static void key(unsigned char *k, unsigned char first)
{
	for (int i = 0; i < WG_KEY_LEN; i++)
		k[i] = (unsigned char)(first + i);
}

static void test_family(void)
{
	uint16_t id = 0x1a;
	int fam = -1;
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} err = { { sizeof(err), NLMSG_ERROR, 0, 8, 0 }, { -ENOENT, { 0 } } };

	len = 0;
	msg_begin(GENL_ID_CTRL, 7, CTRL_CMD_NEWFAMILY);
	attr(CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME, sizeof(WG_GENL_NAME));
	attr(CTRL_ATTR_FAMILY_ID, &id, sizeof(id));
	msg_end();
	check(genl_family_parse(buf, len, 7, &fam) == 0 && fam == 0x1a, "controller: the family id",
	      "%d", fam);
	check(genl_family_parse(buf, len, 8, &fam) == -EBADMSG, "controller: another seq is no answer",
	      "wrong");
	check(genl_family_parse(&err, sizeof(err), 8, &fam) == -ENOENT,
	      "controller: no such family (no driver): -ENOENT", "wrong");
	check(genl_family_parse(buf, len - 4, 7, &fam) == -EBADMSG, "controller: truncated: refused",
	      "wrong");
}

static void test_device(void)
{
	unsigned char pub[WG_KEY_LEN], priv[WG_KEY_LEN], k1[WG_KEY_LEN], k2[WG_KEY_LEN], psk[WG_KEY_LEN];
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(51820) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(51821) };
	uint16_t port = 51820;
	uint32_t idx = 5;
	struct tunnel u = { .id = -1, .okey = -1 };
	int done = 0, rc;

	key(pub, 0);
	memset(priv, 0xAA, sizeof(priv));
	key(k1, 100);
	key(k2, 200);
	memset(psk, 0x55, sizeof(psk));
	inet_pton(AF_INET, "10.0.0.2", &s4.sin_addr);
	inet_pton(AF_INET6, "fd00::3", &s6.sin6_addr);
	len = 0;
	msg_begin(0x1a, 9, WG_CMD_GET_DEVICE);
	attr(WGDEVICE_A_IFINDEX, &idx, sizeof(idx));
	attr(WGDEVICE_A_IFNAME, "wg0", 4);
	attr(WGDEVICE_A_PRIVATE_KEY, priv, sizeof(priv));
	attr(WGDEVICE_A_PUBLIC_KEY, pub, sizeof(pub));
	attr(WGDEVICE_A_LISTEN_PORT, &port, sizeof(port));
	nest_begin(WGDEVICE_A_PEERS);
	nest_begin(0);
	attr(WGPEER_A_PUBLIC_KEY, k1, sizeof(k1));
	attr(WGPEER_A_PRESHARED_KEY, psk, sizeof(psk));
	attr(WGPEER_A_ENDPOINT, &s4, sizeof(s4));
	nest_begin(WGPEER_A_ALLOWEDIPS);
	nest_end();
	nest_end();
	nest_end();
	msg_end();
	msg_begin(0x1a, 9, WG_CMD_GET_DEVICE);	/* the peer list goes on in a second message */
	attr(WGDEVICE_A_IFINDEX, &idx, sizeof(idx));
	nest_begin(WGDEVICE_A_PEERS);
	nest_begin(0);
	attr(WGPEER_A_PUBLIC_KEY, k2, sizeof(k2));
	attr(WGPEER_A_ENDPOINT, &s6, sizeof(s6));
	nest_end();
	nest_begin(1);	/* a peer without a key: left out */
	attr(WGPEER_A_ENDPOINT, &s4, sizeof(s4));
	nest_end();
	nest_end();
	msg_end();
	done_msg(9);
	rc = wg_parse(buf, len, 9, &u, &done);
	check(rc == 0 && done, "device: parsed to the end", "rc %d done %d", rc, done);
	check(!strcmp(u.pubkey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
	      "device: its public key, base64", "%s", u.pubkey);
	check(u.port == 51820, "device: its listen port", "%u", u.port);
	check(u.npeers == 2 && u.peers && !strcmp(u.peers,
	      "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=@10.0.0.2:51820 "
	      "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5uc=@[fd00::3]:51821"),
	      "device: both peers, over two messages, with their endpoints", "%s", u.peers);
	check(!strstr(u.peers, "qqqq") && !strstr(u.pubkey, "qqqq") && !strstr(u.peers, "VVVV"),
	      "device: neither the private nor the preshared key is kept", "%s", u.peers);
	free(u.peers);

	/* a lying length: nothing read past the buffer */
	memset(&u, 0, sizeof(u));
	done = 0;
	check(wg_parse(buf, msg_start - 8, 9, &u, &done) == -EBADMSG, "device: truncated message refused",
	      "wrong");
	free(u.peers);
	memset(&u, 0, sizeof(u));
	done = 0;
	{
		uint16_t huge = 60000;

		memcpy(buf + msg_start + NLMSG_HDRLEN + GENL_HDRLEN, &huge, sizeof(huge));
	}
	rc = wg_parse(buf, len, 9, &u, &done);
	check(rc == 0 && done && u.npeers == 1, "device: an attribute longer than its message ends "
	      "that message (its peer is lost), not the dump", "rc %d peers %u", rc, u.npeers);
	free(u.peers);
}

static struct topo one;

static void wg_host(struct topo *c, const char *name, const char *addr, const char *pub,
		    unsigned port, const char *peers)
{
	size_t h;
	struct iface *f;

	topo_init(&one);
	topo_add_ns(&one, 1, 4026531840ull);
	one.ns[0].is_host = 1;
	f = topo_add_iface(&one, 0);
	f->ifindex = 2;
	copy_str(f->name, sizeof(f->name), "eth0");
	copy_str(f->kind, sizeof(f->kind), "device");
	iface_add_addr(f, AF_INET, 24, addr);
	f = topo_add_iface(&one, 0);
	f->ifindex = 3;
	copy_str(f->name, sizeof(f->name), "wg0");
	copy_str(f->kind, sizeof(f->kind), "wireguard");
	f->tun.set = 1;
	f->tun.id = f->tun.okey = -1;
	f->tun.port = port;
	copy_str(f->tun.pubkey, sizeof(f->tun.pubkey), pub);
	f->tun.peers = xstrdup(peers);
	f->tun.npeers = 1 + (unsigned)!!strchr(peers, ' ');
	h = topo_add_host(c, name, "");
	topo_append(c, &one, h);
}

static void test_pairing(void)
{
	struct topo c;
	const char *ka = "A1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
		   *kb = "B2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
		   *kc = "C3xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=";
	char pa[256], pb[256], pc[256];

	topo_init(&c);
	snprintf(pa, sizeof(pa), "%s@10.0.0.2:51820 %s@10.0.0.3:51820", kb, kc);
	snprintf(pb, sizeof(pb), "%s@", ka);	/* a roams: no endpoint here */
	snprintf(pc, sizeof(pc), "%s@10.0.0.1:9999", ka);	/* a's port is 51820 */
	wg_host(&c, "a", "10.0.0.1/24", ka, 51820, pa);
	wg_host(&c, "b", "10.0.0.2/24", kb, 51820, pb);
	wg_host(&c, "c", "10.0.0.3/24", kc, 51820, pc);
	topo_host_labels(&c);
	xpair_tunnels(&c);
	check(c.nxedges == 1 && !strcmp(c.xedges[0].kind, "wireguard") && c.xedges[0].a == 1 &&
	      c.xedges[0].b == 3, "wireguard: a and b: keys in each other's peers, the endpoint "
	      "stated is b's", "%zu edges", c.nxedges);
	{
		int said = 0;

		for (size_t u = 0; u < c.nunres; u++)
			said |= c.unres[u].ifc == 5 && strstr(c.unres[u].reason, "endpoints disagree");
		check(said, "wireguard: c states a's endpoint with another port: unresolved", "not said");
	}
	topo_release(&c);
}

int main(void)
{
	test_family();
	test_device();
	test_pairing();
	return unit_failures ? 1 : 0;
}
