/*
 * capfile_writer.c: writes capture files with pcapng.c for tests/t_capfile.sh to read back
 * with tshark and tcpdump.
 *
 *   capfile_writer ng FILE N NAME0 DESC0 NAME1 DESC1
 *	pcapng, interface 0 Ethernet (NAME0), interface 1 LINKTYPE_RAW (NAME1); N packets,
 *	even ones on 0, odd ones on 1
 *   capfile_writer ng1 FILE N NAME0 DESC0 NAME1 DESC1
 *	the same with both interfaces Ethernet (one link type: tcpdump reads it)
 *   capfile_writer pcap FILE N
 *	classic pcap, Ethernet
 *   capfile_writer fill FILE [BUFSIZE]
 *	pcapng, Ethernet, packets of changing sizes until a write fails, each block written
 *	at once or through a buffer of BUFSIZE bytes; prints "packets N good BYTES errno
 *	NAME accepted M" (N packets whole in the file, M handed to the writer)
 *
 * FILE "-" is standard output.  Packet i is stamped 1700000000.123456789 s + i * 1001 ns,
 * and its summary (pktline.c) goes to standard error when CAPFILE_DESCRIBE is set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vethmap.h"

#define T0 1700000000123456789ull

static uint8_t *be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* Packet i: an IPv4 UDP datagram of `payload` bytes, after an Ethernet header if eth. */
static uint32_t build(uint8_t *b, unsigned i, int eth, unsigned payload)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t *p = b;

	if (eth) {
		memcpy(p, macs, 12);
		p = be16(p + 12, 0x0800);
	}
	memset(p, 0, 28 + payload);
	p[0] = 0x45;
	be16(p + 2, 28 + payload);
	be16(p + 4, i & 0xffff);
	p[8] = 64;
	p[9] = 17;
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
	be16(p + 20, 10000 + i % 1000);
	be16(p + 22, 49999);
	be16(p + 24, 8 + payload);
	for (unsigned k = 0; k < payload; k++)
		p[28 + k] = (uint8_t)(i + k);
	return (uint32_t)(p + 28 + payload - b);
}

static int packet(struct capout *o, unsigned ifc, unsigned i, int linktype, unsigned payload)
{
	uint8_t b[1600];
	uint32_t n = build(b, i, linktype == 1, payload);

	if (getenv("CAPFILE_DESCRIBE")) {
		char line[256];

		pkt_describe(line, sizeof(line), linktype, b, n, n);
		fprintf(stderr, "%u %s\n", ifc, line);
	}
	return capout_packet(o, ifc, T0 + (uint64_t)i * 1001, b, n, n);
}

int main(int argc, char **argv)
{
	const char *comments[] = { "vethmap test capture", "comment with \"quotes\" <&> $x" };
	const char *mode = argc > 1 ? argv[1] : "", *file = argc > 2 ? argv[2] : "";
	unsigned n = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0, i;
	struct capout o = { .fd = -1 };
	int fd, two = !strcmp(mode, "ng") || !strcmp(mode, "ng1");

	if (argc < 3 || (two && argc != 8) || (!strcmp(mode, "pcap") && argc != 4) ||
	    (!strcmp(mode, "fill") && argc != 3 && argc != 4) || (!two && strcmp(mode, "pcap") &&
						      strcmp(mode, "fill"))) {
		fprintf(stderr, "usage: capfile_writer ng|ng1 FILE N NAME0 DESC0 NAME1 DESC1 | "
			"pcap FILE N | fill FILE [BUFSIZE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = strcmp(file, "-") ? open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644) : 1;
	if (fd < 0)
		die("cannot open '%s':", file);
	if (two) {
		int lt1 = !strcmp(mode, "ng") ? 101 : 1;

		if (capout_begin(&o, fd, CAP_PCAPNG, comments, 2, 0, 0) ||
		    capout_add_iface(&o, 1, 262144, argv[4], argv[5]) != 0 ||
		    capout_add_iface(&o, lt1, 262144, argv[6], argv[7]) != 1)
			die("cannot write '%s': %s", file, strerror(o.failed ? o.failed : errno));
		for (i = 0; i < n; i++)
			if (packet(&o, i % 2, i, i % 2 ? lt1 : 1, i % 200))
				die("cannot write '%s': %s", file, strerror(errno));
	} else if (!strcmp(mode, "pcap")) {
		if (capout_begin(&o, fd, CAP_PCAP, NULL, 0, 1, 262144) ||
		    capout_add_iface(&o, 1, 262144, "eth0", NULL) != 0)
			die("cannot write '%s': %s", file, strerror(o.failed ? o.failed : errno));
		for (i = 0; i < n; i++)
			if (packet(&o, 0, i, 1, i % 200))
				die("cannot write '%s': %s", file, strerror(errno));
	} else {
		if (capout_begin(&o, fd, CAP_PCAPNG, comments, 2, 0, 0) ||
		    capout_add_iface(&o, 1, 262144, "eth0", NULL) != 0 ||
		    capout_buffer(&o, n))
			die("cannot write '%s': %s", file, strerror(o.failed ? o.failed : errno));
		for (i = 0; i < 10000000 && !packet(&o, 0, i, 1, (i * 379) % 1400); i++)
			;
		if (!o.failed)
			die("'%s' never filled up", file);
		printf("packets %llu good %llu errno %s accepted %u\n", o.packets, o.good,
		       strerrorname_np(o.failed), i);
	}
	capout_release(&o);
	if (fd != 1 && close(fd))
		die("cannot close '%s':", file);
	return 0;
}
