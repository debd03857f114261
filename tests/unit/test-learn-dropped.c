/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drop-log records (learn/dropped.h): the learning fixtures wrapped as the
 * drop chains' NFLOG samples, with every prefix the firewall writes, a port
 * on each side and hook, the summaries, malformed frames that still say
 * what is known, and prefixes that are not a drop sample's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fw/compile-internal.h"
#include "fw/compile.h"
#include "learn-frames.h"
#include "learn-frames6.h"
#include "learn/dropped.h"
#include "util/strbuf.h"

#define NFLOG_CAP 2048

static const char *const *reasons = fw_drop_reason_names;

/* An Ethernet frame as a bridge record with this prefix: from port 7, or towards port 9. */
static size_t sample(const uint8_t *frame, size_t len, const char *prefix, bool is_out,
		     uint8_t *rec)
{
	const struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = (uint16_t)(frame[12] << 8 | frame[13]),
		.indev = is_out ? 3 : 0,
		.physindev = is_out ? 7 : 0,
		.outdev = is_out ? 0 : 3,
		.physoutdev = is_out ? 0 : 9,
		.src_mac = frame + 6,
		.payload = frame + 14,
		.payload_len = len - 14,
		.prefix = prefix,
	};

	return fx_nflog_build(&spec, rec, NFLOG_CAP);
}

static void expect_summary(const uint8_t *frame, size_t len, const char *prefix, bool is_out,
			   const char *expected)
{
	uint8_t rec[NFLOG_CAP];
	struct learn_dropped d;
	char line[LEARN_DROPPED_SUMMARY_MAX];
	size_t n = sample(frame, len, prefix, is_out, rec);

	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	learn_dropped_format(&d, line, sizeof(line));
	assert_string_equal(line, expected);
}

static void expect_reject(const uint8_t *rec, size_t n, enum learn_drop reason)
{
	struct learn_dropped d, before;

	memset(&before, 0xa5, sizeof(before));
	d = before;
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), -(int)reason);
	assert_memory_equal(&d, &before, sizeof(d));
}

/* Every log statement fw/drops.c writes decodes to the reason and side of its chain. */
static void test_every_prefix_fw_writes(void **state)
{
	struct strbuf sb;
	const char *p;
	unsigned n_seen = 0;

	strbuf_init(&sb);
	fw_drops_base_add(&sb, FW_ATTACH_BRIDGE, FW_DROP_LOG_GROUP_DEFAULT);
	for (p = strstr(sb.buf, "log prefix \""); p; p = strstr(p + 1, "log prefix \"")) {
		char prefix[64], chain[64];
		const char *start = p + strlen("log prefix \""), *end = strchr(start, '"');
		const char *rule = p, *chain_start;
		uint8_t rec[NFLOG_CAP];
		struct learn_dropped d;
		bool is_out;
		size_t n;

		assert_non_null(end);
		assert_true((size_t)(end - start) < sizeof(prefix));
		memcpy(prefix, start, (size_t)(end - start));
		prefix[end - start] = '\0';
		/* the chain the rule is in: "... vifguard drop-REASON-S add @drop-log-rate" */
		while (rule > sb.buf && rule[-1] != '\n')
			rule--;
		chain_start = strstr(rule, " drop-");
		assert_true(chain_start && chain_start < p);
		assert_int_equal(sscanf(chain_start + 1, "%63s", chain), 1);
		is_out = chain[strlen(chain) - 1] == 'o';

		n = sample(fx_arp_request, sizeof(fx_arp_request), prefix, is_out, rec);
		assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
		assert_int_equal(d.is_out, is_out);
		assert_int_equal(d.ifindex, is_out ? 7 : 9);
		assert_int_equal(d.payload_result, 0);
		chain[strlen(chain) - 2] = '\0';
		assert_string_equal(chain + strlen("drop-"), reasons[d.reason]);
		n_seen++;
	}
	assert_int_equal(n_seen, 2 * _FW_DROP_MAX);
	strbuf_fini(&sb);
	(void)state;
}

static void test_ports(void **state)
{
	uint8_t rec[NFLOG_CAP];
	struct learn_dropped d;
	size_t n;
	/* at the bridge's forward hook a record names both ports: the letter picks */
	struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_ARP,
		.indev = 3,
		.physindev = 7,
		.outdev = 3,
		.physoutdev = 9,
		.src_mac = fx_vm_mac,
		.payload = fx_arp_request + 14,
		.payload_len = 28,
		.prefix = "vgd arp-spoofing o",
	};

	n = fx_nflog_build(&spec, rec, sizeof(rec));
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	assert_int_equal(d.ifindex, 7);
	assert_true(d.is_out);
	assert_int_equal(d.reason, FW_DROP_ARP_SPOOFING);
	spec.prefix = "vgd filter i";
	n = fx_nflog_build(&spec, rec, sizeof(rec));
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	assert_int_equal(d.ifindex, 9);
	assert_false(d.is_out);
	assert_int_equal(d.reason, FW_DROP_FILTER);

	/* the side the letter names has no device: no port to report */
	spec.physoutdev = spec.outdev = 0;
	n = fx_nflog_build(&spec, rec, sizeof(rec));
	expect_reject(rec, n, LEARN_DROP_BAD_PREFIX);

	/* netdev egress (a macvtap, from the guest): the frame from its Ethernet header */
	const struct fx_nflog egress = {
		.family = 5,
		.hook = 1,
		.hw_protocol = LEARN_ETHERTYPE_ARP,
		.outdev = 4,
		.payload = fx_arp_request,
		.payload_len = sizeof(fx_arp_request),
		.prefix = "vgd source-mac o",
	};
	char line[LEARN_DROPPED_SUMMARY_MAX];

	n = fx_nflog_build(&egress, rec, sizeof(rec));
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	assert_int_equal(d.ifindex, 4);
	assert_true(d.is_out);
	learn_dropped_format(&d, line, sizeof(line));
	assert_string_equal(line, "from the guest: 52:54:00:12:34:56 arp request sender "
				  "192.168.122.50 52:54:00:12:34:56 target 192.168.122.1");

	/* netdev ingress names only the port, whichever the side (a tap's quarantine) */
	const struct fx_nflog ingress = {
		.family = 5,
		.hook = 0,
		.hw_protocol = LEARN_ETHERTYPE_IPV4,
		.indev = 4,
		.src_mac = fx_server_mac,
		.payload = fx_icmp_echo + 14,
		.payload_len = sizeof(fx_icmp_echo) - 14,
		.prefix = "vgd quarantine o",
	};

	n = fx_nflog_build(&ingress, rec, sizeof(rec));
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	assert_int_equal(d.ifindex, 4);
	assert_int_equal(d.reason, FW_DROP_QUARANTINE);
	(void)state;
}

static void test_prefix_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"vg-o",
		"vg-i",
		"vgd",
		"vgd ",
		"vgd o",
		"vgd  o",
		"vgd source-mac",
		"vgd source-mac ",
		"vgd source-mac x",
		"vgd source-mac oo",
		"vgd source-mac o ",
		"vgd source-mac-o",
		"vgd source-macx o",
		"vgd source-ma o",
		"vgd nosuch i",
		"VGD source-mac o",
		" vgd source-mac o",
		"vgdsource-mac o",
	};
	uint8_t rec[NFLOG_CAP];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = sample(fx_arp_request, sizeof(fx_arp_request), bad[i], true, rec);
		expect_reject(rec, n, LEARN_DROP_BAD_PREFIX);
	}
	/* no prefix at all */
	n = sample(fx_arp_request, sizeof(fx_arp_request), NULL, true, rec);
	expect_reject(rec, n, LEARN_DROP_BAD_PREFIX);
	/* a reason the caller does not know (its table shorter) */
	n = sample(fx_arp_request, sizeof(fx_arp_request), "vgd unbound o", true, rec);
	struct learn_dropped d;

	assert_int_equal(learn_dropped_parse(rec, n, reasons, FW_DROP_UNBOUND, &d),
			 -LEARN_DROP_BAD_PREFIX);
	/* the NFLOG layer's own faults come first */
	expect_reject(rec, 3, LEARN_DROP_TRUNCATED);
	expect_reject(rec, n - 30, LEARN_DROP_TRUNCATED);
	rec[1] = 1;
	expect_reject(rec, n, LEARN_DROP_BAD_NFLOG);
	(void)state;
}

static void test_summaries(void **state)
{
	struct fx6_frame fx6[_FX6_MAX];
	uint8_t b[128];

	expect_summary(fx_arp_request, sizeof(fx_arp_request), "vgd arp-spoofing o", true,
		       "from the guest: 52:54:00:12:34:56 arp request sender 192.168.122.50 "
		       "52:54:00:12:34:56 target 192.168.122.1");
	expect_summary(fx_arp_reply, sizeof(fx_arp_reply), "vgd filter i", false,
		       "to the guest: 52:54:00:12:34:56 arp reply sender 192.168.122.50 "
		       "52:54:00:12:34:56 target 192.168.122.1");
	expect_summary(fx_dns_query, sizeof(fx_dns_query), "vgd source-ip o", true,
		       "from the guest: 52:54:00:12:34:56 ipv4 192.168.122.77 -> 192.168.122.1 "
		       "udp 40000 -> 53");
	expect_summary(fx_icmp_echo, sizeof(fx_icmp_echo), "vgd source-ip o", true,
		       "from the guest: 52:54:00:12:34:56 ipv4 192.168.122.77 -> 192.168.122.1 "
		       "icmp");
	expect_summary(fx_dhcp_offer, sizeof(fx_dhcp_offer), "vgd rogue-dhcp o", true,
		       "from the guest: 52:54:00:aa:bb:cc ipv4 192.168.122.1 -> 192.168.122.50 "
		       "udp 67 -> 68");

	/* TCP, another protocol, a fragment (no ports: its UDP header is not read) */
	memcpy(b, fx_icmp_echo, sizeof(fx_icmp_echo));
	b[FX_OFF_IP_PROTO] = 6;
	expect_summary(b, sizeof(fx_icmp_echo), "vgd filter o", true,
		       "from the guest: 52:54:00:12:34:56 ipv4 192.168.122.77 -> 192.168.122.1 "
		       "tcp");
	b[FX_OFF_IP_PROTO] = 47;
	expect_summary(b, sizeof(fx_icmp_echo), "vgd filter o", true,
		       "from the guest: 52:54:00:12:34:56 ipv4 192.168.122.77 -> 192.168.122.1 "
		       "proto 47");
	memcpy(b, fx_dns_query, sizeof(fx_dns_query));
	b[FX_OFF_IP_FRAG] = 0x20; /* MF */
	expect_summary(b, sizeof(fx_dns_query), "vgd filter o", true,
		       "from the guest: 52:54:00:12:34:56 ipv4 192.168.122.77 -> 192.168.122.1 "
		       "udp fragment");

	/* other ethertypes: named, or the number */
	memcpy(b, fx_arp_request, sizeof(fx_arp_request));
	b[12] = 0x88, b[13] = 0xb5;
	expect_summary(b, sizeof(fx_arp_request), "vgd other-ethertype o", true,
		       "from the guest: 52:54:00:12:34:56 0x88b5");
	b[12] = 0x88, b[13] = 0xcc;
	expect_summary(b, sizeof(fx_arp_request), "vgd other-ethertype o", true,
		       "from the guest: 52:54:00:12:34:56 lldp");

	/* IPv6: ND with its target, DHCPv6 with ports */
	fx6_build_all(fx6);
	expect_summary(fx6[FX6_DAD_NS].bytes, fx6[FX6_DAD_NS].len, "vgd ndp-spoofing o", true,
		       "from the guest: 52:54:00:12:34:56 ipv6 :: -> ff02::1:ff12:3456 icmpv6 "
		       "neighbor-solicitation target fe80::5054:ff:fe12:3456");
	expect_summary(fx6[FX6_RA].bytes, fx6[FX6_RA].len, "vgd rogue-ra o", true,
		       "from the guest: 52:54:00:aa:bb:cc ipv6 fe80::5054:ff:feaa:bbcc -> ff02::1 "
		       "icmpv6 router-advertisement");
	expect_summary(fx6[FX6_SOLICIT].bytes, fx6[FX6_SOLICIT].len, "vgd source-ip o", true,
		       "from the guest: 52:54:00:12:34:56 ipv6 fe80::5054:ff:fe12:3456 -> "
		       "ff02::1:2 udp 546 -> 547");
	(void)state;
}

/* A frame that does not parse still says where, why, who and what kind. */
static void test_malformed(void **state)
{
	uint8_t b[128], rec[NFLOG_CAP];
	struct learn_dropped d;
	size_t n;

	memcpy(b, fx_icmp_echo, sizeof(fx_icmp_echo));
	b[FX_OFF_IP] = 0x55; /* version 5 */
	n = sample(b, sizeof(fx_icmp_echo), "vgd source-ip o", true, rec);
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	assert_int_equal(d.payload_result, -LEARN_DROP_BAD_IPV4);
	assert_int_equal(d.ifindex, 7);
	assert_int_equal(d.reason, FW_DROP_SOURCE_IP);
	assert_int_equal(d.frame.l3, LEARN_L3_OTHER);
	expect_summary(b, sizeof(fx_icmp_echo), "vgd source-ip o", true,
		       "from the guest: 52:54:00:12:34:56 ipv4 (malformed: bad-ipv4)");

	/* cut short: an ARP body of 10 bytes, an IPv6 header of 20 */
	expect_summary(fx_arp_request, 24, "vgd arp-spoofing o", true,
		       "from the guest: 52:54:00:12:34:56 arp (malformed: truncated)");
	struct fx6_frame fx6[_FX6_MAX];

	fx6_build_all(fx6);
	expect_summary(fx6[FX6_DAD_NS].bytes, 34, "vgd ndp-spoofing i", false,
		       "to the guest: 52:54:00:12:34:56 ipv6 (malformed: bad-ipv6)");

	/* a third VLAN tag: the header's one kept, the ethertype the record's */
	const struct fx_nflog qinq = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_8021Q,
		.physindev = 7,
		.src_mac = fx_vm_mac,
		.has_vlan = true,
		.vlan_tci = 100,
		.payload = (const uint8_t[]){ 0, 5, 0x81, 0, 0, 6, 0x08, 0x06 },
		.payload_len = 8,
		.prefix = "vgd other-ethertype o",
	};
	char line[LEARN_DROPPED_SUMMARY_MAX];

	n = fx_nflog_build(&qinq, rec, sizeof(rec));
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	learn_dropped_format(&d, line, sizeof(line));
	assert_string_equal(line, "from the guest: 52:54:00:12:34:56 vlan 100 802.1q "
				  "(malformed: too-many-vlans)");

	/* at postrouting: no HWADDR, the MAC from the bridge's L2 header */
	uint8_t l2rec[NFLOG_CAP], t[32];
	size_t tl;

	n = fx_nflog_build(&(const struct fx_nflog){ .family = 7,
						     .hw_protocol = 0x0800,
						     .physoutdev = 9,
						     .payload = fx_icmp_echo + 14,
						     .payload_len = sizeof(fx_icmp_echo) - 14,
						     .prefix = "vgd filter i" },
			   l2rec, sizeof(l2rec));
	/* the L2HDR TLV goes before PAYLOAD, the last one */
	tl = fx_tlv(t, 0, 21, fx_icmp_echo, 14);
	memcpy(rec, l2rec, n - (4 + 36));
	memcpy(rec + n - (4 + 36), t, tl);
	memcpy(rec + n - (4 + 36) + tl, l2rec + n - (4 + 36), 4 + 36);
	assert_int_equal(learn_dropped_parse(rec, n + tl, reasons, _FW_DROP_MAX, &d), 0);
	learn_dropped_format(&d, line, sizeof(line));
	assert_string_equal(line, "to the guest: 52:54:00:12:34:56 ipv4 192.168.122.77 -> "
				  "192.168.122.1 icmp");

	/* no HWADDR nor L2HDR: no MAC to name */
	const struct fx_nflog nomac = {
		.family = 7,
		.hw_protocol = 0x0800,
		.physoutdev = 9,
		.payload = (const uint8_t[]){ 0x45 },
		.payload_len = 1,
		.prefix = "vgd learning i",
	};

	n = fx_nflog_build(&nomac, rec, sizeof(rec));
	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	learn_dropped_format(&d, line, sizeof(line));
	assert_string_equal(line, "to the guest: ipv4 (malformed: truncated)");
	(void)state;
}

/* A short buffer holds the start of the line, always terminated. */
static void test_format_cut(void **state)
{
	uint8_t rec[NFLOG_CAP];
	struct learn_dropped d;
	char full[LEARN_DROPPED_SUMMARY_MAX], cut[LEARN_DROPPED_SUMMARY_MAX];
	size_t n = sample(fx_dns_query, sizeof(fx_dns_query), "vgd filter o", true, rec);

	assert_int_equal(learn_dropped_parse(rec, n, reasons, _FW_DROP_MAX, &d), 0);
	learn_dropped_format(&d, full, sizeof(full));
	for (size_t size = 1; size <= strlen(full) + 1; size++) {
		memset(cut, 'Z', sizeof(cut));
		learn_dropped_format(&d, cut, size);
		assert_int_equal(strlen(cut), size - 1);
		assert_memory_equal(cut, full, size - 1);
		assert_int_equal(cut[size], 'Z');
	}
	memset(cut, 'Z', sizeof(cut));
	learn_dropped_format(&d, cut, 0);
	assert_int_equal(cut[0], 'Z');
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_prefix_fw_writes),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_prefix_rejects),
		cmocka_unit_test(test_summaries),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_format_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
