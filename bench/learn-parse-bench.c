/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * learn-parse-bench: how many NFLOG records per second the learning parser
 * (and the policy after it) gets through, on one CPU, without the kernel.
 *
 *   learn-parse-bench [-n RECORDS] [-r RUNS] [-o FILE.pcap] [-k]
 *
 * 1. Writes a synthetic capture: a pcap file (DLT_NFLOG, as libpcap records
 *    "nflog:N") of RECORDS (1000000) records, each one of the real frame
 *    fixtures of tests/lib/learn-frames.c wrapped as the kernel's NFLOG record
 *    (fx_nflog_from_eth / fx_nflog_build), in a fixed mix drawn by a seeded
 *    generator: DHCP from the VM and to it, ARP request/reply/gratuitous/probe,
 *    IPv4 UDP (DNS), ICMP and TCP, and VLAN-tagged copies (NFULA_VLAN).
 * 2. Reads it back with pcap_open_offline into memory.
 * 3. Times, RUNS (5) times each, over the records in memory (so the disk is
 *    not what is measured): (a) learn_nflog_parse() alone, (b) parse +
 *    learn_decide() for a port that is learning in any mode with a trusted
 *    DHCP server and the fixtures' xids recorded. Prints the median and every
 *    run, in frames/s and ns/frame, and what the policy decided.
 *
 * The file goes to $TMPDIR (or /tmp) and is removed at the end unless -k or
 * -o is given. Needs no privileges.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "learn-frames.h"
#include "learn/frame.h"
#include "learn/policy.h"

#define PORT_IFINDEX   7
#define BRIDGE_IFINDEX 3
#define MAX_RUNS       101
#define REC_CAP        1024

/* IPv4 TCP SYN from the VM's static address to the gateway's port 443 (no fixture has TCP). */
static uint8_t tcp_syn[14 + 20 + 20];

static void build_tcp_syn(void)
{
	uint8_t *ip = tcp_syn + 14, *tcp = ip + 20;
	uint16_t c;

	memcpy(tcp_syn, fx_server_mac, 6);
	memcpy(tcp_syn + 6, fx_vm_mac, 6);
	tcp_syn[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 40;   /* total length */
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, fx_static_ip, 4);
	memcpy(ip + 16, fx_server_ip, 4);
	c = fx_csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	tcp[0] = 0x9c; /* 40001 -> 443, seq 1, SYN, window 64240; checksum left 0 (never checked) */
	tcp[1] = 0x41;
	tcp[3] = 0xbb;
	tcp[1 + 4 + 2] = 1;
	tcp[12] = 5 << 4;
	tcp[13] = 0x02;
	tcp[14] = 0xfa;
	tcp[15] = 0xf0;
}

struct kind {
	const char *name;
	const uint8_t *frame;
	size_t len;
	int to_vm; /* logged towards the VM: the port is the output device */
	int vlan;  /* the outer tag stripped into NFULA_VLAN */
	unsigned weight;
	uint8_t rec[REC_CAP];
	size_t rec_len;
	unsigned long count;
};

#define K(n, f, to, v, w)                              \
	{                                              \
		n, f, sizeof(f), to, v, w, { 0 }, 0, 0 \
	}
static struct kind kinds[] = {
	K("dhcp-discover", fx_dhcp_discover, 0, 0, 4),
	K("dhcp-offer", fx_dhcp_offer, 1, 0, 4),
	K("dhcp-request", fx_dhcp_request, 0, 0, 4),
	K("dhcp-ack", fx_dhcp_ack, 1, 0, 4),
	K("dhcp-renew", fx_dhcp_renew, 0, 0, 2),
	K("dhcp-renew-ack", fx_dhcp_renew_ack, 1, 0, 2),
	K("dhcp-nak", fx_dhcp_nak, 1, 0, 1),
	K("dhcp-release", fx_dhcp_release, 0, 0, 1),
	K("arp-request", fx_arp_request, 0, 0, 14),
	K("arp-reply", fx_arp_reply, 0, 0, 6),
	K("arp-gratuitous", fx_arp_gratuitous, 0, 0, 4),
	K("arp-probe", fx_arp_probe, 0, 0, 3),
	K("ipv4-udp-dns", fx_dns_query, 0, 0, 12),
	K("ipv4-icmp", fx_icmp_echo, 0, 0, 6),
	K("ipv4-tcp-syn", tcp_syn, 0, 0, 12),
	K("vlan-arp-request", fx_arp_request, 0, 1, 4),
	K("vlan-ipv4-udp-dns", fx_dns_query, 0, 1, 4),
	K("vlan-dhcp-discover", fx_dhcp_discover, 0, 1, 2),
	K("vlan-dhcp-ack", fx_dhcp_ack, 1, 1, 2),
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static void build_records(void)
{
	for (size_t i = 0; i < N_KINDS; i++) {
		struct kind *k = &kinds[i];
		const struct fx_nflog spec = {
			.family = 7,
			.hw_protocol = (uint16_t)(k->frame[12] << 8 | k->frame[13]),
			.indev = k->to_vm ? 0 : BRIDGE_IFINDEX,
			.physindev = k->to_vm ? 0 : PORT_IFINDEX,
			.outdev = k->to_vm ? BRIDGE_IFINDEX : 0,
			.physoutdev = k->to_vm ? PORT_IFINDEX : 0,
			.src_mac = k->frame + 6,
			.has_vlan = k->vlan != 0,
			.vlan_tci = 100,
			.payload = k->frame + 14,
			.payload_len = k->len - 14,
			.extras = true,
		};

		if (!k->to_vm && !k->vlan)
			k->rec_len = fx_nflog_from_eth(k->frame, k->len, PORT_IFINDEX, k->rec,
						       sizeof(k->rec));
		else
			k->rec_len = fx_nflog_build(&spec, k->rec, sizeof(k->rec));
	}
}

/* A fixed sequence (xorshift64): the same capture on every run and machine. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static struct kind *pick(unsigned total)
{
	unsigned x = (unsigned)(rng() % total);

	for (size_t i = 0; i < N_KINDS; i++) {
		if (x < kinds[i].weight)
			return &kinds[i];
		x -= kinds[i].weight;
	}
	return &kinds[N_KINDS - 1];
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS];

	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int write_capture(const char *path, unsigned long n, double *bytes)
{
	pcap_t *dead = pcap_open_dead(DLT_NFLOG, 65535);
	pcap_dumper_t *d;
	unsigned total = 0;

	if (!dead)
		return -1;
	d = pcap_dump_open(dead, path);
	if (!d) {
		fprintf(stderr, "learn-parse-bench: %s: %s\n", path, pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	for (size_t i = 0; i < N_KINDS; i++)
		total += kinds[i].weight;
	*bytes = 0;
	for (unsigned long i = 0; i < n; i++) {
		struct kind *k = pick(total);
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = 1700000000 + (time_t)(i / 1000000),
				.tv_usec = (suseconds_t)(i % 1000000) },
			.caplen = (bpf_u_int32)k->rec_len,
			.len = (bpf_u_int32)k->rec_len,
		};

		pcap_dump((u_char *)d, &h, k->rec);
		k->count++;
		*bytes += (double)k->rec_len;
	}
	if (pcap_dump_flush(d) != 0) {
		fprintf(stderr, "learn-parse-bench: %s: write failed\n", path);
		pcap_dump_close(d);
		pcap_close(dead);
		return -1;
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

struct capture {
	uint8_t *data;
	size_t *off, *len;
	size_t n, size;
};

static int read_capture(const char *path, struct capture *c)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *bytes;
	size_t cap_n = 1024, cap_size = 1 << 20;
	int r;

	if (!p) {
		fprintf(stderr, "learn-parse-bench: %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_NFLOG) {
		fprintf(stderr, "learn-parse-bench: %s: not DLT_NFLOG\n", path);
		pcap_close(p);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->data = malloc(cap_size);
	c->off = malloc(cap_n * sizeof(*c->off));
	c->len = malloc(cap_n * sizeof(*c->len));
	while (c->data && c->off && c->len && (r = pcap_next_ex(p, &h, &bytes)) == 1) {
		if (c->n == cap_n) {
			cap_n *= 2;
			c->off = realloc(c->off, cap_n * sizeof(*c->off));
			c->len = realloc(c->len, cap_n * sizeof(*c->len));
			if (!c->off || !c->len)
				break;
		}
		while (c->size + h->caplen > cap_size) {
			cap_size *= 2;
			c->data = realloc(c->data, cap_size);
			if (!c->data)
				break;
		}
		if (!c->data)
			break;
		memcpy(c->data + c->size, bytes, h->caplen);
		c->off[c->n] = c->size;
		c->len[c->n] = h->caplen;
		c->size += h->caplen;
		c->n++;
	}
	pcap_close(p);
	if (!c->data || !c->off || !c->len) {
		fprintf(stderr, "learn-parse-bench: out of memory\n");
		return -1;
	}
	return 0;
}

static volatile uint64_t sink;

static double run_parse(const struct capture *c, unsigned long *n_ok)
{
	struct learn_frame f;
	uint64_t acc = 0;
	unsigned long ok = 0;
	double t0 = now_s();

	for (size_t i = 0; i < c->n; i++) {
		int r = learn_nflog_parse(c->data + c->off[i], c->len[i], &f);

		if (r == 0) {
			ok++;
			acc += (uint64_t)f.l3 + f.ethertype + (uint64_t)f.indev;
		} else {
			acc += (uint64_t)-r;
		}
	}
	t0 = now_s() - t0;
	sink += acc;
	*n_ok = ok;
	return t0;
}

static double run_decide(const struct capture *c, const struct learn_port *port,
			 unsigned long verdicts[_LEARN_VERDICT_MAX],
			 unsigned long reasons[_LEARN_DROP_MAX])
{
	struct learn_frame f;
	struct learn_decision dec;
	uint64_t acc = 0;
	double t0 = now_s();

	for (size_t i = 0; i < c->n; i++) {
		int r = learn_nflog_parse(c->data + c->off[i], c->len[i], &f);

		if (r < 0) {
			reasons[-r < _LEARN_DROP_MAX ? -r : 0]++;
			continue;
		}
		/* as the daemon does: the port is the output device when there is one */
		learn_decide(port, f.outdev ? LEARN_DIR_TO_VM : LEARN_DIR_FROM_VM, &f, &dec);
		verdicts[dec.verdict]++;
		reasons[dec.reason]++;
		acc += dec.verdict + (uint64_t)dec.reason + dec.addr[3];
	}
	t0 = now_s() - t0;
	sink += acc;
	return t0;
}

static void print_row(const char *label, const double *secs, int runs, size_t n)
{
	double med = median(secs, runs);

	printf("   %-34s %12.0f %9.1f   ", label, (double)n / med, med * 1e9 / (double)n);
	for (int i = 0; i < runs; i++)
		printf("%s%.2f", i ? " " : "", (double)n / secs[i] / 1e6);
	printf("\n");
}

static void usage(FILE *out)
{
	fprintf(out, "usage: learn-parse-bench [-n RECORDS] [-r RUNS] [-o FILE.pcap] [-k]\n");
}

int main(int argc, char **argv)
{
	unsigned long n = 1000000, n_ok = 0;
	int runs = 5, keep = 0, opt;
	const char *out = NULL;
	char path[4096];
	struct capture c;
	double bytes, t_write, t_read, parse_s[MAX_RUNS], decide_s[MAX_RUNS];
	unsigned long verdicts[_LEARN_VERDICT_MAX] = { 0 }, reasons[_LEARN_DROP_MAX] = { 0 };
	static const uint8_t servers[1][4] = { { 192, 168, 122, 1 } };
	struct learn_port port = {
		.mode = LEARN_MODE_ANY,
		.is_learning = true,
		.servers = servers,
		.n_servers = 1,
	};
	const uint8_t none[4] = { 0 };

	while ((opt = getopt(argc, argv, "n:r:o:kh")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'o':
			out = optarg;
			keep = 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || n == 0 || runs < 1 || runs > MAX_RUNS) {
		usage(stderr);
		return 2;
	}
	memcpy(port.vm_mac, fx_vm_mac, 6);
	learn_xids_record(&port.xids, FX_XID, none, 0);
	learn_xids_record(&port.xids, FX_XID_RENEW, fx_lease_ip, 0);

	build_tcp_syn();
	build_records();
	if (out) {
		snprintf(path, sizeof(path), "%s", out);
	} else {
		const char *dir = getenv("TMPDIR");
		int fd;

		snprintf(path, sizeof(path), "%s/learn-parse-bench.XXXXXX",
			 dir && *dir ? dir : "/tmp");
		fd = mkstemp(path);
		if (fd < 0) {
			fprintf(stderr, "learn-parse-bench: %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	t_write = now_s();
	if (write_capture(path, n, &bytes) < 0) {
		if (!keep)
			unlink(path);
		return 1;
	}
	t_write = now_s() - t_write;
	t_read = now_s();
	if (read_capture(path, &c) < 0) {
		if (!keep)
			unlink(path);
		return 1;
	}
	t_read = now_s() - t_read;
	if (!keep)
		unlink(path);
	if (c.n != n) {
		fprintf(stderr, "learn-parse-bench: wrote %lu records, read %zu\n", n, c.n);
		return 1;
	}

	/* one pass untimed: page in the records, warm the caches */
	(void)run_parse(&c, &n_ok);
	for (int i = 0; i < runs; i++) {
		parse_s[i] = run_parse(&c, &n_ok);
		memset(verdicts, 0, sizeof(verdicts));
		memset(reasons, 0, sizeof(reasons));
		decide_s[i] = run_decide(&c, &port, verdicts, reasons);
	}

	printf("== learning parser throughput (bench/learn-parse-bench, one thread, no kernel)\n");
	printf("   synthetic capture: %zu DLT_NFLOG records, %.1f MB of records (mean %.0f bytes),\n",
	       c.n, bytes / 1e6, bytes / (double)c.n);
	printf("   written with pcap_dump in %.2f s, read back with pcap_open_offline in %.2f s%s;\n",
	       t_write, t_read, keep ? "" : " (file removed)");
	printf("   timed over the records held in memory after one untimed pass, %d runs each\n",
	       runs);
	printf("   (parse and parse+decide alternating); median, and every run in Mframes/s\n");
	printf("   mix (fixtures of tests/lib/learn-frames.c + a TCP SYN; vlan- = NFULA_VLAN tag):\n");
	for (size_t i = 0; i < N_KINDS; i++)
		printf("%s%s %.1f%%", i % 5 == 0 ? (i ? ",\n     " : "     ") : ", ", kinds[i].name,
		       100.0 * (double)kinds[i].count / (double)c.n);
	printf("\n");
	printf("   %-34s %12s %9s   %s\n", "", "frames/s", "ns/frame", "runs (Mframes/s)");
	print_row("learn_nflog_parse", parse_s, runs, c.n);
	print_row("learn_nflog_parse + learn_decide", decide_s, runs, c.n);
	printf("   parsed ok: %lu of %zu; port: learning, any mode, DHCPSERVER 192.168.122.1, the\n",
	       n_ok, c.n);
	printf("   fixtures' xids recorded; verdicts:");
	for (int v = 0; v < _LEARN_VERDICT_MAX; v++)
		if (verdicts[v])
			printf(" %s %lu", learn_verdict_name(v), verdicts[v]);
	printf("\n   ignored:");
	for (int r = 1; r < _LEARN_DROP_MAX; r++)
		if (reasons[r])
			printf(" %s %lu", learn_drop_name(r), reasons[r]);
	printf("\n");
	free(c.data);
	free(c.off);
	free(c.len);
	return 0;
}
