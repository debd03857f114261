/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * link/msg.c: RTM_NEWLINK/RTM_DELLINK parsing and the datagram walk, on
 * messages built by hand with libmnl's builder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <libmnl/libmnl.h>

#include "link/link.h"
#include "link/link-internal.h"
#include "testlib.h"

#define BUF_SIZE 8192

static _Alignas(struct nlmsghdr) uint8_t buf[BUF_SIZE];
static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static struct nlmsghdr *put_link(void *at, uint16_t type, uint8_t family, int ifindex,
				 unsigned short arphrd, unsigned flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = family;
	ifm->ifi_index = ifindex;
	ifm->ifi_type = arphrd;
	ifm->ifi_flags = flags;
	return nlh;
}

/* A message as the kernel sends it for a veth on a bridge. */
static struct nlmsghdr *put_veth(void *at, uint16_t type)
{
	struct nlmsghdr *nlh =
		put_link(at, type, AF_UNSPEC, 7, ARPHRD_ETHER, IFF_UP | IFF_BROADCAST);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "vnet0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac1), mac1);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 3);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static int parse(const struct nlmsghdr *nlh, struct link_event *ev)
{
	return link_msg_parse(nlh, nlh->nlmsg_len, ev);
}

/* Parses and checks that a failure leaves *ret untouched. */
static int parse_untouched(const void *msg, size_t len)
{
	struct link_event ev, sentinel;
	int r;

	memset(&ev, 0xa5, sizeof(ev));
	memset(&sentinel, 0xa5, sizeof(sentinel));
	r = link_msg_parse(msg, len, &ev);
	if (r < 0)
		assert_memory_equal(&ev, &sentinel, sizeof(ev));
	return r;
}

static void test_newlink(void **state)
{
	struct link_event ev;

	assert_int_equal(parse(put_veth(buf, RTM_NEWLINK), &ev), 0);
	assert_int_equal(ev.type, LINK_EVENT_NEW);
	assert_false(ev.is_dump);
	assert_int_equal(ev.info.ifindex, 7);
	assert_string_equal(ev.info.name, "vnet0");
	assert_true(ev.info.has_mac);
	assert_memory_equal(ev.info.mac, mac1, 6);
	assert_true(ev.info.is_up);
	assert_int_equal(ev.info.master, 3);
	assert_int_equal(ev.info.type, ARPHRD_ETHER);
	assert_string_equal(ev.info.kind, "veth");
}

static void test_dellink_minimal(void **state)
{
	struct nlmsghdr *nlh = put_link(buf, RTM_DELLINK, AF_UNSPEC, 12, ARPHRD_NONE, 0);
	struct link_event ev;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "tun0");
	assert_int_equal(parse(nlh, &ev), 0);
	assert_int_equal(ev.type, LINK_EVENT_DEL);
	assert_int_equal(ev.info.ifindex, 12);
	assert_string_equal(ev.info.name, "tun0");
	assert_false(ev.info.has_mac);
	assert_false(ev.info.is_up);
	assert_int_equal(ev.info.master, 0);
	assert_string_equal(ev.info.kind, "");
}

/* Attribute ends (padding included): cutting there leaves a shorter valid framing. */
static bool is_attr_boundary(const struct nlmsghdr *nlh, size_t k)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg));

	while (off < nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)((const uint8_t *)nlh + off);

		if (k >= off + a->nla_len && k <= off + MNL_ALIGN(a->nla_len))
			return true;
		off += MNL_ALIGN(a->nla_len);
	}
	return false;
}

static void test_truncated_every_length(void **state)
{
	struct nlmsghdr *nlh = put_veth(buf, RTM_NEWLINK);
	size_t full = nlh->nlmsg_len;
	_Alignas(struct nlmsghdr) uint8_t copy[BUF_SIZE];

	for (size_t k = 0; k < full; k++) {
		/* The buffer ends early; the header still claims the full length. */
		uint8_t *exact = malloc(k ? k : 1);

		assert_non_null(exact);
		memcpy(exact, buf, k);
		assert_int_equal(parse_untouched(exact, k), -EBADMSG);
		free(exact);

		/* The header agrees with the cut: only a cut between attributes may parse. */
		if (k < sizeof(struct nlmsghdr))
			continue;
		memcpy(copy, buf, k);
		((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)k;
		if (k < MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) || !is_attr_boundary(nlh, k))
			assert_int_equal(parse_untouched(copy, k), -EBADMSG);
	}
}

static void test_trailing_bytes(void **state)
{
	struct nlmsghdr *nlh = put_veth(buf, RTM_NEWLINK);

	/* len must equal nlmsg_len: one message, nothing after it. */
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len + 4), -EBADMSG);
	nlh->nlmsg_len = 8;
	assert_int_equal(parse_untouched(nlh, 8), -EBADMSG);
}

static void test_address_lengths(void **state)
{
	static const uint8_t addr[33] = { 1, 2, 3, 4, 5 };
	struct link_event ev;
	struct nlmsghdr *nlh;

	/* Ethernet with a 5-byte address: malformed. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 2, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put(nlh, IFLA_ADDRESS, 5, addr);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);

	/* IPoIB's 20 bytes are real, just not a MAC. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 2, ARPHRD_INFINIBAND, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "ib0");
	mnl_attr_put(nlh, IFLA_ADDRESS, 20, addr);
	assert_int_equal(parse(nlh, &ev), 0);
	assert_false(ev.info.has_mac);

	/* A 5-byte address on a non-Ethernet type: ignored. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 2, ARPHRD_NONE, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x0");
	mnl_attr_put(nlh, IFLA_ADDRESS, 5, addr);
	assert_int_equal(parse(nlh, &ev), 0);
	assert_false(ev.info.has_mac);

	/* Longer than MAX_ADDR_LEN: no kernel sends that. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 2, ARPHRD_NONE, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "x0");
	mnl_attr_put(nlh, IFLA_ADDRESS, 33, addr);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);
}

static int parse_with_name(const void *name, size_t len)
{
	struct nlmsghdr *nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);

	mnl_attr_put(nlh, IFLA_IFNAME, len, name);
	return parse_untouched(nlh, nlh->nlmsg_len);
}

static void test_names(void **state)
{
	struct link_event ev;
	struct nlmsghdr *nlh;

	assert_int_equal(parse_with_name("eth0", 4), -EBADMSG);              /* no NUL */
	assert_int_equal(parse_with_name("", 1), -EBADMSG);                  /* empty */
	assert_int_equal(parse_with_name("", 0), -EBADMSG);                  /* no payload */
	assert_int_equal(parse_with_name("0123456789abcdef", 17), -EBADMSG); /* 16 bytes */
	assert_int_equal(parse_with_name("a/b", 4), -EBADMSG);
	assert_int_equal(parse_with_name("a:b", 4), -EBADMSG);
	assert_int_equal(parse_with_name("a b", 4), -EBADMSG);
	assert_int_equal(parse_with_name("a\nb", 4), -EBADMSG);
	assert_int_equal(parse_with_name(".", 2), -EBADMSG);
	assert_int_equal(parse_with_name("..", 3), -EBADMSG);
	assert_int_equal(parse_with_name("eth0\0x", 7), -EBADMSG);   /* hidden behind a NUL */
	assert_int_equal(parse_with_name("0123456789abcde", 16), 0); /* 15 bytes */
	assert_int_equal(parse_with_name("eth0\0\0\0", 7), 0);       /* NUL padding */
	assert_int_equal(parse_with_name("...", 4), 0);
	assert_int_equal(parse_with_name("v\xc3\xa9th", 6), 0); /* the kernel allows UTF-8 */

	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth1"); /* the last one wins */
	assert_int_equal(parse(nlh, &ev), 0);
	assert_string_equal(ev.info.name, "eth1");

	/* No name at all. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac1), mac1);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);
}

static void test_unknown_attrs_ignored(void **state)
{
	static const uint8_t junk[7] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct nlmsghdr *nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 9, ARPHRD_ETHER, IFF_UP);
	struct link_event ev;

	mnl_attr_put(nlh, IFLA_MAX + 1, sizeof(junk), junk);
	mnl_attr_put(nlh, 0x3fff, 0, NULL);
	mnl_attr_put(nlh, NLA_F_NESTED | (IFLA_MAX + 7), 3, junk);
	mnl_attr_put(nlh, IFLA_MTU, 7, junk); /* known to the kernel, unused here */
	mnl_attr_put(nlh, IFLA_UNSPEC, 1, junk);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "tap3");
	assert_int_equal(parse(nlh, &ev), 0);
	assert_string_equal(ev.info.name, "tap3");
	assert_int_equal(ev.info.ifindex, 9);
}

static void test_master(void **state)
{
	struct nlmsghdr *nlh;
	uint64_t big = 3;

	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u16(nlh, IFLA_MASTER, 3);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);

	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put(nlh, IFLA_MASTER, sizeof(big), &big);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);

	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(nlh, IFLA_MASTER, 0x80000000u);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);
}

static void test_linkinfo(void **state)
{
	struct link_event ev;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	/* A kind too long for kind[] is left empty, not truncated. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "0123456789abcdef");
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(parse(nlh, &ev), 0);
	assert_string_equal(ev.info.kind, "");

	/* 15 bytes fit. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "0123456789abcde");
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(parse(nlh, &ev), 0);
	assert_string_equal(ev.info.kind, "0123456789abcde");

	/* Not NUL-terminated. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put(nlh, IFLA_INFO_KIND, 4, "veth");
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);

	/* An empty nest and a nest without a kind. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, IFLA_LINKINFO));
	assert_int_equal(parse(nlh, &ev), 0);
	assert_string_equal(ev.info.kind, "");

	/* A nest whose inner attribute overruns it. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, nest);
	((struct nlattr *)mnl_attr_get_payload(nest))->nla_len = 40;
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);

	/* A nest of 2 bytes: too short to hold an attribute header. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put(nlh, IFLA_LINKINFO, 2, "ab");
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);
}

static void test_not_a_link_message(void **state)
{
	struct nlmsghdr *nlh;

	/* A bridge port notification: its DELLINK means "left the bridge". */
	nlh = put_link(buf, RTM_DELLINK, AF_BRIDGE, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "vnet0");
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -ENOMSG);

	nlh = put_link(buf, RTM_NEWADDR, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -ENOMSG);

	for (int idx = -1; idx <= 0; idx++) {
		nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, idx, ARPHRD_ETHER, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
		assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);
	}

	/* An attribute claiming more than the message holds. */
	nlh = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	((struct nlattr *)mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg)))->nla_len =
		200;
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);

	/* An attribute length below its own header. */
	((struct nlattr *)mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg)))->nla_len = 2;
	assert_int_equal(parse_untouched(nlh, nlh->nlmsg_len), -EBADMSG);
}

static void test_diff(void **state)
{
	struct link_info a = { .ifindex = 5, .name = "vnet0", .has_mac = true, .is_up = true };
	struct link_info b = a;

	memcpy(a.mac, mac1, 6);
	b = a;
	assert_int_equal(link_info_diff(&a, &b), 0);
	strcpy(b.name, "vnet1");
	assert_int_equal(link_info_diff(&a, &b), LINK_NAME_CHANGED);
	b.mac[5] ^= 1;
	assert_int_equal(link_info_diff(&a, &b), LINK_NAME_CHANGED | LINK_MAC_CHANGED);
	b = a;
	b.has_mac = false;
	assert_int_equal(link_info_diff(&a, &b), LINK_MAC_CHANGED);
	b = a;
	b.is_up = false;
	b.master = 9; /* not reported */
	assert_int_equal(link_info_diff(&a, &b), LINK_UP_CHANGED);
}

/* --- the datagram walk --- */

struct recorded {
	struct link_event ev[16];
	size_t n;
};

static void record(const struct link_event *ev, void *userdata)
{
	struct recorded *rec = userdata;

	assert_true(rec->n < 16);
	rec->ev[rec->n++] = *ev;
}

struct dgram {
	size_t len;
};

static struct nlmsghdr *next_msg(struct dgram *d)
{
	return (struct nlmsghdr *)(buf + d->len);
}

static void end_msg(struct dgram *d, struct nlmsghdr *nlh, uint32_t seq, uint16_t flags)
{
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= flags;
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void add_link(struct dgram *d, uint16_t type, int ifindex, const char *name, uint32_t seq,
		     uint16_t flags)
{
	struct nlmsghdr *nlh = put_link(next_msg(d), type, AF_UNSPEC, ifindex, ARPHRD_ETHER, 0);

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	end_msg(d, nlh, seq, flags);
}

static void add_done(struct dgram *d, uint32_t seq, int error, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(next_msg(d));

	nlh->nlmsg_type = NLMSG_DONE;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = error;
	end_msg(d, nlh, seq, NLM_F_MULTI | flags);
}

static void add_error(struct dgram *d, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(next_msg(d));
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	end_msg(d, nlh, seq, 0);
}

static void test_walk_dump(void **state)
{
	struct link_dump_state st = { .seq = 5, .is_dumping = true };
	struct recorded rec = { 0 };
	struct dgram d = { 0 };

	add_link(&d, RTM_NEWLINK, 1, "lo", 5, NLM_F_MULTI);
	add_link(&d, RTM_NEWLINK, 2, "vnet0", 0, 0); /* a notification in between */
	add_link(&d, RTM_DELLINK, 3, "vnet1", 0, 0);
	add_link(&d, RTM_NEWLINK, 4, "vnet2", 5, NLM_F_MULTI);
	add_done(&d, 5, 0, 0);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 4);
	assert_true(rec.ev[0].is_dump);
	assert_string_equal(rec.ev[0].info.name, "lo");
	assert_false(rec.ev[1].is_dump);
	assert_int_equal(rec.ev[2].type, LINK_EVENT_DEL);
	assert_false(rec.ev[2].is_dump);
	assert_true(rec.ev[3].is_dump);
	assert_false(st.is_dumping);
	assert_int_equal(st.n_resyncs, 0);

	/* After the dump, the same seq is a stranger's: no tagging, DONE ignored. */
	rec.n = 0;
	d.len = 0;
	add_link(&d, RTM_NEWLINK, 1, "lo", 5, NLM_F_MULTI);
	add_done(&d, 5, 0, NLM_F_DUMP_INTR);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_false(rec.ev[0].is_dump);
}

static void test_walk_dump_interrupted(void **state)
{
	struct link_dump_state st = { .seq = 9, .is_dumping = true };
	struct recorded rec = { 0 };
	struct dgram d = { 0 };

	/* Part one, then a part flagged by the kernel: the list changed meanwhile. */
	add_link(&d, RTM_NEWLINK, 1, "lo", 9, NLM_F_MULTI);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	d.len = 0;
	add_link(&d, RTM_NEWLINK, 4, "vnet2", 9, NLM_F_MULTI | NLM_F_DUMP_INTR);
	add_done(&d, 9, 0, NLM_F_DUMP_INTR);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 3);
	assert_true(rec.ev[1].is_dump);
	assert_int_equal(rec.ev[2].type, LINK_EVENT_RESYNC); /* after the entries, once */
	assert_false(st.is_dumping);
	assert_false(st.is_interrupted);
	assert_int_equal(st.n_resyncs, 1);
}

static void test_walk_dump_errors(void **state)
{
	struct link_dump_state st = { .seq = 9, .is_dumping = true };
	struct recorded rec = { 0 };
	struct dgram d = { 0 };

	/* The dump callback failed: NLMSG_DONE carries the error. */
	add_done(&d, 9, -EMSGSIZE, 0);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].type, LINK_EVENT_RESYNC);
	assert_false(st.is_dumping);

	/* The request was refused. */
	st = (struct link_dump_state){ .seq = 10, .is_dumping = true };
	rec.n = d.len = 0;
	add_error(&d, 10, -EBUSY);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].type, LINK_EVENT_RESYNC);
	assert_false(st.is_dumping);

	/* ENOBUFS at the start: the kernel keeps dumping; distrust it at the end. */
	st = (struct link_dump_state){ .seq = 11, .is_dumping = true };
	rec.n = d.len = 0;
	add_error(&d, 11, -ENOBUFS);
	add_link(&d, RTM_NEWLINK, 1, "lo", 11, NLM_F_MULTI);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_true(st.is_dumping);
	assert_int_equal(rec.n, 1);
	assert_true(rec.ev[0].is_dump);
	d.len = 0;
	add_done(&d, 11, 0, 0);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ev[1].type, LINK_EVENT_RESYNC);

	/* An error for another request, and a short one for ours. */
	st = (struct link_dump_state){ .seq = 12, .is_dumping = true };
	rec.n = d.len = 0;
	add_error(&d, 99, -EPERM);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 0);
	assert_true(st.is_dumping);
	d.len = 0;
	{
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(next_msg(&d));

		nlh->nlmsg_type = NLMSG_DONE;
		end_msg(&d, nlh, 12, 0);
	}
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].type, LINK_EVENT_RESYNC);
	assert_int_equal(st.n_malformed, 1);
}

static void test_walk_stale_dump(void **state)
{
	struct link_dump_state st = { .seq = 3, .is_dumping = true, .is_stale = true };
	struct recorded rec = { 0 };
	struct dgram d = { 0 };

	/* A newer request waits: this dump's entries are plain news, its INTR moot. */
	add_link(&d, RTM_NEWLINK, 1, "lo", 3, NLM_F_MULTI | NLM_F_DUMP_INTR);
	add_done(&d, 3, 0, NLM_F_DUMP_INTR);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_false(rec.ev[0].is_dump);
	assert_false(st.is_dumping);
	assert_false(st.is_stale);
	assert_int_equal(st.n_resyncs, 0);
}

static void test_walk_malformed(void **state)
{
	struct link_dump_state st = { 0 };
	struct recorded rec = { 0 };
	struct dgram d = { 0 };
	struct nlmsghdr *nlh;

	/* A bad link message is skipped and counted; a bridge port note skipped. */
	add_link(&d, RTM_NEWLINK, 1, "a/b", 0, 0);
	nlh = put_link(next_msg(&d), RTM_DELLINK, AF_BRIDGE, 2, ARPHRD_ETHER, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "vnet0");
	end_msg(&d, nlh, 0, 0);
	add_link(&d, RTM_NEWLINK, 3, "vnet3", 0, 0);
	nlh = mnl_nlmsg_put_header(next_msg(&d));
	nlh->nlmsg_type = NLMSG_NOOP;
	end_msg(&d, nlh, 0, 0);
	assert_int_equal(link_msgs_walk(buf, d.len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_string_equal(rec.ev[0].info.name, "vnet3");
	assert_int_equal(st.n_malformed, 1);

	/* Broken framing: what came before is delivered, then RESYNC. */
	rec.n = 0;
	nlh = next_msg(&d);
	nlh->nlmsg_len = 4096;
	assert_int_equal(link_msgs_walk(buf, d.len + 16, &st, record, &rec), -EBADMSG);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ev[1].type, LINK_EVENT_RESYNC);

	/* A tail shorter than a header. */
	rec.n = 0;
	assert_int_equal(link_msgs_walk(buf, d.len + 8, &st, record, &rec), -EBADMSG);
	assert_int_equal(rec.ev[rec.n - 1].type, LINK_EVENT_RESYNC);

	/* nlmsg_len below the header size. */
	rec.n = 0;
	nlh->nlmsg_len = 3;
	assert_int_equal(link_msgs_walk(buf, d.len + 16, &st, record, &rec), -EBADMSG);

	/* The last message may lack its padding. */
	rec.n = d.len = 0;
	nlh = put_link(next_msg(&d), RTM_NEWLINK, AF_UNSPEC, 8, ARPHRD_NONE, 0);
	mnl_attr_put(nlh, IFLA_IFNAME, 3, "ab"); /* 7-byte attribute, padded to 8 */
	nlh->nlmsg_len -= 1;
	assert_int_equal(link_msgs_walk(buf, nlh->nlmsg_len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_string_equal(rec.ev[0].info.name, "ab");
}

/* Messages captured from a 6.x kernel, kept as the fuzzer's seeds. */
static size_t read_seed(const char *name, void *out, size_t size)
{
	char rel[256];
	char *path;
	FILE *f;
	size_t n;

	snprintf(rel, sizeof(rel), "tests/fuzz/corpus/link/%s", name);
	path = test_source_path(rel);
	assert_non_null(path);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(out, 1, size, f);
	assert_true(n > 0 && n < size);
	fclose(f);
	free(path);
	return n;
}

static void expect_seed(const char *name, const char *ifname, const char *kind, unsigned type,
			bool has_mac)
{
	struct link_event ev;
	size_t len = read_seed(name, buf, sizeof(buf));

	assert_int_equal(link_msg_parse(buf, len, &ev), 0);
	assert_string_equal(ev.info.name, ifname);
	assert_string_equal(ev.info.kind, kind);
	assert_int_equal(ev.info.type, type);
	assert_int_equal(ev.info.has_mac, has_mac);
}

static void test_real_messages(void **state)
{
	struct link_dump_state st = { .seq = 1, .is_dumping = true };
	struct recorded rec = { 0 };
	struct link_event ev;
	size_t len;

	expect_seed("newlink-lo", "lo", "", ARPHRD_LOOPBACK, true);
	expect_seed("newlink-veth-enslaved", "vnet0", "veth", ARPHRD_ETHER, true);
	expect_seed("newlink-veth-renamed", "vnet7", "veth", ARPHRD_ETHER, true);
	expect_seed("newlink-bridge", "br0", "bridge", ARPHRD_ETHER, true);
	expect_seed("newlink-macvtap", "mvt0", "macvtap", ARPHRD_ETHER, true);
	expect_seed("newlink-tap", "tap0", "tun", ARPHRD_ETHER, true);
	expect_seed("newlink-tun", "tun0", "tun", ARPHRD_NONE, false);

	len = read_seed("newlink-veth-enslaved", buf, sizeof(buf));
	assert_int_equal(link_msg_parse(buf, len, &ev), 0);
	assert_true(ev.info.master > 0);

	len = read_seed("dellink-afbridge-port", buf, sizeof(buf));
	assert_int_equal(link_msg_parse(buf, len, &ev), -ENOMSG);
	len = read_seed("newlink-afbridge-port", buf, sizeof(buf));
	assert_int_equal(link_msg_parse(buf, len, &ev), -ENOMSG);

	len = read_seed("dellink-macvtap", buf, sizeof(buf));
	assert_int_equal(link_msgs_walk(buf, len, &st, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].type, LINK_EVENT_DEL);
	assert_string_equal(rec.ev[0].info.name, "mvt0");
	assert_string_equal(rec.ev[0].info.kind, "macvtap");
	assert_false(rec.ev[0].is_dump);

	/* A real dump (seq 1): two parts, then NLMSG_DONE. */
	rec.n = 0;
	len = read_seed("dump-datagram-part1", buf, sizeof(buf));
	assert_int_equal(link_msgs_walk(buf, len, &st, record, &rec), 0);
	len = read_seed("dump-datagram-part2", buf, sizeof(buf));
	assert_int_equal(link_msgs_walk(buf, len, &st, record, &rec), 0);
	assert_true(st.is_dumping);
	len = read_seed("dump-done", buf, sizeof(buf));
	assert_int_equal(link_msgs_walk(buf, len, &st, record, &rec), 0);
	assert_false(st.is_dumping);
	assert_int_equal(rec.n, 4); /* lo, the veth pair, the bridge */
	for (size_t i = 0; i < rec.n; i++)
		assert_true(rec.ev[i].is_dump);
	assert_int_equal(st.n_malformed, 0);
}

static struct nlmsghdr *put_addr(uint16_t type, uint8_t family, unsigned ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = ifindex;
	return nlh;
}

static void test_addr(void **state)
{
	const uint8_t local[4] = { 10, 0, 0, 1 }, peer[4] = { 10, 0, 0, 2 },
		      v6[16] = { 0xfe, 0x80 };
	struct link_addr a = { 0 };
	struct nlmsghdr *nlh;

	/* a point-to-point address: IFA_LOCAL is the link's own, IFA_ADDRESS the peer's */
	nlh = put_addr(RTM_NEWADDR, AF_INET, 7);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, peer);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), 0);
	assert_int_equal(a.ifindex, 7);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix_len, 24);
	assert_memory_equal(a.addr, local, 4);
	/* IPv6, IFA_ADDRESS only */
	nlh = put_addr(RTM_NEWADDR, AF_INET6, 8);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, v6);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), 0);
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.addr, v6, 16);
	/* an address of the wrong size for its family, none at all, index 0 */
	nlh = put_addr(RTM_NEWADDR, AF_INET, 7);
	mnl_attr_put(nlh, IFA_LOCAL, 3, local);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), -EBADMSG);
	nlh = put_addr(RTM_NEWADDR, AF_INET, 7);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), -EBADMSG);
	nlh = put_addr(RTM_NEWADDR, AF_INET, 0);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), -EBADMSG);
	/* another type or family: not ours */
	nlh = put_addr(RTM_DELADDR, AF_INET, 7);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), -ENOMSG);
	nlh = put_addr(RTM_NEWADDR, AF_PACKET, 7);
	assert_int_equal(link_addr_msg_parse(nlh, nlh->nlmsg_len, &a), -ENOMSG);
	/* every truncation is refused, never read past (ASan watches the copy's end) */
	nlh = put_addr(RTM_NEWADDR, AF_INET, 7);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	for (size_t len = 0; len < nlh->nlmsg_len; len++) {
		void *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, nlh, len);
		if (len >= sizeof(uint32_t))
			((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)len;
		assert_true(link_addr_msg_parse(copy, len, &a) < 0);
		free(copy);
	}
}

static void test_addr_change(void **state)
{
	const uint8_t local[4] = { 10, 0, 0, 1 };
	struct link_event ev = { 0 };
	struct nlmsghdr *nlh;

	/* a new or deleted IPv4 address names its link */
	nlh = put_addr(RTM_DELADDR, AF_INET, 7);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	assert_int_equal(link_addr_change_parse(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.type, LINK_EVENT_ADDR);
	assert_int_equal(ev.info.ifindex, 7);
	nlh = put_addr(RTM_NEWADDR, AF_INET, 9);
	assert_int_equal(link_addr_change_parse(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.info.ifindex, 9);
	/* IPv6 too (the bridge's IPv6 addresses are protected) */
	nlh = put_addr(RTM_DELADDR, AF_INET6, 8);
	assert_int_equal(link_addr_change_parse(nlh, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.info.ifindex, 8);
	/* another family, or a link message: not ours; index 0: malformed */
	nlh = put_addr(RTM_NEWADDR, AF_PACKET, 7);
	assert_int_equal(link_addr_change_parse(nlh, nlh->nlmsg_len, &ev), -ENOMSG);
	nlh = put_addr(RTM_NEWLINK, AF_INET, 7);
	assert_int_equal(link_addr_change_parse(nlh, nlh->nlmsg_len, &ev), -ENOMSG);
	nlh = put_addr(RTM_NEWADDR, AF_INET, 0);
	assert_int_equal(link_addr_change_parse(nlh, nlh->nlmsg_len, &ev), -EBADMSG);
	/* every truncation is refused, never read past */
	nlh = put_addr(RTM_NEWADDR, AF_INET, 7);
	for (size_t len = 0; len < nlh->nlmsg_len; len++) {
		void *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, nlh, len);
		if (len >= sizeof(uint32_t))
			((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)len;
		assert_true(link_addr_change_parse(copy, len, &ev) < 0);
		free(copy);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newlink),
		cmocka_unit_test(test_dellink_minimal),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_change),
		cmocka_unit_test(test_address_lengths),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_unknown_attrs_ignored),
		cmocka_unit_test(test_master),
		cmocka_unit_test(test_linkinfo),
		cmocka_unit_test(test_not_a_link_message),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_walk_dump),
		cmocka_unit_test(test_walk_dump_interrupted),
		cmocka_unit_test(test_walk_dump_errors),
		cmocka_unit_test(test_walk_stale_dump),
		cmocka_unit_test(test_walk_malformed),
		cmocka_unit_test(test_real_messages),
	};
	/* One test by name (a glob): test-link-xxx test_name. */
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
