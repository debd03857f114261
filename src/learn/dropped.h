/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Samples of dropped frames, from the drop log's NFLOG group: the shared
 * chains drop-REASON-o|i (fw/drops.c) log each with the prefix
 * "vgd REASON o|i". Untrusted bytes in, which port, why and what out.
 * Pure: no I/O, no allocation, no globals.
 *
 * The reasons are the caller's table (fw_drop_reason_names): learn/ knows
 * no firewall, and a reason outside the table is refused rather than shown.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "learn/frame.h"

/* Room for the longest summary: MAC, two VLANs, two IPv6 addresses, ports, a target. */
#define LEARN_DROPPED_SUMMARY_MAX 256

struct learn_dropped {
	int ifindex;   /* the guest's port */
	bool is_out;   /* "o": sent by the guest; "i": on its way to it */
	size_t reason; /* index into the caller's reason names */
	/*
	 * 0, or -LEARN_DROP_* why the frame past the NFLOG header did not parse:
	 * then frame has only what the header says (l3 LEARN_L3_OTHER).
	 */
	int payload_result;
	struct learn_frame frame;
};

/*
 * One record of the drop log. Returns 0, or -LEARN_DROP_* when the NFLOG
 * layer is malformed, or -LEARN_DROP_BAD_PREFIX when the prefix is not
 * "vgd REASON o|i" with a REASON among reasons[0..n_reasons) or the record
 * names no device on that side. A frame that does not parse is no failure:
 * see payload_result. *ret is untouched on failure.
 *
 * The port: from a bridge, the input device of a frame the guest sent and
 * the output device of one towards it (at the forward hook a record has
 * both); from a netdev hook, the one device it names.
 */
int learn_dropped_parse(const uint8_t *buf, size_t len, const char *const *reasons,
			size_t n_reasons, struct learn_dropped *ret);

/*
 * What was dropped, on one line: source MAC, VLANs, ethertype, then for ARP
 * the operation, sender address and MAC and target address; for IPv4 and
 * IPv6 source -> destination and the protocol with its ports or ICMPv6 type
 * (and an ND target); then why the frame was malformed, if it was. Always
 * NUL-terminated within size (cut if size is short).
 */
void learn_dropped_format(const struct learn_dropped *d, char *buf, size_t size);

/* "ipv4", "arp", ..., else NULL (the caller shows the number). */
const char *learn_ethertype_name(uint16_t ethertype);
