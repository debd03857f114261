/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fw/record.c: the port record's text form (round trip, records as older
 * versions wrote them, rejects) and the choice of a free port id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/record.h"
#include "util/cleanup.h"

static void assert_same_record(const struct fw_record *a, const struct fw_record *b)
{
	assert_string_equal(a->port, b->port);
	assert_int_equal(a->attach, b->attach);
	assert_int_equal(a->port_id, b->port_id);
	assert_string_equal(a->template_id, b->template_id);
	assert_string_equal(a->elements_del, b->elements_del);
	assert_string_equal(a->template_del, b->template_del);
}

static void round_trip(const struct fw_record *rec)
{
	_cleanup_(fw_record_freep) struct fw_record *back = NULL;
	_cleanup_free_ char *text = fw_record_format(rec), *again = NULL;
	struct err err = { 0 };

	assert_non_null(text);
	assert_int_equal(fw_record_parse(text, &back, &err), 0);
	assert_same_record(rec, back);
	again = fw_record_format(back);
	assert_string_equal(text, again);
}

static void test_round_trip(void **state)
{
	const struct fw_record bridge = {
		.port = (char *)"vnet0",
		.attach = FW_ATTACH_BRIDGE,
		.port_id = 65535,
		.template_id = (char *)"t0123456789abcdef",
		.elements_del = (char *)"delete element bridge vifguard out-ports { \"vnet0\" }\n"
					"delete element bridge vifguard in-ports { \"vnet0\" }\n",
		.template_del = (char *)"flush chain bridge vifguard t0123456789abcdef-o\n"
					"delete chain bridge vifguard t0123456789abcdef-o\n",
	};
	const struct fw_record netdev = {
		.port = (char *)"macvtap0",
		.attach = FW_ATTACH_NETDEV,
		.template_id = (char *)"learn-any",
		.elements_del = (char *)"delete chain netdev vifguard po-macvtap0\n",
		.template_del = (char *)"",
	};
	/* a blocked or learning port has no template text; empty elements must survive too */
	const struct fw_record empty = {
		.port = (char *)"a",
		.template_id = (char *)"blocked",
		.elements_del = (char *)"",
		.template_del = (char *)"",
	};

	round_trip(&bridge);
	round_trip(&netdev);
	round_trip(&empty);
}

/* The text as the daemon stored it before record.c existed: it must still be read. */
static void test_parse_stored(void **state)
{
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
	struct err err = { 0 };

	assert_int_equal(fw_record_parse("# vifguard port record 1\n"
					 "port vnet7\n"
					 "id 12\n"
					 "template t00000000000000ff\n"
					 "# elements\n"
					 "delete element bridge vifguard out-ports { \"vnet7\" }\n"
					 "# template\n"
					 "delete chain bridge vifguard t00000000000000ff-o\n",
					 &rec, &err),
			 0);
	assert_string_equal(rec->port, "vnet7");
	assert_int_equal(rec->port_id, 12);
	assert_int_equal(rec->attach, FW_ATTACH_BRIDGE);
	assert_string_equal(rec->template_id, "t00000000000000ff");
	assert_string_equal(rec->elements_del,
			    "delete element bridge vifguard out-ports { \"vnet7\" }\n");
	assert_string_equal(rec->template_del,
			    "delete chain bridge vifguard t00000000000000ff-o\n");
}

static void test_parse_rejects(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "not a vifguard port record" },
		{ "# vifguard port record 2\nport a\nid 1\ntemplate t\n# elements\n# template\n",
		  "not a vifguard port record" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\n",
		  "port record without elements or template" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\n# elements\nx\n",
		  "port record without elements or template" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\n# template\n# elements\n",
		  "port record without elements or template" },
		{ "# vifguard port record 1\nport a\ntemplate t\n# elements\n# template\n",
		  "incomplete port record (port, id or template missing)" },
		{ "# vifguard port record 1\nid 1\ntemplate t\n# elements\n# template\n",
		  "incomplete port record (port, id or template missing)" },
		{ "# vifguard port record 1\nport a\nid 1\n# elements\n# template\n",
		  "incomplete port record (port, id or template missing)" },
		{ "# vifguard port record 1\nport a\nid 65536\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '65536'" },
		{ "# vifguard port record 1\nport a\nid -1\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '-1'" },
		{ "# vifguard port record 1\nport a\nid 1x\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '1x'" },
		{ "# vifguard port record 1\nport a\nid 1\nid 2\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '2'" },
		{ "# vifguard port record 1\nport a\nport b\nid 1\ntemplate t\n# elements\n# "
		  "template\n",
		  "port record with a repeated 'port' line" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\nattach tap\n# elements\n# "
		  "template\n",
		  "port record with an unknown attachment 'tap'" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\nowner x\n# elements\n# "
		  "template\n",
		  "port record with an unknown line 'owner'" },
		{ "# vifguard port record 1\nport\nid 1\ntemplate t\n# elements\n# template\n",
		  "port record with a bad line 'port'" },
		{ "# vifguard port record 1\nport \nid 1\ntemplate t\n# elements\n# template\n",
		  "port record with a bad line 'port '" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fw_record *rec = NULL;
		struct err err = { 0 };

		assert_int_equal(fw_record_parse(bad[i].text, &rec, &err), -EINVAL);
		assert_null(rec);
		assert_string_equal(err.msg, bad[i].why);
	}
}

static void test_record_new(void **state)
{
	struct fw_port p = {
		.port = (char *)"vnet3",
		.attach = FW_ATTACH_BRIDGE,
		.port_id = 9,
		.template_id = (char *)"t1",
		.template_del = (char *)"T",
		.elements_del = (char *)"E",
	};
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;

	/* without stateful rules the id is in no kernel map: the record says 0 */
	assert_int_equal(fw_record_new(&p, &rec), 0);
	assert_int_equal(rec->port_id, 0);
	rec = fw_record_free(rec);
	p.needs_inet = true;
	assert_int_equal(fw_record_new(&p, &rec), 0);
	assert_int_equal(rec->port_id, 9);
	assert_string_equal(rec->elements_del, "E");
}

static void test_ids_pick(void **state)
{
	_cleanup_free_ struct fw_port_ids *used = calloc(1, sizeof(*used));

	assert_non_null(used);
	assert_int_equal(fw_port_ids_pick(used, 0), 1);
	assert_int_equal(fw_port_ids_pick(used, 77), 77);
	assert_int_equal(fw_port_ids_pick(used, FW_PORT_ID_MAX), FW_PORT_ID_MAX);
	assert_int_equal(fw_port_ids_pick(used, FW_PORT_ID_MAX + 1), 1);
	fw_port_ids_add(used, 0);
	fw_port_ids_add(used, FW_PORT_ID_MAX + 1);
	assert_false(fw_port_ids_has(used, 0));
	assert_false(fw_port_ids_has(used, FW_PORT_ID_MAX + 1));
	for (unsigned id = 1; id <= 15; id++)
		fw_port_ids_add(used, id);
	assert_true(fw_port_ids_has(used, 15));
	assert_int_equal(fw_port_ids_pick(used, 0), 16);
	/* a wanted id in use: the smallest free one instead */
	assert_int_equal(fw_port_ids_pick(used, 3), 16);
	fw_port_ids_add(used, 17);
	assert_int_equal(fw_port_ids_pick(used, 17), 16);
	for (unsigned id = 1; id <= FW_PORT_ID_MAX; id++)
		if (id != 40000)
			fw_port_ids_add(used, id);
	assert_int_equal(fw_port_ids_pick(used, 5), 40000);
	fw_port_ids_add(used, 40000);
	assert_int_equal(fw_port_ids_pick(used, 0), 0);
	assert_int_equal(fw_port_ids_pick(used, 40000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_parse_stored),
		cmocka_unit_test(test_parse_rejects), cmocka_unit_test(test_record_new),
		cmocka_unit_test(test_ids_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
