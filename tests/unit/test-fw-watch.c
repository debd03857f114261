/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fw/watch.c: nftables notifications -> what changed in our tables, and by
 * whom; built with libmnl as the kernel sends them, then truncated and
 * corrupted at every length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>

#include "fw/compile.h"
#include "fw/watch.h"

static _Alignas(struct nlmsghdr) char buf[512];

static struct nlmsghdr *put_msg(uint16_t msg, uint8_t family)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *gen;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	return nlh;
}

static struct nlmsghdr *put_change(uint16_t msg, uint8_t family, const char *table)
{
	struct nlmsghdr *nlh = put_msg(msg, family);

	/* every object message names its table in attribute 1 */
	mnl_attr_put_strz(nlh, 1, table);
	return nlh;
}

static void test_changes(void **state)
{
	struct fw_notice n;
	struct nlmsghdr *nlh;

	nlh = put_change(NFT_MSG_DELTABLE, NFPROTO_BRIDGE, FW_TABLE);
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_CHANGE);
	assert_true(n.is_delete);
	assert_int_equal(n.object, FW_OBJ_TABLE);
	assert_int_equal(n.family, NFPROTO_BRIDGE);
	nlh = put_change(NFT_MSG_NEWSETELEM, NFPROTO_NETDEV, FW_TABLE);
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_CHANGE);
	assert_false(n.is_delete);
	assert_int_equal(n.object, FW_OBJ_ELEMENT);
	nlh = put_change(NFT_MSG_DELRULE, NFPROTO_INET, FW_TABLE);
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.object, FW_OBJ_RULE);
	/* another table, a name that only begins like ours, a get: not ours */
	nlh = put_change(NFT_MSG_DELTABLE, NFPROTO_BRIDGE, "filter");
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_OTHER);
	nlh = put_change(NFT_MSG_DELTABLE, NFPROTO_BRIDGE, FW_TABLE "2");
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_OTHER);
	nlh = put_change(NFT_MSG_GETTABLE, NFPROTO_BRIDGE, FW_TABLE);
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_OTHER);
	/* a table name without its NUL is not ours either */
	nlh = put_msg(NFT_MSG_DELTABLE, NFPROTO_BRIDGE);
	mnl_attr_put(nlh, 1, strlen(FW_TABLE), FW_TABLE);
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_OTHER);
}

static void test_gen_end(void **state)
{
	struct fw_notice n;
	struct nlmsghdr *nlh = put_msg(NFT_MSG_NEWGEN, NFPROTO_UNSPEC);

	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(7));
	mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(4242));
	mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "nft");
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.kind, FW_NOTICE_GEN_END);
	assert_int_equal(n.pid, 4242);
	assert_string_equal(n.comm, "nft");
	/* without the process: pid 0, no name */
	nlh = put_msg(NFT_MSG_NEWGEN, NFPROTO_UNSPEC);
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.pid, 0);
	assert_string_equal(n.comm, "");
}

static void test_rejects(void **state)
{
	struct fw_notice n;
	struct nlmsghdr *nlh = put_change(NFT_MSG_DELCHAIN, NFPROTO_BRIDGE, FW_TABLE);
	const uint32_t len = nlh->nlmsg_len,
		       attrs_off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

	/* another subsystem */
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | 1;
	assert_int_equal(fw_notice_parse(nlh, len, &n), -ENOMSG);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELCHAIN;
	/* a length that is not the message's */
	assert_int_equal(fw_notice_parse(nlh, len + 4, &n), -EBADMSG);
	/* every truncation is refused, never read past (ASan watches the copy's end) */
	for (uint32_t cut = 0; cut < len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		int r;

		assert_non_null(copy);
		memcpy(copy, nlh, cut);
		if (cut >= sizeof(uint32_t))
			((struct nlmsghdr *)copy)->nlmsg_len = cut;
		r = fw_notice_parse(copy, cut, &n);

		/* cut inside the headers or the table's attribute: refused; only its padding
		 * cut: still read; no attribute left (less than a header): not ours */
		if (cut >= len - 3)
			assert_true(r == 0 && n.kind == FW_NOTICE_CHANGE);
		else if (cut >= attrs_off && cut < attrs_off + sizeof(struct nlattr))
			assert_true(r == 0 && n.kind == FW_NOTICE_OTHER);
		else
			assert_int_equal(r, -EBADMSG);
		free(copy);
	}
	/* an attribute longer than the message */
	nlh = put_change(NFT_MSG_DELCHAIN, NFPROTO_BRIDGE, FW_TABLE);
	((struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg))))
		->nla_len = 200;
	assert_int_equal(fw_notice_parse(nlh, nlh->nlmsg_len, &n), -EBADMSG);
}

static void test_damage_format(void **state)
{
	struct fw_damage d = { .pid = 12, .comm = "nft" }, more = { 0 };
	char text[256];

	d.families[0] = true;
	d.deleted[FW_OBJ_TABLE] = 1;
	d.deleted[FW_OBJ_CHAIN] = 3;
	fw_damage_format(&d, text, sizeof(text));
	assert_string_equal(
		text, "'nft' (pid 12) changed table bridge vifguard: deleted 1 table, 3 chains");
	more.families[2] = true;
	more.added[FW_OBJ_RULE] = 1;
	fw_damage_merge(&d, &more);
	fw_damage_format(&d, text, sizeof(text));
	assert_string_equal(text, "'nft' (pid 12) changed table bridge vifguard and inet vifguard: "
				  "deleted 1 table, 3 chains; added 1 rule");
	d.is_lost = true;
	fw_damage_format(&d, text, sizeof(text));
	assert_string_equal(text, "nftables notifications were lost: the tables may have changed");
	/* a short buffer is cut, never overrun */
	d.is_lost = false;
	fw_damage_format(&d, text, 10);
	assert_int_equal(strlen(text), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_gen_end),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_damage_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
