/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpcap on nflog:N. The kernel already chose the frames (the learning
 * rules copy only DHCP, the VM's ARP and its IPv4, rate-limited per port),
 * so no BPF filter is needed; records arrive as DLT_NFLOG and are handed
 * over as bytes, to be parsed by the pure parsers.
 */
#include "learn/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#define SNAPLEN 65535

struct learn_capture {
	pcap_t *pcap;
	int fd;
	uint64_t n_truncated;
	uint64_t n_overruns; /* reads that found the socket overrun: records the kernel dropped */
	learn_record_fn fn;
	void *userdata;
};

int learn_capture_open(unsigned group, struct learn_capture **ret, struct err *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "", device[32];
	struct learn_capture *c = calloc(1, sizeof(*c));

	if (!c)
		return err_set(err, -ENOMEM, "out of memory");
	snprintf(device, sizeof(device), "nflog:%u", group);
	c->pcap = pcap_create(device, errbuf);
	if (!c->pcap || pcap_set_snaplen(c->pcap, SNAPLEN) != 0 ||
	    pcap_set_immediate_mode(c->pcap, 1) != 0 || pcap_set_timeout(c->pcap, 100) != 0 ||
	    pcap_set_buffer_size(c->pcap, 4 << 20) != 0 || pcap_activate(c->pcap) < 0) {
		err_set(err, -EIO, "cannot capture on %s: %s", device,
			c->pcap ? pcap_geterr(c->pcap) : errbuf);
		learn_capture_close(c);
		return -EIO;
	}
	if (pcap_datalink(c->pcap) != DLT_NFLOG || pcap_setnonblock(c->pcap, 1, errbuf) != 0 ||
	    (c->fd = pcap_get_selectable_fd(c->pcap)) < 0) {
		err_set(err, -EIO, "cannot capture on %s: not a non-blocking NFLOG device", device);
		learn_capture_close(c);
		return -EIO;
	}
	*ret = c;
	return 0;
}

struct learn_capture *learn_capture_close(struct learn_capture *c)
{
	if (!c)
		return NULL;
	if (c->pcap)
		pcap_close(c->pcap);
	free(c);
	return NULL;
}

int learn_capture_fd(const struct learn_capture *c)
{
	return c->fd;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct learn_capture *c = (struct learn_capture *)user;

	/* a truncated record could be mistaken for a shorter valid one */
	if (h->caplen < h->len) {
		c->n_truncated++;
		return;
	}
	c->fn(bytes, h->caplen, c->userdata);
}

int learn_capture_dispatch(struct learn_capture *c, unsigned budget, learn_record_fn fn,
			   void *userdata, struct err *err)
{
	int n;

	c->fn = fn;
	c->userdata = userdata;
	errno = 0;
	n = pcap_dispatch(c->pcap, (int)budget, on_packet, (u_char *)c);
	/* non-blocking: the NFLOG reader reports an empty socket as an error */
	if (n == PCAP_ERROR && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	/* the kernel dropped records for a full socket; the socket goes on working */
	if (n == PCAP_ERROR && errno == ENOBUFS) {
		c->n_overruns++;
		return 0;
	}
	if (n == PCAP_ERROR)
		return err_set(err, -EIO, "capture: %s", pcap_geterr(c->pcap));
	return n < 0 ? 0 : n;
}

uint64_t learn_capture_truncated(const struct learn_capture *c)
{
	return c->n_truncated;
}

uint64_t learn_capture_overruns(const struct learn_capture *c)
{
	struct pcap_stat st;

	/* libpcap counts the records a full socket lost as drops, where it can tell */
	if (pcap_stats(c->pcap, &st) == 0 && st.ps_drop > c->n_overruns)
		return st.ps_drop;
	return c->n_overruns;
}
