/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The learning parsers and policy: the bytes go to learn_nflog_parse() as an
 * NFLOG record, to learn_eth_parse() as an Ethernet frame and to
 * learn_dhcp_parse() as a DHCP message. Besides "never crash": a rejection
 * names a parser drop reason and leaves the output untouched; an accepted
 * frame is consistent (flags imply their layers, at most two VLANs); and the
 * policy, run on it for a port that matches the frame as closely as possible
 * (its MAC, its xid, its server, its addresses), never learns an address
 * that is not learnable and never removes one the port does not have.
 * As a drop-log record (learn_dropped_parse()): a port and a known reason
 * when accepted, and a summary that is printable ASCII and fits any buffer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/compile.h"
#include "learn/dropped.h"
#include "learn/frame.h"
#include "learn/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parsers' reasons: the malformed group, and IPv6's one (appended later). */
static bool is_parser_drop(int r)
{
	return (-r >= LEARN_DROP_TRUNCATED && -r <= LEARN_DROP_BAD_OPTIONS) ||
	       -r == LEARN_DROP_BAD_IPV6;
}

static void check_drop(int r, const void *out, const void *before, size_t n)
{
	if (r > 0 || (r < 0 && !is_parser_drop(r)))
		abort();
	if (r < 0 && memcmp(out, before, n) != 0)
		abort();
}

static void check_frame(const struct learn_frame *f)
{
	if (f->n_vlan > LEARN_VLAN_MAX || f->ethertype < 0x0600 || f->indev < 0 || f->outdev < 0)
		abort();
	if (f->is_udp && (f->l3 != LEARN_L3_IPV4 || f->ipv4.is_fragment || f->ipv4.proto != 17))
		abort();
	if (f->is_dhcp &&
	    (!f->is_udp || (f->dhcp.op != LEARN_BOOTREQUEST && f->dhcp.op != LEARN_BOOTREPLY)))
		abort();
	if (f->is_dhcp && !f->dhcp.has_cookie && f->dhcp.msg_type != 0)
		abort();
}

static void check_decision(const struct learn_port *p, const struct learn_frame *f, int r,
			   const struct learn_decision *d)
{
	if (r != (int)d->verdict || r < 0 || r >= _LEARN_VERDICT_MAX)
		abort();
	if ((r == LEARN_VERDICT_IGNORE) != (d->reason != LEARN_DROP_NONE) ||
	    d->reason >= _LEARN_DROP_MAX)
		abort();
	if ((r == LEARN_VERDICT_LEARN || r == LEARN_VERDICT_RENEW) &&
	    learn_addr_check(d->addr) != LEARN_DROP_NONE)
		abort();
	if (r == LEARN_VERDICT_LEARN && d->source != LEARN_SOURCE_DHCP &&
	    (p->mode != LEARN_MODE_ANY || !p->is_learning))
		abort();
	if (r == LEARN_VERDICT_LEARN && d->source == LEARN_SOURCE_DHCP &&
	    f->dhcp.msg_type != LEARN_DHCPACK)
		abort();
	if (r == LEARN_VERDICT_LEARN && d->source == LEARN_SOURCE_ARP &&
	    memcmp(d->addr, f->arp.spa, 4) != 0)
		abort();
	if (r == LEARN_VERDICT_REMOVE || r == LEARN_VERDICT_RENEW) {
		size_t i;

		for (i = 0; i < p->n_addrs; i++)
			if (memcmp(p->addrs[i], d->addr, 4) == 0)
				break;
		if (i == p->n_addrs)
			abort();
	}
	(void)learn_drop_name(d->reason);
	(void)learn_verdict_name(d->verdict);
	(void)learn_source_name(d->source);
}

/* Every mode, direction and state, for a port shaped after the frame. */
static void decide_all(const struct learn_frame *f)
{
	const uint8_t addrs[3][4] = {
		{ f->dhcp.ciaddr[0], f->dhcp.ciaddr[1], f->dhcp.ciaddr[2], f->dhcp.ciaddr[3] },
		{ f->dhcp.requested[0], f->dhcp.requested[1], f->dhcp.requested[2],
		  f->dhcp.requested[3] },
		{ f->dhcp.yiaddr[0], f->dhcp.yiaddr[1], f->dhcp.yiaddr[2], f->dhcp.yiaddr[3] },
	};
	const uint8_t servers[1][4] = {
		{ f->ipv4.src[0], f->ipv4.src[1], f->ipv4.src[2], f->ipv4.src[3] },
	};

	for (unsigned i = 0; i < 16; i++) {
		struct learn_port p = {
			.mode = i & 1 ? LEARN_MODE_DHCP : LEARN_MODE_ANY,
			.is_learning = !(i & 2),
			.servers = servers,
			.n_servers = i & 4 ? 1 : 0,
			.addrs = addrs,
			.n_addrs = i & 2 ? 3 : 0,
		};
		enum learn_dir dir = i & 8 ? LEARN_DIR_TO_VM : LEARN_DIR_FROM_VM;
		struct learn_decision d;
		int r;

		memcpy(p.vm_mac,
		       f->has_src_mac && dir == LEARN_DIR_FROM_VM ? f->src_mac : f->dhcp.chaddr, 6);
		learn_xids_record(&p.xids, f->dhcp.xid, addrs[1], 0);
		r = learn_decide(&p, dir, f, &d);
		check_decision(&p, f, r, &d);
	}
}

static void check_dropped(const uint8_t *data, size_t size)
{
	struct learn_dropped d, before;
	char line[LEARN_DROPPED_SUMMARY_MAX], cut[16];
	int r;

	memset(&before, 0xa5, sizeof(before));
	d = before;
	r = learn_dropped_parse(data, size, fw_drop_reason_names, _FW_DROP_MAX, &d);
	if (r < 0 && -r == LEARN_DROP_BAD_PREFIX) {
		if (memcmp(&d, &before, sizeof(d)) != 0)
			abort();
		return;
	}
	check_drop(r, &d, &before, sizeof(d));
	if (r < 0)
		return;
	if (d.ifindex <= 0 || d.reason >= _FW_DROP_MAX || !d.frame.has_prefix ||
	    (d.payload_result < 0 &&
	     (!is_parser_drop(d.payload_result) || d.frame.l3 != LEARN_L3_OTHER)) ||
	    d.payload_result > 0)
		abort();
	if (d.payload_result == 0)
		check_frame(&d.frame);
	learn_dropped_format(&d, line, sizeof(line));
	for (const char *p = line; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	learn_dropped_format(&d, cut, sizeof(cut));
	if (strlen(cut) >= sizeof(cut) || strncmp(cut, line, strlen(cut)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct learn_frame f, before;
	struct learn_dhcp d, d_before;
	int r;

	memset(&before, 0xa5, sizeof(before));
	f = before;
	r = learn_nflog_parse(data, size, &f);
	check_drop(r, &f, &before, sizeof(f));
	if (r == 0) {
		check_frame(&f);
		decide_all(&f);
	}

	f = before;
	r = learn_eth_parse(data, size, &f);
	check_drop(r, &f, &before, sizeof(f));
	if (r == 0) {
		if (!f.has_src_mac || f.indev || f.outdev)
			abort();
		check_frame(&f);
		decide_all(&f);
	}

	check_dropped(data, size);

	memset(&d_before, 0x5a, sizeof(d_before));
	d = d_before;
	r = learn_dhcp_parse(data, size, &d);
	check_drop(r, &d, &d_before, sizeof(d));
	return 0;
}
