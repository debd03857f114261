/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udp-flood: the smallest packet-rate tool the forwarding benchmark needs.
 *
 *   udp-flood send DST_IP PORT SECONDS [SIZE]   UDP payload SIZE (default 18:
 *                                               14 + 20 + 8 + 18 + 4 FCS = 64-byte frames)
 *   udp-flood recv PORT SECONDS                 prints the packets/s it received
 *
 * Small frames make the per-packet cost of the filter visible; bytes/s would
 * measure memcpy. The sender batches with sendmmsg and stops after SECONDS.
 * The receiver measures from its first to its last packet, so it can be
 * started before the sender without counting the wait, and prints "ready"
 * on stderr once its socket is bound, so a script knows when to start the
 * sender. Both refuse to run outside a namespace made by "ip netns": this
 * tool is for the benchmark's own throw-away namespaces only.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static inline void closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

#define BATCH           64
#define PAYLOAD_DEFAULT 18
#define PAYLOAD_MAX     1472 /* one 1500-byte MTU frame */
#define RECV_BUF        2048
#define SECONDS_MAX     3600
#define RECV_IDLE_NS    500000000ull  /* the sender is done when nothing arrives for this long */
#define RECV_WAIT_NS    5000000000ull /* how long to wait for the first packet beyond SECONDS */

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_uint(const char *text, unsigned long min, unsigned long max, unsigned *ret)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/*
 * True when we run in a namespace that "ip netns" made (a file in
 * /run/netns is bound to it), which the root namespace never is. The
 * obvious test, comparing with PID 1's namespace, needs access to
 * /proc/1/ns/net, which containers often refuse even to root.
 */
static bool in_named_netns(void)
{
	_cleanup_(closedirp) DIR *dir = opendir("/run/netns");
	struct stat self, st;
	struct dirent *de;

	if (!dir || stat("/proc/self/ns/net", &self) < 0)
		return false;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || fstatat(dirfd(dir), de->d_name, &st, 0) < 0)
			continue;
		if (st.st_dev == self.st_dev && st.st_ino == self.st_ino)
			return true;
	}
	return false;
}

static int flood_send(const char *dst, unsigned port, unsigned seconds, unsigned size)
{
	static uint8_t payload[PAYLOAD_MAX];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct iovec iov = { .iov_base = payload, .iov_len = size };
	struct mmsghdr msgs[BATCH];
	_cleanup_close_ int fd = -1;
	uint64_t start, deadline, sent = 0, now;

	if (inet_pton(AF_INET, dst, &sin.sin_addr) != 1) {
		fprintf(stderr, "udp-flood: '%s' is not an IPv4 address\n", dst);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "udp-flood: socket: %m\n");
		return -errno;
	}
	/*
	 * Unconnected on purpose: a connected socket reports the ICMP port
	 * unreachable of a receiver that is not up yet as ECONNREFUSED.
	 */
	memset(msgs, 0, sizeof(msgs));
	for (size_t i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &sin;
		msgs[i].msg_hdr.msg_namelen = sizeof(sin);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now_ns();
	deadline = start + (uint64_t)seconds * 1000000000u;
	do {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		/* a full backlog or socket buffer is the load we want, not an error */
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "udp-flood: sendmmsg to %s:%u: %m\n", dst, port);
			return -errno;
		}
		if (n > 0)
			sent += (uint64_t)n;
		now = now_ns();
	} while (now < deadline);
	printf("%.0f pps sent (%llu packets in %.3f s)\n",
	       (double)sent * 1e9 / (double)(now - start), (unsigned long long)sent,
	       (double)(now - start) / 1e9);
	return 0;
}

static int recv_socket(unsigned port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	struct timeval tv = { .tv_usec = 100000 };
	int buf = 8 << 20, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a large buffer so that a slow reader does not become the bottleneck; FORCE needs root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int flood_recv(unsigned port, unsigned seconds)
{
	static uint8_t bufs[BATCH][RECV_BUF];
	struct iovec iovs[BATCH];
	struct mmsghdr msgs[BATCH];
	_cleanup_close_ int fd = recv_socket(port);
	uint64_t start = now_ns(), first = 0, last = 0, counted = 0, now;
	uint64_t window = (uint64_t)seconds * 1000000000u;

	if (fd < 0) {
		fprintf(stderr, "udp-flood: cannot listen on UDP port %u: %s\n", port,
			strerror(-fd));
		return fd;
	}
	fprintf(stderr, "ready\n");
	for (;;) {
		int n;

		for (size_t i = 0; i < BATCH; i++) {
			iovs[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = RECV_BUF };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iovs[i],
								 .msg_iovlen = 1 } };
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		now = now_ns();
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "udp-flood: recvmmsg: %m\n");
			return -errno;
		}
		if (n > 0) {
			/* the first batch only starts the clock: its packets arrived before it */
			if (first == 0)
				first = now;
			else
				counted += (uint64_t)n;
			last = now;
		}
		if (first == 0 && now - start > window + RECV_WAIT_NS)
			break;
		if (first != 0 && (now - first >= window || now - last >= RECV_IDLE_NS))
			break;
	}
	if (first == 0 || last == first) {
		printf("0 pps received (no packets)\n");
		return 0;
	}
	printf("%.0f pps received (%llu packets in %.3f s)\n",
	       (double)counted * 1e9 / (double)(last - first), (unsigned long long)counted,
	       (double)(last - first) / 1e9);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: udp-flood send DST_IP PORT SECONDS [SIZE]   (SIZE: UDP payload, "
		"0..%d, default %d = 64-byte frames)\n"
		"       udp-flood recv PORT SECONDS\n",
		PAYLOAD_MAX, PAYLOAD_DEFAULT);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned port, seconds, size = PAYLOAD_DEFAULT;

	if (argc < 2)
		return usage();
	if (!in_named_netns()) {
		fprintf(stderr, "udp-flood: refusing to run outside a benchmark namespace "
				"(run it with ip netns exec NAME)\n");
		return 1;
	}
	if (strcmp(argv[1], "send") == 0 && (argc == 5 || argc == 6)) {
		if (parse_uint(argv[3], 1, 65535, &port) < 0 ||
		    parse_uint(argv[4], 1, SECONDS_MAX, &seconds) < 0 ||
		    (argc == 6 && parse_uint(argv[5], 0, PAYLOAD_MAX, &size) < 0))
			return usage();
		return flood_send(argv[2], port, seconds, size) < 0 ? 1 : 0;
	}
	if (strcmp(argv[1], "recv") == 0 && argc == 4) {
		if (parse_uint(argv[2], 1, 65535, &port) < 0 ||
		    parse_uint(argv[3], 1, SECONDS_MAX, &seconds) < 0)
			return usage();
		return flood_recv(port, seconds) < 0 ? 1 : 0;
	}
	return usage();
}
