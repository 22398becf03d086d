/*
 * wg.c implements the reading of WireGuard devices' answers from generic netlink, pure
 * parsing with no I/O (nl.c asks the kernel, only of a namespace with a link of kind
 * wireguard): the generic netlink controller's answer to CTRL_CMD_GETFAMILY (the family
 * id of "wireguard"), and the WG_CMD_GET_DEVICE dump: the device's listen port and public
 * key, each peer's public key and endpoint.  The private and preshared keys are never
 * copied.  A dump may come in several messages (the kernel splits a long peer list), each
 * adding peers; peers are kept up to WG_PEERS_MAX.  Every length is checked against what
 * the buffer holds: the kernel's answer is trusted no further than its bytes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "vethmap.h"

/* 32 bytes as base64 (44 characters and the NUL), as wg(8) shows keys. */
static void key_b64(const unsigned char *k, char *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < WG_KEY_LEN; i += 3) {
		unsigned v = (unsigned)k[i] << 16 | (i + 1 < WG_KEY_LEN ? (unsigned)k[i + 1] << 8 : 0) |
			     (i + 2 < WG_KEY_LEN ? k[i + 2] : 0);

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < WG_KEY_LEN ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < WG_KEY_LEN ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The attributes in [p, end): each one's type (flags cut off), payload and its length. */
struct attr_it {
	const unsigned char *p, *end;
};

static int attr_next(struct attr_it *it, unsigned *type, const unsigned char **val, size_t *len)
{
	struct nlattr a;

	if ((size_t)(it->end - it->p) < NLA_HDRLEN)
		return 0;
	memcpy(&a, it->p, sizeof(a));
	if (a.nla_len < NLA_HDRLEN || a.nla_len > (size_t)(it->end - it->p))
		return 0;	/* malformed: the rest is not read */
	*type = a.nla_type & NLA_TYPE_MASK;
	*val = it->p + NLA_HDRLEN;
	*len = a.nla_len - NLA_HDRLEN;
	{
		size_t step = (size_t)NLA_ALIGN(a.nla_len), left = (size_t)(it->end - it->p);

		it->p += step < left ? step : left;
	}
	return 1;
}

/* An endpoint (struct sockaddr_in or _in6) as "ADDR:PORT" / "[ADDR]:PORT"; "" if neither. */
static void endpoint_text(const unsigned char *v, size_t len, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 s6;

		memcpy(&s6, v, sizeof(s6));
		if (s6.sin6_family == AF_INET6 && inet_ntop(AF_INET6, &s6.sin6_addr, a, sizeof(a)))
			snprintf(out, size, "[%s]:%u", a, ntohs(s6.sin6_port));
		if (s6.sin6_family == AF_INET6)
			return;
	}
	if (len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in s4;

		memcpy(&s4, v, sizeof(s4));
		if (s4.sin_family == AF_INET && inet_ntop(AF_INET, &s4.sin_addr, a, sizeof(a)))
			snprintf(out, size, "%s:%u", a, ntohs(s4.sin_port));
	}
}

static void add_peer(struct tunnel *u, const char *key, const char *endpoint)
{
	char w[48 + 64 + 2];

	if (u->npeers >= WG_PEERS_MAX) {
		u->peers_dropped++;
		return;
	}
	snprintf(w, sizeof(w), "%s@%s", key, endpoint);
	words_append(&u->peers, &u->npeers, w);
}

static void parse_peer(struct tunnel *u, const unsigned char *p, size_t n)
{
	struct attr_it it = { p, p + n };
	const unsigned char *v;
	unsigned type;
	size_t len;
	char key[48] = "", ep[64] = "";

	while (attr_next(&it, &type, &v, &len)) {
		if (type == WGPEER_A_PUBLIC_KEY && len == WG_KEY_LEN)
			key_b64(v, key);
		else if (type == WGPEER_A_ENDPOINT)
			endpoint_text(v, len, ep, sizeof(ep));
	}
	if (*key)
		add_peer(u, key, ep);
}

/* One WG_CMD_GET_DEVICE message's attributes into u. */
static void parse_device(struct tunnel *u, const unsigned char *p, size_t n)
{
	struct attr_it it = { p, p + n };
	const unsigned char *v;
	unsigned type;
	size_t len;

	while (attr_next(&it, &type, &v, &len)) {
		if (type == WGDEVICE_A_PUBLIC_KEY && len == WG_KEY_LEN) {
			key_b64(v, u->pubkey);
		} else if (type == WGDEVICE_A_LISTEN_PORT && len >= 2) {
			uint16_t port;

			memcpy(&port, v, 2);
			u->port = port;
		} else if (type == WGDEVICE_A_PEERS) {
			struct attr_it peers = { v, v + len };
			const unsigned char *pv;
			unsigned pt;
			size_t pl;

			while (attr_next(&peers, &pt, &pv, &pl))
				parse_peer(u, pv, pl);
		}
		/* WGDEVICE_A_PRIVATE_KEY: never copied */
	}
}

/*
 * The messages of one receive of a WG_CMD_GET_DEVICE dump (request seq) into u (set,
 * with id and okey -1).  *done becomes 1 at NLMSG_DONE.  Returns 0, or a negative errno
 * the kernel answered (NLMSG_ERROR), or -EBADMSG for a malformed message.
 */
int wg_parse(const void *buf, size_t n, uint32_t seq, struct tunnel *u, int *done)
{
	const unsigned char *b = buf;

	u->set = 1;
	for (size_t off = 0; off + NLMSG_HDRLEN <= n;) {
		struct nlmsghdr h;

		memcpy(&h, b + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off)
			return -EBADMSG;
		if (h.nlmsg_seq == seq) {
			if (h.nlmsg_type == NLMSG_DONE) {
				*done = 1;
				return 0;
			}
			if (h.nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;

				if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(e))
					return -EBADMSG;
				memcpy(&e, b + off + NLMSG_HDRLEN, sizeof(e));
				*done = 1;
				return e.error < 0 ? e.error : 0;
			}
			if (h.nlmsg_type >= NLMSG_MIN_TYPE &&
			    h.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN)
				parse_device(u, b + off + NLMSG_HDRLEN + GENL_HDRLEN,
					     h.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return 0;
}

/*
 * The generic netlink controller's answer to CTRL_CMD_GETFAMILY (request seq): the
 * family's id into *family.  0, a negative errno (-ENOENT: no such family, no driver), or
 * -EBADMSG.
 */
int genl_family_parse(const void *buf, size_t n, uint32_t seq, int *family)
{
	const unsigned char *b = buf;

	for (size_t off = 0; off + NLMSG_HDRLEN <= n;) {
		struct nlmsghdr h;

		memcpy(&h, b + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off)
			return -EBADMSG;
		if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(e))
				return -EBADMSG;
			memcpy(&e, b + off + NLMSG_HDRLEN, sizeof(e));
			return e.error < 0 ? e.error : -EBADMSG;
		}
		if (h.nlmsg_seq == seq && h.nlmsg_type == GENL_ID_CTRL &&
		    h.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
			struct attr_it it = { b + off + NLMSG_HDRLEN + GENL_HDRLEN, b + off + h.nlmsg_len };
			const unsigned char *v;
			unsigned type;
			size_t len;

			while (attr_next(&it, &type, &v, &len))
				if (type == CTRL_ATTR_FAMILY_ID && len >= 2) {
					uint16_t id;

					memcpy(&id, v, 2);
					*family = id;
					return 0;
				}
			return -EBADMSG;
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return -EBADMSG;
}
